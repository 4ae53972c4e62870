"""Subtitle transcripts (``.vtt``, ``.srt``, read with webvtt-py): each cue is a turn, or several.

The speaker comes from a WebVTT voice tag (``<v Anna>``) or a ``Name:`` prefix; the timestamp is the cue's
start. A cue with several voices is one turn per voice: a line starting with a voice tag starts a turn, and so
does each line of a dialogue cue (one whose lines start with a dash: ``- Anna: yes`` / ``- Ben: no``, the dash
dropped). The document text is the turns' text (tags and speaker prefixes removed) joined with newlines.
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
    document = document_from_utterances(path.stem, (u for caption in captions for u in _utterances(caption)), str(path))
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


_DIALOGUE_DASH = re.compile(r"[ \t]*[-–—][ \t]+")


def _utterances(caption) -> list[Utterance]:
    """A cue's utterances: one per voice or dialogue line (see the module docstring), in order."""
    lines = caption.text.split("\n")  # the raw lines, each without its tags
    dialogue = bool(_DIALOGUE_DASH.match(lines[0]))
    pieces: list[tuple[str, list[str]]] = []  # (voice, lines)
    for raw, line in zip(caption.raw_text.split("\n"), lines):
        voice = caption.VOICE_SPAN_PATTERN.match(raw)
        dash = _DIALOGUE_DASH.match(line) if dialogue else None
        if voice or dash or not pieces:
            pieces.append((voice.group(1) if voice else "", []))
        pieces[-1][1].append(line[dash.end():] if dash else line)
    return [_utterance("\n".join(text), voice, caption.start) for voice, text in pieces]


def _utterance(text: str, voice: str, timestamp: str) -> Utterance:
    text = html.unescape(text)
    speaker = voice
    if not speaker:
        speaker, offset = split_speaker_label(text)
        text = text[offset:]
    return Utterance(text=text, speaker=speaker.strip(), timestamp=timestamp)
