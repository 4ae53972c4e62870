"""Document metadata ↔ REFI-QDA variables (MAXQDA's document variables, NVivo's attributes).

A ``<Variable>`` is declared once in the project's ``<Variables>`` (guid, name, ``typeOfVariable``) and given a value
on a source by a ``<VariableValue>`` (a ``<VariableRef>`` to it and one ``<TextValue>``, ``<IntegerValue>``…). The
reader keeps both as raw XML (:class:`~.model.RawElement`); this module reads them as document metadata
(:func:`source_metadata`) and, on export, writes a document's metadata as the values of its source
(:func:`with_metadata`): a field becomes the variable of that name the project declares already (its guid and type
kept) or a new ``Text`` variable. A source's values of the exported fields come from the metadata alone (an empty
cell writes none); values of other variables stay as imported.

Values on a ``<Case>`` (NVivo's case attributes) are the metadata of the sources the case holds: those its
``<SourceRef>`` names, those holding a selection its ``<SelectionRef>`` names, and those holding a coding of a code
its ``<CodeRef>`` names (:func:`case_values`). A source's own value of a variable wins over its cases' (with a
warning where they differ); cases that give one source different values of a variable leave it empty (with a
warning). On export a value the source's cases give already is not written on the source again.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from theme_assist.errors import InputError, listed
from theme_assist.refi.convert import guid_key, stable_guid
from theme_assist.refi.model import Project, RawElement, TextSource
from theme_assist.refi.reader import PROJECT_NS, local
from theme_assist.refi.writer import raw_in_namespace, replace_not_xml

logger = logging.getLogger(__name__)

RESERVED = ("document", "file", "filename")
"""Field names a metadata table reads as its document column (:mod:`theme_assist.ingest.metadata`): a variable of
such a name cannot be a metadata field and stays as imported."""

_FORMS = {"Boolean": re.compile(r"^(true|false|1|0)$"), "Integer": re.compile(r"^[+-]?\d+$"),
          "Float": re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$"),
          "Date": re.compile(r"^-?\d{4,}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?$"),
          "DateTime": re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")}


@dataclass
class Variable:
    """A declared ``<Variable>``."""

    guid: str
    name: str
    type: str = "Text"


def _tag(name: str) -> str:
    return f"{{{PROJECT_NS}}}{name}"


def declared(project: Project) -> list[Variable]:
    """The variables the project's ``<Variables>`` declares, in file order."""
    found = []
    for raw in project.extras:
        element = raw_in_namespace(raw, PROJECT_NS) if raw.kind == "Variables" else None
        for child in [] if element is None else element:
            if local(child.tag) == "Variable" and child.get("guid"):
                found.append(Variable(child.get("guid"), (child.get("name") or "").strip(),
                                      child.get("typeOfVariable") or "Text"))
    return found


def _fields(project: Project) -> dict[str, str]:
    """The metadata field of each variable guid (by :func:`guid_key`): its name, where it is one a metadata table
    can hold. Variables of one name (NVivo's attribute of a file classification and of a case classification) are
    one field."""
    fields: dict[str, str] = {}
    for variable in declared(project):
        if variable.name and variable.name.casefold() not in RESERVED:
            fields.setdefault(guid_key(variable.guid), variable.name)
    return fields


def _value(raw: RawElement) -> tuple[str, str] | None:
    """(variable guid, value as written) of a kept-aside ``<VariableValue>``; ``None`` for anything else."""
    element = raw_in_namespace(raw, PROJECT_NS) if raw.kind == "VariableValue" else None
    return None if element is None else _read_value(element)


def _read_value(element: ET.Element) -> tuple[str, str] | None:
    """(variable guid, value as written) of a ``<VariableValue>`` element; ``None`` if it lacks either."""
    ref = element.find(_tag("VariableRef"))
    values = [child for child in element if local(child.tag).endswith("Value")]
    if ref is None or not values:
        return None
    return ref.get("targetGUID", ""), (values[0].text or "").strip()


