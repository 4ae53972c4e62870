"""Subtitle transcripts (``.vtt``, ``.srt``, read with webvtt-py): a turn is a speaker's run of cues.

The speaker comes from a WebVTT voice tag (``<v Anna>``) or a ``Name:`` prefix; the timestamp is the cue's
start. A cue with several voices is one utterance per voice: a voice tag starts one, at the start of a line or
inside one (``<v Anna>Yes. <v Ben>No.``), and so does each line of a dialogue cue (one whose lines start with
a dash: ``- Anna: yes`` / ``- Ben: no``, the dash dropped). Consecutive utterances of the same named speaker (as
read: the voice or prefix without its surrounding spaces) are one turn, as Teams and Zoom cut one answer into cues
of a few seconds: their texts joined with a single space (a cue break is no line break in speech), the turn's
timestamp the first cue's. Utterances without a speaker stay one turn each. The document text is the turns'
text (tags and speaker prefixes removed) joined with newlines.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import replace
from pathlib import Path
from typing import Iterable

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
    _refuse_malformed_timings(path, text, subtitle_format)
    try:
        captions = webvtt.from_buffer(io.StringIO(text), format=subtitle_format)
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise InputError(f"{path} is not a valid .{subtitle_format} file: {exc}") from None
    utterances = _speakers_runs(u for caption in captions for u in _utterances(caption))
    document = document_from_utterances(path.stem, utterances, str(path))
    if not document.turns:
        raise NotATranscript(f"{path} has no captions with text")
    return document


_TIMESTAMPS = {"vtt": r"(?:\d+:)?[0-5]?\d:[0-5]?\d\.\d{1,3}", "srt": r"\d+:\d{1,2}:\d{1,2}[.,]\d+"}
"""A cue time as webvtt-py reads it (its own patterns): a WebVTT one with a full stop, and minutes and seconds
below 60 (it drops ``00:00:03,000`` and ``00:99:01.000`` cues); SubRip's with hours (``00:03,000`` is read as text)
and either mark."""
_TIMINGS = {name: re.compile(rf"^\s*{stamp}\s*-->\s*{stamp}(?:\s.*)?$") for name, stamp in _TIMESTAMPS.items()}
_TIMING_LIKE = re.compile(r"^\s*(?:\d+:)?\d+:\d+[.,]\d+\W+(?:\d+:)?\d+:\d+[.,]\d+")
"""Two times on the line after a SubRip cue's number, as a timing line with a mistyped arrow has them
(``00:00:03,000 -> 00:00:04,000``): webvtt-py reads it, and the cue, as the previous cue's text. Elsewhere (a
WebVTT cue identifier or note, a cue's text) two times are no timing."""
_EXPECTED_TIMING = {"vtt": "00:00:01.000 --> 00:00:04.000", "srt": "00:00:01,000 --> 00:00:04,000"}


def _refuse_malformed_timings(path: Path, text: str, subtitle_format: str) -> None:
    """Refuse a cue whose timing line is malformed: webvtt-py drops such a cue and its text without a word, or
    reads them into the cue before."""
    previous = ""
    for number, line in enumerate(text.splitlines(), start=1):
        mistyped = subtitle_format == "srt" and previous.strip().isdigit() and _TIMING_LIKE.match(line)
        if ("-->" in line or mistyped) and not _TIMINGS[subtitle_format].match(line):
            raise InputError(f"{path}, line {number}: malformed cue timing {line.strip()[:60]!r} (expected "
                             f"'{_EXPECTED_TIMING[subtitle_format]}'); its cue would be lost")
        previous = line


def _speakers_runs(utterances: Iterable[Utterance]) -> list[Utterance]:
    """``utterances`` with each run of consecutive ones of the same named speaker joined into one (texts joined
    with a space, the first one's timestamp); blank ones left out, utterances without a speaker kept apart."""
    runs: list[tuple[Utterance, list[str]]] = []
    for utterance in utterances:
        if not utterance.text.strip():
            continue
        if utterance.speaker and runs and runs[-1][0].speaker == utterance.speaker:
            runs[-1][1].append(utterance.text.strip())
        else:
            runs.append((utterance, [utterance.text.strip()]))
    return [first if len(texts) == 1 else replace(first, text=" ".join(texts)) for first, texts in runs]


_DIALOGUE_DASH = re.compile(r"[ \t]*[-–—][ \t]+")


def _utterances(caption) -> list[Utterance]:
    """A cue's utterances: one per voice or dialogue line (see the module docstring), in order."""
    dialogue = bool(_DIALOGUE_DASH.match(caption.text.split("\n")[0]))
    pieces: list[tuple[str, list[str]]] = []  # (voice, lines)
    for raw in caption.raw_text.split("\n"):
        line_pieces = _voice_pieces(raw, caption.VOICE_SPAN_PATTERN)
        dashed = False
        if dialogue:  # the dash opens the line's first text, before its voice tag or after it
            first = next((i for i, (_, text) in enumerate(line_pieces) if text.strip()), None)
            dash = _DIALOGUE_DASH.match(line_pieces[first][1]) if first is not None else None
            if dash:
                line_pieces[first] = (line_pieces[first][0], line_pieces[first][1][dash.end():])
                dashed = True
        (_, lead), *voiced = line_pieces
        if voiced:  # the space around a voice tag inside a line belongs to neither voice
            lead = lead.rstrip()
            *inner, (last_voice, last_text) = voiced
            voiced = [(voice, text.strip()) for voice, text in inner] + [(last_voice, last_text.lstrip())]
        if lead.strip() or not voiced:
            if dashed or not pieces:
                pieces.append(("", []))
            pieces[-1][1].append(lead)
        pieces += [(voice, [text]) for voice, text in voiced]
    return [_utterance("\n".join(text), voice, caption.start) for voice, text in pieces]


def _voice_pieces(raw_line: str, voice_pattern: re.Pattern) -> list[tuple[str, str]]:
    """A raw cue line cut at each voice tag, tags removed: ``("", text before the first voice tag)``, then
    ``(voice, its text)`` for each voice tag, wherever it is on the line (``<v Ann>Yes. <v Ben>No.``).

    Tags are found as webvtt-py finds them (``<`` to the next ``>``; the scan stops at a ``<`` with no ``>`` after
    it, so a long line costs linear time), so the texts joined are the line's ``caption.text``.
    """
    pieces: list[tuple[str, list[str]]] = [("", [])]
    position = 0
    while (opening := raw_line.find("<", position)) >= 0 and (closing := raw_line.find(">", opening + 1)) >= 0:
        pieces[-1][1].append(raw_line[position:opening])
        voice = voice_pattern.fullmatch(raw_line, opening, closing + 1)
        if voice:
            pieces.append((voice.group(1), []))
        position = closing + 1
    pieces[-1][1].append(raw_line[position:])
    return [(voice, "".join(texts)) for voice, texts in pieces]


def _utterance(text: str, voice: str, timestamp: str) -> Utterance:
    text = html.unescape(text)
    speaker = voice
    if not speaker:
        speaker, offset = split_speaker_label(text)
        text = text[offset:]
    return Utterance(text=text, speaker=speaker.strip(), timestamp=timestamp)
