"""Tabular transcripts (``.csv``, ``.tsv``, ``.xlsx``): one utterance per row.

Columns (names are matched case-insensitively; the first alias present is used):

``text`` (or ``utterance``, ``utterance_text``)
    What was said. Required.
``document`` (or ``transcript_id``)
    Optional: one document per distinct value, in order of first appearance. Without it the file is one
    document named after the file.
``speaker`` (or ``interlocutor``), ``timestamp``
    Optional.
``segment_id``
    Optional: kept as the turn's id, which segmenting by turn uses as the segment id. Must be unique.

Each document's text is its utterances joined with newlines (see :mod:`theme_assist.ingest.utterances`).

An ``.xlsx`` is a zip archive: it is checked with :func:`theme_assist.safezip.check_archive` (entry count, total
inflated size, compression ratio) before openpyxl inflates it, and a damaged one (not a zip, a broken deflate
stream, malformed or misplaced XML) is refused with one line naming the file.
"""

from __future__ import annotations

import csv
import io
import itertools
import logging
import re
from pathlib import Path

import pandas as pd

from theme_assist.documents import Document
from theme_assist.errors import InputError
from theme_assist.ingest.decoding import check_size, read_text
from theme_assist.ingest.registry import NotATranscript, readers
from theme_assist.ingest.utterances import Utterance, document_from_utterances

logger = logging.getLogger(__name__)
from theme_assist.safezip import DAMAGED_CONTAINER_ERRORS, check_archive, damage

COLUMN_ALIASES = {
    "text": ("text", "utterance", "utterance_text"),
    "document": ("document", "transcript_id"),
    "speaker": ("speaker", "interlocutor"),
    "timestamp": ("timestamp",),
    "segment_id": ("segment_id",),
}
"""Canonical column name → the names accepted for it, in order of preference."""


TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx")
CODING_COLUMN = "code"
"""A table with this column is a coding table (segments with their codes), which a folder read skips."""

MAX_XLSX_CELLS = 10_000_000
"""Most cells the first sheet of an ``.xlsx`` may span, empty ones included (rows × columns as pandas pads
them, and rows plus cells as openpyxl walks them). pandas pads every row to the widest one, so a few-KB sheet
holding ``A1`` and ``XFD1048576`` would otherwise become 17 billion cells. A transcript table (thousands of rows,
a handful of columns) is far below it. Read at call time, so a test may set it lower."""


def load_table(path: str | Path, header_only: bool = False, rectangular: bool = False) -> pd.DataFrame:
    """Read a CSV, TSV or XLSX file (first sheet) as strings, empty cells as "".

    ``header_only`` reads the column names alone (an empty table). A CSV or TSV row with more cells than the header
    is refused (pandas would take a first such row's leading cells for an index and shift every column: ids read
    as texts), unless every row has one more, an empty last one or R's row names first (see :func:`_check_rows`);
    ``rectangular`` refuses any row whose cell count is not the header's, as one with fewer, which pandas would
    otherwise pad with empty cells (a lost rating, a lost code).

    Raises
    ------
    InputError
        If the file is missing, too large, not decodable, or not a well-formed table; for an ``.xlsx``, also if
        it is damaged, a zip bomb (:func:`theme_assist.safezip.check_archive`) or a sheet beyond
        :data:`MAX_XLSX_CELLS`.
    """
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        table = _load_xlsx(path, header_only)
    else:
        table = _load_text_table(path, header_only, rectangular)
    table.columns = [str(column).strip() for column in table.columns]
    return table.fillna("").astype(str)


def _load_xlsx(path: Path, header_only: bool) -> pd.DataFrame:
    """The first sheet of an ``.xlsx``, checked as a zip container first (a zip bomb is refused unread) and
    for its extent (:data:`MAX_XLSX_CELLS`) before pandas reads it."""
    check_size(path)
    check_archive(path, kind=".xlsx")
    try:
        if not header_only:  # the header alone: pandas stops after the first row
            _check_sheet_extent(path)
        return pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl",
                             nrows=0 if header_only else None)
    except (*DAMAGED_CONTAINER_ERRORS, KeyError, ValueError, TypeError, AttributeError, IndexError, OSError) as exc:
        # openpyxl: KeyError (a missing part), ValueError / OSError (no workbook, no sheet), TypeError /
        # AttributeError / IndexError (a well-formed part that is not what a spreadsheet holds there)
        raise InputError(f"{path} is not a readable .xlsx file ({damage(exc)})") from None


