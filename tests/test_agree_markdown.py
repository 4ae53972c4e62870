"""``theme-assist agree --format markdown``: the report's figures are those of ``--format json`` on the same input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.test_agree_cli import run, KRIPPENDORFF_WIDE, MULTI_LABEL_LONG, OVERLAPPING, SEGMENTS, SPANS, SUGGESTIONS, \
    WIDE_FOR_MACHINE

MARKS = re.compile(r"(\[\^\d+\])+$")


@pytest.fixture()
def files(tmp_path):
    paths = {}
    for name, content in (("wide", KRIPPENDORFF_WIDE), ("multi", MULTI_LABEL_LONG), ("spans", SPANS),
                          ("segments", SEGMENTS), ("overlapping", OVERLAPPING), ("two", WIDE_FOR_MACHINE),
                          ("suggestions", SUGGESTIONS)):
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_text(content)
    return paths


def tables(report: str) -> list[list[dict]]:
    """Each Markdown table of the report: a list of rows, each a dict of header → cell (footnote marks apart)."""
    found, lines = [], report.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("| "):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append([cell.strip() for cell in re.split(r"(?<!\\)\|", lines[i].strip().strip("|"))])
                i += 1
            header, rows = block[0], block[2:]
            assert all(set(cell) <= set(":-") for cell in block[1])
            found.append([dict(zip(header, row)) for row in rows])
        i += 1
    return found


def printed(value) -> str:
    """A JSON figure as the report prints it: three decimals, a minus sign, a dash where there is none."""
    return "—" if value is None else f"{value:.3f}".replace("-0.000", "0.000").replace("-", "\u2212")


def interval(ci) -> str:
    return "—" if ci is None or None in ci else f"[{printed(ci[0])}, {printed(ci[1])}]"


def metric_cells(name: str, entry: dict, both: bool) -> dict:
    cells = {name: printed(entry["value"])}
    if "ci" in entry:
        cells[f"{name} 95% CI" + (" (bootstrap)" if both else "")] = interval(entry["ci"])
    if "analytic" in entry:
        cells[f"{name} 95% CI" + (" (analytic)" if both else "")] = interval(entry["analytic"]["ci"])
    return cells


def check_report(report: str, result: dict) -> None:
    """Every figure of every table of ``report`` is ``result``'s (agree's JSON), as printed; each footnote mark
    has its footnote; no NaN, no hyphen for a minus."""
    found = tables(report)
    metrics = {name: entry for name, entry in result.items() if isinstance(entry, dict) and "value" in entry}
    if metrics:
        summary = found.pop(0)
        assert len(summary) == len(metrics)
        for row, entry in zip(summary, metrics.values()):
            assert MARKS.sub("", row["Coefficient"]) == entry["coefficient"]
            assert row["Value"] == printed(entry["value"]) and row["n"] == str(entry["n_units"])
            if "SE" in row:
                assert row["SE"] == printed(entry.get("analytic", {}).get("se"))
                assert row["95% CI (analytic)"] == interval(entry.get("analytic", {}).get("ci"))
            bootstrap = next((key for key in row if "bootstrap" in key), None)
            if bootstrap:
                assert row[bootstrap] == interval(entry.get("ci"))
                assert row["P(< .667)"] == printed(entry.get("p_below", {}).get("0.667"))
                assert row["P(< .8)"] == printed(entry.get("p_below", {}).get("0.8"))
        per_code = {name: entry["by_code"] for name, entry in metrics.items() if "by_code" in entry}
        if per_code:
            rows = found.pop(0)
            codes = next(iter(per_code.values()))
            assert [MARKS.sub("", row["Code"]) for row in rows] == list(codes)
            for row, code in zip(rows, codes):
                first = codes[code]
                expected = {"n": str(first["n_units"]), "Prevalence": printed(first["prevalence"])}
                for name, by_code in per_code.items():
                    entry = by_code[code]
                    expected.update(metric_cells(name, entry, "ci" in entry and "analytic" in entry))
                given = next(key for key in row if key.startswith("Given"))
                assert row[given] == " / ".join(map(str, first["given"].values()))
                assert {key: row[key] for key in expected} == expected
                assert len(row) == len(expected) + 2
    for comparison in (result.get("machine_comparison") or [],) if result.get("machine_comparison") else ():
        rows = found.pop(0)
        assert [MARKS.sub("", row["Comparison"]) for row in rows] == [row["comparison"] for row in comparison]
        for row, entries in zip(rows, comparison):
            # no unit rated by both: no prevalence, which would be of one side's ratings alone
            expected = {"n": str(entries["n_units"]),
                        "Prevalence": printed(entries["prevalence"] if entries["n_units"] else None)}
            for name, entry in entries["metrics"].items():
                expected.update(metric_cells(name, entry, "ci" in entry and "analytic" in entry))
                assert entries[name] == entry["value"]
            assert row == {"Comparison": row["Comparison"], **expected}
        if all("by_code" in entry for entry in comparison[0]["metrics"].values()):
            rows = iter(found.pop(0))
            for entries in comparison:
                for code in next(iter(entries["metrics"].values()))["by_code"]:
                    row = next(rows)
                    assert row["Comparison"] == entries["comparison"] and MARKS.sub("", row["Code"]) == code
                    first = next(iter(entries["metrics"].values()))["by_code"][code]
                    assert row["n"] == str(entries["n_units"])
                    assert row["Prevalence"] == printed(first["prevalence"] if entries["n_units"] else None)
                    for name, metric in entries["metrics"].items():
                        entry = metric["by_code"][code]
                        cells = metric_cells(name, entry, "ci" in entry and "analytic" in entry)
                        assert {key: row[key] for key in cells} == cells
            assert next(rows, None) is None
    if result.get("machine_in_place"):
        rows = found.pop(0)
        assert [MARKS.sub("", row["Comparison"]) for row in rows] == [row["comparison"] for row in
                                                                        result["machine_in_place"]]
        for row, entries in zip(rows, result["machine_in_place"]):
            expected = {}
            for name, entry in entries["metrics"].items():
                value = printed(entry["value"])
                signed = value if value in ("—", "0.000") or value[0] == "\u2212" else "+" + value
                sides = f" ({printed(entry['machine'])} \u2212 {printed(entry['coders'])})" if value != "—" else ""
                expected[f"{name} difference"] = signed + sides
                if "ci" in entry:
                    expected[f"{name} 95% CI"] = interval(entry["ci"]) + (" ✓" if entry.get("non_inferior") else "")
            assert row == {"Comparison": row["Comparison"], **expected}
    if result.get("by"):  # --by: the coders' summary per group, then the machine's
        by = result["by"]
        rows = found.pop(0)
        assert [MARKS.sub("", row[by["column"]]) for row in rows] == [group["value"] for group in by["groups"]]
        for row, group in zip(rows, by["groups"]):
            assert row["n"] == str(group["n_units"])
            for name, entry in (group["summary"] or {}).items():
                if isinstance(entry, dict) and "value" in entry:
                    cells = metric_cells(name, entry, "ci" in entry and "analytic" in entry)
                    assert {key: row[key] for key in cells} == cells
        if any("machine_in_place" in group for group in by["groups"]):
            rows = found.pop(0)
            against = "majority" if any(group["machine_vs_majority"] for group in by["groups"]) else "coder"
            for row, group in zip(rows, by["groups"]):
                majority = group["machine_vs_majority"] or group.get("machine_vs_coder")
                in_place = group["machine_in_place"]
                assert row["n"] == (str(majority["n_units"]) if majority else "—")
                for name, entry in (majority or {"metrics": {}})["metrics"].items():
                    cells = metric_cells(f"{name} vs {against}", entry, "ci" in entry and "analytic" in entry)
                    assert {key: row[key] for key in cells} == cells
                assert any(key.endswith(" in place") for key in row) == any(group["machine_in_place"]
                                                                            for group in by["groups"])
                for name, entry in (in_place or {"metrics": {}})["metrics"].items():
                    value = printed(entry["value"])
                    assert row[f"{name} in place"] == (value if value in ("—", "0.000") or value[0] == "\u2212"
                                                       else "+" + value)
                    if "ci" in entry:
                        assert row[f"{name} in place 95% CI"] == interval(entry["ci"]) + (
                            " ✓" if entry.get("non_inferior") else "")
    assert not found
    marks = set(re.findall(r"\[\^(\d+)\](?!:)", report))
    defined = set(re.findall(r"^\[\^(\d+)\]:", report, flags=re.M))
    assert marks == defined
    assert not re.search(r"\bnan\b", report, flags=re.I)
    for table in tables(report):
        for row in table:
            assert not any(re.search(r"(?<![\w.])-\d", cell) for cell in row.values())


OPTIONS = {
    "four coders, missing ratings, both intervals": ("wide", "--interval", "both", "--bootstrap", "200", "--seed",
                                                     "5"),
    "four coders, per code, population": ("wide", "--per-code", "--interval", "analytic", "--population", "500"),
    "weights and level": ("wide", "--level", "ordinal", "--weights", "quadratic", "-m", "alpha", "-m", "cohen",
                          "--coder", "B", "--coder", "C"),
    "categories, machine, per code": ("two", "--machine", "suggestions", "--per-code", "--categories",
                                      "hope,stigma,work,other", "--bootstrap", "300", "--seed", "2"),
    "machine with one coder": ("two", "--machine", "suggestions", "--coder", "ann", "--interval", "both",
                               "--bootstrap", "200"),
    "machine, both intervals, per code": ("two", "--machine", "suggestions", "--per-code", "--interval", "both",
                                          "--bootstrap", "200"),
    "percentile intervals": ("wide", "--bootstrap", "200", "--bootstrap-interval", "percentile"),
    "coincidences": ("wide", "--bootstrap", "200", "--alpha-bootstrap", "coincidences"),
    "multi-label": ("multi", "--bootstrap", "200"),
    "multi-label, one metric": ("multi", "-m", "masi_alpha"),
    "span codings on units": ("spans", "--units", "segments", "--interval", "analytic"),
    "span codings on units, per code": ("spans", "--units", "segments", "--bootstrap", "200", "--per-code"),
}


def _args(files, args):
    """The options, the ratings file (first) and the --machine and --units files named by ``files``' keys."""
    return [files[arg] if i == 0 or args[i - 1] in ("--machine", "--units") else arg for i, arg in enumerate(args)]


