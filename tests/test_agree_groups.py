"""``theme-assist agree --by COLUMN``: each group's figures are those of agree on that group's rows alone, with the
group's own seed; from a column of the ratings, a --metadata table or a project; in every format."""

from __future__ import annotations

import json
import random

import pandas as pd
import pytest

from theme_assist.agree.bootstrap import derived_seed
from tests.test_agree_cli import run
from tests.test_agree_markdown import check_report

CODES = ("hope", "stigma", "work", "family")
SITES = ("Kampala", "Hamburg", "Lima")


def _study(seed: int = 1, units: int = 45):
    """Three coders' codes of ``units`` segments of six documents at three sites, the machine's, and each
    document's site: a wide table (unit, site, coders), the long one (segment_id, document, coder, code, site)."""
    rng = random.Random(seed)
    wide, long, machine = [], [], []
    for i in range(units):
        document, site = f"doc{i % 6}", SITES[i % 3]
        unit, truth = f"{document}:{i}", rng.choice(CODES)
        codes = [truth if rng.random() < 0.8 else rng.choice(CODES) for _ in range(3)]
        if i % 7 == 0:
            codes[2] = ""
        wide.append({"unit": unit, "site": site, "ann": codes[0], "ben": codes[1], "cat": codes[2]})
        long += [{"segment_id": unit, "document": document, "coder": coder, "code": code, "site": site}
                 for coder, code in zip(("ann", "ben", "cat"), codes) if code]
        right = rng.random() < (0.9 if site != "Lima" else 0.5)
        machine.append({"segment_id": unit, "code": truth if right else rng.choice(CODES), "score": 0.9, "rank": 1,
                        "evidence": "[]"})
    metadata = pd.DataFrame({"document": [f"doc{d}" for d in range(6)], "site": [SITES[d % 3] for d in range(6)]})
    return pd.DataFrame(wide), pd.DataFrame(long), pd.DataFrame(machine), metadata


@pytest.fixture()
def study(tmp_path):
    wide, long, machine, metadata = _study()
    paths = {"wide": tmp_path / "wide.csv", "long": tmp_path / "long.csv", "machine": tmp_path / "machine.csv",
             "metadata": tmp_path / "metadata.csv", "tmp": tmp_path}
    wide.to_csv(paths["wide"], index=False)
    long.to_csv(paths["long"], index=False)
    long.drop(columns="site").to_csv(tmp_path / "long_documents.csv", index=False)
    paths["long_documents"] = tmp_path / "long_documents.csv"
    machine.to_csv(paths["machine"], index=False)
    metadata.to_csv(paths["metadata"], index=False)
    paths["frames"] = (wide, long)
    return paths


def _json(capsys, *args) -> dict:
    code, out, err = run(capsys, *args, "--format", "json")
    assert code in (0, None), err
    return json.loads(out)


def _by_site(capsys, study, wide: pd.DataFrame) -> tuple[dict, str]:
    """``wide`` written as the study's wide file, and agree --by site's JSON ``by`` of it with its warnings (one
    line)."""
    wide.to_csv(study["wide"], index=False)
    code, out, err = run(capsys, study["wide"], "--by", "site", "--format", "json")
    assert code in (0, None), err
    return json.loads(out)["by"], " ".join(err.split())


def _exported_codings(capsys, project, folder):
    """``project export --codings`` of ``project`` into ``folder``: the file's path."""
    from theme_assist.cli import main

    codings = folder / "codings.csv"
    with pytest.raises(SystemExit) as exit_info:
        main(["project", "export", str(project), "--codings", str(codings)])
    assert exit_info.value.code in (0, None)
    capsys.readouterr()
    return codings


def _metrics(result: dict) -> dict:
    return {name: entry for name, entry in result.items() if isinstance(entry, dict) and "value" in entry}


