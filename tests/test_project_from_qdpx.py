"""A project filled from a real REFI-QDA export keeps the human codings on its segments."""

import zipfile

import pandas as pd
import pytest

from theme_assist.cli import main
from theme_assist.errors import InputError
from theme_assist.project import ProjectStore, create_project
from theme_assist.project.build import codings_on_overlapping_segments


def test_real_interview_export_becomes_a_coded_project(shared_dir, tmp_path):
    qdpx = shared_dir / "refi" / "qc_interview_project.qdpx"
    with create_project(tmp_path / "qc.taproj", qdpx=qdpx) as store:
        segments = store.segments()
        codings = store.codings()
        # the interview has speaker turns: segments follow them rather than whole paragraphs
        assert segments["speaker"].ne("").sum() > 100
        # 205 codings on short line spans; a code twice on one segment counts once
        assert len(codings) >= 195
        assert set(codings["segment_id"]) <= set(segments["segment_id"])


def test_a_short_coding_lands_on_the_long_turn_that_holds_it():
    segments = pd.DataFrame({"segment_id": ["d:0", "d:1", "d:2"], "document": "d", "start": [0, 500, 520],
                             "end": [480, 510, 530]})
    codings = pd.DataFrame({"document": "d", "start": [100, 495], "end": [180, 525], "code": ["a", "b"],
                            "coder": "ana"})
    placed = codings_on_overlapping_segments(codings, segments)
    assert sorted(map(tuple, placed.to_numpy())) == [("d:0", "a", "ana"), ("d:1", "b", "ana"), ("d:2", "b", "ana")]


def test_a_coding_across_two_long_turns_lands_where_it_overlaps_most(caplog):
    # the coding holds 40 characters of d:0, the 20-character gap (a speaker label) and 30 of d:1: under half of
    # itself on either turn, so the half rule alone would drop it
    segments = pd.DataFrame({"segment_id": ["d:0", "d:1"], "document": "d", "start": [0, 520], "end": [480, 1000]})
    codings = pd.DataFrame({"document": "d", "start": [440], "end": [550], "code": ["a"], "coder": "ana"})
    placed = codings_on_overlapping_segments(codings, segments)
    assert list(map(tuple, placed.to_numpy())) == [("d:0", "a", "ana")]
    assert "left out" not in caplog.text


def test_a_coding_over_no_text_is_reported_not_dropped_silently(caplog):
    segments = pd.DataFrame({"segment_id": ["d:0", "d:1"], "document": "d", "start": [5, 25], "end": [20, 40]})
    codings = pd.DataFrame({"document": "d", "start": [0, 20, 30], "end": [5, 25, 35], "code": ["label", "gap", "b"],
                            "coder": "ana"})
    with caplog.at_level("WARNING"):
        placed = codings_on_overlapping_segments(codings, segments)
    assert list(map(tuple, placed.to_numpy())) == [("d:1", "b", "ana")]
    assert "2 coding(s) cover no text of any segment and are left out (first: 'label' in document 'd', " \
           "characters 0-5)" in caplog.text


def test_placing_the_codings_of_a_long_document_does_not_pair_every_coding_with_every_turn():
    """Each coding was paired with every segment of its document: codings × turns rows, 16 GB for one document
    of 8,000 coded turns (a spreadsheet of utterances, a long text in a .qdpx)."""
    import tracemalloc

    import numpy as np

    turns = 3000
    starts = np.arange(turns) * 100
    segments = pd.DataFrame({"segment_id": [f"d:{i}" for i in range(turns)], "document": "d", "start": starts + 10,
                             "end": starts + 90})
    codings = pd.DataFrame({"document": "d", "start": np.r_[starts + 12, 40], "end": np.r_[starts + 80, 250],
                            "code": ["a"] * turns + ["b"], "coder": "ana"})  # one per turn, one across three
    tracemalloc.start()
    try:
        placed = codings_on_overlapping_segments(codings, segments)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 * 2**20  # all 9 million pairs took over 1 GB
    assert placed["segment_id"].tolist() == [f"d:{i}" for i in range(turns)] + ["d:0", "d:1", "d:2"]
    segments = segments.sample(frac=1, random_state=0)  # in any order, and ones that overlap each other
    overlapping = pd.concat([segments, pd.DataFrame({"segment_id": ["d:all"], "document": "d", "start": [0],
                                                     "end": [turns * 100]})])
    assert len(codings_on_overlapping_segments(codings.head(5), overlapping)) == 6


def _source(number: int, name: str, end: int) -> str:
    """A text source whose one selection (characters 0 to ``end``) carries a coding of the code 2222…."""
    guid = f"{number}{number}{number}{number}{number}{number}{number}{number}-0000-4000-8000-000000000000"
    return (f'<TextSource guid="{guid}" name="{name}" plainTextPath="internal://{name}"><PlainTextSelection '
            f'guid="{guid[:-1]}1" startPosition="0" endPosition="{end}"><Coding guid="{guid[:-1]}2"><CodeRef '
            f'targetGUID="22222222-2222-2222-2222-222222222222"/></Coding></PlainTextSelection></TextSource>')


