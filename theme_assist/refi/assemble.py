"""Assemble the :class:`~.model.Project` to export from a codebook, documents, human codings and suggestions.

When the data came from an import (``base``: the project as imported, from ``project.json``), everything is
matched back by guid: codes keep their guids, users, colours, ``isCodable`` and note references; sources keep
their guids and kept-aside children; selections and codings whose guids are still in the codings table keep
their names, dates and descriptions; selections that never had a coding stay. What the table changed wins:
a new row becomes a new coding, a removed row a removed coding, a ``created`` or ``description`` cell a new
``creationDateTime`` or ``<Description>`` (an empty cell keeps what the import had). New items get guids derived
from their content (:func:`~.convert.stable_guid`), so exporting the same data twice gives the same file.

Rows on one span share a selection unless their descriptions differ (QDA-XML describes selections, not codings:
each differently described row gets its own selection); a row with an empty ``code`` and a description is a
selection without a coding, a remark on the span.

Machine suggestions become codings by a separate user per model and version (:func:`machine_user_name`), one
selection per suggested code whose ``<Description>`` holds the score, rank and run.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pandas as pd

from theme_assist import __version__
from theme_assist.codebook import Code, Codebook
from theme_assist.documents import Document
from theme_assist.embed import DEFAULT_MODEL
from theme_assist.errors import InputError, warn_or_defer
from theme_assist.refi.convert import code_guid, compose_description, is_guid, stable_guid, theme_assist_origin
from theme_assist.refi.model import CodeNode, Coding, Project, RawElement, Selection, TextSource, User
from theme_assist.refi.variables import with_metadata

logger = logging.getLogger(__name__)

_RGB = re.compile(r"^#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})$")
_XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
_XSD_DATETIME = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")
_EMPTY_LISTED = 3


def machine_user_name(model: str = DEFAULT_MODEL, version: str = __version__) -> str:
    """The REFI user that machine suggestions are coded by, e.g. ``theme_assist suggester (all-MiniLM-L6-v2) 0.1.0``."""
    return f"theme_assist suggester ({model}) {version}"


_MACHINE_USER = re.compile(r"^theme_assist suggester \(.*\) \S+$")


def human_codings(codings: pd.DataFrame, source: str, deferred: list[str] | None = None) -> pd.DataFrame:
    """``codings`` without the rows a :func:`machine_user_name` coded: theme_assist's own suggestions, exported
    into a ``.qdpx`` and imported again, are not human codings and must not be learned from or counted as such.
    A warning says how many were left out; with ``deferred``, it goes there instead of the log."""
    if "coder" not in codings:
        return codings
    machine = codings["coder"].astype(str).str.match(_MACHINE_USER)
    if machine.any():
        users = ", ".join(map(repr, codings.loc[machine, "coder"].astype(str).unique()))
        warn_or_defer(logger, f"{source}: {int(machine.sum())} coding(s) by {users} are theme_assist's suggestions, "
                              "not human codings: left out", deferred)
    return codings[~machine]


def _rows(table: pd.DataFrame) -> Iterator[tuple[object, dict]]:
    """``(index, row)`` of each row of ``table``, the row as a dict (``DataFrame.iterrows`` builds a Series per
    row, most of an export's time at a hundred thousand codings)."""
    return zip(table.index, table.to_dict(orient="records"))


def _cell(row: pd.Series | dict, column: str) -> str:
    value = row.get(column, "")
    if isinstance(value, str):  # most cells: the checks below took a tenth of a large export's time
        return value.strip()
    return "" if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)) else str(value).strip()


