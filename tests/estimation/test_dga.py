"""dga: model averaging over decomposable graphs (Madigan and York 1997; R dga ``bma.cr``)."""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np
import pytest
from scipy.special import gammaln

from estimation.bayes.dga import DGA, sample_N
from estimation.bayes.dga_grid import adaptive_grid, explicit_grid, integer_grid
from estimation.bayes.dga_posterior import bma_posterior
from estimation.bayes.graphs import decomposable_graphs
from estimation.capture_table import CaptureTable, CaptureTableError
from estimation.registry import Settings, available, estimate


def _members(mask: int) -> list[int]:
    return [j for j in range(mask.bit_length()) if mask >> j & 1]


# ------------------------------------------------------------------ graphs
@pytest.mark.parametrize(("t", "count"), [(1, 1), (2, 2), (3, 8), (4, 61), (5, 822), (6, 18154)])
def test_decomposable_graph_counts(t, count):
    """Labelled chordal graphs: 1, 2, 8, 61, 822, 18154 (OEIS A058862); R dga ships
    8, 61 and 822 of them as data(graphs3), data(graphs4), data(graphs5). Exact."""
    assert len(decomposable_graphs(t)) == count


def test_the_non_decomposable_graphs_on_four_lists_are_the_three_four_cycles():
    """Of the 64 graphs on 4 vertices exactly the 3 chordless 4-cycles are not chordal."""
    kept = {g.edges for g in decomposable_graphs(4)}
    pairs = list(combinations(range(4), 2))
    dropped = []
    for code in range(64):
        edges = tuple(p for k, p in enumerate(pairs) if code >> k & 1)
        if edges not in kept:
            dropped.append(edges)
    assert len(dropped) == 3
    for edges in dropped:
        degree = np.bincount(np.ravel(edges), minlength=4)
        assert len(edges) == 4 and np.all(degree == 2)


def _brute_cliques(t: int, edges) -> list[int]:
    adj = {frozenset(e) for e in edges}
    complete = [
        s for s in range(1, 2**t) if all(frozenset(p) in adj for p in combinations(_members(s), 2))
    ]
    return sorted(s for s in complete if not any(s != o and s & o == s for o in complete))


def _brute_separators(cliques: list[int]) -> list[int]:
    """Separators of a junction tree: a maximum spanning tree of the clique graph (Kruskal)."""
    pairs = sorted(
        combinations(range(len(cliques)), 2),
        key=lambda p: -bin(cliques[p[0]] & cliques[p[1]]).count("1"),
    )
    root = list(range(len(cliques)))

    def find(i: int) -> int:
        while root[i] != i:
            i = root[i]
        return i

    seps = []
    for i, j in pairs:
        if find(i) != find(j):
            root[find(i)] = find(j)
            if cliques[i] & cliques[j]:
                seps.append(cliques[i] & cliques[j])
    return sorted(seps)


@pytest.mark.parametrize("t", [3, 4, 5])
def test_cliques_and_separators_match_brute_force(t):
    """Cliques are the maximal complete sets; separators those of a maximum-weight
    junction tree; every graph's cliques cover its edges and satisfy sum|C| - sum|S| = t."""
    for g in decomposable_graphs(t):
        assert sorted(g.cliques) == _brute_cliques(t, g.edges)
        assert sorted(g.separators) == _brute_separators(list(g.cliques))
        size = sum(bin(c).count("1") for c in g.cliques)
        assert size - sum(bin(s).count("1") for s in g.separators) == t


def test_graph_labels_name_cliques_by_list():
    """Labels list cliques as members joined by ',' and cliques by '|'."""
    graphs = decomposable_graphs(3)
    assert graphs[0].label(["A", "B", "C"]) == "A|B|C"
    assert graphs[-1].label(["A", "B", "C"]) == "A,B,C"


# ------------------------------------------------------ marginal likelihood
def _brute_log_ml(counts, t, nmissing, delta, cliques, separators) -> float:
    """Hyper-Dirichlet log marginal likelihood from explicit marginal arrays."""
    full = np.r_[nmissing, counts].astype(float)
    arr = full.reshape((2,) * t)  # C order: axis k is list t - 1 - k
    total = full.sum()

    def log_dirmult(v: int) -> float:
        inside = _members(v)
        axes = tuple(t - 1 - j for j in range(t) if j not in inside)
        m = arr.sum(axis=axes).ravel()
        d = delta * 2.0 ** (t - len(inside))
        return float(
            gammaln(d * m.size)
            - gammaln(total + d * m.size)
            + gammaln(m + d).sum()
            - m.size * gammaln(d)
        )

    return sum(log_dirmult(c) for c in cliques) - sum(log_dirmult(s) for s in separators)


