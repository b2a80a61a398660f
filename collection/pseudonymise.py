"""Match keys: identity fields turned into keyed hashes, and identity fields dropped.

Following the ONS "derive and conquer" approach to linking pseudonymised
records, each record gets several keys, each an HMAC-SHA256 (under the
installation's secret key, :mod:`collection.keys`) of a normalised, partly
coarsened form of its identity.  Two records share a key when they agree on
that form; linkage (``collection.linkage``) decides what a shared key means.
Names are normalised by :func:`collection.names.normalise_name` (script,
accents, case, punctuation and spacing do not matter).

==================  =========================================  ====================================
key type            built from                                 robust to
==================  =========================================  ====================================
name_dob            given + family name, date of birth          case, accents, Cyrillic/Greek
                                                               script, punctuation, spacing
sorted_name_dob     all name tokens sorted, date of birth       given/family swapped, names split
                                                               differently between the columns
soundex_dob         Soundex(family), given initial, DOB         spelling variants of the family name
name_dob_daymonth   sorted name tokens, year of birth, day      day and month of birth swapped
                    and month in numeric order                  (03/04 vs 04/03)
name_yob            sorted name tokens, year of birth (or       a missing or wrong day/month; a
                    first-encounter year minus estimated age)   date of birth missing on one side
initials_yob_sex    given and family initials, year of birth,   almost any spelling difference;
                    sex                                         coarse: a blocking key, many
                                                               chance collisions
phonetic_name_dob   phonetic codes of the name tokens, sorted,  transliteration variants (Osman /
                    date of birth                               Othman, Mohammed / Muhammad,
                                                               Aleksandr / Alexander)
phonetic_name_yob_  phonetic codes, sorted, year of birth (or   transliteration variants when a
sex                 estimated), sex                             date of birth is missing
name_sex_yob_       sorted name tokens, sex, year of birth;     an estimated age a year or two off
window              with only an estimated age, one key for     (a date of birth on one side, an
                    each year within YOB_WINDOW (2) of it       estimated age on the other)
==================  =========================================  ====================================

Phonetic codes (:func:`collection.names.phonetic`) fold transliterations into
a consonant skeleton, so different names can share one (Hassan / Hussein):
the phonetic keys are weak and never link alone.  The window key is the one
weak key that may link alone, because it needs the exact name and sex and at
most one side has a date of birth (the rules are in :mod:`collection.linkage`).

A key is made only when all its parts are known.  The key type is part of the
hashed message, so equal strings of two key types never share a hash.

Keys are built one key type at a time and each distinct key is hashed once.
No key string is made per row: each part of a key (name pair, date of birth,
year of birth, sex) is an integer code per row (:mod:`collection.key_parts`),
the distinct combinations of codes are found with numpy, and only those are
written out (by Arrow) and hashed (:mod:`collection.hashing`).  At a million
rows the HMACs themselves are most of the cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from collection.hashing import hex_digests
from collection.key_parts import Parts, combine, join, key_components
from collection.schema import IDENTITY_FIELDS

KEY_TYPES = ("name_dob", "sorted_name_dob", "soundex_dob", "name_dob_daymonth", "name_yob",
             "initials_yob_sex", "phonetic_name_dob", "phonetic_name_yob_sex",
             "name_sex_yob_window")
#: Columns of :func:`match_keys`.
KEY_COLUMNS = ("row", "record_ref", "key_type", "key_hash")
#: Between the key type and the key in the hashed message.
SEPARATOR = "\x1f"


def key_strings(clean: pd.DataFrame) -> dict[str, pd.Series]:
    """The (unhashed) key strings per key type, null where a part is missing.

    For inspection and tests: :func:`match_keys` never writes them per row.
    A key type that gives a record several keys (``name_sex_yob_window``)
    has one entry per key, its index the record's.

    Parameters
    ----------
    clean
        :func:`validation.clean_records` rows.
    """
    out = {}
    for key_type, variants in key_components(Parts(clean)).items():
        series = [pd.Series(join(components, [c.codes for c in components]),
                            index=clean.index, dtype="str") for components in variants]
        if len(series) > 1:  # several keys per record: unknown ones dropped, index repeats
            series = [s.dropna() for s in series]
        out[key_type] = pd.concat(series) if len(series) > 1 else series[0]
    return out


def match_keys(clean: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """Keyed-hash match keys of clean records.

    Parameters
    ----------
    clean
        :func:`validation.clean_records` rows (``row``, ``record_ref``,
        identity fields, ``first_encountered``, ``estimated_age``, ``sex``).
    key
        The installation's secret key (:func:`collection.keys.load_key`).

    Returns
    -------
    pandas.DataFrame
        One row per key that could be made (one per record and key type,
        several for ``name_sex_yob_window``), by key type then record:
        ``row``, ``record_ref``, ``key_type`` (categorical, categories
        :data:`KEY_TYPES`), ``key_hash`` (64 hex digits of HMAC-SHA256 of the
        key type, ``\\x1f`` and the key string).
    """
    if len(key) < 16:
        raise ValueError("the pseudonymisation key must be at least 16 bytes")
    record_refs = pa.array(clean["record_ref"].astype("str"))
    rows, refs, types, hashes = [], [], [], []
    variants = [(number, key_type, components)
                for number, (key_type, each) in enumerate(key_components(Parts(clean)).items())
                for components in each]
    for number, key_type, components in variants:
        at = np.flatnonzero(np.logical_and.reduce([c.codes >= 0 for c in components]))
        if len(at) == 0:
            continue
        group, codes = combine([c.at(at) for c in components])
        messages = join(components, codes, prefix=key_type + SEPARATOR)
        hashes.append(hex_digests(key, messages).take(pa.array(group)))
        del messages
        rows.append(clean["row"].to_numpy()[at])
        refs.extend(_chunks(record_refs.take(pa.array(at))))
        types.append(np.full(len(at), number, dtype="int8"))
    if not rows:
        return pd.DataFrame({"row": pd.Series(dtype="int64"),
                             "record_ref": pd.Series(dtype="str"),
                             "key_type": pd.Categorical([], categories=pd.Index(KEY_TYPES,
                                                                                dtype="str")),
                             "key_hash": pd.Series(dtype="str")})
    return pd.DataFrame({
        "row": np.concatenate(rows),
        "record_ref": pd.Series(pa.chunked_array(refs, type=pa.large_string()), dtype="str"),
        "key_type": pd.Categorical.from_codes(np.concatenate(types),
                                              categories=pd.Index(KEY_TYPES, dtype="str")),
        "key_hash": pd.Series(pa.chunked_array(hashes), dtype="str"),
    })


def _chunks(arr: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return list(arr.chunks) if isinstance(arr, pa.ChunkedArray) else [arr]


def strip_identity(clean: pd.DataFrame) -> pd.DataFrame:
    """The clean records without identity fields (names, date of birth).

    This is what the warehouse keeps.
    """
    return clean.drop(columns=[c for c in IDENTITY_FIELDS if c in clean.columns])
