import json

import numpy as np
import pandas as pd
import pytest

from theme_assist.baselines import MajorityBaseline, TfidfLogisticBaseline
from theme_assist.codebook import parse_codebook
from theme_assist.errors import InputError
from theme_assist.evaluate import (Engine, code_counts, cross_validate, expected_calibration_error, grouped_folds,
                                   limit_examples, per_code_agreement, per_code_summary, reliability_notes,
                                   rough_note,
                                   score_predictions, summarise)


def make_segments(n_documents=10, per_document=6):
    rows = []
    for d in range(n_documents):
        for i in range(per_document):
            code = ["a", "b", ""][i % 3]
            word = {"a": "apples", "b": "bananas", "": "mm-hmm"}[code]
            rows.append({"segment_id": f"d{d}:{i}", "document": f"d{d}", "text": f"turn {d} {i} {word}",
                         "code": code})
    return pd.DataFrame(rows)


def test_grouped_folds_never_share_a_document_and_cover_all():
    segments = make_segments()
    folds = grouped_folds(segments, n_folds=5, seed=3)
    assert len(folds) == 5
    tested = set()
    for train, test in folds:
        assert not train & test
        assert train | test == set(segments["document"])
        tested |= test
    assert tested == set(segments["document"])
    assert [sorted(t) for _, t in folds] == [sorted(t) for _, t in grouped_folds(segments, 5, seed=3)]
    with pytest.raises(InputError, match="at least 5 documents"):
        grouped_folds(make_segments(n_documents=3), n_folds=5)
    with pytest.raises(InputError, match="needs at least 2 documents with coded segments, found 1: the 'document'") \
            as error:
        grouped_folds(make_segments(n_documents=1), n_folds=2)  # "give fewer folds": --folds is at least 2
    assert "--folds" not in str(error.value)
    context_only = make_segments(n_documents=8).assign(code=lambda s: s["code"].where(s["document"] < "d3", ""))
    with pytest.raises(InputError, match=r"in 5 folds needs at least 5 documents with coded segments, found 3 \(5 "
                                         r"more have uncoded segments only\): give fewer folds"):
        grouped_folds(context_only, n_folds=5)  # two test folds had nothing to score: a traceback from F1
    with pytest.raises(InputError, match=r"found 1 \(7 more .*\): code segments in a second document"):
        grouped_folds(context_only.assign(code=lambda s: s["code"].where(s["document"] == "d0", "")), n_folds=2)


def test_limit_examples_keeps_n_per_code_and_the_rest_as_context():
    segments = make_segments()
    limited = limit_examples(segments, 3, seed=0)
    assert len(limited) == len(segments)
    assert limited["code"].value_counts().to_dict() == {"": len(segments) - 6, "a": 3, "b": 3}
    assert (limit_examples(segments, 0)["code"] == "").all()
    assert limit_examples(segments, None) is segments
    with pytest.raises(InputError, match="cannot be negative"):
        limit_examples(segments, -1)


def test_metrics_on_a_small_fixed_example():
    truth = pd.Series(["a", "a", "b", "c"], index=["s1", "s2", "s3", "s4"])
    proba = pd.DataFrame([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.2, 0.5, 0.3], [0.3, 0.35, 0.35]],
                         index=["s1", "s2", "s3", "s4"], columns=["a", "b", "c"])
    metrics = score_predictions(truth, proba, threshold=0.4)
    assert metrics["accuracy"] == pytest.approx(0.5)  # s1 right, s2 wrong, s3 right, s4 wrong (tie → b)
    assert metrics["top3_recall"] == 1.0
    assert metrics["abstention_rate"] == pytest.approx(0.25)  # s4's best score 0.35 < 0.4
    assert metrics["accuracy_answered"] == pytest.approx(2 / 3)
    # kappa: p_o = 0.5; truth marginals a .5 b .25 c .25, predicted a .25 b .75 → p_e = .125 + .1875 = .3125
    assert metrics["kappa"] == pytest.approx((0.5 - 0.3125) / (1 - 0.3125))
    assert 0 <= metrics["ece"] <= 1


