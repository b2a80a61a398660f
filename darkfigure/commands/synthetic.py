"""``darkfigure simulate``, ``study`` and ``demo``: the synthetic nation with known truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from darkfigure.app import app
from darkfigure.errors import UserError


def parse_years(text: str) -> tuple[int, ...]:
    """``"2022-2025"`` -> (2022, 2023, 2024, 2025); ``"2023,2025"`` -> (2023, 2025)."""
    years: set[int] = set()
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if hi < lo:
                    raise ValueError
                years.update(range(lo, hi + 1))
            elif part:
                years.add(int(part))
    except ValueError:
        raise UserError(f"--years '{text}' is not a year range; write e.g. 2022-2025") from None
    if not years or min(years) < 1990 or max(years) > 2100:
        raise UserError(f"--years '{text}' is not a year range; write e.g. 2022-2025")
    return tuple(sorted(years))


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="Directory to write returns/ and truth/ into.")],
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same nation).")] = 1,
    years: Annotated[str, typer.Option(help="Years, e.g. 2022-2025.")] = "2022-2025",
    size: Annotated[
        int, typer.Option(help="Expected true number of victims in the first year.")
    ] = 10_000,
    areas: Annotated[
        int | None,
        typer.Option(help="Only the N most populous police force areas (fewer returns)."),
    ] = None,
) -> None:
    """Simulate a nation with known truth: quarterly returns and the truth behind them."""
    from darkfigure.synthetic import NationConfig, simulate_nation

    if areas is not None and not 1 <= areas <= 43:
        raise UserError(f"--areas {areas}: give a number of force areas from 1 to 43")
    nation = simulate_nation(
        out, NationConfig(seed=seed, years=parse_years(years), size=size, n_areas=areas)
    )
    typer.echo(f"Wrote {nation.files:,} returns ({nation.rows:,} rows; {nation.rejected} first "
               f"attempts intake should refuse or quarantine) to {out / 'returns'}; "
               f"truth in {out / 'truth'}")
    typer.echo(f"{'year':<6}{'true N':>9}{'observed':>10}")
    for year, n in nation.true_n.items():
        typer.echo(f"{year:<6}{n:>9,}{nation.observed[year]:>10,}")


@app.command()
def study(
    method: Annotated[
        list[str] | None,
        typer.Option(help="Method to study (repeatable; default: every fast registered one)."),
    ] = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option(help="Scenario (repeatable; default: all). See --list-scenarios."),
    ] = None,
    reps: Annotated[
        int,
        typer.Option(help="Replicates wanted per scenario and method, counting those "
                     "already recorded with the same seed and settings."),
    ] = 200,
    seed: Annotated[int, typer.Option(help="Study seed.")] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address (tcp://host:port); default: a local cluster."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes of the local cluster (default: cores).")
    ] = None,
    draws: Annotated[int, typer.Option(help="MCMC draws per chain (Bayesian methods).")] = 1000,
    tune: Annotated[int, typer.Option(help="MCMC tuning steps (Bayesian methods).")] = 1000,
    out_dir: Annotated[
        Path | None, typer.Option(help="Where to record the tables (default: benchmarks/results).")
    ] = None,
    list_scenarios: Annotated[
        bool, typer.Option("--list-scenarios", help="List the scenarios and stop.")
    ] = False,
) -> None:
    """Simulation study: bias, relative RMSE and 95% coverage of each method, on Dask."""
    import sys

    import pandas as pd

    from darkfigure.study import SCENARIOS
    from darkfigure.study.execution import dask_client, run_study
    from darkfigure.study.report import RESULTS_DIR, format_table, record
    from estimation.registry import available

    if list_scenarios:
        for scen in SCENARIOS.values():
            typer.echo(f"{scen.name:<20} {scen.describe()}")
        return
    registry = available()
    methods = method or [n for n, c in registry.items() if not c.slow]
    for name in methods:
        if name not in registry:
            raise UserError(f"unknown method '{name}'; see `darkfigure methods`")
    names = scenario or list(SCENARIOS)
    for name in names:
        if name not in SCENARIOS:
            raise UserError(f"unknown scenario '{name}'; known: {', '.join(SCENARIOS)}")
    if reps < 1:
        raise UserError("--reps must be at least 1")
    command = "darkfigure " + " ".join(sys.argv[1:]) if sys.argv[1:] else "darkfigure study"
    settings = {"draws": draws, "tune": tune}
    with dask_client(scheduler, workers) as client:
        typer.echo(f"Dask: {len(client.scheduler_info().get('workers', {}))} worker(s) at "
                   f"{client.scheduler.address}")
        try:
            # Resumable: runs only replicates not yet in study_reps/, appended as they finish.
            run_study(client, names, methods, reps, seed, out_dir or RESULTS_DIR, settings,
                      progress=lambda s, done, total: typer.echo(f"{s}: {done}/{total}"))
        finally:
            for name in names:
                scen = SCENARIOS[name]
                csv_path, md_path = record(scen, command, out_dir, methods=methods)
                typer.echo(f"\n== {name}: {scen.describe()}")
                table = pd.read_csv(csv_path)
                typer.echo(format_table(table[table["method"].isin(methods)]))
                typer.echo(f"Recorded in {md_path} and {csv_path.name}")


@app.command()
def demo(
    size: Annotated[str, typer.Option(help="small (quick) | full (2022-2025, every force).")] = (
        "small"
    ),
    force_rebuild: Annotated[
        bool, typer.Option("--force-rebuild", help="Build the demo warehouse anew.")
    ] = False,
    method: Annotated[
        list[str] | None, typer.Option(help="Estimation method (repeatable; default: fast ones).")
    ] = None,
) -> None:
    """Build a demo warehouse from a synthetic nation and show estimates beside the truth."""
    from darkfigure.pipeline.demo import format_summary, run_demo

    summary = run_demo(size, force_rebuild=force_rebuild, methods=method, echo=typer.echo)
    typer.echo(format_summary(summary))
