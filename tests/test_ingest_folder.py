"""Reading whole folders, joining metadata, and the demo corpus."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from theme_assist.errors import InputError
from theme_assist.ingest import read_documents, read_metadata
from theme_assist.inputs import read_segments
from theme_assist.segment import segment_documents

DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"


@pytest.fixture()
def folder(tmp_path):
    (tmp_path / "b_interview.txt").write_text("Interviewer: Hello.\nP2: Hi.\n", encoding="utf-8")
    (tmp_path / "a_group.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nAnna: Morning.\n", encoding="utf-8")
    (tmp_path / "c_rows.csv").write_text("document,speaker,text\nc1,Bob,One.\nc2,Eve,Two.\n", encoding="utf-8")
    (tmp_path / "metadata.csv").write_text(
        "document,site,country\nb_interview.txt,Ulm,Germany\na_group,Pune,India\nc1,Kampala,Uganda\nzz,Nowhere,None\n",
        encoding="utf-8",
    )
    (tmp_path / "coding.csv").write_text("document,text,code\nb_interview,Hello.,other\n", encoding="utf-8")
    (tmp_path / "slides.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01")
    (tmp_path / "sub").mkdir()
    return tmp_path


def test_folder_reads_supported_files_in_name_order_and_joins_metadata(folder, caplog):
    with caplog.at_level(logging.WARNING, logger="theme_assist.ingest"):
        documents = read_documents(folder, metadata=folder / "metadata.csv")
    assert [d.id for d in documents] == ["a_group", "b_interview", "c1", "c2"]
    assert documents[1].metadata == {"site": "Ulm", "country": "Germany"}
    assert documents[0].metadata == {"site": "Pune", "country": "India"}
    assert documents[3].metadata == {}
    warnings = caplog.text
    for expected in ["slides.pdf: not a supported", "empty.txt is empty", "coding.csv: a coding table",
                     f"{folder / 'sub'}: a sub-folder (only the files directly in {folder} are read)",
                     "no metadata for 1 document(s): c2", "metadata for 1 unknown document(s): zz"]:
        assert expected in warnings
    assert "DS_Store" not in warnings
    assert "metadata.csv" not in warnings  # the metadata file is not mistaken for a transcript


def test_a_project_or_an_old_word_file_beside_the_transcripts_is_skipped_saying_what_to_do(tmp_path, caplog):
    """A .qdpx in a batch of transcripts was "not a supported transcript file", though REFI-QDA is read (by
    import-qdpx); a .doc said nothing of saving it as .docx."""
    (tmp_path / "fg_01.txt").write_text("Moderator: How is work?\nP1: I get a salary now.\n", encoding="utf-8")
    (tmp_path / "coded_in_maxqda.qdpx").write_bytes(b"PK\x05\x06" + bytes(18))
    (tmp_path / "iv_02.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    with caplog.at_level(logging.WARNING, logger="theme_assist.ingest"):
        assert [document.id for document in read_documents(tmp_path)] == ["fg_01"]
    warnings = " ".join(caplog.text.split())
    assert "coded_in_maxqda.qdpx: a REFI-QDA project: read it with `theme-assist import-qdpx`" in warnings
    assert "iv_02.doc: a Word 97-2003 file: save it as .docx" in warnings
    with pytest.raises(InputError, match=r"unsupported file type '\.qdpx' \(a REFI-QDA project: read it with "
                                         r"`theme-assist import-qdpx`, then give the documents folder it writes\)"):
        read_documents(tmp_path / "coded_in_maxqda.qdpx")


def test_a_folder_of_files_in_several_encodings_names_each_guess_once(tmp_path, caplog):
    # a table was read twice (is it a coding table? then as a transcript), and its guess reported twice
    (tmp_path / "a.txt").write_text("Interviewer: Wie geht es?\nJörg: Gut.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes("Interviewer: Jak się masz?\nPaweł: Dobrze.\n".encode("cp1250"))
    (tmp_path / "c.csv").write_bytes("speaker,text\nAnna,Müde – ja.\n".encode("cp1252"))
    (tmp_path / "d.csv").write_bytes("text,code\nMüde – ja.,other\n".encode("cp1252"))
    with caplog.at_level(logging.WARNING, logger="theme_assist.ingest"):
        documents = read_documents(tmp_path)
    assert [d.text for d in documents] == ["Interviewer: Wie geht es?\nJörg: Gut.\n",
                                           "Interviewer: Jak się masz?\nPaweł: Dobrze.\n", "Müde – ja."]
    guesses = [r.getMessage() for r in caplog.records if "not UTF-8" in r.getMessage()]
    assert guesses == [f"{tmp_path / 'b.txt'}: read as cp1250 (not UTF-8); check its special characters",
                       f"{tmp_path / 'c.csv'}: read as cp1252 (not UTF-8); check its special characters"]


def test_segments_carry_their_documents_metadata_fields(folder):
    segments = read_segments(folder, metadata=folder / "metadata.csv")
    by_document = segments.groupby("document")[["site", "country"]].first()
    assert by_document.loc["b_interview"].tolist() == ["Ulm", "Germany"]
    assert by_document.loc["c1"].tolist() == ["Kampala", "Uganda"]
    assert by_document.loc["c2"].tolist() == ["", ""]  # no metadata row: empty, not NaN
    assert list(segments["segment_id"]) == list(read_segments(folder)["segment_id"])  # same segments, same order


def test_a_segments_table_joins_metadata_on_its_document_column(folder, tmp_path):
    table = tmp_path / "segments.csv"
    table.write_text("segment_id,document,text\ns1,a_group,Morning.\ns2,c2,Two.\n", encoding="utf-8")
    segments = read_segments(table, metadata=folder / "metadata.csv")
    assert segments.set_index("segment_id")["site"].to_dict() == {"s1": "Pune", "s2": ""}


def test_document_cells_with_a_file_suffix_find_their_metadata(tmp_path, caplog):
    metadata = tmp_path / "metadata.csv"
    metadata.write_text("document,site\nint1.txt,Hamburg\n", encoding="utf-8")  # read as int1
    tables = {"transcripts.csv": "document,speaker,text\nint1.txt,I,How did it start?\n",
              "segments.csv": "segment_id,document,text\ns1,int1.txt,How did it start?\n"}
    for name, content in tables.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
        with caplog.at_level(logging.WARNING, logger="theme_assist"):
            segments = read_segments(tmp_path / name, metadata=metadata)
        assert segments["site"].tolist() == ["Hamburg"], name
        assert list(segments.columns).count("site") == 1 and "key_0" not in segments
    assert not [record for record in caplog.records if "metadata" in record.getMessage()]


@pytest.mark.parametrize("segments_csv, metadata_csv, message", [
    ("segment_id,text\ns1,Hello.\n", "document,site\nd1,Ulm\n", "no 'document' column to join the metadata"),
    ("segment_id,document,text\ns1,d1,Hello.\n", "document,text\nd1,Ulm\n",
     "metadata field 'text' has the name of a column of the segments"),
    # the segmentation tag's column is one of them, and the message names them
    ("segment_id,document,text\ns1,d1,Hello.\n", "document,segmentation\nd1,urban\n",
     r"metadata field 'segmentation' has the name of a column of the segments \(segment_id, .*segmentation\)"),
])
def test_metadata_that_cannot_be_joined_is_refused(tmp_path, segments_csv, metadata_csv, message):
    (tmp_path / "segments.csv").write_text(segments_csv, encoding="utf-8")
    (tmp_path / "metadata.csv").write_text(metadata_csv, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_segments(tmp_path / "segments.csv", metadata=tmp_path / "metadata.csv")


def test_folder_reading_is_deterministic(folder):
    first = segment_documents(read_documents(folder))
    second = segment_documents(read_documents(folder))
    pd.testing.assert_frame_equal(first, second)
    assert list(first["segment_id"]) == ["a_group:0", "b_interview:0", "b_interview:1", "c1:0", "c2:0"]


def test_an_office_lock_file_beside_an_open_transcript_is_skipped(tmp_path, caplog):
    (tmp_path / "interview.txt").write_text("Interviewer: Hello.\nP2: Hi.\n", encoding="utf-8")
    (tmp_path / "~$focus_group.docx").write_bytes(b"\x06Researcher" + b"\x00" * 40)  # Word has the file open
    with caplog.at_level(logging.WARNING, logger="theme_assist.ingest"):
        documents = read_documents(tmp_path)
    assert [document.id for document in documents] == ["interview"]
    assert "~$focus_group.docx: an Office lock file" in caplog.text


def test_folder_without_transcripts_is_refused(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    with pytest.raises(InputError, match="holds no transcripts"):
        read_documents(tmp_path)


def test_empty_folder_is_refused(tmp_path):
    with pytest.raises(InputError, match="holds no transcripts"):
        read_documents(tmp_path)


def test_unreadable_file_in_a_folder_is_an_error(tmp_path):
    (tmp_path / "good.txt").write_text("Anna: fine.\n")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match="binary.txt is not a text file"):
        read_documents(tmp_path)


def test_every_unreadable_file_of_a_folder_is_named_in_one_run(tmp_path, caplog):
    (tmp_path / "a_good.txt").write_text("Anna: fine.\n")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "broken.csv").write_text('speaker,text\nA,"never closed\nB,hello\n')
    (tmp_path / "cues.srt").write_text("1\nnonsense --> nonsense\nhi\n")
    (tmp_path / "z_good.txt").write_text("Bob: fine too.\n")
    with caplog.at_level(logging.WARNING, logger="theme_assist.ingest"):
        with pytest.raises(InputError, match=r"^3 files in .* cannot be read \(each named above\); nothing was"):
            read_documents(tmp_path)
    assert "binary.txt is not a text file" in caplog.text
    assert "broken.csv is not a well-formed table" in caplog.text
    assert "cues.srt, line 2: malformed cue timing" in caplog.text


def test_an_empty_table_in_a_folder_is_skipped_as_an_empty_text_file_is(tmp_path, caplog):
    (tmp_path / "interview.txt").write_text("Anna: fine.\n")
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "blank.tsv").write_text(" \n\n")
    with caplog.at_level(logging.WARNING, logger="theme_assist.ingest"):
        documents = read_documents(tmp_path)
    assert [document.id for document in documents] == ["interview"]
    assert "skipped" in caplog.text and "empty.csv is empty" in caplog.text and "blank.tsv is empty" in caplog.text


def test_two_documents_with_one_id_are_refused(tmp_path):
    (tmp_path / "fg1.txt").write_text("Anna: text one.\n")
    (tmp_path / "fg1.vtt").write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nAnna: text two.\n")
    with pytest.raises(InputError, match="two documents are called 'fg1'"):
        read_documents(tmp_path)


def test_a_copy_of_a_transcript_under_another_name_is_warned_of(tmp_path, caplog):
    """A copy beside its original (``fg1 (copy).txt``) was read as one more document without a word."""
    (tmp_path / "fg1.txt").write_text("Anna: text one.\nBen: text two.\n")
    (tmp_path / "fg1 (copy).txt").write_text("Anna: text one.\nBen: text two.\n")
    (tmp_path / "fg2.txt").write_text("Anna: text three.\n")
    with caplog.at_level(logging.WARNING, logger="theme_assist.ingest"):
        documents = read_documents(tmp_path)
    assert len(documents) == 3
    copies = [record.getMessage() for record in caplog.records if "same text" in record.getMessage()]
    assert copies == [f"{tmp_path / 'fg1 (copy).txt'} and {tmp_path / 'fg1.txt'} have the same text (a copy?): both "
                      "are read, as two documents; remove one unless the study has it twice"]


def test_many_copies_are_warned_of_in_one_line_after_the_first_few(tmp_path, caplog):
    """A folder of 968 transcripts with 420 copies printed 420 warning lines on project init."""
    for number in range(9):
        (tmp_path / f"fg{number}.txt").write_text(f"Anna: text {number}.\n")
        (tmp_path / f"fg{number}_copy.txt").write_text(f"Anna: text {number}.\n")
    with caplog.at_level(logging.WARNING, logger="theme_assist.ingest"):
        documents = read_documents(tmp_path)
    assert len(documents) == 18
    said = [record.getMessage() for record in caplog.records if "same text" in record.getMessage()]
    assert len(said) == 6 and all("(a copy?)" in line for line in said[:5])
    assert said[5].startswith("4 more documents have the same text as another (") and " and 1 more)" in said[5]


@pytest.mark.parametrize(
    "content, message",
    [
        ("site,country\nUlm,Germany\n", "missing column 'document'"),
        ("document,site\na,Ulm\na.txt,Pune\n", "document 'a' appears more than once"),
        ('document,site\n"a,Ulm\n', "is not a well-formed table"),
    ],
)
def test_malformed_metadata_is_refused(tmp_path, content, message):
    path = tmp_path / "meta.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_metadata(path)


def test_metadata_document_names_lose_transcript_extensions_only(tmp_path):
    path = tmp_path / "meta.csv"
    path.write_text("file,site\nfg_ulm_01.docx,Ulm\ninterview_3.2,Pune\n", encoding="utf-8")
    assert list(read_metadata(path)["document"]) == ["fg_ulm_01", "interview_3.2"]


def test_demo_corpus_turns_match_the_reference_coding(caplog):
    with caplog.at_level(logging.WARNING, logger="theme_assist.ingest"):
        documents = read_documents(DEMO / "transcripts", metadata=DEMO / "metadata.csv")
    assert "skipped" not in caplog.text  # transcripts/ holds transcripts only
    assert not caplog.records, caplog.text  # and every transcript has its metadata row
    reference = pd.read_csv(DEMO / "reference_coding.csv", dtype=str, keep_default_na=False)
    reference_turns = reference.groupby("document", sort=False).size()
    assert {d.id: len(d.turns) for d in documents} == reference_turns.to_dict()
    sites = pd.read_csv(DEMO / "metadata.csv", dtype=str, keep_default_na=False).set_index("document")["site"]
    assert {d.id: d.metadata["site"] for d in documents if d.id in sites.index} == sites.to_dict()

    segments = segment_documents(documents, max_chars=None)
    merged = segments.merge(reference.assign(turn=reference["turn"].astype(int)), on=["document", "turn"])
    assert len(merged) == len(reference)
    assert (merged["speaker_x"] == merged["speaker_y"]).all()
    assert (merged["text_x"] == merged["text_y"]).all()


# --- --recursive: transcripts kept in per-site sub-folders ----------------------------------------------------------

@pytest.fixture()
def sites(tmp_path):
    """transcripts/ with a file at the top, the same file name in two site folders, a table in a nested folder,
    hidden and linked folders, and a metadata table naming documents by path and by a unique bare name."""
    root = tmp_path / "transcripts"
    for relative, text in [("top.txt", "Mod: Top level.\n"), ("butabika/fg_01.txt", "Mod: Hello.\nAna: Hi.\n"),
                           ("ulm/fg_01.txt", "Mod: Welcome.\nBo: Thanks.\n"), ("ulm/iv_7.txt", "Mod: Why?\nCy: So.\n"),
                           (".git/notes.txt", "X: not a transcript.\n"), ("ulm/.cache/old.txt", "X: hidden.\n")]:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    (root / "pune" / "2024").mkdir(parents=True)
    (root / "pune" / "2024" / "rows.csv").write_text("document,speaker,text\nfg_02,Dev,Yes.\n", encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "outside.txt").write_text("Z: outside the tree.\n", encoding="utf-8")
    (root / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (root / "ulm" / "loop").symlink_to(root, target_is_directory=True)
    (root / "metadata.csv").write_text("document,site\nbutabika/fg_01.txt,Kampala\nulm/fg_01,Ulm\niv_7,Ulm\n"
                                       "top,Home\n", encoding="utf-8")
    return root


def test_recursive_reads_sub_folders_with_path_ids_in_path_order(sites, caplog):
    with caplog.at_level(logging.WARNING, logger="theme_assist.ingest"):
        documents = read_documents(sites, metadata=sites / "metadata.csv", recursive=True)
    assert [d.id for d in documents] == ["butabika/fg_01", "pune/2024/fg_02", "top", "ulm/fg_01", "ulm/iv_7"]
    assert [d.metadata.get("site") for d in documents] == ["Kampala", None, "Home", "Ulm", "Ulm"]
    assert documents[3].text.startswith("Mod: Welcome.") and documents[0].source.endswith("fg_01.txt")
    assert "outside" not in " ".join(d.text for d in documents) and "hidden" not in " ".join(d.text for d in documents)
    for link in (sites / "linked", sites / "ulm" / "loop"):
        assert f"skipped {link}: a link to a folder, not followed" in caplog.text
    assert ".git" not in caplog.text and ".cache" not in caplog.text  # hidden folders are skipped silently
    assert "no metadata for 1 document(s): pune/2024/fg_02" in caplog.text
    segments = read_segments(sites, metadata=sites / "metadata.csv", recursive=True)
    assert list(segments["segment_id"][:2]) == ["butabika/fg_01:0", "butabika/fg_01:1"]
    assert segments["segment_id"].is_unique
    assert segments.set_index("segment_id").loc["ulm/fg_01:1", ["speaker", "site"]].tolist() == ["Bo", "Ulm"]


def test_without_recursive_sub_folders_are_skipped_and_the_warning_names_the_option(sites, caplog):
    with caplog.at_level(logging.WARNING, logger="theme_assist.ingest"):
        documents = read_documents(sites, metadata=sites / "metadata.csv")
    assert [d.id for d in documents] == ["top"]
    assert (f"{sites / 'ulm'}: a sub-folder (only the files directly in {sites} are read): give --recursive to read "
            "sub-folders too") in caplog.text


def test_recursive_reading_is_deterministic(sites):
    first = [(d.id, d.text) for d in read_documents(sites, recursive=True)]
    assert first == [(d.id, d.text) for d in read_documents(sites, recursive=True)]


def test_a_folder_without_sub_folders_reads_the_same_with_recursive(folder):
    (folder / "sub").rmdir()
    assert [(d.id, d.text, d.metadata) for d in read_documents(folder, folder / "metadata.csv", recursive=True)] == [
        (d.id, d.text, d.metadata) for d in read_documents(folder, folder / "metadata.csv")]


def test_a_bare_metadata_name_that_fits_several_documents_joins_none(tmp_path, caplog):
    root = tmp_path / "transcripts"
    for site in ("butabika", "ulm"):
        (root / site).mkdir(parents=True)
        (root / site / "fg_01.txt").write_text("Mod: Hello.\n", encoding="utf-8")
    (root / "ulm" / "fg_02.txt").write_text("Mod: Hello.\n", encoding="utf-8")
    meta = tmp_path / "meta.csv"
    meta.write_text("document,site\nfg_01,Kampala\nfg_02.txt,Ulm\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="theme_assist.ingest"):
        documents = read_documents(root, metadata=meta, recursive=True)
    assert {d.id: d.metadata for d in documents} == {"butabika/fg_01": {}, "ulm/fg_01": {}, "ulm/fg_02": {"site": "Ulm"}}
    assert ("metadata row(s) fg_01 and document(s) butabika/fg_01, ulm/fg_01 share the name 'fg_01', so none is "
            "joined by it") in caplog.text
    segments_csv = tmp_path / "segments.csv"  # a segments table joins the same way
    segments_csv.write_text("segment_id,text,document\ns1,Hello.,ulm/fg_02\ns2,Hi.,ulm/fg_01\ns3,Yo.,butabika/fg_01\n",
                            encoding="utf-8")
    assert read_segments(segments_csv, metadata=meta)["site"].tolist() == ["Ulm", "", ""]


def test_metadata_named_by_path_keeps_its_folders_and_still_finds_flat_documents(tmp_path):
    path = tmp_path / "meta.csv"
    path.write_text("document,site\nbutabika/fg_01.txt,Kampala\ntranscripts/int1.txt,Pune\n", encoding="utf-8")
    assert list(read_metadata(path)["document"]) == ["butabika/fg_01", "transcripts/int1"]
    (tmp_path / "int1.txt").write_text("Mod: Hello.\n", encoding="utf-8")
    assert read_documents(tmp_path / "int1.txt", metadata=path)[0].metadata == {"site": "Pune"}


def test_a_sub_folder_that_cannot_be_listed_is_an_error(sites, monkeypatch):
    real = Path.iterdir

    def iterdir(self):
        if self.name == "ulm":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    with pytest.raises(InputError, match=r"ulm: cannot be read \(Permission denied\)"):
        read_documents(sites, recursive=True)


def test_recursive_reads_a_tree_deeper_than_the_recursion_limit(tmp_path):
    root = tmp_path / "transcripts"
    (root / "top.txt").parent.mkdir()
    (root / "top.txt").write_text("Mod: Top level.\n", encoding="utf-8")
    deep = root
    for _ in range(1100):  # one level at a time: mkdir(parents=True) and os.makedirs recurse once per level
        deep = deep / "d"
        deep.mkdir()
    (deep / "z.txt").write_text("Mod: Down here.\n", encoding="utf-8")
    try:
        assert [d.id for d in read_documents(root, recursive=True)] == ["/".join(["d"] * 1100 + ["z"]), "top"]
    finally:  # pytest's clean-up of old temporary folders (shutil.rmtree) recurses once per level too
        (deep / "z.txt").unlink()
        while deep != root:
            deep.rmdir()
            deep = deep.parent


@pytest.mark.parametrize("command", [
    ["suggest", "--codebook", "CODEBOOK", "--input", "FOLDER", "--out", "OUT/out.csv"],
    ["discover", "--input", "FOLDER", "--out", "OUT/themes.json"],
    ["project", "init", "OUT/p.taproj", "--codebook", "CODEBOOK", "--input", "FOLDER"],
])
def test_a_folder_runs_closing_line_counts_the_files_skipped_as_unsupported(tmp_path, capsys, command):
    """suggest, discover and project init over a folder skipped a .pdf or a .doc with a warning each, then closed
    with a ✓ line that did not count them; the run still succeeds (a stray .DS_Store, hidden, is no such file)."""
    from theme_assist.cli import main
    from theme_assist.codebook import packaged_codebook

    folder, out = tmp_path / "transcripts", tmp_path / "out"
    folder.mkdir()
    out.mkdir()
    (folder / "fg_01.txt").write_text("Moderator: How is work?\nP1: I get a salary now.\nP2: My sister helps.\n",
                                      encoding="utf-8")
    for name in ("slides.pdf", "notes.pdf", "old.doc", "z.key"):
        (folder / name).write_bytes(b"%PDF-1.4")
    (folder / ".DS_Store").write_bytes(b"\x00\x01")
    places = {"CODEBOOK": str(packaged_codebook("upsides")), "FOLDER": str(folder), "OUT": str(out)}
    argv = [places.get(part, part).replace("OUT/", f"{out}/") for part in command]
    with pytest.raises(SystemExit) as done:
        main(argv)
    err = capsys.readouterr().err
    assert done.value.code in (0, None), err
    (closing,) = [line for line in err.splitlines() if line.startswith("✓")]
    assert closing.endswith("; 4 files skipped (not a supported format: notes.pdf, old.doc, slides.pdf and 1 more)")

    (folder / "fg_02.txt").write_text("Moderator: And now?\nP3: Fine.\n", encoding="utf-8")
    for name in ("slides.pdf", "notes.pdf", "old.doc", "z.key"):
        (folder / name).unlink()
    for path in out.iterdir():
        path.unlink()
    with pytest.raises(SystemExit) as done:
        main(argv)
    (closing,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("✓")]
    assert "skipped" not in closing


@pytest.mark.parametrize("command", [
    ["suggest", "--codebook", "CODEBOOK", "--input", "FOLDER", "--out", "OUT/out.csv"],
    ["project", "init", "OUT/p.taproj", "--codebook", "CODEBOOK", "--input", "FOLDER"],
])
def test_the_closing_line_counts_the_files_not_read_as_transcripts(tmp_path, capsys, command):
    """A transcript table whose text column is named otherwise ("Transcript") or an empty file was skipped with a
    warning among the run's other lines, and the closing line, which counts a .pdf skipped, said nothing of it:
    a transcript left out of the study without a word where the run ends."""
    from theme_assist.cli import main
    from theme_assist.codebook import packaged_codebook

    folder, out = tmp_path / "transcripts", tmp_path / "out"
    folder.mkdir()
    out.mkdir()
    (folder / "fg_01.txt").write_text("Moderator: How is work?\nP1: I get a salary now.\n", encoding="utf-8")
    (folder / "fg_02.csv").write_text("speaker,Transcript\nP2,My sister helps.\n", encoding="utf-8")
    (folder / "fg_03.txt").write_text("", encoding="utf-8")
    (folder / "slides.pdf").write_bytes(b"%PDF-1.4")
    places = {"CODEBOOK": str(packaged_codebook("upsides")), "FOLDER": str(folder), "OUT": str(out)}
    with pytest.raises(SystemExit) as done:
        main([places.get(part, part).replace("OUT/", f"{out}/") for part in command])
    err = capsys.readouterr().err
    assert done.value.code in (0, None), err
    (closing,) = [line for line in err.splitlines() if line.startswith("✓")]
    assert closing.endswith("; 3 files skipped (not a supported format: slides.pdf; not read as transcripts, each "
                            "said why above: fg_02.csv, fg_03.txt)")


def test_export_qdpx_of_a_folder_counts_the_files_skipped_as_unsupported(tmp_path, capsys):
    """export-qdpx --documents FOLDER skipped a .pdf with a warning, and its closing line did not count it, as the
    closing lines of suggest, discover and project init now do. That line is their ✓ line ("Wrote …" on stdout
    before), on stderr after any note."""
    from theme_assist.cli import main
    from theme_assist.codebook import packaged_codebook

    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "fg_01.txt").write_text("Moderator: How is work?\nP1: I get a salary now.\n", encoding="utf-8")
    (folder / "slides.pdf").write_bytes(b"%PDF-1.4")
    with pytest.raises(SystemExit) as done:
        main(["export-qdpx", "--codebook", str(packaged_codebook("upsides")), "--documents", str(folder), "--out",
              str(tmp_path / "study.qdpx")])
    said = capsys.readouterr()
    assert done.value.code in (0, None), said.err
    assert said.out == "" and said.err.splitlines()[-1].startswith(f"✓ {tmp_path / 'study.qdpx'}: ")
    wrote = said.err.splitlines()[-1]
    assert wrote.endswith("; 1 file skipped (not a supported format: slides.pdf)")
    assert ": 1 source, " in wrote  # as project export --qdpx says it, not "1 sources"


def test_a_broken_link_or_a_pipe_named_as_a_transcript_is_skipped_as_no_file(tmp_path, caplog):
    """A broken link or a pipe named ``x.txt`` was skipped as "not a supported transcript file", and counted among the
    files of another format."""
    import os

    from theme_assist.ingest import skipped_as_unsupported

    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "fg_01.txt").write_text("Moderator: How is work?\nP1: I get a salary now.\n", encoding="utf-8")
    (folder / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    os.mkfifo(folder / "pipe.txt")
    (folder / "slides.pdf").write_bytes(b"%PDF-1.4")
    with caplog.at_level("WARNING"), skipped_as_unsupported() as skipped:
        assert [d.id for d in read_documents(folder)] == ["fg_01"]
    assert skipped == ["slides.pdf"]
    assert f"skipped {folder / 'gone.txt'}: not a file (a broken link" in caplog.text
    assert f"skipped {folder / 'pipe.txt'}: not a file" in caplog.text


def undecodable(folder: Path, name: bytes) -> Path:
    """A path under ``folder`` named by bytes that are not UTF-8, as an old archive unpacked on Linux leaves."""
    import os

    path = folder / os.fsdecode(name)
    try:
        path.write_text("Interviewer: Hello.\nP2: Hi, I am here.\n", encoding="utf-8")
    except (OSError, UnicodeError):  # a file system that takes only UTF-8 names (macOS)
        pytest.skip("this file system does not take names that are not UTF-8")
    return path


def test_a_transcript_named_by_bytes_that_are_not_utf8_is_refused_before_any_work(tmp_path, capsys):
    """The document id kept the name's lone surrogate: the segments table, the suggestions and a project stopped
    with a UnicodeEncodeError traceback, after the embedding."""
    from theme_assist.cli import main
    from theme_assist.codebook import packaged_codebook

    folder = tmp_path / "transcripts"
    folder.mkdir()
    undecodable(folder, b"caf\xe9.txt")
    with pytest.raises(InputError, match=r"transcripts/caf\\xe9.txt: its name is not UTF-8 text \(byte 0xe9\); "
                                         r"rename it \(it is the document's id"):
        read_documents(folder)
    out, project = tmp_path / "o.csv", tmp_path / "p.taproj"
    for argv in (["suggest", "--codebook", packaged_codebook("upsides"), "--input", folder, "--out", out],
                 ["project", "init", project, "--codebook", packaged_codebook("upsides"), "--input", folder]):
        with pytest.raises(SystemExit) as exit_info:
            main([str(arg) for arg in argv])
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and "its name is not UTF-8 text" in err and "Traceback" not in err
    assert not out.exists() and not project.exists()


def test_a_project_is_not_made_from_a_file_named_by_bytes_that_are_not_utf8(tmp_path, capsys):
    """A project records the paths it was made from (and a --coded table's name as its coder): a traceback."""
    from theme_assist.cli import main
    from theme_assist.codebook import packaged_codebook

    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "a.txt").write_text("Interviewer: Hello.\nP2: Hi, I am here.\n", encoding="utf-8")
    coded = undecodable(tmp_path, b"cod\xe9.csv")
    coded.write_text("document,text,code\na,Hello.,other\n", encoding="utf-8")
    project = tmp_path / "p.taproj"
    with pytest.raises(SystemExit) as exit_info:
        main(["project", "init", str(project), "--codebook", str(packaged_codebook("upsides")), "--input",
              str(folder), "--coded", str(coded)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "Traceback" not in err
    assert err.strip().endswith("cod\\xe9.csv: its name is not UTF-8 text (byte 0xe9); rename it (the project keeps "
                                "the names of the files it is made from)")
    assert not project.exists()


def test_links_that_lead_back_to_themselves_beside_a_metadata_table_are_one_line_or_skipped(tmp_path):
    """With a metadata table, each file of the folder was compared with it by its resolved path: a link leading
    back to itself, in the folder or as the metadata, stopped project init with a RuntimeError traceback."""
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "a.txt").write_text("Interviewer: Hello.\nP2: Hi, I am here.\n", encoding="utf-8")
    (folder / "loop.txt").symlink_to("loop.txt")
    metadata = tmp_path / "metadata.csv"
    metadata.write_text("document,site\na,Ulm\n", encoding="utf-8")
    (document,) = read_documents(folder, metadata=metadata)
    assert document.id == "a" and document.metadata == {"site": "Ulm"}
    (tmp_path / "loop.csv").symlink_to("loop.csv")
    with pytest.raises(InputError, match="--metadata .*loop.csv is a symbolic link that leads back to itself"):
        read_documents(folder, metadata=tmp_path / "loop.csv")


def test_metadata_joins_a_name_written_in_another_unicode_form(tmp_path, caplog):
    # a Mac (HFS+, or a zip made on one) names files in NFD, "u" + combining diaeresis, while a table typed in a
    # spreadsheet says "ü" in NFC: both warned, "no metadata for fg_zürich" and "metadata for unknown fg_zürich"
    root = tmp_path / "transcripts"
    (root / "zürich").mkdir(parents=True)
    (root / "zürich" / "fg_zu\u0308rich.txt").write_text("Mod: Hello.\n", encoding="utf-8")
    (root / "São Paulo_iv.txt").write_text("Mod: Bom dia.\n", encoding="utf-8")
    meta = tmp_path / "meta.csv"
    meta.write_text("document,site\nfg_z\u00fcrich,Z\u00fcrich\nSa\u0303o Paulo_iv.txt,S\u00e3o Paulo\n",
                    encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="theme_assist.ingest"):
        documents = read_documents(root, metadata=meta, recursive=True)
    assert {d.id: d.metadata for d in documents} == {"São Paulo_iv": {"site": "São Paulo"},
                                                     "zürich/fg_zu\u0308rich": {"site": "Zürich"}}
    assert "no metadata" not in caplog.text and "unknown document" not in caplog.text
    segments_csv = tmp_path / "segments.csv"  # a segments table joins the same way
    segments_csv.write_text("segment_id,text,document\ns1,Hello.,fg_zu\u0308rich\n", encoding="utf-8")
    assert read_segments(segments_csv, metadata=meta)["site"].tolist() == ["Zürich"]


def test_metadata_values_lose_the_spaces_around_them(tmp_path):
    """"Kampala " and "Kampala" (a space typed after a value in a spreadsheet) were two sites in ``discover --by``."""
    (tmp_path / "a.txt").write_text("Mod: Hello.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Mod: Hi.\n", encoding="utf-8")
    meta = tmp_path / "meta.csv"
    meta.write_text("document,site,group\na, Kampala ,peer  workers\u00a0\nb,Kampala,\t\n", encoding="utf-8")
    assert read_metadata(meta).values.tolist() == [["a", "Kampala", "peer  workers"], ["b", "Kampala", ""]]
    documents = read_documents(tmp_path, metadata=meta)
    assert [d.metadata["site"] for d in documents] == ["Kampala", "Kampala"]
