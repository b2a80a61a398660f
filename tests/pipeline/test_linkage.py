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


# ------------------------------------------------------- transliterations and estimated ages
def _people(*people: dict) -> pd.DataFrame:
    """Clean records (as validation gives them), one organisation each, 2025Q3."""
    base = {"first_encountered": pd.Timestamp("2025-08-14"), "given_name": None,
            "family_name": None, "date_of_birth": pd.NaT, "estimated_age": pd.NA,
            "sex": "male"}
    rows = [{**base, "row": i + 2, "record_ref": f"R{i + 1}", **p} for i, p in enumerate(people)]
    frame = pd.DataFrame(rows)
    frame["date_of_birth"] = pd.to_datetime(frame["date_of_birth"])
    frame["estimated_age"] = frame["estimated_age"].astype("Int64")
    return frame


def _link_people(*people: dict, rules: LinkageRules | None = None):
    """Match keys of these people (demo key), linked; record ids 1, 2, ... in order."""
    from collection.keys import DEMO_KEY
    from collection.pseudonymise import match_keys

    clean = _people(*people)
    keys = match_keys(clean, DEMO_KEY)
    keys["record_id"] = keys["row"] - 1
    records = _records([(i + 1, f"ORG{i}", "2025Q3") for i in range(len(clean))])
    return link_records(records, keys[["record_id", "key_type", "key_hash"]], rules)


def test_osman_and_othman_with_the_same_date_of_birth_are_one_person():
    """Family name Osman / Othman (Arabic tha): Soundex differs, the phonetic keys agree;
    with the initials key that makes two weak key types.  The same pair under the
    session-1 key types stays apart."""
    a = {"given_name": "Ali", "family_name": "Osman", "date_of_birth": "1990-04-03"}
    b = {"given_name": "Ali", "family_name": "Othman", "date_of_birth": "1990-04-03"}
    result = _link_people(a, b)
    assert _persons(result) == [{1, 2}]
    assert result.report.links_by_key_type["phonetic_name_dob"] == 1
    usman = {"given_name": "Usman", "family_name": "Hussein", "date_of_birth": "1990-04-03"}
    osman = {"given_name": "Osman", "family_name": "Husain", "date_of_birth": "1990-04-03"}
    assert _persons(_link_people(usman, osman)) == [{1, 2}]  # initials differ too


def test_mohammed_and_muhammad_with_a_year_of_birth_only_are_one_person():
    """No date of birth on either side, the same estimated age: phonetic name + year + sex
    and initials + year + sex agree.  With both names transliterated differently
    (Muhammad Usman) the initials differ too: one weak type, not linked."""
    a = {"given_name": "Mohammed", "family_name": "Osman", "estimated_age": 30}
    b = {"given_name": "Muhammad", "family_name": "Osman", "estimated_age": 30}
    result = _link_people(a, b)
    assert _persons(result) == [{1, 2}]
    assert "phonetic_name_yob_sex" in result.report.links_by_key_type
    both = {"given_name": "Muhammad", "family_name": "Usman", "estimated_age": 30}
    assert _persons(_link_people(a, both)) == [{1}, {2}]


@pytest.mark.parametrize("age", [34, 35, 36, 33, 37])
def test_date_of_birth_and_an_estimated_age_a_year_or_two_off_link(age):
    """Born 1990-04-03 on one record; 'about {age}' in 2025 on the other (1991 for 34):
    up to two years off, the window key links them on its own."""
    a = {"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1990-04-03",
         "sex": "female"}
    b = {"given_name": "Ana", "family_name": "Pop", "estimated_age": age, "sex": "female"}
    result = _link_people(a, b)
    assert _persons(result) == [{1, 2}]


@pytest.mark.parametrize(("change", "why"), [
    ({"sex": "female"}, "different sex"),
    ({"estimated_age": 30}, "five years apart"),
    ({"estimated_age": 32}, "three years apart: outside the window"),
    ({"given_name": "Maria"}, "a different name"),
    ({"given_name": "Anna", "estimated_age": 34},
     "a variant name a year off (the window key needs the exact name)"),
])
def test_estimated_age_records_of_clearly_different_people_stay_apart(change, why):
    a = {"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1990-04-03"}
    b = {"given_name": "Ana", "family_name": "Pop", "estimated_age": 35, **change}
    assert _persons(_link_people(a, b)) == [{1}, {2}], why


def test_same_skeleton_different_dates_of_birth_are_vetoed():
    """Hassan Ali and Hussein Ali share a phonetic code (hsn) and, born the same year,
    the phonetic year key and the initials key: two weak types.  Both dates of birth are
    known and differ, so the (phonetic_name_yob_sex, phonetic_name_dob) conflict vetoes."""
    a = {"given_name": "Hassan", "family_name": "Ali", "date_of_birth": "1990-04-03"}
    b = {"given_name": "Hussein", "family_name": "Ali", "date_of_birth": "1990-09-21"}
    result = _link_people(a, b)
    assert _persons(result) == [{1}, {2}]
    assert result.report.rejected_conflict == 1
    # the guard is the veto: without it the shared skeleton would link them
    loose = LinkageRules(conflicts=(("name_yob", "name_dob_daymonth"),))
    assert _persons(_link_people(a, b, rules=loose)) == [{1, 2}]


