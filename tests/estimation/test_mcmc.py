"""The shared MCMC helpers: draws of N, the convergence gate, reproducible sampling."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest

from estimation.bayes import mcmc, nutpie_models


def _idata(draws: np.ndarray, diverging: int = 0):
    """InferenceData with variable ``N`` of shape (chain, draw) and ``diverging`` flags."""
    div = np.zeros(draws.shape, dtype=bool)
    div.flat[:diverging] = True
    return az.from_dict(posterior={"N": draws}, sample_stats={"diverging": div})


def test_draw_total_is_negative_binomial():
    """N - n ~ NegBin(n, 1 - p0) has mean n p0 / (1 - p0) (METHODS.md, Bayesian)."""
    p0 = np.full(200_000, 0.6)
    total = mcmc.draw_total(p0, 1000, seed=3)
    assert total.min() >= 1000
    assert total.mean() - 1000 == pytest.approx(1000 * 0.6 / 0.4, rel=0.005)
    assert np.array_equal(total, mcmc.draw_total(p0, 1000, seed=3))
    assert not np.array_equal(total, mcmc.draw_total(p0, 1000, seed=4))


def test_gate_passes_independent_draws():
    rng = np.random.default_rng(0)
    gate = mcmc.check(_idata(rng.normal(size=(2, 1000))), ["N"])
    assert gate.passed, gate.failures
    assert gate.rhat["N"] < 1.01 and gate.ess_bulk["N"] > 1000


def test_gate_fails_chains_that_disagree():
    """Two chains in different places: R-hat far above 1.01."""
    rng = np.random.default_rng(1)
    draws = rng.normal(size=(2, 1000)) + np.array([[0.0], [3.0]])
    gate = mcmc.check(_idata(draws), ["N"])
    assert not gate.passed
    assert any("R-hat" in f for f in gate.failures)


def test_gate_fails_sticky_chains_and_divergences():
    """A random walk has tiny ESS; one divergence alone fails the gate."""
    rng = np.random.default_rng(2)
    walk = np.cumsum(rng.normal(size=(2, 1000)), axis=1)
    assert any("effective sample size" in f for f in mcmc.check(_idata(walk), ["N"]).failures)
    gate = mcmc.check(_idata(rng.normal(size=(2, 1000)), diverging=1), ["N"])
    assert gate.failures == ("1 divergent transitions",)


def test_stronger_settings_double_the_work():
    s = mcmc.SamplerSettings(draws=500, tune=300, target_accept=0.8, seed=5)
    t = s.stronger()
    assert (t.draws, t.tune, t.target_accept) == (1000, 600, 0.95)
    assert t.seed != s.seed
    # A run already at 0.95 re-runs with smaller steps still.
    assert mcmc.SamplerSettings(target_accept=0.95).stronger().target_accept == 0.975


def test_equal_tailed_interval():
    med, lo, hi = mcmc.equal_tailed(np.arange(1, 1002, dtype=float), 0.9)
    assert (lo, med, hi) == pytest.approx((51.0, 501.0, 951.0))


def _normal_model():
    import pymc as pm

    with pm.Model() as model:
        mu = pm.Normal("mu", 3.0, 2.0)
        pm.Deterministic("p0", 0.5 + 0.0 * mu)  # a constant p0, so that N can be drawn
    return model


def test_sample_is_reproducible_and_right():
    """NUTS on Normal(3, 2): mean 3, sd 2 within Monte Carlo error; one seed, same draws."""
    compiled = mcmc.compile_model(_normal_model(), ["mu", "p0"])
    settings = mcmc.SamplerSettings(draws=1000, tune=300, seed=11, pilots=2)
    first, _ = mcmc.sample(compiled, settings)
    again, _ = mcmc.sample(compiled, settings)
    mu = first.posterior["mu"].values
    assert np.array_equal(mu, again.posterior["mu"].values)
    assert mu.mean() == pytest.approx(3.0, abs=0.25)
    assert mu.std() == pytest.approx(2.0, rel=0.1)
    post = mcmc.sample_total(compiled, 100, settings, gated=["mu"])
    assert post.gate.passed and not post.reran and post.warnings() == ()
    assert post.idata.posterior["N"].shape == (2, 1000)
    diag = post.diagnostics()
    for key in ("rhat", "ess_bulk", "ess_tail", "divergences", "reran", "sampler"):
        assert key in diag


def test_thinning_keeps_every_kth_draw_and_every_divergence():
    """thin_draws keeps the last draw of each block and flags it if any draw of the block
    diverged, so thinning cannot hide a divergence from the gate."""
    draws = np.arange(12, dtype=float).reshape(2, 6)
    div = np.zeros((2, 6), dtype=bool)
    div[0, 0] = True  # dropped draw, block 0 of chain 0
    div[1, 5] = True  # kept draw, block 2 of chain 1
    idata = az.from_dict(posterior={"N": draws}, sample_stats={"diverging": div})
    thinned = mcmc.thin_draws(idata, 2)
    assert thinned.posterior["N"].values.tolist() == [[1.0, 3.0, 5.0], [7.0, 9.0, 11.0]]
    assert thinned.sample_stats["diverging"].values.tolist() == [
        [True, False, False],
        [False, False, True],
    ]
    assert mcmc.check(thinned, ["N"]).divergences == 2
    assert mcmc.thin_draws(idata, 1) is idata


def _korea_lcmcr(reference_table):
    from estimation.bayes import lcmcr

    table = reference_table("Korea")
    return lcmcr.compile_fast(lcmcr.full_counts(table), table.t, 3), table.n


def _tiny(seed: int = 4) -> mcmc.SamplerSettings:
    return mcmc.SamplerSettings(draws=150, tune=150, seed=seed, pilots=0, rerun=False)


def test_fast_path_uses_numba_c_callbacks(reference_table):
    """With nutpie's private CompiledPyMCModel as expected, the C callbacks are used."""
    from nutpie.compile_pymc import CompiledPyMCModel

    compiled, _ = _korea_lcmcr(reference_table)
    model, path = nutpie_models.nutpie_model(compiled, lambda seed: np.zeros(compiled.ndim))
    assert path == nutpie_models.FAST_PATH
    assert isinstance(model, CompiledPyMCModel)
    idata, info = mcmc.sample(compiled, _tiny())
    assert info["log_density"] == nutpie_models.FAST_PATH
    assert idata.posterior["p0"].shape == (2, 150)


def test_fallback_when_private_nutpie_api_changes(monkeypatch, reference_table):
    """If CompiledPyMCModel refuses its fields (as a future nutpie may), sampling falls back
    to Python callbacks of the same density, says so, and gives the same chains: the two
    paths evaluate the same numbers at the same points from the same seed."""
    import nutpie.compile_pymc

    compiled, _ = _korea_lcmcr(reference_table)
    fast, _ = mcmc.sample(compiled, _tiny())

    class Changed:
        def __init__(self, **fields):
            raise TypeError("unexpected keyword argument 'compiled_logp_func'")

    monkeypatch.setattr(nutpie.compile_pymc, "CompiledPyMCModel", Changed)
    model, path = nutpie_models.nutpie_model(compiled, lambda seed: np.zeros(compiled.ndim))
    assert path.startswith(nutpie_models.FALLBACK) and "TypeError" in path
    slow, info = mcmc.sample(compiled, _tiny())
    assert info["log_density"].startswith(nutpie_models.FALLBACK)
    np.testing.assert_allclose(slow.posterior["p0"].values, fast.posterior["p0"].values, rtol=1e-9)
