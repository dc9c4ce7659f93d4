"""Undoable edits of freeform territories (no Qt): new freeform scenario, draw, reshape, split,
merge, from units, clip by a neighbour. Every geometry is checked on the way in (``checked_shape``):
valid, polygonal, in the working CRS; an outline that crosses itself is refused with the reason
rather than silently repaired (tiny slivers excepted)."""
from __future__ import annotations

import copy

import numpy as np
import shapely
import shapely.ops

from territory_desk.domain.editing.changes import Change, ChangeKind
from territory_desk.domain.editing.command import Command
from territory_desk.domain.editing.document import Document
from territory_desk.domain.model.colors import color_for_new
from territory_desk.domain.model.errors import InputError, LockedError
from territory_desk.domain.model.territories import UNASSIGNED, Scenario, Territory
from territory_desk.domain.model.territory_layers import TerritoryLayer, check_layers
from territory_desk.domain.stats.freeform_engine import polygonal
from territory_desk.domain.stats.freeform_index import unit_index

SLIVER = 1e-3  # parts smaller than this share of the shape are slivers of a crossing drawn by accident
FREEFORM_LAYER = "Freeform"


def _polygon_parts(geom):
    parts = shapely.get_parts(geom)
    return parts[np.isin(shapely.get_type_id(parts), (3, 6))]


def checked_shape(geom, what: str = "the shape"):
    """A valid (Multi)Polygon, or InputError with one clear line."""
    if geom is None or shapely.is_empty(geom):
        raise InputError(f"{what} is empty")
    if shapely.get_type_id(geom) not in (3, 6):
        raise InputError(f"{what} must be a polygon, not a {geom.geom_type}")
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        raise InputError(f"{what} has coordinates that are not numbers")
    geom = shapely.remove_repeated_points(geom)
    if shapely.is_valid(geom):
        if shapely.area(geom) <= 0:
            raise InputError(f"{what} has no area")
        return geom
    reason = shapely.is_valid_reason(geom)
    fixed = shapely.make_valid(geom)
    parts = _polygon_parts(fixed)
    polys = shapely.get_parts(shapely.union_all(parts)) if len(parts) else parts
    total = float(shapely.area(fixed))
    big = polys[shapely.area(polys) >= SLIVER * total] if len(polys) else polys
    n_before = int(shapely.get_num_geometries(geom))
    if total > 0 and len(big) == n_before and float(np.sum(shapely.area(big))) >= (1 - 10 * SLIVER) * total:
        return big[0] if len(big) == 1 else shapely.multipolygons(big)
    raise InputError(f"{what} crosses itself ({reason.split('[')[0]}); draw the outline without crossings")


def _locate(doc: Document, territory_id: str | None) -> int:
    sc = doc.scenario
    if not sc.is_freeform:
        raise InputError(f"scenario {sc.name!r} is not freeform: its territories are made of units")
    for i, t in enumerate(sc.territories):
        if t.id == territory_id:
            return i
    raise InputError(f"no territory with id {territory_id!r} in scenario {sc.name!r}")


def _check_unlocked(doc: Document, index: int) -> None:
    t = doc.scenario.territories[index]
    if t.locked:
        raise LockedError(f"territory {t.name!r} is locked")


def _set(doc: Document, index: int, geom) -> None:
    sc = doc.scenario
    tid = sc.territories[index].id
    if geom is None:
        sc.drawn_shapes.pop(tid, None)
    else:
        sc.drawn_shapes[tid] = geom
    doc.shape_engine.set_shape(index, geom)
    doc.notify(Change(ChangeKind.ASSIGNMENT, territories={index}))


def new_color(scenario: Scenario) -> str:
    return color_for_new(set(), [t.color for t in scenario.territories])


def new_name(scenario: Scenario, base: str = "Territory") -> str:
    names = {t.name.casefold() for t in scenario.territories}
    n = len(scenario.territories) + 1
    while f"{base} {n}".casefold() in names:
        n += 1
    return f"{base} {n}"


class AddFreeformScenario(Command):
    """A new, empty freeform scenario in a freeform territory layer (created at the end of the
    layers when missing, so it takes no account from an existing layer), made active."""

    def __init__(self, name: str, layer: str = FREEFORM_LAYER, rule: str = ""):
        self.name, self.layer, self.rule = name.strip(), layer.strip() or FREEFORM_LAYER, rule
        self.text = f"New freeform scenario {self.name}"
        self._created_layer: TerritoryLayer | None = None
        self._previous = ""

    def redo(self, doc: Document) -> None:
        p = doc.project
        if not self.name:
            raise InputError("a scenario needs a name")
        if any(s.name == self.name for s in p.scenarios):
            raise InputError(f"a scenario named {self.name!r} exists already")
        layer = next((x for x in p.layers if x.name.casefold() == self.layer.casefold()), None)
        if layer is None:
            layer = TerritoryLayer(self.layer, self.rule, "freeform", "territories drawn on the map")
            check_layers([*p.layers, layer])
            p.layers.append(layer)
            self._created_layer = layer
        elif layer.kind != "freeform":
            raise InputError(f"layer {layer.name!r} holds unit territories; freeform scenarios need a freeform layer")
        p.scenarios.append(Scenario(self.name, assignment=np.full(len(p.units), UNASSIGNED, dtype=np.int64),
                                    layer=layer.name, shapes={}))
        self._previous, p.active = p.active, self.name
        doc.rebuild()
        doc.notify(Change(ChangeKind.SCENARIO))

    def undo(self, doc: Document) -> None:
        p = doc.project
        p.active = self._previous
        p.scenarios = [s for s in p.scenarios if s.name != self.name]
        if self._created_layer is not None:
            p.layers.remove(self._created_layer)
        doc.rebuild()
        doc.notify(Change(ChangeKind.SCENARIO))


