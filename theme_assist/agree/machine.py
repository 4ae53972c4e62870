"""The machine as one more coder: machine vs each human, vs the human majority, and human vs human.

Whether machine pre-coding can be trusted is read off one table: if the machine agrees with each human about as
well as the humans agree with each other, it codes like a member of the team.

Each comparison draws its bootstrap resamples with its own seed
(:func:`~theme_assist.agree.bootstrap.derived_seed`), derived from the seed given and the names of its two columns:
comparisons on as many units would otherwise draw the same units, their intervals valid each alone but not
independent draws. The comparison on all the coders' columns (the coders'
summary) keeps the seed given, so it prints the summary's figures.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from itertools import combinations
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from theme_assist.agree.bootstrap import derived_seed
from theme_assist.agree.coefficients import metric_name
from theme_assist.agree.distances import Metric
from theme_assist.agree.ratings import as_rating_table, is_missing, missing_ratings
from theme_assist.agree.report import agreement_summary, per_code_summary
from theme_assist.errors import InputError

PAIR_METRICS = ("percent", "cohen", "ac1", "alpha")
"""Columns of :func:`agreement_report` by default: percent agreement, Cohen's κ, Gwet's AC1, Krippendorff's α."""
GROUP_METRIC_OF = {"cohen": "fleiss", "scott": "fleiss"}
"""What the ``all humans`` row puts in the two-coder metrics' columns: Fleiss' κ; every other metric is its own."""

MAJORITY = "human majority"


def human_majority(human: pd.DataFrame) -> pd.Series:
    """The label most human coders gave each unit.

    Missing where fewer than two coders rated the unit (one coder's label is not a majority of anything) or where
    the top labels tie.

    Parameters
    ----------
    human : DataFrame
        One row per unit, one column per human coder; ``None``/NaN/blank where missing.

    Returns
    -------
    Series
        The majority label of each unit (index that of ``human``), NaN where there is none.
    """
    values = human.to_numpy(dtype=object)
    labels = np.where(is_missing(values), None, values)
    majority = []
    for row in labels:  # a Counter per unit: a pandas value_counts per unit took 4 of 6 s at 30,000 units
        counts = Counter(v for v in row if v is not None)
        top = counts.most_common(2)
        tied = len(top) > 1 and top[0][1] == top[1][1]
        majority.append(np.nan if sum(counts.values()) < 2 or tied else top[0][0])
    return pd.Series(majority, index=human.index, name=MAJORITY, dtype=object)


