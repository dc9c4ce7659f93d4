"""Refuse XML that declares a DTD before any parser sees it.

A document type declaration is how XML bombs work: internal entities that expand a billion times
("billion laughs") and external entities that pull a local file or a URL into the document (XXE).
None of the XML we read needs one: Office Open XML parts (XLSX) may not contain DTD declarations
(ECMA-376 Part 2, Open Packaging Conventions), and KML, GML and GPX are defined by XML Schema. So
the bytes before the root element (the prolog) are checked, and a ``<!DOCTYPE`` there refuses the
file with one line, whatever parser (openpyxl with defusedxml, GDAL's expat or libkml) would read it
afterwards.
"""
from __future__ import annotations

import codecs
import re
import zipfile
from typing import BinaryIO

from territory_desk.domain.model.errors import InputError

PROLOG_LIMIT = 1 << 20  # a prolog (declaration, comments, processing instructions) longer than this is refused
XML_SUFFIXES = (".xml", ".rels", ".vml")  # the XML parts of an Office Open XML package
_WS = re.compile(r"\s*")
_ROOT = re.compile(r"<([A-Za-z_][\w.-]*)")


class UnsafeXml(InputError):
    """The XML declares a DTD (entities) or has an unreasonably long prolog."""


def prolog_problem(read, limit: int = PROLOG_LIMIT, roots: dict[str, str] | None = None) -> str:
    """'' when the XML read by ``read(n) -> bytes`` starts its root element without a DTD, else why
    not. ``roots`` maps root element names that are refused too to the reason."""
    data = read(8192)
    text, more = _decode(data), bool(data)
    pos = 0
    while True:
        pos = _WS.match(text, pos).end()
        rest = text[pos:pos + 9]
        if rest.upper().startswith(("<!DOCTYPE", "<!ENTITY")):
            return "it declares a DTD (<!DOCTYPE …>), which can expand entities or read other files"
        end = -1
        if rest.startswith("<?"):
            end = text.find("?>", pos + 2) + 2 if "?>" in text[pos + 2:] else -1
        elif rest.startswith("<!--"):
            end = text.find("-->", pos + 4) + 3 if "-->" in text[pos + 4:] else -1
        elif len(rest) >= 9 or not more:  # the root element (or no XML at all: the real parser says so)
            root = _ROOT.match(text, pos)
            return (roots or {}).get(root.group(1), "") if root else ""
        if end >= 0:
            pos = end
            continue
        if not more:
            return ""
        if len(data) > limit:
            return f"its XML prolog is longer than {limit // 1024:,} KiB"
        block = read(65536)
        more = bool(block)
        data += block
        text = _decode(data)


def check_xml_file(path: str, where: str | None = None, roots: dict[str, str] | None = None) -> None:
    with open(path, "rb") as f:
        why = prolog_problem(f.read, roots=roots)
    if why:
        raise UnsafeXml(f"{where or path}: refused: {why}")


def check_zip_members(zf: zipfile.ZipFile, where: str, suffixes: tuple[str, ...] = XML_SUFFIXES,
                      roots: dict[str, str] | None = None) -> None:
    """Check the prolog of every XML member of an archive (an XLSX package, a KMZ, a zipped layer)."""
    for info in zf.infolist():
        if info.is_dir() or not info.filename.lower().endswith(suffixes):
            continue
        with zf.open(info) as member:
            why = prolog_problem(_Reader(member).read, roots=roots)
        if why:
            raise UnsafeXml(f"{where}: refused: {info.filename} {why.removeprefix('it ')}")


class _Reader:
    def __init__(self, f: BinaryIO):
        self.f = f

    def read(self, n: int) -> bytes:
        try:
            return self.f.read(n)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a damaged member: the real reader says so
            raise InputError(f"cannot read the archive member {getattr(self.f, 'name', '')} ({exc})") from None


def _decode(data: bytes) -> str:
    """Prolog text: UTF-16 (with a BOM or the NUL pattern of '<?') or any ASCII-compatible encoding."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data[: len(data) & ~1].decode("utf-16", errors="replace")
    if data.startswith(b"<\x00"):
        return data[: len(data) & ~1].decode("utf-16-le", errors="replace")
    if data.startswith(b"\x00<"):
        return data[: len(data) & ~1].decode("utf-16-be", errors="replace")
    return data.removeprefix(codecs.BOM_UTF8).decode("latin-1")
