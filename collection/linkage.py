"""Record linkage: cluster records into persons by their shared match keys.

Pure functions on DataFrames (no database).  Each record carries several
keyed-hash match keys built from normalised and coarsened identity fields
(:mod:`collection.pseudonymise`); two records that share a key value *may* be
the same person.  Records are the nodes of a graph, accepted links its edges,
and a person is a connected component (scipy ``csgraph``).

Rules, in the order they are applied (:class:`LinkageRules` holds the numbers):

1. **Giant keys are ignored.**  A key value shared by more than
   ``max_key_records`` records (a common name with a default date of birth, a
   placeholder) says nothing about identity; it is dropped and reported.
2. **A link needs enough evidence.**  Two records are linked when they share a
   *strong* key (one that alone identifies a person: the whole normalised name
   with the whole date of birth), or at least ``min_weak_types`` *different*
   weak key types (e.g. a soundex key and an initials key).  One weak key
   alone never links.
3. **Contradictions veto weak links.**  Two records with the same name and
   birth year whose full dates of birth both exist and differ (rule pairs in
   ``conflicts``) are two people, however many weak keys they share.
4. **Never link within a return on weak evidence.**  An organisation lists each
   person once a quarter, so two records of the same organisation and quarter
   are linked only by a strong key.
5. **Giant persons are broken up.**  A component larger than ``max_component``
   records is a chain of false links, not one person: it is re-clustered on
   strong links only, and what is still too large is left as single records.

A person found only through transitive chains of weak links can still be wrong; the
:class:`LinkageReport` says how many links each key type made so that a
reviewer can judge.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

#: Key types (of :mod:`collection.pseudonymise`) that identify a person on their own:
#: the whole name with the whole date of birth.  Other key types are weak.
DEFAULT_STRONG_KEYS: frozenset[str] = frozenset(
    {"name_dob", "sorted_name_dob", "name_dob_daymonth"}
)
#: ``(A, B)``: records that share key A but hold *different* values of key B are
#: different people.  Sharing ``name_yob`` (same name tokens, same birth year)
#: while both have a differing ``name_dob_daymonth`` means the day of birth differs.
DEFAULT_CONFLICTS: tuple[tuple[str, str], ...] = (("name_yob", "name_dob_daymonth"),)


@dataclass(frozen=True)
class LinkageRules:
    """The numbers behind the linkage rules (module docstring).

    Attributes
    ----------
    strong_keys
        Key types that link two records on their own.
    max_key_records
        A key value shared by more records than this is ignored (a giant key).
    min_weak_types
        Distinct weak key types two records must share to be linked without a strong key.
    max_component
        Largest person (records) accepted before it is re-clustered on strong links.
    conflicts
        Key-type pairs ``(A, B)``: sharing A while differing on B vetoes a weak link.
    """

    strong_keys: frozenset[str] = DEFAULT_STRONG_KEYS
    max_key_records: int = 50
    min_weak_types: int = 2
    max_component: int = 100
    conflicts: tuple[tuple[str, str], ...] = DEFAULT_CONFLICTS

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for the linkage run's provenance)."""
        out = asdict(self)
        out["strong_keys"] = sorted(self.strong_keys)
        out["conflicts"] = [list(c) for c in self.conflicts]
        return out


@dataclass
class LinkageReport:
    """What linkage did, for a reviewer: counts only, never key values.

    Attributes
    ----------
    n_records, n_persons
        Records in, persons out.
    n_keys
        Match-key rows considered.
    cluster_sizes
        Persons by number of records (``"1"``, ``"2"``, ..., ``"10+"``).
    persons_by_orgs
        Persons by number of distinct organisations that recorded them.
    links_by_key_type
        Accepted links (record pairs) in which each key type was shared.
    strong_links, weak_links
        Accepted links with a strong key / on weak keys only.
    rejected_single_weak
        Record pairs sharing weak keys of fewer than ``min_weak_types`` types.
    rejected_conflict
        Record pairs with weak evidence vetoed by a contradiction (rule 3).
    rejected_same_return
        Record pairs of one organisation and quarter with only weak evidence.
    persons_with_conflicts
        Persons that still hold a vetoed pair, joined through other records:
        the ones to review first.
    giant_keys
        Key values ignored as too common, by key type (count and largest size).
    blocked_components
        Components larger than ``max_component`` (their sizes), re-clustered.
    split_records
        Records left single because even their strong links made a giant person.
    """

    n_records: int = 0
    n_persons: int = 0
    n_keys: int = 0
    cluster_sizes: dict[str, int] = field(default_factory=dict)
    persons_by_orgs: dict[str, int] = field(default_factory=dict)
    links_by_key_type: dict[str, int] = field(default_factory=dict)
    strong_links: int = 0
    weak_links: int = 0
    rejected_single_weak: int = 0
    rejected_conflict: int = 0
    rejected_same_return: int = 0
    persons_with_conflicts: int = 0
    giant_keys: dict[str, dict[str, int]] = field(default_factory=dict)
    blocked_components: list[int] = field(default_factory=list)
    split_records: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def to_text(self) -> str:
        """A readable report."""
        lines = [
            f"Records          {self.n_records:,}",
            f"Persons          {self.n_persons:,}",
            f"Links            {self.strong_links + self.weak_links:,} "
            f"({self.strong_links:,} on a strong key, {self.weak_links:,} on weak keys only)",
            "Persons by records  " + _dist(self.cluster_sizes),
            "Persons by organisations  " + _dist(self.persons_by_orgs),
        ]
        if self.links_by_key_type:
            lines.append("Links by key type")
            lines.extend(
                f"  {k:<20}{v:,}" for k, v in sorted(self.links_by_key_type.items())
            )
        lines.append(
            f"Not linked: {self.rejected_single_weak:,} pairs sharing one weak key type, "
            f"{self.rejected_conflict:,} pairs with differing dates of birth, "
            f"{self.rejected_same_return:,} pairs within one return on weak keys"
        )
        if self.giant_keys:
            lines.append("Ignored common keys (shared by too many records)")
            lines.extend(
                f"  {k:<20}{v['values']:,} values, largest {v['largest']:,} records"
                for k, v in sorted(self.giant_keys.items())
            )
        if self.persons_with_conflicts:
            lines.append(
                f"Persons joined through other records despite differing dates of birth: "
                f"{self.persons_with_conflicts:,} (review these)"
            )
        if self.blocked_components:
            lines.append(
                f"Broken-up giant persons: {len(self.blocked_components)} "
                f"(sizes {', '.join(map(str, sorted(self.blocked_components)[-5:]))}); "
                f"{self.split_records:,} records left single"
            )
        return "\n".join(lines)


