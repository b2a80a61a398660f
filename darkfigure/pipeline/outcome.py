"""What happened to a submitted return: loaded, quarantined, duplicate, or refused."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LOADED, QUARANTINED, DUPLICATE, REFUSED = "loaded", "quarantined", "duplicate", "refused"


@dataclass(frozen=True)
class SubmissionOutcome:
    """What happened to a submitted return.

    Attributes
    ----------
    status
        ``loaded``, ``quarantined`` or ``duplicate`` (identical to the live version).
    submission_id
        The new submission (the existing one for a duplicate).
    org_code, quarter, file_name, sha256
        What was submitted.
    version
        Version number for this organisation and quarter.
    n_rows, n_errors, n_warnings
        Data rows and validation findings.
    superseded
        The submission this one replaced, if any.
    report_path
        The validation report of a quarantined return.
    archive_path
        Where the raw file of a loaded return is archived.
    problem
        Why a quarantined file could not be read as a return (None when it was
        read and its rows failed validation).
    """

    status: str
    submission_id: int
    org_code: str
    quarter: str
    file_name: str
    sha256: str
    version: int
    n_rows: int = 0
    n_errors: int = 0
    n_warnings: int = 0
    superseded: int | None = None
    report_path: Path | None = None
    archive_path: Path | None = None
    problem: str | None = None

    @property
    def exit_code(self) -> int:
        """CLI exit code: 1 for a quarantined return, else 0."""
        return 1 if self.status == QUARANTINED else 0

    def message(self) -> str:
        """One line for the user."""
        what = f"{self.file_name} ({self.org_code} {self.quarter})"
        if self.status == DUPLICATE:
            return (
                f"{what}: already loaded as submission {self.submission_id} "
                f"(version {self.version}); nothing changed."
            )
        if self.status == QUARANTINED and self.problem is not None:
            return (
                f"{what}: quarantined as submission {self.submission_id}, the file cannot be "
                f"read as a return: {self.problem} Nothing was loaded. Report: "
                f"{self.report_path}"
            )
        if self.status == QUARANTINED:
            return (
                f"{what}: quarantined with {self.n_errors} error(s) and "
                f"{self.n_warnings} warning(s); nothing was loaded. "
                f"Report: {self.report_path}"
            )
        replaced = f", superseding submission {self.superseded}" if self.superseded else ""
        nil = " (a nil return: no one encountered this quarter)" if self.n_rows == 0 else ""
        return (
            f"{what}: loaded {self.n_rows} row(s){nil} with {self.n_warnings} warning(s) as "
            f"submission {self.submission_id} (version {self.version}){replaced}."
        )


@dataclass(frozen=True)
class Refusal:
    """A batch entry that is not a return at all: nothing recorded, nothing archived.

    The file is missing, the organisation code is unknown, or the quarter is
    malformed; a single submission raises :class:`~darkfigure.errors.UserError`
    for these, a batch records them and goes on with the other returns.

    Attributes
    ----------
    file_name, org_code, quarter
        The entry as given.
    reason
        The message the single submission would have raised.
    """

    file_name: str
    org_code: str
    quarter: str
    reason: str
    status: str = REFUSED

    @property
    def exit_code(self) -> int:
        """CLI exit code: 2, as a refused single submission."""
        return 2

    def message(self) -> str:
        """One line for the user."""
        return f"{self.file_name} ({self.org_code} {self.quarter}): refused: {self.reason}"