def test_window_key_between_two_dates_of_birth_is_vetoed():
    """Two records with dates of birth only share a window key in the same year; if the
    dates differ they are two people (conflict with sorted_name_dob)."""
    a = {"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1990-04-03"}
    b = {"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1990-09-21"}
    result = _link_people(a, b)
    assert _persons(result) == [{1}, {2}]
    assert result.report.rejected_conflict == 1


def test_an_estimated_age_near_two_dated_people_joins_neither():
    """Rule 6: 'Ana Pop, about 35' is within two years of two different Ana Pops born
    1989 and 1991.  Solo links would chain all three into one person; they are dropped,
    and the report counts them."""
    a = {"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1989-04-03"}
    b = {"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1991-07-12"}
    c = {"given_name": "Ana", "family_name": "Pop", "estimated_age": 35}
    result = _link_people(a, b, c)
    assert _persons(result) == [{1}, {2}, {3}]
    assert result.report.rejected_ambiguous_solo == 2
    assert result.report.solo_links == 0
    # with one dated Ana Pop the same record joins her
    assert _persons(_link_people(a, c)) == [{1, 2}]


def test_solo_key_links_alone_but_not_within_a_return():
    """Constructed keys: one shared window key links records of two organisations, not two
    rows of one return; without the key among solo_keys it is one weak type, not enough."""
    keys = _keys([(1, "name_sex_yob_window", "w"), (2, "name_sex_yob_window", "w")])
    two_orgs = link_records(_records([(1, "A", "2025Q1"), (2, "B", "2025Q1")]), keys)
    assert _persons(two_orgs) == [{1, 2}]
    assert two_orgs.report.solo_links == 1
    one_return = link_records(_records([(1, "A", "2025Q1"), (2, "A", "2025Q1")]), keys)
    assert _persons(one_return) == [{1}, {2}]
    not_solo = link_records(_records([(1, "A", "2025Q1"), (2, "B", "2025Q1")]), keys,
                            LinkageRules(solo_keys=frozenset()))
    assert _persons(not_solo) == [{1}, {2}]


def test_recall_improves_on_a_synthetic_nation_without_losing_precision(tmp_path):
    """Seed 3, 2025, about 4,000 victims in four force areas (compact organisations): the
    returns intake would load, typed as validation does, keyed and linked, scored
    against the truth.  Measured (benchmarks/bench_linkage.py method): pairwise recall
    0.948 with the session-1 keys and rules, 0.972 with the default ones; precision
    0.996 and 0.992.  Asserted: recall up by at least 0.015, fewer persons split,
    precision at least 0.985."""
    from collection.keys import DEMO_KEY
    from collection.linkage import DEFAULT_CONFLICTS
    from collection.pseudonymise import match_keys
    from darkfigure.synthetic import NationConfig, simulate_nation
    from darkfigure.synthetic.truth import labelled_records

    simulate_nation(tmp_path, NationConfig(seed=3, years=(2025,), size=4000, n_areas=4,
                                           compact=True, broken_files=False))
    rows = labelled_records(tmp_path)
    keys = match_keys(rows, DEMO_KEY).merge(rows[["row", "record_ref", "record_id"]],
                                            on=["row", "record_ref"], validate="many_to_one")
    before_types = ["name_dob", "sorted_name_dob", "soundex_dob", "name_dob_daymonth",
                    "name_yob", "initials_yob_sex"]

    def scored(chosen: pd.DataFrame, rules: LinkageRules) -> tuple[float, float, int]:
        found = link_records(rows[["record_id", "org_code", "quarter"]],
                             chosen[["record_id", "key_type", "key_hash"]], rules)
        both = rows.merge(found.person_records[["record_id", "person_id"]], on="record_id",
                          suffixes=("", "_found"))

        def pairs(columns: list[str]) -> int:
            sizes = both.groupby(columns).size()
            return int((sizes * (sizes - 1) // 2).sum())

        right = pairs(["person_id", "person_id_found"])
        split = int((both.groupby("person_id")["person_id_found"].nunique() > 1).sum())
        return right / pairs(["person_id_found"]), right / pairs(["person_id"]), split

    p0, r0, split0 = scored(keys[keys["key_type"].isin(before_types)],
                            LinkageRules(conflicts=DEFAULT_CONFLICTS[:1],
                                         solo_keys=frozenset()))
    p1, r1, split1 = scored(keys, LinkageRules())
    assert r1 >= r0 + 0.015, (r0, r1)
    assert split1 < split0
    assert p1 >= 0.985, (p0, p1)
