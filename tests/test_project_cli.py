"""``theme-assist project``: init from the demo transcripts and reference coding, suggest, export, errors."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from theme_assist.cli import main
from theme_assist.codebook import packaged_codebook
from theme_assist.project import ProjectStore
from theme_assist.project.testing import run_command as run
from theme_assist.segment import segmentation_tag


REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "corpora" / "demo"
SUBSET = ["fg_ulm_01", "iv_ulm_01"]


@pytest.fixture()
def demo_subset(tmp_path):
    folder = tmp_path / "demo"
    folder.mkdir()
    for name in SUBSET:
        shutil.copy(DEMO / "transcripts" / f"{name}.txt", folder)
    coded = pd.read_csv(DEMO / "reference_coding.csv")
    coded = coded[coded["document"] == SUBSET[0]].assign(coder="reference")
    coded.to_csv(tmp_path / "coded.csv", index=False)
    return folder, DEMO / "metadata.csv", tmp_path / "coded.csv"


def test_init_suggest_export(tmp_path, demo_subset, capsys):
    folder, metadata, coded = demo_subset
    project = tmp_path / "demo.taproj"
    assert run("project", "init", str(project), "--codebook", str(packaged_codebook("upsides")), "--input",
               str(folder), "--metadata", str(metadata), "--coded", str(coded)) == 0
    said = capsys.readouterr().err  # not a terminal: the one-line message stays one line, as in a batch job's log
    (done,) = [line for line in said.splitlines() if line.startswith("✓")]
    assert "19 codes to code with (28 with their parents)" in done and done.endswith(" human codings")
    with ProjectStore(project) as store:
        documents = store.documents()
        assert documents["document"].tolist() == sorted(SUBSET) and set(documents["site"]) == {"Ulm"}
        codings = store.codings()
        assert len(codings) == len(pd.read_csv(coded)) and set(codings["coder"]) == {"reference"}
        assert store.codebook_history()["version"].tolist() == [1]

    assert run("project", "suggest", str(project), "--top-k", "2") == 0
    with ProjectStore(project) as store:
        run_ = store.latest_run()
        assert run_["mode"] == "trained" and run_["n_training"] == len(pd.read_csv(coded))
        assert store.suggestions()["segment_id"].nunique() == len(store.segments())
        assert len(store.queue()) == len(store.segments()) - run_["n_training"]

    audit, codings_out, qdpx = tmp_path / "audit.csv", tmp_path / "codings.csv", tmp_path / "demo.qdpx"
    assert run("project", "export", str(project), "--audit", str(audit), "--codings", str(codings_out),
               "--qdpx", str(qdpx)) == 0
    trail = pd.read_csv(audit)
    assert set(trail["event"]) == {"codebook", "human_coding", "machine_suggestion"}
    assert trail.loc[trail["event"] == "machine_suggestion", "model_id"].str.contains("all-MiniLM-L6-v2").all()
    assert len(pd.read_csv(codings_out)) == len(pd.read_csv(coded))
    with zipfile.ZipFile(qdpx) as archive:
        assert "project.qde" in archive.namelist()
        assert "reference" in archive.read("project.qde").decode("utf-8")
    exported, trail_bytes = qdpx.read_bytes(), audit.read_bytes()
    capsys.readouterr()
    assert run("project", "export", str(project), "--audit", str(audit), "--qdpx", str(qdpx)) == 2
    assert "exists (use --force" in capsys.readouterr().err
    assert qdpx.read_bytes() == exported and audit.read_bytes() == trail_bytes
    assert run("project", "export", str(project), "--qdpx", str(qdpx), "--force") == 0

    assert run("project", "info", str(project)) == 0
    said = capsys.readouterr().out
    assert "demo: 2 documents" in said and "  codebook v1: " in said and "fitted on codebook" not in said
    revised = tmp_path / "revised.yaml"
    revised.write_text(packaged_codebook("upsides").read_text().replace("name: Role clarity", "name: Role"))
    assert run("project", "codebook", str(project), "--codebook", str(revised), "--author", "ana", "--note",
               "shorter [name]") == 0
    capsys.readouterr()
    assert run("project", "info", str(project)) == 0
    said = capsys.readouterr().out
    assert ", ana, shorter [name]\n" in said
    assert "fitted on codebook v1: run `theme-assist project suggest` to suggest with v2" in said


@pytest.mark.parametrize("problem, message", [
    ("unknown_code", "(line 2, 3, 4, 5, 6, …) is not in codebook 'UPSIDES peer support'"),
    ("no_codebook", "needs a codebook"),
    ("exists", "already exists"),
])
def test_init_errors_are_one_line_and_leave_no_file(tmp_path, demo_subset, capsys, problem, message):
    folder, metadata, coded = demo_subset
    project = tmp_path / "bad.taproj"
    argv = ["project", "init", str(project), "--codebook", str(packaged_codebook("upsides")), "--input", str(folder)]
    if problem == "unknown_code":
        pd.read_csv(coded).assign(code="no_such_code").to_csv(coded, index=False)
        argv += ["--coded", str(coded)]
    elif problem == "no_codebook":
        argv = argv[:3] + argv[5:]
    elif problem == "exists":
        project.write_bytes(b"")
    assert run(*argv) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1
    assert project.exists() == (problem == "exists")


def test_init_refuses_an_existing_project_before_reading_the_transcripts(tmp_path, demo_subset, capsys):
    """An init run twice read (and warned of) every transcript before it said the project existed: the error came
    after a warning, and after minutes on a large corpus."""
    folder, metadata, coded = demo_subset
    (folder / "latin1.txt").write_bytes("Ann: Un café crème.\nBob: Très bien.\n".encode("cp1252"))
    project = tmp_path / "study.taproj"
    argv = ["project", "init", str(project), "--codebook", str(packaged_codebook("upsides")), "--input", str(folder)]
    assert run(*argv) == 0
    capsys.readouterr()
    made = project.read_bytes()
    assert run(*argv) == 2
    said = capsys.readouterr().err.strip()
    assert said == f"theme-assist: error: {project} already exists; choose another name or remove it first"
    assert project.read_bytes() == made


def test_init_names_every_unknown_code_of_the_coded_table_with_the_hint_suggest_gives(tmp_path, demo_subset,
                                                                                        capsys, monkeypatch):
    """A --coded table with codes by name, or in another case, was refused one code per run and without the hint
    suggest --train gives for the same table ("did you mean …?"); and without the lines, after the transcripts
    were read."""
    folder, metadata, coded = demo_subset
    table = pd.read_csv(coded)
    table.loc[table.index[:2], "code"] = ["Other", "no_such_code"]  # a name, and no code
    table.to_csv(coded, index=False)
    argv = ["project", "init", str(tmp_path / "p.taproj"), "--codebook", str(packaged_codebook("upsides")),
            "--input", str(folder), "--coded", str(coded)]
    import theme_assist.ingest

    def not_reached(*args, **kwargs):
        raise AssertionError("the transcripts were read before the coded table was checked")

    monkeypatch.setattr(theme_assist.ingest, "read_documents", not_reached)
    assert run(*argv) == 2
    error = capsys.readouterr().err.strip()
    assert f"coded segments {coded}: code 'Other' (line 2) is not in codebook 'UPSIDES peer support'" in error
    assert "(did you mean 'other'? ids are matched as written)" in error
    assert error.endswith("; 1 more not in it either: no_such_code (line 3)") and len(error.splitlines()) == 1


def test_init_and_add_say_the_coder_a_coded_table_without_coders_is_stored_under(tmp_path, demo_subset, capsys):
    """A --coded table without a coder column is stored (and exported, in a .qdpx as its user) under the file's
    name; only project info said so, not the ✓ line of init or add."""
    folder, metadata, coded = demo_subset
    table = pd.read_csv(coded)
    unnamed = tmp_path / "coded_ann.csv"
    table.drop(columns="coder").to_csv(unnamed, index=False)
    project = tmp_path / "p.taproj"
    assert run("project", "init", str(project), "--codebook", str(packaged_codebook("upsides")), "--input",
               str(folder / f"{SUBSET[0]}.txt"), "--coded", str(unnamed)) == 0
    (done,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("✓")]
    assert done.endswith(f"{len(table)} human codings as coder 'coded_ann.csv' (named after the file: a 'coder' "
                         "column names one)")
    later = tmp_path / "later"
    later.mkdir()
    shutil.copy(folder / f"{SUBSET[1]}.txt", later)
    added = pd.read_csv(DEMO / "reference_coding.csv").loc[lambda frame: frame["document"] == SUBSET[1]]
    added.head(2).assign(coder="bo").to_csv(tmp_path / "coded_later.csv", index=False)
    assert run("project", "add", str(project), str(later), "--coded", str(tmp_path / "coded_later.csv")) == 0
    assert "2 human codings;" in capsys.readouterr().err  # coder named: nothing said
    (tmp_path / "later2").mkdir()
    shutil.copy(DEMO / "transcripts" / "iv_pune_02.txt", tmp_path / "later2")
    pune = pd.read_csv(DEMO / "reference_coding.csv").loc[lambda frame: frame["document"] == "iv_pune_02"].head(3)
    pune.assign(coder=["bo", "", ""]).to_csv(tmp_path / "coded_pune.csv", index=False)
    assert run("project", "add", str(project), str(tmp_path / "later2"), "--coded",
               str(tmp_path / "coded_pune.csv")) == 0
    assert ("3 human codings, 2 of them as coder 'coded_pune.csv' (named after the file: a 'coder' column names "
            "one);") in capsys.readouterr().err


def test_coded_tables_are_placed_by_id_turn_span_or_text(tmp_path):
    from theme_assist.errors import InputError
    from theme_assist.ingest import read_documents
    from theme_assist.project.build import codings_for_segments
    from theme_assist.segment import segment_documents

    (tmp_path / "iv1.txt").write_text("Ann: I got paid.\nBob: My mother helps.\nAnn: Yes.\nBob: Good.\nAnn: Yes.\n")
    (tmp_path / "iv2.txt").write_text("Ann: I got paid.\nBob: Fine.\n")
    documents = read_documents(tmp_path)
    every_segment = segment_documents(documents)
    segments = every_segment[every_segment["text"].isin(["I got paid.", "My mother helps."])]
    first, second, third = segments["segment_id"].tolist()
    expected = [(first, "work"), (second, "family")]

    def placed(table: dict) -> list[tuple[str, str]]:
        frame = pd.DataFrame(table).astype(str)
        placed_rows = codings_for_segments(frame, segments, "coded.csv", documents=documents)
        return list(placed_rows[["segment_id", "code"]].itertuples(index=False, name=None))

    assert placed({"segment_id": [first, second], "text": ["I got  paid.", "My mother helps."],
                   "code": ["work", "family"]}) == expected
    assert placed({"document": ["iv1", "iv1"], "turn": [0, 1], "code": ["work", "family"]}) == expected
    starts = segments.set_index("segment_id")["start"]
    assert placed({"document": ["iv1", "iv1"], "start": [starts[first], starts[second] + 3],
                   "end": [starts[first] + 9, starts[second] + 16], "code": ["work", "family"]}) == expected
    assert placed({"text": ["My mother helps."], "code": ["family"]}) == [(second, "family")]
    assert placed({"text": ["I got paid."], "code": ["work"]}) == [(first, "work"), (third, "work")]  # both say it
    assert placed({"document": ["iv2"], "text": ["I got paid."], "code": ["work"]}) == [(third, "work")]
    for table, message in [
        ({"segment_id": [first], "text": ["Something else."], "code": ["work"]}, "text of segment .* is not the "
                                                                                   "project's"),
        ({"text": ["Never said."], "code": ["work"]}, "no segment of the project has the text 'Never said.'"),
        ({"document": ["iv3"], "start": [0], "end": [5], "code": ["work"]}, "document 'iv3' is not in the project"),
        ({"id": ["x"], "code": ["work"]}, "needs the project's segment_id values, document and turn"),
        ({"document": ["iv1", "iv1"], "turn": ["0", "1.0"], "code": ["work", "family"]},
         r"coded.csv: the 'turn' column must hold whole numbers, not '1.0' \(line 3\)"),
    ]:
        with pytest.raises(InputError, match=message):
            placed(table)
    ambiguous = pd.DataFrame({"document": ["iv1"], "text": ["Yes."], "code": ["work"]})
    with pytest.raises(InputError, match=r"the text 'Yes\.' is said 2 times in document 'iv1' \(iv1:2, iv1:4\)"):
        codings_for_segments(ambiguous, every_segment, "coded.csv", documents=documents)


def test_a_coded_table_whose_texts_keep_the_closing_timestamps_is_placed_by_id(tmp_path):
    # turns' texts once kept f4's closing timestamps: a table made then was refused as from another segmentation
    from theme_assist.errors import InputError
    from theme_assist.ingest import read_documents
    from theme_assist.project.build import codings_for_segments
    from theme_assist.segment import segment_documents

    (tmp_path / "iv.txt").write_text("I: Wie geht es? #00:00:05-3#\nB: Gut. #00:00:07-1#\n")
    documents = read_documents(tmp_path)
    segments = segment_documents(documents)
    ids = segments["segment_id"].tolist()
    table = pd.DataFrame({"segment_id": ids, "text": ["Wie geht es? #00:00:05-3#", "Gut. #00:00:07-1#"],
                          "code": ["a", "b"]})
    placed = codings_for_segments(table, segments, "coded.csv", documents=documents)
    assert placed[["segment_id", "code"]].values.tolist() == [[ids[0], "a"], [ids[1], "b"]]
    with pytest.raises(InputError, match="text of segment .* is not the project's"):
        codings_for_segments(table.assign(text=["Gut. #00:00:07-1#", "Wie geht es?"]), segments, "coded.csv",
                             documents=documents)


def test_a_coded_table_whose_segment_ids_shifted_is_refused_by_project_init(tmp_path, capsys):
    # segment ids are positions: a table made when the transcript was segmented otherwise (here: before a closing
    # timestamp was left out of a turn's text) names segments that exist but say something else
    (tmp_path / "iv.txt").write_text("I: Wie geht es? #00:00:05-3#\nB: Gut. Sehr gut. #00:00:07-1#\nI: Schön.\n")
    pd.DataFrame({"segment_id": ["iv:0", "iv:1"], "text": ["Gut. Sehr gut.", "Schön."],
                  "code": ["other", "other"]}).to_csv(tmp_path / "coded.csv", index=False)
    project = tmp_path / "study.taproj"
    assert run("project", "init", str(project), "--codebook", str(packaged_codebook("upsides")), "--input",
               str(tmp_path / "iv.txt"), "--coded", str(tmp_path / "coded.csv")) == 2
    assert ("coded.csv: the text of segment 'iv:0' is not the project's (2 rows differ): was the table made from "
            "another segmentation?") in capsys.readouterr().err
    assert not project.exists()


@pytest.mark.parametrize("rows", ["document,turn,code,text\n,,,\n,,,\n", "document,turn,code,text\niv,1,,Gut.\n"])
def test_a_coded_table_without_a_code_is_refused_as_a_header_only_one_is(tmp_path, capsys, rows):
    (tmp_path / "iv.txt").write_text("I: Wie geht es?\nB: Gut.\n")
    (tmp_path / "coded.csv").write_text(rows)
    project = tmp_path / "study.taproj"
    assert run("project", "init", str(project), "--codebook", str(packaged_codebook("upsides")), "--input",
               str(tmp_path / "iv.txt"), "--coded", str(tmp_path / "coded.csv")) == 2
    assert "coded.csv: no row has a code, so there is nothing to import" in capsys.readouterr().err
    assert not project.exists()


def test_a_failed_init_into_a_new_folder_leaves_no_folder(tmp_path, capsys):
    (tmp_path / "iv.txt").write_text("I: Wie geht es?\nB: Gut.\n")
    (tmp_path / "coded.csv").write_text("segment_id,code\nnone:0,other\n")
    (tmp_path / "studies").mkdir()  # there already: kept
    project = tmp_path / "studies" / "2024" / "site" / "study.taproj"
    assert run("project", "init", str(project), "--codebook", str(packaged_codebook("upsides")), "--input",
               str(tmp_path / "iv.txt"), "--coded", str(tmp_path / "coded.csv")) == 2
    assert "cannot place its codings" in capsys.readouterr().err
    assert [path.name for path in (tmp_path / "studies").iterdir()] == []


def test_a_coded_table_of_another_segmentation_is_placed_by_text_or_refused_without_text(tmp_path, capsys):
    # a segment_id, code table an earlier version wrote (its segmentation column says so), coded in a spreadsheet
    # that dropped the text: its ids exist in the project, but name other turns (iv:1 was "Gut. Sehr gut.")
    (tmp_path / "iv.txt").write_text("I: Wie geht es?\nB: Gut. Sehr gut.\nI: Schön.\n")
    old = pd.DataFrame({"segment_id": ["iv:1", "iv:2"], "code": ["psw_self_disclosure", "psw_personal_gains"],
                        "segmentation": ["v0-turn-1000", "v0-turn-1000"]})
    old.to_csv(tmp_path / "coded.csv", index=False)
    init = ["project", "init", str(tmp_path / "study.taproj"), "--codebook", str(packaged_codebook("upsides")),
            "--input", str(tmp_path / "iv.txt"), "--coded", str(tmp_path / "coded.csv")]
    assert run(*init) == 2
    err = capsys.readouterr().err
    assert (f"coded.csv: its segment ids come from segmentation v0-turn-1000, and this project's transcripts are "
            f"segmented as {segmentation_tag()} (another version of theme_assist, or other --unit/--max-chars), so "
            "its ids may name other segments, and it has no text to place its rows by: export the segments with "
            "this version (suggest --segments-out) and map your codes onto them by their text") in " ".join(
        err.split())
    assert "Traceback" not in err and not (tmp_path / "study.taproj").exists()
    # with its texts it is placed by them, and says so
    old.assign(text=["Wie geht es?", "Gut. Sehr gut."]).to_csv(tmp_path / "coded.csv", index=False)
    assert run(*init) == 0
    assert "its rows are placed by their text, not by segment_id" in " ".join(capsys.readouterr().err.split())
    with ProjectStore(tmp_path / "study.taproj") as store:
        assert store.codings()[["segment_id", "code"]].values.tolist() == [["iv:0", "psw_self_disclosure"],
                                                                        ["iv:1", "psw_personal_gains"]]
        assert store.segmentation == segmentation_tag()
    # made by this segmentation (or without the column, as before tags): placed by segment_id
    (tmp_path / "study.taproj").unlink()
    old.assign(segmentation=segmentation_tag()).to_csv(tmp_path / "coded.csv", index=False)
    assert run(*init) == 0
    with ProjectStore(tmp_path / "study.taproj") as store:
        assert store.codings()[["segment_id", "code"]].values.tolist() == [["iv:1", "psw_self_disclosure"],
                                                                        ["iv:2", "psw_personal_gains"]]


def _init_by_sentence(tmp_path) -> list[str]:
    """``project init --unit sentence`` of a folder holding an interview of two turns of two sentences each, with
    the codings of ``coded.csv`` (written by the caller)."""
    (tmp_path / "tr").mkdir()
    (tmp_path / "tr" / "iv.txt").write_text("I: How are you? Did you sleep?\nB: Yes. Very well, thanks.\n")
    return ["project", "init", str(tmp_path / "study.taproj"), "--codebook", str(packaged_codebook("upsides")),
            "--input", str(tmp_path / "tr"), "--coded", str(tmp_path / "coded.csv"), "--unit", "sentence"]


def _assert_each_turn_codes_its_sentences(tmp_path, init: list[str], capsys) -> None:
    """``init`` places the two rows of ``coded.csv`` by document and turn: each codes both sentences of its turn."""
    assert run(*init) == 0, capsys.readouterr().err
    assert "its rows are placed by document and turn, not by segment_id" in " ".join(capsys.readouterr().err.split())
    with ProjectStore(tmp_path / "study.taproj") as store:
        assert store.codings()[["segment_id", "code"]].values.tolist() == [
            ["iv:0", "psw_self_disclosure"], ["iv:1", "psw_self_disclosure"],
            ["iv:2", "psw_personal_gains"], ["iv:3", "psw_personal_gains"]]


def test_a_coded_table_of_other_options_is_placed_by_document_and_turn(tmp_path, capsys):
    """A --segments-out table coded in a spreadsheet (its segmentation column kept, as the README asks) goes into a
    project segmented by sentence: its ids name other segments, but its turns are this version's and say its
    texts, so each row codes every sentence of its turn (placed by text, a turn's text is no sentence's: it was
    refused)."""
    from theme_assist.inputs import read_segments

    init = _init_by_sentence(tmp_path)
    coded = read_segments(tmp_path / "tr")[["segment_id", "document", "turn", "text", "segmentation"]]
    coded.assign(code=["psw_self_disclosure", "psw_personal_gains"]).to_csv(tmp_path / "coded.csv", index=False)
    _assert_each_turn_codes_its_sentences(tmp_path, init, capsys)
    # another version's turns may be other turns, and turns that do not say the rows' texts are other turns:
    # placed by text, as before (here refused: no sentence has it)
    (tmp_path / "study.taproj").unlink()
    for other in (coded.assign(segmentation="v0-turn-1000"), coded.assign(turn=["1", "0"])):
        other.assign(code=["psw_self_disclosure", "psw_personal_gains"]).to_csv(tmp_path / "coded.csv", index=False)
        assert run(*init) == 2
        assert "its rows are placed by their text" in " ".join(capsys.readouterr().err.split())


def test_a_table_by_turn_of_segmentation_version_1_is_placed_by_document_and_turn_where_its_turns_say_it(
        tmp_path, capsys):
    """Version 2 joins a subtitle speaker's consecutive cues into one turn (and starts one at a heading after the
    first turn), and reads other transcripts as version 1 did: a version-1 table of turns coded in a spreadsheet
    went by text into a project by sentence (refused: a turn's text is no sentence's); its rows are placed by turn
    where each turn says its row's text, by text where a turn is another (a cue joined with the next)."""
    init = _init_by_sentence(tmp_path)
    (tmp_path / "tr" / "teams.vtt").write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v I>How was it?\n\n"
                                               "00:00:02.000 --> 00:00:03.000\n<v B>Good. I slept\n\n"
                                               "00:00:03.000 --> 00:00:04.000\n<v B>well.\n")
    pd.DataFrame({"segment_id": ["iv:0", "iv:1"], "document": "iv", "turn": ["0", "1"], "segmentation": "v1-turn-1000",
                  "text": ["How are you? Did you sleep?", "Yes. Very well, thanks."],
                  "code": ["psw_self_disclosure", "psw_personal_gains"]}).to_csv(tmp_path / "coded.csv", index=False)
    _assert_each_turn_codes_its_sentences(tmp_path, init, capsys)
    (tmp_path / "study.taproj").unlink()
    pd.DataFrame({"segment_id": ["teams:1"], "document": "teams", "turn": ["1"], "segmentation": "v1-turn-1000",
                  "text": ["Good. I slept"], "code": ["psw_personal_gains"]}).to_csv(tmp_path / "coded.csv",
                                                                                   index=False)
    assert run(*init) == 2  # version 1's turn 1, a cue, is part of this version's: by text, which no sentence is
    assert "its rows are placed by their text" in " ".join(capsys.readouterr().err.split())


