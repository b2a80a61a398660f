"""Capture-table summaries (estimation.summary) and `darkfigure summary`."""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np
import pytest

from darkfigure.cli import main
from estimation.capture_table import CaptureTable
from estimation.summary import (
    capture_frequencies,
    isolated_lists,
    overlap_components,
    overlap_matrix,
    overlap_triangles,
    pairwise_overlaps,
    summarise,
    triple_overlaps,
    zero_cells,
)

#: Two groups of lists that no one links: {A, B, C} and {D, E}; F overlaps nobody.
SPLIT = CaptureTable.from_dict(
    ("A", "B", "C", "D", "E", "F"),
    {"100000": 10, "110000": 3, "011000": 2, "000100": 7, "000110": 1, "000001": 4},
)


def test_korea_overlaps(reference_table):
    """Korea.csv cells (b c d): 001:41, 010:5, 100:5, 110:54, 101:6, 111:12, so
    b&c = 54 + 12, b&d = 6 + 12, c&d = 12, b&c&d = 12; sizes b 77, c 71, d 59."""
    table = reference_table("Korea")
    assert summarise(table).list_sizes == {"b": 77, "c": 71, "d": 59}
    assert pairwise_overlaps(table) == {("b", "c"): 66, ("b", "d"): 18, ("c", "d"): 12}
    assert triple_overlaps(table) == {("b", "c", "d"): 12}
    frame = overlap_matrix(table)
    assert frame["c"]["b"] == frame["b"]["c"] == 66
    assert np.diag(frame.values).tolist() == [77, 71, 59]
    assert zero_cells(table) == ("c+d",)


def test_hare_descriptive_matches_rcapture(reference_table):
    """Rcapture ``descriptive(hare)`` (Rcapture-Ex.Rout.save): f_i = 25 22 13 5 1 2 and
    n_i = 16 28 20 26 23 32."""
    table = reference_table("hare")
    assert list(capture_frequencies(table).values()) == [25, 22, 13, 5, 1, 2]
    assert list(summarise(table).list_sizes.values()) == [16, 28, 20, 26, 23, 32]


def test_hiv_descriptive_matches_rcapture(reference_table):
    """Rcapture ``descriptive(HIV, dfreq=TRUE)``: f_i = 1774 115 7 0, n_i = 466 630 693 236;
    "1774 out of 1896 individuals (94%) appear on one list only"."""
    summ = summarise(reference_table("HIV"))
    assert list(summ.frequencies.values()) == [1774, 115, 7, 0]
    assert list(summ.list_sizes.values()) == [466, 630, 693, 236]
    assert summ.share_single_list == pytest.approx(1774 / 1896)


def test_new_orleans_sparsity(reference_table):
    """NewOrl.csv: 18 of the 28 list pairs never overlap (reference README; Bales, Murphy
    and Silverman 2019), and lists B and F are linked only to each other."""
    summ = summarise(reference_table("NewOrl"))
    assert summ.pairs_without_overlap == 18 and len(summ.pairwise) == 28
    assert ("B", "F") in summ.components
    assert len(summ.components) == 2
    assert summ.cells == 255 and summ.share_zero_cells == len(summ.zero_cells) / 255


def test_components_and_isolated_lists():
    """Connected components of the overlap graph; a list that overlaps nobody stands alone."""
    assert overlap_components(SPLIT) == [("A", "B", "C"), ("D", "E"), ("F",)]
    assert isolated_lists(SPLIT) == ("F",)
    whole = CaptureTable.from_dict(("A", "B", "C"), {"110": 1, "011": 1, "001": 4})
    assert overlap_components(whole) == [("A", "B", "C")]
    assert isolated_lists(whole) == ()


def test_triangles_match_brute_force(reference_table):
    """SparseMSE ``count_triples``: triples of lists whose three pairs all overlap."""
    for name in ("NewOrl", "UKdat", "Western", "Korea"):
        table = reference_table(name)
        pairs = pairwise_overlaps(table)
        brute = sum(
            1
            for a, b, c in combinations(table.lists, 3)
            if pairs[(a, b)] and pairs[(a, c)] and pairs[(b, c)]
        )
        assert overlap_triangles(table) == brute
    assert overlap_triangles(SPLIT) == 0


def test_text_report_warns_about_unconnected_lists():
    """The readable report names the unconnected groups and the isolated list."""
    text = summarise(SPLIT).to_text()
    assert "unconnected groups: A B C; D E; F" in text
    assert "F overlap no other list" in text
    assert "Overlaps" in text
    assert "Overlaps" not in summarise(SPLIT).to_text(matrix=False)


def test_cli_summary_json(capsys, reference_file):
    """`darkfigure summary T.csv --json` prints one JSON object."""
    code = main(["summary", str(reference_file("Korea")), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    payload = json.loads(out)
    assert payload["observed"] == 123
    assert payload["pairwise_overlaps"] == {"b:c": 66, "b:d": 18, "c:d": 12}
    assert payload["overlap_matrix"][0] == [77, 66, 18]
    assert payload["components"] == [["b", "c", "d"]]


def test_cli_summary_text_and_strata(capsys, tmp_path):
    """Readable by default; a stratified file gives one report per stratum."""
    path = tmp_path / "strata.csv"
    path.write_text("year,A,B,count\n2023,1,0,5\n2023,1,1,2\n2024,0,1,4\n2024,1,0,3\n")
    assert main(["summary", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Stratum       year=2023" in out and "Stratum       year=2024" in out
    assert main(["summary", str(path), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [s["stratum"] for s in payload["strata"]] == [{"year": "2023"}, {"year": "2024"}]
    assert payload["strata"][1]["isolated_lists"] == ["A", "B"]


def test_cli_summary_bad_file_is_a_plain_error(capsys, tmp_path):
    """A bad table is reported in one line naming the row, exit code 2."""
    path = tmp_path / "bad.csv"
    path.write_text("A,B,count\n1,0,3\n0,0,2\n")
    assert main(["summary", str(path)]) == 2
    err = capsys.readouterr().err
    assert "row 2" in err and "Traceback" not in err
