"""``darkfigure template``, ``validate`` and ``key init``: quarterly returns before submission."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from collection.keys import init_key
from collection.parse import read_return
from collection.quarters import parse_quarter
from collection.reference import organisation
from collection.template import write_template
from darkfigure.app import app
from darkfigure.errors import UserError
from darkfigure.settings import Settings

key_app = typer.Typer(help="The pseudonymisation key.", no_args_is_help=True)
app.add_typer(key_app, name="key")


def _check_org_quarter(org: str, quarter: str) -> tuple[str, str]:
    try:
        code = organisation(org).org_code
        q = str(parse_quarter(quarter))
    except KeyError as err:
        raise UserError(str(err.args[0])) from None
    except ValueError as err:
        raise UserError(str(err)) from None
    return code, q


@app.command()
def template(
    org: Annotated[str, typer.Option(help="Organisation code (data/reference/organisations.csv).")],
    quarter: Annotated[str, typer.Option(help="Quarter, e.g. 2025Q3.")],
    fmt: Annotated[str, typer.Option("--format", help="xlsx or csv.")] = "xlsx",
    out: Annotated[Path | None, typer.Option(help="File or folder to write to.")] = None,
) -> None:
    """Write a return template for an organisation and quarter."""
    code, q = _check_org_quarter(org, quarter)
    if fmt not in ("xlsx", "csv"):
        raise UserError(f"--format '{fmt}' is not xlsx or csv")
    path = write_template(code, q, fmt, out)
    typer.echo(f"Template for {code}, {q}: {path}")


@app.command()
def validate(
    file: Annotated[Path | None, typer.Argument(help="The return (.csv or .xlsx).")] = None,
    org: Annotated[str | None, typer.Option(help="Organisation code.")] = None,
    quarter: Annotated[str | None, typer.Option(help="Quarter, e.g. 2025Q3.")] = None,
    report_dir: Annotated[
        Path | None, typer.Option(help="Where to write the reports (default "
                                       "DARKFIGURE_HOME/reports).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    list_rules: Annotated[
        bool, typer.Option("--list-rules", help="List the rules and stop.")
    ] = False,
) -> None:
    """Validate a return: exit 0 when it has no errors, 1 when it has, 2 when it is unusable."""
    from validation import rules_table, validate_return

    if list_rules:
        typer.echo(rules_table())
        return
    if file is None or org is None or quarter is None:
        raise UserError("give the return file, --org and --quarter "
                        "(e.g. darkfigure validate return.csv --org METROPOLITAN --quarter 2025Q3)")
    code, q = _check_org_quarter(org, quarter)
    raw = read_return(file)
    report = validate_return(raw, code, q)
    target = report_dir or Settings.from_env().reports_dir
    try:
        csv_path, text_path = report.write(target)
    except OSError as err:
        raise UserError(f"cannot write the report to {target}: {err.strerror}") from None
    if as_json:
        typer.echo(json.dumps({**report.to_dict(), "report_csv": str(csv_path),
                               "report_text": str(text_path)}, ensure_ascii=False))
    else:
        typer.echo(report.to_text())
        typer.echo(f"Reports: {csv_path}\n         {text_path}")
    if report.has_errors:
        raise typer.Exit(1)


@key_app.command("init")
def key_init(
    path: Annotated[
        Path | None, typer.Option(help="Key file (default: DARKFIGURE_KEY_FILE).")
    ] = None,
) -> None:
    """Create a new random pseudonymisation key file (mode 0600); never overwrites one."""
    target = path or Settings.from_env().key_file
    if target is None:
        raise UserError("no key file path: give --path")
    made = init_key(target)
    typer.echo(f"Created key file {made} (readable by you only). Back it up somewhere safe: "
               "without it, new returns cannot be linked to earlier ones.")
