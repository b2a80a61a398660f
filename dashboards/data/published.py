"""Published estimates: the headline and trend, breakdowns, methods side by side, runs.

The headline page reads one small query (:data:`HEADLINE_SQL`: a row per year)
that is cached, and pre-read when the dashboard starts; the other pages read
the published runs and estimates once per warehouse version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from darkfigure.auth import User
from darkfigure.warehouse import queries
from dashboards import figures
from dashboards.data.access import AccessDenied, require, withheld
from dashboards.data.warehouse import cached, existing, reading, warehouse_path
from dashboards.figures import Headline

#: The headline estimate of each year: of the newest published, unstratified run
#: of the year, the whole-population estimate of the run's headline method
#: (``settings.headline``, else its first method: runs saved before the headline
#: was recorded).  Figures' column order as in :func:`trend`.
HEADLINE_SQL = r"""
WITH newest AS (
    SELECT run_id, period, data_hash, published_at, note,
           coalesce(nullif(json_extract_string(settings, '$.headline'), ''), methods[1])
               AS method
    FROM estimate_runs
    WHERE status = 'published' AND stratify_by IS NULL
      AND regexp_full_match(period, '\d{4}')
    QUALIFY row_number() OVER (PARTITION BY period ORDER BY run_id DESC) = 1
)
SELECT r.period, e.estimate, e.lower, e.upper, e.observed, e.level, r.method, r.run_id,
       r.data_hash, r.published_at, coalesce(r.note, '') AS note
FROM newest r JOIN estimates e ON e.run_id = r.run_id AND e.method = r.method
WHERE lower(trim(coalesce(e.stratum, ''))) IN ('', 'all', 'total')
QUALIFY row_number() OVER (PARTITION BY r.period ORDER BY e.stratum) = 1
ORDER BY r.period
"""
TREND_COLUMNS = ["period", "estimate", "lower", "upper", "observed", "level", "method", "run_id"]


def headline_rows(path: Path) -> pd.DataFrame:
    """:data:`HEADLINE_SQL` on the warehouse at ``path`` (cached per version)."""
    return cached("headline", path, _read_headline_rows)


def _read_headline_rows(path: Path) -> pd.DataFrame:
    with reading(path) as con:
        return con.execute(HEADLINE_SQL).df()


def _published_rows(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Published runs and their estimates (without capture tables)."""
    with reading(path) as con:
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


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _published_for(user: User) -> tuple[pd.DataFrame, pd.DataFrame]:
    require(user, "policymaker", "analyst", "admin")
    return cached("published", existing(), _published_rows)


def _yearly(user: User) -> pd.DataFrame:
    require(user, "policymaker", "analyst", "admin")
    return withheld(user, headline_rows(existing()), ["period"])


def trend(user: User) -> pd.DataFrame:
    """Headline estimate per year from published runs (``period, estimate, lower, ...``)."""
    return _yearly(user)[[*TREND_COLUMNS, "suppressed"]]


def headline(user: User) -> Headline | None:
    """The latest year's published headline with its provenance, or ``None``."""
    rows = _yearly(user)
    if rows.empty:
        return None
    last = rows.iloc[-1]
    number = {k: float("nan") if pd.isna(last[k]) else float(last[k])
              for k in ("estimate", "lower", "upper", "observed")}
    return Headline(
        period=str(last["period"]), estimate=number["estimate"],
        lower=number["lower"], upper=number["upper"],
        observed=number["observed"], level=float(last["level"]),
        method=str(last["method"]), run_id=int(last["run_id"]),
        data_hash=str(last["data_hash"]), published_at=str(last["published_at"])[:16],
        note=str(last["note"]),
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
    rows = withheld(user, rows)
    info = {"run_id": int(run["run_id"]), "period": str(run["period"]), "method": method,
            "data_hash": str(run["data_hash"]), "published_at": str(run["published_at"])[:16]}
    return rows, info


def method_comparison(user: User, run_id: int) -> pd.DataFrame:
    """Every method's whole-population estimate in a published run, side by side."""
    _, estimates = _published_for(user)
    pick = estimates[(estimates["run_id"] == run_id)
                     & estimates["stratum"].map(lambda s: figures.parse_stratum(s) is None)]
    cols = ["method", "observed", "estimate", "lower", "upper", "level", "interval", "model",
            "existence", "warnings"]
    rows = pick[cols].sort_values("estimate").reset_index(drop=True)
    return withheld(user, rows, ["method"])


def run_detail(user: User, run_id: int) -> tuple[dict, pd.DataFrame]:
    """A run and its estimates: drafts for analysts only; policymakers get withheld cells.

    Raises
    ------
    AccessDenied
        A force user, or a policymaker asking for an unpublished run.
    """
    require(user, "policymaker", "analyst", "admin")
    with reading() as con:
        run = queries.estimate_run(con, run_id)
        if run is None or (run["status"] != "published" and not user.sees_unpublished):
            raise AccessDenied(f"estimate run {run_id} is not published")
        estimates = queries.run_estimates(con, run_id)
    if not user.sees_unpublished:  # no capture tables or diagnostics; small strata withheld
        estimates = withheld(user, estimates[[
            "stratum", "method", "observed", "estimate", "lower", "upper", "level", "interval",
            "model", "existence", "warnings"]], ["method"])
    return run, estimates


def runs(user: User) -> pd.DataFrame:
    """Estimate runs, newest first: all for analysts, published ones for policymakers."""
    require(user, "policymaker", "analyst", "admin")
    with reading() as con:
        return queries.estimate_runs(con, status=None if user.sees_unpublished else "published")


def prefetch() -> None:
    """Read the headline rows now (when the dashboard starts), so that the first
    policymaker finds them cached; nothing happens without a warehouse."""
    path = warehouse_path()
    if path.exists():
        headline_rows(path)
