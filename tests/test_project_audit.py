"""The audit trail inside the REFI-QDA export: every decision and every suggestion of every run, with who, when
and which model; valid QDA-XML; read back by our own import; in step with the audit CSV."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from theme_assist.project import DecisionRequest, coder_state
from theme_assist.project.audit import audit_table, export_qdpx, write_audit
from theme_assist.project.testing import make_project, synthetic_suggestions
from theme_assist.refi import import_project, machine_user_name
from tests.test_refi_roundtrip import assert_valid_qdpx, project_schema, refi_dir  # noqa: F401 (fixtures)

FIRST_MODEL, SECOND_MODEL = machine_user_name("trained on fake@0", "test"), machine_user_name("zero-shot on other", "2")


def suggestion(store, segment_id: str, rank: int = 1):
    rows = store.suggestions(segment_id=segment_id)
    return rows[rows["rank"] == rank].iloc[0]


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """A project with imported codings, two coders' accept / reject / replace / add / undo decisions over two
    model runs, exported to .qdpx with every run's suggestions and imported again."""
    folder = tmp_path_factory.mktemp("audit")
    store = make_project(folder / "study.taproj")
    a0, a1, a2, a3, a4, b0 = store.segments()["segment_id"].iloc[:6]
    store.add_codings(pd.DataFrame({"segment_id": [a0, a0], "code": ["work", "family"], "coder": ["ref", "ref"]}),
                      source="coded.csv")
    s = suggestion(store, a1)
    store.record_decisions([DecisionRequest(a1, "accept", s.code, "Ana", int(s.id), reason="clear case")])
    s = suggestion(store, a2)
    store.record_decisions([DecisionRequest(a2, "reject", s.code, "Bo", int(s.id))])
    s = suggestion(store, a3)
    store.record_decisions([DecisionRequest(a3, "replace", "work", "Ana", int(s.id), replaces=s.code)])
    store.record_decisions([DecisionRequest(a4, "add", "stigma", "Bo")])
    store.undo_last("Bo")
    store.add_run(synthetic_suggestions(store.segments()), model_id="other-model", embedding_model="other",
                  engine_version="2", mode="zero-shot", params={}, n_training=0, n_decisions=4)
    s = suggestion(store, b0)
    store.record_decisions([DecisionRequest(b0, "accept", s.code, "Ana", int(s.id)),
                            DecisionRequest(b0, "accept", s.code, "Bo", int(s.id))])
    store.record_decisions([DecisionRequest(a1, "add", "other", "Ana")])  # exclusive: overtakes the accept on a1
    exported = export_qdpx(store, folder / "study.qdpx", all_runs=True)
    imported = import_project(folder / "study.qdpx", folder / "imported", known=store.codebook())
    yield store, exported, imported
    store.close()


def selections(imported) -> list:
    return [selection for source in imported.project.text_sources for selection in source.selections]


def test_audit_export_validates(audited, project_schema):
    _, exported, _ = audited
    assert_valid_qdpx(exported.path, project_schema)


def test_audit_csv_and_qdpx_agree_on_every_count(audited, tmp_path):
    store, exported, imported = audited
    write_audit(store, tmp_path / "audit.csv")
    trail = pd.read_csv(tmp_path / "audit.csv")["event"].value_counts()
    decided = [s for s in selections(imported) if (s.description or "").startswith("theme_assist decision ")]
    assert len(decided) == trail["decision"] == 8
    codings = imported.codings
    assert codings["coder"].isin([FIRST_MODEL, SECOND_MODEL]).sum() == trail["machine_suggestion"] == 36
    imported_rows = codings["description"].str.startswith("imported from coded.csv", na=False)
    # ref's two codes on a0 in a one-code-per-segment codebook: the first is ref's coding, the second a selection
    assert imported_rows.sum() == 1 and trail["human_coding"] == 2
    second = [s.description for s in selections(imported) if (s.description or "").startswith("imported from")
              and not s.codings]
    assert second == ["imported from coded.csv; not applied (one code per segment: its coder's first code counts)"]
    assert exported.counts["suggestions"] == 36


def test_users_are_coders_and_one_per_model_and_version(audited):
    _, _, imported = audited
    assert [user.name for user in imported.project.users] == ["ref", "Ana", "Bo", FIRST_MODEL, SECOND_MODEL]
    by_run = imported.codings[imported.codings["coder"].isin([FIRST_MODEL, SECOND_MODEL])]
    assert by_run.groupby("coder")["description"].apply(lambda d: d.str.contains(", run 1\\)").all()).to_dict() \
        == {FIRST_MODEL: True, SECOND_MODEL: False}


def test_a_refits_machine_user_names_the_engine_and_its_version_once(tmp_path):
    """The user of a project run's suggestions was "theme_assist suggester (CodeSuggester trained (theme_assist
    0.1.0) on all-MiniLM-L6-v2@53aa51172d14) 0.1.0": the run's model id, which names the engine and its version."""
    from theme_assist import __version__
    from theme_assist.project.learn import refit
    from theme_assist.project.testing import FakeEmbedder

    store = make_project(tmp_path / "p.taproj", with_run=False)
    store.add_codings(pd.DataFrame({"segment_id": store.segments()["segment_id"][:2], "code": ["work", "family"],
                                    "coder": "ref"}), source="coded.csv")
    refit(store, embedder=FakeEmbedder())
    assert f"(theme_assist {__version__})" in store.latest_run()["model_id"]
    export_qdpx(store, tmp_path / "p.qdpx")
    users = [user.name for user in import_project(tmp_path / "p.qdpx", tmp_path / "imported").project.users]
    assert users == ["ref", f"theme_assist suggester (trained on {FakeEmbedder.model_id}) {__version__}"]
    store.close()


def test_each_coders_codings_are_their_current_codes_dated_by_the_decision(audited):
    store, _, imported = audited
    state = coder_state(store.decisions(), exclusive=True).explode("codes").dropna(subset=["codes"])
    segments = store.segments().set_index("segment_id")
    expected = {(segments.at[row.segment_id, "start"], row.coder, row.codes) for row in state.itertuples()}
    coded = imported.codings[imported.codings["coder"].isin(["Ana", "Bo"])]
    assert set(zip(coded["start"], coded["coder"], coded["code"])) == expected
    decisions = store.decisions().set_index("id")
    for row in coded.itertuples():
        decision_id = int(row.description.split(":")[0].removeprefix("theme_assist decision "))
        assert (row.created, row.coder) == (decisions.at[decision_id, "created_at"], decisions.at[decision_id, "coder"])
    ana_a3 = coded[(coded["coder"] == "Ana") & (coded["description"].str.contains("replaced"))]
    assert ana_a3["description"].iloc[0].endswith("replaced Other suggested by fake-model run "
                                                  "(score 0.800, rank 1, run 1) with Paid work")


