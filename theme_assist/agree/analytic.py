"""Analytic standard errors and t intervals (Gwet 2014), the numbers irrCAC and AgreeStat print.

Gwet's ("Handbook of Inter-Rater Reliability", 4th ed., 2014, ch. 5) variances are conditional on the coders:
only the units are taken as a sample, of n from a population of N (N infinite unless given). Each coefficient
κ = (p_a − p_e) / (1 − p_e) is linearised into one term per unit,

    κ_u  = (n / n₂) (p_a|u − p_e [r_u ≥ 2]) / (1 − p_e)
    κ*_u = κ_u − 2 (1 − κ) (p_e|u − p_e) / (1 − p_e)

with p_a|u the unit's share of agreeing pairs, n₂ the units rated at least twice and p_e|u the unit's
contribution to the chance agreement, and

    var(κ) = (1 − n/N) / (n (n − 1)) · Σ_u (κ*_u − κ)²
    κ ± t(n − 1; 1 − (1 − c)/2) · √var, capped above at 1

over the n units rated at least once. Percent agreement and Bennett's S have a fixed p_e, so κ*_u = κ_u (for
percent agreement p_e = 0: irrCAC's ``pa.coeff.raw``); as p_a ≥ 0, they cannot fall below −p_e / (1 − p_e) (0 for
percent agreement), and their lower limit is capped there (irrCAC does not cap it). The other coefficients' minima
depend on the data, and their lower limits are not capped. Fleiss' κ (Scott's π for two coders), Conger's κ (Cohen's
κ for two coders) and Gwet's AC1/AC2 take p_e|u from their own chance model, as irrCAC's ``fleiss``, ``conger``
and ``gwet`` do; Cohen's κ and Scott's π therefore get the raw-data (missing ratings allowed) formulas of the
multi-coder coefficients, not the two-coder contingency-table formulas of ``irrCAC.table``, which assume
complete data (and divide by n rather than n − 1: on complete data theirs is ours times √((n − 1) / n)).
Krippendorff's α follows irrCAC's ``krippendorff`` (Gwet 2014, section 5.5): over the n units rated at least twice, the agreement weights 1 − δ²/max δ² of its distance, deviations taken from α' (the α
without Krippendorff's small-sample correction), interval centred on α.

Rows that are not independent units (one unit's code pairs in presence/absence tables stacked over codes) are
grouped into ``clusters``: the terms of a cluster's rows are summed, and the variance is taken over the G clusters,
(1 − f) G / ((G − 1) n²) · Σ_g (Σ_{u in g} (κ*_u − κ))², with G − 1 degrees of freedom (the usual cluster-robust
variance of a mean of linearised terms; with one row per cluster it is the formula above).

κ and π pooled over codes as De Vries et al. (2008) pool κ (:func:`analytic_pooled`) get Gwet's linearisation applied
to the pooled ratio, one term per unit × code row, clustered by unit: no published formula, checked in the tests
against a delete-one-unit jackknife.

There is no analytic variance for α at the ordinal level, whose distances depend on the observed marginals, or
with the MASI distance between label sets, nor for Light's κ (a mean of pairwise Cohen's κ: the published variances
of Conger 1980 and Gwet 2014 are for Conger's κ); a bootstrap (:mod:`theme_assist.agree.bootstrap`) is there for
those.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from theme_assist.agree.coefficients import (
    UnitTerms,
    _category_propensities,
    chance_corrected,
    compute_metric,
    krippendorff_alpha,
    metric_name,
    pooled_model,
    unit_level_model,
    unit_terms,
)
from theme_assist.agree.distances import Metric, distance_matrix
from theme_assist.agree.ratings import RatingTable, as_rating_table
from theme_assist.agree.results import AnalyticResult
from theme_assist.errors import InputError

NO_ANALYTIC_LEVELS = {
    "ordinal": "no analytic variance for the ordinal level (its distances depend on the observed marginals, "
               "Gwet's variance needs fixed weights); use the bootstrap",
    "masi": "no analytic variance for MASI-alpha on label sets (Gwet's variance is for single-label categories); "
            "use the bootstrap",
}
"""Levels of α without an analytic variance, and what a report says instead."""
NO_ANALYTIC_METRICS = {
    "light": "no published standard error for Light's kappa (Gwet's is for Conger's kappa); use the bootstrap",
}
"""Metrics without an analytic variance, and what a report says instead."""


def analytic_units(ratings: Any, metric: str, *, weights: str | np.ndarray | None = None,
                   confidence: float = 0.95, population: float | None = None,
                   categories: Sequence | None = None, clusters: str | int | None = None) -> AnalyticResult:
    """Gwet's (2014) standard error and t interval of a chance-corrected coefficient or percent agreement.

    Parameters
    ----------
    ratings : RatingTable, DataFrame or array-like, shape (n_units, n_coders)
    metric : {"percent", "cohen", "scott", "bennett_s", "fleiss", "conger", "ac1", "light"}
        The coefficient, by its command-line name; Light's κ gets no interval, with a ``reason``
        (:data:`NO_ANALYTIC_METRICS`).
    weights : {None, "linear", "quadratic"} or ndarray, optional
        Agreement weights, as for the coefficient.
    confidence : float
        Level of the interval.
    population : float, optional
        Units in the population the rated units were drawn from (finite-population correction); by default
        infinite.
    categories : sequence, optional
        All possible categories, in order. Units nobody rated are left out, as irrCAC leaves them out.
    clusters : str or int, optional
        Level of the ratings' row index whose rows belong together (e.g. ``"unit"`` of a code × unit index): the
        variance is taken over these clusters (see the module docstring).

    Returns
    -------
    AnalyticResult
    """
    _check_request(confidence, population)
    if metric_name(metric) in NO_ANALYTIC_METRICS:
        estimate = compute_metric(metric, as_rating_table(ratings, categories), weights=weights)
        return _undefined(estimate.value, estimate.reason or NO_ANALYTIC_METRICS[metric_name(metric)], confidence,
                          population)
    setup = unit_level_model(ratings, metric, weights, categories, "has no unit-level chance model; use analytic_alpha")
    estimate, table, terms, matrix, model = setup.estimate, setup.table, setup.terms, setup.weights, setup.model
    if not estimate.defined:
        return _undefined(estimate.value, estimate.reason, confidence, population)

    chance = float(chance_corrected(terms, matrix, model)[1][0])
    value = estimate.value
    per_unit = table.n_units / terms.pairable.sum() * (terms.agreement - chance * terms.pairable) / (1 - chance)
    chance_per_unit = _chance_per_unit(terms, table, matrix, model)
    if chance_per_unit is not None:
        per_unit = per_unit - 2 * (1 - value) * (chance_per_unit - chance) / (1 - chance)
    # a fixed p_e and p_a ≥ 0 make −p_e / (1 − p_e) the coefficient's minimum (0 for percent agreement)
    minimum = (0.0 - chance) / (1 - chance) if chance_per_unit is None else -math.inf
    return _interval(value, per_unit, value, confidence, population, table.n_units, minimum,
                     _groups(table, clusters))


def analytic_pooled(ratings: Any, metric: str, *, codes: str | int = "code", clusters: str | int | None = None,
                    weights: str | np.ndarray | None = None, confidence: float = 0.95,
                    population: float | None = None, categories: Sequence | None = None) -> AnalyticResult:
    """Standard error and t interval of κ or π pooled over codes as De Vries et al. (2008) pool κ.

    This is Gwet's (2014) linearisation applied to the pooled ratio κ = (p̄_o − p̄_e) / (1 − p̄_e), p̄_o and p̄_e
    each the mean over codes of that code's p_a and p_e; it is not a published formula for the pooled κ (De Vries
    et al. give none). Each row (a unit × code pair) gets the term of :func:`analytic_units`, taken on its code's
    rows but under the pooled p̄_e and κ,

        κ*_uc = [(n_c / n₂_c) (p_a|uc − p̄_e [r_uc ≥ 2]) − 2 (1 − κ) (p_e|uc − p̄_e)] / (1 − p̄_e),

    with n_c the code's rated rows and n₂_c those rated twice, and a unit's terms are summed over its codes into
    one per unit by ``clusters``, whose variance is the cluster formula of the module docstring (so a unit's term
    is the mean of its codes' terms, over G units). The tests check this standard error against a delete-one-unit
    jackknife of the pooled κ.

    Parameters
    ----------
    ratings : RatingTable, DataFrame or array-like, shape (n_rows, n_coders)
        The codes' tables stacked (:func:`~theme_assist.agree.coefficients.pooled_model`).
    metric : {"cohen", "scott", "fleiss", "conger"}
        The coefficient, by its command-line name.
    codes : str or int
        Level of the row index that names each row's code.
    clusters : str or int, optional
        Level of the row index naming each row's unit: the variance is over units (each with all its codes), as it
        should be; without it, over rows, as if a unit's codes were independent.
    weights, confidence, population, categories
        As for :func:`analytic_units`; ``population`` counts units (or rows, without ``clusters``).

    Returns
    -------
    AnalyticResult
    """
    _check_request(confidence, population)
    setup = pooled_model(ratings, metric, codes=codes, weights=weights, categories=categories)
    estimate = setup.estimate
    if not estimate.defined:
        return _undefined(estimate.value, estimate.reason, confidence, population)

    value, chance, per_unit = estimate.value, estimate.expected_agreement, []
    for code in setup.codes:
        terms = code.terms
        chance_per_unit = _chance_per_unit(terms, setup.table.take(code.rows), code.weights, setup.model)
        per_unit.append((code.rows.size / terms.pairable.sum() * (terms.agreement - chance * terms.pairable)
                         - 2 * (1 - value) * (chance_per_unit - chance)) / (1 - chance))
    rows = np.concatenate([code.rows for code in setup.codes])
    groups = _groups(setup.table.take(rows), clusters)
    sampled = rows.size if groups is None else int(groups.max()) + 1
    return _interval(value, np.concatenate(per_unit), value, confidence, population, sampled, groups=groups)


def _chance_per_unit(terms: UnitTerms, table: RatingTable, weights: np.ndarray, model: str
                     ) -> np.ndarray | None:
    """p_e|u, each unit's term of the chance agreement (Gwet 2014, ch. 5); ``None`` where p_e is fixed."""
    if model in ("percent", "bennett_s"):
        return None
    if model in ("fleiss", "gwet"):
        propensities = _category_propensities(terms, np.ones((1, terms.rated.size)))[0]
        if model == "fleiss":
            return terms.shares @ ((weights + weights.T) / 2 @ propensities)
        q = weights.shape[0]
        return weights.sum() / (q * (q - 1)) * (terms.shares @ (1 - propensities))
    return _conger_chance_per_unit(terms, table, weights)


def _conger_chance_per_unit(terms: UnitTerms, table: RatingTable, weights: np.ndarray) -> np.ndarray:
    """irrCAC's ``conger`` unit terms, summed over categories with matrix products instead of its two loops.

    With p_gk coder g's share of ratings in k, n_g their count, ε_ug whether g rated u and δ_ugl whether g put u in
    l, p_e|u = Σ_g (n / n_g) Σ_l (δ_ugl − (ε_ug − n_g / n) p_gl) v_gl / (R (R − 1)), where
    v_gl = Σ_k (R p̄_k − p_gk) w_kl.
    """
    n, coders, q = table.n_units, table.n_coders, table.n_categories
    per_coder = np.asarray(terms.coder_categories.sum(axis=0)).reshape(coders, q)
    rated_by_coder = per_coder.sum(axis=1)
    shares = per_coder / rated_by_coder[:, None]
    others = shares.sum(axis=0)[None, :] - shares
    scaled = others @ weights * (n / rated_by_coder)[:, None]
    own = terms.coder_categories @ scaled.ravel()
    expected_own = (shares * scaled).sum(axis=1)
    centring = table.observed @ expected_own - (rated_by_coder / n) @ expected_own
    return (own - centring) / (coders * (coders - 1))


def analytic_alpha(ratings: Any, level: Metric = "nominal", *, confidence: float = 0.95,
                   population: float | None = None, categories: Sequence | None = None,
                   clusters: str | int | None = None) -> AnalyticResult:
    """Gwet's (2014) standard error and t interval of Krippendorff's α, as irrCAC's ``krippendorff``.

    Parameters
    ----------
    ratings : RatingTable, DataFrame or array-like, shape (n_units, n_coders)
    level : {"nominal", "interval", "ratio"}, callable or ndarray
        As for :func:`~theme_assist.agree.coefficients.krippendorff_alpha`; ``"ordinal"`` and ``"masi"`` get no
        interval, with a ``reason``.
    confidence, population, categories, clusters
        As for :func:`analytic_units`; the units of the variance are those rated at least twice.

    Returns
    -------
    AnalyticResult
    """
    _check_request(confidence, population)
    table = as_rating_table(ratings, categories)
    alpha = krippendorff_alpha(table, level)
    if not alpha.defined:
        return _undefined(alpha.value, alpha.reason, confidence, population)
    if isinstance(level, str) and level in NO_ANALYTIC_LEVELS:
        return _undefined(alpha.value, NO_ANALYTIC_LEVELS[level], confidence, population)

    sampled = int((table.ratings_per_unit > 0).sum())
    table = table.take(np.flatnonzero(table.ratings_per_unit >= 2))
    distances = distance_matrix(level, table)
    matrix = 1.0 - distances / distances.max()
    terms = unit_terms(table, matrix)
    counts = table.counts.astype(float)
    ratings_per_unit = table.ratings_per_unit.astype(float)
    mean_ratings = ratings_per_unit.mean()
    # Σ_k r_uk (r*_uk − 1) / (r̄ (r_u − 1)): the unit's agreement scaled by its share of the pairable values
    agreement = terms.agreement * ratings_per_unit / mean_ratings
    observed_uncorrected = agreement.mean()
    small_sample = 1.0 / ratings_per_unit.sum()
    observed = (1 - small_sample) * observed_uncorrected + small_sample
    propensities = counts.sum(axis=0) / ratings_per_unit.sum()
    chance = propensities @ matrix @ propensities
    uncorrected = (observed_uncorrected - chance) / (1 - chance)
    excess = (ratings_per_unit - mean_ratings) / mean_ratings
    per_unit = (agreement - observed * excess - chance) / (1 - chance)
    chance_per_unit = counts @ ((matrix + matrix.T) / 2 @ propensities) / mean_ratings - chance * excess
    per_unit = per_unit - 2 * (1 - uncorrected) * (chance_per_unit - chance) / (1 - chance)
    return _interval(alpha.value, per_unit, uncorrected, confidence, population, sampled,
                     groups=_groups(table, clusters))


def analytic_metric(ratings: Any, metric: str, *, level: Metric = "nominal",
                    weights: str | np.ndarray | None = None, **options: Any) -> AnalyticResult:
    """The analytic interval of a metric: :func:`analytic_alpha` for ``"alpha"``, :func:`analytic_units` else.

    Parameters
    ----------
    ratings : RatingTable, DataFrame or array-like, shape (n_units, n_coders)
        One row per unit, one column per coder; ``None``/NaN/blank where missing.
    metric : str
        A metric name or alias (:data:`~theme_assist.agree.coefficients.METRICS`).
    level : str, callable or ndarray
        Level of measurement or distance for α.
    weights : {None, "linear", "quadratic"} or ndarray, optional
        Agreement weights for the other coefficients.
    **options
        ``confidence``, ``population``, ``clusters`` and the like, as the function called takes them.

    Returns
    -------
    AnalyticResult
    """
    if metric_name(metric) == "alpha":
        return analytic_alpha(ratings, level, **options)
    return analytic_units(ratings, metric, weights=weights, **options)


def _groups(table: RatingTable, clusters: str | int | None) -> np.ndarray | None:
    """The cluster of each unit of ``table``, numbered from 0, by the ``clusters`` level of its index."""
    return None if clusters is None else pd.factorize(table.units.get_level_values(clusters))[0]


def _interval(estimate: float, per_unit: np.ndarray, centre: float, confidence: float,
              population: float | None, sampled: int, minimum: float = -math.inf,
              groups: np.ndarray | None = None) -> AnalyticResult:
    """var = (1 − f) Σ (per_unit − centre)² / (n (n − 1)); estimate ± t(n − 1) · se, capped above at 1 and below
    at the coefficient's ``minimum`` (or the estimate, where rounding put it a little lower).

    With ``groups`` (each unit's cluster), the deviations are summed per cluster and scaled by G / n, and the
    same formula is taken over the G clusters: var = (1 − f) G Σ_g (Σ_u∈g d_u)² / ((G − 1) n²).

    f = ``sampled`` / ``population``, the sampling fraction of the rated units (for α these are more than its n,
    the units rated twice: irrCAC and Gwet's R functions take f before leaving out units rated once).
    """
    deviations = per_unit - centre
    if groups is not None:
        deviations = np.bincount(groups, weights=deviations) * ((groups.max() + 1) / deviations.size)
    n = deviations.size
    if n < 2:
        return _undefined(estimate, "one unit: no variance with n − 1 = 0 degrees of freedom", confidence,
                          population)
    if population is not None and population < sampled:
        raise InputError(f"the population ({population:g} units) is smaller than the {sampled} units rated")
    finite = 0.0 if population is None else sampled / population
    variance = (1 - finite) / (n * (n - 1)) * float((deviations ** 2).sum())
    se = math.sqrt(max(variance, 0.0))
    # both quantiles as scipy's t.interval gives them (irrCAC's call), not ± one of them: they differ in the
    # ninth decimal
    lower, upper = stats.t.interval(confidence, n - 1)
    return AnalyticResult(estimate=estimate, se=se, low=max(min(minimum, estimate), estimate + lower * se),
                          high=min(1.0, estimate + upper * se), confidence=confidence, df=n - 1,
                          population=population)


def _undefined(estimate: float, reason: str | None, confidence: float, population: float | None
               ) -> AnalyticResult:
    return AnalyticResult(estimate=estimate, se=math.nan, low=math.nan, high=math.nan, confidence=confidence,
                          population=population, reason=reason)


def _check_request(confidence: float, population: float | None) -> None:
    if not 0 < confidence < 1:
        raise InputError(f"the confidence level must lie between 0 and 1; got {confidence}")
    if population is not None and not (population > 0 and math.isfinite(population)):
        raise InputError(f"the population size must be a positive number of units (leave it out for an infinite "
                         f"one); got {population}")
