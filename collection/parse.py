"""Read a quarterly return file (CSV or XLSX) into strings, refusing unusable files.

Row numbers
    Every row is numbered as a spreadsheet shows it: the header is row 1, the
    first data row is row 2, and blank rows count (a CSV's records are counted,
    so a quoted cell with a line break in it does not shift later rows).  The
    same numbers appear in every message and report.

Cells
    Values are kept as text, stripped of surrounding white space; an empty cell
    is missing.  Names and references are NFC-normalised (the same name typed on
    two systems can differ in how accents are encoded).  Excel cells typed as
    dates become ISO dates (``YYYY-MM-DD``); whole numbers typed as numbers
    lose their ``.0``.  Interpretation (dates, codes) is the validator's job.

Problems with the file as a whole raise :class:`collection.errors.ReturnFileError`
naming the file, what is wrong and how to fix it; cell contents are never
quoted (they may be names).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from collection import csv_reader, xlsx_reader
from collection.errors import ReturnFileError
from collection.schema import FIELD_NAMES, FIELDS, REQUIRED_FIELDS

#: Name of the data sheet in an XLSX return (else the first sheet is read).
DATA_SHEET = "Return"
#: The column holding each row's file row number.
ROW = "row"
#: Fields that are free text and NFC-normalised.
TEXT_FIELDS = tuple(f.name for f in FIELDS if f.kind == "text")

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_HEADER_ALIASES: dict[str, str] = {}
for _f in FIELDS:
    _HEADER_ALIASES[_f.name] = _f.name
    _HEADER_ALIASES[re.sub(r"[^a-z0-9]+", "_", _f.label.lower()).strip("_")] = _f.name


@dataclass(frozen=True)
class RawReturn:
    """A return file as read, before validation.

    Attributes
    ----------
    file_name
        Name of the file (no directory).
    sha256
        SHA-256 of the raw bytes (hex).
    size
        Size of the raw bytes.
    format
        ``csv`` or ``xlsx``.
    data
        One row per non-blank data row: column ``row`` (file row number, header
        = row 1) and one string column per schema field (missing = null).
    stamp
        What the XLSX template was stamped with (``org_code``, ``quarter``,
        ``schema_version``), empty for CSV.
    """

    file_name: str
    sha256: str
    size: int
    format: str
    data: pd.DataFrame = field(repr=False)
    stamp: dict[str, str] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        """Number of data rows."""
        return len(self.data)


def read_return(path: str | Path, *, name: str | None = None) -> RawReturn:
    """Read a return file.

    Parameters
    ----------
    path
        A ``.csv`` or ``.xlsx`` file; the format is told by the content, not
        the name.
    name
        File name to use in messages (default: ``path``'s name), e.g. the name
        of an uploaded file saved under a temporary path.

    Returns
    -------
    RawReturn

    Raises
    ------
    ReturnFileError
        Empty or unreadable file, wrong encoding, not CSV/XLSX, missing
        required, unknown or duplicated columns, formula cells.  A header
        with no data rows is not an error: it is a nil return (no rows).
    """
    path = Path(path)
    file_name = name or path.name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ReturnFileError(file_name, "the file does not exist.",
                              "Check the path and the file name.") from None
    except IsADirectoryError:
        raise ReturnFileError(file_name, "is a folder, not a file.",
                              "Give the path of the return file itself.") from None
    except OSError as err:
        raise ReturnFileError(file_name, f"the file cannot be read ({err.strerror}).",
                              "Check that it exists and that you may read it.") from None
    return read_return_bytes(raw, file_name)


def read_return_bytes(raw: bytes, file_name: str) -> RawReturn:
    """Read a return from its bytes (e.g. an upload); see :func:`read_return`."""
    digest = hashlib.sha256(raw).hexdigest()
    if not raw or raw.isspace():  # (raw.strip() would copy the file)
        raise ReturnFileError(file_name, "the file is empty.",
                              "Fill in the template (header row and one row per person) and send "
                              "it again.")
    stamp: dict[str, str] = {}
    if raw.startswith(_ZIP_MAGIC):
        fmt = "xlsx"
        sheet, first_row, stamp = xlsx_reader.read_sheet(raw, file_name, DATA_SHEET)
        grid = csv_reader.frame_columns(sheet)
        records = np.arange(first_row, first_row + len(sheet), dtype="int64")
    elif raw.startswith(_OLE_MAGIC):
        raise ReturnFileError(file_name, "is an old-style Excel .xls workbook, which is not "
                                         "accepted.",
                              "Open it in Excel and save it as .xlsx (Excel Workbook) or as CSV "
                              "UTF-8.")
    elif file_name.lower().endswith((".xlsx", ".xlsm")):
        raise ReturnFileError(file_name, "is named as an Excel workbook but is not one (it is "
                                         "not a zip file).",
                              "Send the .xlsx file as saved by Excel, or a CSV file named .csv.")
    else:
        fmt = "csv"
        grid, records = csv_reader.read_grid(raw, file_name, len(REQUIRED_FIELDS))
    data = _to_frame(grid, records, file_name)
    return RawReturn(file_name, digest, len(raw), fmt, data, stamp)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _cells(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, np.ndarray]:
    """Cells stripped of surrounding white space, empty ones missing; and which are filled.

    Stripping is ``str.strip`` of pandas strings (Arrow's ``utf8_trim_whitespace``).
    Empty cells become missing through the validity bitmap alone, so the text
    is not copied again.  Chunk by chunk, so that a column is never held twice.
    """
    chunks, filled = [], []
    for chunk in column.chunks:
        trimmed = pc.utf8_trim_whitespace(chunk)
        if trimmed.offset:  # the bitmap below must start where the values do
            trimmed = pa.concat_arrays([trimmed])
        full = pc.greater(pc.binary_length(trimmed), 0)
        chunks.append(pa.Array.from_buffers(trimmed.type, len(trimmed),
                                            [full.buffers()[1], *trimmed.buffers()[1:]]))
        filled.append(full.to_numpy(zero_copy_only=False))
    return (pa.chunked_array(chunks, column.type),
            np.concatenate(filled) if filled else np.zeros(0, dtype=bool))


def _nfc(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """NFC form of each cell; ASCII cells (nearly all) are NFC already and not looked at."""
    chunks = []
    for chunk in column.chunks:
        other = pc.fill_null(pc.invert(pc.string_is_ascii(chunk)), False)
        if pc.any(other).as_py():
            encoded = pc.dictionary_encode(pc.filter(chunk, other))
            normal = pa.array([unicodedata.normalize("NFC", v)
                               for v in encoded.dictionary.to_pylist()], type=chunk.type)
            chunk = pc.replace_with_mask(chunk, other, pc.take(normal, encoded.indices))
        chunks.append(chunk)
    return pa.chunked_array(chunks, column.type)


def _to_frame(grid: list[pa.ChunkedArray], records: np.ndarray, file_name: str) -> pd.DataFrame:
    """Header checks, blank-row removal and cell clean-up of a grid of strings.

    ``grid`` holds one column per file column; ``records[i]`` is the file row
    of grid row ``i``.
    """
    filled = []
    for j in range(len(grid)):  # in place: each raw column is freed once stripped
        grid[j], filled_j = _cells(grid[j])
        filled.append(filled_j)
    nonblank = np.flatnonzero(reduce(np.logical_or, filled, np.zeros(len(records), dtype=bool)))
    if len(nonblank) == 0:
        raise ReturnFileError(file_name, "has no header row and no data.",
                              "Fill in the template (header row and one row per person).")
    header_at = int(nonblank[0])
    header_row = int(records[header_at])
    header = [(col[header_at].as_py() or "").strip().lstrip("\ufeff") for col in grid]
    at = nonblank[1:]
    if len(at) and at[-1] - at[0] + 1 == len(at):  # no blank rows among the data: no copy
        body = [col.slice(int(at[0]), len(at)) for col in grid]
    else:
        body = [col.take(pa.array(at)) for col in grid]  # blank rows to drop
    keep: list[int] = []
    names: list[str] = []
    unknown: list[str] = []
    for j, title in enumerate(header):
        if not title:
            if filled[j][at].any():
                raise ReturnFileError(
                    file_name, f"column {_column_letter(j)} has data but no header (row "
                               f"{header_row}).",
                    "Put the field name in the header cell or delete the column.",
                    rule="file_template", columns=(_column_letter(j),), row=header_row)
            continue
        key = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")
        canonical = _HEADER_ALIASES.get(key)
        if canonical is None:
            unknown.append(f"'{title}' (column {_column_letter(j)})")
            continue
        keep.append(j)
        names.append(canonical)
    if unknown:
        raise ReturnFileError(
            file_name, f"has columns that are not in the return: {', '.join(unknown)}.",
            f"Delete or rename them; the columns are: {', '.join(FIELD_NAMES)}.",
            rule="file_template", row=header_row,
            columns=tuple(t for j, t in enumerate(header) if t and j not in keep))
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        where = "; ".join(
            f"{n} in columns "
            + ", ".join(_column_letter(j) for j, m in zip(keep, names, strict=True) if m == n)
            for n in dupes)
        raise ReturnFileError(file_name, f"has duplicated columns: {where}.",
                              "Keep one column of each; delete the others.",
                              rule="file_template", columns=tuple(dupes), row=header_row)
    missing = [n for n in REQUIRED_FIELDS if n not in names]
    if missing:
        raise ReturnFileError(
            file_name, f"is missing required columns: {', '.join(missing)} (header is row "
                       f"{header_row}).",
            "Add them (the template has every column), or check the header spelling.",
            rule="file_template", columns=tuple(missing), row=header_row)
    # A header and no data rows is a nil return (nobody encountered this quarter): an
    # empty frame, which validation accepts with a warning.
    data: dict[str, np.ndarray | pd.Series] = {ROW: records[at]}
    for name in FIELD_NAMES:
        if name in names:
            column = body[keep[names.index(name)]]
            data[name] = pd.Series(_nfc(column) if name in TEXT_FIELDS else column, dtype="str")
        else:
            data[name] = pd.Series(pa.nulls(len(at), pa.large_string()), dtype="str")
    return pd.DataFrame(data)