def test_per_code_agreement_on_a_small_fixed_example():
    truth = ["a", "a", "a", "b", "b", "c"]
    predicted = ["a", "a", "b", "b", "c", "c"]
    table = per_code_agreement(code_counts(truth, predicted), n=6).set_index("code")
    assert table[["reference", "suggested", "agreed"]].loc["a"].tolist() == [3, 2, 2]
    assert table.loc["a", "precision"] == pytest.approx(1.0)
    assert table.loc["a", "recall"] == pytest.approx(2 / 3)
    assert table.loc["a", "f1"] == pytest.approx(0.8)
    # code a present/absent: human 111000, engine 110000 -> p_o 5/6, p_e .5*.333 + .5*.667 = .5 -> kappa 2/3
    assert table.loc["a", "kappa"] == pytest.approx(2 / 3)
    # code b: human 000110, engine 001100 -> p_o 4/6, p_e (1/3)(1/3) + (2/3)(2/3) = 5/9 -> kappa 0.25
    assert table.loc["b", "kappa"] == pytest.approx(0.25)


def test_per_code_agreement_is_undefined_for_a_code_nobody_gave_right():
    table = per_code_agreement(code_counts(["a", "a"], ["b", "b"]), n=2).set_index("code")
    assert np.isnan(table.loc["a", "precision"]) and table.loc["a", "recall"] == 0.0
    assert table.loc["b", "f1"] == 0.0


def test_expected_calibration_error_is_zero_when_confidence_matches_accuracy():
    confidence = np.array([0.8] * 10)
    assert expected_calibration_error(confidence, np.array([1] * 8 + [0] * 2, dtype=bool)) == pytest.approx(0.0)
    assert expected_calibration_error(confidence, np.zeros(10, dtype=bool)) == pytest.approx(0.8)


def test_cross_validate_runs_baselines_over_a_learning_curve():
    book = parse_codebook("name: t\nexclusive: true\ncodes:\n - {id: a, name: apples}\n - {id: b, name: bananas}\n")
    segments = make_segments()
    engines = [Engine("majority", MajorityBaseline), Engine("tfidf", TfidfLogisticBaseline)]
    results = cross_validate(segments, book, engines, sizes=(0, 2, None), n_folds=5)
    assert len(results) == 5 * 3 * 2
    assert set(results["per_code"]) == {0, 2, "all"}
    # the last word of each text gives the code away once examples exist
    all_tfidf = results[(results["engine"] == "tfidf") & (results["per_code"] == "all")]
    assert (all_tfidf["accuracy"] == 1.0).all()
    summary = summarise(results)
    assert list(summary.columns[:2]) == ["engine", "per_code"] and len(summary) == 6
    # per code, pooled over folds: the counts add up to the coded segments of every test fold
    per_code = per_code_summary(results).set_index(["engine", "code"])
    assert per_code.loc["tfidf", "reference"].sum() == (segments["code"] != "").sum()
    assert (per_code.loc["tfidf", "f1"] == 1.0).all()
    majority = per_code.loc["majority"]
    assert majority["suggested"].sum() == majority["reference"].sum()
    assert (per_code_summary(results, 0)["per_code"] == 0).all()


