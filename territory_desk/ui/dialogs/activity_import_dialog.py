"""File → Import opportunities…/leads…/quotas…: the column mapping dialog of ImportDialogs with the
targets of CRM activity (io.activity_mapping.ROLES) instead of the account ones."""
from __future__ import annotations

import os

from territory_desk.io.imports.activity_mapping import missing_essentials, target_choices, validate
from territory_desk.io.imports.column_mapping import ColumnMapping
from territory_desk.ui.dialogs.import_dialogs import ColumnMappingDialog

LABELS = {
    "id": "Id", "account": "Account id", "amount": "Amount", "stage": "Stage", "status": "Status (open/won/lost)",
    "won": "Won (yes/no)", "closed_flag": "Closed (yes/no)", "created": "Created date", "closed": "Close date",
    "owner": "Owner (rep id)", "response_hours": "Response time (hours)", "responded": "First response (date/time)",
    "converted": "Converted (yes/no)", "lat": "Latitude", "lon": "Longitude", "zip": "ZIP code", "city": "City",
    "state": "State", "county": "County", "rep": "Rep id", "territory": "Territory id", "period": "Period",
    "ignore": "— ignore —",
}
HINTS = {
    "opportunities": "Each row is a deal. Won and lost deals need their close date; a deal's territory is its "
                     "account's territory.",
    "leads": "Each row is a lead. Its territory is its account's, or else the unit its location lies in. The first "
             "response can be a date/time or a number of hours.",
    "quotas": "Each row is a quota for a rep or a territory over a period (2026Q3, 2026-07, 2026, 2026H2 or "
              "2026-07-01..2026-09-30).",
}


class ActivityMappingDialog(ColumnMappingDialog):
    check_mapping = staticmethod(validate)  # the activity rules (io.imports.activity_mapping)
    missing_in = staticmethod(missing_essentials)
    def __init__(self, raw, mapping: ColumnMapping, kind: str, sheets=None, reload=None, parent=None):
        self._activity_kind = kind
        super().__init__(raw, mapping, kind, sheets, reload, parent)
        self.setObjectName("activityMappingDialog")
        self.setWindowTitle(f"Import {kind} — {os.path.basename(raw.path)}")
        for label in self.findChildren(type(self.info)):
            if label.text().startswith("Choose what each column holds"):
                label.setText(HINTS[kind])

    def _fill(self, raw, mapping: ColumnMapping) -> None:
        super()._fill(raw, mapping)
        for col, combo in self.combos.items():
            combo.blockSignals(True)
            combo.clear()
            for target in target_choices(self._activity_kind):
                combo.addItem(LABELS.get(target, target), target)
            combo.setCurrentIndex(max(0, combo.findData(mapping.targets.get(col, "ignore"))))
            combo.blockSignals(False)
        self._changed()

    def _changed(self) -> None:
        if not hasattr(self, "_activity_kind") or not self.combos:
            return
        if any(t not in target_choices(self._activity_kind) for t in self.mapping().targets.values()):
            return  # the base class is still filling its own choices
        super()._changed()
