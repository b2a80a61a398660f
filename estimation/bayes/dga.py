"""``dga``: Bayesian model averaging over decomposable graphical models (Madigan and York 1997).

The registered estimator behind R dga's ``bma.cr``: every decomposable graph on
the lists, a hyper-Dirichlet prior with ``delta`` per cell (default ``2**-t``),
a uniform prior over graphs and a prior on N proportional to 1/N (or uniform);
the posterior is computed exactly on a grid of Nmissing by
:mod:`estimation.bayes.dga_posterior` on a grid from :mod:`estimation.bayes.dga_grid`.

Options (``Settings.options``):

``delta``
    Hyper-Dirichlet weight per cell; default ``2**-t``.
``Nmissing_max``
    Evaluate on ``0 .. Nmissing_max`` in steps of one, as R's ``Nmissing = 0:Nmissing_max``.
``grid``
    An explicit sequence of Nmissing values (each a point mass, as R's ``Nmissing``).
``tail``
    Without ``Nmissing_max`` or ``grid``: the bound of the default grid is where
    the posterior mass beyond falls below ``tail`` (default 1e-6).
``prior``
    ``"1/N"`` (default) or ``"uniform"``.
``n_draws``
    Draws of N sampled from the exact posterior (default 4,000), using ``Settings.seed``.
``top``
    How many of the most probable graphs to describe (default 5).
``cores``
    Threads (default 2).
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np

from estimation.bayes.dga_grid import (
    Grid,
    adaptive_grid,
    coarse_grid,
    explicit_grid,
    integer_grid,
    lower_start,
    mass_beyond,
    refine_grid,
    tail_bound,
)
from estimation.bayes.dga_posterior import DgaPosterior, bma_posterior, prepare
from estimation.registry import Estimator, Fit, register
from estimation.result import EXISTENCE_NOT_APPLICABLE

PRIORS = ("1/N", "uniform")
OPTIONS = ("delta", "Nmissing_max", "grid", "tail", "prior", "n_draws", "top", "cores")
#: A user's grid that leaves more than this posterior mass beyond it earns a warning.
TRUNCATION_WARNING = 0.01
#: The default grid leaves off at most ``tail * LOWER_TAIL`` of posterior mass at its lower end.
LOWER_TAIL = 1e-3
#: Rounds of refinement of the default grid (each makes a heavy point's span ~1,000x finer).
REFINE_ROUNDS = 3
#: Posterior probability of the saturated graph above which the result warns.
SATURATED_WARNING = 0.05


def log_prior_of_N(prior: str, N: np.ndarray) -> np.ndarray:  # noqa: N802 - field's name
    """Log prior of the population size at ``N`` (up to a constant)."""
    if prior == "1/N":
        return -np.log(N)
    return np.zeros(N.shape)


def sample_N(  # noqa: N802 - field's name
    post: DgaPosterior, grid: Grid, size: int, seed: int | None
) -> np.ndarray:
    """Draws of N from the posterior on the grid.

    A grid point that stands for several integers is spread uniformly over them.
    """
    rng = np.random.default_rng(seed)
    idx = rng.choice(post.prob.size, size=size, p=post.prob)
    lo, hi = grid.cell_edges()
    # floor(x + 1/2) of a uniform point in the cell: exactly the point when the cell is one integer
    nmissing = np.floor(lo[idx] + rng.random(size) * (hi[idx] - lo[idx]) + 0.5)
    return (post.observed + np.maximum(nmissing, 0)).astype(np.int64)


@register
class DGA(Estimator):
    """Bayesian model averaging over decomposable graphical models (R dga ``bma.cr``)."""

    name = "dga"
    title = "Bayesian model averaging over decomposable graphs (Madigan-York; R dga)"
    family = "bayesian"
    reference = "Madigan and York (1997) Biometrika 84; R package dga (bma.cr)"
    min_lists = 3
    max_lists = 6

    def check(self) -> None:
        if not np.any(self.table.counts[self.table.patterns.sum(axis=1) >= 2]):
            # With no overlaps every graph's posterior of N is its prior (delta): a number
            # would be made up.
            raise ValueError(
                "nobody is on two or more lists: the lists' overlaps are what tell how many "
                "were missed, so dga cannot estimate N from this table"
            )
        options = self.settings.options
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise ValueError(
                f"unknown dga option(s) {', '.join(unknown)}; known: {', '.join(OPTIONS)}"
            )
        if "grid" in options and "Nmissing_max" in options:
            raise ValueError("give either grid or Nmissing_max, not both")
        delta = self.delta
        if not (math.isfinite(delta) and delta > 0):
            raise ValueError(f"delta must be a positive number, got {options.get('delta')!r}")
        if self.prior not in PRIORS:
            raise ValueError(f"prior must be one of {', '.join(PRIORS)}, got {self.prior!r}")
        tail = options.get("tail", 1e-6)
        if not isinstance(tail, (int, float)) or not 0 < tail < 1:
            raise ValueError(f"tail must be a number between 0 and 1, got {tail!r}")
        for key, default in (("n_draws", 4000), ("top", 5), ("cores", 2)):
            value = options.get(key, default)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{key} must be a whole number of 1 or more, got {value!r}")
        self.grid()  # checks Nmissing_max / grid
        # One-off costs of the first fit in a process (importing ArviZ takes seconds,
        # enumerating six lists' graphs half of one) are paid here, before fit()
        # starts its clock, so that ``seconds`` measures the fit alone.
        prepare(self.table.t, int(options.get("cores", 2)))
        _import_arviz()

    @property
    def delta(self) -> float:
        """Hyper-Dirichlet weight per cell."""
        value = self.settings.options.get("delta", 2.0**-self.table.t)
        try:
            return float(value)
        except (TypeError, ValueError):
            return math.nan

    @property
    def prior(self) -> str:
        """Prior on N: ``1/N`` or ``uniform``."""
        return str(self.settings.options.get("prior", "1/N"))

    def grid(self) -> Grid | None:
        """The user's grid, or ``None`` for the default (found from the posterior's tail)."""
        options = self.settings.options
        if "grid" in options:
            return explicit_grid(options["grid"])
        if "Nmissing_max" in options:
            return integer_grid(options["Nmissing_max"])
        return None

    def _posterior(self, grid: Grid) -> DgaPosterior:
        table = self.table
        log_prior = log_prior_of_N(self.prior, table.n + grid.nmissing.astype(float))
        return bma_posterior(
            table.counts,
            table.t,
            grid.nmissing,
            self.delta,
            log_prior + np.log(grid.weight),
            cores=int(self.settings.options.get("cores", 2)),
        )

    def _fit(self) -> Fit:
        options = self.settings.options
        tol = float(options.get("tail", 1e-6))
        coarse = coarse_grid(self.table.n)
        coarse_prob = self._posterior(coarse).prob
        grid = self.grid()
        warnings: list[str] = []
        if grid is None:
            bound, tail, reached = tail_bound(coarse, coarse_prob, tol)
            # the lower end is cut far tighter than the upper: its mass is left out, not truncated
            start, below = lower_start(coarse, coarse_prob, tol * LOWER_TAIL)
            grid = adaptive_grid(max(bound, 1), start=start)
            if not reached:
                warnings.append(
                    f"the posterior of N does not die away: {tail:.1%} of its mass lies between "
                    f"Nmissing = {bound // 10:,} and {bound:,}, where the grid stops; the "
                    "estimate depends on that bound (is the prior on N improper for this table?)"
                )
        else:
            below = 0.0
            tail = mass_beyond(coarse, coarse_prob, grid.bound)
            if tail > TRUNCATION_WARNING:
                warnings.append(
                    f"the grid truncates the posterior: about {tail:.0%} of the posterior mass "
                    f"of N lies beyond N = {self.table.n + grid.bound:,} (raise Nmissing_max)"
                )
        post = self._posterior(grid)
        if self.grid() is None:
            for _ in range(REFINE_ROUNDS):
                finer = refine_grid(grid, post.prob)
                if finer is None:
                    break
                grid = finer
                post = self._posterior(grid)
        saturated = _saturated_probability(post)
        if saturated > SATURATED_WARNING:
            warnings.append(
                f"{saturated:.0%} of the posterior is on the saturated graph (every list "
                "depending on every other), under which the lists say nothing about the "
                "people on none of them: that share of the posterior of N comes from the "
                "prior (delta), not the data, and drags the lower end towards the number "
                "observed"
            )
        return self._summarise(post, grid, tail, below, warnings)

    def _summarise(
        self, post: DgaPosterior, grid: Grid, tail: float, below: float, warnings: list[str]
    ) -> Fit:
        settings = self.settings
        alpha = (1 - settings.level) / 2
        median, lower, upper = post.quantile([0.5, alpha, 1 - alpha])
        lists = self.table.lists
        top = []
        ranked = np.argsort(-post.model_prob, kind="stable")[: int(settings.options.get("top", 5))]
        for g, given in zip(ranked, post.conditional(ranked.tolist()), strict=True):
            g_median, g_lower, g_upper = post.quantile([0.5, alpha, 1 - alpha], prob=given)
            top.append(
                {
                    "model": post.graphs[g].label(lists),
                    "probability": float(post.model_prob[g]),
                    "median": float(g_median),
                    "lower": float(g_lower),
                    "upper": float(g_upper),
                }
            )
        draws = sample_N(post, grid, int(settings.options.get("n_draws", 4000)), settings.seed)
        diagnostics: dict[str, Any] = {
            "top_models": top,
            "graphs": len(post.graphs),
            "delta": self.delta,
            "prior": self.prior,
            "posterior_mean": float(post.prob @ post.N),
            "posterior_mode": float(post.N[np.argmax(post.prob / grid.weight)]),
            "grid": {
                "kind": grid.kind,
                "points": int(grid.nmissing.size),
                "Nmissing_min": int(grid.nmissing[0]),
                "Nmissing_max": grid.bound,
                "tail_mass_beyond": tail,
                "mass_left_below": below,
            },
        }
        return Fit(
            estimate=float(median),
            lower=float(lower),
            upper=float(upper),
            interval="posterior",
            model=(f"average over {len(post.graphs)} decomposable graphs",),
            existence=EXISTENCE_NOT_APPLICABLE,
            warnings=tuple(warnings),
            diagnostics=diagnostics,
            draws=draws,
            idata=_inference_data(draws),
        )


def _saturated_probability(post: DgaPosterior) -> float:
    """Posterior probability of the complete graph (one clique of every list)."""
    t = post.graphs[0].t
    full = (1 << t) - 1
    return float(
        sum(p for g, p in zip(post.graphs, post.model_prob, strict=True) if g.cliques == (full,))
    )


@cache
def _import_arviz() -> Any:
    """ArviZ, imported and warmed on first use (never at module import: it takes seconds).

    Its first ``from_dict`` imports more of xarray; one on two draws does that here.
    """
    import arviz as az

    az.from_dict(posterior={"N": np.zeros((1, 2), dtype=np.int64)})
    return az


def _inference_data(draws: np.ndarray) -> Any:
    """ArviZ InferenceData with the draws as variable ``N`` of the posterior group."""
    return _import_arviz().from_dict(posterior={"N": draws[None, :]})