def test_a_table_by_turn_whose_texts_keep_the_closing_timestamps_is_placed_by_document_and_turn(tmp_path, capsys):
    """Turns whose texts keep f4's closing timestamps, as a table made when transcripts were read so has them, say
    their rows' texts: into a project by sentence, by document and turn, and as the turns the table names."""
    (tmp_path / "tr").mkdir()
    (tmp_path / "tr" / "iv.txt").write_text("I: How are you? Did you sleep? #00:00:05-3#\nB: Yes. Well. #00:00:07-1#\n")
    pd.DataFrame({"document": ["iv", "iv"], "turn": ["0", "1"], "segmentation": [segmentation_tag()] * 2,
                  "text": ["How are you? Did you sleep? #00:00:05-3#", "Yes. Well. #00:00:07-1#"],
                  "code": ["psw_self_disclosure", "psw_personal_gains"]}).to_csv(tmp_path / "coded.csv", index=False)
    init = ["project", "init", str(tmp_path / "study.taproj"), "--codebook", str(packaged_codebook("upsides")),
            "--input", str(tmp_path / "tr"), "--coded", str(tmp_path / "coded.csv")]
    for unit in ("turn", "sentence"):
        (tmp_path / "study.taproj").unlink(missing_ok=True)
        assert run(*init, "--unit", unit) == 0, capsys.readouterr().err
        with ProjectStore(tmp_path / "study.taproj") as store:
            assert store.codings()["code"].tolist() == (["psw_self_disclosure"] * 2 + ["psw_personal_gains"] * 2
                                                        if unit == "sentence" else
                                                        ["psw_self_disclosure", "psw_personal_gains"])


