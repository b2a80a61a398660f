"""Domain rules of the quarterly return (Python checks), each registered in :mod:`validation.rules`.

Each check is vectorised over the rows.  Messages name the column and row
through the issue itself; they never quote a name or a date of birth.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from collection.reference import organisations
from collection.schema import SCHEMA_VERSION
from validation.distinct import (
    category_mask,
    distinct_mask,
    encode,
    group_codes,
    rows_text,
    spread,
)
from validation.normalise import fold_name
from validation.rules import RuleContext, register

#: Values that stand for "no name" and must not be used for matching (lower case).
NAME_PLACEHOLDERS = frozenset({
    "unknown", "not known", "n/k", "nk", "n/a", "na", "none", "nil", "null", "x", "xx", "xxx",
    "-", "--", "?", "??", "anon", "anonymous", "refused", "declined", "tbc", "tba", "no name",
    "unnamed", "baby", "child", "male", "female", "mr", "mrs", "ms", "miss",
})
EARLIEST_BIRTH = pd.Timestamp(1900, 1, 1)


def _concat(parts: Sequence[pd.DataFrame | None]) -> pd.DataFrame | None:
    kept = [p for p in parts if p is not None and len(p)]
    return pd.concat(kept, ignore_index=True) if kept else None


def _age_years(born: pd.Series, at: pd.Series) -> pd.Series:
    """Whole years from ``born`` to ``at`` (NaN where either is missing)."""
    years = at.dt.year - born.dt.year
    before_birthday = (at.dt.month < born.dt.month) | (
        (at.dt.month == born.dt.month) & (at.dt.day < born.dt.day))
    return (years - before_birthday.astype("float")).astype("float")


def _age_at_encounter(ctx: RuleContext) -> pd.Series:
    """Age in whole years at first encounter by the date of birth (computed once per return)."""
    if "age_at_encounter" not in ctx.cache:
        ctx.cache["age_at_encounter"] = _age_years(ctx.typed["date_of_birth"],
                                                   ctx.typed["first_encountered"])
    return ctx.cache["age_at_encounter"]


def _same_rows_message(groups: np.ndarray, flagged: pd.Series, rows: pd.Series,
                       prefix: str) -> pd.Series:
    """``prefix`` + the rows of each flagged row's group (``"2, 5 and 1 more"``)."""
    mask = flagged.to_numpy()
    message = np.full(len(mask), None, dtype=object)
    message[mask] = prefix + rows_text(groups[mask], rows.to_numpy()[mask])
    return pd.Series(message, index=flagged.index)


# --------------------------------------------------------------------- the return as a whole


@register("org_known", severity="error", title="The organisation code is known",
          fix="Use your organisation's code from data/reference/organisations.csv "
              "(it is on the template's Instructions sheet).")
def org_known(ctx: RuleContext) -> pd.DataFrame | None:
    """The organisation the return is submitted for is in the organisations list."""
    if ctx.org_code.strip().upper() in organisations():
        return None
    return ctx.file_finding("org_code", ctx.org_code, "is not a known organisation code")


@register("quarter_format", severity="error", title="The quarter is written like 2025Q3",
          fix="Give the quarter as YYYYQn, e.g. 2025Q3 (Q1 = January to March).")
def quarter_format(ctx: RuleContext) -> pd.DataFrame | None:
    """The quarter the return covers is well formed."""
    if ctx.quarter is not None:
        return None
    return ctx.file_finding("quarter", ctx.quarter_text, "is not a quarter of the form YYYYQn")


@register("template_stamp", severity="error",
          title="An XLSX return is made from this organisation's template for this quarter",
          fix="Download the template for your organisation and this quarter "
              "(darkfigure template) and copy your rows into it.")
