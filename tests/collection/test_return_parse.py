"""Reading return files: accepted variants, and a clear error for each unusable file."""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata

import pytest
from openpyxl import Workbook

from collection.errors import ReturnFileError
from collection.parse import read_return
from collection.schema import FIELD_NAMES, REQUIRED_FIELDS

HEADER = ",".join(FIELD_NAMES)
ROW = "R1,2025-08-14,Maria,Popescu,1994-03-02,,female,ROU,labour,adult,E23000001,yes"


def write(tmp_path, content: bytes, name: str = "ret.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_csv_rows_are_numbered_as_in_a_spreadsheet(tmp_path) -> None:
    """Blank rows are skipped but counted; a quoted line break does not shift rows."""
    quoted = ROW.replace("R1", "R2").replace("Maria", '"Ma\nria"')
    text = "\n".join([HEADER, ROW, "", quoted, ROW.replace("R1", "R3")]) + "\n"
    raw = read_return(write(tmp_path, text.encode()))
    assert raw.data["row"].tolist() == [2, 4, 5]
    assert raw.data["record_ref"].tolist() == ["R1", "R2", "R3"]
    assert raw.format == "csv" and raw.n_rows == 3
    assert raw.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert raw.size == len(text.encode())


def test_bom_spaces_labels_semicolons_and_missing_optional_columns(tmp_path) -> None:
    header = [f"  {n.upper()} " for n in FIELD_NAMES if n not in ("estimated_age", "date_of_birth")]
    header[0] = "Record reference"  # the label is accepted too
    values = ["R1", "2025-08-14", " Maria ", "Popescu", "female", "ROU", "labour,criminal",
              "adult", "E23000001", "yes"]
    text = ";".join(header) + "\r\n" + ";".join(values) + "\r\n"
    raw = read_return(write(tmp_path, b"\xef\xbb\xbf" + text.encode()))
    assert list(raw.data.columns) == ["row", *FIELD_NAMES]
    row = raw.data.iloc[0]
    assert row["given_name"] == "Maria"
    assert row["exploitation_types"] == "labour,criminal"
    assert raw.data["estimated_age"].isna().all()


def test_names_are_nfc_normalised(tmp_path) -> None:
    decomposed = unicodedata.normalize("NFD", "Núñez")
    raw = read_return(write(tmp_path, f"{HEADER}\n{ROW.replace('Popescu', decomposed)}\n".encode()))
    assert raw.data.loc[0, "family_name"] == unicodedata.normalize("NFC", "Núñez")


def test_xlsx_typed_cells(tmp_path) -> None:
    book = Workbook()
    ws = book.active
    ws.title = "Return"
    ws.append(list(FIELD_NAMES))
    ws.append(["R1", dt.datetime(2025, 8, 14), "Maria", "Popescu", dt.date(1994, 3, 2), 31.0,
               "female", "ROU", "labour", "adult", "E23000001", "yes"])
    ws.append([])
    ws.append([123, "14/08/2025", None, None, None, 40, "male", "ALB", "criminal", "adult",
               "UNKNOWN", "no"])
    path = tmp_path / "ret.xlsx"
    book.save(path)
    raw = read_return(path)
    assert raw.format == "xlsx"
    assert raw.data["row"].tolist() == [2, 4]
    first, second = raw.data.iloc[0], raw.data.iloc[1]
    assert (first["first_encountered"], first["date_of_birth"], first["estimated_age"]) == (
        "2025-08-14", "1994-03-02", "31")
    assert second["record_ref"] == "123"


def _xlsx_with_formula(tmp_path, cell: str):
    book = Workbook()
    ws = book.active
    ws.append(list(FIELD_NAMES))
    ws.append(ROW.split(","))
    ws[cell] = "=UPPER(\"secret\")"
    path = tmp_path / "formula.xlsx"
    book.save(path)
    return path


def _error(path) -> ReturnFileError:
    with pytest.raises(ReturnFileError) as info:
        read_return(path)
    assert str(info.value).startswith(path.name + ":")
    return info.value


@pytest.mark.parametrize(("content", "name", "phrase"), [
    (b"", "ret.csv", "empty"),
    (b"  \n\n", "ret.csv", "empty"),
    ((b"record_ref,given_name\nR1,Ana\n"), "ret.csv", "missing required columns"),
    ((HEADER + ",notes\n" + ROW + ",x\n").encode(), "ret.csv", "'notes' (column M)"),
    ((HEADER + ",sex\n" + ROW + ",male\n").encode(), "ret.csv", "sex in columns G, M"),
    ((HEADER + "\n" + ROW + ",extra\n").encode(), "ret.csv", "row 2 has 13 cells"),
    ((HEADER + "\n" + ROW.replace("Popescu", "Pópescu") + "\n").encode("cp1252"), "ret.csv",
     "Windows-1252"),
    ((HEADER + "\n" + ROW + "\n").encode("utf-16"), "ret.csv", "UTF-16"),
    (b"\x00\x01\x02binary", "ret.csv", "binary data"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "ret.xls", ".xls workbook"),
    (b"PK\x03\x04garbage", "ret.xlsx", "not a readable Excel"),
    (b"plain text", "ret.xlsx", "not one"),
])
def test_unusable_files(tmp_path, content, name, phrase) -> None:
    err = _error(write(tmp_path, content, name))
    assert phrase in str(err)
    assert err.fix and err.exit_code == 2
    # Which report rule a quarantined file gets: the template's columns, or readability.
    template = any(w in phrase for w in ("missing required", "column M", "columns G"))
    assert err.rule == ("file_template" if template else "file_readable")


@pytest.mark.parametrize("content", [HEADER.encode() + b"\n",
                                     HEADER.encode() + b"\n,,,,\n\n"])
def test_header_only_is_a_nil_return(tmp_path, content) -> None:
    """A header and no data rows reads as a return of no rows (validation warns)."""
    raw = read_return(write(tmp_path, content, "nil.csv"))
    assert raw.n_rows == 0 and list(raw.data.columns) == ["row", *FIELD_NAMES]


def test_template_errors_name_columns_and_header_row(tmp_path) -> None:
    """The columns a wrong template lacks (or has extra) and its header row go into the
    file-level report of a quarantined file."""
    err = _error(write(tmp_path, b"record_ref,given_name\nR1,Ana\n", "ret.csv"))
    assert err.row == 1 and "sex" in err.columns and "record_ref" not in err.columns
    err = _error(write(tmp_path, (HEADER + ",notes\n" + ROW + ",x\n").encode(), "ret.csv"))
    assert err.columns == ("notes",) and err.row == 1


def test_empty_workbook(tmp_path) -> None:
    path = tmp_path / "empty.xlsx"
    Workbook().save(path)
    assert "no header row and no data" in str(_error(path))


def test_missing_columns_are_all_named(tmp_path) -> None:
    keep = [n for n in FIELD_NAMES if n not in ("sex", "nationality")]
    err = _error(write(tmp_path, (",".join(keep) + "\n" + ",".join(["x"] * len(keep))).encode()))
    assert "sex" in str(err) and "nationality" in str(err)
    assert set(REQUIRED_FIELDS) >= {"sex", "nationality"}


def test_formula_cell_is_refused_by_its_address(tmp_path) -> None:
    err = _error(_xlsx_with_formula(tmp_path, "C2"))
    assert "cell C2" in str(err)
    assert "secret" not in str(err)  # the formula's content is never quoted


def test_missing_file(tmp_path) -> None:
    err = _error(tmp_path / "nowhere.csv")
    assert "does not exist" in str(err)
