"""Creating a project file and filling it from transcripts, a codebook, a coded CSV or a REFI-QDA file."""

from __future__ import annotations

import logging
import shlex
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from theme_assist.codebook import Codebook
from theme_assist.documents import Document
from theme_assist.errors import InputError, listed
from theme_assist.ingest.speakers import without_closing_timestamp
from theme_assist.inputs import TABLE_SUFFIXES, read_table, whole_numbers
from theme_assist.names import has_visible_character, name_key
from theme_assist.project.store import ProjectStore
from theme_assist.refi.assemble import human_codings
from theme_assist.refi.spans import newline_offsets, with_spans
from theme_assist.segment import (SEGMENTATION_COLUMN, across_versions, other_segmentation, same_turns,
                                  segmented_alike)

logger = logging.getLogger(__name__)

PLACING_COLUMNS = ("segment_id", "document", "turn", "start", "end", "text", "coder", "segmentation")
"""The columns of a coded table that :func:`codings_for_segments` places its rows by (matched apart from case)."""


def codings_for_segments(coded: pd.DataFrame, segments: pd.DataFrame, source: str, *,
                         documents: list[Document], segmentation: str | None = None) -> pd.DataFrame:
    """Place the rows of a coded table on the project's segments: ``segment_id``, ``code``, ``coder``.

    ``documents`` are the project's documents, whose texts the segments' ``start`` and ``end`` count.
    ``segmentation``: the :func:`~theme_assist.segment.segmentation_tag` of ``segments``. A table that carries
    another (a ``segmentation`` column written by another version of theme_assist, or with other segmenting
    options) names other segments by the same ids: its rows are placed by ``document`` and ``turn`` where its tag
    is of this version (other options split the same turns), else by their text (and span, if it has one), which
    is said in a warning; a table with neither is refused.

    A row is placed, in this order of preference, by

    * its ``segment_id`` when every id is the project's (a ``text`` column, if any, must then be the segment's);
    * ``document`` and ``turn``: every segment of that speaker turn (the layout of a reference coding such as
      ``corpora/demo/reference_coding.csv``; a ``text`` column, if any, must be said in that turn);
    * ``document``, ``start`` and ``end``: every segment the span overlaps by half (the ``codings.csv`` of
      ``import-qdpx``; see :func:`codings_on_overlapping_segments`), once checked and moved onto the text the
      segments count (see :func:`_spans_on_read_texts`);
    * its ``text``: the segments with that text, spaces aside (the ``text, code`` table ``suggest --train`` reads),
      within its ``document`` if there is one; a text said twice in one document is refused as ambiguous.

    Rows with an empty code are skipped.
    """
    coded = coded[coded["code"].astype(str).str.strip() != ""].copy()
    coded["code"] = coded["code"].astype(str).str.strip()
    coder = coded["coder"].astype(str).str.strip() if "coder" in coded else pd.Series("", index=coded.index)
    # a name of zero-width or formatting characters alone reads as none, as the review page and agree read it
    coder = coder.where(coder.map(has_visible_character), "")
    if (coder != "").any() and (coder == "").any():
        logger.warning("%s: %d coded row(s) have no coder; they count as one more coder named by the file (%s)",
                       source, int((coder == "").sum()), Path(source).name)
    coded = coded.assign(coder=coder)
    columns = set(coded.columns)
    moved = other_segmentation(coded, segmentation) if segmentation is not None else None
    files = {document.id: document.source for document in documents}
    tagged = segments.assign(**{SEGMENTATION_COLUMN: segmentation})
    if moved is not None and segmented_alike(tagged, moved, files, source):
        moved = None  # the transcripts are segmented as the table's version did: its ids name the same segments
    if moved is not None and not _ids_name_their_texts(coded, segments):
        columns -= _place_otherwise(coded, segments, moved, segmentation, source,
                                    across_versions(tagged, moved, files))
    if "segment_id" in columns and coded["segment_id"].astype(str).isin(set(segments["segment_id"])).all():
        placed = coded.assign(segment_id=coded["segment_id"].astype(str))
        if "text" in coded:
            _check_texts(placed, segments, source)
        return placed[["segment_id", "code", "coder"]].reset_index(drop=True)
    if "document" in coded:
        _refuse_unknown_documents(coded, segments, source)
    if {"document", "turn"} <= columns:
        placed = _by_turn(coded, segments, source)
    elif {"document", "start", "end"} <= columns:
        spans = coded.assign(document=coded["document"].astype(str),
                             **{column: whole_numbers(coded[column], column, source) for column in ("start", "end")})
        placed = codings_on_overlapping_segments(_spans_on_read_texts(spans, documents, source), segments)
    elif "text" in columns:
        placed = _by_text(coded, segments, source)
    else:
        ids = coded["segment_id"].astype(str) if "segment_id" in columns else pd.Series(dtype=str)
        unknown = ids[~ids.isin(set(segments["segment_id"]))]
        named = (f" ({len(unknown)} of its {len(ids)} rows name none, the first {unknown.iloc[0]!r})"
                 if len(unknown) else "")
        raise InputError(f"{source}: cannot place its codings on the project's segments: it needs the project's "
                         f"segment_id values{named}, document and turn, document, start and end, or the segments' "
                         "text")
    return placed[["segment_id", "code", "coder"]].reset_index(drop=True)


def _place_otherwise(coded: pd.DataFrame, segments: pd.DataFrame, moved: str, segmentation: str,
                     source: str, unshown: str | None = None) -> set[str]:
    """The columns not to place the rows of a table made by segmentation ``moved`` by: its segment ids, and its
    turns unless ``moved`` numbers turns as this version does (:func:`~theme_assist.segment.same_turns`: a tag of
    this version, or of version 1, whose turns differ only in subtitles and at headings) and each row's text is its
    whole turn (:func:`_texts_in_their_turns`). Say in a warning what its rows are placed by instead
    (document and turn, or text); refuse a table without text, in one line saying what to do. ``unshown``: why the
    transcripts are not shown to be segmented as the table's version did
    (:func:`~theme_assist.segment.across_versions`), said too."""
    what = (f"{source}: its segment ids come from segmentation {moved}, and this project's transcripts are "
            f"segmented as {segmentation} (another version of theme_assist, or other --unit/--max-chars"
            + (f"; not shown to be segmented alike: {unshown})" if unshown else ")"))
    if "text" not in coded or (coded["text"].astype(str).str.strip() == "").all():
        raise InputError(f"{what}, so its ids may name other segments, and it has no text to place its rows by: "
                         "export the segments with this version (suggest --segments-out) and map your codes onto "
                         "them by their text, or use the theme_assist version and options that made the table")
    if same_turns(moved, segmentation) and _texts_in_their_turns(coded, segments):
        logger.warning("%s: its rows are placed by document and turn, not by segment_id", what)
        return {"segment_id"}
    logger.warning("%s: its rows are placed by their text, not by segment_id", what)
    return {"segment_id", "turn"}


