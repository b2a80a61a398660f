"""Validation of quarterly returns: expectation suite, domain rules, reports.

Public API: :func:`validate_return`, :func:`clean_records`,
:class:`ValidationReport`, :class:`Issue`, :func:`rules`, the
:func:`register` decorator, and :func:`warm_up` (Great Expectations is
imported on the first validation, or by :func:`warm_up`; importing this
package does not import it).
"""

from validation.expectations import warm_up
from validation.report import Issue, ValidationReport
from validation.rules import Rule, register, rules, rules_table
from validation.validate import CLEAN_COLUMNS, clean_records, validate_return

__all__ = [
    "CLEAN_COLUMNS",
    "Issue",
    "Rule",
    "ValidationReport",
    "clean_records",
    "register",
    "rules",
    "rules_table",
    "validate_return",
    "warm_up",
]
