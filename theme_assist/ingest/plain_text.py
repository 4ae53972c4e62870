"""Plain-text transcripts (``.txt``): speaker turns found by :func:`~theme_assist.ingest.speakers.parse_turns`."""

from __future__ import annotations

from pathlib import Path

from theme_assist.documents import Document
from theme_assist.ingest.decoding import read_text
from theme_assist.ingest.registry import NotATranscript, readers
from theme_assist.ingest.speakers import parse_turns


def document_from_text(path: Path, text: str) -> Document:
    """The document of a transcript text read from ``path``: its id is the file name without extension.

    Raises
    ------
    NotATranscript
        If the text has no turn (only ``#`` header comments, speaker labels or timestamps).
    """
    turns = parse_turns(text)
    if not turns:
        raise NotATranscript(f"{path} has no transcript text (no words after its # header lines, speaker labels "
                              "or timestamps)")
    return Document(id=path.stem, text=text, turns=turns, source=str(path))


@readers.register(".txt")
def read_plain_text(path: Path) -> list[Document]:
    """Read a plain-text transcript; ``Document.text`` is the file's text (newlines normalised to ``\\n``)."""
    return [document_from_text(path, read_text(path).text)]
