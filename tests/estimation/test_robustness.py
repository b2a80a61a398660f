"""Robustness sweep: every fast registered method on every reference table and on
awkward constructed ones (issue 2).

The contract each call must keep (DESIGN.md section 3, issue 2):

* it returns a result, or raises ``ValueError`` (``CaptureTableError`` is one)
  with a plain one-paragraph message; never another exception type;
* a returned estimate is at least the number observed, and when it is not
  finite, or the MLE does not exist, the result says so (a non-ok existence
  status or a warning);
* a result that claims to be sound (no warnings, existence ok) is not an
  astronomic number from a diverged fit (Korea's full two-way model runs off to
  1.5e13 when the existence check is skipped);
* an interval, when made, is ordered ``observed <= lower <= estimate <= upper``;
* no numpy ``RuntimeWarning`` (overflow, divide by zero) leaks out;
* the point estimate does not depend on whether an interval was asked for.

Speed: no timed assertions here (benchmarks/ has the timings); a call that hung
would hang the suite.  The default run fits every method with profile intervals
on the 19 reference tables, and with and without intervals on the constructed
tables; the full cross product with ``interval="none"`` is ``slow``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from estimation.capture_table import CaptureTable, CaptureTableError, pattern_matrix
from estimation.registry import Settings, available
from estimation.result import EXISTENCE_OK, EstimateResult
from estimation.table_io import read_capture_table

REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "capture-tables"
UK5 = Path(__file__).resolve().parents[2] / "data" / "capture_tables" / "UKdat_5.csv"
#: A "sound" estimate (ok, no warnings) above this many times the number observed is
#: taken for a diverged fit.  The largest honest ratio met in the sweep is about 250
#: (three lists of 500 sharing one person).
ABSURD_RATIO = 1e4

FAST = tuple(name for name, cls in available().items() if not cls.slow)


def _reference_names() -> list[str]:
    return sorted(p.stem for p in REFERENCE.glob("*.csv"))


def _table(lists: str | list[str], rows: dict[str, float]) -> CaptureTable:
    """A table from patterns written as list letters: ``{"A": 30, "AB": 5}``."""
    lists = list(lists)
    counts = np.zeros(2 ** len(lists) - 1)
    for pattern, count in rows.items():
        code = sum(1 << lists.index(name) for name in pattern)
        counts[code - 1] = count
    return CaptureTable(tuple(lists), counts)


def _by_captures(t: int, fill: Callable[[np.ndarray], np.ndarray]) -> CaptureTable:
    """A ``t``-list table whose counts are ``fill(number of lists each pattern is on)``."""
    f = pattern_matrix(t).sum(axis=1)
    return CaptureTable(tuple(f"L{j}" for j in range(t)), fill(f).astype(float))


def _random(t: int, rate: float, seed: int) -> CaptureTable:
    rng = np.random.default_rng(seed)
    return CaptureTable(tuple(f"L{j}" for j in range(t)), rng.poisson(rate, 2**t - 1))


def _uk_times(factor: int) -> CaptureTable:
    uk = read_capture_table(UK5)
    return uk.with_counts(uk.counts * factor)


#: Awkward tables, each built to hit one edge of the methods.
CONSTRUCTED: dict[str, Callable[[], CaptureTable]] = {
    "two lists, no overlap": lambda: _table("AB", {"A": 30, "B": 20}),
    "two lists, overlap of one": lambda: _table("AB", {"A": 30, "B": 20, "AB": 1}),
    "everybody on one list": lambda: _table("ABC", {"A": 50}),
    "one person": lambda: _table("ABC", {"A": 1}),
    "single cell, all three lists": lambda: _table("ABC", {"ABC": 7}),
    "single cell, a pair": lambda: _table("ABC", {"AB": 7}),
    "every cell 1, three lists": lambda: _by_captures(3, np.ones_like),
    "every cell 1, seven lists": lambda: _by_captures(7, np.ones_like),
    "every cell 1e7": lambda: _by_captures(4, lambda f: np.full(f.shape, 10**7)),
    "UKdat_5 times 10,000": lambda: _uk_times(10_000),
    "a list overlapping nothing": lambda: _table(
        "ABCD", {"A": 40, "B": 30, "AB": 10, "C": 20, "AC": 5, "BC": 4, "D": 25}
    ),
    "no list overlaps another": lambda: _table("ABCD", {"A": 40, "B": 30, "C": 20, "D": 25}),
    "one list records everybody": lambda: _table("ABC", {"A": 40, "AB": 10, "AC": 5, "ABC": 2}),
    "strong negative dependence": lambda: _table("ABC", {"A": 500, "B": 500, "C": 500, "ABC": 1}),
    "nobody caught once or twice": lambda: _by_captures(
        8, lambda f: np.where((f >= 3) & (f <= 6), np.random.default_rng(5).poisson(2, f.size), 0)
    ),
    "very sparse, six lists": lambda: _random(6, 0.2, 11),
    "ten lists": lambda: _random(10, 0.3, 1),
    "twelve lists": lambda: _random(12, 0.3, 2),
}


# ----------------------------------------------------------------- the contract
def _run(table: CaptureTable, method: str, interval: str) -> tuple[object, list[str]]:
    """Fit; return the result or the ValueError, and the contract breaches found."""
    problems: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            outcome: object = available()[method](table, Settings(interval=interval, seed=1)).fit()
        except ValueError as err:  # CaptureTableError is a ValueError
            outcome = err
            message = str(err)
            if not message.strip() or len(message) > 1500 or "Traceback" in message:
                problems.append(f"raised {type(err).__name__} without a plain message")
        except Exception as err:  # noqa: BLE001 - the breach being tested for
            outcome = err
            problems.append(f"raised {type(err).__name__}: {err}")
    leaked = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    if leaked:
        problems.append(f"leaked RuntimeWarning: {leaked[0].message}")
    if isinstance(outcome, EstimateResult):
        problems += _result_problems(outcome)
    return outcome, problems


def _result_problems(r: EstimateResult) -> list[str]:
    out = []
    sound = r.existence in (EXISTENCE_OK, "not-applicable") and not r.warnings
    if math.isnan(r.estimate) or math.isinf(r.estimate):
        if sound:
            out.append(f"estimate {r.estimate} with no warning")
    elif r.estimate < r.observed - 1e-6 * r.observed:
        out.append(f"estimate {r.estimate:.6g} below the {r.observed} observed")
    elif sound and r.estimate > ABSURD_RATIO * r.observed:
        out.append(f"estimate {r.estimate:.6g} for {r.observed} observed, with no warning")
    if not r.ok and not r.warnings:
        out.append(f"existence {r.existence} without a warning")
    for name in ("lower", "upper"):
        value = getattr(r, name)
        if math.isnan(value) and r.interval != "none":
            out.append(f"{name} is nan for a {r.interval} interval")
    lo, hi = r.lower, r.upper
    if not math.isnan(lo) and lo < r.observed - 1e-6 * r.observed:
        out.append(f"lower {lo:.6g} below the {r.observed} observed")
    if not (math.isnan(lo) or math.isnan(hi)):
        # The profile interval surrounds the multinomial maximiser, a little below N_hat.
        slack = 1e-6 * max(abs(r.estimate), 1.0)
        if not lo - slack <= r.estimate <= hi + slack:
            out.append(f"interval [{lo:.6g}, {hi:.6g}] does not hold {r.estimate:.6g}")
    return out


def _sweep(table: CaptureTable, intervals: tuple[str, ...]) -> dict[str, dict[str, object]]:
    """Every fast method with each interval; fail with every breach listed."""
    outcomes: dict[str, dict[str, object]] = {}
    breaches = []
    for method in FAST:
        outcomes[method] = {}
        for interval in intervals:
            outcome, problems = _run(table, method, interval)
            outcomes[method][interval] = outcome
            breaches += [f"{method} ({interval}): {p}" for p in problems]
        results = [o for o in outcomes[method].values() if isinstance(o, EstimateResult)]
        if len(results) == 2 and not _same(results[0].estimate, results[1].estimate):
            breaches.append(f"{method}: the estimate changes with the interval asked for")
        if 0 < len(results) < len(intervals):
            breaches.append(f"{method}: raised with one interval setting only")
    assert not breaches, "\n".join(breaches)
    return outcomes


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-9)


def _estimates(outcomes: dict[str, dict[str, object]], interval: str) -> dict[str, float]:
    return {
        m: o[interval].estimate
        for m, o in outcomes.items()
        if isinstance(o.get(interval), EstimateResult)
    }


# ---------------------------------------------------------------------- tests
def test_the_sweep_covers_every_reference_table_and_fast_method():
    """19 reference tables (3 to 8 lists); every fast registered method is swept."""
    names = _reference_names()
    assert len(names) == 19
    assert {"dga", "bic", "stepwise", "Mth-chao"} <= set(FAST)
    assert not any(available()[m].slow for m in FAST)


@pytest.mark.parametrize("name", _reference_names())
def test_every_fast_method_on_every_reference_table(name):
    """Profile intervals on each of the 19 published tables: a sound result or a plain
    ValueError from every method."""
    _sweep(read_capture_table(REFERENCE / f"{name}.csv"), ("profile",))


@pytest.mark.slow
@pytest.mark.parametrize("name", _reference_names())
def test_every_fast_method_on_every_reference_table_without_interval(name):
    """The same with and without intervals: same estimates, same contract."""
    _sweep(read_capture_table(REFERENCE / f"{name}.csv"), ("profile", "none"))


@pytest.mark.parametrize("name", list(CONSTRUCTED))
def test_every_fast_method_on_awkward_tables(name):
    """Each constructed table, with and without intervals."""
    _sweep(CONSTRUCTED[name](), ("profile", "none"))


def test_tables_without_information_on_the_unseen_are_refused_by_every_method():
    """Two lists sharing nobody, everybody on one list, lists overlapping nothing: the
    data say nothing about how many were missed, so no method may return a number."""
    for name in ("two lists, no overlap", "everybody on one list", "no list overlaps another"):
        outcomes = _sweep(CONSTRUCTED[name](), ("none",))
        returned = _estimates(outcomes, "none")
        assert not returned, f"{name}: {returned}"


def test_an_independent_table_of_huge_counts_gives_the_same_answer_everywhere():
    """Four lists, every cell 1e7: the lists are exactly independent with capture
    probability 1/2, so N = 16 x 10^7 (n x 16/15). Every method that answers agrees to
    0.1% (dga needs its grid refined there: 0.1% spacing is 10,000 people)."""
    outcomes = _sweep(CONSTRUCTED["every cell 1e7"](), ("profile",))
    estimates = _estimates(outcomes, "profile")
    assert {"independence", "stepwise", "bic", "Mt", "dga"} <= set(estimates)
    for method, value in estimates.items():
        assert value == pytest.approx(1.6e8, rel=1e-3), method


def test_every_cell_one_gives_n_plus_one():
    """Every one of the 2^t - 1 patterns seen once fits the independence model exactly
    with capture probability 1/2: N = n x 2^t / (2^t - 1) = 2^t on three and seven lists
    for every method that answers (to 2%)."""
    for name, t in (("every cell 1, three lists", 3), ("every cell 1, seven lists", 7)):
        estimates = _estimates(_sweep(CONSTRUCTED[name](), ("none",)), "none")
        assert "independence" in estimates
        for method, value in estimates.items():
            assert value == pytest.approx(2**t, rel=0.02), (name, method)


def test_chao_rule_refits_from_the_default_start():
    """Nobody caught once or twice on 8 lists: Chao's rule (Rcapture ``Chao.neg``, which
    refits each smaller model with a fresh ``glm``, from its default start) drops every
    eta, so Mth Chao is Mt and Mh Chao is M0: same estimate and interval (to 1e-9), and
    the result says so in a warning.

    Regression: refitted from where the previous fit ended (eta near -23, heading for minus
    infinity), Newton ran off to 1e18 and Mth Chao was refused as "runs off to infinity".
    """
    table = CONSTRUCTED["nobody caught once or twice"]()
    for chao, plain in (("Mth-chao", "Mt"), ("Mh-chao", "M0")):
        with_rule, problems = _run(table, chao, "profile")
        assert not problems
        assert isinstance(with_rule, EstimateResult), with_rule
        assert len(with_rule.diagnostics["set_to_zero"]) == 6  # eta3 .. eta8
        assert any("without heterogeneity" in w for w in with_rule.warnings)
        without, problems = _run(table, plain, "profile")
        assert not problems and isinstance(without, EstimateResult)
        assert not any("without heterogeneity" in w for w in without.warnings)
        for name in ("estimate", "lower", "upper"):
            assert getattr(with_rule, name) == pytest.approx(getattr(without, name), rel=1e-9)
        assert without.estimate < 1.01 * without.observed


def test_chao_profile_holds_the_poisson_estimate_on_new_orleans():
    """NewOrl (8 lists), Mh Chao: the profile is fitted from the default start at every N
    (Rcapture ``closedpCI.t`` calls ``glm`` afresh there), so its maximum lies a little
    below the Poisson estimate (Rcapture: "N Poisson > N multinomial") and the interval
    holds both.  Within 2% and strictly inside (the estimate is 1,343.3).

    Regression: warm-started fits ran off to infinity along the way, l(N) fell to -1e5 at
    N ~ 190 and the interval was [185, 193.2], with the maximum at n.
    """
    result, problems = _run(read_capture_table(REFERENCE / "NewOrl.csv"), "Mh-chao", "profile")
    assert not problems and isinstance(result, EstimateResult)
    top = result.diagnostics["profile_estimate"]
    assert 0.98 * result.estimate < top < result.estimate
    assert result.lower < top < result.upper
    assert result.lower < 0.9 * result.estimate and result.upper > 1.1 * result.estimate


def test_chao_models_stop_at_twelve_lists_others_at_fifteen():
    """13 lists: Chao's models refuse plainly (a profile took 30 s at 15 lists); M0 runs."""
    table = _random(13, 0.05, 3)
    outcome, problems = _run(table, "Mth-chao", "none")
    assert not problems and isinstance(outcome, CaptureTableError)
    assert "3 to 12 lists" in str(outcome)
    outcome, problems = _run(table, "M0", "none")
    assert not problems and isinstance(outcome, EstimateResult)
