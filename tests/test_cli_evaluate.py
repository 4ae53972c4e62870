"""``theme-assist evaluate`` on a team's own coded CSV, with another embedding model."""

import json
from pathlib import Path

import pandas as pd
import pytest

from theme_assist.cli import main
from theme_assist.embed import resolve_model
from theme_assist.evaluate import figure
from tests.test_suggest import CODEBOOK, CODED


def strict_json(text: str):
    """``text`` parsed as strict parsers (R's jsonlite, JavaScript's JSON.parse) read it: no NaN or Infinity."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def run(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", *map(str, args)])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


@pytest.fixture
def own_data(tmp_path):
    coded = pd.concat([CODED.assign(document=CODED["document"] + f"-{copy}",
                                    segment_id=CODED["segment_id"] + f"-{copy}") for copy in range(3)])
    (tmp_path / "coded.csv").write_text(coded.to_csv(index=False), encoding="utf-8")
    (tmp_path / "cb.yaml").write_text(CODEBOOK.format(exclusive="true"), encoding="utf-8")
    return tmp_path / "coded.csv", tmp_path / "cb.yaml"


def test_a_row_without_a_document_is_refused_without_a_warning_first(capsys, tmp_path, own_data):
    """The warning on a row with a code and no text came before the refusal of the file: noise."""
    coded, codebook = own_data
    table = pd.read_csv(coded, keep_default_na=False)
    table.loc[2, "document"] = ""
    table.loc[5, "text"] = ""
    table.to_csv(coded, index=False)
    code, _, err = run(capsys, "--corpus", coded, "--codebook", codebook, "--out", tmp_path / "results")
    assert code == 2 and err.strip() == (f"theme-assist: error: {coded}: 1 row(s) without a document (line 4): "
                                         "folds are grouped by document"), err


@pytest.mark.parametrize("broken, refusal", [
    ("noid", "1 row(s) without a segment_id (line 2)"),
    ("coders", "holds the codes of 2 coders (ana, ben)"),
    ("unknown", "code 'made_up' (line 2) is not in codebook"),
])
def test_a_refusal_after_reading_the_table_comes_without_its_warnings(capsys, tmp_path, own_data, broken, refusal):
    """Refusals of coded_benchmark after read_coded (no segment_id, several coders, an unknown code) followed the
    warnings on rows with a code and no text, and on repeated rows, as agree's refusals no longer do."""
    coded, codebook = own_data
    table = pd.read_csv(coded, keep_default_na=False)
    table.loc[5, "text"] = ""
    table = pd.concat([table, table.iloc[[3]]], ignore_index=True)  # a repeated row
    if broken == "noid":
        table.loc[0, "segment_id"] = ""
    elif broken == "coders":
        table = table.assign(coder=["ana", "ben"] * (len(table) // 2) + ["ana"] * (len(table) % 2))
    else:
        table.loc[0, "code"] = "made_up"
    table.to_csv(coded, index=False)
    code, _, err = run(capsys, "--corpus", coded, "--codebook", codebook, "--out", tmp_path / "results")
    assert code == 2 and len(err.strip().splitlines()) == 1 and refusal in err, err


def test_the_warnings_held_back_are_said_once_nothing_is_refused(tmp_path, own_data, caplog):
    from theme_assist.benchmarks import coded_benchmark
    from theme_assist.codebook import load_codebook

    coded, codebook = own_data
    table = pd.read_csv(coded, keep_default_na=False)
    table.loc[5, "text"] = ""
    pd.concat([table, table.iloc[[3]]], ignore_index=True).to_csv(coded, index=False)
    with caplog.at_level("WARNING"):
        coded_benchmark(coded, load_codebook(codebook))
    assert [record.getMessage() for record in caplog.records] == [
        f"coded segments {coded}: 1 row(s) with a code but no text left out (line 7)",
        f"{coded}: 1 repeated row(s) counted once (line {len(table) + 2})"]


def test_own_coded_csv_with_another_model_writes_named_results(capsys, tmp_path, own_data):
    coded, codebook = own_data
    model = resolve_model(None).location  # the packaged model, given as a plain folder
    code, out, err = run(capsys, "--corpus", coded, "--codebook", codebook, "--folds", 2, "--sizes", "all,0",
                         "--model", model, "--out", tmp_path / "results")
    assert code in (0, None), err
    stem = tmp_path / "results" / "evaluate_coded.csv@model"
    result = strict_json(Path(f"{stem}.json").read_text())  # a figure without a value is null, not NaN
    assert result["embedding_model"].startswith("model@")  # a folder's id: its name and a hash of its weights
    assert {row["engine"] for row in result["summary"]} == {"theme_assist", "tfidf_logreg", "majority"}
    # the learning curve in order of size, whatever the order given (its plot zigzagged 'all', 0)
    assert [row["per_code"] for row in result["summary"]][::3] == [0, "all"]
    ours = [r for r in result["summary"] if r["engine"] == "theme_assist" and r["per_code"] == "all"][0]
    assert ours["kappa"] > 0.5
    report = Path(f"{stem}.md").read_text()
    assert "Embedding model: model@" in report
    assert "## Per code (all examples per code" in report
    per_code = pd.DataFrame(result["per_code"])
    assert per_code.isna().any().any()  # the majority baseline's precision of codes it never gives
    assert set(per_code["code"]) == set(pd.read_csv(coded)["code"].dropna()) - {""}
    assert per_code.groupby("engine")["reference"].sum().nunique() == 1  # every engine scored on the same segments
    assert Path(f"{stem}.png").is_file()
    # a batch job's log (stdout is not a terminal here) gets the table whole, not folded to 80 columns
    assert "theme_assist" in out and "tfidf_logreg" in out and "…" not in out
    # and each note whole on one line (36 segments in 2 folds: the notes say where figures rest on little)
    notes = [line for line in out.splitlines() if line.startswith("Note: ")]
    rough, *others = result["notes"]  # that the figures are rough: first, and said as a warning
    assert notes and [line[len("Note: "):-1] for line in notes] == others
    assert rough.startswith("these figures are rough: the test folds hold a median of 18 coded segments")
    assert f"theme-assist: warning: coded.csv: {rough} (the reports say so too)" in " ".join(err.split())


@pytest.mark.parametrize("args, message", [
    (["--model", "/no/such/model"], "does not exist"),
    ([], "needs --codebook"),
    (["--sizes", "10,-5"], "cannot be negative"),
    (["--sizes", "all,all"], "--sizes all,all names all twice"),  # each fold was scored twice, its counts doubled
    (["--sizes", "5,10,05"], "names 5 twice"),
])
def test_bad_input_is_one_line(capsys, tmp_path, own_data, args, message):
    coded, _ = own_data
    code, _, err = run(capsys, "--corpus", coded, "--out", tmp_path, *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_a_mistyped_benchmark_name_lists_the_benchmarks(capsys, tmp_path):
    code, _, err = run(capsys, "--corpus", "annomi", "--out", tmp_path)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--corpus 'annomi' is neither a benchmark (annomi-therapist, annomi-client, esconv," in err


def test_two_corpora_with_one_name_are_refused_before_any_work(capsys, tmp_path, own_data):
    coded, codebook = own_data
    (tmp_path / "other").mkdir()
    copy = tmp_path / "other" / "coded.csv"
    copy.write_text(coded.read_text())
    code, _, err = run(capsys, "--corpus", coded, "--corpus", copy, "--codebook", codebook, "--out", tmp_path / "r")
    assert code == 2 and "--corpus names 'coded.csv' twice" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_a_codebook_beside_benchmarks_only_is_named_as_unused(capsys, tmp_path, own_data):
    _, codebook = own_data
    code, _, err = run(capsys, "--corpus", "esconv", "--corpus", "esconv", "--codebook", codebook, "--out", tmp_path)
    assert code == 2
    assert err.splitlines()[0] == ("theme-assist: warning: --codebook is for a coded CSV of your own; the "
                                   "benchmarks use their own codebooks")


def test_own_data_has_one_code_per_segment_and_a_document_per_row(tmp_path, own_data, caplog):
    from theme_assist.benchmarks import coded_benchmark
    from theme_assist.codebook import load_codebook
    from theme_assist.errors import InputError

    coded, codebook_file = own_data
    codebook = load_codebook(codebook_file)
    table = pd.read_csv(coded, keep_default_na=False)
    repeated = pd.concat([table, table.iloc[[3]]], ignore_index=True)
    repeated.to_csv(tmp_path / "repeated.csv", index=False)
    with caplog.at_level("WARNING"):
        bench = coded_benchmark(tmp_path / "repeated.csv", codebook)
    assert len(bench.segments) == len(table)
    assert f"1 repeated row(s) counted once (line {len(table) + 2})" in caplog.text
    assert bench.notes == [f"1 repeated row(s) of the coded data counted once (line {len(table) + 2})"]  # in the report

    other_code = sorted(set(table["code"]) - {table["code"].iloc[3], ""})[0]
    two_codes = pd.concat([table, table.iloc[[3]].assign(code=other_code)], ignore_index=True)
    two_codes.to_csv(tmp_path / "two.csv", index=False)
    for exclusive in ("true", "false"):  # the protocol scores one code per segment, whatever the codebook allows
        (tmp_path / "cb.yaml").write_text(CODEBOOK.format(exclusive=exclusive), encoding="utf-8")
        with pytest.raises(InputError, match=f"segment '{table['segment_id'].iloc[3]}' has 2 codes"):
            coded_benchmark(tmp_path / "two.csv", load_codebook(tmp_path / "cb.yaml"))

    table.rename(columns={"document": "Transcript"}).to_csv(tmp_path / "renamed.csv", index=False)
    with pytest.raises(InputError, match=r"needs a 'document' column: folds are grouped by document \(columns: "
                                         r"segment_id, Transcript, text, code\)"):  # what the file has instead
        coded_benchmark(tmp_path / "renamed.csv", codebook)
    table.drop(columns="segment_id").rename(columns={"document": "Transcript"}).to_csv(tmp_path / "renamed.csv",
                                                                                   index=False)
    with pytest.raises(InputError, match=r"\(columns: Transcript, text, code\)$"):  # not the segment_id numbered
        coded_benchmark(tmp_path / "renamed.csv", codebook)
    table.loc[[4, 6], "document"] = " "
    table.to_csv(tmp_path / "nodoc.csv", index=False)
    with pytest.raises(InputError, match=r"2 row\(s\) without a document \(line 6, 8\)"):
        coded_benchmark(tmp_path / "nodoc.csv", codebook)
    table.loc[[4, 6], "document"] = "d9"
    table.loc[[2, 8], "segment_id"] = ""
    table.to_csv(tmp_path / "noid.csv", index=False)
    with pytest.raises(InputError, match=r"2 row\(s\) without a segment_id \(line 4, 10\): give every row one"):
        coded_benchmark(tmp_path / "noid.csv", codebook)  # was: segment_id '' is on rows of different texts


def test_own_data_codes_with_spaces_and_ids_shared_by_documents(capsys, tmp_path, own_data):
    from theme_assist.benchmarks import coded_benchmark
    from theme_assist.codebook import load_codebook
    from theme_assist.errors import InputError

    coded, codebook_file = own_data
    table = pd.read_csv(coded, keep_default_na=False)
    table["code"] = table["code"] + " "  # as a spreadsheet may leave them; the suggester reads "work " as "work"
    table.to_csv(tmp_path / "spaced.csv", index=False)
    code, _, err = run(capsys, "--corpus", tmp_path / "spaced.csv", "--codebook", codebook_file, "--sizes", "all",
                       "--folds", "2", "--out", tmp_path / "results")
    assert code == 0, err
    assert set(coded_benchmark(tmp_path / "spaced.csv", load_codebook(codebook_file)).segments["code"]) == {
        "work", "family", "stigma"}

    table["segment_id"] = table.groupby("document").cumcount().astype(str)  # numbered afresh in each document
    table.to_csv(tmp_path / "local_ids.csv", index=False)
    with pytest.raises(InputError, match="local_ids.csv: segment_id '0' is on rows of different documents"):
        coded_benchmark(tmp_path / "local_ids.csv", load_codebook(codebook_file))


def test_codes_not_in_the_codebook_are_refused_before_any_fit(capsys, tmp_path, own_data):
    coded, codebook = own_data
    table = pd.read_csv(coded, keep_default_na=False)
    table["code"] = table["code"].replace({"work": "Paid work and employment"})  # a code given by its name
    table.to_csv(tmp_path / "named.csv", index=False)
    # codebook only: no fit reads the codes, which were scored as wrong everywhere (accuracy 0.000)
    code, _, err = run(capsys, "--corpus", tmp_path / "named.csv", "--codebook", codebook, "--sizes", "0",
                       "--folds", 2, "--out", tmp_path / "results")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"coded segments {tmp_path / 'named.csv'}: code 'Paid work and employment' (line " in err
    assert "did you mean 'work'?" in err
    assert not (tmp_path / "results").exists()
    # a spreadsheet's codes by name and in another case: all named at once, not one per run
    table["code"] = table["code"].replace({"family": "Family", "stigma": " STIGMA "})
    table.to_csv(tmp_path / "named.csv", index=False)
    code, _, err = run(capsys, "--corpus", tmp_path / "named.csv", "--codebook", codebook, "--sizes", "0",
                       "--folds", 2, "--out", tmp_path / "results")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert ") is not in codebook 'Peer support mini' (did you mean 'family'?" in err and "code 'Family' (line " in err
    assert "; 2 more not in it either: Paid work and employment (line " in err and ", STIGMA (line " in err


def test_coders_who_shared_the_documents_out_are_one_coding(tmp_path, own_data):
    """Each document coded by one of two coders: one human code per segment, as suggest --train reads it."""
    from theme_assist.benchmarks import coded_benchmark
    from theme_assist.codebook import load_codebook

    coded, codebook = own_data
    table = pd.read_csv(coded, keep_default_na=False)
    documents = sorted(table["document"].unique())
    coder = table["document"].map({document: "ana" if i % 2 else "ben" for i, document in enumerate(documents)})
    table.assign(coder=coder).to_csv(tmp_path / "shared_out.csv", index=False)
    bench = coded_benchmark(tmp_path / "shared_out.csv", load_codebook(codebook))
    assert len(bench.segments) == len(table)


@pytest.mark.parametrize("with_ids", [True, False])
def test_the_codes_of_two_coders_are_refused(capsys, tmp_path, own_data, with_ids):
    coded, codebook = own_data
    table = pd.read_csv(coded, keep_default_na=False)
    second = table.assign(code=table["code"].where(table.index % 4 != 0, "stigma"))
    double = pd.concat([table.assign(coder="ana"), second.assign(coder="ben")], ignore_index=True)
    if not with_ids:  # each row was a segment of its own: both coders' codes were scored, twice the segments
        double = double.drop(columns="segment_id")
    double.to_csv(tmp_path / "double.csv", index=False)
    code, _, err = run(capsys, "--corpus", tmp_path / "double.csv", "--codebook", codebook, "--sizes", "all",
                       "--folds", 2, "--out", tmp_path / "results")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "double.csv holds the codes of 2 coders (ana, ben)" in err and "--coder NAME" in err
    # one coder's rows are evaluated as before
    double[double["coder"] == "ana"].to_csv(tmp_path / "ana.csv", index=False)
    code, _, err = run(capsys, "--corpus", tmp_path / "ana.csv", "--codebook", codebook, "--sizes", "all",
                       "--folds", 2, "--out", tmp_path / "results")
    assert code == 0, err
    alone = json.loads((tmp_path / "results" / "evaluate_ana.csv.json").read_text())
    assert alone["n_segments"] == len(table)
    if with_ids:  # --coder chooses the same rows from the double-coded file
        code, _, err = run(capsys, "--corpus", tmp_path / "double.csv", "--codebook", codebook, "--coder", "ana",
                           "--sizes", "all", "--folds", 2, "--out", tmp_path / "results")
        assert code == 0, err
        chosen = json.loads((tmp_path / "results" / "evaluate_double.csv-ana.json").read_text())
        def figures(result):
            return [{k: v for k, v in row.items() if k != "seconds"} for row in result["summary"]]

        assert figures(chosen) == figures(alone) and chosen["citation"].endswith(", coder ana")
        code, _, err = run(capsys, "--corpus", tmp_path / "double.csv", "--codebook", codebook, "--coder", "cy",
                           "--out", tmp_path / "results")
        assert code == 2 and "--coder 'cy': " in err and "no codes of that coder (coders: ana, ben)" in err
        # two files of one name: the clash names the results' file, which has the coder in it
        (tmp_path / "again").mkdir()
        (tmp_path / "again" / "double.csv").write_text((tmp_path / "double.csv").read_text())
        code, _, err = run(capsys, "--corpus", tmp_path / "double.csv", "--corpus", tmp_path / "again" / "double.csv",
                           "--codebook", codebook, "--coder", "ana", "--out", tmp_path / "clash")
        assert code == 2 and "--corpus names 'double.csv-ana' twice" in err and not (tmp_path / "clash").exists()


def test_a_coding_with_one_code_is_refused(capsys, tmp_path, own_data):
    coded, codebook = own_data
    table = pd.read_csv(coded, keep_default_na=False)
    table["code"] = table["code"].where(table["code"] == "work", "")  # the other segments stay as context
    table.to_csv(tmp_path / "one.csv", index=False)
    code, _, err = run(capsys, "--corpus", tmp_path / "one.csv", "--codebook", codebook, "--sizes", "all",
                       "--folds", 2, "--out", tmp_path / "results")  # was accuracy 1.000, κ nan±nan
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "every coded segment has the code 'work'; evaluate needs at least two codes" in err
    table["code"] = ""
    table.to_csv(tmp_path / "none.csv", index=False)
    code, _, err = run(capsys, "--corpus", tmp_path / "none.csv", "--codebook", codebook, "--out", tmp_path)
    assert code == 2 and "no row has both a text and a code" in err
    assert "--train" not in err  # suggest's advice, not evaluate's


def test_own_results_go_beside_the_csv_not_among_the_benchmarks(capsys, tmp_path, own_data, monkeypatch):
    coded, codebook = own_data
    (tmp_path / "study").mkdir()
    mine = tmp_path / "study" / "esconv.csv"  # named like a benchmark: it overwrote evaluate_esconv.* there
    mine.write_text(coded.read_text())
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    code, out, err = run(capsys, "--corpus", mine, "--codebook", codebook, "--sizes", "all", "--folds", 2)
    assert code == 0, err
    assert not (tmp_path / "work" / "evaluation").exists()
    result = json.loads((tmp_path / "study" / "evaluate_esconv.csv.json").read_text())
    assert result["citation"] == f"Coded data: {mine}"
    assert "evaluate_esconv.csv.json" in out
    # no quote of the coded data is written
    texts = pd.read_csv(mine)["text"]
    for suffix in (".json", ".md"):
        written = (tmp_path / "study" / f"evaluate_esconv.csv{suffix}").read_text()
        assert not any(text in written for text in texts)


def test_a_csv_and_a_spreadsheet_of_one_name_in_one_folder_keep_their_own_results(capsys, tmp_path, own_data):
    """base.csv and base.xlsx beside each other both wrote evaluate_base.*: the second run's results replaced the
    first's."""
    coded, codebook = own_data
    table = pd.read_csv(coded, keep_default_na=False)
    table.to_csv(tmp_path / "base.csv", index=False)
    table.iloc[:-3].to_excel(tmp_path / "base.xlsx", index=False)
    for name in ("base.csv", "base.xlsx"):
        code, _, err = run(capsys, "--corpus", tmp_path / name, "--codebook", codebook, "--sizes", "0", "--folds", 2)
        assert code == 0, err
    for name, rows in (("base.csv", len(table)), ("base.xlsx", len(table) - 3)):
        result = json.loads((tmp_path / f"evaluate_{name}.json").read_text())
        assert (result["citation"], result["n_segments"]) == (f"Coded data: {tmp_path / name}", rows)
        assert (tmp_path / f"evaluate_{name}.md").is_file() and (tmp_path / f"evaluate_{name}.png").is_file()
    assert not list(tmp_path.glob("evaluate_base.json"))


def test_a_coder_named_only_on_uncoded_rows_is_no_second_coder(tmp_path, own_data):
    """Coders were counted on every row: a name on an uncoded (context) row made a one-coder file "two coders", and
    --coder with that name failed with an IndexError."""
    from theme_assist.benchmarks import coded_benchmark
    from theme_assist.codebook import load_codebook
    from theme_assist.errors import InputError

    coded, codebook_file = own_data
    table = pd.read_csv(coded, keep_default_na=False)
    table.loc[[0, 5], "code"] = ""  # context rows
    table["coder"] = ["bo" if code == "" else "ana" for code in table["code"]]
    table.to_csv(tmp_path / "context.csv", index=False)
    codebook = load_codebook(codebook_file)
    assert len(coded_benchmark(tmp_path / "context.csv", codebook).segments) == len(table)
    with pytest.raises(InputError, match="--coder 'bo': .* has no codes of that coder"):
        coded_benchmark(tmp_path / "context.csv", codebook, coder="bo")
    with pytest.raises(InputError, match="--coder 'ana': .*coded.csv has no 'coder' column"):  # not "named coders"
        coded_benchmark(coded, codebook, coder="ana")


def test_a_coder_column_named_with_a_capital_is_the_coder_column(capsys, tmp_path, own_data):
    """A spreadsheet's "Coder" column was not read as the coder column: a double-coded table without segment ids was
    scored as twice the segments, each coder's code right, and --coder found "no codes of named coders"."""
    coded, codebook = own_data
    table = pd.read_csv(coded, keep_default_na=False).drop(columns="segment_id")
    second = table.assign(code=table["code"].where(table.index % 4 != 0, "stigma"))
    pd.concat([table.assign(Coder="ana"), second.assign(Coder="ben")], ignore_index=True).to_csv(
        tmp_path / "double.csv", index=False)
    code, _, err = run(capsys, "--corpus", tmp_path / "double.csv", "--codebook", codebook, "--sizes", "all",
                       "--folds", 2, "--out", tmp_path / "results")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "holds the codes of 2 coders (ana, ben)" in err and "--coder NAME" in err
    code, _, err = run(capsys, "--corpus", tmp_path / "double.csv", "--codebook", codebook, "--coder", "ana",
                       "--sizes", "all", "--folds", 2, "--out", tmp_path / "results")
    assert code == 0, err
    assert json.loads((tmp_path / "results" / "evaluate_double.csv-ana.json").read_text())["n_segments"] == \
        len(table)


def test_codes_of_the_codebook_that_no_segment_has_are_named(tmp_path, own_data):
    """The report said "2 codes" and nothing of the codebook's third, which theme_assist could still suggest."""
    from theme_assist.benchmarks import coded_benchmark
    from theme_assist.codebook import load_codebook

    coded, codebook = own_data
    table = pd.read_csv(coded, keep_default_na=False)
    table["code"] = table["code"].replace({"stigma": ""})
    table.to_csv(tmp_path / "two_codes.csv", index=False)
    bench = coded_benchmark(tmp_path / "two_codes.csv", load_codebook(codebook))
    assert bench.notes == ["1 code(s) of the codebook are on no coded segment (stigma): theme_assist can still "
                           "suggest them, each time wrongly, and they appear in the per-code table only then"]
    assert coded_benchmark(coded, load_codebook(codebook)).notes == []


def test_lines_named_are_the_files_after_rows_left_out(tmp_path, own_data, caplog):
    """Rows read_coded leaves out (a code without text, another coder's) shifted the lines named after them: a row
    without a document on line 8 was said to be on line 7."""
    from theme_assist.benchmarks import coded_benchmark
    from theme_assist.codebook import load_codebook
    from theme_assist.errors import InputError

    coded, codebook_file = own_data
    codebook = load_codebook(codebook_file)
    table = pd.read_csv(coded, keep_default_na=False)
    table.loc[1, "text"] = ""  # line 3: a code without text, left out
    repeated = pd.concat([table, table.iloc[[3]]], ignore_index=True)
    repeated.to_csv(tmp_path / "repeated.csv", index=False)
    with caplog.at_level("WARNING"):
        bench = coded_benchmark(tmp_path / "repeated.csv", codebook)
    assert bench.notes == ["1 row(s) with a code but no text left out (line 3)",  # in the report, as in the log
                           f"1 repeated row(s) of the coded data counted once (line {len(table) + 2})"]
    assert list(bench.segments.index) == list(range(len(table) - 1))
    table.loc[6, "document"] = ""
    table.to_csv(tmp_path / "nodoc.csv", index=False)
    with pytest.raises(InputError, match=r"1 row\(s\) without a document \(line 8\)"):
        coded_benchmark(tmp_path / "nodoc.csv", codebook)
    table.loc[1, "text"] = "restored"
    double = pd.concat([table.assign(coder="ana"), table.assign(coder="ben")], ignore_index=True)
    double.to_csv(tmp_path / "double.csv", index=False)  # ben's rows follow ana's
    with pytest.raises(InputError, match=rf"1 row\(s\) without a document \(line {len(table) + 8}\)"):
        coded_benchmark(tmp_path / "double.csv", codebook, coder="ben")
    # one coder's report names that coder's rows left out, not another's (ben's code without text is not ana's)
    table.loc[6, "document"] = "restored"
    ben = table.assign(coder="ben")
    ben.loc[2, "text"] = ""
    pd.concat([table.assign(coder="ana"), ben], ignore_index=True).to_csv(tmp_path / "double.csv", index=False)
    assert coded_benchmark(tmp_path / "double.csv", codebook, coder="ana").notes == []
    assert coded_benchmark(tmp_path / "double.csv", codebook, coder="ben").notes == [
        f"1 row(s) with a code but no text left out (line {len(table) + 4})"]


def test_a_spreadsheets_empty_rows_are_spacing(tmp_path, own_data):
    """Rows a spreadsheet leaves after cells are cleared (",,,,") were refused as rows without a document."""
    from theme_assist.benchmarks import coded_benchmark
    from theme_assist.codebook import load_codebook

    coded, codebook = own_data
    text = coded.read_text(encoding="utf-8")
    (tmp_path / "cleared.csv").write_text(text.replace("\n", "\n,,,\n", 3) + ",,, \n,,,\n", encoding="utf-8")
    bench = coded_benchmark(tmp_path / "cleared.csv", load_codebook(codebook))
    assert bench.segments.equals(coded_benchmark(coded, load_codebook(codebook)).segments)


def test_a_kappa_undefined_in_every_fold_reads_n_a(capsys, tmp_path, own_data):
    """Two documents of one coded segment each: every test fold holds one segment, where κ is undefined for an
    engine whose top code is right (and has no spread over one fold where it is defined); the table read
    "nan±nan" and "0.000±nan"."""
    _, codebook = own_data
    two = CODED.iloc[[0, 7]].assign(document=["a", "b"])  # work, family
    two.to_csv(tmp_path / "two.csv", index=False)
    code, out, err = run(capsys, "--corpus", tmp_path / "two.csv", "--codebook", codebook, "--sizes", "0,all",
                         "--folds", 2, "--out", tmp_path / "results")
    assert code in (0, None), err
    assert "nan" not in out.lower() and "n/a" in out
    assert "hold segments of one human code only" in out and "give fewer folds" not in out  # 2 is the fewest
    result = strict_json((tmp_path / "results" / "evaluate_two.csv.json").read_text())
    assert any(row["kappa"] is None for row in result["summary"])  # the case the table now names n/a


def test_too_few_documents_for_the_folds_leave_no_output_folder(capsys, tmp_path, own_data):
    coded, codebook = own_data  # 6 documents
    code, _, err = run(capsys, "--corpus", coded, "--codebook", codebook, "--folds", 7, "--out", tmp_path / "r")
    assert code == 2 and "needs at least 7 documents with coded segments, found 6" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()  # was left behind, empty


def test_the_threshold_named_is_that_of_the_codebook(capsys, tmp_path, own_data):
    """A codebook of several codes per segment abstains below 0.5 on each code's own score; the report named the
    threshold of one code per segment (1.5/K) whatever the codebook."""
    coded, codebook = own_data
    several = tmp_path / "several.yaml"
    several.write_text(CODEBOOK.format(exclusive="false"), encoding="utf-8")
    code, _, err = run(capsys, "--corpus", coded, "--codebook", several, "--sizes", "0", "--folds", 2,
                       "--out", tmp_path / "results")
    assert code in (0, None), err
    result = strict_json((tmp_path / "results" / "evaluate_coded.csv.json").read_text())
    assert result["threshold"] == "0.5 on each code's own score, as the codebook allows several codes per segment"
    assert "Abstention: theme_assist's default threshold (0.5 on each code's own score" in (
        tmp_path / "results" / "evaluate_coded.csv.md").read_text()


def test_a_coded_table_sorted_by_code_is_named_in_the_reports_notes(tmp_path):
    """Its neighbours tell each segment's code, so its κ reads high (0.784 for 0.726 on the demo): the warning went
    to the console alone, not to the report that keeps the figure."""
    from theme_assist.benchmarks import coded_benchmark
    from theme_assist.codebook import parse_codebook

    book = parse_codebook("name: t\ncodes:\n  - {id: c1, name: one}\n  - {id: c2, name: two}\n"
                          "  - {id: c3, name: three}\n")
    rows = pd.DataFrame({"segment_id": [f"s{i}" for i in range(10)], "document": ["a"] * 10,
                         "text": [f"text {i}" for i in range(10)], "code": ["c1"] * 4 + ["c2"] * 3 + ["c3"] * 3})
    rows.to_csv(tmp_path / "sorted.csv", index=False)
    assert any(note.startswith("each document's rows are sorted by code")
               for note in coded_benchmark(tmp_path / "sorted.csv", book).notes)
    rows.iloc[[0, 4, 1, 2, 3, 5, 6, 7, 8, 9]].to_csv(tmp_path / "read.csv", index=False)
    assert not any("sorted by code" in note for note in coded_benchmark(tmp_path / "read.csv", book).notes)


def test_figures_from_small_test_folds_come_with_a_warning_and_a_line_in_the_reports(capsys, tmp_path,
                                                                                       monkeypatch):
    """60 coded turns of the demo corpus in 5 documents, 12 a test fold: κ's spread over the folds was near ±0.5 and
    the figures were printed without a word that they were rough. The sentence is made once (reliability_notes
    made it again)."""
    import theme_assist.evaluate as evaluate
    from theme_assist.codebook import packaged_codebook

    made, note = [], evaluate.rough_note
    monkeypatch.setattr(evaluate, "rough_note", lambda results: made.append(1) or note(results))

    demo = pd.read_csv(Path(__file__).parents[1] / "corpora" / "demo" / "reference_coding.csv",
                       keep_default_na=False)
    small = demo[demo["document"].isin(sorted(set(demo["document"]))[:5])].groupby("document").head(12)
    small.to_csv(tmp_path / "small.csv", index=False)
    code, out, err = run(capsys, "--corpus", tmp_path / "small.csv", "--codebook", packaged_codebook(), "--sizes",
                         "all", "--out", tmp_path / "results")
    assert code in (0, None), err
    warned = " ".join(err.split())
    assert ("theme-assist: warning: small.csv: these figures are rough: the test folds hold a median of 12 coded "
            "segments (fewer than 30)") in warned and warned.count("these figures are rough") == 1
    assert "give fewer folds (each test fold then holds more) (the reports say so too)" in warned
    assert "rough" not in out  # said once, as a warning, not again among the notes
    result = strict_json((tmp_path / "results" / "evaluate_small.csv.json").read_text())
    assert result["notes"][0].startswith("these figures are rough: the test folds hold a median of 12 coded")
    report = (tmp_path / "results" / "evaluate_small.csv.md").read_text()
    assert f"Note: {result['notes'][0]}." in report
    assert len(made) == 1


def test_a_double_coded_file_reports_the_coders_agreement_and_the_machines_beside_it(capsys, tmp_path, own_data):
    """A team saw the machine's κ against one coder without the figure that makes it meaningful: how well its
    coders agree with each other. ben coded the segments of four of the six documents, ana all of them."""
    from sklearn.metrics import cohen_kappa_score

    coded, codebook = own_data
    ana = pd.read_csv(coded, keep_default_na=False).assign(coder="ana")
    ben = ana[~ana["document"].str.endswith("-2")].assign(coder="ben")
    ben["code"] = ben["code"].where(ben.index % 4 != 0, "stigma")  # ben differs on every fourth
    pd.concat([ana, ben], ignore_index=True).to_csv(tmp_path / "double.csv", index=False)
    code, out, err = run(capsys, "--corpus", tmp_path / "double.csv", "--codebook", codebook, "--sizes", "all",
                         "--folds", 2, "--out", tmp_path / "results")
    assert code == 2 and "choose one with --coder NAME: the engine learns from that coder's codes, and the report " \
                         "gives the coders' agreement with each other" in " ".join(err.split())
    code, out, err = run(capsys, "--corpus", tmp_path / "double.csv", "--codebook", codebook, "--coder", "ana",
                         "--sizes", "all", "--folds", 2, "--out", tmp_path / "results")
    assert code == 0, err
    stem = tmp_path / "results" / "evaluate_double.csv-ana"
    result = strict_json(Path(f"{stem}.json").read_text())
    assert result["n_segments"] == len(ana)  # the evaluation itself: ana's codes, as before
    agreement = result["coders_agreement"]
    shared = ben.set_index("segment_id")["code"]
    assert agreement["n_segments"] == len(shared) == 24 and agreement["coders"] == ["ana", "ben"]
    assert agreement["trained_on"] == "ana" and agreement["machine"] == "theme_assist"
    assert agreement["per_code"] == "all" and agreement["rough"] is None  # 24 segments: not rough
    rows = {row["comparison"]: row for row in agreement["comparisons"]}
    assert list(rows) == ["ana vs ben", "theme_assist vs ana", "theme_assist vs ben"]
    ana_codes = ana.set_index("segment_id")["code"][shared.index]
    assert rows["ana vs ben"]["kappa"] == pytest.approx(cohen_kappa_score(ana_codes, shared))
    # the machine's, on the 24 segments ben coded too: not on ana's 36
    assert all(row["n_units"] == 24 for row in rows.values())
    ours = [row for row in result["summary"] if row["engine"] == "theme_assist"][0]
    if ours["accuracy"] == 1.0:  # every top code is ana's: the machine's κ against each coder is ana's
        assert rows["theme_assist vs ana"]["kappa"] == pytest.approx(1.0)
        assert rows["theme_assist vs ben"]["kappa"] == pytest.approx(rows["ana vs ben"]["kappa"])
    for row in rows.values():
        assert row["ci"][0] <= row["kappa"] <= row["ci"][1]
    # could the machine code in place of ana, whom it learned from: its kappa with ben less ana's, paired
    in_place = agreement["in_place"]
    assert in_place["comparison"] == "theme_assist in place of ana"
    assert in_place["machine"] == pytest.approx(rows["theme_assist vs ben"]["kappa"])
    assert in_place["coder"] == pytest.approx(rows["ana vs ben"]["kappa"])
    assert in_place["difference"] == pytest.approx(in_place["machine"] - in_place["coder"])
    assert in_place["ci"][0] <= in_place["difference"] <= in_place["ci"][1]
    assert agreement["notes"][0].startswith("theme_assist learned from ana's codes alone (those of ben were not "
                                            "used)")
    report = Path(f"{stem}.md").read_text()
    assert "## The coders' agreement, and the machine's beside it" in report
    assert f"| ana vs ben | 24 | {rows['ana vs ben']['kappa']:.3f} |" in report
    assert report.index("coders' agreement, and") < report.index("## Per code")
    # whose the human codes of the per-code table are: ana's, not "human" as if there were one
    assert result["coder"] == "ana" and "| code | human (ana) | suggested |" in report
    assert "human (ana): the segments ana gave the code (the human codes are ana's alone)" in report
    # the terminal: a table beside the evaluation's, and its note
    assert "the coders' agreement and theme_assist's" in out and "ana vs ben" in out
    assert "Note (the coders' agreement): theme_assist learned from ana's codes alone" in out
    said = f"theme_assist in place of ana: its κ with ben less ana's, {figure(in_place['machine'])} − " \
           f"{figure(in_place['coder'])} = {in_place['difference']:+.3f} (95% interval"
    assert said in " ".join(out.split()) and said in report
    # one coder's file: no coders' agreement, as before
    ana.to_csv(tmp_path / "ana.csv", index=False)
    code, out, err = run(capsys, "--corpus", tmp_path / "ana.csv", "--codebook", codebook, "--sizes", "all",
                         "--folds", 2, "--out", tmp_path / "results")
    assert code == 0, err
    alone = strict_json((tmp_path / "results" / "evaluate_ana.csv.json").read_text())
    assert "coders_agreement" not in alone and "coders' agreement" not in out and "coder" not in alone
    assert "| code | human | suggested |" in (tmp_path / "results" / "evaluate_ana.csv.md").read_text()
    assert "coders' agreement" not in (tmp_path / "results" / "evaluate_ana.csv.md").read_text()


def test_a_second_coders_names_and_codes_written_two_ways_and_rows_without_text_are_said(tmp_path, own_data,
                                                                                         caplog):
    """Another coder's "Work" for "work", a coder named "José" in two Unicode forms, and a second coder's rows
    that leave the text to the first's: as agree warns of the first two, evaluate compared them without a word
    (José against José, κ 1.000), and left the third out unsaid (no coders' agreement, and no reason)."""
    import unicodedata

    from theme_assist.benchmarks import coded_benchmark
    from theme_assist.codebook import load_codebook

    coded, codebook = own_data
    composed, decomposed = unicodedata.normalize("NFC", "José"), unicodedata.normalize("NFD", "José")
    jose = pd.read_csv(coded, keep_default_na=False).assign(coder=composed)
    ben = jose.iloc[:6].assign(coder="ben", code=["Work", "family", "stigma", "work", "family", "stigma"])
    alike = jose.iloc[6:9].assign(coder=decomposed)
    pd.concat([jose, ben, alike], ignore_index=True).to_csv(tmp_path / "double.csv", index=False)
    with caplog.at_level("WARNING"):
        bench = coded_benchmark(tmp_path / "double.csv", load_codebook(codebook), coder=composed)
    said = " ".join(caplog.messages)
    assert "1 code(s) written apart only by case are different codes: 'Work' / 'work'" in said
    assert "1 coder(s) written alike in two Unicode forms" in said and r"'Jose\u0301' / 'Jos\xe9'" in said
    assert len(bench.coders) == 9  # warned of, still compared as the file writes them
    caplog.clear()
    pd.concat([jose, ben.assign(text="")], ignore_index=True).to_csv(tmp_path / "textless.csv", index=False)
    with caplog.at_level("WARNING"):
        bench = coded_benchmark(tmp_path / "textless.csv", load_codebook(codebook), coder=composed)
    textless = ("6 code(s) of other coders on rows without text are left out of the coders' comparison, as every "
                "row with a code and no text is (line 38, 39, 40, 41, 42, …)")
    assert bench.coders is None and textless in " ".join(caplog.messages)
    assert bench.notes == [f"{textless}, so the coders' agreement with each other is not reported"]
    pd.concat([jose, ben.iloc[:3].assign(text=""), ben.iloc[3:]], ignore_index=True).to_csv(tmp_path / "some.csv",
                                                                                           index=False)
    bench = coded_benchmark(tmp_path / "some.csv", load_codebook(codebook), coder=composed)
    assert len(bench.coders) == 3 and bench.coders_notes == [
        "3 code(s) of other coders on rows without text are left out of the coders' comparison, as every row with a "
        "code and no text is (line 38, 39, 40)"]
    # another text under one of jose's ids (another segmentation's rows): compared, and said
    other = ben.assign(text=ben["text"].where(ben.index != 1, "Another segment's text."))
    pd.concat([jose, other], ignore_index=True).to_csv(tmp_path / "other.csv", index=False)
    bench = coded_benchmark(tmp_path / "other.csv", load_codebook(codebook), coder=composed)
    assert len(bench.coders) == 6 and bench.coders_notes == [
        f"1 row(s) of other coders have another text than {composed}'s rows of their segment_id (line 39): compared "
        "as one segment all the same; check that the ids name the same segments in every coder's rows"]


def test_the_segments_several_coders_coded_are_matched_by_segment_id(tmp_path, own_data):
    """A third coder of other segments, a segment a second coder gave two codes, theme_assist's own suggestions,
    and a file without segment ids."""
    from theme_assist.benchmarks import coded_benchmark
    from theme_assist.codebook import load_codebook

    coded, codebook = own_data
    ana = pd.read_csv(coded, keep_default_na=False).assign(coder="ana")
    ben = ana.iloc[:6].assign(coder=" ben ", code=["work", "work", "stigma", "work", "family", "stigma"])
    two = ben.iloc[[1]].assign(code="family")  # a second code of ben's on one segment: left out
    cy = ana.iloc[6:8].assign(coder="cy", segment_id=["elsewhere-1", "elsewhere-2"],  # on no segment of ana's
                              text=["Another turn of the interview.", "And one more."])
    machine = ana.iloc[:6].assign(coder="theme_assist suggester (ana) 2026-01-01")
    pd.concat([ana, ben, two, cy, machine], ignore_index=True).to_csv(tmp_path / "double.csv", index=False)
    bench = coded_benchmark(tmp_path / "double.csv", load_codebook(codebook), coder="ana")
    assert bench.coder == "ana" and list(bench.coders.columns) == ["ana", "ben"]
    assert list(bench.coders.index) == ["s0-0", "s2-0", "s3-0", "s4-0", "s5-0"]
    assert bench.coders["ben"].tolist() == ["work", "stigma", "work", "family", "stigma"]
    assert bench.coders["ana"].tolist() == ana.set_index("segment_id")["code"][bench.coders.index].tolist()
    assert bench.coders_notes == ["1 segment(s) given several codes by one coder are left out of this comparison, "
                                  "which takes one code per coder (s1-0)"]
    assert len(bench.coded) == len(ana)
    # no second coder on ana's segments: nothing new
    pd.concat([ana, cy], ignore_index=True).to_csv(tmp_path / "apart.csv", index=False)
    bench = coded_benchmark(tmp_path / "apart.csv", load_codebook(codebook), coder="ana")
    assert bench.coders is None and bench.coders_notes == [] and bench.notes == []
    # ana's texts under other ids ("1.0" for "1"): said, as a file without segment ids is
    renamed = ben.assign(segment_id=ben["segment_id"] + ".0")
    pd.concat([ana, renamed], ignore_index=True).to_csv(tmp_path / "renamed.csv", index=False)
    bench = coded_benchmark(tmp_path / "renamed.csv", load_codebook(codebook), coder="ana")
    assert bench.coders is None and bench.notes == [
        "the file holds the codes of ben too, on the texts ana coded, but under other segment_ids than ana's, so "
        "the coders' agreement with each other is not reported: give each segment one segment_id in every coder's "
        "rows"]
    # without segment ids, no rows of two coders are known to be one segment: the report says why there is none
    pd.concat([ana, ben], ignore_index=True).drop(columns="segment_id").to_csv(tmp_path / "noid.csv", index=False)
    bench = coded_benchmark(tmp_path / "noid.csv", load_codebook(codebook), coder="ana")
    assert bench.coders is None and bench.notes == [
        "the file holds the codes of ben too, on the texts ana coded, but no segment_id column says which of their "
        "rows are one segment, so the coders' agreement with each other is not reported: give each segment one "
        "segment_id (an import's codings.csv has them)"]


def test_the_terminal_table_of_the_coders_agreement_names_each_kappa_and_the_intervals():
    """The Markdown report said "Cohen's κ of each pair, Fleiss' κ of all the coders" and the intervals' kind; the
    terminal's table had a column "κ" alone, its "all coders" row Fleiss' κ unsaid, its intervals' kind unsaid."""
    import io

    from rich.console import Console

    from theme_assist.cli.evaluate import _print_coders_agreement

    row = {"n_units": 20, "kappa": 0.8, "ci": [0.6, 0.9], "reason": None}
    agreement = {"machine": "theme_assist", "n_segments": 20, "interval": {"n_boot": 1000, "seed": 0},
                 "comparisons": [{**row, "comparison": "ana vs ben", "kind": "human-human",
                                  "coefficient": "Cohen's kappa"},
                                 {**row, "comparison": "all coders", "kind": "humans", "coefficient": "Fleiss' kappa"},
                                 {**row, "comparison": "theme_assist vs ana", "kind": "machine-human",
                                  "coefficient": "Cohen's kappa"}],
                 "coders": ["ana", "ben", "cat"], "trained_on": "ana",
                 "in_place": {"comparison": "theme_assist in place of ana", "difference": -0.05, "machine": 0.7,
                              "coder": 0.75, "ci": [-0.12, 0.01], "reason": None}}
    console = Console(file=io.StringIO(), width=200)
    _print_coders_agreement(console, "double.csv-ana", agreement)
    said = " ".join(console.file.getvalue().split())
    assert ("κ: Cohen's kappa; all coders: Fleiss' kappa; 95% intervals: BCa bootstrap over segments, 1,000 "
            "resamples, seed 0") in said
    assert ("theme_assist in place of ana: its κ with ben, cat less ana's, 0.700 − 0.750 = -0.050 (95% interval "
            "-0.120 to 0.010, paired: both κ on the same resampled segments); below 0 it agrees with ben, cat less "
            "than ana does") in said


def test_a_double_coded_file_is_read_once(tmp_path, own_data, monkeypatch):
    """--coder read the coded file twice, once for the chosen coder's rows and once for the other coders' (an
    .xlsx paid its slow read twice), through two private helpers of agree's reading."""
    import theme_assist.ingest.tables as tables
    from theme_assist.benchmarks import coded_benchmark
    from theme_assist.codebook import load_codebook

    coded, codebook = own_data
    ana = pd.read_csv(coded, keep_default_na=False).assign(coder="ana")
    ben = ana.iloc[:6].assign(coder="ben", code=["work", "family", "stigma", "work", "family", "stigma"])
    pd.concat([ana, ben], ignore_index=True).to_excel(tmp_path / "double.xlsx", index=False)
    read, load = [], tables.load_table
    monkeypatch.setattr(tables, "load_table", lambda path, **options: read.append(path) or load(path, **options))
    bench = coded_benchmark(tmp_path / "double.xlsx", load_codebook(codebook), coder="ana")
    assert read == [tmp_path / "double.xlsx"]
    assert list(bench.coders.columns) == ["ana", "ben"] and len(bench.coders) == 6
    assert bench.coders["ben"].tolist() == ben["code"].tolist()
