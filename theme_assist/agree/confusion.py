"""Which codes coders confuse: the confusion matrix of two coders, the coincidence matrix of more, and the pairs of
codes their disagreements fall on.

A codebook revised after a reliability round is revised where the coders disagree: on which pairs of codes. Two
coders' confusion matrix counts, for each code one gave and each code the other gave, the units they gave them
(rows the first coder's code, columns the second's). With three coders or more there is no first and second: their
disagreements are read off Krippendorff's coincidence matrix, the one α is computed from
(:func:`~theme_assist.agree.coefficients.coincidence_matrix`), each unit's pairable values pooled over every pair of
its coders, symmetric.

Each pair of codes is then ranked by its observed disagreements (the coincidences of the two codes: for two coders,
the units one gave the one code and the other the other, in either order), beside those expected by chance from the
codes' margins, as α expects them: ``e_ck = n_c n_k / (n - 1)``. Their ratio is 1 where the coders confuse the two
codes as often as two codes used that often would be confused by chance; above 1, more. A rare pair's few
disagreements may be many times its chance, where a frequent pair's many are fewer than chance. Summed over all
pairs, observed over expected is 1 - α (nominal).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from theme_assist.agree.coefficients import coincidence_matrix
from theme_assist.agree.ratings import MISSING, RatingTable, as_rating_table

SHOWN_PAIRS = 10
"""The pairs a table or report lists, most disagreements first; one line counts the rest (the JSON has them all)."""
SHOWN_CODES = 15
"""A table or report shows a matrix of this many codes or fewer; beyond, the pairs alone (the JSON has the matrix):
a matrix of more codes is mostly zeros, wider than a terminal or a page, and its disagreements are the pairs."""
NONE = "(none)"
"""The margin of a confusion matrix: units one side gave a code and the other none."""


def label(value) -> str:
    """A code as the matrices name it: a number without a needless ``.0``."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def confusion(first: pd.Series, second: pd.Series, categories: Sequence | None = None) -> dict:
    """The confusion matrix of two sides' codes of the same units, and the pairs of codes they disagree on.

    Parameters
    ----------
    first, second : Series
        Each side's code per unit (aligned by index), NaN where it gave none: two coders, or the human majority and
        the machine. The first's codes are the rows.
    categories : sequence, optional
        Every code, in order (--categories); by default those given, in the order of
        :func:`~theme_assist.agree.ratings.category_order`.

    Returns
    -------
    dict
        JSON-ready: ``kind`` ``"confusion"``, ``rows`` and ``columns`` (the sides' names), ``labels``, ``matrix``
        (counts of the units both sides coded, a row per label of the first side, a column per label of the
        second), ``first_only`` and ``second_only`` (per label: units that side coded and the other did not, in
        no pair), ``n_units`` (units both coded), and the :func:`disagreements`.
    """
    table = as_rating_table(pd.concat([first, second], axis=1), categories)
    q = table.n_categories
    rows, columns = table.codes[:, 0], table.codes[:, 1]
    both = (rows != MISSING) & (columns != MISSING)
    matrix = np.bincount(rows[both] * q + columns[both], minlength=q * q).reshape(q, q)
    first_only = np.bincount(rows[(rows != MISSING) & ~both], minlength=q)
    second_only = np.bincount(columns[(columns != MISSING) & ~both], minlength=q)
    return {"kind": "confusion", "rows": str(first.name), "columns": str(second.name),
            "labels": [label(value) for value in table.categories], "matrix": matrix.tolist(),
            "first_only": first_only.tolist(), "second_only": second_only.tolist(), "n_units": int(both.sum()),
            **disagreements(coincidence_matrix(table), table.categories, directed=matrix)}


def coincidences(ratings: pd.DataFrame, categories: Sequence | None = None) -> dict:
    """Krippendorff's coincidence matrix of any number of coders (the one α is computed from), and the pairs of
    codes they disagree on.

    Parameters
    ----------
    ratings : DataFrame
        Units × coders, NaN where a coder gave no code.
    categories : sequence, optional
        Every code, in order (--categories).

    Returns
    -------
    dict
        JSON-ready: ``kind`` ``"coincidences"``, ``coders``, ``labels``, ``matrix`` (symmetric: each unit's
        pairs of values, over every pair of its coders, weighted 1 / (its coders - 1)), ``n_units`` (units rated
        twice or more: pairable), ``n_values`` (their values: the matrix's sum), ``unpaired_units`` (rated once,
        in no pair), and the :func:`disagreements`.
    """
    table = as_rating_table(ratings, categories)
    return coincidences_of(table)


