"""BCa bootstrap intervals (estimation.intervals.bootstrap)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from estimation.capture_table import CaptureTable
from estimation.intervals import bca_interval, bca_limits
from estimation.intervals.bootstrap import jackknife_acceleration


def chapman(table: CaptureTable) -> float:
    """Chapman's two-list estimator: a closed form, so the bootstrap tests stay fast."""
    c = table.counts  # cells: A only, B only, both
    n1, n2, m = c[0] + c[2], c[1] + c[2], c[2]
    return float((n1 + 1) * (n2 + 1) / (m + 1) - 1)


TWO_LISTS = CaptureTable(("A", "B"), np.array([60, 45, 15]))


def test_bca_limits_type8_percentiles():
    """With no bias (z0 = 0) and a = 0 the BCa limits are plain type-8 percentiles.

    R: ``quantile(1:10, c(0.1, 0.9), type=8)`` = 1.366667, 9.633333 (Hyndman and Fan 1996,
    definition 8).  Tolerance 1e-6.
    """
    reps = np.arange(1.0, 11.0)
    # 5.5 has exactly half the replicates below it, so z0 = 0.
    limits, z0 = bca_limits(reps, 5.5, 0.0, np.array([0.1, 0.9]))
    assert z0 == 0
    assert limits == pytest.approx([1.366667, 9.633333], abs=1e-6)


def test_bca_limits_follow_efron_formula():
    """The adjusted probability is Phi(z0 + (z0 + z_a) / (1 - a (z0 + z_a))) (Efron 1987 eq 2.3)."""
    from scipy.stats import norm

    reps = np.random.default_rng(0).gamma(5, 10, size=4000)
    est, a = 45.0, 0.07
    limits, z0 = bca_limits(reps, est, a, np.array([0.025, 0.975]))
    assert z0 == pytest.approx(norm.ppf(np.mean(reps < est)))
    for q, lim in zip((0.025, 0.975), limits, strict=True):
        zq = norm.ppf(q)
        p = norm.cdf(z0 + (z0 + zq) / (1 - a * (z0 + zq)))
        assert np.mean(reps <= lim) == pytest.approx(p, abs=1e-3)


def test_jackknife_acceleration_equals_person_level_jackknife():
    """Weighting one leave-one-out value per cell by its count equals leaving out each person.

    The textbook jackknife acceleration over the n individuals (Efron 1987 eq 6.6):
    a = sum (mean - theta_i)^3 / (6 (sum (mean - theta_i)^2)^(3/2)).  Tolerance 1e-12.
    """
    counts = TWO_LISTS.counts
    person_values = []
    for cell, count in enumerate(counts):
        for _ in range(count):
            less = counts.copy()
            less[cell] -= 1
            person_values.append(chapman(TWO_LISTS.with_counts(less)))
    theta = np.array(person_values)
    r = theta.mean() - theta
    expected = (r**3).sum() / (6 * ((r**2).sum()) ** 1.5)
    less_one = counts - np.eye(3, dtype=int)
    jack = np.array([chapman(TWO_LISTS.with_counts(row)) for row in less_one])
    assert jackknife_acceleration(counts, jack) == pytest.approx(expected, abs=1e-12)
    result = bca_interval(TWO_LISTS, chapman, B=50, seed=1)
    assert result.acceleration == pytest.approx(expected, abs=1e-12)


def test_bca_interval_is_deterministic_and_brackets_estimate():
    """Same seed, same interval; another seed, other replicates; the interval holds the estimate."""
    a = bca_interval(TWO_LISTS, chapman, B=400, seed=11)
    b = bca_interval(TWO_LISTS, chapman, B=400, seed=11)
    c = bca_interval(TWO_LISTS, chapman, B=400, seed=12)
    assert (a.lower, a.upper) == (b.lower, b.upper)
    np.testing.assert_array_equal(a.replicates, b.replicates)
    assert not np.array_equal(a.replicates, c.replicates)
    assert a.estimate == chapman(TWO_LISTS)
    assert a.lower < a.estimate < a.upper
    assert a.failed == 0 and a.B == 400 and a.level == 0.95


