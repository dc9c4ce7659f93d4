"""Territory layers (segments), account routing, pins counted by the engine, and schema 2."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from territory_desk.domain.editing.document import Document
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.project import Project
from territory_desk.domain.model.territory_layers import (
    TerritoryLayer,
    layer_account_mask,
    live_scenario,
    route_accounts,
)
from territory_desk.domain.stats.kinds import account_territories
from territory_desk.domain.stats.membership import check_pin
from territory_desk.persistence.reader import load_project
from territory_desk.persistence.store import save_project
from territory_desk.services.session_files import apply_recovery, recovery_snapshot

from tests.conftest import FIXTURES
from tests.round_trip import assert_same_project


def two_layer_project(make_grid) -> Project:
    p = make_grid()
    p.accounts.numeric["employees"] = np.arange(len(p.accounts), dtype=float) * 100.0  # 0 .. 3900
    p.layers = [TerritoryLayer("Enterprise", "employees >= 2000"), TerritoryLayer("SMB", "")]
    ent = p.scenario.copy("Ent")
    ent.layer = "Enterprise"
    p.scenarios.append(ent)
    p.scenario.layer = "SMB"
    return p


def test_accounts_go_to_the_first_layer_whose_rule_matches(make_grid) -> None:
    p = two_layer_project(make_grid)
    routed = route_accounts(p)
    assert routed.tolist() == [1] * 20 + [0] * 20
    assert layer_account_mask(p, "enterprise").sum() == 20  # names are case-insensitive
    assert layer_account_mask(p, "").all()  # the default layer counts every account
    with pytest.raises(InputError, match="no territory layer named 'Mid'"):
        layer_account_mask(p, "Mid")


def test_each_layer_counts_only_its_accounts(make_grid) -> None:
    p = two_layer_project(make_grid)
    doc = Document(p)

    def counted() -> float:
        k, stats = doc.fields.index("accounts"), doc.stats()
        return stats.value[:, k].sum() + stats.unassigned_value[k]

    smb = counted()
    p.active = "Ent"
    doc.rebuild()
    ent = counted()
    inside = int((p.accounts.unit_index >= 0).sum())
    assert smb + ent == inside
    assert ent == int(((p.accounts.unit_index >= 0) & (np.arange(40) >= 20)).sum())


def test_pins_count_in_their_territory_through_moves_and_undo(make_grid) -> None:
    p = make_grid()
    s = p.scenario
    acc = p.accounts
    a = next(i for i in range(len(acc)) if acc.unit_index[i] >= 0 and s.assignment[acc.unit_index[i]] == 0)
    s.pins[acc.ids[a]] = s.territories[2].id  # counted in the third territory wherever it lies
    doc = Document(p)
    k = doc.fields.index("accounts")
    r = doc.fields.index("revenue")
    terr = account_territories(p)
    assert terr[a] == 2
    expected = np.bincount(terr[terr >= 0], minlength=3)
    assert doc.stats().value[:, k].tolist() == expected.tolist()
    rev = np.bincount(terr[terr >= 0], weights=acc.numeric["revenue"][terr >= 0], minlength=3)
    assert np.allclose(doc.stats().value[:, r], rev)
    # moving the unit the pinned account lies in does not move the account
    before = doc.stats().value[2, k]
    undo = doc.move_units([int(acc.unit_index[a])], 1)
    doc.engine.check_against_full()
    assert doc.stats().value[2, k] == before
    doc.apply_changes(undo)
    doc.engine.check_against_full()
    assert doc.stats().value[:, k].tolist() == expected.tolist()


def test_stale_pins_are_ignored_and_bad_pins_refused(make_grid) -> None:
    p = make_grid()
    s = p.scenario
    s.pins = {"NO-SUCH": s.territories[0].id, p.accounts.ids[0]: "T-gone"}
    assert (account_territories(p) >= -1).all()
    Document(p).engine.check_against_full()
    with pytest.raises(InputError, match="no account"):
        check_pin(p, s, "NO-SUCH", s.territories[0].id)
    with pytest.raises(InputError, match="no territory"):
        check_pin(p, s, p.accounts.ids[0], "T-gone")


def test_live_scenario_rules(make_grid) -> None:
    p = two_layer_project(make_grid)
    assert live_scenario(p, "Enterprise").name == "Ent"  # the only one
    extra = p.scenarios[1].copy("Ent 2")
    p.scenarios.append(extra)
    assert live_scenario(p, "Enterprise").name == "Ent"  # the first, the active one being elsewhere
    extra.live = True
    assert live_scenario(p, "Enterprise") is extra
    assert live_scenario(p, "nothing") is None


def test_layers_pins_and_live_flag_survive_save_and_recovery(make_grid, tmp_path: Path) -> None:
    p = two_layer_project(make_grid)
    p.scenarios[1].live = True
    p.scenarios[1].pins = {p.accounts.ids[30]: p.scenarios[1].territories[1].id}
    save_project(p, tmp_path / "p.gpkg")
    q = load_project(tmp_path / "p.gpkg")
    assert_same_project(p, q)
    assert [(tl.name, tl.rule, tl.kind) for tl in q.layers] == [("Enterprise", "employees >= 2000", "units"),
                                                          ("SMB", "", "units")]
    assert [(s.name, s.layer, s.live, s.pins) for s in q.scenarios] == [
        (s.name, s.layer, s.live, s.pins) for s in p.scenarios]
    snap = recovery_snapshot(p)
    q.layers, q.scenarios[1].pins = [], {}
    apply_recovery(q, snap)
    assert q.layers[0].rule == "employees >= 2000" and q.scenarios[1].pins == p.scenarios[1].pins


def test_a_scenario_of_an_unknown_layer_is_refused(make_grid) -> None:
    p = make_grid()
    p.scenario.layer = "Ghost"
    with pytest.raises(InputError, match="layer 'Ghost', which does not exist"):
        Project(units=p.units, adjacency=p.adjacency, accounts=p.accounts, scenarios=p.scenarios)


def test_schema_1_file_opens_with_no_layers(tmp_path: Path) -> None:
    path = tmp_path / "old.gpkg"
    shutil.copy(FIXTURES / "project_schema1.gpkg", path)
    before = path.read_bytes()
    p = load_project(path)
    assert p.layers == [] and [s.layer for s in p.scenarios] == ["", ""]
    assert [s.name for s in p.scenarios] == ["Base", "Alt"] and not any(s.pins for s in p.scenarios)
    assert path.read_bytes() == before  # migrated in memory only
    save_project(p, tmp_path / "new.gpkg")
    assert load_project(tmp_path / "new.gpkg").scenarios[1].name == "Alt"


def test_an_account_import_that_drops_a_ruled_field_is_refused(make_grid) -> None:
    from territory_desk.domain.editing.data import ReplaceAccounts

    p = two_layer_project(make_grid)
    doc = Document(p)
    new = p.accounts.__class__(p.accounts.ids, p.accounts.names, p.accounts.lon, p.accounts.lat,
                               numeric={"revenue": p.accounts.numeric["revenue"]}, unit_index=p.accounts.unit_index)
    before = p.accounts
    with pytest.raises(InputError, match="layer 'Enterprise' .* names 'employees', which the accounts lack"):
        ReplaceAccounts(new).redo(doc)
    assert p.accounts is before


def test_check_reports_accounts_no_layer_takes_and_stale_pins(make_grid) -> None:
    from territory_desk.services.reports import check_problems

    p = two_layer_project(make_grid)
    assert not any("layer" in m for m in check_problems(p))
    p.layers[1].rule = "employees < 1000"  # 1000 .. 1900 now fall between the two layers
    p.scenario.pins = {"GONE": p.scenario.territories[0].id}
    problems = check_problems(p)
    assert any(m.startswith("10 account(s) belong to no territory layer") for m in problems)
    assert any(m.startswith("1 pin(s) name an account or territory that no longer exists") for m in problems)
