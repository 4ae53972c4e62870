"""A codebook revision that splits a code (``project codebook --recode``): what was coded with it before is to be
recoded by hand, and reads as no code until its coders recode it, for every reader."""

from __future__ import annotations

import pandas as pd
import pytest

from theme_assist.codebook import parse_codebook
from theme_assist.errors import InputError
from theme_assist.project import DecisionRequest, NotFound, ProjectStore, coder_state, training_codings
from theme_assist.project.audit import audit_codings, audit_table, current_codings, rejected_without_code
from theme_assist.project.testing import CODEBOOK, make_project
from theme_assist.project.testing import run_command as run

WORK = """  - id: work
    name: Paid work
    definition: Jobs, salaries and contracts.
"""
SPLIT = CODEBOOK.replace(WORK, """  - id: paid_work
    name: Paid work
    definition: Jobs, salaries and contracts.
  - id: unpaid_work
    name: Unpaid work
    definition: Care, housework and volunteering.
""")  # work dropped, two codes in its place
NARROWED = CODEBOOK.replace("Jobs, salaries and contracts.", "Salaried jobs only.") + """  - id: gig_work
    name: Gig work
    definition: Casual jobs paid by the task.
"""  # work kept with a narrower definition, a code beside it


@pytest.fixture()
def store(tmp_path):
    with make_project(tmp_path / "study.taproj") as project:
        yield project


def _coded_work(store):
    """Work coded on a:1 (imported, ana), b:1 (imported without a coder) and a:3 (bo's decision); family on a:2."""
    store.add_codings(pd.DataFrame({"segment_id": ["interview_a:1", "interview_b:1"], "code": "work",
                                    "coder": ["ana", ""]}), source="coded.csv")
    store.record_decisions([DecisionRequest("interview_a:3", "add", "work", "bo"),
                            DecisionRequest("interview_a:2", "add", "family", "ana")])


def _pending(store, coder=None):
    return sorted(map(tuple, store.to_recode(coder)[["segment_id", "coder", "code", "version"]].values.tolist()))


def test_a_dropped_code_split_reads_as_no_code_until_its_coders_recode_it(store):
    _coded_work(store)
    assert store.add_codebook_version(parse_codebook(SPLIT), recode=["work"]) == 2
    assert store.code_maps().values.tolist() == [[2, "work", ""]]
    assert store.recodes()[["version", "code"]].values.tolist() == [[2, "work"]]
    assert _pending(store) == [("interview_a:1", "ana", "work", 2), ("interview_a:3", "bo", "work", 2),
                               ("interview_b:1", "", "work", 2)]
    assert _pending(store, "bo") == [("interview_a:3", "bo", "work", 2), ("interview_b:1", "", "work", 2)]
    # nothing is rewritten: the rows keep work, read as no code
    stored = store.codings(mapped=False)
    assert stored[["code", "code_now"]].values.tolist() == [["work", ""], ["work", ""]]
    assert store.codings().empty
    assert store.decisions(mapped=False)[["code", "code_now"]].values.tolist() == [["work", ""], ["family", "family"]]
    # the earlier run's suggestions of work are none now (not abstentions)
    suggestions = store.suggestions()
    assert "" not in set(suggestions["code"]) and "work" not in set(suggestions["code"])
    assert store.suggestions(segment_id="interview_a:0")["code"].tolist() == ["family"]
    assert "" not in set(store.all_suggestions()["code"])
    # the readers: no work, no empty code; bo's segment is not a rejection without a code
    state = coder_state(store.decisions(), exclusive=True, imported=store.codings())
    assert state.set_index(["segment_id", "coder"])["codes"].to_dict() == {
        ("interview_a:3", "bo"): [], ("interview_a:2", "ana"): ["family"]}
    assert current_codings(store)[["segment_id", "code", "coder"]].values.tolist() == [
        ["interview_a:2", "family", "ana"]]
    assert training_codings(store.codings(), store.decisions(), True).values.tolist() == [["interview_a:2", "family"]]
    assert rejected_without_code(store).empty
    # the audit trail keeps work and says it is to recode
    table = audit_table(store)
    assert table.loc[table["event"] == "codebook", "code_now"].fillna("").tolist() == ["", "work → (recode)"]
    codings, suggested = audit_codings(store)
    assert codings["code"].tolist() == ["", "", "", "family"]
    assert codings["description"].str.contains(r"work \(split since: to recode\)").sum() == 3
    assert codings["description"].iloc[2].endswith(": added work (split since: to recode)")  # not "a later decision"
    assert "" not in set(suggested["code"])


