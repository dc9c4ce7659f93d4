"""Column mapping for CRM activity tables: which header of an opportunities, leads or quotas table
holds which target, guessed from Salesforce, HubSpot and Zoho headers (``auto_map``), overridden
by the user (``apply_overrides``, the CLI's ``--map COLUMN=TARGET`` and the mapping dialog), and
checked (``validate``: one column per target, lat with lon; ``missing_essentials``: what a mapping
still lacks before it can import).

Targets per kind (``ROLES``): opportunities ``id, account, amount, stage, status, won, closed_flag,
created, closed, owner``; leads ``id, created, response_hours, responded, owner, converted, account,
lat, lon, zip, city, state, county``; quotas ``rep, territory, period, amount``; any kind ``ignore``.
Headers are compared normalised (case, spaces and punctuation dropped); for each target the aliases
in ``_EXACT`` are listed best first, and the first column naming a target takes it.

The rows themselves are read and checked by activity.py.
"""
from __future__ import annotations

from territory_desk.domain.model.errors import InputError
from territory_desk.io.imports.column_mapping import IGNORE, ColumnMapping, check_one_column_per_role, normalise


KINDS = ("opportunities", "leads", "quotas")
ROLES: dict[str, tuple[str, ...]] = {
    "opportunities": ("id", "account", "amount", "stage", "status", "won", "closed_flag", "created", "closed", "owner"),
    "leads": ("id", "created", "response_hours", "responded", "owner", "converted", "account", "lat", "lon", "zip",
              "city", "state", "county"),
    "quotas": ("rep", "territory", "period", "amount"),
}
ESSENTIAL: dict[str, tuple[str, ...]] = {"opportunities": ("account", "amount", "created"), "leads": ("created",),
                                          "quotas": ("period", "amount")}
_EXACT: dict[str, tuple[str, ...]] = {
    "id": ("opportunityid", "dealid", "leadid", "recordid", "id", "opportunityno", "dealno", "opportunitynumber",
           "externalid", "contactid"),
    "account": ("accountid", "companyid", "associatedcompanyids", "associatedcompanyid", "customerid", "account",
                "accountnumber", "customerno", "accountname", "company", "companyname"),
    "amount": ("amount", "dealamount", "opportunityamount", "value", "dealvalue", "totalamount", "quota",
               "quotaamount", "target", "amountusd"),
    "stage": ("stage", "dealstage", "stagename", "opportunitystage", "salesstage"),
    "status": ("status", "outcome", "result", "wonlost", "dealstatus", "opportunitystatus"),
    "won": ("won", "iswon", "closedwon"),
    "closed_flag": ("closed", "isclosed"),
    "created": ("createddate", "createdate", "created", "createdon", "datecreated", "createdtime", "leadcreated",
                "opendate", "startdate"),
    "closed": ("closedate", "closeddate", "dateclosed", "closingdate", "closedon", "closedwondate"),
    "owner": ("owner", "ownerid", "opportunityowner", "dealowner", "leadowner", "rep", "repid", "salesrep",
              "assignedto", "userid", "ownername"),
    "rep": ("repid", "rep", "salesrepid", "salesrep", "ownerid", "owner", "userid", "employeeid"),
    "territory": ("territoryid", "territory", "territoryname"),
    "period": ("period", "quarter", "month", "year", "fiscalperiod", "quotaperiod"),
    "response_hours": ("responsehours", "firstresponsehours", "responsetimehours", "hourstofirstresponse",
                       "responsetime", "firstresponsetime", "timetofirstresponse"),
    "responded": ("firstresponse", "firstresponsedate", "respondedat", "firstcontact", "firstcontactdate",
                  "firstactivitydate", "firsttouch", "respondeddate", "firstresponseat"),
    "converted": ("converted", "isconverted", "convertedtocontact", "convertedtoopportunity", "leadconverted"),
    "lat": ("latitude", "lat"), "lon": ("longitude", "lon", "lng", "long"),
    "zip": ("zip", "zipcode", "postalcode", "postcode"), "city": ("city", "town"),
    "state": ("state", "stateregion", "province", "stateprovince"), "county": ("county",),
}


def target_choices(kind: str) -> list[str]:
    return [*ROLES[kind], IGNORE]


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InputError(f"unknown activity {kind!r}; kinds: {', '.join(KINDS)}")
    return kind


def auto_map(columns: list[str], kind: str) -> ColumnMapping:
    """Guess each column's target from its header; the first column naming a role wins."""
    roles = ROLES[check_kind(kind)]
    targets: dict[str, str] = {}
    taken: set[str] = set()
    for c in columns:
        norm = normalise(c)
        best = None
        for role in roles:
            names = _EXACT.get(role, ())
            if norm in names and (best is None or names.index(norm) < best[1]):
                best = (role, names.index(norm))
        if best is not None and best[0] not in taken:
            targets[c] = best[0]
            taken.add(best[0])
        else:
            targets[c] = IGNORE
    return ColumnMapping(targets, kind)


def apply_overrides(mapping: ColumnMapping, overrides: dict[str, str], columns: list[str]) -> ColumnMapping:
    targets = dict(mapping.targets)
    lookup = {c.casefold(): c for c in columns}
    valid = target_choices(mapping.kind)
    for source, target in overrides.items():
        col = source if source in targets else lookup.get(source.casefold())
        if col is None:
            raise InputError(f"no column {source!r} to map; columns are: {', '.join(columns) or '(none)'}")
        t = target.strip().casefold()
        t = IGNORE if t == "skip" else t
        if t not in valid:
            raise InputError(f"unknown target {target!r} for column {col!r}; targets for {mapping.kind} are: "
                             + ", ".join(valid))
        if t != IGNORE:
            for other, ot in targets.items():
                if ot == t and other != col:
                    targets[other] = IGNORE
        targets[col] = t
    result = ColumnMapping(targets, mapping.kind)
    validate(result)
    return result


def validate(mapping: ColumnMapping) -> None:
    for c, t in mapping.targets.items():
        if t != IGNORE and t not in ROLES[mapping.kind]:
            raise InputError(f"column {c!r}: {t!r} is not a target for {mapping.kind}")
    check_one_column_per_role(mapping.targets, ROLES[mapping.kind])


def missing_essentials(mapping: ColumnMapping) -> str:
    """What an importable mapping still lacks ("" when nothing)."""
    have = set(mapping.targets.values())
    lacking = [r for r in ESSENTIAL[mapping.kind] if r not in have]
    if mapping.kind == "quotas" and not have & {"rep", "territory"}:
        lacking.insert(0, "rep or territory")
    if lacking:
        return f"map a column to {', '.join(lacking)}"
    return ""
