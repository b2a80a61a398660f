"""Fitting one log-linear model: terms, N_hat, information criteria, batched fits.

Numerical checks cite METHODS.md ("Log-linear MSE": the Korea check) and the
definitions AIC = -2 loglik + 2k, BIC = -2 loglik + k log(n observed).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import gammaln

from estimation.capture_table import CaptureTable
from estimation.loglinear.batch import fit_batch
from estimation.loglinear.fit import fit_loglinear
from estimation.loglinear.model_space import PairSpace
from estimation.loglinear.terms import (
    all_pairs,
    canonical_terms,
    column_names,
    full_design,
    parse_term,
    term_name,
)


def test_korea_bc_cd_matches_methods_check(reference_table):
    """METHODS.md: Korea model {b:c, c:d} gives N_hat = 157.17 and BIC = 57.141.

    Tolerances: N_hat 0.005 people, BIC 0.001 (the printed precision).
    """
    fit = fit_loglinear(reference_table("Korea"), ["b:c", "c:d"])
    assert fit.estimate == pytest.approx(157.17, abs=0.005)
    assert fit.bic == pytest.approx(57.141, abs=0.001)


def test_korea_bc_matches_methods_check(reference_table):
    """METHODS.md: Korea model {b:c} gives N_hat = 268.78 and BIC = 58.969 (same tolerances)."""
    fit = fit_loglinear(reference_table("Korea"), ["b:c"])
    assert fit.estimate == pytest.approx(268.78, abs=0.005)
    assert fit.bic == pytest.approx(58.969, abs=0.001)


def test_information_criteria_follow_their_definitions(reference_table):
    """AIC, BIC, deviance and loglik agree with their formulas on the fitted means."""
    table = reference_table("UKdat_5")
    fit = fit_loglinear(table, ["LA:NG", "NG:GP"])
    y, mu = table.counts.astype(float), fit.mu
    loglik = float(np.sum(y * np.log(mu) - mu - gammaln(y + 1)))
    assert fit.loglik == pytest.approx(loglik, rel=1e-12)
    assert fit.k == 1 + 5 + 2
    assert fit.aic == pytest.approx(-2 * loglik + 2 * 8, rel=1e-12)
    assert fit.bic == pytest.approx(-2 * loglik + 8 * math.log(table.n), rel=1e-12)
    assert fit.df == 31 - 8
    assert fit.estimate == pytest.approx(table.n + math.exp(fit.coef["(Intercept)"]), rel=1e-12)
    # The Poisson score equations: fitted margins equal observed margins.
    X = full_design(5, fit.terms)[1:]
    np.testing.assert_allclose(X.T @ mu, X.T @ y, rtol=1e-8)


def test_terms_are_named_in_list_order_and_closed_hierarchically():
    """``C:A`` is named ``A:C``; a three-way term brings its three pairs."""
    lists = ("A", "B", "C")
    assert term_name(lists, parse_term(lists, "C:A")) == "A:C"
    assert parse_term(lists, ("B", "A")) == (0, 1) == parse_term(lists, (1, 0))
    closed = canonical_terms(lists, ["A:B:C"])
    assert [term_name(lists, t) for t in closed] == ["A:B", "A:C", "B:C", "A:B:C"]
    assert column_names(lists, closed)[:4] == ("(Intercept)", "A", "B", "C")


def test_profile_design_puts_the_unobserved_cell_first():
    """Row 0 of the full design is the all-absent cell: intercept only."""
    X = full_design(3, all_pairs(3))
    assert X.shape == (8, 7)
    assert X[0].tolist() == [1, 0, 0, 0, 0, 0, 0]
    assert X[1 + 6].tolist() == [1, 1, 1, 1, 1, 1, 1]  # cell 6 is A+B+C


def test_three_way_model_fits(reference_table):
    """A model with a three-way term fits and counts all of its parameters."""
    table = reference_table("UKdat_5")
    fit = fit_loglinear(table, ["LA:NG:PFNCA"])
    assert fit.k == 1 + 5 + 3 + 1
    assert fit.term_names == ("LA:NG", "LA:PFNCA", "NG:PFNCA", "LA:NG:PFNCA")
    assert fit.converged and fit.estimate > table.n


def test_coefficient_table_has_wald_statistics(reference_table):
    """Every parameter gets an estimate, SE, z and p; a -inf one gets p = 1."""
    table = reference_table("UKdat_5")
    fit = fit_loglinear(table, ["LA:NG", "LA:GP"])  # LA and GP never overlap
    rows = {r["term"]: r for r in fit.coefficient_table()}
    assert rows["LA:GP"]["estimate"] == -np.inf and rows["LA:GP"]["p"] == 1.0
    assert 0 < rows["LA:NG"]["p"] < 1e-6 and rows["LA:NG"]["se"] > 0
    assert rows["LA:NG"]["z"] == pytest.approx(rows["LA:NG"]["estimate"] / rows["LA:NG"]["se"])


@pytest.mark.parametrize("name", ["UKdat_5", "Western", "NewOrl_5"])
def test_batched_fits_equal_single_fits(reference_table, name):
    """The vectorised Newton over many models gives the single-model fit (to 1e-8)."""
    table = reference_table(name)
    space = PairSpace(table)
    models = np.array([0, 1, 5, 37, 300, 511, 1023], np.int64)
    fits = space.fit(models)
    for m, ll, est, ok in zip(
        models, fits.neg2loglik, fits.estimate, fits.admissible, strict=True
    ):
        single = fit_loglinear(table, space.names(int(m)))
        assert -2 * single.loglik == pytest.approx(ll, abs=1e-8)
        if ok:
            assert est == pytest.approx(single.estimate, rel=1e-8)


def test_batch_handles_one_and_many_models_alike(reference_table):
    """The one-model fast path and the batched path agree."""
    table = reference_table("UKdat_5")
    space = PairSpace(table)
    cols, cells = space.masks(np.array([37, 37], np.int64))
    two = fit_batch(space.X, space.y, cols, cells)
    one = fit_batch(space.X, space.y, cols[:1], cells[:1])
    assert one.loglik[0] == pytest.approx(two.loglik[0], abs=1e-9)
    np.testing.assert_allclose(one.coef[0], two.coef[0], atol=1e-7)
    assert one.converged[0] and two.converged.all()


def test_fit_of_a_tiny_table():
    """Three lists, every cell observed: the full two-way model is identifiable."""
    table = CaptureTable.from_dict(
        ["A", "B", "C"],
        {"100": 20, "010": 15, "110": 6, "001": 12, "101": 4, "011": 3, "111": 2},
    )
    fit = fit_loglinear(table, ["A:B", "A:C", "B:C"])
    assert fit.status == "ok" and fit.df == 0
    # Saturated in the observed cells: the fit reproduces the counts.
    np.testing.assert_allclose(fit.mu, table.counts, rtol=1e-8)