def test_a_decision_after_the_split_recodes_the_segment_for_its_coder(store):
    _coded_work(store)
    store.add_codebook_version(parse_codebook(SPLIT), recode=["work"])
    with pytest.raises(NotFound, match=r"code 'work' is not in the project's codebook \(codebook version 2 split it: "
                                       "give the code of the revision that fits"):
        store.record_decisions([DecisionRequest("interview_a:1", "add", "work", "ana")])
    store.record_decisions([DecisionRequest("interview_a:1", "add", "unpaid_work", "ana"),
                            DecisionRequest("interview_b:1", "add", "paid_work", "cy")])
    assert _pending(store) == [("interview_a:3", "bo", "work", 2)]
    store.record_decisions([DecisionRequest("interview_a:3", "add", "paid_work", "bo")])
    assert _pending(store).__len__() == 0
    assert sorted(current_codings(store)[["segment_id", "code", "coder"]].values.tolist()) == [
        ["interview_a:1", "unpaid_work", "ana"], ["interview_a:2", "family", "ana"],
        ["interview_a:3", "paid_work", "bo"], ["interview_b:1", "paid_work", "cy"]]
    store.undo_last("bo")  # the recode undone: to recode again
    assert _pending(store) == [("interview_a:3", "bo", "work", 2)]


def test_a_server_keeping_its_reads_sees_each_recode_and_split_made_by_another_program(store):
    """The review page asks for the segments to recode at every request, kept until a table they come from
    changes: a decision, an undo and a split made through another connection are each seen."""
    _coded_work(store)
    with ProjectStore(store.path) as page:
        page.keep_reads()
        assert _pending(page, "ana") == []
        store.add_codebook_version(parse_codebook(SPLIT), recode=["work"])
        assert _pending(page, "ana") == [("interview_a:1", "ana", "work", 2), ("interview_b:1", "", "work", 2)]
        assert _pending(page, "ana") == _pending(store, "ana")  # asked again: as kept
        store.record_decisions([DecisionRequest("interview_a:1", "add", "unpaid_work", "ana")])
        assert _pending(page, "ana") == [("interview_b:1", "", "work", 2)]
        store.undo_last("ana")
        assert _pending(page, "ana") == [("interview_a:1", "ana", "work", 2), ("interview_b:1", "", "work", 2)]


def test_a_code_kept_narrower_keeps_what_is_coded_after_the_split(store):
    _coded_work(store)
    store.record_decisions([DecisionRequest("interview_a:4", "add", "work", "cy"),
                            DecisionRequest("interview_a:4", "reject", "work", "cy")])  # not held at the split
    assert store.add_codebook_version(parse_codebook(NARROWED), recode=["work"]) == 2
    assert _pending(store) == [("interview_a:1", "ana", "work", 2), ("interview_a:3", "bo", "work", 2),
                               ("interview_b:1", "", "work", 2)]
    store.record_decisions([DecisionRequest("interview_a:1", "add", "work", "ana"),
                            DecisionRequest("interview_a:3", "add", "gig_work", "bo")])
    assert _pending(store) == [("interview_b:1", "", "work", 2)]
    assert sorted(current_codings(store)[["segment_id", "code", "coder"]].values.tolist()) == [
        ["interview_a:1", "work", "ana"], ["interview_a:2", "family", "ana"], ["interview_a:3", "gig_work", "bo"]]


@pytest.mark.parametrize("codebook, recode, code_map, message", [
    (SPLIT, ["nope"], {}, "--recode nope: 'nope' is not a code of the project's current codebook"),
    (SPLIT.replace("id: paid_work", "id: employment"), ["work"], {"work": "employment"},
     "--recode work and --map work=employment: a code is either mapped"),
    (CODEBOOK.replace("name: Paid work", "name: Jobs"), ["work"], {},
     "--recode work: the revised codebook keeps work as it is and adds no code"),
])
def test_a_recode_that_is_no_split_is_refused(store, codebook, recode, code_map, message):
    _coded_work(store)
    with pytest.raises(InputError, match=message):
        store.add_codebook_version(parse_codebook(codebook), recode=recode, code_map=code_map)
    assert store.codebook_version() == 1 and store.code_maps().empty


