"""Estimate runs: a set of estimates saved with their provenance, then published.

A run stores, for every stratum and method, the headline figures of an
:class:`~estimation.result.EstimateResult`, the capture table it was fitted on
(JSON) and where its draws are.  Posterior draws (``result.idata``) go to
``Settings.runs_dir / run_<id>/`` as netCDF, bootstrap or posterior draws of N
(``result.draws``) as ``.npz``: the warehouse holds only their paths.
The run's ``data_hash`` fingerprints its capture tables; each result's own
``provenance.data_hash`` must match its table, so a run cannot pair an estimate
with the wrong data.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from darkfigure.errors import UserError
from darkfigure.pipeline.events import log_event
from darkfigure.pipeline.setup import require_current
from darkfigure.settings import Settings
from darkfigure.warehouse import connect, queries, store, transaction
from darkfigure.warehouse.store import to_json
from estimation.capture_table import CaptureTable
from estimation.result import EstimateResult, package_versions


@dataclass(frozen=True)
class SavedRun:
    """A stored estimate run."""

    run_id: int
    n_estimates: int
    data_hash: str
    run_dir: Path | None

    def message(self) -> str:
        """One line for the user."""
        where = f"; draws in {self.run_dir}" if self.run_dir else ""
        return (
            f"Saved estimate run {self.run_id} (draft) with {self.n_estimates} "
            f"estimate(s){where}."
        )


def stratum_label(stratum: Sequence[tuple[str, str]]) -> str:
    """``age_group=child`` style label; ``all`` when unstratified."""
    return ", ".join(f"{k}={v}" for k, v in stratum) or "all"


def data_hash(tables: Sequence[CaptureTable]) -> str:
    """Fingerprint of a set of capture tables (order-independent)."""
    parts = sorted(t.snapshot_hash() for t in tables)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def table_json(table: CaptureTable) -> dict[str, Any]:
    """A capture table as JSON-ready data (lists, counts in cell order, stratum)."""
    return {
        "lists": list(table.lists),
        "counts": table.counts.tolist(),
        "stratum": dict(table.stratum),
        "snapshot_hash": table.snapshot_hash(),
    }


def table_from_json(data: dict[str, Any]) -> CaptureTable:
    """Inverse of :func:`table_json`."""
    return CaptureTable(
        tuple(data["lists"]),
        np.asarray(data["counts"]),
        stratum=tuple((k, str(v)) for k, v in data.get("stratum", {}).items()),
    )


def save_run(
    settings: Settings,
    results: Sequence[EstimateResult],
    tables: Sequence[CaptureTable],
    *,
    actor: str,
    period: str | None = None,
    stratify_by: str | None = None,
    note: str | None = None,
    linkage_run_id: int | None = None,
    headline: str | None = None,
) -> SavedRun:
    """Save estimates and their capture tables as a draft estimate run.

    Parameters
    ----------
    settings
        The installation.
    results
        The estimates (any methods, any strata of ``tables``).
    tables
        The capture tables they were fitted on, one per stratum.
    actor
        Who made the run.
    period, stratify_by
        What the tables cover (``2025``, ``age_group``), for readers.
    note
        Free text.
    linkage_run_id
        The linkage run the tables came from, if from the warehouse.
    headline
        The method whose whole-population estimate is the run's headline,
        stored as ``settings["headline"]`` (default: the first result's method).

    Raises
    ------
    ValueError
        No results, a result whose data hash matches none of ``tables``, or a
        headline method that is not among the results.
    """
    if not results:
        raise ValueError("an estimate run needs at least one result")
    by_hash = {t.snapshot_hash(): t for t in tables}
    for res in results:
        if res.provenance.data_hash not in by_hash:
            raise ValueError(
                f"the {res.method} result for [{stratum_label(res.stratum)}] was not fitted "
                "on any of the given capture tables"
            )
    first = results[0].provenance
    methods = list(dict.fromkeys(r.method for r in results))
    digest = data_hash(list(by_hash.values()))
    headline = headline or methods[0]
    if headline not in methods:
        raise ValueError(f"the headline method {headline!r} is not among the run's methods "
                         f"({', '.join(methods)})")
    run = {
        "created_at": pd.Timestamp.now(tz="UTC").to_pydatetime(),
        "created_by": actor,
        "period": period,
        "stratify_by": stratify_by,
        "methods": methods,
        "status": "draft",
        "note": note,
        "data_hash": digest,
        "linkage_run_id": linkage_run_id,
        # "headline" beside the methods' own settings: readers need not guess it.
        "settings": {"headline": headline,
                     **{r.method: dict(r.provenance.settings) for r in results}},
        "seed": first.seed,
        "versions": package_versions(),
    }
    with connect(settings.warehouse_path) as con:
        require_current(con)
        with transaction(con):
            run_id = store.insert_estimate_run(con, run)
            run_dir = settings.runs_dir / f"run_{run_id}"
            try:
                rows = [_estimate_row(run_id, r, by_hash, run_dir) for r in results]
                store.insert_estimates(con, pd.DataFrame(rows))
                if run_dir.exists():
                    store.set_run_draws_dir(con, run_id, str(run_dir))
                store.audit(con, actor, "run.save", f"estimate_run:{run_id}",
                            {"methods": methods, "n_estimates": len(rows), "period": period})
            except BaseException:
                shutil.rmtree(run_dir, ignore_errors=True)
                raise
    log_event(settings, "run.save", run_id=run_id, methods=methods, n_estimates=len(rows))
    return SavedRun(run_id, len(rows), digest, run_dir if run_dir.exists() else None)


def _estimate_row(
    run_id: int, res: EstimateResult, by_hash: dict[str, CaptureTable], run_dir: Path
) -> dict[str, Any]:
    data = res.to_dict()
    label = stratum_label(res.stratum)
    return {
        "run_id": run_id,
        "stratum": label,
        "method": res.method,
        "observed": res.observed,
        "estimate": data["estimate"],
        "lower": data["lower"],
        "upper": data["upper"],
        "level": res.level,
        "interval": res.interval,
        "model": " + ".join(res.model),
        "existence": res.existence,
        "warnings": to_json(list(res.warnings)),
        "diagnostics": to_json(data["diagnostics"]),
        "capture_table": to_json(table_json(by_hash[res.provenance.data_hash])),
        "draws_path": _save_draws(res, run_dir, label),
        "seconds": res.seconds,
    }


def _save_draws(res: EstimateResult, run_dir: Path, label: str) -> str | None:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{res.method}__{label}")
    if res.idata is not None:
        run_dir.mkdir(parents=True, exist_ok=True)
        path = run_dir / f"{stem}.nc"
        res.idata.to_netcdf(str(path))
        return str(path)
    if res.draws is not None:
        run_dir.mkdir(parents=True, exist_ok=True)
        path = run_dir / f"{stem}.npz"
        np.savez_compressed(path, N=np.asarray(res.draws))
        return str(path)
    return None


def publish_run(settings: Settings, run_id: int, *, actor: str, note: str | None = None,
                headline: str | None = None) -> dict:
    """Publish a draft run (policymakers see only published runs).

    The run's headline method is recorded in ``settings["headline"]``: the one
    given, else the one chosen when the run was saved, else (a run saved before
    headlines were recorded) its first method.

    Raises
    ------
    UserError
        Unknown run, a run already published, or a headline method the run lacks.
    """
    with connect(settings.warehouse_path) as con:
        require_current(con)
        with transaction(con):
            run = queries.estimate_run(con, run_id)
            if run is None:
                raise UserError(f"no estimate run {run_id}; see `darkfigure runs`")
            if run["status"] == "published":
                raise UserError(f"estimate run {run_id} is already published")
            chosen = _headline(run, headline)
            store.publish_run(con, run_id, actor, note)
            con.execute("UPDATE estimate_runs SET settings = ? WHERE run_id = ?",
                        [to_json({**(run["settings"] or {}), "headline": chosen}), run_id])
            store.audit(con, actor, "run.publish", f"estimate_run:{run_id}",
                        {"note": note, "headline": chosen})
            published = queries.estimate_run(con, run_id)
    log_event(settings, "run.publish", run_id=run_id)
    assert published is not None
    return published


def _headline(run: dict, asked: str | None) -> str:
    """The headline method a run is published with (see :func:`publish_run`)."""
    methods = [str(m) for m in run["methods"]]
    chosen = asked or (run["settings"] or {}).get("headline") or methods[0]
    if chosen not in methods:
        raise UserError(f"estimate run {run['run_id']} has no {chosen} estimate; its methods "
                        f"are {', '.join(methods)}")
    return str(chosen)


def list_runs(settings: Settings, *, status: str | None = None) -> pd.DataFrame:
    """Estimate runs, newest first (``status``: draft | published)."""
    with connect(settings.warehouse_path, read_only=True) as con:
        require_current(con)
        return queries.estimate_runs(con, status=status)


def load_run(settings: Settings, run_id: int) -> tuple[dict, pd.DataFrame]:
    """A run's row and its estimates.

    Raises
    ------
    UserError
        Unknown run.
    """
    with connect(settings.warehouse_path, read_only=True) as con:
        require_current(con)
        run = queries.estimate_run(con, run_id)
        if run is None:
            raise UserError(f"no estimate run {run_id}; see `darkfigure runs`")
        return run, queries.run_estimates(con, run_id)
