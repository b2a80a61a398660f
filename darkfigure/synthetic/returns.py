"""Writing the synthetic returns: one file per organisation per quarter.

Columns and their order come from :mod:`collection.schema`.  Most organisations
send CSV, a few XLSX; some write dates as DD/MM/YYYY.  As in practice, some
first attempts fail and are followed by a corrected resubmission: a return with
invalid rows (intake quarantines it), and in the last quarter two broken files
(a truncated workbook and a file on an old template, which intake quarantines
with a file-level report).  ``returns/manifest.csv`` lists every file in the
order to submit them, with what intake should do with it (``expected``: loaded
or quarantined).
"""

from __future__ import annotations

import csv
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

from collection.schema import FIELD_NAMES
from darkfigure.synthetic.noise import INVALID
from darkfigure.synthetic.organisations import Organisation

#: Organisations (by name) that send their returns as Excel workbooks.
XLSX_SENDERS = ("National Crime Agency", "Border Force", "Kent County Council", "Dorset Police")
#: Column headers of the old template a broken first attempt is written on.
OLD_TEMPLATE = ("Ref", "Date", "Forename", "Surname", "DOB", "Age", "Gender", "Nationality",
                "Exploitation", "Adult/Child", "Force", "NRM")
MANIFEST_COLUMNS = ("order", "path", "org_code", "org_name", "list", "quarter", "format",
                    "rows", "expected", "note")


@dataclass(frozen=True)
class WrittenReturn:
    """One file written, as listed in the manifest."""

    path: str
    org_code: str
    org_name: str
    list: str
    quarter: str
    format: str
    rows: int
    expected: str
    note: str = ""


def quarters_of(years: list[int]) -> list[str]:
    """``[2024] -> ["2024Q1", ..., "2024Q4"]``."""
    return [f"{y}Q{q}" for y in years for q in range(1, 5)]


def assign_record_refs(rows: pd.DataFrame) -> pd.DataFrame:
    """Give each row the organisation's own reference, ``<ORG>-<year>-<seq>``.

    Numbering follows the date an organisation met the person; a person keyed in
    twice gets two references, as in a real case system.
    """
    rows = rows.sort_values(["org_code", "quarter", "first_encountered", "encounter"],
                            kind="stable")
    year = rows["quarter"].str[:4]
    seq = rows.groupby([rows["org_code"], year]).cumcount() + 1
    return rows.assign(
        record_ref=rows["org_code"] + "-" + year + "-" + seq.map("{:06d}".format)
    )


