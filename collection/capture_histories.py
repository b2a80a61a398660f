"""Capture histories and capture tables from linked persons.

Pure functions on DataFrames.  A person's *capture history* in a period is the
set of lists (LA NG PF GO GP NCA) whose organisations recorded them in that
period; a capture table counts persons per non-empty history.

A period is a year (``2025``: its four quarters) or a quarter (``2025Q3``).
Persons are found by linkage over all live returns, so a person recorded in
2024 and 2025 counts in 2025 with the lists of their 2025 records only.

Stratum of a person when their records disagree:

``age_group``
    ``child`` if any record says child (a child recorded as an adult by one
    agency is still a child: the safeguarding rule "if in doubt, a child"),
    else ``adult`` if any says adult, else ``unknown``.
``exploitation``
    The person counts in every exploitation type any of their records gives
    (so strata overlap and do not add up to the total); ``unknown`` only when
    no record gives a known type.
``region``
    The country of the police force area where exploitation took place
    (England, Wales, ...), taken from the most frequent known area among the
    person's records (ties: alphabetical); ``unknown`` when none is known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from collection.quarters import parse_quarter
from estimation.capture_table import CaptureTable

#: The lists in their fixed order (DESIGN.md section 2).
LIST_ORDER: tuple[str, ...] = ("LA", "NG", "PF", "GO", "GP", "NCA")
#: Ways a capture table can be stratified.
STRATIFY_BY: tuple[str, ...] = ("age_group", "exploitation", "region")
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Period:
    """A year or a quarter.

    Attributes
    ----------
    label
        ``2025`` or ``2025Q3``.
    quarters
        The quarters it covers, as ``2025Q1`` strings.
    """

    label: str
    quarters: tuple[str, ...]

    def contains(self, quarter: str) -> bool:
        """Whether a ``2025Q3`` quarter lies in this period."""
        return quarter in self.quarters


def parse_period(text: str) -> Period:
    """Parse a period: a year ``2025`` or a quarter ``2025Q3``.

    Raises
    ------
    ValueError
        Saying the accepted forms.
    """
    value = str(text).strip()
    if value.isdigit() and len(value) == 4 and 1900 <= int(value) <= 2999:
        return Period(value, tuple(f"{value}Q{q}" for q in range(1, 5)))
    try:
        quarter = parse_quarter(value)
    except ValueError:
        raise ValueError(
            f"period '{text}' is neither a year (2025) nor a quarter (2025Q3)"
        ) from None
    return Period(str(quarter), (str(quarter),))


def capture_histories(records: pd.DataFrame, period: Period | None = None) -> pd.DataFrame:
    """One row per person with a 0/1 column per list (all of :data:`LIST_ORDER`).

    Parameters
    ----------
    records
        ``person_id, list_code, quarter``: each linked record.
    period
        Keep only records in this period (all records if ``None``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``person_id``; columns ``LA NG PF GO GP NCA`` of 0/1 (int8).
    """
    frame = _in_period(records, period)
    unknown = set(frame["list_code"].unique()) - set(LIST_ORDER)
    if unknown:
        raise ValueError(f"unknown list codes {sorted(unknown)}; expected {LIST_ORDER}")
    codes = pd.Categorical(frame["list_code"], categories=list(LIST_ORDER))
    hist = pd.crosstab(frame["person_id"].to_numpy(), codes, dropna=False)
    hist = hist.reindex(columns=list(LIST_ORDER), fill_value=0)
    out = (hist > 0).astype(np.int8)
    out.index.name = "person_id"
    out.columns = list(LIST_ORDER)
    return out


def _in_period(records: pd.DataFrame, period: Period | None) -> pd.DataFrame:
    if period is None:
        return records
    return records[records["quarter"].isin(period.quarters)]


def person_strata(
    records: pd.DataFrame,
    by: str,
    *,
    region_of: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Each person's stratum value(s) by the rules of the module docstring.

    Parameters
    ----------
    records
        ``person_id`` and the source column: ``age_group``, ``exploitation_types``
        (a list of codes per record) or ``force_area``.
    by
        ``age_group``, ``exploitation`` or ``region``.
    region_of
        Force-area code to region (needed for ``region``).

    Returns
    -------
    pandas.DataFrame
        ``person_id`` and column ``by``; one row per person, except for
        ``exploitation`` where a person has a row per type.
    """
    if by == "age_group":
        return _age_group(records)
    if by == "exploitation":
        return _exploitation(records)
    if by == "region":
        if region_of is None:
            raise ValueError("stratifying by region needs the force-area to region mapping")
        return _region(records, region_of)
    raise ValueError(f"cannot stratify by '{by}'; choose one of {', '.join(STRATIFY_BY)}")


def _age_group(records: pd.DataFrame) -> pd.DataFrame:
    rank = records["age_group"].map({"child": 2, "adult": 1}).fillna(0)
    best = rank.groupby(records["person_id"]).max()
    value = best.map({2: "child", 1: "adult", 0: UNKNOWN})
    return pd.DataFrame({"person_id": best.index, "age_group": value.to_numpy()})


def _exploitation(records: pd.DataFrame) -> pd.DataFrame:
    types = records[["person_id", "exploitation_types"]].explode("exploitation_types")
    types = types.rename(columns={"exploitation_types": "exploitation"})
    types["exploitation"] = types["exploitation"].fillna(UNKNOWN).astype(str)
    known = types[types["exploitation"] != UNKNOWN].drop_duplicates()
    return _with_unknown(records, known, "exploitation")


def _region(records: pd.DataFrame, region_of: Mapping[str, str]) -> pd.DataFrame:
    region = records["force_area"].map(dict(region_of))
    frame = pd.DataFrame({"person_id": records["person_id"].to_numpy(), "region": region})
    counts = frame.dropna().groupby(["person_id", "region"]).size().reset_index(name="n")
    counts = counts.sort_values(["person_id", "n", "region"], ascending=[True, False, True])
    return _with_unknown(records, counts.drop_duplicates("person_id"), "region")


def _with_unknown(records: pd.DataFrame, found: pd.DataFrame, by: str) -> pd.DataFrame:
    """``found`` plus an ``unknown`` row for each person it lacks."""
    persons = pd.Series(records["person_id"].unique())
    missing = persons[~persons.isin(found["person_id"].unique())]
    extra = pd.DataFrame({"person_id": missing.to_numpy(), by: UNKNOWN})
    return pd.concat([found[["person_id", by]], extra], ignore_index=True)


@dataclass(frozen=True)
class CaptureTables:
    """Capture tables of one period, with what was left out.

    Attributes
    ----------
    tables
        One table (unstratified) or one per stratum, all on the same lists.
    lists
        The lists used, in :data:`LIST_ORDER`.
    dropped_lists
        Lists that recorded nobody in the period (left out of the tables).
    n_persons
        Persons recorded in the period.
    """

    tables: tuple[CaptureTable, ...]
    lists: tuple[str, ...]
    dropped_lists: tuple[str, ...]
    n_persons: int


def build_capture_tables(
    records: pd.DataFrame,
    period: Period | None = None,
    *,
    by: str | None = None,
    region_of: Mapping[str, str] | None = None,
    source: str | None = None,
) -> CaptureTables:
    """Capture tables of a period, optionally stratified.

    Parameters
    ----------
    records
        Linked records: ``person_id, list_code, quarter`` and the stratum's
        source column (see :func:`person_strata`).
    period
        The period (all records if ``None``).
    by
        ``None``, ``age_group``, ``exploitation`` or ``region``.
    region_of
        Force-area code to region, for ``by="region"``.
    source
        Origin named in the tables' error messages.

    Returns
    -------
    CaptureTables

    Raises
    ------
    ValueError
        When nobody was recorded in the period, or fewer than two lists recorded anyone.
    """
    frame = _in_period(records, period)
    where = f" in {period.label}" if period else ""
    if frame.empty:
        raise ValueError(f"no linked records{where}")
    hist = capture_histories(frame)
    recorded = hist.sum(axis=0)
    lists = tuple(name for name in LIST_ORDER if recorded[name] > 0)
    dropped = tuple(name for name in LIST_ORDER if recorded[name] == 0)
    if len(lists) < 2:
        raise ValueError(
            f"only {len(lists)} list ({', '.join(lists)}) recorded anyone{where}: "
            "a capture table needs at least two"
        )
    cells = _cell_codes(hist[list(lists)].to_numpy())
    if by is None:
        table = _table(lists, cells, (), source)
        return CaptureTables((table,), lists, dropped, len(hist))
    strata = person_strata(frame, by, region_of=region_of)
    strata = strata.merge(
        pd.DataFrame({"person_id": hist.index.to_numpy(), "cell": cells}), on="person_id"
    )
    tables = tuple(
        _table(lists, group["cell"].to_numpy(), ((by, str(value)),), source)
        for value, group in sorted(strata.groupby(by), key=lambda kv: _stratum_order(by, kv[0]))
    )
    return CaptureTables(tables, lists, dropped, len(hist))


def _stratum_order(by: str, value: object) -> tuple[int, str]:
    # Unknown last; age groups in their natural order.
    text = str(value)
    natural = {"child": 0, "adult": 1} if by == "age_group" else {}
    return (2 if text == UNKNOWN else natural.get(text, 1), text)


def _cell_codes(patterns: np.ndarray) -> np.ndarray:
    """Cell index (0-based, bit j = list j) of each person's 0/1 history."""
    weights = 1 << np.arange(patterns.shape[1], dtype=np.int64)
    return patterns.astype(np.int64) @ weights - 1


def _table(
    lists: Sequence[str],
    cells: np.ndarray,
    stratum: tuple[tuple[str, str], ...],
    source: str | None,
) -> CaptureTable:
    counts = np.bincount(cells, minlength=2 ** len(lists) - 1)
    return CaptureTable(tuple(lists), counts, stratum=stratum, source=source)
