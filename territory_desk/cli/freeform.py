"""CLI command `freeform`: territories drawn as polygons instead of sets of units.

    territory-desk freeform P.gpkg --new-scenario "Drawn"                  # a freeform scenario, made active
    territory-desk freeform P.gpkg --draw "North" --wkt "POLYGON((lon lat, ...))"
    territory-desk freeform P.gpkg --from-units "Boston Area" [--source Base]
    territory-desk freeform P.gpkg --clip "North" --by "South"             # fix an overlap
    territory-desk freeform P.gpkg --check                                 # overlaps and gaps (exit 1 if any)

Edits are saved to the project file (atomically); `stats` and `export` work on freeform scenarios.
"""
from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> dict:
    """Add this area's subcommands; return {name: function(args) -> exit code}."""
    s = sub.add_parser("freeform", help="territories drawn as polygons: new scenario, draw, from units, clip, check",
                       description="Freeform territories: polygons drawn on the map instead of sets of units. "
                                   "Accounts inside a polygon count in its territory.")
    s.add_argument("project", metavar="PROJECT.gpkg")
    s.add_argument("--scenario", metavar="NAME", help="the freeform scenario to edit (default: the active one)")
    what = s.add_mutually_exclusive_group(required=True)
    what.add_argument("--new-scenario", metavar="NAME", help="create an empty freeform scenario and make it active")
    what.add_argument("--draw", metavar="TERRITORY", help="draw a territory (new, or redrawn if one has this name) "
                                                          "with the polygon of --wkt")
    what.add_argument("--from-units", metavar="TERRITORY",
                      help="a freeform territory with the outline of a unit territory (of --source)")
    what.add_argument("--clip", metavar="TERRITORY", help="cut from this territory what it shares with --by")
    what.add_argument("--check", action="store_true",
                      help="report overlaps and accounts in no territory (exit 1 when there are any)")
    s.add_argument("--wkt", metavar="WKT", help="with --draw: POLYGON or MULTIPOLYGON in longitude/latitude")
    s.add_argument("--source", metavar="SCENARIO", help="with --from-units: the unit scenario (default: the active "
                                                         "one, else the live plan)")
    s.add_argument("--by", metavar="TERRITORY", help="with --clip: the neighbour that keeps the overlap")
    s.add_argument("--layer", metavar="NAME", default="Freeform",
                   help="with --new-scenario: the freeform territory layer (created when missing; default Freeform)")
    s.add_argument("--rule", metavar="CONDITION", default="",
                   help="with --new-scenario and a new layer: which accounts the layer takes (default: all left)")
    return {"freeform": _cmd_freeform}


def _cmd_freeform(a) -> int:
    from territory_desk.domain.model.errors import InputError
    from territory_desk.domain.editing.freeform import ClipByNeighbour
    from territory_desk.domain.model.territory_layers import layer_account_mask
    from territory_desk.services import freeform as ff
    from territory_desk.services.project_files import open_document, save_document

    for flag, needs in (("wkt", "draw"), ("source", "from_units"), ("by", "clip")):
        if getattr(a, flag) and not getattr(a, needs):
            raise InputError(f"--{flag.replace('_', '-')} goes with --{needs.replace('_', '-')}")
    doc = open_document(a.project)
    project = doc.project
    if a.new_scenario:
        ff.new_freeform_scenario(doc, a.new_scenario, a.layer, a.rule)
        save_document(doc)
        sc = project.scenario
        n = int(layer_account_mask(project, sc.layer).sum())
        print(f"created freeform scenario {sc.name!r} in layer {sc.layer!r} ({n:,} of {len(project.accounts):,} "
              f"accounts count in it); it is now the active scenario")
        return 0
    target = ff.freeform_target(project, a.scenario)
    if a.check:
        lines = ff.freeform_problems(project, target)
        for line in lines:
            print(line)
        if not lines:
            print(f"no overlaps or gaps in scenario {target.name!r}")
        return 1 if lines else 0
    source = ff.unit_source(project, a.source) if a.from_units else None
    active = project.active
    project.active = target.name
    doc.rebuild()
    if a.draw:
        if not a.wkt:
            raise InputError("--draw needs --wkt \"POLYGON((lon lat, ...))\"")
        _, new = ff.draw_territory(doc, a.draw, ff.lonlat_shape(project, a.wkt))
        message = f"{'drew new' if new else 'redrew'} territory {a.draw!r}"
    elif a.from_units:
        ff.territory_from_units(doc, source, a.from_units)
        message = f"territory {a.from_units!r} drawn from the units of scenario {source.name!r}"
    else:
        if not a.by:
            raise InputError("--clip needs --by TERRITORY")
        clip, by = target.territories[target.territory_index(a.clip)], target.territories[target.territory_index(a.by)]
        ClipByNeighbour(clip.id, by.id).redo(doc)
        message = f"clipped {clip.name!r} by {by.name!r}"
    project.active = active
    save_document(doc)
    stats = doc.engine.stats()
    acc = stats.fields.index("accounts") if "accounts" in stats.fields else None
    counts = "" if acc is None else "; accounts: " + ", ".join(
        f"{t.name} {int(stats.value[i, acc]):,}" for i, t in enumerate(target.territories))
    print(f"{message} in scenario {target.name!r}{counts}")
    return 0
