"""Word, subtitle and tabular transcripts, generated in a temporary folder."""

from __future__ import annotations

import csv
import logging
import os
import re
import zipfile

import docx
import pandas as pd
import pytest

from theme_assist.errors import InputError
from theme_assist.ingest import NotATranscript, read_documents, readers, supported_suffixes


def spoken(document):
    return [(t.speaker, t.timestamp, document.text[t.start:t.end]) for t in document.turns]


def test_readers_are_registered_by_suffix():
    assert supported_suffixes() == [".csv", ".docx", ".srt", ".tsv", ".txt", ".vtt", ".xlsx"]
    assert readers.get(".vtt").__name__ == "read_vtt"


def test_unsupported_file_is_refused_with_the_supported_list(tmp_path):
    path = tmp_path / "notes.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(InputError, match=r"unsupported file type '\.pdf'; supported: \.csv, \.docx"):
        read_documents(path)


def test_missing_path_is_refused(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        read_documents(tmp_path / "absent.txt")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_is_named_as_such_not_as_missing(tmp_path):
    """``--input <(command)`` names a pipe, /dev/fd/63, which exists: "no such file or folder" sent users looking."""
    from theme_assist.ingest.decoding import read_text

    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    for read in (read_documents, read_text):
        with pytest.raises(InputError, match=r"pipe.csv is neither a file nor a folder \(a pipe or a device"):
            read(pipe)


def test_a_folder_given_as_a_file_is_named_a_folder(tmp_path):
    """A folder given as --metadata was said to be 'neither a file nor a folder'."""
    from theme_assist.ingest.decoding import read_text
    from theme_assist.ingest.metadata import read_metadata

    (tmp_path / "meta").mkdir()
    for read in (read_metadata, read_text):
        with pytest.raises(InputError, match=r"meta is a folder, not a file$"):
            read(tmp_path / "meta")


def test_docx_paragraphs_labels_and_tables(tmp_path):
    word = docx.Document()
    word.add_paragraph("Interviewer: How did you start as a peer worker?")
    word.add_paragraph("")
    word.add_paragraph("P1: By accident, really.")
    word.add_paragraph("Then it became a job.")
    table = word.add_table(rows=2, cols=3)
    rows = [("00:01:10", "Interviewer", "And now?"), ("00:01:15", "P1", "Now I train others.")]
    for row, cells in zip(table.rows, rows):
        for cell, value in zip(row.cells, cells):
            cell.text = value
    path = tmp_path / "interview_03.docx"
    word.save(path)

    (document,) = read_documents(path)
    assert document.id == "interview_03"
    assert spoken(document) == [
        ("Interviewer", "", "How did you start as a peer worker?"),
        ("P1", "", "By accident, really.\n\nThen it became a job."),
        ("Interviewer", "00:01:10", "And now?"),
        ("P1", "00:01:15", "Now I train others."),
    ]


def word_table(tmp_path, name: str, rows: list[tuple[str, ...]]):
    word = docx.Document()
    word.add_paragraph("Interviewer: Shall we start?")
    table = word.add_table(rows=len(rows), cols=len(rows[0]))
    for row, cells in zip(table.rows, rows):
        for cell, value in zip(row.cells, cells):
            cell.text = value
    word.save(tmp_path / name)
    return tmp_path / name


def test_docx_table_header_row_gives_the_columns_their_roles(tmp_path):
    path = word_table(tmp_path, "timed.docx", [
        ("Time", "Speaker", "Text"), ("00:00:10", "Participant", "Yes."), ("00:00:12", "Participant", ""),
        ("00:00:15", "Interviewer", "Good."),
    ])
    (document,) = read_documents(path)
    assert spoken(document) == [
        ("Interviewer", "", "Shall we start?"),
        ("Participant", "00:00:10", "Yes."),
        ("Interviewer", "00:00:15", "Good."),
    ]
    path = word_table(tmp_path, "noted.docx", [
        ("Speaker", "Text", "Notes"), ("Participant", "It helped me a lot.", "key quote"), ("Interviewer", "Why?", ""),
    ])
    (document,) = read_documents(path)
    assert spoken(document) == [
        ("Interviewer", "", "Shall we start?"), ("Participant", "", "It helped me a lot."), ("Interviewer", "", "Why?"),
    ]


def test_docx_table_without_header_skips_a_row_with_an_empty_text_cell(tmp_path):
    path = word_table(tmp_path, "plain.docx", [
        ("00:00:10", "Participant", "Yes."), ("00:00:12", "Participant", ""), ("00:00:15", "Interviewer", "Good."),
    ])
    (document,) = read_documents(path)
    assert spoken(document) == [
        ("Interviewer", "", "Shall we start?"),
        ("Participant", "00:00:10", "Yes."),
        ("Interviewer", "00:00:15", "Good."),
    ]


def test_docx_table_without_header_takes_a_short_time_or_a_time_range_for_the_timestamp(tmp_path):
    path = word_table(tmp_path, "otter.docx", [
        ("0:03", "Participant", "Yes."), ("00:05 - 00:09", "Interviewer", "Good."), ("12:41", "Participant", "No."),
    ])
    (document,) = read_documents(path)
    assert spoken(document) == [
        ("Interviewer", "", "Shall we start?"),
        ("Participant", "0:03", "Yes."),
        ("Interviewer", "00:05", "Good."),
        ("Participant", "12:41", "No."),
    ]


def test_docx_text_in_tracked_changes_content_controls_and_smart_tags_is_read(tmp_path):
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    def xml(content):  # the namespace declared on the outermost element
        return parse_xml(re.sub(r"^<([\w:]+)", rf"<\1 {nsdecls('w')}", content))

    changed = 'w:id="1" w:author="R" w:date="2024-01-01T00:00:00Z"'
    word = docx.Document()
    answer = word.add_paragraph("P1: It started ")
    answer._p.append(xml(f'<w:ins {changed}><w:r><w:t xml:space="preserve">with my sister, </w:t></w:r></w:ins>'))
    answer._p.append(xml(f"<w:del {changed}><w:r><w:delText>with Maria, </w:delText></w:r></w:del>"))
    answer._p.append(xml(f"<w:moveFrom {changed}><w:r><w:t>moved away </w:t></w:r></w:moveFrom>"))
    answer._p.append(xml('<w:smartTag w:uri="x" w:element="place"><w:r><w:t>in Kampala.</w:t></w:r></w:smartTag>'))
    question = word.add_paragraph("Interviewer: ")
    question._p.append(xml("<w:sdt><w:sdtContent><w:r><w:t>And then?</w:t></w:r></w:sdtContent></w:sdt>"))
    body = word.element.body
    body.insert(len(body) - 1, xml("<w:sdt><w:sdtContent><w:p><w:r><w:t>P1: It grew.</w:t></w:r></w:p>"
                                   "</w:sdtContent></w:sdt>"))
    inserted = word.add_paragraph()
    inserted._p.append(xml(f"<w:ins {changed}><w:r><w:t>Interviewer: Thank you.</w:t></w:r></w:ins>"))
    table = word.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "P1"
    table.rows[0].cells[1].paragraphs[0]._p.append(xml(f"<w:ins {changed}><w:r><w:t>Bye.</w:t></w:r></w:ins>"))
    path = tmp_path / "reviewed.docx"
    word.save(path)

    (document,) = read_documents(path)
    assert spoken(document) == [
        ("P1", "", "It started with my sister, in Kampala."),
        ("Interviewer", "", "And then?"),
        ("P1", "", "It grew."),
        ("Interviewer", "", "Thank you."),
        ("P1", "", "Bye."),
    ]


def test_docx_without_labels_gives_paragraph_turns(tmp_path):
    word = docx.Document()
    word.add_paragraph("The first answer was long.")
    word.add_paragraph("The second answer was short.")
    path = tmp_path / "essay.docx"
    word.save(path)
    (document,) = read_documents(path)
    assert spoken(document) == [("", "", "The first answer was long."), ("", "", "The second answer was short.")]


def headed_transcript(tmp_path, heading_style: str = "Heading 1"):
    """A Word transcript with a title above its first turn and a heading, with notes under it, between turns."""
    word = docx.Document()
    word.add_heading("Interview 3", 0)
    word.add_paragraph("Recorded in Ulm")
    word.add_paragraph("Interviewer: How was it?")
    word.add_paragraph("P1: Fine, thanks.")
    word.add_paragraph("Notes", heading_style)
    word.add_paragraph("The participant was tired.")
    word.add_paragraph("Interviewer: Shall we go on?")
    word.add_heading("  Part 2", 2)  # its leading spaces aside
    word.save(tmp_path / "headed.docx")
    return tmp_path / "headed.docx"


@pytest.mark.parametrize("heading_style", ["Heading 1", "Heading 9", "Title"])
def test_docx_heading_after_the_first_turn_starts_a_turn_without_speaker(tmp_path, heading_style):
    """A Word heading between turns, and the paragraphs under it, joined the answer of the speaker above it, where
    a Markdown heading starts a turn without speaker; the text is Word's, no ``#`` added, so offsets hold."""
    from theme_assist.segment import segment_documents

    (document,) = read_documents(headed_transcript(tmp_path, heading_style))
    assert document.text == ("Interview 3\n\nRecorded in Ulm\n\nInterviewer: How was it?\n\nP1: Fine, thanks.\n\n"
                             "Notes\n\nThe participant was tired.\n\nInterviewer: Shall we go on?\n\n  Part 2")
    assert spoken(document) == [
        ("", "", "Interview 3\n\nRecorded in Ulm"),  # before the first turn: as before, a turn of its own
        ("Interviewer", "", "How was it?"),
        ("P1", "", "Fine, thanks."),
        ("", "", "Notes\n\nThe participant was tired."),
        ("Interviewer", "", "Shall we go on?"),
        ("", "", "Part 2"),
    ]
    segments = segment_documents([document])
    assert list(segments["speaker"]) == ["", "Interviewer", "P1", "", "Interviewer", ""]
    for row in segments.itertuples():
        assert document.text[row.start:row.end] == row.text


def test_docx_heading_found_by_style_name_in_a_document_of_another_language(tmp_path):
    """German Word names its built-in heading style "heading 1", with the style id ``berschrift1``."""
    word = docx.Document()
    word.styles["Heading 1"].style_id = "berschrift1"
    word.add_paragraph("Interviewer: How was it?")
    word.add_heading("Notizen", 1)
    word.add_paragraph("Müde.")
    word.save(tmp_path / "de.docx")
    (document,) = read_documents(tmp_path / "de.docx")
    assert spoken(document) == [("Interviewer", "", "How was it?"), ("", "", "Notizen\n\nMüde.")]


def test_docx_heading_style_in_a_table_cell_leaves_the_row_a_row(tmp_path):
    """A table is read by its header, a row as a turn line: a cell's heading style does not make it a heading."""
    word = docx.Document()
    word.add_paragraph("Interviewer: Shall we start?")
    table = word.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, [("Speaker", "Text"), ("P1", "Yes.")]):
        for cell, value in zip(row.cells, cells):
            cell.text = value
            cell.paragraphs[0].style = "Heading 2"
    word.add_paragraph("and more, said P1.")
    word.save(tmp_path / "cells.docx")
    (document,) = read_documents(tmp_path / "cells.docx")
    assert spoken(document) == [("Interviewer", "", "Shall we start?"), ("P1", "", "Yes.\n\nand more, said P1.")]


