"""Simulation study: scenarios, replicates, summary, Dask execution and the recorded table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from darkfigure.cli import main
from darkfigure.study import SCENARIOS, LatentClass, Scenario, store, summarise
from darkfigure.study.execution import dask_client, run_on_dask, run_serial
from darkfigure.study.report import SUMMARY_ONLY, record


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_pattern_probabilities_are_a_distribution(name):
    p = SCENARIOS[name].pattern_probabilities()
    assert p.shape == (2 ** len(SCENARIOS[name].lists),)
    assert np.all(p >= 0) and math.isclose(p.sum(), 1.0, rel_tol=1e-12)


def test_independent_lists_miss_people_with_the_product_probability():
    scen = SCENARIOS["independent"]
    probs = np.array(scen.classes[0].probs)
    assert math.isclose(scen.p_observed, 1 - np.prod(1 - probs), rel_tol=1e-12)


def test_a_referral_is_a_two_way_interaction_with_odds_ratio_exp_boost():
    """P(B | A) = sigmoid(logit p_B + b * A) gives the A-B odds ratio exp(b) exactly."""
    scen = Scenario("t", "t", 100, ("A", "B", "C"),
                    (LatentClass(1.0, (0.2, 0.3, 0.4), {(0, 1): 0.8}),))
    p = scen.pattern_probabilities()
    bits = np.arange(8)
    cell = {(a, b): p[((bits & 1) == a) & (((bits >> 1) & 1) == b)].sum()
            for a in (0, 1) for b in (0, 1)}
    odds_ratio = cell[1, 1] * cell[0, 0] / (cell[1, 0] * cell[0, 1])
    assert math.isclose(odds_ratio, math.exp(0.8), rel_tol=1e-12)
    with pytest.raises(ValueError, match="earlier list"):
        LatentClass(1.0, (0.2, 0.3), {(1, 0): 1.0})


def test_draw_is_deterministic_for_a_seed():
    scen = SCENARIOS["sparse-many-lists"]
    a = scen.draw(np.random.default_rng(5))
    b = scen.draw(np.random.default_rng(5))
    assert a == b and a.t == 8 and 0 < a.n < scen.N


def test_summary_figures_by_hand():
    rows = [
        {"rep": 0, "method": "m", "N": 100, "observed": 50, "estimate": 110.0, "lower": 90.0,
         "upper": 130.0, "seconds": 1.0, "error": ""},
        {"rep": 1, "method": "m", "N": 100, "observed": 50, "estimate": 80.0, "lower": 70.0,
         "upper": 95.0, "seconds": 3.0, "error": ""},
        {"rep": 2, "method": "m", "N": 100, "observed": 50, "estimate": math.nan,
         "lower": math.nan, "upper": math.nan, "seconds": 2.0, "error": "ValueError: x"},
    ]
    out = summarise(rows).iloc[0]
    assert out["reps"] == 3 and out["failed"] == 1
    assert out["bias"] == pytest.approx(-5.0)
    assert out["rel_rmse_pct"] == pytest.approx(100 * math.sqrt((10**2 + 20**2) / 2) / 100)
    assert out["coverage_pct"] == pytest.approx(50.0)
    assert out["mean_width_pct"] == pytest.approx((40 + 25) / 2)
    assert out["median_seconds"] == pytest.approx(2.0)


def test_independence_model_recovers_n_when_lists_are_independent():
    """Mt/independence is the true model of the `independent` scenario: unbiased within 3%
    and its profile interval covers N in at least 80% of 40 replicates (nominal 95%)."""
    out = summarise(run_serial("independent", ["independence"], 40, seed=11)).iloc[0]
    assert out["failed"] == 0
    assert abs(out["rel_bias_pct"]) < 3.0
    assert out["coverage_pct"] >= 80.0


def test_independence_model_underestimates_under_heterogeneity():
    """Unobserved heterogeneity makes lists positively dependent: the independence
    model must underestimate (a known result; Chao 1987)."""
    out = summarise(run_serial("heterogeneity", ["independence"], 10, seed=3)).iloc[0]
    assert out["rel_bias_pct"] < -15.0


def test_dask_gives_the_same_rows_as_a_serial_run():
    serial = run_serial("independent", ["independence"], 4, seed=2)
    with dask_client(workers=2) as client:
        dask = run_on_dask(client, "independent", ["independence"], 4, seed=2, chunk=1)
    keep = ["rep", "method", "observed", "estimate", "lower", "upper", "error"]
    pd.testing.assert_frame_equal(pd.DataFrame(serial)[keep], pd.DataFrame(dask)[keep])


def test_record_keeps_summary_only_rows_and_rebuilds_the_others(tmp_path):
    """A summary-only row (a study that kept no replicates, as before study_reps/)
    stays as it was; methods with replicates are summarised from all of them."""
    scen = SCENARIOS["independent"]
    legacy = summarise(run_serial("independent", ["Mt"], 3, seed=1))
    record(scen, "darkfigure study ...", tmp_path, summary=legacy, seed=1)
    rows = run_serial("independent", ["independence"], 4, seed=2)
    store.append(tmp_path, rows[:1], 2, store.settings_key(None), "abc1234")
    store.append(tmp_path, rows[1:], 2, store.settings_key(None), "def5678")
    csv_path, md_path = record(scen, "darkfigure study --method independence", tmp_path)
    table = pd.read_csv(csv_path).set_index("method")
    assert table.loc["Mt", "reps"] == 3 and table.loc["Mt", "settings"] == SUMMARY_ONLY
    assert table.loc["independence", "reps"] == 4
    assert table.loc["independence", "code"] == "abc1234 (1 reps), def5678 (3 reps)"
    assert table.loc["independence", "bias"] == pytest.approx(
        summarise(rows).iloc[0]["bias"], rel=1e-12)
    text = md_path.read_text()
    assert "| Mt | 3 |" in text and "| independence | 4 |" in text
    assert scen.describe() in text and "summary only" in text
    # Each method's row names the command that made it.
    assert "- `darkfigure study ...`: Mt" in text
    assert "- `darkfigure study --method independence`: independence" in text


def test_cli_lists_scenarios_and_refuses_unknown_ones(capsys):
    assert main(["study", "--list-scenarios"]) == 0
    assert "sparse-many-lists" in capsys.readouterr().out
    assert main(["study", "--scenario", "nope", "--reps", "1"]) == 2
    assert "unknown scenario 'nope'" in capsys.readouterr().err
