"""The ``suggest`` and ``demo`` commands as a user (or a script) runs them."""

import json
from pathlib import Path

import pandas as pd
import pytest

from theme_assist.cli import main
from theme_assist.cli.suggest import SHARD_COLUMNS
from theme_assist.codebook import save_codebook
from tests.test_suggest import CODEBOOK, CODED, NEW
from theme_assist.codebook import parse_codebook
from theme_assist.project.testing import FakeEmbedder
from theme_assist.suggest import CodeSuggester


def run(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


@pytest.fixture()
def files(tmp_path):
    codebook = tmp_path / "cb.yaml"
    save_codebook(parse_codebook(CODEBOOK.format(exclusive="true")), codebook)
    coded = tmp_path / "coded.csv"
    # an uncoded row keeps the context of document d1 complete
    pd.concat([CODED, pd.DataFrame({"segment_id": ["u1"], "document": ["d1"], "text": ["Mm-hmm."], "code": [""]})]
              ).to_csv(coded, index=False)
    segments = tmp_path / "segments.csv"
    NEW.to_csv(segments, index=False)
    return codebook, coded, segments


def test_coder_trains_on_one_coders_rows_of_a_double_coded_table(files, tmp_path, capsys):
    """A double-coded import's codings.csv in an exclusive codebook was refused with no way to choose a coder."""
    codebook, coded, segments = files
    table = pd.read_csv(coded, keep_default_na=False)
    other = table.assign(coder="bo", code=["family" if code == "work" else code for code in table["code"]])
    double = tmp_path / "double.csv"
    pd.concat([table.assign(coder="ana"), other]).to_csv(double, index=False)
    code, _, err = run(["suggest", "--codebook", codebook, "--train", double, "--input", segments, "--out",
                        tmp_path / "o.csv"], capsys)
    assert code == 2 and "of 2 coders (ana, bo)" in err and "--coder NAME" in err
    outputs = {}
    for name, train in (("ana", double), ("alone", coded)):
        options = ["--coder", "ana"] if name == "ana" else []
        code, _, err = run(["suggest", "--codebook", codebook, "--train", train, *options, "--input", segments,
                            "--out", tmp_path / f"{name}.csv"], capsys)
        assert code == 0, err
        outputs[name] = (tmp_path / f"{name}.csv").read_text()
    assert outputs["ana"] == outputs["alone"]  # ana's rows are the table she coded alone
    code, _, err = run(["suggest", "--codebook", codebook, "--train", double, "--coder", "cy", "--input", segments,
                        "--out", tmp_path / "o.csv"], capsys)
    assert code == 2 and "--coder 'cy': " in err and "no codes of that coder (coders: ana, bo)" in err
    code, _, err = run(["suggest", "--codebook", codebook, "--coder", "ana", "--input", segments, "--out",
                        tmp_path / "o.csv"], capsys)
    assert code == 2 and "give --train too" in err


@pytest.mark.parametrize("command", ["suggest", "discover"])
def test_a_double_coded_table_without_segment_ids_needs_a_coder(files, tmp_path, capsys, command):
    """Without segment_id each row was learnt as a segment of its own: every text once per coder, and where the
    coders disagreed, both codes as right (as evaluate already refused)."""
    codebook, coded, segments = files
    table = pd.read_csv(coded, keep_default_na=False).drop(columns="segment_id")
    other = table.assign(coder="bo", code=["family" if code == "work" else code for code in table["code"]])
    double = tmp_path / "double.csv"
    pd.concat([table.assign(coder="ana"), other]).to_csv(double, index=False)
    out = tmp_path / ("o.csv" if command == "suggest" else "o.json")
    code, _, err = run([command, "--codebook", codebook, "--train", double, "--input", segments, "--out", out],
                       capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and not out.exists()
    assert "of 2 coders (ana, bo)" in err and "no segment_id" in err and "--coder NAME" in err
    code, _, err = run([command, "--codebook", codebook, "--train", double, "--coder", "ana", "--input", segments,
                        "--out", out], capsys)
    assert code == 0, err
    # coders who shared the transcripts out, each coding their own, are one table to learn from
    shared_out = tmp_path / "shared_out.csv"
    table.assign(coder=["ana" if i % 2 else "bo" for i in range(len(table))]).to_csv(shared_out, index=False)
    code, _, err = run([command, "--codebook", codebook, "--train", shared_out, "--input", segments, "--out", out],
                       capsys)
    assert code == 0, err


def test_suggest_follows_the_output_contract(files, tmp_path, capsys):
    codebook, coded, segments = files
    out = tmp_path / "out.csv"
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments, "--out", out,
                        "--top-k", 2, "--threshold", 0.0], capsys)
    assert code == 0, err
    table = pd.read_csv(out, keep_default_na=False)
    assert list(table.columns) == ["segment_id", "code", "score", "rank", "evidence", "segmentation"]
    assert table.groupby("segment_id")["rank"].apply(list).to_dict() == {"n1": [1, 2], "n2": [1, 2], "n3": [1, 2]}
    best = table[table["rank"] == 1].set_index("segment_id")["code"].to_dict()
    assert best == {"n1": "work", "n2": "family", "n3": "stigma"}
    evidence = json.loads(table.loc[0, "evidence"])
    assert evidence and {"segment_id", "text", "similarity"} <= set(evidence[0])
    assert "not calibrated probabilities: calibration needs at least 20 coded segments" in " ".join(err.split())