def test_a_recode_of_a_code_no_revision_narrowed_with_the_codebook_unchanged_is_refused(store):
    """A split is never undone: `--recode` with the current codebook split any code, a typo leaving its codings to
    recode for good. With the codebook unchanged it is the split of a revision stored before: one that defined the
    code otherwise, or added a code."""
    _coded_work(store)
    with pytest.raises(InputError, match="--recode work: the codebook is the project's current one, and no earlier "
                                         "version defines work otherwise or lacks a code it has"):
        store.add_codebook_version(parse_codebook(CODEBOOK), recode=["work"])
    renamed = CODEBOOK.replace("name: Paid work", "name: Jobs")  # a revision that narrows nothing, adds nothing
    assert store.add_codebook_version(parse_codebook(renamed)) == 2
    with pytest.raises(InputError, match="no earlier version defines work otherwise"):
        store.add_codebook_version(parse_codebook(renamed), recode=["work"])
    assert store.code_maps().empty
    narrowed = NARROWED.replace("name: Paid work", "name: Jobs")  # v3 narrows work: v4 may split it
    assert store.add_codebook_version(parse_codebook(narrowed)) == 3
    assert store.add_codebook_version(parse_codebook(narrowed), recode=["work"]) == 4


def test_a_recode_of_a_code_split_already_says_so(store):
    _coded_work(store)
    assert store.add_codebook_version(parse_codebook(SPLIT), recode=["work"]) == 2
    with pytest.raises(InputError, match=r"--recode work: 'work' is not a code of the project's current codebook "
                                         r"\(codebook version 2 split it"):
        store.add_codebook_version(parse_codebook(SPLIT.replace("Care, housework", "Care, chores")), recode=["work"])


def test_the_same_split_given_again_is_unchanged(store):
    _coded_work(store)
    assert store.add_codebook_version(parse_codebook(SPLIT), recode=["work"]) == 2
    assert store.add_codebook_version(parse_codebook(SPLIT), recode=["work"]) == 2
    assert store.code_maps().values.tolist() == [[2, "work", ""]]


def test_a_split_of_a_code_nobody_coded_leaves_nothing_to_recode(store):
    """No coding or live decision at all (one undone): no segment to recode, not a KeyError."""
    store.record_decisions([DecisionRequest("interview_a:1", "add", "work", "ana")])
    store.undo_last("ana")
    assert store.add_codebook_version(parse_codebook(SPLIT), recode=["work"]) == 2
    assert store.to_recode().empty and list(store.to_recode("ana").columns) == ["segment_id", "coder", "code",
                                                                                "version"]


# ------------------------------------------------------------------ the command line
@pytest.fixture()
def small_project(tmp_path):
    """A project of one transcript, coded by Ann: work on its first turn, family on its second."""
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / "iv1.txt").write_text("Ann: I got paid.\nBob: My mother helps.\n")
    (tmp_path / "coded.csv").write_text("document,turn,code,coder\niv1,0,work,Ann\niv1,1,family,Ann\n")
    (tmp_path / "codebook.yaml").write_text("codes:\n  - id: work\n    name: Work\n    definition: paid work\n"
                                            "  - id: family\n    name: Family\n    definition: relatives\n")
    project = tmp_path / "p.taproj"
    assert run("project", "init", str(project), "--codebook", str(tmp_path / "codebook.yaml"), "--input",
               str(tmp_path / "transcripts"), "--coded", str(tmp_path / "coded.csv")) == 0
    (tmp_path / "split.yaml").write_text("codes:\n  - id: paid\n    name: Paid work\n    definition: a salary\n"
                                         "  - id: unpaid\n    name: Unpaid work\n    definition: care\n"
                                         "  - id: family\n    name: Family\n    definition: relatives\n")
    return project


def test_a_split_of_codings_imported_without_a_coder_is_to_recode_by_anyone_before_any_decision(store):
    """No coder holds a code yet (only a ``--coded`` file without a ``coder`` column): each coder's review queue,
    a new coder's included, lists the segments to recode."""
    store.add_codings(pd.DataFrame({"segment_id": ["interview_a:1"], "code": "work", "coder": [""]}),
                      source="coded.csv")
    store.add_codebook_version(parse_codebook(SPLIT), recode=["work"])
    assert _pending(store) == _pending(store, "newcomer") == [("interview_a:1", "", "work", 2)]
    store.record_decisions([DecisionRequest("interview_a:2", "add", "family", "ana")])
    assert _pending(store, "bo") == [("interview_a:1", "", "work", 2)]


