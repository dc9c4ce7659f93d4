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

from territory_desk.cli.options import add_project_argument
from territory_desk.domain.model.errors import InputError


def register(sub: argparse._SubParsersAction) -> dict:
    """Add this area's subcommands; return {name: function(args) -> exit code}."""
    s = sub.add_parser("freeform", help="territories drawn as polygons: new scenario, draw, from units, clip, check",
                       description="Freeform territories: polygons drawn on the map instead of sets of units. "
                                   "Accounts inside a polygon count in its territory.")
    add_project_argument(s)
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
    from territory_desk.domain.editing.freeform import AddFreeformScenario
    from territory_desk.domain.model.territory_layers import layer_account_mask
    from territory_desk.services.project_files import edit_project

    for flag, needs in (("wkt", "draw"), ("source", "from_units"), ("by", "clip")):
        if getattr(a, flag) and not getattr(a, needs):
            raise InputError(f"--{flag.replace('_', '-')} goes with --{needs.replace('_', '-')}")
    if a.draw and not a.wkt:
        raise InputError("--draw needs --wkt \"POLYGON((lon lat, ...))\"")
    if a.clip and not a.by:
        raise InputError("--clip needs --by TERRITORY")
    if a.check:
        return _check(a)
    if a.new_scenario:
        project = edit_project(a.project, AddFreeformScenario(a.new_scenario, a.layer, a.rule)).project
        sc = project.scenario
        n = int(layer_account_mask(project, sc.layer).sum())
        print(f"created freeform scenario {sc.name!r} in layer {sc.layer!r} ({n:,} of {len(project.accounts):,} "
              f"accounts count in it); it is now the active scenario")
        return 0
    shaping = _Shaping(a)
    edit = edit_project(a.project, shaping.command, scenario=shaping.target)
    stats, target = edit.engine.stats(), shaping.scenario
    acc = stats.fields.index("accounts") if "accounts" in stats.fields else None
    counts = "" if acc is None else "; accounts: " + ", ".join(
        f"{t.name} {int(stats.value[i, acc]):,}" for i, t in enumerate(target.territories))
    print(f"{shaping.message} in scenario {target.name!r}{counts}")
    return 0


def _check(a) -> int:
    from territory_desk.persistence.reader import load_project
    from territory_desk.services import freeform as ff

    project = load_project(a.project)
    target = ff.freeform_target(project, a.scenario)
    lines = ff.freeform_problems(project, target)
    for line in lines:
        print(line)
    if not lines:
        print(f"no overlaps or gaps in scenario {target.name!r}")
    return 1 if lines else 0


class _Shaping:
    """--draw, --from-units or --clip: the freeform scenario edited (``target``, chosen from the
    project as it was opened), the command (``command``, built when that scenario is active) and what
    it did (``message``)."""

    def __init__(self, a) -> None:
        self.a = a
        self.scenario = self.source = None
        self.message = ""

    def target(self, project) -> str:
        from territory_desk.services import freeform as ff

        # the unit source before the freeform target becomes active (the default source is the active one)
        self.source = ff.unit_source(project, self.a.source) if self.a.from_units else None
        self.scenario = ff.freeform_target(project, self.a.scenario)
        return self.scenario.name

    def command(self, doc):
        from territory_desk.domain.editing.freeform import ClipByNeighbour
        from territory_desk.services import freeform as ff

        a, sc = self.a, doc.scenario
        if a.draw:
            cmd, new = ff.draw_command(sc, a.draw, ff.lonlat_shape(doc.project, a.wkt))
            self.message = f"{'drew new' if new else 'redrew'} territory {a.draw!r}"
            return cmd
        if a.from_units:
            self.message = f"territory {a.from_units!r} drawn from the units of scenario {self.source.name!r}"
            return ff.from_units_command(doc.project, sc, self.source, a.from_units)
        clip, by = sc.territories[sc.territory_index(a.clip)], sc.territories[sc.territory_index(a.by)]
        self.message = f"clipped {clip.name!r} by {by.name!r}"
        return ClipByNeighbour(clip.id, by.id)
