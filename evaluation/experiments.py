"""Ideas tried against the goals of the evaluation and not kept: each measured against the same head, paired by fold.

Every variant here changes one thing in a replica of the suggestion head — the default features of
:mod:`theme_assist.features` (sentence embedding and hidden layers, neighbouring turns, TF-IDF) and a balanced
logistic regression, without the codebook anchors and calibration, which change κ by less than 0.002 with all
examples — so the difference to the replica, fold by fold, is the idea's own effect. Variants:

* ``neighbours' predicted codes``: stacked sequential learning (Cohen & Carvalho, 2005). A first head scores every
  segment of the training documents out of fold (4 inner folds grouped by document), and the segments of the test
  documents from all training documents; a second head sees, beside the default features, those scores for the
  two segments before and after each segment and their mean over the rest of its document. Coders' codes run in
  sequences (a question is followed by a reflection; a client in sustain talk stays there), which neighbouring
  embeddings alone may not carry.
* ``prior correction``: the balanced head's log-probabilities plus 0.5 × the log of each code's frequency in the
  training folds (leaning back towards the corpus's code frequencies).
* ``prior correction chosen on inner folds``: the same correction with its strength (0, 0.25, 0.5, 0.75 or 1)
  chosen per training set: the one with the highest κ on the training documents' held-out scores (3 inner folds
  grouped by document), so a corpus where leaning back hurts can keep the balanced head. (The suggester now has
  this built in, choosing on κ plus macro-F1: :func:`theme_assist.calibrate.fit_prior_strength`.)
* ``prior correction on kappa + macro-F1``: the suggester's own rule, :func:`theme_assist.calibrate.fit_prior_strength`,
  on the same held-out scores.
* ``per-code biases chosen on inner folds``: one additive bias per code (-2 to 2 in steps of 0.25, coordinate ascent)
  on the held-out log-probabilities, for the best κ plus macro-F1: threshold calibration with a free parameter per
  code instead of one strength.
* ``character 2-5-grams``: a character n-gram TF-IDF block (weight 0.5) beside the word n-grams.
* ``word 1-3-grams``: the word TF-IDF block with trigrams.
* ``document's mean embedding``: the mean of the represented segments of the rest of the document (unit length)
  as one more block beside the default features: what the conversation is about (which behaviour the client
  is asked to change decides whether "I like a drink with friends" is sustain talk).
* ``MLP head``: a one-hidden-layer network (256 units, L2 0.01, early stopping) on the same features instead of
  the logistic regression, with rare codes oversampled to balance them.
* ``MiniLM + mpnet``: the default features of all-MiniLM-L6-v2 and of all-mpnet-base-v2 side by side (only where
  ``make mpnet`` has put the larger model in ``models/``).
* ``MiniLM and mpnet heads averaged``: one head on each encoder's default features, their probabilities averaged
  (an ensemble rather than one head on both; also only with ``make mpnet``).
* ``self-training``: the head labels the segments nobody coded — in the training documents, those of the speakers
  coders code (in a benchmark: the segments whose human code is hidden by ``--per-code``), and the test documents'
  segments, which a project holds uncoded when it asks for suggestions — and the most confident half of the
  segments each code wins join the training set at weight 0.5 for a second fit (one round of pseudo-labelling).
  Meant for the few-shot case: compare with ``--per-code 10``.

* ``neighbours' predicted codes, prior correction``: the two ideas that each helped the therapist codes,
  together: the stacked second head, then the suggester's prior correction
  (:func:`theme_assist.calibrate.fit_prior_strength`) with its strength chosen on the first head's held-out
  scores of the training segments (the 4 inner folds the stacking computes anyway).
* ``neighbours' predicted codes, prior correction, MiniLM and mpnet averaged``: the same, with a stacked pair of
  heads on each encoder and their probabilities averaged (only with ``make mpnet``).

* ``place in the conversation``: one-hot blocks of the segment's place in its document — its tenth of the way
  through, and its turn number in doubling bins (1, 2, 3-4, 5-8, ... 65+), both speakers' turns counted — beside the
  default features: support conversations move from exploring to comforting to suggesting (ESConv's own stages).
* ``previous turn's words``: a TF-IDF word 1-2-gram block (weight 0.5) of the previous segment's text beside the
  default features, which hold only that turn's embedding: the question a client answers decides their talk type.
* ``place and previous turn's words``: both.

For codes that are ordered levels named by integers (EPITOME's 0 < 1 < 2: none, weak, strong), three variants use
that order, which the multinomial head ignores:

* ``ordinal head (Frank & Hall)``: Frank & Hall (2001): K-1 binary logistic regressions "level > k" on the default
  features, each segment weighted as in the replica's balanced head (so each binary head estimates its share of the
  same balanced distribution), combined into P(level = k) = P(> k-1) - P(> k), negative ones set to 0 and each row
  renormalised; decided by the most probable level. No calibration or prior correction, as the replica has none.
* ``default and ordinal heads averaged``: the replica's probabilities and the ordinal head's, averaged.
* ``expected level rounded``: the replica's probabilities, decided by the level nearest to the expected level
  sum_k k P(k) instead of the most probable one.

Three ideas on what the head sees of a segment's surroundings and of the codebook, in five variants:

* ``two turns each side``: the representations (sentence embedding and hidden layers) of the segments two before
  and two after each segment (the previous segment's previous, the next one's next: in a two-party conversation
  the same speaker's previous and next turn), times 0.5 as the previous and next segments' are, beside the
  default features (zero where there is none).
* ``two turns each side, weight 0.25``: the same blocks times 0.25.
* ``codebook similarity``: the cosine similarity of the segment's sentence embedding to each code's prototype —
  the normalised mean sentence embedding of its name, definition and inclusion criteria and of its anchor examples,
  the zero-shot engine's own prototypes (:func:`theme_assist.suggest.anchor_texts`; the benchmark codebooks have no
  examples)
  — as k more features beside the default ones: each standardised on the training segments, the block divided by
  √k so that its rows have about unit length like the embedding block's.
* ``codebook similarity, unit sd``: the same features standardised and not divided by √k (each with sd 1, a
  stronger block for the regularised head).
* ``turn length and likeness to neighbours``: seven surface features, standardised on the training segments and
  divided by √7: log(1 + words) of the segment and of its previous and next segments, the cosine similarity of its
  sentence embedding to theirs and to the segment's two before (the same speaker's previous turn), and the share of
  its words that the previous segment holds. The embeddings and the TF-IDF block have unit rows, so how long a
  turn is (a "yeah" against a story) is lost to them; and a reflection or restatement repeats the turn it answers,
  which the head sees only as two embeddings side by side, never as how alike they are.

``--per-code N`` keeps N coded segments of each code in the training documents (the seeded choice of
:func:`theme_assist.evaluate.limit_examples`, as ``theme-assist evaluate`` makes it) instead of all of them.

Writes ``evaluation/results/experiments.{json,md}``.

    python evaluation/experiments.py [--corpus annomi-therapist ...]
    python evaluation/experiments.py --variant "prior correction" --name experiments_prior  # a subset
"""

