"""REFI-QDA building blocks: descriptions, names, entry-name checks, span placement, assembling an export."""

from __future__ import annotations

import logging
import re
import zipfile

import pandas as pd
import pytest

from theme_assist.cli import main
from theme_assist.codebook import Code, Codebook, load_codebook
from theme_assist.documents import Document
from theme_assist.errors import InputError
from theme_assist.refi import export_project, import_project, machine_user_name
from theme_assist.refi.atomic import STALE_AFTER, atomic_file, atomic_folder
from theme_assist.refi.convert import compose_description, document_id, split_description
from theme_assist.refi.folder import read_base
from theme_assist.refi.spans import newline_offsets, with_spans
from theme_assist.safezip import checked_name


@pytest.fixture()
def codebook() -> Codebook:
    return Codebook(name="Peer support", codes=[
        Code(id="recovery", name="Personal recovery", definition="Talk about one's own recovery.", children=[
            Code(id="disclosure", name="Self-disclosure", definition="Sharing lived experience.",
                 include="Stories of one's own illness.", exclude="Stories about others.",
                 examples=["I told them I had been there too.", "My own recovery\ntook years."], color="#AA3377"),
        ]),
        Code(id="stigma", name="Anti-stigma work", definition="Challenging stigma."),
    ])


@pytest.fixture()
def documents() -> list[Document]:
    return [Document(id="fg1", text="Ann: I told them I had been there too.\nBen: Police were kind."),
            Document(id="int2", text="Cat: It took years.")]


def test_description_layout_reads_back_into_the_code_fields(codebook):
    disclosure = codebook.get("disclosure")
    text = compose_description(disclosure)
    assert text.startswith("Sharing lived experience.\n\nInclude: Stories")
    assert split_description(text) == {"definition": "Sharing lived experience.", "include": "Stories of one's own illness.",
                                       "exclude": "Stories about others.",
                                       "examples": ["I told them I had been there too.", "My own recovery took years."]}
    foreign = "A code from MAXQDA.\n\nIt has two paragraphs; Include: inline, not a block."
    assert split_description(foreign) == {"definition": foreign, "include": "", "exclude": "", "examples": []}
    assert split_description(None)["definition"] == ""


@pytest.mark.parametrize("name, expected", [
    ("interview 1.txt", "interview_1"), ("C:\\data\\fg.docx", "fg"), ("../../etc/passwd", "passwd"),
    ("..", "source"), ("CON", "_CON"), ("Entrevista çà.txt", "Entrevista_çà"),
    # a device name of Windows with an extension is the device too; so are those with 0 and a superscript digit
    ("CON.interview", "_CON.interview"), ("nul.2.txt", "_nul.2"), ("COM¹", "_COM¹"), ("lpt0", "_lpt0"),
    ("console.txt", "console"), ("COM10", "COM10"),
    # combining marks are part of the name: Devanagari vowel signs, Hebrew points, an accent as macOS writes it
    ("पुणे_01.txt", "पुणे_01"), ("पुणे 01.txt", "पुणे_01"), ("דָּבָר.txt", "דָּבָר"),
    ("Gru\u0308ße.txt", "Gru\u0308ße"), (" \u0301x.txt", "x"),
    # at most 100 characters and 245 bytes, not cut between a letter and its mark, nor before a dot
    ("पुणे" * 30, "पुणे" * 20), ("中" * 120, "中" * 81), ("a" * 99 + "e\u0301", "a" * 99),
    ("a" * 99 + ".b", "a" * 99),
])
def test_document_ids_are_safe_file_stems(name, expected):
    assert document_id(name, set()) == expected


