"""Tables of segmentation versions 1 and 2 read as one where they show that version 2 changed none of their
documents (plain-text transcripts without a heading after their first turn:
:func:`theme_assist.segment.across_versions`), and refused otherwise, naming the first document that is not shown
unchanged and why. The version-1 tables are real version-2 output of ``.txt`` transcripts with the tag written by
hand."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from theme_assist.codebook import packaged_codebook
from theme_assist.inputs import read_segments
from theme_assist.project import ProjectStore
from theme_assist.project.testing import run_command as run
from theme_assist.segment import across_versions, segmentation_tag, segmented_alike

PLAIN = {"iv_01.txt": "Interviewer: How is work?\nAnna: I get a salary now.\nInterviewer: And your family?\n"
                      "Anna: They understand now.\n",
         "iv_02.txt": "Interviewer: What changed?\nBen: I have friends at work.\nInterviewer: Anything else?\n"
                      "Ben: No, that is all.\n"}
HEADED = ("Interviewer: What changed?\nBen: I have friends at work.\n## Notes\nThe room was cold.\n"
          "Interviewer: Anything else?\nBen: No, that is all.\n")
SUBTITLES = ("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Interviewer>How is work?\n\n"
             "00:00:03.000 --> 00:00:05.000\n<v Anna>I get a salary now.\n\n"
             "00:00:05.000 --> 00:00:07.000\n<v Anna>They understand now.\n")
V1, V2 = "v1-turn-1000", segmentation_tag()
CODE = "psw_experiences"


def transcripts(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def segments_of(folder: Path, tag: str = V1) -> pd.DataFrame:
    """What suggest --segments-out writes for ``folder`` (this version's segmentation), its tag written as ``tag``."""
    return read_segments(folder).assign(segmentation=tag)


def files_of(folder: Path) -> dict[str, str]:
    return {path.stem: str(path) for path in folder.iterdir()}


def suggestions(segments: pd.DataFrame, tag: str) -> pd.DataFrame:
    return pd.DataFrame({"segment_id": segments["segment_id"], "code": CODE, "score": 0.9, "rank": 1,
                         "evidence": "[]", "segmentation": tag})


def test_a_plain_text_study_is_shown_unchanged_and_anything_else_named(tmp_path):
    plain = transcripts(tmp_path / "plain", PLAIN)
    v1 = segments_of(plain)
    assert across_versions(v1, V2, files_of(plain)) == "" and segmented_alike(v1, V2, files_of(plain))
    assert segmented_alike(v1, segmentation_tag(max_chars=2000), files_of(plain))  # no turn split by either limit
    assert across_versions(v1, V1) is None and across_versions(v1, "v2-sentence-1000") is None  # no version question
    assert across_versions(v1, "v0-turn-1000") is None
    # the table's documents are named without their file's extension: a .vtt cannot be told from a .txt
    assert across_versions(v1, V2) == ("iv_01: named without its file's extension, so the table cannot show that "
                                       "it is a plain-text transcript (.txt), not subtitles or a Word document")
    assert not segmented_alike(v1, V2)
    assert across_versions(v1.assign(document=v1["document"] + ".txt"), V2) == ""  # a table naming the files
    # a dot in a document's name is no extension: it was said to be no plain-text transcript
    assert across_versions(v1.assign(document=v1["document"] + ".2"), V2).startswith(
        "iv_01.2: named without its file's extension")
    assert across_versions(v1.iloc[1:], V2, files_of(plain)) == ("iv_01.txt: its segments from the first are not "
                                                                 "all in the table")
    headed = transcripts(tmp_path / "headed", {**PLAIN, "iv_04.txt": HEADED})
    for tag, table in ((V1, segments_of(headed)), (V2, segments_of(headed, V2))):  # either version's table shows it
        other = V2 if tag == V1 else V1
        assert across_versions(table, other, files_of(headed)) == ("iv_04.txt: a heading, '## Notes' (segment "
                                                                   "iv_04:2), which version 2 starts a turn at")
    subtitles = transcripts(tmp_path / "subtitles", {**PLAIN, "iv_03.vtt": SUBTITLES})
    assert across_versions(segments_of(subtitles), V2, files_of(subtitles)) == "iv_03.vtt: subtitles"
    # version 1 joined a heading to the turn above: inside a segment's text, read with the line above it
    from theme_assist.ingest.speakers import heading_in

    assert heading_in("I have friends at work.\n## Notes\nThe room was cold.") == "## Notes"
    assert heading_in("we counted the\n# of people who came") is None
    # a '#' line wrapped from the line above is no heading to the reader, nor here
    wrapped = transcripts(tmp_path / "wrapped", {"iv_05.txt": "Interviewer: How many?\nAnna: we counted the\n"
                                                              "# of people who came\nInterviewer: Thanks.\n"})
    assert across_versions(segments_of(wrapped), V2, files_of(wrapped)) == ""


def export(tmp_path: Path, *args) -> int:
    return run("export-qdpx", "--codebook", str(packaged_codebook("upsides")), "--out", str(tmp_path / "out.qdpx"),
               "--force", *map(str, args))


def test_export_qdpx_places_version_1_suggestions_on_plain_text_transcripts(tmp_path, capsys):
    plain = transcripts(tmp_path / "plain", PLAIN)
    made = segments_of(plain)
    suggestions(made, V1).to_csv(tmp_path / "s.csv", index=False)
    assert export(tmp_path, "--documents", plain, "--suggestions", tmp_path / "s.csv") == 0
    err = " ".join(capsys.readouterr().err.split())
    assert (f"s.csv: segment ids of segmentations {V1} and {V2} read as one: the documents are plain-text "
            "transcripts without a heading after their first turn, which version 2 segments as version 1 did") in err
    assert err.count("read as one") == 1
    # a version-1 --segments table and this version's suggestions: the documents read show the files are .txt
    made.to_csv(tmp_path / "segments.csv", index=False)
    suggestions(made, V2).to_csv(tmp_path / "s.csv", index=False)
    assert export(tmp_path, "--documents", plain, "--suggestions", tmp_path / "s.csv", "--segments",
                  tmp_path / "segments.csv") == 0
    assert "read as one" in capsys.readouterr().err
    # without --documents, the table alone cannot show that its documents are plain text: refused, saying why
    assert export(tmp_path, "--suggestions", tmp_path / "s.csv", "--segments", tmp_path / "segments.csv") == 2
    err = " ".join(capsys.readouterr().err.split())
    assert (f"its segment ids come from segmentation {V2}, and --segments {tmp_path / 'segments.csv'} comes from "
            f"{V1}") in err
    assert "not shown to be segmented alike: iv_01: named without its file's extension" in err


@pytest.mark.parametrize("name, text, said", [
    ("iv_03.vtt", SUBTITLES, "iv_03.vtt: subtitles"),
    ("iv_04.txt", HEADED, "iv_04.txt: a heading, '## Notes' (segment iv_04:2), which version 2 starts a turn at"),
])
def test_export_qdpx_refuses_version_1_suggestions_where_a_document_may_be_segmented_otherwise(tmp_path, capsys,
                                                                                               name, text, said):
    folder = transcripts(tmp_path / "transcripts", {**PLAIN, name: text})
    suggestions(segments_of(folder), V1).to_csv(tmp_path / "s.csv", index=False)
    assert export(tmp_path, "--documents", folder, "--suggestions", tmp_path / "s.csv") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and not (tmp_path / "out.qdpx").exists()
    err = " ".join(err.split())
    assert f"its segment ids come from segmentation {V1}" in err
    assert f"; not shown to be segmented alike: {said})" in err


def agree_files(tmp_path: Path, folder: Path, named: bool = False) -> tuple[Path, Path, Path]:
    """Span codings of two coders on each segment of ``folder`` (this version's output, tagged version 1: the
    --units table), and the machine's suggestions of this version; with ``named``, documents named by their files."""
    units = segments_of(folder)
    if named:
        units = units.assign(document=units["document"] + ".txt")
    units.to_csv(tmp_path / "units.csv", index=False)
    spans = pd.concat([units[["document", "start", "end"]].assign(code=CODE, coder=coder) for coder in ("ann", "bob")])
    spans.to_csv(tmp_path / "spans.csv", index=False)
    suggestions(units, V2).to_csv(tmp_path / "out.csv", index=False)
    return tmp_path / "spans.csv", tmp_path / "units.csv", tmp_path / "out.csv"


def test_agree_compares_version_1_units_with_version_2_suggestions_only_where_the_table_shows_it(tmp_path, capsys):
    from theme_assist.cli import main

    def agree(*args):
        with pytest.raises(SystemExit) as exit_info:
            main(["agree", *map(str, args)])
        captured = capsys.readouterr()
        return exit_info.value.code, captured.out, " ".join(captured.err.split())

    plain = transcripts(tmp_path / "plain", PLAIN)
    spans, units, machine = agree_files(tmp_path, plain)
    # suggest --segments-out names documents without their files' extension: not shown to be plain text
    code, out, err = agree(spans, "--units", units, "--machine", machine, "-m", "percent")
    assert code == 2 and (f"has segment ids of segmentation {V1} and the machine's suggestions {machine} of {V2}"
                          in err)
    assert "; not shown to be segmented alike: iv_01: named without its file's extension" in err
    # a --units table naming the documents by their files shows it: compared, said in a warning
    spans, units, machine = agree_files(tmp_path, plain, named=True)
    code, out, err = agree(spans, "--units", units, "--machine", machine, "-m", "percent", "--format", "json")
    assert code in (0, None), err
    assert json.loads(out)["machine_comparison"][0]["n_units"] == 8
    assert f"{units}: segment ids of segmentations {V1} and {V2} read as one" in err
    headed = transcripts(tmp_path / "headed", {**PLAIN, "iv_04.txt": HEADED})
    spans, units, machine = agree_files(tmp_path, headed, named=True)
    code, out, err = agree(spans, "--units", units, "--machine", machine, "-m", "percent")
    assert code == 2 and "not shown to be segmented alike: iv_04.txt: a heading, '## Notes' (segment iv_04:2)" in err


# another --max-chars that splits no turn names the same segments too, of this version without a warning
@pytest.mark.parametrize("tag", [V1, "v1-turn-2000", "v2-turn-2000"])
def test_project_add_places_a_version_1_table_by_its_ids_on_plain_text_transcripts(tmp_path, capsys, tag):
    """A coded table without text (segment_id, code) of version 1 was refused: it had no text to place its rows by.
    The transcripts added show that version 2 segments them as version 1 did: placed by its ids."""
    project = tmp_path / "study.taproj"
    first = transcripts(tmp_path / "first", {"fg_01.txt": "Moderator: Welcome.\nAli: Thanks for having us.\n"})
    assert run("project", "init", str(project), "--codebook", str(packaged_codebook("upsides")), "--input",
               str(first)) == 0
    later = transcripts(tmp_path / "later", PLAIN)
    coded = segments_of(later, tag)[["segment_id", "segmentation"]].assign(code=CODE).iloc[[1, 3, 5]]
    coded.to_csv(tmp_path / "coded.csv", index=False)
    capsys.readouterr()
    assert run("project", "add", str(project), str(later), "--coded", str(tmp_path / "coded.csv")) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert (f"coded.csv: segment ids of segmentations {tag} and {V2} read as one" in err) == tag.startswith("v1")
    assert "placed by" not in err and "no text to place" not in err
    with ProjectStore(project) as store:
        assert sorted(store.codings()["segment_id"]) == ["iv_01:1", "iv_01:3", "iv_02:1"]


@pytest.mark.parametrize("name, text, said", [
    ("iv_03.vtt", SUBTITLES, "iv_03.vtt: subtitles"),
    ("iv_04.txt", HEADED, "iv_04.txt: a heading, '## Notes' (segment iv_04:2)"),
])
def test_project_add_refuses_a_version_1_table_without_text_where_a_transcript_may_be_segmented_otherwise(
        tmp_path, capsys, name, text, said):
    project = tmp_path / "study.taproj"
    first = transcripts(tmp_path / "first", {"fg_01.txt": "Moderator: Welcome.\nAli: Thanks for having us.\n"})
    assert run("project", "init", str(project), "--codebook", str(packaged_codebook("upsides")), "--input",
               str(first)) == 0
    later = transcripts(tmp_path / "later", {**PLAIN, name: text})
    segments_of(later)[["segment_id", "segmentation"]].assign(code=CODE).iloc[[1, 3]].to_csv(tmp_path / "coded.csv",
                                                                                           index=False)
    capsys.readouterr()
    assert run("project", "add", str(project), str(later), "--coded", str(tmp_path / "coded.csv")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    err = " ".join(err.split())
    assert f"not shown to be segmented alike: {said}" in err and "it has no text to place its rows by" in err
    with ProjectStore(project) as store:
        assert set(store.documents()["document"]) == {"fg_01"}


def test_project_init_places_a_version_1_table_by_its_ids_on_plain_text_transcripts(tmp_path, capsys):
    """init --coded reads its table as project add does (one placing of codings)."""
    later = transcripts(tmp_path / "later", PLAIN)
    segments_of(later)[["segment_id", "segmentation"]].assign(code=CODE).iloc[[0, 5]].to_csv(tmp_path / "coded.csv",
                                                                                           index=False)
    capsys.readouterr()
    assert run("project", "init", str(tmp_path / "study.taproj"), "--codebook", str(packaged_codebook("upsides")),
               "--input", str(later), "--coded", str(tmp_path / "coded.csv")) == 0
    assert f"coded.csv: segment ids of segmentations {V1} and {V2} read as one" in capsys.readouterr().err
    with ProjectStore(tmp_path / "study.taproj") as store:
        assert sorted(store.codings()["segment_id"]) == ["iv_01:0", "iv_02:1"]
