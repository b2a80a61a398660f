"""``lcmcr``: the non-parametric latent class model of Manrique-Vallier (2016), in PyMC.

Each person belongs to one of K latent classes; within class k list j records
them independently with probability ``lambda_jk``.  So the probability of
capture pattern h is

    p_h = sum_k pi_k prod_j lambda_jk**h_j (1 - lambda_jk)**(1 - h_j)

with class weights ``pi`` from a stick-breaking process truncated at K
(``V_k ~ Beta(1, alpha)``, ``pi_k = V_k prod_{l<k} (1 - V_l)``, ``V_K = 1``),
``alpha ~ Gamma(0.25, 0.25)`` and ``lambda_jk ~ Beta(1, 1)``, as in the R
package LCMCR (``lcmCR(K = 10, a_alpha = 0.25, b_alpha = 0.25)``).

Unlike LCMCR's Gibbs sampler, the class memberships are summed out (a
log-sum-exp over k) so that NUTS can sample the rest, and N is drawn after the
fact from its negative-binomial conditional (see :mod:`estimation.bayes.mcmc`).
The parametrisation is chosen for geometry, the posterior is the same:

* ``lambda`` on the logit scale;
* the sticks non-centred: ``1 - V_k = exp(-E_k / alpha)`` with ``E_k ~ Exp(1)``,
  which is exactly ``V_k ~ Beta(1, alpha)`` but keeps ``alpha`` from pinching the
  sticks into a funnel (the divergences HRDAG met in their Stan port, StanLCMCR);
* log weights built by cumulative sums, never by products of small numbers.

The PyMC model (:func:`build_model`) is the specification; the sampler runs the
same density written by hand in numba (:func:`lcmcr_logp_grad`,
:func:`compile_fast`), which the tests check against it.

Label switching does not matter for N; the gate therefore looks at N and
``p0`` only, which are label-invariant.
"""

from __future__ import annotations

import functools
import math
from typing import Any, ClassVar

import numpy as np

from estimation.bayes import mcmc
from estimation.capture_table import CaptureTable
from estimation.registry import Estimator, Fit, register

DEFAULT_K = 10
A_ALPHA = 0.25
B_ALPHA = 0.25


def full_counts(table: CaptureTable) -> np.ndarray:
    """Counts over all ``2**t`` patterns, the empty pattern (count 0) first.

    Index i is the pattern whose bit j is list j, so index ``k + 1`` is the
    table's cell k.
    """
    return np.concatenate([[0.0], table.counts.astype(np.float64)])


def pattern_sums(rows: Any, t: int) -> Any:
    """``(2**t, K)`` tensor whose row i is the sum of ``rows[j]`` over the bits j set in i.

    Built by doubling (patterns without list j, then with it), which matches the
    cell order of :func:`full_counts` and avoids a dense 0/1 design product.
    """
    import pytensor.tensor as pt

    sums = pt.zeros((1, rows.shape[1]))
    for j in range(t):
        sums = pt.concatenate([sums, sums + rows[j][None, :]], axis=0)
    return sums


def build_model(
    counts: np.ndarray,
    t: int,
    K: int = DEFAULT_K,
    a_alpha: float = A_ALPHA,
    b_alpha: float = B_ALPHA,
) -> Any:
    """The LCMCR model on the conditional likelihood of the observed cells.

    Parameters
    ----------
    counts
        Counts over all ``2**t`` patterns, empty pattern first (:func:`full_counts`).
    t
        Number of lists.
    K
        Truncation of the stick-breaking process (number of classes).
    a_alpha, b_alpha
        Gamma prior (shape, rate) of the concentration ``alpha``.

    Returns
    -------
    pymc.Model
        With deterministic ``p0``, the probability of the empty pattern.
    """
    import pymc as pm
    import pytensor.tensor as pt

    y = np.asarray(counts, dtype=np.float64)
    n = float(y.sum())
    with pm.Model() as model:
        alpha = pm.Gamma("alpha", alpha=a_alpha, beta=b_alpha)
        e = pm.Exponential("e", 1.0, shape=K - 1)
        log1m_v = -e / alpha  # log(1 - V_k)
        log_v = pt.log1mexp(log1m_v)
        log_pi = pt.concatenate([log_v, pt.zeros(1)]) + pt.concatenate(
            [pt.zeros(1), pt.cumsum(log1m_v)]
        )
        lam = pm.Beta("lam", 1.0, 1.0, shape=(t, K))
        log1m_lam = pt.log1p(-lam)
        logit_lam = pt.log(lam) - log1m_lam
        # log P(pattern, class) = log pi_k + sum_j log(1 - lam_jk) + sum_{j in h} logit lam_jk
        joint = pattern_sums(logit_lam, t) + (log_pi + log1m_lam.sum(axis=0))[None, :]
        log_p = pt.logsumexp(joint, axis=1)
        pm.Deterministic("p0", pt.exp(log_p[0]))
        pm.Potential("conditional", pt.sum(y * log_p) - n * pt.log1mexp(log_p[0]))
    return model


