"""Match keys: normalisation, Soundex, robustness of each key type, and the key itself."""

from __future__ import annotations

import os
import stat

import numpy as np
import pandas as pd
import pytest

from collection.errors import KeyMissingError
from collection.keys import DEMO_KEY, init_key, load_key
from collection.names import normalise_name, soundex
from collection.pseudonymise import KEY_TYPES, match_keys, strip_identity
from collection.schema import IDENTITY_FIELDS
from darkfigure.cli import main
from darkfigure.settings import Settings

KEY = bytes(range(32))


def records(*people: dict) -> pd.DataFrame:
    base = {"record_ref": "R", "first_encountered": pd.Timestamp("2025-08-14"),
            "given_name": None, "family_name": None, "date_of_birth": pd.NaT,
            "estimated_age": pd.NA, "sex": "female"}
    rows = [{**base, "row": i + 2, "record_ref": f"R{i + 1}", **p} for i, p in enumerate(people)]
    frame = pd.DataFrame(rows)
    frame["date_of_birth"] = pd.to_datetime(frame["date_of_birth"])
    frame["estimated_age"] = frame["estimated_age"].astype("Int64")
    return frame


def shared(keys: pd.DataFrame) -> set[str]:
    """Key types on which records R1 and R2 agree (on any of their keys of that type)."""
    def held(ref: str) -> set[tuple[str, str]]:
        mine = keys[keys["record_ref"] == ref]
        return set(zip(mine["key_type"].astype(str), mine["key_hash"], strict=True))
    return {key_type for key_type, _ in held("R1") & held("R2")}


def test_soundex_reference_codes() -> None:
    """American Soundex examples of Knuth, TAOCP vol. 3 (2nd ed.), section 6.4."""
    for name, code in [("euler", "E460"), ("gauss", "G200"), ("hilbert", "H416"),
                       ("knuth", "K530"), ("lloyd", "L300"), ("lukasiewicz", "L222"),
                       ("ellery", "E460"), ("ghosh", "G200"), ("heilbronn", "H416"),
                       ("kant", "K530"), ("ladd", "L300"), ("lissajous", "L222"),
                       ("ashcraft", "A261"), ("tymczak", "T522"), ("pfister", "P236")]:
        assert soundex(name) == code, name
    assert soundex("") == ""


def test_normalise_name() -> None:
    assert normalise_name("  José-María  NÚÑEZ ") == "jose maria nunez"
    assert normalise_name("O'Brien") == normalise_name("OBRIEN") == "obrien"
    assert normalise_name("Олена Коваленко") == "olena kovalenko"
    assert normalise_name("Straße Łukasz") == "strasse lukasz"


PHONETIC = {"phonetic_name_dob", "phonetic_name_yob_sex"}


@pytest.mark.parametrize(("left", "right", "expected"), [
    ({"given_name": "José", "family_name": "Núñez", "date_of_birth": "1990-04-03"},
     {"given_name": "JOSE", "family_name": "nunez", "date_of_birth": "1990-04-03"},
     set(KEY_TYPES)),
    ({"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1990-04-03"},
     {"given_name": "Pop", "family_name": "Ana", "date_of_birth": "1990-04-03"},
     {"sorted_name_dob", "name_dob_daymonth", "name_yob", "name_sex_yob_window"} | PHONETIC),
    ({"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1990-04-03"},
     {"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1990-03-04"},
     {"name_dob_daymonth", "name_yob", "initials_yob_sex", "phonetic_name_yob_sex",
      "name_sex_yob_window"}),
    ({"given_name": "Amir", "family_name": "Mohammed", "date_of_birth": "1990-04-03"},
     {"given_name": "Amir", "family_name": "Muhammad", "date_of_birth": "1990-04-03"},
     {"soundex_dob", "initials_yob_sex"} | PHONETIC),
    # Osman / Othman: Soundex O255 / O355 differ, the phonetic code does not
    ({"given_name": "Ali", "family_name": "Osman", "date_of_birth": "1990-04-03"},
     {"given_name": "Ali", "family_name": "Othman", "date_of_birth": "1990-04-03"},
     {"initials_yob_sex"} | PHONETIC),
    ({"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1990-04-03"},
     {"given_name": "Ana", "family_name": "Pop", "estimated_age": 35},
     {"name_yob", "initials_yob_sex", "phonetic_name_yob_sex", "name_sex_yob_window"}),
    # an estimated age one and two years off (2025 - 34 = 1991, 2025 - 33 = 1992): the
    # window key only; three years off: nothing
    ({"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1990-04-03"},
     {"given_name": "Ana", "family_name": "Pop", "estimated_age": 34},
     {"name_sex_yob_window"}),
    ({"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1990-04-03"},
     {"given_name": "Ana", "family_name": "Pop", "estimated_age": 33},
     {"name_sex_yob_window"}),
    ({"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1990-04-03"},
     {"given_name": "Ana", "family_name": "Pop", "estimated_age": 32},
     set()),
    ({"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1990-04-03"},
     {"given_name": "Ana", "family_name": "Pop", "estimated_age": 34, "sex": "male"},
     set()),
    # two dates of birth a year apart: the window is only for estimated years
    ({"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1990-04-03"},
     {"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1991-04-03"},
     set()),
])
def test_key_types_are_robust_to_what_they_say(left, right, expected) -> None:
    keys = match_keys(records(left, right), KEY)
    assert shared(keys) == expected
    assert keys["key_hash"].str.fullmatch(r"[0-9a-f]{64}").all()


