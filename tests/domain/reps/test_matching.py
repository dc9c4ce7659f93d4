"""Rep <-> territory matching: component scores on hand-made data, the optimum against brute force
(square, rectangular and locked cases), weights parsing, the undoable apply, and `match-reps`."""
import csv
import io
import itertools
import json
import math

import numpy as np
import pytest

from territory_desk.domain.editing.document import Document
from territory_desk.domain.model.accounts import AccountTable
from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.reps import Rep
from territory_desk.domain.reps.matching import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    NEUTRAL,
    MatchOptions,
    experience_level,
    match_reps,
    parse_weights,
    solve,
)
from territory_desk.domain.reps.scores import language_code, languages_of
from territory_desk.persistence.reader import load_project
from territory_desk.services.reps import apply_command, breakdown, result_csv, result_dict, result_table

from tests.cli_runner import run
from tests.conftest import make_grid_project


def hand_made():
    """Two territories side by side (T0 west, T1 east); accounts with industry, language, potential."""
    p = make_grid_project(4, 2, 2)  # cells 0.2 deg: T0 lon -100..-99.6, T1 -99.6..-99.2, lat 38..38.4
    lon = [-99.9, -99.7, -99.9, -99.7, -99.5, -99.3]
    lat = [38.1, 38.1, 38.3, 38.3, 38.2, 38.2]
    p.accounts = AccountTable(
        [f"A{i}" for i in range(6)], [f"Acc {i}" for i in range(6)], np.array(lon), np.array(lat),
        numeric={"potential": np.array([1.0, 1, 1, 1, 50, 50])},
        text={"industry": ["Healthcare", "healthcare", "Finance", "Retail", "Finance", "Retail"],
              "language": ["es", "en", "Spanish", "", "fr", ""]})
    p.locate_accounts()
    p.reps = [
        Rep("R0", "Near senior", -99.8, 38.2, "Here", 4.0,
            {"industries": ["Healthcare"], "languages": ["en", "es"], "experience": "senior"}),
        Rep("R1", "Far junior", -80.0, 38.2, "Far", 8.0,
            {"industries": ["HEALTHCARE", "Retail"], "languages": "English", "experience": "junior"}),
        Rep("R2", "Unknown", None, None, "", 0.0, {}),
    ]
    p.scenario.territories[0].rep_id, p.scenario.territories[1].rep_id = "R1", "R0"
    return p


def test_language_and_experience_parsing():
    assert language_code("Spanish") == language_code("es-MX") == language_code("ES_mx") == "es"
    assert languages_of("en; Français / de") == {"en", "fr", "de"}
    assert languages_of(["English", "  "]) == {"en"}
    assert experience_level("Senior")[0] == 1.0 and experience_level("mid")[0] == 0.5
    assert experience_level(3)[0] == pytest.approx(0.3) and experience_level("12 years")[0] == 1.0
    assert experience_level(None)[0] is None and experience_level("wizard")[0] is None


def test_component_scores_on_hand_made_data():
    p = hand_made()
    res = match_reps(p)
    part, has = res.parts, res.has_data
    assert res.used == {"industry_column": "industry", "language_column": "language",
                        "potential_metric": "potential", "workload_metric": "accounts"}
    # industry: T0 = Healthcare x2, Finance, Retail; T1 = Finance, Retail (case-insensitive)
    assert part["industry"][0].tolist() == [0.5, 0.0]
    assert part["industry"][1].tolist() == [0.75, 0.5]
    # language: T0 states es, en, Spanish (one blank); T1 states fr
    assert part["language"][0].tolist() == [1.0, 0.0]
    assert part["language"][1] == pytest.approx([1 / 3, 0.0])
    # experience: T0 has the lowest potential (rank 0), T1 the highest (rank 1)
    assert part["experience"][0].tolist() == [0.0, 1.0] and part["experience"][1].tolist() == [1.0, 0.0]
    # capacity: workload 4 and 2 accounts; 100 % -> 1, 50 % -> 0.75, 25 % -> 0.625
    assert part["capacity"][0].tolist() == [1.0, 0.75] and part["capacity"][1].tolist() == [0.75, 0.625]
    # distance: the mean great-circle distance to the territory's accounts
    dist = res.facts["distance"][0]
    for r in (0, 1):
        rep = p.reps[r]
        for t, rows in ((0, range(4)), (1, range(4, 6))):
            expect = np.mean([haversine(rep.home_lon, rep.home_lat, p.accounts.lon[i], p.accounts.lat[i])
                              for i in rows])
            assert dist[r, t] == pytest.approx(expect, rel=1e-9)
    assert part["distance"][0, 0] == pytest.approx(1.0, abs=1e-6) and part["distance"][0, 1] < 0.5  # home at T0 centre
    assert part["distance"][1, 0] < 1e-6  # 1,700 km away
    # the rep without data: neutral everywhere, and the breakdown says why
    for k in COMPONENTS:
        assert (part[k][2] == NEUTRAL).all() and not has[k][2].any()
        assert has[k][:2].all()
    why = {c.key: c.detail for c in breakdown(res, 2, 0)}
    assert "no industries listed" in why["industry"] and "no home location" in why["distance"]
    assert "no capacity" in why["capacity"] and "neutral" in why["experience"]
    assert "2 of 4 accounts (50%)" in breakdown(res, 0, 0)[0].detail
    # the pair score is the weighted mean of the components
    w = DEFAULT_WEIGHTS
    expect = sum(w[k] * part[k] for k in COMPONENTS) / sum(w.values())
    assert np.allclose(res.score, expect)