def _dist(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v:,}" for k, v in counts.items()) or "-"


@dataclass
class LinkageResult:
    """Persons found by :func:`link_records`.

    Attributes
    ----------
    person_records
        ``record_id, person_id, org_code``; persons numbered from 0 in order of
        their smallest record_id (so the same input gives the same numbers).
    report
        The :class:`LinkageReport`.
    """

    person_records: pd.DataFrame
    report: LinkageReport


def link_records(
    records: pd.DataFrame,
    keys: pd.DataFrame,
    rules: LinkageRules | None = None,
) -> LinkageResult:
    """Cluster records into persons (see the module docstring for the rules).

    Parameters
    ----------
    records
        ``record_id, org_code, quarter``, one row per record.
    keys
        ``record_id, key_type, key_hash``: the records' match keys.  ``key_hash``
        may be the hex digest or any stand-in for it with the same equalities
        (e.g. a 64-bit hash of it, which the warehouse sends to save memory).
    rules
        The linkage rules; defaults to :class:`LinkageRules()`.

    Returns
    -------
    LinkageResult
        Every record with its person, and the report.
    """
    rules = rules or LinkageRules()
    report = LinkageReport()
    record_ids = records["record_id"].to_numpy(dtype=np.int64)
    if len(_unique(record_ids)) != len(record_ids):
        raise ValueError("record_id must be unique")
    n = len(record_ids)
    report.n_records = n
    report.n_keys = len(keys)

    pairs = _candidate_pairs(keys, pd.Index(record_ids), rules, report)
    org_code = pd.factorize(records["org_code"])[0].astype(np.int64)
    quarter = pd.factorize(records["quarter"])[0].astype(np.int64)
    org_quarter = org_code * (int(quarter.max(initial=0)) + 1) + quarter
    vetoed = _conflicts(pairs, rules)
    edges, strong_edge = _accept(pairs, vetoed, org_quarter, rules, report)
    labels = _components(n, edges, strong_edge, rules, report)
    if vetoed.size:
        ca, cb = np.divmod(vetoed, n)
        joined = labels[ca] == labels[cb]
        report.persons_with_conflicts = int(len(np.unique(labels[ca][joined])))

    # Number persons by their smallest record_id: stable across runs on the same data.
    first = np.full(labels.max() + 1 if n else 0, np.iinfo(np.int64).max)
    np.minimum.at(first, labels, record_ids)
    person_id = np.searchsorted(np.sort(first), first)[labels]
    person_records = pd.DataFrame(
        {
            "record_id": record_ids,
            "person_id": person_id.astype(np.int64),
            "org_code": records["org_code"].astype(str).to_numpy(),
        }
    )
    _summarise(person_records, report)
    return LinkageResult(person_records=person_records, report=report)


@dataclass
class _Pairs:
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


def _candidate_pairs(
    keys: pd.DataFrame,
    index: pd.Index,
    rules: LinkageRules,
    report: LinkageReport,
) -> _Pairs:
    """Every pair of records sharing a (non-giant) key value (rule 1 applied)."""
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
        return _Pairs(empty, empty, empty, empty, type_names, holds)
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
    pid, t = np.divmod(_unique((lo[distinct] * n + hi[distinct]) * ntypes + jt[distinct]), ntypes)
    a, b = np.divmod(pid, n)
    return _Pairs(a, b, t, pid, type_names, holds)


