"""The files territory_desk writes besides the project (exports, reports, assigned leads, the
recovery and lock files): checked before any work is done, written beside the target and renamed
over it once complete, so that a failure never leaves half a file, and never written over the
project file itself.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator

from territory_desk.domain.model.errors import InputError


def check_output(path: str, project_path: str | None = None) -> None:
    """Refuse, with one line, an output file that could not be written or would replace the project."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError(f"{path}: the folder {folder} does not exist")
    if os.path.isdir(path):
        raise InputError(f"{path} is a folder")
    if project_path and os.path.exists(path) and os.path.exists(project_path) and os.path.samefile(path, project_path):
        raise InputError(f"{path} is the project file: choose another output file")


@contextlib.contextmanager
def replaced_when_written(path: str, durable: bool = False) -> Iterator[str]:
    """A temporary file beside ``path`` (with its extension, for writers that judge a file by its
    name) to write into; it replaces ``path`` when the block ends without an error, and is removed
    otherwise. ``durable``: flushed to the disk before the rename (files a crash must not lose)."""
    folder, name = os.path.split(os.path.abspath(path))
    stem, ext = os.path.splitext(name)
    tmp = os.path.join(folder, f".{stem}.{os.getpid()}-{secrets.token_hex(3)}.tmp{ext}")
    try:
        yield tmp
        if not os.path.exists(tmp):
            raise InputError(f"{path}: nothing was written")
        if durable:
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)


def write_text(path: str, text: str, project_path: str | None = None, durable: bool = False) -> None:
    """Write a UTF-8 text file (line ends as they are in ``text``) whole or not at all."""
    check_output(path, project_path)
    with replaced_when_written(path, durable) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
