"""The contract every registered estimator keeps (DESIGN.md section 3).

Every estimator in :func:`estimation.registry.available` is run through the same
checks by :func:`check_contract`.  Estimators marked ``slow`` run with tiny MCMC
settings in the default suite and with their defaults under ``-m slow``.  The
last tests feed deliberately broken estimators to the checker: the contract
test must fail when an estimator breaks the contract.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from estimation.capture_table import CaptureTable
from estimation.registry import Estimator, Fit, Settings, available
from estimation.result import (
    EXISTENCE_NO_MLE,
    EXISTENCE_NOT_APPLICABLE,
    EXISTENCE_NOT_IDENTIFIABLE,
    EXISTENCE_OK,
    EstimateResult,
    Provenance,
)

#: Keys and types of the CLI's ``--json`` contract.
CONTRACT_KEYS: dict[str, type | tuple[type, ...]] = {
    "method": str,
    "observed": int,
    "estimate": float,
    "lower": (float, type(None)),
    "upper": (float, type(None)),
    "level": float,
    "interval": str,
    "model": list,
    "existence": str,
    "warnings": list,
    "seconds": float,
}
EXISTENCE = {EXISTENCE_OK, EXISTENCE_NO_MLE, EXISTENCE_NOT_IDENTIFIABLE, EXISTENCE_NOT_APPLICABLE}
INTERVALS = {"profile", "bootstrap-bca", "posterior", "none"}
CLASSICAL = {"log-linear", "closed-population"}
#: Tables tried in order; an estimator gets the first whose size it accepts.
TABLES = ("Korea", "HIV", "UKdat_5")
SEED = 20240601


def pick_table(cls: type[Estimator], load: Callable[[str], CaptureTable]) -> CaptureTable:
    """The first contract table with a number of lists the estimator accepts."""
    for name in TABLES:
        table = load(name)
        if cls.min_lists <= table.t <= cls.max_lists:
            return table
    pytest.fail(f"no contract table fits {cls.name} ({cls.min_lists}-{cls.max_lists} lists)")


def check_result(
    result: EstimateResult, cls: type[Estimator], table: CaptureTable, settings: Settings
) -> None:
    """Assert every field-level part of the contract on one result."""
    name = cls.name
    assert isinstance(result, EstimateResult), f"{name}: fit() must return an EstimateResult"
    assert result.method == name
    assert result.lists == table.lists and result.stratum == table.stratum
    assert result.observed == table.n
    assert math.isfinite(result.estimate), f"{name}: estimate {result.estimate} is not finite"
    assert result.estimate >= table.n, f"{name}: estimate {result.estimate} < observed {table.n}"
    assert result.level == settings.level
    assert result.interval in INTERVALS, f"{name}: unknown interval kind {result.interval!r}"
    if result.interval == "none":
        assert math.isnan(result.lower) and math.isnan(result.upper), (
            f"{name}: bounds without an interval"
        )
    else:
        assert math.isfinite(result.lower), (
            f"{name}: {result.interval} interval without a lower bound"
        )
        assert not math.isnan(result.upper)
        assert table.n <= result.lower <= result.estimate <= result.upper, (
            f"{name}: interval [{result.lower}, {result.upper}] does not hold the estimate "
            f"{result.estimate} above the {table.n} observed"
        )
    assert result.existence in EXISTENCE, f"{name}: unknown existence {result.existence!r}"
    assert isinstance(result.model, tuple) and all(isinstance(m, str) for m in result.model)
    assert isinstance(result.warnings, tuple)
    assert all(isinstance(w, str) and w for w in result.warnings)
    assert math.isfinite(result.seconds) and result.seconds >= 0

    with pytest.raises(dataclasses.FrozenInstanceError):
        result.estimate = 0.0  # type: ignore[misc]

    payload = result.to_dict()
    text = json.dumps(payload, allow_nan=False)  # strict JSON: no NaN or Infinity
    payload = json.loads(text)
    for key, kind in CONTRACT_KEYS.items():
        assert key in payload, f"{name}: to_dict() lacks '{key}'"
        assert isinstance(payload[key], kind), f"{name}: '{key}' is {payload[key]!r}"
    assert payload["method"] == name and payload["observed"] == table.n

    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 1
    assert frame.loc[0, "method"] == name
    assert name in result.summary()

    prov = result.provenance
    assert isinstance(prov, Provenance)
    assert prov.data_hash == table.snapshot_hash(), f"{name}: provenance hash is not the table's"
    assert prov.method == name
    assert dict(prov.settings) == settings.to_dict()
    assert prov.seed == settings.seed
    assert "numpy" in prov.versions and "python" in prov.versions
    datetime.fromisoformat(prov.created_at)


def check_contract(
    cls: type[Estimator], table: CaptureTable, settings: Settings
) -> EstimateResult:
    """Run ``cls`` twice with one seed and assert the whole contract."""
    first = cls(table, settings).fit()
    check_result(first, cls, table, settings)
    again = cls(table, settings).fit()
    for field in ("estimate", "lower", "upper"):
        a, b = getattr(first, field), getattr(again, field)
        assert a == b or (math.isnan(a) and math.isnan(b)), (
            f"{cls.name}: the same seed gave {field} {a} then {b}"
        )
    assert first.model == again.model and first.existence == again.existence
    if cls.family in CLASSICAL:
        none = cls(table, dataclasses.replace(settings, interval="none")).fit()
        check_result(none, cls, table, dataclasses.replace(settings, interval="none"))
        assert none.interval == "none", f"{cls.name}: interval='none' was ignored"
        assert none.estimate == pytest.approx(first.estimate, rel=1e-9)
    return first


def quick_settings(cls: type[Estimator]) -> Settings:
    """Default settings, with tiny MCMC runs for slow estimators."""
    if cls.slow:
        # Tiny runs fail the convergence gate by design: skip the re-run and most
        # pilots so the contract costs seconds, not a minute, per MCMC method.
        options = {"rerun": False, "pilots": 2} if cls.family == "bayesian" else {}
        return Settings(seed=SEED, draws=100, tune=100, chains=2, options=options)
    return Settings(seed=SEED)


REGISTERED = available()


@pytest.mark.parametrize("name", list(REGISTERED))
def test_contract(name, reference_table):
    """Every registered estimator keeps the contract (slow ones with tiny draws)."""
    cls = REGISTERED[name]
    check_contract(cls, pick_table(cls, reference_table), quick_settings(cls))


@pytest.mark.parametrize(
    "name", [n for n, c in REGISTERED.items() if c.family in CLASSICAL and not c.slow]
)
def test_contract_bootstrap(name, reference_table):
    """Classical estimators honour ``interval="bootstrap"`` with a seeded BCa interval."""
    cls = REGISTERED[name]
    table = pick_table(cls, reference_table)
    settings = Settings(seed=SEED, interval="bootstrap", boot=30)
    result = check_contract(cls, table, settings)
    assert result.interval == "bootstrap-bca"


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n, c in REGISTERED.items() if c.slow])
def test_contract_full_settings(name, reference_table):
    """Slow estimators keep the contract with their default settings."""
    cls = REGISTERED[name]
    check_contract(cls, pick_table(cls, reference_table), Settings(seed=SEED))


def test_registry_is_not_empty():
    """The contract is vacuous without estimators: the built-in families must register."""
    families = {cls.family for cls in REGISTERED.values()}
    assert {"log-linear", "closed-population"} <= families
    for name, cls in REGISTERED.items():
        assert cls.name == name and cls.title and cls.family


# ------------------------------------------------------------- the checker itself
class _Dummy(Estimator):
    """A well-behaved stand-in: fixed multiples of n."""

    name = "dummy"
    title = "test double"
    family = "log-linear"

    def _fit(self) -> Fit:
        n = self.table.n
        if self.settings.interval == "none":
            return Fit(estimate=1.5 * n, existence=EXISTENCE_OK)
        return Fit(estimate=1.5 * n, lower=1.2 * n, upper=2.0 * n, interval="profile",
                   existence=EXISTENCE_OK, diagnostics={"AIC": 1.0})


class _BelowObserved(_Dummy):
    def _fit(self) -> Fit:
        return dataclasses.replace(super()._fit(), estimate=self.table.n - 1.0)


class _IntervalMissesEstimate(_Dummy):
    def _fit(self) -> Fit:
        out = super()._fit()
        return dataclasses.replace(out, lower=out.estimate + 1, upper=out.estimate + 2)


class _IgnoresSeed(_Dummy):
    def _fit(self) -> Fit:
        out = super()._fit()
        return dataclasses.replace(out, estimate=out.estimate + np.random.default_rng().random())


class _NotJsonable(_Dummy):
    def _fit(self) -> Fit:
        return dataclasses.replace(super()._fit(), diagnostics={"path": {1, 2}})


class _IgnoresIntervalNone(_Dummy):
    def _fit(self) -> Fit:
        return Fit(estimate=1.5 * self.table.n, lower=self.table.n, upper=2.0 * self.table.n,
                   interval="profile", existence=EXISTENCE_OK)


class _WrongHash(_Dummy):
    def fit(self) -> EstimateResult:
        result = super().fit()
        prov = dataclasses.replace(result.provenance, data_hash="0" * 64)
        return dataclasses.replace(result, provenance=prov)


class _BadExistence(_Dummy):
    def _fit(self) -> Fit:
        return dataclasses.replace(super()._fit(), existence="fine")


class _InfiniteEstimate(_Dummy):
    def _fit(self) -> Fit:
        return dataclasses.replace(super()._fit(), estimate=math.inf, upper=math.inf)


def test_checker_accepts_a_good_estimator(reference_table):
    check_contract(_Dummy, reference_table("Korea"), Settings(seed=1))


@pytest.mark.parametrize(
    ("broken", "clause"),
    [
        (_BelowObserved, "< observed"),
        (_IntervalMissesEstimate, "does not hold the estimate"),
        (_IgnoresSeed, "the same seed gave"),
        (_NotJsonable, "not JSON serializable"),
        (_IgnoresIntervalNone, "interval='none' was ignored"),
        (_WrongHash, "provenance hash"),
        (_BadExistence, "unknown existence"),
        (_InfiniteEstimate, "not finite"),
    ],
    ids=lambda c: c.__name__.strip("_") if isinstance(c, type) else "",
)
def test_checker_rejects_a_broken_estimator(broken, clause, reference_table):
    """Each broken estimator breaks one clause; the checker must notice that clause."""
    with pytest.raises((AssertionError, TypeError), match=clause):
        check_contract(broken, reference_table("Korea"), Settings(seed=1))