def test_a_coded_table_of_other_turns_is_refused_not_placed_on_other_segments(tmp_path, capsys):
    """A project made from a SEGMENTS.csv of sentences numbers its rows as turns; a reference coding by document
    and turn of the transcripts landed on the n-th sentence, not on turn n, without a word."""
    from theme_assist.inputs import read_segments, write_table

    (tmp_path / "tr").mkdir()
    (tmp_path / "tr" / "iv.txt").write_text("I: How are you? Did you sleep?\nB: Yes. Very well, thanks.\n")
    write_table(read_segments(tmp_path / "tr", unit="sentence"), tmp_path / "segments.csv")
    pd.DataFrame({"document": ["iv", "iv"], "turn": ["0", "1"], "text": ["How are you? Did you sleep?",
                                                                        "Yes. Very well, thanks."],
                  "code": ["psw_self_disclosure", "psw_personal_gains"]}).to_csv(tmp_path / "coded.csv", index=False)
    init = ["project", "init", str(tmp_path / "study.taproj"), "--codebook", str(packaged_codebook("upsides")),
            "--coded", str(tmp_path / "coded.csv"), "--input"]
    assert run(*init, str(tmp_path / "segments.csv")) == 2
    assert ("coded.csv: turn 0 of document 'iv' in the project does not say the text 'How are you? Did you sleep?' "
            "(2 rows differ)") in " ".join(capsys.readouterr().err.split())
    assert not (tmp_path / "study.taproj").exists()
    # from the transcripts, by sentence, each row codes every sentence of its turn
    assert run(*init, str(tmp_path / "tr"), "--unit", "sentence") == 0
    with ProjectStore(tmp_path / "study.taproj") as store:
        assert store.codings()["code"].tolist() == ["psw_self_disclosure"] * 2 + ["psw_personal_gains"] * 2


def test_a_table_of_sentences_of_other_options_codes_its_sentences_not_the_whole_turn(tmp_path, capsys):
    """A table finer than a turn (sentences of another --max-chars) was placed by document and turn: each code on
    every segment of its turn. Only whole turns are placed so; finer rows by their text."""
    from theme_assist.inputs import read_segments

    (tmp_path / "tr").mkdir()
    (tmp_path / "tr" / "iv.txt").write_text("B: I lost my job. My sister helped me through all of it, every single day "
                                            "of that long and difficult winter. Then it got better.\n")
    sentences = read_segments(tmp_path / "tr", unit="sentence", max_chars=60)  # the second sentence in two pieces
    assert len(sentences) == 4
    coded = sentences.assign(code=["psw_self_disclosure", "", "", "psw_personal_gains"])
    coded[["segment_id", "document", "turn", "text", "code", "segmentation"]].to_csv(tmp_path / "coded.csv",
                                                                                    index=False)
    init = ["project", "init", str(tmp_path / "study.taproj"), "--codebook", str(packaged_codebook("upsides")),
            "--input", str(tmp_path / "tr"), "--unit", "sentence", "--coded", str(tmp_path / "coded.csv")]
    assert run(*init) == 0, capsys.readouterr().err
    with ProjectStore(tmp_path / "study.taproj") as store:
        assert store.codings()[["segment_id", "code"]].values.tolist() == [["iv:0", "psw_self_disclosure"],
                                                                        ["iv:2", "psw_personal_gains"]]


def test_a_table_by_turn_whose_texts_are_the_transcripts_lines_is_placed(tmp_path, capsys):
    """A reference coding by document and turn whose text is the line as written, speaker's label and all."""
    (tmp_path / "fg1.txt").write_text("Dana: Can we talk about work?\n[00:01:05] Moderator: Of course, go on.\n")
    pd.DataFrame({"document": ["fg1", "fg1"], "turn": [0, 1], "code": ["psw_self_disclosure", "psw_personal_gains"],
                  "text": ["Dana: Can we talk about work?", "[00:01:05] Moderator: Of course, go on."]}).to_csv(
        tmp_path / "coded.csv", index=False)
    init = ["project", "init", str(tmp_path / "study.taproj"), "--codebook", str(packaged_codebook("upsides")),
            "--input", str(tmp_path / "fg1.txt"), "--coded", str(tmp_path / "coded.csv")]
    assert run(*init) == 0, capsys.readouterr().err
    with ProjectStore(tmp_path / "study.taproj") as store:
        assert store.codings()["code"].tolist() == ["psw_self_disclosure", "psw_personal_gains"]


def test_a_coded_table_of_another_tag_whose_ids_name_their_texts_is_placed_by_id(tmp_path, capsys):
    """Other --max-chars that split no turn here: the ids still name the segments of the texts the table holds,
    so a text said twice ("Yeah.") is placed by its id, not refused as ambiguous."""
    (tmp_path / "iv.txt").write_text("I: How are you?\nB: Yeah.\nI: Fine?\nB: Yeah.\n")
    coded = pd.DataFrame({"segment_id": ["iv:3"], "text": ["Yeah."], "code": ["psw_self_disclosure"],
                          "segmentation": [segmentation_tag(max_chars=300)]})
    coded.to_csv(tmp_path / "coded.csv", index=False)
    init = ["project", "init", str(tmp_path / "study.taproj"), "--codebook", str(packaged_codebook("upsides")),
            "--input", str(tmp_path / "iv.txt"), "--coded", str(tmp_path / "coded.csv")]
    assert run(*init) == 0, capsys.readouterr().err
    assert "placed by their text" not in capsys.readouterr().err
    with ProjectStore(tmp_path / "study.taproj") as store:
        assert store.codings()[["segment_id", "code"]].values.tolist() == [["iv:3", "psw_self_disclosure"]]


def test_a_project_of_a_segments_table_records_the_tables_segmentation(tmp_path, capsys):
    """Its segments keep the table's ids, so they are of the table's segmentation (unknown where it has no tag),
    not of the options project init was given; a coded table of that segmentation is placed by its ids."""
    from theme_assist.inputs import read_segments, write_table

    (tmp_path / "tr").mkdir()
    (tmp_path / "tr" / "iv.txt").write_text("I: How are you?\nB: Yeah, fine, thanks for asking.\n")
    segments = read_segments(tmp_path / "tr", max_chars=500)
    write_table(segments, tmp_path / "segments.csv")
    pd.DataFrame({"segment_id": ["iv:1"], "code": ["psw_self_disclosure"],
                  "segmentation": [segmentation_tag(max_chars=500)]}).to_csv(tmp_path / "coded.csv", index=False)
    init = ["project", "init", str(tmp_path / "study.taproj"), "--codebook", str(packaged_codebook("upsides")),
            "--input", str(tmp_path / "segments.csv"), "--coded", str(tmp_path / "coded.csv")]
    assert run(*init) == 0, capsys.readouterr().err
    with ProjectStore(tmp_path / "study.taproj") as store:
        assert store.segmentation == segmentation_tag(max_chars=500)
        assert store.codings()["segment_id"].tolist() == ["iv:1"]
    (tmp_path / "study.taproj").unlink()
    write_table(segments.drop(columns="segmentation"), tmp_path / "segments.csv")
    assert run(*init) == 0, capsys.readouterr().err
    with ProjectStore(tmp_path / "study.taproj") as store:
        assert store.segmentation == ""


def test_a_text_code_table_whose_texts_keep_the_closing_timestamps_is_placed_by_text(tmp_path):
    # a `text, code` table (no segment_id) made when turns' texts kept f4's closing timestamps
    from theme_assist.errors import InputError
    from theme_assist.ingest import read_documents
    from theme_assist.project.build import codings_for_segments
    from theme_assist.segment import segment_documents

    (tmp_path / "iv.txt").write_text("I: Wie geht es? #00:00:05-3#\nB: I agree. #00:01:02-3#\n")
    documents = read_documents(tmp_path)
    segments = segment_documents(documents)
    ids = segments["segment_id"].tolist()
    table = pd.DataFrame({"text": ["I agree. #00:01:02-3#", "Wie geht es?"], "code": ["b", "a"]})
    placed = codings_for_segments(table, segments, "coded.csv", documents=documents)
    assert placed[["segment_id", "code"]].values.tolist() == [[ids[1], "b"], [ids[0], "a"]]
    with pytest.raises(InputError, match=r"no segment of the project has the text 'Never said\. #00:01:09-0#'"):
        codings_for_segments(table.assign(text=["Never said. #00:01:09-0#", "Wie geht es?"]), segments, "coded.csv",
                             documents=documents)


def test_coded_spans_count_a_crlf_file_as_written_or_as_read(tmp_path):
    from theme_assist.errors import InputError
    from theme_assist.ingest import read_documents
    from theme_assist.project.build import codings_for_segments
    from theme_assist.segment import segment_documents

    said = [f"{'Ann' if i % 2 == 0 else 'Bob'}: Line {i} of the talk." for i in range(40)]
    on_disk = "\r\n".join(said) + "\r\n"
    (tmp_path / "iv1.txt").write_bytes(on_disk.encode("utf-8"))
    documents = read_documents(tmp_path)
    segments = segment_documents(documents)
    read = documents[0].text
    line_30 = "Line 30 of the talk."  # 30 \r before it: more than its length

    def placed(start: int, end: int, text: str | None) -> list[str]:
        table = {"document": ["iv1"], "start": [str(start)], "end": [str(end)], "code": ["work"]}
        table |= {} if text is None else {"text": [text]}
        rows = codings_for_segments(pd.DataFrame(table), segments, "coded.csv", documents=documents)
        return segments.set_index("segment_id").loc[rows["segment_id"], "text"].tolist()

    # offsets into the file as written (import-qdpx's codings.csv), with or without the text
    start = on_disk.index(line_30)
    assert placed(start, start + len(line_30), line_30) == [line_30]
    assert placed(start, start + len(line_30), None) == [line_30]
    # offsets into the text as read, newlines normalised (a table made from the project's segments)
    start = read.index(line_30)
    assert placed(start, start + len(line_30), line_30) == [line_30]
    # a span across a line end whose text a spreadsheet gave back with \n
    start = on_disk.index("Line 29")
    end = on_disk.index(line_30) + len(line_30)
    assert placed(start, end, f"Line 29 of the talk.\nAnn: {line_30}") == ["Line 29 of the talk.", line_30]
    with pytest.raises(InputError, match=r"coded.csv, row 2: its text does not match 'iv1' at characters"):
        placed(start, start + 7, "Line 30")


def test_a_coding_that_covers_no_text_is_named_in_one_warning_line(tmp_path, capsys):
    (tmp_path / "iv1.txt").write_text("Ann: I got paid.\nBob: My mother helps.\n")
    (tmp_path / "coded.csv").write_text("document,start,end,code\niv1,0,3,work\niv1,5,16,work\n")
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text("codes:\n  - id: work\n    name: Work\n    definition: paid work\n")
    for attempt in ("a", "b"):  # the second run prints the warning once too: no handler left behind
        assert run("project", "init", str(tmp_path / f"{attempt}.taproj"), "--codebook", str(codebook), "--input",
                   str(tmp_path / "iv1.txt"), "--coded", str(tmp_path / "coded.csv")) == 0
        warning = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
        assert warning == ["theme-assist: warning: 1 coding(s) cover no text of any segment and are left out "
                           "(first: 'work' in document 'iv1', characters 0-3)"]
        with ProjectStore(tmp_path / f"{attempt}.taproj") as store:
            assert store.codings()["code"].tolist() == ["work"]


def test_coded_table_columns_match_apart_from_case(tmp_path):
    (tmp_path / "iv1.txt").write_text("Ann: I got paid.\nBob: My mother helps.\n")
    (tmp_path / "coded.csv").write_text("Document,Turn,Code,Coder\niv1,0,work,Ann\n")
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text("codes:\n  - id: work\n    name: Work\n    definition: paid work\n"
                        "  - id: family\n    name: Family\n    definition: relatives\n")
    assert run("project", "init", str(tmp_path / "p.taproj"), "--codebook", str(codebook), "--input",
               str(tmp_path / "iv1.txt"), "--coded", str(tmp_path / "coded.csv")) == 0
    with ProjectStore(tmp_path / "p.taproj") as store:
        assert store.codings()[["segment_id", "code", "coder"]].values.tolist() == [["iv1:0", "work", "Ann"]]


@pytest.fixture()
def small_project(tmp_path):
    """A project made from a transcript, a metadata table, a codebook and a coded table in ``tmp_path``."""
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / "iv1.txt").write_text("Ann: I got paid.\nBob: My mother helps.\n")
    (tmp_path / "meta.csv").write_text("document,site\niv1,Ulm\n")
    (tmp_path / "coded.csv").write_text("document,turn,code,coder\niv1,0,work,Ann\niv1,1,family,Ann\n")
    (tmp_path / "codebook.yaml").write_text("codes:\n  - id: work\n    name: Work\n    definition: paid work\n"
                                            "  - id: family\n    name: Family\n    definition: relatives\n")
    project = tmp_path / "p.taproj"
    assert run("project", "init", str(project), "--codebook", str(tmp_path / "codebook.yaml"), "--input",
               str(tmp_path / "transcripts"), "--metadata", str(tmp_path / "meta.csv"), "--coded",
               str(tmp_path / "coded.csv")) == 0
    return project


