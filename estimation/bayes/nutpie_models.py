"""nutpie models for a :class:`~estimation.bayes.mcmc.CompiledModel`, and one NUTS run.

Two ways to hand nutpie a log density:

* the fast path: numba C callbacks (``CompiledModel.native``) wrapped in
  ``nutpie.compile_pymc.CompiledPyMCModel``, the structure nutpie's own numba
  backend builds.  nutpie then calls the density from its Rust threads
  without Python or the GIL.  That class is not public API: its fields have
  changed between nutpie releases;
* the fallback: Python callables through ``nutpie.compiled_pyfunc.from_pyfunc``
  (public API).  Same density, same draws, but every gradient goes through
  the GIL, several times slower on 2 chains.

:func:`nutpie_model` takes the fast path when it can and falls back, saying
why, when the private class is missing or refuses its arguments.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from estimation.bayes.mcmc import CompiledModel, SamplerSettings

#: How the log density reached nutpie (recorded in the diagnostics).
FAST_PATH = "numba C callbacks"
FALLBACK = "Python callbacks"


def native_model(compiled: CompiledModel, start: Callable[[int], np.ndarray]) -> Any:
    """A nutpie model on the C callbacks of ``compiled.native`` (private nutpie API).

    Raises
    ------
    ImportError, TypeError, AttributeError
        When the installed nutpie lacks ``CompiledPyMCModel`` or its fields changed.
    """
    import pandas as pd
    from nutpie.compile_pymc import CompiledPyMCModel

    if compiled.native is None:
        raise AttributeError("the model has no numba C callbacks")
    logp_c, expand_c, user_data = compiled.native
    names = list(compiled.output_names)
    shapes = [list(s) for s in compiled.output_shapes]
    sizes = [int(np.prod(s, dtype=np.int64)) for s in compiled.output_shapes]
    ends = np.cumsum(sizes)
    slices = [slice(int(e - n), int(e)) for e, n in zip(ends, sizes, strict=True)]
    params = pd.Index([f"x_{i}" for i in range(compiled.ndim)])
    return CompiledPyMCModel(
        dims={},
        _coords={"unconstrained_parameter": params},
        _n_dim=compiled.ndim,
        _shapes=dict(zip(names, compiled.output_shapes, strict=True)),
        compiled_logp_func=logp_c,
        compiled_expand_func=expand_c,
        initial_point_func=start,
        shared_data={},
        user_data=user_data,
        n_expanded=int(ends[-1]),
        shape_info=(names, slices, shapes),
        logp_func=None,
        expand_func=None,
    )


def _own_copy(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A PyTensor function's per-thread copy; other callables (pure functions) as they are."""
    copy = getattr(fn, "copy", None)
    return copy() if callable(copy) else fn


def python_model(compiled: CompiledModel, start: Callable[[int], np.ndarray]) -> Any:
    """A nutpie model calling ``compiled.logp_dlogp`` and ``compiled.expand`` from Python."""
    from nutpie.compiled_pyfunc import from_pyfunc

    # nutpie calls these factories once per chain thread; a PyTensor function keeps its
    # inputs and outputs in per-function storage, so each thread gets its own copy.
    def make_logp() -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
        fn = _own_copy(compiled.logp_dlogp)

        def logp(x: np.ndarray) -> tuple[float, np.ndarray]:
            value, grad = fn(np.asarray(x, dtype=np.float64))
            return float(value), np.array(grad, dtype=np.float64)

        return logp

    def make_expand(seed1: int, seed2: int, chain: int) -> Callable[[np.ndarray], dict]:
        mine = dataclasses.replace(compiled, expand_fn=_own_copy(compiled.expand_fn))

        def expand(x: np.ndarray) -> dict[str, np.ndarray]:
            return mine.expand(np.asarray(x, dtype=np.float64))

        return expand

    return from_pyfunc(
        compiled.ndim,
        make_logp,
        make_expand,
        [np.dtype("float64")] * len(compiled.output_names),
        list(compiled.output_shapes),
        list(compiled.output_names),
        make_initial_point_fn=start,
    )


def nutpie_model(compiled: CompiledModel, start: Callable[[int], np.ndarray]) -> tuple[Any, str]:
    """The fastest nutpie model available for ``compiled``, and which path it took.

    Returns
    -------
    model, path
        The nutpie model, and :data:`FAST_PATH` or :data:`FALLBACK` (with the
        reason when the fast path was available but refused).
    """
    if compiled.native is None:
        return python_model(compiled, start), FALLBACK
    try:
        return native_model(compiled, start), FAST_PATH
    except (ImportError, TypeError, AttributeError) as err:
        # nutpie's private class moved or changed its fields: sample all the same,
        # more slowly, and say so in the diagnostics.
        reason = f"{FALLBACK} (nutpie's CompiledPyMCModel unusable: {type(err).__name__}: {err})"
        return python_model(compiled, start), reason


def run(
    model: Any,
    settings: SamplerSettings,
    chains: int,
    draws: int,
    tune: int,
    **extra: Any,
) -> Any:
    """One ``nutpie.sample`` call with ``settings``' adaptation options; ``extra`` passed on."""
    import nutpie

    if not settings.grad_mass_matrix:
        # nutpie refuses the option (even set to its default) with low-rank adaptation.
        extra["use_grad_based_mass_matrix"] = False
    return nutpie.sample(
        model,
        draws=draws,
        tune=tune,
        chains=chains,
        cores=min(settings.cores, chains),
        seed=settings.seed,
        progress_bar=False,
        target_accept=settings.target_accept,
        low_rank_modified_mass_matrix=settings.low_rank,
        **extra,
    )
