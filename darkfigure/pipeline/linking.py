"""Linkage runs: cluster the live records of a period into persons and store them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import duckdb

from collection.capture_histories import parse_period
from collection.linkage import LinkageReport, LinkageRules, link_records
from darkfigure.errors import UserError
from darkfigure.pipeline.events import log_event
from darkfigure.pipeline.setup import require_current
from darkfigure.settings import Settings
from darkfigure.warehouse import connect, queries, store, transaction

#: Period label of a linkage over every live return.
ALL = "all"


@dataclass(frozen=True)
class LinkageOutcome:
    """A stored linkage run.

    Attributes
    ----------
    linkage_run_id
        Its id.
    period
        ``all``, a year or a quarter.
    n_submissions, n_records, n_persons
        Live returns linked, their records, the persons found.
    report
        The linkage report (counts only).
    """

    linkage_run_id: int
    period: str
    n_submissions: int
    n_records: int
    n_persons: int
    report: dict[str, Any]

    def message(self) -> str:
        """The report as text, headed by the run."""
        text = LinkageReport(**self.report).to_text()
        return (
            f"Linkage run {self.linkage_run_id} ({self.period}): "
            f"{self.n_submissions} live return(s)\n{text}"
        )


def period_label(period: str | None) -> tuple[str, tuple[str, ...] | None]:
    """``(label, quarters)`` of a period argument; ``None`` means every quarter."""
    if period is None or str(period).strip().lower() == ALL:
        return ALL, None
    try:
        parsed = parse_period(period)
    except ValueError as err:
        raise UserError(str(err)) from None
    return parsed.label, parsed.quarters


def submissions_hash(con: duckdb.DuckDBPyConnection, quarters: tuple[str, ...] | None) -> tuple[
    str, int
]:
    """Fingerprint of the live submissions of a period (changes when any is loaded or replaced)."""
    live = queries.live_submissions_in(con, quarters)
    text = ",".join(map(str, live["submission_id"].tolist()))
    return hashlib.sha256(text.encode()).hexdigest(), len(live)


def current_linkage(con: duckdb.DuckDBPyConnection, period: str | None) -> dict | None:
    """The latest linkage run covering the period if no live submission changed since.

    A quarter is also served by a current linkage of its year, and any period by
    a current linkage over ``all`` returns (persons are linked across the wider
    span, then counted with their records in the period).
    """
    label, _ = period_label(period)
    candidates = [label]
    if label != ALL and "Q" in label:
        candidates.append(label[:4])
    candidates.append(ALL)
    for candidate in dict.fromkeys(candidates):
        run = queries.latest_linkage_run(con, candidate)
        if run is None:
            continue
        digest, _ = submissions_hash(con, period_label(candidate)[1])
        if run["submissions_hash"] == digest:
            return run
    return None


def run_linkage(
    settings: Settings,
    *,
    period: str | None = None,
    actor: str = "cli",
    rules: LinkageRules | None = None,
) -> LinkageOutcome:
    """Link the live records of a period into persons and store the result.

    Parameters
    ----------
    settings
        The installation.
    period
        A year (``2025``), a quarter (``2025Q3``) or ``None``/``all`` for every quarter.
    actor
        Who ran it, for the audit log.
    rules
        Linkage rules (defaults of :class:`collection.linkage.LinkageRules`).

    Returns
    -------
    LinkageOutcome

    Raises
    ------
    UserError
        No live records in the period; warehouse busy (exit 3).
    """
    rules = rules or LinkageRules()
    label, quarters = period_label(period)
    with connect(settings.warehouse_path, read_only=True) as con:
        require_current(con)
        digest, n_subs = submissions_hash(con, quarters)
        records, keys = queries.linkage_input(con, quarters)
    if records.empty:
        raise UserError(
            f"no live returns to link{'' if label == ALL else ' in ' + label}: "
            "submit returns first (`darkfigure submit`)"
        )
    result = link_records(records, keys, rules)
    report = result.report.to_dict()
    run = {
        "created_at": _now(),
        "created_by": actor,
        "period": label,
        "submissions_hash": digest,
        "n_submissions": n_subs,
        "n_records": report["n_records"],
        "n_persons": report["n_persons"],
        "rules": rules.to_dict(),
        "report": report,
    }
    with connect(settings.warehouse_path) as con, transaction(con):
        run_id = store.insert_linkage(con, run, result.person_records)
        store.audit(
            con, actor, "link.run", f"linkage_run:{run_id}",
            {"period": label, "n_submissions": n_subs, "n_records": report["n_records"],
             "n_persons": report["n_persons"]},
        )
    log_event(settings, "link.run", linkage_run_id=run_id, period=label,
              n_records=report["n_records"], n_persons=report["n_persons"])
    return LinkageOutcome(run_id, label, n_subs, report["n_records"], report["n_persons"], report)


def _now() -> Any:
    import pandas as pd

    return pd.Timestamp.now(tz="UTC").to_pydatetime()
