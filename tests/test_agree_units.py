"""Units from codings (segments, presence/absence, overlapping spans) and the machine as a coder."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from theme_assist.agree import cohen_kappa, gwet_ac, krippendorff_alpha
from theme_assist.agree.bootstrap import derived_seed
from theme_assist.agree.machine import agreement_report, human_majority
from theme_assist.agree.report import POOLED, agreement_by_code, agreement_summary, by_code_frame, prevalence
from theme_assist.agree.units import (
    codings_on_units,
    presence_tables,
    ratings_from_codings,
    segment_agreement,
    span_overlaps,
)
from theme_assist.errors import InputError

CODINGS = pd.DataFrame({
    "segment_id": ["s1", "s1", "s1", "s2", "s2", "s3", "s4"],
    "coder": ["A", "A", "B", "A", "B", "A", "B"],
    "code": ["hope", "stigma", "hope", "stigma", "hope", "hope", ""],
})


def test_ratings_from_single_label_codings():
    single = CODINGS.drop(index=1)
    table = ratings_from_codings(single, units=["s1", "s2", "s3", "s4", "s5"])
    assert table.columns.tolist() == ["A", "B"]
    assert table.loc["s1"].tolist() == ["hope", "hope"]
    assert table.loc["s2"].tolist() == ["stigma", "hope"]
    assert table.loc["s3", "A"] == "hope" and pd.isna(table.loc["s3", "B"])
    assert table.loc[["s4", "s5"]].isna().all().all()


def test_ratings_from_multi_label_codings_are_sets():
    table = ratings_from_codings(CODINGS)
    assert table.loc["s1", "A"] == frozenset({"hope", "stigma"})
    assert table.loc["s3", "B"] == frozenset()
    assert table.loc["s4", "B"] == frozenset()
    assert krippendorff_alpha(table, "masi").defined


def test_two_codes_from_one_coder_need_multi_label():
    with pytest.raises(InputError, match="more than one code"):
        ratings_from_codings(CODINGS, multi_label=False)
    with pytest.raises(InputError, match="column 'coder'"):
        ratings_from_codings(CODINGS.drop(columns="coder"))


def test_presence_tables_mark_absences_for_every_coder():
    tables = presence_tables(CODINGS, codes=["hope", "stigma", "unused"])
    assert list(tables) == ["hope", "stigma", "unused"]
    assert tables["hope"].to_dict("index") == {"s1": {"A": 1, "B": 1}, "s2": {"A": 0, "B": 1},
                                               "s3": {"A": 1, "B": 0}, "s4": {"A": 0, "B": 0}}
    assert tables["unused"].to_numpy().sum() == 0
    assert prevalence(tables["hope"]) == pytest.approx(4 / 8)


def test_agreement_by_code_reports_prevalence_and_a_pooled_row():
    by_code = agreement_by_code(presence_tables(CODINGS), ["percent", "cohen", "ac1"])
    assert list(by_code) == ["hope", "stigma", POOLED]
    hope = by_code["hope"]["metrics"]
    expected = cohen_kappa(*presence_tables(CODINGS)["hope"].T.to_numpy(), categories=(0, 1)).value
    assert hope["cohen"]["value"] == pytest.approx(expected)
    assert by_code["stigma"]["prevalence"] == pytest.approx(2 / 8)
    assert by_code[POOLED]["metrics"]["percent"]["n_units"] == 8
    frame = by_code_frame(by_code)
    assert frame.columns.tolist() == ["prevalence", "percent", "cohen", "ac1", "note"]
    assert frame.loc["hope", "percent"] == pytest.approx(0.5)



def test_pooled_intervals_resample_units_with_all_their_codes():
    """A unit's code pairs are not independent: the pooled intervals resampled (and counted) unit × code pairs,
    too narrow. Two codes given identically make the pooled table every unit twice; resampling units, the pooled
    figures are exactly the one code's (each resample's sums doubled), while rows drawn one by one were not."""
    rng = np.random.default_rng(2)
    one = pd.DataFrame(rng.integers(0, 2, (20, 2)), index=pd.Index([f"u{i}" for i in range(20)], name="unit"),
                       columns=["A", "B"]).astype(float)
    options = dict(n_boot=400, seed=4, analytic=True)
    by_code = agreement_by_code({"a": one, "b": one.copy()}, ["percent", "cohen", "ac1", "alpha"], **options)
    alone = agreement_summary(one, ["percent", "cohen", "ac1"], categories=(0, 1), **options)
    for name in ("percent", "cohen", "ac1"):
        single, pooled = alone[name], by_code[POOLED]["metrics"][name]
        assert pooled["ci"] == pytest.approx(single["ci"]) and pooled["clusters"] == "unit"
        assert pooled["analytic"]["df"] == 19 and pooled["analytic"]["se"] == pytest.approx(single["analytic"]["se"])
    assert "clusters" not in by_code["a"]["metrics"]["cohen"]


def de_vries_kappa(tables):
    """De Vries et al.'s (2008) pooled κ of two coders' 0/1 tables (complete): mean observed agreement over codes,
    mean chance agreement over codes, each code's from its coders' own prevalences."""
    observed = np.mean([np.mean(table[:, 0] == table[:, 1]) for table in tables])
    chance = np.mean([np.mean(table[:, 0]) * np.mean(table[:, 1]) + np.mean(1 - table[:, 0]) * np.mean(1 - table[:, 1])
                      for table in tables])
    return (observed - chance) / (1 - chance)


def test_pooled_kappa_is_de_vries_and_ac1_and_alpha_say_they_are_stacked():
    """Stacking the codes' tables takes chance agreement from the prevalence over all codes; De Vries et al. (2008)
    average each code's observed and chance agreement. A common code beside rare ones tells them apart."""
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(2)
    presence = {}
    for code, share in (("common", 0.8), ("rare", 0.1), ("mid", 0.3)):
        truth = rng.random(40) < share
        presence[code] = pd.DataFrame({coder: np.where(rng.random(40) < 0.8, truth, rng.random(40) < share)
                                       for coder in ("A", "B")}).astype(float)
    pooled = agreement_by_code(presence, ["percent", "cohen", "ac1", "alpha"])[POOLED]["metrics"]
    tables = [table.to_numpy() for table in presence.values()]
    stacked = np.vstack(tables)
    assert pooled["cohen"]["value"] == pytest.approx(de_vries_kappa(tables))
    assert abs(pooled["cohen"]["value"] - cohen_kappa_score(stacked[:, 0], stacked[:, 1])) > 0.05
    assert pooled["cohen"]["coefficient"] == "Cohen's kappa, pooled over codes (De Vries et al. 2008)"
    assert pooled["cohen"]["pooling"] == "De Vries et al. (2008)"
    assert pooled["ac1"]["value"] == pytest.approx(gwet_ac(stacked).value)
    assert pooled["ac1"]["coefficient"] == "Gwet's AC1, stacked over codes" and pooled["ac1"]["pooling"] == "stacked"
    assert pooled["alpha"]["coefficient"] == "Krippendorff's alpha (nominal), stacked over codes"
    assert pooled["percent"]["value"] == pytest.approx(np.mean(stacked[:, 0] == stacked[:, 1]))


