"""Reports of several coefficients at once: one table, or one presence/absence table per code.

A *summary* maps each metric name (``percent``, ``cohen``, ``scott``, ``bennett_s``, ``fleiss``, ``conger``,
``ac1``, ``alpha``) to a JSON-ready entry::

    {"value": 0.743, "reason": null, "coefficient": "Krippendorff's alpha (nominal)", "n_units": 11, ...,
     "ci": [0.62, 0.87], "confidence": 0.95, "n_boot": 1000, "method": "units", "p_below": {"0.667": 0.13,
     "0.8": 0.78}, "n_undefined": 0, "interval": "percentile", "seed": 0}

``value`` is ``None`` where the coefficient is undefined and ``reason`` says why; ``ci`` and ``p_below`` are there
when a bootstrap was asked for, with how it was drawn: ``method`` (``"units"`` resampled, or, for α on request,
``"coincidences"``, Hayes & Krippendorff 2007), ``seed``, and ``n_undefined`` resamples left out of the percentile
interval.
Analytic intervals, when asked for, are kept apart under their own key, never in ``ci``::

    "analytic": {"se": 0.106, "ci": [0.52, 0.97], "confidence": 0.95, "distribution": "t", "df": 10,
                 "population": null, "conditional_on": "coders", "method": "Gwet (2014)", "reason": null}

(:mod:`theme_assist.agree.analytic`; ``reason`` says why there is none, e.g. for MASI-α, while the value may be
defined). Rows that are not independent units (a pooled table's unit × code pairs) get intervals over clusters of
rows, named by the entry's ``clusters`` key (``"unit"``: all of a unit's codes drawn, or counted, together).
This is the shape ``theme-assist agree --format json`` prints.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from theme_assist.agree.analytic import _chance_per_unit, _groups, _interval, analytic_metric
from theme_assist.agree.analytic import _undefined as _no_analytic
from theme_assist.agree.bootstrap import (
    MINIMUM_ALPHAS,
    _summarise,
    _undefined,
    _unit_weights,
    bootstrap_metric,
    derived_seed,
)
from theme_assist.agree.coefficients import (
    CHANCE_MODEL_OF,
    applicable_metrics,
    chance_corrected,
    coefficient_values,
    compute_metric,
    metric_name,
    prepare_table,
    unit_terms,
)
from theme_assist.agree.distances import Metric, agreement_weights
from theme_assist.agree.ratings import as_rating_table

POOLED = "(pooled)"
"""Row of :func:`agreement_by_code` pooled over codes: all codes' presence tables stacked, κ and π then pooled as
De Vries et al. (2008) pool them (:data:`DE_VRIES_METRICS`)."""
POOLED_LEVELS = ("code", "unit")
"""Levels of the pooled table's row index; its intervals resample (and count) units, all of a unit's codes
together, since one unit's codes are not independent."""
DE_VRIES_METRICS = ("cohen", "scott", "fleiss", "conger")
"""κ and π, whose pooled row is De Vries et al.'s (2008) pooled κ: (p̄_o − p̄_e) / (1 − p̄_e), the observed and the
chance agreement each averaged over codes (each code's chance from its own prevalence). Percent agreement and
Bennett's S are the same stacked or averaged; AC1 and α, for which no pooled form is published, are computed on
all codes' tables stacked (chance from the prevalence over all codes) and named so."""
STACKED_LABEL = ", stacked over codes"