@pytest.mark.parametrize("args", OPTIONS.values(), ids=OPTIONS.keys())
def test_the_reports_figures_are_the_jsons(capsys, files, args):
    args = _args(files, args)
    code, report, _ = run(capsys, *args, "--format", "markdown")
    assert code in (0, None), report
    code, out, _ = run(capsys, *args, "--format", "json")
    result = json.loads(out)
    assert report.startswith("## Intercoder agreement\n\n**Methods.** Agreement was measured on ")
    check_report(report, result)
    assert run(capsys, *args, "--format", "markdown")[1] == report  # same input and seed: same bytes


def test_the_methods_paragraph_says_how_the_intervals_were_computed(capsys, files):
    report = run(capsys, files["wide"], "--bootstrap", "1000", "--seed", "42", "--format", "markdown")[1]
    methods = report.split("\n\n")[1]
    assert "95% BCa bootstrap intervals (Efron 1987), 1,000 resamples, seed 42: units resampled with replacement" \
        in methods
    assert "12 units, coded by 4 coders (A, B, C and D); 11 of them were rated by two or more" in methods
    assert "The coders chose among 5 categories (1, 2, 3, 4 and 5)" in methods
    assert "7 of 48 ratings were missing" in methods and "Computed with theme_assist " in methods
    # the note says how each coefficient treated them, as the table's caption does
    assert re.search(r"^\[\^\d+\]: Missing ratings \(7 of 48\): observed agreement over the units rated two or more "
                     r"times", report, flags=re.M)
    percentile = run(capsys, files["wide"], "--bootstrap", "1000", "--bootstrap-interval", "percentile",
                     "--format", "markdown")[1].split("\n\n")[1]
    assert "95% percentile bootstrap intervals, 1,000 resamples, seed 0" in percentile
    analytic = run(capsys, files["wide"], "--interval", "analytic", "--population", "500",
                   "--format", "markdown")[1].split("\n\n")[1]
    assert "95% analytic intervals (Gwet 2014, conditional on the coders" in analytic
    assert "finite-population correction for N = 500 units" in analytic and "bootstrap" not in analytic
    assert "No intervals were computed" in run(capsys, files["wide"], "--format", "markdown")[1]