def test_figures_that_rest_on_little_are_named():
    book = parse_codebook("name: t\nexclusive: true\ncodes:\n - {id: a, name: apples}\n - {id: b, name: bananas}\n")
    engines = [Engine("majority", MajorityBaseline), Engine("tfidf", TfidfLogisticBaseline)]
    results = cross_validate(make_segments(per_document=24), book, engines, sizes=(None,), n_folds=5)
    assert reliability_notes(results, per_code_summary(results)) == []  # 32 segments a fold, both codes in each
    segments = make_segments()
    # 'b' given to 2 segments, both in one document: four test folds hold 'a' alone, which the majority answers
    rare = segments.assign(code=segments["code"].where((segments["code"] != "b") | (segments["document"] == "d0"),
                                                       "a"))
    results = cross_validate(rare, book, engines, sizes=(None,), n_folds=5)
    summary = summarise(results).set_index("engine")
    rough, *notes = reliability_notes(results, per_code_summary(results))
    assert rough == rough_note(results) and rough.startswith("these figures are rough: the test folds hold a median "
                                                             "of 8 coded segments (fewer than 30)")
    assert notes[0].startswith("5 of the 5 test folds hold fewer than 10 coded segments (8, 8, 8, 8, 8)")
    # in those four κ is 0 for any engine that gives 'b' there, whatever its accuracy: was given without a word
    assert notes[1].startswith("4 of the 5 test folds hold segments of one human code only: κ there is 0 for an "
                               "engine whose top codes are not all that code")
    # the majority's κ is a mean over one fold, its macro-F1 is 1.0 in four: was given without a word
    assert "(majority at all per code in 4 of the 5 folds): κ is undefined there" in notes[2]
    assert np.isnan(summary.loc["majority", "kappa_sd"])
    assert str(summarise(results.assign(kappa=-5e-17))["kappa"].iloc[0]) == "0.0"  # printed '-0.000±0.000'
    assert notes[3].startswith("1 code(s) were given to fewer than 10 segments by the human coder (b 2)")
    assert len(notes) == 4


def test_figures_of_small_test_folds_or_scattered_kappas_are_named_rough():
    """60 coded segments in 5 documents, 12 a test fold: κ scattered by ±0.46 over the folds and was printed
    without a word that it was rough."""
    def results(n, kappas, per_code="all"):
        return pd.DataFrame({"engine": "theme_assist", "per_code": per_code, "fold": range(len(kappas)), "n": n,
                             "kappa": kappas})

    assert rough_note(results(30, [0.6, 0.7, 0.5, 0.65, 0.55])) is None  # the bounds themselves: not rough
    assert rough_note(results(600, [0.5, np.nan, np.nan])) is None  # κ defined in one fold: no spread to judge
    small = rough_note(results(12, [0.9, -0.1, 0.5, 0.2, 0.8]))
    assert small == ("these figures are rough: the test folds hold a median of 12 coded segments (fewer than 30) "
                     "and κ varies over the folds by ±0.42 (theme_assist) at all per code (more than ±0.15); a "
                     "fold's κ on so few segments, or so unlike the others, is uncertain by about ±0.1 to ±0.2, so "
                     "differences between engines or sizes smaller than that may be chance; code more documents, or "
                     "give fewer folds (each test fold then holds more)")
    scattered = rough_note(pd.concat([results(200, [0.9, 0.1, 0.5]), results(200, [0.5, 0.5, 0.5], 0)]))
    assert scattered.startswith("these figures are rough: κ varies over the folds by ±0.40 (theme_assist) at all "
                                "per code (more than ±0.15);")
    assert rough_note(results(200, [0.5, 0.5, 0.5]).assign(kappa=[0.5, 0.9, 0.1], per_code=0)) is not None
    assert rough_note(results(20, [0.5, 0.5])).endswith("code more documents")  # 2 folds: the fewest


@pytest.mark.filterwarnings("ignore:.*unquoted comma")  # the ESConv codebook has them; repaired on load
def test_benchmark_loaders_read_the_shared_corpora(shared_dir):
    from theme_assist.benchmarks import LOADERS, load_benchmark

    expected_coded = {"annomi-therapist": 4666, "annomi-client": 4605, "esconv": 5961, "epitome-er": 3084}
    for name in LOADERS:
        bench = load_benchmark(name, shared_dir / "corpora")
        segments = bench.segments
        assert segments["segment_id"].is_unique, name
        assert set(bench.coded["code"]) <= set(bench.codebook.ids), name
        assert (segments.groupby("document", sort=False).ngroup().diff().fillna(0) >= 0).all(), name
        if name in expected_coded:
            assert len(bench.coded) == expected_coded[name], name
    annomi = load_benchmark("annomi-therapist", shared_dir / "corpora").segments
    assert set(annomi.loc[annomi["code"] != "", "speaker"]) == {"therapist"}
    epitome = load_benchmark("epitome-er", shared_dir / "corpora").segments
    assert list(epitome["speaker"][:2]) == ["seeker", "responder"]  # the seeker post is the response's context
    with pytest.raises(InputError, match="unknown benchmark"):
        load_benchmark("nope")


