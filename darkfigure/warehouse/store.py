"""Writes to the warehouse: every INSERT/UPDATE the pipeline makes, in one place.

Each function runs inside the caller's transaction (see
:func:`darkfigure.warehouse.connection.transaction`); none commits.  Bulk rows
arrive as DataFrames that DuckDB scans directly (``INSERT ... SELECT``), never
row by row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import duckdb
import pandas as pd


@contextmanager
def registered(
    con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame
) -> Iterator[str]:
    """Expose ``frame`` to SQL as view ``name`` for the length of the block."""
    con.register(name, frame)
    try:
        yield name
    finally:
        con.unregister(name)


def to_json(value: Any) -> str:
    """JSON text for a JSON column (numpy scalars and NaN handled)."""
    return json.dumps(value, default=_default, allow_nan=False)


def _default(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)


def audit(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    action: str,
    obj: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append one entry to ``audit_log``.  Callers never pass identity values."""
    con.execute(
        "INSERT INTO audit_log (actor, action, object, detail) VALUES (?, ?, ?, ?)",
        [actor, action, obj, to_json(dict(detail or {}))],
    )


def upsert_organisations(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> int:
    """Insert or update organisations from ``org_code, name, list_code`` (+ any detail).

    Returns
    -------
    int
        Organisations in the frame.
    """
    extra = [c for c in frame.columns if c not in ("org_code", "name", "list_code")]
    rows = pd.DataFrame(
        {
            "org_code": frame["org_code"].astype(str),
            "name": frame["name"].astype(str),
            "list_code": frame["list_code"].astype(str),
            "detail": [
                to_json({k: (None if pd.isna(v) else v) for k, v in row.items()})
                for row in frame[extra].to_dict("records")
            ]
            if extra
            else ["{}"] * len(frame),
        }
    )
    with registered(con, "_orgs", rows):
        con.execute(
            """
            INSERT INTO organisations BY NAME SELECT * FROM _orgs
            ON CONFLICT (org_code) DO UPDATE SET
                name = excluded.name, list_code = excluded.list_code, detail = excluded.detail
            """
        )
    return len(rows)


def next_id(con: duckdb.DuckDBPyConnection, sequence: str) -> int:
    """The next value of a sequence."""
    return int(con.execute(f"SELECT nextval('{sequence}')").fetchall()[0][0])


def insert_submission(con: duckdb.DuckDBPyConnection, row: Mapping[str, Any]) -> int:
    """Insert one submission row (its id drawn here) and return the id."""
    submission_id = next_id(con, "submission_id_seq")
    values = {"submission_id": submission_id, **row}
    cols = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    con.execute(f"INSERT INTO submissions ({cols}) VALUES ({marks})", list(values.values()))
    return submission_id


def supersede(con: duckdb.DuckDBPyConnection, old_id: int, new_id: int) -> None:
    """Mark a live submission superseded by a newer version."""
    con.execute(
        "UPDATE submissions SET status = 'superseded', superseded_by = ? "
        "WHERE submission_id = ? AND status = 'loaded'",
        [new_id, old_id],
    )


#: Columns of ``records`` filled from the clean return (others come from the submission).
RECORD_COLUMNS = (
    "row_number",
    "record_ref",
    "first_encountered",
    "sex",
    "nationality",
    "age_group",
    "exploitation_types",
    "force_area",
    "nrm_referred",
)


def insert_records(
    con: duckdb.DuckDBPyConnection,
    submission_id: int,
    org_code: str,
    list_code: str,
    quarter: str,
    frame: pd.DataFrame,
) -> int:
    """Bulk-insert a return's records (identity fields already stripped).

    Parameters
    ----------
    frame
        One row per record with the columns :data:`RECORD_COLUMNS`
        (``exploitation_types`` one ``;``-joined string of codes).

    Returns
    -------
    int
        Rows inserted.
    """
    missing = [c for c in RECORD_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"records frame lacks columns {missing}")
    with registered(con, "_records", frame[list(RECORD_COLUMNS)]):
        con.execute(
            """
            INSERT INTO records
            SELECT nextval('record_id_seq'), ?, ?, ?, ?, row_number, record_ref,
                   first_encountered, sex, nationality, age_group,
                   string_split(CAST(exploitation_types AS VARCHAR), ';'), force_area,
                   nrm_referred
            FROM _records ORDER BY row_number
            """,
            [submission_id, org_code, list_code, quarter],
        )
    return len(frame)


def insert_match_keys(
    con: duckdb.DuckDBPyConnection, submission_id: int, keys: pd.DataFrame
) -> int:
    """Bulk-insert match keys given by file row (``row, key_type, key_hash``).

    Rows are joined to the records just inserted for ``submission_id``.
    """
    with registered(con, "_keys", keys[["row", "key_type", "key_hash"]]):
        con.execute(
            """
            INSERT INTO match_keys
            SELECT r.record_id, k.key_type, k.key_hash
            FROM _keys k JOIN records r
              ON r.submission_id = ? AND r.row_number = k.row
            """,
            [submission_id],
        )
    return len(keys)


ISSUE_COLUMNS = ("row_number", "column_name", "value", "rule", "severity", "message", "fix")


def insert_issues(
    con: duckdb.DuckDBPyConnection, submission_id: int, issues: pd.DataFrame
) -> int:
    """Insert validation issues (columns :data:`ISSUE_COLUMNS`)."""
    if issues.empty:
        return 0
    frame = issues[list(ISSUE_COLUMNS)]
    with registered(con, "_issues", frame):
        con.execute(
            """
            INSERT INTO validation_issues
            SELECT ?, CAST(row_number AS INTEGER), column_name, CAST(value AS VARCHAR), rule,
                   severity, message, fix
            FROM _issues
            """,
            [submission_id],
        )
    return len(frame)


def insert_linkage(
    con: duckdb.DuckDBPyConnection,
    run: Mapping[str, Any],
    person_records: pd.DataFrame,
) -> int:
    """Store a linkage run and its persons, dropping the persons of older runs of its period.

    Parameters
    ----------
    run
        ``linkage_runs`` columns except the id (``rules``/``report`` as dicts).
    person_records
        ``record_id, person_id, org_code`` for every linked record.

    Returns
    -------
    int
        The new ``linkage_run_id``.
    """
    run_id = next_id(con, "linkage_run_id_seq")
    values = dict(run)
    values["rules"] = to_json(values.get("rules", {}))
    values["report"] = to_json(values.get("report", {}))
    values = {"linkage_run_id": run_id, **values}
    cols = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    con.execute(f"INSERT INTO linkage_runs ({cols}) VALUES ({marks})", list(values.values()))
    # Old runs keep their report row; only the latest run's persons are needed.
    con.execute(
        "DELETE FROM person_records WHERE linkage_run_id IN "
        "(SELECT linkage_run_id FROM linkage_runs WHERE period = ? AND linkage_run_id <> ?)",
        [run["period"], run_id],
    )
    con.execute(
        "DELETE FROM persons WHERE linkage_run_id IN "
        "(SELECT linkage_run_id FROM linkage_runs WHERE period = ? AND linkage_run_id <> ?)",
        [run["period"], run_id],
    )
    with registered(con, "_pr", person_records[["record_id", "person_id", "org_code"]]):
        con.execute(
            "INSERT INTO person_records SELECT ?, person_id, record_id FROM _pr", [run_id]
        )
        con.execute(
            """
            INSERT INTO persons
            SELECT ?, person_id, count(*), count(DISTINCT org_code) FROM _pr GROUP BY person_id
            """,
            [run_id],
        )
    return run_id


def insert_estimate_run(con: duckdb.DuckDBPyConnection, run: Mapping[str, Any]) -> int:
    """Insert an ``estimate_runs`` row (JSON columns as dicts) and return its id."""
    run_id = next_id(con, "estimate_run_id_seq")
    values = {"run_id": run_id, **run}
    for key in ("settings", "versions"):
        values[key] = to_json(values.get(key) or {})
    cols = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    con.execute(f"INSERT INTO estimate_runs ({cols}) VALUES ({marks})", list(values.values()))
    return run_id


def insert_estimates(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> int:
    """Insert ``estimates`` rows (JSON columns already text)."""
    with registered(con, "_est", rows):
        con.execute("INSERT INTO estimates BY NAME SELECT * FROM _est")
    return len(rows)


def publish_run(
    con: duckdb.DuckDBPyConnection, run_id: int, actor: str, note: str | None
) -> None:
    """Mark an estimate run published (with a note)."""
    con.execute(
        "UPDATE estimate_runs SET status = 'published', published_at = current_timestamp, "
        "published_by = ?, note = coalesce(?, note) WHERE run_id = ?",
        [actor, note, run_id],
    )


def set_run_draws_dir(con: duckdb.DuckDBPyConnection, run_id: int, path: str) -> None:
    """Record the directory holding a run's draws."""
    con.execute("UPDATE estimate_runs SET idata_path = ? WHERE run_id = ?", [path, run_id])