def test_corrupt_docx_is_refused(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"this is not a zip archive")
    with pytest.raises(InputError, match="broken.docx is not a readable .docx file"):
        read_documents(path)


def test_vtt_voice_tags_and_name_prefixes(tmp_path):
    path = tmp_path / "session.vtt"
    path.write_text(
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:04.000\n<v Moderator>Welcome &amp; thank you.</v>\n\n"
        "00:00:05.000 --> 00:00:09.500\nAnna: It was hard\nat first.\n\n"
        "00:00:10.000 --> 00:00:11.000\n[laughter]\n",
        encoding="utf-8",
    )
    (document,) = read_documents(path)
    assert spoken(document) == [
        ("Moderator", "00:00:01.000", "Welcome & thank you."),
        ("Anna", "00:00:05.000", "It was hard\nat first."),
        ("", "00:00:10.000", "[laughter]"),
    ]


def test_vtt_cue_with_several_voices_or_dialogue_lines_is_one_turn_each(tmp_path):
    path = tmp_path / "overlap.vtt"
    path.write_text(
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:04.000\n<v Dr. Smith>Good.</v>\n<v.loud Participant 1>Great.</v>\n\n"
        "00:00:05.000 --> 00:00:06.000\n- Anna: overlapping\n- Ben: speech\nthat wraps\n\n"
        "00:00:07.000 --> 00:00:08.000\n- Yes.\n- No.\n",
        encoding="utf-8",
    )
    (document,) = read_documents(path)
    assert spoken(document) == [
        ("Dr. Smith", "00:00:01.000", "Good."),
        ("Participant 1", "00:00:01.000", "Great."),
        ("Anna", "00:00:05.000", "overlapping"),
        ("Ben", "00:00:05.000", "speech\nthat wraps"),
        ("", "00:00:07.000", "Yes."),
        ("", "00:00:07.000", "No."),
    ]