def test_evidence_from_a_coded_table_without_segment_ids_names_each_quotes_line_in_the_file(files, tmp_path, capsys):
    """Evidence named the first row below the header ``row1``: a spreadsheet shows it as row 2, and the warnings of
    the same run call it line 2."""
    codebook, coded, segments = files
    table = pd.read_csv(coded, keep_default_na=False).drop(columns="segment_id")
    unnumbered = tmp_path / "unnumbered.csv"
    # a cleared row, and a code without text, are left out, and the rows after them keep their lines
    unnumbered.write_text(table.iloc[:0].to_csv(index=False) + ",,\n" + "d1,,work\n"
                          + table.to_csv(index=False, header=False), encoding="utf-8")
    out = tmp_path / "out.csv"
    code, _, err = run(["suggest", "--codebook", codebook, "--train", unnumbered, "--input", segments, "--out", out,
                        "--threshold", 0.0], capsys)
    assert code == 0, err
    assert "1 row(s) with a code but no text left out (line 3)" in " ".join(err.split())
    lines = unnumbered.read_text(encoding="utf-8").splitlines()
    quotes = [quote for cell in pd.read_csv(out, keep_default_na=False)["evidence"] for quote in json.loads(cell)
              if not quote["segment_id"].startswith("codebook:")]
    assert quotes
    for quote in quotes:
        assert quote["segment_id"].startswith("row") and quote["text"] in lines[int(quote["segment_id"][3:]) - 1]


def test_skip_speaker_leaves_the_interviewers_turns_out_but_reads_them_as_context(files, tmp_path, capsys):
    """"Thank you." of the interviewer got a code at 0.89; its turns still give their neighbours' context."""
    codebook, coded, _ = files
    segments = tmp_path / "interview.csv"
    pd.DataFrame({"segment_id": ["i1", "n1", "i2", "n2", "i3", "n3"], "document": ["d3"] * 6,
                  "speaker": ["Interviewer", "P1", " INTERVIEWER ", "P1", "Interviewer", "P1"],
                  "text": ["Tell me about your work.", NEW.text[0], "And at home?", NEW.text[1], "Thank you.",
                           NEW.text[2]]}).to_csv(segments, index=False)
    runs = {}
    for name, extra in (("all", []), ("skipped", ["--skip-speaker", "interviewer", "--skip-speaker", "Moderator"])):
        out = tmp_path / f"{name}.csv"
        code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments, "--out", out,
                            "--segments-out", tmp_path / f"{name}-segments.csv", *extra], capsys)
        assert code == 0, err
        runs[name] = pd.read_csv(out, keep_default_na=False)
    assert set(runs["skipped"]["segment_id"]) == {"n1", "n2", "n3"}
    kept = runs["all"][runs["all"]["segment_id"].str.startswith("n")].reset_index(drop=True)
    pd.testing.assert_frame_equal(runs["skipped"], kept)  # the participants' scores read the questions around them
    assert len(pd.read_csv(tmp_path / "skipped-segments.csv")) == 6
    said = " ".join(err.split())
    assert "✓ 6 segments, 3 segments of Interviewer, INTERVIEWER skipped, " in said, said
    assert ("theme-assist: warning: skip speaker 'Moderator': no segment has this speaker (speakers: P1, Interviewer, "
            "INTERVIEWER)") in said


def test_a_skipped_speaker_of_another_part_of_an_array_job_is_no_warning(files, tmp_path, capsys):
    """Each part warned of a name its own documents lack, though the input has that speaker."""
    codebook, coded, _ = files
    segments = tmp_path / "two.csv"
    pd.DataFrame({"segment_id": ["a1", "a2", "b1", "b2"], "document": ["a", "a", "b", "b"],
                  "speaker": ["Moderator", "P1", "Interviewer", "P2"],
                  "text": ["Welcome.", NEW.text[0], "Thank you.", NEW.text[1]]}).to_csv(segments, index=False)
    for part, left in (("1/2", "a2"), ("2/2", "b2")):
        out = tmp_path / f"part{part[0]}.csv"
        code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments, "--out", out,
                            "--shard", part, "--skip-speaker", "moderator", "--skip-speaker", "interviewer"], capsys)
        assert code == 0 and "warning" not in err, err
        assert set(pd.read_csv(out)["segment_id"]) == {left}
        # as matched: case aside, once each, for merge to tell parts of another --skip-speaker
        assert set(pd.read_csv(out)["shard_skip_speaker"]) == {'["interviewer", "moderator"]'}
        assert "1 segment of " + ("Moderator" if left == "a2" else "Interviewer") + " skipped" in " ".join(err.split())
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments, "--out", out,
                        "--skip-speaker", "Facilitator"], capsys)
    assert code == 0 and "skip speaker 'Facilitator': no segment has this speaker" in " ".join(err.split()), err


def test_skip_speaker_counts_the_segments_it_skips_not_turns(files, tmp_path, capsys):
    """By sentence, the interviewer's two turns are three segments: the ✓ line said "3 turns of Interviewer"."""
    codebook, _, _ = files
    (tmp_path / "iv").mkdir()
    (tmp_path / "iv" / "iv.txt").write_text("Interviewer: Tell me about your work. And about your family.\n"
                                            "P1: I work at the factory.\nInterviewer: Thank you.\n",
                                            encoding="utf-8")
    code, _, err = run(["suggest", "--codebook", codebook, "--input", tmp_path / "iv", "--unit", "sentence",
                        "--out", tmp_path / "out.csv", "--skip-speaker", "interviewer"], capsys)
    assert code == 0, err
    assert "✓ 4 segments, 3 segments of Interviewer skipped, " in " ".join(err.split()), err
    assert pd.read_csv(tmp_path / "out.csv")["segment_id"].unique().tolist() == ["iv:2"]


