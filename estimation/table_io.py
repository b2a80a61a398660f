"""Read and write the capture-table CSV of DESIGN.md section 2.

One 0/1 column per list, a ``count`` column, one row per observed pattern.
Columns whose values are not all 0/1 and that are named in ``STRATUM_COLUMNS``
(or passed as ``strata=``) split the file into strata.  Every fault names the
file, the row (1-based data row; the header is row 0) and the column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from estimation.capture_table import CaptureTable, CaptureTableError

#: Columns recognised as strata without being named explicitly.
STRATUM_COLUMNS = (
    "year",
    "period",
    "quarter",
    "stratum",
    "age_group",
    "sex",
    "exploitation",
    "exploitation_type",
    "region",
    "nationality",
)


def read_capture_tables(
    path: str | Path,
    *,
    strata: Sequence[str] | None = None,
) -> dict[tuple[tuple[str, str], ...], CaptureTable]:
    """Read a capture-table CSV, one table per stratum.

    Parameters
    ----------
    path
        The CSV file.
    strata
        Stratum column names; by default any of :data:`STRATUM_COLUMNS` present.

    Returns
    -------
    dict
        Stratum key (tuple of (column, value) pairs; empty if unstratified) to table,
        in the order the strata first appear.

    Raises
    ------
    CaptureTableError
        Naming the file, row and column at fault and how to fix it.
    """
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise CaptureTableError(
            "file not found", source=source, fix="check the path to the capture-table CSV"
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CaptureTableError(
            f"not UTF-8 text (byte {err.start})",
            source=source,
            fix="save the file as CSV UTF-8",
        ) from None
    return parse_capture_csv(text, source=source, strata=strata)


def read_capture_table(path: str | Path) -> CaptureTable:
    """Read an unstratified capture-table CSV (a stratified file is an error)."""
    tables = read_capture_tables(path)
    if len(tables) != 1 or next(iter(tables)):
        raise CaptureTableError(
            f"the file has {len(tables)} strata where one table was expected",
            source=str(path),
            fix="estimate per stratum, or remove the stratum columns",
        )
    return next(iter(tables.values()))


def parse_capture_csv(
    text: str,
    *,
    source: str = "<text>",
    strata: Sequence[str] | None = None,
) -> dict[tuple[tuple[str, str], ...], CaptureTable]:
    """Parse capture-table CSV text; see :func:`read_capture_tables`."""
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise CaptureTableError(
            "the file is empty", source=source, fix="add a header row and one row per pattern"
        )
    header = [h.strip() for h in rows[0]]
    if "count" not in header:
        raise CaptureTableError(
            "no 'count' column",
            source=source,
            row=0,
            fix="name the column of counts 'count'",
        )
    dupes = {h for h in header if header.count(h) > 1}
    if dupes:
        raise CaptureTableError(
            f"duplicated column names {sorted(dupes)}", source=source, row=0
        )
    if any(not h for h in header):
        raise CaptureTableError("a column has no name", source=source, row=0)
    body = rows[1:]
    if not body:
        raise CaptureTableError(
            "the file has a header but no rows",
            source=source,
            fix="add one row per observed capture pattern",
        )
    stratum_cols = _stratum_columns(header, strata, source)
    list_cols = [h for h in header if h != "count" and h not in stratum_cols]
    if len(list_cols) < 2:
        raise CaptureTableError(
            f"a capture table needs at least 2 lists, found {len(list_cols)} ({list_cols})",
            source=source,
            row=0,
            fix="add a 0/1 column for each list",
        )
    pos = {h: i for i, h in enumerate(header)}
    grouped: dict[tuple[tuple[str, str], ...], tuple[list[list[int]], list[int]]] = {}
    seen: dict[tuple[tuple[tuple[str, str], ...], tuple[int, ...]], int] = {}
    for r, cells in enumerate(body, start=1):
        if len(cells) != len(header):
            raise CaptureTableError(
                f"{len(cells)} fields where the header has {len(header)}",
                source=source,
                row=r,
                fix="give every row one value per column",
            )
        key = tuple((c, cells[pos[c]].strip()) for c in stratum_cols)
        pattern = [_indicator(cells[pos[c]], source, r, c) for c in list_cols]
        count = _count(cells[pos["count"]], source, r)
        if sum(pattern) == 0:
            raise CaptureTableError(
                "the all-absent pattern is the unknown cell and cannot be given a count",
                source=source,
                row=r,
                fix="delete this row",
            )
        dup_key = (key, tuple(pattern))
        if dup_key in seen:
            raise CaptureTableError(
                f"pattern duplicates row {seen[dup_key]}",
                source=source,
                row=r,
                fix="give each pattern one row (add the counts together)",
            )
        seen[dup_key] = r
        pats, counts = grouped.setdefault(key, ([], []))
        pats.append(pattern)
        counts.append(count)
    return {
        key: CaptureTable.from_patterns(list_cols, np.array(p), np.array(c), stratum=key,
                                        source=source)
        for key, (p, c) in grouped.items()
    }


def _stratum_columns(
    header: list[str], strata: Sequence[str] | None, source: str
) -> list[str]:
    if strata is None:
        return [h for h in header if h in STRATUM_COLUMNS]
    missing = [s for s in strata if s not in header]
    if missing:
        raise CaptureTableError(
            f"stratum columns {missing} are not in the file", source=source, row=0
        )
    return list(strata)


def _indicator(value: str, source: str, row: int, column: str) -> int:
    v = value.strip()
    if v in ("0", "1"):
        return int(v)
    if v in ("0.0", "1.0"):
        return int(float(v))
    raise CaptureTableError(
        f"capture indicator is '{value}', not 0 or 1",
        source=source,
        row=row,
        column=column,
        fix="write 1 if the list recorded these people and 0 if not"
        + (
            f" (if '{column}' is a stratum, pass it as a stratum column)"
            if not v.replace(".", "").isdigit()
            else ""
        ),
    )


def _count(value: str, source: str, row: int) -> int:
    v = value.strip()
    try:
        number = float(v)
    except ValueError:
        number = float("nan")
    if not np.isfinite(number) or number != int(number) or number < 0:
        raise CaptureTableError(
            f"count is '{value}', not a whole number of people (0 or more)",
            source=source,
            row=row,
            column="count",
            fix="write the number of people with this capture pattern",
        )
    return int(number)


def format_capture_csv(tables: Iterable[CaptureTable]) -> str:
    """Capture-table CSV text for one or more tables (strata as leading columns)."""
    tables = list(tables)
    if not tables:
        raise ValueError("no tables to write")
    lists = tables[0].lists
    keys = [k for k, _ in tables[0].stratum]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*keys, *lists, "count"])
    for table in tables:
        if table.lists != lists or [k for k, _ in table.stratum] != keys:
            raise ValueError("all strata must share lists and stratum columns")
        values = [v for _, v in table.stratum]
        for cell in np.flatnonzero(table.counts):
            writer.writerow([*values, *table.patterns[cell].tolist(), int(table.counts[cell])])
    return out.getvalue()


def write_capture_csv(tables: CaptureTable | Iterable[CaptureTable], path: str | Path) -> None:
    """Write one table or several strata to ``path`` in the capture-table CSV format."""
    items = [tables] if isinstance(tables, CaptureTable) else list(tables)
    Path(path).write_text(format_capture_csv(items), encoding="utf-8")