# ---------------------------------------------------------------------------
# Hand-written log density and gradient (numba), what the sampler actually runs.
#
# The PyMC model above is the readable specification (and the tests' check of
# this code); PyTensor's per-call overhead made each gradient cost 70-150 us,
# while this costs a few us on the at most 64 cells x K classes.  Unconstrained
# vector x = [log alpha, log E_1..E_{K-1}, logit lam (t x K, row-major)], the
# same transforms PyMC uses, so the posterior is identical.


def lcmcr_logp_grad(
    x: np.ndarray, bits: np.ndarray, y: np.ndarray, K: int, a_alpha: float, b_alpha: float
) -> tuple[float, np.ndarray, float]:
    """Log posterior density (up to a constant), its gradient, and ``log p0``.

    ``bits`` (m x t) are the patterns kept: row 0 the empty one, then the
    observed cells with a positive count ``y`` (``y[0] = 0``); empty cells add
    nothing to the conditional likelihood.  Plain Python here (slow, but it is
    what the gradient test reads); the sampler runs :func:`jitted`.
    """
    m, t = bits.shape
    n = y.sum()
    grad = np.zeros(x.size)
    alpha = math.exp(x[0])
    logp = a_alpha * x[0] - b_alpha * alpha  # Gamma prior with the log-Jacobian
    s = np.empty(K - 1)  # s_k = log(1 - V_k) = -E_k / alpha
    base = np.empty(K)  # log pi_k + sum_j log(1 - lam_jk)
    cum = 0.0
    for k in range(K - 1):
        e = math.exp(x[1 + k])
        logp += x[1 + k] - e  # Exp(1) prior with the log-Jacobian
        s[k] = -e / alpha
        base[k] = cum + math.log(-math.expm1(s[k]))  # log V_k
        cum += s[k]
    base[K - 1] = cum
    off = K
    lam = np.empty((t, K))
    for j in range(t):
        for k in range(K):
            v = x[off + j * K + k]
            sp = max(v, 0.0) + math.log1p(math.exp(-abs(v)))  # -log(1 - lam)
            logp += v - 2.0 * sp  # Beta(1, 1) prior: log lam + log(1 - lam)
            base[k] -= sp
            lam[j, k] = math.exp(v - sp)
    # log p_h = logsumexp_k joint[h, k]; resp[h, k] the class responsibilities.
    resp = np.empty((m, K))
    log_p0 = 0.0
    for h in range(m):
        top = -np.inf
        for k in range(K):
            z = base[k]
            for j in range(t):
                if bits[h, j]:
                    z += x[off + j * K + k]
            resp[h, k] = z
            if z > top:
                top = z
        total = 0.0
        for k in range(K):
            resp[h, k] = math.exp(resp[h, k] - top)
            total += resp[h, k]
        log_p = top + math.log(total)
        # d/d log p_h of the likelihood: y_h, and for the empty pattern that of
        # -n log(1 - p0), which is n p0 / (1 - p0).
        if h == 0:
            log_p0 = log_p
            logp -= n * math.log(-math.expm1(log_p))
            weight = n / math.expm1(-log_p)
        else:
            logp += y[h] * log_p
            weight = y[h]
        for k in range(K):
            resp[h, k] *= weight / total
    g = resp.sum(axis=0)  # d/d log pi_k (and d/d sum_j log(1 - lam_jk))
    for j in range(t):
        for k in range(K):
            d = -g[k] * lam[j, k] + 1.0 - 2.0 * lam[j, k]
            for h in range(m):
                if bits[h, j]:
                    d += resp[h, k]
            grad[off + j * K + k] = d
    # log pi_k = log(1 - exp(s_k)) + sum_{l<k} s_l, so d/ds_l = g_l dlog1mexp + sum_{k>l} g_k.
    later = g[K - 1]
    d_alpha = 0.0
    for k in range(K - 2, -1, -1):
        ds = -g[k] / math.expm1(-s[k]) + later
        later += g[k]
        grad[1 + k] = ds * s[k] + 1.0 - math.exp(x[1 + k])
        d_alpha -= ds * s[k]
    grad[0] = d_alpha + a_alpha - b_alpha * alpha
    return logp, grad, log_p0


