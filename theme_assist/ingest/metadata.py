"""Document metadata (site, country, income group, participant group, language…) from a CSV/XLSX table.

The table has a ``document`` column (``file`` and ``filename`` are accepted too) holding a document id or a
file name with its extension; every other column becomes an entry of ``Document.metadata``. A document read from a
sub-folder (``read_documents(..., recursive=True)``) has the id ``butabika/fg_01``: its row names it so
(``butabika/fg_01.txt`` too), or by its file name alone (``fg_01``) where no other document and no other row has
that name. A row is never joined on a guess: a name that fits several documents (``fg_01`` with
``butabika/fg_01`` and ``ulm/fg_01``) joins none, with a warning. Documents without metadata and metadata rows for
unknown documents are reported as warnings, not errors.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from theme_assist.documents import Document
from theme_assist.errors import InputError, listed
from theme_assist.ingest.registry import is_supported
from theme_assist.ingest.tables import load_table

logger = logging.getLogger(__name__)

DOCUMENT_COLUMNS = ("document", "file", "filename")


def read_metadata(path: str | Path) -> pd.DataFrame:
    """Read a metadata table.

    Parameters
    ----------
    path
        A CSV, TSV or XLSX file with a ``document`` column.

    Returns
    -------
    pandas.DataFrame
        Column ``document`` (the document id: the name less a supported extension, folders kept) and the other
        columns as strings without spaces around them ("Kampala " is "Kampala": a space typed after a value in a
        spreadsheet would make it another site), one row per document; ``attrs["document_column"]``: the header
        the documents were read from (``"File"``).

    Raises
    ------
    InputError
        If the table is malformed, has no ``document`` column, or names a document twice.
    """
    path = Path(path)
    table = load_table(path)
    by_folded_name = {column.casefold(): column for column in table.columns}
    column = next((by_folded_name[name] for name in DOCUMENT_COLUMNS if name in by_folded_name), None)
    if column is None:
        raise InputError(f"{path}: missing column 'document' (the transcript file name, with or without extension)")
    alike = [name for name in table.columns if name.casefold() == column.casefold()]
    if len(alike) > 1:  # 'document' and 'Document': pandas would refuse to put the ids back beside the other
        raise InputError(f"{path}: columns {' and '.join(map(repr, alike))} both name the documents: keep one")
    documents = table.pop(column).str.strip().map(_document_id)
    if (documents == "").any():
        raise InputError(f"{path}, row {int((documents == '').to_numpy().argmax()) + 2}: empty 'document'")
    repeated = documents[documents.duplicated()]
    if len(repeated):
        raise InputError(f"{path}: document {repeated.iloc[0]!r} appears more than once")
    for field in table.columns:
        table[field] = table[field].str.strip()
    table.insert(0, "document", documents)
    table = table.reset_index(drop=True)
    table.attrs["document_column"] = column  # its header as written ('File'), which a user may name it by
    return table


def metadata_table(documents: list[Document]) -> pd.DataFrame:
    """The metadata of ``documents`` as a table: ``document``, then one column per field (``""`` where a document
    has no value)."""
    rows = [{"document": document.id, **document.metadata} for document in documents]
    return pd.DataFrame(rows, columns=None if rows else ["document"]).fillna("")


def join_metadata(segments: pd.DataFrame, metadata: pd.DataFrame, source: str | Path,
                  report: bool = False) -> pd.DataFrame:
    """``segments`` with the metadata fields of each one's document as more columns (``""`` where it has none).

    Parameters
    ----------
    segments
        A segments table with a ``document`` column.
    metadata
        A table from :func:`read_metadata` or :func:`metadata_table`.
    source
        The metadata file, for the error messages.
    report
        Warn, as :func:`attach_metadata` does, about the segments' documents without a row and the rows of no
        document (for a segments table; documents read from transcripts were reported as they were read).

    Raises
    ------
    InputError
        If the segments have no ``document`` column or a field has the name of one of their columns.
    """
    fields = [column for column in metadata.columns if column != "document"]
    if "document" not in segments:
        raise InputError(f"{source}: the segments have no 'document' column to join the metadata on")
    clash = next((field for field in fields if field in segments.columns), None)
    if clash is not None:
        raise InputError(f"{source}: metadata field {clash!r} has the name of a column of the segments "
                         f"({', '.join(map(str, segments.columns))}); rename it")
    by_document = metadata.set_index("document")[fields]
    names = segments["document"].astype(str)
    matched = _row_keys(names.unique(), set(by_document.index))
    if report:
        _report_unmatched(list(names.unique()), matched, list(by_document.index))
    keys = [matched.get(name, name) for name in names]
    values = by_document.reindex(keys).fillna("").set_axis(segments.index)
    return pd.concat([segments, values], axis=1)


def attach_metadata(documents: list[Document], metadata: pd.DataFrame) -> None:
    """Copy each document's metadata row into ``Document.metadata``, warning about the ones that do not match.

    Parameters
    ----------
    documents
        Documents to complete (changed in place).
    metadata
        A table from :func:`read_metadata`.
    """
    rows = metadata.set_index("document").to_dict("index")
    keys = _row_keys([document.id for document in documents], set(rows))
    for document in documents:
        document.metadata.update(rows.get(keys.get(document.id), {}))
    _report_unmatched([document.id for document in documents], keys, list(rows))


def rows_named(document_ids: Iterable[str], metadata: pd.DataFrame) -> dict[str, str]:
    """The metadata row (its ``document`` cell) that each of ``document_ids`` joins, as :func:`attach_metadata`
    joins them; a document without one is left out.

    Parameters
    ----------
    document_ids
        The documents' ids.
    metadata
        A table from :func:`read_metadata`.

    Returns
    -------
    dict of str to str
        Document id → its row's ``document`` cell.
    """
    return _row_keys(document_ids, set(metadata["document"]))


def _report_unmatched(documents: list[str], keys: dict[str, str], rows: list[str]) -> None:
    """Warn about the ``documents`` that no metadata row matched (``keys``: document → its row) and the ``rows``
    that matched no document."""
    missing = [document for document in documents if document not in keys]
    unknown = sorted(set(rows) - set(keys.values()))
    if missing:
        logger.warning("no metadata for %d document(s): %s", len(missing), listed(missing))
    if unknown:
        logger.warning("metadata for %d unknown document(s): %s", len(unknown), listed(unknown))


def _row_keys(document_ids: Iterable[str], rows: set[str]) -> dict[str, str]:
    """The metadata row of each document that has one (see the module docstring): the row named by its id, or by
    its id less a file suffix (a transcript table's ``document`` cell may say ``int1.txt``); else the row whose
    last path part is the document's, where no other document and no other row not already taken has it
    (``fg_01`` for ``butabika/fg_01``; ``transcripts/int1.txt`` for ``int1``). A name that fits several is named
    in a warning and joins nothing. Names are compared in one Unicode form: a Mac names files "zu" + a combining
    diaeresis + "rich", where a table typed in a spreadsheet has "zürich"."""
    document_ids = list(dict.fromkeys(document_ids))
    composed = {_composed(row): row for row in sorted(rows)}
    keys = {name: _row_key(name, rows) for name in document_ids}
    keys = {name: key if key in rows else composed.get(_composed(key), key) for name, key in keys.items()}
    keys = {name: key for name, key in keys.items() if key in rows}
    documents_named: dict[str, list[str]] = {}
    for name in document_ids:
        documents_named.setdefault(_composed(_last_part(_document_id(name))), []).append(name)
    rows_named: dict[str, list[str]] = {}
    for row in sorted(rows - set(keys.values())):
        rows_named.setdefault(_composed(_last_part(row)), []).append(row)
    for last, names in documents_named.items():
        candidates = rows_named.get(last, [])
        if len(names) == 1 and len(candidates) == 1:
            keys.setdefault(names[0], candidates[0])
        elif candidates and any(name not in keys for name in names):
            logger.warning("metadata row(s) %s and document(s) %s share the name %r, so none is joined by it: "
                           "name each document by its id (%s)", listed(candidates), listed(names), last,
                           listed([name for name in names if name not in keys]))
    return keys


def _row_key(document_id: str, rows) -> str:
    """The metadata row of a document: its id, or its id less a file suffix, as metadata names are read (a
    transcript table's ``document`` cell may say ``int1.txt``)."""
    return document_id if document_id in rows else _document_id(document_id)


def _document_id(name: str) -> str:
    """``name`` less a supported file suffix, folders kept: ``butabika/fg_01.txt`` → ``butabika/fg_01``."""
    suffix = Path(name).suffix
    return name[:-len(suffix)] if suffix and is_supported(Path(name)) else name


def _composed(name: str) -> str:
    """``name`` in Unicode's composed form (NFC), as names are compared."""
    return unicodedata.normalize("NFC", name)


def _last_part(name: str) -> str:
    """The last part of a path-like name, ``/`` or ``\\`` separated: ``fg_01`` of ``butabika/fg_01``."""
    return re.split(r"[\\/]", name)[-1]


