"""Forward selection of two-list interactions: Poisson p-value stepwise and AIC stepwise.

``stepwise`` (Chan, Silverman and Vincent 2021; SparseMSE ``stepwisefit``):
from main effects, for every pair (i, j) not in the model take the fitted
overlap ``mu*_ij`` (sum of fitted means over cells on both lists) and the
observed overlap ``n*_ij``; ``p_ij = min(P[X <= n*], P[X >= n*])`` with
``X ~ Poisson(mu*)``.  A pair whose enlarged model is not admissible gets
``p = 1``.  Add the smallest-p pair while ``p < threshold`` (SparseMSE stops
when ``min p >= pthresh``; default 0.02).  A pair with no overlap can enter:
its parameter is minus infinity.

``aic-stepwise`` (Home Office 2014; Bales, Hesketh and Silverman 2015): from
main effects add the admissible pair that lowers AIC most; stop when none
lowers AIC or the added term's Wald p-value exceeds 0.05 (a term at minus
infinity has no finite Wald statistic: p = 1).

Ties are broken by the term names, so that reordering the lists of a table
never changes the model chosen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import pdtr, pdtrc

from estimation.capture_table import CaptureTable
from estimation.loglinear.batch import single_threaded_blas
from estimation.loglinear.fit import fit_terms
from estimation.loglinear.model_space import PairSpace
from estimation.loglinear.terms import Term

STEPWISE_THRESHOLD = 0.02
WALD_THRESHOLD = 0.05


@dataclass(frozen=True)
class Selection:
    """The model a forward selection chose, and how.

    Attributes
    ----------
    terms
        The chosen pairs, in the order they entered.
    estimate
        ``N_hat`` of the chosen model.
    path
        One dict per step: the term added and the figures that decided it.
    stop
        Why the selection stopped, in a sentence.
    skipped
        Candidate terms passed over because the enlarged model is not
        admissible, with the reason (first time seen).
    """

    terms: tuple[Term, ...]
    estimate: float
    path: tuple[dict[str, Any], ...]
    stop: str
    skipped: dict[str, str] = field(default_factory=dict)


def _key(value: float, name: str) -> tuple[float, tuple[str, ...]]:
    """Sort key robust to last-bit differences: 10 significant digits, then the lists.

    The lists of the term are sorted by name, so the key does not depend on the
    order of the table's columns.
    """
    return (float(f"{value:.9e}"), tuple(sorted(name.split(":"))))


def overlap_p_values(n_star: np.ndarray, mu_star: np.ndarray) -> np.ndarray:
    """``min(P[X <= n*], P[X >= n*])`` for ``X ~ Poisson(mu*)``, elementwise."""
    lower = pdtr(n_star, mu_star)
    upper = np.where(n_star > 0, pdtrc(np.maximum(n_star - 1, 0), mu_star), 1.0)
    return np.minimum(lower, upper)


def stepwise(table: CaptureTable, *, threshold: float = STEPWISE_THRESHOLD) -> Selection:
    """Poisson p-value forward selection (SparseMSE ``stepwisefit``).

    Parameters
    ----------
    table
        The capture table.
    threshold
        A pair enters only if its p-value is below this.

    Returns
    -------
    Selection
    """
    with single_threaded_blas():
        return _stepwise(table, threshold)


def _stepwise(table: CaptureTable, threshold: float) -> Selection:
    space = PairSpace(table)
    n_star = space.overlaps()
    pair_cols = space.X[:, space.t + 1 :]
    names = [space.names(1 << k)[0] for k in range(space.n_pairs)]
    model = 0
    fits = space.fit(np.zeros(1, np.int64))
    if not fits.admissible[0]:
        return _main_effects_only(table, fits.reasons[0])
    coef = fits.coef[0]
    path: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    while True:
        out = [k for k in range(space.n_pairs) if not model >> k & 1]
        if not out:
            stop = "every pair is in the model"
            break
        mu = space.means(model, coef)
        mu_star = mu @ pair_cols[:, out]
        p = overlap_p_values(n_star[out], mu_star)
        ok = _admissible(space, [model | 1 << k for k in out], skipped, [names[k] for k in out])
        p = np.where(ok, p, 1.0)
        best = min(range(len(out)), key=lambda i: _key(float(p[i]), names[out[i]]))
        if not p[best] < threshold:
            stop = f"no admissible pair has p < {threshold:g} (smallest {p[best]:.3g})"
            break
        k = out[best]
        model |= 1 << k
        fits = space.fit(np.array([model], np.int64), start=coef)
        coef = fits.coef[0]
        path.append(
            {
                "step": len(path) + 1,
                "added": names[k],
                "p_value": float(p[best]),
                "observed_overlap": int(n_star[k]),
                "fitted_overlap": float(mu_star[best]),
                "N_hat": float(fits.estimate[0]),
            }
        )
    estimate = float(table.n + math.exp(coef[0]))
    return Selection(_ordered(space, path), estimate, tuple(path), stop, skipped)


def aic_stepwise(table: CaptureTable, *, wald: float = WALD_THRESHOLD) -> Selection:
    """Forward selection by AIC with a Wald check (Home Office 2014).

    Parameters
    ----------
    table
        The capture table.
    wald
        Stop when the added term's two-sided Wald p-value exceeds this.

    Returns
    -------
    Selection
    """
    with single_threaded_blas():
        return _aic_stepwise(table, wald)


def _aic_stepwise(table: CaptureTable, wald: float) -> Selection:
    space = PairSpace(table)
    names = [space.names(1 << k)[0] for k in range(space.n_pairs)]
    model = 0
    fits = space.fit(np.zeros(1, np.int64))
    if not fits.admissible[0]:
        return _main_effects_only(table, fits.reasons[0])
    coef = fits.coef[0]
    aic = float(fits.neg2loglik[0] + 2 * space.n_params(fits.models)[0])
    estimate = float(fits.estimate[0])
    path: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    while True:
        out = [k for k in range(space.n_pairs) if not model >> k & 1]
        if not out:
            stop = "every pair is in the model"
            break
        cand = np.array([model | 1 << k for k in out], np.int64)
        fits = space.fit(cand, start=coef)
        for m, why in fits.reasons.items():
            skipped.setdefault(names[(m ^ model).bit_length() - 1], why)
        aics = np.where(fits.admissible, fits.neg2loglik + 2 * space.n_params(cand), np.inf)
        best = min(range(len(out)), key=lambda i: _key(float(aics[i]), names[out[i]]))
        if not aics[best] < aic:
            stop = f"no admissible pair lowers AIC below {aic:.2f}"
            break
        k = out[best]
        enlarged = fit_terms(table, space.terms(model | 1 << k))
        p = enlarged.wald_p(names[k])
        step = {
            "step": len(path) + 1,
            "added": names[k],
            "AIC": float(aics[best]),
            "AIC_change": float(aics[best] - aic),
            "wald_p": p,
            "N_hat": float(fits.estimate[best]),
        }
        if p > wald:
            stop = f"the best term {names[k]} has Wald p = {p:.3g} > {wald:g}; not added"
            break
        path.append(step)
        model |= 1 << k
        coef, aic, estimate = fits.coef[best], float(aics[best]), float(fits.estimate[best])
    return Selection(_ordered(space, path), estimate, tuple(path), stop, skipped)


def _main_effects_only(table: CaptureTable, reason: str) -> Selection:
    """When even main effects fail the check, no enlarged model passes it either.

    Existence is inherited by sub-models, so every larger model fails too; the
    selection stops at main effects, fitted by extended MLE if N is still
    identifiable (as SparseMSE fits main effects without a check).
    """
    fit = fit_terms(table, ())
    if not math.isfinite(fit.estimate):
        raise ValueError(reason)
    stop = f"main effects only: {reason}"
    return Selection((), fit.estimate, (), stop, {"(main effects)": reason})


def _admissible(
    space: PairSpace, models: list[int], skipped: dict[str, str], labels: list[str]
) -> np.ndarray:
    """Admissibility of candidate models, recording why rejected ones were."""
    if space.all_quick:
        return np.ones(len(models), bool)
    models_arr = np.array(models, np.int64)
    cols, _ = space.masks(models_arr)
    ok = space.quick_ok(cols)
    for i in np.flatnonzero(~ok):
        from estimation.loglinear.existence import existence_for

        ex = existence_for(space.table.lists, space.support, space.terms(models[i]))
        ok[i] = ex.admissible
        if not ex.admissible:
            skipped.setdefault(labels[i], ex.reason)
    return ok


def _ordered(space: PairSpace, path: list[dict[str, Any]]) -> tuple[Term, ...]:
    """The terms in the order they entered the model."""
    index = {space.names(1 << k)[0]: space.pairs[k] for k in range(space.n_pairs)}
    return tuple(index[step["added"]] for step in path)
