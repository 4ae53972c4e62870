"""Place the rows of a codings or suggestions table on exact character spans of their documents.

A row is placed by its own ``document``, ``start`` and ``end`` columns when the table has them; otherwise by
its ``segment_id`` looked up in a segments table (``segment_id``, ``document``, ``start``, ``end``; the
``segments`` table of :mod:`theme_assist.documents`). Every span is checked against its document, and a
non-empty ``text`` column must equal ``document.text[start:end]``: shifted offsets are refused, not exported.
"""

from __future__ import annotations

import pandas as pd

from theme_assist.documents import Document
from theme_assist.errors import InputError

SPAN_COLUMNS = ["document", "start", "end"]


def _line(index) -> str:
    """A row's line in its CSV file (header on line 1) for a default index, else its index label."""
    try:
        return f"row {int(index) + 2}"
    except (TypeError, ValueError):
        return f"row {index}"


def _from_segments(table: pd.DataFrame, segments: pd.DataFrame | None, label: str) -> pd.DataFrame:
    if "segment_id" not in table.columns:
        raise InputError(f"{label}: needs columns document, start, end (or segment_id plus a segments table)")
    if segments is None:
        raise InputError(f"{label} has no document/start/end columns: give the segments table "
                         "(segment_id, document, start, end) that its segment ids come from (--segments)")
    missing = [c for c in ["segment_id", *SPAN_COLUMNS] if c not in segments.columns]
    if missing:
        raise InputError(f"the segments table lacks column {missing[0]!r} (needs segment_id, document, start, end)")
    lookup = segments.assign(segment_id=segments["segment_id"].astype(str)).drop_duplicates("segment_id")
    lookup = lookup.set_index("segment_id")[SPAN_COLUMNS]
    ids = table["segment_id"].astype(str)
    unknown = ids[~ids.isin(lookup.index)]
    if len(unknown):
        raise InputError(f"{label}, {_line(unknown.index[0])}: segment_id {unknown.iloc[0]!r} is not in the "
                         f"segments table ({len(unknown)} such rows)")
    placed = table.drop(columns=[c for c in SPAN_COLUMNS if c in table.columns])
    return placed.join(lookup.loc[ids].set_index(table.index))


def with_spans(table: pd.DataFrame, documents: dict[str, Document], segments: pd.DataFrame | None = None,
               label: str = "codings") -> pd.DataFrame:
    """``table`` with integer ``document``, ``start``, ``end`` columns, every span checked.

    Parameters
    ----------
    table : DataFrame
        Codings or suggestions; rows are reported by CSV line (index + 2) in errors.
    documents : dict of str to Document
        The documents by id.
    segments : DataFrame, optional
        ``segment_id``, ``document``, ``start``, ``end``: used when ``table`` has no span columns.
    label : str
        Names the table in error messages.

    Raises
    ------
    InputError
        On an unknown segment or document, a span outside its document, or text that does not match.
    """
    if all(column in table.columns for column in SPAN_COLUMNS):
        placed = table.copy()
    else:
        placed = _from_segments(table, segments, label)
    for column in ("start", "end"):
        numbers = pd.to_numeric(placed[column], errors="coerce")
        bad = numbers.isna() | (numbers != numbers.round())
        if bad.any():
            index = bad[bad].index[0]
            raise InputError(f"{label}, {_line(index)}: {column} {placed.at[index, column]!r} is not a whole number")
        placed[column] = numbers.astype(int)
    placed["document"] = placed["document"].astype(str)
    for index, row in placed.iterrows():
        document = documents.get(row["document"])
        if document is None:
            raise InputError(f"{label}, {_line(index)}: document {row['document']!r} is not among the documents")
        if not 0 <= row["start"] <= row["end"] <= len(document.text):
            raise InputError(f"{label}, {_line(index)}: characters {row['start']}-{row['end']} fall outside "
                             f"document {document.id!r} ({len(document.text)} characters)")
        text = row.get("text")
        if isinstance(text, str) and text and text != document.text[row["start"]:row["end"]]:
            raise InputError(f"{label}, {_line(index)}: its text does not match {document.id!r} at characters "
                             f"{row['start']}-{row['end']} (shifted offsets?)")
    return placed