def test_the_report_keeps_the_tables_warnings_as_footnotes(capsys, files):
    """BCa's warning (one disagreement in 32 units: AC1's lower limit is the lowest resample), the resamples too
    few, the coders left out: each a footnote of the row or table it is about."""
    few = files["wide"].with_name("few.csv")
    few.write_text("unit,A,B\n" + "".join(f"u{i},x,{'y' if i == 0 else 'x'}\n" for i in range(31)) + "u31,y,y\n")
    report = run(capsys, few, "-m", "ac1", "--bootstrap", "500", "--seed", "1", "--format", "markdown")[1]
    result = json.loads(run(capsys, few, "-m", "ac1", "--bootstrap", "500", "--seed", "1", "--format", "json")[1])
    check_report(report, result)
    assert result["ac1"]["interval_warning"]
    (row,) = tables(report)[0]
    (mark,) = MARKS.search(row["Coefficient"]).group(0)[2:-1].split("][^")
    low, high = (printed(limit) for limit in result["ac1"]["percentile_ci"])
    assert f"[^{mark}]: BCa unreliable here, a limit is the most extreme resample's value: read the percentile " \
           f"interval, {low}–{high}." in report
    assert "--bootstrap 500: too few resamples" in report
    left = run(capsys, files["wide"], "--coder", "A", "--coder", "B", "--format", "markdown")[1]
    assert re.search(r"^\[\^\d+\]: Only the coders of --coder: A, B \(left out: C, D\)\.$", left, flags=re.M)


