"""Units of agreement built from codings: shared segments, per-code presence/absence, overlapping spans.

Coders code spans of text, not a shared table of units. Three ways to get one:

* :func:`ratings_from_codings` — the units are shared segments (``segment_id``): one rating per coder and
  segment, or a set of codes per coder and segment when coding is multi-label (for MASI-α).
* :func:`presence_tables` — per code, every unit (segment or paragraph) is rated present (1) or absent (0) by
  every coder; :func:`codings_on_units` first maps span codings onto those units.
* :func:`segment_agreement` — MAXQDA-style: each coded span of one coder agrees when the other coder put the same
  code on a span overlapping it by at least a chosen share (intersection over union of the two spans).

Tables (pandas DataFrames) and their columns:

codings
    ``segment_id`` (or the ``unit`` column named by the caller), ``coder``, ``code``; one row per code a coder
    put on a unit; a blank ``code`` records that the coder saw the unit and gave it no code.
spans
    ``document``, ``start``, ``end`` (character offsets, ``end`` exclusive), ``code``, ``coder``.
units
    ``segment_id`` (or ``unit``), ``document``, ``start``, ``end``: the segments or paragraphs to rate.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from theme_assist.errors import InputError

SPAN_COLUMNS = ("document", "start", "end", "code", "coder")


def ratings_from_codings(codings: pd.DataFrame, *, unit: str = "segment_id", coder: str = "coder",
                         code: str = "code", units: Sequence | None = None,
                         multi_label: bool | None = None) -> pd.DataFrame:
    """A units × coders ratings table from segment-level codings.

    Parameters
    ----------
    codings : DataFrame
        Columns ``unit``, ``coder``, ``code`` (see the module docstring).
    unit, coder, code : str
        Column names.
    units : sequence, optional
        All units, in order (units nobody coded are kept as rows); by default those in ``codings``.
    multi_label : bool, optional
        Whether cells are sets of codes. By default, when some coder put more than one code on some unit.

    Returns
    -------
    DataFrame
        Index: units; columns: coders (sorted). Single-label: the code, NaN where the coder gave none.
        Multi-label: a ``frozenset`` of codes, empty where the coder gave none (every coder is taken to have coded
        every unit).
    """
    frame = _columns(codings, (unit, coder, code), "codings")
    frame = frame.assign(**{code: frame[code].fillna("").astype(str).str.strip()})
    given = frame[frame[code] != ""]
    if multi_label is None:
        multi_label = bool(given.duplicated([unit, coder]).any())
    index = pd.Index(units if units is not None else pd.unique(frame[unit]), name=unit)
    coders = sorted(pd.unique(frame[coder]))
    if not multi_label:
        conflicting = given.drop_duplicates([unit, coder, code]).duplicated([unit, coder])
        if conflicting.any():
            row = given[conflicting].iloc[0]
            raise InputError(f"coder {row[coder]!r} gave unit {row[unit]!r} more than one code; "
                             "use multi_label=True for multi-label coding")
        table = given.drop_duplicates([unit, coder]).pivot(index=unit, columns=coder, values=code)
        return table.reindex(index=index, columns=coders)
    sets = given.groupby([unit, coder])[code].agg(frozenset).unstack(coder)
    sets = sets.reindex(index=index, columns=coders)
    return sets.apply(lambda column: column.map(lambda v: v if isinstance(v, frozenset) else frozenset()))


def presence_tables(codings: pd.DataFrame, *, unit: str = "segment_id", coder: str = "coder",
                    code: str = "code", units: Sequence | None = None,
                    codes: Sequence[str] | None = None) -> dict[str, pd.DataFrame]:
    """Per code, a units × coders table of presence (1) or absence (0).

    Every coder is taken to have coded every unit, so a unit a coder did not give the code is an absence.

    Parameters
    ----------
    codings : DataFrame
        Columns ``unit``, ``coder``, ``code``.
    unit, coder, code : str
        The names of those columns.
    units : sequence, optional
        All units, in order; by default those in ``codings``.
    codes : sequence of str, optional
        The codes to tabulate (a code nobody used gives an all-absent table); by default those used, sorted.

    Returns
    -------
    dict
        Code → DataFrame of 0/1 (index: units, columns: coders).
    """
    frame = _columns(codings, (unit, coder, code), "codings")
    frame = frame.assign(**{code: frame[code].fillna("").astype(str).str.strip()})
    unit_index = pd.Index(units if units is not None else pd.unique(frame[unit]), name=unit)
    coder_index = pd.Index(sorted(pd.unique(frame[coder])), name=coder)
    given = frame[frame[code] != ""]
    code_index = pd.Index(codes if codes is not None else sorted(pd.unique(given[code])))
    present = np.zeros((len(code_index), len(unit_index), len(coder_index)), dtype=np.int8)
    positions = (code_index.get_indexer(given[code]), unit_index.get_indexer(given[unit]),
                 coder_index.get_indexer(given[coder]))
    kept = np.logical_and.reduce([p >= 0 for p in positions])
    present[tuple(p[kept] for p in positions)] = 1
    return {name: pd.DataFrame(present[i], index=unit_index, columns=coder_index)
            for i, name in enumerate(code_index)}


def label_presence(ratings: pd.DataFrame, codes: Sequence) -> dict:
    """Per code, single-label ``ratings`` read as "this code or not" (one code against the rest): a units × coders
    table of 1 where a coder gave the unit that code, 0 where they gave another, NaN where they gave none (a
    missing rating).

    Parameters
    ----------
    ratings : DataFrame
        Units × coders, one label per cell, NaN or None where missing.
    codes : sequence
        The codes to tabulate, in order (a code nobody gave: a table without a presence).

    Returns
    -------
    dict
        Code → DataFrame of 0/1/NaN (index and columns those of ``ratings``).
    """
    rated = ratings.notna()
    return {code: ratings.eq(code).astype(float).where(rated) for code in codes}


def codings_on_units(spans: pd.DataFrame, units: pd.DataFrame, *, unit: str = "segment_id",
                     min_coverage: float = 0.0) -> pd.DataFrame:
    """Map span codings onto units (segments or paragraphs) of the same documents.

    Parameters
    ----------
    spans : DataFrame
        Columns ``document``, ``start``, ``end``, ``code``, ``coder``.
    units : DataFrame
        Columns ``unit``, ``document``, ``start``, ``end``.
    unit : str
        Name of the units' id column.
    min_coverage : float
        Share of a unit's characters a coder's spans of a code must cover, together, for the unit to count as
        coded with it; 0 means any overlap of at least one character.

    Returns
    -------
    DataFrame
        Columns ``unit``, ``coder``, ``code``: one row per code a coder put on a unit (the input of
        :func:`presence_tables` and :func:`ratings_from_codings`).
    """
    pairs = spans_meeting_units(spans, units, unit=unit)
    key = [unit, "coder", "code"]
    if min_coverage > 0 and len(pairs):
        # coverage of the union of the coder's spans of the code: coding sentence by sentence covers a unit too
        pairs = pairs.sort_values([*key, "low"], kind="stable")
        groups = [pairs[column] for column in key]
        reached = pairs.groupby(groups)["high"].cummax().groupby(groups).shift().fillna(-np.inf)
        added = (pairs["high"] - np.maximum(pairs["low"], reached)).clip(lower=0)
        covered = added.groupby(groups).sum()
        length = pairs.groupby(groups)["end_unit"].first() - pairs.groupby(groups)["start_unit"].first()
        enough = covered / length.clip(lower=1) >= min_coverage
        pairs = pairs.set_index(key).loc[enough[enough].index].reset_index()
    return pairs[key].drop_duplicates().reset_index(drop=True)


def spans_meeting_units(spans: pd.DataFrame, units: pd.DataFrame, *, unit: str = "segment_id") -> pd.DataFrame:
    """Every (span, unit) pair of one document that shares at least one character.

    Returns
    -------
    DataFrame
        The span's columns, ``span`` (its index label in ``spans``), the unit's ``unit``, ``start_unit`` and
        ``end_unit``, and ``low`` / ``high``: the characters they share.
    """
    spans = _spans(spans)
    units = _columns(units, (unit, "document", "start", "end"), "units")
    pairs = spans.reset_index(names="span").merge(units[[unit, "document", "start", "end"]], on="document",
                                                  suffixes=("", "_unit"))
    pairs = pairs.assign(low=np.maximum(pairs["start"], pairs["start_unit"]),
                         high=np.minimum(pairs["end"], pairs["end_unit"]))
    return pairs[pairs["high"] > pairs["low"]]


def span_overlaps(spans: pd.DataFrame, coder_a: str, coder_b: str) -> pd.DataFrame:
    """For each span coding of two coders, its best overlap with a same-code span of the other coder.

    The overlap of two spans is the characters they share over the characters either covers (intersection
    over union), 0 when they do not touch.

    Parameters
    ----------
    spans : DataFrame
        Span codings: ``document``, ``start``, ``end``, ``code``, ``coder``.
    coder_a, coder_b : str
        The two coders compared.

    Returns
    -------
    DataFrame
        The codings of both coders (``document``, ``start``, ``end``, ``code``, ``coder``) with ``overlap`` in
        [0, 1].
    """
    spans = _spans(spans)
    spans = spans[spans["coder"].isin([coder_a, coder_b])].reset_index(drop=True)
    for name in (coder_a, coder_b):
        if not (spans["coder"] == name).any():
            raise InputError(f"coder {name!r} has no codings")
    spans["row"] = np.arange(len(spans))
    pairs = spans.merge(spans, on=["document", "code"], suffixes=("", "_other"))
    pairs = pairs[pairs["coder"] != pairs["coder_other"]]
    shared = (np.minimum(pairs["end"], pairs["end_other"]) - np.maximum(pairs["start"], pairs["start_other"]))
    union = np.maximum(pairs["end"], pairs["end_other"]) - np.minimum(pairs["start"], pairs["start_other"])
    pairs = pairs.assign(overlap=np.where(shared > 0, shared / union.clip(lower=1), 0.0))
    best = pairs.groupby("row")["overlap"].max()
    return spans.assign(overlap=best.reindex(spans["row"]).fillna(0.0).to_numpy()).drop(columns="row")


def segment_agreement(spans: pd.DataFrame, coder_a: str, coder_b: str, *, min_overlap: float = 0.9,
                      codes: Iterable[str] | None = None) -> pd.DataFrame:
    """MAXQDA-style segment agreement between two coders, per code and overall.

    Each coded span of either coder is one unit: it agrees when the other coder coded the same code on a span
    overlapping it by at least ``min_overlap`` (see :func:`span_overlaps`), and disagrees otherwise.
    Chance agreement is 1 / number of codes (Brennan & Prediger 1981), as MAXQDA does.

    Parameters
    ----------
    spans : DataFrame
        Columns ``document``, ``start``, ``end``, ``code``, ``coder``.
    coder_a, coder_b : str
        The two coders compared.
    min_overlap : float
        Smallest intersection-over-union for two spans to match, in (0, 1].
    codes : iterable of str, optional
        The codes of the codebook (for the chance term); by default the codes either coder used.

    Returns
    -------
    DataFrame
        One row per code and an ``(all codes)`` row: ``agreements``, ``disagreements``, ``total``,
        ``percent`` (agreements / total); the overall row also has ``kappa_bp`` (NaN on code rows).
    """
    if not 0 < min_overlap <= 1:
        raise InputError(f"the minimum overlap must lie in (0, 1]; got {min_overlap}")
    overlaps = span_overlaps(spans, coder_a, coder_b)
    matched = overlaps["overlap"] >= min_overlap
    per_code = (overlaps.assign(agreements=matched.astype(int), disagreements=(~matched).astype(int))
                .groupby("code")[["agreements", "disagreements"]].sum())
    if codes is not None:
        per_code = per_code.reindex(sorted(set(codes) | set(per_code.index)), fill_value=0)
    overall = per_code.sum().to_frame("(all codes)").T
    result = pd.concat([per_code, overall])
    result["total"] = result["agreements"] + result["disagreements"]
    result["percent"] = result["agreements"] / result["total"].where(result["total"] > 0)
    chance = 1.0 / len(per_code) if len(per_code) > 1 else np.nan
    result["kappa_bp"] = np.nan
    result.loc["(all codes)", "kappa_bp"] = (result.loc["(all codes)", "percent"] - chance) / (1 - chance)
    result.index.name = "code"
    return result


def _spans(spans: pd.DataFrame) -> pd.DataFrame:
    frame = _columns(spans, SPAN_COLUMNS, "span codings").copy()
    for column in ("start", "end"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    bad = frame["start"].isna() | frame["end"].isna() | (frame["end"] < frame["start"])
    if bad.any():
        row = frame[bad].iloc[0]
        raise InputError(f"span coding {row['code']!r} of {row['coder']!r} in {row['document']!r} has invalid "
                         f"offsets start={row['start']!r} end={row['end']!r}")
    return frame


def _columns(frame: pd.DataFrame, required: Sequence[str], what: str) -> pd.DataFrame:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"{what} need the column {missing[0]!r} (columns: {', '.join(map(str, frame.columns))})")
    return frame