def test_keys_depend_on_the_secret_and_need_identity() -> None:
    people = records({"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1990-04-03"},
                     {"sex": "male"})
    one, two = match_keys(people, KEY), match_keys(people, b"another secret key!!")
    assert set(one["key_hash"]).isdisjoint(two["key_hash"])
    assert set(one["record_ref"]) == {"R1"}  # no identity, no key
    assert sorted(one["key_type"]) == sorted(KEY_TYPES)
    assert not set(IDENTITY_FIELDS) & set(strip_identity(people).columns)


def test_load_key(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("DARKFIGURE_KEY", raising=False)
    settings = Settings(home=tmp_path, key_file=tmp_path / "key")
    with pytest.raises(KeyMissingError, match="darkfigure key init"):
        load_key(settings)
    assert load_key(Settings(home=tmp_path, demo=True, key_file=tmp_path / "key")) == DEMO_KEY
    init_key(settings.key_file)
    assert stat.S_IMODE(os.stat(settings.key_file).st_mode) == 0o600
    assert len(load_key(settings)) == 32
    os.chmod(settings.key_file, 0o644)
    with pytest.raises(KeyMissingError, match="chmod 600"):
        load_key(settings)
    monkeypatch.setenv("DARKFIGURE_KEY", "ab" * 32)
    assert load_key(settings) == bytes.fromhex("ab" * 32)
    monkeypatch.setenv("DARKFIGURE_KEY", "short")
    with pytest.raises(KeyMissingError, match="too short"):
        load_key(settings)


def test_key_init_command(tmp_path, capsys) -> None:
    path = tmp_path / "conf" / "key"
    assert main(["key", "init", "--path", str(path)]) == 0
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    first = path.read_text()
    assert main(["key", "init", "--path", str(path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert path.read_text() == first


def test_hash_is_of_key_type_and_key_string() -> None:
    """key_hash = HMAC(key, key_type + 0x1F + key string), as documented."""
    import hashlib
    import hmac

    from collection.pseudonymise import SEPARATOR, key_strings

    people = records({"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1990-04-03"},
                     {"given_name": "Олена", "family_name": None, "estimated_age": 30},
                     {"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1990-04-03",
                      "sex": "unknown"})
    keys = match_keys(people, KEY)
    strings = key_strings(people)
    assert strings["name_dob"].tolist()[0] == "ana|pop|1990-04-03"
    assert strings["name_yob"].tolist()[1] == "olena|1995"
    assert strings["initials_yob_sex"].isna().tolist() == [False, True, True]
    # the estimated-age record has a window key for each of 1993..1997
    assert sorted(strings["name_sex_yob_window"].loc[1]) == [
        f"olena|female|{y}" for y in range(1993, 1998)]
    expected = []
    for key_type, column in strings.items():
        for i, text in column.items():
            if not pd.isna(text):
                message = f"{key_type}{SEPARATOR}{text}".encode()
                expected.append((i + 2, key_type, hmac.new(KEY, message, hashlib.sha256)
                                 .hexdigest()))
    got = list(zip(keys["row"], keys["key_type"].astype(str), keys["key_hash"], strict=True))
    assert got == expected


# Pinned keys: match keys feed linkage across returns already stored, so a faster
# build must give byte-identical hashes.  Expected values written by the code at
# commit dad4805 (before phonetic codes were cached per token), demo key.

def _pinned_frame() -> pd.DataFrame:
    """Names in several scripts, swapped, empty after normalising; dates missing or estimated."""
    return records(
        {"given_name": "José", "family_name": "Núñez", "date_of_birth": "1990-04-03"},
        {"given_name": "Mohammed Ali", "family_name": "O'Brien-Xhaka",
         "date_of_birth": "1985-12-31", "sex": "male"},
        {"given_name": "Олена", "family_name": None, "estimated_age": 30},
        {"given_name": None, "family_name": "Shevtchenko", "estimated_age": 41, "sex": "unknown"},
        {"given_name": "Yusuf", "family_name": "محمد", "date_of_birth": "2001-07-07",
         "sex": "male"},
        {"given_name": "---", "family_name": "Alexander", "estimated_age": 19},
        {"given_name": "Ana", "family_name": "Pop", "date_of_birth": "1990-03-04"},
        {"given_name": "Pop", "family_name": "Ana", "date_of_birth": "1990-04-03"},
        {"given_name": "Ahmed", "family_name": "Hoxhaj", "sex": "male"},
        {"sex": "male", "estimated_age": 25},
        {"given_name": "José", "family_name": "Núñez", "date_of_birth": "1990-04-03"},
        {"given_name": "Serhiy", "family_name": "Olha", "first_encountered": pd.NaT,
         "estimated_age": 30},
    )


def _pinned_big_frame(n: int = 3000) -> pd.DataFrame:
    """Random combinations of varied name tokens, missing parts, estimated ages (seeded)."""
    rng = np.random.default_rng(2026)
    tokens = ["mohammed", "Muhammad", "osman", "Othman", "yusuf", "Aleksandr", "xhesika", "ana",
              "Pop", "Łukasz", "Straße", "Олена", "Шевченко", "hoxhaj", "chaudhry", "Serhiy",
              "ivan", "de la cruz", "O'Neil", "Nguyen Thi", "Ahmed", "", None]
    given = rng.choice(np.array(tokens, dtype=object), n)
    family = np.char.add(rng.choice(["kowal", "nowak", "popesc", "hass", "rahm", "abd"], n),
                         rng.choice(["ski", "u", "an", "i", "", "x"], n)).astype(object)
    family[rng.random(n) < 0.05] = None
    born = pd.Series(np.datetime64("1960-01-01") + rng.integers(0, 365 * 40, n)
                     ).astype("datetime64[ns]")
    born[rng.random(n) < 0.3] = pd.NaT
    age = pd.array(np.where(rng.random(n) < 0.5, rng.integers(14, 70, n), -1), dtype="Int64")
    age[age < 0] = pd.NA
    seen = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    return pd.DataFrame({
        "row": np.arange(2, n + 2), "record_ref": [f"B{i}" for i in range(n)],
        "first_encountered": seen, "given_name": given, "family_name": family,
        "date_of_birth": born, "estimated_age": age,
        "sex": rng.choice(["female", "male", "unknown"], n)})


def _digest(keys: pd.DataFrame) -> str:
    """SHA-256 of every key row (row, record_ref, key_type, key_hash) in order."""
    import hashlib

    h = hashlib.sha256()
    for row, ref, key_type, key_hash in zip(keys["row"], keys["record_ref"],
                                            keys["key_type"].astype(str), keys["key_hash"],
                                            strict=True):
        h.update(f"{row}\t{ref}\t{key_type}\t{key_hash}\n".encode())
    return h.hexdigest()


PINNED = [
    (2, "name_dob", "fbce831ce31c72b9"),
    (3, "name_dob", "12bdb67ae56a09e8"),
    (6, "name_dob", "87b4909f21af7b42"),
    (8, "name_dob", "f8d6a5198c0da866"),
    (9, "name_dob", "d4b73155b5a5edc6"),
    (12, "name_dob", "fbce831ce31c72b9"),
    (2, "sorted_name_dob", "8b890053a4c7607b"),
    (3, "sorted_name_dob", "570a379e080ed78f"),
    (6, "sorted_name_dob", "d5b7e42cde73e623"),
    (8, "sorted_name_dob", "a7ef9f33bb4fd0d6"),
    (9, "sorted_name_dob", "e4b0abfded4c0d7f"),
    (12, "sorted_name_dob", "8b890053a4c7607b"),
    (2, "soundex_dob", "5ae827a1be6d295a"),
    (3, "soundex_dob", "495407cad8af54e8"),
    (8, "soundex_dob", "407cfd5ed9e64df0"),
    (9, "soundex_dob", "098b37b1ba6b4818"),
    (12, "soundex_dob", "5ae827a1be6d295a"),
    (2, "name_dob_daymonth", "b4e8c24ea2b9d087"),
    (3, "name_dob_daymonth", "c74ebcd70e3da8e5"),
    (6, "name_dob_daymonth", "e5971960d4d147f3"),
    (8, "name_dob_daymonth", "ef8594a56d3c5938"),
    (9, "name_dob_daymonth", "ef8594a56d3c5938"),
    (12, "name_dob_daymonth", "b4e8c24ea2b9d087"),
    (2, "name_yob", "da53ebfe2b4ff950"),
    (3, "name_yob", "c9350f0257dfed84"),
    (4, "name_yob", "eb2cdb9d000001b3"),
    (5, "name_yob", "70e26cfa597e1494"),
    (6, "name_yob", "c7b1b445bd7401f6"),
    (7, "name_yob", "bd616120ba4698cd"),
    (8, "name_yob", "b959baa876a1571e"),
    (9, "name_yob", "b959baa876a1571e"),
    (12, "name_yob", "da53ebfe2b4ff950"),
    (2, "initials_yob_sex", "6eaa19f03e6391a7"),
    (3, "initials_yob_sex", "7b86c9f14bad5a1a"),
    (6, "initials_yob_sex", "b8446065bed95457"),
    (8, "initials_yob_sex", "7e5e64eefbc0694e"),
    (9, "initials_yob_sex", "c64fb4d746474270"),
    (12, "initials_yob_sex", "6eaa19f03e6391a7"),
    (2, "phonetic_name_dob", "b0e1bbabbbdf12d5"),
    (3, "phonetic_name_dob", "46f54593be51e586"),
    (6, "phonetic_name_dob", "069fdadfd12ff52c"),
    (8, "phonetic_name_dob", "73dcf51bb385dd94"),
    (9, "phonetic_name_dob", "a1b54733d5425110"),
    (12, "phonetic_name_dob", "b0e1bbabbbdf12d5"),
    (2, "phonetic_name_yob_sex", "081fb9b3c0d5f5bd"),
    (3, "phonetic_name_yob_sex", "d06b7de28eabf21d"),
    (4, "phonetic_name_yob_sex", "7268b8925b5437b7"),
    (6, "phonetic_name_yob_sex", "325da13e0751e786"),
    (7, "phonetic_name_yob_sex", "d53d6f65811e7a45"),
    (8, "phonetic_name_yob_sex", "d65d36363467d8fa"),
    (9, "phonetic_name_yob_sex", "d65d36363467d8fa"),
    (12, "phonetic_name_yob_sex", "081fb9b3c0d5f5bd"),
    (4, "name_sex_yob_window", "bd4ad5bc5cdbf1ca"),
    (7, "name_sex_yob_window", "b4ba2347cad86606"),
    (4, "name_sex_yob_window", "ec8867f486836313"),
    (7, "name_sex_yob_window", "7dadf5fb51f1a614"),
    (2, "name_sex_yob_window", "9f497d45dd7ce46c"),
    (3, "name_sex_yob_window", "4e24c25ab50c73c7"),
    (4, "name_sex_yob_window", "6644956aaf686f7c"),
    (6, "name_sex_yob_window", "0c6c3f98cdeaa340"),
    (7, "name_sex_yob_window", "d86a8c2be2af03af"),
    (8, "name_sex_yob_window", "bf6425b564a1f21d"),
    (9, "name_sex_yob_window", "bf6425b564a1f21d"),
    (12, "name_sex_yob_window", "9f497d45dd7ce46c"),
    (4, "name_sex_yob_window", "57673e3c43c27ab8"),
    (7, "name_sex_yob_window", "6042d7b4f7c47bbb"),
    (4, "name_sex_yob_window", "84ac9ca57404fbae"),
    (7, "name_sex_yob_window", "0d2e4fbad5b8d966"),
]


def test_keys_are_byte_identical_to_pinned_values() -> None:
    """Hashes written by the code at dad4805 (demo key): a faster build changes no key."""
    keys = match_keys(_pinned_frame(), DEMO_KEY)
    got = [(int(r), t, h[:16]) for r, t, h in zip(keys["row"], keys["key_type"].astype(str),
                                                   keys["key_hash"], strict=True)]
    assert got == PINNED
    assert len(keys) == 68
    assert _digest(keys) == "463e8f7dd5797d995fd597731b2327dcb63ba393aaa1f09d296652cb4cb6ea74"
    big = match_keys(_pinned_big_frame(), DEMO_KEY)
    assert len(big) == 18811
    assert _digest(big) == "6c3f57df3cb578cdb9b1a8619d7f6e77be4f4f54911dcaa21a8f066fc44b3768"
