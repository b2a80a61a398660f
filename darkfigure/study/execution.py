"""Running a simulation study's replicates on Dask.

By default a :class:`distributed.LocalCluster` of one single-threaded worker
process per core; given a scheduler address (``tcp://host:port``) the same
tasks go to an existing cluster, so a big study runs unchanged on many
machines (its workers need darkfigure installed).  Replicates are sent in
chunks so that task overhead stays small beside the fits.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from darkfigure.errors import UserError
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
