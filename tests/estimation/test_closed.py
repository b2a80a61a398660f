"""Rcapture's closed-population models (estimation.closed) against Rcapture's figures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from estimation.capture_table import CaptureTable, CaptureTableError, pattern_matrix
from estimation.closed.designs import ClosedDesign, captures, closed_design, heterogeneity_columns
from estimation.closed.fit import closedp_table, fit_closed, mle_face
from estimation.registry import available, estimate, get

CLOSED = [
    "M0", "Mt",
    "Mh-chao", "Mh-poisson2", "Mh-darroch", "Mh-gamma3.5",
    "Mth-chao", "Mth-poisson2", "Mth-darroch", "Mth-gamma3.5",
]  # fmt: skip

#: Rcapture ``closedp.t(hare)`` as printed in Rcapture's tests/Examples/Rcapture-Ex.Rout.save
#: (Baillargeon and Rivest 2007, section 3.1): abundance, stderr, deviance, df, AIC.
HARE_CLOSEDP = {
    "M0": (75.4, 3.5, 68.516, 61, 154.707),
    "Mt": (75.1, 3.4, 58.314, 56, 154.505),
    "Mh-chao": (79.8, 6.4, 58.023, 58, 150.214),
    "Mh-poisson2": (81.5, 5.7, 59.107, 60, 147.298),
    "Mh-darroch": (90.4, 11.6, 61.600, 60, 149.791),
    "Mh-gamma3.5": (100.6, 21.7, 62.771, 60, 150.961),
    "Mth-chao": (79.6, 6.3, 47.115, 52, 151.305),
    "Mth-poisson2": (81.1, 5.6, 48.137, 55, 146.327),
    "Mth-darroch": (90.5, 11.7, 50.706, 55, 148.896),
    "Mth-gamma3.5": (101.6, 22.4, 51.956, 55, 150.147),
}


def rcapture_table(t: int, counts: list[int]) -> CaptureTable:
    """A table given in Rcapture's ``histpos.t(t)`` order (111..1 first, c1 the high bit)."""
    codes = np.arange(2**t - 1, 0, -1)
    hist = (codes[:, None] >> np.arange(t - 1, -1, -1)) & 1
    return CaptureTable.from_patterns([f"c{j + 1}" for j in range(t)], hist, counts)


def test_all_closed_models_registered():
    """The ten closed-population models are registered in their family."""
    registry = available()
    for name in CLOSED:
        assert name in registry
        assert registry[name].family == "closed-population"


@pytest.mark.parametrize("name", CLOSED)
def test_hare_closedp_table(reference_table, name):
    """Rcapture ``closedp.t(hare)`` (Rcapture-Ex.Rout.save; Baillargeon and Rivest 2007 p. 8).

    Tolerance: half a unit in the last printed digit (abundance and stderr to 0.05,
    deviance and AIC to 0.0005), df exact.  BIC = AIC + (log n - 2) rank, as Rcapture
    ``closedp.fitone`` computes it.
    """
    hare = reference_table("hare")
    result = estimate(hare, name, interval="none")
    N, se, dev, df, aic = HARE_CLOSEDP[name]
    d = result.diagnostics
    assert result.estimate == pytest.approx(N, abs=0.05)
    assert d["se"] == pytest.approx(se, abs=0.05)
    assert d["deviance"] == pytest.approx(dev, abs=0.0005)
    assert d["df"] == df
    assert d["AIC"] == pytest.approx(aic, abs=0.0005)
    rank = 2**hare.t - 1 - df
    assert d["BIC"] == pytest.approx(d["AIC"] + (math.log(hare.n) - 2) * rank, abs=1e-9)
    assert math.isnan(result.lower) and result.interval == "none"
    assert result.existence == "ok"


def test_hare_mth_poisson2_profile_interval(reference_table):
    """Rcapture ``closedpCI.t(hare, m="Mth", h="Poisson", h.control=list(theta=2))``
    (Rcapture-Ex.Rout.save): multinomial abundance 80.1, InfCL 71.8, SupCL 93.8.
    Tolerance 0.05.
    """
    result = estimate(reference_table("hare"), "Mth-poisson2")
    assert result.interval == "profile"
    assert result.diagnostics["profile_estimate"] == pytest.approx(80.1, abs=0.05)
    assert result.lower == pytest.approx(71.8, abs=0.05)
    assert result.upper == pytest.approx(93.8, abs=0.05)
    assert result.lower <= result.estimate <= result.upper


