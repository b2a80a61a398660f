"""The estimator registry and the base class every estimator follows.

An estimator is one class: it checks its inputs at construction and ``fit()``
returns a frozen :class:`~estimation.result.EstimateResult`.  Subclasses
register themselves with :func:`register`; the CLI, the dashboard and the
contract tests enumerate :func:`available`.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, TypeVar

import numpy as np

from estimation.capture_table import CaptureTable, CaptureTableError
from estimation.result import EXISTENCE_NOT_APPLICABLE, EstimateResult, Provenance

INTERVALS = ("profile", "bootstrap", "none")


@dataclass(frozen=True)
class Settings:
    """Options shared by all estimators; each uses the ones that apply to it.

    Parameters
    ----------
    level
        Interval level in (0, 1).
    interval
        Classical interval: ``profile`` likelihood, BCa ``bootstrap`` or ``none``.
        Bayesian methods always give the posterior equal-tailed interval.
    boot
        Bootstrap replicates.
    seed
        Random seed (bootstrap, MCMC); ``None`` draws one.
    draws, chains, tune
        MCMC draws per chain, chains and tuning steps.
    options
        Method-specific options (e.g. ``{"K": 10}`` for lcmcr).
    """

    level: float = 0.95
    interval: str = "profile"
    boot: int = 1000
    seed: int | None = None
    draws: int = 1000
    chains: int = 2
    tune: int = 1000
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 < self.level < 1:
            raise ValueError(f"level must be between 0 and 1, got {self.level}")
        if self.interval not in INTERVALS:
            raise ValueError(f"interval must be one of {INTERVALS}, got '{self.interval}'")
        for name in ("boot", "draws", "chains"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.tune < 0:
            raise ValueError("tune must be 0 or more")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for provenance."""
        return asdict(self)


@dataclass(frozen=True)
class Fit:
    """What an estimator's ``_fit`` returns; the base class adds timing and provenance."""

    estimate: float
    lower: float = float("nan")
    upper: float = float("nan")
    interval: str = "none"
    model: tuple[str, ...] = ()
    existence: str = EXISTENCE_NOT_APPLICABLE
    warnings: tuple[str, ...] = ()
    diagnostics: dict[str, Any] = field(default_factory=dict)
    draws: np.ndarray | None = None
    idata: Any = None


class Estimator(ABC):
    """Base class of every registered estimator.

    Subclasses set ``name`` (the registry key), ``title`` (one line for
    ``darkfigure methods``), ``family`` and ``reference``, and implement
    :meth:`_fit`.  ``min_lists`` / ``max_lists`` bound the tables they accept.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    family: ClassVar[str]  # "log-linear", "closed-population", "bayesian"
    reference: ClassVar[str] = ""
    min_lists: ClassVar[int] = 2
    max_lists: ClassVar[int] = 20
    #: Estimators slow enough that `compare` should skip them unless asked.
    slow: ClassVar[bool] = False

    def __init__(self, table: CaptureTable, settings: Settings | None = None) -> None:
        if not isinstance(table, CaptureTable):
            raise TypeError("table must be a CaptureTable")
        if not self.min_lists <= table.t <= self.max_lists:
            raise CaptureTableError(
                f"method '{self.name}' needs {self.min_lists} to {self.max_lists} lists, "
                f"the table has {table.t}",
                source=table.source,
                fix="choose another method or merge lists",
            )
        if table.n == 0:
            raise CaptureTableError("the table has no observed people", source=table.source)
        self.table = table
        self.settings = settings or Settings()
        self.check()

    def check(self) -> None:  # noqa: B027 - optional hook
        """Extra input checks; raise ``ValueError`` or ``CaptureTableError``."""

    @abstractmethod
    def _fit(self) -> Fit:
        """Fit the model; return a :class:`Fit`."""

    def fit(self) -> EstimateResult:
        """Fit and return a frozen result with timing and provenance."""
        start = time.perf_counter()
        out = self._fit()
        seconds = time.perf_counter() - start
        settings = self.settings
        return EstimateResult(
            method=self.name,
            lists=self.table.lists,
            stratum=self.table.stratum,
            observed=self.table.n,
            estimate=float(out.estimate),
            lower=float(out.lower),
            upper=float(out.upper),
            level=settings.level,
            interval=out.interval,
            model=tuple(out.model),
            existence=out.existence,
            warnings=tuple(out.warnings),
            diagnostics=dict(out.diagnostics),
            seconds=seconds,
            provenance=Provenance.make(
                self.table.snapshot_hash(), self.name, settings.to_dict(), settings.seed
            ),
            draws=out.draws,
            idata=out.idata,
        )


E = TypeVar("E", bound=type[Estimator])

_REGISTRY: dict[str, type[Estimator]] = {}


def register(cls: E) -> E:
    """Class decorator: add an estimator to the registry under ``cls.name``."""
    name = cls.name
    if name in _REGISTRY and _REGISTRY[name] is not cls:
        raise ValueError(f"estimator '{name}' registered twice")
    _REGISTRY[name] = cls
    return cls


def _load_builtin() -> None:
    # Importing the method modules runs their @register decorators.
    import estimation.methods  # noqa: F401


def available() -> dict[str, type[Estimator]]:
    """All registered estimators, by name, in registration order."""
    _load_builtin()
    return dict(_REGISTRY)


def get(name: str) -> type[Estimator]:
    """The estimator class registered as ``name``.

    Raises
    ------
    KeyError
        With the list of known names.
    """
    methods = available()
    if name not in methods:
        raise KeyError(f"unknown method '{name}'; known methods: {', '.join(methods)}")
    return methods[name]


def estimate(table: CaptureTable, method: str = "stepwise", **settings: Any) -> EstimateResult:
    """Convenience: fit ``method`` on ``table`` with :class:`Settings` keywords."""
    return get(method)(table, Settings(**settings)).fit()
