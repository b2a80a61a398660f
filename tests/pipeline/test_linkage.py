"""Linkage of records into persons by match keys (collection.linkage), on constructed data."""

from __future__ import annotations

import pandas as pd
import pytest

from collection.linkage import LinkageRules, link_records


def _records(rows: list[tuple[int, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_id", "org_code", "quarter"])


def _keys(rows: list[tuple[int, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_id", "key_type", "key_hash"])


def _persons(result) -> list[set[int]]:
    groups = result.person_records.groupby("person_id")["record_id"].apply(set)
    return sorted(groups.tolist(), key=min)


def test_typo_in_name_linked_through_soundex_and_initials_keys():
    """'Maria Popescu' (police) and 'Marya Popesku' (NGO), same date of birth.

    Every key with the exact name differs (typo), but Soundex(family)+initial+DOB
    and initials+birth year+sex agree: two weak key types, so one person.
    """
    records = _records([(1, "POLICE", "2025Q1"), (2, "NGO", "2025Q2")])
    keys = _keys([
        (1, "name_dob", "exact-maria"), (2, "name_dob", "exact-marya"),
        (1, "name_dob_daymonth", "dm-maria"), (2, "name_dob_daymonth", "dm-marya"),
        (1, "name_yob", "maria-1994"), (2, "name_yob", "marya-1994"),
        (1, "soundex_dob", "P125|M|1994-03-02"), (2, "soundex_dob", "P125|M|1994-03-02"),
        (1, "initials_yob_sex", "MP|1994|f"), (2, "initials_yob_sex", "MP|1994|f"),
    ])
    result = link_records(records, keys)
    assert _persons(result) == [{1, 2}]
    assert result.report.weak_links == 1 and result.report.strong_links == 0
    assert result.report.links_by_key_type == {"initials_yob_sex": 1, "soundex_dob": 1}


def test_same_initials_different_people_not_linked():
    """Two people sharing only initials and birth year (one weak key type) stay apart."""
    records = _records([(1, "POLICE", "2025Q1"), (2, "NGO", "2025Q1")])
    keys = _keys([
        (1, "name_dob", "a"), (2, "name_dob", "b"),
        (1, "soundex_dob", "s1"), (2, "soundex_dob", "s2"),
        (1, "initials_yob_sex", "JS-1990-m"), (2, "initials_yob_sex", "JS-1990-m"),
    ])
    result = link_records(records, keys)
    assert _persons(result) == [{1}, {2}]
    assert result.report.rejected_single_weak == 1


def test_strong_key_links_alone():
    """An exact name+dob key links on its own."""
    records = _records([(1, "POLICE", "2025Q1"), (2, "LA-X", "2025Q3")])
    keys = _keys([(1, "name_dob", "h"), (2, "name_dob", "h")])
    assert _persons(link_records(records, keys)) == [{1, 2}]


def test_same_return_needs_a_strong_key():
    """Two rows of one organisation's quarter sharing two weak key types are not linked
    (an organisation lists each person once), but a strong key does link them."""
    records = _records([(1, "NGO", "2025Q1"), (2, "NGO", "2025Q1"), (3, "NGO", "2025Q2")])
    weak = [(r, t, "v") for r in (1, 2, 3) for t in ("soundex_dob", "initials_yob_sex")]
    result = link_records(records, _keys(weak))
    # 1-2 is within one return; 1-3 and 2-3 are different quarters: all end up together
    # only through 3, which is the transitive case the report lets a reviewer see.
    assert result.report.rejected_same_return == 1
    assert result.report.weak_links == 2
    only_same_return = link_records(records.iloc[:2], _keys(weak[:4]))
    assert _persons(only_same_return) == [{1}, {2}]
    strong = _keys(weak[:4] + [(1, "name_dob", "x"), (2, "name_dob", "x")])
    assert _persons(link_records(records.iloc[:2], strong)) == [{1, 2}]


def test_giant_key_ignored_and_reported():
    """A key value shared by more records than max_key_records links nobody."""
    n = 12
    records = _records([(i, f"ORG{i}", "2025Q1") for i in range(1, n + 1)])
    keys = _keys([(i, "name_dob", "placeholder-1900-01-01") for i in range(1, n + 1)])
    result = link_records(records, keys, LinkageRules(max_key_records=10))
    assert result.report.n_persons == n
    assert result.report.giant_keys == {"name_dob": {"values": 1, "largest": n}}


def test_giant_component_reclustered_on_strong_links():
    """A chain of weak links longer than max_component is cut back to its strong links."""
    n = 8
    records = _records([(i, f"ORG{i}", "2025Q1") for i in range(n)])
    chain = []
    for i in range(n - 1):  # record i and i+1 share two weak key types: a chain
        chain += [(i, "soundex_dob", f"s{i}"), (i + 1, "soundex_dob", f"s{i}"),
                  (i, "initials_yob_sex", f"i{i}"), (i + 1, "initials_yob_sex", f"i{i}")]
    chain += [(0, "name_dob", "p"), (1, "name_dob", "p")]
    result = link_records(records, _keys(chain), LinkageRules(max_component=5))
    assert result.report.blocked_components == [n]
    assert _persons(result) == [{0, 1}] + [{i} for i in range(2, n)]
    assert result.report.split_records == 0


def test_same_name_and_year_but_different_birthday_not_linked():
    """Two 'Mohammed Ali's born in 1990 on different days share name+year and
    initials+year+sex keys, but both have full dates of birth that differ:
    vetoed.  With one date of birth missing, the same keys do link."""
    records = _records([(1, "POLICE", "2025Q1"), (2, "NGO", "2025Q1"), (3, "LA-X", "2025Q2")])
    keys = _keys([
        (1, "name_yob", "ali-1990"), (2, "name_yob", "ali-1990"), (3, "name_yob", "ali-1990"),
        (1, "initials_yob_sex", "MA|1990|m"), (2, "initials_yob_sex", "MA|1990|m"),
        (3, "initials_yob_sex", "MA|1990|m"),
        (1, "name_dob_daymonth", "ali-1990-01-05"), (2, "name_dob_daymonth", "ali-1990-02-07"),
        # record 3 has no date of birth (estimated age): no DOB keys
    ])
    result = link_records(records, keys)
    assert result.report.rejected_conflict == 1
    assert _persons(result) == [{1, 2, 3}]  # both linked through 3: the transitive case
    assert result.report.persons_with_conflicts == 1  # ... which the report flags
    only_two = link_records(records.iloc[:2], keys[keys["record_id"] < 3])
    assert _persons(only_two) == [{1}, {2}]
    no_veto = link_records(records.iloc[:2], keys[keys["record_id"] < 3],
                           LinkageRules(conflicts=()))
    assert _persons(no_veto) == [{1, 2}]


def test_person_ids_do_not_depend_on_row_order():
    """The same records in another order get the same person numbers."""
    records = _records([(5, "A", "2025Q1"), (2, "B", "2025Q1"), (9, "C", "2025Q1")])
    keys = _keys([(5, "name_dob", "h"), (9, "name_dob", "h")])
    one = link_records(records, keys).person_records.sort_values("record_id")
    two = link_records(records.iloc[::-1], keys.iloc[::-1]).person_records.sort_values(
        "record_id"
    )
    assert one["person_id"].tolist() == two["person_id"].tolist() == [0, 1, 1]


def test_report_counts_and_text():
    """The report's cluster-size and organisation distributions add up."""
    records = _records([(1, "A", "2025Q1"), (2, "B", "2025Q1"), (3, "C", "2025Q1")])
    keys = _keys([(1, "name_dob", "h"), (2, "name_dob", "h"), (3, "name_dob", "z")])
    report = link_records(records, keys).report
    assert report.cluster_sizes == {"1": 1, "2": 1}
    assert report.persons_by_orgs == {"1": 1, "2": 1}
    text = report.to_text()
    assert "Persons          2" in text and "name_dob" in text
    assert "h" not in report.to_dict()["links_by_key_type"]


def test_duplicate_record_ids_rejected():
    """Each record appears once."""
    with pytest.raises(ValueError, match="unique"):
        link_records(_records([(1, "A", "2025Q1"), (1, "B", "2025Q1")]), _keys([]))


def test_integer_hashes_give_the_same_persons():
    """The warehouse sends 64-bit hashes of the digests: same persons as the digests."""
    import hashlib

    import numpy as np

    rng = np.random.default_rng(3)
    n = 300
    records = _records([(i, f"ORG{i % 7}", f"2025Q{1 + i % 4}") for i in range(n)])
    person = rng.integers(0, 120, n)
    rows = []
    for i in range(n):
        for key_type in ("name_dob", "soundex_dob", "initials_yob_sex", "name_yob"):
            noise = f"-{i}" if key_type == "name_dob" and rng.random() < 0.3 else ""
            rows.append((i, key_type, f"{key_type}:{person[i]}{noise}"))
    keys = _keys(rows)
    as_digest = keys.assign(key_hash=[hashlib.sha256(h.encode()).hexdigest()
                                      for h in keys["key_hash"]])
    as_int = keys.assign(key_hash=[int(h[:16], 16) for h in as_digest["key_hash"]])
    as_int["key_hash"] = as_int["key_hash"].astype("uint64")
    one = link_records(records, as_digest).person_records
    two = link_records(records, as_int).person_records
    assert one["person_id"].tolist() == two["person_id"].tolist()
    # and the clustering is the true one: every record of a person shares weak keys
    assert one.groupby("person_id").ngroups == len(set(person))


def test_repeated_key_rows_are_harmless():
    """The same key listed twice for one record does not make a pair with itself."""
    records = _records([(1, "A", "2025Q1"), (2, "B", "2025Q1")])
    keys = _keys([(1, "name_dob", "h"), (1, "name_dob", "h"), (2, "name_dob", "z")])
    assert _persons(link_records(records, keys)) == [{1}, {2}]
