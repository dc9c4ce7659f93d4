"""numpy arrays -> Qt geometry without a Python loop over points.

* ``polygonf(xy)``: a QPolygonF of n points written through a buffer over its storage
  (pyqtgraph's trick). PySide6 returns ``QPolygonF.data()`` as a QPointF wrapping the first element;
  ``shiboken6.getCppPointer`` gives its address and ``shiboken6.VoidPtr`` a writable buffer over
  the 16-byte (x, y) doubles. Checked once at import; falls back to building QPointF objects.
* ``path_from_coords(coords, starts)``: a QPainterPath of polylines/rings in one C++ call, by
  writing Qt's QDataStream serialisation of a path (element count, then (type, x, y) per element,
  big-endian; then the current-subpath start and the fill rule) with numpy and reading it back.
* ``gather_ranges(starts, ends)``: the concatenated index ranges [s, e) (vectorised).
"""
from __future__ import annotations

import numpy as np
import shiboken6
from PySide6.QtCore import QByteArray, QDataStream, QPointF, Qt
from PySide6.QtGui import QPainterPath, QPolygonF

_ELEMENT = np.dtype([("type", ">i4"), ("x", ">f8"), ("y", ">f8")])
_MOVE_TO, _LINE_TO = 0, 1


def _polygonf_fast(xy: np.ndarray) -> QPolygonF:
    n = len(xy)
    poly = QPolygonF()
    if n == 0:
        return poly
    poly.resize(n)
    address = shiboken6.getCppPointer(poly.data())[0]
    view = np.frombuffer(shiboken6.VoidPtr(address, n * 16, True), dtype=np.float64)
    view[:] = np.ascontiguousarray(xy, dtype=np.float64).ravel()
    return poly


def _polygonf_slow(xy: np.ndarray) -> QPolygonF:
    return QPolygonF([QPointF(x, y) for x, y in np.asarray(xy, dtype=float).tolist()])


def _fast_path_works() -> bool:
    try:
        probe = np.array([[1.5, -2.0], [3.0, 4.25], [1e6, -1e-3]])
        poly = _polygonf_fast(probe)
        return [(p.x(), p.y()) for p in poly] == [tuple(r) for r in probe.tolist()]
    except Exception:  # pragma: no cover - depends on the PySide6 build
        return False


FAST_POLYGONF = _fast_path_works()


def polygonf(xy: np.ndarray) -> QPolygonF:
    """QPolygonF from an (n, 2) float array."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    return _polygonf_fast(xy) if FAST_POLYGONF else _polygonf_slow(xy)


def gather_ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Indices of the concatenated ranges [starts[k], ends[k])."""
    starts = np.asarray(starts, dtype=np.int64)
    lens = np.asarray(ends, dtype=np.int64) - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - (np.cumsum(lens) - lens), lens)
    return offsets + np.arange(total, dtype=np.int64)


def path_from_coords(coords: np.ndarray, starts: np.ndarray, winding: bool = True) -> QPainterPath:
    """A path with a moveTo where ``starts`` is True and a lineTo elsewhere.

    Rings must repeat their first point at the end (shapely does) to be closed outlines.
    """
    n = len(coords)
    path = QPainterPath()
    if n == 0:
        return path
    buf = np.empty(4 + n * _ELEMENT.itemsize + 8, dtype=np.uint8)
    buf[:4] = np.frombuffer(np.array([n], dtype=">i4").tobytes(), dtype=np.uint8)
    rec = np.ndarray(n, dtype=_ELEMENT, buffer=buf, offset=4)
    rec["type"] = np.where(starts, _MOVE_TO, _LINE_TO)
    rec["x"] = coords[:, 0]
    rec["y"] = coords[:, 1]
    fill_rule = 1 if winding else 0  # Qt::WindingFill / Qt::OddEvenFill
    buf[-8:] = np.frombuffer(np.array([0, fill_rule], dtype=">i4").tobytes(), dtype=np.uint8)
    data = QByteArray(buf.tobytes())  # keep a reference: the stream reads from it
    stream = QDataStream(data)
    stream >> path
    if path.elementCount() != n:  # pragma: no cover - serialisation format changed
        return _path_slow(coords, starts, winding)
    return path


def _path_slow(coords: np.ndarray, starts: np.ndarray, winding: bool) -> QPainterPath:
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.WindingFill if winding else Qt.FillRule.OddEvenFill)
    for (x, y), s in zip(coords.tolist(), starts.tolist()):
        if s:
            path.moveTo(x, y)
        else:
            path.lineTo(x, y)
    return path
