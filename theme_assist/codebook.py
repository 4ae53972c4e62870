"""Codebooks: load, validate and save the YAML codebook format.

The format (as in ``../shared/corpora/*/*.codebook.yaml``)::

    name: Study codebook
    exclusive: true          # one code per segment; false: multi-label
    description: optional free text
    codes:
      - id: recovery
        name: Personal recovery
        definition: ...
        include: ...          # optional
        exclude: ...          # optional
        examples: [..., ...]  # optional anchor quotes
        color: "#AA3377"      # optional, kept for REFI-QDA exchange
        guid: ...             # optional, kept for REFI-QDA exchange
        children: [...]       # optional nested codes

Unknown keys, duplicate keys, duplicate ids and empty names are refused with the line they stand on; ids that
differ only in case are accepted with a warning naming both and their lines. Refused too are
YAML aliases (``*name``: a codebook has no use for them, and nested ones expand exponentially), nesting deeper
than :data:`MAX_CODE_DEPTH` levels of ``children``, and keys that are not text. Error messages quote user
values only through :func:`_short`, which caps their length.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import reprlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import yaml

from theme_assist.errors import InputError, listed
from theme_assist.names import name_key

CODE_KEYS = {"id", "name", "definition", "include", "exclude", "examples", "children", "color", "guid"}
CODEBOOK_KEYS = {"name", "exclusive", "description", "codes"}
MAX_CODE_DEPTH = 50
"""The deepest a code may sit under ``children`` (top-level codes are at depth 0)."""
MAX_YAML_DEPTH = 120
"""The deepest the YAML itself may nest; enough for :data:`MAX_CODE_DEPTH` (two YAML levels a level of codes)."""
MAX_CODEBOOK_BYTES = 10 * 1024**2
"""Largest codebook file read: the packaged one is under 30 KB. A file given as the codebook by mistake (a coded
table of 200 MB) took minutes to be refused as YAML; ``/dev/zero`` filled the memory."""
CODEBOOK_VERSION_COLUMN = "codebook_version"
"""The column ``project export --codings`` and ``--machine`` write after the segmentation: the project's codebook
version the codes are read under (a code map renames or merges codes); no coder, code or rating where read back."""

logger = logging.getLogger(__name__)

_REPR = reprlib.Repr()
_REPR.maxlevel = 2
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxfrozenset = _REPR.maxdict = 4
_REPR.maxstring = _REPR.maxother = 60
_REPR.maxlong = 40


def _short(value) -> str:
    """A repr of a user's value for an error message, of bounded length however big the value."""
    try:
        return _REPR.repr(value)
    except Exception:  # noqa: BLE001 - e.g. an int too long for str(); the type is enough then
        return f"a {type(value).__name__}"


def case_key(text: str) -> str:
    """``text`` as ids and names are compared where case does not count (:meth:`str.casefold`: "STRASSE" and
    "straße" alike, which :meth:`str.lower` keeps apart)."""
    return text.casefold()