OPTIONS = {
    "bootstrap": ("--bootstrap", "200", "--seed", "3"),
    "both intervals, two metrics": ("--interval", "both", "--bootstrap", "100", "-m", "fleiss", "-m", "alpha"),
    "machine": ("--machine", "MACHINE", "--bootstrap", "100", "--seed", "7"),
    "machine, margin, metric": ("--machine", "MACHINE", "--bootstrap", "100", "-m", "ac1", "--margin", "0.1"),
}


@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
def test_each_groups_figures_are_agree_on_its_rows_alone_with_its_own_seed(capsys, study, options):
    options = [str(study["machine"]) if option == "MACHINE" else option for option in options]
    seed = int(options[options.index("--seed") + 1]) if "--seed" in options else 0
    result = _json(capsys, study["wide"], "--by", "site", *options)
    by = result["by"]
    assert by["column"] == "site" and by["units_without_group"] == 0
    assert [group["value"] for group in by["groups"]] == sorted(SITES)
    wide = study["frames"][0]
    for group in by["groups"]:
        rows = wide[wide["site"] == group["value"]].drop(columns="site")
        alone = study["tmp"] / f"{group['value']}.csv"
        rows.to_csv(alone, index=False)
        assert group["seed"] == derived_seed(seed, [group["value"]])
        others = [option for i, option in enumerate(options) if option != "--seed" and
                  (i == 0 or options[i - 1] != "--seed")]
        expected = _json(capsys, alone, *others, "--seed", str(group["seed"]))
        assert group["summary"] == _metrics(expected)
        assert group["n_units"] == expected["n_units"] == len(rows)
        if "--machine" in options:
            majority = next(row for row in expected["machine_comparison"] if row["kind"] == "machine-majority")
            assert group["machine_vs_majority"] == majority
            assert group["machine_in_place"] == expected["machine_in_place"][-1]
        else:
            assert "machine_in_place" not in group
    # the whole file's figures are those of the file without the column (without --by, it would be a coder)
    wide.drop(columns="site").to_csv(study["tmp"] / "all.csv", index=False)
    assert {key: value for key, value in result.items() if key != "by"} == _json(capsys, study["tmp"] / "all.csv",
                                                                               *options)


def test_a_long_file_and_a_metadata_table_give_the_same_groups(capsys, study):
    from_column = _json(capsys, study["long"], "--by", "site", "--bootstrap", "50")["by"]
    from_metadata = _json(capsys, study["long_documents"], "--by", "site", "--metadata", study["metadata"],
                          "--bootstrap", "50")["by"]
    wide = _json(capsys, study["wide"], "--by", "site", "--bootstrap", "50")["by"]
    assert from_column["groups"] == from_metadata["groups"] == wide["groups"]
    assert from_metadata["source"] == str(study["metadata"])


def test_the_seed_of_a_group_follows_the_seed_given(capsys, study):
    first = _json(capsys, study["wide"], "--by", "site", "--bootstrap", "50", "--seed", "1")["by"]["groups"]
    again = _json(capsys, study["wide"], "--by", "site", "--bootstrap", "50", "--seed", "1")["by"]["groups"]
    other = _json(capsys, study["wide"], "--by", "site", "--bootstrap", "50", "--seed", "2")["by"]["groups"]
    assert first == again
    assert [group["seed"] for group in first] != [group["seed"] for group in other]
    assert len({group["seed"] for group in first}) == len(first)  # groups of as many units draw apart
    assert first[0]["summary"]["alpha"]["ci"] != other[0]["summary"]["alpha"]["ci"]


def test_units_without_a_group_are_counted_and_said(capsys, study):
    wide = study["frames"][0].copy()
    wide.loc[[0, 4], "site"] = ""
    by, err = _by_site(capsys, study, wide)
    assert by["units_without_group"] == 2 and by["units_without_group_listed"] == ["doc0:0", "doc4:4"]
    assert sum(group["n_units"] for group in by["groups"]) == len(wide) - 2
    assert "2 rated units without a site value in" in err
    metadata = pd.read_csv(study["metadata"])
    metadata[metadata["document"] != "doc1"].to_csv(study["metadata"], index=False)
    by = _json(capsys, study["long_documents"], "--by", "site", "--metadata", study["metadata"])["by"]
    assert by["units_without_group"] == 8  # doc1's segments: i % 6 == 1 of 45


