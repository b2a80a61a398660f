"""File-level rules: an unreadable file and a wrong template get a report; a nil return warns."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from collection.errors import ReturnFileError
from collection.parse import read_return_bytes
from collection.schema import FIELD_NAMES
from validation import file_report, rules, validate_return

HEADER = ",".join(FIELD_NAMES)
ROW = "R1,2025-08-14,Ana,Pop,1990-01-02,,female,ROU,labour,adult,E23000001,yes"


def _refused(content: bytes, name: str = "ret.csv") -> ReturnFileError:
    with pytest.raises(ReturnFileError) as info:
        read_return_bytes(content, name)
    return info.value


@pytest.mark.parametrize(("content", "name", "rule", "columns", "row"), [
    (b"", "ret.csv", "file_readable", [""], None),
    ("R,Jos\u00e9\n".encode("cp1252"), "ret.csv", "file_readable", [""], None),
    (b"PK\x03\x04garbage", "ret.xlsx", "file_readable", [""], None),
    ((HEADER + "\n" + ROW + ",extra\n").encode(), "ret.csv", "file_readable", [""], 2),
    (b"record_ref,sex\nR1,male\n", "ret.csv", "file_template",
     sorted(set(FIELD_NAMES) - {"record_ref", "sex", "given_name", "family_name",
                                "date_of_birth", "estimated_age"}), 1),
])
def test_file_report_has_one_file_level_error_per_column(content, name, rule, columns, row):
    """The report of a refused file: the rule, the row where there is one, each column
    concerned, what is wrong and how to fix it; never a cell's content."""
    err = _refused(content, name)
    sha = hashlib.sha256(content).hexdigest()
    report = file_report(err, sha256=sha, org_code="nca", quarter="2025Q3")
    frame = report.to_frame()
    assert report.has_errors and report.n_rows == 0 and report.org_code == "NCA"
    assert set(frame["rule"]) == {rule} and set(frame["severity"]) == {"error"}
    assert sorted(frame["column"]) == sorted(columns)
    assert [None if pd.isna(v) else int(v) for v in frame["row"]] == [row] * len(frame)
    assert frame["value"].isna().all()
    assert (frame["message"] == err.problem).all() and (frame["fix"] == err.fix).all()
    assert "Jos" not in report.to_text() and "ERROR " + rule in report.to_text()


def test_nil_return_warns_and_a_return_with_rows_does_not():
    """Failing case: a header with no rows gets the nil_return warning (and nothing else);
    passing case: one row, no nil_return."""
    nil = validate_return(read_return_bytes(HEADER.encode() + b"\n", "nil.csv"), "NCA",
                          "2025Q3")
    assert [(i.rule, i.severity, i.row) for i in nil.issues] == [("nil_return", "warning",
                                                                   None)]
    assert not nil.has_errors
    one = validate_return(read_return_bytes((HEADER + "\n" + ROW + "\n").encode(), "one.csv"),
                          "NCA", "2025Q3")
    assert "nil_return" not in {i.rule for i in one.issues}


def test_file_rules_are_registered_and_documented():
    registry = {r.id: r for r in rules()}
    assert registry["file_readable"].engine == "reader"
    assert registry["file_template"].severity == "error"
    assert registry["nil_return"].severity == "warning"
