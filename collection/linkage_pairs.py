"""Candidate pairs: every two records sharing a match-key value (rule 1, :mod:`collection.linkage`).

Works on integer codes only: records are positions ``0..n-1``, key types codes,
key values grouped by sorting one integer per (type, value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from collection.linkage_report import LinkageReport
    from collection.linkage_rules import LinkageRules


@dataclass
class CandidatePairs:
    """Record pairs sharing a key value, on integer codes.

    One row per (pair, key type): positions ``a < b``, key-type code ``t`` and
    pair id ``pid = a * n + b``.  ``holds[code]`` marks the records that have a
    key of that type at all (for rule 3).
    """

    a: np.ndarray
    b: np.ndarray
    t: np.ndarray
    pid: np.ndarray
    type_names: list[str]
    holds: dict[int, np.ndarray]


def candidate_pairs(
    keys: pd.DataFrame,
    index: pd.Index,
    rules: LinkageRules,
    report: LinkageReport,
) -> CandidatePairs:
    """Every pair of records sharing a (non-giant) key value (rule 1 applied).

    Parameters
    ----------
    keys
        ``record_id, key_type, key_hash`` (hex digests or 64-bit stand-ins);
        a record may hold several keys of one type.
    index
        The record ids; a record's position in it is its node number.
    rules
        For ``max_key_records``.
    report
        Receives the giant keys ignored.

    Returns
    -------
    CandidatePairs
        One row per (pair, key type shared), sorted by pair id.
    """
    n = max(len(index), 1)
    node = index.get_indexer(pd.Index(keys["record_id"].to_numpy(dtype=np.int64)))
    known = node >= 0  # keys of records not in this linkage are ignored
    node = node[known].astype(np.int64)
    # factorize the Series themselves: Arrow-backed strings and categoricals stay fast
    tcode_raw, type_index = pd.factorize(keys["key_type"][known])
    tcode = np.asarray(tcode_raw, dtype=np.int64)
    type_names = [str(x) for x in type_index]
    hashes = keys["key_hash"][known]
    holds = {}
    for code in range(len(type_names)):
        has = np.zeros(n, dtype=bool)
        has[node[tcode == code]] = True
        holds[code] = has
    empty = np.empty(0, dtype=np.int64)
    if node.size == 0:
        return CandidatePairs(empty, empty, empty, empty, type_names, holds)
    # One integer per (key type, key value): exact for digests; for 64-bit hashes the
    # type is mixed in by multiplication, as collision-free in practice as the hash.
    if pd.api.types.is_integer_dtype(hashes.dtype):
        mix = (tcode.astype(np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
        group_key = (hashes.to_numpy().astype(np.uint64) ^ mix).view(np.int64)
    else:
        hcode = np.asarray(pd.factorize(hashes)[0], dtype=np.int64)
        group_key = hcode * max(len(type_names), 1) + tcode
    # Sorting by that integer puts each group's rows together.
    order = np.argsort(group_key)
    group_key, tcode, node = group_key[order], tcode[order], node[order]
    new_group = np.r_[True, group_key[1:] != group_key[:-1]]
    gid = np.cumsum(new_group) - 1
    gtype = tcode[new_group]
    size = np.bincount(gid)
    member = size[gid]
    giant = member > rules.max_key_records
    if giant.any():
        giant_groups = np.unique(gid[giant])
        for code in np.unique(gtype[giant_groups]):
            sizes = size[giant_groups[gtype[giant_groups] == code]]
            report.giant_keys[type_names[code]] = {
                "values": int(len(sizes)),
                "largest": int(sizes.max()),
            }
    keep = (member >= 2) & ~giant
    gid, node = gid[keep], node[keep]
    # Rows are sorted by group: row i pairs with row i + k of the same group.
    parts_a, parts_b, parts_t = [], [], []
    for k in range(1, int(member[keep].max(initial=1))):
        same = np.flatnonzero(gid[:-k] == gid[k:])
        if same.size == 0:
            break
        parts_a.append(node[same])
        parts_b.append(node[same + k])
        parts_t.append(gtype[gid[same]])
    ja = np.concatenate(parts_a) if parts_a else empty
    jb = np.concatenate(parts_b) if parts_b else empty
    jt = np.concatenate(parts_t) if parts_t else empty
    lo, hi = np.minimum(ja, jb), np.maximum(ja, jb)
    distinct = lo != hi  # a record listed twice under one key value is not a pair
    ntypes = max(len(type_names), 1)
    coded = (lo[distinct] * n + hi[distinct]) * ntypes + jt[distinct]
    pid, t = np.divmod(unique_sorted(coded), ntypes)
    a, b = np.divmod(pid, n)
    return CandidatePairs(a, b, t, pid, type_names, holds)


def unique_sorted(values: np.ndarray) -> np.ndarray:
    """Sorted distinct int64 values (a sort: faster here than numpy's hash-based unique)."""
    ordered = np.sort(values)
    if ordered.size == 0:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def is_member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``values`` in ``sorted_set`` (sorted, distinct), by binary search."""
    if sorted_set.size == 0:
        return np.zeros(values.shape, dtype=bool)
    at = np.clip(np.searchsorted(sorted_set, values), 0, sorted_set.size - 1)
    return sorted_set[at] == values
