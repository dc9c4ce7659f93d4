"""Which source column means what: automatic mapping of CRM export headers, user overrides, and
vectorised number parsing.

Targets of a column:

* a role: ``id``, ``name``, ``lat``, ``lon``, ``street``, ``city``, ``state``, ``zip``, ``county``
  (reps also: ``first_name``, ``last_name``, ``capacity``, ``languages``, ``industries``,
  ``experience``);
* ``numeric`` / ``text``: keep the column as a data column named after its header
  (``numeric:NAME`` / ``text:NAME`` choose the name);
* ``ignore``.

Salesforce ("Account Name", "BillingPostalCode", "Billing Latitude"), HubSpot ("Company name",
"Postal Code", "State/Region", "Record ID") and Zoho ("Account Name", "Billing Code") headers are
recognised; billing addresses win over mailing and shipping ones.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from territory_desk.domain.model.errors import InputError
from territory_desk.domain.model.magnitudes import MAX_MAGNITUDE

ACCOUNT_ROLES = ("id", "name", "lat", "lon", "street", "city", "state", "zip", "county")
REP_ROLES = ("id", "name", "first_name", "last_name", "lat", "lon", "street", "city", "state", "zip", "county",
             "capacity", "languages", "industries", "experience")
KEEP_KINDS = ("numeric", "text")
IGNORE = "ignore"
COORDINATE_ROLES = ("lat", "lon")

# exact normalised headers per role, best first (normalised = lower case, letters and digits only)
_EXACT: dict[str, tuple[str, ...]] = {
    "id": ("accountid", "id", "recordid", "companyid", "customerid", "customerno", "customernumber", "accountnumber",
           "externalid", "zohoid", "crmid", "repid", "salesrepid", "employeeid", "userid", "ownerid", "hubspotid"),
    "name": ("accountname", "companyname", "name", "company", "customername", "customer", "account", "organization",
             "organisation", "businessname", "repname", "salesrep", "salesrepname", "fullname", "employeename",
             "ownername", "username"),
    "first_name": ("firstname", "givenname", "forename"),
    "last_name": ("lastname", "surname", "familyname"),
    "lat": ("latitude", "lat", "billinglatitude", "mailinglatitude", "shippinglatitude", "homelatitude", "ycoord"),
    "lon": ("longitude", "lon", "lng", "long", "billinglongitude", "mailinglongitude", "shippinglongitude",
            "homelongitude", "xcoord"),
    "street": ("billingstreet", "street", "streetaddress", "address", "address1", "addressline1", "billingaddress",
               "mailingstreet", "shippingstreet", "homestreet", "homeaddress"),
    "city": ("billingcity", "city", "town", "mailingcity", "shippingcity", "homecity"),
    "state": ("billingstate", "billingstateprovince", "state", "stateregion", "stateprovince", "province",
              "billingstatecode", "statecode", "mailingstate", "shippingstate", "homestate"),
    "zip": ("billingpostalcode", "billingzip", "billingzippostalcode", "billingcode", "postalcode", "zip",
            "zipcode", "zippostalcode", "postcode", "mailingpostalcode", "mailingzip", "shippingpostalcode",
            "shippingcode", "homezip", "homepostalcode"),
    "county": ("billingcounty", "county", "countyname", "mailingcounty", "shippingcounty", "homecounty"),
    "capacity": ("capacity", "maxaccounts", "accountcapacity", "capacityaccounts", "capacityhours", "workload",
                 "maxworkload"),
    "languages": ("languages", "language", "spokenlanguages"),
    "industries": ("industries", "industryexpertise", "verticals", "specialties", "specialty", "industry"),
    "experience": ("experience", "experiencelevel", "level", "seniority"),
}
# substrings for headers no list knows ("Billing Address Latitude", "Lat (deg)"): role, substring
_CONTAINS = (("lat", "latitude"), ("lon", "longitude"), ("zip", "postalcode"), ("zip", "zipcode"), ("zip", "postcode"))
_PREFIX_RANK = (("billing", 0), ("home", 0), ("mailing", 1), ("shipping", 2))
_NOT_A_MEASURE = re.compile(r"(phone|fax|mobile|zip|postal|postcode|duns|naics|sic|taxid|ein$|year|date|code$|id$|"
                            r"number$|^no$|^lat|^lon|^lng)")
_MEASURE_NAMES = {"annualrevenue", "revenue", "potential", "employees", "numberofemployees", "sales", "spend",
                  "opportunityamount", "amount", "arr", "mrr"}
MISSING_TOKENS = frozenset({"", "nan", "na", "n/a", "#n/a", "null", "none", "-", "--"})


def normalise(header: str) -> str:
    return re.sub(r"[^0-9a-z]", "", str(header).casefold())


def clean_name(header: str) -> str:
    """A data column name from a header: "Annual Revenue" -> "annual_revenue"."""
    out = "".join(ch if ch.isalnum() else "_" for ch in str(header).strip().lower())
    return re.sub(r"_+", "_", out).strip("_")[:60] or "field"


@dataclass
class ColumnMapping:
    """source column -> target (a role, "numeric[:name]", "text[:name]" or "ignore")."""

    targets: dict[str, str] = field(default_factory=dict)
    kind: str = "accounts"

    def column(self, role: str) -> str | None:
        return next((c for c, t in self.targets.items() if t == role), None)

    def kept(self, kind: str) -> list[tuple[str, str]]:
        """[(source column, data column name)] kept as ``kind`` ("numeric" or "text")."""
        out: list[tuple[str, str]] = []
        used: set[str] = set()
        for c, t in self.targets.items():
            if t == kind or t.startswith(kind + ":"):
                name = t.split(":", 1)[1].strip() if ":" in t else clean_name(c)
                base, n = name, 2
                while name in used:
                    name, n = f"{base}_{n}", n + 1
                used.add(name)
                out.append((c, name))
        return out

    def describe(self) -> str:
        return ", ".join(f"{c} → {t}" for c, t in self.targets.items() if t != IGNORE)


def roles_for(kind: str) -> tuple[str, ...]:
    return REP_ROLES if kind == "reps" else ACCOUNT_ROLES


def target_choices(kind: str) -> list[str]:
    """Every target a column can be mapped to (for the CLI help and the mapping dialog)."""
    return [*roles_for(kind), *KEEP_KINDS, IGNORE]


def _role_score(norm: str, roles: tuple[str, ...]) -> tuple[str, int] | None:
    for role in roles:
        if norm in _EXACT.get(role, ()):
            return role, _EXACT[role].index(norm)
    for role, part in _CONTAINS:
        if role in roles and part in norm:
            rank = next((r for p, r in _PREFIX_RANK if norm.startswith(p)), 1)
            return role, 100 + rank
    return None


def auto_map(columns: list[str], sample: pd.DataFrame | None = None, kind: str = "accounts") -> ColumnMapping:
    """Guess the target of every column from its header (and, for data columns, its values)."""
    roles = roles_for(kind)
    best: dict[str, tuple[int, str]] = {}
    claims: dict[str, str] = {}
    for c in columns:
        hit = _role_score(normalise(c), roles)
        if hit is None:
            continue
        role, score = hit
        claims[c] = role
        if role not in best or score < best[role][0]:
            best[role] = (score, c)
    winners = {c: role for role, (_, c) in best.items()}
    targets: dict[str, str] = {}
    for c in columns:
        if c in winners:
            targets[c] = winners[c]
        elif c in claims and claims[c] in ("lat", "lon", "street", "city", "state", "zip", "county"):
            targets[c] = IGNORE  # e.g. the shipping address when the billing one is used
        else:
            targets[c] = _data_kind(c, sample[c] if sample is not None and c in sample else None)
    return ColumnMapping(targets, kind)


def _data_kind(column: str, values: pd.Series | None) -> str:
    norm = normalise(column)
    if _NOT_A_MEASURE.search(norm):
        return "text"
    if values is None:
        return "numeric" if norm in _MEASURE_NAMES else "text"
    sample = values.iloc[:5000].to_numpy(dtype=object)
    filled = [v for v in sample if isinstance(v, str) and v.strip().casefold() not in MISSING_TOKENS]
    if not filled:
        return "numeric" if norm in _MEASURE_NAMES else "text"
    nums = parse_numbers(pd.Series(filled, dtype=object))
    share = 1.0 - nums.bad.mean()
    if share >= 0.9 or (norm in _MEASURE_NAMES and share >= 0.5):
        return "numeric"
    return "text"


def parse_overrides(items: list[str] | None) -> dict[str, str]:
    """``["Annual Revenue=numeric:revenue", "Zip=zip"]`` -> {source: target}."""
    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            raise InputError(f"--map {item!r}: write SOURCE=TARGET, e.g. --map 'Billing Zip=zip'")
        source, target = item.rsplit("=", 1)
        if not source.strip():
            raise InputError(f"--map {item!r}: the source column is empty")
        out[source.strip()] = target.strip()
    return out


def apply_overrides(mapping: ColumnMapping, overrides: dict[str, str], columns: list[str]) -> ColumnMapping:
    """A new mapping with the user's choices on top; validates column names and targets."""
    targets = dict(mapping.targets)
    valid = set(target_choices(mapping.kind))
    lookup = {c.casefold(): c for c in columns}
    for source, target in overrides.items():
        col = source if source in targets else lookup.get(source.casefold())
        if col is None:
            raise InputError(f"no column {source!r} to map; columns are: {', '.join(columns) or '(none)'}")
        t = target.strip()
        base = t.split(":", 1)[0].strip().casefold()
        if base == "skip":
            base = IGNORE
        if base not in valid or (":" in t and base not in KEEP_KINDS):
            raise InputError(f"unknown target {target!r} for column {col!r}; targets are: "
                             + ", ".join(target_choices(mapping.kind)) + " (numeric:NAME and text:NAME rename)")
        t = base if ":" not in t else f"{base}:{t.split(':', 1)[1].strip()}"
        if base not in (*KEEP_KINDS, IGNORE):
            for other, ot in targets.items():
                if ot == base and other != col:
                    targets[other] = IGNORE if base in COORDINATE_ROLES else "text"
        targets[col] = t
    result = ColumnMapping(targets, mapping.kind)
    validate(result)
    return result