@pytest.mark.parametrize("option", ["--out", "--segments-out"])
def test_a_coded_table_given_as_an_output_is_refused_unless_forced(files, tmp_path, capsys, option):
    """A coded CSV typed as --out by mistake was replaced by suggestions without a word."""
    codebook, coded, segments = files
    hand = tmp_path / "Coded by Ana.csv"
    hand.write_text("Segment_ID;Code;Coder\ns1;work;Ana\n", encoding="utf-8")  # Excel's own separator, any case
    outputs = {"--out": tmp_path / "out.csv", "--segments-out": tmp_path / "segments-out.csv", option: hand}
    args = ["suggest", "--codebook", codebook, "--train", coded, "--input", segments,
            *(part for pair in outputs.items() for part in pair)]
    code, _, err = run(args, capsys)
    assert code == 2 and err.strip().count("\n") == 0, err
    assert f"theme-assist: error: {option} {hand} exists and is a coded table (a code column, no score or rank)" in err
    assert hand.read_text(encoding="utf-8") == "Segment_ID;Code;Coder\ns1;work;Ana\n"
    code, _, err = run([*args, "--force"], capsys)
    assert code == 0, err
    code, _, err = run(args, capsys)  # what it wrote there, suggestions or segments, is replaced as before
    assert code == 0, err


@pytest.mark.parametrize("start", ["sep=;\r\n", "\n", "\ufeffsep=;\n\n"],
                         ids=["excel-sep-line", "blank-line", "bom-sep"])
def test_a_coded_table_whose_header_is_not_its_first_line_is_refused_as_an_output(files, tmp_path, capsys, start):
    """Excel's "sep=;" line (naming the separator for Excel elsewhere) or a blank line above the header: only the
    first line was read, the table was not seen as a coding and was replaced by suggestions without --force."""
    from theme_assist.inputs import looks_like_coding

    codebook, coded, segments = files
    hand = tmp_path / "Coded by Ana.csv"
    hand.write_text(f"{start}segment_id;code;coder\r\ns1;work;Ana\r\n", encoding="utf-8", newline="")
    kept = hand.read_bytes()
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments, "--out", hand],
                       capsys)
    assert code == 2 and f"--out {hand} exists and is a coded table" in err and hand.read_bytes() == kept
    hand.write_text(f"{start}segment_id;code;score\r\n", encoding="utf-8")  # suggestions: replaced as before
    assert not looks_like_coding(hand)
    hand.write_text("sep=|\nsegment_id|code\n", encoding="utf-8")  # the separator it names
    assert looks_like_coding(hand)


def test_zero_shot_abstention_and_saved_model(files, tmp_path, capsys):
    codebook, coded, segments = files
    out = tmp_path / "zero.csv"
    code, _, err = run(["suggest", "--codebook", codebook, "--input", segments, "--out", out, "--threshold", 0.99],
                       capsys)
    assert code == 0, err
    table = pd.read_csv(out, keep_default_na=False)
    assert (table["code"] == "").all() and len(table) == 3  # one abstention row per segment

    model = tmp_path / "models" / "mini"
    run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments, "--out", tmp_path / "a.csv",
         "--save-model", model], capsys)
    code, _, err = run(["suggest", "--codebook", codebook, "--load-model", model, "--input", segments,
                        "--out", tmp_path / "b.csv"], capsys)
    assert code == 0, err
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()


def test_transcript_folder_input(files, tmp_path, capsys):
    codebook, coded, _ = files
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "interview_a.txt").write_text(
        "# illustrative\nInterviewer: How is work going?\nP1: I finally get a salary for my shifts.\n"
        "Interviewer: And at home?\nP1: My mother talks to me again.\n", encoding="utf-8")
    (folder / "interview_b.txt").write_text(
        "[00:00:01] Interviewer: Anything else?\n[00:00:09] P2: The neighbours still call me mad.\n",
        encoding="utf-8")
    out, segments_out = tmp_path / "out.csv", tmp_path / "segments.csv"
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", folder, "--out", out,
                        "--segments-out", segments_out, "--top-k", 1, "--threshold", 0], capsys)
    assert code == 0, err
    segments = pd.read_csv(segments_out, keep_default_na=False)
    assert len(segments) == 6 and set(segments["document"]) == {"interview_a", "interview_b"}
    best = pd.read_csv(out, keep_default_na=False).set_index("segment_id")["code"]
    said = segments.set_index("segment_id")["text"]
    assert best[said[said.str.contains("salary")].index[0]] == "work"
    assert best[said[said.str.contains("mother")].index[0]] == "family"


def test_segments_out_carries_the_documents_metadata(files, tmp_path, capsys):
    codebook, coded, _ = files
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "fg_ulm.txt").write_text("Moderator: How is work?\nP1: I get a salary now.\n", encoding="utf-8")
    (folder / "fg_pune.txt").write_text("Moderator: And family?\nP2: My mother calls me.\n", encoding="utf-8")
    metadata = tmp_path / "meta.csv"
    metadata.write_text("document,site,income_group\nfg_ulm.txt,Ulm,HIC\nfg_pune,Pune,LMIC\n", encoding="utf-8")
    out, segments_out = tmp_path / "out.csv", tmp_path / "segments.csv"
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", folder, "--out", out,
                        "--metadata", metadata, "--segments-out", segments_out], capsys)
    assert code == 0, err
    segments = pd.read_csv(segments_out, keep_default_na=False)
    assert segments.groupby("document")["income_group"].first().to_dict() == {"fg_pune": "LMIC", "fg_ulm": "HIC"}
    assert set(pd.read_csv(out)["segment_id"]) == set(segments["segment_id"])


