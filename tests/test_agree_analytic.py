"""Analytic standard errors and t intervals (Gwet 2014): irrCAC's numbers, kept apart from the bootstrap's."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from theme_assist.agree import (
    agreement_summary,
    analytic_alpha,
    analytic_metric,
    analytic_units,
    as_rating_table,
    compute_metric,
    multi_label_summary,
    presence_tables,
    ratings_from_codings,
)
from theme_assist.errors import InputError

from tests.test_agree_cli import run
from tests.test_agree_examples import FLEISS_1971

nan = math.nan

# irrCAC's raw_4raters data set (irrCAC.datasets; Krippendorff's 2011 example as irrCAC ships it, unit 12 rated
# by the third coder only).
IRRCAC_4RATERS = np.array([
    [1, 1, nan, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4], [4, 4, 4, 4],
    [1, 1, 2, 1], [2, 2, 2, 2], [nan, 5, 5, 5], [nan, nan, 1, 1], [nan, nan, 3, nan],
])

# Reference values from an independent implementation: irrCAC 0.4.4 (Gwet's own Python package),
# CAC(pandas.DataFrame(IRRCAC_4RATERS), weights=..., digits=15).<method>()["est"]: coefficient, se, interval.
# Its docstring prints the first two rows rounded to 5 digits (AC1 0.77544, se 0.14295, (0.46081, 1)).
IRRCAC_REFERENCE = {
    ("ac1", None): (0.775444068126995, 0.142949950640765, 0.46081334813208),
    ("fleiss", None): (0.761169275422411, 0.153019203469492, 0.424376279378345),
    ("conger", None): (0.762817441303306, 0.149168152480174, 0.434500551337453),
    ("bennett_s", None): (0.772727272727273, 0.144716619899483, 0.454208139911146),
    ("alpha", None): (0.743421052631579, 0.145573886984835, 0.419062219209115),
    ("ac1", "quadratic"): (0.914000723551605, 0.10396224464506, 0.685181365878915),
    ("fleiss", "quadratic"): (0.864935064935065, 0.146033610756912, 0.543517254785772),
    ("conger", "quadratic"): (0.857710656222534, 0.143670663828733, 0.541493657196225),
    ("bennett_s", "quadratic"): (0.901515151515152, 0.110894374973973, 0.657438277860763),
    ("alpha", "quadratic"): (0.849107142857142, 0.129129965714889, 0.561387649294899),
}


@pytest.mark.parametrize("metric, weights", list(IRRCAC_REFERENCE))
def test_standard_errors_and_intervals_match_irrcac(metric, weights):
    value, se, low = IRRCAC_REFERENCE[metric, weights]
    if metric == "alpha":  # α at the interval level is α with irrCAC's quadratic weights
        result = analytic_alpha(IRRCAC_4RATERS, "interval" if weights else "nominal")
    else:
        result = analytic_units(IRRCAC_4RATERS, metric, weights=weights)
    assert result.reason is None
    assert (result.estimate, result.se, result.low) == pytest.approx((value, se, low), abs=1e-12)
    assert result.high == 1.0  # capped, as irrCAC and AgreeStat cap it
    assert result.df == (10 if metric == "alpha" else 11)  # α counts the 11 units rated twice, the rest all 12


def test_finite_population_and_confidence_match_irrcac():
    # irrCAC: CAC(..., N=40, confidence_level=0.9); for α the sampling fraction is 12/40 although its n is 11
    ac1 = analytic_units(IRRCAC_4RATERS, "ac1", population=40, confidence=0.9)
    assert (ac1.se, ac1.low, ac1.high) == pytest.approx((0.119600509496147, 0.56065532881364, 0.99023280744035),
                                                        abs=1e-12)
    alpha = analytic_alpha(IRRCAC_4RATERS, population=40, confidence=0.9)
    assert (alpha.se, alpha.low, alpha.high) == pytest.approx(
        (0.121795852147401, 0.522670805694811, 0.964171299568346), abs=1e-12)


def test_cohen_and_scott_get_the_multi_coder_formulas_for_two_coders():
    # irrCAC conger() and fleiss() on the first two columns (missing ratings included)
    two = IRRCAC_4RATERS[:, :2]
    assert analytic_units(two, "cohen").se == pytest.approx(0.173024054881792, abs=1e-12)
    assert analytic_units(two, "scott").se == pytest.approx(0.172668548567152, abs=1e-12)
    assert analytic_units(two, "cohen").se == analytic_units(two, "conger").se


def test_percent_agreement_is_bennett_s_with_no_chance_agreement():
    """With every unit rated twice or more, S = (p_a − 1/q) / (1 − 1/q), so se(p_a) = se(S) · (1 − 1/q)."""
    # irrCAC bp() on Fleiss (1971): S 0.444444, se 0.05512283585575, q = 5
    percent = analytic_units(FLEISS_1971, "percent")
    assert percent.se == pytest.approx(0.05512283585575 * (1 - 1 / 5), abs=1e-12)
    assert analytic_units(FLEISS_1971, "fleiss").se == pytest.approx(0.054198935515333, abs=1e-12)


def test_perfect_agreement_has_zero_error_and_a_point_interval():
    table = [[1, 1, 1], [2, 2, 2], [1, 1, None], [3, 3, 3]]
    for metric in ("percent", "bennett_s", "fleiss", "conger", "ac1"):
        result = analytic_units(table, metric)
        assert (result.se, result.low, result.high) == (0.0, 1.0, 1.0)


def test_lower_limits_stop_at_the_minimum_of_percent_agreement_and_bennett_s_only():
    """p_a ≥ 0: percent agreement cannot fall below 0, nor S below −p_e / (1 − p_e); κ-type minima depend on the data
    (irrCAC caps neither, only the upper limit at 1)."""
    one_rating = [["a", "a"], ["b", "b"], ["a", None], ["b", None], ["a", "a"]]  # percent 1.000, low −0.133
    assert analytic_units(one_rating, "percent").low == 0.0
    assert analytic_units(one_rating, "fleiss").low == pytest.approx(-0.1334789677637618)
    disagreeing = [["a", "b"], ["b", "a"], ["a", "a"], ["b", "a"], ["a", "b"]]  # S −0.6 ± 1.11, q = 2: S ≥ −1
    assert analytic_units(disagreeing, "bennett_s").low == -1.0
    assert analytic_units(disagreeing, "bennett_s", categories=["a", "b", "c"]).low == pytest.approx(-0.5)  # p_e 1/3
    assert analytic_units(disagreeing, "conger").low < -1
    all_disagree = [["a", "b"], ["b", "a"], ["a", "b"]]  # S = −1, its minimum: the limit is the estimate
    assert analytic_units(all_disagree, "bennett_s").low == analytic_units(all_disagree, "bennett_s").estimate


def test_intervals_that_cannot_be_computed_say_why():
    assert "no unit was rated by two" in analytic_units([[1, None], [None, 2]], "fleiss").reason
    one_pair = analytic_alpha([[1, 2], [2, None], [None, 1]])
    assert math.isnan(one_pair.se) and "n − 1 = 0 degrees of freedom" in one_pair.reason
    ordinal = analytic_alpha(IRRCAC_4RATERS, "ordinal")
    assert not math.isnan(ordinal.estimate) and math.isnan(ordinal.se)
    assert "no analytic variance for the ordinal level" in ordinal.reason


def test_an_interval_that_cannot_be_computed_has_no_degrees_of_freedom():
    """Its JSON says df null, not 0, beside the null standard error (an undefined κ, or a single unit)."""
    for result in (analytic_units([["a", "a"], ["a", "a"]], "cohen"), analytic_alpha([[1, 2], [2, None]]),
                   analytic_alpha(IRRCAC_4RATERS, "ordinal")):
        assert result.reason and result.df is None and result.to_dict()["df"] is None
    summary = agreement_summary([["a", "a"], ["a", "a"]], ["cohen"], analytic=True)
    assert summary["cohen"]["analytic"]["df"] is None


def test_requests_are_checked():
    with pytest.raises(InputError, match="between 0 and 1"):
        analytic_units(IRRCAC_4RATERS, "ac1", confidence=95)
    with pytest.raises(InputError, match="smaller than the 12 units rated"):
        analytic_units(IRRCAC_4RATERS, "ac1", population=11)
    with pytest.raises(InputError, match="positive number"):
        analytic_alpha(IRRCAC_4RATERS, population=math.inf)
    with pytest.raises(InputError, match="analytic_alpha"):
        analytic_units(IRRCAC_4RATERS, "alpha")
    assert analytic_metric(IRRCAC_4RATERS, "alpha").se == pytest.approx(0.145573886984835, abs=1e-12)


def test_summary_keeps_analytic_and_bootstrap_intervals_apart():
    summary = agreement_summary(IRRCAC_4RATERS, ["ac1", "alpha"], analytic=True, n_boot=100)
    for entry in summary.values():
        assert entry["interval"] == "bca" and entry["method"] in ("units", "coincidences")  # the default
        assert entry["analytic"]["distribution"] == "t" and entry["analytic"]["conditional_on"] == "coders"
        assert entry["analytic"]["ci"] != entry["ci"]
    assert summary["ac1"]["analytic"]["se"] == pytest.approx(0.142949950640765, abs=1e-12)
    assert "analytic" not in agreement_summary(IRRCAC_4RATERS, ["ac1"])["ac1"]


def test_masi_alpha_says_it_has_no_analytic_interval():
    import pandas as pd

    codings = pd.DataFrame({"unit": ["s1", "s1", "s1", "s2", "s2", "s3", "s3"],
                            "coder": ["A", "A", "B", "A", "B", "A", "B"],
                            "code": ["hope", "stigma", "hope", "stigma", "hope", "hope", "hope"]})
    ratings = ratings_from_codings(codings, unit="unit")
    summary = multi_label_summary(ratings, presence_tables(codings, unit="unit"), ["ac1"], analytic=True)
    assert summary["masi_alpha"]["value"] is not None and summary["masi_alpha"]["analytic"]["se"] is None
    assert "no analytic variance for MASI-alpha" in summary["masi_alpha"]["analytic"]["reason"]
    assert summary["ac1"]["analytic"]["se"] is not None


@pytest.fixture()
def irrcac_wide(tmp_path):
    path = tmp_path / "ratings.csv"
    rows = ["unit,A,B,C,D"] + [",".join([str(u + 1), *("" if math.isnan(v) else str(int(v)) for v in row)])
                                for u, row in enumerate(IRRCAC_4RATERS)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_cli_prints_analytic_intervals_with_a_caption_that_names_them(capsys, irrcac_wide):
    code, out, err = run(capsys, irrcac_wide, "--interval", "analytic")
    assert code == 0 and err == ""
    text = " ".join(out.split())
    # the df are not the n of the tables (units rated twice, or by both sides of a comparison)
    assert "95% analytic intervals (Gwet 2014, conditional on the coders; t with m−1 df (m: units rated at least " \
           "once, for alpha at least twice; not the tables' n); upper limit" in text
    assert "SE" in text and "0.143 │ 0.461–1.000" in text  # Gwet's AC1, as irrCAC prints it rounded
    assert "upper limit capped at 1, the lower one at the minimum, 0 for percent agreement and −p_e/(1−p_e) for " \
           "Bennett's S, the others' lower limits not capped)" in text
    alone = " ".join(run(capsys, irrcac_wide, "--interval", "analytic", "-m", "fleiss")[1].split())
    assert "upper limit capped at 1, the lower limits not capped)" in alone
    assert "the others'" not in " ".join(run(capsys, irrcac_wide, "--interval", "analytic", "-m", "percent")[1].split())
    alias = " ".join(run(capsys, irrcac_wide, "--interval", "analytic", "-m", "brennan_prediger")[1].split())
    assert "upper limit capped at 1, the lower one at the minimum, −p_e/(1−p_e) for Bennett's S)" in alias
    assert "percentile" not in text
    result = json.loads(run(capsys, irrcac_wide, "--interval", "analytic", "--format", "json")[1])
    assert "ci" not in result["ac1"] and result["ac1"]["analytic"]["ci"][0] == pytest.approx(0.46081334813208)


def test_cli_both_intervals_and_the_default_output_is_unchanged(capsys, irrcac_wide):
    text = " ".join(run(capsys, irrcac_wide, "--interval", "both", "--bootstrap", "200")[1].split())
    assert "95% CI analytic" in text and "95% CI bootstrap" in text and "200 resamples" in text
    both = json.loads(run(capsys, irrcac_wide, "--interval", "both", "--format", "json")[1])
    assert both["ac1"]["n_boot"] == 1000 and "analytic" in both["ac1"]
    plain = json.loads(run(capsys, irrcac_wide, "--format", "json", "--bootstrap", "100")[1])
    assert all("analytic" not in entry for name, entry in plain.items() if name not in ("n_units", "coders"))
    default = run(capsys, irrcac_wide)[1]
    assert "SE" not in default and "CI" not in default


def test_cli_population_and_ordinal_alpha(capsys, irrcac_wide):
    text = " ".join(run(capsys, irrcac_wide, "--interval", "analytic", "--population", "40", "-m", "ac1", "-m",
                        "alpha", "--level", "ordinal")[1].split())
    assert "finite-population correction for N = 40 units" in text
    assert "upper limit capped at 1, the lower limits not capped;" in text  # neither AC1 nor alpha has a lower cap
    assert "no analytic variance for the ordinal level" in text


@pytest.mark.parametrize("args, message", [
    (["--interval", "analytic", "--bootstrap", "100"], "--interval analytic draws no bootstrap"),
    (["--interval", "both", "--bootstrap", "0"], "--interval both needs bootstrap resamples"),
    (["--interval", "percentile"], "--interval must be one of bootstrap, analytic, both"),
    (["--population", "40"], "--population corrects the analytic intervals"),
    (["--interval", "analytic", "--population", "5"], "smaller than the 12 units rated"),
    (["--interval", "analytic", "--population", "0"], "--population must be a number of units"),
])
def test_cli_interval_mistakes_are_one_line_errors(capsys, irrcac_wide, args, message):
    code, out, err = run(capsys, irrcac_wide, *args)
    assert code != 0 and out == ""
    assert err.startswith("theme-assist: error:") and message in err and err.count("\n") == 1


def test_light_kappa_has_no_analytic_interval_and_says_why():
    result = analytic_metric(IRRCAC_4RATERS, "light", weights="linear")
    assert result.estimate == pytest.approx(compute_metric("light", as_rating_table(IRRCAC_4RATERS),
                                                           weights="linear").value)
    assert math.isnan(result.se) and result.df is None and "Light's kappa" in result.reason
    assert "no unit" in analytic_metric([[1, None, None], [None, 2, None]], "light").reason
    entry = agreement_summary(IRRCAC_4RATERS, ["light"], analytic=True, n_boot=50)["light"]
    assert entry["value"] is not None and entry["ci"][0] is not None and entry["analytic"]["ci"] == [None, None]
