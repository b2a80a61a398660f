"""Fixtures for pipeline tests: an initialised warehouse and small return files."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from collection.schema import FIELD_NAMES
from darkfigure.settings import Settings

#: A known person whose name and date of birth must never reach the warehouse.
SECRET_GIVEN, SECRET_FAMILY, SECRET_DOB = "Zenobia", "Quillfeather", "1987-06-19"


def row(ref: str, given: str, family: str, dob: str, **extra: str) -> dict[str, str]:
    """One return row with plausible defaults."""
    base = {
        "record_ref": ref, "first_encountered": "2025-02-03", "given_name": given,
        "family_name": family, "date_of_birth": dob, "estimated_age": "", "sex": "female",
        "nationality": "ROU", "exploitation_types": "labour", "age_group": "adult",
        "force_area": "E23000036", "nrm_referred": "yes",
    }
    base.update(extra)
    return base


POLICE_ROWS = [
    row("P-1", SECRET_GIVEN, SECRET_FAMILY, SECRET_DOB),
    row("P-2", "Ion", "Ionescu", "1980-07-15", sex="male"),
    row("P-3", "Minh", "Tran", "2009-01-20", sex="male", nationality="VNM",
        exploitation_types="criminal", age_group="child", force_area="E23000001"),
]
NGO_ROWS = [
    # the same woman, her family name misspelt by the NGO
    row("N-1", SECRET_GIVEN, "Quilfeather", SECRET_DOB, exploitation_types="sexual",
        first_encountered="2025-03-01"),
    row("N-2", "Anna", "Kowalska", "1999-11-11", nationality="POL",
        exploitation_types="domestic_servitude", force_area="E23000001"),
]


def write_return(path: Path, rows: list[dict[str, str]]) -> Path:
    """Write rows as a CSV return with the template's header."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(FIELD_NAMES))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """An initialised warehouse in a temporary DARKFIGURE_HOME (demo key)."""
    from darkfigure.pipeline.setup import init_warehouse

    monkeypatch.setenv("DARKFIGURE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DARKFIGURE_DEMO", "1")
    monkeypatch.delenv("DARKFIGURE_KEY", raising=False)
    found = Settings.from_env()
    init_warehouse(found, actor="test")
    return found


@pytest.fixture
def returns(tmp_path) -> dict[str, Path]:
    """Return files: police and NGO (valid), a police correction, a police file with errors."""
    corrected = [dict(r) for r in POLICE_ROWS]
    corrected[1]["exploitation_types"] = "labour;criminal"
    bad = [dict(r) for r in POLICE_ROWS]
    bad[0]["date_of_birth"] = "1987-13-19"  # no 13th month
    return {
        "police": write_return(tmp_path / "police.csv", POLICE_ROWS),
        "ngo": write_return(tmp_path / "ngo.csv", NGO_ROWS),
        "police_v2": write_return(tmp_path / "police_v2.csv", corrected),
        "police_bad": write_return(tmp_path / "police_bad.csv", bad),
    }


def _snapshot(settings: Settings, *, skip: tuple[str, ...] = ()) -> dict[str, pd.DataFrame]:
    """Every table's content, in a canonical order, for before/after comparisons."""
    from darkfigure.warehouse import connect

    out = {}
    with connect(settings.warehouse_path, read_only=True) as con:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY table_name").fetchall()]
        for name in names:
            if name in skip:
                continue
            frame = con.execute(f'SELECT * FROM "{name}"').df()
            out[name] = frame.astype(str).sort_values(list(frame.columns)).reset_index(drop=True)
    return out


def _assert_same(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> None:
    """Two snapshots are identical, table by table."""
    assert before.keys() == after.keys()
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)


@pytest.fixture
def snapshot():
    """``snapshot(settings, skip=())``: every table's content, canonically ordered."""
    return _snapshot


@pytest.fixture
def assert_same():
    """``assert_same(before, after)``: two snapshots are identical."""
    return _assert_same


@pytest.fixture
def secret() -> dict[str, str]:
    """The known person's identity, which must never reach the warehouse or logs."""
    return {"given": SECRET_GIVEN, "family": SECRET_FAMILY, "dob": SECRET_DOB}


@pytest.fixture
def make_return(tmp_path):
    """``make_return(name, rows)`` writes a CSV return into the test's directory."""
    return lambda name, rows: write_return(tmp_path / name, rows)


@pytest.fixture
def return_row():
    """``return_row(ref, given, family, dob, **fields)``: one return row."""
    return row
