"""The bytes of a CSV/TSV file as a stream of checked UTF-8, one megabyte at a time.

Nothing here holds the whole file: ``TextStream`` reads blocks, cuts them at the last newline and
hands complete lines on (to pandas' C parser or to the csv module), so a 50 MB file that is one line
without a newline is refused after the first ``line`` limit's worth of bytes, in milliseconds.

What the stream does to every block, in order:

* UTF-16 (with a BOM, or without one, recognised by its NUL bytes) is transcoded to UTF-8.
* The first line ``sep=;`` that Excel writes and reads is dropped (the head chose the delimiter).
* A CR that is not part of CR LF (old Mac line ends) becomes LF, as every CSV reader takes it.
* Line lengths are checked against the ``line`` limit (and the longest line is remembered, so the
  reader knows whether a cell could exceed the ``field`` limit).
* Quotes are counted per line: a newline after an odd number of quotes is inside a quoted cell.
  When that happens the reader looks at the multi-line cells (a stray quote swallows whole rows),
  and a row that would grow beyond the ``line`` limit hands the file to the exact reader.
* NUL bytes are removed (their lines are remembered for the report).
* Encoding, per line: a line that is valid UTF-8 is UTF-8, otherwise Windows-1252 (Latin-1 for the
  five bytes Windows-1252 leaves undefined). Blocks that are plain ASCII or valid UTF-8 pass
  untouched; only blocks with other bytes are looked at line by line. The lines that were read
  differently from the file's encoding are listed in the import report.

Line indices are 0-based over the lines after a ``sep=`` line; ``line_offset`` converts them to the
file's line numbers.
"""
from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass, field

import numpy as np

from territory_desk.io.tables.limits import LimitExceeded, ReadLimits, format_size

CHUNK = 1 << 20
KEEP_INDICES = 100_000  # line indices remembered per kind (counts are exact beyond)
_BARE_CR = re.compile(rb"\r(?!\n)")
UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


class NeedExactReader(Exception):
    """The quote counting suggests a row longer than the line limit: only the exact reader can tell
    a long quoted cell from a stray quote."""


@dataclass
class Head:
    """What the first megabyte says about the whole file."""

    codec: str  # "utf-8", "cp1252", "utf-16-le" or "utf-16-be"
    label: str  # for the report: "UTF-8", "UTF-8 with BOM", "UTF-16", "Windows-1252", ...
    bom: int = 0  # bytes to skip
    delimiter: str = ","
    sep_line: bool = False  # the file starts with Excel's "sep=;" line
    notes: list[str] = field(default_factory=list)

    @property
    def line_offset(self) -> int:
        """File line number of line index 0."""
        return 2 if self.sep_line else 1


@dataclass
class StreamFacts:
    """What the stream saw; complete once it has been read to the end."""

    lines: int = 0  # physical lines fed (after a sep= line)
    longest_line: int = 0  # bytes
    multiline: bool = False  # some newline lies inside quotes (by counting quotes)
    nul_bytes: int = 0
    nul_lines: list[int] = field(default_factory=list)
    other_lines: list[int] = field(default_factory=list)  # lines read as Windows-1252 (UTF-8 file) or UTF-8 (cp1252)
    other_count: int = 0
    latin1_lines: list[int] = field(default_factory=list)
    latin1_count: int = 0
    main_seen: bool = False  # a non-ASCII line in the file's own encoding
    first_other: int = -1
    eof: bool = False


