"""The LCMCR log density and gradient written by hand (numba): what the sampler runs.

The PyMC model in :mod:`estimation.bayes.lcmcr` is the readable specification
(and the tests' check of this code).  PyTensor's per-call overhead made each
gradient cost 70-150 us; this costs about 3 us on UK 6 lists (26 kept cells,
K = 10), which matters because NUTS spends almost all its time here.
Unconstrained vector ``x = [log alpha, log E_1..E_{K-1}, logit lam (t x K,
row-major)]``, the transforms PyMC uses, so the posterior is identical.

Where the time went, and what this version does about it (measured with a
numba loop over one UK 6-list point: 14 us before, see the commit message):

* one ``exp`` per ``lambda`` gives both ``log(1 - lambda)`` and ``lambda``;
* the loops over lists run over the set bits of each pattern with the classes
  innermost, not a branch per (pattern, class, list);
* a class whose joint log probability is more than :data:`NEGLIGIBLE` below
  the largest one for that pattern adds less than ``exp(-40) = 4e-18`` of the
  pattern's probability, under half a unit in the last place of the sum: its
  ``exp`` is skipped and its responsibility taken as 0.  With the sticks'
  geometric decay most of the K = 10 classes are in that state, so this
  removes most of the exponentials without changing the result beyond
  rounding.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

#: Log-ratio below which a class's share of a pattern's probability is dropped
#: (exp(-40) = 4e-18 < 2**-53 / 2: below rounding of a sum that is at least 1).
NEGLIGIBLE = 40.0


def lcmcr_logp_grad(
    x: np.ndarray, bits: np.ndarray, y: np.ndarray, K: int, a_alpha: float, b_alpha: float
) -> tuple[float, np.ndarray, float]:
    """Log posterior density (up to a constant), its gradient, and ``log p0``.

    Parameters
    ----------
    x
        The unconstrained point (layout in the module docstring).
    bits
        ``(m, t)`` 0/1 patterns kept: row 0 the empty one, then the observed
        cells with a positive count; empty cells add nothing to the conditional
        likelihood.
    y
        Counts of those patterns (``y[0] = 0``).
    K, a_alpha, b_alpha
        Number of classes and the Gamma prior of ``alpha``.

    Notes
    -----
    Plain Python here (slow, but it is what the gradient test reads); the
    sampler runs :func:`jitted`.
    """
    m, t = bits.shape
    n = 0.0
    for h in range(m):
        n += y[h]
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
            # softplus(v) = -log(1 - lam) and lam itself from one exponential.
            e = math.exp(-abs(v))
            sp = max(v, 0.0) + math.log1p(e)
            logp += v - 2.0 * sp  # Beta(1, 1) prior: log lam + log(1 - lam)
            base[k] -= sp
            lam[j, k] = 1.0 / (1.0 + e) if v >= 0.0 else e / (1.0 + e)
    # log p_h = logsumexp_k joint[h, k]; resp[h, k] the class responsibilities,
    # scaled by d(log likelihood)/d(log p_h).
    resp = np.zeros((m, K))
    z = np.empty(K)
    log_p0 = 0.0
    for h in range(m):
        for k in range(K):
            z[k] = base[k]
        for j in range(t):
            if bits[h, j]:
                row = off + j * K
                for k in range(K):
                    z[k] += x[row + k]
        top = z[0]
        for k in range(1, K):
            if z[k] > top:
                top = z[k]
        total = 0.0
        for k in range(K):
            if z[k] - top > -NEGLIGIBLE:
                r = math.exp(z[k] - top)
                resp[h, k] = r
                total += r
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
        scale = weight / total
        for k in range(K):
            resp[h, k] *= scale
    g = np.zeros(K)  # d/d log pi_k (and d/d sum_j log(1 - lam_jk))
    for h in range(m):
        for k in range(K):
            g[k] += resp[h, k]
    for j in range(t):
        row = off + j * K
        for k in range(K):
            grad[row + k] = -g[k] * lam[j, k] + 1.0 - 2.0 * lam[j, k]
    for h in range(m):
        for j in range(t):
            if bits[h, j]:
                row = off + j * K
                for k in range(K):
                    grad[row + k] += resp[h, k]
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
