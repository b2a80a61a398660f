"""Properties of the log-linear estimators on random tables (hypothesis).

* Every estimate is at least the number observed, and so is the profile lower bound.
* Reordering a table's lists changes no estimate and no model.
* A large table drawn from a known log-linear model has its true N inside the
  95% profile interval of that model in most of a fixed set of seeds (coverage
  check with a binomial allowance), and the point estimates are close to N.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from estimation.capture_table import CaptureTable, pattern_matrix
from estimation.intervals import profile_interval
from estimation.loglinear.fit import fit_loglinear
from estimation.registry import estimate

METHODS = ("independence", "stepwise", "aic-stepwise", "bic")
LISTS = ("A", "B", "C", "D", "E")


@st.composite
def capture_tables(draw: st.DrawFn) -> CaptureTable:
    """Tables of 3 or 4 lists with sparse-ish counts (about a third of cells empty)."""
    t = draw(st.integers(3, 4))
    cells = 2**t - 1
    counts = draw(
        st.lists(
            st.one_of(st.just(0), st.integers(1, 80)), min_size=cells, max_size=cells
        )
    )
    table = CaptureTable(LISTS[:t], np.array(counts))
    assume(table.n >= 20)
    return table


def _canonical_model(model: tuple[str, ...]) -> set[frozenset[str]]:
    return {frozenset(term.split(":")) for term in model}


def _try(table: CaptureTable, method: str):
    try:
        return estimate(table, method, interval="none")
    except ValueError:
        return None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=capture_tables(), method=st.sampled_from(METHODS))
def test_estimate_is_at_least_observed(table, method):
    """N_hat >= n whenever the method gives an estimate."""
    result = _try(table, method)
    assume(result is not None)
    assert result.estimate >= table.n


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=capture_tables(), method=st.sampled_from(METHODS), seed=st.integers(0, 10_000))
def test_reordering_lists_changes_nothing(table, method, seed):
    """A permutation of the lists gives the same estimate (to 1e-6) and the same model."""
    order = np.random.default_rng(seed).permutation(table.t)
    shuffled = table.reorder([int(i) for i in order])
    first, second = _try(table, method), _try(shuffled, method)
    assert (first is None) == (second is None)
    assume(first is not None)
    assert second.estimate == pytest.approx(first.estimate, rel=1e-6)
    assert _canonical_model(second.model) == _canonical_model(first.model)
    assert second.existence == first.existence


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=capture_tables())
def test_profile_interval_is_above_observed(table):
    """The profile interval of the main-effects model starts at n or above."""
    fit = fit_loglinear(table)
    assume(math.isfinite(fit.estimate))
    prof = profile_interval(fit.design(), table.counts, active=fit.existence.face)
    assert table.n <= prof.lower <= prof.estimate <= prof.upper


def _simulate(seed: int, N: int = 20_000) -> CaptureTable:
    """Four lists, capture probabilities 0.10-0.25 and an A:B dependence (log OR 1.0)."""
    rng = np.random.default_rng(seed)
    pats = np.vstack([np.zeros(4, int), pattern_matrix(4)])
    logit = np.log(np.array([0.10, 0.15, 0.20, 0.25]) / np.array([0.90, 0.85, 0.80, 0.75]))
    eta = pats @ logit + 1.0 * pats[:, 0] * pats[:, 1]
    p = np.exp(eta) / np.exp(eta).sum()
    counts = rng.multinomial(N, p)
    return CaptureTable(("A", "B", "C", "D"), counts[1:])


TRUE_N = 20_000
SEEDS = range(20)


def test_known_model_is_recovered_within_its_profile_interval():
    """The true N is inside the 95% profile interval of the true model {A:B} in at least
    17 of 20 fixed seeds (expected 19; P[X <= 16] < 2% for X ~ Bin(20, 0.95)), and every
    point estimate is within 10% of N."""
    covered = 0
    for seed in SEEDS:
        table = _simulate(seed)
        fit = fit_loglinear(table, ["A:B"])
        prof = profile_interval(fit.design(), table.counts)
        covered += prof.lower <= TRUE_N <= prof.upper
        assert fit.estimate == pytest.approx(TRUE_N, rel=0.10)
    assert covered >= 17


def test_stepwise_finds_the_planted_interaction():
    """On the same simulated tables stepwise picks A:B and lands within 10% of N."""
    for seed in range(5):
        result = estimate(_simulate(seed), "stepwise", interval="none")
        assert "A:B" in result.model
        assert result.estimate == pytest.approx(TRUE_N, rel=0.10)
