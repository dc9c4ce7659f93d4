"""check and stats reports on hand-made cases."""
import numpy as np

from territory_desk.domain.model.accounts import AccountTable
from territory_desk.services.reports import check_problems, stats_dict, stats_table

from tests.conftest import make_grid_project


def test_accounts_outside_units_are_reported_never_dropped():
    p = make_grid_project()
    acc = p.accounts
    p.accounts = AccountTable(acc.ids + ["FAR"], acc.names + ["Far away"], np.append(acc.lon, 10.0),
                              np.append(acc.lat, 50.0), numeric={"revenue": np.append(acc.numeric["revenue"], 5.0)},
                              text={"segment": acc.text["segment"] + ["SMB"]})
    p.locate_accounts()
    problems = check_problems(p)
    assert problems == ["1 account(s) outside every unit: FAR"]
    d = stats_dict(p)
    assert d["summary"]["accounts_outside_units"] == 1
    assert sum(t["accounts"] for t in d["territories"]) == len(acc)  # the outside one is counted apart


def test_check_lists_unassigned_empty_and_split_territories():
    p = make_grid_project(6, 6, 3)
    sc = p.scenario
    sc.assignment[sc.assignment == 2] = -1  # territory 2 is now empty, its units unassigned
    sc.assignment[0] = 1  # an enclave of territory 1 inside territory 0's band
    problems = check_problems(p)
    assert problems[0].startswith("12 unassigned unit(s): ")
    assert "territory 'Territory 1' is not contiguous (2 pieces)" in problems
    assert "territory 'Territory 2' is empty" in problems
    table = stats_table(stats_dict(p))
    assert "non-contiguous territories: 1; unassigned units: 12" in table