def _texts_in_their_turns(coded: pd.DataFrame, segments: pd.DataFrame) -> bool:
    """Whether every row of a coded table has ``document``, ``turn`` and a ``text`` that is that whole turn of the
    project (:func:`_said_in_their_turns`): a table of turns of other ``--unit``/``--max-chars`` (a turn table into
    a sentence project) whose turns are the project's. A row finer than its turn (a sentence) is not placed on the
    whole turn: by its text."""
    return ({"document", "turn", "text"} <= set(coded.columns)
            and bool(_said_in_their_turns(coded, segments, whole=True).all()))


def _said_in_their_turns(coded: pd.DataFrame, segments: pd.DataFrame, whole: bool = False) -> pd.Series:
    """Whether the ``text`` of each row of a coded table and the turn of the project that its ``document`` and
    ``turn`` name (its segments' texts put together) say the same, spaces aside (the sentencizer may split
    "[laughter]" after its bracket): the text is in the turn, or ends with it (a transcript's line after its
    speaker's label, "Dana: …"); with ``whole``, the text is the turn. A text that closes with a timestamp the
    segments leave out is said there too (see :func:`_as_segments_say`). An empty text is said nowhere."""
    turns = (segments.assign(text=_without_spaces(segments["text"]), turn=segments["turn"].astype(int))
             .groupby(["document", "turn"], sort=False)["text"].agg("".join))
    said = dict(zip(turns.index, turns))
    numbers = pd.to_numeric(coded["turn"].astype(str).str.strip(), errors="coerce")
    keys = [(document, int(n) if n == n and float(n).is_integer() else None)
            for document, n in zip(coded["document"].astype(str), numbers)]

    def same(text: str, turn: str) -> bool:
        return bool(text) and bool(turn) and (text == turn if whole else text in turn or text.endswith(turn))

    def in_turns(texts: pd.Series) -> pd.Series:
        return pd.Series([same(text, said.get(key, "")) for key, text in zip(keys, _without_spaces(texts))],
                         index=texts.index, dtype=bool)

    return in_turns(_as_segments_say(coded["text"].astype(str), in_turns))


