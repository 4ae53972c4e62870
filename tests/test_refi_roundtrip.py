"""REFI-QDA round trips on real exports (../shared/refi): import → export → import loses nothing, and every
file written validates against the QDA-XML schemas."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from theme_assist.cli import main
from theme_assist.codebook import load_codebook
from theme_assist.refi import export_project, import_project, machine_user_name
from theme_assist.refi.folder import read_base, read_documents

pytestmark = pytest.mark.shared

GUID_COLUMNS = ["selection_guid", "coding_guid", "code_guid", "source_guid", "coder_guid"]


@pytest.fixture(scope="module")
def refi_dir(shared_dir) -> Path:
    return shared_dir / "refi"


@pytest.fixture(scope="module")
def project_schema(refi_dir):
    xmlschema = pytest.importorskip("xmlschema")
    return xmlschema.XMLSchema(str(refi_dir / "Project-mrt2019.xsd"))


@pytest.fixture(scope="module")
def codebook_schema(refi_dir):
    xmlschema = pytest.importorskip("xmlschema")
    return xmlschema.XMLSchema(str(refi_dir / "Codebook-mrt2019.xsd"))


def run_cli(*args) -> int:
    """Run ``theme-assist ARGS`` in-process; its exit status."""
    with pytest.raises(SystemExit) as exit_info:
        main([str(arg) for arg in args])
    return exit_info.value.code


def assert_valid_qdpx(path: Path, schema) -> None:
    with zipfile.ZipFile(path) as archive:
        schema.validate(archive.read("project.qde").decode("utf-8"))


def code_tree(codebook) -> list[tuple[str, str, str | None]]:
    """(guid, name, parent guid) of every code, depth first."""
    return [(code.guid, code.name, parent.guid if parent else None) for code, parent, _ in codebook.walk()]


def export_folder(folder: Path, out: Path, **kwargs):
    return export_project(load_codebook(folder / "codebook.yaml"), read_documents(folder / "documents"),
                          pd.read_csv(folder / "codings.csv", dtype=str, keep_default_na=False), out=out,
                          base=read_base(folder / "project.json"), attachments_dir=folder / "attachments", **kwargs)


@pytest.fixture(scope="module")
def qc_import(refi_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("qc") / "project"
    return folder, import_project(refi_dir / "qc_interview_project.qdpx", folder)


def test_qc_import_counts_and_exact_offsets(qc_import, refi_dir):
    folder, imported = qc_import
    assert dict(imported.report.counts) == {"sources": 2, "codes": 262, "selections": 158, "codings": 205, "users": 1}
    assert not imported.report.skipped
    with zipfile.ZipFile(refi_dir / "qc_interview_project.qdpx") as archive:
        for name in ("board_2017", "admin-1"):
            assert (folder / "documents" / f"{name}.txt").read_bytes() == archive.read(f"sources/{name}.txt")
    codings = pd.read_csv(folder / "codings.csv", dtype=str, keep_default_na=False)
    assert len(codings) == 205 and codings["coder"].eq("cp").all()
    texts = {name: (folder / "documents" / f"{name}.txt").read_text(encoding="utf-8") for name in ("board_2017",)}
    # qc names each selection after the line it codes: the offsets must land exactly on that line
    lines = texts["board_2017"].splitlines(keepends=True)
    for row in codings.itertuples():
        assert texts[row.document][int(row.start):int(row.end)] == row.text
    assert codings.loc[0, "text"] in lines


def test_qc_round_trip_is_lossless_and_valid(qc_import, tmp_path, project_schema):
    folder, first = qc_import
    exported = export_folder(folder, tmp_path / "again.qdpx")
    assert exported.counts["codings"] == 205 and exported.counts["selections"] == 158
    assert_valid_qdpx(tmp_path / "again.qdpx", project_schema)

    second = import_project(tmp_path / "again.qdpx", tmp_path / "again")
    assert code_tree(second.codebook) == code_tree(first.codebook)
    for document in first.documents:
        assert (tmp_path / "again" / "documents" / f"{document.id}.txt").read_bytes() == \
            (folder / "documents" / f"{document.id}.txt").read_bytes()
    key = ["coding_guid"]
    columns = ["document", "start", "end", "code", "coder", *GUID_COLUMNS]
    before = first.codings[columns].sort_values(key).reset_index(drop=True)
    after = second.codings[columns].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)
    assert [u.guid for u in second.project.users] == [u.guid for u in first.project.users]


def test_export_is_deterministic(qc_import, tmp_path):
    folder, _ = qc_import
    export_folder(folder, tmp_path / "a.qdpx")
    export_folder(folder, tmp_path / "b.qdpx")
    assert (tmp_path / "a.qdpx").read_bytes() == (tmp_path / "b.qdpx").read_bytes()


def test_atlas_codebook_only_round_trip(refi_dir, tmp_path, project_schema):
    first = import_project(refi_dir / "atlas_codebook_only.qdpx", tmp_path / "atlas")
    assert [(u.name) for u in first.project.users] == ["Enric Llagostera", "ATLAS.ti"]
    tree = code_tree(first.codebook)
    assert len(tree) == 3 and tree[1][2] == tree[0][0] and tree[2][2] == tree[0][0]  # two codes under "Commits"
    assert (tmp_path / "atlas" / "codings.csv").read_text().startswith("document,start,end,code,coder,text")
    assert list((tmp_path / "atlas" / "documents").iterdir()) == []

    assert run_cli("export-qdpx", "--project", tmp_path / "atlas", "--out", tmp_path / "atlas.qdpx") == 0
    assert_valid_qdpx(tmp_path / "atlas.qdpx", project_schema)
    second = import_project(tmp_path / "atlas.qdpx", tmp_path / "atlas2")
    assert code_tree(second.codebook) == tree
    assert [(u.guid, u.name) for u in second.project.users] == [(u.guid, u.name) for u in first.project.users]
    assert second.project.attrs["creationDateTime"] == "2023-08-16T15:49:36Z"


def test_suggestions_export_as_machine_coder_and_survive_reimport(qc_import, tmp_path, project_schema,
                                                                  caplog):
    folder, first = qc_import
    # segments as the segmenter would give them (offsets + text), and suggest's OUT.csv for them
    document = (folder / "documents" / "admin-1.txt").read_text(encoding="utf-8")
    starts = [0, *[i + 1 for i, ch in enumerate(document) if ch == "\n"][:5]]
    segments = pd.DataFrame({"segment_id": [f"admin-1:{i}" for i in range(5)], "document": "admin-1",
                             "start": starts[:5], "end": [s - 1 for s in starts[1:6]]})
    segments["text"] = [document[s:e] for s, e in zip(segments["start"], segments["end"])]
    codes = [code.id for code in first.codebook.leaf_codes[:2]]
    suggestions = pd.DataFrame({"segment_id": ["admin-1:0", "admin-1:0", "admin-1:1", "admin-1:2"],
                                "code": [codes[0], codes[1], codes[0], ""], "score": ["0.91", "0.44", "0.63", ""],
                                "rank": ["1", "2", "1", ""], "evidence": "[]"})
    segments.to_csv(tmp_path / "segments.csv", index=False)
    suggestions.to_csv(tmp_path / "suggestions.csv", index=False)

    assert run_cli("export-qdpx", "--project", folder, "--suggestions", tmp_path / "suggestions.csv",
                   "--segments", tmp_path / "segments.csv", "--out", tmp_path / "suggested.qdpx") == 0
    assert_valid_qdpx(tmp_path / "suggested.qdpx", project_schema)

    again = import_project(tmp_path / "suggested.qdpx", tmp_path / "suggested")
    machine = machine_user_name("all-MiniLM-L6-v2")
    assert machine == "theme_assist suggester (all-MiniLM-L6-v2) 0.1.0"
    by_machine = again.codings[again.codings["coder"] == machine]
    assert sorted(zip(by_machine["start"], by_machine["code"])) == sorted(
        [(starts[0], codes[0]), (starts[0], codes[1]), (starts[1], codes[0])])
    assert (by_machine["text"] == [document[s:e] for s, e in zip(by_machine["start"], by_machine["end"])]).all()
    human = again.codings[again.codings["coder"] == "cp"]
    assert len(human) == 205
    descriptions = {s.description for src in again.project.text_sources for s in src.selections
                    if s.user_guid and s.description}
    assert any("score 0.910" in d and "rank 1" in d for d in descriptions)

    # exporting the re-imported project with the same suggestions again does not duplicate them
    result = export_folder(tmp_path / "suggested", tmp_path / "twice.qdpx",
                           suggestions=suggestions.merge(segments[["segment_id", "document", "start", "end"]]))
    assert result.counts["suggestions"] == 3 and any("already in the codings" in n for n in result.notes)

    # a project made from that file, or from its imported codings.csv, learns from the human codings only
    from theme_assist.codebook import load_codebook
    from theme_assist.inputs import read_coded
    from theme_assist.project import create_project

    imported = tmp_path / "suggested"
    for name, source in [("from_qdpx", {"qdpx": tmp_path / "suggested.qdpx"}),
                         ("from_csv", {"codebook": load_codebook(imported / "codebook.yaml"),
                                       "input": imported / "documents", "coded": imported / "codings.csv"})]:
        caplog.clear()
        with caplog.at_level("WARNING"), create_project(tmp_path / f"{name}.taproj", **source) as store:
            assert set(store.codings()["coder"]) == {"cp"}
        assert f"3 coding(s) by '{machine}' are theme_assist's suggestions, not human codings: left out" in \
            caplog.text
    caplog.clear()
    with caplog.at_level("WARNING"):
        assert set(read_coded(imported / "codings.csv")["coder"]) == {"cp"}  # what suggest --train learns from
    assert "3 coding(s) by" in caplog.text


def test_qdc_export_of_imported_codebook_validates(qc_import, tmp_path, codebook_schema):
    folder, first = qc_import
    assert run_cli("export-qdpx", "--codebook", folder / "codebook.yaml", "--out", tmp_path / "qc.qdc") == 0
    codebook_schema.validate(str(tmp_path / "qc.qdc"))
    again = import_project(tmp_path / "qc.qdc", tmp_path / "qdc")
    assert code_tree(again.codebook) == code_tree(first.codebook)


def test_upsides_codebook_exports_as_valid_qdc(tmp_path, codebook_schema, project_schema):
    path = Path(__file__).resolve().parents[1] / "theme_assist" / "data" / "upsides.codebook.yaml"
    if not path.exists():
        pytest.skip("the packaged UPSIDES codebook is not in the tree yet")
    codebook = load_codebook(path)
    export_project(codebook, out=tmp_path / "upsides.qdc")
    codebook_schema.validate(str(tmp_path / "upsides.qdc"))
    export_project(codebook, out=tmp_path / "upsides.qdpx")
    assert_valid_qdpx(tmp_path / "upsides.qdpx", project_schema)
    back = import_project(tmp_path / "upsides.qdc", tmp_path / "upsides")
    originals = {code.name: code for code in codebook.all_codes}
    for code in back.codebook.all_codes:  # definition, include, exclude and examples come back
        original = originals[code.name]
        assert (code.definition, code.include, code.exclude) == (original.definition, original.include, original.exclude)
        assert code.examples == [" ".join(e.split()) for e in original.examples]
    assert len(back.codebook.all_codes) == len(codebook.all_codes)
    assert import_project(tmp_path / "upsides.qdc", tmp_path / "ids", known=codebook).codebook.ids == codebook.ids


def test_suggestions_for_a_folder_of_word_and_legacy_text_transcripts_export(tmp_path, project_schema):
    """The README's workflow on transcripts that are not UTF-8 .txt: suggest --segments-out, then export-qdpx
    --documents on the same folder places every suggestion on the text it was made for."""
    import docx

    folder = tmp_path / "transcripts"
    folder.mkdir()
    word = docx.Document()
    word.add_paragraph("Moderator: What changed at work?")
    word.add_paragraph("Ana: I was paid for peer support for the first time.")
    word.save(folder / "fg_ulm.docx")
    (folder / "iv_pune.txt").write_bytes("Interviewer: And your family?\r\nRavi: My mother – she understands now.\r\n"
                                         .encode("cp1252"))
    codebook = Path(__file__).resolve().parents[1] / "theme_assist" / "data" / "upsides.codebook.yaml"
    assert run_cli("suggest", "--codebook", codebook, "--input", folder, "--out", tmp_path / "s.csv",
                   "--segments-out", tmp_path / "seg.csv") == 0
    assert run_cli("export-qdpx", "--codebook", codebook, "--documents", folder, "--suggestions", tmp_path / "s.csv",
                   "--segments", tmp_path / "seg.csv", "--out", tmp_path / "suggested.qdpx") == 0
    assert_valid_qdpx(tmp_path / "suggested.qdpx", project_schema)
    back = import_project(tmp_path / "suggested.qdpx", tmp_path / "back")
    assert sorted(document.id for document in back.documents) == ["fg_ulm", "iv_pune"]
    segments = pd.read_csv(tmp_path / "seg.csv", keep_default_na=False).set_index(["document", "start"])
    assert len(back.codings) and "My mother – she" in "".join(back.codings["text"])
    for coding in back.codings.itertuples():
        assert coding.text == segments.loc[(coding.document, coding.start), "text"]


def test_suggest_output_exports_with_or_without_its_segments_table(qc_import, tmp_path, project_schema, capsys):
    """Issue #6's round trip with the real commands: suggest on the imported interview, then export-qdpx as the
    contract writes it (no --segments: the documents are segmented as suggest segmented them) and with
    suggest's --segments-out; both validate, re-import, and place every suggestion on its segment's text."""
    folder, _ = qc_import
    out, segments = tmp_path / "S.csv", tmp_path / "SEG.csv"
    assert run_cli("suggest", "--codebook", folder / "codebook.yaml", "--train", folder / "codings.csv",
                   "--input", folder / "documents", "--out", out, "--segments-out", segments) == 0
    made = pd.read_csv(out, dtype=str, keep_default_na=False)
    placed = made[made["code"] != ""]
    made.drop(columns="segmentation").to_csv(tmp_path / "untagged.csv", index=False)
    exported = {}
    # placed by the suggestions' segmentation tag, by their segments table, or by suggest's defaults, assumed
    for name, extra in (("contract", []), ("with-segments", ["--segments", segments]),
                        ("untagged", ["--suggestions", tmp_path / "untagged.csv"])):
        path = tmp_path / f"{name}.qdpx"
        capsys.readouterr()
        assert run_cli("export-qdpx", "--codebook", folder / "codebook.yaml", "--documents", folder / "documents",
                       "--codings", folder / "codings.csv", "--suggestions", out, *extra, "--out", path) == 0
        said = " ".join(capsys.readouterr().err.split())
        assert ("made as suggest makes them with --unit turn --max-chars 1000" in said) == (name == "untagged")
        assert_valid_qdpx(path, project_schema)
        again = import_project(path, tmp_path / name)
        machine = again.codings[again.codings["coder"] == machine_user_name("all-MiniLM-L6-v2")]
        exported[name] = sorted(zip(machine["document"], machine["start"], machine["end"], machine["code"]))
        assert len(machine) == len(placed) > 20
    assert exported["contract"] == exported["with-segments"] == exported["untagged"]
    table = pd.read_csv(segments, dtype=str, keep_default_na=False).set_index("segment_id")
    expected = sorted((table.loc[s, "document"], int(table.loc[s, "start"]), int(table.loc[s, "end"]), c)
                      for s, c in zip(placed["segment_id"], placed["code"]))
    assert [(d, int(a), int(b), c) for d, a, b, c in exported["contract"]] == expected


def test_per_site_folders_export_with_recursive_and_come_back(tmp_path, project_schema, capsys):
    """Transcripts in per-site folders with the same file names: suggest --recursive, then export-qdpx --documents
    --recursive, with a codings table and the suggestions placed with and without suggest's segments table. The
    .qdpx validates, names each source by its path (the "/" makes no folder in the archive), and imports back
    with every coding and suggestion on the text it was made for."""
    folder = tmp_path / "transcripts"
    for site, said in (("butabika", "I was paid for peer support for the first time."),
                       ("ulm", "My mother – she understands now.")):
        (folder / site).mkdir(parents=True)
        (folder / site / "fg_01.txt").write_bytes(f"Moderator: What changed?\r\nP1: {said}\r\n".encode("utf-8"))
    codebook = Path(__file__).resolve().parents[1] / "theme_assist" / "data" / "upsides.codebook.yaml"
    assert run_cli("suggest", "--codebook", codebook, "--input", folder, "--recursive", "--out", tmp_path / "s.csv",
                   "--segments-out", tmp_path / "seg.csv", "--threshold", 0) == 0
    segments = pd.read_csv(tmp_path / "seg.csv", keep_default_na=False)
    assert segments["document"].unique().tolist() == ["butabika/fg_01", "ulm/fg_01"]
    said = segments.set_index("segment_id").loc["ulm/fg_01:1"]
    codings = tmp_path / "codings.csv"
    pd.DataFrame({"document": ["ulm/fg_01"], "start": [said["start"]], "end": [said["end"]], "code": ["other"],
                  "coder": ["ana"]}).to_csv(codings, index=False)
    placed = {}
    for name, extra in (("with-segments", ["--segments", tmp_path / "seg.csv"]), ("contract", [])):
        out = tmp_path / f"{name}.qdpx"
        capsys.readouterr()
        assert run_cli("export-qdpx", "--codebook", codebook, "--documents", folder, "--recursive", "--codings",
                       codings, "--suggestions", tmp_path / "s.csv", *extra, "--out", out) == 0
        assert "Note" not in capsys.readouterr().err  # the suggestions' segmentation tag says how to segment
        assert_valid_qdpx(out, project_schema)
        with zipfile.ZipFile(out) as archive:
            assert archive.testzip() is None
            assert all(entry.count("/") <= 1 for entry in archive.namelist())  # sources/<guid>.txt only
            qde = archive.read("project.qde").decode("utf-8")
        assert 'name="butabika/fg_01"' in qde and 'name="ulm/fg_01"' in qde
        back = import_project(out, tmp_path / f"{name}-back")
        texts = {document.id: document.text for document in back.documents}
        read = [(folder / site / "fg_01.txt").read_text(encoding="utf-8") for site in ("butabika", "ulm")]
        assert len(texts) == 2 and sorted(texts.values()) == sorted(read)  # as suggest read them
        human = back.codings[back.codings["coder"] == "ana"]
        assert human["text"].tolist() == ["My mother – she understands now."]
        machine = back.codings[back.codings["coder"] == machine_user_name("all-MiniLM-L6-v2")]
        assert len(machine) == (pd.read_csv(tmp_path / "s.csv", keep_default_na=False)["code"] != "").sum() > 0
        placed[name] = sorted(zip(machine["text"], machine["code"]))
        assert {text for text, _ in placed[name]} <= set(segments["text"])
    assert placed["contract"] == placed["with-segments"]


def test_recursive_with_an_imported_project_is_refused(qc_import, tmp_path, capsys):
    folder, _ = qc_import
    assert run_cli("export-qdpx", "--project", folder, "--recursive", "--out", tmp_path / "x.qdpx") == 2
    assert "is an import's documents/, read as import-qdpx wrote it" in " ".join(capsys.readouterr().err.split())


def test_the_machine_coder_is_named_after_the_default_embedding_model_suggest_uses():
    """Export without --model names the model suggest embeds with by default: one name of it, not two that a
    change of the default would set apart."""
    from theme_assist.embed import DEFAULT_MODEL, resolve_model

    assert machine_user_name() == machine_user_name(DEFAULT_MODEL)
    assert resolve_model(None).model_id.startswith(f"{DEFAULT_MODEL}@")


def test_codings_of_two_machine_runs_are_left_out_each_named(caplog):
    """A .qdpx exported twice with suggestions holds two machine users: the warning named only the first while
    counting the codings of both."""
    from theme_assist.refi.assemble import human_codings

    first, second = machine_user_name("run 1"), machine_user_name("run 2")
    codings = pd.DataFrame({"code": ["a", "b", "a", "b"], "coder": ["cp", first, second, second]})
    with caplog.at_level("WARNING"):
        assert human_codings(codings, "x.qdpx")["coder"].tolist() == ["cp"]
    assert (f"x.qdpx: 3 coding(s) by '{first}', '{second}' are theme_assist's suggestions, not human codings: left "
            "out") in caplog.text


def test_export_qdpx_refuses_suggestions_of_another_segmentation_than_the_documents_get(tmp_path, capsys):
    """A suggest output whose segmentation column names another version (or --unit) than export-qdpx segments
    --documents by is refused, not placed on other text; its own segmentation exports."""
    from theme_assist.segment import SEGMENTATION_VERSION, segmentation_tag

    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "iv.txt").write_text("I: How is work?\nB: I get a salary now.\n", encoding="utf-8")
    codebook = Path(__file__).resolve().parents[1] / "theme_assist" / "data" / "upsides.codebook.yaml"
    suggestions = pd.DataFrame({"segment_id": ["iv:1"], "code": ["psw_personal_gains"], "score": [0.9],
                                "rank": [1], "evidence": ["[]"], "segmentation": ["v0-turn-1000"]})
    suggestions.to_csv(tmp_path / "s.csv", index=False)
    export = ["export-qdpx", "--codebook", codebook, "--documents", folder, "--suggestions", tmp_path / "s.csv",
              "--out", tmp_path / "out.qdpx"]
    capsys.readouterr()
    assert run_cli(*export) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert (f"s.csv: its segment ids come from segmentation v0-turn-1000, and {folder} is segmented here as "
            f"{segmentation_tag()} (they differ in theme_assist's segmentation version 0 vs "
            f"{SEGMENTATION_VERSION} (version 2 joins a .vtt/.srt speaker's consecutive cues into one turn and "
            "starts a turn at a heading after the first turn))") in err
    assert "give --segments with the --segments-out table" in err and not (tmp_path / "out.qdpx").exists()
    # a suggest run of version 1, whose options mean the same: --documents segmented with them; a plain-text
    # transcript without a heading, which version 2 segments as version 1 did, so placed, said in a warning
    suggestions.assign(segmentation="v1-sentence-500").to_csv(tmp_path / "s.csv", index=False)
    assert run_cli(*export) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert (f"s.csv: segment ids of segmentations v1-sentence-500 and {segmentation_tag('sentence', 500)} read as "
            "one: the documents are plain-text transcripts without a heading after their first turn") in err
    (tmp_path / "out.qdpx").unlink()
    suggestions.to_csv(tmp_path / "s.csv", index=False)
    # a spreadsheet that wrote the header "Segmentation": the same tag, the same refusal
    suggestions.rename(columns={"segmentation": "Segmentation"}).to_csv(tmp_path / "s.csv", index=False)
    assert run_cli(*export) == 2
    assert "its segment ids come from segmentation v0-turn-1000" in " ".join(capsys.readouterr().err.split())
    assert run_cli(*export, "--unit", "sentence") == 2  # suggest's own tag, segmented here by another unit
    suggestions.assign(segmentation=segmentation_tag()).to_csv(tmp_path / "s.csv", index=False)
    assert run_cli(*export, "--unit", "sentence") == 2
    assert run_cli(*export) == 0
    # only --max-chars differs and no turn is longer than either limit: the same ids, placed (as agree does)
    suggestions.assign(segmentation=segmentation_tag(max_chars=2000)).to_csv(tmp_path / "s.csv", index=False)
    assert run_cli(*export, "--force", "--max-chars", 1000) == 0
    # a turn longer than one limit was split by it: refused, saying which option differs
    (folder / "iv.txt").write_text("I: How is work?\nB: " + "I get a salary now. " * 60 + "\n", encoding="utf-8")
    assert run_cli(*export, "--force", "--max-chars", 1000) == 2
    assert "(they differ in --max-chars 2000 vs 1000)" in " ".join(capsys.readouterr().err.split())
    assert run_cli(*export, "--force") == 0  # without --max-chars, the suggestions' own: 2000