def haversine(lon1, lat1, lon2, lat2):
    """Law of cosines on the sphere (an independent formula for the check)."""
    a, b = math.radians(lat1), math.radians(lat2)
    c = math.sin(a) * math.sin(b) + math.cos(a) * math.cos(b) * math.cos(math.radians(lon2 - lon1))
    return 6371.0088 * math.acos(min(1.0, max(-1.0, c)))


def test_missing_data_is_neutral_never_a_crash():
    p = make_grid_project(4, 4, 2)
    p.accounts = AccountTable.empty()
    p.locate_accounts()
    p.reps.append(Rep("RX", "No home", None, None, capacity=float("nan"), skills={"experience": 4}))
    res = match_reps(p)
    assert res.used["industry_column"] is None and res.used["language_column"] is None
    assert not res.has_data["industry"].any() and not res.has_data["language"].any()
    assert res.facts["distance"][3] == ["units", "units"]  # no accounts: unit centroids stand in
    assert res.has_data["distance"][:2].all() and not res.has_data["distance"][2].any()
    assert np.isfinite(res.score).all() and (res.plan >= 0).all()
    texts = [c.detail for r in range(len(p.reps)) for t in range(2) for c in breakdown(res, r, t)]
    assert all(texts)


def test_many_accounts_are_taken_per_unit_for_distances(monkeypatch):
    from territory_desk.domain.reps import matching as rep_matching

    p = make_grid_project(8, 8, 4, seed=5)
    p.reps = [Rep(f"R{i}", f"Rep {i}", lon, lat, capacity=10.0) for i, (lon, lat) in
              enumerate([(-99.9, 38.1), (-98.5, 39.5), (-90.0, 45.0)])]
    exact = match_reps(p).facts["distance"]
    monkeypatch.setattr(rep_matching, "AGGREGATE", 0)  # as if the project had very many accounts
    grouped = match_reps(p).facts["distance"]
    assert np.abs(grouped[0] - exact[0]).max() < 1.0  # km (cells are 0.2 degrees, about 20 km, wide)
    assert np.abs(grouped[1] - exact[1]).max() < 1.0
    assert grouped[3] == exact[3] == ["accounts"] * 4


def brute_force(score, current, kept, pool):
    """Best total over every plan that keeps the kept territories and gives each free rep at most one
    free territory (as many pairs as possible)."""
    fixed = sum(score[current[t], t] for t in np.flatnonzero(kept) if current[t] >= 0)
    held = {int(current[t]) for t in np.flatnonzero(kept) if current[t] >= 0}
    reps = [r for r in np.flatnonzero(pool) if r not in held]
    terrs = list(np.flatnonzero(~kept))
    best = 0.0
    if len(reps) >= len(terrs):
        for chosen in itertools.permutations(reps, len(terrs)):
            best = max(best, sum(score[r, t] for r, t in zip(chosen, terrs)))
    else:
        for chosen in itertools.permutations(terrs, len(reps)):
            best = max(best, sum(score[r, t] for r, t in zip(reps, chosen)))
    return fixed + best


def check_plan(res):
    """The plan keeps kept territories, uses every rep at most once otherwise, and only pool reps."""
    free = [int(r) for r, k in zip(res.plan, res.kept) if not k and r >= 0]
    assert len(free) == len(set(free))
    assert all(res.pool[r] for r in free)
    assert all(res.plan[t] == res.current[t] for t in np.flatnonzero(res.kept))
    assert not set(free) & {int(res.current[t]) for t in np.flatnonzero(res.kept)}


