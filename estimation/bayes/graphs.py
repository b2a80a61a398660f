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


def _search(t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximum cardinality search on every graph on ``t`` vertices at once.

    Graph ``code`` has edge ``k`` (of ``combinations(range(t), 2)``) when bit ``k``
    of ``code`` is set.  The search numbers next the vertex with most numbered
    neighbours (the lowest such vertex on a tie).  In its order the earlier
    neighbours of each vertex form a clique exactly when the graph is chordal
    (Tarjan and Yannakakis 1984), and the sets ``{v} + earlier neighbours`` that
    are maximal are its cliques.

    Returns
    -------
    chordal
        ``(2**pairs,)`` bool.
    candidates
        ``(2**pairs, t)`` vertex bitmasks ``{v} + earlier neighbours`` in search order.
    maximal
        ``(2**pairs, t)`` bool: the candidate is a maximal clique (no later candidate holds it).
    """
    pairs = list(combinations(range(t), 2))
    codes = np.arange(2 ** len(pairs), dtype=np.int64)
    graphs = np.arange(codes.size)
    vertices = np.arange(t)
    adj = np.zeros((codes.size, t), dtype=np.int64)
    for k, (i, j) in enumerate(pairs):
        edge = (codes >> k) & 1
        adj[:, i] |= edge << j
        adj[:, j] |= edge << i
    numbered = np.zeros(codes.size, dtype=np.int64)
    weight = np.zeros((codes.size, t), dtype=np.int64)
    chordal = np.ones(codes.size, dtype=bool)
    candidates = np.empty((codes.size, t), dtype=np.int64)
    for step in range(t):
        free = ((numbered[:, None] >> vertices) & 1) == 0
        v = np.argmax(np.where(free, weight, -1), axis=1)
        parents = adj[graphs, v] & numbered
        for u in range(t):
            # u is an earlier neighbour, and another earlier neighbour is not adjacent to u
            stray = parents & ~(1 << u) & ~adj[:, u]
            chordal &= ~((((parents >> u) & 1) == 1) & (stray != 0))
        candidates[:, step] = parents | (1 << v)
        numbered |= 1 << v
        weight += (adj[graphs, v][:, None] >> vertices) & 1
    maximal = np.ones((codes.size, t), dtype=bool)
    for i in range(t):
        for j in range(i + 1, t):
            maximal[:, i] &= (candidates[:, i] & candidates[:, j]) != candidates[:, i]
    return chordal, candidates, maximal


def _separators(cliques: list[int]) -> tuple[int, ...]:
    """Separators of cliques in running-intersection order: each with those before it."""
    separators = []
    covered = 0
    for c in cliques:
        if c & covered:
            separators.append(c & covered)
        covered |= c
    return tuple(separators)


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
    chordal, candidates, maximal = _search(t)
    graphs = []
    for code in np.flatnonzero(chordal).tolist():
        edges = tuple(p for k, p in enumerate(pairs) if code >> k & 1)
        # maximal candidates, kept in search order, have the running intersection property
        cliques = candidates[code][maximal[code]].tolist()
        graphs.append(DecomposableGraph(t, edges, tuple(cliques), _separators(cliques)))
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
