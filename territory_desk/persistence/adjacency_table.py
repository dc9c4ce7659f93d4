"""td_adjacency: the unit adjacency graph (unit indices i < j, shared length in metres, virtual flag,
shared border as WKB in the working CRS). Written in the save transaction; read with the same
validation as the other tables, plus the exact repairs of ``domain.edge_rows.EdgeRows``: rows
listing a pair in reverse are turned round, and rows repeating an earlier row exactly (same two
units, length, virtual flag and border) are dropped, each with a one-line note.

3 million duplicate rows once made one move take minutes (and 730 MB). The table is read in
chunks, tidied as they come; each distinct edge's border is kept once and every repeat's border
compared with it, so memory stays near what the distinct graph needs.
"""
from __future__ import annotations

import sqlite3

import numpy as np
import shapely
import shapely.errors

from territory_desk.domain.model.adjacency import Adjacency
from territory_desk.domain.model.edge_rows import EdgeRows
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.magnitudes import BOUND, MAX_MAGNITUDE
from territory_desk.persistence.schema import sql_floats
from territory_desk.persistence.values import Damaged, floats, ints

_CHUNK = 65_536
_TABLE = "td_adjacency"


def write_adjacency(conn: sqlite3.Connection, adj: Adjacency) -> None:
    if adj.lines is not None and len(adj.lines) == adj.edge_count:
        lines = adj.lines.copy()
        lines[shapely.is_empty(lines) | shapely.is_missing(lines)] = None
        wkb = shapely.to_wkb(lines).tolist()
    else:
        wkb = [None] * adj.edge_count
    conn.executemany(f"INSERT INTO {_TABLE} (i, j, length_m, virtual, line) VALUES (?, ?, ?, ?, ?)", zip(
        adj.i.tolist(), adj.j.tolist(), sql_floats(adj.length), adj.virtual.astype(int).tolist(), wkb))


def read_adjacency(conn: sqlite3.Connection, unit_ids: list[str], notes: list[str]) -> Adjacency:
    """The graph, validated and tidied; a repair appends one line to ``notes``."""
    n = len(unit_ids)
    edges = EdgeRows(n, ids=unit_ids, what=_TABLE)
    borders: list = []  # the border blob of each distinct edge, in edge order
    cursor = conn.execute(f"SELECT i, j, length_m, virtual, line FROM {_TABLE} ORDER BY rowid")
    while batch := cursor.fetchmany(_CHUNK):
        ci, cj, cl, cv, blobs = zip(*batch)
        if any(b is not None and type(b) is not bytes for b in blobs):
            raise Damaged(f"{_TABLE}.line holds something other than WKB")
        first_row = edges.rows
        try:
            edge, first = edges.add(ints(ci, f"{_TABLE}.i", 0, n), ints(cj, f"{_TABLE}.j", 0, n),
                                    floats(cl, f"{_TABLE}.length_m", first_row=first_row + 1),
                                    ints(cv, f"{_TABLE}.virtual", 0, 2).astype(bool))
        except InputError as exc:
            raise Damaged(str(exc)) from None
        if first.all():
            borders.extend(blobs)
            continue
        for r in np.flatnonzero(first).tolist():
            borders.append(blobs[r])
        for r in np.flatnonzero(~first).tolist():  # a repeat must give its edge's border too
            if blobs[r] != borders[edge[r]]:
                raise Damaged(f"{_TABLE} row {first_row + r + 1} repeats an earlier row's two units and length "
                              "but gives them a different border")
    tidy = edges.finish()
    if tidy.duplicates or tidy.reversed:
        notes.append(_note(tidy.rows, tidy.duplicates, tidy.reversed))
    blob_array = np.empty(len(borders), dtype=object)
    blob_array[:] = borders
    try:
        lines = shapely.from_wkb(blob_array)
    except shapely.errors.GEOSException:
        raise Damaged(f"{_TABLE}.line holds invalid WKB") from None
    present = ~(shapely.is_missing(lines) | shapely.is_empty(lines))
    if len(lines) and not np.isin(shapely.get_type_id(lines[present]), (1, 5)).all():
        raise Damaged(f"{_TABLE}.line holds a geometry that is not a line")
    if not (np.isfinite(shapely.length(lines[present])).all()  # a NaN or infinite vertex anywhere shows
            and (np.abs(shapely.bounds(lines[present])) <= MAX_MAGNITUDE).all()):
        raise Damaged(f"{_TABLE}.line holds a border with a coordinate that is not a finite number within {BOUND}")
    lines = np.where(present, lines, shapely.LineString())
    return Adjacency(n=n, i=tidy.i, j=tidy.j, length=tidy.length, virtual=tidy.virtual, lines=lines)


def _note(rows_read: int, duplicates: int, turned: int) -> str:
    parts = []
    if duplicates:
        parts.append(f"dropped {duplicates:,} of {rows_read:,} rows that repeat an earlier row exactly "
                     "(same two units, shared length and border)")
    if turned:
        parts.append(f"turned round {turned:,} rows that list their two units in reverse order")
    return f"{_TABLE}: {' and '.join(parts)}; saving writes the repaired graph"
