"""Reading what commands are given: tables of segments or codings, or a folder of transcripts.

Every command that takes ``--input SEGMENTS.csv|DIR`` or ``--train CODED.csv`` goes through here, so the same file
gets the same checks and the same one-line errors everywhere; so do the tables given to the estimators in Python
(:func:`check_table`).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pandas as pd

from theme_assist.codebook import Codebook
from theme_assist.errors import InputError, listed, warn_or_defer
from theme_assist.filesystems import nearest_existing, refusal_to_write_in

TABLE_SUFFIXES = {".csv", ".tsv", ".xlsx"}
TABLE_OUTPUT_SUFFIXES = {".csv", ".tsv"}
PANDAS_BLANK_HEADER = re.compile(r"Unnamed: \d+")
"""The name pandas gives a column whose header cell is empty."""
HEADER_BYTES = 65_536
"""The start of an existing file :func:`looks_like_coding` reads for the header of a table."""

logger = logging.getLogger(__name__)


def read_table(path: str | Path, required: tuple[str, ...] = (), what: str = "table",
               allow_empty: bool = False, rectangular: bool = False, optional: tuple[str, ...] = (),
               json_hint: str = "give a .csv, .tsv or .xlsx table") -> pd.DataFrame:
    """Read a CSV, TSV or XLSX file as text columns (via :func:`theme_assist.ingest.tables.load_table`, which
    detects encodings and caps sizes), checking that ``required`` columns exist and that there are rows (with
    ``allow_empty``, a header without rows is an empty table; with ``rectangular``, a row shorter than the header
    is refused).

    The ``required`` and ``optional`` columns are matched case-insensitively, as the columns of a transcript table
    are (:func:`theme_assist.ingest.tables.canonical_columns`), and renamed to the names given here: a ``Text``
    column is read as ``text``. Empty cells become ``""``. Raises :class:`InputError` for a missing, empty or
    malformed file, or a missing required column; for a file holding JSON, with ``json_hint`` (what to give
    instead).
    """
    from theme_assist.ingest.tables import load_table

    path = Path(path)
    check_file(path, what)
    if path.stat().st_size == 0:
        raise InputError(f"{what} {path} is empty")
    if holds_json(path):  # read as a table, its first line was a header of '{"key": …' and there were no rows
        raise InputError(f"{what} {path} holds JSON, not a table: {json_hint}")
    frame = load_table(path, rectangular=rectangular)
    _refuse_repeated_header(frame, path, what)
    renames = _canonical_names(frame.columns, (*required, *optional))
    missing = [c for c in required if c not in frame.columns and c not in renames.values()]
    if missing:
        raise InputError(f"{what} {path} has no column {missing[0]!r} (columns: {', '.join(frame.columns)})")
    frame = frame.rename(columns=renames)
    if frame.empty and not allow_empty:
        raise InputError(f"{what} {path} has a header but no rows")
    return frame


_JSON_START = re.compile(r'\s*(?:\{\s*["}]|\[\s*[\[{"\]])')
"""How a JSON object or array of objects, strings or arrays opens (not ``[00:01]`` or ``[time]``, which a table's
first cell may hold)."""


def check_file(path: Path, what: str = "table") -> None:
    """Refuse ``path`` unless it names a file: one that does not exist, a folder, a pipe or a device, each said
    with ``what`` it was given as (an option: ``--coded``).

    Raises
    ------
    InputError
        If ``path`` is no file.
    """
    from theme_assist.ingest.decoding import NOT_A_FILE

    if not path.is_file():
        if not path.exists():
            raise InputError(f"{what} {path} does not exist")
        raise InputError(f"{what} {path} is " + ("a folder, not a file" if path.is_dir() else NOT_A_FILE))


def holds_json(path: Path) -> bool:
    """Whether the file ``path`` opens as JSON does (past a byte-order mark, UTF-8 or UTF-16): a report or a config
    file given where a table is read."""
    from theme_assist.ingest.decoding import marked_encoding

    with path.open("rb") as file:
        start = file.read(4096)
    start = start.decode(marked_encoding(start) or "utf-8", errors="ignore").removeprefix("\ufeff")
    return _JSON_START.match(start) is not None


def check_table(table, what: str, columns: tuple[str, ...]) -> None:
    """Refuse ``table`` (``what`` it holds, for the message) unless it is a DataFrame with ``columns``: the
    estimators' check of the tables they are given."""
    if not isinstance(table, pd.DataFrame):
        wanted = f"a {columns[0]!r} column" if len(columns) == 1 else f"columns {', '.join(map(repr, columns))}"
        raise InputError(f"{what} must be a DataFrame with {wanted}, not {type(table).__name__}")
    missing = [column for column in columns if column not in table]
    if missing:
        raise InputError(f"{what} need a {' and a '.join(map(repr, missing))} column "
                         f"(columns: {', '.join(map(str, table.columns)) or 'none'})")


