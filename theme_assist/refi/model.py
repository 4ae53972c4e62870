"""A REFI-QDA project in memory: the parts theme_assist works with, and everything else kept as raw XML.

The modelled parts are users, the code tree, text sources with their plain text, and the plain-text selections
with their codings. Every element we do not model (notes, sets, variables, cases, graphs, picture / PDF / audio /
video sources, note references, variable values…) is kept as a :class:`RawElement` next to the element it
belongs to, so that writing the project back loses nothing. Attributes we only carry (creation dates, modifying
users, selection names) travel in ``attrs`` dictionaries, in the order the file gave them.

The whole model, minus the source texts, serialises to JSON (:meth:`Project.to_dict`); that is the
``project.json`` of an imported project folder. Reading it back (``from_dict``) checks every value's type, since
the file may have been edited by hand: a wrong one raises :class:`ValueError` saying where it is.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

_REQUIRED = object()


def _kind(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), "a number")


def _object(data, where: str) -> dict:
    if not isinstance(data, dict):
        raise ValueError(f"{where} is {_kind(data)}, not an object")
    return data


def _value(data: dict, key: str, where: str, types: tuple[type, ...], default=_REQUIRED):
    """``data[key]`` if it has one of ``types`` (``type(None)`` allows null), else ``default`` when absent."""
    if key not in data:
        if default is _REQUIRED:
            raise ValueError(f"{where} has no {key!r}")
        return default
    value = data[key]
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise ValueError(f"{where}: {key!r} is {_kind(value)}, not {' or '.join(_kind(t()) for t in types)}")
    return value


def _text(data: dict, key: str, where: str, default=_REQUIRED) -> str:
    return _value(data, key, where, (str,), default)


def _optional_text(data: dict, key: str, where: str) -> str | None:
    return _value(data, key, where, (str, type(None)), None)


def _whole(data: dict, key: str, where: str) -> int:
    value = _value(data, key, where, (int, str))
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{where}: {key!r} is {value!r}, not a whole number") from None


def _items(data: dict, key: str, where: str) -> list:
    items = _value(data, key, where, (list, type(None)), None)
    return [] if items is None else items


def _attr_map(data: dict, where: str) -> dict[str, str]:
    attrs = _object(_value(data, "attrs", where, (dict,), {}), f"{where}.attrs")
    for key, value in attrs.items():
        if not isinstance(value, str):
            raise ValueError(f"{where}.attrs: {key!r} is {_kind(value)}, not a string")
    return dict(attrs)


@dataclass
class RawElement:
    """An element kept as serialised XML: ``kind`` is its local tag name, ``xml`` the element with its namespace."""

    kind: str
    xml: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "xml": self.xml}

    @classmethod
    def from_dict(cls, data: dict, where: str = "a kept-aside element") -> "RawElement":
        data = _object(data, where)
        return cls(kind=_text(data, "kind", where), xml=_text(data, "xml", where))


def _raws(data: dict, where: str, key: str = "extras") -> list[RawElement]:
    return [RawElement.from_dict(item, f"{where}.{key}[{i}]") for i, item in enumerate(_items(data, key, where))]


@dataclass
class User:
    """A ``<User>``: a coder. ``attrs`` holds further attributes (``id``)."""

    guid: str
    name: str = ""
    attrs: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"guid": self.guid, "name": self.name, "attrs": dict(self.attrs)}

    @classmethod
    def from_dict(cls, data: dict, where: str = "a user") -> "User":
        data = _object(data, where)
        return cls(guid=_text(data, "guid", where), name=_text(data, "name", where, ""),
                   attrs=_attr_map(data, where))


@dataclass
class CodeNode:
    """A ``<Code>`` and its sub-codes; ``description`` is ``None`` when the file had no ``<Description>``."""

    guid: str
    name: str
    is_codable: bool = True
    color: str | None = None
    description: str | None = None
    children: list["CodeNode"] = field(default_factory=list)
    extras: list[RawElement] = field(default_factory=list)

    def walk(self):
        """This code and all codes below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def to_dict(self) -> dict:
        return {"guid": self.guid, "name": self.name, "is_codable": self.is_codable, "color": self.color,
                "description": self.description, "children": [c.to_dict() for c in self.children],
                "extras": [e.to_dict() for e in self.extras]}

    @classmethod
    def from_dict(cls, data: dict, where: str = "a code") -> "CodeNode":
        data = _object(data, where)
        return cls(guid=_text(data, "guid", where), name=_text(data, "name", where),
                   is_codable=_value(data, "is_codable", where, (bool,), True),
                   color=_optional_text(data, "color", where), description=_optional_text(data, "description", where),
                   children=[cls.from_dict(c, f"{where}.children[{i}]")
                             for i, c in enumerate(_items(data, "children", where))],
                   extras=_raws(data, where))


