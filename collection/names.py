"""Normalised and phonetic forms of names, for match keys.

:func:`normalise_name` makes the same name typed on different systems compare
equal: Cyrillic and Greek letters are transliterated (a simplified ICAO Doc
9303 table), accents are stripped, letters such as ß, æ, ø, đ, ł are spelled
out, case is folded, apostrophes are dropped (O'Brien = OBrien), and every
other non-letter becomes one space.  Names in other scripts (Arabic, Chinese,
...) keep their letters: they match only when typed in the same script.
:func:`soundex` is the American Soundex code (Knuth, TAOCP vol. 3), robust to
spelling variants such as Mohammed / Muhammad.
"""

from __future__ import annotations

import re
import unicodedata

_CYRILLIC = dict(zip(
    "абвгґдеёєжзиіїйклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "g", "d", "e", "e", "ie", "zh", "z", "i", "i", "i", "i", "k", "l", "m",
     "n", "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "ie", "y", "", "e",
     "iu", "ia"], strict=True))
_GREEK = dict(zip(
    "αβγδεζηθικλμνξοπρσςτυφχψω",
    ["a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n", "x", "o", "p", "r", "s",
     "s", "t", "y", "f", "ch", "ps", "o"], strict=True))
_SPECIAL = {"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "ł": "l", "ı": "i",
            "œ": "oe", "ħ": "h"}
_TABLE = str.maketrans({**_CYRILLIC, **_GREEK, **_SPECIAL})
_APOSTROPHES = re.compile(r"['’‘`ʼ]")
_NON_LETTER = re.compile(r"[\W_\d]+")

_SOUNDEX = {**dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2"),
            **dict.fromkeys("dt", "3"), "l": "4", **dict.fromkeys("mn", "5"), "r": "6"}


def normalise_name(text: str) -> str:
    """Transliterated, accent-free, case-folded name with single spaces.

    >>> normalise_name("  José-María  NÚÑEZ ")
    'jose maria nunez'
    >>> normalise_name("Олена Коваленко")
    'olena kovalenko'
    """
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_TABLE)
    stripped = "".join(c for c in unicodedata.normalize("NFKD", folded)
                       if not unicodedata.combining(c))
    stripped = _APOSTROPHES.sub("", stripped)
    return " ".join(_NON_LETTER.sub(" ", stripped).split())


def sorted_tokens(text: str) -> str:
    """The tokens of a normalised name in alphabetical order (order of names ignored)."""
    return " ".join(sorted(text.split()))


def soundex(text: str) -> str:
    """American Soundex of a normalised name ('' if it has no Latin letters).

    Spaces are ignored (``de la cruz`` is coded as ``delacruz``).

    >>> soundex("robert"), soundex("rupert"), soundex("tymczak"), soundex("pfister")
    ('R163', 'R163', 'T522', 'P236')
    """
    letters = [c for c in text if "a" <= c <= "z"]
    if not letters:
        return ""
    first = letters[0]
    code = first.upper()
    last = _SOUNDEX.get(first, "")
    for c in letters[1:]:
        digit = _SOUNDEX.get(c, "")
        if digit and digit != last:
            code += digit
            if len(code) == 4:
                break
        if c not in "hw":  # h and w do not separate letters with the same code
            last = digit
    return code.ljust(4, "0")
