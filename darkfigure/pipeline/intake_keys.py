"""Match keys of a batch's returns made in worker processes, beside the main thread.

Pseudonymisation (:func:`collection.pseudonymise.match_keys`) is the largest
CPU cost of intake and holds the GIL (the HMAC loop), so threads cannot share
it out.  A batch (:func:`darkfigure.pipeline.intake.submit_returns`) hands each
valid return of a wave to a small pool of processes as soon as the wave is
validated, and takes the keys back in batch order; meanwhile the main thread
cleans the next return and the writer thread loads the previous one.  The
returns' order, their transactions and every per-return decision are unchanged:
only where the hashing runs moves.  A single return hashes in-process (starting
workers costs more than it saves), and so does a batch whose pool cannot start.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import pandas as pd

from collection import pseudonymise

#: Worker processes of a batch: the machine's cores, at most 2 (the target machine's).
WORKERS = max(1, min(2, os.cpu_count() or 1))


class KeyMaker:
    """Make match keys now (``workers=0``) or in a pool of worker processes.

    Parameters
    ----------
    workers
        Worker processes; 0 hashes in this process.
    """

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None

    def submit(self, clean: pd.DataFrame, key: bytes) -> Future[pd.DataFrame]:
        """The match keys of ``clean`` (a future: in a worker when there is a pool)."""
        pool = self._pool()
        if pool is not None:
            return pool.submit(_match_keys, clean, key)
        done: Future[pd.DataFrame] = Future()
        done.set_result(_match_keys(clean, key))
        return done

    def _pool(self) -> ProcessPoolExecutor | None:
        if self.pool is None and self.workers > 0:
            try:
                # spawn, not fork: the parent holds DuckDB's threads and a writer thread.
                self.pool = ProcessPoolExecutor(
                    self.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=exit_with_parent, initargs=(os.getpid(),))
            except (OSError, ValueError):  # no processes here: hash in-process
                self.workers = 0
        return self.pool

    def close(self) -> None:
        """Stop the workers (jobs not started are cancelled)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def __enter__(self) -> KeyMaker:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def exit_with_parent(parent: int) -> None:
    """Worker start: exit when the parent process is gone (killed, say), so no worker
    outlives it holding its pipes open; and leave Ctrl-C to the parent, which stops
    its workers itself (a terminal sends SIGINT to the whole process group, and a
    worker would print a KeyboardInterrupt traceback at the user)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _match_keys(clean: pd.DataFrame, key: bytes) -> pd.DataFrame:
    # Looked up when called, so a worker pickles this function by name whatever
    # wraps pseudonymise.match_keys in the parent (the benchmark times it).
    return pseudonymise.match_keys(clean, key)
