"""The fast (Arrow) CSV reader against the reference (pandas) reader, and the encoding check."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collection.csv_reader import arrow_grid, check_encoding, pandas_grid, read_grid
from collection.errors import ReturnFileError
from collection.parse import read_return_bytes
from collection.schema import FIELD_NAMES

ROW = "R1,2025-08-14,Maria,Popescu,1994-03-02,,female,ROU,labour,adult,E23000001,yes"
CELL = st.text(alphabet=["a", "é", " ", ",", '"', "\n", "\r", ";", "\t", "Ж"], max_size=6)


def grids_agree(raw: bytes) -> bool:
    """Whether the Arrow reader declined ``raw`` or read it exactly as the reference does."""
    fast = arrow_grid(raw, ",")
    if fast is None:
        return False
    reference = pandas_grid(raw, ",", "x.csv")
    assert [c.to_pylist() for c in fast[0]] == [c.to_pylist() for c in reference[0]], raw
    assert fast[1].tolist() == reference[1].tolist(), raw
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=6),
       quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
       newline=st.sampled_from(["\n", "\r\n"]), cut=st.integers(min_value=-1, max_value=200),
       blank=st.integers(min_value=-1, max_value=6))
def test_arrow_reader_agrees_with_pandas(rows, quoting, newline, cut, blank) -> None:
    """Every file the Arrow reader accepts is read cell for cell and row for row as pandas reads it.

    Files are written by the csv module and then damaged: a character removed
    (an unclosed quote, a row split or joined), an empty line inserted.
    """
    buf = io.StringIO()
    csv.writer(buf, quoting=quoting, lineterminator=newline).writerows(rows)
    text = buf.getvalue()
    if 0 <= cut < len(text):
        text = text[:cut] + text[cut + 1:]
    lines = text.split(newline)
    if 0 <= blank < len(lines):
        lines.insert(blank, "")
    raw = newline.join(lines).encode()
    if raw.strip():
        grids_agree(raw)


@pytest.mark.parametrize("text", [
    "a,b\n1,\"2\n",              # unclosed quote in the last cell, swallowing the line end
    "a,b\n1,\"2",                # ... and at the very end of the file
    "a,b\n1,\"2\n3,4\n",         # ... swallowing a later row
    "a,b\nx\"y,1\n1,\"2",        # a literal quote elsewhere: the quotes are even, still declined
    "a,b\n1\n",                  # ragged rows
    "a,b\n1,2,3\n",
])
def test_unclosed_quotes_and_ragged_rows_go_to_the_reference_reader(text) -> None:
    assert arrow_grid(text.encode(), ",") is None


def test_a_return_is_read_by_the_arrow_reader() -> None:
    """The fast path is the one taken for an ordinary return (else it is never used)."""
    quoted = ROW.replace("R1", "R2").replace("Maria", '"Ma\nria"')
    raw = ("\ufeff" + "\r\n".join([",".join(FIELD_NAMES), ROW, "", quoted, ROW]) + "\r\n").encode()
    assert grids_agree(raw)
    columns, records = read_grid(raw, "r.csv", min_columns=len(FIELD_NAMES))
    assert records.tolist() == [1, 2, 3, 4, 5]
    assert columns[2].to_pylist() == ["given_name", "Maria", "", "Ma\nria", "Maria"]
    data = read_return_bytes(raw, "r.csv").data
    assert data["row"].tolist() == [2, 4, 5]
    assert data["given_name"].tolist() == ["Maria", "Ma\nria", "Maria"]


def test_unclosed_quote_is_refused_by_row(tmp_path) -> None:
    raw = (",".join(FIELD_NAMES) + "\n" + ROW + "\n" + ROW.replace(",yes", ',"yes') + "\n").encode()
    with pytest.raises(ReturnFileError, match="not a well-formed CSV"):
        read_return_bytes(raw, "r.csv")


def test_bad_byte_is_found_past_the_first_chunk() -> None:
    """The line of the first non-UTF-8 byte is reported however far into the file it is."""
    good = ("é" * 40 + "\n").encode()
    raw = good * 200_000 + b"caf\xe9\n"  # 16 MB of good text, then Windows-1252
    with pytest.raises(ReturnFileError, match="first bad byte on line 200001") as info:
        check_encoding(raw, "r.csv")
    assert "Windows-1252" in str(info.value)
    check_encoding(good * 200_000, "r.csv")  # a character cut by a chunk's end is fine
