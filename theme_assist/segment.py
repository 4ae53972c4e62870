"""Segmentation: documents become a ``segments`` table (columns :data:`~theme_assist.documents.SEGMENT_COLUMNS`).

Units, registered in :data:`segmenters` (as spaCy registers its components):

``turn`` (default)
    One segment per speaker turn.
``paragraph``
    Turns split at blank lines.
``sentence``
    Paragraphs split into sentences by spaCy's rule-based sentencizer (a blank English pipeline, built once).

Segments never cross a turn. Every segment is stripped of surrounding whitespace by moving its offsets (the
text itself is never altered), so ``document.text[start:end] == text`` always holds, and empty segments are
dropped. A segment longer than ``max_chars`` is split at sentence boundaries into pieces of at most
``max_chars``; a sentence longer than that is split at whitespace, and a word longer than that is cut.

Segment ids are ``"{document}:{position}"`` (position counted from 0 within the document), except that when
segmenting by turn, a turn that carries its own id (a ``segment_id`` column of a tabular transcript) keeps it:
``id`` for a turn kept whole, ``id.1``, ``id.2``… for the pieces of a turn split for length.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Mapping

import catalogue
import pandas as pd

from theme_assist.documents import SEGMENT_COLUMNS, Document, Turn
from theme_assist.errors import InputError

Span = tuple[int, int]
"""A ``(start, end)`` character span of a document's text."""

Segmenter = Callable[[str, int, int], list[Span]]
"""Splits ``text[start:end]`` (one turn) into spans of ``text``."""

segmenters = catalogue.create("theme_assist", "segmenters")

logger = logging.getLogger(__name__)

SEGMENTATION_VERSION = 2
"""The version of the segmentation. Bump it whenever segmenting may give other segments (ids, texts, offsets) for
the same input: a change here or in the readers whose turns are segmented (speaker labels, timestamps, marks left
out of a turn: :mod:`theme_assist.ingest`). Segment ids are positions, so a table made under another version may
name other segments with the same ids; :func:`segmentation_tag` says which version and options made a table.
Version 1, the first tagged, has the sentence spans of :func:`_sentencized` (an opening bracket or quote after a
sentence opens the next one); tables without a tag come from earlier versions. Version 2 changed two things:

- a ``.vtt`` or ``.srt`` transcript's consecutive cues of one named speaker are one turn
  (:mod:`theme_assist.ingest.subtitles`), where version 1 made each cue a turn;
- after the first turn, a heading (a Markdown one, ``## Notes``, or a Word heading paragraph, styled "Heading 1"
  to "Heading 9" or "Title") starts a turn without speaker, holding the lines under it up to the next label
  (:func:`theme_assist.ingest.speakers.parse_turns`), where version 1 joined it to the turn above it.

Other transcripts are segmented as under version 1; the documents' texts are the same under both."""

VERSION_CHANGES = {2: "version 2 joins a .vtt/.srt speaker's consecutive cues into one turn and starts a turn at a "
                      "heading after the first turn"}
"""What each :data:`SEGMENTATION_VERSION` changed, as a message names it where tables of two versions meet."""

OPTIONS_SINCE = 1
"""The first :data:`SEGMENTATION_VERSION` whose tags' ``--unit`` and ``--max-chars`` mean what this version's do:
a project made under it is segmented with its own options when transcripts are added (:func:`options_of`). Its
readers and this version's make the same turns but of subtitle transcripts and transcripts with a heading after
their first turn (:func:`same_turns`)."""

SEGMENTATION_COLUMN = "segmentation"
"""The column of every table theme_assist writes with segment ids that holds the :func:`segmentation_tag` its ids
come from (empty where it is not known: a segments table or project made before tags)."""

