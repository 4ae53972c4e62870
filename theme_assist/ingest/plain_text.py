"""Plain-text transcripts (``.txt``): speaker turns found by :func:`~theme_assist.ingest.speakers.parse_turns`."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Collection

from theme_assist.documents import Document, Turn
from theme_assist.ingest.decoding import read_text
from theme_assist.ingest.registry import NotATranscript, readers
from theme_assist.ingest.speakers import parse_turns

logger = logging.getLogger(__name__)

_SENTENCE_END_BEFORE_BREAK = re.compile(r"[.?!…][\"'”’)\]]*[ \t]*\r?\n")
MIN_MERGED_LINES = 3
"""Lines that end a sentence and are read on into the next line, from which a text without speaker labels is said
to be one utterance per line (:func:`merged_lines`)."""
# The advice of both warnings (warn_of_merged_utterances, warn_of_merged_sources)
_SEGMENTS_MIX = "with --unit turn (the default) a segment holds several lines, cut at --max-chars"
_OR_LABEL = "for a segment per sentence, or label the speakers (`Name: text`)"


def document_from_text(path: Path, text: str, headings: Collection[int] = ()) -> Document:
    """The document of a transcript text read from ``path``: its id is the file name without extension;
    ``headings``: where headings the text does not mark begin (see :func:`~theme_assist.ingest.speakers.parse_turns`).

    Raises
    ------
    NotATranscript
        If the text has no turn (only ``#`` header comments, speaker labels or timestamps).
    """
    turns = parse_turns(text, headings)
    if not turns:
        raise NotATranscript(f"{path} has no transcript text (no words after its # header lines, speaker labels "
                              "or timestamps)")
    warn_of_merged_utterances(path, text, turns)
    return Document(id=path.stem, text=text, turns=turns, source=str(path))


def warn_of_merged_utterances(path: Path | str, text: str, turns: list[Turn]) -> None:
    """Warn, once for the file, when a text without speaker labels or timestamps looks like one utterance per line
    (:func:`merged_lines`): its turns are then its paragraphs, and a segment (cut at ``--max-chars``) holds several
    utterances.

    Parameters
    ----------
    path : Path or str
        Names the transcript in the warning.
    text : str
        The transcript's text, which ``turns`` index.
    turns : list of Turn
        Its turns (:func:`~theme_assist.ingest.speakers.parse_turns`).
    """
    lines = merged_lines(text, turns)
    if lines:
        logger.warning("%s: no speaker labels found, so its %d lines are read as %d turn(s), one per paragraph: "
                       "%s; give --unit sentence %s", path, lines, len(turns), _SEGMENTS_MIX, _OR_LABEL)


def warn_of_merged_sources(names: list[str]) -> None:
    """Warn once of all the text sources of a ``.qdpx`` that look like one utterance per line (:func:`merged_lines`),
    naming a few: a project of many such sources said so once for each, and named an option import-qdpx lacks."""
    if not names:
        return
    shown = ", ".join(names[:3]) if len(names) <= 3 else "e.g. " + ", ".join(names[:3]) + ", …"
    which = f"1 source ({shown}) has no speaker labels and looks" if len(names) == 1 else (
        f"{len(names)} sources ({shown}) have no speaker labels and look")
    logger.warning("%s like one utterance per line, so each is read as a turn per paragraph: %s; give "
                   "`project init` or `suggest` --unit sentence %s", which, _SEGMENTS_MIX, _OR_LABEL)


def merged_lines(text: str, turns: list[Turn]) -> int:
    """The lines of a text without speaker labels or timestamps that looks like one utterance per line; 0 where it
    has labels or does not look so.

    It looks so when at least :data:`MIN_MERGED_LINES` of the line breaks inside its turns, and at least half of
    them, follow a line that ends a sentence (the lines of hard-wrapped prose mostly end mid-sentence). Every
    transcript reader and the text sources of a ``.qdpx`` (whose line ends may be ``\\r\\n``) are checked here.
    """
    if any(turn.speaker or turn.timestamp for turn in turns):
        return 0
    inside = [text[turn.start:turn.end] for turn in turns]
    breaks = sum(said.count("\n") for said in inside)
    merged = sum(len(_SENTENCE_END_BEFORE_BREAK.findall(said)) for said in inside)
    return breaks + len(turns) if merged >= MIN_MERGED_LINES and 2 * merged >= breaks else 0


@readers.register(".txt")
def read_plain_text(path: Path) -> list[Document]:
    """Read a plain-text transcript; ``Document.text`` is the file's text (newlines normalised to ``\\n``)."""
    return [document_from_text(path, read_text(path).text)]
