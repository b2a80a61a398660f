"""Published figures reproduced by the log-linear estimators.

Sources (listed in ../shared/reference/README.md):

* Home Office (2014) *Modern Slavery: an application of multiple systems
  estimation*, with the procedure as described by Bales, Hesketh and Silverman
  (2015) Significance 12(3): UK 2013, five lists.
* Silverman, Chan and Vincent (2024) Statistics and Computing 34:44, Table 6:
  BIC ranking and bootstrap intervals on UK 2013.
* Chan, Silverman and Vincent (2021) JASA 116: stepwise on Western US and New
  Orleans.
* METHODS.md: the Korea check.

Point estimates are compared to within 1 person (the published rounding),
BIC to within 0.01, interval bounds as stated per test.
"""

from __future__ import annotations

import pytest

from estimation.registry import estimate

HOME_OFFICE_TERMS = ("LA:NG", "NG:GP", "PFNCA:GP", "LA:PFNCA", "GO:GP", "NG:GO")
BIC_BEST_TERMS = ("LA:NG", "LA:PFNCA", "NG:PFNCA", "NG:GP", "PFNCA:GO")


def test_uk5_main_effects(reference_table):
    """UKdat_5, main effects only: 13,444 (README; Silverman, Chan and Vincent 2024)."""
    result = estimate(reference_table("UKdat_5"), "independence", interval="none")
    assert result.estimate == pytest.approx(13444, abs=1)


def test_uk6_main_effects(reference_table):
    """UKdat (six lists), main effects only: 12,214 (README)."""
    result = estimate(reference_table("UKdat"), "independence", interval="none")
    assert result.estimate == pytest.approx(12214, abs=1)


def test_home_office_aic_stepwise(reference_table):
    """Home Office (2014): AIC stepwise selects six terms and N = 11,313, 95% profile
    interval about [9,889, 13,063] (Bales, Hesketh and Silverman 2015).

    Tolerances: N within 1 person, interval bounds within 2 people ("about").
    """
    result = estimate(reference_table("UKdat_5"), "aic-stepwise", interval="profile")
    assert result.estimate == pytest.approx(11313, abs=1)
    assert set(result.model) == set(HOME_OFFICE_TERMS)
    order = [step["added"] for step in result.diagnostics["selection_path"]]
    assert tuple(order) == HOME_OFFICE_TERMS
    assert result.interval == "profile"
    assert result.lower == pytest.approx(9889, abs=2)
    assert result.upper == pytest.approx(13063, abs=2)


def test_uk5_bic_ranking(reference_table):
    """Silverman, Chan and Vincent (2024) Table 6: best BIC model 22,991 (BIC 196.54),
    second 12,262 (197.50), the Home Office model fourth (198.61).

    Tolerances: N within 1 person; BIC within 0.01.
    """
    result = estimate(reference_table("UKdat_5"), "bic", interval="none")
    assert result.estimate == pytest.approx(22991, abs=1)
    assert set(result.model) == set(BIC_BEST_TERMS)
    ranking = result.diagnostics["ranking"]
    assert ranking[0]["BIC"] == pytest.approx(196.54, abs=0.01)
    assert ranking[1]["N_hat"] == pytest.approx(12262, abs=1)
    assert ranking[1]["BIC"] == pytest.approx(197.50, abs=0.01)
    assert set(ranking[3]["terms"]) == set(HOME_OFFICE_TERMS)
    assert ranking[3]["BIC"] == pytest.approx(198.61, abs=0.01)


def test_western_stepwise(reference_table):
    """Chan, Silverman and Vincent (2021): stepwise (p < 0.02) on Western selects A:E,
    N = 2,483 (tolerance 1 person)."""
    result = estimate(reference_table("Western"), "stepwise", interval="none")
    assert result.model == ("A:E",)
    assert result.estimate == pytest.approx(2483, abs=1)


def test_new_orleans_stepwise(reference_table):
    """Chan, Silverman and Vincent (2021): New Orleans (5 lists) stepwise gives 1,034
    (tolerance 1 person)."""
    result = estimate(reference_table("NewOrl_5"), "stepwise", interval="none")
    assert result.estimate == pytest.approx(1034, abs=1)


def test_korea_bic_and_main_effects(reference_table):
    """README / METHODS.md: Korea best BIC model {b:c, c:d} N = 157.17 (BIC 57.141);
    main effects 142.  Tolerances 0.01 people, 0.001 BIC, 1 person for 142."""
    table = reference_table("Korea")
    best = estimate(table, "bic", interval="none")
    assert set(best.model) == {"b:c", "c:d"}
    assert best.estimate == pytest.approx(157.17, abs=0.01)
    assert best.diagnostics["BIC"] == pytest.approx(57.141, abs=0.001)
    main = estimate(table, "independence", interval="none")
    assert main.estimate == pytest.approx(142, abs=1)


@pytest.mark.slow
def test_western_stepwise_bca_interval(reference_table):
    """Chan, Silverman and Vincent (2021): BCa 95% (1,293, 3,670) for Western, 1,000
    replicates with re-selection.  R's random stream cannot be reproduced, so the
    bounds are compared within 10% (Monte Carlo error of B = 1000 BCa endpoints)."""
    result = estimate(
        reference_table("Western"), "stepwise", interval="bootstrap", boot=1000, seed=2021
    )
    assert result.interval == "bootstrap-bca"
    assert result.lower == pytest.approx(1293, rel=0.10)
    assert result.upper == pytest.approx(3670, rel=0.10)


@pytest.mark.slow
def test_uk5_bic_bootstrap_interval(reference_table):
    """Silverman, Chan and Vincent (2024) Table 6: search over all two-way models,
    22,991 [11,456, 43,894].  Within 15% (different random stream; the upper BCa
    endpoint of a skewed distribution carries several per cent of Monte Carlo error)."""
    result = estimate(
        reference_table("UKdat_5"), "bic", interval="bootstrap", boot=1000, seed=2024
    )
    assert result.lower == pytest.approx(11456, rel=0.15)
    assert result.upper == pytest.approx(43894, rel=0.15)
