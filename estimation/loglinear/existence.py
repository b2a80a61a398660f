"""Existence and identifiability of the maximum-likelihood estimate.

Fienberg and Rinaldo (2012): the Poisson log-linear MLE exists if and only if
the observed margins ``t = X' y`` lie in the relative interior of the cone
spanned by the design rows.  Otherwise the *extended* MLE lives on a face: a
set of cells (the facial set) whose fitted means are positive, every other
cell being fitted as zero, with some parameters at minus infinity.

The check here, for one model and one pattern of zero and non-zero counts:

1. Terms with an empty observed margin (no one on both lists of a pair) have
   parameter minus infinity and every cell containing them is fitted as zero
   (Chan, Silverman and Vincent 2021: a non-overlapping pair can be in the
   model).  Those cells and columns are set aside.
2. Quick sufficient condition: if the remaining design restricted to the
   cells with people has full column rank, ``t`` is interior to a
   full-dimensional sub-cone, so the MLE exists on the remaining cells.
3. Otherwise a linear program (HiGHS) finds the facial set: a zero cell is on
   the face when some direction ``u`` with ``X'u = 0`` that is non-negative on
   the zero cells is positive on it (``y + eps u`` then has the same margins).
4. N is identifiable when the unobserved cell's row (the intercept, ``e_0``)
   lies in the row space of the design on the face.

``admissible`` is SparseMSE's ``checkident`` passing (status 0): after the
empty-margin cells are removed the MLE exists on the rest and that design has
full column rank.  Model searches use only admissible models, as SparseMSE and
MultipleSystemsEstimation do.  The result depends only on which cells are
positive, so it is cached on that pattern.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.optimize import linprog

from estimation.capture_table import CaptureTable
from estimation.loglinear.terms import Term, canonical_terms, design_matrix, term_name
from estimation.result import EXISTENCE_NO_MLE, EXISTENCE_NOT_IDENTIFIABLE, EXISTENCE_OK

#: A zero cell is on the face when the LP puts at least this much weight on it (0 or 1 in theory).
_FACE_THRESHOLD = 0.5


@dataclass(frozen=True)
class Existence:
    """Existence and identifiability of one model's MLE on one table.

    Attributes
    ----------
    status
        ``ok`` (the MLE exists), ``mle-does-not-exist`` (the extended MLE exists:
        some parameters are minus infinity and some cells are fitted as zero) or
        ``not-identifiable`` (N cannot be estimated).
    face
        Boolean mask over the cells: the facial set, the cells whose fitted
        mean is positive.
    empty_terms
        Model terms (and lists) with no one observed on them: their parameters
        are minus infinity.
    admissible
        SparseMSE ``checkident`` passes: the only boundary parameters are those
        of empty terms, and the remaining design has full column rank.  Model
        searches consider admissible models only.
    identifiable
        The unobserved cell's parameter ``b0`` is determined on the face.
    lp_used
        Whether the linear program was needed (the quick rank check failed).
    reason
        One plain sentence on what was found.
    """

    status: str
    face: np.ndarray
    empty_terms: tuple[str, ...]
    admissible: bool
    identifiable: bool
    lp_used: bool
    reason: str

    @property
    def ok(self) -> bool:
        """True when the MLE exists in the ordinary sense."""
        return self.status == EXISTENCE_OK


def check_existence(
    table: CaptureTable, terms: Sequence[str | Sequence[str] | Sequence[int]] = ()
) -> Existence:
    """Check the MLE of the hierarchical model with these interaction terms.

    Parameters
    ----------
    table
        The capture table.
    terms
        Interaction terms, e.g. ``["LA:NG", "NG:GP"]`` (closed hierarchically).

    Returns
    -------
    Existence
    """
    closed = canonical_terms(table.lists, terms)
    return existence_for(table.lists, table.counts > 0, closed)


def existence_for(lists: Sequence[str], support: np.ndarray, terms: tuple[Term, ...]) -> Existence:
    """:func:`check_existence` on a support pattern (cells with people) and parsed terms."""
    support = np.asarray(support, bool)
    return _cached(tuple(lists), support.tobytes(), terms)


@lru_cache(maxsize=65536)
def _cached(lists: tuple[str, ...], support_bytes: bytes, terms: tuple[Term, ...]) -> Existence:
    t = len(lists)
    support = np.frombuffer(support_bytes, dtype=bool)
    X = design_matrix(t, terms)
    names = (*lists, *(term_name(lists, term) for term in terms))
    margin = support.astype(float) @ X
    empty_cols = np.flatnonzero(margin[1:] == 0) + 1
    empty = tuple(names[j - 1] for j in empty_cols)
    # Cells containing an empty term are zero in every table with these margins.
    kept_cells = ~np.any(X[:, empty_cols] > 0, axis=1)
    kept_cols = np.setdiff1d(np.arange(X.shape[1]), empty_cols)
    A = X[np.ix_(kept_cells, kept_cols)]
    pos = support[kept_cells]
    full_rank = np.linalg.matrix_rank(A) == A.shape[1]

    lp_used = False
    if np.all(pos) or np.linalg.matrix_rank(A[pos]) == A.shape[1]:
        on_face = np.ones(A.shape[0], bool)
    else:
        lp_used = True
        on_face = _facial_set(A, pos)
    face = np.zeros(X.shape[0], bool)
    face[np.flatnonzero(kept_cells)[on_face]] = True

    AF = A[on_face]
    identifiable = bool(
        AF.shape[0] > 0 and np.linalg.matrix_rank(AF) == np.linalg.matrix_rank(AF[:, 1:]) + 1
    )
    admissible = bool(np.all(on_face) and full_rank and identifiable)
    if not identifiable:
        status = EXISTENCE_NOT_IDENTIFIABLE
    elif np.all(face):
        status = EXISTENCE_OK
    else:
        status = EXISTENCE_NO_MLE
    reason = _reason(status, empty, lists, face, kept_cells, full_rank)
    face.setflags(write=False)
    return Existence(status, face, empty, admissible, identifiable, lp_used, reason)


def _facial_set(A: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Cells (rows of A) with a positive fitted mean in the extended MLE.

    Cells with people are always on the face.  For the zero cells Z solve
    ``max sum z`` over ``u`` (free on positive cells, >= 0 on Z) with
    ``A'u = 0`` and ``0 <= z_i <= min(1, u_i)``: the optimum has ``z_i = 1``
    exactly on the zero cells of the facial set (the feasible directions form a
    cone closed under addition).
    """
    m, q = A.shape
    zero = np.flatnonzero(~pos)
    nz = zero.size
    # Variables: u (m), then z (nz).
    cost = np.concatenate([np.zeros(m), -np.ones(nz)])
    a_eq = np.hstack([A.T, np.zeros((q, nz))])
    a_ub = np.zeros((nz, m + nz))
    a_ub[np.arange(nz), zero] = -1.0
    a_ub[np.arange(nz), m + np.arange(nz)] = 1.0
    bounds = [(None, None) if p else (0, None) for p in pos] + [(0, 1)] * nz
    res = linprog(
        cost, A_ub=a_ub, b_ub=np.zeros(nz), A_eq=a_eq, b_eq=np.zeros(q), bounds=bounds,
        method="highs",
    )
    on_face = pos.copy()
    if res.status == 0:
        on_face[zero] = res.x[m:] > _FACE_THRESHOLD
    return on_face