@dataclass
class Assembly:
    """What :func:`assemble_project` built: the project, counts, and notes on what changed or was left out."""

    project: Project
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class _Codes:
    """The codebook as REFI code nodes, and the lookup of a table's ``code`` value (id, then name) to a guid."""

    def __init__(self, codebook: Codebook, base: Project | None):
        self.base = {node.guid: node for node in base.all_codes()} if base else {}
        self.guid_of_id: dict[str, str] = {}
        self.nodes = [self._node(code) for code in codebook.codes]
        self.name_by_guid = {node.guid: node.name.strip() for top in self.nodes for node in top.walk()}
        names = Counter(code.name for code in codebook.all_codes)
        self.guid_by_key = {code.name: self.guid_of_id[code.id] for code in codebook.all_codes
                            if names[code.name] == 1}  # names only where unique; ids take precedence
        self.ids_by_shared_name = {name: [code.id for code in codebook.all_codes if code.name == name]
                                   for name, count in names.items() if count > 1}
        self.guid_by_key.update(self.guid_of_id)

    def _node(self, code: Code) -> CodeNode:
        if code.guid and not is_guid(code.guid):
            raise InputError(f"code {code.id!r}: guid {code.guid!r} is not a GUID (REFI-QDA needs one)")
        if code.color and not _RGB.match(code.color):
            raise InputError(f"code {code.id!r}: color {code.color!r} is not #RRGGBB or #RGB")
        guid = code_guid(code)
        if any(guid.upper() == other.upper() for other in self.guid_of_id.values()):
            raise InputError(f"code {code.id!r}: guid {guid} is used by another code too")
        self.guid_of_id[code.id] = guid
        old = self.base.get(guid)
        description = compose_description(code)
        if old is not None and old.description is not None and old.description.strip() == description:
            description = old.description  # unchanged: keep its exact whitespace
        name = old.name if old is not None and old.name.strip() == code.name else code.name
        return CodeNode(guid=guid, name=name, is_codable=old.is_codable if old else True, color=code.color,
                        description=description or None, children=[self._node(child) for child in code.children],
                        extras=list(old.extras) if old else [])

    def guid_of(self, row: pd.Series, label: str, index) -> str:
        """The guid of the code a table row names (by ``code`` id or unique name, else by ``code_guid``)."""
        guid, value = _cell(row, "code_guid"), _cell(row, "code")
        if value in self.guid_by_key:
            return self.guid_by_key[value]
        if not value and guid in self.name_by_guid:
            return guid
        if value in self.ids_by_shared_name:
            ids = self.ids_by_shared_name[value]
            raise InputError(f"{label}, row {int(index) + 2}: code {value!r} is the name of {len(ids)} codes "
                             f"({', '.join(ids[:3])}{' …' if len(ids) > 3 else ''}): give the code's id")
        raise InputError(f"{label}, row {int(index) + 2}: code {value or guid!r} is not in the codebook")


def _datetime(row: pd.Series, label: str, index) -> str:
    """A row's ``created`` as an ``xsd:dateTime``: kept as written when it is one already (so imported dates come
    back unchanged), else parsed and written in ISO 8601; ``""`` when empty."""
    value = _cell(row, "created")
    if not value or _XSD_DATETIME.match(value):
        return value
    try:
        return pd.Timestamp(value).isoformat()
    except ValueError:
        raise InputError(f"{label}, row {int(index) + 2}: created {value!r} is not a date and time") from None


class _Users:
    """The project's users; coders named in a table that the project does not know yet are added."""

    def __init__(self, base: Project | None):
        self.users = [User(u.guid, u.name, dict(u.attrs)) for u in base.users] if base else []
        self.name_of = {user.guid: user.name for user in self.users}

    def guid_for(self, name: str, hint: str = "") -> str | None:
        """The guid of coder ``name``: ``hint`` (a ``coder_guid``) where it agrees with the name or there is no
        name, else the user of that name, created if new; ``None`` for no coder at all."""
        if is_guid(hint) and (not name or self.name_of.get(hint) == name):
            return hint
        if not name:
            return None
        for user in self.users:
            if user.name == name:
                return user.guid
        user = User(guid=stable_guid("user", name), name=name)
        self.users.append(user)
        self.name_of[user.guid] = name
        return user.guid


class _Guids:
    """Guids handed out so far: a guid from a table is reused once, later duplicates get a derived one."""

    def __init__(self):
        self.used: set[str] = set()

    def take(self, wanted: str, *key: object) -> str:
        guid = wanted if is_guid(wanted) and wanted.upper() not in self.used else stable_guid(*key)
        self.used.add(guid.upper())
        return guid