@pytest.mark.parametrize("option, target, read_as", [
    ("--codings", "coded.csv", "project init --coded"),
    ("--audit", "meta.csv", "project init --metadata"),
    ("--qdpx", "codebook.yaml", "project init --codebook"),
    ("--audit", "transcripts/audit.csv", "project init --input"),
])
def test_export_never_replaces_a_file_the_project_was_made_from(tmp_path, small_project, capsys, option, target,
                                                                  read_as):
    before = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file() and path != small_project}
    capsys.readouterr()
    assert run("project", "export", str(small_project), option, str(tmp_path / target), "--force") == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("theme-assist: error:") and read_as in error and len(error.splitlines()) == 1
    after = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file() and path != small_project}
    assert after == before


@pytest.mark.parametrize("option, name", [("--audit", "audit.csv"), ("--codings", "codings.tsv"),
                                          ("--qdpx", "p.qdpx")])
def test_export_replaces_an_existing_file_only_with_force(tmp_path, small_project, capsys, option, name):
    out = tmp_path / "exports" / name
    out.parent.mkdir()
    out.write_bytes(b"someone's work")
    capsys.readouterr()
    assert run("project", "export", str(small_project), option, str(out)) == 2
    assert f"{option} {out} exists (use --force to replace it)" in capsys.readouterr().err
    assert out.read_bytes() == b"someone's work"
    assert run("project", "export", str(small_project), option, str(out), "--force") == 0
    assert out.read_bytes() != b"someone's work"


def test_suggest_refuses_a_read_only_project_before_fitting(tmp_path, small_project, monkeypatch, capsys):
    """(Simulated as in test_project_store: the tests may run as root, whom permissions do not stop.)"""
    import os

    import theme_assist.project.learn as learn
    import theme_assist.project.store as store_module

    real_access = os.access
    monkeypatch.setattr(store_module.os, "access", lambda place, mode: False if (
        mode == os.W_OK and str(place) == str(tmp_path)) else real_access(place, mode))
    monkeypatch.setattr(learn, "refit", lambda *args, **kwargs: pytest.fail("fitted a project it cannot write"))
    capsys.readouterr()
    assert run("project", "suggest", str(small_project)) == 2
    assert capsys.readouterr().err.strip() == \
        f"theme-assist: error: {small_project.name} is read-only: nothing was written"


def test_backup_copies_the_decisions_a_running_server_has_not_yet_written_into_the_file(tmp_path, capsys):
    from theme_assist.project.store import DecisionRequest
    from theme_assist.project.testing import make_project

    project = tmp_path / "study.taproj"
    make_project(project).close()
    serving = ProjectStore(project)  # as `theme-assist review` holds it: decisions wait in study.taproj-wal
    serving.record_decisions([DecisionRequest(serving.segments()["segment_id"].iloc[0], "add", "work", "ana")])
    assert (tmp_path / "study.taproj-wal").stat().st_size > 0
    try:
        assert run("project", "backup", str(project), str(tmp_path / "copy.taproj")) == 0
        with ProjectStore(tmp_path / "copy.taproj") as copy:
            assert copy.decisions()[["coder", "action", "code"]].values.tolist() == [["ana", "add", "work"]]
        assert "copy.taproj (1 decision)" in " ".join(capsys.readouterr().err.split())
        assert run("project", "backup", str(project), str(tmp_path / "copy.taproj")) == 2
        assert "exists (use --force to replace it)" in capsys.readouterr().err
        assert run("project", "backup", str(project), str(project)) == 2
        assert "would overwrite PROJECT" in capsys.readouterr().err
    finally:
        serving.close()
    assert sorted(path.name for path in tmp_path.iterdir() if "partial" in path.name) == []


def test_coded_rows_without_a_coder_beside_named_ones_are_named_in_a_warning(tmp_path, caplog):
    from theme_assist.ingest import read_documents
    from theme_assist.project.build import codings_for_segments
    from theme_assist.segment import segment_documents

    (tmp_path / "iv1.txt").write_text("Ann: The job helps.\nBob: My family too.\n", encoding="utf-8")
    documents = read_documents(tmp_path)
    segments = segment_documents(documents)
    table = pd.DataFrame({"segment_id": ["iv1:0", "iv1:1"], "code": ["work", "family"], "coder": [" Ana ", ""]})
    rows = codings_for_segments(table, segments, "data/mixed.csv", documents=documents)
    assert rows["coder"].tolist() == ["Ana", ""]  # spaced as the review page spaces coder names
    assert "data/mixed.csv: 1 coded row(s) have no coder; they count as one more coder named by the file " \
           "(mixed.csv)" in caplog.text


def test_a_coder_named_by_invisible_characters_alone_is_read_as_no_coder(tmp_path, caplog):
    """A coder cell of a zero-width space was kept as a coder's name, listed as a blank, which the review page and
    agree refuse as no name: it reads as no coder, named by the file, as an empty cell does."""
    from theme_assist.ingest import read_documents
    from theme_assist.project.build import codings_for_segments
    from theme_assist.segment import segment_documents

    (tmp_path / "iv1.txt").write_text("Ann: The job helps.\nBob: My family too.\n", encoding="utf-8")
    documents = read_documents(tmp_path)
    segments = segment_documents(documents)
    table = pd.DataFrame({"segment_id": ["iv1:0", "iv1:1"], "code": ["work", "family"],
                          "coder": ["Ana", "\u200b\u2060 "]})
    rows = codings_for_segments(table, segments, "data/mixed.csv", documents=documents)
    assert rows["coder"].tolist() == ["Ana", ""]
    assert "data/mixed.csv: 1 coded row(s) have no coder" in caplog.text


def test_init_recursive_keeps_per_site_documents_apart_through_review_and_export(tmp_path, capsys):
    """Per-site folders with the same file names: project init --recursive, codings placed by document and turn,
    the review page's segment, queue filter and decision, and a .qdpx export that validates."""
    from fastapi.testclient import TestClient

    from theme_assist.review.app import create_app

    folder = tmp_path / "transcripts"
    for site, said in (("butabika", "I get a salary now."), ("ulm", "My mother calls me.")):
        (folder / site).mkdir(parents=True)
        (folder / site / "fg_01.txt").write_text(f"Moderator: How are things?\nP1: {said}\n", encoding="utf-8")
    metadata, coded = tmp_path / "meta.csv", tmp_path / "coded.csv"
    metadata.write_text("document,site\nbutabika/fg_01.txt,Kampala\nulm/fg_01,Ulm\n", encoding="utf-8")
    coded.write_text("document,turn,code,coder\nbutabika/fg_01,1,psw_personal_gains,ana\nulm/fg_01,1,other,ana\n",
                     encoding="utf-8")
    project = tmp_path / "sites.taproj"
    assert run("project", "init", str(project), "--codebook", str(packaged_codebook("upsides")), "--input",
               str(folder), "--recursive", "--metadata", str(metadata), "--coded", str(coded)) == 0
    with ProjectStore(project) as store:
        documents = store.documents()
        assert documents["document"].tolist() == ["butabika/fg_01", "ulm/fg_01"]
        assert documents["site"].tolist() == ["Kampala", "Ulm"]
        assert sorted(zip(store.codings()["segment_id"], store.codings()["code"])) == [
            ("butabika/fg_01:1", "psw_personal_gains"), ("ulm/fg_01:1", "other")]

    client = TestClient(create_app(project, host="127.0.0.1", port=8765), base_url="http://127.0.0.1:8765")
    client.headers["X-Session-Token"] = client.get("/api/session").json()["token"]
    segment = client.get("/api/segments/ulm%2Ffg_01%3A1", params={"coder": "bo"})
    assert segment.status_code == 200, segment.text
    assert (segment.json()["document"], segment.json()["metadata"]) == ("ulm/fg_01", {"site": "Ulm"})
    queue = client.get("/api/queue", params={"coder": "bo", "order": "document", "document": "ulm/fg_01"}).json()
    assert {item["segment_id"] for item in queue["items"]} == {"ulm/fg_01:0", "ulm/fg_01:1"}
    decided = client.post("/api/decisions", json={"segment_id": "ulm/fg_01:0", "action": "add", "code": "other",
                                                  "coder": "bo"})
    assert decided.status_code == 201, decided.text

    out = tmp_path / "sites.qdpx"
    assert run("project", "export", str(project), "--qdpx", str(out)) == 0
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
        assert all(name.count("/") <= 1 for name in archive.namelist())  # a "/" in a name makes no folder
        assert 'name="butabika/fg_01"' in archive.read("project.qde").decode("utf-8")


def test_export_writes_the_codebook_of_any_version_for_the_next_revision(tmp_path, small_project, capsys):
    """The codebook to revise comes out of the project (also one made from a .qdpx, which has no YAML file)."""
    from theme_assist.codebook import load_codebook

    revised = tmp_path / "revised.yaml"
    revised.write_text((tmp_path / "codebook.yaml").read_text().replace("name: Family", "name: Relatives"))
    assert run("project", "codebook", str(small_project), "--codebook", str(revised)) == 0
    current, first = tmp_path / "current.yaml", tmp_path / "v1.yaml"
    assert run("project", "export", str(small_project), "--codebook", str(current)) == 0
    assert run("project", "export", str(small_project), "--codebook", str(first), "--codebook-version", "1") == 0
    assert "codebook version 1 → " in capsys.readouterr().err
    with ProjectStore(small_project) as store:
        assert load_codebook(current) == store.codebook() and load_codebook(current).get("family").name == "Relatives"
        assert load_codebook(first) == store.codebook(1) and load_codebook(first).get("family").name == "Family"
    assert run("project", "codebook", str(small_project), "--codebook", str(current)) == 0  # unchanged: no version
    with ProjectStore(small_project) as store:
        assert store.codebook_version() == 2
    audit = tmp_path / "audit.csv"
    assert run("project", "export", str(small_project), "--audit", str(audit), "--codebook", str(tmp_path / "v9.yaml"),
               "--codebook-version", "9") == 2
    assert "has no codebook version 9" in capsys.readouterr().err
    assert not audit.exists() and not (tmp_path / "v9.yaml").exists()


def test_a_codebook_whose_ids_differ_only_in_case_is_used_with_a_warning(tmp_path, capsys):
    """Such codebooks from before stay usable: the project's exported codebook goes back in as it came out."""
    (tmp_path / "iv1.txt").write_text("Ann: I got paid.\n")
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text("codes:\n  - id: work\n    name: Work\n  - id: Work\n    name: Paid work\n")
    project, exported = tmp_path / "p.taproj", tmp_path / "out.yaml"
    assert run("project", "init", str(project), "--codebook", str(codebook), "--input", str(tmp_path / "iv1.txt")) == 0
    assert run("project", "export", str(project), "--codebook", str(exported)) == 0
    assert run("project", "codebook", str(project), "--codebook", str(exported)) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "only in case" in line]
    assert warnings and all(line.startswith("theme-assist: warning: ") and "'Work' differs from 'work' (line "
                            in line and "--map OLD=NEW" in line for line in warnings)


def test_codebook_revision_says_what_changed_or_that_nothing_was_stored(tmp_path, small_project, capsys):
    revised = tmp_path / "revised.yaml"
    revised.write_text((tmp_path / "codebook.yaml").read_text().replace("name: Family", "name: '[Relatives]'")
                       + "  - id: money\n    name: Money\n")
    capsys.readouterr()
    assert run("project", "codebook", str(small_project), "--codebook", str(revised), "--note", "money") == 0
    assert capsys.readouterr().err.strip() == ("✓ codebook version 2: added money; renamed family ('Family' → "
                                               "'[Relatives]')")
    assert run("project", "codebook", str(small_project), "--codebook", str(revised), "--note", "again") == 0
    assert capsys.readouterr().err.strip() == (f"codebook unchanged: {revised} is version 2 already; nothing was "
                                               "stored")
    with ProjectStore(small_project) as store:
        assert store.codebook_history()["note"].tolist() == ["initial codebook", "money"]
    reordered = tmp_path / "reordered.yaml"
    reordered.write_text("codes:\n  - id: money\n    name: Money\n" + revised.read_text().split("  - id: money")[0]
                         .replace("codes:\n", ""))
    assert run("project", "codebook", str(small_project), "--codebook", str(reordered)) == 0
    assert "✓ codebook version 3: no code added, dropped, renamed, moved or redefined (the codebook's name, " \
           "description, order" in capsys.readouterr().err


