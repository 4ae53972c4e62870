"""Reports of several coefficients at once: one table, or one presence/absence table per code.

A *summary* maps each metric name (``percent``, ``cohen``, ``scott``, ``bennett_s``, ``fleiss``, ``conger``,
``ac1``, ``light``, ``alpha``) to a JSON-ready entry::

    {"value": 0.743, "reason": null, "coefficient": "Krippendorff's alpha (nominal)", "n_units": 11, ...,
     "ci": [0.62, 0.87], "confidence": 0.95, "n_boot": 1000, "method": "units", "p_below": {"0.667": 0.13,
     "0.8": 0.78}, "n_undefined": 0, "interval": "percentile", "seed": 0}

``value`` is ``None`` where the coefficient is undefined and ``reason`` says why; ``ci`` and ``p_below`` are there
when a bootstrap was asked for, with how it was drawn: ``method`` (``"units"`` resampled, or, for α on request,
``"coincidences"``, Hayes & Krippendorff 2007), ``seed``, ``n_undefined`` resamples left out of the interval, and
``interval``: ``"percentile"``, or ``"bca"`` (Efron's bias-corrected and accelerated interval, on request), whose
entries also give ``bias_correction``, ``acceleration``, ``interval_reason`` (why BCa, asked for, fell back to
the percentile interval; ``null`` where it did not) and ``interval_warning`` (why the BCa interval given is not to be
trusted, a limit the most extreme resample's value, with the percentile interval to read instead, ``percentile_ci``;
``null`` where it is not).
Analytic intervals, when asked for, are kept apart under their own key, never in ``ci``::

    "analytic": {"se": 0.106, "ci": [0.52, 0.97], "confidence": 0.95, "distribution": "t", "df": 10,
                 "population": null, "conditional_on": "coders", "method": "Gwet (2014)", "reason": null}

(:mod:`theme_assist.agree.analytic`; ``reason`` says why there is none, e.g. for MASI-α, while the value may be
defined). Rows that are not independent units (a pooled table's unit × code pairs) get intervals over clusters of
rows, named by the entry's ``clusters`` key (``"unit"``: all of a unit's codes drawn, or counted, together).
This is the shape ``theme-assist agree --format json`` prints.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from theme_assist.agree.analytic import analytic_metric, analytic_pooled
from theme_assist.agree.bootstrap import (
    MINIMUM_ALPHAS,
    bootstrap_metric,
    bootstrap_pooled,
    derived_seed,
    shared_resamples,
)
from theme_assist.agree.coefficients import (
    DE_VRIES_METRICS,
    applicable_metrics,
    compute_metric,
    de_vries_kappa,
    metric_name,
)
from theme_assist.agree.distances import Metric
from theme_assist.agree.ratings import as_rating_table

POOLED = "(pooled)"
"""Row of :func:`agreement_by_code` pooled over codes: all codes' presence tables stacked, κ and π then pooled as
De Vries et al. (2008) pool them (:data:`DE_VRIES_METRICS`)."""
POOLED_LEVELS = ("code", "unit")
"""Levels of the pooled table's row index; its intervals resample (and count) units, all of a unit's codes
together, since one unit's codes are not independent."""
STACKED_LABEL = ", stacked over codes"
"""How AC1, Light's κ and α, for which no pooled form is published, are named on a table stacked over codes (chance
from the prevalence over all codes); κ and π are pooled as De Vries et al. (2008) pool κ
(:data:`~theme_assist.agree.coefficients.DE_VRIES_METRICS`), percent agreement and Bennett's S are the same
stacked or averaged over codes."""
STACKED_METRICS = ("ac1", "light", "alpha")
"""The metrics named with :data:`STACKED_LABEL` on a table stacked over codes."""
DE_VRIES_POOLING = "De Vries et al. (2008)"
"""The ``pooling`` of an entry pooled over codes as De Vries et al. (2008) pool κ (``"stacked"`` for the others)."""


def default_interval(alpha_bootstrap: str = "units") -> str:
    """The interval read off the resampled units where none is asked for: BCa, which held the population value
    nearer 95% of the time than the percentile interval for α and the κs in every simulated population, for AC1
    as near within a standard error (evaluation/results/interval_coverage.md); percentile for Hayes &
    Krippendorff's bootstrap of α (``alpha_bootstrap="coincidences"``), whose pairs of values the jackknife over
    units does not match."""
    return "percentile" if alpha_bootstrap == "coincidences" else "bca"