def test_pooled_kappa_without_a_pairable_unit_has_no_agreements_not_nan():
    """With no unit rated twice, the pooled κ is undefined as each code's is: its observed and chance agreement are
    None as theirs are, not a NaN (which json.dumps writes as invalid JSON) beside a chance agreement."""
    import json

    units = pd.Index(["u1", "u2", "u3"], name="unit")
    presence = {code: pd.DataFrame({"A": [1.0, np.nan, 0.0], "B": [np.nan, 1.0, np.nan]}, index=units)
                for code in ("x", "y")}
    by_code = agreement_by_code(presence, ["cohen", "fleiss"], n_boot=20, analytic=True)
    for name in ("cohen", "fleiss"):
        pooled, single = by_code[POOLED]["metrics"][name], by_code["x"]["metrics"][name]
        assert pooled["value"] is None
        assert pooled["reason"] == single["reason"] == "no unit was rated by two or more coders"
        assert pooled["observed_agreement"] is pooled["expected_agreement"] is single["observed_agreement"] is None
    json.dumps(by_code[POOLED]["metrics"], allow_nan=False)


def test_pooled_row_is_the_public_pooled_functions_on_the_stacked_table():
    """The pooled κ and π, and their intervals, are the public De Vries et al. (2008) functions on the codes'
    tables stacked, with intervals over units; AC1 has no pooled form."""
    from theme_assist.agree import analytic_pooled, bootstrap_pooled, de_vries_kappa

    rng = np.random.default_rng(6)
    units = pd.Index([f"u{i}" for i in range(25)], name="unit")
    presence = {code: pd.DataFrame(rng.random((25, 3)) < share, index=units, columns=list("ABC")).astype(float)
                for code, share in (("a", 0.6), ("b", 0.2))}
    pooled = agreement_by_code(presence, ["fleiss", "conger"], n_boot=100, seed=2, analytic=True)[POOLED]["metrics"]
    stacked = pd.concat(presence.values(), keys=list(presence), names=["code", "unit"])
    for name in ("fleiss", "conger"):
        result = de_vries_kappa(stacked, name, codes="code", categories=(0, 1))
        interval = bootstrap_pooled(stacked, name, codes="code", clusters="unit", n_boot=100, seed=2,
                                    categories=(0, 1), interval="bca")  # the summary's default
        analytic = analytic_pooled(stacked, name, codes="code", clusters="unit", categories=(0, 1))
        assert pooled[name]["value"] == result.value and pooled[name]["coefficient"] == result.coefficient
        assert pooled[name]["ci"] == [interval.low, interval.high]
        assert pooled[name]["analytic"]["se"] == analytic.se and analytic.df == 24
    with pytest.raises(InputError, match="no pooled form"):
        de_vries_kappa(stacked, "ac1", codes="code")


