"""Fixtures of the dashboard tests: a built warehouse, signed-in AppTest sessions."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import warehouse_fixture  # noqa: E402

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"


@pytest.fixture(scope="session", autouse=True)
def faults_raise():
    """Faults reach AppTest as exceptions (at.exception), with their traceback, so that a
    test cannot pass over a defect that the app would show readers as a plain message."""
    mp = pytest.MonkeyPatch()
    mp.setenv("DARKFIGURE_DEBUG", "1")
    yield
    mp.undo()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes():
    """Argon2 at its lowest cost for the fixture accounts: tests check rules, not work factor."""
    from argon2 import PasswordHasher

    from darkfigure import auth

    mp = pytest.MonkeyPatch()
    mp.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory) -> warehouse_fixture.FixtureWarehouse:
    """The fixture warehouse, built once per test session (read-only tests share it)."""
    home = tmp_path_factory.mktemp("dashboard") / "home"
    mp = pytest.MonkeyPatch()
    mp.setenv("DARKFIGURE_DEMO", "1")
    mp.setenv("DARKFIGURE_HOME", str(home))
    try:
        return warehouse_fixture.build(home)
    finally:
        mp.undo()


@pytest.fixture
def warehouse(built_warehouse, monkeypatch) -> warehouse_fixture.FixtureWarehouse:
    """The shared fixture warehouse as this installation (do not write to it)."""
    monkeypatch.setenv("DARKFIGURE_DEMO", "1")
    monkeypatch.setenv("DARKFIGURE_HOME", str(built_warehouse.home))
    return built_warehouse


@pytest.fixture
def writable_warehouse(built_warehouse, tmp_path, monkeypatch):
    """A private copy of the fixture warehouse, for tests that write."""
    home = tmp_path / "home"
    shutil.copytree(built_warehouse.home, home)
    monkeypatch.setenv("DARKFIGURE_DEMO", "1")
    monkeypatch.setenv("DARKFIGURE_HOME", str(home))
    return warehouse_fixture.FixtureWarehouse(
        home, built_warehouse.published, built_warehouse.draft_run,
        built_warehouse.draft_estimate, built_warehouse.quarantined,
    )


@pytest.fixture
def signed_in():
    """``signed_in(username)``: an AppTest of the app with that user's session open."""
    from streamlit.testing.v1 import AppTest

    from dashboards import data as da
    from dashboards import ui

    def make(username: str) -> AppTest:
        _, token = da.sign_in(username, warehouse_fixture.PASSWORD)
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.session_state[ui.TOKEN] = token
        return at

    return make
