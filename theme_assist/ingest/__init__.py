"""Transcripts in: plain text, Word, subtitles and tables become :class:`~theme_assist.documents.Document` s.

>>> from theme_assist.ingest import read_documents
>>> documents = read_documents("corpora/demo/transcripts", metadata="corpora/demo/metadata.csv")  # doctest: +SKIP

Each format is a reader registered by file suffix in :data:`~theme_assist.ingest.registry.readers`; importing
this package registers the built-in ones. Warnings (skipped files, missing metadata, a non-UTF-8 encoding) go
to the ``theme_assist.ingest`` logger.
"""

from theme_assist.ingest import plain_text, subtitles, tables, word  # noqa: F401  (register the readers)
from theme_assist.ingest.metadata import attach_metadata, join_metadata, metadata_table, read_metadata
from theme_assist.ingest.reader import read_documents, skipped_as_unsupported, skipped_note
from theme_assist.ingest.registry import NotATranscript, readers, supported_suffixes
from theme_assist.ingest.tables import documents_from_table

__all__ = [
    "NotATranscript",
    "attach_metadata",
    "documents_from_table",
    "join_metadata",
    "metadata_table",
    "read_documents",
    "read_metadata",
    "readers",
    "skipped_as_unsupported",
    "skipped_note",
    "supported_suffixes",
]
