"""Active learning: which open segment a coder should see next so that the engine learns most.

A segment is worth asking about when the engine is unsure of it (**uncertainty**: the margin between its two best
scores is small) and when it is not a near-copy of what coders have already answered or what is already queued
(**diversity**), so one round of answers does not spend itself on ten versions of the same hard case. The queue
is built greedily, as in maximal marginal relevance:

    value(i) = uncertainty(i) − diversity × redundancy(i)
    redundancy(i) = clip((max cosine similarity(i, labelled ∪ already queued) − near) / (1 − near), 0, 1)

Only similarity above ``near`` counts: sentence embeddings of any two utterances of one conversation are
already 0.3–0.6 similar, and penalising that swamps the uncertainty signal (``evaluation/simulate_coder.py``
measured it: a plain similarity penalty made active order worse than document order on AnnoMI).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


BLOCK = 2048
"""How many candidates and labelled segments :func:`active_order` compares at a time (BLOCK² similarities)."""


def margin_uncertainty(suggestions: pd.DataFrame) -> pd.Series:
    """1 − (best score − second score) per segment of a ``suggestions`` table, in [0, 1].

    A segment with one suggestion counts its second score as 0; an abstention (code ``""``) counts as
    uncertain as its best score is low: 1 − best score.
    """
    ranked = suggestions.sort_values(["segment_id", "rank"], kind="stable")
    scores = ranked.groupby("segment_id", sort=False)["score"].agg(list)
    abstained = set(ranked.loc[ranked["code"] == "", "segment_id"])
    uncertainty = pd.Series(
        [1.0 - s[0] if segment_id in abstained else 1.0 - (s[0] - (s[1] if len(s) > 1 else 0.0))
         for segment_id, s in scores.items()], index=scores.index, dtype=float)
    return uncertainty.clip(0.0, 1.0).rename("uncertainty")


def score_margin_uncertainty(scores: np.ndarray) -> np.ndarray:
    """1 − (best − second best) of each row of a segments × codes score matrix, in [0, 1]."""
    ranked = -np.sort(-np.asarray(scores, dtype=float), axis=1)
    second = ranked[:, 1] if ranked.shape[1] > 1 else 0.0
    return np.clip(1.0 - (ranked[:, 0] - second), 0.0, 1.0)


def active_order(uncertainty: np.ndarray, vectors: np.ndarray, labelled_vectors: np.ndarray | None = None,
                 diversity: float = 0.5, near: float = 0.7, horizon: int = 500) -> np.ndarray:
    """Indices of the candidates in the order to ask about them.

    Parameters
    ----------
    uncertainty : ndarray, shape (n,)
        Uncertainty of each candidate, in [0, 1].
    vectors : ndarray, shape (n, d)
        L2-normalised embeddings of the candidates.
    labelled_vectors : ndarray, shape (m, d), optional
        Embeddings of the segments coders have already coded.
    diversity : float
        Weight of the redundancy penalty (0: order by uncertainty alone).
    near : float
        Cosine similarity above which a candidate starts to count as redundant.
    horizon : int
        How many places are filled greedily; the rest follow by uncertainty (a coder answers a few dozen
        segments before the next refit reorders the queue anyway).

    Returns
    -------
    ndarray of int, shape (n,)
        A permutation of ``range(n)``; ties keep the candidates' order.
    """
    n = len(uncertainty)
    uncertainty = np.asarray(uncertainty, dtype=float)
    if n == 0:
        return np.zeros(0, dtype=int)
    closest = np.zeros(n)
    if labelled_vectors is not None and len(labelled_vectors):
        closest = np.full(n, -1.0)
        # BLOCK × BLOCK similarities at a time (16 MB of float32): every candidate against BLOCK labelled segments
        # at once peaked at 378 MiB (33,000 candidates); a maximum is the same whichever blocks it is taken over
        for row in range(0, n, BLOCK):
            candidates = vectors[row:row + BLOCK]
            for start in range(0, len(labelled_vectors), BLOCK):
                block = candidates @ labelled_vectors[start:start + BLOCK].T
                closest[row:row + BLOCK] = np.maximum(closest[row:row + BLOCK], block.max(axis=1))
        closest = np.clip(closest, 0.0, 1.0)
    chosen = np.zeros(n, dtype=bool)
    order: list[int] = []
    for _ in range(min(n, horizon)):
        redundancy = np.clip((closest - near) / (1.0 - near), 0.0, 1.0)
        value = np.where(chosen, -np.inf, uncertainty - diversity * redundancy)
        pick = int(np.argmax(value))
        order.append(pick)
        chosen[pick] = True
        closest = np.maximum(closest, np.clip(vectors @ vectors[pick], 0.0, 1.0))
    rest = np.flatnonzero(~chosen)
    rest = rest[np.argsort(-uncertainty[rest], kind="stable")]
    return np.concatenate([np.asarray(order, dtype=int), rest])
