"""The component scores of rep <-> territory matching (matching.py scores every pair with these
and solves the plan). Each scorer returns a (reps x territories) array of 0..1, a mask of the pairs
that had data (the others score NEUTRAL) and the raw figures behind it (for the explanations):

* ``text_fit``        industry or language: share of the territory's accounts stating a value that
                      the rep covers; languages compared as codes (``language_code``)
* ``experience_fit``  1 - |rep level (``experience_level``) - the territory's potential rank|
* ``distance_fit``    mean great-circle distance from the rep's home to the territory's points
                      beyond the territory's own radius, halving every "half distance"
* ``capacity_fit``    workload vs ``rep.capacity``: 1 at full use, 0.5 empty, 0 at 150 %
"""
from __future__ import annotations

import re

import numpy as np

NEUTRAL = 0.5
EARTH_KM = 6371.0088
LEVELS = {"entry": 0.0, "junior": 0.0, "associate": 0.25, "mid": 0.5, "intermediate": 0.5, "medior": 0.5,
          "experienced": 0.75, "senior": 1.0, "lead": 1.0, "principal": 1.0, "expert": 1.0}
_LANGUAGE_NAMES = dict(pair.split(":") for pair in (
    "english:en spanish:es espanol:es español:es castilian:es french:fr français:fr francais:fr german:de "
    "deutsch:de portuguese:pt português:pt italian:it chinese:zh mandarin:zh cantonese:zh japanese:ja korean:ko "
    "vietnamese:vi tagalog:tl filipino:tl russian:ru arabic:ar hindi:hi polish:pl dutch:nl greek:el hebrew:he "
    "turkish:tr swedish:sv norwegian:no danish:da finnish:fi czech:cs ukrainian:uk creole:ht urdu:ur "
    "bengali:bn punjabi:pa persian:fa farsi:fa thai:th indonesian:id malay:ms somali:so amharic:am").split())


def language_code(text: str) -> str:
    """"Spanish", "es", "es-MX", "ES_mx" -> "es"; unknown names are kept case-folded."""
    s = text.strip().casefold()
    if s in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[s]
    head = re.split(r"[-_]", s, maxsplit=1)[0]
    return head if 2 <= len(head) <= 3 and head.isalpha() else s


def languages_of(value) -> set[str]:
    """A cell or skill value ("en, es", ["en", "Spanish"]) as a set of language codes."""
    items = value if isinstance(value, (list, tuple, set)) else re.split(r"[,;/|]", str(value or ""))
    return {language_code(str(x)) for x in items if str(x).strip()}


def experience_level(value) -> tuple[float | None, str]:
    """(0..1 level, label): junior/mid/senior or a number of years (10 years and more = 1)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "no experience given"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(np.clip(float(value) / 10.0, 0.0, 1.0)), f"{float(value):g} years"
    s = str(value).strip().casefold()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(?:y|yr|yrs|years?)?", s)
    if m:
        return float(np.clip(float(m.group(1)) / 10.0, 0.0, 1.0)), f"{float(m.group(1)):g} years"
    if s in LEVELS:
        return LEVELS[s], s
    return None, f"unknown experience {value!r}"


def _share_matrix(values: list[str], terr: np.ndarray, n_t: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(T, K) counts of each distinct text value (case-insensitive) among each territory's accounts,
    the number of accounts stating a value per territory, and the K values as first written."""
    raw: dict = {}
    code = np.fromiter((raw.setdefault(v, len(raw)) for v in values), dtype=np.int64, count=len(values))
    folded: dict[str, int] = {}
    first: list[str] = []
    to_key = np.full(len(raw), -1, dtype=np.int64)
    for v, k in raw.items():  # distinct cells only: few
        text = str(v).strip() if v is not None else ""
        if text:
            to_key[k] = folded.setdefault(text.casefold(), len(folded))
            if to_key[k] == len(first):
                first.append(text)
    code = to_key[code] if len(code) else code
    ok = (terr >= 0) & (code >= 0)
    counts = np.zeros((n_t, len(first)))
    np.add.at(counts, (terr[ok], code[ok]), 1.0)
    return counts, counts.sum(axis=1), first


def _industries_of(value) -> set[str]:
    items = value if isinstance(value, (list, tuple, set)) else str(value or "").split(",")
    return {str(x).strip().casefold() for x in items if str(x).strip()}


def unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """(N, 3) points on the unit sphere from longitudes and latitudes in degrees."""
    lo, la = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def _km(dot: np.ndarray) -> np.ndarray:
    """Great-circle distance from the dot product of unit vectors (chord form: exact at short range)."""
    return 2.0 * EARTH_KM * np.arcsin(np.sqrt(np.clip((1.0 - dot) / 2.0, 0.0, 1.0)))