def _refuse_repeated_header(frame: pd.DataFrame, path: Path, what: str) -> None:
    """Refuse a table with a row that repeats its header (apart from case, surrounding spaces and the byte-order
    mark an Excel export opens with; an empty cell under a column without a name, pandas's ``Unnamed: 0``, as R's
    row names have): tables put together with their headers (``cat a.csv b.csv``). Read as data, the second header
    was one more row: in a long ratings file, a coder named ``coder`` who gave the code ``code``."""
    names = [str(column).strip().casefold() for column in frame.columns]
    unnamed = [PANDAS_BLANK_HEADER.fullmatch(str(column)) is not None for column in frame.columns]
    if frame.empty or unnamed.count(False) < 2:  # one name alone: a row of one word under it may be data
        return
    rows = frame.index
    for column, name, nameless in zip(frame.columns, names, unnamed):  # on the rows that still match: a large
        cells = frame.loc[rows, column].str.strip().str.lstrip("\ufeff").str.casefold()  # table is not all copied
        rows = cells.index[(cells == name) | (nameless & (cells == ""))]
        if rows.empty:
            return
    repeats = pd.Series(frame.index.isin(rows), index=frame.index)
    raise InputError(f"{what} {path} repeats its header on {lines_of(repeats)} (tables put together, each with its "
                     "header?): keep only the first header line")


def _canonical_names(columns: pd.Index, names: tuple[str, ...]) -> dict[str, str]:
    """Column → the one of ``names`` it matches apart from case, for each of ``names`` that is not a column as
    spelled (the first such column where several match)."""
    by_folded_name: dict[str, str] = {}
    for column in columns:
        by_folded_name.setdefault(str(column).casefold(), column)
    return {by_folded_name[name.casefold()]: name for name in names
            if name not in columns and name.casefold() in by_folded_name}


def lines_of(rows: pd.Series) -> str:
    """``"line 4, 7"``: the lines of a table file holding the rows where ``rows`` is true, the first five and
    ``…`` for more. Rows are named by their index in the table :func:`read_table` gave (filtering keeps it): the
    header is line 1, so index ``i`` is line ``i + 2``, as a spreadsheet or an editor shows it."""
    lines = [str(i + 2) for i in rows.index[rows.to_numpy(dtype=bool)][:5]]
    return f"line {', '.join(lines)}{', …' if rows.sum() > 5 else ''}"


def whole_numbers(column: pd.Series, name: str, source: str | Path) -> pd.Series:
    """The text cells of ``column`` (of a table from :func:`read_table`) as integers.

    Raises
    ------
    InputError
        If a cell is not a whole number (``3.0`` is not), naming ``source``, the column ``name``, the first such
        cell and the lines they are on (see :func:`lines_of`).
    """
    text = column.astype(str).str.strip()
    bad = ~text.str.fullmatch(r"[+-]?\d+")
    if bad.any():
        raise InputError(f"{source}: the {name!r} column must hold whole numbers, not {text[bad].iloc[0]!r} "
                         f"({lines_of(bad)})")
    return text.astype(int)