def test_the_machine_is_said_to_be_compared_not_how_it_was_made(capsys, files):
    """The report said "The machine is the pre-coding ... suggested before the coders' round" of any --machine
    file: a machine trained on these very codings too, where that sentence, pasted into a paper, is false."""
    report = run(capsys, files["two"], "--machine", files["suggestions"], "--format", "markdown")[1]
    name = Path(files["suggestions"]).name
    assert f"The machine's codes ({name}: theme_assist's rank-1 code per segment) were compared as one more coder" \
           in report
    assert "pre-coding" not in report and "before the coders' round" not in report
    one = run(capsys, files["two"], "--machine", files["suggestions"], "--coder", "ann", "--format", "markdown")[1]
    assert "coded by one coder (ann) and by the machine" in one and "**Table 1.** The machine beside the coders" in one
    assert "No agreement among coders: one coder (ann)" in one


def test_the_coders_are_not_said_to_have_coded_independently(capsys, files):
    """The report said "coded independently by 4 coders" of any file: a project's review without --blind shows
    each coder the others' codes, which the file does not tell; pasted into a paper, the sentence is false."""
    report = run(capsys, files["wide"], "--format", "markdown")[1]
    assert "independent" not in report and "coded by 4 coders (A, B, C and D)" in report


def test_one_unit_or_rating_is_said_in_the_singular(capsys, tmp_path):
    one = tmp_path / "one.csv"
    one.write_text("unit,coder,code\ns1,A,hope\ns2,A,hope\ns1,B,hope\n")
    report = run(capsys, one, "--format", "markdown")[1]
    assert "; 1 of them was rated by two or more coders" in report and "1 of 4 ratings was missing" in report
    assert "1 of 4 ratings was missing, each coefficient treating it as the note says" in report  # was "them"
    single = tmp_path / "single.csv"
    single.write_text("unit,A,B\nu1,x,x\n")
    assert "**Table 1.** Agreement among the coders: 1 unit, 2 coders." in run(capsys, single, "--format",
                                                                              "markdown")[1]


def test_every_warning_said_is_a_footnote_its_file_named_as_written(capsys, tmp_path, monkeypatch):
    """Only agree's own warnings were footnotes: reading the file's (a coder left out for giving no rating, codes
    apart only by case) were said on standard error alone, though the report's footnotes were to hold every
    warning; and a footnote starting with a file's name capitalised it ("Nocode.csv")."""
    (tmp_path / "nocode.csv").write_text("unit,a,b,c\n1,x,x,\n2,x,y,\n3,X,x,\n")
    monkeypatch.chdir(tmp_path)
    code, report, err = run(capsys, "nocode.csv", "--format", "markdown")
    assert code == 0 and "the coder(s) c gave no rating and are left out" in err
    assert re.search(r"^\[\^\d+\]: nocode\.csv: the coder\(s\) c gave no rating and are left out\.$", report,
                     flags=re.M)
    assert re.search(r"^\[\^\d+\]: nocode\.csv: 1 code\(s\) written apart only by case", report, flags=re.M)
    assert "Nocode.csv" not in report
    (tmp_path / "spans.csv").write_text("document,start,end,code,coder\nd1,0,100,hope,A\nd1,5,100,Hope,B\n")
    code, report, err = run(capsys, "spans.csv", "--overlap", "0.9", "--format", "markdown")
    assert code == 0 and "written apart only by case" in err
    assert re.search(r"^\[\^1\]: spans\.csv: 1 code\(s\) written apart only by case", report, flags=re.M)


def test_span_codings_name_their_segments_and_documents(capsys, files):
    report = run(capsys, files["spans"], "--units", files["segments"], "--format", "markdown")[1]
    assert f"Agreement was measured on 6 segments (the units of {files['segments']}) in 2 documents" in report
    # no coder chose "(no code)": it rates a unit without their span ("The coders chose among 3 categories ((no
    # code), hope and stigma)" read as if the codebook offered it)
    assert "The coders chose among 2 codes (hope and stigma); a unit of a document they coded without their span " \
           "on it was rated (no code): 3 categories in all." in report


def test_segment_agreement_by_overlap(capsys, files):
    report = run(capsys, files["overlapping"], "--overlap", "0.9", "--format", "markdown")[1]
    (pair,) = json.loads(run(capsys, files["overlapping"], "--overlap", "0.9", "--format", "json")[1])[
        "segment_agreement"]
    assert "overlapping it by at least 90% (intersection over union)" in report
    assert f"kappa (Brennan & Prediger) {printed(pair['kappa_bp'])}." in report
    (rows,) = tables(report)
    assert rows == [{"Code": row["code"], "Agreements": str(row["agreements"]),
                     "Disagreements": str(row["disagreements"]), "Total": str(row["total"]),
                     "Percent": printed(row["percent"])} for row in pair["codes"]]


