"""Dock panels, one module or folder per dock: territories/ (the territory tree with scenarios and
regions), metrics/ (live balance table and chart), kpis/ (the KPI dashboard), territory_layers, reps,
freeform_issues; common.py holds what they share."""
