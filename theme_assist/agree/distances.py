"""How far apart two categories are: Krippendorff's difference functions, MASI, and κ-family weights.

Krippendorff's α takes a squared difference δ²(c, k) between categories (Krippendorff 2011, "Computing
Krippendorff's Alpha-Reliability", section D). The κ family (Cohen 1968, Gwet 2014) takes agreement weights
w(c, k) in [0, 1] with w(c, c) = 1. Both are q × q matrices over a table's categories, built here once per table.
"""

from __future__ import annotations

from typing import Callable, Union

import numpy as np

from theme_assist.agree.ratings import RatingTable
from theme_assist.errors import InputError

LEVELS = ("nominal", "ordinal", "interval", "ratio")
"""Krippendorff's levels of measurement, by name."""

WEIGHTS = ("identity", "linear", "quadratic")
"""Named weights of the κ family; ``identity`` is the unweighted coefficient."""

Metric = Union[str, np.ndarray, Callable[[object, object], float]]


def masi_distance(a: frozenset, b: frozenset) -> float:
    """Passonneau's (2006) MASI distance between two label sets: ``1 - J * M``.

    ``J`` is the Jaccard overlap ``|a ∩ b| / |a ∪ b|`` and ``M`` the monotonicity weight: 1 when the sets are
    equal, 2/3 when one contains the other, 1/3 when they merely intersect, 0 when they are disjoint. Two empty
    sets are equal (distance 0); an empty and a non-empty set are disjoint (distance 1).

    Parameters
    ----------
    a, b : iterable
        The two label sets.

    Returns
    -------
    float
        The distance, in [0, 1].
    """
    a, b = frozenset(a), frozenset(b)
    if a == b:
        return 0.0
    shared = len(a & b)
    if shared == 0:
        return 1.0
    monotonicity = 2 / 3 if shared == min(len(a), len(b)) else 1 / 3
    return 1.0 - shared / len(a | b) * monotonicity


def distance_matrix(metric: Metric, table: RatingTable, marginals: np.ndarray | None = None) -> np.ndarray:
    """Squared differences δ²(c, k) between every pair of the table's categories.

    Parameters
    ----------
    metric : {"nominal", "ordinal", "interval", "ratio", "masi"}, callable or ndarray
        A level of measurement; ``"masi"`` for set-valued ratings; a function ``f(a, b) -> float`` of two
        category values; or a ready (n_categories, n_categories) matrix with zeros on the diagonal.
    table : RatingTable
        Supplies the categories, in order.
    marginals : ndarray of shape (n_categories,), optional
        Pairable values per category (the row sums of the coincidence matrix); required for ``"ordinal"``.

    Returns
    -------
    ndarray of shape (n_categories, n_categories)

    Raises
    ------
    InputError
        For an unknown metric name, non-numeric categories at the interval or ratio level, negative ones at the
        ratio level, categories without an order at the ordinal level, or a matrix of the wrong shape or with a
        non-zero diagonal.
    """
    q = table.n_categories
    if callable(metric):
        return _checked(np.array([[metric(a, b) for b in table.categories] for a in table.categories], float), q)
    if not isinstance(metric, str):
        return _checked(np.asarray(metric, dtype=float), q)
    if metric == "nominal":
        return 1.0 - np.eye(q)
    if metric == "masi":
        sets = [c if isinstance(c, frozenset) else frozenset([c]) for c in table.categories]
        return np.array([[masi_distance(a, b) for b in sets] for a in sets])
    if metric == "ordinal":
        if not (table.is_numeric or table.declared):
            raise InputError("the ordinal level needs numeric ratings or a declared category order")
        if marginals is None:
            raise ValueError("the ordinal metric needs the category marginals")
        return _ordinal(np.asarray(marginals, dtype=float))
    if metric in ("interval", "ratio"):
        values = table.category_values()
        difference = values[:, None] - values[None, :]
        if metric == "interval":
            return difference**2
        if (values < 0).any():
            # ((c - k) / (c + k))² would make -2 and 2 zero apart (and blow up near c = -k)
            raise InputError(f"the ratio level needs ratings of zero or more (a scale with an absolute zero); got "
                             f"{values.min():g}; use the interval level")
        total = values[:, None] + values[None, :]
        return np.divide(difference, total, out=np.zeros((q, q)), where=total != 0) ** 2
    raise InputError(f"unknown level {metric!r}; choose one of {', '.join(LEVELS)}, masi")


def agreement_weights(weights: str | np.ndarray | None, table: RatingTable) -> np.ndarray:
    """Agreement weights w(c, k) of the κ family, 1 on the diagonal and 0 for the most distant pair.

    Parameters
    ----------
    weights : {None, "identity", "linear", "quadratic"} or ndarray
        ``None`` or ``"identity"``: unweighted. ``"linear"`` / ``"quadratic"``: ``1 - |x_c - x_k| / range`` and
        ``1 - (x_c - x_k)² / range²`` (Cohen 1968; Gwet 2014, ch. 3) over the numeric category values, or over
        the positions 0 … q-1 of declared, non-numeric categories. A matrix is read as a distance (disagreement)
        matrix with zeros on the diagonal and turned into ``1 - d / d.max()``.
    table : RatingTable

    Returns
    -------
    ndarray of shape (n_categories, n_categories)
    """
    q = table.n_categories
    if weights is None or (isinstance(weights, str) and weights == "identity"):
        return np.eye(q)
    if isinstance(weights, str):
        if weights not in WEIGHTS:
            raise InputError(f"unknown weights {weights!r}; choose one of {', '.join(WEIGHTS)}")
        if table.is_numeric:
            values = table.category_values()
        elif table.declared:
            values = np.arange(q, dtype=float)
        else:
            raise InputError(f"{weights} weights need numeric ratings or a declared category order")
        difference = np.abs(values[:, None] - values[None, :])
        distances = difference if weights == "linear" else difference**2
    else:
        distances = _checked(np.asarray(weights, dtype=float), q)
    largest = distances.max()
    return 1.0 - distances / largest if largest > 0 else np.ones((q, q))


def weights_label(weights: str | np.ndarray | None) -> str:
    """How a result names its weights: ``""`` when unweighted."""
    if weights is None or (isinstance(weights, str) and weights == "identity"):
        return ""
    return f"{weights} weights" if isinstance(weights, str) else "custom weights"


def _ordinal(marginals: np.ndarray) -> np.ndarray:
    """δ²(c, k) = (Σ_{g=c..k} n_g − (n_c + n_k) / 2)², from a cumulative sum instead of a double loop."""
    cumulative = np.cumsum(marginals)
    low = np.minimum.outer(np.arange(len(marginals)), np.arange(len(marginals)))
    high = np.maximum.outer(np.arange(len(marginals)), np.arange(len(marginals)))
    between = cumulative[high] - cumulative[low] + marginals[low]
    return (between - (marginals[:, None] + marginals[None, :]) / 2) ** 2


def _checked(matrix: np.ndarray, q: int) -> np.ndarray:
    if matrix.shape != (q, q):
        raise InputError(f"the distance matrix has shape {matrix.shape}; the table has {q} categories")
    if np.any(np.diag(matrix) != 0) or np.any(matrix < 0):
        raise InputError("a distance matrix needs zeros on its diagonal and no negative entries")
    return matrix
