"""``theme-assist agree --coder NAME``: only the coders named count, as if the file held their ratings alone."""

from __future__ import annotations

import json

import pytest

from tests.test_agree_cli import run

# a project's --codings export: the reliability round's Ann and Ben, and the imported training codings, their coder
# named by the --coded file, on one segment of theirs and on segments of its own
ANN = "aabbabab"
BEN = "abbbabaa"
TRAINER = {"d:0": "b", "d:1": "b", "e:0": "a", "e:1": "b"}
MACHINE = "segment_id,code,score,rank\n" + "".join(f"d:{i},{code},0.9,1\n" for i, code in enumerate("abbaabab"))


def long_rows(trainer: bool = True) -> str:
    rows = ["segment_id,code,coder"]
    rows += [f"d:{i},{code},Ann" for i, code in enumerate(ANN)]
    rows += [f"d:{i},{code},Ben" for i, code in enumerate(BEN)]
    rows += [f"{unit},{code},coded.csv" for unit, code in TRAINER.items()] if trainer else []
    return "\n".join(rows) + "\n"


def wide_rows(trainer: bool = True) -> str:
    units = [f"d:{i}" for i in range(len(ANN))] + ([unit for unit in TRAINER if unit.startswith("e")] if trainer
                                                   else [])
    ann, ben = dict(zip(units, ANN)), dict(zip(units, BEN))
    header = "unit,Ann,Ben" + (",coded.csv" if trainer else "")
    return "\n".join([header] + [f"{unit},{ann.get(unit, '')},{ben.get(unit, '')}"
                                 + (f",{TRAINER.get(unit, '')}" if trainer else "") for unit in units]) + "\n"


@pytest.fixture(params=["long", "wide"])
def files(request, tmp_path):
    """The file with the trainer's ratings, and one holding Ann's and Ben's alone."""
    rows = long_rows if request.param == "long" else wide_rows
    everyone, two = tmp_path / "everyone.csv", tmp_path / "two.csv"
    everyone.write_text(rows())
    two.write_text(rows(trainer=False))
    return everyone, two


INTERVALS = ("--interval", "both", "--bootstrap", "200", "--seed", "4")


def test_the_coders_named_give_the_figures_of_a_file_of_theirs_alone(capsys, files):
    everyone, two = files
    code, out, err = run(capsys, everyone, "--coder", "Ann", "--coder", "Ben", "--format", "json", *INTERVALS)
    assert code == 0 and "share no unit" not in err
    chosen = json.loads(out)
    assert chosen.pop("coders") == ["Ann", "Ben"] and chosen.pop("coders_left_out") == ["coded.csv"]
    code, out, _ = run(capsys, two, "--format", "json", *INTERVALS)
    alone = json.loads(out)
    assert code == 0 and alone.pop("coders") == ["Ann", "Ben"]
    assert chosen == alone
    assert "cohen" in chosen and round(chosen["cohen"]["value"], 3) == 0.5  # 6 of 8 agree, chance 0.5
    code, out, _ = run(capsys, everyone, "--format", "json", *INTERVALS)
    unchosen = json.loads(out)
    assert code == 0 and "cohen" not in unchosen and unchosen["percent"]["value"] != chosen["percent"]["value"]


def test_the_coders_named_give_the_machine_comparison_of_a_file_of_theirs_alone(capsys, files, tmp_path):
    everyone, two = files
    machine = tmp_path / "machine.csv"
    machine.write_text(MACHINE)
    code, out, _ = run(capsys, everyone, "--machine", machine, "--coder", "Ben", "--coder", "Ann", "--format",
                       "json", *INTERVALS)
    chosen = json.loads(out)
    code_alone, out, _ = run(capsys, two, "--machine", machine, "--format", "json", *INTERVALS)
    alone = json.loads(out)
    assert code == code_alone == 0
    assert chosen["machine_comparison"] == alone["machine_comparison"]
    assert [row["comparison"] for row in chosen["machine_comparison"]] == [
        "machine vs Ann", "machine vs Ben", "machine vs human majority", "Ann vs Ben"]
    # one coder is enough with --machine: that coder against the machine alone
    code, out, _ = run(capsys, everyone, "--machine", machine, "--coder", "Ann", "--format", "json")
    one = json.loads(out)
    assert code == 0 and one["coders_summary"] is None and one["coders"] == ["Ann"]
    assert one["coders_left_out"] == ["Ben", "coded.csv"]
    assert [row["comparison"] for row in one["machine_comparison"]] == ["machine vs Ann"]


