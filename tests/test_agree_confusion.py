"""``theme-assist agree --confusion``: which codes the coders confuse (:mod:`theme_assist.agree.confusion`)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from theme_assist.agree.coefficients import coincidence_matrix, krippendorff_alpha
from theme_assist.agree.confusion import SHOWN_CODES, SHOWN_PAIRS, coincidences, confusion, disagreements
from theme_assist.agree.ratings import as_rating_table
from theme_assist.cli._agree_confusion import rest_line
from tests.test_agree_cli import KRIPPENDORFF_WIDE, MULTI_LABEL_LONG, OVERLAPPING, run
from tests.test_agree_markdown import tables

TWO = "unit,Ann,Ben\n1,a,a\n2,a,b\n3,b,b\n4,b,a\n5,a,c\n6,c,c\n7,a,\n8,,c\n"
"""Six units both coded (two on a and b, one each way; one a against c), unit 7 by Ann only, 8 by Ben only."""
MACHINE = "segment_id,code,score,rank\n1,1,0.9,1\n2,2,0.9,1\n3,3,0.9,1\n4,3,0.9,1\n6,2,0.9,1\n8,2,0.9,1\n"
"""The machine's rank-1 codes of units of :data:`KRIPPENDORFF_WIDE`."""


@pytest.fixture()
def files(tmp_path):
    paths = {}
    for name, content in (("two", TWO), ("wide", KRIPPENDORFF_WIDE), ("machine", MACHINE),
                          ("multi", MULTI_LABEL_LONG), ("overlapping", OVERLAPPING)):
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_text(content)
    return paths


def test_two_coders_confusion_matrix_counted_by_hand(files):
    ratings = pd.read_csv(files["two"], index_col=0)
    found = confusion(ratings["Ann"], ratings["Ben"])
    assert found["labels"] == ["a", "b", "c"] and (found["rows"], found["columns"]) == ("Ann", "Ben")
    assert found["matrix"] == [[1, 1, 1], [1, 1, 0], [0, 0, 1]]
    assert found["first_only"] == [1, 0, 0] and found["second_only"] == [0, 0, 1] and found["n_units"] == 6
    # margins pooled over both coders on the six units: a 5, b 4, c 3 of 12 values; chance e_ck = n_c n_k / 11
    (ab, ac) = found["pairs"]
    assert ab == {"codes": ["a", "b"], "observed": 2, "expected": pytest.approx(20 / 11),
                  "ratio": pytest.approx(2 / (20 / 11)), "share": pytest.approx(2 / 3), "counts": [1, 1]}
    assert ac == {"codes": ["a", "c"], "observed": 1, "expected": pytest.approx(15 / 11),
                  "ratio": pytest.approx(11 / 15), "share": pytest.approx(1 / 3), "counts": [1, 0]}
    assert 1 - found["observed"] / found["expected"] == pytest.approx(krippendorff_alpha(ratings).value)


def test_coincidences_are_those_alpha_is_computed_from(files):
    ratings = pd.read_csv(files["wide"], index_col=0)
    found = coincidences(ratings)
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", the coincidences of this example
    third = 1 / 3
    published = [[7, 4 * third, third, third, 0], [4 * third, 10, 4 * third, third, 0],
                 [third, 4 * third, 8, third, 0], [third, third, third, 4, 0], [0, 0, 0, 0, 3]]
    np.testing.assert_allclose(found["matrix"], published)
    np.testing.assert_array_equal(found["matrix"], coincidence_matrix(as_rating_table(ratings)))
    assert (found["n_units"], found["n_values"], found["unpaired_units"]) == (11, 40, 1)
    assert 1 - found["observed"] / found["expected"] == pytest.approx(krippendorff_alpha(ratings).value)
    assert krippendorff_alpha(ratings).value == pytest.approx(0.743, abs=5e-4)
    # 1-2 and 2-3 tie on 4/3: 1-2 is the further above its chance (40 values: 1 has 9, 2 has 13, 3 has 10)
    assert [pair["codes"] for pair in found["pairs"][:2]] == [["1", "2"], ["2", "3"]]
    assert found["pairs"][0]["expected"] == pytest.approx(9 * 13 / 39)


