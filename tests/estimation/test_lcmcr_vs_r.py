"""lcmcr against long runs of R's LCMCR 0.4.11 (issue 5).

The reference figures, the R script that made them and the R call are in
``tests/estimation/reference/lcmcr_long_runs.md`` and ``lcmcr_long_runs.R``:
R 4.2.2, LCMCR 0.4.11 built from the CRAN sources, for each table four seeds of

    sampler <- lcmCR(captures = people, K = 10, a_alpha = 0.25, b_alpha = 0.25,
                     seed = s, buffer_size = 10000, thinning = 100,
                     in_list_label = "1", not_in_list_label = "0")
    N <- lcmCR_PostSampl(sampler, burnin = 10000, samples = 5000, thinning = 100)

(510,500 Gibbs iterations a seed, 5,000 kept draws of N).  The reference median
is that of the 20,000 draws of the four seeds pooled.

Only tables on which R's seeds agree are tested.  On UKdat_5 and UKdat (6 lists)
the Gibbs sampler's seeds settle in two states whose medians differ by 7-11%
(about 21,000 against 22,400), and still do with 2,000,000 iterations a seed, so
there is no single R figure to hold lcmcr to there; the reference file records
them.
"""

from __future__ import annotations

import pytest

from estimation.registry import estimate

pytestmark = pytest.mark.slow

#: Relative tolerance on the posterior median (issue 5: "within 5% of a long LCMCR run").
TOLERANCE = 0.05


def test_kosovo_median_matches_long_lcmcr_run(reference_table):
    """kosovo: lcmcr's posterior median within 5% of long R LCMCR runs' 10,420.

    R: ``lcmCR(kosovo, K = 10, a_alpha = 0.25, b_alpha = 0.25, seed = s,
    buffer_size = 10000, thinning = 100)``, ``lcmCR_PostSampl(burnin = 10000,
    samples = 5000, thinning = 100)``, seeds 1-4: medians 10,396-10,466 (spread
    0.7%), pooled median 10,420, 95% interval 8,999-13,861.  lcmcr here: seed 1,
    registry defaults (2 chains x 1,000 kept draws).  Tolerance 5%; R's own
    seeds agree to 0.7%, so a 5% miss means a different posterior, not noise.
    """
    res = estimate(reference_table("kosovo"), "lcmcr", seed=1)
    assert not res.warnings, res.warnings
    assert res.estimate == pytest.approx(10_420, rel=TOLERANCE)
    # The intervals should overlap in substance too: R's 95% bounds are 8,999 and 13,861.
    assert res.lower == pytest.approx(8_999, rel=0.10)
    assert res.upper == pytest.approx(13_861, rel=0.15)


def test_western_median_matches_long_lcmcr_run(reference_table):
    """Western (5 lists): lcmcr's posterior median within 5% of long R LCMCR runs' 1,831.

    R: the same call as for kosovo on ``Western.csv``, seeds 1-4: medians
    1,823-1,837 (spread 0.8%), pooled median 1,831, 95% interval 1,309-3,008.
    lcmcr here: seed 1, registry defaults.  Tolerance 5% on the median; the
    upper bound is the least stable figure of both samplers, hence 15%.
    """
    res = estimate(reference_table("Western"), "lcmcr", seed=1)
    assert not res.warnings, res.warnings
    assert res.estimate == pytest.approx(1_831, rel=TOLERANCE)
    assert res.lower == pytest.approx(1_309, rel=0.10)
    assert res.upper == pytest.approx(3_008, rel=0.15)
