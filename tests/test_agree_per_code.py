"""``theme-assist agree --per-code``: each code's agreement, the code read as present or absent, for single-label
ratings, in the coders' summary and in every --machine comparison."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from theme_assist.agree.bootstrap import derived_seed
from theme_assist.agree.report import agreement_summary
from tests.test_agree_cli import run

ANN = "aaabbbccab"
BEN = "aabbbcccab"
# by hand, each code against the rest (10 units, no missing rating):
#   a: Ann gave it to units 0 1 2 8 (4), Ben to 0 1 8 (3); they agree on 9 units. p_o = .9;
#      Cohen: p_e = .4 × .3 + .6 × .7 = .54, kappa = (.9 − .54) / (1 − .54);
#      AC1: pi = .35, p_e = 2 × .35 × .65 = .455
#   b: Ann 3 4 5 9 (4), Ben 2 3 4 9 (4); they agree on 8 units. p_o = .8;
#      Cohen: p_e = .4 × .4 + .6 × .6 = .52; AC1: pi = .4, p_e = 2 × .4 × .6 = .48
#   c: Ann 6 7 (2), Ben 5 6 7 (3): p_o = .9; Cohen: p_e = .2 × .3 + .8 × .7 = .62; AC1: pi = .25, p_e = .375
BY_HAND = {
    "a": {"given": {"Ann": 4, "Ben": 3}, "cohen": (0.9 - 0.54) / 0.46, "ac1": (0.9 - 0.455) / 0.545},
    "b": {"given": {"Ann": 4, "Ben": 4}, "cohen": (0.8 - 0.52) / 0.48, "ac1": (0.8 - 0.48) / 0.52},
    "c": {"given": {"Ann": 2, "Ben": 3}, "cohen": (0.9 - 0.62) / 0.38, "ac1": (0.9 - 0.375) / 0.625},
}


@pytest.fixture()
def ratings(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text("unit,Ann,Ben\n" + "".join(f"u{i},{a},{b}\n" for i, (a, b) in enumerate(zip(ANN, BEN))))
    return path


@pytest.fixture()
def machine(tmp_path):
    path = tmp_path / "machine.csv"
    path.write_text("segment_id,code,score,rank\n" + "".join(f"u{i},{code},0.9,1\n" for i, code in enumerate(ANN)))
    return path


def test_each_code_against_the_rest_gives_the_figures_computed_by_hand(capsys, ratings):
    code, out, err = run(capsys, ratings, "--per-code", "--format", "json")
    assert code == 0 and err == ""
    result = json.loads(out)
    assert all("by_code" not in result[name] for name in ("percent", "scott", "bennett_s", "alpha"))
    for name in ("cohen", "ac1"):
        by_code = result[name]["by_code"]
        assert list(by_code) == ["a", "b", "c"]
        for label, hand in BY_HAND.items():
            assert by_code[label]["value"] == pytest.approx(hand[name])
            assert by_code[label]["given"] == hand["given"] and by_code[label]["n_units"] == 10
            assert by_code[label]["prevalence"] == pytest.approx(sum(hand["given"].values()) / 20)


def test_each_code_has_the_intervals_agree_gives_elsewhere(capsys, ratings):
    code, out, _ = run(capsys, ratings, "--per-code", "--format", "json", "--interval", "both", "--bootstrap",
                       "200", "--seed", "7")
    result = json.loads(out)
    assert code == 0
    presence = pd.DataFrame({"Ann": [float(x == "c") for x in ANN], "Ben": [float(x == "c") for x in BEN]})
    expected = agreement_summary(presence, ["cohen", "ac1"], categories=(0, 1), n_boot=200,
                                 seed=derived_seed(7, ["c"]), analytic=True)
    for name in ("cohen", "ac1"):
        entry = result[name]["by_code"]["c"]
        assert entry["ci"] == pytest.approx(expected[name]["ci"]) and entry["seed"] == derived_seed(7, ["c"])
        assert entry["analytic"]["ci"] == pytest.approx(expected[name]["analytic"]["ci"])
        assert entry["interval"] == "bca"


def test_the_metrics_asked_for_are_given_per_code(capsys, ratings):
    code, out, _ = run(capsys, ratings, "--per-code", "-m", "percent", "-m", "alpha", "--format", "json")
    result = json.loads(out)
    assert code == 0 and result["percent"]["by_code"]["c"]["value"] == pytest.approx(0.9)
    assert set(result["alpha"]["by_code"]) == {"a", "b", "c"}


def test_three_coders_get_fleiss_alpha_and_ac1_per_code(capsys, tmp_path):
    path = tmp_path / "three.csv"
    path.write_text("unit,Ann,Ben,Cy\n" + "".join(f"u{i},{a},{b},{a}\n" for i, (a, b) in enumerate(zip(ANN, BEN))))
    code, out, _ = run(capsys, path, "--per-code", "--format", "json")
    result = json.loads(out)
    assert code == 0
    assert [name for name, entry in result.items() if isinstance(entry, dict) and "by_code" in entry] == [
        "fleiss", "ac1", "alpha"]
    assert result["fleiss"]["by_code"]["c"]["given"] == {"Ann": 2, "Ben": 3, "Cy": 2}


def test_every_machine_comparison_has_its_per_code_figures(capsys, ratings, machine):
    code, out, _ = run(capsys, ratings, "--machine", machine, "--per-code", "--format", "json")
    result = json.loads(out)
    assert code == 0
    rows = {row["comparison"]: row["metrics"] for row in result["machine_comparison"]}
    assert list(rows) == ["machine vs Ann", "machine vs Ben", "machine vs human majority", "Ann vs Ben"]
    # the machine gave Ann's codes: with her it agrees on every code, with Ben as she does
    for label, hand in BY_HAND.items():
        assert rows["machine vs Ann"]["cohen"]["by_code"][label]["value"] == pytest.approx(1)
        ben = rows["machine vs Ben"]
        assert ben["cohen"]["by_code"][label]["value"] == pytest.approx(hand["cohen"])
        assert ben["ac1"]["by_code"][label]["value"] == pytest.approx(hand["ac1"])
        assert ben["cohen"]["by_code"][label]["given"] == {"machine": hand["given"]["Ann"],
                                                          "Ben": hand["given"]["Ben"]}
        assert rows["Ann vs Ben"]["cohen"]["by_code"][label]["value"] == pytest.approx(hand["cohen"])
    code, out, _ = run(capsys, ratings, "--machine", machine, "--format", "json")
    assert code == 0 and "by_code" not in json.loads(out)["machine_comparison"][0]["metrics"]["cohen"]


def test_the_tables_show_each_code(capsys, ratings, machine):
    code, out, _ = run(capsys, ratings, "--machine", machine, "--per-code", "--interval", "analytic")
    assert code == 0
    table = " ".join(out.split())
    assert "Per code (presence/absence: the code against the rest)" in table
    assert "given: units each coder gave the code, of all they rated (Ann / Ben)" in table
    assert "Machine vs humans, per code" in table
    per_code = out[out.index("Machine vs humans, per code"):]
    assert f"{BY_HAND['c']['cohen']:.3f}" in per_code and "2 / 3" in per_code
    code, out, _ = run(capsys, ratings)
    assert code == 0 and "Per code" not in out


def test_per_code_does_not_apply_to_overlap(capsys, tmp_path):
    spans = tmp_path / "codings.csv"
    spans.write_text("document,start,end,code,coder\nd,0,10,a,Ann\nd,0,10,a,Ben\n")
    code, out, err = run(capsys, spans, "--overlap", "0.9", "--per-code")
    assert code == 2 and not out
    assert err.startswith("theme-assist: error: --per-code does not apply to --overlap")
    assert len(err.strip().splitlines()) == 1


def test_numeric_codes_are_named_as_written(capsys, tmp_path):
    """Numeric ratings are read as floats: the code 1 was keyed "1.0", and "1" where --categories declared it."""
    path = tmp_path / "numbers.csv"
    path.write_text("unit,A,B\nu0,1,1\nu1,2,1\nu2,2,2\nu3,1.5,1.5\n")
    for declared in ((), ("--categories", "1,1.5,2,3")):
        code, out, _ = run(capsys, path, "--per-code", "--format", "json", *declared)
        assert code == 0
        assert list(json.loads(out)["cohen"]["by_code"]) == ["1", "1.5", "2", *(["3"] if declared else [])]


def test_a_long_per_code_bootstrap_shows_its_progress_on_a_terminal(capsys, ratings, machine, monkeypatch):
    """500 codes × 3 coders with --machine ran past 10 minutes without a word: on a terminal's standard error a
    progress bar counts the codes bootstrapped, each code of the summary and of every comparison (here 3 of the
    summary, 3 × 3 of the machine's rows, 3 of Ann vs Ben), and is gone once they are."""
    from theme_assist.cli import agree

    code, plain, err = run(capsys, ratings, "--machine", machine, "--per-code", "--bootstrap", "1000", "--format",
                           "json")
    assert code == 0 and err == ""
    monkeypatch.setattr(agree, "PROGRESS_WORK", 1)
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich takes standard error for a terminal
    code, out, err = run(capsys, ratings, "--machine", machine, "--per-code", "--bootstrap", "1000", "--format",
                         "json")
    assert code == 0 and out == plain
    assert "agree --per-code: codes bootstrapped" in err and "15/15" in err and "16/15" not in err
    monkeypatch.setattr(agree, "PROGRESS_WORK", 10 ** 9)  # a short run shows none
    assert run(capsys, ratings, "--machine", machine, "--per-code", "--bootstrap", "1000")[2] == ""


def test_given_counts_every_unit_a_coder_rated_as_chance_agreement_does(capsys, tmp_path):
    """``given`` sits next to n (units both rated) but counts every unit a coder rated, as the chance agreement
    (Gwet 2014) and the prevalence count them: Ann's code a on u10, which Ben did not rate, is in her given."""
    path = tmp_path / "ratings.csv"
    path.write_text("unit,Ann,Ben\n" + "".join(f"u{i},{a},{b}\n" for i, (a, b) in enumerate(zip(ANN, BEN)))
                    + "u10,a,\n")
    code, out, _ = run(capsys, path, "--per-code", "--format", "json")
    entry = json.loads(out)["cohen"]["by_code"]["a"]
    assert code == 0 and entry["n_units"] == 10 and entry["given"] == {"Ann": 5, "Ben": 3}
    assert entry["prevalence"] == pytest.approx(8 / 21)


def test_the_per_code_tables_say_what_prevalence_is(capsys, ratings, machine):
    """The per-code tables had a prevalence column their captions never defined: a reader could take it for the
    share of units, or of one coder's."""
    code, out, _ = run(capsys, ratings, "--machine", machine, "--per-code")
    assert code == 0
    summary, machine_per_code = out.split("Machine vs humans, per code")
    for table in (summary[summary.index("Per code"):], machine_per_code):
        assert "prevalence: share of the ratings that give the code" in " ".join(table.split())
    code, report, _ = run(capsys, ratings, "--machine", machine, "--per-code", "--format", "markdown")
    captions = [line for line in report.splitlines() if line.startswith("**Table") and "per code" in line.lower()]
    assert code == 0 and len(captions) == 2
    assert all("prevalence: share of the ratings that give the code" in caption for caption in captions)
