"""Capture histories and tables from a small known set of linked persons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collection.capture_histories import (
    build_capture_tables,
    capture_histories,
    parse_period,
    person_strata,
)
from estimation.table_io import read_capture_tables, write_capture_csv

# person, list, quarter, age group, exploitation types, force area
ROWS = [
    (0, "LA", "2025Q1", "child", ["sexual"], "E23000036"),
    (0, "PF", "2025Q2", "adult", ["labour"], "E23000036"),
    (1, "PF", "2025Q1", "adult", ["labour"], "W15000001"),
    (2, "NG", "2025Q3", "adult", ["unknown"], "UNKNOWN"),
    (2, "PF", "2025Q4", "unknown", ["criminal"], "W15000001"),
    (2, "LA", "2025Q4", "adult", ["criminal"], "E23000036"),
    (3, "NG", "2025Q2", "unknown", ["unknown"], "UNKNOWN"),
    (4, "PF", "2024Q4", "adult", ["labour"], "E23000036"),  # another year
    (4, "NG", "2025Q1", "adult", ["labour"], "E23000036"),
]
REGION = {"E23000036": "England", "W15000001": "Wales"}


@pytest.fixture
def records() -> pd.DataFrame:
    return pd.DataFrame(
        ROWS,
        columns=["person_id", "list_code", "quarter", "age_group", "exploitation_types",
                 "force_area"],
    )


def test_histories_in_a_year(records):
    """Each person's lists in 2025; person 4's 2024 police record does not count."""
    hist = capture_histories(records, parse_period("2025"))
    assert list(hist.columns) == ["LA", "NG", "PF", "GO", "GP", "NCA"]
    assert list(hist.loc[0]) == [1, 0, 1, 0, 0, 0]
    assert list(hist.loc[2]) == [1, 1, 1, 0, 0, 0]
    assert list(hist.loc[4]) == [0, 1, 0, 0, 0, 0]
    assert len(hist) == 5


def test_table_counts_known_persons(records):
    """Lists with nobody (GO GP NCA) are dropped; cells count persons by history."""
    built = build_capture_tables(records, parse_period("2025"))
    assert built.lists == ("LA", "NG", "PF")
    assert built.dropped_lists == ("GO", "GP", "NCA")
    (table,) = built.tables
    assert table.n == 5 == built.n_persons
    # cells (bit0=LA, bit1=NG, bit2=PF): NG x2 (persons 3, 4); PF (1); LA+PF (0); all (2)
    assert table.counts.tolist() == [0, 2, 0, 1, 1, 0, 1]


def test_quarter_period(records):
    """A quarter keeps only that quarter's records."""
    built = build_capture_tables(records, parse_period("2025Q1"))
    assert built.lists == ("LA", "NG", "PF")
    assert built.tables[0].counts.tolist() == [1, 1, 0, 1, 0, 0, 0]


def test_stratified_by_age_group_child_if_any(records):
    """Person 0 is a child on one record and an adult on another: counted as a child."""
    built = build_capture_tables(records, parse_period("2025"), by="age_group")
    labels = {t.label: t.n for t in built.tables}
    assert labels == {"age_group=child": 1, "age_group=adult": 3, "age_group=unknown": 1}
    assert [t.label for t in built.tables][0] == "age_group=child"


def test_stratified_by_exploitation_overlaps(records):
    """A person counts in each type they have; 'unknown' only when none is known."""
    strata = person_strata(records[records["quarter"].str.startswith("2025")], "exploitation")
    per_person = strata.groupby("person_id")["exploitation"].apply(set).to_dict()
    assert per_person == {0: {"sexual", "labour"}, 1: {"labour"}, 2: {"criminal"},
                          3: {"unknown"}, 4: {"labour"}}
    built = build_capture_tables(records, parse_period("2025"), by="exploitation")
    assert sum(t.n for t in built.tables) == 6  # person 0 counted twice


def test_stratified_by_region_most_frequent(records):
    """Region is the most frequent known area's country (ties alphabetical)."""
    strata = person_strata(records, "region", region_of=REGION).set_index("person_id")
    # person 2: one English, one Welsh, one unknown area -> tie -> England
    assert strata["region"].to_dict() == {0: "England", 1: "Wales", 2: "England",
                                          3: "unknown", 4: "England"}


def test_csv_round_trip(records, tmp_path):
    """Tables written in the DESIGN.md CSV format read back identical."""
    built = build_capture_tables(records, parse_period("2025"), by="age_group")
    path = tmp_path / "t.csv"
    write_capture_csv(built.tables, path)
    back = read_capture_tables(path)
    assert [t for t in back.values()] == list(built.tables)
    assert np.array_equal(sum(t.counts for t in back.values()),
                          build_capture_tables(records, parse_period("2025")).tables[0].counts)


def test_too_few_lists_and_empty_period(records):
    """One list recording anyone, or nobody at all, is a plain error."""
    with pytest.raises(ValueError, match="at least two"):
        build_capture_tables(records[records["list_code"] == "PF"], parse_period("2025"))
    with pytest.raises(ValueError, match="no linked records in 2023"):
        build_capture_tables(records, parse_period("2023"))


@pytest.mark.parametrize("text", ["25", "2025Q5", "last year", ""])
def test_bad_period(text):
    """Periods are a year or a quarter."""
    with pytest.raises(ValueError, match="neither a year"):
        parse_period(text)
