"""Connections: transactions, and waiting for the lock another process holds."""

from __future__ import annotations

import time

import duckdb
import pytest

from darkfigure.cli import main
from darkfigure.errors import UserError
from darkfigure.warehouse import connect, transaction


def _count(path) -> int:
    with connect(path, read_only=True) as con:
        return con.execute("SELECT count(*) FROM audit_log").fetchall()[0][0]


def test_transaction_rolls_back_on_error(settings):
    """A failure inside transaction() leaves nothing of the change."""
    before = _count(settings.warehouse_path)
    with pytest.raises(RuntimeError), connect(settings.warehouse_path) as con, transaction(con):
        con.execute("INSERT INTO audit_log (actor, action) VALUES ('t', 'one')")
        raise RuntimeError("injected")
    assert _count(settings.warehouse_path) == before


def test_transaction_commits(settings):
    """A finished transaction() is visible to the next reader."""
    before = _count(settings.warehouse_path)
    with connect(settings.warehouse_path) as con, transaction(con):
        con.execute("INSERT INTO audit_log (actor, action) VALUES ('t', 'one')")
    assert _count(settings.warehouse_path) == before + 1


def test_second_writer_waits_then_succeeds(settings, hold_lock):
    """Another process holds the warehouse for ~1 s; our write waits and then succeeds."""
    proc = hold_lock(settings.warehouse_path, 1.0)
    with connect(settings.warehouse_path, timeout=30) as con, transaction(con):
        con.execute("INSERT INTO audit_log (actor, action) VALUES ('t', 'after-wait')")
    assert proc.wait(timeout=30) == 0  # the holder finished normally before we got in
    assert _count(settings.warehouse_path) >= 1


def test_reader_waits_too(settings, hold_lock):
    """A read-only connection also waits for the writer to finish."""
    hold_lock(settings.warehouse_path, 0.8)
    with connect(settings.warehouse_path, read_only=True, timeout=30) as con:
        assert con.execute("SELECT 1").fetchall() == [(1,)]


def test_busy_warehouse_is_a_plain_error(settings, hold_lock):
    """When the lock outlasts the timeout the caller gets UserError exit 3, after waiting."""
    hold_lock(settings.warehouse_path, 60)
    start = time.monotonic()
    with pytest.raises(UserError, match="busy") as err, connect(
        settings.warehouse_path, timeout=0.5
    ):
        pass
    assert err.value.exit_code == 3
    assert time.monotonic() - start >= 0.5


def test_cli_reports_busy_without_traceback(settings, hold_lock, monkeypatch, capsys):
    """`darkfigure submissions` on a locked warehouse: exit 3, one plain line."""
    hold_lock(settings.warehouse_path, 60)
    monkeypatch.setenv("DARKFIGURE_LOCK_TIMEOUT", "0.3")
    assert main(["submissions"]) == 3
    err = capsys.readouterr().err
    assert "warehouse is busy" in err and "try again" in err
    assert "Traceback" not in err


def test_read_only_on_missing_warehouse(tmp_path):
    """Reading a warehouse that does not exist says to run init."""
    with pytest.raises(UserError, match="darkfigure init"), connect(
        tmp_path / "none.duckdb", read_only=True
    ):
        pass


def test_other_io_errors_are_not_retried(tmp_path):
    """Only lock errors are retried: a file that is not a database fails at once."""
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"not a database" * 1000)
    start = time.monotonic()
    with pytest.raises(duckdb.Error), connect(bad, timeout=10):
        pass
    assert time.monotonic() - start < 5