def write_returns(
    out: Path,
    rows: pd.DataFrame,
    organisations: list[Organisation],
    quarters: list[str],
    *,
    nil_returns: bool = False,
    broken: bool = True,
) -> tuple[list[WrittenReturn], pd.DataFrame]:
    """Write every organisation's return for every quarter under ``out/returns``.

    Parameters
    ----------
    out
        Output directory.
    rows
        Noisy rows with ``record_ref`` (see :func:`assign_record_refs`).
    organisations
        Organisations that submit.
    quarters
        Quarters to write, in order.
    nil_returns
        Write a header-only file for an organisation with nothing to report
        (intake refuses those today, so off by default).
    broken
        Add the broken first attempts in the last quarter.  A return with
        invalid rows is always written twice: as sent (quarantined at intake)
        and corrected.

    Returns
    -------
    tuple
        The manifest entries and, per written row, ``path``, ``row`` (1-based data
        row), ``record_ref``, ``person_id``, ``row_kind`` for the truth.
    """
    rows = _localise_dates(rows).reset_index(drop=True)
    body = rows[list(FIELD_NAMES)].astype(str).to_numpy(dtype=object)
    kinds = rows["row_kind"].to_numpy()
    groups = rows.groupby(["org_code", "quarter"], sort=False).indices
    written: list[WrittenReturn] = []
    truth_paths: list[np.ndarray] = []
    truth_index: list[np.ndarray] = []
    broken_for = _broken_plan(organisations, quarters[-1]) if broken else {}
    for quarter in quarters:
        folder = out / "returns" / quarter
        folder.mkdir(parents=True, exist_ok=True)
        for org in organisations:
            idx = groups.get((org.code, quarter))
            if idx is None and not nil_returns:
                continue
            fmt = "xlsx" if org.name in XLSX_SENDERS else "csv"
            idx = np.asarray(idx if idx is not None else [], dtype=int)
            invalid = kinds[idx] == INVALID
            first_try = None
            if (org.code, quarter) in broken_for:
                first_try = folder / f"{org.code}_{quarter}_attempt1.{fmt}"
                note = _write_broken(first_try, body[idx[~invalid]].tolist(),
                                     broken_for[(org.code, quarter)], fmt)
                written.append(_entry(out, first_try, org, quarter, fmt, int((~invalid).sum()),
                                      "quarantined", note))
            elif invalid.any():
                # The return with invalid rows is quarantined; a corrected one follows.
                first_try = folder / f"{org.code}_{quarter}_attempt1.{fmt}"
                _write(first_try, list(FIELD_NAMES), body[idx].tolist(), fmt)
                written.append(_entry(out, first_try, org, quarter, fmt, len(idx),
                                      "quarantined", f"{int(invalid.sum())} invalid row(s)"))
                truth_paths.append(np.full(len(idx), str(first_try.relative_to(out)), object))
                truth_index.append(idx)
            keep = idx[~invalid]
            path = folder / f"{org.code}_{quarter}.{fmt}"
            _write(path, list(FIELD_NAMES), body[keep].tolist(), fmt)
            note = "corrected resubmission" if first_try else ("nil return" if not len(keep)
                                                               else "")
            written.append(_entry(out, path, org, quarter, fmt, len(keep), "loaded", note))
            truth_paths.append(np.full(len(keep), str(path.relative_to(out)), dtype=object))
            truth_index.append(keep)
    order = np.concatenate(truth_index) if truth_index else np.array([], dtype=int)
    truth = pd.DataFrame({
        "path": np.concatenate(truth_paths) if truth_paths else [],
        # 1-based data row within its file.
        "row": np.concatenate([np.arange(1, len(i) + 1) for i in truth_index])
        if truth_index else [],
        "record_ref": rows["record_ref"].to_numpy()[order],
        "person_id": rows["person_id"].to_numpy()[order],
        "row_kind": rows["row_kind"].to_numpy()[order],
    })
    manifest = pd.DataFrame([w.__dict__ for w in written])
    manifest.insert(0, "order", range(1, len(manifest) + 1))
    (out / "returns").mkdir(parents=True, exist_ok=True)
    manifest[list(MANIFEST_COLUMNS)].to_csv(out / "returns" / "manifest.csv", index=False)
    return written, truth


def uses_day_first(org_code: str) -> bool:
    """Whether an organisation writes dates as DD/MM/YYYY (about a third do)."""
    return zlib.crc32(org_code.encode()) % 3 == 0


def _localise_dates(rows: pd.DataFrame) -> pd.DataFrame:
    """Dates as DD/MM/YYYY in the returns of organisations that write them so."""
    rows = rows.copy()
    day_first = rows["org_code"].map(uses_day_first).to_numpy(dtype=bool)
    for col in ("first_encountered", "date_of_birth"):
        text = rows[col].astype(str)
        iso = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").to_numpy(dtype=bool)
        pick = day_first & iso
        sub = text[pick]
        rows.loc[pick, col] = sub.str[8:10] + "/" + sub.str[5:7] + "/" + sub.str[0:4]
    return rows


def _write(path: Path, header: list[str], body: list[list[str]], fmt: str) -> None:
    if fmt == "xlsx":
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Return")
        sheet.append(header)
        for line in body:
            sheet.append(line)
        book.save(path)
        return
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(body)


def _broken_plan(organisations: list[Organisation], quarter: str) -> dict[tuple[str, str], str]:
    """Which returns of the last quarter get a broken first attempt, and how."""
    plan: dict[tuple[str, str], str] = {}
    xlsx = [o for o in organisations if o.name in XLSX_SENDERS]
    csvs = [o for o in organisations if o.name not in XLSX_SENDERS and o.list == "PF"]
    if xlsx:
        plan[(xlsx[0].code, quarter)] = "truncated"
    if csvs:
        plan[(csvs[0].code, quarter)] = "old-template"
    return plan


def _write_broken(path: Path, lines: list[list[str]], kind: str, fmt: str) -> str:
    if kind == "truncated":
        _write(path, list(FIELD_NAMES), lines, fmt)
        data = path.read_bytes()
        path.write_bytes(data[: max(64, len(data) // 3)])
        return "truncated file (upload interrupted)"
    _write(path, list(OLD_TEMPLATE), lines, fmt)
    return "written on an old template (wrong column names)"


def _entry(out: Path, path: Path, org: Organisation, quarter: str, fmt: str, rows: int,
           expected: str, note: str) -> WrittenReturn:
    return WrittenReturn(str(path.relative_to(out)), org.code, org.name, org.list, quarter, fmt,
                         rows, expected, note)
