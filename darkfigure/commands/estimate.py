"""``darkfigure estimate``, ``methods`` and ``compare``: estimation on a capture-table CSV."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from darkfigure.app import app
from darkfigure.errors import UserError
from estimation.compare import compare_methods, comparison_frame
from estimation.registry import Settings, available, get
from estimation.result import EstimateResult
from estimation.table_io import read_capture_tables

TableArg = Annotated[Path, typer.Argument(help="Capture-table CSV (DESIGN.md section 2).")]


def parse_options(pairs: list[str] | None) -> dict[str, Any]:
    """``["K=10", "delta=0.5"]`` -> ``{"K": 10, "delta": 0.5}`` (numbers parsed)."""
    out: dict[str, Any] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise UserError(f"--option '{pair}' is not NAME=VALUE; write e.g. --option K=10")
        key, value = pair.split("=", 1)
        out[key.strip()] = _parse_value(value.strip())
    return out


def _parse_value(value: str) -> Any:
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            continue
    return value


def make_settings(**kwargs: Any) -> Settings:
    """Settings from CLI values, turning a bad value into a plain error."""
    try:
        return Settings(**kwargs)
    except ValueError as err:
        raise UserError(str(err)) from None


@app.command()
def estimate(
    table: TableArg,
    method: Annotated[str, typer.Option(help="Registered method (see `darkfigure methods`).")] = (
        "stepwise"
    ),
    interval: Annotated[str, typer.Option(help="profile | bootstrap | none")] = "profile",
    boot: Annotated[int, typer.Option(help="Bootstrap replicates.")] = 1000,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
    level: Annotated[float, typer.Option(help="Interval level.")] = 0.95,
    draws: Annotated[int, typer.Option(help="MCMC draws per chain (Bayesian).")] = 1000,
    chains: Annotated[int, typer.Option(help="MCMC chains (Bayesian).")] = 2,
    tune: Annotated[int, typer.Option(help="MCMC tuning steps (Bayesian).")] = 1000,
    jobs: Annotated[int, typer.Option(help="Worker processes for the bootstrap.")] = 1,
    option: Annotated[
        list[str] | None, typer.Option(help="Method option NAME=VALUE (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Estimate the total population N from a capture table."""
    options = parse_options(option)
    if jobs > 1:
        options.setdefault("n_jobs", jobs)
    try:
        cls = get(method)
    except KeyError as err:
        raise UserError(err.args[0]) from None
    settings = make_settings(
        level=level, interval=interval, boot=boot, seed=seed, draws=draws, chains=chains,
        tune=tune, options=options,
    )
    tables = read_capture_tables(table)
    results: list[EstimateResult] = []
    for tab in tables.values():
        try:
            results.append(cls(tab, settings).fit())
        except ValueError as err:
            raise UserError(f"{table}: {err}") from None
    if as_json:
        if len(results) == 1 and not results[0].stratum:
            typer.echo(results[0].to_json())
        else:
            typer.echo(json.dumps({"strata": [r.to_dict() for r in results]}))
        return
    for i, res in enumerate(results):
        if i:
            typer.echo("")
        typer.echo(res.summary())


@app.command()
def methods() -> None:
    """List the registered estimation methods."""
    registry = available()
    if not registry:
        raise UserError("no estimation methods are registered (is the installation complete?)")
    width = max(len(n) for n in registry)
    for name, cls in registry.items():
        typer.echo(f"{name:<{width}}  [{cls.family}] {cls.title}")


@app.command()
def compare(
    table: TableArg,
    method: Annotated[
        list[str] | None, typer.Option(help="Methods to run (repeatable; default: all fast ones).")
    ] = None,
    include_slow: Annotated[bool, typer.Option("--all", help="Include slow MCMC methods.")] = False,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = 1,
    level: Annotated[float, typer.Option(help="Interval level.")] = 0.95,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout.")] = False,
) -> None:
    """Run every registered method on one table, side by side."""
    names = method or [n for n, c in available().items() if include_slow or not c.slow]
    for name in names:
        if name not in available():
            raise UserError(f"unknown method '{name}'; see `darkfigure methods`")
    settings = make_settings(seed=seed, level=level)
    tables = read_capture_tables(table)
    payload = []
    for tab in tables.values():
        outcome = compare_methods(tab, names, settings)
        if as_json:
            payload.append(outcome.to_dict())
            continue
        if tab.stratum:
            typer.echo(f"\n== {tab.label}")
        typer.echo(f"{tab.n:,} people observed on {tab.t} lists ({' '.join(tab.lists)})\n")
        typer.echo(comparison_frame(outcome).to_string(index=False))
        for name, why in outcome.failed.items():
            typer.echo(f"  {name}: not run - {why}")
        typer.echo("\n" + outcome.summary())
    if as_json:
        typer.echo(json.dumps(payload[0] if len(payload) == 1 else {"strata": payload}))
