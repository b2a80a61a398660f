"""Quarterly returns: ``template``, ``validate``, ``submit`` (one file or a batch) and ``key init``.

Exit codes of ``submit``: 0 every return loaded (or already loaded); 1 a return
was quarantined (its report says why); 2 an entry was refused (missing file,
unknown organisation, bad quarter, a file name that does not say them) or bad
arguments; 3 the warehouse is busy (another process is writing; try again).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated

import typer

from collection.errors import ReturnFileError
from collection.keys import init_key
from collection.parse import read_return
from collection.quarters import parse_quarter
from collection.reference import organisation
from collection.template import write_template
from darkfigure.app import actor_name, app
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
    """Validate a return: exit 0 when it has no errors, 1 when it has (an unreadable file or
    the wrong template included: it gets the report intake would quarantine it with), 2 when
    the arguments are wrong or the file is missing."""
    from validation import file_report, rules_table, validate_return

    if list_rules:
        typer.echo(rules_table())
        return
    if file is None or org is None or quarter is None:
        raise UserError("give the return file, --org and --quarter "
                        "(e.g. darkfigure validate return.csv --org METROPOLITAN --quarter 2025Q3)")
    code, q = _check_org_quarter(org, quarter)
    if not file.is_file():
        raise UserError(f"{file}: no such file; check the path (a folder is not a return)")
    try:
        report = validate_return(read_return(file), code, q)
    except ReturnFileError as err:
        # The same one-error report intake quarantines such a file with.
        report = file_report(err, sha256=hashlib.sha256(file.read_bytes()).hexdigest(),
                             org_code=code, quarter=str(q))
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


@app.command()
def submit(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Return files (CSV or XLSX), or folders of them.", show_default=False),
    ] = None,
    org: Annotated[str | None, typer.Option("--org", help="Organisation code (one file).")] = None,
    quarter: Annotated[
        str | None, typer.Option("--quarter", help="Quarter, e.g. 2025Q3 (one file).")
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option(help="CSV listing the returns: columns path, org_code, quarter (paths "
                          "relative to the manifest), in the order to submit them."),
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Who is submitting.")] = None,
) -> None:
    """Validate quarterly returns and load them, or quarantine them with their reports.

    \b
    One return:      darkfigure submit return.xlsx --org METROPOLITAN --quarter 2025Q3
    Named returns:   darkfigure submit returns/2025Q3/
                     (files named as the template names them: METROPOLITAN_2025Q3.csv,
                     return_METROPOLITAN_2025Q3.xlsx, METROPOLITAN_2025Q3_v2.csv;
                     a folder's files go oldest first, so a correction supersedes)
    A manifest:      darkfigure submit --manifest returns/manifest.csv

    Several returns go as one batch: one warehouse connection and one validation
    run per wave of returns, but each return is decided, reported, audited and
    loaded (in its own transaction) on its own; one bad file does not stop the
    others.  A batch holds the warehouse until it ends (the dashboard and other
    commands wait, then say it is busy).  A file that cannot be read as a return
    (wrong encoding, not CSV or XLSX, a damaged workbook, not on the template) is
    quarantined with a report like a file with bad rows; a header-only file is a
    nil return (loaded, 0 rows, a warning).  Exit 0 when every return loaded, 1
    when one was quarantined, 2 when an entry was refused (missing file, unknown
    organisation, bad quarter, a name that does not say them).
    """
    from darkfigure.pipeline.intake import ReturnEntry, submit_return, submit_returns
    from darkfigure.pipeline.intake_batch import entries_from_manifest, entries_from_paths
    from darkfigure.pipeline.outcome import Refusal

    paths = files or []
    settings = Settings.from_env()
    if org is not None or quarter is not None:
        if org is None or quarter is None or manifest is not None or len(paths) != 1:
            raise UserError("--org and --quarter go with exactly one file (e.g. darkfigure "
                            "submit return.csv --org METROPOLITAN --quarter 2025Q3); for several "
                            "returns name the files ORGCODE_2025Q3.csv or use --manifest")
        outcome = submit_return(paths[0], org, quarter, settings=settings, actor=actor_name(actor))
        typer.echo(outcome.message())
        if outcome.exit_code:
            raise typer.Exit(outcome.exit_code)
        return
    if manifest is not None and paths:
        raise UserError("give either --manifest or files, not both")
    if manifest is None and not paths:
        raise UserError("give the return file with --org and --quarter, files named "
                        "ORGCODE_2025Q3.csv, or --manifest (see darkfigure submit --help)")
    listed: list[ReturnEntry | Refusal] = (
        list(entries_from_manifest(manifest)) if manifest is not None
        else entries_from_paths(paths))
    entries = [e for e in listed if isinstance(e, ReturnEntry)]
    for refused in (e for e in listed if isinstance(e, Refusal)):
        typer.echo(refused.message())
    outcomes = submit_returns(entries, settings=settings, actor=actor_name(actor),
                              on_outcome=lambda o: typer.echo(o.message())) if entries else []
    results = [*outcomes, *(e for e in listed if isinstance(e, Refusal))]
    counts = {s: sum(r.status == s for r in results)
              for s in ("loaded", "duplicate", "quarantined", "refused")}
    typer.echo(f"{len(results)} return(s): "
               + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
    code = max((r.exit_code for r in results), default=0)
    if code:
        raise typer.Exit(code)