def test_pooled_bootstrap_matches_resampled_units_rebuilt_by_hand():
    """Each resample rebuilt independently from the drawn units' rows of every code: De Vries et al.'s pooled κ by
    hand, and α by the krippendorff package on the codes' tables stacked."""
    krippendorff = pytest.importorskip("krippendorff")

    rng = np.random.default_rng(5)
    codes = ["a", "b", "c"]
    presence = {code: pd.DataFrame(rng.integers(0, 2, (15, 2)), columns=["A", "B"]).astype(float) for code in codes}
    pooled = agreement_by_code(presence, ["cohen", "alpha"], n_boot=300, seed=3,
                               bootstrap_interval="percentile")[POOLED]["metrics"]
    drawn = np.random.default_rng(3).integers(0, 15, size=(300, 15))  # the units each resample draws
    stacked = [np.vstack([presence[code].to_numpy()[units] for code in codes]) for units in drawn]
    kappas = [de_vries_kappa([presence[code].to_numpy()[units] for code in codes]) for units in drawn]
    alphas = [krippendorff.alpha(reliability_data=table.T, level_of_measurement="nominal") for table in stacked]
    assert pooled["cohen"]["ci"] == pytest.approx(np.quantile(kappas, [0.025, 0.975]).tolist())
    assert pooled["alpha"]["ci"] == pytest.approx(np.quantile(alphas, [0.025, 0.975]).tolist())
    assert pooled["alpha"]["method"] == "units"


def test_pooled_analytic_standard_error_is_the_jackknife_over_units():
    """Coders who disagree on a unit disagree on all its codes: the pooled κ's standard error is over units (a
    delete-one-unit jackknife of De Vries et al.'s pooled κ), about twice the one that took unit × code pairs as
    independent."""
    rng = np.random.default_rng(3)
    n, presence = 200, {}
    disagreeing = rng.random(n) < 0.5
    for code in ("a", "b", "c", "d", "e"):
        first = rng.integers(0, 2, n)
        second = np.where(rng.random(n) < 0.2, rng.integers(0, 2, n), np.where(disagreeing, 1 - first, first))
        presence[code] = pd.DataFrame({"A": first, "B": second}).astype(float)
    se = agreement_by_code(presence, ["cohen"], analytic=True)[POOLED]["metrics"]["cohen"]["analytic"]["se"]
    jackknife = np.array([de_vries_kappa([table.to_numpy()[np.arange(n) != left] for table in presence.values()])
                          for left in range(n)])
    assert se == pytest.approx(np.sqrt((n - 1) / n * ((jackknife - jackknife.mean()) ** 2).sum()), rel=0.02)

SPANS = pd.DataFrame({
    "document": ["d1", "d1", "d1", "d1", "d1", "d2"],
    "start": [0, 100, 0, 110, 300, 0],
    "end": [50, 150, 45, 150, 320, 10],
    "code": ["hope", "stigma", "hope", "stigma", "hope", "hope"],
    "coder": ["A", "A", "B", "B", "B", "A"],
})


def test_span_overlaps_are_intersection_over_union_with_the_same_code():
    overlaps = span_overlaps(SPANS, "A", "B")
    assert overlaps["overlap"].round(3).tolist() == [0.9, 0.8, 0.9, 0.8, 0.0, 0.0]


