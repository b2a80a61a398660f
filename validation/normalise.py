"""Typed, canonical values of a return's cells (before the rules judge them).

Codes are matched without regard to case or surrounding space, and a few
common spellings are accepted (:data:`SYNONYMS`); exploitation types may be
separated by ``;`` (the template's separator), ``,`` or ``|``, and are stored
sorted in code-list order, joined by ``;``.  A force area may be given by its
ONS code, by the force's organisation code or by the area's name.  A value
that is not in its code list keeps its upper/lower-cased form so that the
expectation suite reports it.  Coded fields become categorical columns.  Every
mapping is computed once per distinct value (:mod:`validation.distinct`), so
the cost grows with the number of distinct values, not of rows.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from collection.reference import code_list, force_area_aliases
from collection.schema import EXPLOITATION_TYPES, FIELD_NAMES
from validation.dates import parse_dates
from validation.distinct import categorical, encode, spread

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


_AGE = re.compile(r"\d{1,3}(?:\.0+)?")


def _age(text: str) -> float:
    """Whole years written as digits (``31``, ``31.0``), else NaN."""
    return float(text.split(".")[0]) if _AGE.fullmatch(text) else np.nan


def estimated_ages(values: pd.Series) -> pd.Series:
    """Ages in whole years as ``Int64`` (null when missing or not a whole number)."""
    codes, uniques = encode(values)
    years = spread(codes, np.array([_age(v) for v in uniques], dtype="float64"), np.nan)
    return pd.Series(pd.array(years, dtype="Float64").astype("Int64"), index=values.index)


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
        canonical form (categorical, null when missing).
    dates : dict
        For each date field, the :func:`validation.dates.parse_dates` frame.
    """
    columns: dict[str, object] = {"row": data["row"]}
    dates: dict[str, pd.DataFrame] = {}
    for name in FIELD_NAMES:
        col = data[name]
        if name in ("first_encountered", "date_of_birth"):
            dates[name] = parse_dates(col)
            columns[name] = dates[name]["date"]
        elif name == "estimated_age":
            columns[name] = estimated_ages(col)
        elif name in ("sex", "age_group", "nrm_referred"):
            columns[name] = categorical(col, _code(name))
        elif name == "exploitation_types":
            columns[name] = categorical(col, canonical_exploitation)
        elif name == "nationality":
            columns[name] = categorical(col, str.upper)
        elif name == "force_area":
            columns[name] = categorical(col, _force_area)
        else:
            columns[name] = col
    return pd.DataFrame(columns, index=data.index), dates


def known_codes(field_name: str) -> tuple[str, ...]:
    """Canonical codes a coded field accepts (force areas and nationalities from data/reference)."""
    lists = {"sex": "sex", "age_group": "age_group", "nrm_referred": "nrm",
             "exploitation_types": "exploitation_type", "nationality": "nationality",
             "force_area": "force_area"}
    return code_list(lists[field_name])