_BLANK_LINES = re.compile(r"\n\s*\n")
_WORD = re.compile(r"\S+")
_SPACY_MAX_LENGTH = 10**9  # no per-token model state; memory is bounded by SENTENCIZER_CHUNK instead
_LAST_SPACE = re.compile(r"\s(?=\S*\Z)")
_OPENING_MARKS = re.compile(r"\s+([\[({\"“‘]+)\Z")
"""Opening brackets and quotes after the space that closes a sentence: spaCy's sentencizer keeps punctuation
with the sentence before it, so "Yes. [laughs] Okay." gave "Yes. [" and "laughs] Okay."."""
_LONG_TOKEN = re.compile(r"\S{100,}")
_TOKEN_ENDS = 10
"""A run of 100 or more characters without a space (``[[[[…``, ``====…``) has its middle read as letters by the
sentencizer, its first and last ten characters as they are: spaCy's tokenizer strips a token's punctuation one
character at a time, in time quadratic in its length (16,000 "[" took 18 s, 300,000 hours)."""
SENTENCIZER_CHUNK = 100_000
"""Most characters the sentencizer is given at once (see :func:`_sentences`): a spaCy ``Doc`` takes about a hundred
times its text in memory, so a transcript of 200 MB on one line would take 20 GB. Read at call time, so a test may
set it lower."""


@segmenters.register("turn")
def turn_spans(text: str, start: int, end: int) -> list[Span]:
    """The whole turn."""
    return [(start, end)]


@segmenters.register("paragraph")
def paragraph_spans(text: str, start: int, end: int) -> list[Span]:
    """The turn's paragraphs: pieces separated by one or more blank lines."""
    spans: list[Span] = []
    for separator in _BLANK_LINES.finditer(text, start, end):
        spans.append((start, separator.start()))
        start = separator.end()
    spans.append((start, end))
    return spans


@segmenters.register("sentence")
def sentence_spans(text: str, start: int, end: int) -> list[Span]:
    """The sentences of each of the turn's paragraphs, found by spaCy's sentencizer."""
    spans: list[Span] = []
    for paragraph_start, paragraph_end in paragraph_spans(text, start, end):
        spans.extend(_sentences(text, paragraph_start, paragraph_end))
    return spans


def segment_documents(
    documents: Iterable[Document], unit: str = "turn", max_chars: int | None = 1000
) -> pd.DataFrame:
    """Split documents into segments.

    Parameters
    ----------
    documents
        Documents with their turns; a document without turns is treated as one turn without speaker.
    unit
        ``"turn"``, ``"sentence"`` or ``"paragraph"`` (see the module docstring).
    max_chars
        Longest segment in characters; ``None`` for no limit.

    Returns
    -------
    pandas.DataFrame
        One row per segment, columns :data:`~theme_assist.documents.SEGMENT_COLUMNS`, in document order.

    Raises
    ------
    InputError
        For an unknown unit, a ``max_chars`` below 1, or segment ids that repeat (documents or CSV segment ids
        that are not unique).
    """
    split = _segmenter(unit)
    if max_chars is not None and max_chars < 1:
        raise InputError(f"max_chars must be at least 1, not {max_chars}")
    rows: list[dict] = []
    for document in documents:
        turns = document.turns or [Turn(0, len(document.text))]
        position = 0
        for turn_index, turn in enumerate(turns):
            spans = [
                piece
                for span in split(document.text, turn.start, turn.end)
                for piece in _limit_length(document.text, *_strip(document.text, *span), max_chars)
            ]
            for piece_index, (start, end) in enumerate(spans):
                if unit == "turn" and turn.id:
                    segment_id = turn.id if len(spans) == 1 else f"{turn.id}.{piece_index + 1}"
                else:
                    segment_id = f"{document.id}:{position}"
                rows.append(
                    {
                        "segment_id": segment_id,
                        "document": document.id,
                        "speaker": turn.speaker,
                        "start": start,
                        "end": end,
                        "text": document.text[start:end],
                        "turn": turn_index,
                        "position": position,
                    }
                )
                position += 1
    segments = pd.DataFrame(rows, columns=SEGMENT_COLUMNS)
    repeated = segments["segment_id"][segments["segment_id"].duplicated()]
    if len(repeated):
        raise InputError(
            f"segment id {repeated.iloc[0]!r} occurs twice; document ids and segment_id values must be unique"
        )
    return segments


