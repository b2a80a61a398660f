"""Fit one closed-population model as Rcapture ``closedp.t`` does.

N = n + exp(eta_0) with eta_0 the fitted linear predictor of the unobserved
history (the intercept), its standard error
``sqrt(mu_0 + mu_0**2 var(eta_0))`` (Rcapture ``getN``), the Poisson deviance
and residual df over all ``2**t - 1`` histories, and
``AIC = -2 loglik + 2 rank``, ``BIC = -2 loglik + log(n) rank`` with n the
people observed (Rcapture ``closedp.fitone``).  Chao's eta parameters that come
out negative are set to zero one at a time and the model refitted
(Rcapture ``Chao.neg``), which lowers the rank.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from estimation.capture_table import CaptureTable
from estimation.closed.designs import HETEROGENEITY, ClosedDesign, closed_design
from estimation.intervals.profile import constrained_poisson_fit, independent_columns


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

    @property
    def ok(self) -> bool:
        """A usable fit: converged, finite, with invertible information."""
        return self.converged and self.information_ok and math.isfinite(self.estimate)


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
    y = table.counts.astype(float)
    n = table.n
    Xo, x0 = design.X[1:], design.X[0]
    cols = independent_columns(Xo)
    index = np.flatnonzero(cols)
    nonneg = [int(np.flatnonzero(index == j)[0]) for j in design.nonneg if cols[j]]
    cf = constrained_poisson_fit(Xo[:, cols], y, nonneg=nonneg)
    x0k = x0[cols][cf.kept]
    fit = cf.fit
    eta0 = float(x0k @ fit.coef)
    mu0 = math.exp(min(eta0, 700.0))
    information_ok = fit.cov is not None
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
        set_to_zero=tuple(str(k) for k in names[~cf.kept]),
        aliased=tuple(str(k) for k in np.array(design.names)[~cols]),
        converged=fit.converged,
        information_ok=information_ok,
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
