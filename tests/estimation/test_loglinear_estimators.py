"""The registered log-linear estimators: registry, settings, intervals, diagnostics."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from estimation.capture_table import CaptureTable
from estimation.registry import Settings, available, estimate, get

NAMES = ("independence", "stepwise", "aic-stepwise", "bic")


def test_methods_are_registered_as_log_linear():
    """The four public method names are in the registry, family "log-linear"."""
    registry = available()
    for name in NAMES:
        assert registry[name].family == "log-linear"
        assert registry[name].title and registry[name].reference


def test_bic_diagnostics_carry_the_ranking(reference_table):
    """``diagnostics["ranking"]``: top models with terms, N_hat and BIC, in BIC order."""
    result = estimate(reference_table("UKdat_5"), "bic", interval="none", options={"top": 5})
    ranking = result.diagnostics["ranking"]
    assert len(ranking) == 5
    assert [r["rank"] for r in ranking] == [1, 2, 3, 4, 5]
    bics = [r["BIC"] for r in ranking]
    assert bics == sorted(bics)
    assert ranking[0]["N_hat"] == pytest.approx(result.estimate)
    assert ranking[0]["BIC"] == pytest.approx(result.diagnostics["BIC"])
    assert result.diagnostics["models_total"] == 1024


def test_every_fit_reports_its_diagnostics(reference_table):
    """Deviance, df, AIC, BIC, loglik, coefficients with SE and the selection path."""
    result = estimate(reference_table("UKdat_5"), "stepwise", interval="none")
    d = result.diagnostics
    for key in ("deviance", "df", "AIC", "BIC", "loglik", "coefficients", "selection_path"):
        assert key in d
    terms = {row["term"] for row in d["coefficients"]}
    assert set(result.model) <= terms and "(Intercept)" in terms
    assert all(row["se"] > 0 for row in d["coefficients"])
    assert len(d["selection_path"]) == len(result.model)
    json.loads(result.to_json())  # the CLI's --json must serialise it


def test_profile_interval_and_its_maximiser(reference_table):
    """The profile maximiser sits a little below the Poisson N_hat (METHODS.md)."""
    result = estimate(reference_table("Korea"), "bic", interval="profile")
    prof = result.diagnostics["profile"]
    assert result.lower < prof["N_max"] < result.estimate < result.upper
    assert result.estimate - prof["N_max"] < 0.05 * result.estimate


def test_bootstrap_is_reproducible_and_brackets_the_estimate(reference_table):
    """Same seed, same BCa interval; replicates are returned as draws."""
    table = reference_table("Western")
    a = estimate(table, "stepwise", interval="bootstrap", boot=60, seed=7)
    b = estimate(table, "stepwise", interval="bootstrap", boot=60, seed=7)
    assert a.interval == "bootstrap-bca"
    assert (a.lower, a.upper) == (b.lower, b.upper)
    assert a.lower < a.estimate < a.upper
    assert a.draws is not None and len(a.draws) == 60
    assert a.diagnostics["bootstrap"]["failed"] == 0


def test_bic_bootstrap_uses_the_top_models(reference_table):
    """Silverman, Chan and Vincent (2024): replicates search the original top models."""
    result = estimate(reference_table("Korea"), "bic", interval="bootstrap", boot=40, seed=3)
    assert result.diagnostics["bootstrap_models"] <= 8
    assert math.isfinite(result.lower) and math.isfinite(result.upper)


def test_stepwise_threshold_option(reference_table):
    """``options={"threshold": 0}`` leaves main effects only."""
    table = reference_table("UKdat_5")
    result = estimate(table, "stepwise", interval="none", options={"threshold": 0.0})
    assert result.model == ()
    assert result.estimate == pytest.approx(13444, abs=1)


@pytest.mark.parametrize("name", NAMES)
def test_unidentifiable_table_is_a_plain_error(name):
    """Two lists that never overlap: N cannot be estimated; a ValueError says why."""
    table = CaptureTable.from_dict(["A", "B"], {"10": 30, "01": 20})
    with pytest.raises(ValueError, match="cannot be estimated|identifiable"):
        get(name)(table, Settings(interval="none")).fit()


def test_empty_pair_in_the_chosen_model_is_reported(reference_table):
    """Ned_5: stepwise takes the empty pair K:R; the result says so in its warnings."""
    result = estimate(reference_table("Ned_5"), "stepwise", interval="none")
    assert "K:R" in result.model
    assert result.existence == "mle-does-not-exist"
    assert any("K:R" in w and "minus infinity" in w for w in result.warnings)
    assert "K:R" in result.diagnostics["minus_infinity"]


def test_estimates_do_not_depend_on_the_interval(reference_table):
    """The point estimate is the same with every interval setting."""
    table = reference_table("Western")
    values = {estimate(table, "aic-stepwise", interval=i, boot=20, seed=1).estimate
              for i in ("none", "profile", "bootstrap")}
    assert len({round(v, 9) for v in values}) == 1
    assert np.isfinite(list(values)[0])
