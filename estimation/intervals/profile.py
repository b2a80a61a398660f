"""Multinomial profile-likelihood interval for N under a fixed log-linear model.

Definition (Cormack 1992; Rcapture ``closedpCI.t``, METHODS.md "Intervals"):
fix N, put ``N - n`` people in the all-absent cell, refit the Poisson model
with that cell as data, and take the multinomial log-likelihood

    l(N) = log N! - log (N-n)! - sum_h log y_h! + sum_{h incl. 0} y_h log p_h(N),

with ``p_h(N)`` the refitted cell probabilities.  The interval is
``{N : 2 (l(N_max) - l(N)) <= chi2_1(level)}``.  N is treated as continuous
(``log n!`` through the gamma function), as Rcapture does.

The maximiser scans l at ``n + 1, n + 2, n + 4, ...`` and the Poisson estimate, to
twice the latter's distance from n, then refines around the best point: Brent on
``dl/dN = psi(N+1) - psi(N-n+1) + log p_0(N)`` (no extra fit, by the envelope
theorem) if its sign brackets a root, else a bounded search on l.  Not a root of
the slope between n and the Poisson estimate: a near-degenerate model's can be
1e11, where the slope is rounding noise (Cormack 2000 Table 3a, all two-way
interactions).  The bounds solve ``l(N) = l_max - chi2/2`` with Brent's method.

l(N) is a function of N alone: every fit, and every refit after Chao's rule drops
an eta, starts from the default start, as Rcapture's ``glm`` does.  Warm starts
(from the nearest N fitted, or from where the last fit ended) stalled, drifted
along the flat ridge of a near-degenerate model (l off by 0.05) or ran off to
infinity, and which eta comes out negative first depends on where a fit heading
for infinity stops.  ``log N!/(N-n)!`` and ``log p_0`` are computed without
cancellation (:mod:`estimation.intervals.falling`, ``logaddexp``), so l keeps its
accuracy at N = 1e14.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import gammaln, logsumexp
from scipy.stats import chi2

from estimation.glm import MAX_ETA, PoissonFit, fit_poisson, poisson_deviance
from estimation.intervals.falling import log_falling, log_falling_slope

#: The upper search stops at this multiple of the Poisson estimate; beyond it
#: the upper bound is reported as infinite (Rcapture stops at 3 N and prints ">").
MAX_UPPER_FACTOR = 1000.0


@dataclass(frozen=True)
class ConstrainedFit:
    """A Poisson fit in which some coefficients were constrained to be >= 0.

    Attributes
    ----------
    fit
        The fit on the kept columns.
    kept
        Boolean mask over the design's columns: the columns in the final fit.
    """

    fit: PoissonFit
    kept: np.ndarray

    @property
    def coef(self) -> np.ndarray:
        """Coefficients over all columns; dropped columns are 0."""
        full = np.zeros(self.kept.shape[0])
        full[self.kept] = self.fit.coef
        return full

    @property
    def dropped(self) -> tuple[int, ...]:
        """Indices of the columns set to zero."""
        return tuple(int(i) for i in np.flatnonzero(~self.kept))


def constrained_poisson_fit(
    X: np.ndarray,
    y: np.ndarray,
    *,
    nonneg: Sequence[int] = (),
    kept: np.ndarray | None = None,
    start: np.ndarray | None = None,
) -> ConstrainedFit:
    """Poisson fit with Rcapture's rule for coefficients that must not be negative.

    Fit; while a coefficient listed in ``nonneg`` is negative, drop the first
    such column (in column order) and refit (Rcapture ``Chao.neg``: the eta
    parameters of Chao's lower-bound model are set to zero this way).

    Parameters
    ----------
    X, y
        Design and counts.
    nonneg
        Column indices whose coefficients must be >= 0.
    kept
        Columns to use (default all); the others are fixed at 0.
    start
        Starting coefficients over *all* columns.

    Returns
    -------
    ConstrainedFit
    """
    X = np.asarray(X, float)
    keep = np.ones(X.shape[1], bool) if kept is None else np.asarray(kept, bool).copy()
    nonneg_set = set(int(i) for i in nonneg)
    begin = None if start is None else np.asarray(start, float)[keep]
    while True:
        fit = checked_poisson_fit(X[:, keep], y, start=begin)
        cols = np.flatnonzero(keep)
        negative = [j for j, c in zip(cols, fit.coef, strict=True) if j in nonneg_set and c < 0]
        if not negative:
            return ConstrainedFit(fit=fit, kept=keep)
        # Refit from the default start, as Rcapture's glm does: from where this fit
        # ended (say eta = -23, heading for minus infinity) Newton can run off to 1e18
        # and stall there, which turned an Mt-like fit into "N = infinity".
        begin = None
        keep[negative[0]] = False


def checked_poisson_fit(
    X: np.ndarray, y: np.ndarray, start: np.ndarray | None = None
) -> PoissonFit:
    """:func:`~estimation.glm.fit_poisson` from ``start``, redone from the default start
    when that fit did not converge, overflowed, or ended with a deviance above the
    default start's (a warm start far from the maximum can stall with the linear
    predictors clipped, and ``fit_poisson`` then reports convergence: the deviance no
    longer changes).

    Parameters
    ----------
    X, y
        Design and counts.
    start
        Starting coefficients, or ``None`` for the default start.

    Returns
    -------
    PoissonFit
    """
    if start is None:
        return fit_poisson(X, y)
    fit = fit_poisson(X, y, start=start)
    if fit.converged and np.all(np.isfinite(fit.mu)):
        beta = np.linalg.lstsq(X, np.log(y + 0.5), rcond=None)[0]
        first = poisson_deviance(y, np.exp(np.clip(X @ beta, -MAX_ETA, MAX_ETA)))
        if fit.deviance <= first * (1 + 1e-9) + 1e-9:
            return fit
    return fit_poisson(X, y)


def independent_columns(X: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Greedy mask of linearly independent columns, earlier columns first.

    Like R's ``glm``, a column that is a combination of earlier ones is
    aliased (dropped) rather than failing the fit.
    """
    X = np.asarray(X, float)
    keep = np.zeros(X.shape[1], bool)
    basis = np.zeros((X.shape[0], 0))
    for j in range(X.shape[1]):
        col = X[:, j]
        norm = np.linalg.norm(col)
        if norm == 0:
            continue
        resid = col - basis @ (basis.T @ col) if basis.shape[1] else col
        rnorm = np.linalg.norm(resid)
        if rnorm > tol * norm:
            keep[j] = True
            basis = np.column_stack([basis, resid / rnorm])
    return keep


