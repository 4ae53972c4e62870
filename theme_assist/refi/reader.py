"""Read ``.qdpx`` projects, ``.qde`` project files and ``.qdc`` codebooks into a :class:`~.model.Project`.

XML is parsed with :mod:`defusedxml`: a DTD, entity declarations or external references are refused before
anything is expanded. Problems with the file as a whole (not a zip, unsafe archive, malformed or unsafe XML,
not a REFI-QDA document) raise :class:`~theme_assist.errors.InputError` with one line; problems with single
items (a selection outside its source's text, a coding of a code that does not exist, a source whose text
lies outside the archive) are skipped or kept aside and listed in the :class:`~.model.Report`. References match
guids apart from case and braces; a code or selection whose guid an earlier one has gets a new guid, with a note.

Offsets: ``startPosition`` / ``endPosition`` of a ``PlainTextSelection`` count Unicode characters (code points)
of the source's plain text from 0, end exclusive, which is exactly Python's ``text[start:end]``. Plain-text
files are decoded as UTF-8 without newline translation, so ``\\r\\n`` counts as two characters, as written.
"""

from __future__ import annotations

import io
import re
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path, PurePosixPath

import defusedxml
import defusedxml.ElementTree as SafeET

from theme_assist.errors import InputError
from theme_assist.refi.convert import guid_key, is_guid, stable_guid
from theme_assist.refi.model import CodeNode, Coding, Project, RawElement, Report, Selection, TextSource, User
from theme_assist.safezip import SafeArchive, UnsafeArchive, ZipLimits, checked_name, open_archive

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_ENTRY = "project.qde"
_CONTAINERS = {"Variables", "Cases", "Notes", "Links", "Sets", "Graphs"}
_UTF8_BOM = "\ufeff"
_DECLARED_ENCODING = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml[^>]*?\sencoding\s*=\s*[\"']([^\"']*)")  # after a BOM too


def local(tag: str) -> str:
    """The local name of a (possibly namespaced) tag."""
    return tag.rpartition("}")[2]


def parse_xml(data: bytes, label: str) -> ET.Element:
    """Parse XML bytes safely: DTDs, entities and external references are refused with a one-line error."""
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except defusedxml.DTDForbidden:
        raise InputError(f"{label}: the XML declares a DTD (refused: DTDs carry entity-expansion and "
                         "external-entity attacks, and REFI-QDA files need none)") from None
    except defusedxml.EntitiesForbidden:
        raise InputError(f"{label}: the XML declares entities (refused: entity expansion)") from None
    except defusedxml.ExternalReferenceForbidden:
        raise InputError(f"{label}: the XML refers to an external resource (refused)") from None
    except ET.ParseError as exc:
        raise InputError(f"{label} is not well-formed XML ({exc})") from None
    except (LookupError, ValueError):  # an encoding expat does not know is looked up among Python's codecs
        declared = _DECLARED_ENCODING.match(data[:200])
        named = f"the encoding {declared[1].decode('ascii', 'replace')!r}" if declared else "an encoding"
        raise InputError(f"{label}: the XML declares {named}, which cannot be read (REFI-QDA files are UTF-8)"
                         ) from None


def _raw(element: ET.Element) -> RawElement:
    """The element as XML without layout: QDA-XML has no mixed content, so whitespace between elements is
    indentation (the writer indents again), while the text of leaf elements is kept as it is."""
    element.tail = None
    for node in element.iter():
        if len(node) and node.text is not None and not node.text.strip():
            node.text = None
        for child in node:
            if child.tail is not None and not child.tail.strip():
                child.tail = None
    # a text's \r is escaped, as the writer does, or parsing the kept XML back would turn \r\n into \n
    return RawElement(kind=local(element.tag), xml=ET.tostring(element, encoding="unicode").replace("\r", "&#13;"))


def _keep_aside(element: ET.Element, report: Report, where: str = "") -> RawElement:
    kind = local(element.tag)
    if kind in _CONTAINERS:
        for child in element:
            report.kept_aside[local(child.tag)] += 1
    else:
        report.kept_aside[f"{kind} ({where})" if where else kind] += 1
    return _raw(element)