def test_vtt_voice_tag_inside_a_line_starts_its_own_turn(tmp_path):
    path = tmp_path / "overlap.vtt"
    path.write_text(
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:04.000\n<v Anna>I think so.</v> <v Ben>I <i>don't</i>.</v>\n\n"
        "00:00:05.000 --> 00:00:06.000\nWell <v Ben>no,\nnot at all\n\n"
        "00:00:07.000 --> 00:00:08.000\n- <v Anna>yes\n<v Ben>- no\n",
        encoding="utf-8",
    )
    (document,) = read_documents(path)
    assert spoken(document) == [
        ("Anna", "00:00:01.000", "I think so."),
        ("Ben", "00:00:01.000", "I don't."),
        ("", "00:00:05.000", "Well"),
        ("Ben", "00:00:05.000", "no,\nnot at all"),
        ("Anna", "00:00:07.000", "yes"),
        ("Ben", "00:00:07.000", "no"),
    ]


def offsets_hold(document, segments):
    return all(document.text[start:end] == text for start, end, text in zip(segments["start"], segments["end"],
                                                                             segments["text"]))


def test_consecutive_cues_of_one_named_speaker_are_one_turn(tmp_path):
    """Teams and Zoom cut one answer into cues of a few seconds: each cue was a turn, suggested for and quoted as
    a fragment."""
    from theme_assist.segment import segment_documents

    path = tmp_path / "teams.vtt"
    path.write_text(
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:03.000\n<v Moderator>How did the group\nhelp you?</v>\n\n"
        "00:00:03.500 --> 00:00:05.000\n<v Anna>It gave me people</v>\n\n"
        "00:00:05.000 --> 00:00:07.000\n<v Anna> to talk to.</v>\n\n"
        "00:00:07.000 --> 00:00:09.000\n<v Anna>I felt less alone.</v>\n\n"
        "00:00:10.000 --> 00:00:11.000\n[laughter]\n\n"
        "00:00:11.000 --> 00:00:12.000\n[crosstalk]\n\n"
        "00:00:12.000 --> 00:00:13.000\n<v Anna>Really.</v>\n\n"
        "00:00:13.000 --> 00:00:14.000\n<v anna>Yes.</v>\n",
        encoding="utf-8",
    )
    (document,) = read_documents(path)
    assert spoken(document) == [
        ("Moderator", "00:00:01.000", "How did the group\nhelp you?"),
        ("Anna", "00:00:03.500", "It gave me people to talk to. I felt less alone."),
        ("", "00:00:10.000", "[laughter]"),  # cues without a speaker: nothing says they are one turn
        ("", "00:00:11.000", "[crosstalk]"),
        ("Anna", "00:00:12.000", "Really."),  # after the unnamed cues: a turn of its own
        ("anna", "00:00:13.000", "Yes."),  # names compared as read
    ]
    assert document.text == "\n".join(text for _, _, text in spoken(document))
    segments = segment_documents([document])
    assert list(segments["segment_id"]) == [f"teams:{i}" for i in range(6)] and offsets_hold(document, segments)


def test_srt_cues_of_one_name_prefix_are_one_turn(tmp_path):
    path = tmp_path / "zoom.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:03,000\nModerator: Shall we begin?\n\n"
        "2\n00:00:04,000 --> 00:00:06,000\nMaria: I sleep\n\n"
        "3\n00:00:06,000 --> 00:00:08,000\nMaria:  better now.\n\n"
        "4\n00:00:08,000 --> 00:00:09,000\nand it lasts.\n",
        encoding="utf-8",
    )
    (document,) = read_documents(path)
    assert spoken(document) == [("Moderator", "00:00:01.000", "Shall we begin?"),
                                ("Maria", "00:00:04.000", "I sleep better now."),
                                ("", "00:00:08.000", "and it lasts.")]
    assert document.text == "Shall we begin?\nI sleep better now.\nand it lasts."


def test_a_voice_that_goes_on_from_a_dialogue_cue_is_one_turn_with_the_next_cue(tmp_path):
    path = tmp_path / "overlap.vtt"
    path.write_text(
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:02.000\n<v Anna>I think</v>\n\n"
        "00:00:02.000 --> 00:00:04.000\n- Anna: so.\n- Ben: I don't\n\n"
        "00:00:04.000 --> 00:00:06.000\n<v Ben>agree at all.</v> <v Anna>Why?</v>\n",
        encoding="utf-8",
    )
    (document,) = read_documents(path)
    assert spoken(document) == [("Anna", "00:00:01.000", "I think so."),  # two voices in one cue: two turns
                                ("Ben", "00:00:02.000", "I don't agree at all."),
                                ("Anna", "00:00:04.000", "Why?")]
    for turn in document.turns:
        assert document.text[turn.start:turn.end] in document.text.split("\n")


@pytest.mark.parametrize("unit, max_chars", [("sentence", 1000), ("turn", 40), ("sentence", 20)])
def test_a_turn_of_merged_cues_is_split_by_sentence_and_by_length(tmp_path, unit, max_chars):
    from theme_assist.segment import segment_documents

    path = tmp_path / "teams.vtt"
    path.write_text(
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:03.000\n<v Anna>It gave me people to talk</v>\n\n"
        "00:00:03.000 --> 00:00:05.000\n<v Anna>to. I felt less alone. And I</v>\n\n"
        "00:00:05.000 --> 00:00:07.000\n<v Anna>slept better.</v>\n\n"
        "00:00:07.000 --> 00:00:08.000\n<v Ben>Good.</v>\n",
        encoding="utf-8",
    )
    (document,) = read_documents(path)
    segments = segment_documents([document], unit=unit, max_chars=max_chars)
    assert offsets_hold(document, segments) and (segments["end"] - segments["start"] <= max_chars).all()
    anna = segments[segments["speaker"] == "Anna"]
    assert set(anna["turn"]) == {0} and " ".join(anna["text"]) == \
        "It gave me people to talk to. I felt less alone. And I slept better."
    if unit == "sentence" and max_chars == 1000:
        assert list(anna["text"])[:2] == ["It gave me people to talk to.", "I felt less alone."]
    assert list(segments["text"])[-1] == "Good."


