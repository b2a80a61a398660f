"""Warm the dashboard's process when it starts, so that its first readers do not wait.

A cold Streamlit process pays, on its first script runs, for importing pandas,
Altair, DuckDB, argon2 and the estimation and validation packages, for
Altair's first schema validation, for the first DuckDB connection, and (on the
first upload) for Great Expectations.  :func:`start` does all of that in a
background thread as soon as the server process starts (:mod:`dashboards.serve`):

1. :func:`for_readers`: the modules of the sign-in and headline pages, one
   chart drawn off screen, the dummy password hash, and the headline read from
   the warehouse (read-only, closed at once) into the data layer's cache;
2. :func:`for_uploads`: the upload worker process started and prepared
   (Great Expectations and the expectation suite, ~3 s of CPU;
   :mod:`dashboards.data.upload_worker`), once no page has run for
   :data:`QUIET_SECONDS`, so that it does not slow the first readers' pages
   (on a 2-core machine it competes for their CPUs).

Nothing here is needed for correctness: a failure is logged and the dashboard
serves as it would cold.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time

LOG = logging.getLogger("darkfigure.dashboard")
#: Seconds without a page run before the upload warm-up starts: longer than a busy
#: browser takes to load the app before its first page run (3-5 s at load 15) ...
QUIET_SECONDS = 10.0
#: ... or at the latest this long after the server started.
UPLOAD_WARM_DEADLINE = 120.0
#: What the sign-in, headline and other published pages import.
READER_MODULES = (
    "pandas", "pyarrow", "duckdb", "argon2", "altair", "streamlit.elements.vega_charts",
    "darkfigure.auth", "darkfigure.disclosure", "dashboards.data", "dashboards.charts",
    "dashboards.figures", "dashboards.show", "dashboards.notes",
)

_last_run = time.monotonic()
_started: threading.Thread | None = None
_lock = threading.Lock()
done = threading.Event()


def page_ran() -> None:
    """Note that a page is running (app.py calls this on every script run)."""
    global _last_run
    _last_run = time.monotonic()


def for_readers() -> None:
    """Import the readers' modules, draw a chart off screen, pre-read the headline."""
    for name in READER_MODULES:
        _import(name)
    import pandas as pd

    from darkfigure import auth
    from dashboards import charts
    from dashboards import data as da

    # Altair loads and compiles its JSON schema on the first to_dict().
    frame = pd.DataFrame({"period": ["2024"], "estimate": [2.0], "lower": [1.0],
                          "upper": [3.0], "observed": [1.0]})
    charts.trend_chart(frame).to_dict()
    charts.recorded_share_chart(1.0, 2.0).to_dict()
    auth._dummy_hash()  # hashed once per process for unknown usernames
    da.prefetch()


def _import(name: str) -> None:
    """Import a module and, first, each package above it: ``import_module("a.b")`` holds
    a.b's import lock while it imports ``a``; if another thread is importing ``a`` and
    reaches a.b, the two wait on each other and Python hands one a half-made module."""
    parts = name.split(".")
    for end in range(1, len(parts) + 1):
        importlib.import_module(".".join(parts[:end]))


def for_uploads() -> None:
    """A worker process for uploads, with Great Expectations and the expectation suite
    ready (here, if no worker can start)."""
    from dashboards.data import upload_worker

    warming = upload_worker.start()
    if warming is not None:
        warming.result()
        return
    import validation

    validation.warm_up()


def _quiet(started: float) -> None:
    while True:
        now = time.monotonic()
        if now - _last_run >= QUIET_SECONDS or now - started >= UPLOAD_WARM_DEADLINE:
            return
        time.sleep(0.25)


def _run() -> None:
    started = time.monotonic()
    for job in (for_readers, for_uploads):
        if job is for_uploads:
            _quiet(started)
        begun = time.monotonic()
        try:
            job()
        except Exception:  # warm-up is an optimisation: never take the server down
            LOG.exception("dashboard warm-up: %s failed; the first use will be slower",
                          job.__name__)
        else:
            LOG.info("dashboard warm-up: %s in %.2f s", job.__name__, time.monotonic() - begun)
    done.set()


def start() -> threading.Thread:
    """Start the warm-up thread (once per process); returns it."""
    global _started
    with _lock:
        if _started is None:
            _started = threading.Thread(target=_run, name="darkfigure-warm-up", daemon=True)
            _started.start()
        return _started
