"""Running a simulation study's replicates on Dask.

By default a :class:`distributed.LocalCluster` of one single-threaded worker
process per core; given a scheduler address (``tcp://host:port``) the same
tasks go to an existing cluster, so a big study runs unchanged on many
machines (its workers need darkfigure installed).  Replicates are sent in
chunks so that task overhead stays small beside the fits.

:func:`run_study` is the resumable form the CLI uses: it runs only the
replicates not yet recorded (:mod:`darkfigure.study.store`) and appends each
task's rows as it finishes.  Tasks are submitted replicate by replicate across
scenarios (replicate 0 of every scenario, then replicate 1, ...), and Dask runs
them roughly in that order, so a study stopped early has about the same number
of replicates in every scenario.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from darkfigure.errors import UserError
from darkfigure.study import store
from darkfigure.study.simulation import run_replicates


def replicate_seeds(seed: int, reps: int) -> list[int]:
    """Independent per-replicate seeds derived from one study seed."""
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(reps, dtype=np.uint32)]


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A Dask client: to ``scheduler`` if given, else to a new local cluster.

    Parameters
    ----------
    scheduler
        Address of a running scheduler, e.g. ``tcp://10.0.0.5:8786``.
    workers
        Worker processes of the local cluster (default: all cores).
    """
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as err:
            raise UserError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None
        try:
            yield client
        finally:
            client.close()
        return
    # Worker processes inherit the environment: PyTensor needs its BLAS flags there.
    os.environ.setdefault("PYTENSOR_FLAGS", "blas__ldflags=-lblas")
    cluster = LocalCluster(
        n_workers=workers or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: never clash with another cluster
        silence_logs=40,
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def run_on_dask(
    client: Any,
    scenario_name: str,
    methods: Sequence[str],
    reps: int,
    seed: int,
    settings: dict[str, Any] | None = None,
    chunk: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Run ``reps`` replicates of a scenario on a Dask client and gather the rows.

    Parameters
    ----------
    client
        A ``distributed.Client``.
    scenario_name, methods, settings
        As for :func:`darkfigure.study.simulation.run_replicates`.
    reps
        Number of replicates.
    seed
        Study seed; replicate ``k`` always gets the same table whatever the chunking.
    chunk
        Replicates per task (default: about four tasks per worker).
    progress
        Called with (replicates done, reps) as chunks finish.
    """
    from distributed import as_completed

    seeds = replicate_seeds(seed, reps)
    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    size = chunk or max(1, reps // (4 * n_workers))
    futures = [
        client.submit(run_replicates, scenario_name, list(methods), seeds[i : i + size],
                      settings, i, pure=False)
        for i in range(0, reps, size)
    ]
    rows: list[dict[str, Any]] = []
    done = 0
    for future in as_completed(futures):
        part = future.result()
        rows.extend(part)
        done += len({r["rep"] for r in part})
        if progress:
            progress(done, reps)
    return sorted(rows, key=lambda r: (r["rep"], r["method"]))


def run_serial(
    scenario_name: str,
    methods: Sequence[str],
    reps: int,
    seed: int,
    settings: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The same study in this process (for tests and small checks); same rows as on Dask."""
    rows = run_replicates(scenario_name, methods, replicate_seeds(seed, reps), settings, 0)
    return sorted(rows, key=lambda r: (r["rep"], r["method"]))


def _slow(method: str) -> bool:
    from estimation.registry import get

    return bool(get(method).slow)


def plan_tasks(
    scenarios: Sequence[str],
    methods: Sequence[str],
    reps: int,
    seed: int,
    missing: dict[tuple[str, str], list[int]],
    n_workers: int,
) -> list[tuple[str, list[str], list[int], list[int]]]:
    """Tasks ``(scenario, methods, replicate numbers, seeds)`` for the missing replicates.

    A slow (MCMC) method gets one replicate per task, so that stopping the study
    loses at most one fit per worker; fast methods share tasks of up to ten
    replicates.  Tasks are ordered by their first replicate, then scenario.
    """
    seeds = replicate_seeds(seed, reps)
    tasks: list[tuple[int, int, tuple[str, list[str], list[int], list[int]]]] = []
    for s_index, scen in enumerate(scenarios):
        fast = [m for m in methods if not _slow(m)]
        groups = [[m] for m in methods if _slow(m)]
        # Fast methods run together on the replicates any of them lacks.
        if fast:
            groups.append(fast)
        for group in groups:
            todo = sorted(set().union(*(missing[(scen, m)] for m in group)))
            if not todo:
                continue
            size = 1 if any(_slow(m) for m in group) else max(
                1, min(10, len(todo) // (4 * n_workers)))
            for i in range(0, len(todo), size):
                numbers = todo[i : i + size]
                tasks.append((numbers[0], s_index,
                              (scen, group, numbers, [seeds[k] for k in numbers])))
    return [t for _, _, t in sorted(tasks, key=lambda t: (t[0], t[1]))]


def run_study(
    client: Any,
    scenarios: Sequence[str],
    methods: Sequence[str],
    reps: int,
    seed: int,
    results_dir: Any,
    settings: dict[str, Any] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[tuple[str, str], int]:
    """Bring every scenario and method to ``reps`` recorded replicates; return the new ones.

    Parameters
    ----------
    client
        A ``distributed.Client`` (local cluster or a remote scheduler).
    scenarios, methods
        What to study.
    reps
        Replicates wanted per scenario and method, counting those already recorded
        with the same seed and settings.
    seed
        Study seed: replicate ``k`` always gets the ``k``-th replicate seed.
    results_dir
        Directory holding ``study_reps/`` (a :class:`pathlib.Path`).
    settings
        Estimator settings (``draws``, ``tune``...).
    progress
        Called with (scenario, replicates recorded now, reps) as tasks finish.

    Returns
    -------
    dict
        Replicates added per (scenario, method).
    """
    from distributed import as_completed

    key = store.settings_key(settings)
    code = store.code_version()
    missing: dict[tuple[str, str], list[int]] = {}
    counts: dict[str, int] = {}
    for scen in scenarios:
        for m in methods:
            done = store.recorded_reps(results_dir, scen, m, seed, key)
            missing[(scen, m)] = [k for k in range(reps) if k not in done]
        counts[scen] = reps - max(len(missing[(scen, m)]) for m in methods)
    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    tasks = plan_tasks(scenarios, methods, reps, seed, missing, n_workers)
    # Explicit priorities: Dask breaks ties among tasks submitted together arbitrarily.
    futures = {
        client.submit(run_replicates, scen, group, seeds, settings, 0, numbers,
                      pure=False, priority=len(tasks) - i): (scen, group, numbers)
        for i, (scen, group, numbers, seeds) in enumerate(tasks)
    }
    added = {pair: 0 for pair in missing}
    for future in as_completed(list(futures)):
        scen, group, numbers = futures[future]
        # Fast methods in one task may share replicates some already have: keep only new ones.
        rows = [r for r in future.result() if r["rep"] in missing[(scen, r["method"])]]
        store.append(results_dir, rows, seed, key, code)
        for r in rows:
            added[(scen, r["method"])] += 1
        counts[scen] = reps - max(len(missing[(scen, m)]) - added[(scen, m)] for m in methods)
        if progress:
            progress(scen, counts[scen], reps)
    return added
