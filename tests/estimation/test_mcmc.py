"""The shared MCMC helpers: draws of N, the convergence gate, reproducible sampling."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest

from estimation.bayes import mcmc


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
