"""Speaker labels for the plain text of a ``.qdpx`` source whose text does not carry its speakers.

Transcripts read from subtitles (``.vtt``, ``.srt``) and from tables of one utterance per row keep each turn's
speaker beside the text (:mod:`theme_assist.ingest.utterances`): the document text is the utterances alone. A
``.qdpx`` has no place for a speaker but the text, so such a source is written with a ``Name: `` label at the start
of each turn's line (the layout :func:`~theme_assist.ingest.speakers.parse_turns` reads back into the same turns),
and every span of the codings and suggestions moves with the labels inserted before it. Documents whose text carries
its speakers already (``.txt``, ``.docx``: every turn with a speaker is found there with that speaker) are written
as they are, but for a ``# `` before each Word heading paragraph after the first turn (a turn without speaker that
the plain text does not mark, as a Markdown heading marks it); the sources of an imported project are written as
they are (its kept selections count in the source's own text).
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import replace

import numpy as np
import pandas as pd

from theme_assist.documents import Document, Turn
from theme_assist.ingest.speakers import parse_turns, skip_space

logger = logging.getLogger(__name__)

_SHOWN = 3
_QUOTED = 30
"""Characters of the turn that does not read back a warning quotes."""


def segment_turns(segments: pd.DataFrame | None) -> dict[str, list[tuple[int, str]]]:
    """``(start, speaker)`` of each turn's first segment (of each segment, where the table has no ``turn``
    column), by document, in text order: the turns of a project's stored documents, which have none of their own."""
    if segments is None or segments.empty or not {"document", "start", "speaker"} <= set(segments.columns):
        return {}
    rows = segments.assign(document=segments["document"].astype(str),
                           start=pd.to_numeric(segments["start"], errors="coerce")).dropna(subset=["start"])
    rows = rows.sort_values(["document", "start"], kind="stable")
    if "turn" in rows.columns:
        rows = rows.drop_duplicates(["document", "turn"])
    starts, speakers = rows["start"].astype(int).tolist(), rows["speaker"].fillna("").astype(str).tolist()
    return {name: [(starts[i], speakers[i]) for i in positions]
            for name, positions in rows.groupby("document", sort=False).indices.items()}


def _line_start(text: str, start: int) -> int | None:
    """The start of the line ``start`` is on, if only spaces come before it there (else ``None``)."""
    line_start = text.rfind("\n", 0, start) + 1
    return line_start if not text[line_start:start].strip() else None


def _turn_at(turns: list[Turn], starts: list[int], position: int) -> Turn | None:
    """The turn of ``turns`` (whose ``starts`` these are) that holds ``position``."""
    index = bisect.bisect_right(starts, position) - 1
    return turns[index] if index >= 0 and position < max(turns[index].end, turns[index].start + 1) else None


