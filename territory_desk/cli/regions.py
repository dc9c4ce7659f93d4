"""CLI command: regions (the sales hierarchy). Registered by territory_desk.cli.

`territory-desk regions PROJECT` prints the hierarchy of a scenario: areas, regions and the
territories under them, each with its units and accounts rolled up. With edit options it changes the
hierarchy and saves the project atomically (all edits of one call or none):

  --add NAME [--parent P]     a new region (id R01, R02…), under P or at the top level
  --rename R NEW              rename a region
  --parent R P|none           put region R under P, or at the top level (cycles are refused)
  --assign T[,T...] --to R    put territories into region R (none: into no region)
  --delete R                  delete a region; its territories and regions move to its parent
  --level-names A,B,C         name the levels, territories first ("" for the default names)

Several edits in one call run in the order above. Regions and territories are given by id or by
name (case-insensitive).
"""
from __future__ import annotations

import argparse
import json

from territory_desk.cli.options import add_project_argument, split_list
from territory_desk.domain.model.errors import InputError

EXAMPLES = """examples:
  territory-desk regions demo.gpkg
  territory-desk regions demo.gpkg --add East --parent none
  territory-desk regions demo.gpkg --parent Northeast East
  territory-desk regions demo.gpkg --assign T01,"Boston Area" --to Northeast
  territory-desk regions demo.gpkg --level-names Territory,Region,Area
  territory-desk regions demo.gpkg --scenario "Plan B" --format json"""

TOP = ("none", "top", "(top level)")