def test_what_the_qdpx_import_left_out_is_named_in_warnings(tmp_path, caplog):
    with zipfile.ZipFile(tmp_path / "mixed.qdpx", "w") as archive:
        archive.writestr("project.qde", '<Project xmlns="urn:QDA-XML:project:1.0" name="p"><CodeBook><Codes><Code '
                                        'guid="22222222-2222-2222-2222-222222222222" name="a" isCodable="true"/>'
                                        f'</Codes></CodeBook><Sources>{_source(1, "good.txt", 10)}'
                                        f'{_source(3, "latin.txt", 10)}{_source(5, "short.txt", 999)}</Sources>'
                                        '</Project>')
        archive.writestr("sources/good.txt", "P1: It was a long way to the clinic.\n")
        archive.writestr("sources/latin.txt", "P1: Très loin de la clinique.\n".encode("latin-1"))
        archive.writestr("sources/short.txt", "P1: Short.\n")
    with caplog.at_level("WARNING"), create_project(tmp_path / "p.taproj", qdpx=tmp_path / "mixed.qdpx") as store:
        assert len(store.codings()) == 1
    # a transcript and a coding the project does not have: each named, not left out in silence
    assert ("mixed.qdpx: left out: source 'latin.txt' kept aside unread: its plain text sources/latin.txt is not "
            "UTF-8") in caplog.text
    assert ("mixed.qdpx: left out: selection 55555555-0000-4000-8000-000000000001 in 'short.txt': characters 0-999 "
            "fall outside") in caplog.text


def _crlf_qdpx(path, said: list[str], coded_lines: list[int]) -> None:
    """A .qdpx whose source ``int1.txt`` has ``\\r\\n`` line ends (which REFI-QDA offsets count) and one coding
    of the code 2222… on each of ``coded_lines``."""
    text = "\r\n".join(said) + "\r\n"
    selections = ""
    for number, line in enumerate(coded_lines):
        start = text.index(said[line])
        selections += (f'<PlainTextSelection guid="aaaaaaaa-0000-4000-8000-00000000000{number}" '
                       f'startPosition="{start}" endPosition="{start + len(said[line])}"><Coding '
                       f'guid="bbbbbbbb-0000-4000-8000-00000000000{number}"><CodeRef '
                       'targetGUID="22222222-2222-2222-2222-222222222222"/></Coding>'
                       '</PlainTextSelection>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", '<Project xmlns="urn:QDA-XML:project:1.0" name="p"><CodeBook><Codes><Code '
                                        'guid="22222222-2222-2222-2222-222222222222" name="a" isCodable="true"/>'
                                        '</Codes></CodeBook><Sources><TextSource guid="11111111-0000-4000-8000-'
                                        '000000000000" name="int1.txt" plainTextPath="internal://int1.txt">'
                                        f'{selections}</TextSource></Sources></Project>')
        archive.writestr("sources/int1.txt", text.encode("utf-8"))


def _coded_texts(project) -> list[str]:
    with ProjectStore(project) as store:
        texts = store.segments().set_index("segment_id")["text"]
        return sorted(texts[store.codings()["segment_id"]].str.strip())


def test_codings_of_a_crlf_source_land_on_the_same_turns_imported_or_read_directly(tmp_path):
    said = [f"{'Ann' if i % 2 == 0 else 'Bob'}: Line {i} of the talk." for i in range(40)]
    _crlf_qdpx(tmp_path / "x.qdpx", said, coded_lines=[3, 17, 33])
    imported = tmp_path / "imported"
    for argv in (["import-qdpx", str(tmp_path / "x.qdpx"), "--out", str(imported)],
                 ["project", "init", str(tmp_path / "read.taproj"), "--codebook", str(imported / "codebook.yaml"),
                  "--input", str(imported / "documents"), "--coded", str(imported / "codings.csv")]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 0
    with create_project(tmp_path / "direct.taproj", qdpx=tmp_path / "x.qdpx"):
        pass
    expected = ["Line 17 of the talk.", "Line 3 of the talk.", "Line 33 of the talk."]
    assert _coded_texts(tmp_path / "read.taproj") == _coded_texts(tmp_path / "direct.taproj") == expected


def test_a_document_both_in_the_qdpx_and_the_input_is_refused_by_name(tmp_path):
    _crlf_qdpx(tmp_path / "x.qdpx", ["Ann: Hello.", "Bob: Hi."], coded_lines=[0])
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / "int1.txt").write_text("Ann: Hello.\nBob: Hi.\n")
    (tmp_path / "transcripts" / "int2.txt").write_text("Ann: Bye.\n")
    with pytest.raises(InputError, match=r"^document 'int1' is both in --qdpx and --input$"):
        create_project(tmp_path / "p.taproj", qdpx=tmp_path / "x.qdpx", input=tmp_path / "transcripts")
    assert not (tmp_path / "p.taproj").exists()


