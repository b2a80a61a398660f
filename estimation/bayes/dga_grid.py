"""Grids of Nmissing for the dga posterior, and how much posterior mass lies beyond them.

R dga evaluates the posterior on a vector of Nmissing values chosen by the user,
each a point mass; the posterior is truncated at the last one, and with a prior
proportional to 1/N the tail is heavy (the saturated graph's posterior of N
falls off only like N^(delta - 2)), so the choice matters.  Three grids:

* an explicit vector (R's ``Nmissing``), each point a point mass;
* ``0 .. Nmissing_max`` in steps of one (R's ``0:Nmissing_max``);
* the default: a bound beyond which the posterior mass is below a tolerance,
  found on a coarse geometric grid; then integers up to :data:`INTEGER_PART`
  and geometric spacing beyond, each point weighted by the number of integers
  it stands for (a quadrature of the sum over all integers); refined where a
  single point holds too much of the posterior (very large tables).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Integers below this are all on the default grid; beyond it the spacing is relative.
INTEGER_PART = 1000
#: Relative spacing of the default grid beyond INTEGER_PART (0.1%: far finer than any interval).
SPACING = 1e-3
#: Relative spacing of the coarse grid that finds the bound.
COARSE_SPACING = 0.02
#: The default grid looks no further than this many people missing (or 1,000 n if larger).
CAP = 10**9
#: Largest grid the posterior is evaluated on, in points.
MAX_POINTS = 2_000_000
#: A grid point standing for several integers may hold at most this posterior mass.
MAX_POINT_MASS = 0.01
#: Points that fill the span around a heavy point when it is wider than this many integers.
REFINE_POINTS = 4000


@dataclass(frozen=True)
class Grid:
    """Grid points of Nmissing with the number of integers each stands for.

    Attributes
    ----------
    nmissing
        Grid points, increasing, non-negative integers.
    weight
        Quadrature weight of each point: 1 for point masses.
    kind
        ``explicit``, ``integers`` or ``adaptive``.
    """

    nmissing: np.ndarray
    weight: np.ndarray
    kind: str

    @property
    def bound(self) -> int:
        """Largest Nmissing on the grid."""
        return int(self.nmissing[-1])

    def cell_edges(self) -> tuple[np.ndarray, np.ndarray]:
        """The interval of Nmissing each point stands for (half-way to its neighbours)."""
        x = self.nmissing.astype(float)
        mid = (x[1:] + x[:-1]) / 2
        lo = np.r_[x[0] - 0.5, mid]
        hi = np.r_[mid, x[-1] + 0.5]
        unit = self.weight == 1
        lo[unit], hi[unit] = x[unit] - 0.5, x[unit] + 0.5
        return lo, hi


def geometric_grid(start: int, stop: int, spacing: float) -> np.ndarray:
    """Integers ``0 .. start`` and then points ``spacing`` apart relatively up to ``stop``."""
    head = np.arange(0, min(start, stop) + 1)
    if stop <= start:
        return head
    steps = int(np.ceil(np.log(stop / start) / np.log1p(spacing)))
    tail = np.round(start * (1 + spacing) ** np.arange(1, steps + 1))
    return np.unique(np.r_[head, np.minimum(tail, stop), stop]).astype(np.int64)


def quadrature_weights(x: np.ndarray) -> np.ndarray:
    """Integers each grid point stands for: 1 on unit steps, half the gap to each side beyond."""
    if x.size == 1:
        return np.ones(1)
    return np.gradient(x.astype(float))


def explicit_grid(values: object) -> Grid:
    """A user's grid of Nmissing values, each a point mass (R dga's ``Nmissing``)."""
    x = np.asarray(values, dtype=float).ravel()
    if x.size == 0 or not np.all(np.isfinite(x)) or np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("grid must be a non-empty list of whole numbers of 0 or more")
    x = np.unique(x).astype(np.int64)
    _check_size(x.size)
    return Grid(x, np.ones(x.size), "explicit")


def integer_grid(nmissing_max: object) -> Grid:
    """``0 .. Nmissing_max`` in steps of one (R dga's ``Nmissing = 0:Nmissing_max``)."""
    whole = isinstance(nmissing_max, (int, np.integer)) or (
        isinstance(nmissing_max, float) and nmissing_max.is_integer()
    )
    if isinstance(nmissing_max, bool) or not whole:
        raise ValueError(f"Nmissing_max must be a whole number, got {nmissing_max!r}")
    top = int(nmissing_max)  # type: ignore[call-overload]
    if top < 0:
        raise ValueError(f"Nmissing_max must be 0 or more, got {top}")
    _check_size(top + 1)
    x = np.arange(top + 1)
    return Grid(x, np.ones(x.size), "integers")


def coarse_grid(observed: int) -> Grid:
    """A cheap grid to :data:`CAP` (or 1,000 ``observed``) for finding where the tail ends."""
    x = geometric_grid(100, max(CAP, 1000 * observed), COARSE_SPACING)
    return Grid(x, quadrature_weights(x), "coarse")


def adaptive_grid(bound: int, start: int = 0, spacing: float = SPACING) -> Grid:
    """Integers to :data:`INTEGER_PART`, then relative ``spacing``, from ``start`` to ``bound``."""
    x = geometric_grid(INTEGER_PART, bound, spacing)
    x = x[x >= min(start, bound)]
    _check_size(x.size)
    return Grid(x, quadrature_weights(x), "adaptive")


def tail_bound(coarse: Grid, prob: np.ndarray, tol: float) -> tuple[int, float, bool]:
    """Smallest coarse point beyond which the posterior mass is below ``tol``.

    Parameters
    ----------
    coarse
        The coarse grid.
    prob
        Posterior probability of each coarse point.
    tol
        Tail mass allowed beyond the bound.

    Returns
    -------
    bound, tail, reached
        The bound (one coarse point beyond the first point with less than ``tol``
        beyond it) and the mass beyond that point; if ``tol`` is not reached before the
        coarse grid ends, the end of the grid, the mass in its last decade (a lower
        bound on what lies beyond: the posterior has not decayed) and ``False``.
    """
    beyond = np.cumsum(prob[::-1])[::-1][1:]  # mass strictly beyond each point but the last
    ok = np.flatnonzero(beyond < tol)
    if ok.size:
        i = int(ok[0])
        # A coarse point stands for the cell up to its neighbour: a peak narrower than the
        # coarse spacing may sit anywhere in it, so the bound is the next point.
        j = min(i + 1, coarse.nmissing.size - 1)
        return int(coarse.nmissing[j]), float(beyond[i]), True
    end = coarse.nmissing[-1]
    return int(end), float(prob[coarse.nmissing > end / 10].sum()), False


def lower_start(coarse: Grid, prob: np.ndarray, tol: float) -> tuple[int, float]:
    """Largest coarse point below which the posterior mass is under ``tol``.

    Returns
    -------
    start, mass
        One coarse point below it (a narrow peak may sit anywhere in the cell
        between the two) and the posterior mass strictly below the point found.
    """
    below = np.r_[0.0, np.cumsum(prob)[:-1]]  # mass strictly below each point
    i = int(np.flatnonzero(below < tol)[-1])
    return int(coarse.nmissing[max(i - 1, 0)]), float(below[i])


def refine_grid(grid: Grid, prob: np.ndarray) -> Grid | None:
    """A finer grid around the points that hold too much of the posterior.

    With many people observed the posterior of Nmissing can be narrower than the
    default grid's relative spacing (0.1% of 10 million is 10,000): the median
    and interval would then be read off a handful of points.  Around every point
    that stands for several integers and holds more than :data:`MAX_POINT_MASS`
    of the posterior, the span to its two neighbours is filled with integers, or
    with :data:`REFINE_POINTS` evenly spaced points if wider.  Every existing
    point is kept, so the grid only gets finer.

    Returns
    -------
    Grid or None
        The refined grid, or ``None`` when the grid is already fine enough.
    """
    x = grid.nmissing
    heavy = np.flatnonzero((grid.weight > 1) & (prob > MAX_POINT_MASS))
    if heavy.size == 0:
        return None
    added = [x]
    for i in heavy.tolist():
        a, b = int(x[max(i - 1, 0)]), int(x[min(i + 1, x.size - 1)])
        if b - a <= REFINE_POINTS:
            added.append(np.arange(a, b + 1))
        else:
            added.append(np.round(np.linspace(a, b, REFINE_POINTS + 1)).astype(np.int64))
    fine = np.unique(np.concatenate(added)).astype(np.int64)
    if fine.size == x.size:
        return None
    _check_size(fine.size)
    return Grid(fine, quadrature_weights(fine), grid.kind)


def mass_beyond(coarse: Grid, prob: np.ndarray, bound: float) -> float:
    """Posterior mass of the coarse grid beyond ``bound``."""
    return float(prob[coarse.nmissing > bound].sum())


def _check_size(points: int) -> None:
    if points > MAX_POINTS:
        raise ValueError(
            f"a grid of {points:,} points is more than the {MAX_POINTS:,} supported; "
            "leave Nmissing_max unset for the default grid, whose spacing grows with N"
        )
