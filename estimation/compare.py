"""Model comparison: every method on the same table, side by side.

The spread between methods is part of the uncertainty (Silverman, Chan and
Vincent 2024): :func:`method_spread` reports it beside the intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from estimation.capture_table import CaptureTable
from estimation.registry import Settings, get
from estimation.result import EstimateResult


@dataclass(frozen=True)
class Comparison:
    """Results of several methods on one table, and those that could not run."""

    table: CaptureTable
    results: tuple[EstimateResult, ...]
    failed: dict[str, str] = field(default_factory=dict)


def compare_methods(
    table: CaptureTable, methods: Sequence[str], settings: Settings | None = None
) -> Comparison:
    """Fit each method; a method that cannot handle the table is listed with its reason."""
    results: list[EstimateResult] = []
    failed: dict[str, str] = {}
    for name in methods:
        try:
            results.append(get(name)(table, settings).fit())
        except (ValueError, np.linalg.LinAlgError) as err:
            failed[name] = str(err)
    return Comparison(table, tuple(results), failed)


def comparison_frame(comparison: Comparison) -> pd.DataFrame:
    """One row per method: estimate, interval, model, existence, warnings."""
    rows = []
    for r in comparison.results:
        rows.append(
            {
                "method": r.method,
                "N_hat": _round(r.estimate),
                "lower": _round(r.lower),
                "upper": _round(r.upper),
                "interval": r.interval,
                "model": " + ".join(r.model) or "(main effects)",
                "existence": r.existence,
                "warnings": len(r.warnings),
                "seconds": round(r.seconds, 3),
            }
        )
    return pd.DataFrame(rows)


def method_spread(comparison: Comparison) -> dict[str, float]:
    """Smallest and largest point estimate across methods and their ratio."""
    values = np.array([r.estimate for r in comparison.results if np.isfinite(r.estimate)])
    if values.size == 0:
        return {"min": float("nan"), "max": float("nan"), "ratio": float("nan")}
    return {
        "min": float(values.min()),
        "max": float(values.max()),
        "ratio": float(values.max() / values.min()),
    }


def _round(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x))
