"""Learning from review: active-learning order, refits that use the decisions, and the background refitter."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from theme_assist.cli import main
from theme_assist.codebook import packaged_codebook
from theme_assist.project import DecisionRequest, ProjectStore
from theme_assist.project.active import active_order, margin_uncertainty, score_margin_uncertainty
from theme_assist.project.learn import BackgroundRefitter, open_queue, refit
from theme_assist.suggest import CodeSuggester

from theme_assist.project.testing import FakeEmbedder, make_project

DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"


def test_margin_uncertainty_is_small_for_clear_winners_and_high_for_abstentions():
    suggestions = pd.DataFrame({"segment_id": ["clear", "clear", "torn", "torn", "none"],
                                "code": ["a", "b", "a", "b", ""], "score": [0.9, 0.05, 0.45, 0.44, 0.1],
                                "rank": [1, 2, 1, 2, 1]})
    uncertainty = margin_uncertainty(suggestions)
    assert uncertainty["clear"] == pytest.approx(0.15)
    assert uncertainty["torn"] == pytest.approx(0.99)
    assert uncertainty["none"] == pytest.approx(0.9)


def test_active_order_trades_uncertainty_for_diversity():
    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    uncertainty = np.array([0.9, 0.89, 0.6])
    assert active_order(uncertainty, vectors, diversity=0.0).tolist() == [0, 1, 2]
    assert active_order(uncertainty, vectors, diversity=0.5).tolist() == [0, 2, 1]  # not the near-copy next
    # a segment like one already coded drops back
    assert active_order(uncertainty, vectors, labelled_vectors=np.array([[1.0, 0.0]]), diversity=0.5)[0] == 2


def _active_order_in_one_block(uncertainty, vectors, labelled_vectors, diversity=0.5, near=0.7, horizon=500):
    """active_order as it was before it compared block by block: every candidate with every labelled segment at
    once."""
    n = len(uncertainty)
    closest = np.clip((vectors @ labelled_vectors.T).max(axis=1).astype(float), 0.0, 1.0)
    chosen, order = np.zeros(n, dtype=bool), []
    for _ in range(min(n, horizon)):
        redundancy = np.clip((closest - near) / (1.0 - near), 0.0, 1.0)
        pick = int(np.argmax(np.where(chosen, -np.inf, uncertainty - diversity * redundancy)))
        order.append(pick)
        chosen[pick] = True
        closest = np.maximum(closest, np.clip(vectors @ vectors[pick], 0.0, 1.0))
    rest = np.flatnonzero(~chosen)
    return np.concatenate([np.asarray(order, dtype=int), rest[np.argsort(-uncertainty[rest], kind="stable")]])


@pytest.mark.parametrize("block", [4, 7, 2048])
def test_active_order_block_by_block_orders_as_in_one_block(monkeypatch, block):
    from theme_assist.project import active

    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(90, 8)).astype(np.float32)
    vectors[30:75] = vectors[:45] + 0.1 * rng.normal(size=(45, 8))  # near-copies (some labelled): redundant
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    uncertainty = rng.random(60)
    monkeypatch.setattr(active, "BLOCK", block)
    for horizon in (500, 20):
        expected = _active_order_in_one_block(uncertainty, vectors[:60], vectors[60:], horizon=horizon)
        assert expected.tolist() != active.active_order(uncertainty, vectors[:60], horizon=horizon).tolist()
        assert active.active_order(uncertainty, vectors[:60], vectors[60:], horizon=horizon).tolist() == \
            expected.tolist()


def test_refit_learns_from_decisions_and_queues_only_open_segments(tmp_path):
    with make_project(tmp_path / "p.taproj", with_run=False) as store:
        segments = store.segments()["segment_id"].tolist()
        first = refit(store, embedder=FakeEmbedder())
        assert store.latest_run()["mode"] == "zero-shot" and len(store.queue(first)) == len(segments)
        store.record_decisions([DecisionRequest(segments[1], "add", "work", "ana"),
                                DecisionRequest(segments[3], "add", "family", "ana")])
        second = refit(store, embedder=FakeEmbedder())
        run = store.latest_run()
        assert (run["id"], run["mode"], run["n_training"], run["n_decisions"]) == (second, "trained", 2, 2)
        assert run["embedding_model"] == "fake-hash@1" and "fake-hash@1" in run["model_id"]
        assert set(store.queue()["segment_id"]) == set(segments) - {segments[1], segments[3]}
        assert len(store.suggestions(first)) > 0  # the earlier run stays, superseded


class BlockingEmbedder(FakeEmbedder):
    """Waits for ``release`` before embedding, so a test can see a fit in progress."""

    def __init__(self):
        super().__init__()
        self.release = threading.Event()
        self.started = threading.Event()

    def encode(self, texts, show_progress=False):
        self.started.set()
        assert self.release.wait(30), "test never released the embedder"
        return super().encode(texts)


def test_background_refit_starts_after_n_decisions_and_never_holds_up_writes(tmp_path):
    path = tmp_path / "p.taproj"
    make_project(path).close()
    embedder = BlockingEmbedder()
    refitter = BackgroundRefitter(path, every=3, embedder=embedder)
    with ProjectStore(path) as store:
        segments = store.segments()["segment_id"].tolist()
        runs_before = len(store.runs())
        for segment in segments[:2]:
            store.record_decisions([DecisionRequest(segment, "add", "work", "ana")])
            refitter.decisions_recorded()
        assert not refitter.running
        store.record_decisions([DecisionRequest(segments[2], "add", "family", "ana")])
        refitter.decisions_recorded()
        assert embedder.started.wait(30) and refitter.running
        # the fit is stuck inside the embedder: decisions still go through and are counted for the next fit
        for segment in segments[3:6]:
            store.record_decisions([DecisionRequest(segment, "add", "stigma", "bo")])
            refitter.decisions_recorded()
        embedder.release.set()
        assert refitter.wait(60)
        assert refitter.last_error == "" and refitter.fits_completed == 2  # one more for decisions made meanwhile
        runs = store.runs()
        assert len(runs) == runs_before + 2 and runs["n_decisions"].iloc[-1] == 6


def test_a_background_refit_the_user_can_fix_is_one_warning_line_not_a_traceback(tmp_path, caplog):
    path = tmp_path / "p.taproj"
    make_project(path).close()
    refitter = BackgroundRefitter(path, every=1, embedder=object())
    path.unlink()  # moved away while the server runs
    refitter.start()
    assert refitter.wait(30)
    assert "does not exist" in refitter.last_error
    failures = [record for record in caplog.records if "background refit failed" in record.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is None and "does not exist" in failures[0].getMessage()


class LateRequestLock:
    """A refitter's lock that, once, starts a fit just after the worker's last look at it (its thread still alive),
    as a decision coming in at that moment does."""

    def __init__(self, refitter: BackgroundRefitter):
        self.lock, self.refitter, self.fired = threading.Lock(), refitter, False

    def __enter__(self):
        self.lock.acquire()

    def __exit__(self, *exc):
        self.lock.release()
        if threading.current_thread().name == "theme-assist-refit" and not self.fired:
            self.fired = True
            self.refitter.start()


def test_a_fit_asked_for_as_the_worker_stops_is_not_lost(tmp_path, monkeypatch):
    """The worker's thread was still alive after its last look: a fit asked for then was queued for it and lost,
    and the decisions waited for ten more before the engine learnt them."""
    fits = []
    monkeypatch.setattr("theme_assist.project.learn.refit", lambda store, **params: fits.append(store.path))
    path = tmp_path / "p.taproj"
    make_project(path).close()
    refitter = BackgroundRefitter(path, every=1, embedder=FakeEmbedder())
    refitter._lock = LateRequestLock(refitter)
    refitter.start()
    assert any(refitter.wait(30) for _ in range(3))
    assert refitter.fits_completed == len(fits) == 2


def test_a_refitter_without_an_embedder_makes_the_default_once_and_leaves_its_parameter_as_set(tmp_path, monkeypatch):
    """The refitter picked its default embedder its own way, writing it into its ``embedder``; it now uses the
    estimators' picker (embed.estimator_embedder), as the baseline engines do."""
    made, given = [], []
    monkeypatch.setattr("theme_assist.embed.Embedder", lambda: made.append(FakeEmbedder()) or made[-1])
    monkeypatch.setattr("theme_assist.project.learn.refit", lambda store, embedder, **params: given.append(embedder))
    path = tmp_path / "p.taproj"
    make_project(path).close()
    refitter = BackgroundRefitter(path, every=1)
    for _ in range(2):
        refitter.start()
        assert refitter.wait(30)
    assert refitter.fits_completed == 2 and len(made) == 1 and given == [made[0], made[0]]
    assert refitter.embedder is None