def _qualify(root: ET.Element, namespace: str) -> None:
    """Put un-namespaced elements (written by lax tools) into ``namespace`` so that they are written back valid."""
    for element in root.iter():
        if not element.tag.startswith("{"):
            element.tag = f"{{{namespace}}}{element.tag}"


def _text_of(element: ET.Element | None) -> str | None:
    return None if element is None else (element.text or "")


def _attrs(element: ET.Element, modelled: set[str]) -> dict[str, str]:
    return {key: value for key, value in element.attrib.items() if key not in modelled}


def _read_code(element: ET.Element, report: Report) -> CodeNode:
    code = CodeNode(guid=element.get("guid", ""), name=element.get("name", ""),
                    is_codable=element.get("isCodable", "true").strip().lower() in ("true", "1"),
                    color=element.get("color"))
    for child in element:
        kind = local(child.tag)
        if kind == "Description":
            code.description = _text_of(child)
        elif kind == "Code":
            code.children.append(_read_code(child, report))
        else:
            code.extras.append(_keep_aside(child, report, "on a code"))
    return code


def _read_codes(codes_element: ET.Element | None, report: Report) -> list[CodeNode]:
    if codes_element is None:
        return []
    return [_read_code(child, report) for child in codes_element if local(child.tag) == "Code"]


class _SourceTexts:
    """Finds the plain text of a source inside the archive, and only there."""

    def __init__(self, archive: SafeArchive | None):
        self.archive = archive
        self.used: set[str] = set()
        self.by_form: dict[str, list[str]] = {}  # the entries by their names in Unicode normal form C
        for name in archive.names if archive is not None else []:
            self.by_form.setdefault(unicodedata.normalize("NFC", name), []).append(name)

    def _entry(self, name: str) -> str | None:
        """The entry ``name``, or the one entry whose name differs from it only in Unicode normal form: a source
        path written composed (``é``) and its file's name decomposed (``e`` and U+0301, as macOS names files), or
        the other way round, are one file."""
        if name in self.archive:
            return name
        same = self.by_form.get(unicodedata.normalize("NFC", name), [])
        return same[0] if len(same) == 1 else None

    def entry_for(self, path: str) -> tuple[str | None, str]:
        """The archive entry a ``plainTextPath`` / ``richTextPath`` names, or ``None`` and the reason."""
        if self.archive is None:
            return None, "a .qde file has no archive to hold it"
        if path.startswith("internal://"):
            candidates = [f"sources/{path[len('internal://'):]}"]
        elif path.startswith(("relative://", "file:", "http:", "https:")) or PurePosixPath(path.replace("\\", "/")).is_absolute() or path[1:2] == ":":
            return None, f"it lies outside the archive ({path})"
        else:  # a bare relative path, as some exporters write: look for it in sources/, then from the root
            candidates = [f"sources/{path}", path]
        for candidate in candidates:
            try:
                name = checked_name(candidate)
            except InputError:
                return None, f"its path climbs out of the archive ({path})"
            if (entry := self._entry(name)) is not None:
                return entry, ""
        return None, f"the archive has no file {candidates[0]}"

    def read(self, name: str, consume: bool = True) -> bytes:
        """The entry's bytes; a consumed entry (a plain text, rewritten on export) is not carried along."""
        if consume:
            self.used.add(name)
        return self.archive.read(name)


def _docx_text(data: bytes) -> str:
    import docx  # python-docx; only needed for sources without plain text

    return "\n".join(paragraph.text for paragraph in docx.Document(io.BytesIO(data)).paragraphs)


def _rich_text(texts: _SourceTexts, entry: str) -> str:
    """The text of the ``.docx`` entry: a zip inside the zip, checked as one (:data:`~theme_assist.safezip.
    OFFICE_LIMITS`, and counted against the archive's own cap) before python-docx inflates it.

    Raises
    ------
    UnsafeArchive
        If the nested file breaks a rule (a zip bomb…): the whole archive is refused, as for its own entries.
    Exception
        Anything else (not a zip, damaged XML, not a Word document): the caller keeps the source aside.
    """
    data = texts.read(entry, consume=False)
    texts.archive.check_nested(entry, data, kind=".docx")
    return _docx_text(data)


