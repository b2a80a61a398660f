"""Fixtures shared by the whole suite."""

from __future__ import annotations

import csv
import os
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

os.environ.setdefault("PYTENSOR_FLAGS", "blas__ldflags=-lblas")

from collection.schema import FIELD_NAMES  # noqa: E402

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


# ---- returns: writing and validating small returns (tests/collection, tests/validation)
# Row numbers are file rows as a spreadsheet shows them: header = row 1, so the
# i-th data row (from 0) is row i + 2.

#: The validation date used throughout, so that "future" is reproducible.
TODAY = date(2025, 11, 1)
GIVEN = ("Maria", "Ana", "Elena", "Ioana", "Irina", "Daria", "Sofia", "Alina")
FAMILY = ("Popescu", "Ionescu", "Dumitru", "Stan", "Gheorghe", "Rusu", "Munteanu", "Matei")


def base_row(i: int = 0) -> dict[str, str]:
    """The i-th valid row of a 2025Q3 return: no issue of any rule, unique ref, name and birth."""
    born = date(1960 + i % 30, 1 + i % 12, 1 + i % 28)
    return {
        "record_ref": f"R{i + 1}", "first_encountered": "2025-08-14",
        "given_name": GIVEN[i % len(GIVEN)], "family_name": FAMILY[(i // len(GIVEN)) % len(FAMILY)],
        "date_of_birth": born.isoformat(), "estimated_age": "", "sex": "female",
        "nationality": "ROU", "exploitation_types": "labour", "age_group": "adult",
        "force_area": "E23000001", "nrm_referred": "yes",
    }


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    """Write rows as a CSV return (UTF-8)."""
    header = header or list(FIELD_NAMES)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def rows_from(changes: list[dict[str, str]], start: int = 0) -> list[dict[str, str]]:
    """Base rows updated by ``changes``."""
    return [{**base_row(start + i), **change} for i, change in enumerate(changes)]


def validate_path(path: Path, org: str = "METROPOLITAN", quarter: str = "2025Q3", **kwargs):
    """Read and validate a return on :data:`TODAY`."""
    from collection.parse import read_return
    from validation import validate_return

    kwargs.setdefault("today", TODAY)
    return validate_return(read_return(path), org, quarter, **kwargs)


@pytest.fixture(scope="session")
def kit():
    """The helpers of this module, for module-scoped fixtures."""
    return SimpleNamespace(TODAY=TODAY, base_row=base_row, write_csv=write_csv,
                           rows_from=rows_from, validate=validate_path)


@pytest.fixture
def base():
    """``base(i)``: the i-th valid row of a return."""
    return base_row


@pytest.fixture
def validate():
    """``validate(path, org=..., quarter=..., **kw)`` -> ValidationReport."""
    return validate_path


@pytest.fixture
def make_return(tmp_path):
    """``make_return([{changes}, ...])`` -> path of a CSV with base rows updated by the changes."""
    def make(changes: list[dict[str, str]], name: str = "return.csv") -> Path:
        return write_csv(tmp_path / name, rows_from(changes))

    return make
