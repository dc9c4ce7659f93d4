"""The KPI dashboard dock: the KPI table and its charts."""
