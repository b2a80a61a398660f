"""Uploads checked and loaded in a worker process: same outcome, settings of the page,
errors as plain messages, and a worker that dies leaves nothing loaded."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from darkfigure.errors import UserError
from darkfigure.warehouse import connect
from dashboards.data import upload_worker

DATA = Path(__file__).parent / "data"
ORG, QUARTER = "AVON-AND-SOMERSET", "2025Q1"


def _submissions(home: Path) -> list[tuple]:
    with connect(home / "warehouse.duckdb", read_only=True) as con:
        return con.execute("SELECT org_code, quarter, status, submitted_by FROM submissions "
                           "ORDER BY submission_id").fetchall()


def _return_bytes() -> bytes:
    return (DATA / "return_with_errors.csv").read_bytes()


@pytest.fixture
def fresh_workers():
    """Workers started by the test, stopped after it (no state carried between tests)."""
    upload_worker.shutdown()
    yield
    upload_worker.shutdown()


def test_an_upload_runs_in_a_worker_with_the_pages_settings(writable_warehouse, tmp_path,
                                                             monkeypatch, fresh_workers):
    """The worker is started (and warmed) under one DARKFIGURE_HOME; an upload made after
    the page's settings changed must land in the page's warehouse, not the first one.
    The worker runs at a lower priority and survives a SIGINT (its parent stops it)."""
    warming = upload_worker.start()
    assert warming is not None
    warming.result(timeout=300)
    pids = set(upload_worker._pool._processes)  # type: ignore[union-attr]
    assert pids and os.getpid() not in pids
    lower = min(19, os.getpriority(os.PRIO_PROCESS, 0) + upload_worker.NICENESS)
    assert all(os.getpriority(os.PRIO_PROCESS, pid) == lower for pid in pids)
    for pid in pids:  # Ctrl-C in the server's terminal reaches the workers too: ignored
        os.kill(pid, signal.SIGINT)
    other = tmp_path / "other"
    shutil.copytree(writable_warehouse.home, other)
    before, untouched = _submissions(other), _submissions(writable_warehouse.home)
    monkeypatch.setenv("DARKFIGURE_HOME", str(other))
    outcome = upload_worker.submit(_return_bytes(), ".csv", ORG, QUARTER, actor="tester",
                                   file_name="bad.csv")
    assert outcome.status == "quarantined" and outcome.file_name == "bad.csv"
    assert _submissions(other) == [*before, (ORG, QUARTER, "quarantined", "tester")]
    assert _submissions(writable_warehouse.home) == untouched
    assert set(upload_worker._pool._processes) == pids  # type: ignore[union-attr]


def test_a_user_error_in_the_worker_reaches_the_page_as_one(writable_warehouse, fresh_workers):
    """A quarter the intake refuses raises UserError in the worker; the page gets a
    UserError with the same message and exit code (not a pickling failure)."""
    with pytest.raises(UserError, match="2025Q9") as err:
        upload_worker.submit(_return_bytes(), ".csv", ORG, "2025Q9", actor="tester",
                             file_name="bad.csv")
    assert err.value.exit_code == 2


def test_a_worker_killed_midway_loads_nothing_and_the_next_upload_works(
        writable_warehouse, fresh_workers):
    """SIGKILL the worker while it checks a return: the page is told plainly that nothing
    was loaded, the warehouse is unchanged, and the next upload starts a new worker."""
    upload_worker.start().result(timeout=300)  # type: ignore[union-attr]
    before = _submissions(writable_warehouse.home)
    errors: list[BaseException] = []

    def upload() -> None:
        try:
            upload_worker.submit(_return_bytes(), ".csv", ORG, QUARTER, actor="tester",
                                 file_name="bad.csv")
        except BaseException as err:  # noqa: BLE001 (inspected below)
            errors.append(err)

    pool = upload_worker._pool
    assert pool is not None
    pids = list(pool._processes)
    thread = threading.Thread(target=upload)
    thread.start()
    deadline = time.monotonic() + 60
    while not pool._pending_work_items and time.monotonic() < deadline:  # handed over?
        time.sleep(0.001)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    thread.join(120)
    assert len(errors) == 1 and isinstance(errors[0], UserError)
    assert "Nothing of this upload was loaded" in str(errors[0])
    assert _submissions(writable_warehouse.home) == before
    outcome = upload_worker.submit(_return_bytes(), ".csv", ORG, QUARTER, actor="tester",
                                   file_name="bad.csv")
    assert outcome.status == "quarantined"


#: Opens the warehouse for writing, says so, holds it for argv[2] seconds, then exits.
HOLD_FOR = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def test_an_upload_waits_for_another_writer_longer_than_the_command_line(
        writable_warehouse, fresh_workers, monkeypatch):
    """Another process holds the warehouse for 6.5 s, more than the command line's default
    5 s lock wait: the upload waits (the page shows its progress) and is recorded."""
    monkeypatch.delenv("DARKFIGURE_LOCK_TIMEOUT", raising=False)
    upload_worker.start().result(timeout=300)  # type: ignore[union-attr]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_FOR, str(writable_warehouse.home / "warehouse.duckdb"),
         "6.5"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        outcome = upload_worker.submit(_return_bytes(), ".csv", ORG, QUARTER, actor="tester",
                                       file_name="bad.csv")
    finally:
        holder.wait(60)
    assert outcome.status == "quarantined"


@pytest.mark.parametrize(("configured", "sent"), [
    (None, "120.0"), ("2", "120.0"), ("300", "300.0"), ("soon", "soon")])
def test_uploads_wait_at_least_upload_lock_wait(monkeypatch, configured, sent):
    """An administrator's longer DARKFIGURE_LOCK_TIMEOUT stands; a shorter one (or none)
    becomes UPLOAD_LOCK_WAIT; a bad one is passed on for the intake to report."""
    if configured is None:
        monkeypatch.delenv("DARKFIGURE_LOCK_TIMEOUT", raising=False)
    else:
        monkeypatch.setenv("DARKFIGURE_LOCK_TIMEOUT", configured)
    assert upload_worker._settings_env()["DARKFIGURE_LOCK_TIMEOUT"] == sent
