"""Benchmark: validate + pseudonymise + load + link a million records.

Generates a synthetic return set (50 CSV files of 20,000 rows by default: 50
organisation-quarters, people recorded by one to three organisations, some
family names misspelt), submits every file through
:func:`darkfigure.pipeline.intake.submit_return` (read, validate, pseudonymise,
load in one transaction), then links all live records into persons.  Prints a
table of wall times by phase and the peak resident memory, and writes it to
``benchmarks/results/intake.md``.

Run: ``PYTENSOR_FLAGS=blas__ldflags=-lblas .venv/bin/python benchmarks/bench_intake.py``
(``--files 5 --rows 2000`` for a quick run).
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import resource
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

GIVEN = ["Maria", "Ana", "Ion", "Elena", "Mihai", "Andrei", "Ioana", "Vasile", "Minh", "Linh",
         "Thi", "Van", "Arben", "Besa", "Ermal", "Drita", "Olena", "Ivan", "Anna", "Piotr",
         "Kasia", "Tomasz", "Amina", "Fatima", "Yusuf", "Ali", "Grace", "Joy", "Blessing",
         "John", "David", "Sarah", "Ahmed", "Omar", "Leyla", "Nadia", "Sergei", "Irina",
         "Pavel", "Daria"]
FAMILY_STEMS = ["Popescu", "Ionescu", "Nguyen", "Tran", "Le", "Hoxha", "Krasniqi", "Shevchenko",
                "Kowalski", "Nowak", "Okafor", "Adeyemi", "Mensah", "Smith", "Jones", "Hassan",
                "Rahman", "Petrov", "Ivanova", "Dumitru", "Gashi", "Berisha", "Pham", "Hoang",
                "Wisniewski", "Bondarenko", "Mohamed", "Abdi", "Osei", "Brown"]
NATIONALITIES = ["ROU", "ALB", "VNM", "GBR", "POL", "UKR", "NGA", "ERI", "SDN", "CHN"]
TYPES = ["labour", "sexual", "criminal", "domestic_servitude", "labour;criminal"]


def family_names(n: int, rng: np.random.Generator) -> np.ndarray:
    """Varied family names: a stem plus a suffix, so exact collisions are rare."""
    stems = rng.choice(FAMILY_STEMS, n)
    suffix = rng.choice(["", "a", "u", "escu", "ov", "ic", "son", "ski", "i", "o"], n)
    extra = rng.integers(0, 400, n).astype(str)
    # the numeric part stands in for a larger vocabulary of real surnames
    letters = np.array(list("bcdfghklmnprstvz"))
    tail = np.char.add(letters[(rng.integers(0, 16, n))], letters[rng.integers(0, 16, n)])
    return np.char.add(np.char.add(stems.astype(str), suffix.astype(str)),
                       np.where(extra.astype(int) % 2 == 0, tail, ""))


def misspell(names: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """Drop one inner letter of a fraction of names (Quillfeather -> Quilfeather)."""
    out = names.copy()
    pick = np.flatnonzero(rng.random(len(names)) < rate)
    for i in pick:
        word = out[i]
        if len(word) > 4:
            j = int(rng.integers(2, len(word) - 1))
            out[i] = word[:j] + word[j + 1:]
    return out


def make_returns(folder: Path, n_files: int, rows: int, seed: int = 7) -> list[tuple[Path, str,
                                                                                       str]]:
    """Write ``n_files`` CSV returns of ``rows`` rows; return (path, org, quarter) triples."""
    from collection.reference import organisations

    rng = np.random.default_rng(seed)
    orgs = sorted(organisations().values(), key=lambda o: (o.list_code, o.org_code))
    by_list: dict[str, list[Any]] = defaultdict(list)
    for org in orgs:
        by_list[org.list_code].append(org)
    chosen = []
    for list_code in ("PF", "LA", "NG", "GO", "GP", "NCA"):
        chosen += by_list[list_code][: {"PF": 5, "LA": 3, "NG": 3, "GO": 1, "GP": 1,
                                        "NCA": 1}[list_code]]
    quarters = ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    slots = [(o, q) for o in chosen for q in quarters][:n_files]
    total = n_files * rows
    # People: each record is a new person with probability 0.7, else someone already seen.
    n_people = int(total * 0.7)
    given = rng.choice(GIVEN, n_people)
    family = family_names(n_people, rng)
    born = (np.datetime64("1960-01-01") + rng.integers(0, 365 * 40, n_people)
            ).astype("datetime64[D]")
    sex = rng.choice(["female", "male"], n_people)
    nat = rng.choice(NATIONALITIES, n_people)
    person = np.concatenate([np.arange(n_people), rng.integers(0, n_people, total - n_people)])
    rng.shuffle(person)
    force = [f"E23000{n:03d}" for n in (1, 36, 26, 23, 6, 10)]
    paths = []
    for k, (org, quarter) in enumerate(slots):
        ids = person[k * rows:(k + 1) * rows]
        q = int(quarter[-1])
        start = np.datetime64(f"2025-{3 * q - 2:02d}-01")
        seen = (start + rng.integers(0, 89, rows)).astype("datetime64[D]")
        frame = pd.DataFrame({
            "record_ref": [f"{org.org_code}-{quarter}-{i:06d}" for i in range(rows)],
            "first_encountered": seen.astype(str),
            "given_name": given[ids],
            "family_name": misspell(family[ids], rng, 0.03),
            "date_of_birth": born[ids].astype(str),
            "estimated_age": "",
            "sex": sex[ids],
            "nationality": nat[ids],
            "exploitation_types": rng.choice(TYPES, rows),
            "age_group": "adult",
            "force_area": rng.choice(force, rows),
            "nrm_referred": rng.choice(["yes", "no", "unknown"], rows),
        })
        path = folder / f"{org.org_code}_{quarter}.csv"
        frame.to_csv(path, index=False)
        paths.append((path, org.org_code, quarter))
    return paths


class Timer:
    """Accumulates wall and CPU time (all threads of this process) by phase."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)

    def add(self, phase: str, wall: float, cpu: float) -> None:
        self.seconds[phase] += wall
        self.cpu[phase] += cpu

    def wrap(self, phase: str, func: Callable) -> Callable:
        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start, cpu = time.perf_counter(), time.process_time()
            try:
                return func(*args, **kwargs)
            finally:
                self.add(phase, time.perf_counter() - start, time.process_time() - cpu)

        return timed