def test_the_table_says_which_coders_count(capsys, files):
    everyone, _ = files
    code, out, _ = run(capsys, everyone, "--coder", "Ann", "--coder", "Ben")
    assert code == 0
    assert "only the coders of --coder: Ann, Ben (left out: coded.csv)" in " ".join(out.split())


@pytest.mark.parametrize("args, message", [
    (("--coder", "ann", "--coder", "Ben"),
     "--coder 'ann' is no coder of {path} (did you mean 'Ann'? coders are matched as written); its coders: Ann, "
     "Ben, coded.csv"),
    (("--coder", "Ann", "--coder", "Zoe"), "--coder 'Zoe' is no coder of {path}; its coders: Ann, Ben, coded.csv"),
    (("--coder", " ", "--coder", "Ben"), "--coder '' is blank: name a coder as the ratings file writes them"),
    (("--coder", "Ann", "--coder", "\u200b"),
     "--coder '\\u200b' is blank: name a coder as the ratings file writes them"),
    (("--coder", "Ann", "--coder", "Ann"),
     "--coder 'Ann' keeps one coder of {path}: agreement needs at least two (name another with --coder), or compare "
     "that coder with the machine's suggestions: --machine OUT.csv"),
])
def test_a_coder_the_file_lacks_or_too_few_are_refused_in_one_line(capsys, files, args, message):
    everyone, _ = files
    code, out, err = run(capsys, everyone, *args)
    assert code == 2 and not out
    assert err.strip() == f"theme-assist: error: {message.format(path=everyone)}"


def test_span_codings_keep_the_coders_named(capsys, tmp_path):
    spans = tmp_path / "codings.csv"
    spans.write_text("document,start,end,code,coder\n"
                     "d,0,10,a,Ann\nd,10,20,b,Ann\nd,0,10,a,Ben\nd,10,20,a,Ben\nd,0,20,b,coded.csv\n")
    units = tmp_path / "segments.csv"
    units.write_text("segment_id,document,start,end\nd:0,d,0,10\nd:1,d,10,20\n")
    code, out, _ = run(capsys, spans, "--units", units, "--coder", "Ann", "--coder", "Ben", "-m", "percent",
                       "--format", "json")
    result = json.loads(out)
    assert code == 0 and result["coders"] == ["Ann", "Ben"] and result["coders_left_out"] == ["coded.csv"]
    assert result["percent"]["value"] == 0.5


def test_a_wide_coder_named_who_rated_nothing_is_said_in_the_refusal(capsys, tmp_path):
    """A wide file's coder column left empty (a coder yet to start) is left out; where the coders named are then too
    few, the refusal says so, not that the file has one coder column (it has three)."""
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("unit,Ann,Ben,Cy\nu1,a,,b\nu2,b,,b\nu3,a,,a\n")
    code, out, err = run(capsys, ratings, "--coder", "Ann", "--coder", "Ben")
    assert code == 2 and not out
    assert err.strip() == (f"theme-assist: error: --coder keeps 1 coder(s) of {ratings} with a rating: Ben gave none; "
                           "agreement needs at least two coders (or, for one coder, compare the machine's suggestions "
                           "with them: --machine OUT.csv)")