@pytest.mark.parametrize("seed", range(6))
def test_solve_is_optimal_against_brute_force_on_random_matrices(seed):
    rng = np.random.default_rng(seed)
    n_r, n_t = rng.integers(2, 7), rng.integers(2, 7)  # square and rectangular both ways
    score = rng.random((n_r, n_t))
    current = rng.integers(-1, n_r, n_t)
    kept = rng.random(n_t) < 0.3
    pool = rng.random(n_r) < 0.85
    plan = solve(score, current, kept, pool)
    total = sum(score[plan[t], t] for t in range(n_t) if plan[t] >= 0)
    assert total == pytest.approx(brute_force(score, current, kept, pool))
    assert (plan[kept] == current[kept]).all()
    free = plan[~kept]
    assert len(free[free >= 0]) == min(len(free), len(set(np.flatnonzero(pool)) - set(current[kept & (current >= 0)])))


@pytest.mark.parametrize("seed,n_reps,n_terr", [(1, 4, 4), (2, 6, 4), (3, 3, 5), (4, 5, 5)])
def test_match_reps_is_optimal_on_random_projects(seed, n_reps, n_terr):
    rng = np.random.default_rng(seed)
    p = make_grid_project(10, 4, n_terr, seed=seed)
    industries = ["Healthcare", "Retail", "Finance", "Education"]
    acc = p.accounts
    acc.text["industry"] = [industries[i] for i in rng.integers(0, 4, len(acc))]
    acc.text["language"] = [["en", "es", "fr", ""][i] for i in rng.integers(0, 4, len(acc))]
    p.reps = [Rep(f"R{r}", f"Rep {r}", float(rng.uniform(-100, -98)), float(rng.uniform(38, 38.8)), "",
                  float(rng.integers(5, 20)),
                  {"industries": list(rng.choice(industries, 2, replace=False)), "languages": ["en", "es"][: r % 2 + 1],
                   "experience": ["junior", "mid", "senior"][r % 3]}) for r in range(n_reps)]
    for t, terr in enumerate(p.scenario.territories):
        terr.rep_id = f"R{t}" if t < n_reps else None
    p.scenario.territories[0].locked = True
    weights = {k: float(rng.integers(0, 4)) for k in COMPONENTS}
    weights["distance"] = 1.0
    res = match_reps(p, options=MatchOptions(weights=weights, keep=(p.scenario.territories[-1].name,)))
    assert res.kept[0] and res.kept[-1] and res.plan[0] == res.current[0]
    check_plan(res)
    assert res.total == pytest.approx(brute_force(res.score, res.current, res.kept, res.pool))
    assert res.total >= res.current_total - 1e-12 or len(set(res.current.tolist())) < len(res.current)
    free_t, free_r = n_terr - 2, n_reps - int(res.current[0] >= 0) - int(res.current[-1] >= 0)
    kept_without_rep = int(res.current[-1] < 0)  # T(last) has no rep when there are fewer reps
    assert len(res.unmatched_territories()) == max(0, free_t - free_r) + kept_without_rep
    assert len(res.unmatched_reps()) == max(0, free_r - free_t)


def test_reps_filter_and_unknown_names():
    p = hand_made()
    res = match_reps(p, options=MatchOptions(reps=("R0", "far junior")))
    assert res.pool.tolist() == [True, True, False] and 2 not in res.plan
    res = match_reps(p, options=MatchOptions(reps=("r0", "Unknown")))  # R1 may not move: T0 keeps it
    assert res.kept.tolist() == [True, False] and res.plan[0] == 1 and res.plan[1] in (0, 2)
    check_plan(res)
    with pytest.raises(InputError, match="no rep 'nobody'"):
        match_reps(p, options=MatchOptions(reps=("nobody",)))
    with pytest.raises(InputError, match="no territory 'T9'"):
        match_reps(p, options=MatchOptions(keep=("T9",)))
    with pytest.raises(InputError, match="no account text column 'sector'"):
        match_reps(p, options=MatchOptions(industry_column="sector"))
    with pytest.raises(InputError, match="no metric 'margin'"):
        match_reps(p, options=MatchOptions(workload_metric="margin"))


def test_weights_parsing():
    assert parse_weights("industry=3, distance=0") == {**DEFAULT_WEIGHTS, "industry": 3.0, "distance": 0.0}
    assert parse_weights("") == DEFAULT_WEIGHTS
    for bad, message in (("skill=1", "unknown weight 'skill'"), ("industry=abc", "use NAME=NUMBER"),
                         ("industry=-1", ">= 0"), ("industry", "use NAME=NUMBER"), ("industry=nan", ">= 0")):
        with pytest.raises(InputError, match=message):
            parse_weights(bad)
    zero = {k: 0.0 for k in COMPONENTS}
    with pytest.raises(InputError, match="every weight is 0"):
        match_reps(hand_made(), options=MatchOptions(weights=zero))
    # a weight of 0 switches a component off
    res = match_reps(hand_made(), options=MatchOptions(weights={**zero, "capacity": 1.0}))
    assert np.allclose(res.score, res.parts["capacity"])