@pytest.mark.parametrize("name", ["M0", "Mt"])
def test_hare_agresti_profile_lower_bound(reference_table, name):
    """Agresti (1994) Table 2 via Rcapture testPapersResults.R: ``closedpCI.t(hare)`` and
    ``closedpCI.t(hare, m="Mt")`` give round(abundance) = 75 and round(InfCL) = 68 + 1.
    """
    result = estimate(reference_table("hare"), name)
    assert round(result.estimate) == 75
    assert round(result.lower) == 69


def test_hare_cormack_1989_table_4(reference_table):
    """Cormack (1989) Table 4 via Rcapture testPapersResults.R: M0 75.4, Mt 75.1 and the
    deviance drop M0 - Mt = 10.2 (to 0.05)."""
    table = closedp_table(reference_table("hare"))
    assert table.loc["M0", "abundance"] == pytest.approx(75.4, abs=0.05)
    assert table.loc["Mt", "abundance"] == pytest.approx(75.1, abs=0.05)
    deviance = table["deviance"]
    drop = deviance["M0"] - deviance["Mt"]
    assert drop == pytest.approx(10.2, abs=0.05)


def test_hare_mth_darroch_agresti(reference_table):
    """Agresti (1994) Table 2 via testPapersResults.R: ``closedpCI.t(hare, m="Mth",
    h="Darroch")`` gives abundance 90.5, deviance 50.7, df 55 (to 0.05)."""
    result = estimate(reference_table("hare"), "Mth-darroch")
    assert result.estimate == pytest.approx(90.5, abs=0.05)
    assert result.diagnostics["deviance"] == pytest.approx(50.7, abs=0.05)
    assert result.diagnostics["df"] == 55


def test_cormack_chang_smith_mt():
    """Cormack, Chang and Smith (2000) via testPapersResults.R.

    Table 3a (4 lists) ``closedpCI.t(cor.dat, dfreq=TRUE, m="Mt")``: abundance 215,
    deviance 87.1, df 10.  Table 3b (3 lists): abundance 209, deviance 75.1, df 3,
    InfCL 203, SupCL 217.  Rounded as in the R test.
    """
    a1 = estimate(rcapture_table(4, [72, 5, 29, 53, 24, 3, 12, 14, 0, 0, 0, 1, 0, 0, 2]), "Mt")
    assert round(a1.estimate) == 215
    assert round(a1.diagnostics["deviance"], 1) == 87.1
    assert a1.diagnostics["df"] == 10
    b1 = estimate(rcapture_table(3, [72, 5, 29, 54, 24, 3, 14]), "Mt")
    assert round(b1.estimate) == 209
    assert round(b1.diagnostics["deviance"], 1) == 75.1
    assert b1.diagnostics["df"] == 3
    assert (round(b1.lower), round(b1.upper)) == (203, 217)


@pytest.mark.parametrize(
    ("name", "deviance", "df"), [("duck", 655.2, 56), ("bunting", 854.2, 246)]
)
def test_mt_deviance_open_population_data(reference_table, name, deviance, df):
    """Mt on the duck and bunting data: Cormack (1989) Table 5 (``closedpCI.t(duck,
    dfreq=TRUE, m="Mt")``: deviance 655.2, df 56) and Cormack (1993) Tables 3-4 (bunting:
    854.2, df 246), both via Rcapture testPapersResults.R.  Deviance to 0.05.
    """
    result = estimate(reference_table(name), "Mt", interval="none")
    assert result.diagnostics["deviance"] == pytest.approx(deviance, abs=0.05)
    assert result.diagnostics["df"] == df


#: Diabetes data of Bruno et al. (1994), Rcapture order; Rivest (2011) interaction set
#: [c1c3, c2c4, c3c4] with heterogeneity, via testPapersResults.R:
#: h -> (abundance, stderr, deviance, df).
DIABETES = [58, 157, 18, 104, 46, 650, 12, 709, 14, 20, 7, 74, 8, 182, 10]
DIABETES_FITS = {
    None: (2472, 53, 21.97, 7),
    "chao": (2588, 75, 3.13, 6),
    "poisson2": (2573, 76, 12.88, 6),
    "darroch": (2752, 133, 8.32, 6),
    "gamma3.5": (2964, 219, 6.74, 6),
}