@pytest.mark.parametrize("nmissing", [0, 37, 5000])
def test_graph_posterior_matches_explicit_marginal_likelihoods(reference_table, nmissing):
    """On a one-point grid the graph posterior is the softmax of each graph's
    hyper-Dirichlet marginal likelihood (Madigan and York 1997, eq. for decomposable
    models), computed here from explicit marginal tables. Tolerance 1e-9."""
    table = reference_table("Western")
    delta = 2.0**-5
    post = bma_posterior(table.counts, 5, np.array([nmissing]), delta, np.zeros(1))
    brute = np.array(
        [
            _brute_log_ml(table.counts, 5, nmissing, delta, g.cliques, g.separators)
            for g in post.graphs
        ]
    )
    expected = np.exp(brute - brute.max())
    np.testing.assert_allclose(post.model_prob, expected / expected.sum(), rtol=1e-9, atol=1e-15)


def test_a_peak_between_the_first_look_points_is_summed_without_overflow(reference_table):
    """The scale comes from a look at every 64th grid point; a prior spike of e^1000 at a
    point between them must still give a finite posterior concentrated there, the same
    with one thread or two."""
    table = reference_table("Western")
    nmissing = np.arange(3000)
    log_prior = np.zeros(nmissing.size)
    log_prior[1500 + 5] = 1000.0
    one = bma_posterior(table.counts, 5, nmissing, 1 / 32, log_prior, cores=1)
    two = bma_posterior(table.counts, 5, nmissing, 1 / 32, log_prior, cores=2)
    assert np.all(np.isfinite(one.prob)) and one.prob[1505] == pytest.approx(1.0)
    np.testing.assert_array_equal(one.prob, two.prob)
    np.testing.assert_array_equal(one.model_prob, two.model_prob)


# ------------------------------------------------------------- R dga figures
def test_uk_five_lists_matches_r_dga(reference_table):
    """R: dga::bma.cr(Y, Nmissing = 0:27440, delta = 2^-5, graphs5) on UKdat_5 (prior 1/N):
    posterior median 22,365 and 95% [10,343, 29,446] (figures of the brief, issue 5).
    Tolerance 0.2% (the brief allows 2%)."""
    res = estimate(reference_table("UKdat_5"), "dga", seed=1, options={"Nmissing_max": 27440})
    assert res.estimate == pytest.approx(22365, rel=0.002)
    assert res.lower == pytest.approx(10343, rel=0.002)
    assert res.upper == pytest.approx(29446, rel=0.002)
    assert res.interval == "posterior" and res.existence == "not-applicable"
    assert any("truncates" in w for w in res.warnings)  # 8% of the mass lies beyond the grid


def test_western_matches_r_dga(reference_table):
    """R: dga::bma.cr(Y, Nmissing = 0:3450, delta = 2^-5, graphs5) on Western (prior 1/N):
    posterior median 2,113 and 95% [1,339, 3,420]. Tolerance 0.2% (the brief allows 2%)."""
    res = estimate(reference_table("Western"), "dga", seed=1, options={"Nmissing_max": 3450})
    assert res.estimate == pytest.approx(2113, rel=0.002)
    assert res.lower == pytest.approx(1339, rel=0.002)
    assert res.upper == pytest.approx(3420, rel=0.002)


def test_madigan_york_three_lists_as_dga_testthat(reference_table):
    """HRDAG/DGA tests/testthat/test-BMAfunctions.R, "3 lists example against Madigan and
    York": Y = dga_MY3, delta = 1, Nmissing = 1:300, negative-binomial prior (a = 13.14,
    b = 55.17). Top model posterior 0.37 (2 d.p.), its Bayes estimator 731 and mode 729;
    averaged Bayes estimator 731 and mode 728. Exact to the rounding R applies."""
    table = reference_table("dga_MY3")
    nmissing = np.arange(1, 301)
    N = nmissing + table.n
    a, b = 13.14, 55.17
    log_prior = (
        N * np.log(b) - (N + a) * np.log(1 + b) + gammaln(N + a) - gammaln(N + 1) - gammaln(a)
    )
    post = bma_posterior(table.counts, 3, nmissing, 1.0, log_prior)
    g = int(np.argmax(post.model_prob))
    top = post.conditional(g) * post.model_prob[g]
    assert round(post.model_prob[g], 2) == 0.37
    # Bayes estimator under relative squared error loss: E[1/N] / E[1/N^2]
    assert round(np.mean(top / N) / np.mean(top / N**2)) == 731
    assert N[np.argmax(top)] == 729
    assert round(np.mean(post.prob / N) / np.mean(post.prob / N**2)) == 731
    assert N[np.argmax(post.prob)] == 728


