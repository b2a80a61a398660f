"""Fixtures for warehouse tests: a fresh, initialised warehouse per test."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from darkfigure.settings import Settings


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """An initialised warehouse in a temporary DARKFIGURE_HOME (demo mode)."""
    from darkfigure.pipeline.setup import init_warehouse

    home = tmp_path / "home"
    monkeypatch.setenv("DARKFIGURE_HOME", str(home))
    monkeypatch.setenv("DARKFIGURE_DEMO", "1")
    found = Settings.from_env()
    init_warehouse(found, actor="test")
    return found


@pytest.fixture
def hold_lock():
    """Start a process that holds a write connection to a warehouse until killed.

    Returns a function ``start(path, seconds) -> Popen`` that returns once the
    lock is held.
    """
    procs: list[subprocess.Popen] = []

    def start(path, seconds: float) -> subprocess.Popen:
        code = textwrap.dedent(
            f"""
            import sys, time, duckdb
            con = duckdb.connect({str(path)!r})
            print("locked", flush=True)
            time.sleep({seconds})
            con.close()
            """
        )
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "locked"
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
