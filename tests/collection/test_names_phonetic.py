"""Phonetic codes of names (collection.names.phonetic): what they fold and what they keep apart."""

from __future__ import annotations

import pytest

from collection.names import normalise_name, phonetic, phonetic_codes, phonetic_name

#: Transliteration variants one person's name is recorded under (Arabic, Cyrillic,
#: Tigrinya, Albanian, Polish, Chinese, South-Asian names): each group one code.
FOLDED = [
    ("Mohammed", "Muhammad", "Mohamed", "Mohammad", "Muhammed"),
    ("Osman", "Othman", "Usman"),
    ("Yusuf", "Yousef", "Youssef", "Yusef"),
    ("Ahmed", "Ahmad", "Ahmet"),
    ("Hussein", "Husain", "Hussain"),
    ("Mustafa", "Mostafa", "Moustafa"),
    ("Abdullah", "Abdalla", "Abdulla"),
    ("Suleiman", "Sulaiman", "Suleyman"),
    ("Fatima", "Fatma", "Fatimah"),
    ("Aisha", "Ayesha", "Aysha"),
    ("Mariam", "Maryam", "Miriam"),
    ("Aleksandr", "Alexander", "Oleksandr", "Olexandr"),
    ("Serhiy", "Sergiy", "Sergei"),
    ("Olha", "Olga"),
    ("Dmytro", "Dmitro", "Dmitry"),
    ("Shevchenko", "Shevtchenko", "Шевченко"),
    ("Yohannes", "Yohanes", "Johannes"),
    ("Gebremedhin", "Ghebremedhin", "Gebremedin"),
    ("Hoxha", "Hoxhaj", "Hodja"),
    ("Xhesika", "Jessica"),
    ("Chaudhry", "Chaudhary", "Choudhury"),
    ("Zhang", "Chang"),
    ("Kowalczyk", "Kowalczik"),
    ("Nguyen", "Nguyễn", "Nguyin"),
]


@pytest.mark.parametrize("variants", FOLDED, ids=lambda v: v[0])
def test_transliteration_variants_share_a_code(variants) -> None:
    codes = {phonetic(normalise_name(v)) for v in variants}
    assert len(codes) == 1, codes


@pytest.mark.parametrize(("one", "other"), [
    ("Mohammed", "Ahmed"), ("Mohammed", "Mahmoud"), ("Osman", "Hassan"), ("Smith", "Jones"),
    ("Fatima", "Fatih"), ("Ali", "Ahmed"), ("Ibrahim", "Imran"), ("Olena", "Oksana"),
])
def test_different_names_keep_different_codes(one, other) -> None:
    assert phonetic(normalise_name(one)) != phonetic(normalise_name(other))


@pytest.mark.parametrize(("one", "other"), [
    ("Hassan", "Hussein"), ("Omar", "Amir"), ("Aleksandr", "Alexandra"), ("Yusuf", "Joseph"),
    ("Karim", "Karimi"), ("Olena", "Alina"),
])
def test_the_price_of_folding_different_names_can_share_a_code(one, other) -> None:
    """Known collisions of the skeleton: why phonetic keys are weak and never link alone
    (tests/pipeline/test_linkage.py checks the guards)."""
    assert phonetic(normalise_name(one)) == phonetic(normalise_name(other))


def test_codes_worked_by_hand() -> None:
    """The rules of the docstring applied by hand: vowels dropped but a leading one (A),
    th -> s, d -> t, h kept only before a vowel, repeats counted once."""
    assert phonetic("othman") == "Asmn"
    assert phonetic("mohammed") == "mhmt"
    assert phonetic("fatimah") == "ftm"
    assert phonetic("alexander") == "Alksntr"
    assert phonetic("") == ""


def test_other_scripts_are_left_as_they_are() -> None:
    """Arabic script is not transliterated: it matches only itself."""
    assert phonetic("محمد") == "محمد"
    assert phonetic_name("محمد علي") == "علي محمد"


def test_phonetic_name_ignores_the_order_of_names() -> None:
    assert phonetic_name("muhammad osman") == phonetic_name("othman mohammed") == "Asmn mhmt"
    assert phonetic_name("") == ""


def test_phonetic_codes_are_the_tokens_codes_in_order_without_empty_ones() -> None:
    """The cached per-token codes match phonetic() token by token, on a first and a later call."""
    tokens = normalise_name("Muhammad Othman Шевченко محمد Xhesika").split() + [""]
    expected = [phonetic(t) for t in tokens if phonetic(t)]
    assert expected == ["mhmt", "Asmn", "svcnk", "محمد", "jsk"]
    assert phonetic_codes(tokens) == expected
    assert phonetic_codes(tokens) == expected  # now from the cache
    assert phonetic_name(" ".join(tokens)) == " ".join(sorted(expected))