from __future__ import annotations

import argparse
import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from theme_assist.agree import cohen_kappa
from theme_assist.benchmarks import load_benchmark
from theme_assist.calibrate import PRIOR_STRENGTHS, fit_prior_strength, kappa_plus_macro_f1, log_code_shares
from theme_assist.embed import DEFAULT_HIDDEN_LAYERS, Embedder, embed_with_layers
from theme_assist.evaluate import grouped_folds, limit_examples
from theme_assist.features import FeatureBuilder, dense_to_csr, neighbour_index, reading_order, rows_or_zero
from theme_assist.machine import reproduce_options, rerun_command, write_results
from theme_assist.suggest import _prototypes, anchor_texts

CORPORA = ["annomi-therapist", "annomi-client", "esconv", "epitome-er"]
MPNET = Path(__file__).resolve().parents[1] / "models" / "all-mpnet-base-v2"
VARIANTS = ["neighbours' predicted codes", "prior correction", "prior correction chosen on inner folds",
            "prior correction on kappa + macro-F1", "per-code biases chosen on inner folds",
            "character 2-5-grams", "word 1-3-grams", "document's mean embedding", "MLP head", "MiniLM + mpnet",
            "MiniLM and mpnet heads averaged", "self-training", "neighbours' predicted codes, prior correction",
            "neighbours' predicted codes, prior correction, MiniLM and mpnet averaged",
            "place in the conversation", "previous turn's words", "place and previous turn's words",
            "ordinal head (Frank & Hall)", "default and ordinal heads averaged", "expected level rounded",
            "two turns each side", "two turns each side, weight 0.25", "codebook similarity",
            "codebook similarity, unit sd", "turn length and likeness to neighbours"]
