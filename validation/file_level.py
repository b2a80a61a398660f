"""Rules about the return file as a whole, and the report of a file that cannot be read.

Most rules judge rows.  Three judge the file:

- ``file_readable`` (error): the file is a CSV (UTF-8) or XLSX return that can
  be read: not empty, not another encoding, not an old ``.xls``, not a
  truncated workbook, no formula cells, rows that split into cells;
- ``file_template`` (error): its header holds the template's columns: every
  required column, no unknown or duplicated ones, no data without a header;
- ``nil_return`` (warning): a header and no data rows.  An organisation that
  encountered no one in the quarter says so with a nil return; it loads with
  0 records, so the quarter is recorded as submitted.

The first two are found by the reader (:mod:`collection.parse` raises
:class:`~collection.errors.ReturnFileError` naming the rule); intake quarantines
such a file with the report :func:`file_report` makes, so a force sees the same
kind of report for an unreadable file as for a file with bad rows.
"""

from __future__ import annotations

import pandas as pd

from collection.errors import ReturnFileError
from collection.schema import SCHEMA_VERSION
from validation.report import ValidationReport, issues_frame
from validation.rules import Rule, RuleContext, add_rule, get_rule, register

for _rule in (
    Rule("file_readable", "error", "The file is a CSV (UTF-8) or XLSX return that can be read",
         "Send the return as CSV UTF-8 or .xlsx, made from the template (darkfigure template); "
         "the message says what was wrong with this file.",
         "Found by the reader before any row is judged: an empty or truncated file, another "
         "encoding, an old .xls workbook, formula cells, rows that do not split into cells."),
    Rule("file_template", "error", "The header row holds the template's columns",
         "Use the template's header row (darkfigure template): every required column, no "
         "other columns, each column once.",
         "Found by the reader: missing required columns, unknown or duplicated columns, "
         "data in a column without a header."),
):
    add_rule(_rule)


@register("nil_return", severity="warning",
          title="A return with a header and no data rows is a nil return",
          fix="Nothing to do if no one was encountered in the quarter; otherwise add one row "
              "per person below the header and send the return again.")
def nil_return(ctx: RuleContext) -> pd.DataFrame | None:
    """No one encountered this quarter: the return loads with no records, and is flagged."""
    if len(ctx.data):
        return None
    return ctx.file_finding("record_ref", None,
                            "nil return: the file has a header row and no data rows; it is "
                            "recorded as no one encountered in the quarter")


def file_report(err: ReturnFileError, *, sha256: str, org_code: str, quarter: str
                ) -> ValidationReport:
    """The validation report of a file the reader refused: one file-level error.

    Parameters
    ----------
    err
        What the reader raised (its rule, problem, fix, and the columns and row
        concerned).
    sha256
        SHA-256 of the file's bytes.
    org_code, quarter
        What it was submitted for.

    Returns
    -------
    ValidationReport
        One error per column named (one with no column otherwise), with the row
        where there is one (the header row, a formula cell's row); never a cell's
        content.
    """
    rule = get_rule(err.rule)
    columns = list(err.columns) or [""]
    findings = pd.DataFrame({
        "row": [err.row] * len(columns),
        "column": columns,
        "value": [None] * len(columns),
        "message": [err.problem] * len(columns),
        "rule": rule.id,
        "severity": rule.severity,
        "fix": err.fix,
    })
    return ValidationReport(
        file_name=err.file_name, sha256=sha256, org_code=org_code.strip().upper(),
        quarter=quarter, schema_version=SCHEMA_VERSION, n_rows=0,
        frame=issues_frame(findings),
    )
