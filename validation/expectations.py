"""Column-level rules run as a Great Expectations suite (one suite per schema version).

The suite runs on the distinct values of the return's columns
(:mod:`validation.suite_frame`: canonical codes, dates of birth with their
digits masked, record references as shapes, never a name), so its cost does
not grow with the number of rows.  Results are read with
``result_format="COMPLETE"`` and mapped back to file rows.  An expectation
that raised is a fault of darkfigure (:class:`ExpectationFault`), never a pass.

Great Expectations takes seconds to import, so it is imported on the first
validation, not with this module (``darkfigure validate --list-rules`` and
the other commands do not need it); its context, suite and validation
definition are made once per process and reused.
"""

from __future__ import annotations

import logging
import threading
from functools import cache
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from collection.reference import reference_dir
from collection.schema import IDENTITY_FIELDS, REQUIRED_FIELDS, SCHEMA_VERSION
from validation.dates import ACCEPTED_FORM
from validation.distinct import spread
from validation.domain_rules import explain_dates
from validation.normalise import known_codes
from validation.rules import REDACTED, Rule, RuleContext, add_rule
from validation.suite_frame import SLOT, SUITE_COLUMNS, suite_frame

logging.getLogger("great_expectations").setLevel(logging.ERROR)

_LOCK = threading.Lock()


def _gx() -> Any:
    """The ``great_expectations`` module, imported on first use (it is slow to import)."""
    import great_expectations

    return great_expectations


class ExpectationFault(RuntimeError):
    """An expectation raised instead of judging the data: a fault of darkfigure."""


def _meta(rule: str, column: str, message: str) -> dict[str, str]:
    return {"rule": rule, "column": column, "message": message}


def _in_set(rule: str, column: str, what: str) -> list[Any]:
    return [_gx().expectations.ExpectColumnValuesToBeInSet(
        column=column, value_set=list(known_codes(column)),
        meta=_meta(rule, column, "'{value}' is not " + what))]


def _codes_fix(column: str) -> str:
    return "Use one of: " + ", ".join(known_codes(column)) + "."


def _exploitation() -> list[Any]:
    one = "(?:" + "|".join(known_codes("exploitation_types")) + ")"
    return [_gx().expectations.ExpectColumnValuesToMatchRegex(
        column="exploitation_types", regex=f"^{one}(?:;{one})*$",
        meta=_meta("exploitation_types_known", "exploitation_types",
                   "'{value}' has a type that is not an exploitation type code"))]


def _required() -> list[Any]:
    return [_gx().expectations.ExpectColumnValuesToNotBeNull(
        column=name, meta=_meta("required_value", name, "is empty; this column is required"))
        for name in REQUIRED_FIELDS]


def _date_forms() -> list[Any]:
    return [_gx().expectations.ExpectColumnValuesToMatchRegex(
        column=name, regex=ACCEPTED_FORM,
        meta=_meta("date_format", name, "is not a date in the form YYYY-MM-DD or DD/MM/YYYY"))
        for name in ("first_encountered", "date_of_birth")]


def _age_form() -> list[Any]:
    message = "'{value}' is not an age in whole years between 0 and 120"
    return [
        _gx().expectations.ExpectColumnValuesToMatchRegex(
            column="estimated_age", regex=r"^\d{1,3}(?:\.0+)?$",
            meta=_meta("estimated_age_format", "estimated_age", message)),
        _gx().expectations.ExpectColumnValuesToBeBetween(
            column="estimated_age_years", min_value=0, max_value=120,
            meta=_meta("estimated_age_format", "estimated_age", message)),
    ]


def _ref_form() -> list[Any]:
    message = "is not a usable reference (1 to 64 characters, no line breaks or tabs)"
    return [
        _gx().expectations.ExpectColumnValueLengthsToBeBetween(
            column="record_ref", min_value=1, max_value=64,
            meta=_meta("record_ref_format", "record_ref", message)),
        _gx().expectations.ExpectColumnValuesToMatchRegex(
            column="record_ref", regex=r"^[^\x00-\x1f\x7f]+$",
            meta=_meta("record_ref_format", "record_ref", message)),
    ]


def _contract() -> list[Any]:
    # The parser hands over pandas 3 strings, whose type name is "str" (not "object").
    # One column is enough to catch a change of the parser's dtype; each expectation
    # costs a fixed ~20 ms per run.
    return [_gx().expectations.ExpectColumnValuesToBeOfType(
        column="record_ref", type_="str", meta=_meta("_contract", "record_ref", ""))]


