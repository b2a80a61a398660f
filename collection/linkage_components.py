"""Persons as connected components of the accepted links (rule 5 of :mod:`collection.linkage`)."""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from collection.linkage_pairs import unique_sorted
from collection.linkage_report import LinkageReport
from collection.linkage_rules import LinkageRules


def components(
    n: int,
    edges: np.ndarray,
    strong: np.ndarray,
    rules: LinkageRules,
    report: LinkageReport,
    solo_only: np.ndarray | None = None,
    dated: np.ndarray | None = None,
) -> np.ndarray:
    """Rules 5 and 6: connected components, solo links only where unambiguous,
    giant components re-clustered on strong edges.

    Parameters
    ----------
    n
        Number of records (nodes).
    edges, strong
        Accepted links and whether each is strong.
    rules, report
        The rules; the report to fill.
    solo_only
        Per edge: accepted on a solo key alone.
    dated
        Per record: holds a date of birth (:func:`collection.linkage_accept.dated_records`).
    """
    if solo_only is not None and dated is not None and solo_only.any():
        keep = _unambiguous_solo(n, edges, solo_only, dated)
        report.rejected_ambiguous_solo = int((~keep).sum())
        report.solo_links = int((keep & solo_only).sum())
        edges, strong = edges[keep], strong[keep]
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


def _unambiguous_solo(
    n: int, edges: np.ndarray, solo_only: np.ndarray, dated: np.ndarray
) -> np.ndarray:
    """Per edge: keep it (solo edges only where they join at most one dated person).

    A record with an estimated age and a common name can be near the year of
    birth of several people of that name: solo links would chain them into one.
    The persons found without solo links are joined by solo links only where
    the group they make holds at most one of them with a date of birth
    (different dated persons of one name have different dates of birth, else a
    strong key would have joined them); otherwise the group's solo links are dropped.
    """
    base = label_components(n, edges[~solo_only])
    group = label_components(n, edges)
    n_base = int(base.max(initial=-1)) + 1
    # distinct (group, dated base person) pairs, then dated base persons per group
    pairs = unique_sorted(group[dated] * max(n_base, 1) + base[dated])
    per_group = np.bincount(pairs // max(n_base, 1), minlength=int(group.max(initial=-1)) + 1)
    ambiguous = per_group > 1
    return ~solo_only | ~ambiguous[group[edges[:, 0]]]


def label_components(n: int, edges: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` records given ``edges`` (``(k, 2)`` ints)."""
    graph = coo_matrix(
        (np.ones(len(edges), dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(n, n)
    )
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)