def template_stamp(ctx: RuleContext) -> pd.DataFrame | None:
    """The organisation, quarter and schema version stamped in an XLSX template match."""
    if not ctx.stamp:
        return None
    parts = []
    org = ctx.stamp.get("org_code", "")
    if org and ctx.org_code.strip().upper() in organisations() and \
            org.upper() != ctx.org_code.strip().upper():
        parts.append(ctx.file_finding(
            "org_code", org, f"the template was made for organisation {org}, not {ctx.org_code}"))
    stamped_q = ctx.stamp.get("quarter", "")
    if stamped_q and ctx.quarter is not None and stamped_q.upper() != str(ctx.quarter):
        parts.append(ctx.file_finding(
            "quarter", stamped_q, f"the template was made for {stamped_q}, not {ctx.quarter}"))
    version = ctx.stamp.get("schema_version", "")
    if version and version != SCHEMA_VERSION:
        parts.append(ctx.file_finding(
            "schema_version", version,
            f"the template is for return schema {version}; the current schema is {SCHEMA_VERSION}"))
    return _concat(parts)


# --------------------------------------------------------------------------------- dates


def explain_dates(ctx: RuleContext) -> pd.DataFrame | None:
    """Each date problem explained: which form was expected and what the value looks like.

    The Python half of rule ``date_format`` (registered with its expectations in
    :mod:`validation.expectations`): it also finds dates that do not exist.
    """
    parts = []
    for name, parsed in ctx.dates.items():
        bad = parsed["problem"] != ""
        if bad.any():
            parts.append(ctx.findings(bad, name, parsed["problem"]))
    return _concat(parts)


@register("first_encountered_in_quarter", severity="error",
          title="The date first encountered is inside the quarter of the return",
          fix="Correct the date, or send the record with the return for the quarter it belongs to.")
def first_encountered_in_quarter(ctx: RuleContext) -> pd.DataFrame | None:
    """A return holds the people first encountered in its quarter, and no others."""
    if ctx.quarter is None:
        return None
    seen = ctx.typed["first_encountered"]
    start, end = pd.Timestamp(ctx.quarter.start), pd.Timestamp(ctx.quarter.end)
    outside = seen.notna() & ((seen < start) | (seen > end))
    if not outside.any():
        return None
    seen_out = seen[outside]
    swapped = pd.to_datetime(  # read month first (only where it is outside)
        dict(year=seen_out.dt.year, month=seen_out.dt.day, day=seen_out.dt.month),
        errors="coerce").reindex(seen.index)
    hint = ctx.dates["first_encountered"]["ambiguous"] & (swapped >= start) & (swapped <= end)
    base = f"is outside {ctx.quarter} ({ctx.quarter.start} to {ctx.quarter.end})"
    message = pd.Series(base, index=seen.index, dtype="str")
    message = message.where(~hint, base + "; read month first it would be inside: "
                            "check the day and month")
    return ctx.findings(outside, "first_encountered", message)


@register("first_encountered_not_future", severity="error",
          title="The date first encountered is not in the future",
          fix="Correct the date (day first: DD/MM/YYYY).")
def first_encountered_not_future(ctx: RuleContext) -> pd.DataFrame | None:
    """No one can have been encountered after the day the return is validated."""
    future = ctx.typed["first_encountered"] > pd.Timestamp(ctx.today)
    return ctx.findings(future, "first_encountered", "is in the future") if future.any() else None


@register("dob_plausible", severity="error",
          title="The date of birth is after 1900, not in the future, and before first encounter",
          fix="Correct the date of birth, or leave it empty and give an estimated age.")
def dob_plausible(ctx: RuleContext) -> pd.DataFrame | None:
    """A date of birth after the first encounter or today, or before 1900, is a typing error."""
    born, seen = ctx.typed["date_of_birth"], ctx.typed["first_encountered"]
    future = born > pd.Timestamp(ctx.today)
    early = born < EARLIEST_BIRTH
    after_seen = ~future & (born > seen)
    bad = future | early | after_seen
    if not bad.any():
        return None
    message = np.select([future, early], ["is in the future", "is before 1900"],
                        "is after the date first encountered")
    return ctx.findings(bad, "date_of_birth", pd.Series(message, index=born.index))


@register("day_month_swap", severity="warning",
          title="A date that reads both ways, in a column that also has month-first dates",
          fix="Check the date: write it as YYYY-MM-DD, or day first (DD/MM/YYYY) like every date.")
