"""Capture tables and their CSV format (estimation.capture_table, estimation.table_io)."""

from __future__ import annotations

import numpy as np
import pytest

from darkfigure.cli import main
from estimation.capture_table import CaptureTable, CaptureTableError, cell_index, pattern_matrix
from estimation.table_io import (
    format_capture_csv,
    parse_capture_csv,
    read_capture_table,
    read_capture_tables,
    write_capture_csv,
)

REFERENCE = [
    "Artificial_3", "HIV", "Korea", "Ned", "Ned_5", "NewOrl", "NewOrl_5", "ScotPWID", "UKdat",
    "UKdat_5", "Western", "bunting", "dga_MY3", "dga_MY5", "duck", "hare", "kosovo", "lesbian",
    "spina",
]  # fmt: skip


# ------------------------------------------------------------------ CaptureTable
def test_cell_order():
    """Cell k has pattern bits k + 1, bit j = list j: A, B, AB, C, AC, BC, ABC."""
    P = pattern_matrix(3)
    assert ["".join(map(str, row)) for row in P] == [
        "100", "010", "110", "001", "101", "011", "111"
    ]  # fmt: skip
    np.testing.assert_array_equal(cell_index(P), np.arange(7))
    table = CaptureTable.from_dict(("A", "B", "C"), {"110": 4, "001": 2})
    assert table.counts.tolist() == [0, 0, 4, 2, 0, 0, 0]
    assert table.pattern_label(2) == "A+B" and table.n == 6 and table.t == 3


def test_from_patterns_adds_repeats_and_fills_zeros():
    table = CaptureTable.from_patterns(("A", "B"), [[1, 0], [1, 1], [1, 0]], [3, 2, 4])
    assert table.counts.tolist() == [7, 0, 2]
    assert table.list_sizes == {"A": 9, "B": 2}


@pytest.mark.parametrize(
    ("lists", "counts", "message"),
    [
        (("A",), [3], "at least 2 lists"),
        (("A", "A"), [1, 2, 3], "not unique"),
        (("A", "B"), [1, 2], "expected 3 cell counts"),
        (("A", "B"), [1, -2, 3], "non-negative"),
        (("A", "B"), [1, 2.5, 3], "whole numbers"),
        (("A", "B"), [1, np.nan, 3], "non-negative"),
    ],
)
def test_bad_tables_refused(lists, counts, message):
    with pytest.raises(CaptureTableError, match=message):
        CaptureTable(lists, np.array(counts, float))


def test_patterns_refused():
    with pytest.raises(CaptureTableError, match="all-absent"):
        CaptureTable.from_patterns(("A", "B"), [[0, 0]], [3])
    with pytest.raises(CaptureTableError, match="0 or 1"):
        CaptureTable.from_patterns(("A", "B"), [[2, 0]], [3])


def test_counts_are_read_only():
    table = CaptureTable(("A", "B"), np.array([1, 2, 3]))
    with pytest.raises(ValueError):
        table.counts[0] = 5


def test_reorder_round_trip(reference_table):
    table = reference_table("UKdat_5")
    order = ["GP", "LA", "GO", "NG", "PFNCA"]
    back = table.reorder(order).reorder(list(table.lists))
    assert back == table
    moved = table.reorder(order)
    assert moved.list_sizes == {k: table.list_sizes[k] for k in order}
    with pytest.raises(ValueError, match="permutation"):
        table.reorder([0, 0, 1, 2, 3])


def test_merge_lists_gives_the_published_five_list_table(reference_table):
    """Merging PF and NCA in UKdat (six lists) gives UKdat_5 (reference README)."""
    six = reference_table("UKdat")
    merged = six.merge_lists({"PFNCA": ["PF", "NCA"]})
    five = reference_table("UKdat_5")
    assert merged.reorder(list(five.lists)) == five
    with pytest.raises(ValueError, match="unknown lists"):
        six.merge_lists({"X": ["PF", "nope"]})


def test_hash_and_equality(reference_table):
    table = reference_table("Korea")
    again = reference_table("Korea")
    assert table == again and hash(table) == hash(again)
    assert table.snapshot_hash() == again.snapshot_hash()
    other = table.with_counts(table.counts + np.eye(7, dtype=int)[0])
    assert other != table and other.snapshot_hash() != table.snapshot_hash()
    assert other.lists == table.lists and other.n == table.n + 1


# ------------------------------------------------------------------------- CSV
@pytest.mark.parametrize("name", REFERENCE)
def test_reference_tables_round_trip(tmp_path, reference_table, name):
    """Every reference table reads, writes and reads back unchanged."""
    table = reference_table(name)
    path = tmp_path / f"{name}.csv"
    write_capture_csv(table, path)
    assert read_capture_table(path) == table