@dataclass(frozen=True)
class ProfileInterval:
    """A profile-likelihood interval for N.

    Attributes
    ----------
    estimate
        The multinomial maximiser N_max: a little below the Poisson estimate, or far
        below it when the Poisson fit is near-degenerate (Cormack 2000 Table 3a).
    lower, upper
        Interval bounds; ``lower`` is ``n`` when the profile never drops below
        the cut-off down to ``n``; ``upper`` is ``inf`` when it does not drop
        below it up to ``MAX_UPPER_FACTOR`` times the Poisson estimate.
    level
        Confidence level.
    loglik_max
        Multinomial log-likelihood at N_max, constants included.
    observed
        People observed, n.
    poisson_estimate
        ``n + mu_0`` from the Poisson fit to the observed cells.
    curve_N, curve_loglik
        Every N at which the profile was evaluated, sorted, and l(N) there.
    """

    estimate: float
    lower: float
    upper: float
    level: float
    loglik_max: float
    observed: int
    poisson_estimate: float
    curve_N: np.ndarray = field(repr=False, compare=False)
    curve_loglik: np.ndarray = field(repr=False, compare=False)

    @property
    def bounded(self) -> bool:
        """True when both bounds were found (the upper is finite)."""
        return bool(np.isfinite(self.upper))


