"""Submitting returns: load, duplicate, supersede, quarantine, and nothing half-done."""

from __future__ import annotations

import pytest

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


def test_malformed_files_change_nothing(settings, returns, tmp_path, snapshot, assert_same):
    """Unreadable returns (empty, binary, missing columns) are plain errors (exit 2) and
    leave the warehouse exactly as it was."""
    _submit(settings, returns["police"])
    before = snapshot(settings)
    contents = {"empty": b"", "binary": b"\x00\x01\x02 junk" * 50,
                "missing-columns": b"record_ref\nP-1\n"}
    for name, content in contents.items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(content)
        with pytest.raises(UserError) as err:
            _submit(settings, path, quarter="2025Q2")
        assert err.value.exit_code == 2, name
    assert_same(before, snapshot(settings))


def test_bad_arguments(settings, returns):
    """Unknown organisation and malformed quarter are plain errors."""
    with pytest.raises(UserError, match="not known"):
        _submit(settings, returns["police"], org="NO-SUCH-ORG")
    with pytest.raises(UserError, match="YYYYQn"):
        _submit(settings, returns["police"], quarter="2025-07")


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
