"""The machine in place of a coder: how much agreement would change if the machine coded instead of each coder.

:func:`~theme_assist.agree.machine.agreement_report` puts the machine's agreement with each coder beside the
coders' agreement with each other, each row with its own bootstrap. Whether the machine could stand in for a coder
is a difference of those rows, and the interval of a difference must resample the same units on both of its sides
(a paired bootstrap): two rows' intervals, each drawn alone, say nothing of it.

For each coder *j* the difference is

    d_j = mean over the other coders k of c(machine, k)  −  mean over the other coders k of c(j, k),

c being the coefficient of the pair (Cohen's κ, AC1, α…, each pair on the units both sides rated, as in the
machine table): how much the other coders' agreement with their partner would change if the machine coded in place
of *j*. Below zero, the machine agrees less than the coder it stands in for. The last row pools every coder's terms
c(machine, k) − c(j, k): the mean of the d_j, which is the machine's mean agreement with the coders less the coders'
mean agreement with each other. A term counts only where both its coefficients are defined (on the data and in each
resample): where the machine shares no unit with k, k is left out of both sides of j's row.

With a ``margin`` δ, the machine is non-inferior to a coder (one-sided, at 97.5%) where the 95% interval's lower
limit is above −δ, and ``p_below`` gives the share of resamples below −δ.

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

@dataclasses.dataclass(frozen=True)
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
        As for :func:`~theme_assist.agree.machine.agreement_report`; each pair counts the categories its row of
        that report counts (the machine's pairs its codes too), so each side of a difference is a figure the report
        shows.
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
        coder (mean)"``), ``coder`` (the coder's name; None in the last row, the mean), ``metrics``: column →
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
    human_labels = as_rating_table(human, categories).categories
    coders = list(human.columns)
    columns = list(dict.fromkeys(metrics)) if metrics else ["percent", "cohen", "ac1", "alpha"]
    declared = categories is not None
    entries: dict[str, list[dict]] = {}
    for column in columns:
        metric = metric_name(column)

        def pair(first, second, pair_labels: tuple) -> _Pair:
            table = dataclasses.replace(as_rating_table(everyone[[first, second]], pair_labels), declared=declared)
            setup = unit_resampling(table, metric, level=level, weights=weights)
            return _Pair(setup.estimate, setup.reason, drawn.units.get_indexer(setup.table.units), setup.values)

        with_machine = {coder: pair(name, coder, labels.categories) for coder in coders}
        among = {frozenset(two): pair(*two, human_labels) for two in combinations(coders, 2)}
        entries[column] = _differences(coders, with_machine, among, drawn, n_boot=n_boot, seed=seed,
                                       confidence=confidence, interval=bootstrap_interval, margin=margin)
    names = [f"{name} in place of {coder}" for coder in coders] + [f"{name} in place of a coder (mean)"]
    return [{"comparison": comparison, "coder": str(coders[i]) if i < len(coders) else None,
             "metrics": {column: entries[column][i] for column in columns}} for i, comparison in enumerate(names)]


def _differences(coders: list, with_machine: dict, among: dict, drawn: RatingTable, *, n_boot: int, seed: int,
                 confidence: float, interval: str, margin: float | None) -> list[dict]:
    """One metric's entries: the difference for each coder, then the mean (``with_machine``: coder → the machine's
    pair with them; ``among``: each pair of coders, by the set of its two).

    A row is a mean of terms c(machine, k) − c(j, k), one per coder j it stands in for and other coder k; a term
    counts where both its coefficients are defined (on the data, and in each resample), so that both sides of a
    row are always read against the same coders."""
    pairs = [*with_machine.values(), *among.values()]
    machine_at = {coder: i for i, coder in enumerate(with_machine)}
    among_at = {two: len(with_machine) + i for i, two in enumerate(among)}
    terms = [[(machine_at[other], among_at[frozenset((coder, other))]) for other in coders if other != coder]
             for coder in coders]
    terms.append([term for row in terms for term in row])  # the mean: every coder's terms

    def sides(estimates: np.ndarray) -> np.ndarray:
        """Pairs' coefficients, shape (n_draws, n_pairs) → each row's two sides, the means of its terms defined,
        shape (rows, 2, n_draws); NaN where none is."""
        means = []
        for row in terms:
            machine_side, coders_side = (estimates[:, [term[k] for term in row]] for k in (0, 1))
            counted = np.isfinite(machine_side) & np.isfinite(coders_side)
            n = counted.sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                means.append([np.where(counted, side, 0.0).sum(axis=1) / n for side in (machine_side, coders_side)])
        return np.array(means)

    point = sides(np.array([[pair.estimate for pair in pairs]], dtype=float))[:, :, 0]
    differences = point[:, 0] - point[:, 1]
    defined = np.isfinite(differences)
    results = dict.fromkeys(range(len(terms)))
    if n_boot and defined.any():
        def values(unit_weights: np.ndarray) -> np.ndarray:
            means = sides(np.column_stack([pair.resampled(unit_weights) for pair in pairs]))
            return (means[:, 0] - means[:, 1]).T[:, defined]

        found = bootstrap_statistics(drawn, values, differences[defined], n_boot=n_boot, seed=seed,
                                     confidence=confidence, minimums=() if margin is None else (-margin,),
                                     interval=interval)
        results.update(zip(np.flatnonzero(defined).tolist(), found))
    entries = []
    for i, row in enumerate(terms):
        entry = {"value": float(differences[i]) if defined[i] else None, "machine": _plain(point[i, 0]),
                 "coders": _plain(point[i, 1]), "reason": None if defined[i] else _why_undefined(row, pairs)}
        if results[i] is not None:
            entry.update({key: value for key, value in results[i].to_dict().items() if key != "estimate"})
            entry["seed"] = seed
            if margin is not None:
                low = entry["ci"][0]
                entry.update(margin=margin, non_inferior=None if low is None else bool(low > -margin))
        entries.append(entry)
    return entries


def _why_undefined(terms: list[tuple[int, int]], pairs: list[_Pair]) -> str:
    """Why a row has no difference: no term of it has both its coefficients defined."""
    reasons = ", ".join(dict.fromkeys(pairs[k].reason or "undefined" for term in terms for k in term
                                      if np.isnan(pairs[k].estimate)))
    return f"no other coder with whom both the machine's agreement and the coder's are defined ({reasons})"


def _plain(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