def test_project_codebook_recode_says_the_segments_to_recode_and_exports_leave_them_out(tmp_path, small_project,
                                                                                        capsys):
    split = tmp_path / "split.yaml"
    capsys.readouterr()
    assert run("project", "codebook", str(small_project), "--codebook", str(split)) == 2
    assert "--recode OLD: a code split" in capsys.readouterr().err  # dropping a code in use is refused
    assert run("project", "codebook", str(small_project), "--codebook", str(split), "--recode", "work") == 0
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "✓ codebook version 2: added paid, unpaid; dropped work; split work: 1 segment to recode")
    assert run("project", "info", str(small_project)) == 0
    said = capsys.readouterr().out
    assert "mapped work → (recode)" in said
    assert "  work was split: 1 segment to recode (Ann; first in their review queue)" in said
    out = tmp_path / "codings.csv"
    assert run("project", "export", str(small_project), "--codings", str(out)) == 0
    said = capsys.readouterr().err
    assert ("theme-assist: warning: work was split: 1 segment coded work before the split wait to be recoded and "
            f"have no row of their coders in {out}") in said
    assert pd.read_csv(out)[["code", "coder"]].values.tolist() == [["family", "Ann"]]
    assert run("project", "export", str(small_project), "--qdpx", str(tmp_path / "p.qdpx")) == 0
    with ProjectStore(small_project) as store:
        assert store.to_recode()[["coder", "code", "version"]].values.tolist() == [["Ann", "work", 2]]
    # the same command again stores nothing; a recode of a code the codebook lacks is refused in one line
    assert run("project", "codebook", str(small_project), "--codebook", str(split), "--recode", "work") == 0
    assert "is version 2 already" in capsys.readouterr().err
    assert run("project", "codebook", str(small_project), "--codebook", str(tmp_path / "codebook.yaml"),
               "--recode", "nope") == 2
    assert capsys.readouterr().err.strip() == (
        "theme-assist: error: --recode nope: 'nope' is not a code of the project's current codebook")


# ------------------------------------------------------------------ the review page
def test_the_segments_to_recode_come_first_open_and_marked_on_the_review_page(store):
    from theme_assist.review.views import progress, queue, segment_view

    _coded_work(store)
    before = progress(store, "bo")
    assert before["decided"] == 1
    store.add_codebook_version(parse_codebook(SPLIT), recode=["work"])
    # first, in the order's own order among themselves (the run's queue puts the last segments first)
    for order, first in [("active", ["interview_b:1", "interview_a:3"]),
                         ("document", ["interview_a:3", "interview_b:1"])]:
        items = queue(store, "bo", order=order)["items"]
        assert [(item["segment_id"], item["status"], item["recode"]) for item in items[:2]] == [
            (segment, "open", ["Paid work"]) for segment in first]
        assert all(item["recode"] == [] for item in items[2:])
    assert progress(store, "bo")["decided"] == 0
    assert queue(store, "ana")["items"][0]["segment_id"] in {"interview_a:1", "interview_b:1"}
    assert segment_view(store, "interview_a:3", "bo", blind=False)["recode"] == ["Paid work"]
    assert segment_view(store, "interview_a:3", "ana", blind=False)["recode"] == []
    store.record_decisions([DecisionRequest("interview_a:3", "add", "unpaid_work", "bo")])
    view = segment_view(store, "interview_a:3", "bo", blind=False)
    assert view["recode"] == [] and [code["id"] for code in view["mine"]["codes"]] == ["unpaid_work"]
    items = queue(store, "bo", order="document", status="all")["items"]
    assert [item["segment_id"] for item in items if item["recode"]] == ["interview_b:1"]
    assert progress(store, "bo")["decided"] == 1


def test_blind_review_marks_only_the_coders_own_codings_to_recode(store):
    """Under --blind a coding imported without a coder is another's: the page does not mark its segment "Paid work
    was split: recode" (which tells that it was coded, and with what), on the queue, the segment or the progress."""
    from theme_assist.review.views import progress, queue, segment_view

    _coded_work(store)
    store.add_codebook_version(parse_codebook(SPLIT), recode=["work"])
    for blind, marked in [(False, {"interview_a:3", "interview_b:1"}), (True, {"interview_a:3"})]:
        items = queue(store, "bo", order="document", status="all", blind=blind)["items"]
        assert {item["segment_id"] for item in items if item["recode"]} == marked
        assert bool(segment_view(store, "interview_b:1", "bo", blind=blind)["recode"]) is not blind
        assert bool(segment_view(store, "interview_b:1", "cy", blind=blind)["recode"]) is not blind
        assert progress(store, "bo", blind=blind) == queue(store, "bo", blind=blind)["progress"]


