"""Tables in and out: CSV/TSV and XLSX read as bounded streams (format from the bytes, encodings, limits, XML guard) and the one formula-safe CSV writer."""
