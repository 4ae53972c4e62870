"""Reading transcripts: one file, or every supported file of a folder, with optional metadata."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path, PurePosixPath

from theme_assist.documents import Document
from theme_assist.errors import InputError, listed
from theme_assist.ingest.decoding import NOT_A_FILE, refuse_name_not_utf8
from theme_assist.ingest.metadata import attach_metadata, read_metadata
from theme_assist.ingest.registry import NotATranscript, is_supported, reader_for, supported_suffixes, unsupported
from theme_assist.ingest.tables import TABLE_SUFFIXES, is_coding_table

logger = logging.getLogger(__name__)

class Skipped(list):
    """The files a folder read skipped as not a supported format (the list), and in :attr:`unread` those of a
    supported format it did not read as transcripts (empty, a table without a text column, a coding table)."""

    def __init__(self) -> None:
        super().__init__()
        self.unread: list[str] = []


_SKIPPED: ContextVar[Skipped | None] = ContextVar("skipped_as_unsupported", default=None)
"""Where :func:`skipped_as_unsupported` collects the files a folder read skips."""


@contextmanager
def skipped_as_unsupported() -> Iterator[Skipped]:
    """Collect the files that folder reads within the block skip as not a supported format (each also named in a
    warning as it is skipped), by their path in the folder, so that a command's closing line can count them
    (:func:`skipped_note`); and, in its ``unread``, the files of a supported format not read as transcripts (an
    empty file, a table without a text column: a transcript left out by a column's name). Hidden files (a
    ``.DS_Store``) are no such file: they are skipped silently.

    >>> with skipped_as_unsupported() as skipped:                 # doctest: +SKIP
    ...     documents = read_documents("transcripts")
    """
    skipped = Skipped()
    token = _SKIPPED.set(skipped)
    try:
        yield skipped
    finally:
        _SKIPPED.reset(token)


def skipped_note(skipped: list[str], shown: int = 3) -> str:
    """``"; N files skipped (not a supported format: a.pdf, b.doc …)"`` for a closing line, with ``"; not read as
    transcripts: …"`` inside for a :class:`Skipped`'s ``unread``; ``""`` for none."""
    unread = getattr(skipped, "unread", [])
    if not skipped and not unread:
        return ""
    total = len(skipped) + len(unread)
    files = "1 file" if total == 1 else f"{total} files"
    parts = [f"not a supported format: {listed(sorted(skipped), shown)}"] if skipped else []
    if unread:
        parts.append(f"not read as transcripts, each said why above: {listed(sorted(unread), shown)}")
    return f"; {files} skipped ({'; '.join(parts)})"


