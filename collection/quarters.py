"""Quarters (``2025Q3``): the period a return covers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter.

    Attributes
    ----------
    year
        Calendar year.
    number
        1 to 4 (Q1 is January to March).
    """

    year: int
    number: int

    @property
    def start(self) -> date:
        """First day of the quarter."""
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """Last day of the quarter."""
        if self.number == 4:
            return date(self.year, 12, 31)
        nxt = date(self.year, 3 * self.number + 1, 1)
        return date.fromordinal(nxt.toordinal() - 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


def parse_quarter(text: str) -> Quarter:
    """Parse ``2025Q3`` (also ``2025q3``, ``2025-Q3``).

    Raises
    ------
    ValueError
        With a message saying the expected form, when ``text`` is not a quarter
        between 1900 and 2999.
    """
    match = _QUARTER.match(text or "")
    if not match or not 1900 <= int(match.group(1)) <= 2999:
        raise ValueError(
            f"quarter '{text}' is not of the form YYYYQn; write e.g. 2025Q3 "
            "(Q1 = January-March, Q4 = October-December)"
        )
    return Quarter(int(match.group(1)), int(match.group(2)))
