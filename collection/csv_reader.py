"""Read a CSV return into a grid of Arrow string columns, numbering its records.

Two readers give the same grid.  Arrow's CSV reader (``pyarrow.csv``) reads a
million rows in well under a second without making a Python string per cell;
it is tried first.  The pandas C reader is the reference, used whenever the
Arrow reader declines a file: ragged rows (pandas pads short rows as a
spreadsheet does and names a row that is too long, where Arrow's message would
quote the row), a possibly unclosed quote (Arrow reads an unclosed quote to the
end of the file, pandas refuses it; only the last cell can be such a quote, so
the file is declined when it ends with a quote and the last cell as it would be
written quoted), or fewer columns than a return can have.  A test
checks that the two agree on every file the Arrow reader accepts.

Records are numbered from 1 (the first line of the file), empty lines
included: a quoted cell with a line break in it is one record, so it does not
shift the numbers of later rows.
"""

from __future__ import annotations

import codecs
import io
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from collection.errors import ReturnFileError

SAVE_AS_CSV = ("In Excel use File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)', "
               "or send the .xlsx.")
SEND_TEMPLATE = "Send the return as CSV UTF-8 or .xlsx, as made from the template."
_UTF8_BOM = b"\xef\xbb\xbf"
#: Bytes decoded at a time when checking the encoding (the whole file is never one str).
_CHUNK = 1 << 22
#: Columns read as text by the Arrow reader (a return has 12; more are refused later by name).
_MAX_COLUMNS = 4096


def check_encoding(raw: bytes, file_name: str) -> None:
    """Refuse text that is not UTF-8, saying which line holds the first bad byte.

    Raises
    ------
    ReturnFileError
        UTF-16 text, binary data (NUL bytes), or bytes that are not UTF-8.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReturnFileError(file_name, "is UTF-16 text ('Unicode Text'), not UTF-8.",
                              SAVE_AS_CSV)
    if b"\x00" in raw[:65536]:
        raise ReturnFileError(file_name, "contains binary data (NUL bytes): it is not a CSV text "
                                         "file.", SEND_TEMPLATE)
    if raw.isascii() or _valid_utf8(raw):
        return
    # Find the first bad byte (only for a file being refused: this decodes it all).
    view = memoryview(raw)
    offset = 0
    while offset < len(raw):
        try:
            # final=False leaves a character cut by the chunk's end for the next chunk.
            _, used = codecs.utf_8_decode(view[offset:offset + _CHUNK], "strict",
                                          offset + _CHUNK >= len(raw))
        except UnicodeDecodeError as err:
            _refuse_encoding(raw, file_name, offset + err.start)
        offset += used


def _valid_utf8(raw: bytes) -> bool:
    """Whether ``raw`` is UTF-8, checked by Arrow without decoding it into a str."""
    offsets = pa.py_buffer(np.array([0, len(raw)], dtype="int64"))
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(raw)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _refuse_encoding(raw: bytes, file_name: str, position: int) -> None:
    line = raw.count(b"\n", 0, position) + 1
    try:
        raw.decode("cp1252")
        guess = "it looks like Windows-1252 ('ANSI') text"
    except UnicodeDecodeError:
        guess = "it is not text in any encoding darkfigure recognises"
    raise ReturnFileError(file_name, f"is not UTF-8 text (first bad byte on line {line}); "
                                     f"{guess}.", SAVE_AS_CSV)


def sniff_separator(raw: bytes) -> str:
    """The most frequent of ``,``, ``;`` and tab on the first line (``,`` if none)."""
    end = raw.find(b"\n")
    first = raw if end < 0 else raw[:end]
    counts = {sep: first.count(sep.encode()) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > 0 else ","


def read_grid(raw: bytes, file_name: str, min_columns: int = 2
              ) -> tuple[list[pa.ChunkedArray], np.ndarray]:
    """The cells of a CSV file as text, one Arrow string array per column.

    Parameters
    ----------
    raw
        The file's bytes.
    file_name
        Name used in messages.
    min_columns
        Files with fewer columns are left to the reference reader (they are
        refused later; its message is the one users know).

    Returns
    -------
    columns : list of pyarrow.ChunkedArray
        One ``large_string`` array per column (pandas' own string type, so no
        copy is made later), empty cells as ``""`` (never null), not stripped.
    records : numpy.ndarray
        The record number (from 1) of each grid row.

    Raises
    ------
    ReturnFileError
        Not UTF-8 text, or rows that cannot be split into cells.
    """
    check_encoding(raw, file_name)
    sep = sniff_separator(raw)
    return arrow_grid(raw, sep, min_columns) or pandas_grid(raw, sep, file_name)


def arrow_grid(raw: bytes, sep: str, min_columns: int = 2
               ) -> tuple[list[pa.ChunkedArray], np.ndarray] | None:
    """:func:`read_grid` by ``pyarrow.csv``; None where it declines (see the module docstring)."""
    buffer = pa.py_buffer(raw)
    if raw.startswith(_UTF8_BOM):
        buffer = buffer[len(_UTF8_BOM):]
    try:
        table = _arrow_table(buffer, sep)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # ragged rows
    if table.num_columns < min_columns or table.num_rows == 0:
        return None
    last = table.column(table.num_columns - 1)[-1].as_py()
    if raw.endswith(b'"' + last.replace('"', '""').encode()):
        return None  # perhaps an unclosed quote
    return table.columns, np.arange(1, table.num_rows + 1, dtype="int64")


def _arrow_table(buffer: pa.Buffer, sep: str) -> pa.Table:
    return pacsv.read_csv(
        pa.BufferReader(buffer),
        read_options=pacsv.ReadOptions(autogenerate_column_names=True),
        parse_options=pacsv.ParseOptions(delimiter=sep, quote_char='"', double_quote=True,
                                         escape_char=False, newlines_in_values=True,
                                         ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            column_types={f"f{i}": pa.large_string() for i in range(_MAX_COLUMNS)},
            strings_can_be_null=False, quoted_strings_can_be_null=False, null_values=[],
            check_utf8=False),  # checked by check_encoding
    )


def pandas_grid(raw: bytes, sep: str, file_name: str) -> tuple[list[pa.ChunkedArray], np.ndarray]:
    """:func:`read_grid` by the pandas C reader (the reference; slower, names bad rows)."""
    try:
        grid = pd.read_csv(
            io.BytesIO(raw), sep=sep, header=None, dtype=str, encoding="utf-8-sig",
            keep_default_na=False, na_filter=False, skip_blank_lines=False, engine="c",
        )
    except pd.errors.ParserError as err:
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        where = (f"row {match.group(2)} has {match.group(3)} cells but the header has "
                 f"{match.group(1)}"
                 if match else "its rows could not be split into cells")
        raise ReturnFileError(file_name, f"is not a well-formed CSV file: {where}.",
                              "Check for a stray comma or an unclosed quote (\") in that row, "
                              "or send the .xlsx instead.",
                              row=int(match.group(2)) if match else None) from None
    except (pd.errors.EmptyDataError, UnicodeDecodeError, ValueError):
        raise ReturnFileError(file_name, "could not be read as a CSV file.",
                              SEND_TEMPLATE) from None
    return frame_columns(grid), np.arange(1, len(grid) + 1, dtype="int64")


def frame_columns(grid: pd.DataFrame) -> list[pa.ChunkedArray]:
    """A pandas grid of text (missing cells as NaN) as Arrow string columns ('' for missing)."""
    return [pa.chunked_array([pa.array(grid[c].fillna("").astype("str").to_numpy(dtype=object),
                                       type=pa.large_string())])
            for c in grid.columns]