def read_documents(path: str | Path, metadata: str | Path | None = None, recursive: bool = False,
                   skip: str | Path | None = None, warn_copies: bool = True) -> list[Document]:
    """Read transcripts into documents.

    Parameters
    ----------
    path
        A transcript file (``.txt``, ``.docx``, ``.vtt``, ``.srt``, ``.csv``, ``.tsv``, ``.xlsx``) or a folder.
        In a folder every supported file is read, in order of file name; sub-folders (unless ``recursive``),
        hidden files, Office lock files (``~$name.docx``, there while Word has the file open), unsupported and
        empty files, tables without a text column and coding tables (with a ``code`` column, such as a reference
        coding) are skipped with a logged warning; so is the metadata file. A file that cannot be read refuses
        the folder, after every file has been tried, so that one run names them all.
    metadata
        Optional metadata table (see :func:`~theme_assist.ingest.metadata.read_metadata`) joined on the
        document id.
    recursive
        For a folder: read its sub-folders too, in order of relative path. A document in a sub-folder has that
        sub-folder's path before its id, with ``/`` on every system (``butabika/fg_01`` for
        ``butabika/fg_01.txt``), so that files of the same name in two sub-folders are two documents. Hidden
        sub-folders are skipped silently, links to folders with a warning (never followed: nothing outside
        ``path`` is read, and nothing twice).
    skip
        For a folder: a file in it not to read (a metadata table the caller joins itself), as ``metadata`` is
        not read as a transcript.
    warn_copies
        Warn of documents with the same text, each read as a document of its own; ``False`` for a caller that
        refuses them itself (``project add``: a project cannot drop a document once added).

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
        skipped = metadata if metadata is not None else skip
        documents = _read_folder(path, skip=Path(skipped) if skipped is not None else None, recursive=recursive)
    elif path.is_file():
        documents = reader_for(path)(path)
    elif path.exists():
        raise InputError(f"{path} is {NOT_A_FILE}")
    else:
        raise InputError(f"{path}: no such file or folder")
    for document in documents:
        refuse_name_not_utf8(document.id, document.source, "it is the document's id, written into every table")
    _check_unique_ids(documents)
    if warn_copies:
        _warn_of_copies(documents)
    if metadata is not None:
        attach_metadata(documents, read_metadata(metadata))
    return documents


def _read_folder(folder: Path, skip: Path | None, recursive: bool = False) -> list[Document]:
    documents: list[Document] = []
    unreadable: list[InputError] = []
    skipped = _SKIPPED.get()
    for path, sub_folder in _transcript_files(folder, skip, recursive):
        try:
            if path.suffix.lower() in TABLE_SUFFIXES and is_coding_table(path):
                logger.warning("skipped %s: a coding table (it has a 'code' column), not a transcript", path)
                if skipped is not None:
                    skipped.unread.append(path.relative_to(folder).as_posix())
                continue
            documents.extend(_in_sub_folder(reader_for(path)(path), sub_folder))
        except NotATranscript as exc:
            logger.warning("skipped %s", exc)
            if skipped is not None:
                skipped.unread.append(path.relative_to(folder).as_posix())
        except InputError as exc:  # read on: a batch of hundreds of files should not be fixed one run at a time
            unreadable.append(exc)
    _refuse_unreadable(folder, unreadable)
    if not documents:
        raise InputError(f"{folder} holds no transcripts (supported files: {', '.join(supported_suffixes())})")
    return documents


def _transcript_files(root: Path, skip: Path | None, recursive: bool) -> Iterator[tuple[Path, PurePosixPath]]:
    """The supported files of ``root`` in order of name, each with its sub-folder of ``root``; with ``recursive``,
    those of its sub-folders too, where they sort (in order of relative path). What is left out is logged as
    :func:`read_documents` says. The folders being read are a stack, not nested calls, so that a tree of any
    depth is read (nested calls stopped at about a thousand levels with a RecursionError)."""
    from theme_assist.inputs import resolved_or_none, resolved_path

    skip = resolved_path("--metadata", skip) if skip is not None else None
    pending = [iter(_entries(root))]
    while pending:
        path = next(pending[-1], None)
        if path is None:
            pending.pop()
            continue
        if path.name.startswith(".") or (skip is not None and resolved_or_none(path) == skip):
            continue
        if path.name.startswith("~$"):  # Word and Excel keep one beside a file they have open
            logger.warning("skipped %s: an Office lock file (its document is open), not a transcript", path)
            continue
        if path.is_dir() and not recursive:
            logger.warning("skipped %s: a sub-folder (only the files directly in %s are read): give --recursive to "
                           "read sub-folders too", path, path.parent)
            continue
        if path.is_dir() and path.is_symlink():  # never followed: no loop, nothing read twice or outside root
            logger.warning("skipped %s: a link to a folder, not followed (copy the folder in to read it)", path)
            continue
        if path.is_dir():
            pending.append(iter(_entries(path)))
            continue
        if not path.is_file():
            logger.warning("skipped %s: not a file (a broken link, a pipe or a device)", path)
            continue
        if not is_supported(path):
            logger.warning("skipped %s: %s", path, unsupported(path))
            if (skipped := _SKIPPED.get()) is not None:
                skipped.append(path.relative_to(root).as_posix())
            continue
        yield path, PurePosixPath(*path.parent.relative_to(root).parts)


def _entries(folder: Path) -> list[Path]:
    """The entries of ``folder`` in order of name."""
    try:
        return sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:  # a sub-folder the user may not open
        raise InputError(f"{folder}: cannot be read ({exc.strerror or exc})") from None


def _in_sub_folder(documents: list[Document], sub_folder: PurePosixPath) -> list[Document]:
    """``documents`` read from a file of ``sub_folder`` (relative to the folder read), their ids prefixed with
    it: ``butabika/fg_01``."""
    if sub_folder.parts:
        for document in documents:
            document.id = f"{sub_folder}/{document.id}"
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


#: Pairs of documents with the same text that :func:`_warn_of_copies` names one by one; the others in one line.
COPIES_NAMED = 5


def _warn_of_copies(documents: list[Document]) -> None:
    """Warn of documents with the same text (``fg_01 (copy).txt`` beside ``fg_01.txt``): each is read as a
    document of its own, so its segments would count twice in themes, shares and agreement."""
    first: dict[str, str] = {}
    copies: list[tuple[str, str]] = []
    for document in documents:
        text = document.text.strip()
        if text and text in first:
            copies.append((first[text], document.source or document.id))
        first.setdefault(text, document.source or document.id)
    for original, copy in copies[:COPIES_NAMED]:
        logger.warning("%s and %s have the same text (a copy?): both are read, as two documents; remove one "
                       "unless the study has it twice", original, copy)
    if len(copies) > COPIES_NAMED:  # a folder copied into itself: one line, not hundreds
        logger.warning("%d more documents have the same text as another (%s): each is read as a document of its own",
                       len(copies) - COPIES_NAMED, listed([copy for _, copy in copies[COPIES_NAMED:]], 3))


def _check_unique_ids(documents: list[Document]) -> None:
    seen: dict[str, str] = {}
    for document in documents:
        if document.id in seen:
            raise InputError(
                f"two documents are called {document.id!r} ({seen[document.id]} and {document.source}); rename one"
            )
        seen[document.id] = document.source