ORDINAL = {"ordinal head (Frank & Hall)", "default and ordinal heads averaged", "expected level rounded"}
NEEDS_MPNET = {"MiniLM + mpnet", "MiniLM and mpnet heads averaged",
               "neighbours' predicted codes, prior correction, MiniLM and mpnet averaged"}
SELF_TRAINING_SHARE = 0.5
SELF_TRAINING_WEIGHT = 0.5


def fit_head(X, y, sample_weight=None, class_weight="balanced"):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, class_weight=class_weight, max_iter=3000, random_state=0).fit(
        X, y, sample_weight=sample_weight)


class Corpus:
    """A benchmark's segments (documents in reading order) with the head's features cached per encoder."""

    def __init__(self, name: str):
        benchmark = load_benchmark(name)
        self.codebook = benchmark.codebook
        self.segments = benchmark.segments.reset_index(drop=True)
        self.texts = self.segments["text"].astype(str).tolist()
        self.labels = self.segments["code"].to_numpy(dtype=str)
        self.documents = self.segments["document"].astype(str).to_numpy()
        self.coded = self.labels != ""
        self.previous, self.following = neighbour_index(self.segments)
        self.before2 = np.where(self.previous >= 0, self.previous[np.maximum(self.previous, 0)], -1)
        self.after2 = np.where(self.following >= 0, self.following[np.maximum(self.following, 0)], -1)
        self.place = self._place_features()
        self._represented = {}
        self._vectors = {}

    def _place_features(self) -> np.ndarray:
        """One-hot blocks of each segment's place in its document: its tenth of the way through, and its turn
        number in doubling bins (1, 2, 3-4, 5-8, ... 65+), every segment of both speakers counted."""
        order = reading_order(self.segments)
        rank = np.empty(len(order), dtype=int)
        documents = self.documents[order]
        starts = np.r_[0, np.flatnonzero(documents[1:] != documents[:-1]) + 1]
        lengths = np.diff(np.r_[starts, len(order)])
        first = np.repeat(starts, lengths)
        rank[order] = np.arange(len(order)) - first
        size = np.empty(len(order), dtype=int)
        size[order] = np.repeat(lengths, lengths)
        tenth = np.minimum((10 * rank) // np.maximum(size, 1), 9)
        doubling = np.minimum(np.ceil(np.log2(rank + 1)).astype(int), 7)
        out = np.zeros((len(order), 18), dtype=np.float32)
        out[np.arange(len(order)), tenth] = 1
        out[np.arange(len(order)), 10 + doubling] = 1
        return out / np.sqrt(2)

    def represented(self, model: str | None = None) -> np.ndarray:
        if model not in self._represented:
            self._vectors[model], self._represented[model] = embed_with_layers(Embedder(model=model), self.texts,
                                                                               DEFAULT_HIDDEN_LAYERS)
        return self._represented[model]

    def vectors(self, model: str | None = None) -> np.ndarray:
        """The segments' sentence embeddings (unit rows)."""
        self.represented(model)
        return self._vectors[model]

    def codebook_similarity(self) -> np.ndarray:
        """Cosine similarity of each segment's sentence embedding to each leaf code's prototype (the normalised
        mean sentence embedding of its :func:`~theme_assist.suggest.anchor_texts`), one column per code."""
        anchors = anchor_texts(self.codebook)
        anchor_vectors, _ = embed_with_layers(Embedder(), [text for _, text in anchors], ())
        prototypes = _prototypes(anchors, anchor_vectors, [code.id for code in self.codebook.leaf_codes])
        return self.vectors() @ prototypes.T

    def surface_features(self) -> np.ndarray:
        """Per segment: log(1 + words) of it, its previous and its next segment (0 where there is none); the cosine
        similarity of its sentence embedding to theirs and to its two-before's (0 where there is none); the share
        of its words (lower case) that the previous segment holds."""
        words = [set(re.findall(r"\w+", text.lower())) for text in self.texts]
        length = np.log1p([len(re.findall(r"\w+", text)) for text in self.texts])
        vectors = self.vectors()

        def at(values, index):
            return np.where(index >= 0, values[np.maximum(index, 0)], 0.0)

        def cosine(index):
            return np.where(index >= 0, np.einsum("ij,ij->i", vectors, vectors[np.maximum(index, 0)]), 0.0)

        overlap = np.array([len(words[i] & words[j]) / max(len(words[i]), 1) if j >= 0 else 0.0
                            for i, j in enumerate(self.previous)])
        return np.column_stack([length, at(length, self.previous), at(length, self.following),
                                cosine(self.previous), cosine(self.following), cosine(self.before2), overlap])

    def features(self, rows, builder: FeatureBuilder, represented: np.ndarray, fit: bool = False):
        context = [rows_or_zero(represented, neighbours[rows]) for neighbours in (self.previous, self.following)]
        texts = [self.texts[i] for i in rows]
        make = builder.fit_transform if fit else builder.transform
        return make(texts, represented[rows], context)

    def rows(self, documents, coded_only: bool = True) -> np.ndarray:
        inside = np.isin(self.documents, list(documents))
        return np.flatnonzero(inside & self.coded if coded_only else inside)

    def rest_of_document_mean(self, values: np.ndarray) -> np.ndarray:
        """Each row's mean of ``values`` over the other segments of its document (zero for a lone segment)."""
        frame = pd.DataFrame(values).assign(document=self.documents).groupby("document")
        sums, counts = frame.sum().loc[self.documents].to_numpy(), frame.size().loc[self.documents].to_numpy()
        return (sums - values) / np.maximum(counts - 1, 1)[:, None]

    def sequence_scores(self, scores: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """First-head scores of the two segments before and after each of ``rows``, and their mean over the rest
        of its document."""
        blocks = [rows_or_zero(scores, index[rows])
                  for index in (self.previous, self.following, self.before2, self.after2)]
        return np.hstack([*blocks, self.rest_of_document_mean(scores)[rows]])


def score(truth, predicted) -> dict:
    from sklearn.metrics import f1_score

    return {"kappa": float(cohen_kappa(list(truth), list(predicted)).value),
            "macro_f1": float(f1_score(truth, predicted, average="macro"))}


def run_fold(corpus: Corpus, train_documents, test_documents, variants, per_code: int | None = None,
             seed: int = 0) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer

    coded_train, test = corpus.rows(train_documents), corpus.rows(test_documents)
    train = coded_train
    if per_code is not None:
        kept = limit_examples(corpus.segments.iloc[coded_train], per_code, seed=seed)
        train = coded_train[kept["code"].to_numpy() != ""]
    y = corpus.labels
    represented = corpus.represented()
    builder = FeatureBuilder()
    X_train = corpus.features(train, builder, represented, fit=True)
    X_test = corpus.features(test, builder, represented)
    head = fit_head(X_train, y[train])
    proba_test = head.predict_proba(X_test)
    log_proba = np.log(proba_test)
    results = {"replica": score(y[test], head.classes_[proba_test.argmax(1)])}

    @functools.cache
    def held_out_log_proba() -> np.ndarray:
        """Log-probabilities of the training segments, each from a head that never saw its document (3 inner
        folds), computed once per fold."""
        scores = out_of_fold_scores(corpus, train, train_documents, head.classes_, represented, n_folds=3,
                                    coded_only=True)[train]
        return np.log(np.maximum(scores, 1e-12))

    @functools.cache
    def ordinal_proba() -> np.ndarray:
        return frank_hall_proba(X_train, y[train], X_test, head.classes_)

    @functools.cache
    def stacked(model: str | None) -> tuple[np.ndarray, np.ndarray]:
        return stacked_proba(corpus, train, train_documents, test_documents, head.classes_, corpus.represented(model))

    def with_dense(values: np.ndarray, scale: str | float):
        """The default features with ``values`` (one row per segment of the corpus) beside them: times ``scale``,
        or standardised on the training segments and divided by √columns (``"block"``) or not (``"unit"``)."""
        values = np.asarray(values, dtype=np.float32)
        if isinstance(scale, str):
            mean, sd = values[train].mean(0), values[train].std(0)
            values = (values - mean) / np.where(sd > 0, sd, 1.0)
            scale = 1 / np.sqrt(values.shape[1]) if scale == "block" else 1.0
        values = scale * values
        return (sparse.hstack([X_train, dense_to_csr(values[train])]).tocsr(),
                sparse.hstack([X_test, dense_to_csr(values[test])]).tocsr())

    def with_block(A, B, vectorizer, weight):
        block_train = vectorizer.fit_transform([corpus.texts[i] for i in train])
        block_test = vectorizer.transform([corpus.texts[i] for i in test])
        return (sparse.hstack([A, weight * block_train]).tocsr(), sparse.hstack([B, weight * block_test]).tocsr())

    for variant in variants:
        if variant == "neighbours' predicted codes":
            predicted = head.classes_[stacked(None)[0].argmax(1)]
        elif variant.startswith("neighbours' predicted codes, prior correction"):
            encoders = [None, str(MPNET)] if variant.endswith("MiniLM and mpnet averaged") else [None]
            proba = np.mean([stacked(encoder)[0] for encoder in encoders], axis=0)
            held_out = np.mean([stacked(encoder)[1] for encoder in encoders], axis=0)
            truth = np.searchsorted(head.classes_, y[train])
            prior = log_code_shares(truth, len(head.classes_))
            strength = fit_prior_strength(np.log(np.maximum(held_out, 1e-12)), truth, prior)
            predicted = head.classes_[(np.log(np.maximum(proba, 1e-12)) + strength * prior).argmax(1)]
        elif variant == "prior correction":
            prior = np.array([(y[train] == code).mean() for code in head.classes_])
            predicted = head.classes_[(log_proba + 0.5 * np.log(prior)).argmax(1)]
        elif variant == "prior correction chosen on inner folds":
            prior = np.log([(y[train] == code).mean() for code in head.classes_])
            held_out = held_out_log_proba()
            inner_kappa = [cohen_kappa(list(y[train]), list(head.classes_[(held_out + a * prior).argmax(1)])).value
                           for a in PRIOR_STRENGTHS]
            strength = PRIOR_STRENGTHS[int(np.argmax(inner_kappa))]
            predicted = head.classes_[(log_proba + strength * prior).argmax(1)]
        elif variant == "prior correction on kappa + macro-F1":
            truth = np.searchsorted(head.classes_, y[train])
            prior = log_code_shares(truth, len(head.classes_))
            strength = fit_prior_strength(held_out_log_proba(), truth, prior)
            predicted = head.classes_[(log_proba + strength * prior).argmax(1)]
        elif variant == "per-code biases chosen on inner folds":
            truth = np.searchsorted(head.classes_, y[train])
            biases = fit_code_biases(held_out_log_proba(), truth)
            predicted = head.classes_[(log_proba + biases).argmax(1)]
        elif variant == "character 2-5-grams":
            characters = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2,
                                         max_features=50000, dtype=np.float32)
            A, B = with_block(X_train, X_test, characters, 0.5)
            predicted = fit_head(A, y[train]).predict(B)
        elif variant == "word 1-3-grams":  # in place of the word 1-2-gram block
            embeddings_only = FeatureBuilder(tfidf_weight=0.0)
            words = TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True, min_df=2,
                                    token_pattern=r"(?u)\b\w+\b|\?", dtype=np.float32)
            A, B = with_block(corpus.features(train, embeddings_only, represented, fit=True),
                              corpus.features(test, embeddings_only, represented), words, 1.0)
            predicted = fit_head(A, y[train]).predict(B)
        elif variant == "document's mean embedding":
            others = corpus.rest_of_document_mean(represented)
            others /= np.maximum(np.linalg.norm(others, axis=1, keepdims=True), 1e-12)
            A = sparse.hstack([X_train, others[train]]).tocsr()
            predicted = fit_head(A, y[train]).predict(sparse.hstack([X_test, others[test]]).tocsr())
        elif variant == "MLP head":
            from sklearn.neural_network import MLPClassifier

            codes, counts = np.unique(y[train], return_counts=True)
            rng = np.random.default_rng(0)
            balanced = np.concatenate([rng.choice(np.flatnonzero(y[train] == code), counts.max()) for code in codes])
            mlp = MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-2, max_iter=60, early_stopping=True,
                                n_iter_no_change=5, random_state=0)
            predicted = mlp.fit(X_train[balanced], y[train][balanced]).predict(X_test)
        elif variant == "MiniLM and mpnet heads averaged":
            larger = corpus.represented(str(MPNET))
            other = FeatureBuilder()
            second = fit_head(corpus.features(train, other, larger, fit=True), y[train])
            averaged = (proba_test + aligned(second, head.classes_, corpus.features(test, other, larger))) / 2
            predicted = head.classes_[averaged.argmax(1)]
        elif variant == "self-training":
            unlabelled = np.r_[np.setdiff1d(coded_train, train), test]
            X_unlabelled = corpus.features(unlabelled, builder, represented)
            proba = head.predict_proba(X_unlabelled)
            winner, confidence = proba.argmax(1), proba.max(1)
            chosen = []
            for column in range(proba.shape[1]):
                won = np.flatnonzero(winner == column)
                most_confident = won[np.argsort(-confidence[won], kind="stable")]
                chosen.extend(most_confident[:int(np.ceil(SELF_TRAINING_SHARE * len(won)))])
            chosen = np.sort(np.array(chosen, dtype=int))
            weights = np.r_[np.ones(len(train)), np.full(len(chosen), SELF_TRAINING_WEIGHT)]
            second = fit_head(sparse.vstack([X_train, X_unlabelled[chosen]]).tocsr(),
                              np.r_[y[train], head.classes_[winner[chosen]]], sample_weight=weights)
            predicted = second.predict(X_test)
        elif variant in ("place in the conversation", "previous turn's words", "place and previous turn's words"):
            A, B = X_train, X_test
            if "words" in variant:
                words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2,
                                        token_pattern=r"(?u)\b\w+\b|\?", dtype=np.float32)
                before = [corpus.texts[i] if i >= 0 else "" for i in corpus.previous]
                A = sparse.hstack([A, 0.5 * words.fit_transform([before[i] for i in train])]).tocsr()
                B = sparse.hstack([B, 0.5 * words.transform([before[i] for i in test])]).tocsr()
            if "place" in variant:
                A = sparse.hstack([A, corpus.place[train]]).tocsr()
                B = sparse.hstack([B, corpus.place[test]]).tocsr()
            predicted = fit_head(A, y[train]).predict(B)
        elif variant == "ordinal head (Frank & Hall)":
            predicted = head.classes_[ordinal_proba().argmax(1)]
        elif variant == "default and ordinal heads averaged":
            predicted = head.classes_[((proba_test + ordinal_proba()) / 2).argmax(1)]
        elif variant == "expected level rounded":
            levels = integer_levels(head.classes_)
            expected = proba_test @ levels
            predicted = head.classes_[np.abs(expected[:, None] - levels[None, :]).argmin(1)]
        elif variant.startswith("two turns each side"):
            weight = 0.25 if variant.endswith("0.25") else 0.5
            farther = np.hstack([rows_or_zero(represented, corpus.before2), rows_or_zero(represented, corpus.after2)])
            A, B = with_dense(farther, weight)
            predicted = fit_head(A, y[train]).predict(B)
        elif variant.startswith("codebook similarity"):
            A, B = with_dense(corpus.codebook_similarity(), "unit" if variant.endswith("unit sd") else "block")
            predicted = fit_head(A, y[train]).predict(B)
        elif variant == "turn length and likeness to neighbours":
            A, B = with_dense(corpus.surface_features(), "block")
            predicted = fit_head(A, y[train]).predict(B)
        elif variant == "MiniLM + mpnet":
            both = np.hstack([represented, corpus.represented(str(MPNET))]) / np.sqrt(2)
            joint = FeatureBuilder()
            predicted = fit_head(corpus.features(train, joint, both, fit=True), y[train]).predict(
                corpus.features(test, joint, both))
        else:
            raise ValueError(f"unknown variant {variant!r}")
        results[variant] = score(y[test], predicted)
    return results