@cache
def _alpha2() -> dict[str, str]:
    frame = pd.read_csv(reference_dir() / "nationalities.csv", dtype=str, keep_default_na=False)
    frame = frame[frame["alpha_2"] != ""]
    return dict(zip(frame["alpha_2"], frame["code"], strict=True))


def _nationality_hint(ctx: RuleContext) -> pd.DataFrame | None:
    """Two-letter ISO codes get a 'did you mean' (the suite finds every unknown code)."""
    nat = ctx.typed["nationality"].array
    assert isinstance(nat, pd.Categorical)
    alpha2 = _alpha2()
    # "NA" is more often N/A than Namibia.
    hints = [f"'{code}' is a two-letter code; the three-letter code is {alpha2[code]}"
             if code in alpha2 and code != "NA" else None for code in nat.categories]
    message = spread(nat.codes.astype("int64"), np.array(hints, dtype=object), None)
    hinted = pd.Series(message, index=ctx.typed.index)
    if not hinted.notna().any():
        return None
    return ctx.findings(hinted.notna(), "nationality", hinted)


for _rule in (
    Rule("required_value", "error", "Every required column has a value in every row",
         "Fill in the cell; write 'unknown' (or UNK / UNKNOWN) where the code list allows it.",
         f"Required: {', '.join(REQUIRED_FIELDS)}.", expectations=_required),
    Rule("date_format", "error", "Dates are real dates written YYYY-MM-DD or DD/MM/YYYY",
         "Write the date as YYYY-MM-DD or DD/MM/YYYY (day first, year in full).",
         "Two-digit years, month-first (US) dates, Excel date numbers and dates that do not "
         "exist are refused, each with its own message.", check=explain_dates,
         expectations=_date_forms),
    Rule("sex_known", "error", "Sex is a code of the sex list", _codes_fix("sex"),
         expectations=lambda: _in_set("sex_known", "sex", "a sex code")),
    Rule("nationality_known", "error", "Nationality is an ISO 3166-1 alpha-3 code or UNK",
         "Use the 3-letter ISO code (GBR, ALB, VNM, ...), XXA if stateless, UNK if not known; "
         "the list is on the template's Codes sheet.", check=_nationality_hint,
         expectations=lambda: _in_set("nationality_known", "nationality",
                                      "an ISO 3166-1 alpha-3 nationality code")),
    Rule("exploitation_types_known", "error", "Exploitation types are codes of the list",
         _codes_fix("exploitation_types").rstrip(".") + "; separate several with ';'.",
         expectations=_exploitation),
    Rule("age_group_known", "error", "Age group is adult, child or unknown",
         _codes_fix("age_group"),
         expectations=lambda: _in_set("age_group_known", "age_group", "an age group code")),
    Rule("force_area_known", "error", "Force area is a known police force area code",
         "Use the ONS police force area code (E23000001, ...; S92000003 Scotland, N92000002 "
         "Northern Ireland, BTP), the force's code (e.g. METROPOLITAN), or UNKNOWN.",
         expectations=lambda: _in_set("force_area_known", "force_area", "a police force area")),
    Rule("nrm_known", "error", "NRM referral is yes, no or unknown", _codes_fix("nrm_referred"),
         expectations=lambda: _in_set("nrm_known", "nrm_referred", "an NRM referral code")),
    Rule("estimated_age_format", "error", "Estimated age is a whole number of years, 0 to 120",
         "Write the age in whole years (e.g. 31), or leave it empty.", expectations=_age_form),
    Rule("record_ref_format", "error", "Record references are 1 to 64 characters on one line",
         "Use your system's reference for the record, as text on one line.",
         expectations=_ref_form),
):
    add_rule(_rule)


class _Suite(NamedTuple):
    context: Any
    definition: Any


@cache
def _suite(schema_version: str) -> _Suite:
    """The suite's validation definition, made once per process (an ephemeral context)."""
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from validation.rules import rules

    gx = _gx()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    asset = context.data_sources.add_pandas("returns").add_dataframe_asset("return")
    batch = asset.add_batch_definition_whole_dataframe("whole return")
    expectations = [e for rule in rules() if rule.expectations for e in rule.expectations()]
    suite = context.suites.add(gx.ExpectationSuite(
        name=f"return-schema-{schema_version}", expectations=expectations + _contract()))
    return _Suite(context, context.validation_definitions.add(
        gx.ValidationDefinition(name=f"return-{schema_version}", data=batch, suite=suite)))


