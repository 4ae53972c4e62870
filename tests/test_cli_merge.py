"""``theme-assist merge``: the parts of an array job (``suggest --shard I/N``) put back together."""

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

import theme_assist

from tests.test_cli_suggest import files, run  # noqa: F401 (files is a fixture)

HEADER = "segment_id,code,score,rank,evidence,segmentation\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_parts_of_an_array_job_merge_into_the_one_runs_files_byte_for_byte(files, tmp_path, capsys):
    """The README's pandas recipe was what a team had: it is easy to get wrong (ids read as numbers, a missing
    part unnoticed), and --segments-out parts had none."""
    codebook, coded, segments = files
    model = tmp_path / "model"
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments, "--out",
                        tmp_path / "fit.csv", "--save-model", model], capsys)
    assert code == 0, err
    transcripts = tmp_path / "transcripts"
    shutil.copytree(Path(__file__).parents[1] / "corpora" / "demo" / "transcripts", transcripts)
    common = ["suggest", "--codebook", codebook, "--load-model", model, "--input", transcripts]
    code, _, err = run([*common, "--out", tmp_path / "one.csv", "--segments-out", tmp_path / "one-seg.csv"], capsys)
    assert code == 0, err
    for number in (2, 1):  # the parts are named in any order
        code, _, err = run([*common, "--shard", f"{number}/2", "--out", tmp_path / f"S_{number}.csv",
                            "--segments-out", tmp_path / f"seg_{number}.csv"], capsys)
        assert code == 0, err
    for kind, prefix, one in (("--out", "S_", "one.csv"), ("--segments-out", "seg_", "one-seg.csv")):
        parts = [tmp_path / f"{prefix}{number}.csv" for number in (2, 1)]
        assert all(part.read_bytes() != (tmp_path / one).read_bytes() for part in parts)
        merged = tmp_path / f"merged-{prefix}.csv"
        code, _, err = run(["merge", *parts, "--out", merged], capsys)
        assert code == 0, err
        assert merged.read_bytes() == (tmp_path / one).read_bytes(), kind
        (done,) = [line for line in err.splitlines() if line.startswith("✓")]
        assert done.startswith("✓ 2 parts, 15 documents, ") and done.endswith(f" rows → {merged}"), done


TRANSCRIPTS = {  # per-site sub-folders whose ids sort otherwise: "site-2/x" < "site/x", while site/ is read first
    "a.txt": "Interviewer: How is work?\nP1: The salary is small but it pays the rent.\nP1: My sister helps.\n",
    "b.txt": "Interviewer: And at home?\nP2: My father talks with me again.\n",
    "site/x.txt": "P5: At church they looked at me as if I was dangerous.\n",
    "site/y.txt": "P6: I work twenty hours a week at the centre.\n",
    "site-2/x.txt": "P7: My employer does not want to hear about my diagnosis.\nP7: My parents came along.\n",
}


def test_merged_parts_of_per_site_folders_are_one_runs_files_byte_for_byte(files, tmp_path, capsys):
    """A run reads site/ before site-2/, while --shard and merge sorted the ids whole (site-2/x before site/x): the
    merged files had another order than one run's. The ids are now compared part by part between '/'."""
    codebook, coded, _ = files
    model = tmp_path / "model"
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", coded, "--out",
                        tmp_path / "fit.csv", "--save-model", model], capsys)
    assert code == 0, err
    for name, text in TRANSCRIPTS.items():
        (tmp_path / "in" / name).parent.mkdir(parents=True, exist_ok=True)
        write(tmp_path / "in" / name, text)
    common = ["suggest", "--codebook", codebook, "--load-model", model, "--input", tmp_path / "in", "--recursive"]
    code, _, err = run([*common, "--out", tmp_path / "one.csv", "--segments-out", tmp_path / "one-seg.csv"], capsys)
    assert code == 0, err
    for number in (1, 2, 3):
        code, _, err = run([*common, "--shard", f"{number}/3", "--out", tmp_path / f"S_{number}.csv",
                            "--segments-out", tmp_path / f"seg_{number}.csv"], capsys)
        assert code == 0, err
    for prefix, one in (("S_", "one.csv"), ("seg_", "one-seg.csv")):
        merged = tmp_path / f"merged-{prefix}.csv"
        code, _, err = run(["merge", *[tmp_path / f"{prefix}{number}.csv" for number in (3, 1, 2)], "--parts", "3",
                            "--out", merged], capsys)
        assert code == 0 and "warning" not in err, err
        assert merged.read_bytes() == (tmp_path / one).read_bytes(), prefix
    documents = pd.read_csv(tmp_path / "one-seg.csv", keep_default_na=False)["document"].unique().tolist()
    assert documents == ["a", "b", "site/x", "site/y", "site-2/x"]