def coincidences_of(table: RatingTable) -> dict:
    """:func:`coincidences` of a :class:`~theme_assist.agree.ratings.RatingTable`."""
    matrix = coincidence_matrix(table)
    rated = table.ratings_per_unit
    return {"kind": "coincidences", "coders": [str(coder) for coder in table.coders],
            "labels": [label(value) for value in table.categories], "matrix": matrix.tolist(),
            "n_units": int((rated >= 2).sum()), "n_values": int(round(matrix.sum())),
            "unpaired_units": int((rated == 1).sum()),
            **disagreements(matrix, table.categories)}


def disagreements(matrix: np.ndarray, categories: Sequence, directed: np.ndarray | None = None) -> dict:
    """The pairs of codes a coincidence matrix's disagreements fall on, most first.

    Parameters
    ----------
    matrix : ndarray, shape (q, q)
        Coincidences (:func:`~theme_assist.agree.coefficients.coincidence_matrix`).
    categories : sequence
        The codes, in the matrix's order.
    directed : ndarray, shape (q, q), optional
        Two sides' confusion matrix: each pair then says how many units went each way.

    Returns
    -------
    dict
        ``pairs``: one per pair of codes with a disagreement, most ``observed`` first (ties: the higher ``ratio``
        first, then the codes' order): ``codes`` (the two), ``observed`` (their coincidences: for two sides,
        units), ``expected`` (by chance from the margins, ``n_c n_k / (n - 1)``), ``ratio`` (observed / expected;
        None where none is expected), ``share`` (of all observed disagreements) and, with ``directed``,
        ``counts``: units the first side gave the first code and the second the second, and the reverse.
        ``observed`` and ``expected``: over all pairs (their ratio is 1 - α, nominal).
    """
    matrix = np.asarray(matrix, dtype=float)
    margins = matrix.sum(axis=1)
    total = margins.sum()
    expected = np.outer(margins, margins) / (total - 1) if total > 1 else np.zeros_like(matrix)
    first, second = np.triu_indices(len(categories), 1)
    observed, chance = matrix[first, second], expected[first, second]
    ratio = np.divide(observed, chance, out=np.full_like(observed, np.nan), where=chance > 0)
    # coincidences are sums of fractions: equal ones may differ in the last bit
    order = np.lexsort((-np.nan_to_num(ratio, nan=np.inf), -observed.round(9)))
    order = order[observed[order] > 1e-9]
    all_observed = float(observed.sum())
    pairs = []
    for i in order:
        c, k = first[i], second[i]
        pair = {"codes": [label(categories[c]), label(categories[k])], "observed": float(observed[i]),
                "expected": float(chance[i]), "ratio": None if np.isnan(ratio[i]) else float(ratio[i]),
                "share": float(observed[i] / all_observed)}
        if directed is not None:
            pair["counts"] = [int(directed[c, k]), int(directed[k, c])]
        pairs.append(pair)
    return {"observed": all_observed, "expected": float(chance.sum()), "pairs": pairs}


def confusions(ratings: pd.DataFrame, machine: pd.Series | None = None, categories: Sequence | None = None) -> dict:
    """What ``agree --confusion`` reports: the coders' matrix and, with the machine's codes, the machine's.

    Parameters
    ----------
    ratings : DataFrame
        Units × coders, single-label, NaN where a coder gave no code.
    machine : Series, optional
        The machine's rank-1 code per unit (any units: those of ``ratings`` are compared), NaN where it abstained.
    categories : sequence, optional
        Every code, in order (--categories).

    Returns
    -------
    dict
        ``confusion``: two coders' :func:`confusion` matrix, more coders' :func:`coincidences` (absent for one
        coder); with ``machine``, ``machine_confusion``: the :func:`confusion` of the human majority
        (:func:`~theme_assist.agree.machine.human_majority`; for one coder, that coder's codes) against the
        machine's, rows the humans', with ``humans``: the number of coders.
    """
    from theme_assist.agree.machine import human_majority

    found = {}
    if ratings.shape[1] == 2:
        found["confusion"] = confusion(ratings.iloc[:, 0], ratings.iloc[:, 1], categories)
    elif ratings.shape[1] > 2:
        found["confusion"] = coincidences(ratings, categories)
    if machine is not None:
        humans = ratings.iloc[:, 0] if ratings.shape[1] == 1 else human_majority(ratings)
        found["machine_confusion"] = {**confusion(humans, machine.reindex(ratings.index), categories),
                                      "humans": ratings.shape[1]}
    return found
