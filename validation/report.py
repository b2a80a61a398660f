"""Validation reports: the issues found in one return, readable by a person and a program.

Row numbers are file rows as a spreadsheet shows them (header = row 1, first
data row = row 2); an issue about the return as a whole has no row.  Identity
fields' values are always ``REDACTED``: a report may be emailed, stored and
logged, and never carries a name or a date of birth.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

#: Columns of :meth:`ValidationReport.to_frame` (and of the CSV report).
ISSUE_COLUMNS = ("row", "column", "value", "rule", "severity", "message", "fix")
#: Longest value quoted in a report (garbage can be long).
MAX_VALUE = 60


@dataclass(frozen=True)
class Issue:
    """One problem in a return.

    Attributes
    ----------
    row
        File row (header = row 1), or None for the return as a whole.
    column
        The field (or ``org_code``/``quarter`` for the return as a whole).
    value
        The cell as read (``REDACTED`` for identity fields).
    rule
        Id of the rule (``darkfigure validate --list-rules``).
    severity
        ``error`` or ``warning``.
    message
        What is wrong.
    fix
        How to fix it.
    """

    row: int | None
    column: str
    value: str
    rule: str
    severity: str
    message: str
    fix: str


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating one return.

    Attributes
    ----------
    file_name, sha256
        The return file.
    org_code, quarter
        What it was submitted for.
    schema_version
        Return schema it was validated against.
    n_rows
        Data rows in the file.
    created_at
        When it was validated (UTC, ISO 8601).
    """

    file_name: str
    sha256: str
    org_code: str
    quarter: str
    schema_version: str
    n_rows: int
    frame: pd.DataFrame = field(repr=False, compare=False)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    # Typed rows kept for clean_records; never serialised (they hold identity fields).
    _typed: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def issues(self) -> tuple[Issue, ...]:
        """All issues, ordered by row (the return as a whole first), then column."""
        rows = self.frame.astype(object).where(self.frame.notna(), None)
        return tuple(
            Issue(None if r[0] is None else int(r[0]), *(str(v) for v in r[1:]))
            for r in rows.itertuples(index=False, name=None)
        )

    @property
    def errors(self) -> tuple[Issue, ...]:
        """Issues of severity ``error`` (any one quarantines the return)."""
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """Issues of severity ``warning`` (the return loads; the organisation is told)."""
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def n_errors(self) -> int:
        """Number of errors."""
        return int((self.frame["severity"] == "error").sum())

    @property
    def n_warnings(self) -> int:
        """Number of warnings."""
        return int((self.frame["severity"] == "warning").sum())

    @property
    def has_errors(self) -> bool:
        """Whether the return must be quarantined."""
        return self.n_errors > 0

    @property
    def error_rows(self) -> frozenset[int]:
        """File rows with at least one error."""
        errors = (self.frame["severity"] == "error") & self.frame["row"].notna()
        rows = self.frame.loc[errors, "row"]
        return frozenset(int(r) for r in rows.unique())

    @property
    def file_errors(self) -> bool:
        """Whether an error concerns the return as a whole (no row)."""
        return bool(((self.frame["severity"] == "error") & self.frame["row"].isna()).any())

    def to_frame(self) -> pd.DataFrame:
        """The issues as a table with columns :data:`ISSUE_COLUMNS`."""
        return self.frame.copy()

    def to_csv(self, path: str | Path) -> Path:
        """Write the issues as CSV (UTF-8 with BOM, so Excel opens it right)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.frame.to_csv(path, index=False, encoding="utf-8-sig")
        return path

    def summary(self) -> dict[str, Any]:
        """The report without its issues."""
        return {
            "file_name": self.file_name, "sha256": self.sha256, "org_code": self.org_code,
            "quarter": self.quarter, "schema_version": self.schema_version,
            "rows": self.n_rows, "errors": self.n_errors, "warnings": self.n_warnings,
            "rows_with_errors": len(self.error_rows), "created_at": self.created_at,
            "outcome": "rejected" if self.has_errors else "accepted",
        }

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data: the summary and every issue."""
        issues = self.frame.astype(object).where(self.frame.notna(), None)
        records = issues.to_dict(orient="records")
        for rec in records:
            if rec["row"] is not None:
                rec["row"] = int(rec["row"])
        return {**self.summary(), "issues": records}

    def to_json(self) -> str:
        """:meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    def to_text(self, max_per_rule: int = 20) -> str:
        """A readable report: summary first, then the issues grouped by rule.

        Parameters
        ----------
        max_per_rule
            Issues listed per rule (the rest are counted); the CSV has them all.
        """
        s = self.summary()
        verdict = ("REJECTED: fix the errors below and send the whole return again."
                   if self.has_errors else
                   "ACCEPTED" + (": please check the warnings below." if self.n_warnings else "."))
        lines = [
            f"Validation report for {s['file_name']}",
            f"  organisation {s['org_code']}, quarter {s['quarter']}, schema {s['schema_version']}",
            f"  {s['rows']} data rows (row numbers as in a spreadsheet: the header is row 1)",
            f"  {_count(s['errors'], 'error')} in {_count(s['rows_with_errors'], 'row')}, "
            f"{_count(s['warnings'], 'warning')}",
            f"  {verdict}",
        ]
        if self.frame.empty:
            return "\n".join(lines) + "\n"
        order = {"error": 0, "warning": 1}
        groups = sorted(self.frame.groupby("rule", sort=False),
                        key=lambda g: (order[str(g[1]["severity"].iloc[0])], str(g[0])))
        for rule_id, group in groups:
            first = group.iloc[0]
            lines += ["", f"{str(first['severity']).upper()} {rule_id}: {len(group)} "
                          f"{'issue' if len(group) == 1 else 'issues'}",
                      f"  Fix: {first['fix']}"]
            for rec in group.head(max_per_rule).to_dict("records"):
                where = "whole return" if pd.isna(rec["row"]) else f"row {int(rec['row'])}"
                value = "" if pd.isna(rec["value"]) else f" = '{rec['value']}'"
                column = f", {rec['column']}" if rec["column"] else ""
                lines.append(f"  - {where}{column}{value}: {rec['message']}")
            if len(group) > max_per_rule:
                lines.append(f"  ... and {len(group) - max_per_rule} more (see the CSV report)")
        return "\n".join(lines) + "\n"

    def write(self, directory: str | Path) -> tuple[Path, Path]:
        """Write the CSV and text reports into ``directory``; return their paths.

        Files are named after the return and the first 12 hex digits of its SHA-256.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        stem = f"{Path(self.file_name).stem}-{self.sha256[:12]}-validation"
        csv_path = self.to_csv(directory / f"{stem}.csv")
        text_path = directory / f"{stem}.txt"
        text_path.write_text(self.to_text(max_per_rule=1000), encoding="utf-8")
        return csv_path, text_path


def issues_frame(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings with rule metadata, in the column order of :data:`ISSUE_COLUMNS`, sorted."""
    frame = findings.copy()
    frame["row"] = frame["row"].astype("Int64")
    value = frame["value"].astype("str")
    long = value.str.len() > MAX_VALUE
    frame["value"] = value.where(~long, value.str.slice(0, MAX_VALUE) + "...")
    frame = frame.sort_values(["row", "column", "rule"], na_position="first", kind="stable")
    return frame.loc[:, list(ISSUE_COLUMNS)].reset_index(drop=True)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
