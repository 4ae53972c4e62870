"""The ``codebook_version`` column of ``project export --codings`` and ``--machine``: every command that reads those
exports takes it as what it is, no coder, code or rating (``agree``'s refusal of two versions is tested in
test_agree_cli)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from theme_assist.codebook import packaged_codebook
from theme_assist.project import ProjectStore
from theme_assist.project.testing import run_command as run

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "corpora" / "demo"
NAMES = ["fg_ulm_01", "iv_ulm_01"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Path]:
    """A project of two demo transcripts with the reference coding, its ``--codings`` export (with the segments'
    texts and documents joined, as a table to learn from), and the segments table: ``{"transcripts", "codings",
    "with_text", "segments"}``."""
    from theme_assist.inputs import read_segments, write_table

    folder = tmp_path_factory.mktemp("codebook_version")
    transcripts = folder / "transcripts"
    transcripts.mkdir()
    for name in NAMES:
        shutil.copy(DEMO / "transcripts" / f"{name}.txt", transcripts)
    coded = pd.read_csv(DEMO / "reference_coding.csv")
    coded[coded["document"].isin(NAMES)].assign(coder="ref").to_csv(folder / "coded.csv", index=False)
    assert run("project", "init", str(folder / "p.taproj"), "--codebook", str(packaged_codebook("upsides")),
               "--input", str(transcripts), "--coded", str(folder / "coded.csv")) == 0
    assert run("project", "export", str(folder / "p.taproj"), "--codings", str(folder / "codings.csv")) == 0
    codings = pd.read_csv(folder / "codings.csv", dtype=str, keep_default_na=False)
    assert codings.columns.tolist() == ["segment_id", "code", "coder", "segmentation", "codebook_version"]
    assert set(codings["codebook_version"]) == {"1"}
    segments = read_segments(transcripts)
    write_table(segments, folder / "segments.csv")
    codings.merge(segments[["segment_id", "document", "text"]], on="segment_id").to_csv(folder / "with_text.csv",
                                                                                          index=False)
    return {"transcripts": transcripts, "codings": folder / "codings.csv", "with_text": folder / "with_text.csv",
            "segments": folder / "segments.csv"}


def test_project_init_and_add_take_a_codings_export_as_coded(exported, tmp_path):
    codebook = str(packaged_codebook("upsides"))
    assert run("project", "init", str(tmp_path / "again.taproj"), "--codebook", codebook, "--input",
               str(exported["transcripts"]), "--coded", str(exported["codings"])) == 0
    first = tmp_path / "first"
    first.mkdir()
    shutil.copy(exported["transcripts"] / f"{NAMES[0]}.txt", first)
    codings = pd.read_csv(exported["codings"], dtype=str, keep_default_na=False)
    later = codings[codings["segment_id"].str.startswith(f"{NAMES[1]}:")]
    later.to_csv(tmp_path / "later.csv", index=False)
    assert run("project", "init", str(tmp_path / "added.taproj"), "--codebook", codebook, "--input", str(first)) == 0
    assert run("project", "add", str(tmp_path / "added.taproj"), str(exported["transcripts"]), "--coded",
               str(tmp_path / "later.csv")) == 0
    for name, expected in (("again.taproj", codings), ("added.taproj", later)):
        with ProjectStore(tmp_path / name) as store:
            stored = store.codings()
            assert sorted(zip(stored["segment_id"], stored["code"], stored["coder"])) == sorted(
                zip(expected["segment_id"], expected["code"], expected["coder"]))


def test_export_qdpx_takes_a_codings_export(exported, tmp_path):
    out = tmp_path / "study.qdpx"
    assert run("export-qdpx", "--codebook", str(packaged_codebook("upsides")), "--documents",
               str(exported["transcripts"]), "--codings", str(exported["codings"]), "--segments",
               str(exported["segments"]), "--out", str(out)) == 0
    assert run("import-qdpx", str(out), "--out", str(tmp_path / "imported")) == 0
    imported = pd.read_csv(tmp_path / "imported" / "codings.csv", dtype=str, keep_default_na=False)
    assert len(imported) == len(pd.read_csv(exported["codings"])) and "codebook_version" not in imported
    assert "1" not in set(imported["code"])


def test_suggest_train_and_evaluate_corpus_learn_from_a_codings_export(exported, tmp_path, capsys):
    codebook = str(packaged_codebook("upsides"))
    assert run("suggest", "--codebook", codebook, "--train", str(exported["with_text"]), "--input",
               str(exported["segments"]), "--out", str(tmp_path / "out.csv")) == 0
    suggested = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert "1" not in set(suggested["code"]) and "codebook_version" not in suggested
    capsys.readouterr()
    assert run("evaluate", "--corpus", str(exported["with_text"]), "--codebook", codebook, "--folds", "2", "--out",
               str(tmp_path / "evaluation")) == 0
    assert "codebook_version" not in capsys.readouterr().err


def test_merge_takes_machine_exports_of_a_project(tmp_path, capsys):
    from theme_assist.project import DecisionRequest
    from theme_assist.project.testing import make_project

    project = tmp_path / "study.taproj"
    with make_project(project) as store:
        suggestions = store.suggestions(with_evidence=False)
        best = suggestions[suggestions["rank"] == 1]
        store.record_decisions([DecisionRequest(row.segment_id, "accept", row.code, "ann", int(row.id))
                                for row in best.itertuples()])
        documents = sorted(store.segments()["document"].unique())
    parts = []
    for document in documents:
        parts.append(tmp_path / f"{document}.csv")
        assert run("project", "export", str(project), "--machine", str(parts[-1]), "--document", document) == 0
    assert run("project", "export", str(project), "--machine", str(tmp_path / "whole.csv")) == 0
    assert run("merge", *map(str, parts), "--out", str(tmp_path / "merged.csv")) == 0
    merged = pd.read_csv(tmp_path / "merged.csv", dtype=str, keep_default_na=False)
    whole = pd.read_csv(tmp_path / "whole.csv", dtype=str, keep_default_na=False)
    assert merged.columns.tolist() == whole.columns.tolist() and merged.columns[-1] == "codebook_version"
    assert sorted(map(tuple, merged.to_numpy())) == sorted(map(tuple, whole.to_numpy()))
    # a part exported after a codebook revision names its codes otherwise: refused, as agree refuses such a file
    later = pd.read_csv(parts[-1], dtype=str, keep_default_na=False).assign(codebook_version="2")
    later.to_csv(parts[-1], index=False)
    capsys.readouterr()
    assert run("merge", *map(str, parts), "--out", str(tmp_path / "mixed.csv")) == 2
    assert "have codes exported under two codebook versions, 1 and 2" in capsys.readouterr().err
    assert not (tmp_path / "mixed.csv").exists()
