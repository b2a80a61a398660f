"""The frozen result every estimator returns, with its provenance."""

from __future__ import annotations

import json
import math
import platform
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

#: Existence statuses of the MLE (Fienberg and Rinaldo 2012).
EXISTENCE_OK = "ok"
EXISTENCE_NO_MLE = "mle-does-not-exist"
EXISTENCE_NOT_IDENTIFIABLE = "not-identifiable"
EXISTENCE_NOT_APPLICABLE = "not-applicable"

_VERSIONED = ("numpy", "scipy", "pandas", "pymc", "pytensor", "nutpie", "arviz", "darkfigure")


@cache
def _versions() -> tuple[tuple[str, str], ...]:
    # Reading package metadata costs milliseconds: once per process is enough.
    versions = [("python", platform.python_version())]
    for name in _VERSIONED:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return tuple(versions)


def package_versions() -> dict[str, str]:
    """Versions of the packages that can change an estimate."""
    return dict(_versions())


@dataclass(frozen=True)
class Provenance:
    """Where an estimate came from: enough to reproduce it."""

    data_hash: str
    method: str
    settings: Mapping[str, Any]
    seed: int | None
    versions: Mapping[str, str]
    created_at: str

    @classmethod
    def make(
        cls, data_hash: str, method: str, settings: Mapping[str, Any], seed: int | None
    ) -> Provenance:
        """Provenance stamped with the current time and package versions."""
        return cls(
            data_hash=data_hash,
            method=method,
            settings=MappingProxyType(dict(settings)),
            seed=seed,
            versions=MappingProxyType(package_versions()),
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-ready)."""
        return {
            "data_hash": self.data_hash,
            "method": self.method,
            "settings": dict(self.settings),
            "seed": self.seed,
            "versions": dict(self.versions),
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class EstimateResult:
    """An estimate of the total population N (observed included).

    Attributes
    ----------
    method
        Registered method name.
    lists
        The table's lists.
    stratum
        The table's stratum label pairs (empty if unstratified).
    observed
        People observed, n.
    estimate
        Point estimate of N (for Bayesian methods the posterior median).
    lower, upper
        Interval bounds, ``nan`` when no interval was made.
    level
        Interval level, e.g. 0.95.
    interval
        How the interval was made (``profile``, ``bootstrap-bca``, ``posterior``, ``none``).
    model
        Interaction terms (``"LA:NG"``) or a model label; empty for main effects only.
    existence
        ``ok``, ``mle-does-not-exist``, ``not-identifiable`` or ``not-applicable``.
    warnings
        Plain-language warnings a reader must see.
    diagnostics
        Method-specific figures (deviance, AIC, BIC, R-hat, ESS, ...).
    seconds
        Wall time of the fit.
    provenance
        :class:`Provenance` of the fit.
    draws
        Posterior or bootstrap draws of N, if any (not serialised by ``to_dict``).
    idata
        ArviZ ``InferenceData`` of a Bayesian fit, if any (not serialised by ``to_dict``).
    """

    method: str
    lists: tuple[str, ...]
    observed: int
    estimate: float
    lower: float
    upper: float
    level: float
    interval: str
    model: tuple[str, ...]
    existence: str
    warnings: tuple[str, ...]
    diagnostics: Mapping[str, Any]
    seconds: float
    provenance: Provenance
    stratum: tuple[tuple[str, str], ...] = ()
    draws: np.ndarray | None = field(default=None, repr=False, compare=False)
    idata: Any = field(default=None, repr=False, compare=False)

    @property
    def unobserved(self) -> float:
        """Estimated people on no list, N - n."""
        return self.estimate - self.observed

    @property
    def ok(self) -> bool:
        """True when the estimate exists and carries no warnings."""
        return self.existence in (EXISTENCE_OK, EXISTENCE_NOT_APPLICABLE) and not self.warnings

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the CLI's ``--json`` contract."""
        return {
            "method": self.method,
            "lists": list(self.lists),
            "stratum": dict(self.stratum),
            "observed": self.observed,
            "estimate": _num(self.estimate),
            "lower": _num(self.lower),
            "upper": _num(self.upper),
            "level": self.level,
            "interval": self.interval,
            "model": list(self.model),
            "existence": self.existence,
            "warnings": list(self.warnings),
            "diagnostics": _jsonable(dict(self.diagnostics)),
            "seconds": round(self.seconds, 6),
            "provenance": self.provenance.to_dict(),
        }

    def to_json(self) -> str:
        """One JSON object."""
        return json.dumps(self.to_dict())

    def to_frame(self) -> pd.DataFrame:
        """A one-row frame of the headline fields."""
        row = {k: v for k, v in self.to_dict().items() if k not in ("diagnostics", "provenance")}
        row["model"] = " + ".join(self.model) or "(main effects)"
        row["warnings"] = "; ".join(self.warnings)
        row["lists"] = " ".join(self.lists)
        row["stratum"] = ", ".join(f"{k}={v}" for k, v in self.stratum)
        return pd.DataFrame([row])

    def summary(self) -> str:
        """A readable multi-line summary."""
        pct = f"{self.level:.0%}"
        lines = [
            f"Method        {self.method}",
            f"Lists         {' '.join(self.lists)}"
            + (f"   [{', '.join(f'{k}={v}' for k, v in self.stratum)}]" if self.stratum else ""),
            f"Observed      {self.observed:,}",
            f"Estimate N    {_fmt(self.estimate)}",
            f"{pct} interval  {_fmt(self.lower)} to {_fmt(self.upper)} ({self.interval})",
            f"Model         {' + '.join(self.model) if self.model else '(main effects only)'}",
            f"Existence     {self.existence}",
        ]
        for key in ("deviance", "df", "AIC", "BIC", "rhat", "ess_bulk", "divergences"):
            if key in self.diagnostics and self.diagnostics[key] is not None:
                lines.append(f"{key:<14}{_fmt(self.diagnostics[key], digits=3)}")
        lines.append(f"Seconds       {self.seconds:.3f}")
        lines.extend(f"WARNING       {w}" for w in self.warnings)
        return "\n".join(lines)


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def _fmt(x: Any, digits: int = 0) -> str:
    if x is None:
        return "-"
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}"
    x = float(x)
    if not math.isfinite(x):
        return "-" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return f"{x:,.{digits}f}" if digits else f"{x:,.0f}"


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return _num(float(obj))
    if hasattr(obj, "__dataclass_fields__"):
        return _jsonable(asdict(obj))
    return obj