def test_a_source_theme_assist_named_with_combining_marks_keeps_its_name(tmp_path):
    """A Pune transcript "पुणे_01" came back from theme_assist's own .qdpx as "प_ण__01" (its vowel signs are no
    ``\\w``): another document than the project's, for metadata, codings and agree."""
    from theme_assist.codebook import Code, Codebook
    from theme_assist.documents import Document
    from theme_assist.ingest.speakers import parse_turns
    from theme_assist.refi import export_project, import_project

    names = ["पुणे_01", "באר_שבע_01", "Gru\u0308ße"]
    text = "मुलाखतकार: कसे कळले?\nसहभागी: डॉक्टरांनी सांगितले।\n"
    documents = [Document(id=name, text=text, turns=parse_turns(text)) for name in names]
    export_project(Codebook(name="cb", codes=[Code(id="hope", name="Hope", definition="hope")]), documents,
                   out=tmp_path / "pune.qdpx")
    back = import_project(tmp_path / "pune.qdpx", tmp_path / "back")
    assert sorted(document.id for document in back.documents) == sorted(names)
    assert sorted(path.stem for path in (tmp_path / "back" / "documents").iterdir()) == sorted(names)


def test_a_source_of_another_tool_named_in_100_letters_of_three_bytes_is_imported(tmp_path):
    """A source name of 100 Chinese or Devanagari letters made a file name of 300 bytes: 'File name too long'. A
    theme_assist document named so, from a file of at most 255 bytes, keeps its name."""
    from theme_assist.ingest.speakers import parse_turns

    names = ["中" * 120, "पुणे " * 30, "中" * 80]
    text = "A: hello.\nB: yes.\n"
    export_project(Codebook(name="cb", codes=[Code(id="hope", name="Hope", definition="hope")]),
                   [Document(id=name, text=text, turns=parse_turns(text)) for name in names], out=tmp_path / "x.qdpx")
    back = import_project(tmp_path / "x.qdpx", tmp_path / "back")
    assert sorted(document.id for document in back.documents) == sorted(["中" * 81, "पुणे_" * 18 + "पु", "中" * 80])
    assert all(len(path.name.encode()) < 255 for path in (tmp_path / "back" / "documents").iterdir())


def test_document_ids_are_unique_ignoring_case():
    taken: set[str] = set()
    assert [document_id(n, taken) for n in ("a.txt", "A.txt", "a")] == ["a", "A-2", "a-3"]
    # as the codebook compares ids: casefold, in which "STRASSE" and "straße" are alike (not lower())
    assert [document_id(n, taken) for n in ("STRASSE.txt", "straße.txt")] == ["STRASSE", "straße-2"]


@pytest.mark.parametrize("name", ["../x", "a/../../x", "/abs", "\\\\server\\share", "C:/x", "a\\..\\..\\x", ""])
def test_escaping_entry_names_are_refused(name):
    with pytest.raises(InputError):
        checked_name(name)


def test_safe_entry_names_are_normalised():
    assert checked_name("./sources//a.txt") == "sources/a.txt"


def test_spans_come_from_columns_or_segments_and_are_checked(documents):
    docs = {d.id: d for d in documents}
    segments = pd.DataFrame({"segment_id": ["s1"], "document": ["fg1"], "start": ["5"], "end": ["38"],
                             "text": ["I told them I had been there too."]})
    placed = with_spans(pd.DataFrame({"segment_id": ["s1"], "code": ["disclosure"]}), docs, segments)
    assert placed[["document", "start", "end"]].values.tolist() == [["fg1", 5, 38]]
    with pytest.raises(InputError, match="row 2: characters 0-99 fall outside"):
        with_spans(pd.DataFrame({"document": ["int2"], "start": [0], "end": [99]}), docs)
    with pytest.raises(InputError, match="row 2: document 'nope'"):
        with_spans(pd.DataFrame({"document": ["nope"], "start": [0], "end": [1]}), docs)
    with pytest.raises(InputError, match="shifted offsets"):
        with_spans(pd.DataFrame({"document": ["fg1"], "start": [6], "end": [10], "text": ["told"]}), docs)
    with pytest.raises(InputError, match="segment_id 'zz' is not in the segments"):
        with_spans(pd.DataFrame({"segment_id": ["zz"], "code": ["x"]}), docs, segments)
    with pytest.raises(InputError, match="--segments"):
        with_spans(pd.DataFrame({"segment_id": ["s1"], "code": ["x"]}), docs)


