"""While another process writes to the warehouse (a large ``darkfigure submit`` batch),
readers get the figures read before, told how old they are, instead of an error."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from darkfigure.errors import UserError
from darkfigure.warehouse.connection import BUSY_EXIT_CODE, busy_error
from dashboards import freshness, ui
from dashboards.data import warehouse as wh

#: Holds the warehouse for writing (as a batch does) after changing it, until killed.
HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE IF NOT EXISTS lock_probe (x INTEGER)")
con.execute("INSERT INTO lock_probe VALUES (1)")
print("holding", flush=True)
time.sleep(300)
"""


@contextmanager
def held_for_writing(home: Path) -> Iterator[None]:
    """Another process changes the warehouse and keeps it open for writing until the end."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(home / "warehouse.duckdb")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        yield
    finally:
        holder.kill()
        holder.wait()


def _busy(path):
    raise busy_error(path)


def test_an_earlier_answer_stands_in_while_the_warehouse_is_locked(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(b"v1")
    wh.clear_caches()
    assert wh.cached("probe", path, lambda p: "read before") == "read before"
    path.write_bytes(b"v2 (changed by another process)")
    freshness.begin_page()
    assert freshness.stale_since() is None
    assert wh.cached("probe", path, _busy) == "read before"
    assert freshness.stale_since() is not None
    freshness.begin_page()  # the next page starts afresh
    assert freshness.stale_since() is None


def test_without_an_earlier_answer_or_for_another_error_the_error_stands(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(b"v1")
    wh.clear_caches()
    freshness.begin_page()
    with pytest.raises(UserError) as err:
        wh.cached("never read", path, _busy)
    assert err.value.exit_code == BUSY_EXIT_CODE and freshness.stale_since() is None
    wh.cached("probe", path, lambda p: 1)
    path.write_bytes(b"v2")

    def broken(p):
        raise UserError("no warehouse at ...")

    with pytest.raises(UserError, match="no warehouse"):
        wh.cached("probe", path, broken)


def test_a_read_with_an_earlier_answer_waits_only_briefly_for_the_lock(tmp_path):
    """Inside cached(), reading() uses QUICK_WAIT when an earlier answer exists."""
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(b"v1")
    wh.clear_caches()
    assert wh.cached("quick", path, lambda p: wh._quick.get()) is False
    path.write_bytes(b"v2")
    assert wh.cached("quick", path, lambda p: wh._quick.get()) is True
    assert wh._quick.get() is False  # reset after the read


def test_policymaker_reads_published_figures_while_a_batch_holds_the_warehouse(
        writable_warehouse, signed_in, monkeypatch):
    at = signed_in("polly").run()
    assert not at.exception and "Estimated victims in 2024" in at.markdown[1].value
    assert not at.info
    # Ask the warehouse about the session on every run, as after RECHECK_SECONDS.
    monkeypatch.setattr(ui, "RECHECK_SECONDS", 0.0)
    with held_for_writing(writable_warehouse.home):
        at.run()
        assert not at.exception and not at.error
        assert "Estimated victims in 2024" in at.markdown[1].value
        assert any("being updated" in box.value for box in at.info)
    at.run()  # the batch is over: current figures, no notice
    assert not at.exception and "Estimated victims in 2024" in at.markdown[1].value
    assert not any("being updated" in box.value for box in at.info)


def test_without_a_recent_session_check_the_busy_warehouse_is_reported(
        writable_warehouse, signed_in, monkeypatch):
    """A session not confirmed within BUSY_GRACE_SECONDS is not taken on trust."""
    at = signed_in("polly").run()
    monkeypatch.setattr(ui, "RECHECK_SECONDS", 0.0)
    monkeypatch.setattr(ui, "BUSY_GRACE_SECONDS", 0.0)
    monkeypatch.setenv("DARKFIGURE_LOCK_TIMEOUT", "0.2")
    with held_for_writing(writable_warehouse.home):
        at.run()
        assert any("warehouse is busy" in e.value for e in at.error)
