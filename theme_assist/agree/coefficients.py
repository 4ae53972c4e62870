"""Agreement coefficients over a units × coders table, any number of coders, missing ratings allowed.

The chance-corrected coefficients share one form, (p_a − p_e) / (1 − p_e), and one observed agreement, the
weighted share of agreeing coder pairs per unit averaged over the units rated at least twice (Gwet 2014, ch. 2-3;
Fleiss 1971 for complete data):

    p_a = mean over units with r_u ≥ 2 of  Σ_k r_uk (r*_uk − 1) / (r_u (r_u − 1)),   r*_uk = Σ_l w_kl r_ul

They differ only in the chance agreement p_e (q categories, weights w, T_w = Σ_kl w_kl):

=========================  ===========================================================================
percent agreement          0
Bennett et al. (1954) S /  T_w / q²
Brennan & Prediger (1981)
Scott (1955) π /           Σ_kl w_kl π_k π_l, π_k = mean over rated units of r_uk / r_u
Fleiss (1971) κ
Cohen (1960, 1968) κ /     Σ_kl w_kl (p̄_k p̄_l − s²_kl / R), p_gk = share of coder g's ratings in k, p̄_k its mean
Conger (1980) κ            over the R coders and s²_kl their covariance (Gwet 2014, eq. 2.3.7)
Gwet (2008) AC1 / AC2      T_w / (q (q − 1)) · Σ_k π_k (1 − π_k)
=========================  ===========================================================================

With complete data these are the published definitions; with missing ratings they follow Gwet's (2014)
treatment, as irrCAC does. Every term is a sum over units, so :func:`chance_corrected` evaluates a coefficient
under many unit weightings at once, which is how :mod:`theme_assist.agree.bootstrap` resamples units.

Krippendorff's α (Krippendorff 2011) is computed from the coincidence matrix, itself one matrix product of the
unit × category count matrix.

On presence/absence tables stacked over codes (multi-label coding), κ and π are pooled as De Vries et al. (2008) pool
κ (:func:`de_vries_kappa`): each code's observed and chance agreement, averaged over the codes.

Light's (1971) κ (:func:`light_kappa`) is not of that form: it averages the pairs of coders' Cohen's κ, each taken
on the units both coders of the pair rated.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from theme_assist.agree.distances import Metric, agreement_weights, distance_matrix, weights_label
from theme_assist.agree.ratings import RatingTable, as_rating_table
from theme_assist.agree.results import AlphaResult, ChanceCorrectedResult, LightResult
from theme_assist.errors import InputError

CHANCE_MODELS = ("percent", "bennett_s", "fleiss", "conger", "gwet")
"""The chance-agreement models of :func:`chance_corrected`."""

_NAMES = {
    "percent": "Percent agreement",
    "bennett_s": "Bennett's S (Brennan-Prediger)",
    "fleiss": "Fleiss' kappa",
    "conger": "Conger's kappa",
    "gwet": "Gwet's AC1",
    "cohen": "Cohen's kappa",
    "scott": "Scott's pi",
}


@dataclass(frozen=True)
class UnitTerms:
    """Per-unit terms of the chance-corrected coefficients; every coefficient is a ratio of their weighted sums.

    Attributes
    ----------
    agreement : ndarray, shape (n_units,)
        Weighted share of agreeing coder pairs in the unit; 0 for units rated fewer than twice.
    pairable : ndarray, shape (n_units,)
        1.0 where the unit was rated at least twice.
    shares : ndarray, shape (n_units, n_categories)
        r_uk / r_u: the unit's ratings spread over the categories; zero rows for unrated units.
    rated : ndarray, shape (n_units,)
        1.0 where the unit was rated at least once.
    coder_categories : scipy.sparse matrix, shape (n_units, n_coders * n_categories)
        One-hot of coder g rating the unit k at column ``g * n_categories + k`` (Conger's κ only).
    """

    agreement: np.ndarray
    pairable: np.ndarray
    shares: np.ndarray
    rated: np.ndarray
    coder_categories: sparse.csr_matrix | None


def unit_terms(table: RatingTable, weights: np.ndarray, by_coder: bool = False) -> UnitTerms:
    """The per-unit terms of ``table`` under agreement ``weights`` (see :class:`UnitTerms`)."""
    counts = table.counts.astype(float)
    ratings = table.ratings_per_unit.astype(float)
    weighted = counts @ weights.T
    pairs = ratings * (ratings - 1)
    pairable = pairs > 0
    agreement = np.divide((counts * (weighted - 1)).sum(axis=1), pairs, out=np.zeros_like(ratings),
                          where=pairable)
    rated = ratings > 0
    shares = np.divide(counts, ratings[:, None], out=np.zeros_like(counts), where=rated[:, None])
    coder_categories = None
    if by_coder:
        unit, coder = np.nonzero(table.observed)
        column = coder * table.n_categories + table.codes[unit, coder]
        coder_categories = sparse.csr_matrix(
            (np.ones(unit.size), (unit, column)), shape=(table.n_units, table.n_coders * table.n_categories))
    return UnitTerms(agreement, pairable.astype(float), shares, rated.astype(float), coder_categories)


def chance_corrected(terms: UnitTerms, weights: np.ndarray, model: str,
                     unit_weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Observed and chance agreement under each row of ``unit_weights``.

    Parameters
    ----------
    terms : UnitTerms
    weights : ndarray, shape (q, q)
        Agreement weights.
    model : {"percent", "bennett_s", "fleiss", "conger", "gwet"}
    unit_weights : ndarray, shape (n_draws, n_units), optional
        How many times each unit counts in each draw (a bootstrap resample); by default every unit once.

    Returns
    -------
    observed, expected : ndarray, shape (n_draws,)
        p_a and p_e; ``nan`` where undefined (no pairable unit, or a coder without ratings for Conger).
    """
    if unit_weights is None:
        unit_weights = np.ones((1, terms.pairable.size))
    q = weights.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = (unit_weights @ terms.agreement) / (unit_weights @ terms.pairable)
        if model == "percent":
            expected = np.zeros_like(observed)
        elif model == "bennett_s":
            expected = np.full_like(observed, weights.sum() / q**2)
        elif model == "fleiss":
            pi = _category_propensities(terms, unit_weights)
            expected = np.einsum("bk,kl,bl->b", pi, weights, pi)
        elif model == "gwet":
            pi = _category_propensities(terms, unit_weights)
            expected = weights.sum() / (q * (q - 1)) * (pi * (1 - pi)).sum(axis=1) if q > 1 else np.nan * observed
        elif model == "conger":
            expected = _conger_expected(terms, weights, unit_weights)
        else:
            raise ValueError(f"unknown chance model {model!r}")
    return observed, expected


def _category_propensities(terms: UnitTerms, unit_weights: np.ndarray) -> np.ndarray:
    """π_k: the mean over rated units of the share of the unit's ratings in category k, shape (n_draws, q)."""
    return (unit_weights @ terms.shares) / (unit_weights @ terms.rated)[:, None]


def _conger_expected(terms: UnitTerms, weights: np.ndarray, unit_weights: np.ndarray) -> np.ndarray:
    q = weights.shape[0]
    per_coder = np.asarray((terms.coder_categories.T @ unit_weights.T).T).reshape(len(unit_weights), -1, q)
    # A coder none of whose units was drawn is left out of that draw, as prepare_table leaves out a coder
    # without ratings: the resample then gets the coefficient the full data would give, not NaN.
    ratings = per_coder.sum(axis=2, keepdims=True)
    p = np.divide(per_coder, ratings, out=np.zeros_like(per_coder), where=ratings > 0)
    coders = (ratings[:, :, 0] > 0).sum(axis=1).astype(float)
    mean = p.sum(axis=1) / coders[:, None]
    # sum_kl w_kl (mean_k mean_l - covariance_kl / coders), each term weighted as it is summed: no draws x q x q
    # array (1,000 resamples of 500 codes: 2 GB each)
    outer = ((mean @ weights.T) * mean).sum(axis=1)
    products = ((p @ weights.T) * p).sum(axis=(1, 2))
    covariance = (products - coders * outer) / (coders - 1)
    return outer - covariance / coders


def coefficient_values(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """(p_a − p_e) / (1 − p_e), ``nan`` where p_e is 1 (no room for agreement beyond chance) or undefined."""
    room = 1.0 - expected
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.isclose(room, 0.0, atol=1e-12), np.nan, (observed - expected) / room)


def _chance_corrected_result(ratings: Any, model: str, weights: str | np.ndarray | None,
                             categories: Sequence | None, metric: str | None = None) -> ChanceCorrectedResult:
    table = prepare_table(metric or model, as_rating_table(ratings, categories))
    common = _description(table, model, weights, metric)
    reason = _undefined_reason(table, model)
    if reason:
        return ChanceCorrectedResult(value=np.nan, reason=reason, **common)
    matrix = agreement_weights(weights, table)
    terms = unit_terms(table, matrix, by_coder=model == "conger")
    observed, expected = chance_corrected(terms, matrix, model)
    value = coefficient_values(observed, expected)[0]
    reason = None if np.isfinite(value) else "no variation: every rating is in one category (chance agreement 1)"
    return ChanceCorrectedResult(value=float(value), reason=reason, observed_agreement=float(observed[0]),
                                 expected_agreement=float(expected[0]), **common)


def _description(table: RatingTable, model: str, weights: str | np.ndarray | None, metric: str | None) -> dict:
    """A chance-corrected result's fields other than the value and agreements: its name, counts and shares."""
    label = _NAMES[metric or model]
    suffix = weights_label(weights)
    if model == "percent" and table.n_coders > 2:  # the mean share of agreeing pairs, not of units all agree on
        suffix = ", ".join(filter(None, ["pairwise", suffix]))
    if suffix:
        label = f"{label.replace('AC1', 'AC2')} ({suffix})"
    return dict(coefficient=label, n_coders=table.n_coders, n_categories=table.n_categories,
                n_units=int((table.ratings_per_unit >= 2).sum()), category_shares=_shares(table))


def prepare_table(metric: str, table: RatingTable) -> RatingTable:
    """The table a metric is computed on.

    Cohen's κ and Scott's π need exactly two coders (:class:`InputError` otherwise); Conger's κ needs every
    coder's marginals, so coders without a single rating are left out.
    """
    if metric in TWO_CODER_METRICS and table.n_coders != 2:
        raise InputError(f"{metric} is defined for two coders; the table has {table.n_coders} (use "
                         f"{'conger' if metric == 'cohen' else 'fleiss'} for more)")
    if CHANCE_MODEL_OF.get(metric, metric) == "conger":
        active = table.observed.any(axis=0)
        if not active.all():
            return RatingTable(table.codes[:, active], table.categories, table.units, table.coders[active],
                               table.declared)
    return table


def _undefined_reason(table: RatingTable, model: str) -> str | None:
    if model == "conger" and table.n_coders < 2:
        return "fewer than two coders gave any rating"
    if not (table.ratings_per_unit >= 2).any():
        return "no unit was rated by two or more coders"
    if model in ("bennett_s", "gwet") and table.n_categories < 2:
        return "only one category in use; declare the possible categories"
    return None


def _shares(table: RatingTable) -> dict:
    totals = table.counts.sum(axis=0)
    return dict(zip(table.categories, (totals / max(totals.sum(), 1)).tolist()))


def _pair(a: Any, b: Any) -> Any:
    """Two coders' label sequences as one units × 2 table (``a`` alone when it already is the table)."""
    if b is None:
        return a
    first, second = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    if first.ndim != 1 or first.shape != second.shape:
        raise InputError(f"two label sequences of the same length are needed; got shapes {first.shape} and "
                         f"{second.shape}")
    return np.column_stack([first, second])


def percent_agreement(ratings: Any, *, weights: str | np.ndarray | None = None,
                      categories: Sequence | None = None) -> ChanceCorrectedResult:
    """Share of agreeing coder pairs, averaged over units rated at least twice (weighted with ``weights``).

    For two coders this is the share of units both coded alike.

    Parameters
    ----------
    ratings : RatingTable, DataFrame or array-like, shape (n_units, n_coders)
        One row per unit, one column per coder; ``None``/NaN/blank where missing.
    weights : {None, "linear", "quadratic"} or ndarray, optional
        Agreement weights (Gwet 2014, ch. 3); a matrix is a distance matrix.
    categories : sequence, optional
        All possible categories, in order.

    Returns
    -------
    ChanceCorrectedResult
    """
    return _chance_corrected_result(ratings, "percent", weights, categories)


def cohen_kappa(a: Any, b: Any = None, *, weights: str | np.ndarray | None = None,
                categories: Sequence | None = None) -> ChanceCorrectedResult:
    """Cohen's (1960) κ, or weighted κ (Cohen 1968), between two coders.

    Parameters
    ----------
    a, b : sequence
        The two coders' labels, aligned by unit (``None``/NaN/blank where missing); or a units × 2 table as
        ``a`` alone.
    weights : {None, "linear", "quadratic"} or ndarray, optional
        See :func:`~theme_assist.agree.distances.agreement_weights`; a matrix is a distance matrix.
    categories : sequence, optional
        All possible categories, in order.

    Returns
    -------
    ChanceCorrectedResult

    Notes
    -----
    With missing ratings, p_a counts the units both coders rated and each coder's marginals count every unit
    that coder rated (Gwet 2014); with complete data this is Cohen's κ exactly (and Conger's κ for two coders).

    Examples
    --------
    >>> cohen_kappa(["a", "a", "b", "b"], ["a", "b", "b", "b"]).value
    0.5
    """
    return _chance_corrected_result(_pair(a, b), "conger", weights, categories, "cohen")


def scott_pi(a: Any, b: Any = None, *, weights: str | np.ndarray | None = None,
             categories: Sequence | None = None) -> ChanceCorrectedResult:
    """Scott's (1955) π between two coders: chance agreement from the pooled marginals.

    For two coders Fleiss' κ equals Scott's π.

    Parameters
    ----------
    a, b : sequence
        The two coders' labels, aligned by unit (``None``/NaN/blank where missing); or a units × 2 table as
        ``a`` alone.
    weights : {None, "linear", "quadratic"} or ndarray, optional
        See :func:`~theme_assist.agree.distances.agreement_weights`; a matrix is a distance matrix.
    categories : sequence, optional
        All possible categories, in order.

    Returns
    -------
    ChanceCorrectedResult
    """
    return _chance_corrected_result(_pair(a, b), "fleiss", weights, categories, "scott")


def bennett_s(ratings: Any, *, weights: str | np.ndarray | None = None,
              categories: Sequence | None = None) -> ChanceCorrectedResult:
    """Bennett, Alpert & Goldstein's (1954) S, generalised by Brennan & Prediger (1981): p_e = T_w / q².

    ``q`` is the number of categories: the distinct ratings, or the declared ``categories`` (declare them,
    since S depends on how many categories were available, not only on those used).

    Parameters
    ----------
    ratings : RatingTable, DataFrame or array-like, shape (n_units, n_coders)
        One row per unit, one column per coder; ``None``/NaN/blank where missing.
    weights : {None, "linear", "quadratic"} or ndarray, optional
        Agreement weights (Gwet 2014, ch. 3); a matrix is a distance matrix.
    categories : sequence, optional
        All possible categories, in order.

    Returns
    -------
    ChanceCorrectedResult
    """
    return _chance_corrected_result(ratings, "bennett_s", weights, categories)


brennan_prediger = bennett_s


def fleiss_kappa(ratings: Any, *, weights: str | np.ndarray | None = None,
                 categories: Sequence | None = None) -> ChanceCorrectedResult:
    """Fleiss' (1971) κ for any number of coders; Scott's π for two.

    Parameters
    ----------
    ratings : RatingTable, DataFrame or array-like, shape (n_units, n_coders)
        One row per unit, one column per coder; ``None``/NaN/blank where missing.
    weights : {None, "linear", "quadratic"} or ndarray, optional
        Agreement weights (Gwet 2014, ch. 3); a matrix is a distance matrix.
    categories : sequence, optional
        All possible categories, in order.

    Returns
    -------
    ChanceCorrectedResult
    """
    return _chance_corrected_result(ratings, "fleiss", weights, categories)


def conger_kappa(ratings: Any, *, weights: str | np.ndarray | None = None,
                 categories: Sequence | None = None) -> ChanceCorrectedResult:
    """Conger's (1980) κ: Cohen's κ generalised to any number of coders, each with their own marginals.

    Coders without a single rating are left out.

    Parameters
    ----------
    ratings : RatingTable, DataFrame or array-like, shape (n_units, n_coders)
        One row per unit, one column per coder; ``None``/NaN/blank where missing.
    weights : {None, "linear", "quadratic"} or ndarray, optional
        Agreement weights (Gwet 2014, ch. 3); a matrix is a distance matrix.
    categories : sequence, optional
        All possible categories, in order.

    Returns
    -------
    ChanceCorrectedResult
    """
    return _chance_corrected_result(ratings, "conger", weights, categories)


def gwet_ac(ratings: Any, *, weights: str | np.ndarray | None = None,
            categories: Sequence | None = None) -> ChanceCorrectedResult:
    """Gwet's (2008) AC1, or AC2 with ``weights`` (Gwet 2014, ch. 3).

    AC1 stays close to percent agreement when one category dominates (a sparse code), where κ collapses;
    report it next to κ and the prevalence. Like Bennett's S it depends on the number of categories, so declare
    them when some were never used.

    Parameters
    ----------
    ratings : RatingTable, DataFrame or array-like, shape (n_units, n_coders)
        One row per unit, one column per coder; ``None``/NaN/blank where missing.
    weights : {None, "linear", "quadratic"} or ndarray, optional
        Agreement weights (Gwet 2014, ch. 3); a matrix is a distance matrix.
    categories : sequence, optional
        All possible categories, in order.

    Returns
    -------
    ChanceCorrectedResult
    """
    return _chance_corrected_result(ratings, "gwet", weights, categories)


@dataclass(frozen=True)
class RowTerms:
    """Some rows of a table set up as a table of their own, for their agreement under many unit weightings: a pair
    of coders' units of Light's κ, or one code's rows of a table stacked over codes.

    Attributes
    ----------
    rows : ndarray of int
        Positions in the whole table of the rows (the units both coders of a pair rated; a code's rated rows).
    weights : ndarray, shape (q, q)
        Agreement weights on those rows.
    terms : UnitTerms
        Their per-unit terms (by coder for Cohen's and Conger's chance agreement).
    """

    rows: np.ndarray
    weights: np.ndarray
    terms: UnitTerms

    def agreement(self, model: str, unit_weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Observed and chance agreement on the rows (:func:`chance_corrected`) under each row of ``unit_weights``,
        which weights the rows of the whole table."""
        return chance_corrected(self.terms, self.weights, model,
                                None if unit_weights is None else unit_weights[:, self.rows])


@dataclass(frozen=True)
class LightModel:
    """Light's κ set up for its value and its variance over units.

    Attributes
    ----------
    table : RatingTable
        The units someone rated.
    estimate : LightResult
        Light's κ on them (:func:`light_kappa`).
    pairs : tuple of RowTerms
        The pairs whose κ is defined on the full table, each on the units both its coders rated; the others are
        left out of every resample too.
    """

    table: RatingTable
    estimate: LightResult
    pairs: tuple[RowTerms, ...] = ()

    def kappas(self, unit_weights: np.ndarray | None = None) -> np.ndarray:
        """Each pair's Cohen's κ under each row of ``unit_weights`` (rows of :attr:`table`), shape
        (n_draws, n_pairs); ``nan`` where a draw leaves a pair's κ undefined."""
        return np.column_stack([coefficient_values(*pair.agreement("conger", unit_weights)) for pair in self.pairs])

    def values(self, unit_weights: np.ndarray | None = None) -> np.ndarray:
        """Light's κ under each row of ``unit_weights``: the mean of the pairs' κ defined in that draw, shape
        (n_draws,); ``nan`` where none is."""
        kappas = self.kappas(unit_weights)
        defined = np.isfinite(kappas)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(defined, kappas, 0.0).sum(axis=1) / defined.sum(axis=1)


def light_model(ratings: Any, *, weights: str | np.ndarray | None = None,
                categories: Sequence | None = None) -> LightModel:
    """Set Light's κ up on the units of ``ratings`` someone rated (units nobody rated are left out, as for the
    other coefficients' intervals); parameters as :func:`light_kappa`."""
    table = as_rating_table(ratings, categories)
    table = table.take(np.flatnonzero(table.ratings_per_unit > 0))
    observed = table.observed
    pairs, parts = [], []
    for first, second in combinations(range(table.n_coders), 2):
        rows = np.flatnonzero(observed[:, first] & observed[:, second])
        columns = [first, second]
        pair = RatingTable(table.codes[np.ix_(rows, columns)], table.categories, table.units[rows],
                           table.coders[columns], table.declared)
        kappa = _chance_corrected_result(pair, "conger", weights, None, "cohen") if rows.size else None
        pairs.append(dict(coders=[str(coder) for coder in pair.coders], value=kappa.value if kappa else np.nan,
                          n_units=int(rows.size), reason=kappa.reason if kappa else "no unit rated by both"))
        if kappa and kappa.defined:
            matrix = agreement_weights(weights, pair)
            parts.append(RowTerms(rows, matrix, unit_terms(pair, matrix, by_coder=True)))
    suffix = weights_label(weights)
    common = dict(coefficient=f"Light's kappa (mean pairwise Cohen's kappa{', ' + suffix if suffix else ''})",
                  n_coders=table.n_coders, n_categories=table.n_categories,
                  n_units=int((table.ratings_per_unit >= 2).sum()), category_shares=_shares(table),
                  n_pairs=len(pairs), n_pairs_undefined=len(pairs) - len(parts), pairs=tuple(pairs))
    if not pairs:
        estimate = LightResult(value=np.nan, reason="fewer than two coders", **common)
    elif not parts:
        reasons = ", ".join(dict.fromkeys(pair["reason"] for pair in pairs))
        estimate = LightResult(value=np.nan, reason=f"Cohen's kappa is undefined for every pair of coders ({reasons})",
                               **common)
    else:
        estimate = LightResult(value=float(np.mean([pair["value"] for pair in pairs if np.isfinite(pair["value"])])),
                               **common)
    return LightModel(table, estimate, tuple(parts))


def light_kappa(ratings: Any, *, weights: str | np.ndarray | None = None,
                categories: Sequence | None = None) -> LightResult:
    """Light's (1971) κ: Cohen's κ of each pair of coders, averaged over the pairs.

    Each pair's κ (:func:`cohen_kappa`, weighted with ``weights``) is taken on the units both coders of the pair
    rated, its chance agreement from those units alone, as a two-coder κ on complete pairs is usually published;
    :func:`cohen_kappa` itself takes each coder's chance from every rating (Gwet 2014), so with missing ratings
    the two differ for two coders. A pair whose κ is undefined (no unit both rated, or no variation) is left out
    of the mean and counted (``n_pairs_undefined``). Conger's (1980) κ instead pools the pairs' agreements
    before forming one ratio.

    Parameters
    ----------
    ratings : RatingTable, DataFrame or array-like, shape (n_units, n_coders)
        One row per unit, one column per coder; ``None``/NaN/blank where missing.
    weights : {None, "linear", "quadratic"} or ndarray, optional
        Agreement weights of each pair's κ (Cohen 1968).
    categories : sequence, optional
        All possible categories, in order.

    Returns
    -------
    LightResult
        With each pair's κ in ``pairs``; ``n_units`` counts the units rated by two or more coders.

    Examples
    --------
    >>> light_kappa([["a", "a", "a"], ["b", "b", "a"], ["a", "b", "b"], ["b", "b", "b"]]).value  # doctest: +ELLIPSIS
    0.3333...
    """
    return light_model(ratings, weights=weights, categories=categories).estimate


def coincidence_matrix(table: RatingTable) -> np.ndarray:
    """Krippendorff's coincidences o_ck = Σ_u (n_uc n_uk − [c = k] n_uc) / (m_u − 1), over units with m_u ≥ 2.

    One (q × n) · (n × q) product of the unit × category count matrix, whatever the number of coders.

    Parameters
    ----------
    table : RatingTable
        The ratings (:func:`~theme_assist.agree.ratings.as_rating_table`).

    Returns
    -------
    ndarray, shape (n_categories, n_categories)
        The coincidences, in the order of ``table.categories``.
    """
    counts = table.counts.astype(float)
    values = table.ratings_per_unit
    pairable = values >= 2
    counts = counts[pairable]
    scaled = counts / (values[pairable] - 1)[:, None]
    return counts.T @ scaled - np.diag(scaled.sum(axis=0))


def krippendorff_alpha(ratings: Any, level: Metric = "nominal", *,
                       categories: Sequence | None = None) -> AlphaResult:
    """Krippendorff's α for any number of coders, missing ratings, and any level of measurement.

    Parameters
    ----------
    ratings : RatingTable, DataFrame or array-like, shape (n_units, n_coders)
        One row per unit, one column per coder; ``None``/NaN/blank where missing. Cells may be sets of labels
        (multi-label coding) for ``level="masi"``.
    level : {"nominal", "ordinal", "interval", "ratio", "masi"}, callable or ndarray
        Level of measurement (Krippendorff 2011), MASI distance for set-valued ratings (Passonneau 2006), a
        distance function of two category values, or a category × category distance matrix.
    categories : sequence, optional
        All possible categories, in order (gives labels an order for the ordinal level).

    Returns
    -------
    AlphaResult

    Examples
    --------
    >>> krippendorff_alpha([[1, 1], [2, 2], [1, 2], [2, 2]]).value  # doctest: +ELLIPSIS
    0.5333...
    """
    table = as_rating_table(ratings, categories)
    level_name = level if isinstance(level, str) else "custom"
    coincidences = coincidence_matrix(table)
    marginals = coincidences.sum(axis=1)
    total = marginals.sum()
    common = dict(coefficient=f"Krippendorff's alpha ({level_name})", level=level_name, n_coders=table.n_coders,
                  n_categories=table.n_categories, n_units=int((table.ratings_per_unit >= 2).sum()),
                  n_values=int(round(total)), category_shares=_shares(table))
    if total < 2:
        return AlphaResult(value=np.nan, reason="fewer than two pairable values (no unit rated twice)", **common)
    distances = distance_matrix(level, table, marginals)
    observed = float((coincidences * distances).sum() / total)
    expected = float(marginals @ distances @ marginals / (total * (total - 1)))
    if expected <= 0:
        return AlphaResult(value=np.nan, observed_disagreement=observed, expected_disagreement=expected,
                           reason="no variation: all pairable values are equal (or zero distance apart)",
                           **common)
    return AlphaResult(value=1.0 - observed / expected, observed_disagreement=observed,
                       expected_disagreement=expected, **common)


MetricFunction = Callable[..., Any]

METRICS: dict[str, MetricFunction] = {
    "percent": percent_agreement,
    "cohen": cohen_kappa,
    "scott": scott_pi,
    "bennett_s": bennett_s,
    "fleiss": fleiss_kappa,
    "conger": conger_kappa,
    "ac1": gwet_ac,
    "light": light_kappa,
    "alpha": krippendorff_alpha,
}
"""Coefficients by their command-line name."""

ALIASES = {"brennan_prediger": "bennett_s"}

CHANCE_MODEL_OF = {"percent": "percent", "cohen": "conger", "scott": "fleiss", "bennett_s": "bennett_s",
                   "fleiss": "fleiss", "conger": "conger", "ac1": "gwet"}
"""The chance-agreement model behind each chance-corrected metric name."""

TWO_CODER_METRICS = ("cohen", "scott")
MULTI_CODER_METRICS = ("light",)
"""Metrics reported by default only for three or more coders: for two, Light's κ is Cohen's κ (on complete data)."""


def metric_spelling(name: str, also: tuple[str, ...] = ()) -> str:
    """``name`` as the metric, alias or name of ``also`` it matches apart from case is spelt ("Light" is "light",
    "AC1" "ac1"); any other name as given, for the refusal that lists the names."""
    known = {spelt.casefold(): spelt for spelt in (*METRICS, *ALIASES, *also)}
    return known.get(str(name).casefold(), name)


def metric_name(name: str) -> str:
    """The canonical metric name of ``name``, in any case (:func:`metric_spelling`: ``"Light"`` is ``"light"``, as
    the command line reads it), resolving aliases; :class:`InputError` for an unknown one."""
    spelt = metric_spelling(name)
    canonical = ALIASES.get(spelt, spelt)
    if canonical not in METRICS:
        raise InputError(f"unknown metric {name!r}; choose from {', '.join([*METRICS, *ALIASES])}")
    return canonical


def applicable_metrics(table: RatingTable) -> list[str]:
    """Every metric that applies to the table: Cohen's κ and Scott's π only for exactly two coders, Light's κ only
    for three or more."""
    return [name for name in METRICS if (name not in TWO_CODER_METRICS or table.n_coders == 2)
            and (name not in MULTI_CODER_METRICS or table.n_coders > 2)]


def compute_metric(name: str, table: RatingTable, *, level: Metric = "nominal",
                   weights: str | np.ndarray | None = None) -> AlphaResult | ChanceCorrectedResult:
    """One metric by name: ``level`` applies to α, ``weights`` to the others.

    Parameters
    ----------
    name : str
        A name of :data:`METRICS` or an alias (``"brennan_prediger"``).
    table : RatingTable
        The ratings (:func:`~theme_assist.agree.ratings.as_rating_table`).
    level : str, callable or ndarray
        Level of measurement or distance for α.
    weights : {None, "linear", "quadratic"} or ndarray, optional
        Agreement weights for the other coefficients.

    Returns
    -------
    AlphaResult or ChanceCorrectedResult

    Raises
    ------
    InputError
        For an unknown metric name.
    """
    name = metric_name(name)
    if name == "alpha":
        return krippendorff_alpha(table, level)
    return METRICS[name](table, weights=weights)


@dataclass(frozen=True)
class UnitLevelModel:
    """A chance-corrected coefficient set up for unit-level variance (bootstrap or analytic): the table of the
    units someone rated, the estimate on it and, where it is defined, the weights and per-unit terms."""

    name: str
    model: str
    table: RatingTable
    estimate: ChanceCorrectedResult
    weights: np.ndarray | None = None
    terms: UnitTerms | None = None


def unit_level_model(ratings: Any, metric: str, weights: str | np.ndarray | None, categories: Sequence | None,
                     instead: str) -> UnitLevelModel:
    """Set ``metric`` up on the units of ``ratings`` someone rated (units nobody rated are left out, as irrCAC
    leaves them out); ``instead`` ends the error for a metric without a unit-level chance model (α)."""
    name = metric_name(metric)
    if name not in CHANCE_MODEL_OF:
        raise InputError(f"{name} {instead}")
    model = CHANCE_MODEL_OF[name]
    table = as_rating_table(ratings, categories)
    table = table.take(np.flatnonzero(table.ratings_per_unit > 0))
    # estimated before prepare_table leaves out a coder without ratings: Cohen's κ of a pair one of whom rated
    # nothing is undefined, not a table of one coder refused
    estimate = compute_metric(name, table, weights=weights)
    if not estimate.defined:
        return UnitLevelModel(name, model, table, estimate)
    table = prepare_table(name, table)
    matrix = agreement_weights(weights, table)
    return UnitLevelModel(name, model, table, estimate, matrix, unit_terms(table, matrix, by_coder=model == "conger"))


DE_VRIES_METRICS = ("cohen", "scott", "fleiss", "conger")
"""κ and π, pooled over codes as De Vries et al. (2008) pool κ (:func:`de_vries_kappa`). Percent agreement and
Bennett's S are the same stacked or averaged over codes; AC1 and α have no published pooled form."""
DE_VRIES_LABEL = ", pooled over codes (De Vries et al. 2008)"


def de_vries_agreement(codes: Sequence[RowTerms], model: str, unit_weights: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """De Vries et al.'s (2008) pooled observed and chance agreement under each row of ``unit_weights``.

    p̄_o and p̄_e are each code's p_a and p_e (:func:`chance_corrected`, on the code's rows alone: its chance
    agreement from its own prevalence), averaged over the codes; the pooled coefficient is
    (p̄_o − p̄_e) / (1 − p̄_e) (:func:`coefficient_values`).

    Parameters
    ----------
    codes : sequence of RowTerms
        Each code's rated rows of the stacked table.
    model : {"percent", "bennett_s", "fleiss", "conger", "gwet"}
        The chance model (:data:`CHANCE_MODEL_OF`).
    unit_weights : ndarray, shape (n_draws, n_rows), optional
        How many times each row of the stacked table counts in each draw (a bootstrap resample); by default every
        row once.

    Returns
    -------
    observed, expected : ndarray, shape (n_draws,)
        p̄_o and p̄_e; ``nan`` where a code's is undefined.
    """
    agreements = [code.agreement(model, unit_weights) for code in codes]
    observed, expected = (np.mean([agreement[i] for agreement in agreements], axis=0) for i in (0, 1))
    return observed, expected


@dataclass(frozen=True)
class PooledModel:
    """κ or π pooled over codes as De Vries et al. (2008) pool κ, set up for its value and its variance over units.

    Attributes
    ----------
    name, model : str
        The metric and its chance model.
    table : RatingTable
        The table stacked over codes, every row (a row is a unit × code pair).
    estimate : ChanceCorrectedResult
        The pooled coefficient (:func:`de_vries_kappa`).
    codes : tuple of RowTerms
        Each code's rated rows, in the order the codes first appear; empty where ``estimate`` is undefined for
        want of a pairable unit or of two coders.
    """

    name: str
    model: str
    table: RatingTable
    estimate: ChanceCorrectedResult
    codes: tuple[RowTerms, ...] = ()

    def agreement(self, unit_weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """p̄_o and p̄_e under each row of ``unit_weights`` (rows of :attr:`table`; see :func:`de_vries_agreement`)."""
        return de_vries_agreement(self.codes, self.model, unit_weights)


def pooled_model(ratings: Any, metric: str, *, codes: str | int = "code", weights: str | np.ndarray | None = None,
                 categories: Sequence | None = None) -> PooledModel:
    """Set ``metric`` (κ or π) up on a table stacked over codes, to be pooled as De Vries et al. (2008) pool κ.

    Parameters
    ----------
    ratings : RatingTable, DataFrame or array-like, shape (n_rows, n_coders)
        The codes' tables stacked, each row a unit × code pair, the code named by the ``codes`` level of the row
        index (as :func:`~theme_assist.agree.report.agreement_by_code` stacks presence/absence tables).
    metric : {"cohen", "scott", "fleiss", "conger"}
        The coefficient (:data:`DE_VRIES_METRICS`).
    codes : str or int
        Level of the row index that names each row's code.
    weights : {None, "linear", "quadratic"} or ndarray, optional
        Agreement weights, as for the coefficient.
    categories : sequence, optional
        All possible categories, in order.

    Returns
    -------
    PooledModel

    Raises
    ------
    InputError
        For a metric without a pooled form, or Cohen's κ or Scott's π on other than two coders.
    """
    name = metric_name(metric)
    if name not in DE_VRIES_METRICS:
        raise InputError(f"{name} has no pooled form over codes; De Vries et al. (2008) pool "
                         f"{', '.join(DE_VRIES_METRICS)}")
    model = CHANCE_MODEL_OF[name]
    table = prepare_table(name, as_rating_table(ratings, categories))
    common = _description(table, model, weights, name)
    common["coefficient"] += DE_VRIES_LABEL
    reason = _undefined_reason(table, model)
    if reason:
        return PooledModel(name, model, table, ChanceCorrectedResult(value=np.nan, reason=reason, **common))
    code_of_row = pd.factorize(table.units.get_level_values(codes))[0]
    rated = table.ratings_per_unit > 0
    parts = []
    for code in range(code_of_row.max() + 1):
        rows = np.flatnonzero((code_of_row == code) & rated)
        own = table.take(rows)
        matrix = agreement_weights(weights, own)
        parts.append(RowTerms(rows, matrix, unit_terms(own, matrix, by_coder=model == "conger")))
    observed, expected = de_vries_agreement(parts, model)
    value = coefficient_values(observed, expected)[0]
    reason = None if np.isfinite(value) else "no variation: every rating is in one category (chance agreement 1)"
    estimate = ChanceCorrectedResult(value=float(value), reason=reason, observed_agreement=float(observed[0]),
                                     expected_agreement=float(expected[0]), **common)
    return PooledModel(name, model, table, estimate, tuple(parts))


def de_vries_kappa(ratings: Any, metric: str = "cohen", *, codes: str | int = "code",
                   weights: str | np.ndarray | None = None, categories: Sequence | None = None
                   ) -> ChanceCorrectedResult:
    """κ or π pooled over codes as De Vries et al. (2008) pool κ: (p̄_o − p̄_e) / (1 − p̄_e).

    The observed and the chance agreement are each averaged over the codes, each code's chance agreement from its
    own prevalence; on the codes' tables stacked, chance would come from the prevalence over all codes instead.

    Parameters
    ----------
    ratings, metric, codes, weights, categories
        As for :func:`pooled_model`.

    Returns
    -------
    ChanceCorrectedResult
        Named ``"…, pooled over codes (De Vries et al. 2008)"``; its ``n_units`` counts the unit × code pairs
        rated at least twice, its agreements are p̄_o and p̄_e.

    Raises
    ------
    InputError
        As :func:`pooled_model`.
    """
    return pooled_model(ratings, metric, codes=codes, weights=weights, categories=categories).estimate
