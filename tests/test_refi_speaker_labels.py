"""A .qdpx of transcripts whose speakers are not in their text (subtitles, tables of utterances) carries them as
``Name: `` labels, and a project made of it again has the same segments, speakers and codings."""

import logging
import re
import zipfile

import pandas as pd
import pytest

from theme_assist.documents import Document, Turn
from theme_assist.ingest.utterances import Utterance, document_from_utterances
from theme_assist.project import create_project
from theme_assist.project.audit import export_qdpx
from theme_assist.refi import export_project, read_project
from theme_assist.refi.reader import PROJECT_ENTRY

VTT = """WEBVTT

00:00:01.000 --> 00:00:04.000
<v Interviewer>How did the group help you?

00:00:05.000 --> 00:00:09.000
<v Anna>It gave me people to talk to.
I felt less alone.

00:00:10.000 --> 00:00:12.000
<v Interviewer>Anything else?

00:00:13.000 --> 00:00:16.000
<v Anna>Yes. <v Ben>No, not for me.
"""

SRT = """1
00:00:01,000 --> 00:00:03,000
Interviewer: What changed?

2
00:00:04,000 --> 00:00:06,000
Maria: I sleep better now.

3
00:00:07,000 --> 00:00:09,000
Interviewer: Why?
"""


@pytest.fixture(scope="module")
def project_schema(shared_dir):
    xmlschema = pytest.importorskip("xmlschema")
    return xmlschema.XMLSchema(str(shared_dir / "refi" / "Project-mrt2019.xsd"))


def _sources(path):
    """The plain texts of a .qdpx, by source name, and its project.qde."""
    with zipfile.ZipFile(path) as archive:
        qde = archive.read(PROJECT_ENTRY).decode("utf-8")
        texts = {name: archive.read(name).decode("utf-8") for name in archive.namelist()
                 if name.startswith("sources/")}
    return texts, qde


def _segments(store):
    return [tuple(row) for row in store.segments()[["segment_id", "speaker", "text"]].itertuples(index=False)]


def _codings(store):
    return sorted(tuple(row) for row in store.codings()[["segment_id", "code", "coder"]].itertuples(index=False))


def test_a_round_trip_of_subtitles_and_a_table_keeps_segments_speakers_and_codings(tmp_path, upsides_codebook,
                                                                                     project_schema):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "iv.vtt").write_text(VTT, encoding="utf-8")
    (folder / "two.srt").write_text(SRT, encoding="utf-8")
    pd.DataFrame({"document": "t1", "speaker": ["Interviewer", "Participant 1", "Interviewer", "Participant 1"],
                  "text": ["How are you?", "Fine thanks. I have been coping.", "Tell me more.", "The group helped."]}
                 ).to_csv(folder / "study.csv", index=False)
    code, other = (c.id for c in upsides_codebook.leaf_codes[:2])
    coded = tmp_path / "coded.csv"
    pd.DataFrame({"segment_id": ["iv:1", "iv:3", "two:1", "t1:3"], "code": [code, other, code, other],
                  "coder": ["alice", "bob", "alice", "alice"]}).to_csv(coded, index=False)
    with create_project(tmp_path / "p.taproj", codebook=upsides_codebook, input=folder, coded=coded) as store:
        before, coded_before = _segments(store), _codings(store)
        export_qdpx(store, tmp_path / "p.qdpx")
    project_schema.validate(_sources(tmp_path / "p.qdpx")[1])
    with create_project(tmp_path / "q.taproj", codebook=upsides_codebook, qdpx=tmp_path / "p.qdpx") as store:
        assert _segments(store) == before
        assert _codings(store) == coded_before
        export_qdpx(store, tmp_path / "q.qdpx")
    texts, qde = _sources(tmp_path / "p.qdpx")
    assert "Interviewer: How did the group help you?\nAnna: It gave me people to talk to.\nI felt less alone.\n" \
           "Interviewer: Anything else?\nAnna: Yes.\nBen: No, not for me." in texts.values()
    # a text that carries its speakers is written as it is: the second export has the same texts and spans
    texts_again, qde_again = _sources(tmp_path / "q.qdpx")
    assert sorted(texts_again.values()) == sorted(texts.values())
    spans = re.findall(r'startPosition="(\d+)" endPosition="(\d+)"', qde)
    assert len(spans) == 4 and spans == re.findall(r'startPosition="(\d+)" endPosition="(\d+)"', qde_again)


