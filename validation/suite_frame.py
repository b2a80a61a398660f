"""The frame the expectation suite judges: each column's distinct values, not its rows.

Every expectation of the suite judges one value at a time (is it missing, in
the code list, of the right form), so a value gets the same verdict on every
row that holds it.  The suite therefore runs on the distinct values of each
column: a million-row return with a few thousand distinct dates is judged as
a frame of a few thousand rows, and a 200-row return as a frame of a few dozen.
Each column's distinct values fill the frame from the top (``slot`` 0, 1, ...);
a column with fewer values than the frame has rows repeats its first value,
which changes no verdict.  Verdicts are mapped back to file rows through each
row's slot.

What the suite sees, per column:

- codes: their canonical form (one slot per category; missing is a slot too);
- dates first encountered and estimated ages: the cell as read;
- dates of birth: the cell with every digit masked to ``9`` (the form is
  checked, and no date of birth is handed to the library);
- record references: the *shape* of the reference: each character ``x``,
  except control characters, which are kept (the suite checks length and
  control characters; a million unique references have a few dozen shapes);
- never a name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from collection.schema import field
from validation.distinct import arrow_strings, encode, first_seen, spread
from validation.rules import RuleContext

#: Columns of the return handed to the suite.
SUITE_COLUMNS = ("record_ref", "first_encountered", "date_of_birth", "estimated_age", "sex",
                 "nationality", "exploitation_types", "age_group", "force_area", "nrm_referred")
#: The frame's index column: which distinct value of each column a frame row holds.
SLOT = "slot"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_AGE_FORM = r"\d{1,3}(?:\.0+)?"


@dataclass(frozen=True)
class SuiteFrame:
    """The distinct values handed to the suite, and where each file row's value sits.

    Attributes
    ----------
    frame
        Column :data:`SLOT`, the :data:`SUITE_COLUMNS`, and
        ``estimated_age_years`` (the estimated age as a number).
    slots
        For each column of ``frame``: the slot of each file row's value.
    """

    frame: pd.DataFrame
    slots: dict[str, np.ndarray]

    def rows_at(self, column: str, slots: list[int]) -> np.ndarray:
        """Which file rows hold the values at ``slots`` of ``column`` (boolean, per row)."""
        flagged = np.zeros(len(self.frame), dtype=bool)
        flagged[np.asarray(slots, dtype="int64")] = True
        return flagged[self.slots[column]]


def _slotted(codes: np.ndarray, values: list[str], form: Callable[[str], str] | None = None
             ) -> tuple[np.ndarray, list[str | None]]:
    """Slots of rows given their value codes (-1: missing), and the value at each slot.

    ``form`` (e.g. masking digits) may give several values one slot.
    """
    shown: list[str | None] = [form(v) if form else v for v in values]
    missing = bool((codes < 0).any())
    distinct, slot_of = first_seen([*shown, None] if missing else shown)
    slots = spread(codes, slot_of[:len(values)], int(slot_of[-1]) if missing else 0)
    return slots, cast("list[str | None]", distinct)


_NINES = str.maketrans("0123456789", "9999999999")


def _mask_digits(text: str) -> str:
    return text.translate(_NINES)


def _shape(text: str) -> str:
    return "".join(c if _CONTROL.match(c) else "x" for c in text)


def _ref_shapes(refs: pd.Series) -> tuple[np.ndarray, list[str | None]]:
    """Slots of record references by shape, without a Python string per reference."""
    arr = arrow_strings(refs)
    length = pc.fill_null(pc.utf8_length(arr), -1).to_numpy().astype("int64")
    control = pc.fill_null(pc.match_substring_regex(arr, _CONTROL.pattern), False).to_numpy()
    # Shapes without control characters are told apart by their length alone.
    plain = ~control
    lengths, plain_slots = np.unique(length[plain], return_inverse=True)
    shown: list[str | None] = [None if n < 0 else "x" * n for n in lengths.tolist()]
    slots = np.zeros(len(length), dtype="int64")
    slots[plain] = plain_slots
    if control.any():  # rare: shaped one by one
        odd_slots, odd = _slotted(*encode(refs[control]), _shape)
        slots[control] = odd_slots + len(shown)
        shown += odd
    return slots, shown


def _category_slots(values: pd.Series) -> tuple[np.ndarray, list[str | None]]:
    cat = values.array
    assert isinstance(cat, pd.Categorical)
    return _slotted(cat.codes.astype("int64"), [str(c) for c in cat.categories])


def suite_frame(ctx: RuleContext) -> SuiteFrame:
    """The frame the suite runs on (no names; dates of birth masked; references as shapes)."""
    columns: dict[str, tuple[np.ndarray, list[str | None]]] = {}
    for name in SUITE_COLUMNS:
        if name == "record_ref":
            columns[name] = _ref_shapes(ctx.data[name])
        elif field(name).kind in ("code", "codes"):
            columns[name] = _category_slots(ctx.typed[name])
        else:
            columns[name] = _slotted(*encode(ctx.data[name]),
                                     _mask_digits if name == "date_of_birth" else None)
    size = max(len(values) for _, values in columns.values())
    frame = pd.DataFrame({SLOT: np.arange(size)})
    for name, (_, values) in columns.items():
        padded = values + [values[0]] * (size - len(values))
        dtype = ctx.data["record_ref"].dtype if name == "record_ref" else "str"
        frame[name] = pd.Series(padded, dtype=dtype)
    age = frame["estimated_age"]
    frame["estimated_age_years"] = pd.to_numeric(
        age.where(age.str.fullmatch(_AGE_FORM).fillna(False).astype(bool)), errors="coerce")
    slots = {name: row_slots for name, (row_slots, _) in columns.items()}
    slots["estimated_age_years"] = slots["estimated_age"]
    return SuiteFrame(frame, slots)