def test_embedding_engines_follow_the_engine_contract(embedder):
    from theme_assist.baselines import NearestNeighboursEngine, PrototypeEngine
    from tests.test_suggest import CODEBOOK, CODED, NEW

    book = parse_codebook(CODEBOOK.format(exclusive="true"))
    nearest = (embedder.encode(NEW["text"].tolist()) @ embedder.encode(CODED["text"].tolist()).T).argmax(axis=1)
    expected = {"k-NN": CODED["code"].to_numpy()[nearest].tolist(), "prototypes": ["work", "family", "stigma"]}
    for name, engine in (("k-NN", NearestNeighboursEngine(embedder, k=1)), ("prototypes", PrototypeEngine(embedder))):
        proba = engine.fit(CODED, book).predict_proba(NEW)
        assert list(proba.columns) == ["work", "family", "stigma"] and list(proba.index) == ["n1", "n2", "n3"]
        assert np.allclose(proba.sum(axis=1), 1.0)
        assert proba.idxmax(axis=1).tolist() == expected[name], name


def test_embedding_engines_make_the_default_embedder_once_and_leave_their_parameter_as_set(monkeypatch):
    """The engines picked their default embedder their own way, writing it into their ``embedder`` parameter; they
    now use the estimators' picker (embed.estimator_embedder)."""
    from theme_assist.baselines import NearestNeighboursEngine, PrototypeEngine
    from theme_assist.project.testing import FakeEmbedder
    from tests.test_suggest import CODEBOOK, CODED, NEW

    made = []
    monkeypatch.setattr("theme_assist.embed.Embedder", lambda: made.append(FakeEmbedder()) or made[-1])
    book = parse_codebook(CODEBOOK.format(exclusive="true"))
    for engine in (NearestNeighboursEngine(k=1), PrototypeEngine()):
        made.clear()
        engine.fit(CODED, book).predict_proba(NEW)
        engine.fit(CODED, book)
        assert len(made) == 1 and engine.embedder is None, type(engine).__name__


def test_a_code_id_with_a_bar_keeps_its_row_of_the_per_code_table_whole():
    from theme_assist.evaluate import per_code_markdown

    counts = pd.DataFrame({"code": ["costs|money", "work"], "reference": [3, 2], "suggested": [2, 3],
                           "agreed": [2, 2]})
    per_code = per_code_agreement(counts, 5).assign(engine="theme_assist", per_code="all")
    rows = [line for line in per_code_markdown(per_code, 2) if line.startswith("| ")]
    assert rows[1].startswith("| costs\\|money | 3 | 2 |")  # was "| costs|money | 3 |": one cell more
    # unescaped bars: as many in every row as in the header
    assert len({line.replace("\\|", "").count("|") for line in rows}) == 1


def test_the_per_code_tables_human_column_names_the_coder_chosen():
    """With --coder, the human codes are one coder's of several: the header said "human" as if there were one."""
    from theme_assist.evaluate import per_code_markdown

    counts = pd.DataFrame({"code": ["family", "work"], "reference": [3, 2], "suggested": [2, 3], "agreed": [2, 2]})
    per_code = per_code_agreement(counts, 5).assign(engine="theme_assist", per_code="all")
    lines = per_code_markdown(per_code, 2, coder="a|b")
    assert lines[4].startswith("| code | human (a\\|b) | suggested |")
    assert lines[2].startswith("human (a|b): the segments a|b gave the code (the human codes are a|b's alone)")
    rows = [line for line in lines if line.startswith("| ")]
    assert len({line.replace("\\|", "").count("|") for line in rows}) == 1
    assert "| code | human | suggested |" in " ".join(per_code_markdown(per_code, 2))


