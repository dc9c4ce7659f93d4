"""The text encoding of a shapefile's attribute table (.dbf): what GDAL should decode it with.

A shapefile says its encoding in a ``.cpg`` file beside it (GDAL reads it). Many have none: the
Census boundary files, old county files, exports of tools that predate the .cpg. GDAL then
assumes ISO-8859-1, and UTF-8 text comes out as mojibake ("DoÃ±a Ana"). Without a .cpg we read the
.dbf's bytes and decide, as for CSV files (io/tables):

1. text that is valid UTF-8 is UTF-8 (Windows-1252 text with accents is almost never valid UTF-8);
2. otherwise the code page the dBase header names (its language driver id), when it names one;
3. otherwise Windows-1252, or Latin-1 when a byte is one of the five Windows-1252 leaves undefined.

The choice is one line of the import report; the user can override it (``--encoding`` on ``new`` and
``import-units``, "Text encoding" in the editor's unit import dialog). Other formats (GeoJSON,
GeoPackage, KML) are UTF-8 by their specifications and have nothing to choose.
"""
from __future__ import annotations

import codecs
import contextlib
import os
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from territory_desk.domain.model.errors import InputError

CHUNK = 4 * 1024 * 1024
CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
# dBase language driver ids (byte 29 of the header) and their code pages, as ESRI and GDAL read them
LANGUAGE_DRIVERS = {
    0x01: "cp437", 0x02: "cp850", 0x03: "cp1252", 0x08: "cp865", 0x09: "cp437", 0x0A: "cp850", 0x0B: "cp437",
    0x0D: "cp437", 0x0E: "cp850", 0x0F: "cp437", 0x10: "cp850", 0x11: "cp437", 0x12: "cp850", 0x13: "cp932",
    0x14: "cp850", 0x15: "cp437", 0x16: "cp850", 0x17: "cp865", 0x18: "cp437", 0x19: "cp437", 0x1A: "cp850",
    0x1B: "cp437", 0x1C: "cp863", 0x1D: "cp850", 0x1F: "cp852", 0x22: "cp852", 0x23: "cp852", 0x24: "cp860",
    0x25: "cp850", 0x26: "cp866", 0x37: "cp850", 0x40: "cp852", 0x4D: "cp936", 0x4E: "cp949", 0x4F: "cp950",
    0x50: "cp874", 0x57: "cp1252", 0x58: "cp1252", 0x59: "cp1252", 0x64: "cp852", 0x65: "cp866",
    0x66: "cp865", 0x67: "cp861", 0x6A: "cp737", 0x6B: "cp857", 0x6C: "cp863", 0x78: "cp950", 0x79: "cp949",
    0x7A: "cp936", 0x7B: "cp932", 0x7C: "cp874", 0x7D: "cp1255", 0x7E: "cp1256", 0x86: "cp737",
    0x87: "cp852", 0x88: "cp857", 0xC8: "cp1250", 0xC9: "cp1251", 0xCA: "cp1254", 0xCB: "cp1253",
    0xCC: "cp1257",
}
OVERRIDE_HINT = "override with --encoding, or Text encoding in the import dialog"


@dataclass(frozen=True)
class TextEncoding:
    encoding: str | None  # what GDAL decodes the .dbf with; None: GDAL's own reading (a .cpg, or not a shapefile)
    note: str  # one line for the import report ("" when there is no .dbf)


def encoding_name(name: str) -> str:
    """A codec name Python and GDAL both know ("UTF-8", "CP1252", "ISO-8859-1", ...); unknown names
    raise InputError."""
    try:
        info = codecs.lookup(name.strip())
    except (LookupError, AttributeError):
        raise InputError(f"unknown text encoding {name!r} (e.g. UTF-8, cp1252, latin-1, cp850)") from None
    return {"utf-8": "UTF-8", "cp1252": "CP1252", "latin-1": "ISO-8859-1", "iso8859-1": "ISO-8859-1"}.get(
        info.name, info.name.upper())


def choose_encoding(path: str, layer: str | None = None, override: str | None = None) -> TextEncoding:
    """How to decode the attribute text of ``path`` (a .shp, a folder of shapefiles, a .zip, or any
    other GIS file) for ``layer``."""
    source = dbf_source(path, layer)
    if override:
        name = encoding_name(override)
        if source is None:
            raise InputError(f"{path}: a text encoding applies to shapefiles (.dbf); this file's text is UTF-8")
        return TextEncoding(name, f"text read as {name}, as chosen")
    if source is None:
        return TextEncoding(None, "")
    if source.cpg is not None:
        return TextEncoding(None, f"text read as {source.cpg or 'the encoding'}, as its .cpg file says")
    with source.open() as fh:
        return detect(fh)


