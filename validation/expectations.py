"""Column-level rules run as a Great Expectations suite (one suite per schema version).

The suite runs on a frame built from the return: canonical codes, the date
columns with their digits masked to ``9`` (the form is checked, and no date of
birth is handed to the library), never a name.  Results are read with
``result_format="COMPLETE"`` and mapped back to file rows through the ``row``
column.  An expectation that raised is a fault of darkfigure
(:class:`ExpectationFault`), never a pass.
"""

from __future__ import annotations

import logging
import threading
from functools import cache
from typing import Any

import great_expectations as gx
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig

from collection.reference import reference_dir
from collection.schema import IDENTITY_FIELDS, REQUIRED_FIELDS, SCHEMA_VERSION, field
from validation.dates import ACCEPTED_FORM
from validation.domain_rules import explain_dates
from validation.normalise import known_codes
from validation.rules import REDACTED, Rule, RuleContext, add_rule

logging.getLogger("great_expectations").setLevel(logging.ERROR)

#: String columns handed to the suite (checked to be strings: the parser's contract).
SUITE_COLUMNS = ("record_ref", "first_encountered", "date_of_birth", "estimated_age", "sex",
                 "nationality", "exploitation_types", "age_group", "force_area", "nrm_referred")
_LOCK = threading.Lock()


class ExpectationFault(RuntimeError):
    """An expectation raised instead of judging the data: a fault of darkfigure."""


def _meta(rule: str, column: str, message: str) -> dict[str, str]:
    return {"rule": rule, "column": column, "message": message}


def _in_set(rule: str, column: str, what: str) -> list[Any]:
    return [gx.expectations.ExpectColumnValuesToBeInSet(
        column=column, value_set=list(known_codes(column)),
        meta=_meta(rule, column, "'{value}' is not " + what))]


def _codes_fix(column: str) -> str:
    return "Use one of: " + ", ".join(known_codes(column)) + "."


def _exploitation() -> list[Any]:
    one = "(?:" + "|".join(known_codes("exploitation_types")) + ")"
    return [gx.expectations.ExpectColumnValuesToMatchRegex(
        column="exploitation_types", regex=f"^{one}(?:;{one})*$",
        meta=_meta("exploitation_types_known", "exploitation_types",
                   "'{value}' has a type that is not an exploitation type code"))]


def _required() -> list[Any]:
    return [gx.expectations.ExpectColumnValuesToNotBeNull(
        column=name, meta=_meta("required_value", name, "is empty; this column is required"))
        for name in REQUIRED_FIELDS]


def _date_forms() -> list[Any]:
    return [gx.expectations.ExpectColumnValuesToMatchRegex(
        column=name, regex=ACCEPTED_FORM,
        meta=_meta("date_format", name, "is not a date in the form YYYY-MM-DD or DD/MM/YYYY"))
        for name in ("first_encountered", "date_of_birth")]


def _age_form() -> list[Any]:
    message = "'{value}' is not an age in whole years between 0 and 120"
    return [
        gx.expectations.ExpectColumnValuesToMatchRegex(
            column="estimated_age", regex=r"^\d{1,3}(?:\.0+)?$",
            meta=_meta("estimated_age_format", "estimated_age", message)),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="estimated_age_years", min_value=0, max_value=120,
            meta=_meta("estimated_age_format", "estimated_age", message)),
    ]


def _ref_form() -> list[Any]:
    message = "is not a usable reference (1 to 64 characters, no line breaks or tabs)"
    return [
        gx.expectations.ExpectColumnValueLengthsToBeBetween(
            column="record_ref", min_value=1, max_value=64,
            meta=_meta("record_ref_format", "record_ref", message)),
        gx.expectations.ExpectColumnValuesToMatchRegex(
            column="record_ref", regex=r"^[^\x00-\x1f\x7f]+$",
            meta=_meta("record_ref_format", "record_ref", message)),
    ]


