"""Undoable commands that replace a project's data tables: accounts, reps, base units.

Each swaps whole objects (the new table is built beforehand, off the UI thread, by
services.imports); undo swaps the previous objects back. After a swap the document makes a new
engine (``Document.reload_data``), since the metric fields may have changed.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from territory_desk.domain.editing.command import Command
from territory_desk.domain.editing.document import Document
from territory_desk.domain.model.accounts import AccountTable
from territory_desk.domain.model.adjacency import Adjacency
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.reps import Rep
from territory_desk.domain.model.territory_layers import check_rules_fit
from territory_desk.domain.model.units import UnitLayer


class ReplaceAccounts(Command):
    def __init__(self, accounts: AccountTable, text: str = "Import accounts"):
        if accounts.unit_index is None:
            raise InputError("the new accounts have not been located in the units")
        self.accounts, self.text = accounts, text
        self._old: AccountTable | None = None

    def redo(self, doc: Document) -> None:
        where = self.accounts.unit_index
        assert where is not None  # checked on construction
        if len(where) and where.max(initial=-1) >= len(doc.project.units):
            raise InputError("the new accounts were located in other units")
        if len(self.accounts):
            check_rules_fit(doc.project.layers, self.accounts)
        self._old = doc.project.accounts
        doc.project.accounts = self.accounts
        doc.reload_data()

    def undo(self, doc: Document) -> None:
        assert self._old is not None
        doc.project.accounts = self._old
        doc.reload_data()


class ReplaceReps(Command):
    def __init__(self, reps: list[Rep], text: str = "Import reps"):
        if len({r.id for r in reps}) != len(reps):
            raise InputError("two reps have the same id")
        self.reps, self.text = list(reps), text
        self._old: list[Rep] | None = None

    def redo(self, doc: Document) -> None:
        self._old = doc.project.reps
        doc.project.reps = list(self.reps)
        doc.reload_data()

    def undo(self, doc: Document) -> None:
        assert self._old is not None
        doc.project.reps = self._old
        doc.reload_data()


@dataclasses.dataclass
class _UnitsState:
    units: UnitLayer
    adjacency: Adjacency
    assignments: dict[str, np.ndarray]
    account_unit_index: np.ndarray | None


def check_freeform_fits(project, units: UnitLayer) -> None:
    """Drawn territories are kept in the working CRS: refuse new units that would change it."""
    if any(s.is_freeform and s.shapes for s in project.scenarios) and units.work_crs != project.units.work_crs:
        raise InputError("these units would change the map projection under the drawn (freeform) territories; "
                         "add units that lie within the current extent, or start a new project")


class ReplaceUnits(Command):
    """New base units with the assignment of every scenario over them and the accounts located in
    them (see services.imports.plan_units). Scenarios must be the ones the plan was made for."""

    def __init__(self, units: UnitLayer, adjacency: Adjacency, assignments: dict[str, np.ndarray],
                 account_unit_index: np.ndarray, text: str = "Import units"):
        for name, a in assignments.items():
            if len(a) != len(units):
                raise InputError(f"scenario {name!r} does not cover every new unit")
        self.text = text
        self._new = _UnitsState(units, adjacency, {k: np.asarray(v, dtype=np.int64) for k, v in assignments.items()},
                                np.asarray(account_unit_index, dtype=np.int64))
        self._old: _UnitsState | None = None

    @staticmethod
    def _state(doc: Document) -> _UnitsState:
        p = doc.project
        return _UnitsState(p.units, p.adjacency, {s.name: s.assignment for s in p.scenarios}, p.accounts.unit_index)

    @staticmethod
    def _apply(doc: Document, state: _UnitsState) -> None:
        p = doc.project
        p.units, p.adjacency = state.units, state.adjacency
        for s in p.scenarios:
            s.assignment = state.assignments[s.name]
        p.accounts = dataclasses.replace(p.accounts, unit_index=state.account_unit_index)
        doc.reload_data()

    def redo(self, doc: Document) -> None:
        check_freeform_fits(doc.project, self._new.units)
        names = {s.name for s in doc.project.scenarios}
        if names != set(self._new.assignments):
            raise InputError("the scenarios changed since the units were read; import them again")
        where = self._new.account_unit_index
        if where is None or len(where) != len(doc.project.accounts):
            raise InputError("the accounts changed since the units were read; import them again")
        self._old = self._state(doc)
        self._apply(doc, self._new)

    def undo(self, doc: Document) -> None:
        assert self._old is not None
        self._apply(doc, self._old)
