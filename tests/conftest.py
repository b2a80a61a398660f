"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("PYTENSOR_FLAGS", "blas__ldflags=-lblas")

REPO = Path(__file__).resolve().parents[1]
#: Published capture tables and results (tests may read ../shared; the product may not).
SHARED_TABLES = REPO.parent / "shared" / "reference" / "capture-tables"
DATA_TABLES = REPO / "data" / "capture_tables"


def reference_path(name: str) -> Path:
    """Path of a reference capture table, e.g. ``reference_path("UKdat_5")``."""
    path = SHARED_TABLES / f"{name}.csv"
    if not path.exists():
        pytest.fail(f"reference table {path} is missing: the suite needs ../shared beside the repo")
    return path


@pytest.fixture
def reference_table():
    """Load a reference capture table by name: ``reference_table("Korea")``."""
    from estimation.table_io import read_capture_table

    return lambda name: read_capture_table(reference_path(name))


@pytest.fixture
def darkfigure_home(tmp_path, monkeypatch):
    """An empty DARKFIGURE_HOME in demo mode, isolated per test."""
    home = tmp_path / "home"
    monkeypatch.setenv("DARKFIGURE_HOME", str(home))
    monkeypatch.setenv("DARKFIGURE_DEMO", "1")
    return home


@pytest.fixture
def reference_file():
    """Path of a reference capture table by name: ``reference_file("UKdat_5")``."""
    return reference_path
