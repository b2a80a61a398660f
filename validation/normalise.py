"""Typed, canonical values of a return's cells (before the rules judge them).

Codes are matched without regard to case or surrounding space, and a few
common spellings are accepted (:data:`SYNONYMS`); exploitation types may be
separated by ``;`` (the template's separator), ``,`` or ``|``, and are stored
sorted in code-list order, joined by ``;``.  A force area may be given by its
ONS code, by the force's organisation code or by the area's name.  A value
that is not in its code list keeps its upper/lower-cased form so that the
expectation suite reports it.  Every mapping is computed once per distinct
value, so the cost grows with the number of distinct values, not of rows.
"""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from collection.reference import code_list, force_area_aliases
from collection.schema import EXPLOITATION_TYPES, FIELD_NAMES
from validation.dates import parse_dates

#: Accepted alternative spellings (lower case) per field.
SYNONYMS: dict[str, dict[str, str]] = {
    "sex": {"f": "female", "m": "male", "u": "unknown", "not known": "unknown",
            "woman": "female", "man": "male"},
    "age_group": {"not known": "unknown", "minor": "child"},
    "nrm_referred": {"y": "yes", "n": "no", "not known": "unknown"},
    "exploitation_types": {"domestic servitude": "domestic_servitude",
                           "organ harvesting": "organ_harvesting", "not known": "unknown",
                           "sexual exploitation": "sexual", "labour exploitation": "labour",
                           "criminal exploitation": "criminal"},
}
_SPLIT = re.compile(r"\s*[;,|]\s*")
_ORDER = {code: i for i, code in enumerate(EXPLOITATION_TYPES)}


def map_distinct(values: pd.Series, func) -> pd.Series:  # type: ignore[no-untyped-def]
    """Apply ``func`` to each distinct non-null value and map the result onto the rows.

    Arrow dictionary encoding finds the distinct values and ``take`` maps the
    results back, so only distinct values pass through Python.
    """
    encoded = pc.dictionary_encode(pa.array(values.astype("str")))
    results = [func(v) for v in encoded.dictionary.to_pylist()]
    mapped = pc.take(pa.array(results, type=pa.large_string()), encoded.indices)
    return pd.Series(mapped, dtype="str", index=values.index)


def distinct_mask(values: pd.Series, predicate) -> pd.Series:  # type: ignore[no-untyped-def]
    """``predicate`` of each distinct non-null value, mapped onto the rows (False where null)."""
    encoded = pc.dictionary_encode(pa.array(values.astype("str")))
    results = pa.array([bool(predicate(v)) for v in encoded.dictionary.to_pylist()],
                       type=pa.bool_())
    mapped = pc.fill_null(pc.take(results, encoded.indices), False)
    return pd.Series(mapped.to_numpy(zero_copy_only=False), index=values.index, dtype=bool)


def fold_name(text: str) -> str:
    """Case-folded name with single spaces (for spotting the same person twice)."""
    return " ".join(text.casefold().split())


def _code(field_name: str):  # type: ignore[no-untyped-def]
    synonyms = SYNONYMS.get(field_name, {})

    def canon(text: str) -> str:
        low = " ".join(text.lower().split())
        return synonyms.get(low, low)

    return canon


def canonical_exploitation(text: str) -> str:
    """``"Criminal; labour"`` -> ``"labour;criminal"`` (unknown tokens kept, lower case, last)."""
    synonyms = SYNONYMS["exploitation_types"]
    tokens = []
    for token in _SPLIT.split(text.strip()):
        low = " ".join(token.lower().split())
        if low:
            tokens.append(synonyms.get(low, low.replace(" ", "_")))
    unique = sorted(set(tokens), key=lambda t: (_ORDER.get(t, len(_ORDER)), t))
    return ";".join(unique)


def _force_area(text: str) -> str:
    key = " ".join(text.upper().split())
    return force_area_aliases().get(key, key)


def normalise(data: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Canonical and typed values of a :class:`collection.parse.RawReturn`'s data.

    Parameters
    ----------
    data
        ``RawReturn.data``: column ``row`` and one string column per field.

    Returns
    -------
    typed : pandas.DataFrame
        Same rows: ``row``, ``record_ref``, names (as read), dates as
        ``datetime64[s]`` (NaT when missing or not a date), ``estimated_age``
        as ``Int64`` (null when missing or not a whole number), and codes in
        canonical form (``str``, null when missing).
    dates : dict
        For each date field, the :func:`validation.dates.parse_dates` frame.
    """
    typed = pd.DataFrame({"row": data["row"].to_numpy()}, index=data.index)
    dates: dict[str, pd.DataFrame] = {}
    for name in FIELD_NAMES:
        col = data[name]
        if name in ("first_encountered", "date_of_birth"):
            dates[name] = parse_dates(col)
            typed[name] = dates[name]["date"]
        elif name == "estimated_age":
            digits = col.where(col.str.fullmatch(r"\d{1,3}(?:\.0+)?").fillna(False).astype(bool))
            typed[name] = pd.to_numeric(digits, errors="coerce").astype("Int64")
        elif name in ("sex", "age_group", "nrm_referred"):
            typed[name] = map_distinct(col, _code(name))
        elif name == "exploitation_types":
            typed[name] = map_distinct(col, canonical_exploitation)
        elif name == "nationality":
            typed[name] = map_distinct(col, lambda v: v.upper())
        elif name == "force_area":
            typed[name] = map_distinct(col, _force_area)
        else:
            typed[name] = col
    return typed, dates


def known_codes(field_name: str) -> tuple[str, ...]:
    """Canonical codes a coded field accepts (force areas and nationalities from data/reference)."""
    lists = {"sex": "sex", "age_group": "age_group", "nrm_referred": "nrm",
             "exploitation_types": "exploitation_type", "nationality": "nationality",
             "force_area": "force_area"}
    return code_list(lists[field_name])
