"""Analysts' work: periods with data, capture tables, saving and publishing runs."""

from __future__ import annotations

from typing import Any

from darkfigure.auth import User
from darkfigure.settings import Settings
from darkfigure.warehouse import queries
from dashboards.data.access import require
from dashboards.data.warehouse import clear_caches, reading


def periods(user: User) -> list[str]:
    """Years and quarters with live submissions, newest first."""
    require(user, "analyst", "admin")
    with reading() as con:
        quarters = sorted(set(queries.live_submissions_in(con, None)["quarter"]), reverse=True)
    years = sorted({q[:4] for q in quarters}, reverse=True)
    return years + quarters


def capture_tables(user: User, period: str, by: str | None = None) -> Any:
    """Capture tables of a period from the current linkage (re-linking if out of date).

    Returns
    -------
    darkfigure.pipeline.tables.TablesOutcome
    """
    require(user, "analyst", "admin")
    from darkfigure.pipeline.tables import capture_tables as build

    outcome = build(Settings.from_env(), period, by=by, relink=True, actor=user.username)
    if outcome.relinked:
        clear_caches()
    return outcome


def save_run(user: User, results: list, tables: list, *, period: str, by: str | None,
             note: str | None, linkage_run_id: int | None, headline: str | None = None) -> Any:
    """Save results as a draft run whose headline is ``headline`` (default: the first
    result's method).

    Returns
    -------
    darkfigure.pipeline.runs.SavedRun
    """
    require(user, "analyst", "admin")
    from darkfigure.pipeline.runs import save_run as save

    saved = save(Settings.from_env(), results, tables, actor=user.username, period=period,
                 stratify_by=by, note=note or None, linkage_run_id=linkage_run_id,
                 headline=headline)
    clear_caches()
    return saved


def publish_run(user: User, run_id: int, note: str | None) -> dict:
    """Publish a draft run so that policymakers see it (with the headline it was saved with)."""
    require(user, "analyst", "admin")
    from darkfigure.pipeline.runs import publish_run as publish

    run = publish(Settings.from_env(), int(run_id), actor=user.username, note=note or None)
    clear_caches()
    return run