def test_srt_cues_become_turns(tmp_path):
    path = tmp_path / "session.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:03,000\nModerator: Shall we begin?\n\n"
        "2\n00:00:04,000 --> 00:00:06,000\nYes, let's.\n",
        encoding="utf-8",
    )
    (document,) = read_documents(path)
    assert spoken(document) == [("Moderator", "00:00:01.000", "Shall we begin?"), ("", "00:00:04.000", "Yes, let's.")]
    assert document.text == "Shall we begin?\nYes, let's."


def test_malformed_vtt_is_refused(tmp_path):
    path = tmp_path / "bad.vtt"
    path.write_text("not a subtitle file at all\n")
    with pytest.raises(InputError, match="bad.vtt is not a valid .vtt file"):
        read_documents(path)


@pytest.mark.parametrize("name, content", [
    ("cues.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Ann>I felt hope.\n\n00:00:04.000 --> garbage\n"
                 "<v Ben>Broken cue.\n\n00:05.000 --> 00:07.000 align:start\n<v Ann>Short stamps.\n"),
    ("cues.srt", "1\n00:00:01,000 --> 00:00:03,000\nAnn: I felt hope.\n\n2\n00:00:04,000 --> garbage\n"
                 "Ben: Broken cue.\n"),
])
def test_a_cue_with_a_malformed_timing_is_refused_not_dropped(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError, match=rf"{name}, line [67]: malformed cue timing '00:00:04.000 --> garbage'"
                                         r"|line 6: malformed cue timing '00:00:04,000 --> garbage'"):
        read_documents(path)
    path.write_text(content.replace("--> garbage", "--> 00:00:05.000" if name.endswith(".vtt") else
                                    "--> 00:00:05,000"))
    (document,) = read_documents(path)
    assert "Broken cue." in document.text and len(document.turns) == (3 if name.endswith(".vtt") else 2)


@pytest.mark.parametrize("name, timing", [
    ("comma.vtt", "00:00:04,000 --> 00:00:05,000"), ("minutes.vtt", "00:99:04.000 --> 00:99:05.000"),
    ("arrow.srt", "00:00:04,000 -> 00:00:05,000"), ("hours.srt", "00:04,000 --> 00:05,000"),
])
def test_a_cue_timing_webvtt_py_does_not_read_is_refused(tmp_path, name, timing):
    # the .vtt cues were dropped without a word; the .srt ones read as the text of the cue before, Ann's
    path = tmp_path / name
    first = "00:00:01.000 --> 00:00:03.000" if name.endswith(".vtt") else "00:00:01,000 --> 00:00:03,000"
    path.write_text(("WEBVTT\n\n" if name.endswith(".vtt") else "") +
                    f"1\n{first}\nAnn: I felt hope.\n\n2\n{timing}\nBen: Broken cue.\n")
    with pytest.raises(InputError, match=rf"{name}, line \d+: malformed cue timing '{timing}'"):
        read_documents(path)


@pytest.mark.parametrize("name, block", [
    ("identifier.vtt", "00:00:05.000 00:00:09.000\n00:00:05.000 --> 00:00:09.000\nBen: an identifier of two times.\n"),
    ("note.vtt", "NOTE\n00:10.000 - 00:20.000 was cut from the recording\n"),
    ("text.vtt", "00:00:05.000 --> 00:00:09.000\nBen: my laps were\n1:23.456 / 1:24.001 that day.\n"),
    ("tight.vtt", "00:00:05.000-->00:00:09.000\nBen: no spaces round the arrow.\n"),
    ("short.vtt", "0:0:05.5 --> 0:0:09.25\nBen: short fields.\n"),
    ("text.srt", "2\n00:00:05,000 --> 00:00:09,000\nBen: my laps were\n1:23,456 / 1:24,001 that day.\n"),
    ("short.srt", "2\n0:0:5,50 --> 0:0:9,25\nBen: short fields.\n"),
])
def test_timings_and_lines_of_two_times_webvtt_py_reads_are_not_refused(tmp_path, name, block):
    """Two times on a line were taken for a mistyped timing anywhere (an identifier, a note, a cue's text), and
    timings webvtt-py reads (no spaces round the arrow, short fields) were refused: whole files were lost."""
    path = tmp_path / name
    first = "00:00:01.000 --> 00:00:04.000" if name.endswith(".vtt") else "1\n00:00:01,000 --> 00:00:04,000"
    path.write_text(("WEBVTT\n\n" if name.endswith(".vtt") else "") + f"{first}\nAnna: hello there.\n\n{block}")
    (document,) = read_documents(path)
    assert "hello there." in document.text
    assert name.startswith("note") or any(turn.speaker == "Ben" for turn in document.turns)  # its cue is read


def test_csv_with_document_column_gives_one_document_per_value_in_order(tmp_path):
    table = pd.DataFrame(
        {
            "Document": ["b", "b", "a", "b"],
            "interlocutor": ["therapist", "client", "therapist", "client"],
            "timestamp": ["00:00:01", "00:00:05", "00:00:01", "00:00:09"],
            "utterance_text": ["How are you?", "Fine, thanks.", "Hello.", "Really,\nfine."],
        }
    )
    path = tmp_path / "utterances.csv"
    table.to_csv(path, index=False)
    documents = read_documents(path)
    assert [d.id for d in documents] == ["b", "a"]
    assert documents[0].text == "How are you?\nFine, thanks.\nReally,\nfine."
    assert spoken(documents[0]) == [
        ("therapist", "00:00:01", "How are you?"),
        ("client", "00:00:05", "Fine, thanks."),
        ("client", "00:00:09", "Really,\nfine."),
    ]


def test_csv_without_document_column_is_one_document_and_keeps_segment_ids(tmp_path):
    path = tmp_path / "focus_group.csv"
    path.write_text("segment_id,speaker,text\ns1,Anna,Hello.\ns2,Bob,\ns3,Bob,  Hi Anna.  \n", encoding="utf-8")
    (document,) = read_documents(path)
    assert document.id == "focus_group"
    assert document.text == "Hello.\n  Hi Anna.  "  # the blank row is left out
    assert [(t.id, t.speaker) for t in document.turns] == [("s1", "Anna"), ("s3", "Bob")]


