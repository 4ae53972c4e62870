import warnings

import pytest

from theme_assist.codebook import dump_codebook, load_codebook, packaged_codebook, parse_codebook
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
])
def test_errors_name_the_line_or_code(text, message):
    with pytest.raises(InputError) as error:
        parse_codebook(text, source="cb.yaml")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_codebook(tmp_path / "nope.yaml")
    bad = tmp_path / "latin.yaml"
    bad.write_bytes("name: Caf\xe9\ncodes: []\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_codebook(bad)


def test_unquoted_comma_in_flow_mapping_is_rejoined_with_a_warning():
    text = "name: x\ncodes:\n  - {id: a, name: A, definition: facts, data, opinions.}\n  - {id: b, name: B}\n"
    with pytest.warns(UserWarning, match="unquoted comma"):
        book = parse_codebook(text)
    assert book.get("a").definition == "facts, data, opinions."


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
    for code in book.all_codes:
        assert code.definition, code.id
    for code in book.leaf_codes:
        if code.id != "other":
            assert code.include and code.exclude, code.id
            assert len(code.examples) >= 2, code.id
    assert packaged_codebook("upsides").name == "upsides.codebook.yaml"