def test_a_coder_name_with_a_line_break_keeps_the_per_code_tables_header_on_one_line():
    """A coder's name typed with Alt+Enter in a spreadsheet's cell ("Ana\\nMaria") split the header row of the
    per-code table in two, which no Markdown reader shows as a table."""
    from theme_assist.evaluate import per_code_markdown

    counts = pd.DataFrame({"code": ["family", "work"], "reference": [3, 2], "suggested": [2, 3], "agreed": [2, 2]})
    per_code = per_code_agreement(counts, 5).assign(engine="theme_assist", per_code="all")
    lines = "\n".join(per_code_markdown(per_code, 2, coder="Ana\nMaria ")).split("\n")
    assert lines[4].startswith("| code | human (Ana Maria) | suggested |") and lines[5].startswith("|---|")
    assert lines[2].startswith("human (Ana Maria): the segments Ana Maria gave the code")


def test_a_kappa_of_rounding_error_reads_zero_not_minus_zero():
    """A code the human gave twice in 60 segments and the engine never: its κ is 0 less a rounding error
    (-1.3e-14), which the per-code table printed "-0.000"."""
    from theme_assist.evaluate import figure, per_code_markdown

    counts = pd.DataFrame({"code": ["0", "1", "2"], "reference": [30, 28, 2], "suggested": [32, 28, 0],
                           "agreed": [19, 16, 0]})
    per_code = per_code_agreement(counts, 60).assign(engine="theme_assist", per_code="all")
    assert figure(-1.3e-14) == "0.000" and figure(-0.0004) == "0.000" and figure(-0.0006) == "-0.001"
    assert "-0.000" not in "\n".join(per_code_markdown(per_code, 5))


def test_baselines_give_the_parent_codes_a_team_codes_with():
    """Segments coded with parent codes: the majority baseline stopped with a traceback where its most frequent
    code was a parent (not a leaf code), and TF-IDF dropped the parents' columns it had learnt."""
    book = parse_codebook("name: t\nexclusive: true\ncodes:\n"
                          " - {id: a, name: apples, children: [{id: a1, name: green apples}]}\n"
                          " - {id: b, name: bananas, children: [{id: b1, name: ripe}, {id: b2, name: green}]}\n")
    engines = [Engine("majority", MajorityBaseline), Engine("tfidf", TfidfLogisticBaseline)]
    results = cross_validate(make_segments(), book, engines, sizes=(0, None), n_folds=5)
    trained = results[results["per_code"] == "all"].set_index(["engine", "fold"])
    assert (trained.loc["tfidf", "accuracy"] == 1.0).all()  # apples and bananas, learnt as a and b
    assert (trained.loc["majority", "accuracy"] == 0.5).all()  # a or b, half the segments of each fold
    tfidf = TfidfLogisticBaseline().fit(make_segments(), book)
    assert tfidf.classes_ == ["a", "a1", "b", "b1", "b2"]  # the codebook's order, as CodeSuggester's classes_
    assert tfidf.predict_proba(make_segments()).sum(axis=1).round(6).eq(1.0).all()
    assert TfidfLogisticBaseline().fit(None, book).classes_ == ["a1", "b1", "b2"]  # codebook alone: leaf codes


def test_the_report_says_what_the_human_agreement_was_measured_on():
    from theme_assist.evaluate import report_markdown

    summary = pd.DataFrame([{"engine": "theme_assist", "per_code": "all", "accuracy": 0.8, "macro_f1": 0.7,
                             "kappa": 0.7, "kappa_sd": 0.02, "top3_recall": 0.9, "abstention_rate": 0.0,
                             "accuracy_answered": 0.8, "ece": 0.03, "seconds": 1.0}])
    meta = {"n_folds": 5, "seed": 0, "n_segments": 10, "n_documents": 5, "n_codes": 2, "threshold": 0.5,
            "human_kappa": 0.737, "machine_markdown": ""}
    basis = "on the 7 transcripts all annotators coded, not those scored here"
    assert f"Cohen's κ, {basis}): 0.737." in report_markdown("x", summary, {**meta, "human_kappa_basis": basis})
    assert "Cohen's κ): 0.737." in report_markdown("x", summary, meta)  # a corpus whose own segments it is


