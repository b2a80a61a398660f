"""Fit one closed-population model as Rcapture ``closedp.t`` does.

N = n + exp(eta_0) with eta_0 the fitted linear predictor of the unobserved
history (the intercept), its standard error
``sqrt(mu_0 + mu_0**2 var(eta_0))`` (Rcapture ``getN``), the Poisson deviance
and residual df over all ``2**t - 1`` histories, and
``AIC = -2 loglik + 2 rank``, ``BIC = -2 loglik + log(n) rank`` with n the
people observed (Rcapture ``closedp.fitone``).  Chao's eta parameters that come
out negative are set to zero one at a time and the model refitted
(Rcapture ``Chao.neg``), which lowers the rank.

When the MLE does not exist (Haberman 1974; Fienberg and Rinaldo 2012: some
direction of the parameters raises the likelihood for ever, sending the
fitted means of some empty cells to zero) the fit is the extended MLE on the
face found by linear programming; Rcapture instead reports whatever ``glm``
stopped at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from estimation.capture_table import CaptureTable
from estimation.closed.designs import HETEROGENEITY, ClosedDesign, closed_design
from estimation.intervals.profile import (
    ConstrainedFit,
    constrained_poisson_fit,
    independent_columns,
)

#: With a singular information matrix, more unseen than this many times the observed
#: is a fit running off to infinity, not an estimate.
DIVERGED_RATIO = 1e4


@dataclass(frozen=True)
class ClosedFit:
    """A fitted closed-population model.

    Attributes
    ----------
    label
        Rcapture's model label.
    estimate
        Poisson estimate of N, ``n + mu_0``.
    se
        Its standard error.
    deviance, df
        Residual deviance and degrees of freedom over the ``2**t - 1`` histories.
    loglik
        Poisson log-likelihood, constants included.
    AIC, BIC
        Information criteria (rank = parameters estimated, intercept included).
    parameters
        Estimated coefficients by name (zeroed and aliased ones left out).
    set_to_zero
        Chao eta parameters set to zero because they came out negative.
    aliased
        Parameters not estimable from the table (linearly dependent columns).
    converged
        Whether the Newton iterations converged.
    information_ok
        Whether the Fisher information was invertible.
    face
        Boolean mask over the observed cells with a positive fitted mean; all
        True when the MLE exists.
    """

    label: str
    observed: int
    estimate: float
    se: float
    deviance: float
    df: int
    loglik: float
    AIC: float
    BIC: float
    parameters: MappingProxyType[str, float] = field(repr=False)
    set_to_zero: tuple[str, ...] = ()
    aliased: tuple[str, ...] = ()
    converged: bool = True
    information_ok: bool = True
    face: np.ndarray = field(default_factory=lambda: np.ones(0, bool), repr=False)

    @property
    def ok(self) -> bool:
        """A usable fit: converged, finite, with invertible information."""
        return self.converged and self.information_ok and math.isfinite(self.estimate)

    @property
    def mle_exists(self) -> bool:
        """False when some cells are fitted as zero (the extended MLE)."""
        return bool(self.face.all())


def mle_face(X: np.ndarray, y: np.ndarray, nonneg: tuple[int, ...] = ()) -> np.ndarray:
    """Cells with a positive fitted mean under the (extended) MLE.

    The MLE fails to exist when some direction ``d = X delta`` is zero on the
    cells with people, <= 0 on the empty cells and negative on some of them
    (Haberman 1974, theorem 2.2); those cells are then fitted as zero.  Each
    linear program pushes as many empty cells as it can below zero; it is
    repeated until no further cell leaves the face.  Coefficients in
    ``nonneg`` cannot go to minus infinity, so ``delta`` is >= 0 on them.

    Parameters
    ----------
    X
        Design over the observed cells.
    y
        Counts.
    nonneg
        Columns whose coefficients are constrained to be >= 0.

    Returns
    -------
    numpy.ndarray
        Boolean mask over the cells.
    """
    face = np.ones(y.shape[0], bool)
    zero = np.flatnonzero(y == 0)
    if zero.size == 0:
        return face
    pos = y > 0
    # Quick sufficient condition: if the cells with people alone determine every
    # parameter, X'y is interior to a full-dimensional cone and the MLE exists.
    if np.linalg.matrix_rank(X[pos]) == np.linalg.matrix_rank(X):
        return face
    bounds = [(0, None) if j in nonneg else (None, None) for j in range(X.shape[1])]
    candidates = zero
    while candidates.size:
        off = np.flatnonzero(~face)
        # d on candidate cells in [-1, 0]; on cells already off the face only <= 0.
        A_ub = np.vstack([X[candidates], -X[candidates], X[off]])
        b_ub = np.concatenate(
            [np.zeros(candidates.size), np.ones(candidates.size), np.zeros(off.size)]
        )
        res = linprog(
            X[candidates].sum(axis=0),
            A_ub=A_ub,
            b_ub=b_ub,
            A_eq=X[pos],
            b_eq=np.zeros(int(pos.sum())),
            bounds=bounds,
            method="highs",
        )
        if res.status != 0 or res.fun > -1e-7:
            break
        leaving = candidates[X[candidates] @ res.x < -1e-7]
        if leaving.size == 0:
            break
        face[leaving] = False
        candidates = np.setdiff1d(candidates, leaving)
    return face


def _fit_on_face(
    Xo: np.ndarray, y: np.ndarray, x0: np.ndarray, design: ClosedDesign, dropped: np.ndarray
) -> tuple[np.ndarray, ConstrainedFit]:
    """Constrained fit on the face's cells, without the columns already ``dropped``.

    Returns the mask of columns used (independent and not dropped) and the fit.
    """
    coef_row = np.linalg.lstsq(Xo.T, x0, rcond=None)[0]
    if np.linalg.norm(Xo.T @ coef_row - x0) > 1e-8 * (1 + np.linalg.norm(x0)):
        raise ValueError(
            f"N cannot be estimated with {design.label}: the people observed do not "
            "determine the number on no list (too many lists recorded nobody or everybody)"
        )
    cols = independent_columns(np.where(dropped, 0.0, Xo))
    index = np.flatnonzero(cols)
    nonneg = [int(np.flatnonzero(index == j)[0]) for j in design.nonneg if cols[j]]
    return cols, constrained_poisson_fit(Xo[:, cols], y, nonneg=nonneg)


def fit_closed(table: CaptureTable, design: ClosedDesign) -> ClosedFit:
    """Fit ``design`` to ``table`` by Poisson regression.

    Parameters
    ----------
    table
        The capture table (``t`` must match the design).
    design
        From :func:`estimation.closed.designs.closed_design`.

    Returns
    -------
    ClosedFit
    """
    if design.X.shape[0] != 2**table.t:
        raise ValueError(f"design has {design.X.shape[0]} rows for a table on {table.t} lists")
    y_all = table.counts.astype(float)
    n = table.n
    X1, x0 = design.X[1:], design.X[0]
    # Chao's rule drops eta columns, and the smaller model can lose the MLE the full one
    # had: find the face again for the columns kept, until it no longer changes.
    dropped = np.zeros(X1.shape[1], bool)
    face = mle_face(X1, y_all, design.nonneg)
    for _ in range(X1.shape[1]):
        y, Xo = y_all[face], X1[face]
        cols, cf = _fit_on_face(Xo, y, x0, design, dropped)
        now_dropped = dropped.copy()
        now_dropped[np.flatnonzero(cols)[~cf.kept]] = True
        if np.array_equal(now_dropped, dropped):
            break
        keep = ~now_dropped
        nonneg = tuple(int(np.sum(keep[:j])) for j in design.nonneg if keep[j])
        new_face = mle_face(X1[:, keep], y_all, nonneg)
        if np.array_equal(new_face, face):
            break
        face, dropped = new_face, now_dropped
    x0k = x0[cols][cf.kept]
    fit = cf.fit
    eta0 = float(x0k @ fit.coef)
    mu0 = math.exp(eta0) if eta0 < 700.0 else math.inf
    if fit.cov is None and mu0 > DIVERGED_RATIO * n:
        # A singular information matrix with an astronomic N: the parameters are running
        # off to infinity along a direction that sends N there (e.g. 3e250 from 400 people).
        mu0 = math.inf
    information_ok = fit.cov is not None and math.isfinite(mu0)
    var_eta0 = float(x0k @ fit.cov @ x0k) if fit.cov is not None else math.nan
    se = math.sqrt(mu0 + mu0**2 * var_eta0) if information_ok else math.nan
    rank = int(cf.kept.sum())
    names = np.array(design.names)[cols]
    return ClosedFit(
        label=design.label,
        observed=n,
        estimate=n + mu0,
        se=se,
        deviance=fit.deviance,
        df=int(y.shape[0] - rank),
        loglik=fit.loglik,
        AIC=-2 * fit.loglik + 2 * rank,
        BIC=-2 * fit.loglik + math.log(n) * rank,
        parameters=MappingProxyType(
            {str(k): float(v) for k, v in zip(names[cf.kept], fit.coef, strict=True)}
        ),
        set_to_zero=tuple(str(k) for k in [*np.array(design.names)[dropped], *names[~cf.kept]]),
        aliased=tuple(str(k) for k in np.array(design.names)[~cols & ~dropped]),
        converged=fit.converged,
        information_ok=information_ok,
        face=face,
    )


#: The models of Rcapture ``closedp.t`` for t >= 3, in its order.
CLOSEDP_MODELS: tuple[tuple[str, str | None], ...] = (
    ("M0", None),
    ("Mt", None),
    *(("Mh", h) for h in HETEROGENEITY),
    *(("Mth", h) for h in HETEROGENEITY),
)


def closedp_table(table: CaptureTable) -> pd.DataFrame:
    """Every M0/Mt/Mh/Mth model on one table, as Rcapture ``closedp.t`` prints them.

    Heterogeneity models are skipped when the table has fewer than 3 lists.

    Returns
    -------
    pandas.DataFrame
        Indexed by model label, columns ``abundance stderr deviance df AIC BIC``.
    """
    rows = {}
    for model, h in CLOSEDP_MODELS:
        if h is not None and table.t < 3:
            continue
        fit = fit_closed(table, closed_design(table.t, model, h))
        rows[fit.label] = {
            "abundance": fit.estimate,
            "stderr": fit.se,
            "deviance": fit.deviance,
            "df": fit.df,
            "AIC": fit.AIC,
            "BIC": fit.BIC,
        }
    return pd.DataFrame.from_dict(rows, orient="index")
