"""Export the capture tables of chosen simulation-study replicates, for R's LCMCR.

A replicate's table is redrawn exactly as :func:`darkfigure.study.simulation.run_replicates`
draws it, ``scenario.draw(numpy.random.default_rng(rep_seed))``, with ``rep_seed`` read
from the kept replicate rows (``benchmarks/results/study_reps/<scenario>/lcmcr.csv``).
The redrawn table's size is checked against the recorded ``observed``.  With ``--fit``
our ``lcmcr`` is also fitted on each table with the study's settings (registry defaults,
``seed = rep_seed % 2**31``) and its median and 95% interval printed beside the
study's recorded ones.

Usage::

    PYTENSOR_FLAGS=blas__ldflags=-lblas .venv/bin/python benchmarks/export_study_tables.py \
        OUT_DIR uk-like:0,1,2,3,4 heterogeneity:0,1,2,3,4 [--fit]

Writes ``OUT_DIR/<scenario>_rep<k>.csv`` (one 0/1 column per list, then ``count``),
and with ``--fit`` appends our fits to ``OUT_DIR/ours.csv``.  ``OUT_DIR`` should be
outside the repository (the tables are regenerated, not kept).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("PYTENSOR_FLAGS", "blas__ldflags=-lblas")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from darkfigure.study.scenarios import scenario  # noqa: E402
from estimation.capture_table import CaptureTable  # noqa: E402
from estimation.registry import Settings, get  # noqa: E402

REPS_DIR = REPO / "benchmarks" / "results" / "study_reps"


def recorded_rows(scenario_name: str) -> dict[int, dict[str, str]]:
    """The kept lcmcr rows of a scenario, keyed by replicate number."""
    with open(REPS_DIR / scenario_name / "lcmcr.csv", newline="") as handle:
        return {int(row["rep"]): row for row in csv.DictReader(handle)}


def replicate_table(scenario_name: str, rep_seed: int) -> CaptureTable:
    """The replicate's capture table, drawn as the study draws it."""
    return scenario(scenario_name).draw(np.random.default_rng(int(rep_seed)))


def main(argv: list[str] | None = None) -> int:
    """Export (and optionally fit) the named replicates; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("picks", nargs="+", help="scenario:rep,rep,...")
    parser.add_argument("--fit", action="store_true", help="also fit our lcmcr")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for pick in args.picks:
        name, reps = pick.split(":")
        rows = recorded_rows(name)
        for rep in (int(r) for r in reps.split(",")):
            row = rows[rep]
            seed = int(row["rep_seed"])
            table = replicate_table(name, seed)
            if table.n != int(row["observed"]):
                raise SystemExit(f"{name} rep {rep}: redrawn n = {table.n}, "
                                 f"recorded {row['observed']}")
            path = args.out_dir / f"{name}_rep{rep}.csv"
            table.to_frame().to_csv(path, index=False)
            print(f"{path}: n = {table.n}, true N = {scenario(name).N}", flush=True)
            if args.fit:
                _fit(name, rep, seed, table, row, args.out_dir / "ours.csv")
    return 0


def _fit(name: str, rep: int, seed: int, table: CaptureTable, row: dict[str, str],
         out: Path) -> None:
    # The study's call: registry defaults with the replicate's seed.
    start = time.perf_counter()
    result = get("lcmcr")(table, Settings(seed=seed % 2**31)).fit()
    seconds = time.perf_counter() - start
    rec = {"scenario": name, "rep": rep, "rep_seed": seed, "n": table.n,
           "median": result.estimate, "lower": result.lower, "upper": result.upper,
           "converged": result.diagnostics.get("converged"), "seconds": round(seconds, 1),
           "study_median": row["estimate"], "study_lower": row["lower"],
           "study_upper": row["upper"]}
    new = not out.exists()
    with open(out, "a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rec))
        if new:
            writer.writeheader()
        writer.writerow(rec)
    print(f"  ours: median {result.estimate:.0f} [{result.lower:.0f}, {result.upper:.0f}] "
          f"({seconds:.0f} s); study recorded {row['estimate']}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