class RevisingEmbedder(FakeEmbedder):
    """Revises the project's codebook when the fit first embeds, as a coder may while a fit runs for minutes."""

    def __init__(self, store: ProjectStore):
        super().__init__()
        self.store = store
        self.revised_to = 0

    def encode(self, texts, show_progress=False):
        if not self.revised_to:
            codebook = self.store.codebook()
            codebook.codes[0].definition += " Also unpaid work."
            self.revised_to = self.store.add_codebook_version(codebook, note="revised during a fit")
        return super().encode(texts)


def test_a_run_is_stamped_with_the_codebook_version_it_was_fitted_on(tmp_path):
    with make_project(tmp_path / "p.taproj", with_run=False) as store:
        embedder = RevisingEmbedder(store)
        refit(store, embedder=embedder)
        assert embedder.revised_to == 2
        assert store.latest_run()["codebook_version"] == 1


@pytest.fixture()
def uncoded_ulm_project(tmp_path):
    """A project of the demo's two Ulm transcripts and the shipped codebook, made without imported codings."""
    folder = tmp_path / "ulm"
    folder.mkdir()
    for name in ("fg_ulm_01", "iv_ulm_01"):
        shutil.copy(DEMO / "transcripts" / f"{name}.txt", folder)
    project = tmp_path / "ulm.taproj"
    with pytest.raises(SystemExit) as exit_:
        main(["project", "init", str(project), "--codebook", str(packaged_codebook("upsides")), "--input",
              str(folder), "--metadata", str(DEMO / "metadata.csv")])
    assert exit_.value.code == 0
    return project