def test_segment_agreement_maxqda_style():
    result = segment_agreement(SPANS, "A", "B", min_overlap=0.85)
    assert result.loc["hope", ["agreements", "disagreements", "total"]].tolist() == [2, 2, 4]
    assert result.loc["stigma", "agreements"] == 0
    overall = result.loc["(all codes)"]
    assert overall["percent"] == pytest.approx(2 / 6)
    assert overall["kappa_bp"] == pytest.approx((2 / 6 - 1 / 2) / (1 - 1 / 2))
    assert segment_agreement(SPANS, "A", "B", min_overlap=0.8).loc["stigma", "agreements"] == 2
    with pytest.raises(InputError, match="minimum overlap"):
        segment_agreement(SPANS, "A", "B", min_overlap=0)
    with pytest.raises(InputError, match="no codings"):
        segment_agreement(SPANS, "A", "C")


def test_codings_on_units_by_overlap_and_coverage():
    units = pd.DataFrame({"segment_id": ["p1", "p2", "p3"], "document": "d1", "start": [0, 60, 200],
                          "end": [60, 200, 400]})
    mapped = codings_on_units(SPANS, units)
    assert sorted(map(tuple, mapped.to_numpy())) == [("p1", "A", "hope"), ("p1", "B", "hope"),
                                                     ("p2", "A", "stigma"), ("p2", "B", "stigma"),
                                                     ("p3", "B", "hope")]
    covered = codings_on_units(SPANS, units, min_coverage=0.5)
    assert ("p3", "B", "hope") not in set(map(tuple, covered.to_numpy()))
    bad = SPANS.assign(end=SPANS["start"] - 1)
    with pytest.raises(InputError, match="invalid offsets"):
        codings_on_units(bad, units)


HUMANS = pd.DataFrame({"A": ["x", "y", "x", "x", None, "y"], "B": ["x", "y", "y", "x", "x", "y"],
                       "C": ["x", "x", "y", "x", "x", "y"]}, index=list("uvwxyz"))
MACHINE = pd.Series(["x", "y", "y", None, "x", "y"], index=list("uvwxyz"), name="model")


def test_human_majority_leaves_ties_missing():
    pair = HUMANS[["A", "B"]]
    assert human_majority(HUMANS).tolist() == ["x", "y", "y", "x", "x", "y"]
    assert pd.isna(human_majority(pair)["w"]) and human_majority(pair)["u"] == "x"


def test_human_majority_needs_two_coders_on_the_unit():
    assert pd.isna(human_majority(HUMANS[["A", "B"]])["y"])  # A did not rate y
    assert human_majority(HUMANS)["y"] == "x"  # B and C did


def test_human_majority_is_the_label_a_value_count_of_each_unit_gives():
    """It counted each unit with a pandas value_counts (4 of 6 s of agree --machine at 30,000 units); counted
    otherwise, every unit keeps its majority: ties, single ratings, blanks and NaN, numbers equal across types."""
    from theme_assist.agree.ratings import is_missing

    def by_value_counts(human):  # as human_majority counted before
        values = human.to_numpy(dtype=object)
        majority = []
        for row in np.where(is_missing(values), None, values):
            counts = pd.Series([v for v in row if v is not None], dtype=object).value_counts()
            tied = len(counts) > 1 and counts.iloc[0] == counts.iloc[1]
            majority.append(np.nan if counts.sum() < 2 or tied else counts.index[0])
        return pd.Series(majority, index=human.index, dtype=object)

    rng = np.random.default_rng(0)
    choices = np.array(["x", "y", "z", "", " ", None, np.nan, 1, 1.0, 2], dtype=object)
    for n_coders in (1, 2, 3, 4, 5):
        human = pd.DataFrame(rng.choice(choices, size=(300, n_coders)),
                             columns=[f"c{k}" for k in range(n_coders)], index=[f"u{i}" for i in range(300)])
        ours, theirs = human_majority(human), by_value_counts(human)
        assert ours.isna().tolist() == theirs.isna().tolist()
        assert [(v, type(v)) for v in ours.dropna()] == [(v, type(v)) for v in theirs.dropna()]
        assert ours.name == "human majority" and ours.index.equals(human.index)