def test_rejections_undos_and_overtaken_decisions_stay_visible(audited):
    store, _, imported = audited
    decisions = store.decisions().set_index("id")
    described = {s.description: s for s in selections(imported) if s.description}
    uncoded = {text.split(":")[0]: text for text, s in described.items()
               if not s.codings and text.startswith("theme_assist decision")}
    assert sorted(uncoded) == [f"theme_assist decision {i}" for i in (1, 2, 4, 5)]
    assert "accepted Family, suggested by fake-model run (score 0.900, rank 1, run 1); reason: clear case; " \
           "no longer applied" in uncoded["theme_assist decision 1"]
    assert f"undone by Bo at {decisions.at[5, 'created_at']} (decision 5)" in uncoded["theme_assist decision 4"]
    assert uncoded["theme_assist decision 5"].endswith("undid decision 4 (added Stigma & \"labels\")")
    rejected = [text for text in described if text.startswith("theme_assist suggestion: Stigma")
                and f"rejected by Bo at {decisions.at[2, 'created_at']} (decision 2)" in text]
    assert len(rejected) == 1 and ", run 1). Review: " in rejected[0]
    users = {user.guid: user.name for user in imported.project.users}
    times = {s.description.split(":")[0]: (users[s.user_guid], s.attrs["creationDateTime"])
             for s in described.values() if s.description.startswith("theme_assist decision")}
    assert times == {f"theme_assist decision {i}": (row.coder, row.created_at) for i, row in decisions.iterrows()}


def test_suggestions_answered_by_two_coders_list_both(audited):
    store, _, imported = audited
    machine = imported.codings[imported.codings["coder"] == SECOND_MODEL]
    answered = machine[machine["description"].str.contains("Review:")]
    assert len(answered) == 1
    assert "accepted by Ana at" in answered["description"].iloc[0] and "accepted by Bo at" in answered["description"].iloc[0]
    run_time = store.runs().set_index("id").at[2, "created_at"]
    assert (machine["created"] == run_time).all()


def test_suggestions_carried_from_an_import_are_counted_as_suggestions(audited, tmp_path, capsys):
    """project export --qdpx → import-qdpx → export-qdpx --project: the first export's suggestions, carried over
    under their machine users, were counted as codings ("Wrote …: 41 codings, 0 suggestions")."""
    from theme_assist.cli import main

    _, exported, imported = audited
    with pytest.raises(SystemExit) as done:
        main(["import-qdpx", str(exported.path), "--out", str(tmp_path / "imported")])
    assert done.value.code in (0, None)
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["export-qdpx", "--project", str(tmp_path / "imported"), "--out", str(tmp_path / "again.qdpx")])
    out = " ".join(capsys.readouterr().err.split())
    machine = imported.codings["coder"].isin([FIRST_MODEL, SECOND_MODEL]).sum()
    assert done.value.code in (0, None) and machine == 36
    assert f"{len(imported.codings) - machine} codings, {machine} suggestions" in out


def test_a_project_without_model_runs_exports_its_decisions(tmp_path, project_schema):
    with make_project(tmp_path / "bare.taproj", with_run=False) as store:
        store.record_decisions([DecisionRequest("interview_a:1", "add", "work", "Ana")])
        assert len(audit_table(store)) == 2  # the codebook and the decision
        exported = export_qdpx(store, tmp_path / "bare.qdpx")
    assert_valid_qdpx(exported.path, project_schema)
    assert (exported.counts["codings"], exported.counts["suggestions"]) == (1, 0)


def test_decisions_without_suggestions_beside_a_model_run_export_without_warnings(tmp_path):
    """Every decision added by hand (no suggestion: its score, rank and model columns are empty) next to a run's
    suggestions: the trail keeps both, with no pandas deprecation warning on the user's terminal."""
    import warnings

    with make_project(tmp_path / "study.taproj") as store:
        store.record_decisions([DecisionRequest("interview_a:1", "add", "work", "Ana"),
                                DecisionRequest("interview_a:2", "add", "family", "Ana")])
        with warnings.catch_warnings():
            warnings.simplefilter("error", FutureWarning)
            table = audit_table(store)
    decisions = table[table["event"] == "decision"]
    assert len(decisions) == 2 and decisions["score"].isna().all() and decisions["suggestion_id"].isna().all()
    assert table.loc[table["event"] == "machine_suggestion", "score"].notna().all()


def test_suggestions_of_a_code_a_revision_dropped_stay_in_the_csv_and_out_of_the_qdpx(tmp_path, project_schema,
                                                                                        caplog):
    """Dropping a code nobody decided on is allowed, but every run had suggested it: the .qdpx export, which
    carries the codebook as it is now, failed on them for good."""
    from theme_assist.codebook import parse_codebook
    from theme_assist.project.testing import CODEBOOK

    with make_project(tmp_path / "study.taproj") as store:
        suggested_other = int((store.suggestions()["code"] == "other").sum())
        assert suggested_other
        store.add_codebook_version(parse_codebook(CODEBOOK.split("  - id: other")[0]), note="drop other")
        trail = audit_table(store)
        exported = export_qdpx(store, tmp_path / "study.qdpx")
    assert (trail["code"] == "other").sum() == suggested_other
    assert_valid_qdpx(exported.path, project_schema)
    assert exported.counts["suggestions"] == (trail["event"] == "machine_suggestion").sum() - suggested_other
    assert [record.getMessage() for record in caplog.records if record.levelname == "WARNING"] == [
        f"{suggested_other} machine suggestion(s) of code(s) the codebook no longer has (other) are left out of "
        "study.qdpx; the audit CSV (--audit) keeps them"]


def test_an_export_made_while_a_coder_decides_shows_one_state(tmp_path, monkeypatch):
    """A review server writes while `project export --qdpx` reads the trail in several queries: a decision landing
    between them made Ana's accept "no longer applied (a later decision changed it)", with no later decision in
    the file, and left her coding out."""
    from theme_assist.cli import main
    from theme_assist.project import ProjectStore

    path = tmp_path / "study.taproj"
    with make_project(path) as store:
        segment = store.segments()["segment_id"].iloc[1]
        accepted = suggestion(store, segment)
        store.record_decisions([DecisionRequest(segment, "accept", accepted.code, "Ana", int(accepted.id))])
    server, decided_again = ProjectStore(path), []
    real_decisions = ProjectStore.decisions

    def decisions_then_ana_decides_again(self, *args, **kwargs):
        frame = real_decisions(self, *args, **kwargs)
        if self is not server and not decided_again:
            decided_again.append(True)
            server.record_decisions([DecisionRequest(segment, "add", "stigma", "Ana")])  # exclusive: replaces
        return frame

    monkeypatch.setattr(ProjectStore, "decisions", decisions_then_ana_decides_again)
    with pytest.raises(SystemExit) as exit_:
        main(["project", "export", str(path), "--qdpx", str(tmp_path / "study.qdpx")])
    assert exit_.value.code == 0
    monkeypatch.undo()
    server.close()
    imported = import_project(tmp_path / "study.qdpx", tmp_path / "imported")
    ana = imported.codings[imported.codings["coder"] == "Ana"]
    assert ana["code"].tolist() == [accepted.code]
    assert "no longer applied" not in ana["description"].iloc[0]


