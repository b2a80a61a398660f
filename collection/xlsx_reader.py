"""Read the data sheet of an XLSX return into a grid of strings (openpyxl, read-only)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time
from typing import Any

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from collection.errors import ReturnFileError

#: Hidden sheet of the template that records what it was made for.
META_SHEET = "_meta"


def _cell_text(value: Any) -> str:
    """A typed cell value as the text the CSV of the same return would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_sheet(raw: bytes, file_name: str, sheet: str) -> tuple[pd.DataFrame, int, dict[str, str]]:
    """The cells of the data sheet as strings, the row number of its first row, and the stamp.

    The sheet called ``sheet`` is read if there is one, else the first sheet.
    A formula cell is refused (its value is not in the file unless Excel saved
    one, and a formula can pull in data from elsewhere); the message names the
    cell but never its content.
    """
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError):
        raise ReturnFileError(file_name, "is not a readable Excel .xlsx workbook.",
                              "Open it in Excel, save it as .xlsx (Excel Workbook), and send it "
                              "again; "
                              "or send CSV UTF-8.") from None
    try:
        ws = book[sheet] if sheet in book.sheetnames else book.worksheets[0]
        rows: list[list[str]] = []
        first_row = 0
        width = 0
        for cells in ws.iter_rows():
            texts: list[str] = []
            for cell in cells:
                if getattr(cell, "data_type", None) == "f":
                    where = f"{get_column_letter(cell.column)}{cell.row}"
                    raise ReturnFileError(
                        file_name,
                        f"cell {where} of sheet '{ws.title}' holds a formula; formulas are not "
                        "accepted.",
                        "Replace formulas by their values (copy, then Paste Special > Values) "
                        "and send it again.",
                        columns=(get_column_letter(cell.column),), row=cell.row)
                texts.append(_cell_text(cell.value))
            row_no = next((c.row for c in cells if getattr(c, "row", None)), None)
            if not rows:
                if not any(texts):
                    continue  # leading blank rows before the header
                first_row = row_no or 1
            elif row_no is not None and row_no > first_row + len(rows):
                rows.extend([[] for _ in range(row_no - first_row - len(rows))])
            while texts and not texts[-1]:
                texts.pop()
            width = max(width, len(texts))
            rows.append(texts)
        stamp = _read_stamp(book)
    finally:
        book.close()
    grid = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype="str")
    return grid, first_row or 1, stamp


def _read_stamp(book: Any) -> dict[str, str]:
    if META_SHEET not in book.sheetnames:
        return {}
    stamp: dict[str, str] = {}
    for key, value, *_ in book[META_SHEET].iter_rows(values_only=True, max_col=2):
        if key:
            stamp[str(key)] = _cell_text(value)
    return stamp