def segments_from_table(table: pd.DataFrame, source: str | Path = "", require_ids: bool = True) -> pd.DataFrame:
    """Segments straight from a table of segments (a ``SEGMENTS.csv``), one segment per row.

    Parameters
    ----------
    table
        Columns ``segment_id`` and ``text``, optional ``document`` and ``speaker`` (aliases as for tabular
        transcripts, see :mod:`theme_assist.ingest.tables`); rows of a document in order. A ``segment_id``
        repeated with the same text (a coding table with several codes on a segment) counts once.
    source
        The file the table came from, named in error messages; its name without extension is the document id
        when there is no ``document`` column (``"segments"`` if no source is given).
    require_ids
        If False, a table without ``segment_id`` gets ids ``"{document}:{position}"``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`~theme_assist.documents.SEGMENT_COLUMNS`; ``start``/``end`` point into each document's
        text, its rows' texts joined with newlines. Rows with a blank text are left out, with a warning naming
        their lines (:func:`theme_assist.ingest.tables.documents_from_table`).

    Raises
    ------
    InputError
        If a required column is missing (naming it and the file), a ``segment_id`` repeats with a different
        text, or every row's text is blank.
    """
    from theme_assist.ingest.tables import canonical_columns, documents_from_table

    source = source or "segments"
    table = canonical_columns(table.astype(str), source, required=("segment_id", "text") if require_ids else ("text",))
    if "segment_id" in table:
        table = _drop_repeated_segments(table, source)
    if (table["text"].str.strip() == "").all():
        raise InputError(f"{source}: every row's text is blank; there is nothing to code")
    return segment_documents(documents_from_table(table, source), unit="turn", max_chars=None)


def _drop_repeated_segments(table: pd.DataFrame, source: str | Path) -> pd.DataFrame:
    first = table.drop_duplicates("segment_id")
    conflicting = table.merge(first[["segment_id", "text"]], on="segment_id", suffixes=("", "_first"))
    conflicting = conflicting[conflicting["text"] != conflicting["text_first"]]
    if len(conflicting):
        raise InputError(f"{source}: segment_id {conflicting['segment_id'].iloc[0]!r} has two different texts")
    return first


def segmentation_tag(unit: str = "turn", max_chars: int | None = 1000) -> str:
    """A short tag of the segmentation :func:`segment_documents` makes with these options under this version
    (:data:`SEGMENTATION_VERSION`): ``"v2-turn-1000"``; ``"none"`` for no longest length."""
    return f"v{SEGMENTATION_VERSION}-{unit}-{'none' if max_chars is None else max_chars}"


_TAG = re.compile(r"v(\d+)-(.+)-(\d+|none)")
"""A :func:`segmentation_tag`: version, unit, longest length."""


def segmentation_difference(first: str, second: str) -> str:
    """What segmentation tags ``first`` and ``second`` differ in, in the words of the options that made them
    (``"--max-chars 1000 vs 2000"``), and for versions what the later one changed (:data:`VERSION_CHANGES`); empty
    where either is not of :func:`segmentation_tag`'s form."""
    parts = [_TAG.fullmatch(tag) for tag in (first, second)]
    if None in parts:
        return ""
    names = ("theme_assist's segmentation version", "--unit", "--max-chars")
    said = [f"{name} {ours} vs {theirs}" for name, ours, theirs in zip(names, parts[0].groups(), parts[1].groups())
            if ours != theirs]
    versions = sorted(int(part.group(1)) for part in parts)
    changes = [VERSION_CHANGES[version] for version in range(versions[0] + 1, versions[1] + 1)
               if version in VERSION_CHANGES]
    if changes:  # what the later version reads otherwise: whether the user's transcripts are touched
        said[0] += f" ({'; '.join(changes)})"
    return ", ".join(said)


def options_of(tag: str) -> tuple[str, int | None] | None:
    """The ``--unit`` and ``--max-chars`` (None for no longest length) that made segmentation ``tag`` under this
    version or an earlier one whose options mean the same (:data:`OPTIONS_SINCE`: a project made under version 1
    is given transcripts segmented with its options by this version's readers); None for a tag of another version
    or not of :func:`segmentation_tag`'s form."""
    parts = _TAG.fullmatch(tag)
    if parts is None or not OPTIONS_SINCE <= int(parts.group(1)) <= SEGMENTATION_VERSION:
        return None
    return parts.group(2), None if parts.group(3) == "none" else int(parts.group(3))