def test_codings_imported_without_a_coder_are_exported_under_their_file_for_agree(tmp_path, capsys):
    from theme_assist.cli import main
    from theme_assist.project.audit import current_codings

    store = make_project(tmp_path / "study.taproj")
    a0, a1 = store.segments()["segment_id"].iloc[:2]
    store.add_codings(pd.DataFrame({"segment_id": [a0, a1], "code": ["work", "family"]}), source="CODED.csv")
    store.record_decisions([DecisionRequest(a0, "add", "work", "Ana"), DecisionRequest(a1, "add", "stigma", "Ana")])
    table = current_codings(store)
    store.close()
    assert sorted(table["coder"].unique()) == ["Ana", "CODED.csv"]
    table.to_csv(tmp_path / "codings.csv", index=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["agree", str(tmp_path / "codings.csv"), "--format", "json"])
    assert exit_info.value.code == 0, capsys.readouterr().err
    assert '"value": 0.5' in capsys.readouterr().out  # percent agreement: one of two segments


def test_an_imported_coding_its_own_coder_took_away_is_no_coding_in_the_export(tmp_path):
    store = make_project(tmp_path / "study.taproj")
    a0, a1 = store.segments()["segment_id"].iloc[:2]
    store.add_codings(pd.DataFrame({"segment_id": [a0, a1, a1], "code": ["work", "family", "family"],
                                    "coder": ["Ana", "Ana", "Bo"]}), source="coded.csv")
    store.record_decisions([DecisionRequest(a0, "reject", "work", "Ana"), DecisionRequest(a1, "add", "stigma", "Bo")])
    human = audit_table(store).query("event == 'human_coding'")
    assert human["superseded"].tolist() == [True, False, True]  # Bo's add replaced his family (exclusive codebook)
    imported = import_project(export_qdpx(store, tmp_path / "study.qdpx").path, tmp_path / "imported",
                              known=store.codebook())
    store.close()
    standing = imported.codings[imported.codings["description"].str.startswith("imported from", na=False)]
    assert sorted(zip(standing["coder"], standing["code"])) == [("Ana", "family")]
    taken = [s.description for s in selections(imported) if "no longer applied" in (s.description or "")]
    assert len(taken) == 2 and all(d.startswith("imported from coded.csv") for d in taken)


def test_codings_imported_without_a_coder_are_the_files_user_in_the_export(tmp_path):
    """As in project export --codings: a coder-less coding is named by its file, not left without a user."""
    store = make_project(tmp_path / "study.taproj")
    a0, a1 = store.segments()["segment_id"].iloc[:2]
    store.add_codings(pd.DataFrame({"segment_id": [a0, a1], "code": ["work", "family"]}), source="coded2.csv")
    imported = import_project(export_qdpx(store, tmp_path / "study.qdpx").path, tmp_path / "imported",
                              known=store.codebook())
    store.close()
    human = imported.codings[imported.codings["description"].str.startswith("imported from", na=False)]
    assert human["coder"].tolist() == ["coded2.csv", "coded2.csv"]
    assert "coded2.csv" in [user.name for user in imported.project.users]


def test_an_imported_code_its_coder_accepts_again_is_one_coding_in_the_export(tmp_path, caplog):
    store = make_project(tmp_path / "study.taproj")
    a0, a1 = store.segments()["segment_id"].iloc[:2]
    store.add_codings(pd.DataFrame({"segment_id": [a0, a1, a1], "code": ["work", "family", "stigma"],
                                    "coder": "Ana"}), source="coded.csv")
    assert "1 segment(s) carry several codes of one coder" in caplog.text  # one code per segment: a1's first
    store.record_decisions([DecisionRequest(a0, "add", "work", "Ana")])
    imported = import_project(export_qdpx(store, tmp_path / "study.qdpx").path, tmp_path / "imported",
                              known=store.codebook())
    store.close()
    ana = imported.codings[imported.codings["coder"] == "Ana"]
    assert sorted(ana["code"]) == ["family", "work"]  # work once (the decision carries it); no second code on a1


def test_the_machines_pre_coding_of_reviewed_segments_is_what_the_coders_saw_first(tmp_path, capsys):
    """Segments decided while run 1 was the latest get run 1's suggestions; those decided after run 2, run 2's;
    agree compares them with the coders' codings."""
    import json
    import time

    from theme_assist.project.audit import machine_before_review

    store = make_project(tmp_path / "study.taproj", with_run=False)
    a0, a1, a2, a3, a4 = store.segments()["segment_id"].iloc[:5]
    store.add_codings(pd.DataFrame({"segment_id": [a4], "code": ["stigma"], "coder": ["ref"]}), source="ref.csv")
    time.sleep(0.01)
    store.add_run(synthetic_suggestions(store.segments()), model_id="m1", embedding_model="e", engine_version="1",
                  mode="trained", params={}, n_training=1, n_decisions=0)
    time.sleep(0.01)
    store.record_decisions([DecisionRequest(a0, "add", "work", "Ana"), DecisionRequest(a0, "add", "work", "Bo"),
                            DecisionRequest(a1, "add", "family", "Ana"), DecisionRequest(a1, "add", "stigma", "Bo"),
                            DecisionRequest(a4, "add", "stigma", "Ana")])  # run 1 learnt a4 from ref's coding
    time.sleep(0.01)
    second = synthetic_suggestions(store.segments()).assign(code="other")
    store.add_run(second, model_id="m2", embedding_model="e", engine_version="2", mode="trained", params={},
                  n_training=4, n_decisions=4)
    time.sleep(0.01)
    store.record_decisions([DecisionRequest(a2, "add", "other", "Ana"), DecisionRequest(a2, "add", "stigma", "Bo"),
                            DecisionRequest(a0, "add", "family", "Ana")])  # a0 was decided first under run 1
    run_1 = store.suggestions(run_id=1)
    run_1_best = run_1[run_1["rank"] == 1].set_index("segment_id")["code"]
    machine = machine_before_review(store)
    best = machine[machine["rank"] == 1].set_index("segment_id")["code"]
    assert sorted(best.index) == sorted([a0, a1, a2])  # a3 nobody decided on; a4 the machine learnt
    assert best[a0] == run_1_best[a0] != "other" and best[a1] == run_1_best[a1] and best[a2] == "other"
    # which run each pre-coding came from: suggest's columns first, as before, then the run's number
    assert list(machine.columns) == ["segment_id", "code", "score", "rank", "evidence", "run_id"]
    assert machine.groupby("segment_id")["run_id"].unique().map(list).to_dict() == {a0: [1], a1: [1], a2: [2]}
    store.close()

    result = json.loads(export_and_agree(tmp_path, capsys, "-m", "percent"))
    exported = pd.read_csv(tmp_path / "machine.csv")
    assert list(exported.columns) == ["segment_id", "code", "score", "rank", "evidence", "run_id", "segmentation",
                                      "codebook_version"]
    assert exported.groupby("segment_id")["run_id"].unique().map(list).to_dict() == {a0: [1], a1: [1], a2: [2]}
    rows = {row["comparison"]: row for row in result["machine_comparison"]}
    # Ana: a0 family (after replacing work), a1 family, a2 other; Bo: a0 work, a1 stigma, a2 stigma
    machine_codes = [best[a0], best[a1], "other"]
    expected = sum(m == h for m, h in zip(machine_codes, ["family", "family", "other"])) / 3
    assert rows["machine vs Ana"]["n_units"] == 3 and rows["machine vs Ana"]["percent"] == pytest.approx(expected)
    assert rows["machine vs ref"]["n_units"] == 0  # ref's only coding is one the machine learnt from
    assert rows["Ana vs Bo"]["percent"] == pytest.approx(0.0)


