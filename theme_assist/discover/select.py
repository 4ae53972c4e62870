"""Selectors: which segments theme discovery looks at.

A selector gets the segments and, when a suggestion engine was given, its scores (one row per segment, one column
per code, as returned by :meth:`theme_assist.suggest.CodeSuggester.predict_proba`) and returns a boolean mask of the
segments to cluster. Segments left out are accounted for as ``explained`` in the assignments, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from theme_assist.errors import InputError


@dataclass
class AllSegments:
    """Select every segment (discovery without a codebook, or on request)."""

    name = "all segments"

    def select(self, segments: pd.DataFrame, scores: pd.DataFrame | None = None) -> np.ndarray:
        return np.ones(len(segments), dtype=bool)


@dataclass
class UnexplainedSegments:
    """Select the segments no code explains well: the best code's score is below ``threshold``.

    Parameters
    ----------
    threshold : float
        A segment whose best score reaches this is explained by that code and left out. Without scores (no
        suggestion engine) every segment is selected.
    """

    threshold: float = 0.5

    @property
    def name(self) -> str:
        return f"segments whose best code scores below {self.threshold:g}"

    def select(self, segments: pd.DataFrame, scores: pd.DataFrame | None = None) -> np.ndarray:
        if not 0.0 <= self.threshold <= 1.0:
            raise InputError(f"the explained-score threshold must be between 0 and 1, got {self.threshold}")
        if scores is None or scores.shape[1] == 0:
            return np.ones(len(segments), dtype=bool)
        return scores.to_numpy().max(axis=1) < self.threshold
