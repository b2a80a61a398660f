"""Many Poisson log-linear fits at once: vectorised Newton-Raphson over models.

Every model of a search is a set of columns of one *universe* design (intercept,
main effects, all candidate terms) fitted on a set of cells (its face).  Here a
batch of B models is fitted together: coefficients of the columns a model does
not use are held at zero, cells off its face have mean zero, and each Newton
step solves B small systems in one call.  Per model this matches
:func:`estimation.glm.fit_poisson` (same convergence rule, step halving when the
deviance would rise).

The caller must ensure that each model's design on its cells has full column
rank (true for admissible models, see :mod:`estimation.loglinear.existence`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy.special import gammaln, xlogy
from threadpoolctl import ThreadpoolController

from estimation.glm import MAX_ETA

_TOL = 1e-10
_MAX_ITER = 100
_HALVINGS = 30


@cache
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


_depth = 0


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run BLAS on one thread (re-entrant; only the outermost call switches).

    The products here are small: OpenBLAS threads cost far more than they
    save, and on a busy machine a threaded product of 128 x 63 by 63 x 484
    took 50 ms instead of 0.6 ms.
    """
    global _depth
    if _depth:
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
        return
    with _controller().limit(limits=1, user_api="blas"):
        _depth = 1
        try:
            yield
        finally:
            _depth = 0


@dataclass(frozen=True)
class BatchFit:
    """Fits of B models.

    Attributes
    ----------
    coef
        ``(B, P)`` coefficients over the universe's columns (0 where unused).
    loglik
        ``(B,)`` Poisson log-likelihoods, constants included.
    converged
        ``(B,)`` whether each fit met the tolerance.
    """

    coef: np.ndarray
    loglik: np.ndarray
    converged: np.ndarray

    @property
    def unobserved(self) -> np.ndarray:
        """``exp(b0)``: each model's estimate of the people on no list."""
        return np.exp(np.minimum(self.coef[:, 0], MAX_ETA))


