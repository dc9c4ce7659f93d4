"""Conditions on table rows, written the way a planner would type them, evaluated vectorised.

Used by segment rules (which accounts belong to the Enterprise layer) and lead routing rules.

Grammar (case-insensitive keywords)::

    expr    := term ("or" term)*
    term    := factor ("and" factor)*
    factor  := "not" factor | "(" expr ")" | compare
    compare := FIELD OP value | FIELD "in" "(" value ("," value)* ")" | FIELD "is" ["not"] "empty"
    OP      := = == != <> < <= > >= contains startswith
    value   := NUMBER | "text" | 'text' | bare-word

Examples: ``employees >= 1000``, ``industry in ("Healthcare", "Finance") and state != TX``,
``not (name contains "test")``, ``segment is empty``. Text comparisons ignore case; a missing or
blank value never satisfies a comparison (``is empty`` tests for it). A field name with spaces is
written in backquotes: ```annual revenue` > 5e6``.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from territory_desk.domain.model.errors import InputError

_TOKEN = re.compile(r"""\s*(?:
    (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<quoted>`[^`]+`)
  | (?P<op>==|!=|<>|<=|>=|=|<|>|\(|\)|,)
  | (?P<word>[^\s=!<>(),"'`]+)
)""", re.VERBOSE)
_COMPARE_WORDS = {"contains", "startswith"}
_KEYWORDS = {"and", "or", "not", "in", "is", "empty"} | _COMPARE_WORDS
Value = Union[float, str]
Column = Union[Sequence[Any], np.ndarray]  # a numeric array, or a list (or object array) of text


@dataclass(frozen=True)
class Compare:
    field: str
    op: str  # = != < <= > >= contains startswith in empty
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Logic:
    op: str  # and | or | not
    parts: tuple["Node", ...]


Node = Union[Compare, Logic]


@dataclass(frozen=True)
class Condition:
    """A parsed condition; ``text`` is what the user wrote (stored in projects as is)."""

    text: str
    node: Node | None  # None: always true (empty text)

    @classmethod
    def parse(cls, text: str) -> "Condition":
        text = (text or "").strip()
        return cls(text, _Parser(text).parse() if text else None)

    def fields(self) -> set[str]:
        out: set[str] = set()
        _collect(self.node, out)
        return out

    def evaluate(self, columns: Mapping[str, Column], n: int) -> np.ndarray:
        """Boolean mask over ``n`` rows; ``columns`` maps field name -> numeric array or list of text.

        Field names match case-insensitively; an unknown field raises InputError naming it.
        """
        if self.node is None:
            return np.ones(n, dtype=bool)
        lookup = {k.casefold(): k for k in columns}
        return _eval(self.node, columns, lookup, n, {})

    def __str__(self) -> str:
        return self.text


def _collect(node: Node | None, out: set[str]) -> None:
    if isinstance(node, Compare):
        out.add(node.field)
    elif isinstance(node, Logic):
        for p in node.parts:
            _collect(p, out)


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise InputError(f"cannot read the condition {text!r} at {text[pos:].strip()[:20]!r}")
            kind = m.lastgroup or "word"
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise InputError(f"the condition {self.text!r} ends too early")
        self.i += 1
        return tok

    def word_is(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == "word" and tok[1].casefold() in words

    def parse(self) -> Node:
        node = self.expr()
        rest = self.peek()
        if rest is not None:
            raise InputError(f"unexpected {rest[1]!r} in the condition {self.text!r}")
        return node

    def expr(self) -> Node:
        parts = [self.term()]
        while self.word_is("or"):
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else Logic("or", tuple(parts))

    def term(self) -> Node:
        parts = [self.factor()]
        while self.word_is("and"):
            self.take()
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else Logic("and", tuple(parts))

    def factor(self) -> Node:
        if self.word_is("not"):
            self.take()
            return Logic("not", (self.factor(),))
        if self.peek() == ("op", "("):
            self.take()
            node = self.expr()
            self.expect(")")
            return node
        return self.compare()

    def expect(self, op: str) -> None:
        tok = self.take()
        if tok != ("op", op):
            raise InputError(f"expected {op!r} but found {tok[1]!r} in the condition {self.text!r}")

    def compare(self) -> Node:
        kind, tok = self.take()
        if kind == "quoted":
            field = tok[1:-1]
        elif kind == "word" and tok.casefold() not in _KEYWORDS:
            field = tok
        else:
            raise InputError(f"expected a field name but found {tok!r} in the condition {self.text!r}")
        if self.word_is("is"):
            self.take()
            negate = self.word_is("not") and bool(self.take())
            if not self.word_is("empty"):
                raise InputError(f"write '{field} is empty' or '{field} is not empty' in {self.text!r}")
            self.take()
            node = Compare(field, "empty", ())
            return Logic("not", (node,)) if negate else node
        if self.word_is("in"):
            self.take()
            self.expect("(")
            values = [self.value()]
            while self.peek() == ("op", ","):
                self.take()
                values.append(self.value())
            self.expect(")")
            return Compare(field, "in", tuple(values))
        kind, op = self.take()
        if kind == "word" and op.casefold() in _COMPARE_WORDS:
            op = op.casefold()
        elif kind != "op" or op in "(),":
            raise InputError(f"expected a comparison after {field!r} in the condition {self.text!r}")
        op = {"==": "=", "<>": "!="}.get(op, op)
        return Compare(field, op, (self.value(),))

    def value(self) -> Value:
        kind, tok = self.take()
        if kind == "num":
            return float(tok)
        if kind == "str":
            return re.sub(r"\\(.)", r"\1", tok[1:-1])
        if kind in ("word", "quoted"):
            return tok.strip("`")
        raise InputError(f"expected a value but found {tok!r} in the condition {self.text!r}")


class _Col:
    """One column seen as numbers and as folded text; each view is built on first use."""

    def __init__(self, raw, n: int, field: str):
        self.raw, self.n = raw, n
        self.is_numeric = isinstance(raw, np.ndarray) and raw.dtype.kind in "fiub"
        if len(raw) != n:
            raise InputError(f"column {field!r} has {len(raw)} values for {n} rows")
        self._num: np.ndarray | None = None
        self._text: np.ndarray | None = None

    @property
    def num(self) -> np.ndarray:
        if self._num is None:
            if self.is_numeric:
                self._num = self.raw.astype(np.float64)
            else:
                import pandas as pd  # vectorised text -> number (blank and words -> NaN)
                cleaned = pd.Series(self.text, dtype=object).str.replace(",", "", regex=False)
                self._num = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=np.float64)
        return self._num

    @property
    def text(self) -> np.ndarray:
        if self._text is None:
            if self.is_numeric:
                self._text = np.array(["" if not np.isfinite(v) else f"{v:g}" for v in self.num.tolist()],
                                      dtype=object)
            else:
                self._text = np.array([("" if v is None else str(v)).strip().casefold() for v in self.raw],
                                      dtype=object)
        return self._text

    @property
    def present(self) -> np.ndarray:
        return np.isfinite(self.num) if self.is_numeric else self.text != ""


def _column(field: str, columns: Mapping[str, Column], lookup: dict[str, str], n: int, cache: dict) -> _Col:
    if field not in cache:
        key = field if field in columns else lookup.get(field.casefold())
        if key is None:
            known = ", ".join(sorted(columns)) or "none"
            raise InputError(f"the condition names {field!r}, which is not a column (columns: {known})")
        cache[field] = _Col(columns[key], n, field)
    return cache[field]


def _eval(node: Node, columns, lookup, n: int, cache: dict) -> np.ndarray:
    if isinstance(node, Logic):
        masks = [_eval(p, columns, lookup, n, cache) for p in node.parts]
        if node.op == "not":
            return ~masks[0]
        return np.logical_and.reduce(masks) if node.op == "and" else np.logical_or.reduce(masks)
    col = _column(node.field, columns, lookup, n, cache)
    if node.op == "empty":
        return ~col.present
    if node.op in ("<", "<=", ">", ">="):
        v = node.values[0]
        if isinstance(v, str):
            try:
                v = float(v)
            except ValueError:
                raise InputError(f"{node.field} {node.op} needs a number, not {v!r}") from None
        num = col.num
        with np.errstate(invalid="ignore"):
            cmp = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}[node.op]
            return cmp(num, v) & np.isfinite(num)
    if node.op in ("=", "!=", "in"):
        hit = np.zeros(n, dtype=bool)
        for v in node.values:
            number = v if isinstance(v, float) else _as_number(v)
            if number is not None:
                hit |= col.num == number
            if isinstance(v, str) and (not col.is_numeric or number is None):
                hit |= col.text == v.casefold()
        return (~hit & col.present) if node.op == "!=" else hit
    v = node.values[0]
    needle = f"{v:g}" if isinstance(v, float) else v.casefold()
    text = col.text.tolist()
    if node.op == "contains":
        return np.fromiter((needle in t for t in text), dtype=bool, count=n) & col.present
    return np.fromiter((t.startswith(needle) for t in text), dtype=bool, count=n) & col.present


def _as_number(v: str) -> float | None:
    try:
        return float(v)
    except ValueError:
        return None