@dataclass
class Coding:
    """A ``<Coding>``: ``code_guid`` applied by ``user_guid`` (the ``creatingUser``)."""

    guid: str
    code_guid: str
    user_guid: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    extras: list[RawElement] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"guid": self.guid, "code_guid": self.code_guid, "user_guid": self.user_guid,
                "attrs": dict(self.attrs), "extras": [e.to_dict() for e in self.extras]}

    @classmethod
    def from_dict(cls, data: dict, where: str = "a coding") -> "Coding":
        data = _object(data, where)
        return cls(guid=_text(data, "guid", where), code_guid=_text(data, "code_guid", where),
                   user_guid=_optional_text(data, "user_guid", where), attrs=_attr_map(data, where),
                   extras=_raws(data, where))


@dataclass
class Selection:
    """A ``<PlainTextSelection>``: characters ``start:end`` (Unicode code points) of its source's plain text."""

    guid: str
    start: int
    end: int
    user_guid: str | None = None
    description: str | None = None
    codings: list[Coding] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)
    extras: list[RawElement] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"guid": self.guid, "start": self.start, "end": self.end, "user_guid": self.user_guid,
                "description": self.description, "codings": [c.to_dict() for c in self.codings],
                "attrs": dict(self.attrs), "extras": [e.to_dict() for e in self.extras]}

    @classmethod
    def from_dict(cls, data: dict, where: str = "a selection") -> "Selection":
        data = _object(data, where)
        return cls(guid=_text(data, "guid", where), start=_whole(data, "start", where), end=_whole(data, "end", where),
                   user_guid=_optional_text(data, "user_guid", where),
                   description=_optional_text(data, "description", where),
                   codings=[Coding.from_dict(c, f"{where}.codings[{i}]")
                            for i, c in enumerate(_items(data, "codings", where))],
                   attrs=_attr_map(data, where), extras=_raws(data, where))


@dataclass
class TextSource:
    """A ``<TextSource>`` with its plain text; ``document`` is the theme_assist document id it maps to.

    ``bom`` records a UTF-8 byte-order mark in the original plain-text file (not part of ``text``, whose
    character positions the selections count), so that the file is written back byte for byte.
    """

    guid: str
    name: str | None = None
    text: str = ""
    document: str = ""
    description: str | None = None
    selections: list[Selection] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)
    extras: list[RawElement] = field(default_factory=list)
    bom: bool = False

    def to_dict(self, include_text: bool = True) -> dict:
        out = {"type": "TextSource", "guid": self.guid, "name": self.name, "document": self.document,
               "description": self.description, "selections": [s.to_dict() for s in self.selections],
               "attrs": dict(self.attrs), "extras": [e.to_dict() for e in self.extras], "bom": self.bom}
        if include_text:
            out["text"] = self.text
        return out

    @classmethod
    def from_dict(cls, data: dict, where: str = "a source") -> "TextSource":
        data = _object(data, where)
        return cls(guid=_text(data, "guid", where), name=_optional_text(data, "name", where),
                   text=_text(data, "text", where, ""), document=_text(data, "document", where, ""),
                   description=_optional_text(data, "description", where),
                   selections=[Selection.from_dict(s, f"{where}.selections[{i}]")
                               for i, s in enumerate(_items(data, "selections", where))],
                   attrs=_attr_map(data, where), extras=_raws(data, where),
                   bom=_value(data, "bom", where, (bool,), False))


