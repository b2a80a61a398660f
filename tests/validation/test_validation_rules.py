"""Every registered rule, with a failing and a passing return (rows as a spreadsheet shows them)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from openpyxl import load_workbook

from collection.template import xlsx_template
from validation import rules


@dataclass(frozen=True)
class Case:
    """Changes to base rows that break the rule, and changes that satisfy it.

    ``bad_row`` is the index (from 0) among the case's bad rows of the row the
    rule must report; None for the return as a whole.  ``kwargs`` go to
    ``validate_return`` for both; ``bad_kwargs`` for the failing run only.
    """

    rule: str
    bad: list[dict[str, str]]
    good: list[dict[str, str]]
    bad_row: int | None = 0
    kwargs: tuple = ()
    bad_kwargs: tuple = ()


NO_ID = {"given_name": "", "family_name": "", "date_of_birth": ""}
ZOFIA = {"given_name": "Zofia", "family_name": "Nowak", "date_of_birth": "1980-05-06"}
KNOWN = (("known_refs", frozenset({"OLD-7"})),)

CASES = [
    Case("required_value", [{"sex": ""}], [{}]),
    Case("date_format", [{"first_encountered": "14/08/25"}], [{"first_encountered": "14/08/2025"}]),
    Case("sex_known", [{"sex": "x"}], [{"sex": "F"}]),
    Case("nationality_known", [{"nationality": "ROM"}], [{"nationality": "rou"}]),
    Case("exploitation_types_known", [{"exploitation_types": "labour;slavery"}],
         [{"exploitation_types": "Criminal; labour"}]),
    Case("age_group_known", [{"age_group": "teen"}], [{"age_group": "Adult"}]),
    Case("force_area_known", [{"force_area": "E23999999"}], [{"force_area": "Avon and Somerset"}]),
    Case("nrm_known", [{"nrm_referred": "maybe"}], [{"nrm_referred": "no"}]),
    Case("estimated_age_format", [{"estimated_age": "31.5", "date_of_birth": ""}],
         [{"estimated_age": "31", "date_of_birth": ""}]),
    Case("record_ref_format", [{"record_ref": "R" * 65}], [{"record_ref": "AVS-2025-000123"}]),
    Case("org_known", [{}], [{}], None, bad_kwargs=(("org", "NOPE"),)),
    Case("quarter_format", [{}], [{}], None, bad_kwargs=(("quarter", "2025Q5"),)),
    Case("first_encountered_in_quarter", [{"first_encountered": "2025-10-01"}],
         [{"first_encountered": "30/09/2025"}]),
    Case("first_encountered_not_future", [{"first_encountered": "2025-11-15"}],
         [{"first_encountered": "2025-10-15"}], kwargs=(("quarter", "2025Q4"),)),
    Case("dob_plausible", [{"date_of_birth": "1899-12-31"}], [{"date_of_birth": "1900-01-01"}]),
    Case("day_month_swap",
         [{"first_encountered": "08/14/2025"}, {"first_encountered": "09/08/2025"}],
         [{"first_encountered": "14/08/2025"}, {"first_encountered": "09/08/2025"}], bad_row=1),
    Case("child_recorded_as_adult", [{"date_of_birth": "2010-01-01"}],
         [{"date_of_birth": "2010-01-01", "age_group": "child"}]),
    Case("adult_recorded_as_child", [{"age_group": "child"}], [{"age_group": "adult"}]),
    Case("estimated_age_age_group", [{"date_of_birth": "", "estimated_age": "16"}],
         [{"date_of_birth": "", "estimated_age": "16", "age_group": "child"}]),
    Case("dob_estimated_age", [{"date_of_birth": "1994-03-02", "estimated_age": "25"}],
         [{"date_of_birth": "1994-03-02", "estimated_age": "30"}]),
    Case("record_ref_unique", [{"record_ref": "DUP-1"}, {"record_ref": "DUP-1"}],
         [{"record_ref": "DUP-1"}, {"record_ref": "DUP-2"}]),
    Case("record_ref_previously_used", [{"record_ref": "OLD-7"}], [{"record_ref": "NEW-1"}],
         kwargs=KNOWN),
    Case("duplicate_person", [ZOFIA, {**ZOFIA, "given_name": "ZOFIA ", "family_name": "nowak",
                                      "date_of_birth": "06/05/1980"}],
         [ZOFIA, {**ZOFIA, "date_of_birth": "1980-05-07"}]),
    Case("identity_minimum", [{**NO_ID, "estimated_age": ""}], [{**NO_ID, "estimated_age": "30"}]),
    Case("name_placeholder", [{"given_name": "Unknown"}], [{"given_name": "Anca"}]),
    Case("exploitation_unknown_with_others", [{"exploitation_types": "labour;unknown"}],
         [{"exploitation_types": "unknown"}]),
]


def _combined(cases: list[Case], side: str, kit, folder) -> dict[tuple, tuple]:
    """Validate the cases' rows in as few returns as possible (one per set of arguments).

    A validation costs a fixed ~0.5 s (the expectation suite), so the cases share
    returns; the base rows are all different people, so cases do not interact.
    Returns ``{(rule, side): (report, first file row of the case)}``.
    """
    groups: dict[tuple, list[Case]] = {}
    for case in cases:
        args = case.kwargs + (case.bad_kwargs if side == "bad" else ())
        groups.setdefault(args, []).append(case)
    out = {}
    for n, (args, members) in enumerate(groups.items()):
        rows, starts = [], {}
        for case in members:
            starts[case.rule] = len(rows) + 2
            rows += kit.rows_from(getattr(case, side), start=len(rows))
        report = kit.validate(kit.write_csv(folder / f"{side}{n}.csv", rows), **dict(args))
        out.update({(case.rule, side): (report, starts[case.rule]) for case in members})
    return out


@pytest.fixture(scope="module")
def reports(kit, tmp_path_factory):
    folder = tmp_path_factory.mktemp("rules")
    return {**_combined(CASES, "bad", kit, folder), **_combined(CASES, "good", kit, folder)}


def test_every_rule_has_a_case() -> None:
    """A rule added to the registry without a failing and a passing case fails here."""
    registered = {r.id for r in rules()}
    covered = {c.rule for c in CASES} | {"template_stamp"}  # XLSX: see the test below
    # Rules about the file as a whole: tests/validation/test_file_level.py
    covered |= {"file_readable", "file_template", "nil_return"}
    assert registered == covered


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_rule_fails(case: Case, reports) -> None:
    severity = {r.id: r.severity for r in rules()}[case.rule]
    report, first = reports[(case.rule, "bad")]
    hits = [i for i in report.issues if i.rule == case.rule]
    expected_row = None if case.bad_row is None else first + case.bad_row
    assert expected_row in {i.row for i in hits}, report.to_text()
    assert {i.severity for i in hits} == {severity}
    assert all(i.message and i.fix for i in hits)
    assert report.has_errors == any(i.severity == "error" for i in report.issues)


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_rule_passes(case: Case, reports) -> None:
    report, first = reports[(case.rule, "good")]
    assert report.issues == (), report.to_text()


def test_template_stamp(tmp_path, base, validate) -> None:
    """An XLSX template made for NCA and 2025Q2 cannot be submitted as the Met's 2025Q3."""
    for org, quarter, expect in (("NCA", "2025Q2", 2), ("METROPOLITAN", "2025Q3", 0)):
        path = tmp_path / f"{org}.xlsx"
        path.write_bytes(xlsx_template(org, quarter))
        book = load_workbook(path)
        row = base(0)
        book["Return"].append([row[k] for k in row])
        book.save(path)
        report = validate(path, org="METROPOLITAN", quarter="2025Q3")
        stamp = [i for i in report.issues if i.rule == "template_stamp"]
        assert len(stamp) == expect, report.to_text()
        assert all(i.row is None and i.severity == "error" for i in stamp)