def agreement_summary(ratings: Any, metrics: str | Sequence[str] | None = None, *, level: Metric = "nominal",
                      weights: str | np.ndarray | None = None, categories: Sequence | None = None,
                      n_boot: int = 0, seed: int = 0, confidence: float = 0.95,
                      minimums: Sequence[float] = MINIMUM_ALPHAS, analytic: bool = False,
                      population: float | None = None, clusters: str | int | None = None,
                      alpha_bootstrap: str = "units", codes: str | int | None = None,
                      bootstrap_interval: str | None = None) -> dict[str, dict]:
    """Several coefficients on one table, with bootstrap intervals when ``n_boot > 0``, analytic ones on request.

    Parameters
    ----------
    ratings : RatingTable, DataFrame or array-like, shape (n_units, n_coders)
    metrics : str or sequence of str, optional
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
    codes : str or int, optional
        Level of the ratings' row index naming each row's code, for a table stacked over codes: κ and π are then
        pooled as De Vries et al. (2008) pool κ (:func:`~theme_assist.agree.coefficients.de_vries_kappa`), the
        others computed on the stacked table (AC1, Light's κ and α named ``", stacked over codes"``), each entry's
        ``pooling`` saying which (``"De Vries et al. (2008)"`` or ``"stacked"``).
    bootstrap_interval : {"percentile", "bca"}, optional
        The interval read off the resampled units (:data:`~theme_assist.agree.bootstrap.INTERVAL_METHODS`); BCa
        does not apply to ``alpha_bootstrap="coincidences"``. Default: :func:`default_interval`.

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
    bootstrap_interval = default_interval(alpha_bootstrap) if bootstrap_interval is None else bootstrap_interval
    metrics = [metrics] if isinstance(metrics, str) else metrics
    names = list(dict.fromkeys(metric_name(m) for m in metrics)) if metrics else applicable_metrics(table)
    with shared_resamples():  # every metric resamples the same units with the same seed: drawn once
        return {name: _summary_entry(table, name, level=level, weights=weights, n_boot=n_boot, seed=seed,
                                     confidence=confidence, minimums=minimums, analytic=analytic,
                                     population=population, clusters=clusters, alpha_bootstrap=alpha_bootstrap,
                                     codes=codes, bootstrap_interval=bootstrap_interval) for name in names}


def _summary_entry(table, name: str, *, level: Metric, weights: str | np.ndarray | None, n_boot: int, seed: int,
                   confidence: float, minimums: Sequence[float], analytic: bool, population: float | None,
                   clusters: str | int | None, alpha_bootstrap: str, codes: str | int | None,
                   bootstrap_interval: str) -> dict:
    """The entry of :func:`agreement_summary` of the metric ``name`` (canonical) on ``table``."""
    pooled = codes is not None and name in DE_VRIES_METRICS
    if pooled:
        result = de_vries_kappa(table, name, codes=codes, weights=weights)
    else:
        result = compute_metric(name, table, level=level, weights=weights)
    entry = {"value": None, "reason": result.reason, **result.to_dict()}
    entry.pop("category_shares")
    if codes is not None and name in STACKED_METRICS:
        entry["coefficient"] += STACKED_LABEL
    if n_boot:
        if pooled:
            interval = bootstrap_pooled(table, name, codes=codes, clusters=clusters, weights=weights,
                                        n_boot=n_boot, seed=seed, confidence=confidence, minimums=minimums,
                                        interval=bootstrap_interval)
        else:
            interval = bootstrap_metric(table, name, level=level, weights=weights, n_boot=n_boot, seed=seed,
                                        confidence=confidence, minimums=minimums, clusters=clusters,
                                        alpha_method=alpha_bootstrap if clusters is None else "units",
                                        interval=bootstrap_interval)
        entry.update({key: value for key, value in interval.to_dict().items() if key != "estimate"})
        entry.update(seed=seed)
        entry["reason"] = result.reason or interval.reason
    if analytic:
        options = dict(weights=weights, confidence=confidence, population=population, clusters=clusters)
        standard_error = (analytic_pooled(table, name, codes=codes, **options) if pooled
                          else analytic_metric(table, name, level=level, **options))
        entry["analytic"] = {key: value for key, value in standard_error.to_dict().items() if key != "estimate"}
    if clusters is not None and (n_boot or analytic):
        entry["clusters"] = str(clusters)
    if codes is not None:
        entry["pooling"] = DE_VRIES_POOLING if pooled else "stacked"
    return entry


def prevalence(presence: pd.DataFrame) -> float:
    """Share of the ratings in a presence/absence table that are presences (NaN for an empty table)."""
    values = presence.to_numpy(dtype=float)
    rated = values[~np.isnan(values)]
    return float(rated.mean()) if rated.size else float("nan")


def agreement_by_code(presence: Mapping[str, pd.DataFrame], metrics: Sequence[str] | None = None,
                      pooled: bool = True, progress: Callable[[], Any] | None = None,
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
    pooled : bool
        Whether to add the row over all codes stacked (:data:`POOLED`): not for one-vs-rest tables of single-label
        ratings (:func:`~theme_assist.agree.units.label_presence`), whose codes exclude each other.
    progress : callable, optional
        Called with no argument as each code (and the pooled row) is done: a bootstrap of many codes takes minutes.
    **options
        Passed to :func:`agreement_summary` (``n_boot``, ``seed``…). Categories are fixed to absent/present.

    Returns
    -------
    dict
        Code (and :data:`POOLED`) → ``{"prevalence": float, "given": {coder: units}, "metrics": summary}``
        (``given``: how many units each coder, each column, gave the code, of every unit the coder rated, not only
        the ``n_units`` rated twice or more: the counts the chance agreement and ``prevalence`` are taken from,
        Gwet's treatment of missing ratings), each pooled entry with its
        ``pooling`` (``"De Vries et al. (2008)"`` or ``"stacked"``); the pooled intervals resample
        (and count) units, each with all its codes (``clusters``: ``"unit"``). Each code is bootstrapped with its
        own seed (:func:`~theme_assist.agree.bootstrap.derived_seed` of ``seed`` and the code; its entries'
        ``seed``), so codes rated on the same units do not draw the same units; the pooled row keeps ``seed``.
    """
    tables = dict(presence)
    if tables and pooled:
        tables[POOLED] = pd.concat(tables.values(), keys=list(tables), names=list(POOLED_LEVELS))
    seed = options.pop("seed", 0)
    by_code = {}
    for code, table in tables.items():
        by_code[code] = {"prevalence": prevalence(table), "given": given_counts(table),
                         "metrics": agreement_summary(table, metrics, categories=(0, 1), **options,
                                                      seed=seed if code == POOLED else derived_seed(seed, [code]),
                                                      clusters=POOLED_LEVELS[1] if code == POOLED else None,
                                                      codes=POOLED_LEVELS[0] if code == POOLED else None)}
        if progress is not None:
            progress()
    return by_code


