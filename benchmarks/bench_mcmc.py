"""Speed and convergence of the PyMC estimators (lcmcr, bayes-loglinear).

Runs each method through the registry, as the CLI does, so the seconds include
building the model (its numba log density comes from numba's on-disk cache
after the first run) and any re-run the convergence gate asks for.

Usage::

    PYTENSOR_FLAGS=blas__ldflags=-lblas .venv/bin/python benchmarks/bench_mcmc.py [TABLE ...]

Prints a table and writes ``benchmarks/results/mcmc.md``.  Tables are names in
``../shared/reference/capture-tables`` (default: UKdat, UKdat_5, kosovo).
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("PYTENSOR_FLAGS", "blas__ldflags=-lblas")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from estimation.registry import estimate  # noqa: E402
from estimation.table_io import read_capture_table  # noqa: E402

TABLES = REPO.parent / "shared" / "reference" / "capture-tables"
METHODS = ("lcmcr", "bayes-loglinear")
SEED = 1


def run(table_name: str, method: str) -> dict:
    table = read_capture_table(TABLES / f"{table_name}.csv")
    start = time.perf_counter()
    res = estimate(table, method, seed=SEED)
    seconds = time.perf_counter() - start
    d = res.diagnostics
    ess = min(d["ess_bulk"], d["ess_tail"])
    return {
        "table": table_name,
        "lists": table.t,
        "method": method,
        "seconds": seconds,
        "ess_N": ess,
        "ess_per_s": ess / seconds,
        "rhat_N": d["rhat"],
        "divergences": d["divergences"],
        "reran": d["reran"],
        "converged": d["converged"],
        "estimate": res.estimate,
        "lower": res.lower,
        "upper": res.upper,
    }


def to_markdown(rows: list[dict], load: str) -> str:
    head = (
        "| table | lists | method | seconds | ESS of N (min bulk/tail) | ESS/s | R-hat N "
        "| divergences | re-ran | converged | N (median) | 95% interval |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    body = "".join(
        f"| {r['table']} | {r['lists']} | {r['method']} | {r['seconds']:.1f} | {r['ess_N']:.0f} "
        f"| {r['ess_per_s']:.1f} | {r['rhat_N']:.3f} | {r['divergences']} | {r['reran']} "
        f"| {r['converged']} | {r['estimate']:,.0f} | {r['lower']:,.0f} - {r['upper']:,.0f} |\n"
        for r in rows
    )
    return (
        "# MCMC benchmark (lcmcr, bayes-loglinear)\n\n"
        f"Settings: registry defaults (2 chains x 1,000 draws, 1,000 tuning steps, 4 pilot "
        f"chains), seed {SEED}; seconds include building the model, loading its numba "
        f"code from the disk cache (warm) and any gate re-run; the first row also pays "
        f"the imports of numba, nutpie and ArviZ.  Machine: {platform.machine()}, "
        f"{os.cpu_count()} cores, "
        f"load average at start {load}.\n\n" + head + body
    )


def main(argv: list[str]) -> None:
    names = argv or ["UKdat", "UKdat_5", "kosovo"]
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    rows = []
    for name in names:
        for method in METHODS:
            row = run(name, method)
            rows.append(row)
            print(
                f"{name:10s} {method:16s} {row['seconds']:6.1f}s ESS {row['ess_N']:6.0f} "
                f"({row['ess_per_s']:5.1f}/s) R-hat {row['rhat_N']:.3f} div {row['divergences']} "
                f"reran {row['reran']} N {row['estimate']:,.0f}",
                flush=True,
            )
    text = to_markdown(rows, load)
    out = REPO / "benchmarks" / "results" / "mcmc.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