def _unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct int64 values (a sort: faster here than numpy's hash-based unique)."""
    ordered = np.sort(values)
    if ordered.size == 0:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``values`` in ``sorted_set`` (sorted, distinct), by binary search."""
    if sorted_set.size == 0:
        return np.zeros(values.shape, dtype=bool)
    at = np.clip(np.searchsorted(sorted_set, values), 0, sorted_set.size - 1)
    return sorted_set[at] == values


def _conflicts(pairs: _Pairs, rules: LinkageRules) -> np.ndarray:
    """Pair ids vetoed by rule 3: sharing key A, both holding key B, not sharing it."""
    vetoed = []
    for shared_type, check_type in rules.conflicts:
        if shared_type not in pairs.type_names or check_type not in pairs.type_names:
            continue
        code_a = pairs.type_names.index(shared_type)
        code_b = pairs.type_names.index(check_type)
        has = pairs.holds[code_b]
        both = (pairs.t == code_a) & has[pairs.a] & has[pairs.b]
        candidates = pairs.pid[both]
        vetoed.append(candidates[~_member(candidates, pairs.pid[pairs.t == code_b])])
    if not vetoed:
        return np.empty(0, dtype=np.int64)
    return _unique(np.concatenate(vetoed))


def _accept(
    pairs: _Pairs,
    vetoed: np.ndarray,
    org_quarter: np.ndarray,
    rules: LinkageRules,
    report: LinkageReport,
) -> tuple[np.ndarray, np.ndarray]:
    """Apply rules 2 to 4: the accepted edges ``(a, b)`` and whether each is strong."""
    if pairs.pid.size == 0:
        return np.empty((0, 2), dtype=np.int64), np.empty(0, dtype=bool)
    strong_codes = [i for i, name in enumerate(pairs.type_names) if name in rules.strong_keys]
    row_strong = np.isin(pairs.t, strong_codes)
    # rows are sorted by pair id, so each pair is one run of rows
    start = np.flatnonzero(np.r_[True, pairs.pid[1:] != pairs.pid[:-1]])
    n_types = np.diff(np.r_[start, len(pairs.pid)])
    pid = pairs.pid[start]
    strong = np.logical_or.reduceat(row_strong, start)
    a, b = pairs.a[start], pairs.b[start]
    enough_weak = n_types >= rules.min_weak_types
    same_return = org_quarter[a] == org_quarter[b]
    veto = _member(pid, vetoed)
    weak_ok = ~strong & enough_weak
    report.rejected_single_weak = int((~strong & ~enough_weak).sum())
    report.rejected_conflict = int((weak_ok & veto).sum())
    report.rejected_same_return = int((weak_ok & ~veto & same_return).sum())
    accept = strong | (weak_ok & ~veto & ~same_return)
    report.strong_links = int((accept & strong).sum())
    report.weak_links = int((accept & ~strong).sum())
    used = _member(pairs.pid, pid[accept])
    counts = np.bincount(pairs.t[used], minlength=len(pairs.type_names))
    report.links_by_key_type = {
        name: int(c) for name, c in sorted(zip(pairs.type_names, counts, strict=True)) if c
    }
    return np.column_stack([a[accept], b[accept]]), strong[accept]


def _components(
    n: int,
    edges: np.ndarray,
    strong: np.ndarray,
    rules: LinkageRules,
    report: LinkageReport,
) -> np.ndarray:
    """Rule 4: connected components, giant ones re-clustered on strong edges."""
    labels = _label(n, edges)
    sizes = np.bincount(labels)
    giant = np.flatnonzero(sizes > rules.max_component)
    if giant.size == 0:
        return labels
    report.blocked_components = [int(s) for s in sizes[giant]]
    in_giant = np.isin(labels, giant)
    # Keep every edge outside the giants; inside them keep the strong edges only.
    keep = ~in_giant[edges[:, 0]] | strong
    labels = _label(n, edges[keep])
    sizes = np.bincount(labels)
    still = np.isin(labels, np.flatnonzero(sizes > rules.max_component))
    if still.any():
        report.split_records = int(still.sum())
        labels = labels.copy()
        labels[still] = labels.max() + 1 + np.arange(int(still.sum()))
    return labels


def _label(n: int, edges: np.ndarray) -> np.ndarray:
    graph = coo_matrix(
        (np.ones(len(edges), dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(n, n)
    )
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


def _summarise(person_records: pd.DataFrame, report: LinkageReport) -> None:
    person = person_records["person_id"].to_numpy(dtype=np.int64)
    org = pd.factorize(person_records["org_code"])[0].astype(np.int64)
    n_records = np.bincount(person)
    n_records = n_records[n_records > 0]
    width = int(org.max(initial=0)) + 1
    pairs = _unique(person * width + org) // width
    n_orgs = np.bincount(pairs)
    n_orgs = n_orgs[n_orgs > 0]
    report.n_persons = len(n_records)
    report.cluster_sizes = _bucket(pd.Series(n_records))
    report.persons_by_orgs = _bucket(pd.Series(n_orgs))


def _bucket(values: pd.Series, top: int = 10) -> dict[str, int]:
    counts = values.clip(upper=top).value_counts().sort_index()
    return {(f"{k}+" if k == top else str(k)): int(v) for k, v in counts.items()}
