"""The space of two-way hierarchical models on one table, fitted in batches.

A model is main effects plus a subset of the ``t(t-1)/2`` pairs, coded as a
bit mask (bit ``k`` = pair ``k`` of :func:`~estimation.loglinear.terms.all_pairs`).
:class:`PairSpace` turns masks into design columns and faces and fits many at
once with :func:`~estimation.loglinear.batch.fit_batch`.  Pairs with no one on
both lists enter with parameter minus infinity (their cells are fitted as zero).

Existence: if the design of all non-empty terms restricted to the cells with
people has full column rank, every model is admissible (the quick condition of
:mod:`~estimation.loglinear.existence`, inherited by sub-models).  Otherwise
each model gets a batched rank test on its own columns and, when that fails,
the full check with the linear program.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from estimation.capture_table import CaptureTable
from estimation.loglinear.batch import fit_batch
from estimation.loglinear.existence import existence_for
from estimation.loglinear.fit import fit_terms
from estimation.loglinear.terms import Term, all_pairs, design_matrix, term_name

_RANK_TOL = 1e-9


@dataclass(frozen=True)
class ModelFits:
    """Fits of a batch of models (arrays aligned with ``models``).

    Attributes
    ----------
    models
        Bit masks of the models.
    coef
        ``(B, P)`` coefficients over the universe's columns (``nan`` rows for
        models fitted one by one because they are not admissible).
    neg2loglik
        ``-2 loglik`` of the (extended) MLE: valid for every model, admissible or not.
    estimate
        ``N_hat`` (``nan`` for models that are not admissible).
    admissible
        Whether each model passes the existence and identifiability check.
    reasons
        Why each non-admissible model was set aside, by bit mask.
    checked
        Models that failed the quick rank test and needed the full existence
        check (a linear program each: the costly part on sparse tables).
    """

    models: np.ndarray
    coef: np.ndarray
    neg2loglik: np.ndarray
    estimate: np.ndarray
    admissible: np.ndarray
    reasons: dict[int, str]
    checked: int = 0


class PairSpace:
    """Two-way hierarchical models on one table.

    Parameters
    ----------
    table
        The capture table.
    """

    def __init__(self, table: CaptureTable) -> None:
        self.table = table
        self.t = t = table.t
        self.pairs: tuple[Term, ...] = all_pairs(t)
        self.n_pairs = len(self.pairs)
        self.X = _pair_design(t)
        self.y = table.counts.astype(float)
        self.support = self.y > 0
        margin = self.y @ self.X
        self.empty = margin == 0
        self.empty[0] = False
        # cells_off[j]: the cells an empty column forces to zero.
        self.cell_of_col = self.X.T > 0
        main = np.zeros(self.X.shape[1], bool)
        main[: t + 1] = True
        self.main_cols = main & ~self.empty
        self.base_cells = ~np.any(self.cell_of_col[self.empty & main], axis=0)
        XP = self.X[self.support]
        self.gram = XP.T @ XP
        nonempty = ~self.empty
        self.all_quick = bool(
            np.linalg.matrix_rank(XP[:, nonempty]) == int(nonempty.sum())
        )
        self._start: np.ndarray | None = None

    # ------------------------------------------------------------------ masks
    def bits(self, models: np.ndarray) -> np.ndarray:
        """``(B, n_pairs)`` boolean pair membership of each model."""
        models = np.asarray(models, np.int64)
        return ((models[:, None] >> np.arange(self.n_pairs)) & 1).astype(bool)

    def terms(self, model: int) -> tuple[Term, ...]:
        """The pairs of one model."""
        return tuple(p for k, p in enumerate(self.pairs) if model >> k & 1)

    def names(self, model: int) -> tuple[str, ...]:
        """The pairs of one model by name."""
        return tuple(term_name(self.table.lists, p) for p in self.terms(model))

    def mask_of(self, terms: tuple[Term, ...]) -> int:
        """Bit mask of a set of pairs."""
        return sum(1 << self.pairs.index(p) for p in terms)

    def n_params(self, models: np.ndarray) -> np.ndarray:
        """Parameters of each model, minus-infinite ones included."""
        return 1 + self.t + self.bits(models).sum(axis=1)

    def masks(self, models: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Design columns and cells (face when admissible) of each model."""
        bits = self.bits(models)
        B = bits.shape[0]
        cols = np.zeros((B, self.X.shape[1]), bool)
        cols[:, : self.t + 1] = self.main_cols[: self.t + 1]
        in_model = np.zeros((B, self.X.shape[1]), bool)
        in_model[:, self.t + 1 :] = bits
        cols |= in_model & ~self.empty
        empty_in = in_model & self.empty
        cells = np.broadcast_to(self.base_cells, (B, self.X.shape[0])).copy()
        if empty_in.any():
            cells &= ~((empty_in.astype(float) @ self.cell_of_col.astype(float)) > 0)
        return cols, cells

    def quick_ok(self, cols: np.ndarray) -> np.ndarray:
        """Full column rank of each model's design on the cells with people."""
        if self.all_quick:
            return np.ones(cols.shape[0], bool)
        P = cols.shape[1]
        G = self.gram[None, :, :] * (cols[:, :, None] & cols[:, None, :])
        G[:, np.arange(P), np.arange(P)] += ~cols
        eig = np.linalg.eigvalsh(G)
        return eig[:, 0] > _RANK_TOL * np.maximum(eig[:, -1], 1.0)

    # ---------------------------------------------------------------- fitting
    def fit(self, models: np.ndarray, start: np.ndarray | None = None) -> ModelFits:
        """Fit the models; non-admissible ones still get their extended-MLE likelihood.

        ``start`` (coefficients over the universe's columns) warm-starts every
        fit; by default the main-effects fit.
        """
        models = np.asarray(models, np.int64)
        cols, cells = self.masks(models)
        batchable = self.quick_ok(cols)
        checked = int(np.count_nonzero(~batchable))
        admissible = batchable.copy()
        reasons: dict[int, str] = {}
        neg2ll = np.full(models.size, np.nan)
        coef = np.full(cols.shape, np.nan)
        estimate = np.full(models.size, np.nan)
        for i in np.flatnonzero(~batchable):
            terms = self.terms(int(models[i]))
            ex = existence_for(self.table.lists, self.support, terms)
            if ex.admissible:
                batchable[i] = admissible[i] = True
                continue
            reasons[int(models[i])] = ex.reason
            fit = fit_terms(self.table, terms)
            neg2ll[i] = -2 * fit.loglik
        idx = np.flatnonzero(batchable)
        if idx.size:
            begin = self.main_effects_start() if start is None else np.nan_to_num(start)
            bf = fit_batch(self.X, self.y, cols[idx], cells[idx], begin)
            neg2ll[idx] = -2 * bf.loglik
            coef[idx] = bf.coef
            estimate[idx] = self.table.n + bf.unobserved
        estimate[~admissible] = np.nan
        return ModelFits(models, coef, neg2ll, estimate, admissible, reasons, checked)

    def means(self, model: int, coef: np.ndarray) -> np.ndarray:
        """Fitted cell means of one model from its coefficients (zero off its face)."""
        _, cells = self.masks(np.array([model], np.int64))
        return np.exp(self.X @ np.nan_to_num(coef)) * cells[0]

    def overlaps(self) -> np.ndarray:
        """Observed number of people on both lists of each pair."""
        return self.y @ self.X[:, self.t + 1 :]

    def main_effects_start(self) -> np.ndarray:
        """Coefficients of the main-effects fit (pairs at zero): the default warm start."""
        if self._start is None:
            cols, cells = self.masks(np.zeros(1, np.int64))
            self._start = fit_batch(self.X, self.y, cols, cells).coef[0]
        return self._start


@lru_cache(maxsize=16)
def _pair_design(t: int) -> np.ndarray:
    """The universe design (intercept, main effects, all pairs), shared read-only."""
    X = design_matrix(t, all_pairs(t))
    X.setflags(write=False)
    return X
