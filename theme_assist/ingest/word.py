"""Word transcripts (``.docx``, read with python-docx).

The document text is the non-empty paragraphs, separated by blank lines, so that speaker labels and
paragraphs are found exactly as in a plain-text transcript. Tables (a common transcript layout: time | speaker |
text) are read row by row in document order, each row becoming a line ``time speaker: text``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Iterator

from theme_assist.documents import Document
from theme_assist.errors import InputError
from theme_assist.ingest.decoding import check_size
from theme_assist.ingest.plain_text import document_from_text
from theme_assist.ingest.registry import NotATranscript, readers


@readers.register(".docx")
def read_docx(path: Path) -> list[Document]:
    """Read a ``.docx`` transcript: paragraphs and table rows, speaker labels as in plain text."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    check_size(path)
    try:
        word_document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"{path} is not a readable .docx file ({exc})") from None
    blocks = [block.replace("\r\n", "\n").replace("\r", "\n") for block in _text_blocks(word_document)]
    text = "\n\n".join(block for block in blocks if block.strip())
    if not text:
        raise NotATranscript(f"{path} is empty (no text in its paragraphs or tables)")
    return [document_from_text(path, text)]


def _text_blocks(word_document) -> Iterator[str]:
    """The text of each paragraph and table row, in document order."""
    from docx.table import Table

    for block in word_document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                yield _row_line(row)
        else:
            yield block.text


def _row_line(row) -> str:
    """A table row as one transcript line: the last cell is the utterance, the cells before it its label."""
    cells: list[str] = []
    for cell in row.cells:
        text = " ".join(cell.text.split())
        if text and (not cells or cells[-1] != text):  # merged cells repeat their text
            cells.append(text)
    if len(cells) < 2:
        return "".join(cells)
    return f"{' '.join(cells[:-1])}: {cells[-1]}"