def given_counts(presence: pd.DataFrame) -> dict[str, int]:
    """How many units (rows) each coder (column) of a presence/absence table gave the code, of every unit the coder
    rated: units no other coder rated too, as the coefficients' chance agreement (Gwet 2014) and :func:`prevalence`
    count them, so a count may exceed the units two coders rated (``n_units``)."""
    return {str(coder): int(np.nansum(presence[coder].to_numpy(dtype=float))) for coder in presence.columns}


def with_by_code(summary: dict[str, dict], by_code: Mapping[str, dict],
                 names: Mapping[str, str] | None = None) -> dict[str, dict]:
    """``summary`` with, in each entry that :func:`agreement_by_code` computed per code, ``"by_code"``: code → that
    code's entry of the metric, with the code's ``prevalence`` and ``given``. ``names``: summary key → the metric
    it holds per code, where they differ (a machine table's column)."""
    for key, entry in summary.items():
        name = (names or {}).get(key, key)
        if by_code and all(name in report["metrics"] for report in by_code.values()):
            entry["by_code"] = {code_name(code): {**report["metrics"][name], "prevalence": report["prevalence"],
                                                  "given": report["given"]} for code, report in by_code.items()}
    return summary


def code_name(code: Any) -> str:
    """A code as a key of ``by_code``: as written, a number as a whole number where it is one (numeric ratings
    are read as floats: the code 1 is ``"1"``, not ``"1.0"``)."""
    if isinstance(code, (float, np.floating)) and float(code).is_integer():
        return str(int(code))
    return str(code)