# ------------------------------------------------------------ grids and draws
def test_default_grid_reaches_negligible_tail_and_agrees_with_integer_grid(reference_table):
    """The default grid (integers, then 0.1% spacing with quadrature weights) gives the same
    median and interval as the exact integer grid to the same bound. Tolerance 0.2%."""
    table = reference_table("UKdat_5")
    default = estimate(table, "dga", seed=1)
    grid = default.diagnostics["grid"]
    assert grid["kind"] == "adaptive" and grid["tail_mass_beyond"] < 1e-6
    assert not default.warnings
    exact = estimate(table, "dga", seed=1, options={"Nmissing_max": grid["Nmissing_max"]})
    for field in ("estimate", "lower", "upper"):
        assert getattr(default, field) == pytest.approx(getattr(exact, field), rel=0.002)


def test_default_grid_leaves_off_only_negligible_mass_at_its_lower_end(reference_table):
    """On dga_MY5 the posterior sits far above Nmissing = 0 (R dga's example: N about 620),
    so the default grid starts above 0 leaving off less than 1e-9 of the mass."""
    res = estimate(reference_table("dga_MY5"), "dga", seed=1)
    grid = res.diagnostics["grid"]
    assert grid["Nmissing_min"] > 0 and grid["mass_left_below"] < 1e-9


def test_improper_posterior_is_flagged(reference_table):
    """With a flat prior on N the saturated graph's posterior of N falls off only like
    N^(delta - 2^t delta) = N^-0.875 on 3 lists: not summable, so the default grid hits its
    end and the result says that the estimate depends on it."""
    res = estimate(reference_table("Korea"), "dga", seed=1, options={"prior": "uniform"})
    assert any("does not die away" in w for w in res.warnings)
    default = estimate(reference_table("Korea"), "dga", seed=1)
    assert not any("does not die away" in w for w in default.warnings)


def test_lists_order_does_not_matter(reference_table):
    """Averaging over all graphs is invariant to relabelling the lists. Tolerance 1e-9."""
    table = reference_table("Western")
    settings = Settings(seed=3, options={"Nmissing_max": 2000})
    one = DGA(table, settings).fit()
    other = DGA(table.reorder(["E", "C", "A", "D", "B"]), settings).fit()
    assert (one.estimate, one.lower, one.upper) == (other.estimate, other.lower, other.upper)
    p1 = {m["probability"] for m in one.diagnostics["top_models"]}
    p2 = {m["probability"] for m in other.diagnostics["top_models"]}
    np.testing.assert_allclose(sorted(p1), sorted(p2), rtol=1e-9)


def test_draws_are_reproducible_and_follow_the_posterior(reference_table):
    """Same seed, same draws; two seeds give medians within 2% of each other and of the
    exact posterior median (DESIGN.md section 3: reproducible Bayesian results)."""
    table = reference_table("kosovo")
    a = estimate(table, "dga", seed=11)
    b = estimate(table, "dga", seed=11)
    c = estimate(table, "dga", seed=12)
    assert a.draws is not None and b.draws is not None and c.draws is not None
    np.testing.assert_array_equal(a.draws, b.draws)
    assert a.draws.size == 4000 and a.draws.dtype == np.int64 and a.draws.min() >= table.n
    assert np.median(a.draws) == pytest.approx(a.estimate, rel=0.02)
    assert np.median(c.draws) == pytest.approx(np.median(a.draws), rel=0.02)
    assert not np.array_equal(a.draws, c.draws)
    posterior = a.idata.posterior
    assert posterior["N"].shape == (1, 4000)
    np.testing.assert_array_equal(posterior["N"].values.ravel(), a.draws)


