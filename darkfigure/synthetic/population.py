"""The hidden population: every victim of one year, recorded or not.

Each person has the attributes a return carries (sex, age, nationality,
exploitation types, police force area where exploited, date of birth, name),
a date on which they come to light during the year, and a latent
*visibility*: people who are easy to find for one agency tend to be easy to
find for the others (the heterogeneity that biases capture-recapture).
Everything is drawn in vectorised numpy from one generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from darkfigure.synthetic import names
from darkfigure.synthetic.organisations import AREA_POPULATION

#: Exploitation types (schema codes) and their chance by profile.  Rows: the
#: type probabilities for a GBR child, a non-GBR child, an adult man, an adult
#: woman.  Columns follow ``TYPES``.
TYPES = ("labour", "sexual", "domestic_servitude", "criminal", "organ_harvesting", "unknown")
_TYPE_PROBS = np.array(
    [
        [0.06, 0.20, 0.02, 0.66, 0.0, 0.06],
        [0.30, 0.18, 0.06, 0.40, 0.0, 0.06],
        [0.56, 0.04, 0.05, 0.27, 0.003, 0.077],
        [0.16, 0.50, 0.20, 0.06, 0.002, 0.078],
    ]
)
#: Chance that a person suffered a second type of exploitation too.
SECOND_TYPE = 0.12


@dataclass(frozen=True)
class PopulationSettings:
    """How a year's population is drawn.

    Attributes
    ----------
    visibility_sd
        Standard deviation of the latent visibility on the logit scale of
        capture (0: no unobserved heterogeneity).
    child_share
        Share of victims who were children when exploited.
    male_share
        Share of victims who are male.
    """

    visibility_sd: float = 0.2
    child_share: float = 0.42
    male_share: float = 0.76


def draw_population(
    rng: np.random.Generator,
    year: int,
    n: int,
    areas: tuple[str, ...],
    settings: PopulationSettings | None = None,
) -> pd.DataFrame:
    """Draw the ``n`` victims of ``year``.

    Parameters
    ----------
    rng
        Random generator (the caller seeds it per year).
    year
        Calendar year of exploitation.
    n
        True number of victims.
    areas
        Police force areas (ONS codes) victims can be exploited in.
    settings
        Population settings; defaults if omitted.

    Returns
    -------
    pandas.DataFrame
        One row per person: ``person_id``, ``year``, ``sex``, ``age``, ``age_group``,
        ``nationality``, ``exploitation_types`` (``;``-joined), ``force_area``,
        ``date_of_birth``, ``given_name``, ``family_name``, ``emerges`` (day of
        year they come to light) and ``visibility``.
    """
    s = settings or PopulationSettings()
    nat_codes = np.array(list(names.NATIONALITY_SHARE))
    nat_p = np.array(list(names.NATIONALITY_SHARE.values()))
    nationality = nat_codes[rng.choice(len(nat_codes), size=n, p=nat_p / nat_p.sum())]
    male = rng.random(n) < s.male_share
    sex = np.where(male, "male", "female")
    sex[rng.random(n) < 0.003] = "other"
    child = rng.random(n) < s.child_share
    age = np.where(
        child,
        rng.choice(np.arange(10, 18), size=n, p=_child_age_weights()),
        np.clip(np.round(18 + rng.gamma(2.2, 8.0, size=n)), 18, 75).astype(int),
    )
    emerges = rng.integers(0, _days_in(year), size=n)
    exploited_on = pd.Timestamp(year=year, month=1, day=1) + pd.to_timedelta(emerges, unit="D")
    birth_offset = rng.integers(0, 365, size=n)
    dob = exploited_on - pd.to_timedelta(age * 365.25 + birth_offset, unit="D")
    weights = np.array([AREA_POPULATION[a] for a in areas])
    area = np.array(areas)[rng.choice(len(areas), size=n, p=weights / weights.sum())]
    given, family = _draw_names(rng, nationality, sex)
    return pd.DataFrame(
        {
            "person_id": [f"P{year}-{i:06d}" for i in range(1, n + 1)],
            "year": year,
            "sex": sex,
            "age": age.astype(int),
            "age_group": np.where(child, "child", "adult"),
            "nationality": nationality,
            "exploitation_types": _draw_types(rng, child, male, nationality),
            "force_area": area,
            "date_of_birth": pd.DatetimeIndex(dob).date,
            "given_name": given,
            "family_name": family,
            "emerges": emerges,
            "visibility": rng.normal(0.0, s.visibility_sd, size=n) if s.visibility_sd > 0
            else np.zeros(n),
        }
    )


def _days_in(year: int) -> int:
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


def _child_age_weights() -> np.ndarray:
    w = np.array([0.03, 0.04, 0.07, 0.10, 0.14, 0.18, 0.22, 0.22])
    return w / w.sum()


def _draw_types(
    rng: np.random.Generator, child: np.ndarray, male: np.ndarray, nationality: np.ndarray
) -> np.ndarray:
    """One or two exploitation types per person, ``;``-joined."""
    profile = np.where(child, np.where(nationality == "GBR", 0, 1), np.where(male, 2, 3))
    probs = _TYPE_PROBS[profile]
    probs = probs / probs.sum(axis=1, keepdims=True)
    first = _categorical(rng, probs)
    # A second, different type, never "unknown" beside a known one.
    second_p = probs.copy()
    second_p[np.arange(len(first)), first] = 0.0
    second_p[:, TYPES.index("unknown")] = 0.0
    second_p = second_p / second_p.sum(axis=1, keepdims=True)
    second = _categorical(rng, second_p)
    has_second = (rng.random(len(first)) < SECOND_TYPE) & (first != TYPES.index("unknown"))
    labels = np.array(TYPES, dtype=object)
    out = labels[first].copy()
    pair_first = np.minimum(first, second)[has_second]
    pair_second = np.maximum(first, second)[has_second]
    out[has_second] = labels[pair_first] + ";" + labels[pair_second]
    return out.astype(str)


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of a probability matrix."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random((probs.shape[0], 1))
    return np.minimum((u > cum).sum(axis=1), probs.shape[1] - 1)


def _draw_names(
    rng: np.random.Generator, nationality: np.ndarray, sex: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    n = len(nationality)
    given = np.empty(n, dtype=object)
    family = np.empty(n, dtype=object)
    for nat in np.unique(nationality):
        idx = np.flatnonzero(nationality == nat)
        fam_pool = np.array(names.pool(nat, "family"), dtype=object)
        family[idx] = fam_pool[rng.integers(0, len(fam_pool), size=len(idx))]
        for kind in ("male", "female"):
            pool = np.array(names.pool(nat, kind), dtype=object)
            sub = idx[sex[idx] == kind] if kind == "female" else idx[sex[idx] != "female"]
            given[sub] = pool[rng.integers(0, len(pool), size=len(sub))]
    return given.astype(str), family.astype(str)