def _refuse_repeated_columns(path: Path, header) -> None:
    """Refuse a header naming a column twice: pandas would rename the second one ``name.1`` without a word (a
    phantom coder in a ratings table, ``site.1`` in metadata)."""
    names = ["" if name is None else str(name).strip() for name in header]
    repeated = next((name for name in names if name and names.count(name) > 1), None)
    if repeated is not None:
        raise InputError(f"{path}: column {repeated!r} appears more than once in the header")


def _check_sheet_extent(path: Path) -> None:
    """Walk the first sheet as pandas will (openpyxl, read-only) and refuse it past :data:`MAX_XLSX_CELLS`, or
    when its header names a column twice; warn of other sheets with content, which are not read.

    Counts as it goes, so the walk itself stops at the cap: rows that a sheet skips (``<row r="1000000000">``)
    and the empty cells openpyxl fills in before a far column cost one step each.
    """
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        if not workbook.worksheets:
            return  # pandas says so
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # as pandas does: the <dimension> a file declares is not trusted
        rows = walked = width = last = 0
        for row in sheet.iter_rows(values_only=True):
            rows += 1
            if rows == 1:
                _refuse_repeated_columns(path, row)
            walked += 1 + len(row)
            filled = next((i + 1 for i in range(len(row) - 1, -1, -1) if row[i] not in (None, "")), 0)
            if filled:
                last, width = rows, max(width, filled)
            if walked > MAX_XLSX_CELLS or last * width > MAX_XLSX_CELLS:
                raise InputError(f"{path}: its first sheet spans more than {MAX_XLSX_CELLS} cells, counting the "
                                 "empty ones (rows × columns); refused as far larger than any table this tool reads")
        unread = [other.title for other in workbook.worksheets[1:] if _has_content(other)]
        if unread:
            logger.warning("%s: only its first sheet %r is read; %d other sheet(s) with content are not: %s (put "
                           "each transcript in a file of its own, or all in one sheet with a 'document' column)",
                           path, sheet.title, len(unread), ", ".join(repr(title) for title in unread))
    finally:
        workbook.close()


def _has_content(sheet, rows_looked_at: int = 1000) -> bool:
    """Whether one of the sheet's first rows (as openpyxl walks them, read-only) has a non-empty cell."""
    for row in itertools.islice(sheet.iter_rows(values_only=True), rows_looked_at):
        if any(cell not in (None, "") for cell in row):
            return True
    return False


def _load_text_table(path: Path, header_only: bool, rectangular: bool) -> pd.DataFrame:
    try:
        text = read_text(path, report_guess=not header_only).text  # a look at the header is followed by a full read
        separator = "\t" if path.suffix.lower() == ".tsv" else ","
        one_more = _check_rows(path, text, separator, header_only, rectangular)
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=separator,
                            nrows=0 if header_only else None, index_col=False if one_more == "last" else None)
        return table.reset_index(drop=True) if one_more == "first" else table
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, KeyError) as exc:
        if header_only:  # pandas tokenised past the header: the rows' check names the line and the cause
            _check_rows(path, text, separator, False, rectangular)
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise InputError(f"{path} is not a well-formed table: {message}") from None


SEPARATOR_LINE = re.compile(r"\s*sep=(.?)\s*", re.IGNORECASE)
"""Excel's first line naming a CSV's separator (``sep=;``), above the header (``fullmatch`` it)."""