@pytest.mark.parametrize("given, said", [
    (2, "2 parts given, and --parts says there are 3: a job of the array that failed or ran out of time wrote none "
        "(its documents would be left out): run it again, then name every part"),
    (4, "4 parts given, and --parts says there are 3: a part of another run among them, or the wrong --parts?"),
])
def test_fewer_or_more_parts_than_parts_says_are_refused_in_one_line(tmp_path, capsys, given, said):
    """A job that died left its part out of S_*.csv, and its documents out of the merged table, without a word."""
    parts = [write(tmp_path / f"S_{number}.csv", HEADER + f"d{number}:0,x,1,1,[],\n") for number in range(given)]
    out = tmp_path / "out.csv"
    code, _, err = run(["merge", *parts, "--parts", "3", "--out", out], capsys)
    assert code == 2 and said in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("theme-assist: error: ") and not out.exists()
    code, _, err = run(["merge", *parts[:1], "--parts", "0", "--out", out], capsys)
    assert code == 2 and "--parts" in err and not out.exists(), err


def test_cells_are_kept_as_written(tmp_path, capsys):
    """pd.read_csv read code 1.10 as 1.1, 2 as 2.0 and a code NA as an abstention."""
    first = write(tmp_path / "S_1.csv", HEADER + "a:0,1.10,0.9,1,[],v1-turn-1000\na:0,NA,0.05,2,[],v1-turn-1000\n"
                                                 "a:1,,0.1,1,[],v1-turn-1000\n")
    second = write(tmp_path / "S_2.csv", HEADER + "b:0,2,0.80,1,\"[{\"\"segment_id\"\": \"\"x:1\"\"}]\","
                                                  "v1-turn-1000\n")
    out = tmp_path / "out.csv"
    code, _, err = run(["merge", second, first, "--out", out], capsys)
    assert code == 0, err
    assert out.read_text(encoding="utf-8") == (HEADER + "a:0,1.10,0.9,1,[],v1-turn-1000\na:0,NA,0.05,2,[],"
                                               "v1-turn-1000\na:1,,0.1,1,[],v1-turn-1000\nb:0,2,0.80,1,"
                                               "\"[{\"\"segment_id\"\": \"\"x:1\"\"}]\",v1-turn-1000\n")


def test_documents_come_in_the_order_shard_deals_them_and_a_documents_rows_in_theirs(tmp_path, capsys):
    """A sort of the segment ids would put doc:10 before doc:2; a sort of the document ids, site-2/ before site/
    (a run reads site/ first)."""
    first = write(tmp_path / "S_1.csv", HEADER + "site-2/a:0,x,1,1,[],\nsite/b:2,x,1,1,[],\nsite/b:10,x,1,1,[],\n")
    second = write(tmp_path / "S_2.csv", HEADER)  # a part with no documents (more parts than documents)
    third = write(tmp_path / "S_3.csv", HEADER + "c:1,x,1,1,[],\nc:0,x,1,1,[],\nc.b:0,x,1,1,[],\n")
    out = tmp_path / "out.csv"
    code, _, err = run(["merge", first, second, third, "--out", out], capsys)
    assert code == 0, err
    assert [line.split(",")[0] for line in out.read_text().splitlines()[1:]] == [
        "c:1", "c:0", "c.b:0", "site/b:2", "site/b:10", "site-2/a:0"]
    assert "✓ 3 parts, 4 documents, 6 rows → " in err


def test_rows_whose_ids_name_no_document_follow_in_the_parts_order_with_a_warning(tmp_path, capsys):
    first = write(tmp_path / "S_1.csv", HEADER + "s2,x,1,1,[],\nd:0,x,1,1,[],\n")
    second = write(tmp_path / "S_2.csv", HEADER + "s10,x,1,1,[],\n")
    out = tmp_path / "out.csv"
    code, _, err = run(["merge", first, second, "--out", out], capsys)
    assert code == 0, err
    assert [line.split(",")[0] for line in out.read_text().splitlines()[1:]] == ["d:0", "s2", "s10"]
    assert "theme-assist: warning: 2 rows of segments whose id names no document" in err


def test_segments_out_parts_are_ordered_by_their_document_column(tmp_path, capsys):
    header = "segment_id,document,speaker,start,end,text,turn,position,segmentation,site\n"
    first = write(tmp_path / "seg_1.csv", header + "t9,b,Nan,0,4,N/A.,0,0,,Ulm\n")
    second = write(tmp_path / "seg_2.csv", header + "t2,a,NA,0,3,Hi.,0,0,,\nt1,a,P1,4,7,Yo.,1,1,,\n")
    out = tmp_path / "out.csv"
    code, _, err = run(["merge", first, second, "--out", out], capsys)
    assert code == 0 and "warning" not in err, err
    assert out.read_text() == header + "t2,a,NA,0,3,Hi.,0,0,,\nt1,a,P1,4,7,Yo.,1,1,,\nt9,b,Nan,0,4,N/A.,0,0,,Ulm\n"