def test_agreement_report_puts_machine_and_humans_side_by_side():
    report = agreement_report(HUMANS, MACHINE).set_index("comparison")
    assert report.index.tolist() == ["model vs A", "model vs B", "model vs C", "model vs human majority",
                                     "A vs B", "A vs C", "B vs C", "all humans"]
    assert report.loc["model vs A", "kind"] == "machine-human"
    assert report.loc["model vs A", "n_units"] == 4
    direct = cohen_kappa(MACHINE, HUMANS["A"], categories=["x", "y"]).value
    assert report.loc["model vs A", "cohen"] == pytest.approx(direct)
    assert report.loc["B vs C", "ac1"] == pytest.approx(gwet_ac(HUMANS[["B", "C"]]).value)
    assert report.loc["model vs B", "percent"] == 1.0
    assert report.loc["all humans", "alpha"] == pytest.approx(krippendorff_alpha(HUMANS).value)


def test_agreement_report_intervals_are_the_summarys_on_the_same_columns():
    """A machine row's bootstrap and analytic intervals are agreement_summary's on the machine's and the coder's
    columns, as a human pair's are, each with its own seed derived from the seed and its columns' names."""
    options = dict(n_boot=200, seed=3, analytic=True)
    report = agreement_report(HUMANS, MACHINE, **options).set_index("comparison")
    for comparison, columns in (("model vs A", [MACHINE, HUMANS["A"]]), ("A vs B", [HUMANS["A"], HUMANS["B"]]),
                                ("model vs human majority", [MACHINE, human_majority(HUMANS)])):
        seed = derived_seed(3, [column.name for column in columns])
        direct = agreement_summary(pd.concat(columns, axis=1), ["percent", "cohen", "ac1", "alpha"],
                                   categories=["x", "y"], **{**options, "seed": seed})
        assert report.loc[comparison, "metrics"] == direct
    group = report.loc["all humans", "metrics"]["cohen"]
    assert group == agreement_summary(HUMANS, ["fleiss"], **options)["fleiss"]
    assert group["coefficient"] == "Fleiss' kappa" and group["ci"][0] is not None and "analytic" in group
    again = agreement_report(HUMANS, MACHINE, **options).set_index("comparison")
    assert again["metrics"].tolist() == report["metrics"].tolist()
    other = agreement_report(HUMANS, MACHINE, n_boot=200, seed=4).set_index("comparison")
    assert other.loc["model vs A", "metrics"]["ac1"]["ci"] != report.loc["model vs A", "metrics"]["ac1"]["ci"]
    assert "ci" not in agreement_report(HUMANS, MACHINE).loc[0, "metrics"]["cohen"]


@pytest.mark.parametrize("option", [dict(weights="linear"), dict(level="ordinal")])
def test_agreement_report_gives_labels_no_order_the_caller_did_not_declare(option):
    """The rows took the labels they count (sorted: x before y) for a declared order, so weights and ordinal α
    ranked unordered labels alphabetically, where agreement_summary refuses them; for one coder beside the
    machine (no coders' summary to refuse first) `agree --machine --weights linear` printed such figures."""
    for human in (HUMANS, HUMANS[["A"]]):
        with pytest.raises(InputError, match="need(s)? numeric ratings or a declared category order"):
            agreement_report(human, MACHINE, **option)
    declared = agreement_report(HUMANS[["A"]], MACHINE, categories=["y", "x"], **option).set_index("comparison")
    direct = agreement_summary(pd.concat([MACHINE, HUMANS["A"]], axis=1), ["percent", "cohen", "ac1", "alpha"],
                               categories=["y", "x"], **option)
    assert declared.loc["model vs A", "metrics"] == direct


def test_agreement_report_on_presence_data_shows_prevalence_and_reasons():
    humans = pd.DataFrame({"A": [0, 0, 0, 0], "B": [0, 0, 0, 0]})
    report = agreement_report(humans, pd.Series([0, 0, 0, 1], name="m"), categories=(0, 1))
    human_pair = report.set_index("comparison").loc["A vs B"]
    assert math.isnan(human_pair["cohen"]) and "no variation" in human_pair["note"]
    assert human_pair["ac1"] == 1.0 and human_pair["prevalence"] == 0.0
    assert report.set_index("comparison").loc["m vs A", "prevalence"] == pytest.approx(1 / 8)


def test_agreement_report_without_machine_and_bad_alignment():
    assert agreement_report(HUMANS)["kind"].tolist() == ["human-human"] * 3 + ["humans"]
    with pytest.raises(InputError, match="share no unit"):
        agreement_report(HUMANS, pd.Series(["x"], index=["elsewhere"]))
    with pytest.raises(InputError, match="human coder's name"):
        agreement_report(HUMANS, MACHINE.rename("A"))
