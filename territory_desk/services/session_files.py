"""Files that live beside an open project: the recovery file (autosave) and the lock file.

Recovery: the edits a user makes change only scenarios, territories, regions, assignments and
settings, so the recovery file holds exactly those (JSON, written atomically, never executed),
plus the base project's modification time. Restoring = load the project, apply the recovery.

Lock: ``.NAME.gpkg.lock`` holds the owner's host and pid. A lock held by a live process (or by
another host) means the project is open elsewhere: the caller refuses or opens read-only. A lock
whose process is gone is stale: the last session crashed, and a recovery file may be waiting.
"""
from __future__ import annotations

import copy
import json
import os
import socket
import time
from dataclasses import asdict
from typing import Any

import numpy as np
import shapely

from territory_desk.domain.model.errors import InputError, ProjectFileError
from territory_desk.domain.model.project import Project
from territory_desk.domain.model.territory_layers import TerritoryLayer, check_layers
from territory_desk.domain.model.territories import Region, Scenario, Territory
from territory_desk.io.output_files import replaced_when_written

RECOVERY_FORMAT = "territory_desk-recovery-1"


def _beside(path: str, suffix: str) -> str:
    d, name = os.path.split(os.path.abspath(path))
    return os.path.join(d, f".{name}.{suffix}")


def recovery_path(path: str) -> str:
    return _beside(path, "recovery.json")


def lock_path(path: str) -> str:
    return _beside(path, "lock")


def _atomic_write(path: str, text: str) -> None:
    with replaced_when_written(path, durable=True) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(text)


# ---- recovery ----------------------------------------------------------------------------------
def recovery_snapshot(project: Project) -> dict[str, Any]:
    """A cheap copy of everything edits can change (take it on the UI thread, write it anywhere)."""
    return {
        "format": RECOVERY_FORMAT,
        "saved_at": time.time(),
        "unit_count": len(project.units),
        "active": project.active,
        "settings": copy.deepcopy(project.settings),
        "layers": [asdict(layer) for layer in project.layers],
        "scenarios": [
            {
                "name": s.name,
                "territories": [asdict(t) for t in s.territories],
                "regions": [asdict(r) for r in s.regions],
                "assignment": s.assignment.tolist(),
                "layer": s.layer, "live": s.live, "pins": dict(s.pins),
                # freeform polygons (working CRS) as WKB hex; None for unit scenarios
                "shapes": None if not s.is_freeform else {k: shapely.to_wkb(g, hex=True) for k, g in s.shapes.items()},
            }
            for s in project.scenarios
        ],
    }


def write_recovery(project_path: str, snapshot: dict[str, Any]) -> str:
    snap = dict(snapshot)
    try:
        snap["project_mtime"] = os.path.getmtime(project_path)
    except OSError:
        snap["project_mtime"] = None
    target = recovery_path(project_path)
    _atomic_write(target, json.dumps(snap, separators=(",", ":")))
    return target


def discard_recovery(project_path: str) -> None:
    try:
        os.unlink(recovery_path(project_path))
    except FileNotFoundError:
        pass


def pending_recovery(project_path: str) -> dict[str, Any] | None:
    """The recovery data left by a session that did not close cleanly, if any and readable."""
    p = recovery_path(project_path)
    if not os.path.exists(p):
        return None
    try:
        with open(p, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != RECOVERY_FORMAT:
        return None
    return data


def _str_or_none(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _shapes(data: Any) -> dict[str, Any] | None:
    """Freeform polygons from WKB hex (only (multi)polygons; anything else is damage)."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError("shapes")
    out = {}
    for k, v in data.items():
        g = shapely.from_wkb(bytes.fromhex(str(v)))
        if shapely.get_type_id(g) not in (3, 6):
            raise ValueError("shapes")
        out[str(k)] = g
    return out


def apply_recovery(project: Project, data: dict[str, Any]) -> None:
    """Replace the project's scenarios and settings with the recovered ones (validated)."""
    n = len(project.units)
    if data.get("unit_count") != n:
        raise ProjectFileError("the recovery file belongs to a different version of the units layer")
    scenarios: list[Scenario] = []
    try:
        for s in data["scenarios"]:
            terrs = [
                Territory(str(t["id"]), str(t["name"]), str(t.get("color") or "#888888"),
                          _str_or_none(t.get("region_id")), _str_or_none(t.get("rep_id")), bool(t.get("locked")))
                for t in s["territories"]
            ]
            regions = [Region(str(r["id"]), str(r["name"]), _str_or_none(r.get("parent_id"))) for r in s["regions"]]
            a = np.asarray(s["assignment"], dtype=np.int64)
            if len(a) != n or (len(a) and (a.min() < -1 or a.max() >= len(terrs))):
                raise ValueError("assignment out of range")
            pins = s.get("pins") or {}
            if not isinstance(pins, dict):
                raise ValueError("pins")
            scenarios.append(Scenario(str(s["name"]), terrs, regions, a, layer=str(s.get("layer") or ""),
                                      live=bool(s.get("live")), pins={str(k): str(v) for k, v in pins.items()},
                                      shapes=_shapes(s.get("shapes"))))
        active = str(data["active"])
        if active not in {s.name for s in scenarios}:
            raise ValueError("active scenario missing")
        layers = [TerritoryLayer(str(x["name"]), str(x.get("rule") or ""), str(x.get("kind") or "units"),
                                 str(x.get("description") or "")) for x in data.get("layers") or []]
        check_layers(layers)
        settings = data.get("settings") or {}
        if not isinstance(settings, dict):
            raise ValueError("settings")
    except (KeyError, TypeError, ValueError, InputError, shapely.errors.ShapelyError) as exc:
        raise ProjectFileError(f"the recovery file is damaged ({exc})") from None
    project.layers = layers
    project.scenarios = scenarios
    project.active = active
    project.settings = settings


# ---- locks -------------------------------------------------------------------------------------
def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lock_owner(project_path: str) -> dict[str, Any] | None:
    """Who holds the project's lock, if someone alive does (None when free or stale)."""
    try:
        with open(lock_path(project_path), encoding="utf-8") as f:
            info = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict):
        return None
    if info.get("host") == socket.gethostname():
        pid = info.get("pid")
        if not isinstance(pid, int) or not _pid_alive(pid):
            return None
    return info


def acquire_lock(project_path: str) -> bool:
    """Take the lock. False when another live process holds it."""
    owner = lock_owner(project_path)
    if owner and not (owner.get("host") == socket.gethostname() and owner.get("pid") == os.getpid()):
        return False
    info = {"host": socket.gethostname(), "pid": os.getpid(), "since": time.time()}
    try:
        _atomic_write(lock_path(project_path), json.dumps(info))
    except OSError:
        pass  # a read-only folder: editing still works, only the lock is missing
    return True


def release_lock(project_path: str) -> None:
    owner = lock_owner(project_path)
    if owner and owner.get("host") == socket.gethostname() and owner.get("pid") == os.getpid():
        try:
            os.unlink(lock_path(project_path))
        except OSError:
            pass