def test_a_group_of_few_units_is_flagged(capsys, study, tmp_path):
    wide = study["frames"][0].copy()
    wide.loc[wide.index[:4], "site"] = "Tiny"
    by = _by_site(capsys, study, wide)[0]
    flags = {group["value"]: group["few_units"] for group in by["groups"]}
    assert flags["Tiny"] and not flags["Lima"]
    out = run(capsys, study["wide"], "--by", "site", "--machine", study["machine"])[1]
    assert "Agreement by site" in out and "Machine by site" in out and "only 4 units" in out


def test_a_group_one_coder_rated_has_no_coders_summary(capsys, study):
    wide = study["frames"][0].copy()
    lima = wide["site"] == "Lima"
    wide.loc[lima, ["ben", "cat"]] = ""
    wide.to_csv(study["wide"], index=False)
    groups = {group["value"]: group for group in _json(capsys, study["wide"], "--by", "site", "--machine",
                                                       study["machine"])["by"]["groups"]}
    assert groups["Lima"]["summary"] is None and groups["Lima"]["summary_reason"] == "only 1 coder rated its units"
    assert groups["Lima"]["machine_vs_majority"] is None and groups["Lima"]["machine_in_place"] is None
    assert groups["Lima"]["coders"] == ["ann"]
    assert groups["Lima"]["machine_vs_coder"]["comparison"] == "machine vs ann"
    assert "machine_vs_coder" not in groups["Kampala"]
    # as agree gives the machine's agreement with that coder's file alone
    wide[lima].drop(columns=["site", "ben", "cat"]).to_csv(study["tmp"] / "lima.csv", index=False)
    alone = _json(capsys, study["tmp"] / "lima.csv", "--machine", study["machine"])
    assert groups["Lima"]["machine_vs_coder"] == alone["machine_comparison"][0]
    code, report, _ = run(capsys, study["wide"], "--by", "site", "--machine", study["machine"], "--format",
                          "markdown")
    check_report(report, _json(capsys, study["wide"], "--by", "site", "--machine", study["machine"]))
    assert "Only 1 coder rated its units: no majority, the machine vs ann" in report


@pytest.mark.parametrize("machine", [False, True, "one coder"], ids=["coders", "machine", "machine, one coder"])
def test_the_markdown_report_has_the_jsons_figures_per_group(capsys, study, machine):
    args = [study["wide"], "--by", "site", "--interval", "both", "--bootstrap", "100"]
    if machine:
        args += ["--machine", study["machine"]] + (["--margin", "0.2"] if machine is True else ["--coder", "ben"])
    code, report, err = run(capsys, *args, "--format", "markdown")
    assert code in (0, None), err
    result = _json(capsys, *args)
    check_report(report, result)
    assert "Agreement among the coders by site" in report
    assert ("The machine by site" in report) == bool(machine)


def test_the_groups_verdicts_say_their_level_and_name_the_groups_too_small_for_paired_intervals(capsys, tmp_path):
    wide, _, machine, _ = _study(units=330)  # 110 units a site
    wide = wide[(wide["site"] != "Lima") | (wide.index < 150)]  # Lima: 50 units
    wide.to_csv(tmp_path / "wide.csv", index=False)
    machine.to_csv(tmp_path / "machine.csv", index=False)
    args = [tmp_path / "wide.csv", "--by", "site", "--machine", tmp_path / "machine.csv", "--bootstrap", "100",
            "--margin", "0.2", "-m", "cohen"]
    code, out, err = run(capsys, *args)
    assert code in (0, None), err
    caption = " ".join(out[out.index("Machine by site"):].split())
    assert "a one-sided test at the 2.5% level; each group is a test of its own" in caption
    assert "fewer than 100 (Lima), the paired intervals are too narrow" in caption  # Kampala's, Hamburg's are not
    report = run(capsys, *args, "--format", "markdown")[1]
    assert "fewer than 100 (Lima), the paired intervals are too narrow" in report


