"""Subtitle transcripts (``.vtt``, ``.srt``, read with webvtt-py): each cue is a turn.

The speaker comes from a WebVTT voice tag (``<v Anna>``) or a ``Name:`` prefix; the timestamp is the cue's
start. The document text is the cues' text (tags and speaker prefixes removed) joined with newlines.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

from theme_assist.documents import Document
from theme_assist.errors import InputError
from theme_assist.ingest.decoding import read_text
from theme_assist.ingest.registry import NotATranscript, readers
from theme_assist.ingest.speakers import split_speaker_label
from theme_assist.ingest.utterances import Utterance, document_from_utterances


@readers.register(".vtt")
def read_vtt(path: Path) -> list[Document]:
    """Read a WebVTT transcript."""
    return [_read_captions(path, "vtt")]


@readers.register(".srt")
def read_srt(path: Path) -> list[Document]:
    """Read a SubRip transcript."""
    return [_read_captions(path, "srt")]


def _read_captions(path: Path, subtitle_format: str) -> Document:
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    text = read_text(path).text
    _refuse_malformed_timings(path, text)
    try:
        captions = webvtt.from_buffer(io.StringIO(text), format=subtitle_format)
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise InputError(f"{path} is not a valid .{subtitle_format} file: {exc}") from None
    document = document_from_utterances(path.stem, (_utterance(caption) for caption in captions), str(path))
    if not document.turns:
        raise NotATranscript(f"{path} has no captions with text")
    return document


_TIMESTAMP = r"(?:\d+:)?\d{1,2}:\d{2}[.,]\d{3}"
_TIMING = re.compile(rf"^\s*{_TIMESTAMP}\s+-->\s+{_TIMESTAMP}(?:\s.*)?$")


def _refuse_malformed_timings(path: Path, text: str) -> None:
    """Refuse a cue whose timing line is malformed: webvtt-py drops such a cue and its text without a word."""
    for number, line in enumerate(text.splitlines(), start=1):
        if "-->" in line and not _TIMING.match(line):
            raise InputError(f"{path}, line {number}: malformed cue timing {line.strip()[:60]!r} (expected "
                             "'00:00:01.000 --> 00:00:04.000'); its cue would be lost")


def _utterance(caption) -> Utterance:
    text = html.unescape(caption.text)
    speaker = caption.voice or ""
    if not speaker:
        speaker, offset = split_speaker_label(text)
        text = text[offset:]
    return Utterance(text=text, speaker=speaker.strip(), timestamp=caption.start)
