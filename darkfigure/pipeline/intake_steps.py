"""The steps of intake for one return: no-op, quarantine or load, each in its own transaction.

:mod:`darkfigure.pipeline.intake` decides the order; this module does each
step against the warehouse through an :class:`Access`, which is either a
connection per step (one return: the warehouse is locked only while it is
written) or one connection held for a whole batch (no open and close per
return).  Either way every return is its own transaction: its
quarantine, its load (submission, records, match keys, warnings, supersede,
audit entry) or its duplicate audit entry commits or rolls back alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from collection.schema import IDENTITY_FIELDS, SCHEMA_VERSION
from darkfigure.pipeline import archive
from darkfigure.pipeline.events import log_event
from darkfigure.pipeline.outcome import DUPLICATE, LOADED, QUARANTINED, SubmissionOutcome
from darkfigure.settings import Settings
from darkfigure.warehouse import connect, queries, store, transaction


class Access:
    """How the steps reach the warehouse: a new connection per step."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def reading(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A connection to read with."""
        return connect(self.settings.warehouse_path, read_only=True)

    def writing(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A connection to write with (the caller opens a transaction)."""
        return connect(self.settings.warehouse_path)


class HeldAccess(Access):
    """One write connection for a whole batch (opened by :meth:`held`)."""

    def __init__(self, settings: Settings, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__(settings)
        self.con = con

    @classmethod
    @contextmanager
    def held(cls, settings: Settings) -> Iterator[HeldAccess]:
        """Open the batch's connection; closed on exit.

        DuckDB's checkpoint threshold is left at its default (16 MB of WAL, so a
        checkpoint at nearly every return's commit): holding the WAL for longer
        was measured slower and bigger (20 returns x 20,000 rows: load and
        checkpoints 7.7 CPU s, file 167 MB, 0.8 GB resident with the default;
        9.1 CPU s, 255 MB, 1.1 GB with 256 MB).
        """
        with connect(settings.warehouse_path) as con:
            yield cls(settings, con)

    @contextmanager
    def _same(self) -> Iterator[duckdb.DuckDBPyConnection]:
        yield self.con

    def reading(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        return self._same()

    def writing(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        return self._same()


@dataclass
class Pending:
    """A return whose file has been read, waiting for its decision.

    Attributes
    ----------
    index
        Its place in the batch.
    org_code, quarter, list_code
        What it is for (checked).
    file_name
        Name to record.
    path, size
        The file and its size when checked.
    data, sha256
        The file's bytes and their SHA-256, once read (read once: what is hashed
        is what is parsed and archived; a batch reads a wave's files at a time).
    """

    index: int
    org_code: str
    quarter: str
    list_code: str
    file_name: str
    path: Path
    size: int
    data: bytes = b""
    sha256: str = ""

    @property
    def file_format(self) -> str:
        """``xlsx`` or ``csv`` as told by the content; else the name's suffix (``bin`` if none)."""
        if self.data.startswith(b"PK\x03\x04"):
            return "xlsx"
        suffix = Path(self.file_name).suffix.lower().lstrip(".")
        return suffix if suffix.isalnum() and len(suffix) <= 5 else "bin"

    def base(self, *, fmt: str, n_rows: int, n_errors: int, n_warnings: int, actor: str
             ) -> dict[str, Any]:
        """The submission's columns except version, status, archive path and time."""
        return {
            "org_code": self.org_code, "quarter": self.quarter, "file_name": self.file_name,
            "file_sha256": self.sha256, "file_format": fmt, "file_size": len(self.data),
            "schema_version": SCHEMA_VERSION, "n_rows": n_rows, "n_errors": n_errors,
            "n_warnings": n_warnings, "submitted_by": actor,
        }


def duplicate(access: Access, item: Pending, live: dict, actor: str) -> SubmissionOutcome:
    """The live submission is this very file: record the attempt, change nothing else."""
    outcome = SubmissionOutcome(
        DUPLICATE, int(live["submission_id"]), item.org_code, item.quarter, item.file_name,
        item.sha256, int(live["version"]), n_rows=int(live["n_rows"]),
    )
    with access.writing() as con, transaction(con):
        store.audit(
            con, actor, "submit.duplicate", f"submission:{outcome.submission_id}",
            {"org_code": item.org_code, "quarter": item.quarter, "sha256": item.sha256},
        )
    log_event(access.settings, "submit.duplicate", submission_id=outcome.submission_id,
              org_code=item.org_code, quarter=item.quarter, sha256=item.sha256)
    return outcome


def quarantine(access: Access, item: Pending, report: Any, *, fmt: str, n_rows: int,
               actor: str, problem: str | None = None) -> SubmissionOutcome:
    """Keep a return that fails validation (or cannot be read) with its report; load nothing.

    Parameters
    ----------
    report
        Its :class:`validation.ValidationReport` (for an unreadable file, the
        one-error report of :func:`validation.file_report`).
    fmt
        The file's format (``csv``, ``xlsx``, or the suffix of a file that is neither).
    problem
        For a file that could not be read: what was wrong (for the message).
    """
    settings = access.settings
    issues = issue_frame(report.to_frame())
    base = item.base(fmt=fmt, n_rows=n_rows, n_errors=report.n_errors,
                     n_warnings=report.n_warnings, actor=actor)
    report_path = archive.quarantine(
        settings.quarantine_dir, item.data, file_name=item.file_name, sha256=item.sha256,
        fmt=fmt, org_code=item.org_code, quarter=item.quarter,
        report_csv=report.to_frame().to_csv(index=False).encode("utf-8"),
        report_text=report.to_text(),
        meta={k: base[k] for k in ("n_rows", "n_errors", "n_warnings", "submitted_by")},
    )
    detail = {"org_code": item.org_code, "quarter": item.quarter, "sha256": item.sha256,
              "n_errors": base["n_errors"], "n_warnings": base["n_warnings"]}
    if problem is not None:
        detail["file_level"] = str(report.frame["rule"].iloc[0])
    with access.writing() as con, transaction(con):
        version = queries.next_version(con, item.org_code, item.quarter)
        row = {**base, "version": version, "status": QUARANTINED,
               "archive_path": str(report_path.parent),
               "submitted_at": pd.Timestamp.now(tz="UTC").to_pydatetime()}
        submission_id = store.insert_submission(con, row)
        store.insert_issues(con, submission_id, issues)
        store.audit(con, actor, "submit.quarantined", f"submission:{submission_id}", detail)
    log_event(settings, "submit.quarantined", submission_id=submission_id,
              org_code=item.org_code, quarter=item.quarter, sha256=item.sha256,
              n_errors=base["n_errors"], file_level=detail.get("file_level"))
    return SubmissionOutcome(
        QUARANTINED, submission_id, item.org_code, item.quarter, item.file_name, item.sha256,
        version, n_rows=n_rows, n_errors=base["n_errors"], n_warnings=base["n_warnings"],
        report_path=report_path, problem=problem,
    )


@dataclass
class Prepared:
    """A valid return pseudonymised and archived, ready for its one transaction."""

    base: dict[str, Any]
    records: pd.DataFrame
    keys: pd.DataFrame
    warnings: pd.DataFrame
    stored: Path


def prepare(access: Access, item: Pending, raw: Any, report: Any, clean: pd.DataFrame,
            keys: pd.DataFrame, actor: str) -> Prepared:
    """A valid return ready to load: its ``clean`` records without identity fields, its
    match ``keys`` (:func:`collection.pseudonymise.match_keys` of ``clean``), and its raw
    file archived: the CPU-bound half of loading, no warehouse access."""
    from collection.pseudonymise import strip_identity

    issues = issue_frame(report.to_frame())
    records = record_frame(strip_identity(clean))
    del clean
    stored = archive.archive_raw(access.settings.archive_dir, item.data, item.sha256,
                                 raw.format)
    base = item.base(fmt=raw.format, n_rows=raw.n_rows, n_errors=0,
                     n_warnings=report.n_warnings, actor=actor)
    return Prepared(base, records, keys, issues[issues["severity"] != "error"], stored)


def write(access: Access, item: Pending, prepared: Prepared) -> SubmissionOutcome:
    """Load a prepared return in one transaction (:func:`load_submission`) and log it."""
    base = prepared.base
    with access.writing() as con:
        outcome = load_submission(con, base, item.list_code, prepared.records, prepared.keys,
                                  prepared.warnings, prepared.stored, str(base["submitted_by"]))
    log_event(access.settings, f"submit.{outcome.status}", submission_id=outcome.submission_id,
              org_code=item.org_code, quarter=item.quarter, sha256=item.sha256,
              n_rows=outcome.n_rows, n_warnings=base["n_warnings"],
              superseded=outcome.superseded)
    return outcome


def load_submission(
    con: duckdb.DuckDBPyConnection,
    base: dict[str, Any],
    list_code: str,
    records: pd.DataFrame,
    keys: pd.DataFrame,
    warnings: pd.DataFrame,
    stored: Path,
    actor: str,
) -> SubmissionOutcome:
    """Load a validated, pseudonymised return in one transaction.

    Parameters
    ----------
    con
        A write connection.
    base
        Submission columns (org, quarter, file, counts, actor).
    list_code
        The organisation's list.
    records
        Clean records without identity fields (:func:`record_frame`).
    keys
        Match keys ``row, key_type, key_hash``.
    warnings
        Issues to keep with the submission (:func:`issue_frame`).
    stored
        The archived raw file.
    actor
        Who submitted it.
    """
    org_code, quarter = base["org_code"], base["quarter"]
    with transaction(con):
        # Checked again under the write lock: another process may have loaded it meanwhile.
        live = queries.live_submission(con, org_code, quarter)
        if live is not None and live["file_sha256"] == base["file_sha256"]:
            return SubmissionOutcome(
                DUPLICATE, int(live["submission_id"]), org_code, quarter, base["file_name"],
                base["file_sha256"], int(live["version"]), n_rows=int(live["n_rows"]),
            )
        version = queries.next_version(con, org_code, quarter)
        row = {**base, "version": version, "status": LOADED, "archive_path": str(stored),
               "submitted_at": pd.Timestamp.now(tz="UTC").to_pydatetime()}
        submission_id = store.insert_submission(con, row)
        if live is not None:
            store.supersede(con, int(live["submission_id"]), submission_id)
        store.insert_records(con, submission_id, org_code, list_code, quarter, records)
        store.insert_match_keys(con, submission_id, keys)
        store.insert_issues(con, submission_id, warnings)
        store.audit(
            con, actor, "submit.loaded", f"submission:{submission_id}",
            {"org_code": org_code, "quarter": quarter, "version": version,
             "sha256": base["file_sha256"], "n_rows": len(records), "n_keys": len(keys),
             "n_warnings": base["n_warnings"],
             "superseded": None if live is None else int(live["submission_id"])},
        )
    return SubmissionOutcome(
        LOADED, submission_id, org_code, quarter, base["file_name"], base["file_sha256"],
        version, n_rows=len(records), n_warnings=base["n_warnings"],
        superseded=None if live is None else int(live["submission_id"]), archive_path=stored,
    )


def issue_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Validation issues in the warehouse's columns, identity values redacted.

    The validator already redacts values of identity columns; redacting again
    here means a change there can never put a name into the warehouse.
    """
    renamed = frame.rename(columns={"row": "row_number", "column": "column_name"})
    out = pd.DataFrame(
        {c: renamed[c] if c in renamed.columns else None for c in store.ISSUE_COLUMNS},
        index=renamed.index,
    )
    identity = out["column_name"].isin(list(IDENTITY_FIELDS))
    out.loc[identity, "value"] = None
    out["severity"] = out["severity"].astype(str).str.lower()
    return out.reset_index(drop=True)


def record_frame(clean: pd.DataFrame) -> pd.DataFrame:
    """Clean records (identity stripped) in the columns of :data:`store.RECORD_COLUMNS`.

    ``row`` becomes ``row_number``; ``exploitation_types`` stays one
    ``;``-joined string (split into a list by the database, in bulk).
    """
    leaked = [c for c in IDENTITY_FIELDS if c in clean.columns]
    if leaked:
        raise ValueError(f"identity columns {leaked} must be stripped before loading")
    frame = clean.rename(columns={"row": "row_number"})
    return pd.DataFrame({c: frame[c] if c in frame.columns else None for c in store.RECORD_COLUMNS})