def test_segment_tables_say_which_segmentation_their_ids_come_from(files, tmp_path, capsys):
    # a column, so that it survives a spreadsheet; a segments table's own tag goes on to the suggestions for it
    from theme_assist.segment import segmentation_tag

    codebook, coded, _ = files
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "fg_ulm.txt").write_text("Moderator: How is work? And home?\nP1: I get a salary now.\n")
    out, segments_out = tmp_path / "out.csv", tmp_path / "segments.csv"
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", folder, "--out", out,
                        "--unit", "sentence", "--segments-out", segments_out], capsys)
    assert code == 0, err
    segments, suggestions = (pd.read_csv(path, keep_default_na=False) for path in (segments_out, out))
    assert set(segments["segmentation"]) == set(suggestions["segmentation"]) == {segmentation_tag("sentence")}
    segments.assign(segmentation="v0-turn-1000").to_csv(segments_out, index=False)
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments_out, "--out", out],
                       capsys)
    assert code == 0, err
    assert set(pd.read_csv(out, keep_default_na=False)["segmentation"]) == {"v0-turn-1000"}


@pytest.mark.parametrize("change, message", [
    ({"--codebook": "missing.yaml"}, "codebook missing.yaml does not exist"),
    ({"--input": "nowhere"}, "input nowhere does not exist"),
    ({"--top-k": "0"}, "Invalid value for '--top-k'"),
    ({"--train": "bad_columns.csv"}, "has no column 'code'"),
    ({"--train": "no_codes.csv"}, "no row has both a text and a code (for suggestions from the codebook alone, "
                                  "leave out --train)"),
    ({"--unit": "word"}, "unknown segmentation unit 'word'"),  # a segments table does not use it: still an error
])
def test_bad_input_is_one_line_and_exit_2(files, tmp_path, capsys, monkeypatch, change, message):
    codebook, coded, segments = files
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad_columns.csv").write_text("text,label\nhello,work\n", encoding="utf-8")
    (tmp_path / "no_codes.csv").write_text("text,code\nhello,\nthere, \n", encoding="utf-8")
    options = {"--codebook": codebook, "--train": coded, "--input": segments, "--out": tmp_path / "o.csv"}
    options.update(change)
    code, _, err = run(["suggest", *[x for pair in options.items() for x in pair]], capsys)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("command", ["suggest", "discover"])
def test_unknown_codes_of_train_are_refused_before_the_input_is_read_naming_file_and_lines(files, tmp_path, capsys,
                                                                                           monkeypatch, command):
    """A code not in the codebook ("Work" for "work") was refused without the file or a line, and only after
    "embedding and fitting…" (after the input, however large, was read and segmented)."""
    import theme_assist.inputs

    codebook, coded, segments = files
    table = pd.read_csv(coded, keep_default_na=False)
    table.loc[[3, 6], "code"] = "Work"
    table.loc[7, "code"] = "nope"
    table.to_csv(coded, index=False)

    def not_reached(*args, **kwargs):
        raise AssertionError("the input was read before the coded table was checked")

    monkeypatch.setattr(theme_assist.inputs, "read_segments", not_reached)
    out = tmp_path / ("o.csv" if command == "suggest" else "o.json")
    code, said, err = run([command, "--codebook", codebook, "--train", coded, "--input", segments, "--out", out],
                          capsys)
    assert code == 2 and "embedding" not in said + err and len(err.strip().splitlines()) == 1
    assert (f"coded segments {coded}: code 'Work' (line 5, 8) is not in codebook 'Peer support mini' (did you mean "
            "'work'? ids are matched as written); 1 more not in it either: nope (line 9)") in err


def test_coded_rows_without_text_are_left_out_with_a_warning(files, tmp_path, capsys, caplog):
    codebook, coded, segments = files
    table = pd.read_csv(coded, keep_default_na=False)
    blank = pd.DataFrame({"text": ["", "   "], "code": ["work", "family"]})
    with_blanks = tmp_path / "with_blanks.csv"
    pd.concat([table[["text", "code"]], blank], ignore_index=True).to_csv(with_blanks, index=False)
    model = tmp_path / "model"
    code, _, err = run(["suggest", "--codebook", codebook, "--train", with_blanks, "--input", segments, "--out",
                        tmp_path / "o.csv", "--save-model", model], capsys)
    assert code == 0, err
    assert f"2 row(s) with a code but no text left out (line {len(table) + 2}, {len(table) + 3})" in caplog.text
    evidence = json.loads((model / "evidence.json").read_text())
    assert "" not in [text.strip() for text in evidence["texts"]]


def test_segment_rows_without_text_are_left_out_with_a_warning(files, tmp_path, capsys):
    codebook, _, _ = files
    segments = tmp_path / "sb.csv"
    segments.write_text("segment_id,text,speaker\ns1,hello,I\ns2,,P\ns3,bye,I\n", encoding="utf-8")
    out, segments_out = tmp_path / "o.csv", tmp_path / "s.csv"
    code, _, err = run(["suggest", "--codebook", codebook, "--input", segments, "--out", out,
                        "--segments-out", segments_out], capsys)
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("theme-assist: warning: ")]
    assert len(warnings) == 1 and "1 row(s) with no text left out (line 3)" in warnings[0]
    assert pd.read_csv(segments_out)["segment_id"].tolist() == ["s1", "s3"]
    assert set(pd.read_csv(out)["segment_id"]) == {"s1", "s3"}


def test_columns_of_coded_and_segment_tables_match_apart_from_case(files, tmp_path, capsys):
    codebook, coded, _ = files
    train = tmp_path / "tr.csv"
    pd.read_csv(coded, keep_default_na=False)[["segment_id", "text", "code"]].rename(
        columns={"segment_id": "Segment_ID", "text": "Text", "code": "CODE"}).to_csv(train, index=False)
    segments = tmp_path / "segments.csv"
    segments.write_text("Segment_ID,Text\nn1,I got a salary for my shifts.\n", encoding="utf-8")
    model = tmp_path / "model"
    code, _, err = run(["suggest", "--codebook", codebook, "--train", train, "--input", segments,
                        "--out", tmp_path / "o.csv", "--save-model", model], capsys)
    assert code == 0, err
    assert "s0" in json.loads((model / "evidence.json").read_text())["ids"]  # the coded table's own ids
    assert pd.read_csv(tmp_path / "o.csv")["segment_id"].unique().tolist() == ["n1"]
    (tmp_path / "labels.csv").write_text("Text,Label\nhello,work\n", encoding="utf-8")
    code, _, err = run(["suggest", "--codebook", codebook, "--train", tmp_path / "labels.csv", "--input", segments,
                        "--out", tmp_path / "o.csv"], capsys)
    assert code == 2 and "has no column 'code' (columns: Text, Label)" in err