class DrawTerritory(Command):
    """A new territory with a polygon (``territory_id`` None), or a new polygon for a territory."""

    def __init__(self, geom, territory_id: str | None = None, name: str | None = None, color: str | None = None,
                 region_id: str | None = None, text: str = "", rep_id: str | None = None):
        self.geom = checked_shape(geom, "the drawn territory")
        self.territory_id, self.name, self.color, self.region_id = territory_id, name, color, region_id
        self.rep_id = rep_id
        self.text = text or ("Draw territory" if territory_id is None else "Redraw territory")
        self._old = None
        self._added: Territory | None = None

    def redo(self, doc: Document) -> None:
        sc = doc.scenario
        if not sc.is_freeform:
            raise InputError(f"scenario {sc.name!r} is not freeform; create a freeform scenario to draw territories")
        if self.territory_id is None or self._added is not None:
            terr = self._added or Territory(sc.new_territory_id(), (self.name or "").strip() or new_name(sc),
                                            self.color or new_color(sc), self.region_id, self.rep_id)
            self._added = terr
            sc.territories.append(copy.copy(terr))
            sc.drawn_shapes[terr.id] = self.geom
            engine = doc.shape_engine
            t = engine.add_territory()
            engine.set_shape(t, self.geom)
            doc.notify(Change(ChangeKind.TERRITORIES, territories={t}))
            return
        index = _locate(doc, self.territory_id)
        _check_unlocked(doc, index)
        self._old = sc.drawn_shapes.get(self.territory_id)
        _set(doc, index, self.geom)

    def undo(self, doc: Document) -> None:
        sc = doc.scenario
        if self._added is not None:
            sc.territories = [t for t in sc.territories if t.id != self._added.id]
            sc.drawn_shapes.pop(self._added.id, None)
            doc.rebuild()
            doc.notify(Change(ChangeKind.TERRITORIES))
            return
        _set(doc, _locate(doc, self.territory_id), self._old)

    @property
    def territory(self) -> Territory | None:
        return self._added


class ReshapeTerritory(Command):
    """Replace a territory's polygon (vertex drag, insert, delete, move, clip): one undo step.

    The new polygon may already be in the engine (a live preview): then redo only records it."""

    def __init__(self, territory_id: str, old, new, text: str = "Reshape territory"):
        self.territory_id, self.old, self.text = territory_id, old, text
        self.new = checked_shape(new, "the reshaped territory")

    def redo(self, doc: Document) -> None:
        index = _locate(doc, self.territory_id)
        _check_unlocked(doc, index)
        _set(doc, index, self.new)

    def undo(self, doc: Document) -> None:
        _set(doc, _locate(doc, self.territory_id), self.old)


class _Restructure(Command):
    """Base of edits that add or remove territories: keeps copies to restore on undo."""

    _saved: tuple[list[Territory], dict, dict[str, str]]

    def _save(self, doc: Document) -> None:
        sc = doc.scenario
        self._saved = (list(sc.territories), dict(sc.drawn_shapes), dict(sc.pins))

    def undo(self, doc: Document) -> None:
        sc = doc.scenario
        sc.territories, sc.shapes, sc.pins = list(self._saved[0]), dict(self._saved[1]), dict(self._saved[2])
        doc.rebuild()
        doc.notify(Change(ChangeKind.TERRITORIES))


class SplitTerritory(_Restructure):
    """Cut a territory with a line (``shapely.ops.split``): the largest piece keeps the territory,
    every other piece becomes a new territory."""

    def __init__(self, territory_id: str, line):
        self.territory_id, self.line = territory_id, line
        self.text = "Split territory"
        self.created: list[str] = []

    def redo(self, doc: Document) -> None:
        index = _locate(doc, self.territory_id)
        _check_unlocked(doc, index)
        sc = doc.scenario
        geom = sc.drawn_shapes.get(self.territory_id)
        if not polygonal(geom):
            raise InputError(f"territory {sc.territories[index].name!r} has no shape to split")
        if self.line is None or shapely.get_type_id(self.line) not in (1, 5) or shapely.length(self.line) <= 0:
            raise InputError("split with a line of at least two points")
        parts = list(shapely.get_parts(geom))
        cut_pieces: list = []
        kept: list = []
        for part in parts:
            if shapely.intersects(part, self.line):
                pieces = list(shapely.get_parts(shapely.ops.split(part, self.line)))
                (cut_pieces if len(pieces) > 1 else kept).extend(pieces)
            else:
                kept.append(part)
        if not cut_pieces:
            raise InputError("the line must cross the territory from one side to the other")
        cut_pieces.sort(key=lambda g: -shapely.area(g))
        self._save(doc)
        base = sc.territories[index]
        self.text = f"Split territory {base.name}"
        sc.drawn_shapes[self.territory_id] = checked_shape(shapely.union_all([cut_pieces[0], *kept]))
        self.created = []
        for k, piece in enumerate(cut_pieces[1:], start=2):
            terr = Territory(sc.new_territory_id(), f"{base.name} ({k})", new_color(sc), base.region_id)
            sc.territories.append(terr)
            sc.drawn_shapes[terr.id] = checked_shape(piece)
            self.created.append(terr.id)
        doc.rebuild()
        doc.notify(Change(ChangeKind.TERRITORIES))


