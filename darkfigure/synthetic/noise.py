"""The noise of real returns: how one person's record differs between agencies.

Typos and transliteration variants of names, missing dates of birth (an
estimated age instead), day-month swaps, fields recorded as unknown, duplicate
rows and a few invalid rows.  Applied record by record with vectorised masks;
the few string edits run in Python on the rows a mask picks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from darkfigure.synthetic.names import VARIANTS

#: Row kinds written to the truth: a real encounter, a duplicate of one (the same
#: person keyed in twice under two references), or an invalid row (a badly keyed
#: copy of a real encounter, which makes intake quarantine the whole return).
ORIGINAL, DUPLICATE, INVALID = "original", "duplicate", "invalid"


@dataclass(frozen=True)
class NoiseSettings:
    """Rates of each kind of noise, per record.

    Attributes
    ----------
    variant
        Chance a name with known transliterations is recorded under a variant.
    typo
        Chance of one keying error in each name.
    upper
        Chance the family name is written in capitals.
    swap_names
        Chance given and family names are swapped.
    missing_name
        Chance one of the names is left blank.
    missing_dob
        Chance the date of birth is missing (an estimated age is given instead).
    day_month_swap
        Chance the date of birth has day and month swapped (where that is a date).
    unknown_field
        Chance each of sex, nationality, age group, force area, exploitation type
        is recorded as unknown.
    duplicate
        Chance a row is submitted twice.
    invalid
        Chance an extra, invalid copy of a row is submitted.
    """

    variant: float = 0.05
    typo: float = 0.01
    upper: float = 0.10
    swap_names: float = 0.005
    missing_name: float = 0.005
    missing_dob: float = 0.02
    day_month_swap: float = 0.02
    unknown_field: float = 0.01
    duplicate: float = 0.01
    invalid: float = 0.002


def noisy_records(
    rng: np.random.Generator,
    records: pd.DataFrame,
    people: pd.DataFrame,
    settings: NoiseSettings | None = None,
) -> pd.DataFrame:
    """Rows as organisations key them in, from true encounters.

    Parameters
    ----------
    rng
        Random generator.
    records
        Encounters from :func:`darkfigure.synthetic.recording.assign_records`.
    people
        The year's population.
    settings
        Noise rates.

    Returns
    -------
    pandas.DataFrame
        The schema fields as strings (``record_ref`` left to the writer), plus
        ``person_id``, ``org_code``, ``quarter``, ``list``, ``row_kind`` and
        ``encounter`` (a row number, for a stable order).
    """
    s = settings or NoiseSettings()
    rec = records.merge(people, on="person_id", how="left", validate="many_to_one")
    n = len(rec)
    given = rec["given_name"].to_numpy(dtype=object).copy()
    family = rec["family_name"].to_numpy(dtype=object).copy()
    given = _variants(rng, given, s.variant)
    family = _variants(rng, family, s.variant)
    given = _typos(rng, given, s.typo)
    family = _typos(rng, family, s.typo)
    upper = rng.random(n) < s.upper
    family[upper] = [str(x).upper() for x in family[upper]]
    swap = rng.random(n) < s.swap_names
    given[swap], family[swap] = family[swap], given[swap].copy()
    blank = rng.random(n) < s.missing_name
    given[blank & (rng.random(n) < 0.5)] = ""
    family[blank & ~(given == "")] = ""

    dob = pd.to_datetime(rec["date_of_birth"])
    no_dob = rng.random(n) < s.missing_dob
    day, month = dob.dt.day.to_numpy(), dob.dt.month.to_numpy()
    swap_dm = (rng.random(n) < s.day_month_swap) & (day <= 12) & (day != month)
    dob_text = dob.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    swapped = dob[swap_dm]
    dob_text[swap_dm] = [
        f"{d.year:04d}-{d.day:02d}-{d.month:02d}" for d in swapped
    ]
    dob_text[no_dob] = ""
    # With no date of birth an age is estimated, sometimes not even that.
    est = np.round(rec["age"].to_numpy() + rng.normal(0, 1.5, n)).astype(int)
    est_text = np.where(no_dob & (rng.random(n) < 0.8), est.astype(str), "")

    out = pd.DataFrame(
        {
            "first_encountered": pd.to_datetime(rec["first_encountered"]).dt.strftime(
                "%Y-%m-%d"
            ),
            "given_name": given,
            "family_name": family,
            "date_of_birth": dob_text,
            "estimated_age": est_text,
            "sex": _unknown(rng, rec["sex"], s.unknown_field, "unknown"),
            "nationality": _unknown(rng, rec["nationality"], s.unknown_field, "UNK"),
            "exploitation_types": _unknown(rng, rec["exploitation_types"], s.unknown_field,
                                           "unknown"),
            "age_group": _unknown(rng, rec["age_group"], s.unknown_field, "unknown"),
            "force_area": _unknown(rng, rec["force_area"], s.unknown_field, "UNKNOWN"),
            "nrm_referred": _nrm(rng, rec["list"].to_numpy()),
            "person_id": rec["person_id"].to_numpy(),
            "org_code": rec["org_code"].to_numpy(),
            "quarter": rec["quarter"].to_numpy(),
            "list": rec["list"].to_numpy(),
            "row_kind": ORIGINAL,
            "encounter": np.arange(n),
        }
    )
    dups = out[rng.random(n) < s.duplicate].assign(row_kind=DUPLICATE)
    bad = _invalid(rng, out[rng.random(n) < s.invalid])
    extra = pd.concat([dups, bad], ignore_index=True)
    extra["encounter"] = n + np.arange(len(extra))
    return pd.concat([out, extra], ignore_index=True)


def _variants(rng: np.random.Generator, names: np.ndarray, rate: float) -> np.ndarray:
    has = np.array([x in VARIANTS for x in names], dtype=bool)
    pick = np.flatnonzero(has & (rng.random(len(names)) < rate))
    for i in pick:
        options = VARIANTS[names[i]]
        names[i] = options[rng.integers(0, len(options))]
    return names


def _typos(rng: np.random.Generator, names: np.ndarray, rate: float) -> np.ndarray:
    """One keying error: a letter dropped, doubled, swapped with the next, or replaced."""
    pick = np.flatnonzero(rng.random(len(names)) < rate)
    for i in pick:
        word = str(names[i])
        if len(word) < 4:
            continue
        k = int(rng.integers(1, len(word) - 1))
        kind = int(rng.integers(0, 4))
        if kind == 0:
            word = word[:k] + word[k + 1 :]
        elif kind == 1:
            word = word[: k + 1] + word[k] + word[k + 1 :]
        elif kind == 2:
            word = word[:k] + word[k + 1] + word[k] + word[k + 2 :]
        else:
            word = word[:k] + "aeiou"[int(rng.integers(0, 5))] + word[k + 1 :]
        names[i] = word
    return names


def _unknown(rng: np.random.Generator, values: pd.Series, rate: float, code: str) -> np.ndarray:
    out = values.astype(str).to_numpy(dtype=object).copy()
    out[rng.random(len(out)) < rate] = code
    return out


def _nrm(rng: np.random.Generator, lists: np.ndarray) -> np.ndarray:
    """First responders refer most people to the NRM; the helpline cannot refer."""
    p_yes = np.where(lists == "GP", 0.15, 0.65)
    u = rng.random(len(lists))
    return np.where(u < 0.04, "unknown", np.where(u < 0.04 + p_yes, "yes", "no"))


#: Faults of invalid rows: field and a value no valid return carries.
_FAULTS = (
    ("first_encountered", ""),
    ("first_encountered", "2025-13-45"),
    ("nationality", "XXX"),
    ("exploitation_types", "slavery"),
    ("force_area", "E23000999"),
    ("sex", "x"),
)


def _invalid(rng: np.random.Generator, rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows.copy()
    rows["row_kind"] = INVALID
    for pos in rows.index:
        col, value = _FAULTS[int(rng.integers(0, len(_FAULTS)))]
        rows.loc[pos, col] = value
    return rows
