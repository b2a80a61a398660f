"""Validate a return, and hand over its clean rows.

:func:`validate_return` normalises the cells, runs the expectation suite and
the domain rules, and returns a :class:`validation.report.ValidationReport`.
:func:`clean_records` gives the typed rows without errors, for loading.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from collection.parse import RawReturn
from collection.quarters import parse_quarter
from collection.schema import SCHEMA_VERSION
from validation.domain_rules import placeholder_mask
from validation.expectations import run_expectations_many
from validation.normalise import normalise
from validation.report import ValidationReport, issues_frame
from validation.rules import Rule, RuleContext, rules

#: Columns of :func:`clean_records`.
CLEAN_COLUMNS = ("row", "record_ref", "first_encountered", "given_name", "family_name",
                 "date_of_birth", "estimated_age", "sex", "nationality", "exploitation_types",
                 "age_group", "force_area", "nrm_referred")


@dataclass(frozen=True)
class ReturnToValidate:
    """One return of a batch for :func:`validate_returns` (see :func:`validate_return`)."""

    raw: RawReturn
    org_code: str
    quarter: str
    known_refs: Iterable[str] | None = None


def validate_return(
    raw: RawReturn,
    org_code: str,
    quarter: str,
    *,
    known_refs: Iterable[str] | None = None,
    today: date | None = None,
) -> ValidationReport:
    """Validate a return against schema :data:`collection.schema.SCHEMA_VERSION`.

    Parameters
    ----------
    raw
        The file as read by :func:`collection.parse.read_return`.
    org_code
        Organisation submitting it (``organisations.csv``).
    quarter
        Quarter it covers, ``YYYYQn``.
    known_refs
        Record references the organisation used in earlier submissions; the
        caller leaves out those of a submission this return supersedes.
    today
        Date of validation (default: today); dates after it are in the future.

    Returns
    -------
    ValidationReport
        Errors quarantine the return; warnings let it load.
    """
    return validate_returns([ReturnToValidate(raw, org_code, quarter, known_refs)],
                            today=today)[0]


def validate_returns(items: Sequence[ReturnToValidate], *, today: date | None = None
                     ) -> list[ValidationReport]:
    """Validate several returns, running the expectation suite once for them all.

    Each return gets the report :func:`validate_return` would give it alone (its
    own rows, record references unique within it, its own earlier references):
    only the suite's run is shared, which saves its fixed cost per return.

    Parameters
    ----------
    items
        The returns, with what each is submitted for.
    today
        Date of validation (default: today).

    Returns
    -------
    list of ValidationReport
        In the order of ``items``.
    """
    contexts = [_context(item, today or date.today()) for item in items]
    registry = {rule.id: rule for rule in rules()}
    suite_found = run_expectations_many(contexts)
    return [_report(ctx, item.raw, found, registry)
            for ctx, item, found in zip(contexts, items, suite_found, strict=True)]


def _context(item: ReturnToValidate, today: date) -> RuleContext:
    try:
        q = parse_quarter(item.quarter)
    except ValueError:
        q = None
    raw, refs = item.raw, item.known_refs
    typed, dates = normalise(raw.data)
    return RuleContext(
        file_name=raw.file_name, data=raw.data, typed=typed, dates=dates,
        org_code=item.org_code, quarter_text=item.quarter, quarter=q, stamp=dict(raw.stamp),
        known_refs=refs if isinstance(refs, set | frozenset) else frozenset(refs or ()),
        today=today,
    )


def _report(ctx: RuleContext, raw: RawReturn, suite_found: pd.DataFrame,
            registry: dict[str, Rule]) -> ValidationReport:
    parts = [suite_found]
    for rule in registry.values():
        if rule.check is None:
            continue
        found = rule.check(ctx)
        if found is not None and len(found):
            found["rule"] = rule.id
            parts.append(found)
    findings = pd.concat([p for p in parts if len(p)] or [parts[0]], ignore_index=True)
    # Where the suite and a Python check report the same cell under one rule, keep the
    # Python message (it comes later and says more).
    findings = findings.drop_duplicates(["row", "column", "rule"], keep="last")
    findings["severity"] = findings["rule"].map(lambda r: registry[r].severity)
    findings["fix"] = findings["rule"].map(lambda r: registry[r].fix)
    return ValidationReport(
        file_name=raw.file_name, sha256=raw.sha256, org_code=ctx.org_code.strip().upper(),
        quarter=str(ctx.quarter) if ctx.quarter else ctx.quarter_text,
        schema_version=SCHEMA_VERSION, n_rows=raw.n_rows,
        frame=issues_frame(findings), _typed=ctx.typed,
    )


def clean_records(raw: RawReturn, report: ValidationReport) -> pd.DataFrame:
    """The typed, canonical rows of a return that have no errors.

    Parameters
    ----------
    raw
        The return.
    report
        Its validation report (from :func:`validate_return` on the same ``raw``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CLEAN_COLUMNS`: ``row`` (file row), dates as
        ``datetime64[s]``, ``estimated_age`` as ``Int64``, codes canonical
        and categorical (force areas as ONS/area codes, nationality upper
        case), and ``exploitation_types`` as one ``;``-joined code in
        code-list order.
        Placeholder names (rule ``name_placeholder``) are blanked so that they
        never match.  Empty when an error concerns the return as a whole.
    """
    if report.sha256 != raw.sha256:
        raise ValueError("the report is for another file (SHA-256 differs)")
    typed = report._typed if report._typed is not None else normalise(raw.data)[0]
    if report.file_errors:
        return typed.iloc[0:0].loc[:, list(CLEAN_COLUMNS)].reset_index(drop=True)
    clean = typed.loc[:, list(CLEAN_COLUMNS)]  # copy-on-write: no data is copied here
    if report.error_rows:
        clean = clean.loc[~typed["row"].isin(list(report.error_rows)).to_numpy()]
    for name in ("given_name", "family_name"):
        clean[name] = clean[name].mask(placeholder_mask(clean[name]))
    return clean.reset_index(drop=True)