def abstentions(store: ProjectStore) -> int:
    suggestions = store.suggestions()
    return int((suggestions.loc[suggestions["rank"] == 1, "code"] == "").sum())


@pytest.mark.parametrize("added", [
    [("fg_ulm_01:3", "psw_self_disclosure")],
    [("fg_ulm_01:3", "psw_self_disclosure"), ("fg_ulm_01:9", "psw_role_clarity"),
     ("iv_ulm_01:5", "su_settings_variation")],
])
def test_a_coders_first_codes_do_not_make_the_project_abstain(uncoded_ulm_project, embedder, added):
    """The head fitted on a handful of coded segments beside the anchor texts could not be calibrated, and its
    scores were nearly uniform: one code added made 39 of the 82 turns abstain, where the codebook alone had
    suggested codes for all."""
    with ProjectStore(uncoded_ulm_project) as store:
        refit(store, embedder=embedder)
        before = abstentions(store)
        assert store.latest_run()["mode"] == "zero-shot" and before <= 2
        store.record_decisions([DecisionRequest(segment, "add", code, "ana") for segment, code in added])
        refit(store, embedder=embedder)
        assert store.latest_run()["mode"] == "trained" and abstentions(store) <= before + 2


def test_the_queue_puts_an_abstention_on_the_margin_scale_of_every_segment():
    """An abstention's suggestions hold its best score alone: 1 - best score put a segment whose codes all score
    alike behind one the engine is fairly sure of."""
    suggestions = pd.DataFrame({"segment_id": ["torn", "sure", "sure"], "code": ["", "a", "b"],
                                "score": [0.34, 0.6, 0.3], "rank": [1, 1, 2]})
    scores = pd.DataFrame({"a": [0.34, 0.6], "b": [0.33, 0.3], "c": [0.33, 0.1]}, index=["torn", "sure"])
    ids, vectors = np.array(["torn", "sure"]), np.eye(2)
    assert open_queue(suggestions, ids, np.ones(2, bool), vectors, diversity=0.0)["segment_id"].tolist() == [
        "sure", "torn"]  # without the scores, as before: 1 - 0.34 < 1 - (0.6 - 0.3)
    queue = open_queue(suggestions, ids, np.ones(2, bool), vectors, diversity=0.0, scores=scores)
    assert queue["segment_id"].tolist() == ["torn", "sure"]
    assert queue["uncertainty"].tolist() == pytest.approx([0.99, 0.7])
    # a multi-label codebook's codes do not compete: its scores are given, and not read
    multi = open_queue(suggestions, ids, np.ones(2, bool), vectors, diversity=0.0, scores=scores, exclusive=False)
    assert multi["segment_id"].tolist() == ["sure", "torn"]