def _deviance(y: np.ndarray, mu: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Row-wise deviance over each row's cells (y is zero off them)."""
    safe = np.where(cells, mu, 1.0)
    return 2 * ((xlogy(y, y) - xlogy(y, safe)).sum(axis=1) - (y - mu * cells).sum(axis=1))


def fit_batch(
    X: np.ndarray,
    y: np.ndarray,
    columns: np.ndarray,
    cells: np.ndarray,
    start: np.ndarray | None = None,
) -> BatchFit:
    """Fit B Poisson log-linear models sharing the universe design X.

    Parameters
    ----------
    X
        ``(c, P)`` universe design over the observable cells.
    y
        ``(c,)`` counts.
    columns
        ``(B, P)`` boolean: the columns of each model.
    cells
        ``(B, c)`` boolean: the cells each model is fitted on (its face); every
        cell with people must be included.
    start
        ``(P,)`` or ``(B, P)`` starting coefficients; by default least squares
        on ``log(y + 0.5)`` for the main-effects columns.

    Returns
    -------
    BatchFit
    """
    with single_threaded_blas():
        if np.shape(columns)[0] == 1:
            return _fit_one(X, y, columns[0], cells[0], start)
        return _fit_batch(X, y, columns, cells, start)


def _fit_one(
    X: np.ndarray,
    y: np.ndarray,
    columns: np.ndarray,
    cells: np.ndarray,
    start: np.ndarray | None,
) -> BatchFit:
    """One model on its own columns and cells: the same Newton, fewer array calls.

    Stepwise selection and bootstrap replicates fit one model at a time, where
    the bookkeeping of the batched path would dominate.
    """
    P = X.shape[1]
    Xr = np.asarray(X, float)[np.ix_(cells, columns)]
    yr = np.asarray(y, float)[cells]
    if start is None:
        b = np.linalg.lstsq(Xr, np.log(yr + 0.5), rcond=None)[0]
    else:
        b = np.asarray(start, float).reshape(-1, P)[0][columns]
    # The deviance is const - 2 (y.eta - sum mu); only changes in the bracket matter.
    const = 2 * float((xlogy(yr, yr) - yr).sum())
    eta = np.minimum(Xr @ b, MAX_ETA)
    mu = np.exp(eta)
    ell = float(yr @ eta - mu.sum())
    converged = False
    for _ in range(_MAX_ITER):
        score = Xr.T @ (yr - mu)
        info = (Xr.T * mu) @ Xr
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(info, score, rcond=None)[0]
        for _ in range(_HALVINGS):
            new_eta = np.minimum(Xr @ (b + step), MAX_ETA)
            new_mu = np.exp(new_eta)
            new_ell = float(yr @ new_eta - new_mu.sum())
            if new_ell >= ell - 5e-13 * (1 + abs(const - 2 * ell)):
                break
            step = step / 2
        change = 2 * abs(new_ell - ell)
        b, eta, mu, ell = b + step, new_eta, new_mu, new_ell
        if change <= _TOL * (abs(const - 2 * ell) + 0.1):
            converged = True
            break
    coef = np.zeros((1, P))
    coef[0, columns] = b
    loglik = ell - float(gammaln(yr + 1).sum())
    return BatchFit(coef=coef, loglik=np.array([loglik]), converged=np.array([converged]))


def _fit_batch(
    X: np.ndarray,
    y: np.ndarray,
    columns: np.ndarray,
    cells: np.ndarray,
    start: np.ndarray | None,
) -> BatchFit:
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    columns = np.asarray(columns, bool)
    cells = np.asarray(cells, bool)
    B, P = columns.shape
    if B == 0:
        return BatchFit(np.zeros((0, P)), np.zeros(0), np.zeros(0, bool))
    if start is None:
        main = np.zeros(P, bool)
        main[: 1 + _mains(X)] = True
        start = np.zeros(P)
        start[main] = np.linalg.lstsq(X[:, main], np.log(y + 0.5), rcond=None)[0]
    beta = np.broadcast_to(np.asarray(start, float), (B, P)) * columns
    outer = (X[:, :, None] * X[:, None, :]).reshape(X.shape[0], P * P)
    pair_mask = (columns[:, :, None] & columns[:, None, :]).reshape(B, P * P)
    unused = (~columns).astype(float)
    diag = np.arange(P)
    Y = np.broadcast_to(y, (B, y.shape[0]))

    def means(b: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return np.exp(np.clip(b @ X.T, -MAX_ETA, MAX_ETA)) * cells[rows]

    idx_all = np.arange(B)
    mu = means(beta, idx_all)
    dev = _deviance(Y, mu, cells)
    converged = np.zeros(B, bool)
    active = idx_all
    for _ in range(_MAX_ITER):
        if active.size == 0:
            break
        b, m = beta[active], mu[active]
        score = ((Y[active] - m) @ X) * columns[active]
        info = ((m @ outer) * pair_mask[active]).reshape(-1, P, P)
        info[:, diag, diag] += unused[active]
        try:
            step = np.linalg.solve(info, score[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            pairs = zip(info, score, strict=True)
            step = np.stack([np.linalg.lstsq(a, s, rcond=None)[0] for a, s in pairs])
        old = dev[active]
        new_b = b + step
        new_mu = means(new_b, active)
        new_dev = _deviance(Y[active], new_mu, cells[active])
        for _ in range(_HALVINGS):
            worse = ~(new_dev <= old + 1e-12 * (1 + np.abs(old)))
            if not worse.any():
                break
            step[worse] /= 2
            new_b[worse] = b[worse] + step[worse]
            new_mu[worse] = means(new_b[worse], active[worse])
            new_dev[worse] = _deviance(Y[active][worse], new_mu[worse], cells[active][worse])
        beta[active], mu[active], dev[active] = new_b, new_mu, new_dev
        done = np.abs(old - new_dev) <= _TOL * (np.abs(new_dev) + 0.1)
        converged[active[done]] = True
        active = active[~done]
    pos = np.where(cells, mu, 1.0)
    loglik = (xlogy(Y, pos) - mu * cells).sum(axis=1) - gammaln(y + 1).sum()
    return BatchFit(coef=beta, loglik=loglik, converged=converged)


def _mains(X: np.ndarray) -> int:
    """Number of main-effect columns: t for a design with ``2**t - 1`` rows."""
    return int(round(np.log2(X.shape[0] + 1)))
