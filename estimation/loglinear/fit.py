"""Fit one hierarchical log-linear model by (extended) maximum likelihood.

``y_h ~ Poisson(mu_h)``, ``log mu_h = b0 + sum_j b_j h_j + sum_T b_T prod_{j in T} h_j``
over the ``2**t - 1`` observable cells; ``N_hat = n + exp(b0)`` (METHODS.md).
When the MLE does not exist the model is fitted on the face found by
:mod:`estimation.loglinear.existence` (cells off the face have fitted mean
zero; columns not identified on the face are dropped, as R's ``glm`` aliases
them), which is the extended MLE.

Information criteria count every parameter of the model, those at minus
infinity included (MultipleSystemsEstimation ``fit_hier_model``; SparseMSE
adds them to the AIC), and BIC uses the number of people observed:
``AIC = -2 loglik + 2k``, ``BIC = -2 loglik + k log n``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from estimation.capture_table import CaptureTable
from estimation.glm import fit_poisson, poisson_deviance, poisson_loglik
from estimation.loglinear.existence import Existence, existence_for
from estimation.loglinear.terms import (
    Term,
    canonical_terms,
    column_names,
    design_matrix,
    full_design,
    term_name,
)
from estimation.result import EXISTENCE_NOT_IDENTIFIABLE, EXISTENCE_OK


@dataclass(frozen=True)
class LoglinearFit:
    """A fitted log-linear model and what a reader needs to judge it.

    Attributes
    ----------
    table
        The capture table fitted.
    terms
        The model's interaction terms as list-index tuples (hierarchically closed).
    existence
        Existence and identifiability of the MLE.
    estimate
        ``N_hat = n + exp(b0)``; ``nan`` when N is not identifiable.
    coef, se
        Estimates and standard errors by column name (``(Intercept)``, lists,
        terms).  Parameters at minus infinity are ``-inf`` (SE ``nan``); columns
        not identified on the face are ``nan``.
    mu
        Fitted means of the observable cells (zero off the face).
    loglik, deviance
        Poisson log-likelihood (constants included) and deviance.
    k
        Number of parameters of the model, minus-infinite ones included.
    se_log_unobserved
        Standard error of ``b0 = log(N - n)`` (the Wald interval of SparseMSE
        ``estimatepopulation.0``); ``nan`` when not available.
    converged
        Whether the Newton iterations converged.
    """

    table: CaptureTable
    terms: tuple[Term, ...]
    existence: Existence
    estimate: float
    coef: dict[str, float]
    se: dict[str, float]
    mu: np.ndarray = field(repr=False)
    loglik: float
    deviance: float
    k: int
    se_log_unobserved: float
    converged: bool

    # ------------------------------------------------------------ derived
    @property
    def lists(self) -> tuple[str, ...]:
        """The table's lists."""
        return self.table.lists

    @property
    def term_names(self) -> tuple[str, ...]:
        """Interaction terms by name, e.g. ``("LA:NG", "NG:GP")``."""
        return tuple(term_name(self.lists, term) for term in self.terms)

    @property
    def status(self) -> str:
        """Existence status (see :class:`~estimation.loglinear.existence.Existence`)."""
        return self.existence.status

    @property
    def observed(self) -> int:
        """People observed, n."""
        return self.table.n

    @property
    def unobserved(self) -> float:
        """Estimated people on no list, ``exp(b0)``."""
        return self.estimate - self.observed

    @property
    def df(self) -> int:
        """Residual degrees of freedom: cells minus parameters."""
        return len(self.mu) - self.k

    @property
    def aic(self) -> float:
        """``-2 loglik + 2k``."""
        return -2 * self.loglik + 2 * self.k

    @property
    def bic(self) -> float:
        """``-2 loglik + k log n`` with n the people observed."""
        return -2 * self.loglik + self.k * math.log(self.observed)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Plain-language warnings: existence problems, non-convergence."""
        out = []
        if self.status != EXISTENCE_OK:
            out.append(self.existence.reason)
        if not self.converged:
            out.append("the model fit did not converge; treat the estimate with caution")
        return tuple(out)

    def design(self) -> np.ndarray:
        """Design over all ``2**t`` cells, row 0 the unobserved cell (for profile intervals)."""
        return full_design(self.table.t, self.terms)

    def wald_p(self, name: str) -> float:
        """Two-sided Wald p-value of one parameter (1 when it is minus infinity or aliased)."""
        from scipy.stats import norm

        b, s = self.coef[name], self.se[name]
        if not (math.isfinite(b) and math.isfinite(s)) or s <= 0:
            return 1.0
        return float(2 * norm.sf(abs(b / s)))

    def coefficient_table(self) -> list[dict[str, Any]]:
        """One row per parameter: name, estimate, SE, z, Wald p."""
        rows = []
        for name, b in self.coef.items():
            s = self.se[name]
            z = b / s if math.isfinite(b) and math.isfinite(s) and s > 0 else float("nan")
            rows.append({"term": name, "estimate": b, "se": s, "z": z, "p": self.wald_p(name)})
        return rows

    def diagnostics(self) -> dict[str, Any]:
        """Figures for an :class:`~estimation.result.EstimateResult`'s diagnostics."""
        return {
            "loglik": self.loglik,
            "deviance": self.deviance,
            "df": self.df,
            "parameters": self.k,
            "AIC": self.aic,
            "BIC": self.bic,
            "coefficients": self.coefficient_table(),
            "minus_infinity": list(self.existence.empty_terms),
            "face_cells": int(self.existence.face.sum()),
            "se_log_unobserved": self.se_log_unobserved,
            "converged": self.converged,
        }


