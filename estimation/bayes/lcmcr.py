"""``lcmcr``: the non-parametric latent class model of Manrique-Vallier (2016), in PyMC.

Each person belongs to one of K latent classes; within class k list j records
them independently with probability ``lambda_jk``.  So the probability of
capture pattern h is

    p_h = sum_k pi_k prod_j lambda_jk**h_j (1 - lambda_jk)**(1 - h_j)

with class weights ``pi`` from a stick-breaking process truncated at K
(``V_k ~ Beta(1, alpha)``, ``pi_k = V_k prod_{l<k} (1 - V_l)``, ``V_K = 1``),
``alpha ~ Gamma(0.25, 0.25)`` and ``lambda_jk ~ Beta(1, 1)``, as in the R
package LCMCR (``lcmCR(K = 10, a_alpha = 0.25, b_alpha = 0.25)``).

Unlike LCMCR's Gibbs sampler, the class memberships are summed out (a
log-sum-exp over k) so that NUTS can sample the rest, and N is drawn after the
fact from its negative-binomial conditional (see :mod:`estimation.bayes.mcmc`).
The parametrisation is chosen for geometry, the posterior is the same:

* ``lambda`` on the logit scale;
* the sticks non-centred: ``1 - V_k = exp(-E_k / alpha)`` with ``E_k ~ Exp(1)``,
  which is exactly ``V_k ~ Beta(1, alpha)`` but keeps ``alpha`` from pinching the
  sticks into a funnel (the divergences HRDAG met in their Stan port, StanLCMCR);
* log weights built by cumulative sums, never by products of small numbers.

The PyMC model (:func:`build_model`) is the specification; the sampler runs the
same density written by hand in numba (:mod:`estimation.bayes.lcmcr_density`,
:func:`compile_fast`), which the tests check against it.

Label switching does not matter for N; the gate therefore looks at N and
``p0`` only, which are label-invariant.  Nor does it slow the chains: on UK 6
lists two classes hold the mass (weights about 0.93 and 0.07) and within a
run they keep their labels (the pilots pick one mode; seeds differ only in
which label the large class takes), so an ordering constraint on the sticks
would buy nothing.  What costs time is curvature where ``alpha`` is small
(HRDAG's Stan port met the same), handled by the sampler settings of
:func:`lcmcr_sampler_settings`.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from estimation.bayes import mcmc
from estimation.bayes.lcmcr_density import (  # noqa: F401  (re-exported: the tests and callers use lcmcr.*)
    c_callbacks,
    jitted,
    kept_cells,
    lcmcr_logp_grad,
    pack,
)
from estimation.capture_table import CaptureTable
from estimation.registry import Estimator, Fit, register

DEFAULT_K = 10
#: NUTS iterations per kept draw (option ``thin``) and pilot chains (option
#: ``pilots``); see :func:`lcmcr_sampler_settings`.
DEFAULT_THIN = 2
DEFAULT_PILOTS = 8
A_ALPHA = 0.25
B_ALPHA = 0.25


def full_counts(table: CaptureTable) -> np.ndarray:
    """Counts over all ``2**t`` patterns, the empty pattern (count 0) first.

    Index i is the pattern whose bit j is list j, so index ``k + 1`` is the
    table's cell k.
    """
    return np.concatenate([[0.0], table.counts.astype(np.float64)])


def pattern_sums(rows: Any, t: int) -> Any:
    """``(2**t, K)`` tensor whose row i is the sum of ``rows[j]`` over the bits j set in i.

    Built by doubling (patterns without list j, then with it), which matches the
    cell order of :func:`full_counts` and avoids a dense 0/1 design product.
    """
    import pytensor.tensor as pt

    sums = pt.zeros((1, rows.shape[1]))
    for j in range(t):
        sums = pt.concatenate([sums, sums + rows[j][None, :]], axis=0)
    return sums


def build_model(
    counts: np.ndarray,
    t: int,
    K: int = DEFAULT_K,
    a_alpha: float = A_ALPHA,
    b_alpha: float = B_ALPHA,
) -> Any:
    """The LCMCR model on the conditional likelihood of the observed cells.

    Parameters
    ----------
    counts
        Counts over all ``2**t`` patterns, empty pattern first (:func:`full_counts`).
    t
        Number of lists.
    K
        Truncation of the stick-breaking process (number of classes).
    a_alpha, b_alpha
        Gamma prior (shape, rate) of the concentration ``alpha``.

    Returns
    -------
    pymc.Model
        With deterministic ``p0``, the probability of the empty pattern.
    """
    import pymc as pm
    import pytensor.tensor as pt

    y = np.asarray(counts, dtype=np.float64)
    n = float(y.sum())
    with pm.Model() as model:
        alpha = pm.Gamma("alpha", alpha=a_alpha, beta=b_alpha)
        e = pm.Exponential("e", 1.0, shape=K - 1)
        log1m_v = -e / alpha  # log(1 - V_k)
        log_v = pt.log1mexp(log1m_v)
        log_pi = pt.concatenate([log_v, pt.zeros(1)]) + pt.concatenate(
            [pt.zeros(1), pt.cumsum(log1m_v)]
        )
        lam = pm.Beta("lam", 1.0, 1.0, shape=(t, K))
        log1m_lam = pt.log1p(-lam)
        logit_lam = pt.log(lam) - log1m_lam
        # log P(pattern, class) = log pi_k + sum_j log(1 - lam_jk) + sum_{j in h} logit lam_jk
        joint = pattern_sums(logit_lam, t) + (log_pi + log1m_lam.sum(axis=0))[None, :]
        log_p = pt.logsumexp(joint, axis=1)
        pm.Deterministic("p0", pt.exp(log_p[0]))
        pm.Potential("conditional", pt.sum(y * log_p) - n * pt.log1mexp(log_p[0]))
    return model


def compile_fast(
    counts: np.ndarray,
    t: int,
    K: int = DEFAULT_K,
    a_alpha: float = A_ALPHA,
    b_alpha: float = B_ALPHA,
) -> mcmc.CompiledModel:
    """The model of :func:`build_model` as a :class:`~estimation.bayes.mcmc.CompiledModel`.

    Same arguments as :func:`build_model`; the outputs are ``p0`` and ``alpha``.
    """
    bits, y = kept_cells(counts, t)
    logp_grad = jitted()

    def logp_dlogp(x: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad, _ = logp_grad(x, bits, y, K, a_alpha, b_alpha)
        return value, grad

    def expand(x: np.ndarray) -> list[np.ndarray]:
        _, _, log_p0 = logp_grad(x, bits, y, K, a_alpha, b_alpha)
        return [np.asarray(math.exp(log_p0)), np.asarray(math.exp(x[0]))]

    return mcmc.CompiledModel(
        native=(*c_callbacks(), pack(bits, y, K, a_alpha, b_alpha)),
        ndim=K + t * K,
        logp_dlogp=logp_dlogp,
        expand_fn=expand,
        output_names=("p0", "alpha"),
        output_shapes=((), ()),
    )


@register
class LCMCR(Estimator):
    """Bayesian non-parametric latent class capture-recapture (Manrique-Vallier 2016)."""

    name: ClassVar[str] = "lcmcr"
    title: ClassVar[str] = "Bayesian latent-class model (LCMCR), posterior median and interval"
    family: ClassVar[str] = "bayesian"
    reference: ClassVar[str] = "Manrique-Vallier (2016) Biometrics 72; R package LCMCR"
    min_lists: ClassVar[int] = 3
    max_lists: ClassVar[int] = 12
    slow: ClassVar[bool] = True

    def check(self) -> None:
        K = self.settings.options.get("K", DEFAULT_K)
        if not isinstance(K, (int, np.integer)) or K < 2:
            raise ValueError(f"option K must be a whole number of classes, 2 or more; got {K!r}")
        thin = self.settings.options.get("thin", DEFAULT_THIN)
        if not isinstance(thin, (int, np.integer)) or thin < 1:
            raise ValueError(f"option thin must be a whole number, 1 or more; got {thin!r}")

    def _fit(self) -> Fit:
        s = self.settings
        K = int(s.options.get("K", DEFAULT_K))
        compiled = compile_fast(full_counts(self.table), self.table.t, K)
        posterior = mcmc.sample_total(
            compiled,
            self.table.n,
            lcmcr_sampler_settings(s, self.table.t),
            gated=["p0"],
        )
        median, lower, upper = mcmc.equal_tailed(posterior.total, s.level)
        return Fit(
            estimate=median,
            lower=lower,
            upper=upper,
            interval="posterior",
            model=(f"latent classes K={K}",),
            warnings=posterior.warnings(),
            diagnostics={**posterior.diagnostics(), "K": K},
            draws=posterior.total.ravel(),
            idata=posterior.idata,
        )


def lcmcr_sampler_settings(settings: Any, t: int) -> mcmc.SamplerSettings:
    """lcmcr's sampler defaults for a table of ``t`` lists (``options`` still override them).

    Measured with benchmarks/bench_mcmc.py and seeds 1-6 (figures in the commit
    messages).  On 5 or more lists the low-rank mass matrix follows the linear
    ridges between ``alpha`` and the sticks: UK 6 lists takes about 32 leapfrog
    steps per draw instead of 255 with the diagonal one, ESS of N per draw
    0.5-0.8, and target 0.98 keeps divergences rare (0.95: 1 run in 4 had
    one).  On kosovo (4 lists) the low-rank adaptation does worse (137 steps
    per draw, ESS of N 430-1,050 from 2 x 2,000 draws) than the diagonal mass
    matrix from the draws' variances at target 0.95 (250 steps, ESS 1,450), so
    fewer lists keep that.  Either way successive draws stay correlated, and
    keeping every second one (``thin``) lifts ESS of N on UK 6 lists from
    1,000-1,600 to 1,400-1,650 for the default 2 x 1,000 kept draws.

    Eight pilot chains, not four: with four, seeds 7-10 of 12 on UK 6 lists
    picked a minor mode (pilot mean log density -5,243 to -5,252 against about
    -5,238) and with seed 8 both main chains stayed there (ESS of N 243, R-hat
    1.004: only the ESS gate caught it); with eight every seed found the main
    mode, for 0.2 s more CPU.
    """
    if t >= 5:
        return sampler_settings(
            settings, target_accept=0.98, low_rank=True, thin=DEFAULT_THIN, pilots=DEFAULT_PILOTS
        )
    return sampler_settings(
        settings,
        target_accept=0.95,
        grad_mass_matrix=False,
        thin=DEFAULT_THIN,
        pilots=DEFAULT_PILOTS,
    )


def sampler_settings(
    settings: Any,
    target_accept: float = 0.9,
    low_rank: bool = False,
    grad_mass_matrix: bool = True,
    thin: int = 1,
    pilots: int = 4,
) -> mcmc.SamplerSettings:
    """Sampler settings from the estimator :class:`~estimation.registry.Settings`.

    ``options`` may override ``target_accept``, ``pilots``, ``low_rank``,
    ``grad_mass_matrix``, ``thin`` (keep every thin-th draw; ``draws`` counts
    the kept ones) and ``rerun`` (re-run once after a failed gate, default
    true); the keyword arguments are the method's defaults.
    """
    seed = settings.seed
    if seed is None:
        seed = int(np.random.default_rng().integers(2**31))
    options = settings.options
    return mcmc.SamplerSettings(
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        seed=int(seed),
        target_accept=float(options.get("target_accept", target_accept)),
        pilots=int(options.get("pilots", pilots)),
        low_rank=bool(options.get("low_rank", low_rank)),
        grad_mass_matrix=bool(options.get("grad_mass_matrix", grad_mass_matrix)),
        rerun=bool(options.get("rerun", True)),
        thin=int(options.get("thin", thin)),
    )