def _own_values(source: TextSource, fields: dict[str, str]) -> dict[str, str]:
    """The source's own variable values as metadata (variable name → value as written)."""
    values: dict[str, str] = {}
    for raw in source.extras:
        found = _value(raw)
        if found and guid_key(found[0]) in fields and found[1]:
            values.setdefault(fields[guid_key(found[0])], found[1])
    return values


def _holders(project: Project) -> dict[tuple[str, str], set[str]]:
    """The text sources (guids by :func:`guid_key`) a case's reference takes in, by (kind, target guid): a
    ``SourceRef`` the source, a ``SelectionRef`` the source holding the selection, a ``CodeRef`` the sources holding a
    coding of the code."""
    holders: dict[tuple[str, str], set[str]] = {}
    for source in project.text_sources:
        key = guid_key(source.guid)
        holders.setdefault(("SourceRef", key), set()).add(key)
        for selection in source.selections:
            holders.setdefault(("SelectionRef", guid_key(selection.guid)), set()).add(key)
            for coding in selection.codings:
                holders.setdefault(("CodeRef", guid_key(coding.code_guid)), set()).add(key)
    return holders


def case_values(project: Project) -> dict[str, dict[str, set[str]]]:
    """The values the project's cases give each text source: variable name → the distinct values (more than one
    where its cases disagree), by source guid (:func:`guid_key`)."""
    blocks = [raw_in_namespace(raw, PROJECT_NS) for raw in project.extras if raw.kind == "Cases"]
    cases = [case for block in blocks if block is not None for case in block if local(case.tag) == "Case"]
    fields, holders = _fields(project), _holders(project) if cases else {}
    given: dict[str, dict[str, set[str]]] = {}
    for case in cases:
        values = [found for child in case if local(child.tag) == "VariableValue" and (found := _read_value(child))]
        values = [(fields[guid_key(guid)], value) for guid, value in values if guid_key(guid) in fields and value]
        members = set().union(*(holders.get((local(child.tag), guid_key(child.get("targetGUID"))), ())
                                for child in case))
        for member in members:
            for name, value in values:
                given.setdefault(member, {}).setdefault(name, set()).add(value)
    return given


def source_metadata(project: Project) -> dict[str, dict[str, str]]:
    """Each text source's variable values as metadata (variable name → value as written), by source guid: its own,
    and those its cases give (:func:`case_values`)."""
    fields = _fields(project)
    from_cases = case_values(project)
    metadata: dict[str, dict[str, str]] = {}
    kept: dict[str, list[str]] = {}
    emptied: dict[str, list[str]] = {}
    for source in project.text_sources:
        values = metadata.setdefault(source.guid, _own_values(source, fields))
        label = source.document or source.name or source.guid
        for name, given in from_cases.get(guid_key(source.guid), {}).items():
            if name in values:
                if given - {values[name]}:
                    kept.setdefault(name, []).append(f"{label!r} ({values[name]!r}, cases {_either(given)})")
            elif len(given) > 1:
                emptied.setdefault(name, []).append(f"{label!r} ({_either(given)})")
            else:
                values[name] = next(iter(given))
    for name, documents in kept.items():
        logger.warning("%s: a document's own value wins over its cases': %s", name, listed(documents))
    for name, documents in emptied.items():
        logger.warning("%s: left empty where a document's cases disagree: %s", name, listed(documents))
    return metadata


def _either(values: set[str]) -> str:
    return " or ".join(repr(value) for value in sorted(values))


def _serialised(element: ET.Element, replaced: list[int]) -> RawElement:
    """``element`` as a kept-aside element; characters XML 1.0 cannot hold (a vertical tab pasted from Word into a
    metadata cell) are replaced as the writer replaces them (:func:`~.writer.replace_not_xml`), and counted in
    ``replaced``: written as they are, the element could not be parsed back."""
    replaced.append(replace_not_xml(element))
    return RawElement(kind=local(element.tag), xml=ET.tostring(element, encoding="unicode").replace("\r", "&#13;"))


