"""Theme membership after clustering: tidy labels, centroids, and outliers reassigned above a similarity floor.

Clusterers leave some segments as outliers (label ``-1``). Showing a coder a third of the data as "no theme"
hides it, so every outlier joins its nearest theme when its cosine similarity to that theme's centroid reaches a
floor; only segments below the floor stay ``unclustered``, and how many is reported. Segments with the same
text (the same vector) always share their theme (:func:`one_theme_per_text`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def tidy_labels(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Dissolve clusters smaller than ``min_size`` into outliers and number the rest 0, 1, … by decreasing size
    (ties: the cluster whose first segment comes first)."""
    labels = np.asarray(labels)
    kept = [(-count, int(np.flatnonzero(labels == label)[0]), label)
            for label, count in zip(*np.unique(labels[labels >= 0], return_counts=True)) if count >= min_size]
    tidy = np.full(len(labels), -1)
    for new, (_, _, old) in enumerate(sorted(kept)):
        tidy[labels == old] = new
    return tidy


def theme_centroids(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """L2-normalised mean vector of each theme ``0 … labels.max()``; one row per theme."""
    n_themes = int(labels.max()) + 1 if len(labels) else 0
    centroids = np.zeros((n_themes, vectors.shape[1]), dtype=np.float64)
    np.add.at(centroids, labels[labels >= 0], vectors[labels >= 0])
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    return (centroids / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def reassign_outliers(vectors: np.ndarray, labels: np.ndarray, similarity_floor: float,
                      space: np.ndarray | None = None) -> np.ndarray:
    """Give every outlier its nearest theme when its cosine similarity to that theme's centroid reaches
    ``similarity_floor``; the others stay ``-1``.

    "Nearest" is measured in ``space``, the vectors that were clustered (``vectors`` when ``None``); the floor
    always in ``vectors``, the sentence embeddings, whose similarities keep one meaning whatever was clustered.
    """
    labels = np.asarray(labels).copy()
    outliers = np.flatnonzero(labels < 0)
    if not len(outliers) or labels.max() < 0:
        return labels
    space = vectors if space is None else space
    nearest = (space[outliers] @ theme_centroids(space, labels).T).argmax(axis=1)
    similarity = np.einsum("ij,ij->i", vectors[outliers], theme_centroids(vectors, labels)[nearest])
    close = similarity >= similarity_floor
    labels[outliers[close]] = nearest[close]
    return labels


def one_theme_per_text(labels: np.ndarray, space: np.ndarray, min_size: int) -> np.ndarray:
    """Give identical rows of ``space`` (one text embeds the same wherever it occurs) one label: the theme most of
    them are in (ties: the larger theme), outliers only where none is in a theme; then :func:`tidy_labels`, which
    also numbers the themes by their final sizes when no text repeats (outliers reassigned since the clusterer's
    numbering grew some themes past others).

    Clusterers split exact duplicates arbitrarily (HDBSCAN sees a run of zero distances; a reducer's float noise
    separates them), which would show a coder the same "Mm-hm." under two themes.
    """
    labels = np.asarray(labels)
    text, _ = pd.factorize(pd.Series([row.tobytes() for row in np.ascontiguousarray(space)]))  # 6× np.unique
    repeated = np.flatnonzero(np.bincount(text)[text] > 1)
    if not len(repeated):
        return tidy_labels(labels, min_size)
    out = labels.copy()
    sizes = np.bincount(labels[labels >= 0], minlength=1)
    for rows in pd.Series(repeated).groupby(text[repeated]).agg(list):
        themes = labels[rows][labels[rows] >= 0]
        if len(themes):
            values, counts = np.unique(themes, return_counts=True)
            out[rows] = values[np.lexsort((-sizes[values], -counts))[0]]
    return tidy_labels(out, min_size)
