"""Opening, creating and saving projects: the use cases the CLI and the GUI share."""
from __future__ import annotations

import os

from territory_desk.domain.editing.document import Document
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.project import Project


def check_project_path(path: str) -> None:
    if not path.lower().endswith(".gpkg"):
        raise InputError(f"{path}: project files end in .gpkg (GeoPackage)")


def open_document(path: str) -> Document:
    from territory_desk.persistence.store import load_project

    return Document(load_project(path), path)


def save_document(doc: Document, path: str | None = None) -> str:
    from territory_desk.persistence.store import save_project

    target = path or doc.path
    if not target:
        raise InputError("the project has no file name yet")
    check_project_path(target)
    save_project(doc.project, target)
    doc.path = target
    return target


def new_project_from_units(path: str, units_path: str, id_field: str | None = None,
                           name_field: str | None = None, layer: str | None = None) -> tuple[Project, str]:
    """Create a project file from a polygon layer; returns the project and the import report text."""
    from territory_desk.io.unit_files import read_unit_layer
    from territory_desk.persistence.store import save_project

    check_project_path(path)
    if os.path.abspath(path) == os.path.abspath(units_path):
        raise InputError("the new project must be a different file from the units file")
    units, report = read_unit_layer(units_path, id_field, name_field, layer)
    project = Project.from_units(units, settings={"title": os.path.splitext(os.path.basename(path))[0]})
    save_project(project, path)
    return project, report.text()


def create_demo(path: str, seed: int = 1) -> Project:
    from territory_desk.persistence.store import save_project
    from territory_desk.services.demo import build_demo_project

    check_project_path(path)
    project = build_demo_project(seed)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    save_project(project, path)
    return project
