"""Create or upgrade a warehouse: migrations and the reference organisations."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from collection import reference
from darkfigure.errors import UserError
from darkfigure.settings import Settings
from darkfigure.warehouse import connect, migrate, pending_migrations, transaction
from darkfigure.warehouse.migrations import MigrationError
from darkfigure.warehouse.store import audit, upsert_organisations


@dataclass(frozen=True)
class InitOutcome:
    """What ``darkfigure init`` did."""

    path: str
    applied: tuple[str, ...]
    organisations: int

    def message(self) -> str:
        """One or two lines for the user."""
        done = (
            f"applied migrations {', '.join(self.applied)}"
            if self.applied
            else "schema already up to date"
        )
        return f"Warehouse {self.path}: {done}; {self.organisations} organisations loaded."


def reference_organisations() -> pd.DataFrame:
    """The shipped organisations (``org_code, name, list_code, kind, home_force_area``)."""
    orgs = reference.organisations().values()
    return pd.DataFrame(
        {
            "org_code": [o.org_code for o in orgs],
            "name": [o.name for o in orgs],
            "list_code": [o.list_code for o in orgs],
            "kind": [o.kind for o in orgs],
            "home_force_area": [o.home_force_area for o in orgs],
        }
    )


def upgrade(con: duckdb.DuckDBPyConnection, actor: str) -> InitOutcome:
    """Apply pending migrations and (re)load organisations on an open write connection."""
    try:
        applied = migrate(con)
    except MigrationError as err:
        raise UserError(str(err)) from None
    with transaction(con):
        n_orgs = upsert_organisations(con, reference_organisations())
        if applied:
            audit(
                con,
                actor,
                "warehouse.migrate",
                None,
                {"applied": [f"{m.version:03d}_{m.name}" for m in applied]},
            )
    return InitOutcome(
        path="", applied=tuple(f"{m.version:03d}_{m.name}" for m in applied), organisations=n_orgs
    )


def init_warehouse(settings: Settings, *, actor: str = "cli") -> InitOutcome:
    """Create the state directories and the warehouse, or bring it up to date.

    Parameters
    ----------
    settings
        The installation (``Settings.from_env()``).
    actor
        Who ran it, for the audit log.
    """
    settings.ensure_dirs()
    with connect(settings.warehouse_path) as con:
        outcome = upgrade(con, actor)
    return InitOutcome(str(settings.warehouse_path), outcome.applied, outcome.organisations)


def ensure_current(con: duckdb.DuckDBPyConnection, actor: str) -> None:
    """Upgrade the schema first if a write finds it missing or out of date."""
    try:
        pending = pending_migrations(con)
    except MigrationError as err:
        raise UserError(str(err)) from None
    if pending:
        upgrade(con, actor)


def require_current(con: duckdb.DuckDBPyConnection) -> None:
    """For readers: fail plainly when the warehouse needs ``darkfigure init``."""
    try:
        pending = pending_migrations(con)
    except MigrationError as err:
        raise UserError(str(err)) from None
    if pending:
        raise UserError(
            "the warehouse schema is out of date (or empty): run `darkfigure init` first"
        )
