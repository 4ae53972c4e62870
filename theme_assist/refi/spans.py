"""Place the rows of a codings or suggestions table on exact character spans of their documents.

A row is placed by its own ``document``, ``start`` and ``end`` columns when the table has them; otherwise by
its ``segment_id`` looked up in a segments table (``segment_id``, ``document``, ``start``, ``end``; the
``segments`` table of :mod:`theme_assist.documents`). Every span is checked against its document, and a
non-empty ``text`` column must equal ``document.text[start:end]``: shifted offsets are refused, not exported.

One shift is repaired rather than refused: REFI-QDA offsets count a ``\r\n`` line end as two characters,
while theme_assist's transcript reader turns it into ``\n``. Segments made from an imported document with
``\r\n`` line ends therefore have offsets into the normalised text; a row whose ``text`` matches there (and not
in the original) is moved to the original offsets. The other way round, a row whose ``text`` differs from its span
only in line ends (``\r\n`` read back from a CSV cell as ``\n``) keeps its offsets.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from theme_assist.documents import Document
from theme_assist.errors import InputError

SPAN_COLUMNS = ["document", "start", "end"]
_MAX_OFFSET = 2**53
"""The largest character offset read (floats hold every whole number up to it): ``1e308`` overflowed to a
negative integer."""


@lru_cache(maxsize=8)
def newline_offsets(text: str) -> tuple[str, tuple[int, ...]]:
    """``text`` with ``\r\n`` and lone ``\r`` turned into ``\n``, and for every position of that normalised
    text (and its end) the position it came from in ``text``.

    Cached: placing a table's rows asks for the same few documents once per row."""
    normalised, origin, i = [], [], 0
    while i < len(text):
        origin.append(i)
        if text[i] == "\r":
            normalised.append("\n")
            i += 2 if text[i + 1:i + 2] == "\n" else 1
        else:
            normalised.append(text[i])
            i += 1
    origin.append(len(text))
    return "".join(normalised), tuple(origin)


def _line_ends_only(text: str, span_text: str) -> bool:
    """Whether ``text`` differs from ``span_text`` only in line ends: a table's reader (and many spreadsheet
    programs) turn a ``\r\n`` inside a quoted cell into ``\n``, so an imported ``codings.csv`` read back gives
    such text for a span across a line end, while its offsets still count the ``\r``."""
    return newline_offsets(text)[0] == newline_offsets(span_text)[0]


def _repaired_span(document: Document, start: int, end: int, text: str) -> tuple[int, int] | None:
    """The original span of a ``start:end`` counted in newline-normalised text, if ``text`` is found there."""
    if "\r" not in document.text:
        return None
    normalised, origin = newline_offsets(document.text)
    if end <= len(normalised) and normalised[start:end] == text.replace("\r\n", "\n").replace("\r", "\n"):
        return origin[start], origin[end]
    return None


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
    carried = SPAN_COLUMNS + (["text"] if "text" in segments.columns and "text" not in table.columns else [])
    lookup = segments.assign(segment_id=segments["segment_id"].astype(str)).drop_duplicates("segment_id")
    lookup = lookup.set_index("segment_id")[carried]
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
    if table.empty:
        return table.assign(**{column: pd.Series(dtype=object) for column in SPAN_COLUMNS if column not in table})
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
        huge = numbers.abs() > _MAX_OFFSET  # 1e308 became -9223372036854775808 as an integer
        if huge.any():
            index = huge[huge].index[0]
            said = ("is below 0 (characters are counted from 0)" if numbers[index] < 0
                    else "is far beyond the characters of any document")
            raise InputError(f"{label}, {_line(index)}: {column} {placed.at[index, column]!r} {said}")
        placed[column] = numbers.astype(int)
    placed["document"] = placed["document"].astype(str)
    texts = placed["text"] if "text" in placed else [None] * len(placed)
    # by column: iterrows builds a Series per row (most of the time at a few hundred thousand rows)
    for index, name, start, end, text in zip(placed.index, placed["document"], placed["start"], placed["end"],
                                             texts):
        document = documents.get(name)
        if document is None:
            raise InputError(f"{label}, {_line(index)}: document {name!r} is not among the documents")
        if start > end or start < 0:
            said = f"start {start} is after end {end}" if start > end else f"start {start} is below 0"
            raise InputError(f"{label}, {_line(index)}: {said} (characters are counted from 0, and a coding's "
                             "start comes before its end)")
        if end > len(document.text):
            raise InputError(f"{label}, {_line(index)}: characters {start}-{end} fall outside "
                             f"document {document.id!r} ({len(document.text)} characters)")
        if isinstance(text, str) and text and text != document.text[start:end]:
            if _line_ends_only(text, document.text[start:end]):
                continue
            repaired = _repaired_span(document, start, end, text)
            if repaired is None:
                raise InputError(f"{label}, {_line(index)}: its text does not match {document.id!r} at characters "
                                 f"{start}-{end} (shifted offsets?)")
            placed.loc[index, ["start", "end"]] = repaired
    return placed
