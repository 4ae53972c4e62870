"""Hierarchy: a merge tree of the themes that a coder can cut into broader themes.

Theme centroids are joined by average-linkage agglomerative clustering on cosine distance (scipy), which gives
``n_themes - 1`` merges, most similar first. Cutting the tree at a number of groups, or at a similarity, gives the
broader themes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MERGE_COLUMNS = ["node", "left", "right", "similarity", "size", "themes"]
"""Columns of the merge table: ``node`` (``"M1"``, … in merge order), ``left``/``right`` (theme or node ids),
``similarity`` (cosine similarity at which they merge), ``size`` (segments below the node), ``themes`` (list of the
theme ids below it)."""


def merge_tree(centroids: np.ndarray, theme_ids: list[str], sizes: list[int]) -> tuple[pd.DataFrame, np.ndarray]:
    """The merge table (:data:`MERGE_COLUMNS`) and scipy's linkage matrix of the theme centroids."""
    from scipy.cluster.hierarchy import linkage

    if len(theme_ids) < 2:
        return pd.DataFrame(columns=MERGE_COLUMNS), np.zeros((0, 4))
    tree = linkage(centroids.astype(np.float64), method="average", metric="cosine")
    names = list(theme_ids)
    members = [[t] for t in theme_ids]
    weights = list(sizes)
    rows = []
    for step, (left, right, distance, _) in enumerate(tree, start=1):
        left, right = int(left), int(right)
        names.append(f"M{step}")
        members.append(members[left] + members[right])
        weights.append(weights[left] + weights[right])
        rows.append({"node": names[-1], "left": names[left], "right": names[right],
                     "similarity": round(1.0 - float(distance), 4), "size": weights[-1], "themes": members[-1]})
    return pd.DataFrame(rows, columns=MERGE_COLUMNS), tree


def cut_tree(tree: np.ndarray, theme_ids: list[str], n_groups: int | None = None,
             min_similarity: float | None = None) -> pd.Series:
    """Broader theme (``"G1"``, … numbered by first theme) of every theme when the tree is cut into ``n_groups``
    or where merges fall below ``min_similarity``; exactly one of the two is given."""
    from scipy.cluster.hierarchy import fcluster

    if (n_groups is None) == (min_similarity is None):
        raise ValueError("give exactly one of n_groups and min_similarity")
    if len(theme_ids) < 2:
        return pd.Series(["G1"] * len(theme_ids), index=theme_ids, name="group", dtype=object)
    if n_groups is not None:
        flat = fcluster(tree, t=n_groups, criterion="maxclust")
    else:
        flat = fcluster(tree, t=1.0 - min_similarity, criterion="distance")
    order = {cluster: f"G{i}" for i, cluster in enumerate(dict.fromkeys(flat), start=1)}
    return pd.Series([order[c] for c in flat], index=theme_ids, name="group")
