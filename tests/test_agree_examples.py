"""Published worked examples, reproduced to the precision they were published with."""

from __future__ import annotations

import numpy as np
import pytest

from theme_assist.agree import (
    bennett_s,
    coincidence_matrix,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac,
    krippendorff_alpha,
    masi_distance,
    percent_agreement,
    scott_pi,
)
from theme_assist.agree.ratings import as_rating_table

nan = np.nan

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers × 12 units,
# values 1-5, with missing data. Rows are units here (the paper prints observers as rows).
KRIPPENDORFF_2011 = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]).T

# Fleiss (1971), "Measuring nominal scale agreement among many raters", Table 1: 30 patients, each diagnosed
# by 6 of the psychiatrists into 1 depression, 2 personality disorder, 3 schizophrenia, 4 neurosis, 5 other.
FLEISS_1971 = np.array([
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5], [2, 2, 2, 4, 4, 4],
    [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4], [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5],
    [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4], [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5],
    [3, 3, 3, 3, 3, 5], [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4], [1, 4, 4, 4, 4, 5],
    [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4], [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
])


def two_coders_from_contingency(table, labels):
    """Expand a coder A × coder B contingency table into the two coders' label sequences."""
    first, second = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            first += [labels[i]] * count
            second += [labels[j]] * count
    return first, second


# Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed.: 100 pregnant women classified by two abstractors
# as ectopic, abnormal intrauterine (AIU) or normal intrauterine (NIU) pregnancy.
ABSTRACTORS = two_coders_from_contingency([[13, 0, 0], [0, 20, 7], [0, 4, 56]], ["Ectopic", "AIU", "NIU"])


@pytest.mark.parametrize("level, published", [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849),
                                              ("ratio", 0.797)])
def test_krippendorff_2011_alpha_at_every_level(level, published):
    """Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: α = 0.743 (nominal),
    0.815 (ordinal), 0.849 (interval), 0.797 (ratio) on 4 observers × 12 units with missing values."""
    result = krippendorff_alpha(KRIPPENDORFF_2011, level)
    assert round(result.value, 3) == published
    assert result.reason is None
    assert (result.n_units, result.n_values, result.n_coders) == (11, 40, 4)


def test_krippendorff_2011_coincidence_marginals():
    """Krippendorff (2011), section C: the coincidence matrix has marginals n_c = 9, 13, 10, 5, 3 and
    n.. = 40 pairable values; unit 12 (one value) is not pairable."""
    coincidences = coincidence_matrix(as_rating_table(KRIPPENDORFF_2011))
    np.testing.assert_allclose(coincidences.sum(axis=1), [9, 13, 10, 5, 3])
    np.testing.assert_allclose(coincidences, coincidences.T)
    assert coincidences[4, 4] == pytest.approx(3.0)


def test_fleiss_1971_kappa():
    """Fleiss (1971), Table 1 and the text after it: category proportions p_j = .144, .144, .167, .306, .239,
    mean agreement P = .556, chance agreement P_e = .220, κ = .430."""
    result = fleiss_kappa(FLEISS_1971)
    assert round(result.value, 3) == 0.430
    assert round(result.observed_agreement, 3) == 0.556
    assert round(result.expected_agreement, 3) == 0.220
    assert [round(p, 3) for p in result.category_shares.values()] == [0.144, 0.144, 0.167, 0.306, 0.239]


def test_gwet_handbook_two_abstractors():
    """Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed., 3 × 3 table of 100 pregnancies by two
    abstractors; values as printed in Gwet's irrCAC R package vignette: Cohen's κ = 0.7964094, Scott's π =
    0.7962397, Gwet's AC1 = 0.8493305, Brennan-Prediger = 0.835, percent agreement = 0.89."""
    first, second = ABSTRACTORS
    pair = np.column_stack([first, second])
    assert cohen_kappa(first, second).value == pytest.approx(0.7964094, abs=5e-8)
    assert scott_pi(first, second).value == pytest.approx(0.7962397, abs=5e-8)
    assert gwet_ac(pair).value == pytest.approx(0.8493305, abs=5e-8)
    assert bennett_s(pair).value == pytest.approx(0.835, abs=5e-8)
    assert percent_agreement(pair).value == pytest.approx(0.89)


def test_gwet_handbook_four_raters_with_missing_ratings():
    """Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed., 4 raters × 12 subjects with missing ratings
    (Krippendorff's 2011 data); values as printed in Gwet's irrCAC R package vignette: percent agreement
    0.8181818, AC1 0.77544 (p_e 0.1903212), Fleiss' κ 0.76117 (p_e 0.2387153), Brennan-Prediger 0.77273,
    Krippendorff's α 0.74342."""
    ac1 = gwet_ac(KRIPPENDORFF_2011)
    assert round(ac1.value, 5) == 0.77544
    assert ac1.expected_agreement == pytest.approx(0.1903212, abs=5e-8)
    assert percent_agreement(KRIPPENDORFF_2011).value == pytest.approx(0.8181818, abs=5e-8)
    fleiss = fleiss_kappa(KRIPPENDORFF_2011)
    assert round(fleiss.value, 5) == 0.76117
    assert fleiss.expected_agreement == pytest.approx(0.2387153, abs=5e-8)
    assert round(bennett_s(KRIPPENDORFF_2011).value, 5) == 0.77273
    assert round(krippendorff_alpha(KRIPPENDORFF_2011).value, 5) == 0.74342


def test_weighted_kappa_sas_example():
    """SAS/STAT PROC FREQ agreement example, as checked in statsmodels' test suite: the 3 × 3 table
    [[0, 4, 1], [0, 8, 0], [0, 1, 5]] has simple κ = 0.4842 and weighted κ = 0.4701 with linear
    (Cicchetti-Allison) weights."""
    first, second = two_coders_from_contingency([[0, 4, 1], [0, 8, 0], [0, 1, 5]], [0, 1, 2])
    assert round(cohen_kappa(first, second, categories=[0, 1, 2]).value, 4) == 0.4842
    assert round(cohen_kappa(first, second, weights="linear", categories=[0, 1, 2]).value, 4) == 0.4701


def test_conger_equals_cohen_for_two_coders():
    """Conger (1980): for two raters the generalised κ reduces to Cohen's (1960) κ."""
    first, second = ABSTRACTORS
    pair = np.column_stack([first, second])
    assert conger_kappa(pair).value == pytest.approx(cohen_kappa(first, second).value)


def test_masi_distance_passonneau():
    """Passonneau (2006), MASI: {1, 2} vs {1, 2, 3, 4} is a subset (M = 2/3) with Jaccard 1/2, so the
    distance is 1 - 1/3 = 0.667 (the example of nltk.metrics.masi_distance)."""
    assert masi_distance(frozenset({1, 2}), frozenset({1, 2, 3, 4})) == pytest.approx(2 / 3)
    assert masi_distance(frozenset({1, 2}), frozenset({2, 3})) == pytest.approx(1 - (1 / 3) * (1 / 3))
    assert masi_distance(frozenset({1}), frozenset({2})) == 1.0
    assert masi_distance(frozenset(), frozenset()) == 0.0
