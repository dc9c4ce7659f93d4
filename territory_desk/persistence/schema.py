"""The territory_desk tables inside the project GeoPackage: their layout, the schema version and
migrations, and the writing and validated reading of the td_* attribute tables.

Layout (feature layers are readable by GDAL/QGIS; every attribute table has an INTEGER PRIMARY KEY,
as the GeoPackage standard requires):

- ``units``        polygons in their source CRS: fid (= index + 1), geom, unit_id, name, territory and
                   color (of the active scenario, for QGIS), then one REAL/TEXT column per unit column
- ``territories``  the dissolved territories of the active scenario (derived; only a cache on load)
- ``accounts``     points in EPSG:4326: account_id, name, unit_id, then the account columns
- ``td_meta``      key/value text: schema_version, app_version, saved_at, active_scenario, units_crs,
                   work_crs, settings (JSON), units_columns / accounts_columns (JSON: name, kind, column)
- ``td_scenarios`` (ord, name, layer, live)
- ``td_layers``    (ord, name, rule, kind, description): territory layers (territory_layer_tables.py)
- ``td_pins``      (scenario, account_id, territory_id): named-account overrides (territory_layer_tables.py)
- ``td_regions``   (scenario, ord, id, name, parent_id)
- ``td_territories`` (scenario, ord, id, name, color, region_id, rep_id, locked)
- ``td_alignment`` (scenario, unit_id, territory_id NULL = unassigned); ``scenario`` is td_scenarios.ord
- ``td_reps``      (ord, id, name, home_lon, home_lat, home_city, capacity, skills JSON)
- ``td_adjacency`` (i, j, length_m, virtual, line) with unit indices (adjacency_table.py)
- ``td_unit_measures`` (fid, area_m2, perimeter_m) in the working (equal-area) CRS
- ``layer_styles`` QGIS default styles for units and territories
"""
from __future__ import annotations

import json
import sqlite3
from itertools import repeat
from typing import Any, Callable

import numpy as np

from territory_desk.domain.model.errors import InputError, ProjectFileError
from territory_desk.domain.model.reps import Rep
from territory_desk.domain.model.territories import Region, Scenario, Territory
from territory_desk.persistence.values import Damaged, floats, ints, json_value, rows, texts

SCHEMA_VERSION = 2
META_TABLE = "td_meta"

# Attribute tables: name -> (DDL body, description for gpkg_contents).
TD_TABLES: dict[str, tuple[str, str]] = {
    "td_meta": ("fid INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, value TEXT NOT NULL",
                "territory_desk: project settings and format version"),
    "td_scenarios": ("ord INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL UNIQUE, layer TEXT NOT NULL DEFAULT '', "
                     "live INTEGER NOT NULL DEFAULT 0",
                     "territory_desk: scenarios (alternative alignments)"),
    "td_regions": ("fid INTEGER PRIMARY KEY, scenario INTEGER NOT NULL, ord INTEGER NOT NULL, id TEXT NOT NULL, "
                   "name TEXT NOT NULL, parent_id TEXT", "territory_desk: regions per scenario"),
    "td_territories": ("fid INTEGER PRIMARY KEY, scenario INTEGER NOT NULL, ord INTEGER NOT NULL, "
                       "id TEXT NOT NULL, name TEXT NOT NULL, color TEXT NOT NULL, region_id TEXT, rep_id TEXT, "
                       "locked INTEGER NOT NULL", "territory_desk: territories per scenario"),
    "td_alignment": ("fid INTEGER PRIMARY KEY, scenario INTEGER NOT NULL, unit_id TEXT NOT NULL, territory_id TEXT",
                     "territory_desk: territory of every unit per scenario (NULL = unassigned)"),
    "td_reps": ("ord INTEGER NOT NULL PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, home_lon REAL, "
                "home_lat REAL, home_city TEXT NOT NULL, capacity REAL, skills TEXT NOT NULL",
                "territory_desk: sales reps"),
    "td_layers": ("ord INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL UNIQUE, rule TEXT NOT NULL, kind TEXT NOT NULL, "
                  "description TEXT NOT NULL", "territory_desk: territory layers (segments) and their account rules"),
    "td_pins": ("fid INTEGER PRIMARY KEY, scenario INTEGER NOT NULL, account_id TEXT NOT NULL, "
                "territory_id TEXT NOT NULL", "territory_desk: accounts pinned to a territory (named-account overrides)"),
    "td_adjacency": ("fid INTEGER PRIMARY KEY, i INTEGER NOT NULL, j INTEGER NOT NULL, length_m REAL NOT NULL, "
                     "virtual INTEGER NOT NULL, line BLOB",
                     "territory_desk: unit adjacency graph (unit indices, shared border in metres and as WKB "
                     "in the working CRS)"),
    "td_unit_measures": ("fid INTEGER NOT NULL PRIMARY KEY, area_m2 REAL, perimeter_m REAL",
                         "territory_desk: unit area and perimeter in the equal-area working CRS"),
    # CRM activity and KPI snapshots (activity_tables.py); dates in days / seconds since 1970-01-01
    "td_opportunities": ("fid INTEGER PRIMARY KEY, id TEXT NOT NULL, account_id TEXT NOT NULL, amount REAL, "
                         "stage TEXT NOT NULL, status INTEGER NOT NULL, created INTEGER NOT NULL, closed INTEGER, "
                         "owner TEXT NOT NULL", "territory_desk: CRM opportunities (status 0 open, 1 won, 2 lost)"),
    "td_leads": ("fid INTEGER PRIMARY KEY, id TEXT NOT NULL, created INTEGER NOT NULL, response_hours REAL, "
                 "owner TEXT NOT NULL, converted INTEGER NOT NULL, account_id TEXT NOT NULL, lon REAL, lat REAL",
                 "territory_desk: CRM leads"),
    "td_quotas": ("fid INTEGER PRIMARY KEY, rep_id TEXT NOT NULL, territory_id TEXT NOT NULL, period TEXT NOT NULL, "
                  "first_day INTEGER NOT NULL, last_day INTEGER NOT NULL, amount REAL NOT NULL",
                  "territory_desk: quotas per rep or territory and period"),
    "td_kpi_snapshots": ("fid INTEGER PRIMARY KEY, taken_at TEXT NOT NULL, scenario TEXT NOT NULL, period TEXT NOT NULL, "
                         "level TEXT NOT NULL, group_id TEXT NOT NULL, group_name TEXT NOT NULL, kpi TEXT NOT NULL, "
                         "value REAL", "territory_desk: KPI snapshots (reviews over time)"),
}

