"""Coefficients on edge cases: undefined values carry a reason, bad input raises InputError, results serialise."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from theme_assist.agree import (
    bennett_s,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac,
    krippendorff_alpha,
    percent_agreement,
    scott_pi,
)
from theme_assist.agree.coefficients import applicable_metrics, compute_metric, metric_name
from theme_assist.agree.distances import agreement_weights, distance_matrix
from theme_assist.agree.ratings import MISSING, as_rating_table
from theme_assist.errors import InputError

CHANCE_CORRECTED = [fleiss_kappa, conger_kappa, bennett_s, gwet_ac, percent_agreement]


@pytest.mark.parametrize("coefficient", [*CHANCE_CORRECTED, krippendorff_alpha])
def test_no_unit_rated_twice_is_undefined_with_a_reason(coefficient):
    result = coefficient([["a", None], [None, "b"], ["c", None]])
    assert math.isnan(result.value)
    assert "two" in result.reason
    assert not result.defined


@pytest.mark.parametrize("coefficient", [fleiss_kappa, conger_kappa, krippendorff_alpha])
def test_one_category_only_is_undefined_not_one(coefficient):
    result = coefficient([["yes", "yes"], ["yes", "yes"], ["yes", "yes"]])
    assert math.isnan(result.value)
    assert "variation" in result.reason


def test_single_category_tables_need_declared_categories_for_s_and_ac1():
    table = [[0, 0], [0, 0], [0, 0]]
    assert "one category" in gwet_ac(table).reason
    assert "one category" in bennett_s(table).reason
    declared = gwet_ac(table, categories=[0, 1])
    assert declared.value == 1.0 and declared.reason is None
    assert bennett_s(table, categories=[0, 1]).value == 1.0
    assert percent_agreement(table).value == 1.0


def test_empty_table_is_undefined():
    empty = np.empty((0, 3))
    assert "two" in krippendorff_alpha(empty).reason
    assert "two" in fleiss_kappa(empty).reason


def test_sparse_code_kappa_paradox_shows_in_prevalence():
    """A rare code: high agreement, κ near zero, AC1 high; the shares reveal the prevalence."""
    first = [0] * 95 + [1, 0, 0, 0, 1]
    second = [0] * 95 + [0, 1, 0, 0, 1]
    kappa = cohen_kappa(first, second)
    ac1 = gwet_ac(np.column_stack([first, second]))
    assert kappa.observed_agreement == pytest.approx(0.98)
    assert kappa.value < 0.7 < ac1.value
    assert kappa.category_shares[1] == pytest.approx(0.02)


def test_cohen_and_scott_need_two_coders():
    three = [["a", "b", "a"], ["b", "b", "b"]]
    with pytest.raises(InputError, match="two coders.*conger"):
        cohen_kappa(three)
    with pytest.raises(InputError, match="two coders.*fleiss"):
        scott_pi(three)
    with pytest.raises(InputError, match="same length"):
        cohen_kappa(["a", "b"], ["a"])


def test_cohen_kappa_on_two_label_arrays_with_missing_values():
    result = cohen_kappa(["a", "a", "b", None, "b"], ["a", "b", "b", "b", np.nan])
    assert result.n_units == 3
    assert result.coefficient == "Cohen's kappa"
    assert cohen_kappa(["x", "y", "x", "y"], ["x", "y", "x", "y"]).value == 1.0


def test_conger_leaves_out_coders_without_ratings():
    table = pd.DataFrame({"A": [1, 2, 1, 2], "B": [1, 2, 2, 2], "silent": [None] * 4})
    assert conger_kappa(table).value == pytest.approx(cohen_kappa(table["A"], table["B"]).value)
    assert conger_kappa(table).n_coders == 2


def test_interval_level_needs_numbers():
    with pytest.raises(InputError, match="'abc' is not a finite number"):
        krippendorff_alpha([["abc", "1"], ["2", "3"]], "interval")
    with pytest.raises(InputError, match="numeric ratings or a declared category order"):
        krippendorff_alpha([["low", "high"], ["mid", "high"]], "ordinal")
    with pytest.raises(InputError, match="linear weights need numeric"):
        fleiss_kappa([["low", "high"], ["mid", "high"]], weights="linear")


def test_declared_order_gives_labels_an_ordinal_scale():
    ratings = [["low", "mid"], ["mid", "high"], ["low", "low"], ["high", "high"]]
    as_labels = krippendorff_alpha(ratings, "ordinal", categories=["low", "mid", "high"])
    as_numbers = krippendorff_alpha([[1, 2], [2, 3], [1, 1], [3, 3]], "ordinal")
    assert as_labels.value == pytest.approx(as_numbers.value)
    weighted = cohen_kappa(*zip(*ratings), weights="linear", categories=["low", "mid", "high"])
    assert weighted.value == pytest.approx(cohen_kappa(*zip(*[[1, 2], [2, 3], [1, 1], [3, 3]]),
                                                       weights="linear").value)


def test_metric_names_are_read_apart_from_case_as_the_command_line_reads_them():
    """``-m Light`` was read as light, but ``metric_name("Light")`` (and so ``agreement_summary(..., ["Light"])``)
    was refused as an unknown metric."""
    from theme_assist.agree import agreement_summary

    assert [metric_name(name) for name in ("Light", "AC1", "Brennan_Prediger", "ALPHA")] == \
        ["light", "ac1", "bennett_s", "alpha"]
    ratings = [["a", "a", "b"], ["b", "b", "b"], ["a", "b", "a"], ["c", "c", "c"]]
    assert list(agreement_summary(ratings, ["Light", "AC1"])) == ["light", "ac1"]
    with pytest.raises(InputError, match="unknown metric 'Kripp'"):
        metric_name("Kripp")


def test_undeclared_rating_and_unknown_names_are_input_errors():
    with pytest.raises(InputError, match="not among the declared categories"):
        fleiss_kappa([["a", "b"], ["c", "a"]], categories=["a", "b"])
    with pytest.raises(InputError, match="unknown metric"):
        metric_name("kripp")
    with pytest.raises(InputError, match="unknown level"):
        krippendorff_alpha([[1, 2], [2, 2]], "circular")
    with pytest.raises(InputError, match="unknown weights"):
        fleiss_kappa([[1, 2], [2, 2]], weights="cubic")
    with pytest.raises(InputError, match="units × coders"):
        as_rating_table([1, 2, 3])


def test_custom_distance_matrix_and_function_match_named_levels():
    table = as_rating_table([[1, 2], [2, 3], [1, 1], [3, 3], [2, 1]])
    interval = distance_matrix("interval", table)
    assert krippendorff_alpha(table, interval).value == pytest.approx(krippendorff_alpha(table, "interval").value)
    assert krippendorff_alpha(table, lambda a, b: float(a != b)).value == pytest.approx(
        krippendorff_alpha(table).value)
    assert krippendorff_alpha(table, interval).level == "custom"
    with pytest.raises(InputError, match="zeros on its diagonal"):
        krippendorff_alpha(table, np.ones((3, 3)))
    with pytest.raises(InputError, match="shape"):
        krippendorff_alpha(table, np.zeros((2, 2)))


def test_custom_kappa_weights_are_distances():
    table = as_rating_table([[1, 2], [2, 3], [1, 1], [3, 3], [2, 1]])
    quadratic = agreement_weights("quadratic", table)
    np.testing.assert_allclose(quadratic, [[1, 0.75, 0], [0.75, 1, 0.75], [0, 0.75, 1]])
    assert cohen_kappa(table, weights=distance_matrix("interval", table)).value == pytest.approx(
        cohen_kappa(table, weights="quadratic").value)
    assert "AC2 (quadratic weights)" in gwet_ac(table, weights="quadratic").coefficient


def test_set_valued_ratings_with_masi():
    ratings = [[{"a"}, {"a", "b"}], [frozenset("b"), frozenset("b")], [{"c"}, set()], [{"a", "c"}, {"a", "c"}]]
    result = krippendorff_alpha(ratings, "masi")
    assert 0 < result.value < 1
    assert result.level == "masi"
    assert krippendorff_alpha(ratings, "masi").value > krippendorff_alpha(ratings, "nominal").value


def test_rating_table_encoding():
    table = as_rating_table(pd.DataFrame({"A": ["b", "a", ""], "B": ["a", None, "c"]}, index=["u1", "u2", "u3"]))
    assert table.categories == ("a", "b", "c")
    assert table.codes.tolist() == [[1, 0], [0, MISSING], [MISSING, 2]]
    assert table.counts.tolist() == [[1, 1, 0], [1, 0, 0], [0, 0, 1]]
    assert list(table.units) == ["u1", "u2", "u3"] and list(table.coders) == ["A", "B"]
    numbers = as_rating_table(np.array([[3.0, np.nan], [10.0, 3.0], [1.5, 3.0]]))
    assert numbers.categories == (1.5, 3.0, 10.0)
    assert numbers.codes.tolist() == [[1, MISSING], [2, 1], [0, 1]]
    assert as_rating_table(numbers) is numbers
    pd.testing.assert_frame_equal(table.to_frame(), pd.DataFrame(
        {"A": ["b", "a", np.nan], "B": ["a", np.nan, "c"]}, index=["u1", "u2", "u3"], dtype=object))


def test_results_serialise_to_json_with_nulls():
    undefined = krippendorff_alpha([[1, 1], [1, 1]]).to_dict()
    assert undefined["value"] is None and undefined["reason"]
    defined = fleiss_kappa([["a", "a"], ["b", "a"], ["b", "b"]]).to_dict()
    assert json.loads(json.dumps(defined))["category_shares"] == {"a": 0.5, "b": 0.5}


def test_metric_registry():
    two = as_rating_table([[1, 2], [2, 2]])
    three = as_rating_table([[1, 2, 1], [2, 2, 2]])
    assert "cohen" in applicable_metrics(two) and "scott" in applicable_metrics(two)
    assert "cohen" not in applicable_metrics(three) and "alpha" in applicable_metrics(three)
    assert metric_name("brennan_prediger") == "bennett_s"
    assert compute_metric("alpha", two, level="interval").level == "interval"
    assert compute_metric("ac1", two, weights="linear").coefficient.startswith("Gwet's AC2")


def test_numbers_and_the_same_numbers_as_text_are_one_category():
    """Machine labels read as text ("1") beside human ratings read as numbers (1.0) are the same codes."""
    from theme_assist.agree import agreement_report

    assert cohen_kappa([1.0, 2.0, 1.0, 2.0], ["1", "2.0", "1", " 2 "]).value == 1.0
    assert as_rating_table(np.array([[1.0, "1"], [2.0, "2"]], dtype=object)).categories == (1.0, 2.0)
    assert as_rating_table(np.array([[1.0, "1"], [2.0, "x"]], dtype=object)).n_categories == 4  # labels stay
    human = pd.DataFrame({"A": [1.0, 2.0, 1.0, 2.0], "B": [1.0, 2.0, 2.0, 2.0]}, index=list("abcd"))
    machine = pd.Series(["1", "2", "1", "2"], index=list("abcd"), name="machine")
    report = agreement_report(human, machine).set_index("comparison")
    assert report.loc["machine vs A", "percent"] == 1.0
    assert report.loc["machine vs A", "alpha"] == 1.0


def test_ratio_level_refuses_negative_ratings():
    """((c - k) / (c + k))² puts -2 and 2 zero apart: α would be 1 for coders who disagree in sign."""
    with pytest.raises(InputError, match="ratio level needs ratings of zero or more"):
        krippendorff_alpha([[-2, 2], [2, 2], [3, 3]], "ratio")
    assert krippendorff_alpha([[0, 2], [2, 2], [3, 3]], "ratio").defined


def test_light_kappa_is_the_mean_of_the_pairs_cohen_kappas():
    from theme_assist.agree import light_kappa

    table = np.array([["a", "a", "a"], ["b", "b", "a"], ["a", "b", "b"], ["b", "b", "b"], ["a", "a", "b"]])
    pairs = [cohen_kappa(table[:, i], table[:, j]).value for i, j in ((0, 1), (0, 2), (1, 2))]
    result = light_kappa(table)
    assert result.value == pytest.approx(np.mean(pairs))
    assert result.coefficient == "Light's kappa (mean pairwise Cohen's kappa)"
    assert (result.n_pairs, result.n_pairs_undefined, result.n_units) == (3, 0, 5)
    assert [pair["value"] for pair in result.pairs] == pytest.approx(pairs)
    assert light_kappa(table[:, :2].tolist()).value == pytest.approx(cohen_kappa(table[:, 0], table[:, 1]).value)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_light_kappa_of_two_coders_is_cohen_kappa_on_the_units_both_rated(weights):
    from theme_assist.agree import light_kappa

    rng = np.random.default_rng(7)
    table = rng.integers(1, 5, (30, 2)).astype(float)
    complete = light_kappa(table, weights=weights)
    assert complete.value == pytest.approx(cohen_kappa(table, weights=weights).value, abs=1e-12)
    table[rng.random(table.shape) < 0.2] = np.nan
    both = ~np.isnan(table).any(axis=1)
    assert light_kappa(table, weights=weights).value == pytest.approx(
        cohen_kappa(table[both], weights=weights).value, abs=1e-12)
    assert light_kappa(table, weights=weights).coefficient.endswith(f"{weights} weights)" if weights else "kappa)")


def test_light_kappa_leaves_out_and_counts_pairs_whose_kappa_is_undefined():
    from theme_assist.agree import light_kappa

    # A and C rated no unit in common; B and C agree on one category only (no variation)
    table = [["x", "x", None], ["y", "y", None], ["x", "y", None], [None, "z", "z"], [None, "z", "z"]]
    result = light_kappa(table)
    assert (result.n_pairs, result.n_pairs_undefined) == (3, 2)
    assert result.value == pytest.approx(cohen_kappa(["x", "y", "x"], ["x", "y", "y"]).value)
    reasons = {tuple(pair["coders"]): pair["reason"] for pair in result.pairs}
    assert "no unit" in reasons[("0", "2")] and "no variation" in reasons[("1", "2")]
    assert json.loads(json.dumps(result.to_dict()))["pairs"][1]["value"] is None
    nothing = light_kappa([["x", None, None], [None, "y", None], [None, None, "z"]])
    assert math.isnan(nothing.value) and nothing.reason.startswith("Cohen's kappa is undefined for every pair")


def test_light_kappa_is_reported_by_default_for_three_or_more_coders_only():
    two = as_rating_table([[1, 2], [2, 2]])
    three = as_rating_table([[1, 2, 1], [2, 2, 2]])
    assert "light" not in applicable_metrics(two) and "light" in applicable_metrics(three)
    assert compute_metric("light", three, weights="linear").coefficient == (
        "Light's kappa (mean pairwise Cohen's kappa, linear weights)")


@pytest.mark.parametrize("ratings, message", [
    ([["a", "b"], ["a"]], "one rating \\(or None\\) per coder in every row; got rows of 1, 2 ratings"),
    ({"x": ["a", "b"], "y": ["a", "a"]}, "\\(a DataFrame, a 2-D array or a list of rows\\); got a dict"),
    ("ab", "got a str"),
])
def test_ratings_that_are_no_table_are_refused_saying_what_they_are(ratings, message):
    from theme_assist.agree import agreement_summary, krippendorff_alpha

    for coefficient in (krippendorff_alpha, fleiss_kappa, agreement_summary):
        with pytest.raises(InputError, match=f"ratings must be a units × coders table.*{message}"):
            coefficient(ratings)


def test_one_metric_may_be_given_by_its_name_alone():
    from theme_assist.agree import agreement_summary

    ratings = [["a", "a"], ["a", "b"], ["b", "b"], ["b", "b"]]
    assert agreement_summary(ratings, "alpha") == agreement_summary(ratings, ["alpha"])
    assert list(agreement_summary(ratings, "cohen")) == ["cohen"]