def test_a_span_reversed_negative_or_beyond_any_number_is_said_as_it_is(documents):
    """Characters 5-2 were said to fall outside a document of 40, and an end of 1e308 was named as
    -9223372036854775808."""
    docs = {d.id: d for d in documents}
    for start, end, said in ((5, 2, "row 2: start 5 is after end 2 (characters are counted from 0, and a coding's "
                                    "start comes before its end)"),
                             (-3, 4, "row 2: start -3 is below 0"),
                             ("0", "1e308", "row 2: end '1e308' is far beyond the characters of any document"),
                             ("-1e308", "4", "row 2: start '-1e308' is below 0 (characters are counted from 0)")):
        with pytest.raises(InputError) as refused:
            with_spans(pd.DataFrame({"document": ["fg1"], "start": [start], "end": [end]}), docs)
        assert said in str(refused.value)


def test_offsets_on_newline_normalised_text_are_mapped_back():
    text = "A: one\r\nB: two\rC: three"
    normalised, origin = newline_offsets(text)
    assert normalised == "A: one\nB: two\nC: three" and len(origin) == len(normalised) + 1
    start = normalised.index("C: three")
    placed = with_spans(pd.DataFrame({"document": ["d"], "start": [start], "end": [start + 8], "text": ["C: three"]}),
                        {"d": Document(id="d", text=text)})
    assert text[placed.at[0, "start"]:placed.at[0, "end"]] == "C: three"


def test_fresh_export_places_codings_and_suggestions(codebook, documents, tmp_path):
    codings = pd.DataFrame({"document": ["fg1", "fg1"], "start": [5, 5], "end": [38, 38],
                            "code": ["disclosure", "Anti-stigma work"], "coder": ["ann", "ben"]})
    suggestions = pd.DataFrame({"segment_id": ["s2", "s3", "s3"], "code": ["stigma", "", "stigma"],
                                "score": [0.8, None, 0.2], "rank": [1, None, 1],
                                "decision": ["accepted", "", "rejected"]})
    segments = pd.DataFrame({"segment_id": ["s2", "s3"], "document": ["fg1", "int2"], "start": [44, 5],
                             "end": [61, 19]})
    result = export_project(codebook, documents, codings, suggestions, segments=segments, out=tmp_path / "p.qdpx",
                            accepted_only=True, model="my-model")
    assert result.counts == {"sources": 2, "codes": 3, "users": 3, "selections": 2, "codings": 2, "suggestions": 1}
    again = import_project(tmp_path / "p.qdpx", tmp_path / "p")
    rows = again.codings.sort_values(["start", "coder"])[["document", "start", "end", "code", "coder"]]
    assert rows.values.tolist() == [["fg1", 5, 38, "self_disclosure", "ann"], ["fg1", 5, 38, "anti_stigma_work", "ben"],
                                    ["fg1", 44, 61, "anti_stigma_work", machine_user_name("my-model")]]
    assert again.codings.groupby("selection_guid").size().tolist() in ([2, 1], [1, 2])  # one span, one selection
    colors = {c.id: c.color for c in again.codebook.all_codes}
    assert colors["self_disclosure"] == "#AA3377"


def test_export_refuses_what_it_cannot_write_faithfully(codebook, documents, tmp_path):
    with pytest.raises(InputError, match="row 2: code 'unknown' is not in the codebook"):
        export_project(codebook, documents, pd.DataFrame({"document": ["fg1"], "start": [0], "end": [3],
                                                          "code": ["unknown"]}), out=tmp_path / "p.qdpx")
    with pytest.raises(InputError, match="must end in .qdpx"):
        export_project(codebook, documents, out=tmp_path / "p.zip")
    codebook.get("stigma").children = [Code(id="stigma_other", name="Other")]
    codebook.get("recovery").children.append(Code(id="recovery_other", name="Other"))
    with pytest.raises(InputError, match=r"row 2: code 'Other' is the name of 2 codes \(recovery_other, "
                                         r"stigma_other\): give the code's id"):  # not "not in the codebook"
        export_project(codebook, documents, pd.DataFrame({"document": ["fg1"], "start": [0], "end": [3],
                                                          "code": ["Other"]}), out=tmp_path / "p.qdpx")
    codebook.get("stigma").color = "red"
    with pytest.raises(InputError, match="color 'red'"):
        export_project(codebook, documents, out=tmp_path / "p.qdpx")
    codebook.get("stigma").color, codebook.get("stigma").guid = None, "not-a-guid"
    with pytest.raises(InputError, match="is not a GUID"):
        export_project(codebook, documents, out=tmp_path / "p.qdpx")
    assert list(tmp_path.iterdir()) == []