# Feature layers; fixed columns first (the per-project data columns follow).
UNITS_LAYER, TERRITORIES_LAYER, ACCOUNTS_LAYER = "units", "territories", "accounts"
UNITS_FIXED = [("unit_id", "TEXT NOT NULL"), ("name", "TEXT"), ("territory", "TEXT"), ("color", "TEXT")]
ACCOUNTS_FIXED = [("account_id", "TEXT NOT NULL"), ("name", "TEXT"), ("unit_id", "TEXT")]
TERRITORIES_FIXED = [("territory_id", "TEXT NOT NULL"), ("name", "TEXT"), ("color", "TEXT"),
                     ("region", "TEXT"), ("rep", "TEXT"), ("locked", "BOOLEAN"), ("units", "INTEGER")]
RESERVED_COLUMNS = {"fid", "geom"}

# The columns a load reads from each table (the data columns named in td_meta come on top).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    META_TABLE: ("key", "value"), "td_scenarios": ("ord", "name", "layer", "live"),
    "td_layers": ("ord", "name", "rule", "kind", "description"), "td_pins": ("scenario", "account_id", "territory_id"),
    "td_regions": ("scenario", "ord", "id", "name", "parent_id"),
    "td_territories": ("scenario", "ord", "id", "name", "color", "region_id", "rep_id", "locked"),
    "td_alignment": ("scenario", "unit_id", "territory_id"),
    "td_reps": ("ord", "id", "name", "home_lon", "home_lat", "home_city", "capacity", "skills"),
    "td_adjacency": ("i", "j", "length_m", "virtual", "line"), "td_unit_measures": ("fid", "area_m2", "perimeter_m"),
    UNITS_LAYER: ("fid", "geom", "unit_id", "name"), ACCOUNTS_LAYER: ("fid", "geom", "account_id", "name", "unit_id"),
    "td_opportunities": ("id", "account_id", "amount", "stage", "status", "created", "closed", "owner"),
    "td_leads": ("id", "created", "response_hours", "owner", "converted", "account_id", "lon", "lat"),
    "td_quotas": ("rep_id", "territory_id", "period", "first_day", "last_day", "amount"),
    "td_kpi_snapshots": ("taken_at", "scenario", "period", "level", "group_id", "group_name", "kpi", "value"),
}

