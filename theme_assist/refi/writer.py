"""Write a :class:`~.model.Project` as a ``.qdpx`` archive or a ``.qdc`` codebook (QDA-XML 1.0).

Elements are built with :mod:`xml.etree.ElementTree` in the order the schemas (``Project-mrt2019.xsd``,
``Codebook-mrt2019.xsd``) require; elements kept aside on import are put back in their schema position. Plain
texts go to ``sources/<name>.txt`` inside the archive, referred to as ``internal://<name>.txt`` (REFI-QDA 1.5,
source paths). Archive entries carry a fixed date, so the same project always gives the same bytes. Files are
written through :func:`~.atomic.atomic_file`: a failure never leaves a partial ``.qdpx`` / ``.qdc``.

Characters XML 1.0 cannot hold (control characters other than tab, line feed and carriage return; U+FFFE, U+FFFF,
lone surrogates; Word writes U+000B for a manual line break) are replaced in every attribute and element text as
the XML is serialised (:func:`_xml_bytes`), one warning per file saying how many. Plain texts are not XML and
keep their control characters (their offsets count them); only lone surrogates, which UTF-8 cannot encode, are
replaced there, one for one.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from theme_assist.errors import InputError
from theme_assist.refi.atomic import atomic_file
from theme_assist.refi.model import CodeNode, Coding, Project, RawElement, Selection, TextSource
from theme_assist.refi.reader import CODEBOOK_NS, PROJECT_ENTRY, PROJECT_NS, local, parse_xml
from theme_assist.safezip import checked_name

PROJECT_ORDER = ["Users", "CodeBook", "Variables", "Cases", "Sources", "Notes", "Links", "Sets", "Graphs",
                 "Description", "NoteRef"]
SOURCE_ORDER = ["Description", "PlainTextContent", "PlainTextSelection", "Coding", "NoteRef", "VariableValue"]
SELECTION_ORDER = ["Description", "Coding", "NoteRef"]
CODING_ORDER = ["CodeRef", "NoteRef"]
CODE_ORDER = ["Description", "NoteRef", "Code"]
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot hold (a surrogate left in a decoded string has no partner)."""
_NOT_UTF8 = re.compile("[\ud800-\udfff]")
_NOT_XML_WRITTEN = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]|&#\d{5};")
""":data:`NOT_XML` characters as ElementTree writes them in UTF-8: as they are, but lone surrogates, which UTF-8
cannot encode, as character references (``&#55296;``; its own references, of a line end or tab in an attribute
value, have two digits, and the ``&`` of a text is written ``&amp;``)."""

logger = logging.getLogger(__name__)


def raw_in_namespace(raw: RawElement, namespace: str) -> ET.Element | None:
    """The kept-aside element parsed back (safely), or ``None`` if it belongs to another namespace."""
    element = parse_xml(raw.xml.encode("utf-8"), f"kept-aside <{raw.kind}>")
    return element if element.tag.startswith(f"{{{namespace}}}") else None


def _ordered(parent: ET.Element, built: list[ET.Element], extras: list[RawElement], order: list[str], ns: str) -> None:
    """Append ``built`` (in schema ``order`` already, as every caller builds it) and the kept-aside ``extras`` to
    ``parent`` in schema ``order`` (stable within a kind)."""
    if not extras:  # nothing to sort in: most elements of a large export (a sort each took seconds in all)
        parent.extend(built)
        return
    children = built + [e for e in (raw_in_namespace(raw, ns) for raw in extras) if e is not None]
    rank = {kind: i for i, kind in enumerate(order)}
    for child in sorted(children, key=lambda c: rank.get(local(c.tag), len(order))):
        parent.append(child)


def _element(ns: str, tag: str, attrs: dict[str, str | None] | None = None, text: str | None = None) -> ET.Element:
    element = ET.Element(f"{{{ns}}}{tag}", {k: str(v) for k, v in (attrs or {}).items() if v is not None})
    element.text = text
    return element


def _code_element(code: CodeNode, ns: str) -> ET.Element:
    element = _element(ns, "Code", {"guid": code.guid, "name": code.name,
                                    "isCodable": "true" if code.is_codable else "false", "color": code.color})
    built = [] if code.description is None else [_element(ns, "Description", text=code.description)]
    built += [_code_element(child, ns) for child in code.children]
    # a .qdc code allows no NoteRef: the namespace filter drops project-only extras there
    _ordered(element, built, code.extras if ns == PROJECT_NS else [], CODE_ORDER, ns)
    return element


def _codes_element(codes: list[CodeNode], ns: str) -> ET.Element:
    element = _element(ns, "Codes")
    for code in codes:
        element.append(_code_element(code, ns))
    return element


def _coding_element(coding: Coding) -> ET.Element:
    element = _element(PROJECT_NS, "Coding", {"guid": coding.guid, "creatingUser": coding.user_guid, **coding.attrs})
    _ordered(element, [_element(PROJECT_NS, "CodeRef", {"targetGUID": coding.code_guid})], coding.extras,
             CODING_ORDER, PROJECT_NS)
    return element


