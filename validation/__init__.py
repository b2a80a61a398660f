"""Validation of quarterly returns: expectation suite, domain rules, reports.

Public API: :func:`validate_return` (and :func:`validate_returns` for a batch),
:func:`file_report` (a file the reader refused), :func:`clean_records`,
:class:`ValidationReport`, :class:`Issue`, :func:`rules`, the
:func:`register` decorator, and :func:`warm_up` (Great Expectations is
imported on the first validation, or by :func:`warm_up`; importing this
package does not import it).
"""

from validation.expectations import warm_up
from validation.file_level import file_report
from validation.report import Issue, ValidationReport
from validation.rules import Rule, register, rules, rules_table
from validation.validate import (
    CLEAN_COLUMNS,
    ReturnToValidate,
    clean_records,
    validate_return,
    validate_returns,
)

__all__ = [
    "CLEAN_COLUMNS",
    "Issue",
    "ReturnToValidate",
    "Rule",
    "ValidationReport",
    "clean_records",
    "file_report",
    "register",
    "rules",
    "rules_table",
    "validate_return",
    "validate_returns",
    "warm_up",
]