def _clean(value) -> str:
    return "" if value is None or value != value else str(value).strip()  # NaN != NaN


def with_metadata(project: Project, metadata: dict[str, dict[str, str]]) -> None:
    """Write each text source's metadata (by document id) as its variable values, declaring new variables.

    Raises
    ------
    InputError
        If a value does not fit the type of the variable the project declares (an ``Integer`` variable given
        ``"many"``).
    """
    names = list(dict.fromkeys(name for values in metadata.values() for name in values
                               if str(name).casefold() not in RESERVED))
    if not names:
        return
    variables = declared(project)
    by_name: dict[str, Variable] = {}
    for variable in variables:
        by_name.setdefault(variable.name, variable)
    for name in names:
        if name not in by_name:
            by_name[name] = Variable(stable_guid("variable", name), name)
            variables.append(by_name[name])
    fields, from_cases = _fields(project), case_values(project)
    exported = {guid_key(by_name[name].guid) for name in names} | {key for key, name in fields.items() if name in names}
    replaced: list[int] = []
    emptied: dict[str, list[str]] = {}  # values a case gives that the metadata empties: the case keeps them
    for source in project.text_sources:
        own, values = _own_values(source, fields), metadata.get(source.document, {})
        cases_give = from_cases.get(guid_key(source.guid), {})
        given = {name: found for name, found in cases_give.items() if name not in own}
        for name, found in cases_give.items():
            if len(found) == 1 and name in values and not _clean(values[name]):
                emptied.setdefault(name, []).append(f"{source.document!r} ({next(iter(found))!r})")
        _set_values(source, values, names, by_name, exported, replaced, given)
    for name, documents in emptied.items():
        logger.warning("%s: empty in the metadata, but given by the cases of %s, which the .qdpx keeps (empty it on "
                       "the case in the QDA program)", name, listed(documents))
    block = ET.Element(_tag("Variables"))
    for variable in variables:
        block.append(ET.Element(_tag("Variable"), {"guid": variable.guid, "name": variable.name,
                                                   "typeOfVariable": variable.type}))
    kept = [raw for raw in project.extras if raw.kind == "Variables"]
    if kept:  # descriptions of declared variables are kept
        for old, new in zip((v for v in raw_in_namespace(kept[0], PROJECT_NS) if local(v.tag) == "Variable"), block):
            old.tail = None
            new.extend(old)
    project.extras = [raw for raw in project.extras if raw.kind != "Variables"] + [_serialised(block, replaced)]
    if sum(replaced):
        logger.warning("metadata: %d character(s) that XML 1.0 cannot hold were replaced (U+000B and U+000C by a line "
                       "break, other control characters by U+FFFD)", sum(replaced))


def _set_values(source: TextSource, values: dict, names: list[str], by_name: dict[str, Variable],
                exported: set[str], replaced: list[int], given: dict[str, set[str]]) -> None:
    """Write ``values`` on ``source``, but for a value its cases give it (``given``, :func:`case_values`) already."""
    kept = [raw for raw in source.extras if not ((found := _value(raw)) and guid_key(found[0]) in exported)]
    for name in names:
        value, variable = _clean(values.get(name)), by_name[name]
        if not value or given.get(name) == {value}:
            continue
        form = _FORMS.get(variable.type)
        if form is not None and not form.match(value):
            raise InputError(f"document {source.document!r}: {name} {value!r} is not a {variable.type} value, as "
                             "the project's variable of that name is")
        element = ET.Element(_tag("VariableValue"))
        ET.SubElement(element, _tag("VariableRef"), {"targetGUID": variable.guid})
        ET.SubElement(element, _tag(f"{variable.type if variable.type in _FORMS else 'Text'}Value")).text = value
        kept.append(_serialised(element, replaced))
    source.extras = kept