def test_a_code_narrowed_by_a_revision_stored_before_is_split_by_the_same_command_with_recode(tmp_path, small_project,
                                                                                              capsys):
    """The warning of a redefined code in use says to give the same command with --recode: an unchanged codebook
    stored nothing, so the split could not be made after the revision."""
    narrowed = tmp_path / "narrowed.yaml"
    narrowed.write_text((tmp_path / "codebook.yaml").read_text().replace("paid work", "salaried work only")
                        + "  - id: gig\n    name: Gig work\n    definition: paid by the task\n")
    capsys.readouterr()
    assert run("project", "codebook", str(small_project), "--codebook", str(narrowed)) == 0
    assert "the same `project codebook` with --recode work" in capsys.readouterr().err
    assert run("project", "codebook", str(small_project), "--codebook", str(narrowed), "--recode", "work") == 0
    assert capsys.readouterr().err.strip() == "✓ codebook version 3: split work: 1 segment to recode"
    assert run("project", "codebook", str(small_project), "--codebook", str(narrowed), "--recode", "work") == 0
    assert "is version 3 already" in capsys.readouterr().err
    with ProjectStore(small_project) as store:
        assert store.to_recode()[["coder", "code", "version"]].values.tolist() == [["Ann", "work", 3]]
        assert store.codebook(3).content_hash() == store.codebook(2).content_hash()


def test_the_machines_pre_coding_of_a_code_split_since_is_said_to_be_no_rating(store, caplog):
    from theme_assist.project.audit import machine_before_review

    store.record_decisions([DecisionRequest("interview_a:0", "add", "family", "bo"),  # the run's first: work
                            DecisionRequest("interview_a:1", "add", "family", "bo")])
    store.add_codebook_version(parse_codebook(SPLIT), recode=["work"])
    table = machine_before_review(store)
    assert table.loc[table["rank"] == 1, "segment_id"].tolist() == ["interview_a:1"]
    assert ("1 reviewed segment(s) had as the machine's first suggestion a code split since (work): it reads as "
            "none, so they have no rank-1 row") in caplog.text


def test_the_qdpx_counts_the_split_suggestions_of_the_run_it_writes_also_beside_the_audit_trail(store, tmp_path,
                                                                                               caplog):
    """``--audit`` with ``--qdpx`` hands the qdpx the audit table of every run: the warning still counts the
    suggestions left out of the latest run's, the only one the file has."""
    from theme_assist.project.audit import export_qdpx
    from theme_assist.project.testing import synthetic_suggestions

    segments = store.segments()
    store.add_run(synthetic_suggestions(segments), model_id="fake-model run", embedding_model="fake@0",
                  engine_version="test", mode="trained", params={}, n_training=0, n_decisions=0,
                  queue=store.queue())
    store.add_codebook_version(parse_codebook(SPLIT), recode=["work"])
    export_qdpx(store, tmp_path / "alone.qdpx")
    alone = caplog.text
    assert "machine suggestion(s) of code(s) split since (work) are left out of alone.qdpx" in alone
    caplog.clear()
    export_qdpx(store, tmp_path / "both.qdpx", audit_table(store))
    assert caplog.text.split(" machine suggestion")[0].split()[-1] == alone.split(" machine suggestion")[0].split()[-1]


def test_a_split_code_added_again_is_said_to_leave_its_earlier_codings_to_recode(tmp_path, small_project, capsys):
    """Going back to the codebook before a split: the warning of a code added again says what its earlier codings
    read as, no code until recoded, not an empty name."""
    assert run("project", "codebook", str(small_project), "--codebook", str(tmp_path / "split.yaml"),
               "--recode", "work") == 0
    capsys.readouterr()
    assert run("project", "codebook", str(small_project), "--codebook", str(tmp_path / "codebook.yaml")) == 0
    said = capsys.readouterr().err
    assert ("work, added again, is a new code: 1 coding or decision stored as work before codebook version 2 mapped "
            "it away still read as no code, to recode (a split) ") in said


def test_a_decision_in_the_splits_own_millisecond_recodes_the_segment(store, monkeypatch):
    """A decision is read under the version in force at its time, a version's own millisecond included (the version
    may even be stamped a millisecond ahead of the clock): made then, it is after the split, and recodes."""
    import theme_assist.project.store as module

    _coded_work(store)
    store.add_codebook_version(parse_codebook(SPLIT), recode=["work"])
    at = store.recodes()["created_at"].iloc[0]
    monkeypatch.setattr(module, "utc_now", lambda: at)
    store.record_decisions([DecisionRequest("interview_a:3", "add", "paid_work", "bo")])
    assert ("interview_a:3", "bo", "work", 2) not in _pending(store)
    assert ("interview_a:3", "bo", "work", 2) not in _pending(store, "bo")