@pytest.mark.parametrize(
    ("text", "row", "column", "fix"),
    [
        ("A,B,count\n1,0,3\n0,0,2\n", 2, None, "delete this row"),
        ("A,B,count\n1,0,3\n0,1,2.5\n", 2, "count", "number of people"),
        ("A,B,count\n1,0,-1\n", 1, "count", "number of people"),
        ("A,B,count\n1,0,x\n", 1, "count", "number of people"),
        ("A,B,count\n1,2,3\n", 1, "B", "write 1"),
        ("A,B,count\n1,0,3\n0,1,1\n1,0,4\n", 3, None, "add the counts together"),
        ("A,B,count\n1,0,3\n0,1\n", 2, None, "one value per column"),
    ],
)
def test_bad_rows_named_with_fix(text, row, column, fix):
    """A bad row is refused naming the file, the row (1-based, header = 0), the column and
    how to fix it."""
    with pytest.raises(CaptureTableError) as caught:
        parse_capture_csv(text, source="t.csv")
    err = caught.value
    assert err.row == row and err.column == column
    message = str(err)
    assert message.startswith(f"t.csv, row {row}")
    assert fix in message


def test_duplicate_names_the_first_row():
    with pytest.raises(CaptureTableError, match="duplicates row 1"):
        parse_capture_csv("A,B,count\n1,0,3\n1,0,4\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("A,B,count\n", "no rows"),
        ("A,B,n\n1,0,3\n", "no 'count' column"),
        ("A,count\n1,3\n", "at least 2 lists"),
        ("A,A,count\n1,0,3\n", "duplicated column"),
    ],
)
def test_bad_files_refused(text, message):
    with pytest.raises(CaptureTableError, match=message):
        parse_capture_csv(text)


def test_file_problems(tmp_path):
    with pytest.raises(CaptureTableError, match="file not found"):
        read_capture_tables(tmp_path / "missing.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Ä,B,count\n1,0,3\n".encode("latin-1"))
    with pytest.raises(CaptureTableError, match="UTF-8"):
        read_capture_tables(latin)
    bom = tmp_path / "bom.csv"
    bom.write_bytes("A,B,count\r\n1,0,3\r\n1,1,2\r\n".encode("utf-8-sig"))
    assert read_capture_table(bom).counts.tolist() == [3, 0, 2]


def test_strata(tmp_path):
    """Recognised stratum columns split the file; each stratum is a complete table."""
    text = "year,age_group,A,B,count\n2023,adult,1,0,5\n2023,adult,1,1,2\n2024,child,0,1,4\n"
    tables = parse_capture_csv(text)
    keys = list(tables)
    assert keys == [(("year", "2023"), ("age_group", "adult")),
                    (("year", "2024"), ("age_group", "child"))]
    assert tables[keys[1]].counts.tolist() == [0, 4, 0]
    assert tables[keys[0]].label == "year=2023, age_group=adult"
    path = tmp_path / "s.csv"
    write_capture_csv(tables.values(), path)
    assert read_capture_tables(path) == tables
    with pytest.raises(CaptureTableError, match="2 strata"):
        read_capture_table(path)
    # An unrecognised text column is named as a possible stratum.
    with pytest.raises(CaptureTableError, match="pass it as a stratum column"):
        parse_capture_csv("site,A,B,count\nnorth,1,0,3\n")
    named = parse_capture_csv("site,A,B,count\nnorth,1,0,3\n", strata=["site"])
    assert list(named) == [(("site", "north"),)]
    with pytest.raises(CaptureTableError, match="not in the file"):
        parse_capture_csv("A,B,count\n1,0,3\n", strata=["site"])


def test_format_refuses_mixed_lists():
    a = CaptureTable(("A", "B"), np.array([1, 2, 3]))
    b = CaptureTable(("A", "C"), np.array([1, 2, 3]))
    with pytest.raises(ValueError):
        format_capture_csv([a, b])
    assert format_capture_csv([a]).splitlines()[0] == "A,B,count"


# ------------------------------------------------------------------------- CLI
def test_cli_estimate_bad_table_exits_2_without_traceback(capsys, tmp_path):
    """`darkfigure estimate bad.csv` prints the row and the fix in one line, exit code 2."""
    bad = tmp_path / "bad.csv"
    bad.write_text("A,B,count\n1,0,3\n0,0,2\n")
    code = main(["estimate", str(bad), "--method", "Mt"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "row 2" in err and "Fix: delete this row" in err and str(bad) in err
    assert "Traceback" not in err + out
    assert len(err.strip().splitlines()) == 1
