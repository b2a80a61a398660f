"""Model comparison: the spread between methods as part of the uncertainty (issue 5)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from estimation.capture_table import CaptureTable
from estimation.compare import (
    FAMILY_NOTES,
    Comparison,
    compare_methods,
    comparison_frame,
    family_note,
    method_spread,
)
from estimation.registry import Settings, available

UK_METHODS = ("independence", "aic-stepwise", "bic", "Mt", "dga")


@pytest.fixture(scope="module")
def uk() -> Comparison:
    """Five methods on UKdat_5, fitted once for the module."""
    from estimation.table_io import read_capture_table

    path = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference"
    table = read_capture_table(path / "capture-tables" / "UKdat_5.csv")
    return compare_methods(table, UK_METHODS, Settings(seed=1))


def test_uk_spread_is_the_published_factor_of_two(uk):
    """UKdat_5: the Home Office AIC model gives 11,313 with profile interval about
    [9,889, 13,063] and the best BIC model 22,991 (README of the reference tables; Silverman,
    Chan and Vincent 2024, Table 6): the point estimates span a factor of 2.03, and the
    across-methods range starts at the AIC model's lower bound. Tolerance 0.1%."""
    spread = uk.spread()
    assert set(spread.methods) == set(UK_METHODS) and not spread.excluded
    assert spread.lowest == pytest.approx(11313, rel=1e-3)
    assert spread.highest == pytest.approx(22991, rel=1e-3)
    assert spread.ratio == pytest.approx(22991 / 11313, rel=2e-3)
    assert spread.lower == pytest.approx(9889, rel=1e-3)
    assert spread.upper == max(r.upper for r in uk.results)
    assert spread.lower <= spread.lowest <= spread.highest <= spread.upper
    assert spread.level == 0.95


def test_spread_can_be_restricted_to_some_methods(uk):
    """Pooling only the log-linear selections: independence 13,444 and AIC 11,313 (the
    README's main-effects and Home Office figures), ratio 1.19. Tolerance 0.1%."""
    spread = uk.spread(["independence", "aic-stepwise"])
    assert spread.methods == ("independence", "aic-stepwise")
    assert spread.lowest == pytest.approx(11313, rel=1e-3)
    assert spread.highest == pytest.approx(13444, rel=1e-3)


def test_a_method_with_a_warning_or_no_mle_is_left_out_with_its_reason(reference_table):
    """Korea: dga puts 16% of its posterior on the saturated graph (a warning), so it is not
    pooled; the BIC model {b:c, c:d} (N = 157.17, METHODS.md) and independence (142) are."""
    comparison = compare_methods(
        reference_table("Korea"), ["independence", "bic", "dga"], Settings(seed=1)
    )
    spread = comparison.spread()
    assert spread.methods == ("independence", "bic")
    assert "saturated graph" in spread.excluded["dga"]
    assert spread.highest == pytest.approx(157.17, abs=0.01)
    assert spread.lowest == pytest.approx(142, abs=0.5)
    frame = comparison.to_frame()
    dga = frame.set_index("method").loc["dga"]
    assert dga["status"] == "caution" and not dga["in_range"]


def test_failed_methods_are_listed_in_the_frame_and_the_spread():
    """A two-list table: Chao's model needs three lists and fails plainly; the frame keeps it
    as a failed row with the reason, after the methods that ran."""
    table = CaptureTable(("A", "B"), np.array([30, 20, 10]))
    comparison = compare_methods(table, ["independence", "Mh-chao"])
    assert "3 to 12 lists" in comparison.failed["Mh-chao"]
    frame = comparison.to_frame()
    assert frame["method"].tolist() == ["independence", "Mh-chao"]
    failed = frame.iloc[1]
    assert failed["status"] == "failed" and math.isnan(failed["estimate"])
    assert "3 to 12 lists" in failed["warnings"]
    assert comparison.spread().excluded["Mh-chao"].startswith("failed:")
    # Lincoln-Petersen: 40 x 30 / 10 = 120.
    assert comparison.spread().lowest == pytest.approx(120, rel=1e-6)


def test_frame_is_ready_for_the_dashboard(uk):
    """Fixed columns, float numbers, in_range agreeing with the spread, family filled."""
    frame = uk.to_frame()
    assert list(frame.columns) == [
        "method",
        "family",
        "estimate",
        "lower",
        "upper",
        "level",
        "interval",
        "model",
        "existence",
        "status",
        "in_range",
        "warnings",
        "seconds",
    ]
    for column in ("estimate", "lower", "upper", "seconds"):
        assert pd.api.types.is_float_dtype(frame[column])
    assert frame.loc[frame["in_range"], "method"].tolist() == list(uk.spread().methods)
    assert set(frame["family"]) == {"log-linear", "closed-population", "bayesian"}
    assert (frame["status"] == "sound").all()


def test_no_sound_method_gives_an_empty_spread_and_says_so(reference_table):
    """Ned_5 with stepwise alone: its MLE does not exist (a warning), so nothing is pooled."""
    comparison = compare_methods(reference_table("Ned_5"), ["stepwise"])
    spread = comparison.spread()
    assert not spread.ok and math.isnan(spread.lower) and math.isnan(spread.ratio)
    assert "No method gave a sound estimate" in spread.sentence()
    assert spread.to_dict()["lower"] is None


def test_every_family_has_a_plain_note_and_the_summary_uses_them(uk):
    """Each registered family has a note saying what it assumes and when to trust it."""
    families = {cls.family for cls in available().values()}
    assert families <= set(FAMILY_NOTES)
    for family in families:
        note = family_note(family)
        assert note.startswith("Assumes") and "Trust" in note
    text = uk.summary()
    assert "5 sound methods estimate between 11,313 and 22,991" in text
    assert "2.0 times" in text
    for family in ("log-linear", "closed-population", "bayesian"):
        assert f"{family}: " in text
    assert family_note("astrology") == ""


def test_cli_helpers_keep_their_shape(uk):
    """comparison_frame (the CLI's table) rounds to whole people and marks the pooled rows;
    method_spread gives min/max/ratio and the range; to_dict is JSON-ready."""
    import json

    frame = comparison_frame(uk)
    assert frame.loc[frame["method"] == "aic-stepwise", "N_hat"].item() == 11313
    assert set(frame["in_range"]) == {"yes"}
    spread = method_spread(uk)
    assert spread["min"] == pytest.approx(11313, rel=1e-3) and spread["lower"] < spread["min"]
    payload = json.loads(json.dumps(uk.to_dict()))
    assert payload["spread"]["methods"] == list(UK_METHODS)
    assert set(payload["family_notes"]) == {"log-linear", "closed-population", "bayesian"}
