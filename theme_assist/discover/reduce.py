"""Reducers: optional dimensionality reduction before clustering.

Density-based clustering degrades in high dimensions (every point is about as far from every other) and slows
down; a few principal components keep the structure the clustering needs. Reducers are deterministic (a full
SVD, no random initialisation), so the same vectors always give the same coordinates. Centroids, quotes and
similarities are still computed on the original embeddings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class PCAReducer:
    """Principal components of the embeddings, clipped to what the data allows.

    Parameters
    ----------
    n_components : int
        Components kept; fewer when there are fewer segments or dimensions.
    """

    n_components: int = 5

    @property
    def name(self) -> str:
        return f"PCA({self.n_components})"

    def fit_transform(self, vectors: np.ndarray) -> np.ndarray:
        from sklearn.decomposition import PCA

        n_components = min(self.n_components, vectors.shape[0] - 1, vectors.shape[1])
        if n_components < 1:
            return vectors
        return PCA(n_components=n_components, svd_solver="full").fit_transform(vectors).astype(np.float32)


@dataclass
class NoReducer:
    """Cluster the embeddings as they are."""

    name = "none"

    def fit_transform(self, vectors: np.ndarray) -> np.ndarray:
        return vectors