def coders_of(coded: pd.DataFrame) -> list[str]:
    """The coders (a ``coder`` column) who gave a code in a coded table, sorted; none without the column."""
    if "coder" not in coded:
        return []
    return sorted(set(coded.loc[coded["code"] != "", "coder"].astype(str).str.strip()) - {""})


def rows_of_coder(coded: pd.DataFrame, coder: str, source: str | Path) -> pd.DataFrame:
    """The rows of ``coder`` in a coded table of several coders (uncoded rows without a coder stay, as context);
    a coder who gave no code there is refused in one line, naming those who did."""
    if "coder" not in coded:
        raise InputError(f"--coder {coder!r}: {source} has no 'coder' column to choose that coder's rows by")
    coders = coders_of(coded)
    if coder not in coders:
        from theme_assist.names import did_you_mean

        shown, meant = did_you_mean(coder, coders)
        raise InputError(f"--coder {shown}: {source} has " + (f"no codes of that coder{meant} (coders: "
                                                              f"{listed(coders)})" if coders else
                                                              "no codes of named coders"))
    of_coder = coded["coder"].astype(str).str.strip()
    return coded[(of_coder == coder) | ((of_coder == "") & (coded["code"] == ""))]


def read_coded_table(path: str | Path) -> pd.DataFrame:
    """The coded table ``path`` as :func:`read_table` reads it for :func:`read_coded`, before any check: its columns
    (``text`` and ``code`` required) renamed to the names :func:`read_coded` reads, every row kept, indexed by line
    (:func:`lines_of`). For a caller that reads the rows of several coders as well as :func:`read_coded`'s, to read
    the file once (``read_coded(path, table=...)``)."""
    from theme_assist.features import ORDER_COLUMNS

    # "Coder" is the coder column too: unread, a double-coded table passed as one coder's
    return read_table(path, required=("text", "code"),
                      optional=("segment_id", "document", "speaker", "coder", *ORDER_COLUMNS), what="coded segments")


