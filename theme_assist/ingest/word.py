"""Word transcripts (``.docx``, read with python-docx).

The document text is the non-empty paragraphs, separated by blank lines, so that speaker labels and
paragraphs are found exactly as in a plain-text transcript. Tables (a common transcript layout: time | speaker |
text) are read row by row in document order, each row becoming a line ``time speaker: text``. A first row of
column names (:data:`HEADER_ROLES`, :data:`IGNORED_COLUMNS`, naming a text column) is skipped and gives each
column its role (other columns, such as notes, are left out); without it the last cell is the text and the
cells before it the label. A row with an empty text cell is left out.

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
from theme_assist.ingest.speakers import turn_line
from theme_assist.ingest.tables import COLUMN_ALIASES
from theme_assist.safezip import DAMAGED_CONTAINER_ERRORS, check_archive, damage

DAMAGED_DOCX_ERRORS = (*DAMAGED_CONTAINER_ERRORS, KeyError, ValueError, AttributeError)
"""What python-docx raises on a damaged file: besides a bad zip and malformed XML, AttributeError / KeyError /
ValueError for a well-formed part that is not what Word writes there (a wrong root element, a missing part)."""

HEADER_ROLES = {alias: role for role in ("text", "speaker", "timestamp") for alias in COLUMN_ALIASES[role]} | {
    "time": "timestamp", "name": "speaker",
}
"""Column names in a table's header row (case-insensitive, spaces as ``_``) → the role of their column."""
IGNORED_COLUMNS = frozenset({"notes", "note", "comment", "comments", "memo", "code", "codes", "#", "no.", "line"})
"""Column names a header row may also hold: their columns are left out."""


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
    """Each table row with text as one transcript line, the columns' roles from a header row if there is one."""
    rows = list(_table_rows(table))
    roles = _header_roles(rows[0]) if rows else None
    if roles is not None:
        rows = rows[1:]
    # without a header, the text is in the rightmost column that holds any
    text_column = roles["text"] if roles else max((first for cells in rows for first, _, text in cells if text),
                                                  default=0)
    for cells in rows:
        if _cell_at(cells, text_column):
            yield _row_line(cells) if roles is None else _row_line_by_role(cells, roles)


_Cell = tuple[int, int, str]  # first grid column, columns spanned, text


def _table_rows(table) -> Iterator[list[_Cell]]:
    """The cells of each row.

    The cells are read from the row's ``<w:tc>`` elements, once each, rather than through python-docx's
    ``row.cells``, which repeats a cell once per grid column it spans (a ``gridSpan`` of two billion in a
    few-KB file is a tuple of two billion cells) and finds the text of a vertically merged cell by recursing
    up the rows (a RecursionError past about a thousand merged rows, and time growing with their square).
    Here a cell that continues a vertical merge (``vMerge="continue"``) repeats the text of the cell above it
    at the same grid column, as ``row.cells`` would, from one dictionary kept while going down the table.
    """
    from docx.table import _Cell as DocxCell

    above: dict[int, str] = {}  # grid column → text of the last cell there, for vertical merges
    for tr in table._tbl.tr_lst:
        cells: list[_Cell] = []
        column = max(tr.grid_before, 0)
        for tc in tr.tc_lst:
            if tc.vMerge == "continue":
                text = above.get(column, "")
            else:
                text = " ".join(DocxCell(tc, table).text.split())
            above[column] = text
            span = max(tc.grid_span, 1)
            cells.append((column, span, text))
            column += span
        yield cells


def _header_roles(cells: list[_Cell]) -> dict[str, int] | None:
    """Role → grid column, if the row is a header row naming a text column; else None."""
    names = {column: "_".join(text.casefold().rstrip(":").split()) for column, _, text in cells if text}
    if not names or not all(name in HEADER_ROLES or name in IGNORED_COLUMNS for name in names.values()):
        return None
    roles: dict[str, int] = {}
    for column, name in names.items():
        if name in HEADER_ROLES:
            roles.setdefault(HEADER_ROLES[name], column)
    return roles if "text" in roles else None


def _cell_at(cells: list[_Cell], column: int | None) -> str:
    """The text of the cell covering a grid column ("" for none)."""
    return next((text for first, span, text in cells if column is not None and first <= column < first + span), "")


def _row_line_by_role(cells: list[_Cell], roles: dict[str, int]) -> str:
    """A row read by the roles of its columns (role → grid column)."""
    return turn_line(_cell_at(cells, roles["text"]), _cell_at(cells, roles.get("speaker")),
                     _cell_at(cells, roles.get("timestamp")))


def _row_line(cells: list[_Cell]) -> str:
    """A row without a header: the last cell is the utterance, the cells before it its label."""
    texts: list[str] = []
    for _, _, text in cells:
        if text and (not texts or texts[-1] != text):  # merged cells repeat their text
            texts.append(text)
    return "".join(texts) if len(texts) < 2 else f"{' '.join(texts[:-1])}: {texts[-1]}"