def test_the_report_says_its_figures_are_means_over_the_folds():
    """The report's kappa is the mean of the folds' κ, which can differ from the κ of the folds' predictions pooled
    (60 segments in 5 folds: TF-IDF 0.206 against 0.094); the report did not say which, nor what kappa_sd is."""
    from theme_assist.evaluate import report_markdown

    summary = pd.DataFrame([{"engine": "theme_assist", "per_code": "all", "accuracy": 0.8, "macro_f1": 0.7,
                             "kappa": 0.7, "kappa_sd": 0.02, "top3_recall": 0.9, "abstention_rate": 0.0,
                             "accuracy_answered": 0.8, "ece": 0.03, "seconds": 1.0}])
    meta = {"n_folds": 5, "seed": 0, "n_segments": 10, "n_documents": 5, "n_codes": 2, "threshold": 0.5,
            "human_kappa": None, "machine_markdown": ""}
    report = report_markdown("x", summary, meta)
    assert "Each figure is the mean of the 5 test folds' (κ on each fold's segments alone" in report
    assert "`kappa_sd`: κ's standard deviation over the folds" in report


@pytest.mark.filterwarnings("ignore:.*unquoted comma")
def test_annomi_says_its_human_agreement_is_on_other_transcripts(shared_dir):
    from theme_assist.benchmarks import load_benchmark

    for name in ("annomi-therapist", "annomi-client"):
        bench = load_benchmark(name, shared_dir / "corpora")
        scored = set(bench.segments["document"].str.removeprefix("annomi-").astype(int))
        assert not scored & {7, 27, 55, 56, 66, 109, 130}  # the multi-coded transcripts are withheld
        assert "7 AnnoMI transcripts" in bench.human_kappa_basis


def test_top3_recall_over_three_codes_or_fewer_is_named_as_saying_nothing():
    book = parse_codebook("name: t\nexclusive: true\ncodes:\n - {id: a, name: apples}\n - {id: b, name: bananas}\n")
    results = cross_validate(make_segments(per_document=24), book, [Engine("majority", MajorityBaseline)],
                             sizes=(None,), n_folds=5)
    assert (results["top3_recall"] == 1.0).all()  # the majority baseline: any engine gets it with two codes
    per_code = per_code_summary(results)
    assert reliability_notes(results, per_code, n_choices=4) == reliability_notes(results, per_code) == []
    assert reliability_notes(results, per_code, n_choices=2) == [
        "the engines choose among 2 codes, so the human code is always among the three best: top3_recall is 1.0 "
        "for any engine and says nothing here"]


def test_cross_validate_keeps_each_segments_top_code_from_the_fold_that_held_it_out():
    book = parse_codebook("name: t\nexclusive: true\ncodes:\n - {id: a, name: apples}\n - {id: b, name: bananas}\n")
    segments = make_segments()
    segments.loc[segments.index % 5 == 0, "text"] = "mm"  # a few the TF-IDF baseline cannot tell apart
    engines = [Engine("majority", MajorityBaseline), Engine("tfidf", TfidfLogisticBaseline)]
    top_codes = {}
    results = cross_validate(segments, book, engines, sizes=(0, None), n_folds=5, top_codes=top_codes)
    assert set(top_codes) == {("majority", 0), ("majority", "all"), ("tfidf", 0), ("tfidf", "all")}
    coded = segments[segments["code"] != ""].set_index("segment_id")
    for (engine, size), codes in top_codes.items():
        assert sorted(codes.index) == sorted(coded.index)  # every coded segment once, context left out
        for fold, (_, test) in enumerate(grouped_folds(segments, 5, seed=0)):
            held_out = coded[coded["document"].isin(test)]
            row = results[(results["engine"] == engine) & (results["per_code"] == size) & (results["fold"] == fold)]
            # the fold's accuracy is that of these codes on its segments: they are the fold's own predictions
            right = codes[held_out.index].to_numpy() == held_out["code"].to_numpy()
            assert right.mean() == pytest.approx(row["accuracy"].iloc[0])
    assert not (top_codes[("tfidf", "all")][coded.index] == coded["code"]).all()  # not the human codes copied