def _source_text(element: ET.Element, texts: _SourceTexts, label: str, report: Report) -> tuple[str | None, bool, str]:
    """The plain text of a ``TextSource``, whether its file had a BOM, and why it is ``None`` when unread."""
    inline = element.find(f"{{{PROJECT_NS}}}PlainTextContent")
    if inline is not None and inline.text:
        return inline.text, False, ""
    reason = "it has no PlainTextContent and no plainTextPath"
    path = element.get("plainTextPath")
    if path:
        entry, reason = texts.entry_for(path)
        if entry is not None:
            try:  # consumed only once read: a source kept aside keeps its file in the archive
                text = texts.read(entry, consume=False).decode("utf-8")
            except UnicodeDecodeError:
                return None, False, f"its plain text {entry} is not UTF-8"
            if text:
                texts.used.add(entry)
                bom = text.startswith(_UTF8_BOM)
                return text[1:] if bom else text, bom, ""
            reason = f"its plain text {entry} is empty"
    rich = element.get("richTextPath") or ""
    if rich.lower().endswith(".docx"):
        entry, rich_reason = texts.entry_for(rich)
        if entry is not None:
            try:
                text = _rich_text(texts, entry)
            except UnsafeArchive:
                raise
            except Exception as exc:  # python-docx raises many kinds on a damaged file
                why = str(exc) if isinstance(exc, InputError) else type(exc).__name__
                return None, False, f"{reason}, and its rich text {entry} could not be read ({why})"
            report.notes.append(f"source {label!r}: {reason}; its text was read from the rich-text file {entry} "
                                "(python-docx); selections made on another plain text may not match")
            return text, False, ""
    return None, False, reason


def _distinct_code_guids(project: Project, report: Report) -> dict[str, str]:
    """Each code guid by :func:`guid_key`, after giving a new guid to every code that repeats an earlier one's or
    has none that is a GUID.

    Codes sharing a guid (a merged project; the schema does not forbid it) make every coding of it ambiguous and
    cannot be written back: the first code keeps the guid, its codings stay with it, and a note says so. A code
    whose guid is not a GUID (which the schema forbids and an export would refuse) keeps its codings.
    """
    guids: dict[str, str] = {}
    first_name: dict[str, str] = {}
    for position, code in enumerate(project.all_codes()):
        key = guid_key(code.guid)
        if not is_guid(code.guid):
            new = stable_guid("code", code.guid, code.name, position)
            found = f"the guid {code.guid!r}, which is not a GUID" if code.guid else "no guid"
            report.notes.append(f"code {code.name!r} has {found}: it gets the new guid {new}")
            code.guid = new
            if key and key not in guids:
                guids[key] = new  # its codings still find it
            key = guid_key(new)
        elif key in guids:
            new = stable_guid("code", code.guid, code.name, position)
            report.notes.append(f"code {code.name!r} has the guid {code.guid} of code {first_name[key]!r}: its "
                                f"codings stay with {first_name[key]!r}, and {code.name!r} gets the new guid {new}")
            code.guid = new
            key = guid_key(new)
        guids[key] = code.guid
        first_name[key] = code.name
    return guids


class _References:
    """The guids of the project's codes and users by :func:`guid_key`, and the selection guids seen so far: a
    selection that repeats an earlier selection's guid gets a new one, with a note."""

    def __init__(self, project: Project, report: Report):
        self.report = report
        self.codes = _distinct_code_guids(project, report)
        self.users = {guid_key(user.guid): user.guid for user in project.users}
        self.selections: set[str] = set()

    def user(self, guid: str | None) -> str | None:
        """The guid of the user ``guid`` names, spelled as the user's own; ``None`` for none or an empty one."""
        return self.users.get(guid_key(guid), guid or None)

    def selection(self, guid: str, source_guid: str, start: int, end: int, label: str) -> str:
        """``guid``, or a new one if an earlier selection has it."""
        if guid_key(guid) and guid_key(guid) in self.selections:
            new = stable_guid("selection", source_guid, start, end, guid)
            self.report.notes.append(f"selection {guid} in {label!r} has the guid of an earlier selection: it gets "
                                     f"the new guid {new}")
            guid = new
        self.selections.add(guid_key(guid))
        return guid


