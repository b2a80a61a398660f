"""A process killed in the middle of loading a return leaves the warehouse as before."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from darkfigure.warehouse import connect


def test_kill_during_load_transaction(settings, returns, snapshot, assert_same, tmp_path):
    """SIGKILL a submitting process after its records are inserted but before the
    transaction commits; on reopening, DuckDB's recovery shows the warehouse unchanged
    (version 1 still live, no version 2 rows anywhere)."""
    from darkfigure.pipeline.intake import submit_return

    submit_return(returns["police"], "AVON-AND-SOMERSET", "2025Q1", settings=settings,
                  actor="tester")
    before = snapshot(settings)
    marker = tmp_path / "killed-here"
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from darkfigure.settings import Settings
        from darkfigure.pipeline.intake import submit_return
        from darkfigure.warehouse import store

        real = store.insert_match_keys

        def die(con, submission_id, keys):
            real(con, submission_id, keys)  # keys written inside the open transaction
            Path({str(marker)!r}).write_text("x")
            os.kill(os.getpid(), signal.SIGKILL)

        store.insert_match_keys = die
        submit_return({str(returns["police_v2"])!r}, "AVON-AND-SOMERSET", "2025Q1",
                      settings=Settings.from_env(), actor="doomed")
        """
    )
    env = {**os.environ, "DARKFIGURE_HOME": str(settings.home), "DARKFIGURE_DEMO": "1"}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          timeout=300)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    assert marker.exists()  # it really died inside the transaction
    assert_same(before, snapshot(settings))
    with connect(settings.warehouse_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM submissions WHERE status = 'loaded'"
                            ).fetchall()[0][0] == 1


def test_kill_during_a_batch_keeps_the_returns_already_written(settings, returns, tmp_path):
    """SIGKILL a batch inside its second return's transaction (on the writer thread): on
    reopening, the first return is loaded and audited, nothing of the second is there."""
    marker = tmp_path / "killed-here"
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from darkfigure.settings import Settings
        from darkfigure.pipeline.intake import ReturnEntry, submit_returns
        from darkfigure.warehouse import store

        real = store.insert_match_keys
        calls = []

        def die_second(con, submission_id, keys):
            calls.append(submission_id)
            real(con, submission_id, keys)
            if len(calls) == 2:
                Path({str(marker)!r}).write_text("x")
                os.kill(os.getpid(), signal.SIGKILL)

        store.insert_match_keys = die_second
        submit_returns([ReturnEntry(Path({str(returns["police"])!r}), "AVON-AND-SOMERSET",
                                    "2025Q1"),
                        ReturnEntry(Path({str(returns["ngo"])!r}), "SALVATION-ARMY", "2025Q1")],
                       settings=Settings.from_env(), actor="doomed")
        """
    )
    env = {**os.environ, "DARKFIGURE_HOME": str(settings.home), "DARKFIGURE_DEMO": "1"}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          timeout=300)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    assert marker.exists()
    with connect(settings.warehouse_path, read_only=True) as con:
        subs = con.execute("SELECT org_code, status FROM submissions").fetchall()
        orgs = con.execute("SELECT DISTINCT org_code FROM records").fetchall()
        audit = con.execute("SELECT count(*) FROM audit_log WHERE action = 'submit.loaded'"
                            ).fetchall()[0][0]
    assert subs == [("AVON-AND-SOMERSET", "loaded")]
    assert orgs == [("AVON-AND-SOMERSET",)] and audit == 1