def _selection_element(selection: Selection) -> ET.Element:
    attrs = {"guid": selection.guid, "startPosition": selection.start, "endPosition": selection.end,
             "creatingUser": selection.user_guid, **selection.attrs}
    element = _element(PROJECT_NS, "PlainTextSelection", attrs)
    built = [] if selection.description is None else [_element(PROJECT_NS, "Description", text=selection.description)]
    built += [_coding_element(coding) for coding in selection.codings]
    _ordered(element, built, selection.extras, SELECTION_ORDER, PROJECT_NS)
    return element


def _source_element(source: TextSource, text_path: str) -> ET.Element:
    attrs = {"guid": source.guid, "name": source.name or source.document or None, "plainTextPath": text_path}
    attrs.update((key, value) for key, value in source.attrs.items() if key != "plainTextPath")
    element = _element(PROJECT_NS, "TextSource", attrs)
    built = [] if source.description is None else [_element(PROJECT_NS, "Description", text=source.description)]
    built += [_selection_element(selection) for selection in source.selections]
    _ordered(element, built, source.extras, SOURCE_ORDER, PROJECT_NS)
    return element


def _text_file_name(source: TextSource, taken: set[str]) -> str:
    """The file name (inside ``sources/``) for a source's plain text: its old internal name where it had one."""
    old = source.attrs.get("plainTextPath", "")
    name = old[len("internal://"):] if old.startswith("internal://") else ""
    if not name or "/" in name or "\\" in name or name.startswith(".") or f"sources/{name}" in taken:
        name = f"{source.guid.strip('{}')}.txt"
    taken.add(f"sources/{name}")
    return name


def project_element(project: Project, text_names: dict[str, str]) -> ET.Element:
    """The ``<Project>`` element; ``text_names`` maps a text source's guid to its file name in ``sources/``."""
    root = _element(PROJECT_NS, "Project", {"name": project.name, **project.attrs})
    built = []
    if project.users:
        users = _element(PROJECT_NS, "Users")
        for user in project.users:
            users.append(_element(PROJECT_NS, "User", {"guid": user.guid, "name": user.name, **user.attrs}))
        built.append(users)
    if project.codes:
        codebook = _element(PROJECT_NS, "CodeBook")
        codebook.append(_codes_element(project.codes, PROJECT_NS))
        built.append(codebook)
    sources = [_source_element(s, f"internal://{text_names[s.guid]}") if isinstance(s, TextSource)
               else raw_in_namespace(s, PROJECT_NS) for s in project.sources]
    sources = [s for s in sources if s is not None]
    if sources:
        sources_element = _element(PROJECT_NS, "Sources")
        sources_element.extend(sources)
        built.append(sources_element)
    _ordered(root, built, project.extras, PROJECT_ORDER, PROJECT_NS)
    return root


def codebook_element(project: Project) -> ET.Element:
    """The ``.qdc`` ``<CodeBook>`` element of a project's codes (and its ``.qdc`` sets, if it came from one)."""
    root = _element(CODEBOOK_NS, "CodeBook", {"origin": project.attrs.get("origin")})
    _ordered(root, [_codes_element(project.codes, CODEBOOK_NS)], project.extras, ["Codes", "Sets"], CODEBOOK_NS)
    return root


def _replace(pattern: re.Pattern, text: str) -> tuple[str, int]:
    """``text`` with each match of ``pattern`` replaced by one character, and how many were replaced: U+000B
    (vertical tab) and U+000C (form feed) by a line break, which is what they meant, anything else by U+FFFD."""
    return pattern.subn(lambda match: "\n" if match[0] in "\x0b\x0c" else "\ufffd", text)


def replace_not_xml(root: ET.Element) -> int:
    """Replace the characters XML 1.0 cannot hold (:func:`_replace`) in the texts and attribute values of ``root``
    and its descendants, in place; returns how many were replaced. ElementTree writes them as they are, and no XML
    parser reads the result back then."""
    replaced = 0
    for element in root.iter():
        if element.text:
            element.text, count = _replace(NOT_XML, element.text)
            replaced += count
        for key, value in element.attrib.items():
            element.attrib[key], count = _replace(NOT_XML, value)
            replaced += count
    return replaced


def _warn_replaced(count: int, path: str | Path) -> None:
    if count:
        logger.warning("%s: %d character(s) that XML 1.0 cannot hold were replaced (U+000B and U+000C by a line "
                       "break, other control characters, U+FFFE, U+FFFF and lone surrogates by U+FFFD)",
                       Path(path).name, count)