def segmented_alike(segments: pd.DataFrame, tag: str, files: Mapping[str, str] | None = None,
                    source: str = "") -> bool:
    """Whether the segmentation ``tag`` makes the segments of ``segments`` (a segments table of one other tag, with
    the columns suggest --segments-out writes) of their documents, with the same ids, as far as the table goes.

    True only where the two tags have one ``--unit`` and

    - are of two versions whose only difference the table shows touches none of its documents
      (:func:`across_versions`; ``files``: each document's file, where the caller read it), and
    - have one ``--max-chars``, or differ in it alone with unit ``turn`` and each document's rows are its first
      segments, one per turn, none longer than the smaller limit: then neither limit split a turn, and the turns,
      their positions and so their ids are the same under both.

    False where the table cannot show it. Where it is True across versions and ``source`` names the table (or the
    file the caller checks against it), a warning says that its ids are read as the other version's.
    """
    tags = segmentation_tags(segments)
    parts = [_TAG.fullmatch(tags[0]) if len(tags) == 1 else None, _TAG.fullmatch(tag)]
    if None in parts or parts[0].group(2) != parts[1].group(2):
        return False
    if parts[0].group(1) != parts[1].group(1) and across_versions(segments, tag, files) != "":
        return False
    if parts[0].group(3) != parts[1].group(3) and not _split_no_turn(segments, parts):
        return False
    if parts[0].group(1) != parts[1].group(1) and source:
        logger.warning("%s: segment ids of segmentations %s and %s read as one: the documents are plain-text "
                       "transcripts without a heading after their first turn, which version 2 segments as version 1 "
                       "did", source, *sorted((tags[0], tag)))
    return True


def _split_no_turn(segments: pd.DataFrame, parts: list[re.Match]) -> bool:
    """Whether each document's rows of ``segments`` are its first segments, one per turn, none longer than the
    smaller ``--max-chars`` of the tags ``parts``, with unit ``turn`` (see :func:`segmented_alike`)."""
    if parts[0].group(2) != "turn" or not {"document", "start", "end", "turn", "position"} <= set(segments.columns):
        return False
    numbers = segments[["start", "end", "turn", "position"]].apply(pd.to_numeric, errors="coerce")
    if numbers.isna().any(axis=None):
        return False
    for _, rows in numbers.groupby(segments["document"].to_numpy(), sort=False):
        if sorted(rows["position"]) != list(range(len(rows))) or rows["turn"].duplicated().any():
            return False  # a document's earlier segment missing, or a turn split: the ids may differ
    limit = min(float("inf") if part.group(3) == "none" else int(part.group(3)) for part in parts)
    return bool((numbers["end"] - numbers["start"] <= limit).all())


def across_versions(segments: pd.DataFrame, tag: str, files: Mapping[str, str] | None = None) -> str | None:
    """Why ``segments`` (a segments table of one segmentation tag) may hold a document that segmentation ``tag``,
    of another :data:`SEGMENTATION_VERSION`, segments otherwise, naming the first such document
    (``"iv_03.vtt: subtitles"``); empty where the table shows that none is; None where there is nothing a table
    could show: ``segments`` not of one tag, or tags of one version, of other ``--unit`` values, or of versions
    that differ in more than version 2's change.

    Only version 2's changes can be shown not to touch a document (:data:`VERSION_CHANGES`): it must be a
    plain-text transcript (its name, or its file in ``files``, a mapping of document to the file it was read from,
    ends in a suffix the plain-text reader reads: not subtitles, nor a Word document, whose headings are styles a
    table does not show), each of its segments from the first is in the table (a ``position`` column counts them),
    and no line of their texts is one the reader takes for a heading
    (:func:`~theme_assist.ingest.speakers.heading_in`): version 1 joined it to the turn above, version 2 starts a
    turn there. A table without ``document``, ``text`` and ``position`` shows nothing.
    """
    from theme_assist.ingest.speakers import heading_in

    tags = segmentation_tags(segments)
    parts = [_TAG.fullmatch(tags[0]) if len(tags) == 1 else None, _TAG.fullmatch(tag)]
    if None in parts or parts[0].group(2) != parts[1].group(2):
        return None
    first, last = sorted(int(part.group(1)) for part in parts)
    if first == last or first < OPTIONS_SINCE or set(range(first + 1, last + 1)) != {2}:
        return None
    if not {"document", "text", "position"} <= set(segments.columns):
        return "the table has no document, text and position columns to show its documents by"
    segments = segments.reset_index(drop=True)
    positions = pd.to_numeric(segments["position"], errors="coerce")
    suffixes = _plain_text_suffixes()
    for document, rows in segments.groupby(segments["document"].astype(str).to_numpy(), sort=False):
        suffix = _file_suffix(document, files)
        name = document if document.lower().endswith(suffix) else f"{document}{suffix}"
        if suffix in (".vtt", ".srt"):
            return f"{name}: subtitles"
        if suffix not in suffixes:
            return f"{name}: " + ("a Word document, whose headings are styles a table does not show"
                                  if suffix in (".docx", ".odt", ".doc") else
                                  f"not a plain-text transcript ({', '.join(suffixes)})" if suffix else
                                  "named without its file's extension, so the table cannot show that it is a "
                                  f"plain-text transcript ({', '.join(suffixes)}), not subtitles or a Word document")
        if sorted(positions[rows.index]) != list(range(len(rows))):
            return f"{name}: its segments from the first are not all in the table"
        for segment_id, text in zip(rows["segment_id"] if "segment_id" in rows else rows.index, rows["text"]):
            heading = heading_in(str(text))
            if heading is not None:
                return f"{name}: a heading, {heading!r} (segment {segment_id}), which version 2 starts a turn at"
    return ""