@pytest.mark.parametrize("h", list(DIABETES_FITS))
def test_heterogeneity_columns_with_interactions(h):
    """Rivest (2011) diabetes models via Rcapture testPapersResults.R, e.g.
    ``closedpCI.t(diabetes, dfreq=TRUE, mX=~.+c1:c3+c2:c4+c3:c4, h="Poisson")``:
    2573 (76), deviance 12.88, df 6.  Rounded as in the R test (abundance and stderr to
    the unit, deviance to 0.01).  The LB (Chao) fit sets eta4 to zero, leaving df 6.
    """
    table = rcapture_table(4, DIABETES)
    P = np.vstack([np.zeros((1, 4)), pattern_matrix(4)])
    cols = [np.ones(16), *(P[:, j] for j in range(4))]
    cols += [P[:, 0] * P[:, 2], P[:, 1] * P[:, 3], P[:, 2] * P[:, 3]]
    names = ["Intercept", "beta1", "beta2", "beta3", "beta4", "l13", "l24", "l34"]
    nonneg: tuple[int, ...] = ()
    if h is not None:
        extra, extra_names = heterogeneity_columns(captures(4), 4, h)
        if h == "chao":
            nonneg = tuple(range(len(cols), len(cols) + extra.shape[1]))
        cols += list(extra.T)
        names += extra_names
    fit = fit_closed(table, ClosedDesign(np.column_stack(cols), tuple(names), nonneg, str(h)))
    N, se, dev, df = DIABETES_FITS[h]
    assert round(fit.estimate) == N
    assert round(fit.se) == se
    assert round(fit.deviance, 2) == dev
    assert fit.df == df
    if h == "chao":
        assert fit.set_to_zero == ("eta4",)


def test_chao_negative_eta_set_to_zero(reference_table):
    """Mh Chao on hare: Rcapture's df 58 = 63 cells - 5 parameters means one of the four
    eta parameters was set to zero (``Chao.neg``); the remaining etas are positive."""
    result = estimate(reference_table("hare"), "Mh-chao", interval="none")
    zeroed = result.diagnostics["set_to_zero"]
    assert len(zeroed) == 1
    etas = {k: v for k, v in result.diagnostics["parameters"].items() if k.startswith("eta")}
    assert len(etas) == 3 and all(v >= 0 for v in etas.values())


def test_chao_profile_applies_the_constraint(reference_table):
    """The Chao profile refits with the eta constraint at every N, so the interval is that
    of the constrained model: its maximiser sits just below the constrained Poisson N."""
    result = estimate(reference_table("hare"), "Mh-chao")
    profile_n = result.diagnostics["profile_estimate"]
    assert result.lower < profile_n < result.estimate < result.upper
    assert result.estimate - profile_n < 3


def test_designs_follow_rcapture():
    """Columns of Rcapture ``Xclosedp``: f = captures, Chao max(f - k + 1, 0) for k = 3..t,
    Poisson2 2^f - 1, Darroch f^2/2, Gamma3.5 log(3.5) - log(3.5 + f); row 0 is all zero
    except the intercept."""
    f = captures(4)
    assert f.tolist() == [0, *pattern_matrix(4).sum(axis=1).tolist()]
    chao = closed_design(4, "Mh", "chao")
    assert chao.names == ("Intercept", "beta", "eta3", "eta4")
    assert chao.nonneg == (2, 3)
    np.testing.assert_array_equal(chao.X[:, 2], np.maximum(f - 2, 0))
    np.testing.assert_array_equal(chao.X[:, 3], np.maximum(f - 3, 0))
    assert closed_design(4, "Mth", "poisson2").X[:, -1].tolist() == (2.0**f - 1).tolist()
    assert closed_design(4, "Mh", "darroch").X[:, -1].tolist() == (f**2 / 2).tolist()
    gamma = closed_design(4, "Mh", "gamma3.5").X[:, -1]
    np.testing.assert_allclose(gamma, np.log(3.5) - np.log(3.5 + f))
    for model, h in [("M0", None), ("Mt", None), ("Mth", "chao"), ("Mth", "gamma3.5")]:
        X = closed_design(4, model, h).X
        assert X[0, 0] == 1 and not X[0, 1:].any()
    with pytest.raises(ValueError, match="at least 3"):
        closed_design(2, "Mh", "darroch")
    with pytest.raises(ValueError, match="unknown"):
        closed_design(4, "Mh", "normal")