def test_a_coder_working_alone_gets_the_machines_agreement_with_them(tmp_path, capsys):
    """project export --codings of one coder, then agree --machine: refused as "agreement needs at least two
    coders"; now the machine vs that coder row, and no coders' summary, with the reason."""
    import json

    from theme_assist.project.audit import machine_before_review

    store = make_project(tmp_path / "study.taproj")
    a0, a1, a2, a3 = store.segments()["segment_id"].iloc[:4]
    store.record_decisions([DecisionRequest(a0, "accept", suggestion(store, a0).code, "Ana",
                                            int(suggestion(store, a0).id)),
                            DecisionRequest(a1, "add", "family", "Ana"), DecisionRequest(a2, "add", "work", "Ana"),
                            DecisionRequest(a3, "add", "other", "Ana")])
    machine = machine_before_review(store)
    best = machine[machine["rank"] == 1].set_index("segment_id")["code"]
    expected = sum(best[segment] == code for segment, code in
                   zip([a0, a1, a2, a3], [best[a0], "family", "work", "other"])) / 4
    store.close()
    result = json.loads(export_and_agree(tmp_path, capsys, "--interval", "analytic"))
    assert result["coders_summary"] is None and result["coders_summary_reason"].startswith("one coder (Ana)")
    (row,) = result["machine_comparison"]
    assert row["comparison"] == "machine vs Ana" and row["n_units"] == 4
    assert row["percent"] == pytest.approx(expected) and "ci" in row["metrics"]["percent"]["analytic"]


def test_a_segment_whose_decisions_were_all_undone_is_not_a_reviewed_segment(tmp_path, capsys):
    """project export --machine counted a segment whose only decision was undone as reviewed (its suggestions in
    machine.csv, in the ✓ line's count); an undone decision counts as never made. A segment decided again after an
    undo is reviewed."""
    from theme_assist.cli import main
    from theme_assist.project.audit import machine_before_review

    store = make_project(tmp_path / "study.taproj")
    a0, a1, a2 = store.segments()["segment_id"].iloc[:3]
    store.record_decisions([DecisionRequest(a0, "add", "work", "Ana")])
    store.record_decisions([DecisionRequest(a1, "add", "family", "Ana")])
    store.undo_last("Ana")  # a1's only decision
    store.record_decisions([DecisionRequest(a2, "add", "other", "Bo")])
    store.undo_last("Bo")
    store.record_decisions([DecisionRequest(a2, "add", "stigma", "Bo")])  # decided again: reviewed
    assert sorted(machine_before_review(store)["segment_id"].unique()) == sorted([a0, a2])
    store.close()
    with pytest.raises(SystemExit) as done:
        main(["project", "export", str(tmp_path / "study.taproj"), "--machine", str(tmp_path / "machine.csv")])
    assert done.value.code in (0, None)
    assert "the machine's suggestions for 2 reviewed segments" in " ".join(capsys.readouterr().err.split())
    assert sorted(pd.read_csv(tmp_path / "machine.csv")["segment_id"].unique()) == sorted([a0, a2])


def test_an_empty_pre_coding_says_why(tmp_path, caplog):
    """A project made from a .qdpx (codings, no review decision, no run) exported an empty machine.csv with a ✓,
    and agree --machine then said only that the file has no rows."""
    import time

    from theme_assist.project.audit import machine_before_review

    imported = make_project(tmp_path / "imported.taproj", with_run=False)
    imported.add_codings(pd.DataFrame({"segment_id": [imported.segments()["segment_id"].iloc[0]], "code": ["work"],
                                       "coder": ["ana"]}), source="study.qdpx")
    assert machine_before_review(imported).empty
    assert "the machine's pre-coding is empty: the project has no review decision yet" in caplog.text
    caplog.clear()
    first = imported.segments()["segment_id"].iloc[1]
    imported.record_decisions([DecisionRequest(first, "add", "family", "bo")])
    assert machine_before_review(imported).empty
    assert "no model run (run `theme-assist project suggest` before the coders review)" in caplog.text
    caplog.clear()
    time.sleep(0.01)
    imported.add_run(synthetic_suggestions(imported.segments()), model_id="m", embedding_model="e",
                     engine_version="1", mode="trained", params={}, n_training=1, n_decisions=1)
    assert machine_before_review(imported).empty
    assert "no reviewed segment had a model run's suggestions before its first decision" in caplog.text
    imported.close()


def test_reviewed_segments_the_run_did_not_suggest_for_are_named_as_left_out(tmp_path, caplog):
    """A site's transcripts added (project add) after the latest run and coded before the next: the run has no
    suggestion for them, so machine.csv has no row and agree reads them as not rated by the machine; they were left
    out without a word, though the ✓ line lists why segments are."""
    import time

    from theme_assist.project.audit import machine_before_review

    store = make_project(tmp_path / "study.taproj", with_run=False)
    segments = store.segments()
    a0, a1 = segments["segment_id"].iloc[:2]
    store.add_run(synthetic_suggestions(segments[segments["segment_id"] != a1]), model_id="m", embedding_model="e",
                  engine_version="1", mode="trained", params={}, n_training=1, n_decisions=0)
    time.sleep(0.01)
    store.record_decisions([DecisionRequest(a0, "add", "work", "Ana"), DecisionRequest(a1, "add", "family", "Ana")])
    assert set(machine_before_review(store)["segment_id"]) == {a0}
    assert (f"1 reviewed segment(s) had no suggestion of the latest run before their first decision (a transcript "
            f"added after it, a speaker it skipped): they are left out ({a1})") in caplog.text
    store.close()


def export_and_agree(tmp_path, capsys, *options: str) -> str:
    """``project export --codings`` and ``--machine`` of ``tmp_path/study.taproj``, then ``agree codings.csv
    --machine machine.csv --format json`` with ``options``: its output."""
    from theme_assist.cli import main

    for option, name in (("--codings", "codings.csv"), ("--machine", "machine.csv")):
        with pytest.raises(SystemExit) as done:
            main(["project", "export", str(tmp_path / "study.taproj"), option, str(tmp_path / name)])
        assert done.value.code in (0, None), capsys.readouterr().err
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["agree", str(tmp_path / "codings.csv"), "--machine", str(tmp_path / "machine.csv"), "--format", "json",
              *options])
    captured = capsys.readouterr()
    assert done.value.code in (0, None), captured.err
    return captured.out