def _read_selection(element: ET.Element, text: str, source_guid: str, references: _References, label: str,
                    report: Report) -> Selection | None:
    guid = element.get("guid", "")
    try:
        start, end = int(element.get("startPosition", "")), int(element.get("endPosition", ""))
    except ValueError:
        report.skipped.append(f"selection {guid} in {label!r}: startPosition/endPosition are not whole numbers")
        return None
    if not 0 <= start <= end <= len(text):
        report.skipped.append(f"selection {guid} in {label!r}: characters {start}-{end} fall outside the "
                              f"source's {len(text)} characters")
        return None
    selection = Selection(guid=references.selection(guid, source_guid, start, end, label), start=start, end=end,
                          user_guid=references.user(element.get("creatingUser")),
                          attrs=_attrs(element, {"guid", "startPosition", "endPosition", "creatingUser"}))
    for child in element:
        kind = local(child.tag)
        if kind == "Description":
            selection.description = _text_of(child)
        elif kind == "Coding":
            coding = _read_coding(child)
            coding.user_guid = references.user(coding.user_guid)
            if guid_key(coding.code_guid) in references.codes:
                coding.code_guid = references.codes[guid_key(coding.code_guid)]
                selection.codings.append(coding)
            else:
                report.skipped.append(f"coding {coding.guid} in {label!r}: it refers to code "
                                      f"{coding.code_guid or '(none)'}, which is not in the codebook")
        else:
            selection.extras.append(_keep_aside(child, report, "on a selection"))
    return selection


def _read_coding(element: ET.Element) -> Coding:
    ref = element.find(f"{{{PROJECT_NS}}}CodeRef")
    coding = Coding(guid=element.get("guid", ""), code_guid="" if ref is None else ref.get("targetGUID", ""),
                    user_guid=element.get("creatingUser"), attrs=_attrs(element, {"guid", "creatingUser"}))
    coding.extras = [_raw(child) for child in element if local(child.tag) != "CodeRef"]
    return coding


def _read_text_source(element: ET.Element, texts: _SourceTexts, references: _References,
                      report: Report) -> TextSource | RawElement:
    label = element.get("name") or element.get("plainTextPath") or element.get("guid", "?")
    text, bom, reason = _source_text(element, texts, label, report)
    if text is None:
        report.skipped.append(f"source {label!r} kept aside unread: {reason}")
        return _keep_aside(element, report)
    source = TextSource(guid=element.get("guid", ""), name=element.get("name"), text=text, bom=bom,
                        attrs=_attrs(element, {"guid", "name"}))
    if "\r" in text:
        report.notes.append(f"source {label!r} has \\r\\n line ends, which its offsets count: they are kept; "
                            "export maps segments made on newline-normalised text back when they carry their text")
    for child in element:
        kind = local(child.tag)
        if kind == "Description":
            source.description = _text_of(child)
        elif kind == "PlainTextSelection":
            selection = _read_selection(child, text, source.guid, references, label, report)
            if selection is not None:
                source.selections.append(selection)
        elif kind != "PlainTextContent":
            source.extras.append(_keep_aside(child, report, "on a source"))
    return source


def read_project_xml(root: ET.Element, archive: SafeArchive | None, report: Report) -> Project:
    """Build a :class:`Project` from a parsed ``<Project>`` element; ``archive`` holds its source files."""
    _qualify(root, PROJECT_NS)
    if root.tag != f"{{{PROJECT_NS}}}Project":
        raise InputError(f"{PROJECT_ENTRY}: the root element is <{local(root.tag)}>, not a REFI-QDA <Project>")
    project = Project(name=root.get("name", ""), attrs=_attrs(root, {"name"}))
    children = {local(child.tag): child for child in root}
    users = children.get("Users")
    if users is not None:
        project.users = [User(guid=u.get("guid", ""), name=u.get("name", ""), attrs=_attrs(u, {"guid", "name"}))
                         for u in users]
    codebook = children.get("CodeBook")
    project.codes = _read_codes(None if codebook is None else codebook.find(f"{{{PROJECT_NS}}}Codes"), report)
    references = _References(project, report)
    texts = _SourceTexts(archive)
    for child in root:
        kind = local(child.tag)
        if kind == "Sources":
            for source in child:
                if local(source.tag) == "TextSource":
                    project.sources.append(_read_text_source(source, texts, references, report))
                else:
                    project.sources.append(_keep_aside(source, report))
        elif kind not in ("Users", "CodeBook"):
            project.extras.append(_keep_aside(child, report))
    if archive is not None:
        project.attachments = [name for name in archive.names if name != PROJECT_ENTRY and name not in texts.used]
    _count(project, report)
    return project