def test_edited_codings_keep_guids_of_what_stayed(codebook, documents, tmp_path):
    codings = pd.DataFrame({"document": ["fg1", "int2"], "start": [5, 5], "end": [38, 19],
                            "code": ["disclosure", "stigma"], "coder": ["ann", "ann"]})
    export_project(codebook, documents, codings, out=tmp_path / "v1.qdpx")
    first = import_project(tmp_path / "v1.qdpx", tmp_path / "v1")
    edited = first.codings[first.codings["code"] != "anti_stigma_work"]  # one coding removed, another added
    added = pd.DataFrame({"document": ["int2"], "start": [0], "end": [3], "code": ["anti_stigma_work"], "coder": ["dee"]})
    export_project(first.codebook, first.documents, pd.concat([edited, added], ignore_index=True).fillna(""),
                   out=tmp_path / "v2.qdpx", base=first.project)
    second = import_project(tmp_path / "v2.qdpx", tmp_path / "v2")
    kept = second.codings[second.codings["code"] == "self_disclosure"]
    assert kept["coding_guid"].tolist() == edited["coding_guid"].tolist()
    assert sorted(second.codings["coder"]) == ["ann", "dee"]
    assert [u.name for u in second.project.users] == ["ann", "dee"]


def test_known_codebook_gives_imported_codes_their_ids_back(codebook, documents, tmp_path):
    codings = pd.DataFrame({"document": ["fg1"], "start": [5], "end": [38], "code": ["disclosure"], "coder": ["ann"]})
    export_project(codebook, documents, codings, out=tmp_path / "p.qdpx")
    renamed = import_project(tmp_path / "p.qdpx", tmp_path / "slugs")
    assert renamed.codebook.ids == ["personal_recovery", "self_disclosure", "anti_stigma_work"]
    again = import_project(tmp_path / "p.qdpx", tmp_path / "ids", known=codebook)
    assert again.codebook.ids == codebook.ids and again.codings["code"].tolist() == ["disclosure"]



def test_a_new_code_named_like_a_known_id_does_not_take_it(codebook, tmp_path):
    # coded elsewhere: a new code "Recovery" was added above the known one (matched by its guid) and renamed
    export_project(codebook, out=tmp_path / "cb.qdc")
    edited = (tmp_path / "cb.qdc").read_text(encoding="utf-8").replace(
        "<Codes>", '<Codes><Code guid="77777777-7777-7777-7777-777777777777" name="Recovery" isCodable="true"/>')
    edited = re.sub('guid="([^"]+)"', lambda guid: f'guid="{{{guid[1].lower()}}}"', edited)  # as another tool may
    (tmp_path / "edited.qdc").write_text(edited.replace('name="Personal recovery"', 'name="Recovery as a person"'),
                                         encoding="utf-8")
    again = import_project(tmp_path / "edited.qdc", tmp_path / "out", known=codebook)
    assert [(c.id, c.name) for c in again.codebook.all_codes] == [
        ("recovery-2", "Recovery"), ("recovery", "Recovery as a person"), ("disclosure", "Self-disclosure"),
        ("stigma", "Anti-stigma work")]

