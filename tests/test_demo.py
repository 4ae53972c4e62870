"""Reading a corpus in the demo layout: the shipped corpus reads cleanly, a wrong layout is a one-line error."""

from __future__ import annotations

import logging
import shutil

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
    for path in [*(DEMO_CORPUS / "transcripts").glob("*.txt"), DEMO_CORPUS / "metadata.csv",
                 DEMO_CORPUS / "reference_coding.csv"]:
        shutil.copy(path, tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--corpus", str(tmp_path), "--out", str(tmp_path / "out")])
    error = capsys.readouterr().err.strip()
    assert exit_info.value.code == 2
    assert "no transcripts/" in error and str(tmp_path) in error and len(error.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_corpus_of_one_document_is_a_one_line_error(tmp_path, capsys):
    """The demo fits on half of the documents and suggests for the other half: one document is too few."""
    import pandas as pd

    (tmp_path / "transcripts").mkdir()
    shutil.copy(DEMO_CORPUS / "transcripts" / "fg_ulm_01.txt", tmp_path / "transcripts")
    for table in ("metadata.csv", "reference_coding.csv"):
        rows = pd.read_csv(DEMO_CORPUS / table, dtype=str, keep_default_na=False)
        rows[rows["document"] == "fg_ulm_01"].to_csv(tmp_path / table, index=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--corpus", str(tmp_path), "--out", str(tmp_path / "out")])
    error = capsys.readouterr().err.strip()
    assert exit_info.value.code == 2 and "two or more documents" in error and len(error.splitlines()) == 1