def test_suggest_on_annomi_trains_on_some_transcripts_and_suggests_for_others(shared_dir, tmp_path, capsys):
    from theme_assist.agree import cohen_kappa
    from theme_assist.benchmarks import load_benchmark

    segments = load_benchmark("annomi-therapist", shared_dir / "corpora").segments
    documents = sorted(segments["document"].unique())
    train = segments[segments["document"].isin(documents[:12])]
    test = segments[segments["document"].isin(documents[12:15])]
    train.to_csv(tmp_path / "coded.csv", index=False)
    test.drop(columns=["code"]).to_csv(tmp_path / "segments.csv", index=False)
    codebook = shared_dir / "corpora" / "annomi" / "therapist_behaviour.codebook.yaml"
    code, _, err = run(["suggest", "--codebook", codebook, "--train", tmp_path / "coded.csv",
                        "--input", tmp_path / "segments.csv", "--out", tmp_path / "out.csv", "--threshold", 0],
                       capsys)
    assert code == 0, err
    out = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    assert set(out["segment_id"]) == set(test["segment_id"])
    best = out[out["rank"] == 1].set_index("segment_id")["code"]
    truth = test[test["code"] != ""].set_index("segment_id")["code"]
    assert cohen_kappa(truth.to_numpy(), best[truth.index].to_numpy()).value > 0.4


def test_demo_runs_end_to_end(tmp_path, capsys):
    code, out, err = run(["demo", "--out", tmp_path / "demo", "--show", 3], capsys)
    assert code == 0, err
    assert "Cohen's κ" in out
    agreement = json.loads((tmp_path / "demo" / "agreement.json").read_text())
    assert agreement["segments_suggested"] > 200
    assert agreement["accuracy"] > 0.5 and agreement["kappa"] > 0.45
    assert agreement["ece"] < 0.2 and "calibration error" in out  # 0.50 before temperature scaling
    suggestions = pd.read_csv(tmp_path / "demo" / "suggestions.csv", keep_default_na=False)
    segments = pd.read_csv(tmp_path / "demo" / "segments.csv", keep_default_na=False)
    assert set(suggestions["segment_id"]) == set(segments.loc[segments["half"] == "suggest", "segment_id"])


def test_finetuned_suggester_is_saved_with_its_encoder_and_reloaded(files, tmp_path, capsys):
    codebook, coded, segments = files
    model = tmp_path / "models" / "tuned"
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments,
                        "--out", tmp_path / "a.csv", "--finetune", "--save-model", model, "--threshold", 0], capsys)
    assert code == 0, err
    assert (model / "encoder" / "model.safetensors").is_file() and (model / "encoder" / "finetune.json").is_file()
    assert "+setfit@" in json.loads((model / "config.json").read_text())["embedding_model_id"]
    code, _, err = run(["suggest", "--codebook", codebook, "--load-model", model, "--input", segments,
                        "--out", tmp_path / "b.csv", "--threshold", 0], capsys)
    assert code == 0, err
    first, second = (pd.read_csv(tmp_path / name, keep_default_na=False) for name in ("a.csv", "b.csv"))
    pd.testing.assert_frame_equal(first[["segment_id", "code", "rank"]], second[["segment_id", "code", "rank"]])
    assert (first["score"] - second["score"]).abs().max() < 1e-3
    best = first[first["rank"] == 1].set_index("segment_id")["code"].to_dict()
    assert best == {"n1": "work", "n2": "family", "n3": "stigma"}


def test_a_suggester_saved_over_a_fine_tuned_one_loads_without_its_old_encoder(files, tmp_path, capsys):
    codebook, coded, segments = files
    model = tmp_path / "models" / "study"
    (model / "encoder").mkdir(parents=True)  # what an earlier --finetune --save-model left there
    (model / "encoder" / "finetune.json").write_text('{"model_id": "old+setfit@0", "weights_sha256": "0"}')
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments,
                        "--out", tmp_path / "a.csv", "--save-model", model], capsys)
    assert code == 0, err
    code, _, err = run(["suggest", "--codebook", codebook, "--load-model", model, "--input", segments,
                        "--out", tmp_path / "b.csv"], capsys)
    assert code == 0, err
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()


@pytest.mark.parametrize("folder, message", [
    ("models", "holds files that are not a saved suggester's (notes.txt); saving replaces the folder whole"),
    ("models/notes.txt", "is a file: give a folder"),
    ("saved", "is the folder --load-model"),
    ("transcripts/model", "is inside the folder --input"),
])
def test_a_save_model_folder_that_would_lose_files_is_refused_before_any_work(files, tmp_path, capsys, folder,
                                                                              message):
    codebook, coded, segments = files
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "notes.txt").write_text("mine")
    saved = tmp_path / "saved"
    fitted = CodeSuggester(embedder=FakeEmbedder()).fit(CODED, parse_codebook(CODEBOOK.format(exclusive="true")))
    fitted.save(saved)
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / "d1.txt").write_text("I: How is work?\nR: My salary is small.\n")
    source = ["--load-model", saved] if folder == "saved" else ["--train", coded]
    given = tmp_path / "transcripts" if folder == "transcripts/model" else segments
    code, _, err = run(["suggest", "--codebook", codebook, *source, "--input", given, "--out", tmp_path / "o.csv",
                        "--save-model", tmp_path / folder], capsys)
    assert code == 2 and message in " ".join(err.split()) and len(err.strip().splitlines()) == 1, err
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["notes.txt"]
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("option", ["--out", "--segments-out"])
def test_an_output_inside_the_save_model_folder_is_refused_before_any_work(files, tmp_path, capsys, option):
    """It would be written once, and the same command refused the next time (the folder then holds it)."""
    codebook, coded, segments = files
    outputs = {"--out": tmp_path / "o.csv", "--segments-out": tmp_path / "s.csv", option: tmp_path / "m" / "x.csv"}
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments, "--save-model",
                        tmp_path / "m", *[value for pair in outputs.items() for value in pair]], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"{option} {tmp_path / 'm' / 'x.csv'} is inside --save-model" in " ".join(err.split())
    assert not (tmp_path / "m").exists()


