"""``bayes-loglinear``: log-linear model with every two-way interaction, under shrinkage.

The classical log-linear estimators choose which list pairs interact by a
stepwise rule, and on sparse tables the estimate moves by a factor of two with
the rule.  Here every pair is in the model and a prior shrinks the
interactions that the data do not support towards zero: a robust alternative
to stepwise selection.

Model, for the ``2**t`` capture patterns h (the empty one included)::

    log mu_h = b0 + sum_j b_j h_j + sum_{i<j} b_ij h_i h_j

Priors:

* main effects ``b_j ~ Normal(0, 5)``: weak on the log-odds scale of capture;
* interactions ``b_ij``: the regularised horseshoe of Piironen and Vehtari
  (2017), ``b_ij = z_ij tau lambda~_ij`` with ``z_ij ~ Normal(0, 1)``, local
  scales ``lambda_ij ~ HalfCauchy(1)``, global scale ``tau ~ HalfCauchy(0.5)``,
  ``lambda~_ij**2 = c**2 lambda_ij**2 / (c**2 + tau**2 lambda_ij**2)`` and slab
  ``c**2 ~ InvGamma(2, 8)`` (a Student-t slab with 4 degrees of freedom and
  scale 2: interactions up to about +-4 on the log scale pass almost
  unshrunk, larger ones are pulled in as by a Normal(0, 2));
* the intercept ``b0`` carries the prior on N, proportional to 1/N: it drops
  out, leaving the conditional likelihood of the observed cells, and N is drawn
  from its negative-binomial conditional (:mod:`estimation.bayes.mcmc`).

Every half-Cauchy is written as a half-normal times the square root of an
inverse-gamma(1/2, 1/2), and ``b_ij`` is non-centred: the horseshoe's funnels
are what make naive versions diverge.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any, ClassVar

import numpy as np

from estimation.bayes import mcmc
from estimation.bayes.lcmcr import full_counts, pattern_sums, sampler_settings
from estimation.capture_table import CaptureTable
from estimation.registry import Estimator, Fit, register

MAIN_SD = 5.0
TAU_SCALE = 0.5
SLAB_SCALE = 2.0
SLAB_DF = 4.0


def pair_design(t: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """``(2**t, t(t-1)/2)`` 0/1 matrix: pattern i has both lists of pair p."""
    codes = np.arange(2**t)
    bits = (codes[:, None] >> np.arange(t)) & 1
    pairs = list(combinations(range(t), 2))
    design = np.stack([bits[:, i] * bits[:, j] for i, j in pairs], axis=1).astype(np.float64)
    return design, pairs


def build_model(counts: np.ndarray, t: int) -> Any:
    """The shrinkage log-linear model on the conditional likelihood of the observed cells.

    Parameters
    ----------
    counts
        Counts over all ``2**t`` patterns, empty pattern first
        (:func:`estimation.bayes.lcmcr.full_counts`).
    t
        Number of lists.

    Returns
    -------
    pymc.Model
        With ``b_main`` (t), ``b_int`` (pairs) and ``p0``.
    """
    import pymc as pm
    import pytensor.tensor as pt

    y = np.asarray(counts, dtype=np.float64)
    n = float(y.sum())
    design, pairs = pair_design(t)
    with pm.Model() as model:
        b_main = pm.Normal("b_main", 0.0, MAIN_SD, shape=t)
        z = pm.Normal("z", 0.0, 1.0, shape=len(pairs))
        # Half-Cauchy(s) = s * |Normal| * sqrt(InvGamma(1/2, 1/2)).
        tau = TAU_SCALE * pm.HalfNormal("tau_a", 1.0) * pt.sqrt(pm.InverseGamma("tau_b", 0.5, 0.5))
        local = pm.HalfNormal("lambda_a", 1.0, shape=len(pairs)) * pt.sqrt(
            pm.InverseGamma("lambda_b", 0.5, 0.5, shape=len(pairs))
        )
        c2 = pm.InverseGamma("c2", SLAB_DF / 2, SLAB_DF * SLAB_SCALE**2 / 2)
        local_reg = pt.sqrt(c2 * local**2 / (c2 + tau**2 * local**2))
        b_int = pm.Deterministic("b_int", z * tau * local_reg)
        eta = pattern_sums(b_main[:, None], t)[:, 0] + (design * b_int[None, :]).sum(axis=1)
        log_norm = pt.logsumexp(eta)  # eta_0 = 0 is the empty pattern
        pm.Deterministic("p0", pt.exp(-log_norm))
        # sum_h y_h log(p_h / (1 - p_0)); p_h = exp(eta_h - log_norm).
        log_observed = pt.logsumexp(eta[1:])
        pm.Potential("conditional", pt.sum(y * eta) - n * log_observed)
    return model


@register
class BayesLoglinear(Estimator):
    """Poisson log-linear model with all two-way interactions under a regularised horseshoe."""

    name: ClassVar[str] = "bayes-loglinear"
    title: ClassVar[str] = "Bayesian log-linear, all two-way interactions shrunk (horseshoe)"
    family: ClassVar[str] = "bayesian"
    reference: ClassVar[str] = (
        "Piironen and Vehtari (2017) Electron. J. Statist. 11 (regularised horseshoe)"
    )
    min_lists: ClassVar[int] = 3
    max_lists: ClassVar[int] = 12
    slow: ClassVar[bool] = True

    def _fit(self) -> Fit:
        s = self.settings
        table: CaptureTable = self.table
        model = build_model(full_counts(table), table.t)
        compiled = mcmc.compile_model(model, ["p0", "b_main", "b_int"])
        posterior = mcmc.sample_total(
            compiled, table.n, sampler_settings(s, low_rank=True), gated=["p0", "b_main", "b_int"]
        )
        median, lower, upper = mcmc.equal_tailed(posterior.total, s.level)
        _, pairs = pair_design(table.t)
        names = [f"{table.lists[i]}:{table.lists[j]}" for i, j in pairs]
        b_int = posterior.idata.posterior["b_int"].values.reshape(-1, len(pairs))
        return Fit(
            estimate=median,
            lower=lower,
            upper=upper,
            interval="posterior",
            model=("all two-way interactions, horseshoe-shrunk",),
            warnings=posterior.warnings(),
            diagnostics={
                **posterior.diagnostics(),
                "interaction_median": dict(
                    zip(names, np.median(b_int, axis=0).round(3).tolist(), strict=True)
                ),
            },
            draws=posterior.total.ravel(),
            idata=posterior.idata,
        )