def _unchanged(description: str, kept: str | None) -> bool:
    """Whether a table's ``description`` cell (stripped) leaves an imported selection's ``kept`` description as it
    was: empty, or the same but for surrounding space or line ends (a table's reader turns a ``\\r\\n`` inside a
    quoted cell of an import's ``codings.csv`` into ``\\n``)."""
    def lines(text: str) -> str:
        return text.replace("\r\n", "\n").replace("\r", "\n")

    return not description or lines(description) == lines((kept or "").strip())


def _human_selections(document: Document, rows: pd.DataFrame, old: TextSource | None, codes: _Codes,
                      users: _Users, guids: _Guids) -> list[Selection]:
    old_selections = {s.guid: s for s in old.selections} if old else {}
    old_codings = {c.guid: c for s in old.selections for c in s.codings} if old else {}
    by_guid: dict[str, Selection] = {}
    by_key: dict[tuple[int, int, str], str] = {}  # (start, end, description) → selection guid
    for index, row in _rows(rows):
        if not _cell(row, "code") and not _cell(row, "code_guid") and not _cell(row, "description"):
            continue  # an uncoded segment (a CODED.csv row with an empty code), as suggest --train reads it
        span = (int(row["start"]), int(row["end"]))
        description, created = _cell(row, "description"), _datetime(row, "codings", index)
        wanted = _cell(row, "selection_guid") or by_key.get((*span, description), "")
        if wanted in by_guid:
            selection = by_guid[wanted]
            if (selection.start, selection.end) != span:
                raise InputError(f"codings, row {int(index) + 2}: selection {wanted} appears with two spans")
        else:
            user = users.guid_for(_cell(row, "coder"), _cell(row, "coder_guid"))
            guid = guids.take(wanted, "selection", document.id, *span, *([description] if description else []))
            previous = old_selections.get(guid)
            if previous is not None:
                kept = previous.description
                selection = Selection(guid=guid, start=span[0], end=span[1], user_guid=previous.user_guid,
                                      description=kept if _unchanged(description, kept) else description,
                                      attrs=dict(previous.attrs), extras=list(previous.extras))
            else:
                selection = Selection(guid=guid, start=span[0], end=span[1], user_guid=user,
                                      description=description or None,
                                      attrs={"creationDateTime": created} if created else {})
            by_guid[guid] = selection
            by_key.setdefault((*span, description), guid)
        if not _cell(row, "code") and not _cell(row, "code_guid") and description:
            continue  # a remark on the span: a selection without a coding
        code_guid = codes.guid_of(row, "codings", index)
        user = users.guid_for(_cell(row, "coder"), _cell(row, "coder_guid"))
        if any(c.code_guid == code_guid and c.user_guid == user for c in selection.codings):
            continue  # the same code by the same coder on the same selection: a repeated row
        coding_guid = guids.take(_cell(row, "coding_guid"), "coding", selection.guid, code_guid, user)
        previous = old_codings.get(coding_guid)
        attrs = dict(previous.attrs) if previous else {}
        if created:
            attrs["creationDateTime"] = created
        selection.codings.append(Coding(guid=coding_guid, code_guid=code_guid, user_guid=user, attrs=attrs,
                                        extras=list(previous.extras) if previous else []))
    kept = [s for s in (old.selections if old else []) if not s.codings and s.end <= len(document.text)
            and s.guid.upper() not in guids.used]
    for selection in kept:
        guids.used.add(selection.guid.upper())
        by_guid[selection.guid] = Selection(selection.guid, selection.start, selection.end, selection.user_guid,
                                            selection.description, [], dict(selection.attrs), list(selection.extras))
    order = {s.guid: i for i, s in enumerate(old.selections)} if old else {}
    return sorted(by_guid.values(), key=lambda s: (order.get(s.guid, len(order)), s.start, s.end))


