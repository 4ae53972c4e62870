"""Word, subtitle and tabular transcripts, generated in a temporary folder."""

from __future__ import annotations

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


def test_docx_without_labels_gives_paragraph_turns(tmp_path):
    word = docx.Document()
    word.add_paragraph("The first answer was long.")
    word.add_paragraph("The second answer was short.")
    path = tmp_path / "essay.docx"
    word.save(path)
    (document,) = read_documents(path)
    assert spoken(document) == [("", "", "The first answer was long."), ("", "", "The second answer was short.")]


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


def test_cp1252_csv_is_decoded(tmp_path):
    path = tmp_path / "legacy.csv"
    path.write_bytes("speaker,text\nAnna,Ich war im Café – naïve.\n".encode("cp1252"))
    (document,) = read_documents(path)
    assert document.text == "Ich war im Café – naïve."