def test_apply_is_one_undoable_command_that_remembers_the_weights():
    p = hand_made()
    doc = Document(p)
    seen = []
    doc.listeners.append(seen.append)
    weights = {**DEFAULT_WEIGHTS, "distance": 3.0}
    res = match_reps(p, options=MatchOptions(weights=weights))
    assert res.changes()
    before = [t.rep_id for t in p.scenario.territories]
    cmd = apply_command(res)
    cmd.redo(doc)
    assert [t.rep_id for t in p.scenario.territories] == list(res.rep_ids().values())
    assert p.settings["rep_matching"]["weights"]["distance"] == 3.0
    assert len(seen) == 1 and seen[0].kind == "territories"
    again = match_reps(p)  # the saved weights are the new defaults
    assert again.weights["distance"] == 3.0 and not again.changes()
    cmd.undo(doc)
    assert [t.rep_id for t in p.scenario.territories] == before and "rep_matching" not in p.settings


def test_output_formats():
    res = match_reps(hand_made())
    d = result_dict(res)
    assert d["total_score"] == pytest.approx(res.total, abs=1e-4)
    assert [t["territory_id"] for t in d["territories"]] == ["T0", "T1"]
    assert set(d["territories"][0]["components"]) == set(COMPONENTS)
    rows = list(csv.DictReader(io.StringIO(result_csv(res))))
    assert len(rows) == 2 + len(res.unmatched_reps())
    assert {r["status"] for r in rows} <= {"same", "changed", "rep without territory"}
    text = result_table(res)
    assert "total score: now" in text and "Territory 0" in text


# ---- the command line --------------------------------------------------------------------------------
pytestmark = pytest.mark.project_file(build=hand_made)


def test_cli_table_csv_json(project_file, capsys):
    before = project_file.read_bytes()
    code, out, err = run(capsys, "match-reps", project_file)
    assert code == 0, err
    assert "Suggested rep" in out and "total score: now" in out
    code, out, _ = run(capsys, "match-reps", project_file, "--format", "csv", "--weights", "distance=2")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["territory_id"] for r in rows[:2]] == ["T0", "T1"]
    code, out, _ = run(capsys, "match-reps", project_file, "--format", "json", "--keep", "T0")
    d = json.loads(out)
    assert code == 0 and d["territories"][0]["status"] == "kept" and d["weights"] == DEFAULT_WEIGHTS
    assert project_file.read_bytes() == before  # nothing saved without --apply


@pytest.mark.parametrize("args,message", [
    (["--weights", "speed=1"], "unknown weight 'speed'"),
    (["--weights", "industry=two"], "use NAME=NUMBER"),
    (["--weights", "industry=0,language=0,experience=0,distance=0,capacity=0"], "every weight is 0"),
    (["--keep", "Nowhere"], "no territory 'Nowhere'"),
    (["--scenario", "Nope"], "no scenario named 'Nope'"),
])
def test_cli_errors_are_one_line_and_leave_the_file(project_file, capsys, args, message):
    before = project_file.read_bytes()
    code, out, err = run(capsys, "match-reps", project_file, "--apply", *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert project_file.read_bytes() == before


def test_cli_apply_saves_the_plan(project_file, capsys):
    expected = match_reps(load_project(str(project_file)), options=MatchOptions(weights=parse_weights("distance=3")))
    assert expected.changes()
    code, out, err = run(capsys, "match-reps", project_file, "--weights", "distance=3", "--apply")
    assert code == 0, err
    assert f"{len(expected.changes())} territor" in out and "changed rep" in out
    p = load_project(str(project_file))
    assert {t.id: t.rep_id for t in p.scenario.territories} == expected.rep_ids()
    assert p.settings["rep_matching"]["weights"]["distance"] == 3.0
    code, out, _ = run(capsys, "match-reps", project_file, "--apply")  # saved weights: nothing left to do
    assert code == 0 and "nothing to apply" in out
    code, out, _ = run(capsys, "match-reps", project_file, "--weights", "industry=1", "--format", "json")
    assert json.loads(out)["weights"] == {**DEFAULT_WEIGHTS, "industry": 1.0, "distance": 3.0}
