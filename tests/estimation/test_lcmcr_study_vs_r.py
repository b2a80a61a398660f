"""lcmcr against R's LCMCR 0.4.11 on simulation-study tables (task h2).

The study (``darkfigure/study``) finds lcmcr about 40% low on ``uk-like`` and 28%
low on ``heterogeneity``.  R's LCMCR, run on the same tables, is just as low, so the
bias is the model's, not this implementation's.  Recipe, R call and the figures of
ten tables are in ``tests/estimation/reference/lcmcr_study_check.md``; in short, for
each table R ran four seeds of

    sampler <- lcmCR(captures = people, K = 10, a_alpha = 0.25, b_alpha = 0.25,
                     seed = s, buffer_size = 10000, thinning = 100,
                     in_list_label = "1", not_in_list_label = "0")
    N <- lcmCR_PostSampl(sampler, burnin = 10000, samples = 5000, thinning = 100)

(``tests/estimation/reference/lcmcr_long_runs.R`` with ``LCMCR_SEEDS=1:4``) and the
reference median is that of the 20,000 pooled draws.

The tables are redrawn here by the study's own code, exactly as
:func:`darkfigure.study.simulation.run_replicates` draws replicate 0 of the study
run with seed 1 (``rep_seed`` 1835504127 in
``benchmarks/results/study_reps/<scenario>/lcmcr.csv``), and lcmcr is fitted as the
study fits it (registry defaults, ``seed = rep_seed % 2**31``).
"""

from __future__ import annotations

import numpy as np
import pytest

from darkfigure.study.scenarios import scenario
from estimation.registry import Settings, get

pytestmark = pytest.mark.slow

#: ``rep_seed`` of replicate 0 of the study run with seed 1 (both scenarios).
REP0_SEED = 1_835_504_127

#: Relative tolerance on the posterior median.  R's four seeds agree to 0.1-0.8%
#: on these tables and lcmcr was within 1.2% of R on all ten tables checked, while
#: the true N (2,000) is 28-45% away, so 5% separates "same posterior" from "not".
TOLERANCE = 0.05


def _fit_rep0(name: str):
    table = scenario(name).draw(np.random.default_rng(REP0_SEED))
    return table, get("lcmcr")(table, Settings(seed=REP0_SEED % 2**31)).fit()


def test_uk_like_rep0_matches_r_lcmcr():
    """uk-like replicate 0 (n = 676, true N = 2,000): median within 5% of R's 1,105.

    R LCMCR 0.4.11, the call in the module docstring on ``uk-like_rep0.csv``
    (exported by ``benchmarks/export_study_tables.py``), seeds 1-4: medians
    1,102-1,111, pooled median 1,105, 95% interval 1,000-1,314.  lcmcr when
    checked: 1,107 [1,001, 1,294].  The bounds get 10% (lower) and 15% (upper).
    """
    table, res = _fit_rep0("uk-like")
    assert table.n == 676  # the study's recorded `observed` for this replicate
    assert res.estimate == pytest.approx(1_105, rel=TOLERANCE)
    assert res.lower == pytest.approx(1_000, rel=0.10)
    assert res.upper == pytest.approx(1_314, rel=0.15)


def test_heterogeneity_rep0_matches_r_lcmcr():
    """heterogeneity replicate 0 (n = 824, true N = 2,000): median within 5% of R's 1,379.

    R LCMCR 0.4.11, the same call on ``heterogeneity_rep0.csv``, seeds 1-4: medians
    1,376-1,382, pooled median 1,379, 95% interval 1,263-1,534.  lcmcr when
    checked: 1,377 [1,257, 1,524].  Bounds: 10% (lower), 15% (upper).
    """
    table, res = _fit_rep0("heterogeneity")
    assert table.n == 824
    assert res.estimate == pytest.approx(1_379, rel=TOLERANCE)
    assert res.lower == pytest.approx(1_263, rel=0.10)
    assert res.upper == pytest.approx(1_534, rel=0.15)
