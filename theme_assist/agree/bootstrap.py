"""Bootstrap intervals: resampled units for every coefficient, α included; Krippendorff's algorithm for α on request.

Both are seeded (``numpy.random.default_rng(seed)``): the same data and seed give the same interval.

The coefficients resample units: each resample is a vector of how many times each unit is drawn, and the
coefficient's per-unit sums (:func:`~theme_assist.agree.coefficients.unit_terms`) are weighted by it, so a thousand
resamples cost a few matrix products. For α the drawn units' coincidences are summed (each unit's weighted by how
often it was drawn), with D_e's distances fixed. Rows that are not independent units, such as one unit's code pairs
in presence/absence tables stacked over codes, are drawn together (``clusters``: a cluster bootstrap, each cluster
drawn with replacement and all its rows with it).

α's other bootstrap (``method="coincidences"``) follows Hayes & Krippendorff (2007) and Krippendorff's "Algorithm
for bootstrapping a distribution of α" (2006, rev. 2011), as in the KALPHA macro: the expected disagreement D_e
stays fixed; each resample draws M pairs of values with replacement from the observed coincidences (cell c, k with
probability o_ck / n..), and α* = 1 − mean δ²(drawn pairs) / D_e. M = min(25 × non-empty coincidence cells,
n.. (m − 1) / 2) for m coders. Resamples below −1 are set to −1; a resample drawn entirely from one diagonal cell
has no variation, so its α is indeterminate, and Krippendorff counts it as 0. Drawing the M pairs as one
multinomial count per cell makes each resample a dot product, and lets those no-variation resamples be found
exactly rather than estimated. It is not the default: it treats a unit's m(m − 1) / 2 pairs as independent draws,
so with three or more coders its intervals are too narrow (on 50 units, 76-88% of nominal 95% intervals held the
population value where resampled units held 93-94%: evaluation/results/interval_coverage.md).

The interval read off resampled units is the percentile interval, or on request (``interval="bca"``) Efron's (1987)
bias-corrected and accelerated one: the percentiles taken are moved by z0, the normal quantile of the share of
resamples below the estimate (ties counted half), and by the acceleration a, the skewness of the delete-one-unit
(or delete-one-cluster) jackknife values, a = Σ d³ / (6 (Σ d²)^1.5) with d the jackknife values' mean less each
value. The jackknife recomputes the coefficient once per unit, with the same weighted sums as the resamples. Where
BCa is undefined (every resample equal, the estimate outside all the resamples, the coefficient undefined with a
unit left out, or every unit left out giving the same value) the percentile interval is given, and the result's
``interval_reason`` says why.
"""

from __future__ import annotations

import threading
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from theme_assist.agree.coefficients import (
    chance_corrected,
    coefficient_values,
    coincidence_matrix,
    krippendorff_alpha,
    light_model,
    metric_name,
    pooled_model,
    unit_level_model,
)
from theme_assist.agree.distances import Metric, distance_matrix
from theme_assist.agree.ratings import RatingTable, as_rating_table
from theme_assist.agree.results import BootstrapResult
from theme_assist.errors import InputError

MINIMUM_ALPHAS = (0.667, 0.8)
"""Krippendorff's (2004) thresholds: 0.667 for tentative conclusions, 0.8 for reliable data."""

ALPHA_METHODS = ("units", "coincidences")
"""α's bootstraps: resampled units (the default), or Hayes & Krippendorff's (2007) pairs drawn from the
coincidences."""
MAX_RESAMPLES = 100_000
"""More resamples than published intervals use (1,000 to 10,000) by far; beyond it, memory grows without need."""
_DRAWS_PER_BATCH = 4_000_000
"""Units drawn per batch of unit resamples, to bound memory on large tables."""
_KEPT_VALUES = 2 * _DRAWS_PER_BATCH
"""Most unit weights (rows × units) kept for the next metric drawing the same (:func:`_kept_weights`): 64 MB."""
JACKKNIFE_GROUPS = 2_000
"""Most units (or clusters) BCa's jackknife leaves out one at a time; beyond, it leaves out as many groups of them."""
INTERVAL_METHODS = ("percentile", "bca")
"""Intervals read off resampled units: percentile, or bias-corrected and accelerated (Efron 1987)."""