def _details(row: pd.Series, index) -> list[str]:
    """The score (3 decimals), rank and run (whole numbers) of a suggestion row, those it has."""
    out = []
    for column, name, form in (("score", "score", "{:.3f}"), ("rank", "rank", "{:.0f}"), ("run_id", "run", "{:.0f}")):
        value = _cell(row, column)
        if value:
            try:
                out.append(f"{name} {form.format(float(value))}")
            except ValueError:
                raise InputError(f"suggestions, row {int(index) + 2}: {column} {value!r} is not a number") from None
    return out


def _suggestion_selections(document: Document, rows: pd.DataFrame, codes: _Codes, users: _Users, model: str,
                           guids: _Guids) -> tuple[list[Selection], int, set[str]]:
    """The selections of a document's suggestions, how many were already in the codings, and the machine users."""
    selections, repeated, machine_users = [], 0, set()
    for index, row in _rows(rows.sort_values(["start", "end"], kind="stable")):
        code_guid = codes.guid_of(row, "suggestions", index)
        name = machine_user_name(_cell(row, "model") or model, _cell(row, "model_version") or __version__)
        user, run = users.guid_for(name), _cell(row, "run_id")
        machine_users.add(user)
        guid = stable_guid("suggestion", user, document.id, row["start"], row["end"], code_guid,
                           *([run] if run else []))
        if guid.upper() in guids.used:  # already in the codings (an exported suggestion imported again)
            repeated += 1
            continue
        guids.used.add(guid.upper())
        details = _details(row, index)
        description = f"theme_assist suggestion: {codes.name_by_guid[code_guid]}"
        description += f" ({', '.join(details)})" if details else ""
        extra = _cell(row, "description")
        description += f". {extra}" if extra else ""
        created = _datetime(row, "suggestions", index)
        attrs = {"creationDateTime": created} if created else {}
        coding = Coding(guid=guids.take("", "suggestion-coding", guid), code_guid=code_guid, user_guid=user,
                        attrs=dict(attrs))
        selections.append(Selection(guid=guid, start=int(row["start"]), end=int(row["end"]), user_guid=user,
                                    description=description, codings=[coding], attrs=attrs))
    return selections, repeated, machine_users


def _warn_empty_selections(sources: list[TextSource], codes: _Codes) -> None:
    """Warn, in one line, of codings on an empty selection (``start == end``, e.g. a ``codings.csv`` row whose end
    was typed as its start). The schema allows one, and it is written as it is: left out, the coding would be lost
    without a trace. But a QDA program may refuse or drop a selection of no text, so the line names the first
    :data:`_EMPTY_LISTED` by document and code for the user to mend."""
    id_of = {guid: code_id for code_id, guid in codes.guid_of_id.items()}
    empty = [(source.document, id_of.get(coding.code_guid, coding.code_guid), selection.start)
             for source in sources for selection in source.selections if selection.start == selection.end
             for coding in selection.codings]
    if not empty:
        return
    if len(empty) == 1:
        document, code, start = empty[0]
        logger.warning("document %r, code %r: a coding of no text (an empty selection at character %d) is exported "
                       "as written, but a QDA program may refuse or drop it: give it the characters it codes",
                       document, code, start)
        return
    listed = "; ".join(f"document {document!r}, code {code!r} at character {start}"
                       for document, code, start in empty[:_EMPTY_LISTED])
    more = f"; … and {len(empty) - _EMPTY_LISTED} more" if len(empty) > _EMPTY_LISTED else ""
    logger.warning("%d codings of no text (empty selections) are exported as written, but a QDA program may refuse "
                   "or drop them: %s%s (give each the characters it codes)", len(empty), listed, more)


