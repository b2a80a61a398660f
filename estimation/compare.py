"""Model comparison: every method on the same table, side by side.

On sparse tables the estimate moves by a factor of two with the model-selection
rule (Silverman, Chan and Vincent 2024, Table 6), so the spread between methods
is part of the uncertainty, often the larger part.  :class:`Comparison` holds
the results; :meth:`Comparison.spread` reports

* the *across-methods range*: from the lowest lower bound to the highest upper
  bound among the sound methods (existence ok, no warnings), and
* the lowest and highest point estimate and their ratio,

and :data:`FAMILY_NOTES` says in plain words what each family of methods
assumes and when to trust it.  :meth:`Comparison.to_frame` is the dashboard's
table: one row per method, failed ones included.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from estimation.capture_table import CaptureTable
from estimation.registry import Settings, available, get
from estimation.result import EstimateResult

#: What each family of methods assumes and when to trust it, for readers who are not
#: statisticians.  Keys are the registry's ``family`` values.
FAMILY_NOTES: dict[str, str] = {
    "log-linear": (
        "Assumes that how the agencies' lists overlap follows a log-linear model: the "
        "lists may depend on each other in pairs, chosen from the data (stepwise, AIC, "
        "BIC), and no pattern of dependence involves the people on no list. Trust it when "
        "the chosen model is stable and most pairs of lists share people; on sparse tables "
        "different selection rules can differ by a factor of two."
    ),
    "closed-population": (
        "Assumes, as Rcapture's models do, that each person's chance of being recorded "
        "depends only on the list (Mt), on how easy that person is to find (Mh), or both "
        "(Mth), with no other dependence between lists. Trust them when the lists act like "
        "repeated, independent searches of the same population; the heterogeneity forms "
        "(Chao, Poisson2, Darroch, Gamma3.5) can differ widely, and Chao's is a lower bound."
    ),
    "bayesian": (
        "Assumes a prior over models of how the lists depend on each other (dga, "
        "bayes-loglinear) or over hidden groups of victims who are easier or harder to "
        "find (lcmcr), and averages over them by how well each fits, so the interval "
        "carries the model uncertainty. Trust it when its diagnostics pass and the result "
        "does not rest on the prior (the warnings say so)."
    ),
}


def family_note(family: str) -> str:
    """The plain-language note of a method family (empty for an unknown family)."""
    return FAMILY_NOTES.get(family, "")


def method_family(name: str) -> str:
    """The family of a registered method (``""`` if it is not registered)."""
    cls = available().get(name)
    return cls.family if cls is not None else ""


@dataclass(frozen=True)
class Spread:
    """How much the answer depends on the method.

    Attributes
    ----------
    methods
        The sound methods counted: a finite estimate, existence ok (or not
        applicable) and no warnings.
    lowest, highest
        Smallest and largest point estimate among them.
    ratio
        ``highest / lowest``.
    lower, upper
        The across-methods range: the lowest lower bound and the highest upper
        bound among them (a method without an interval counts with its estimate).
    level
        The level of the intervals pooled.
    excluded
        Methods left out, with why.
    """

    methods: tuple[str, ...]
    lowest: float
    highest: float
    ratio: float
    lower: float
    upper: float
    level: float
    excluded: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when at least one method counted."""
        return bool(self.methods)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``None`` for missing numbers)."""
        return {
            "methods": list(self.methods),
            "lowest": _num(self.lowest),
            "highest": _num(self.highest),
            "ratio": _num(self.ratio),
            "lower": _num(self.lower),
            "upper": _num(self.upper),
            "level": self.level,
            "excluded": dict(self.excluded),
        }

    def sentence(self) -> str:
        """One plain-language paragraph for a policymaker."""
        if not self.methods:
            return (
                "No method gave a sound estimate on this table "
                "(each failed or carries a warning), so no range can be given."
            )
        k = len(self.methods)
        text = (
            f"{k} sound method{'s' if k > 1 else ''} estimate between {self.lowest:,.0f} and "
            f"{self.highest:,.0f}"
        )
        if k > 1:
            text += f" (the largest is {self.ratio:.1f} times the smallest)"
        text += (
            f"; allowing for the uncertainty of each, the range across methods is "
            f"{self.lower:,.0f} to {self.upper:,.0f}."
        )
        if self.excluded:
            text += f" {len(self.excluded)} method{'s' if len(self.excluded) > 1 else ''} "
            text += "left out because they failed or carry a warning."
        return text


@dataclass(frozen=True)
class Comparison:
    """Results of several methods on one table, and those that could not run.

    Attributes
    ----------
    table
        The capture table.
    results
        One result per method that ran, in the order asked.
    failed
        Methods that could not handle the table, with the plain reason.
    """

    table: CaptureTable
    results: tuple[EstimateResult, ...]
    failed: dict[str, str] = field(default_factory=dict)

    def result(self, method: str) -> EstimateResult:
        """The result of ``method`` (``KeyError`` if it did not run)."""
        for r in self.results:
            if r.method == method:
                return r
        raise KeyError(f"no result for method '{method}'")

    def spread(self, methods: Iterable[str] | None = None) -> Spread:
        """The across-methods range and the spread of point estimates.

        Parameters
        ----------
        methods
            Methods to pool (default: every method compared).  Only sound ones count.
        """
        wanted = None if methods is None else set(methods)
        counted: list[EstimateResult] = []
        excluded: dict[str, str] = {}
        for r in self.results:
            if wanted is not None and r.method not in wanted:
                continue
            why = _why_not_counted(r)
            if why:
                excluded[r.method] = why
            else:
                counted.append(r)
        excluded |= {
            m: f"failed: {why}" for m, why in self.failed.items() if wanted is None or m in wanted
        }
        level = counted[0].level if counted else math.nan
        if not counted:
            nan = math.nan
            return Spread((), nan, nan, nan, nan, nan, level, excluded)
        estimates = np.array([r.estimate for r in counted])
        lows = [r.lower if math.isfinite(r.lower) else r.estimate for r in counted]
        highs = [r.upper if math.isfinite(r.upper) else r.estimate for r in counted]
        return Spread(
            methods=tuple(r.method for r in counted),
            lowest=float(estimates.min()),
            highest=float(estimates.max()),
            ratio=float(estimates.max() / estimates.min()),
            lower=float(min(lows)),
            upper=float(max(highs)),
            level=level,
            excluded=excluded,
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per method, failed ones last, for the dashboard and reports.

        Columns: ``method``, ``family``, ``estimate``, ``lower``, ``upper``,
        ``level``, ``interval``, ``model``, ``existence``, ``status`` (``sound``,
        ``caution`` or ``failed``), ``in_range`` (pooled in the across-methods
        range), ``warnings`` (joined by ``"; "``), ``seconds``.  Numbers are
        floats, ``nan`` where there is none.
        """
        spread = self.spread()
        rows = []
        for r in self.results:
            sound = not _why_not_counted(r)
            rows.append(
                {
                    "method": r.method,
                    "family": method_family(r.method),
                    "estimate": r.estimate,
                    "lower": r.lower,
                    "upper": r.upper,
                    "level": r.level,
                    "interval": r.interval,
                    "model": " + ".join(r.model) or "(main effects)",
                    "existence": r.existence,
                    "status": "sound" if sound else "caution",
                    "in_range": r.method in spread.methods,
                    "warnings": "; ".join(r.warnings),
                    "seconds": r.seconds,
                }
            )
        for name, why in self.failed.items():
            rows.append(
                {
                    "method": name,
                    "family": method_family(name),
                    "estimate": math.nan,
                    "lower": math.nan,
                    "upper": math.nan,
                    "level": math.nan,
                    "interval": "none",
                    "model": "",
                    "existence": "",
                    "status": "failed",
                    "in_range": False,
                    "warnings": why,
                    "seconds": math.nan,
                }
            )
        return pd.DataFrame(rows, columns=_FRAME_COLUMNS)

    def family_notes(self) -> dict[str, str]:
        """The note of every family among the methods compared, in order of appearance."""
        names = [r.method for r in self.results] + list(self.failed)
        families = dict.fromkeys(method_family(m) for m in names)
        return {f: family_note(f) for f in families if f}

    def summary(self) -> str:
        """A readable report: the spread sentence, then each family's note."""
        lines = [self.spread().sentence(), ""]
        for family, note in self.family_notes().items():
            lines.append(f"{family}: {note}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: results, failures, spread and family notes."""
        return {
            "stratum": dict(self.table.stratum),
            "results": [r.to_dict() for r in self.results],
            "failed": dict(self.failed),
            "spread": self.spread().to_dict(),
            "family_notes": self.family_notes(),
        }


_FRAME_COLUMNS = [
    "method",
    "family",
    "estimate",
    "lower",
    "upper",
    "level",
    "interval",
    "model",
    "existence",
    "status",
    "in_range",
    "warnings",
    "seconds",
]


def _why_not_counted(r: EstimateResult) -> str:
    """Why a result is left out of the across-methods range (empty if it counts)."""
    if not math.isfinite(r.estimate):
        return "no finite estimate"
    if not r.ok:
        return "; ".join(r.warnings) or f"existence: {r.existence}"
    return ""


def compare_methods(
    table: CaptureTable, methods: Sequence[str], settings: Settings | None = None
) -> Comparison:
    """Fit each method; a method that cannot handle the table is listed with its reason.

    Parameters
    ----------
    table
        The capture table.
    methods
        Registered method names.
    settings
        Shared settings (interval, level, seed, ...).

    Returns
    -------
    Comparison
    """
    results: list[EstimateResult] = []
    failed: dict[str, str] = {}
    for name in methods:
        try:
            results.append(get(name)(table, settings).fit())
        except (ValueError, np.linalg.LinAlgError) as err:
            failed[name] = str(err)
    return Comparison(table, tuple(results), failed)


def comparison_frame(comparison: Comparison) -> pd.DataFrame:
    """The CLI's table: one row per method that ran, numbers rounded to whole people."""
    rows = []
    in_range = set(comparison.spread().methods)
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
                "in_range": "yes" if r.method in in_range else "no",
                "seconds": round(r.seconds, 3),
            }
        )
    return pd.DataFrame(rows)


def method_spread(comparison: Comparison) -> dict[str, float]:
    """Smallest and largest sound point estimate, their ratio and the across-methods range."""
    s = comparison.spread()
    return {"min": s.lowest, "max": s.highest, "ratio": s.ratio, "lower": s.lower, "upper": s.upper}


def _round(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x))


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None