def stacked_proba(corpus: Corpus, train: np.ndarray, train_documents, test_documents, classes,
                  represented: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stacked sequential learning on one encoder's features: the second head's probabilities for the test
    documents' coded segments, and the first head's held-out probabilities of ``train`` (for choosing a prior
    correction)."""
    builder = FeatureBuilder()
    X_train = corpus.features(train, builder, represented, fit=True)
    first = fit_head(X_train, corpus.labels[train])
    scores = out_of_fold_scores(corpus, train, train_documents, classes, represented, n_folds=4)
    held_out = scores[train].copy()
    scored = corpus.rows(test_documents, coded_only=False)
    scores[scored] = aligned(first, classes, corpus.features(scored, builder, represented))
    second = fit_head(sparse.hstack([X_train, corpus.sequence_scores(scores, train)]).tocsr(), corpus.labels[train])
    test = corpus.rows(test_documents)
    X_test = sparse.hstack([corpus.features(test, builder, represented), corpus.sequence_scores(scores, test)])
    return aligned(second, classes, X_test.tocsr()), held_out


def integer_levels(classes) -> np.ndarray:
    """The level each code names (codes ``"0"``, ``"1"``, ``"2"``: 0, 1, 2), for the variants that use their order."""
    try:
        return np.array([int(code) for code in classes], dtype=float)
    except ValueError:
        raise ValueError(f"the ordinal variants need codes named by integers, not {list(classes)}") from None


def frank_hall_proba(X_train, y_train: np.ndarray, X_test, classes) -> np.ndarray:
    """Frank & Hall's (2001) ordinal head: the probability of each level (columns in the order of ``classes``) from
    K-1 binary logistic regressions "level > k", each fitted with the replica's balanced weights of the K codes as
    sample weights; P(level = k) = P(> k-1) - P(> k), negative ones set to 0 and each row renormalised."""
    from sklearn.utils.class_weight import compute_sample_weight

    levels = integer_levels(classes)
    order = np.argsort(levels, kind="stable")
    rank = np.searchsorted(levels[order], integer_levels(y_train))
    weights = compute_sample_weight("balanced", y_train)
    above = [fit_head(X_train, rank > k, sample_weight=weights, class_weight=None).predict_proba(X_test)[:, 1]
             for k in range(len(classes) - 1)]
    cumulative = np.column_stack([np.ones(X_test.shape[0]), *above, np.zeros(X_test.shape[0])])
    by_rank = np.maximum(cumulative[:, :-1] - cumulative[:, 1:], 0.0)
    by_rank /= np.maximum(by_rank.sum(1, keepdims=True), 1e-12)
    out = np.empty_like(by_rank)
    out[:, order] = by_rank
    return out


def fit_code_biases(log_proba: np.ndarray, truth: np.ndarray, sweeps: int = 3) -> np.ndarray:
    """One additive bias per code, from a grid of -2 to 2 in steps of 0.25, by coordinate ascent on κ plus
    macro-F1 of ``argmax(log_proba + biases)`` against ``truth``; the first code stays at 0."""
    def score(biases):
        return kappa_plus_macro_f1(truth, (log_proba + biases).argmax(1), log_proba.shape[1])

    biases = np.zeros(log_proba.shape[1])
    best = score(biases)
    for _ in range(sweeps):
        changed = False
        for column in range(1, log_proba.shape[1]):
            for value in np.arange(-2.0, 2.01, 0.25):
                trial = biases.copy()
                trial[column] = value
                trial_score = score(trial)
                if trial_score > best + 1e-9:
                    biases, best, changed = trial, trial_score, True
        if not changed:
            break
    return biases


def out_of_fold_scores(corpus: Corpus, train: np.ndarray, train_documents, classes, represented: np.ndarray,
                       n_folds: int, coded_only: bool = False) -> np.ndarray:
    """Scores (columns in the order of ``classes``) of the training documents' segments — every segment, or only
    the coded ones — each from a head fitted on the other inner folds (grouped by document, seed 1) of ``train``;
    zero in all other rows."""
    scores = np.zeros((len(corpus.texts), len(classes)))
    train_frame = corpus.segments[np.isin(corpus.documents, list(train_documents))]
    for inner_train, inner_test in grouped_folds(train_frame, n_folds=n_folds, seed=1):
        inner_builder = FeatureBuilder()
        fitted = np.intersect1d(corpus.rows(inner_train), train)
        inner = fit_head(corpus.features(fitted, inner_builder, represented, fit=True), corpus.labels[fitted])
        scored = corpus.rows(inner_test, coded_only=coded_only)
        scores[scored] = aligned(inner, classes, corpus.features(scored, inner_builder, represented))
    return scores


def aligned(head, classes, X) -> np.ndarray:
    """``head``'s scores in the column order of ``classes`` (zero for a code it never saw)."""
    proba = head.predict_proba(X)
    out = np.zeros((X.shape[0], len(classes)))
    for column, code in enumerate(head.classes_):
        out[:, list(classes).index(code)] = proba[:, column]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append", help="benchmark name (repeatable)")
    parser.add_argument("--variant", action="append", choices=VARIANTS, help="only these (repeatable)")
    parser.add_argument("--per-code", type=int, help="coded segments kept per code in the training documents "
                        "(default: all)")
    parser.add_argument("--name", default="experiments", help="stem of the result files")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    if args.per_code is not None and args.per_code < 1:
        parser.error("--per-code must be 1 or more: every variant trains a head on coded examples")
    variants = [v for v in (args.variant or VARIANTS) if v not in NEEDS_MPNET or MPNET.exists()]
    rows = []
    for name in args.corpus or CORPORA:
        corpus = Corpus(name)
        corpus_variants = variants
        if ORDINAL & set(variants) and not all(code.isdigit() for code in set(corpus.labels[corpus.coded])):
            corpus_variants = [v for v in variants if v not in ORDINAL]
            print(f"{name}: its codes are not levels named by integers; the ordinal variants are left out", flush=True)
        folds = [run_fold(corpus, train, test, corpus_variants, args.per_code, seed=fold)
                 for fold, (train, test) in enumerate(grouped_folds(corpus.segments))]
        base = np.array([fold["replica"]["kappa"] for fold in folds])
        for variant in ["replica", *corpus_variants]:
            kappa = np.array([fold[variant]["kappa"] for fold in folds])
            row = {"corpus": name, "variant": variant, "kappa": kappa.mean(), "kappa_sd": kappa.std(ddof=1),
                   "macro_f1": np.mean([fold[variant]["macro_f1"] for fold in folds]),
                   "paired_delta": (kappa - base).mean(), "folds_better": int((kappa > base).sum()),
                   "fold_kappas": kappa.round(4).tolist()}
            rows.append(row)
            print(f"{name:18s} {variant:28s} kappa {row['kappa']:.3f} ± {row['kappa_sd']:.3f} F1 "
                  f"{row['macro_f1']:.3f} paired {row['paired_delta']:+.3f} ({row['folds_better']}/5)", flush=True)
    examples = "all coded examples" if args.per_code is None else f"{args.per_code} coded examples per code"
    command = rerun_command("evaluation/experiments.py",
                            reproduce_options(args, args.corpus or CORPORA, variants, "experiments"))
    lines = ["# Ideas tried and not kept", "",
             f"5-fold cross-validation grouped by document (seed 0), {examples}. Each variant changes one "
             "thing in a replica of the default head (its features and balanced logistic regression, without "
             "codebook anchors and calibration); Δκ is the mean over folds of the variant's κ minus the replica's "
             "in the same fold, and 'better' counts the folds where it is higher. What each variant is: the "
             f"docstring of `evaluation/experiments.py`. Reproduce: `{command}`.", "",
             "| corpus | variant | κ | κ sd | macro-F1 | Δκ (paired) | folds better |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['corpus']} | {r['variant']} | {r['kappa']:.3f} | {r['kappa_sd']:.3f} | {r['macro_f1']:.3f} | "
              f"{r['paired_delta']:+.3f} | {r['folds_better']}/5 |" for r in rows]
    write_results(args.out, args.name, {"per_code": args.per_code, "rows": rows}, lines)


if __name__ == "__main__":
    main()
