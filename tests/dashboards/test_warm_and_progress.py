"""Warm-up at server start, long work in a thread with progress, and sessions that do
not wait for each other."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from darkfigure.auth import User
from dashboards import data as da
from dashboards import progress, serve, warm
from dashboards.data import published

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
POLLY = User("polly", "policymaker")


def test_warm_up_for_readers_leaves_the_headline_cached(warehouse, monkeypatch):
    da.clear_caches()
    loads = []
    real = published._read_headline_rows
    monkeypatch.setattr(published, "_read_headline_rows",
                        lambda path: loads.append(path) or real(path))
    warm.for_readers()
    assert len(loads) == 1
    assert da.headline(POLLY).period == "2024"
    assert len(loads) == 1  # the first reader's headline came from the warm cache


def test_warm_up_runs_readers_first_and_survives_a_failure(monkeypatch, caplog):
    calls = []

    def broken() -> None:
        calls.append("readers")
        raise RuntimeError("no warehouse today")

    monkeypatch.setattr(warm, "for_readers", broken)
    monkeypatch.setattr(warm, "for_uploads", lambda: calls.append("uploads"))
    monkeypatch.setattr(warm, "QUIET_SECONDS", 0.0)
    warm.done.clear()
    warm._run()
    assert calls == ["readers", "uploads"] and warm.done.is_set()
    assert "warm-up: broken failed" in caplog.text


def test_serve_starts_the_warm_up_then_streamlit_on_the_app(monkeypatch):
    from streamlit.web import cli

    seen = {}
    monkeypatch.setattr(warm, "start", lambda: seen.setdefault("warm", True))
    monkeypatch.setattr(cli, "main", lambda prog_name: seen.setdefault("argv", list(
        serve.sys.argv)))
    monkeypatch.setattr(serve.sys, "argv", ["serve"])
    serve.main(["--server.port", "8599"])
    assert seen == {"warm": True,
                    "argv": ["streamlit", "run", str(APP), "--server.port", "8599"]}


def test_serve_imports_streamlit_before_the_warm_up_thread_starts():
    """In a fresh interpreter: when the warm-up starts, Streamlit is imported already.

    Regression: the warm-up thread imported streamlit.elements.vega_charts while the main
    thread was still importing streamlit; on a fresh machine (slow, uncached imports) the
    two deadlocked on import locks and the server died with "cannot import name
    'VegaChartsMixin' from partially initialized module".
    """
    code = ("import sys\n"
            "from dashboards import serve, warm\n"
            "def start():\n"
            "    print('streamlit.web.cli' in sys.modules, flush=True)\n"
            "    raise SystemExit(0)\n"
            "warm.start = start\n"
            "serve.main([])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


def test_warm_up_imports_packages_before_their_modules(monkeypatch):
    """A module's parent packages are imported first (see warm._import)."""
    order: list[str] = []
    monkeypatch.setattr(warm.importlib, "import_module", order.append)
    warm._import("streamlit.elements.vega_charts")
    assert order == ["streamlit", "streamlit.elements", "streamlit.elements.vega_charts"]


def test_in_background_reports_progress_until_the_work_ends():
    release = threading.Event()
    ticks: list[float] = []

    def tick(seconds: float) -> None:
        ticks.append(seconds)
        if len(ticks) == 3:
            release.set()  # the work ends only after three reports

    assert progress.in_background(lambda: release.wait(30) and 42, tick, every=0.01) == 42
    assert len(ticks) >= 3 and ticks == sorted(ticks)


def test_in_background_raises_the_work_s_error():
    def work() -> None:
        raise ValueError("bad return")

    with pytest.raises(ValueError, match="bad return"):
        progress.in_background(work, lambda s: None, every=0.01)


def test_in_background_work_runs_at_a_lower_priority_and_the_page_does_not():
    """``nice`` lowers the work thread's priority (and only its: the page thread and the
    next call's thread keep theirs)."""
    def priority() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    page = priority()
    assert progress.in_background(priority, lambda s: None, nice=5) == min(19, page + 5)
    assert priority() == page
    assert progress.in_background(priority, lambda s: None) == page


def test_csv_rows_counts_lines_after_the_header():
    assert progress.csv_rows(b"a,b\n1,2\n3,4\n") == 2
    assert progress.csv_rows(b"a,b\n1,2\n3,4") == 2
    assert progress.csv_rows(b"a,b\n") == 0 and progress.csv_rows(b"") == 0


def test_an_upload_in_progress_does_not_hold_up_another_reader(writable_warehouse, signed_in,
                                                                monkeypatch):
    """A force user's upload is held mid-way (until the policymaker's page is drawn): the
    policymaker's headline must still be drawn, and the upload then finishes."""
    release, started = threading.Event(), threading.Event()
    real = da.upload_return

    def held_upload(*args, **kwargs):
        started.set()
        assert release.wait(120), "the policymaker's page was never drawn"
        return real(*args, **kwargs)

    monkeypatch.setattr(da, "upload_return", held_upload)
    force = signed_in("avon").run()
    force.file_uploader(key="upload_file").upload(
        "bad.csv", (Path(__file__).parent / "data" / "return_with_errors.csv").read_bytes(),
        "text/csv")
    force.run()
    uploading = threading.Thread(target=force.button(key="upload_submit").click().run)
    uploading.start()
    assert started.wait(60)
    reader = signed_in("polly").run()
    assert not reader.exception and "Estimated victims in 2024" in reader.markdown[1].value
    assert uploading.is_alive()  # the upload was still going while the headline was drawn
    release.set()
    uploading.join(120)
    assert not force.exception and "quarantined" in " ".join(e.value for e in force.error)
