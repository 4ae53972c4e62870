"""The registry of transcript readers, keyed by file suffix (as spaCy registers its factories).

A reader takes a path and returns the documents in it::

    @readers.register(".txt")
    def read_plain_text(path: Path) -> list[Document]: ...

Adding a format means adding a module that registers its reader and importing it in
:mod:`theme_assist.ingest`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import catalogue

from theme_assist.documents import Document
from theme_assist.errors import InputError

Reader = Callable[[Path], list[Document]]

readers = catalogue.create("theme_assist", "readers")


INSTEAD = {
    ".qdpx": "a REFI-QDA project: read it with `theme-assist import-qdpx`, then give the documents folder it writes",
    ".doc": "a Word 97-2003 file: save it as .docx",
}
"""What a file of a kind users keep beside their transcripts, and no reader takes, is, and what to do with it."""


def unsupported(path: Path) -> str:
    """Why ``path`` is not read, for a message naming it: what to do where :data:`INSTEAD` knows."""
    return INSTEAD.get(path.suffix.lower(), "not a supported transcript file")


def supported_suffixes() -> list[str]:
    """The file suffixes a reader is registered for, sorted."""
    return sorted(readers.get_all())


def is_supported(path: Path) -> bool:
    """Whether a reader is registered for the file's suffix (case-insensitive)."""
    return path.suffix.lower() in readers


def reader_for(path: Path) -> Reader:
    """The reader registered for the file's suffix.

    Raises
    ------
    InputError
        If no reader is registered for it; the message lists the supported suffixes.
    """
    if not is_supported(path):
        instead = f" ({INSTEAD[path.suffix.lower()]})" if path.suffix.lower() in INSTEAD else ""
        raise InputError(
            f"{path}: unsupported file type {path.suffix or '(no suffix)'!r}{instead}; "
            f"supported: {', '.join(supported_suffixes())}"
        )
    return readers.get(path.suffix.lower())


class NotATranscript(InputError):
    """The file holds no transcript: it is empty, or a table without a text column.

    Reading the file on its own is an error; reading a folder skips it with a warning.
    """