def test_a_skipped_speakers_segment_coded_by_hand_has_no_machine_row_and_agree_leaves_it_out(tmp_path, capsys):
    import json

    from theme_assist.project.audit import machine_before_review
    from theme_assist.project.learn import refit
    from theme_assist.project.testing import FakeEmbedder

    store = make_project(tmp_path / "study.taproj", with_run=False)
    store.record_skip_speakers(["Interviewer"])
    refit(store, embedder=FakeEmbedder())
    store.record_decisions([DecisionRequest(segment, "add", code, "Ana") for segment, code in [
        ("interview_a:0", "other"), ("interview_a:1", "work"), ("interview_a:3", "family"),
        ("interview_b:1", "work")]])
    assert set(machine_before_review(store)["segment_id"]) == {"interview_a:1", "interview_a:3", "interview_b:1"}
    store.close()
    result = json.loads(export_and_agree(tmp_path, capsys, "--interval", "analytic"))
    (row,) = result["machine_comparison"]
    assert row["comparison"] == "machine vs Ana" and row["n_units"] == 3


def test_turns_decided_before_their_speaker_was_skipped_stay_the_coders_and_the_machine_export_says_why_not_its(
        tmp_path, capsys):
    """Turns of a speaker skipped after coders decided on them (project skip-speaker) keep their codings in
    --codings, and so in the coders' agreement; machine.csv leaves them out, as it leaves out every turn of a speaker
    the project skips, whatever the time of the decision. Its line said only that segments learnt from an imported
    coding are left out, while agree's machine rows then counted fewer units than the coders'."""
    import time
    from theme_assist.cli import main
    from theme_assist.project.learn import refit
    from theme_assist.project.testing import FakeEmbedder

    store = make_project(tmp_path / "study.taproj", with_run=False)
    refit(store, embedder=FakeEmbedder())
    time.sleep(0.01)
    for coder, codes in (("Ana", ["other", "work", "family"]), ("Bo", ["other", "work", "stigma"])):
        store.record_decisions([DecisionRequest(segment, "add", code, coder) for segment, code in
                                zip(["interview_a:0", "interview_a:1", "interview_a:3"], codes)])
    store.record_skip_speakers(["Interviewer"])  # interview_a:0 is the interviewer's
    store.close()
    with pytest.raises(SystemExit) as done:
        main(["project", "export", str(tmp_path / "study.taproj"), "--machine", str(tmp_path / "machine.csv"),
              "--codings", str(tmp_path / "codings.csv")])
    assert done.value.code in (0, None)
    assert ("(segments it had learnt from an imported coding, and turns of the speakers the project skips "
            "(Interviewer), are left out)") in " ".join(capsys.readouterr().err.split())
    assert set(pd.read_csv(tmp_path / "machine.csv")["segment_id"]) == {"interview_a:1", "interview_a:3"}
    assert pd.read_csv(tmp_path / "codings.csv")["segment_id"].value_counts().to_dict() == {
        "interview_a:0": 2, "interview_a:1": 2, "interview_a:3": 2}


def test_segments_a_coder_only_rejected_codes_on_are_named_by_the_codings_export(tmp_path, capsys):
    """A coder who rejects the machine's code and gives none has no row in --codings: agree counts the segment as
    not rated by them, and their disagreement with the machine went uncounted without a word."""
    from theme_assist.cli import main

    store = make_project(tmp_path / "study.taproj")
    a0, a1, a2, a3 = store.segments()["segment_id"].iloc[:4]
    store.record_decisions([DecisionRequest(a2, "reject", suggestion(store, a2).code, "Ana",
                                            int(suggestion(store, a2).id)),
                            DecisionRequest(a0, "reject", suggestion(store, a0).code, "Ana",
                                            int(suggestion(store, a0).id)),
                            DecisionRequest(a1, "accept", suggestion(store, a1).code, "Ana",
                                            int(suggestion(store, a1).id)),
                            DecisionRequest(a3, "reject", suggestion(store, a3).code, "Bo",
                                            int(suggestion(store, a3).id)),
                            DecisionRequest(a3, "add", "other", "Bo")])
    store.close()
    with pytest.raises(SystemExit) as done:
        main(["project", "export", str(tmp_path / "study.taproj"), "--codings", str(tmp_path / "codings.csv")])
    assert done.value.code in (0, None)
    err = " ".join(capsys.readouterr().err.split())
    assert (f"warning: Ana rejected codes on 2 segment(s) without giving one ({a0}, {a2}): {tmp_path / 'codings.csv'} "
            "has no row for them, so agree counts them as not rated by Ana" in err)
    assert "Bo rejected" not in err
    assert set(pd.read_csv(tmp_path / "codings.csv")["segment_id"]) == {a1, a3}


