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
SEEDS = (1, 2, 3, 4, 5, 6, 7, 8)


#: Targets of issue 5 on 2 cores, seconds including the warm start.
TARGET_SECONDS = {("UKdat", "lcmcr"): 20.0, ("UKdat", "bayes-loglinear"): 15.0}
TARGET_ESS = {("UKdat", "lcmcr"): 1000.0}


def target_met(row: dict) -> str:
    """``yes``/``no`` against the issue's target for this table and method, else ``-``."""
    key = (row["table"], row["method"])
    if key not in TARGET_SECONDS:
        return "-"
    # The imports count against the target: a CLI call pays them.
    ok = row["seconds"] + row["imports"] < TARGET_SECONDS[key] and row["ess_N"] >= TARGET_ESS.get(
        key, 0.0
    )
    return "yes" if ok else "no"


def run(table_name: str, method: str, seed: int) -> dict:
    table = read_capture_table(TABLES / f"{table_name}.csv")
    start = time.perf_counter()
    cpu = time.process_time()
    res = estimate(table, method, seed=seed)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    d = res.diagnostics
    ess = min(d["ess_bulk"], d["ess_tail"])
    return {
        "table": table_name,
        "lists": table.t,
        "method": method,
        "seed": seed,
        "seconds": seconds,
        "cpu": cpu,
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


def to_markdown(rows: list[dict], load: str, load_end: str, imports: float) -> str:
    head = (
        "| table | lists | method | seed | seconds | CPU s | ESS of N (min bulk/tail) | ESS/s "
        "| R-hat N | divergences | re-ran | converged | N (median) | 95% interval "
        "| target met |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    body = "".join(
        f"| {r['table']} | {r['lists']} | {r['method']} | {r['seed']} | {r['seconds']:.1f} "
        f"| {r['cpu']:.1f} | {r['ess_N']:.0f} | {r['ess_per_s']:.1f} | {r['rhat_N']:.3f} "
        f"| {r['divergences']} | {r['reran']} | {r['converged']} | {r['estimate']:,.0f} "
        f"| {r['lower']:,.0f} - {r['upper']:,.0f} | {target_met(r)} |\n"
        for r in rows
    )
    return (
        "# MCMC benchmark (lcmcr, bayes-loglinear)\n\n"
        "Settings: registry defaults (2 chains x 1,000 kept draws, 1,000 tuning steps; "
        "lcmcr: 8 pilot chains and every second NUTS draw kept, bayes-loglinear: 4 pilot "
        "chains), seeds as listed.  Seconds are "
        "wall-clock and include building the model, loading its numba code from the disk "
        "cache (warm) and any gate re-run; the imports of numba, nutpie and ArviZ took "
        f"{imports:.1f} s once per process and are not in the rows, but they are added "
        "before comparing with the target (lcmcr on UK 6 lists: ESS of N >= 1,000 in "
        "< 20 s; bayes-loglinear on UK 6 lists: < 15 s).  CPU s is the process's CPU "
        "time (both chains), which contention does not inflate as it does wall time.  "
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs, "
        f"load average {load} at start and {load_end} at the end.\n\n" + head + body
    )


def warm_imports() -> float:
    """Import what the first fit would (numba, nutpie, ArviZ, PyMC's pieces); seconds taken."""
    start = time.perf_counter()
    import arviz  # noqa: F401
    import numba  # noqa: F401
    import nutpie  # noqa: F401

    return time.perf_counter() - start


def main(argv: list[str]) -> None:
    names = argv or ["UKdat", "UKdat_5", "kosovo"]
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    imports = warm_imports()
    rows = []
    for name in names:
        for method in METHODS:
            # The targeted table runs under several seeds: one lucky seed proves nothing.
            for seed in SEEDS if (name, method) in TARGET_SECONDS else SEEDS[:1]:
                row = run(name, method, seed)
                row["imports"] = imports
                rows.append(row)
                print(
                    f"{name:10s} {method:16s} seed {seed} {row['seconds']:6.1f}s "
                    f"(CPU {row['cpu']:5.1f}s) ESS {row['ess_N']:6.0f} "
                    f"({row['ess_per_s']:5.1f}/s) R-hat {row['rhat_N']:.3f} "
                    f"div {row['divergences']} reran {row['reran']} N {row['estimate']:,.0f}",
                    flush=True,
                )
    load_end = " ".join(f"{x:.1f}" for x in os.getloadavg())
    text = to_markdown(rows, load, load_end, imports)
    out = REPO / "benchmarks" / "results" / "mcmc.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
