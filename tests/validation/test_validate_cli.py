"""``darkfigure validate`` and ``template``: exit codes, reports, malformed returns, and privacy."""

from __future__ import annotations

import csv
import io
import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from collection.schema import FIELD_NAMES, REQUIRED_FIELDS
from darkfigure.cli import main

QUIET = settings(max_examples=15, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])
ARGS = ["--org", "METROPOLITAN", "--quarter", "2025Q3"]


def run(capsys, argv: list[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "unexpected" not in err  # a fault of darkfigure, not a user error
    return code, out, err


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def test_exit_codes_and_reports(tmp_path, capsys, make_return) -> None:
    reports = tmp_path / "reports"
    good = make_return([{"record_ref": "A1", "first_encountered": "2025-08-14"}], "good.csv")
    code, out, _ = run(capsys, ["validate", str(good), *ARGS, "--report-dir", str(reports)])
    assert code == 0 and "ACCEPTED" in out
    bad = make_return([{"sex": "x"}], "bad.csv")
    code, out, _ = run(capsys, ["validate", str(bad), *ARGS, "--report-dir", str(reports),
                                "--json"])
    assert code == 1
    data = json.loads(out)
    assert data["outcome"] == "rejected" and data["issues"][0]["rule"] == "sex_known"
    assert {p.suffix for p in reports.iterdir()} == {".csv", ".txt"}
    code, _, err = run(capsys, ["validate", str(bad), "--org", "NOPE", "--quarter", "2025Q3"])
    assert code == 2 and "NOPE" in err
    code, _, err = run(capsys, ["validate", str(bad), "--org", "NCA", "--quarter", "25Q3"])
    assert code == 2 and "YYYYQn" in err
    code, _, err = run(capsys, ["validate", str(tmp_path / "absent.csv"), *ARGS])
    assert code == 2 and "absent.csv" in err and "no such file" in err


def test_reports_go_to_darkfigure_home(darkfigure_home, capsys, make_return) -> None:
    code, _, _ = run(capsys, ["validate", str(make_return([{}])), *ARGS])
    assert code == 0
    assert len(list((darkfigure_home / "reports").glob("*-validation.txt"))) == 1


def test_list_rules(capsys) -> None:
    code, out, _ = run(capsys, ["validate", "--list-rules"])
    assert code == 0
    for rule in ("required_value", "date_format", "duplicate_person",
                 "first_encountered_in_quarter"):
        assert rule in out


def test_template_command(tmp_path, capsys) -> None:
    code, out, _ = run(capsys, ["template", "--org", "nca", "--quarter", "2025Q3", "--format",
                                "csv", "--out", str(tmp_path)])
    assert code == 0 and (tmp_path / "return_NCA_2025Q3.csv").exists()
    code, _, err = run(capsys, ["template", "--org", "NCA", "--quarter", "2025Q3", "--format",
                                "pdf"])
    assert code == 2 and "pdf" in err


# ------------------------------------------------------------------ malformed returns (hypothesis)


def unusable(capsys, tmp_path, name: str, content: bytes) -> str:
    """An unreadable return: exit 1 with a one-error file-level report (as intake quarantines
    it), written beside the printed text; the text of that report is returned."""
    path = tmp_path / name
    path.write_bytes(content)
    reports = tmp_path / "reports"
    code, out, err = run(capsys, ["validate", str(path), *ARGS, "--report-dir", str(reports)])
    assert code == 1, out + err
    assert name in out and "REJECTED" in out
    assert ("file_readable" in out) != ("file_template" in out)
    assert any(p.name.startswith(name.split(".")[0]) or name in p.read_text(encoding="utf-8")
               for p in reports.glob("*.txt"))
    return out


@QUIET
@given(st.binary(min_size=0, max_size=300))
def test_garbage_bytes(tmp_path, capsys, content) -> None:
    unusable(capsys, tmp_path, "garbage.csv", content)


@QUIET
@given(st.text(alphabet="éàüñçøß", min_size=1, max_size=8), st.sampled_from(["cp1252", "utf-16"]))
def test_wrong_encoding(tmp_path, capsys, name, encoding) -> None:
    row = ["R1", "2025-08-14", name, name, "", "", "female", "ROU", "labour", "adult",
           "UNKNOWN", "no"]
    content = csv_bytes(list(FIELD_NAMES), [row]).decode().encode(encoding)
    err = unusable(capsys, tmp_path, "enc.csv", content)
    assert ("Windows-1252" in err) if encoding == "cp1252" else ("UTF-16" in err)


@QUIET
@given(st.sets(st.sampled_from(REQUIRED_FIELDS), min_size=1))
def test_missing_required_columns(tmp_path, capsys, missing) -> None:
    header = [n for n in FIELD_NAMES if n not in missing]
    err = unusable(capsys, tmp_path, "cols.csv", csv_bytes(header, [["x"] * len(header)]))
    assert all(name in err for name in missing)


@QUIET
@given(st.text(alphabet=string.ascii_letters, min_size=3, max_size=10).filter(
    lambda s: s.lower() not in {n.replace("_", "") for n in FIELD_NAMES}
    and "row" not in s.lower()))
def test_extra_columns(tmp_path, capsys, extra) -> None:
    header = [*FIELD_NAMES, extra]
    err = unusable(capsys, tmp_path, "extra.csv", csv_bytes(header, [["x"] * len(header)]))
    assert f"'{extra}' (column M)" in err


@QUIET
@given(st.sampled_from([b"", b"\n", b" \r\n \r\n"]))
def test_empty(tmp_path, capsys, content) -> None:
    err = unusable(capsys, tmp_path, "empty.csv", content)
    assert "empty" in err


@QUIET
@given(st.sampled_from([",".join(FIELD_NAMES).encode(),
                        ",".join(FIELD_NAMES).encode() + b"\r\n,,,\r\n",
                        b"\xef\xbb\xbf" + ";".join(FIELD_NAMES).encode() + b"\n\n"]))
def test_header_only_is_a_nil_return(tmp_path, capsys, content) -> None:
    """A header and no data rows: accepted (exit 0) with the nil-return warning."""
    path = tmp_path / "nil.csv"
    path.write_bytes(content)
    code, out, _ = run(capsys, ["validate", str(path), *ARGS, "--report-dir",
                                str(tmp_path / "r")])
    assert code == 0 and "ACCEPTED" in out and "WARNING nil_return" in out


@QUIET
@given(st.integers(min_value=2, max_value=6), st.integers(min_value=1, max_value=12))
def test_formula_cells(tmp_path, capsys, row, column) -> None:
    book = Workbook()
    ws = book.active
    ws.append(list(FIELD_NAMES))
    for _ in range(5):
        ws.append(["R1", "2025-08-14", "A", "B", "", "", "female", "ROU", "labour", "adult",
                   "UNKNOWN", "no"])
    ws.cell(row=row, column=column, value="=1+1")
    buf = io.BytesIO()
    book.save(buf)
    err = unusable(capsys, tmp_path, "formula.xlsx", buf.getvalue())
    assert f"cell {'ABCDEFGHIJKL'[column - 1]}{row} " in err


DATE_TEXT = st.text(alphabet=string.digits + "/-. :aAbT", min_size=1, max_size=12).filter(
    lambda s: s.strip() != "")


@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(DATE_TEXT, min_size=1, max_size=8))
def test_dates_in_wrong_form(tmp_path, capsys, make_return, values) -> None:
    """Whatever is typed as a date is accepted as a real date or reported at its row and column."""
    from validation.dates import parse_date

    path = make_return([{}] + [{"first_encountered": v} for v in values], "dates.csv")
    code, out, _ = run(capsys, ["validate", str(path), *ARGS, "--report-dir", str(tmp_path),
                                "--json"])
    bad = sorted((i["row"], i["column"]) for i in json.loads(out)["issues"]
                 if i["rule"] == "date_format")
    expected = [(row, "first_encountered") for row, v in enumerate(values, start=3)
                if parse_date(v.strip())[0] is None]
    assert bad == expected
    if expected:
        assert code == 1


# -------------------------------------------------------------------------------- privacy

SECRETS = {"given_name": "Zenobia", "family_name": "Quillfeather"}


@pytest.fixture
def identity_problems(make_return):
    """A return whose every identity field has a problem: no name or birth date may leak."""
    z = {**SECRETS, "date_of_birth": "1987-11-23"}
    return make_return([
        z,
        {**z, "date_of_birth": "23/11/1987"},                       # duplicate person
        {**z, "given_name": "Zenobia7", "date_of_birth": "1887-11-23"},  # placeholder, < 1900
        {**z, "date_of_birth": "11/23/1987"},                       # month first
        {**z, "date_of_birth": "23/11/87"},                         # two-digit year
        {**z, "date_of_birth": "2011-02-13", "age_group": "adult"},  # child as adult
        {**z, "date_of_birth": "1987-13-02", "estimated_age": "12"},
        {**z, "date_of_birth": "2030-01-01"},                       # future
    ], "identity.csv")


def leaks(text: str) -> list[str]:
    needles = ["Zenobia", "Quillfeather", "1987", "1887", "23/11", "11/23", "2011-02-13",
               "2030-01-01", "13-02", "zenobia", "quillfeather"]
    return [n for n in needles if n in text]


def test_report_has_no_name_or_date_of_birth(tmp_path, capsys, identity_problems, validate) -> None:
    report = validate(identity_problems)
    rules = {i.rule for i in report.issues}
    assert {"duplicate_person", "name_placeholder", "dob_plausible", "date_format",
            "child_recorded_as_adult"} <= rules
    assert leaks(report.to_text(max_per_rule=1000)) == []
    assert leaks(json.dumps(report.to_dict())) == []
    assert leaks(report.to_frame().to_csv()) == []
    assert leaks(repr(report)) == []
    code, out, err = run(capsys, ["validate", str(identity_problems), *ARGS,
                                  "--report-dir", str(tmp_path / "r")])
    assert code == 1
    assert leaks(out + err) == []
    for path in (tmp_path / "r").iterdir():
        assert leaks(path.read_text(encoding="utf-8-sig")) == []
