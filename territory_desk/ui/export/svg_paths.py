"""SVG post-processing of map exports: Qt's own SVG reader (QSvgRenderer, so every Qt-based viewer)
truncates a path after 32,767 elements ("Invalid path data; path truncated"), and the border and fill
paths of large projects exceed that. ``split_long_paths`` cuts such paths into several <path>
elements: a stroked-only path at any sub-path; a filled path only before an outer ring (a sub-path
turning the same way as its first one), so holes stay with their outer ring."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
LIMIT = 20_000  # path elements per <path>, well below Qt's 32,767
_NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_COMMANDS = re.compile(r"[MLCmlc]")
_SUBPATH = re.compile(r"(?=M)")


def split_long_paths(path: str, limit: int = LIMIT) -> int:
    """Rewrite the SVG file at ``path`` in place if any path is too long; returns how many <path>
    elements were split."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if not any(len(_COMMANDS.findall(d)) > limit for d in re.findall(r' d="([^"]*)"', text)):
        return 0
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(text)
    split = 0
    for parent in root.iter():
        children = list(parent)
        for pos in range(len(children) - 1, -1, -1):
            el = children[pos]
            if el.tag != f"{{{SVG_NS}}}path":
                continue
            d = el.get("d", "")
            if len(_COMMANDS.findall(d)) <= limit:
                continue
            filled = (el.get("fill") or parent.get("fill") or "black") != "none"
            pieces = _pieces(d, limit, filled)
            if len(pieces) < 2:
                continue
            parent.remove(el)
            for k, piece in enumerate(pieces):
                new = ET.Element(el.tag, dict(el.attrib))
                new.set("d", piece)
                new.tail = el.tail
                parent.insert(pos + k, new)
            split += 1
    ET.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)
    return split


def _pieces(d: str, limit: int, filled: bool) -> list[str]:
    subpaths = [s for s in _SUBPATH.split(d) if s.strip()]
    sizes = [len(_COMMANDS.findall(s)) for s in subpaths]
    if filled:
        first = _orientation(subpaths[0])
        can_cut = [k == 0 or _orientation(s) == first for k, s in enumerate(subpaths)]
    else:
        can_cut = [True] * len(subpaths)
    pieces: list[str] = []
    current: list[str] = []
    count = 0
    for s, n, cut in zip(subpaths, sizes, can_cut):
        if cut and current and count + n > limit:
            pieces.append("".join(current))
            current, count = [], 0
        current.append(s)
        count += n
    if current:
        pieces.append("".join(current))
    return pieces


def _orientation(subpath: str) -> int:
    """Sign of the shoelace area of a ring given as "M x,y L x,y ... Z"."""
    nums = np.array([float(v) for v in _NUM.findall(subpath)])
    if len(nums) < 6:
        return 0
    xy = nums[: len(nums) // 2 * 2].reshape(-1, 2)
    x, y = xy[:, 0], xy[:, 1]
    area = float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    return 1 if area > 0 else -1 if area < 0 else 0