def test_tsv_is_read(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("speaker\ttext\nAnna\tTabs, and commas.\n", encoding="utf-8")
    (document,) = read_documents(path)
    assert spoken(document) == [("Anna", "", "Tabs, and commas.")]


def test_xlsx_rows_become_turns(tmp_path):
    path = tmp_path / "sheet.xlsx"
    pd.DataFrame({"speaker": ["Anna", "Bob"], "text": ["Café first.", "Then work."], "segment_id": [1, 2]}).to_excel(
        path, index=False
    )
    (document,) = read_documents(path)
    assert spoken(document) == [("Anna", "", "Café first."), ("Bob", "", "Then work.")]
    assert [t.id for t in document.turns] == ["1", "2"]


def test_xlsx_sheets_after_the_first_are_named_in_a_warning(tmp_path, caplog):
    path = tmp_path / "interviews.xlsx"
    with pd.ExcelWriter(path) as workbook:
        pd.DataFrame({"speaker": ["I"], "text": ["How was it?"]}).to_excel(workbook, sheet_name="int_01", index=False)
        pd.DataFrame({"speaker": ["I"], "text": ["And for you?"]}).to_excel(workbook, sheet_name="int_02", index=False)
        pd.DataFrame().to_excel(workbook, sheet_name="blank", index=False)
    with caplog.at_level(logging.WARNING, logger="theme_assist.ingest"):
        (document,) = read_documents(path)
    assert spoken(document) == [("I", "", "How was it?")]
    assert "only its first sheet 'int_01' is read; 1 other sheet(s) with content are not: 'int_02'" in caplog.text


def test_table_without_text_column_names_the_column_and_file(tmp_path):
    path = tmp_path / "nocol.csv"
    path.write_text("speaker,words\nAnna,hello\n", encoding="utf-8")
    with pytest.raises(NotATranscript, match=r"nocol.csv: missing column 'text' \(expected 'text' or 'utterance'"):
        read_documents(path)


@pytest.mark.parametrize(
    "content, message",
    [
        ("segment_id,text\na,one\na,two\n", "segment_id 'a' appears more than once"),
        ("document,text\nx,one\n ,two\n", "row 3: empty 'document'"),
        ('text,speaker\n"unclosed,Anna\n', "is not a well-formed table"),
    ],
)
def test_bad_tables_are_refused(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_documents(path)


@pytest.mark.parametrize("name, content, message", [
    ("stray.tsv", 'speaker\ttext\nP1\t"Well, I said no\nI\tWhy?\nP1\tBecause "it" was late.\n',
     r"line 2: a cell opens with a quote and text follows the quote that closes it on line 4"),
    ("stray.csv", 'speaker,text\nP1,"Well, I said no\nI,Why?\nP1,Because "it" was late.\n',
     r"line 2: a cell opens with a quote and text follows the quote that closes it on line 4"),
    ("quoted.csv", 'speaker,text\nP1,"Well" I said no\n', r"line 2: .* the cell would lose its quotes"),
    ("unclosed.csv", 'speaker,text\nP1,"Well, I said no\nI,Why?\n', r"line 2: .* no quote closes it"),
])
def test_a_quote_that_would_run_rows_together_is_refused_naming_its_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=rf"{name} is not a well-formed table: {message}"):
        read_documents(path)
    with pytest.raises(InputError, match=rf"{name} is not a well-formed table: {message}"):
        read_documents(tmp_path)  # in a folder, where its header is read first (a coding table is skipped)


def test_a_csv_separated_by_semicolons_is_named_as_such(tmp_path):
    path = tmp_path / "excel_de.csv"
    path.write_text("speaker;text\nAnna;Ich war im Café, ja.\nBen;Gut.\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"excel_de.csv has one column, 'speaker;text': its cells seem to be "
                                         r"separated by ';'; save it with commas"):
        read_documents(path)


@pytest.mark.parametrize("name, content, said", [
    ("commas.csv", "sep=,\nsegment_id,text\na,Ich war im Café.\n", "'sep=,' names the separator for Excel and is "
                                                                   "not the header: delete that line"),
    ("tabs.tsv", "SEP=\t\nsegment_id\ttext\na\tGut.\n", "'SEP=\\t' names the separator for Excel and is not the "
                                                          "header: delete that line"),
    ("semicolons.csv", "sep=;\nsegment_id;text\na;Gut.\n", "'sep=;' names the separator for Excel and is not the "
                                                            "header: delete that line, and save the table with "
                                                            "commas (.csv) or tabs (.tsv)"),
])
def test_excels_line_naming_the_separator_above_the_header_is_named(tmp_path, name, content, said):
    """Read as the header, 'sep=,' made every row too long ('line 2 of commas.csv has 2 cells; the header has 1')."""
    from theme_assist.inputs import read_table

    (tmp_path / name).write_text(content, encoding="utf-8")
    for rectangular in (False, True):
        with pytest.raises(InputError) as refused:
            read_table(tmp_path / name, rectangular=rectangular)
        assert str(refused.value) == f"{tmp_path / name}: its first line {said}"


@pytest.mark.parametrize("name, content, separated_by", [
    ("tabs.csv", "speaker\ttext\nAnna\tIch war im Café, ja.\nBen\tGut.\n", "tabs"),
    ("commas.tsv", "speaker,text\nAnna,\"Ich war im Café, ja.\"\nBen,Gut.\n", "','"),
])
def test_a_table_separated_otherwise_than_its_suffix_says_is_named_as_such_in_a_folder_too(tmp_path, name, content,
                                                                                          separated_by):
    """A tab-separated table named .csv (or a comma-separated one named .tsv) was skipped in a folder as a table
    "missing column 'text'": a batch lost the transcript with exit status 0."""
    (tmp_path / name).write_text(content, encoding="utf-8")
    (tmp_path / "fg_01.txt").write_text("Moderator: How is work?\nP1: I get a salary now.\n", encoding="utf-8")
    for path in (tmp_path / name, tmp_path):
        with pytest.raises(InputError, match=rf"{name} has one column, .*: its cells seem to be separated by "
                                             rf"{separated_by}; save it with commas \(.csv\) or tabs \(.tsv\)"):
            read_documents(path)


def test_quotes_written_as_a_spreadsheet_writes_them_are_kept(tmp_path):
    path = tmp_path / "quoted.csv"
    path.write_text('speaker,text\nP1,"""Well"" I said, no"\nI,He said "no" twice\n', encoding="utf-8")
    (document,) = read_documents(path)
    assert spoken(document) == [("P1", "", '"Well" I said, no'), ("I", "", 'He said "no" twice')]


def test_a_cell_longer_than_the_csv_modules_default_field_limit_is_read(tmp_path):
    from theme_assist.ingest.tables import load_table

    long_answer = "word " * 40_000  # 200,000 characters, above csv's 131,072
    path = tmp_path / "long.csv"
    path.write_text(f"unit,A,B\n1,yes,{long_answer}\n", encoding="utf-8")
    assert load_table(path, rectangular=True)["B"].iloc[0] == long_answer
    assert csv.field_size_limit() == 131_072


def test_cp1252_csv_is_decoded(tmp_path):
    path = tmp_path / "legacy.csv"
    path.write_bytes("speaker,text\nAnna,Ich war im Café – naïve.\n".encode("cp1252"))
    (document,) = read_documents(path)
    assert document.text == "Ich war im Café – naïve."


def test_a_short_row_is_padded_unless_the_table_must_be_rectangular(tmp_path):
    from theme_assist.ingest.tables import load_table

    path = tmp_path / "ratings.tsv"
    path.write_bytes("unit\tA\tB\n1\tyes\tno\n\n2\tyes\n".encode("utf-16"))  # blank lines are fine
    assert load_table(path).iloc[1].tolist() == ["2", "yes", ""]
    with pytest.raises(InputError, match=r"line 4 of .*ratings.tsv has 2 cells; the header has 3"):
        load_table(path, rectangular=True)


@pytest.mark.parametrize("rows, line, cells, hint", [
    ("s1,Hello there.,Anna\ns2,Fine.,Ben,\n", 3, 4, True),  # a separator closing one line
    ("s1,Hello there.,Anna\ns2,Fine.,Ben,more\n", 3, 4, False),
    ("s1,Hello there.,Anna,x,y\ns2,Fine.,Ben\n", 2, 5, False),
    ("s1,Hello there.,Anna,x\ns2,Fine.,Ben,y\n", 2, 4, False),  # a column the header does not name
], ids=["one-trailing-separator", "later-row", "first-row", "unnamed-last-column"])
def test_a_row_longer_than_the_header_is_refused_not_shifted(tmp_path, rows, line, cells, hint):
    """pandas took a first row's extra leading cells for an index: every column moved one to the right, the
    texts read as segment ids and the speakers as texts, without a word."""
    from theme_assist.ingest.tables import load_table
    from theme_assist.inputs import read_segments

    path = tmp_path / "segments.csv"
    path.write_text("segment_id,text,speaker\n" + rows, encoding="utf-8")
    message = rf"line {line} of .*segments.csv has {cells} cells; the header has 3"
    with pytest.raises(InputError, match=message) as refused:
        read_segments(path)
    assert ("a separator closing the line" in str(refused.value)) == hint
    with pytest.raises(InputError, match=message):
        load_table(path)


@pytest.mark.parametrize("rows", [
    "s1,Hello there.,Anna,\ns2,Fine.,Ben,\n\n",  # a separator closing every line
    '"1",s1,Hello there.,Anna\n"2",s2,Fine.,Ben\n',  # R's write.table(sep = ","): row names the header leaves out
], ids=["trailing-separators", "r-row-names"])
def test_rows_one_cell_longer_than_the_header_throughout_are_read_in_their_columns(tmp_path, rows):
    """The first of these was read shifted (segment ids from the texts, texts from the speakers); both are read as
    their writer meant, with the rows numbered from 0, as every message naming a line expects."""
    from theme_assist.inputs import read_segments

    path = tmp_path / "segments.csv"
    path.write_text("segment_id,text,speaker\n" + rows, encoding="utf-8")
    segments = read_segments(path)
    assert segments[["segment_id", "text", "speaker"]].values.tolist() == [["s1", "Hello there.", "Anna"],
                                                                         ["s2", "Fine.", "Ben"]]
    assert list(segments.index) == [0, 1]


def test_a_turn_column_beside_texts_with_an_unquoted_comma_is_refused_not_read_as_r_row_names(tmp_path):
    # each row one cell longer, its first cell counting 1, 2: R's row names are quoted, these are turns, and
    # reading them as row names shifted every column without a word
    from theme_assist.ingest.tables import load_table

    path = tmp_path / "coded.csv"
    path.write_text("turn,text,code\n1,Hello, world,c1\n2,Bye, then,c2\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2 of .*coded.csv has 4 cells; the header has 3"):
        load_table(path)


# --- hostile and damaged zip containers (.docx, .xlsx) -----------------------------------------------------


def rezip(source, target, change: dict, compression=zipfile.ZIP_DEFLATED):
    """Copy the zip ``source`` to ``target``, entry by entry; ``change`` maps an entry name to a function of its
    bytes (or to bytes: a new entry)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", compression) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            edit = change.get(info.filename)
            new.writestr(info.filename, edit(data) if callable(edit) else data)
        for name, data in change.items():
            if not callable(data):
                new.writestr(name, data)
    return target


def word_file(tmp_path, name="ok.docx"):
    word = docx.Document()
    word.add_paragraph("Anna: I felt seen.")
    word.save(tmp_path / name)
    return tmp_path / name


def sheet_file(tmp_path, name="ok.xlsx"):
    pd.DataFrame({"speaker": ["Anna"], "text": ["I felt seen."]}).to_excel(tmp_path / name, index=False)
    return tmp_path / name


def padded(data: bytes, tag: bytes, size: int = 3 << 20) -> bytes:
    """The XML with ``size`` spaces after ``tag``: still well-formed, compressed about 1000:1."""
    return data.replace(tag, tag + b" " * size, 1)


def run_cli(*args) -> int:
    from theme_assist.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main([str(arg) for arg in args])
    return exit_info.value.code


def test_docx_zip_bomb_is_refused_before_python_docx_inflates_it(tmp_path, monkeypatch):
    bomb = rezip(word_file(tmp_path), tmp_path / "bomb.docx", {"word/document.xml": lambda d: padded(d, b"<w:body>")})
    assert bomb.stat().st_size < 100_000

    def never(*args, **kwargs):
        raise AssertionError("python-docx was given the bomb")

    monkeypatch.setattr(docx, "Document", never)
    with pytest.raises(InputError, match=r"bomb.docx: entry 'word/document.xml' is compressed \d+:1, above the cap "
                                         r"of 100:1 \(refused: zip bomb\)"):
        read_documents(bomb)


def test_office_caps_on_total_size_and_entry_count_apply_to_docx_and_xlsx(tmp_path, monkeypatch):
    from theme_assist import safezip

    word, sheet = word_file(tmp_path), sheet_file(tmp_path)
    monkeypatch.setattr(safezip, "OFFICE_LIMITS", safezip.ZipLimits(max_total_bytes=2_000))
    for path in (word, sheet):
        with pytest.raises(InputError, match=rf"{path.name} inflates to more than 2000 bytes \(refused: zip bomb"):
            read_documents(path)
    monkeypatch.setattr(safezip, "OFFICE_LIMITS", safezip.ZipLimits(max_entries=3))
    for path in (word, sheet):
        with pytest.raises(InputError, match=rf"{path.name} holds \d+ entries, more than the cap of 3"):
            read_documents(path)


def test_xlsx_zip_bomb_is_refused_by_every_table_reader(tmp_path, capsys):
    from theme_assist.inputs import read_table

    ratings = tmp_path / "ratings.xlsx"
    pd.DataFrame({"unit": ["u1", "u2"], "A": ["x", "y"], "B": ["x", "x"]}).to_excel(ratings, index=False)
    bomb = rezip(ratings, tmp_path / "bomb.xlsx", {"xl/worksheets/sheet1.xml": lambda d: padded(d, b"<sheetData>")})
    with pytest.raises(InputError, match="bomb.xlsx: entry 'xl/worksheets/sheet1.xml' is compressed"):
        read_table(bomb)
    with pytest.raises(InputError, match="zip bomb"):
        read_documents(bomb)
    assert run_cli("agree", bomb) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "zip bomb" in error and "Traceback" not in error


def test_docx_zip_bomb_is_one_line_on_the_command_line(tmp_path, capsys):
    bomb = rezip(word_file(tmp_path), tmp_path / "bomb.docx", {"word/document.xml": lambda d: padded(d, b"<w:body>")})
    codebook = tmp_path / "cb.yaml"
    codebook.write_text("name: t\ncodes:\n  - id: hope\n    name: hope\n", encoding="utf-8")
    assert run_cli("suggest", "--input", bomb, "--codebook", codebook, "--out", tmp_path / "out.csv") == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "bomb.docx" in error and "zip bomb" in error
    assert not (tmp_path / "out.csv").exists()


def corrupt_deflate(path, entry):
    """Flip bytes inside ``entry``'s compressed data (the central directory stays intact)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(entry)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for at in range(start + 2, start + min(info.compress_size, 12)):
        data[at] ^= 0x5A
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("entry, damage, message", [
    ("word/document.xml", lambda d: d[: len(d) // 2], "malformed XML inside"),
    ("word/document.xml", lambda d: b"", "malformed XML inside"),
    ("[Content_Types].xml", lambda d: b"<a><b></a>", "malformed XML inside"),
    ("word/_rels/document.xml.rels", lambda d: b"<a/>", "is not a readable .docx file"),
    ("word/document.xml", "deflate", "damaged zip data"),
], ids=["truncated", "empty", "mismatched-tags", "wrong-root", "broken-deflate"])
def test_damaged_docx_is_one_line_naming_the_file(tmp_path, entry, damage, message):
    if damage == "deflate":
        broken = corrupt_deflate(rezip(word_file(tmp_path), tmp_path / "broken.docx", {}), entry)
    else:
        broken = rezip(word_file(tmp_path), tmp_path / "broken.docx", {entry: damage})
    with pytest.raises(InputError, match=message) as error:
        read_documents(broken)
    assert "broken.docx is not a readable .docx file" in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("entry, damage, message", [
    ("xl/worksheets/sheet1.xml", lambda d: d[: len(d) // 2], "malformed XML inside"),
    ("xl/workbook.xml", lambda d: d[: len(d) // 2], "malformed XML inside"),
    ("xl/styles.xml", lambda d: b"", "malformed XML inside"),
    ("xl/_rels/workbook.xml.rels", lambda d: b"<a/>", "is not a readable .xlsx file"),
    ("[Content_Types].xml", lambda d: b"<a/>", "is not a readable .xlsx file"),
    ("xl/worksheets/sheet1.xml", "deflate", "damaged zip data"),
], ids=["truncated-sheet", "truncated-workbook", "empty-styles", "wrong-rels", "no-workbook", "broken-deflate"])
def test_damaged_xlsx_is_one_line_naming_the_file(tmp_path, entry, damage, message):
    from theme_assist.inputs import read_table

    if damage == "deflate":
        broken = corrupt_deflate(rezip(sheet_file(tmp_path), tmp_path / "broken.xlsx", {}), entry)
    else:
        broken = rezip(sheet_file(tmp_path), tmp_path / "broken.xlsx", {entry: damage})
    for read in (read_table, read_documents):
        with pytest.raises(InputError, match=message) as error:
            read(broken)
        assert "broken.xlsx is not a readable .xlsx file" in str(error.value) and "\n" not in str(error.value)


def test_xlsx_that_is_not_a_zip_is_one_line(tmp_path):
    (tmp_path / "text.xlsx").write_text("unit,A,B\n1,x,y\n")
    with pytest.raises(InputError, match=r"text.xlsx is not a readable .xlsx file: not a zip archive"):
        read_documents(tmp_path / "text.xlsx")


def test_a_text_or_rtf_file_named_docx_says_what_it_is_and_what_to_do(tmp_path):
    """A transcript saved as text or as rich text by Word under a .docx name was refused as "not a zip archive",
    which names no fix; random bytes still get no guess."""
    (tmp_path / "text.docx").write_text("Anna: I was on the ward.\nBen: So was I.\n", encoding="utf-8")
    (tmp_path / "rich.docx").write_text("{\\rtf1\\ansi Anna: I was on the ward.}", encoding="ascii")
    (tmp_path / "noise.docx").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match=r"text.docx is not a readable .docx file: not a zip archive \(.*\); it is a "
                                         r"text file: name it by its format \(.txt, .csv\)$"):
        read_documents(tmp_path / "text.docx")
    with pytest.raises(InputError, match=r"rich.docx .*; it is a rich-text \(RTF\) file: save it again as .docx$"):
        read_documents(tmp_path / "rich.docx")
    with pytest.raises(InputError, match=r"noise.docx is not a readable .docx file: not a zip archive \([^)]*\)$"):
        read_documents(tmp_path / "noise.docx")


@pytest.mark.parametrize("name", ["protected.docx", "protected.xlsx"])
def test_a_password_protected_office_file_is_named_as_such(tmp_path, name):
    # Office encrypts a protected .docx/.xlsx inside an OLE compound file, as the binary .doc/.xls of Office 97
    (tmp_path / name).write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(InputError, match=rf"{name} is not a readable .{name[-4:]} file: it is password-protected, "
                                         r"or an old binary Office file .*remove the password"):
        read_documents(tmp_path / name)


def test_sparse_xlsx_is_refused_before_pandas_pads_it(tmp_path, monkeypatch):
    import openpyxl

    from theme_assist.ingest import tables

    book = openpyxl.Workbook()
    book.active["A1"], book.active["A2"], book.active["XFD1048576"] = "text", "hello", "x"
    book.save(tmp_path / "sparse.xlsx")  # 5 KB; padded by pandas: 17 billion cells
    with pytest.raises(InputError, match=r"sparse.xlsx: its first sheet spans more than 10000000 cells"):
        read_documents(tmp_path / "sparse.xlsx")
    # rows the sheet skips cost one step each and count too (as openpyxl walks them)
    far = rezip(sheet_file(tmp_path), tmp_path / "far.xlsx", {"xl/worksheets/sheet1.xml": lambda d: d.replace(
        b"</sheetData>", b'<row r="100000"><c r="A100000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')})
    monkeypatch.setattr(tables, "MAX_XLSX_CELLS", 1_000)
    with pytest.raises(InputError, match="spans more than 1000 cells"):
        read_documents(far)
    (document,) = read_documents(sheet_file(tmp_path, "small.xlsx"))  # an ordinary sheet is still read
    assert spoken(document) == [("Anna", "", "I felt seen.")]


def word_with_body(tmp_path, name: str, body: str):
    """A .docx whose <w:body> holds ``body`` (WordprocessingML, the w: prefix bound as Word binds it)."""
    return rezip(word_file(tmp_path), tmp_path / name, {"word/document.xml": lambda d: re.sub(
        rb"<w:body>.*</w:body>", b"<w:body>" + body.encode() + b"</w:body>", d, flags=re.S)})


def cell(text: str, props: str = "") -> str:
    return f"<w:tc><w:tcPr>{props}</w:tcPr><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"


def test_docx_table_with_a_huge_grid_span_is_read_without_expanding_it(tmp_path):
    span = '<w:gridSpan w:val="2000000000"/>'
    body = f"<w:tbl><w:tr>{cell('Anna', span)}{cell('hello')}</w:tr></w:tbl>"
    (document,) = read_documents(word_with_body(tmp_path, "span.docx", body))
    assert spoken(document) == [("Anna", "", "hello")]


def test_docx_long_vertical_merge_keeps_the_speaker_on_every_row(tmp_path):
    rows = 3000  # python-docx's row.cells recurses once per merged row above: RecursionError near 1000
    restart = '<w:vMerge w:val="restart"/>'
    first = f"<w:tr>{cell('Anna', restart)}{cell('line 0')}</w:tr>"
    rest = "".join(f"<w:tr>{cell('', '<w:vMerge/>')}{cell(f'line {i}')}</w:tr>" for i in range(1, rows))
    (document,) = read_documents(word_with_body(tmp_path, "merged.docx", f"<w:tbl>{first}{rest}</w:tbl>"))
    assert len(document.turns) == rows
    assert {turn.speaker for turn in document.turns} == {"Anna"}
    assert document.text[document.turns[-1].start:document.turns[-1].end] == f"line {rows - 1}"


def test_unreadable_compression_method_is_one_line(tmp_path):
    data = bytearray(word_file(tmp_path).read_bytes())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # local and central headers: method 99
        at = data.find(signature)
        while at != -1:
            data[at + offset:at + offset + 2] = (99).to_bytes(2, "little")
            at = data.find(signature, at + 4)
    (tmp_path / "method.docx").write_bytes(bytes(data))
    with pytest.raises(InputError, match="uses compression method 99, which cannot be read"):
        read_documents(tmp_path / "method.docx")


def test_a_table_naming_a_column_twice_is_refused(tmp_path):
    from theme_assist.ingest.tables import load_table

    path = tmp_path / "ratings.csv"
    path.write_text("unit,c1,c1\nu1,a,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="column 'c1' appears more than once in the header"):
        load_table(path)
    pd.DataFrame([["u1", "a", "b"]], columns=["unit", "c1", "c2"]).to_excel(tmp_path / "ratings.xlsx", index=False)
    from openpyxl import load_workbook

    workbook = load_workbook(tmp_path / "ratings.xlsx")
    workbook.active["C1"] = "c1"
    workbook.save(tmp_path / "ratings.xlsx")
    with pytest.raises(InputError, match="column 'c1' appears more than once in the header"):
        load_table(tmp_path / "ratings.xlsx")


def test_columns_of_one_name_in_two_cases_read_the_one_spelled_as_the_name(tmp_path):
    """``text`` and ``Text`` (or ``Speaker`` and ``speaker``): the second was renamed onto the first, and the two
    columns called ``text`` stopped suggest with a ValueError traceback, as read_table reads the one spelled so."""
    from theme_assist.inputs import read_segments

    path = tmp_path / "segments.csv"
    path.write_text("segment_id,text,Text,Speaker,speaker\ns1,Hello there.,notes,A,Anna\n", encoding="utf-8")
    segments = read_segments(path)
    assert segments[["segment_id", "text", "speaker"]].values.tolist() == [["s1", "Hello there.", "Anna"]]


def test_a_preferred_name_in_another_case_is_read_before_a_later_alias_spelled_exactly(tmp_path):
    """``Speaker`` beside ``interlocutor`` (AnnoMI's role column): the alias spelled exactly was read instead,
    whatever the aliases' order of preference (and ``transcript_id`` before ``Document``)."""
    from theme_assist.inputs import read_segments

    path = tmp_path / "segments.csv"
    path.write_text("segment_id,Document,transcript_id,Text,utterance,Speaker,interlocutor\n"
                    "s1,int1,7,Hello there.,notes,Anna,client\n", encoding="utf-8")
    segments = read_segments(path)
    assert segments[["document", "text", "speaker"]].values.tolist() == [["int1", "Hello there.", "Anna"]]


def test_a_table_row_with_a_speaker_but_no_text_is_named_and_an_empty_row_is_spacing(tmp_path, caplog):
    path = tmp_path / "focus.csv"
    path.write_text("speaker,text\nAnna,Hello.\n,\nBen,\nAnna,Bye.\n", encoding="utf-8")
    with caplog.at_level("WARNING"):
        (document,) = read_documents(path)
    assert [(turn.speaker, document.text[turn.start:turn.end]) for turn in document.turns] == [
        ("Anna", "Hello."), ("Anna", "Bye.")]
    assert f"{path}: 1 row(s) with no text left out (line 4)" in caplog.text