def test_a_file_given_as_a_saved_suggester_is_named_as_one(files, tmp_path, capsys):
    codebook, coded, segments = files
    code, _, err = run(["suggest", "--codebook", codebook, "--load-model", coded, "--input", segments,
                        "--out", tmp_path / "o.csv"], capsys)
    assert code == 2
    assert "is not a saved suggester (a file; a suggester is saved as a folder)" in " ".join(err.split())


def test_a_saved_suggester_folder_that_does_not_exist_is_named_so(files, tmp_path, capsys):
    """A mistyped --load-model in a job script was said to be a folder missing its config.json."""
    codebook, _, segments = files
    code, _, err = run(["suggest", "--codebook", codebook, "--load-model", tmp_path / "modles", "--input", segments,
                        "--out", tmp_path / "o.csv"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"no saved suggester at {tmp_path / 'modles'}: no such folder" in " ".join(err.split())


def test_finetune_without_training_data_is_refused(files, tmp_path, capsys):
    codebook, _, segments = files
    code, _, err = run(["suggest", "--codebook", codebook, "--input", segments, "--out", tmp_path / "o.csv",
                        "--finetune"], capsys)
    assert code == 2 and "--finetune needs coded segments" in err


def test_an_unwritable_output_is_one_line_before_any_work(files, tmp_path, capsys):
    codebook, coded, segments = files
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    code, _, err = run(["suggest", "--codebook", codebook, "--input", segments, "--out", blocker / "out.csv"],
                       capsys)
    assert code == 2
    assert "a_file" in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_warning_is_one_line_without_source_code(files, tmp_path, capsys):
    _, coded, segments = files
    codebook = tmp_path / "comma.yaml"
    codebook.write_text("name: t\ncodes:\n  - {id: work, name: Work, definition: paid, unpaid}\n"
                        "  - {id: family, name: Family, definition: kin}\n", encoding="utf-8")
    code, _, err = run(["suggest", "--codebook", codebook, "--input", segments, "--out", tmp_path / "o.csv"],
                       capsys)
    assert code == 0, err
    warning = [line for line in err.splitlines() if "unquoted comma" in line]
    assert len(warning) == 1 and warning[0].startswith("theme-assist: warning: ")
    assert "line 3: unquoted comma in 'definition'" in warning[0]
    assert "return parse_codebook" not in err and "UserWarning" not in err


def test_each_message_is_one_line_in_a_batch_log(files, tmp_path, capsys, monkeypatch):
    """A job's log (stderr not a terminal, no COLUMNS) keeps the note and the closing line whole to grep."""
    codebook, coded, segments = files
    monkeypatch.delenv("COLUMNS", raising=False)
    out = tmp_path / ("a_long_folder_name_of_a_cluster_job" * 3) / "suggestions.csv"
    out.parent.mkdir()
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments, "--out", out],
                       capsys)
    assert code == 0, err
    (done,) = [line for line in err.splitlines() if line.startswith("✓")]
    assert done.endswith(" s)") and str(out) in done
    (note,) = [line for line in err.splitlines() if line.startswith("note: ")]
    assert note.endswith("coded with two codes or more")


def test_a_batch_split_by_documents_gives_the_rows_of_one_run(files, tmp_path, capsys):
    """What a team running parts of a batch on several machines relies on: with a saved suggester, a segment's
    suggestions depend on its own document only, so the parts put together are the one run's output."""
    import shutil

    codebook, coded, _ = files
    model = tmp_path / "model"
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", files[2], "--out",
                        tmp_path / "fit.csv", "--save-model", model], capsys)
    assert code == 0, err
    whole = tmp_path / "whole"
    shutil.copytree(Path(__file__).parents[1] / "corpora" / "demo" / "transcripts", whole)
    parts = [tmp_path / "part1", tmp_path / "part2"]
    for number, transcript in enumerate(sorted(whole.iterdir())):
        parts[number % 2].mkdir(exist_ok=True)
        shutil.copy(transcript, parts[number % 2])
    outputs = []
    for folder in [whole, *parts]:
        out = tmp_path / f"{folder.name}.csv"
        code, _, err = run(["suggest", "--codebook", codebook, "--load-model", model, "--input", folder,
                            "--out", out], capsys)
        assert code == 0, err
        outputs.append(pd.read_csv(out, keep_default_na=False, dtype=str))
    for shard in ("1/2", "2/2"):
        out = tmp_path / f"shard{shard[0]}.csv"
        code, _, err = run(["suggest", "--codebook", codebook, "--load-model", model, "--input", whole,
                            "--out", out, "--shard", shard], capsys)
        assert code == 0, err
        part = pd.read_csv(out, keep_default_na=False, dtype=str)
        said = part[list(SHARD_COLUMNS["--out"])]  # which part of which run, for merge: the same on every row
        assert len(said.drop_duplicates()) == 1 and said["shard"][0] == shard
        outputs.append(part.drop(columns=said.columns))
    one_run = outputs[0].sort_values(["segment_id", "rank"], ignore_index=True)
    assert len(one_run) > 500 and one_run["code"].nunique() > 1
    for parts in (outputs[1:3], outputs[3:]):
        assert all(len(part) < len(one_run) for part in parts)
        put_together = pd.concat(parts).sort_values(["segment_id", "rank"], ignore_index=True)
        pd.testing.assert_frame_equal(one_run, put_together)


