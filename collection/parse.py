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
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from collection import xlsx_reader
from collection.errors import ReturnFileError
from collection.schema import FIELD_NAMES, FIELDS, REQUIRED_FIELDS

#: Name of the data sheet in an XLSX return (else the first sheet is read).
DATA_SHEET = "Return"
#: The column holding each row's file row number.
ROW = "row"
#: Fields that are free text and NFC-normalised.
TEXT_FIELDS = tuple(f.name for f in FIELDS if f.kind == "text")

_SAVE_AS_CSV = ("In Excel use File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)', "
                "or send the .xlsx.")
_SEND_TEMPLATE = "Send the return as CSV UTF-8 or .xlsx, as made from the template."
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
        Empty or unreadable file, wrong encoding, not CSV/XLSX, header only,
        missing required, unknown or duplicated columns, formula cells.
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
    if not raw.strip():
        raise ReturnFileError(file_name, "the file is empty.",
                              "Fill in the template (header row and one row per person) and send "
                              "it again.")
    stamp: dict[str, str] = {}
    if raw.startswith(_ZIP_MAGIC):
        fmt = "xlsx"
        grid, first_row, stamp = xlsx_reader.read_sheet(raw, file_name, DATA_SHEET)
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
        grid, first_row = _read_csv_grid(raw, file_name)
    data = _to_frame(grid, first_row, file_name)
    return RawReturn(file_name, digest, len(raw), fmt, data, stamp)


def _decode_check(raw: bytes, file_name: str) -> str:
    """Check the text encoding; return the codec for pandas."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReturnFileError(file_name, "is UTF-16 text ('Unicode Text'), not UTF-8.",
                              _SAVE_AS_CSV)
    if b"\x00" in raw[:65536]:
        raise ReturnFileError(file_name, "contains binary data (NUL bytes): it is not a CSV text "
                                         "file.",
                              "Send the return as CSV UTF-8 or .xlsx, as made from the template.")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        try:
            raw.decode("cp1252")
            guess = "it looks like Windows-1252 ('ANSI') text"
        except UnicodeDecodeError:
            guess = "it is not text in any encoding darkfigure recognises"
        raise ReturnFileError(file_name, f"is not UTF-8 text (first bad byte on line {line}); "
                                         f"{guess}.",
                              _SAVE_AS_CSV) from None
    return "utf-8-sig"


def _sniff_separator(raw: bytes) -> str:
    first = raw.split(b"\n", 1)[0]
    counts = {sep: first.count(sep.encode()) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > 0 else ","


def _read_csv_grid(raw: bytes, file_name: str) -> tuple[pd.DataFrame, int]:
    encoding = _decode_check(raw, file_name)
    try:
        grid = pd.read_csv(
            io.BytesIO(raw), sep=_sniff_separator(raw), header=None, dtype=str, encoding=encoding,
            keep_default_na=False, na_filter=False, skip_blank_lines=False, engine="c",
        )
    except pd.errors.ParserError as err:
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        where = (f"row {match.group(2)} has {match.group(3)} cells but the header has "
                 f"{match.group(1)}"
                 if match else "its rows could not be split into cells")
        raise ReturnFileError(file_name, f"is not a well-formed CSV file: {where}.",
                              "Check for a stray comma or an unclosed quote (\") in that row, "
                              "or send the .xlsx instead.") from None
    except (pd.errors.EmptyDataError, UnicodeDecodeError, ValueError):
        raise ReturnFileError(file_name, "could not be read as a CSV file.",
                              _SEND_TEMPLATE) from None
    return grid, 1


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _to_frame(grid: pd.DataFrame, first_row: int, file_name: str) -> pd.DataFrame:
    """Header checks, blank-row removal and cell clean-up of a grid of strings."""
    grid = grid.fillna("").astype("str")
    grid.columns = pd.RangeIndex(grid.shape[1])
    grid.index = pd.RangeIndex(first_row, first_row + len(grid))
    grid = grid.apply(lambda col: col.str.strip())
    blank = (grid == "").all(axis=1)
    nonblank = grid.index[~blank]
    if len(nonblank) == 0:
        raise ReturnFileError(file_name, "has no header row and no data.",
                              "Fill in the template (header row and one row per person).")
    header_row = int(nonblank[0])
    header = [str(h).strip().lstrip("\ufeff") for h in grid.loc[header_row]]
    body = grid.loc[nonblank[1:]]
    keep: list[int] = []
    names: list[str] = []
    unknown: list[str] = []
    for j, title in enumerate(header):
        if not title:
            if (body[j] != "").any():
                raise ReturnFileError(
                    file_name, f"column {_column_letter(j)} has data but no header (row "
                               f"{header_row}).",
                    "Put the field name in the header cell or delete the column.")
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
            f"Delete or rename them; the columns are: {', '.join(FIELD_NAMES)}.")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        where = "; ".join(
            f"{n} in columns "
            + ", ".join(_column_letter(j) for j, m in zip(keep, names, strict=True) if m == n)
            for n in dupes)
        raise ReturnFileError(file_name, f"has duplicated columns: {where}.",
                              "Keep one column of each; delete the others.")
    missing = [n for n in REQUIRED_FIELDS if n not in names]
    if missing:
        raise ReturnFileError(
            file_name, f"is missing required columns: {', '.join(missing)} (header is row "
                       f"{header_row}).",
            "Add them (the template has every column), or check the header spelling.")
    if body.empty:
        raise ReturnFileError(file_name, "has a header row but no data rows.",
                              "Add one row per person encountered in the quarter, below the "
                              "header.")
    data = pd.DataFrame({ROW: body.index.to_numpy(dtype="int64")})
    for name in FIELD_NAMES:
        if name in names:
            col = body[keep[names.index(name)]]
            if name in TEXT_FIELDS:
                col = col.str.normalize("NFC")
            data[name] = col.where(col != "").reset_index(drop=True)
        else:
            data[name] = pd.Series(pd.NA, index=range(len(body)), dtype="str")
    return data.reset_index(drop=True)