def test_draws_spread_over_the_integers_a_wide_grid_point_stands_for(reference_table):
    """On a non-unit grid each draw lands in its point's cell, so draws are not confined to
    the grid points; on an integer grid they are exactly grid points."""
    table = reference_table("UKdat_5")
    grid = adaptive_grid(200_000)
    post = bma_posterior(table.counts, 5, grid.nmissing, 1 / 32, -np.log(table.n + grid.nmissing))
    draws = sample_N(post, grid, 2000, seed=1) - table.n
    assert not np.isin(draws, grid.nmissing).all()
    unit = integer_grid(300)
    post = bma_posterior(table.counts, 5, unit.nmissing, 1 / 32, np.zeros(301))
    assert np.isin(sample_N(post, unit, 500, seed=1) - table.n, unit.nmissing).all()


def test_top_models_are_ranked_with_conditional_medians(reference_table):
    """diagnostics['top_models']: most probable graphs first, each with its conditional
    median inside its own interval; on UKdat_5 the top graph is LA,NG,PFNCA|NG,GP|PFNCA,GO
    (R: rowSums(bma.cr(...)) ranks it first with 0.44 on the 0:27440 grid). Tolerance 0.005."""
    res = estimate(reference_table("UKdat_5"), "dga", options={"Nmissing_max": 27440, "top": 3})
    top = res.diagnostics["top_models"]
    assert len(top) == 3
    assert top[0]["model"] == "LA,NG,PFNCA|NG,GP|PFNCA,GO"
    assert top[0]["probability"] == pytest.approx(0.44, abs=0.005)
    assert [m["probability"] for m in top] == sorted((m["probability"] for m in top), reverse=True)
    for m in top:
        assert m["lower"] <= m["median"] <= m["upper"]


def test_uniform_prior_puts_more_mass_on_large_N(reference_table):
    """A flat prior on N instead of 1/N moves the posterior up (Madigan and York 1997)."""
    table = reference_table("Western")
    inv = estimate(table, "dga", options={"Nmissing_max": 3450})
    flat = estimate(table, "dga", options={"Nmissing_max": 3450, "prior": "uniform"})
    assert flat.estimate > inv.estimate and flat.upper >= inv.upper


def test_six_lists_run(reference_table):
    """Six lists (18,154 graphs) on a coarse explicit grid: a result inside the grid."""
    table = reference_table("UKdat")
    res = estimate(table, "dga", seed=1, options={"grid": list(range(0, 60000, 100))})
    assert res.diagnostics["graphs"] == 18154
    assert table.n <= res.lower < res.estimate < res.upper <= table.n + 60000


# ------------------------------------------------------------------ options
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"Nmisssing_max": 10}, "unknown dga option"),
        ({"delta": 0}, "delta"),
        ({"delta": "x"}, "delta"),
        ({"prior": "jeffreys"}, "prior"),
        ({"Nmissing_max": -1}, "Nmissing_max"),
        ({"Nmissing_max": 2.5}, "Nmissing_max"),
        ({"Nmissing_max": 10**8}, "supported"),
        ({"grid": [3, -1]}, "grid"),
        ({"grid": [1, 2], "Nmissing_max": 3}, "either"),
        ({"tail": 2}, "tail"),
        ({"n_draws": 0}, "n_draws"),
    ],
)
def test_bad_options_are_plain_value_errors(reference_table, options, message):
    """A bad option is a ValueError (the CLI shows it plainly) that names the option."""
    with pytest.raises(ValueError, match=message):
        DGA(reference_table("Korea"), Settings(options=options))


def test_list_limits():
    """dga takes 3 to 6 lists."""
    assert available()["dga"].family == "bayesian"
    two = CaptureTable(("A", "B"), np.array([5, 6, 2]))
    with pytest.raises(CaptureTableError, match="3 to 6 lists"):
        DGA(two)


def test_explicit_grid_is_sorted_and_deduplicated():
    """An explicit grid is used as given, sorted, each point a point mass."""
    grid = explicit_grid([5, 1, 5, 3])
    assert grid.nmissing.tolist() == [1, 3, 5] and grid.weight.tolist() == [1, 1, 1]


def test_cli_estimate_dga_json(capsys, reference_file):
    """`darkfigure estimate --method dga --option Nmissing_max=3450 --json` on Western:
    the R dga median 2,113 (see test_western_matches_r_dga). Tolerance 0.2%."""
    from darkfigure.cli import main

    code = main(
        [
            "estimate",
            str(reference_file("Western")),
            "--method",
            "dga",
            "--option",
            "Nmissing_max=3450",
            "--seed",
            "1",
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["method"] == "dga" and out["estimate"] == pytest.approx(2113, rel=0.002)
    assert out["diagnostics"]["top_models"][0]["model"] == "A,B|A,E|C|D,E"
