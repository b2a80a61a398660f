"""Return templates (CSV and XLSX), generated from :mod:`collection.schema` alone.

The XLSX template has three visible parts: the ``Return`` data sheet (header in
row 1, drop-down lists on the coded columns), an ``Instructions`` sheet (each
field's label, whether it is required, description, example and allowed codes,
with the organisation and quarter it is for), and two hidden sheets: ``Codes``
(the code lists the drop-downs point at) and ``_meta`` (the stamp: organisation,
quarter, schema version, which the validator checks against the submission).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from collection.parse import DATA_SHEET
from collection.quarters import parse_quarter
from collection.reference import code_labels, code_list, organisation
from collection.schema import FIELDS, MULTI_SEPARATOR, SCHEMA_VERSION, Field
from collection.xlsx_reader import META_SHEET

CODES_SHEET = "Codes"
INSTRUCTIONS_SHEET = "Instructions"
#: Rows of the data sheet that carry drop-down lists and date formats.
TEMPLATE_ROWS = 5000


def field_codes(f: Field) -> tuple[str, ...]:
    """The allowed codes of a coded field (empty for other fields)."""
    if isinstance(f.codes, str):
        return code_list(f.codes)
    return tuple(f.codes)


def _code_list_name(f: Field) -> str | None:
    if isinstance(f.codes, str):
        return f.codes
    return {"sex": "sex", "age_group": "age_group", "exploitation_types": "exploitation_type",
            "nrm_referred": "nrm"}.get(f.name)


def template_file_name(org_code: str, quarter: str, fmt: str) -> str:
    """Suggested file name, e.g. ``return_METROPOLITAN_2025Q3.xlsx``."""
    return f"return_{organisation(org_code).org_code}_{parse_quarter(quarter)}.{fmt}"


def csv_template(org_code: str, quarter: str) -> bytes:
    """The CSV template: the header row only, UTF-8 with a BOM so Excel reads accents right.

    ``org_code`` and ``quarter`` are checked here and belong in the file name
    (:func:`template_file_name`); a CSV has nowhere else to carry them.
    """
    organisation(org_code)
    parse_quarter(quarter)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([f.name for f in FIELDS])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def xlsx_template(org_code: str, quarter: str) -> bytes:
    """The XLSX template stamped for one organisation and quarter.

    Raises
    ------
    KeyError
        Unknown organisation code.
    ValueError
        Malformed quarter.
    """
    org = organisation(org_code)
    q = parse_quarter(quarter)
    book = Workbook()
    data = book.active
    assert data is not None
    data.title = DATA_SHEET
    codes = book.create_sheet(CODES_SHEET)
    codes.sheet_state = "hidden"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for j, f in enumerate(FIELDS, start=1):
        letter = get_column_letter(j)
        cell = data.cell(row=1, column=j, value=f.name)
        cell.font = bold
        cell.fill = fill
        data.column_dimensions[letter].width = max(14, len(f.name) + 4)
        rows = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
        if f.kind == "date":
            # A column style, not cell formats: empty formatted cells would push rows
            # appended by a program (openpyxl ``append``) below them.
            data.column_dimensions[letter].number_format = "yyyy-mm-dd"
        allowed = field_codes(f)
        if not allowed:
            continue
        codes.cell(row=1, column=j, value=f.name).font = bold
        for i, code in enumerate(allowed, start=2):
            codes.cell(row=i, column=j, value=code)
        source = f"{quote_sheetname(CODES_SHEET)}!${letter}$2:${letter}${len(allowed) + 1}"
        # Several exploitation types may be typed as "labour;criminal": the list only suggests.
        strict = f.kind == "code"
        dv = DataValidation(type="list", formula1=source, allow_blank=not f.required,
                            showErrorMessage=strict, errorStyle="stop" if strict else "information",
                            errorTitle=f.label, error=f"Choose a value from the list ({f.label}).",
                            promptTitle=f.label, prompt=f.description[:250], showInputMessage=True)
        data.add_data_validation(dv)
        dv.add(rows)
    data.freeze_panes = "A2"
    _instructions(book.create_sheet(INSTRUCTIONS_SHEET), org.org_code, org.name, str(q))
    meta = book.create_sheet(META_SHEET)
    meta.sheet_state = "hidden"
    for key, value in (("org_code", org.org_code), ("quarter", str(q)),
                       ("schema_version", SCHEMA_VERSION)):
        meta.append([key, value])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _instructions(ws, org_code: str, org_name: str, quarter: str) -> None:  # type: ignore[no-untyped-def]
    bold = Font(bold=True)
    lines = [
        ("Quarterly return", f"schema {SCHEMA_VERSION}"),
        ("Organisation", f"{org_code} ({org_name})"),
        ("Quarter", quarter),
        ("How", "One row per potential victim your organisation first encountered in the quarter, "
                "on the 'Return' sheet, below the header. Do not rename, reorder or add columns; "
                "leave a cell empty when the value is not known (never write 'unknown' in a name). "
                "Type values, not formulas. Dates as YYYY-MM-DD or DD/MM/YYYY (day first, "
                "4-digit year)."),
        ("", ""),
    ]
    for row in lines:
        ws.append(list(row))
        ws.cell(row=ws.max_row, column=1).font = bold
    ws.append(["Field", "Label", "Required", "Description", "Example", "Allowed codes"])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for f in FIELDS:
        name = _code_list_name(f)
        if isinstance(f.codes, str):
            allowed = f"see the '{CODES_SHEET}' list (data/reference, {len(field_codes(f))} codes)"
        elif name:
            labels = code_labels(name)
            allowed = "; ".join(f"{c} = {labels.get(c, c)}" for c in f.codes)
            if f.kind == "codes":
                allowed += f" (several allowed, separated by '{MULTI_SEPARATOR}')"
        else:
            allowed = ""
        required = "yes" if f.required else "no"
        ws.append([f.name, f.label, required, f.description, f.example, allowed])
    for letter, width in zip("ABCDEF", (22, 30, 10, 70, 18, 70), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def write_template(
    org_code: str, quarter: str, fmt: str = "xlsx", out: str | Path | None = None
) -> Path:
    """Write a template file and return its path.

    Parameters
    ----------
    org_code, quarter
        The organisation and quarter it is for.
    fmt
        ``xlsx`` or ``csv``.
    out
        File or directory to write to (default: the current directory, named
        by :func:`template_file_name`).
    """
    if fmt not in ("xlsx", "csv"):
        raise ValueError(f"format '{fmt}' is not xlsx or csv")
    content = xlsx_template(org_code, quarter) if fmt == "xlsx" else csv_template(org_code, quarter)
    target = Path(out) if out else Path.cwd()
    if target.is_dir():
        target = target / template_file_name(org_code, quarter, fmt)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return target
