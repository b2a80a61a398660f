"""Connections to the DuckDB warehouse, with a bounded wait for the file lock.

DuckDB lets one process open a database file for writing at a time (readers in
other processes are shut out while it does), and one process cannot hold a
read-only and a read-write connection to the same file at once.  So every
operation opens its connection, does one job and closes it; when the file is
locked we retry with exponential backoff for a few seconds and then tell the
user plainly that the warehouse is busy (exit code 3), never with a traceback.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from darkfigure.errors import UserError

#: Seconds to keep retrying a locked warehouse (``DARKFIGURE_LOCK_TIMEOUT`` overrides).
DEFAULT_LOCK_TIMEOUT = 5.0
BUSY_EXIT_CODE = 3


def lock_timeout() -> float:
    """Seconds to wait for the warehouse lock, from the environment or the default."""
    value = os.environ.get("DARKFIGURE_LOCK_TIMEOUT")
    if not value:
        return DEFAULT_LOCK_TIMEOUT
    try:
        return max(0.0, float(value))
    except ValueError:
        raise UserError(
            f"DARKFIGURE_LOCK_TIMEOUT is '{value}', not a number of seconds"
        ) from None


def busy_error(path: Path | str) -> UserError:
    """The plain message a user sees when the warehouse stays locked."""
    return UserError(
        f"the warehouse is busy: another darkfigure process is writing to {path}. "
        "Wait a moment and try again",
        exit_code=BUSY_EXIT_CODE,
    )


def is_busy(err: BaseException) -> bool:
    """Whether an error is :func:`busy_error`'s: the warehouse stayed locked."""
    return isinstance(err, UserError) and err.exit_code == BUSY_EXIT_CODE


def is_lock_error(err: BaseException) -> bool:
    """Whether a DuckDB error means another connection holds the file.

    Covers the file lock held by another process and, within one process, a
    connection opened with the other read-only setting (DuckDB refuses mixing).
    """
    text = str(err)
    if isinstance(err, duckdb.IOException):
        return "lock" in text.lower()
    if isinstance(err, duckdb.ConnectionException):
        return "different configuration" in text
    return False


def is_conflict_error(err: BaseException) -> bool:
    """Whether a DuckDB error is a write-write conflict between transactions."""
    return isinstance(err, duckdb.TransactionException) and "onflict" in str(err)


def open_connection(
    path: Path | str, *, read_only: bool = False, timeout: float | None = None
) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB connection, waiting up to ``timeout`` seconds for a lock.

    Parameters
    ----------
    path
        The warehouse file.
    read_only
        Open for reading only (the file must exist).
    timeout
        Seconds to keep retrying a locked file; default :func:`lock_timeout`.

    Returns
    -------
    duckdb.DuckDBPyConnection
        The caller closes it (prefer :func:`connect`).

    Raises
    ------
    UserError
        Exit code 3 when the warehouse stays locked; exit code 2 when a
        read-only connection is asked for a warehouse that does not exist.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise UserError(f"no warehouse at {path}: run `darkfigure init` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    limit = lock_timeout() if timeout is None else timeout
    deadline = time.monotonic() + limit
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as err:
            if not is_lock_error(err):
                raise
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise busy_error(path) from None
            # Jitter keeps two waiting processes from retrying in lock-step.
            time.sleep(min(remaining, delay * (1 + random.random())))
            delay = min(delay * 2, 0.5)


@contextmanager
def connect(
    path: Path | str, *, read_only: bool = False, timeout: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for one operation, closed on exit.

    Parameters
    ----------
    path
        The warehouse file (``Settings.warehouse_path``).
    read_only
        Open for reading only.
    timeout
        Seconds to wait for a lock (see :func:`open_connection`).

    Yields
    ------
    duckdb.DuckDBPyConnection
        Use :func:`transaction` around a change so that readers never see half of it.
    """
    con = open_connection(path, read_only=read_only, timeout=timeout)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run the block in one transaction: committed if it finishes, rolled back if not.

    A write-write conflict at commit (two threads of one process writing the same
    rows) is reported as the warehouse being busy.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        # The failing statement may already have aborted the transaction.
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    try:
        con.execute("COMMIT")
    except duckdb.TransactionException as err:
        if is_conflict_error(err):
            raise UserError(
                "the warehouse is busy: another change was written at the same time. "
                "Try again",
                exit_code=BUSY_EXIT_CODE,
            ) from None
        raise