def _check_rows(path: Path, text: str, separator: str, header_only: bool, rectangular: bool) -> str | None:
    """Read the rows as :mod:`csv` does, strictly, before pandas does (see :func:`_checked_row`): refuse a CSV header
    separated by semicolons, a header naming a column twice, a quote that makes rows run together, and, if
    ``rectangular``, a row whose cell count is not the header's.

    Unless ``rectangular``, rows may have one cell more than the header, all of them: ``"last"`` where that cell
    is empty in each (a separator closing every line), ``"first"`` where the first cells number the rows "1", "2",
    "3"… in quotes at the start of each line (R's ``write.table`` names the rows so, in a first column the header
    leaves out; unquoted numbers are as likely a turn column beside a text with a comma left unquoted, and are
    refused). Any other row longer than the
    header is refused: pandas took a first such row's leading cells for an index and shifted every column (ids read
    as texts, texts as speakers), without a word.
    """
    default_limit = csv.field_size_limit(len(text) + 1)  # a cell may be as long as the file (131,072 by default)
    try:
        rows = csv.reader(io.StringIO(text), delimiter=separator, strict=True)
        header = _checked_row(rows, path) or []
        named = SEPARATOR_LINE.fullmatch(separator.join(header)) if len(header) <= 2 else None
        if named:  # Excel's line naming the separator: taken for the header, it said line 2 had too many cells
            resave = "" if named.group(1) == separator else ", and save the table with commas (.csv) or tabs (.tsv)"
            raise InputError(f"{path}: its first line {separator.join(header).strip(' ')!r} names the separator for "
                             f"Excel and is not the header: delete that line{resave}")
        marks = [mark for mark in (";", "\t", ",") if mark != separator and len(header) == 1 and mark in header[0]]
        if marks:
            # ';' as Excel writes CSV in some languages, tabs or commas under the other suffix; the same words as the
            # ratings reader's for '|' (without them a folder skipped the file as a table with no text column)
            named = "tabs" if marks[0] == "\t" else repr(marks[0])
            raise InputError(f"{path} has one column, {header[0].strip()[:60]!r}: its cells seem to be separated by "
                             f"{named}; save it with commas (.csv) or tabs (.tsv)")
        _refuse_repeated_columns(path, header)
        if header_only:
            return None
        longer: tuple[int, list[str]] | None = None  # the first row longer than the header, and its line
        lengths: set[int] = set()
        count, last_cells_empty, numbered = 0, True, True
        while (row := _checked_row(rows, path)) is not None:
            if not row:  # a blank line
                continue
            if rectangular and len(row) != len(header):
                raise InputError(f"line {rows.line_num} of {path} has {len(row)} cells; the header has "
                                 f"{len(header)}")
            count += 1
            lengths.add(len(row))
            longer = longer or ((rows.line_num, row) if len(row) > len(header) else None)
            last_cells_empty = last_cells_empty and not row[-1].strip()
            numbered = numbered and row[0].strip() == str(count)
        if longer is None:
            return None
        numbered = numbered and re.findall(rf'(?m)^"(\d+)"{re.escape(separator)}', text) == [
            str(n) for n in range(1, count + 1)]
        if lengths == {len(header) + 1} and (last_cells_empty or numbered):
            return "last" if last_cells_empty else "first"
        line, row = longer
        hint = "" if any(cell.strip() for cell in row[len(header):]) else " (a separator closing the line?)"
        raise InputError(f"line {line} of {path} has {len(row)} cells; the header has {len(header)}{hint}")
    finally:
        csv.field_size_limit(default_limit)


def _checked_row(rows, path: Path) -> list[str] | None:
    """The next row of a strict :func:`csv.reader`, None at the end.

    Raises
    ------
    InputError
        Where a cell opens with a quote and either no quote closes it, or text follows the quote that closes it
        (``"Well, no`` … ``said "it"``): pandas would read everything up to that quote, across lines, as one cell,
        so rows would merge without a word, or drop the quotes of ``"Well" I said``.
    """
    first_line = rows.line_num + 1
    try:
        return next(rows, None)
    except csv.Error as error:
        if "end of data" not in str(error) and "expected after" not in str(error):
            raise InputError(f"{path} is not a well-formed table: line {first_line}: {error}") from None
        advice = 'put the whole cell in quotes and double the quotes inside it ("""Well"" I said")'
        if "end of data" in str(error):
            where = "no quote closes it, so every line after it would be read as one cell"
        elif rows.line_num == first_line:
            where = "text follows the quote that closes it, and the cell would lose its quotes"
        else:
            where = (f"text follows the quote that closes it on line {rows.line_num}, so the lines between would be "
                     "read as one cell")
        raise InputError(f"{path} is not a well-formed table: line {first_line}: a cell opens with a quote and "
                         f"{where}; {advice}") from None


