"""Design matrices of Rcapture's closed-population models in log-linear form.

Rcapture (``Xclosedp``; Baillargeon and Rivest 2007, J. Stat. Software 19(5),
section 2) writes every closed-population model as a Poisson log-linear model
on the ``2**t - 1`` observable capture histories:

* ``M0``: intercept + the number of captures ``f(h) = sum_j h_j``;
* ``Mt``: intercept + one column per list (the independence model);
* ``Mh``: ``M0`` plus heterogeneity columns in ``f(h)``; ``Mth``: ``Mt`` plus them.

Heterogeneity columns:

* Chao's lower bound (``LB``): ``max(f - k + 1, 0)`` for ``k = 3 .. t``; their
  coefficients (eta) must be >= 0;
* Poisson2: ``2**f - 1``;
* Darroch: ``f**2 / 2``;
* Gamma3.5: ``log(3.5) - log(3.5 + f)``.

Row 0 of every design here is the unobserved all-absent history (``f = 0``),
rows ``1 ..`` follow the capture-table cell order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from estimation.capture_table import pattern_matrix

HETEROGENEITY = ("chao", "poisson2", "darroch", "gamma3.5")
HETEROGENEITY_LABEL = {
    "chao": "Chao (LB)",
    "poisson2": "Poisson2",
    "darroch": "Darroch",
    "gamma3.5": "Gamma3.5",
}


@dataclass(frozen=True)
class ClosedDesign:
    """The design of one closed-population model.

    Attributes
    ----------
    X
        ``(2**t, p)`` design with the intercept first; row 0 is the unobserved cell.
    names
        Parameter names, Rcapture style (``Intercept``, ``beta``, ``beta1``, ``eta3``, ``tau``).
    nonneg
        Columns whose coefficients must be >= 0 (Chao's eta parameters).
    label
        Rcapture's model label, e.g. ``Mth Poisson2``.
    """

    X: np.ndarray
    names: tuple[str, ...]
    nonneg: tuple[int, ...]
    label: str


def captures(t: int) -> np.ndarray:
    """Number of captures ``f`` of every history, the all-absent one first."""
    return np.concatenate([[0], pattern_matrix(t).sum(axis=1)]).astype(float)


def heterogeneity_columns(f: np.ndarray, t: int, h: str) -> tuple[np.ndarray, list[str]]:
    """The heterogeneity columns of ``h`` at capture counts ``f``, and their names."""
    if h == "chao":
        ks = range(3, t + 1)
        cols = np.column_stack([np.maximum(f - k + 1, 0) for k in ks])
        return cols, [f"eta{k}" for k in ks]
    if h == "poisson2":
        return (2.0**f - 1)[:, None], ["tau"]
    if h == "darroch":
        return (f**2 / 2)[:, None], ["tau"]
    if h == "gamma3.5":
        return (np.log(3.5) - np.log(3.5 + f))[:, None], ["tau"]
    raise ValueError(f"unknown heterogeneity '{h}'; choose one of {HETEROGENEITY}")


def closed_design(t: int, model: str, h: str | None = None) -> ClosedDesign:
    """Design of ``M0``, ``Mt``, ``Mh`` or ``Mth`` on ``t`` lists.

    Parameters
    ----------
    t
        Number of lists (capture occasions).
    model
        ``M0``, ``Mt``, ``Mh`` or ``Mth``.
    h
        Heterogeneity for ``Mh`` / ``Mth``: one of :data:`HETEROGENEITY`.

    Returns
    -------
    ClosedDesign
    """
    f = captures(t)
    ones = np.ones((f.shape[0], 1))
    if model in ("M0", "Mh"):
        base = np.column_stack([ones, f])
        names = ["Intercept", "beta"]
    elif model in ("Mt", "Mth"):
        pats = np.vstack([np.zeros((1, t)), pattern_matrix(t)])
        base = np.column_stack([ones, pats])
        names = ["Intercept", *(f"beta{j + 1}" for j in range(t))]
    else:
        raise ValueError(f"unknown closed-population model '{model}'")
    if model in ("M0", "Mt"):
        return ClosedDesign(base, tuple(names), (), model)
    if h is None:
        raise ValueError(f"model {model} needs a heterogeneity form")
    if t < 3:
        raise ValueError("heterogeneity models need at least 3 lists")
    cols, extra = heterogeneity_columns(f, t, h)
    X = np.column_stack([base, cols])
    nonneg = tuple(range(base.shape[1], X.shape[1])) if h == "chao" else ()
    return ClosedDesign(X, (*names, *extra), nonneg, f"{model} {HETEROGENEITY_LABEL[h]}")
