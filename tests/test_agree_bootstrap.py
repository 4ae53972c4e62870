"""Bootstrap intervals: seeded, centred on the estimate, honest about undefined resamples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from theme_assist.agree import krippendorff_alpha
from theme_assist.agree.bootstrap import bootstrap_alpha, bootstrap_metric, bootstrap_units
from theme_assist.errors import InputError

from tests.test_agree_examples import KRIPPENDORFF_2011


def noisy_table(n_units=200, n_coders=3, agreement=0.8, seed=1):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 4, n_units)
    noise = rng.integers(0, 4, (n_units, n_coders))
    return np.where(rng.random((n_units, n_coders)) < agreement, truth[:, None], noise).astype(float)


@pytest.mark.parametrize("method", ["units", "coincidences"])
def test_alpha_bootstrap_is_reproducible_and_seeded(method):
    first = bootstrap_alpha(KRIPPENDORFF_2011, n_boot=500, seed=7, method=method)
    again = bootstrap_alpha(KRIPPENDORFF_2011, n_boot=500, seed=7, method=method)
    other = bootstrap_alpha(KRIPPENDORFF_2011, n_boot=500, seed=8, method=method)
    np.testing.assert_array_equal(first.samples, again.samples)
    assert not np.array_equal(first.samples, other.samples)
    assert first.method == method and first.n_boot == 500


def test_alpha_bootstrap_resamples_units_by_default():
    """Each resample is α on the units drawn with replacement (nominal and interval distances do not depend on
    the data, so recomputing α on the drawn rows gives the same values)."""
    table = noisy_table(n_units=40, n_coders=3, seed=5)
    table[np.random.default_rng(0).random(table.shape) < 0.2] = np.nan
    drawn = np.random.default_rng(11).integers(0, 40, size=(5, 40))
    for level in ("nominal", "interval"):
        result = bootstrap_alpha(table, level, n_boot=5, seed=11)
        assert result.method == "units"
        np.testing.assert_allclose(result.samples, [krippendorff_alpha(table[rows], level).value for rows in drawn])


@pytest.mark.parametrize("interval", ["percentile", "bca"])
def test_alpha_bootstrap_leaves_out_units_nobody_rated_as_the_others_do(interval):
    """A wide file's blank row (a unit nobody rated) was drawn by alpha's units bootstrap alone: its interval moved,
    every other coefficient's stayed (they leave such units out before resampling)."""
    table = noisy_table(n_units=60, n_coders=3, seed=3)
    table[np.random.default_rng(2).random(table.shape) < 0.2] = np.nan
    table = table[~np.isnan(table).all(axis=1)]
    blank = np.vstack([table[:30], np.full((1, 3), np.nan), table[30:]])
    for metric in ("alpha", "fleiss"):
        rated = bootstrap_metric(table, metric, n_boot=300, seed=4, interval=interval)
        with_blank = bootstrap_metric(blank, metric, n_boot=300, seed=4, interval=interval)
        np.testing.assert_array_equal(rated.samples, with_blank.samples)
        assert (rated.low, rated.high) == (with_blank.low, with_blank.high)


def test_coincidence_bootstrap_draws_what_it_drew_as_the_default():
    """Hayes & Krippendorff's bootstrap, the default until units replaced it, still gives the same interval."""
    result = bootstrap_alpha(KRIPPENDORFF_2011, n_boot=1000, seed=0, method="coincidences")
    assert result.method == "coincidences"
    assert (result.low, result.high) == pytest.approx((0.6151315789473684, 0.8717105263157895))
    assert result.p_below == pytest.approx({0.667: 0.132, 0.8: 0.776})


def test_coincidence_bootstrap_is_too_narrow_beside_units_with_many_coders():
    """With six coders each unit's 15 pairs count as independent draws: the coincidences' interval is narrower
    than the units' (in evaluation/results/interval_coverage.md it held the population value 76% of the time)."""
    table = noisy_table(n_units=50, n_coders=6, agreement=0.6, seed=3)
    units = bootstrap_alpha(table, n_boot=1000, seed=0)
    pairs = bootstrap_alpha(table, n_boot=1000, seed=0, method="coincidences")
    assert pairs.high - pairs.low < 0.8 * (units.high - units.low)


