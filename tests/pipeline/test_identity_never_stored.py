"""Names and dates of birth never reach the warehouse, the logs or the audit trail.

The archive keeps the raw files (identity in clear) by design, outside the
database: it is the evidence of what was submitted and is protected like the
originals.  This test confirms that too, so that it can tell the two apart.
"""

from __future__ import annotations

import re
from pathlib import Path

from darkfigure.pipeline.intake import submit_return
from darkfigure.pipeline.linking import run_linkage
from darkfigure.pipeline.tables import capture_tables
from darkfigure.warehouse import connect


def _needles(secret: dict[str, str]) -> list[str]:
    y, m, d = secret["dob"].split("-")
    return [secret["given"], secret["family"], "Quilfeather", secret["dob"],
            f"{d}/{m}/{y}", f"{y}{m}{d}", "1987-13-19"]


def _text_hits(con, needle: str) -> list[str]:
    """Tables and columns whose text (any type cast to VARCHAR) contains ``needle``."""
    hits = []
    columns = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'main'"
    ).fetchall()
    for table, column in columns:
        found = con.execute(
            f'SELECT count(*) FROM "{table}" WHERE CAST("{column}" AS VARCHAR) ILIKE ?',
            [f"%{needle}%"],
        ).fetchall()[0][0]
        if found:
            hits.append(f"{table}.{column}")
    return hits


def _byte_hits(paths: list[Path], needle: str) -> list[str]:
    pattern = re.compile(re.escape(needle.encode()), re.IGNORECASE)
    return [str(p) for p in paths if p.is_file() and pattern.search(p.read_bytes())]


def test_no_identity_in_warehouse_or_logs(settings, returns, secret):
    """Load two returns naming the person, quarantine a third, link and tabulate; then
    search every column of every table and the bytes of the warehouse, its WAL, the
    logs and the quarantine metadata for the name and date of birth (several formats)."""
    submit = dict(settings=settings, actor="tester")
    submit_return(returns["police"], "AVON-AND-SOMERSET", "2025Q1", **submit)
    submit_return(returns["ngo"], "SALVATION-ARMY", "2025Q1", **submit)
    bad = submit_return(returns["police_bad"], "AVON-AND-SOMERSET", "2025Q2", **submit)
    assert bad.status == "quarantined"
    run_linkage(settings, period="2025", actor="tester")
    tables = capture_tables(settings, "2025", relink=False)
    assert tables.tables.n_persons == 4  # the misspelt NGO record was linked to the police one

    with connect(settings.warehouse_path, read_only=True) as con:
        # the search works: it finds what is stored
        assert "records.record_ref" in _text_hits(con, "P-1")
        for needle in _needles(secret):
            assert _text_hits(con, needle) == [], needle

    stored = [settings.warehouse_path, Path(f"{settings.warehouse_path}.wal")]
    logs = sorted(settings.log_dir.rglob("*"))
    meta = sorted(settings.quarantine_dir.rglob("meta.json"))
    assert logs and meta
    assert _byte_hits([settings.warehouse_path], "AVON-AND-SOMERSET")  # control
    for needle in _needles(secret):
        assert _byte_hits(stored + logs + meta, needle) == [], needle

    # by design the archive keeps the raw file, identity included, outside the database
    archived = sorted(settings.archive_dir.rglob("*.csv"))
    assert _byte_hits(archived, secret["family"])
