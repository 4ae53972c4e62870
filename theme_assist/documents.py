"""The data every step passes on: documents with speaker turns, and the tables built from them.

A :class:`Document` holds the full text of one transcript and its speaker turns as character spans into that
text, so every later span (segments, codings, REFI-QDA selections) points into the same string.

Tables (pandas DataFrames) and their columns:

``segments`` (from :mod:`theme_assist.segment`)
    ``segment_id`` (str, unique), ``document`` (str), ``speaker`` (str or ""), ``start``, ``end`` (int,
    ``document.text[start:end] == text``), ``text`` (str), ``turn`` (int, index of the speaker turn in its
    document), ``position`` (int, order of the segment in its document).
``codings``
    ``segment_id``, ``code`` (one row per code on a segment), optional ``coder``.
``suggestions`` (from :mod:`theme_assist.suggest`)
    ``segment_id``, ``code`` ("" where the engine abstains), ``score`` (float in [0, 1]), ``rank`` (1 = best),
    ``evidence`` (list of ``{"segment_id", "text", "similarity"}``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Turn:
    """One speaker turn: ``text[start:end]`` of its document is what was said (no speaker label, no timestamp).

    ``id`` is the turn's own segment id where the source provides one (a ``segment_id`` column of a CSV/XLSX
    transcript); segmenting by turn then keeps it as the segment id. Empty otherwise.
    """

    start: int
    end: int
    speaker: str = ""
    timestamp: str = ""
    id: str = ""


@dataclass
class Document:
    """One transcript: its id (the file name without extension, or the CSV's document value), full text,
    speaker turns, and metadata (site, country, income group… from a metadata CSV)."""

    id: str
    text: str
    turns: list[Turn] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def turn_text(self, turn: Turn) -> str:
        return self.text[turn.start:turn.end]


SEGMENT_COLUMNS = ["segment_id", "document", "speaker", "start", "end", "text", "turn", "position"]
