"""Fit chosen methods on capture tables, reporting progress: no Streamlit, no DuckDB."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from estimation.capture_table import CaptureTable, CaptureTableError
from estimation.registry import Settings, get
from estimation.result import EstimateResult


@dataclass
class Batch:
    """Results of several methods on several tables, with those that could not run."""

    results: list[EstimateResult] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # stratum, method, why

    def frame(self) -> pd.DataFrame:
        """One row per result: stratum, method, estimate, interval, model, existence."""
        rows = [{
            "stratum": r.to_frame()["stratum"].iloc[0] or "all",
            "method": r.method,
            "observed": r.observed,
            "estimate": round(r.estimate) if np.isfinite(r.estimate) else None,
            "lower": round(r.lower) if np.isfinite(r.lower) else None,
            "upper": round(r.upper) if np.isfinite(r.upper) else None,
            "interval": r.interval,
            "model": " + ".join(r.model) or "(main effects)",
            "existence": r.existence,
            "warnings": len(r.warnings),
            "seconds": round(r.seconds, 2),
        } for r in self.results]
        return pd.DataFrame(rows)


def run_methods(
    tables: Sequence[CaptureTable],
    methods: Sequence[str],
    settings: Settings,
    on_step: Callable[[int, int, str], None] | None = None,
) -> Batch:
    """Fit every method on every table.

    Parameters
    ----------
    tables
        Capture tables (one per stratum).
    methods
        Registered method names.
    settings
        Estimation settings shared by all fits.
    on_step
        Called before each fit with ``(done, total, description)``.

    Returns
    -------
    Batch
        Results, and the fits that failed with the reason.
    """
    batch = Batch()
    total = len(tables) * len(methods)
    step = 0
    for table in tables:
        for name in methods:
            if on_step:
                on_step(step, total, f"{name} on {table.label or 'the whole population'}")
            step += 1
            try:
                batch.results.append(get(name)(table, settings).fit())
            except (ValueError, CaptureTableError, np.linalg.LinAlgError) as err:
                batch.failed.append((table.label or "all", name, str(err)))
    if on_step:
        on_step(total, total, "done")
    return batch


def headline_first(results: Sequence[EstimateResult], method: str) -> list[EstimateResult]:
    """Results reordered so that ``method`` comes first: a run's headline is its first method."""
    return sorted(results, key=lambda r: r.method != method)


_SCALAR = (int, float, np.integer, np.floating, str, bool)
#: MCMC convergence figures shown first for Bayesian results.
CONVERGENCE = ("rhat", "ess_bulk", "ess_tail", "divergences")


def diagnostics_rows(result: EstimateResult) -> pd.DataFrame:
    """The scalar diagnostics of a result as ``diagnostic, value`` rows.

    One level of nesting is flattened (``rhat_by_variable.alpha``), so that
    R-hat and ESS of every sampled variable are listed.
    """
    rows: list[tuple[str, str]] = []
    for key, value in result.diagnostics.items():
        if isinstance(value, _SCALAR):
            rows.append((key, _show(value)))
        elif isinstance(value, dict):
            rows.extend((f"{key}.{k}", _show(v)) for k, v in value.items()
                        if isinstance(v, _SCALAR))
    return pd.DataFrame(rows, columns=["diagnostic", "value"])


def convergence(result: EstimateResult) -> dict[str, float]:
    """R-hat, ESS and divergences of N, for results that have them."""
    return {k: float(result.diagnostics[k]) for k in CONVERGENCE
            if isinstance(result.diagnostics.get(k), (int, float, np.integer, np.floating))}


def _show(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):,.4g}"
    return str(value)
