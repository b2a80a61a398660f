"""Replicate-level results of a study, kept so that a study adds replicates instead of restarting.

One CSV per scenario and method, ``benchmarks/results/study_reps/<scenario>/<method>.csv``,
one row per replicate.  A replicate is identified by the study ``seed``, its
number ``rep`` (its table is drawn from the ``rep``-th seed of the study seed,
whatever the number of replicates asked for) and the MCMC ``settings``; a run
with the same identity skips the replicates already recorded and appends the
others as their tasks finish, so an interrupted run loses only the replicates in
flight, and a run continued later, or from another machine's client, adds to
the count.  ``code`` records the commit the replicate ran on (``+dirty`` when
the estimation or study code had uncommitted changes); it is not part of the
identity, so a study can grow across commits of the estimators, and the table
states which commits its replicates ran on.

CSV, not Parquet: rows are appended a task at a time, and the files are small
(~150 bytes a row) and diff well in git.
"""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from darkfigure.settings import REPO_ROOT

#: Columns of a replicate file, in order.
REP_COLUMNS = (
    "scenario", "method", "seed", "rep", "rep_seed", "settings", "code", "run_at", "N",
    "observed", "estimate", "lower", "upper", "seconds", "converged", "reran", "warning",
    "error",
)

#: Settings that change an MCMC method's result, and so a replicate's identity.
KEYED_SETTINGS = ("draws", "tune", "chains")


def reps_dir(results_dir: Path) -> Path:
    """Where a results directory keeps its replicate files."""
    return results_dir / "study_reps"


def rep_path(results_dir: Path, scenario: str, method: str) -> Path:
    """The replicate file of one scenario and method."""
    return reps_dir(results_dir) / scenario / f"{method}.csv"


def settings_key(settings: Mapping[str, Any] | None) -> str:
    """The settings part of a replicate's identity, e.g. ``draws=1000 tune=1000 chains=2``.

    Settings not given take the registry defaults, so a run that passes them
    explicitly and one that does not share their replicates.
    """
    from estimation.registry import Settings

    full = Settings(**{k: v for k, v in (settings or {}).items() if k in KEYED_SETTINGS})
    key = " ".join(f"{name}={getattr(full, name)}" for name in KEYED_SETTINGS)
    options = (settings or {}).get("options")
    return key + (f" options={json.dumps(options, sort_keys=True)}" if options else "")


@cache
def code_version() -> str:
    """The commit this process's code comes from (``+dirty`` if estimation or study code
    has uncommitted changes); the package version when there is no git checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT,
                              capture_output=True, text=True, check=True, timeout=10).stdout
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "estimation", "darkfigure/study"],
            cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        from importlib import metadata

        try:
            return "darkfigure " + metadata.version("darkfigure")
        except metadata.PackageNotFoundError:
            return "unknown"
    return head.strip() + ("+dirty" if dirty.strip() else "")


def load(results_dir: Path, scenario: str, method: str | None = None) -> pd.DataFrame:
    """Every recorded replicate of a scenario (of one method, or of all)."""
    folder = reps_dir(results_dir) / scenario
    paths = [rep_path(results_dir, scenario, method)] if method else sorted(folder.glob("*.csv"))
    frames = [_read(p) for p in paths if p.exists()]
    if not frames:
        return pd.DataFrame(columns=list(REP_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def _read(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={"settings": str, "code": str, "warning": str,
                                     "error": str, "method": str, "scenario": str})
    missing = [c for c in REP_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: not a replicate file (no column {', '.join(missing)}); "
                         "move it away and run the study again")
    for col in ("warning", "error"):
        frame[col] = frame[col].fillna("")
    return frame


def recorded_reps(results_dir: Path, scenario: str, method: str, seed: int,
                  settings: str) -> set[int]:
    """Numbers of the replicates already recorded with this identity."""
    frame = load(results_dir, scenario, method)
    same = frame[(frame["seed"] == seed) & (frame["settings"] == settings)]
    return {int(r) for r in same["rep"]}


def append(results_dir: Path, rows: Iterable[Mapping[str, Any]], seed: int, settings: str,
           code: str | None = None) -> int:
    """Append finished replicates to their files; return how many rows were written.

    ``rows`` are :func:`darkfigure.study.simulation.run_replicates` rows; the
    study identity (``seed``, ``settings``), ``code`` and the time are added here.
    """
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    code = code or code_version()
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        full = {**row, "seed": seed, "settings": settings, "code": code, "run_at": stamp}
        groups.setdefault((row["scenario"], row["method"]), []).append(full)
    written = 0
    for (scenario, method), part in groups.items():
        path = rep_path(results_dir, scenario, method)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = pd.DataFrame(part).reindex(columns=list(REP_COLUMNS))
        frame.to_csv(path, mode="a", header=not path.exists(), index=False)
        written += len(frame)
    return written


def latest_settings(frame: pd.DataFrame) -> pd.DataFrame:
    """The replicates of each method recorded with its most recently used seed and settings.

    A method studied again with other settings starts a new count; the table
    shows the newest study, and the older replicates stay in the file.
    """
    if frame.empty:
        return frame
    keep = []
    for _, g in frame.groupby("method", sort=False):
        last = g.iloc[-1]
        keep.append(g[(g["seed"] == last["seed"]) & (g["settings"] == last["settings"])]
                    .drop_duplicates(subset=["rep"], keep="last"))
    return pd.concat(keep, ignore_index=True)


def coverage_mcse(coverage_pct: float, n: int) -> float:
    """Monte Carlo standard error of a coverage percentage over ``n`` intervals."""
    if n <= 0 or not math.isfinite(coverage_pct):
        return math.nan
    p = coverage_pct / 100
    return 100 * math.sqrt(p * (1 - p) / n)