class _Profile:
    """l(N) and dl/dN for one design, every N fitted from the default start."""

    def __init__(self, X0: np.ndarray, Xo: np.ndarray, yo: np.ndarray, nonneg: Sequence[int]):
        self.X = np.vstack([X0[None, :], Xo])
        self.yo = yo
        self.n = float(yo.sum())
        self.nonneg = tuple(nonneg)
        self.const = -float(gammaln(yo + 1).sum())
        self.values: dict[float, tuple[float, float]] = {}

    def evaluate(self, N: float) -> tuple[float, float]:
        """``(l(N), dl/dN)``."""
        N = float(N)
        if N in self.values:
            return self.values[N]
        n0 = max(N - self.n, 0.0)
        y = np.concatenate([[n0], self.yo])
        with np.errstate(over="ignore", invalid="ignore"):
            cf = constrained_poisson_fit(self.X, y, nonneg=self.nonneg)
        eta = self.X @ cf.coef
        # log p_0 = -log(1 + seen / mu_0) by logaddexp: no cancellation in 1 - p_0 ~ n / N
        # at huge N (n0 log p_0 needs it to 1e-25 there), no underflow of mu_0 near N = n.
        with np.errstate(over="ignore", invalid="ignore"):
            log_p0 = -float(np.logaddexp(0.0, logsumexp(eta[1:]) - eta[0]))
        loglik = log_falling(N, self.n) + self.const + float(self.yo @ (eta[1:] - eta[0]))
        loglik += self.n * log_p0 + (n0 * log_p0 if n0 > 0 else 0.0)
        slope = log_falling_slope(N, self.n) + log_p0
        if np.isnan(loglik):  # a fit that failed outright: no support here
            loglik = slope = -np.inf
        self.values[N] = (loglik, slope)
        return loglik, slope

    def loglik(self, N: float) -> float:
        return self.evaluate(N)[0]

    def slope(self, N: float) -> float:
        return self.evaluate(N)[1]

    def curve(self) -> tuple[np.ndarray, np.ndarray]:
        keys = np.array(sorted(self.values))
        return keys, np.array([self.values[k][0] for k in keys])


