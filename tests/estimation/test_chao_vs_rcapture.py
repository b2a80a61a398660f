"""Closed-population fits and Chao profile intervals against Rcapture 1.4-4, run in R 4.2.2.

The figures are constants from one R run (2026-12-07; R is not read at test time): Rcapture
1.4-4 built from its CRAN sources (each file checked against CRAN's MD5), the scripts and
the full output in tests/estimation/reference/rcapture_chao_check.md.  ``X`` is the table's
CSV as Rcapture's frequency format (one row per observed pattern, last column the count).

Where we differ from Rcapture the test pins the reason, not Rcapture's figure:
- standard errors: Rcapture's are from glm at its default convergence (epsilon 1e-8); they
  move to ours when glm is converged tightly, so those are the constants;
- profile bounds: Rcapture's correction term (Cormack 1992) is Stirling's formula without its
  1/(12 n) terms; with the exact term (lgamma) R gives our bounds to 1e-8;
- NewOrl Chao: Rcapture keeps eta8, a parameter on a cell nobody is in, because glm stops
  at eta8 = +1.2 on its way to minus infinity; we set it to zero (one parameter fewer).
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from estimation.capture_table import CaptureTable, pattern_matrix
from estimation.registry import Settings, available
from estimation.result import EstimateResult
from estimation.table_io import read_capture_table

REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "capture-tables"

TABLES = ("NewOrl", "HIV", "Ned", "UKdat_5")
CLOSED = (
    "M0", "Mt", "Mh-chao", "Mh-poisson2", "Mh-darroch", "Mh-gamma3.5",
    "Mth-chao", "Mth-poisson2", "Mth-darroch", "Mth-gamma3.5",
)  # fmt: skip

#: ``closedp.t(X, dfreq=TRUE)``, rows M0 .. Mth Gamma3.5: (abundance, deviance).
CLOSEDP = {
    "NewOrl": (
        (1115.8266946, 181.494533), (996.6642934, 41.291735), (1343.3197764, 179.384188),
        (1214.1519537, 181.129714), (2699.7962689, 180.030267), (5511.0163150, 179.810148),
        (1206.2958648, 38.826699), (1090.9524587, 40.853459), (2660.2361064, 39.517164),
        (5893.9509966, 39.272040),
    ),
    "HIV": (
        (11576.7001464, 297.819168), (11124.5784692, 13.026137), (12145.1478381, 295.363364),
        (15070.9662274, 295.939234), (20984.6302138, 295.620045), (29202.3128575, 295.536748),
        (11700.9882959, 10.157495), (14849.7629011, 10.778586), (21327.4604667, 10.426076),
        (30623.1533704, 10.336998),
    ),
    "Ned": (
        (67871.9439848, 8073.414097), (52823.4639331, 448.879649), (69436.5550248, 8071.309488),
        (77340.3229029, 8072.036305), (93024.1229247, 8071.651329), (111036.5558407, 8071.548202),
        (54367.7490280, 444.881253), (62919.2164999, 446.038015), (82227.7333883, 445.358179),
        (105470.2816518, 445.205872),
    ),
    "UKdat_5": (
        (14832.2160195, 1459.139053), (13444.1312090, 118.531629), (14962.7541371, 1457.441142),
        (15131.3932238, 1459.120463), (14299.9488112, 1459.123951), (13540.0870625, 1459.096889),
        (13570.0268009, 116.073358), (14572.4480457, 118.228438), (14649.6601851, 118.450295),
        (14715.3774646, 118.491850),
    ),
}  # fmt: skip

#: Standard errors in the order of CLOSED, from glm converged tightly:
#: ``closedp.t(X, dfreq=TRUE, control=glm.control(epsilon=1e-14, maxit=100))`` for M0, Mt and
#: the tau models; for Chao, glm with the same control on the design Rcapture's ``Chao.neg``
#: ended with (``Chao.neg`` refits without passing ``control`` on; diagnose_se.R in the .md).
SE_CONVERGED = {
    "NewOrl": (269.1693606, 236.9886022, 388.5603291, 309.3908752, 1666.5770210, 6184.3646894,
               344.0677101, 274.1814599, 1627.1767135, 6697.3116024),
    "HIV": (946.0681193, 904.7530470, 1076.2483508, 2972.166387, 8266.494825, 17511.621360,
            1030.9155518, 2915.127269, 8428.433663, 18463.145690),
    "Ned": (3042.567270, 2316.462679, 3318.430194, 8475.895394, 21778.830447, 39354.245166,
            2532.970397, 5800.324530, 18938.788131, 37219.641586),
    "UKdat_5": (903.1248600, 806.9297662, 919.0684023, 2389.081528, 4345.509278, 6054.590185,
                821.2919303, 2263.099459, 4489.033712, 6737.258299),
}  # fmt: skip

#: ``closedpCI.t(X, dfreq=TRUE, m=M, h="Chao")``: CI row (abundance, infCL, supCL).
CLOSEDPCI = {
    ("NewOrl", "Mh-chao"): (1334.3386138, 800.8521737, 2511.1470204),
    ("NewOrl", "Mth-chao"): (1197.4018661, 725.6201791, 2239.4231869),
    ("HIV", "Mh-chao"): (12136.3259622, 10263.2004516, 14530.1235477),
    ("HIV", "Mth-chao"): (11692.2058963, 9898.0658826, 13985.1490642),
    ("Ned", "Mh-chao"): (69425.8891005, 63321.2198452, 76370.9164083),
    ("Ned", "Mth-chao"): (54357.2171872, 49698.1373995, 59658.5982467),
    ("UKdat_5", "Mh-chao"): (14956.4154591, 13302.2594477, 16925.4883905),
    ("UKdat_5", "Mth-chao"): (13563.7272215, 12085.7597245, 15323.3747589),
}

#: ``profile_exact(X, m)`` of the .md: Rcapture's ``loglikemult`` with the exact correction
#: term, optimize/uniroot tol 1e-10, glm epsilon 1e-14: (maximum, lower, upper).
EXACT_PROFILE = {
    ("NewOrl", "Mh-chao"): (1334.341158, 800.8541841, 2511.150352),
    ("NewOrl", "Mth-chao"): (1197.404612, 725.6224148, 2239.426972),
    ("HIV", "Mh-chao"): (12136.32609, 10263.20069, 14530.12384),
    ("HIV", "Mth-chao"): (11692.20731, 9898.066134, 13985.14937),
    ("Ned", "Mh-chao"): (69425.88186, 63321.21989, 76370.91646),
    ("Ned", "Mth-chao"): (54357.21811, 49698.13747, 59658.59832),
    ("UKdat_5", "Mh-chao"): (14956.41532, 13302.25960, 16925.48856),
    ("UKdat_5", "Mth-chao"): (13563.72850, 12085.75989, 15323.37494),
    ("nobody12", "Mh-chao"): (373.3586190, 373.0, 375.8657267),
    ("nobody12", "Mth-chao"): (373.3559662, 373.0, 375.8602872),
}


def nobody_caught_once_or_twice() -> CaptureTable:
    """The 8-list table of test_robustness.py (n = 373), written out as nobody12.csv for R."""
    f = pattern_matrix(8).sum(axis=1)
    counts = np.where((f >= 3) & (f <= 6), np.random.default_rng(5).poisson(2, f.size), 0)
    return CaptureTable(tuple(f"L{j}" for j in range(8)), counts.astype(float))


@cache
def fit(table: str, method: str, interval: str) -> EstimateResult:
    """Fit ``method`` on a reference table (or ``nobody12``), cached across tests."""
    data = (
        nobody_caught_once_or_twice()
        if table == "nobody12"
        else read_capture_table(REFERENCE / f"{table}.csv")
    )
    return available()[method](data, Settings(interval=interval)).fit()


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("index", range(len(CLOSED)), ids=CLOSED)
def test_closedp_abundance_and_deviance(table, index):
    """Rcapture ``closedp.t(X, dfreq=TRUE)``: abundance to 0.05 and deviance to 0.0005, half
    a unit in the last digit Rcapture prints (1 and 3 decimals)."""
    n_r, deviance_r = CLOSEDP[table][index]
    result = fit(table, CLOSED[index], "none")
    assert result.estimate == pytest.approx(n_r, abs=0.05)
    assert result.diagnostics["deviance"] == pytest.approx(deviance_r, abs=0.0005)


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("index", range(len(CLOSED)), ids=CLOSED)
def test_stderr_against_converged_glm(table, index):
    """Standard error against R's glm converged tightly (SE_CONVERGED gives the R calls), to
    0.05 (Rcapture prints one decimal).  At glm's default convergence Rcapture's are up to
    1.03 lower (Ned Mh Poisson2: 8,474.9, converged 8,475.9) while the abundance agrees to 1e-8."""
    result = fit(table, CLOSED[index], "none")
    assert result.diagnostics["se"] == pytest.approx(SE_CONVERGED[table][index], abs=0.05)


@pytest.mark.parametrize(("table", "method"), sorted(CLOSEDPCI))
def test_chao_profile_interval_as_rcapture_prints(table, method):
    """Rcapture ``closedpCI.t(X, dfreq=TRUE, m="Mh" or "Mth", h="Chao")``: the multinomial
    abundance and the 95% profile bounds to 0.05 (Rcapture prints one decimal), against R's
    unrounded figures.  NewOrl Mh Chao's upper bound is 2,511.147 in Rcapture and 2,511.150
    here, so the printed figures round differently (2,511.1 and 2,511.2)."""
    top, lower, upper = CLOSEDPCI[(table, method)]
    result = fit(table, method, "profile")
    assert result.diagnostics["profile_estimate"] == pytest.approx(top, abs=0.05)
    assert result.lower == pytest.approx(lower, abs=0.05)
    assert result.upper == pytest.approx(upper, abs=0.05)


@pytest.mark.parametrize(("table", "method"), sorted(EXACT_PROFILE))
def test_chao_profile_matches_r_with_the_exact_correction_term(table, method):
    """``profile_exact(X, m)`` (rcapture_chao_check.md): Rcapture's profile with the exact
    log(n0^n0 (N)! / (N^N n0!)) and tight tolerances.  Relative 1e-6: every difference from
    Rcapture's own bounds (up to 0.004) is its Stirling approximation and tolerances.  On the
    nobody-caught-once-or-twice table Rcapture's term diverges as N -> n (the 0.5 log(n0)
    of Stirling's formula), so its interval collapses to [373.0001, 373.0030]; the exact term
    gives [n, 375.87] with the maximum at 373.36, as here."""
    top, lower, upper = EXACT_PROFILE[(table, method)]
    result = fit(table, method, "profile")
    assert result.diagnostics["profile_estimate"] == pytest.approx(top, rel=1e-6)
    assert result.lower == pytest.approx(lower, rel=1e-6)
    assert result.upper == pytest.approx(upper, rel=1e-6)


@pytest.mark.parametrize(("chao", "plain", "n_r"), [
    ("Mh-chao", "M0", 373.9128218), ("Mth-chao", "Mt", 373.9102542),
])  # fmt: skip
def test_chao_rule_drops_every_eta_as_rcapture(chao, plain, n_r):
    """Nobody caught once or twice (8 lists): Rcapture ``closedp.t(X, dfreq=TRUE)`` sets
    eta3 .. eta8 to zero in both Chao models (``neg.eta``), so Mh Chao prints as M0
    (373.9128218, deviance 381.118397) and Mth Chao as Mt (373.9102542, 379.274002).
    Abundance to 0.05, and equal to the plain model's to 1e-9."""
    with_rule = fit("nobody12", chao, "none")
    without = fit("nobody12", plain, "none")
    assert with_rule.observed == 373
    assert with_rule.diagnostics["set_to_zero"] == [f"eta{j}" for j in range(3, 9)]
    assert with_rule.estimate == pytest.approx(n_r, abs=0.05)
    assert with_rule.estimate == pytest.approx(without.estimate, rel=1e-9)


@pytest.mark.parametrize(("method", "df_r", "aic_r", "bic_r"), [
    ("Mh-chao", 251, 246.446312, 259.327736), ("Mth-chao", 244, 119.888824, 155.312738),
])  # fmt: skip
def test_neworleans_chao_has_one_parameter_fewer_than_rcapture(method, df_r, aic_r, bic_r):
    """NewOrl (n = 185, nobody on more than 3 lists), Rcapture ``closedp.t(X, dfreq=TRUE)``:
    Chao.neg keeps eta8 = +1.21 (Mth +1.63), a parameter on the empty 8-list cell that glm
    leaves on its way to minus infinity (-2.8, -7.8, -11.8 at epsilon 1e-10, 1e-12, 1e-14).
    We set it to zero: same deviance, df one more, AIC 2 less, BIC log(185) less (to 0.0005)."""
    result = fit("NewOrl", method, "none")
    assert "eta8" in result.diagnostics["set_to_zero"]
    assert result.diagnostics["df"] == df_r + 1
    assert result.diagnostics["AIC"] == pytest.approx(aic_r - 2, abs=0.0005)
    assert result.diagnostics["BIC"] == pytest.approx(bic_r - math.log(185), abs=0.0005)
