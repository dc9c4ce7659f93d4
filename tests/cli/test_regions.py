"""`territory-desk regions`: list the hierarchy with rolled-up counts, and build it from a script — add
regions and areas, rename, re-parent (cycles refused), assign territories, delete, name the levels.
Edits of one call are saved together or not at all; errors are one line and exit 2."""
import json
import re

import pytest

from territory_desk.cli import main
from territory_desk.domain.model.territories import Region
from territory_desk.persistence.reader import load_project
from territory_desk.services.reports import scenario_stats

from tests.cli_runner import digest, run
from tests.conftest import make_grid_project


def hierarchy_grid():
    """Regions West (T0, T1) and Central (T2, T3) under the area Country; T4 in no region; a second
    scenario "Plan B" (a copy) that is not active."""
    p = make_grid_project(10, 6, 5)
    sc = p.scenario
    sc.regions = [Region("CO", "Country"), Region("W", "West", "CO"), Region("C", "Central", "CO")]
    for terr, rid in zip(sc.territories, ["W", "W", "C", "C", None]):
        terr.region_id = rid
    p.scenarios.append(sc.copy("Plan B"))
    return p


pytestmark = pytest.mark.project_file(build=hierarchy_grid)


def regions_of(path, scenario=None):
    p = load_project(str(path))
    return {r.id: (r.name, r.parent_id) for r in p.get_scenario(scenario).regions}


def region_ids(path, scenario=None):
    p = load_project(str(path))
    return [t.region_id for t in p.get_scenario(scenario).territories]


def test_list_shows_the_tree_with_rolled_up_counts(capsys, project_file):
    code, out, err = run(capsys, "regions", project_file)
    assert code == 0 and err == ""
    p = load_project(str(project_file))
    s = scenario_stats(p)
    acc = s.value[:, s.field_index("accounts")]
    lines = out.splitlines()
    assert lines[0] == "scenario 'Base': 3 region(s), 5 territories; levels: Territory < Region < Area"
    rows = [re.fullmatch(r"( *)(.+?) {2,}([\d,]+) +([\d,]+)", line).groups() for line in lines[2:]]
    assert [indent + label for indent, label, _, _ in rows] == [
        "Country (CO)", "  West (W)", "    Territory 0 (T0)", "    Territory 1 (T1)", "  Central (C)",
        "    Territory 2 (T2)", "    Territory 3 (T3)", "(no region)", "  Territory 4 (T4)"]
    numbers = {label: [int(u.replace(",", "")), int(a.replace(",", ""))] for _, label, u, a in rows}
    assert numbers["Country (CO)"] == [int(s.units[:4].sum()), int(acc[:4].sum())]
    assert numbers["West (W)"] == [int(s.units[:2].sum()), int(acc[:2].sum())]
    assert numbers["Territory 4 (T4)"] == numbers["(no region)"] == [int(s.units[4]), int(acc[4])]


def test_list_as_json(capsys, project_file):
    code, out, _ = run(capsys, "regions", project_file, "--format", "json")
    d = json.loads(out)
    assert code == 0 and d["scenario"] == "Base" and d["levels"] == ["Territory", "Region", "Area"]
    country, loose = d["tree"]
    assert (country["kind"], country["id"], country["parent"]) == ("region", "CO", None)
    assert [c["id"] for c in country["children"]] == ["W", "C"]
    for node in (country, *country["children"], loose):
        kids = node["children"]
        for key in ("units", "accounts"):
            assert node[key] == sum(k[key] for k in kids) > 0
    assert loose["kind"] == "none" and [t["id"] for t in loose["children"]] == ["T4"]