def test_a_map_is_said_as_the_rename_or_merge_it_is(tmp_path, small_project, capsys):
    """A one-to-one --map read "added employment; dropped work; mapped work → employment": a rename, said as three
    changes. A map into a new code no other is mapped into is a rename; into a code the codebook had, or several
    into one, a merge; codes in no map are still added or dropped."""
    from theme_assist.codebook import codebook_changes, parse_codebook

    revised = tmp_path / "revised.yaml"
    revised.write_text("codes:\n  - id: employment\n    name: Work\n    definition: paid work\n"
                       "  - id: family\n    name: Family\n    definition: relatives\n  - id: money\n    name: Money\n")
    capsys.readouterr()
    assert run("project", "codebook", str(small_project), "--codebook", str(revised), "--map", "work=employment") == 0
    assert capsys.readouterr().err.strip() == "✓ codebook version 2: added money; renamed work → employment"
    merged = tmp_path / "merged.yaml"
    merged.write_text("codes:\n  - id: life\n    name: Life\n    definition: work and home\n"
                      "  - id: other\n    name: Other\n")
    assert run("project", "codebook", str(small_project), "--codebook", str(merged), "--map", "employment=life",
               "--map", "family=life", "--map", "money=other") == 0
    assert capsys.readouterr().err.strip() == ("✓ codebook version 3: renamed money → other; merged employment, "
                                               "family into life")
    old, new = parse_codebook(revised.read_text()), parse_codebook(merged.read_text())
    assert codebook_changes(old, new, {"family": "life"}) == ["added other", "dropped employment, money",
                                                              "renamed family → life"]
    assert codebook_changes(old, new, {"family": "life", "money": "life"}) == [
        "added other", "dropped employment", "merged family, money into life"]
    assert codebook_changes(old, parse_codebook(revised.read_text().split("  - id: money")[0]),
                            {"money": "family"}) == ["merged money into family"]


def test_a_redefined_code_in_use_is_named_with_the_codings_made_under_its_earlier_definition(
        tmp_path, small_project, capsys):
    """A code whose definition changes keeps its codings: the ✓ line said only "redefined work"."""
    from theme_assist.project import DecisionRequest

    with ProjectStore(small_project) as store:
        first, second = store.segments()["segment_id"]
        store.record_decisions([DecisionRequest(second, "reject", "work", "Bo")])
    revised = tmp_path / "revised.yaml"
    revised.write_text((tmp_path / "codebook.yaml").read_text().replace("paid work", "paid or unpaid work")
                       .replace("definition: relatives", "definition: parents and siblings")
                       + "  - id: money\n    name: Money\n")
    capsys.readouterr()
    assert run("project", "codebook", str(small_project), "--codebook", str(revised)) == 0
    said = capsys.readouterr().err.splitlines()
    assert said[-1] == "✓ codebook version 2: added money; redefined work, family"
    assert said[:-1] == [
        f"theme-assist: warning: {code}, redefined, keeps {counted} made under its earlier definition: review them "
        "(`project export --codings` lists the codings by code; the review page's \"Suggested code\" filter finds "
        f"segments by the machine's suggestion, not by the codes given), or have them recoded: the same `project "
        f"codebook` with --recode {code}"
        for code, counted in [("work", "1 coding and 1 rejection"), ("family", "1 coding")]]
    unused = tmp_path / "unused.yaml"
    unused.write_text(revised.read_text() + "    definition: cash\n")
    assert run("project", "codebook", str(small_project), "--codebook", str(unused)) == 0
    assert "warning" not in capsys.readouterr().err  # money: no coding yet


def test_a_code_mapped_away_and_added_again_is_said_to_leave_its_earlier_codings_where_the_map_put_them(
        tmp_path, small_project, capsys):
    """Going back to an earlier codebook (its YAML as `project export --codebook-version` writes it) brings back the
    ids of codes merged since, as new codes: their codings stay merged, which the revision said nothing of."""
    merged = tmp_path / "merged.yaml"
    merged.write_text("codes:\n  - id: work\n    name: Work\n    definition: paid work\n"
                      "  - id: other\n    name: Other\n")
    assert run("project", "codebook", str(small_project), "--codebook", str(merged), "--map", "family=work") == 0
    capsys.readouterr()
    assert run("project", "codebook", str(small_project), "--codebook", str(tmp_path / "codebook.yaml")) == 0
    (warning,) = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert warning == ("theme-assist: warning: family, added again, is a new code: 1 coding or decision stored as "
                       "family before codebook version 2 mapped it away still read as work (a map applies to what "
                       "was stored before it; `project info` lists the maps)")
    with ProjectStore(small_project) as store:
        assert store.codebook_version() == 3 and store.codings()["code"].tolist() == ["work", "work"]
    assert run("project", "codebook", str(small_project), "--codebook", str(merged), "--map", "family=work") == 0
    assert run("project", "codebook", str(small_project), "--codebook", str(tmp_path / "codebook.yaml")) == 0
    assert "stored as family before codebook versions 2, 4 mapped it away still read as work" in \
        capsys.readouterr().err


def _project_of_codes(tmp_path, codes: list[str]) -> tuple[str, Path]:
    """A project of one transcript whose turn i is coded ``codes[i]``, and a codebook that rewords every code."""
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "iv1.txt").write_text("".join(f"P{i}: Turn {i}.\n" for i in range(len(codes))))
    (tmp_path / "coded.csv").write_text("document,turn,code\n" + "".join(f"iv1,{i},{c}\n" for i, c in enumerate(codes)))
    book = tmp_path / "cb.yaml"
    book.write_text("codes:\n" + "".join(f"  - id: {c}\n    name: {c}\n    definition: old\n" for c in codes))
    project = str(tmp_path / "p.taproj")
    assert run("project", "init", project, "--codebook", str(book), "--input", str(tmp_path / "t"), "--coded",
               str(tmp_path / "coded.csv")) == 0
    reworded = tmp_path / "reworded.yaml"
    reworded.write_text(book.read_text().replace("definition: old", "definition: new"))
    return project, reworded


def test_a_revision_of_many_codes_in_use_warns_of_five_in_a_line_each_and_of_the_others_in_one(tmp_path, capsys):
    """A codebook reworded throughout, or going back to one whose codes were all renamed since, warned in one line
    per code: hundreds of lines for a codebook of hundreds of codes."""
    codes = [f"c{i}" for i in range(8)]
    project, reworded = _project_of_codes(tmp_path, codes)
    capsys.readouterr()
    assert run("project", "codebook", project, "--codebook", str(reworded)) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert [line.split(",")[0] for line in warnings[:5]] == [f"theme-assist: warning: c{i}" for i in range(5)]
    assert warnings[5:] == ["theme-assist: warning: 3 more redefined codes keep codings or rejections made under "
                            "their earlier definitions (c5, c6, c7): review them likewise"]
    merged = tmp_path / "merged.yaml"
    merged.write_text("codes:\n  - id: c0\n    name: c0\n    definition: new\n  - id: other\n    name: Other\n")
    assert run("project", "codebook", project, "--codebook", str(merged), *[f"--map={c}=c0" for c in codes[1:]]) == 0
    capsys.readouterr()
    assert run("project", "codebook", project, "--codebook", str(reworded)) == 0  # going back
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(warnings) == 6 and all("added again" in line for line in warnings[:5])
    assert warnings[5] == ("theme-assist: warning: 2 more codes added again are new codes (c6, c7): what was "
                           "stored under their ids before a map still reads as the code the map made it")


def test_one_code_more_than_five_in_use_is_counted_in_the_singular(tmp_path, capsys):
    """Six codes redefined, or added again, said "1 more redefined codes keep ... their earlier definitions"."""
    codes = [f"c{i}" for i in range(6)]
    project, reworded = _project_of_codes(tmp_path, codes)
    capsys.readouterr()
    assert run("project", "codebook", project, "--codebook", str(reworded)) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert warnings[5:] == ["theme-assist: warning: 1 more redefined code keeps codings or rejections made under "
                            "its earlier definition (c5): review them likewise"]
    merged = tmp_path / "merged.yaml"
    merged.write_text("codes:\n  - id: x\n    name: X\n    definition: new\n  - id: other\n    name: Other\n")
    assert run("project", "codebook", project, "--codebook", str(merged), *[f"--map={c}=x" for c in codes]) == 0
    back = tmp_path / "back.yaml"
    back.write_text(reworded.read_text() + "  - id: x\n    name: X\n    definition: new\n")
    capsys.readouterr()
    assert run("project", "codebook", project, "--codebook", str(back)) == 0  # going back, x kept
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert warnings[5:] == ["theme-assist: warning: 1 more code added again is a new code (c5): what was stored "
                            "under its id before a map still reads as the code the map made it"]


def test_a_map_of_code_ids_holding_an_equals_sign_splits_where_old_is_dropped_and_new_is_kept(tmp_path, capsys):
    """``--map OLD=NEW`` split at its first '=' could not map a code whose id holds one: among the '=' the split is
    the one that makes OLD a code the revision drops and NEW a code of the revision; none or several is refused."""
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / "iv1.txt").write_text("Ann: I got paid.\nBob: My mother helps.\n")
    (tmp_path / "coded.csv").write_text("document,turn,code,coder\niv1,0,pay=work,Ann\niv1,1,a,Ann\n")
    codes = "codes:\n" + "".join(f"  - id: {code}\n    name: N{number}\n    definition: d{number}\n"
                                  for number, code in enumerate(["pay=work", "a", "a=b"]))
    (tmp_path / "codebook.yaml").write_text(codes)
    project = tmp_path / "p.taproj"
    assert run("project", "init", str(project), "--codebook", str(tmp_path / "codebook.yaml"), "--input",
               str(tmp_path / "transcripts"), "--coded", str(tmp_path / "coded.csv")) == 0
    revised = tmp_path / "revised.yaml"
    revised.write_text("codes:\n" + "".join(f"  - id: {code}\n    name: M{number}\n    definition: e{number}\n"
                                            for number, code in enumerate(["employment", "b=c", "c"])))
    capsys.readouterr()
    for given, said in [("pay=work=nope", "at none of its '=' does it split into OLD, a code the revision drops"),
                        ("a=b=c", "reads as a → b=c or a=b → c: the ids' '=' make it ambiguous")]:
        assert run("project", "codebook", str(project), "--codebook", str(revised), "--map", given,
                   "--map", "a=c") == 2
        error = capsys.readouterr().err
        assert error.startswith("theme-assist: error:") and error.count("\n") == 1 and said in error, error
    assert run("project", "codebook", str(project), "--codebook", str(revised), "--map", "pay=work=employment",
               "--map", "a=c") == 0
    assert "renamed pay=work → employment, a → c" in capsys.readouterr().err
    with ProjectStore(project) as store:
        assert dict(store.code_maps()[["old", "new"]].to_numpy()) == {"pay=work": "employment", "a": "c"}


