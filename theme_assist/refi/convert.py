"""Between a REFI-QDA :class:`~.model.Project` and theme_assist's own types.

* Codes ↔ :class:`~theme_assist.codebook.Codebook`: the REFI code guid and colour go to ``Code.guid`` /
  ``Code.color``; a code's ``<Description>`` becomes its definition, and the include / exclude / examples of a
  theme_assist code travel inside the description in a fixed layout (:func:`compose_description`) that
  :func:`split_description` reads back.
* Text sources → :class:`~theme_assist.documents.Document` (id = a safe, unique file stem from the source's
  name).
* Selections and codings → the ``codings`` table, one row per coding (:data:`CODING_COLUMNS`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
import uuid

import pandas as pd

from theme_assist import __version__
from theme_assist.codebook import Code, Codebook, case_key
from theme_assist.documents import Document
from theme_assist.refi.model import CodeNode, Project

CODING_COLUMNS = ["document", "start", "end", "code", "coder", "text", "code_name", "segment_id",
                  "selection_guid", "coding_guid", "code_guid", "source_guid", "coder_guid", "created", "description"]
"""Columns of an imported ``codings.csv``: ``document`` (document id), ``start`` / ``end`` (character offsets,
``text == document_text[start:end]``), ``code`` (code id in ``codebook.yaml``), ``coder`` (user name), ``text``,
``code_name``, ``segment_id`` (``document@start-end``, shared by codings of one span), the REFI guids of
the selection, the coding, the code, the source and the coder, ``created`` (the coding's ``creationDateTime``
as written) and ``description`` (its selection's ``<Description>``)."""

GUID_NAMESPACE = uuid.UUID("6f1d9e1c-2b39-5c56-9d0e-7a1c3f0b8e42")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"{port}{i}" for port in ("com", "lpt") for i in "0123456789¹²³")}
"""File names Windows keeps for devices, in lower case; with any extension too (``CON.interview.txt`` is the
console), and with a superscript digit (``COM¹``)."""


def stable_guid(*key: object) -> str:
    """A guid derived from ``key`` (uuid5), so that the same export always gives the same guids.

    A lone surrogate (a name read from a command line's undecodable bytes) has no UTF-8, which uuid5 hashes: it is
    hashed as its escape (``\\udcff``), so names differing only there keep different guids."""
    name = "\x1f".join(str(part) for part in key)
    return str(uuid.uuid5(GUID_NAMESPACE, name.encode("utf-8", "backslashreplace").decode("utf-8"))).upper()


# --- code descriptions -------------------------------------------------------------------------------------

_INCLUDE, _EXCLUDE, _EXAMPLES = "Include: ", "Exclude: ", "Examples:\n"


def compose_description(code: Code) -> str:
    """The REFI ``<Description>`` text of a code: its definition, then include / exclude / examples blocks."""
    parts = [code.definition]
    if code.include:
        parts.append(_INCLUDE + code.include)
    if code.exclude:
        parts.append(_EXCLUDE + code.exclude)
    if code.examples:
        parts.append(_EXAMPLES + "\n".join("- " + " ".join(example.split()) for example in code.examples))
    return "\n\n".join(part for part in parts if part)


def _cut(text: str, marker: str) -> tuple[str, str | None]:
    """Split ``text`` at its last block starting with ``marker``: (before, block body) or (text, None)."""
    if text.startswith(marker) and f"\n\n{marker}" not in text:
        return "", text[len(marker):]
    head, sep, body = text.rpartition(f"\n\n{marker}")
    return (head, body) if sep else (text, None)


def split_description(text: str | None) -> dict:
    """Read a description back into ``definition``, ``include``, ``exclude`` and ``examples`` (the inverse of
    :func:`compose_description`); a description without those blocks is all definition."""
    rest = (text or "").strip()
    fields: dict = {"definition": "", "include": "", "exclude": "", "examples": []}
    head, body = _cut(rest, _EXAMPLES)
    if body is not None and all(line.startswith("- ") for line in body.split("\n")):
        fields["examples"] = [line[2:].strip() for line in body.split("\n") if line[2:].strip()]
        rest = head
    for key, marker in (("exclude", _EXCLUDE), ("include", _INCLUDE)):
        head, body = _cut(rest, marker)
        if body is not None:
            fields[key], rest = body.strip(), head
    fields["definition"] = rest.strip()
    return fields


# --- names --------------------------------------------------------------------------------------------------

