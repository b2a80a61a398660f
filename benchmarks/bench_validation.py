"""Benchmark: parse + validate + pseudonymise a large quarterly return, and small-file latency.

Usage::

    .venv/bin/python benchmarks/bench_validation.py [--rows 1000000] [--seed 1]

A synthetic CSV return is written first (realistic mess: day-first and ISO
dates, names with accents and in Cyrillic, missing dates of birth with
estimated ages, about 0.1% rows with errors and some warnings).  The intake is
then timed in a fresh process, so that its peak memory (maximum resident set
size, ``resource.getrusage``) is the intake's own.  Importing Great
Expectations and building its suite (once per process, ``validation.warm_up``)
is timed as a stage of its own.

Small files: a 200-row return is validated by ``darkfigure validate`` (each
run a new process: Python start, imports, Great Expectations, suite, report),
and in one process after ``warm_up`` (what the dashboard sees).

The table is printed and written to ``benchmarks/results/validation.md``; a
section of that file headed ``## Before`` is kept (earlier figures to compare
with).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GIVEN = ["Maria", "Ana", "Elena", "José", "Nguyễn Văn", "Olena", "Олена", "Mohammed", "Fatima",
         "Besnik", "Arben", "Thi Hoa", "Grace", "Blessing", "Ahmed", "Ewa", "Łukasz", "Zoë"]
FAMILY = ["Popescu", "Núñez", "Tran", "Kovalenko", "Коваленко", "Hoxha", "Shehu", "Okafor",
          "Ali", "Kowalski", "O'Brien", "Nowak", "Ibrahim", "Pham", "Dumitru", "Smith"]


def make_return(path: Path, rows: int, seed: int) -> None:
    """Write a synthetic return of ``rows`` rows for METROPOLITAN, 2025Q3."""
    rng = np.random.default_rng(seed)
    seen = pd.Timestamp("2025-07-01") + pd.to_timedelta(rng.integers(0, 92, rows), unit="D")
    born = pd.Timestamp("1950-01-01") + pd.to_timedelta(rng.integers(0, 21900, rows), unit="D")
    day_first = rng.random(rows) < 0.5
    dob = np.where(day_first, born.strftime("%d/%m/%Y"), born.strftime("%Y-%m-%d")).astype(object)
    no_dob = rng.random(rows) < 0.2
    dob[no_dob] = ""
    age = ((seen - born).days // 365).astype(int).astype(str).to_numpy(dtype=object)
    age[~no_dob] = ""
    # Unique-ish people: a name number makes most names distinct, as in a real return.
    suffix = pd.Series(rng.integers(0, 200_000, rows)).map(lambda n: "" if n % 4 else "a" * (n % 7))
    frame = pd.DataFrame({
        "record_ref": [f"MET-{i:07d}" for i in range(rows)],
        "first_encountered": seen.strftime("%Y-%m-%d"),
        "given_name": rng.choice(GIVEN, rows),
        "family_name": pd.Series(rng.choice(FAMILY, rows)) + suffix,
        "date_of_birth": dob,
        "estimated_age": age,
        "sex": rng.choice(["female", "male", "F", "unknown"], rows),
        "nationality": rng.choice(["ROU", "ALB", "VNM", "GBR", "ERI", "UNK", "NGA"], rows),
        "exploitation_types": rng.choice(["labour", "sexual", "criminal;labour",
                                          "domestic_servitude", "unknown"], rows),
        "age_group": np.where((seen - born).days < 18 * 365, "child", "adult"),
        "force_area": rng.choice(["E23000001", "METROPOLITAN", "E23000036", "UNKNOWN"], rows),
        "nrm_referred": rng.choice(["yes", "no", "unknown"], rows),
    })
    bad = rng.random(rows) < 0.001
    frame.loc[bad, "sex"] = "x"
    frame.to_csv(path, index=False)


def measure(path: Path) -> dict[str, float]:
    """Run the intake stages on ``path``; seconds and peak RSS (MB) after each stage."""
    from collection.keys import DEMO_KEY
    from collection.parse import read_return
    from collection.pseudonymise import match_keys, strip_identity
    from validation import clean_records, validate_return, warm_up

    def peak_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    out: dict[str, float] = {"baseline_mb": peak_mb(), "load_start": os.getloadavg()[0]}
    t, c = time.perf_counter(), cpu()
    raw = read_return(path)
    out["parse_s"], out["parse_cpu"] = time.perf_counter() - t, cpu() - c
    out["parse_mb"] = peak_mb()
    t, c = time.perf_counter(), cpu()
    warm_up()
    out["gx_s"], out["gx_cpu"] = time.perf_counter() - t, cpu() - c
    out["gx_mb"] = peak_mb()
    t, c = time.perf_counter(), cpu()
    report = validate_return(raw, "METROPOLITAN", "2025Q3")
    out["validate_s"], out["validate_cpu"] = time.perf_counter() - t, cpu() - c
    out["validate_mb"] = peak_mb()
    t, c = time.perf_counter(), cpu()
    clean = clean_records(raw, report)
    keys = match_keys(clean, DEMO_KEY)
    stripped = strip_identity(clean)
    out["pseudonymise_s"], out["pseudonymise_cpu"] = time.perf_counter() - t, cpu() - c
    out["pseudonymise_mb"] = peak_mb()
    out.update(load=os.getloadavg()[0], rows=raw.n_rows, issues=len(report.frame),
               errors=report.n_errors,
               clean=len(clean), keys=len(keys), stripped_cols=stripped.shape[1])
    return out


def measure_small(path: Path, repeats: int = 5) -> dict[str, float]:
    """Seconds to read and validate ``path`` in this process: first time, then after warm-up."""
    from collection.parse import read_return
    from validation import validate_return

    t = time.perf_counter()
    validate_return(read_return(path), "METROPOLITAN", "2025Q3")
    first = time.perf_counter() - t
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        validate_return(read_return(path), "METROPOLITAN", "2025Q3")
        times.append(time.perf_counter() - t)
    return {"first_s": first, "warm_s": statistics.median(times)}


def cli_seconds(path: Path, env: dict[str, str], repeats: int = 3) -> list[float]:
    """Wall seconds of ``darkfigure validate`` on ``path``, each run a new process."""
    darkfigure = Path(sys.executable).with_name("darkfigure")
    times = []
    with tempfile.TemporaryDirectory() as reports:
        for _ in range(repeats):
            t = time.perf_counter()
            subprocess.run([str(darkfigure), "validate", str(path), "--org", "METROPOLITAN",
                            "--quarter", "2025Q3", "--report-dir", reports], env=env,
                           check=False, capture_output=True)
            times.append(time.perf_counter() - t)
    return times


def _run(args: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run this script with ``args`` in a new process; what it printed last, as JSON."""
    done = subprocess.run([sys.executable, __file__, *args], env=env, check=True,
                          capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    result: dict[str, float] = json.loads(lines[-1]) if lines else {}
    return result


def _before(path: Path) -> str:
    """The ``## Before`` section of the results file, if it has one."""
    if not path.exists():
        return ""
    text = path.read_text(encoding="utf-8")
    at = text.find("\n## Before")
    return text[at:] if at >= 0 else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure-small", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    if args.measure_small:
        print(json.dumps(measure_small(args.measure_small)))
        return
    if args.generate:
        make_return(args.generate, args.rows, args.seed)
        return
    env = {**os.environ, "PYTENSOR_FLAGS": "blas__ldflags=-lblas"}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "return_METROPOLITAN_2025Q3.csv"
        small = Path(tmp) / "small_METROPOLITAN_2025Q3.csv"
        # Generation and measurement run in their own processes: Linux carries a
        # process's peak RSS across fork and exec, so the measuring process must not
        # descend from one that held the generated frame.
        _run(["--generate", str(path), "--rows", str(args.rows), "--seed", str(args.seed)], env)
        _run(["--generate", str(small), "--rows", "200", "--seed", str(args.seed)], env)
        size_mb = path.stat().st_size / 1e6
        m = _run(["--measure", str(path)], env)
        cli = cli_seconds(small, env)
        in_process = _run(["--measure-small", str(small)], env)
    stages = ("parse", "gx", "validate", "pseudonymise")
    total = sum(m[f"{s}_s"] for s in stages)
    total_cpu = sum(m[f"{s}_cpu"] for s in stages)
    lines = [
        "# Intake benchmark: parse + validate + pseudonymise",
        "",
        f"{m['rows']:,} rows ({size_mb:.0f} MB CSV); {m['issues']:,} issues "
        f"({m['errors']:,} errors); {m['clean']:,} clean rows; {m['keys']:,} match keys.",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, pandas {pd.__version__}.",
        f"Command: `.venv/bin/python benchmarks/bench_validation.py --rows {args.rows}`; "
        f"load average {m['load_start']:.1f} at the start of the run and {m['load']:.1f} at "
        "the end (other jobs share the machine: wall times scale with the load, CPU times "
        "much less).",
        "",
        "| stage | wall seconds | CPU seconds | peak RSS after stage (MB) |",
        "|---|---:|---:|---:|",
        f"| (imports) | | | {m['baseline_mb']:.0f} |",
        f"| parse (read_return) | {m['parse_s']:.1f} | {m['parse_cpu']:.1f} "
        f"| {m['parse_mb']:.0f} |",
        f"| import Great Expectations, build the suite (once per process: warm_up) "
        f"| {m['gx_s']:.1f} | {m['gx_cpu']:.1f} | {m['gx_mb']:.0f} |",
        f"| validate (validate_return) | {m['validate_s']:.1f} | {m['validate_cpu']:.1f} "
        f"| {m['validate_mb']:.0f} |",
        f"| pseudonymise (clean_records, match_keys, strip_identity) | "
        f"{m['pseudonymise_s']:.1f} | {m['pseudonymise_cpu']:.1f} | {m['pseudonymise_mb']:.0f} |",
        f"| **total** | **{total:.1f}** | **{total_cpu:.1f}** | **{m['pseudonymise_mb']:.0f}** |",
        "",
        "Target for this part: under 15 s wall and 1.5 GB on an idle 2-core machine (end to "
        "end with load and linkage: 60 s, 4 GB).",
        "",
        "## A 200-row return",
        "",
        "| what | wall seconds |",
        "|---|---:|",
        "| `darkfigure validate` (a new process each run: Python, imports, Great "
        f"Expectations, suite, reports), 3 runs | {', '.join(f'{t:.1f}' for t in cli)} |",
        f"| first validation in a process (imports done; GX imported and suite built) "
        f"| {in_process['first_s']:.2f} |",
        f"| each later validation in that process, median of 5 (read_return + "
        f"validate_return) | {in_process['warm_s']:.2f} |",
    ]
    results = ROOT / "benchmarks" / "results"
    before = _before(results / "validation.md")
    text = "\n".join(lines) + "\n" + before
    print(text)
    results.mkdir(parents=True, exist_ok=True)
    (results / "validation.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
