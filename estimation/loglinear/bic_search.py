"""Lowest-BIC two-way hierarchical model: exact search up to 6 lists, downhill beyond.

Silverman, Chan and Vincent (2024) rank every hierarchical model of main
effects plus a subset of the pairs by ``BIC = -2 loglik + k log n`` (32,768
models for 6 lists); MultipleSystemsEstimation ``estimate_population_bic``.
Models whose MLE does not exist or is not identifiable are left out.

The exact search here does not fit all of them.  Adding terms never lowers the
maximised likelihood, so for any fitted model S the value ``-2 loglik(S)`` is a
lower bound for every sub-model of S, and ``bound + k log n`` bounds their BIC.
Bounds are spread to all sub-models at once by a superset-maximum transform
over the bit masks.  Models are fitted in batches, best bound first, until no
unfitted model can enter the top ``top`` ranks: the ranking returned is exactly
the one a full enumeration gives.

Beyond 6 lists a greedy downhill search (MultipleSystemsEstimation
``downhill_fit``): from main effects, move to the best neighbour (one pair
added or removed) while that lowers BIC.  The downhill search also takes over,
with a note, when a table is so sparse that the exhaustive search would need
thousands of linear programs (:data:`CHECK_BUDGET`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from estimation.capture_table import CaptureTable
from estimation.loglinear.model_space import ModelFits, PairSpace

#: Exhaustive search up to this many lists (32,768 models at 6).
EXHAUSTIVE_MAX_LISTS = 6
#: Models needing the linear-programming existence check that the exhaustive search may
#: meet before it gives way to the downhill search.  The reference tables need at most
#: a dozen; a very sparse six-list table (12 people) needed 7,000, two minutes.
CHECK_BUDGET = 150
_BATCH = 128


@dataclass(frozen=True)
class RankedModel:
    """One model of a BIC ranking."""

    rank: int
    terms: tuple[str, ...]
    estimate: float
    bic: float
    parameters: int

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for diagnostics."""
        return {
            "rank": self.rank,
            "terms": list(self.terms),
            "N_hat": self.estimate,
            "BIC": self.bic,
            "parameters": self.parameters,
        }


@dataclass(frozen=True)
class BicSearch:
    """Result of a BIC search.

    Attributes
    ----------
    ranking
        Admissible models in increasing BIC (the exact top ``top`` for the
        exhaustive search; the models met on the way for downhill).
    search
        ``exhaustive`` or ``downhill``.
    models_total
        Models in the space.
    models_fitted
        Models actually fitted.
    skipped
        Non-admissible models met, by their terms joined with ``+``, and why.
    path
        Downhill steps (empty for the exhaustive search).
    note
        Why the search is not the one asked for (empty when it is): a plain
        sentence for the result's warnings.
    """

    ranking: tuple[RankedModel, ...]
    search: str
    models_total: int
    models_fitted: int
    skipped: dict[str, str] = field(default_factory=dict)
    path: tuple[dict[str, Any], ...] = ()
    note: str = ""

    @property
    def best(self) -> RankedModel:
        """The lowest-BIC admissible model."""
        return self.ranking[0]


def search_bic(table: CaptureTable, *, top: int = 20) -> BicSearch:
    """Find the lowest-BIC two-way hierarchical model.

    Parameters
    ----------
    table
        The capture table.
    top
        How many of the best models to rank exactly (exhaustive search).

    Returns
    -------
    BicSearch

    Raises
    ------
    ValueError
        If no model is admissible.
    """
    space = PairSpace(table)
    if table.t <= EXHAUSTIVE_MAX_LISTS:
        return _exhaustive(space, top)
    return _downhill(space, top)


def _label(space: PairSpace, model: int) -> str:
    return " + ".join(space.names(model)) or "(main effects)"


def _order_key(space: PairSpace, model: int, bic: float) -> tuple[Any, ...]:
    """BIC to 10 significant digits, then the terms by sorted list names.

    Ties are then broken the same way whatever the order of the table's lists.
    """
    terms = sorted(tuple(sorted(name.split(":"))) for name in space.names(model))
    return (float(f"{bic:.9e}"), len(terms), terms)


def _superset_max(values: np.ndarray, n_bits: int) -> np.ndarray:
    """``out[m] = max(values[s] for s superset of m)`` over bit masks."""
    out = values.copy()
    for bit in range(n_bits):
        view = out.reshape(-1, 2, 1 << bit)
        np.maximum(view[:, 0, :], view[:, 1, :], out=view[:, 0, :])
    return out


