"""The numbers and key classes behind the linkage rules (:mod:`collection.linkage`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

#: Key types (of :mod:`collection.pseudonymise`) that identify a person on their own:
#: the whole name with the whole date of birth.  Other key types are weak.
DEFAULT_STRONG_KEYS: frozenset[str] = frozenset(
    {"name_dob", "sorted_name_dob", "name_dob_daymonth"}
)
#: Weak key types that link two records alone (still subject to vetoes and the
#: same-return rule): the exact name and sex with a year of birth within two
#: years of an estimated one.  Phonetic keys are never here: a consonant
#: skeleton is shared by different names.
DEFAULT_SOLO_KEYS: frozenset[str] = frozenset({"name_sex_yob_window"})
#: ``(A, B)``: records that share key A but hold *different* values of key B are
#: different people.  Each B is A's name part with the whole date of birth, so
#: differing on B while sharing A means both dates of birth are known and differ:
#: sharing ``name_yob`` (same name tokens, same birth year) while both have a
#: differing ``name_dob_daymonth`` means the day of birth differs; likewise a
#: shared phonetic name and year with differing ``phonetic_name_dob``, and a
#: shared name within the year window with differing ``sorted_name_dob``.
DEFAULT_CONFLICTS: tuple[tuple[str, str], ...] = (
    ("name_yob", "name_dob_daymonth"),
    ("phonetic_name_yob_sex", "phonetic_name_dob"),
    ("name_sex_yob_window", "sorted_name_dob"),
)


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
    solo_keys
        Weak key types that are enough alone (vetoes and the same-return rule still apply).
    max_component
        Largest person (records) accepted before it is re-clustered on strong links.
    conflicts
        Key-type pairs ``(A, B)``: sharing A while differing on B vetoes a weak link.
    """

    strong_keys: frozenset[str] = DEFAULT_STRONG_KEYS
    max_key_records: int = 50
    min_weak_types: int = 2
    solo_keys: frozenset[str] = DEFAULT_SOLO_KEYS
    max_component: int = 100
    conflicts: tuple[tuple[str, str], ...] = DEFAULT_CONFLICTS

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for the linkage run's provenance)."""
        out = asdict(self)
        out["strong_keys"] = sorted(self.strong_keys)
        out["solo_keys"] = sorted(self.solo_keys)
        out["conflicts"] = [list(c) for c in self.conflicts]
        return out
