import codecs
import warnings

import pytest

from theme_assist.codebook import (codebook_changes, dump_codebook, load_codebook, packaged_codebook,
                                   parse_codebook)
from theme_assist.errors import InputError

GOOD = """\
name: Test
exclusive: true
codes:
  - id: a
    name: Alpha
    definition: First.
    examples: [one, two]
    children:
      - id: a1
        name: Alpha one
  - id: b
    name: Beta
"""


def test_parses_nested_codes_and_round_trips():
    book = parse_codebook(GOOD)
    assert book.exclusive is True
    assert book.ids == ["a", "a1", "b"]
    assert [c.id for c in book.leaf_codes] == ["a1", "b"]
    assert book.parent_of() == {"a": None, "a1": "a", "b": None}
    again = parse_codebook(dump_codebook(book))
    assert again == book
    assert again.content_hash() == book.content_hash()


@pytest.mark.parametrize("text, message", [
    (GOOD.replace("    definition: First.", "    colour: red"), "line 4: unknown key 'colour' in code 'a'"),
    (GOOD.replace("id: b", "id: a1"), "line 11: duplicate code id 'a1' (first on line 9)"),
    (GOOD.replace("name: Beta", "name: ''"), "code 'b' has an empty name"),
    (GOOD.replace("name: Test", "nme: Test"), "unknown top-level key 'nme'"),
    ("name: x\ncodes: []\n", "has no codes"),
    ("name: x\ncodes: [\n", "not valid YAML"),
    ("- just a list\n", "a codebook is a mapping"),
    (GOOD.replace("exclusive: true", "exclusive: maybe"), "'exclusive' must be true or false"),
    (GOOD + "  - Gamma\n", "line 13: each entry under 'codes' must be a mapping with id and name, got 'Gamma'"),
    (GOOD.replace("      - id: a1\n", "      - [a1]\n      - id: a2\n"), "line 9: each entry under 'codes'"),
])
def test_errors_name_the_line_or_code(text, message):
    with pytest.raises(InputError) as error:
        parse_codebook(text, source="cb.yaml")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_ids_differing_only_in_case_are_read_with_a_warning_naming_both(caplog):
    # refusing them broke codebooks made before (a fitted model's codebook_hash, a project's exported codebook)
    with caplog.at_level("WARNING", logger="theme_assist"):
        book = parse_codebook(GOOD.replace("id: b", "id: A1"), source="cb.yaml")
    assert book.ids == ["a", "a1", "A1"]
    [warning] = caplog.messages
    assert warning.startswith("cb.yaml, line 11: code id 'A1' differs from 'a1' (line 9) only in case")
    assert "--map OLD=NEW" in warning and "\n" not in warning


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_codebook(tmp_path / "nope.yaml")
    bad = tmp_path / "latin.yaml"
    bad.write_bytes("name: Caf\xe9\ncodes: []\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_codebook(bad)


def test_a_non_utf8_codebook_names_the_line_of_the_first_bad_byte(tmp_path):
    bad = tmp_path / "cp1252.yaml"
    bad.write_bytes("name: x\ncodes:\n  - id: a\n    name: Caf\xe9\n".encode("cp1252"))
    with pytest.raises(InputError, match=r"cp1252.yaml, line 4: not UTF-8 text \(byte 0xe9\); save it as UTF-8"):
        load_codebook(bad)


def test_unquoted_comma_in_flow_mapping_is_rejoined_with_a_warning():
    text = "name: x\ncodes:\n  - {id: a, name: A, definition: facts, data, opinions.}\n  - {id: b, name: B}\n"
    with pytest.warns(UserWarning, match="unquoted comma"):
        book = parse_codebook(text)
    assert book.get("a").definition == "facts, data, opinions."


def test_an_explicit_null_in_a_flow_mapping_is_not_taken_for_an_unquoted_comma():
    text = '{"name": "x", "codes": [{"id": "a", "name": "A", "definition": "facts", "theme": null}]}'
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "unquoted comma in 'facts'"
        with pytest.raises(InputError, match="unknown key 'theme'"):
            parse_codebook(text)


def test_flow_mapping_with_a_real_unknown_key_is_still_refused():
    with pytest.raises(InputError, match="unknown key 'colour'"):
        parse_codebook("name: x\ncodes:\n  - {id: a, name: A, colour: red}\n  - {id: b, name: B}\n")


def test_shared_codebooks_load(shared_dir):
    for path in sorted((shared_dir / "corpora").glob("*/*.codebook.yaml")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the ESConv file has unquoted commas, repaired with a warning
            book = load_codebook(path)
        assert len(book.leaf_codes) >= 3, path


def test_packaged_upsides_codebook_is_complete(upsides_codebook):
    book = upsides_codebook
    assert book.exclusive
    for code in book.all_codes:  # issue #2: "each code: definition, include, exclude, at least two anchor examples"
        assert code.definition and code.include and code.exclude, code.id
        assert len(code.examples) >= 2, code.id
    assert packaged_codebook("upsides").name == "upsides.codebook.yaml"



def _nested(levels: int) -> str:
    """A codebook whose first code has ``levels`` levels of children below it."""
    lines = ["name: deep", "codes:"]
    for depth in range(levels + 1):
        pad = "    " * depth
        lines += [f"{pad}  - id: c{depth}", f"{pad}    name: C{depth}"]
        if depth < levels:
            lines.append(f"{pad}    children:")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_with_a_short_message():
    # 9**6 (about half a million) strings if the aliases were expanded: small enough not to hurt if this regresses
    names = "abcdef"
    entries = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    entries += [f"{new}: &{new} [{', '.join([f'*{old}'] * 9)}]" for old, new in zip(names, names[1:])]
    text = "name: bomb\ncodes:\n  - " + "\n    ".join(entries) + "\n"
    with pytest.raises(InputError) as error:
        parse_codebook(text, source="cb.yaml")
    message = str(error.value)
    assert message.startswith("cb.yaml, line 4: YAML aliases are not allowed")
    assert len(message) < 200


def test_aliases_anywhere_are_refused_but_an_anchor_alone_is_harmless():
    with pytest.raises(InputError, match=r"line 6: YAML aliases are not allowed in a codebook \(found \*q\)"):
        parse_codebook("name: x\ncodes:\n  - id: a\n    name: &q A\n  - id: b\n    name: *q\n", source="cb.yaml")
    assert parse_codebook("name: x\ncodes:\n  - &q {id: a, name: A}\n").ids == ["a"]


def test_children_nesting_is_limited_with_one_line():
    assert len(parse_codebook(_nested(50)).all_codes) == 51
    with pytest.raises(InputError) as error:
        parse_codebook(_nested(51), source="cb.yaml")
    assert "codes nest more than 50 levels deep under 'children'" in str(error.value)
    with pytest.raises(InputError) as error:  # was a RecursionError with thousands of lines of traceback
        parse_codebook(_nested(300), source="cb.yaml")
    assert "cb.yaml, line" in str(error.value) and "levels deep" in str(error.value)
    assert len(str(error.value)) < 200


@pytest.mark.parametrize("text, message", [
    ("name: x\ncodes:\n  - {id: a, name: A, 1: x}\n",
     "line 3: key 1 in code 'a' is not text (allowed: children,"),
    ("name: x\ncodes:\n  - id: a\n    name: A\n    2: x\n    colour: red\n", "line 3: key 2 in code 'a' is not text"),
    ("name: x\n1: y\ncodes:\n  - {id: a, name: A}\n", "top-level key 1 is not text (allowed: codes,"),
    (GOOD.replace("name: Test", "name: Test\nname: Again"), "cb.yaml, line 2: duplicate key 'name' (first on line 1)"),
    (GOOD.replace("    name: Beta", "    name: Beta\n    name: Gamma"),
     "cb.yaml, line 13: duplicate key 'name' (first on line 12)"),
    ("name: x\ncodes:\n  - {id: a, id: b, name: A}\n", "line 3: duplicate key 'id' (first on line 3)"),
    ("name: x\ncodes:\n  - " + "[" * 500 + "]" * 500 + "\n", "line 3: the YAML nests more than"),
    ("name: x\ncodes:\n  - id: a\n    name: A\n    2020-02-30: x\n",
     "line 5: cannot read '2020-02-30' as timestamp"),
    ("name: x\ncodes:\n  - id: a\n    ? " + "1" * 5000 + "\n    : A\n", "line 4: cannot read '1111"),
], ids=["int-key-in-flow-code", "int-key-in-block-code", "int-key-top", "duplicate-top-key", "duplicate-code-key",
        "duplicate-key-in-flow", "deep-yaml", "impossible-date", "huge-int"])
def test_odd_yaml_gives_one_line_with_the_line(text, message):
    with pytest.raises(InputError) as error:
        parse_codebook(text, source="cb.yaml")
    assert message in str(error.value)
    assert "\n" not in str(error.value) and len(str(error.value)) < 300


@pytest.mark.parametrize("text, message", [
    ("name: x\nexclusive: [" + ", ".join(["yes"] * 10_000) + "]\ncodes: [{id: a, name: A}]\n",
     "'exclusive' must be true or false, not [True, True, True, True, ...]"),
    ("name: x\ncodes:\n  - [" + ", ".join(["x"] * 10_000) + "]\n", "got ['x', 'x', 'x', 'x', ...]"),
    ("name: x\ncodes:\n  - {id: " + "a" * 10_000 + ", name: A}\n  - {id: " + "a" * 10_000 + ", name: B}\n",
     "duplicate code id 'aaaa"),
    ("name: x\ncodes:\n  - id: a\n    name: A\n    ? " + "k" * 10_000 + "\n    : v\n", "unknown key 'kkkk"),
    ("name: x\ncodes:\n  - {id: a, name: !" + "t" * 10_000 + " A}\n", "not valid YAML (could not determine"),
], ids=["long-exclusive", "long-code-entry", "long-duplicate-id", "long-unknown-key", "long-tag"])
def test_messages_quote_user_values_only_in_short(text, message):
    with pytest.raises(InputError) as error:
        parse_codebook(text, source="cb.yaml")
    assert message in str(error.value)
    assert len(str(error.value)) < 300


def test_unquoted_values_that_yaml_would_retype_are_read_as_written():
    # hierarchical numbering (1.1, 1.10), leading zeros, times, yes/no answers and dates are codes' text; YAML 1.1
    # read 1.10 as 1.1 (then "duplicate code id '1.1'"), 010 as 8, 12:30 as 750 and No as false
    codebook = parse_codebook("name: 2024\nexclusive: yes\ncodes:\n"
                              "  - {id: 1.1, name: Yes, definition: 0x1F}\n"
                              "  - {id: 1.10, name: No, examples: [12:30, 2021-01-01, 1_000, off]}\n"
                              "  - {id: 010, name: 1.50, include: .inf}\n", source="cb.yaml")
    assert codebook.name == "2024" and codebook.exclusive is True
    assert [(c.id, c.name) for c in codebook.all_codes] == [("1.1", "Yes"), ("1.10", "No"), ("010", "1.50")]
    assert codebook.get("1.1").definition == "0x1F" and codebook.get("010").include == ".inf"
    assert codebook.get("1.10").examples == ["12:30", "2021-01-01", "1_000", "off"]
    assert parse_codebook(dump_codebook(codebook)).to_dict() == codebook.to_dict()


def test_codebook_changes_name_each_kind_of_revision():
    old = parse_codebook(GOOD)
    assert codebook_changes(old, parse_codebook(GOOD)) == []
    assert codebook_changes(old, parse_codebook(GOOD.replace("name: Test", "name: Renamed study"))) == []
    revised = (GOOD.replace("exclusive: true", "exclusive: false").replace("name: Beta", "name: Bravo")
               .replace("definition: First.", "definition: The first.")
               .replace("      - id: a1\n        name: Alpha one\n", "      - id: a2\n        name: Alpha two\n")
               + "    children:\n      - id: b1\n        name: Bravo one\n"
               + "  - id: a1\n    name: Alpha one\n")
    assert codebook_changes(old, parse_codebook(revised)) == [
        "added a2, b1", "renamed b ('Beta' → 'Bravo')", "moved a1 (under the top)", "redefined a",
        "given sub-codes b", "several codes per segment allowed"]
    assert codebook_changes(parse_codebook(revised), old)[0] == "dropped a2, b1"


def test_a_codebook_written_as_json_keeps_characters_beyond_the_basic_plane_and_a_lone_surrogate_is_one_line():
    """JSON (YAML's subset) writes 😀 as the escapes of its two surrogates, which YAML reads as two lone halves:
    the codebook's hash, every CSV and the project stopped with a UnicodeEncodeError traceback."""
    import json

    text = json.dumps({"name": "x", "codes": [{"id": "joy", "name": "Joy 😀", "examples": ["So happy 😀"]},
                                              {"id": "b", "name": "B"}]})
    assert "\\ud83d\\ude00" in text
    book = parse_codebook(text, source="cb.json")
    assert book.codes[0].name == "Joy 😀" and book.codes[0].examples == ["So happy 😀"]
    assert book.content_hash() and parse_codebook(dump_codebook(book)).codes[0].name == "Joy 😀"
    with pytest.raises(InputError) as error:
        parse_codebook('name: x\ncodes:\n  - id: "a\\uD800"\n    name: A\n', source="cb.yaml")
    assert "cb.yaml, line 3: an escape in 'a\\ud800' stands for half a character (U+D800" in str(error.value)


@pytest.mark.parametrize("escapes, lone", [("\\ud83d\\ude00 \\ud800", "D800"), ("\\ud83d\\ude00 \\udc00", "DC00"),
                                         ("😀 \\ud83d", "D83D"), ("\\ude00\\ud83d\\ude00", "DE00")])
def test_a_lone_surrogate_after_a_pair_or_a_character_beyond_the_basic_plane_is_the_one_named(escapes, lone):
    """The first surrogate of the value was named, the half of a well-formed pair before the lone one."""
    with pytest.raises(InputError) as error:
        parse_codebook(f'name: x\ncodes:\n  - id: a\n    name: "{escapes}"\n  - id: b\n', source="cb.yaml")
    assert f"(U+{lone}, a lone surrogate)" in str(error.value)


def test_a_file_far_larger_than_a_codebook_is_refused_before_it_is_read_whole(tmp_path, monkeypatch):
    """A coded table given as --codebook by mistake took minutes to be refused as YAML; /dev/zero, the memory."""
    import os

    import theme_assist.codebook as codebook_module

    monkeypatch.setattr(codebook_module, "MAX_CODEBOOK_BYTES", len(GOOD))
    path = tmp_path / "coded.csv"
    path.write_text(GOOD + "#\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"codebook .*coded.csv is larger than 0 MB, far more than a codebook holds"):
        load_codebook(path)
    path.write_text(GOOD, encoding="utf-8")
    assert load_codebook(path).name == "Test"
    monkeypatch.undo()
    if os.path.exists("/dev/zero"):
        with pytest.raises(InputError, match="zero is larger than 10 MB"):
            load_codebook("/dev/zero")


@pytest.mark.parametrize("text, message", [
    ("name: [x]\ncodes:\n  - {id: a, name: A}\n", "cb.yaml: 'name' must be text, not a list"),
    ("name: x\ncodes:\n  - {id: a, name: A, definition: [x, y]}\n", "line 3: 'definition' must be text, not a list"),
    ("name: x\ncodes:\n  - {id: a, name: {b: c}}\n", "line 3: 'name' must be text, not a mapping"),
    ("name: x\ncodes:\n  - {id: a, name: A, examples: [[1, 2]]}\n", "line 3: 'examples' must be text, not a list"),
], ids=["list-name", "list-definition", "mapping-name", "list-example"])
def test_a_value_that_is_not_text_is_named_in_yaml_words(text, message):
    """The message named the loader's own list class: "'definition' must be text, not _Lines"."""
    with pytest.raises(InputError) as error:
        parse_codebook(text, source="cb.yaml")
    assert message in str(error.value) and "_Lines" not in str(error.value)


@pytest.mark.parametrize("mark, encoding", [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
                                            (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be")])
def test_a_codebook_saved_as_utf16_or_utf32_with_a_byte_order_mark_is_read(tmp_path, mark, encoding):
    # Windows Notepad's "Unicode" (UTF-16): tables and transcripts were read in it, codebooks refused as not UTF-8;
    # a UTF-32 mark begins with UTF-16's: read as UTF-16, the text was refused as YAML for its NUL characters
    text = "name: Mini\ncodes:\n  - {id: money, name: Geld und Löhne, definition: Pay.}\n"
    (tmp_path / "cb.yaml").write_bytes(mark + text.encode(encoding))
    assert load_codebook(tmp_path / "cb.yaml").get("money").name == "Geld und Löhne"


def test_the_hint_names_the_code_meant_apart_in_invisible_characters_or_spaces():
    """A code cell with a zero-width space a spreadsheet kept, or a name with two spaces between words, had no
    "did you mean" (case alone had)."""
    from tests.test_suggest import CODEBOOK

    book = parse_codebook(CODEBOOK.format(exclusive="true"))
    assert book.hint("work\u200b") == " (did you mean 'work'? ids are matched as written)"
    assert book.hint("Stigma and  discrimination") == " (did you mean 'stigma'? codes are named by id)"
    assert book.hint("FAMILY") == " (did you mean 'family'? ids are matched as written)" and book.hint("famly") == ""