def test_alpha_bootstrap_interval_brackets_the_estimate():
    """Resampling the coincidences keeps D_o unbiased, so α* centres on α (Hayes & Krippendorff 2007)."""
    result = bootstrap_alpha(KRIPPENDORFF_2011, "interval", n_boot=4000, seed=0, method="coincidences")
    estimate = krippendorff_alpha(KRIPPENDORFF_2011, "interval").value
    assert result.estimate == estimate
    assert result.low < estimate < result.high <= 1.0
    assert np.mean(result.samples) == pytest.approx(estimate, abs=0.02)
    assert set(result.p_below) == {0.667, 0.8}
    assert 0 <= result.p_below[0.667] <= result.p_below[0.8] <= 1


def test_more_draws_narrow_the_alpha_interval():
    table = noisy_table()
    default = bootstrap_alpha(table, n_boot=1000, seed=0, method="coincidences")
    every_pair = bootstrap_alpha(table, n_boot=1000, seed=0, draws=600, method="coincidences")
    assert every_pair.high - every_pair.low < default.high - default.low


def test_perfect_agreement_gives_a_degenerate_interval_at_one():
    table = [[1, 1], [2, 2], [3, 3]] * 10
    result = bootstrap_alpha(table, n_boot=200, seed=0)
    assert result.estimate == 1.0
    assert result.low == result.high == 1.0
    assert result.p_below == {0.667: 0.0, 0.8: 0.0}


def test_resamples_without_variation_count_as_zero():
    """Krippendorff's correction: a resample drawn from one diagonal cell only has no variation, α* := 0.
    Here M = 5 pairs and the diagonal cells have probabilities .4, .4, .2, so that happens with probability
    2 × .4⁵ + .2⁵ = 0.0208."""
    table = [[1, 1], [2, 2], [1, 1], [2, 2], [3, 3]]
    result = bootstrap_alpha(table, n_boot=4000, seed=0, method="coincidences")
    assert set(np.unique(result.samples)) == {0.0, 1.0}
    assert np.mean(result.samples == 0.0) == pytest.approx(0.0208, abs=0.008)


def test_undefined_alpha_has_no_interval_and_says_why():
    result = bootstrap_alpha([[1, 1], [1, 1]], n_boot=100)
    assert math.isnan(result.low) and math.isnan(result.high)
    assert "variation" in result.reason
    assert result.to_dict()["ci"] == [None, None]


@pytest.mark.parametrize("metric", ["percent", "cohen", "scott", "bennett_s", "fleiss", "conger", "ac1"])
def test_unit_bootstrap_for_every_chance_corrected_metric(metric):
    table = noisy_table(n_coders=2)
    result = bootstrap_units(table, metric, n_boot=300, seed=3)
    assert result.method == "units"
    assert result.low <= result.estimate <= result.high
    np.testing.assert_array_equal(result.samples, bootstrap_units(table, metric, n_boot=300, seed=3).samples)


def test_unit_bootstrap_matches_recomputing_on_resampled_units():
    """The weighted-sum shortcut equals computing the coefficient on each resampled table."""
    from theme_assist.agree import conger_kappa

    table = noisy_table(n_units=40, n_coders=3, seed=5)
    table[np.random.default_rng(0).random(table.shape) < 0.2] = np.nan
    result = bootstrap_units(table, "conger", n_boot=5, seed=11)
    rng = np.random.default_rng(11)
    drawn = rng.integers(0, 40, size=(5, 40))
    recomputed = [conger_kappa(table[rows]).value for rows in drawn]
    np.testing.assert_allclose(result.samples, recomputed)