def register(sub: argparse._SubParsersAction) -> dict:
    s = sub.add_parser("regions", help="show or edit the sales hierarchy (regions, areas above them, "
                                       "the region of each territory, the level names)",
                       description=__doc__.split("\n\n", 1)[1], epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_project_argument(s)
    s.add_argument("--scenario", metavar="NAME", help="the scenario to show or edit (default: the active one)")
    s.add_argument("--add", metavar="NAME", help="add a region (under --parent P, else at the top level)")
    s.add_argument("--parent", nargs="+", action="append", metavar="ARG",
                   help="R P|none puts region R under P (none: at the top level), repeatable; with one value "
                        "and --add: the new region's parent")
    s.add_argument("--rename", nargs=2, metavar=("R", "NEW"), help="rename region R")
    s.add_argument("--delete", metavar="R", help="delete region R (its territories and regions move to its parent)")
    s.add_argument("--assign", metavar="T[,T...]", help="territories to put into the region given by --to")
    s.add_argument("--to", metavar="R", help="with --assign: the region (none: no region)")
    s.add_argument("--level-names", metavar="NAME[,NAME...]",
                   help="names of the hierarchy levels, territories first (e.g. Territory,Region,Area); "
                        "'' restores the defaults")
    s.add_argument("--format", choices=["table", "json"], default="table", help="how to print the hierarchy")
    return {"regions": _cmd_regions}


def _region_or_top(scenario, key: str) -> str | None:
    from territory_desk.domain.editing.regions import find_region

    return None if key.strip().casefold() in TOP else find_region(scenario, key).id


def _where(scenario, region_id: str | None, top: str = "the top level") -> str:
    return top if scenario.region(region_id) is None else repr(scenario.region(region_id).name)


def _edits(a) -> list:
    """The edits asked for, in the order they run: functions of the scenario returning (command,
    message), called one after the other so that a later edit can name a region an earlier one added."""
    from territory_desk.domain.editing.regions import (
        AddRegion, DeleteRegion, MoveTerritories, RenameRegion, SetLevelNames, SetRegionParent, find_region,
    )

    if a.to is not None and a.assign is None:
        raise InputError("--to goes with --assign T[,T...]")
    if a.assign is not None and a.to is None:
        raise InputError("--assign needs --to REGION (or --to none)")
    moves = [p for p in a.parent or [] if len(p) == 2]
    new_parent = [p[0] for p in a.parent or [] if len(p) == 1]
    if any(len(p) > 2 for p in a.parent or []) or len(new_parent) > (a.add is not None):
        raise InputError("--parent takes REGION PARENT|none, or one value (PARENT) once after --add NAME")

    def add(scenario):
        parent = _region_or_top(scenario, new_parent[0] if new_parent else "none")
        cmd = AddRegion(a.add, parent)
        where = "at the top level" if parent is None else f"under {_where(scenario, parent)}"
        return cmd, lambda: f"added region {a.add.strip()!r} ({cmd.region_id}) {where}"

    def rename(scenario):
        r = find_region(scenario, a.rename[0])
        old = r.name
        return RenameRegion(r.id, a.rename[1]), lambda: f"renamed region {old!r} ({r.id}) to {r.name!r}"

    def parent(scenario, region_key: str, parent_key: str):
        r, p = find_region(scenario, region_key), _region_or_top(scenario, parent_key)
        return SetRegionParent(r.id, p), lambda: f"moved region {r.name!r} ({r.id}) to {_where(scenario, p)}"

    def assign(scenario):
        keys = split_list(a.assign)
        if not keys:
            raise InputError("--assign needs at least one territory id or name")
        idx = sorted({scenario.territory_index(k) for k in keys})
        r = _region_or_top(scenario, a.to)
        n = len(idx)
        return MoveTerritories(idx, r), lambda: (f"put {n} territor{'y' if n == 1 else 'ies'} into "
                                                 f"{_where(scenario, r, 'no region')}")

    def delete(scenario):
        r = find_region(scenario, a.delete)
        up = _where(scenario, r.parent_id)
        return DeleteRegion(r.id), lambda: f"deleted region {r.name!r} ({r.id}); what it held moved to {up}"

    def names(scenario):
        cmd = SetLevelNames(a.level_names.split(",") if a.level_names.strip() else [])
        return cmd, lambda: "level names: " + (", ".join(cmd.names) if cmd.names else "the defaults")

    chosen = [(a.add, add), (a.rename, rename)]
    chosen += [(m, lambda scenario, m=m: parent(scenario, *m)) for m in moves]
    chosen += [(a.assign, assign), (a.delete, delete), (a.level_names, names)]
    return [fn for value, fn in chosen if value is not None]


def _cmd_regions(a) -> int:
    from territory_desk.persistence.reader import load_project
    from territory_desk.services.project_files import check_project_path, edit_project

    check_project_path(a.project)
    edits = _edits(a)
    if not edits:
        project = load_project(a.project)
        scenario = project.get_scenario(a.scenario)
        print(json.dumps(tree_dict(project, scenario), indent=2) if a.format == "json"
              else tree_table(project, scenario))
        return 0
    messages: list[str] = []
    done: list = []  # the message of the edit that ran last, told once it has run

    def step(edit):
        def build(doc):  # the commands act on the active scenario: edit_project makes it --scenario
            messages.extend(m() for m in done)
            done.clear()
            cmd, message = edit(doc.scenario)
            done.append(message)
            return cmd
        return build

    edit_project(a.project, *[step(e) for e in edits], scenario=a.scenario)  # all edits or none
    messages.extend(m() for m in done)
    for m in messages:
        print(m)
    print(f"saved {a.project}")
    return 0


# ---- the hierarchy as a tree ----------------------------------------------------------------------
def tree_dict(project, scenario) -> dict:
    """The hierarchy of ``scenario``: nested regions, territories at the leaves, regions before
    territories under each parent, each node with its units and accounts (regions: rolled up).
    Territories in no region sit in a last node of kind "none"."""
    from territory_desk.domain.stats.hierarchy import NO_REGION, ancestors, level_names
    from territory_desk.domain.stats.metrics import metric_fields
    from territory_desk.services.reports import scenario_stats

    stats = scenario_stats(project, scenario)
    acc_key = next((f.key for f in metric_fields(project) if f.source == "account_count"), None)
    acc = stats.value[:, stats.field_index(acc_key)] if acc_key in stats.fields else stats.units * 0
    below: dict[str, list[int]] = {r.id: [] for r in scenario.regions}
    for t, terr in enumerate(scenario.territories):
        for r in ancestors(scenario, terr):
            below[r.id].append(t)

    def totals(ts) -> dict:
        return {"units": int(sum(int(stats.units[t]) for t in ts)), "accounts": int(sum(int(acc[t]) for t in ts))}

    def terr_node(t: int) -> dict:
        terr = scenario.territories[t]
        return {"kind": "territory", "id": terr.id, "name": terr.name, **totals([t])}

    shown: set[str] = set()

    def region_node(r) -> dict:
        shown.add(r.id)
        kids = [region_node(c) for c in scenario.regions if c.parent_id == r.id and c.id not in shown]
        kids += [terr_node(t) for t, terr in enumerate(scenario.territories) if terr.region_id == r.id]
        return {"kind": "region", "id": r.id, "name": r.name, "parent": r.parent_id, **totals(below[r.id]),
                "children": kids}

    def is_root(r) -> bool:  # at the top, or in a damaged cycle (shown at the top, like the editor does)
        return scenario.region(r.parent_id) is None or not scenario.reaches_top(r.id)

    nodes = [region_node(r) for r in scenario.regions if r.id not in shown and is_root(r)]
    nodes += [region_node(r) for r in scenario.regions if r.id not in shown]
    loose = [t for t, terr in enumerate(scenario.territories) if scenario.region(terr.region_id) is None]
    if loose:
        nodes.append({"kind": "none", "id": None, "name": NO_REGION, **totals(loose),
                      "children": [terr_node(t) for t in loose]})
    return {"scenario": scenario.name, "levels": level_names(project, scenario),
            "regions": len(scenario.regions), "territories": len(scenario.territories), "tree": nodes}


def tree_table(project, scenario) -> str:
    d = tree_dict(project, scenario)
    rows: list[tuple[str, int, int]] = []

    def walk(node: dict, indent: int) -> None:
        label = node["name"] if node["kind"] == "none" else f"{node['name']} ({node['id']})"
        rows.append(("  " * indent + label, node["units"], node["accounts"]))
        for c in node.get("children", []):
            walk(c, indent + 1)

    for node in d["tree"]:
        walk(node, 0)
    width = max([len(r[0]) for r in rows] + [9])
    head = (f"scenario {d['scenario']!r}: {d['regions']} region(s), {d['territories']} territories; "
            f"levels: {' < '.join(d['levels'])}")
    lines = [head, f"{'hierarchy':<{width}}  {'units':>8}  {'accounts':>8}"]
    lines += [f"{label:<{width}}  {u:>8,}  {n:>8,}" for label, u, n in rows]
    return "\n".join(lines)
