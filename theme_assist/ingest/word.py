"""Word transcripts (``.docx``, read with python-docx).

The document text is the non-empty paragraphs, separated by blank lines, so that speaker labels and paragraphs
are found exactly as in a plain-text transcript; a paragraph's text is what Word shows with tracked changes accepted
(the runs inside insertions, content controls, smart tags and fields too; deletions left out). Tables (a common
transcript layout: time | speaker | text) are read row by row in document order, each row becoming a line
``[time] speaker: text``. A first row of
column names (:data:`HEADER_ROLES`, :data:`IGNORED_COLUMNS`, naming a text column) is skipped and gives each
column its role (other columns, such as notes, are left out); without it the last cell is the text and the
cells before it the label (a first cell holding a time or time range is the timestamp). A row with an empty
text cell is left out.

A ``.docx`` is a zip archive: it is checked with :func:`theme_assist.safezip.check_archive` (entry count, total
inflated size, compression ratio) before python-docx inflates and parses it, and a damaged one (not a zip, a
broken deflate stream, malformed or misplaced XML) is refused with one line naming the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from lxml import etree

from theme_assist.documents import Document
from theme_assist.errors import InputError
from theme_assist.ingest.decoding import check_size
from theme_assist.ingest.plain_text import document_from_text
from theme_assist.ingest.registry import NotATranscript, readers
from theme_assist.ingest.speakers import is_timestamp, turn_line
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
        blocks = [(block.replace("\r\n", "\n").replace("\r", "\n"), heading)
                  for block, heading in _text_blocks(word_document)]
    except (PackageNotFoundError, *DAMAGED_DOCX_ERRORS) as exc:
        raise InputError(f"{path} is not a readable .docx file ({damage(exc)})") from None
    blocks = [(block, heading) for block, heading in blocks if block.strip()]
    text = "\n\n".join(block for block, _ in blocks)
    if not text:
        raise NotATranscript(f"{path} is empty (no text in its paragraphs or tables)")
    headings, offset = [], 0
    for block, heading in blocks:
        if heading:  # where its text begins, as parse_turns finds a line's
            headings.append(offset + len(block) - len(block.lstrip()))
        offset += len(block) + 2
    return [document_from_text(path, text, headings)]


_NAMESPACES = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
}
_HIDDEN = ("ancestor::w:del or ancestor::w:moveFrom or ancestor::w:txbxContent or ancestor::mc:Fallback "
           "or ancestor::w:rt")
"""What Word does not show as the paragraph's text: tracked deletions and the old place of moved text, text boxes
(anchored in a run, left out as before), the fallback copy of alternate content, phonetic guides above the text."""
_HEADING_STYLE = re.compile(r"(?i)heading [1-9]|title")
_HEADING_STYLE_ID = re.compile(r"Heading[1-9]|Title")
_RUNS = etree.XPath(f".//w:r[not({_HIDDEN})]", namespaces=_NAMESPACES)
_CELL_PARAGRAPHS = etree.XPath(".//w:p[not(ancestor::w:txbxContent or ancestor::mc:Fallback)]",
                               namespaces=_NAMESPACES)
_BLOCKS = etree.XPath("./w:p | ./w:tbl | ./w:sdt/w:sdtContent | ./w:customXml", namespaces=_NAMESPACES)
_ROWS = etree.XPath("./w:tr | ./w:sdt/w:sdtContent/w:tr | ./w:customXml/w:tr", namespaces=_NAMESPACES)
_CELLS = etree.XPath("./w:tc | ./w:sdt/w:sdtContent/w:tc | ./w:customXml/w:tc", namespaces=_NAMESPACES)


def _text_blocks(word_document) -> Iterator[tuple[str, bool]]:
    """The text of each paragraph and table row, in document order, each with whether it is a heading paragraph
    (:func:`_heading_styles`; a table row never is)."""
    yield from _blocks_of(word_document.element.body, _heading_styles(word_document))


def _heading_styles(word_document) -> frozenset[str]:
    """The ids of the paragraph styles that make a heading: "Heading 1" to "Heading 9" and "Title", by name as
    python-docx reports it (Word writes a built-in style's name in English in a document of any language, with a
    style id of the language: ``berschrift1`` for "heading 1") or by style id."""
    styles = {style.style_id: style.name for style in word_document.styles if style.style_id}
    return frozenset(style_id for style_id, name in styles.items()
                     if _HEADING_STYLE.fullmatch(name or "") or _HEADING_STYLE_ID.fullmatch(style_id)) | {
        "Title", *(f"Heading{level}" for level in range(1, 10))}


def _blocks_of(container, headings: frozenset[str]) -> Iterator[tuple[str, bool]]:
    """The paragraphs (each with whether its style is one of ``headings``) and table rows of a body, also those
    inside content controls (``w:sdt``) and custom XML, which python-docx's ``iter_inner_content`` passes over."""
    for block in _BLOCKS(container):
        if block.tag == f"{{{_NAMESPACES['w']}}}p":
            yield _paragraph_text(block), block.style in headings
        elif block.tag == f"{{{_NAMESPACES['w']}}}tbl":
            yield from ((line, False) for line in _table_lines(block))
        else:
            yield from _blocks_of(block, headings)


def _paragraph_text(paragraph) -> str:
    """The text of a ``w:p`` as Word shows it with tracked changes accepted: every run in it, also those inside a
    tracked insertion, a content control, a smart tag or a field (python-docx's ``Paragraph.text`` reads only
    the runs directly in the paragraph or a hyperlink, and drops the rest without a word)."""
    return "".join(run.text for run in _RUNS(paragraph))


def _table_lines(table) -> Iterator[str]:
    """Each row with text of a table (a ``w:tbl`` element) as one transcript line, the columns' roles from a header
    row if there is one."""
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
    """The cells of each row of a ``w:tbl`` element.

    The cells are read from the row's ``<w:tc>`` elements, once each, rather than through python-docx's
    ``row.cells``, which repeats a cell once per grid column it spans (a ``gridSpan`` of two billion in a
    few-KB file is a tuple of two billion cells) and finds the text of a vertically merged cell by recursing
    up the rows (a RecursionError past about a thousand merged rows, and time growing with their square).
    Here a cell that continues a vertical merge (``vMerge="continue"``) repeats the text of the cell above it
    at the same grid column, as ``row.cells`` would, from one dictionary kept while going down the table.
    """
    above: dict[int, str] = {}  # grid column → text of the last cell there, for vertical merges
    for tr in _ROWS(table):
        cells: list[_Cell] = []
        column = max(tr.grid_before, 0)
        for tc in _CELLS(tr):
            if tc.vMerge == "continue":
                text = above.get(column, "")
            else:  # its paragraphs, also those of a table nested in it
                text = " ".join(" ".join(_paragraph_text(paragraph) for paragraph in _CELL_PARAGRAPHS(tc)).split())
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
    """A row without a header: the last cell is the utterance, the cells before it its label, less a first cell
    holding a time or time range, which is its timestamp (``0:03``, as Otter and Zoom write it, would otherwise
    be taken for part of the label, which then fails the label rules and the speaker is lost)."""
    texts: list[str] = []
    for _, _, text in cells:
        if text and (not texts or texts[-1] != text):  # merged cells repeat their text
            texts.append(text)
    if len(texts) >= 2 and is_timestamp(texts[0]):
        return turn_line(texts[-1], " ".join(texts[1:-1]), texts[0])
    return "".join(texts) if len(texts) < 2 else f"{' '.join(texts[:-1])}: {texts[-1]}"
