"""The Metrics dock: the balance table, the bar chart and the summary."""
