"""CLI commands of territory layers (hybrid segmentation) and account pins: layers, pin, unpin, promote.

Each edit runs the same undoable command the editor uses and saves the project atomically; a
refused edit prints one line and leaves the file as it was.
"""
from __future__ import annotations

import argparse

from territory_desk.cli.options import add_project_argument
from territory_desk.domain.model.errors import InputError

LAYERS_EXAMPLES = """examples:
  territory-desk layers demo.gpkg
  territory-desk layers demo.gpkg --add Enterprise --rule "employees >= 1000" --from-scenario Base
  territory-desk layers demo.gpkg --add SMB --rule "" --from-scenario Base --no-assignment
  territory-desk layers demo.gpkg --edit Enterprise --rule "revenue >= 50" --rename "Key accounts"
  territory-desk layers demo.gpkg --move SMB --position 0
  territory-desk layers demo.gpkg --delete SMB --with-scenarios"""


def register(sub: argparse._SubParsersAction) -> dict:
    s = sub.add_parser(
        "layers", help="list, add, edit, reorder or delete territory layers (segments with account rules)",
        description="Without options: every territory layer with its rule, the accounts it routes, its "
                    "scenarios and its live plan. An account belongs to the first layer (in this order) "
                    "whose rule it satisfies; an empty rule takes every account left.",
        epilog=LAYERS_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_project_argument(s)
    what = s.add_mutually_exclusive_group()
    what.add_argument("--add", metavar="NAME", help="add a layer and its first scenario (made live and active)")
    what.add_argument("--edit", metavar="NAME", help="change a layer's rule, name or description")
    what.add_argument("--move", metavar="NAME", help="put a layer at --position in the routing order")
    what.add_argument("--delete", metavar="NAME", help="delete a layer")
    s.add_argument("--rule", metavar="CONDITION", help='the account rule, e.g. "employees >= 1000"')
    s.add_argument("--rename", metavar="NEW", help="with --edit: the new name")
    s.add_argument("--description", metavar="TEXT")
    s.add_argument("--kind", choices=["units", "freeform"], default="units",
                   help="with --add: territories made of units (default) or drawn freely")
    s.add_argument("--from-scenario", metavar="S",
                   help="with --add: copy this scenario's territories and assignment (default: start empty)")
    s.add_argument("--no-assignment", action="store_true",
                   help="with --from-scenario: copy the territories only, every unit unassigned")
    s.add_argument("--scenario-name", metavar="NAME", help="with --add: name of the first scenario")
    s.add_argument("--position", type=int, metavar="K", help="with --move (or --add): 0 = first in the routing order")
    s.add_argument("--with-scenarios", action="store_true", help="with --delete: delete the layer's scenarios too")

    s = sub.add_parser("pin", help="pin named accounts to a territory whatever unit they lie in (or --list pins)")
    add_project_argument(s)
    s.add_argument("accounts", nargs="*", metavar="ACCOUNT_ID")
    s.add_argument("--territory", "-t", metavar="T", help="territory id or name")
    s.add_argument("--scenario", metavar="S", help="default: the active scenario")
    s.add_argument("--list", action="store_true", help="list the scenario's pins")

    s = sub.add_parser("unpin", help="remove pins: the accounts count by geography again")
    add_project_argument(s)
    s.add_argument("accounts", nargs="*", metavar="ACCOUNT_ID")
    s.add_argument("--scenario", metavar="S", help="default: the active scenario")
    s.add_argument("--all", action="store_true", help="remove every pin of the scenario")

    s = sub.add_parser("promote", help="make a scenario the live plan of its layer and the active scenario")
    add_project_argument(s)
    s.add_argument("scenario", metavar="SCENARIO")
    return {"layers": _cmd_layers, "pin": _cmd_pin, "unpin": _cmd_unpin, "promote": _cmd_promote}


def _cmd_layers(a) -> int:
    from territory_desk.domain.editing import territory_layers as sc
    from territory_desk.persistence.reader import load_project
    from territory_desk.services.territory_layers import layers_table, rule_preview
    from territory_desk.services.project_files import edit_project

    used = {"--rule": a.rule is not None, "--rename": a.rename is not None, "--description": a.description is not None,
            "--from-scenario": a.from_scenario is not None, "--no-assignment": a.no_assignment,
            "--scenario-name": a.scenario_name is not None, "--position": a.position is not None,
            "--with-scenarios": a.with_scenarios}
    allowed = {"add": {"--rule", "--description", "--from-scenario", "--no-assignment", "--scenario-name", "--position"},
               "edit": {"--rule", "--rename", "--description"}, "move": {"--position"},
               "delete": {"--with-scenarios"}, None: set()}
    action = next((k for k in ("add", "edit", "move", "delete") if getattr(a, k) is not None), None)
    extra = sorted(k for k, on in used.items() if on and k not in allowed[action])
    if extra:
        raise InputError(f"{extra[0]} does not go with " + (f"--{action}" if action else "listing the layers"))
    if action is None:
        print(layers_table(load_project(a.project)))
        return 0
    if action == "add":
        cmd = sc.AddLayer(a.add, a.rule or "", a.kind, a.description or "", a.from_scenario,
                          not a.no_assignment, a.scenario_name, a.position)
        doc = edit_project(a.project, cmd).document
        _, routed = rule_preview(doc.project, cmd.layer.rule, cmd.layer.name)
        print(f"added territory layer {cmd.layer.name!r} (rule: {cmd.layer.rule or 'every account left'}; "
              f"{routed:,} account(s)) with scenario {cmd.scenario.name!r}, now live and active")
    elif action == "edit":
        if a.rule is None and a.rename is None and a.description is None:
            raise InputError("--edit needs --rule, --rename or --description")
        cmd = sc.EditLayer(a.edit, a.rename, a.rule, a.description)
        doc = edit_project(a.project, cmd).document
        layer = cmd.layer
        _, routed = rule_preview(doc.project, layer.rule, layer.name)
        print(f"territory layer {layer.name!r}: rule {layer.rule or 'every account left'}; {routed:,} account(s)")
    elif action == "move":
        if a.position is None:
            raise InputError("--move needs --position K (0 = first)")
        edit_project(a.project, sc.MoveLayer(a.move, a.position))
        print(f"moved territory layer {a.move!r} to position {a.position}")
    else:
        cmd = sc.DeleteLayer(a.delete, a.with_scenarios)
        doc = edit_project(a.project, cmd).document
        gone = [s.name for s in cmd.deleted_scenarios]
        print(f"deleted territory layer {a.delete!r}" + (f" and its scenario(s) {', '.join(gone)}" if gone else "")
              + f"; active scenario: {doc.project.active}")
    return 0


def _cmd_pin(a) -> int:
    from territory_desk.domain.editing.territory_layers import PinAccounts
    from territory_desk.persistence.reader import load_project
    from territory_desk.services.territory_layers import pin_rows
    from territory_desk.services.project_files import edit_project

    if a.list:
        if a.accounts or a.territory:
            raise InputError("--list takes no account ids and no --territory")
        project = load_project(a.project)
        sc = project.get_scenario(a.scenario)
        rows = pin_rows(project, sc)
        print(f"Scenario: {sc.name} — {len(rows)} pin(s)")
        for r in rows:
            note = "  (stale: the account or territory is gone; not counted)" if r.stale else ""
            print(f"{r.account_id}\t{r.account_name}\t-> {r.territory_id}\t{r.territory_name}{note}")
        return 0
    if not a.accounts:
        raise InputError("give the ids of the accounts to pin (or --list)")
    if not a.territory:
        raise InputError("--territory T is required: the territory (id or name) to pin the accounts to")
    cmd = PinAccounts(a.accounts, a.territory, a.scenario)
    edit_project(a.project, cmd)
    sc = cmd.target
    name = sc.territories[sc.territory_index(cmd.territory_id)].name
    print(f"pinned {len(cmd.account_ids)} account(s) to {name} ({cmd.territory_id}) in scenario {sc.name!r}")
    return 0


def _cmd_unpin(a) -> int:
    from territory_desk.domain.editing.territory_layers import UnpinAccounts
    from territory_desk.services.project_files import edit_project

    if a.all == bool(a.accounts):
        raise InputError("give the ids of the accounts to unpin, or --all")

    def unpin(doc):
        sc = doc.project.get_scenario(a.scenario)
        ids = list(sc.pins) if a.all else a.accounts
        return UnpinAccounts(ids, sc.name) if ids else None  # None: no pins, nothing to save

    edit = edit_project(a.project, unpin)
    name = edit.project.get_scenario(a.scenario).name
    if not edit.commands:
        print(f"scenario {name!r} has no pins")
        return 0
    print(f"unpinned {len(edit.commands[0].account_ids)} account(s) in scenario {name!r}")
    return 0


def _cmd_promote(a) -> int:
    from territory_desk.domain.editing.territory_layers import PromoteScenario
    from territory_desk.domain.model.territory_layers import layer_label
    from territory_desk.services.project_files import edit_project

    doc = edit_project(a.project, PromoteScenario(a.scenario)).document
    sc = doc.project.scenario
    print(f"scenario {sc.name!r} is now the live plan of {layer_label(sc.layer)!r} and the active scenario")
    return 0
