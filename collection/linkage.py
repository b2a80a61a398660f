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
   alone never links, except a *solo* key (``solo_keys``: the exact name and
   sex with a year of birth within two years of an estimated one, for a
   record with a date of birth against one with only an estimated age).
   Phonetic keys (transliteration variants) are weak and never solo: a
   consonant skeleton is shared by different names (Hassan / Hussein).
3. **Contradictions veto weak links.**  Two records with the same name (or
   phonetic name) and birth year whose full dates of birth both exist and
   differ (rule pairs in ``conflicts``) are two people, however many weak
   keys they share.
4. **Never link within a return on weak evidence.**  An organisation lists each
   person once a quarter, so two records of the same organisation and quarter
   are linked only by a strong key.
5. **Giant persons are broken up.**  A component larger than ``max_component``
   records is a chain of false links, not one person: it is re-clustered on
   strong links only, and what is still too large is left as single records.
6. **Solo links only join one dated person.**  (Applied before rule 5.)  An
   estimated age near the birth years of two people of the same name would
   chain them into one: the persons found without solo links are joined by
   solo links only where the group they make holds at most one person with a
   date of birth; otherwise that group's solo links are dropped and counted.

A person found only through transitive chains of weak links can still be wrong; the
:class:`LinkageReport` says how many links each key type made so that a
reviewer can judge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from collection.linkage_accept import accept, conflicts, dated_records
from collection.linkage_components import components
from collection.linkage_pairs import candidate_pairs, unique_sorted
from collection.linkage_report import LinkageReport, summarise
from collection.linkage_rules import DEFAULT_CONFLICTS, DEFAULT_STRONG_KEYS, LinkageRules

__all__ = [
    "DEFAULT_CONFLICTS",
    "DEFAULT_STRONG_KEYS",
    "LinkageReport",
    "LinkageResult",
    "LinkageRules",
    "link_records",
]


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
    if len(unique_sorted(record_ids)) != len(record_ids):
        raise ValueError("record_id must be unique")
    n = len(record_ids)
    report.n_records = n
    report.n_keys = len(keys)

    pairs = candidate_pairs(keys, pd.Index(record_ids), rules, report)
    org_code = pd.factorize(records["org_code"])[0].astype(np.int64)
    quarter = pd.factorize(records["quarter"])[0].astype(np.int64)
    org_quarter = org_code * (int(quarter.max(initial=0)) + 1) + quarter
    vetoed = conflicts(pairs, rules)
    edges, strong_edge, solo_only = accept(pairs, vetoed, org_quarter, rules, report)
    labels = components(n, edges, strong_edge, rules, report, solo_only,
                        dated_records(pairs, rules, n))
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
    summarise(person_records, report)
    return LinkageResult(person_records=person_records, report=report)