def warm_up() -> None:
    """Import Great Expectations and build the suite now, rather than in the first validation.

    A long-running process (the dashboard) can call this at start so that the
    first upload is validated as fast as the next; the CLI need not.
    """
    suite = _suite(SCHEMA_VERSION)
    # One run on a one-row frame: GX prepares much on its first run.
    frame = pd.DataFrame({SLOT: [0], **{c: pd.Series(["0"], dtype="str") for c in SUITE_COLUMNS},
                          "estimated_age_years": [0.0]})
    _run(suite, frame)


def _raised(info: Any) -> str | None:
    """The exception message if an expectation result says it raised."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "unknown error")
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message") or "unknown error")
    return None


def _message(ctx: RuleContext, template: str, column: str, mask: pd.Series) -> str | pd.Series:
    """The message of each flagged row: ``{value}`` is the cell as read (never an identity)."""
    if "{value}" not in template:
        return template
    head, tail = template.split("{value}", 1)
    if column in IDENTITY_FIELDS:
        return head + REDACTED + tail
    flagged = mask.to_numpy()
    message = np.full(len(flagged), None, dtype=object)
    message[flagged] = [head + str(v) + tail for v in ctx.data[column][flagged].tolist()]
    return pd.Series(message, index=mask.index)


def _run(suite: _Suite, frame: pd.DataFrame) -> Any:
    """The suite's result on ``frame`` (unexpected rows by :data:`SLOT`)."""
    with _LOCK:
        result = suite.definition.run(
            batch_parameters={"dataframe": frame},
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [SLOT],
                           "partial_unexpected_count": 0, "return_unique_unexpected": False},
        )
        # The ephemeral context keeps every result in memory; a long-running process
        # (the dashboard) would accumulate them.  The result is read by the caller, not kept.
        store = suite.context.validation_results_store
        for key in store.list_keys():
            store.remove_key(key)
    return result


def run_expectations(ctx: RuleContext) -> pd.DataFrame:
    """Run the suite on a return; findings with a ``rule`` column.

    Raises
    ------
    ExpectationFault
        An expectation raised, or the parser's contract (string columns) failed.
    """
    return run_expectations_many([ctx])[0]


def run_expectations_many(contexts: list[RuleContext]) -> list[pd.DataFrame]:
    """Run the suite once over several returns; the findings of each, in order.

    Great Expectations costs a fixed ~0.25 s a run whatever the size of the
    frame, so a batch of returns is judged in one run: their distinct-value
    frames (:func:`validation.suite_frame.suite_frame`) are stacked, each
    return's slots shifted past the previous return's, and every unexpected slot
    is mapped back to its return and from there to file rows.  Verdicts are per
    value, so stacking changes none.  A return with no rows (a nil return) is
    not handed to the suite.

    Raises
    ------
    ExpectationFault
        An expectation raised, or the parser's contract (string columns) failed.
    """
    empty = pd.DataFrame(columns=["row", "column", "value", "message", "rule"])
    judged = [i for i, ctx in enumerate(contexts) if len(ctx.data)]
    found: list[list[pd.DataFrame]] = [[] for _ in contexts]
    if judged:
        frames = [suite_frame(contexts[i]) for i in judged]
        starts = np.cumsum([0] + [len(f.frame) for f in frames])
        stacked = pd.concat([f.frame.assign(**{SLOT: f.frame[SLOT] + start})
                             for f, start in zip(frames, starts[:-1].tolist(), strict=True)],
                            ignore_index=True)
        result = _run(_suite(SCHEMA_VERSION), stacked)
        for res in result.results:
            meta = res.expectation_config.meta or {}
            if (problem := _raised(res.exception_info)) is not None:
                raise ExpectationFault(
                    f"expectation {res.expectation_config.type} on column {meta.get('column')} "
                    f"raised: {problem}")
            if res.success:
                continue
            if meta.get("rule") == "_contract":
                raise ExpectationFault(f"column {meta['column']} is not strings: a parser fault")
            slots = np.array([item[SLOT] for item in res.result.get("unexpected_index_list")
                              or []], dtype="int64")
            owner = np.searchsorted(starts, slots, side="right") - 1
            for k in np.unique(owner).tolist():
                ctx, distinct = contexts[judged[k]], frames[k]
                local = (slots[owner == k] - starts[k]).tolist()
                mask = pd.Series(distinct.rows_at(res.expectation_config.kwargs["column"], local),
                                 index=ctx.data.index)
                message = _message(ctx, meta["message"], meta["column"], mask)
                part = ctx.findings(mask, meta["column"], message)
                part["rule"] = meta["rule"]
                found[judged[k]].append(part)
    return [pd.concat(parts, ignore_index=True) if parts else empty.copy() for parts in found]
