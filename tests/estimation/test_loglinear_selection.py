"""Model selection: Poisson p-value stepwise, AIC stepwise, BIC search.

The published selections are in test_published_figures.py; here the rules
themselves are checked (SparseMSE ``stepwisefit`` p-value, METHODS.md "Model
selection"), and the branch-and-bound BIC search against brute force.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import poisson

from estimation.loglinear.bic_search import search_bic
from estimation.loglinear.fit import fit_loglinear
from estimation.loglinear.model_space import PairSpace
from estimation.loglinear.selection import aic_stepwise, overlap_p_values, stepwise
from estimation.loglinear.terms import term_name


def brute_force_ranking(table, top):
    """Fit every two-way model and rank the admissible ones by BIC."""
    space = PairSpace(table)
    models = np.arange(1 << space.n_pairs)
    fits = space.fit(models)
    bic = fits.neg2loglik + space.n_params(models) * math.log(table.n)
    bic = np.where(fits.admissible, bic, np.inf)
    order = np.argsort(bic, kind="stable")[:top]
    return [(space.names(int(m)), bic[m]) for m in order if np.isfinite(bic[m])]


def test_overlap_p_value_is_the_smaller_poisson_tail():
    """``p = min(P[X <= n*], P[X >= n*])``, X ~ Poisson(mu*) (SparseMSE ``stepwisefit``)."""
    n_star = np.array([0, 3, 12, 40])
    mu_star = np.array([2.5, 3.1, 4.0, 55.0])
    expected = [
        min(poisson.cdf(k, m), poisson.sf(k - 1, m)) for k, m in zip(n_star, mu_star, strict=True)
    ]
    np.testing.assert_allclose(overlap_p_values(n_star, mu_star), expected, rtol=1e-12)


def test_stepwise_path_reports_each_decision(reference_table):
    """Every step's p-value is below the threshold and recomputes from the previous fit."""
    table = reference_table("UKdat_5")
    sel = stepwise(table)
    assert sel.path and all(step["p_value"] < 0.02 for step in sel.path)
    # Step 1 from the main-effects fit: recompute the chosen pair's p-value.
    first = sel.path[0]
    main = fit_loglinear(table, [])
    i, j = (table.lists.index(x) for x in first["added"].split(":"))
    on_both = (table.patterns[:, i] == 1) & (table.patterns[:, j] == 1)
    mu_star = main.mu[on_both].sum()
    n_star = table.counts[on_both].sum()
    assert first["fitted_overlap"] == pytest.approx(mu_star, rel=1e-8)
    assert first["p_value"] == pytest.approx(
        min(poisson.cdf(n_star, mu_star), poisson.sf(n_star - 1, mu_star)), rel=1e-8
    )
    assert "p < 0.02" in sel.stop


def test_stepwise_threshold_zero_gives_main_effects(reference_table):
    """With threshold 0 nothing can enter (SparseMSE ``pthresh = 0``)."""
    table = reference_table("UKdat_5")
    sel = stepwise(table, threshold=0.0)
    assert sel.terms == () and sel.estimate == pytest.approx(fit_loglinear(table).estimate)


def test_stepwise_lets_an_empty_pair_enter():
    """Chan, Silverman and Vincent (2021): a pair with no overlap can enter at -inf.

    Two big lists that would overlap by about 50 under independence but never
    do: the p-value exp(-mu*) is tiny, the pair enters, its cells fit as zero.
    """
    from estimation.capture_table import CaptureTable

    table = CaptureTable.from_dict(
        ["A", "B", "C"],
        {"100": 300, "010": 300, "001": 200, "101": 60, "011": 60},
    )
    sel = stepwise(table)
    names = [term_name(table.lists, t) for t in sel.terms]
    assert "A:B" in names
    assert sel.path[names.index("A:B")]["observed_overlap"] == 0


def test_stepwise_skips_inadmissible_models(reference_table):
    """Artificial_3: A:B would make the MLE not exist, so it is passed over with a reason."""
    sel = stepwise(reference_table("Artificial_3"))
    assert "A:B" in sel.skipped and "does not exist" in sel.skipped["A:B"]