def test_conger_resample_without_a_coders_units_leaves_that_coder_out():
    """Conger's κ leaves out a coder without ratings; a resample that draws none of a coder's units must too,
    instead of counting as undefined and narrowing the interval to the draws that happened to include them."""
    from theme_assist.agree import conger_kappa

    table = noisy_table(n_units=30, n_coders=3, seed=2)
    table[1:, 2] = np.nan  # the third coder rated one unit only
    result = bootstrap_units(table, "conger", n_boot=40, seed=4)
    drawn = np.random.default_rng(4).integers(0, 30, size=(40, 30))
    recomputed = [conger_kappa(table[rows]).value for rows in drawn]
    assert result.n_undefined == 0
    np.testing.assert_allclose(result.samples, recomputed)


def test_cohen_interval_of_a_pair_one_of_whom_rated_nothing_is_undefined():
    """The coders' majority beside the machine is empty where the coders share no unit: Cohen's κ of that pair has
    no value, and its bootstrap and analytic intervals none either (they refused the pair as a table of one coder,
    so `agree --machine --bootstrap` failed where it printed the rows without intervals)."""
    from theme_assist.agree.analytic import analytic_metric

    table = [["a", None], ["b", None], ["a", None]]
    result = bootstrap_units(table, "cohen", n_boot=50, seed=0)
    assert math.isnan(result.low) and result.reason == "fewer than two coders gave any rating"
    assert math.isnan(analytic_metric(table, "cohen").low)


def test_unit_bootstrap_counts_undefined_resamples():
    table = [[0, 0]] * 9 + [[1, 1]]
    result = bootstrap_units(table, "cohen", n_boot=200, seed=0)
    assert result.n_undefined > 0
    assert result.n_undefined + np.isfinite(result.samples).sum() == 200


def test_bootstrap_dispatch_and_validation():
    assert bootstrap_metric(KRIPPENDORFF_2011, "alpha", n_boot=50).method == "units"
    assert bootstrap_metric(KRIPPENDORFF_2011, "alpha", n_boot=50, alpha_method="coincidences").method == \
        "coincidences"
    assert bootstrap_metric(KRIPPENDORFF_2011, "fleiss", n_boot=50).method == "units"
    for n_boot in (0, 100_001):  # beyond 100,000 resamples memory grows for nothing
        with pytest.raises(InputError, match="between 1 and 100,000; got"):
            bootstrap_alpha(KRIPPENDORFF_2011, n_boot=n_boot)
    with pytest.raises(InputError, match="between 0 and 1"):
        bootstrap_units(KRIPPENDORFF_2011, "fleiss", confidence=95)
    with pytest.raises(InputError, match="bootstrap_alpha"):
        bootstrap_units(KRIPPENDORFF_2011, "alpha")
    with pytest.raises(InputError, match="one of units, coincidences; got 'pairs'"):
        bootstrap_alpha(KRIPPENDORFF_2011, method="pairs")
    with pytest.raises(InputError, match="clustered rows"):
        bootstrap_alpha(KRIPPENDORFF_2011, clusters=0, method="coincidences")


@pytest.mark.parametrize("weights", [None, "quadratic"])
def test_light_bootstrap_matches_recomputing_on_resampled_units(weights):
    """Each resample's Light's κ is the mean pairwise κ of the resampled table, a pair it leaves undefined left out."""
    from theme_assist.agree import light_kappa

    table = noisy_table(n_units=30, n_coders=4, seed=8)
    table[np.random.default_rng(1).random(table.shape) < 0.3] = np.nan
    table[:, 0] = np.where(np.isnan(table).all(axis=1), 1.0, table[:, 0])  # every unit rated by someone
    table[:25, 3] = np.nan  # the fourth coder shares few units: some resamples leave their pairs undefined
    result = bootstrap_metric(table, "light", weights=weights, n_boot=60, seed=11)
    drawn = np.random.default_rng(11).integers(0, 30, size=(60, 30))
    recomputed = [light_kappa(table[rows], weights=weights).value for rows in drawn]
    np.testing.assert_allclose(result.samples, recomputed)
    assert result.method == "units" and result.low <= result.estimate <= result.high
    assert any(light_kappa(table[rows]).n_pairs_undefined for rows in drawn)