@pytest.mark.parametrize("second, said", [
    (HEADER.replace(",segmentation", "") + "b:0,x,1,1,[]\n", "have different columns (not segmentation)"),
    (HEADER.replace("code,score", "score,code") + "b:0,1,x,1,[],\n", "have different columns (in another order)"),
    ("segment_id,document,speaker,start,end,text,turn,position\nb:0,b,,0,1,x,0,0\n",
     "is a suggest --segments-out table and "),
    ("segment_id,code,coder\nb:0,x,ana\n", "is not a table suggest wrote"),
    (HEADER + "b:0,x,1,1,[],v1-turn-2000\n", "come from different segmentations (v1-turn-1000 vs v1-turn-2000: "
                                             "--max-chars 1000 vs 2000)"),
    (HEADER + "b:0,x,1,1,[],v1-turn-1000\na:1,x,1,1,[],v1-turn-1000\n", "segment 'a:1' is in both "),
    (HEADER + "a:2,x,1,1,[],v1-turn-1000\n", "document 'a' has rows in both "),  # --shard deals whole documents
])
def test_parts_that_cannot_be_of_one_run_are_refused_in_one_line(tmp_path, capsys, second, said):
    first = write(tmp_path / "S_1.csv", HEADER + "a:0,x,1,1,[],v1-turn-1000\na:1,x,1,1,[],v1-turn-1000\n")
    out = tmp_path / "out.csv"
    code, _, err = run(["merge", first, write(tmp_path / "S_2.csv", second), "--out", out], capsys)
    assert code == 2 and said in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("theme-assist: error: ") and not out.exists()


