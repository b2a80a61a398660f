"""Validation per distinct value: the helpers, the suite frame, and what the suite may see."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from validation.distinct import categorical, encode, group_codes, map_distinct, rows_text

ROOT = Path(__file__).resolve().parents[2]


def test_encode_and_categorical_keep_missing_missing() -> None:
    values = pd.Series(["b", None, "a", "b", " A"], dtype="str")
    codes, uniques = encode(values)
    assert codes.tolist() == [0, -1, 1, 0, 2] and uniques == ["b", "a", " A"]
    cat = categorical(values, lambda v: v.strip().lower())
    assert cat.isna().tolist() == [False, True, False, False, False]
    assert cat.astype("str").tolist()[2:] == ["a", "b", "a"]
    assert list(cat.cat.categories) == ["b", "a"]  # "a" and " A" share a category
    mapped = map_distinct(values, str.upper)
    assert mapped.isna().tolist() == [False, True, False, False, False]
    assert mapped[0] == "B" and mapped[4] == " A"
    empty = pd.Series([], dtype="str")
    assert encode(empty)[0].tolist() == [] and categorical(empty, str.upper).empty


def test_rows_text_names_five_rows_then_counts() -> None:
    """The same message as the row-by-row version: rows in file order, five named."""
    groups = np.array([7, 3, 7, 7, 7, 7, 7, 7, 3])
    rows = np.array([20, 2, 9, 10, 11, 12, 13, 3, 4])
    text = rows_text(groups, rows)
    assert text[0] == "3, 9, 10, 11, 12 and 2 more"
    assert text[1] == text[8] == "2, 4"


def test_group_codes_are_per_combination() -> None:
    a = np.array([1, 1, 2, 2, 1])
    b = np.array([5, 6, 5, 5, 5])
    groups = group_codes(a, b)
    assert groups[0] == groups[4] and groups[2] == groups[3]
    assert len(set(groups.tolist())) == 3


@pytest.fixture(scope="module")
def messy(kit, tmp_path_factory):
    """A return with a value of every kind in every suite column (some rows repeat values)."""
    changes = [
        {"record_ref": "A\tB"}, {"record_ref": "R" * 65}, {"record_ref": ""},
        {"sex": "x"}, {"sex": "F"}, {"sex": ""}, {"nationality": "RO"}, {"nationality": "NA"},
        {"exploitation_types": "labour;slavery"}, {"age_group": "teen"},
        {"force_area": "E23999999"}, {"nrm_referred": "maybe"},
        {"estimated_age": "31.5", "date_of_birth": ""}, {"estimated_age": "150"},
        {"estimated_age": "030", "date_of_birth": ""}, {"date_of_birth": "31/02/1990"},
        {"date_of_birth": "1990-02-31"}, {"first_encountered": "14/08/25"},
        {"first_encountered": ""}, {"date_of_birth": "02/03/94"},
    ] * 3
    path = kit.write_csv(tmp_path_factory.mktemp("messy") / "messy.csv", kit.rows_from(changes))
    from collection.parse import read_return

    return read_return(path)


def _context(raw, today):
    from collection.quarters import parse_quarter
    from validation.normalise import normalise
    from validation.rules import RuleContext

    typed, dates = normalise(raw.data)
    return RuleContext(file_name=raw.file_name, data=raw.data, typed=typed, dates=dates,
                       org_code="METROPOLITAN", quarter_text="2025Q3",
                       quarter=parse_quarter("2025Q3"), stamp={}, known_refs=frozenset(),
                       today=today)


def test_suite_frame_holds_no_identity(messy, kit) -> None:
    """Names never reach the suite; dates of birth only with their digits masked."""
    from validation.suite_frame import suite_frame

    distinct = suite_frame(_context(messy, kit.TODAY))
    seen = set(distinct.frame.astype("str").to_numpy().ravel().tolist())
    names = set(messy.data["given_name"].dropna()) | set(messy.data["family_name"].dropna())
    births = set(messy.data["date_of_birth"].dropna())
    assert not (names | births | set(messy.data["record_ref"].dropna())) & seen
    assert "x\tx" in seen  # a reference's shape keeps its control character
    assert len(distinct.frame) < messy.n_rows / 2  # distinct values, not rows


def test_suite_on_distinct_values_flags_the_rows_it_would_flag_on_rows(messy, kit) -> None:
    """Running the suite on every row's value finds exactly the rows found through the slots."""
    from validation.expectations import _suite
    from validation.suite_frame import SLOT, suite_frame

    distinct = suite_frame(_context(messy, kit.TODAY))
    per_row = pd.DataFrame({SLOT: np.arange(messy.n_rows)})
    for column in distinct.frame.columns.drop(SLOT):
        values = distinct.frame[column].to_numpy()[distinct.slots[column]]
        per_row[column] = pd.Series(values, dtype=distinct.frame[column].dtype)
    found = {}
    for name, frame in (("distinct", distinct.frame), ("rows", per_row)):
        result = _suite("1.0").definition.run(
            batch_parameters={"dataframe": frame},
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [SLOT]})
        for res in result.results:
            slots = [i[SLOT] for i in res.result.get("unexpected_index_list") or []]
            column = res.expectation_config.kwargs["column"]
            if name == "distinct":
                rows = np.flatnonzero(distinct.rows_at(column, slots))
            else:
                rows = np.array(sorted(slots), dtype="int64")
            found.setdefault(name, {})[(res.expectation_config.type, column)] = rows.tolist()
    assert found["distinct"] == found["rows"]
    assert sum(len(v) > 0 for v in found["rows"].values()) >= 10  # many expectations failed


def test_two_letter_nationality_gets_a_hint(messy, kit) -> None:
    from validation import validate_return

    report = validate_return(messy, "METROPOLITAN", "2025Q3", today=kit.TODAY)
    hints = [i for i in report.issues
             if i.rule == "nationality_known" and "two-letter" in i.message]
    assert {i.value for i in hints} == {"RO"}
    assert all("ROU" in i.message for i in hints) and len(hints) == 3


def test_importing_validation_does_not_import_great_expectations() -> None:
    """GX takes seconds to import: only a validation (or warm_up) pays for it."""
    code = ("import sys; import validation; from validation import rules_table; rules_table(); "
            "print('great_expectations' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


def test_results_do_not_accumulate(make_return, validate) -> None:
    """The ephemeral context keeps no result of earlier validations (a long-running dashboard)."""
    from validation.expectations import _suite

    path = make_return([{}, {"sex": "x"}])
    for _ in range(2):
        assert validate(path).has_errors
    assert _suite("1.0").context.validation_results_store.list_keys() == []


def test_known_refs_in_any_collection(make_return, validate) -> None:
    """Earlier references may come as a set (the warehouse's), a frozenset or a list."""
    path = make_return([{"record_ref": "OLD-1"}, {"record_ref": "NEW-1"}, {"record_ref": "OLD-2"}])
    earlier = [f"OLD-{i}" for i in range(1, 50_000)]
    for known in (earlier, set(earlier), frozenset(earlier)):
        report = validate(path, known_refs=known)
        assert [i.row for i in report.errors if i.rule == "record_ref_previously_used"] == [2, 4]
