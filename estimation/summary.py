"""Descriptive summaries of a capture table: sizes, overlaps, sparsity.

Pure functions of a :class:`~estimation.capture_table.CaptureTable`.  The
figures that decide whether a model can be fitted at all: lists that overlap
no other list (their interactions cannot be estimated and the MLE may not
exist; Chan, Silverman and Vincent 2021), empty cells, and the triangles of
the overlap graph that SparseMSE ``count_triples`` counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from estimation.capture_table import CaptureTable


def list_sizes(table: CaptureTable) -> dict[str, int]:
    """People recorded by each list."""
    return table.list_sizes


def overlap_counts(table: CaptureTable) -> np.ndarray:
    """``(t, t)`` matrix: people on both list i and list j; the diagonal is the list size."""
    P = table.patterns.astype(np.int64)
    return (P * table.counts[:, None]).T @ P


def overlap_matrix(table: CaptureTable) -> pd.DataFrame:
    """:func:`overlap_counts` labelled by list, ready for a heatmap."""
    names = list(table.lists)
    return pd.DataFrame(overlap_counts(table), index=names, columns=names)


def pairwise_overlaps(table: CaptureTable) -> dict[tuple[str, str], int]:
    """People on both lists of every pair (i < j, in list order)."""
    M = overlap_counts(table)
    return {
        (table.lists[i], table.lists[j]): int(M[i, j])
        for i, j in combinations(range(table.t), 2)
    }


def triple_overlaps(table: CaptureTable) -> dict[tuple[str, str, str], int]:
    """People on all three lists of every triple (empty for two lists)."""
    P = table.patterns.astype(bool)
    names = table.lists
    out: dict[tuple[str, str, str], int] = {}
    for a, b, c in combinations(range(table.t), 3):
        on_all = P[:, a] & P[:, b] & P[:, c]
        out[(names[a], names[b], names[c])] = int(table.counts[on_all].sum())
    return out


def overlap_components(table: CaptureTable) -> list[tuple[str, ...]]:
    """Groups of lists connected by overlaps (connected components of the overlap graph).

    Two lists are joined when someone is on both.  A group other than the whole
    set of lists is cut off from the rest: no one links it to them.  Components
    are ordered by their first list.
    """
    M = overlap_counts(table) > 0
    seen: set[int] = set()
    groups = []
    for start in range(table.t):
        if start in seen:
            continue
        stack, group = [start], set()
        while stack:
            k = stack.pop()
            if k in group:
                continue
            group.add(k)
            stack.extend(int(j) for j in np.flatnonzero(M[k]) if j not in group)
        seen |= group
        groups.append(tuple(table.lists[k] for k in sorted(group)))
    return groups


def isolated_lists(table: CaptureTable) -> tuple[str, ...]:
    """Lists that share nobody with any other list."""
    M = overlap_counts(table)
    off = M - np.diag(np.diag(M))
    return tuple(name for name, row in zip(table.lists, off, strict=True) if not row.any())


def overlap_triangles(table: CaptureTable) -> int:
    """Triples of lists whose three pairs all overlap (SparseMSE ``count_triples``)."""
    A = (overlap_counts(table) > 0).astype(np.int64)
    np.fill_diagonal(A, 0)
    return int(np.trace(A @ A @ A) // 6)


def capture_frequencies(table: CaptureTable) -> dict[int, int]:
    """People on exactly k lists, k = 1..t (Rcapture ``descriptive`` f_i)."""
    k = table.patterns.sum(axis=1)
    return {int(j): int(table.counts[k == j].sum()) for j in range(1, table.t + 1)}


def zero_cells(table: CaptureTable) -> tuple[str, ...]:
    """Labels (``LA+PF``) of the capture patterns nobody has."""
    return tuple(table.pattern_label(int(c)) for c in np.flatnonzero(table.counts == 0))


@dataclass(frozen=True)
class TableSummary:
    """Everything :func:`summarise` reports on one table."""

    lists: tuple[str, ...]
    stratum: tuple[tuple[str, str], ...]
    observed: int
    cells: int
    list_sizes: dict[str, int]
    pairwise: dict[tuple[str, str], int]
    triples: dict[tuple[str, str, str], int]
    frequencies: dict[int, int]
    zero_cells: tuple[str, ...]
    components: list[tuple[str, ...]]
    isolated: tuple[str, ...]
    triangles: int
    overlaps: np.ndarray = field(repr=False, compare=False)

    @property
    def overlap_frame(self) -> pd.DataFrame:
        """The overlap matrix labelled by list (the diagonal is the list size)."""
        names = list(self.lists)
        return pd.DataFrame(self.overlaps, index=names, columns=names)

    @property
    def share_zero_cells(self) -> float:
        """Share of the capture patterns nobody has."""
        return len(self.zero_cells) / self.cells

    @property
    def pairs_without_overlap(self) -> int:
        """List pairs that share nobody."""
        return sum(1 for v in self.pairwise.values() if v == 0)

    @property
    def share_single_list(self) -> float:
        """Share of the observed people who are on one list only."""
        return self.frequencies.get(1, 0) / self.observed if self.observed else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (pairs and triples keyed ``"A:B"``)."""
        return {
            "lists": list(self.lists),
            "stratum": dict(self.stratum),
            "observed": self.observed,
            "cells": self.cells,
            "list_sizes": dict(self.list_sizes),
            "pairwise_overlaps": {":".join(k): v for k, v in self.pairwise.items()},
            "triple_overlaps": {":".join(k): v for k, v in self.triples.items()},
            "capture_frequencies": {str(k): v for k, v in self.frequencies.items()},
            "zero_cells": list(self.zero_cells),
            "share_zero_cells": self.share_zero_cells,
            "pairs_without_overlap": self.pairs_without_overlap,
            "share_single_list": self.share_single_list,
            "components": [list(g) for g in self.components],
            "isolated_lists": list(self.isolated),
            "overlap_triangles": self.triangles,
            "overlap_matrix": self.overlaps.tolist(),
        }

    def to_text(self, *, matrix: bool = True) -> str:
        """A readable report, with the overlap matrix unless ``matrix=False``."""
        pct = f"{self.share_single_list:.0%}" if self.observed else "-"
        lines = []
        if self.stratum:
            lines.append("Stratum       " + ", ".join(f"{k}={v}" for k, v in self.stratum))
        lines += [
            f"Lists         {self.observed:,} people on {len(self.lists)} lists "
            f"({' '.join(self.lists)})",
            "List sizes    " + ", ".join(f"{k} {v:,}" for k, v in self.list_sizes.items()),
            "On k lists    "
            + ", ".join(f"{k}: {v:,}" for k, v in self.frequencies.items())
            + f"  ({pct} on one list only)",
            f"Empty cells   {len(self.zero_cells)} of {self.cells} capture patterns "
            f"({self.share_zero_cells:.0%})",
            f"No overlap    {self.pairs_without_overlap} of {len(self.pairwise)} list pairs",
            f"Triangles     {self.triangles} (triples of lists whose three pairs all overlap)",
        ]
        if len(self.components) > 1:
            groups = "; ".join(" ".join(g) for g in self.components)
            lines.append(f"WARNING       the lists fall into unconnected groups: {groups}")
        if self.isolated:
            lines.append(
                f"WARNING       {', '.join(self.isolated)} overlap no other list: "
                "interactions with them cannot be estimated"
            )
        if matrix:
            lines += ["", "Overlaps (people on both lists; the diagonal is the list size)"]
            lines.append(self.overlap_frame.to_string())
        return "\n".join(lines)


def summarise(table: CaptureTable) -> TableSummary:
    """All the summaries of one capture table.

    Parameters
    ----------
    table
        The capture table.

    Returns
    -------
    TableSummary
    """
    return TableSummary(
        lists=table.lists,
        stratum=table.stratum,
        observed=table.n,
        cells=int(table.counts.shape[0]),
        list_sizes=list_sizes(table),
        pairwise=pairwise_overlaps(table),
        triples=triple_overlaps(table),
        frequencies=capture_frequencies(table),
        zero_cells=zero_cells(table),
        components=overlap_components(table),
        isolated=isolated_lists(table),
        triangles=overlap_triangles(table),
        overlaps=overlap_counts(table),
    )
