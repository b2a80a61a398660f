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
from functools import lru_cache

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


# Phonetic key: a consonant skeleton that folds the ways one name is transliterated
# from Arabic, Cyrillic, Tigrinya, Albanian, Polish, Chinese and South-Asian
# scripts into Latin letters (see :func:`phonetic`).  Multi-letter spellings first,
# longest first: they stand for one sound.
_PHONETIC_GRAPHS = (
    ("shch", "s"), ("dzh", "j"), ("tch", "c"), ("sch", "s"),
    ("sh", "s"), ("ch", "c"), ("cz", "c"), ("zh", "c"), ("xh", "j"), ("dj", "j"),
    ("kh", "h"), ("gh", "g"), ("dh", "t"), ("th", "s"), ("ph", "f"), ("ck", "k"),
)
_PHONETIC_LETTERS = {"x": "ks", "q": "k", "c": "k", "w": "v", "z": "s", "d": "t"}
_VOWELS = frozenset("aeiouy")


def phonetic(token: str) -> str:
    """Consonant skeleton of one normalised name token, folding transliteration variants.

    Built for names transliterated into Latin letters, where vowels and a few
    consonant spellings vary between agencies while the consonants stay:

    * every vowel is dropped, except that a token starting with a vowel starts
      with ``A`` (Osman / Usman / Othman, Idris / Edris, Elena / Olena);
    * ``y`` is a vowel except before a vowel at the start, where it is ``j``
      like ``j`` itself (Yohannes / Johannes, Yusuf / Yousef);
    * one sound, several spellings: ``sh sch shch`` -> ``s``; ``ch tch cz zh``
      -> ``c`` (Shevchenko / Shevtchenko, Zhang / Chang, Zhou / Chou); ``xh dj
      dzh j`` -> ``j`` (Hoxha / Hodja, Xhesika / Jessica); ``th`` -> ``s``
      (Arabic tha: Othman / Osman); ``kh`` -> ``h``, ``gh`` -> ``g``, ``dh`` ->
      ``t``, ``ph`` -> ``f``; ``x`` -> ``ks`` (Alexander / Aleksandr);
      ``c q`` -> ``k``, ``w`` -> ``v``, ``z`` -> ``s``, ``d`` -> ``t``
      (Ahmed / Ahmet);
    * ``h`` is kept only before a vowel (Mohammed keeps it; Fatimah / Fatima,
      Ahmed / Ahmad drop it; Chaudhry / Chaudhary / Choudhury), and is ``g``
      after an inner ``r`` or ``l`` (Ukrainian h for Russian g: Serhiy /
      Sergei, Olha / Olga);
    * a final ``j`` after a vowel is dropped (Albanian -aj: Hoxhaj / Hoxha);
    * repeated consonants, even across a dropped vowel, count once
      (Mohammed / Muhammad / Mohamed -> ``mhmt``, Hussein / Husain).

    Not folded: anything in a non-Latin script (returned as is, so it still matches
    itself).  The price of folding is that different names can share a
    skeleton (Hassan / Hussein, both ``hsn``): linkage never takes a phonetic
    key alone as proof (:mod:`collection.linkage`).

    >>> [phonetic(n) for n in ("mohammed", "muhammad", "osman", "othman", "usman")]
    ['mhmt', 'mhmt', 'Asmn', 'Asmn', 'Asmn']
    >>> phonetic("aleksandr") == phonetic("alexander") == phonetic("oleksandr")
    True
    """
    if not token or any(not ("a" <= c <= "z") for c in token):
        return token
    units: list[str] = []
    i = 0
    while i < len(token):
        for graph, code in _PHONETIC_GRAPHS:
            if token.startswith(graph, i):
                units.append(code)
                i += len(graph)
                break
        else:
            units.append(_PHONETIC_LETTERS.get(token[i], token[i]))
            i += 1
    units = list("".join(units))  # "x" became two letters
    out: list[str] = []
    for k, unit in enumerate(units):
        after = units[k + 1] if k + 1 < len(units) else ""
        if unit == "y" and k == 0 and after in _VOWELS:
            unit = "j"
        if unit in _VOWELS:
            if k == 0:
                out.append("A")
            continue
        if unit == "h" and after not in _VOWELS:
            continue
        if unit == "h" and k >= 2 and units[k - 1] in "rl":
            unit = "g"  # Ukrainian h for Russian g: Serhiy / Sergei, Olha / Olga
        if unit == "j" and not after and units[k - 1] in _VOWELS:
            continue  # Albanian -aj endings: Hoxhaj / Hoxha, Xhafaj / Xhafa
        if not out or out[-1] != unit:
            out.append(unit)
    return "".join(out)


def phonetic_name(text: str) -> str:
    """The phonetic codes of a normalised name's tokens, sorted (order of names ignored).

    >>> phonetic_name("muhammad osman") == phonetic_name("othman mohammed")
    True
    """
    return " ".join(sorted(phonetic_codes(text.split())))


#: Distinct tokens whose phonetic code is kept: a batch of returns reuses most
#: family names (the 50-return benchmark has about 80,000 distinct tokens).
PHONETIC_CACHE = 1 << 17
_cached_phonetic = lru_cache(maxsize=PHONETIC_CACHE)(phonetic)


def phonetic_codes(tokens: list[str]) -> list[str]:
    """The non-empty phonetic codes of ``tokens``, in order, each token coded once per process.

    :func:`phonetic` costs 30-40 microseconds a token and a return's names
    share most of their tokens, so codes are cached (an LRU of
    :data:`PHONETIC_CACHE` tokens).

    >>> phonetic_codes(["othman", "mohammed"])
    ['Asmn', 'mhmt']
    """
    return [code for code in map(_cached_phonetic, tokens) if code]
