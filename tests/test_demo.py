"""Reading a corpus in the demo layout: the shipped corpus reads cleanly, a wrong layout is a one-line error."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from theme_assist.cli import main
from theme_assist.demo import DEMO_CORPUS, load_demo_corpus


def test_shipped_corpus_is_read_without_a_skipped_file(caplog):
    with caplog.at_level(logging.WARNING, logger="theme_assist.ingest"):
        segments, codebook = load_demo_corpus()
    assert "skipped" not in caplog.text
    assert segments["document"].nunique() == 15 and len(segments) == 537
    assert segments["code"].isin(codebook.ids).all()


def test_flat_layout_is_a_one_line_error(tmp_path, capsys):
    """Transcripts next to the tables (the layout before ``transcripts/``) are refused, naming what is missing."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in [*(DEMO_CORPUS / "transcripts").glob("*.txt"), DEMO_CORPUS / "metadata.csv",
                 DEMO_CORPUS / "reference_coding.csv"]:
        shutil.copy(path, corpus)
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--corpus", str(corpus), "--out", str(tmp_path / "out")])
    error = capsys.readouterr().err.strip()
    assert exit_info.value.code == 2
    assert "no transcripts/" in error and str(corpus) in error and len(error.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_corpus_of_one_document_is_a_one_line_error(tmp_path, capsys):
    """The demo fits on half of the documents and suggests for the other half: one document is too few."""
    import pandas as pd

    corpus = tmp_path / "corpus"
    (corpus / "transcripts").mkdir(parents=True)
    shutil.copy(DEMO_CORPUS / "transcripts" / "fg_ulm_01.txt", corpus / "transcripts")
    for table in ("metadata.csv", "reference_coding.csv"):
        rows = pd.read_csv(DEMO_CORPUS / table, dtype=str, keep_default_na=False)
        rows[rows["document"] == "fg_ulm_01"].to_csv(corpus / table, index=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--corpus", str(corpus), "--out", str(tmp_path / "out")])
    error = capsys.readouterr().err.strip()
    assert exit_info.value.code == 2 and "two or more documents" in error and len(error.splitlines()) == 1


@pytest.fixture()
def corpus_copy(tmp_path):
    """A copy of the shipped corpus, to break one thing in."""
    corpus = tmp_path / "corpus"
    shutil.copytree(DEMO_CORPUS, corpus)
    return corpus


def run_demo_cli(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", *map(str, args)])
    return exit_info.value.code, capsys.readouterr().err.strip()


def test_metadata_without_the_group_column_is_a_one_line_error_and_help_names_the_columns(corpus_copy, capsys):
    import pandas as pd

    metadata = pd.read_csv(corpus_copy / "metadata.csv", dtype=str, keep_default_na=False)
    metadata.drop(columns=["participant_group"]).to_csv(corpus_copy / "metadata.csv", index=False)
    code, error = run_demo_cli(capsys, "--corpus", corpus_copy, "--out", corpus_copy.parent / "out")
    assert code == 2 and len(error.splitlines()) == 1 and "Traceback" not in error
    assert "metadata.csv has no column 'participant_group'" in error
    assert not (corpus_copy.parent / "out").exists()

    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    help_text = " ".join(capsys.readouterr().out.replace("│", " ").split())
    assert "metadata.csv (columns document, participant_group)" in help_text
    assert "reference_coding.csv (columns document, turn, code;" in help_text


def test_a_turn_that_is_not_a_whole_number_is_named_with_its_line(corpus_copy, capsys):
    import pandas as pd

    reference = pd.read_csv(corpus_copy / "reference_coding.csv", dtype=str, keep_default_na=False)
    reference.loc[3, "turn"] = "3.0"
    reference.to_csv(corpus_copy / "reference_coding.csv", index=False)
    code, error = run_demo_cli(capsys, "--corpus", corpus_copy, "--out", corpus_copy.parent / "out")
    assert code == 2 and len(error.splitlines()) == 1 and "Traceback" not in error
    assert "reference_coding.csv: the 'turn' column must hold whole numbers, not '3.0' (line 5)" in error


def test_reference_codes_are_read_as_the_suggester_reads_them_and_each_turn_once(corpus_copy, capsys):
    import pandas as pd

    reference_file = corpus_copy / "reference_coding.csv"
    reference = pd.read_csv(reference_file, dtype=str, keep_default_na=False)
    spaced = reference.assign(code=reference["code"] + " ")  # a spreadsheet's trailing space
    spaced.to_csv(reference_file, index=False)
    segments, _ = load_demo_corpus(corpus_copy)
    assert len(segments) == 537 and segments["code"].isin(reference["code"]).all()

    for broken, message in [
        (pd.concat([reference, reference.iloc[[5]]]), "turn 5 of 'fg_beer_sheva_01' has more than one row "
                                                       "(line 7, 539)"),
        (reference.assign(code=reference["code"].where(reference.index != 3, "made_up")),
         "code 'made_up' is not in codebook 'UPSIDES peer support' (line 5)"),
        (reference.assign(code=reference["code"].where(reference.index != 3, "")), "1 row(s) without a code (line 5)"),
    ]:
        broken.to_csv(reference_file, index=False)
        code, error = run_demo_cli(capsys, "--corpus", corpus_copy, "--out", corpus_copy.parent / "out")
        assert code == 2 and len(error.splitlines()) == 1 and message in error, error


def test_outputs_are_checked_before_any_work(corpus_copy, capsys, monkeypatch):
    """``--out`` must be a folder and must not be inside the corpus (the next run would read what it wrote)."""
    import theme_assist.demo

    def no_work(*args, **kwargs):
        raise AssertionError("the demo ran before its outputs were checked")

    monkeypatch.setattr(theme_assist.demo, "run_demo", no_work)
    existing = corpus_copy.parent / "cb.yaml"
    existing.write_text("keep me\n")
    code, error = run_demo_cli(capsys, "--corpus", corpus_copy, "--out", existing)
    assert code == 2 and "--out" in error and "is a file: give a folder" in error
    assert existing.read_text() == "keep me\n"

    transcripts = sorted((corpus_copy / "transcripts").iterdir())
    for out in (corpus_copy / "transcripts", corpus_copy / "transcripts" / "out", corpus_copy):
        code, error = run_demo_cli(capsys, "--corpus", corpus_copy, "--out", out)
        assert code == 2 and "the folder --corpus" in error and "read as input" in error
        assert len(error.splitlines()) == 1
    assert sorted((corpus_copy / "transcripts").iterdir()) == transcripts


def test_files_in_a_folder_of_ones_own_are_replaced_only_with_force(tmp_path, capsys, monkeypatch):
    """``demo --out DIR`` rewrote DIR's suggestions.csv and segments.csv (maybe a study's own) without a word, where
    other commands refuse an existing output without --force; its own default folder is still rewritten, so the
    README's first command can be run again."""
    import theme_assist.demo

    class Ran(Exception):
        pass

    def ran(*args, **kwargs):
        raise Ran

    monkeypatch.setattr(theme_assist.demo, "run_demo", ran)
    monkeypatch.chdir(tmp_path)
    for folder in ("demo-output", "study"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "suggestions.csv").write_text("segment_id,code,score,rank\nmine,a,0.9,1\n")
    code, error = run_demo_cli(capsys, "--out", "study")
    assert code == 2 and error == "theme-assist: error: --out study/suggestions.csv exists (use --force to replace it)"
    assert (tmp_path / "study" / "suggestions.csv").read_text().endswith("mine,a,0.9,1\n")
    for args in (["--out", "study", "--force"], [], ["--out", "demo-output"], ["--out", str(tmp_path / "demo-output")]):
        with pytest.raises(Ran):
            main(["demo", *args])


def test_a_folder_where_an_output_file_goes_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    """A folder named suggestions.csv in --out: the demo ran a minute, wrote segments.csv, then stopped with 'Is a
    directory (.../.suggestions.csv.w4v3ibsw.part)' (and without --force said to use --force)."""
    import theme_assist.demo

    def ran(*args, **kwargs):
        raise AssertionError("the demo ran")

    monkeypatch.setattr(theme_assist.demo, "run_demo", ran)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo-output" / "suggestions.csv").mkdir(parents=True)
    for args in ([], ["--out", "demo-output", "--force"]):
        code, error = run_demo_cli(capsys, *args)
        assert code == 2 and error == ("theme-assist: error: --out demo-output: demo-output/suggestions.csv is a "
                                       "folder (or another thing than a file) where the demo writes its "
                                       "suggestions.csv: move it, or give another --out")
    assert sorted(path.name for path in (tmp_path / "demo-output").iterdir()) == ["suggestions.csv"]


def test_the_table_shows_the_transcripts_bracketed_notes_as_written(corpus_copy, capsys):
    """The table read the texts as rich markup: the corpus's own "[laughs]" vanished from what was said and from
    the evidence, and a note such as "[/laughs]" stopped the demo with a MarkupError traceback."""
    for path in [*(corpus_copy / "transcripts").glob("*.txt"), corpus_copy / "reference_coding.csv"]:
        path.write_text(path.read_text(encoding="utf-8").replace("[laughs]", "[/laughs]"), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--corpus", str(corpus_copy), "--out", str(corpus_copy.parent / "out"), "--show", "60"])
    assert exit_info.value.code == 0
    shown = capsys.readouterr().out
    assert "[/laughs]" in shown and "[laughter]" in shown


def _small_result():
    import pandas as pd

    from theme_assist.demo import DemoResult

    segments = pd.DataFrame({"segment_id": ["a:0", "b:0"], "document": ["a", "b"], "speaker": ["P", "P"],
                             "text": ["One.", "Two."], "code": ["work", "work"], "half": ["train", "suggest"]})
    suggestions = pd.DataFrame({"segment_id": ["b:0"], "code": ["work"], "score": [0.9], "rank": [1],
                                "evidence": [[{"segment_id": "a:0", "text": "One.", "similarity": 0.5}]]})
    overall = {"segments_suggested": 1, "accuracy": 1.0, "kappa": 1.0, "macro_f1": 1.0, "top3_recall": 1.0,
               "abstention_rate": 0.0, "ece": 0.1}
    per_code = pd.DataFrame({"code": ["work"], "reference": [1], "suggested": [1], "agreed": [1], "f1": [1.0],
                             "kappa": [1.0]})
    return DemoResult(segments, suggestions, overall, per_code, "fake@0")


@pytest.mark.parametrize("failing", ["written", "put in place"])
def test_a_failed_write_leaves_no_partial_set_or_names_the_files_written(tmp_path, capsys, monkeypatch, failing):
    """A later file that could not be written (a full disk) left the earlier ones beside another run's, unsaid."""
    import errno
    import os

    import theme_assist.demo
    import theme_assist.refi.atomic

    monkeypatch.setattr(theme_assist.demo, "run_demo", lambda corpus: _small_result())
    out = tmp_path / "out"
    out.mkdir()
    for name in ("suggestions.csv", "segments.csv", "agreement.json", "agreement_per_code.csv"):
        (out / name).write_text("an earlier run's\n")
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    if failing == "written":
        def write_text_whole(target, text):
            raise full

        monkeypatch.setattr(theme_assist.refi.atomic, "write_text_whole", write_text_whole)
    else:
        replace = os.replace

        def replace_but_suggestions(source, target):
            if Path(target).name == "suggestions.csv":
                raise full
            replace(source, target)

        monkeypatch.setattr(os, "replace", replace_but_suggestions)
    code, error = run_demo_cli(capsys, "--out", out, "--force", "--show", 0)
    assert code == 2 and len(error.splitlines()) == 1 and "Traceback" not in error
    kept = sorted(path.name for path in out.iterdir() if path.read_text() == "an earlier run's\n")
    assert sorted(path.name for path in out.iterdir()) == ["agreement.json", "agreement_per_code.csv",
                                                           "segments.csv", "suggestions.csv"]  # no temporary left
    if failing == "written":
        assert error == f"theme-assist: error: No space left on device: nothing was written to {out}/"
        assert len(kept) == 4
    else:  # suggestions.csv is put in place last
        assert error == (f"theme-assist: error: No space left on device: only segments.csv, agreement.json, "
                         f"agreement_per_code.csv written to {out}/ (not suggestions.csv)")
        assert kept == ["suggestions.csv"]
