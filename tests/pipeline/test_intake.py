"""Submitting returns: load, duplicate, supersede, quarantine, and nothing half-done."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from collection.schema import FIELD_NAMES
from darkfigure.errors import UserError
from darkfigure.pipeline.intake import submit_return
from darkfigure.warehouse import connect, queries, store


def _submit(settings, path, org="AVON-AND-SOMERSET", quarter="2025Q1"):
    return submit_return(path, org, quarter, settings=settings, actor="tester")


def _count(settings, sql):
    with connect(settings.warehouse_path, read_only=True) as con:
        return con.execute(sql).fetchall()[0][0]


def test_load_records_keys_and_audit(settings, returns):
    """A valid return loads its rows, several match keys per row, and an audit entry."""
    out = _submit(settings, returns["police"])
    assert out.status == "loaded" and out.exit_code == 0
    assert out.n_rows == 3 and out.version == 1
    assert "loaded 3 row(s)" in out.message()
    assert _count(settings, "SELECT count(*) FROM records") == 3
    assert _count(settings, "SELECT count(DISTINCT record_id) FROM match_keys") == 3
    assert _count(settings, "SELECT count(*) FROM match_keys") >= 3 * 4
    assert _count(settings, "SELECT list_code FROM records LIMIT 1") == "PF"
    assert _count(
        settings, "SELECT exploitation_types FROM records WHERE record_ref = 'P-3'"
    ) == ["criminal"]
    assert _count(settings, "SELECT count(*) FROM audit_log WHERE action = 'submit.loaded'") == 1
    assert out.archive_path is not None and out.archive_path.read_bytes() == (
        returns["police"].read_bytes()
    )
    assert out.archive_path.name.startswith(out.sha256)


def test_identical_file_twice_is_a_no_op(settings, returns, snapshot, assert_same):
    """Submitting the same file for the same organisation and quarter changes no data."""
    first = _submit(settings, returns["police"])
    before = snapshot(settings, skip=("audit_log",))
    again = _submit(settings, returns["police"])
    assert again.status == "duplicate" and again.exit_code == 0
    assert again.submission_id == first.submission_id
    assert "already loaded" in again.message()
    assert_same(before, snapshot(settings, skip=("audit_log",)))


def test_resubmission_supersedes(settings, returns):
    """A corrected file for the same org and quarter becomes version 2; version 1 is kept
    as superseded and no longer feeds linkage."""
    v1 = _submit(settings, returns["police"])
    v2 = _submit(settings, returns["police_v2"])
    assert (v2.status, v2.version, v2.superseded) == ("loaded", 2, v1.submission_id)
    with connect(settings.warehouse_path, read_only=True) as con:
        history = queries.submissions(con, org_code="AVON-AND-SOMERSET")
        records, _ = queries.linkage_input(con, None)
        live_ids = set(
            con.execute("SELECT record_id FROM records WHERE submission_id = ?",
                        [v2.submission_id]).fetchall()
        )
    status = dict(zip(history["version"], history["status"], strict=True))
    assert status == {1: "superseded", 2: "loaded"}
    old = history[history["version"] == 1].iloc[0]
    assert int(old["superseded_by"]) == v2.submission_id
    assert set(records["record_id"]) == {r[0] for r in live_ids}
    # the first version again is a new version (a rollback), not a duplicate
    v3 = _submit(settings, returns["police"])
    assert (v3.status, v3.version) == ("loaded", 3)


def test_errors_quarantine_and_load_nothing(settings, returns):
    """A return with errors is kept in quarantine with its report; no record is loaded."""
    out = _submit(settings, returns["police_bad"], quarter="2025Q2")
    assert out.status == "quarantined" and out.exit_code == 1 and out.n_errors >= 1
    assert out.report_path is not None and out.report_path.exists()
    assert (out.report_path.parent / "return.csv").read_bytes() == (
        returns["police_bad"].read_bytes()
    )
    assert _count(settings, "SELECT count(*) FROM records") == 0
    assert _count(settings, "SELECT count(*) FROM match_keys") == 0
    assert _count(settings, "SELECT status FROM submissions") == "quarantined"
    assert _count(
        settings,
        "SELECT count(*) FROM validation_issues WHERE severity = 'error'",
    ) == out.n_errors
    # identity values never stored in issues, even though the bad cell is a date of birth
    assert _count(
        settings,
        "SELECT count(*) FROM validation_issues WHERE column_name = 'date_of_birth' "
        "AND value IS NOT NULL",
    ) == 0


UNREADABLE = {
    # name: (content, rule, what the report says)
    "empty.csv": (b"", "file_readable", "empty"),
    "binary.csv": (b"\x00\x01\x02 junk" * 50, "file_readable", "binary data"),
    "ansi.csv": ("record_ref,given_name\nP-1,Jos\u00e9\n".encode("cp1252"), "file_readable",
                 "not UTF-8"),
    "truncated.xlsx": (b"PK\x03\x04" + b"\x00" * 200, "file_readable", "not a readable Excel"),
    "scan.pdf": (b"%PDF-1.7\n" + b"\xff\xfe\x00" * 40, "file_readable", "binary data"),
}


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_file_is_quarantined_with_a_report(settings, returns, tmp_path, snapshot,
                                                      assert_same, name):
    """A file that cannot be read as a return is archived under its SHA-256 in the
    quarantine, recorded as a quarantined submission with a one-error file-level report
    and an audit entry; nothing else in the warehouse changes."""
    content, rule, problem = UNREADABLE[name]
    _submit(settings, returns["police"])
    kept = ("submissions", "validation_issues", "audit_log")
    before = snapshot(settings, skip=kept)
    path = tmp_path / name
    path.write_bytes(content)
    out = _submit(settings, path, quarter="2025Q2")
    assert out.status == "quarantined" and out.exit_code == 1, out
    assert out.n_rows == 0 and out.n_errors == 1
    assert problem in out.message() and "cannot be read as a return" in out.message()
    assert_same(before, snapshot(settings, skip=kept))
    assert out.sha256 == hashlib.sha256(content).hexdigest()
    folder = out.report_path.parent
    assert [p.read_bytes() for p in folder.glob("return.*")] == [content]
    report = pd.read_csv(out.report_path, dtype=str, keep_default_na=False)
    assert report[["row", "rule", "severity"]].values.tolist() == [["", rule, "error"]]
    assert problem in report["message"].iloc[0] and report["fix"].iloc[0]
    with connect(settings.warehouse_path, read_only=True) as con:
        sub = queries.submission(con, out.submission_id)
        issues = queries.submission_issues(con, out.submission_id)
        audit = con.execute("SELECT detail FROM audit_log WHERE action = 'submit.quarantined'"
                            ).fetchall()
    assert (sub["status"], sub["n_rows"], sub["n_errors"], sub["version"]) == (
        "quarantined", 0, 1, 1)
    assert issues["rule"].tolist() == [rule]
    assert len(audit) == 1 and f'"file_level":"{rule}"' in audit[0][0].replace(" ", "")


def test_wrong_template_is_quarantined_naming_the_missing_columns(settings, tmp_path):
    """A file on another template (required columns missing) is quarantined with one
    file-level error per missing column, the header row given; nothing is loaded."""
    path = tmp_path / "old.csv"
    path.write_text("Ref,Date,Forename,Surname\nP-1,2025-02-03,Ana,Pop\n", encoding="utf-8")
    out = _submit(settings, path)
    assert out.status == "quarantined" and out.exit_code == 1
    report = pd.read_csv(out.report_path, dtype=str, keep_default_na=False)
    assert set(report["rule"]) == {"file_template"}
    assert set(report["row"]) == {"1"}
    # the unknown columns are named (the reader stops at the first problem it finds)
    assert set(report["column"]) == {"Ref", "Date", "Forename", "Surname"}
    missing = tmp_path / "missing.csv"
    missing.write_text("record_ref,first_encountered\nP-1,2025-02-03\n", encoding="utf-8")
    out = _submit(settings, missing, quarter="2025Q2")
    report = pd.read_csv(out.report_path, dtype=str, keep_default_na=False)
    assert "sex" in set(report["column"]) and "record_ref" not in set(report["column"])
    assert _count(settings, "SELECT count(*) FROM records") == 0
    assert _count(settings, "SELECT count(*) FROM submissions WHERE status = 'quarantined'") == 2


def test_nil_return_loads_with_a_warning(settings, returns, tmp_path):
    """A header-only return is a nil return: accepted with 0 records and a warning, and it
    supersedes an earlier version (the organisation withdrew its records)."""
    first = _submit(settings, returns["police"])
    path = tmp_path / "nil.csv"
    path.write_text(",".join(FIELD_NAMES) + "\n", encoding="utf-8")
    out = _submit(settings, path)
    assert (out.status, out.n_rows, out.n_warnings, out.exit_code) == ("loaded", 0, 1, 0)
    assert out.superseded == first.submission_id and "nil return" in out.message()
    with connect(settings.warehouse_path, read_only=True) as con:
        issues = queries.submission_issues(con, out.submission_id)
        live = con.execute("SELECT count(*) FROM records r JOIN submissions s "
                           "USING (submission_id) WHERE s.status = 'loaded'").fetchall()[0][0]
    assert issues["rule"].tolist() == ["nil_return"]
    assert issues["severity"].tolist() == ["warning"]
    assert live == 0


def test_bad_arguments(settings, returns, tmp_path, snapshot, assert_same):
    """Unknown organisation, malformed quarter and a missing file are not returns at all:
    plain errors (exit 2), nothing recorded."""
    before = snapshot(settings)
    with pytest.raises(UserError, match="does not exist") as err:
        _submit(settings, tmp_path / "nowhere.csv")
    assert err.value.exit_code == 2
    with pytest.raises(UserError, match="folder"):
        _submit(settings, tmp_path)
    with pytest.raises(UserError, match="not known"):
        _submit(settings, returns["police"], org="NO-SUCH-ORG")
    with pytest.raises(UserError, match="YYYYQn"):
        _submit(settings, returns["police"], quarter="2025-07")
    assert_same(before, snapshot(settings))


def test_failure_between_inserts_leaves_warehouse_unchanged(
    settings, returns, monkeypatch, snapshot, assert_same
):
    """An error after the submission and records are inserted but before the match keys
    rolls the whole load back: the earlier version stays live, nothing new is visible."""
    _submit(settings, returns["police"])
    before = snapshot(settings)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full (injected)")

    monkeypatch.setattr(store, "insert_match_keys", explode)
    with pytest.raises(RuntimeError, match="injected"):
        _submit(settings, returns["police_v2"])
    assert_same(before, snapshot(settings))
