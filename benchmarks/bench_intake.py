"""Benchmark: validate + pseudonymise + load + link a million records.

Generates a synthetic return set (50 CSV files of 20,000 rows by default: 50
organisation-quarters, people recorded by one to three organisations, some
family names misspelt), submits them as one batch through
:func:`darkfigure.pipeline.intake.submit_returns` (read, validate,
pseudonymise, load each in its own transaction; ``--one-by-one`` submits each
file through :func:`~darkfigure.pipeline.intake.submit_return` instead), then
links all live records into persons.  Prints a
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
import threading
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
    """Accumulates wall and CPU time by phase.

    A phase's CPU is that of the thread running it (``time.thread_time``): a batch
    writes each return on a second thread while the next is pseudonymised, so the
    process's CPU clock would count the other phase too.  DuckDB's own worker
    threads are in no phase; they are in 'other'.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()

    def add(self, phase: str, wall: float, cpu: float) -> None:
        with self._lock:  # two threads add
            self.seconds[phase] += wall
            self.cpu[phase] += cpu

    def wrap(self, phase: str, func: Callable) -> Callable:
        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start, cpu = time.perf_counter(), time.thread_time()
            try:
                return func(*args, **kwargs)
            finally:
                self.add(phase, time.perf_counter() - start, time.thread_time() - cpu)

        return timed


def instrument(timer: Timer) -> None:
    """Time the phases of intake (both paths) without changing what they do."""
    from contextlib import contextmanager

    import collection.pseudonymise as pseudonymise
    import darkfigure.pipeline.intake as intake
    import darkfigure.pipeline.intake_keys as intake_keys
    import darkfigure.pipeline.intake_steps as steps
    import validation
    from darkfigure.pipeline import archive

    def timed_manager(phase: str, real: Callable) -> Callable:
        @contextmanager
        def timed(*args: Any, **kwargs: Any) -> Any:
            start, cpu = time.perf_counter(), time.thread_time()
            manager = real(*args, **kwargs)
            con = manager.__enter__()
            timer.add(phase, time.perf_counter() - start, time.thread_time() - cpu)
            try:
                yield con
            finally:
                start, cpu = time.perf_counter(), time.thread_time()
                manager.__exit__(None, None, None)
                timer.add(phase, time.perf_counter() - start, time.thread_time() - cpu)

        return timed

    # Every connection of intake (a batch's held one too) is opened by steps.connect.
    steps.connect = timed_manager("connect + close (checkpoint)",  # type: ignore[assignment]
                                  steps.connect)
    archive.archive_raw = timer.wrap("archive (write)", archive.archive_raw)
    intake.read_return_bytes = timer.wrap("read (parse)", intake.read_return_bytes)
    validation.validate_returns = timer.wrap("validate", validation.validate_returns)
    validation.clean_records = timer.wrap("validate", validation.clean_records)
    pseudonymise.match_keys = timer.wrap("pseudonymise", pseudonymise.match_keys)
    # A batch hashes in worker processes: the main thread only hands the frames over.
    intake_keys.KeyMaker.submit = timer.wrap(  # type: ignore[method-assign]
        "pseudonymise: hand to worker processes", intake_keys.KeyMaker.submit)
    pseudonymise.strip_identity = timer.wrap("pseudonymise", pseudonymise.strip_identity)
    steps.load_submission = timer.wrap("load (one transaction each)", steps.load_submission)