@pytest.mark.parametrize("shard", ["0/2", "3/2", "1/0", "a/b", "2", "²/2"])  # a superscript is a digit, not an int
def test_a_shard_that_is_not_i_of_n_is_one_line(files, tmp_path, capsys, shard):
    codebook, coded, segments = files
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments, "--out",
                        tmp_path / "o.csv", "--shard", shard], capsys)
    assert code == 2 and "is not I/N" in err and len(err.strip().splitlines()) == 1


def test_a_shard_beyond_the_documents_writes_an_empty_table_and_says_why(files, tmp_path, capsys):
    codebook, coded, segments = files
    two_documents = tmp_path / "two.csv"
    NEW.assign(document=["d3", "d4", "d4"]).to_csv(two_documents, index=False)
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", two_documents, "--out",
                        tmp_path / "o.csv", "--shard", "3/3"], capsys)
    assert code == 0, err
    assert "holds no documents" in err and pd.read_csv(tmp_path / "o.csv").empty
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments, "--out",
                        tmp_path / "o.csv", "--shard", "1/2"], capsys)
    assert code == 2 and "holds one document only" in err


def test_suggestions_are_written_last_so_a_job_stopped_before_the_segments_leaves_no_out(files, tmp_path, capsys,
                                                                                       monkeypatch):
    """--out was written before --segments-out: a job stopped between the two left an --out, the file a batch
    script takes for done, beside no segments table (or an earlier run's)."""
    import theme_assist.inputs

    codebook, coded, segments = files
    out, segments_out = tmp_path / "out.csv", tmp_path / "segments_out.csv"
    write_table = theme_assist.inputs.write_table

    def disk_full_at_the_segments(table, path):
        if Path(path) == segments_out:
            raise OSError(28, "No space left on device", str(path))
        write_table(table, path)

    monkeypatch.setattr(theme_assist.inputs, "write_table", disk_full_at_the_segments)
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments, "--out", out,
                        "--segments-out", segments_out], capsys)
    assert code == 2 and "No space left on device" in err
    assert not out.exists()


@pytest.mark.parametrize("option", ["--out", "--segments-out"])
def test_an_output_folder_that_takes_no_file_is_refused_before_the_work(files, tmp_path, capsys, monkeypatch, option):
    """A read-only --out folder (a shared results folder, a job's wrong path) was found out only when the table
    was written, after every segment of the batch had been embedded and scored."""
    import tempfile

    import theme_assist.suggest

    codebook, coded, segments = files
    read_only = tmp_path / "read_only"
    read_only.mkdir()
    mkstemp = tempfile.mkstemp

    def refused_there(*args, **kwargs):  # as a read-only folder does, for root too (who ignores mode bits)
        if Path(kwargs.get("dir", "")) == read_only:
            raise PermissionError(13, "Permission denied", str(read_only))
        return mkstemp(*args, **kwargs)

    def not_reached(*args, **kwargs):
        raise AssertionError("suggested before refusing the output")

    monkeypatch.setattr(tempfile, "mkstemp", refused_there)
    monkeypatch.setattr(theme_assist.suggest.CodeSuggester, "suggest", not_reached)
    outputs = {"--out": tmp_path / "out.csv", "--segments-out": tmp_path / "segments_out.csv"}
    outputs[option] = read_only / "table.csv"
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments,
                        *[str(part) for pair in outputs.items() for part in pair]], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"{option} {read_only / 'table.csv'}: its folder {read_only} cannot be written to (Permission denied)" in err
    assert list(read_only.iterdir()) == []


def test_a_run_stopped_with_ctrl_c_says_so_and_exits_130(files, tmp_path, capsys, monkeypatch):
    """typer turns the KeyboardInterrupt into a return of 130: a batch job's log ended at its last progress line,
    without a word on why."""
    import theme_assist.suggest

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    codebook, coded, segments = files
    monkeypatch.setattr(theme_assist.suggest.CodeSuggester, "suggest", stopped)
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments, "--out",
                        tmp_path / "o.csv"], capsys)
    assert code == 130 and err.strip().splitlines()[-1] == "theme-assist: interrupted"
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("option", ["--out", "--segments-out"])
def test_an_output_another_run_wrote_meanwhile_is_not_replaced(files, tmp_path, capsys, monkeypatch, option):
    """The jobs of an array given one --out each replaced the file the one before had written: of N parts, one
    was left, and every job's log said it had written its rows."""
    import theme_assist.suggest

    codebook, coded, segments = files
    outputs = {"--out": tmp_path / "out.csv", "--segments-out": tmp_path / "segments_out.csv"}
    outputs[option].write_text("an earlier run's\n")
    suggest = theme_assist.suggest.CodeSuggester.suggest

    def while_another_job_writes(self, *args, **kwargs):
        outputs[option].write_text("another job's part\n")
        return suggest(self, *args, **kwargs)

    monkeypatch.setattr(theme_assist.suggest.CodeSuggester, "suggest", while_another_job_writes)
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments,
                        *[str(part) for pair in outputs.items() for part in pair]], capsys)
    assert code == 2 and err.count("theme-assist: error: ") == 1
    assert f"{option} {outputs[option]} was written by another run while this one ran" in " ".join(err.split())
    assert outputs[option].read_text() == "another job's part\n"
    assert not outputs["--segments-out" if option == "--out" else "--out"].exists()  # this run wrote nothing


