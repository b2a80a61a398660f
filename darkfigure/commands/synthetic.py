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
