"""Long work in its own thread while the page reports progress; no Streamlit here.

A page's script run calls :func:`in_background` and draws the elapsed time it
is told about, so the reader sees the work advance.  Other readers are never
waiting on it: each browser session runs its pages in a thread of its own.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
#: Seconds between progress reports.
TICK_SECONDS = 0.5


def in_background(work: Callable[[], T], on_tick: Callable[[float], None],
                  every: float = TICK_SECONDS, *, nice: int = 0) -> T:
    """Run ``work`` in a thread, calling ``on_tick(seconds elapsed)`` every ``every`` s.

    If the reader leaves the page, the page's next drawing call (in
    ``on_tick``) ends its script run, and the work still finishes in its
    thread: an upload is recorded and its report is in the history.

    ``nice`` lowers the thread's scheduling priority (Linux schedules threads
    one by one, and threads it starts, such as a sampler's, inherit it), so that
    where CPU-bound work and other readers' pages compete for the cores, the
    pages go first.  The thread is new for each call: the priority cannot be
    raised again without privileges.

    Returns
    -------
    What ``work`` returned; an exception it raised is raised here.
    """
    box: dict[str, object] = {}

    def target() -> None:
        if nice:
            lower_priority(nice)
        try:
            box["value"] = work()
        except BaseException as err:  # handed over to the caller's thread below
            box["error"] = err

    thread = threading.Thread(target=target, name="darkfigure-long-work", daemon=True)
    start = time.monotonic()
    thread.start()
    while True:
        thread.join(timeout=every)
        if not thread.is_alive():
            break
        on_tick(time.monotonic() - start)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def lower_priority(nice: int) -> None:
    """Lower the calling thread's priority by ``nice`` (where the system allows)."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux, or not allowed
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + nice)


def csv_rows(data: bytes) -> int:
    """Data rows in a CSV file's bytes: lines after the header (more than the
    records if quoted fields hold line breaks)."""
    lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    return max(lines - 1, 0)
