"""Schema migrations: numbered files applied once, in order, recorded."""

from __future__ import annotations

import pytest

from darkfigure.cli import main
from darkfigure.pipeline.setup import init_warehouse
from darkfigure.warehouse import available_migrations, connect, migrate
from darkfigure.warehouse import migrations as mig_module

CORE_TABLES = {
    "organisations", "submissions", "records", "match_keys", "validation_issues",
    "linkage_runs", "persons", "person_records", "estimate_runs", "estimates", "audit_log",
    "schema_migrations",
}


def _tables(path) -> set[str]:
    with connect(path, read_only=True) as con:
        return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables")
                .fetchall()}


def test_init_creates_schema_and_organisations(settings):
    """init applies every migration in order and loads the reference organisations."""
    assert _tables(settings.warehouse_path) >= CORE_TABLES
    with connect(settings.warehouse_path, read_only=True) as con:
        versions = [r[0] for r in con.execute(
            "SELECT version FROM schema_migrations ORDER BY version").fetchall()]
        lists = {r[0] for r in con.execute(
            "SELECT DISTINCT list_code FROM organisations").fetchall()}
        n_orgs = con.execute("SELECT count(*) FROM organisations").fetchall()[0][0]
    assert versions == [m.version for m in available_migrations()]
    assert versions[0] == 1
    assert lists == {"LA", "NG", "PF", "GO", "GP", "NCA"}
    assert n_orgs > 50


def test_init_is_idempotent(settings):
    """A second init applies nothing."""
    again = init_warehouse(settings, actor="test")
    assert again.applied == ()
    assert "up to date" in again.message()


def test_cli_init(darkfigure_home, capsys):
    """`darkfigure init` creates the warehouse under DARKFIGURE_HOME."""
    assert main(["init"]) == 0
    assert "applied migrations 001_core" in capsys.readouterr().out
    assert (darkfigure_home / "warehouse.duckdb").exists()


def test_edited_migration_is_reported(settings, monkeypatch):
    """Changing an applied migration's SQL is refused, not silently ignored."""
    changed = [
        mig_module.Migration(m.version, m.name, m.sql + "\n-- edited")
        if m.version == 1 else m
        for m in available_migrations()
    ]
    monkeypatch.setattr(mig_module, "available_migrations", lambda: changed)
    with connect(settings.warehouse_path) as con, pytest.raises(
        mig_module.MigrationError, match="changed after it was applied"
    ):
        migrate(con)


def test_failed_migration_leaves_no_trace(tmp_path, monkeypatch):
    """A migration that fails half-way is rolled back whole and not recorded."""
    broken = [mig_module.Migration(1, "broken", "CREATE TABLE a (x INT); SELECT * FROM nope;")]
    monkeypatch.setattr(mig_module, "available_migrations", lambda: broken)
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        with pytest.raises(Exception, match="nope"):
            migrate(con)
        assert con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'a'"
        ).fetchall()[0][0] == 0
        assert con.execute("SELECT count(*) FROM schema_migrations").fetchall()[0][0] == 0