@functools.cache
def jitted() -> Any:
    """:func:`lcmcr_logp_grad` compiled by numba (cached on disk; numba imported only here)."""
    import numba

    # error_model numpy: a division by zero gives inf (NUTS rejects the point), not an
    # exception that a C callback cannot raise.
    return numba.njit(cache=True, nogil=True, error_model="numpy")(lcmcr_logp_grad)


_CORE: Any = None
_UNPACK: Any = None


@functools.cache
def c_callbacks() -> tuple[Any, Any]:
    """nutpie's C callbacks (log density with gradient; expand to ``p0, alpha``).

    The table travels in nutpie's ``user_data`` pointer as one float64 array
    (:func:`pack`), so the compiled code does not depend on it and numba's disk
    cache serves every table.
    """
    import numba
    from numba import types

    # The callbacks reach the compiled helpers as module globals, not closure
    # cells: numba keys its disk cache on the pickled closure, and a dispatcher
    # pickles differently in every process (the cache would never hit).
    global _CORE, _UNPACK
    _CORE = jitted()

    @numba.njit(cache=True, nogil=True)
    def unpack(ptr: Any) -> Any:
        head = numba.carray(ptr, (5,), dtype=np.float64)
        m, t = int(head[0]), int(head[1])
        data = numba.carray(ptr, (5 + m * (t + 1),), dtype=np.float64)
        bits = data[5 : 5 + m * t].reshape((m, t))
        return bits, data[5 + m * t :], int(head[2]), head[3], head[4]

    _UNPACK = unpack
    double_p = types.CPointer(types.double)

    @numba.cfunc(types.int64(types.uint64, double_p, double_p, double_p, types.voidptr), cache=True)
    def logp_c(dim: Any, x_: Any, grad_: Any, logp_: Any, user: Any) -> int:
        bits, y, K, a_alpha, b_alpha = _UNPACK(user)
        value, grad, _ = _CORE(numba.carray(x_, (dim,)), bits, y, K, a_alpha, b_alpha)
        numba.carray(grad_, (dim,))[:] = grad
        numba.carray(logp_, ())[()] = value
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            return 3
        return 0

    @numba.cfunc(
        types.int64(types.uint64, types.uint64, double_p, double_p, types.voidptr), cache=True
    )
    def expand_c(dim: Any, expanded: Any, x_: Any, out_: Any, user: Any) -> int:
        bits, y, K, a_alpha, b_alpha = _UNPACK(user)
        x = numba.carray(x_, (dim,))
        out = numba.carray(out_, (expanded,))
        out[0] = np.exp(_CORE(x, bits, y, K, a_alpha, b_alpha)[2])
        out[1] = np.exp(x[0])
        return 0

    return logp_c, expand_c


def pack(bits: np.ndarray, y: np.ndarray, K: int, a_alpha: float, b_alpha: float) -> np.ndarray:
    """The table and prior as the flat array :func:`c_callbacks` read."""
    head = [bits.shape[0], bits.shape[1], K, a_alpha, b_alpha]
    return np.concatenate([head, bits.ravel(), y]).astype(np.float64)


