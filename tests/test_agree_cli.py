"""``theme-assist agree``: the command-line contract other scripts rely on."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from theme_assist.cli import main

KRIPPENDORFF_WIDE = """unit,A,B,C,D
1,1,1,,1
2,2,2,3,2
3,3,3,3,3
4,3,3,3,3
5,2,2,2,2
6,1,2,3,4
7,4,4,4,4
8,1,1,2,1
9,2,2,2,2
10,,5,5,5
11,,,1,1
12,,3,,
"""

MULTI_LABEL_LONG = """unit,coder,code
s1,A,hope
s1,A,stigma
s1,B,hope
s2,A,stigma
s2,B,hope
s3,A,hope
s3,B,
s4,A,hope
s4,B,hope
"""


def run(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(["agree", *map(str, args)])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


@pytest.fixture()
def wide(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text(KRIPPENDORFF_WIDE)
    return path


def test_json_has_every_applicable_metric_with_published_values(capsys, wide):
    code, out, err = run(capsys, wide, "--format", "json")
    assert code == 0 and err == ""
    result = json.loads(out)
    assert list(result) == ["percent", "bennett_s", "fleiss", "conger", "ac1", "alpha"]
    assert round(result["alpha"]["value"], 3) == 0.743
    assert round(result["fleiss"]["value"], 5) == 0.76117
    assert all(entry["reason"] is None and "ci" not in entry for entry in result.values())


def test_json_metrics_level_weights_and_bootstrap(capsys, wide):
    code, out, _ = run(capsys, wide, "--format", "json", "-m", "alpha", "--metric", "brennan_prediger",
                       "--level", "ordinal", "--weights", "quadratic", "--bootstrap", "200", "--seed", "3")
    result = json.loads(out)
    assert code == 0 and list(result) == ["alpha", "brennan_prediger"]  # keyed by the name asked for
    assert round(result["alpha"]["value"], 3) == 0.815
    assert result["brennan_prediger"]["coefficient"].endswith("(quadratic weights)")
    low, high = result["alpha"]["ci"]
    assert low < result["alpha"]["value"] < high
    assert set(result["alpha"]["p_below"]) == {"0.667", "0.8"}
    assert result["alpha"]["method"] == "coincidences" and result["brennan_prediger"]["method"] == "units"
    again = run(capsys, wide, "--format", "json", "-m", "alpha", "--metric", "brennan_prediger",
                "--level", "ordinal", "--weights", "quadratic", "--bootstrap", "200", "--seed", "3")[1]
    assert json.loads(again) == result


def test_two_coders_get_cohen_and_scott_and_nulls_with_reasons(capsys, tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("unit,A,B\nu1,yes,yes\nu2,yes,yes\nu3,yes,\n")
    result = json.loads(run(capsys, path, "--format", "json")[1])
    assert "cohen" in result and "scott" in result
    assert result["cohen"]["value"] is None and "no variation" in result["cohen"]["reason"]
    assert result["percent"]["value"] == 1.0


def test_table_output(capsys, wide):
    code, out, _ = run(capsys, wide, "--bootstrap", "100")
    assert code == 0
    assert "Krippendorff's alpha (nominal)" in out and "0.743" in out and "95% CI" in out


def test_long_multi_label_file_reports_masi_alpha_and_codes(capsys, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(MULTI_LABEL_LONG)
    result = json.loads(run(capsys, path, "--format", "json", "-m", "cohen", "-m", "ac1")[1])
    assert list(result) == ["masi_alpha", "cohen", "ac1"]
    assert result["masi_alpha"]["coefficient"] == "Krippendorff's alpha (masi)"
    assert set(result["cohen"]["by_code"]) == {"hope", "stigma"}
    assert result["cohen"]["by_code"]["stigma"]["prevalence"] == pytest.approx(2 / 8)
    assert result["ac1"]["n_units"] == 8
    table = run(capsys, path)[1]
    assert "Per code" in table and "stigma" in table


def test_a_project_codings_export_is_read_as_long_ratings(capsys, tmp_path):
    from theme_assist.project.testing import make_project

    project = tmp_path / "study.taproj"
    with make_project(project) as store:
        segments = store.segments()["segment_id"].tolist()[:4]
        ann, bob = ["work", "work", "family", "work"], ["work", "family", "family", "work"]
        store.add_codings(pd.DataFrame({"segment_id": segments * 2, "code": ann + bob,
                                        "coder": ["ann"] * 4 + ["bob"] * 4}), source="test")
    codings = tmp_path / "codings.csv"
    with pytest.raises(SystemExit) as exported:
        main(["project", "export", str(project), "--codings", str(codings)])
    assert exported.value.code == 0
    assert pd.read_csv(codings).columns.tolist() == ["segment_id", "code", "coder"]
    result = json.loads(run(capsys, codings, "--format", "json", "-m", "percent")[1])
    assert result["percent"]["n_units"] == 4 and result["percent"]["value"] == 0.75


def test_long_single_label_file_is_a_plain_table(capsys, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("coder,unit,code\nA,u1,1\nB,u1,1\nA,u2,2\nB,u2,3\nA,u3,3\nB,u3,3\n")
    result = json.loads(run(capsys, path, "--format", "json", "-m", "alpha", "--level", "interval")[1])
    assert result["alpha"]["level"] == "interval" and result["alpha"]["n_units"] == 3


@pytest.mark.parametrize("content, args, message", [
    ("unit,A,B\n1,a,b\n2,a\n", (), "line 3 of .* has 2 cells; the header has 3"),
    ("unit,A,B\n1,a,b,c\n", (), "line 2 of .* has 4 cells"),
    ("unit,A\n1,a\n2,b\n", (), "1 coder column"),
    ("unit;A;B\n1;a;b\n2;b;b\n", (), "separated by ';'; save it with commas"),
    ("unit,coder,code,note\n1,A,x,\n1,B,y,\n", (), "exactly the columns unit \\(or segment_id\\), coder, code; it "
                                                   "has unit, coder, code, note"),
    ("unit,coder,code\n1,A,x\n2,A,y\n", (), "1 coder; agreement needs at least two"),
    ("unit,A,B\n1,1,abc\n2,2,3\n", ("--level", "interval"), "'abc' is not a finite number"),
    ("unit,A,B\n1,1,inf\n2,2,3\n", ("--level", "interval"), "'inf' is not a finite number"),
    ("unit,A,B\n1,1,1e400\n2,2,3\n", ("--level", "interval"), "is not a finite number"),
    ("unit,A,B\n1,-2,2\n2,2,3\n", ("--level", "ratio"), "ratio level needs ratings of zero or more .* got -2"),
    ("", (), "is empty"),
    ("unit,A,B\n", (), "no rows"),
    ("unit,A,B\n1,a,b\n1,b,b\n", (), "unit '1' appears more than once"),
    ("unit,A,B,C\n1,a,b,a\n2,b,b,b\n", ("-m", "cohen"), "two coders; the table has 3"),
    ("unit,A,B\n1,a,b\n2,b,b\n", ("-m", "kripp"), "unknown metric 'kripp'"),
    ("unit,A,B\n1,a,b\n2,b,b\n", ("--level", "cardinal"), "--level must be one of"),
    ("unit,A,B\n1,a,b\n2,b,b\n", ("--weights", "linear"), "linear weights need numeric"),
    ("unit,A,B\n1,a,b\n2,b,b\n", ("--format", "xml"), "--format must be one of"),
    ("unit,A,B\n1,a,b\n2,b,b\n", ("--bootstrap", "-5"), "--bootstrap must be"),
    ("unit,A,B\n1,a,b\n2,b,b\n", ("--bootstrap", "1000000000"), "resamples up to 100,000"),
    ("unit,A,B\n1,a,b\n2,b,b\n", ("--bootstrap", "10", "--seed", "-1"), "Invalid value for '--seed'"),
    (MULTI_LABEL_LONG, ("--level", "ordinal"), "multi-label ratings are compared with the MASI"),
    (MULTI_LABEL_LONG, ("--categories", "hope,stigma"), "--categories applies to single-label ratings"),
    ("unit,A,B\n1,a,b\n2,b,c\n", ("--categories", "a,b"), "rating 'c' is not among the declared categories"),
    ("unit,A,B\n1,a,b\n2,b,b\n", ("--categories", "a,,b"), "--categories has an empty category"),
    ("unit,A,B\n1,a,b\n2,b,b\n", ("--categories", "a,b,a"), "--categories names a category twice"),
    ("unit,A,B\n1,1,2\n2,2,2\n", ("--categories", "1,2,x"), "so --categories must be numbers too; got 'x'"),
    ("unit,A,,B\n1,a,b,b\n2,b,,b\n", (), "column 3 of .* holds ratings but has no coder name"),
])
def test_bad_input_is_one_line_error(capsys, tmp_path, content, args, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    code, out, err = run(capsys, path, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("theme-assist: error:")
    assert re.search(message, err)


def test_missing_file_is_one_line_error(capsys, tmp_path):
    code, _, err = run(capsys, tmp_path / "nowhere.csv")
    assert code == 2 and "does not exist" in err and err.count("\n") == 1


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252"])
def test_ratings_in_another_encoding_are_read(capsys, tmp_path, encoding):
    path = tmp_path / "ratings.csv"
    path.write_bytes("unit,A,B\nu1,café,café\nu2,thé,café\nu3,thé,thé\n".encode(encoding))
    code, out, err = run(capsys, path, "--format", "json")
    assert code == 0, err
    assert round(json.loads(out)["percent"]["value"], 3) == 0.667  # u1 and u3 agree


def test_cells_that_other_programs_write_for_missing_values_are_named(capsys, tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text("unit,ann,bob\n1,NA,a\n2,a,N/A\n3,b,b\n4,a,a\n5,null,b\n")
    code, out, err = run(capsys, wide, "--format", "json")
    assert code in (0, None)
    assert err.strip() == (f"theme-assist: warning: {wide}: 3 rating(s) read as the code(s) 'N/A', 'NA', 'null'; "
                           "if they mean a missing rating, leave those cells empty")
    assert json.loads(out)["percent"]["n_units"] == 5  # read as written: a code may be called "none"
    long = tmp_path / "long.csv"
    long.write_text("unit,coder,code\n1,ann,a\n1,bob,NA\n2,ann,b\n2,bob,b\n")
    assert "1 rating(s) read as the code(s) 'NA'" in run(capsys, long)[2]
    plain = tmp_path / "plain.csv"
    plain.write_text("unit,ann,bob\n1,a,a\n2,b,\n3,none of them,b\n")
    assert run(capsys, plain)[2] == ""


def test_blank_trailing_columns_are_not_a_coder(capsys, tmp_path):
    """A spreadsheet's trailing separators give a column with a blank header and no ratings: not a third coder,
    which would take Cohen's κ and Scott's π away."""
    path = tmp_path / "ratings.csv"
    path.write_text("unit,A,B,,\nu1,1,1,,\nu2,2,1,,\nu3,2,2,,\n")
    code, out, err = run(capsys, path, "--format", "json")
    assert code in (0, None) and err == ""
    result = json.loads(out)
    assert result["cohen"]["n_coders"] == 2 and round(result["cohen"]["value"], 3) == 0.4


def test_declared_categories_order_labels_and_count_unused_ones(capsys, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("unit,A,B\nu1,low,low\nu2,mid,high\nu3,high,high\n")
    result = json.loads(run(capsys, labels, "--format", "json", "-m", "alpha", "-m", "cohen", "--level", "ordinal",
                            "--weights", "linear", "--categories", "low, mid, high")[1])
    assert round(result["alpha"]["value"], 4) == 0.7778  # krippendorff package, value_domain low < mid < high
    assert round(result["cohen"]["value"], 4) == 0.6667
    same = tmp_path / "same.csv"
    same.write_text("unit,A,B\nu1,yes,yes\nu2,yes,yes\n")
    result = json.loads(run(capsys, same, "--format", "json", "-m", "ac1", "--categories", "yes,no")[1])
    assert result["ac1"]["value"] == 1.0 and result["ac1"]["n_categories"] == 2
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("unit,A,B,C\nu1,1,1,1\nu2,2,2,\nu3,1.0,1,2\nu4,3,,\n")
    result = json.loads(run(capsys, numbers, "--format", "json", "-m", "ac1", "-m", "bennett_s", "--weights",
                            "linear", "--categories", "1,2,3,4,5")[1])
    # irrCAC: CAC(..., weights="linear", categories=[1, 2, 3, 4, 5])
    assert round(result["ac1"]["value"], 8) == 0.89115646
    assert round(result["bennett_s"]["value"], 8) == 0.86111111


def test_long_file_numbers_written_two_ways_are_one_code(capsys, tmp_path):
    """One coder's "1" and "1.0" on a unit are one code (as in a wide file), not a multi-label pair."""
    single = tmp_path / "single.csv"
    single.write_text("unit,coder,code\nu1,A,1\nu1,A,1.0\nu1,B,1\nu2,A,2\nu2,B,2\nu3,A,1\nu3,B,2\n")
    result = json.loads(run(capsys, single, "--format", "json")[1])
    assert "masi_alpha" not in result and round(result["cohen"]["value"], 3) == 0.4
    multi = tmp_path / "multi.csv"
    multi.write_text("unit,coder,code\nu1,A,1.0\nu1,A,2.0\nu1,B,1\nu1,B,2\nu2,A,2.0\nu2,B,2\nu3,A,1.0\nu3,B,2\n")
    result = json.loads(run(capsys, multi, "--format", "json")[1])
    assert set(result["percent"]["by_code"]) == {"1.0", "2.0"}
    assert result["masi_alpha"]["observed_disagreement"] == pytest.approx(1 / 3)  # only u3 differs


