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


def _protect_line(values: np.ndarray, mask: np.ndarray, threshold: int) -> bool:
    """Make one line (with its published total) safe; True if the mask changed."""
    total = values.sum()
    if 0 < total < threshold:
        changed = not mask.all()
        mask[:] = True
        return changed
    hidden = int(mask.sum())
    if hidden != 1:
        return False
    # One hidden cell = total minus the rest: hide the smallest other non-zero
    # cell (zeros reveal nothing when hidden beside it, so skip them).
    candidates = np.where(~mask & (values > 0))[0]
    if candidates.size == 0:
        return False
    mask[candidates[np.argmin(values[candidates])]] = True
    return True


def secondary_mask(
    counts: Sequence[float] | np.ndarray, primary: np.ndarray, threshold: int = DEFAULT_THRESHOLD
) -> np.ndarray:
    """Extend a primary mask so that no published total reveals a hidden cell.

    Parameters
    ----------
    counts
        A vector (one breakdown with its total) or a matrix (a cross-tabulation
        published with row and column totals).
    primary
        The primary mask, same shape.
    threshold
        Threshold of the primary rule (a small line total hides its line).

    Returns
    -------
    numpy.ndarray
        The completed mask (a new array).
    """
    values = np.asarray(counts, dtype=float)
    mask = np.array(primary, dtype=bool, copy=True)
    if values.shape != mask.shape:
        raise ValueError(f"counts {values.shape} and mask {mask.shape} differ in shape")
    if values.ndim == 1:
        _protect_line(values, mask, threshold)
        return mask
    if values.ndim != 2:
        raise ValueError("secondary suppression handles vectors and matrices only")
    changed = True
    while changed:
        changed = False
        # mask[i, :] and mask[:, j] are views: _protect_line writes through them.
        for i in range(values.shape[0]):
            changed |= _protect_line(values[i, :], mask[i, :], threshold)
        for j in range(values.shape[1]):
            changed |= _protect_line(values[:, j], mask[:, j], threshold)
    return mask


def suppress(
    counts: Sequence[float] | np.ndarray, threshold: int = DEFAULT_THRESHOLD,
    *, suppress_zero: bool = False,
) -> np.ndarray:
    """Primary and secondary suppression of a vector or matrix of counts.

    Returns
    -------
    numpy.ndarray
        Boolean mask, True where a figure must be withheld.
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
        ``suppressed`` column.
    """
    out = frame.copy()
    mask = np.zeros(len(out), dtype=bool)
    if len(out):
        groups = (
            out.groupby(list(within), sort=False, dropna=False).indices
            if within
            else {(): np.arange(len(out))}
        )
        for idx in groups.values():
            values = out[count].to_numpy(dtype=float)[idx]
            mask[idx] = suppress(values, threshold)
    for col in (count, *dependent):
        out[col] = out[col].astype("Float64").mask(mask)
    out["suppressed"] = mask
    return out


def display(value: float | None, *, digits: int = 0) -> str:
    """A figure as shown to a reader: thousands separators, or the withheld mark."""
    if value is None or pd.isna(value):
        return SUPPRESSED_MARK
    return f"{float(value):,.{digits}f}"
