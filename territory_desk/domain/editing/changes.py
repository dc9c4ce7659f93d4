"""What an edit changed: the notices the Document sends its listeners after every change.

Every kind is listed here, and the Qt adapter (ui/doc_model.py) maps each one to a signal; a
test fails when a kind is added here and not handled there.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np


class ChangeKind(StrEnum):
    """The kinds of change notice, from the narrowest to the widest."""

    ASSIGNMENT = "assignment"
    """Units changed territory, or a drawn territory changed shape: ``Change.units`` holds the
    units (none for a reshape), ``Change.territories`` the territory indices touched."""

    TERRITORIES = "territories"
    """Territories or regions of the active scenario were added, removed or edited (name, colour,
    rep, lock, region, hierarchy level names); ``Change.territories``: the indices, when known."""

    SCENARIO = "scenario"
    """Scenarios or territory layers came, went or switched, or pins changed: what counts where may
    differ, so every view refreshes its figures, lists and map."""

    DATA = "data"
    """Accounts, reps or base units were replaced: the metric fields may differ."""

    ACTIVITY = "activity"
    """CRM activity (opportunities, leads, quotas) or KPI snapshots were replaced or added."""

    SETTINGS = "settings"
    """Project settings changed (the lead routing rules)."""


@dataclass
class Change:
    """One change notice: its kind and, for the narrow kinds, what it touched."""

    kind: ChangeKind
    units: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    territories: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.kind = ChangeKind(self.kind)  # a kind that is not listed above is refused here
