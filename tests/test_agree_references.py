"""Property tests: the coefficients agree with the reference packages on random tables, missing data included.

References: krippendorff (α), statsmodels (Fleiss' κ), scikit-learn (Cohen's κ, linear and quadratic weights),
irrCAC (Gwet's implementations: Fleiss, Conger, AC1/AC2, Brennan-Prediger, α, with missing ratings, and their
analytic standard errors and intervals) and nltk
(Scott/Fleiss π, S, Davies-Fleiss κ, α with binary and MASI distances).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from theme_assist.agree import (
    analytic_metric,
    bennett_s,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac,
    krippendorff_alpha,
    light_kappa,
    masi_distance,
    percent_agreement,
    scott_pi,
)

krippendorff = pytest.importorskip("krippendorff")
irr_raw = pytest.importorskip("irrCAC.raw")
inter_rater = pytest.importorskip("statsmodels.stats.inter_rater")
sklearn_metrics = pytest.importorskip("sklearn.metrics")
nltk_agreement = pytest.importorskip("nltk.metrics.agreement")
nltk_distance = pytest.importorskip("nltk.metrics.distance")

pytestmark = pytest.mark.filterwarnings("ignore::pandas.errors.SettingWithCopyWarning")  # inside irrCAC

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def rating_tables(draw, min_coders=2, max_coders=5, missing=True, max_categories=5):
    """Units × coders of integer ratings 1..q as floats, NaN where missing; every coder rates something."""
    n_units = draw(st.integers(3, 25))
    n_coders = draw(st.integers(min_coders, max_coders))
    q = draw(st.integers(2, max_categories))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, q + 1, n_units)
    noisy = rng.integers(1, q + 1, (n_units, n_coders))
    table = np.where(rng.random((n_units, n_coders)) < draw(st.floats(0, 1)), truth[:, None], noisy).astype(float)
    if missing:
        table[rng.random(table.shape) < draw(st.floats(0, 0.4))] = np.nan
        table[0, :2] = truth[0]  # at least one pairable unit
        table[1, :] = np.where(np.isnan(table[1]), truth[1], table[1])  # every coder rates something
    return table


def irrcac(table, weights="identity"):
    return irr_raw.CAC(pd.DataFrame(table), weights=weights, digits=14)


def defined(result):
    assume(result.defined)
    return result.value


@SETTINGS
@given(rating_tables(), st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_alpha_matches_krippendorff_package(table, level):
    ours = defined(krippendorff_alpha(table, level))
    theirs = krippendorff.alpha(reliability_data=table.T, level_of_measurement=level)
    assert ours == pytest.approx(theirs, abs=1e-9)


@SETTINGS
@given(rating_tables())
def test_alpha_matches_irrcac_and_nltk(table):
    ours = defined(krippendorff_alpha(table))
    assert ours == pytest.approx(irrcac(table).krippendorff()["est"]["coefficient_value"], abs=1e-9)
    triples = [(c, u, v) for (u, c), v in np.ndenumerate(table) if not np.isnan(v)]
    assert ours == pytest.approx(nltk_agreement.AnnotationTask(triples).alpha(), abs=1e-9)


@SETTINGS
@given(rating_tables(), st.sampled_from(["identity", "linear", "quadratic"]))
def test_gwet_family_matches_irrcac_with_missing_ratings(table, weights):
    ours_weights = None if weights == "identity" else weights
    ac = defined(gwet_ac(table, weights=ours_weights))
    reference = irrcac(table, weights)
    assert ac == pytest.approx(reference.gwet()["est"]["coefficient_value"], abs=1e-9)
    assert bennett_s(table, weights=ours_weights).value == pytest.approx(
        reference.bp()["est"]["coefficient_value"], abs=1e-9)
    fleiss = fleiss_kappa(table, weights=ours_weights)
    if fleiss.defined:
        assert fleiss.value == pytest.approx(reference.fleiss()["est"]["coefficient_value"], abs=1e-9)
        assert fleiss.observed_agreement == pytest.approx(reference.fleiss()["est"]["pa"], abs=1e-9)
        assert percent_agreement(table, weights=ours_weights).value == pytest.approx(fleiss.observed_agreement)


@SETTINGS
@given(rating_tables(), st.sampled_from(["identity", "linear", "quadratic"]))
def test_conger_matches_irrcac_with_missing_ratings(table, weights):
    ours = defined(conger_kappa(table, weights=None if weights == "identity" else weights))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # irrCAC's variance step divides by zero on tiny tables
        theirs = irrcac(table, weights).conger()["est"]["coefficient_value"]
    assert ours == pytest.approx(theirs, abs=1e-9)


@SETTINGS
@given(rating_tables(min_coders=2, max_coders=2))
def test_two_coder_coefficients_match_irrcac_with_missing_ratings(table):
    """Cohen's κ is Conger's κ for two coders, Scott's π is Fleiss' κ, under Gwet's missing-data rules."""
    kappa = defined(cohen_kappa(table[:, 0], table[:, 1]))
    reference = irrcac(table)
    assert kappa == pytest.approx(reference.conger()["est"]["coefficient_value"], abs=1e-9)
    pi = scott_pi(table)
    if pi.defined:
        assert pi.value == pytest.approx(reference.fleiss()["est"]["coefficient_value"], abs=1e-9)