def peak_rss_mb() -> float:
    """Peak resident memory of this process, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class LoadSampler:
    """The 1-minute load average sampled every few seconds while the benchmark runs."""

    def __init__(self, every: float = 5.0) -> None:
        self.samples = [os.getloadavg()[0]]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._thread.start()

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            self.samples.append(os.getloadavg()[0])

    def stop(self) -> str:
        self._stop.set()
        self._thread.join()
        self.samples.append(os.getloadavg()[0])
        return (f"{self.samples[0]:.1f} at the start, {self.samples[-1]:.1f} at the end, "
                f"mean {sum(self.samples) / len(self.samples):.1f} over "
                f"{len(self.samples)} samples")


def submit_all(files: list[tuple[Path, str, str]], settings: Any, one_by_one: bool) -> int:
    """Submit the returns as a batch (or one by one, the path before batches); rows loaded."""
    from darkfigure.pipeline.intake import ReturnEntry, submit_return, submit_returns

    if one_by_one:
        outcomes: list[Any] = [submit_return(path, org, quarter, settings=settings,
                                             actor="bench") for path, org, quarter in files]
    else:
        outcomes = submit_returns([ReturnEntry(path, org, quarter) for path, org, quarter in files],
                                  settings=settings, actor="bench")
    for outcome in outcomes:
        if outcome.status != "loaded":
            raise SystemExit(outcome.message())
    return sum(outcome.n_rows for outcome in outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--one-by-one", action="store_true",
                        help="submit each file on its own (submit_return), not as one batch")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "intake.md")
    args = parser.parse_args()

    os.environ["DARKFIGURE_DEMO"] = "1"
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        work = Path(tmp)
        os.environ["DARKFIGURE_HOME"] = str(work / "home")
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
        load = LoadSampler()
        start, cpu0 = time.perf_counter(), time.process_time()
        children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        loaded = submit_all(files, settings, args.one_by_one)
        submit, submit_cpu = time.perf_counter() - start, time.process_time() - cpu0
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers_cpu = (children.ru_utime + children.ru_stime
                       - children0.ru_utime - children0.ru_stime)
        workers_rss = children.ru_maxrss / 1024
        rss_submit = peak_rss_mb()

        start, cpu0 = time.perf_counter(), time.process_time()
        linkage = run_linkage(settings, period="2025", actor="bench")
        link, link_cpu = time.perf_counter() - start, time.process_time() - cpu0
        load_text = load.stop()
        size_mb = settings.warehouse_path.stat().st_size / 2**20

    how = "one by one (submit_return per file)" if args.one_by_one else \
        "as one batch (submit_returns)"
    rows = [
        *[(f"submit: {k}", v, timer.cpu[k]) for k, v in timer.seconds.items()],
        ("submit: other (queries, issue and record frames, audit, log, DuckDB's threads; "
         "wall below 0 when the writer thread overlapped other phases)",
         submit - sum(timer.seconds.values()), submit_cpu - sum(timer.cpu.values())),
        ("submit: total", submit, submit_cpu),
        ("pseudonymise in worker processes (CPU of the workers, beside the above; "
         "wall overlapped)", float("nan"), workers_cpu),
        ("link (read, cluster, store persons)", link, link_cpu),
    ]
    total, total_cpu = submit + link, submit_cpu + link_cpu + workers_cpu
    command = ("PYTENSOR_FLAGS=blas__ldflags=-lblas .venv/bin/python benchmarks/bench_intake.py "
               f"--files {args.files} --rows {args.rows}"
               + (" --one-by-one" if args.one_by_one else ""))
    lines = [
        "# Intake benchmark: validate + pseudonymise + load + link",
        "",
        f"{args.files} CSV returns x {args.rows:,} rows = {loaded:,} records, submitted {how}; "
        f"{linkage.n_persons:,} persons after linkage "
        f"({linkage.report['weak_links']:,} weak and {linkage.report['strong_links']:,} "
        f"strong links).",
        "",
        "| phase | wall s | CPU s |",
        "| --- | ---: | ---: |",
        *[f"| {name} | {'-' if sec != sec else f'{sec:.1f}'} | {cpu:.1f} |"
          for name, sec, cpu in rows],
        f"| **validate + pseudonymise + load + link** | **{total:.1f}** | **{total_cpu:.1f}** |",
        "",
        f"Generating the synthetic returns (not counted): {generate:.1f} s. CPU is this "
        "process's time on all its threads (a phase's CPU: its own thread's), plus its "
        "worker processes' in the total: the fair "
        "figure when the machine is shared. "
        "Great Expectations is imported and its suite built within 'validate' (once).",
        f"Peak RSS: {peak_rss_mb():,.0f} MB (after submitting: {rss_submit:,.0f} MB); "
        f"each hashing worker process at most {workers_rss:,.0f} MB. "
        f"Warehouse file: {size_mb:,.0f} MB.",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.machine()}; load average {load_text} (above 2 means other jobs shared "
        "the cores and the wall times are inflated accordingly).",
        "Targets: under 60 s and under 4 GB on 2 cores.",
        "",
        f"Command: `{command}`",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + earlier_sections(args.out), encoding="utf-8")


def earlier_sections(path: Path) -> str:
    """The ``## ...`` sections of the results file (earlier records to compare with): the
    new table replaces only the part above them."""
    if not path.exists():
        return ""
    text = path.read_text(encoding="utf-8")
    at = text.find("\n## ")
    return "" if at < 0 else text[at:]


if __name__ == "__main__":
    main()
