"""The warehouse commands end to end: submit, submissions, link, tables, with exit codes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from darkfigure.cli import main
from estimation.table_io import read_capture_tables


def _hold(path, seconds: float) -> subprocess.Popen:
    """A process holding a write connection to ``path`` (returns once it holds it)."""
    code = textwrap.dedent(
        f"""
        import time, duckdb
        con = duckdb.connect({str(path)!r})
        print("locked", flush=True)
        time.sleep({seconds})
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_submit_link_tables(settings, returns, tmp_path, capsys):
    """Exit 0 loaded, 0 duplicate, 1 quarantined, 2 bad arguments; then a capture table."""
    police = ["submit", str(returns["police"]), "--org", "avon-and-somerset",
              "--quarter", "2025Q1", "--actor", "analyst"]
    assert main(police) == 0
    assert "loaded 3 row(s)" in capsys.readouterr().out
    assert main(police) == 0
    assert "already loaded" in capsys.readouterr().out
    assert main(["submit", str(returns["ngo"]), "--org", "SALVATION-ARMY",
                 "--quarter", "2025Q1"]) == 0
    assert main(["submit", str(returns["police_bad"]), "--org", "AVON-AND-SOMERSET",
                 "--quarter", "2025Q2"]) == 1
    assert "quarantined" in capsys.readouterr().out
    assert main(["submit", str(returns["ngo"]), "--org", "SALVATION-ARMY",
                 "--quarter", "2025Q9"]) == 2
    assert "YYYYQn" in capsys.readouterr().err

    assert main(["submissions", "--org", "AVON-AND-SOMERSET"]) == 0
    listing = capsys.readouterr().out
    assert "quarantined" in listing and "loaded" in listing and "analyst" in listing

    assert main(["link", "--period", "2025"]) == 0
    report = capsys.readouterr().out
    assert "Records          5" in report and "Persons          4" in report

    out = tmp_path / "tables.csv"
    assert main(["tables", "--period", "2025", "--by", "age_group", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "left out: LA GO GP NCA" in said
    tables = read_capture_tables(out)
    assert [t.lists for t in tables.values()] == [("NG", "PF")] * 2
    assert {t.label: t.n for t in tables.values()} == {"age_group=child": 1,
                                                       "age_group=adult": 3}


def test_tables_relinks_when_out_of_date(settings, returns, tmp_path, capsys):
    """A new submission after linkage makes `tables` re-link before counting."""
    assert main(["submit", str(returns["police"]), "--org", "AVON-AND-SOMERSET",
                 "--quarter", "2025Q1"]) == 0
    assert main(["link"]) == 0
    assert main(["submit", str(returns["ngo"]), "--org", "SALVATION-ARMY",
                 "--quarter", "2025Q1"]) == 0
    capsys.readouterr()
    assert main(["tables", "--period", "2025Q1", "--out", str(tmp_path / "t.csv")]) == 0
    assert "re-linked" in capsys.readouterr().out
    (table,) = read_capture_tables(tmp_path / "t.csv").values()
    assert table.n == 4
    assert main(["tables", "--period", "2025Q1", "--by", "nonsense",
                 "--out", str(tmp_path / "u.csv")]) == 2


def test_quarter_uses_the_years_linkage(settings, returns, tmp_path, capsys):
    """A current linkage of 2025 serves 2025Q1 without re-linking."""
    assert main(["submit", str(returns["police"]), "--org", "AVON-AND-SOMERSET",
                 "--quarter", "2025Q1"]) == 0
    assert main(["submit", str(returns["ngo"]), "--org", "SALVATION-ARMY",
                 "--quarter", "2025Q1"]) == 0
    assert main(["link", "--period", "2025"]) == 0
    capsys.readouterr()
    assert main(["tables", "--period", "2025Q1", "--out", str(tmp_path / "t.csv")]) == 0
    said = capsys.readouterr().out
    assert "re-linked" not in said and "(linkage run 1)" in said


def test_submit_waits_for_a_busy_warehouse(settings, returns, monkeypatch, capsys):
    """Another process holds the warehouse for 1.5 s: submit waits, then loads."""
    monkeypatch.setenv("DARKFIGURE_LOCK_TIMEOUT", "60")
    holder = _hold(settings.warehouse_path, 1.5)
    try:
        assert main(["submit", str(returns["police"]), "--org", "AVON-AND-SOMERSET",
                     "--quarter", "2025Q1"]) == 0
    finally:
        holder.kill()
        holder.wait()
    assert "loaded 3 row(s)" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["submit", "link"])
def test_busy_warehouse_exit_3(settings, returns, monkeypatch, capsys, command):
    """When the warehouse stays locked: exit 3 and one plain line, no traceback."""
    monkeypatch.setenv("DARKFIGURE_LOCK_TIMEOUT", "0.3")
    holder = _hold(settings.warehouse_path, 120)
    try:
        args = (["submit", str(returns["police"]), "--org", "AVON-AND-SOMERSET",
                 "--quarter", "2025Q1"] if command == "submit" else ["link"])
        assert main(args) == 3
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    assert "warehouse is busy" in err and "Traceback" not in err