def test_the_table_names_each_group(capsys, study):
    code, out, err = run(capsys, study["wide"], "--by", "site", "--bootstrap", "50")
    assert code in (0, None) and "Agreement by site" in out
    assert all(site in out for site in SITES) and "derived from seed 0 and its value" in " ".join(out.split())


@pytest.mark.parametrize("args, said", [
    (["--by", "country"], "--by 'country': WIDE has no such column; its columns: site, ann, ben, cat"),
    (["--by", "unit"], "column 'unit' names its units"),
    (["--metadata", "META"], "--metadata gives the field --by COLUMN groups the units by: give --by too"),
    (["--by", "country", "--metadata", "META"], "no such column; its fields: site"),
    (["--by", "site", "--metadata", "WIDE"], "missing column 'document'"),
    (["--by", "site", "--metadata", "META", "--project", "META"], "--metadata and --project both"),
    (["--by", " "], "--by is blank"),
])
def test_refusals_name_what_there_is(capsys, study, args, said):
    args = [str(study["metadata"]) if arg == "META" else str(study["wide"]) if arg == "WIDE" else arg
            for arg in args]
    ratings = study["long_documents"] if "--metadata" in args and "--by" in args else study["wide"]
    code, out, err = run(capsys, ratings, *args)
    assert code == 2 and out == ""
    assert said.replace("WIDE", str(study["wide"])) in " ".join(err.split()), err
    assert err.startswith("theme-assist: error:") and "Traceback" not in err


def test_a_wide_file_without_documents_is_refused_for_metadata(capsys, study):
    code, _, err = run(capsys, study["wide"], "--by", "site", "--metadata", study["metadata"])
    assert code == 2 and "has no 'document' column" in err and "--project" in err


def test_a_group_that_varies_within_a_unit_is_refused(capsys, study):
    long = study["frames"][1].copy()
    long.loc[1, "site"] = "Lima"  # doc0:0's second row
    long.to_csv(study["long"], index=False)
    code, _, err = run(capsys, study["long"], "--by", "site")
    assert code == 2 and "unit 'doc0:0' has rows of two 'site' values, 'Kampala' and 'Lima'" in err


def test_multi_label_ratings_are_refused(capsys, tmp_path):
    path = tmp_path / "multi.csv"
    path.write_text("unit,coder,code,site\ns1,A,hope,x\ns1,A,stigma,x\ns1,B,hope,x\ns2,A,stigma,y\ns2,B,hope,y\n")
    code, _, err = run(capsys, path, "--by", "site")
    assert code == 2 and "--by compares single-label ratings group by group; these are multi-label" in err


def test_span_codings_need_units(capsys, tmp_path):
    from tests.test_agree_cli import SEGMENTS, SPANS

    spans, segments = tmp_path / "spans.csv", tmp_path / "segments.csv"
    spans.write_text(SPANS)
    segments.write_text(SEGMENTS)
    code, _, err = run(capsys, spans, "--by", "document")
    assert code == 2 and "--by groups units" in err and "--units SEGMENTS.csv" in err
    code, _, err = run(capsys, spans, "--by", "document", "--overlap", "0.9")
    assert code == 2 and "--overlap compares spans, not units" in err
    by = _json(capsys, spans, "--units", segments, "--by", "document")["by"]
    assert by["column"] == "document" and by["source"] == str(segments)
    assert sum(group["n_units"] for group in by["groups"]) + by["units_without_group"] == \
        _json(capsys, spans, "--units", segments)["n_units"]


