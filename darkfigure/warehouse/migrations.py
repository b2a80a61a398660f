"""Schema migrations: numbered SQL files applied in order, each once.

Files live in ``darkfigure/warehouse/migrations/`` and are named
``NNN_name.sql`` (``001_core.sql``, ``002_auth.sql``, ...).  Each is applied in
its own transaction and recorded in ``schema_migrations`` with its checksum, so
a half-applied migration never exists and an edited, already-applied file is
reported instead of silently ignored.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import duckdb

from darkfigure.warehouse.connection import transaction

_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the SQL text."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


class MigrationError(RuntimeError):
    """The migrations on disk disagree with the ones recorded in the warehouse."""


def available_migrations() -> list[Migration]:
    """The migration files shipped with darkfigure, in version order.

    Raises
    ------
    MigrationError
        If two files share a number.
    """
    folder = resources.files("darkfigure.warehouse").joinpath("migrations")
    found: dict[int, Migration] = {}
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if not match:
            continue
        version = int(match.group(1))
        if version in found:
            raise MigrationError(
                f"two migrations are numbered {version:03d}: {found[version].name} and "
                f"{match.group(2)}"
            )
        found[version] = Migration(version, match.group(2), entry.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def _ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version     INTEGER PRIMARY KEY,
            name        VARCHAR NOT NULL,
            checksum    VARCHAR NOT NULL,
            applied_at  TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
        )
        """
    )


def applied_versions(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """Versions already applied to the warehouse, with their checksums."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchall()[0][0]
    if not exists:
        return {}
    rows = con.execute("SELECT version, checksum FROM schema_migrations").fetchall()
    return {int(v): str(c) for v, c in rows}


def pending_migrations(con: duckdb.DuckDBPyConnection) -> list[Migration]:
    """Migrations not yet applied, in order.

    Raises
    ------
    MigrationError
        If an applied migration's file has changed since.
    """
    done = applied_versions(con)
    pending = []
    for mig in available_migrations():
        if mig.version in done:
            if done[mig.version] != mig.checksum:
                raise MigrationError(
                    f"migration {mig.version:03d}_{mig.name}.sql was changed after it was "
                    "applied; add a new numbered migration instead of editing an old one"
                )
            continue
        pending.append(mig)
    return pending


def migrate(con: duckdb.DuckDBPyConnection) -> list[Migration]:
    """Apply every pending migration, each in its own transaction.

    Parameters
    ----------
    con
        A read-write connection.

    Returns
    -------
    list of Migration
        The migrations applied now (empty when the warehouse is up to date).
    """
    _ensure_table(con)
    applied = []
    for mig in pending_migrations(con):
        with transaction(con):
            con.execute(mig.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)",
                [mig.version, mig.name, mig.checksum],
            )
        applied.append(mig)
    return applied
