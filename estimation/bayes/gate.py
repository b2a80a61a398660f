"""The convergence gate of the MCMC estimators: R-hat, bulk and tail ESS, divergences.

Thresholds from Vehtari, Gelman, Simpson, Carpenter and Buerkner (2021),
"Rank-normalization, folding, and localization: an improved R-hat",
Bayesian Analysis 16: R-hat at most 1.01 and bulk and tail effective sample
sizes of at least 400 (100 per chain for 4 chains), and no divergent
transitions (a divergence means NUTS met curvature it could not follow, so
the draws may miss part of the posterior).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Gate thresholds: R-hat, bulk and tail ESS (divergences: none allowed).
RHAT_MAX = 1.01
ESS_MIN = 400


@dataclass(frozen=True)
class Gate:
    """The convergence verdict on one run: figures per variable and what failed."""

    rhat: dict[str, float]
    ess_bulk: dict[str, float]
    ess_tail: dict[str, float]
    divergences: int
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """True when every gated variable meets every threshold."""
        return not self.failures


def check(idata: Any, names: Sequence[str]) -> Gate:
    """Check R-hat, bulk and tail ESS (worst element of each variable) and divergences.

    Parameters
    ----------
    idata
        InferenceData whose ``posterior`` holds ``names`` and whose
        ``sample_stats`` hold ``diverging``.
    names
        The variables that matter (label-invariant ones for mixture models).

    Returns
    -------
    Gate
    """
    import arviz as az

    post = idata.posterior[list(names)]
    rhat_ds = az.rhat(post)
    bulk_ds = az.ess(post, method="bulk")
    tail_ds = az.ess(post, method="tail")
    rhat = {k: _worst(rhat_ds[k].values, max) for k in names}
    bulk = {k: _worst(bulk_ds[k].values, min) for k in names}
    tail = {k: _worst(tail_ds[k].values, min) for k in names}
    divergences = int(np.asarray(idata.sample_stats["diverging"].values).sum())
    failures = []
    bad = [k for k in names if not rhat[k] <= RHAT_MAX]
    if bad:
        failures.append(f"R-hat above {RHAT_MAX} for {', '.join(bad)}")
    bad = [k for k in names if not min(bulk[k], tail[k]) >= ESS_MIN]
    if bad:
        failures.append(f"effective sample size below {ESS_MIN} for {', '.join(bad)}")
    if divergences:
        failures.append(f"{divergences} divergent transitions")
    return Gate(rhat, bulk, tail, divergences, tuple(failures))


def _worst(values: np.ndarray, pick: Callable[..., float]) -> float:
    flat = np.asarray(values, dtype=float).ravel()
    if flat.size == 0:
        return float("nan")
    # A constant variable has undefined R-hat/ESS (nan): treat it as the worst case.
    if np.isnan(flat).any():
        return float("nan")
    return float(pick(flat))