def test_the_codings_export_reads_the_codings_and_makes_the_coders_states_once(tmp_path, capsys, monkeypatch):
    """project export --codings read the imported codings and replayed every coder's decisions twice: once for the
    codings written, again for the segments rejected without a code. Both come from one replay."""
    from theme_assist.cli import main
    from theme_assist.project import audit, store as stores

    store = make_project(tmp_path / "study.taproj")
    a0, a1 = store.segments()["segment_id"].iloc[:2]
    store.record_decisions([DecisionRequest(a0, "reject", suggestion(store, a0).code, "Ana",
                                            int(suggestion(store, a0).id)),
                            DecisionRequest(a1, "add", "work", "Ana")])
    store.close()
    calls = {"coder_state": 0, "codings": 0}

    def counted(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(audit, "coder_state", counted("coder_state", audit.coder_state))
    monkeypatch.setattr(stores.ProjectStore, "codings", counted("codings", stores.ProjectStore.codings))
    with pytest.raises(SystemExit) as done:
        main(["project", "export", str(tmp_path / "study.taproj"), "--codings", str(tmp_path / "codings.csv")])
    assert done.value.code in (0, None)
    assert calls == {"coder_state": 1, "codings": 1}
    assert f"Ana rejected codes on 1 segment(s) without giving one ({a0})" in " ".join(capsys.readouterr().err.split())
    assert pd.read_csv(tmp_path / "codings.csv")["segment_id"].tolist() == [a1]


def _round_project(tmp_path):
    """A project where Ann and Ben coded every segment of both interviews after run 1: agreeing on interview_a,
    less on interview_b, so that a figure of both documents is not one of interview_b alone."""
    store = make_project(tmp_path / "study.taproj")
    segments = store.segments()
    ann = ["work", "family", "stigma", "other"]
    requests = []
    for i, (segment_id, document) in enumerate(segments[["segment_id", "document"]].itertuples(index=False)):
        ben = ann[i % 4] if document == "interview_a" or i % 2 else ann[(i + 1) % 4]
        requests += [DecisionRequest(segment_id, "add", ann[i % 4], "Ann"),
                     DecisionRequest(segment_id, "add", ben, "Ben")]
    store.record_decisions(requests)
    return store, segments


def _export(tmp_path, capsys, *options: str) -> tuple[int, str]:
    from theme_assist.cli import main

    with pytest.raises(SystemExit) as done:
        main(["project", "export", str(tmp_path / "study.taproj"), *options])
    return done.value.code or 0, " ".join(capsys.readouterr().err.split())


def _agree(capsys, folder) -> dict:
    import json

    from theme_assist.cli import main

    with pytest.raises(SystemExit) as done:
        main(["agree", str(folder / "codings.csv"), "--coder", "Ann", "--coder", "Ben", "--machine",
              str(folder / "machine.csv"), "--format", "json", "-m", "percent", "-m", "cohen", "--interval",
              "analytic"])
    captured = capsys.readouterr()
    assert done.value.code in (0, None), captured.err
    return json.loads(captured.out)


def test_export_of_some_documents_agrees_as_a_file_of_those_documents_alone(tmp_path, capsys):
    """A reliability round in a project coders reviewed before with suggestions shown: project export --codings and
    --machine held every document, so agree mixed anchored and independent decisions, and the README's "keep only
    the round's documents" had no tool. --document keeps the rows of the round's documents; agree on them gives
    the figures of files holding only those documents."""
    store, segments = _round_project(tmp_path)
    store.close()
    of_b = set(segments.loc[segments["document"] == "interview_b", "segment_id"])
    whole, only, cut = (tmp_path / name for name in ("whole", "only", "cut"))
    for folder in (whole, only, cut):
        folder.mkdir()
    assert _export(tmp_path, capsys, "--codings", str(whole / "codings.csv"), "--machine",
                   str(whole / "machine.csv"))[0] == 0
    code, said = _export(tmp_path, capsys, "--codings", str(only / "codings.csv"), "--machine",
                         str(only / "machine.csv"), "--document", "interview_b")
    assert code == 0 and "8 codings of 1 document →" in said and "for 4 reviewed segments of 1 document" in said
    for name in ("codings.csv", "machine.csv"):
        table = pd.read_csv(whole / name, keep_default_na=False)
        table[table["segment_id"].isin(of_b)].to_csv(cut / name, index=False)
        written = pd.read_csv(only / name, keep_default_na=False)
        assert set(written["segment_id"]) == of_b
        pd.testing.assert_frame_equal(written, pd.read_csv(cut / name, keep_default_na=False))
    by_hand, filtered, both = _agree(capsys, cut), _agree(capsys, only), _agree(capsys, whole)
    assert filtered == by_hand and filtered["n_units"] == 4
    assert (filtered["percent"]["value"], filtered["cohen"]["value"]) != (both["percent"]["value"],
                                                                          both["cohen"]["value"])
    rows = {row["comparison"]: row["n_units"] for row in filtered["machine_comparison"]}
    assert rows["machine vs Ann"] == rows["machine vs Ben"] == 4

    # several documents, each once however often given: the whole project's rows
    code, said = _export(tmp_path, capsys, "--codings", str(only / "codings.csv"), "--machine",
                         str(only / "machine.csv"), "--document", "interview_b", "--document", "interview_a",
                         "--document", "interview_b", "--force")
    assert code == 0 and "18 codings of 2 documents →" in said
    assert "no coding on" not in said
    for name in ("codings.csv", "machine.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(only / name, keep_default_na=False),
                                      pd.read_csv(whole / name, keep_default_na=False))


@pytest.mark.parametrize("given, meant", [
    ("nope", ""),
    ("Interview_B", " (did you mean 'interview_b'? documents are matched as written)"),
    ("interview_b.txt", " (did you mean 'interview_b'? a document is named as the project stores it"),
])
def test_export_refuses_a_document_the_project_lacks_in_one_line_naming_its_documents(tmp_path, capsys, given,
                                                                                       meant):
    _round_project(tmp_path)[0].close()
    code, said = _export(tmp_path, capsys, "--codings", str(tmp_path / "codings.csv"), "--document", "interview_a",
                         "--document", given)
    assert code == 2 and said.count("theme-assist: error:") == 1 and "Traceback" not in said
    assert said.startswith(f"theme-assist: error: --document {given!r} is no document of ")
    assert meant in said and said.endswith("its documents: interview_a, interview_b")
    assert not (tmp_path / "codings.csv").exists()


@pytest.mark.parametrize("options, whole", [
    (("--audit", "audit.csv"), "--audit holds the whole project: export it"),
    (("--qdpx", "study.qdpx", "--codebook", "codebook.yaml"), "--qdpx and --codebook hold the whole project"),
])
def test_export_refuses_document_with_the_exports_of_the_whole_project(tmp_path, capsys, options, whole):
    """The audit trail, the .qdpx and the codebook are the whole project's: --document with them is refused rather
    than leaving one to think them restricted."""
    _round_project(tmp_path)[0].close()
    options = [str(tmp_path / part) if not part.startswith("--") else part for part in options]
    code, said = _export(tmp_path, capsys, *options, "--document", "interview_b",
                         "--machine", str(tmp_path / "machine.csv"))
    assert code == 2 and said.startswith("theme-assist: error: --document restricts --codings and --machine")
    assert whole in said
    assert not list(tmp_path.glob("*.csv")) and not list(tmp_path.glob("*.qdpx"))


def test_export_of_some_documents_warns_of_their_segments_alone(tmp_path, capsys, caplog):
    """The warnings of a restricted export are of the documents given: a rejection without a code on another
    document is not named, and an empty pre-coding says the documents given have no decision."""
    store = make_project(tmp_path / "study.taproj")
    segments = store.segments()
    a0 = segments["segment_id"].iloc[0]
    store.record_decisions([DecisionRequest(a0, "reject", suggestion(store, a0).code, "Ann",
                                            int(suggestion(store, a0).id))])
    store.close()
    code, _ = _export(tmp_path, capsys, "--codings", str(tmp_path / "codings.csv"), "--machine",
                      str(tmp_path / "machine.csv"), "--document", "interview_b")
    assert code == 0
    said = " ".join(caplog.text.split())
    assert "rejected codes on" not in said
    assert "no review decision yet on the documents given" in said
    # no coding on interview_b: its codings file is empty, said rather than left to agree's refusal
    assert f"--document interview_b: no coding on it yet, so {tmp_path / 'codings.csv'} has no row" in said
    assert "measures the other documents" not in said  # there are none
    caplog.clear()
    assert _export(tmp_path, capsys, "--codings", str(tmp_path / "codings.csv"), "--force")[0] == 0
    assert f"Ann rejected codes on 1 segment(s) without giving one ({a0})" in " ".join(caplog.text.split())


@pytest.mark.parametrize("given", [" site2/iv_02", "site2/iv_02\n", "\tsite2/iv_02 "])
def test_a_document_named_with_spaces_around_it_is_refused_naming_it_without(given):
    """A name copied with a space or a line break was refused without a hint (only quoted)."""
    from types import SimpleNamespace

    from theme_assist.cli.project import _chosen_documents
    from theme_assist.errors import InputError

    store = SimpleNamespace(documents=lambda withdrawn=False: pd.DataFrame(
        {"document": ["site1/fg_01", "site2/iv_02"]}), withdrawn_documents=list)
    with pytest.raises(InputError, match=r"is no document of p.taproj \(did you mean 'site2/iv_02'\? without the "
                                         r"spaces around it\); its documents: "):
        _chosen_documents(store, [given], Path("p.taproj"))


def test_a_document_named_by_its_file_or_without_its_folders_is_refused_naming_the_projects_name(tmp_path):
    """A project read with --recursive names its documents by their path less the suffix: 'fg_01' or
    'fg_01.txt' is refused, saying the project's name of it."""
    from types import SimpleNamespace

    from theme_assist.cli.project import _chosen_documents
    from theme_assist.errors import InputError

    store = SimpleNamespace(documents=lambda withdrawn=False: pd.DataFrame(
        {"document": ["site1/fg_01", "site2/fg_01", "site2/iv_02"]}), withdrawn_documents=list)
    assert _chosen_documents(store, ["site2/iv_02", "site1/fg_01", "site2/iv_02"], Path("p.taproj")) == [
        "site2/iv_02", "site1/fg_01"]
    with pytest.raises(InputError, match=r"^--document 'data/site2/fg_01.txt' is no document of p.taproj \(did you "
                                         r"mean 'site2/fg_01'\? "):
        _chosen_documents(store, ["data/site2/fg_01.txt"], Path("p.taproj"))  # the path it was read from
    for given in ("fg_01", "fg_01.txt"):
        with pytest.raises(InputError, match=rf"^--document '{given}' is no document of p.taproj \(did you mean "
                                             r"'site1/fg_01' or 'site2/fg_01'\? .*\); its documents: site1/fg_01, "
                                             r"site2/fg_01, site2/iv_02$"):
            _chosen_documents(store, [given], Path("p.taproj"))


@pytest.fixture()
def anchored_and_not(tmp_path):
    """Imported codings by 'ref'; Ana's and Bo's decisions made with and without the machine's suggestions on
    screen, Cy's of unknown state (stored as before theme_assist recorded it), Dee's of both."""
    store = make_project(tmp_path / "study.taproj")
    a0, a1, a2, a3 = store.segments()["segment_id"].iloc[:4]
    store.add_codings(pd.DataFrame({"segment_id": [a0, a1], "code": ["work", "family"], "coder": ["ref", "ref"]}),
                      source="coded.csv")
    store.record_decisions([DecisionRequest(a1, "add", "family", "Ana", suggestions_shown=0),
                            DecisionRequest(a2, "add", "work", "Ana", suggestions_shown=0),
                            DecisionRequest(a3, "add", "stigma", "Ana", suggestions_shown=0)])
    store.record_decisions([DecisionRequest(a1, "add", "family", "Bo", suggestions_shown=1)])
    store.record_decisions([DecisionRequest(a2, "add", "work", "Bo", suggestions_shown=0)])
    store.record_decisions([DecisionRequest(a3, "reject", "work", "Bo", suggestions_shown=1)])  # then his own code
    store.record_decisions([DecisionRequest(a3, "add", "stigma", "Bo", suggestions_shown=0)])
    store.record_decisions([DecisionRequest(a0, "add", "work", "Cy"), DecisionRequest(a2, "add", "work", "Cy")])
    store.record_decisions([DecisionRequest(a1, "reject", "work", "Dee")])  # unknown, then known to be anchored:
    store.record_decisions([DecisionRequest(a1, "add", "family", "Dee", suggestions_shown=1)])  # not "unknown"
    # an anchored decision undone leaves the coder's standing ones independent
    store.record_decisions([DecisionRequest(a0, "add", "other", "Ana", suggestions_shown=1)])
    store.undo_last("Ana")
    store.record_decisions([DecisionRequest(a0, "add", "work", "Ana", suggestions_shown=0)])
    store.close()
    return tmp_path / "study.taproj", (a0, a1, a2, a3)


def test_the_audit_trail_says_whether_suggestions_were_shown_empty_where_unknown(anchored_and_not, tmp_path):
    from theme_assist.cli import main

    path, (a0, a1, a2, a3) = anchored_and_not
    with pytest.raises(SystemExit) as exit_:
        main(["project", "export", str(path), "--audit", str(tmp_path / "audit.csv")])
    assert exit_.value.code == 0
    trail = pd.read_csv(tmp_path / "audit.csv", keep_default_na=False, dtype=str)
    decisions = trail[trail["event"] == "decision"]
    shown = list(zip(decisions["actor"], decisions["action"], decisions["suggestions_shown"]))
    assert shown == [("Ana", "add", "0")] * 3 + [("Bo", "add", "1"), ("Bo", "add", "0"), ("Bo", "reject", "1"),
                                                 ("Bo", "add", "0"), ("Cy", "add", ""), ("Cy", "add", ""),
                                                 ("Dee", "reject", ""), ("Dee", "add", "1"),
                                                 ("Ana", "add", "1"), ("Ana", "undo", "1"), ("Ana", "add", "0")]
    assert set(trail.loc[trail["event"] != "decision", "suggestions_shown"]) == {""}


def test_export_independent_keeps_codings_made_with_no_suggestion_shown_and_agree_reads_them(anchored_and_not,
                                                                                            tmp_path, capsys):
    from theme_assist.cli import main

    path, (a0, a1, a2, a3) = anchored_and_not
    out = tmp_path / "independent.csv"
    with pytest.raises(SystemExit) as exit_:
        main(["project", "export", str(path), "--codings", str(out), "--independent"])
    assert exit_.value.code == 0
    said = capsys.readouterr().err
    kept = pd.read_csv(out)
    assert sorted(zip(kept["coder"], kept["segment_id"], kept["code"])) == sorted([
        ("ref", a0, "work"), ("ref", a1, "family"),  # imported: made outside theme_assist
        ("Ana", a0, "work"), ("Ana", a1, "family"), ("Ana", a2, "work"), ("Ana", a3, "stigma"),
        ("Bo", a2, "work")])  # not a1 (shown), nor a3 (a standing rejection made with suggestions shown)
    assert "left out 2 segments (2 codings) whose coder's decisions there were stored before" in said  # Cy's
    assert "made with no suggestion shown" in said
    everything = tmp_path / "all.csv"
    with pytest.raises(SystemExit) as exit_:
        main(["project", "export", str(path), "--codings", str(everything)])
    assert exit_.value.code == 0 and len(pd.read_csv(everything)) == 12
    assert "stored before" not in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["agree", str(out), "--coder", "Ana", "--coder", "ref", "--format", "json"])
    assert exit_.value.code == 0, capsys.readouterr().err
    assert '"value": 1.0' in capsys.readouterr().out  # Ana and ref agree on the two segments both coded


