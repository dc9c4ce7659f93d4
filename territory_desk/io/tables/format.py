"""What kind of table a file is, decided from its bytes, never from its name.

CRM files are renamed, mailed and re-saved: an XLSX called ``accounts.csv``, a CSV called
``export.xlsx`` and Salesforce's "Export as Excel" (an HTML page called ``report.xls``) all occur.
``detect_format`` reads the first bytes: a ZIP package with ``xl/workbook.xml`` is an XLSX workbook,
anything that decodes as text without control characters is a CSV/TSV, and everything else is
refused with one line that names what the file is (an old .xls, an OpenDocument spreadsheet, a PDF,
a ZIP archive of other files, an HTML page, ...) and what to do instead.
"""
from __future__ import annotations

import codecs
import os
import zipfile

from territory_desk.domain.model.errors import InputError

CSV, XLSX = "csv", "xlsx"
HEAD_BYTES = 8192
SAVE_AS = "save it as .xlsx or CSV"

_MAGIC = (  # (leading bytes, what the file is)
    (b"\xd0\xcf\x11\xe0", f"an old Excel .xls workbook (or another Office 97-2003 file): {SAVE_AS}"),
    (b"%PDF", "a PDF document, not a table"),
    (b"\x1f\x8b", "a gzip-compressed file: unpack it and import the table inside"),
    (b"BZh", "a bzip2-compressed file: unpack it and import the table inside"),
    (b"\xfd7zXZ\x00", "an xz-compressed file: unpack it and import the table inside"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive: unpack it and import the table inside"),
    (b"Rar!", "a RAR archive: unpack it and import the table inside"),
    (b"SQLite format 3\x00", "an SQLite database (a GeoPackage or project?), not a table"),
    (b"\x89PNG", "a PNG image, not a table"),
    (b"\xff\xd8\xff", "a JPEG image, not a table"),
    (b"GIF8", "a GIF image, not a table"),
    (b"\x7fELF", "a program, not a table"),
    (b"MZ", "a Windows program, not a table"),
    (b"{\\rtf", "an RTF document, not a table: export the data as CSV"),
)
_WORDLIKE = (b"BZh", b"Rar!", b"GIF8", b"MZ")  # also how a text line may start


def detect_format(path: str) -> str:
    """CSV or XLSX for a readable table; InputError with one line for anything else."""
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(path)
    for magic, what in _MAGIC:
        if head.startswith(magic) and not (magic in _WORDLIKE and _texty(head)):
            raise InputError(f"{path} is {what}")
    markup = _markup(head)
    if markup:
        raise InputError(f"{path} is {markup}")
    return CSV


def _zip_kind(path: str) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            mimetype = zf.read("mimetype")[:100].decode("ascii", "replace") if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, RuntimeError, EOFError) as exc:
        raise InputError(f"{path}: cannot read as an Excel workbook (a damaged ZIP package: {exc})") from None
    lower = {n.lower() for n in names}
    if "xl/workbook.xml" in lower or "xl/workbook.bin" in lower:
        if "xl/workbook.bin" in lower:
            raise InputError(f"{path} is an Excel binary workbook (.xlsb): {SAVE_AS}")
        return XLSX
    if "opendocument.spreadsheet" in mimetype:
        raise InputError(f"{path} is an OpenDocument spreadsheet (.ods): {SAVE_AS}")
    if mimetype.startswith("application/vnd.oasis.opendocument"):
        raise InputError(f"{path} is an OpenDocument file, not a spreadsheet")
    if "word/document.xml" in lower:
        raise InputError(f"{path} is a Word document, not a table")
    if "ppt/presentation.xml" in lower:
        raise InputError(f"{path} is a PowerPoint presentation, not a table")
    if "[content_types].xml" in lower:
        raise InputError(f"{path}: cannot read as an Excel workbook (a ZIP package without xl/workbook.xml)")
    tables = [n for n in names if n.lower().endswith((".csv", ".tsv", ".txt", ".xlsx"))]
    inside = f" holding {', '.join(tables[:3])}{' …' if len(tables) > 3 else ''}" if tables else ""
    raise InputError(f"{path} is a ZIP archive{inside}: unpack it and import the table inside")


def _markup(head: bytes) -> str:
    """What an HTML or XML file is ('' for anything else)."""
    text = _ascii_view(head).lstrip().lower()
    if not text.startswith("<"):
        return ""
    if text.startswith(("<!doctype html", "<html", "<table", "<meta", "<head", "<body")) or "<html" in text[:2000]:
        return ("an HTML page, not a table (Salesforce's and other CRMs' \"Excel\" downloads are web pages): "
                "export the report as CSV or XLSX")
    if "urn:schemas-microsoft-com:office:spreadsheet" in text or "<workbook" in text:
        return f"an Excel 2003 XML spreadsheet: {SAVE_AS}"
    if text.startswith(("<?xml", "<!--")):
        return "an XML file, not a table: export the data as CSV or XLSX"
    return ""


def _ascii_view(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head[: len(head) & ~1].decode("utf-16", errors="replace")
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    if head[1:2] == b"\x00" and head[:1] != b"\x00":
        return head[: len(head) & ~1].decode("utf-16-le", errors="replace")
    if head[:1] == b"\x00" and head[1:2] != b"\x00":
        return head[: len(head) & ~1].decode("utf-16-be", errors="replace")
    return head.decode("latin-1")


def _texty(head: bytes) -> bool:
    """A text file that merely starts with the letters MZ (a name, a ZIP code column, ...)."""
    return sum(1 for b in head[:512] if b < 9 or 13 < b < 32) == 0


def check_readable_file(path: str) -> None:
    """InputError for a path that is not a readable file."""
    if not os.path.exists(path):
        raise InputError(f"{path} does not exist")
    if os.path.isdir(path):
        raise InputError(f"{path} is a folder, not a table")
