"""Interval estimates for N: profile likelihood and BCa bootstrap.

:func:`profile_interval` gives the multinomial profile-likelihood interval of a
fixed log-linear model (Cormack 1992; Rcapture ``closedpCI.t``);
:func:`bca_interval` the bias-corrected and accelerated bootstrap interval that
re-runs a whole estimation, model selection included, on every replicate
(SparseMSE ``estimatepopulation``).
"""

from estimation.intervals.bootstrap import BootstrapInterval, bca_interval, bca_limits
from estimation.intervals.profile import ProfileInterval, constrained_poisson_fit, profile_interval

__all__ = [
    "BootstrapInterval",
    "ProfileInterval",
    "bca_interval",
    "bca_limits",
    "constrained_poisson_fit",
    "profile_interval",
]
