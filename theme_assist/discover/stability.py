"""Stability: how often a theme re-forms when the segments are resampled.

For each resample, a random subset of the segments (drawn without replacement, so density-based clustering does
not see duplicated points) is clustered again by the same pipeline. Each theme, restricted to the subset, is
compared with every cluster of the resample by Jaccard similarity; its best match is how well it re-formed. A
theme's stability is the mean best Jaccard over the resamples (Hennig's clusterwise stability, 2007): about 0.75
and above is a theme that re-forms reliably; below 0.5 it is likely an artefact of this particular sample.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from sklearn.metrics.cluster import contingency_matrix


def best_match_jaccard(reference: np.ndarray, resampled: np.ndarray, n_themes: int) -> np.ndarray:
    """For each theme ``0 … n_themes - 1`` of ``reference``, the best Jaccard similarity with a cluster of
    ``resampled`` (same rows; ``-1`` is no cluster). NaN for a theme absent from the rows."""
    best = np.full(n_themes, np.nan)
    kept = (reference >= 0) & (resampled >= 0)
    present = np.unique(reference[reference >= 0])
    best[present] = 0.0
    if not kept.any():
        return best
    themes, theme_rows = np.unique(reference[kept], return_inverse=True)
    clusters, cluster_rows = np.unique(resampled[kept], return_inverse=True)
    overlap = contingency_matrix(theme_rows, cluster_rows).astype(float)
    theme_sizes = np.array([(reference == t).sum() for t in themes], dtype=float)
    cluster_sizes = np.array([(resampled == c).sum() for c in clusters], dtype=float)
    jaccard = overlap / (theme_sizes[:, None] + cluster_sizes[None, :] - overlap)
    best[themes] = jaccard.max(axis=1)
    return best


def resampled_stability(cluster_rows: Callable[[np.ndarray], np.ndarray], labels: np.ndarray,
                        n_resamples: int = 10, fraction: float = 0.8, max_rows: int | None = None,
                        random_state: int = 0) -> np.ndarray:
    """Mean best-match Jaccard of every theme over ``n_resamples`` subsets of the rows.

    Parameters
    ----------
    cluster_rows : callable
        Clusters the given row indices with the same pipeline and returns their labels (``-1``: unclustered).
    labels : ndarray
        The themes of all rows (``-1``: unclustered).
    n_resamples : int
        Number of subsets.
    fraction : float
        Share of the rows in each subset.
    max_rows : int or None
        Cap on the subset size, to bound the run time on large corpora.
    random_state : int
        Seed of the subsets.

    Returns
    -------
    ndarray
        One value in [0, 1] per theme (0 when it never re-formed), NaN for a theme none of whose segments any
        subset drew (only possible with a few small subsets): it was not tested, which is not unstable.
    """
    n_themes = int(labels.max()) + 1 if len(labels) else 0
    if n_themes == 0 or n_resamples < 1:
        return np.full(n_themes, np.nan)
    rng = np.random.default_rng(random_state)
    size = max(2, int(round(fraction * len(labels))))
    if max_rows:
        size = min(size, max_rows)
    scores = []
    for _ in range(n_resamples):
        rows = np.sort(rng.choice(len(labels), size=size, replace=False))
        scores.append(best_match_jaccard(labels[rows], cluster_rows(rows), n_themes))
    scores = np.vstack(scores)
    seen = (~np.isnan(scores)).sum(axis=0)
    return np.where(seen > 0, np.nansum(scores, axis=0) / np.maximum(seen, 1), np.nan)
