"""Small-count suppression (darkfigure.disclosure): primary and secondary rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from darkfigure.disclosure import (
    SUPPRESSED_MARK,
    display,
    primary_mask,
    secondary_mask,
    suppress,
    suppress_frame,
)


def test_primary_withholds_counts_below_threshold_but_not_zero():
    mask = primary_mask([0, 1, 4, 5, 120])
    assert mask.tolist() == [False, True, True, False, False]
    assert primary_mask([0, 3], suppress_zero=True).tolist() == [True, True]
    assert primary_mask([6, 9], threshold=10).tolist() == [True, True]


def test_primary_rejects_meaningless_threshold():
    with pytest.raises(ValueError, match="threshold"):
        primary_mask([1, 2], threshold=0)


def test_one_hidden_cell_beside_a_total_gets_a_partner():
    # 3 alone would be 120 - (40 + 77); the smallest other cell is hidden too.
    mask = suppress([40, 3, 77]).cells
    assert mask.tolist() == [True, True, False]


def test_zero_cells_are_not_chosen_as_partners():
    assert suppress([0, 3, 50, 9]).cells.tolist() == [False, True, False, True]


def test_small_total_is_withheld_with_its_cells():
    result = suppress([2, 1, 0])
    assert result.cells.tolist() == [True, True, False] and result.total


def test_single_hidden_cell_with_no_partner_hides_the_total():
    # Row [0, 1, 5]: 1 is small, 5 its partner; column 3 then holds only the
    # hidden 5, so its total (also 5) must be withheld as well.
    result = suppress(np.array([[0, 1, 5], [9, 0, 0]]))
    assert result.cells.tolist() == [[False, True, True], [False, False, False]]
    assert result.column_totals.tolist() == [False, True, True]
    assert result.row_totals.tolist() == [False, False] and not result.total


def test_two_hidden_cells_need_no_partner():
    result = suppress([2, 3, 90])
    assert result.cells.tolist() == [True, True, False] and not result.total


def test_matrix_rows_and_columns_are_protected():
    table = np.array([[20, 3, 30], [25, 40, 35], [50, 60, 70]])
    result = suppress(table)
    assert result.cells[0, 1]
    assert not _recoverable(table, result)


def test_secondary_checks_shapes():
    with pytest.raises(ValueError, match="shape"):
        secondary_mask([1, 2, 3], np.array([True, False]))


def _lines(values: np.ndarray, result) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every published equation: (cells and total, which of them are withheld)."""
    if values.ndim == 1:
        return [(np.append(values, values.sum()), np.append(result.cells, result.total))]
    full = np.block([
        [values, values.sum(axis=1, keepdims=True)],
        [values.sum(axis=0, keepdims=True), np.array([[values.sum()]])],
    ])
    hidden = np.block([
        [result.cells, result.row_totals[:, None]],
        [result.column_totals[None, :], np.array([[result.total]])],
    ])
    return [*zip(full, hidden, strict=True), *zip(full.T, hidden.T, strict=True)]


def _recoverable(values: np.ndarray, result) -> bool:
    """True if some line has exactly one withheld figure: it is solved by subtraction."""
    return any(h.sum() == 1 for _, h in _lines(values, result))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.integers(0, 40), min_size=3, max_size=3), min_size=1, max_size=5))
def test_no_withheld_figure_can_be_recovered_by_subtraction(rows):
    values = np.array(rows)
    result = suppress(values)
    assert not _recoverable(values, result)
    for line, hidden in _lines(values, result):
        assert not ((line > 0) & (line < 5) & ~hidden).any()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=8))
def test_vectors_are_safe(values):
    values = np.array(values)
    result = suppress(values)
    assert not _recoverable(values, result)
    assert not ((values > 0) & (values < 5) & ~result.cells).any()


def test_frame_groups_and_dependent_columns():
    frame = pd.DataFrame({
        "year": [2023, 2023, 2023, 2024, 2024],
        "age_group": ["adult", "child", "unknown", "adult", "child"],
        "observed": [500, 2, 60, 520, 70],
        "estimate": [1500.0, 9.0, 200.0, 1600.0, 210.0],
    })
    out = suppress_frame(frame, "observed", within=["year"], dependent=["estimate"])
    assert out["suppressed"].tolist() == [False, True, True, False, False]
    assert out.loc[1, "observed"] is pd.NA and out.loc[1, "estimate"] is pd.NA
    assert out.loc[3, "estimate"] == 1600.0
    assert out["group_total"].tolist() == [562, 562, 562, 590, 590]
    assert frame.loc[1, "observed"] == 2  # the input is not modified


def test_display_marks_withheld_values():
    assert display(pd.NA) == SUPPRESSED_MARK
    assert display(None) == SUPPRESSED_MARK
    assert display(12345.4) == "12,345"
    assert display(2.345, digits=1) == "2.3"