def validate(mapping: ColumnMapping) -> None:
    """Each role at most once; latitude and longitude come together."""
    check_one_column_per_role(mapping.targets, roles_for(mapping.kind))


def check_one_column_per_role(targets: dict[str, str], roles) -> None:
    """Each of ``roles`` is mapped from one column at most; latitude and longitude come together
    (the rule of every import's mapping)."""
    seen: dict[str, str] = {}
    for c, t in targets.items():
        if t in roles:
            if t in seen:
                raise InputError(f"two columns are mapped to {t!r}: {seen[t]!r} and {c!r}")
            seen[t] = c
    if ("lat" in seen) != ("lon" in seen):
        have, miss = ("lat", "lon") if "lat" in seen else ("lon", "lat")
        raise InputError(f"column {seen[have]!r} is mapped to {have!r} but no column is mapped to {miss!r}")


def missing_essentials(mapping: ColumnMapping) -> str:
    """What an importable mapping still lacks ("" when nothing): accounts need a location column,
    reps an id or a name."""
    have = set(mapping.targets.values())
    if mapping.kind == "reps":
        return "" if have & {"id", "name", "last_name"} else "map a column to the rep's id or name"
    if have & {"lat", "zip", "city", "county"}:
        return ""
    return "map a column to latitude/longitude, ZIP code, city (with state) or county (with state)"


