"""The dashboard's only door to the warehouse: cached reads, brief writes, access rules.

Every public function takes the signed-in :class:`~darkfigure.auth.User` and
refuses (:class:`AccessDenied`) or filters by role, so a page cannot show what
its reader may not see even if it asks:

- ``force``: its own organisation's submissions and validation reports only;
- ``policymaker``: published runs only, and counts below the disclosure
  threshold withheld (:mod:`darkfigure.disclosure`); never capture tables;
- ``analyst`` and ``admin``: everything; ``admin`` also manages accounts.

Reads open a read-only connection for one query and are cached per warehouse
*version* (the file's modification time), so a change made by the CLI shows
up on the next rerun.  Writes hold a read-write connection for one operation.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from darkfigure import auth
from darkfigure.auth import AuthError, User
from darkfigure.disclosure import DEFAULT_THRESHOLD, suppress_frame
from darkfigure.errors import UserError
from darkfigure.settings import Settings
from darkfigure.warehouse import connect, queries, transaction
from darkfigure.warehouse.store import audit
from dashboards import figures
from dashboards.figures import Headline

#: Seconds a cached read may be reused even if the file has not changed.
CACHE_TTL = 300
#: Environment variable overriding the disclosure threshold.
THRESHOLD_ENV = "DARKFIGURE_DISCLOSURE_THRESHOLD"


class AccessDenied(AuthError):
    """The signed-in user's role may not read or do this."""


# ----------------------------------------------------------------- plumbing
def warehouse_path() -> Path:
    """The warehouse file of this installation (``DARKFIGURE_HOME``)."""
    return Settings.from_env().warehouse_path