def canonical_columns(table: pd.DataFrame, source: str | Path, required: tuple[str, ...] = ("text",)) -> pd.DataFrame:
    """The table with its known columns renamed to their canonical names (see :data:`COLUMN_ALIASES`): the first of
    its names, in their order of preference, that a column has apart from case, and of several such columns the one
    spelled as the name (else the first).

    Raises
    ------
    NotATranscript
        If a required column is missing; the message names it, its aliases and the file.
    """
    by_folded_name: dict[str, str] = {}
    for column in table.columns:
        by_folded_name.setdefault(column.casefold(), column)
    renames: dict[str, str] = {}
    for canonical, aliases in COLUMN_ALIASES.items():
        # of an alias's columns the one spelled as it, as read_table does: of ``text`` and ``Text`` the latter was
        # renamed onto the former, and the two columns named ``text`` stopped the reading with a traceback; the
        # aliases keep their order (``Speaker`` is read before ``interlocutor``)
        present = next((alias if alias in table.columns else by_folded_name[alias] for alias in aliases
                        if alias in by_folded_name), None)
        if present is not None:
            renames[present] = canonical
        elif canonical in required:
            expected = " or ".join(repr(alias) for alias in aliases)
            raise NotATranscript(f"{source}: missing column {canonical!r} (expected {expected})")
    return table.rename(columns=renames)


def _warn_of_rows_without_text(table: pd.DataFrame, source: str | Path) -> None:
    from theme_assist.inputs import lines_of

    filled = table.astype(str).apply(lambda column: column.str.strip() != "")
    left_out = ~filled["text"] & filled.drop(columns="text").any(axis=1)
    if left_out.any():
        logger.warning("%s: %d row(s) with no text left out (%s)", source, int(left_out.sum()), lines_of(left_out))


def documents_from_table(table: pd.DataFrame, source: str | Path) -> list[Document]:
    """Build documents from a table of utterances (columns as in the module docstring).

    Parameters
    ----------
    table
        One utterance per row, rows of a document in order.
    source
        The file the table was read from: names the single document when there is no ``document`` column, and
        the file in error messages.

    Returns
    -------
    list of Document
        One per distinct ``document`` value, in order of first appearance. Rows with a blank text are left out;
        those with something in another cell (a speaker, an id) are named in a warning, as a spreadsheet shows their
        lines (see :func:`theme_assist.inputs.lines_of`); wholly empty rows are spacing.

    Raises
    ------
    InputError
        If a required column is missing, a ``document`` value is blank, or ``segment_id`` values repeat.
    """
    table = canonical_columns(table, source)
    for column in ("document", "segment_id"):
        if column in table:
            _check_filled(table, column, source)
    if "segment_id" in table:
        repeated = table["segment_id"][table["segment_id"].duplicated()]
        if len(repeated):
            raise InputError(f"{source}: segment_id {repeated.iloc[0]!r} appears more than once")
    _warn_of_rows_without_text(table, source)
    document_ids = table["document"].str.strip() if "document" in table else pd.Series(Path(source).stem, table.index)
    utterances: dict[str, list[Utterance]] = {}
    for document_id, row in zip(document_ids, table.itertuples(index=False)):
        utterances.setdefault(document_id, []).append(
            Utterance(
                text=row.text,
                speaker=getattr(row, "speaker", "").strip(),
                timestamp=getattr(row, "timestamp", "").strip(),
                id=getattr(row, "segment_id", "").strip(),
            )
        )
    return [document_from_utterances(document_id, rows, str(source)) for document_id, rows in utterances.items()]


def _check_filled(table: pd.DataFrame, column: str, source: str | Path) -> None:
    blank_rows = (table[column].str.strip() == "").to_numpy().nonzero()[0]
    if len(blank_rows):
        # +2: row numbers count from 1 and the header is line 1, as a spreadsheet shows them
        raise InputError(f"{source}, row {blank_rows[0] + 2}: empty {column!r}")


def is_coding_table(path: Path) -> bool:
    """Whether a table file has a ``code`` column (a coding table such as a reference coding, not a transcript)."""
    return CODING_COLUMN in {column.casefold() for column in load_table(path, header_only=True).columns}


@readers.register(".csv")
@readers.register(".tsv")
@readers.register(".xlsx")
def read_table(path: Path) -> list[Document]:
    """Read a CSV/TSV/XLSX transcript with one utterance per row."""
    documents = [document for document in documents_from_table(load_table(path), path) if document.turns]
    if not documents:
        raise NotATranscript(f"{path} has no utterances (its text column is empty)")
    return documents