def test_bca_matches_scipy_on_weighted_percent_agreement():
    """Two coders' weighted percent agreement is the mean of each unit's agreement: a one-sample mean, for which
    scipy.stats.bootstrap's BCa applies too. Drawn from the same generator, the resamples are the same, and so are
    the bias correction, the acceleration and the interval. The ratings are near-continuous so that no resample ties
    with the estimate: scipy counts only exact ties (half), this module also those apart by rounding."""
    from scipy import stats

    rng = np.random.default_rng(4)
    first = rng.normal(0.0, 1.0, 80).round(3)
    table = np.column_stack([first, (first + rng.normal(0.0, 0.5, 80) * (rng.random(80) < 0.6)).round(3)])
    categories = np.unique(table)
    per_unit = 1.0 - ((table[:, 0] - table[:, 1]) / (categories.max() - categories.min())) ** 2
    result = bootstrap_units(table, "percent", weights="quadratic", n_boot=3000, seed=9, interval="bca")
    assert math.isclose(result.estimate, per_unit.mean())
    expected = stats.bootstrap((per_unit,), np.mean, n_resamples=3000, method="BCa",
                               random_state=np.random.default_rng(9))
    np.testing.assert_allclose(np.sort(result.samples), np.sort(expected.bootstrap_distribution))
    np.testing.assert_allclose([result.low, result.high], [expected.confidence_interval.low,
                                                          expected.confidence_interval.high], rtol=1e-9)
    assert result.interval == "bca" and result.interval_reason is None and result.acceleration != 0
    percentile = bootstrap_units(table, "percent", weights="quadratic", n_boot=3000, seed=9)
    assert (percentile.low, percentile.high) != (result.low, result.high)
    np.testing.assert_array_equal(percentile.samples, result.samples)  # the same resamples, read otherwise


def test_bca_acceleration_leaves_out_one_cluster_at_a_time():
    """With clusters (a unit's rows of a table stacked over codes) the jackknife leaves out a whole unit: the
    acceleration is that of κ pooled over codes recomputed without each unit in turn."""
    import pandas as pd

    from theme_assist.agree.bootstrap import bootstrap_pooled
    from theme_assist.agree.coefficients import de_vries_kappa

    rng = np.random.default_rng(2)
    index = pd.MultiIndex.from_product([["a", "b", "c"], range(25)], names=["code", "unit"])
    truth = rng.integers(0, 2, len(index))
    table = pd.DataFrame(np.where(rng.random((len(index), 2)) < 0.8, truth[:, None], 1 - truth[:, None]),
                         index=index)
    result = bootstrap_pooled(table, "cohen", clusters="unit", n_boot=400, seed=1, interval="bca")
    left_out = np.array([de_vries_kappa(table.drop(unit, level="unit"), "cohen", codes="code").value
                         for unit in range(25)])
    deviations = left_out.mean() - left_out
    assert math.isclose(result.acceleration, np.sum(deviations ** 3) / (6 * np.sum(deviations ** 2) ** 1.5))
    assert result.interval == "bca" and result.low < result.estimate < result.high


def test_bca_leaves_out_groups_of_units_beyond_jackknife_groups(monkeypatch):
    """One coefficient per unit left out costs time growing with the square of the units (about 10 minutes for
    agree --bootstrap on 100,000 units): beyond JACKKNIFE_GROUPS, each jackknife row leaves out an interleaved group,
    every unit in exactly one, and the acceleration is that of κ recomputed without each group."""
    from theme_assist.agree import bootstrap as module
    from theme_assist.agree.coefficients import cohen_kappa

    table = noisy_table(n_units=60, n_coders=2, seed=5)
    monkeypatch.setattr(module, "JACKKNIFE_GROUPS", 7)
    rows = np.concatenate(list(module._jackknife_weights(module.as_rating_table(table), None)))
    assert rows.shape == (7, 60) and ((rows == 0).sum(axis=0) == 1).all()
    result = bootstrap_units(table, "cohen", n_boot=200, seed=0, interval="bca")
    left_out = np.array([cohen_kappa(table[np.arange(60) % 7 != group]).value for group in range(7)])
    deviations = left_out.mean() - left_out
    assert math.isclose(result.acceleration, np.sum(deviations ** 3) / (6 * np.sum(deviations ** 2) ** 1.5))


