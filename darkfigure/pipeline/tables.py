"""Capture tables of a period from the warehouse's latest linkage."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from collection import reference
from collection.capture_histories import (
    STRATIFY_BY,
    CaptureTables,
    build_capture_tables,
    parse_period,
)
from darkfigure.errors import UserError
from darkfigure.pipeline.linking import current_linkage, run_linkage
from darkfigure.pipeline.setup import require_current
from darkfigure.settings import Settings
from darkfigure.warehouse import connect, queries
from estimation.table_io import write_capture_csv


@dataclass(frozen=True)
class TablesOutcome:
    """Capture tables with where they came from.

    Attributes
    ----------
    tables
        The tables (:class:`collection.capture_histories.CaptureTables`).
    period
        The period label.
    by
        The stratification, if any.
    linkage_run_id
        The linkage run the persons come from.
    relinked
        Whether a new linkage run was made because the last one was out of date.
    """

    tables: CaptureTables
    period: str
    by: str | None
    linkage_run_id: int
    relinked: bool

    def message(self) -> str:
        """What the tables hold, in a few lines."""
        lines = []
        if self.relinked:
            lines.append(f"Linkage was out of date: re-linked (linkage run {self.linkage_run_id}).")
        lines.append(
            f"{self.tables.n_persons:,} persons recorded in {self.period} on lists "
            f"{' '.join(self.tables.lists)} (linkage run {self.linkage_run_id})."
        )
        if self.tables.dropped_lists:
            lines.append(
                f"Lists that recorded nobody in {self.period} were left out: "
                f"{' '.join(self.tables.dropped_lists)}."
            )
        if self.by == "exploitation":
            lines.append(
                "A person counts in each exploitation type they have: strata overlap."
            )
        for table in self.tables.tables:
            label = f"[{table.label}] " if table.stratum else ""
            lines.append(f"  {label}{table.n:,} persons")
        return "\n".join(lines)


@cache
def region_of_force_area() -> dict[str, str]:
    """Force-area code to its country (England, Wales, ...), from the reference data."""
    frame = pd.read_csv(
        reference.reference_dir() / "force_areas.csv", dtype=str, keep_default_na=False
    )
    return {
        code: country
        for code, country in zip(frame["code"], frame["country"], strict=True)
        if country
    }


def capture_tables(
    settings: Settings,
    period: str,
    *,
    by: str | None = None,
    relink: bool = True,
    actor: str = "cli",
) -> TablesOutcome:
    """Capture tables of a period from the persons of the current linkage.

    Parameters
    ----------
    settings
        The installation.
    period
        A year (``2025``) or a quarter (``2025Q3``).
    by
        ``None``, ``age_group``, ``exploitation`` or ``region``.
    relink
        Run linkage first when the last run is missing or out of date (a write);
        with ``False`` that is an error instead (for read-only callers).
    actor
        Who asked, for the audit log of a re-link.

    Raises
    ------
    UserError
        Bad period or stratum; nothing linked; fewer than two lists recorded anyone.
    """
    if by is not None and by not in STRATIFY_BY:
        raise UserError(f"cannot stratify by '{by}'; choose one of {', '.join(STRATIFY_BY)}")
    try:
        parsed = parse_period(period)
    except ValueError as err:
        raise UserError(str(err)) from None
    with connect(settings.warehouse_path, read_only=True) as con:
        require_current(con)
        run = current_linkage(con, parsed.label)
    relinked = False
    if run is None:
        if not relink:
            raise UserError(
                f"the linkage of {parsed.label} is missing or out of date: "
                f"run `darkfigure link --period {parsed.label}`"
            )
        run_linkage(settings, period=parsed.label, actor=actor)
        relinked = True
        with connect(settings.warehouse_path, read_only=True) as con:
            run = current_linkage(con, parsed.label)
        if run is None:
            raise UserError("the warehouse changed during linkage: try again", exit_code=3)
    run_id = int(run["linkage_run_id"])
    with connect(settings.warehouse_path, read_only=True) as con:
        records = queries.linked_records(con, run_id)
    try:
        built = build_capture_tables(
            records, parsed, by=by, region_of=region_of_force_area(),
            source=f"warehouse {parsed.label}",
        )
    except ValueError as err:
        raise UserError(str(err)) from None
    return TablesOutcome(built, parsed.label, by, run_id, relinked)


def export_tables(outcome: TablesOutcome, path: str | Path) -> Path:
    """Write the tables in the capture-table CSV format ``darkfigure estimate`` reads."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_capture_csv(outcome.tables.tables, out)
    return out