def double_coded(n=10):
    """Ten segments coded by ana and ben, their codes and those of a machine fixed (kappas by hand below)."""
    index = pd.Index([f"s{i}" for i in range(n)], name="segment_id")
    ana = ["a", "a", "a", "b", "b", "b", "c", "c", "a", "b"][:n]
    ben = ["a", "a", "b", "b", "b", "c", "c", "c", "a", "a"][:n]
    machine = ["a", "b", "a", "b", "b", "b", "c", "a", "a", "b"][:n]
    return pd.DataFrame({"ana": ana, "ben": ben}, index=index), pd.Series(machine, index=index)


def test_the_coders_agreement_and_the_machines_beside_it_on_the_same_segments():
    from sklearn.metrics import cohen_kappa_score

    from theme_assist.evaluate import coders_agreement

    coders, machine = double_coded()
    # the machine's codes of segments no second coder coded are not compared: ana's κ with it is on the ten alone
    elsewhere = pd.Series(["c"] * 5, index=[f"t{i}" for i in range(5)])
    result = coders_agreement(coders, pd.concat([machine, elsewhere]), "ana", "all", n_boot=200, seed=1)
    rows = {row["comparison"]: row for row in result["comparisons"]}
    assert list(rows) == ["ana vs ben", "theme_assist vs ana", "theme_assist vs ben"]  # the humans' own first
    # ana vs ben: p_o 0.7; ana a .4 b .4 c .2, ben a .4 b .3 c .3: p_e .16 + .12 + .06 = .34; κ = .36/.66
    assert rows["ana vs ben"]["kappa"] == pytest.approx(0.36 / 0.66)
    for coder in ("ana", "ben"):
        assert rows[f"theme_assist vs {coder}"]["kappa"] == pytest.approx(cohen_kappa_score(coders[coder], machine))
    assert rows["ana vs ben"]["kappa"] == pytest.approx(cohen_kappa_score(coders["ana"], coders["ben"]))
    for row in rows.values():
        assert row["n_units"] == 10 and row["coefficient"] == "Cohen's kappa" and row["reason"] is None
        low, high = row["ci"]
        assert low <= row["kappa"] <= high
    assert {row["kind"] for row in rows.values()} == {"human-human", "machine-human"}  # no majority of two
    assert result["n_segments"] == 10 and result["coders"] == ["ana", "ben"] and result["trained_on"] == "ana"
    assert result["interval"] == {"confidence": 0.95, "method": "bca", "n_boot": 200, "seed": 1}
    # ten segments: rough, said first; then which coder the machine learned from
    assert result["rough"] == result["notes"][0] and result["rough"].startswith(
        "these figures are rough: 10 segment(s) are coded by ana and another coder (fewer than 20)")
    assert result["notes"][1].startswith("theme_assist learned from ana's codes alone (those of ben were not used)")
    assert json.loads(json.dumps(result)) == result  # JSON as it is
    # twenty segments: not rough
    many = pd.concat([coders, coders.set_axis([f"u{i}" for i in range(10)])])
    result = coders_agreement(many, pd.concat([machine, machine.set_axis(many.index[10:])]), "ana", 25, n_boot=200)
    assert result["rough"] is None and result["notes"][0].startswith(
        "theme_assist learned from ana's codes alone, at most 25 per code (those of ben")
    # codebook only: it learned from no coder, ana's codes no more than ben's
    zero_shot = coders_agreement(coders, machine, "ana", 0, n_boot=0)["notes"][1]
    assert zero_shot.startswith("theme_assist learned from no coded examples (the codebook alone, per_code 0): its "
                                "κ against each coder (ana, ben) says how near the codebook alone brings it")
    assert "were not used" not in zero_shot and "how well it learned" not in zero_shot


def test_a_kappa_that_is_undefined_is_said_why_in_the_notes():
    """Two coders who gave the one code to the few segments both coded: κ is undefined, and the terminal's and the
    report's tables showed "n/a" with no reason (the JSON alone had it)."""
    from theme_assist.evaluate import coders_agreement

    index = pd.Index(["s0", "s1", "s2"], name="segment_id")
    coders = pd.DataFrame({"ana": ["a", "a", "a"], "ben": ["a", "a", "a"]}, index=index)
    result = coders_agreement(coders, pd.Series(["a", "a", "b"], index=index), "ana", "all", n_boot=100)
    rows = {row["comparison"]: row for row in result["comparisons"]}
    assert rows["ana vs ben"]["kappa"] is None and rows["theme_assist vs ana"]["kappa"] is not None
    reason = rows["ana vs ben"]["reason"]
    assert f"n/a for ana vs ben: {reason}" in result["notes"]
    assert not any("theme_assist vs ana" in note for note in result["notes"] if note.startswith("n/a"))


