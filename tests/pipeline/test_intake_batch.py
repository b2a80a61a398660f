"""Submitting returns as a batch: each return decided on its own, as if one by one."""

from __future__ import annotations

import pandas as pd
import pytest

from darkfigure.cli import main
from darkfigure.pipeline.intake import ReturnEntry, submit_return, submit_returns
from darkfigure.pipeline.outcome import Refusal
from darkfigure.warehouse import connect, store

AVON, NGO = "AVON-AND-SOMERSET", "SALVATION-ARMY"


def _batch(returns, tmp_path) -> list[ReturnEntry]:
    """Good, bad-rows, unreadable, duplicate and correcting returns, and two refusals."""
    binary = tmp_path / "scan.csv"
    binary.write_bytes(b"\x00\x01\x02 junk" * 50)
    return [
        ReturnEntry(returns["police"], AVON, "2025Q1"),
        ReturnEntry(returns["ngo"], NGO, "2025Q1"),
        ReturnEntry(returns["police_bad"], AVON, "2025Q2"),
        ReturnEntry(binary, AVON, "2025Q3"),
        ReturnEntry(returns["police"], AVON, "2025Q1"),  # the same file again
        ReturnEntry(returns["police_v2"], AVON, "2025Q1"),  # a correction
        ReturnEntry(tmp_path / "missing.csv", NGO, "2025Q2"),
        ReturnEntry(returns["ngo"], "NO-SUCH-ORG", "2025Q1"),
    ]


def _rows(settings, sql: str) -> list[tuple]:
    with connect(settings.warehouse_path, read_only=True) as con:
        return con.execute(sql).fetchall()


def test_each_return_gets_its_own_outcome(settings, returns, tmp_path):
    """Loaded, loaded, quarantined (rows), quarantined (unreadable), duplicate, loaded
    superseding the first, and two refusals; the warehouse holds exactly the live
    returns' records and an audit entry per return that was not refused."""
    out = submit_returns(_batch(returns, tmp_path), settings=settings, actor="tester")
    assert [o.status for o in out] == ["loaded", "loaded", "quarantined", "quarantined",
                                       "duplicate", "loaded", "refused", "refused"]
    first, ngo, bad, unreadable, dup, v2, missing, unknown = out
    assert dup.submission_id == first.submission_id
    assert v2.superseded == first.submission_id and v2.version == 2
    assert bad.problem is None and bad.n_errors >= 1 and bad.report_path.exists()
    assert unreadable.problem and unreadable.report_path.exists()
    assert isinstance(missing, Refusal) and "does not exist" in missing.reason
    assert isinstance(unknown, Refusal) and "not known" in unknown.reason
    assert [o.exit_code for o in out] == [0, 0, 1, 1, 0, 0, 2, 2]
    live = _rows(settings, "SELECT s.org_code, count(*) FROM records r JOIN submissions s "
                           "USING (submission_id) WHERE s.status = 'loaded' GROUP BY 1 ORDER BY 1")
    assert live == [(AVON, 3), (NGO, 2)]
    statuses = _rows(settings, "SELECT quarter, version, status FROM submissions "
                               "WHERE org_code = 'AVON-AND-SOMERSET' ORDER BY 1, 2")
    assert statuses == [("2025Q1", 1, "superseded"), ("2025Q1", 2, "loaded"),
                        ("2025Q2", 1, "quarantined"), ("2025Q3", 1, "quarantined")]
    actions = _rows(settings, "SELECT action, count(*) FROM audit_log WHERE action LIKE "
                              "'submit.%' GROUP BY 1 ORDER BY 1")
    assert actions == [("submit.duplicate", 1), ("submit.loaded", 3), ("submit.quarantined", 2)]


def _comparable(settings) -> dict[str, pd.DataFrame]:
    """Tables as a batch and one-by-one submission should leave them (times, paths aside)."""
    out = {}
    with connect(settings.warehouse_path, read_only=True) as con:
        for table, drop in (("submissions", ["submitted_at", "archive_path"]),
                            ("records", []), ("match_keys", []), ("validation_issues", [])):
            frame = con.execute(f"SELECT * FROM {table}").df().drop(columns=drop)
            out[table] = frame.astype(str).sort_values(list(frame.columns)).reset_index(drop=True)
    return out