@pytest.mark.parametrize("name, text", [
    ("S_2.jsonl", '{"segment_id": "b:0", "code": "x"}\n{"segment_id": "b:1", "code": "y"}\n'),
    ("S_2.json", '[{"segment_id": "b:0", "code": "x"},\n {"segment_id": "b:1", "code": "y"}]\n'),
    ("S_2.csv", '\ufeff  {"segment_id": "b:0", "code": "x", "score": 1}\n'),
])
def test_a_part_holding_json_is_refused_in_one_line_naming_it(tmp_path, capsys, name, text):
    """Its first line was listed as the part's "columns" ('its columns: {"segment_id": "b:0"'), or a line of it
    said to have the wrong number of cells."""
    first = write(tmp_path / "S_1.csv", HEADER + "a:0,x,1,1,[],\n")
    out = tmp_path / "out.csv"
    code, _, err = run(["merge", first, write(tmp_path / name, text), "--out", out], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and not out.exists(), err
    assert err.strip() == (f"theme-assist: error: part {tmp_path / name} holds JSON, not a table: merge puts together "
                           "the .csv or .tsv tables suggest wrote, its --out or its --segments-out")


def test_a_part_holding_json_in_utf16_is_refused_as_json(tmp_path, capsys):
    """A report saved by Windows PowerShell's > is UTF-16 with its mark: its first line was listed as the part's
    "columns", the mark read past only in UTF-8."""
    first = write(tmp_path / "S_1.csv", HEADER + "a:0,x,1,1,[],\n")
    report = tmp_path / "report.json"
    report.write_bytes('{"segment_id": "b:0", "code": "x"}\r\n'.encode("utf-16"))
    out = tmp_path / "out.csv"
    code, _, err = run(["merge", first, report, "--out", out], capsys)
    assert code == 2 and not out.exists()
    assert err.strip() == (f"theme-assist: error: part {report} holds JSON, not a table: merge puts together the .csv "
                           "or .tsv tables suggest wrote, its --out or its --segments-out")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_part_that_is_a_pipe_or_a_folder_is_named_as_such(tmp_path, capsys):
    """merge <(cat S_1.csv) said 'part /dev/fd/63 is not a file', and a folder the same: the table reader now says
    what the transcript reader says. A pipe is still refused: the shared reader checks a file's size before it reads
    it (empty, too large), which a pipe does not have."""
    pipe = tmp_path / "S_1.csv"
    os.mkfifo(pipe)
    (tmp_path / "S_2").mkdir()
    for part, said in ((pipe, "is neither a file nor a folder (a pipe or a device, as <(command) gives): save it as "
                              "a file and name that"), (tmp_path / "S_2", "is a folder, not a file")):
        code, _, err = run(["merge", part, "--out", tmp_path / "out.csv"], capsys)
        assert code == 2 and err.strip() == f"theme-assist: error: part {part} {said}", err


def test_segments_csv_ids_with_a_colon_are_not_taken_for_documents(tmp_path, capsys):
    """A SEGMENTS.csv's own ids T1:p1, T1:p2 (documents p1, p2) were read as rows of document 'T1' in two parts, and
    the run refused as one whose documents were split: only DOCUMENT:N ids, suggest's own, name a document."""
    first = write(tmp_path / "S_1.csv", HEADER + "T1:p1,x,1,1,[],\nT2:p1,x,1,1,[],\n")
    second = write(tmp_path / "S_2.csv", HEADER + "T1:p2,x,1,1,[],\nT2:p2,x,1,1,[],\n")
    out = tmp_path / "out.csv"
    code, _, err = run(["merge", first, second, "--out", out], capsys)
    assert code == 0 and "4 rows of segments whose id names no document" in err, err
    assert [line.split(",")[0] for line in out.read_text().splitlines()[1:]] == ["T1:p1", "T2:p1", "T1:p2", "T2:p2"]


def test_an_existing_out_is_replaced_only_with_force_and_never_a_part(tmp_path, capsys):
    first = write(tmp_path / "S_1.csv", HEADER + "a:0,x,1,1,[],\n")
    out = write(tmp_path / "out.csv", "my notes\n")
    code, _, err = run(["merge", first, "--out", out], capsys)
    assert code == 2 and f"--out {out} exists (use --force to replace it)" in err
    assert out.read_text() == "my notes\n"
    code, _, err = run(["merge", first, "--out", out, "--force"], capsys)
    assert code == 0 and out.read_text() == HEADER + "a:0,x,1,1,[],\n", err
    code, _, err = run(["merge", first, "--out", first, "--force"], capsys)
    assert code == 2 and "would overwrite PART 1" in err and first.read_text() == HEADER + "a:0,x,1,1,[],\n"
    code, _, err = run(["merge", first, tmp_path / "." / "S_1.csv", "--out", tmp_path / "new.csv"], capsys)
    assert code == 2 and "is given twice" in err and not (tmp_path / "new.csv").exists()
    code, _, err = run(["merge", first, tmp_path / "S_9.csv", "--out", tmp_path / "new.csv"], capsys)
    assert code == 2 and "S_9.csv does not exist" in err and len(err.strip().splitlines()) == 1


def test_a_part_is_read_once_for_json(tmp_path, capsys, monkeypatch):
    """merge read each part's start twice, once for its own JSON check and once for the table reader's."""
    import theme_assist.inputs as inputs

    read = []
    holds_json = inputs.holds_json
    monkeypatch.setattr(inputs, "holds_json", lambda path: read.append(path) or holds_json(path))
    parts = [write(tmp_path / f"S_{number}.csv", HEADER + f"d{number}:0,x,1,1,[],\n") for number in (1, 2)]
    code, _, err = run(["merge", *parts, "--out", tmp_path / "out.csv"], capsys)
    assert code == 0 and read == parts, (err, read)


def _sharded(files, tmp_path, capsys, total: int, *extra, model_name: str = "model", train_with=None):
    """A saved suggester ``model_name`` (fitted on ``train_with``, the coded rows by default) and the
    ``suggest --shard I/total`` parts of the demo transcripts made with it: ``S_I.csv`` and ``seg_I.csv``."""
    codebook, coded, _ = files
    model = tmp_path / model_name
    if not model.exists():
        code, _, err = run(["suggest", "--codebook", codebook, "--train", train_with or coded, "--input", coded,
                            "--out", tmp_path / f"fit-{model_name}.csv", "--save-model", model], capsys)
        assert code == 0, err
    transcripts = tmp_path / "transcripts"
    if not transcripts.exists():
        shutil.copytree(Path(__file__).parents[1] / "corpora" / "demo" / "transcripts", transcripts)
    for number in range(1, total + 1):
        code, _, err = run(["suggest", "--codebook", codebook, "--load-model", model, "--input", transcripts,
                            "--shard", f"{number}/{total}", "--out", tmp_path / f"S_{number}.csv",
                            "--segments-out", tmp_path / f"seg_{number}.csv", *extra], capsys)
        assert code == 0, err
    return model


def test_sharded_parts_say_which_part_of_which_run_they_are_and_merge_leaves_that_out(files, tmp_path, capsys):
    """The parts did not say how many there were, nor which part each is, nor of which run: merge could not tell a
    missing part, or a part of another run. They end with columns saying it, one value on every row; unsharded
    output is as it was, and the merged table is a one-machine run's, without them."""
    model = _sharded(files, tmp_path, capsys, 2)
    parts = {name: pd.read_csv(tmp_path / name, dtype=str, keep_default_na=False)
             for name in ("S_1.csv", "S_2.csv", "seg_1.csv", "seg_2.csv")}
    assert list(parts["S_1.csv"].columns[-8:]) == ["shard", "shard_input", "shard_suggester", "shard_codebook",
                                                   "shard_top_k", "shard_threshold", "shard_skip_speaker",
                                                   "shard_version"]
    assert list(parts["seg_1.csv"].columns[-3:]) == ["shard", "shard_input", "shard_version"]
    for name, table in parts.items():
        assert table["shard"].unique().tolist() == [f"{name[-5]}/2"], name
        assert table["shard_input"].nunique() == 1 and table["shard_input"][0] == parts["S_1.csv"]["shard_input"][0]
    assert parts["S_1.csv"]["shard_suggester"][0].startswith("saved:")
    assert parts["S_1.csv"]["shard_top_k"][0] == "3" and parts["S_1.csv"]["shard_skip_speaker"][0] == "[]"
    assert {table["shard_version"][0] for table in parts.values()} == {theme_assist.__version__}
    codebook, _, _ = files
    code, _, err = run(["suggest", "--codebook", codebook, "--load-model", model, "--input", tmp_path / "transcripts",
                        "--out", tmp_path / "one.csv"], capsys)
    assert code == 0, err
    assert "shard" not in (tmp_path / "one.csv").read_text().splitlines()[0]
    merged = tmp_path / "merged.csv"
    code, _, err = run(["merge", tmp_path / "S_2.csv", tmp_path / "S_1.csv", "--out", merged], capsys)
    assert code == 0 and merged.read_bytes() == (tmp_path / "one.csv").read_bytes(), err


def test_a_missing_part_is_named_without_parts(files, tmp_path, capsys):
    """Without --parts a missing part left its documents out without a word; with it, merge said a part was
    missing, not which."""
    _sharded(files, tmp_path, capsys, 4)
    out = tmp_path / "out.csv"
    for given, said in (((1, 2, 4), "part 3/4 is missing"), ((4, 2), "parts 1/4, 3/4 are missing")):
        for kind in ("S_", "seg_"):
            code, _, err = run(["merge", *[tmp_path / f"{kind}{number}.csv" for number in given], "--out", out],
                               capsys)
            assert code == 2 and len(err.strip().splitlines()) == 1 and not out.exists(), err
            assert err.startswith(f"theme-assist: error: {said}: a job of the array that failed or ran out of time "
                                  "wrote none (its documents would be left out): run it again"), err
    code, _, err = run(["merge", *[tmp_path / f"S_{number}.csv" for number in (1, 2, 4)], "--parts", "4",
                        "--out", out], capsys)
    assert code == 2 and err.startswith("theme-assist: error: part 3/4 is missing: "), err  # named with --parts too
    code, _, err = run(["merge", *[tmp_path / f"S_{number}.csv" for number in (1, 2, 4)], "--parts", "3",
                        "--out", out], capsys)
    assert code == 2 and "--parts says there are 3 parts, and the parts say 4 (--shard I/4)" in err, err


def test_a_part_without_rows_may_be_any_missing_one(tmp_path, capsys):
    """A part of fewer documents than parts has no rows, so it cannot say which it is: it stands for any one
    missing part, and a missing part beyond it is still told."""
    header = HEADER.strip() + ",shard,shard_input,shard_suggester,shard_codebook,shard_top_k,shard_threshold\n"
    run_cells = ",i,saved:s,c,3,0.5\n"
    first = write(tmp_path / "S_1.csv", header + "a:0,x,1,1,[],v1-turn-1000,1/4" + run_cells)
    second = write(tmp_path / "S_2.csv", header + "b:0,x,1,1,[],v1-turn-1000,2/4" + run_cells)
    empty = write(tmp_path / "S_4.csv", header)
    out = tmp_path / "out.csv"
    code, _, err = run(["merge", first, second, empty, "--out", out], capsys)
    assert code == 2 and "1 part of 3/4, 4/4 is missing (1 part given without rows cannot say which of them it is)" \
        in err, err
    third = write(tmp_path / "S_3.csv", header)
    code, _, err = run(["merge", first, second, third, empty, "--out", out], capsys)
    assert code == 0, err
    assert out.read_text() == HEADER + "a:0,x,1,1,[],v1-turn-1000\nb:0,x,1,1,[],v1-turn-1000\n"


@pytest.mark.parametrize("columns", [
    "shard_input,shard,shard_suggester,shard_codebook,shard_top_k,shard_threshold",  # in another order
    "shard,shard_input,shard_suggester,shard_codebook,shard_top_k",  # one dropped
    "shard_input,shard_suggester,shard_codebook,shard_top_k,shard_threshold,shard_skip_speaker,shard_version",
    "shard,shard_suggester,shard_codebook,shard_top_k,shard_threshold,shard_skip_speaker,shard_version",
])
def test_a_part_whose_shard_columns_were_edited_is_refused(tmp_path, capsys, columns):
    """Such a part was taken for one of before parts said their run: part 2/2 missing was merged without a word,
    the columns kept in the table written."""
    cells = {"shard": "1/2", "shard_input": "i", "shard_suggester": "saved:s", "shard_codebook": "c",
             "shard_top_k": "3", "shard_threshold": "0.5", "shard_skip_speaker": "[]", "shard_version": "0.1.0"}
    row = "a:0,x,1,1,[],v1-turn-1000," + ",".join(cells[column] for column in columns.split(","))
    part = write(tmp_path / "S_1.csv", HEADER.strip() + f",{columns}\n{row}\n")
    code, _, err = run(["merge", part, "--out", tmp_path / "out.csv"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and not (tmp_path / "out.csv").exists(), err
    assert err.startswith(f"theme-assist: error: part {part} has columns of suggest --shard, but not as it ends a "
                          "part with them (shard, shard_input, "), err


def test_a_huge_n_edited_by_hand_names_the_first_missing_parts_only(tmp_path, capsys):
    """A part whose shard was edited to 1/1000000000: naming every missing part ran out of memory."""
    header = HEADER.strip() + ",shard,shard_input,shard_suggester,shard_codebook,shard_top_k,shard_threshold\n"
    part = write(tmp_path / "S_1.csv", header + "a:0,x,1,1,[],v1-turn-1000,1/1000000000,i,saved:s,c,3,0.5\n")
    code, _, err = run(["merge", part, "--out", tmp_path / "out.csv"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert err.startswith("theme-assist: error: parts 2/1000000000, 3/1000000000, ") and \
        "11/1000000000 and 999999989 more are missing: " in err, err


@pytest.mark.parametrize("option, said", [
    (["--top-k", "2"], "top-k 3 vs 2)"),
    (["--threshold", "0.9"], "threshold 0.5 vs 0.9)"),
])
def test_a_part_of_another_run_is_refused_naming_it_and_what_differs(files, tmp_path, capsys, option, said):
    """A part re-run the next day with other options merged silently into a table that is no single run's."""
    _sharded(files, tmp_path, capsys, 3)
    for name in ("S_2.csv", "seg_2.csv"):
        os.replace(tmp_path / name, tmp_path / f"kept-{name}")
    _sharded(files, tmp_path, capsys, 3, *option)
    out = tmp_path / "out.csv"
    kept = tmp_path / "kept-S_2.csv"
    code, _, err = run(["merge", kept, tmp_path / "S_1.csv", tmp_path / "S_3.csv", "--out", out], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and not out.exists(), err
    assert err.startswith(f"theme-assist: error: part {kept} is of another run than the other 2 parts ({said}"), err
    assert "run every part with one saved suggester (--load-model), codebook and --top-k, --threshold and " \
           "--shard N" in err, err
    code, _, err = run(["merge", tmp_path / "seg_1.csv", tmp_path / "kept-seg_2.csv", tmp_path / "seg_3.csv",
                        "--out", out], capsys)  # the segments do not depend on these options
    assert code == 0, err


def test_a_part_of_another_suggester_or_input_or_n_is_refused_naming_what_differs(files, tmp_path, capsys):
    codebook, coded, _ = files
    _sharded(files, tmp_path, capsys, 2)
    os.replace(tmp_path / "S_2.csv", tmp_path / "first-S_2.csv")
    fewer = tmp_path / "fewer.csv"
    pd.read_csv(coded, dtype=str, keep_default_na=False).iloc[:-1].to_csv(fewer, index=False)
    _sharded(files, tmp_path, capsys, 2, model_name="refit", train_with=fewer)  # a model re-fitted the next day
    out = tmp_path / "out.csv"
    code, _, err = run(["merge", tmp_path / "S_1.csv", tmp_path / "first-S_2.csv", "--out", out], capsys)
    assert code == 2 and f"parts {tmp_path / 'S_1.csv'} and {tmp_path / 'first-S_2.csv'} are of different runs " \
        "(suggester saved:" in err and "codebook" not in err.split("(")[1], err
    _sharded(files, tmp_path, capsys, 2)
    os.replace(tmp_path / "S_2.csv", tmp_path / "kept-S_2.csv")
    (tmp_path / "transcripts" / "new.txt").write_text("P9: A transcript added between the jobs.\n", encoding="utf-8")
    _sharded(files, tmp_path, capsys, 2)
    code, _, err = run(["merge", tmp_path / "S_1.csv", tmp_path / "kept-S_2.csv", "--out", out], capsys)
    assert code == 2 and "(input " in err and "leave the input as it is until every part has run" in err, err
    _sharded(files, tmp_path, capsys, 3)
    code, _, err = run(["merge", tmp_path / "S_1.csv", tmp_path / "kept-S_2.csv", "--out", out], capsys)
    assert code == 2 and ", --shard I/3 vs I/2)" in err, err


RUN = ("shard,shard_input,shard_suggester,shard_codebook,shard_top_k,shard_threshold,shard_skip_speaker,"
       "shard_version")
EARLIER_RUN = RUN.rsplit(",", 2)[0]  # before parts said their --skip-speaker and version


@pytest.mark.parametrize("second, said", [
    ("[],0.1.0", '(--skip-speaker ["interviewer"] vs []): give every job the same --skip-speaker'),
    ('"[""interviewer""]",0.0.9', "(theme_assist 0.1.0 vs 0.0.9): run every part with one version of theme_assist"),
    (None, "(theme_assist 0.1.0 vs earlier): run every part with one version of theme_assist"),
])
def test_parts_of_another_skip_speaker_or_version_are_refused_naming_it(tmp_path, capsys, second, said):
    """Parts that differ only in --skip-speaker (the interviewer's turns suggested for in some parts, not in others),
    or in the theme_assist that wrote them, merged without a word into a table no single run writes."""
    first = write(tmp_path / "S_1.csv", f"{HEADER.strip()},{RUN}\n"
                                        'a:0,x,1,1,[],,1/2,i,saved:s,c,3,0.5,"[""interviewer""]",0.1.0\n')
    other = write(tmp_path / "S_2.csv", f"{HEADER.strip()},{RUN}\nb:0,x,1,1,[],,2/2,i,saved:s,c,3,0.5,{second}\n"
                  if second else f"{HEADER.strip()},{EARLIER_RUN}\nb:0,x,1,1,[],,2/2,i,saved:s,c,3,0.5\n")
    out = tmp_path / "out.csv"
    code, _, err = run(["merge", first, other, "--out", out], capsys)
    assert code == 2 and not out.exists(), err
    assert err.strip() == f"theme-assist: error: parts {first} and {other} are of different runs {said}"
    same = write(tmp_path / "S_2.csv", first.read_text().replace("a:0", "b:0").replace("1/2", "2/2"))
    code, _, err = run(["merge", first, same, "--out", out], capsys)
    assert code == 0 and out.read_text() == HEADER + "a:0,x,1,1,[],\nb:0,x,1,1,[],\n", err


def test_parts_of_an_earlier_version_that_say_their_run_merge_with_their_like(tmp_path, capsys):
    """Parts written before they said their --skip-speaker and version end with fewer columns: among themselves
    they are checked and merged as before (not refused as edited by hand)."""
    parts = [write(tmp_path / f"S_{number}.csv", f"{HEADER.strip()},{EARLIER_RUN}\n"
                                                 f"{name}:0,x,1,1,[],,{number}/2,i,saved:s,c,3,0.5\n")
             for number, name in ((1, "a"), (2, "b"))]
    out = tmp_path / "out.csv"
    code, _, err = run(["merge", *parts, "--out", out], capsys)
    assert code == 0 and out.read_text() == HEADER + "a:0,x,1,1,[],\nb:0,x,1,1,[],\n", err
    columns = "segment_id,document,speaker,start,end,text,turn,position"
    segments = [write(tmp_path / f"seg_{number}.csv", f"{columns},shard,shard_input\n"
                                                      f"{name}:0,{name},P1,0,1,t,0,0,{number}/2,i\n")
                for number, name in ((1, "a"), (2, "b"))]
    code, _, err = run(["merge", *segments, "--out", tmp_path / "seg.csv"], capsys)
    assert code == 0 and (tmp_path / "seg.csv").read_text() == f"{columns}\na:0,a,P1,0,1,t,0,0\nb:0,b,P1,0,1,t,0,0\n", \
        err
    code, _, err = run(["merge", parts[0], "--out", tmp_path / "missing.csv"], capsys)
    assert code == 2 and "part 2/2 is missing" in err, err


def test_a_part_given_twice_under_two_names_is_named_as_that_part(tmp_path, capsys):
    header = HEADER.strip() + ",shard,shard_input,shard_suggester,shard_codebook,shard_top_k,shard_threshold\n"
    first = write(tmp_path / "S_1.csv", header + "a:0,x,1,1,[],,1/2,i,saved:s,c,3,0.5\n")
    copy = write(tmp_path / "copy.csv", first.read_text())
    code, _, err = run(["merge", first, copy, "--out", tmp_path / "out.csv"], capsys)
    assert code == 2 and f"parts {first} and {copy} are both part 1/2: one part given twice (a copy?)" in err, err


def test_parts_written_before_they_said_their_run_still_merge_as_before(tmp_path, capsys):
    """Parts without the columns merge as they did, and are counted against --parts."""
    old = write(tmp_path / "S_1.csv", HEADER + "a:0,x,1,1,[],\n")
    other = write(tmp_path / "S_2.csv", HEADER + "c:0,x,1,1,[],\n")
    out = tmp_path / "out.csv"
    code, _, err = run(["merge", old, other, "--out", out], capsys)
    assert code == 0 and out.read_text() == HEADER + "a:0,x,1,1,[],\nc:0,x,1,1,[],\n" and "warning" not in err, err
    code, _, err = run(["merge", old, other, "--parts", "3", "--out", tmp_path / "out2.csv"], capsys)
    assert code == 2 and "2 parts given, and --parts says there are 3" in err, err


@pytest.mark.parametrize("rows", [True, False])
def test_a_part_without_shard_columns_among_parts_with_them_is_refused_naming_it(tmp_path, capsys, rows):
    """A part whose shard columns were removed by hand was read as one of an earlier theme_assist: merged, with a
    warning, unchecked against the others' run (without --parts, a missing part went unsaid)."""
    header = f"{HEADER.strip()},{RUN}\n"
    new = write(tmp_path / "S_3.csv", header + ("b:0,x,1,1,[],,3/3,i,saved:s,c,3,0.5,[],0.1.0\n" if rows else ""))
    removed = [write(tmp_path / f"S_{number}.csv", HEADER + f"{name}:0,x,1,1,[],\n")
               for number, name in ((1, "a"), (2, "c"))]
    out = tmp_path / "out.csv"
    code, _, err = run(["merge", new, removed[0], "--out", out], capsys)
    assert code == 2 and not out.exists(), err
    assert err.strip() == f"theme-assist: error: part {removed[0]} says nothing of its run, and the other parts say " \
        "theirs (in the columns suggest --shard ends a part with: shard, shard_input, ...): its shard columns were " \
        "removed? Give the parts as suggest --shard wrote them (a part of an earlier theme_assist, or of a run " \
        "without --shard: run it again as the others)"
    code, _, err = run(["merge", *removed, new, "--out", out], capsys)
    assert code == 2 and f"parts {removed[0]}, {removed[1]} say nothing of their run" in err, err


def test_an_input_column_named_as_a_parts_own_is_refused_before_the_work(files, tmp_path, capsys):
    """A --metadata field 'shard' would have been written twice into a --segments-out part."""
    codebook, coded, _ = files
    (tmp_path / "in").mkdir()
    write(tmp_path / "in" / "a.txt", "P1: I work.\n")
    write(tmp_path / "in" / "b.txt", "P2: My sister helps.\n")
    metadata = write(tmp_path / "meta.csv", "file,shard\na.txt,north\nb.txt,south\n")
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", tmp_path / "in", "--metadata",
                        metadata, "--shard", "1/2", "--out", tmp_path / "S_1.csv", "--segments-out",
                        tmp_path / "seg_1.csv"], capsys)
    assert code == 2 and not (tmp_path / "S_1.csv").exists(), err
    assert err.strip() == ("theme-assist: error: the input has a column 'shard' (from --metadata?), which --shard "
                           "writes into each part for merge: rename it")


@pytest.mark.parametrize("train", [True, False])
def test_parts_each_fitting_their_suggester_say_one_suggester_and_merge(files, tmp_path, capsys, train):
    """Jobs given --train (or no suggester, zero-shot) each fit their own: the parts say what it is fitted from,
    not its numbers, which may differ in their last bits where a job embeds afresh."""
    codebook, coded, _ = files
    transcripts = tmp_path / "transcripts"
    shutil.copytree(Path(__file__).parents[1] / "corpora" / "demo" / "transcripts", transcripts)
    for number in (1, 2):
        code, _, err = run(["suggest", "--codebook", codebook, *(["--train", coded] if train else []), "--input",
                            transcripts, "--shard", f"{number}/2", "--out", tmp_path / f"S_{number}.csv"], capsys)
        assert code == 0, err
    said = {pd.read_csv(tmp_path / f"S_{number}.csv", dtype=str)["shard_suggester"][0] for number in (1, 2)}
    assert len(said) == 1 and said.pop().startswith("fitted:" if train else "zero-shot:")
    code, _, err = run(["merge", tmp_path / "S_1.csv", tmp_path / "S_2.csv", "--out", tmp_path / "out.csv"], capsys)
    assert code == 0, err