def _clip(text: str, limit: int = 200) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class Code:
    """One code of a codebook; ``children`` are its sub-codes."""

    id: str
    name: str
    definition: str = ""
    include: str = ""
    exclude: str = ""
    examples: list[str] = field(default_factory=list)
    children: list["Code"] = field(default_factory=list)
    color: str | None = None
    guid: str | None = None

    def describe(self) -> str:
        """The code's text for a zero-shot prototype: name, definition and inclusion criteria."""
        parts = [self.name, self.definition, self.include]
        return ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip()) + "."

    def to_dict(self) -> dict:
        out: dict = {"id": self.id, "name": self.name}
        for key in ("definition", "include", "exclude", "color", "guid"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.examples:
            out["examples"] = list(self.examples)
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        return out


@dataclass
class Codebook:
    """A named tree of codes.

    ``exclusive`` means one code per segment (single-label); otherwise a segment may carry several codes.
    """

    name: str
    codes: list[Code]
    exclusive: bool = False
    description: str = ""

    def walk(self) -> Iterator[tuple[Code, Code | None, int]]:
        """Every code depth-first, with its parent (None at the top) and its depth (0 at the top)."""

        def visit(codes, parent, depth):
            for code in codes:
                yield code, parent, depth
                yield from visit(code.children, code, depth + 1)

        yield from visit(self.codes, None, 0)

    @property
    def all_codes(self) -> list[Code]:
        return [code for code, _, _ in self.walk()]

    @property
    def leaf_codes(self) -> list[Code]:
        """The codes segments are coded with: codes without children."""
        return [code for code in self.all_codes if not code.children]

    @property
    def ids(self) -> list[str]:
        return [code.id for code in self.all_codes]

    def choices(self, used: set[str]) -> list[str]:
        """The ids a suggester chooses among, in codebook order: the leaf codes, and the parent codes in ``used``
        (the codes of a coding: a team may code with a parent)."""
        return [code.id for code in self.all_codes if code.id in used or not code.children]

    def get(self, code_id: str) -> Code:
        for code in self.all_codes:
            if code.id == code_id:
                return code
        raise InputError(f"code {_short(code_id)} is not in codebook {_short(self.name)}{self.hint(code_id)}")

    def hint(self, unknown: str) -> str:
        """A hint for a code that is not an id here: ``" (did you mean 'x'?)"`` when it is an id written in
        another case, Unicode form, with invisible characters (a zero-width space a spreadsheet kept) or other
        spaces between its words, or a code's name so written; several codes in one cell (``"a; b"``) are told to
        take a row each; ``""`` otherwise."""
        def key(text: str) -> str:
            return " ".join(name_key(text).split())

        folded = key(str(unknown))
        for field in ("id", "name"):
            matches = [code.id for code in self.all_codes if key(getattr(code, field)) == folded]
            if len(matches) == 1:
                how = "codes are named by id" if field == "name" else "ids are matched as written"
                return f" (did you mean {matches[0]!r}? {how})"
        parts = [part.strip() for part in re.split(r"[;,|\n]", str(unknown)) if part.strip()]
        known = {case_key(code.id) for code in self.all_codes} | {case_key(code.name) for code in self.all_codes}
        if len(parts) > 1 and all(case_key(part) in known for part in parts):
            return (" (several codes in one cell: give each code a row of its own, with the segment's segment_id, "
                    "where the codebook allows several codes per segment)")
        return ""

    def parent_of(self) -> dict[str, str | None]:
        return {code.id: (parent.id if parent else None) for code, parent, _ in self.walk()}

    def to_dict(self) -> dict:
        out: dict = {"name": self.name, "exclusive": self.exclusive}
        if self.description:
            out["description"] = self.description
        out["codes"] = [c.to_dict() for c in self.codes]
        return out

    def content_hash(self) -> str:
        """sha256 of the canonical JSON form: a fitted model records it and refuses another codebook."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class _Refused(yaml.MarkedYAMLError):
    """Valid YAML that a codebook may not use; reported as the problem and its line, not as invalid YAML."""


def _joined_surrogates(value: str, mark) -> str:
    """``value`` with each pair of surrogate escapes joined into the one character it stands for; a lone one, half
    a character that no file or project could be written with, is refused."""
    units = value.encode("utf-16-le", "surrogatepass")
    try:
        return units.decode("utf-16-le")
    except UnicodeDecodeError as exc:  # the lone one, not the first half of a pair before it
        lone = int.from_bytes(units[exc.start:exc.start + 2], "little")
        raise _Refused(None, None, f"an escape in {_short(value)} stands for half a character (U+{lone:04X}, a "
                       "lone surrogate); write the character itself", mark) from None


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line (1-based) of every mapping under the key ``__line__``.

    In a flow mapping (``{id: x, definition: a, b}``) an unquoted comma ends the value, and the rest (``b``) turns
    into a key without a value. Such keys are joined back onto the text before them, with a warning, because
    that is what the author wrote; a real unknown key (one with a value) is still refused.

    It refuses, with the line, what a codebook never needs and what could blow up memory, time or the stack:
    aliases (``*name``; anchors alone are harmless), nesting deeper than :data:`MAX_YAML_DEPTH`, and duplicate
    keys in one mapping (YAML would keep the last silently). A scalar YAML cannot turn into its type (a date
    like 2020-02-30, an int too long to convert) is refused too, instead of escaping as a ValueError, and so is an
    escape for half a character (``"\\uD800"``), which no file or project could be written with (a pair of them,
    as JSON writes a character beyond U+FFFF, is joined into that character).

    Every value but ``exclusive`` is text, so an unquoted value that YAML would read as a number, a truth value or
    a date is kept as written (:func:`_values_as_written`): code ``1.10`` stays ``1.10``, not ``1.1``; ``010``
    stays ``010``, not 8; a code named ``No`` is not ``false``. Keys are not changed (a key ``1`` is refused).
    """

    _depth = 0

    def construct_document(self, node):
        _values_as_written(node)
        return super().construct_document(node)

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            alias = _clip(event.anchor, 40)
            raise _Refused(None, None, f"YAML aliases are not allowed in a codebook (found *{alias}); "
                           "write the value out", event.start_mark)
        if self._depth >= MAX_YAML_DEPTH:
            raise _Refused(None, None, f"the YAML nests more than {MAX_YAML_DEPTH} levels deep",
                           self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node, deep=False):
        try:
            value = super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            kind = str(node.tag).rsplit(":", 1)[-1]
            raise _Refused(None, None, f"cannot read {_short(node.value)} as {_clip(kind, 40)} ({_clip(exc, 60)}); "
                           "quote it to keep it as text", node.start_mark) from None
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # "\ud83d\ude00", as JSON writes an emoji, or a lone "\ud800"
                value = _joined_surrogates(value, node.start_mark)
        return value

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            self._refuse_duplicate_keys(node)
        mapping = super().construct_mapping(node, deep=deep)
        if node.flow_style:
            # a key with no value at all ("{name: Family, friends}"), not one with an explicit null
            bare = {self.construct_object(key) for key, value in node.value
                    if isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode) and value.value == ""
                    and value.style is None}
            mapping = _rejoin_split_text(mapping, node.start_mark.line + 1, bare)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping

    def _refuse_duplicate_keys(self, node) -> None:
        first: dict = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue  # a non-scalar key is refused as unhashable by PyYAML itself
            key = self.construct_object(key_node)
            if key in first:
                raise _Refused(None, None, f"duplicate key {_short(key)} (first on line {first[key]})",
                               key_node.start_mark)
            first[key] = key_node.start_mark.line + 1


