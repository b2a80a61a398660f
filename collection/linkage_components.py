"""Persons as connected components of the accepted links (rule 5 of :mod:`collection.linkage`)."""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from collection.linkage_report import LinkageReport
from collection.linkage_rules import LinkageRules


def components(
    n: int,
    edges: np.ndarray,
    strong: np.ndarray,
    rules: LinkageRules,
    report: LinkageReport,
) -> np.ndarray:
    """Rule 5: connected components, giant ones re-clustered on strong edges."""
    labels = label_components(n, edges)
    sizes = np.bincount(labels)
    giant = np.flatnonzero(sizes > rules.max_component)
    if giant.size == 0:
        return labels
    report.blocked_components = [int(s) for s in sizes[giant]]
    in_giant = np.isin(labels, giant)
    # Keep every edge outside the giants; inside them keep the strong edges only.
    keep = ~in_giant[edges[:, 0]] | strong
    labels = label_components(n, edges[keep])
    sizes = np.bincount(labels)
    still = np.isin(labels, np.flatnonzero(sizes > rules.max_component))
    if still.any():
        report.split_records = int(still.sum())
        labels = labels.copy()
        labels[still] = labels.max() + 1 + np.arange(int(still.sum()))
    return labels


def label_components(n: int, edges: np.ndarray) -> np.ndarray:
    graph = coo_matrix(
        (np.ones(len(edges), dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(n, n)
    )
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)
