"""Which candidate pairs become links: rules 2 to 4 of :mod:`collection.linkage`."""

from __future__ import annotations

import numpy as np

from collection.linkage_pairs import CandidatePairs, is_member, unique_sorted
from collection.linkage_report import LinkageReport
from collection.linkage_rules import LinkageRules


def conflicts(pairs: CandidatePairs, rules: LinkageRules) -> np.ndarray:
    """Pair ids vetoed by rule 3: sharing key A, both holding key B, not sharing it.

    Parameters
    ----------
    pairs
        The candidate pairs.
    rules
        For ``conflicts``, the ``(A, B)`` key-type pairs.

    Returns
    -------
    numpy.ndarray
        Sorted distinct pair ids (``a * n + b``) of the vetoed pairs.
    """
    vetoed = []
    for shared_type, check_type in rules.conflicts:
        if shared_type not in pairs.type_names or check_type not in pairs.type_names:
            continue
        code_a = pairs.type_names.index(shared_type)
        code_b = pairs.type_names.index(check_type)
        has = pairs.holds[code_b]
        both = (pairs.t == code_a) & has[pairs.a] & has[pairs.b]
        candidates = pairs.pid[both]
        vetoed.append(candidates[~is_member(candidates, pairs.pid[pairs.t == code_b])])
    if not vetoed:
        return np.empty(0, dtype=np.int64)
    return unique_sorted(np.concatenate(vetoed))


def accept(
    pairs: CandidatePairs,
    vetoed: np.ndarray,
    org_quarter: np.ndarray,
    rules: LinkageRules,
    report: LinkageReport,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply rules 2 to 4.

    Parameters
    ----------
    pairs, vetoed
        Candidate pairs and the pair ids vetoed by :func:`conflicts`.
    org_quarter
        Per record, a code of its return (organisation and quarter).
    rules, report
        The rules; the report to fill with the counts of links and rejections.

    Returns
    -------
    edges, strong, solo_only
        The accepted edges ``(a, b)``; whether each is strong; whether each
        rests on a solo key alone (for :func:`collection.linkage_components.components`).
    """
    if pairs.pid.size == 0:
        return np.empty((0, 2), dtype=np.int64), np.empty(0, dtype=bool), np.empty(0, dtype=bool)
    strong_codes = [i for i, name in enumerate(pairs.type_names) if name in rules.strong_keys]
    row_strong = np.isin(pairs.t, strong_codes)
    # rows are sorted by pair id, so each pair is one run of rows
    start = np.flatnonzero(np.r_[True, pairs.pid[1:] != pairs.pid[:-1]])
    n_types = np.diff(np.r_[start, len(pairs.pid)])
    pid = pairs.pid[start]
    strong = np.logical_or.reduceat(row_strong, start)
    solo_codes = [i for i, name in enumerate(pairs.type_names) if name in rules.solo_keys]
    solo = np.logical_or.reduceat(np.isin(pairs.t, solo_codes), start)
    a, b = pairs.a[start], pairs.b[start]
    enough_weak = (n_types >= rules.min_weak_types) | solo
    same_return = org_quarter[a] == org_quarter[b]
    veto = is_member(pid, vetoed)
    weak_ok = ~strong & enough_weak
    report.rejected_single_weak = int((~strong & ~enough_weak).sum())
    report.rejected_conflict = int((weak_ok & veto).sum())
    report.rejected_same_return = int((weak_ok & ~veto & same_return).sum())
    accept = strong | (weak_ok & ~veto & ~same_return)
    report.strong_links = int((accept & strong).sum())
    report.weak_links = int((accept & ~strong).sum())
    solo_only = ~strong & solo & (n_types < rules.min_weak_types)
    used = is_member(pairs.pid, pid[accept])
    counts = np.bincount(pairs.t[used], minlength=len(pairs.type_names))
    report.links_by_key_type = {
        name: int(c) for name, c in sorted(zip(pairs.type_names, counts, strict=True)) if c
    }
    return np.column_stack([a[accept], b[accept]]), strong[accept], solo_only[accept]


def dated_records(pairs: CandidatePairs, rules: LinkageRules, n: int) -> np.ndarray:
    """Records holding a key a solo key is checked against (a date of birth, by default).

    These are the ``B`` of the ``(A, B)`` conflicts whose ``A`` is a solo key.
    """
    dated = np.zeros(n, dtype=bool)
    for shared_type, check_type in rules.conflicts:
        if shared_type in rules.solo_keys and check_type in pairs.type_names:
            dated |= pairs.holds[pairs.type_names.index(check_type)][:n]
    return dated
