"""Exact posterior of N and of the graph, averaged over decomposable graphical models.

Madigan and York (1997): for a decomposable graph with cliques C and separators
S, and a hyper-Dirichlet prior with ``delta`` per cell of the full ``2**t``
table, the marginal likelihood of the completed table (the ``Nmissing`` people
on no list put in the all-absent cell) is

    prod_C Dir(C) / prod_S Dir(S),

where ``Dir(V)`` is the Dirichlet-multinomial probability of the marginal table
over the lists in ``V`` with ``delta * 2**(t - |V|)`` per marginal cell.  Each
marginal table carries the same prior total ``A = delta * 2**t``, so the
normalising terms ``lgamma(A) - lgamma(N + A)`` collect into one term per
connected component.  Only the all-absent marginal cell of each vertex set
changes with ``Nmissing``, so each vertex set contributes a constant plus one
``lgamma(Nmissing + a_V)``; a graph's log weight on the whole grid is then one
matrix product of its clique/separator coefficients with those rows.

Multiplied by the multinomial coefficient ``N! / (Nmissing! prod y_h!)`` and a
prior on N, and normalised over graphs (uniform prior) and the grid, this is
R dga's ``bma.cr``.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from functools import cache
from threading import Barrier, BrokenBarrierError

import numpy as np
from scipy.special import gammaln
from threadpoolctl import ThreadpoolController

from estimation.bayes.graphs import DecomposableGraph, clique_coefficients, decomposable_graphs

#: Entries per block of the graphs-by-grid matrix: about 2 MB, to stay in cache.
BLOCK_ENTRIES = 1 << 18
#: Log weights more than this far below the largest are clipped before ``exp`` (e^-690 ~ 1e-300).
UNDERFLOW = -690.0
#: Log weights this far above the first look's maximum would come near overflow: rescale.
RESCALE = 600.0


@cache
def _blas() -> ThreadpoolController:
    """The loaded BLAS/OpenMP pools, found once (finding them takes milliseconds)."""
    return ThreadpoolController()


@cache
def _pool(cores: int) -> ThreadPoolExecutor:
    """A pool of ``cores`` threads kept for the process: starting threads costs ms a fit.

    The threads are started here (a pool starts them lazily, one per task while none is
    idle): ``cores`` tasks that wait for each other make it start them all.
    """
    pool = ThreadPoolExecutor(cores, thread_name_prefix="dga")
    barrier = Barrier(cores)
    tasks = [pool.submit(barrier.wait, 5.0) for _ in range(cores)]
    for task in tasks:
        with suppress(BrokenBarrierError):  # a slow start only costs the first fit time
            task.result()
    return pool


def prepare(t: int, cores: int = 2) -> None:
    """Build once per process what every fit on ``t`` lists shares.

    The decomposable graphs and their clique coefficients (half a second for six
    lists), the BLAS controller and the thread pool are cached; building them
    here lets a caller keep one-off costs out of a fit's timing.
    """
    decomposable_graphs(t)
    clique_coefficients(t)
    _blas()
    if cores > 1:
        _pool(cores)


def _one_blas_thread() -> AbstractContextManager[object]:
    """Context in which BLAS runs single-threaded."""
    return _blas().limit(limits=1)


@dataclass(frozen=True)
class VertexSetTerms:
    """Per vertex set ``V`` (bitmask; 0: the normalising term).

    The term is ``const + sign * lgamma(Nmissing + offset)``.
    """

    const: np.ndarray
    offset: np.ndarray
    sign: np.ndarray


def vertex_set_terms(counts: np.ndarray, t: int, delta: float) -> VertexSetTerms:
    """Log Dirichlet-multinomial pieces of every marginal table of the completed table.

    Parameters
    ----------
    counts
        Complete count vector of the observable cells (cell ``k`` has pattern bits ``k + 1``).
    t
        Number of lists.
    delta
        Hyper-Dirichlet weight per cell of the full table.

    Returns
    -------
    VertexSetTerms
        Arrays of length ``2**t``.  For ``V > 0``: the marginal table over ``V``
        has cells ``s`` (submasks of ``V``) with counts ``m_s`` and prior weight
        ``d = delta * 2**(t - |V|)`` each; its log numerator
        ``sum_s lgamma(m_s + d) - 2**|V| lgamma(d)`` is ``const + lgamma(Nmissing + m_0 + d)``.
        For ``V = 0``: ``lgamma(A) - lgamma(Nmissing + n + A)``, ``A = delta * 2**t``.
    """
    size = 2**t
    codes = np.arange(1, size)
    counts = np.asarray(counts, dtype=float)
    n = counts.sum()
    sets = np.arange(size)
    # marginal[V, s]: observed people whose pattern restricted to V is s.
    marginal = np.zeros((size, size))
    for v in range(1, size):
        marginal[v] = np.bincount(codes & v, weights=counts, minlength=size)
    is_cell = (sets[None, :] & ~sets[:, None]) == 0  # s is a submask of V
    is_cell[:, 0] = False  # the all-absent cell is the one that moves with Nmissing
    size_v = np.array([bin(v).count("1") for v in range(size)])
    d = delta * 2.0 ** (t - size_v)
    lg = np.where(is_cell, gammaln(marginal + d[:, None]), 0.0)
    const = lg.sum(axis=1) - 2.0**size_v * gammaln(d)
    offset = marginal[:, 0] + d
    sign = np.ones(size)
    total = delta * size
    const[0], offset[0], sign[0] = gammaln(total), n + total, -1.0
    return VertexSetTerms(const, offset, sign)


class _LogWeights:
    """Unnormalised log posterior of (graph, Nmissing) pairs, on any slice of the grid.

    One matrix product gives a block: ``A @ B`` with ``A = [coefficients | graph
    constant | 1]`` (graphs by ``2**t + 2``) and ``B = [sign * lgamma(Nmissing +
    offset) ; 1 ; multinomial coefficient + log prior]``.
    """

    def __init__(
        self,
        counts: np.ndarray,
        t: int,
        delta: float,
        log_model_prior: np.ndarray | None,
    ) -> None:
        coef = clique_coefficients(t)
        self.terms = vertex_set_terms(counts, t, delta)
        const = coef @ self.terms.const
        if log_model_prior is not None:
            const = const + log_model_prior
        self.A = np.hstack([coef, const[:, None], np.ones((coef.shape[0], 1))])
        self.observed = float(counts.sum())
        self.log_factorials = float(gammaln(counts + 1).sum())

    def rows(self, nmissing: np.ndarray, log_prior: np.ndarray) -> np.ndarray:
        """The matrix ``B`` for grid points ``nmissing`` with log prior ``log_prior``."""
        terms = self.terms
        size = terms.offset.size
        out = np.empty((size + 2, nmissing.size))
        _lgamma_shifted(nmissing, terms.offset, out[:size])
        out[:size] *= terms.sign[:, None]
        out[size] = 1.0
        # Multinomial coefficient N! / (Nmissing! prod y!) and the prior: shared by all graphs.
        n = self.observed
        out[size + 1] = gammaln(nmissing + n + 1) - gammaln(nmissing + 1) - self.log_factorials
        out[size + 1] += log_prior
        return out

    def block(self, graphs: slice | np.ndarray, nmissing: np.ndarray, log_prior: np.ndarray):
        """Log weights of ``graphs`` (rows) at ``nmissing`` (columns)."""
        return self.A[graphs] @ self.rows(nmissing, log_prior)


def _lgamma_shifted(nmissing: np.ndarray, offset: np.ndarray, out: np.ndarray) -> None:
    """``out[i, k] = lgamma(nmissing[k] + offset[i])``.

    On a run of consecutive integers ``lgamma(x + 1) = lgamma(x) + log(x)`` turns
    the gamma functions into a cumulative sum of logarithms, several times faster.
    """
    m = nmissing.size
    if m > 1 and nmissing[-1] - nmissing[0] == m - 1 and np.all(np.diff(nmissing) == 1):
        out[:, 0] = gammaln(nmissing[0] + offset)
        np.log(nmissing[None, :-1] + offset[:, None], out=out[:, 1:])
        np.cumsum(out, axis=1, out=out)
    else:
        gammaln(nmissing[None, :] + offset[:, None], out=out)


def _sums(
    weights: _LogWeights, coef: np.ndarray, nmissing: np.ndarray, log_prior: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Column and row sums of ``exp(coef @ B)`` over one slice of the grid, and its maximum.

    ``coef`` is ``weights.A`` with the scale ``top`` taken off the graph constants.
    """
    x = coef @ weights.rows(nmissing, log_prior)
    peak = float(x.max())
    if peak >= RESCALE:  # exp would overflow: the caller sums again on this scale
        return np.zeros(x.shape[1]), np.zeros(x.shape[0]), peak
    # exp is many times slower where it underflows, and terms below e^-690 are nothing.
    np.maximum(x, UNDERFLOW, out=x)
    np.exp(x, out=x)
    return x.sum(axis=0), x.sum(axis=1), peak