def _file_suffix(document: str, files: Mapping[str, str] | None) -> str:
    """The suffix of the file ``document`` was read from (``files``: document → file), else of its name where that
    ends in one a reader is registered for or a Word document's (``""`` for ``fg_1.2``: a dot of its name)."""
    from theme_assist.ingest.registry import readers

    if files and document in files:
        return Path(str(files[document])).suffix.lower()
    suffix = Path(document).suffix.lower()
    return suffix if suffix in {*readers.get_all(), ".doc", ".odt"} else ""


def _plain_text_suffixes() -> list[str]:
    """The file suffixes the plain-text reader is registered for (``.txt``), sorted."""
    from theme_assist.ingest.plain_text import read_plain_text
    from theme_assist.ingest.registry import readers

    return sorted(suffix for suffix, reader in readers.get_all().items() if reader is read_plain_text)


def other_segmentation(table: pd.DataFrame, current: str) -> str | None:
    """The segmentation tag a table with segment ids carries (its :data:`SEGMENTATION_COLUMN`) where it is not
    ``current``, the first in sorted order if several; ``None`` for a table without the column, with it empty, or
    made by the ``current`` segmentation."""
    tags = [tag for tag in segmentation_tags(table) if tag != current]
    return tags[0] if tags else None


def same_turns(first: str, second: str) -> bool:
    """Whether segmentation tags ``first`` and ``second`` number a document's turns alike, but for turns whose texts
    differ: tags of one :data:`SEGMENTATION_VERSION`, whose readers make the turns that ``--unit`` and
    ``--max-chars`` only split, or of two versions from :data:`OPTIONS_SINCE` on, whose readers differ only in
    subtitle transcripts (version 2 joins a speaker's consecutive cues) and transcripts with a heading after their
    first turn (version 2 starts a turn there), where a turn's number may name another turn: a caller checks that
    each turn says the text it had (``_texts_in_their_turns`` of :mod:`theme_assist.project.build`)."""
    if first.split("-", 1)[0] == second.split("-", 1)[0]:
        return True
    parts = [_TAG.fullmatch(tag) for tag in (first, second)]
    return None not in parts and all(OPTIONS_SINCE <= int(part.group(1)) <= SEGMENTATION_VERSION for part in parts)


def segmentation_tags(table: pd.DataFrame) -> list[str]:
    """The segmentation tags a table with segment ids carries (its :data:`SEGMENTATION_COLUMN`), sorted, empty
    cells aside; none for a table without the column."""
    if SEGMENTATION_COLUMN not in table:
        return []
    return sorted(set(table[SEGMENTATION_COLUMN].fillna("").astype(str).str.strip()) - {""})