def profile_interval(
    X: np.ndarray,
    y: np.ndarray,
    *,
    level: float = 0.95,
    active: np.ndarray | None = None,
    nonneg: Sequence[int] = (),
    max_upper_factor: float = MAX_UPPER_FACTOR,
) -> ProfileInterval:
    """Profile-likelihood interval for N under the log-linear model with design X.

    Parameters
    ----------
    X
        ``(2**t, p)`` design over all cells: row 0 is the unobserved all-absent
        cell, row ``k + 1`` is capture-table cell ``k``.  It must contain the
        intercept (a column of ones).
    y
        The ``2**t - 1`` observed counts, in capture-table cell order.
    level
        Confidence level.
    active
        Boolean mask over the observed cells: the cells on the face of the
        extended MLE.  Excluded cells must have count 0; they get fitted mean 0
        (they are left out of every fit).
    nonneg
        Columns whose coefficients must not be negative (Chao's lower-bound
        models): fitted as in Rcapture, dropping negative ones one at a time,
        at every N of the profile.
    max_upper_factor
        Search for the upper bound up to this multiple of the Poisson estimate.

    Returns
    -------
    ProfileInterval

    Raises
    ------
    ValueError
        If the shapes disagree, counts are negative, an excluded cell has
        people, or N is not identifiable from the active cells.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    if X.ndim != 2 or X.shape[0] != y.shape[0] + 1:
        raise ValueError(f"X must have one row per cell plus the unobserved one: {X.shape}")
    if np.any(y < 0):
        raise ValueError("counts must be non-negative")
    mask = np.ones(y.shape[0], bool) if active is None else np.asarray(active, bool)
    if mask.shape != y.shape:
        raise ValueError("active must be a mask over the observed cells")
    if np.any(y[~mask] > 0):
        raise ValueError("cells outside the active face must have count 0")
    Xo, yo, X0 = X[1:][mask], y[mask], X[0]
    n = float(yo.sum())
    if n <= 0:
        raise ValueError("no people observed")
    # N is identifiable only if the unobserved cell's row is in the row space.
    coef_row = np.linalg.lstsq(Xo.T, X0, rcond=None)[0]
    if np.linalg.norm(Xo.T @ coef_row - X0) > 1e-8 * (1 + np.linalg.norm(X0)):
        raise ValueError(
            "N is not identifiable: the unobserved cell is not determined by the model"
        )
    cols = independent_columns(Xo)
    Xo, X0 = Xo[:, cols], X0[cols]
    nonneg_kept = [int(np.flatnonzero(np.flatnonzero(cols) == j)[0]) for j in nonneg if cols[j]]

    poisson = constrained_poisson_fit(Xo, yo, nonneg=nonneg_kept)
    with np.errstate(over="ignore"):
        n_poisson = n + float(np.exp(X0 @ poisson.coef))
    if not np.isfinite(n_poisson):
        raise ValueError("the Poisson fit runs off to infinity: N has no finite estimate")
    prof = _Profile(X0, Xo, yo, nonneg_kept)
    cap = max_upper_factor * max(n_poisson, n + 1.0)

    with np.errstate(divide="ignore", invalid="ignore"):
        n_max = _maximiser(prof, n, n_poisson, cap)
        l_max = prof.loglik(n_max) if np.isfinite(n_max) else -np.inf
    if np.isfinite(n_max) and not np.isfinite(l_max):
        raise ValueError(
            "the profile likelihood is not finite at its maximum (the model leaves no "
            "room for anyone on no list there)"
        )
    target = l_max - chi2.ppf(level, 1) / 2

    def gap(N: float) -> float:
        return prof.loglik(N) - target

    lower, upper = n, np.inf
    if np.isfinite(n_max):
        if n_max > n and gap(n) < 0:
            lower = brentq(gap, n, n_max, xtol=1e-7, rtol=1e-11)
        upper = _upper_bound(gap, n, n_max, cap)
    curve_N, curve_l = prof.curve()
    return ProfileInterval(
        estimate=float(n_max),
        lower=float(lower),
        upper=float(upper),
        level=level,
        loglik_max=float(l_max),
        observed=int(round(n)),
        poisson_estimate=n_poisson,
        curve_N=curve_N,
        curve_loglik=curve_l,
    )


def _maximiser(prof: _Profile, n: float, n_poisson: float, cap: float) -> float:
    """N maximising l(N) on [n, cap] (``inf`` if l still rises at ``cap``)."""
    # Scan n + 1, n + 2, n + 4, ... to twice the Poisson estimate's distance from n
    # and on while l rises; the Poisson estimate, where the maximum usually is, too.
    grid, far = [n], 2.0 * (n_poisson - n)
    step = 1.0
    while grid[-1] < cap:
        grid.append(min(n + step, cap))
        if step >= far and prof.loglik(grid[-1]) < prof.loglik(grid[-2]):
            break
        step *= 2
    if n < n_poisson < grid[-1] and n_poisson not in grid:
        grid = sorted([*grid, n_poisson])
    values = [prof.loglik(N) for N in grid]
    best = int(np.argmax(values))
    if best == len(grid) - 1:
        return np.inf
    if best == 0 and prof.slope(n) <= 0:
        return n
    lo, hi = grid[max(best - 1, 0)], grid[best + 1]
    if prof.slope(lo) > 0 > prof.slope(hi):
        top = float(brentq(prof.slope, lo, hi, xtol=1e-8, rtol=1e-12))
    else:
        # The slope does not bracket a root: l is flat to rounding here, or the Chao
        # constraint switches models inside the bracket.  Search on l itself.
        res = minimize_scalar(
            lambda N: -prof.loglik(N), bounds=(lo, hi), method="bounded",
            options={"xatol": 1e-8 * max(1.0, lo)},
        )
        top = float(res.x)
    return top if prof.loglik(top) >= values[best] else grid[best]


def _upper_bound(gap: Callable[[float], float], n: float, n_max: float, cap: float) -> float:
    step = max(0.5 * (n_max - n), 1.0)
    lo, hi = n_max, n_max + step
    while gap(hi) >= 0:
        if hi >= cap:
            return np.inf
        lo, hi = hi, min(hi + 2 * (hi - n_max), cap)
    return float(brentq(gap, lo, hi, xtol=1e-7, rtol=1e-11))
