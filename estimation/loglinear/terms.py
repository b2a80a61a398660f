"""Model terms and design matrices of hierarchical log-linear models.

A *term* is a set of two or more lists, held as a sorted tuple of list indices
and named by the lists joined with ``":"`` in list order (``"LA:NG"``).  Every
model has the intercept and one main effect per list; its interaction terms are
closed downwards (a hierarchical model with ``A:B:C`` also has ``A:B``, ``A:C``
and ``B:C``).  The design column of a term is the product of its lists'
capture indicators, so on cell ``h`` it is 1 when ``h`` is on every list of the
term.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations

import numpy as np

from estimation.capture_table import CaptureTable, CaptureTableError, pattern_matrix

Term = tuple[int, ...]


def term_name(lists: Sequence[str], term: Term) -> str:
    """``"LA:NG"`` for the term ``(0, 1)`` of lists ``("LA", "NG", ...)``."""
    return ":".join(lists[i] for i in term)


def parse_term(lists: Sequence[str], term: str | Sequence[str] | Sequence[int]) -> Term:
    """A term from ``"LA:NG"``, ``("LA", "NG")`` or ``(0, 1)``.

    Raises
    ------
    CaptureTableError
        If a list is unknown, repeated, or the term has fewer than two lists.
    """
    parts: Sequence[str] | Sequence[int]
    parts = [p.strip() for p in term.split(":")] if isinstance(term, str) else term
    idx: list[int] = []
    for part in parts:
        if isinstance(part, (int, np.integer)):
            if not 0 <= int(part) < len(lists):
                raise CaptureTableError(f"term {term!r}: no list number {part}")
            idx.append(int(part))
        elif part in lists:
            idx.append(list(lists).index(part))
        else:
            raise CaptureTableError(
                f"term {term!r}: unknown list '{part}'",
                fix=f"use the table's list names ({', '.join(lists)}) joined by ':'",
            )
    if len(set(idx)) != len(idx):
        raise CaptureTableError(f"term {term!r} names a list twice")
    if len(idx) < 2:
        raise CaptureTableError(
            f"term {term!r} is not an interaction",
            fix="main effects are always in the model; name interactions such as 'A:B'",
        )
    return tuple(sorted(idx))


def hierarchical_closure(terms: Iterable[Term]) -> tuple[Term, ...]:
    """The terms with every sub-interaction added, sorted by order then lists."""
    out: set[Term] = set()
    for term in terms:
        for size in range(2, len(term) + 1):
            out.update(combinations(term, size))
    return tuple(sorted(out, key=lambda x: (len(x), x)))


def canonical_terms(
    lists: Sequence[str], terms: Iterable[str | Sequence[str] | Sequence[int]]
) -> tuple[Term, ...]:
    """Parse and close a model's interaction terms (see :func:`hierarchical_closure`)."""
    return hierarchical_closure(parse_term(lists, t) for t in terms)


def all_pairs(t: int) -> tuple[Term, ...]:
    """Every two-list term on ``t`` lists, in SparseMSE order (1:2, 1:3, ..., 2:3, ...)."""
    return tuple(combinations(range(t), 2))


def term_columns(patterns: np.ndarray, terms: Sequence[Term]) -> np.ndarray:
    """``(cells, len(terms))`` 0/1 columns of the interaction terms."""
    cols = np.ones((patterns.shape[0], len(terms)))
    for k, term in enumerate(terms):
        for j in term:
            cols[:, k] *= patterns[:, j]
    return cols


def design_matrix(t: int, terms: Sequence[Term]) -> np.ndarray:
    """Design over the ``2**t - 1`` observable cells.

    Columns: intercept, the ``t`` main effects, then ``terms`` in the given
    order.  Row ``k`` is capture-table cell ``k``.
    """
    pats = pattern_matrix(t).astype(float)
    return np.column_stack([np.ones(pats.shape[0]), pats, term_columns(pats, terms)])


def full_design(t: int, terms: Sequence[Term]) -> np.ndarray:
    """Design over all ``2**t`` cells with row 0 the unobserved all-absent cell.

    This is the layout :func:`estimation.intervals.profile_interval` takes.
    """
    X = design_matrix(t, terms)
    row0 = np.zeros(X.shape[1])
    row0[0] = 1.0
    return np.vstack([row0, X])


def column_names(lists: Sequence[str], terms: Sequence[Term]) -> tuple[str, ...]:
    """Names of the design columns: ``(Intercept)``, the lists, then the terms."""
    return ("(Intercept)", *lists, *(term_name(lists, term) for term in terms))


def margins(table: CaptureTable, terms: Sequence[Term]) -> np.ndarray:
    """Observed margin of each term: people on all of the term's lists."""
    return table.counts @ term_columns(table.patterns, terms)
