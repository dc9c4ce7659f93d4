"""Recovery file and project lock beside an open project."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from territory_desk.domain.model.errors import ProjectFileError
from territory_desk.services import session_files as sf

from tests.conftest import make_grid_project


def test_recovery_round_trip(tmp_path):
    path = str(tmp_path / "p.gpkg")
    open(path, "wb").close()
    p = make_grid_project()
    p.scenario.assignment[:5] = 2
    p.scenario.territories[1].name = "Renamed"
    sf.write_recovery(path, sf.recovery_snapshot(p))
    data = sf.pending_recovery(path)
    assert data is not None
    fresh = make_grid_project()
    sf.apply_recovery(fresh, data)
    assert np.array_equal(fresh.scenario.assignment, p.scenario.assignment)
    assert fresh.scenario.territories[1].name == "Renamed"
    sf.discard_recovery(path)
    assert sf.pending_recovery(path) is None


@pytest.mark.parametrize("mutate", [
    lambda d: d.update(unit_count=3),
    lambda d: d["scenarios"][0].update(assignment=[99] * 36),
    lambda d: d.update(active="nope"),
    lambda d: d["scenarios"][0].pop("territories"),
])
def test_damaged_recovery_is_refused(tmp_path, mutate):
    path = str(tmp_path / "p.gpkg")
    p = make_grid_project()
    snap = sf.recovery_snapshot(p)
    mutate(snap)
    sf.write_recovery(path, snap)
    with pytest.raises(ProjectFileError):
        sf.apply_recovery(make_grid_project(), sf.pending_recovery(path))


def test_garbage_recovery_is_ignored(tmp_path):
    path = str(tmp_path / "p.gpkg")
    with open(sf.recovery_path(path), "w") as f:
        f.write("not json {")
    assert sf.pending_recovery(path) is None


def test_lock_held_by_live_process_and_stale_lock(tmp_path):
    path = str(tmp_path / "p.gpkg")
    assert sf.acquire_lock(path)
    assert sf.lock_owner(path)["pid"] == os.getpid()
    assert sf.acquire_lock(path)  # re-entrant for the same process
    sf.release_lock(path)
    assert sf.lock_owner(path) is None
    # another live process holds it
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with open(sf.lock_path(path), "w") as f:
            json.dump({"host": os.uname().nodename, "pid": child.pid}, f)
        assert not sf.acquire_lock(path)
    finally:
        child.kill()
        child.wait()
    # the process is gone: the lock is stale and can be taken
    assert sf.lock_owner(path) is None
    assert sf.acquire_lock(path)