def read_coded(path: str | Path, without: str = "", coder: str | None = None,
               keep_lines: bool = False, left_out: list[str] | None = None, need_document: str = "",
               deferred: list[str] | None = None, codebook: Codebook | None = None,
               table: pd.DataFrame | None = None) -> pd.DataFrame:
    """A coded-segments table (``text``, ``code``; optional ``segment_id``, ``document``, ``speaker``, ``coder``
    and the columns that say a row's place in its document, ``position``, ``start``, ``turn``; column names matched
    apart from case), codes read without surrounding spaces. A code on a row without text
    cannot be learned from: such rows are left out, with a warning naming their lines; so are theme_assist's own
    suggestions in an imported ``codings.csv`` (:func:`~theme_assist.refi.assemble.human_codings`), and wholly
    empty rows, silently (a spreadsheet's spacing). ``without``: what the caller does without coded segments, said
    when none has both a text and a code. ``coder``: only that coder's rows (:func:`rows_of_coder`); without it,
    the codes of several coders need a ``segment_id`` that says which of their rows are one segment; without one,
    rows are named by their line in the file, header on line 1 (``row2`` is the first row below it).
    ``keep_lines``: keep :func:`read_table`'s index, by which :func:`lines_of` names the lines of the rows left,
    instead of numbering them afresh. ``left_out``: a list that also gets the warnings on rows without text and on
    rows sorted by code, for a report. ``need_document``: why the caller needs a ``document`` column; a table
    without one is then refused, naming the file's columns (not the ``segment_id`` this adds), as is a row with
    text and no document, naming its line. ``deferred``: a list that gets the warnings instead of the log, for a
    caller that may yet refuse the table (a refusal comes alone). ``codebook``: refuse a code that is not in it,
    naming the file and its lines (:func:`~theme_assist.suggest.refuse_unknown_codes`), before any embedding.
    ``table``: ``path`` as :func:`read_coded_table` read it already (not changed here), instead of reading it again."""
    from theme_assist.features import documents_in_given_order, sorted_by_code, unplaced_rows
    from theme_assist.refi.assemble import human_codings

    frame = read_coded_table(path) if table is None else table.copy()
    # a spreadsheet's cleared rows (",,,,") are spacing, not segments without a document or id
    spacing = frame.astype(str).apply(lambda column: column.str.strip() == "").all(axis=1)
    if need_document and "document" not in frame:
        raise InputError(f"{path} needs a 'document' column: {need_document} (columns: "
                         f"{', '.join(map(str, frame.columns))})")
    numbered = "segment_id" not in frame
    if numbered:  # by the row's line in the file (see lines_of), where a spreadsheet or an editor shows it
        frame["segment_id"] = [f"row{i + 2}" for i in frame.index]
    frame = frame[~spacing]

    def warn(said: str) -> None:
        warn_or_defer(logger, f"coded segments {path}: {said}", deferred)

    frame = human_codings(frame, f"coded segments {path}", deferred)
    frame["code"] = frame["code"].str.strip()  # "other " is the code "other"
    if coder is not None:  # first: the rows left out below are then that coder's, as a report names them
        frame = rows_of_coder(frame, coder, path)
    textless = (frame["text"].str.strip() == "") & (frame["code"] != "")
    if need_document:  # refused before the warning on textless rows: a warning about a file then refused is noise
        no_document = (frame["document"].str.strip() == "") & ~textless
        if no_document.any():
            raise InputError(f"{path}: {int(no_document.sum())} row(s) without a document ({lines_of(no_document)}): "
                             f"{need_document}")
    if textless.any():
        said = f"{int(textless.sum())} row(s) with a code but no text left out ({lines_of(textless)})"
        warn(said)
        if left_out is not None:
            left_out.append(said)
        frame = frame[~textless]
    if coder is None and numbered and coded_by_several(frame):
        # each row would be a segment of its own: learnt once per coder and, where they disagree, with every
        # coder's code as right
        coders = coders_of(frame)
        raise InputError(f"coded segments {path} holds the codes of {len(coders)} coders ({listed(coders)}) on the "
                         "same texts and no segment_id to say which of their rows are one segment: learn from one "
                         "coder's rows (--coder NAME)")
    if codebook is not None:
        from theme_assist.suggest import refuse_unknown_codes

        refuse_unknown_codes(frame["code"], codebook, source=path)
    if (frame["code"] == "").all():
        raise InputError(f"coded segments {path}: no row has both a text and a code" + (f" ({without})" if without
                                                                                           else ""))
    unplaced = unplaced_rows(frame)  # read by both checks below
    if sorted_by_code(frame, unplaced):
        said = ("each document's rows are sorted by code, and no position, start or turn column says their order: a "
                "segment's neighbouring turns, read as its context, are the rows around it, so they would tell its "
                "code; put the rows back in reading order (or add a turn column)")
        warn(said)
        if left_out is not None:  # evaluate's report: its κ would be the neighbours' telling
            left_out.append(said)
    given_order = documents_in_given_order(frame, unplaced)
    if given_order:
        warn(f"a position, start or turn column (or DOCUMENT:N ids) says where the rows stand in "
             f"{frame['document'].nunique() - given_order} of {frame['document'].nunique()} documents; the other "
             f"{given_order} are read in the order of their rows (a column is used in a document where every row of "
             "it has a number)")
    return frame if keep_lines else frame.reset_index(drop=True)


def coded_by_several(frame: pd.DataFrame) -> bool:
    """Whether one text (of one document, where there is a ``document`` column) of a coded table has the codes of
    several coders: a double-coded table. Coders who shared the work out (each their own transcripts) give none."""
    if len(coders_of(frame)) < 2:
        return False
    coded = frame[frame["code"] != ""]
    coded = coded.assign(text=coded["text"].str.strip(), coder=coded["coder"].astype(str).str.strip())
    keys = [column for column in ("document", "text") if column in coded]
    return bool((coded[coded["coder"] != ""].groupby(keys)["coder"].nunique() > 1).any())