class TextStream(io.RawIOBase):
    """A readable binary stream of the file's rows as UTF-8 (see the module docstring)."""

    def __init__(self, path: str, head: Head, limits: ReadLimits):
        super().__init__()
        self.path, self.head, self.limits = path, head, limits
        self.facts = StreamFacts()
        self._pieces = self._generate()
        self._buf = memoryview(b"")
        self._in_quotes = False
        self._open_row = 0  # bytes of the row that continues past the last piece (quote counting)
        self.exact = False  # the exact reader measures rows itself

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not len(self._buf):
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._buf = memoryview(piece)
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def text_lines(self):
        """The rows as text lines (for the csv module), newline characters kept."""
        return io.TextIOWrapper(self, encoding="utf-8", newline="")

    # ---- the pipeline ---------------------------------------------------------------------------
    def _generate(self):
        head, limit = self.head, self.limits.line
        decoder = codecs.getincrementaldecoder(head.codec)("replace") if head.codec.startswith("utf-16") else None
        carry = held = b""
        first = True
        with open(self.path, "rb") as f:
            f.seek(head.bom)
            while True:
                block = f.read(CHUNK)
                eof = not block
                if decoder is not None:
                    block = decoder.decode(block, final=eof).encode("utf-8", "replace")
                if first and head.sep_line:
                    nl = block.find(b"\n")
                    block = block[nl + 1:] if nl >= 0 else b""
                first = False
                if held:
                    block, held = held + block, b""
                if block.endswith(b"\r") and not eof:
                    block, held = block[:-1], b"\r"  # the \r of a \r\n cut by the block boundary
                if b"\r" in block and block.count(b"\r") != block.count(b"\r\n"):
                    block = _BARE_CR.sub(b"\n", block)  # old Mac line ends, stray CRs: line ends
                data = carry + block if carry else block
                if eof:
                    piece, carry = data, b""
                else:
                    cut = data.rfind(b"\n") + 1
                    piece, carry = data[:cut], data[cut:]
                    if len(carry) > limit:
                        self._too_long(self.facts.lines + piece.count(b"\n"))
                if piece:
                    yield self._process(piece)
                if eof:
                    self.facts.eof = True
                    return

    def _too_long(self, index: int):
        raise LimitExceeded(self.path, f"line {index + self.head.line_offset:,} is longer than "
                                       f"{format_size(self.limits.line)}", "line", self.limits.line)

    def _process(self, piece: bytes) -> bytes:
        facts, base = self.facts, self.facts.lines
        arr = np.frombuffer(piece, dtype=np.uint8)
        nl = np.flatnonzero(arr == 10)
        ends = np.append(nl, len(piece)) if not len(nl) or nl[-1] != len(piece) - 1 else nl
        lengths = np.diff(ends, prepend=-1) - 1
        longest = int(lengths.max())
        if longest > self.limits.line:
            self._too_long(base + int(lengths.argmax()))
        facts.longest_line = max(facts.longest_line, longest)
        self._count_quotes(arr, nl, len(piece))
        facts.lines += len(ends) if piece[-1:] != b"\n" else len(nl)
        if b"\x00" in piece:
            piece = self._drop_nuls(piece, base)
        return self._decode(piece, base)

    def _count_quotes(self, arr: np.ndarray, nl: np.ndarray, size: int) -> None:
        q = np.flatnonzero(arr == 34)
        if not len(q) and not self._in_quotes:
            self._open_row = size - (int(nl[-1]) + 1) if len(nl) else self._open_row + size
            return
        per_line = np.bincount(np.searchsorted(nl, q), minlength=len(nl) + 1)
        inside = ((np.cumsum(per_line[:len(nl)]) + self._in_quotes) & 1).astype(bool)
        if inside.any():
            self.facts.multiline = True
            bounds = nl[~inside]
            rows = np.diff(bounds, prepend=-1) if len(bounds) else np.zeros(0, dtype=np.int64)
            first = self._open_row + (int(bounds[0]) + 1 if len(bounds) else size)
            if not self.exact and (first > self.limits.line or
                                   (len(rows) > 1 and int(rows[1:].max()) > self.limits.line)):
                raise NeedExactReader()
        self._in_quotes = bool(inside[-1]) if len(inside) else self._in_quotes ^ bool(per_line[0] & 1)
        last_bound = int(nl[~inside][-1]) if len(nl) and (~inside).any() else -1
        self._open_row = size - (last_bound + 1) if last_bound >= 0 else self._open_row + size

    def _drop_nuls(self, piece: bytes, base: int) -> bytes:
        facts = self.facts
        pos = piece.find(b"\x00")
        line = base + piece.count(b"\n", 0, pos)
        while pos >= 0:
            if not facts.nul_lines or facts.nul_lines[-1] != line:
                if len(facts.nul_lines) < KEEP_INDICES:
                    facts.nul_lines.append(line)
            nxt = piece.find(b"\x00", pos + 1)
            if nxt >= 0:
                line += piece.count(b"\n", pos, nxt)
            pos = nxt
        facts.nul_bytes += piece.count(b"\x00")
        return piece.replace(b"\x00", b"")

    def _decode(self, piece: bytes, base: int) -> bytes:
        if piece.isascii():
            return piece
        facts = self.facts
        if self.head.codec == "cp1252":
            if not UTF8_SEQUENCE.search(piece):
                try:
                    out = piece.decode("cp1252").encode("utf-8")
                    facts.main_seen = True
                    return out
                except UnicodeDecodeError:
                    pass
        elif self.head.codec == "utf-8" or self.head.codec.startswith("utf-16"):
            try:
                piece.decode("utf-8")
                facts.main_seen = True
                return piece
            except UnicodeDecodeError:
                pass
        return self._decode_lines(piece, base)

    def _decode_lines(self, piece: bytes, base: int) -> bytes:
        """Decide every non-ASCII line on its own: UTF-8 if it is valid UTF-8, else Windows-1252."""
        facts = self.facts
        utf8_file = self.head.codec != "cp1252"
        lines = piece.split(b"\n")
        for k, line in enumerate(lines):
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                is_utf8 = True
            except UnicodeDecodeError:
                is_utf8 = False
            if is_utf8 == utf8_file:
                facts.main_seen = True
            else:
                facts.other_count += 1
                if facts.first_other < 0:
                    facts.first_other = base + k
                if len(facts.other_lines) < KEEP_INDICES:
                    facts.other_lines.append(base + k)
            if not is_utf8:
                try:
                    text = line.decode("cp1252")
                except UnicodeDecodeError:
                    text = line.decode("latin-1")
                    facts.latin1_count += 1
                    if len(facts.latin1_lines) < KEEP_INDICES:
                        facts.latin1_lines.append(base + k)
                lines[k] = text.encode("utf-8")
        return b"\n".join(lines)