def test_a_coder_named_in_another_unicode_form_is_shown_apart(capsys, tmp_path):
    """'José' composed on the command line, decomposed in the file: "did you mean 'José'?" showed the two alike."""
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("unit,Jose\u0301,Ben\nu1,a,a\nu2,b,b\n", encoding="utf-8")
    code, out, err = run(capsys, ratings, "--coder", "Jos\u00e9", "--coder", "Ben")
    assert code == 2 and not out
    assert err.strip() == (f"theme-assist: error: --coder 'Jos\\xe9' is no coder of {ratings} (did you mean "
                           "'Jose\\u0301'? coders are matched as written); its coders: Jose\u0301, Ben")


def test_segment_agreement_by_overlap_says_which_coders_were_left_out(capsys, tmp_path):
    """--overlap compares the pairs of the coders kept; its JSON had no ``coders_left_out`` and its tables no note."""
    spans = tmp_path / "spans.csv"
    spans.write_text("document,start,end,code,coder\nd,0,100,A,x\nd,0,100,A,y\nd,200,300,B,y\nf,0,50,A,z\n")
    code, out, _ = run(capsys, spans, "--overlap", "0.9", "--coder", "x", "--coder", "y", "--format", "json")
    result = json.loads(out)
    assert code == 0 and [pair["coders"] for pair in result["segment_agreement"]] == [["x", "y"]]
    assert result["coders_left_out"] == ["z"]
    code, out, _ = run(capsys, spans, "--overlap", "0.9", "--coder", "x", "--coder", "y")
    assert code == 0 and "Only the coders of --coder: x, y (left out: z)" in " ".join(out.split())
    assert "coders_left_out" not in json.loads(run(capsys, spans, "--overlap", "0.9", "--format", "json")[1])


def test_a_coder_named_who_gave_no_code_is_said_in_the_refusal(capsys, tmp_path):
    """Ben's rows all have an empty code: he is left out, and the refusal said the file "has 1 coder" (it has
    three)."""
    path = tmp_path / "codings.csv"
    path.write_text("segment_id,code,coder\nd:0,a,Ann\nd:1,b,Ann\nd:0,,Ben\nd:1,,Ben\nd:0,a,Cy\n")
    code, out, err = run(capsys, path, "--coder", "Ann", "--coder", "Ben")
    assert code == 2 and not out
    assert f"theme-assist: error: --coder keeps 1 coder with a code in {path}; agreement needs at least two" in (
        " ".join(err.split()))


def test_the_coders_kept_and_left_out_are_in_the_order_the_ratings_take(capsys, tmp_path):
    """A long file's coders are sorted, with --coder or without: the comparisons' names and seeds follow that order,
    so the figures are those of a file of theirs alone. Those left out were listed in the rows' order (Dan, Ann)."""
    rows = ["unit,coder,code"] + [f"u{unit},{coder},{code}" for unit, codes in enumerate(["aaba", "bbbb", "abaa"])
                                  for coder, code in zip(["Dan", "Cy", "Ann", "Ben"], codes)]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(rows) + "\n")
    code, out, _ = run(capsys, path, "--coder", "Cy", "--coder", "Ben", "--format", "json", "--bootstrap", "1000")
    result = json.loads(out)
    assert code == 0 and result["coders"] == ["Ben", "Cy"] and result["coders_left_out"] == ["Ann", "Dan"]
    alone = tmp_path / "alone.csv"
    alone.write_text("\n".join(row for row in rows if not row.endswith((",Dan,a", ",Dan,b", ",Ann,a", ",Ann,b")))
                     + "\n")
    code, out, _ = run(capsys, alone, "--format", "json", "--bootstrap", "1000")
    assert code == 0 and {key: value for key, value in result.items() if key != "coders_left_out"} == json.loads(out)
    wide = tmp_path / "wide.csv"
    wide.write_text("unit,Dan,Cy,Ann,Ben\nu0,a,a,b,a\nu1,b,b,b,b\nu2,a,b,a,a\n")
    code, out, _ = run(capsys, wide, "--coder", "Ben", "--coder", "Cy", "--format", "json")
    assert code == 0 and json.loads(out)["coders"] == ["Cy", "Ben"]
    assert json.loads(out)["coders_left_out"] == ["Dan", "Ann"]