def test_codes_renamed_and_merged_in_use_reach_exports_refits_and_the_review_queue(tmp_path, demo_subset, capsys):
    """Two used codes merged (decisions of two coders on them) and one renamed with ``project codebook --map``:
    the stored rows keep their ids; current codings, the audit trail, the machine table, a .qdpx read back by
    import-qdpx, a refit and the review queue's code filter all read the new ids."""
    import yaml
    from fastapi.testclient import TestClient

    from theme_assist.codebook import load_codebook
    from theme_assist.embed import Embedder
    from theme_assist.project import DecisionRequest
    from theme_assist.project.audit import current_codings
    from theme_assist.project.learn import refit, training_table
    from theme_assist.review.app import create_app

    folder, metadata, coded = demo_subset
    project = tmp_path / "demo.taproj"
    assert run("project", "init", str(project), "--codebook", str(packaged_codebook("upsides")), "--input",
               str(folder), "--metadata", str(metadata), "--coded", str(coded)) == 0
    gains, disclosure, role = "psw_personal_gains", "psw_self_disclosure", "psw_role_clarity"
    embedder = Embedder()
    with ProjectStore(project) as store:
        refit(store, embedder=embedder)  # run 1, on codebook v1
        codings = store.codings()
        gained, disclosed = (codings.loc[codings["code"] == code, "segment_id"].tolist()
                             for code in (gains, disclosure))
        s1, s2 = store.segments().query("document == 'iv_ulm_01'")["segment_id"].iloc[[3, 5]]
        store.record_decisions([DecisionRequest(s1, "add", gains, "ana"), DecisionRequest(s1, "add", disclosure, "bo"),
                                DecisionRequest(s2, "add", role, "ana"),
                                DecisionRequest(gained[0], "replace", disclosure, "bo", replaces=gains)])
        # the reference coder's second code on a segment (one code per segment: the first counts) becomes the same
        store.add_codings(pd.DataFrame({"segment_id": [disclosed[0]], "code": [gains], "coder": "reference"}),
                          source=codings["source"].iloc[0])
        top = store.suggestions(mapped=False).query("rank == 1")
        merged_on_top = set(top.loc[top["code"].isin([gains, disclosure]), "segment_id"])
        assert set(top.loc[top["code"] == gains, "segment_id"])  # the merge changes what the queue shows

    book = yaml.safe_load(packaged_codebook("upsides").read_text())

    def revise(codes):
        kept = []
        for code in codes:
            if code["id"] == gains:
                continue
            code["id"] = "psw_role_definition" if code["id"] == role else code["id"]
            code["children"] = revise(code.get("children", []))
            kept.append(code if code["children"] else {k: v for k, v in code.items() if k != "children"})
        return kept

    book["codes"] = revise(book["codes"])
    revised = tmp_path / "revised.yaml"
    revised.write_text(yaml.safe_dump(book, sort_keys=False, allow_unicode=True))
    capsys.readouterr()
    assert run("project", "codebook", str(project), "--codebook", str(revised), "--map", f"{gains}=nope") == 2
    assert "map psw_personal_gains=nope: 'nope' is not a code of the revised codebook" in capsys.readouterr().err
    assert run("project", "codebook", str(project), "--codebook", str(revised), "--map", gains) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert run("project", "codebook", str(project), "--codebook", str(revised), "--map", f"{gains}={disclosure}",
               "--map", f"{role}=psw_role_definition", "--note", "merge") == 0
    said = capsys.readouterr().err
    assert "dropped" not in said and ("renamed psw_role_clarity → psw_role_definition; merged psw_personal_gains "
                                      "into psw_self_disclosure") in said
    assert run("project", "info", str(project)) == 0
    assert "merge; mapped psw_personal_gains → psw_self_disclosure, psw_role_clarity → psw_role_definition" in \
        capsys.readouterr().out
    new_ids = set(load_codebook(revised).ids)

    # the review queue filters the earlier run's suggestions by the code they are now
    client = TestClient(create_app(project, host="127.0.0.1", port=8765), base_url="http://127.0.0.1:8765")
    shown = client.get("/api/queue", params={"coder": "cy", "code": disclosure, "status": "all", "order": "document",
                                             "limit": 1000}).json()
    assert {item["segment_id"] for item in shown["items"]} == merged_on_top
    assert client.get("/api/queue", params={"coder": "cy", "code": gains}).status_code == 404

    exported = {name: tmp_path / name for name in ("codings.csv", "audit.csv", "machine.csv", "demo.qdpx")}
    assert run("project", "export", str(project), "--codings", str(exported["codings.csv"]), "--audit",
               str(exported["audit.csv"]), "--machine", str(exported["machine.csv"]), "--qdpx",
               str(exported["demo.qdpx"])) == 0
    current = pd.read_csv(exported["codings.csv"])
    assert set(current["code"]) <= new_ids and not current.duplicated().any()
    assert set(current["segmentation"]) == {segmentation_tag()}
    current = set(map(tuple, current[["segment_id", "code", "coder"]].to_numpy()))
    assert {(s1, disclosure, "ana"), (s1, disclosure, "bo"), (s2, "psw_role_definition", "ana"),
            (gained[0], disclosure, "bo"), (disclosed[0], disclosure, "reference")} <= current
    assert set(pd.read_csv(exported["machine.csv"], keep_default_na=False)["code"]) <= new_ids | {""}
    trail = pd.read_csv(exported["audit.csv"], keep_default_na=False)
    kept = trail[trail["code"] == gains]
    assert set(kept["event"]) == {"human_coding", "decision", "machine_suggestion"}
    assert set(kept["code_now"]) == {disclosure}
    assert trail.loc[trail["action"] == "version 2", "code_now"].tolist() == [
        "psw_personal_gains → psw_self_disclosure, psw_role_clarity → psw_role_definition"]

    # the .qdpx, read back, holds each coder's codings as --codings has them, by the new ids
    imported = tmp_path / "imported"
    assert run("import-qdpx", str(exported["demo.qdpx"]), "--out", str(imported), "--codebook", str(revised)) == 0
    spans = pd.read_csv(imported / "codings.csv")
    with ProjectStore(project) as store:
        segments = store.segments()
        spans = spans.merge(segments, on=["document", "start", "end"], suffixes=("_span", ""))
        humans = spans[spans["coder"].isin(["reference", "ana", "bo"])]
        assert set(zip(humans["segment_id"], humans["code"], humans["coder"])) == current
        assert set(spans["code"]) <= new_ids

        # a refit learns the merged and renamed codes under their new ids
        table = training_table(segments, store.codings(), store.decisions(), store.codebook())
        assert set(table.loc[table["segment_id"].isin(gained), "code"]) == {disclosure}
        assert not table.duplicated(["segment_id", "code"]).any() and set(table["code"]) <= new_ids | {""}
        refit(store, embedder=embedder)
        assert store.latest_run()["codebook_version"] == 2 and set(store.suggestions()["code"]) <= new_ids | {""}
        assert sorted(map(tuple, current_codings(store).to_numpy())) == sorted(current)


def test_coded_rows_naming_documents_the_project_lacks_say_how_the_project_names_them(tmp_path):
    """A reference coding made before the transcripts went into per-site folders names 'fg_butabika_01'; the
    project read them with --recursive as 'butabika/fg_01'. It said "has no turn 0", as if the document were there."""
    from theme_assist.errors import InputError
    from theme_assist.ingest import read_documents
    from theme_assist.project.build import codings_for_segments
    from theme_assist.segment import segment_documents

    (tmp_path / "butabika").mkdir()
    (tmp_path / "butabika" / "fg_01.txt").write_text("Ann: I got paid.\nBob: My mother helps.\n", encoding="utf-8")
    documents = read_documents(tmp_path, recursive=True)
    segments = segment_documents(documents)
    for table in ({"document": ["fg_butabika_01"] * 2, "turn": ["0", "1"], "code": ["work", "family"]},
                  {"document": ["fg_butabika_01"], "text": ["I got paid."], "code": ["work"]}):
        with pytest.raises(InputError, match=r"coded.csv: document 'fg_butabika_01' is not in the project \(\d rows? "
                                             r"name 1 document\(s\) it does not have\): .* named by its path in the "
                                             r"input folder less the suffix, .*\('butabika/fg_01'\)"):
            codings_for_segments(pd.DataFrame(table), segments, "coded.csv", documents=documents)


def test_info_prints_a_long_codebook_version_line_as_one_line(tmp_path, small_project, capsys):
    """A version's note and maps ('mapped psw_staff_recognition → psw_integration_challenges, …') make a long
    line: in a batch job's log it was folded at 160 columns, splitting a map in two."""
    revised = tmp_path / "revised.yaml"
    revised.write_text((tmp_path / "codebook.yaml").read_text().replace("name: Family", "name: Relatives"))
    note = "merged after the first round " + "of coding " * 20
    assert run("project", "codebook", str(small_project), "--codebook", str(revised), "--note", note.strip()) == 0
    capsys.readouterr()
    assert run("project", "info", str(small_project)) == 0
    assert f", {note.strip()}\n" in capsys.readouterr().out


def test_one_export_reads_the_project_once_and_writes_what_each_option_writes_alone(tmp_path, capsys, monkeypatch):
    """Every output of ``project export`` in one command: the decisions, imported codings, suggestions and
    segments are each read once (they were read up to seven times, and the audit trail made twice; the segments' ids
    and documents once more, without their texts, for the audit trail and the codings), each codebook
    version parsed once, and each file is byte for byte what its option writes alone (a merge made suggestions of
    one run alike, whose review notes are joined)."""
    from theme_assist.codebook import parse_codebook
    from theme_assist.project import DecisionRequest
    from theme_assist.project import store as store_module
    from theme_assist.project.testing import CODEBOOK, make_project

    project = tmp_path / "study.taproj"
    with make_project(project) as store:
        segments = store.segments()["segment_id"]
        store.add_codings(pd.DataFrame({"segment_id": segments[:2], "code": ["work", "stigma"], "coder": "ref"}),
                          source="coded.csv")
        suggestions = store.suggestions(with_evidence=False)
        for segment, coder, action in [(segments[1], "ana", "accept"), (segments[2], "bo", "reject"),
                                       (segments[3], "ana", "accept"), (segments[2], "ana", "accept")]:
            s = suggestions[(suggestions["segment_id"] == segment) & (suggestions["rank"] == 2)].iloc[0]
            store.record_decisions([DecisionRequest(segment, action, s.code, coder, int(s.id))])
        store.undo_last("bo")
        merged = CODEBOOK.replace('      - id: stigma\n        name: Stigma & "labels"\n'
                                  "        definition: Being judged or excluded.\n", "")
        store.add_codebook_version(parse_codebook(merged), code_map={"stigma": "family"})
    outputs = {"--audit": "audit.csv", "--codings": "codings.csv", "--machine": "machine.csv", "--qdpx": "study.qdpx"}
    for option, name in outputs.items():
        (tmp_path / "alone").mkdir(exist_ok=True)
        assert run("project", "export", str(project), option, str(tmp_path / "alone" / name)) == 0

    statements, parsed = [], []
    connect, parse = ProjectStore._connection, store_module.parse_codebook

    def traced(self):
        connection = connect(self)
        connection.set_trace_callback(statements.append)
        return connection

    monkeypatch.setattr(ProjectStore, "_connection", traced)
    monkeypatch.setattr(store_module, "parse_codebook", lambda *args, **kwargs: parsed.append(1) or parse(*args,
                                                                                                        **kwargs))
    (tmp_path / "together").mkdir()
    together = [str(argument) for option, name in outputs.items() for argument in (option, tmp_path / "together" / name)]
    assert run("project", "export", str(project), *together) == 0
    reads = {table: sum(sql in statement for statement in statements)
             for table, sql in [("decisions", "FROM decisions d LEFT JOIN decisions t"), ("codings", "FROM codings "),
                                ("suggestions", "FROM suggestions s JOIN model_runs r"),
                                ("segments", "s.position FROM segments s JOIN documents d"),
                                ("segment ids", "s.document FROM segments s JOIN documents d")]}
    assert reads == {"decisions": 1, "codings": 1, "suggestions": 1, "segments": 1, "segment ids": 1}
    assert len(parsed) == 2  # versions 1 and 2
    for name in outputs.values():
        assert (tmp_path / "together" / name).read_bytes() == (tmp_path / "alone" / name).read_bytes(), name
    with zipfile.ZipFile(tmp_path / "together" / "study.qdpx") as archive:
        qde = archive.read("project.qde").decode("utf-8")
    assert qde.count("theme_assist suggestion: Family (score 0.900, rank 1, run 1). Review: accepted by ana") == 1


def test_a_warning_repeated_within_one_command_is_said_once(monkeypatch, capsys):
    """A review server's background refits parse the codebook at every fit; its warning is said once per command
    (isolated here: the command is replaced by one that logs the same warning at every 'fit')."""
    import logging

    import theme_assist.cli as cli

    def command(argv):
        for fit in range(3):
            logging.getLogger("theme_assist.codebook").warning("p.taproj codebook v1, line 3: code id 'Work' differs")
        logging.getLogger("theme_assist.codebook").warning("another warning")
        for cause in ("disk full", "out of memory"):  # a failed fit's traceback says what failed each time
            try:
                raise RuntimeError(cause)
            except RuntimeError:
                logging.getLogger("theme_assist.project.learn").exception("background refit failed")

    monkeypatch.setattr(cli, "_run", command)
    main([])
    err = capsys.readouterr().err
    assert err.splitlines()[:2] == ["theme-assist: warning: p.taproj codebook v1, line 3: code id 'Work' differs",
                                    "theme-assist: warning: another warning"]
    assert err.count("differs") == 1 and "RuntimeError: disk full" in err and "RuntimeError: out of memory" in err
    main([])  # the next command says it again
    assert "differs" in capsys.readouterr().err


def test_info_names_the_segmentation_tag_its_exports_carry(tmp_path, small_project, capsys):
    """A researcher holding an exported table can see which tag the project writes in its `segmentation` column
    (it was in the exports only); a project made before tags, or from a SEGMENTS.csv without one, says it has
    none."""
    assert run("project", "info", str(small_project)) == 0
    assert f"  segmentation: {segmentation_tag('turn', 1000)} (the `segmentation` column of its exports)\n" in (
        capsys.readouterr().out)
    with ProjectStore(small_project) as store, store.transaction() as db:
        db.execute("DELETE FROM project_info WHERE key = 'segmentation'")
    (tmp_path / "segments.csv").write_text("segment_id,text,document\ns1,I got paid.,d1\n")
    assert run("project", "init", str(tmp_path / "s.taproj"), "--codebook", str(tmp_path / "codebook.yaml"),
               "--input", str(tmp_path / "segments.csv")) == 0
    for project in (small_project, tmp_path / "s.taproj"):
        capsys.readouterr()
        assert run("project", "info", str(project)) == 0
        assert ("  segmentation: not known (made before tags, or from a SEGMENTS.csv without one, whose ids it "
                "keeps); its exports leave the `segmentation` column empty\n") in capsys.readouterr().out