def kept_cells(counts: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Patterns (0/1 rows) and counts of the empty pattern and the positive cells."""
    codes = np.flatnonzero(np.asarray(counts) > 0)
    codes = np.concatenate([[0], codes[codes > 0]])
    bits = (codes[:, None] >> np.arange(t)) & 1
    return bits.astype(np.int64), np.asarray(counts, dtype=np.float64)[codes]


def compile_fast(
    counts: np.ndarray,
    t: int,
    K: int = DEFAULT_K,
    a_alpha: float = A_ALPHA,
    b_alpha: float = B_ALPHA,
) -> mcmc.CompiledModel:
    """The model of :func:`build_model` as a :class:`~estimation.bayes.mcmc.CompiledModel`.

    Same arguments as :func:`build_model`; the outputs are ``p0`` and ``alpha``.
    """
    bits, y = kept_cells(counts, t)
    logp_grad = jitted()

    def logp_dlogp(x: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad, _ = logp_grad(x, bits, y, K, a_alpha, b_alpha)
        return value, grad

    def expand(x: np.ndarray) -> list[np.ndarray]:
        _, _, log_p0 = logp_grad(x, bits, y, K, a_alpha, b_alpha)
        return [np.asarray(math.exp(log_p0)), np.asarray(math.exp(x[0]))]

    return mcmc.CompiledModel(
        native=(*c_callbacks(), pack(bits, y, K, a_alpha, b_alpha)),
        ndim=K + t * K,
        logp_dlogp=logp_dlogp,
        expand_fn=expand,
        output_names=("p0", "alpha"),
        output_shapes=((), ()),
    )


@register
class LCMCR(Estimator):
    """Bayesian non-parametric latent class capture-recapture (Manrique-Vallier 2016)."""

    name: ClassVar[str] = "lcmcr"
    title: ClassVar[str] = "Bayesian latent-class model (LCMCR), posterior median and interval"
    family: ClassVar[str] = "bayesian"
    reference: ClassVar[str] = "Manrique-Vallier (2016) Biometrics 72; R package LCMCR"
    min_lists: ClassVar[int] = 3
    max_lists: ClassVar[int] = 12
    slow: ClassVar[bool] = True

    def check(self) -> None:
        K = self.settings.options.get("K", DEFAULT_K)
        if not isinstance(K, (int, np.integer)) or K < 2:
            raise ValueError(f"option K must be a whole number of classes, 2 or more; got {K!r}")

    def _fit(self) -> Fit:
        s = self.settings
        K = int(s.options.get("K", DEFAULT_K))
        compiled = compile_fast(full_counts(self.table), self.table.t, K)
        posterior = mcmc.sample_total(
            compiled,
            self.table.n,
            # Measured on UKdat, UKdat_5 and kosovo (benchmarks/bench_mcmc.py): with
            # the draws' variances as mass matrix and smaller steps, ESS of N per
            # draw rises from about 0.05-0.1 to 0.3-0.4, at about 250 leapfrog steps
            # per draw, and the first run passes the gate without divergences.
            sampler_settings(s, target_accept=0.95, grad_mass_matrix=False),
            gated=["p0"],
        )
        median, lower, upper = mcmc.equal_tailed(posterior.total, s.level)
        return Fit(
            estimate=median,
            lower=lower,
            upper=upper,
            interval="posterior",
            model=(f"latent classes K={K}",),
            warnings=posterior.warnings(),
            diagnostics={**posterior.diagnostics(), "K": K},
            draws=posterior.total.ravel(),
            idata=posterior.idata,
        )


def sampler_settings(
    settings: Any,
    target_accept: float = 0.9,
    low_rank: bool = False,
    grad_mass_matrix: bool = True,
) -> mcmc.SamplerSettings:
    """Sampler settings from the estimator :class:`~estimation.registry.Settings`.

    ``options`` may override ``target_accept``, ``pilots``, ``low_rank``,
    ``grad_mass_matrix`` and ``rerun`` (re-run once after a failed gate, default
    true); the keyword arguments are the method's defaults.
    """
    seed = settings.seed
    if seed is None:
        seed = int(np.random.default_rng().integers(2**31))
    options = settings.options
    return mcmc.SamplerSettings(
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        seed=int(seed),
        target_accept=float(options.get("target_accept", target_accept)),
        pilots=int(options.get("pilots", 4)),
        low_rank=bool(options.get("low_rank", low_rank)),
        grad_mass_matrix=bool(options.get("grad_mass_matrix", grad_mass_matrix)),
        rerun=bool(options.get("rerun", True)),
    )
