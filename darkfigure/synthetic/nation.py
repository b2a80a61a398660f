"""A synthetic nation: victims, organisations, returns and the truth, for a seed.

:func:`simulate_nation` draws each year's population, who recorded whom, the
noisy rows of every organisation's returns, and writes the returns and the
truth.  Each year has its own generator derived from ``(seed, year)``, so a year
is the same whichever range of years is simulated.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from darkfigure.errors import UserError
from darkfigure.synthetic.noise import NoiseSettings, noisy_records
from darkfigure.synthetic.organisations import build_organisations, default_areas
from darkfigure.synthetic.population import PopulationSettings, draw_population
from darkfigure.synthetic.recording import RecordingModel, assign_records, capture_histories
from darkfigure.synthetic.returns import assign_record_refs, quarters_of, write_returns
from darkfigure.synthetic.truth import write_truth

#: Default true number of victims a year, nationally.
DEFAULT_SIZE = 10_000
#: Yearly growth of the true number (recent NRM referrals have grown).
GROWTH = 0.05


@dataclass(frozen=True)
class NationConfig:
    """Everything that defines a synthetic nation.

    Attributes
    ----------
    seed
        Random seed.
    years
        Calendar years to simulate.
    size
        Expected true number of victims in the first year (later years grow by
        :data:`GROWTH` a year; each year's N is Poisson around that).
    n_areas
        Police force areas victims are exploited in: the ``n_areas`` most
        populous (``None``: all 43 in England and Wales).  Fewer areas mean fewer
        forces and so fewer returns, for quick tests.
    areas
        Exactly these force areas (ONS codes), overriding ``n_areas``.
    nil_returns
        Write header-only returns for organisations with nothing to report.
    broken_files
        Include the broken first attempts.
    compact
        Only the largest partner of each list and no forces outside the areas:
        few organisations, so few returns (the quick demo).
    """

    seed: int = 1
    years: tuple[int, ...] = (2022, 2023, 2024, 2025)
    size: int = DEFAULT_SIZE
    n_areas: int | None = None
    areas: tuple[str, ...] | None = None
    nil_returns: bool = False
    broken_files: bool = True
    compact: bool = False
    population: PopulationSettings = field(default_factory=PopulationSettings)
    recording: RecordingModel = field(default_factory=RecordingModel)
    noise: NoiseSettings = field(default_factory=NoiseSettings)


@dataclass(frozen=True)
class Nation:
    """What :func:`simulate_nation` wrote (``rejected``: first attempts intake should
    quarantine)."""

    out: Path
    true_n: dict[int, int]
    observed: dict[int, int]
    files: int
    rejected: int
    rows: int


def simulate_nation(out: str | Path, config: NationConfig | None = None) -> Nation:
    """Simulate a nation and write ``out/returns`` (with a manifest) and ``out/truth``.

    Parameters
    ----------
    out
        Output directory; its ``returns`` and ``truth`` folders are replaced.
    config
        The nation's definition (defaults: seed 1, 2022-2025, about 10,000 victims a year).

    Returns
    -------
    Nation
        True and observed totals per year and what was written.
    """
    cfg = config or NationConfig()
    if not cfg.years:
        raise UserError("no years to simulate; give e.g. --years 2022-2025")
    if cfg.size < 10:
        raise UserError(f"--size {cfg.size} is too small; give at least 10 victims a year")
    out = Path(out)
    for sub in ("returns", "truth"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    areas = tuple(sorted(cfg.areas)) if cfg.areas else default_areas(cfg.n_areas)
    organisations = build_organisations(areas, compact=cfg.compact)
    persons, histories, rows = [], [], []
    first = min(cfg.years)
    for year in sorted(cfg.years):
        rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, year]))
        expected = cfg.size * (1 + GROWTH) ** (year - first)
        people = draw_population(rng, year, int(rng.poisson(expected)), areas, cfg.population)
        hist = capture_histories(rng, people, cfg.recording)
        encounters = assign_records(rng, people, hist, organisations, cfg.recording)
        rows.append(noisy_records(rng, encounters, people, cfg.noise))
        persons.append(people)
        histories.append(hist)
    all_people = pd.concat(persons, ignore_index=True)
    all_hist = pd.concat(histories, ignore_index=True)
    all_rows = assign_record_refs(pd.concat(rows, ignore_index=True))
    written, row_truth = write_returns(
        out, all_rows, organisations, quarters_of(sorted(cfg.years)),
        nil_returns=cfg.nil_returns, broken=cfg.broken_files,
    )
    write_truth(out, all_people, all_hist, row_truth, organisations, _config_dict(cfg))
    lists = [c for c in all_hist.columns if c not in ("person_id", "year")]
    seen = all_hist[lists].sum(axis=1) > 0
    true_n = all_people["year"].value_counts()
    observed = all_hist.loc[seen, "year"].value_counts()
    return Nation(
        out=out,
        true_n={int(y): int(true_n[y]) for y in sorted(cfg.years)},
        observed={int(y): int(observed.get(y, 0)) for y in sorted(cfg.years)},
        files=len(written),
        rejected=sum(1 for w in written if w.expected != "loaded"),
        rows=len(all_rows),
    )


def _config_dict(cfg: NationConfig) -> dict:
    data = asdict(cfg)
    data["years"] = list(cfg.years)
    data["recording"]["referrals"] = {
        f"{a}->{b}": v for (a, b), v in cfg.recording.referrals.items()
    }
    return data