def test_batch_leaves_the_warehouse_as_one_by_one(settings, returns, tmp_path, monkeypatch):
    """The same entries submitted one by one into a second warehouse give the same
    submissions, records, match keys and issues."""
    entries = _batch(returns, tmp_path)
    submit_returns(entries, settings=settings, actor="tester")
    batch = _comparable(settings)
    from darkfigure.pipeline.setup import init_warehouse
    from darkfigure.settings import Settings

    monkeypatch.setenv("DARKFIGURE_HOME", str(tmp_path / "home2"))
    other = Settings.from_env()
    init_warehouse(other, actor="test")
    for entry in entries[:6]:
        submit_return(entry.path, entry.org_code, entry.quarter, settings=other, actor="tester")
    single = _comparable(other)
    for table in batch:
        pd.testing.assert_frame_equal(batch[table], single[table], obj=table)


def test_references_of_earlier_returns_in_the_batch_count(settings, make_return, return_row):
    """A reference an organisation used in an earlier quarter of the same batch is refused
    in a later one, as it would be one by one (the two go in different waves)."""
    q1 = make_return("q1.csv", [return_row("R-1", "Ana", "Pop", "1990-01-02")])
    q2 = make_return("q2.csv", [return_row("R-1", "Ion", "Pop", "1991-01-02",
                                           first_encountered="2025-05-05")])
    out = submit_returns([ReturnEntry(q1, AVON, "2025Q1"), ReturnEntry(q2, AVON, "2025Q2")],
                         settings=settings, actor="tester")
    assert [o.status for o in out] == ["loaded", "quarantined"]
    report = pd.read_csv(out[1].report_path, dtype=str)
    assert "record_ref_previously_used" in set(report["rule"])


def test_a_failing_load_stops_the_batch_but_half_loads_nothing(settings, returns, monkeypatch):
    """Each return is its own transaction: when the second return's load fails, the first
    stays loaded and nothing of the second is in the warehouse."""
    real = store.insert_match_keys
    calls = []

    def fail_second(con, submission_id, keys):
        calls.append(submission_id)
        if len(calls) == 2:
            raise RuntimeError("disk full (injected)")
        return real(con, submission_id, keys)

    monkeypatch.setattr(store, "insert_match_keys", fail_second)
    with pytest.raises(RuntimeError, match="injected"):
        submit_returns([ReturnEntry(returns["police"], AVON, "2025Q1"),
                        ReturnEntry(returns["ngo"], NGO, "2025Q1")],
                       settings=settings, actor="tester")
    assert _rows(settings, "SELECT org_code, status FROM submissions") == [(AVON, "loaded")]
    assert _rows(settings, "SELECT DISTINCT org_code FROM records") == [(AVON,)]


def test_cli_batch_by_names_and_by_manifest(settings, returns, tmp_path, capsys):
    """`submit FOLDER` reads org and quarter from the file names; `submit --manifest`
    from the manifest; exit 1 when a return is quarantined, 2 when one is refused."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / f"{AVON}_2025Q1.csv").write_bytes(returns["police"].read_bytes())
    (folder / f"return_{NGO}_2025q1.csv").write_bytes(returns["ngo"].read_bytes())
    assert main(["submit", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "2 return(s): 2 loaded" in out
    (folder / "notes.csv").write_text("x\n", encoding="utf-8")
    assert main(["submit", str(folder)]) == 2
    out = capsys.readouterr().out
    assert "notes.csv" in out and "does not say the organisation" in out
    assert "2 duplicate" in out and "1 refused" in out
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(f"path,org_code,quarter,note\n{returns['police_bad'].name},{AVON},"
                        "2025Q2,bad rows\n", encoding="utf-8")
    assert main(["submit", "--manifest", str(manifest)]) == 1
    assert "1 quarantined" in capsys.readouterr().out
    manifest.write_text("path,quarter\nx.csv,2025Q1\n", encoding="utf-8")
    assert main(["submit", "--manifest", str(manifest)]) == 2
    assert "row 1 (the header) has no column 'org_code'" in capsys.readouterr().err
    assert main(["submit", str(folder), "--org", AVON, "--quarter", "2025Q1"]) == 2


def test_a_batch_writes_on_a_second_thread(settings, returns, monkeypatch):
    """In a batch each transaction is written by the writer thread (the main thread
    pseudonymises the next return meanwhile); one return alone is written in line."""
    import threading

    from darkfigure.pipeline import intake_steps

    threads = []
    real = intake_steps.load_submission

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(intake_steps, "load_submission", spy)
    submit_returns([ReturnEntry(returns["police"], AVON, "2025Q1"),
                    ReturnEntry(returns["ngo"], NGO, "2025Q1")],
                   settings=settings, actor="tester")
    submit_return(returns["police_v2"], AVON, "2025Q1", settings=settings, actor="tester")
    assert [t.startswith("intake-writer") for t in threads] == [True, True, False]
