"""The machine in place of a coder: how much agreement would change if the machine coded instead of each coder.

:func:`~theme_assist.agree.machine.agreement_report` puts the machine's agreement with each coder beside the
coders' agreement with each other, each row with its own bootstrap. Whether the machine could stand in for a coder
is a difference of those rows, and the interval of a difference must resample the same units on both of its sides
(a paired bootstrap): two rows' intervals, each drawn alone, say nothing of it.

For each coder *j* the difference is the mean, over the other coders *k*, of the terms

    c(machine, k) − c(j, k),

c being the coefficient of the pair (Cohen's κ, AC1, α…), both on the units the machine, j and k all rated: how much
k's agreement with their partner would change if the machine coded in place of *j*, the two sides on the same units
(where the machine abstains, or a coder left units uncoded, the pairs of the machine table are on other units: a
difference of them would mix the machine's choice of units with its agreement). Below zero, the machine agrees
less than the coder it stands in for. The last row pools every coder's terms: with every term defined, the mean of
the coders' differences, the machine's mean agreement with the coders less the coders' mean agreement with each
other. A term undefined on the data (a pair without variation, or no unit the three share) is left out of its row;
a resample leaving a term of the row undefined leaves the row undefined there (counted), so that every resample
reads the row against the same coders.

With a ``margin`` δ, the machine is non-inferior to a coder (one-sided, at the 2.5% level) where the 95% interval's
lower limit is above −δ, and ``p_below`` gives the share of resamples below −δ. No such verdict says the machine is
inferior: that needs the upper limit below −δ.

This is the leave-one-coder-out comparison of Calderon et al. (2025, "The alternative annotator test for
LLM-as-a-judge"), read as a difference of coefficients with an interval rather than as a winning rate.
"""

from __future__ import annotations

import dataclasses
from itertools import combinations
from typing import Sequence

import numpy as np
import pandas as pd

from theme_assist.agree.bootstrap import bootstrap_statistics, unit_resampling
from theme_assist.agree.coefficients import metric_name
from theme_assist.agree.distances import Metric
from theme_assist.agree.ratings import RatingTable, as_rating_table
from theme_assist.errors import InputError

FEW_UNITS = 10
"""A comparison on fewer units than this is flagged (the machine table's rows, a term of the machine in place of a
coder, a group of ``agree --by``)."""

@dataclasses.dataclass(frozen=True, eq=False)
class _Pair:
    """One pair's coefficient, set up to be recomputed on the units drawn: ``positions`` of its units among them."""

    estimate: float
    reason: str | None
    positions: np.ndarray
    values: object

    def resampled(self, unit_weights: np.ndarray) -> np.ndarray:
        if self.values is None:
            return np.full(len(unit_weights), np.nan)
        return self.values(unit_weights[:, self.positions])


