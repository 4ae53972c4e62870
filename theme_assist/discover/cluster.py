"""Clusterers: group segment vectors into candidate themes.

Every clusterer has ``cluster(vectors, min_size, random_state) -> labels``: one integer per row, ``-1`` for an
outlier (a segment in no dense group). ``min_size`` is the smallest theme worth showing a coder; clusters smaller
than it are dissolved into outliers by the caller. Clusterers hold parameters only, so the stability check can
call the same object again on resampled rows.

``AutoClusterer`` (the default) uses HDBSCAN, which finds the number of themes itself, and falls back to
agglomerative clustering with a size-aware number of themes for small corpora, where density estimates are
meaningless, or when HDBSCAN finds fewer than two groups.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Above this many rows, agglomerative clustering only merges neighbours (a sparse k-NN graph) so that memory
#: stays linear instead of holding all pairwise distances.
DENSE_AGGLOMERATIVE_LIMIT = 5000


def size_aware_n_themes(n_rows: int, min_size: int, max_themes: int = 30) -> int:
    """A number of themes for ``n_rows`` segments when the method needs one: about ``sqrt(n / 2)``, at least 2,
    and no more than leaves every theme ``min_size`` segments on average, or ``max_themes``."""
    by_size = max(2, n_rows // max(min_size, 1))
    return int(np.clip(round(np.sqrt(n_rows / 2)), 2, min(by_size, max_themes)))


def n_clusters(labels: np.ndarray) -> int:
    return len(np.unique(labels[labels >= 0]))


@dataclass
class HDBSCANClusterer:
    """Density-based clustering (scikit-learn's HDBSCAN); the number of themes follows from ``min_size``.

    Parameters
    ----------
    min_samples : int
        Neighbours that make a point a core point; small values leave fewer outliers and find more themes.
    selection : {"eom", "leaf"}
        HDBSCAN's cluster selection: ``"eom"`` prefers large stable clusters, ``"leaf"`` many fine ones.
    max_share : float or None
        Largest theme, as a share of the segments (``"eom"`` only): without a cap, HDBSCAN often returns one theme
        holding most of the corpus, which tells a coder nothing. ``None``: no cap.
    """

    min_samples: int = 3
    selection: str = "eom"
    max_share: float | None = 0.3
    name = "hdbscan"

    def cluster(self, vectors: np.ndarray, min_size: int, random_state: int = 0) -> np.ndarray:
        from sklearn.cluster import HDBSCAN

        if len(vectors) < 2 * min_size:
            return np.full(len(vectors), -1)
        max_size = max(2 * min_size, int(self.max_share * len(vectors))) if self.max_share else None
        return HDBSCAN(min_cluster_size=min_size, min_samples=min(self.min_samples, min_size),
                       max_cluster_size=max_size, cluster_selection_method=self.selection,
                       copy=True).fit_predict(vectors)


@dataclass
class AgglomerativeClusterer:
    """Ward-linkage agglomerative clustering into ``n_themes`` groups (size-aware when ``None``)."""

    n_themes: int | None = None
    name = "agglomerative"

    def cluster(self, vectors: np.ndarray, min_size: int, random_state: int = 0) -> np.ndarray:
        from sklearn.cluster import AgglomerativeClustering

        n_themes = self.n_themes or size_aware_n_themes(len(vectors), min_size)
        if len(vectors) < 2 or n_themes >= len(vectors):
            return np.full(len(vectors), -1)
        connectivity = None
        if len(vectors) > DENSE_AGGLOMERATIVE_LIMIT:
            from sklearn.neighbors import kneighbors_graph

            connectivity = kneighbors_graph(vectors, n_neighbors=15, include_self=False)
        return AgglomerativeClustering(n_clusters=n_themes, linkage="ward",
                                       connectivity=connectivity).fit_predict(vectors)


@dataclass
class KMeansClusterer:
    """k-means into ``n_themes`` groups (size-aware when ``None``), seeded by ``random_state``."""

    n_themes: int | None = None
    n_init: int = 4
    name = "kmeans"

    def cluster(self, vectors: np.ndarray, min_size: int, random_state: int = 0) -> np.ndarray:
        from sklearn.cluster import KMeans

        n_themes = self.n_themes or size_aware_n_themes(len(vectors), min_size)
        if len(vectors) < 2 or n_themes >= len(vectors):
            return np.full(len(vectors), -1)
        return KMeans(n_clusters=n_themes, n_init=self.n_init, random_state=random_state).fit_predict(vectors)


@dataclass
class AutoClusterer:
    """HDBSCAN from ``small_corpus`` segments up, agglomerative below it or when HDBSCAN finds < 2 groups.

    Attributes
    ----------
    used_ : str
        What the last call used (``"hdbscan"``, ``"agglomerative"`` or ``"agglomerative (HDBSCAN found < 2
        groups)"``).
    """

    small_corpus: int = 200
    density: HDBSCANClusterer = field(default_factory=HDBSCANClusterer)
    fallback: AgglomerativeClusterer = field(default_factory=AgglomerativeClusterer)
    name = "auto"

    def cluster(self, vectors: np.ndarray, min_size: int, random_state: int = 0) -> np.ndarray:
        if len(vectors) >= self.small_corpus:
            labels = self.density.cluster(vectors, min_size, random_state)
            if n_clusters(labels) >= 2:
                self.used_ = self.density.name
                return labels
            self.used_ = f"{self.fallback.name} (HDBSCAN found fewer than two groups)"
        else:
            self.used_ = f"{self.fallback.name} (small corpus: fewer than {self.small_corpus} segments)"
        return self.fallback.cluster(vectors, min_size, random_state)


@dataclass
class EstimatorClusterer:
    """A scikit-learn style clusterer (anything with ``fit_predict``, such as ``KMeans`` or
    ``AgglomerativeClustering``) as a clusterer: each call fits a fresh copy, seeded with ``random_state`` where
    the estimator has one left at ``None``. ``min_size`` is not passed on: groups smaller than it are dissolved
    into outliers by the caller, as for every clusterer."""

    estimator: object

    @property
    def name(self) -> str:
        return type(self.estimator).__name__

    def cluster(self, vectors: np.ndarray, min_size: int, random_state: int = 0) -> np.ndarray:
        from sklearn.base import clone

        estimator = clone(self.estimator)
        if hasattr(estimator, "get_params") and estimator.get_params().get("random_state", 0) is None:
            estimator.set_params(random_state=random_state)
        return np.asarray(estimator.fit_predict(vectors), dtype=int)


CLUSTERERS = {"auto": AutoClusterer, "hdbscan": HDBSCANClusterer, "agglomerative": AgglomerativeClusterer,
              "kmeans": KMeansClusterer}