DATE_PROBLEMS = [
    ("31/02/2025", "not a real date"),
    ("08/14/2025", "month first"),
    ("14/08/25", "two-digit year"),
    ("45883", "Excel date number"),
    ("2025-14-08", "year-day-month"),
    ("mid August", "YYYY-MM-DD or DD/MM/YYYY"),
]
DATE_FORMS = ["2025-08-14", "14/08/2025", "14-08-2025", "14.8.2025", "2025-8-14 00:00:00"]


def test_date_messages_say_what_is_wrong(make_return, validate) -> None:
    report = validate(make_return([{"first_encountered": v} for v, _ in DATE_PROBLEMS]))
    issues = {i.row: i for i in report.issues if i.rule == "date_format"}
    assert sorted(issues) == list(range(2, 2 + len(DATE_PROBLEMS)))
    for row, (value, phrase) in enumerate(DATE_PROBLEMS, start=2):
        assert (issues[row].column, issues[row].value) == ("first_encountered", value)
        assert phrase in issues[row].message


def test_accepted_date_forms(make_return, validate) -> None:
    assert validate(make_return([{"first_encountered": v} for v in DATE_FORMS])).issues == ()


def test_quarter_hint_for_swapped_date(make_return, validate) -> None:
    """07/09/2025 read day first is 7 September (Q3); 09/10/2025 is October but 10 September."""
    report = validate(make_return([{"first_encountered": "09/10/2025"}]))
    [issue] = report.issues
    assert issue.rule == "first_encountered_in_quarter"
    assert "read month first it would be inside" in issue.message