def test_bca_interval_resamples_the_observed_people():
    """Replicates are multinomial resamples of the n people over the observed cells."""
    seen: list[np.ndarray] = []

    def record(table: CaptureTable) -> float:
        seen.append(table.counts.copy())
        return chapman(table)

    bca_interval(TWO_LISTS, record, B=300, seed=5, estimate=chapman(TWO_LISTS))
    draws = np.array(seen[:300])
    assert np.all(draws.sum(axis=1) == TWO_LISTS.n)
    share = draws.mean(axis=0) / TWO_LISTS.n
    assert share == pytest.approx(TWO_LISTS.counts / TWO_LISTS.n, abs=0.02)
    # The jackknife follows: one table per non-empty cell with one person fewer.
    jack = np.array(seen[300:])
    np.testing.assert_array_equal(TWO_LISTS.counts - jack, np.eye(3, dtype=int))


def test_bca_interval_counts_and_excludes_failures():
    """Failing replicates are counted, excluded and the first reason kept."""

    def fragile(table: CaptureTable) -> float:
        if table.counts[2] < 15:
            raise ValueError("overlap too small")
        if table.counts[0] > 68:
            return math.inf
        return chapman(table)

    res = bca_interval(TWO_LISTS, fragile, B=300, seed=2)
    rng = np.random.default_rng(2)
    draws = rng.multinomial(TWO_LISTS.n, TWO_LISTS.counts / TWO_LISTS.n, size=300)
    expected_failed = int(((draws[:, 2] < 15) | (draws[:, 0] > 68)).sum())
    assert (draws[:, 0] > 68).any() and (draws[:, 2] < 15).any()
    assert 0 < res.failed == expected_failed
    assert res.replicates.shape == (300 - expected_failed,)
    assert np.all(np.isfinite(res.replicates))
    assert "overlap too small" in res.first_failure or "non-finite" in res.first_failure
    # The jackknife cell that removes one overlap person fails too.
    assert res.jackknife_failed == 1 and np.isnan(res.jackknife[2])


def test_bca_interval_parallel_matches_serial(reference_table):
    """n_jobs only spreads the work: the interval is identical."""
    from estimation.closed.designs import closed_design
    from estimation.closed.fit import fit_closed

    table = reference_table("Korea")
    d = closed_design(3, "Mt")

    def mt(tab: CaptureTable) -> float:
        return fit_closed(tab, d).estimate

    one = bca_interval(table, mt, B=60, seed=4)
    two = bca_interval(table, mt, B=60, seed=4, n_jobs=2)
    assert (one.lower, one.upper, one.acceleration) == (two.lower, two.upper, two.acceleration)


def test_bca_interval_refuses_a_failing_original_fit():
    """The estimate on the observed table must exist."""
    with pytest.raises(ValueError, match="not finite"):
        bca_interval(TWO_LISTS, lambda t: math.nan, B=10, seed=1)
    with pytest.raises(ValueError):
        bca_interval(TWO_LISTS, chapman, B=0)


@pytest.mark.slow
def test_bca_coverage_chapman_simulation():
    """Coverage of the 90% BCa interval for Chapman's estimator on simulated two-list data.

    N = 600 people, independent capture with p = 0.3 and 0.35; 150 simulated tables,
    B = 400 each.  Expected coverage 0.90; accepted 0.82-0.97 (binomial sd 0.024).
    """
    rng = np.random.default_rng(2024)
    hits = 0
    sims = 150
    for s in range(sims):
        a = rng.random(600) < 0.3
        b = rng.random(600) < 0.35
        table = CaptureTable(("A", "B"), np.array([(a & ~b).sum(), (~a & b).sum(), (a & b).sum()]))
        res = bca_interval(table, chapman, B=400, level=0.9, seed=s)
        hits += res.lower <= 600 <= res.upper
    assert 0.82 <= hits / sims <= 0.97


@pytest.mark.slow
def test_bca_western_stepwise(reference_table):
    """Western US, stepwise (p <= 0.02) with 1,000 BCa replicates re-running the selection.

    Chan, Silverman and Vincent (2021), reference README: N = 2,483, BCa 95% (1,293, 3,670).
    R's random numbers cannot be reproduced, so the bounds are compared to 10%.
    """
    from estimation.registry import available

    if "stepwise" not in available():
        pytest.skip("the stepwise estimator is not registered")
    from estimation.registry import estimate

    table = reference_table("Western")
    result = estimate(table, "stepwise", interval="bootstrap", boot=1000, seed=1)
    assert result.estimate == pytest.approx(2483, abs=1)
    assert result.lower == pytest.approx(1293, rel=0.10)
    assert result.upper == pytest.approx(3670, rel=0.10)