def read_segments(path: str | Path, unit: str = "turn", max_chars: int = 1000,
                  metadata: str | Path | None = None, recursive: bool = False) -> pd.DataFrame:
    """Segments from a ``SEGMENTS.csv`` (``segment_id``, ``text``; optional ``document``, ``speaker``) or from a
    transcript file or folder (segmented by ``unit``; with ``recursive``, a folder's sub-folders too, see
    :func:`~theme_assist.ingest.read_documents`); with ``metadata``, each segment also gets its document's
    metadata fields as columns, after :data:`~theme_assist.segment.SEGMENTATION_COLUMN`, which says which
    segmentation the ids come from: :func:`~theme_assist.segment.segmentation_tag` for transcripts, a table's own
    (empty where it has none)."""
    from theme_assist.ingest import join_metadata, metadata_table, read_documents, read_metadata
    from theme_assist.segment import (SEGMENTATION_COLUMN, check_unit, segment_documents, segmentation_tag,
                                      segments_from_table)

    check_unit(unit)  # a mistyped --unit is an error for a segments table too, where it is not used
    path = Path(path)
    if path.is_file() and path.suffix.lower() in TABLE_SUFFIXES:
        table = read_table(path, what="segments", optional=("segment_id", "text", "document", SEGMENTATION_COLUMN))
        if "segment_id" in table and "text" in table:
            if metadata is not None and "document" not in table:
                raise InputError(f"segments {path} have no 'document' column to join the metadata {metadata} on")
            segments = segments_from_table(table, source=path)
            tags = (dict(zip(table["segment_id"].astype(str), table[SEGMENTATION_COLUMN].astype(str).str.strip()))
                    if SEGMENTATION_COLUMN in table else {})
            segments[SEGMENTATION_COLUMN] = segments["segment_id"].map(tags).fillna("")
            return segments if metadata is None else join_metadata(segments, read_metadata(metadata), metadata,
                                                                   report=True)
    if not path.exists():
        raise InputError(f"input {path} does not exist")
    documents = read_documents(path, metadata=metadata, recursive=recursive)
    segments = segment_documents(documents, unit=unit, max_chars=max_chars)
    segments[SEGMENTATION_COLUMN] = segmentation_tag(unit, max_chars)
    return segments if metadata is None else join_metadata(segments, metadata_table(documents), metadata)


