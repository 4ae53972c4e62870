"""Reference engines measured next to :class:`~theme_assist.suggest.CodeSuggester`.

They follow the same small contract as the suggester (``fit(coded, codebook)``, ``predict_proba(segments)``), so
the evaluation protocol runs them unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from theme_assist.codebook import Codebook


def _coded_rows(coded: pd.DataFrame | None) -> pd.DataFrame:
    if coded is None:
        return pd.DataFrame(columns=["text", "code"])
    return coded[coded["code"].fillna("").astype(str) != ""]


def _classes(codebook: Codebook, rows: pd.DataFrame) -> list[str]:
    """The codes an engine chooses among, as :class:`~theme_assist.suggest.CodeSuggester` does
    (:meth:`~theme_assist.codebook.Codebook.choices`): with a team that codes with a parent, the majority baseline
    stopped with a traceback where that was its most frequent code, and the others could never give it."""
    return codebook.choices(set(rows["code"].astype(str)))


class MajorityBaseline:
    """Always the most frequent code of the training data (the first code when there is none)."""

    def fit(self, coded: pd.DataFrame | None, codebook: Codebook) -> "MajorityBaseline":
        rows = _coded_rows(coded)
        self.classes_ = _classes(codebook, rows)
        counts = rows["code"].value_counts()
        self.majority_ = counts.index[0] if len(counts) else self.classes_[0]
        return self

    def predict_proba(self, segments: pd.DataFrame) -> pd.DataFrame:
        scores = np.zeros((len(segments), len(self.classes_)))
        scores[:, self.classes_.index(self.majority_)] = 1.0
        return pd.DataFrame(scores, index=segments["segment_id"].astype(str), columns=self.classes_)


class TfidfLogisticBaseline:
    """TF-IDF word 1–2-grams with a balanced logistic regression: what a careful analyst would try first."""

    def __init__(self, C: float = 1.0, random_state: int = 0):
        self.C = C
        self.random_state = random_state

    def fit(self, coded: pd.DataFrame | None, codebook: Codebook) -> "TfidfLogisticBaseline":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        from theme_assist.suggest import anchor_texts

        rows = _coded_rows(coded)
        self.classes_ = _classes(codebook, rows)
        texts = rows["text"].astype(str).tolist()
        labels = rows["code"].astype(str).tolist()
        if len(set(labels)) < 2:  # nothing to learn from: fall back on the codebook's own words
            pairs = [(code, text) for code, text in anchor_texts(codebook) if code in self.classes_]
            labels, texts = [p[0] for p in pairs], [p[1] for p in pairs]
        self.pipeline_ = make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000, random_state=self.random_state),
        ).fit(texts, labels)
        return self

    def predict_proba(self, segments: pd.DataFrame) -> pd.DataFrame:
        proba = self.pipeline_.predict_proba(segments["text"].astype(str).tolist())
        frame = pd.DataFrame(proba, index=segments["segment_id"].astype(str), columns=self.pipeline_.classes_)
        return frame.reindex(columns=self.classes_, fill_value=0.0)


class _EmbeddingEngine:
    """Shared by the engines that score segments by their sentence embeddings alone."""

    def __init__(self, embedder=None):
        self.embedder = embedder

    def _encode(self, texts) -> np.ndarray:
        from theme_assist.embed import estimator_embedder

        return estimator_embedder(self).encode([str(t) for t in texts])

    def _frame(self, scores: np.ndarray, segments: pd.DataFrame, columns) -> pd.DataFrame:
        frame = pd.DataFrame(scores, index=segments["segment_id"].astype(str), columns=list(columns))
        return frame.reindex(columns=self.classes_, fill_value=0.0)


class NearestNeighboursEngine(_EmbeddingEngine):
    """The codes of the ``k`` most similar coded segments (cosine similarity of embeddings), weighted by
    similarity: the k-nearest-neighbour alternative to a trained head."""

    def __init__(self, embedder=None, k: int = 15):
        super().__init__(embedder)
        self.k = k

    def fit(self, coded: pd.DataFrame | None, codebook: Codebook) -> "NearestNeighboursEngine":
        rows = _coded_rows(coded)
        self.classes_ = _classes(codebook, rows)
        self.vectors_ = self._encode(rows["text"])
        self.labels_ = rows["code"].astype(str).to_numpy()
        return self

    def predict_proba(self, segments: pd.DataFrame) -> pd.DataFrame:
        similarity = self._encode(segments["text"]) @ self.vectors_.T
        k = min(self.k, similarity.shape[1])
        nearest = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
        codes = sorted(set(self.labels_))
        scores = np.zeros((len(segments), len(codes)))
        weights = np.clip(np.take_along_axis(similarity, nearest, axis=1), 0.0, None)
        for column, code in enumerate(codes):
            scores[:, column] = (weights * (self.labels_[nearest] == code)).sum(axis=1)
        scores /= np.where(scores.sum(axis=1, keepdims=True) > 0, scores.sum(axis=1, keepdims=True), 1.0)
        return self._frame(scores, segments, codes)


class PrototypeEngine(_EmbeddingEngine):
    """Similarity to each code's prototype: the mean embedding of its coded segments and codebook anchor texts,
    turned into scores by a softmax at ``temperature``."""

    def __init__(self, embedder=None, temperature: float = 0.1):
        super().__init__(embedder)
        self.temperature = temperature

    def fit(self, coded: pd.DataFrame | None, codebook: Codebook) -> "PrototypeEngine":
        from theme_assist.suggest import anchor_texts

        rows = _coded_rows(coded)
        self.classes_ = _classes(codebook, rows)
        pairs = [(code, text) for code, text in anchor_texts(codebook) if code in self.classes_]
        labels = np.array(rows["code"].astype(str).tolist() + [code for code, _ in pairs])
        vectors = self._encode(rows["text"].tolist() + [text for _, text in pairs])
        prototypes = np.vstack([vectors[labels == code].mean(axis=0) for code in self.classes_])
        self.prototypes_ = prototypes / np.linalg.norm(prototypes, axis=1, keepdims=True)
        return self

    def predict_proba(self, segments: pd.DataFrame) -> pd.DataFrame:
        from scipy.special import softmax

        logits = self._encode(segments["text"]) @ self.prototypes_.T / self.temperature
        return self._frame(softmax(logits, axis=1), segments, self.classes_)