@dataclass(frozen=True)
class DgaPosterior:
    """Joint posterior of the graph and Nmissing on a grid.

    Attributes
    ----------
    nmissing
        Grid of Nmissing values (people on no list), increasing.
    observed
        People observed, n; ``N = observed + nmissing``.
    prob
        Posterior probability of each grid point (sums to 1).
    model_prob
        Posterior probability of each graph (sums to 1), aligned with ``graphs``.
    graphs
        The decomposable graphs averaged over.
    log_prior
        Log prior (with any quadrature weight) at each grid point, as given.
    weights
        The log-weight evaluator, kept to compute one graph's posterior of N on demand.
    """

    nmissing: np.ndarray
    observed: int
    prob: np.ndarray
    model_prob: np.ndarray
    graphs: tuple[DecomposableGraph, ...]
    log_prior: np.ndarray
    weights: _LogWeights

    @property
    def N(self) -> np.ndarray:  # noqa: N802 - the field's name for the population size
        """Grid of population sizes, observed plus missing."""
        return self.observed + self.nmissing

    def conditional(self, g: int | Sequence[int]) -> np.ndarray:
        """Posterior probability of each grid point given graph ``g`` (each row sums to 1).

        ``g`` may be several graphs: then one row per graph, computed together.
        """
        rows = np.atleast_1d(np.asarray(g, dtype=np.int64))
        with _one_blas_thread():  # a few rows: BLAS threads only add overhead
            x = self.weights.block(rows, self.nmissing, self.log_prior)
        x -= x.max(axis=1, keepdims=True)
        w = np.exp(x)
        w /= w.sum(axis=1, keepdims=True)
        return w[0] if np.ndim(g) == 0 else w

    def quantile(self, q: float | Sequence[float], prob: np.ndarray | None = None) -> np.ndarray:
        """Smallest N on the grid whose posterior CDF reaches ``q`` (as R users read ``bma.cr``)."""
        cdf = np.cumsum(self.prob if prob is None else prob)
        idx = np.searchsorted(cdf, np.asarray(q) * cdf[-1] * (1 - 1e-12))
        return self.N[np.minimum(idx, cdf.size - 1)]