# ---- numbers ------------------------------------------------------------------------------------
@dataclass
class Numbers:
    values: np.ndarray  # float64; NaN where missing or bad
    missing: np.ndarray  # bool: empty cell or a missing-value token (NaN, N/A, NULL, -)
    bad: np.ndarray  # bool: text that is not a number
    huge: np.ndarray  # bool: a number beyond ±MAX_MAGNITUDE (1e15: sums of larger ones overflow) or inf


_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d*)?$")
_DECIMAL_COMMA = re.compile(r"^[-+]?\d*,\d+$")


def parse_numbers(values, decimal_comma: bool = False) -> Numbers:
    """Numbers from text cells, vectorised. Accepts currency signs, spaces, thousands separators
    (1,234.5; with ``decimal_comma`` 1.234,5), accounting negatives "(12)" and a trailing "%"."""
    s = pd.Series(values, dtype=object).reset_index(drop=True)
    num = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, copy=True)
    missing = np.zeros(len(s), dtype=bool)
    failed = np.zeros(len(s), dtype=bool)
    idx = np.flatnonzero(np.isnan(num))  # only these need a closer look
    if len(idx):
        sub = pd.Series(["" if v is None or v != v else str(v).strip() for v in s.iloc[idx]], dtype=object)
        miss = np.array([v.casefold() in MISSING_TOKENS for v in sub], dtype=bool)
        missing[idx[miss]] = True
        rest = idx[~miss]
        if len(rest):
            num[rest] = pd.to_numeric(_cleaned(sub[~miss], decimal_comma), errors="coerce").to_numpy(dtype=np.float64)
            failed[rest[np.isnan(num[rest])]] = True
        num[idx[miss]] = np.nan
    with np.errstate(invalid="ignore"):
        huge = np.abs(num) > MAX_MAGNITUDE  # what a project may hold (domain/magnitudes.py); inf too
    num[huge] = np.nan
    return Numbers(num, missing, failed, huge)


def _cleaned(text: pd.Series, decimal_comma: bool) -> pd.Series:
    t = text.str.replace(r"[\s\u00a0'’$€£¥%]|USD|EUR|GBP", "", regex=True)
    neg = t.str.match(r"^\(.*\)$").fillna(False)
    t = t.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    if decimal_comma:
        t = t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        thousands = t.str.match(_THOUSANDS).fillna(False)
        t = t.where(~thousands, t.str.replace(",", "", regex=False))
        dec = t.str.match(_DECIMAL_COMMA).fillna(False)
        t = t.where(~dec, t.str.replace(",", ".", regex=False))
    t = t.where(~neg, "-" + t)
    return t