def _as_segments_say(texts: pd.Series, found: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``texts``, each less a timestamp that closes it (``... #00:01:02-3#``, which segments leave out, as
    transcripts were once read) where ``found`` (a boolean Series of its argument's rows: is the text the
    segment's?) does not find it as it is."""
    return texts.where(found(texts), texts.map(without_closing_timestamp))


def _without_spaces(texts: pd.Series) -> pd.Series:
    return texts.astype(str).str.replace(r"\s+", "", regex=True)


def _spans_on_read_texts(spans: pd.DataFrame, documents: list[Document], source: str) -> pd.DataFrame:
    """``spans`` (``document``, ``start``, ``end``, optional ``text``) checked and moved onto the documents' texts.

    The transcript reader turns ``\\r\\n`` into ``\\n``, but the offsets of a ``codings.csv`` from ``import-qdpx``
    count the ``.txt`` files of its ``documents/`` as written, ``\\r\\n`` as two characters (as REFI-QDA does). Spans
    are therefore read as offsets into each text as its file holds it (:func:`_as_on_disk`), and a row's ``text``
    must be found there, or, for offsets counted in the normalised text, at those offsets of that text
    (:func:`~theme_assist.refi.spans.with_spans`); a row without ``text`` is taken to count the file.
    """
    by_id = {document.id: document for document in documents}
    on_disk = {name: _as_on_disk(by_id[name]) for name in spans["document"].unique()}
    spans = with_spans(spans, on_disk, label=source)
    for name, rows in spans.groupby("document"):
        if on_disk[name] is not by_id[name]:
            origin = newline_offsets(on_disk[name].text)[1]
            for column in ("start", "end"):
                spans.loc[rows.index, column] = [bisect_left(origin, offset) for offset in rows[column]]
    return spans


def _as_on_disk(document: Document) -> Document:
    """``document`` with the text of its UTF-8 ``.txt`` file as the file holds it, before the transcript reader
    turned its ``\\r\\n`` and lone ``\\r`` into ``\\n``; ``document`` itself where no line end was turned (a document
    from a REFI-QDA project keeps its ``\\r``; tables, Word and subtitle files have no such file text), the file is
    in another encoding (``import-qdpx`` writes UTF-8) or it no longer reads as the document."""
    path = Path(document.source)
    if "\r" in document.text or path.suffix.lower() != ".txt":
        return document
    try:
        data = path.read_bytes()
        if b"\r" not in data:
            return document
        text = data.decode("utf-8").lstrip("\ufeff")
    except (OSError, UnicodeDecodeError):
        return document
    return replace(document, text=text) if newline_offsets(text)[0] == document.text else document


def _refuse_unknown_documents(coded: pd.DataFrame, segments: pd.DataFrame, source: str) -> None:
    """Refuse rows whose ``document`` the project does not have, saying how the project names its documents (a
    reference coding made before the transcripts went into per-site folders names ``fg_butabika_01``, the project
    ``butabika/fg_01``)."""
    known = segments["document"].astype(str)
    unknown = ~coded["document"].astype(str).isin(set(known))
    if unknown.any():
        names = sorted(set(coded.loc[unknown, "document"].astype(str)))
        how = ("its path in the input folder less the suffix, as --recursive reads sub-folders" if "/" in known.iloc[0]
               else "its file name less the suffix")
        raise InputError(f"{source}: document {names[0]!r} is not in the project ({int(unknown.sum())} rows name "
                         f"{len(names)} document(s) it does not have): a document of the project is named by {how} "
                         f"({known.iloc[0]!r}); name the documents so in the table")


def _by_turn(coded: pd.DataFrame, segments: pd.DataFrame, source: str) -> pd.DataFrame:
    keys = segments[["segment_id", "document", "turn"]].assign(turn=segments["turn"].astype(int))
    coded = coded.assign(turn=whole_numbers(coded["turn"], "turn", source))
    if "text" in coded:
        _check_turn_texts(coded, segments, source)
    placed = coded.drop(columns=["segment_id"], errors="ignore").merge(keys, on=["document", "turn"], how="left",
                                                                     indicator=True)
    unplaced = placed[placed["_merge"] == "left_only"]
    if len(unplaced):
        row = unplaced.iloc[0]
        raise InputError(f"{source}: document {row['document']!r} has no turn {row['turn']} in the project "
                         f"({len(unplaced)} rows cannot be placed)")
    return placed


def _check_turn_texts(coded: pd.DataFrame, segments: pd.DataFrame, source: str) -> None:
    """Refuse a row whose ``text`` is not said in the turn of the project its ``document`` and ``turn`` name (a
    table of another project's turns: one made from a SEGMENTS.csv numbers its rows as turns); rows without
    text are not checked."""
    differs = ~_said_in_their_turns(coded, segments) & (coded["text"].astype(str).str.strip() != "")
    if differs.any():
        row = coded[differs].iloc[0]
        raise InputError(f"{source}: turn {row['turn']} of document {row['document']!r} in the project does not say "
                         f"the text {_quoted(_same_text(pd.Series([row['text']])).iloc[0])} ({int(differs.sum())} "
                         "rows differ): were the table's turns numbered in other transcripts? (a project made from "
                         "a SEGMENTS.csv numbers its rows as turns: make it from the transcripts, with --unit and "
                         "--max-chars, or give the table that SEGMENTS.csv's segment_id values)")


def _same_text(texts: pd.Series) -> pd.Series:
    return texts.astype(str).str.split().str.join(" ")


def _texts_differ(placed: pd.DataFrame, segments: pd.DataFrame) -> pd.Series:
    """Whether each row's ``text`` differs from that of the segment its ``segment_id`` names (or the id is none of
    the segments'); a text that closes with a timestamp the segment leaves out is the segment's
    (:func:`_as_segments_say`)."""
    expected = placed["segment_id"].astype(str).map(dict(zip(segments["segment_id"], _same_text(segments["text"]))))
    return expected.isna() | (_as_segments_say(_same_text(placed["text"]), expected.eq) != expected)


def _ids_name_their_texts(coded: pd.DataFrame, segments: pd.DataFrame) -> bool:
    """Whether every row of a table with ``segment_id`` and ``text`` names a segment of that text: then its ids
    mean the project's segments, whatever segmentation tag it carries (other options that split no turn here)."""
    return {"segment_id", "text"} <= set(coded.columns) and not _texts_differ(coded, segments).any()


def _check_texts(placed: pd.DataFrame, segments: pd.DataFrame, source: str) -> None:
    """Refuse a row whose ``text`` is not the text of the segment its ``segment_id`` names (a table from another
    segmentation, whose ids happen to exist here too; see :func:`_texts_differ`)."""
    differs = _texts_differ(placed, segments)
    if differs.any():
        row = placed[differs].iloc[0]
        raise InputError(f"{source}: the text of segment {row['segment_id']!r} is not the project's "
                         f"({int(differs.sum())} rows differ): was the table made from another segmentation?")


def _by_text(coded: pd.DataFrame, segments: pd.DataFrame, source: str) -> pd.DataFrame:
    keys = ["text", "document"] if "document" in coded else ["text"]
    index = segments[["segment_id", *keys]].assign(text=_same_text(segments["text"]))
    rows = coded.drop(columns=["segment_id"], errors="ignore").assign(text=_same_text(coded["text"]),
                                                                      row=range(len(coded)))
    known = index[keys].drop_duplicates()

    def found(texts: pd.Series) -> pd.Series:
        matched = rows[keys].assign(text=texts).merge(known, on=keys, how="left", indicator=True)["_merge"]
        return pd.Series(matched.eq("both").to_numpy(), index=texts.index)

    placed = rows.assign(text=_as_segments_say(rows["text"], found)).merge(index, on=keys, how="left",
                                                                          indicator=True)
    unplaced = placed[placed["_merge"] == "left_only"]
    if len(unplaced):
        text = rows["text"].iloc[unplaced.iloc[0]["row"]]
        raise InputError(f"{source}: no segment of the project has the text {_quoted(text)} ({len(unplaced)} rows "
                         "cannot be placed)")
    document = segments.set_index("segment_id")["document"]
    placed = placed.assign(in_document=placed["segment_id"].map(document))
    ambiguous = placed[placed.duplicated(["row", "in_document"], keep=False)]
    if len(ambiguous):
        first = ambiguous[ambiguous["row"] == ambiguous["row"].iloc[0]]
        raise InputError(f"{source}: the text {_quoted(first['text'].iloc[0])} is said {len(first)} times in document "
                         f"{first['in_document'].iloc[0]!r} ({', '.join(first['segment_id'])}): give the rows "
                         "segment_id, or document and turn, to say which")
    return placed


def _quoted(text: str) -> str:
    return f"{text[:60]!r}{'…' if len(text) > 60 else ''}"


def _tag_of_segments_table(path) -> str:
    """The segmentation tag of a ``SEGMENTS.csv`` whose ids a project's segments keep: its ``segmentation``
    column's one tag, or empty (not known) for a table without one, with several, or a folder of tables."""
    from theme_assist.segment import SEGMENTATION_COLUMN, segmentation_tags

    path = Path(path)
    if not (path.is_file() and path.suffix.lower() in TABLE_SUFFIXES):
        return ""
    tags = segmentation_tags(read_table(path, optional=(SEGMENTATION_COLUMN,)))
    return tags[0] if len(tags) == 1 else ""


def create_project(path: str | Path, codebook: Codebook | None = None, input: str | Path | None = None,
                   metadata: str | Path | None = None, coded: str | Path | None = None,
                   qdpx: str | Path | None = None, unit: str = "turn", max_chars: int = 1000,
                   codebook_file: str | Path | None = None, recursive: bool = False,
                   skip_speakers: tuple[str, ...] = ()) -> ProjectStore:
    """Create a project file and fill it.

    Parameters
    ----------
    path : str or Path
        The new project file (must not exist).
    codebook : Codebook, optional
        The codebook; required unless ``qdpx`` brings one.
    input : str or Path, optional
        A transcript file or folder, or a ``SEGMENTS.csv`` (read by :func:`theme_assist.ingest.read_documents`).
    metadata : str or Path, optional
        Metadata table joined to the transcripts.
    coded : str or Path, optional
        Human codings (``segment_id``, ``code`` or ``document``, ``turn``, ``code``; optional ``coder``).
    qdpx : str or Path, optional
        A REFI-QDA project whose texts, codebook (unless ``codebook`` is given) and codings are imported; its
        texts are segmented by ``unit`` and each coding lands on the segments its span overlaps. Its codes take
        the ids of ``codebook``'s codes with the same guid or name (as ``import-qdpx --codebook`` gives them).
    unit, max_chars
        Segmentation of the transcripts (see :func:`theme_assist.segment.segment_documents`).
    codebook_file : str or Path, optional
        The YAML ``codebook`` was read from. It, ``input``, ``metadata``, ``coded`` and ``qdpx`` are recorded
        (:meth:`ProjectStore.inputs`) so that an export never writes over them.
    recursive : bool
        Read the sub-folders of an ``input`` folder too (ids such as ``butabika/fg_01``; see
        :func:`theme_assist.ingest.read_documents`).
    skip_speakers : tuple of str
        Speakers (the interviewer, the moderator) whose turns get no suggestion and wait in no review queue
        (:meth:`ProjectStore.skipped_segment_ids`), matched as ``suggest --skip-speaker`` matches them; a warning
        for each name no segment's speaker has.

    Returns
    -------
    ProjectStore
        The open project. On any error the half-made file is removed, with any folder made for it.
    """
    from theme_assist.ingest import read_documents
    from theme_assist.ingest.decoding import refuse_name_not_utf8
    from theme_assist.segment import check_speaker_names, segment_documents, segmentation_tag, speaker_turns

    check_speaker_names(skip_speakers)
    ProjectStore.refuse_existing(path)  # before the inputs are read, which may take minutes and warn
    inputs = {"--codebook": codebook_file, "--input": input, "--metadata": metadata, "--coded": coded, "--qdpx": qdpx}
    for given in inputs.values():
        if given is not None:
            refuse_name_not_utf8(str(given), given, "the project keeps the names of the files it is made from")
    imported = None
    ids_from_names = qdpx is not None and codebook is None
    if qdpx is not None:
        from theme_assist.refi import read_project

        imported = read_project(qdpx, known=codebook)  # a code of the given codebook keeps its id
        # a --qdpx without codes made a project that no command, nor a new init over it, would open again
        codebook = codebook or (imported.codebook if imported.codebook.codes else None)
    if codebook is None:
        raise InputError("a project needs a codebook: give --codebook (or a --qdpx that has codes)")
    table = None
    if coded is not None:  # before the transcripts are read: a code not in the codebook is refused at once
        from theme_assist.inputs import resolved_path

        resolved_path("--coded", coded)  # a link that leads back to itself, named so, not as a file not there
        table = read_coded(coded, "to start without codings")
        if ids_from_names:
            _refuse_codes_the_qdpx_lacks(table, codebook, coded)
        else:
            from theme_assist.suggest import refuse_unknown_codes

            refuse_unknown_codes(table["code"].astype(str).str.strip(), codebook, source=coded)
    documents = list(imported.documents) if imported else []
    if input is not None:
        transcripts = read_documents(input, metadata=metadata, recursive=recursive)
        in_both = sorted({document.id for document in documents} & {document.id for document in transcripts})
        if in_both:
            raise InputError(f"document {in_both[0]!r} is both in --qdpx and --input")
        documents += transcripts
    if not documents and qdpx is not None:
        raise InputError(f"{qdpx} has no text source that could be read: give the transcripts with --input")
    if not documents:
        raise InputError("a project needs transcripts: give --input (a folder, a transcript or SEGMENTS.csv) or --qdpx")
    segments = segment_documents(documents, unit=unit, max_chars=max_chars)
    speaker_turns(segments["speaker"], skip_speakers)  # warns of a name no speaker has
    segmentation = segmentation_tag(unit, max_chars)
    if unit == "turn" and any(turn.id for document in documents for turn in document.turns):
        segmentation = _tag_of_segments_table(input)  # the segments keep a SEGMENTS.csv's own ids
    path = Path(path)
    store = ProjectStore(path, create=True)
    try:
        store.record_inputs(inputs)
        store.add_codebook_version(codebook, note="initial codebook")
        store.add_documents(documents)
        store.add_segments(segments)
        store.record_segmentation(segmentation)
        if skip_speakers:
            store.record_skip_speakers(skip_speakers)
        if imported is not None and len(imported.codings):
            human = human_codings(imported.codings, Path(qdpx).name)
            store.add_codings(codings_on_overlapping_segments(human, segments), source=Path(qdpx).name)
        if table is not None:
            store.add_codings(codings_for_segments(table, segments, str(coded), documents=documents,
                                                   segmentation=segmentation or None), source=Path(coded).name)
    except BaseException:
        store.discard()
        raise
    return store


def read_coded(coded: str | Path, without: str) -> pd.DataFrame:
    """The human codings of a ``--coded`` table, refused where no row has a code; ``without`` says what leaving
    out ``--coded`` does ("to start without codings")."""
    table = read_table(coded, required=("code",), optional=PLACING_COLUMNS, what="coded segments")
    table = human_codings(table, str(coded))
    if not (table["code"].astype(str).str.strip() != "").any():  # a header-only table is refused as well
        raise InputError(f"coded segments {coded}: no row has a code, so there is nothing to import from it "
                         f"(leave out --coded {without})")
    return table


@dataclass(frozen=True)
class Added:
    """What :func:`add_to_project` stored: how many documents, segments (``skipped``: of them, turns of a speaker
    the project skips) and imported codings; ``unchanged``: transcripts given that the project had already, with
    the same text, left as they are."""

    documents: int
    segments: int
    skipped: int
    codings: int
    unchanged: int


def add_to_project(store: ProjectStore, inputs: list[str | Path], metadata: str | Path | None = None,
                   coded: str | Path | None = None, recursive: bool = False) -> Added:
    """Add transcripts to a project, segmented as its own were, in one transaction: on any error (a file that
    cannot be read, Ctrl+C) nothing is stored. A transcript the project has already with the same id and text is
    left as it is (a team adding the next site's files from the one folder of all of them).

    Parameters
    ----------
    store : ProjectStore
        The open project.
    inputs : list of str or Path
        Transcript files or folders, or ``SEGMENTS.csv`` tables, read as ``project init --input`` reads one.
    metadata : str or Path, optional
        Metadata table joined to the new transcripts; it may have rows for the project's documents too (the
        study's one table), which are left as the project has them. Rows for documents neither has (a site still
        to come) are warned of, as ``project init`` warns of them.
    coded : str or Path, optional
        Human codings of the new transcripts, placed as ``project init --coded`` places them.
    recursive : bool
        Read the sub-folders of an input folder too.

    Returns
    -------
    Added
        What was stored, and how many transcripts given the project had already (``unchanged``); where it had
        every one (the same ``project add`` run again), nothing is stored.

    Raises
    ------
    InputError
        For a transcript whose id the project has with another text, or whose text it or another new transcript
        has under another id, a project whose segmentation this version cannot repeat, or codings that cannot be
        placed on the new segments. Nothing is stored.
    """
    addition = plan_addition(store, inputs, metadata=metadata, coded=coded, recursive=recursive)
    if addition.documents:
        with store.transaction():  # one: all of it is stored, or none
            addition.store_into(store)
    return addition.added()


@dataclass(frozen=True)
class Addition:
    """Transcripts read and segmented for a project, checked, not stored yet (:func:`plan_addition`)."""

    documents: list[Document]
    segments: pd.DataFrame
    codings: pd.DataFrame | None
    coded: str | Path | None
    given: dict[str, list]
    stored: frozenset[str]
    skipped: int
    unchanged: int

    def store_into(self, store: ProjectStore, position: int | None = None) -> None:
        """Store the documents, their segments and codings; inside the caller's transaction, if any; after the
        project's documents, or at ``position`` (:meth:`~theme_assist.project.store.ProjectStore.add_documents`)."""
        with store.transaction():
            # checked against the project as it was
            if set(store.documents(withdrawn=True)["document"]) != set(self.stored):
                raise InputError(f"{store.path.name} gained or lost documents while the transcripts were read "
                                 "(another project add at the same time?): run it again; nothing was added")
            store.add_documents(self.documents, position)
            store.add_segments(self.segments)
            if self.codings is not None:
                store.add_codings(self.codings, source=Path(self.coded).name)
            store.record_added_inputs({option: paths for option, paths in self.given.items() if paths})

    def added(self) -> Added:
        """What :meth:`store_into` stores, as :func:`add_to_project` says it."""
        return Added(len(self.documents), len(self.segments) if self.documents else 0, self.skipped,
                     0 if self.codings is None else len(self.codings), self.unchanged)


def plan_addition(store: ProjectStore, inputs: list[str | Path], metadata: str | Path | None = None,
                  coded: str | Path | None = None, recursive: bool = False,
                  prepare: Callable[[list[Document]], dict[str, Document]] | None = None) -> Addition:
    """Read, check and segment transcripts as :func:`add_to_project` adds them, storing nothing.

    ``prepare`` takes the documents read and returns those to add, by the id each was read as (``project replace``
    renames its one and gives it the replaced document's metadata), before they are checked against the project's
    and segmented. Where the
    project has every one already, the :class:`Addition` has no document. Raises as :func:`add_to_project`.
    """
    from theme_assist.ingest import attach_metadata, read_documents, read_metadata
    from theme_assist.ingest.decoding import refuse_name_not_utf8
    from theme_assist.ingest.metadata import rows_named
    from theme_assist.segment import options_of, segment_documents, segmentation_tag, speaker_turns

    options = options_of(store.segmentation)
    if options is None:
        made = (f"by segmentation {store.segmentation!r}, which this version of theme_assist does not make"
                if store.segmentation else "by a segmentation it does not record (a SEGMENTS.csv without a "
                "segmentation column, or an older theme_assist)")
        raise InputError(f"{store.path.name}'s segments were made {made}: new transcripts could not be segmented "
                         "as its own were; nothing was added")
    unit, max_chars = options
    # what the new transcripts' segments are made by: the project's own options under this version (a project made
    # under an earlier version keeps its tag, and the segments of the documents it has)
    segmentation = segmentation_tag(unit, max_chars)
    given = {"--input": list(inputs), "--metadata": [metadata] if metadata else [], "--coded": [coded] if coded
             else []}
    for paths in given.values():
        for path in paths:
            refuse_name_not_utf8(str(path), path, "the project keeps the names of the files it is added from")
    if coded is not None:
        from theme_assist.inputs import resolved_path

        resolved_path("--coded", coded)  # a link that leads back to itself, named so, not as a file not there
    documents: list[Document] = []
    read_from: dict[str, Path] = {}
    for path in inputs:
        for document in read_documents(path, recursive=recursive, skip=metadata, warn_copies=False):
            if document.id in read_from:
                raise InputError(f"document {document.id!r} is both in {read_from[document.id]} and {path}: give "
                                 "it once")
            read_from[document.id] = Path(path)
            documents.append(document)
    if prepare is not None:
        prepared = prepare(documents)
        documents = list(prepared.values())
        read_from = {document.id: read_from[read_id] for read_id, document in prepared.items()}
    stored = {document.id: document for document in store.documents_with_text(withdrawn=True)}
    named = _names_of_stored(documents, stored)
    earlier = segmentation != store.segmentation  # a version-1 project stored a subtitle speaker's cues a line each
    _refuse_withdrawn_names(documents, stored, named, store, earlier)
    restores = {name: store.bring_back(name) for name in store.withdrawn_documents()}
    _refuse_documents_the_project_has(documents, stored, named, store.path.name, restores, earlier)
    unchanged = sum(document.id in named for document in documents)
    documents = [document for document in documents if document.id not in named]
    if not documents:  # --coded is not read: a table for transcripts the project has is no reason to fail
        return Addition([], pd.DataFrame(), None, coded, given, frozenset(stored), 0, unchanged)
    coded_table = None
    if coded is not None:  # before the transcripts are segmented: a code not in the codebook is refused at once
        from theme_assist.suggest import refuse_unknown_codes

        coded_table = read_coded(coded, "to add the transcripts without codings")
        refuse_unknown_codes(coded_table["code"].astype(str).str.strip(), store.codebook(), source=coded,
                             other_hint=store.mapped_away)
    if metadata is not None:
        table = read_metadata(metadata)
        rows = rows_named(stored, table)  # the project's documents keep the metadata they have
        _warn_of_other_metadata(stored, table, rows, metadata, store.path)
        attach_metadata(documents, table[~table["document"].isin(set(rows.values()))])
    segments = segment_documents(documents, unit=unit, max_chars=max_chars)
    with_ids = {read_from[document.id] for document in documents if any(turn.id for turn in document.turns)}
    if unit == "turn" and with_ids:  # a SEGMENTS.csv's own ids are kept: they must name segments made alike
        tags = {path: _tag_of_segments_table(path) for path in with_ids}
        other = next((path for path, tag in tags.items() if tag not in (store.segmentation, segmentation)), None)
        if other is not None:
            new = f" (its new ones of {segmentation})" if segmentation != store.segmentation else ""
            raise InputError(f"{other} keeps segment ids of segmentation {tags[other] or 'not known'} (its "
                             f"`segmentation` column), the project's are of {store.segmentation}{new}: give the "
                             "transcripts themselves, or a table of the project's segmentation; nothing was added")
    theirs = store.segment_ids(withdrawn=True)  # read once
    _refuse_segment_ids_taken(segments, theirs, read_from)
    codings = None
    if coded_table is not None:
        _refuse_codings_of_the_project(coded_table, set(stored), set(theirs["segment_id"]), coded)
        codings = codings_for_segments(coded_table, segments, str(coded), documents=documents,
                                       segmentation=segmentation)
    skipped = int(speaker_turns(segments["speaker"], store.skip_speakers, warn=False).sum()) \
        if store.skip_speakers else 0
    if store.skip_speakers and not skipped:
        _warn_of_no_skipped_speaker(segments["speaker"], store)
    _warn_of_names_alike(documents, stored, store.path.name)
    return Addition(documents, segments, codings, coded, given, frozenset(stored), skipped, unchanged)


def _warn_of_other_metadata(stored: dict[str, Document], table: pd.DataFrame, named: dict[str, str],
                            metadata: str | Path, project: Path) -> None:
    """Warn where ``table`` gives documents of the project values it does not have (a field corrected or added to
    the study's table since): they keep the metadata they have, which nothing else would say; ``project metadata``
    sets them."""
    rows = table.set_index("document").to_dict("index")
    differ = []
    for document_id, row in named.items():
        kept = stored[document_id].metadata
        fields = [f"{field} {str(value)!r} (the project has {repr(str(kept[field])) if kept.get(field) else 'none'})"
                  for field, value in rows[row].items()
                  if str(value).strip() and str(value) != str(kept.get(field, ""))]
        if fields:  # every field of the document that differs: one named alone hid a column added since
            differ.append(f"{document_id} {', '.join(fields)}")
    if differ:
        more = f" and {len(differ) - 3} more" if len(differ) > 3 else ""
        logger.warning("%s gives %d of the project's documents other metadata than they have, which they keep "
                       "(`theme-assist project metadata %s %s` sets them): %s%s", Path(metadata).name, len(differ),
                       shlex.quote(str(project)), shlex.quote(str(metadata)), "; ".join(differ[:3]), more)


def _warn_of_no_skipped_speaker(speakers: pd.Series, store: ProjectStore) -> None:
    """Warn where no added turn is of a speaker the project skips: the next site's transcripts that name their
    interviewer otherwise ("Moderator", "I") would have every question suggested for and queued without a word."""
    from theme_assist.segment import SHOWN_SPEAKERS, ranked_names

    names = [item["name"] for item in ranked_names(speakers.fillna("").astype(str).str.strip())]
    shown = ", ".join(names[:SHOWN_SPEAKERS]) + (f" and {len(names) - SHOWN_SPEAKERS} more"
                                                 if len(names) > SHOWN_SPEAKERS else "")
    logger.warning("no turn added is of a speaker %s skips (%s); theirs: %s. To skip one of them too: theme-assist "
                   "project skip-speaker %s %s NAME", store.path.name, ", ".join(store.skip_speakers),
                   shown or "none, the segments have no speaker", shlex.quote(store.path.name),
                   " ".join(map(shlex.quote, store.skip_speakers)))


def _refuse_segment_ids_taken(segments: pd.DataFrame, theirs: pd.DataFrame, read_from: dict[str, Path]) -> None:
    """Refuse new segments whose ids a segment of the project (``theirs``: ``segment_id``, ``document``) has
    (``read_from``: each new document's input): a ``SEGMENTS.csv`` keeps its own ids. Said naming the first, where
    SQLite's refusal named none."""
    owner = dict(zip(theirs["segment_id"], theirs["document"]))
    for segment_id, document in zip(segments["segment_id"].astype(str), segments["document"].astype(str)):
        if segment_id in owner:
            raise InputError(f"{read_from[document]}: segment id {segment_id!r} (document {document!r}) is taken by a "
                             f"segment of the project's document {owner[segment_id]!r}: give the new segments ids of "
                             "their own (or the transcripts themselves); nothing was added")


def _refuse_codings_of_the_project(table: pd.DataFrame, documents: set[str], segment_ids: set[str],
                                   coded: str | Path) -> None:
    """Refuse a ``project add --coded`` table with rows for the project's ``documents`` or segments
    (``segment_ids``; the study's whole coding table): the project has its codings already, and they would be
    imported twice."""
    for column, what, known in (("document", "documents", documents), ("segment_id", "segments", segment_ids)):
        if column in table:
            named = table[column].astype(str).str.strip()
            theirs = named.isin(known) & (table["code"].astype(str).str.strip() != "")
            if theirs.any():
                raise InputError(f"coded segments {coded}: {int(theirs.sum())} row(s) code the project's own "
                                 f"{what} ({listed(sorted(set(named[theirs])), 3)}): give --coded only the codings of "
                                 "the transcripts added (their earlier codings are in the project already); "
                                 "nothing was added")


def _names_of_stored(documents: list[Document], stored: dict[str, Document]) -> dict[str, str]:
    """The stored document each of ``documents`` names (id → stored id): its own id, or the same written in
    another Unicode form (a file named on a Mac, "zu" + a combining diaeresis + "rich", where the project has
    "zürich"; the two look alike in every message and listing)."""
    composed = {unicodedata.normalize("NFC", stored_id): stored_id for stored_id in stored}
    named = {document.id: document.id if document.id in stored else composed.get(unicodedata.normalize(
        "NFC", document.id)) for document in documents}
    return {document_id: stored_id for document_id, stored_id in named.items() if stored_id is not None}


def _warn_of_names_alike(documents: list[Document], stored: dict[str, Document], project: str) -> None:
    """Warn of a new document named as one of the project's but for case or invisible characters (``IV_01`` for
    ``iv_01``; one file on Windows and macOS): a changed transcript renamed so is added as a document of its own,
    beside the one it changes."""
    keys = {name_key(stored_id): stored_id for stored_id in stored}
    for document in documents:
        if (old_id := keys.get(name_key(document.id))) is not None:
            logger.warning("document %r is named as %r, in %s already, but for case or invisible characters: it is "
                           "added as a document of its own; if it is a changed %r, it is in the project twice now (a "
                           "changed transcript does not replace the one whose segments its codings name)",
                           document.id, old_id, project, old_id)


def _refuse_withdrawn_names(documents: list[Document], stored: dict[str, Document], named: dict[str, str],
                            store: ProjectStore, earlier: bool = False) -> None:
    """Refuse a transcript named as a document withdrawn from the project (``project withdraw``) with another
    text: the name stays the withdrawn one's, which ``project restore`` brings back. One with the withdrawn
    document's text is left withdrawn, with a warning (the folder of all the study's transcripts may still hold a
    file withdrawn as added by mistake). ``named`` and ``earlier``: as for
    :func:`_refuse_documents_the_project_has`."""
    withdrawn = set(store.withdrawn_documents())
    for document in documents:
        old = stored.get(named.get(document.id, ""))
        if old is None or old.id not in withdrawn:
            continue
        back = store.bring_back(old.id)
        if not _same_transcript(old, document, earlier):
            raise InputError(f"document {old.id!r} ({document.source}) is withdrawn from {store.path.name} ({back}), "
                             "which keeps its name: to add this transcript, rename the file; nothing was added")
        logger.warning("document %r is withdrawn from %s: left withdrawn (%s)", old.id, store.path.name, back)


def _refuse_documents_the_project_has(documents: list[Document], stored: dict[str, Document], named: dict[str, str],
                                      project: str, withdrawn: dict[str, str] | None = None,
                                      earlier: bool = False) -> None:
    """Refuse a transcript whose id the project has with another text (a changed transcript never replaces the
    project's: its codings and decisions name segments of the old text), or whose text it has under another id, or
    another new one has (a copy). One with the same id and text is no new document: :func:`add_to_project` leaves
    it as it is. ``named``: the stored id each transcript's id names (:func:`_names_of_stored`); ``withdrawn``: the
    withdrawn documents, each with how it comes back (:meth:`ProjectStore.bring_back`; a text the project has under
    another id may be one of theirs, which the refusal says); ``earlier``: whether the project's segments were made
    under an earlier segmentation version (:func:`_same_transcript`)."""
    withdrawn = withdrawn or {}
    for document in documents:
        old = stored.get(named.get(document.id, ""))
        if old is not None and not _same_transcript(old, document, earlier):
            shown = repr if old.id == document.id else ascii  # names alike but in Unicode form: in escapes
            form = "" if old.id == document.id else f" (as {ascii(old.id)}: the same name in another Unicode form)"
            raise InputError(f"document {shown(document.id)} ({document.source}) is in {project} already{form}, with "
                             f"another text ({_first_difference(old.text, document.text)}): a changed transcript "
                             "does not replace the one whose segments its codings and decisions name; to add the "
                             "other transcripts, leave it out (or give it the text the project has); to add it as a "
                             "document of its own, rename the file; to replace the project's with it, its codings "
                             "carried over, `theme-assist project replace`; nothing was added")
    texts = {old.text.strip(): old.id for old in stored.values() if old.text.strip()}
    for document in documents:
        old_id = texts.get(document.text.strip())
        if document.id not in named and old_id in withdrawn:  # "a copy? leave it out" hid why
            raise InputError(f"{document.source or document.id} has the same text as document {old_id!r}, "
                             f"withdrawn from {project}, which keeps its text: it cannot be added again under "
                             f"another name ({withdrawn[old_id]}); nothing was added")
        if document.id not in named and old_id is not None:
            if document.id.rsplit("/", 1)[-1] == old_id.rsplit("/", 1)[-1]:
                raise InputError(_read_in_another_folder(document, old_id, project))
            raise InputError(f"{document.source or document.id} has the same text as document {old_id!r}, in "
                             f"{project} already (a copy?): leave it out; nothing was added")
    first: dict[str, Document] = {}
    for document in documents:  # two new ones alike: once added, neither could be taken out of the project again
        text = document.text.strip()
        if document.id in named or not text:
            continue
        if text in first:
            raise InputError(f"{first[text].source or first[text].id} and {document.source or document.id} have the "
                             "same text (a copy?): a project keeps every document added to it; leave one out; "
                             "nothing was added")
        first[text] = document


def _same_transcript(old: Document, new: Document, earlier: bool) -> bool:
    """Whether transcript ``new`` has the text of the project's document ``old``: the same text, or, in a project
    made under an earlier segmentation version (``earlier``), a subtitle transcript's words in the same order
    (version 1 read each cue of a speaker as a turn of its own, on a line of its own, where this version joins them
    with a space: the folder of all the study's transcripts was refused for each ``.vtt`` in it)."""
    return old.text == new.text or (earlier and Path(new.source).suffix.lower() in (".vtt", ".srt")
                                    and old.text.split() == new.text.split())


def _first_difference(old: str, new: str) -> str:
    """Where ``new`` first reads other words than ``old``, a few words either side, as a message says it; or that
    only spaces and line breaks differ (a transcript saved in another format: Word's paragraphs read as blank
    lines)."""
    old_words, new_words = old.split(), new.split()
    if old_words == new_words:
        return "only in spaces and line breaks: saved in another format?"
    at = next((i for i, (a, b) in enumerate(zip(old_words, new_words)) if a != b), min(len(old_words),
                                                                                      len(new_words)))

    def around(words: list[str]) -> str:
        said = " ".join(words[max(at - 3, 0):at + 4])
        return said if len(said) <= 60 else said[:59] + "…"

    return f"first where it reads {around(new_words)!r}, the project's {around(old_words)!r}"


def _read_in_another_folder(document: Document, old_id: str, project: str) -> str:
    """The refusal of a transcript the project has under the same file name in another folder: read with (or
    without) ``--recursive`` where the project's were not (were), it is no copy, and "leave it out" was no help to
    a team that had sorted its folder of all transcripts into one sub-folder per site."""
    if "/" not in old_id:
        folder = Path(document.source).parent if document.source else "the new site's folder"
        how = (f"the project's names have none: give the folders themselves, without --recursive (such as {folder}; "
               "INPUT may name several)")
    elif "/" in document.id:
        how = "the project's names hold the folders as project init read them (a folder renamed or moved since?)"
    else:
        how = ("the project's names hold theirs: give the folder above the sub-folders, with --recursive, as project "
               "init read them")
    return (f"{document.source or document.id} is document {old_id!r} of {project}, with the same text, read here as "
            f"{document.id!r}: with --recursive a document's name holds its sub-folder, and {how}; nothing was "
            "added")


def _refuse_codes_the_qdpx_lacks(table: pd.DataFrame, codebook: Codebook, coded: str | Path) -> None:
    """Refuse codes of a ``--coded`` table that a codebook read from a ``.qdpx`` lacks, saying why: a ``.qdpx``
    keeps codes by name, so their ids there are made from the names, not those of the user's codebook."""
    codes = table["code"].astype(str).str.strip()  # as codings_for_segments reads them: empty ones are skipped
    unknown = sorted(set(codes[codes != ""]) - set(codebook.ids))
    if unknown:
        raise InputError(f"code {unknown[0]!r} in {coded} is not in the project's codebook, read from --qdpx: a .qdpx "
                         f"keeps codes by name, so their ids are made from the names ({codebook.ids[0]!r}, …); give "
                         "--codebook, the YAML your codes come from, to keep its ids")


def codings_on_overlapping_segments(codings: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Span codings (``document``, ``start``, ``end``, ``code``, ``coder``) moved onto every segment they
    overlap by at least half of the shorter of the two (a coded line inside a long turn lands on that turn; a
    coding across several short turns lands on each): ``segment_id``, ``code``, ``coder``.

    A coding that overlaps no segment that much (the end of one long turn, the speaker label and the start of
    the next) lands on the segment it overlaps most. One that overlaps no segment at all (only a speaker label
    or blank lines) cannot be placed: it is left out with a logged warning saying how many and where.
    """
    codings = codings[["document", "start", "end", "code", "coder"]].reset_index(drop=True)
    coding_rows, segment_rows = _pairs_that_may_overlap(codings, segments)
    merged = pd.concat([codings.rename_axis("coding").reset_index().iloc[coding_rows].reset_index(drop=True)
                        .rename(columns={"start": "start_coding", "end": "end_coding"}),
                        segments[["segment_id", "start", "end"]].iloc[segment_rows].reset_index(drop=True)], axis=1)
    overlap = (merged[["end", "end_coding"]].min(axis=1) - merged[["start", "start_coding"]].max(axis=1))
    shorter = pd.concat([merged["end"] - merged["start"], merged["end_coding"] - merged["start_coding"]],
                        axis=1).min(axis=1).clip(lower=1)
    merged = merged.assign(overlap=overlap)[overlap > 0]
    by_half = merged["overlap"] * 2 >= shorter[merged.index]
    most = merged["overlap"] == merged.groupby("coding")["overlap"].transform("max")
    merged = merged[by_half | (most & ~merged["coding"].isin(merged.loc[by_half, "coding"]))]
    unplaced = codings.drop(index=merged["coding"].unique())
    if len(unplaced):
        first = unplaced.iloc[0]
        logger.warning("%d coding(s) cover no text of any segment and are left out (first: %r in document %r, "
                       "characters %d-%d)", len(unplaced), first["code"], first["document"], first["start"],
                       first["end"])
    return merged[["segment_id", "code", "coder"]].drop_duplicates().reset_index(drop=True)


def _pairs_that_may_overlap(codings: pd.DataFrame, segments: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Positions of (coding, segment) pairs of one document that may overlap, in the order of
    ``codings.merge(segments, on="document")``: every pair that does overlap is among them.

    Pairing every coding of a document with every segment of it took a document's codings × segments rows: 16 GB
    for a document of 8,000 coded turns. Where a document's segments do not overlap each other (ends in the order
    of starts), a coding can only overlap a run of consecutive segments, found by binary search."""
    segment_starts, segment_ends = segments["start"].to_numpy(), segments["end"].to_numpy()
    coding_starts, coding_ends = codings["start"].to_numpy(), codings["end"].to_numpy()
    of_document = segments.groupby("document", sort=False, dropna=False).indices
    coding_parts, segment_parts = [], []
    for document, coding_positions in codings.groupby("document", sort=False, dropna=False).indices.items():
        positions = of_document.get(document)
        if positions is None:
            continue
        positions = positions[np.argsort(segment_starts[positions], kind="stable")]
        starts, ends = segment_starts[positions], segment_ends[positions]
        if np.all(ends[1:] >= ends[:-1]):
            first = np.searchsorted(ends, coding_starts[coding_positions], side="right")  # first end after the start
            stop = np.maximum(np.searchsorted(starts, coding_ends[coding_positions], side="left"), first)
        else:  # segments that overlap each other: every pair
            first = np.zeros(len(coding_positions), dtype=np.int64)
            stop = np.full(len(coding_positions), len(positions))
        counts = stop - first
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        coding_parts.append(np.repeat(coding_positions, counts))
        segment_parts.append(positions[np.repeat(first, counts) + offsets])
    if not coding_parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    coding_rows, segment_rows = np.concatenate(coding_parts), np.concatenate(segment_parts)
    order = np.lexsort((segment_rows, coding_rows))
    return coding_rows[order], segment_rows[order]
