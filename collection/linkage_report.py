"""The linkage report: what linkage did, in counts a reviewer can read (never key values)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from collection.linkage_pairs import unique_sorted


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
    solo_links
        Weak links made by a solo key alone (name and sex, year of birth near
        an estimated one): included in ``weak_links``.
    rejected_single_weak
        Record pairs sharing weak keys of fewer than ``min_weak_types`` types.
    rejected_conflict
        Record pairs with weak evidence vetoed by a contradiction (rule 3).
    rejected_same_return
        Record pairs of one organisation and quarter with only weak evidence.
    rejected_ambiguous_solo
        Solo links dropped because they would join several persons with
        different dates of birth (rule 6).
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
    solo_links: int = 0
    rejected_single_weak: int = 0
    rejected_conflict: int = 0
    rejected_same_return: int = 0
    rejected_ambiguous_solo: int = 0
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
            f"({self.strong_links:,} on a strong key, {self.weak_links:,} on weak keys only, "
            f"{self.solo_links:,} of them on a name with a year of birth near an estimated one)",
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


def summarise(person_records: pd.DataFrame, report: LinkageReport) -> None:
    """Fill the report's person counts and distributions from the persons found."""
    person = person_records["person_id"].to_numpy(dtype=np.int64)
    org = pd.factorize(person_records["org_code"])[0].astype(np.int64)
    n_records = np.bincount(person)
    n_records = n_records[n_records > 0]
    width = int(org.max(initial=0)) + 1
    pairs = unique_sorted(person * width + org) // width
    n_orgs = np.bincount(pairs)
    n_orgs = n_orgs[n_orgs > 0]
    report.n_persons = len(n_records)
    report.cluster_sizes = _bucket(pd.Series(n_records))
    report.persons_by_orgs = _bucket(pd.Series(n_orgs))


def _bucket(values: pd.Series, top: int = 10) -> dict[str, int]:
    counts = values.clip(upper=top).value_counts().sort_index()
    return {(f"{k}+" if k == top else str(k)): int(v) for k, v in counts.items()}