@pytest.mark.parametrize("args, message", [
    (("--population", "100"), "--population corrects the analytic intervals"),
    (("--bootstrap-interval", "bca"), "--bootstrap-interval chooses the interval"),
    (("-m", "nonsense"), "nonsense"),
])
def test_refusals_are_those_of_the_other_formats(capsys, files, args, message):
    for output in ("json", "markdown"):
        code, out, err = run(capsys, files["wide"], *args, "--format", output)
        assert code == 2 and out == "" and message in err and err.count("\n") == 1


def test_a_multi_label_report_names_the_codes_and_how_a_unit_without_a_code_counts(capsys, files):
    report = run(capsys, files["multi"], "-m", "percent", "--format", "markdown")[1]
    assert "several codes (multi-label): the code sets were compared with Krippendorff's alpha on the MASI " \
           "distance" in report
    assert "They chose among 2 codes (hope and stigma)" in report
    assert "a unit without a code from a coder counted as given none of the codes" in report


def test_coefficients_whose_names_hold_a_comma_are_listed_apart(capsys, files):
    """"Coefficients: ..., Percent agreement, Cohen's kappa, pooled over codes (De Vries et al. 2008), Scott's pi,
    ..." read "pooled over codes" as a coefficient of its own."""
    report = run(capsys, files["multi"], "-m", "percent", "-m", "cohen", "-m", "ac1", "--format", "markdown")[1]
    assert "Coefficients: Krippendorff's alpha (masi); Percent agreement; Cohen's kappa, pooled over codes (De Vries " \
           "et al. 2008) and Gwet's AC1, stacked over codes." in report


def test_many_categories_are_counted_not_listed(capsys, tmp_path):
    many = tmp_path / "many.csv"
    many.write_text("unit,A,B\n" + "".join(f"u{i},c{i},c{i if i % 4 else i + 1}\n" for i in range(20)))
    report = run(capsys, many, "-m", "cohen", "--format", "markdown")[1]
    assert "The coders chose among 20 categories. " in report
    two = run(capsys, many, "-m", "cohen", "--categories", ",".join(f"c{i}" for i in range(22)),
              "--format", "markdown")[1]
    assert "The coders chose among 22 categories, the categories c20 and c21 declared but used by no coder, and " \
        "counted (for " \
        "Bennett's S and AC1, which depend on the number of categories)" in two


def test_unused_categories_with_weights_are_said_to_change_the_weighted_coefficients(capsys, tmp_path):
    """With --weights, a declared category nobody used changes the weights, so weighted percent agreement and
    AC2 too: the report said it was counted "for Bennett's S and AC1" (AC1 not even reported), and "declared in
    advance", which the file does not tell."""
    ordinal = tmp_path / "ordinal.csv"
    ordinal.write_text("unit,a,b\n1,1,1\n2,2,2\n3,2,3\n4,3,3\n5,1,2\n6,3,3\n")
    args = (ordinal, "--weights", "linear", "--categories", "1,2,3,4")
    percent = json.loads(run(capsys, *args, "--format", "json")[1])["percent"]["value"]
    assert percent != json.loads(run(capsys, ordinal, "--weights", "linear", "--format", "json")[1])["percent"][
        "value"]
    report = run(capsys, *args, "--format", "markdown")[1]
    assert "the category 4 declared but used by no coder, and counted (for Bennett's S, AC2 and the weights, which " \
           "depend on " \
           "the categories)" in report
    assert "in advance" not in report


def test_an_unused_category_named_by_a_number_is_not_read_as_a_count(capsys, tmp_path):
    """"The coders chose among 4 categories (0, 1, 2 and 3), 3 declared but used by no coder" read as three
    categories unused (one was): the unused ones are said to be "the category" or "the categories"."""
    levels = tmp_path / "levels.csv"
    levels.write_text("unit,a,b\n1,0,0\n2,1,1\n3,2,1\n4,0,0\n5,2,2\n")
    report = " ".join(run(capsys, levels, "-m", "cohen", "--categories", "0,1,2,3", "--format", "markdown")[1].split())
    assert "The coders chose among 4 categories (0, 1, 2 and 3), the category 3 declared but used by no coder" \
        in report
    report = " ".join(run(capsys, levels, "-m", "cohen", "--categories", "0,1,2,3,4", "--format", "markdown")[1]
                      .split())
    assert "(0, 1, 2, 3 and 4), the categories 3 and 4 declared but used by no coder" in report