def text_fit(key: str, col: str, project, reps, terr: np.ndarray, n_t: int):
    """Industry or language: share of each territory's accounts (with a value) that the rep covers."""
    norm, skill = (_industries_of, "industries") if key == "industry" else (languages_of, "languages")
    counts, stated, values = _share_matrix(project.accounts.text[col], terr, n_t)
    value_sets = [norm(v) for v in values]
    rep_sets = [norm(r.skills.get(skill)) for r in reps]
    cover = np.array([[bool(vs & rs) for vs in value_sets] for rs in rep_sets], dtype=float)
    covered = cover.reshape(len(reps), len(values)) @ counts.T  # (R, T)
    ok = np.array([bool(rs) for rs in rep_sets])[:, None] & (stated > 0)[None, :]
    part = np.where(ok, covered / np.maximum(stated, 1)[None, :], NEUTRAL)
    return part, ok, (counts, stated, values, rep_sets, covered)


def experience_fit(reps, potential: np.ndarray):
    """1 - |rep level - the territory's rank on the potential metric| (ranks spread 0..1)."""
    from scipy.stats import rankdata

    n_t = len(potential)
    rank = (rankdata(potential) - 1) / (n_t - 1) if n_t > 1 else np.full(n_t, 0.5)
    levels = np.array([np.nan if x is None else x for x, _ in (experience_level(r.skills.get("experience"))
                                                               for r in reps)], dtype=float)
    ok = np.isfinite(levels)[:, None] & np.ones((1, n_t), dtype=bool)
    return np.where(ok, 1.0 - np.abs(np.nan_to_num(levels)[:, None] - rank[None, :]), NEUTRAL), ok, rank


def distance_fit(points, reps, n_t: int, half_setting):
    """Mean distance from each home to each territory's points, scored beyond its own radius
    (``points``: unit vectors, weights, owner territory and basis, rep_matching._territory_points)."""
    xyz, w, owner, basis = points
    cnt = np.bincount(owner, weights=w, minlength=n_t)[:n_t]
    centre = np.column_stack([np.bincount(owner, weights=w * xyz[:, k], minlength=n_t)[:n_t] for k in range(3)])
    centre /= np.maximum(np.linalg.norm(centre, axis=1, keepdims=True), 1e-300)
    homes = [r for r, rep in enumerate(reps) if rep.home_lon is not None and rep.home_lat is not None
             and np.isfinite([rep.home_lon, rep.home_lat]).all()]
    dist = np.full((len(reps), n_t), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        radius = np.nan_to_num(np.bincount(owner, weights=w * _km(np.einsum("ij,ij->i", xyz, centre[owner])),
                                           minlength=n_t)[:n_t] / cnt)
        if homes:
            h = unit_vectors(np.array([reps[r].home_lon for r in homes], dtype=float),
                              np.array([reps[r].home_lat for r in homes], dtype=float))
            total = np.zeros((len(homes), n_t))
            for start in range(0, len(owner), 50_000):  # (points x reps) in slices of bounded memory
                sl = slice(start, start + 50_000)
                d = _km(xyz[sl] @ h.T) * w[sl, None]
                for k in range(len(homes)):
                    total[k] += np.bincount(owner[sl], weights=d[:, k], minlength=n_t)[:n_t]
            dist[homes] = np.where(cnt > 0, total / cnt, np.nan)
    half = float(half_setting) if isinstance(half_setting, (int, float)) and half_setting > 0 else \
        float(np.median(radius[cnt > 0])) if (cnt > 0).any() else 1.0
    half = max(half, 1.0)
    ok = np.isfinite(dist)
    part = np.where(ok, 0.5 ** (np.maximum(np.nan_to_num(dist) - radius[None, :], 0.0) / half), NEUTRAL)
    return part, ok, (dist, radius, half, basis)


def capacity_fit(reps, load: np.ndarray):
    """1 at full use, 0.5 when empty, 0 at 150 % (overload costs twice as much as slack)."""
    cap = np.array([float(r.capacity or 0.0) for r in reps])
    ok = (np.isfinite(cap) & (cap > 0))[:, None] & np.ones((1, len(load)), dtype=bool)
    u = load[None, :] / np.where(ok, cap[:, None], 1.0)
    s = np.where(u <= 1.0, 1.0 - 0.5 * (1.0 - u), 1.0 - 2.0 * (u - 1.0))
    return np.where(ok, np.clip(s, 0.0, 1.0), NEUTRAL), ok, cap