def label_insertions(document: Document, turns: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Where to insert which label (``(position, "Name: ")``, by position) so that the text carries the speakers
    of ``turns``; where it carries them already (each turn with a speaker that starts a line lies in a turn of that
    speaker as the text reads, or no such turn starts a line), where to insert ``"# "`` so that it carries the
    turns without speaker of its unmarked headings; often none."""
    text = document.text
    candidates = [(line_start, start, speaker) for start, speaker in turns
                  if speaker and (line_start := _line_start(text, start)) is not None]
    first = next((index for index, (_, speaker) in enumerate(turns) if speaker), len(turns))
    unmarked = [(line_start, start) for start, speaker in turns[first + 1:]
                if not speaker and (line_start := _line_start(text, start)) is not None]
    if not candidates and not unmarked:
        return []  # every speaker follows a label on its line, and no turn without speaker follows one
    parsed = parse_turns(text)
    starts = [turn.start for turn in parsed]
    insertions: dict[int, str] = {}
    for line_start, start, speaker in candidates:
        found = _turn_at(parsed, starts, skip_space(text, start))
        if found is None or found.speaker != speaker:
            insertions.setdefault(line_start, f"{speaker}: ")
    if insertions:
        return sorted(insertions.items())
    # the text carries its speakers: a turn without speaker after the first speaker's that starts a line but no
    # turn as the text reads is a Word heading paragraph, which the plain text does not mark; written as a Markdown
    # heading, it starts that turn again. (In a text labelled here, subtitles or a table of utterances, such a turn
    # is an unknown speaker's words, no heading, and is warned of.)
    for line_start, start in unmarked:
        position = skip_space(text, start)
        found = _turn_at(parsed, starts, position) if position < len(text) else None
        if position < len(text) and (found is None or found.speaker or found.start != position):
            insertions.setdefault(line_start, "# ")
    return sorted(insertions.items())


def _shifted(positions: np.ndarray, points: list[int], side: str) -> np.ndarray:
    """``positions`` moved by the lengths inserted before them (``side="right"``: at a position too)."""
    lengths = np.cumsum([0] + [len(label) for _, label in points])
    return positions + lengths[np.searchsorted([p for p, _ in points], positions, side=side)]


def labelled_text(text: str, insertions: list[tuple[int, str]]) -> str:
    """``text`` with each label inserted at its position."""
    pieces, previous = [], 0
    for position, label in insertions:
        pieces += [text[previous:position], label]
        previous = position
    return "".join(pieces) + text[previous:]


def _shift_table(table: pd.DataFrame | None, insertions: dict[str, list[tuple[int, str]]]) -> pd.DataFrame | None:
    """``table`` with the spans of the rows of each document in ``insertions`` moved past the labels inserted
    before them: a span starting where a label goes starts after it, one ending there ends before it."""
    if table is None or table.empty or not insertions:
        return table
    rows_of = table.groupby(table["document"].astype(str), sort=False).indices  # once: not documents × rows
    table = table.copy()
    for document_id, points in insertions.items():
        rows = rows_of.get(document_id)
        if rows is None:
            continue
        starts = _shifted(table["start"].to_numpy(dtype=np.int64)[rows], points, "right")
        ends = np.maximum(_shifted(table["end"].to_numpy(dtype=np.int64)[rows], points, "left"), starts)
        table.iloc[rows, table.columns.get_loc("start")] = starts
        table.iloc[rows, table.columns.get_loc("end")] = ends
    return table


def _unread_turn(text: str, turns: list[tuple[int, str]]) -> tuple[int, str] | None:
    """The first of ``turns`` (their starts in ``text``, labelled) that ``text`` does not read back into: one that
    lies in no turn of its speaker, or starts a line but no turn; ``None`` where each reads back."""
    parsed = parse_turns(text)
    starts = [turn.start for turn in parsed]
    for start, speaker in turns:
        position = skip_space(text, start)
        if position >= len(text):
            continue
        found = _turn_at(parsed, starts, position)
        if found is None or found.speaker != speaker or (
                _line_start(text, start) is not None and found.start != position):
            return start, speaker
    return None


def with_speaker_labels(documents: list[Document], segments: pd.DataFrame | None, codings: pd.DataFrame | None,
                        suggestions: pd.DataFrame | None, kept: set[str] = frozenset()
                        ) -> tuple[list[Document], pd.DataFrame | None, pd.DataFrame | None]:
    """The documents to write in a ``.qdpx``, those whose text does not carry their speakers labelled (module
    docstring), and the codings and suggestions (placed: integer ``start`` / ``end``) with their spans moved to
    match. ``kept``: ids of documents written as they are (an imported project's sources). A warning names the
    documents whose labelled text does not read back into the same turns, each with the first turn that does not
    (a turn without speaker after another speaker's turn, a name that is no speaker label: over 40 characters, a
    sentence…)."""
    turns_of = segment_turns(segments) if any(not document.turns for document in documents) else {}
    out, unread, moved_by_document = [], [], {}
    for document in documents:
        turns = [(turn.start, turn.speaker) for turn in document.turns] or turns_of.get(document.id, [])
        turns = [] if document.id in kept else turns
        insertions = label_insertions(document, turns) if turns else []
        if not insertions:
            out.append(document)
            continue
        text = labelled_text(document.text, insertions)
        moved = list(zip(_shifted(np.array([start for start, _ in turns], dtype=np.int64), insertions,
                                  "right").tolist(), (speaker for _, speaker in turns)))
        if (turn := _unread_turn(text, moved)) is not None:
            said = text[skip_space(text, turn[0]):].split("\n", 1)[0]
            said = said if len(said) <= _QUOTED else said[:_QUOTED].rstrip() + "…"
            unread.append(f"{document.id}: {f'speaker {turn[1]!r}' if turn[1] else 'a turn without speaker'}, "
                          f"{said!r}")
        starts = _shifted(np.array([turn.start for turn in document.turns], dtype=np.int64), insertions, "right")
        ends = _shifted(np.array([turn.end for turn in document.turns], dtype=np.int64), insertions, "left")
        new_turns = [replace(turn, start=start, end=max(start, end))
                     for turn, start, end in zip(document.turns, starts.tolist(), ends.tolist())]
        out.append(replace(document, text=text, turns=new_turns))
        moved_by_document[document.id] = insertions
    if unread:
        shown = "; ".join(unread[:_SHOWN]) + ("; …" if len(unread) > _SHOWN else "")
        logger.warning("%d document(s) are written with speaker labels (`Name: text`) that do not read back into "
                       "the same turns, first where (%s): a turn without speaker follows another speaker's turn, or "
                       "a speaker's name is no label (a number, holding ':', ending in a bracketed note, over 40 "
                       "characters or 6 words, a sentence, in lower case and said once)", len(unread), shown)
    return out, _shift_table(codings, moved_by_document), _shift_table(suggestions, moved_by_document)
