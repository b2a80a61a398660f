"""``darkfigure summary``: list sizes, overlaps and sparsity of a capture table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from darkfigure.app import app
from estimation.summary import summarise
from estimation.table_io import read_capture_tables


@app.command()
def summary(
    table: Annotated[Path, typer.Argument(help="Capture-table CSV (DESIGN.md section 2).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Describe a capture table: list sizes, overlaps, empty cells, unconnected lists."""
    summaries = [summarise(tab) for tab in read_capture_tables(table).values()]
    if as_json:
        if len(summaries) == 1 and not summaries[0].stratum:
            typer.echo(json.dumps(summaries[0].to_dict()))
        else:
            typer.echo(json.dumps({"strata": [s.to_dict() for s in summaries]}))
        return
    typer.echo("\n\n".join(s.to_text() for s in summaries))
