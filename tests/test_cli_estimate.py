"""The CLI contract of `darkfigure estimate`, `methods` and `compare` (issue 2).

Other tools parse `darkfigure estimate --json`: these tests pin its keys and types.
"""

from __future__ import annotations

import json

import pytest

from darkfigure.cli import main

CONTRACT_KEYS = {
    "method": str,
    "observed": int,
    "estimate": float,
    "lower": (float, type(None)),
    "upper": (float, type(None)),
    "level": float,
    "interval": str,
    "model": list,
    "existence": str,
    "warnings": list,
    "seconds": float,
}


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_estimate_json_contract(capsys, reference_file):
    """`estimate --json` prints one JSON object with the contract keys and types.

    Source of the figure: main effects only on UK 2013 (UKdat_5) gives 13,444
    (../shared/reference/README.md; Silverman, Chan and Vincent 2024). Tolerance 1 person.
    """
    code, out, err = run_cli(
        capsys, "estimate", str(reference_file("UKdat_5")), "--method", "independence", "--json"
    )
    assert code == 0, err
    payload = json.loads(out)
    for key, kind in CONTRACT_KEYS.items():
        assert key in payload, key
        assert isinstance(payload[key], kind), (key, payload[key])
    assert payload["method"] == "independence"
    assert payload["observed"] == 2744
    assert payload["estimate"] == pytest.approx(13444, abs=1)
    assert payload["existence"] == "ok"
    assert payload["model"] == []
    assert payload["lower"] < payload["estimate"] < payload["upper"]


def test_estimate_readable_summary(capsys, reference_file):
    code, out, _ = run_cli(capsys, "estimate", str(reference_file("Korea")), "--method",
                           "independence")
    assert code == 0
    assert "independence" in out
    assert "Observed      123" in out


def test_estimate_unknown_method_is_a_plain_error(capsys, reference_file):
    code, out, err = run_cli(capsys, "estimate", str(reference_file("Korea")), "--method", "nope")
    assert code == 2
    assert "unknown method 'nope'" in err
    assert "Traceback" not in err + out


@pytest.mark.parametrize(
    ("text", "row", "column"),
    [
        ("A,B,count\n1,0,3\n0,0,2\n", "row 2", None),
        ("A,B,count\n1,0,3\n1,2,2\n", "row 2", "column 'B'"),
        ("A,B,count\n1,0,3\n1,1,-2\n", "row 2", "column 'count'"),
        ("A,B,count\n1,0,3\n1,0,2\n", "row 2", None),
        ("A,count\n1,3\n", "row 0", None),
    ],
)
def test_bad_table_names_row_and_exits_2(capsys, tmp_path, text, row, column):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    code, out, err = run_cli(capsys, "estimate", str(path), "--method", "independence")
    assert code == 2
    assert str(path) in err and row in err and "Fix:" in err
    if column:
        assert column in err
    assert "Traceback" not in err + out


def test_missing_file(capsys, tmp_path):
    code, _, err = run_cli(capsys, "estimate", str(tmp_path / "nope.csv"))
    assert code == 2
    assert "file not found" in err


def test_bad_level_is_plain(capsys, reference_file):
    code, _, err = run_cli(capsys, "estimate", str(reference_file("Korea")), "--method",
                           "independence", "--level", "1.5")
    assert code == 2
    assert "level must be between 0 and 1" in err


def test_methods_lists_the_registry(capsys):
    from estimation.registry import available

    code, out, _ = run_cli(capsys, "methods")
    assert code == 0
    for name in available():
        assert name in out
    assert {"independence", "stepwise", "aic-stepwise", "bic"} <= set(available())


def test_compare_json_runs_every_fast_method(capsys, reference_file):
    from estimation.registry import available

    code, out, err = run_cli(capsys, "compare", str(reference_file("Korea")), "--json")
    assert code == 0, err
    payload = json.loads(out)
    fast = {n for n, c in available().items() if not c.slow}
    ran = {r["method"] for r in payload["results"]} | set(payload["failed"])
    assert ran == fast
    for result in payload["results"]:
        assert result["estimate"] is None or result["estimate"] >= 123


def test_stratified_table_gives_one_result_per_stratum(capsys, tmp_path):
    path = tmp_path / "strata.csv"
    path.write_text(
        "year,A,B,count\n2024,1,0,30\n2024,0,1,20\n2024,1,1,10\n"
        "2025,1,0,40\n2025,0,1,25\n2025,1,1,5\n"
    )
    code, out, err = run_cli(capsys, "estimate", str(path), "--method", "independence", "--json")
    assert code == 0, err
    strata = json.loads(out)["strata"]
    assert [s["stratum"] for s in strata] == [{"year": "2024"}, {"year": "2025"}]
    # Two lists, independence: the Lincoln-Petersen estimate n1 * n2 / m.
    assert strata[0]["estimate"] == pytest.approx(40 * 30 / 10, rel=1e-6)
    assert strata[1]["estimate"] == pytest.approx(45 * 30 / 5, rel=1e-6)
