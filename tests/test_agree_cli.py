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


def metrics_of(result: dict) -> dict:
    """The metric entries of agree's JSON, without its top level's n_units, coders and machine_comparison."""
    return {name: entry for name, entry in result.items() if name not in ("n_units", "coders", "machine_comparison")}


@pytest.fixture()
def wide(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text(KRIPPENDORFF_WIDE)
    return path


def test_json_has_every_applicable_metric_with_published_values(capsys, wide):
    code, out, err = run(capsys, wide, "--format", "json")
    assert code == 0 and err == ""
    result = json.loads(out)
    assert list(result) == ["percent", "bennett_s", "fleiss", "conger", "ac1", "light", "alpha", "n_units", "coders"]
    assert round(result["alpha"]["value"], 3) == 0.743
    assert round(result["fleiss"]["value"], 5) == 0.76117
    assert all(entry["reason"] is None and "ci" not in entry for entry in metrics_of(result).values())


def test_json_metrics_level_weights_and_bootstrap(capsys, wide):
    code, out, _ = run(capsys, wide, "--format", "json", "-m", "alpha", "--metric", "brennan_prediger",
                       "--level", "ordinal", "--weights", "quadratic", "--bootstrap", "200", "--seed", "3")
    result = json.loads(out)
    # keyed by the name asked for
    assert code == 0 and list(result) == ["alpha", "brennan_prediger", "n_units", "coders"]
    assert round(result["alpha"]["value"], 3) == 0.815
    assert result["brennan_prediger"]["coefficient"].endswith("(quadratic weights)")
    low, high = result["alpha"]["ci"]
    assert low < result["alpha"]["value"] < high
    assert set(result["alpha"]["p_below"]) == {"0.667", "0.8"}
    assert result["alpha"]["method"] == "units" and result["brennan_prediger"]["method"] == "units"
    again = run(capsys, wide, "--format", "json", "-m", "alpha", "--metric", "brennan_prediger",
                "--level", "ordinal", "--weights", "quadratic", "--bootstrap", "200", "--seed", "3")[1]
    assert json.loads(again) == result


def test_a_bootstrap_of_few_resamples_is_warned_of(capsys, caplog, wide):
    """--bootstrap 1 printed a "95% CI" (the estimate twice) and P<x shares of one resample, as if they meant
    something; below 1,000 resamples (Hayes & Krippendorff draw 1,000 or more) the command says so. The Python API
    does not: its callers (and tests) may draw few for speed."""
    from theme_assist.agree import agreement_summary
    from theme_assist.agree.reading import read_ratings

    for resamples in (1, 10, 999):
        code, out, err = run(capsys, wide, "--bootstrap", resamples, "--format", "json")
        assert code in (0, None) and json.loads(out)["alpha"]["n_boot"] == resamples
        assert err.strip() == (f"theme-assist: warning: --bootstrap {resamples}: too few resamples for a 95% "
                               "interval or the P<x shares, which move from seed to seed; use 1,000 or more for "
                               "figures you report")
    assert run(capsys, wide, "--bootstrap", 1000, "-m", "percent")[2] == ""
    assert run(capsys, wide, "--interval", "bootstrap", "-m", "percent")[2] == ""  # 1,000 by default
    code, _, err = run(capsys, wide, "--bootstrap", 10, "--population", 50)  # a refusal comes alone
    assert code == 2 and err.count("\n") == 1 and "--population corrects the analytic intervals" in err
    caplog.clear()
    agreement_summary(read_ratings(wide).ratings, ["alpha"], n_boot=10)
    assert caplog.records == []


def test_metric_names_are_read_apart_from_case(capsys, wide, tmp_path):
    """-m Light was refused as an unknown metric: a name written apart from case is the one metric it matches, and
    the JSON names it as the metrics are named (so a script finds it)."""
    result = json.loads(run(capsys, wide, "-m", "Light", "-m", "AC1", "-m", "Brennan_Prediger", "--format", "json")[1])
    assert list(metrics_of(result)) == ["light", "ac1", "brennan_prediger"]
    assert result["light"]["value"] == json.loads(run(capsys, wide, "-m", "light", "--format", "json")[1])["light"][
        "value"]
    path = tmp_path / "long.csv"
    path.write_text(MULTI_LABEL_LONG)
    assert list(metrics_of(json.loads(run(capsys, path, "-m", "MASI_Alpha", "--format", "json")[1]))) == ["masi_alpha"]
    code, _, err = run(capsys, wide, "-m", "Kripp")
    assert code == 2 and "unknown metric 'Kripp'" in err


def test_alpha_bootstrap_resamples_units_unless_asked_for_coincidences(capsys, wide):
    """Hayes & Krippendorff's bootstrap draws a unit's pairs of values as independent, too narrow with three or more
    coders (evaluation/results/interval_coverage.md): alpha resamples units by default, the coincidences on request,
    and P(alpha < x) comes from the bootstrap drawn."""
    from theme_assist.agree import bootstrap_alpha
    from theme_assist.agree.reading import read_codings

    ratings = read_codings(wide).ratings
    options = ("--format", "json", "-m", "alpha", "--bootstrap", "300", "--seed", "4")
    for method in ("units", "coincidences"):
        given = ("--alpha-bootstrap", method) if method == "coincidences" else ()
        entry = json.loads(run(capsys, wide, *options, *given)[1])["alpha"]
        interval = "bca" if method == "units" else "percentile"  # BCa does not apply to the coincidences
        expected = bootstrap_alpha(ratings, n_boot=300, seed=4, method=method, interval=interval).to_dict()
        assert entry["method"] == method and entry["interval"] == interval
        assert (entry["ci"], entry["p_below"]) == (expected["ci"], expected["p_below"])
    code, _, err = run(capsys, wide, "-m", "alpha", "--alpha-bootstrap", "coincidences")
    assert code != 0 and "--alpha-bootstrap chooses how alpha's bootstrap is drawn" in err
    code, _, err = run(capsys, wide, "--bootstrap", "10", "--alpha-bootstrap", "pairs")
    assert code != 0 and "--alpha-bootstrap must be one of units, coincidences; got 'pairs'" in err


def test_json_names_the_coders_and_counts_the_units_and_percent_agreement_says_pairwise(capsys, tmp_path):
    """With three coders percent agreement is the mean share of agreeing pairs, not the share of units all agree
    on: its name says so. The JSON's top level counts the units rated at least once and names the coders."""
    path = tmp_path / "three.csv"
    path.write_text("unit,ann,bob,cy\nu1,a,a,b\nu2,b,b,b\nu3,a,,\nu4,,,\n")
    result = json.loads(run(capsys, path, "--format", "json", "-m", "percent")[1])
    assert result["percent"]["coefficient"] == "Percent agreement (pairwise)"
    assert result["percent"]["value"] == pytest.approx((1 / 3 + 1) / 2)
    assert result["n_units"] == 3 and result["coders"] == ["ann", "bob", "cy"]
    weighted = json.loads(run(capsys, path, "--format", "json", "-m", "percent", "--categories", "a,b",
                              "--weights", "linear")[1])
    assert weighted["percent"]["coefficient"] == "Percent agreement (pairwise, linear weights)"
    two = tmp_path / "two.csv"
    two.write_text("unit,ann,bob\nu1,a,a\nu2,b,a\n")
    assert json.loads(run(capsys, two, "--format", "json")[1])["percent"]["coefficient"] == "Percent agreement"
    assert "Percent agreement (pairwise)" in run(capsys, path, "-m", "percent")[1]


def test_an_undefined_coefficient_does_not_claim_resamples(capsys, tmp_path):
    """Nothing is drawn for a coefficient undefined on the data: its entry said n_boot 1000, n_undefined 0."""
    path = tmp_path / "same.csv"
    path.write_text("unit,A,B\nu1,a,a\nu2,a,a\nu3,a,a\n")
    result = json.loads(run(capsys, path, "--format", "json", "-m", "percent", "-m", "cohen", "--bootstrap", "50")[1])
    assert result["cohen"]["value"] is None and result["cohen"]["ci"] == [None, None]
    assert result["cohen"]["n_boot"] == 0 and result["cohen"]["n_undefined"] == 0
    assert result["percent"]["n_boot"] == 50
    assert "50 resamples" in " ".join(run(capsys, path, "-m", "cohen", "-m", "percent", "--bootstrap", "50")[1].split())


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
    assert list(result) == ["masi_alpha", "cohen", "ac1", "n_units", "coders"]
    assert result["masi_alpha"]["coefficient"] == "Krippendorff's alpha (masi)"
    assert set(result["cohen"]["by_code"]) == {"hope", "stigma"}
    assert result["cohen"]["by_code"]["stigma"]["prevalence"] == pytest.approx(2 / 8)
    assert result["ac1"]["n_units"] == 8
    table = run(capsys, path)[1]
    assert "Per code" in table and "stigma" in table


def test_multi_label_per_code_figures_carry_their_intervals(capsys, tmp_path):
    """The per-code intervals were computed and thrown away: by_code held only value, reason and prevalence, and
    the per-code table printed bare values. Each code's entry is the summary of its presence/absence table."""
    path = tmp_path / "long.csv"
    path.write_text(MULTI_LABEL_LONG)
    options = ("--interval", "both", "--bootstrap", "200", "--seed", "5", "-m", "cohen", "-m", "ac1")
    result = json.loads(run(capsys, path, *options, "--format", "json")[1])
    hope = tmp_path / "hope.csv"  # hope's presence: A on s1, s3, s4; B on s1, s2, s4
    hope.write_text("unit,A,B\ns1,1,1\ns2,0,1\ns3,1,0\ns4,1,1\n")
    own_seed = result["cohen"]["by_code"]["hope"]["seed"]  # the code's own, derived from 5
    assert own_seed != 5 and own_seed != result["cohen"]["by_code"]["stigma"]["seed"] and result["cohen"]["seed"] == 5
    direct = json.loads(run(capsys, hope, *options[:4], "--seed", own_seed, *options[6:], "--categories", "0,1",
                            "--format", "json")[1])
    for name in ("cohen", "ac1"):
        entry = result[name]["by_code"]["hope"]
        assert entry["ci"][0] is not None and entry["analytic"]["ci"][0] is not None
        assert {key: value for key, value in entry.items() if key not in ("prevalence", "given")} == direct[name]
    table = " ".join(run(capsys, path, *options)[1].split())
    low, high = result["ac1"]["by_code"]["stigma"]["ci"]
    assert f"{low:.3f}–{high:.3f}" in table[table.index("Per code"):]
    assert "under each value: its 95% bootstrap interval, then its 95% analytic interval" in table
    # the pooled rows' intervals resample units, each with all its codes, and the caption says so
    assert result["cohen"]["clusters"] == "unit" and result["cohen"]["analytic"]["df"] == 3  # 4 units, not 8 rows
    assert "their intervals resample, and count, units, each with all its codes" in table


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
    assert pd.read_csv(codings).columns.tolist() == ["segment_id", "code", "coder", "segmentation", "codebook_version"]
    result = json.loads(run(capsys, codings, "--format", "json", "-m", "percent")[1])
    assert result["percent"]["n_units"] == 4 and result["percent"]["value"] == 0.75
    # pivoted wide in a spreadsheet, its segmentation and codebook version columns kept beside the coders' are no coders
    wide = pd.read_csv(codings).pivot(index=["segment_id", "segmentation", "codebook_version"], columns="coder",
                                      values="code")
    wide.reset_index().to_csv(tmp_path / "wide.csv", index=False)
    result = json.loads(run(capsys, tmp_path / "wide.csv", "--format", "json", "-m", "percent")[1])
    assert result["percent"]["n_coders"] == 2 and result["percent"]["value"] == 0.75


def exports_before_and_after_a_merge(capsys, tmp_path) -> dict[str, pd.DataFrame]:
    """``project export --codings`` and ``--machine`` of a project where ann and ben accepted the machine's rank-1
    codes on 8 segments, under codebook version 1 and again under version 2, which merged stigma into family:
    ``{"codings1": ..., "machine1": ..., "codings2": ..., "machine2": ...}``, as written (strings)."""
    from theme_assist.codebook import parse_codebook
    from theme_assist.project import DecisionRequest, ProjectStore
    from theme_assist.project.testing import CODEBOOK, make_project

    project = tmp_path / "study.taproj"
    with make_project(project) as store:
        suggestions = store.suggestions(with_evidence=False)
        best = suggestions[suggestions["rank"] == 1].iloc[:8]
        assert "stigma" in set(best["code"])
        store.record_decisions([DecisionRequest(row.segment_id, "accept", row.code, coder, int(row.id))
                                for coder in ("ann", "ben") for row in best.itertuples()])
    exported = {}
    for version in (1, 2):
        if version == 2:
            with ProjectStore(project) as store:
                merged = CODEBOOK.replace('      - id: stigma\n        name: Stigma & "labels"\n'
                                          "        definition: Being judged or excluded.\n", "")
                store.add_codebook_version(parse_codebook(merged), code_map={"stigma": "family"})
        for option in ("codings", "machine"):
            path = tmp_path / f"{option}{version}.csv"
            with pytest.raises(SystemExit) as done:
                main(["project", "export", str(project), f"--{option}", str(path)])
            assert done.value.code in (0, None)
            exported[f"{option}{version}"] = pd.read_csv(path, dtype=str, keep_default_na=False)
    capsys.readouterr()
    return exported


def test_codings_exported_under_two_codebook_versions_are_refused_put_together(capsys, tmp_path):
    """Ann's codings exported under codebook version 1 and Ben's under version 2 (stigma merged into family), put
    together, were compared code by code: Ann's stigma against Ben's family counted as disagreement, silently. The
    exports say their codebook version, and a file of two is refused, naming both."""
    exported = exports_before_and_after_a_merge(capsys, tmp_path)
    codings = exported["codings2"]
    assert codings.columns.tolist() == ["segment_id", "code", "coder", "segmentation", "codebook_version"]
    assert set(exported["codings1"]["codebook_version"]) == {"1"} and set(codings["codebook_version"]) == {"2"}
    assert exported["machine2"].columns.tolist()[-2:] == ["segmentation", "codebook_version"]
    mixed = tmp_path / "mixed.csv"
    pd.concat([exported["codings1"][exported["codings1"]["coder"] == "ann"],
               codings[codings["coder"] == "ben"]]).to_csv(mixed, index=False)
    code, out, err = run(capsys, mixed, "-m", "percent")
    assert code == 2 and not out
    assert err.count("\n") == 1 and err.startswith("theme-assist: error: ")
    assert f"{mixed} has rows exported under two codebook versions, 1 and 2" in err
    assert "export both again from the project" in err and "current codebook" in err
    # one version: compared, and the merged codes agree
    for name, frame in (("v2.csv", codings), ("none.csv", codings.drop(columns="codebook_version")),
                        ("empty.csv", codings.assign(codebook_version=""))):
        frame.to_csv(tmp_path / name, index=False)
        code, out, err = run(capsys, tmp_path / name, "-m", "percent", "--format", "json")
        assert code in (0, None), err
        assert json.loads(out)["percent"]["value"] == 1.0
    # without the column, a mixed file is read as before: the merged code counts as a disagreement
    mixed_frame = pd.read_csv(mixed, dtype=str, keep_default_na=False)
    mixed_frame.drop(columns="codebook_version").to_csv(tmp_path / "bare.csv", index=False)
    code, out, err = run(capsys, tmp_path / "bare.csv", "-m", "percent", "--format", "json")
    assert code in (0, None) and json.loads(out)["percent"]["value"] < 1.0
    # rows without a version beside rows of one pass
    codings.assign(codebook_version=["", *codings["codebook_version"][1:]]).to_csv(tmp_path / "some.csv", index=False)
    code, out, err = run(capsys, tmp_path / "some.csv", "-m", "percent")
    assert code in (0, None) and "codebook version" not in err
    # pivoted wide, two versions are refused too
    wide = mixed_frame.pivot(index=["segment_id", "segmentation", "codebook_version"], columns="coder",
                             values="code").reset_index()
    wide.to_csv(tmp_path / "wide.csv", index=False)
    code, out, err = run(capsys, tmp_path / "wide.csv", "-m", "percent")
    assert code == 2 and "two codebook versions, 1 and 2" in err


def test_machine_exported_under_another_codebook_version_than_the_ratings_is_refused(capsys, tmp_path):
    exported = exports_before_and_after_a_merge(capsys, tmp_path)
    for name, frame in exported.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    code, out, err = run(capsys, tmp_path / "codings2.csv", "--machine", tmp_path / "machine1.csv", "-m", "percent")
    assert code == 2 and not out and err.count("\n") == 1
    assert (f"{tmp_path / 'codings2.csv'} and {tmp_path / 'machine1.csv'} have codes exported under two codebook "
            "versions, 2 and 1") in err
    for ratings, machine in (("codings2", "machine2"), ("codings1", "machine1")):
        code, out, err = run(capsys, tmp_path / f"{ratings}.csv", "--machine", tmp_path / f"{machine}.csv",
                             "-m", "percent", "--format", "json")
        assert code in (0, None), err
        rows = {row["comparison"]: row for row in json.loads(out)["machine_comparison"]}
        assert rows["machine vs ann"]["percent"] == 1.0
    # a file without the column, or with it empty, passes against either
    exported["machine1"].drop(columns="codebook_version").to_csv(tmp_path / "bare.csv", index=False)
    exported["codings2"].assign(codebook_version="").to_csv(tmp_path / "empty.csv", index=False)
    for ratings, machine in (("codings2.csv", "bare.csv"), ("empty.csv", "machine1.csv")):
        code, out, err = run(capsys, tmp_path / ratings, "--machine", tmp_path / machine, "-m", "percent")
        assert code in (0, None), err
    # a machine file of two versions is refused by itself
    first = exported["machine1"]["segment_id"].unique()[:2]
    pd.concat([exported["machine1"][exported["machine1"]["segment_id"].isin(first)],
               exported["machine2"][~exported["machine2"]["segment_id"].isin(first)]]).to_csv(
        tmp_path / "machines.csv", index=False)
    code, out, err = run(capsys, tmp_path / "codings2.csv", "--machine", tmp_path / "machines.csv", "-m", "percent")
    assert code == 2 and "machines.csv has rows exported under two codebook versions, 1 and 2" in err


def test_long_single_label_file_is_a_plain_table(capsys, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("coder,unit,code\nA,u1,1\nB,u1,1\nA,u2,2\nB,u2,3\nA,u3,3\nB,u3,3\n")
    result = json.loads(run(capsys, path, "--format", "json", "-m", "alpha", "--level", "interval")[1])
    assert result["alpha"]["level"] == "interval" and result["alpha"]["n_units"] == 3


@pytest.mark.parametrize("content, args, message", [
    ("unit,A,B\n1,a,b\n2,a\n", (), "line 3 of .* has 2 cells; the header has 3"),
    ("unit,A,B\n1,a,b,c\n", (), "line 2 of .* has 4 cells"),
    ("unit,A\n1,a\n2,b\n", (), "1 coder column"),
    ("segment_id,code\n1,a\n2,b\n", (), "1 coder column\\(s\\) \\(wide format: a unit column, then one column per "
                                         "coder; a long file has the columns unit \\(or segment_id\\), coder, code: "
                                         "this one has no coder column\\)"),
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
    ("unit,rater,label\n1,A,a\n1,B,b\n", (), "unit '1' appears more than once in .*bad.csv \\(read as a wide file, "
                                             "one row per unit, with the coder columns rater, label; a long file has "
                                             "the columns unit \\(or segment_id\\), coder, code\\)"),
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
    # weights on presence/absence change nothing, yet the row was named 'quadratic weights'
    (MULTI_LABEL_LONG, ("--weights", "quadratic"), "--weights applies to single-label ratings"),
    ("unit,A,B\n1,a,b\n2,b,c\n", ("--categories", "a,b"), "rating 'c' is not among the declared categories"),
    ("unit,A,B\n1,a,b\n2,b,b\n", ("--categories", "a,,b"), "--categories has an empty category"),
    ("unit,A,B\n1,a,b\n2,b,b\n", ("--categories", "a,b,a"), "--categories names a category twice"),
    ("unit,A,B\n1,1,2\n2,2,2\n", ("--categories", "1,2,x"), "so --categories must be numbers too; got 'x'"),
    ("unit,A,,B\n1,a,b,b\n2,b,,b\n", (), "column 3 of .* holds ratings but has no coder name"),
    ("unit,A, ,B\n1,a,b,b\n2,b,,b\n", (), "column 3 of .* holds ratings but has no coder name"),  # was coder ''
    # coders named by zero-width characters alone, which the project store refuses, read as blank
    ("unit,A,\u200b,B\n1,a,b,b\n2,b,,b\n", (), "column 3 of .* holds ratings but has no coder name"),
    ("unit,coder,code\n1,ann,a\n1,\u200b\u200c,a\n2,ann,b\n", (), "line 3 of .* has a blank unit or coder"),
    ("document,start,end,code,coder\nd,0,5,x,ann\nd,0,5,x,\u2060\n", ("--overlap", "0.5"),
     "line 3 of .* has a blank document, coder or code"),
])
def test_bad_input_is_one_line_error(capsys, tmp_path, content, args, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, path, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("theme-assist: error:")
    assert re.search(message, err)


@pytest.mark.parametrize("name", ["project.qdpx", "project.QDE", "codebook.qdc"])
def test_a_refi_qda_file_is_sent_to_import_qdpx(capsys, tmp_path, name):
    path = tmp_path / name
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<Project name="p"/>\n')
    code, out, err = run(capsys, path)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"{path} is a REFI-QDA file, not a ratings table: import it first (theme-assist import-qdpx" in err


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
    # 'NA' and 'na' are named once, as missing markers, not a second time as codes apart only by case
    wide.write_text("unit,ann,bob\n1,NA,a\n2,a,na\n3,b,b\n")
    err = run(capsys, wide)[2]
    assert "read as the code(s) 'NA', 'na'" in err and "apart only by case" not in err


def test_a_category_declared_none_is_not_warned_of_as_a_missing_rating(capsys, tmp_path):
    """--categories yes,no,none declares "none" a category: agree still warned that it may mean a missing
    rating. Without --categories it is still named."""
    wide = tmp_path / "wide.csv"
    wide.write_text("unit,ann,bob\n1,none,yes\n2,yes,none\n3,no,no\n4,yes,yes\n5,no,no\n")
    code, out, err = run(capsys, wide, "--categories", "yes,no,none", "--format", "json", "-m", "percent")
    assert code in (0, None) and err == ""
    assert json.loads(out)["percent"]["n_units"] == 5
    assert "2 rating(s) read as the code(s) 'none'" in run(capsys, wide, "-m", "percent")[2]
    long = tmp_path / "long.csv"
    long.write_text("unit,coder,code\n1,ann,yes\n1,bob,none\n2,ann,no\n2,bob,no\n")
    assert run(capsys, long, "--categories", "yes, no, none", "-m", "percent")[2] == ""
    assert "read as the code(s) 'none'" in run(capsys, long, "-m", "percent")[2]  # not declared: said, as before


def test_a_rating_not_among_the_categories_is_refused_alone_not_after_a_missing_rating_warning(capsys, tmp_path):
    """--categories yes,no,NA and a cell "n/a": the refusal came after a warning that "n/a" may mean a missing
    rating (two lines, the first telling to leave the cells empty); so with a multi-label file, where --categories
    is refused. Where nothing is refused the warning is said as before."""
    wide = tmp_path / "wide.csv"
    wide.write_text("unit,ann,bob\n1,NA,yes\n2,yes,n/a\n3,no,no\n")
    code, _, err = run(capsys, wide, "--categories", "yes,no,NA", "-m", "percent")
    assert code == 2 and err == ("theme-assist: error: rating 'n/a' is not among the declared categories "
                                 "['yes', 'no', 'NA']\n")
    several = tmp_path / "several.csv"
    several.write_text("unit,coder,code\n1,ann,yes\n1,ann,none\n1,bob,yes\n2,ann,no\n2,bob,no\n")
    code, _, err = run(capsys, several, "--categories", "yes,no", "-m", "percent")
    assert code == 2 and err.count("\n") == 1 and err.startswith("theme-assist: error: --categories applies to")
    code, _, err = run(capsys, wide, "-m", "percent")
    assert code in (0, None) and "2 rating(s) read as the code(s) 'NA', 'n/a'" in err


def test_codes_written_apart_only_by_case_are_named(capsys, tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text("unit,ann,bob\n1,Hope,hope\n2,stigma,Stigma\n3,hope,hope\n")
    code, out, err = run(capsys, wide, "--format", "json", "-m", "percent")
    assert code in (0, None)
    assert err.strip() == (f"theme-assist: warning: {wide}: 2 code(s) written apart only by case are different "
                           "codes: 'Hope' / 'hope'; 'Stigma' / 'stigma'; write each code one way if they are one")
    assert round(json.loads(out)["percent"]["value"], 3) == 0.333  # read as written
    long = tmp_path / "long.csv"
    long.write_text("unit,coder,code\n1,ann,a\n1,bob,A\n2,ann,b\n2,bob,b\n")
    assert "1 code(s) written apart only by case are different codes: 'A' / 'a'" in run(capsys, long)[2]
    spans = tmp_path / "spans.csv"
    spans.write_text("document,start,end,code,coder\nd,0,5,hope,ann\nd,0,5,HOPE,bob\n")
    assert "'HOPE' / 'hope'" in run(capsys, spans, "--overlap", "0.9")[2]
    long.write_text("unit,coder,code\n1,ann,a\n1,Ann,b\n1,bob,a\n2,ann,b\n2,bob,b\n")
    assert "1 coder(s) written apart only by case are different coders: 'Ann' / 'ann'; write each coder one way" in \
        run(capsys, long)[2]
    plain = tmp_path / "plain.csv"
    plain.write_text("unit,ann,bob\n1,a,a\n2,b,\n3,c,b\n")
    assert run(capsys, plain)[2] == ""


def test_codes_written_apart_only_by_unicode_form_are_named(capsys, tmp_path):
    """'Zürich' typed on one computer and exported from a Mac ('u' and a combining diaeresis) look alike on screen:
    read as written, different codes, and named."""
    wide = tmp_path / "wide.csv"
    wide.write_text("unit,ann,bob\n1,Z\u00fcrich,Zu\u0308rich\n2,Bern,Bern\n3,Bern,Bern\n", encoding="utf-8")
    code, out, err = run(capsys, wide, "--format", "json", "-m", "percent")
    assert err.strip() == (f"theme-assist: warning: {wide}: 1 code(s) written alike in two Unicode forms (an accent "
                           "as one character, or as a letter and a combining mark) are different codes: "
                           "'Zu\\u0308rich' / 'Z\\xfcrich'; write each code one way if they are one")
    assert round(json.loads(out)["percent"]["value"], 3) == 0.667
    long = tmp_path / "long.csv"
    long.write_text("unit,coder,code\n1,Jos\u00e9,a\n1,Jose\u0301,b\n1,bob,a\n2,bob,b\n", encoding="utf-8")
    assert "1 coder(s) written alike in two Unicode forms" in run(capsys, long)[2]


def test_coders_and_codes_written_apart_only_by_invisible_characters_are_named(capsys, tmp_path):
    """'Ann' and 'Ann' with a zero-width space (a name pasted from a web page) look the same: read as two coders, as
    written, without a word."""
    long = tmp_path / "long.csv"
    long.write_text("unit,coder,code\n1,Ann\u200b,a\n2,Ann\u200b,b\n1,Ann,a\n2,Ann,b\n1,bob,a\n2,bob,b\n",
                    encoding="utf-8")
    code, out, err = run(capsys, long, "--format", "json", "-m", "percent")
    assert err.strip() == (f"theme-assist: warning: {long}: 1 coder(s) written alike but for invisible characters "
                           "(zero-width or formatting) are different coders: 'Ann' / 'Ann\\u200b'; write each coder "
                           "one way if they are one")
    assert json.loads(out)["coders"] == ["Ann", "Ann\u200b", "bob"]  # read as written: three coders
    wide = tmp_path / "wide.csv"
    wide.write_text("unit,ann,bob\n1,hope,\u2060hope\n2,work,work\n", encoding="utf-8")
    assert "1 code(s) written alike but for invisible characters (zero-width or formatting) are different codes: " \
           "'hope' / '\\u2060hope'" in run(capsys, wide)[2]
    plain = tmp_path / "plain.csv"
    plain.write_text("unit,coder,code\n1,Ann Lee,a\n1,AnnLee,a\n", encoding="utf-8")  # a space is seen
    assert "invisible" not in run(capsys, plain)[2]
    both = tmp_path / "both.csv"  # apart by an invisible character and by case at once: no single check groups them
    both.write_text("unit,coder,code\n1,Ann\u200b,a\n2,Ann\u200b,b\n1,ann,a\n2,ann,b\n", encoding="utf-8")
    assert run(capsys, both)[2].strip().startswith(
        f"theme-assist: warning: {both}: 1 coder(s) written apart in more than one of case, Unicode form and invisible "
        "characters are different coders: 'Ann\\u200b' / 'ann'")
    linked = tmp_path / "linked.csv"  # 'Hope' / 'hope' by case, 'hope' / 'hope\u200b' by it: all three said already
    linked.write_text("unit,coder,code\n1,A,Hope\n1,B,hope\n2,A,hope\u200b\n2,B,Hope\n3,A,hope\n3,B,hope\n",
                      encoding="utf-8")
    warned = run(capsys, linked)[2]
    assert "only by case" in warned and "but for invisible" in warned and "together" not in warned


def test_numbers_written_two_ways_beside_text_codes_are_named(capsys, tmp_path):
    """A file of numbers alone compares them as numbers ('1' and '1.0' are one); beside a text code every code is read
    as written, and '1.0' agreed with no '1' without a word."""
    wide = tmp_path / "wide.csv"
    wide.write_text("unit,ann,bob\n1,1,1.0\n2,2,02\n3,other,other\n4,2,2\n")
    code, out, err = run(capsys, wide, "--format", "json", "-m", "percent")
    assert code in (0, None)
    assert err.strip() == (f"theme-assist: warning: {wide}: 2 number(s) written two ways are different codes, as "
                           "some codes are not numbers: '1' / '1.0'; '02' / '2'; write each number one way if they "
                           "are one")
    assert json.loads(out)["percent"]["value"] == 0.5  # read as written
    long = tmp_path / "long.csv"
    long.write_text("unit,coder,code\n1,ann,1\n1,bob,1.0\n2,ann,x\n2,bob,x\n")
    assert "1 number(s) written two ways are different codes" in run(capsys, long)[2]
    spans = tmp_path / "spans.csv"
    spans.write_text("document,start,end,code,coder\nd,0,5,1,ann\nd,0,5,1.0,bob\nd,6,9,x,bob\n")
    assert "'1' / '1.0'" in run(capsys, spans, "--overlap", "0.9")[2]
    for numbers in (wide, long):  # numbers alone are compared as numbers: nothing to say
        numbers.write_text(numbers.read_text().replace("other", "3").replace(",x", ",3"))
        assert run(capsys, numbers)[2] == ""


def test_units_a_coder_has_no_row_for_in_a_multi_label_file_are_named(capsys, tmp_path):
    """The warning counted the units a coder has no row for, read as given no code, but did not say which: the
    first three of each coder are named."""
    path = tmp_path / "multi.csv"
    path.write_text("unit,coder,code\n1,ann,a\n1,ann,b\n1,bob,a\n2,ann,a\n3,ann,b\n3,bob,\n")
    code, out, err = run(capsys, path, "--format", "json", "-m", "alpha")
    assert code in (0, None)
    assert err.strip().splitlines() == [
        f"theme-assist: warning: {path}: multi-label ratings take every coder to have coded every unit: a unit "
        "without a row of a coder counts as given no code (the empty set), not as a missing rating; a row with an "
        "empty code says a coder read a unit (bob: 1 of 3 units: 2)"]
    assert json.loads(out)["masi_alpha"]["n_units"] == 3  # unit 2 counts, bob's rating the empty set
    path.write_text("unit,coder,code\n1,ann,a\n1,ann,b\n1,bob,a\n2,ann,a\n2,bob,\n")
    assert run(capsys, path, "-m", "alpha")[2] == ""  # 1 of 3 unit-coder pairs has two codes: no stray row
    # a project export has no row where a coder left a segment without a code: its advice is not a row of its own
    path.write_text("segment_id,code,coder,segmentation\nd:1,a,ann,t\nd:1,b,ann,t\nd:1,a,bob,t\nd:2,a,ann,t\n")
    err = run(capsys, path, "-m", "alpha")[2]
    assert "a project export has no row where a coder left a segment without a code" in err
    assert "(bob: 1 of 2 units: d:2)" in err and "a row with an empty code" not in err
    path.write_text("unit,coder,code\n" + "".join(f"u{i},ann,a\n" for i in range(7)) + "u0,ann,b\nu0,bob,a\n"
                    "u2,cat,a\nu4,cat,a\nu5,cat,a\nu6,cat,a\n")
    err = " ".join(run(capsys, path, "-m", "alpha")[2].split())
    assert "(bob: 6 of 7 units: u1, u2, u3 and 3 more; cat: 3 of 7 units: u0, u1, u3)" in err


def test_a_long_file_read_as_multi_label_says_which_rows_make_it_so(capsys, tmp_path):
    """One stray row with a second code for a unit and coder turned a whole single-label file into code sets,
    compared with MASI and per code, and only the table's caption said "multi-label": now a warning names how many
    units and coders have several codes and their lines, and a refusal of a single-label option says them too."""
    path = tmp_path / "long.csv"
    rows = [f"u{i},{coder},{'ab'[i % 2]}" for i in range(1, 21) for coder in ("ann", "bob")]
    path.write_text("unit,coder,code\n" + "\n".join(rows[:7] + ["u4,ann,b"] + rows[7:]) + "\n")
    code, _, err = run(capsys, path, "--format", "json")
    assert code in (0, None), err
    assert err.strip() == (f"theme-assist: warning: {path}: read as multi-label: 1 of 40 unit-coder pair(s) have "
                           "several codes (line 8, 9; first: unit 'u4', coder 'ann': 'a', 'b'); if each coder gave "
                           "each unit one code, those rows are stray: correct them")
    code, out, err = run(capsys, path, "--level", "ordinal")
    assert code == 2 and out == "" and err.count("\n") == 1  # the refusal alone, saying why the file is multi-label
    assert err.strip().endswith("per code as presence/absence (" + str(path) + ": 1 of 40 unit-coder pair(s) have "
                                "several codes (line 8, 9; first: unit 'u4', coder 'ann': 'a', 'b'))")
    code, out, err = run(capsys, path, "-m", "kappa")  # refused by the multi-label summary: alone too
    assert code == 2 and out == "" and err.strip() == (
        "theme-assist: error: unknown metric 'kappa'; choose from percent, cohen, scott, bennett_s, fleiss, conger, "
        "ac1, light, alpha, brennan_prediger")
    path.write_text("unit,coder,code\n" + "\n".join(rows) + "\n")
    assert run(capsys, path)[2] == ""
    # a file of code sets throughout (a fifth of the pairs have two codes) is said so by its caption alone
    path.write_text("unit,coder,code\n" + "\n".join(rows + [f"u{i},ann,c" for i in range(1, 9)]) + "\n")
    assert run(capsys, path)[2] == ""


def test_a_long_files_coder_without_a_single_code_is_left_out_as_a_wide_files_is(capsys, tmp_path):
    """A sheet made out unit by coder for a coder yet to start: counted as a third coder, all missing, it took
    Cohen's kappa away ('defined for two coders; the table has 3'), where the same wide file left the coder out."""
    path = tmp_path / "long.csv"
    path.write_text("unit,coder,code\n1,ann,a\n1,bob,a\n2,ann,b\n2,bob,a\n3,ann,b\n3,bob,b\n1,cy,\n2,cy,\n3,cy,\n")
    code, out, err = run(capsys, path, "-m", "cohen", "--format", "json")
    assert code in (0, None), err
    assert "the coder(s) cy gave no code and are left out" in err
    assert round(json.loads(out)["cohen"]["value"], 3) == 0.4
    # coders are counted without them, as in a wide file: one coder who coded is refused, not read as one coder
    path.write_text("unit,coder,code\n1,ann,a\n2,ann,b\n1,cy,\n2,cy,\n")
    code, _, err = run(capsys, path)
    assert code == 2 and "has 1 coder" in err


def test_a_multi_label_files_coder_without_a_single_code_is_named(capsys, tmp_path):
    """In a multi-label file an empty code is a unit read and given no code, so a coder yet to start counts as
    finding none of the codes anywhere, and each coefficient counts that: said."""
    path = tmp_path / "long.csv"
    path.write_text("unit,coder,code\nu1,a,x\nu1,a,y\nu1,b,x\nu2,a,x\nu2,b,y\nu3,a,y\nu3,b,y\nu1,c,\nu2,c,\nu3,c,\n")
    code, _, err = run(capsys, path, "-m", "conger")
    assert code in (0, None), err
    assert err.strip().splitlines() == [
        f"theme-assist: warning: {path}: the coder(s) c gave no code to any unit; multi-label ratings count them as "
        "having read every unit and found none of the codes; if they have not coded yet, leave their rows out"]
    path.write_text("unit,coder,code\nu1,a,x\nu1,a,y\nu1,b,x\nu2,a,\nu2,b,y\nu3,a,y\nu3,b,\n")
    assert run(capsys, path, "-m", "conger")[2] == ""  # an empty code of a coder who coded other units



def test_a_wide_files_unit_column_need_not_come_first(capsys, tmp_path):
    """A CODED.csv whose columns were moved in a spreadsheet (code, segment_id): its codes were read as units and
    its segment ids dropped as a segment column ('0 coder column(s)'); with its texts first, the texts were units."""
    machine = tmp_path / "out.csv"
    machine.write_text("segment_id,code,score,rank\nd:0,x,0.9,1\nd:1,y,0.8,1\nd:2,x,0.7,1\nd:3,y,0.9,1\n")
    for header, rows in (("code,segment_id", ["x,d:0", "y,d:1", "y,d:2", "y,d:3"]),
                         ("text,segment_id,code", ["Hi.,d:0,x", "Yes.,d:1,y", "Yes.,d:2,y", "No.,d:3,y"])):
        coded = tmp_path / "coded.csv"
        coded.write_text(header + "\n" + "\n".join(rows) + "\n")
        code, out, err = run(capsys, coded, "--machine", machine, "--format", "json", "-m", "percent")
        assert code in (0, None), err
        row = json.loads(out)["machine_comparison"][0]
        assert (row["comparison"], row["n_units"], row["percent"]) == ("machine vs coded.csv", 4, 0.75)
    wide = tmp_path / "wide.csv"
    wide.write_text("ann,unit,bob\na,u1,a\na,u2,b\nb,u3,b\n")
    assert round(json.loads(run(capsys, wide, "--format", "json", "-m", "percent")[1])["percent"]["value"], 3) == \
        0.667

def test_a_segments_tables_own_columns_are_not_coders(capsys, tmp_path):
    path = tmp_path / "segments.csv"  # suggest --segments-out, coded in a spreadsheet
    path.write_text("segment_id,text,Document,speaker,start,end,ann,bob\nd:0,Hi,d,A,0,2,x,x\nd:1,Fine,d,B,3,7,y,x\n"
                    "d:2,Ok,d,A,8,10,y,y\n")
    code, out, err = run(capsys, path, "--format", "json", "-m", "cohen")
    assert code in (0, None)
    assert err.strip() == (f"theme-assist: warning: {path}: the segment column(s) text, Document, speaker, start, end "
                           "are no coders and are left out (any other column counts as a coder: delete metadata "
                           "columns)")
    result = json.loads(out)["cohen"]
    assert result["n_coders"] == 2 and round(result["value"], 3) == 0.4


def test_a_coded_table_alone_is_refused_without_a_warning_first(capsys, tmp_path):
    """`agree coded.csv` warned that its text column was left out, then refused the file: the warning was noise."""
    path = tmp_path / "coded.csv"
    path.write_text("segment_id,text,code,cat\nd:0,Hi,a,\nd:1,Fine,b,\n")
    code, _, err = run(capsys, path)
    assert code == 2 and err.strip().startswith(f"theme-assist: error: {path} has 1 coder column(s)"), err
    assert "warning" not in err


def test_a_coded_segments_table_with_metadata_columns_is_refused_naming_them(capsys, tmp_path):
    """suggest --segments-out --metadata, coded in a spreadsheet (the README's CODED.csv), given to agree --machine:
    its site and country columns were read as coders beside code, and compared with each other and the machine."""
    path = tmp_path / "coded.csv"
    path.write_text("segment_id,document,text,segmentation,site,country,code\nd:0,d,Hi,v1-turn-1000,Ulm,DE,a\n"
                    "d:1,d,Fine,v1-turn-1000,Ulm,DE,b\nd:2,d,Ok,v1-turn-1000,Ulm,DE,\n")
    suggestions = tmp_path / "out.csv"
    suggestions.write_text("segment_id,code,score,rank\nd:0,a,0.9,1\nd:1,a,0.9,1\nd:2,b,0.9,1\n")
    code, _, err = run(capsys, path, "--machine", suggestions)
    assert code == 2 and err.strip().splitlines()[-1] == (
        f"theme-assist: error: {path} has a 'code' column, as a coded segments table (CODED.csv) has, and more "
        "columns that would each count as a coder: site, country; for one coder's codes keep only segment_id and "
        "code (delete metadata columns), or give a coder column (long format: unit or segment_id, coder, code)")
    path.write_text("segment_id,text,code\nd:0,Hi,a\nd:1,Fine,b\nd:2,Ok,\n")  # without them: one coder
    code, out, err = run(capsys, path, "--machine", suggestions, "--format", "json")
    assert code in (0, None), err
    # named by the file, as project init names a --coded table without a coder column (it was 'code')
    assert [row["comparison"] for row in json.loads(out)["machine_comparison"]] == ["machine vs coded.csv"]


def test_blank_trailing_columns_are_not_a_coder(capsys, tmp_path):
    """A spreadsheet's trailing separators give a column with a blank header and no ratings: not a third coder,
    which would take Cohen's κ and Scott's π away."""
    path = tmp_path / "ratings.csv"
    path.write_text("unit,A,B,,\nu1,1,1,,\nu2,2,1,,\nu3,2,2,,\n")
    code, out, err = run(capsys, path, "--format", "json")
    assert code in (0, None) and err == ""
    result = json.loads(out)
    assert result["cohen"]["n_coders"] == 2 and round(result["cohen"]["value"], 3) == 0.4


def test_a_coder_without_a_single_rating_is_left_out(capsys, tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text("unit,ann,bob,cat\n1,a,a,\n2,b,b,\n3,a,b,\n")
    code, out, err = run(capsys, path, "--format", "json", "-m", "cohen")
    assert code in (0, None)
    assert err.strip() == f"theme-assist: warning: {path}: the coder(s) cat gave no rating and are left out"
    assert json.loads(out)["cohen"]["n_coders"] == 2
    path.write_text("unit,ann,bob\n1,a,\n2,b,\n")
    code, out, err = run(capsys, path)
    assert code == 2 and "has 1 coder column(s)" in err


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


def test_help_says_weights_go_by_the_ratings_values_not_their_ranks(capsys):
    """scikit-learn's weighted kappa ranks the labels; ours, as irrCAC's, takes their values: 1, 2, 5 differ."""
    with pytest.raises(SystemExit):
        main(["agree", "--help"])
    help_text = " ".join(capsys.readouterr().out.replace("│", " ").split())
    assert "by how far apart the ratings' values are (as irrCAC; scikit-learn takes their ranks: 1, 2, 5 as 1, 2, " \
           "3), or labels' positions in --categories" in help_text


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
    assert all(entry["interval"] == "bca" and entry["seed"] == 3 for entry in metrics_of(result).values())
    table = run(capsys, wide, "--bootstrap", "200", "--seed", "3")[1]
    caption = " ".join(table.split())
    assert "95% BCa bootstrap intervals, 200 resamples, seed 3: units resampled with replacement, for alpha " \
           "too" in caption
    table = run(capsys, wide, "--bootstrap", "200", "--seed", "3", "--alpha-bootstrap", "coincidences")[1]
    assert "95% percentile bootstrap intervals, 200 resamples, seed 3: units resampled with replacement; alpha: " \
           "pairs of values drawn from the coincidences (Hayes & Krippendorff 2007)" in " ".join(table.split())
    sparse = wide.with_name("sparse.csv")
    sparse.write_text("unit,A,B\nu1,a,a\nu2,b,b\nu3,a,\nu4,,b\n")
    table = " ".join(run(capsys, sparse, "--bootstrap", "200", "-m", "percent")[1].split())
    assert re.search(r"undefined on \d+ of 200 resamples, left out of the interval", table)


def test_a_zero_width_interval_is_not_passed_off_as_certainty(capsys, tmp_path):
    """Coders agreeing on every one of 5 units give 1.000–1.000 from both intervals: the note says what it is not."""
    same = tmp_path / "same.csv"
    same.write_text("unit,A,B\nu1,x,x\nu2,y,y\nu3,x,x\nu4,z,z\nu5,y,y\n")
    table = re.sub(r"[│\s]+", " ", run(capsys, same, "--interval", "both", "--bootstrap", "200", "-m", "cohen")[1])
    assert "1.000–1.000" in table  # the note's cell folds over lines: read without the rules between cells
    assert "zero-width interval: the units show no variation to resample or measure; it is no evidence that the " \
           "population value is exactly 1.000" in table
    for interval in (["--bootstrap", "200"], ["--interval", "analytic"]):  # either interval alone
        assert "zero-width interval" in re.sub(r"[│\s]+", " ", run(capsys, same, *interval, "-m", "cohen")[1])
    wide = tmp_path / "wide.csv"
    wide.write_text(KRIPPENDORFF_WIDE)
    assert "zero-width" not in run(capsys, wide, "--interval", "both", "--bootstrap", "200")[1]



def test_one_resample_is_not_called_units_without_variation(capsys, tmp_path):
    """--bootstrap 1 gives an interval of one resample's value, not the estimate's: the zero-width note, which says
    the units show no variation, is not given."""
    wide = tmp_path / "wide.csv"
    wide.write_text(KRIPPENDORFF_WIDE)
    result = json.loads(run(capsys, wide, "--bootstrap", "1", "-m", "alpha", "--format", "json")[1])
    low, high = result["alpha"]["ci"]
    assert low == high != result["alpha"]["value"]
    assert "zero-width" not in run(capsys, wide, "--bootstrap", "1", "-m", "alpha")[1]

def test_report_says_how_missing_ratings_were_treated(capsys, tmp_path):
    """Units rated once count for the chance agreement of kappa, pi and AC1, not for alpha: the report says so."""
    sparse = tmp_path / "sparse.csv"
    sparse.write_text("unit,A,B\nu1,a,a\nu2,b,b\nu3,a,\nu4,,b\nu5,a,b\n")
    table = " ".join(run(capsys, sparse)[1].split())
    assert "missing ratings (2 of 10): observed agreement over the units rated two or more times; chance " \
           "agreement (kappa, pi, AC1) from every rating, units rated once included (Gwet 2014); chance agreement " \
           "(S) from the number of categories alone; observed and expected disagreement (alpha) from the pairable " \
           "values alone (units rated two or more times)" in table
    complete = tmp_path / "complete.csv"
    complete.write_text("unit,A,B\nu1,a,a\nu2,b,b\nu3,a,b\n")
    assert "missing ratings" not in run(capsys, complete)[1]
    # only the coefficients asked for are named
    alpha_only = " ".join(run(capsys, sparse, "-m", "alpha")[1].split())
    assert "missing ratings (2 of 10): observed and expected disagreement (alpha) from the pairable values alone " \
           "(units rated two or more times)" in alpha_only and "chance agreement" not in alpha_only
    assert "(alpha)" not in " ".join(run(capsys, sparse, "-m", "cohen")[1].split())


def test_the_missing_ratings_note_names_ac2_where_the_table_does(capsys, tmp_path):
    """With --weights the table's row is Gwet's AC2; the note on missing ratings called it AC1."""
    sparse = tmp_path / "sparse.csv"
    sparse.write_text("unit,A,B\nu1,1,1\nu2,2,2\nu3,1,\nu4,,3\nu5,1,3\n")
    table = " ".join(run(capsys, sparse, "--weights", "linear", "-m", "cohen", "-m", "ac1")[1].split())
    assert "Gwet's AC2" in table and "chance agreement (kappa, AC2) from every rating" in table
    assert "chance agreement (kappa, AC1)" in " ".join(run(capsys, sparse, "-m", "cohen", "-m", "ac1")[1].split())


def test_json_says_how_missing_ratings_were_treated(capsys, tmp_path):
    """The table's note on missing ratings was not in --format json: each coefficient's entry carries it, with the
    counts, and the top level stays metric name → entry."""
    sparse = tmp_path / "sparse.csv"
    sparse.write_text("unit,A,B\nu1,a,a\nu2,b,b\nu3,a,\nu4,,b\nu5,a,b\n")
    result = json.loads(run(capsys, sparse, "--format", "json", "-m", "percent", "-m", "cohen", "-m",
                            "brennan_prediger", "-m", "alpha")[1])
    assert list(result) == ["percent", "cohen", "brennan_prediger", "alpha", "n_units", "coders"]
    treated = {name: entry["missing_ratings"] for name, entry in metrics_of(result).items()}
    assert all(entry["count"] == 2 and entry["of"] == 10 for entry in treated.values())
    assert treated["percent"]["treatment"] == "observed agreement over the units rated two or more times"
    assert treated["cohen"]["treatment"].endswith("chance agreement from every rating, units rated once included "
                                                  "(Gwet 2014)")
    assert "number of categories" in treated["brennan_prediger"]["treatment"]
    assert "pairable values alone" in treated["alpha"]["treatment"]
    complete = tmp_path / "complete.csv"
    complete.write_text("unit,A,B\nu1,a,a\nu2,b,b\nu3,a,b\n")
    result = json.loads(run(capsys, complete, "--format", "json")[1])
    assert not any("missing_ratings" in entry for entry in metrics_of(result).values())


def test_a_row_no_coder_rated_is_no_unit_and_holds_no_missing_rating(capsys, tmp_path):
    """A wide file's row that no coder rated is left out of n_units: its empty cells were counted as missing ratings
    (the report said "3 units ... 2 of 8 ratings were missing" of complete ratings) and the table's title counted it."""
    with_empty = tmp_path / "with_empty.csv"
    with_empty.write_text("unit,A,B\nu1,a,a\nu2,b,b\nu3,a,b\nu4,,\n")
    table = " ".join(run(capsys, with_empty, "-m", "cohen")[1].split())
    assert "Agreement: 3 units, 2 coders" in table and "missing ratings" not in table
    result = json.loads(run(capsys, with_empty, "--format", "json", "-m", "cohen")[1])
    assert result["n_units"] == 3 and "missing_ratings" not in result["cohen"]
    assert "No rating was missing" in run(capsys, with_empty, "--format", "markdown", "-m", "cohen")[1]
    sparse = tmp_path / "sparse.csv"
    sparse.write_text("unit,A,B\nu1,a,a\nu2,b,b\nu3,a,\nu4,,b\nu5,a,b\nu6,,\n")
    result = json.loads(run(capsys, sparse, "--format", "json", "-m", "cohen")[1])
    assert result["cohen"]["missing_ratings"]["count"] == 2 and result["cohen"]["missing_ratings"]["of"] == 10
    assert "missing ratings (2 of 10)" in run(capsys, sparse, "-m", "cohen")[1]
    assert "2 of 10 ratings were missing" in run(capsys, sparse, "--format", "markdown", "-m", "cohen")[1]


def test_the_table_and_the_json_say_alike_how_missing_ratings_were_treated(capsys, tmp_path):
    """The table's note and the JSON's held their own words and disagreed: the table left out Bennett's S (chance
    agreement from the number of categories alone) and worded alpha otherwise."""
    sparse = tmp_path / "sparse.csv"
    sparse.write_text("unit,A,B\nu1,a,a\nu2,b,b\nu3,a,\nu4,,b\nu5,a,b\n")
    table = " ".join(run(capsys, sparse)[1].split())
    for name, entry in metrics_of(json.loads(run(capsys, sparse, "--format", "json")[1])).items():
        for part in entry["missing_ratings"]["treatment"].split("; "):
            what, _, rest = part.partition(" from ")
            labelled = rf"{re.escape(what)} \([^)]+\) from {re.escape(rest)}"  # "chance agreement (kappa, pi) from"
            assert part in table or re.search(labelled, table), (name, part)


def test_reading_a_wide_file_raises_no_deprecation_warning(tmp_path):
    import warnings

    from theme_assist.agree.reading import read_ratings

    path = tmp_path / "ratings.csv"
    path.write_text("unit,A,B,C\nu1,1,,\nu2,2,2,\nu3,a,a,\n")  # C rated nothing: replace() downcast it
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ratings = read_ratings(path).ratings
    assert ratings.isna().to_numpy().tolist() == [[False, True], [False, False], [False, False]]  # C left out


# Span codings (document, start, end, code, coder), as import-qdpx writes codings.csv, on the units of
# SEGMENTS.csv (suggest --segments-out). By hand, a unit a coder put no span on being rated "(no code)":
#   unit  A         B          (p1 0-100, p2 100-200, p3 200-300, p4 300-400 of d1; q1 0-50, q2 50-100 of d2)
#   p1    hope      hope
#   p2    stigma    hope       (B's 150-190 hope)
#   p3    hope      (no code)
#   p4    (no code) stigma
#   q1    hope      hope
#   q2    (no code) (no code)
# percent = 3/6; Cohen: marginals hope 3, stigma 1, none 2 for both, p_e = (9 + 1 + 4)/36, κ = (1/2 - 14/36) /
# (1 - 14/36) = 4/22.
SPANS = """document,start,end,code,coder,text,code_name
d1,10,50,hope,A,"a quote, with a comma",Hope
d1,120,180,stigma,A,x,Stigma
d1,210,260,hope,A,x,Hope
d2,0,40,hope,A,x,Hope
d1,20,60,hope,B,x,Hope
d1,150,190,hope,B,x,Hope
d1,300,350,stigma,B,x,Stigma
d2,10,45,hope,B,x,Hope
"""
SEGMENTS = """segment_id,document,start,end,text
p1,d1,0,100,a
p2,d1,100,200,b
p3,d1,200,300,c
p4,d1,300,400,d
q1,d2,0,50,e
q2,d2,50,100,f
"""
UNIT_TABLE = {"A": ["hope", "stigma", "hope", "(no code)", "hope", "(no code)"],
              "B": ["hope", "hope", "(no code)", "stigma", "hope", "(no code)"]}
# MAXQDA-style: A 0-100 hope vs B 5-100 hope overlap 95/100 (agree at 0.9); A 200-300 stigma vs B 200-260 stigma
# overlap 60/100 (agree only at 0.6 or less); A 400-500 hope and B 600-700 hope match nothing.
OVERLAPPING = """document,start,end,code,coder
d1,0,100,hope,A
d1,200,300,stigma,A
d1,400,500,hope,A
d1,5,100,hope,B
d1,200,260,stigma,B
d1,600,700,hope,B
"""
WIDE_FOR_MACHINE = "unit,ann,bob\ns1,hope,hope\ns2,hope,stigma\ns3,stigma,stigma\ns4,work,work\ns5,hope,hope\n" \
                   "s6,stigma,stigma\n"
SUGGESTIONS = """segment_id,code,score,rank,evidence
s1,hope,0.9,1,"[""a quote""]"
s1,stigma,0.5,2,[]
s2,stigma,0.8,1,[]
s3,stigma,0.7,1,[]
s4,work,0.4,1,[]
s5,work,0.6,1,[]
s6,stigma,0.9,1,[]
s9,hope,0.9,1,[]
"""


@pytest.fixture()
def span_files(tmp_path):
    paths = {}
    for name, content in (("spans", SPANS), ("segments", SEGMENTS), ("overlapping", OVERLAPPING),
                          ("wide", WIDE_FOR_MACHINE), ("suggestions", SUGGESTIONS)):
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_text(content)
    return paths


def test_span_codings_on_units_are_rated_like_a_long_file(capsys, span_files):
    from sklearn.metrics import cohen_kappa_score

    code, out, err = run(capsys, span_files["spans"], "--units", span_files["segments"], "--format", "json")
    assert code in (0, None) and err == ""
    result = json.loads(out)
    assert "masi_alpha" not in result and result["percent"]["n_units"] == 6
    assert result["percent"]["value"] == pytest.approx(3 / 6)
    assert result["cohen"]["value"] == pytest.approx(4 / 22)
    assert result["cohen"]["value"] == pytest.approx(cohen_kappa_score(UNIT_TABLE["A"], UNIT_TABLE["B"]))
    assert result["cohen"]["n_categories"] == 3  # hope, stigma, (no code)
    table = " ".join(run(capsys, span_files["spans"], "--units", span_files["segments"])[1].split())
    assert "Agreement: 6 units, 2 coders" in table and "Percent agreement │ 0.500 │ 6" in table
    assert "span codings on the 6 units of" in table and "the rating is '(no code)'" in table


def test_span_codings_on_units_with_a_minimum_coverage(capsys, span_files):
    """At coverage 0.55 a span codes a unit only where it covers 55 % of it: A's 120-180 stigma (60 % of p2), A's
    0-40 and B's 10-45 hope (80 % and 70 % of q1); the others cover 50 % or less. p1, p3, p4, q2 are (no code)
    for both, q1 hope for both, p2 stigma / (no code): 5 of 6 agree."""
    result = json.loads(run(capsys, span_files["spans"], "--units", span_files["segments"], "--min-coverage",
                            "0.55", "--format", "json", "-m", "percent")[1])
    assert result["percent"]["value"] == pytest.approx(5 / 6)


def test_span_codings_on_units_multi_label(capsys, span_files, tmp_path):
    """A second code from A on p1 makes the data multi-label: MASI-α on code sets, presence/absence per code,
    every unit of SEGMENTS.csv counted (uncoded ones as absences for both coders)."""
    multi = tmp_path / "multi.csv"
    multi.write_text(SPANS + "d1,60,90,stigma,A,x,Stigma\n")
    result = json.loads(run(capsys, multi, "--units", span_files["segments"], "--format", "json", "-m",
                            "percent")[1])
    assert list(result) == ["masi_alpha", "percent", "n_units", "coders"]
    assert result["masi_alpha"]["n_units"] == 6
    by_code = result["percent"]["by_code"]
    # hope: A p1 p3 q1, B p1 p2 q1 → agree on p1, p4, q1, q2; stigma: A p1 p2, B p4 → agree on p3, q1, q2
    assert by_code["hope"]["value"] == pytest.approx(4 / 6) and by_code["hope"]["prevalence"] == 0.5
    assert by_code["stigma"]["value"] == pytest.approx(3 / 6) and by_code["stigma"]["prevalence"] == 0.25
    assert result["percent"]["n_units"] == 12 and result["percent"]["value"] == pytest.approx(7 / 12)


def test_span_codings_segment_agreement_by_overlap(capsys, span_files):
    code, out, err = run(capsys, span_files["overlapping"], "--overlap", "0.9", "--format", "json")
    assert code in (0, None) and err == ""
    (pair,) = json.loads(out)["segment_agreement"]
    assert pair["coders"] == ["A", "B"] and pair["min_overlap"] == 0.9
    rows = {row["code"]: row for row in pair["codes"]}
    assert list(rows) == ["hope", "stigma", "(all codes)"]
    assert [rows["hope"][k] for k in ("agreements", "disagreements", "total", "percent")] == [2, 2, 4, 0.5]
    assert [rows["stigma"][k] for k in ("agreements", "disagreements", "total")] == [0, 2, 2]
    assert rows["(all codes)"]["percent"] == pytest.approx(2 / 6)
    assert pair["kappa_bp"] == pytest.approx((2 / 6 - 1 / 2) / (1 - 1 / 2)) and pair["reason"] is None
    looser = json.loads(run(capsys, span_files["overlapping"], "--overlap", "0.6", "--format", "json")[1])
    assert looser["segment_agreement"][0]["kappa_bp"] == pytest.approx((4 / 6 - 1 / 2) / (1 - 1 / 2))
    table = " ".join(run(capsys, span_files["overlapping"], "--overlap", "0.9")[1].split())
    assert "Segment agreement: A vs B" in table and "(all codes) │ 2 │ 4 │ 6 │ 0.333 │ -0.333" in table


def test_segment_agreement_for_each_pair_of_three_coders(capsys, span_files, tmp_path):
    three = tmp_path / "three.csv"
    three.write_text(OVERLAPPING + "d1,0,100,hope,C\n")
    pairs = json.loads(run(capsys, three, "--overlap", "0.9", "--format", "json")[1])["segment_agreement"]
    assert [pair["coders"] for pair in pairs] == [["A", "B"], ["A", "C"], ["B", "C"]]
    # A vs C: A's 0-100 hope and C's match; A's stigma and 400-500 hope do not → 2 of 4
    assert pairs[1]["codes"][-1]["agreements"] == 2 and pairs[1]["codes"][-1]["total"] == 4
    assert pairs[1]["codes"][1] == {"code": "stigma", "agreements": 0, "disagreements": 1, "total": 1,
                                    "percent": 0.0}


def test_machine_as_one_more_coder(capsys, span_files):
    from sklearn.metrics import cohen_kappa_score

    code, out, err = run(capsys, span_files["wide"], "--machine", span_files["suggestions"], "--format", "json")
    assert code in (0, None) and err == ""
    result = json.loads(out)
    assert round(result["cohen"]["value"], 6) == round(cohen_kappa_score(*(pd.read_csv(span_files["wide"])[c]
                                                                            for c in ("ann", "bob"))), 6)
    rows = {row["comparison"]: row for row in result["machine_comparison"]}
    assert list(rows) == ["machine vs ann", "machine vs bob", "machine vs human majority", "ann vs bob"]
    machine = ["hope", "stigma", "stigma", "work", "work", "stigma"]  # rank 1 of s1…s6; s9 is no unit
    ann = ["hope", "hope", "stigma", "work", "hope", "stigma"]
    assert rows["machine vs ann"]["n_units"] == 6 and rows["machine vs ann"]["kind"] == "machine-human"
    assert rows["machine vs ann"]["percent"] == pytest.approx(4 / 6)
    assert rows["machine vs ann"]["cohen"] == pytest.approx(cohen_kappa_score(machine, ann))
    assert rows["machine vs ann"]["prevalence"] is None  # three categories
    assert rows["ann vs bob"]["percent"] == pytest.approx(5 / 6)
    assert set(rows["ann vs bob"]) == {"comparison", "kind", "n_units", "prevalence", "percent", "cohen", "ac1",
                                       "alpha", "note", "metrics"}
    assert rows["ann vs bob"]["metrics"]["cohen"]["coefficient"] == "Cohen's kappa"
    assert "ci" not in rows["ann vs bob"]["metrics"]["cohen"]
    table = " ".join(run(capsys, span_files["wide"], "--machine", span_files["suggestions"])[1].split())
    assert table.index("Agreement: 6 units, 2 coders") < table.index("Machine vs humans")
    assert "machine vs ann │ 6 │ — │ 0.667 │" in table
    assert "human majority: the code most coders gave, on units two or more rated, ties left out (two coders: only " \
           "the units they agreed on)" in table


def test_machine_rows_have_the_intervals_of_a_human_pair_on_the_same_columns(capsys, span_files, tmp_path):
    """The machine rows had no intervals. Machine vs ann is computed as a human pair would be: the same two
    columns given as coders get the same bootstrap and analytic figures, and the seed fixes them."""
    options = ("--interval", "both", "--bootstrap", "300", "--seed", "7", "--format", "json")
    result = json.loads(run(capsys, span_files["wide"], "--machine", span_files["suggestions"], *options)[1])
    rows = {row["comparison"]: row for row in result["machine_comparison"]}
    pair = tmp_path / "pair.csv"  # the machine's rank-1 codes of s1…s6 as a coder beside ann
    pair.write_text("unit,machine,ann\ns1,hope,hope\ns2,stigma,hope\ns3,stigma,stigma\ns4,work,work\n"
                    "s5,work,hope\ns6,stigma,stigma\n")
    own_seed = rows["machine vs ann"]["metrics"]["cohen"]["seed"]  # the row's own, derived from 7 (and printed)
    human_pair = json.loads(run(capsys, pair, *options[:4], "--seed", own_seed, *options[-2:])[1])
    for name in ("percent", "cohen", "ac1", "alpha"):
        entry = rows["machine vs ann"]["metrics"][name]
        assert entry["ci"][0] is not None and entry["seed"] == own_seed and entry["analytic"]["ci"][0] is not None
        assert entry == human_pair[name]
    assert rows["ann vs bob"]["metrics"]["cohen"] == result["cohen"]  # the human pair, as in the summary
    assert rows["machine vs human majority"]["metrics"]["alpha"]["method"] == "units"
    again = json.loads(run(capsys, span_files["wide"], "--machine", span_files["suggestions"], *options)[1])
    assert again == result
    table = " ".join(run(capsys, span_files["wide"], "--machine", span_files["suggestions"], *options[:-2])[1]
                     .split())
    low, high = rows["machine vs ann"]["metrics"]["cohen"]["ci"]
    assert f"{low:.3f}–{high:.3f}" in table and "its 95% bootstrap interval, then its 95% analytic interval" in table


def test_each_machine_comparison_draws_its_own_resamples(capsys, tmp_path):
    """All rows shared the one seed, so comparisons on as many units drew the same units: machine vs ann and
    machine vs bob, given the same ratings, got identical resamples. Each row's seed now derives from --seed and
    its two columns' names: different draws, the same again for the same seed, and the coders' row keeps --seed."""
    wide = tmp_path / "wide.csv"  # ann and bob rate alike, so only the draws can tell their rows apart
    wide.write_text("unit,ann,bob\n" + "".join(f"u{i},{'ab'[i % 2]},{'ab'[i % 2]}\n" for i in range(12)))
    suggestions = tmp_path / "out.csv"
    suggestions.write_text("segment_id,code,score,rank\n" + "".join(f"u{i},{'ab'[i % 3 == 0]},0.9,1\n"
                                                                     for i in range(12)))
    options = (wide, "--machine", suggestions, "--bootstrap", "300", "--seed", "11", "--format", "json")
    result = json.loads(run(capsys, *options)[1])
    rows = {row["comparison"]: row["metrics"]["cohen"] for row in result["machine_comparison"]}
    seeds = [entry["seed"] for entry in rows.values()]
    assert len(set(seeds)) == len(seeds) and rows["ann vs bob"]["seed"] == 11 == result["cohen"]["seed"]
    assert rows["machine vs ann"]["value"] == rows["machine vs bob"]["value"]
    assert rows["machine vs ann"]["ci"] != rows["machine vs bob"]["ci"]
    assert json.loads(run(capsys, *options)[1]) == result
    table = " ".join(run(capsys, *options[:-2])[1].split())
    assert "each comparison's bootstrap has its own seed, derived from seed 11 and the names of its two columns" \
        in table


def test_machine_with_intervals_where_the_coders_share_no_unit(capsys, tmp_path):
    """A project export of two coders who coded different segments: the majority row has no unit, and with
    intervals it is reported as undefined rather than refused ("cohen is defined for two coders")."""
    wide = tmp_path / "wide.csv"
    wide.write_text("unit,ann,bob\nu1,a,\nu2,b,\nu3,,a\nu4,,b\n")
    suggestions = tmp_path / "out.csv"
    suggestions.write_text("segment_id,code,score,rank\nu1,a,0.9,1\nu2,a,0.9,1\nu3,a,0.9,1\nu4,b,0.9,1\n")
    result = json.loads(run(capsys, wide, "--machine", suggestions, "--bootstrap", "50", "--interval", "both",
                            "--format", "json")[1])
    rows = {row["comparison"]: row for row in result["machine_comparison"]}
    assert rows["machine vs human majority"]["n_units"] == 0
    assert rows["machine vs human majority"]["metrics"]["cohen"]["ci"] == [None, None]
    assert rows["machine vs bob"]["cohen"] == 1.0


def test_metric_option_narrows_the_machine_table(capsys, span_files):
    """-m narrowed the coders' summary but not the machine table, which printed percent, cohen, ac1 and alpha
    whatever was asked. Its columns are the metrics asked for, keyed by the names given, in JSON too."""
    options = (span_files["wide"], "--machine", span_files["suggestions"], "-m", "ac1", "-m", "brennan_prediger")
    result = json.loads(run(capsys, *options, "--format", "json")[1])
    rows = {row["comparison"]: row for row in result["machine_comparison"]}
    assert list(rows["machine vs ann"]["metrics"]) == ["ac1", "brennan_prediger"]
    assert "cohen" not in rows["machine vs ann"] and "alpha" not in rows["ann vs bob"]
    assert rows["ann vs bob"]["metrics"]["ac1"] == result["ac1"]
    assert rows["ann vs bob"]["brennan_prediger"] == result["brennan_prediger"]["value"]
    table = " ".join(run(capsys, *options)[1].split())
    machine_table = table[table.index("Machine vs humans"):]
    assert "┃ comparison ┃ n ┃ prevalence ┃ ac1 ┃ brennan_prediger ┃ note ┃" in machine_table
    assert "cohen" not in machine_table and "alpha" not in machine_table


def test_per_code_table_says_why_a_value_is_undefined(capsys, tmp_path):
    """The per-code table printed "—" where the JSON says why (every coder gave stigma everywhere: κ has no
    variation) and nothing of the resamples left out of an interval."""
    path = tmp_path / "long.csv"
    path.write_text("unit,coder,code\ns1,A,stigma\ns1,A,hope\ns1,B,stigma\ns2,A,stigma\ns2,B,stigma\ns2,B,hope\n"
                    "s3,A,stigma\ns3,B,stigma\ns3,B,hope\n")
    result = json.loads(run(capsys, path, "-m", "cohen", "-m", "ac1", "--format", "json")[1])
    reason = result["cohen"]["by_code"]["stigma"]["reason"]
    assert result["cohen"]["by_code"]["stigma"]["value"] is None and "no variation" in reason
    table = " ".join(run(capsys, path, "-m", "cohen", "-m", "ac1")[1].split())
    per_code = table[table.index("Per code"):]
    assert "┃ note ┃" in per_code and f"cohen: {reason.split(':')[0]}" in per_code


def test_machine_table_names_its_weighted_coefficients(capsys, tmp_path):
    """With --weights the machine table's percent, cohen and ac1 columns are weighted (ac1 is AC2), and alpha is
    at --level; the table said so nowhere."""
    wide = tmp_path / "wide.csv"
    wide.write_text("unit,A,B\nu1,1,1\nu2,2,2\nu3,1,2\nu4,3,3\nu5,2,3\n")
    suggestions = tmp_path / "out.csv"
    suggestions.write_text("segment_id,code,score,rank,evidence\nu1,1,0.9,1,[]\nu2,2,0.8,1,[]\nu3,3,0.7,1,[]\n"
                           "u4,3,0.6,1,[]\nu5,2,0.6,1,[]\n")
    out = run(capsys, wide, "--machine", suggestions, "--weights", "quadratic", "--level", "interval")[1]
    machine_table = " ".join(out[out.index("Machine vs humans"):].split())
    assert "cohen: Cohen's kappa (quadratic weights), ac1: Gwet's AC2 (quadratic weights), alpha: " \
           "Krippendorff's alpha (interval)" in machine_table



def test_machine_table_says_lights_kappa_takes_code_shares_from_the_units_both_rated(capsys, tmp_path):
    """-m light beside the machine: each row's Light's kappa is Cohen's on the units both sides rated, its chance
    agreement from those alone (scikit-learn's on them), not from every unit each side rated as the caption said."""
    from sklearn.metrics import cohen_kappa_score

    wide = tmp_path / "wide.csv"
    wide.write_text("unit,A,B\nu1,a,a\nu2,b,b\nu3,a,b\nu4,b,b\nu5,a,a\nu6,b,a\n")
    suggestions = tmp_path / "out.csv"
    suggestions.write_text("segment_id,code,score,rank\nu1,a,0.9,1\nu2,b,0.8,1\nu3,a,0.7,1\nu4,,0.2,1\n"
                           "u5,b,0.6,1\nu6,b,0.6,1\n")
    rows = json.loads(run(capsys, wide, "--machine", suggestions, "-m", "light", "--format", "json")[1])
    row = next(row for row in rows["machine_comparison"] if row["comparison"] == "machine vs A")
    assert row["n_units"] == 5  # u4 is an abstention
    assert row["light"] == pytest.approx(cohen_kappa_score(list("abaab"), list("ababb")))  # A's and the machine's
    out = run(capsys, wide, "--machine", suggestions, "-m", "light")[1]
    assert "each side's code shares come from every unit it rated (Gwet), light's from the units both sides rated" \
        in " ".join(out[out.index("Machine vs humans"):].split())

def test_a_machine_code_outside_the_declared_categories_is_named_as_the_machines(capsys, span_files):
    """It was refused as "rating 'work' is not among the declared categories", a code the ratings file does not
    hold; the machine's codes of segments that are no unit (s9) are not checked."""
    code, out, err = run(capsys, span_files["wide"], "--machine", span_files["suggestions"], "--categories",
                         "hope,stigma")
    assert code == 2 and err.startswith("theme-assist: error: rating 'work'")  # the coders used it too
    suggestions = span_files["suggestions"]
    suggestions.write_text(SUGGESTIONS.replace("s5,work", "s5,family").replace("s9,hope", "s9,elsewhere"))
    code, out, err = run(capsys, span_files["wide"], "--machine", suggestions, "--categories", "hope,stigma,work")
    assert code == 2 and "the machine's code 'family' (segment 's5' of " in err and "not among --categories" in err
    code, out, err = run(capsys, span_files["wide"], "--machine", suggestions, "--categories",
                         "hope,stigma,work,family")
    assert code == 0 and err == ""


def test_a_coder_named_machine_is_asked_to_be_renamed(capsys, span_files, tmp_path):
    """It was refused as "a machine column has a human coder's name: 'machine'", which says nothing of a fix."""
    wide = tmp_path / "named.csv"
    wide.write_text(WIDE_FOR_MACHINE.replace("unit,ann,bob", "unit,machine,bob"))
    code, out, err = run(capsys, wide, "--machine", span_files["suggestions"])
    assert code == 2 and f"{wide} has a coder named 'machine', the name the comparisons give the suggestions of " \
                          f"{span_files['suggestions']}: rename that coder" in err


def test_a_coder_named_as_the_majority_is_asked_to_be_renamed(capsys, span_files, tmp_path):
    """Such a coder gave two rows "machine vs human majority", one against the coder, one against the majority."""
    wide = tmp_path / "named.csv"
    wide.write_text(WIDE_FOR_MACHINE.replace("unit,ann,bob", "unit,human majority,bob"))
    code, out, err = run(capsys, wide, "--machine", span_files["suggestions"])
    assert code == 2 and f"{wide} has a coder named 'human majority', the name the comparisons with " \
                          f"{span_files['suggestions']} give the code most coders gave: rename that coder" in err
    assert run(capsys, wide, "--machine", span_files["suggestions"], "--coder", "bob")[0] == 0  # no majority row


def test_coder_rows_beside_the_machine_are_the_coders_summary(capsys, span_files):
    """A code only the machine gave (family) counted as a category of ann vs bob: their AC1 and Bennett's S in the
    machine table differed from the same coefficients in the summary above it."""
    suggestions = span_files["suggestions"]
    suggestions.write_text(SUGGESTIONS.replace("s5,work", "s5,family"))
    result = json.loads(run(capsys, span_files["wide"], "--machine", suggestions, "--format", "json")[1])
    rows = {row["comparison"]: row for row in result["machine_comparison"]}
    for name in ("percent", "cohen", "ac1", "alpha"):
        assert rows["ann vs bob"]["metrics"][name] == result[name]
    assert rows["ann vs bob"]["ac1"] == result["ac1"]["value"] and result["ac1"]["n_categories"] == 3
    assert rows["machine vs ann"]["metrics"]["ac1"]["n_categories"] == 4


def test_machine_abstentions_are_missing_ratings(capsys, span_files, tmp_path):
    """s4 abstained: machine vs ann on 5 units, 3 agree. Cohen's κ counts each rater's marginals over every unit
    it rated (Gwet; irrCAC): ann hope 3, stigma 2, work 1 of 6; machine hope 1, stigma 3, work 1 of 5; p_e =
    (3·1 + 2·3 + 1·1) / 30 = 1/3, κ = (3/5 − 1/3) / (1 − 1/3) = 0.4."""
    abstaining = tmp_path / "abstaining.csv"
    abstaining.write_text(SUGGESTIONS.replace("s4,work,0.4,1", "s4,,,"))  # as suggest writes it: no score, rank
    wide = tmp_path / "wide.csv"
    wide.write_text(WIDE_FOR_MACHINE.replace("s6,stigma,stigma", "s6,stigma,"))
    rows = {row["comparison"]: row for row in json.loads(run(capsys, wide, "--machine", abstaining, "--format",
                                                             "json")[1])["machine_comparison"]}
    assert rows["machine vs ann"]["n_units"] == 5 and rows["machine vs ann"]["percent"] == pytest.approx(3 / 5)
    assert rows["machine vs ann"]["cohen"] == pytest.approx(0.4)
    assert rows["machine vs bob"]["n_units"] == 4  # bob left s6 empty


def test_machine_on_span_codings_mapped_to_units(capsys, span_files, tmp_path):
    """Segment ids of the suggestions are the units of SEGMENTS.csv. Machine vs A on p1, p2, q1, q2 (p3
    abstained, p4 not suggested): hope/hope, stigma/stigma, hope/hope, hope/(no code) → 3 of 4."""
    suggestions = tmp_path / "out.csv"
    suggestions.write_text("segment_id,code,score,rank,evidence\np1,hope,0.9,1,[]\np2,stigma,0.8,1,[]\n"
                           "p3,,0.7,1,[]\nq1,hope,0.2,1,[]\nq2,hope,0.6,1,[]\n")
    result = json.loads(run(capsys, span_files["spans"], "--units", span_files["segments"], "--machine",
                            suggestions, "--format", "json", "-m", "percent")[1])
    rows = {row["comparison"]: row for row in result["machine_comparison"]}
    assert rows["machine vs A"]["n_units"] == 4 and rows["machine vs A"]["percent"] == pytest.approx(3 / 4)
    assert rows["A vs B"]["percent"] == pytest.approx(result["percent"]["value"]) == pytest.approx(3 / 6)


def test_machine_with_numeric_ratings(capsys, tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text("unit,A,B\nu1,1,1\nu2,2,2\nu3,1,2\nu4,2,2\n")
    suggestions = tmp_path / "out.csv"
    suggestions.write_text("segment_id,code,score,rank,evidence\nu1,1,0.9,1,[]\nu2,2.0,0.8,1,[]\nu3,1,0.7,1,[]\n"
                           "u4,1,0.6,1,[]\n")
    rows = json.loads(run(capsys, wide, "--machine", suggestions, "--format", "json")[1])["machine_comparison"]
    assert rows[0]["comparison"] == "machine vs A" and rows[0]["percent"] == 0.75  # "2.0" is the number 2


@pytest.mark.parametrize("ratings, args, message", [
    ("spans", (), r"spans.csv holds span codings \(document, start, end, code, coder\): give --units "
                  r"SEGMENTS.csv to rate units, or --overlap P"),
    ("spans", ("--units", "segments", "--overlap", "0.9"), "give --units .* or --overlap .*, not both"),
    ("spans", ("--min-coverage", "0.5"), "--min-coverage applies with --units"),
    ("spans", ("--units", "segments", "--min-coverage", "1.5"), r"--min-coverage must lie in \[0, 1\]"),
    ("spans", ("--overlap", "0"), r"--overlap must lie in \(0, 1\], e.g. 0.9; got 0"),
    ("spans", ("--overlap", "1.2"), r"--overlap must lie in \(0, 1\]"),
    ("spans", ("--overlap", "0.9", "-m", "cohen"), "--metric does not apply to --overlap"),
    ("spans", ("--overlap", "0.9", "--bootstrap", "100"), "--bootstrap does not apply to --overlap"),
    ("spans", ("--overlap", "0.9", "--interval", "analytic"), "--interval does not apply to --overlap"),
    ("spans", ("--overlap", "0.9", "--weights", "linear"), "--weights does not apply to --overlap"),
    ("spans", ("--overlap", "0.9", "--machine", "suggestions"), "--machine does not apply to --overlap"),
    ("spans", ("--units", "wide"), "units file .*wide.csv has no column 'document'"),
    ("spans", ("--units", "suggestions"), "units file .* has no column 'document'"),
    ("spans", ("--units", "segments", "--machine", "segments"), "machine suggestions .* has no column 'code'"),
    ("spans", ("--units", "segments", "--machine", "suggestions"), "share no unit with .*spans.csv"),
    ("wide", ("--units", "segments"), "--units applies to span codings .*wide.csv holds ratings of units"),
    ("wide", ("--overlap", "0.9"), "--overlap applies to span codings"),
    ("wide", ("--machine", "nowhere"), "machine suggestions .*nowhere.csv does not exist"),
    ("overlapping", ("--units", "segments", "--machine", "suggestions"), "share no unit"),
    ("wide", ("--machine", "wide"), "machine suggestions .* has no column 'segment_id'"),  # ratings by mistake
])
def test_span_and_machine_errors_are_one_line(capsys, span_files, ratings, args, message):
    paths = {**span_files, "nowhere": span_files["wide"].with_name("nowhere.csv")}
    code, out, err = run(capsys, paths[ratings], *(str(paths.get(arg, arg)) for arg in args))
    assert code == 2 and out == ""
    errors = [line for line in err.splitlines() if not line.startswith("theme-assist: warning:")]
    assert len(errors) == 1 and errors[0].startswith("theme-assist: error:") and "Traceback" not in err
    assert re.search(message, errors[0]), err


@pytest.mark.parametrize("content, units, message", [
    ("document,start,end,code,coder\nd1,0,10,x,A\n", SEGMENTS, "span codings of 1 coder; agreement needs at "
                                                               "least two"),
    ("document,start,end,code,coder\nd1,0,10,x,A\nd1,0,10,,B\n", SEGMENTS, "line 3 of .* has a blank document, "
                                                                           "coder or code"),
    ("document,start,end,code,coder\nd1,0,1.5,x,A\nd1,0,10,x,B\n", SEGMENTS, "'end' column must hold whole "
                                                                             "numbers, not '1.5'"),
    ("document,start,end,code,coder\nd1,10,5,x,A\nd1,0,10,x,B\n", SEGMENTS, "line 2 of .* ends before it starts"),
    ("document,start,end,code,coder\nd9,0,10,x,A\nd9,0,10,x,B\n", SEGMENTS, r"no document of .* \(d9\) is among "
                                                                            r"the documents of .* \(d1, d2\)"),
    (OVERLAPPING, "segment_id,document,start,end\np1,d1,0,10\np1,d1,10,20\n", "unit 'p1' appears more than once"),
    (OVERLAPPING, "id,document,start,end\np1,d1,0,10\n", "has no column 'segment_id' \\(or 'unit'\\)"),
    (OVERLAPPING, "unit,document,start,end\np1,d1,10,0\n", "line 2 of .* has a unit that ends before it starts"),
])
def test_bad_span_or_units_file_is_one_line_error(capsys, tmp_path, content, units, message):
    spans, segments = tmp_path / "spans.csv", tmp_path / "segments.csv"
    spans.write_text(content)
    segments.write_text(units)
    code, out, err = run(capsys, spans, "--units", segments)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert re.search(message, err), err


def test_a_machine_that_learnt_from_the_units_it_is_compared_on_is_warned_of(capsys, tmp_path, span_files):
    """suggest --train CODED.csv, then agree on CODED.csv's own segments: its evidence quotes them (the coded
    segments it was fitted on), and there it agreed with its teacher at 1.000 without a word."""
    def quotes(*ids):
        return json.dumps([{"segment_id": i, "text": "…", "similarity": 0.5} for i in ids]).replace('"', '""')

    machine = tmp_path / "out.csv"
    machine.write_text("segment_id,code,score,rank,evidence\n"
                       f's1,hope,0.9,1,"{quotes("s5", "codebook:hope")}"\ns2,stigma,0.8,1,"{quotes("s3")}"\n'
                       f's3,stigma,0.7,1,"{quotes("s2", "s6")}"\ns4,work,0.6,1,[]\ns9,hope,0.9,1,"{quotes("s7")}"\n')
    code, out, err = run(capsys, span_files["wide"], "--machine", machine, "-m", "percent")
    assert code in (0, None) and out
    # s5 and s6 are quoted too, but the machine has no code for them: they are not compared
    assert err == (f"theme-assist: warning: {machine}: the machine learnt from at least 2 of the 4 unit(s) it is "
                   "compared on (its evidence quotes them as coded segments: s2, s3): there it is "
                   "scored on codes it was taught; compare it on segments it did not learn from (project export "
                   "--machine, or suggest --train with the codings of other documents); unless these ids name other "
                   "segments in the file it learnt from (ids such as '1' given again in each file: its evidence "
                   "names no document to tell them apart)\n")
    # quotes of codebook anchors and of segments nobody rated here, or none: nothing to say
    machine.write_text("segment_id,code,score,rank,evidence\n"
                       f's1,hope,0.9,1,"{quotes("codebook:hope", "s7")}"\ns2,stigma,0.8,1,not json\n')
    code, out, err = run(capsys, span_files["wide"], "--machine", machine, "-m", "percent")
    assert code in (0, None) and err == ""
    machine.write_text("segment_id,code,score,rank,evidence\n"
                       f's1,hope,0.9,1,"{quotes("s5", "codebook:hope")}"\ns2,stigma,0.8,1,"{quotes("s3")}"\n'
                       f's3,stigma,0.7,1,"{quotes("s2", "s6")}"\ns4,work,0.6,1,[]\n')
    # theme_assist's own ids (DOC:N) name their document: no other document's segment has them
    ids = {f"s{n}": f"d1:{n}" for n in range(1, 10)}
    for unit, named in ids.items():
        for path in (machine, span_files["wide"]):
            path.write_text(re.sub(rf"\b{unit}\b", named, path.read_text()))
    code, out, err = run(capsys, span_files["wide"], "--machine", machine, "-m", "percent")
    assert code in (0, None) and "coded segments: d1:2, d1:3): there" in err and "unless" not in err


def test_the_machine_tables_prevalence_of_more_than_two_categories_is_said_why_it_is_missing(capsys, tmp_path):
    """Prevalence is the share of the second of two categories: with three it read "—" in every row, unexplained."""
    ratings, machine = tmp_path / "ratings.csv", tmp_path / "out.csv"
    ratings.write_text("unit,ann,bob\nu1,a,a\nu2,b,b\nu3,c,a\nu4,a,a\nu5,b,c\nu6,c,c\n")
    machine.write_text("segment_id,code,score,rank,evidence\n"
                       + "".join(f"u{n},{code},0.9,1,[]\n" for n, code in enumerate("abaacc", start=1)))
    said = " ".join(run(capsys, ratings, "--machine", machine, "-m", "cohen")[1].split())
    assert ("prevalence (the share of ratings in the second of two categories) is — with 3 categories: --per-code "
            "gives each code's") in said
    report = run(capsys, ratings, "--machine", machine, "-m", "cohen", "--per-code", "--format", "markdown")[1]
    assert ("prevalence (the share of ratings in the second of two categories) is — with 3 categories: the per-code "
            "table gives each code's.") in report
    # two categories: the share of the second, as before
    ratings.write_text("unit,ann,bob\nu1,a,a\nu2,b,b\nu3,b,a\nu4,a,a\nu5,b,b\nu6,a,a\n")
    machine.write_text(machine.read_text().replace(",c,", ",b,"))
    said = " ".join(run(capsys, ratings, "--machine", machine, "-m", "cohen")[1].split())
    assert "prevalence: share of ratings in the second of two categories" in said and "is —" not in said


def test_multi_label_ratings_refuse_the_machine(capsys, tmp_path, span_files):
    path = tmp_path / "long.csv"
    path.write_text(MULTI_LABEL_LONG)
    code, _, err = run(capsys, path, "--machine", span_files["suggestions"])
    assert code == 2 and err.count("\n") == 1 and "--machine compares single-label ratings" in err


def test_unit_id_column_may_be_called_unit_and_span_documents_without_units_are_named(capsys, span_files,
                                                                                       tmp_path):
    units = tmp_path / "paragraphs.csv"
    units.write_text(SEGMENTS.replace("segment_id", "unit").replace("q1,d2,0,50,e\nq2,d2,50,100,f\n", ""))
    code, out, err = run(capsys, span_files["spans"], "--units", units, "--format", "json", "-m", "percent")
    assert code in (0, None)
    assert err.strip() == (f"theme-assist: warning: {span_files['spans']}: the spans in 1 document(s) without "
                           f"units in {units} are left out: d2")
    result = json.loads(out)  # p1 agrees, p2 p3 p4 do not
    assert result["percent"]["n_units"] == 4 and result["percent"]["value"] == pytest.approx(1 / 4)


def test_units_cut_from_another_text_of_the_documents_are_refused(capsys, tmp_path):
    """A .vtt's segments (offsets in its turns' text) against import-qdpx's codings of the export, which wrote
    "Name: " before each turn: the offsets meet, the texts do not, and the spans would rate the wrong units."""
    turns = [("Interviewer", "How was the training?"), ("P1", "Good, I felt ready."), ("P2", "I did not.")]
    vtt_text = "\n".join(text for _, text in turns)
    export_text = "\n".join(f"{speaker}: {text}" for speaker, text in turns)

    def table(columns, rows):
        return pd.DataFrame(rows, columns=columns).to_csv(index=False)

    units, exported_units, at, exported_at = [], [], 0, 0
    for number, (speaker, text) in enumerate(turns):
        exported_at += len(f"{speaker}: ")
        units.append((f"fg:{number}", "fg", at, at + len(text), text))
        exported_units.append((f"fg:{number}", "fg", exported_at, exported_at + len(text), text))
        at, exported_at = at + len(text) + 1, exported_at + len(text) + 1
    assert all(export_text[start:end] == text for _, _, start, end, text in exported_units)
    spans = [("fg", start, end, "talk", coder, text) for _, _, start, end, text in exported_units for coder in "AB"]
    spans_path, units_path, right_path = tmp_path / "codings.csv", tmp_path / "vtt.csv", tmp_path / "export.csv"
    spans_path.write_text(table(["document", "start", "end", "code", "coder", "text"], spans))
    units_path.write_text(table(["segment_id", "document", "start", "end", "text"], units))
    right_path.write_text(table(["segment_id", "document", "start", "end", "text"], exported_units))
    code, out, err = run(capsys, spans_path, "--units", units_path)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"{units_path} and {spans_path} hold different texts of document 'fg'" in err
    assert re.search(r"\(characters \d+-\d+: '.*' in unit 'fg:\d', '.*' in a span\)", err), err
    code, out, err = run(capsys, spans_path, "--units", right_path, "-m", "percent", "--format", "json")
    assert code in (0, None) and err == "" and json.loads(out)["percent"]["value"] == 1


def test_units_whose_line_breaks_a_table_wrote_as_spaces_are_of_the_same_text(capsys, tmp_path):
    """A script that made each text cell one line (a line break written as a space) keeps the offsets: the units
    were refused as cut from another text."""
    turns = ["How was the training?", "Good, I felt\nready.", "I did not."]
    units, at = [], 0
    for number, text in enumerate(turns):
        units.append((f"fg:{number}", "fg", at, at + len(text), text.replace("\n", " ")))
        at += len(text) + 1
    spans = [("fg", 0, at - 1, "talk", coder, "\n".join(turns)) for coder in "AB"]
    spans_path, units_path = tmp_path / "codings.csv", tmp_path / "units.csv"
    pd.DataFrame(spans, columns=["document", "start", "end", "code", "coder", "text"]).to_csv(spans_path, index=False)
    pd.DataFrame(units, columns=["segment_id", "document", "start", "end", "text"]).to_csv(units_path, index=False)
    code, out, err = run(capsys, spans_path, "--units", units_path, "-m", "percent", "--format", "json")
    assert code in (0, None) and err == "" and json.loads(out)["percent"]["n_units"] == 3, err


def test_units_of_a_text_in_another_unicode_form_are_refused_saying_so(capsys, tmp_path):
    """Units of a text whose accents are one character, spans of one whose accents are two (a Mac's export): the
    offsets differ, and the refusal quoted two openings that looked the same, with no word of why."""
    import unicodedata

    turns = ["How was the training at José's place?", "Good, I felt ready."]

    def rows(form):
        found, at = [], 0
        for number, text in enumerate(unicodedata.normalize(form, turn) for turn in turns):
            found.append((f"fg:{number}", "fg", at, at + len(text), text))
            at += len(text) + 1
        return found

    spans = [("fg", start, end, "talk", coder, text) for _, _, start, end, text in rows("NFD") for coder in "AB"]
    spans_path, units_path = tmp_path / "codings.csv", tmp_path / "units.csv"
    pd.DataFrame(spans, columns=["document", "start", "end", "code", "coder", "text"]).to_csv(spans_path, index=False)
    pd.DataFrame(rows("NFC"), columns=["segment_id", "document", "start", "end", "text"]).to_csv(units_path,
                                                                                                 index=False)
    code, out, err = run(capsys, spans_path, "--units", units_path)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert r"Jos\xe9" in err and r"Jose\u0301" in err, err
    assert "the texts of one are in another Unicode form than the other's" in " ".join(err.split())


@pytest.mark.shared
def test_an_imported_qdpx_codings_file_is_read_as_span_codings(capsys, shared_dir, tmp_path):
    """import-qdpx → codings.csv (document, start, end, code, coder, text, …: one coder in this project); a second
    coder who coded every other span the same way agrees on those spans and disagrees on the rest."""
    imported = tmp_path / "imp"
    with pytest.raises(SystemExit) as done:
        main(["import-qdpx", str(shared_dir / "refi" / "qc_interview_project.qdpx"), "--out", str(imported)])
    assert done.value.code in (0, None)
    capsys.readouterr()
    codings = imported / "codings.csv"
    code, _, err = run(capsys, codings, "--overlap", "0.9")
    assert code == 2 and "has span codings of 1 coder" in err
    frame = pd.read_csv(codings, keep_default_na=False)
    kept = frame.iloc[::2].assign(coder="second")
    both = tmp_path / "two_coders.csv"
    pd.concat([frame, kept]).to_csv(both, index=False)
    (pair,) = json.loads(run(capsys, both, "--overlap", "0.9", "--format", "json")[1])["segment_agreement"]
    overall = pair["codes"][-1]
    assert overall["agreements"] == 2 * len(kept) and overall["total"] == len(frame) + len(kept)


def test_spans_on_no_unit_and_documents_nobody_coded_are_left_out_with_a_warning(capsys, tmp_path):
    """Four units in d (0-100, 100-200, 200-300, 300-400) and two in e, which nobody coded: e would add two
    agreements on "(no code)"; the spans at 450-480 and 1000-1200 touch no unit. Left: d:0 A/A, d:1-3 none/none."""
    units = tmp_path / "units.csv"
    units.write_text("segment_id,document,start,end\n" + "".join(f"d:{i},d,{100 * i},{100 * i + 100}\n"
                                                                  for i in range(4)) + "e:0,e,0,50\ne:1,e,50,90\n")
    spans = tmp_path / "spans.csv"
    spans.write_text("document,start,end,code,coder\nd,0,100,A,x\nd,0,100,A,y\nd,450,480,B,x\nd,1000,1200,C,y\n")
    code, out, err = run(capsys, spans, "--units", units, "-m", "percent", "--format", "json")
    assert code == 0 and json.loads(out)["percent"]["n_units"] == 4
    assert "2 span(s) overlap no unit" in err and "2 unit(s) of" in err and "1 document(s) no coder coded" in err


def test_min_coverage_counts_a_coders_spans_of_a_code_together(capsys, tmp_path):
    """x codes 80% of d:0 in two sentences (0-40, 50-90), y all of it: with --min-coverage 0.6 both coded it A."""
    units = tmp_path / "units.csv"
    units.write_text("segment_id,document,start,end\nd:0,d,0,100\nd:1,d,100,200\n")
    spans = tmp_path / "spans.csv"
    spans.write_text("document,start,end,code,coder\nd,0,40,A,x\nd,50,90,A,x\nd,0,100,A,y\nd,100,150,A,x\n"
                     "d,100,200,A,y\n")
    result = json.loads(run(capsys, spans, "--units", units, "--min-coverage", "0.6", "-m", "percent", "--format",
                            "json")[1])
    assert result["percent"]["value"] == 0.5  # d:0 agrees; d:1: x covers half, below 0.6


def test_a_long_ratings_file_given_as_the_machine_is_refused(capsys, tmp_path, span_files):
    long = tmp_path / "long.csv"
    long.write_text("segment_id,coder,code\ns1,ann,hope\ns1,bob,hope\n")
    code, _, err = run(capsys, span_files["wide"], "--machine", long)
    assert code == 2 and "has no column 'score'" in err and "suggest's OUT.csv" in err


@pytest.mark.parametrize("multi_label", [False, True])
def test_a_coders_units_in_documents_without_their_spans_are_missing_not_no_code(capsys, tmp_path, multi_label):
    """d (units d:0, d:1) is coded by x and y; e (e:0, e:1) by x only: y did not code e, so e's units have one
    rating each and no pair. On d: d:0 A/A, d:1 (no code)/B (single-label), or with x's second code on d:0,
    {A, C}/{A} and {}/{B} (multi-label)."""
    units = tmp_path / "units.csv"
    units.write_text("segment_id,document,start,end\nd:0,d,0,100\nd:1,d,100,200\ne:0,e,0,100\ne:1,e,100,200\n")
    rows = ["d,0,100,A,x", "d,0,100,A,y", "d,100,200,B,y", "e,0,100,A,x"] + (["d,0,100,C,x"] if multi_label else [])
    spans = tmp_path / "spans.csv"
    spans.write_text("document,start,end,code,coder\n" + "\n".join(rows) + "\n")
    code, out, err = run(capsys, spans, "--units", units, "--format", "json")
    result = json.loads(out)
    assert code == 0 and "y: 2 of 4 units" in err
    if multi_label:
        # presence on the two units both coders read: A agrees on both, B on d:0 only, C on d:1 only: 4 of 6
        assert result["percent"]["value"] == pytest.approx(4 / 6)
        assert result["percent"]["n_units"] == 6  # 2 units × 3 codes
    else:
        assert result["percent"]["value"] == pytest.approx(1 / 2) and result["percent"]["n_units"] == 2
    title = " ".join(run(capsys, spans, "--units", units)[1].split())
    assert "Agreement: 4 units (2 rated by two or more), 2 coders" in title


def test_overlap_compares_each_pair_on_the_documents_both_coded(capsys, tmp_path):
    """x and y both coded d (one matching pair, one span of y alone); x alone coded e, z alone coded f."""
    spans = tmp_path / "spans.csv"
    spans.write_text("document,start,end,code,coder\nd,0,100,A,x\nd,0,100,A,y\nd,200,300,B,y\ne,0,100,A,x\n"
                     "e,200,300,B,x\nf,0,50,A,z\n")
    pairs = {tuple(pair["coders"]): pair for pair in json.loads(run(capsys, spans, "--overlap", "0.9", "--format",
                                                                    "json")[1])["segment_agreement"]}
    overall = pairs[("x", "y")]["codes"][-1]
    assert pairs[("x", "y")]["documents"] == 1 and (overall["agreements"], overall["disagreements"]) == (2, 1)
    assert pairs[("x", "z")]["reason"] == "no document coded by both" and pairs[("x", "z")]["kappa_bp"] is None
    table = " ".join(run(capsys, spans, "--overlap", "0.9")[1].split())
    assert "On the 1 document(s) both coded." in table and "no document coded by both" in table


def test_machine_codes_the_coders_never_used_are_named_and_small_comparisons_flagged(capsys, tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text("unit,ann,bob\nu1,role_clarity,role_clarity\nu2,other,stigma\nu3,other,other\n")
    suggestions = tmp_path / "out.csv"
    suggestions.write_text("segment_id,code,score,rank,evidence\nu1,psw_role_clarity,0.9,1,[]\n"
                           "u2,psw_stigma,0.8,1,[]\nu3,other,0.7,1,[]\n")
    code, out, err = run(capsys, wide, "--machine", suggestions, "--bootstrap", "50")
    table = " ".join(out.split())
    assert code == 0 and "none the coders used (psw_role_clarity, psw_stigma)" in err
    assert "only 3 units" in table and "under each value: its 95% bootstrap interval" in table


def test_machine_codes_on_units_nobody_rated_do_not_warn_of_another_codebook(capsys, tmp_path):
    """A coder who rated one document against suggestions for the whole corpus was told most of the machine's
    codes were none the coders used (another codebook's ids?): its codes on the other documents counted."""
    wide = tmp_path / "wide.csv"
    wide.write_text("unit,ann,bob\nd1:0,other,other\nd1:1,stigma,stigma\n")
    suggestions = tmp_path / "out.csv"
    suggestions.write_text("segment_id,code,score,rank,evidence\nd1:0,other,0.9,1,[]\nd1:1,stigma,0.8,1,[]\n"
                           "d2:0,costs,0.9,1,[]\nd2:1,hope,0.9,1,[]\nd2:2,work,0.9,1,[]\n")
    code, _, err = run(capsys, wide, "--machine", suggestions)
    assert code == 0 and "none the coders used" not in err


def test_coder_names_and_codes_holding_brackets_are_printed_as_written(capsys, tmp_path):
    """A coder '[/b]ana' stopped the machine table with rich's MarkupError (a traceback), and a code '[b]c' vanished
    from the per-code and span tables."""
    long = tmp_path / "long.csv"
    long.write_text("segment_id,coder,code\ns1,[/b]ana,a[/x]\ns2,[/b]ana,[b]c\ns1,bo,a[/x]\ns2,bo,a[/x]\n")
    suggestions = tmp_path / "out.csv"
    suggestions.write_text("segment_id,code,score,rank,evidence\ns1,a[/x],0.9,1,[]\ns2,[b]c,0.8,1,[]\n")
    code, out, _ = run(capsys, long, "--machine", suggestions)
    assert code == 0 and "machine vs [/b]ana" in out
    several = tmp_path / "several.csv"  # several codes per unit: a table per code
    several.write_text(long.read_text() + "s1,[/b]ana,[b]c\n")
    code, out, _ = run(capsys, several)
    assert code == 0 and "│ [b]c " in out and "│ a[/x] " in out
    spans = tmp_path / "spans.csv"
    spans.write_text("document,start,end,code,coder\nd1,0,10,a[/x],[/b]ana\nd1,0,10,a[/x],bo\nd1,20,30,[b]c,[/b]ana\n")
    code, out, _ = run(capsys, spans, "--overlap", "0.9")
    assert code == 0 and "Segment agreement: [/b]ana vs bo" in out and "│ [b]c " in out


def test_a_comparison_on_one_unit_says_only_1_unit(capsys, tmp_path):
    """The machine comparison's note said "only 1 units"."""
    wide = tmp_path / "wide.csv"
    wide.write_text(WIDE_FOR_MACHINE)
    suggestions = tmp_path / "out.csv"
    suggestions.write_text("segment_id,code,score,rank,evidence\ns1,hope,0.9,1,[]\ns2,stigma,0.8,1,[]\n"
                           "s3,,,,\ns4,,,,\ns5,,,,\ns6,,,,\n")
    table = " ".join(run(capsys, wide, "--machine", suggestions)[1].split())
    assert "only 2 units" in table
    one = tmp_path / "one.csv"
    one.write_text(suggestions.read_text().replace("s2,stigma,0.8,1,[]", "s2,,,,"))
    table = " ".join(run(capsys, wide, "--machine", one)[1].split())
    assert "only 1 unit" in table and "only 1 units" not in table


ONE_CODER_LONG = "segment_id,coder,code\ns1,ann,hope\ns2,ann,hope\ns3,ann,stigma\ns4,ann,work\ns5,ann,hope\n" \
                 "s6,ann,stigma\n"


@pytest.mark.parametrize("name, content", [("wide", "unit,ann\ns1,hope\ns2,hope\ns3,stigma\ns4,work\ns5,hope\n"
                                                    "s6,stigma\n"),
                                           ("long", ONE_CODER_LONG)])
def test_one_coder_is_compared_with_the_machine(capsys, span_files, tmp_path, name, content):
    """A coder working alone (ann of WIDE_FOR_MACHINE) was refused even with --machine ("agreement needs at least
    two coders"). Her row is the machine vs ann row of the two-coder file, intervals included; the JSON says there
    is no coders' summary, and why; the table says it in one line and names how its intervals were computed."""
    alone = tmp_path / f"{name}.csv"
    alone.write_text(content)
    options = ("--interval", "both", "--bootstrap", "50", "--format", "json")
    result = json.loads(run(capsys, alone, "--machine", span_files["suggestions"], *options)[1])
    assert result["coders_summary"] is None
    assert result["coders_summary_reason"] == "one coder (ann): no coder-vs-coder agreement"
    (row,) = result["machine_comparison"]
    pair = json.loads(run(capsys, span_files["wide"], "--machine", span_files["suggestions"], *options)[1])
    assert row == next(other for other in pair["machine_comparison"] if other["comparison"] == "machine vs ann")
    assert row["metrics"]["cohen"]["ci"] and row["metrics"]["cohen"]["analytic"]["ci"]
    code, out, err = run(capsys, alone, "--machine", span_files["suggestions"], *options[:-2])
    table = " ".join(out.split())
    assert code == 0 and err.startswith("theme-assist: warning: --bootstrap 50: too few") and err.count("\n") == 1
    assert "Agreement:" not in table
    assert table.startswith("No coders' summary table — one coder (ann): no coder-vs-coder agreement. The machine "
                            "is compared with that coder below.")
    assert "machine vs ann │ 6 │" in table and "table above" not in table
    assert "95% analytic intervals (Gwet 2014" in table and "95% BCa bootstrap intervals, 50 resamples" in table
    assert "SE:" not in table and "P<x" not in table  # columns of the coders' summary, not of this table


def test_one_coders_span_codings_on_units_are_compared_with_the_machine(capsys, span_files, tmp_path):
    """A's spans alone on the units (as in test_machine_on_span_codings_mapped_to_units): 3 of 4 agree."""
    spans = tmp_path / "spans_a.csv"
    spans.write_text("".join(line + "\n" for line in SPANS.splitlines() if not line.endswith(",B,x,Hope")
                             and not line.endswith(",B,x,Stigma")))
    suggestions = tmp_path / "out.csv"
    suggestions.write_text("segment_id,code,score,rank,evidence\np1,hope,0.9,1,[]\np2,stigma,0.8,1,[]\n"
                           "p3,,0.7,1,[]\nq1,hope,0.2,1,[]\nq2,hope,0.6,1,[]\n")
    result = json.loads(run(capsys, spans, "--units", span_files["segments"], "--machine", suggestions, "--format",
                            "json")[1])
    assert result["coders_summary"] is None and "one coder (A)" in result["coders_summary_reason"]
    (row,) = result["machine_comparison"]
    assert row["comparison"] == "machine vs A" and row["n_units"] == 4 and row["percent"] == pytest.approx(3 / 4)
    table = " ".join(run(capsys, spans, "--units", span_files["segments"], "--machine", suggestions)[1].split())
    assert "No coders' summary table — one coder (A)" in table and "Span codings on the 6 units of" in table


@pytest.mark.parametrize("name, content, message", [
    ("wide", "unit,ann\ns1,hope\n", r"1 coder column\(s\) .*; agreement needs at least two coders \(or, for one "
                                    r"coder, compare the machine's suggestions with them: --machine OUT.csv\)"),
    ("long", ONE_CODER_LONG, r"has 1 coder; agreement needs at least two coders \(or, for one coder, compare the "
                             r"machine's suggestions with them: --machine OUT.csv\)"),
    ("spans", "document,start,end,code,coder\nd1,0,10,x,A\n", r"span codings of 1 coder; .*: --units SEGMENTS.csv "
                                                              r"--machine OUT.csv\)"),
])
def test_one_coder_without_the_machine_is_refused_with_a_pointer_to_it(capsys, tmp_path, name, content, message):
    path = tmp_path / f"{name}.csv"
    path.write_text(content)
    code, out, err = run(capsys, path)
    assert code == 2 and out == "" and err.count("\n") == 1 and re.search(message, err), err


def test_no_coder_is_refused_with_the_machine_too(capsys, span_files, tmp_path):
    path = tmp_path / "units_only.csv"
    path.write_text("unit\ns1\ns2\n")
    code, out, err = run(capsys, path, "--machine", span_files["suggestions"])
    assert code == 2 and out == "" and "has 0 coder column(s)" in err and "needs at least one coder" in err
    code, _, err = run(capsys, tmp_path / "units_only.csv")
    assert code == 2 and "agreement needs at least two coders" in err and "--machine" not in err


def test_a_comparison_on_no_shared_unit_says_so_in_words(capsys, tmp_path):
    """The note said "only 0 units": ann and bob rated no unit in common, and the machine abstained on all of
    bob's."""
    wide = tmp_path / "wide.csv"
    wide.write_text("unit,ann,bob\ns1,hope,\ns2,stigma,\ns3,,hope\ns4,,work\n")
    suggestions = tmp_path / "out.csv"
    suggestions.write_text("segment_id,code,score,rank,evidence\ns1,hope,0.9,1,[]\ns2,stigma,0.8,1,[]\ns3,,,,\n"
                           "s4,,,,\n")
    table = " ".join(run(capsys, wide, "--machine", suggestions)[1].split())
    assert "only 0 units" not in table
    assert re.search(r"machine vs bob │ 0 │ — │ — │ — │ — │ — │ no unit rated by both │", table)
    assert re.search(r"ann vs bob │ 0 │ — │ — │ — │ — │ — │ no unit rated by both │", table)


@pytest.mark.parametrize("option", [("--weights", "linear"), ("--level", "ordinal")])
def test_one_coders_labels_are_not_ordered_by_the_machine_comparison(capsys, span_files, tmp_path, option):
    """With two coders the summary refuses weights or ordinal alpha on unordered labels; with one coder the machine
    row ranked hope < stigma < work alphabetically and printed the figures."""
    alone = tmp_path / "alone.csv"
    alone.write_text("unit,ann\ns1,hope\ns2,hope\ns3,stigma\ns4,work\ns5,hope\ns6,stigma\n")
    code, out, err = run(capsys, alone, "--machine", span_files["suggestions"], *option)
    assert code == 2 and out == "" and "numeric ratings or a declared category order" in err
    code, out, _ = run(capsys, alone, "--machine", span_files["suggestions"], *option, "--categories",
                       "work,stigma,hope")
    assert code == 0 and "machine vs ann" in out


def test_a_value_rounding_to_zero_prints_without_a_sign():
    """A bootstrap limit of -1e-17 (rounding in κ's ratio) printed "-0.000–1.000" in the tables."""
    from theme_assist.cli.agree import _number, _span

    assert _number(-1e-17) == "0.000" and _span([-1e-17, 1.0]) == "0.000–1.000"
    assert _number(-0.0004) == "0.000" and _number(-0.0005) == "-0.001" and _number(None) == "—"


LONG_FOR_MACHINE = "segment_id,code,coder,segmentation\np1,hope,ann,{tag}\np2,stigma,ann,{tag}\np1,hope,bob,{tag}\n" \
                   "p2,hope,bob,{tag}\n"
MACHINE_ON_UNITS = "segment_id,code,score,rank,evidence,segmentation\np1,hope,0.9,1,[],{tag}\n" \
                   "p2,stigma,0.8,1,[],{tag}\nq1,hope,0.2,1,[],{tag}\n"


@pytest.mark.parametrize("with_units", [False, True], ids=["long ratings", "span codings on units"])
@pytest.mark.parametrize("ours, theirs, refused", [
    ("v1-turn-1000", "v1-turn-500", True),  # suggest run with another --max-chars
    ("v0-turn-1000", "v1-turn-1000", True),  # another version of theme_assist
    ("v1-turn-1000", "v1-turn-1000", False),
    ("v1-turn-1000", "", False),  # a table without a tag, as before tags were written
    ("", "v1-turn-500", False),
    (None, "v1-turn-500", False),  # no segmentation column at all
])
def test_files_of_two_segmentations_are_refused_with_the_machine(capsys, span_files, tmp_path, with_units, ours,
                                                                 theirs, refused):
    """The same segment ids of two segmentations name other segments: comparing them by id would report figures
    on mismatched text."""
    ids = tmp_path / ("units.csv" if with_units else "codings.csv")
    ids.write_text(SEGMENTS if with_units else LONG_FOR_MACHINE)
    table = pd.read_csv(ids, dtype=str, keep_default_na=False)
    if ours is not None:
        table["segmentation"] = ours
    elif "segmentation" in table:
        table = table.drop(columns="segmentation")
    table.to_csv(ids, index=False)
    machine = tmp_path / "out.csv"
    machine.write_text(MACHINE_ON_UNITS.format(tag=theirs))
    args = (span_files["spans"], "--units", ids) if with_units else (ids,)
    code, out, err = run(capsys, *args, "--machine", machine, "-m", "percent", "--format", "json")
    if refused:
        assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
        assert f"{ids} has segment ids of segmentation {ours} and the machine's suggestions {machine} of {theirs}" \
               in err and "suggest again" in err and "project export" in err
    else:
        assert code in (0, None), err
        assert json.loads(out)["machine_comparison"][0]["n_units"] >= 2


def test_the_machine_refusal_says_what_differs_between_the_segmentations(capsys, tmp_path):
    """Tags that differ only in --max-chars are refused (neither file says whether some turn was split otherwise,
    which moves every later id of its document); the message says what differs and what to do."""
    ids = tmp_path / "codings.csv"
    ids.write_text(LONG_FOR_MACHINE.format(tag="v1-turn-1000"))
    machine = tmp_path / "out.csv"
    machine.write_text(MACHINE_ON_UNITS.format(tag="v1-turn-500"))
    code, out, err = run(capsys, ids, "--machine", machine)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "(they differ in --max-chars 1000 vs 500)" in err and "suggest again" in err
    machine.write_text(MACHINE_ON_UNITS.format(tag="v2-sentence-none"))
    err = run(capsys, ids, "--machine", machine)[2]
    assert "they differ in theme_assist's segmentation version 1 vs 2 (version 2 joins a .vtt/.srt speaker's " \
           "consecutive cues into one turn and starts a turn at a heading after the first turn), --unit turn vs " \
           "sentence, --max-chars 1000 vs none" in " ".join(err.split())
    assert "make both again with this version where it differs" in " ".join(err.split())


@pytest.mark.parametrize("with_units", [False, True], ids=["long ratings", "span codings on units"])
def test_every_file_is_read_once_to_compare_segmentations(capsys, span_files, tmp_path, monkeypatch, with_units):
    """The human ratings' file was read twice (its tags, then the table for segmented_alike), and with --machine
    every file was: the ratings or --units file and the machine's file again for their tags."""
    import theme_assist.ingest.tables as tables

    ids = tmp_path / ("units.csv" if with_units else "codings.csv")
    ids.write_text(SEGMENTS if with_units else LONG_FOR_MACHINE.format(tag="v1-turn-1000"))
    if with_units:
        pd.read_csv(ids, dtype=str, keep_default_na=False).assign(segmentation="v1-turn-1000").to_csv(ids,
                                                                                                      index=False)
    machine = tmp_path / "out.csv"
    machine.write_text(MACHINE_ON_UNITS.format(tag="v1-turn-500"))
    read, load_table = [], tables.load_table

    def counted(path, *args, **kwargs):
        read.append(str(path))
        return load_table(path, *args, **kwargs)

    monkeypatch.setattr(tables, "load_table", counted)
    args = (span_files["spans"], "--units", ids) if with_units else (ids,)
    code, out, err = run(capsys, *args, "--machine", machine)
    assert code == 2 and "they differ in --max-chars 1000 vs 500" in err
    assert sorted(read) == sorted(map(str, [*args[::2], machine]))  # each file once


def test_two_coders_exports_of_two_segmentations_are_refused(capsys, tmp_path):
    """Two coders' project exports put together were compared by segment id though their projects were segmented
    otherwise (the same id may name other text); those of one segmentation, or untagged, are compared."""
    path = tmp_path / "codings.csv"
    rows = "segment_id,code,coder,segmentation\np1,hope,ann,{a}\np2,stigma,ann,{a}\np1,hope,bob,{b}\np2,hope,bob,{b}\n"
    path.write_text(rows.format(a="v1-turn-1000", b="v1-turn-2000"))
    code, out, err = run(capsys, path)
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert "segment 'p1' has rows of two segmentations, v1-turn-1000 (coder ann) and v1-turn-2000 (coder bob), " \
           "which differ in --max-chars 1000 vs 2000" in err and "--unit and --max-chars" in err
    for a, b in (("v1-turn-1000", "v1-turn-1000"), ("v1-turn-1000", "")):
        path.write_text(rows.format(a=a, b=b))
        code, out, err = run(capsys, path, "-m", "percent", "--format", "json")
        assert code in (0, None), err
        assert json.loads(out)["percent"]["value"] == 0.5


def test_masi_alpha_can_be_asked_for_by_the_name_the_json_gives_it(capsys, tmp_path):
    """The JSON of multi-label ratings keys MASI-alpha masi_alpha, but -m masi_alpha was an unknown metric. Alone it
    asks for MASI-alpha without the presence/absence metrics; on single-label ratings it is refused in one line."""
    path = tmp_path / "long.csv"
    path.write_text(MULTI_LABEL_LONG)
    alone = json.loads(run(capsys, path, "-m", "masi_alpha", "--format", "json")[1])
    assert list(alone) == ["masi_alpha", "n_units", "coders"]
    both = json.loads(run(capsys, path, "-m", "masi_alpha", "-m", "cohen", "--format", "json")[1])
    assert list(both) == ["masi_alpha", "cohen", "n_units", "coders"] and "by_code" in both["cohen"]
    assert json.loads(run(capsys, path, "-m", "cohen", "--format", "json")[1])["masi_alpha"] == both["masi_alpha"]
    table = " ".join(run(capsys, path, "-m", "masi_alpha")[1].split())
    assert "multi-label: MASI-alpha on code sets" in table and "the rest" not in table and "Per code" not in table
    wide = tmp_path / "wide.csv"
    wide.write_text("unit,A,B\nu1,a,a\nu2,b,a\n")
    code, out, err = run(capsys, wide, "-m", "masi_alpha")
    assert code == 2 and out == "" and err.count("\n") == 1 and "use alpha" in err


def test_cohen_asked_for_the_machine_table_does_not_refuse_a_summary_of_three_coders(capsys, tmp_path):
    """-m cohen with --machine asks for the machine table's column (its default one), but the coders' summary of
    three or more coders refused it; there it is Fleiss' kappa, as in the table's 'all humans' row."""
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("unit,A,B,C\nu1,a,a,a\nu2,b,b,a\nu3,a,b,b\nu4,b,b,b\n")
    machine = tmp_path / "out.csv"
    machine.write_text("segment_id,code,score,rank,evidence\nu1,a,0.9,1,[]\nu2,b,0.9,1,[]\nu3,a,0.9,1,[]\n"
                       "u4,a,0.9,1,[]\n")
    code, out, err = run(capsys, ratings, "--machine", machine, "-m", "percent", "-m", "cohen", "--format", "json")
    assert code in (0, None), err
    result = json.loads(out)
    assert list(result) == ["percent", "fleiss", "n_units", "coders", "machine_comparison", "machine_in_place"]
    humans = next(row for row in result["machine_comparison"] if row["kind"] == "humans")
    assert humans["metrics"]["cohen"]["value"] == pytest.approx(result["fleiss"]["value"])
    assert list(result["machine_in_place"][-1]["metrics"]) == ["percent", "cohen"]  # of pairs: Cohen's kappa
    code, out, err = run(capsys, ratings, "-m", "cohen")  # without --machine, as before
    assert code == 2 and "use conger" in err


def test_the_machines_suggestions_given_as_ratings_are_refused(capsys, tmp_path):
    """suggest's OUT.csv given as RATINGS.csv was read as a wide file whose coders were code, score, rank and
    evidence, and its figures printed without a word."""
    machine = tmp_path / "out.csv"
    machine.write_text("segment_id,code,score,rank,evidence\nu1,a,0.9,1,[]\nu2,b,0.8,1,[]\nu3,a,0.7,1,[]\n")
    code, out, err = run(capsys, machine)
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert f"{machine} holds the machine's suggestions" in err and f"agree RATINGS.csv --machine {machine}" in err


def test_a_projects_audit_trail_given_as_ratings_or_machine_is_refused_as_what_it_is(capsys, tmp_path):
    """project export --audit has suggest's columns among its own: given as RATINGS.csv it was refused as the
    machine's suggestions, and the user told to give it as --machine, where it was read as one."""
    from theme_assist.project.testing import make_project

    make_project(tmp_path / "p.taproj").close()
    audit = tmp_path / "audit.csv"
    with pytest.raises(SystemExit) as done:
        main(["project", "export", str(tmp_path / "p.taproj"), "--audit", str(audit)])
    assert done.value.code in (0, None)
    capsys.readouterr()
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("segment_id,ann,bob\ninterview_a:0,work,work\ninterview_a:1,family,work\n")
    for args in ((audit,), (ratings, "--machine", audit)):
        code, out, err = run(capsys, *args)
        assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
        assert f"{audit} is a project's audit trail (project export --audit" in err and "holds the machine's" \
            not in err and "project export --codings CODINGS.csv --machine MACHINE.csv" in err


@pytest.mark.parametrize("units_tag, machine_tag, rows, accepted", [
    ("v1-turn-1000", "v1-turn-500", None, True),  # every turn one segment of at most 100 characters: alike
    ("v1-turn-500", "v1-turn-1000", None, True),
    ("v1-turn-1000", "v1-turn-80", None, False),  # a 100-character turn is split at 80: the ids move
    ("v1-turn-1000", "v1-sentence-1000", None, False),  # another unit
    ("v0-turn-1000", "v1-turn-500", None, False),  # another version
    ("v2-turn-1000", "v2-turn-500", None, True),
    ("v1-turn-1000", "v2-turn-500", None, False),  # version 2 joins a subtitle speaker's cues: turns may differ
    ("v1-turn-1000", "v1-turn-500", [0, 2, 3, 4, 5], False),  # p2 left out: whether it was split is unknown
])
def test_segments_alike_under_both_limits_are_compared(capsys, span_files, tmp_path, units_tag, machine_tag, rows,
                                                      accepted):
    """Segment ids of tags differing only in --max-chars name the same segments where the --units table shows that
    neither limit split a turn (each document's first segments, one per turn, none longer than either limit)."""
    units = pd.read_csv(span_files["segments"], dtype=str)
    units = units.assign(turn=[0, 1, 2, 3, 0, 1], position=[0, 1, 2, 3, 0, 1], segmentation=units_tag)
    path = tmp_path / "units.csv"
    units.iloc[rows if rows is not None else slice(None)].to_csv(path, index=False)
    machine = tmp_path / "out.csv"
    machine.write_text(MACHINE_ON_UNITS.format(tag=machine_tag))
    code, out, err = run(capsys, span_files["spans"], "--units", path, "--machine", machine, "-m", "percent",
                         "--format", "json")
    if accepted:
        assert code in (0, None), err
        assert json.loads(out)["machine_comparison"][0]["n_units"] >= 1
    else:
        assert code == 2 and "the same ids may name other segments" in err


def test_units_of_segmentation_version_1_against_suggestions_of_version_2_are_refused_naming_the_versions(
        capsys, span_files, tmp_path):
    units = pd.read_csv(span_files["segments"], dtype=str)
    units.assign(turn=[0, 1, 2, 3, 0, 1], position=[0, 1, 2, 3, 0, 1], segmentation="v1-turn-1000").to_csv(
        tmp_path / "units.csv", index=False)
    (tmp_path / "out.csv").write_text(MACHINE_ON_UNITS.format(tag="v2-turn-1000"))
    code, out, err = run(capsys, span_files["spans"], "--units", tmp_path / "units.csv", "--machine",
                         tmp_path / "out.csv", "-m", "percent")
    assert code == 2 and err.count("\n") == 1
    assert ("has segment ids of segmentation v1-turn-1000 and the machine's suggestions" in err
            and "of v2-turn-1000 (they differ in theme_assist's segmentation version 1 vs 2 (version 2 joins a "
                ".vtt/.srt speaker's consecutive cues into one turn and starts a turn at a heading after the first "
                "turn); not shown to be segmented alike: d1: named without its file's extension, so the table cannot "
                "show that it is a plain-text transcript (.txt), not subtitles or a Word document): the same ids may "
                "name other segments" in err)


def test_two_segmentations_pivoted_wide_are_refused_for_what_they_are(capsys, tmp_path):
    """Two coders' exports of two segmentations pivoted wide by segment and tag repeat each segment: the error said
    only that a unit appears twice; it says the rows come from two segmentations."""
    path = tmp_path / "wide.csv"
    path.write_text("segment_id,segmentation,ann,bob\np1,v1-turn-1000,hope,\np1,v1-turn-2000,,hope\n"
                    "p2,v1-turn-1000,fear,\np2,v1-turn-2000,,hope\n")
    code, out, err = run(capsys, path)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "segment 'p1' has rows of two segmentations, v1-turn-1000 and v1-turn-2000, which differ in --max-chars " \
           "1000 vs 2000" in err


def test_light_kappa_entry_says_its_pairs_and_how_it_treats_missing_ratings(capsys, wide):
    from itertools import combinations

    from theme_assist.agree import cohen_kappa

    code, out, _ = run(capsys, wide, "--format", "json", "-m", "light")
    entry = json.loads(out)["light"]
    table = pd.read_csv(wide, index_col="unit")
    kappas = []
    for first, second in combinations(table.columns, 2):
        both = table[[first, second]].dropna()
        kappas.append(cohen_kappa(both[first], both[second]).value)
    assert code == 0 and entry["value"] == pytest.approx(sum(kappas) / len(kappas))
    assert entry["coefficient"] == "Light's kappa (mean pairwise Cohen's kappa)"
    assert (entry["n_pairs"], entry["n_pairs_undefined"]) == (6, 0)
    assert [pair["coders"] for pair in entry["pairs"]][:2] == [["A", "B"], ["A", "C"]]
    assert entry["pairs"][0]["n_units"] == len(table[["A", "B"]].dropna())
    assert entry["missing_ratings"]["treatment"] == ("each pair's kappa on the units both coders of the pair rated, "
                                                     "its chance agreement from those units alone")


def test_light_kappa_row_notes_the_pairs_left_out(capsys, tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text("unit,A,B,C\n1,a,a,\n2,b,b,\n3,a,b,\n4,,b,a\n5,,a,a\n6,,b,b\n7,x,,x\n")
    code, out, _ = run(capsys, path, "-m", "light", "--bootstrap", "100")
    assert code == 0 and "Light's kappa (mean pairwise Cohen's kappa)" in out
    note = re.sub(r"[\s│]+", " ", out)
    assert "mean of 2 of 3 coder pairs; the others' kappa is undefined (no variation" in note
    assert "each pair's kappa (Light's kappa) on the units both coders of the pair rated" in note


def test_light_kappa_notes_pairs_on_few_units_that_weigh_as_much_as_the_others(capsys, tmp_path):
    """A third coder who rated 3 of 40 units: Light's kappa averaged the two pairs' kappa on 3 units with the first
    pair's on 40, alike (0.83 and 0.5 twice: 0.61), and no note said so; the machine table flags fewer than 10."""
    path = tmp_path / "ratings.csv"
    rows = [f"u{i},{'ab'[i % 2]},{'ab'[i % 2] if i % 7 else 'ab'[(i + 1) % 2]}," for i in range(37)]
    path.write_text("unit,A,B,C\n" + "\n".join(rows) + "\nv1,a,a,a\nv2,b,b,a\nv3,a,b,b\n")
    note = re.sub(r"[\s│]+", " ", run(capsys, path, "-m", "light")[1])
    assert "2 coder pairs of the mean share fewer than 10 units (A and C: 3, B and C: 3), yet each counts in the " \
           "mean as much as the others" in note
    report = run(capsys, path, "-m", "light", "--format", "markdown")[1]
    assert "2 coder pairs of the mean share fewer than 10 units (A and C: 3, B and C: 3)" in report
    many = tmp_path / "many.csv"
    many.write_text("unit,A,B,C\n" + "\n".join(f"u{i},{'ab'[i % 2]},{'ab'[i % 2]},{'ab'[i % 3 % 2]}"
                                                 for i in range(12)) + "\n")
    assert "fewer than 10 units" not in re.sub(r"[\s│]+", " ", run(capsys, many, "-m", "light")[1])


def test_light_kappa_of_multi_label_ratings_is_named_stacked_over_codes(capsys, tmp_path):
    path = tmp_path / "codings.csv"
    path.write_text(MULTI_LABEL_LONG + "s1,C,hope\ns2,C,stigma\ns3,C,hope\ns4,C,stigma\n")
    code, out, _ = run(capsys, path, "--format", "json", "--bootstrap", "50")
    entry = json.loads(out)["light"]
    assert code == 0 and entry["coefficient"] == "Light's kappa (mean pairwise Cohen's kappa), stacked over codes"
    assert entry["pooling"] == "stacked" and entry["clusters"] == "unit" and entry["ci"][0] is not None
    assert set(entry["by_code"]) == {"hope", "stigma"} and entry["by_code"]["hope"]["n_pairs"] == 3


def test_bootstrap_interval_bca_by_default_percentile_on_request(capsys, wide):
    """BCa intervals (the default) and percentile ones (--bootstrap-interval percentile) are read off the same
    resamples (same P<x); the JSON says which interval each entry holds, BCa's with its bias correction and
    acceleration; the table's caption says which."""
    from theme_assist.agree import bootstrap_alpha
    from theme_assist.agree.reading import read_codings

    options = ("-m", "alpha", "-m", "fleiss", "--bootstrap", "300", "--seed", "4")
    code, out, _ = run(capsys, wide, *options, "--format", "json", "--bootstrap-interval", "bca")
    bca = json.loads(out)
    plain = json.loads(run(capsys, wide, *options, "--format", "json", "--bootstrap-interval", "percentile")[1])
    assert code == 0 and json.loads(run(capsys, wide, *options, "--format", "json")[1]) == bca
    for name in ("alpha", "fleiss"):
        assert bca[name]["interval"] == "bca" and bca[name]["interval_reason"] is None
        assert isinstance(bca[name]["acceleration"], float) and isinstance(bca[name]["bias_correction"], float)
        assert bca[name]["p_below"] == plain[name]["p_below"] and bca[name]["ci"] != plain[name]["ci"]
        assert plain[name]["interval"] == "percentile" and "acceleration" not in plain[name]
    expected = bootstrap_alpha(read_codings(wide).ratings, n_boot=300, seed=4, interval="bca")
    assert bca["alpha"]["ci"] == [expected.low, expected.high]
    table = run(capsys, wide, *options)[1]
    assert "95% BCa bootstrap intervals" in re.sub(r"\s+", " ", table)
    table = run(capsys, wide, *options, "--bootstrap-interval", "percentile")[1]
    assert "95% percentile bootstrap intervals" in re.sub(r"\s+", " ", table)


def test_bootstrap_interval_bca_falls_back_with_a_note(capsys, tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text("unit,a,b\n" + "".join(f"{i},{i % 3},{i % 3}\n" for i in range(12)))
    entry = json.loads(run(capsys, path, "-m", "cohen", "--bootstrap", "100", "--bootstrap-interval", "bca",
                           "--format", "json")[1])["cohen"]
    assert entry["interval"] == "percentile" and entry["interval_reason"] == "every resample gave the same value"
    table = run(capsys, path, "-m", "cohen", "--bootstrap", "100", "--bootstrap-interval", "bca")[1]
    table = re.sub(r"\s+", " ", table)
    assert "percentile interval, not BCa: every resample gave the same value" in table


def test_a_bca_limit_on_one_extreme_resample_is_noted_with_the_percentile_interval(capsys, tmp_path):
    """One disagreement in 32 units: AC1's BCa lower limit is the lowest resample's value (0.749), where the
    percentile interval has 0.869; the note says so, and the JSON gives the warning and the percentile interval."""
    ann = ["y" if i in (6, 9) else "x" for i in range(32)]
    ben = ["y" if i in (3, 6, 9) else "x" for i in range(32)]
    path = tmp_path / "ratings.csv"
    path.write_text("unit,Ann,Ben\n" + "".join(f"u{i},{a},{b}\n" for i, (a, b) in enumerate(zip(ann, ben))))
    entry = json.loads(run(capsys, path, "-m", "ac1", "--bootstrap", "1000", "--format", "json")[1])["ac1"]
    assert entry["interval"] == "bca" and "extreme order statistics" in entry["interval_warning"]
    assert entry["ci"][0] < 0.76 and entry["percentile_ci"][0] > 0.86
    table = re.sub(r"[\s│]+", " ", run(capsys, path, "-m", "ac1", "--bootstrap", "1000")[1])  # a note of 2 lines
    assert (f"BCa unreliable here, a limit is the most extreme resample's value: read the percentile interval, "
            f"{entry['percentile_ci'][0]:.3f}–1.000") in table


@pytest.mark.parametrize("args, message", [
    (("--bootstrap-interval", "bca"), "--bootstrap-interval chooses the interval read off the bootstrap; ask for one"),
    (("--bootstrap", "10", "--bootstrap-interval", "BCa"),
     "--bootstrap-interval must be one of percentile, bca; got 'BCa'"),
    (("--bootstrap", "10", "--bootstrap-interval", "bca", "--alpha-bootstrap", "coincidences"),
     "--bootstrap-interval bca leaves out one unit at a time"),
    (("--interval", "analytic", "--bootstrap-interval", "bca"), "--bootstrap-interval chooses the interval"),
])
def test_bootstrap_interval_errors_are_one_line(capsys, wide, args, message):
    code, _, err = run(capsys, wide, *args)
    assert code != 0 and message in err
    assert "Traceback" not in err and len([line for line in err.splitlines() if line.strip()]) == 1
    assert err.startswith("theme-assist: error: ")


def test_a_row_repeating_the_header_is_refused_not_read_as_one_more_coder(capsys, tmp_path):
    """Two projects' ``--codings`` exports put together with ``cat``: the second header was a coder named "coder",
    with a code "code", who changed Conger's κ and Bennett's S without a word."""
    export = "segment_id,code,coder,segmentation\n{rows}"
    ann = "".join(f"d:{i},{code},Ann,v1-turn-1000\n" for i, code in enumerate("aabba"))
    ben = "".join(f"d:{i},{code},Ben,v1-turn-1000\n" for i, code in enumerate("abbba"))
    path = tmp_path / "both.csv"
    path.write_text(export.format(rows=ann) + export.format(rows=ben))
    code, out, err = run(capsys, path)
    assert code == 2 and not out
    assert err.strip() == (f"theme-assist: error: ratings file {path} repeats its header on line 7 (tables put "
                           "together, each with its header?): keep only the first header line")


@pytest.mark.parametrize("first, second, line", [
    # Excel's "CSV UTF-8": each file starts with a byte-order mark, which cat keeps before the second header
    ("\ufeffunit,Ann,Ben\nu1,a,a\nu2,b,b\n", "\ufeffunit,Ann,Ben\nu3,a,b\n", 4),
    # a column with no name (a trailing comma on every line): pandas names it "Unnamed: 3", its cell is empty
    ("unit,Ann,Ben,\nu1,a,a,\nu2,b,b,\n", "unit,Ann,Ben,\nu3,a,b,\n", 4),
    # R's write.csv: its row names' column has an empty name
    ('"","unit","Ann","Ben"\n"1","u1","a","a"\n', '"","unit","Ann","Ben"\n"1","u3","a","b"\n', 3),
])
def test_a_repeated_header_is_refused_past_a_mark_or_a_column_with_no_name(capsys, tmp_path, first, second, line):
    """The second header went unseen: a unit "\ufeffunit" rated "Ann" and "Ben" counted without a word, or a unit
    said to appear twice."""
    path = tmp_path / "both.csv"
    path.write_bytes((first + second).encode("utf-8"))
    code, out, err = run(capsys, path)
    assert code == 2 and not out
    assert err.strip() == (f"theme-assist: error: ratings file {path} repeats its header on line {line} (tables put "
                           "together, each with its header?): keep only the first header line")


def test_a_coder_sharing_no_unit_with_another_is_warned_of(capsys, tmp_path):
    """A project's --codings export holds the codings it was made with (a coder named by the --coded file) beside
    the two coders of a reliability round: that third coder, on other documents, turned Cohen's κ into Fleiss' and
    widened the analytic intervals, without a word."""
    rows = ["segment_id,code,coder"]
    rows += [f"d:{i},{code},Ann" for i, code in enumerate("aabbab")]
    rows += [f"d:{i},{code},Ben" for i, code in enumerate("abbbab")]
    rows += [f"e:{i},{code},coded.csv" for i, code in enumerate("abab")]
    path = tmp_path / "codings.csv"
    path.write_text("\n".join(rows) + "\n")
    code, out, err = run(capsys, path, "--format", "json")
    assert code == 0
    assert json.loads(out)["coders"] == ["Ann", "Ben", "coded.csv"]
    assert (f"{path}: the coder(s) coded.csv share no unit with another coder, yet count in the coders' summary"
            in " ".join(err.split()))
    path.write_text("\n".join(row for row in rows if not row.endswith("coded.csv")) + "\n")
    code, _, err = run(capsys, path)
    assert code == 0 and "share no unit" not in err


def test_a_coder_sharing_no_unit_with_another_is_warned_of_in_multi_label_ratings_too(capsys, tmp_path):
    """Multi-label ratings take every coder to have read every unit: a third coder on other documents counted as
    giving no code on every unit the two others coded (and they on its), without a word of it."""
    rows = ["segment_id,code,coder", "d:0,a,Ann", "d:0,b,Ann", "d:0,a,Ben", "d:1,b,Ann", "d:1,b,Ben",
            "e:0,a,coded.csv", "e:1,b,coded.csv"]
    path = tmp_path / "codings.csv"
    path.write_text("\n".join(rows) + "\n")
    code, _, err = run(capsys, path)
    assert code == 0
    assert (f"{path}: the coder(s) coded.csv share no unit with another coder, yet count in the coders' summary, as "
            "giving no code on every unit the others coded" in " ".join(err.split()))
    code, _, err = run(capsys, path, "--coder", "Ann", "--coder", "Ben")
    assert code == 0 and "share no unit" not in err


def test_a_coder_sharing_no_unit_is_warned_of_in_multi_label_span_codings_on_units(capsys, span_files, tmp_path):
    """Span codings on units hold a row for every unit and coder (a unit without a span: no code), so every coder
    seemed to share every unit: a coder whose spans are all in a document the others put none in went unsaid.
    Their units in the others' documents are missing ratings, so they count as one more coder."""
    spans = tmp_path / "spans_c.csv"
    spans.write_text(SPANS + "d1,60,90,stigma,A,x,Stigma\nd3,0,40,hope,C,x,Hope\nd3,50,90,stigma,C,x,S\n")
    segments = tmp_path / "segments_c.csv"
    segments.write_text(SEGMENTS + "r1,d3,0,50,g\nr2,d3,50,100,h\n")
    code, _, err = run(capsys, spans, "--units", segments, "-m", "percent")
    assert code == 0
    assert (f"{spans}: the coder(s) C share no unit with another coder, yet count in the coders' summary, as one "
            "more coder" in " ".join(err.split()))
    code, _, err = run(capsys, spans, "--units", segments, "--coder", "A", "--coder", "B", "-m", "percent")
    assert code == 0 and "share no unit" not in err


def test_a_repeated_header_is_found_after_an_excel_exports_byte_order_mark(capsys, tmp_path):
    """Two Excel "CSV UTF-8" exports put together with ``cat``: the second header opens with a byte-order mark,
    which only the file's first one has taken off when it is read."""
    export = "\ufeffsegment_id,code,coder\n{rows}"
    path = tmp_path / "both.csv"
    path.write_text(export.format(rows="d:1,a,Ann\nd:2,b,Ann\n") + export.format(rows="d:1,a,Ben\nd:2,a,Ben\n"),
                    encoding="utf-8")
    code, out, err = run(capsys, path)
    assert code == 2 and not out
    assert "repeats its header on line 4" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("row", ["d:2,Text", "Segment_ID , Hello", ",text"])
def test_a_row_matching_the_header_in_some_columns_only_is_read(tmp_path, row):
    """A row is a repeated header only where every cell is its column's name: a segment whose text is "text", or
    a row that matches all but its last cell, is data."""
    from theme_assist.inputs import read_table

    path = tmp_path / "segments.csv"
    path.write_text(f"segment_id,text\nd:1,Hello\n{row}\n", encoding="utf-8")
    assert read_table(path, required=("segment_id", "text")).iloc[1].tolist() == row.split(",")


def test_a_repeated_header_is_found_under_rs_nameless_row_names_column(tmp_path):
    """R's write.csv writes its row names under an empty name (pandas's "Unnamed: 0"): two such exports put
    together repeat the header with an empty cell there."""
    from theme_assist.errors import InputError
    from theme_assist.inputs import read_table

    export = '"","segment_id","text"\n"1","d:{0}","Hello"\n'
    path = tmp_path / "segments.csv"
    path.write_text(export.format(1) + export.format(2), encoding="utf-8")
    with pytest.raises(InputError, match="repeats its header on line 3"):
        read_table(path, required=("segment_id", "text"))
    for table in (",\n1,2\n,\n", "text,\nHello,\nText,\n"):  # fewer than two columns named: data
        path.write_text(table, encoding="utf-8")
        assert len(read_table(path)) == 2


@pytest.mark.parametrize("text", ['{"Ann": ["a", "b"], "Ben": ["a", "a"]}\n', '\ufeff[{"unit": "u1", "Ann": "a"}]\n'])
def test_a_json_file_given_as_ratings_is_refused_as_json(capsys, tmp_path, text):
    """Its first line was read as a header and the file refused as having "a header but no rows"."""
    path = tmp_path / "ratings.json"
    path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, path)
    assert code == 2 and not out
    assert err.strip() == (f"theme-assist: error: ratings file {path} holds JSON, not a table: give a .csv, .tsv or "
                           ".xlsx table")


def test_a_table_whose_first_cell_opens_with_a_bracket_is_no_json(capsys, tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text("[unit],Ann,Ben\n[00:01] u1,a,a\nu2,b,a\nu3,b,b\n", encoding="utf-8")
    code, out, _ = run(capsys, path, "--format", "json")
    assert code == 0 and json.loads(out)["coders"] == ["Ann", "Ben"]


def test_a_file_without_a_rating_is_refused_naming_its_coders(capsys, tmp_path):
    """A wide file whose every cell is empty was refused as having "0 coder column(s)", though it has two: the
    coders without a rating are dropped before the refusal and their warning waits for the file to be read. A long
    one said "has 0 coder"."""
    wide = tmp_path / "empty.csv"
    wide.write_text("unit,A,B\nu1,,\nu2,,\n")
    for output in ("table", "markdown"):
        code, out, err = run(capsys, wide, "--format", output)
        assert code == 2 and out == "" and err.count("\n") == 1
        assert f"{wide} has 0 coder column(s) with a rating, A, B giving none (wide format" in err
    long = tmp_path / "empty_long.csv"
    long.write_text("unit,coder,code\nu1,A,\nu1,B,\n")
    assert f"{long} has 0 coders; agreement needs at least two coders" in run(capsys, long)[2]


def test_each_machine_comparison_says_its_own_missing_ratings(capsys, tmp_path, span_files):
    """The README asks a report to give, for each pair, how missing ratings were treated ("missing_ratings"), but
    only the coders' summary had it: a pair where bob left a unit unrated, or the machine abstained, said nothing."""
    wide = tmp_path / "unrated.csv"
    wide.write_text(WIDE_FOR_MACHINE.replace("s2,hope,stigma", "s2,hope,"))
    machine = tmp_path / "abstained.csv"
    machine.write_text(SUGGESTIONS.replace("s4,work,0.4,1,[]", "s4,,,,[]"))  # an abstention: a missing rating
    code, out, err = run(capsys, wide, "--machine", machine, "--format", "json")
    assert code in (0, None), err
    result = json.loads(out)
    rows = {row["comparison"]: row for row in result["machine_comparison"]}
    assert rows["ann vs bob"]["metrics"]["cohen"]["missing_ratings"]["count"] == 1  # bob's s2, of 12
    assert rows["ann vs bob"]["metrics"]["cohen"]["missing_ratings"]["of"] == 12
    assert rows["machine vs ann"]["metrics"]["percent"]["missing_ratings"]["count"] == 1  # the abstention on s4
    assert rows["machine vs bob"]["metrics"]["cohen"]["missing_ratings"]["count"] == 2  # s2 and s4
    assert "treatment" in rows["machine vs bob"]["metrics"]["cohen"]["missing_ratings"]
    assert all("missing_ratings" not in row for row in result["machine_comparison"])  # no key beside the metrics
    complete = json.loads(run(capsys, span_files["wide"], "--machine", span_files["suggestions"], "--format",
                              "json")[1])
    rows = {row["comparison"]: row for row in complete["machine_comparison"]}
    for name in ("machine vs ann", "machine vs bob", "ann vs bob"):  # none missing: nothing said
        assert all("missing_ratings" not in entry for entry in rows[name]["metrics"].values()), name
    # the majority of two coders is missing where they differ (s2): said, as the coders' own missing ratings are
    assert rows["machine vs human majority"]["metrics"]["cohen"]["missing_ratings"]["count"] == 1
