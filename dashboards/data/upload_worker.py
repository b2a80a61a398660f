"""Uploaded returns checked and loaded in a worker process, not in the dashboard's.

Validating a return (Great Expectations, every row) and pseudonymising it hold
Python's interpreter lock for seconds; in the dashboard's own process that
slows every other reader's page while a force uploads.  So an upload is handed
to a worker process kept warm for the purpose (Great Expectations imported and
the expectation suite built once, by :func:`start` when the server is quiet,
see :mod:`dashboards.warm`).  The page's thread only waits for the outcome.
The workers run at a lower priority (:data:`NICENESS`): on the target machine's
two cores, a policymaker's page opened during a 20,000-row upload was drawn in
2.3-2.9 s instead of 2.8-4.3 s with the upload in the dashboard's process
(``benchmarks/bench_dashboard.py --upload-rows 20000``, load 3-4).

The worker is the same code path as ``darkfigure submit``
(:func:`darkfigure.pipeline.intake.submit_return`): the same checks, the same
one transaction per return, so a worker that dies midway leaves nothing
half-loaded.  Where no process can be started the upload runs in this process,
as before.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import tempfile
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from darkfigure.errors import UserError

LOG = logging.getLogger("darkfigure.dashboard")
#: Uploads checked at the same time; more wait their turn (their page says so by
#: its elapsed time).  Two, the target machine's cores: a large return does not
#: hold up a small one, and a third would only share the same CPUs.
WORKERS = 2
#: Scheduling priority of the workers (``nice``): a reader's page is interactive, an
#: upload is not, so where they compete for the CPUs the page goes first.
NICENESS = 10
#: Settings the worker takes from the page's process for every upload, so that it
#: writes to the same warehouse with the same key even if they changed since it started.
ENV_PREFIX = "DARKFIGURE_"

#: Seconds an upload waits for the warehouse while another process writes to it.
UPLOAD_LOCK_WAIT = 120.0
LOCK_TIMEOUT_ENV = "DARKFIGURE_LOCK_TIMEOUT"

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_unavailable = False


@dataclass(frozen=True)
class _Failed:
    """A :class:`UserError` raised in the worker, carried back as plain data (the
    error classes' own constructors take other arguments than their message)."""

    message: str
    exit_code: int


def submit(data: bytes, suffix: str, org_code: str, quarter: str, *, actor: str,
           file_name: str) -> Any:
    """Check and load (or quarantine) an uploaded return; blocks until it is done.

    Parameters
    ----------
    data
        The file's bytes as uploaded.
    suffix
        ``.csv`` or ``.xlsx``: how the file is read.
    org_code, quarter
        Whose return and which quarter (access already checked by the caller).
    actor
        The signed-in user, recorded on the submission and in the audit log.
    file_name
        The name the user's file had, recorded and used in the report.

    Returns
    -------
    darkfigure.pipeline.intake.SubmissionOutcome

    Raises
    ------
    UserError
        The return could not be submitted (warehouse busy, worker stopped...);
        the message says what to do.
    """
    job = (data, suffix, org_code, quarter, actor, file_name)
    for _ in range(2):  # a pool broken by an earlier upload is replaced once
        pool = _ensure_pool()
        if pool is None:
            break
        try:
            running = pool.submit(_submit, *job, _settings_env())
        except BrokenProcessPool:
            _forget(pool)
        except (OSError, RuntimeError) as err:  # cannot start a process after all
            _give_up(pool, err)
        else:
            return _wait(running, pool, file_name)
    return _unwrap(_submit(*job, None))


def _wait(running: Future[Any], pool: ProcessPoolExecutor, file_name: str) -> Any:
    try:
        return _unwrap(running.result())
    except BrokenProcessPool:
        _forget(pool)
        raise UserError(
            f"{file_name}: the process checking the return stopped before it finished "
            "(the server may be short of memory). Nothing of this upload was loaded: "
            "submit it again, and tell the administrator if it happens again.",
            exit_code=1) from None


def start() -> Future[None] | None:
    """Start a worker and prepare it for uploads (Great Expectations, the suite).

    Returns the worker's warm-up (a future), or None where no process can start.
    """
    pool = _ensure_pool()
    return None if pool is None else pool.submit(_warm_up)


def shutdown() -> None:
    """Stop the workers (the next upload starts them again)."""
    with _lock:
        pool = _pool
    if pool is not None:
        _forget(pool)
        pool.shutdown(wait=True, cancel_futures=True)


def _ensure_pool() -> ProcessPoolExecutor | None:
    global _pool
    with _lock:
        if _pool is None and not _unavailable:
            try:
                # spawn, not fork: this process runs Streamlit's and DuckDB's threads.
                _pool = ProcessPoolExecutor(
                    WORKERS, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_init_worker, initargs=(os.getpid(),))
            except (OSError, ValueError) as err:
                _no_worker(err)
        return _pool


def _give_up(pool: ProcessPoolExecutor, err: Exception) -> None:
    _forget(pool)
    with _lock:
        _no_worker(err)


def _no_worker(err: Exception) -> None:
    """From now on, uploads run in this process (the caller holds ``_lock``)."""
    global _unavailable
    LOG.warning("uploads run in the dashboard's process: no worker (%s)", err)
    _unavailable = True


def _forget(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None


def _settings_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIX)}
    # The uploader is watching a progress box: wait for another return's load (or a
    # batch) longer than the command line's few seconds before calling it busy.
    configured = env.get(LOCK_TIMEOUT_ENV, "")
    try:
        wait = max(float(configured), UPLOAD_LOCK_WAIT) if configured else UPLOAD_LOCK_WAIT
    except ValueError:  # left as it is: the intake reports the bad setting
        return env
    env[LOCK_TIMEOUT_ENV] = str(wait)
    return env


def _unwrap(result: Any) -> Any:
    if isinstance(result, _Failed):
        raise UserError(result.message, exit_code=result.exit_code)
    return result


# --- in the worker process --------------------------------------------------------------

def _init_worker(parent: int) -> None:
    from darkfigure.pipeline.intake_keys import exit_with_parent
    from dashboards.progress import lower_priority

    exit_with_parent(parent)
    lower_priority(NICENESS)  # the thread that runs the jobs


def _warm_up() -> None:
    import darkfigure.pipeline.intake  # noqa: F401  (imported once, before the first upload)
    import validation

    validation.warm_up()


def _submit(data: bytes, suffix: str, org_code: str, quarter: str, actor: str,
            file_name: str, env: dict[str, str] | None) -> Any:
    from darkfigure.pipeline.intake import submit_return
    from darkfigure.settings import Settings

    if env is not None:  # in a worker: the page's settings, not those it started with
        for name in [k for k in os.environ if k.startswith(ENV_PREFIX)]:
            os.environ.pop(name)
        os.environ.update(env)
    try:
        with tempfile.TemporaryDirectory(prefix="darkfigure-upload-") as tmp:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(data)
            return submit_return(path, org_code, quarter, settings=Settings.from_env(),
                                 actor=actor, file_name=file_name)
    except UserError as err:
        return _Failed(str(err), err.exit_code)