def with_segmentation_of(table: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """``table`` (rows naming segments of ``segments`` by ``segment_id``) with their segments'
    :data:`SEGMENTATION_COLUMN` as its last column (empty where ``segments`` has none)."""
    tags = (dict(zip(segments["segment_id"], segments[SEGMENTATION_COLUMN])) if SEGMENTATION_COLUMN in segments
            else {})
    return table.assign(**{SEGMENTATION_COLUMN: table["segment_id"].map(tags).fillna("")})


SHOWN_SPEAKERS = 10
"""Speakers a warning about a skipped speaker's name that matches none lists, most turns first."""


def ranked_names(values: pd.Series) -> list[dict]:
    """The non-empty ``values`` as ``{"name", "segments"}``, most segments first (then by name)."""
    counts = values[values != ""].value_counts()
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"name": name, "segments": int(n)} for name, n in ranked]


def check_speaker_names(names, option: str = "skip_speakers") -> None:
    """Refuse ``names`` of speakers to skip that are one string (a name read letter by letter), hold an empty name
    or a name holding a control character (Unicode category Cc: a line break, a tab, an escape), which would be
    stored and echoed as given, naming them as ``option`` (the parameter, or a command's ``--skip-speaker``). The
    names a project already stores are not checked again when it is read (:func:`speaker_turns`): a project that
    stores such a name stays readable."""
    _check_names_listed(names, option)
    for name in names:
        if any(unicodedata.category(char) == "Cc" for char in str(name)):
            raise InputError(f"{option} {str(name)!r} holds a control character (a line break, a tab, an escape); "
                             "give each speaker's name as the transcripts write it")


def _check_names_listed(names, option: str) -> None:
    """The part of :func:`check_speaker_names` a project's stored names pass too: a list of non-empty names."""
    if isinstance(names, str):
        raise InputError(f"{option} must be a list of names, not the string {names!r}")
    if any(not str(name).strip() for name in names):
        raise InputError(f"{option} has an empty name; give each speaker's name as the transcripts write it")


def speaker_key(name) -> str:
    """What :func:`speaker_turns` matches a speaker's name by: surrounding spaces, case and Unicode form aside (a
    name typed 'Zoë' is the speaker a Mac's transcript writes 'Zoe' and a combining diaeresis)."""
    return unicodedata.normalize("NFC", str(name).strip()).casefold()


def unique_speakers(names) -> list[str]:
    """``names`` (checked by :func:`check_speaker_names`), one per speaker they match, stripped and kept as first
    given: "Interviewer" and " interviewer" are one speaker, "Interviewer"."""
    check_speaker_names(names)
    first_given: dict[str, str] = {}
    for name in names:
        first_given.setdefault(speaker_key(name), str(name).strip())
    return list(first_given.values())


def speaker_turns(speakers: pd.Series, names, warn: bool = True) -> "np.ndarray":
    """Which segments are turns of the speakers ``names`` (the interviewer, the moderator: ``--skip-speaker``),
    matched with surrounding spaces, case and Unicode form ignored; a warning, listing the speakers, for each name
    that matches no segment's speaker (unless not ``warn``: a project's names, warned of when it was made).

    Parameters
    ----------
    speakers : Series of str
        The segments' ``speaker`` column ("" where none).
    names : sequence of str
        The speakers to find; none gives no segment.
    warn : bool
        Whether to warn of a name that matches no segment's speaker.

    Returns
    -------
    ndarray of bool
        One value per segment, in order.
    """
    import warnings

    import numpy as np

    _check_names_listed(names, "skip_speakers")
    speakers = speakers.fillna("").astype(str)
    if not len(names):
        return np.zeros(len(speakers), dtype=bool)
    keys = speakers.map(speaker_key)
    wanted = {speaker_key(name): str(name) for name in names}
    present = set(keys)
    for key, name in wanted.items():
        if warn and key not in present:
            listed = ranked_names(speakers.str.strip())
            shown = ", ".join(item["name"] for item in listed[:SHOWN_SPEAKERS])
            more = f" and {len(listed) - SHOWN_SPEAKERS} more" if len(listed) > SHOWN_SPEAKERS else ""
            warnings.warn(f"skip speaker {name!r}: no segment has this speaker (speakers: "
                          f"{shown or 'none, the segments have no speaker'}{more})")
    return keys.isin(wanted).to_numpy()


def check_unit(unit: str) -> None:
    """Refuse a segmentation unit no segmenter is registered for, in one line naming the choices."""
    if unit not in segmenters:
        choices = ", ".join(sorted(segmenters.get_all()))
        raise InputError(f"unknown segmentation unit {unit!r}; choose one of: {choices}")


