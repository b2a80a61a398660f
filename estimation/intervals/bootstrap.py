"""BCa bootstrap interval for N that re-runs the whole estimation per replicate.

As SparseMSE ``estimatepopulation`` / ``bcaconfvalues`` (Chan, Silverman and
Vincent 2021, section 3.3; Efron 1987; DiCiccio and Efron 1996):

* replicates: multinomial resamples of the n observed people over the observed
  cells with the observed proportions; the estimator (model selection
  included) is re-run on each;
* bias correction ``z0 = Phi^-1(share of replicates below the estimate)``;
* acceleration from a jackknife over individuals: leaving out one person of
  cell h gives one value per non-empty cell, weighted by the cell's count,
  ``a = sum c_h r_h^3 / (6 (sum c_h r_h^2)^(3/2))`` with ``r_h`` the weighted
  mean minus the cell's value;
* limits: the type-8 quantiles (R ``quantile(type=8)``) of the replicates at
  ``Phi(z0 + (z0 + z_q) / (1 - a (z0 + z_q)))``.

Replicates whose estimation raises or returns a non-finite value are counted
in ``failed`` and left out.  All resamples are drawn up front from one seeded
generator, so the result does not depend on ``n_jobs``.
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import norm

from estimation.capture_table import CaptureTable

Estimator = Callable[[CaptureTable], float]


@dataclass(frozen=True)
class BootstrapInterval:
    """A BCa bootstrap interval for N.

    Attributes
    ----------
    estimate
        The estimator on the original table.
    lower, upper
        BCa limits (``nan`` if no replicate succeeded).
    level
        Confidence level.
    replicates
        Estimates from the successful replicates, in draw order.
    z0
        Bias correction.
    acceleration
        Jackknife acceleration ``a``.
    failed
        Replicates whose estimation failed (excluded).
    jackknife
        Leave-one-person-out estimate per cell (``nan`` for empty cells and
        failed fits).
    jackknife_failed
        Non-empty cells whose jackknife fit failed (left out of ``a``).
    first_failure
        Why the first failed replicate or jackknife fit failed (empty if none).
    """

    estimate: float
    lower: float
    upper: float
    level: float
    replicates: np.ndarray = field(repr=False, compare=False)
    z0: float
    acceleration: float
    failed: int
    jackknife: np.ndarray = field(repr=False, compare=False)
    jackknife_failed: int = 0
    first_failure: str = ""

    @property
    def B(self) -> int:
        """Replicates drawn (successful plus failed)."""
        return int(self.replicates.shape[0]) + self.failed


def _safe(estimator: Estimator, table: CaptureTable) -> tuple[float, str]:
    """The estimate and ``""``, or nan and why, when the estimation fails."""
    try:
        value = float(estimator(table))
    except Exception as err:  # noqa: BLE001 - any failure excludes the replicate
        return math.nan, f"{type(err).__name__}: {err}"
    if not math.isfinite(value):
        return math.nan, f"non-finite estimate {value}"
    return value, ""


def _run(table: CaptureTable, estimator: Estimator, counts: np.ndarray) -> tuple[np.ndarray, str]:
    values = np.empty(counts.shape[0])
    first = ""
    for i, c in enumerate(counts):
        values[i], why = _safe(estimator, table.with_counts(c))
        first = first or why
    return values, first


# The worker state is inherited by forked processes, so the estimator (often a
# closure) never has to be pickled.
_WORKER: tuple[CaptureTable, Estimator] | None = None


def _run_chunk(counts: np.ndarray) -> tuple[np.ndarray, str]:
    assert _WORKER is not None
    return _run(*_WORKER, counts)


def _estimate_many(
    table: CaptureTable, estimator: Estimator, counts: np.ndarray, n_jobs: int
) -> tuple[np.ndarray, str]:
    """Estimates on tables with these counts (nan where failed) and the first failure."""
    global _WORKER
    if n_jobs <= 1 or counts.shape[0] < 2 * n_jobs:
        return _run(table, estimator, counts)
    chunks = np.array_split(counts, 4 * n_jobs)
    _WORKER = (table, estimator)
    try:
        with multiprocessing.get_context("fork").Pool(n_jobs) as pool:
            parts = pool.map(_run_chunk, chunks)
    finally:
        _WORKER = None
    first = next((why for _, why in parts if why), "")
    return np.concatenate([v for v, _ in parts]), first


def bca_limits(
    replicates: np.ndarray, estimate: float, acceleration: float, probs: np.ndarray
) -> tuple[np.ndarray, float]:
    """BCa quantiles of bootstrap replicates (SparseMSE ``bcaconfvalues``).

    Parameters
    ----------
    replicates
        Finite replicate estimates.
    estimate
        The estimate from the original data.
    acceleration
        The acceleration ``a``.
    probs
        Nominal probabilities, e.g. ``[0.025, 0.975]``.

    Returns
    -------
    (limits, z0)
        The adjusted quantiles and the bias correction used.
    """
    reps = np.asarray(replicates, float)
    B = reps.shape[0]
    share = float(np.mean(reps < estimate))
    # With every replicate on one side z0 is infinite and both limits collapse
    # onto an extreme replicate; half a replicate keeps the correction finite.
    share = min(max(share, 0.5 / B), 1 - 0.5 / B)
    z0 = float(norm.ppf(share))
    za0 = norm.ppf(np.asarray(probs, float)) + z0
    zq = norm.cdf(z0 + za0 / (1 - acceleration * za0))
    # method="median_unbiased" is Hyndman and Fan's type 8, R quantile(type=8).
    return np.quantile(reps, zq, method="median_unbiased"), z0


def jackknife_acceleration(counts: np.ndarray, jack: np.ndarray) -> float:
    """Acceleration from per-cell leave-one-out estimates weighted by cell counts.

    Cells with count 0 or a ``nan`` estimate get weight 0.
    """
    c = np.where(np.isfinite(jack), np.asarray(counts, float), 0.0)
    if c.sum() == 0:
        return 0.0
    values = np.where(c > 0, jack, 0.0)
    resid = (c * values).sum() / c.sum() - values
    denom = 6 * (c * resid**2).sum() ** 1.5
    return float((c * resid**3).sum() / denom) if denom > 0 else 0.0


def bca_interval(
    table: CaptureTable,
    estimator: Estimator,
    *,
    B: int = 1000,
    level: float = 0.95,
    seed: int | None = None,
    n_jobs: int = 1,
    estimate: float | None = None,
) -> BootstrapInterval:
    """BCa bootstrap interval for N, re-running ``estimator`` on every replicate.

    Parameters
    ----------
    table
        The observed capture table.
    estimator
        Maps a capture table to an estimate of N, repeating the whole procedure
        (model selection included).  Raising an exception or returning a
        non-finite value marks a replicate as failed.
    B
        Bootstrap replicates.
    level
        Confidence level.
    seed
        Seed of the resampling; the same seed gives the same interval.
    n_jobs
        Worker processes for the replicates and jackknife (fork; Linux/macOS).
    estimate
        The estimate on ``table`` if already known (saves one fit).

    Returns
    -------
    BootstrapInterval

    Raises
    ------
    ValueError
        If the estimator fails on the original table, or on bad arguments.
    """
    if B < 1:
        raise ValueError("B must be at least 1")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    n = table.n
    if n == 0:
        raise ValueError("the table has no observed people")
    point = float(estimator(table)) if estimate is None else float(estimate)
    if not math.isfinite(point):
        raise ValueError(f"the estimate on the original table is not finite ({point})")

    rng = np.random.default_rng(seed)
    counts = table.counts
    draws = rng.multinomial(n, counts / n, size=B)
    values, why = _estimate_many(table, estimator, draws, n_jobs)

    cells = np.flatnonzero(counts > 0)
    leave_one = np.repeat(counts[None, :], cells.size, axis=0)
    leave_one[np.arange(cells.size), cells] -= 1
    jack = np.full(counts.shape[0], np.nan)
    jack[cells], why_jack = _estimate_many(table, estimator, leave_one, n_jobs)
    acceleration = jackknife_acceleration(counts, jack)

    ok = np.isfinite(values)
    reps = values[ok]
    if reps.size == 0:
        lower = upper = z0 = math.nan
    else:
        probs = np.array([(1 - level) / 2, (1 + level) / 2])
        limits, z0 = bca_limits(reps, point, acceleration, probs)
        lower, upper = float(limits[0]), float(limits[1])
    reps.setflags(write=False)
    jack.setflags(write=False)
    return BootstrapInterval(
        estimate=point,
        lower=lower,
        upper=upper,
        level=level,
        replicates=reps,
        z0=float(z0),
        acceleration=acceleration,
        failed=int((~ok).sum()),
        jackknife=jack,
        jackknife_failed=int(np.isnan(jack[cells]).sum()),
        first_failure=why or why_jack,
    )
