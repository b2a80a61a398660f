"""Submitting a quarterly return: read, validate, quarantine or load.

``submit_return`` is the one path by which a return enters the warehouse (CLI,
dashboard upload and the demo simulator all call it):

1. read the file (an unreadable file is a :class:`~darkfigure.errors.UserError`,
   exit 2, and changes nothing);
2. if it is byte-for-byte the live submission of that organisation and
   quarter, do nothing and say so;
3. validate it, passing the organisation's record refs from its other live
   quarters;
4. with errors: copy the file and its report to the quarantine directory and
   record a ``quarantined`` submission with its issues; load nothing;
5. otherwise: pseudonymise (identity fields become match keys, then are
   dropped), archive the raw file under its SHA-256, and in ONE transaction
   insert the submission, its records, match keys and warnings, mark the
   previous version ``superseded`` and write the audit entry.

The warehouse is only locked during the short write at the end; reading,
validating and hashing happen before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from collection.parse import read_return
from collection.quarters import parse_quarter
from collection.schema import IDENTITY_FIELDS, SCHEMA_VERSION
from darkfigure.errors import UserError
from darkfigure.pipeline import archive
from darkfigure.pipeline.events import log_event
from darkfigure.pipeline.setup import init_warehouse, require_current
from darkfigure.settings import Settings
from darkfigure.warehouse import connect, queries, store, transaction

LOADED, QUARANTINED, DUPLICATE = "loaded", "quarantined", "duplicate"


@dataclass(frozen=True)
class SubmissionOutcome:
    """What happened to a submitted return.

    Attributes
    ----------
    status
        ``loaded``, ``quarantined`` or ``duplicate`` (identical to the live version).
    submission_id
        The new submission (the existing one for a duplicate).
    org_code, quarter, file_name, sha256
        What was submitted.
    version
        Version number for this organisation and quarter.
    n_rows, n_errors, n_warnings
        Data rows and validation findings.
    superseded
        The submission this one replaced, if any.
    report_path
        The validation report of a quarantined return.
    archive_path
        Where the raw file of a loaded return is archived.
    """

    status: str
    submission_id: int
    org_code: str
    quarter: str
    file_name: str
    sha256: str
    version: int
    n_rows: int = 0
    n_errors: int = 0
    n_warnings: int = 0
    superseded: int | None = None
    report_path: Path | None = None
    archive_path: Path | None = None

    @property
    def exit_code(self) -> int:
        """CLI exit code: 1 for a quarantined return, else 0."""
        return 1 if self.status == QUARANTINED else 0

    def message(self) -> str:
        """One line for the user."""
        what = f"{self.file_name} ({self.org_code} {self.quarter})"
        if self.status == DUPLICATE:
            return (
                f"{what}: already loaded as submission {self.submission_id} "
                f"(version {self.version}); nothing changed."
            )
        if self.status == QUARANTINED:
            return (
                f"{what}: quarantined with {self.n_errors} error(s) and "
                f"{self.n_warnings} warning(s); nothing was loaded. "
                f"Report: {self.report_path}"
            )
        replaced = f", superseding submission {self.superseded}" if self.superseded else ""
        return (
            f"{what}: loaded {self.n_rows} row(s) with {self.n_warnings} warning(s) as "
            f"submission {self.submission_id} (version {self.version}){replaced}."
        )


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

    Raises
    ------
    UserError
        Unreadable file, unknown organisation or bad quarter (exit 2); warehouse busy (exit 3).
    """
    org_code = org_code.strip().upper()
    try:
        quarter = str(parse_quarter(quarter))
    except ValueError as err:
        raise UserError(str(err)) from None
    raw = read_return(path, name=file_name)
    if not settings.warehouse_path.exists():
        init_warehouse(settings, actor=actor)
    with connect(settings.warehouse_path, read_only=True) as con:
        require_current(con)
        org = queries.organisation(con, org_code)
        live = queries.live_submission(con, org_code, quarter)
        refs = queries.known_record_refs(con, org_code, quarter)
    if org is None:
        raise UserError(
            f"organisation code '{org_code}' is not known to the warehouse; the codes are in "
            "data/reference/organisations.csv (run `darkfigure init` after adding one)"
        )
    if live is not None and live["file_sha256"] == raw.sha256:
        return _duplicate(settings, raw, live, actor)

    from validation import clean_records, validate_return

    report = validate_return(raw, org_code, quarter, known_refs=refs)
    issues = issue_frame(report.to_frame())
    n_errors = int((issues["severity"] == "error").sum())
    n_warnings = int((issues["severity"] == "warning").sum())
    data = archive.read_checked(Path(path), raw.sha256)
    base = {
        "org_code": org_code,
        "quarter": quarter,
        "file_name": raw.file_name,
        "file_sha256": raw.sha256,
        "file_format": raw.format,
        "file_size": raw.size,
        "schema_version": SCHEMA_VERSION,
        "n_rows": raw.n_rows,
        "n_errors": n_errors,
        "n_warnings": n_warnings,
        "submitted_by": actor,
    }
    if report.has_errors:
        return _quarantine(settings, raw, data, report, issues, base, actor)

    from collection.keys import load_key
    from collection.pseudonymise import match_keys, strip_identity

    clean = clean_records(raw, report)
    keys = match_keys(clean, load_key(settings))
    records = record_frame(strip_identity(clean))
    stored = archive.archive_raw(settings.archive_dir, data, raw.sha256, raw.format)
    warnings = issues[issues["severity"] != "error"]
    with connect(settings.warehouse_path) as con:
        outcome = load_submission(
            con, base, org["list_code"], records, keys, warnings, stored, actor
        )
    log_event(
        settings,
        f"submit.{outcome.status}",
        submission_id=outcome.submission_id,
        org_code=org_code,
        quarter=quarter,
        sha256=raw.sha256,
        n_rows=outcome.n_rows,
        n_warnings=n_warnings,
        superseded=outcome.superseded,
    )
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
        row = {
            **base,
            "version": version,
            "status": LOADED,
            "archive_path": str(stored),
            "submitted_at": pd.Timestamp.now(tz="UTC").to_pydatetime(),
        }
        submission_id = store.insert_submission(con, row)
        if live is not None:
            store.supersede(con, int(live["submission_id"]), submission_id)
        store.insert_records(con, submission_id, org_code, list_code, quarter, records)
        store.insert_match_keys(con, submission_id, keys)
        store.insert_issues(con, submission_id, warnings)
        store.audit(
            con,
            actor,
            "submit.loaded",
            f"submission:{submission_id}",
            {
                "org_code": org_code,
                "quarter": quarter,
                "version": version,
                "sha256": base["file_sha256"],
                "n_rows": len(records),
                "n_keys": len(keys),
                "n_warnings": base["n_warnings"],
                "superseded": None if live is None else int(live["submission_id"]),
            },
        )
    return SubmissionOutcome(
        LOADED, submission_id, org_code, quarter, base["file_name"], base["file_sha256"],
        version, n_rows=len(records), n_warnings=base["n_warnings"],
        superseded=None if live is None else int(live["submission_id"]), archive_path=stored,
    )