class _Lines(list):
    """A YAML sequence that remembers the line (1-based) of each item in ``lines``: an entry under ``codes`` that is
    not a mapping has no ``__line__`` of its own."""

    lines: list[int]


_REPR.repr__Lines = _REPR.repr_list  # reprlib picks its method by the type's name: shorten these as lists


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode):
    items = _Lines()
    items.lines = [item.start_mark.line + 1 for item in node.value]
    yield items  # filled afterwards, as PyYAML's own sequences are, so that nested values can refer back
    items.extend(loader.construct_sequence(node))


_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def _entry_line(entries: list, index: int):
    """The line of ``entries[index]`` where the YAML gave it (:class:`_Lines`), else ``"?"``."""
    return entries.lines[index] if isinstance(entries, _Lines) else "?"


_TAG = "tag:yaml.org,2002:"
_RETYPED = {f"{_TAG}{kind}" for kind in ("int", "float", "bool", "timestamp")}


def _values_as_written(document: yaml.Node) -> None:
    """Tag every number, truth value or date among the values of ``document`` as text, except the value of the
    top-level ``exclusive`` (the one value that is not text); keys keep their types."""
    pending = [document]
    while pending:
        node = pending.pop()
        if isinstance(node, yaml.ScalarNode):
            if node.tag in _RETYPED:
                node.tag = f"{_TAG}str"
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            pending.extend(value for key, value in node.value
                           if not (node is document and isinstance(key, yaml.ScalarNode) and key.value == "exclusive"))


def _rejoin_split_text(mapping: dict, line: int, bare: set) -> dict:
    """``mapping`` with each ``bare`` key (one written without a value) that is not a codebook key joined to the
    text before it: an unquoted comma in a flow mapping splits a text into a key of its own."""
    repaired: dict = {}
    for key, value in mapping.items():
        previous = next(reversed(repaired), None)
        if (value is None and key in bare and isinstance(key, str) and key not in CODE_KEYS
                and previous is not None and isinstance(repaired[previous], str)):
            warnings.warn(f"line {line}: unquoted comma in {_short(previous)}; read as one text (quote it to be sure)",
                          stacklevel=2)
            repaired[previous] = f"{repaired[previous]}, {key}"
        else:
            repaired[key] = value
    return repaired


