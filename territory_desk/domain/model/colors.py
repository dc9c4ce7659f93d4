"""Territory colours: a qualitative palette and a greedy colouring so neighbours differ."""
from __future__ import annotations

import numpy as np

# ColorBrewer Set3/Paired-like pastel-to-mid tones that keep black labels readable
PALETTE = [
    "#8dd3c7", "#fdb462", "#bebada", "#fb8072", "#80b1d3", "#b3de69", "#fccde5", "#ffed6f",
    "#bc80bd", "#ccebc5", "#a6cee3", "#e5c494", "#66c2a5", "#c7a76c", "#8da0cb", "#e78ac3",
    "#a6d854", "#d9d9d9", "#b2df8a", "#cab2d6",
]


def territory_neighbours(assignment: np.ndarray, edge_i: np.ndarray, edge_j: np.ndarray, n: int) -> list[set[int]]:
    """Which territories touch which (over the unit adjacency graph)."""
    a, b = assignment[edge_i], assignment[edge_j]
    cross = (a != b) & (a >= 0) & (b >= 0)
    out: list[set[int]] = [set() for _ in range(n)]
    for x, y in set(zip(a[cross].tolist(), b[cross].tolist())):
        out[x].add(y)
        out[y].add(x)
    return out


def distinct_colors(neighbours: list[set[int]], current: list[str] | None = None) -> list[str]:
    """Greedy colouring, largest degree first, so that no two neighbouring territories share a colour.

    Keeps a territory's current colour when it is still distinct from its coloured neighbours."""
    n = len(neighbours)
    order = sorted(range(n), key=lambda t: -len(neighbours[t]))
    colors: list[str | None] = [None] * n
    usage = {c: 0 for c in PALETTE}
    for t in order:
        taken = {colors[o] for o in neighbours[t] if colors[o]}
        if current and current[t] and current[t] not in taken and current[t] not in colors:
            color = current[t]
        else:
            free = [c for c in PALETTE if c not in taken]
            color = min(free, key=lambda c: usage[c]) if free else PALETTE[t % len(PALETTE)]
        colors[t] = color
        usage[color] = usage.get(color, 0) + 1
    return [c or PALETTE[0] for c in colors]


def color_for_new(neighbour_colors: set[str], used: list[str]) -> str:
    """A colour for a new territory: unused if possible, else least used and not a neighbour's."""
    free = [c for c in PALETTE if c not in used and c not in neighbour_colors]
    if free:
        return free[0]
    candidates = [c for c in PALETTE if c not in neighbour_colors] or PALETTE
    return min(candidates, key=used.count)