def disclosure_threshold() -> int:
    """Counts below this are withheld from policymakers."""
    value = os.environ.get(THRESHOLD_ENV, "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_THRESHOLD


def _version(path: Path) -> float:
    """Changes whenever the warehouse does (file or write-ahead log touched)."""
    stamps = [p.stat().st_mtime_ns for p in (path, Path(f"{path}.wal")) if p.exists()]
    return float(max(stamps)) if stamps else 0.0


def _existing() -> Path:
    path = warehouse_path()
    if not path.exists():
        raise UserError(f"no warehouse at {path}: run `darkfigure init` (or `darkfigure demo`)")
    return path


@contextmanager
def _reading(path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect(path or _existing(), read_only=True) as con:
        yield con


@contextmanager
def _writing(*, atomic: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect(warehouse_path()) as con:
        if not atomic:
            yield con
            return
        with transaction(con):
            yield con


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _require(user: User | None, *roles: str) -> User:
    if user is None:
        raise AccessDenied("please sign in")
    if user.role not in roles:
        raise AccessDenied(f"a {user.role} account cannot see this page's data")
    return user


def clear_caches() -> None:
    """Forget cached reads (after a write in this process)."""
    st.cache_data.clear()


# ----------------------------------------------------------------- sessions
def sign_in(username: str, password: str) -> tuple[User, str]:
    """Check a password and open a session; returns the user and the session token."""
    # Not one transaction: a refused sign-in must still record its failure.
    with _writing(atomic=False) as con:
        user, token = auth.sign_in(con, username, password)
        audit(con, user.username, "session.start", None, {"role": user.role})
    return user, token


def session_user(token: str | None) -> User | None:
    """The user of a session token, or ``None`` if it has ended or expired."""
    if not token:
        return None
    with _reading() as con:
        user, needs_touch = auth.session_user(con, token)
    if user is not None and needs_touch:
        with _writing() as con:
            auth.touch_session(con, token)
    return user


def sign_out(token: str | None) -> None:
    """End a session."""
    if token:
        with _writing() as con:
            auth.end_session(con, token)


# ------------------------------------------------------ published estimates
@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _published(path: str, version: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Published runs and their estimates (without capture tables)."""
    with _reading(Path(path)) as con:
        runs = con.execute(
            "SELECT run_id, created_at, created_by, period, stratify_by, methods, status,"
            " published_at, published_by, note, data_hash, settings FROM estimate_runs"
            " WHERE status = 'published' ORDER BY run_id"
        ).df()
        estimates = con.execute(
            "SELECT e.run_id, e.stratum, e.method, e.observed, e.estimate, e.lower, e.upper,"
            " e.level, e.interval, e.model, e.existence, e.warnings FROM estimates e"
            " JOIN estimate_runs r USING (run_id) WHERE r.status = 'published'"
        ).df()
    runs["settings"] = runs["settings"].map(_json)
    runs["methods"] = runs["methods"].map(list)
    estimates["warnings"] = estimates["warnings"].map(_json)
    return runs, estimates


def _published_for(user: User) -> tuple[pd.DataFrame, pd.DataFrame]:
    _require(user, "policymaker", "analyst", "admin")
    path = _existing()
    return _published(str(path), _version(path))


def trend(user: User) -> pd.DataFrame:
    """Headline estimate per year from published runs (``period, estimate, lower, ...``)."""
    runs, estimates = _published_for(user)
    return _withheld(user, figures.trend_rows(runs, estimates), ["period"])


def headline(user: User) -> Headline | None:
    """The latest year's published headline with its provenance, or ``None``."""
    runs, estimates = _published_for(user)
    rows = _withheld(user, figures.trend_rows(runs, estimates), ["period"])
    if rows.empty:
        return None
    last = rows.iloc[-1]
    run = runs[runs["run_id"] == last["run_id"]].iloc[0]
    number = {k: float("nan") if pd.isna(last[k]) else float(last[k])
              for k in ("estimate", "lower", "upper", "observed")}
    return Headline(
        period=str(last["period"]), estimate=number["estimate"],
        lower=number["lower"], upper=number["upper"],
        observed=number["observed"], level=float(last["level"]),
        method=str(last["method"]), run_id=int(last["run_id"]),
        data_hash=str(run["data_hash"]), published_at=str(run["published_at"])[:16],
        note=str(run["note"] or ""),
    )


def breakdown(user: User, by: str, period: str | None = None) -> tuple[pd.DataFrame, dict]:
    """Estimates per stratum from the newest published run stratified by ``by``.

    Policymakers get small strata withheld (observed, estimate and interval),
    with secondary suppression across the breakdown.

    Returns
    -------
    (frame, run)
        ``stratum, observed, estimate, lower, upper, level, suppressed`` and
        the run's ``run_id, period, method, data_hash, published_at``
        (empty frame and dict when nothing is published).
    """
    runs, estimates = _published_for(user)
    chosen = runs[runs["stratify_by"] == by]
    if period is not None:
        chosen = chosen[chosen["period"].astype(str) == str(period)]
    if chosen.empty:
        return pd.DataFrame(columns=["stratum", "observed", "estimate", "lower", "upper",
                                     "level", "suppressed"]), {}
    run = chosen.sort_values(["period", "run_id"]).iloc[-1]
    method = figures.headline_method(run["methods"], run["settings"]) or ""
    rows = figures.strata_rows(estimates[estimates["run_id"] == run["run_id"]], method)
    rows = _withheld(user, rows)
    info = {"run_id": int(run["run_id"]), "period": str(run["period"]), "method": method,
            "data_hash": str(run["data_hash"]), "published_at": str(run["published_at"])[:16]}
    return rows, info


def _withheld(user: User, rows: pd.DataFrame, within: list[str] | None = None) -> pd.DataFrame:
    """Disclosure control for policymakers: small counts (and what reveals them) withheld.

    Without ``within`` the rows are one breakdown published with its total;
    with it, each group (a period, a method) is a figure of its own.
    """
    if user.role != "policymaker":
        return rows.assign(suppressed=False)
    return suppress_frame(rows, "observed", within=within or (),
                          dependent=["estimate", "lower", "upper"],
                          threshold=disclosure_threshold()).drop(columns=["group_total"])


def method_comparison(user: User, run_id: int) -> pd.DataFrame:
    """Every method's whole-population estimate in a published run, side by side."""
    runs, estimates = _published_for(user)
    pick = estimates[(estimates["run_id"] == run_id)
                     & estimates["stratum"].map(lambda s: figures.parse_stratum(s) is None)]
    cols = ["method", "observed", "estimate", "lower", "upper", "level", "interval", "model",
            "existence", "warnings"]
    rows = pick[cols].sort_values("estimate").reset_index(drop=True)
    return _withheld(user, rows, ["method"])


def run_detail(user: User, run_id: int) -> tuple[dict, pd.DataFrame]:
    """A run and its estimates: drafts for analysts only; policymakers get withheld cells.

    Raises
    ------
    AccessDenied
        A force user, or a policymaker asking for an unpublished run.
    """
    _require(user, "policymaker", "analyst", "admin")
    with _reading() as con:
        run = queries.estimate_run(con, run_id)
        if run is None or (run["status"] != "published" and not user.sees_unpublished):
            raise AccessDenied(f"estimate run {run_id} is not published")
        estimates = queries.run_estimates(con, run_id)
    if not user.sees_unpublished:  # no capture tables or diagnostics; small strata withheld
        estimates = _withheld(user, estimates[[
            "stratum", "method", "observed", "estimate", "lower", "upper", "level", "interval",
            "model", "existence", "warnings"]], ["method"])
    return run, estimates


def runs(user: User) -> pd.DataFrame:
    """Estimate runs, newest first: all for analysts, published ones for policymakers."""
    _require(user, "policymaker", "analyst", "admin")
    with _reading() as con:
        return queries.estimate_runs(con, status=None if user.sees_unpublished else "published")


# ------------------------------------------------------------------ returns
def organisations(user: User) -> pd.DataFrame:
    """Organisations a user may act for: a force its own, analysts and admins all."""
    _require(user, "force", "analyst", "admin")
    with _reading() as con:
        frame = queries.organisations(con)
    if user.role == "force":
        frame = frame[frame["org_code"] == user.org_code]
    return frame.reset_index(drop=True)


def _own_org(user: User, org_code: str | None) -> str | None:
    """The organisation a request may cover (``None``: all, for analysts)."""
    if user.role == "force":
        return user.org_code
    return org_code


def submissions(user: User, org_code: str | None = None) -> pd.DataFrame:
    """Submission history, newest first.

    A force user gets only its own organisation's submissions: asking for
    another organisation returns an empty history.
    """
    _require(user, "force", "analyst", "admin")
    with _reading() as con:
        history = queries.submissions(con, org_code=_own_org(user, org_code))
    if user.role == "force" and org_code not in (None, user.org_code):
        return history.iloc[0:0]  # another organisation's history: nothing
    return history


def submission_report(user: User, submission_id: int) -> tuple[dict, pd.DataFrame] | None:
    """A submission and its validation issues (row, column, problem, fix), if visible."""
    _require(user, "force", "analyst", "admin")
    with _reading() as con:
        sub = queries.submission(con, int(submission_id))
        if sub is None or (user.role == "force" and sub["org_code"] != user.org_code):
            return None
        return sub, queries.submission_issues(con, int(submission_id))


def data_status(user: User) -> pd.DataFrame:
    """Which organisation submitted which quarter (a force sees its own row)."""
    _require(user, "force", "analyst", "admin")
    return figures.status_of(submissions(user))


def template(user: User, quarter: str, fmt: str, org_code: str | None = None) -> tuple[str, bytes]:
    """The return template for an organisation and quarter: file name and bytes."""
    _require(user, "force", "analyst", "admin")
    org = _own_org(user, org_code)
    if not org:
        raise UserError("choose the organisation the template is for")
    from collection.template import csv_template, template_file_name, xlsx_template

    data = xlsx_template(org, quarter) if fmt == "xlsx" else csv_template(org, quarter)
    return template_file_name(org, quarter, fmt), data


def upload_return(
    user: User, file_name: str, data: bytes, quarter: str, org_code: str | None = None
) -> Any:
    """Submit an uploaded return (validated, then loaded or quarantined).

    A force user submits for its own organisation only.

    Returns
    -------
    darkfigure.pipeline.intake.SubmissionOutcome
    """
    _require(user, "force", "analyst", "admin")
    if user.role == "force" and org_code not in (None, user.org_code):
        raise AccessDenied("a force account submits returns for its own organisation only")
    org = _own_org(user, org_code)
    if not org:
        raise UserError("choose the organisation the return is for")
    from darkfigure.pipeline.intake import submit_return

    suffix = Path(file_name).suffix.lower() or ".csv"
    with tempfile.TemporaryDirectory(prefix="darkfigure-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        outcome = submit_return(path, org, quarter, settings=Settings.from_env(),
                                actor=user.username, file_name=Path(file_name).name)
    clear_caches()
    return outcome


# ----------------------------------------------------------------- analysts
def periods(user: User) -> list[str]:
    """Years and quarters with live submissions, newest first."""
    _require(user, "analyst", "admin")
    with _reading() as con:
        quarters = sorted(set(queries.live_submissions_in(con, None)["quarter"]), reverse=True)
    years = sorted({q[:4] for q in quarters}, reverse=True)
    return years + quarters


def capture_tables(user: User, period: str, by: str | None = None) -> Any:
    """Capture tables of a period from the current linkage (re-linking if out of date).

    Returns
    -------
    darkfigure.pipeline.tables.TablesOutcome
    """
    _require(user, "analyst", "admin")
    from darkfigure.pipeline.tables import capture_tables as build

    outcome = build(Settings.from_env(), period, by=by, relink=True, actor=user.username)
    if outcome.relinked:
        clear_caches()
    return outcome


def save_run(user: User, results: list, tables: list, *, period: str, by: str | None,
             note: str | None, linkage_run_id: int | None) -> Any:
    """Save results as a draft run; the first result's method is the run's headline."""
    _require(user, "analyst", "admin")
    from darkfigure.pipeline.runs import save_run as save

    saved = save(Settings.from_env(), results, tables, actor=user.username, period=period,
                 stratify_by=by, note=note or None, linkage_run_id=linkage_run_id)
    clear_caches()
    return saved


def publish_run(user: User, run_id: int, note: str | None) -> dict:
    """Publish a draft run so that policymakers see it."""
    _require(user, "analyst", "admin")
    from darkfigure.pipeline.runs import publish_run as publish

    run = publish(Settings.from_env(), int(run_id), actor=user.username, note=note or None)
    clear_caches()
    return run


# -------------------------------------------------------------------- admin
def users(user: User) -> pd.DataFrame:
    """Every account (no hashes)."""
    _require(user, "admin")
    with _reading() as con:
        return auth.list_users(con)


def add_user(user: User, username: str, password: str, role: str, *,
             org_code: str | None = None, display_name: str | None = None) -> User:
    """Create an account."""
    _require(user, "admin")
    with _writing() as con:
        new = auth.create_user(con, username, password, role, org_code=org_code,
                               display_name=display_name)
        audit(con, user.username, "user.add", f"user:{new.username}", {"role": role})
    return new


def unlock_user(user: User, username: str) -> None:
    """Clear a lock-out."""
    _require(user, "admin")
    with _writing() as con:
        auth.unlock(con, username)
        audit(con, user.username, "user.unlock", f"user:{username}")


def set_user_active(user: User, username: str, active: bool) -> None:
    """Enable or disable an account (not one's own)."""
    _require(user, "admin")
    if username == user.username and not active:
        raise UserError("you cannot disable your own account")
    with _writing() as con:
        auth.set_active(con, username, active)
        audit(con, user.username, "user.enable" if active else "user.disable", f"user:{username}")