def _contract() -> list[Any]:
    # The parser hands over pandas 3 strings, whose type name is "str" (not "object").
    # One column is enough to catch a change of the parser's dtype; each expectation
    # costs a fixed ~20 ms per run.
    return [gx.expectations.ExpectColumnValuesToBeOfType(
        column="record_ref", type_="str", meta=_meta("_contract", "record_ref", ""))]


@cache
def _alpha2() -> dict[str, str]:
    frame = pd.read_csv(reference_dir() / "nationalities.csv", dtype=str, keep_default_na=False)
    frame = frame[frame["alpha_2"] != ""]
    return dict(zip(frame["alpha_2"], frame["code"], strict=True))


def _nationality_hint(ctx: RuleContext) -> pd.DataFrame | None:
    """Two-letter ISO codes get a 'did you mean' (the suite finds every unknown code)."""
    nat = ctx.typed["nationality"]
    alpha3 = nat.map(_alpha2()).where(nat != "NA")  # "NA" is more often N/A than Namibia
    hinted = alpha3.notna()
    if not hinted.any():
        return None
    message = ("'" + nat + "' is a two-letter code; the three-letter code is " + alpha3)
    return ctx.findings(hinted, "nationality", message)


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


def suite_frame(ctx: RuleContext) -> pd.DataFrame:
    """The frame the suite runs on (no names; dates of birth masked)."""
    data, typed = ctx.data, ctx.typed
    frame = pd.DataFrame({"row": data["row"].to_numpy()})
    for name in SUITE_COLUMNS:
        source = typed if field(name).kind in ("code", "codes") else data
        frame[name] = source[name].to_numpy()
    frame["date_of_birth"] = data["date_of_birth"].str.replace(r"\d", "9", regex=True).to_numpy()
    frame["estimated_age_years"] = pd.to_numeric(
        frame["estimated_age"].where(frame["estimated_age"].str.fullmatch(r"\d{1,3}(?:\.0+)?")
                                     .fillna(False).astype(bool)), errors="coerce")
    return frame


@cache
def _validation_definition(schema_version: str) -> Any:
    from validation.rules import rules

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    asset = context.data_sources.add_pandas("returns").add_dataframe_asset("return")
    batch = asset.add_batch_definition_whole_dataframe("whole return")
    expectations = [e for rule in rules() if rule.expectations for e in rule.expectations()]
    suite = context.suites.add(gx.ExpectationSuite(
        name=f"return-schema-{schema_version}", expectations=expectations + _contract()))
    return context.validation_definitions.add(
        gx.ValidationDefinition(name=f"return-{schema_version}", data=batch, suite=suite))


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


def run_expectations(ctx: RuleContext) -> pd.DataFrame:
    """Run the suite on a return; findings with a ``rule`` column.

    Raises
    ------
    ExpectationFault
        An expectation raised, or the parser's contract (string columns) failed.
    """
    frame = suite_frame(ctx)
    definition = _validation_definition(SCHEMA_VERSION)
    with _LOCK:
        result = definition.run(
            batch_parameters={"dataframe": frame},
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["row"],
                           "partial_unexpected_count": 0, "return_unique_unexpected": False},
        )
    found = []
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
        rows = [item["row"] for item in res.result.get("unexpected_index_list") or []]
        mask = ctx.data["row"].isin(rows)
        template = meta["message"]
        if "{value}" in template:
            head, tail = template.split("{value}", 1)
            shown = (REDACTED if meta["column"] in IDENTITY_FIELDS
                     else ctx.data[meta["column"]].astype("str"))
            message: str | pd.Series = head + shown + tail
        else:
            message = template
        part = ctx.findings(mask, meta["column"], message)
        part["rule"] = meta["rule"]
        found.append(part)
    if not found:
        return pd.DataFrame(columns=["row", "column", "value", "message", "rule"])
    return pd.concat(found, ignore_index=True)
