"""Representative quotes: the segments closest to a theme's centre, without near-duplicates."""

from __future__ import annotations

import re

import numpy as np


def representative_quotes(vectors: np.ndarray, texts: list[str], members: np.ndarray, centroid: np.ndarray,
                          n_quotes: int = 5, duplicate_similarity: float = 0.9) -> list[tuple[int, float]]:
    """Pick up to ``n_quotes`` members, most central first, skipping near-duplicates of a quote already picked.

    Parameters
    ----------
    vectors : ndarray
        L2-normalised embeddings of all segments.
    texts : list of str
        Their texts.
    members : ndarray of int
        Row indices of the theme's segments.
    centroid : ndarray
        The theme's L2-normalised centroid.
    n_quotes : int
        Most quotes returned.
    duplicate_similarity : float
        A candidate whose cosine similarity to a picked quote reaches this, or whose text is the same up to
        case, spacing and punctuation ("Hello", "hello!!", "Hello?"), is a near-duplicate.

    Returns
    -------
    list of (int, float)
        Row index and cosine similarity to the centroid of each quote. Ties go to the earlier segment.
    """
    similarity = vectors[members] @ centroid
    picked: list[int] = []
    seen_texts: set[str] = set()
    for k in np.argsort(-similarity, kind="stable"):
        row = int(members[k])
        normalised = " ".join(re.findall(r"\w+", texts[row].lower()))
        if normalised in seen_texts:
            continue
        if picked and float((vectors[picked] @ vectors[row]).max()) >= duplicate_similarity:
            continue
        picked.append(row)
        seen_texts.add(normalised)
        if len(picked) == n_quotes:
            break
    return [(row, round(float(vectors[row] @ centroid), 4)) for row in picked]