def test_codings_and_suggestions_move_with_the_labels(tmp_path, upsides_codebook, project_schema):
    document = document_from_utterances("d", [Utterance("Hello there.", "Ana"), Utterance("Hi.", "Bo"),
                                              Utterance("Bye now.", "Ana")])
    code = upsides_codebook.leaf_codes[0].id
    codings = pd.DataFrame({"document": "d", "start": [0, 13], "end": [12, 16], "code": code, "coder": "alice"})
    suggestions = pd.DataFrame({"document": "d", "start": [17], "end": [25], "code": code, "score": 0.9, "rank": 1})
    export_project(upsides_codebook, [document], codings, suggestions, out=tmp_path / "d.qdpx")
    texts, qde = _sources(tmp_path / "d.qdpx")
    project_schema.validate(qde)
    imported = read_project(tmp_path / "d.qdpx")
    source = imported.project.text_sources[0]
    assert source.text == "Ana: Hello there.\nBo: Hi.\nAna: Bye now."
    spans = sorted(source.text[s.start:s.end] for s in source.selections)
    assert spans == ["Bye now.", "Hello there.", "Hi."]
    turns = imported.documents[0].turns
    assert [(t.speaker, source.text[t.start:t.end]) for t in turns] == [
        ("Ana", "Hello there."), ("Bo", "Hi."), ("Ana", "Bye now.")]


def test_a_text_with_its_labels_is_written_as_it_is(tmp_path, upsides_codebook):
    from theme_assist.ingest.speakers import parse_turns

    text = "Ana: Hello there.\nBo: Hi.\n\nAna: Bye now."
    document = Document("d", text, parse_turns(text))
    codings = pd.DataFrame({"document": "d", "start": [5], "end": [17], "code": upsides_codebook.leaf_codes[0].id})
    export_project(upsides_codebook, [document], codings, out=tmp_path / "d.qdpx")
    source = read_project(tmp_path / "d.qdpx").project.text_sources[0]
    assert source.text == text
    assert [(s.start, s.end) for s in source.selections] == [(5, 17)]


def test_a_text_of_an_otter_layout_keeps_its_speaker_lines(tmp_path, upsides_codebook):
    from theme_assist.ingest.speakers import parse_turns

    text = "Ana Smith  0:03\nHello there.\nBo Li  0:09\nHi."
    document = Document("d", text, parse_turns(text))
    assert document.turns[0].speaker == "Ana Smith"  # a turn with a speaker at the start of its line
    export_project(upsides_codebook, [document], out=tmp_path / "d.qdpx")
    assert read_project(tmp_path / "d.qdpx").project.text_sources[0].text == text


def test_labels_that_do_not_read_back_are_warned_of(tmp_path, upsides_codebook, caplog):
    document = Document("d", "Welcome.\nhello", [Turn(0, 8, "Moderator"), Turn(9, 14, "anna")])
    with caplog.at_level(logging.WARNING):
        export_project(upsides_codebook, [document], out=tmp_path / "d.qdpx")
    assert read_project(tmp_path / "d.qdpx").project.text_sources[0].text == "Moderator: Welcome.\nanna: hello"
    assert "1 document(s) are written with speaker labels (`Name: text`) that do not read back into the same " \
           "turns, first where (d: speaker 'anna', 'hello')" in caplog.text


def test_the_warning_names_the_first_turn_that_does_not_read_back(tmp_path, upsides_codebook, caplog):
    """A name holding ':' and a turn without speaker after another speaker's: each document's first such turn is
    named, with the start of what it says, so that one of many speakers can be found."""
    colon = document_from_utterances("c", [Utterance("Hello.", "Ana"), Utterance("How are you?", "Dr. Li: MD")])
    blank = document_from_utterances("b", [Utterance("Hello.", "Ana"), Utterance("Next question, about " * 3, "")])
    with caplog.at_level(logging.WARNING):
        export_project(upsides_codebook, [colon, blank], out=tmp_path / "d.qdpx")
    assert "2 document(s) are written with speaker labels (`Name: text`) that do not read back into the same " \
           "turns, first where (c: speaker 'Dr. Li: MD', 'How are you?'; b: a turn without speaker, 'Next question, " \
           "about Next ques…'): a turn" in caplog.text


