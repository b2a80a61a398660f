"""The study's table: printed, and recorded in ``benchmarks/results/study_<scenario>``.

The table is rebuilt from every recorded replicate (:mod:`darkfigure.study.store`),
so its ``reps`` is the true number behind each row.  Methods recorded before
replicates were kept (summary rows only) keep their row in the CSV as it was,
marked ``settings`` = ``summary only``, until they are studied again.  The
Markdown file is rewritten from the CSV with the scenario's description.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from darkfigure.settings import REPO_ROOT
from darkfigure.study import store
from darkfigure.study.scenarios import Scenario
from darkfigure.study.simulation import SUMMARY_COLUMNS, summarise

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
_EXTRA = ("seed", "settings", "code", "run_at", "command")
#: ``settings`` of a row kept from a study that recorded no replicates.
SUMMARY_ONLY = "summary only"
_DIGITS = (("mean_N_hat", 0), ("bias", 0), ("rel_bias_pct", 1), ("rel_rmse_pct", 1),
           ("coverage_pct", 1), ("coverage_mcse_pct", 1), ("mean_width_pct", 1),
           ("median_seconds", 3), ("converged_pct", 0), ("reran_pct", 0), ("warned_pct", 0))


def format_table(summary: pd.DataFrame) -> str:
    """A Markdown table of a summary (numbers rounded for reading; ``-``: not applicable)."""
    shown = summary.reindex(columns=list(SUMMARY_COLUMNS)).copy()
    for col, digits in _DIGITS:
        shown[col] = shown[col].map(
            lambda x, d=digits: "-" if pd.isna(x) else f"{float(x):,.{d}f}")
    header = "| " + " | ".join(shown.columns) + " |"
    rule = "|" + "|".join("---" for _ in shown.columns) + "|"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in shown.to_numpy()]
    return "\n".join([header, rule, *body])


def summary_from_replicates(directory: Path, scenario: str) -> pd.DataFrame:
    """One row per method recorded in ``study_reps/<scenario>``, with its seed, settings,
    the commits its replicates ran on and when the last one was recorded."""
    reps = store.latest_settings(store.load(directory, scenario))
    if reps.empty:
        return pd.DataFrame(columns=list(SUMMARY_COLUMNS) + list(_EXTRA))
    summary = summarise(reps)
    extra = reps.groupby("method", sort=False).agg(
        seed=("seed", "last"), settings=("settings", "last"),
        code=("code", _code_counts), run_at=("run_at", "max"))
    return summary.join(extra, on="method")


def _code_counts(codes: pd.Series) -> str:
    # A study can grow across commits of the estimators: say how many replicates each ran.
    counts: dict[str, int] = {}
    for code in codes:
        counts[str(code)] = counts.get(str(code), 0) + 1
    if len(counts) == 1:
        return next(iter(counts))
    return ", ".join(f"{code} ({n} reps)" for code, n in counts.items())


def record(
    scen: Scenario,
    command: str,
    directory: Path | None = None,
    summary: pd.DataFrame | None = None,
    seed: int | None = None,
    methods: list[str] | None = None,
) -> tuple[Path, Path]:
    """Rebuild the scenario's CSV and Markdown from its recorded replicates.

    Parameters
    ----------
    scen
        The scenario.
    command
        The command of this run, shown beside the methods it ran.
    directory
        Results directory (default ``benchmarks/results``).
    summary, seed
        A summary of replicates that were not kept (one row per method): it
        replaces those methods' rows, marked ``summary only``.
    methods
        The methods this run studied (default: every method of ``summary`` or
        with replicates); the others keep the command recorded with them.

    Returns
    -------
    tuple of Path
        The CSV and the Markdown file.
    """
    directory = directory or RESULTS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    csv_path = directory / f"study_{scen.name}.csv"
    md_path = directory / f"study_{scen.name}.md"
    fresh = summary_from_replicates(directory, scen.name)
    ran = set(methods) if methods is not None else set(fresh["method"]) | (
        set(summary["method"]) if summary is not None else set())
    if summary is not None:
        loose = summary[~summary["method"].isin(fresh["method"])].assign(
            seed=seed, settings=SUMMARY_ONLY, code="",
            run_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"))
        fresh = pd.concat([fresh, loose], ignore_index=True) if not fresh.empty else loose
    previous: dict[str, str] = {}
    if csv_path.exists():
        old = pd.read_csv(csv_path, dtype={"settings": str, "code": str, "command": str})
        if "command" not in old.columns:
            old["command"] = _old_command(md_path)
        previous = dict(zip(old["method"], old["command"].fillna(""), strict=True))
        old = old[~old["method"].isin(fresh["method"])].copy()
        if "settings" not in old.columns:
            old["settings"] = SUMMARY_ONLY
        if "coverage_mcse_pct" not in old.columns:
            old["coverage_mcse_pct"] = [
                store.coverage_mcse(c, int(r - f))
                for c, r, f in zip(old["coverage_pct"], old["reps"], old["failed"], strict=True)]
        fresh = pd.concat([old, fresh], ignore_index=True) if not old.empty else fresh
    fresh = fresh.reindex(columns=list(SUMMARY_COLUMNS) + list(_EXTRA))
    fresh["command"] = [command if m in ran else previous.get(m, "") for m in fresh["method"]]
    fresh = fresh.sort_values("method").reset_index(drop=True)
    fresh.to_csv(csv_path, index=False)
    md_path.write_text(_markdown(fresh, scen), encoding="utf-8")
    return csv_path, md_path


def _old_command(md_path: Path) -> str:
    # Tables recorded before the CSV kept commands named one in the Markdown.
    if md_path.exists():
        for line in md_path.read_text(encoding="utf-8").splitlines():
            if line.startswith("Reproduce: `"):
                return line.split("`")[1]
    return ""


def _runs(table: pd.DataFrame) -> list[str]:
    lines = []
    for r in table.itertuples():
        what = f"seed {r.seed}, {r.run_at} UTC"
        if isinstance(r.settings, str) and r.settings != SUMMARY_ONLY:
            what = f"seed {r.seed}, {r.settings}, code {r.code}, last replicate {r.run_at} UTC"
        else:
            what += ", summary only (replicates not kept)"
        lines.append(f"- {r.method}: {r.reps} reps, {what}")
    return lines


def _reproduce(table: pd.DataFrame) -> list[str]:
    lines = []
    for command, g in table.groupby(table["command"].fillna(""), sort=False):
        if command:
            lines.append(f"- `{command}`: {', '.join(g['method'])}")
    return lines


def _markdown(table: pd.DataFrame, scen: Scenario) -> str:
    return "\n".join([
        f"# Simulation study: {scen.name}",
        "",
        scen.describe(),
        "",
        "bias and mean N_hat over replicates that gave an estimate; rel_rmse_pct = "
        "100 * RMSE / N; coverage_pct = share of 95% intervals containing the true N, "
        "coverage_mcse_pct its Monte Carlo standard error (sqrt(p(1-p)/reps)); "
        "mean_width_pct = mean interval width / N; failed = replicates with no estimate; "
        "converged_pct / reran_pct = MCMC replicates that passed the convergence gate "
        "(R-hat <= 1.01, ESS >= 400, no divergences) / needed its one re-run with "
        "stronger settings; warned_pct = estimates that carried a warning "
        "(`-`: not recorded or not applicable).",
        "",
        format_table(table),
        "",
        "Runs:",
        "",
        *_runs(table),
        "",
        "Reproduce (a command adds the replicates not yet recorded in "
        f"`benchmarks/results/study_reps/{scen.name}/`, up to `--reps`):",
        "",
        *_reproduce(table),
        "",
    ])