def test_build_a_hierarchy_step_by_step(capsys, project_file):
    code, out, _ = run(capsys, "regions", project_file, "--add", "East", "--parent", "country")
    assert code == 0 and out.splitlines() == ["added region 'East' (R04) under 'Country'", f"saved {project_file}"]
    assert regions_of(project_file)["R04"] == ("East", "CO")
    code, out, _ = run(capsys, "regions", project_file, "--assign", "t4,Territory 3", "--to", "east")
    assert code == 0 and out.startswith("put 2 territories into 'East'")
    assert region_ids(project_file) == ["W", "W", "C", "R04", "R04"]
    code, out, _ = run(capsys, "regions", project_file, "--rename", "R04", "Eastern")
    assert code == 0 and regions_of(project_file)["R04"] == ("Eastern", "CO")
    code, out, _ = run(capsys, "regions", project_file, "--add", "Nation", "--parent", "W", "Nation")
    assert code == 0 and out.splitlines()[:2] == ["added region 'Nation' (R05) at the top level",
                                                  "moved region 'West' (W) to 'Nation'"]
    code, out, _ = run(capsys, "regions", project_file, "--parent", "Country", "Nation", "--parent", "Eastern", "none")
    assert code == 0
    assert regions_of(project_file) == {"CO": ("Country", "R05"), "W": ("West", "R05"), "C": ("Central", "CO"),
                                   "R04": ("Eastern", None), "R05": ("Nation", None)}
    code, out, _ = run(capsys, "regions", project_file, "--level-names", "Territory,District,Zone,Nation")
    assert code == 0 and load_project(str(project_file)).settings["hierarchy_levels"] == [
        "Territory", "District", "Zone", "Nation"]
    code, out, _ = run(capsys, "regions", project_file)
    assert "levels: Territory < District < Zone < Nation" in out

    # stats --level follows, and the roll-up of the top level is the sum of its regions
    code, out, _ = run(capsys, "stats", project_file, "--level", "nation", "--format", "json")
    top = {g["name"]: g for g in json.loads(out)["groups"]}
    assert set(top) == {"Nation", "Eastern"}
    code, out, _ = run(capsys, "stats", project_file, "--level", "district", "--format", "json")
    district = {g["name"]: g for g in json.loads(out)["groups"]}
    for key in ("units", "accounts"):
        assert top["Nation"][key] == district["West"][key] + district["Central"][key]
        assert top["Eastern"][key] == district["Eastern"][key]

    code, out, _ = run(capsys, "regions", project_file, "--delete", "country")
    assert code == 0 and out.startswith("deleted region 'Country' (CO); what it held moved to 'Nation'")
    assert regions_of(project_file)["C"] == ("Central", "R05") and "CO" not in regions_of(project_file)
    code, out, _ = run(capsys, "regions", project_file, "--assign", "T0", "--to", "none", "--level-names", "")
    assert code == 0 and region_ids(project_file)[0] is None
    assert "hierarchy_levels" not in load_project(str(project_file)).settings


@pytest.mark.parametrize("args, message", [
    (["--parent", "Country", "West"], "cannot put region 'Country' under 'West': 'West' lies inside 'Country' "
                                      "(that would make a cycle)"),
    (["--parent", "W", "W"], "region 'West' cannot be its own parent"),
    (["--add", "west"], "a region named 'west' exists already"),
    (["--rename", "Nowhere", "X"], "no region 'Nowhere' in scenario 'Base'"),
    (["--assign", "T9", "--to", "W"], "no territory 'T9'"),
    (["--assign", "T1"], "--assign needs --to"),
    (["--to", "W"], "--to goes with --assign"),
    (["--parent", "W"], "--parent takes REGION PARENT|none"),
    (["--level-names", "Territory,Region,region"], "two hierarchy levels are named 'region'"),
    (["--add", "South", "--parent", "W", "--delete", "Ghost"], "no region 'Ghost'"),  # all or nothing
    (["--scenario", "Plan C"], "no scenario named 'Plan C'"),
])
def test_errors_are_one_line_and_leave_the_file_alone(capsys, project_file, args, message):
    before = digest(project_file)
    code, out, err = run(capsys, "regions", project_file, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("territory-desk: error: ") and message in err
    assert digest(project_file) == before


def test_scenario_option_edits_that_scenario_only(capsys, project_file):
    code, out, _ = run(capsys, "regions", project_file, "--scenario", "Plan B", "--delete", "Country")
    assert code == 0
    p = load_project(str(project_file))
    assert p.active == "Base"
    assert [r.id for r in p.get_scenario("Plan B").regions] == ["W", "C"]
    assert [r.id for r in p.get_scenario("Base").regions] == ["CO", "W", "C"]
    code, out, _ = run(capsys, "regions", project_file, "--scenario", "Plan B")
    assert out.splitlines()[0].startswith("scenario 'Plan B': 2 region(s)") and "Country" not in out


def test_help_lists_the_command(capsys):
    with pytest.raises(SystemExit):
        main(["regions", "--help"])
    out = capsys.readouterr().out
    assert "--assign T[,T...]" in out and "--level-names" in out and "cycles are refused" in out