def bootstrap_alpha(ratings: Any, level: Metric = "nominal", *, n_boot: int = 1000, seed: int = 0,
                    confidence: float = 0.95, minimums: Sequence[float] = MINIMUM_ALPHAS,
                    categories: Sequence | None = None, draws: int | None = None,
                    clusters: str | int | None = None, method: str = "units",
                    interval: str = "percentile") -> BootstrapResult:
    """Bootstrap distribution of Krippendorff's α, by resampling units or the coincidences.

    Parameters
    ----------
    ratings : RatingTable, DataFrame or array-like, shape (n_units, n_coders)
    level : {"nominal", "ordinal", "interval", "ratio", "masi"}, callable or ndarray
        As for :func:`~theme_assist.agree.coefficients.krippendorff_alpha`.
    n_boot : int
        Resamples (Hayes & Krippendorff suggest at least 1,000; the KALPHA macro defaults to 10,000).
    seed : int
        Seed of the random generator.
    confidence : float
        Level of the percentile interval.
    minimums : sequence of float
        Smallest acceptable α values; ``p_below`` gives the probability of α* falling below each.
    categories : sequence, optional
        All possible categories, in order.
    draws : int, optional
        Pairs drawn per resample (M) by ``method="coincidences"``; by default Krippendorff's rule.
    clusters : str or int, optional
        Level of the ratings' row index whose rows belong together (e.g. ``"unit"`` of a code × unit index):
        clusters of rows are resampled with replacement, all their rows with them (method ``"units"`` only).
    method : {"units", "coincidences"}
        ``"units"``: units (or ``clusters``) drawn with replacement; ``"coincidences"``: Hayes & Krippendorff's
        (2007) pairs of values drawn from the coincidences, which is too narrow with three or more coders.
    interval : {"percentile", "bca"}
        The interval read off the resamples: percentile, or bias-corrected and accelerated (``method="units"``
        only: its acceleration leaves out one unit, or cluster, at a time). Percentile by default here, as for
        every ``bootstrap_*`` function; :func:`~theme_assist.agree.report.agreement_summary` and ``theme-assist
        agree`` default to BCa (:func:`~theme_assist.agree.report.default_interval`).

    Returns
    -------
    BootstrapResult

    Notes
    -----
    Units nobody rated are left out before resampling, as :func:`bootstrap_units` leaves them out.
    """
    _check_request(n_boot, confidence, interval)
    if method not in ALPHA_METHODS:
        raise InputError(f"alpha's bootstrap method must be one of {', '.join(ALPHA_METHODS)}; got {method!r}")
    if method == "coincidences" and clusters is not None:
        raise InputError("the coincidence bootstrap draws pairs of values as independent; clustered rows need "
                         "method='units'")
    if method == "coincidences" and interval == "bca":
        raise InputError("the BCa interval's acceleration leaves out one unit at a time, which the coincidence "
                         "bootstrap does not resample; use method='units' or interval='percentile'")
    setup = unit_resampling(ratings, "alpha", level=level, categories=categories)
    if setup.values is None:
        return _undefined(setup.estimate, setup.reason, confidence, method, interval)
    if method == "units":
        return _resampled(setup.estimate, setup.table, setup.values, clusters, n_boot, seed, confidence, minimums,
                          interval)
    table = setup.table
    alpha = krippendorff_alpha(table, level)
    coincidences = coincidence_matrix(table)
    marginals = coincidences.sum(axis=1)
    total = marginals.sum()
    distances = distance_matrix(level, table, marginals)

    upper = np.triu_indices(table.n_categories)
    on_diagonal = upper[0] == upper[1]
    probabilities = np.where(on_diagonal, 1.0, 2.0) * coincidences[upper] / total
    probabilities /= probabilities.sum()
    coders = int(table.observed.any(axis=0).sum())
    if draws is None:
        draws = int(min(25 * np.count_nonzero(coincidences > 1e-12), round(total * (coders - 1) / 2)))
    draws = max(int(draws), 1)

    rng = np.random.default_rng(seed)
    cells = distances[upper]
    # resamples drawn in batches (a generator's rows drawn in turn, the same as all at once): q = 500 codes have
    # 125,250 cells, and 1,000 resamples of them all at once took 1 GB
    batch = max(1, _DRAWS_PER_BATCH // cells.size)
    parts = []
    for start in range(0, n_boot, batch):
        cell_counts = rng.multinomial(draws, probabilities, size=min(batch, n_boot - start))
        part = np.maximum(1.0 - (cell_counts @ cells) / (draws * alpha.expected_disagreement), -1.0)
        no_variation = (cell_counts.max(axis=1) == draws) & on_diagonal[cell_counts.argmax(axis=1)]
        part[no_variation] = 0.0
        parts.append(part)
    samples = np.concatenate(parts)
    return _summarise(alpha.value, samples, confidence, minimums, "coincidences")


def bootstrap_units(ratings: Any, metric: str, *, weights: str | np.ndarray | None = None, n_boot: int = 1000,
                    seed: int = 0, confidence: float = 0.95, minimums: Sequence[float] = MINIMUM_ALPHAS,
                    categories: Sequence | None = None, clusters: str | int | None = None,
                    interval: str = "percentile") -> BootstrapResult:
    """Bootstrap distribution of a chance-corrected coefficient by resampling units with replacement.

    Parameters
    ----------
    ratings : RatingTable, DataFrame or array-like, shape (n_units, n_coders)
    metric : {"percent", "cohen", "scott", "bennett_s", "fleiss", "conger", "ac1", "light"}
        The coefficient, by its command-line name. Light's κ is recomputed on each resample as on the data: the
        mean of the pairs' κ defined on it (a pair whose κ a resample leaves undefined is left out of that mean).
    weights : {None, "linear", "quadratic"} or ndarray, optional
        Agreement weights, as for the coefficient.
    n_boot, seed, confidence, minimums, categories, clusters, interval
        As for :func:`bootstrap_alpha`. Units nobody rated are left out before resampling.

    Returns
    -------
    BootstrapResult
    """
    _check_request(n_boot, confidence, interval)
    if metric_name(metric) == "alpha":
        raise InputError("alpha is not resampled by units; use bootstrap_alpha")
    setup = unit_resampling(ratings, metric, weights=weights, categories=categories)
    if setup.values is None:
        return _undefined(setup.estimate, setup.reason, confidence, "units", interval)
    return _resampled(setup.estimate, setup.table, setup.values, clusters, n_boot, seed, confidence, minimums,
                      interval)


@dataclass(frozen=True)
class Resampling:
    """A coefficient set up to be recomputed on units drawn with replacement (:func:`unit_resampling`).

    Attributes
    ----------
    estimate : float
        The coefficient on the data (NaN where undefined).
    reason : str or None
        Why it is undefined.
    table : RatingTable
        The units someone rated, in the order ``values`` weights them.
    values : callable or None
        Unit weights, shape (n_draws, ``table.n_units``) → the coefficient under each row, shape (n_draws,); NaN
        where a draw leaves it undefined. ``None`` where the estimate is undefined.
    """

    estimate: float
    reason: str | None
    table: RatingTable
    values: Callable[[np.ndarray], np.ndarray] | None


def unit_resampling(ratings: Any, metric: str, *, level: Metric = "nominal", weights: str | np.ndarray | None = None,
                    categories: Sequence | None = None) -> Resampling:
    """``metric`` on the units of ``ratings`` someone rated, with the function that recomputes it on weighted
    units: what every bootstrap of resampled units draws from, and what paired comparisons of several coefficients
    on the same resamples need (:mod:`theme_assist.agree.paired`).

    Parameters
    ----------
    ratings : RatingTable, DataFrame or array-like, shape (n_units, n_coders)
    metric : str
        A metric name or alias (:data:`~theme_assist.agree.coefficients.METRICS`).
    level : str, callable or ndarray
        Level of measurement or distance for α.
    weights : {None, "linear", "quadratic"} or ndarray, optional
        Agreement weights for the other coefficients.
    categories : sequence, optional
        All possible categories, in order.

    Returns
    -------
    Resampling
    """
    name = metric_name(metric)
    if name == "alpha":
        table = as_rating_table(ratings, categories)
        # units nobody rated are left out before resampling, as for the other coefficients (unit_level_model):
        # drawn, a blank row of a wide file moved alpha's interval alone
        table = table.take(np.flatnonzero(table.ratings_per_unit > 0))
        alpha = krippendorff_alpha(table, level)
        if not alpha.defined:
            return Resampling(alpha.value, alpha.reason, table, None)
        distances = distance_matrix(level, table, coincidence_matrix(table).sum(axis=1))
        return Resampling(alpha.value, None, table, _alpha_values(table, distances))
    if name == "light":
        light = light_model(ratings, weights=weights, categories=categories)
        estimate = light.estimate
        return Resampling(estimate.value, estimate.reason, light.table, light.values if estimate.defined else None)
    setup = unit_level_model(ratings, metric, weights, categories, "is not resampled by units")
    estimate, terms, matrix, model = setup.estimate, setup.terms, setup.weights, setup.model
    if not estimate.defined:
        return Resampling(estimate.value, estimate.reason, setup.table, None)

    def values(unit_weights: np.ndarray) -> np.ndarray:
        return coefficient_values(*chance_corrected(terms, matrix, model, unit_weights))

    return Resampling(estimate.value, None, setup.table, values)


def bootstrap_pooled(ratings: Any, metric: str, *, codes: str | int = "code", clusters: str | int | None = None,
                     weights: str | np.ndarray | None = None, n_boot: int = 1000, seed: int = 0,
                     confidence: float = 0.95, minimums: Sequence[float] = MINIMUM_ALPHAS,
                     categories: Sequence | None = None, interval: str = "percentile") -> BootstrapResult:
    """Bootstrap distribution of κ or π pooled over codes as De Vries et al. (2008) pool κ, resampling units.

    Each resample draws rows (or ``clusters`` of rows) of the stacked table with replacement, and pools the codes'
    observed and chance agreements on the drawn rows (:func:`~theme_assist.agree.coefficients.de_vries_agreement`).

    Parameters
    ----------
    ratings : RatingTable, DataFrame or array-like, shape (n_rows, n_coders)
        The codes' tables stacked (:func:`~theme_assist.agree.coefficients.pooled_model`).
    metric : {"cohen", "scott", "fleiss", "conger"}
        The coefficient, by its command-line name.
    codes : str or int
        Level of the row index that names each row's code.
    clusters : str or int, optional
        Level of the row index naming each row's unit: all of a unit's codes are drawn together, as they should be
        (a unit's codes are not independent); without it, rows are drawn one by one.
    weights : {None, "linear", "quadratic"} or ndarray, optional
        Agreement weights, as for the coefficient.
    n_boot, seed, confidence, minimums, categories, interval
        As for :func:`bootstrap_alpha`.

    Returns
    -------
    BootstrapResult
    """
    _check_request(n_boot, confidence, interval)
    setup = pooled_model(ratings, metric, codes=codes, weights=weights, categories=categories)
    if not setup.estimate.defined:
        return _undefined(setup.estimate.value, setup.estimate.reason, confidence, "units", interval)
    return _resampled(setup.estimate.value, setup.table, lambda unit_weights: coefficient_values(
        *setup.agreement(unit_weights)), clusters, n_boot, seed, confidence, minimums, interval)


def _unit_weights(table, clusters: str | int | None, n_boot: int, seed: int):
    """Batches of resamples, each row how many times each unit is drawn, shape (batch, n_units); with
    ``clusters``, whole clusters of units are drawn (each unit counts as often as its cluster is drawn). The
    metrics of one summary draw the same resamples (one seed, one table): the last ones drawn are kept
    (:func:`_kept_weights`), read-only, and given again rather than drawn anew."""
    groups, n_draws = _groups(table, clusters)

    def draw():
        rng = np.random.default_rng(seed)
        for _, size in _batches(n_boot, table, n_draws):
            drawn = rng.integers(0, n_draws, size=(size, n_draws))
            drawn += np.arange(size)[:, None] * n_draws  # each resample's own bins
            counts = np.bincount(drawn.ravel(), minlength=size * n_draws).reshape(size, n_draws)
            yield (counts if groups is None else counts[:, groups]).astype(float)

    return _kept_weights(("resamples", n_boot, seed, *_units_key(table, groups, n_draws)), n_boot, table, draw)


def _units_key(table, groups: np.ndarray | None, n_draws: int) -> tuple:
    """What unit weights depend on besides the seed and the number of rows: the units and how they are drawn."""
    return table.n_units, n_draws, None if groups is None else groups.tobytes()


_KEPT: dict[tuple[int, str], tuple] = {}
"""Within :func:`shared_resamples`, the last unit weights each thread made of each kind (resamples, jackknife):
(thread, kind) → (key, batches)."""
_SHARING: dict[int, int] = {}
"""How many :func:`shared_resamples` blocks each thread has open: a thread's bootstraps share nothing with
another's (the API called from a thread pool)."""


@contextmanager
def shared_resamples():
    """A block within which bootstraps of the same seed and units draw their resamples (and BCa's jackknife weights)
    once: :func:`~theme_assist.agree.report.agreement_summary` runs its metrics in one, each metric's figures those
    it has alone. The weights are let go when the block ends."""
    thread = threading.get_ident()
    _SHARING[thread] = _SHARING.get(thread, 0) + 1
    try:
        yield
    finally:
        _SHARING[thread] -= 1
        if not _SHARING[thread]:
            del _SHARING[thread]
            for kind in ("resamples", "jackknife"):
                _KEPT.pop((thread, kind), None)


def _kept_weights(key: tuple, n_rows: int, table, make):
    """The batches of unit weights ``make`` yields, kept (read-only) within :func:`shared_resamples` for the next
    call with the same ``key`` where they fit in :data:`_KEPT_VALUES` values: the metrics of a summary (a code of
    agree --per-code) resample the same units with the same seed, and drawing them again cost each metric as much
    as computing it."""
    thread = threading.get_ident()
    if thread not in _SHARING or n_rows * table.n_units > _KEPT_VALUES:
        yield from make()
        return
    kept = _KEPT.get((thread, key[0]))
    if kept is None or kept[0] != key:
        batches = []
        for batch in make():
            batch.setflags(write=False)
            batches.append(batch)
        kept = _KEPT[thread, key[0]] = (key, batches)
    yield from kept[1]


def _batches(n_rows: int, table, n_draws: int):
    """``(start, size)`` of each batch of ``n_rows`` rows of unit weights (the resamples, or the jackknife's rows),
    each row over ``table``'s units and ``n_draws`` units or clusters drawn or left out: as many rows a batch as
    keep it within :data:`_DRAWS_PER_BATCH` values, one at least."""
    batch = max(1, _DRAWS_PER_BATCH // max(table.n_units, n_draws))
    for start in range(0, n_rows, batch):
        yield start, min(batch, n_rows - start)


def _groups(table, clusters: str | int | None) -> tuple[np.ndarray | None, int]:
    """Each unit's cluster (``None`` without ``clusters``: each unit its own) and the number of clusters."""
    if clusters is None:
        return None, table.n_units
    groups = pd.factorize(table.units.get_level_values(clusters))[0]
    return groups, int(groups.max()) + 1


def _jackknife_weights(table, clusters: str | int | None):
    """Batches of the delete-one jackknife's unit weights, shape (batch, n_units): row i leaves out unit (or
    cluster) i and counts every other unit once. Beyond :data:`JACKKNIFE_GROUPS` units (or clusters), row i leaves
    out the group of every :data:`JACKKNIFE_GROUPS`-th one from i (a grouped jackknife): one coefficient per unit
    left out would cost time growing with the square of the units (100,000 units: minutes)."""
    groups, n_draws = _groups(table, clusters)
    key = ("jackknife", *_units_key(table, groups, n_draws))
    if n_draws > JACKKNIFE_GROUPS:  # interleaved, so that no group is one document's run of units
        draw_group = np.arange(n_draws) % JACKKNIFE_GROUPS
        groups = draw_group if groups is None else draw_group[groups]
        n_draws = JACKKNIFE_GROUPS

    def leave_out():
        for start, size in _batches(n_draws, table, n_draws):
            kept = np.ones((size, n_draws))
            kept[np.arange(size), start + np.arange(size)] = 0.0
            yield kept if groups is None else kept[:, groups]

    return _kept_weights(key, n_draws, table, leave_out)


def _resampled(estimate: float, table, values, clusters: str | int | None, n_boot: int, seed: int,
               confidence: float, minimums: Sequence[float], interval: str) -> BootstrapResult:
    """The interval of the coefficient ``values`` computes under each row of a unit weights matrix, on units (or
    ``clusters``) drawn with replacement; for BCa, with its delete-one jackknife."""
    return bootstrap_statistics(table, lambda unit_weights: values(unit_weights)[:, None], [estimate], n_boot=n_boot,
                                seed=seed, confidence=confidence, minimums=minimums, interval=interval,
                                clusters=clusters)[0]


def bootstrap_statistics(table: RatingTable, values: Callable[[np.ndarray], np.ndarray], estimates: Sequence[float],
                         *, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95,
                         minimums: Sequence[float] = (), interval: str = "percentile",
                         clusters: str | int | None = None) -> list[BootstrapResult]:
    """Several statistics recomputed on the same units drawn with replacement: the intervals of paired
    comparisons (a difference of two coefficients whose sides must be resampled together).

    Parameters
    ----------
    table : RatingTable
        The units drawn (each resample a vector of how many times each unit is drawn, over ``table``'s units).
    values : callable
        Unit weights, shape (n_draws, ``table.n_units``) → the statistics under each row, shape (n_draws, k); NaN
        where a draw leaves one undefined.
    estimates : sequence of float
        The k statistics on the data.
    n_boot, seed, confidence, minimums, interval, clusters
        As for :func:`bootstrap_alpha`; ``minimums`` give each result's ``p_below``.

    Returns
    -------
    list of BootstrapResult
        One per statistic, in order.
    """
    _check_request(n_boot, confidence, interval)
    samples = np.concatenate([values(weights) for weights in _unit_weights(table, clusters, n_boot, seed)])
    jackknife = None
    if interval == "bca":
        jackknife = np.concatenate([values(weights) for weights in _jackknife_weights(table, clusters)])
    return [_summarise(estimate, samples[:, i], confidence, minimums, "units", interval,
                       None if jackknife is None else jackknife[:, i]) for i, estimate in enumerate(estimates)]


def _alpha_values(table, distances: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """α under each row of unit weights (units drawn with replacement): each resample's coincidences are its units'
    (weighted by how often each was drawn), α* = 1 − (n.. − 1) Σ o_ck δ_ck / Σ n_c n_k δ_ck with the full data's
    distances."""
    counts = table.counts.astype(float)
    pairable = table.ratings_per_unit >= 2
    # a unit's coincidences n_uc (n_uk - [c = k]) / (m_u - 1) enter alpha only through their sum weighted by the
    # distances and their margins (n_uc): summed so, not held as a units x categories x categories array (2,000
    # units of 500 codes: 4 GB, and as much per batch of resamples)
    pairs = np.where(pairable, table.ratings_per_unit - 1, 1).astype(float)
    per_unit = ((counts @ distances) * counts).sum(axis=1) - counts @ np.diag(distances)
    per_unit = np.where(pairable, per_unit / pairs, 0.0)
    margins = counts * pairable[:, None]

    def values(unit_weights: np.ndarray) -> np.ndarray:
        observed = unit_weights @ per_unit
        marginals = unit_weights @ margins
        total = marginals.sum(axis=1)
        expected = ((marginals @ distances) * marginals).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(expected > 1e-12, 1.0 - (total - 1) * observed / expected, np.nan)

    return values


def bootstrap_metric(ratings: Any, metric: str, *, level: Metric = "nominal",
                     weights: str | np.ndarray | None = None, alpha_method: str = "units",
                     **options: Any) -> BootstrapResult:
    """The bootstrap a metric calls for: :func:`bootstrap_alpha` with ``alpha_method`` for ``"alpha"``,
    :func:`bootstrap_units` for the others.

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
    alpha_method : {"units", "coincidences"}
        α's bootstrap (:func:`bootstrap_alpha`'s ``method``).
    **options
        ``n_boot``, ``seed``, ``confidence``, ``minimums``, ``clusters``, ``interval``, as the function called takes
        them.

    Returns
    -------
    BootstrapResult
    """
    if metric_name(metric) == "alpha":
        return bootstrap_alpha(ratings, level, method=alpha_method, **options)
    return bootstrap_units(ratings, metric, weights=weights, **options)


def derived_seed(seed: int, names: Sequence) -> int:
    """The seed of one of several bootstraps run side by side (a comparison's two columns, a code), derived from
    the ``seed`` given and ``names``: the same seed and names give the same seed (names hashed with CRC-32, not
    Python's salted ``hash``), other names another one, so bootstraps on as many units do not draw the same units.

    >>> derived_seed(0, ["machine", "ann"]) == derived_seed(0, ["machine", "ann"]) != derived_seed(0, ["ann"])
    True
    """
    hashes = [zlib.crc32(str(name).encode("utf-8")) for name in names]
    return int(np.random.SeedSequence([int(seed), *hashes]).generate_state(1)[0])


def _summarise(estimate: float, samples: np.ndarray, confidence: float, minimums: Sequence[float],
               method: str, interval: str = "percentile", jackknife: np.ndarray | None = None) -> BootstrapResult:
    defined = samples[np.isfinite(samples)]
    tail = (1.0 - confidence) / 2
    if defined.size == 0:
        return BootstrapResult(estimate=estimate, low=np.nan, high=np.nan, confidence=confidence,
                               n_boot=samples.size, method=method, samples=samples, n_undefined=samples.size,
                               reason="the coefficient was undefined on every resample", interval=interval,
                               requested=interval)
    levels, extra = np.array([tail, 1.0 - tail]), {}
    if interval == "bca":
        bias, acceleration, why = _bca_terms(estimate, defined, jackknife)
        extra = dict(bias_correction=bias, acceleration=acceleration, interval_reason=why)
        if why is None:
            normal = ndtri(levels)
            denominator = 1.0 - acceleration * (bias + normal)
            with np.errstate(invalid="ignore", divide="ignore"):
                adjusted = ndtr(bias + (bias + normal) / denominator)
            # at or past a zero denominator the levels wrap round and may cross (low above high)
            if np.all(np.isfinite(adjusted)) and np.all(denominator > 0) and adjusted[0] <= adjusted[1]:
                levels = adjusted
            else:
                extra["interval_reason"] = "the BCa percentiles are undefined (the acceleration is too large)"
    low, high = np.quantile(defined, levels)
    if interval == "bca" and extra["interval_reason"] is None:
        extra["interval_warning"] = _extreme_limits(defined, levels, tail)
        if extra["interval_warning"]:
            extra["percentile_low"], extra["percentile_high"] = map(float, np.quantile(defined, [tail, 1.0 - tail]))
    return BootstrapResult(
        estimate=estimate, low=float(low), high=float(high), confidence=confidence, n_boot=samples.size,
        method=method, p_below={float(m): float(np.mean(defined < m)) for m in minimums},
        n_undefined=int(samples.size - defined.size), samples=samples, requested=interval,
        interval="bca" if interval == "bca" and extra["interval_reason"] is None else "percentile", **extra)


def _extreme_limits(defined: np.ndarray, levels: np.ndarray, tail: float) -> str | None:
    """Why a BCa interval's limit is not to be trusted, where its corrected percentile falls at or beyond the most
    extreme resample's (below 1 / (B + 1) or above B / (B + 1) of the B resamples, as R's boot warns "extreme order
    statistics used as endpoints") and that resample stands alone (no tie with the next): the limit is then one
    resample's value, far from the nominal percentile (few units, all but one or two agreeing: AC1 0.96 on 32
    units, its BCa limit 0.75, the percentile one 0.87). ``None`` where neither limit is."""
    n = defined.size
    ordered = np.sort(defined)
    extreme = []
    if levels[0] <= 1 / (n + 1) and n > 1 and ordered[0] != ordered[1]:
        extreme.append(("lower", levels[0], tail))
    if levels[1] >= n / (n + 1) and n > 1 and ordered[-1] != ordered[-2]:
        extreme.append(("upper", 1 - levels[1], tail))
    if not extreme:
        return None
    said = " and ".join(f"{side} limit's corrected percentile is {'1 − ' if side == 'upper' else ''}{level:.2g} "
                        f"(nominal {'1 − ' if side == 'upper' else ''}{nominal:g})" for side, level, nominal in extreme)
    return (f"BCa's {said}, beyond all but the most extreme of {n:,} resamples: the limit is one resample's value "
            "(R's boot warns: extreme order statistics used as endpoints); read the percentile interval")


def _bca_terms(estimate: float, defined: np.ndarray, jackknife: np.ndarray) -> tuple[float, float, str | None]:
    """BCa's bias correction z0 and acceleration a, and why BCa is undefined (``None`` where it is not)."""
    if np.ptp(defined) == 0:
        return np.nan, np.nan, "every resample gave the same value"
    close = np.abs(defined - estimate) <= 1e-12 * max(1.0, abs(estimate))
    bias = float(ndtri(np.mean((defined < estimate) & ~close) + np.mean(close) / 2))
    if not np.isfinite(bias):
        return bias, np.nan, (f"the estimate lies {'below' if bias < 0 else 'above'} every resample's value "
                              "(infinite bias correction)")
    if not np.all(np.isfinite(jackknife)):
        return bias, np.nan, "the coefficient is undefined with some unit left out (no jackknife acceleration)"
    deviations = jackknife.mean() - jackknife
    spread = np.sum(deviations ** 2)
    if spread <= 1e-24 * max(1.0, float(np.max(np.abs(jackknife)))) ** 2:
        return bias, np.nan, "every unit left out gives the same value (no jackknife acceleration)"
    return bias, float(np.sum(deviations ** 3) / (6.0 * spread ** 1.5)), None


def _undefined(estimate: float, reason: str | None, confidence: float, method: str,
               interval: str = "percentile") -> BootstrapResult:
    """No interval for a coefficient undefined on the data: no resample drawn (``n_boot`` 0, whatever was asked)."""
    return BootstrapResult(estimate=estimate, low=np.nan, high=np.nan, confidence=confidence, n_boot=0,
                           method=method, reason=reason, interval=interval, requested=interval)


def _check_request(n_boot: int, confidence: float, interval: str = "percentile") -> None:
    if interval not in INTERVAL_METHODS:
        raise InputError(f"the bootstrap interval must be one of {', '.join(INTERVAL_METHODS)}; got {interval!r}")
    if not 1 <= n_boot <= MAX_RESAMPLES:
        raise InputError(f"the number of bootstrap resamples must lie between 1 and {MAX_RESAMPLES:,}; got {n_boot}")
    if not 0 < confidence < 1:
        raise InputError(f"the confidence level must lie between 0 and 1; got {confidence}")