def test_a_name_with_a_line_break_stays_in_the_methods_paragraph(capsys, tmp_path):
    """A code holding a line break was printed as written in the methods paragraph: ``y\\n# z`` ended it, and
    Markdown read ``# z). Coefficients: ...`` as a heading."""
    broken = tmp_path / "broken.csv"
    broken.write_text('unit,A,B\nu1,x,x\nu2,"y\n# z",x\nu3,x,x\n')
    report = run(capsys, broken, "-m", "percent", "--format", "markdown")[1]
    methods = report.split("\n\n")[1]
    assert "\n" not in methods and "(x and y # z)" in methods


def test_names_holding_markdown_are_rendered_as_written(capsys, tmp_path):
    """Names were printed raw: rendered, coder ``*x*`` read as an emphasised x, ``[link](x)`` as a link, a code
    ``<b>`` as HTML that bolded what followed, so the rendered report named coders and codes the file has not."""
    markdown_it = pytest.importorskip("markdown_it")
    coders, codes = ["*x*", "[link](x)", "_a_"], ["<b>", "`c`", "p|q", "self_care"]
    rows = "".join(f"u{unit},{coder},{codes[(unit + (i if unit % 2 else 0)) % 4]}\n"
                   for unit in range(8) for i, coder in enumerate(coders))
    marked = tmp_path / "marked.csv"
    marked.write_text("unit,coder,code\n" + rows)
    report = run(capsys, marked, "--per-code", "-m", "fleiss", "--format", "markdown")[1]
    assert "self_care" in report  # an underscore inside a word is no markup: no backslash
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(report)
    texts = ["".join(child.content for child in token.children if child.type in ("text", "code_inline"))
             for token in tokens if token.type == "inline"]
    code_texts = ["".join(child.markup + child.content + child.markup if child.type == "code_inline" else
                          child.content for child in token.children) for token in tokens if token.type == "inline"]
    assert not any(child.type in ("em_open", "link_open", "html_inline") for token in tokens
                   if token.type == "inline" for child in token.children)
    assert "coded by 3 coders (*x*, [link](x) and _a_)" in texts[1]
    assert "(<b>, `c`, p|q and self_care)" in code_texts[1]
    assert "Given (*x* / [link](x) / _a_)" in texts
    assert [text for text in texts if text in codes] == codes


def test_the_footnotes_name_coders_holding_markdown_as_written(capsys, tmp_path):
    """The footnotes (--coder's, the warnings, one coder's "no agreement among coders") printed names raw: coder
    ``*ann*`` rendered as an emphasised ann."""
    markdown_it = pytest.importorskip("markdown_it")
    marked = tmp_path / "marked.csv"
    marked.write_text("unit,*ann*,_bob_,c\ns1,hope,hope,x\ns2,hope,stigma,x\ns3,stigma,stigma,x\n")
    suggestions = tmp_path / "suggestions.csv"
    suggestions.write_text("segment_id,code,score,rank,evidence\ns1,hope,0.9,1,[]\ns2,stigma,0.8,1,[]\n")
    for coders in (["*ann*"], ["*ann*", "_bob_"]):
        report = run(capsys, marked, "--machine", suggestions, *(f"--coder={coder}" for coder in coders),
                     "--format", "markdown")[1]
        tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(report)
        assert not any(child.type == "em_open" for token in tokens if token.type == "inline"
                       for child in token.children)
        texts = ["".join(child.content for child in token.children) for token in tokens if token.type == "inline"]
        left = ", ".join(name for name in ("*ann*", "_bob_", "c") if name not in coders)
        assert any(f"[^1]: Only the coders of --coder: {', '.join(coders)} (left out: {left})." in text
                   for text in texts)
        assert (len(coders) == 1) == any(text.startswith("No agreement among coders: one coder (*ann*)")
                                         for text in texts)
        assert (len(coders) == 1) == any("coded by one coder (*ann*) and by the machine" in text for text in texts)


def test_names_holding_an_html_entity_are_rendered_as_written(capsys, tmp_path):
    """Coder ``a&amp;b`` rendered as ``a&b``, code ``&lt;x&gt;`` as ``<x>``: Markdown reads an HTML entity."""
    markdown_it = pytest.importorskip("markdown_it")
    marked = tmp_path / "marked.csv"
    marked.write_text("unit,a&amp;b,&#42;c\nu1,&lt;x&gt;,&lt;x&gt;\nu2,AT&T,AT&T\nu3,&lt;x&gt;,AT&T\n")
    report = run(capsys, marked, "--per-code", "-m", "fleiss", "--format", "markdown")[1]
    assert "AT&T" in report  # an & of no entity is no markup: no backslash
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(report)
    texts = ["".join(child.content for child in token.children) for token in tokens if token.type == "inline"]
    assert "coded by 2 coders (a&amp;b and &#42;c)" in texts[1] and "(&lt;x&gt; and AT&T)" in texts[1]
    assert "Given (a&amp;b / &#42;c)" in texts
    assert [text for text in texts if text in ("&lt;x&gt;", "AT&T")] == ["&lt;x&gt;", "AT&T"]