def test_pairs_are_ranked_by_disagreements_and_a_rare_pair_above_chance_is_named_beyond_the_first():
    codes = [f"c{i}" for i in range(14)]
    matrix = np.zeros((14, 14))
    np.fill_diagonal(matrix, 40)
    matrix[0, 0] = 400  # a frequent code, c0, against c1…c11: 12 - i disagreements each, fewer than chance
    for i in range(1, 12):
        matrix[0, i] = matrix[i, 0] = 12 - i
    matrix[12, 13] = matrix[13, 12] = 1  # two rare codes confused once: far above their chance
    matrix[12, 12] = matrix[13, 13] = 0
    found = disagreements(matrix, codes)
    assert [pair["observed"] for pair in found["pairs"]] == sorted((pair["observed"] for pair in found["pairs"]),
                                                                   reverse=True)
    assert found["pairs"][0]["codes"] == ["c0", "c1"] and len(found["pairs"]) == 12
    rare = next(pair for pair in found["pairs"] if pair["codes"] == ["c12", "c13"])
    assert rare["ratio"] > 1 > found["pairs"][0]["ratio"]
    assert found["pairs"].index(rare) == SHOWN_PAIRS  # tied with c0-c11 on one, the further above chance first
    line = rest_line(found)
    assert line.startswith("… and 2 more pairs: 2 disagreements (3.0% of all); more often than chance: c12 ↔ c13 (1, "
                           "obs/exp 973.00)")


