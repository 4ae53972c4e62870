"""Word transcripts (``.docx``, read with python-docx).

The document text is the non-empty paragraphs, separated by blank lines, so that speaker labels and
paragraphs are found exactly as in a plain-text transcript. Tables (a common transcript layout: time | speaker |
text) are read row by row in document order, each row becoming a line ``time speaker: text``.

A ``.docx`` is a zip archive: it is checked with :func:`theme_assist.safezip.check_archive` (entry count, total
inflated size, compression ratio) before python-docx inflates and parses it, and a damaged one (not a zip, a
broken deflate stream, malformed or misplaced XML) is refused with one line naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from theme_assist.documents import Document
from theme_assist.errors import InputError
from theme_assist.ingest.decoding import check_size
from theme_assist.ingest.plain_text import document_from_text
from theme_assist.ingest.registry import NotATranscript, readers
from theme_assist.safezip import DAMAGED_CONTAINER_ERRORS, check_archive, damage

DAMAGED_DOCX_ERRORS = (*DAMAGED_CONTAINER_ERRORS, KeyError, ValueError, AttributeError)
"""What python-docx raises on a damaged file: besides a bad zip and malformed XML, AttributeError / KeyError /
ValueError for a well-formed part that is not what Word writes there (a wrong root element, a missing part)."""


@readers.register(".docx")
def read_docx(path: Path) -> list[Document]:
    """Read a ``.docx`` transcript: paragraphs and table rows, speaker labels as in plain text."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    check_size(path)
    check_archive(path, kind=".docx")
    try:
        word_document = docx.Document(str(path))
        blocks = [block.replace("\r\n", "\n").replace("\r", "\n") for block in _text_blocks(word_document)]
    except (PackageNotFoundError, *DAMAGED_DOCX_ERRORS) as exc:
        raise InputError(f"{path} is not a readable .docx file ({damage(exc)})") from None
    text = "\n\n".join(block for block in blocks if block.strip())
    if not text:
        raise NotATranscript(f"{path} is empty (no text in its paragraphs or tables)")
    return [document_from_text(path, text)]


def _text_blocks(word_document) -> Iterator[str]:
    """The text of each paragraph and table row, in document order."""
    from docx.table import Table

    for block in word_document.iter_inner_content():
        if isinstance(block, Table):
            yield from _table_lines(block)
        else:
            yield block.text


def _table_lines(table) -> Iterator[str]:
    """Each table row as one transcript line: the last cell is the utterance, the cells before it its label.

    The cells are read from the row's ``<w:tc>`` elements, once each, rather than through python-docx's
    ``row.cells``, which repeats a cell once per grid column it spans (a ``gridSpan`` of two billion in a
    few-KB file is a tuple of two billion cells) and finds the text of a vertically merged cell by recursing
    up the rows (a RecursionError past about a thousand merged rows, and time growing with their square).
    Here a cell that continues a vertical merge (``vMerge="continue"``) repeats the text of the cell above it
    at the same grid column, as ``row.cells`` would, from one dictionary kept while going down the table.
    """
    from docx.table import _Cell

    above: dict[int, str] = {}  # grid column → text of the last cell there, for vertical merges
    for tr in table._tbl.tr_lst:
        cells: list[str] = []
        column = max(tr.grid_before, 0)
        for tc in tr.tc_lst:
            if tc.vMerge == "continue":
                text = above.get(column, "")
            else:
                text = " ".join(_Cell(tc, table).text.split())
            above[column] = text
            column += max(tc.grid_span, 1)
            if text and (not cells or cells[-1] != text):  # merged cells repeat their text
                cells.append(text)
        yield "".join(cells) if len(cells) < 2 else f"{' '.join(cells[:-1])}: {cells[-1]}"