def fit_loglinear(
    table: CaptureTable, terms: Sequence[str | Sequence[str] | Sequence[int]] = ()
) -> LoglinearFit:
    """Fit the hierarchical log-linear model with these interaction terms.

    Parameters
    ----------
    table
        The capture table.
    terms
        Interaction terms by name (``"LA:NG"``), by list names or indices;
        higher-order terms bring their sub-terms with them.

    Returns
    -------
    LoglinearFit
        With ``estimate`` = ``nan`` (and a warning) when N is not identifiable.

    Examples
    --------
    >>> fit = fit_loglinear(table, ["b:c", "c:d"])   # doctest: +SKIP
    >>> round(fit.estimate, 2), round(fit.bic, 3)     # doctest: +SKIP
    (157.17, 57.141)
    """
    return fit_terms(table, canonical_terms(table.lists, terms))


def fit_terms(
    table: CaptureTable, terms: tuple[Term, ...], *, start: np.ndarray | None = None
) -> LoglinearFit:
    """:func:`fit_loglinear` for parsed, hierarchically closed terms.

    ``start`` gives starting values over all design columns (e.g. a smaller
    model's coefficients padded with zeros).
    """
    existence = existence_for(table.lists, table.counts > 0, terms)
    X = design_matrix(table.t, terms)
    names = column_names(table.lists, terms)
    y = table.counts.astype(float)
    face = existence.face
    empty = set(existence.empty_terms)
    usable = np.array([j == 0 or names[j] not in empty for j in range(X.shape[1])])
    XF = X[np.ix_(face, usable)]
    cols = np.flatnonzero(usable)
    basis = _basis(XF) if np.linalg.matrix_rank(XF) < XF.shape[1] else np.ones(XF.shape[1], bool)
    cols = cols[basis]
    begin = None
    if start is not None:
        begin = np.asarray(start, float)[cols]
        if not np.all(np.isfinite(begin)):
            begin = None
    fit = fit_poisson(X[np.ix_(face, cols)], y[face], start=begin)

    mu = np.zeros(len(y))
    mu[face] = fit.mu
    coef = {name: float("nan") for name in names}
    se = dict(coef)
    for name in empty:
        coef[name] = float("-inf")
    for j, b, s in zip(cols, fit.coef, fit.se, strict=True):
        coef[names[j]] = float(b)
        se[names[j]] = float(s)
    identifiable = existence.status != EXISTENCE_NOT_IDENTIFIABLE
    estimate = table.n + math.exp(min(coef["(Intercept)"], 700.0)) if identifiable else math.nan
    se_b0 = se["(Intercept)"] if identifiable else math.nan
    return LoglinearFit(
        table=table,
        terms=terms,
        existence=existence,
        estimate=estimate,
        coef=coef,
        se=se,
        mu=mu,
        loglik=poisson_loglik(y, mu),
        deviance=poisson_deviance(y, mu),
        k=X.shape[1],
        se_log_unobserved=se_b0,
        converged=fit.converged,
    )


def _basis(X: np.ndarray) -> np.ndarray:
    """Mask of columns forming a basis of X's column space, earlier columns first."""
    keep = np.zeros(X.shape[1], bool)
    rank = 0
    for j in range(X.shape[1]):
        keep[j] = True
        new_rank = np.linalg.matrix_rank(X[:, keep])
        if new_rank == rank:
            keep[j] = False
        rank = new_rank
    return keep