def test_an_old_output_removed_meanwhile_is_written_and_a_saved_model_is_said(files, tmp_path, capsys, monkeypatch):
    """A user clearing yesterday's --out during a run was refused as 'written by another run'; and a refusal said
    'this run wrote nothing' where --save-model had been written."""
    import theme_assist.suggest

    codebook, coded, segments = files
    out, model = tmp_path / "out.csv", tmp_path / "model"
    out.write_text("yesterday's results\n")
    suggest = theme_assist.suggest.CodeSuggester.suggest

    def meanwhile(change):
        def suggesting(self, *args, **kwargs):
            change()
            return suggest(self, *args, **kwargs)
        return suggesting

    monkeypatch.setattr(theme_assist.suggest.CodeSuggester, "suggest", meanwhile(out.unlink))
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments, "--out", out], capsys)
    assert code in (0, None), err
    assert out.read_text().startswith("segment_id,")
    monkeypatch.setattr(theme_assist.suggest.CodeSuggester, "suggest",
                        meanwhile(lambda: out.write_text("another job's part\n")))
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", segments, "--out", out,
                        "--save-model", model], capsys)
    assert code == 2 and f"this run wrote only --save-model {model}," in " ".join(err.split())


def per_site_transcripts(root: Path) -> Path:
    """transcripts/ as teams keep them: one folder per site, the same file names in each."""
    for relative, text in [("butabika/fg_01.txt", "Moderator: How is work?\nP1: I get a salary for my shifts.\n"),
                           ("ulm/fg_01.txt", "Moderator: And at home?\nP2: My mother talks to me again.\n"),
                           ("ulm/fg_02.txt", "Moderator: Anything else?\nP3: The neighbours call me mad.\n")]:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    return root


def test_recursive_reads_per_site_folders_with_ids_that_do_not_collide(files, tmp_path, capsys):
    codebook, coded, _ = files
    folder = per_site_transcripts(tmp_path / "transcripts")
    metadata = tmp_path / "meta.csv"
    metadata.write_text("document,site\nbutabika/fg_01.txt,Kampala\nulm/fg_01,Ulm\nfg_02,Ulm\n", encoding="utf-8")
    out, segments_out = tmp_path / "out.csv", tmp_path / "segments.csv"
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", folder, "--recursive",
                        "--metadata", metadata, "--out", out, "--segments-out", segments_out, "--top-k", 1,
                        "--threshold", 0], capsys)
    assert code == 0, err
    segments = pd.read_csv(segments_out, keep_default_na=False)
    assert segments["document"].unique().tolist() == ["butabika/fg_01", "ulm/fg_01", "ulm/fg_02"]
    assert segments["segment_id"].tolist()[:3] == ["butabika/fg_01:0", "butabika/fg_01:1", "ulm/fg_01:0"]
    assert segments.groupby("document")["site"].first().to_dict() == {
        "butabika/fg_01": "Kampala", "ulm/fg_01": "Ulm", "ulm/fg_02": "Ulm"}
    best = pd.read_csv(out, keep_default_na=False).set_index("segment_id")["code"]
    assert best["butabika/fg_01:1"] == "work" and best["ulm/fg_01:1"] == "family"
    parts = []
    for shard in ("1/2", "2/2"):  # an array job over per-site folders splits by the same ids
        part = tmp_path / f"part{shard[0]}.csv"
        code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", folder, "--recursive",
                            "--out", part, "--shard", shard, "--top-k", 1, "--threshold", 0], capsys)
        assert code == 0, err
        parts.append(pd.read_csv(part, keep_default_na=False))
    assert sorted(pd.concat(parts)["segment_id"]) == sorted(best.index)


def test_without_recursive_a_folder_of_site_folders_says_how_to_read_them(files, tmp_path, capsys):
    codebook, coded, _ = files
    folder = per_site_transcripts(tmp_path / "transcripts")
    code, _, err = run(["suggest", "--codebook", codebook, "--train", coded, "--input", folder, "--out",
                        tmp_path / "out.csv"], capsys)
    assert code == 2
    said = " ".join(err.split())
    assert f"skipped {folder / 'butabika'}: a sub-folder" in said and "give --recursive to read sub-folders" in said
    assert "holds no transcripts" in said


@pytest.mark.parametrize("command", [["suggest"], ["project", "suggest"]])
def test_help_gives_the_default_threshold_with_its_cap(command, capsys):
    """A two-code exclusive codebook abstains below 0.5, not 1.5 × 1/2 = 0.75 as the help said."""
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    help_text = " ".join(capsys.readouterr().out.replace("│", " ").split())
    assert "1.5 × chance, at most 0.5, for exclusive codebooks; 0.5 otherwise" in help_text


def test_one_segment_is_counted_in_the_singular(files, tmp_path, capsys):
    codebook, _, _ = files
    one = tmp_path / "one.csv"
    NEW.head(1).to_csv(one, index=False)
    code, _, err = run(["suggest", "--codebook", codebook, "--input", one, "--out", tmp_path / "o.csv"], capsys)
    assert code == 0, err
    assert "suggesting for 1 segment…" in err and "1 segments" not in err  # was "suggesting for 1 segments…"


def test_a_skipped_speaker_of_spaces_alone_is_refused_by_its_option_before_any_work(tmp_path, capsys):
    """As discover's: named by the option, before the codebook and the input are read."""
    code, _, err = run(["suggest", "--codebook", tmp_path / "missing.yaml", "--input", tmp_path / "none.csv",
                        "--out", tmp_path / "out.csv", "--skip-speaker", " "], capsys)
    assert code == 2
    assert err.strip() == ("theme-assist: error: --skip-speaker has an empty name; give each speaker's name as the "
                           "transcripts write it")
