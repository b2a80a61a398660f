"""Speed of the log-linear estimators: point estimates, profile intervals, bootstrap.

Targets (issue 2, 2 cores): every point estimate on UK 6 lists under 0.5 s
(the exhaustive BIC search over 32,768 models included); the 1,000-replicate
BCa bootstrap with stepwise re-selection on UK 5 lists under 10 s.  Every
method is also timed on the 8-list New Orleans table.

Run from the repository root::

    .venv/bin/python benchmarks/bench_estimation.py [--quick]

Prints a table and writes ``benchmarks/results/estimation.md``.  Wall time is
the best of several runs (the machine is shared: the load average is recorded
alongside); CPU time is the process time of that run.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from estimation.registry import estimate  # noqa: E402
from estimation.result import EstimateResult  # noqa: E402
from estimation.table_io import read_capture_table  # noqa: E402

TABLES = REPO / "data" / "capture_tables"
RESULTS = REPO / "benchmarks" / "results" / "estimation.md"
METHODS = ("independence", "stepwise", "aic-stepwise", "bic")


def timed(
    fn: Callable[[], EstimateResult], repeat: int
) -> tuple[float, float, EstimateResult]:
    """Best wall time over ``repeat`` runs, the CPU time of that run, and its result."""
    best: tuple[float, float, EstimateResult] | None = None
    for _ in range(repeat):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        value = fn()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        if best is None or wall < best[0]:
            best = (wall, cpu, value)
    assert best is not None
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, 200 replicates")
    args = parser.parse_args()
    repeat = 2 if args.quick else 5
    boot = 200 if args.quick else 1000

    rows: list[tuple[str, str, str, str, float, float, str]] = []
    # Warm up imports and caches so that the first row is not charged for them.
    warm = read_capture_table(TABLES / "Korea.csv")
    for method in METHODS:
        estimate(warm, method, interval="profile")

    for name in ("UKdat", "UKdat_5", "NewOrl"):
        table = read_capture_table(TABLES / f"{name}.csv")
        for method in METHODS:
            for interval in ("none", "profile"):
                wall, cpu, res = timed(partial(estimate, table, method, interval=interval), repeat)
                extra = ""
                if method == "bic" and interval == "none":
                    d = res.diagnostics
                    extra = (
                        f"; {d['search']}: {d['models_fitted']:,} of "
                        f"{d['models_total']:,} fitted"
                    )
                rows.append(
                    (name, f"{table.t}", method, interval, wall, cpu,
                     f"N = {res.estimate:,.0f}{extra}")
                )

    uk5 = read_capture_table(TABLES / "UKdat_5.csv")
    for method, jobs in (("stepwise", 1), ("stepwise", 2), ("bic", 1)):
        run = partial(
            estimate, uk5, method, interval="bootstrap", boot=boot, seed=1,
            options={"n_jobs": jobs},
        )
        wall, cpu, res = timed(run, 1)
        rows.append(
            ("UKdat_5", "5", method, f"bootstrap B={boot}, n_jobs={jobs}", wall, cpu,
             f"N = {res.estimate:,.0f} [{res.lower:,.0f}, {res.upper:,.0f}]")
        )

    header = "| table | lists | method | interval | wall s | CPU s | result |"
    lines = [header, "|---|---|---|---|---:|---:|---|"]
    lines += [
        f"| {t} | {k} | {m} | {i} | {w:.3f} | {c:.3f} | {r} |" for t, k, m, i, w, c, r in rows
    ]
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    meta = (
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min) at the end; "
        f"wall = best of {repeat} runs (bootstrap: one run); CPU = process time (the parent "
        "only when n_jobs > 1)."
    )
    text = "\n".join(
        [
            "# Log-linear estimation speed",
            "",
            "Written by `benchmarks/bench_estimation.py`"
            + (" --quick" if args.quick else "")
            + ". Targets: UK 6 lists every point estimate < 0.5 s; "
            "UK 5 lists 1,000-replicate stepwise BCa bootstrap < 10 s.",
            "",
            meta,
            "",
            *lines,
            "",
        ]
    )
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
