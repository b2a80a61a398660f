"""Poisson log-linear GLM by Newton-Raphson, the engine under every classical model.

Fast for the small designs of multiple-systems estimation (at most a few
hundred cells, a few dozen columns): no formula parsing, no pandas.
It fits what it is given; the *existence* of the MLE is the caller's business
(see :mod:`estimation.loglinear.existence`) so that a parameter running off to
minus infinity is detected, not silently returned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

MAX_ETA = 700.0


@dataclass(frozen=True)
class PoissonFit:
    """A fitted Poisson log-linear model.

    Attributes
    ----------
    coef
        Coefficients, one per design column.
    mu
        Fitted means of the cells.
    loglik
        Poisson log-likelihood, constants included.
    deviance
        Residual deviance against the saturated model.
    cov
        Covariance matrix of ``coef`` (inverse Fisher information), or ``None``
        when the information is singular.
    converged
        Whether Newton's iterations met the tolerance.
    iterations
        Newton steps taken.
    """

    coef: np.ndarray
    mu: np.ndarray
    loglik: float
    deviance: float
    cov: np.ndarray | None
    converged: bool
    iterations: int

    @property
    def se(self) -> np.ndarray:
        """Standard errors of ``coef`` (``nan`` when the information is singular)."""
        if self.cov is None:
            return np.full(self.coef.shape, np.nan)
        return np.sqrt(np.clip(np.diag(self.cov), 0, None))


def poisson_loglik(y: np.ndarray, mu: np.ndarray) -> float:
    """Poisson log-likelihood of counts ``y`` at means ``mu`` (``0 log 0 = 0``)."""
    y = np.asarray(y, float)
    mu = np.asarray(mu, float)
    pos = y > 0
    out = -mu.sum() - gammaln(y + 1).sum()
    out += float((y[pos] * np.log(mu[pos])).sum())
    return float(out)


def poisson_deviance(y: np.ndarray, mu: np.ndarray) -> float:
    """Deviance ``2 sum(y log(y/mu) - (y - mu))``."""
    y = np.asarray(y, float)
    mu = np.asarray(mu, float)
    pos = y > 0
    dev = 2 * (np.sum(y[pos] * np.log(y[pos] / mu[pos])) - np.sum(y - mu))
    return float(max(dev, 0.0))


def fit_poisson(
    X: np.ndarray,
    y: np.ndarray,
    *,
    offset: np.ndarray | None = None,
    start: np.ndarray | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> PoissonFit:
    """Maximum-likelihood Poisson regression with log link.

    Parameters
    ----------
    X
        ``(cells, p)`` design matrix of full column rank.
    y
        Cell counts.
    offset
        Known part of the linear predictor.
    start
        Starting coefficients; by default a least-squares fit to ``log(y + 0.5)``.
    tol
        Convergence tolerance on the relative change in deviance.
    max_iter
        Newton steps at most.

    Returns
    -------
    PoissonFit
    """
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    off = np.zeros(len(y)) if offset is None else np.asarray(offset, float)
    if start is None:
        beta = np.linalg.lstsq(X, np.log(y + 0.5) - off, rcond=None)[0]
    else:
        beta = np.asarray(start, float).copy()
    eta = np.clip(X @ beta + off, -MAX_ETA, MAX_ETA)
    mu = np.exp(eta)
    dev = poisson_deviance(y, mu)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - it is reported
        score = X.T @ (y - mu)
        info = X.T @ (X * mu[:, None])
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(info, score, rcond=None)[0]
        # Step halving keeps the deviance from rising (Newton can overshoot
        # when a parameter heads for minus infinity).
        for _ in range(30):
            new_beta = beta + step
            new_mu = np.exp(np.clip(X @ new_beta + off, -MAX_ETA, MAX_ETA))
            new_dev = poisson_deviance(y, new_mu)
            if new_dev <= dev + 1e-12 * (1 + abs(dev)):
                break
            step = step / 2
        change = abs(dev - new_dev)
        beta, mu, dev = new_beta, new_mu, new_dev
        if change <= tol * (abs(dev) + 0.1):
            converged = True
            break
    info = X.T @ (X * mu[:, None])
    cov: np.ndarray | None
    try:
        cov = np.linalg.inv(info)
        if not np.all(np.isfinite(cov)) or np.linalg.cond(info) > 1e14:
            cov = None
    except np.linalg.LinAlgError:
        cov = None
    return PoissonFit(
        coef=beta,
        mu=mu,
        loglik=poisson_loglik(y, mu),
        deviance=dev,
        cov=cov,
        converged=converged,
        iterations=it,
    )
