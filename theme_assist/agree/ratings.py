"""Reliability data: a units × coders table of ratings, encoded once as category indices.

Every coefficient of :mod:`theme_assist.agree` works on a :class:`RatingTable`: the ratings replaced by the index
of their category (``MISSING`` where a coder did not rate a unit), so that category counts, coincidences and
bootstrap resamples are integer array operations. A rating is any hashable value: a category label, a number,
or a ``frozenset`` of labels for multi-label (set-valued) coding.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Sequence

import numpy as np
import pandas as pd

from theme_assist.errors import InputError

MISSING = -1
"""Index that marks a missing rating in :attr:`RatingTable.codes`."""


@dataclass(frozen=True, eq=False)
class RatingTable:
    """Ratings of ``n_units`` units by ``n_coders`` coders, as category indices.

    Attributes
    ----------
    codes : ndarray of int, shape (n_units, n_coders)
        ``codes[u, c]`` is the index into :attr:`categories` of the rating coder ``c`` gave unit ``u``, or
        :data:`MISSING`.
    categories : tuple
        The category values in index order: sorted numbers, sorted labels, label sets ordered by size then
        content, or the order the caller declared.
    units, coders : pandas.Index
        Names of the rows and columns of :attr:`codes`.
    declared : bool
        Whether :attr:`categories` (and so their order) was given by the caller rather than read off the data.
    """

    codes: np.ndarray
    categories: tuple
    units: pd.Index
    coders: pd.Index
    declared: bool = False

    @property
    def n_units(self) -> int:
        return self.codes.shape[0]

    @property
    def n_coders(self) -> int:
        return self.codes.shape[1]

    @property
    def n_categories(self) -> int:
        return len(self.categories)

    @cached_property
    def is_numeric(self) -> bool:
        """Whether every category is a finite real number (so differences between categories are defined)."""
        return all(isinstance(c, numbers.Real) and not isinstance(c, bool) and np.isfinite(c) for c in self.categories)

    @cached_property
    def observed(self) -> np.ndarray:
        """Boolean mask, shape (n_units, n_coders): where a rating exists."""
        return self.codes != MISSING

    @cached_property
    def counts(self) -> np.ndarray:
        """Number of coders who put each unit in each category, shape (n_units, n_categories).

        Built with one :func:`numpy.bincount` over the flattened ``unit × n_categories + category`` index.
        """
        n, q = self.n_units, self.n_categories
        flat = (np.arange(n, dtype=np.int64)[:, None] * q + self.codes)[self.observed]
        return np.bincount(flat, minlength=n * q).reshape(n, q)

    @cached_property
    def ratings_per_unit(self) -> np.ndarray:
        """Number of coders who rated each unit, shape (n_units,)."""
        return self.observed.sum(axis=1)

    def category_values(self) -> np.ndarray:
        """The categories as floats, for interval, ratio and weighted coefficients.

        Raises
        ------
        InputError
            If a category is not a number.
        """
        if not self.is_numeric:
            bad = next((c for c in self.categories if not _parses_as_number(c)), self.categories[0])
            raise InputError(f"rating {str(bad)!r} is not a finite number; this level of measurement needs numeric "
                             "ratings")
        return np.asarray(self.categories, dtype=float)

    def take(self, units: np.ndarray) -> "RatingTable":
        """The table restricted to (or resampled as) the given unit positions; categories are kept."""
        return RatingTable(self.codes[units], self.categories, self.units[units], self.coders, self.declared)

    def to_frame(self) -> pd.DataFrame:
        """The ratings as a units × coders DataFrame of category values (NaN where missing)."""
        values = np.empty(self.codes.shape, dtype=object)
        values[:] = np.nan
        lookup = np.empty(self.n_categories, dtype=object)
        lookup[:] = list(self.categories)
        values[self.observed] = lookup[self.codes[self.observed]]
        return pd.DataFrame(values, index=self.units, columns=self.coders)


def _parses_as_number(value: Any) -> bool:
    """Whether ``value`` reads as a finite number (``inf``, ``nan`` and ``1e400`` do not)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, bool) and bool(np.isfinite(number))


def is_missing(values: np.ndarray) -> np.ndarray:
    """Elementwise: ``None``, NaN, ``pd.NA`` or a blank string (an empty cell of a CSV file)."""
    missing = pd.isna(values)
    if values.dtype == object:
        missing |= np.fromiter((isinstance(v, str) and not v.strip() for v in values.ravel()), bool,
                               count=values.size).reshape(values.shape)
    return missing


def category_order(values: Sequence) -> list:
    """Distinct values in a deterministic order: numbers ascending, strings ascending, sets by size then content.

    Mixed kinds (numbers and strings) are ordered by their string form.
    """
    distinct = list(dict.fromkeys(values))
    if all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in distinct):
        return sorted(distinct)
    if all(isinstance(v, (set, frozenset)) for v in distinct):
        return sorted(distinct, key=lambda s: (len(s), sorted(map(str, s))))
    if all(isinstance(v, str) for v in distinct):
        return sorted(distinct)
    return sorted(distinct, key=str)


