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
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd

from theme_assist.documents import Document
from theme_assist.errors import InputError
from theme_assist.ingest.decoding import check_size, read_text
from theme_assist.ingest.registry import NotATranscript, readers
from theme_assist.ingest.utterances import Utterance, document_from_utterances

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


def load_table(path: str | Path, header_only: bool = False) -> pd.DataFrame:
    """Read a CSV, TSV or XLSX file (first sheet) as strings, empty cells as "".

    ``header_only`` reads the column names alone (an empty table).

    Raises
    ------
    InputError
        If the file is missing, too large, not decodable, or not a well-formed table.
    """
    path = Path(path)
    try:
        if path.suffix.lower() == ".xlsx":
            check_size(path)
            table = pd.read_excel(
                path, dtype=str, keep_default_na=False, engine="openpyxl", nrows=0 if header_only else None
            )
        else:
            text = read_text(path).text
            separator = "\t" if path.suffix.lower() == ".tsv" else ","
            table = pd.read_csv(
                io.StringIO(text), dtype=str, keep_default_na=False, sep=separator, nrows=0 if header_only else None
            )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, zipfile.BadZipFile, ValueError, KeyError) as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise InputError(f"{path} is not a well-formed table: {message}") from None
    table.columns = [str(column).strip() for column in table.columns]
    return table.fillna("").astype(str)


def canonical_columns(table: pd.DataFrame, source: str | Path, required: tuple[str, ...] = ("text",)) -> pd.DataFrame:
    """The table with its known columns renamed to their canonical names (see :data:`COLUMN_ALIASES`).

    Raises
    ------
    NotATranscript
        If a required column is missing; the message names it, its aliases and the file.
    """
    by_folded_name = {column.casefold(): column for column in table.columns}
    renames: dict[str, str] = {}
    for canonical, aliases in COLUMN_ALIASES.items():
        present = next((by_folded_name[alias] for alias in aliases if alias in by_folded_name), None)
        if present is not None:
            renames[present] = canonical
        elif canonical in required:
            expected = " or ".join(repr(alias) for alias in aliases)
            raise NotATranscript(f"{source}: missing column {canonical!r} (expected {expected})")
    return table.rename(columns=renames)


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
        One per distinct ``document`` value, in order of first appearance. Rows with a blank text are left out.

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
