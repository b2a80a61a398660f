"""The parts match keys are made of, as integer codes per row and text per code.

A match key (:mod:`collection.pseudonymise`) joins a few parts with ``|``:
normalised names, their sorted tokens, a Soundex code, a date or year of
birth, sex.  Each part is held as a :class:`Component`: for every row the code
of its value (-1 where unknown) and, for every code, the text.  Names are
normalised, split and Soundex-coded once per distinct given or family name,
phonetic codes made once per distinct token (cached across returns: at 30-40
microseconds a token they were most of the cost when made per pair), and a
pair's sorted tokens and codes joined once per distinct pair; dates are
written once per distinct date.  A key of a million rows is then a
combination of integer arrays, and its text is only ever written for distinct
combinations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from collection.names import normalise_name, phonetic_codes, soundex

#: Years either side of an estimated year of birth that the window key covers.
YOB_WINDOW = 2


@dataclass(frozen=True)
class Component:
    """One part of a key: ``codes`` per row (-1: unknown), ``texts[code]`` its text.

    ``source`` names what the codes number (``pair`` for all name parts,
    ``dob`` for all date-of-birth parts, ...): components of one source agree
    wherever both are known.
    """

    source: str
    codes: np.ndarray
    texts: pa.Array

    def at(self, rows: np.ndarray) -> Component:
        """The component restricted to ``rows``."""
        return Component(self.source, self.codes[rows], self.texts)


def value_codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Per row the index of its value among the distinct non-null values (-1: missing)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return (values.cat.codes.to_numpy().astype("int64"),
                [str(c) for c in values.cat.categories])
    if values.dtype != "str":
        values = values.astype("str")
    arr = pa.array(values)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks else pa.array([], pa.large_string())
    encoded = pc.dictionary_encode(arr)
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype("int64")
    return codes, encoded.dictionary.to_pylist()


def recode(codes: np.ndarray, values: list[str | None]) -> tuple[np.ndarray, list[str]]:
    """Codes of ``values[code]``: equal values share a code, None becomes -1."""
    position: dict[str, int] = {}
    per_value = np.array([-1 if v is None else position.setdefault(v, len(position))
                          for v in values] + [-1], dtype="int64")
    return per_value[np.where(codes < 0, len(values), codes)], list(position)


def combine(components: list[Component]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Number the distinct combinations of the components' codes (all known).

    Returns
    -------
    group : numpy.ndarray
        For each row, its combination (0, 1, ... in order of first appearance).
    codes : list of numpy.ndarray
        For each component, its code in each combination.
    """
    first = {c.source: c for c in reversed(components)}  # one component per source
    sources = list(dict.fromkeys(c.source for c in components))
    sizes = [max(len(first[s].texts), 1) for s in sources]
    mixed = np.zeros(len(components[0].codes), dtype="int64")
    for source, size in zip(sources, sizes, strict=True):
        # Codes are below their size (a few hundred thousand names times a few
        # thousand dates at most): the product fits in 64 bits.
        mixed = mixed * size + first[source].codes.astype("int64")
    group, uniques = pd.factorize(mixed)
    decoded = {}
    for source, size in zip(reversed(sources), reversed(sizes), strict=True):
        uniques, decoded[source] = np.divmod(uniques, size)
    return group, [decoded[c.source] for c in components]


class _NameParts:
    """The parts of one normalised given or family name (None: unknown).

    ``tokens`` and ``phonetic`` are lists so that a pair's are their
    concatenation: sorted and joined, they equal
    :func:`~collection.names.sorted_tokens` and
    :func:`~collection.names.phonetic_name` of the pair's full name.
    """

    __slots__ = ("initial", "phonetic", "soundex", "text", "tokens")

    def __init__(self, text: str | None) -> None:
        self.text = text
        self.tokens = text.split() if text else []
        self.initial = text[0] if text else None
        self.soundex = (soundex(text) or None) if text else None
        self.phonetic = phonetic_codes(self.tokens)