def check_outputs(outputs: dict[str, str | Path | None], inputs: dict[str, str | Path | None],
                  folders: tuple[str, ...] = (), tables: tuple[str, ...] = ()) -> None:
    """Before any work: refuse an output that would overwrite an input or another output or lie inside a folder
    output (``folders``, written whole), a file output that is a folder, one that is a device or a pipe
    (``/dev/null``: the new file moved into its place would replace it), a table whose name ends in a suffix it will
    not be written as, or one in a folder that cannot be written or made. Creates no folder: the writers make an
    output's missing folders (:func:`write_table`, :func:`~theme_assist.refi.atomic.atomic_file`), so a run refused
    after this check leaves none behind.

    Parameters
    ----------
    outputs, inputs
        Option name (as the user typed it, e.g. ``"--out"``) → path, ``None`` where not given.
    folders
        The options of ``outputs`` that name a folder to write into rather than a file. An input inside such a
        folder is refused too (writing the folder may replace it), as is any output inside an input folder (it may
        replace a transcript, and the next run would read it as one).
    tables
        The options of ``outputs`` written by :func:`write_table`: their names must end in ``.csv`` or ``.tsv``
        (a ``.xlsx`` full of comma-separated text would not open).

    Raises
    ------
    InputError
        Naming both options.
    """
    given_inputs = {name: resolved_path(name, path) for name, path in inputs.items() if path is not None}
    folder_outputs = {name: resolved_path(name, outputs[name]) for name in folders if outputs.get(name) is not None}
    seen: dict[Path, str] = {}
    for name, path in outputs.items():
        if path is None:
            continue
        target = resolved_path(name, path)
        for folder_name, folder in folder_outputs.items():
            if folder in target.parents:  # suggest --out inside its --save-model
                raise InputError(f"{name} {path} is inside {folder_name} {outputs[folder_name]}, which is written "
                                 "whole, replacing what it holds: write it elsewhere")
        for input_name, source in given_inputs.items():
            if source.is_dir() and target.is_relative_to(source):
                where = "is" if target == source else "is inside"
                raise InputError(f"{name} {path} {where} the folder {input_name} {source}, which is read as input: "
                                 "write somewhere else")
            if _same_file(target, source):
                raise InputError(f"{name} {path} would overwrite {input_name} {source}: write somewhere else")
            if name in folders and source.is_relative_to(target):
                raise InputError(f"{name} {path} is a folder holding {input_name} {source}: writing into it may "
                                 "replace that input; write somewhere else")
        if target in seen:
            raise InputError(f"{name} and {seen[target]} are the same file {path}: give each its own")
        seen[target] = name
        if name not in folders and target.is_dir():
            raise InputError(f"{name} {path} is a folder: give a file name")
        if name in folders and target.exists() and not target.is_dir():
            raise InputError(f"{name} {path} is a file: give a folder")
        if target.exists() and not target.is_dir() and not target.is_file():
            # run as root (a container), the rename of atomic_file replaced /dev/null itself with a regular file
            raise InputError(f"{name} {path} is a device or a pipe, not a file: outputs are written whole, as a new "
                             "file moved into place, which would replace it; give a file name")
        if name in tables and target.suffix.lower() not in TABLE_OUTPUT_SUFFIXES:
            raise InputError(f"{name} {path}: tables are written as .csv or .tsv; give a name ending in one of them")
        # its missing folders are made where it is written: a run refused later (an input checked after) leaves none
        existing = nearest_existing(target.parent)
        if not existing.is_dir():
            raise InputError(f"{name} {path}: cannot create its folder ({existing} is a file, not a folder)")
        _check_writable(name, path, target, is_folder=name in folders)


def resolved_or_none(path: str | Path) -> Path | None:
    """``path`` made absolute with its links followed; None for a link that leads back to itself (Python before 3.13
    raises a RuntimeError for it; 3.13 and later leave it unresolved, still a link)."""
    try:
        resolved = Path(path).resolve()
    except RuntimeError:
        return None
    return None if resolved.is_symlink() else resolved


def resolved_path(name: str, path: str | Path) -> Path:
    """:func:`resolved_or_none`, with a link that leads back to itself refused in one line naming option ``name``."""
    resolved = resolved_or_none(path)
    if resolved is None:
        raise InputError(f"{name} {path} is a symbolic link that leads back to itself (a loop): "
                         "give the path itself, not the link")
    return resolved


def _check_writable(name: str, path: str | Path, target: Path, is_folder: bool) -> None:
    """Refuse, before the work, an output whose folder takes no new file (read-only, not one's own): a file output
    is written beside its target and renamed over it (:func:`~theme_assist.refi.atomic.atomic_file`), so an existing
    writable file there does not suffice. A folder output that exists is tried inside (``demo --out .`` writes into
    the working folder, whose parent may well be read-only); one still to be made, where it will be made."""
    folder = target if is_folder and target.is_dir() else target.parent
    existing = nearest_existing(folder)  # a folder still to be made is made inside it
    # the probe is named as atomic_file names its partial copies, so that one a killed run leaves is cleared as theirs
    error = refusal_to_write_in(existing, prefix=f".{target.name}." if existing == target.parent else ".probe.")
    if error:
        where = "it" if folder == target else f"its folder {folder}"
        made = "" if existing == folder else f", to be made in {existing},"
        raise InputError(f"{name} {path}: {where}{made} cannot be written to ({error.strerror or error})")


