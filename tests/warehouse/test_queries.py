"""The read API (darkfigure.warehouse.queries) over rows written by the store."""

from __future__ import annotations

import pandas as pd

from darkfigure.warehouse import connect, queries, store, transaction


def _submission(org: str, quarter: str, status: str = "loaded", sha: str = "s") -> dict:
    return {
        "org_code": org, "quarter": quarter, "version": 1, "status": status,
        "file_name": "f.csv", "file_sha256": sha, "schema_version": "1.0", "n_rows": 2,
        "n_errors": 0, "n_warnings": 1, "submitted_by": "t",
        "submitted_at": pd.Timestamp("2025-04-01", tz="UTC").to_pydatetime(),
    }


RECORDS = pd.DataFrame({
    "row_number": [2, 3], "record_ref": ["A-1", "A-2"],
    "first_encountered": pd.to_datetime(["2025-01-05", "2025-02-07"]),
    "sex": ["female", "male"], "nationality": ["ROU", "ALB"], "age_group": ["adult", "child"],
    "exploitation_types": ["labour;sexual", "criminal"], "force_area": ["E23000036", "UNKNOWN"],
    "nrm_referred": ["yes", "no"],
})


def test_submissions_records_keys_and_issues(settings):
    """Rows written in one transaction read back through the query functions."""
    keys = pd.DataFrame({"row": [2, 3, 3], "key_type": ["name_dob", "name_dob", "name_yob"],
                         "key_hash": ["h1", "h2", "h3"]})
    issues = pd.DataFrame({"row_number": [3], "column_name": ["given_name"], "value": [None],
                           "rule": ["name_placeholder"], "severity": ["warning"],
                           "message": ["looks like a placeholder"], "fix": ["give the name"]})
    with connect(settings.warehouse_path) as con, transaction(con):
        sid = store.insert_submission(con, _submission("AVON-AND-SOMERSET", "2025Q1"))
        store.insert_records(con, sid, "AVON-AND-SOMERSET", "PF", "2025Q1", RECORDS)
        store.insert_match_keys(con, sid, keys)
        store.insert_issues(con, sid, issues)
        other = store.insert_submission(
            con, _submission("SALVATION-ARMY", "2025Q2", status="quarantined")
        )
    with connect(settings.warehouse_path, read_only=True) as con:
        org = queries.organisation(con, "SALVATION-ARMY")
        assert org is not None and org["list_code"] == "NG"
        assert len(queries.submissions(con)) == 2
        assert queries.submissions(con, org_code="SALVATION-ARMY")["submission_id"].tolist() == [
            other
        ]
        assert queries.submissions(con, status="loaded")["submission_id"].tolist() == [sid]
        live = queries.live_submission(con, "AVON-AND-SOMERSET", "2025Q1")
        assert live is not None and live["submission_id"] == sid
        assert queries.live_submission(con, "SALVATION-ARMY", "2025Q2") is None
        assert queries.next_version(con, "AVON-AND-SOMERSET", "2025Q1") == 2
        assert queries.known_record_refs(con, "AVON-AND-SOMERSET", "2025Q2") == {"A-1", "A-2"}
        assert queries.known_record_refs(con, "AVON-AND-SOMERSET", "2025Q1") == set()
        assert queries.live_submissions_in(con, ["2025Q1"])["submission_id"].tolist() == [sid]
        records, found = queries.linkage_input(con, ["2025Q1", "2025Q2"])
        assert len(records) == 2 and len(found) == 3
        assert found.groupby("record_id").size().tolist() == [1, 2]
        issue = queries.submission_issues(con, sid).iloc[0]
        assert issue["rule"] == "name_placeholder" and issue["row_number"] == 3
        types = con.execute(
            "SELECT exploitation_types FROM records ORDER BY row_number").fetchall()
        assert [t[0] for t in types] == [["labour", "sexual"], ["criminal"]]


def test_audit_log_newest_first(settings):
    """Audit entries come back newest first with their JSON detail."""
    with connect(settings.warehouse_path) as con, transaction(con):
        store.audit(con, "alice", "one", "x:1", {"n": 1})
        store.audit(con, "bob", "two", "x:2", {"n": 2})
    with connect(settings.warehouse_path, read_only=True) as con:
        log = queries.audit_log(con, limit=2)
    assert log["action"].tolist() == ["two", "one"]
    assert '"n": 2' in log["detail"].iloc[0] or '"n":2' in log["detail"].iloc[0]
