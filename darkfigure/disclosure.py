"""Statistical disclosure control for published counts: small-count suppression.

Counts of people below a threshold (default 5) could identify someone, so they
are withheld ("primary suppression").  Withholding one cell is not enough when
a total is published beside it: the cell is the total minus the others.  So
every line (a row or column of a table that is shown with its total) that
holds exactly one withheld cell gets a second one, the smallest remaining
non-zero cell ("secondary suppression"), repeated until no line can be solved
by subtraction.  When a line's total itself is small, the whole line is
withheld.

Everything here is pure: arrays and frames in, masks and frames out.  The
dashboard's data-access layer applies it before figures leave the warehouse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Counts of people below this are withheld from policymakers.
DEFAULT_THRESHOLD = 5
#: How a withheld figure is shown (ONS convention for "confidential").
SUPPRESSED_MARK = "[c]"


def primary_mask(
    counts: Sequence[float] | np.ndarray, threshold: int = DEFAULT_THRESHOLD,
    *, suppress_zero: bool = False,
) -> np.ndarray:
    """Cells withheld because they are small.

    Parameters
    ----------
    counts
        Counts of people (any shape).
    threshold
        Counts strictly below this are withheld.
    suppress_zero
        Also withhold zeros (a zero can be disclosive when it says that
        nobody in a group had some attribute).

    Returns
    -------
    numpy.ndarray
        Boolean mask, True where withheld.
    """
    values = np.asarray(counts, dtype=float)
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, got {threshold}")
    small = values < threshold
    return small if suppress_zero else small & (values != 0)


def _protect_line(cells: np.ndarray, hidden: np.ndarray, total_hidden: bool) -> int:
    """Make one line safe: cells plus their total must not have exactly one unknown.

    Returns the index of the cell to hide next, ``-1`` to hide the total, or
    ``-2`` when the line is already safe.
    """
    unknown = int(hidden.sum()) + int(total_hidden)
    if unknown != 1:
        return -2
    # Hide the smallest other non-zero cell (a zero hidden beside it would
    # still let the reader bound nothing new), else the total itself.
    candidates = np.where(~hidden & (cells > 0))[0]
    if total_hidden or candidates.size == 0:
        return int(candidates[np.argmin(cells[candidates])]) if candidates.size else -1
    return int(candidates[np.argmin(cells[candidates])])


@dataclass(frozen=True)
class Suppression:
    """Which figures of a table to withhold.

    Attributes
    ----------
    cells
        Mask of the table's cells (same shape as the counts).
    row_totals
        Mask of the row totals (matrices; for a vector, empty).
    column_totals
        Mask of the column totals (matrices; for a vector, empty).
    total
        Whether the grand total is withheld.
    """

    cells: np.ndarray
    row_totals: np.ndarray
    column_totals: np.ndarray
    total: bool


def secondary_mask(
    counts: Sequence[float] | np.ndarray, primary: np.ndarray, threshold: int = DEFAULT_THRESHOLD
) -> Suppression:
    """Extend a primary mask so that no published total reveals a hidden cell.

    The table is treated with its margins: every line (a row or column with
    its total) is an equation, and a line with exactly one unknown figure can
    be solved, so a second figure in it is withheld, repeatedly until no line
    has exactly one.  Totals below the threshold are themselves withheld.

    Parameters
    ----------
    counts
        A vector (one breakdown with its total) or a matrix (a cross-tabulation
        published with row and column totals).
    primary
        The primary mask of the cells, same shape.
    threshold
        Threshold of the primary rule, applied to the totals too.

    Returns
    -------
    Suppression
        Masks of the cells and of the totals.
    """
    values = np.asarray(counts, dtype=float)
    if values.shape != np.shape(primary):
        raise ValueError(f"counts {values.shape} and mask {np.shape(primary)} differ in shape")
    cells = np.asarray(primary, dtype=bool)
    if values.ndim == 1:
        line = np.append(values, values.sum())
        mask = np.append(cells, primary_mask([line[-1]], threshold))
        while _apply(line, mask):
            pass
        return Suppression(mask[:-1], np.zeros(0, bool), np.zeros(0, bool), bool(mask[-1]))
    if values.ndim != 2:
        raise ValueError("secondary suppression handles vectors and matrices only")
    # Augmented table: the last row holds column totals, the last column row totals.
    full = np.zeros((values.shape[0] + 1, values.shape[1] + 1))
    full[:-1, :-1] = values
    full[-1, :-1] = values.sum(axis=0)
    full[:-1, -1] = values.sum(axis=1)
    full[-1, -1] = values.sum()
    grid = primary_mask(full, threshold)
    grid[:-1, :-1] = cells
    changed = True
    while changed:
        changed = False
        # grid[i, :] and grid[:, j] are views: _apply writes through them.
        for i in range(full.shape[0]):
            changed |= _apply(full[i, :], grid[i, :])
        for j in range(full.shape[1]):
            changed |= _apply(full[:, j], grid[:, j])
    return Suppression(grid[:-1, :-1], grid[:-1, -1], grid[-1, :-1], bool(grid[-1, -1]))


def _apply(line: np.ndarray, mask: np.ndarray) -> bool:
    """Protect one augmented line (``mask`` is a view written through)."""
    step = _protect_line(line[:-1], mask[:-1], bool(mask[-1]))
    if step == -2:
        return False
    mask[-1 if step == -1 else step] = True
    return True


def suppress(
    counts: Sequence[float] | np.ndarray, threshold: int = DEFAULT_THRESHOLD,
    *, suppress_zero: bool = False,
) -> Suppression:
    """Primary and secondary suppression of a vector or matrix of counts and its totals.

    Returns
    -------
    Suppression
        Masks, True where a figure must be withheld.
    """
    primary = primary_mask(counts, threshold, suppress_zero=suppress_zero)
    return secondary_mask(counts, primary, threshold)


def suppress_frame(
    frame: pd.DataFrame,
    count: str,
    *,
    within: Sequence[str] = (),
    dependent: Sequence[str] = (),
    threshold: int = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Withhold small counts in a long-format breakdown.

    Each group of rows that share the ``within`` columns is one breakdown
    published with its total (e.g. ``within=["year"]`` for categories per
    year): primary and secondary suppression are applied per group.

    Parameters
    ----------
    frame
        One row per category.
    count
        Column of counts of people.
    within
        Columns that define the groups (empty: the whole frame is one group).
    dependent
        Columns derived from the count (estimates and interval bounds of a
        stratum) that are withheld with it.
    threshold
        Counts below this are withheld.

    Returns
    -------
    pandas.DataFrame
        A copy in which withheld values are missing (``NA``), with a boolean
        ``suppressed`` column and ``group_total``, the group's total count
        (missing when it too must be withheld).
    """
    out = frame.copy()
    mask = np.zeros(len(out), dtype=bool)
    totals = np.full(len(out), np.nan)
    if len(out):
        groups = (
            out.groupby(list(within), sort=False, dropna=False).indices
            if within
            else {(): np.arange(len(out))}
        )
        for idx in groups.values():
            values = out[count].to_numpy(dtype=float)[idx]
            result = suppress(values, threshold)
            mask[idx] = result.cells
            totals[idx] = np.nan if result.total else values.sum()
    for col in (count, *dependent):
        out[col] = out[col].astype("Float64").mask(mask)
    out["suppressed"] = mask
    out["group_total"] = pd.array(totals, dtype="Float64")
    return out


def display(value: float | None, *, digits: int = 0) -> str:
    """A figure as shown to a reader: thousands separators, or the withheld mark."""
    if value is None or pd.isna(value):
        return SUPPRESSED_MARK
    return f"{float(value):,.{digits}f}"