def _same_file(first: Path, second: Path) -> bool:
    """Whether two resolved paths name one file: equal, or (both existing) one file under two names, as a hard
    link or another spelling on a case-insensitive disk (macOS's ``Coded.csv`` and ``coded.csv``) is."""
    if first == second:
        return True
    try:
        return first.exists() and second.exists() and os.path.samefile(first, second)
    except OSError:
        return False


def refuse_replacing(outputs: dict[str, str | Path | None], force: bool) -> None:
    """Before any work: refuse an output that already exists unless ``force`` — for files that may be the only copy
    of someone's work (a ``.qdpx`` project coded in another program), where a CSV of our own would just be
    rewritten. ``outputs``: option name → path, ``None`` where not given."""
    for name, path in outputs.items():
        if path is not None and Path(path).exists() and not force:
            raise InputError(f"{name} {path} exists (use --force to replace it)")


def looks_like_coding(path: str | Path) -> bool:
    """Whether ``path`` is a file that holds a coded table: a header with a ``code`` column and no ``score`` or
    ``rank`` (which suggestions have), matched apart from case, its cells separated by commas, tabs or semicolons
    (a spreadsheet's in some languages: no table to read here, but maybe a coder's work). The header is the first
    line that is not blank, as pandas reads a table, after Excel's ``sep=;`` line where there is one (naming the
    separator). For table outputs that would replace it: a hand coding typed as the output by mistake may be a
    coder's only copy. Never raises."""
    import csv
    import io

    from theme_assist.ingest.decoding import marked_encoding
    from theme_assist.ingest.tables import SEPARATOR_LINE

    try:
        with Path(path).open("rb") as file:
            data = file.read(HEADER_BYTES)
    except OSError:
        return False
    text = data.decode(marked_encoding(data) or "utf-8", errors="replace").lstrip("\ufeff")
    lines = [line for line in text.splitlines() if line.strip()]
    named = SEPARATOR_LINE.fullmatch(lines[0]) if lines else None
    line = lines[1 if named else 0] if len(lines) > bool(named) else ""
    for separator in ((named.group(1),) if named else ()) + (",", "\t", ";"):
        try:
            columns = {cell.strip().casefold() for cell in next(csv.reader(io.StringIO(line), delimiter=separator))}
        except (csv.Error, StopIteration, TypeError, ValueError):  # "sep=" naming a character csv refuses
            continue
        if "code" in columns and not columns & {"score", "rank"}:
            return True
    return False


def refuse_replacing_codings(outputs: dict[str, str | Path | None], force: bool) -> None:
    """Before any work: refuse a table output that is a coded table (:func:`looks_like_coding`) unless ``force``;
    any other file there (an earlier run's output) is replaced. ``outputs``: option name → path, ``None`` where not
    given."""
    for name, path in outputs.items():
        if path is not None and not force and looks_like_coding(path):
            raise InputError(f"{name} {path} exists and is a coded table (a code column, no score or rank), which may "
                             "be someone's only copy (use --force to replace it)")


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """Write ``table`` as CSV, or as TSV for a name ending in ``.tsv``, creating the folder (see ``tables`` in
    :func:`check_outputs`). The table appears whole or not at all (:func:`~theme_assist.refi.atomic.atomic_file`):
    a job stopped while writing leaves no half table that reads as complete, and an earlier one stays as it was.
    A name that is a link is written through, as by a plain write: the file it points to is replaced, not the link."""
    from theme_assist.refi.atomic import atomic_file

    path = Path(path)
    with atomic_file(path.resolve()) as temporary:  # which makes its folder
        table.to_csv(temporary, index=False, sep="\t" if path.suffix.lower() == ".tsv" else ",")