def assemble_project(codebook: Codebook, documents: list[Document], codings: pd.DataFrame | None = None,
                     suggestions: pd.DataFrame | None = None, base: Project | None = None,
                     model: str = DEFAULT_MODEL) -> Assembly:
    """Build the project to export.

    Parameters
    ----------
    codebook : Codebook
    documents : list of Document
        The texts; each becomes a text source (an imported one keeps its guid).
    codings : DataFrame, optional
        Human codings placed on spans (:func:`~.spans.with_spans`): ``document``, ``start``, ``end``, ``code``
        (code id or unique name), optional ``coder``, ``created`` (ISO date and time), ``description`` and the
        guid columns of an imported ``codings.csv``.
    suggestions : DataFrame, optional
        Machine suggestions placed on spans, abstentions removed: ``code``, ``score``, ``rank``; optional
        ``run_id``, ``created``, ``model`` and ``model_version`` (the machine user, default ``model`` and
        theme_assist's version) and ``description`` (added after the score, rank and run).
    base : Project, optional
        The project as imported, whose guids and kept-aside elements are reused.
    model : str
        The suggesting model's name, for the machine user's name of rows without a ``model``.

    Returns
    -------
    Assembly
    """
    codes = _Codes(codebook, base)
    users = _Users(base)
    guids = _Guids()
    guids.used.update(code.upper() for code in codes.name_by_guid)
    notes: list[str] = []
    empty = pd.DataFrame(columns=["document", "start", "end", "code"])
    codings = empty if codings is None else codings
    suggestions = empty if suggestions is None else suggestions
    old_sources = {s.document: s for s in base.text_sources} if base else {}
    by_document = {doc.id: doc for doc in documents}
    # split once: selecting each document's rows from the whole table cost documents × rows
    codings_of = {name: rows for name, rows in codings.groupby("document", sort=False)}
    suggestions_of = {name: rows for name, rows in suggestions.groupby("document", sort=False)}
    sources: list[TextSource | RawElement] = []
    repeated = 0
    machine_users: set[str] = set()

    def text_source(document: Document) -> TextSource:
        nonlocal repeated
        old = old_sources.get(document.id)
        source = TextSource(guid=guids.take(old.guid if old else "", "source", document.id),
                            name=old.name if old else document.id, text=document.text, document=document.id,
                            description=old.description if old else None, attrs=dict(old.attrs) if old else {},
                            extras=list(old.extras) if old else [], bom=old.bom if old else False)
        source.selections = _human_selections(document, codings_of.get(document.id, codings.iloc[:0]), old,
                                              codes, users, guids)
        machine_selections, repeats, machine = _suggestion_selections(
            document, suggestions_of.get(document.id, suggestions.iloc[:0]), codes, users, model, guids)
        source.selections += machine_selections
        repeated += repeats
        machine_users.update(machine)
        return source

    for old in base.sources if base else []:
        if isinstance(old, RawElement):
            sources.append(old)
        elif old.document in by_document:
            sources.append(text_source(by_document[old.document]))
        else:
            notes.append(f"source {old.name or old.document!r} of the imported project is left out: "
                         f"no document {old.document!r}")
    sources += [text_source(doc) for doc in documents if doc.id not in old_sources]
    if repeated:
        notes.append(f"{repeated} suggestions were already in the codings (same user, span and code): written once")
    attrs = {k: v for k, v in (base.attrs if base else {}).items() if not k.startswith(_XSI)}
    attrs["origin"] = theme_assist_origin(codebook.exclusive)
    name = base.name if base is not None and base.kind == "project" and base.name else codebook.name
    project = Project(name=name, attrs=attrs, users=users.users, codes=codes.nodes, sources=sources,
                      extras=list(base.extras) if base else [], attachments=list(base.attachments) if base else [])
    with_metadata(project, {document.id: document.metadata for document in documents})
    text_sources = project.text_sources
    _warn_empty_selections(text_sources, codes)
    all_codings = [c for s in text_sources for selection in s.selections for c in selection.codings]
    # an earlier export's suggestions, carried from the imported project, are the machine's too
    machine_users.update(user.guid for user in project.users if _MACHINE_USER.match(user.name))
    machine_codings = sum(1 for c in all_codings if c.user_guid in machine_users)
    counts = {"sources": len(text_sources), "codes": len(project.all_codes()), "users": len(project.users),
              "selections": sum(len(s.selections) for s in text_sources),
              "codings": len(all_codings) - machine_codings, "suggestions": machine_codings}
    return Assembly(project=project, counts=counts, notes=notes)