@pytest.mark.parametrize("clusters", [False, True])
def test_resamples_and_jackknife_are_the_same_in_batches_of_any_size(monkeypatch, clusters):
    """The resamples and the jackknife rows come in batches worked out in one place (bootstrap._batches), bounding
    memory: small batches, of one row or with a last one short, give the same interval as one batch."""
    from theme_assist.agree import bootstrap as module

    table = noisy_table(n_units=30, n_coders=2, seed=4)
    if clusters:  # 10 sites of 3 units each
        table = pd.DataFrame(table, index=pd.MultiIndex.from_arrays([np.arange(30) // 3, np.arange(30)]))
    options = {"clusters": 0} if clusters else {}
    whole = bootstrap_units(table, "cohen", n_boot=101, seed=3, interval="bca", **options)
    for per_batch in (1, 70):  # a row, or two rows of 30 units a batch
        monkeypatch.setattr(module, "_DRAWS_PER_BATCH", per_batch)
        batched = bootstrap_units(table, "cohen", n_boot=101, seed=3, interval="bca", **options)
        # the same resamples and jackknife rows; the matrix products' last bits may differ with a batch's rows
        np.testing.assert_allclose(batched.samples, whole.samples, rtol=1e-12)
        np.testing.assert_allclose([batched.low, batched.high, batched.acceleration],
                                   [whole.low, whole.high, whole.acceleration], rtol=1e-12)


def test_bca_equals_percentile_machinery_where_each_row_is_its_own_cluster():
    table = noisy_table(n_units=40, n_coders=3, seed=3)
    import pandas as pd

    plain = bootstrap_alpha(table, n_boot=300, seed=2, interval="bca")
    clustered = bootstrap_alpha(pd.DataFrame(table), n_boot=300, seed=2, clusters=0, interval="bca")
    assert (plain.low, plain.high, plain.acceleration) == (clustered.low, clustered.high, clustered.acceleration)


def test_bca_falls_back_to_percentile_with_the_reason():
    from theme_assist.agree.bootstrap import _bca_terms

    agreeing = [[0, 0], [1, 1], [2, 2], [0, 0], [1, 1]]  # κ = 1 on every resample where it is defined
    result = bootstrap_units(agreeing, "cohen", n_boot=200, seed=0, interval="bca")
    assert result.interval == "percentile" and result.requested == "bca"
    assert result.interval_reason == "every resample gave the same value"
    assert (result.low, result.high) == (1.0, 1.0)
    assert result.to_dict()["interval"] == "percentile"
    assert result.to_dict()["interval_reason"] == "every resample gave the same value"
    jackknife = np.array([0.4, 0.5, 0.6])
    assert "below every resample" in _bca_terms(0.1, np.array([0.2, 0.3]), jackknife)[2]
    assert "above every resample" in _bca_terms(0.4, np.array([0.2, 0.3]), jackknife)[2]
    assert "undefined with some unit left out" in _bca_terms(0.25, np.array([0.2, 0.3]),
                                                             np.array([0.4, np.nan]))[2]
    assert "every unit left out gives the same value" in _bca_terms(0.25, np.array([0.2, 0.3]), np.full(3, 0.5))[2]
    assert _bca_terms(0.25, np.array([0.2, 0.3]), jackknife)[2] is None


def test_bca_validation():
    assert "interval_reason" not in bootstrap_units(KRIPPENDORFF_2011, "fleiss", n_boot=50).to_dict()
    with pytest.raises(InputError, match="one of percentile, bca; got 'BCa'"):
        bootstrap_units(KRIPPENDORFF_2011, "fleiss", n_boot=50, interval="BCa")
    with pytest.raises(InputError, match="coincidence bootstrap does not resample"):
        bootstrap_alpha(KRIPPENDORFF_2011, n_boot=50, method="coincidences", interval="bca")
    undefined = bootstrap_units([[0, 0], [0, 0]], "cohen", n_boot=50, interval="bca")
    assert undefined.n_boot == 0 and math.isnan(undefined.low) and undefined.to_dict()["interval"] == "bca"


def test_bca_falls_back_where_its_levels_would_wrap_round():
    """An estimate below all but one of 100,000 resamples (z0 about -4.3) and an acceleration near -1/6 put the lower
    level's denominator 1 - a (z0 + z) below 0: there the adjusted levels wrap round and may cross."""
    from theme_assist.agree.bootstrap import _summarise

    samples = np.linspace(0.0, 1.0, 100_000)
    jackknife = np.r_[np.zeros(999), 1.0]
    result = _summarise(samples[1] / 2, samples, 0.95, (), "units", "bca", jackknife)
    assert result.acceleration < -0.16 and result.bias_correction < -4
    assert result.interval == "percentile" and "acceleration is too large" in result.interval_reason
    assert result.low <= result.high


@pytest.mark.parametrize("metric", ["alpha", "cohen", "conger"])
def test_many_codes_are_resampled_without_an_array_of_code_pairs(metric):
    """Alpha's and Conger's (Cohen's) kappa's resamples sum their terms over pairs of codes as they go: 2,000 units of
    500 codes held a units × codes × codes array (4 GB) and one per batch of resamples (2 GB each): 16 GB in all."""
    import tracemalloc

    rng = np.random.default_rng(0)
    codes = rng.integers(0, 200, size=300)
    table = np.column_stack([codes, np.where(rng.random(300) < 0.6, codes, rng.integers(0, 200, size=300))])
    tracemalloc.start()
    try:
        result = (bootstrap_alpha(table, n_boot=200, seed=0) if metric == "alpha" else
                  bootstrap_units(table, metric, n_boot=200, seed=0))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.low < result.estimate < result.high
    assert peak < 30e6  # 200 resamples × 200 × 200 codes: 64 MB an array


def test_the_metrics_of_a_summary_draw_their_resamples_once(monkeypatch):
    """Every metric of a summary resamples the same units with the same seed: the resamples (and BCa's jackknife
    weights) are drawn once and given again, read-only, with the figures each bootstrap gives alone; they are let go
    once the summary is done."""
    from theme_assist.agree import bootstrap
    from theme_assist.agree.report import agreement_summary

    table = noisy_table(n_units=60, n_coders=2, seed=3)
    table[np.random.default_rng(2).random(table.shape) < 0.1] = np.nan
    metrics = ["percent", "cohen", "ac1", "alpha"]
    alone = {}
    for name in metrics:
        bootstrap._KEPT.clear()
        alone[name] = bootstrap_metric(table, name, n_boot=300, seed=4, interval="bca")
    generators = []
    make = np.random.default_rng
    monkeypatch.setattr(bootstrap.np.random, "default_rng", lambda *a: generators.append(a) or make(*a))
    bootstrap._KEPT.clear()
    summary = agreement_summary(table, metrics, n_boot=300, seed=4)
    assert len(generators) == 1
    for name in metrics:
        assert summary[name]["ci"] == [alone[name].low, alone[name].high]
        assert summary[name]["acceleration"] == alone[name].acceleration
    assert not bootstrap._KEPT  # let go once the summary is done
    with bootstrap.shared_resamples():
        bootstrap_metric(table, "fleiss", n_boot=300, seed=4, interval="bca")
        kept = [batch for _, batches in bootstrap._KEPT.values() for batch in batches]
        assert len(kept) == 2 and not any(batch.flags.writeable for batch in kept)
        with pytest.raises(ValueError):
            kept[0][0, 0] = 5.0
    assert not bootstrap._KEPT
    bootstrap_metric(table, "fleiss", n_boot=300, seed=4, interval="bca")
    assert not bootstrap._KEPT and len(generators) == 3  # outside a summary nothing is kept


def test_the_coincidence_bootstrap_draws_its_resamples_in_batches(monkeypatch):
    """Its resamples count the draws of every cell of the coincidences: with 500 codes (125,250 cells) 1,000 of them
    at once took 1 GB. Drawn a batch at a time, they are the same resamples, bit for bit, in a fraction of it."""
    import tracemalloc

    from theme_assist.agree import bootstrap

    rng = np.random.default_rng(3)
    truth = rng.integers(0, 100, 300)
    table = np.where(rng.random((300, 3)) < 0.6, truth[:, None], rng.integers(0, 100, (300, 3))).astype(float)
    whole = bootstrap_alpha(table, n_boot=400, seed=2, method="coincidences")
    monkeypatch.setattr(bootstrap, "_DRAWS_PER_BATCH", 10_000)  # a resample or two a batch
    tracemalloc.start()
    try:
        batched = bootstrap_alpha(table, n_boot=400, seed=2, method="coincidences")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(batched.samples, whole.samples)
    assert (batched.low, batched.high, batched.p_below) == (whole.low, whole.high, whole.p_below)
    assert peak < 4_000_000  # 400 resamples of 5,050 cells at once: 16 MB


def test_a_bca_limit_on_one_extreme_resample_is_warned_of_with_the_percentile_interval():
    """One disagreement in 32 units: AC1 0.96, its BCa lower limit's corrected percentile 0.0001, the lowest
    resample's value (0.75) where the percentile interval has 0.87. R's boot warns of such limits ("extreme order
    statistics used as endpoints"); the result says so, with the percentile interval to read instead."""
    ann = np.zeros(32)
    ann[[6, 9]] = 1
    ben = ann.copy()
    ben[3] = 1
    table = np.column_stack([ann, ben])
    result = bootstrap_units(table, "ac1", n_boot=1000, seed=0, interval="bca")
    percentile = bootstrap_units(table, "ac1", n_boot=1000, seed=0)
    assert result.interval == "bca" and result.low == pytest.approx(np.min(result.samples), abs=0.01)
    assert "lower limit's corrected percentile" in result.interval_warning
    assert "extreme order statistics" in result.interval_warning
    assert (result.percentile_low, result.percentile_high) == (percentile.low, percentile.high)
    entry = result.to_dict()
    assert entry["interval_warning"] == result.interval_warning and entry["ci"] == [result.low, result.high]
    assert entry["percentile_ci"] == [percentile.low, percentile.high]
    plain = bootstrap_units(noisy_table(), "fleiss", n_boot=500, seed=0, interval="bca").to_dict()
    assert plain["interval"] == "bca" and plain["interval_warning"] is None and "percentile_ci" not in plain
    assert "interval_warning" not in percentile.to_dict()


def test_resamples_are_shared_within_a_thread_alone():
    """A summary's block shares its resamples among its own metrics: a bootstrap in another thread meanwhile (the
    API called from a thread pool) neither takes its place in the block's memory nor keeps its own there."""
    import threading

    from theme_assist.agree import bootstrap

    table = noisy_table(n_units=60, n_coders=2, seed=3)
    bootstrap._KEPT.clear()
    with bootstrap.shared_resamples():
        bootstrap_metric(table, "fleiss", n_boot=300, seed=4, interval="bca")
        before = dict(bootstrap._KEPT)
        other = threading.Thread(target=bootstrap_metric, args=(table, "cohen"),
                                 kwargs=dict(n_boot=200, seed=9, interval="bca"))
        other.start()
        other.join()
        assert list(bootstrap._KEPT) == list(before)  # none of the other thread's
        assert all(bootstrap._KEPT[kind] is kept for kind, kept in before.items())  # nor drawn again
    assert not bootstrap._KEPT