class MergeTerritories(_Restructure):
    """``remove``'s polygon joins ``keep``'s (their union) and ``remove`` is deleted."""

    def __init__(self, keep_id: str, remove_id: str, text: str = "Merge territories"):
        self.keep_id, self.remove_id = keep_id, remove_id
        self.text = text

    def redo(self, doc: Document) -> None:
        keep, remove = _locate(doc, self.keep_id), _locate(doc, self.remove_id)
        if keep == remove:
            raise InputError("choose two different territories to merge")
        _check_unlocked(doc, keep)
        _check_unlocked(doc, remove)
        sc = doc.scenario
        drawn = sc.drawn_shapes
        shapes = [g for g in (drawn.get(self.keep_id), drawn.get(self.remove_id)) if polygonal(g)]
        self._save(doc)
        if shapes:
            drawn[self.keep_id] = checked_shape(shapely.union_all(shapes), "the merged territory")
        drawn.pop(self.remove_id, None)
        sc.pins = {a: (self.keep_id if t == self.remove_id else t) for a, t in sc.pins.items()}
        del sc.territories[remove]
        doc.rebuild()
        doc.notify(Change(ChangeKind.TERRITORIES))


def units_outline(project, units, simplify: float | None = None):
    """The union of units (their polygons in the working CRS), lightly simplified: by 1 % of the
    typical unit size unless ``simplify`` (metres) says otherwise."""
    units = np.unique(np.asarray(units, dtype=np.int64))
    if len(units) == 0:
        raise InputError("select at least one unit")
    geoms = unit_index(project).geoms[units]
    try:
        merged = shapely.coverage_union_all(geoms)
        if not shapely.is_valid(merged):
            raise ValueError
    except (shapely.errors.ShapelyError, ValueError):
        merged = shapely.union_all(shapely.make_valid(geoms))
    parts = _polygon_parts(merged)
    merged = shapely.union_all(parts)
    if simplify is None:
        simplify = 0.01 * float(np.sqrt(np.median(shapely.area(geoms))))
    if simplify > 0:
        merged = shapely.simplify(merged, simplify, preserve_topology=True)
    return checked_shape(merged, "the outline of the units")


def from_units(project, units, territory_id: str | None = None, name: str | None = None,
               color: str | None = None, region_id: str | None = None, rep_id: str | None = None) -> DrawTerritory:
    """A freeform territory from units: the DrawTerritory command for their outline."""
    geom = units_outline(project, units)
    return DrawTerritory(geom, territory_id, name, color, region_id,
                         text=f"Territory from {len(np.unique(units))} unit(s)", rep_id=rep_id)


class ClipByNeighbour(Command):
    """The "fix" for an overlap: territory ``clip_id`` loses the part it shares with ``by_id``."""

    def __init__(self, clip_id: str, by_id: str):
        self.clip_id, self.by_id = clip_id, by_id
        self.text = "Clip territory by its neighbour"
        self._inner: ReshapeTerritory | None = None

    def redo(self, doc: Document) -> None:
        sc = doc.scenario
        a, b = _locate(doc, self.clip_id), _locate(doc, self.by_id)
        ga, gb = sc.drawn_shapes.get(self.clip_id), sc.drawn_shapes.get(self.by_id)
        if not (polygonal(ga) and polygonal(gb)) or not shapely.intersects(ga, gb):
            raise InputError(f"{sc.territories[a].name!r} and {sc.territories[b].name!r} do not overlap")
        parts = _polygon_parts(shapely.make_valid(shapely.difference(ga, gb)))
        parts = parts[shapely.area(parts) >= SLIVER * float(shapely.area(ga))]  # no slivers along the cut
        rest = shapely.union_all(parts) if len(parts) else None
        if rest is None or shapely.is_empty(rest) or shapely.area(rest) <= 0:
            raise InputError(f"{sc.territories[a].name!r} lies inside {sc.territories[b].name!r}: "
                             "clipping would leave nothing")
        self._inner = ReshapeTerritory(self.clip_id, ga, rest, self.text)
        self._inner.redo(doc)

    def undo(self, doc: Document) -> None:
        if self._inner is not None:
            self._inner.undo(doc)

