"""td_layers and td_pins: the project's territory layers (segments) and the named-account pins of
every scenario. Written in the save transaction, read with the same validation as the rest."""
from __future__ import annotations

import sqlite3

from territory_desk.domain.model.territory_layers import LAYER_KINDS, TerritoryLayer
from territory_desk.domain.model.territories import Scenario
from territory_desk.persistence.values import Damaged, ints, rows, texts


def write_layers(conn: sqlite3.Connection, layers: list[TerritoryLayer]) -> None:
    conn.executemany("INSERT INTO td_layers (ord, name, rule, kind, description) VALUES (?, ?, ?, ?, ?)",
                     [(k, l.name, l.rule, l.kind, l.description) for k, l in enumerate(layers)])


def write_pins(conn: sqlite3.Connection, scenarios: list[Scenario]) -> None:
    conn.executemany("INSERT INTO td_pins (scenario, account_id, territory_id) VALUES (?, ?, ?)",
                     [(k, a, t) for k, s in enumerate(scenarios) for a, t in s.pins.items()])


def read_layers(conn: sqlite3.Connection) -> list[TerritoryLayer]:
    _, name, rule, kind, desc = rows(conn, "SELECT ord, name, rule, kind, description FROM td_layers ORDER BY ord", 5)
    layers = [TerritoryLayer(n, r, k, d) for n, r, k, d in zip(
        texts(name, "td_layers.name"), texts(rule, "td_layers.rule"), texts(kind, "td_layers.kind"),
        texts(desc, "td_layers.description"))]
    for layer in layers:
        if layer.kind not in LAYER_KINDS:
            raise Damaged(f"td_layers: layer {layer.name!r} has the unknown kind {layer.kind!r}")
    return layers


def read_pins(conn: sqlite3.Connection, scenarios: list[Scenario]) -> None:
    """Fill each scenario's pins (td_pins.scenario is the td_scenarios ord = list position)."""
    sc, acc, terr = rows(conn, "SELECT scenario, account_id, territory_id FROM td_pins ORDER BY fid", 3)
    for k, a, t in zip(ints(sc, "td_pins.scenario", 0, len(scenarios)).tolist(), texts(acc, "td_pins.account_id"),
                       texts(terr, "td_pins.territory_id")):
        if a in scenarios[k].pins:
            raise Damaged(f"td_pins pins account {a!r} twice in scenario {scenarios[k].name!r}")
        scenarios[k].pins[a] = t