def test_export_of_codings_reads_the_decisions_once(anchored_and_not, tmp_path, capsys, monkeypatch):
    """The current codings, the independent ones and the segments rejected without a code each read every
    decision again; the rows written are as before."""
    from theme_assist.cli import main
    from theme_assist.project import ProjectStore

    path, (a0, a1, a2, a3) = anchored_and_not
    reads = []
    decisions = ProjectStore.decisions

    def counted(store, *args, **kwargs):
        reads.append(args or kwargs)
        return decisions(store, *args, **kwargs)

    monkeypatch.setattr(ProjectStore, "decisions", counted)
    out = tmp_path / "independent.csv"
    with pytest.raises(SystemExit) as exit_:
        main(["project", "export", str(path), "--codings", str(out), "--independent"])
    assert exit_.value.code == 0 and len(reads) == 1
    kept = pd.read_csv(out)
    assert sorted(zip(kept["coder"], kept["segment_id"], kept["code"])) == sorted([
        ("ref", a0, "work"), ("ref", a1, "family"), ("Ana", a0, "work"), ("Ana", a1, "family"),
        ("Ana", a2, "work"), ("Ana", a3, "stigma"), ("Bo", a2, "work")])
    assert "left out 2 segments (2 codings)" in capsys.readouterr().err