def _text(value, where: str, key: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        try:
            return str(value).strip()
        except ValueError:  # an int too long for str(); PyYAML refuses those already, this is for other callers
            raise InputError(f"{where}: '{key}' is a number too long to read; quote it") from None
    # in YAML's words: the type's own name was this module's list class, "_Lines"
    kind = "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else type(value).__name__
    raise InputError(f"{where}: '{key}' must be text, not {kind}")


def _first_bad_key(raw: dict, allowed: set[str]):
    """The first key of ``raw`` that is not text, else the first (alphabetically) not in ``allowed``, else None."""
    for key in raw:
        if not isinstance(key, str):
            return key
    unknown = sorted(set(raw) - allowed)
    return unknown[0] if unknown else None


def _parse_code(raw, source: str, seen: dict[str, int], depth: int = 0, line="?") -> Code:
    """``raw`` as a :class:`Code`; ``line`` names where it stands when it is not a mapping (which has its own)."""
    if not isinstance(raw, dict):
        raise InputError(f"{source}, line {line}: each entry under 'codes' must be a mapping with id and name, "
                         f"got {_short(raw)}")
    line = raw.pop("__line__", "?")
    where = f"{source}, line {line}"
    if depth > MAX_CODE_DEPTH:
        raise InputError(f"{where}: codes nest more than {MAX_CODE_DEPTH} levels deep under 'children'")
    bad = _first_bad_key(raw, CODE_KEYS)
    if bad is not None:
        if isinstance(bad, str):
            raise InputError(f"{where}: unknown key {_short(bad)} in code {_short(raw.get('id', '?'))} "
                             f"(allowed: {', '.join(sorted(CODE_KEYS))})")
        raise InputError(f"{where}: key {_short(bad)} in code {_short(raw.get('id', '?'))} is not text "
                         f"(allowed: {', '.join(sorted(CODE_KEYS))})")
    code_id = _text(raw.get("id"), where, "id")
    if not code_id:
        raise InputError(f"{where}: a code has no 'id'")
    if code_id in seen:
        raise InputError(f"{where}: duplicate code id {_short(code_id)} (first on line {seen[code_id]})")
    seen[code_id] = line
    name = _text(raw.get("name"), where, "name")
    if not name:
        raise InputError(f"{where}: code {_short(code_id)} has an empty name")
    examples = raw.get("examples") or []
    if isinstance(examples, str):
        examples = [examples]
    if not isinstance(examples, list):
        raise InputError(f"{where}: 'examples' of code {_short(code_id)} must be a list of quotes")
    children = raw.get("children") or []
    if not isinstance(children, list):
        raise InputError(f"{where}: 'children' of code {_short(code_id)} must be a list of codes")
    return Code(
        id=code_id,
        name=name,
        definition=_text(raw.get("definition"), where, "definition"),
        include=_text(raw.get("include"), where, "include"),
        exclude=_text(raw.get("exclude"), where, "exclude"),
        examples=[_text(e, where, "examples") for e in examples if _text(e, where, "examples")],
        children=[_parse_code(child, source, seen, depth + 1, _entry_line(children, i))
                  for i, child in enumerate(children)],
        color=_text(raw.get("color"), where, "color") or None,
        guid=_text(raw.get("guid"), where, "guid") or None,
    )


def parse_codebook(text: str, source: str = "<codebook>") -> Codebook:
    """Parse codebook YAML text; ``source`` names it in error messages and warnings."""
    try:
        with warnings.catch_warnings(record=True) as repairs:
            warnings.simplefilter("always")
            raw = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except _Refused as exc:
        raise InputError(f"{source}, line {exc.problem_mark.line + 1}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f", line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{source}{at}: not valid YAML ({_clip(problem)})") from None
    except RecursionError:  # MAX_YAML_DEPTH should stop it first, unless the caller's stack is already deep
        raise InputError(f"{source}: the YAML nests too deeply") from None
    for repair in repairs:
        warnings.warn(f"{source}, {repair.message}", UserWarning, stacklevel=2)
    if not isinstance(raw, dict):
        raise InputError(f"{source}: a codebook is a mapping with 'name' and 'codes'")
    raw.pop("__line__", None)
    bad = _first_bad_key(raw, CODEBOOK_KEYS)
    if bad is not None:
        problem = f"unknown top-level key {_short(bad)}" if isinstance(bad, str) else \
            f"top-level key {_short(bad)} is not text"
        raise InputError(f"{source}: {problem} (allowed: {', '.join(sorted(CODEBOOK_KEYS))})")
    codes = raw.get("codes")
    if not isinstance(codes, list) or not codes:
        raise InputError(f"{source}: the codebook has no codes (expected a non-empty list under 'codes')")
    exclusive = raw.get("exclusive", False)
    if not isinstance(exclusive, bool):
        raise InputError(f"{source}: 'exclusive' must be true or false, not {_short(exclusive)}")
    seen: dict[str, int] = {}
    try:
        parsed = [_parse_code(c, source, seen, line=_entry_line(codes, i)) for i, c in enumerate(codes)]
    except RecursionError:  # MAX_CODE_DEPTH should stop it first
        raise InputError(f"{source}: codes nest too deeply under 'children'") from None
    _warn_of_ids_differing_in_case(seen, source)
    return Codebook(
        name=_text(raw.get("name"), source, "name") or Path(source).stem,
        codes=parsed,
        exclusive=exclusive,
        description=_text(raw.get("description"), source, "description"),
    )


def _warn_of_ids_differing_in_case(lines: dict[str, int], source: str) -> None:
    """Warn, in one line each, of a code id that differs from an earlier one only in case, naming both and their
    lines: coders, spreadsheets and other QDA tools take them for one code (so does import-qdpx, which hands out ids
    regardless of case: the second comes back as ``stigma-2``), though ids are matched as written. Not refused:
    codebooks and models made before are used with them. ``lines``: id → line, in the codebook's order."""
    first_of: dict[str, str] = {}
    for code_id, line in lines.items():
        first = first_of.setdefault(case_key(code_id), code_id)
        if first != code_id:
            logger.warning("%s, line %s: code id %s differs from %s (line %s) only in case, and other tools may take "
                           "them for one code (a .qdpx exchange gives the second another id); to rename one, change "
                           "its id in the codebook (in a project, store it with project codebook --map OLD=NEW)",
                           source, line, _short(code_id), _short(first), lines[first])


def load_codebook(path: str | Path) -> Codebook:
    """Read a YAML codebook file."""
    path = Path(path)
    try:
        with path.open("rb") as file:  # a pipe (--codebook <(command)) is read too: its size is not known before
            data = file.read(MAX_CODEBOOK_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"codebook {path} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"codebook {path} is a folder, not a YAML file") from None
    if len(data) > MAX_CODEBOOK_BYTES:
        raise InputError(f"codebook {path} is larger than {MAX_CODEBOOK_BYTES // 1024**2} MB, far more than a "
                         "codebook holds: is it the right file?")
    from theme_assist.ingest.decoding import marked_encoding

    # Windows Notepad's "Unicode" is UTF-16 with a byte-order mark, which YAML allows (and tables are read in)
    encoding = marked_encoding(data) or "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"codebook {path}, line {line}: not {encoding.removesuffix('-sig').upper()} text (byte "
                         f"0x{data[exc.start]:02x}); save it as UTF-8") from None
    return parse_codebook(text, source=str(path))


_CODES_KEY = re.compile(r"""^(codes|"codes"|'codes')[ \t]*:""", re.MULTILINE)


def looks_like_codebook(path: str | Path) -> bool:
    """Whether ``path`` is a file that holds a codebook, finished or not: YAML with a top-level ``codes`` key (a
    line that starts ``codes:``, or a mapping that has it) in its first :data:`MAX_CODEBOOK_BYTES`. For outputs
    that would replace it: a codebook written by hand may be a coder's only copy. Never raises."""
    from theme_assist.ingest.decoding import marked_encoding

    try:
        with Path(path).open("rb") as file:
            data = file.read(MAX_CODEBOOK_BYTES)
    except OSError:
        return False
    text = data.decode(marked_encoding(data) or "utf-8", errors="replace")
    if _CODES_KEY.search(text):
        return True
    try:
        with warnings.catch_warnings():  # the repairs parse_codebook would warn of say nothing here
            warnings.simplefilter("ignore")
            raw = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except Exception:  # noqa: BLE001 - what cannot be read as YAML is no codebook here
        return False
    return isinstance(raw, dict) and "codes" in raw


def redefined_codes(old: Codebook, new: Codebook) -> list[str]:
    """The ids of the codes both codebooks have whose definition, inclusion or exclusion criteria or examples
    ``new`` changes, in ``new``'s order."""
    def criteria(code: Code) -> tuple:
        return code.definition, code.include, code.exclude, code.examples

    before = {code.id: code for code in old.all_codes}
    return [code.id for code in new.all_codes if code.id in before and criteria(before[code.id]) != criteria(code)]


def codebook_changes(old: Codebook, new: Codebook, code_map: dict[str, str] | None = None) -> list[str]:
    """What ``new`` changes in ``old``, one short phrase per kind of change (codes added, dropped, renamed, merged,
    moved, redefined, given sub-codes; one code per segment or several), in that order; empty when no code changed.

    ``code_map`` (old id → new id: ``project codebook --map``) names what became of dropped codes: a code mapped to a
    new code that no other code is mapped to is renamed (``renamed OLD → NEW``); codes mapped into one code that
    ``old`` has, or several into one, are merged (``merged A, B into C``, one phrase per code merged into). Neither
    is listed as added or dropped."""
    before = {code.id: (code, parent.id if parent else None) for code, parent, _ in old.walk()}
    after = {code.id: (code, parent.id if parent else None) for code, parent, _ in new.walk()}
    kept = [code_id for code_id in after if code_id in before]
    into: dict[str, list[str]] = {}
    for old_id in before:  # in the old codebook's order
        if old_id in (code_map or {}):
            into.setdefault(code_map[old_id], []).append(old_id)
    renames = {new_id: olds[0] for new_id, olds in into.items() if len(olds) == 1 and new_id not in before}

    kinds = {
        "added": [code_id for code_id in after if code_id not in before and code_id not in into],
        "dropped": [code_id for code_id in before if code_id not in after and code_id not in (code_map or {})],
        "renamed": [f"{renames[code_id]} → {code_id}" for code_id in after if code_id in renames]
        + [f"{code_id} ({_short(before[code_id][0].name)} → {_short(after[code_id][0].name)})"
           for code_id in kept if before[code_id][0].name != after[code_id][0].name],
        "merged": [f"{', '.join(into[code_id])} into {code_id}" for code_id in after
                   if code_id in into and code_id not in renames],
        "moved": [f"{code_id} (under {after[code_id][1] or 'the top'})" for code_id in kept
                  if before[code_id][1] != after[code_id][1]],
        "redefined": redefined_codes(old, new),
        "given sub-codes": [code_id for code_id in kept
                            if after[code_id][0].children and not before[code_id][0].children],
    }
    changes = []
    for kind, codes in kinds.items():
        if kind == "merged":  # a phrase each: "merged A, B into C, D into E" would not say which went where
            changes += [f"merged {phrase}" for phrase in codes]
        elif codes:  # every rename of an id is named, as the maps were
            changes.append(f"{kind} {listed(codes, 5 + len(renames) if kind == 'renamed' else 5)}")
    if old.exclusive != new.exclusive:
        changes.append("one code per segment" if new.exclusive else "several codes per segment allowed")
    return changes


def dump_codebook(codebook: Codebook) -> str:
    return yaml.safe_dump(codebook.to_dict(), sort_keys=False, allow_unicode=True, width=110)


def save_codebook(codebook: Codebook, path: str | Path) -> None:
    """Write a codebook as YAML that :func:`load_codebook` reads back unchanged, whole or not at all."""
    from theme_assist.refi.atomic import write_text_whole

    write_text_whole(path, dump_codebook(codebook))


def packaged_codebook(name: str = "upsides") -> Path:
    """Path of a codebook shipped inside the package (``theme_assist/data/<name>.codebook.yaml``)."""
    path = Path(__file__).parent / "data" / f"{name}.codebook.yaml"
    if not path.exists():
        raise InputError(f"no packaged codebook named {_short(name)}")
    return path
