"""Replicates of a simulation study and their summary per method.

:func:`run_replicates` is the unit of work a Dask worker runs: draw the tables
of a few replicates from their seeds and fit every method on each, recording
failures rather than stopping.  :func:`summarise` turns the rows into bias,
relative RMSE, interval coverage and width per method.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from darkfigure.study.scenarios import scenario
from darkfigure.study.store import coverage_mcse
from estimation.registry import Settings, get

#: Columns of the summary table, in order.
SUMMARY_COLUMNS = (
    "method", "reps", "failed", "mean_N_hat", "bias", "rel_bias_pct", "rel_rmse_pct",
    "coverage_pct", "coverage_mcse_pct", "mean_width_pct", "median_seconds", "converged_pct",
    "reran_pct", "warned_pct",
)


def run_replicates(
    scenario_name: str,
    methods: Sequence[str],
    seeds: Sequence[int],
    settings: dict[str, Any] | None = None,
    first_rep: int = 0,
    rep_numbers: Sequence[int] | None = None,
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
    rep_numbers
        Number of each replicate (default: consecutive from ``first_rep``).

    Returns
    -------
    list of dict
        One row per (replicate, method): ``scenario``, ``rep``, ``rep_seed``,
        ``method``, ``N``, ``observed``, ``estimate``, ``lower``, ``upper``,
        ``seconds``, ``converged`` and ``reran`` (MCMC gate: 1.0/0.0, NaN for other
        methods), ``warning`` (the result's first warning) and ``error`` (empty if
        it worked).
    """
    scen = scenario(scenario_name)
    base = dict(settings or {})
    base.pop("seed", None)
    numbers = list(rep_numbers) if rep_numbers is not None else [
        first_rep + k for k in range(len(seeds))]
    if len(numbers) != len(seeds):
        raise ValueError(f"{len(seeds)} seeds but {len(numbers)} replicate numbers")
    rows: list[dict[str, Any]] = []
    for number, seed in zip(numbers, seeds, strict=True):
        table = scen.draw(np.random.default_rng(int(seed)))
        for name in methods:
            row: dict[str, Any] = {"scenario": scenario_name, "rep": number,
                                   "rep_seed": int(seed), "method": name, "N": scen.N,
                                   "observed": table.n, "estimate": math.nan,
                                   "lower": math.nan, "upper": math.nan, "seconds": math.nan,
                                   "converged": math.nan, "reran": math.nan, "warning": "",
                                   "error": ""}
            start = time.perf_counter()
            try:
                result = get(name)(table, Settings(seed=int(seed) % 2**31, **base)).fit()
            except Exception as err:  # noqa: BLE001 - a failure is a finding, not a crash
                row["error"] = f"{type(err).__name__}: {err}"[:200]
            else:
                row.update(estimate=result.estimate, lower=result.lower, upper=result.upper,
                           warning=result.warnings[0][:200] if result.warnings else "",
                           **_gate(result.diagnostics))
                if not math.isfinite(result.estimate):
                    row["error"] = "no finite estimate"
            row["seconds"] = time.perf_counter() - start
            rows.append(row)
    return rows


def _gate(diagnostics: Mapping[str, Any]) -> dict[str, float]:
    # Only the MCMC methods report a convergence gate (with its re-run flag); a GLM's
    # "converged" is the IRLS fit's and is not a gate, so other methods leave NaN.
    if "reran" not in diagnostics:
        return {}
    return {"converged": float(bool(diagnostics.get("converged"))),
            "reran": float(bool(diagnostics["reran"]))}


def summarise(rows: pd.DataFrame | list[dict[str, Any]]) -> pd.DataFrame:
    """Bias, relative RMSE, coverage and width of each method over its replicates.

    A replicate whose fit failed (or gave no finite estimate) counts in
    ``failed`` and is left out of the other figures; coverage and width use the
    replicates that gave a finite interval, and ``coverage_mcse_pct`` is the
    Monte Carlo standard error of the coverage over that many intervals.
    ``converged_pct`` and ``reran_pct`` (MCMC gate) and ``warned_pct`` (a result
    carrying a warning) are shares of the replicates that gave an estimate;
    rows without those columns (older studies) leave them NaN.

    Returns
    -------
    pandas.DataFrame
        One row per method with :data:`SUMMARY_COLUMNS`.
    """
    frame = pd.DataFrame(rows)
    for col in ("converged", "reran"):
        if col not in frame.columns:
            frame[col] = math.nan
    if "warning" not in frame.columns:
        frame["warning"] = math.nan
    out = []
    for method, g in frame.groupby("method", sort=False):
        n_true = float(g["N"].iloc[0])
        ok = g[(g["error"] == "") & np.isfinite(g["estimate"])]
        est = ok["estimate"].to_numpy(dtype=float)
        lo, hi = ok["lower"].to_numpy(dtype=float), ok["upper"].to_numpy(dtype=float)
        has_ci = np.isfinite(lo) & np.isfinite(hi)
        covered = (lo[has_ci] <= n_true) & (n_true <= hi[has_ci])
        coverage = 100 * _mean(covered.astype(float))
        warned = ok["warning"]
        out.append({
            "method": method,
            "reps": len(g),
            "failed": len(g) - len(ok),
            "mean_N_hat": _mean(est),
            "bias": _mean(est - n_true),
            "rel_bias_pct": 100 * _mean(est - n_true) / n_true,
            "rel_rmse_pct": 100 * math.sqrt(_mean((est - n_true) ** 2)) / n_true,
            "coverage_pct": coverage,
            "coverage_mcse_pct": coverage_mcse(coverage, int(has_ci.sum())),
            "mean_width_pct": 100 * _mean(hi[has_ci] - lo[has_ci]) / n_true,
            "median_seconds": float(np.median(g["seconds"])) if len(g) else math.nan,
            "converged_pct": 100 * _nanmean(ok["converged"]),
            "reran_pct": 100 * _nanmean(ok["reran"]),
            "warned_pct": (math.nan if warned.isna().all() or ok.empty
                           else 100 * float((warned.fillna("") != "").mean())),
        })
    return pd.DataFrame(out, columns=list(SUMMARY_COLUMNS))


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if values.size else math.nan


def _nanmean(values: pd.Series) -> float:
    finite = values.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(finite.mean()) if finite.size else math.nan