def test_a_refit_queues_an_exclusive_codebooks_segments_by_the_margin_of_every_codes_score(tmp_path):
    with make_project(tmp_path / "p.taproj", with_run=False) as store:
        refit(store, embedder=FakeEmbedder(), threshold=1.0)  # every segment abstains
        suggestions = store.suggestions()
        assert (suggestions["code"] == "").all()
        scores = CodeSuggester(embedder=FakeEmbedder()).fit(None, store.codebook()).predict_proba(store.segments())
        expected = pd.Series(score_margin_uncertainty(scores.to_numpy()), index=scores.index)
        queue = store.queue().set_index("segment_id")["uncertainty"]
        assert queue.to_numpy() == pytest.approx(expected[queue.index].to_numpy())
        assert not np.allclose(queue, 1 - suggestions.set_index("segment_id").loc[queue.index, "score"])


def test_a_refit_embeds_and_scores_the_segments_once(tmp_path, monkeypatch):
    """The queue's scores and sentence embeddings were made again after the suggestions (a second pass over every
    segment, then a third encoding), 15–25 % of a refit on 5,370 segments."""
    texts_encoded, scored = [], []

    class CountingEmbedder(FakeEmbedder):
        def encode(self, texts, *args, **kwargs):
            texts_encoded.append(len(texts))
            return super().encode(texts, *args, **kwargs)

    scores = CodeSuggester._scores
    monkeypatch.setattr(CodeSuggester, "_scores", lambda self, *args: scored.append(1) or scores(self, *args))
    with make_project(tmp_path / "p.taproj", with_run=False) as store:
        n_segments = len(store.segments())
        refit(store, embedder=CountingEmbedder())
        assert len(store.queue()) == n_segments
    assert len(scored) == 1
    assert texts_encoded.count(n_segments) == 1


def test_a_refit_stores_no_suggestion_for_a_skipped_speaker_and_reads_their_turns_as_context(tmp_path):
    """The interviewer's turns were suggested for and queued: noise in the coder's review queue."""
    with make_project(tmp_path / "all.taproj", with_run=False) as store:
        refit(store, embedder=FakeEmbedder())
        everything = store.suggestions(with_evidence=False)
    with make_project(tmp_path / "p.taproj", with_run=False) as store:
        store.record_skip_speakers(["interviewer"])
        skipped = store.skipped_segment_ids()
        assert skipped == {"interview_a:0", "interview_a:2", "interview_b:0"}
        store.record_decisions([DecisionRequest("interview_a:1", "add", "work", "ana"),
                                DecisionRequest("interview_b:1", "add", "work", "ana"),
                                DecisionRequest("interview_a:3", "add", "family", "ana")])
        refit(store, embedder=FakeEmbedder())
        suggestions = store.suggestions(with_evidence=False)
        assert set(suggestions["segment_id"]) == set(store.segments()["segment_id"]) - skipped
        assert set(store.queue()["segment_id"]) == set(suggestions["segment_id"]) - {
            "interview_a:1", "interview_b:1", "interview_a:3"}
    with make_project(tmp_path / "zero.taproj", with_run=False) as store:
        store.record_skip_speakers(["Interviewer"])
        refit(store, embedder=FakeEmbedder())
        kept = store.suggestions(with_evidence=False)
    # the rest as without skipping: the skipped turns are still the context of the turns around them
    columns = ["segment_id", "code", "score", "rank"]
    expected = everything[~everything["segment_id"].isin(skipped)][columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept[columns].reset_index(drop=True), expected)


def test_the_queue_counts_only_coded_segments_for_diversity_not_skipped_ones():
    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    suggestions = pd.DataFrame({"segment_id": ["skipped", "a", "b"], "code": ["x"] * 3, "score": [0.5, 0.5, 0.6],
                                "rank": [1, 1, 1]})
    ids = np.array(["skipped", "a", "b"])
    is_open = np.array([False, True, True])
    as_coded = open_queue(suggestions, ids, is_open, vectors, diversity=1.0)
    assert as_coded["segment_id"].tolist() == ["b", "a"]  # "a" is a near-copy of a segment counted as coded
    skipped = open_queue(suggestions, ids, is_open, vectors, diversity=1.0, is_coded=np.zeros(3, dtype=bool))
    assert skipped["segment_id"].tolist() == ["a", "b"]  # by uncertainty alone