@pytest.mark.parametrize("coders, header, cells", [
    (["a / b", "c"], "Given (a / b; c)", "2; 1"),
    (["a/b", "c"], "Given (a/b / c)", "2 / 1"),  # no " / " in a name: as before
    (["x / y", "p; q", "r · s"], "Given (x / y // p; q // r · s)", "2 // 1 // 1"),
])
def test_a_coder_whose_name_holds_a_slash_is_told_apart_in_the_given_header(capsys, tmp_path, coders, header, cells):
    """Coders ``a / b`` and ``c`` were "Given (a / b / c)": three coders, or two?"""
    ratings = tmp_path / "slash.csv"
    codes = [["x", "x", "y"], ["x", "y", "y"], ["x", "y", "y"]][:len(coders)]
    ratings.write_text("unit," + ",".join(coders) + "\n" + "".join(
        f"u{unit}," + ",".join(column[unit] for column in codes) + "\n" for unit in range(3)))
    report = run(capsys, ratings, "--per-code", "-m", "fleiss", "--format", "markdown")[1]
    (row, _) = tables(report)[1]
    assert row["Code"] == "x" and row[header] == cells, row


def test_a_file_name_starting_with_a_hyphen_keeps_it_in_the_footnotes(capsys, tmp_path, monkeypatch):
    """A footnote naming file ``-3.csv`` printed ``−3.csv``, a minus sign: only a number's hyphen is one."""
    from theme_assist.cli._agree_markdown import _print_text

    (tmp_path / "-3.csv").write_text("unit,a,b,c\n1,x,x,\n2,x,y,\n3,y,y,\n")
    monkeypatch.chdir(tmp_path)
    code, report, err = run(capsys, "./-3.csv", "-m", "fleiss", "--format", "markdown")
    assert code == 0 and "c gave no rating" in err, err
    assert re.search(r"^\[\^\d+\]: -3\.csv: the coder\(s\) c gave no rating and are left out\.$", report, flags=re.M)
    assert _print_text("-0.25, -3, -.5 and -2.; -3.csv, -3-a, x-1, -3%") == \
        "\u22120.25, \u22123, \u2212.5 and \u22122.; -3.csv, -3-a, x-1, \u22123%"


def test_a_comparison_on_no_unit_has_no_prevalence(capsys, tmp_path):
    """The machine abstained on every unit: its rows said n 0 and a prevalence, the coder's ratings' alone."""
    ratings = tmp_path / "two.csv"
    ratings.write_text("unit,ann,bob\ns1,hope,hope\ns2,hope,stigma\ns3,stigma,stigma\ns4,stigma,stigma\n")
    abstained = tmp_path / "abstained.csv"
    abstained.write_text("segment_id,code,score,rank,evidence\n" + "".join(f"s{i},,,,\n" for i in range(1, 5)))
    args = (ratings, "--machine", abstained, "--per-code", "-m", "cohen")
    report = run(capsys, *args, "--format", "markdown")[1]
    check_report(report, json.loads(run(capsys, *args, "--format", "json")[1]))
    _, _, machine, per_code, in_place = tables(report)
    assert [(row["n"], row["Prevalence"]) for row in machine] == [("0", "—")] * 3 + [("4", "0.625")]
    assert [row["cohen difference"] for row in in_place] == ["—"] * 3  # no unit the machine coded
    assert [row["Prevalence"] for row in per_code] == ["—"] * 6 + ["0.375", "0.625"]
    # each coefficient undefined for one reason, said once as the table above says it
    (mark,) = {MARKS.search(row["Code"]).group(0) for row in per_code[:6]}
    assert f"{mark}: No unit rated by both." in report.splitlines()


