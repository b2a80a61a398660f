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
==================  =========================================  ====================================

A key is made only when all its parts are known.  The key type is part of the
hashed message, so equal strings of two key types never share a hash.  Each
distinct value is hashed once.
"""

from __future__ import annotations

from collections.abc import Callable
from hashlib import sha256

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from collection.names import normalise_name, sorted_tokens, soundex
from collection.schema import IDENTITY_FIELDS

KEY_TYPES = ("name_dob", "sorted_name_dob", "soundex_dob", "name_dob_daymonth", "name_yob",
             "initials_yob_sex")
#: Columns of :func:`match_keys`.
KEY_COLUMNS = ("row", "record_ref", "key_type", "key_hash")


def _per_distinct(values: pd.Series, func: Callable[[str], str | None]) -> pd.Series:
    """``func`` applied once per distinct non-null value ('' results become null).

    Distinct values are found by Arrow dictionary encoding and the results are
    put back with an Arrow ``take``, so only the distinct values pass through Python.
    """
    encoded = pc.dictionary_encode(pa.array(values.astype("str")))
    results = [func(v) or None for v in encoded.dictionary.to_pylist()]
    mapped = pc.take(pa.array(results, type=pa.large_string()), encoded.indices)
    return pd.Series(mapped, dtype="str", index=values.index)


def _digits(values: pd.Series, width: int) -> pd.Series:
    """Integers (nullable) as zero-padded strings."""
    ints = values.astype("Int64")
    return ints.astype("str").str.zfill(width).where(ints.notna())


def key_strings(clean: pd.DataFrame) -> dict[str, pd.Series]:
    """The (unhashed) key strings per key type, null where a part is missing.

    Parameters
    ----------
    clean
        :func:`validation.clean_records` rows.
    """
    given = _per_distinct(clean["given_name"], normalise_name)
    family = _per_distinct(clean["family_name"], normalise_name)
    full = (given.fillna("") + " " + family.fillna("")).str.strip()
    full = full.where(given.notna() | family.notna())
    tokens = _per_distinct(full, sorted_tokens)
    born = pd.to_datetime(clean["date_of_birth"])
    year, month, day = _digits(born.dt.year, 4), _digits(born.dt.month, 2), _digits(born.dt.day, 2)
    dob = year + "-" + month + "-" + day
    low = _digits(born.dt.month.clip(upper=born.dt.day), 2)
    high = _digits(born.dt.month.clip(lower=born.dt.day), 2)
    seen = pd.to_datetime(clean["first_encountered"])
    estimated = (seen.dt.year - clean["estimated_age"].astype("float")).astype("Int64")
    yob = year.fillna(_digits(estimated, 4))
    both = given.notna() & family.notna()
    initials = given.str.slice(0, 1) + family.str.slice(0, 1)
    sex = clean["sex"].where(clean["sex"] != "unknown")
    return {
        "name_dob": (given + "|" + family + "|" + dob).where(both),
        "sorted_name_dob": tokens + "|" + dob,
        "soundex_dob": _per_distinct(family, soundex) + "|" + given.str.slice(0, 1) + "|" + dob,
        "name_dob_daymonth": tokens + "|" + year + "|" + low + "|" + high,
        "name_yob": tokens + "|" + yob,
        "initials_yob_sex": (initials + "|" + yob + "|" + sex).where(both),
    }


def _hasher(key: bytes) -> Callable[[str], str]:
    """HMAC-SHA256 (RFC 2104) of text under ``key``, as 64 hex digits.

    The padded-key states are hashed once and copied per message, which is
    several times faster than ``hmac.new`` per value; a test checks that the
    result equals :func:`hmac.new`.
    """
    block = sha256().block_size
    padded = (sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    inner = sha256(bytes(b ^ 0x36 for b in padded))
    outer = sha256(bytes(b ^ 0x5C for b in padded))

    def digest(message: str) -> str:
        i = inner.copy()
        i.update(message.encode("utf-8"))
        o = outer.copy()
        o.update(i.digest())
        return o.hexdigest()

    return digest


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
        One row per (record, key type) that could be made: ``row``,
        ``record_ref``, ``key_type`` (one of :data:`KEY_TYPES`), ``key_hash``
        (64 hex digits of HMAC-SHA256).
    """
    if len(key) < 16:
        raise ValueError("the pseudonymisation key must be at least 16 bytes")
    digest = _hasher(key)
    parts = []
    for key_type, strings in key_strings(clean).items():
        present = strings.notna().to_numpy()
        if not present.any():
            continue
        hashed = _per_distinct(key_type + "\x1f" + strings[present], digest)
        parts.append(pd.DataFrame({
            "row": clean["row"].to_numpy()[present],
            "record_ref": clean["record_ref"].to_numpy()[present],
            "key_type": pd.Categorical([key_type] * int(present.sum()), categories=KEY_TYPES),
            "key_hash": hashed.to_numpy(),
        }))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in KEY_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    out["key_type"] = out["key_type"].astype("str")
    return out


def strip_identity(clean: pd.DataFrame) -> pd.DataFrame:
    """The clean records without identity fields (names, date of birth).

    This is what the warehouse keeps.
    """
    return clean.drop(columns=[c for c in IDENTITY_FIELDS if c in clean.columns])
