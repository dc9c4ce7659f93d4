"""Opening, creating, editing and saving project files: the use cases the CLI and the GUI share.

``edit_project`` is the one way a project *file* is changed from the command line: it opens the
file, runs one or more domain commands through the document, and saves the file atomically, all or
nothing: a refused command (or a failure while saving) leaves the file byte for byte as it was.
Everything that guards a file edit lives here: the file name check, the refusal to write a project
that is open in the editor, and the refusal to import a file into itself.

``create_project`` (``new``, ``demo``) writes a project that did not exist yet.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Optional, Union

import numpy as np

from territory_desk.domain.editing.document import Change, Document
from territory_desk.domain.editing.command import Command
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.project import Project
from territory_desk.domain.stats.kinds import StatsEngine
from territory_desk.io.unit_files import read_unit_layer
from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project
from territory_desk.services.session_files import lock_owner

# What edit_project runs: a command, or a function of the document that builds one (for a command
# that depends on what an earlier one did, or on the opened project: a region added before it is
# named, an optimised scenario computed from the file's data) or returns None (nothing to do).
Step = Union[Command, Callable[[Document], Optional[Command]]]
ScenarioChoice = Union[str, Callable[[Project], str], None]


def check_project_path(path: str) -> None:
    if not path.lower().endswith(".gpkg"):
        raise InputError(f"{path}: project files end in .gpkg (GeoPackage)")


def open_document(path: str) -> Document:
    return Document(load_project(path), path)


def save_document(doc: Document, path: str | None = None) -> str:
    target = path or doc.path
    if not target:
        raise InputError("the project has no file name yet")
    check_project_path(target)
    save_project(doc.project, target)
    doc.path = target
    return target


# ---- editing a project file -------------------------------------------------------------------------
@dataclass
class ProjectEdit:
    """What one edit did: the commands in the order they ran and the changes the document reported."""

    document: Document
    commands: list[Command] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    engine: StatsEngine | None = None  # the statistics of the scenario the commands acted on, after them
    # the units of that scenario whose territory the commands changed
    reassigned: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def project(self) -> Project:
        return self.document.project

    @property
    def path(self) -> str | None:
        return self.document.path


def edit_project(path: str, *steps: Step, scenario: ScenarioChoice = None, source: str | None = None) -> ProjectEdit:
    """Open the project file ``path``, run ``steps`` (commands) through its document one after the
    other, and save the file atomically. With ``scenario`` (a name, or a function of the opened
    project returning one) the commands act on that scenario (made active while they run; the file
    keeps its active scenario unless a command changes it).
    ``source``: the file being imported, refused when it is the project file itself.

    All or nothing: when a step raises, nothing is written (the file stays byte for byte as it was);
    when no step had anything to do, nothing is written either."""
    check_project_path(path)
    _refuse_self_import(path, source)
    _refuse_open_elsewhere(path)
    doc = open_document(path)
    edit = apply_steps(doc, steps, scenario)
    if edit.commands:
        save_document(doc)
    return edit


def apply_steps(doc: Document, steps: Iterable[Step], scenario: ScenarioChoice = None) -> ProjectEdit:
    """Run the commands of ``steps`` on an open document (in memory, nothing saved); when one is
    refused, those already done are undone and the error is raised."""
    edit = ProjectEdit(doc)
    doc.listeners.append(edit.changes.append)
    try:
        # one step of the document's undo history; when a command is refused, the macro undoes those
        # already done (the document as it was; the file is not touched)
        with _acting_on(doc, scenario, edit), doc.history.macro("Command-line edit"):
            for step in steps:
                command = step if isinstance(step, Command) else step(doc)
                if command is not None:
                    edit.commands.append(doc.execute(command))
    finally:
        doc.listeners.remove(edit.changes.append)
    return edit


@contextmanager
def _acting_on(doc: Document, scenario: ScenarioChoice, edit: ProjectEdit) -> Iterator[None]:
    """Make ``scenario`` the active one while the commands run (the commands act on the active
    scenario), then put the file's active scenario back, unless a command chose another one."""
    project = doc.project
    previous = project.active
    acted_on = project.get_scenario(scenario(project) if callable(scenario) else scenario)  # or a clear error
    switch = acted_on.name != previous
    if switch:
        project.active = acted_on.name
        doc.rebuild()
    before = acted_on.assignment.copy()
    try:
        yield
    finally:
        edit.engine = doc.engine
        after = acted_on.assignment
        if len(after) == len(before):  # (new units replace the assignment wholesale)
            edit.reassigned = np.flatnonzero(after != before)
        if switch and project.active == acted_on.name:
            project.active = previous
            doc.rebuild()


def _refuse_self_import(path: str, source: str | None) -> None:
    if source and os.path.exists(source) and os.path.exists(path) and os.path.samefile(source, path):
        raise InputError("the file to import is the project file itself")


def _refuse_open_elsewhere(path: str) -> None:
    """A project open in the editor (of another process) is changed from its window, not behind it."""
    owner = lock_owner(path)
    if owner and owner.get("pid") != os.getpid():
        raise InputError(f"{path} is open in territory_desk (process {owner.get('pid')} on "
                         f"{owner.get('host')}): change it from that window, or close it first")


# ---- creating a project file --------------------------------------------------------------------
def create_project(path: str, project: Project) -> Project:
    """Write a new project file (``new``, ``demo``), creating its folder when missing."""
    check_project_path(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    save_project(project, path)
    return project


def new_project_from_units(path: str, units_path: str, id_field: str | None = None,
                           name_field: str | None = None, layer: str | None = None,
                           encoding: str | None = None) -> tuple[Project, str]:
    """Create a project file from a polygon layer; returns the project and the import report text.
    ``encoding`` overrides the text encoding chosen for a shapefile without a .cpg."""
    check_project_path(path)
    if os.path.abspath(path) == os.path.abspath(units_path):
        raise InputError("the new project must be a different file from the units file")
    units, report = read_unit_layer(units_path, id_field, name_field, layer, encoding)
    project = Project.from_units(units, settings={"title": os.path.splitext(os.path.basename(path))[0]})
    return create_project(path, project), report.text()


def create_demo(path: str, seed: int = 1) -> Project:
    from territory_desk.services.demo import build_demo_project  # geopandas and scipy: only when asked for

    check_project_path(path)
    return create_project(path, build_demo_project(seed))