class Parts:
    """The parts of the keys of a set of clean records.

    Attributes
    ----------
    given, family, tokens, soundex, given_initial, initials, phonetic
        Name parts: normalised given and family name, all name tokens sorted,
        Soundex of the family name, first letter of the given name,
        given and family initials, and the sorted phonetic codes of the
        tokens (:func:`collection.names.phonetic_name`).
    dob, birth_year, daymonth
        Date of birth (``YYYY-MM-DD``), its year, and its day and month in
        numeric order (``03|04`` for 3 April or 4 March).
    yob
        Year of birth, else the first-encounter year minus the estimated age.
    yob_near
        ``yob_near[k]`` for ``k`` in ``-YOB_WINDOW..YOB_WINDOW``: the year of
        birth itself (``k = 0``) or, for a year derived from an estimated age
        only, that year plus ``k``: an estimated age is often a year or two
        off, a date of birth is not.
    sex
        Sex, unknown where ``unknown``.
    """

    def __init__(self, clean: pd.DataFrame) -> None:
        given, given_text = recode(*self._normalised(clean["given_name"]))
        family, family_text = recode(*self._normalised(clean["family_name"]))
        named = (given >= 0) | (family >= 0)
        self._pair = np.full(len(named), -1, dtype="int64")
        radix = len(family_text) + 1  # family codes from -1: shifted by one
        self._pair[named], pairs = pd.factorize(given[named] * radix + family[named] + 1)
        pair_given, pair_family = np.divmod(pairs, radix)
        # Name parts are written once per distinct pair from parts made once per
        # distinct given or family name, and phonetic codes once per distinct token
        # (cached across returns): a return's name pairs are mostly distinct, its
        # tokens are not.
        given_parts = [_NameParts(g) for g in given_text]
        family_parts = [_NameParts(f) for f in family_text]
        nobody = _NameParts(None)
        names = [(given_parts[g] if g >= 0 else nobody, family_parts[f - 1] if f > 0 else nobody)
                 for g, f in zip(pair_given.tolist(), pair_family.tolist(), strict=True)]
        self.given = self._by_pair([g.text for g, _ in names])
        self.family = self._by_pair([f.text for _, f in names])
        self.tokens = self._by_pair([" ".join(sorted(g.tokens + f.tokens)) or None
                                     for g, f in names])
        self.soundex = self._by_pair([f.soundex for _, f in names])
        self.given_initial = self._by_pair([g.initial for g, _ in names])
        self.initials = self._by_pair([g.initial + f.initial if g.initial and f.initial else None
                                       for g, f in names])
        self.phonetic = self._by_pair([" ".join(sorted(g.phonetic + f.phonetic)) or None
                                       for g, f in names])

        born = pd.to_datetime(clean["date_of_birth"]).to_numpy().astype("datetime64[D]")
        known = ~np.isnat(born)
        days, dob = np.unique(born[known].astype("int64"), return_inverse=True)
        codes = np.full(len(known), -1, dtype="int32")  # int32: ten such arrays per return
        codes[known] = dob
        dates = pd.to_datetime(days, unit="D")
        ymd = list(zip(dates.year.tolist(), dates.month.tolist(), dates.day.tolist(),
                       strict=True))
        self.dob = Component("dob", codes,
                             _texts([f"{y:04d}-{m:02d}-{d:02d}" for y, m, d in ymd]))
        self.birth_year = Component("dob", codes, _texts([f"{y:04d}" for y, _, _ in ymd]))
        self.daymonth = Component("dob", codes, _texts([f"{min(m, d):02d}|{max(m, d):02d}"
                                                 for _, m, d in ymd]))
        seen = pd.to_datetime(clean["first_encountered"]).dt.year.to_numpy(
            dtype="float64", na_value=np.nan)
        age = pd.to_numeric(clean["estimated_age"]).to_numpy(dtype="float64", na_value=np.nan)
        year = np.where(known, born.astype("datetime64[Y]").astype("int64") + 1970, seen - age)
        year_codes, years = pd.factorize(np.nan_to_num(year, nan=-1e9).astype("int64"))
        texts = [None if y == -1_000_000_000 else f"{y:04d}" for y in years.tolist()]
        self.yob = Component("yob", *self._dropped(year_codes, texts))
        self.yob_near = {0: self.yob}
        estimated = ~known & ~np.isnan(year)
        for k in (k for k in range(-YOB_WINDOW, YOB_WINDOW + 1) if k):
            near_codes, near_years = pd.factorize(np.where(estimated, year + k, -1e9)
                                                  .astype("int64"))
            near_texts = [None if y == -1_000_000_000 else f"{y:04d}"
                          for y in near_years.tolist()]
            self.yob_near[k] = Component(f"yob{k:+d}", *self._dropped(near_codes, near_texts))
        sex, sex_text = value_codes(clean["sex"])
        self.sex = Component("sex", *self._dropped(sex, [None if v == "unknown" else v
                                                  for v in sex_text]))

    @staticmethod
    def _normalised(names: pd.Series) -> tuple[np.ndarray, list[str | None]]:
        codes, uniques = value_codes(names)
        return codes, [normalise_name(v) or None for v in uniques]

    @staticmethod
    def _dropped(codes: np.ndarray, texts: list[str | None]) -> tuple[np.ndarray, pa.Array]:
        """Codes with -1 where the text is None."""
        unknown = np.array([t is None for t in texts] + [True], dtype=bool)
        known = np.where(unknown[np.where(codes < 0, len(texts), codes)], -1, codes)
        return known.astype("int32"), _texts(texts)

    def _by_pair(self, texts: list[str | None]) -> Component:
        """A name part, known where the row's name pair has it."""
        return Component("pair", *self._dropped(self._pair, texts))


def _texts(values: list[str | None]) -> pa.Array:
    return pa.array(values, type=pa.large_string())


def key_components(parts: Parts) -> dict[str, list[list[Component]]]:
    """The components of each key type, in the order they are joined with ``|``.

    A key type has one list of components per key it can give a record: one
    for most, ``2 * YOB_WINDOW + 1`` for ``name_sex_yob_window`` (a record
    whose year of birth is estimated gets a key for each year near it).
    """
    p = parts
    return {
        "name_dob": [[p.given, p.family, p.dob]],
        "sorted_name_dob": [[p.tokens, p.dob]],
        "soundex_dob": [[p.soundex, p.given_initial, p.dob]],
        "name_dob_daymonth": [[p.tokens, p.birth_year, p.daymonth]],
        "name_yob": [[p.tokens, p.yob]],
        "initials_yob_sex": [[p.initials, p.yob, p.sex]],
        "phonetic_name_dob": [[p.phonetic, p.dob]],
        "phonetic_name_yob_sex": [[p.phonetic, p.yob, p.sex]],
        "name_sex_yob_window": [[p.tokens, p.sex, near] for _, near in sorted(p.yob_near.items())],
    }


def join(components: list[Component], codes: list[np.ndarray], prefix: str = "") -> pa.Array:
    """The text of the keys with these component ``codes`` (null where one is -1).

    ``prefix`` is put before each key (without a separator).
    """
    texts = [c.texts for c in components]
    if prefix:  # on the first component's texts: one text per code, not per key
        texts[0] = pc.binary_join_element_wise(pa.scalar(prefix, texts[0].type), texts[0],
                                               pa.scalar("", texts[0].type))
    columns = [t.take(pa.array(k, mask=k < 0)) for t, k in zip(texts, codes, strict=True)]
    return pc.binary_join_element_wise(*columns, pa.scalar("|", pa.large_string()))
