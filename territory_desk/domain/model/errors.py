"""Errors a user can see. Each carries one clear line of text; the CLI prints it and exits non-zero."""


class TerritoryDeskError(Exception):
    """Base for every error that is reported to the user as one line (never a traceback)."""


class ProjectFileError(TerritoryDeskError):
    """The file is not a territory_desk project, is damaged, or comes from a newer version."""


class InputError(TerritoryDeskError):
    """Bad input data or arguments (unknown unit id, unknown territory, unreadable layer...)."""


class LockedError(TerritoryDeskError):
    """An edit touched a locked territory."""


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (its type's name when it has none): what a library's
    error (SQLite, GDAL, GEOS) contributes to a one-line report."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
