"""Errors of the return intake, meant for the user (printed plainly by the CLI)."""

from __future__ import annotations

from darkfigure.errors import UserError


class ReturnFileError(UserError):
    """A return file that cannot be read as a whole.

    The message names the file, says what is wrong (with the row and column
    where there is one, rows counted as a spreadsheet shows them: the header is
    row 1) and how to fix it.  It never quotes a cell's content.

    Parameters
    ----------
    file_name
        The file's name (not its full path).
    problem
        What is wrong.
    fix
        How to fix it.
    rule
        Which file-level rule it breaks (``file_readable``: not a CSV or XLSX
        return that can be read; ``file_template``: not the template's columns),
        the rule id of the report a quarantined file gets.
    columns
        The return's columns concerned (e.g. the missing required ones).
    row
        The file row concerned (e.g. the header row), if one.
    """

    def __init__(self, file_name: str, problem: str, fix: str, *,
                 rule: str = "file_readable", columns: tuple[str, ...] = (),
                 row: int | None = None) -> None:
        self.file_name = file_name
        self.problem = problem
        self.fix = fix
        self.rule = rule
        self.columns = columns
        self.row = row
        super().__init__(f"{file_name}: {problem} {fix}", exit_code=2)


class KeyMissingError(UserError):
    """No pseudonymisation key is configured (and the installation is not in demo mode)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=2)