def bma_posterior(
    counts: np.ndarray,
    t: int,
    nmissing: np.ndarray,
    delta: float,
    log_prior: np.ndarray,
    log_model_prior: np.ndarray | None = None,
    cores: int = 2,
) -> DgaPosterior:
    """Average over all decomposable graphs on a grid of Nmissing, as R dga's ``bma.cr``.

    Parameters
    ----------
    counts
        Complete count vector of the observable cells.
    t
        Number of lists.
    nmissing
        Grid of Nmissing values, non-negative and increasing.
    delta
        Hyper-Dirichlet weight per cell.
    log_prior
        Log prior of N at each grid point (up to a constant); include here the log
        quadrature weight of a grid point that stands for several integers.
    log_model_prior
        Log prior weight of each graph; uniform if ``None``.
    cores
        Threads to use (numpy and BLAS release the GIL).

    Returns
    -------
    DgaPosterior
    """
    counts = np.asarray(counts, dtype=float)
    nmissing = np.asarray(nmissing, dtype=float)
    log_prior = np.broadcast_to(np.asarray(log_prior, dtype=float), nmissing.shape)
    weights = _LogWeights(counts, t, delta, log_model_prior)
    graphs = decomposable_graphs(t)
    # A first look at every 64th point gives the scale, so that blocks can be summed
    # independently (and in parallel) without overflow.
    coarse = np.unique(np.r_[np.arange(0, nmissing.size, 64), nmissing.size - 1])
    top = float(weights.block(slice(None), nmissing[coarse], log_prior[coarse]).max())
    width = max(64, BLOCK_ENTRIES // len(graphs))
    bounds = [(lo, min(lo + width, nmissing.size)) for lo in range(0, nmissing.size, width)]

    for _ in range(2):
        coef = weights.A.copy()
        coef[:, -2] -= top  # the graphs' constant column: takes the scale off inside the product

        def run(lo_hi: tuple[int, int], coef: np.ndarray = coef) -> tuple:
            lo, hi = lo_hi
            return _sums(weights, coef, nmissing[lo:hi], log_prior[lo:hi])

        # Small skinny products: BLAS threads cost more than they save, so thread by block.
        with _one_blas_thread():
            if cores > 1 and len(bounds) > 1:
                parts = list(_pool(cores).map(run, bounds))
            else:
                parts = [run(b) for b in bounds]
        peak = max(p[2] for p in parts)
        if peak < RESCALE:  # far from overflow: done
            break
        top += peak  # the coarse look missed a sharp peak: sum again on the true scale
    col = np.concatenate([p[0] for p in parts])
    row = np.sum([p[1] for p in parts], axis=0)
    return DgaPosterior(
        nmissing=nmissing,
        observed=int(round(weights.observed)),
        prob=col / col.sum(),
        model_prob=row / row.sum(),
        graphs=graphs,
        log_prior=np.array(log_prior),
        weights=weights,
    )
