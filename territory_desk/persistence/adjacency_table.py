"""td_adjacency: the unit adjacency graph (unit indices i < j, shared length in metres, virtual flag,
shared border as WKB in the working CRS). Written in the save transaction; read with the same
validation as the other tables, plus the exact repairs of ``domain.adjacency.tidy_edges``: rows
listing a pair in reverse are turned round and rows repeating an earlier row exactly are dropped,
each with a one-line note (3 million duplicate rows once made one move take minutes)."""
from __future__ import annotations

import sqlite3

import numpy as np
import shapely
import shapely.errors

from ..domain.adjacency import Adjacency, tidy_edges
from ..domain.errors import InputError
from .schema import sql_floats
from .values import Damaged, floats, ints, rows


def write_adjacency(conn: sqlite3.Connection, adj: Adjacency) -> None:
    if adj.lines is not None and len(adj.lines) == adj.edge_count:
        empty = shapely.is_empty(adj.lines) | shapely.is_missing(adj.lines)
        wkb = shapely.to_wkb(np.where(empty, None, adj.lines)).tolist()
    else:
        wkb = [None] * adj.edge_count
    conn.executemany("INSERT INTO td_adjacency (i, j, length_m, virtual, line) VALUES (?, ?, ?, ?, ?)", zip(
        adj.i.tolist(), adj.j.tolist(), sql_floats(adj.length), adj.virtual.astype(int).tolist(), wkb))


def read_adjacency(conn: sqlite3.Connection, unit_ids: list[str], notes: list[str]) -> Adjacency:
    """The graph, validated and tidied; a repair appends one line to ``notes``."""
    n = len(unit_ids)
    i, j, length, virtual, line = rows(conn, "SELECT i, j, length_m, virtual, line FROM td_adjacency ORDER BY rowid", 5)
    if any(v is not None and type(v) is not bytes for v in line):
        raise Damaged("td_adjacency.line holds something other than WKB")
    i, j = ints(i, "td_adjacency.i", 0, n), ints(j, "td_adjacency.j", 0, n)
    length = floats(length, "td_adjacency.length_m")
    virtual = ints(virtual, "td_adjacency.virtual", 0, 2).astype(bool)
    blobs = np.array(line, dtype=object)
    try:
        tidy = tidy_edges(n, i, j, length, virtual, agree=blobs, ids=unit_ids, what="td_adjacency")
    except InputError as exc:
        raise Damaged(str(exc)) from None
    if tidy.duplicates or tidy.reversed:
        notes.append(_note(len(i), tidy.duplicates, tidy.reversed))
    keep = tidy.keep
    if len(keep) < len(i):
        blobs, length, virtual = blobs[keep], length[keep], virtual[keep]
    try:
        with np.errstate(all="ignore"):
            lines = shapely.from_wkb(blobs)
    except shapely.errors.GEOSException:
        raise Damaged("td_adjacency.line holds invalid WKB") from None
    present = ~shapely.is_missing(lines)
    if len(lines) and not np.isin(shapely.get_type_id(lines[present]), (1, 5)).all():
        raise Damaged("td_adjacency.line holds a geometry that is not a line")
    if present.any() and not np.isfinite(shapely.get_coordinates(lines[present])).all():
        raise Damaged("td_adjacency.line holds a border with a coordinate that is not a finite number")
    lines = np.where(present, lines, shapely.LineString())
    return Adjacency(n=n, i=tidy.i, j=tidy.j, length=length, virtual=virtual, lines=lines)


def _note(rows_read: int, duplicates: int, turned: int) -> str:
    parts = []
    if duplicates:
        parts.append(f"dropped {duplicates:,} of {rows_read:,} rows that repeat an earlier row exactly "
                     "(same two units, shared length and border)")
    if turned:
        parts.append(f"turned round {turned:,} rows that list their two units in reverse order")
    return f"td_adjacency: {' and '.join(parts)}; saving writes the repaired graph"
