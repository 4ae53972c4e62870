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


class MajorityBaseline:
    """Always the most frequent code of the training data (the first code when there is none)."""

    def fit(self, coded: pd.DataFrame | None, codebook: Codebook) -> "MajorityBaseline":
        self.classes_ = [c.id for c in codebook.leaf_codes]
        counts = _coded_rows(coded)["code"].value_counts()
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
        self.classes_ = [c.id for c in codebook.leaf_codes]
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