def agreement_report(human: pd.DataFrame, machine: pd.Series | pd.DataFrame | None = None, *,
                     weights: str | np.ndarray | None = None, level: Metric = "nominal",
                     categories: Sequence | None = None, metrics: Sequence[str] | None = None,
                     per_code: bool = False, progress: Callable[[], Any] | None = None,
                     **intervals: Any) -> pd.DataFrame:
    """Agreement of the machine with each human and with the human majority, next to human-human agreement.

    Each row's coefficients and intervals are those :func:`~theme_assist.agree.report.agreement_summary` gives on
    the row's two columns (all human columns for ``all humans``) with the row's own seed: a machine row's interval
    is computed as a human pair's is, and the same seed gives the same figures.

    Parameters
    ----------
    human : DataFrame
        Units × human coders (index: units), one label per cell, NaN/None/blank where missing. Cells may be
        sets of labels (multi-label coding; use ``level="masi"``).
    machine : Series or DataFrame, optional
        The machine's label per unit (a Series, or one column per machine), aligned to ``human`` by index; units
        it did not label (abstentions) are missing. Without it only the human rows are reported.
    weights : {None, "linear", "quadratic"} or ndarray, optional
        Agreement weights for percent agreement, Cohen's κ and AC1.
    level : str, callable or ndarray
        Level of measurement or distance for α.
    categories : sequence, optional
        All possible categories, in order (for binary presence/absence data, ``(0, 1)``). By default the labels
        given: the machine's rows count the codes of the machine and of every coder, the coders' own rows only the
        coders' (a code only the machine gave would change their AC1 and Bennett's S).
    metrics : sequence of str, optional
        The columns: metric names (aliases allowed, the column keeps the name given); by default
        :data:`PAIR_METRICS`. In the ``all humans`` row, Cohen's κ and Scott's π columns hold Fleiss' κ.
    per_code : bool
        Also each code's presence/absence agreement in every row, the code read as "this code or not" (one code
        against the rest; :func:`~theme_assist.agree.report.per_code_summary`), under each column's entry's
        ``"by_code"``: code → the column's metric on that code, with its intervals, ``prevalence`` and ``given``
        (units each side gave it). Each code's bootstrap has its own seed, derived from the row's and the code.
    progress : callable, optional
        With ``per_code``, called with no argument as each row's code is done: a bootstrap of many codes in many
        rows takes minutes.
    **intervals
        ``n_boot``, ``seed``, ``confidence``, ``minimums``, ``analytic``, ``population``, ``bootstrap_interval``, as for
        :func:`~theme_assist.agree.report.agreement_summary`; by default no interval. Each row is bootstrapped
        with its own seed, :func:`~theme_assist.agree.bootstrap.derived_seed` of ``seed`` and its two columns'
        names (its entries' ``seed``), but the row on all human columns (``all humans``, or the one pair of two coders), which keeps ``seed``.

    Returns
    -------
    DataFrame
        One row per comparison: ``comparison`` (``"machine vs A"``, ``"machine vs human majority"``,
        ``"A vs B"``, ``"all humans"``), ``kind`` (``machine-human``, ``machine-majority``, ``human-human``,
        ``humans``), ``n_units`` (units both sides rated), ``missing_ratings`` (the ratings missing on the units
        either side rated, and the ratings those units have room for: ``(count, of)``), ``prevalence`` (share of
        ratings that are the
        second of two categories, for binary data; NaN otherwise), one column per metric (``percent``,
        ``cohen``, ``ac1``, ``alpha`` by default), ``note`` (why a value is undefined), and ``metrics``: column →
        the summary entry of that coefficient
        (its ``coefficient`` name, ``value``, ``reason``, and ``ci``, ``analytic``… when intervals were asked for).
        The ``all humans`` row has Fleiss' κ in the ``cohen`` column.
    """
    if human.shape[1] < 1:
        raise InputError("the human ratings table has no coder columns")
    machines = _machine_frame(machine, human.index)
    overlap = set(machines.columns) & set(human.columns)
    if overlap:
        raise InputError(f"a machine column has a human coder's name: {sorted(map(str, overlap))[0]!r}")
    everyone = pd.concat([human, machines], axis=1)
    labels = as_rating_table(everyone, categories).categories
    # the coders' own rows count the coders' categories, as their summary does: not codes only the machine gave
    human_labels = as_rating_table(human, categories).categories
    # labels read off the data have no order: the rows may not weight or rank them (as the coders' summary may not)
    seed = intervals.pop("seed", 0)
    columns = list(dict.fromkeys(metrics)) if metrics else list(PAIR_METRICS)
    pair_metrics = dict(zip(columns, map(metric_name, columns)))
    group_metrics = {column: GROUP_METRIC_OF.get(name, name) for column, name in pair_metrics.items()}
    options = dict(weights=weights, level=level, declared=categories is not None, per_code=per_code,
                   progress=progress, **intervals)
    rows = []
    for name in machines.columns:
        for coder in human.columns:
            rows.append(_row(f"{name} vs {coder}", "machine-human", everyone[[name, coder]], labels, pair_metrics,
                             derived_seed(seed, [name, coder]), **options))
        if human.shape[1] > 1:
            pair = pd.concat([machines[name], human_majority(human)], axis=1)
            rows.append(_row(f"{name} vs {MAJORITY}", "machine-majority", pair, labels, pair_metrics,
                             derived_seed(seed, [name, MAJORITY]), **options))
    for first, second in combinations(human.columns, 2):
        own = seed if human.shape[1] == 2 else derived_seed(seed, [first, second])  # two coders: the summary's
        rows.append(_row(f"{first} vs {second}", "human-human", human[[first, second]], human_labels,
                         pair_metrics, own, **options))
    if human.shape[1] > 2:
        rows.append(_row("all humans", "humans", human, human_labels, group_metrics, seed, **options))
    return pd.DataFrame(rows)


def _machine_frame(machine: pd.Series | pd.DataFrame | None, index: pd.Index) -> pd.DataFrame:
    if machine is None:
        return pd.DataFrame(index=index)
    frame = machine.to_frame(name=machine.name if machine.name is not None else "machine") \
        if isinstance(machine, pd.Series) else machine
    if not frame.index.isin(index).any() and len(frame):
        raise InputError("the machine labels share no unit with the human ratings (align them by index)")
    return frame.reindex(index)


def _row(comparison: str, kind: str, ratings: pd.DataFrame, labels: tuple, metrics: dict[str, str],
         seed: int, declared: bool = False, per_code: bool = False, progress: Callable[[], Any] | None = None,
         **options: Any) -> dict:
    """One comparison: ``metrics`` (column → metric) summarised on ``ratings``, each under its column.
    ``labels`` are the categories counted; ``declared`` whether the caller gave them, and with them an order;
    ``seed`` the row's own bootstrap seed; ``per_code``: each label's presence/absence agreement too (``progress``
    called as each is done)."""
    table = dataclasses.replace(as_rating_table(ratings, labels), declared=declared)
    computed = agreement_summary(table, list(metrics.values()), seed=seed, **options)
    summary = {column: computed[name] for column, name in metrics.items()}
    if per_code:
        per_code_summary(summary, ratings, labels, names=metrics, seed=seed, progress=progress, **options)
    both = int((table.ratings_per_unit >= 2).sum())
    row = {"comparison": comparison, "kind": kind, "n_units": both, "prevalence": _prevalence(table),
           "missing_ratings": missing_ratings(ratings)}
    row.update({name: np.nan if entry["value"] is None else entry["value"] for name, entry in summary.items()})
    row["note"] = "; ".join(f"{name}: {entry['reason']}" for name, entry in summary.items() if entry["reason"])
    row["metrics"] = summary
    return row


def _prevalence(table) -> float:
    """For two categories (presence/absence), the share of ratings in the second; NaN otherwise."""
    if table.n_categories != 2:
        return float("nan")
    counts = table.counts.sum(axis=0)
    return float(counts[1] / counts.sum()) if counts.sum() else float("nan")