def _count(project: Project, report: Report) -> None:
    report.counts.update(users=len(project.users), codes=len(project.all_codes()),
                         sources=len(project.text_sources),
                         selections=sum(len(s.selections) for s in project.text_sources),
                         codings=sum(len(sel.codings) for s in project.text_sources for sel in s.selections))
    if project.attachments:
        report.kept_aside["archive file carried along"] += len(project.attachments)


def read_codebook_xml(root: ET.Element, report: Report) -> Project:
    """Build a codebook-only :class:`Project` from a parsed ``.qdc`` ``<CodeBook>`` element."""
    _qualify(root, CODEBOOK_NS)
    if root.tag != f"{{{CODEBOOK_NS}}}CodeBook":
        raise InputError(f"the root element is <{local(root.tag)}>, not a REFI-QDA <CodeBook> (urn:QDA-XML:codebook:1.0)")
    project = Project(name="", kind="codebook", attrs=_attrs(root, set()))
    for child in root:
        if local(child.tag) == "Codes":
            project.codes = _read_codes(child, report)
            _distinct_code_guids(project, report)
        else:
            project.extras.append(_keep_aside(child, report))
    _count(project, report)
    return project


def read_file(path: str | Path, attachments_dir: Path | None = None,
              limits: ZipLimits = ZipLimits()) -> tuple[Project, Report]:
    """Read a ``.qdpx`` archive, a ``.qde`` project file or a ``.qdc`` codebook.

    Parameters
    ----------
    path : str or Path
        The file; its suffix decides how it is read (anything but ``.qde`` / ``.qdc`` is read as a ``.qdpx``).
    attachments_dir : Path, optional
        Where to copy the archive files the project carries along (``project.attachments``), under their
        archive paths.
    limits : ZipLimits
        Caps that guard against zip bombs.

    Returns
    -------
    project : Project
    report : Report
        Counts, items kept aside and items skipped, with reasons.
    """
    try:
        return _read(Path(path), attachments_dir, limits)
    except RecursionError:
        raise InputError(f"{Path(path).name}: its elements are nested too deeply to be a real project") from None


def _read(path: Path, attachments_dir: Path | None, limits: ZipLimits) -> tuple[Project, Report]:
    report = Report()
    suffix = path.suffix.lower()
    if suffix in (".qdc", ".qde"):
        if not path.is_file():
            raise InputError(f"{path} does not exist or is not a file")
        if path.stat().st_size > limits.max_total_bytes:
            raise InputError(f"{path.name} is larger than {limits.max_total_bytes} bytes")
        data = path.read_bytes()
        if not data.strip():
            raise InputError(f"{path.name} is empty")
        root = parse_xml(data, path.name)
        if suffix == ".qdc":
            project = read_codebook_xml(root, report)
            project.name = path.stem
        else:
            project = read_project_xml(root, None, report)
        return project, report
    with open_archive(path, limits) as archive:
        if PROJECT_ENTRY not in archive:
            raise InputError(f"{path.name} holds no {PROJECT_ENTRY} (not a REFI-QDA .qdpx project)")
        root = parse_xml(archive.read(PROJECT_ENTRY), f"{path.name}/{PROJECT_ENTRY}")
        project = read_project_xml(root, archive, report)
        if attachments_dir is not None:
            for name in project.attachments:
                try:
                    archive.copy_to(name, attachments_dir / name)
                except (OSError, RecursionError) as exc:  # named by the entry, not by the temporary folder's path
                    shown = name if len(name) <= 100 else f"{name[:60]}…{name[-20:]}"
                    why = (f"{name.count('/')} folders deep" if isinstance(exc, RecursionError)
                           else exc.strerror or str(exc))
                    raise InputError(f"{path.name}: entry {shown!r} cannot be written into the import's "
                                     f"attachments/ ({why})") from None
        return project, report