def _segmenter(unit: str) -> Segmenter:
    check_unit(unit)
    return segmenters.get(unit)


def _strip(text: str, start: int, end: int) -> Span:
    """The span without leading and trailing whitespace (``start == end`` if it is all whitespace)."""
    piece = text[start:end]
    stripped_start = start + len(piece) - len(piece.lstrip())
    return stripped_start, max(stripped_start, end - (len(piece) - len(piece.rstrip())))


def _limit_length(text: str, start: int, end: int, max_chars: int | None) -> list[Span]:
    """A stripped span split into stripped, non-empty pieces of at most ``max_chars``: whole sentences where
    they fit, words otherwise. An empty span gives no piece."""
    if start == end:
        return []
    if max_chars is None or end - start <= max_chars:
        return [(start, end)]
    pieces: list[Span] = []
    for sentence in _sentences(text, start, end):
        sentence_start, sentence_end = _strip(text, *sentence)
        if sentence_end - sentence_start > max_chars:
            pieces.extend(_pack(_words(text, sentence_start, sentence_end, max_chars), max_chars))
        elif sentence_start < sentence_end:
            pieces.append((sentence_start, sentence_end))
    return _pack(pieces, max_chars)


def _words(text: str, start: int, end: int, max_chars: int) -> list[Span]:
    """The words of ``text[start:end]``, a word longer than ``max_chars`` cut into pieces of that length."""
    return [
        (cut, min(cut + max_chars, word.end()))
        for word in _WORD.finditer(text, start, end)
        for cut in range(word.start(), word.end(), max_chars)
    ]


def _pack(pieces: list[Span], max_chars: int) -> list[Span]:
    """Merge consecutive pieces (each at most ``max_chars``) greedily into spans of at most ``max_chars``."""
    packed: list[Span] = []
    for start, end in pieces:
        if packed and end - packed[-1][0] <= max_chars:
            packed[-1] = (packed[-1][0], end)
        else:
            packed.append((start, end))
    return packed


def _sentences(text: str, start: int, end: int) -> list[Span]:
    """Sentence spans of ``text[start:end]`` from spaCy's sentencizer, given at most :data:`SENTENCIZER_CHUNK`
    characters at a time: a longer text is cut after a space, and the last sentence before the cut, which may go
    on past it, is read again with what follows."""
    spans: list[Span] = []
    while end - start > SENTENCIZER_CHUNK:
        cut = _after_last_space(text, start, start + SENTENCIZER_CHUNK)
        sentences = _sentencized(text, start, cut)
        if len(sentences) > 1:
            sentences.pop()
            start = sentences[-1][1]
        else:  # one sentence longer than a chunk: it is cut here
            start = cut
        spans += sentences
    return spans + _sentencized(text, start, end)


def _sentencized(text: str, start: int, end: int) -> list[Span]:
    """Sentence spans of ``text[start:end]``; opening marks that end a sentence (:data:`_OPENING_MARKS`) open the
    next one instead."""
    doc = _sentencizer()(_LONG_TOKEN.sub(_as_letters, text[start:end]))
    spans = [(start + sentence.start_char, start + sentence.end_char) for sentence in doc.sents]
    for i in range(len(spans) - 1):
        opening = _OPENING_MARKS.search(text, *spans[i])
        if opening and opening.start() > spans[i][0]:
            spans[i], spans[i + 1] = (spans[i][0], opening.start()), (opening.start(1), spans[i + 1][1])
    return spans


def _as_letters(token: re.Match) -> str:
    """The middle of a long token as letters, its length (and so every offset) kept (:data:`_LONG_TOKEN`)."""
    word = token.group()
    return word[:_TOKEN_ENDS] + "x" * (len(word) - 2 * _TOKEN_ENDS) + word[-_TOKEN_ENDS:]


def _after_last_space(text: str, start: int, end: int) -> int:
    """The offset just after the last whitespace character of ``text[start:end]``; ``end`` if it has none."""
    match = _LAST_SPACE.search(text, start, end)
    return match.end() if match else end


@lru_cache(maxsize=1)
def _sentencizer():
    """A blank English spaCy pipeline with the rule-based sentencizer (no model download), built once."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = _SPACY_MAX_LENGTH
    return nlp
