"""The study's table: printed, and recorded in ``benchmarks/results/study_<scenario>``.

The CSV keeps one row per method; a new run replaces the rows of the methods
it ran and keeps the others, so slow methods can be recorded in a separate,
shorter run.  The Markdown file is rewritten from the CSV with the scenario's
description.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from darkfigure.settings import REPO_ROOT
from darkfigure.study.scenarios import Scenario
from darkfigure.study.simulation import SUMMARY_COLUMNS

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
_EXTRA = ("seed", "run_at")


def format_table(summary: pd.DataFrame) -> str:
    """A Markdown table of a summary (numbers rounded for reading)."""
    shown = summary[list(SUMMARY_COLUMNS)].copy()
    for col, digits in (("mean_N_hat", 0), ("bias", 0), ("rel_bias_pct", 1),
                        ("rel_rmse_pct", 1), ("coverage_pct", 1), ("mean_width_pct", 1),
                        ("median_seconds", 3)):
        shown[col] = shown[col].map(lambda x, d=digits: "-" if pd.isna(x) else f"{x:,.{d}f}")
    header = "| " + " | ".join(shown.columns) + " |"
    rule = "|" + "|".join("---" for _ in shown.columns) + "|"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in shown.to_numpy()]
    return "\n".join([header, rule, *body])


def record(
    summary: pd.DataFrame,
    scen: Scenario,
    seed: int,
    command: str,
    directory: Path | None = None,
) -> tuple[Path, Path]:
    """Merge a run's summary into the scenario's CSV and rewrite its Markdown.

    Returns
    -------
    tuple of Path
        The CSV and the Markdown file.
    """
    directory = directory or RESULTS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    csv_path = directory / f"study_{scen.name}.csv"
    md_path = directory / f"study_{scen.name}.md"
    fresh = summary.assign(seed=seed, run_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"))
    if csv_path.exists():
        old = pd.read_csv(csv_path)
        old = old[~old["method"].isin(fresh["method"])]
        fresh = pd.concat([old, fresh], ignore_index=True)
    fresh = fresh[list(SUMMARY_COLUMNS) + list(_EXTRA)]
    fresh.to_csv(csv_path, index=False)
    md_path.write_text(_markdown(fresh, scen, command), encoding="utf-8")
    return csv_path, md_path


def _markdown(table: pd.DataFrame, scen: Scenario, command: str) -> str:
    runs = ", ".join(
        f"{r.method} ({r.reps} reps, seed {r.seed}, {r.run_at} UTC)" for r in table.itertuples()
    )
    return "\n".join([
        f"# Simulation study: {scen.name}",
        "",
        scen.describe(),
        "",
        "bias and mean N_hat over replicates that gave an estimate; rel_rmse_pct = "
        "100 * RMSE / N; coverage_pct = share of 95% intervals containing the true N; "
        "mean_width_pct = mean interval width / N; failed = replicates with no estimate.",
        "",
        format_table(table),
        "",
        f"Runs: {runs}.",
        "",
        f"Reproduce: `{command}`",
        "",
    ])
