"""Templates generated from the schema: contents, stamp, and a round trip through validation."""

from __future__ import annotations

import csv

import pandas as pd
from openpyxl import load_workbook

from collection.parse import read_return
from collection.reference import code_list, organisations
from collection.schema import EXPLOITATION_TYPES, FIELD_NAMES, FIELDS, SEX_CODES
from collection.template import csv_template, write_template
from validation import clean_records


def test_xlsx_template_sheets_dropdowns_and_stamp(tmp_path) -> None:
    path = write_template("salvation-army", "2025q3", "xlsx", tmp_path)
    assert path.name == "return_SALVATION-ARMY_2025Q3.xlsx"
    book = load_workbook(path)
    assert book.sheetnames[0] == "Return"
    assert [c.value for c in book["Return"][1]] == list(FIELD_NAMES)
    assert book["Codes"].sheet_state == "hidden" and book["_meta"].sheet_state == "hidden"
    meta = dict(book["_meta"].iter_rows(values_only=True))
    assert meta == {"org_code": "SALVATION-ARMY", "quarter": "2025Q3", "schema_version": "1.0"}
    coded = [f for f in FIELDS if f.kind in ("code", "codes")]
    validations = book["Return"].data_validations.dataValidation
    assert len(validations) == len(coded)
    assert all(v.type == "list" and "Codes" in v.formula1 for v in validations)
    codes = book["Codes"]
    sex_col = [c.value for c in codes[f"{'ABCDEFGHIJKL'[FIELD_NAMES.index('sex')]}"]]
    assert tuple(sex_col[1:1 + len(SEX_CODES)]) == SEX_CODES
    nat_letter = "ABCDEFGHIJKL"[FIELD_NAMES.index("nationality")]
    assert len([c for c in codes[nat_letter] if c.value]) == 1 + len(code_list("nationality"))
    cells = [c.value for row in book["Instructions"].iter_rows() for c in row]
    text = " ".join(str(v) for v in cells if v)
    assert "SALVATION-ARMY" in text and "2025Q3" in text
    for f in FIELDS:
        assert f.label in text and f.description in text
    assert all(code in text for code in EXPLOITATION_TYPES)


def test_round_trip_xlsx(tmp_path, base, validate) -> None:
    """Generate the template, fill rows as a user would, read and validate: clean."""
    path = write_template("METROPOLITAN", "2025Q3", "xlsx", tmp_path)
    book = load_workbook(path)
    rows = [base(i) for i in range(3)]
    for row in rows:
        book["Return"].append([row[name] for name in FIELD_NAMES])
    book.save(path)
    report = validate(path)
    assert report.issues == (), report.to_text()
    clean = clean_records(read_return(path), report)
    assert clean["row"].tolist() == [2, 3, 4]
    assert clean["first_encountered"].tolist() == [pd.Timestamp("2025-08-14")] * 3


def test_round_trip_csv(tmp_path, base, validate) -> None:
    path = tmp_path / "ret.csv"
    path.write_bytes(csv_template("NCA", "2025Q3"))
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(FIELD_NAMES), lineterminator="\r\n")
        writer.writerows([base(i) for i in range(2)])
    assert validate(path, org="NCA").issues == ()


def test_reference_data_is_consistent() -> None:
    orgs = organisations()
    forces = [o for o in orgs.values() if o.list_code == "PF"]
    assert len(forces) == 46  # 43 territorial forces of England and Wales, Scotland, PSNI, BTP
    assert {o.list_code for o in orgs.values()} == {"LA", "NG", "PF", "GO", "GP", "NCA"}
    areas = set(code_list("force_area"))
    assert len(areas) == 47 and {"UNKNOWN", "BTP", "S92000003", "N92000002"} <= areas
    assert all(o.home_force_area in areas for o in orgs.values() if o.home_force_area)
    assert {"GBR", "ALB", "VNM", "ERI", "UNK"} <= set(code_list("nationality"))
    assert code_list("sex") == SEX_CODES
    assert code_list("exploitation_type") == EXPLOITATION_TYPES