def _duplicate(settings: Settings, raw: Any, live: dict, actor: str) -> SubmissionOutcome:
    outcome = SubmissionOutcome(
        DUPLICATE, int(live["submission_id"]), str(live["org_code"]), str(live["quarter"]),
        raw.file_name, raw.sha256, int(live["version"]), n_rows=int(live["n_rows"]),
    )
    with connect(settings.warehouse_path) as con, transaction(con):
        store.audit(
            con, actor, "submit.duplicate", f"submission:{outcome.submission_id}",
            {"org_code": outcome.org_code, "quarter": outcome.quarter, "sha256": raw.sha256},
        )
    log_event(settings, "submit.duplicate", submission_id=outcome.submission_id,
              org_code=outcome.org_code, quarter=outcome.quarter, sha256=raw.sha256)
    return outcome


def _quarantine(
    settings: Settings,
    raw: Any,
    data: bytes,
    report: Any,
    issues: pd.DataFrame,
    base: dict[str, Any],
    actor: str,
) -> SubmissionOutcome:
    org_code, quarter = base["org_code"], base["quarter"]
    report_path = archive.quarantine(
        settings.quarantine_dir, data, file_name=raw.file_name, sha256=raw.sha256,
        fmt=raw.format, org_code=org_code, quarter=quarter,
        report_csv=report.to_frame().to_csv(index=False).encode("utf-8"),
        report_text=report.to_text(),
        meta={k: base[k] for k in ("n_rows", "n_errors", "n_warnings", "submitted_by")},
    )
    with connect(settings.warehouse_path) as con, transaction(con):
        version = queries.next_version(con, org_code, quarter)
        row = {
            **base,
            "version": version,
            "status": QUARANTINED,
            "archive_path": str(report_path.parent),
            "submitted_at": pd.Timestamp.now(tz="UTC").to_pydatetime(),
        }
        submission_id = store.insert_submission(con, row)
        store.insert_issues(con, submission_id, issues)
        store.audit(
            con, actor, "submit.quarantined", f"submission:{submission_id}",
            {"org_code": org_code, "quarter": quarter, "sha256": raw.sha256,
             "n_errors": base["n_errors"], "n_warnings": base["n_warnings"]},
        )
    log_event(settings, "submit.quarantined", submission_id=submission_id, org_code=org_code,
              quarter=quarter, sha256=raw.sha256, n_errors=base["n_errors"])
    return SubmissionOutcome(
        QUARANTINED, submission_id, org_code, quarter, raw.file_name, raw.sha256, version,
        n_rows=raw.n_rows, n_errors=base["n_errors"], n_warnings=base["n_warnings"],
        report_path=report_path,
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
