"""Multinomial profile-likelihood interval for N under a fixed log-linear model.

Definition (Cormack 1992; Rcapture ``closedpCI.t``, METHODS.md "Intervals"):
fix N, put ``N - n`` people in the all-absent cell, refit the Poisson model
with that cell as data, and take the multinomial log-likelihood

    l(N) = log N! - log (N-n)! - sum_h log y_h! + sum_{h incl. 0} y_h log p_h(N),

with ``p_h(N)`` the refitted cell probabilities.  The interval is
``{N : 2 (l(N_max) - l(N)) <= chi2_1(level)}``.  N is treated as continuous
(``log n!`` through the gamma function), as Rcapture does.

Speed: the maximiser solves ``dl/dN = 0`` and the bounds solve
``l(N) = l_max - chi2/2`` with Brent's method; by the envelope theorem
``dl/dN = psi(N+1) - psi(N-n+1) + log p_0(N)`` needs no extra fit, and every
refit starts from the coefficients of the nearest N already fitted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq
from scipy.special import digamma, gammaln, xlogy
from scipy.stats import chi2

from estimation.glm import PoissonFit, fit_poisson

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
        fit = fit_poisson(X[:, keep], y, start=begin)
        cols = np.flatnonzero(keep)
        negative = [j for j, c in zip(cols, fit.coef, strict=True) if j in nonneg_set and c < 0]
        if not negative:
            return ConstrainedFit(fit=fit, kept=keep)
        # Refit without the column from where this fit ended: the same maximum
        # (the likelihood is concave), reached in a few Newton steps, not ~16.
        begin = fit.coef[cols != negative[0]]
        keep[negative[0]] = False


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
        The multinomial maximiser N_max (a little below the Poisson estimate).
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
    """l(N) and dl/dN for one design, with warm-started refits."""

    def __init__(self, X0: np.ndarray, Xo: np.ndarray, yo: np.ndarray, nonneg: Sequence[int]):
        self.X = np.vstack([X0[None, :], Xo])
        self.yo = yo
        self.n = float(yo.sum())
        self.nonneg = tuple(nonneg)
        self.const = -float(gammaln(yo + 1).sum())
        self.starts: dict[float, np.ndarray] = {}
        self.values: dict[float, tuple[float, float]] = {}

    def _nearest_start(self, N: float) -> np.ndarray | None:
        if not self.starts:
            return None
        key = min(self.starts, key=lambda k: abs(k - N))
        return self.starts[key]

    def evaluate(self, N: float) -> tuple[float, float]:
        """``(l(N), dl/dN)``."""
        N = float(N)
        if N in self.values:
            return self.values[N]
        n0 = max(N - self.n, 0.0)
        y = np.concatenate([[n0], self.yo])
        start = self._nearest_start(N)
        with np.errstate(over="ignore", invalid="ignore"):
            cf = constrained_poisson_fit(self.X, y, nonneg=self.nonneg, start=start)
        if start is not None and not np.all(np.isfinite(cf.fit.mu)):
            # A warm start from a diverging fit (a parameter heading for minus
            # infinity) can overflow; the default start cannot.
            cf = constrained_poisson_fit(self.X, y, nonneg=self.nonneg)
        self.starts[N] = cf.coef
        mu = cf.fit.mu
        p = mu / mu.sum()
        loglik = (
            float(gammaln(N + 1) - gammaln(n0 + 1))
            + float(xlogy(y, p).sum())
            + self.const
        )
        slope = float(digamma(N + 1) - digamma(n0 + 1) + np.log(p[0]))
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
    n_poisson = n + float(np.exp(X0 @ poisson.coef))
    prof = _Profile(X0, Xo, yo, nonneg_kept)
    prof.starts[n_poisson] = poisson.coef
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
    """N maximising l(N) on [n, cap]: the root of the (decreasing) slope."""
    if prof.slope(n) <= 0:
        return n
    hi = max(n_poisson, n + 1.0)
    while prof.slope(hi) > 0:
        if hi >= cap:
            return np.inf
        hi = min(n + 2 * (hi - n), cap)
    lo = n
    # The slope at hi is negative and at lo positive: Brent on the slope.
    return float(brentq(prof.slope, lo, hi, xtol=1e-8, rtol=1e-12))


def _upper_bound(gap: Callable[[float], float], n: float, n_max: float, cap: float) -> float:
    step = max(0.5 * (n_max - n), 1.0)
    lo, hi = n_max, n_max + step
    while gap(hi) >= 0:
        if hi >= cap:
            return np.inf
        lo, hi = hi, min(hi + 2 * (hi - n_max), cap)
    return float(brentq(gap, lo, hi, xtol=1e-7, rtol=1e-11))
