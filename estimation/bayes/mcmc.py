"""Sampling and diagnostics shared by the PyMC estimators (lcmcr, bayes-loglinear).

Every Bayesian model here gives cell probabilities ``p_h`` over all ``2**t``
capture patterns, the empty one included.  With the prior on N proportional to
1/N, N drops out: the continuous parameters are sampled with NUTS on the
conditional likelihood ``prod_h (p_h / (1 - p_0))**y_h`` and
``N - n ~ NegBin(size n, success probability 1 - p_0)`` is drawn afterwards, once
per posterior draw (METHODS.md, Bayesian).

The model's log density and gradient are either compiled by PyTensor from a
PyMC model (:func:`compile_model`; C backend, whose compiled modules are cached
on disk, so a warm start costs about a second) or written by hand (lcmcr: numba,
several times cheaper per gradient, and called by nutpie as C callbacks), and
sampled by nutpie's NUTS.  A handful of short pilot chains from dispersed starts
find the main mode: latent-class posteriors have minor modes, tens of log units
below the main one, in which a chain started at random can stay for thousands
of draws.  The main chains then start beside the best pilot's final point.

Modules: this one runs the sampler and draws N; :mod:`estimation.bayes.gate`
holds the convergence gate and :mod:`estimation.bayes.nutpie_models` builds
the nutpie models (numba C callbacks, with a fallback to Python callbacks).
PyMC, PyTensor, nutpie and ArviZ are imported lazily: importing this module
(which the estimator registry does on every CLI call) stays cheap.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from estimation.bayes import nutpie_models
from estimation.bayes.gate import ESS_MIN, RHAT_MAX, Gate, check

__all__ = [
    "ESS_MIN",
    "RHAT_MAX",
    "CompiledModel",
    "Gate",
    "Posterior",
    "SamplerSettings",
    "check",
    "compile_model",
    "draw_total",
    "equal_tailed",
    "find_start",
    "sample",
    "sample_total",
]

# PyTensor reads its flags once, at import: set them before anything imports it.
os.environ.setdefault("PYTENSOR_FLAGS", "blas__ldflags=-lblas")

#: Length of the pilot chains that choose the starting point.
PILOT_TUNE = 150
PILOT_DRAWS = 50
#: Pilots only have to find the main mode, not sample well: nutpie's default
#: diagonal adaptation, a loose step-size target and trees of at most 2**6
#: steps.  Measured on UK 6 lists (lcmcr): 0.3 s of CPU instead of 1.9-2.3 s
#: with the main chains' settings, and the same mode chosen.
PILOT_TARGET_ACCEPT = 0.8
PILOT_MAXDEPTH = 6


@dataclass(frozen=True)
class SamplerSettings:
    """How to run NUTS.

    Parameters
    ----------
    draws, tune, chains
        Draws kept per chain, tuning steps per chain, number of chains.
    seed
        Seed of everything random (pilot starts, NUTS, the draws of N).
    target_accept
        NUTS step-size adaptation target; larger is slower but avoids divergences.
    cores
        Chains run at once (at most 2 on the project's machines).
    pilots
        Short pilot chains used to pick the starting point (0 to start at random).
    low_rank
        Adapt a low-rank dense correction to the diagonal mass matrix (nutpie),
        which follows the linear ridges of weakly identified models.
    grad_mass_matrix
        Adapt the diagonal mass matrix from draw and gradient variances (nutpie's
        default); false uses the draws' variances only, as Stan and PyMC do.
    rerun
        Re-run once with :meth:`stronger` settings when the gate fails.
    thin
        Keep every ``thin``-th NUTS draw: ``draws`` counts the draws kept, so
        the sampler runs ``draws * thin`` iterations per chain (as R LCMCR's
        ``thinning``).  Worth it when successive draws are correlated enough
        that the effective sample size grows with iterations but storage and
        the user's ``--draws`` should not.
    """

    draws: int = 1000
    tune: int = 1000
    chains: int = 2
    seed: int = 0
    target_accept: float = 0.8
    cores: int = 2
    pilots: int = 4
    low_rank: bool = False
    grad_mass_matrix: bool = True
    rerun: bool = True
    thin: int = 1

    def stronger(self) -> SamplerSettings:
        """Settings for the one re-run after a failed gate: more tuning and draws, smaller steps.

        The step-size target moves halfway to 1 (at least to 0.95), so a run that
        already asked for 0.95 re-runs at 0.975, not at the same step size.
        """
        return dataclasses.replace(
            self,
            draws=2 * self.draws,
            tune=2 * self.tune,
            target_accept=max(0.95, (1.0 + self.target_accept) / 2),
            seed=self.seed + 1,
        )


@dataclass
class CompiledModel:
    """A PyMC model compiled to a log density on one flat unconstrained vector.

    Build with :func:`compile_model`.  ``logp_dlogp(x)`` gives the log density and
    its gradient; ``expand(x)`` the named outputs kept in the trace.
    """

    ndim: int
    logp_dlogp: Callable[[np.ndarray], tuple[Any, np.ndarray]]
    expand_fn: Callable[[np.ndarray], list[np.ndarray]]
    output_names: tuple[str, ...]
    output_shapes: tuple[tuple[int, ...], ...]
    data: Any = field(default=None, repr=False)
    #: Optional numba C callbacks ``(logp, expand, user_data)`` with nutpie's
    #: signatures: nutpie then calls them directly, without Python or the GIL.
    native: tuple[Any, Any, np.ndarray] | None = field(default=None, repr=False)

    def expand(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Named outputs at the unconstrained point ``x``."""
        values = self.expand_fn(x)
        return {
            name: np.asarray(value, dtype=np.float64).reshape(shape)
            for name, value, shape in zip(
                self.output_names, values, self.output_shapes, strict=True
            )
        }


def compile_model(model: Any, outputs: Sequence[str]) -> CompiledModel:
    """Compile ``model``'s log density, gradient and ``outputs`` for nutpie.

    Parameters
    ----------
    model
        A ``pymc.Model`` with continuous free variables only.
    outputs
        Names of model variables (free or deterministic) to keep in the trace.

    Returns
    -------
    CompiledModel
    """
    import pytensor
    import pytensor.tensor as pt

    value_vars = model.value_vars
    point = model.initial_point(0)
    shapes = [tuple(point[v.name].shape) for v in value_vars]
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    x = pt.dvector("x")
    replace = {}
    offset = 0
    for var, shape, size in zip(value_vars, shapes, sizes, strict=True):
        replace[var] = x[offset : offset + size].reshape(shape)
        offset += size
    logp = model.logp()
    grads: Any = pytensor.grad(logp, value_vars)
    grad = pt.concatenate([g.ravel() for g in grads])
    logp_x, grad_x = pytensor.clone_replace([logp, grad], replace)
    logp_fn = pytensor.function([x], [logp_x, grad_x], trust_input=True)
    # Outputs are functions of the free variables; express them on the value (unconstrained) scale.
    out_vars = model.replace_rvs_by_values([model[name] for name in outputs])
    out_x = pytensor.clone_replace(out_vars, replace)
    expand_fn = pytensor.function([x], out_x, trust_input=True, on_unused_input="ignore")
    out_shapes = tuple(tuple(np.shape(v)) for v in expand_fn(np.zeros(offset)))
    return CompiledModel(offset, logp_fn, expand_fn, tuple(outputs), out_shapes)


def _dispersed_start(ndim: int, seed: int, spread: float = 2.0) -> Callable[[int], np.ndarray]:
    def start(chain_seed: int) -> np.ndarray:
        rng = np.random.default_rng([seed, chain_seed])
        return rng.uniform(-spread, spread, ndim)

    return start


def find_start(compiled: CompiledModel, settings: SamplerSettings) -> tuple[np.ndarray, dict]:
    """Starting point of the main chains: the final point of the best of a few pilot chains.

    Returns
    -------
    start, info
        The unconstrained point, and ``pilot_logp`` (each pilot's mean log density).
    """
    model, _ = nutpie_models.nutpie_model(compiled, _dispersed_start(compiled.ndim, settings.seed))
    pilot = dataclasses.replace(
        settings, target_accept=PILOT_TARGET_ACCEPT, low_rank=False, grad_mass_matrix=True
    )
    trace = nutpie_models.run(
        model,
        pilot,
        settings.pilots,
        PILOT_DRAWS,
        PILOT_TUNE,
        store_unconstrained=True,
        maxdepth=PILOT_MAXDEPTH,
    )
    logp = trace.sample_stats["logp"].values  # (chain, draw)
    best = int(np.argmax(logp.mean(axis=1)))
    point = np.asarray(trace.sample_stats["unconstrained_draw"].values[best, -1], dtype=float)
    return point, {"pilot_logp": logp.mean(axis=1).round(2).tolist()}


def thin_draws(idata: Any, thin: int) -> Any:
    """Keep every ``thin``-th draw of ``posterior`` and ``sample_stats`` (the last of each block).

    A kept draw is marked ``diverging`` when any draw of its block diverged, so
    thinning never hides a divergence from the gate.
    """
    if thin <= 1:
        return idata
    diverging = idata.sample_stats["diverging"].values
    chains, draws = diverging.shape
    blocks = diverging.reshape(chains, draws // thin, thin).any(axis=2)
    keep = slice(thin - 1, None, thin)
    out = idata.isel(draw=keep, groups=["posterior", "sample_stats"])
    out.sample_stats["diverging"] = (("chain", "draw"), blocks)
    return out


def sample(compiled: CompiledModel, settings: SamplerSettings) -> tuple[Any, dict]:
    """Run NUTS (nutpie) on a compiled model.

    Returns
    -------
    idata, info
        ArviZ ``InferenceData`` with the outputs in ``posterior`` (``settings.draws``
        per chain, after thinning), and a dict of sampler facts for the
        diagnostics: ``log_density`` says how nutpie called the density
        (:mod:`estimation.bayes.nutpie_models`).
    """
    info: dict[str, Any] = {}
    start: Callable[[int], np.ndarray]
    if settings.pilots > 0:
        centre, info = find_start(compiled, settings)

        def near_centre(chain_seed: int) -> np.ndarray:
            rng = np.random.default_rng([settings.seed, chain_seed, 1])
            return centre + rng.normal(0.0, 0.05, centre.shape)

        start = near_centre
    else:
        start = _dispersed_start(compiled.ndim, settings.seed)
    model, info["log_density"] = nutpie_models.nutpie_model(compiled, start)
    thin = max(1, settings.thin)
    idata = nutpie_models.run(
        model, settings, settings.chains, settings.draws * thin, settings.tune
    )
    return thin_draws(idata, thin), info


def draw_total(p0: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Draws of N: ``n + NegBin(size n, success 1 - p_0)``, one per draw of ``p_0``.

    Parameters
    ----------
    p0
        Posterior draws of the probability of the empty pattern, any shape.
    n
        People observed.
    seed
        Seed of the negative-binomial draws.
    """
    rng = np.random.default_rng([seed, 7])
    # A success probability below 1e-12 would mean N in the quadrillions; cap it there.
    success = np.clip(1.0 - np.asarray(p0, dtype=float), 1e-12, 1.0)
    return n + rng.negative_binomial(n, success).astype(np.float64)


@dataclass
class Posterior:
    """A gated posterior: the InferenceData (N added), draws of N and the diagnostics."""

    idata: Any
    total: np.ndarray
    gate: Gate
    reran: bool
    settings: SamplerSettings
    info: dict[str, Any]

    def diagnostics(self) -> dict[str, Any]:
        """The ``diagnostics`` of an estimate: gate figures, rerun flag and sampler settings."""
        return {
            "rhat": self.gate.rhat.get("N"),
            "ess_bulk": self.gate.ess_bulk.get("N"),
            "ess_tail": self.gate.ess_tail.get("N"),
            "divergences": self.gate.divergences,
            "rhat_by_variable": self.gate.rhat,
            "ess_bulk_by_variable": self.gate.ess_bulk,
            "ess_tail_by_variable": self.gate.ess_tail,
            "reran": self.reran,
            "converged": self.gate.passed,
            "sampler": {"name": "nutpie NUTS", **dataclasses.asdict(self.settings)},
            **self.info,
        }

    def warnings(self) -> tuple[str, ...]:
        """Plain-language warnings for a result that failed the gate even after the re-run."""
        if self.gate.passed:
            return ()
        run = "after a re-run with" if self.reran else "with"
        return (
            "the MCMC sampler did not converge ("
            + "; ".join(self.gate.failures)
            + f", {run} {self.settings.tune} tuning steps and "
            f"{self.settings.draws} draws per chain): treat the estimate and its interval "
            "as unreliable",
        )


def sample_total(
    compiled: CompiledModel,
    n: int,
    settings: SamplerSettings,
    gated: Sequence[str],
    p0_name: str = "p0",
) -> Posterior:
    """Sample, draw N, gate; re-run once with stronger settings if the gate fails.

    Parameters
    ----------
    compiled
        The model, whose outputs include ``p0_name`` and the ``gated`` variables.
    n
        People observed.
    settings
        Sampler settings of the first run.
    gated
        Variables that must pass the gate besides N.
    p0_name
        Output holding the probability of the empty pattern.
    """
    reran = False
    first_failures: tuple[str, ...] = ()
    while True:
        idata, info = sample(compiled, settings)
        total = draw_total(idata.posterior[p0_name].values, n, settings.seed)
        idata.posterior["N"] = (("chain", "draw"), total)
        gate = check(idata, ["N", *gated])
        if gate.passed or reran or not settings.rerun:
            break
        reran = True
        first_failures = gate.failures
        settings = settings.stronger()
    if reran:
        # Why the first run was not kept: tells a slow run from a bad one.
        info["first_run_failures"] = list(first_failures)
    return Posterior(idata, total, gate, reran, settings, info)


def equal_tailed(total: np.ndarray, level: float) -> tuple[float, float, float]:
    """Posterior median and equal-tailed interval at ``level`` of the draws of N."""
    lo, med, hi = np.quantile(np.asarray(total).ravel(), [(1 - level) / 2, 0.5, (1 + level) / 2])
    return float(med), float(lo), float(hi)