def test_export_of_some_documents_codings_and_project_info_read_no_segment_text(anchored_and_not, tmp_path, capsys,
                                                                               monkeypatch):
    """They read every segment's text for its id and document, or to count the segments."""
    from theme_assist.cli import main
    from theme_assist.project import ProjectStore

    path, (a0, a1, a2, a3) = anchored_and_not
    monkeypatch.setattr(ProjectStore, "segments", lambda store: pytest.fail("every segment's text read"))
    out = tmp_path / "some.csv"
    with pytest.raises(SystemExit) as exit_:
        main(["project", "export", str(path), "--codings", str(out), "--document", "interview_b"])
    assert exit_.value.code == 0
    assert "--document interview_b: no coding on it yet" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["project", "info", str(path)])
    assert exit_.value.code == 0 and capsys.readouterr().out.startswith("study: 2 documents, 9 segments, ")


def test_export_independent_needs_codings(anchored_and_not, capsys):
    from theme_assist.cli import main

    path, _ = anchored_and_not
    with pytest.raises(SystemExit) as exit_:
        main(["project", "export", str(path), "--audit", str(path.with_suffix(".csv")), "--independent"])
    assert exit_.value.code == 2
    assert "theme-assist: error: --independent says which codings --codings OUT.csv writes" in capsys.readouterr().err


def test_export_of_some_documents_names_those_no_coder_has_coded(tmp_path, capsys, caplog):
    """A round's document not coded yet had no row in --codings, without a word: agree on the file measured the
    other documents alone, and its report does not say which documents its units lie in."""
    store = make_project(tmp_path / "study.taproj")
    a0 = store.segments()["segment_id"].iloc[0]
    store.record_decisions([DecisionRequest(a0, "add", "work", "Ann")])
    store.close()
    assert _export(tmp_path, capsys, "--codings", str(tmp_path / "codings.csv"), "--document", "interview_a",
                   "--document", "interview_b")[0] == 0
    said = " ".join(caplog.text.split())
    assert f"--document interview_b: no coding on it yet, so {tmp_path / 'codings.csv'} has no row of it, and " \
           "agree on it measures the other documents alone" in said
    assert "interview_a:" not in said


def test_export_of_independent_codings_of_some_documents_says_which_codings_none_are(tmp_path, capsys, caplog):
    """Under --independent a document whose codings were all made with suggestions shown has no row either: the
    warning says of which codings (it said "no coding on it yet" of a coded document)."""
    store = make_project(tmp_path / "study.taproj")
    segments = store.segments()
    a0 = segments.loc[segments["document"] == "interview_a", "segment_id"].iloc[0]
    b0 = segments.loc[segments["document"] == "interview_b", "segment_id"].iloc[0]
    store.record_decisions([DecisionRequest(a0, "add", "work", "Ann", suggestions_shown=0),
                            DecisionRequest(b0, "add", "work", "Ann", suggestions_shown=1)])
    store.close()
    assert _export(tmp_path, capsys, "--codings", str(tmp_path / "codings.csv"), "--independent", "--document",
                   "interview_a", "--document", "interview_b")[0] == 0
    said = " ".join(caplog.text.split())
    assert f"--document interview_b: no coding made with no suggestion shown on it yet, so " \
           f"{tmp_path / 'codings.csv'} has no row of it" in said


def test_the_qdpx_holds_the_latest_runs_suggestions_unless_every_run_is_asked_for(audited, tmp_path, project_schema):
    """Every run's suggestions made a segment's machine codings of a code several times over: at a refit every 10
    decisions, tens of runs and millions of codings no QDA program could use. The latest run's are those the review
    page shows; the decisions keep naming the run of the suggestion each answered."""
    store, every_run, _ = audited
    latest = export_qdpx(store, tmp_path / "latest.qdpx")
    assert_valid_qdpx(latest.path, project_schema)
    imported = import_project(latest.path, tmp_path / "imported", known=store.codebook())
    machine = imported.codings[imported.codings["coder"].isin([FIRST_MODEL, SECOND_MODEL])]
    shown = store.suggestions()
    assert latest.counts["suggestions"] == len(machine) == len(shown) == every_run.counts["suggestions"] - 18
    assert set(machine["coder"]) == {SECOND_MODEL} and machine["description"].str.contains(", run 2\\)").all()
    assert [user.name for user in imported.project.users] == ["ref", "Ana", "Bo", SECOND_MODEL]
    decided = [s.description for s in selections(imported)
               if (s.description or "").startswith("theme_assist decision")]
    # still every decision: the accept on a1, the rejection on a2 and the replacement on a3 answered run 1
    assert len(decided) == 8 and sum(", run 1)" in description for description in decided) == 3
    assert latest.counts["codings"] == every_run.counts["codings"]
    # made from the trail of every run (project export --audit --qdpx makes it once for both): the same file
    from_trail = export_qdpx(store, tmp_path / "from_trail.qdpx", audit_table(store))
    with zipfile.ZipFile(latest.path) as one, zipfile.ZipFile(from_trail.path) as other:
        assert [one.read(name) for name in one.namelist()] == [other.read(name) for name in other.namelist()]
    # the trail it is made from has the latest run's suggestions, and those of the runs a decision answered
    trail = audit_table(store, run_id=2)
    machine_rows = trail[trail["event"] == "machine_suggestion"]
    assert set(machine_rows["run_id"]) == {2} and len(machine_rows) == 18
    every = audit_table(store)
    assert trail[trail["event"] != "machine_suggestion"].reset_index(drop=True).equals(
        every[every["event"] != "machine_suggestion"].reset_index(drop=True))


def test_the_latest_runs_suggestions_leave_out_withdrawn_documents_and_read_codes_as_the_codebook_now_does(tmp_path):
    from theme_assist.codebook import parse_codebook
    from theme_assist.project.testing import CODEBOOK

    with make_project(tmp_path / "study.taproj") as store:
        store.add_run(synthetic_suggestions(store.segments()), model_id="m2", embedding_model="e", engine_version="2",
                      mode="trained", params={}, n_training=1, n_decisions=0)
        store.withdraw(["interview_b"], "a test file")
        store.add_codebook_version(parse_codebook(CODEBOOK.replace("id: stigma", "id: stigma2")),
                                   code_map={"stigma": "stigma2"})
        shown = store.suggestions()
        exported = export_qdpx(store, tmp_path / "study.qdpx")
        imported = import_project(exported.path, tmp_path / "imported", known=store.codebook())
    machine = imported.codings[imported.codings["coder"] == machine_user_name("trained on e", "2")]
    assert len(machine) == exported.counts["suggestions"] == len(shown)
    assert "stigma2" in set(machine["code"]) and "stigma" not in set(machine["code"])
    assert sorted(machine["code"]) == sorted(shown["code"])
