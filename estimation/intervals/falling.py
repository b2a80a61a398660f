"""``log N!/(N-n)!`` and its derivative in N, accurate at any N >= n.

The profile likelihood (:mod:`estimation.intervals.profile`) needs
``log Gamma(N+1) - log Gamma(N-n+1)`` for N up to ~1e14.  As a difference of two
``gammaln`` values it carries their rounding error, about ``1e-16 N log N``
(0.7 at N = 2e14, more than the chi-squared cut-off of 1.92 can bear); the
digamma difference likewise loses everything below ``1e-16 log N`` while the
slope it enters is of order ``n / N**2``.  Above :data:`STIRLING_FROM` both are
taken from Stirling's series with the large terms combined through ``log1p``.
"""

from __future__ import annotations

import math

from scipy.special import digamma, gammaln

#: Stirling's series from here on (``N - n + 1`` at least): its first omitted term,
#: ``1 / (1680 z**7)``, is below 1e-38 there, and ``gammaln``'s rounding still small.
STIRLING_FROM = 1e5


def _lgamma_tail(z: float) -> float:
    """``log Gamma(z) - ((z - 1/2) log z - z + log(2 pi) / 2)`` for large z."""
    return 1 / (12 * z) - 1 / (360 * z**3) + 1 / (1260 * z**5)


def _digamma_tail(z: float) -> float:
    """``psi(z) - log z`` for large z."""
    return -1 / (2 * z) - 1 / (12 * z**2) + 1 / (120 * z**4) - 1 / (252 * z**6)


def log_falling(N: float, n: float) -> float:
    """``log Gamma(N+1) - log Gamma(N-n+1)``: ``log N!/(N-n)!`` for continuous N >= n.

    Parameters
    ----------
    N
        Population size (not below ``n``).
    n
        People observed.

    Returns
    -------
    float
    """
    a, b = N - n + 1.0, N + 1.0
    if a < STIRLING_FROM:
        return float(gammaln(b) - gammaln(a))
    # (b - 1/2) log b - (a - 1/2) log a - (b - a), with b - a = n.
    return (a - 0.5) * math.log1p(n / a) + n * math.log(b) - n + _lgamma_tail(b) - _lgamma_tail(a)


def log_falling_slope(N: float, n: float) -> float:
    """``psi(N+1) - psi(N-n+1)``, the derivative of :func:`log_falling` in N.

    Parameters
    ----------
    N
        Population size (not below ``n``).
    n
        People observed.

    Returns
    -------
    float
    """
    a, b = N - n + 1.0, N + 1.0
    if a < STIRLING_FROM:
        return float(digamma(b) - digamma(a))
    return math.log1p(n / a) + _digamma_tail(b) - _digamma_tail(a)
