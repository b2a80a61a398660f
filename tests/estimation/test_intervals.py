"""Profile-likelihood intervals (estimation.intervals.profile); the BCa bootstrap is
tested in test_bootstrap.py."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import chi2

from estimation.capture_table import CaptureTable, pattern_matrix
from estimation.intervals import constrained_poisson_fit, profile_interval


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


@pytest.mark.parametrize(
    "pairs",
    [list(itertools.combinations(range(4), 2)), [(0, 1), (0, 2), (0, 3), (2, 3)]],
    ids=["all two-way", "c1c2 c1c3 c1c4 c3c4"],
)
def test_profile_of_a_near_degenerate_model(pairs):
    """Cormack, Chang and Smith (2000) Table 3a with ``mX = ~ (c1+c2+c3+c4)^2`` and
    ``~ . + c1:c2 + c1:c3 + c1:c4 + c3:c4``: Rcapture ``closedpCI.t`` abundance > 1e6 for
    both (testPapersResults.R, a2 and a6).  The Poisson fit runs off to ~1e11, but the
    multinomial profile peaks within one person of n = 215 and then falls by less than
    1.92 towards a limit, so the interval is [n, inf).

    Every l(N) evaluated equals a fit from the default start (to 1e-6), the profile falls
    monotonically beyond the maximum (to 1e-9) and stays above the cut-off.  Regressions:
    the maximum was a noise root of the slope at 9.5e10; warm-started fits drifted to
    coefficients of 1e14 (l off by 0.05) or diverged (l = -6e13), giving a finite upper
    bound; ``gammaln(N+1) - gammaln(N-n+1)`` was off by ~0.3 at N = 1e14.
    """
    table = rcapture_table(4, CORMACK_3A)
    X = design(4, pairs)
    prof = profile_interval(X, table.counts)
    assert prof.poisson_estimate > 1e6
    assert table.n < prof.estimate < table.n + 1
    assert prof.lower == table.n and prof.upper == math.inf
    cut = prof.loglik_max - chi2.ppf(0.95, 1) / 2
    assert np.all(prof.curve_loglik > cut)
    assert prof.curve_loglik.max() <= prof.loglik_max + 1e-12
    beyond = prof.curve_N > prof.estimate + 1e-3
    assert np.all(np.diff(prof.curve_loglik[beyond]) <= 1e-9)
    for N, value in zip(prof.curve_N, prof.curve_loglik, strict=True):
        if N <= 1e6:
            assert value == pytest.approx(_loglik_at(X, table.counts, N), abs=1e-6), N


def test_log_falling_is_accurate_at_huge_N():
    """``log N!/(N-n)!`` and its derivative in N against the exact finite sums for integer
    n, ``n log N + sum_k log1p(-k/N)`` and ``sum_k 1/(N-k)`` (k < n, math.fsum), from N near
    n to 2e14 (the upper search's reach for Cormack 2000 Table 3a): to 1e-9 absolute and
    1e-9 relative.  The plain difference of ``gammaln`` values is off by ~0.3 at 1e14.
    """
    from estimation.intervals.falling import STIRLING_FROM, log_falling, log_falling_slope

    for n in (215, 5000):
        for N in (n + 0.4, n + 37.5, n + STIRLING_FROM - 1.5, n + STIRLING_FROM + 2.5, 3.7e6,
                  2e11, 1e14, 2e14):
            exact = n * math.log(N) + math.fsum(math.log1p(-k / N) for k in range(n))
            slope = math.fsum(1 / (N - k) for k in range(n))
            assert log_falling(N, n) == pytest.approx(exact, abs=1e-9), (n, N)
            assert log_falling_slope(N, n) == pytest.approx(slope, rel=1e-9), (n, N)


def test_checked_fit_refits_a_bad_warm_start(reference_table):
    """A warm start far from the maximum is refitted from the default start.

    From coefficients of +-1e18 (where a Chao refit from a diverging fit once ended) Newton
    stalls with clipped predictors and ``fit_poisson`` reports convergence at a deviance of
    1e305; from 40 or the optimum + 50 it does not converge in 100 steps.  HIV, Mt + [1,2]:
    the checked fit equals the default-start fit (coefficients to 1e-8).
    """
    from estimation.glm import fit_poisson
    from estimation.intervals.profile import checked_poisson_fit

    X = design(4, [(0, 1)])[1:]
    y = reference_table("HIV").counts.astype(float)
    cold = fit_poisson(X, y)
    for start in (np.array([1e18, -1e18] * 3), np.full(6, 40.0), cold.coef + 50):
        with np.errstate(all="ignore"):
            bad = fit_poisson(X, y, start=start)
            fit = checked_poisson_fit(X, y, start)
        assert bad.deviance > 1e6 * cold.deviance
        np.testing.assert_allclose(fit.coef, cold.coef, atol=1e-8)
    near = checked_poisson_fit(X, y, cold.coef + 0.01)
    np.testing.assert_allclose(near.coef, cold.coef, atol=1e-6)


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
