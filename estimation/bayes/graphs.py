"""Decomposable (chordal) graphs on the lists, with their cliques and separators.

A graphical model for a capture table has one vertex per list; an edge joins two
lists that may depend on each other given the rest.  Madigan and York (1997)
average over the *decomposable* graphs, those whose every cycle of four or more
vertices has a chord, because their marginal likelihood under a hyper-Dirichlet
prior factorises over cliques and separators.

The graphs are generated here, not shipped: every graph on ``t`` labelled
vertices is tested for chordality by maximum cardinality search (Tarjan and
Yannakakis 1984), and the cliques and separators are read off the search's
ordering.  The counts are 8, 61, 822 and 18,154 for 3, 4, 5 and 6 lists
(OEIS A058862).

Vertex sets are bitmasks: bit ``j`` is list ``j``, the same convention as the
capture patterns of :mod:`estimation.capture_table`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import combinations

import numpy as np

#: Largest number of lists whose graphs are enumerated (2**21 graphs at 7 lists is too many).
MAX_GRAPH_LISTS = 6


@dataclass(frozen=True)
class DecomposableGraph:
    """One decomposable graph on ``t`` lists.

    Attributes
    ----------
    t
        Number of vertices (lists).
    edges
        The edges as pairs ``(i, j)``, ``i < j``.
    cliques
        Maximal cliques as vertex bitmasks, in a running-intersection order.
    separators
        The non-empty separators as vertex bitmasks, with multiplicity.  Empty
        separators (between connected components) are left out: their factor in
        the marginal likelihood is one.
    """

    t: int
    edges: tuple[tuple[int, int], ...]
    cliques: tuple[int, ...]
    separators: tuple[int, ...]

    @property
    def components(self) -> int:
        """Number of connected components: cliques minus non-empty separators."""
        return len(self.cliques) - len(self.separators)

    def label(self, lists: Sequence[str]) -> str:
        """Cliques as ``"LA,NG|PFNCA"``: members by ``,``, cliques by ``|``.

        Members keep the table's list order; cliques are sorted by their first member.
        """
        members = sorted(_members(c) for c in self.cliques)
        return "|".join(",".join(lists[j] for j in m) for m in members)


def _members(mask: int) -> list[int]:
    return [j for j in range(mask.bit_length()) if mask >> j & 1]


def _mcs_order(adj: list[int]) -> list[int]:
    """Maximum cardinality search: next, the vertex with most numbered neighbours."""
    t = len(adj)
    numbered = 0
    order = []
    weight = [0] * t
    for _ in range(t):
        v = max((u for u in range(t) if not numbered >> u & 1), key=lambda u: weight[u])
        order.append(v)
        numbered |= 1 << v
        for u in _members(adj[v] & ~numbered):
            weight[u] += 1
    return order


def _decompose(t: int, adj: list[int]) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """Cliques and separators of the graph, or ``None`` if it is not chordal.

    In a maximum cardinality search order the earlier neighbours of each vertex
    form a clique exactly when the graph is chordal; the sets ``{v} + earlier
    neighbours`` that are maximal are the cliques, and taken in search order they
    have the running intersection property, so each clique's separator is its
    intersection with the union of the cliques before it.
    """
    order = _mcs_order(adj)
    seen = 0
    candidates = []
    for v in order:
        parents = adj[v] & seen
        for u in _members(parents):
            if parents & ~(1 << u) & ~adj[u]:
                return None  # the earlier neighbours are not a clique: a chordless cycle
        candidates.append(parents | 1 << v)
        seen |= 1 << v
    cliques = [
        c for i, c in enumerate(candidates) if not any(c & d == c for d in candidates[i + 1 :])
    ]
    separators = []
    covered = 0
    for c in cliques:
        if c & covered:
            separators.append(c & covered)
        covered |= c
    return tuple(cliques), tuple(separators)


@cache
def decomposable_graphs(t: int) -> tuple[DecomposableGraph, ...]:
    """All decomposable graphs on ``t`` labelled vertices.

    Parameters
    ----------
    t
        Number of lists, 1 to :data:`MAX_GRAPH_LISTS`.

    Returns
    -------
    tuple of DecomposableGraph
        Ordered by edge bitmask: the first is the empty graph (independence),
        the last the complete graph (saturated model).
    """
    if not 1 <= t <= MAX_GRAPH_LISTS:
        raise ValueError(f"decomposable graphs are enumerated for 1 to {MAX_GRAPH_LISTS} lists")
    pairs = list(combinations(range(t), 2))
    graphs = []
    for code in range(2 ** len(pairs)):
        edges = tuple(p for k, p in enumerate(pairs) if code >> k & 1)
        adj = [0] * t
        for i, j in edges:
            adj[i] |= 1 << j
            adj[j] |= 1 << i
        parts = _decompose(t, adj)
        if parts is not None:
            graphs.append(DecomposableGraph(t, edges, *parts))
    return tuple(graphs)


@cache
def clique_coefficients(t: int) -> np.ndarray:
    """Signed clique/separator counts of every decomposable graph, for vectorised sums.

    Row ``g``, column ``s > 0`` is (cliques of graph ``g`` equal to vertex set
    ``s``) minus (its separators equal to ``s``); column 0 is the number of
    connected components.  Then any per-vertex-set quantity ``v`` gives the
    graph's clique-minus-separator sum as ``coefficients @ v``.

    Returns
    -------
    numpy.ndarray
        ``(graphs, 2**t)`` float64, read-only.
    """
    graphs = decomposable_graphs(t)
    coef = np.zeros((len(graphs), 2**t))
    for g, graph in enumerate(graphs):
        coef[g, 0] = graph.components
        for c in graph.cliques:
            coef[g, c] += 1
        for s in graph.separators:
            coef[g, s] -= 1
    coef.setflags(write=False)
    return coef