def test_a_projects_export_is_grouped_by_its_documents_metadata(capsys, tmp_path):
    """Two commands: project export --codings, then agree --project --by a metadata field."""
    from theme_assist.project.testing import make_project

    project = tmp_path / "study.taproj"
    store = make_project(project)
    segments = store.segment_ids()
    documents = list(store.documents()["document"])
    store.set_metadata({documents[0]: {"site": "Kampala"}, documents[1]: {"site": "Hamburg"}})
    rng = random.Random(0)
    rows = [{"segment_id": segment, "code": rng.choice(["work", "family"]) if rng.random() < 0.4 else code,
             "coder": coder}
            for segment, code in zip(segments["segment_id"], ["work", "family"] * len(segments))
            for coder in ("Ana", "Bo")]
    store.add_codings(pd.DataFrame(rows), source="coded.csv")
    store.close()
    codings = _exported_codings(capsys, project, tmp_path)
    by = _json(capsys, codings, "--by", "site", "--project", project, "--bootstrap", "50")["by"]
    assert [group["value"] for group in by["groups"]] == ["Hamburg", "Kampala"]
    assert by["units_without_group"] == 0 and by["source"] == str(project)
    exported = pd.read_csv(codings, dtype=str, keep_default_na=False)
    of_document = segments.set_index("segment_id")["document"]
    for group, document in zip(by["groups"], documents[::-1]):
        alone = tmp_path / f"{document}.csv"
        exported[exported["segment_id"].map(of_document) == document].to_csv(alone, index=False)
        assert group["summary"] == _metrics(_json(capsys, alone, "--bootstrap", "50", "--seed", str(group["seed"])))
    by_document = _json(capsys, codings, "--by", "document", "--project", project)["by"]
    assert [group["value"] for group in by_document["groups"]] == sorted(documents)
    code, _, err = run(capsys, codings, "--by", "country", "--project", project)
    assert code == 2 and "its document and metadata fields: document, site" in err
    code, _, err = run(capsys, codings, "--by", "site")
    assert code == 2 and "no such column" in err


def test_numbered_groups_are_in_number_order_and_case_variants_are_warned_of(capsys, study):
    wide = study["frames"][0].copy()
    wide["site"] = [("2", "10", "9")[i % 3] for i in range(len(wide))]
    wide.loc[0, "site"] = "wave"
    wide.loc[3, "site"] = "Wave"
    by, err = _by_site(capsys, study, wide)
    assert [group["value"] for group in by["groups"]] == ["10", "2", "9", "Wave", "wave"]
    assert "1 site value(s) written apart only by case are different site values: 'Wave' / 'wave'" in err
    wide.loc[[0, 3], "site"] = "2"
    assert [group["value"] for group in _by_site(capsys, study, wide)[0]["groups"]] == ["2", "9", "10"]


def test_groups_that_name_no_unit_rated_are_refused(capsys, study):
    metadata = pd.read_csv(study["metadata"])
    metadata.assign(document=metadata["document"] + "_other").to_csv(study["metadata"], index=False)
    code, _, err = run(capsys, study["long_documents"], "--by", "site", "--metadata", study["metadata"])
    assert code == 2 and "--by site: no unit rated has a site value in" in err
    assert "check that it names the same units or documents" in err


def test_a_projects_metadata_field_named_source_groups_the_units(capsys, tmp_path):
    """A field named source ("source: focus group") or position is the documents' column of that name: --by takes
    it as the field, as project documents shows it."""
    from theme_assist.project.testing import make_project

    project = tmp_path / "study.taproj"
    store = make_project(project)
    documents = list(store.documents()["document"])
    store.set_metadata({documents[0]: {"source": "focus group"}, documents[1]: {"source": "interview"}})
    segments = store.segment_ids()
    store.add_codings(pd.DataFrame([{"segment_id": segment, "code": code, "coder": coder}
                                    for segment in segments["segment_id"]
                                    for coder, code in (("Ana", "work"), ("Bo", "family"))]), source="coded.csv")
    store.close()
    codings = _exported_codings(capsys, project, tmp_path)
    by = _json(capsys, codings, "--by", "source", "--project", project)["by"]
    assert [(group["value"], group["n_units"]) for group in by["groups"]] == [("focus group", 5), ("interview", 4)]
    code, _, err = run(capsys, codings, "--by", "position", "--project", project)
    assert code == 2 and "its document and metadata fields: document, site, source" in err


