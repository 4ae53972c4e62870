"""Documents built from a sequence of utterances (table rows, subtitle cues).

The document text is the utterances joined with ``"\\n"``; each non-blank utterance becomes a turn spanning
exactly its text, so ``document.text[turn.start:turn.end] == utterance.text``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from theme_assist.documents import Document, Turn


@dataclass(frozen=True)
class Utterance:
    """What one speaker said, with its optional speaker, timestamp and segment id."""

    text: str
    speaker: str = ""
    timestamp: str = ""
    id: str = ""


def document_from_utterances(document_id: str, utterances: Iterable[Utterance], source: str = "") -> Document:
    """Join utterances into one document whose turns point at each utterance's text.

    Parameters
    ----------
    document_id
        The document's id.
    utterances
        The utterances in order; blank ones are left out (neither in the text nor as turns).
    source
        Where the document was read from.

    Returns
    -------
    Document
    """
    pieces: list[str] = []
    turns: list[Turn] = []
    offset = 0
    for utterance in utterances:
        if not utterance.text.strip():
            continue
        if pieces:
            offset += 1  # the joining newline
        turns.append(Turn(offset, offset + len(utterance.text), utterance.speaker, utterance.timestamp, utterance.id))
        pieces.append(utterance.text)
        offset += len(utterance.text)
    return Document(id=document_id, text="\n".join(pieces), turns=turns, source=source)
