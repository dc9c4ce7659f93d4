"""`territory-desk optimize`: the result becomes the active scenario and is saved; bad requests give
one error line, exit 2, and leave the project file exactly as it was."""
import csv

import numpy as np
import pytest

from territory_desk.cli.optimize import parse_balance, parse_weights
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.stats.kinds import engine_for
from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project

from tests.cli_runner import run
from tests.conftest import make_grid_project


def wide_grid():
    """A 10x8 grid in three territories, balanced on population."""
    p = make_grid_project(10, 8, 3, seed=3)
    p.settings["balance_fields"] = ["population"]
    return p


pytestmark = pytest.mark.project_file(build=wide_grid)


def test_design_saves_a_new_active_scenario_and_prints_the_figures(project_file, capsys):
    code, out, err = run(capsys, "optimize", project_file, "--territories", 4, "--balance", "population:3%",
                         "--scenario", "Four")
    assert code == 0, err
    for text in ("max deviation population:", "(tolerance 3 %)", "non-contiguous territories: 0",
                 "mean Polsby-Popper:", "cut boundary length:", "disruption:", "time:",
                 "saved", "active scenario 'Four'"):
        assert text in out
    p = load_project(str(project_file))
    assert p.active == "Four" and [s.name for s in p.scenarios] == ["Base", "Four"]
    s = engine_for(p).stats()
    assert len(p.scenario.territories) == 4 and s.non_contiguous == 0
    assert s.max_abs_deviation_pct[s.field_index("population")] <= 3.0 + 1e-6


def test_default_balance_fields_and_rebalance_with_moves_csv(project_file, capsys, tmp_path):
    out_csv = tmp_path / "moves.csv"
    code, out, err = run(capsys, "optimize", project_file, "--from", "Base", "--min-disruption",
                         "--tolerance", "0.02", "--moves-csv", out_csv)
    assert code == 0, err
    assert "rebalance" in out and "changed territory" in out
    rows = list(csv.DictReader(open(out_csv, encoding="utf-8")))
    p = load_project(str(project_file))
    base, new = p.get_scenario("Base"), p.get_scenario("Base rebalanced")
    changed = {p.units.ids[u] for u in np.flatnonzero(base.assignment != new.assignment)}
    assert {r["unit_id"] for r in rows} == changed
    if changed:
        assert "moved:" in out


@pytest.mark.parametrize("args,message", [
    (["--territories", 4, "--balance", "sales"], "no metric 'sales'"),
    (["--territories", 4, "--balance", "population", "--weights", "population=1"], "either --balance"),
    (["--territories", 500, "--balance", "population"], "500 territories cannot be made from 80"),
    (["--min-disruption", "--balance", "population"], "--min-disruption needs --from"),
    (["--territories", 4, "--balance", "population:abc"], "is not a number"),
    (["--territories", 4, "--weights", "population"], "FIELD=WEIGHT"),
    (["--from", "Nope", "--balance", "population"], "no scenario named 'Nope'"),
    (["--territories", 4, "--balance", "population", "--scenario", "Base"], "exists already"),
])
def test_bad_requests_one_line_and_file_untouched(project_file, capsys, args, message):
    before = project_file.read_bytes()
    code, out, err = run(capsys, "optimize", project_file, *args)
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert project_file.read_bytes() == before


def test_infeasible_request_reports_the_bound(project_file, capsys):
    p = load_project(str(project_file))
    p.units.numeric["population"][5] = p.units.numeric["population"].sum()
    save_project(p, str(project_file))
    code, out, err = run(capsys, "optimize", project_file, "--territories", 10, "--balance", "population:1%")
    assert code == 2
    assert "alone holds" in err and "is impossible" in err and "best achievable max deviation is ≥" in err


def test_parsers():
    assert parse_balance(["potential:0.02", "accounts:3%", "population"]) == [
        ("potential", 0.02), ("accounts", 0.03), ("population", None)]
    assert parse_weights("potential=0.7, accounts=0.3") == {"potential": 0.7, "accounts": 0.3}
    with pytest.raises(InputError):
        parse_balance([":0.1"])
    with pytest.raises(InputError):
        parse_weights("potential=-1")
