"""Dates in returns: which forms are accepted, and why a value is not a date.

Accepted forms (decided for schema 1.0):

- ISO ``YYYY-MM-DD`` (one-digit month and day allowed; a time of exactly
  midnight, as spreadsheets add, is ignored); Excel cells typed as dates arrive
  in this form from the XLSX reader;
- UK day-first ``DD/MM/YYYY``, also with ``-`` or ``.`` between the parts and
  one-digit day or month (``2/3/1994`` is 2 March 1994).

Refused, each with its own explanation: two-digit years (``02/03/94``: the
century of a date of birth cannot be guessed safely), month-first US dates
(``03/14/2025``), Excel serial numbers (``45883``), and dates that do not exist
(``31/02/2025``).  A day-first date whose day and month are both 12 or less and
differ is *ambiguous*: it is read day first, and flagged when the same column
holds month-first dates elsewhere (rule ``day_month_swap``).

Parsing is done once per distinct value, then mapped onto the rows
(:mod:`validation.distinct`), so a million rows cost as much as their few
thousand distinct dates.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

from validation.distinct import encode, first_seen, spread

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]00:00(?::00(?:\.0+)?)?)?$")
_DAYFIRST = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$")
_TWO_DIGIT_YEAR = re.compile(r"^\d{1,2}([/.-])\d{1,2}\1\d{2}$")
_SERIAL = re.compile(r"^\d{5}(?:\.0+)?$")

#: The accepted forms as one regular expression (used by the expectation suite,
#: on values whose digits have been masked to ``9``).
ACCEPTED_FORM = (
    r"^(?:\d{4}-\d{1,2}-\d{1,2}(?:[T ]00:00(?::00(?:\.0+)?)?)?"
    r"|\d{1,2}/\d{1,2}/\d{4}|\d{1,2}-\d{1,2}-\d{4}|\d{1,2}\.\d{1,2}\.\d{4})$"
)

PARSED_COLUMNS = ("date", "problem", "ambiguous", "month_first")


def _real(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str) -> tuple[date | None, str, bool, bool]:
    """Parse one date.

    Returns
    -------
    (date or None, problem, ambiguous, month_first)
        ``problem`` is ``""`` for a good date, else a sentence saying what is
        wrong with the value (without quoting it).  ``ambiguous``: day-first
        with day and month both 12 or less and different.  ``month_first``: the
        value is only a real date if read month first.
    """
    if m := _ISO.match(text):
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        found = _real(year, month, day)
        if found:
            return found, "", False, False
        if month > 12 and _real(year, day, month):
            return None, "is not a real date: it looks like year-day-month; write YYYY-MM-DD", \
                False, False
        return None, "is not a real date (check the day and month)", False, False
    if m := _DAYFIRST.match(text):
        day, month, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
        found = _real(year, month, day)
        if found:
            return found, "", day <= 12 and month <= 12 and day != month, False
        if month > 12 and _real(year, day, month):
            return None, ("reads as month first (US style); write day first, DD/MM/YYYY, "
                          "or YYYY-MM-DD"), False, True
        return None, "is not a real date (check the day and month)", False, False
    if _TWO_DIGIT_YEAR.match(text):
        return None, "has a two-digit year; write the year in full (DD/MM/YYYY)", False, False
    if _SERIAL.match(text):
        return None, ("looks like an Excel date number; format the column as a date "
                      "or type YYYY-MM-DD"), False, False
    return None, "is not a date in the form YYYY-MM-DD or DD/MM/YYYY", False, False


def parse_dates(values: pd.Series) -> pd.DataFrame:
    """Parse a column of date strings (missing stays missing).

    Parameters
    ----------
    values
        Strings, null where the cell is empty.

    Returns
    -------
    pandas.DataFrame
        Aligned with ``values``: ``date`` (datetime64[s], NaT when missing or
        bad), ``problem`` (categorical, ``""`` when good or missing),
        ``ambiguous`` and ``month_first`` (bool).
    """
    codes, uniques = encode(values)
    parsed = [parse_date(v) for v in uniques]
    dates = np.array([np.datetime64(p[0], "s") if p[0] else np.datetime64("NaT", "s")
                      for p in parsed], dtype="datetime64[s]")
    problems, problem_of = first_seen([""] + [p[1] for p in parsed])
    return pd.DataFrame(
        {
            "date": spread(codes, dates, np.datetime64("NaT", "s")),
            "problem": pd.Categorical.from_codes(spread(codes, problem_of[1:], 0),
                                                 categories=pd.Index(problems, dtype="str")),
            "ambiguous": spread(codes, np.array([p[2] for p in parsed], dtype=bool), False),
            "month_first": spread(codes, np.array([p[3] for p in parsed], dtype=bool), False),
        },
        index=values.index,
    )
