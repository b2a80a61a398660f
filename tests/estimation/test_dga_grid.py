"""dga: the grid where the posterior is narrow, the saturated graph, and the fit's clock.

Very large tables make the posterior of N narrower than the default grid's spacing;
the saturated graph leaves N to the prior; the first fit in a process must not be
timed with ArviZ's import.  (R dga's figures are checked in test_dga.py.)
"""

from __future__ import annotations

import numpy as np
import pytest

from estimation.bayes.dga_grid import adaptive_grid
from estimation.capture_table import CaptureTable
from estimation.registry import estimate


def _saturated_share(result) -> float:
    """Posterior probability of the complete graph from the top models, 0 if not among them."""
    for m in result.diagnostics["top_models"]:
        if "|" not in m["model"] and m["model"].count(",") == len(result.lists) - 1:
            return float(m["probability"])
    return 0.0


def test_weight_on_the_saturated_graph_is_flagged(reference_table):
    """Under the complete graph the data do not identify N (the all-lists interaction is
    free), so its share of the posterior comes from the prior: with delta = 2^-t it puts a
    spike at Nmissing = 0. On Korea it has 16% (lower bound = n, 123) and earns a warning;
    on UKdat_5 it has none and no warning. Above 5% the result warns."""
    korea = estimate(reference_table("Korea"), "dga", seed=1)
    assert _saturated_share(korea) == pytest.approx(0.158, abs=0.01)
    assert korea.lower == korea.observed
    assert any("saturated graph" in w and "16%" in w for w in korea.warnings)
    assert not korea.ok
    uk = estimate(reference_table("UKdat_5"), "dga", seed=1)
    assert _saturated_share(uk) < 0.05
    assert not uk.warnings


def test_hundredfold_table_warns_instead_of_reporting_nobody_missing(reference_table):
    """UKdat_5 with every count times 100: the saturated graph wins (the data now reject
    every simpler graph) and the posterior median is n itself. That must come with the
    saturated-graph warning, never as a silent 'nobody is missing'."""
    table = reference_table("UKdat_5")
    big = table.with_counts(table.counts * 100)
    res = estimate(big, "dga", seed=1)
    assert res.estimate == big.n
    assert any("saturated graph" in w for w in res.warnings)


def test_a_posterior_narrower_than_the_grid_spacing_is_refined():
    """Four lists, every cell 10^7: the lists are independent, so N is 16 x 10^7 (the
    independence model's N_hat = n * 16/15) with a profile interval of about +-7,000.
    The default grid's 0.1% spacing is 10,000 there; the refined grid must put the median
    within 500 of 1.6e8 and an interval of width 10,000 to 20,000 around it."""
    table = CaptureTable(("A", "B", "C", "D"), np.full(15, 10**7))
    res = estimate(table, "dga", seed=1)
    assert res.estimate == pytest.approx(1.6e8, abs=500)
    assert res.lower < res.estimate < res.upper
    assert 10_000 < res.upper - res.lower < 20_000
    assert res.diagnostics["grid"]["points"] > 20_000  # refined around the peak


def test_refine_grid_keeps_every_point_and_fills_heavy_spans():
    """refine_grid adds points only around points holding more than 1% of the mass, keeps
    all existing points, and leaves a fine enough grid alone (returns None)."""
    from estimation.bayes.dga_grid import refine_grid

    grid = adaptive_grid(10**7, start=10**6)
    prob = np.zeros(grid.nmissing.size)
    k = grid.nmissing.size // 2
    prob[k], prob[k + 1] = 0.7, 0.3
    finer = refine_grid(grid, prob)
    assert finer is not None and np.isin(grid.nmissing, finer.nmissing).all()
    lo, hi = grid.nmissing[k - 1], grid.nmissing[k + 2]
    span = finer.nmissing[(finer.nmissing >= lo) & (finer.nmissing <= hi)]
    assert np.diff(span).max() <= np.diff(grid.nmissing[k - 1 : k + 3]).max() / 1000 + 1
    assert refine_grid(grid, np.full(grid.nmissing.size, 1 / grid.nmissing.size)) is None


@pytest.mark.slow
def test_fit_clock_excludes_one_off_imports():
    """EstimateResult.seconds times ``_fit``: the first dga ``_fit`` in a fresh process
    imports nothing and enumerates no graphs (ArviZ, the graphs and the thread pool are
    prepared when the estimator is made). A subprocess, so that nothing is imported yet
    (slow: importing the library there takes seconds)."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys\n"
        "import numpy as np\n"
        "from estimation.capture_table import CaptureTable\n"
        "from estimation.bayes.dga import DGA\n"
        "from estimation.bayes import graphs\n"
        "est = DGA(CaptureTable(('A', 'B', 'C'), np.array([30, 20, 5, 10, 4, 3, 1])))\n"
        "assert 'arviz' in sys.modules\n"
        "before = set(sys.modules)\n"
        "misses = graphs.decomposable_graphs.cache_info().misses\n"
        "res = est._fit()\n"
        "new = sorted(set(sys.modules) - before)\n"
        "assert not new, new\n"
        "assert graphs.decomposable_graphs.cache_info().misses == misses\n"
        "assert res.idata is not None\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