def test_a_qdpx_without_a_readable_source_is_named_as_such(tmp_path):
    with zipfile.ZipFile(tmp_path / "codes.qdpx", "w") as archive:
        archive.writestr("project.qde", '<Project xmlns="urn:QDA-XML:project:1.0" name="p"><CodeBook><Codes><Code '
                                        'guid="22222222-2222-2222-2222-222222222222" name="a" isCodable="true"/>'
                                        f'</Codes></CodeBook><Sources>{_source(3, "latin.txt", 10)}</Sources>'
                                        '</Project>')
        archive.writestr("sources/latin.txt", "P1: Très loin.\n".encode("latin-1"))
    with pytest.raises(InputError) as error:
        create_project(tmp_path / "p.taproj", qdpx=tmp_path / "codes.qdpx")
    assert str(error.value).startswith(f"{tmp_path / 'codes.qdpx'} has no text source that could be read")
    assert "or --qdpx" not in str(error.value)


def test_a_qdpx_without_codes_makes_no_project_unless_a_codebook_is_given(tmp_path, capsys):
    """Its empty codebook was stored as version 1: project init said 'the codebook has no codes' and left a
    project file that no command opened again."""
    with zipfile.ZipFile(tmp_path / "texts.qdpx", "w") as archive:
        archive.writestr("project.qde", '<Project xmlns="urn:QDA-XML:project:1.0" name="p"><Sources>'
                                        f'{_source(1, "good.txt", 10)}</Sources></Project>')
        archive.writestr("sources/good.txt", "P1: It was a long way to the clinic.\n")
    project = tmp_path / "p.taproj"
    with pytest.raises(SystemExit) as exit_info:
        main(["project", "init", str(project), "--qdpx", str(tmp_path / "texts.qdpx")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "a project needs a codebook: give --codebook" in err
    assert not project.exists()
    codebook = tmp_path / "cb.yaml"
    codebook.write_text("name: c\ncodes:\n  - {id: a, name: A}\n  - {id: b, name: B}\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["project", "init", str(project), "--qdpx", str(tmp_path / "texts.qdpx"), "--codebook", str(codebook)])
    assert exit_info.value.code == 0
    with ProjectStore(project) as store:
        assert [code.id for code in store.codebook().codes] == ["a", "b"] and len(store.segments()) == 1


def test_a_qdpx_coded_with_the_given_codebook_keeps_its_code_ids(tmp_path):
    """A .qdpx holds codes by name and guid: with --codebook, project init took the codes' slugs ('a') for ids and
    refused them as not in the codebook, where import-qdpx --codebook maps them to the codebook's ids."""
    from theme_assist.codebook import Code, Codebook

    _crlf_qdpx(tmp_path / "x.qdpx", ["Ann: Hello.", "Bob: Hi."], coded_lines=[1])
    codebook = Codebook(name="cb", codes=[Code(id="greeting", name="a", definition="Saying hello.")])
    with create_project(tmp_path / "p.taproj", qdpx=tmp_path / "x.qdpx", codebook=codebook) as store:
        assert store.codings()["code"].tolist() == ["greeting"]


def test_a_coded_table_with_ids_the_qdpx_codebook_lacks_says_to_give_the_codebook(tmp_path):
    """--qdpx without --codebook names its codes by their names (the .qdpx keeps no ids): a --coded table of the
    user's own ids was refused as "not in the project's codebook", though their codebook has them."""
    _crlf_qdpx(tmp_path / "x.qdpx", ["Ann: Hello.", "Bob: Hi."], coded_lines=[1])
    pd.DataFrame({"segment_id": ["int1:0"], "text": ["Hello."], "code": ["greeting"]}).to_csv(tmp_path / "coded.csv",
                                                                                            index=False)
    with pytest.raises(InputError, match=r"code 'greeting' in .*coded.csv is not in the project's codebook, read from "
                                         r"--qdpx: .* ids are made from the names \('a', …\); give --codebook"):
        create_project(tmp_path / "p.taproj", qdpx=tmp_path / "x.qdpx", coded=tmp_path / "coded.csv")
    assert not (tmp_path / "p.taproj").exists()


def test_a_coded_table_from_the_qdpx_codebook_with_uncoded_rows_is_placed(tmp_path):
    """Rows with an empty code are uncoded segments kept for context, skipped when placed: not a code the .qdpx's
    codebook lacks."""
    _crlf_qdpx(tmp_path / "x.qdpx", ["Ann: Hello.", "Bob: Hi."], coded_lines=[1])
    pd.DataFrame({"segment_id": ["int1:0", "int1:1"], "text": ["Hello.", "Hi."], "code": ["a", ""]}).to_csv(
        tmp_path / "coded.csv", index=False)
    with create_project(tmp_path / "p.taproj", qdpx=tmp_path / "x.qdpx", coded=tmp_path / "coded.csv") as store:
        assert "a" in set(store.codings()["code"])