def slug(name: str, fallback: str) -> str:
    """A lower-case identifier made of letters, digits and underscores (``fallback`` if nothing is left)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_") or fallback


def unique(candidate: str, taken: set[str]) -> str:
    """``candidate``, or ``candidate-2``, ``-3``… whichever is not in ``taken`` (which it is added to), ignoring
    case as the codebook does (:func:`~theme_assist.codebook.case_key`)."""
    name, number = candidate, 2
    while case_key(name) in taken:
        name, number = f"{candidate}-{number}", number + 1
    taken.add(case_key(name))
    return name


_ODD_CHARACTERS = re.compile(r"[^\w.-]+")


_MAX_STEM_BYTES = 245
"""The longest file stem :func:`_safe_stem` makes, in UTF-8 bytes: a file name's limit is 255 bytes on most systems,
and a stem takes ``.txt`` and perhaps ``-2`` (:func:`unique`) more."""


def _safe_stem(name: str) -> str:
    """``name`` as a file stem: no leading or trailing dot, no reserved or odd characters, at most 100 long and
    :data:`_MAX_STEM_BYTES` in UTF-8 (100 Devanagari or Chinese letters are 300), not cut between a letter and its
    combining marks. Combining marks are no odd characters: ``\\w`` leaves out the vowel signs of Devanagari ("पुणे"
    became "प_ण_"), Hebrew points and an accent written as a letter and a mark (a macOS file name), which a file
    name holds as well."""
    base = _ODD_CHARACTERS.sub(_unless_marks, name)
    base = _cut_stem(base.strip("._")).strip("._") or "source"
    return f"_{base}" if base.split(".", 1)[0].lower() in _WINDOWS_RESERVED else base


def _cut_stem(stem: str) -> str:
    """``stem``'s first 100 characters, fewer where they are more than :data:`_MAX_STEM_BYTES` in UTF-8, and none
    of a letter whose combining marks would be cut off (a vowel sign is part of its syllable)."""
    end = min(len(stem), 100)
    while end and len(stem[:end].encode("utf-8")) > _MAX_STEM_BYTES:
        end -= 1
    while 0 < end < len(stem) and unicodedata.category(stem[end])[0] == "M":
        end -= 1
    return stem[:end]


def _unless_marks(run: re.Match) -> str:
    """``_`` for a run of characters :func:`_safe_stem` replaces, after the combining marks that open it (those of
    the letter before it: "पुणे 01" is "पुणे_01"), which it keeps."""
    text = run.group()
    marks = len(text) - len(text.lstrip("".join(set(char for char in text if unicodedata.category(char)[0] == "M"))))
    return text[:marks] + ("_" if marks < len(text) else "")


def document_id(source_name: str, taken: set[str]) -> str:
    """A safe, unique file stem for a source: no path, no leading dot, no reserved or odd characters."""
    base = re.split(r"[\\/]", source_name)[-1]
    base = re.sub(r"\.(txt|docx?|rtf|pdf|odt)$", "", base, flags=re.IGNORECASE)
    return unique(_safe_stem(base), taken)


_MAX_OWN_ID = 255
"""The longest document id with folders :func:`own_document_id` keeps (a file name's limit on most systems)."""


def own_document_id(source_name: str, source_guid: str) -> str | None:
    """The document id a theme_assist export named a source by, folders kept (``butabika/fg_01``), or ``None``.

    Only a source theme_assist created carries its id as its name: its guid is the one derived from that id
    (:func:`stable_guid`), which another tool's source (``Interview 3/4``) has not. The id is taken only if every
    part of it is a safe file stem already (:func:`_safe_stem`), so that it names a file inside ``documents/``; no
    folder of it ends in ``.txt`` (the file of another id: ``x`` and ``x.txt/y``), and it is at most
    :data:`_MAX_OWN_ID` characters long, so that its folders can be made (a crafted name thousands of folders deep
    stopped the import with a RecursionError or 'File name too long').
    """
    if guid_key(source_guid) != stable_guid("source", source_name) or len(source_name) > _MAX_OWN_ID:
        return None
    parts = source_name.split("/")
    if any(part.lower().endswith(".txt") for part in parts[:-1]):
        return None
    return source_name if all(part == _safe_stem(part) for part in parts) else None


def renamed_on_import(document_ids: list[str]) -> list[tuple[str, str]]:
    """The ``(id, id on import)`` of each of the ``document_ids`` that a ``.qdpx`` theme_assist exports would come
    back under another name from (:func:`own_document_id` keeps no id a file stem cannot be: ``interview 1`` comes
    back as ``interview_1``), in their order."""
    renamed = []
    for document in document_ids:
        if own_document_id(document, stable_guid("source", document)) is None:
            renamed.append((document, document_id(document, set())))
    return renamed


# --- project → theme_assist ---------------------------------------------------------------------------------

def code_guid(code: Code) -> str:
    """The REFI guid of a code: its own, or one derived from its id (so a re-import can find the id again)."""
    return code.guid or stable_guid("code", code.id)


_GUID = re.compile(r"^(\{)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?(1)\})$")


def is_guid(value: str) -> bool:
    """Whether ``value`` is a GUID as QDA-XML writes them (optionally in braces)."""
    return bool(_GUID.match(value or ""))


def guid_key(guid: str | None) -> str:
    """A guid as compared: GUIDs are hexadecimal, so case does not matter, and the schema allows braces."""
    return (guid or "").strip().strip("{}").upper()


class _CodeIds:
    """Ids for imported codes: a known codebook's id where the guid (or else the unique name) matches, otherwise
    a slug of the name, made unique (prefixed with the parent's id first).

    The known ids are handed out before any slug, matches by guid before matches by name: a new code named like
    a known id must not take that id from the code that has it (its codings would come back as the other code).
    """

    def __init__(self, known: Codebook | None, nodes: list[CodeNode]):
        codes = known.all_codes if known else []
        names = Counter(code.name for code in codes)
        by_guid = {guid_key(code_guid(code)): code.id for code in codes}
        by_name = {code.name: code.id for code in codes if names[code.name] == 1}
        self.known: dict[int, str] = {}  # id(node) → its known id
        self.taken: set[str] = set()
        for lookup, key in ((by_guid, lambda node: guid_key(node.guid)), (by_name, lambda node: node.name.strip())):
            for node in nodes:
                known_id = lookup.get(key(node))
                if known_id and id(node) not in self.known and case_key(known_id) not in self.taken:
                    self.known[id(node)] = unique(known_id, self.taken)

    def __call__(self, node: CodeNode, parent_id: str | None) -> str:
        if id(node) in self.known:
            return self.known[id(node)]
        candidate = slug(node.name, "code")
        if candidate in self.taken and parent_id:
            candidate = f"{parent_id}.{candidate}"
        return unique(candidate, self.taken)


def _code(node: CodeNode, parent_id: str | None, ids: _CodeIds) -> Code:
    code = Code(id=ids(node, parent_id), name=node.name.strip() or node.guid, color=node.color, guid=node.guid,
                **split_description(node.description))
    code.children = [_code(child, code.id, ids) for child in node.children]
    return code


_EXCLUSIVE = "; codebook: one code per segment"


def theme_assist_origin(exclusive: bool) -> str:
    """The ``origin`` of a file theme_assist writes: its name and version, and whether the codebook is exclusive.

    QDA-XML has no setting for one code per segment; ``origin`` is a free text other tools show or ignore, and
    rewrite when they export the project themselves (their codebook is then read as non-exclusive again).
    """
    return f"theme_assist {__version__}{_EXCLUSIVE if exclusive else ''}"


def exclusive_origin(origin: str | None) -> bool:
    """Whether ``origin`` is that of a theme_assist export of an exclusive codebook (:func:`theme_assist_origin`)."""
    return bool(re.fullmatch(rf"theme_assist \S+{re.escape(_EXCLUSIVE)}", origin or ""))


def project_codebook(project: Project, known: Codebook | None = None) -> Codebook:
    """The project's code tree as a :class:`Codebook`: exclusive as the ``known`` codebook is, else only where a
    theme_assist export says it is (:func:`exclusive_origin`).

    REFI-QDA codes have no id: a code takes the id of the ``known`` codebook's code with the same guid (or,
    failing that, the same unique name), so that a codebook exported from theme_assist and coded elsewhere
    comes back with its own ids; other codes get a slug of their name.
    """
    ids = _CodeIds(known, project.all_codes())
    return Codebook(name=project.name or "REFI-QDA codebook", codes=[_code(node, None, ids) for node in project.codes],
                    exclusive=known.exclusive if known else exclusive_origin(project.attrs.get("origin")))


def assign_documents(project: Project) -> list[Document]:
    """Give every text source a unique document id (stored in ``source.document``) and return the documents, with
    speaker turns found as in a plain-text transcript (their spans index the source text exactly), and a source
    that looks like one utterance per line without speaker labels warned of, once for all such sources
    (:func:`~theme_assist.ingest.plain_text.warn_of_merged_sources`)."""
    from theme_assist.ingest.plain_text import merged_lines, warn_of_merged_sources
    from theme_assist.ingest.speakers import parse_turns

    taken: set[str] = set()
    documents, merged = [], []
    for source in project.text_sources:
        label = source.name or source.attrs.get("plainTextPath", "") or source.guid
        own = own_document_id(source.name or "", source.guid)
        source.document = unique(own, taken) if own else document_id(label, taken)
        turns = parse_turns(source.text)
        if merged_lines(source.text, turns):
            merged.append(label)
        documents.append(Document(id=source.document, text=source.text, turns=turns, source=label))
    warn_of_merged_sources(merged)
    return documents


def project_codings(project: Project, codebook: Codebook) -> pd.DataFrame:
    """One row per coding of the project's text sources (:data:`CODING_COLUMNS`); needs
    :func:`assign_documents` first."""
    code_by_guid = {code.guid: code for code in codebook.all_codes}
    user_by_guid = {user.guid: user.name for user in project.users}
    rows = []
    for source in project.text_sources:
        for selection in source.selections:
            for coding in selection.codings:
                code = code_by_guid[coding.code_guid]
                rows.append({
                    "document": source.document, "start": selection.start, "end": selection.end,
                    "code": code.id, "coder": user_by_guid.get(coding.user_guid or "", ""),
                    "text": source.text[selection.start:selection.end], "code_name": code.name,
                    "segment_id": f"{source.document}@{selection.start}-{selection.end}",
                    "selection_guid": selection.guid, "coding_guid": coding.guid, "code_guid": coding.code_guid,
                    "source_guid": source.guid, "coder_guid": coding.user_guid or "",
                    "created": coding.attrs.get("creationDateTime", ""), "description": selection.description or ""})
    return pd.DataFrame(rows, columns=CODING_COLUMNS)
