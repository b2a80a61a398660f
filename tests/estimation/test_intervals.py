"""Profile-likelihood and BCa bootstrap intervals (estimation.intervals)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import chi2

from estimation.capture_table import CaptureTable, pattern_matrix
from estimation.intervals import (
    bca_interval,
    bca_limits,
    constrained_poisson_fit,
    profile_interval,
)
from estimation.intervals.bootstrap import jackknife_acceleration


def all_cells(t: int) -> np.ndarray:
    """Patterns of all 2**t cells, the all-absent one first."""
    return np.vstack([np.zeros((1, t), int), pattern_matrix(t)])


def design(t: int, pairs: list[tuple[int, int]]) -> np.ndarray:
    """Intercept, main effects and the given two-list interactions, over all cells."""
    P = all_cells(t)
    cols = [np.ones(2**t), *(P[:, j] for j in range(t)), *(P[:, i] * P[:, j] for i, j in pairs)]
    return np.column_stack(cols).astype(float)


def rcapture_table(t: int, counts: list[int]) -> CaptureTable:
    """A table given in Rcapture's ``histpos.t(t)`` order (111..1 first, c1 the high bit)."""
    codes = np.arange(2**t - 1, 0, -1)
    hist = (codes[:, None] >> np.arange(t - 1, -1, -1)) & 1
    return CaptureTable.from_patterns([f"c{j + 1}" for j in range(t)], hist, counts)


#: Cormack, Chang and Smith (2000) Table 3b, as in Rcapture inst/tests/testPapersResults.R.
CORMACK_3B = [72, 5, 29, 54, 24, 3, 14]
#: Cormack, Chang and Smith (2000) Table 3a (four lists).
CORMACK_3A = [72, 5, 29, 53, 24, 3, 12, 14, 0, 0, 0, 1, 0, 0, 2]


# ---------------------------------------------------------------- profile likelihood
def test_profile_uk_home_office_model(reference_table):
    """UKdat_5 with the Home Office model (LA:NG, NG:GP, PFNCA:GP, LA:PFNCA, GO:GP, NG:GO).

    Reference README: N = 11,313, 95% profile-likelihood interval about [9,889, 13,063]
    (Home Office 2014; Bales, Hesketh and Silverman 2015).  Tolerance: 1 person on the
    bounds, 0.5 on the Poisson estimate.
    """
    table = reference_table("UKdat_5")
    names = table.lists
    pairs = [
        ("LA", "NG"), ("NG", "GP"), ("PFNCA", "GP"), ("LA", "PFNCA"), ("GO", "GP"), ("NG", "GO")
    ]
    X = design(table.t, [(names.index(a), names.index(b)) for a, b in pairs])
    prof = profile_interval(X, table.counts)
    assert prof.poisson_estimate == pytest.approx(11313, abs=0.5)
    assert prof.lower == pytest.approx(9889, abs=1)
    assert prof.upper == pytest.approx(13063, abs=1)
    # The multinomial maximiser lies a little below the Poisson estimate.
    assert table.n < prof.estimate < prof.poisson_estimate
    assert prof.poisson_estimate - prof.estimate < 20
    assert prof.level == 0.95 and prof.bounded


def test_profile_hiv_interaction_model(reference_table):
    """HIV, model Mt + [1,2] interaction.

    Rcapture ``closedpCI.t(HIV, dfreq=TRUE, mX= ~ . + c1:c2)``, output in Rcapture's
    tests/Examples/Rcapture-Ex.Rout.save: abundance 12318.5, multinomial 12308,
    InfCL 10266, SupCL 14992.3.  Tolerance 0.5.
    """
    table = reference_table("HIV")
    prof = profile_interval(design(4, [(0, 1)]), table.counts)
    assert prof.poisson_estimate == pytest.approx(12318.5, abs=0.05)
    assert prof.estimate == pytest.approx(12308, abs=0.5)
    assert prof.lower == pytest.approx(10266, abs=0.5)
    assert prof.upper == pytest.approx(14992.3, abs=0.5)


def test_profile_hiv_all_two_way(reference_table):
    """HIV, all two-way interactions.

    Rcapture ``closedpCI.t(HIV, dfreq=TRUE, mX= ~ (c1+c2+c3+c4)^2)`` (Rcapture-Ex.Rout.save):
    abundance 23443.5, multinomial 23269.8, InfCL 10027.6, SupCL 50046.3.  Tolerance 0.5.
    """
    table = reference_table("HIV")
    prof = profile_interval(design(4, list(itertools.combinations(range(4), 2))), table.counts)
    assert prof.poisson_estimate == pytest.approx(23443.5, abs=0.05)
    assert prof.estimate == pytest.approx(23269.8, abs=0.5)
    assert prof.lower == pytest.approx(10027.6, abs=0.5)
    assert prof.upper == pytest.approx(50046.3, abs=0.5)


@pytest.mark.parametrize(
    ("pairs", "poisson", "lower"),
    [([(1, 2)], None, 210), ([(0, 2), (1, 2)], 233, 204)],
)
def test_profile_cormack_table_3b(pairs, poisson, lower):
    """Cormack, Chang and Smith (2000) Table 3b, as checked by Rcapture's testPapersResults.R.

    ``closedpCI.t(cor.dat3, dfreq=TRUE, mX= ~ . + c2:c3)``: round(InfCL) = 210;
    ``mX= ~ . + c1:c3 + c2:c3``: round(abundance) = 233, round(InfCL) = 204.
    Tolerance: equal after rounding to the person.
    """
    table = rcapture_table(3, CORMACK_3B)
    prof = profile_interval(design(3, pairs), table.counts)
    if poisson is not None:
        assert round(prof.poisson_estimate) == poisson
    assert round(prof.lower) == lower