def instrument(timer: Timer) -> None:
    """Time the phases of submit_return without changing what it does."""
    from contextlib import contextmanager

    import collection.pseudonymise as pseudonymise
    import darkfigure.pipeline.intake as intake
    import validation
    from darkfigure.pipeline import archive

    real_connect = intake.connect

    @contextmanager
    def timed_connect(*args: Any, **kwargs: Any) -> Any:
        phase = "connect + close (checkpoint)"
        start, cpu = time.perf_counter(), time.process_time()
        manager = real_connect(*args, **kwargs)
        con = manager.__enter__()
        timer.add(phase, time.perf_counter() - start, time.process_time() - cpu)
        try:
            yield con
        finally:
            start, cpu = time.perf_counter(), time.process_time()
            manager.__exit__(None, None, None)
            timer.add(phase, time.perf_counter() - start, time.process_time() - cpu)

    intake.connect = timed_connect  # type: ignore[assignment]
    archive.archive_raw = timer.wrap("archive (hash check, write)", archive.archive_raw)
    archive.read_checked = timer.wrap("archive (hash check, write)", archive.read_checked)

    intake.read_return = timer.wrap("read", intake.read_return)
    validation.validate_return = timer.wrap("validate", validation.validate_return)
    validation.clean_records = timer.wrap("validate", validation.clean_records)
    pseudonymise.match_keys = timer.wrap("pseudonymise", pseudonymise.match_keys)
    pseudonymise.strip_identity = timer.wrap("pseudonymise", pseudonymise.strip_identity)
    intake.load_submission = timer.wrap("load (one transaction)", intake.load_submission)


def peak_rss_mb() -> float:
    """Peak resident memory of this process, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "intake.md")
    args = parser.parse_args()

    os.environ["DARKFIGURE_DEMO"] = "1"
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        work = Path(tmp)
        os.environ["DARKFIGURE_HOME"] = str(work / "home")
        from darkfigure.pipeline.intake import submit_return
        from darkfigure.pipeline.linking import run_linkage
        from darkfigure.pipeline.setup import init_warehouse
        from darkfigure.settings import Settings

        settings = Settings.from_env()
        init_warehouse(settings, actor="bench")
        t0 = time.perf_counter()
        files = make_returns(work, args.files, args.rows)
        generate = time.perf_counter() - t0

        timer = Timer()
        instrument(timer)
        start, cpu0 = time.perf_counter(), time.process_time()
        loaded = 0
        for path, org, quarter in files:
            outcome = submit_return(path, org, quarter, settings=settings, actor="bench")
            if outcome.status != "loaded":
                raise SystemExit(f"{path.name}: {outcome.message()}")
            loaded += outcome.n_rows
        submit, submit_cpu = time.perf_counter() - start, time.process_time() - cpu0
        rss_submit = peak_rss_mb()

        start, cpu0 = time.perf_counter(), time.process_time()
        linkage = run_linkage(settings, period="2025", actor="bench")
        link, link_cpu = time.perf_counter() - start, time.process_time() - cpu0
        size_mb = settings.warehouse_path.stat().st_size / 2**20

    rows = [
        *[(f"submit: {k}", v, timer.cpu[k]) for k, v in timer.seconds.items()],
        ("submit: other (reads, issue and record frames, audit, log)",
         submit - sum(timer.seconds.values()), submit_cpu - sum(timer.cpu.values())),
        ("submit: total", submit, submit_cpu),
        ("link (read, cluster, store persons)", link, link_cpu),
    ]
    total, total_cpu = submit + link, submit_cpu + link_cpu
    lines = [
        "# Intake benchmark: validate + pseudonymise + load + link",
        "",
        f"{args.files} CSV returns x {args.rows:,} rows = {loaded:,} records; "
        f"{linkage.n_persons:,} persons after linkage "
        f"({linkage.report['weak_links']:,} weak and {linkage.report['strong_links']:,} "
        f"strong links).",
        "",
        "| phase | wall s | CPU s |",
        "| --- | ---: | ---: |",
        *[f"| {name} | {sec:.1f} | {cpu:.1f} |" for name, sec, cpu in rows],
        f"| **validate + pseudonymise + load + link** | **{total:.1f}** | **{total_cpu:.1f}** |",
        "",
        f"Generating the synthetic returns (not counted): {generate:.1f} s. CPU is this "
        "process's time on all its threads: the fair figure when the machine is shared.",
        f"Peak RSS: {peak_rss_mb():,.0f} MB (after submitting: {rss_submit:,.0f} MB). "
        f"Warehouse file: {size_mb:,.0f} MB.",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.machine()}; load average {load_before:.1f} at the start and "
        f"{os.getloadavg()[0]:.1f} at the end (above 2 means other jobs shared the cores "
        "and the times are inflated accordingly).",
        "Targets: under 60 s and under 4 GB on 2 cores.",
        "",
        "Command: `PYTENSOR_FLAGS=blas__ldflags=-lblas .venv/bin/python "
        f"benchmarks/bench_intake.py --files {args.files} --rows {args.rows}`",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
