"""Reads from the warehouse: the SQL every reader (CLI, dashboard, pipeline) uses.

Functions take an open connection (read-only is enough) and return DataFrames
or plain values.  Only *live* submissions (status ``loaded``) feed linkage and
capture tables; superseded and quarantined ones stay for history.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    return con.execute(sql, list(params)).df()


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> dict | None:
    frame = _frame(con, sql, params)
    if frame.empty:
        return None
    row = frame.iloc[0].to_dict()
    return {k: (None if _isna(v) else v) for k, v in row.items()}


def _isna(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _loads(text: Any) -> Any:
    return json.loads(text) if isinstance(text, str) else text


# ------------------------------------------------------------------ organisations
def organisations(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``org_code, name, list_code`` of every organisation."""
    return _frame(con, "SELECT org_code, name, list_code FROM organisations ORDER BY org_code")


def organisation(con: duckdb.DuckDBPyConnection, org_code: str) -> dict | None:
    """One organisation's row, or ``None``."""
    return _one(
        con, "SELECT org_code, name, list_code FROM organisations WHERE org_code = ?", [org_code]
    )


# -------------------------------------------------------------------- submissions
SUBMISSION_COLUMNS = (
    "submission_id, org_code, quarter, version, status, file_name, file_sha256, n_rows, "
    "n_errors, n_warnings, submitted_by, submitted_at, superseded_by, archive_path"
)


def submissions(
    con: duckdb.DuckDBPyConnection,
    *,
    org_code: str | None = None,
    quarter: str | None = None,
    status: str | None = None,
) -> pd.DataFrame:
    """Submission history, newest first, optionally filtered."""
    where, params = _filters(org_code=org_code, quarter=quarter, status=status)
    return _frame(
        con,
        f"SELECT {SUBMISSION_COLUMNS} FROM submissions {where} "
        "ORDER BY submitted_at DESC, submission_id DESC",
        params,
    )


def _filters(**values: Any) -> tuple[str, list[Any]]:
    parts = [f"{k} = ?" for k, v in values.items() if v is not None]
    params = [v for v in values.values() if v is not None]
    return ("WHERE " + " AND ".join(parts) if parts else ""), params


def submission(con: duckdb.DuckDBPyConnection, submission_id: int) -> dict | None:
    """One submission's row, or ``None``."""
    return _one(
        con,
        f"SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE submission_id = ?",
        [submission_id],
    )


def live_submission(con: duckdb.DuckDBPyConnection, org_code: str, quarter: str) -> dict | None:
    """The loaded (live) submission of an organisation and quarter, or ``None``."""
    return _one(
        con,
        f"SELECT {SUBMISSION_COLUMNS} FROM submissions "
        "WHERE org_code = ? AND quarter = ? AND status = 'loaded'",
        [org_code, quarter],
    )


def next_version(con: duckdb.DuckDBPyConnection, org_code: str, quarter: str) -> int:
    """Version number of the next submission for an organisation and quarter."""
    rows = con.execute(
        "SELECT coalesce(max(version), 0) + 1 FROM submissions WHERE org_code = ? AND quarter = ?",
        [org_code, quarter],
    ).fetchall()
    return int(rows[0][0])


def known_record_refs(
    con: duckdb.DuckDBPyConnection, org_code: str, exclude_quarter: str
) -> set[str]:
    """Record refs of an organisation's live submissions in other quarters."""
    rows = con.execute(
        """
        SELECT DISTINCT r.record_ref FROM records r
        JOIN submissions s USING (submission_id)
        WHERE s.status = 'loaded' AND r.org_code = ? AND r.quarter <> ?
        """,
        [org_code, exclude_quarter],
    ).fetchall()
    return {str(r[0]) for r in rows}


def submission_issues(con: duckdb.DuckDBPyConnection, submission_id: int) -> pd.DataFrame:
    """Validation issues recorded for a submission (identity values redacted)."""
    return _frame(
        con,
        "SELECT row_number, column_name, value, rule, severity, message, fix "
        "FROM validation_issues WHERE submission_id = ? ORDER BY row_number, column_name",
        [submission_id],
    )


def live_submissions_in(
    con: duckdb.DuckDBPyConnection, quarters: Sequence[str] | None
) -> pd.DataFrame:
    """``submission_id, org_code, quarter`` of live submissions (in ``quarters`` if given)."""
    sql = "SELECT submission_id, org_code, quarter FROM submissions WHERE status = 'loaded'"
    params: list[Any] = []
    if quarters is not None:
        sql += " AND list_contains(?, quarter)"
        params.append(list(quarters))
    return _frame(con, sql + " ORDER BY submission_id", params)