def machine_in_place(human: pd.DataFrame, machine: pd.Series, *, metrics: Sequence[str] | None = None,
                     weights: str | np.ndarray | None = None, level: Metric = "nominal",
                     categories: Sequence | None = None, n_boot: int = 0, seed: int = 0, confidence: float = 0.95,
                     bootstrap_interval: str = "bca", margin: float | None = None) -> list[dict]:
    """The machine in place of each coder, and of any one: paired differences of agreement, with intervals.

    Parameters
    ----------
    human : DataFrame
        Units × human coders (two at least), one label per cell, NaN/None/blank where missing.
    machine : Series
        The machine's label per unit, aligned to ``human`` by index; its abstentions missing.
    metrics : sequence of str, optional
        The coefficients (names or aliases; an entry keeps the name given); by default percent agreement, Cohen's
        κ, AC1 and α, as the machine table.
    weights, level, categories
        As for :func:`~theme_assist.agree.machine.agreement_report`. Both sides of each term count the codes of the
        machine and of every coder (AC1 and Bennett's S depend on their number): a code only the machine gave
        would otherwise lower the chance agreement of its side alone. The coders' side may then differ from the
        report's coder-vs-coder rows, which count the coders' codes alone.
    n_boot : int
        Resamples of the units (drawn once, for every pair of every row); 0 gives the differences alone.
    seed : int
        Seed of the resamples.
    confidence : float
        Level of the intervals.
    bootstrap_interval : {"percentile", "bca"}
        The interval read off the resamples.
    margin : float, optional
        Non-inferiority margin δ > 0: each entry's ``p_below`` gives the share of resamples below −δ and
        ``non_inferior`` whether the interval's lower limit is above −δ.

    Returns
    -------
    list of dict
        One per coder, then the mean: ``comparison`` (``"machine in place of A"``, ``"machine in place of a
        coder (mean)"``), ``coder`` (the coder's name; None in the last row, the mean), ``terms`` (each term's
        ``coder`` stood in for, ``other`` coder and ``n_units``: the units the machine and both coders rated),
        ``few_units`` (the terms on fewer than :data:`FEW_UNITS` units, as ``"A–B"``), ``metrics``: column →
        ``value`` (the difference; None where undefined), ``machine`` and ``coders`` (its two sides: the means of
        its terms), ``reason`` (why it is undefined), and with ``n_boot`` the interval's keys of
        :meth:`~theme_assist.agree.results.BootstrapResult.to_dict` and ``seed``; with ``margin``, ``margin`` and
        ``non_inferior``.
    """
    if human.shape[1] < 2:
        raise InputError("the machine takes a coder's place only among two coders or more")
    if margin is not None and not margin > 0:
        raise InputError(f"the non-inferiority margin must be above 0; got {margin}")
    name = machine.name if machine.name is not None else "machine"
    everyone = pd.concat([human, machine.reindex(human.index).rename(name)], axis=1)
    labels = as_rating_table(everyone, categories)
    drawn = labels.take(np.flatnonzero(labels.ratings_per_unit > 0))  # the units someone rated, as elsewhere
    rated = pd.DataFrame(labels.observed, index=everyone.index, columns=everyone.columns)
    coders = list(human.columns)
    # each term c(machine, k) - c(j, k) on the units the machine, j and k all rated: both sides on the same units
    shared = {frozenset(two): rated[name] & rated[two[0]] & rated[two[1]] for two in combinations(coders, 2)}
    terms = [[(coder, other) for other in coders if other != coder] for coder in coders]
    terms.append([term for row in terms for term in row])  # the mean: every coder's terms
    columns = list(dict.fromkeys(metrics)) if metrics else ["percent", "cohen", "ac1", "alpha"]
    declared = categories is not None

    def table(first, second, units: pd.Series) -> RatingTable:
        """The pair's ratings on ``units``, counting every code the machine and the coders gave."""
        pair = as_rating_table(everyone.loc[units.to_numpy(), [first, second]], labels.categories)
        return dataclasses.replace(pair, declared=declared)

    tables = {}  # each pair of a term, by coders (the machine's: by the coder and the term's two coders)
    for two, units in shared.items():
        tables[two] = table(*sorted(two, key=coders.index), units)
        for other in two:
            tables[(name, other, two)] = table(name, other, units)
    entries: dict[str, list[dict]] = {}
    for column in columns:
        metric = metric_name(column)
        pairs = {}
        for key, ratings in tables.items():
            setup = unit_resampling(ratings, metric, level=level, weights=weights)
            pairs[key] = _Pair(setup.estimate, setup.reason, drawn.units.get_indexer(setup.table.units),
                               setup.values)
        sides = [[(pairs[(name, other, frozenset((coder, other)))], pairs[frozenset((coder, other))])
                  for coder, other in row] for row in terms]
        entries[column] = _differences(sides, drawn, n_boot=n_boot, seed=seed, confidence=confidence,
                                       interval=bootstrap_interval, margin=margin)
    names = [f"{name} in place of {coder}" for coder in coders] + [f"{name} in place of a coder (mean)"]
    rows = []
    for i, comparison in enumerate(names):
        counted = [{"coder": str(coder), "other": str(other), "n_units": int(shared[frozenset((coder, other))].sum())}
                   for coder, other in terms[i]]
        few = list(dict.fromkeys("–".join(sorted((term["coder"], term["other"]))) for term in counted
                                 if term["n_units"] < FEW_UNITS))
        rows.append({"comparison": comparison, "coder": str(coders[i]) if i < len(coders) else None,
                     "terms": counted, "few_units": few,
                     "metrics": {column: entries[column][i] for column in columns}})
    return rows