def test_profile_bounds_sit_on_the_cutoff(reference_table):
    """At both bounds 2 (l_max - l(N)) equals chi2_1(level) (to 1e-6), and l_max is the maximum."""
    table = reference_table("HIV")
    X = design(4, [(0, 1)])
    for level in (0.8, 0.95, 0.99):
        prof = profile_interval(X, table.counts, level=level)
        cut = chi2.ppf(level, 1)
        assert prof.loglik_max == pytest.approx(_loglik_at(X, table.counts, prof.estimate))
        for bound in (prof.lower, prof.upper):
            l_bound = _loglik_at(X, table.counts, bound)
            assert 2 * (prof.loglik_max - l_bound) == pytest.approx(cut, abs=1e-6)
        assert prof.curve_loglik.max() <= prof.loglik_max + 1e-9
        assert _loglik_at(X, table.counts, prof.estimate + 5) < prof.loglik_max
        assert _loglik_at(X, table.counts, prof.estimate - 5) < prof.loglik_max


def _loglik_at(X: np.ndarray, y: np.ndarray, N: float) -> float:
    """Multinomial log-likelihood at N, computed directly (an independent check)."""
    from scipy.special import gammaln, xlogy

    n0 = N - y.sum()
    full = np.concatenate([[n0], y])
    fit = constrained_poisson_fit(X, full)
    p = fit.fit.mu / fit.fit.mu.sum()
    return float(gammaln(N + 1) - gammaln(n0 + 1) - gammaln(y + 1).sum() + xlogy(full, p).sum())


def test_profile_levels_nest(reference_table):
    """A 90% interval lies inside the 95% one, which lies inside the 99% one."""
    table = reference_table("HIV")
    X = design(4, [(0, 1)])
    p90, p95, p99 = (profile_interval(X, table.counts, level=a) for a in (0.9, 0.95, 0.99))
    assert p99.lower < p95.lower < p90.lower < p90.estimate < p90.upper < p95.upper < p99.upper


def test_profile_lower_bound_stops_at_observed():
    """When the profile never falls to the cut-off below N_max the lower bound is n.

    Cormack, Chang and Smith (2000) Table 3a, model [c1c2, c1c3, c3c4]: Rcapture gives the
    Poisson estimate round(218) (testPapersResults.R); the table is small and the
    likelihood does not fall by 1.92 between N_max and n = 215.
    """
    table = rcapture_table(4, CORMACK_3A)
    prof = profile_interval(design(4, [(0, 1), (0, 2), (2, 3)]), table.counts)
    assert round(prof.poisson_estimate) == 218
    assert prof.lower == table.n
    assert prof.estimate < prof.upper < 240


def test_profile_unbounded_upper_is_infinite():
    """Cormack (2000) Table 3a, all two-way interactions: Rcapture reports abundance > 1e6
    (testPapersResults.R); the profile then has no finite upper bound.
    """
    table = rcapture_table(4, CORMACK_3A)
    prof = profile_interval(design(4, list(itertools.combinations(range(4), 2))), table.counts)
    assert prof.poisson_estimate > 1e6
    assert prof.upper == math.inf and not prof.bounded


def test_profile_active_face_drops_cells(reference_table):
    """Cells off the face are left out: an indicator column for such a cell changes nothing.

    Adding a column that is 1 on one empty cell only makes its parameter go to minus
    infinity; the extended MLE puts that cell's mean at 0, which is what ``active`` does.
    The interval must differ from the fit that keeps the cell with mean > 0.
    """
    table = reference_table("Korea")
    empty = int(np.flatnonzero(table.counts == 0)[0])
    X = design(3, [(0, 1)])
    indicator = np.zeros(8)
    indicator[empty + 1] = 1
    mask = table.counts > 0
    with_col = profile_interval(np.column_stack([X, indicator]), table.counts, active=mask)
    without = profile_interval(X, table.counts, active=mask)
    assert with_col.lower == pytest.approx(without.lower, rel=1e-9)
    assert with_col.upper == pytest.approx(without.upper, rel=1e-9)
    kept = profile_interval(X, table.counts)
    assert kept.poisson_estimate != pytest.approx(without.poisson_estimate, rel=1e-3)


def test_profile_refuses_bad_input(reference_table):
    """Shape errors, people in an excluded cell and an unidentifiable N are refused."""
    table = reference_table("Korea")
    X = design(3, [])
    with pytest.raises(ValueError, match="one row per cell"):
        profile_interval(X[1:], table.counts)
    mask = np.ones(7, bool)
    mask[int(np.flatnonzero(table.counts)[0])] = False
    with pytest.raises(ValueError, match="active face"):
        profile_interval(X, table.counts, active=mask)
    # A column that is non-zero only on the unobserved cell leaves N free.
    free = np.zeros(8)
    free[0] = 1
    with pytest.raises(ValueError, match="not identifiable"):
        profile_interval(np.column_stack([X, free]), table.counts)
    with pytest.raises(ValueError, match="level"):
        profile_interval(X, table.counts, level=1.5)


def test_constrained_fit_sets_negative_eta_to_zero():
    """Rcapture ``Chao.neg``: the first negative constrained coefficient is dropped and the
    model refitted until none is negative; here a column that wants a negative coefficient.
    """
    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(40), rng.normal(size=40), np.linspace(0, 1, 40)])
    y = rng.poisson(np.exp(1 + 0.3 * X[:, 1] - 1.5 * X[:, 2]))
    free = constrained_poisson_fit(X, y)
    assert free.fit.coef[2] < 0
    fixed = constrained_poisson_fit(X, y, nonneg=[2])
    assert fixed.dropped == (2,) and fixed.coef[2] == 0
    assert np.all(fixed.coef[[2]] >= 0)


# ---------------------------------------------------------------------- BCa bootstrap
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