def _exhaustive(space: PairSpace, top: int) -> BicSearch:
    n_bits = space.n_pairs
    total = 1 << n_bits
    log_n = math.log(space.table.n)
    penalty = space.n_params(np.arange(total)) * log_n
    full = total - 1
    bound = np.full(total, -np.inf)
    bic = np.full(total, np.inf)
    estimate = np.full(total, np.nan)
    fitted = np.zeros(total, bool)
    skipped: dict[str, str] = {}
    checked = 0

    def record(fits: ModelFits) -> None:
        nonlocal checked
        checked += fits.checked
        m = fits.models
        fitted[m] = True
        bound[m] = fits.neg2loglik
        ok = fits.admissible
        bic[m[ok]] = fits.neg2loglik[ok] + penalty[m[ok]]
        estimate[m] = fits.estimate
        skipped.update({_label(space, k): why for k, why in fits.reasons.items()})

    # Large models first: they bound everything beneath them.
    first = [full] + [full ^ (1 << i) for i in range(n_bits)]
    first += [full ^ (1 << i) ^ (1 << j) for i in range(n_bits) for j in range(i + 1, n_bits)]
    record(space.fit(np.unique(np.array(first, np.int64))))
    while True:
        lower = _superset_max(bound, n_bits) + penalty
        lower[fitted] = np.inf
        ranked = bic[np.isfinite(bic)]
        tau = np.partition(ranked, top - 1)[top - 1] if ranked.size >= top else np.inf
        candidates = np.flatnonzero(lower < tau)
        if candidates.size == 0:
            break
        if checked > CHECK_BUDGET:
            # So sparse that most models need a linear program: search downhill instead.
            result = _downhill(space, top)
            note = (
                f"the table is so sparse that the search over all {total:,} models was "
                f"stopped after {int(fitted.sum()):,} ({checked:,} needed the existence "
                "check); the model is the best found by the downhill search, not "
                "necessarily the lowest BIC"
            )
            return replace(result, models_fitted=result.models_fitted + int(fitted.sum()),
                           note=note)
        batch = candidates[np.argsort(lower[candidates], kind="stable")[:_BATCH]]
        record(space.fit(batch))
    order = np.flatnonzero(np.isfinite(bic))
    if order.size == 0:
        raise ValueError("no two-way model has an identifiable MLE on this table")
    order = np.array(sorted(order, key=lambda m: _order_key(space, int(m), float(bic[m]))))[:top]
    ranking = tuple(
        RankedModel(r + 1, space.names(int(m)), float(estimate[m]), float(bic[m]),
                    int(penalty[m] / log_n + 0.5))
        for r, m in enumerate(order)
    )
    return BicSearch(ranking, "exhaustive", total, int(fitted.sum()), skipped)


def _downhill(space: PairSpace, top: int) -> BicSearch:
    log_n = math.log(space.table.n)
    seen: dict[int, tuple[float, float]] = {}
    skipped: dict[str, str] = {}
    path: list[dict[str, Any]] = []

    def evaluate(models: list[int]) -> None:
        fits = space.fit(np.array(models, np.int64))
        k = space.n_params(fits.models)
        for m, v, est, ok, kk in zip(
            fits.models, fits.neg2loglik, fits.estimate, fits.admissible, k, strict=True
        ):
            seen[int(m)] = (float(v + kk * log_n) if ok else math.inf, float(est))
        skipped.update({_label(space, m): why for m, why in fits.reasons.items()})

    current = 0
    evaluate([current])
    if not math.isfinite(seen[current][0]):
        raise ValueError("the main-effects model has no identifiable MLE on this table")
    path.append({"model": list(space.names(current)), "BIC": seen[current][0]})
    while True:
        neighbours = [current ^ (1 << k) for k in range(space.n_pairs)]
        new = [m for m in neighbours if m not in seen]
        if not new:
            break
        evaluate(new)
        best = min(new, key=lambda m: _order_key(space, m, seen[m][0]))
        if not seen[best][0] < seen[current][0]:
            break
        current = best
        path.append({"model": list(space.names(current)), "BIC": seen[current][0]})
    finite = sorted((v[0], m) for m, v in seen.items() if math.isfinite(v[0]))
    # The chosen model first, then the others met on the way.
    finite.sort(key=lambda x: (x[1] != current, _order_key(space, x[1], x[0])))
    ranking = tuple(
        RankedModel(r + 1, space.names(m), seen[m][1], b, 1 + space.t + bin(m).count("1"))
        for r, (b, m) in enumerate(finite[:top])
    )
    return BicSearch(ranking, "downhill", 1 << space.n_pairs, len(seen), skipped, tuple(path))