def day_month_swap(ctx: RuleContext) -> pd.DataFrame | None:
    """If a column holds month-first dates, its ambiguous dates (e.g. 03/04/2025) may be too."""
    parts = []
    for name, parsed in ctx.dates.items():
        if parsed["month_first"].any() and parsed["ambiguous"].any():
            parts.append(ctx.findings(
                parsed["ambiguous"], name,
                "reads both ways (day and month both 12 or less), and other dates in this "
                "column are written month first; it was read day first"))
    return _concat(parts)


# ---------------------------------------------------------------------------- age groups


@register("child_recorded_as_adult", severity="error",
          title="Someone under 18 at first encounter is not recorded as an adult",
          fix="Set age_group to child, or correct the date of birth.")
def child_recorded_as_adult(ctx: RuleContext) -> pd.DataFrame | None:
    """A person under 18 when first encountered was a child when exploited (child = under 18)."""
    age = _age_at_encounter(ctx)
    bad = (age < 18) & (age >= 0) & (ctx.typed["age_group"] == "adult")
    if not bad.any():
        return None
    return ctx.findings(bad, "age_group",
                        "is adult, but the date of birth makes the person under 18 "
                        "when first encountered")


@register("adult_recorded_as_child", severity="warning",
          title="Someone 18 or over at first encounter recorded as a child is checked",
          fix="Keep child only if the exploitation happened before the person turned 18.")
def adult_recorded_as_child(ctx: RuleContext) -> pd.DataFrame | None:
    """Right for a child exploited years before being encountered, else a mistake."""
    age = _age_at_encounter(ctx)
    bad = (age >= 18) & (ctx.typed["age_group"] == "child")
    if not bad.any():
        return None
    return ctx.findings(bad, "age_group",
                        "is child, but the date of birth makes the person 18 or over "
                        "when first encountered")


@register("estimated_age_age_group", severity="warning",
          title="An estimated age under 18 is not recorded as an adult",
          fix="Check the age group and the estimated age.")
def estimated_age_age_group(ctx: RuleContext) -> pd.DataFrame | None:
    """Where there is no date of birth, an estimated age under 18 suggests a child."""
    age = ctx.typed["estimated_age"].astype("float")
    bad = ctx.typed["date_of_birth"].isna() & (age < 18) & (ctx.typed["age_group"] == "adult")
    if not bad.any():
        return None
    return ctx.findings(bad, "age_group", "is adult, but the estimated age is under 18")


@register("dob_estimated_age", severity="warning",
          title="Estimated age and date of birth agree within 2 years",
          fix="Check both; give the estimated age only when the date of birth is not known.")
def dob_estimated_age(ctx: RuleContext) -> pd.DataFrame | None:
    """An estimated age far from the age given by the date of birth means one of them is wrong."""
    age = _age_at_encounter(ctx)
    gap = (age - ctx.typed["estimated_age"].astype("float")).abs()
    bad = gap > 2
    if not bad.any():
        return None
    return ctx.findings(bad, "estimated_age",
                        "differs by more than 2 years from the age the date of birth gives")


# --------------------------------------------------------------------- references, persons


@register("record_ref_unique", severity="error",
          title="Each record reference appears once in the return",
          fix="Give each record its own reference; if two rows are one person, keep one row.")
def record_ref_unique(ctx: RuleContext) -> pd.DataFrame | None:
    """Duplicated references make corrections and resubmissions ambiguous."""
    refs = ctx.data["record_ref"]
    dup = refs.notna() & refs.duplicated(keep=False)
    if not dup.any():
        return None
    codes, _ = encode(refs.where(dup))
    message = _same_rows_message(codes, dup, ctx.data["row"], "is used on rows ")
    return ctx.findings(dup, "record_ref", message)


@register("record_ref_previously_used", severity="error",
          title="A record reference is not one the organisation used in an earlier submission",
          fix="Use a new reference; a record already sent belongs to the quarter it was sent in.")
def record_ref_previously_used(ctx: RuleContext) -> pd.DataFrame | None:
    """References are unique across the organisation's returns (the caller gives earlier ones)."""
    if not ctx.known_refs:
        return None
    # Each distinct reference of the return is looked up in the set (not the set's
    # million references hashed into an array for every return).
    used = distinct_mask(ctx.data["record_ref"], ctx.known_refs.__contains__)
    if not used.any():
        return None
    return ctx.findings(used, "record_ref", "was used in an earlier submission")