@dataclass
class Project:
    """A REFI-QDA project (``kind="project"``, from a ``.qdpx`` / ``.qde``) or codebook (``kind="codebook"``,
    from a ``.qdc``).

    Attributes
    ----------
    name : str
        The project's name.
    attrs : dict
        Further attributes of the root element (``origin``, ``creatingUserGUID``, dates, ``basePath``).
    users : list of User
    codes : list of CodeNode
        The top-level codes; sub-codes hang below them.
    sources : list of TextSource or RawElement
        In file order; sources we do not model (pictures, PDFs, audio, video, text whose plain text could not
        be read) are kept raw.
    extras : list of RawElement
        Top-level elements kept aside: ``Variables``, ``Cases``, ``Notes``, ``Links``, ``Sets``, ``Graphs``,
        ``Description``, ``NoteRef``.
    attachments : list of str
        Archive paths (``sources/…``) of files the project refers to that are not plain texts we read (rich
        text, pictures, media): carried along unchanged.
    """

    name: str
    kind: str = "project"
    attrs: dict[str, str] = field(default_factory=dict)
    users: list[User] = field(default_factory=list)
    codes: list[CodeNode] = field(default_factory=list)
    sources: list[TextSource | RawElement] = field(default_factory=list)
    extras: list[RawElement] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)

    def all_codes(self) -> list[CodeNode]:
        return [code for top in self.codes for code in top.walk()]

    @property
    def text_sources(self) -> list[TextSource]:
        return [source for source in self.sources if isinstance(source, TextSource)]

    def to_dict(self, include_text: bool = True) -> dict:
        return {"name": self.name, "kind": self.kind, "attrs": dict(self.attrs),
                "users": [u.to_dict() for u in self.users], "codes": [c.to_dict() for c in self.codes],
                "sources": [s.to_dict(include_text) if isinstance(s, TextSource) else {"type": "raw", **s.to_dict()}
                            for s in self.sources],
                "extras": [e.to_dict() for e in self.extras], "attachments": list(self.attachments)}

    @classmethod
    def from_dict(cls, data: dict, where: str = "project") -> "Project":
        """The project :meth:`to_dict` wrote; :class:`ValueError` (saying where) for a value of the wrong type.

        Attachment names are returned as written: whoever reads or writes files by them checks them
        (:func:`theme_assist.safezip.checked_name`).
        """
        data = _object(data, where)
        kind = _text(data, "kind", where, "project")
        if kind not in ("project", "codebook"):
            raise ValueError(f"{where}: 'kind' is {kind!r}, not 'project' or 'codebook'")
        sources: list[TextSource | RawElement] = []
        for i, source in enumerate(_items(data, "sources", where)):
            at = f"{where}.sources[{i}]"
            source = _object(source, at)
            sources.append(TextSource.from_dict(source, at) if source.get("type") == "TextSource"
                           else RawElement.from_dict(source, at))
        attachments = _items(data, "attachments", where)
        for i, name in enumerate(attachments):
            if not isinstance(name, str):
                raise ValueError(f"{where}.attachments[{i}] is {_kind(name)}, not a string")
        return cls(name=_text(data, "name", where), kind=kind, attrs=_attr_map(data, where),
                   users=[User.from_dict(u, f"{where}.users[{i}]") for i, u in enumerate(_items(data, "users", where))],
                   codes=[CodeNode.from_dict(c, f"{where}.codes[{i}]")
                          for i, c in enumerate(_items(data, "codes", where))],
                   sources=sources, extras=_raws(data, where), attachments=list(attachments))


@dataclass
class Report:
    """What an import found: counts, what was kept aside (by kind), what was skipped and why, and notes."""

    counts: Counter = field(default_factory=Counter)
    kept_aside: Counter = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