def agreement_summary(ratings: Any, metrics: Sequence[str] | None = None, *, level: Metric = "nominal",
                      weights: str | np.ndarray | None = None, categories: Sequence | None = None,
                      n_boot: int = 0, seed: int = 0, confidence: float = 0.95,
                      minimums: Sequence[float] = MINIMUM_ALPHAS, analytic: bool = False,
                      population: float | None = None, clusters: str | int | None = None,
                      alpha_bootstrap: str = "units") -> dict[str, dict]:
    """Several coefficients on one table, with bootstrap intervals when ``n_boot > 0``, analytic ones on request.

    Parameters
    ----------
    ratings : RatingTable, DataFrame or array-like, shape (n_units, n_coders)
    metrics : sequence of str, optional
        Metric names (aliases allowed); by default every metric that applies (Cohen's κ and Scott's π need
        exactly two coders).
    level : str, callable or ndarray
        Level of measurement or distance for α.
    weights : {None, "linear", "quadratic"} or ndarray, optional
        Agreement weights for the other coefficients.
    categories : sequence, optional
        All possible categories, in order.
    n_boot, seed, confidence, minimums
        Bootstrap settings (see :mod:`theme_assist.agree.bootstrap`); ``n_boot = 0`` skips the bootstrap.
    analytic : bool
        Add each coefficient's standard error and t interval at ``confidence`` (Gwet 2014, conditional on the
        coders; see :mod:`theme_assist.agree.analytic`) under the entry's ``"analytic"`` key.
    population : float, optional
        Units in the population the rated units were drawn from, for the analytic variance's finite-population
        correction; by default infinite.
    clusters : str or int, optional
        Level of the ratings' row index whose rows are not independent (a unit's rows of a pooled code × unit
        table): both intervals resample, or count, these clusters instead of rows.
    alpha_bootstrap : {"units", "coincidences"}
        α's bootstrap (:func:`~theme_assist.agree.bootstrap.bootstrap_alpha`'s ``method``); with ``clusters``
        always ``"units"``, since pairs drawn from the coincidences would treat a unit's rows as independent.

    Returns
    -------
    dict
        Metric name → entry (see the module docstring), in the order asked for.

    Raises
    ------
    InputError
        For an unknown metric, Cohen's κ or Scott's π on other than two coders, or a level or weights the
        ratings do not support.
    """
    table = as_rating_table(ratings, categories)
    names = list(dict.fromkeys(metric_name(m) for m in metrics)) if metrics else applicable_metrics(table)
    summary = {}
    for name in names:
        result = compute_metric(name, table, level=level, weights=weights)
        entry = {"value": None, "reason": result.reason, **result.to_dict()}
        entry.pop("category_shares")
        if n_boot:
            interval = bootstrap_metric(table, name, level=level, weights=weights, n_boot=n_boot, seed=seed,
                                        confidence=confidence, minimums=minimums, clusters=clusters,
                                        alpha_method=alpha_bootstrap if clusters is None else "units")
            entry.update({key: value for key, value in interval.to_dict().items() if key != "estimate"})
            entry.update(interval="percentile", seed=seed)
            entry["reason"] = result.reason or interval.reason
        if analytic:
            standard_error = analytic_metric(table, name, level=level, weights=weights, confidence=confidence,
                                             population=population, clusters=clusters)
            entry["analytic"] = {key: value for key, value in standard_error.to_dict().items() if key != "estimate"}
        if clusters is not None and (n_boot or analytic):
            entry["clusters"] = str(clusters)
        summary[name] = entry
    return summary


def prevalence(presence: pd.DataFrame) -> float:
    """Share of the ratings in a presence/absence table that are presences (NaN for an empty table)."""
    values = presence.to_numpy(dtype=float)
    rated = values[~np.isnan(values)]
    return float(rated.mean()) if rated.size else float("nan")