def _reason(
    status: str,
    empty: tuple[str, ...],
    lists: Sequence[str],
    face: np.ndarray,
    kept_cells: np.ndarray,
    full_rank: bool,
) -> str:
    parts = []
    if empty:
        parts.append(
            f"no one is recorded on {', '.join(empty)}: "
            + (
                "that parameter is minus infinity and the cells containing it are"
                if len(empty) == 1
                else "those parameters are minus infinity and the cells containing them are"
            )
            + " fitted as zero (extended MLE)"
        )
    extra = kept_cells & ~face
    if np.any(extra):
        t = len(lists)
        labels = [_label(lists, int(k), t) for k in np.flatnonzero(extra)]
        parts.append(
            "the MLE does not exist (Fienberg-Rinaldo): the observed margins force the cells "
            f"{', '.join(labels)} to be fitted as zero"
        )
    if status == EXISTENCE_NOT_IDENTIFIABLE:
        parts.append(
            "N cannot be estimated: the unobserved cell is not determined by the cells the "
            "model can fit"
        )
    elif not full_rank:
        parts.append("some parameters are not identifiable on these cells")
    if not parts:
        return "the MLE exists"
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def _label(lists: Sequence[str], cell: int, t: int) -> str:
    code = cell + 1
    return "+".join(lists[j] for j in range(t) if code >> j & 1)