Migration = Callable[[sqlite3.Connection], None]
# MIGRATIONS[n] migrates a writable (in-memory copy) connection from schema n to n + 1.
# Add one function per format change, with a fixture file of the old version in the tests.


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Schema 2: scenarios carry a territory layer and a live flag; td_layers and td_pins (and any
    other td_* table a version-2 file has) are created empty."""
    columns = {r[1].casefold() for r in conn.execute("PRAGMA table_info(td_scenarios)")}
    if "layer" not in columns:
        conn.execute("ALTER TABLE td_scenarios ADD COLUMN layer TEXT NOT NULL DEFAULT ''")
    if "live" not in columns:
        conn.execute("ALTER TABLE td_scenarios ADD COLUMN live INTEGER NOT NULL DEFAULT 0")
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for name, (body, _) in TD_TABLES.items():
        if name not in present:
            conn.execute(f"CREATE TABLE {name} ({body})")


MIGRATIONS: dict[int, Migration] = {1: _v1_to_v2}


def check_version(found: int, file_label: str) -> None:
    """Refuse files from a newer territory_desk and nonsense versions, with one clear line."""
    if found > SCHEMA_VERSION:
        raise ProjectFileError(
            f"{file_label} was written by a newer territory_desk (schema {found}); "
            f"this version reads up to {SCHEMA_VERSION}. Update territory_desk to open it.")
    if found < 0:
        raise ProjectFileError(f"{file_label} is damaged: schema version {found} is invalid")


def needs_upgrade(found: int) -> bool:
    return found < SCHEMA_VERSION


def upgrade(conn: sqlite3.Connection, found: int, file_label: str) -> None:
    """Run the migrations found -> SCHEMA_VERSION on a writable connection, step by step."""
    version = found
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ProjectFileError(f"{file_label} uses project schema {version}, which this version cannot "
                                   f"convert (no migration from schema {version} to {version + 1})")
        step(conn)
        version += 1
        conn.execute(f"UPDATE {META_TABLE} SET value = ? WHERE key = 'schema_version'", (str(version),))


# --- writing ---------------------------------------------------------------------------------------

def create_td_tables(conn: sqlite3.Connection, register: Callable[[sqlite3.Connection, str, str], None]) -> None:
    """Create every td_* table and register it with ``register(conn, table, description)``."""
    for name, (body, description) in TD_TABLES.items():
        conn.execute(f"CREATE TABLE {name} ({body})")
        register(conn, name, description)


def write_scenarios(conn: sqlite3.Connection, scenarios: list[Scenario], unit_ids: list[str]) -> None:
    for k, s in enumerate(scenarios):
        conn.execute("INSERT INTO td_scenarios (ord, name, layer, live) VALUES (?, ?, ?, ?)",
                     (k, s.name, s.layer, int(bool(s.live))))
        conn.executemany("INSERT INTO td_regions (scenario, ord, id, name, parent_id) VALUES (?, ?, ?, ?, ?)",
                         [(k, o, r.id, r.name, r.parent_id) for o, r in enumerate(s.regions)])
        conn.executemany("INSERT INTO td_territories (scenario, ord, id, name, color, region_id, rep_id, locked) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [(k, o, t.id, t.name, t.color, t.region_id, t.rep_id,
                                                              int(bool(t.locked))) for o, t in enumerate(s.territories)])
        labels = lookup([t.id for t in s.territories], s.assignment)
        conn.executemany("INSERT INTO td_alignment (scenario, unit_id, territory_id) VALUES (?, ?, ?)",
                         zip(repeat(k), unit_ids, labels))


def write_reps(conn: sqlite3.Connection, reps: list[Rep]) -> None:
    conn.executemany("INSERT INTO td_reps VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
        (k, r.id, r.name, optional_float(r.home_lon), optional_float(r.home_lat), r.home_city or "",
         optional_float(r.capacity), to_json(r.skills, f"the skills of rep {r.id!r}")) for k, r in enumerate(reps)])


def lookup(values: list, index: np.ndarray) -> list:
    """values[index] as a list, with None where index is -1 (unassigned / outside every unit)."""
    table = np.empty(len(values) + 1, dtype=object)
    table[:-1] = values
    table[-1] = None
    return table[np.asarray(index, dtype=np.int64)].tolist()


def sql_floats(a: np.ndarray | None) -> list:
    a = np.asarray(a, dtype=np.float64)
    return np.where(np.isfinite(a), a, np.nan).tolist()  # SQLite stores NaN as NULL


def optional_float(v: Any) -> float | None:
    return None if v is None or not np.isfinite(v) else float(v)


def to_json(value: Any, what: str) -> str:
    """JSON text of settings/skills; numpy scalars and arrays, sets become plain JSON values."""
    def fallback(o: Any) -> Any:
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, (set, frozenset)):
            return sorted(o)
        raise TypeError(f"{type(o).__name__} values are not supported")
    try:
        return json.dumps(value, default=fallback, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what} cannot be saved: {exc}") from None


def column_specs(numeric: dict, text: dict, reserved: list[str]) -> list[dict[str, str]]:
    """Stored column names for data columns: unique (case-insensitively) and clear of ``reserved``.

    Returns [{"name": original name, "kind": "numeric"|"text", "column": column in the layer}].
    """
    used = {r.casefold() for r in reserved} | RESERVED_COLUMNS
    specs = []
    for kind, names in (("numeric", numeric), ("text", text)):
        for name in names:
            base = str(name).replace("\x00", "").strip() or "field"
            column, k = base, 2
            while column.casefold() in used:
                column, k = f"{base}_{k}", k + 1
            used.add(column.casefold())
            specs.append({"name": str(name), "kind": kind, "column": column})
    return specs


# --- validated reading -------------------------------------------------------------------------------

def check_table(conn: sqlite3.Connection, objects: dict[str, tuple[str, str]], table: str) -> set[str]:
    """A plain table (not a view, not virtual, no generated columns) with the columns a load reads.

    ``objects`` maps sqlite_master names to (type, sql). Returns the casefolded column names.
    """
    if table not in objects:
        raise Damaged(f"the {table} table is missing")
    kind, sql = objects[table]
    if kind != "table" or sql.lstrip().upper().startswith("CREATE VIRTUAL"):
        raise Damaged(f"{table} is a {kind if kind != 'table' else 'virtual table'}, not a plain table")
    info = conn.execute(f"PRAGMA table_xinfo(\"{table}\")").fetchall()
    if any(row[6] not in (0, 1) for row in info):  # 2, 3: generated columns (they would run SQL)
        raise Damaged(f"{table} has generated columns")
    present = {row[1].casefold() for row in info}
    missing = [c for c in REQUIRED_COLUMNS.get(table, ()) if c.casefold() not in present]
    if missing:
        raise Damaged(f"{table} lacks the column {missing[0]!r}")
    return present


def parse_column_specs(value: object, what: str, present: set[str], table: str) -> list[dict[str, str]]:
    """The data columns listed in td_meta; each must be a real column of ``table``.

    (SQLite would take a double-quoted name that is no column for a string literal.)
    """
    specs = json_value(value, what, list)
    for s in specs:
        if not (isinstance(s, dict) and set(s) == {"name", "kind", "column"}
                and all(type(v) is str for v in s.values()) and s["kind"] in ("numeric", "text")):
            raise Damaged(f"{what} has an entry that is not a column description")
        if s["column"].casefold() not in present or s["column"].casefold() in RESERVED_COLUMNS:
            raise Damaged(f"{what} names the column {s['column']!r}, which {table} lacks")
    if len({s["name"] for s in specs}) != len(specs) or len({s["column"].casefold() for s in specs}) != len(specs):
        raise Damaged(f"{what} names a column twice")
    return specs


def read_reps(conn: sqlite3.Connection) -> list[Rep]:
    _, rid, name, lon, lat, city, capacity, skills = rows(
        conn, "SELECT ord, id, name, home_lon, home_lat, home_city, capacity, skills FROM td_reps ORDER BY ord", 8)
    rid, name, city = texts(rid, "td_reps.id"), texts(name, "td_reps.name"), texts(city, "td_reps.home_city")
    lon, lat = floats(lon, "td_reps.home_lon"), floats(lat, "td_reps.home_lat")
    off = (np.abs(lon) > 180) | (np.abs(lat) > 90)  # NaN (no home) compares False
    if off.any():
        k = int(np.argmax(off))
        raise Damaged(f"td_reps gives rep {rid[k]!r} the home ({lon[k]:.6g}, {lat[k]:.6g}), outside longitude ±180 / "
                      "latitude ±90")
    capacity = floats(capacity, "td_reps.capacity")
    return [Rep(id=rid[k], name=name[k], home_lon=None if np.isnan(lon[k]) else float(lon[k]),
                home_lat=None if np.isnan(lat[k]) else float(lat[k]), home_city=city[k], capacity=float(capacity[k]),
                skills=json_value(skills[k], f"the skills of rep {rid[k]!r}", dict)) for k in range(len(rid))]


def read_scenarios(conn: sqlite3.Connection, index_of: dict[str, int], n: int) -> list[Scenario]:
    """Scenarios with their regions, territories and assignment (unit ids mapped through index_of)."""
    ordinal, names, layers, live = rows(conn, "SELECT ord, name, layer, live FROM td_scenarios ORDER BY ord", 4)
    ordinal, names = ints(ordinal, "td_scenarios.ord", 0, 1 << 31), texts(names, "td_scenarios.name")
    layers, live = texts(layers, "td_scenarios.layer"), ints(live, "td_scenarios.live", 0, 2).tolist()
    if not names or len(set(names)) != len(names):
        raise Damaged("td_scenarios is empty or has a name twice")
    if ordinal.tolist() != list(range(len(names))):  # td_pins and freeform_territories count on it
        raise Damaged(f"td_scenarios.ord is not 0, 1, 2, … (it holds {', '.join(map(str, ordinal[:6].tolist()))})")
    slot = {int(o): k for k, o in enumerate(ordinal)}

    def scenario_of(values: tuple, table: str) -> list[int]:
        try:
            return [slot[s] for s in ints(values, f"{table}.scenario", 0, 1 << 31).tolist()]
        except KeyError as exc:
            raise Damaged(f"{table} refers to scenario {exc.args[0]}, which is not in td_scenarios") from None

    regions: list[list[Region]] = [[] for _ in names]
    sc, _, rid, rname, parent = rows(conn, "SELECT scenario, ord, id, name, parent_id FROM td_regions "
                                           "ORDER BY scenario, ord", 5)
    for k, a, b, c in zip(scenario_of(sc, "td_regions"), texts(rid, "td_regions.id"),
                          texts(rname, "td_regions.name"), texts(parent, "td_regions.parent_id", nullable=True)):
        regions[k].append(Region(a, b, c))
    territories: list[list[Territory]] = [[] for _ in names]
    sc, _, tid, tname, color, region, rep, locked = rows(
        conn, "SELECT scenario, ord, id, name, color, region_id, rep_id, locked FROM td_territories "
              "ORDER BY scenario, ord", 8)
    for k, a, b, c, d, e, f in zip(scenario_of(sc, "td_territories"), texts(tid, "td_territories.id"),
                                   texts(tname, "td_territories.name"), texts(color, "td_territories.color"),
                                   texts(region, "td_territories.region_id", nullable=True),
                                   texts(rep, "td_territories.rep_id", nullable=True),
                                   ints(locked, "td_territories.locked", 0, 2).tolist()):
        territories[k].append(Territory(a, b, c, d, e, bool(f)))
    position = {(k, t.id): x for k, ts in enumerate(territories) for x, t in enumerate(ts)}
    if len(position) != sum(map(len, territories)):
        raise Damaged("a scenario has two territories with the same id")
    sc, uid, tid = rows(conn, "SELECT scenario, unit_id, territory_id FROM td_alignment", 3)
    k_of = np.array(scenario_of(sc, "td_alignment"), dtype=np.int64)
    uid, tid = texts(uid, "td_alignment.unit_id"), texts(tid, "td_alignment.territory_id", nullable=True)
    try:
        u_idx = np.array([index_of[u] for u in uid], dtype=np.int64)
    except KeyError as exc:
        raise Damaged(f"td_alignment names unit {exc.args[0]!r}, which is not in units") from None
    try:
        t_idx = np.array([-1 if t is None else position[(k, t)] for k, t in zip(k_of.tolist(), tid)], dtype=np.int64)
    except KeyError as exc:
        k, t = exc.args[0]
        raise Damaged(f"td_alignment names territory {t!r}, which scenario {names[k]!r} lacks") from None
    if len(u_idx) and np.bincount(k_of * n + u_idx).max() > 1:
        raise Damaged("td_alignment assigns a unit twice in one scenario")
    covered = np.bincount(k_of, minlength=len(names))
    if (covered != n).any():  # with no unit twice: some unit has no row (it would silently be unassigned)
        k = int(np.argmax(covered != n))
        raise Damaged(f"td_alignment has rows for {covered[k]} of the {n} units in scenario {names[k]!r}")
    assignment = np.full((len(names), n), -1, dtype=np.int64)
    assignment[k_of, u_idx] = t_idx
    return [Scenario(names[k], territories[k], regions[k], assignment[k], layer=layers[k], live=bool(live[k]))
            for k in range(len(names))]