def test_info_counts_each_coders_decisions_and_says_how_many_were_undone(small_project, capsys):
    """A coder's undone decision was counted as one standing (the page's progress said one fewer), and one
    decision was "1 decisions"."""
    from theme_assist.project import DecisionRequest

    with ProjectStore(small_project) as store:
        for segment, code, coder in [("iv1:0", "family", "ana"), ("iv1:1", "work", "ana"), ("iv1:0", "work", "ben")]:
            store.record_decisions([DecisionRequest(segment, "add", code, coder)])
        store.undo_last("ana")
    capsys.readouterr()
    assert run("project", "info", str(small_project)) == 0
    said = capsys.readouterr().out
    assert "  ana: 2 decisions (1 undone)\n" in said and "  ben: 1 decision\n" in said


def test_info_lists_the_model_runs_newest_first_and_counts_those_past_the_cap(tmp_path, capsys):
    """project info said only the latest run: a researcher auditing a project could not see the runs before it."""
    from theme_assist.cli.project import RUNS_SHOWN
    from theme_assist.project.testing import make_project

    project = tmp_path / "p.taproj"
    with make_project(project) as store:  # its run 1, then runs 2 … RUNS_SHOWN + 2, the last zero-shot
        for run_id in range(2, RUNS_SHOWN + 3):
            zero_shot = run_id == RUNS_SHOWN + 2
            store.add_run(store.suggestions(run_id=1), model_id=f"model {run_id}", embedding_model="fake@0",
                          engine_version="test", mode="zero-shot" if zero_shot else "trained", params={},
                          n_training=0 if zero_shot else run_id, n_decisions=1)
        runs = store.runs()
    capsys.readouterr()
    assert run("project", "info", str(project)) == 0
    said = capsys.readouterr().out.splitlines()
    start = said.index(f"model runs: {RUNS_SHOWN + 2}, newest first")
    listed = said[start + 1:start + RUNS_SHOWN + 2]
    newest = runs.iloc[-1]
    assert listed[0] == (f"  run {RUNS_SHOWN + 2}: {newest['created_at']}, fake@0, zero-shot: from the codebook "
                         "alone (no coded segment), after 1 review decision, codebook v1")
    assert listed[1].startswith(f"  run {RUNS_SHOWN + 1}: ") and f", trained on {RUNS_SHOWN + 1} coded segments, " \
        in listed[1]
    assert [line.split(":")[0] for line in listed[:RUNS_SHOWN]] == [f"  run {n}" for n in range(RUNS_SHOWN + 2, 2, -1)]
    assert listed[RUNS_SHOWN].startswith("  and 2 more, older")


def test_export_qdpx_counts_one_source_in_the_singular(small_project, tmp_path, capsys):
    """A project of one transcript was exported as "1 sources"."""
    capsys.readouterr()
    assert run("project", "export", str(small_project), "--qdpx", str(tmp_path / "p.qdpx")) == 0
    said = " ".join(capsys.readouterr().err.split())
    assert f"{tmp_path / 'p.qdpx'}: 1 source, 2 codes, 1 user, 2 selections, 2 codings, 0 suggestions" in said


@pytest.mark.parametrize("target", ["codebook.yaml", "coded.csv", "meta.csv", "transcripts/iv1.txt"])
def test_backup_never_replaces_a_file_the_project_was_made_from(tmp_path, small_project, capsys, target):
    """`project backup P COPY --force` wrote the copy over the codebook or the --coded table project init read
    (which project export refuses even with --force): the user's only copy of them was lost."""
    before = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file() and path.suffix != ".taproj"}
    assert run("project", "backup", str(small_project), str(tmp_path / target), "--force") == 2
    assert "project init --" in capsys.readouterr().err
    assert {path: path.read_bytes() for path in before} == before
    assert run("project", "backup", str(small_project), str(tmp_path / "copy.taproj"), "--force") == 0


def test_backup_may_write_a_new_copy_beside_the_transcripts(tmp_path, small_project, capsys):
    """A project kept in its transcripts' folder (project init study.taproj --input .) is backed up there: a new
    .taproj replaces no transcript (a refusal of every copy inside the --input folder came with the check above)."""
    assert run("project", "backup", str(small_project), str(tmp_path / "transcripts" / "copy.taproj")) == 0
    assert (tmp_path / "transcripts" / "copy.taproj").is_file()


def test_init_and_info_count_one_document_in_the_singular(tmp_path, capsys):
    (tmp_path / "segments.csv").write_text("segment_id,text,document\ns1,I got paid.,d1\n")
    assert run("project", "init", str(tmp_path / "s.taproj"), "--codebook", str(packaged_codebook("upsides")),
               "--input", str(tmp_path / "segments.csv")) == 0
    assert ": 1 document, 1 segment, 19 codes to code with" in capsys.readouterr().err  # "1 documents, 1 segments"
    assert run("project", "info", str(tmp_path / "s.taproj")) == 0
    assert capsys.readouterr().out.startswith("s: 1 document, 1 segment, codebook v1 (UPSIDES peer support), 0 human "
                                              "codings\n")


def test_init_and_info_say_the_counts_in_one_line_that_keeps_brackets(tmp_path, capsys, monkeypatch):
    """project init and project info each wrote their own "N documents, N segments, …, N human codings" line, and
    read a codebook's name or the project's path as markup: "Study [pilot]" was said as "Study ". One function
    makes both lines."""
    import theme_assist.cli.project as project_cli

    (tmp_path / "[pilot]").mkdir()
    (tmp_path / "segments.csv").write_text("segment_id,text,document\ns1,I got paid.,d1\ns2,My mother helps.,d1\n")
    (tmp_path / "codebook.yaml").write_text("name: Study [pilot]\ncodes:\n  - id: work\n    name: Work\n"
                                            "    definition: paid work\n  - id: family\n    name: Family\n"
                                            "    definition: relatives\n")
    project = tmp_path / "[pilot]" / "s.taproj"
    assert run("project", "init", str(project), "--codebook", str(tmp_path / "codebook.yaml"), "--input",
               str(tmp_path / "segments.csv")) == 0
    assert f"✓ {project}: 1 document, 2 segments, 2 codes to code with, 0 human codings\n" \
        in capsys.readouterr().err
    assert run("project", "info", str(project)) == 0
    assert capsys.readouterr().out.startswith("s: 1 document, 2 segments, codebook v1 (Study [pilot]), 0 human "
                                              "codings\n")

    made = []
    real = project_cli._counts_line
    monkeypatch.setattr(project_cli, "_counts_line", lambda *args: made.append(args) or real(*args))
    assert run("project", "info", str(project)) == 0
    assert run("project", "init", str(tmp_path / "again.taproj"), "--codebook", str(tmp_path / "codebook.yaml"),
               "--input", str(tmp_path / "segments.csv")) == 0
    assert len(made) == 2


def test_info_counts_the_codings_export_writes(tmp_path, capsys):
    """project info counted the imported codings only: after a coder accepted suggestions on the review page it
    said as many human codings as before, while project export --codings wrote more."""
    from theme_assist.project.store import DecisionRequest
    from theme_assist.project.testing import make_project

    project = tmp_path / "p.taproj"
    with make_project(project) as store:
        segments, suggestions = store.segments(), store.suggestions()
        store.add_codings(pd.DataFrame({"segment_id": segments["segment_id"][:2], "code": "work", "coder": "ana"}),
                          source="coded.csv")
        firsts = suggestions[(suggestions["rank"] == 1) & ~suggestions["segment_id"].isin(segments["segment_id"][:2])]
        store.record_decisions([DecisionRequest(row.segment_id, "accept", row.code, "ana", suggestion_id=int(row.id))
                                for row in firsts.head(3).itertuples()])
    assert run("project", "export", str(project), "--codings", str(tmp_path / "codings.csv")) == 0
    assert len(pd.read_csv(tmp_path / "codings.csv")) == 5
    capsys.readouterr()
    assert run("project", "info", str(project)) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith(", 5 human codings (3 from review decisions)")


def test_a_run_is_said_by_its_embedding_model_not_its_model_id(tmp_path, capsys):
    """project info and project suggest said a run's model_id ("CodeSuggester trained (theme_assist 0.1.0) on X"),
    then "trained on 40 coded segments": the mode twice. Both say the embedding model, in one wording."""
    from theme_assist.project.testing import make_project

    project = tmp_path / "p.taproj"
    with make_project(project) as store:
        store.add_run(store.suggestions(run_id=1), model_id="CodeSuggester trained (theme_assist 0.1.0) on fake@0",
                      embedding_model="fake@0", engine_version="test", mode="trained", params={}, n_training=40,
                      n_decisions=0)
    capsys.readouterr()
    assert run("project", "info", str(project)) == 0
    said = capsys.readouterr().out
    assert ", fake@0, trained on 40 coded segments, after 0 review decisions" in said and "CodeSuggester" not in said


def test_a_zero_shot_run_is_not_said_to_be_trained(tmp_path, capsys):
    """A project without codings is suggested for from the codebook alone: the run was said to be 'zero-shot …,
    trained on 0 coded segments'."""
    (tmp_path / "segments.csv").write_text("segment_id,text,document\ns1,I got paid.,d1\ns2,My mother helps.,d1\n")
    assert run("project", "init", str(tmp_path / "s.taproj"), "--codebook", str(packaged_codebook("upsides")),
               "--input", str(tmp_path / "segments.csv")) == 0
    capsys.readouterr()
    assert run("project", "suggest", str(tmp_path / "s.taproj")) == 0
    said = " ".join(capsys.readouterr().err.split())
    assert said.endswith(", zero-shot: from the codebook alone (no coded segment)") and "trained on" not in said


@pytest.fixture()
def interviews(tmp_path):
    """Transcripts whose interviewer asks and whose participants answer, and a codebook."""
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / "iv1.txt").write_text("Interviewer: Do you work?\nAnn: I got paid.\n"
                                                       "INTERVIEWER: And at home?\nAnn: My mother helps.\n")
    (tmp_path / "transcripts" / "iv2.txt").write_text("Interviewer: Tell me more.\nBob: My father called.\n")
    (tmp_path / "codebook.yaml").write_text("codes:\n  - id: work\n    name: Work\n    definition: paid work\n"
                                            "  - id: family\n    name: Family\n    definition: relatives\n")
    return tmp_path / "transcripts", tmp_path / "codebook.yaml"


def test_init_remembers_the_speakers_to_skip_and_says_how_many_segments_are_skipped(tmp_path, interviews, capsys):
    transcripts, codebook = interviews
    project = tmp_path / "p.taproj"
    assert run("project", "init", str(project), "--codebook", str(codebook), "--input", str(transcripts),
               "--skip-speaker", "interviewer", "--skip-speaker", "Moderator") == 0
    said = capsys.readouterr().err
    assert "theme-assist: warning: skip speaker 'Moderator': no segment has this speaker (speakers: Ann, " \
           "Interviewer, Bob, INTERVIEWER)" in said
    (done,) = [line for line in said.splitlines() if line.startswith("✓")]
    assert done.endswith(", 3 segments of Interviewer, INTERVIEWER skipped")
    with ProjectStore(project) as store:
        assert store.skip_speakers == ["interviewer", "Moderator"]
        assert store.skipped_segment_ids() == {"iv1:0", "iv1:2", "iv2:0"}


def test_init_refuses_an_empty_speaker_to_skip_in_one_line_before_reading_anything(tmp_path, interviews, capsys):
    transcripts, codebook = interviews
    project = tmp_path / "p.taproj"
    assert run("project", "init", str(project), "--codebook", str(tmp_path / "missing.yaml"), "--input",
               str(transcripts), "--skip-speaker", " ") == 2
    assert capsys.readouterr().err.strip() == ("theme-assist: error: --skip-speaker has an empty name; give each "
                                               "speaker's name as the transcripts write it")
    assert not project.exists()


def test_info_names_the_skipped_speakers_and_counts_their_segments(tmp_path, interviews, capsys):
    transcripts, codebook = interviews
    project = tmp_path / "p2.taproj"
    assert run("project", "init", str(project), "--codebook", str(codebook), "--input", str(transcripts),
               "--skip-speaker", "interviewer", "--skip-speaker", "Moderator", "--skip-speaker", "Bob") == 0
    capsys.readouterr()
    assert run("project", "info", str(project)) == 0
    assert ("  skipped speakers: interviewer (3 segments), Moderator (no segment), Bob (1 segment): no suggestions, "
            "not in the review queue\n") in capsys.readouterr().out
    assert run("project", "init", str(tmp_path / "p3.taproj"), "--codebook", str(codebook), "--input",
               str(transcripts)) == 0
    capsys.readouterr()
    assert run("project", "info", str(tmp_path / "p3.taproj")) == 0  # made without: not a word of it
    assert "skipped" not in capsys.readouterr().out


