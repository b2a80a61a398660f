"""Existence and identifiability of the log-linear MLE (Fienberg and Rinaldo 2012).

Expected outcomes come from the R packages' own documentation: SparseMSE
``checkident`` examples on Artificial_3 (man/checkident.Rd: all two-way effects
"not identifiable", the A:B effect alone "MLE does not exist", A:C + B:C
"passes both tests"), and from ../shared/reference/README.md for Korea (the
full two-way model fails; an unconstrained GLM runs off to about 1.5e13) and
NewOrl (18 of 28 pairs never overlap).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from estimation.capture_table import CaptureTable
from estimation.glm import fit_poisson
from estimation.loglinear.existence import _facial_set, check_existence
from estimation.loglinear.fit import fit_loglinear
from estimation.loglinear.model_space import PairSpace
from estimation.loglinear.terms import all_pairs, design_matrix
from estimation.result import EXISTENCE_NO_MLE, EXISTENCE_NOT_IDENTIFIABLE, EXISTENCE_OK


def all_pair_names(table: CaptureTable) -> list[str]:
    return [":".join(p) for p in itertools.combinations(table.lists, 2)]


def test_artificial3_full_two_way_model_is_not_identifiable(reference_table):
    """SparseMSE ``checkident(Artificial_3, mX)`` with all pairs: not identifiable (ierr 2)."""
    table = reference_table("Artificial_3")
    ex = check_existence(table, all_pair_names(table))
    assert ex.status == EXISTENCE_NOT_IDENTIFIABLE
    assert not ex.admissible and not ex.identifiable
    assert set(ex.empty_terms) == {"A:C", "B:C"}


def test_artificial3_ab_alone_fails_the_linear_program(reference_table):
    """``checkident(Artificial_3, mX[,1])``: the MLE does not exist (the LP fails).

    The face leaves out every cell with C and another list, so N is not
    determined: along the divergent direction b0 grows without bound.
    """
    table = reference_table("Artificial_3")
    ex = check_existence(table, ["A:B"])
    assert ex.lp_used
    assert not ex.admissible
    assert ex.status == EXISTENCE_NOT_IDENTIFIABLE
    cells = {table.pattern_label(k) for k in np.flatnonzero(~ex.face)}
    assert cells == {"A+C", "B+C", "A+B+C"}
    assert "does not exist" in ex.reason


def test_artificial3_non_overlapping_pairs_pass(reference_table):
    """``checkident(Artificial_3, mX[,2:3])`` passes both tests: the empty pairs are -inf."""
    table = reference_table("Artificial_3")
    ex = check_existence(table, ["A:C", "B:C"])
    assert ex.admissible and ex.identifiable
    assert ex.status == EXISTENCE_NO_MLE
    assert ex.empty_terms == ("A:C", "B:C")
    fit = fit_loglinear(table, ["A:C", "B:C"])
    assert fit.coef["A:C"] == -np.inf and fit.coef["B:C"] == -np.inf
    assert np.all(fit.mu[~ex.face] == 0) and np.all(fit.mu[ex.face] > 0)
    assert fit.k == 6  # the minus-infinite parameters still count
    assert any("minus infinity" in w for w in fit.warnings)


def test_korea_full_model_is_caught_where_an_unconstrained_glm_diverges(reference_table):
    """README: the full two-way Korea model fails; a plain GLM gives N of about 1.5e13.

    Tolerance: the unconstrained estimate only has to be absurd (> 1e12); the
    check must call the model not identifiable and the fit must refuse an N.
    """
    table = reference_table("Korea")
    X = design_matrix(3, all_pairs(3))
    naive = fit_poisson(X, table.counts)
    assert table.n + np.exp(naive.coef[0]) > 1e12
    ex = check_existence(table, all_pair_names(table))
    assert ex.status == EXISTENCE_NOT_IDENTIFIABLE and ex.lp_used
    assert [table.pattern_label(k) for k in np.flatnonzero(~ex.face)] == ["c+d"]
    fit = fit_loglinear(table, all_pair_names(table))
    assert np.isnan(fit.estimate)
    assert any("cannot be estimated" in w for w in fit.warnings)


def test_korea_selected_model_exists(reference_table):
    """The BIC model {b:c, c:d} of METHODS.md has an ordinary MLE."""
    ex = check_existence(reference_table("Korea"), ["b:c", "c:d"])
    assert ex.status == EXISTENCE_OK and ex.admissible and not ex.lp_used


def test_neworl_has_18_non_overlapping_pairs(reference_table):
    """README: in the 8-list New Orleans table 18 of 28 pairs never overlap."""
    table = reference_table("NewOrl")
    assert int((PairSpace(table).overlaps() == 0).sum()) == 18
    ex = check_existence(table, all_pair_names(table))
    assert len(ex.empty_terms) == 18
    assert ex.status == EXISTENCE_NO_MLE and ex.admissible
    assert check_existence(table, []).status == EXISTENCE_OK


def test_face_is_where_a_divergent_fit_keeps_mass(reference_table):
    """The LP face agrees with where an unconstrained Newton fit leaves positive means."""
    table = reference_table("Korea")
    X = design_matrix(3, all_pairs(3))
    naive = fit_poisson(X, table.counts)
    ex = check_existence(table, all_pair_names(table))
    assert np.all(naive.mu[~ex.face] < 1e-6)
    assert np.all(naive.mu[ex.face] > 0.5)


def test_linear_program_agrees_with_the_quick_rank_condition(reference_table):
    """Where the rank condition says the MLE exists, the LP finds every cell on the face."""
    table = reference_table("UKdat_5")
    X = design_matrix(5, all_pairs(5))
    keep = table.counts @ X > 0
    pos = table.counts > 0
    cells = ~np.any(X[:, ~keep] > 0, axis=1)
    A = X[np.ix_(cells, keep)]
    assert np.linalg.matrix_rank(A[pos[cells]]) == A.shape[1]
    assert np.all(_facial_set(A, pos[cells]))


def test_two_lists_without_overlap_cannot_be_estimated():
    """Lincoln-Petersen with no recaptures: the independence MLE of N is infinite."""
    table = CaptureTable.from_dict(["A", "B"], {"10": 30, "01": 20})
    ex = check_existence(table, [])
    assert ex.status == EXISTENCE_NOT_IDENTIFIABLE
    assert ex.lp_used


@pytest.mark.parametrize("terms", [["A:Z"], ["A"], ["A:A"]])
def test_bad_terms_are_named(terms):
    """A term naming an unknown list, a main effect, or one list twice is refused."""
    table = CaptureTable.from_dict(["A", "B", "C"], {"100": 5, "010": 4, "110": 2, "001": 3})
    with pytest.raises(ValueError, match="term"):
        check_existence(table, terms)