def test_a_group_value_written_as_one_number_two_ways_is_warned_of(capsys, study):
    """Groups are read as written, numbers or not: wave "1" and "1.0" are two groups, which a warning names."""
    wide = study["frames"][0].copy()
    wide["site"] = [("1", "1.0", "2")[i % 3] for i in range(len(wide))]
    by, err = _by_site(capsys, study, wide)
    assert [group["value"] for group in by["groups"]] == ["1", "1.0", "2"]
    assert "1 number(s) written two ways are different site values: '1' / '1.0'" in err


def test_a_group_value_of_invisible_characters_alone_is_no_value(capsys, study):
    """A zero-width space alone looks like an empty cell: its units are in no group, as an empty cell's are."""
    wide = study["frames"][0].copy()
    wide.loc[[0, 1], "site"] = "\u200b"
    by, err = _by_site(capsys, study, wide)
    assert [group["value"] for group in by["groups"]] == sorted(SITES)
    assert by["units_without_group"] == 2 and by["units_without_group_listed"] == list(wide["unit"][:2])


def test_two_by_options_are_refused(capsys, study):
    """One --by per run: a second is refused, not taken in place of the first without a word."""
    code, _, err = run(capsys, study["wide"], "--by", "site", "--by", "ann")
    assert code == 2 and "--by site --by ann: one --by per run" in err


@pytest.mark.parametrize("header, by", [("unit,site,ann,ben", "unit"), ("site,id,ann,ben", "site")])
def test_the_column_naming_a_wide_files_units_is_said_to_be_so(capsys, tmp_path, header, by):
    """--by the units' column (named unit, or the first) is refused saying so, not as a column the file lacks."""
    path = tmp_path / "wide.csv"
    path.write_text(header + "\nu1,N,a,a\nu2,N,a,b\nu3,S,b,b\n")
    code, _, err = run(capsys, path, "--by", by)
    assert code == 2 and f"column {by!r} names its units" in err and "no such column" not in err


def test_a_group_the_machine_coded_none_of_is_said_so_not_refused(capsys, study):
    """The machine's codes of one site only missing (a run on the other sites' documents): that group has no
    machine figures, and says why; the others have theirs, and the run is not refused."""
    wide, machine = study["frames"][0], pd.read_csv(study["machine"])
    lima = set(wide.loc[wide["site"] == "Lima", "unit"])
    machine[~machine["segment_id"].isin(lima)].to_csv(study["machine"], index=False)
    by = _json(capsys, study["wide"], "--by", "site", "--machine", study["machine"])["by"]
    groups = {group["value"]: group for group in by["groups"]}
    assert groups["Lima"]["machine_vs_majority"] is None and groups["Lima"]["machine_in_place"] is None
    assert groups["Lima"]["machine_reason"] == "the machine coded none of its units"
    assert groups["Kampala"]["machine_vs_majority"] is not None and groups["Kampala"]["machine_reason"] is None
    code, out, _ = run(capsys, study["wide"], "--by", "site", "--machine", study["machine"], "--format", "markdown")
    assert code in (0, None) and "The machine coded none of its units." in out


def test_a_group_the_machine_abstained_on_throughout_is_one_it_coded_none_of(capsys, study):
    wide, machine = study["frames"][0], pd.read_csv(study["machine"], dtype=str)
    lima = machine["segment_id"].isin(set(wide.loc[wide["site"] == "Lima", "unit"]))
    machine.loc[lima, ["code", "score", "rank"]] = None  # abstentions: rows without a code
    machine.to_csv(study["machine"], index=False)
    by = _json(capsys, study["wide"], "--by", "site", "--machine", study["machine"], "--bootstrap", "50")["by"]
    lima = next(group for group in by["groups"] if group["value"] == "Lima")
    assert lima["machine_reason"] == "the machine coded none of its units"
    assert lima["machine_vs_majority"] is None and lima["machine_in_place"] is None