def test_aic_stepwise_each_step_lowers_aic(reference_table):
    """Every accepted step lowers AIC and has Wald p <= 0.05 (Home Office 2014 rule)."""
    sel = aic_stepwise(reference_table("UKdat_5"))
    assert all(step["AIC_change"] < 0 and step["wald_p"] <= 0.05 for step in sel.path)
    aics = [step["AIC"] for step in sel.path]
    assert aics == sorted(aics, reverse=True)


@pytest.mark.parametrize("name", ["UKdat_5", "Western", "Korea", "Artificial_3", "NewOrl_5"])
def test_branch_and_bound_ranking_equals_brute_force(reference_table, name):
    """The pruned search returns exactly the top 20 of a full enumeration (BIC to 1e-8)."""
    table = reference_table(name)
    result = search_bic(table, top=20)
    expected = brute_force_ranking(table, 20)
    assert [m.terms for m in result.ranking] == [terms for terms, _ in expected]
    np.testing.assert_allclose([m.bic for m in result.ranking], [b for _, b in expected], atol=1e-8)
    assert result.models_fitted <= result.models_total


@pytest.mark.slow
@pytest.mark.parametrize("name", ["UKdat", "Ned", "hare"])
def test_branch_and_bound_equals_brute_force_on_six_lists(reference_table, name):
    """Six lists: the top 100 of all 32,768 models agree with brute force (BIC to 1e-8)."""
    table = reference_table(name)
    result = search_bic(table, top=100)
    expected = brute_force_ranking(table, 100)
    assert [m.terms for m in result.ranking] == [terms for terms, _ in expected]


def test_branch_and_bound_prunes_on_six_lists(reference_table):
    """UKdat (6 lists): the exact top 20 needs far fewer than the 32,768 fits."""
    result = search_bic(reference_table("UKdat"), top=20)
    assert result.search == "exhaustive" and result.models_total == 32768
    assert result.models_fitted < 5000


def test_downhill_ends_at_a_local_minimum(reference_table):
    """NewOrl (8 lists): no neighbour (one pair added or removed) has lower BIC."""
    table = reference_table("NewOrl")
    result = search_bic(table)
    assert result.search == "downhill"
    space = PairSpace(table)
    chosen = sum(
        1 << k for k, p in enumerate(space.pairs)
        if term_name(table.lists, p) in result.best.terms
    )
    neighbours = np.array([chosen ^ (1 << k) for k in range(space.n_pairs)], np.int64)
    fits = space.fit(neighbours)
    bic = fits.neg2loglik + space.n_params(neighbours) * math.log(table.n)
    assert np.all(bic[fits.admissible] >= result.best.bic - 1e-9)


#: Twelve people on six lists, nearly every pattern empty: almost every two-way model
#: fails the quick rank test and needs the linear-programming existence check.
SPARSE_SIX = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1,
              0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0,
              0, 0, 0, 0, 0, 1, 0, 0, 0]


def test_very_sparse_six_lists_fall_back_to_downhill_with_a_warning():
    """The exact search needed 7,915 fits and 7,000 linear programs (two minutes) on this
    table; past CHECK_BUDGET existence checks it gives way to the downhill search and
    says so, and the estimator carries that sentence as a warning."""
    from estimation.capture_table import CaptureTable
    from estimation.loglinear.bic_search import CHECK_BUDGET, _downhill
    from estimation.registry import estimate

    table = CaptureTable(tuple("ABCDEF"), np.array(SPARSE_SIX))
    result = search_bic(table)
    assert result.search == "downhill" and "downhill" in result.note
    assert result.models_fitted < 2000
    downhill_only = _downhill(PairSpace(table), 20)
    assert result.best.terms == downhill_only.best.terms
    res = estimate(table, "bic", interval="none")
    assert any("search over all 32,768 models was stopped" in w for w in res.warnings)
    assert res.estimate >= table.n and CHECK_BUDGET >= 100
