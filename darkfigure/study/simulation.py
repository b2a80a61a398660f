"""Replicates of a simulation study and their summary per method.

:func:`run_replicates` is the unit of work a Dask worker runs: draw the tables
of a few replicates from their seeds and fit every method on each, recording
failures rather than stopping.  :func:`summarise` turns the rows into bias,
relative RMSE, interval coverage and width per method.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from darkfigure.study.scenarios import scenario
from estimation.registry import Settings, get

#: Columns of the summary table, in order.
SUMMARY_COLUMNS = (
    "method", "reps", "failed", "mean_N_hat", "bias", "rel_bias_pct", "rel_rmse_pct",
    "coverage_pct", "mean_width_pct", "median_seconds",
)


def run_replicates(
    scenario_name: str,
    methods: Sequence[str],
    seeds: Sequence[int],
    settings: dict[str, Any] | None = None,
    first_rep: int = 0,
) -> list[dict[str, Any]]:
    """Fit every method on one replicate table per seed.

    Parameters
    ----------
    scenario_name
        A scenario of :data:`darkfigure.study.scenarios.SCENARIOS`.
    methods
        Registered method names.
    seeds
        One seed per replicate: the table is drawn from it and a method's own
        randomness (MCMC) is seeded with it.
    settings
        Keyword arguments of :class:`estimation.registry.Settings` (``seed`` is set
        per replicate).
    first_rep
        Number of the first replicate, for the rows.

    Returns
    -------
    list of dict
        One row per (replicate, method): ``rep``, ``method``, ``N``, ``observed``,
        ``estimate``, ``lower``, ``upper``, ``seconds``, ``error`` (empty if it worked).
    """
    scen = scenario(scenario_name)
    base = dict(settings or {})
    base.pop("seed", None)
    rows: list[dict[str, Any]] = []
    for k, seed in enumerate(seeds):
        table = scen.draw(np.random.default_rng(int(seed)))
        for name in methods:
            row: dict[str, Any] = {"rep": first_rep + k, "method": name, "N": scen.N,
                                   "observed": table.n, "estimate": math.nan,
                                   "lower": math.nan, "upper": math.nan, "seconds": math.nan,
                                   "error": ""}
            start = time.perf_counter()
            try:
                result = get(name)(table, Settings(seed=int(seed) % 2**31, **base)).fit()
            except Exception as err:  # noqa: BLE001 - a failure is a finding, not a crash
                row["error"] = f"{type(err).__name__}: {err}"[:200]
            else:
                row.update(estimate=result.estimate, lower=result.lower, upper=result.upper)
                if not math.isfinite(result.estimate):
                    row["error"] = "no finite estimate"
            row["seconds"] = time.perf_counter() - start
            rows.append(row)
    return rows


def summarise(rows: pd.DataFrame | list[dict[str, Any]]) -> pd.DataFrame:
    """Bias, relative RMSE, coverage and width of each method over its replicates.

    A replicate whose fit failed (or gave no finite estimate) counts in
    ``failed`` and is left out of the other figures; coverage and width use the
    replicates that gave a finite interval.

    Returns
    -------
    pandas.DataFrame
        One row per method with :data:`SUMMARY_COLUMNS`.
    """
    frame = pd.DataFrame(rows)
    out = []
    for method, g in frame.groupby("method", sort=False):
        n_true = float(g["N"].iloc[0])
        ok = g[(g["error"] == "") & np.isfinite(g["estimate"])]
        est = ok["estimate"].to_numpy(dtype=float)
        lo, hi = ok["lower"].to_numpy(dtype=float), ok["upper"].to_numpy(dtype=float)
        has_ci = np.isfinite(lo) & np.isfinite(hi)
        covered = (lo[has_ci] <= n_true) & (n_true <= hi[has_ci])
        out.append({
            "method": method,
            "reps": len(g),
            "failed": len(g) - len(ok),
            "mean_N_hat": _mean(est),
            "bias": _mean(est - n_true),
            "rel_bias_pct": 100 * _mean(est - n_true) / n_true,
            "rel_rmse_pct": 100 * math.sqrt(_mean((est - n_true) ** 2)) / n_true,
            "coverage_pct": 100 * _mean(covered.astype(float)),
            "mean_width_pct": 100 * _mean(hi[has_ci] - lo[has_ci]) / n_true,
            "median_seconds": float(np.median(g["seconds"])) if len(g) else math.nan,
        })
    return pd.DataFrame(out, columns=list(SUMMARY_COLUMNS))


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if values.size else math.nan