def test_report_says_how_the_intervals_were_drawn(capsys, wide):
    """A methods section cites the interval's kind, the resamples, the seed and any resamples left out."""
    result = json.loads(run(capsys, wide, "--format", "json", "--bootstrap", "200", "--seed", "3")[1])
    assert all(entry["interval"] == "percentile" and entry["seed"] == 3 for entry in result.values())
    table = run(capsys, wide, "--bootstrap", "200", "--seed", "3")[1]
    caption = " ".join(table.split())
    assert "95% percentile bootstrap intervals, 200 resamples, seed 3: units resampled with replacement; alpha: " \
           "pairs of values drawn from the coincidences (Hayes & Krippendorff 2007)" in caption
    sparse = wide.with_name("sparse.csv")
    sparse.write_text("unit,A,B\nu1,a,a\nu2,b,b\nu3,a,\nu4,,b\n")
    table = " ".join(run(capsys, sparse, "--bootstrap", "200", "-m", "percent")[1].split())
    assert re.search(r"undefined on \d+ of 200 resamples, left out of the interval", table)


def test_reading_a_wide_file_raises_no_deprecation_warning(tmp_path):
    import warnings

    from theme_assist.agree.reading import read_ratings

    path = tmp_path / "ratings.csv"
    path.write_text("unit,A,B,C\nu1,1,,\nu2,2,2,\nu3,a,a,\n")  # C rated nothing: replace() downcast it
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ratings = read_ratings(path).ratings
    assert ratings.isna().to_numpy().tolist() == [[False, True, True], [False, False, True], [False, False, True]]
