"""Speaker turns in transcript text: ``Name: text`` lines, optionally with a timestamp.

Recognised turn starts (at the start of a line)::

    Anna: text                    [00:01:02] Anna: text        (00:01:02) Anna: text
    00:01:02 Anna: text           Anna [00:01:02]: text        [00:01:02] text   (timestamp, no speaker)
    00:01:02 - Anna: text         [00:01:02 - 00:01:09] Anna: text   (a time range: its start is kept)
    01:02 Anna: text              (a bare time without hours: only before a label)
    P1 [laughs]: text             P1 (laughs): text                  (speaker P1, see below)
    Anna Smith  0:03              [Anna Smith] 10:01:02              (a speaker line: Otter, Teams, Zoom;
    text on the lines after it    text on the lines after it          two such lines or more in a text)

A timestamp that closes a line, as f4/f5transkript ends each paragraph (``Anna: text #00:01:02-3#``) or
``Anna: text [00:01:02]``, is left out of the utterance (f4's is the paragraph's end, not the turn's start); a turn
that says nothing else keeps it as its text.

Lines are broken at ``\n`` and at the other characters :meth:`str.splitlines` breaks at (a form feed, as
pdftotext writes between pages, U+2028…), so that a label after a page break is found; offsets still point
into the text as given. Lines starting with ``#`` before the first turn are header comments, but for a turn of a
speaker numbered ``#1`` (and ``#1:text``, running text as ``A:text`` is), unless it is the document's only such
turn with turns of named speakers after it (``#1: Interview with Ann`` above ``Ann:`` turns). After the first turn
(anywhere in a text without labels), a Markdown heading (``#`` to ``######``, a space and text: ``## Notes``)
starts a turn without speaker, holding the lines under it up to the next label: a section title or the
transcriber's notes are not the last speaker's words;
so does a heading the reader names (a Word heading paragraph: ``headings`` of :func:`parse_turns`). A ``#`` line
whose text starts in lower case after a line that ended mid-sentence is no heading but that line wrapped
(``we counted the`` above ``# of people who came``).
A line that starts no turn continues the previous one; text before the first turn is a turn without speaker. A
text with no turn start at all is split into paragraphs (separated by blank lines), each a turn without speaker.

What counts as a speaker label, so that ``Note: ...`` or a URL in running text does not start a turn: at most
40 characters and 6 words, containing a letter (or ``#`` and a number alone: ``#1``), without sentence
punctuation (commas only inside parentheses; no word of four letters or more ends in a full stop unless it is a
title in :data:`TITLES`: ``Dr. Smith``, ``Prof. Lee``) and followed by ``:`` and whitespace (or by the full-width
``：``). A label seen only once in the text and without a timestamp must moreover start with a capital letter, a
digit (``#1`` too) or a letter of a script without case (Chinese,
Hebrew, Devanagari…) and not name a header field (``Date: 12 May``, ``Location: Ulm``: :data:`HEADER_FIELDS`); and if it follows a line that ended mid-sentence (in a letter, digit or comma), it is a
speaker only when it looks like the document's other labels (:func:`_looks_like_a_label`) or the document
has no running prose (every other non-blank line starts a turn).

Marks of text direction around a label (U+200F at the start of a Hebrew line) are not part of it. An annotation
after a label is not part of the speaker: a bracketed one always (``P1 [laughs]``), a
parenthesised one when it starts in lower case (``P1 (laughs)``) or when the label also occurs without it in
the document; otherwise the parentheses are part of the name (``Interviewer (I)``, ``Peer worker (Kampala)``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Collection

from theme_assist.documents import Turn

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_LONG_TIME = r"\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,3})?"
_UNTIL = r"[ \t]*(?:-->|[-–—])[ \t]*"  # the dash of a time range
_TIMESTAMP = re.compile(rf"{_TIME}(?:{_UNTIL}{_TIME})?")
"""A time or time range as a transcript's timestamp column holds it: ``0:03``, ``00:01:02.5``, ``00:01 - 00:04``."""
# combining marks, which \w leaves out: diacritics, Hebrew and Arabic points, the vowel signs of Indic and Thai
_MARKS = "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0900-\u0dff\u0e31-\u0e4e\u1ab0-\u1aff" \
         "\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_LABEL_PART = rf"(?:[\w{_MARKS}.'’&/\#-]|\([^()\n:]*\))"
_BIDI_MARKS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
"""Invisible marks of text direction, which Word and editors put at the start of lines of Hebrew or Arabic, and
around a label of one direction in a text of the other: not part of a label."""
_TURN_START = re.compile(
    rf"""
    [ \t{_BIDI_MARKS}]*
    (?:                                           # leading timestamp or time range
        (?:
            [\[(](?P<bracketed>{_TIME})(?:{_UNTIL}{_TIME})?[\])]
          | (?P<bare>{_TIME})(?:{_UNTIL}{_TIME})?(?=[ \t])   # without a label, bare needs h:mm:ss
        )
        (?:[ \t]*[-–—](?=[ \t]))?                 # 00:01:02 - Anna: text
    )?
    [ \t]*
    (?:
        # words, spaces between them, (parts): *+ never gives back a space, so a long run of spaces is one step
        (?P<label>{_LABEL_PART}(?:[ \t]*+{_LABEL_PART})*?)
        (?:[ \t]*+\[[^\[\]\n:]*\])?               # P1 [laughs]: an annotation, left out of the label
        (?:[ \t]*+[\[(](?P<trailing>{_TIME})(?:{_UNTIL}{_TIME})?[\])])?  # Anna [00:01:02]: text
        [ \t\u00a0\u202f{_BIDI_MARKS}]*+(?::(?=\s|$)|：)  # ":" (after a no-break space too: French) or "："
    )?
    [ \t]*
    """,
    re.VERBOSE,
)
_LONG_TIME_LINE_START = re.compile(rf"{_LONG_TIME}(?:{_UNTIL}{_LONG_TIME})?(?=[ \t])")
_CLOSING_TIMESTAMP = re.compile(
    rf"(?:#{_LONG_TIME}(?:-\d)?#|\[{_LONG_TIME}(?:{_UNTIL}{_LONG_TIME})?\])$")
"""A timestamp at the end of a line, as f4/f5transkript closes each paragraph (``#00:01:02-3#``), or ``[00:01:02]``
(with hours: "moved the meeting to [10:30]" is said): not part of the utterance unless it is all the turn says."""
_HEADER_LINE = re.compile(
    rf"[ \t]*(?:\[(?P<bracketed>[^\[\]\n:]+)\]|(?P<label>{_LABEL_PART}(?:[ \t]*+{_LABEL_PART})*?))"
    rf"[ \t]+(?P<time>{_TIME})[ \t]*"
)
"""A speaker line of Otter, Teams or Zoom exports, the words on the lines after it: ``Anna Smith  0:03``,
``[Anna Smith] 10:01:02``."""
# what str.splitlines breaks at, but for \r (already normalised away): one character each, so offsets add up
_LINE_BREAK = re.compile("[\n\v\f\x1c-\x1e\x85\u2028\u2029]")
_ANNOTATED = re.compile(r"(?P<name>.+?)[ \t]*\((?P<note>[^()]*)\)")
_MAX_LABEL_CHARS = 40
_MAX_LABEL_WORDS = 6
_MAX_HEADER_LINE = _MAX_LABEL_CHARS + 20
_MIN_HEADER_LINES = 2
TITLES = ("Prof", "Capt", "Supt", "Insp", "Revd", "Dott", "Dipl", "Lieut", "Cllr")
"""Abbreviated titles of four letters or more, which end in a full stop without ending a sentence (``Prof. Lee``)."""
_SENTENCE_END_IN_LABEL = re.compile(rf"\b(?!(?:{'|'.join(TITLES)})\.)\w{{4,}}\.(\s|$)", re.IGNORECASE)
_MID_SENTENCE_END = re.compile(r"[\w,]\s*$")
_NUMBER_LABEL = re.compile(r"#\d+")
"""A speaker named by ``#`` and a number (``#1: text``): a label without a letter (a bare ``1:`` is none)."""
_NUMBERED_TEXT = re.compile(r"#\d+:[^\s\d]")
"""A line of such a speaker with the text straight after the colon (``#1:text``): no label, as ``A:text`` is none,
but running text, not a header comment. A digit after the colon is a time (``#14:30 start``, f4's
``#00:01:02-3#``): the header comment stays one."""
_HEADING = re.compile(r"[ \t]{0,3}#{1,6}[ \t]+\S")
"""A Markdown heading (``## Notes``, ``# Part 2``): after the first turn, it starts a turn without speaker."""
LABEL_FAMILIES = {
    "numbered": re.compile(r"(?:(?P<family>[^\W\d_]+)[ _-]?|#)\d+"),  # P1, P2; SPEAKER_00; Participant 3; #1
    "code": re.compile(r"[A-Z]{1,2}"),  # I, P, R, IV
}
"""Shapes of speaker labels: two labels of one shape (and, for numbered ones, one prefix) look alike."""
ROLE_WORDS = frozenset({
    "interviewer", "interviewee", "moderator", "facilitator", "participant", "respondent", "researcher",
})
"""Words that name a speaker's role: a label starting with one (``Moderator``, ``Participant 4``) looks like a
label in any document."""
HEADER_FIELDS = frozenset({
    "date", "time", "location", "place", "venue", "setting", "duration", "length", "transcriber", "transcribed by",
    "transcription", "recording", "recorded", "file", "file name", "filename", "audio file", "project", "study",
    "language", "interview date", "date of interview", "interview time", "interview length", "participants",
    "present", "attendees", "session", "mode", "format",
})
"""Names of a transcript's header fields (``Date: 12 May 2019``, ``Location: Ulm``): a label seen once in a text,
without a timestamp, that is one of them is not a speaker."""


@dataclass(frozen=True)
class _Line:
    start: int
    text: str

    @property
    def end(self) -> int:
        """Offset just after the line's last non-space character."""
        return self.start + len(self.text.rstrip())

    @property
    def is_blank(self) -> bool:
        return not self.text.strip()


@dataclass(frozen=True)
class _TurnStart:
    """A line's turn start: speaker, timestamp, and the offset in the line where the utterance begins, with
    ``unlabelled_start`` where it would begin if the label were not taken as a speaker; ``header`` for a line that
    holds only a speaker and a time (:data:`_HEADER_LINE`), the utterance on the lines after it."""

    speaker: str
    timestamp: str
    content_start: int
    unlabelled_start: int
    header: bool = False
    time_needs_label: bool = False

    def named(self, speaker: str) -> "_TurnStart":
        return replace(self, speaker=speaker)

    def without_label(self) -> "_TurnStart | None":
        """The same line read as running text: a turn start only if it has a timestamp that stands alone."""
        if not self.timestamp or self.time_needs_label:
            return None
        return _TurnStart("", self.timestamp, self.unlabelled_start, self.unlabelled_start)

    def content_offset(self, line: _Line) -> int:
        """Where the utterance begins in the text: its first non-space character on ``line``."""
        return line.start + skip_space(line.text, self.content_start)


@dataclass
class _OpenTurn:
    """A turn being read: its span grows with each line of text."""

    speaker: str = ""
    timestamp: str = ""
    start: int | None = None
    end: int = 0
    closing_span: tuple[int, int] | None = None

    def extend(self, start: int, line: _Line) -> None:
        """Add ``line`` from offset ``start`` (in the text) on, less a timestamp that closes it."""
        said, closing = _split_closing_timestamp(line.text)
        end = line.end if closing is None else line.start + len(said)
        if closing is not None and line.start + closing >= start and self.closing_span is None:
            self.closing_span = (start, line.end)
        if start < end:
            self.start = start if self.start is None else self.start
            self.end = end

    def close(self) -> list[Turn]:
        """The finished turn; a turn that says only a closing timestamp keeps it as its text (so the segments after
        it keep their numbers); nothing if no text was said."""
        if self.start is None and self.closing_span is not None:
            return [Turn(*self.closing_span, speaker=self.speaker, timestamp=self.timestamp)]
        if self.start is None:
            return []
        return [Turn(start=self.start, end=self.end, speaker=self.speaker, timestamp=self.timestamp)]


def parse_turns(text: str, headings: Collection[int] = ()) -> list[Turn]:
    """Find the speaker turns of a transcript text.

    Parameters
    ----------
    text
        The transcript, newlines already normalised to ``\\n``.
    headings
        Offsets in ``text`` where a heading the text does not mark begins (a Word heading paragraph's first
        non-space character): after the first turn start, its line starts a turn without speaker, as a Markdown
        heading does; before it, it is read as any other line.

    Returns
    -------
    list of Turn
        Turns in text order; ``text[turn.start:turn.end]`` is the utterance without label or timestamp, from
        its first to its last non-space character. Turns with no text are dropped.
    """
    lines = _lines(text)
    lines = lines[_first_content_line(lines):]
    starts = _turn_starts(lines)
    paragraph_mode = not starts
    turns: list[Turn] = []
    current: _OpenTurn | None = None
    headings = frozenset(headings)
    # whether a turn start was read: a heading (Markdown, or given in ``headings``) starts a turn only after one,
    # or in a text without labels; before it, a title's lines stay the title's segment
    started = False
    for index, line in enumerate(lines):
        if line.is_blank:
            if paragraph_mode and current is not None:
                turns += current.close()
                current = None
        elif index in starts:
            if current is not None:
                turns += current.close()
            current = _OpenTurn(speaker=starts[index].speaker, timestamp=starts[index].timestamp)
            current.extend(starts[index].content_offset(line), line)
            started = True
        elif ((started or paragraph_mode) and _is_heading(lines, index)) or (
                started and line.start + skip_space(line.text, 0) in headings):
            # no one's words: it and the lines under it are not the last speaker's
            if current is not None:
                turns += current.close()
            current = _OpenTurn()
            current.extend(line.start + skip_space(line.text, 0), line)
        else:
            current = current or _OpenTurn()
            current.extend(line.start + skip_space(line.text, 0), line)
    if current is not None:
        turns += current.close()
    return turns


def _is_heading(lines: list[_Line], index: int) -> bool:
    """Whether line ``index`` is a Markdown heading (:data:`_HEADING`) rather than a wrapped line: one whose text
    starts in lower case after a line that ended mid-sentence ("we counted the" above "# of people who came") goes
    on with that line."""
    line = lines[index]
    if not _HEADING.match(line.text):
        return False
    first = line.text.lstrip(" \t#").lstrip()[:1]
    return not (first.islower() and index and _MID_SENTENCE_END.search(lines[index - 1].text))


def heading_in(text: str) -> str | None:
    """The first line of ``text`` (a segment's or a turn's text, as segmented) that :func:`parse_turns` reads as a
    heading after the first turn start (:func:`_is_heading`: a Markdown heading, not a wrapped line), stripped;
    None where no line is. The first line is read without the line above it, so a ``#`` line there that may be a
    line wrapped is taken for a heading."""
    lines = _lines(text)
    return next((line.text.strip() for index, line in enumerate(lines) if _is_heading(lines, index)), None)


def split_speaker_label(utterance: str) -> tuple[str, int]:
    """Split a ``Name:`` prefix off a single utterance (a subtitle cue).

    Returns
    -------
    speaker : str
        The label, or "" when the utterance does not start with a valid one.
    offset : int
        Where the utterance proper begins (0 without a label).
    """
    start = _parse_turn_start(utterance)
    if start is None or not start.speaker:
        return "", 0
    return _unannotated(start.speaker, set()), skip_space(utterance, start.content_start)


def is_timestamp(text: str) -> bool:
    """Whether a cell's text is a time or a time range (:data:`_TIMESTAMP`)."""
    return _TIMESTAMP.fullmatch(text.strip()) is not None


def without_closing_timestamp(text: str) -> str:
    """``text`` less a timestamp that closes it (:data:`_CLOSING_TIMESTAMP`), as turns' texts leave it out."""
    return _split_closing_timestamp(text)[0]


def _split_closing_timestamp(text: str) -> tuple[str, int | None]:
    """``text`` (less trailing space) before a timestamp that closes it, and where that timestamp starts (``None``
    without one)."""
    text = text.rstrip()
    closing = _CLOSING_TIMESTAMP.search(text)  # not from a run of spaces: a search would try every space of it
    return (text[:closing.start()].rstrip(), closing.start()) if closing else (text, None)


def turn_line(text: str, speaker: str = "", timestamp: str = "") -> str:
    """A line that :func:`parse_turns` reads as a turn with this speaker and timestamp: ``[00:01:02] Anna: text``.

    The timestamp is left out unless it has a form the parser knows (``00:01:02``, ``1:02.5``, ``0:01 - 0:04``;
    see :func:`is_timestamp`), and so is a blank speaker; a speaker that fails the label rules makes the line
    running text, as it would in a transcript.
    """
    prefix = f"[{timestamp}] " if is_timestamp(timestamp) else ""
    return f"{prefix}{speaker}: {text}" if speaker else f"{prefix}{text}"


def _lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    offset = 0
    for line in _LINE_BREAK.split(text):
        lines.append(_Line(start=offset, text=line))
        offset += len(line) + 1
    return lines


def _first_content_line(lines: list[_Line]) -> int:
    """Index of the first line that is neither blank nor a ``#`` header comment (a ``#1: text`` line is a turn,
    a ``#1:text`` line running text). The one ``#1: text`` line of a document whose other turns are not numbered
    so (``#1: Interview with Ann`` above ``Ann:`` turns) is a header comment."""
    numbered = [index for index, line in enumerate(lines)
                if line.text.lstrip().startswith("#") and _numbered_turn(line.text)]
    # a turn of a named speaker after it, not any text: a lone #1 turn's text may run on to the next lines
    header = numbered[0] if len(numbered) == 1 and any(
        start is not None and start.speaker and not _NUMBER_LABEL.fullmatch(start.speaker)
        for start in map(_parse_turn_start, (line.text for line in lines[numbered[0] + 1:]))) else None
    for index, line in enumerate(lines):
        text = line.text.lstrip()
        if line.is_blank or index == header:
            continue
        if not text.startswith("#") or index in numbered or _NUMBERED_TEXT.match(text):
            return index
    return len(lines)


def _turn_starts(lines: list[_Line]) -> dict[int, _TurnStart]:
    """The lines that start a turn, by index (offsets in the line), after the label rules of the module docstring."""
    candidates = {index: _parse_turn_start(line.text) for index, line in enumerate(lines) if not line.is_blank}
    candidates = {index: candidate for index, candidate in candidates.items() if candidate is not None}
    if sum(candidate.header for candidate in candidates.values()) < _MIN_HEADER_LINES:
        # one "Meeting  10:30" line is running text; speaker lines are a document's layout, used throughout
        candidates = {index: candidate for index, candidate in candidates.items() if not candidate.header}
    labels = {candidate.speaker.casefold() for candidate in candidates.values()}
    candidates = {index: candidate.named(_unannotated(candidate.speaker, labels))
                  for index, candidate in candidates.items()}
    label_counts = Counter(candidate.speaker.casefold() for candidate in candidates.values() if candidate.speaker)

    def once(index: int) -> bool:
        candidate = candidates[index]
        return bool(candidate.speaker) and not candidate.timestamp and label_counts[candidate.speaker.casefold()] == 1

    not_labels = {index for index in candidates if once(index) and (
        not _capitalised(candidates[index].speaker) or candidates[index].speaker.casefold() in HEADER_FIELDS)}
    after_mid_sentence = {
        index for index in candidates
        if once(index) and index not in not_labels and index and _MID_SENTENCE_END.search(lines[index - 1].text)
    }
    doubted = not_labels | after_mid_sentence  # once: made again for every candidate, it took time squared
    sure_labels = [candidate.speaker for index, candidate in candidates.items()
                   if candidate.speaker and index not in doubted]
    no_prose = all(index in candidates and index not in not_labels
                   for index, line in enumerate(lines) if not line.is_blank)
    starts: dict[int, _TurnStart] = {}
    for index, candidate in candidates.items():
        if index in not_labels or (
            index in after_mid_sentence and not no_prose and not _looks_like_a_label(candidate.speaker, sure_labels)
        ):
            candidate = candidate.without_label()
        if candidate is not None:
            starts[index] = candidate
    return starts


def _numbered_turn(line: str) -> bool:
    """Whether ``line`` starts a turn of a speaker named by ``#`` and a number (:data:`_NUMBER_LABEL`)."""
    start = _parse_turn_start(line)
    return start is not None and _NUMBER_LABEL.fullmatch(start.speaker) is not None


def _capitalised(label: str) -> bool:
    first = label[1] if _NUMBER_LABEL.fullmatch(label) else label[0]
    return first.isupper() or first.isdigit() or (first.isalpha() and not first.islower())  # 张, א: no case


def _looks_like_a_label(label: str, others: list[str]) -> bool:
    """Whether ``label`` starts with a role word or has the shape of one of ``others`` (see
    :data:`LABEL_FAMILIES`): P2 beside P1, R beside I, not ``Note`` beside Anna."""
    if label.split()[0].casefold() in ROLE_WORDS:
        return True
    family = _family(label)
    return family is not None and any(_family(other) == family for other in others if other != label)


def _family(label: str) -> tuple[str, str] | None:
    """The shape of a label: the name of its :data:`LABEL_FAMILIES` entry and, for numbered ones, the prefix."""
    for name, pattern in LABEL_FAMILIES.items():
        match = pattern.fullmatch(label)
        if match:
            return name, (match.groupdict().get("family") or "").casefold()
    return None


def _unannotated(label: str, labels: set[str]) -> str:
    """The label without a parenthesised annotation when it is one: in lower case (``P1 (laughs)``) or after a
    label that also occurs bare (casefolded in ``labels``)."""
    match = _ANNOTATED.fullmatch(label)
    if match and (match["note"][:1].islower() or match["name"].casefold() in labels):
        return match["name"]
    return label


def skip_space(line: str, offset: int) -> int:
    """The offset of the first non-space character from ``offset`` on (space as ``str.strip`` sees it)."""
    rest = line[offset:]
    return offset + len(rest) - len(rest.lstrip())


def _parse_turn_start(line: str) -> _TurnStart | None:
    """The turn start on a line, or None if the line has neither a valid speaker label nor a timestamp."""
    header = _HEADER_LINE.fullmatch(line) if len(line) <= _MAX_HEADER_LINE else None
    if header and (label := _speaker_label(header.group("bracketed") or header.group("label"))):
        return _TurnStart(label, header.group("time"), len(line), 0, header=True)
    match = _TURN_START.match(line)
    timestamp = match.group("bracketed") or match.group("bare") or match.group("trailing") or ""
    label = _speaker_label(match.group("label") or "")
    unlabelled_start = match.start("label") if match.group("label") else match.end()
    # a bare time without hours ("0:03 Anna: text") starts a turn only with a label: "10:30 we met" is running text
    time_needs_label = bool(match.group("bare")) and not _LONG_TIME_LINE_START.match(line, match.start("bare"))
    if label:
        return _TurnStart(label, timestamp, match.end(), unlabelled_start, time_needs_label=time_needs_label)
    if timestamp and not match.group("trailing") and not time_needs_label:
        return _TurnStart("", timestamp, unlabelled_start, unlabelled_start)
    return None


def _speaker_label(raw: str) -> str:
    """The label, whitespace collapsed, or "" if it fails the label rules."""
    label = " ".join(raw.split())
    if not label:
        return ""
    if (
        len(label) > _MAX_LABEL_CHARS
        or len(label.split()) > _MAX_LABEL_WORDS
        or not (any(char.isalpha() for char in label) or _NUMBER_LABEL.fullmatch(label))
        or _SENTENCE_END_IN_LABEL.search(label)
    ):
        return ""
    return label
