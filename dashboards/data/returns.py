"""Quarterly returns: organisations, submission history, validation reports, templates, upload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from darkfigure.auth import User
from darkfigure.errors import UserError
from darkfigure.warehouse import queries
from dashboards import figures
from dashboards.data import upload_worker
from dashboards.data.access import AccessDenied, own_org, require
from dashboards.data.warehouse import clear_caches, reading


def organisations(user: User) -> pd.DataFrame:
    """Organisations a user may act for: a force its own, analysts and admins all."""
    require(user, "force", "analyst", "admin")
    with reading() as con:
        frame = queries.organisations(con)
    if user.role == "force":
        frame = frame[frame["org_code"] == user.org_code]
    return frame.reset_index(drop=True)


def submissions(user: User, org_code: str | None = None) -> pd.DataFrame:
    """Submission history, newest first.

    A force user gets only its own organisation's submissions: asking for
    another organisation returns an empty history.
    """
    require(user, "force", "analyst", "admin")
    with reading() as con:
        history = queries.submissions(con, org_code=own_org(user, org_code))
    if user.role == "force" and org_code not in (None, user.org_code):
        return history.iloc[0:0]  # another organisation's history: nothing
    return history


def submission_report(user: User, submission_id: int) -> tuple[dict, pd.DataFrame] | None:
    """A submission and its validation issues (row, column, problem, fix), if visible."""
    require(user, "force", "analyst", "admin")
    with reading() as con:
        sub = queries.submission(con, int(submission_id))
        if sub is None or (user.role == "force" and sub["org_code"] != user.org_code):
            return None
        return sub, queries.submission_issues(con, int(submission_id))


def data_status(user: User) -> pd.DataFrame:
    """Which organisation submitted which quarter (a force sees its own row)."""
    require(user, "force", "analyst", "admin")
    return figures.status_of(submissions(user))


def template(user: User, quarter: str, fmt: str, org_code: str | None = None) -> tuple[str, bytes]:
    """The return template for an organisation and quarter: file name and bytes."""
    require(user, "force", "analyst", "admin")
    org = own_org(user, org_code)
    if not org:
        raise UserError("choose the organisation the template is for")
    from collection.template import csv_template, template_file_name, xlsx_template

    data = xlsx_template(org, quarter) if fmt == "xlsx" else csv_template(org, quarter)
    return template_file_name(org, quarter, fmt), data


def upload_return(
    user: User, file_name: str, data: bytes, quarter: str, org_code: str | None = None
) -> Any:
    """Submit an uploaded return (validated, then loaded or quarantined).

    A force user submits for its own organisation only.  The work is done in a
    worker process (:mod:`dashboards.data.upload_worker`); this call waits for it.

    Returns
    -------
    darkfigure.pipeline.intake.SubmissionOutcome
    """
    require(user, "force", "analyst", "admin")
    if user.role == "force" and org_code not in (None, user.org_code):
        raise AccessDenied("a force account submits returns for its own organisation only")
    org = own_org(user, org_code)
    if not org:
        raise UserError("choose the organisation the return is for")
    outcome = upload_worker.submit(data, Path(file_name).suffix.lower() or ".csv", org,
                                   quarter, actor=user.username, file_name=Path(file_name).name)
    clear_caches()
    return outcome