def _xml_bytes(root: ET.Element, namespace: str) -> tuple[bytes, int]:
    """Serialise with ``namespace`` as the default namespace (ElementTree's ``default_namespace`` option
    refuses un-prefixed attributes, so the tags are unqualified and ``xmlns`` set by hand).

    Returns
    -------
    data : bytes
    replaced : int
        How many characters XML 1.0 cannot hold were replaced (:func:`_replace`) in texts and attribute values:
        ElementTree writes them as they are, and no XML parser reads the file back then.
    """
    prefix = f"{{{namespace}}}"
    for element in root.iter():
        if element.tag.startswith(prefix):
            element.tag = element.tag[len(prefix):]
    root.set("xmlns", namespace)
    ET.indent(root)
    # the characters to replace looked for in the whole once, not in each text and attribute value (millions in a
    # large export), and replaced in the tree only where found
    data, replaced = ET.tostring(root, encoding="utf-8", xml_declaration=True), 0
    if _NOT_XML_WRITTEN.search(data):
        replaced = replace_not_xml(root)
        data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return _escape_carriage_returns(data), replaced


def _escape_carriage_returns(xml: bytes) -> bytes:
    """``xml`` with every ``\\r`` written as ``&#13;``. ElementTree escapes it in attribute values but writes it as
    it is in element text, where every XML parser turns ``\\r\\n`` into ``\\n``: a description's Windows line
    ends would not come back. ElementTree writes no ``\\r`` of its own, so a raw one can only be a text's."""
    return xml.replace(b"\r", b"&#13;")


def _zip_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _attachments(project: Project, attachments_dir: Path | None) -> tuple[list[str], list[tuple[str, Path]]]:
    """The attachments' entry names, and the (entry name, file) pairs to write.

    Names come from ``project.json``, which may have been edited: each must be a safe archive entry name
    (:func:`~theme_assist.safezip.checked_name`, as on import: no ``..``, no absolute path), listed once and not
    ``project.qde``, and its file must lie inside ``attachments_dir`` once links are followed. A missing file
    (or a link) is left out, as before; anything else is an :class:`InputError`, so that no file from outside
    the project folder ever goes into the archive.
    """
    names: list[str] = []
    for listed in project.attachments:
        try:
            name = checked_name(listed)
        except InputError as exc:
            raise InputError(f"attachments: {exc}") from None
        if name == PROJECT_ENTRY:
            raise InputError(f"attachment {listed!r} would replace the archive's {PROJECT_ENTRY} (refused)")
        if name in names:
            raise InputError(f"attachment {listed!r} is listed twice (as {name!r}; refused: ambiguous archive)")
        names.append(name)
    if attachments_dir is None:
        return names, []
    root = attachments_dir.resolve()
    carried = []
    for name in names:
        file = attachments_dir / name
        if file.is_symlink() or not file.is_file():
            continue
        resolved = file.resolve()
        if not resolved.is_relative_to(root):
            raise InputError(f"attachment {name!r} is {resolved}, outside {attachments_dir} (refused: only files "
                             "inside the project folder are carried into the archive)")
        carried.append((name, resolved))
    return names, carried


def write_qdpx(project: Project, path: str | Path, attachments_dir: Path | None = None) -> None:
    """Write ``project`` as a ``.qdpx`` archive: ``project.qde``, the plain texts, and the carried files.

    Parameters
    ----------
    project : Project
    path : str or Path
        The archive to write (replaced atomically).
    attachments_dir : Path, optional
        Folder holding ``project.attachments`` under their archive paths (an imported project's
        ``attachments/``); attachments missing there are left out.

    Raises
    ------
    InputError
        If an attachment's name could escape the archive or its file lies outside ``attachments_dir``
        (see :func:`_attachments`); nothing is written then.
    """
    names, carried = _attachments(project, attachments_dir)
    taken = set(names)
    text_names = {source.guid: _text_file_name(source, taken) for source in project.text_sources}
    document, replaced = _xml_bytes(project_element(project, text_names), PROJECT_NS)
    with atomic_file(path) as temporary, zipfile.ZipFile(temporary, "w") as archive:
        archive.writestr(_zip_entry(PROJECT_ENTRY), document)
        for source in project.text_sources:
            text, count = _replace(_NOT_UTF8, source.text)
            replaced += count
            data = ("\ufeff" if source.bom else "").encode("utf-8") + text.encode("utf-8")
            archive.writestr(_zip_entry(f"sources/{text_names[source.guid]}"), data)
        for name, file in carried:
            with open(file, "rb") as source_file, archive.open(_zip_entry(name), "w") as entry:
                while chunk := source_file.read(1 << 16):
                    entry.write(chunk)
    _warn_replaced(replaced, path)


def write_qdc(project: Project, path: str | Path) -> None:
    """Write the codes of ``project`` as a ``.qdc`` codebook (replaced atomically)."""
    document, replaced = _xml_bytes(codebook_element(project), CODEBOOK_NS)
    with atomic_file(path) as temporary:
        temporary.write_bytes(document)
    _warn_replaced(replaced, path)
