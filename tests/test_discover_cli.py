"""``theme-assist discover``: the demo corpus end to end, and one-line errors for bad input."""

import contextlib
import io
import json
from pathlib import Path

import pytest
import yaml

from theme_assist.cli import main
from theme_assist.codebook import load_codebook, looks_like_codebook
from theme_assist.discover import MINIMAL, SKIPPED

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "corpora" / "demo"


def run(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(["discover", *map(str, args)])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """One run on the demo folder, shared by the assertions (capsys is per test, so output is captured here)."""
    pytest.importorskip("theme_assist.segment", reason="segmentation of transcript folders is not there yet")
    folder = tmp_path_factory.mktemp("discover")
    out, fragment = folder / "themes.json", folder / "fragment.yaml"
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(stdout), \
            contextlib.redirect_stderr(stderr), pytest.raises(SystemExit) as exit_info:
        patch.setenv("COLUMNS", "160")
        main(["discover", "--input", str(DEMO / "transcripts"), "--metadata", str(DEMO / "metadata.csv"),
              "--by", "income_group", "--seed", "7", "--out", str(out), "--codebook-out", str(fragment)])
    return exit_info.value.code, stdout.getvalue(), stderr.getvalue(), out, fragment


def test_demo_corpus_themes_json_table_and_fragment(demo_run):
    code, stdout, stderr, out, fragment = demo_run
    assert code == 0, stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    summary, themes = result["summary"], result["themes"]
    assert summary["n_themes"] == len(themes) >= 2
    assert summary["outlier_share"] <= 0.10
    assert summary["by"] == "income_group" and set(result["spread"]["rates"]["T1"]) == {"HIC", "LMIC"}
    assert len(result["assignments"]) == summary["n_segments"]
    assert {a["theme"] for a in result["assignments"]} <= {t["theme"] for t in themes} | {"unclustered", MINIMAL}
    said = " ".join(stderr.split())
    assert summary["n_minimal"] > 0 and f"{summary['n_minimal']} minimal responses set aside" in said
    assert all(t["label"] and t["quotes"] and 0 <= t["stability"] <= 1 for t in themes)
    assert len(result["hierarchy"]) == len(themes) - 1
    assert "candidate themes" in stdout and themes[0]["label"].split(",")[0] in stdout
    assert f"{summary['n_themes']} themes" in stderr
    assert len(load_codebook(fragment).codes) == len(themes)


def test_stability_says_how_it_was_resampled_in_the_json_and_the_caption(demo_run):
    code, stdout, stderr, out, _ = demo_run
    assert code == 0, stderr
    summary = json.loads(out.read_text(encoding="utf-8"))["summary"]
    assert (summary["n_resamples"], summary["resample_fraction"]) == (10, 0.8)  # a methods section needs them
    assert "when 80% of the segments are clustered again, 10 times (mean best-match Jaccard" in " ".join(stdout.split())


@pytest.mark.parametrize("args, message", [
    (["--input", "missing.csv"], "does not exist"),
    (["--min-size", "0"], "--min-size"),
    (["--by", "planet", "--metadata", "meta.csv"], "--by planet: no such field"),
    (["--by", "site"], "needs --metadata"),
    (["--train", "coded.csv"], "--train needs --codebook"),
    (["--coder", "ana"], "--coder chooses whose rows of --train"),
    (["--clusterer", "spectral"], "--clusterer spectral"),
])
def test_bad_input_is_a_one_line_error(capsys, tmp_path, args, message):
    segments = tmp_path / "segments.csv"
    segments.write_text("segment_id,document,text\ns1,d1,My salary pays the rent.\n", encoding="utf-8")
    if "--input" not in args:
        args = ["--input", segments, *args]
    (tmp_path / "meta.csv").write_text("document,site\nd1,Ulm\n", encoding="utf-8")  # no warning of d1 or others
    args = [tmp_path / a if a in ("missing.csv", "coded.csv", "meta.csv") else a for a in args]
    code, _, err = run(capsys, *args, "--out", tmp_path / "themes.json")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("theme-assist: error:")
    assert message in err
    assert not (tmp_path / "themes.json").exists()


def test_three_segments_without_a_codebook_say_what_was_selected_and_what_was_clustered(capsys, tmp_path):
    segments = tmp_path / "segments.csv"
    segments.write_text("segment_id,document,text\ns1,d1,My salary pays the rent.\ns2,d1,My sister visits.\n"
                        "s3,d2,They called me mad.\n", encoding="utf-8")
    code, _, err = run(capsys, "--input", segments, "--out", tmp_path / "themes.json", "--codebook-out",
                       tmp_path / "fragment.yaml")
    assert code == 0, err
    summary = json.loads((tmp_path / "themes.json").read_text(encoding="utf-8"))["summary"]
    assert summary["selection"] == "all segments"  # no codebook: nothing was compared with a score
    assert summary["n_selected"] == summary["n_unclustered"] == 3 and summary["n_themes"] == 0
    said = " ".join(err.split())
    assert "3 segments, 3 to cluster (0 explained by a code), 0 themes, 3 unclustered (100.0%) → " in said
    assert "no themes, so the codebook fragment" in said and "holds no candidate code" in said
    assert not looks_like_codebook(tmp_path / "fragment.yaml")


def test_a_run_without_themes_leaves_no_earlier_runs_candidates_in_its_codebook_fragment(capsys, tmp_path):
    """A run that found no theme left the --codebook-out of an earlier run (or another file) as it was, read as
    this run's candidates. It is replaced by a comment that says there are none, which is no codebook, so the next
    run replaces it without --force; a codebook there is still refused without --force."""
    segments = tmp_path / "segments.csv"
    segments.write_text("segment_id,document,text\ns1,d1,My salary pays the rent.\ns2,d1,My sister visits.\n"
                        "s3,d2,They called me mad.\n", encoding="utf-8")
    fragment, notes = tmp_path / "candidates.yaml", tmp_path / "notes.txt"
    fragment.write_text("name: Candidate themes\ncodes:\n  - id: candidate_t1_salary\n    name: Salary\n",
                        encoding="utf-8")
    notes.write_text("my notes\n", encoding="utf-8")
    code, _, err = run(capsys, "--input", segments, "--out", tmp_path / "themes.json", "--codebook-out", fragment)
    assert code == 2 and "--force" in err and "candidate_t1_salary" in fragment.read_text(encoding="utf-8")
    for path, force in ((fragment, ["--force"]), (fragment, []), (notes, [])):
        code, _, err = run(capsys, "--input", segments, "--out", tmp_path / "themes.json", "--codebook-out", path,
                           "--resamples", 0, *force)
        assert code == 0, err
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# Candidate themes: none.") and "candidate_t1_salary" not in text
        assert not looks_like_codebook(path) and yaml.safe_load(text) is None
        assert json.loads((tmp_path / "themes.json").read_text(encoding="utf-8"))["summary"]["n_themes"] == 0


def test_a_note_quoting_a_bracketed_mark_is_said_as_written(capsys, tmp_path):
    """The note on minimal responses quotes segments; one with CHAT's repetition mark "[/]" stopped discover with a
    rich MarkupError traceback (exit 1) before the ✓ line and the codebook fragment, and "[laughs]" was dropped."""
    segments = tmp_path / "segments.csv"
    rows = [f"s{i},d1,Yeah [/] yeah." for i in range(5)] + [f"t{i},d1,[laughs] Okay." for i in range(3)]
    rows += [f"u{i},d2,My sister visits the ward on Sundays." for i in range(3)]
    segments.write_text("segment_id,document,text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "a[/b]c.json"  # a path of the user's is no markup either: it stopped the ✓ line with a traceback
    code, _, err = run(capsys, "--input", segments, "--out", out, "--resamples", "0")
    said = " ".join(err.split())
    assert code == 0, err
    assert f"→ {out} (" in said
    assert "8 of 11 segments to cluster are minimal responses" in said
    assert "'Yeah [/] yeah.'" in said and "'[laughs] Okay.'" in said
    assert "8 minimal responses set aside" in said


def test_explained_without_a_codebook_is_named_as_having_no_effect(capsys, tmp_path):
    segments = tmp_path / "segments.csv"
    segments.write_text("segment_id,document,text\ns1,d1,My salary pays the rent.\ns2,d1,My sister visits.\n",
                        encoding="utf-8")
    code, _, err = run(capsys, "--input", segments, "--out", tmp_path / "themes.json", "--explained", 0.8)
    assert code == 0, err
    assert "theme-assist: warning: --explained 0.8 has no effect without --codebook" in err


def test_themes_table_fits_an_80_column_terminal_and_prints_quotes_as_text():
    import pandas as pd
    from rich.console import Console

    from theme_assist.cli.discover import themes_table

    quote = "I was laughing [laughs] because the [bold]doctor[/bold] never asked about my family at all, ever."
    themes = pd.DataFrame([{
        "theme": f"T{k}", "label": "doctor, family, medicine", "size": 40 - k, "stability": 0.5, "n_documents": 12,
        "nearest_code": "psw_role_clarity", "nearest_code_similarity": 0.41,
        "spread_rate": {"HIC": 0.12, "LMIC": 0.08}, "quotes": [{"text": quote}]} for k in range(1, 4)])
    console = Console(width=80, record=True)
    console.print(themes_table(type("Fitted", (), {"themes_": themes})(), by="income_group"))
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    bottom = next(i for i, line in enumerate(lines) if line.endswith("┘"))
    assert all(line.endswith(("┓", "┃", "┩", "│", "┤", "┘")) for line in lines[1:bottom + 1])  # no column cut off
    text = "".join(line.strip("│ ") for line in lines)
    assert "[laughs]" in text and "[bold]doctor" in text


def test_themes_table_says_how_to_read_stability_and_spread_and_shows_no_nan():
    import pandas as pd
    from rich.console import Console

    from theme_assist.cli.discover import themes_table

    themes = pd.DataFrame([{
        "theme": "T1", "label": "doctor, family", "size": 40, "stability": float("nan"), "n_documents": 12,
        "nearest_code": "", "nearest_code_similarity": float("nan"), "spread_rate": {"HIC": 0.12, "LMIC": 0.08},
        "quotes": [{"text": "The doctor asked about my family."}]}])
    console = Console(width=120, record=True)
    console.print(themes_table(type("Fitted", (), {"themes_": themes})(), by="income_group"))
    text = " ".join(console.export_text().split())
    assert "nan" not in text and "│ 40 │ - │ 12 │" in text  # --resamples 0: no stability score
    assert "stab.: how well the theme re-forms" in text and "0.75 and above" in text
    assert "by income_group: the share of each income_group's segments that fall in the theme" in text


@pytest.mark.parametrize("field", ["arm [treatment/control]", "[/x]"])
def test_a_by_field_with_brackets_is_named_as_written(field):
    # "by arm [treatment/control]" lost its brackets as markup, "[/x]" stopped discover with a MarkupError
    # traceback after the JSON was written
    import pandas as pd
    from rich.console import Console

    from theme_assist.cli.discover import themes_table

    themes = pd.DataFrame([{
        "theme": "T1", "label": "doctor, family", "size": 40, "stability": 0.8, "n_documents": 12,
        "nearest_code": "", "nearest_code_similarity": float("nan"), "spread_rate": {"a": 0.12, "b": 0.08},
        "quotes": [{"text": "The doctor asked about my family."}]}])
    console = Console(width=200, record=True)
    console.print(themes_table(type("Fitted", (), {"themes_": themes})(), by=field))
    text = " ".join(console.export_text().split())
    assert f"by {field} ┃" in text and f"by {field}: the share of each {field}'s segments" in text


def test_the_caption_says_what_none_in_the_spread_is():
    import pandas as pd
    from rich.console import Console

    from theme_assist.cli.discover import themes_table

    def caption(rates):
        themes = pd.DataFrame([{
            "theme": "T1", "label": "doctor, family", "size": 40, "stability": 0.8, "n_documents": 12,
            "nearest_code": "", "nearest_code_similarity": float("nan"), "spread_rate": rates,
            "quotes": [{"text": "The doctor asked about my family."}]}])
        console = Console(width=200, record=True)
        console.print(themes_table(type("Fitted", (), {"themes_": themes})(), by="site"))
        return " ".join(console.export_text().split())

    assert "(none): documents with no site in the metadata" in caption({"(none)": 0.3, "Ulm": 0.1})
    assert "(none):" not in caption({"Pune": 0.3, "Ulm": 0.1})


def test_counts_in_messages_are_singular_for_one():
    from theme_assist.cli._console import counted

    assert [counted(n, "theme") for n in (0, 1, 2)] == ["0 themes", "1 theme", "2 themes"]


def test_recursive_discovers_in_per_site_folders(capsys, tmp_path):
    folder = tmp_path / "transcripts"
    for site in ("butabika", "ulm"):
        (folder / site).mkdir(parents=True)
        (folder / site / "fg_01.txt").write_text("Mod: Work?\nP1: My salary pays the rent.\nP2: My sister visits.\n",
                                                 encoding="utf-8")
    metadata = tmp_path / "meta.csv"
    metadata.write_text("document,site\nbutabika/fg_01,Kampala\nulm/fg_01,Ulm\n", encoding="utf-8")
    code, _, err = run(capsys, "--input", folder, "--recursive", "--metadata", metadata, "--by", "site",
                       "--out", tmp_path / "themes.json")
    assert code == 0, err
    result = json.loads((tmp_path / "themes.json").read_text(encoding="utf-8"))
    assert result["summary"]["n_segments"] == 6
    assert [a["segment_id"] for a in result["assignments"]][:4] == [
        "butabika/fg_01:0", "butabika/fg_01:1", "butabika/fg_01:2", "ulm/fg_01:0"]


def test_by_on_a_segments_table_warns_of_documents_the_metadata_does_not_name(capsys, tmp_path):
    # as for a transcript folder: a misspelt document in the metadata would otherwise put its segments under
    # "(none)" in the spread without a word
    segments = tmp_path / "segments.csv"
    segments.write_text("segment_id,document,text\ns1,d1,My salary pays the rent.\ns2,d2,My sister visits.\n"
                        "s3,d3,They called me mad.\n", encoding="utf-8")
    metadata = tmp_path / "meta.csv"
    metadata.write_text("document,site\nd1,Ulm\nd3,Pune\nD2,Pune\n", encoding="utf-8")
    code, _, err = run(capsys, "--input", segments, "--metadata", metadata, "--by", "site", "--resamples", 0,
                       "--out", tmp_path / "themes.json")
    assert code == 0, err
    said = " ".join(err.split())
    assert "theme-assist: warning: no metadata for 1 document(s): d2" in said
    assert "theme-assist: warning: metadata for 1 unknown document(s): D2" in said


@pytest.mark.parametrize("selection, of_unexplained", [
    ("all segments", False), ("segments whose best code scores below 0.5", True)])
def test_spread_caption_says_of_which_segments_the_rates_are(selection, of_unexplained):
    # --all-segments (or no codebook) spreads every segment, the explained ones too
    import pandas as pd
    from rich.console import Console

    from theme_assist.cli.discover import themes_table

    themes = pd.DataFrame([{
        "theme": "T1", "label": "doctor, family", "size": 40, "stability": 0.8, "n_documents": 12,
        "nearest_code": "", "nearest_code_similarity": float("nan"), "spread_rate": {"HIC": 0.12, "LMIC": 0.08},
        "quotes": [{"text": "The doctor asked about my family."}]}])
    fitted = type("Fitted", (), {"themes_": themes, "summary_": {"selection": selection}})()
    console = Console(width=120, record=True)
    console.print(themes_table(fitted, by="income_group"))
    text = " ".join(console.export_text().split())
    assert "the share of each income_group's segments that fall in the theme (" in text
    assert ("of those no code explains" in text) == of_unexplained


def test_an_output_that_is_a_codebook_is_replaced_only_with_force(capsys, tmp_path):
    """--codebook-out (or --out) named a codebook written by hand, and discover replaced it without a word: a coder's
    only copy lost to a typo. A codebook (YAML with codes) is replaced only with --force; other files as before."""
    segments = tmp_path / "segments.csv"
    segments.write_text("segment_id,document,text\ns1,d1,My salary pays the rent.\ns2,d1,My sister visits.\n"
                        "s3,d2,They called me mad.\n", encoding="utf-8")
    books = {tmp_path / "CB.yaml": "name: Mine\ncodes:\n  - id: money\n    name: Money\n",
             tmp_path / "flow.yaml": "{name: Mine, codes: [{id: money, name: Money}]}\n",
             tmp_path / "draft.yaml": "name: Mine\ncodes:\n  - id: money\n    name: [unfinished\n"}
    for book, text in books.items():
        book.write_text(text, encoding="utf-8")
    for option in ("--out", "--codebook-out"):
        for book, text in books.items():
            outputs = {"--out": tmp_path / "themes.json", option: book}
            code, _, err = run(capsys, "--input", segments, *[part for pair in outputs.items() for part in pair])
            assert code == 2 and err.count("\n") == 1, err
            assert f"theme-assist: error: {option} {book} exists and is a codebook" in err and "--force" in err
            assert book.read_text(encoding="utf-8") == text
    assert not (tmp_path / "themes.json").exists()
    for _ in range(2):  # an earlier run's themes are replaced, as before
        code, _, err = run(capsys, "--input", segments, "--out", tmp_path / "themes.json", "--resamples", 0)
        assert code == 0, err
    code, _, err = run(capsys, "--input", segments, "--out", tmp_path / "CB.yaml", "--resamples", 0, "--force")
    assert code == 0, err
    assert json.loads((tmp_path / "CB.yaml").read_text(encoding="utf-8"))["summary"]["n_segments"] == 3


def test_a_codebook_alone_that_explains_almost_nothing_says_so(capsys, tmp_path):
    """Zero-shot scores share a segment among 19 codes and seldom reach --explained 0.5 (9 of 537 demo turns): the
    run says that nearly everything was clustered and what to do; with --all-segments nothing is selected by it."""
    segments = tmp_path / "segments.csv"
    texts = ["The peer worker told me about her own illness.", "My family said I was mad.",
             "We had training on boundaries.", "The money for transport never came.",
             "I felt hope again after the group.", "The doctors did not listen to us."]
    segments.write_text("segment_id,document,text\n" + "".join(f"s{i},d{i % 2},{text}\n"
                                                               for i, text in enumerate(texts)), encoding="utf-8")
    book = REPO / "theme_assist" / "data" / "upsides.codebook.yaml"
    code, out, err = run(capsys, "--input", segments, "--codebook", book, "--out", tmp_path / "t.json",
                         "--resamples", 0)
    assert code == 0, err
    said = " ".join(err.split())
    assert "with the codebook alone, 0 of 6 segments score --explained 0.5 or more" in said, said
    assert "give --train, or a lower --explained" in said
    code, out, err = run(capsys, "--input", segments, "--codebook", book, "--out", tmp_path / "t.json",
                         "--resamples", 0, "--all-segments")
    assert code == 0 and "with the codebook alone" not in " ".join(err.split())
    # skipped speakers' turns are neither scored nor clustered: left out of the count, and every one skipped says none
    segments.write_text("segment_id,document,speaker,text\n" + "".join(
        f"s{i},d{i % 2},{'Interviewer' if i < 2 else 'P1'},{text}\n" for i, text in enumerate(texts)), encoding="utf-8")
    code, out, err = run(capsys, "--input", segments, "--codebook", book, "--out", tmp_path / "t.json",
                         "--resamples", 0, "--skip-speaker", "Interviewer")
    assert code == 0, err
    assert "with the codebook alone, 0 of 4 segments (skipped speakers' turns aside) score --explained 0.5" in \
        " ".join(err.split())
    code, out, err = run(capsys, "--input", segments, "--codebook", book, "--out", tmp_path / "t.json",
                         "--resamples", 0, "--skip-speaker", "Interviewer", "--skip-speaker", "P1")
    assert code == 0 and "with the codebook alone" not in " ".join(err.split()), err


def test_skip_speaker_leaves_out_the_interviewers_turns_and_says_so(capsys, tmp_path):
    """Without a codebook, three of the demo's themes were almost wholly interviewer and moderator questions."""
    segments = tmp_path / "segments.csv"
    segments.write_text("segment_id,document,speaker,text\ni1,d1,Interviewer,What is your work like?\n"
                        "p1,d1,P1,My salary pays the rent.\ni2,d1, Interviewer ,And your family?\n"
                        "p2,d1,P1,My sister visits.\ni3,d2,INTERVIEWER,How do people treat you?\n"
                        "p3,d2,P2,They called me mad.\n", encoding="utf-8")
    out = tmp_path / "themes.json"
    code, _, err = run(capsys, "--input", segments, "--out", out, "--resamples", 0,
                       "--skip-speaker", "interviewer", "--skip-speaker", " Moderator ")
    assert code == 0, err
    result = json.loads(out.read_text(encoding="utf-8"))
    summary = result["summary"]
    assert (summary["n_selected"], summary["n_explained"], summary["n_skipped_speakers"]) == (3, 0, 3)
    assert summary["skipped_speakers"] == [{"name": "Interviewer", "segments": 2}, {"name": "INTERVIEWER",
                                                                                   "segments": 1}]
    assert [a["theme"] for a in result["assignments"]][::2] == [SKIPPED] * 3
    said = " ".join(err.split())
    assert ("6 segments, 3 to cluster (0 explained by a code, 3 segments of Interviewer, INTERVIEWER skipped), "
            "0 themes") in said
    assert ("theme-assist: warning: skip speaker ' Moderator ': no segment has this speaker (speakers: Interviewer, "
            "P1, INTERVIEWER, P2)") in said


def test_a_skipped_speaker_of_spaces_alone_is_refused_by_its_option(capsys, tmp_path):
    """The error names --skip-speaker, not the estimator's skip_speakers, and comes before the input is read."""
    code, _, err = run(capsys, "--input", tmp_path / "nothing-here.csv", "--out", tmp_path / "t.json",
                       "--skip-speaker", "Interviewer", "--skip-speaker", "   ")
    assert code == 2
    assert err.strip() == ("theme-assist: error: --skip-speaker has an empty name; give each speaker's name as the "
                           "transcripts write it")


def test_the_spread_caption_says_that_skipped_speakers_are_left_out():
    import pandas as pd
    from rich.console import Console

    from theme_assist.cli.discover import themes_table

    themes = pd.DataFrame([{
        "theme": "T1", "label": "doctor, family", "size": 40, "stability": 0.8, "n_documents": 12,
        "nearest_code": "", "nearest_code_similarity": float("nan"), "spread_rate": {"HIC": 0.12, "LMIC": 0.08},
        "quotes": [{"text": "The doctor asked about my family."}]}])
    for n_skipped, said in ((0, False), (167, True)):
        summary = {"selection": "all segments", "n_skipped_speakers": n_skipped}
        fitted = type("Fitted", (), {"themes_": themes, "summary_": summary})()
        console = Console(width=120, record=True)
        console.print(themes_table(fitted, by="income_group"))
        assert ("(skipped speakers left out; top 3)" in " ".join(console.export_text().split())) == said


def test_discover_suggest_and_project_init_declare_their_shared_options_once(capsys, monkeypatch):
    """--model, --recursive, --unit and --max-chars were declared in each command, in words that had to be kept
    alike by hand; they are now declared once (``theme_assist.cli._options``), so each command says them in the same
    words."""
    monkeypatch.setenv("COLUMNS", "400")  # one line per option

    def option_lines(*command):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        lines = capsys.readouterr().out.splitlines()
        return {option: " ".join(next(line for line in lines if f" {option} " in line).split("│")[1].split())
                for option in ("--model", "--recursive", "--unit", "--max-chars")
                if any(f" {option} " in line for line in lines)}

    discover, suggest, init = option_lines("discover"), option_lines("suggest"), option_lines("project", "init")
    assert discover == suggest and set(discover) == {"--model", "--recursive", "--unit", "--max-chars"}
    assert init["--recursive"] == discover["--recursive"] and "(butabika/fg_01)" in init["--recursive"]
    assert init["--max-chars"] == discover["--max-chars"] and "x>=20" in discover["--max-chars"]  # and its least