def test_heterogeneity_models_need_three_lists():
    """Rcapture fits only M0 and Mt on two occasions; so do we (a plain user error)."""
    two = CaptureTable(("A", "B"), np.array([781, 254, 167]))
    assert estimate(two, "Mt").estimate > two.n
    with pytest.raises(CaptureTableError, match="3 to 15 lists"):
        get("Mh-darroch")(two)


def test_seber_two_occasions():
    """Seber (1982) p. 107 via Rcapture-Ex.Rout.save ``closedp.t(X, dfreq=TRUE)``:
    M0 2805.6 (164.1), deviance 281.334, df 1; Mt 2389.9 (130.4), deviance 0, df 0.
    Tolerance 0.05 (0.0005 on the deviance)."""
    table = CaptureTable(("A", "B"), np.array([781, 254, 167]))
    m0 = estimate(table, "M0", interval="none").diagnostics
    mt = estimate(table, "Mt", interval="none")
    assert estimate(table, "M0", interval="none").estimate == pytest.approx(2805.6, abs=0.05)
    assert m0["se"] == pytest.approx(164.1, abs=0.05)
    assert m0["deviance"] == pytest.approx(281.334, abs=0.0005) and m0["df"] == 1
    assert mt.estimate == pytest.approx(2389.9, abs=0.05)
    assert mt.diagnostics["se"] == pytest.approx(130.4, abs=0.05)
    assert mt.diagnostics["deviance"] == pytest.approx(0, abs=1e-6) and mt.diagnostics["df"] == 0


def test_bootstrap_interval_for_closed_models(reference_table):
    """``interval="bootstrap"`` gives a seeded BCa interval around the estimate."""
    hare = reference_table("hare")
    a = estimate(hare, "Mh-poisson2", interval="bootstrap", boot=150, seed=3)
    b = estimate(hare, "Mh-poisson2", interval="bootstrap", boot=150, seed=3)
    assert a.interval == "bootstrap-bca"
    assert (a.lower, a.upper) == (b.lower, b.upper)
    assert a.lower < a.estimate < a.upper
    assert a.diagnostics["boot_failed"] == 0


def test_empty_list_is_flagged(reference_table):
    """A list that recorded nobody sends its capture probability to 0: the Mt MLE does not
    exist (Haberman 1974).  The result says so, and the extended MLE on the other cells
    gives the estimate of the table without that list (to 1e-6)."""
    korea = reference_table("Korea")
    pats = np.hstack([korea.patterns, np.zeros((korea.patterns.shape[0], 1), int)])
    table = CaptureTable.from_patterns([*korea.lists, "empty"], pats, korea.counts)
    result = estimate(table, "Mt")
    assert result.existence == "mle-does-not-exist"
    assert result.warnings and "does not exist" in result.warnings[0]
    plain = estimate(korea, "Mt")
    assert result.estimate == pytest.approx(plain.estimate, rel=1e-6)
    assert result.lower == pytest.approx(plain.lower, rel=1e-6)
    assert result.upper == pytest.approx(plain.upper, rel=1e-6)
    assert plain.existence == "ok" and not plain.warnings


def test_mle_face_finds_cells_fitted_as_zero():
    """Haberman (1974): an empty cell that has a column of its own, or an empty list in Mt,
    is fitted as zero; cells with people and the rest stay on the face."""
    y = np.array([30.0, 25, 0, 7, 0, 3, 4])
    X = closed_design(3, "Mt").X[1:]
    assert mle_face(X, y).all()  # the independence model: margins are positive
    own = np.zeros(7)
    own[2] = 1
    face = mle_face(np.column_stack([X, own]), y)
    assert face.tolist() == [True, True, False, True, True, True, True]
    # Nobody on list c (cells 3..6 contain c): all c-cells leave the face together.
    y_c = np.array([30.0, 25, 9, 0, 0, 0, 0])
    assert mle_face(X, y_c).tolist() == [True, True, True, False, False, False, False]
    # A coefficient constrained to be >= 0 cannot run off to minus infinity.
    assert mle_face(np.column_stack([X, own]), y, nonneg=(4,)).all()


def test_not_identifiable_is_a_plain_error():
    """Only one list recorded anybody: N cannot be estimated and the error says why."""
    table = CaptureTable.from_dict(("a", "b", "c"), {"100": 30})
    with pytest.raises(ValueError, match="cannot be estimated"):
        estimate(table, "Mt")