@SETTINGS
@given(rating_tables(max_coders=6), st.sampled_from(["identity", "linear", "quadratic"]),
       st.sampled_from([0.9, 0.95, 0.99]), st.sampled_from([None, 1000]))
def test_analytic_intervals_match_irrcac_with_missing_ratings(table, weights, confidence, population):
    """Gwet's (2014) standard errors and t intervals: AC1/AC2, Fleiss, Conger, Brennan-Prediger and α."""
    assume(np.unique(table[~np.isnan(table)]).size > 1)  # irrCAC's weights divide by the range of the categories
    reference = irr_raw.CAC(pd.DataFrame(table), weights=weights, digits=14, confidence_level=confidence,
                            N=population or np.inf)
    level = {"identity": "nominal", "quadratic": "interval"}.get(weights)
    pairs = [(name, method) for name, method in (("ac1", "gwet"), ("fleiss", "fleiss"), ("conger", "conger"),
                                                 ("bennett_s", "bp"), ("alpha", "krippendorff"))
             if name != "alpha" or level]
    for name, method in pairs:
        ours = analytic_metric(table, name, weights=None if weights == "identity" else weights, level=level,
                               confidence=confidence, population=population)
        if ours.reason:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = getattr(reference, method)()["est"]
        se = 0.0 if theirs["se"] == 1e-15 else theirs["se"]  # irrCAC's stand-in for a zero standard error
        low, high = theirs["confidence_interval"]
        if name == "bennett_s":  # we cap the lower limit at S's minimum, p_a = 0; irrCAC does not
            low = max(low, -theirs["pe"] / (1 - theirs["pe"]))
        assert (ours.estimate, ours.se, ours.low, ours.high) == pytest.approx(
            (theirs["coefficient_value"], se, low, high), abs=1e-9), name


@SETTINGS
@given(rating_tables(min_coders=2, max_coders=2, missing=False), st.sampled_from([None, "linear", "quadratic"]))
def test_cohen_matches_scikit_learn(table, weights):
    first, second = table[:, 0].astype(int), table[:, 1].astype(int)
    ours = defined(cohen_kappa(first, second, weights=weights))
    # scikit-learn weighs by label position, we by value (as Gwet 2014): the same on a gap-free integer scale
    labels = np.arange(table.min(), table.max() + 1)
    theirs = sklearn_metrics.cohen_kappa_score(first, second, weights=weights, labels=labels)
    assert ours == pytest.approx(theirs, abs=1e-9)