def test_skip_speaker_changes_the_speakers_an_existing_project_skips_and_keeps_the_decisions(tmp_path, capsys):
    """The speakers were set only by project init: a coder who forgot --skip-speaker had to make the project anew
    and lose the decisions. Newly skipped turns leave the queue and their suggestions are no longer shown; the
    decisions made on them stay."""
    from theme_assist.project import DecisionRequest
    from theme_assist.project.audit import current_codings, machine_before_review
    from theme_assist.project.testing import make_project
    from theme_assist.review import views

    project = tmp_path / "study.taproj"
    interviewer = ["interview_a:0", "interview_a:2", "interview_b:0"]
    with make_project(project) as store:
        store.record_decisions([DecisionRequest("interview_a:0", "add", "other", "ana"),
                                DecisionRequest("interview_a:1", "add", "work", "ana")])
        assert views.segment_view(store, "interview_a:2", "ana", blind=False)["suggestions"]
        assert set(machine_before_review(store)["segment_id"]) == {"interview_a:0", "interview_a:1"}
    capsys.readouterr()
    assert run("project", "skip-speaker", str(project), "interviewer", "Moderator") == 0
    said = capsys.readouterr().err
    assert "theme-assist: warning: skip speaker 'Moderator': no segment has this speaker" in said
    (done,) = [line for line in said.splitlines() if line.startswith("✓")]
    assert done == ("✓ skipped speakers: interviewer (3 segments), Moderator (no segment): no suggestions, not in the "
                    "review queue; 3 segments newly skipped: out of the review queue, the suggestions of earlier runs "
                    "for them no longer shown; decisions already made are kept")
    with ProjectStore(project) as store:
        assert store.skip_speakers == ["interviewer", "Moderator"] and store.skipped_segment_ids() == set(interviewer)
        assert len(store.decisions()) == 2 and len(current_codings(store)) == 2
        queued = views.queue(store, "ana", order="document")
        assert not {item["segment_id"] for item in queued["items"]} & set(interviewer)
        assert queued["progress"] == {"total": 6, "decided": 1}
        assert views.segment_view(store, "interview_a:2", "ana", blind=False)["suggestions"] == []
        assert set(machine_before_review(store)["segment_id"]) == {"interview_a:1"}  # none for them, as on the page
        assert [code["id"] for code in views.segment_view(store, "interview_a:0", "ana", False)["mine"]["codes"]] \
            == ["other"]

    assert run("project", "skip-speaker", str(project), "--none") == 0
    (done,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("✓")]
    assert done == ("✓ no speaker skipped; 3 segments no longer skipped: back in the review queue, suggested for at "
                    "the next refit (`theme-assist project suggest`); decisions already made are kept")
    with ProjectStore(project) as store:
        assert store.skip_speakers == [] and store.skipped_segment_ids() == set() and len(store.decisions()) == 2
    capsys.readouterr()
    assert run("project", "info", str(project)) == 0
    assert "skipped" not in capsys.readouterr().out


def test_suggest_on_a_project_skipping_every_speaker_warns_in_one_line(tmp_path, capsys):
    """Every speaker skipped, ``project suggest`` made a run with no suggestion and said nothing of it."""
    from theme_assist.project.testing import make_project

    project = tmp_path / "study.taproj"
    with make_project(project) as store:
        store.record_skip_speakers(["interviewer", "Kim", "Sam"])
    capsys.readouterr()
    assert run("project", "suggest", str(project)) == 0
    (warning,) = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert warning == (f"theme-assist: warning: every segment is the turn of a skipped speaker (interviewer (3 "
                       f"segments), Kim (3 segments), Sam (3 segments)): the run stores no suggestion and queues no "
                       f"segment; skip fewer with `theme-assist project skip-speaker {project} NAME...` or --none")
    with ProjectStore(project) as store:
        store.record_skip_speakers(["interviewer"])
    assert run("project", "suggest", str(project)) == 0
    assert "warning" not in capsys.readouterr().err


def test_a_speaker_name_holding_a_control_character_is_refused_where_typed_and_read_where_stored(tmp_path, capsys):
    """``project skip-speaker P $'Ann\\nBob'`` stored the name and echoed its line break; an escape character too.
    A project that stores one already stays readable."""
    from theme_assist.project.testing import make_project

    project = tmp_path / "study.taproj"
    make_project(project).close()
    segments = tmp_path / "segments.csv"
    segments.write_text("segment_id,text,document\ns1,I got paid.,d1\n")
    book = str(packaged_codebook("upsides"))
    for name in ("Ann\nBob", "\x1b[31mKim", "Sam\t"):
        for argv, option in [(("project", "skip-speaker", str(project), "Kim", name), "NAME"),
                             (("project", "init", str(tmp_path / "new.taproj"), "--codebook", book, "--input",
                               str(segments), "--skip-speaker", name), "--skip-speaker"),
                             (("suggest", "--codebook", book, "--input", str(segments), "--out",
                               str(tmp_path / "o.csv"), "--skip-speaker", name), "--skip-speaker"),
                             (("discover", "--input", str(segments), "--out", str(tmp_path / "t.json"),
                               "--skip-speaker", name), "--skip-speaker")]:
            assert run(*argv) == 2, argv
            assert capsys.readouterr().err.strip() == (
                f"theme-assist: error: {option} {name!r} holds a control character (a line break, a tab, an "
                "escape); give each speaker's name as the transcripts write it"), argv
    assert not (tmp_path / "new.taproj").exists()
    with ProjectStore(project) as store:
        assert store.skip_speakers == []
        with store.transaction() as db:  # as an earlier version stored it
            db.execute("INSERT OR REPLACE INTO project_info VALUES ('skip_speakers', ?)", ('["Ann\\nBob"]',))
    assert run("project", "info", str(project)) == 0
    with ProjectStore(project) as store:
        assert store.skip_speakers == ["Ann\nBob"]


def test_skip_speaker_refuses_what_init_refuses_and_says_an_unchanged_list(tmp_path, capsys):
    from theme_assist.project.testing import make_project

    project = tmp_path / "study.taproj"
    with make_project(project) as store:
        store.record_skip_speakers(["Interviewer"])
    capsys.readouterr()
    for argv, error in [((" ",), "NAME has an empty name; give each speaker's name as the transcripts write it"),
                        ((), "give the speakers to skip (NAME...), or --none to skip no speaker"),
                        (("Kim", "--none"), "give the speakers to skip or --none, not both")]:
        assert run("project", "skip-speaker", str(project), *argv) == 2
        assert capsys.readouterr().err.strip() == f"theme-assist: error: {error}"
    assert run("project", "skip-speaker", str(project), " Interviewer", "interviewer") == 0
    assert capsys.readouterr().err.strip() == ("skipped speakers unchanged: Interviewer (3 segments); nothing was "
                                               "stored")
    with ProjectStore(project) as store:
        assert store.skip_speakers == ["Interviewer"]


def test_skip_speaker_says_a_speaker_only_withdrawn_documents_have_is_one_of_theirs(tmp_path, capsys):
    """Kim speaks only in interview_b, withdrawn: "no segment has this speaker" sent the coder to check the spelling
    of a name the transcripts do write."""
    from theme_assist.project.testing import make_project

    project = tmp_path / "study.taproj"
    with make_project(project) as store:
        store.withdraw(["interview_b"], reason="a test file")
    capsys.readouterr()
    assert run("project", "skip-speaker", str(project), "kim", "Moderator") == 0
    said = " ".join(capsys.readouterr().err.split())
    assert ("theme-assist: warning: skip speaker 'kim': only withdrawn documents have this speaker (interview_b); "
            "its turns are skipped if they are brought back (`theme-assist project restore`)") in said
    assert "skip speaker 'kim': no segment" not in said
    assert "theme-assist: warning: skip speaker 'Moderator': no segment has this speaker (speakers: " in said
    with ProjectStore(project) as store:
        assert store.skip_speakers == ["kim", "Moderator"]


def test_skip_speaker_leaves_the_newly_skipped_turns_out_of_bulk_accept(tmp_path):
    """The bulk view listed the earlier run's suggestions for turns skipped since, which the segment view no longer
    shows: a coder could accept them by the hundred."""
    from theme_assist.project.testing import make_project
    from theme_assist.review import views

    project = tmp_path / "study.taproj"
    with make_project(project) as store:
        listed = [item["segment_id"] for item in views.bulk_candidates(store, "work", 0, "ana")["items"]]
        assert "interview_a:0" in listed
    assert run("project", "skip-speaker", str(project), "Interviewer") == 0
    with ProjectStore(project) as store:
        listed = [item["segment_id"] for code in ("work", "family", "stigma", "other")
                  for item in views.bulk_candidates(store, code, 0, "ana")["items"]]
        assert listed and not set(listed) & store.skipped_segment_ids()


def test_info_lists_the_imported_codings_of_each_coder_as_the_exports_name_them(tmp_path, capsys):
    """project info listed the decisions per coder but not the codings project init imported (--coded, --qdpx):
    the coder a --coded file without a coder column makes, named by the file in the exports, went unsaid."""
    from theme_assist.project.store import DecisionRequest
    from theme_assist.project.testing import make_project

    project = tmp_path / "p.taproj"
    with make_project(project) as store:
        ids = store.segments()["segment_id"]
        store.add_codings(pd.DataFrame({"segment_id": ids[:3], "code": "work", "coder": ""}), source="train.csv")
        store.add_codings(pd.DataFrame({"segment_id": ids[3:5], "code": "other", "coder": "ana"}), source="ana.csv")
        store.record_decisions([DecisionRequest(ids.iloc[6], "add", "work", "ana")])
    assert run("project", "export", str(project), "--codings", str(tmp_path / "codings.csv")) == 0
    exported = set(pd.read_csv(tmp_path / "codings.csv")["coder"])
    capsys.readouterr()
    assert run("project", "info", str(project)) == 0
    said = capsys.readouterr().out
    assert said.endswith("coders:\n"
                         "  train.csv: 3 imported codings from train.csv (no coder named: the exports name this coder "
                         "by the file)\n"
                         "  ana: 2 imported codings from ana.csv\n"
                         "  ana: 1 decision\n"), said
    assert exported == {"train.csv", "ana"}


def test_export_qdpx_says_which_runs_suggestions_it_wrote(tmp_path, capsys):
    """--qdpx writes the latest run's suggestions, --all-runs every run's; the ✓ line says which."""
    from theme_assist.project.testing import make_project

    project = tmp_path / "p.taproj"
    with make_project(project) as store:
        store.add_run(store.suggestions(run_id=1), model_id="model 2", embedding_model="fake@0",
                      engine_version="test", mode="trained", params={}, n_training=1, n_decisions=0)
        per_run = len(store.suggestions())
    capsys.readouterr()
    assert run("project", "export", str(project), "--qdpx", str(tmp_path / "latest.qdpx")) == 0
    said = " ".join(capsys.readouterr().err.split())
    assert f"codings, {per_run} suggestions; suggestions of run 2 of 2 (--all-runs for every run)" in said
    assert run("project", "export", str(project), "--qdpx", str(tmp_path / "every.qdpx"), "--all-runs") == 0
    said = " ".join(capsys.readouterr().err.split())
    assert f"codings, {2 * per_run} suggestions; suggestions of all 2 runs" in said
    assert run("project", "export", str(project), "--audit", str(tmp_path / "a.csv"), "--all-runs") == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "theme-assist: error: --all-runs says which suggestions --qdpx OUT.qdpx writes: give --qdpx too"]


def test_qdpx_export_says_which_document_names_an_import_gives_back_otherwise(tmp_path, capsys):
    """A document named with a space came back from its own .qdpx as 'interview_1', its metadata and coded tables
    then naming no document, without a word."""
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "interview 1.txt").write_text("Interviewer: How was it?\nP1: We were laughed at.\n", encoding="utf-8")
    (folder / "fg_02.txt").write_text("Moderator: Tell me.\nP2: Support helped.\n", encoding="utf-8")
    project, qdpx = tmp_path / "study.taproj", tmp_path / "study.qdpx"
    assert run("project", "init", str(project), "--codebook", str(packaged_codebook("upsides")), "--input",
               str(folder)) == 0
    capsys.readouterr()
    assert run("project", "export", str(project), "--qdpx", str(qdpx)) == 0
    said = " ".join(capsys.readouterr().err.split())
    assert ("Note: 1 document name(s) will come back under another name when this file is imported ('interview 1' "
            "as 'interview_1')") in said
    imported = tmp_path / "imported"
    assert run("import-qdpx", str(qdpx), "--out", str(imported)) == 0
    assert sorted(path.stem for path in (imported / "documents").iterdir()) == ["fg_02", "interview_1"]
