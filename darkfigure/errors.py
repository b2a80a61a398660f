"""Errors meant for the user: printed plainly, never as a traceback."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; the message says what and how.

    Parameters
    ----------
    message
        What went wrong, naming the file, row and column where there is one.
    exit_code
        Process exit code for the CLI (2: bad input, 3: warehouse busy, 1: other).
    """

    def __init__(self, message: str, *, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