def agreement_by_code(presence: Mapping[str, pd.DataFrame], metrics: Sequence[str] | None = None,
                      **options: Any) -> dict[str, dict]:
    """A summary per code of its presence/absence table, and one over all codes stacked.

    Sparse codes make κ low while agreement is high (the κ paradoxes); each summary therefore carries the code's
    ``prevalence``, to be read next to κ and Gwet's AC1.

    Parameters
    ----------
    presence : mapping
        Code → units × coders table of 0/1 (:func:`~theme_assist.agree.units.presence_tables`).
    metrics : sequence of str, optional
        As for :func:`agreement_summary`.
    **options
        Passed to :func:`agreement_summary` (``n_boot``, ``seed``…). Categories are fixed to absent/present.

    Returns
    -------
    dict
        Code (and :data:`POOLED`) → ``{"prevalence": float, "metrics": summary}``, each pooled entry with its
        ``pooling`` (``"De Vries et al. (2008)"`` or ``"stacked"``); the pooled intervals resample
        (and count) units, each with all its codes (``clusters``: ``"unit"``). Each code is bootstrapped with its
        own seed (:func:`~theme_assist.agree.bootstrap.derived_seed` of ``seed`` and the code; its entries'
        ``seed``), so codes rated on the same units do not draw the same units; the pooled row keeps ``seed``.
    """
    tables = dict(presence)
    if tables:
        tables[POOLED] = pd.concat(tables.values(), keys=list(tables), names=list(POOLED_LEVELS))
    seed = options.pop("seed", 0)
    by_code = {code: {"prevalence": prevalence(table),
                      "metrics": agreement_summary(table, metrics, categories=(0, 1), **options,
                                                   seed=seed if code == POOLED else derived_seed(seed, [code]),
                                                   clusters=POOLED_LEVELS[1] if code == POOLED else None)}
               for code, table in tables.items()}
    for name, entry in by_code.get(POOLED, {}).get("metrics", {}).items():
        if name in DE_VRIES_METRICS:
            _pool_as_de_vries(entry, tables[POOLED], name, seed=seed, **options)
        elif name in ("ac1", "alpha"):
            entry.update(coefficient=entry["coefficient"] + STACKED_LABEL, pooling="stacked")
        else:
            entry["pooling"] = "stacked"  # the same as averaged over codes
    return by_code


