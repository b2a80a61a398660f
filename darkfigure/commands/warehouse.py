"""Warehouse commands: ``init``, ``submissions``, ``link``, ``tables``, ``runs`` and
``publish`` (``submit`` is with the other return commands, :mod:`darkfigure.commands.returns`).

Exit codes: 0 done; 2 bad arguments; 3 the warehouse is busy (another process is
writing; try again).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from darkfigure.app import actor_name, app
from darkfigure.settings import Settings


def _show(frame: pd.DataFrame) -> None:
    if frame.empty:
        typer.echo("(none)")
        return
    typer.echo(frame.to_string(index=False))


@app.command()
def init(actor: Annotated[str | None, typer.Option(help="Who is acting.")] = None) -> None:
    """Create the warehouse, or upgrade it to the current schema."""
    from darkfigure.pipeline.setup import init_warehouse

    typer.echo(init_warehouse(Settings.from_env(), actor=actor_name(actor)).message())


@app.command()
def submissions(
    org: Annotated[str | None, typer.Option("--org", help="Organisation code.")] = None,
    quarter: Annotated[str | None, typer.Option("--quarter", help="Quarter.")] = None,
) -> None:
    """List submissions (every version, newest first)."""
    from darkfigure.pipeline.setup import require_current
    from darkfigure.warehouse import connect, queries

    settings = Settings.from_env()
    with connect(settings.warehouse_path, read_only=True) as con:
        require_current(con)
        frame = queries.submissions(
            con, org_code=org.upper() if org else None, quarter=quarter.upper() if quarter else None
        )
    cols = ["submission_id", "org_code", "quarter", "version", "status", "n_rows",
            "n_errors", "n_warnings", "submitted_by", "submitted_at", "file_name"]
    _show(frame[cols])


@app.command()
def link(
    period: Annotated[
        str | None, typer.Option(help="Year (2025), quarter (2025Q3) or all (default).")
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Who is acting.")] = None,
) -> None:
    """Link the records of live returns into persons and print the linkage report."""
    from darkfigure.pipeline.linking import run_linkage

    outcome = run_linkage(Settings.from_env(), period=period, actor=actor_name(actor))
    typer.echo(outcome.message())


@app.command()
def tables(
    period: Annotated[str, typer.Option(help="Year (2025) or quarter (2025Q3).")],
    out: Annotated[Path, typer.Option(help="Capture-table CSV to write.")],
    by: Annotated[
        str | None, typer.Option(help="Stratify by age_group | exploitation | region.")
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Who is acting.")] = None,
) -> None:
    """Write the capture tables of a period (input of `darkfigure estimate`)."""
    from darkfigure.pipeline.tables import capture_tables, export_tables

    outcome = capture_tables(Settings.from_env(), period, by=by, actor=actor_name(actor))
    path = export_tables(outcome, out)
    typer.echo(outcome.message())
    typer.echo(f"Wrote {path}")


@app.command()
def runs(
    status: Annotated[str | None, typer.Option(help="draft | published")] = None,
    run: Annotated[int | None, typer.Option(help="Show one run's estimates.")] = None,
) -> None:
    """List estimate runs, or the estimates of one run."""
    from darkfigure.pipeline.runs import list_runs, load_run

    settings = Settings.from_env()
    if run is not None:
        row, estimates = load_run(settings, run)
        typer.echo(
            f"Run {row['run_id']} [{row['status']}] period {row['period']} "
            f"by {row['created_by']} at {row['created_at']}; note: {row['note'] or '-'}"
        )
        _show(estimates[["stratum", "method", "observed", "estimate", "lower", "upper",
                         "interval", "existence"]])
        return
    _show(list_runs(settings, status=status))


@app.command()
def publish(
    run: Annotated[int, typer.Argument(help="Estimate run id (see `darkfigure runs`).")],
    note: Annotated[str | None, typer.Option(help="Publication note.")] = None,
    actor: Annotated[str | None, typer.Option(help="Who is publishing.")] = None,
    headline: Annotated[str | None, typer.Option(
        help="Method whose estimate is the policymakers' headline (default: the one chosen "
             "when the run was saved, else its first method).")] = None,
) -> None:
    """Publish an estimate run so that policymakers see it."""
    from darkfigure.pipeline.runs import publish_run

    row = publish_run(Settings.from_env(), run, actor=actor_name(actor), note=note,
                      headline=headline)
    chosen = (row.get("settings") or {}).get("headline")
    typer.echo(f"Published estimate run {row['run_id']} at {row['published_at']}"
               + (f"; headline method {chosen}." if chosen else "."))
