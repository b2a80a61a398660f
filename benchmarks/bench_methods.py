"""Every registered fast method on the UK 5- and 6-list tables and the 8-list New Orleans table.

Target (issue 2, 2 cores): every point estimate on UK 6 lists under 0.5 s.
``bench_estimation.py`` covers the log-linear family in depth (bootstrap
included); this script times the whole registry (log-linear, Rcapture's
closed-population models, dga) as `darkfigure compare` runs it.

    .venv/bin/python benchmarks/bench_methods.py [--repeats 5]

Prints a table and writes ``benchmarks/results/methods.md``.  Wall time is the
best of the repeats after one warm-up fit (imports and one-off set-up excluded).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from estimation.registry import Settings, available  # noqa: E402
from estimation.table_io import read_capture_table  # noqa: E402

TABLES = ("UKdat_5", "UKdat", "NewOrl")
RESULTS = REPO / "benchmarks" / "results" / "methods.md"


def time_fit(cls, table, settings, repeats: int) -> tuple[float, str]:
    """Best wall time of ``repeats`` fits (after a warm-up) and a short outcome."""
    try:
        result = cls(table, settings).fit()
    except ValueError as err:
        return float("nan"), f"not applicable: {str(err)[:60]}"
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = cls(table, settings).fit()
        best = min(best, time.perf_counter() - start)
    return best, f"N = {result.estimate:,.0f} [{result.lower:,.0f}, {result.upper:,.0f}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for name in TABLES:
        table = read_capture_table(REPO / "data" / "capture_tables" / f"{name}.csv")
        for method, cls in available().items():
            if cls.slow or not cls.min_lists <= table.t <= cls.max_lists:
                continue
            for interval in ("none", "profile"):
                settings = Settings(seed=1, interval=interval)
                seconds, outcome = time_fit(cls, table, settings, args.repeats)
                rows.append((name, table.t, method, interval, seconds, outcome, cls.family))
                print(f"{name:8} {method:14} {interval:8} {seconds:8.3f} s  {outcome}", flush=True)
    # Issue 2's target is for the classical methods; dga's own (issue 5) is in dga.md.
    uk6 = [r[4] for r in rows if r[0] == "UKdat" and r[4] == r[4] and r[6] != "bayesian"]
    load = os.getloadavg()
    lines = [
        "# Every fast method: seconds per fit",
        "",
        "Written by `benchmarks/bench_methods.py` (best of "
        f"{args.repeats} after a warm-up). Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.",
        "",
        f"UK 6 lists, slowest classical estimate with a profile interval: {max(uk6):.3f} s "
        f"(target < 0.5 s: {'met' if max(uk6) < 0.5 else 'NOT met'}).",
        "",
        "| table | lists | method | interval | wall s | result |",
        "|---|---:|---|---|---:|---|",
    ]
    lines += [f"| {t} | {k} | {m} | {i} | {s:.3f} | {o} |" for t, k, m, i, s, o, _ in rows]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"\nRecorded in {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