def _pool_as_de_vries(entry: dict, stacked: pd.DataFrame, name: str, *, weights: str | np.ndarray | None = None,
                      n_boot: int = 0, seed: int = 0, confidence: float = 0.95,
                      minimums: Sequence[float] = MINIMUM_ALPHAS, analytic: bool = False,
                      population: float | None = None, **_: Any) -> None:
    """Turn the pooled ``entry`` of κ or π (computed on ``stacked``, all codes' presence tables) into De Vries et
    al.'s (2008) pooled κ: the mean over codes of the observed agreement and of the chance agreement, each code's
    from its own table. The bootstrap draws the units the stacked bootstrap draws (all of a unit's codes together)
    and pools each resample's per-code agreements. The analytic variance is Gwet's (2014) over units, of the
    pooled κ linearised: each unit's term is the mean over codes of its terms under the pooled p_e and κ,

        κ*_u = mean_c [(n / n₂) (p_a|uc − p_e [r_u ≥ 2]) − 2 (1 − κ) (p_e|uc − p_e)] / (1 − p_e),

    the units' terms summed by cluster as for the stacked rows (:mod:`~theme_assist.agree.analytic`)."""
    model = CHANCE_MODEL_OF[name]
    table = prepare_table(name, as_rating_table(stacked, (0, 1)))
    codes = table.units.get_level_values(POOLED_LEVELS[0])
    rated = table.ratings_per_unit > 0
    parts = []
    for code in pd.unique(codes):
        rows = np.flatnonzero((codes == code) & rated)
        matrix = agreement_weights(weights, table.take(rows))
        parts.append((rows, matrix, unit_terms(table.take(rows), matrix, by_coder=model == "conger")))

    def pooled(unit_weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        agreements = [chance_corrected(terms, matrix, model, None if unit_weights is None else unit_weights[:, rows])
                      for rows, matrix, terms in parts]
        return tuple(np.mean([agreement[i] for agreement in agreements], axis=0) for i in (0, 1))

    observed, expected = pooled()
    value = float(coefficient_values(observed, expected)[0])
    reason = entry["reason"] if entry["value"] is None else None  # no pairable unit, or fewer than two coders
    if reason is None and not np.isfinite(value):
        reason = "no variation: every rating is in one category (chance agreement 1)"
    entry.update(value=None if reason else value, reason=reason, pooling="De Vries et al. (2008)",
                 coefficient=f"{entry['coefficient']}, pooled over codes (De Vries et al. 2008)")
    if entry["observed_agreement"] is not None:  # None where no unit is pairable (or coder rated), as for one code
        entry.update(observed_agreement=float(observed[0]), expected_agreement=float(expected[0]))
    if n_boot:
        if reason:
            interval = _undefined(value, reason, confidence, "units")
        else:
            samples = np.concatenate([coefficient_values(*pooled(unit_weights))
                                      for unit_weights in _unit_weights(table, POOLED_LEVELS[1], n_boot, seed)])
            interval = _summarise(value, samples, confidence, minimums, "units")
        entry.update({key: item for key, item in interval.to_dict().items() if key != "estimate"})
        entry["reason"] = reason or interval.reason
    if analytic and reason:
        entry["analytic"] = {key: item for key, item in _no_analytic(value, reason, confidence, population)
                             .to_dict().items() if key != "estimate"}
    elif analytic:
        chance, terms_of_rows = float(expected[0]), []
        for rows, matrix, terms in parts:
            per_unit_chance = _chance_per_unit(terms, table.take(rows), matrix, model)
            terms_of_rows.append((rows.size / terms.pairable.sum() * (terms.agreement - chance * terms.pairable)
                                  - 2 * (1 - value) * (per_unit_chance - chance)) / (1 - chance))
        # the cluster variance sums a unit's rows, scaled by G / rows: the mean of its terms over codes
        groups = _groups(table.take(np.concatenate([rows for rows, _, _ in parts])), POOLED_LEVELS[1])
        interval = _interval(value, np.concatenate(terms_of_rows), value, confidence, population,
                             int(groups.max()) + 1, groups=groups)
        entry["analytic"] = {key: item for key, item in interval.to_dict().items() if key != "estimate"}


def by_code_frame(by_code: Mapping[str, dict]) -> pd.DataFrame:
    """:func:`agreement_by_code` as a table: one row per code, ``prevalence`` and one column per metric, and
    ``note`` with the reasons for undefined values."""
    rows = []
    for code, report in by_code.items():
        row = {"code": code, "prevalence": report["prevalence"]}
        notes = []
        for name, entry in report["metrics"].items():
            row[name] = np.nan if entry["value"] is None else entry["value"]
            if entry["reason"]:
                notes.append(f"{name}: {entry['reason']}")
        row["note"] = "; ".join(notes)
        rows.append(row)
    return pd.DataFrame(rows).set_index("code")


def multi_label_summary(ratings: pd.DataFrame, presence: Mapping[str, pd.DataFrame],
                        metrics: Sequence[str] | None = None, **options: Any) -> dict[str, dict]:
    """A summary of multi-label coding: MASI-α on the code sets, and each metric on presence/absence.

    Parameters
    ----------
    ratings : DataFrame
        Units × coders of ``frozenset`` code sets (:func:`~theme_assist.agree.units.ratings_from_codings`).
    presence : mapping
        Code → units × coders 0/1 table (:func:`~theme_assist.agree.units.presence_tables`).
    metrics : sequence of str, optional
        Metrics on the presence/absence tables; by default all that apply; none (MASI-α alone) for an empty one.
    **options
        ``n_boot``, ``seed``, ``confidence``, ``minimums``, ``weights``, ``analytic`` as for
        :func:`agreement_summary` (MASI-α has no analytic interval: its ``"analytic"`` entry says so).

    Returns
    -------
    dict
        ``"masi_alpha"`` → entry for Krippendorff's α with the MASI distance (Passonneau 2006); then each metric
        → its entry pooled over codes (``pooling``: κ and π as De Vries et al. 2008, the others on all codes'
        presence tables stacked; see :data:`DE_VRIES_METRICS`), with ``"by_code"``: code → its entry on that
        code's presence table (``value``, ``reason``, the intervals asked for) with the code's ``prevalence``.
    """
    alpha_options = {key: value for key, value in options.items() if key != "weights"}
    summary = {"masi_alpha": agreement_summary(ratings, ["alpha"], level="masi", **alpha_options)["alpha"]}
    if metrics is not None and not len(metrics):
        return summary
    by_code = agreement_by_code(presence, metrics, **options)
    pooled = by_code.pop(POOLED, {"metrics": {}})
    for name, entry in pooled["metrics"].items():
        entry["prevalence"] = pooled["prevalence"]
        entry["by_code"] = {code: {**report["metrics"][name], "prevalence": report["prevalence"]}
                            for code, report in by_code.items()}
        summary[name] = entry
    return summary
