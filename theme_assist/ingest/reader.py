"""Reading transcripts: one file, or every supported file of a folder, with optional metadata."""

from __future__ import annotations

import logging
from pathlib import Path

from theme_assist.documents import Document
from theme_assist.errors import InputError
from theme_assist.ingest.metadata import attach_metadata, read_metadata
from theme_assist.ingest.registry import NotATranscript, is_supported, reader_for, supported_suffixes
from theme_assist.ingest.tables import TABLE_SUFFIXES, is_coding_table

logger = logging.getLogger(__name__)


def read_documents(path: str | Path, metadata: str | Path | None = None) -> list[Document]:
    """Read transcripts into documents.

    Parameters
    ----------
    path
        A transcript file (``.txt``, ``.docx``, ``.vtt``, ``.srt``, ``.csv``, ``.tsv``, ``.xlsx``) or a folder.
        In a folder every supported file is read, in order of file name; sub-folders, hidden files, Office
        lock files (``~$name.docx``, there while Word has the file open), unsupported and empty files, tables
        without a text column and coding tables (with a ``code`` column, such as a reference coding) are skipped
        with a logged warning; so is the metadata file. A file that cannot be read refuses the folder, after
        every file has been tried, so that one run names them all.
    metadata
        Optional metadata table (see :func:`~theme_assist.ingest.metadata.read_metadata`) joined on the
        document id.

    Returns
    -------
    list of Document
        In file order, then in order within each file.

    Raises
    ------
    InputError
        If the path does not exist, a file cannot be read (in a folder: one or more, each then named in a logged
        warning), a folder holds no transcript, or two documents share an id.
    """
    path = Path(path)
    if path.is_dir():
        documents = _read_folder(path, skip=Path(metadata) if metadata is not None else None)
    elif path.is_file():
        documents = reader_for(path)(path)
    else:
        raise InputError(f"{path}: no such file or folder")
    _check_unique_ids(documents)
    if metadata is not None:
        attach_metadata(documents, read_metadata(metadata))
    return documents


def _read_folder(folder: Path, skip: Path | None) -> list[Document]:
    documents: list[Document] = []
    unreadable: list[InputError] = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.startswith(".") or (skip is not None and path.resolve() == skip.resolve()):
            continue
        if path.name.startswith("~$"):  # Word and Excel keep one beside a file they have open
            logger.warning("skipped %s: an Office lock file (its document is open), not a transcript", path)
            continue
        if path.is_dir():
            logger.warning("skipped %s: a sub-folder (only the files directly in %s are read)", path, folder)
            continue
        if not path.is_file() or not is_supported(path):
            logger.warning("skipped %s: not a supported transcript file", path)
            continue
        try:
            if path.suffix.lower() in TABLE_SUFFIXES and is_coding_table(path):
                logger.warning("skipped %s: a coding table (it has a 'code' column), not a transcript", path)
                continue
            documents.extend(reader_for(path)(path))
        except NotATranscript as exc:
            logger.warning("skipped %s", exc)
        except InputError as exc:  # read on: a batch of hundreds of files should not be fixed one run at a time
            unreadable.append(exc)
    _refuse_unreadable(folder, unreadable)
    if not documents:
        raise InputError(f"{folder} holds no transcripts (supported files: {', '.join(supported_suffixes())})")
    return documents


def _refuse_unreadable(folder: Path, unreadable: list[InputError]) -> None:
    """Refuse the folder if a file in it could not be read: with one, its own error; with several, each is
    logged as a warning and the error counts them."""
    if len(unreadable) == 1:
        raise unreadable[0]
    if unreadable:
        for exc in unreadable:
            logger.warning("unreadable: %s", exc)
        raise InputError(f"{len(unreadable)} files in {folder} cannot be read (each named above); nothing was "
                         "processed: fix them, or move them out of the folder")


def _check_unique_ids(documents: list[Document]) -> None:
    seen: dict[str, str] = {}
    for document in documents:
        if document.id in seen:
            raise InputError(
                f"two documents are called {document.id!r} ({seen[document.id]} and {document.source}); rename one"
            )
        seen[document.id] = document.source
