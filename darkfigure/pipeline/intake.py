"""Submitting quarterly returns: read, validate, quarantine or load; one or many at a time.

:func:`submit_return` (one file) and :func:`submit_returns` (a batch) are the
paths by which returns enter the warehouse (CLI, dashboard upload, demo).  For
each return:

1. the entry is checked: a missing file, an unknown organisation or a bad
   quarter is not a return at all and is refused with nothing recorded (a
   :class:`~darkfigure.errors.UserError`, exit 2, for one file; a
   :class:`Refusal` in a batch, which goes on);
2. its bytes are read once and hashed; if they are byte for byte the live
   submission of that organisation and quarter, nothing changes (``duplicate``);
3. a file that cannot be read as a return (not CSV/XLSX, wrong encoding, a
   corrupt workbook, formula cells) or is not on the template (missing required
   columns, unknown or duplicated ones) is quarantined with a one-error report
   (rule ``file_readable`` or ``file_template``) and an audit entry;
4. otherwise it is validated, passing the organisation's record references from
   its other live quarters; with errors it is quarantined with its report;
5. otherwise it is pseudonymised (identity fields become match keys and are
   dropped), its raw file archived under its SHA-256, and in ONE transaction
   its submission, records, match keys and warnings are inserted, the previous
   version marked ``superseded`` and the audit entry written.  A header-only
   file is a nil return: it loads with 0 records and a ``nil_return`` warning.

A batch keeps every one of these decisions per return (each its own
transaction, report and audit entry; one bad file never stops or half-loads
another) and saves what is fixed per return: it holds one warehouse connection
throughout (no opening and closing per file, where each close wrote the whole
WAL into the file), and validates its returns in waves, the expectation suite
running once per wave.  A wave holds at most
one return per organisation, in batch order, so a return is validated against
the record references of the same organisation's returns loaded before it, as
if submitted one by one.  Its match keys are made in worker processes
(:mod:`darkfigure.pipeline.intake_keys`) while the main thread cleans the next
return and a writer thread loads the previous one.  One return at a time locks
the warehouse only while it is written; a batch holds the lock until it ends.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from collection.errors import ReturnFileError
from collection.parse import read_return_bytes
from collection.quarters import parse_quarter
from darkfigure.errors import UserError
from darkfigure.pipeline import intake_steps as steps
from darkfigure.pipeline.intake_keys import WORKERS, KeyMaker
from darkfigure.pipeline.intake_steps import (
    Access,
    HeldAccess,
    Pending,
    issue_frame,
    load_submission,
    record_frame,
)
from darkfigure.pipeline.outcome import (
    DUPLICATE,
    LOADED,
    QUARANTINED,
    REFUSED,
    Refusal,
    SubmissionOutcome,
)
from darkfigure.pipeline.setup import init_warehouse, require_current
from darkfigure.settings import Settings
from darkfigure.warehouse import queries

__all__ = [
    "DUPLICATE", "LOADED", "QUARANTINED", "REFUSED", "Refusal", "ReturnEntry",
    "SubmissionOutcome", "issue_frame", "load_submission", "record_frame", "submit_return",
    "submit_returns",
]

#: Most bytes of return files validated in one wave (their frames are held together).
WAVE_BYTES = 64 * 2**20


@dataclass(frozen=True)
class ReturnEntry:
    """One return of a batch: its file and what it is for.

    Attributes
    ----------
    path
        The CSV or XLSX file.
    org_code, quarter
        The submitting organisation and the quarter it covers.
    file_name
        Name to record when ``path`` is a temporary copy (an upload).
    """

    path: Path
    org_code: str
    quarter: str
    file_name: str | None = None

    @property
    def name(self) -> str:
        """The file name recorded and shown."""
        return self.file_name or Path(self.path).name


def submit_return(
    path: str | Path,
    org_code: str,
    quarter: str,
    *,
    settings: Settings,
    actor: str,
    file_name: str | None = None,
) -> SubmissionOutcome:
    """Submit one return file (see the module docstring for the steps).

    Parameters
    ----------
    path
        The CSV or XLSX file.
    org_code
        The submitting organisation (``data/reference/organisations.csv``).
    quarter
        The quarter it covers, ``2025Q3``.
    settings
        The installation (paths, key).
    actor
        Who submitted it, for the audit trail.
    file_name
        Name to record when ``path`` is a temporary copy (an upload).

    Returns
    -------
    SubmissionOutcome
        ``loaded``, ``quarantined`` (rows with errors, or a file that cannot be
        read as a return) or ``duplicate``.

    Raises
    ------
    UserError
        Missing file, unknown organisation or bad quarter (exit 2); warehouse busy (exit 3).
    """
    entry = ReturnEntry(Path(path), org_code, quarter, file_name)
    if not settings.warehouse_path.exists():
        init_warehouse(settings, actor=actor)
    access = Access(settings)
    with access.reading() as con:
        require_current(con)
        pending = _check(con, 0, entry)
    if isinstance(pending, Refusal):
        raise UserError(pending.reason)
    outcome = _waves(access, [pending], actor)[0]
    if isinstance(outcome, Refusal):  # the file went away after it was checked
        raise UserError(outcome.reason)
    return outcome


def submit_returns(
    entries: Sequence[ReturnEntry],
    *,
    settings: Settings,
    actor: str,
    on_outcome: Callable[[SubmissionOutcome | Refusal], None] | None = None,
) -> list[SubmissionOutcome | Refusal]:
    """Submit a batch of returns through one warehouse connection (module docstring).

    Parameters
    ----------
    entries
        The returns, in the order they would be submitted one by one (the
        returns of one organisation and quarter keep this order: a correction
        follows the attempt it corrects).
    settings
        The installation.
    actor
        Who submitted them, for the audit trail.
    on_outcome
        Called with each outcome as soon as it is known (progress for the CLI).

    Returns
    -------
    list
        One :class:`SubmissionOutcome` or :class:`Refusal` per entry, in order.

    Raises
    ------
    UserError
        The warehouse is busy (exit 3) or needs ``darkfigure init``.
    """
    if not settings.warehouse_path.exists():
        init_warehouse(settings, actor=actor)
    results: list[SubmissionOutcome | Refusal | None] = [None] * len(entries)
    with HeldAccess.held(settings) as access:
        require_current(access.con)
        pending: list[Pending] = []
        for index, entry in enumerate(entries):
            checked = _check(access.con, index, entry)
            if isinstance(checked, Refusal):
                results[index] = checked
                if on_outcome:
                    on_outcome(checked)
            else:
                pending.append(checked)
        for item, outcome in zip(pending, _waves(access, pending, actor, on_outcome),
                                 strict=True):
            results[item.index] = outcome
    return [r for r in results if r is not None]


def _check(con: duckdb.DuckDBPyConnection, index: int, entry: ReturnEntry) -> Pending | Refusal:
    """Check that an entry's file opens and its organisation and quarter are known (its
    bytes are read later, when its wave comes; nothing is written)."""
    org_code = entry.org_code.strip().upper()
    name = entry.name

    def refuse(reason: str) -> Refusal:
        return Refusal(name, org_code, entry.quarter, reason)

    try:
        quarter = str(parse_quarter(entry.quarter))
    except ValueError as err:
        return refuse(str(err))
    path = Path(entry.path)
    if (problem := _unreadable(path)) is not None:
        return refuse(problem)
    org = queries.organisation(con, org_code)
    if org is None:
        return refuse(f"organisation code '{org_code}' is not known to the warehouse; the "
                      "codes are in data/reference/organisations.csv (run `darkfigure init` "
                      "after adding one)")
    return Pending(index, org_code, quarter, str(org["list_code"]), name, path,
                   path.stat().st_size)


def _unreadable(path: Path) -> str | None:
    """Why the file cannot be opened at all (it is then not a return), or None."""
    try:
        with path.open("rb"):
            return None
    except FileNotFoundError:
        return f"{path.name}: the file does not exist. Check the path and the file name."
    except IsADirectoryError:
        return f"{path.name}: is a folder, not a file. Give the path of the return file itself."
    except OSError as err:
        return (f"{path.name}: the file cannot be read ({err.strerror}). Check that it exists "
                "and that you may read it.")


def _read(item: Pending) -> Refusal | None:
    """Read the file's bytes into ``item`` (once: what is hashed is what is parsed and
    archived), or the refusal if it can no longer be read."""
    try:
        item.data = item.path.read_bytes()
    except OSError:
        return Refusal(item.file_name, item.org_code, item.quarter,
                       _unreadable(item.path) or f"{item.file_name}: the file cannot be read.")
    item.sha256 = hashlib.sha256(item.data).hexdigest()
    return None


class _Writer:
    """Writes each loaded return's transaction, on a second thread in a batch.

    DuckDB works without Python's lock, so while it writes one return the main
    thread pseudonymises the next (the two cores of the machine both busy).  The
    main thread waits for the write before it touches the warehouse itself (to
    look up live submissions and earlier references, or to quarantine), so the
    batch's connection is only ever used by one thread at a time, and returns are
    still written in batch order.  One return at a time writes on its own thread.
    """

    def __init__(self, access: Access,
                 finish: Callable[[Pending, SubmissionOutcome | Refusal], None]) -> None:
        self.access = access
        self.finish = finish
        self.pool = (ThreadPoolExecutor(1, thread_name_prefix="intake-writer")
                     if isinstance(access, HeldAccess) else None)
        self.job: tuple[Pending, Future[SubmissionOutcome]] | None = None

    def write(self, item: Pending, prepared: steps.Prepared) -> None:
        """Write a prepared return (after the one before it)."""
        self.wait()
        if self.pool is None:
            self.finish(item, steps.write(self.access, item, prepared))
        else:
            self.job = (item, self.pool.submit(steps.write, self.access, item, prepared))

    def wait(self) -> None:
        """Wait for the write under way, if any (its error is raised here)."""
        if self.job is not None:
            item, future = self.job
            self.job = None
            self.finish(item, future.result())

    def close(self) -> None:
        """Let a write under way finish (committed or rolled back) before the connection
        closes; an error raised meanwhile in the main thread is the one reported."""
        if self.pool is not None:
            self.pool.shutdown(wait=True)


def _wave_plan(pending: Sequence[Pending]) -> Iterator[list[Pending]]:
    """Waves: the k-th return of each organisation, in batch order, split by size."""
    by_org: dict[str, list[Pending]] = {}
    for item in pending:
        by_org.setdefault(item.org_code, []).append(item)
    depth = max((len(v) for v in by_org.values()), default=0)
    for k in range(depth):
        wave = sorted((v[k] for v in by_org.values() if len(v) > k), key=lambda p: p.index)
        part: list[Pending] = []
        size = 0
        for item in wave:
            if part and size + item.size > WAVE_BYTES:
                yield part
                part, size = [], 0
            part.append(item)
            size += item.size
        if part:
            yield part


def _waves(access: Access, pending: Sequence[Pending], actor: str,
           on_outcome: Callable[[SubmissionOutcome | Refusal], None] | None = None
           ) -> list[SubmissionOutcome | Refusal]:
    """Decide and apply each pending return, wave by wave; outcomes in ``pending`` order."""
    from collection.keys import load_key
    from validation import ReturnToValidate, clean_records, file_report, validate_returns

    keys: list[bytes] = []  # loaded at the first load (a quarantine needs no key)
    done: dict[int, SubmissionOutcome | Refusal] = {}

    def finish(item: Pending, outcome: SubmissionOutcome | Refusal) -> None:
        done[item.index] = outcome
        item.data = b""  # a batch holds the bytes of one wave at a time
        if on_outcome:
            on_outcome(outcome)

    writer = _Writer(access, finish)
    # Worker processes only for a batch of several returns (starting them costs ~1 s).
    key_maker = KeyMaker(WORKERS if isinstance(access, HeldAccess) and len(pending) > 1 else 0)
    cleans: list[pd.DataFrame] = []
    try:
        for wave in _wave_plan(pending):
            parsed: list[tuple[Pending, Any]] = []
            for item in wave:  # files only: the previous return may still be being written
                if (refused := _read(item)) is not None:
                    writer.wait()
                    finish(item, refused)
                    continue
                try:
                    parsed.append((item, read_return_bytes(item.data, item.file_name)))
                except ReturnFileError as err:
                    parsed.append((item, err))
            writer.wait()  # what follows reads what earlier returns wrote
            to_validate = []
            with access.reading() as con:
                lives = [queries.live_submission(con, p.org_code, p.quarter) for p, _ in parsed]
            for (item, raw), live in zip(parsed, lives, strict=True):
                if live is not None and live["file_sha256"] == item.sha256:
                    finish(item, steps.duplicate(access, item, live, actor))
                elif isinstance(raw, ReturnFileError):
                    report = file_report(raw, sha256=item.sha256, org_code=item.org_code,
                                         quarter=item.quarter)
                    finish(item, steps.quarantine(access, item, report, fmt=item.file_format,
                                                  n_rows=0, actor=actor,
                                                  problem=f"{raw.problem} {raw.fix}"))
                else:
                    to_validate.append((item, raw))
            del parsed
            with access.reading() as con:
                batch = [ReturnToValidate(raw, item.org_code, item.quarter,
                                          queries.known_record_refs(con, item.org_code,
                                                                    item.quarter))
                         for item, raw in to_validate]
            reports = validate_returns(batch)
            del batch
            # Hashing starts for every valid return of the wave at once (in the key
            # maker's workers), then each is loaded in order as its keys come back.
            hashing: list[Future[pd.DataFrame] | None] = []
            for (_, raw), report in zip(to_validate, reports, strict=True):
                if report.has_errors:
                    hashing.append(None)
                    continue
                keys = keys or [load_key(access.settings)]
                clean = clean_records(raw, report)
                hashing.append(key_maker.submit(clean, keys[0]))
                cleans.append(clean)
            while to_validate:  # each return's frames are freed once it is done
                (item, raw), report, job = to_validate.pop(0), reports.pop(0), hashing.pop(0)
                if job is None:
                    writer.wait()
                    finish(item, steps.quarantine(access, item, report, fmt=raw.format,
                                                  n_rows=raw.n_rows, actor=actor))
                else:
                    writer.write(item, steps.prepare(access, item, raw, report, cleans.pop(0),
                                                     job.result(), actor))
                del raw, report, job
        writer.wait()
    finally:
        writer.close()
        key_maker.close()
    return [done[item.index] for item in pending]