def _differences(sides: list[list[tuple[_Pair, _Pair]]], drawn: RatingTable, *, n_boot: int, seed: int,
                 confidence: float, interval: str, margin: float | None) -> list[dict]:
    """One metric's entries, a row's terms each a pair of coefficients (the machine's with the other coder, the coder
    stood in for with them) on the same units: the mean of the terms defined on the data, and its interval. A
    resample leaving one of those terms undefined leaves the row's difference undefined there (counted in
    ``n_undefined``), rather than changing the coders it is read against."""
    pairs = list(dict.fromkeys(pair for row in sides for term in row for pair in term))
    at = {id(pair): i for i, pair in enumerate(pairs)}
    index = [np.array([[at[id(machine)], at[id(coder)]] for machine, coder in row], dtype=int).reshape(-1, 2)
             for row in sides]
    estimates = np.array([[pair.estimate for pair in pairs]], dtype=float)
    kept = [np.isfinite(estimates[0, rows]).all(axis=1) for rows in index]  # the terms defined on the data
    kept_index = [rows[mask] for rows, mask in zip(index, kept)]

    def means(values: np.ndarray) -> np.ndarray:
        """Pairs' coefficients, shape (n_draws, n_pairs) → each row's two sides, shape (rows, 2, n_draws): the
        means of the terms defined on the data; NaN where one of them is not in a draw, or where the row has none."""
        found = []
        for rows in kept_index:
            if not len(rows):
                found.append(np.full((2, len(values)), np.nan))
                continue
            machine_side, coders_side = values[:, rows[:, 0]], values[:, rows[:, 1]]
            found.append([machine_side.mean(axis=1), coders_side.mean(axis=1)])  # NaN where a term is undefined
        return np.array(found, dtype=float)

    point = means(estimates)[:, :, 0]
    differences = point[:, 0] - point[:, 1]
    defined = np.isfinite(differences)
    results = dict.fromkeys(range(len(sides)))
    if n_boot and defined.any():
        def values(unit_weights: np.ndarray) -> np.ndarray:
            found = means(np.column_stack([pair.resampled(unit_weights) for pair in pairs]))
            return (found[:, 0] - found[:, 1]).T[:, defined]

        found = bootstrap_statistics(drawn, values, differences[defined], n_boot=n_boot, seed=seed,
                                     confidence=confidence, minimums=() if margin is None else (-margin,),
                                     interval=interval)
        results.update(zip(np.flatnonzero(defined).tolist(), found))
    entries = []
    for i, row in enumerate(sides):
        entry = {"value": float(differences[i]) if defined[i] else None, "machine": _plain(point[i, 0]),
                 "coders": _plain(point[i, 1]), "reason": None if defined[i] else _why_undefined(row)}
        if results[i] is not None:
            entry.update({key: value for key, value in results[i].to_dict().items() if key != "estimate"})
            entry["seed"] = seed
            if margin is not None:
                low = entry["ci"][0]
                entry.update(margin=margin, non_inferior=None if low is None else bool(low > -margin))
        entries.append(entry)
    return entries


def _why_undefined(terms: list[tuple[_Pair, _Pair]]) -> str:
    """Why a row has no difference: no term of it has both its coefficients defined."""
    reasons = ", ".join(dict.fromkeys(pair.reason or "undefined" for term in terms for pair in term
                                      if np.isnan(pair.estimate)))
    return f"no other coder with whom both the machine's agreement and the coder's are defined ({reasons or 'none'})"


def _plain(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
