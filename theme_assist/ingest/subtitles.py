"""Subtitle transcripts (``.vtt``, ``.srt``, read with webvtt-py): each cue is a turn.

The speaker comes from a WebVTT voice tag (``<v Anna>``) or a ``Name:`` prefix; the timestamp is the cue's
start. The document text is the cues' text (tags and speaker prefixes removed) joined with newlines.
"""

from __future__ import annotations

import html
import io
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
    try:
        captions = webvtt.from_buffer(io.StringIO(text), format=subtitle_format)
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise InputError(f"{path} is not a valid .{subtitle_format} file: {exc}") from None
    document = document_from_utterances(path.stem, (_utterance(caption) for caption in captions), str(path))
    if not document.turns:
        raise NotATranscript(f"{path} has no captions with text")
    return document


def _utterance(caption) -> Utterance:
    text = html.unescape(caption.text)
    speaker = caption.voice or ""
    if not speaker:
        speaker, offset = split_speaker_label(text)
        text = text[offset:]
    return Utterance(text=text, speaker=speaker.strip(), timestamp=caption.start)
