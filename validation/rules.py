"""The registry of validation rules.

A rule has an id (used in reports), a severity (``error``: the return is
quarantined; ``warning``: it loads, and the organisation is told), a one-line
title, a fix, and one or two engines:

- ``expectations``: Great Expectations column-level expectations (required
  values, code lists, value forms), built by :mod:`validation.expectations`;
- ``check``: a Python function of the :class:`RuleContext` returning findings
  (domain rules that involve several columns, the quarter, or other rows).

When both engines report the same cell, the Python message (more specific)
wins.  ``darkfigure validate --list-rules`` prints the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from collection.quarters import Quarter
from collection.schema import IDENTITY_FIELDS

SEVERITIES = ("error", "warning")
#: Columns of a findings frame returned by a check.
FINDING_COLUMNS = ("row", "column", "value", "message")
#: What a report shows instead of an identity field's value.
REDACTED = "REDACTED"


@dataclass
class RuleContext:
    """Everything a rule may look at.

    Attributes
    ----------
    file_name
        The return's file name.
    data
        Raw strings (``RawReturn.data``).
    typed
        Canonical, typed values (:func:`validation.normalise.normalise`).
    dates
        Parse details per date field (:func:`validation.dates.parse_dates`).
    org_code, quarter_text
        What the caller says the return is for.
    quarter
        ``quarter_text`` parsed, or None when malformed.
    stamp
        The XLSX template's stamp (empty for CSV).
    known_refs
        Record references the organisation used in earlier submissions.
    today
        The date of validation (a parameter so that tests are reproducible).
    cache
        Values several rules use, computed once (e.g. ages at first encounter).
    """

    file_name: str
    data: pd.DataFrame
    typed: pd.DataFrame
    dates: dict[str, pd.DataFrame]
    org_code: str
    quarter_text: str
    quarter: Quarter | None
    stamp: dict[str, str]
    known_refs: AbstractSet[str]
    today: date
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def findings(self, mask: pd.Series, column: str, message: str | pd.Series) -> pd.DataFrame:
        """Row-level findings for the rows where ``mask`` is true, in ``column``.

        ``message`` is one sentence for all rows or a Series aligned with the rows.
        """
        mask = mask.fillna(False).astype(bool)
        rows = self.data.loc[mask, "row"].to_numpy()
        values = self.data.loc[mask, column].reset_index(drop=True)
        if column in IDENTITY_FIELDS:  # an empty cell may say so; a filled one never shows
            values = values.mask(values.notna(), REDACTED)
        msgs = message[mask].to_numpy() if isinstance(message, pd.Series) else message
        return pd.DataFrame({"row": rows, "column": column, "value": values.to_numpy(),
                             "message": msgs})

    @staticmethod
    def file_finding(column: str, value: str | None, message: str) -> pd.DataFrame:
        """A finding about the return as a whole (no row)."""
        return pd.DataFrame({"row": [None], "column": [column], "value": [value],
                             "message": [message]})


Check = Callable[[RuleContext], pd.DataFrame | None]


@dataclass(frozen=True)
class Rule:
    """A registered validation rule (see the module docstring)."""

    id: str
    severity: str
    title: str
    fix: str
    description: str = ""
    check: Check | None = field(default=None, compare=False)
    expectations: Callable[[], list[Any]] | None = field(default=None, compare=False)

    @property
    def engine(self) -> str:
        """``gx``, ``python``, ``gx+python``, or ``reader`` (found while reading the file)."""
        parts = [name for name, used in (("gx", self.expectations), ("python", self.check)) if used]
        return "+".join(parts) or "reader"


_REGISTRY: dict[str, Rule] = {}


def register(
    rule_id: str,
    *,
    severity: str,
    title: str,
    fix: str,
    expectations: Callable[[], list[Any]] | None = None,
) -> Callable[[Check], Check]:
    """Register a Python check (decorator); its docstring is the rule's description.

    Parameters
    ----------
    rule_id
        Stable id shown in reports (snake_case).
    severity
        ``error`` or ``warning``.
    title
        What the rule requires, in one line.
    fix
        How a submitter fixes a finding.
    expectations
        Optional Great Expectations expectations for the same rule.
    """

    def decorator(check: Check) -> Check:
        add_rule(Rule(rule_id, severity, title, fix, (check.__doc__ or "").strip(), check,
                      expectations))
        return check

    return decorator


def add_rule(rule: Rule) -> Rule:
    """Add a rule to the registry (ids are unique; severities are checked)."""
    if rule.severity not in SEVERITIES:
        raise ValueError(f"rule {rule.id}: severity must be one of {SEVERITIES}")
    if rule.id in _REGISTRY:
        raise ValueError(f"rule {rule.id} is registered twice")
    _REGISTRY[rule.id] = rule
    return rule


def rules() -> list[Rule]:
    """All registered rules, in registration order."""
    import validation.domain_rules  # noqa: F401  (registers the rules)
    import validation.expectations  # noqa: F401
    import validation.file_level  # noqa: F401

    return list(_REGISTRY.values())


def get_rule(rule_id: str) -> Rule:
    """The rule with this id."""
    rules()
    return _REGISTRY[rule_id]


def rules_table() -> str:
    """The registry as a readable table (for ``darkfigure validate --list-rules``)."""
    lines = []
    for rule in rules():
        lines.append(f"{rule.id}  [{rule.severity}, {rule.engine}]")
        lines.append(f"    {rule.title}")
        if rule.description:
            lines.append("    " + " ".join(rule.description.split()))
        lines.append(f"    Fix: {rule.fix}")
    return "\n".join(lines)
