"""A REFI-QDA project in memory: the parts theme_assist works with, and everything else kept as raw XML.

The modelled parts are users, the code tree, text sources with their plain text, and the plain-text selections
with their codings. Every element we do not model (notes, sets, variables, cases, graphs, picture / PDF / audio /
video sources, note references, variable values…) is kept as a :class:`RawElement` next to the element it
belongs to, so that writing the project back loses nothing. Attributes we only carry (creation dates, modifying
users, selection names) travel in ``attrs`` dictionaries, in the order the file gave them.

The whole model, minus the source texts, serialises to JSON (:meth:`Project.to_dict`); that is the
``project.json`` of an imported project folder.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class RawElement:
    """An element kept as serialised XML: ``kind`` is its local tag name, ``xml`` the element with its namespace."""

    kind: str
    xml: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "xml": self.xml}

    @classmethod
    def from_dict(cls, data: dict) -> "RawElement":
        return cls(kind=data["kind"], xml=data["xml"])


def _raws(items) -> list[RawElement]:
    return [RawElement.from_dict(item) for item in items or []]


@dataclass
class User:
    """A ``<User>``: a coder. ``attrs`` holds further attributes (``id``)."""

    guid: str
    name: str = ""
    attrs: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"guid": self.guid, "name": self.name, "attrs": dict(self.attrs)}

    @classmethod
    def from_dict(cls, data: dict) -> "User":
        return cls(guid=data["guid"], name=data.get("name", ""), attrs=dict(data.get("attrs", {})))


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
    def from_dict(cls, data: dict) -> "CodeNode":
        return cls(guid=data["guid"], name=data["name"], is_codable=data.get("is_codable", True),
                   color=data.get("color"), description=data.get("description"),
                   children=[cls.from_dict(c) for c in data.get("children", [])], extras=_raws(data.get("extras")))


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
    def from_dict(cls, data: dict) -> "Coding":
        return cls(guid=data["guid"], code_guid=data["code_guid"], user_guid=data.get("user_guid"),
                   attrs=dict(data.get("attrs", {})), extras=_raws(data.get("extras")))


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
    def from_dict(cls, data: dict) -> "Selection":
        return cls(guid=data["guid"], start=int(data["start"]), end=int(data["end"]),
                   user_guid=data.get("user_guid"), description=data.get("description"),
                   codings=[Coding.from_dict(c) for c in data.get("codings", [])],
                   attrs=dict(data.get("attrs", {})), extras=_raws(data.get("extras")))


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
    def from_dict(cls, data: dict) -> "TextSource":
        return cls(guid=data["guid"], name=data.get("name"), text=data.get("text", ""),
                   document=data.get("document", ""), description=data.get("description"),
                   selections=[Selection.from_dict(s) for s in data.get("selections", [])],
                   attrs=dict(data.get("attrs", {})), extras=_raws(data.get("extras")), bom=data.get("bom", False))


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
    def from_dict(cls, data: dict) -> "Project":
        return cls(name=data["name"], kind=data.get("kind", "project"), attrs=dict(data.get("attrs", {})),
                   users=[User.from_dict(u) for u in data.get("users", [])],
                   codes=[CodeNode.from_dict(c) for c in data.get("codes", [])],
                   sources=[TextSource.from_dict(s) if s.get("type") == "TextSource" else RawElement.from_dict(s)
                            for s in data.get("sources", [])],
                   extras=_raws(data.get("extras")), attachments=list(data.get("attachments", [])))


@dataclass
class Report:
    """What an import found: counts, what was kept aside (by kind), what was skipped and why, and notes."""

    counts: Counter = field(default_factory=Counter)
    kept_aside: Counter = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
