"""The existing code nearest to each theme, so a coder can merge a candidate theme into the codebook instead of
adding it."""

from __future__ import annotations

import numpy as np

from theme_assist.discover.outliers import theme_centroids


def code_prototypes(suggester) -> tuple[list[str], np.ndarray]:
    """Code ids and one L2-normalised prototype per code: the mean embedding of the code's evidence in a fitted
    :class:`~theme_assist.suggest.CodeSuggester` (its coded segments; its codebook anchors when zero-shot)."""
    codes = list(suggester.classes_)
    rows, which = [], []
    for row, row_codes in enumerate(suggester.evidence_labels_):
        for code in row_codes:
            if code in codes:
                rows.append(row)
                which.append(codes.index(code))
    if not rows:
        return [], np.zeros((0, suggester.evidence_vectors_.shape[1]), dtype=np.float32)
    labels = np.asarray(which)
    prototypes = theme_centroids(suggester.evidence_vectors_[rows], labels)
    present = np.unique(labels)
    return [codes[k] for k in present], prototypes[present]


def nearest_codes(centroids: np.ndarray, code_ids: list[str], prototypes: np.ndarray) -> list[tuple[str, float]]:
    """``(code id, cosine similarity)`` of the nearest code to each centroid; ``("", nan)`` without codes."""
    if not code_ids:
        return [("", float("nan"))] * len(centroids)
    similarity = centroids @ prototypes.T
    best = similarity.argmax(axis=1)
    return [(code_ids[k], round(float(similarity[i, k]), 4)) for i, k in enumerate(best)]