def _json(capsys, *args):
    code, out, err = run(capsys, *args, "--confusion", "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_json_has_the_matrices_as_lists_with_their_labels(capsys, files):
    result = _json(capsys, files["two"], "-m", "alpha")
    assert list(result) == ["alpha", "n_units", "coders", "confusion"]
    ratings = pd.read_csv(files["two"], index_col=0)
    assert result["confusion"] == json.loads(json.dumps(confusion(ratings["Ann"], ratings["Ben"])))
    assert result["confusion"]["matrix"] == [[1, 1, 1], [1, 1, 0], [0, 0, 1]]
    assert result["confusion"]["labels"] == ["a", "b", "c"]
    wide = _json(capsys, files["wide"], "-m", "alpha")
    assert wide["confusion"]["kind"] == "coincidences" and wide["confusion"]["labels"] == ["1", "2", "3", "4", "5"]
    code, out, _ = run(capsys, files["two"], "-m", "alpha", "--format", "json")
    assert "confusion" not in json.loads(out)  # only when asked for


def test_the_machine_is_set_against_the_human_majority(capsys, files):
    result = _json(capsys, files["wide"], "--machine", files["machine"], "-m", "alpha")
    found = result["machine_confusion"]
    assert (found["rows"], found["columns"], found["humans"]) == ("human majority", "machine", 4)
    # majorities: 1→1, 2→2, 3→3, 4→3, 5→2, 6 (1, 2, 3, 4) none, 7→4, 8→1, 9→2, 10→5, 11→1 (two of two), 12 none
    # (one rating); the machine coded 1, 2, 3, 4, 6, 8: 1 1, 2 2, 3 3, 4 3; 6 none against 2; 8 1 against 2
    assert found["matrix"] == [[1, 1, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 2, 0, 0], [0] * 5, [0] * 5]
    assert found["first_only"] == [1, 2, 0, 1, 1] and found["second_only"] == [0, 1, 0, 0, 0]
    assert [(pair["codes"], pair["counts"]) for pair in found["pairs"]] == [(["1", "2"], [1, 0])]
    # one coder: that coder against the machine
    one = _json(capsys, files["wide"], "--machine", files["machine"], "--coder", "B", "-m", "alpha")
    assert "confusion" not in one and one["machine_confusion"]["rows"] == "B"
    assert one["machine_confusion"]["matrix"][1] == [0, 2, 0, 0, 0]  # B's 2 on units 2 and 6, the machine's 2


def test_table_shows_the_matrix_and_the_pairs(capsys, files):
    code, out, err = run(capsys, files["two"], "--confusion", "-m", "alpha")
    assert code == 0 and err == ""
    assert "Confusion: Ann (rows) vs Ben (columns), 6 units both coded" in out
    assert "│ a         │ 1 │ 1 │ 1 │      1 │" in out and "│ (none)    │ 0 │ 0 │ 1 │        │" in out
    assert "│ a ↔ b │        2 │     1.82 │    1.10 │ 66.7% │    1 / 1 │" in out
    assert "obs/exp 0.70 (1 - alpha, nominal)" in out
    path = files["two"].with_name("apart.csv")
    path.write_text("unit,Ann,Ben\n1,a,\n2,,b\n")
    assert "No pair of codes: no unit was coded by both Ann and Ben." in run(capsys, path, "--confusion", "-m",
                                                                            "percent")[1]


def test_long_codes_are_numbered_and_many_codes_give_the_pairs_alone(capsys, tmp_path):
    path = tmp_path / "long.csv"
    long = "a_rather_long_code_id"
    path.write_text(f"unit,A,B\n1,{long},b\n2,b,b\n3,{long},{long}\n")
    out = run(capsys, path, "--confusion", "-m", "alpha")[1]
    assert "│ 1 a_rather_long_code_id │ 1 │ 1 │" in out
    assert "┃ A \\ B                   ┃ 1 ┃ 2 ┃" in out
    path.write_text("unit,A,B\n" + "".join(f"{i},c{i},c{(i + 1) % (SHOWN_CODES + 1)}\n"
                                           for i in range(SHOWN_CODES + 1)))
    code, out, _ = run(capsys, path, "--confusion", "-m", "alpha")
    assert f"{SHOWN_CODES + 1} codes: the matrix is in --format json" in out and "(none)" not in out
    assert f"… and {SHOWN_CODES + 1 - SHOWN_PAIRS} more pairs" in out
    report = run(capsys, path, "--confusion", "-m", "alpha", "--format", "markdown")[1]
    assert len(tables(report)) == 2  # the coefficients, the pairs


def test_markdown_tables_are_the_jsons(capsys, files):
    result = _json(capsys, files["wide"], "--machine", files["machine"], "-m", "alpha")
    code, report, err = run(capsys, files["wide"], "--machine", files["machine"], "-m", "alpha", "--confusion",
                            "--format", "markdown")
    assert code == 0
    found = tables(report)
    coincide, pairs, machine, machine_pairs = found[-4:]
    assert [row["Code"] for row in coincide] == result["confusion"]["labels"]
    assert [row["4"] for row in coincide] == ["0.33", "0.33", "0.33", "4", "0"]
    assert [row["Codes"] for row in pairs] == [" ↔ ".join(pair["codes"])
                                               for pair in result["confusion"]["pairs"]]
    assert machine[-1] == {"human majority \\\\ machine": "(none)", "1": "0", "2": "1", "3": "0", "4": "0",
                           "5": "0", "(none)": ""}
    assert machine_pairs == [{"Codes": "1 ↔ 2", "Observed": "1", "Expected": "1.00", "Obs/exp": "1.00",
                              "Share": "100.0%", "Each way": "1 / 0"}]
    assert "**Table 5.** The coders' disagreements by pair of codes" in report  # after the machine in place (3)
    assert "**Table 7.** The machine's disagreements by pair of codes" in report


@pytest.mark.parametrize("args, message", [
    (("multi",), "--confusion pairs one code of a unit against another's, in single-label ratings; these are "
                 "multi-label"),
    (("overlapping", "--overlap", "0.9"), "--confusion does not apply to --overlap"),
])
def test_refused_in_one_line(capsys, files, args, message):
    code, out, err = run(capsys, files[args[0]], *args[1:], "--confusion")
    assert code == 2 and err.count("\n") == 1 and message in err and out == ""


def test_many_codes_still_say_what_the_pairs_are_counted_on(capsys, tmp_path):
    path, machine = tmp_path / "many.csv", tmp_path / "machine.csv"
    codes = SHOWN_CODES + 1
    path.write_text("unit,A,B\n" + "".join(f"{i},c{i},c{i if i % 2 else (i + 1) % codes}\n" for i in range(codes))
                    + f"{codes},c0,\n")
    machine.write_text("segment_id,code,score,rank\n" + "".join(f"{i},c{i},0.9,1\n" for i in range(codes)))
    for form in ("table", "markdown"):
        out = " ".join(run(capsys, path, "--confusion", "--machine", machine, "-m", "alpha", "--format", form)[1]
                       .split())
        assert "units one side coded and the other did not, in no pair and not in alpha: 1 A alone, 0 B alone" in out
        assert ("human majority: the code most coders gave, on units two or more rated, ties left out (two coders: "
                "only the units they agreed on)") in out
