"""Run every benchmark script in benchmarks/ in turn (``make bench``).

Each ``bench_*.py`` prints its own table and writes it to ``benchmarks/results/``.
Run them one at a time: they measure speed, so they must not compete for the cores.

    .venv/bin/python benchmarks/run_all.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="benchmark names, e.g. estimation dga")
    args = parser.parse_args()
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.only]
    env = {**os.environ, "PYTENSOR_FLAGS": os.environ.get("PYTENSOR_FLAGS", "blas__ldflags=-lblas")}
    failed = []
    for script in scripts:
        print(f"\n=== {script.name}", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent, env=env)
        print(f"=== {script.name}: exit {code} after {time.perf_counter() - start:.1f} s")
        if code:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