def test_speakers_numbered_in_a_table_are_warned_of_as_a_number(tmp_path, upsides_codebook, caplog):
    """A table of utterances whose speaker column holds 1 and 2: '1: One.' reads back as no label, and the
    warning's causes say a number is none."""
    document = document_from_utterances("n", [Utterance("One.", "1"), Utterance("Two.", "2")])
    with caplog.at_level(logging.WARNING):
        export_project(upsides_codebook, [document], out=tmp_path / "n.qdpx")
    assert "first where (n: speaker '1', 'One.'): a turn without speaker follows another speaker's turn, or a " \
           "speaker's name is no label (a number, holding ':'" in caplog.text


def test_a_word_heading_between_turns_comes_back_as_a_turn_without_speaker(tmp_path, upsides_codebook, capsys):
    """A Word heading paragraph after the first turn starts a turn without speaker, but the plain text written
    for it did not mark it: imported, "Notes" joined P1's answer. It is written as a Markdown heading, which
    starts the same turn, and the codings after it move with the ``# `` inserted."""
    docx = pytest.importorskip("docx")
    from theme_assist.cli import main
    from theme_assist.codebook import packaged_codebook
    from theme_assist.ingest import read_documents
    from theme_assist.ingest.speakers import parse_turns

    folder = tmp_path / "in"
    folder.mkdir()
    word = docx.Document()
    word.add_paragraph("Interviewer: How was it?")
    word.add_paragraph("P1: Fine, thanks.")
    word.add_heading("Notes", 1)
    word.add_paragraph("The participant was tired.")
    word.add_paragraph("Interviewer: Shall we go on?")
    word.save(folder / "iv.docx")
    (document,) = read_documents(folder / "iv.docx")
    said = [(turn.speaker, document.turn_text(turn)) for turn in document.turns]
    code = upsides_codebook.leaf_codes[0].id
    spans = [document.text.index(text) for text in ("Notes", "tired", "Shall")]
    pd.DataFrame({"document": "iv", "start": spans, "end": [spans[0] + 5, spans[1] + 5, spans[2] + 5],
                  "code": code, "coder": "alice"}).to_csv(tmp_path / "coded.csv", index=False)
    for args in (["export-qdpx", "--codebook", packaged_codebook("upsides"), "--documents", folder, "--codings",
                  tmp_path / "coded.csv", "--out", tmp_path / "iv.qdpx"],
                 ["import-qdpx", tmp_path / "iv.qdpx", "--out", tmp_path / "back"]):
        with pytest.raises(SystemExit) as exit_info:
            main([str(arg) for arg in args])
        assert exit_info.value.code == 0
    assert "do not read back" not in capsys.readouterr().err
    text = (tmp_path / "back" / "documents" / "iv.txt").read_text(encoding="utf-8")
    assert [(turn.speaker, text[turn.start:turn.end].removeprefix("# ")) for turn in parse_turns(text)] == said
    codings = pd.read_csv(tmp_path / "back" / "codings.csv", keep_default_na=False)
    assert sorted(codings["text"]) == ["Notes", "Shall", "tired"]


def test_a_project_of_a_word_transcript_with_headings_comes_back_with_the_same_segments(tmp_path, upsides_codebook):
    """``project export --qdpx`` of a project whose .docx has headings after its first turn, made a project again:
    the same segments and speakers, each heading's segment now starting at the ``#`` written before it."""
    docx = pytest.importorskip("docx")
    folder = tmp_path / "in"
    folder.mkdir()
    word = docx.Document()
    word.add_heading("Interview 3", 0)  # before the first turn: the title's segment, nothing inserted
    word.add_paragraph("Interviewer: How was it?")
    word.add_paragraph("P1: Fine, thanks.")
    word.add_heading("Notes", 1)
    word.add_paragraph("The participant was tired.")
    word.add_paragraph("Interviewer: Shall we go on?")
    word.add_heading("  Part 2", 2)
    word.save(folder / "iv.docx")
    with create_project(tmp_path / "p.taproj", codebook=upsides_codebook, input=folder) as store:
        before = _segments(store)
        export_qdpx(store, tmp_path / "p.qdpx")
    with create_project(tmp_path / "q.taproj", codebook=upsides_codebook, qdpx=tmp_path / "p.qdpx") as store:
        after = [(segment, speaker, re.sub(r"^#[ \t]+", "", text)) for segment, speaker, text in _segments(store)]
    assert after == before
    assert [speaker for _, speaker, _ in before] == ["", "Interviewer", "P1", "", "Interviewer", ""]