def test_the_machine_takes_a_name_no_coder_has():
    """Coders named "theme_assist" and "theme_assist (machine)": the machine took the second's name, and evaluate
    was refused as "a machine column has a human coder's name"."""
    from theme_assist.evaluate import coders_agreement

    coders, machine = double_coded()
    coders.columns = ["theme_assist", "theme_assist (machine)"]
    result = coders_agreement(coders, machine, "theme_assist", "all", n_boot=0)
    assert result["machine"] == "theme_assist (machine) (machine)"
    assert [row["comparison"] for row in result["comparisons"]][0] == "theme_assist vs theme_assist (machine)"


def test_three_coders_have_fleiss_kappa_and_each_pair_on_the_segments_both_coded():
    from sklearn.metrics import cohen_kappa_score

    from theme_assist.agree import fleiss_kappa
    from theme_assist.evaluate import coders_agreement

    coders, machine = double_coded()
    coders["cy"] = ["a", "a", "a", "b", "c", None, None, None, None, None]
    result = coders_agreement(coders, machine, "ana", "all", n_boot=0)
    rows = {row["comparison"]: row for row in result["comparisons"]}
    assert list(rows) == ["ana vs ben", "ana vs cy", "ben vs cy", "all coders", "theme_assist vs ana",
                          "theme_assist vs ben", "theme_assist vs cy"]
    assert rows["all coders"]["coefficient"] == "Fleiss' kappa"
    assert rows["all coders"]["kappa"] == pytest.approx(fleiss_kappa(coders).value)
    assert rows["ana vs cy"]["n_units"] == rows["theme_assist vs cy"]["n_units"] == 5
    assert rows["theme_assist vs cy"]["kappa"] == pytest.approx(cohen_kappa_score(coders["cy"][:5], machine[:5]))
    assert rows["ana vs ben"]["ci"] is None  # no bootstrap asked for


def test_the_coders_section_of_the_report_is_there_only_where_several_coders_coded():
    from theme_assist.evaluate import coders_agreement, report_markdown

    summary = pd.DataFrame([{"engine": "theme_assist", "per_code": "all", "accuracy": 0.8, "macro_f1": 0.7,
                             "kappa": 0.7, "kappa_sd": 0.02, "top3_recall": 0.9, "abstention_rate": 0.0,
                             "accuracy_answered": 0.8, "ece": 0.03, "seconds": 1.0}])
    meta = {"n_folds": 5, "seed": 0, "n_segments": 10, "n_documents": 5, "n_codes": 2, "threshold": 0.5,
            "human_kappa": None, "machine_markdown": ""}
    assert "coders' agreement" not in report_markdown("x", summary, meta)  # one coder, a benchmark: as before
    coders, machine = double_coded()
    agreement = coders_agreement(coders, machine, "ana", "all", n_boot=200)
    report = report_markdown("x", summary, {**meta, "coders_agreement": agreement})
    section = report[report.index("## The coders' agreement, and the machine's beside it"):]
    assert "On the 10 segments that ana and another coder both coded (coders: ana, ben)" in section
    assert "BCa bootstrap over segments, 200 resamples, seed 0" in section
    kappa, ci = agreement["comparisons"][0]["kappa"], agreement["comparisons"][0]["ci"]
    assert f"| ana vs ben | 10 | {kappa:.3f} | {ci[0]:.3f} to {ci[1]:.3f} |" in section
    assert "| theme_assist vs ana | 10 |" in section and "| theme_assist vs ben | 10 |" in section
    assert "Note: these figures are rough: 10 segment(s)" in section
    assert "Note: theme_assist learned from ana's codes alone" in section
