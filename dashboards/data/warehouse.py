"""The warehouse as the dashboard sees it: where it is, brief connections, one read cache.

Reads open a read-only connection for one query; writes hold a read-write
connection for one operation (DuckDB lets one process hold one kind at a time).

Cached reads are keyed by the warehouse *version*: the size and modification
time of the file and its write-ahead log, so a change made by the CLI or
another process shows up on the next rerun.  The dashboard's own writes that
cannot change a cached figure (sessions, accounts, returns) are declared with
``writing(keeps_reads=True)``: the version they leave behind is recorded as an
alias of the one before, so that signing in does not throw away the headline
just read (or pre-read by :func:`dashboards.warm`).  Every other write made
here calls :func:`clear_caches`.

While another process writes (``darkfigure submit`` of a large batch holds the
warehouse for a minute or so) readers are shut out.  A cached read that has an
earlier answer then waits only :data:`QUICK_WAIT` and serves that answer, and
:mod:`dashboards.freshness` tells the page how old it is: published figures stay
readable during a load instead of failing after the lock timeout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from darkfigure.errors import UserError
from darkfigure.settings import Settings
from darkfigure.warehouse import connect, transaction
from darkfigure.warehouse.connection import is_busy
from dashboards import freshness

#: Seconds a cached read may be reused even if the file has not changed.
CACHE_TTL = 300.0
#: Seconds a read waits for a locked warehouse when an earlier answer can stand in.
QUICK_WAIT = 0.5
#: Aliases remembered (one per sign-in or other harmless write); older ones are dropped.
MAX_ALIASES = 256

T = TypeVar("T")
Version = tuple[int, ...]

_lock = threading.Lock()
_generation = 0
_aliases: dict[Version, Version] = {}
#: (name, file) -> (version, monotonic time read, value, wall-clock time read)
_cache: dict[tuple[str, str], tuple[tuple[Version, int], float, Any, datetime]] = {}
_quick = ContextVar("darkfigure_quick_wait", default=False)


def warehouse_path() -> Path:
    """The warehouse file of this installation (``DARKFIGURE_HOME``)."""
    return Settings.from_env().warehouse_path


def existing() -> Path:
    """The warehouse file, which must exist (the user is told how to make one)."""
    path = warehouse_path()
    if not path.exists():
        raise UserError(f"no warehouse at {path}: run `darkfigure init` (or `darkfigure demo`)")
    return path


def raw_version(path: Path) -> Version:
    """Changes whenever the warehouse does (file or write-ahead log written)."""
    out: list[int] = []
    for part in (path, Path(f"{path}.wal")):
        try:
            stat = part.stat()
        except FileNotFoundError:
            out += [0, 0]
        else:
            out += [stat.st_mtime_ns, stat.st_size]
    return tuple(out)


def read_version(path: Path) -> tuple[Version, int]:
    """The version cached reads are keyed by: harmless writes resolved, and this
    process's cache generation (bumped by :func:`clear_caches`)."""
    raw = raw_version(path)
    with _lock:
        return _aliases.get(raw, raw), _generation


def cached(name: str, path: Path, load: Callable[[Path], T]) -> T:
    """``load(path)``, reused while the warehouse version is unchanged (and for
    at most :data:`CACHE_TTL` seconds).  One entry per ``name`` and file.

    If the warehouse is locked by another process and there is an earlier
    answer, that answer is returned and noted (:mod:`dashboards.freshness`).
    """
    key = read_version(path)
    slot = (name, str(path))
    with _lock:
        hit = _cache.get(slot)
    if hit is not None and hit[0] == key and time.monotonic() - hit[1] < CACHE_TTL:
        return hit[2]  # type: ignore[no-any-return]
    quick = _quick.set(hit is not None)
    try:
        value = load(path)
    except UserError as err:
        if hit is None or not is_busy(err):
            raise
        freshness.served_earlier(hit[3])
        return hit[2]  # type: ignore[no-any-return]
    finally:
        _quick.reset(quick)
    with _lock:
        # A write that cleared the caches while this was loading wins: not stored.
        if key[1] == _generation:
            _cache[slot] = (key, time.monotonic(), value, datetime.now(UTC))
    return value


def clear_caches() -> None:
    """Forget cached reads (after a write in this process that may change them)."""
    global _generation
    with _lock:
        _generation += 1
        _aliases.clear()
        _cache.clear()


@contextmanager
def reading(path: Path | None = None, *,
            timeout: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for one read.

    ``timeout``: seconds to wait for a locked warehouse (default: the lock
    timeout; :data:`QUICK_WAIT` inside :func:`cached` when an earlier answer
    can stand in).
    """
    if timeout is None and _quick.get():
        timeout = QUICK_WAIT
    with connect(path or existing(), read_only=True, timeout=timeout) as con:
        yield con


@contextmanager
def writing(*, atomic: bool = True,
            keeps_reads: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection for one operation (one transaction if ``atomic``).

    ``keeps_reads``: the caller promises the write changes nothing a cached
    read returns (published runs and estimates), so cached reads stay valid.
    """
    path = warehouse_path()
    with connect(path) as con:
        # The file lock is ours from here on: no other process writes meanwhile.
        before, generation = raw_version(path), _generation
        try:
            if atomic:
                with transaction(con):
                    yield con
            else:
                yield con
        finally:
            con.close()  # closing checkpoints: the version after includes it
            if keeps_reads:
                _alias(raw_version(path), before, generation)


def _alias(after: Version, before: Version, generation: int) -> None:
    # ``after`` is read just after the lock is released: a write by another process
    # in those microseconds would be taken for ours, and its change shown only when
    # the cache entry expires (CACHE_TTL).
    with _lock:
        if generation == _generation and after != before:
            _aliases[after] = _aliases.get(before, before)
            while len(_aliases) > MAX_ALIASES:
                _aliases.pop(next(iter(_aliases)))