def test_atomic_file_leaves_nothing_when_writing_fails(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_file(tmp_path / "out.qdpx") as temporary:
            temporary.write_bytes(b"half")
            raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []


def test_partial_copies_a_stopped_run_left_are_removed_at_the_next_write(tmp_path, caplog):
    """A run killed while saving a suggester left ``.model.XXXX.part`` with the coded quotes verbatim, in a hidden
    folder, for good. Stale ones go at the next write of that target; a fresh one (another run may be writing it),
    one of another target and a previous copy left in ``.old`` stay."""
    import os
    import time

    stale = tmp_path / ".model.abc12_yz.part"
    (stale / "evidence.json").parent.mkdir()
    (stale / "evidence.json").write_text('["a coded quote"]', encoding="utf-8")
    stale_file = tmp_path / ".table.csv.xyz45678.part"
    stale_file.write_text("half", encoding="utf-8")
    long_ago = time.time() - STALE_AFTER - 60
    for left in (stale, stale_file):
        os.utime(left, (long_ago, long_ago))
    fresh = tmp_path / ".model.def45678.part"
    fresh.mkdir()
    others = [tmp_path / ".model-b.abcdefgh.part", tmp_path / ".model.b.abcdefgh.part", tmp_path / ".model.mine.part"]
    for other in others:  # another target's, and a file of the user's own named much like one
        other.mkdir()
        os.utime(other, (long_ago, long_ago))
    old = tmp_path / ".model.ghi78901.old"
    (old / "previous").mkdir(parents=True)
    with caplog.at_level(logging.WARNING, logger="theme_assist.refi.atomic"):
        with atomic_folder(tmp_path / "model") as building:
            (building / "config.json").write_text("{}", encoding="utf-8")
        with atomic_file(tmp_path / "table.csv") as temporary:
            temporary.write_text("whole", encoding="utf-8")
    assert not stale.exists() and not stale_file.exists()
    assert fresh.is_dir() and all(other.is_dir() for other in others) and (old / "previous").is_dir()
    assert (tmp_path / "model" / "config.json").is_file() and (tmp_path / "table.csv").read_text() == "whole"
    said = " ".join(record.getMessage() for record in caplog.records)
    assert f"removed {stale}, a partial copy of" in said and f"removed {stale_file}" in said
    assert f"{old} holds a previous model" in said


def test_a_file_put_where_a_folder_is_being_saved_is_kept_and_the_save_refused(tmp_path):
    """A file that appeared at the target while its folder was built was moved aside with the previous folder and
    removed with it."""
    target = tmp_path / "model"
    with pytest.raises(InputError, match="model exists and is not a folder"):
        with atomic_folder(target) as building:
            (building / "config.json").write_text("{}", encoding="utf-8")
            target.write_text("the user's notes", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "the user's notes"
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["model"]


SAVING = """
import sys
from pathlib import Path
from theme_assist.refi.atomic import atomic_folder
for i in range(int(sys.argv[3])):
    with atomic_folder(Path(sys.argv[1]), force=True) as building:
        for name in ("config.json", "evidence.json", "arrays.npz"):
            (building / name).write_text(f"{sys.argv[2]} {i}", encoding="utf-8")
"""


def test_two_runs_saving_one_folder_at_once_both_finish_and_leave_one_whole_folder(tmp_path):
    """Two `suggest --save-model DIR` at once: one failed in one line where the other swapped its folder in between
    (the folder moved aside meanwhile, or a folder renamed onto a non-empty one), leaving an empty ``.old``."""
    import subprocess
    import sys

    target = tmp_path / "model"
    runs = [subprocess.Popen([sys.executable, "-c", SAVING, str(target), name, "300"], stderr=subprocess.PIPE,
                             text=True) for name in ("first", "second")]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err.splitlines()[-1:]
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["model"]  # nothing left aside
    assert len({(target / name).read_text() for name in ("config.json", "evidence.json", "arrays.npz")}) == 1


def test_bare_qde_file_is_read(tmp_path):
    (tmp_path / "p.qde").write_text('<Project xmlns="urn:QDA-XML:project:1.0" name="bare"><CodeBook><Codes>'
                                    '<Code guid="22222222-2222-2222-2222-222222222222" name="hope" isCodable="true"/>'
                                    '</Codes></CodeBook></Project>')
    imported = import_project(tmp_path / "p.qde", tmp_path / "out")
    assert [c.name for c in imported.codebook.all_codes] == ["hope"]
    assert (tmp_path / "out" / "codebook.yaml").exists()
    with zipfile.ZipFile(tmp_path / "x.qdpx", "w"):
        pass
    with pytest.raises(InputError, match="no project.qde"):
        import_project(tmp_path / "x.qdpx", tmp_path / "out2")


def test_rows_with_an_empty_code_are_uncoded_segments(codebook, documents, tmp_path):
    """A CODED.csv (suggest --segments-out with a code column filled in part) as --codings: its rows with an empty
    code were refused ("code '' is not in the codebook"); they are uncoded segments, as suggest --train reads them."""
    codings = pd.DataFrame({"document": ["fg1", "fg1", "int2"], "start": [0, 5, 5], "end": [4, 38, 19],
                            "code": ["", "stigma", ""], "segment_id": ["fg1:0", "fg1:1", "int2:1"]})
    result = export_project(codebook, documents, codings, out=tmp_path / "p.qdpx")
    assert (result.counts["selections"], result.counts["codings"]) == (1, 1)


def test_a_coding_of_no_text_is_exported_with_a_warning_naming_it(codebook, documents, tmp_path, caplog):
    """A coding whose end is its start was written as an empty selection without a word: valid against the schema,
    but a QDA program may refuse or drop it. It is kept (left out, the coding would be lost) and named."""
    codings = pd.DataFrame({"document": ["fg1", "int2"], "start": [5, 5], "end": [5, 19],
                            "code": ["disclosure", "stigma"]})
    with caplog.at_level(logging.WARNING):
        result = export_project(codebook, documents, codings, out=tmp_path / "p.qdpx")
    assert result.counts["codings"] == 2
    warned = [record.getMessage() for record in caplog.records if "no text" in record.getMessage()]
    assert warned == ["document 'fg1', code 'disclosure': a coding of no text (an empty selection at character 5) "
                      "is exported as written, but a QDA program may refuse or drop it: give it the characters it "
                      "codes"]
    again = import_project(tmp_path / "p.qdpx", tmp_path / "p")
    assert sorted(again.codings[["document", "start", "end"]].values.tolist()) == [["fg1", 5, 5], ["int2", 5, 19]]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        export_project(codebook, documents, codings.assign(end=[5, 5]), out=tmp_path / "q.qdpx")
    assert "2 codings of no text (empty selections) are exported as written" in caplog.text
    assert "document 'fg1', code 'disclosure' at character 5; document 'int2', code 'stigma' at character 5" \
        in caplog.text


def test_coding_dates_and_descriptions_are_written_and_read_back(codebook, documents, tmp_path):
    codings = pd.DataFrame({"document": ["fg1", "fg1", "fg1", "int2"], "start": [5, 5, 5, 5], "end": [38, 38, 38, 19],
                            "code": ["disclosure", "stigma", "", "stigma"], "coder": ["ann", "ben", "ben", "ann"],
                            "created": ["2026-01-02T03:04:05.123Z", "2026-01-02 10:00", "2026-01-03T00:00:00+01:00",
                                        ""],
                            "description": ["", "", "ben rejected Anti-stigma work", "why"]})
    result = export_project(codebook, documents, codings, out=tmp_path / "p.qdpx")
    assert (result.counts["selections"], result.counts["codings"]) == (3, 3)  # the remark has no coding
    first = import_project(tmp_path / "p.qdpx", tmp_path / "p", known=codebook)
    rows = first.codings.sort_values(["document", "coder"])[["document", "code", "coder", "created", "description"]]
    assert rows.values.tolist() == [["fg1", "disclosure", "ann", "2026-01-02T03:04:05.123Z", ""],
                                    ["fg1", "stigma", "ben", "2026-01-02T10:00:00", ""],
                                    ["int2", "stigma", "ann", "", "why"]]
    remark = [s for s in first.project.text_sources[0].selections if not s.codings]
    assert [(s.description, s.attrs) for s in remark] == [("ben rejected Anti-stigma work",
                                                            {"creationDateTime": "2026-01-03T00:00:00+01:00"})]
    # empty cells keep what the import had: the dates and descriptions come back unchanged
    blank = first.codings.assign(created="", description="")
    export_project(first.codebook, first.documents, blank, out=tmp_path / "again.qdpx", base=first.project)
    again = import_project(tmp_path / "again.qdpx", tmp_path / "again", known=codebook)
    assert again.project.to_dict() == first.project.to_dict()
    with pytest.raises(InputError, match="row 2: created 'yesterday' is not a date and time"):
        export_project(codebook, documents, codings.assign(created="yesterday"), out=tmp_path / "bad.qdpx")


def run_cli(*args) -> int:
    """Run ``theme-assist ARGS`` in-process; its exit status."""
    with pytest.raises(SystemExit) as exit_info:
        main([str(arg) for arg in args])
    return exit_info.value.code or 0


def test_codebook_with_characters_xml_cannot_hold_exports_and_imports(tmp_path, capsys):
    # U+000B is what Word writes for a manual line break, so pasted definitions carry it
    (tmp_path / "cb.yaml").write_text('name: Mini\ncodes:\n'
                                      '  - {id: money, name: "Mo\\u0000ney", definition: "Pay\\u000bor\\u000ccosts."}\n'
                                      '  - {id: family, name: Family, definition: "Family\\uFFFE members."}\n')
    assert run_cli("export-qdpx", "--codebook", tmp_path / "cb.yaml", "--out", tmp_path / "cb.qdc") == 0
    assert capsys.readouterr().err == ("theme-assist: warning: cb.qdc: 4 character(s) that XML 1.0 cannot hold were "
                                       "replaced (U+000B and U+000C by a line break, other control characters, "
                                       f"U+FFFE, U+FFFF and lone surrogates by U+FFFD)\n✓ {tmp_path / 'cb.qdc'}: 2 "
                                       "codes\n")
    assert run_cli("import-qdpx", tmp_path / "cb.qdc", "--out", tmp_path / "cb") == 0
    codes = load_codebook(tmp_path / "cb" / "codebook.yaml").all_codes
    assert [(c.name, c.definition) for c in codes] == [("Mo\ufffdney", "Pay\nor\ncosts."),
                                                       ("Family", "Family\ufffd members.")]


def test_a_header_only_suggestions_or_codings_table_is_exported_with_a_warning(tmp_path, capsys):
    """A ``--suggestions`` or ``--codings`` table with a header and no rows exported none of its items without a
    word; it still may, with a warning each. An import's own codings.csv (no codings in the file it read) is not
    warned of."""
    (tmp_path / "cb.yaml").write_text("codes:\n  - {id: money, name: Money}\n  - {id: family, name: Family}\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "iv1.txt").write_text("Ann: I got paid.\nBob: My mother helps.\n")
    (tmp_path / "s.csv").write_text("segment_id,code,score,rank,evidence\n")
    (tmp_path / "c.csv").write_text("document,start,end,code\n")
    assert run_cli("export-qdpx", "--codebook", tmp_path / "cb.yaml", "--documents", tmp_path / "docs",
                   "--suggestions", tmp_path / "s.csv", "--codings", tmp_path / "c.csv",
                   "--out", tmp_path / "p.qdpx") == 0
    said = capsys.readouterr()
    assert said.err.splitlines()[-1].endswith("0 codings, 0 suggestions")
    assert [line for line in said.err.splitlines() if line.startswith("theme-assist: warning")] == [
        f"theme-assist: warning: --suggestions {tmp_path / 's.csv'} has a header but no rows: the export holds no "
        "suggestions from it",
        f"theme-assist: warning: --codings {tmp_path / 'c.csv'} has a header but no rows: the export holds no codings "
        "from it"]
    assert run_cli("import-qdpx", tmp_path / "p.qdpx", "--out", tmp_path / "imported") == 0
    assert pd.read_csv(tmp_path / "imported" / "codings.csv").empty
    capsys.readouterr()
    assert run_cli("export-qdpx", "--project", tmp_path / "imported", "--out", tmp_path / "again.qdpx") == 0
    assert "warning" not in capsys.readouterr().err


def test_project_with_characters_xml_cannot_hold_exports_and_imports(tmp_path, caplog):
    codebook = Codebook(name="Mini", codes=[Code(id="money", name="Money", definition="Pay\x0bor costs."),
                                            Code(id="family", name="Family", definition="Family members.")])
    # control characters in a plain text are kept (offsets count them); a lone surrogate, which UTF-8 cannot
    # encode, is replaced one for one
    documents = [Document(id="int\x02", text="Ann: pay\x0bcosts\x01.\nBen: My family\ud800 helps.")]
    codings = pd.DataFrame({"document": ["int\x02", "int\x02"], "start": [5, 22], "end": [16, 39],
                            "code": ["money", "family"], "coder": ["ann\x01", "bob"],
                            "description": ["why\x0cnot", ""]})
    with caplog.at_level(logging.WARNING, logger="theme_assist"):
        export_project(codebook, documents, codings, out=tmp_path / "p.qdpx")
    assert [record.getMessage()[:24] for record in caplog.records] == ["p.qdpx: 5 character(s) t"]
    imported = import_project(tmp_path / "p.qdpx", tmp_path / "p", known=codebook)
    assert [d.text for d in imported.documents] == ["Ann: pay\x0bcosts\x01.\nBen: My family\ufffd helps."]
    assert imported.project.text_sources[0].name == "int\ufffd"
    rows = imported.codings.sort_values("start")[["start", "end", "text", "code", "coder", "description"]]
    assert rows.values.tolist() == [[5, 16, "pay\x0bcosts\x01.", "money", "ann\ufffd", "why\nnot"],
                                    [22, 39, "My family\ufffd helps.", "family", "bob", ""]]
    assert imported.codebook.get("money").definition == "Pay\nor costs."


def test_names_with_lone_surrogates_export_with_guids_of_their_own(tmp_path):
    # a name taken from a command line's undecodable bytes holds a lone surrogate, which uuid5 could not hash
    codebook = Codebook(name="Mini", codes=[Code(id="money", name="Money\udcff", definition="Pay\udcfe.")])
    documents = [Document(id="int", text="Ann: pay costs.\nBen: pay more.")]
    codings = pd.DataFrame({"document": ["int", "int"], "start": [5, 21], "end": [15, 30], "code": ["money"] * 2,
                            "coder": ["ann\udcff", "ann\udcfe"], "description": ["why\udcffnot", ""]})
    export_project(codebook, documents, codings, out=tmp_path / "p.qdpx")
    users = import_project(tmp_path / "p.qdpx", tmp_path / "p", known=codebook).project.users
    assert len({user.guid for user in users}) == len(users) == 2


@pytest.mark.parametrize("character", ["\x0b", "&#11;"])
def test_file_with_characters_xml_cannot_hold_is_refused_in_one_line(tmp_path, capsys, character):
    (tmp_path / "bad.qdc").write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="22222222-'
                                      f'2222-2222-2222-222222222222" name="a{character}b" isCodable="true"/></Codes>'
                                      '</CodeBook>')
    assert run_cli("import-qdpx", tmp_path / "bad.qdc", "--out", tmp_path / "out") == 2
    error = capsys.readouterr().err
    assert error.startswith("theme-assist: error: bad.qdc is not well-formed XML (") and error.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_carriage_returns_in_descriptions_and_kept_aside_texts_survive_a_round_trip(tmp_path):
    codebook = Codebook(name="Mini", codes=[Code(id="money", name="Money", definition="Pay\r\nor costs."),
                                            Code(id="family", name="Family")])
    export_project(codebook, out=tmp_path / "cb.qdc")
    imported = import_project(tmp_path / "cb.qdc", tmp_path / "cb", known=codebook)
    assert imported.codebook.get("money").definition == "Pay\r\nor costs."

    note = '<Notes><Note guid="66666666-6666-6666-6666-666666666666" name="memo"><PlainTextContent>one&#13;&#10;two'
    (tmp_path / "p.qde").write_text(
        '<Project xmlns="urn:QDA-XML:project:1.0" name="p"><CodeBook><Codes><Code guid="22222222-2222-2222-2222-'
        '222222222222" name="hope" isCodable="true"><Description>a&#13;&#10;b</Description></Code></Codes>'
        f'</CodeBook>{note}</PlainTextContent></Note></Notes></Project>')
    first = import_project(tmp_path / "p.qde", tmp_path / "p")
    export_project(first.codebook, out=tmp_path / "p.qdpx", base=read_base(tmp_path / "p" / "project.json"))
    again = import_project(tmp_path / "p.qdpx", tmp_path / "again")
    assert again.codebook.all_codes[0].definition == "a\r\nb"
    assert "one&#13;\ntwo" in again.project.extras[0].xml
