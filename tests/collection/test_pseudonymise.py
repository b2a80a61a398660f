"""Match keys: normalisation, Soundex, robustness of each key type, and the key itself."""

from __future__ import annotations

import os
import stat

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