def _folded_codes(names: pd.Series) -> np.ndarray:
    """One integer per case- and space-folded name (-1 where missing)."""
    codes, uniques = encode(names)
    _, folded = np.unique(np.array([fold_name(v) for v in uniques] + [""], dtype=object),
                          return_inverse=True)
    return spread(codes, folded[:-1].astype("int64"), -1)


def _identity_groups(ctx: RuleContext) -> tuple[np.ndarray, pd.Series]:
    """Rows with the same folded given name, family name and date of birth share a group.

    Returns the group of each row and which rows have all three parts.
    """
    given = _folded_codes(ctx.data["given_name"])
    family = _folded_codes(ctx.data["family_name"])
    born = ctx.typed["date_of_birth"]
    complete = (given >= 0) & (family >= 0) & born.notna().to_numpy()
    days = born.to_numpy().astype("datetime64[D]").astype("int64")
    groups = group_codes(np.where(complete, given, -1), np.where(complete, family, -1),
                         np.where(complete, days, 0))
    return groups, pd.Series(complete, index=born.index)


@register("duplicate_person", severity="warning",
          title="The same person (same names and date of birth) appears once",
          fix="If the rows are one person, keep one row (with all exploitation types); "
              "if they are different people, no change is needed.")
def duplicate_person(ctx: RuleContext) -> pd.DataFrame | None:
    """Two rows with the same identity are probably one person recorded twice."""
    groups, complete = _identity_groups(ctx)
    dup = complete & pd.Series(groups, index=complete.index).duplicated(keep=False)
    if not dup.any():
        return None
    message = _same_rows_message(groups, dup, ctx.data["row"],
                                 "same names and date of birth on rows ")
    return ctx.findings(dup, "family_name", message)


@register("identity_minimum", severity="warning",
          title="A record has a name, a date of birth or an estimated age",
          fix="Give what you know of the name and date of birth (or age): without them the "
              "record cannot be matched with other organisations' records.")
def identity_minimum(ctx: RuleContext) -> pd.DataFrame | None:
    """A record with no identity at all counts as someone no other organisation has seen."""
    none = (ctx.data["given_name"].isna() & ctx.data["family_name"].isna()
            & ctx.data["date_of_birth"].isna() & ctx.typed["estimated_age"].isna())
    if not none.any():
        return None
    return ctx.findings(none, "given_name",
                        "the record has no name, date of birth or estimated age")


@register("name_placeholder", severity="warning",
          title="Names are names, not placeholders such as 'unknown' or 'N/A'",
          fix="Leave the cell empty when the name is not known.")
def name_placeholder(ctx: RuleContext) -> pd.DataFrame | None:
    """Placeholders would match every other 'unknown'; they are dropped before matching."""
    parts = []
    for name in ("given_name", "family_name"):
        flagged = placeholder_mask(ctx.data[name])
        if flagged.any():
            parts.append(ctx.findings(flagged, name, "looks like a placeholder, not a name"))
    return _concat(parts)


def placeholder_mask(names: pd.Series) -> pd.Series:
    """True where a name cell holds a placeholder or digits."""
    return distinct_mask(names, _is_placeholder)


def _is_placeholder(name: str) -> bool:
    return fold_name(name) in NAME_PLACEHOLDERS or any(c.isdigit() for c in name)


@register("exploitation_unknown_with_others", severity="warning",
          title="'unknown' is not combined with known exploitation types",
          fix="Remove 'unknown' when a type is known.")
def exploitation_unknown_with_others(ctx: RuleContext) -> pd.DataFrame | None:
    """'unknown' alongside known types is contradictory; the known types are kept."""
    mixed = category_mask(ctx.typed["exploitation_types"],
                          lambda types: ";" in types and "unknown" in types.split(";"))
    if not mixed.any():
        return None
    return ctx.findings(mixed, "exploitation_types", "combines unknown with known types")