def per_code_summary(summary: dict[str, dict], ratings: pd.DataFrame, codes: Sequence,
                     metrics: Sequence[str] | None = None, names: Mapping[str, str] | None = None,
                     progress: Callable[[], Any] | None = None, **options: Any) -> dict[str, dict]:
    """``summary`` of single-label ``ratings`` with each code's presence/absence agreement, one code against the
    rest (:func:`~theme_assist.agree.units.label_presence`), computed by :func:`agreement_by_code` (no pooled row:
    single-label codes exclude each other) and put under each metric's ``"by_code"`` (:func:`with_by_code`).

    Parameters
    ----------
    summary : dict
        Metric (or column) → entry, of :func:`agreement_summary` on ``ratings``.
    ratings : DataFrame
        Units × coders, one label per cell, NaN where missing (a unit a coder did not rate is neither a presence
        nor an absence).
    codes : sequence
        The codes, each read as "this code or not" (a code nobody gave: absent everywhere).
    metrics : sequence of str, optional
        The metrics per code (canonical names); by default those of ``summary`` (through ``names``).
    names : mapping, optional
        Summary key → the metric it holds, where they differ.
    progress : callable, optional
        Called with no argument as each code is done (:func:`agreement_by_code`).
    **options
        As for :func:`agreement_by_code` (``n_boot``, ``seed``, ``analytic``…); weights and the level of
        measurement do not apply to two categories, and are left out.

    Returns
    -------
    dict
        ``summary`` itself (changed in place), each metric computed per code with its ``"by_code"``: code → that
        metric's entry for the code, with the code's ``prevalence`` and ``given`` (units each coder gave it).
    """
    from theme_assist.agree.units import label_presence

    names = names or {}
    metrics = list(dict.fromkeys(metrics or [names.get(key, key) for key in summary]))
    options = {key: value for key, value in options.items() if key not in ("weights", "level", "categories")}
    by_code = agreement_by_code(label_presence(ratings, codes), metrics, pooled=False, progress=progress,
                                **options)
    return with_by_code(summary, by_code, names)


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
                        metrics: Sequence[str] | None = None, progress: Callable[[], Any] | None = None,
                        **options: Any) -> dict[str, dict]:
    """A summary of multi-label coding: MASI-α on the code sets, and each metric on presence/absence.

    Parameters
    ----------
    ratings : DataFrame
        Units × coders of ``frozenset`` code sets (:func:`~theme_assist.agree.units.ratings_from_codings`).
    presence : mapping
        Code → units × coders 0/1 table (:func:`~theme_assist.agree.units.presence_tables`).
    metrics : sequence of str, optional
        Metrics on the presence/absence tables; by default all that apply; none (MASI-α alone) for an empty one.
    progress : callable, optional
        Called with no argument as each code, then the pooled row, is done (:func:`agreement_by_code`).
    **options
        ``n_boot``, ``seed``, ``confidence``, ``minimums``, ``weights``, ``analytic`` as for
        :func:`agreement_summary` (MASI-α has no analytic interval: its ``"analytic"`` entry says so).

    Returns
    -------
    dict
        ``"masi_alpha"`` → entry for Krippendorff's α with the MASI distance (Passonneau 2006); then each metric
        → its entry pooled over codes (``pooling``: κ and π as De Vries et al. 2008, the others on all codes'
        presence tables stacked; see :data:`DE_VRIES_METRICS`), with ``"by_code"``: code → its entry on that
        code's presence table (``value``, ``reason``, the intervals asked for) with the code's ``prevalence`` and
        ``given``, how many units each coder gave it (:func:`with_by_code`).
    """
    alpha_options = {key: value for key, value in options.items() if key != "weights"}
    summary = {"masi_alpha": agreement_summary(ratings, ["alpha"], level="masi", **alpha_options)["alpha"]}
    if metrics is not None and not len(metrics):
        return summary
    by_code = agreement_by_code(presence, metrics, progress=progress, **options)
    pooled = by_code.pop(POOLED, {"metrics": {}})
    for name, entry in pooled["metrics"].items():
        entry["prevalence"] = pooled["prevalence"]
        summary[name] = entry
    return with_by_code(summary, by_code)