def test_a_category_only_the_machine_used_is_said_unused_by_the_coders(capsys, files, tmp_path):
    """A declared category only the machine suggested went unsaid: "The coders chose among 5 categories (..., other
    and spare), spare declared but used by no coder" read as if they used other; and with span codings on units,
    (no code), which --categories does not declare, was said declared where every unit had a span."""
    machine = tmp_path / "machine.csv"
    machine.write_text("segment_id,code,score,rank,evidence\ns1,other,0.9,1,[]\ns2,hope,0.9,1,[]\ns3,stigma,0.9,1,[]\n"
                       "s4,work,0.9,1,[]\n")
    report = run(capsys, files["two"], "--machine", machine, "--categories", "hope,stigma,work,other,spare", "-m",
                 "ac1", "--format", "markdown")[1]
    assert "The coders chose among 5 categories (hope, stigma, work, other and spare), the categories other and " \
           "spare declared but used by no coder (other by the machine alone), and counted (for Bennett's S and AC1" \
           in report
    spans = tmp_path / "spans.csv"
    spans.write_text("document,start,end,code,coder\nd1,10,50,hope,A\nd1,120,180,stigma,A\nd1,20,60,hope,B\n"
                     "d1,150,190,hope,B\n")
    units = tmp_path / "units.csv"
    units.write_text("segment_id,document,start,end,text\np1,d1,0,100,a\np2,d1,100,200,b\n")
    report = run(capsys, spans, "--units", units, "--categories", "hope,stigma,work", "-m", "ac1",
                 "--format", "markdown")[1]
    assert "was rated (no code): 4 categories in all, the category work declared but used by no coder, and counted" \
        in report


def test_the_machine_table_says_how_each_side_s_code_shares_are_counted(capsys, tmp_path):
    """The terminal's caption said each side's code shares come from every unit it rated (Gwet), the Markdown
    report's did not: its Cohen's kappa of a pair where one coder rated more units is not the one scikit-learn or
    irr give on the n units alone, and a reader recomputing it could not tell why."""
    ratings = tmp_path / "two.csv"
    ratings.write_text("unit,ann,bob\ns1,hope,hope\ns2,hope,stigma\ns3,stigma,stigma\ns4,stigma,\ns5,hope,\n")
    suggestions = tmp_path / "machine.csv"
    suggestions.write_text("segment_id,code,score,rank\n" + "".join(f"s{i},hope,0.9,1\n" for i in range(1, 6)))
    code, report, _ = run(capsys, ratings, "--machine", suggestions, "--format", "markdown")
    (caption,) = [line for line in report.splitlines() if line.startswith("**Table 2.** The machine")]
    assert code == 0
    assert "each side's code shares from every unit it rated (Gwet 2014)" in caption


def test_the_coefficients_of_the_machine_comparisons_are_listed_apart_from_the_coders(capsys, tmp_path):
    """Three coders and the machine: "Coefficients: Percent agreement (pairwise), ..., Krippendorff's alpha
    (nominal), Percent agreement and Cohen's kappa" listed two percent agreements, and Cohen's kappa as if of all
    the coders, where it is of each comparison of two."""
    ratings = tmp_path / "three.csv"
    ratings.write_text("unit,ann,bob,cy\n" + "".join(f"s{i},{a},{b},{a}\n" for i, (a, b) in
                                                     enumerate(zip("hhsshs", "hsssht"))))
    suggestions = tmp_path / "machine.csv"
    suggestions.write_text("segment_id,code,score,rank\n" + "".join(f"s{i},h,0.9,1\n" for i in range(6)))
    code, report, _ = run(capsys, ratings, "--machine", suggestions, "--format", "markdown")
    assert code == 0
    assert ("Coefficients: Percent agreement (pairwise), Bennett's S (Brennan-Prediger), Fleiss' kappa, Conger's "
            "kappa, Gwet's AC1, Light's kappa (mean pairwise Cohen's kappa) and Krippendorff's alpha (nominal) among "
            "the coders; Percent agreement, Cohen's kappa, Gwet's AC1 and Krippendorff's alpha (nominal) in each "
            "comparison of two sides.") in report
    # where the comparisons' coefficients are the coders' (-m), one list as before
    report = run(capsys, ratings, "--machine", suggestions, "-m", "fleiss", "-m", "alpha", "--format", "markdown")[1]
    assert "Coefficients: Fleiss' kappa and Krippendorff's alpha (nominal). " in report


def test_table_1_says_what_its_se_and_p_columns_are(capsys, files):
    """The terminal's caption said "P<x: share of resamples below x" and "SE: standard error"; the report's Table 1
    had the columns P(< .667) and P(< .8) unexplained, which a reader takes for p-values."""
    report = run(capsys, files["wide"], "--bootstrap", "200", "--interval", "both", "--format", "markdown")[1]
    (title,) = [line for line in report.splitlines() if line.startswith("**Table 1.**")]
    assert MARKS.sub("", title).endswith(". SE: standard error. P(< x): share of the bootstrap resamples below x.")
    report = run(capsys, files["wide"], "--format", "markdown")[1]
    (title,) = [line for line in report.splitlines() if line.startswith("**Table 1.**")]
    assert "SE" not in title and "P(<" not in title