# ------------------------------------------------------------------------ linkage
def linkage_input(
    con: duckdb.DuckDBPyConnection, quarters: Sequence[str] | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Records and match keys of live submissions, for :func:`collection.linkage.link_records`.

    To move millions of keys cheaply, ``key_type`` comes as a categorical and
    ``key_hash`` as DuckDB's 64-bit ``hash()`` of the stored digest (two distinct
    digests collide with probability about 1e-6 among six million keys; a
    collision can only add a weak candidate link).

    Returns
    -------
    (records, keys)
        ``record_id, org_code, quarter`` and ``record_id, key_type, key_hash``.
    """
    live = "SELECT submission_id FROM submissions WHERE status = 'loaded'"
    params: list[Any] = []
    if quarters is not None:
        live += " AND list_contains(?, quarter)"
        params.append(list(quarters))
    records = _frame(
        con,
        f"SELECT record_id, org_code, quarter FROM records "
        f"WHERE submission_id IN ({live}) ORDER BY record_id",
        params,
    )
    types = [r[0] for r in con.execute("SELECT DISTINCT key_type FROM match_keys").fetchall()]
    enum = "ENUM(" + ", ".join("'" + str(t).replace("'", "''") + "'" for t in types) + ")"
    key_type = f"CAST(k.key_type AS {enum})" if types else "k.key_type"
    keys = _frame(
        con,
        f"SELECT k.record_id, {key_type} AS key_type, hash(k.key_hash) AS key_hash "
        f"FROM match_keys k JOIN records r USING (record_id) "
        f"WHERE r.submission_id IN ({live})",
        params,
    )
    return records, keys


def latest_linkage_run(con: duckdb.DuckDBPyConnection, period: str) -> dict | None:
    """The newest linkage run of a period label (``all``, ``2025``, ``2025Q3``)."""
    row = _one(
        con,
        "SELECT * FROM linkage_runs WHERE period = ? ORDER BY linkage_run_id DESC LIMIT 1",
        [period],
    )
    if row:
        row["rules"] = _loads(row["rules"])
        row["report"] = _loads(row["report"])
    return row


def linkage_runs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every linkage run (without its report), newest first."""
    return _frame(
        con,
        "SELECT linkage_run_id, created_at, created_by, period, n_submissions, n_records, "
        "n_persons FROM linkage_runs ORDER BY linkage_run_id DESC",
    )


def linkage_report(con: duckdb.DuckDBPyConnection, linkage_run_id: int) -> dict | None:
    """The stored report of a linkage run (counts only)."""
    row = _one(con, "SELECT report FROM linkage_runs WHERE linkage_run_id = ?", [linkage_run_id])
    return _loads(row["report"]) if row else None


def linked_records(con: duckdb.DuckDBPyConnection, linkage_run_id: int) -> pd.DataFrame:
    """Records of a linkage run with their person and stratum fields.

    Returns
    -------
    pandas.DataFrame
        ``person_id, record_id, org_code, list_code, quarter, age_group,
        exploitation_types, force_area``: the input of
        :func:`collection.capture_histories.build_capture_tables`.
    """
    return _frame(
        con,
        """
        SELECT p.person_id, r.record_id, r.org_code, r.list_code, r.quarter, r.age_group,
               r.exploitation_types, r.force_area
        FROM person_records p JOIN records r USING (record_id)
        WHERE p.linkage_run_id = ?
        ORDER BY p.person_id, r.record_id
        """,
        [linkage_run_id],
    )


# ---------------------------------------------------------------- estimate runs
def estimate_runs(con: duckdb.DuckDBPyConnection, *, status: str | None = None) -> pd.DataFrame:
    """Estimate runs, newest first (``status``: draft | published)."""
    where, params = _filters(status=status)
    return _frame(
        con,
        "SELECT run_id, created_at, created_by, period, stratify_by, methods, status, "
        f"published_at, published_by, note, data_hash, seed FROM estimate_runs {where} "
        "ORDER BY run_id DESC",
        params,
    )


def estimate_run(con: duckdb.DuckDBPyConnection, run_id: int) -> dict | None:
    """One run's row with its settings and versions parsed, or ``None``."""
    row = _one(con, "SELECT * FROM estimate_runs WHERE run_id = ?", [run_id])
    if row:
        row["settings"] = _loads(row["settings"])
        row["versions"] = _loads(row["versions"])
        row["methods"] = list(row["methods"]) if row["methods"] is not None else []
    return row


def run_estimates(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    """A run's estimates, one row per stratum and method (JSON columns parsed)."""
    frame = _frame(
        con,
        "SELECT * FROM estimates WHERE run_id = ? ORDER BY stratum, method",
        [run_id],
    )
    for col in ("warnings", "diagnostics", "capture_table"):
        frame[col] = frame[col].map(_loads)
    return frame


# ----------------------------------------------------------------------- audit
def audit_log(con: duckdb.DuckDBPyConnection, *, limit: int = 100) -> pd.DataFrame:
    """The most recent audit entries."""
    return _frame(
        con,
        "SELECT id, \"at\", actor, action, object, detail FROM audit_log ORDER BY id DESC LIMIT ?",
        [limit],
    )
