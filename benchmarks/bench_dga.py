"""Speed of the ``dga`` estimator: seconds per table, printed and written to results/dga.md.

Run from the repository root::

    PYTENSOR_FLAGS=blas__ldflags=-lblas .venv/bin/python benchmarks/bench_dga.py [--repeats 7]

Each row fits the estimator ``repeats`` times after one warm-up fit (the warm-up
pays for enumerating the graphs and importing ArviZ, which happen once per
process; the cold cost of the graphs is a row of its own).  Wall time is the
fastest and the median fit; CPU time is the process time of the fastest fit, which
is what the machine's other load cannot inflate.  R dga's ``bma.cr`` takes about
1.2 s on UKdat_5 with ``Nmissing = 0:27440``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

from estimation.bayes.graphs import clique_coefficients, decomposable_graphs
from estimation.registry import Settings, get
from estimation.table_io import read_capture_table

ROOT = Path(__file__).resolve().parents[1]
TABLE_DIRS = (
    ROOT / "data" / "capture_tables",
    ROOT.parent / "shared" / "reference" / "capture-tables",
)
RESULTS = ROOT / "benchmarks" / "results" / "dga.md"

#: (label, table, options): R dga's grids where the brief quotes R figures, then the default.
CASES = [
    ("UKdat_5, R grid 0:27440", "UKdat_5", {"Nmissing_max": 27440}),
    ("UKdat_5, default grid", "UKdat_5", {}),
    ("Western, R grid 0:3450", "Western", {"Nmissing_max": 3450}),
    ("Western, default grid", "Western", {}),
    ("kosovo (4 lists), default grid", "kosovo", {}),
    ("UKdat (6 lists), default grid", "UKdat", {}),
]


def table_path(name: str) -> Path:
    """The capture table ``name`` from the shipped data, else the shared reference set."""
    for folder in TABLE_DIRS:
        path = folder / f"{name}.csv"
        if path.exists():
            return path
    raise FileNotFoundError(f"capture table {name}.csv not found in {TABLE_DIRS}")


def cold_graphs(t: int) -> float:
    """Seconds to enumerate the decomposable graphs on ``t`` lists, from nothing."""
    decomposable_graphs.cache_clear()
    clique_coefficients.cache_clear()
    start = time.perf_counter()
    decomposable_graphs(t)
    clique_coefficients(t)
    return time.perf_counter() - start


def time_case(name: str, options: dict, repeats: int) -> dict:
    """Fit ``dga`` on table ``name`` ``repeats`` times after a warm-up."""
    table = read_capture_table(table_path(name))
    cls = get("dga")
    settings = Settings(seed=1, options=options)
    cls(table, settings).fit()  # warm-up
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        res = cls(table, settings).fit()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    best = int(np.argmin(walls))
    return {
        "lists": table.t,
        "graphs": res.diagnostics["graphs"],
        "points": res.diagnostics["grid"]["points"],
        "estimate": f"{res.estimate:,.0f} [{res.lower:,.0f}, {res.upper:,.0f}]",
        "wall_min": walls[best],
        "wall_median": float(np.median(walls)),
        "cpu": cpus[best],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    cold = {t: cold_graphs(t) for t in (3, 4, 5, 6)}
    rows = [(label, time_case(name, options, args.repeats)) for label, name, options in CASES]
    load = os.getloadavg()
    machine = platform.processor() or platform.machine()
    lines = [
        "# dga benchmark",
        "",
        f"`benchmarks/bench_dga.py --repeats {args.repeats}`; {machine}, {os.cpu_count()} cores, "
        f"load average {load[0]:.2f} at the end (other jobs share the machine, so wall times "
        "can be inflated; CPU time is not). Seconds per fit, warm (graphs enumerated, ArviZ "
        "imported); 2 threads. R dga `bma.cr` on UKdat_5 with 0:27440: about 1.2 s.",
        "",
        "| table | lists | graphs | grid points | median [95%] | wall min (s) "
        "| wall median (s) | CPU (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, r in rows:
        lines.append(
            f"| {label} | {r['lists']} | {r['graphs']:,} | {r['points']:,} | {r['estimate']} | "
            f"{r['wall_min']:.3f} | {r['wall_median']:.3f} | {r['cpu']:.3f} |"
        )
    lines += [
        "",
        "Enumerating the decomposable graphs (once per process, cached): "
        + ", ".join(f"{t} lists {s:.3f} s" for t, s in cold.items())
        + ".",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