def _numbers_if_mixed_with_numeric_text(rated: list, categories: Sequence) -> list:
    """``rated`` with text that reads as a number made a number, when ``categories`` (the ratings themselves or
    the declared ones) hold numbers and every text rating reads as one.

    Machine labels read from a CSV as text ("1") beside human ratings read as numbers (1.0) are the same
    categories; kept apart they would look like total disagreement.
    """
    has_number = any(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in categories)
    texts = {v for v in rated if isinstance(v, str)}
    if not (has_number and texts and all(_parses_as_number(v) for v in texts)):
        return rated
    return [float(v) if isinstance(v, str) else v for v in rated]


def _encode_numbers(rated: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and each rating's index among them, like ``np.unique(..., return_inverse=True)``.

    Whole numbers in a modest range (the usual rating scales) are ranked by counting instead of sorting,
    which is several times faster on large tables.
    """
    if rated.size and np.issubdtype(rated.dtype, np.floating) and not np.array_equal(rated, np.floor(rated)):
        return np.unique(rated, return_inverse=True)
    if rated.size == 0 or rated.max() - rated.min() > 1_000_000:
        return np.unique(rated, return_inverse=True)
    lowest = rated.min()
    offsets = (rated - lowest).astype(np.int64)
    used = np.bincount(offsets) > 0
    rank = np.cumsum(used) - 1
    return (np.flatnonzero(used) + lowest).astype(rated.dtype), rank[offsets]


def as_rating_table(ratings: Any, categories: Sequence | None = None) -> RatingTable:
    """Encode ratings as a :class:`RatingTable`.

    Parameters
    ----------
    ratings : RatingTable, DataFrame or array-like of shape (n_units, n_coders)
        One row per unit, one column per coder. Missing ratings are ``None``, NaN or blank strings. A DataFrame
        keeps its index (units) and columns (coders).
    categories : sequence, optional
        All possible categories, in order. Declare them when some category was never used (it still counts for
        Bennett's S and Gwet's AC1) or to give labels an order for ordinal coefficients. By default, the
        categories are the distinct ratings in :func:`category_order`.

    Returns
    -------
    RatingTable

    Raises
    ------
    InputError
        If the table is not two-dimensional (rows of different lengths, a dict, a single sequence), or a rating is
        not among the declared categories.
    """
    if isinstance(ratings, RatingTable):
        if categories is None or tuple(categories) == ratings.categories:
            return ratings
        ratings = ratings.to_frame()
    if isinstance(ratings, pd.DataFrame):
        units, coders = ratings.index, ratings.columns
        values = ratings.to_numpy()
    else:
        try:
            values = np.asarray(ratings)
        except ValueError:  # rows of different lengths
            lengths = sorted({len(row) for row in ratings if hasattr(row, "__len__")})
            raise InputError(f"ratings must be a units × coders table, one rating (or None) per coder in every row; "
                             f"got rows of {', '.join(map(str, lengths))} ratings") from None
        if values.ndim == 0:
            raise InputError(f"ratings must be a units × coders table (a DataFrame, a 2-D array or a list of rows); "
                             f"got a {type(ratings).__name__}")
        if values.ndim != 2:
            raise InputError(f"ratings must be a units × coders table; got an array of shape {values.shape}")
        units, coders = pd.RangeIndex(values.shape[0]), pd.RangeIndex(values.shape[1])
    if not np.issubdtype(values.dtype, np.number):
        values = values.astype(object)

    codes = np.full(values.shape, MISSING, dtype=np.int64)
    if np.issubdtype(values.dtype, np.number) and categories is None:
        present = ~np.isnan(values) if np.issubdtype(values.dtype, np.floating) else np.ones(values.shape, bool)
        uniques, codes[present] = _encode_numbers(values[present])
        return RatingTable(codes, tuple(uniques.tolist()), units, coders)

    present = ~is_missing(values)
    rated = [frozenset(v) if isinstance(v, set) else v for v in values[present]]
    rated = _numbers_if_mixed_with_numeric_text(rated, rated if categories is None else categories)
    if categories is None:
        order = category_order(rated)
    else:
        order = list(categories)
        if len(set(order)) != len(order):
            raise InputError("the declared categories contain a duplicate")
    index = {value: i for i, value in enumerate(order)}
    try:
        codes[present] = np.fromiter((index[v] for v in rated), np.int64, count=len(rated))
    except KeyError as exc:
        raise InputError(f"rating {exc.args[0]!r} is not among the declared categories {order}") from None
    except TypeError as exc:
        raise InputError(f"a rating is not a category label, number or set of labels ({exc})") from None
    return RatingTable(codes, tuple(order), units, coders, declared=categories is not None)


def missing_ratings(ratings: pd.DataFrame) -> tuple[int, int]:
    """The ratings missing from a units × coders table, and the ratings its units have room for, counting only the
    units rated at least once: a row no coder rated (a wide file's blank row, a unit neither side of a comparison
    rated) is no unit, and its empty cells are no missing ratings."""
    rated = ratings[ratings.notna().any(axis=1)]
    return int(rated.isna().sum().sum()), int(rated.size)