def text_preview(path: str, layer: str | None = None, override: str | None = None,
                 count: int = 4) -> tuple[TextEncoding, list[str]] | None:
    """(the encoding chosen for ``layer``, up to ``count`` of its texts that are not plain ASCII, decoded
    with it): what the unit import dialog shows beside its Text encoding box. None for other files."""
    source = dbf_source(path, layer)
    if source is None:
        return None
    chosen = choose_encoding(path, layer, override)
    codec = chosen.encoding or _cpg_codec(source.cpg)
    with source.open() as fh:
        head = fh.read(32)
        if len(head) < 32:
            return chosen, []
        records, header_len, record_len = struct.unpack("<IHH", head[4:12])
        fields = _char_fields(fh.read(max(header_len - 32, 0)))
        found: list[str] = []
        per_chunk = max(1, CHUNK // max(record_len, 1))
        while records > 0 and record_len > 0 and len(found) < count:
            chunk = fh.read(min(per_chunk, records) * record_len)
            n = len(chunk) // record_len
            if n == 0:
                break
            records -= n
            rows = np.frombuffer(chunk[: n * record_len], dtype=np.uint8).reshape(n, record_len)
            for offset, length in fields:
                col = rows[:, offset:offset + length]
                for r in np.flatnonzero((col >= 0x80).any(axis=1)).tolist():
                    text = bytes(col[r]).rstrip(b" \x00").decode(codec, errors="replace")
                    if text not in found and len(found) < count:
                        found.append(text)
    return chosen, found


def _cpg_codec(cpg: str | None) -> str:
    """The Python codec of a .cpg's text ("UTF-8", "1252", "65001", "ANSI 1252"); Latin-1 when unknown,
    as GDAL reads a shapefile it cannot tell."""
    text = (cpg or "").strip().upper().replace("ANSI ", "")
    if text.isdigit():
        text = "utf-8" if text == "65001" else f"cp{text}"
    try:
        return codecs.lookup(text).name
    except LookupError:
        return "latin-1"


def detect(fh: BinaryIO) -> TextEncoding:
    """The encoding of a .dbf without a .cpg, from its bytes (see the module docstring)."""
    head = fh.read(32)
    if len(head) < 32:
        return TextEncoding(None, "")
    records, header_len, record_len = struct.unpack("<IHH", head[4:12])
    descriptors = fh.read(max(header_len - 32, 0))
    scan = _Scan(_char_fields(descriptors), record_len)
    scan.feed(b"".join(d[:11].rstrip(b"\x00") for d in _descriptor_list(descriptors)))
    per_chunk = max(1, CHUNK // max(record_len, 1))
    left = records
    while left > 0 and record_len > 0:
        chunk = fh.read(min(per_chunk, left) * record_len)
        n = len(chunk) // record_len
        if n == 0:
            break
        scan.feed_records(chunk[: n * record_len])
        left -= n
    if not scan.high:
        return TextEncoding("UTF-8", "the shapefile has no .cpg; its text is plain ASCII")
    if scan.utf8:
        return TextEncoding("UTF-8", f"the shapefile has no .cpg; its text is valid UTF-8 and was read as UTF-8 "
                                     f"({OVERRIDE_HINT})")
    page = LANGUAGE_DRIVERS.get(head[29])
    if page:
        name = encoding_name(page)
        return TextEncoding(name, f"the shapefile has no .cpg and its text is not UTF-8: read as {name}, the code "
                                  f"page its dBase header names ({OVERRIDE_HINT})")
    name = "ISO-8859-1" if scan.cp1252_undefined else "CP1252"
    return TextEncoding(name, f"the shapefile has no .cpg and its text is not UTF-8: read as "
                              f"{'Latin-1' if scan.cp1252_undefined else 'Windows-1252'} ({OVERRIDE_HINT})")


def _descriptor_list(descriptors: bytes) -> list[bytes]:
    out = []
    for k in range(0, len(descriptors) - 31, 32):
        d = descriptors[k:k + 32]
        if d[0] == 0x0D:
            break
        out.append(d)
    return out


def _char_fields(descriptors: bytes) -> list[tuple[int, int]]:
    """(offset in the record, length) of the character fields (after the deletion flag byte)."""
    out, offset = [], 1
    for d in _descriptor_list(descriptors):
        length = d[16]
        if d[11:12] in (b"C", b"c"):
            out.append((offset, length))
        offset += length
    return out


class _Scan:
    """Fed the field names and whole records: any byte >= 0x80? all text valid UTF-8? a byte
    Windows-1252 leaves undefined? A UTF-8 character cut at the end of a field (writers that cut text
    to the field width in bytes do that) still counts as UTF-8."""

    def __init__(self, fields: list[tuple[int, int]], record_len: int):
        self.fields, self.record_len = fields, record_len
        self.high = False
        self.utf8 = True
        self.cp1252_undefined = False

    def _bytes(self, data: bytes) -> bool:
        """Note what ``data`` holds; True when it has bytes >= 0x80."""
        arr = np.frombuffer(data, dtype=np.uint8)
        if not len(arr) or arr.max() < 0x80:
            return False
        self.high = True
        if not self.cp1252_undefined:
            self.cp1252_undefined = bool(np.isin(arr, list(CP1252_UNDEFINED)).any())
        return True

    def feed(self, data: bytes) -> None:
        if self._bytes(data) and self.utf8:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                self.utf8 = False

    def feed_records(self, chunk: bytes) -> None:
        if not self._bytes(chunk) or not self.utf8:
            return
        try:
            chunk.decode("utf-8")
            return
        except UnicodeDecodeError:
            pass
        rows = np.frombuffer(chunk, dtype=np.uint8).reshape(-1, self.record_len)
        for offset, length in self.fields:
            col = rows[:, offset:offset + length]
            for r in np.flatnonzero((col >= 0x80).any(axis=1)).tolist():
                try:  # final=False: an incomplete character at the end of the field is no error
                    codecs.getincrementaldecoder("utf-8")().decode(bytes(col[r]).rstrip(b" \x00"), False)
                except UnicodeDecodeError:
                    self.utf8 = False
                    return


@dataclass(frozen=True)
class DbfSource:
    """Where a layer's .dbf is: a file, or a member of a ZIP; and the text of its .cpg (None: none)."""
    path: str
    member: str | None
    cpg: str | None

    @contextlib.contextmanager
    def open(self) -> Iterator[BinaryIO]:
        if self.member is None:
            with open(self.path, "rb") as fh:
                yield fh
            return
        with zipfile.ZipFile(self.path) as zf, zf.open(self.member) as fh:
            yield fh  # type: ignore[misc]


def dbf_source(path: str, layer: str | None = None) -> DbfSource | None:
    """The .dbf of ``layer`` in ``path`` (a .shp or .dbf, a folder of shapefiles, a .zip of them);
    None for other files, or a shapefile without a .dbf."""
    if os.path.isdir(path):
        return _in_folder(path, os.listdir(path), layer)
    low = path.lower()
    if low.endswith((".shp", ".dbf")):
        folder, base = os.path.split(os.path.abspath(path))
        return _in_folder(folder, os.listdir(folder), os.path.splitext(base)[0])
    if low.endswith((".kmz", ".gpkg")) or not zipfile.is_zipfile(path):
        return None
    with zipfile.ZipFile(path) as zf:
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
        member = _pick(names, layer)
        if member is None:
            return None
        cpg = _sibling(names, member, ".cpg")
        return DbfSource(path, member, zf.read(cpg)[:64].decode("ascii", "replace").strip() if cpg else None)


def _in_folder(folder: str, names: list[str], layer: str | None) -> DbfSource | None:
    dbf = _pick(names, layer)
    if dbf is None:
        return None
    cpg = _sibling(names, dbf, ".cpg")
    text = None
    if cpg:
        with open(os.path.join(folder, cpg), "rb") as fh:
            text = fh.read(64).decode("ascii", "replace").strip()
    return DbfSource(os.path.join(folder, dbf), None, text)


def _pick(names: list[str], layer: str | None) -> str | None:
    """The .dbf of ``layer`` among file names (a folder's, a ZIP's); without a layer, the first
    shapefile's, as GDAL reads it."""
    def stem(n: str) -> str:
        return os.path.splitext(n)[0].lower()

    dbfs = sorted(n for n in names if n.lower().endswith(".dbf"))
    if layer is not None:
        dbfs = [n for n in dbfs if os.path.basename(stem(n)) == layer.lower()]
    else:
        shps = sorted(stem(n) for n in names if n.lower().endswith(".shp"))
        dbfs = [n for n in dbfs if shps and stem(n) == shps[0]] or dbfs[:1]
    return dbfs[0] if dbfs else None


def _sibling(names: list[str], name: str, ext: str) -> str | None:
    want = os.path.splitext(name)[0].lower() + ext
    return next((n for n in names if n.lower() == want), None)