@pytest.mark.parametrize("seed", range(8))
def test_light_kappa_is_the_mean_of_scikit_learn_and_irrcac_pairwise_kappas(seed):
    """Light's κ against each pair's κ by scikit-learn (unweighted) and irrCAC (weighted by value) on the units both
    coders of the pair rated, on random tables of 3-5 coders with missing ratings; undefined pairs left out."""
    rng = np.random.default_rng(seed)
    n_units, n_coders, q = rng.integers(15, 40), rng.integers(3, 6), rng.integers(2, 5)
    truth = rng.integers(1, q + 1, n_units)
    table = np.where(rng.random((n_units, n_coders)) < 0.6, truth[:, None],
                     rng.integers(1, q + 1, (n_units, n_coders))).astype(float)
    table[rng.random(table.shape) < 0.3] = np.nan
    for weights in ("identity", "linear", "quadratic"):
        kappas = []
        for first in range(n_coders):
            for second in range(first + 1, n_coders):
                pair = table[:, [first, second]]
                pair = pair[~np.isnan(pair).any(axis=1)]
                if np.unique(pair).size < 2:  # no unit both rated, or no variation: κ undefined, left out
                    continue
                if weights == "identity":
                    kappas.append(sklearn_metrics.cohen_kappa_score(pair[:, 0], pair[:, 1]))
                else:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        kappas.append(irrcac(pair, weights).conger()["est"]["coefficient_value"])
        ours = light_kappa(table, weights=None if weights == "identity" else weights)
        assert ours.n_pairs - ours.n_pairs_undefined == len(kappas)
        assert ours.value == pytest.approx(np.mean(kappas), abs=1e-9), weights


@SETTINGS
@given(rating_tables(missing=False))
def test_fleiss_matches_statsmodels(table):
    ours = defined(fleiss_kappa(table))
    counts, _ = inter_rater.aggregate_raters(table.astype(int))
    assert ours == pytest.approx(inter_rater.fleiss_kappa(counts, method="fleiss"), abs=1e-9)


@SETTINGS
@given(rating_tables(min_coders=2, max_coders=2, missing=False))
def test_cohen_matches_statsmodels(table):
    ours = defined(cohen_kappa(table))
    contingency, _ = inter_rater.to_table(table.astype(int))
    assert ours == pytest.approx(inter_rater.cohens_kappa(contingency, return_results=False), abs=1e-9)


@SETTINGS
@given(rating_tables(missing=False))
def test_pi_s_and_multi_kappa_match_nltk(table):
    """nltk: ``pi`` is Fleiss' κ (multi-π), ``S`` Bennett's S, ``multi_kappa`` (Davies & Fleiss 1982) equals
    Conger's κ on complete data."""
    task = nltk_agreement.AnnotationTask([(c, u, v) for (u, c), v in np.ndenumerate(table)])
    fleiss = defined(fleiss_kappa(table))
    assert fleiss == pytest.approx(task.pi(), abs=1e-9)
    assert bennett_s(table).value == pytest.approx(task.S(), abs=1e-9)
    conger = conger_kappa(table)
    if conger.defined:
        assert conger.value == pytest.approx(task.multi_kappa(), abs=1e-9)


@st.composite
def label_set_tables(draw):
    """Units × coders of label sets (multi-label coding), None where missing."""
    n_units, n_coders = draw(st.integers(3, 12)), draw(st.integers(2, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    labels = np.array(["a", "b", "c", "d"])

    def label_set():  # non-empty: nltk's masi_distance divides by zero on two empty sets
        return frozenset(labels[rng.random(4) < 0.4]) or frozenset(rng.choice(labels, 1))

    rows = []
    for _ in range(n_units):
        base = label_set()
        row = [base if rng.random() < 0.6 else label_set() for _ in range(n_coders)]
        rows.append([None if rng.random() < 0.2 else cell for cell in row])
    rows[0][:2] = [frozenset("a"), frozenset("ab")]
    return rows


@SETTINGS
@given(label_set_tables())
def test_masi_alpha_matches_nltk(rows):
    table = np.empty((len(rows), len(rows[0])), dtype=object)
    table[:] = rows
    ours = defined(krippendorff_alpha(table, "masi"))
    triples = [(c, u, cell) for u, row in enumerate(rows) for c, cell in enumerate(row) if cell is not None]
    theirs = nltk_agreement.AnnotationTask(triples, distance=nltk_distance.masi_distance).alpha()
    assert ours == pytest.approx(theirs, abs=1e-9)


@SETTINGS
@given(st.frozensets(st.sampled_from("abcde"), min_size=1), st.frozensets(st.sampled_from("abcde"), min_size=1))
def test_masi_distance_matches_nltk(first, second):
    assert masi_distance(first, second) == pytest.approx(nltk_distance.masi_distance(set(first), set(second)))
