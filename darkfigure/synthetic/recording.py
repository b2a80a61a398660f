"""Who records whom: the capture process of the synthetic nation.

Each list records a person in a year with a probability on the logit scale

    logit p_j = base_j + visibility + covariate effects + sum of boosts from
                the lists that recorded the person before (referrals),

drawn list by list in :data:`ORDER`.  A referral boost from one parent list
makes the joint distribution, within a fixed visibility and profile, exactly a
log-linear model with that pair's interaction, so the classical models'
assumptions hold up to the (mild) heterogeneity.  Within a list the
organisation is chosen by where the person was exploited (the force of the
area, the region's local authority) or by the national partners' shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from darkfigure.synthetic.organisations import Organisation

#: Order in which lists are drawn: a list's referral parents come before it.
ORDER = ("LA", "PF", "NG", "GO", "GP", "NCA")


@dataclass(frozen=True)
class RecordingModel:
    """Parameters of the capture process.

    Attributes
    ----------
    base
        Logit of each list's recording probability for an average adult.
    referrals
        ``(parent, child) -> boost``: being recorded by ``parent`` adds ``boost``
        to the logit of ``child`` (police referring to immigration, say).
    child_effect
        Logit shift per list for children (by default children are a little
        easier to find for every list: agencies look out for them).
    foreign_effect
        Logit shift per list for non-British nationals (none by default: effects
        that differ between lists make dependence a model must find).
    repeat
        Chance that an organisation records the same person again in another quarter.
    home_force
        Chance that a police record comes from the force of the area of exploitation
        (the rest: British Transport Police, Police Scotland, PSNI).
    """

    base: dict[str, float] = field(
        default_factory=lambda: {
            "LA": -2.55, "PF": -2.15, "NG": -1.95, "GO": -2.75, "GP": -3.4, "NCA": -3.8,
        }
    )
    referrals: dict[tuple[str, str], float] = field(
        default_factory=lambda: {("PF", "GO"): 1.5, ("LA", "NG"): 1.2, ("PF", "NCA"): 1.5,
                                 ("NG", "GP"): 1.2}
    )
    child_effect: dict[str, float] = field(
        default_factory=lambda: {lst: 0.2 for lst in ORDER}
    )
    foreign_effect: dict[str, float] = field(
        default_factory=dict
    )
    repeat: float = 0.04
    home_force: float = 0.93


def capture_histories(
    rng: np.random.Generator, people: pd.DataFrame, model: RecordingModel | None = None
) -> pd.DataFrame:
    """Draw each person's true capture history for their year.

    Returns
    -------
    pandas.DataFrame
        ``person_id``, ``year`` and one 0/1 column per list in :data:`ORDER`.
    """
    m = model or RecordingModel()
    n = len(people)
    child = (people["age_group"] == "child").to_numpy()
    foreign = (people["nationality"] != "GBR").to_numpy()
    vis = people["visibility"].to_numpy()
    caught: dict[str, np.ndarray] = {}
    for lst in ORDER:
        logit = m.base[lst] + vis
        logit = logit + m.child_effect.get(lst, 0.0) * child
        logit = logit + m.foreign_effect.get(lst, 0.0) * foreign
        for (parent, kid), boost in m.referrals.items():
            if kid == lst:
                logit = logit + boost * caught[parent]
        caught[lst] = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int8)
    out = people[["person_id", "year"]].copy()
    for lst in ORDER:
        out[lst] = caught[lst]
    return out


def assign_records(
    rng: np.random.Generator,
    people: pd.DataFrame,
    histories: pd.DataFrame,
    organisations: list[Organisation],
    model: RecordingModel | None = None,
) -> pd.DataFrame:
    """Turn capture histories into encounters: which organisation, on which date.

    Returns
    -------
    pandas.DataFrame
        One row per (person, organisation, encounter): ``person_id``, ``org_code``,
        ``list``, ``first_encountered`` (date) and ``quarter`` (``2025Q3``).
    """
    m = model or RecordingModel()
    year = int(people["year"].iloc[0])
    start = pd.Timestamp(year=year, month=1, day=1)
    last_day = (pd.Timestamp(year=year + 1, month=1, day=1) - start).days - 1
    area = people["force_area"].to_numpy()
    emerges = people["emerges"].to_numpy()
    frames = []
    for lst in ORDER:
        idx = np.flatnonzero(histories[lst].to_numpy() == 1)
        if idx.size == 0:
            continue
        codes = _choose_org(rng, lst, area[idx], people["age_group"].to_numpy()[idx],
                            organisations, m)
        # Agencies meet a person around the time they come to light.
        day = np.clip(emerges[idx] + np.round(rng.normal(0, 30, idx.size)), 0, last_day)
        frame = pd.DataFrame({"pos": idx, "org_code": codes, "list": lst, "day": day})
        again = rng.random(idx.size) < m.repeat
        if again.any():
            later = frame[again].copy()
            later["day"] = np.minimum(later["day"] + rng.integers(95, 200, again.sum()),
                                      last_day)
            # A repeat in the same quarter is the same record: dropped below.
            frame = pd.concat([frame, later])
        frames.append(frame)
    rec = pd.concat(frames, ignore_index=True)
    rec["person_id"] = people["person_id"].to_numpy()[rec["pos"].to_numpy()]
    when = start + pd.to_timedelta(rec["day"].astype(int), unit="D")
    rec["first_encountered"] = pd.DatetimeIndex(when).date
    rec["quarter"] = [f"{year}Q{q}" for q in pd.DatetimeIndex(when).quarter]
    rec = rec.drop_duplicates(["person_id", "org_code", "quarter"])
    return rec[["person_id", "org_code", "list", "first_encountered", "quarter"]].reset_index(
        drop=True
    )


def _choose_org(
    rng: np.random.Generator,
    lst: str,
    areas: np.ndarray,
    age_group: np.ndarray,
    organisations: list[Organisation],
    model: RecordingModel,
) -> np.ndarray:
    """Organisation code for each person recorded by list ``lst``."""
    orgs = [o for o in organisations if o.list == lst]
    out = np.empty(len(areas), dtype=object)
    local = [o for o in orgs if o.areas]
    national = [o for o in orgs if not o.areas]
    if lst == "PF":
        by_area = {a: o.code for o in local for a in o.areas}
        out[:] = [by_area[a] for a in areas]
        away = rng.random(len(areas)) >= model.home_force
        if national and away.any():
            out[away] = _by_share(rng, national, int(away.sum()))
        return out
    if lst == "LA":
        by_area = {a: o.code for o in local for a in o.areas}
        return np.array([by_area[a] for a in areas], dtype=object)
    out[:] = _by_share(rng, national, len(areas))
    if lst == "NG":
        # Children's charities see more children.
        kids = np.flatnonzero(age_group == "child")
        barnardos = [o for o in national if "Barnardo" in o.name]
        if barnardos and kids.size:
            switch = kids[rng.random(kids.size) < 0.25]
            out[switch] = barnardos[0].code
    return out


def _by_share(rng: np.random.Generator, orgs: list[Organisation], size: int) -> np.ndarray:
    shares = np.array([o.share for o in orgs], dtype=float)
    codes = np.array([o.code for o in orgs], dtype=object)
    return codes[rng.choice(len(orgs), size=size, p=shares / shares.sum())]
