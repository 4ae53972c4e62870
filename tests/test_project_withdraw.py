"""``theme-assist project withdraw / restore``: a document added by mistake is left out of every reader but the audit
trail, nothing deleted, and brought back exactly; ``project metadata``: document metadata corrected or added later,
every change in the audit trail."""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from theme_assist.project import DecisionRequest, ProjectStore
from theme_assist.project.schema import SCHEMA_VERSION, migrate
from theme_assist.project.testing import FakeEmbedder, make_project, project_content as content, run_command as run


@pytest.fixture()
def project(tmp_path):
    """Two interviews, each with an imported coding and decisions of two coders, one undone."""
    path = tmp_path / "study.taproj"
    with make_project(path) as store:
        store.add_codings(pd.DataFrame({"segment_id": ["interview_a:1", "interview_b:1"], "code": ["work", "work"],
                                        "coder": "ref"}), source="coded.csv")
        suggestions = store.suggestions(with_evidence=False)
        for segment, coder, action in [("interview_a:3", "ana", "accept"), ("interview_b:3", "ana", "accept"),
                                       ("interview_b:2", "bo", "reject"), ("interview_a:4", "bo", "accept")]:
            s = suggestions[(suggestions["segment_id"] == segment) & (suggestions["rank"] == 1)].iloc[0]
            store.record_decisions([DecisionRequest(segment, action, s.code, coder, int(s.id))])
        store.undo_last("bo")
    return path


def exports(project: Path, folder: Path, capsys) -> dict[str, bytes]:
    """What --codings, --machine and --qdpx write (the texts and codings of the .qdpx)."""
    folder.mkdir()
    assert run("project", "export", str(project), "--codings", str(folder / "codings.csv"), "--machine",
               str(folder / "machine.csv"), "--qdpx", str(folder / "study.qdpx")) == 0
    with zipfile.ZipFile(folder / "study.qdpx") as archive:
        qdpx = {name: archive.read(name) for name in sorted(archive.namelist())}
    return {"codings": (folder / "codings.csv").read_bytes(), "machine": (folder / "machine.csv").read_bytes(),
            **qdpx}


# ------------------------------------------------------------------ withdraw and restore
def test_a_withdrawn_document_is_left_out_of_every_reader_but_the_audit_trail(project):
    with ProjectStore(project) as store:
        assert store.withdraw(["interview_b"], reason="the wrong site") == ["interview_b"]
        assert store.withdrawn_documents() == ["interview_b"]
        assert list(store.documents()["document"]) == ["interview_a"]
        assert [d.id for d in store.documents_with_text()] == ["interview_a"]
        for frame in (store.segments(), store.codings(), store.decisions(), store.suggestions(), store.queue(),
                      store.all_suggestions()):
            assert len(frame) and frame["segment_id"].str.startswith("interview_a:").all()
        assert store.segment("interview_b:1") is None and store.segment_count() == 5
        assert store.decision_count() == 2 and store.decision_count(withdrawn=True) == 4
        assert store.decisions(withdrawn=True)["segment_id"].str.startswith("interview_b:").sum() == 2
        assert set(store.segments(withdrawn=True)["document"]) == {"interview_a", "interview_b"}


def test_the_exports_name_the_withdrawn_documents_holding_work_without_reading_their_decisions(project, tmp_path,
                                                                                               capsys, monkeypatch):
    """The warning read every segment id, decision and coding of the project a second time (0.1-0.5 s at 20,000
    segments) to find which withdrawn documents hold any: an ``EXISTS`` per document says it."""
    with make_project(tmp_path / "bare.taproj", with_run=False) as bare:
        bare.withdraw(["interview_a"])  # no coding, no decision: not named
        assert bare.withdrawn_documents() == ["interview_a"] and bare.withdrawn_holding() == []
    with ProjectStore(project) as store:
        store.withdraw(["interview_b", "interview_a"])
        assert store.withdrawn_holding() == ["interview_a", "interview_b"]  # the documents' order
        store.restore(["interview_a"])
        assert store.withdrawn_holding() == ["interview_b"]
    for reader in ("decisions", "codings", "segment_ids"):
        read = getattr(ProjectStore, reader)

        def unread(self, *args, _read=read, _name=reader, **kwargs):
            assert not kwargs.get("withdrawn"), f"{_name}(withdrawn=True) read for the warning"
            return _read(self, *args, **kwargs)
        monkeypatch.setattr(ProjectStore, reader, unread)
    capsys.readouterr()
    assert run("project", "export", str(project), "--codings", str(tmp_path / "codings.csv")) == 0
    assert ("theme-assist: warning: --codings leaves out the withdrawn document interview_b, which holds codings or "
            "decisions (--audit keeps them; `theme-assist project restore` brings them back)") \
        in " ".join(capsys.readouterr().err.split())


def test_withdraw_and_restore_count_what_a_document_holds_without_reading_the_projects_work(project, capsys,
                                                                                         monkeypatch):
    """They read every segment id, decision and coding of the project to count those of the documents named: a
    count per table says it."""
    def unread(self, *args, **kwargs):
        raise AssertionError("the project's segments, decisions or codings read to count a document's")
    for reader in ("decisions", "codings", "segment_ids", "segments"):
        monkeypatch.setattr(ProjectStore, reader, unread)
    capsys.readouterr()
    assert run("project", "withdraw", str(project), "interview_b") == 0
    assert f"withdrawn from {project}: interview_b (4 segments, 2 decisions, 1 imported coding;" \
        in capsys.readouterr().err
    assert run("project", "withdraw", str(project), "interview_a", "interview_b") == 0
    assert ": interview_a (5 segments, 2 decisions, 1 imported coding;" in capsys.readouterr().err  # bo's undo apart
    assert run("project", "restore", str(project), "interview_b", "interview_a") == 0
    assert f"restored to {project}: interview_b, interview_a (9 segments, 4 decisions, 2 imported codings)" \
        in capsys.readouterr().err


def test_what_documents_hold_is_counted_within_sqlites_limit_of_parameters(project, monkeypatch):
    """Three parameters a document: over ~10,900 documents withdrawn at once went past SQLite's 32,766 parameters
    (here: a limit of 3 and a chunk of one document)."""
    import theme_assist.project.store as store_module

    monkeypatch.setattr(store_module, "HELD_CHUNK", 1, raising=False)
    with ProjectStore(project) as store:
        store._connection().setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 3)
        assert store.held(["interview_a", "interview_b"]) == (9, 4, 2)  # as counted in one statement


def test_restore_brings_every_export_back_exactly_and_the_trail_keeps_both(project, tmp_path, capsys):
    before = exports(project, tmp_path / "before", capsys)
    audit_before = pd.read_csv(_audit(project, tmp_path / "audit0.csv"))
    capsys.readouterr()
    assert run("project", "withdraw", str(project), "interview_b", "--reason", "a test file") == 0
    said = capsys.readouterr().err
    assert "withdrawn from" in said and "interview_b (4 segments, 2 decisions, 1 imported coding" in said
    withdrawn = exports(project, tmp_path / "withdrawn", capsys)
    warned = capsys.readouterr().err
    assert warned.count("interview_b") == 1 and "--codings and --machine and --qdpx leave out the withdrawn " \
        "document interview_b, which holds codings or decisions" in warned
    codings = pd.read_csv(tmp_path / "withdrawn" / "codings.csv")
    assert len(codings) and not codings["segment_id"].str.startswith("interview_b").any()
    assert b"interview_b" not in withdrawn["project.qde"] and b"interview_b" in before["project.qde"]
    assert withdrawn["codings"] != before["codings"]
    trail = pd.read_csv(_audit(project, tmp_path / "audit1.csv"), keep_default_na=False, dtype=str)
    decisions = trail[trail["event"] == "decision"]
    assert len(decisions) == len(audit_before[audit_before["event"] == "decision"]) == 5  # every one, and the undo
    assert set(decisions.loc[decisions["document"] == "interview_b", "withdrawn"]) == {"True"}
    assert set(decisions.loc[decisions["document"] == "interview_a", "withdrawn"]) == {"False"}
    event = trail[(trail["event"] == "document") & (trail["action"] == "withdraw")]
    assert event[["document", "reason"]].values.tolist() == [["interview_b", "a test file"]] and event["time"].all()

    assert run("project", "restore", str(project), "interview_b", "--reason", "the pilot site after all") == 0
    assert "restored to" in capsys.readouterr().err
    assert exports(project, tmp_path / "restored", capsys) == before
    assert "withdrawn" not in capsys.readouterr().err
    trail = pd.read_csv(_audit(project, tmp_path / "audit2.csv"), keep_default_na=False, dtype=str)
    assert trail.loc[trail["event"] == "document", ["action", "reason"]].values.tolist() == [
        ["withdraw", "a test file"], ["restore", "the pilot site after all"]]
    assert set(trail["withdrawn"]) == {"False"}


def test_the_exports_warning_of_withdrawn_documents_reads_no_segment_text(project, tmp_path, capsys, monkeypatch):
    assert run("project", "withdraw", str(project), "interview_b") == 0
    monkeypatch.setattr(ProjectStore, "segments", lambda store, withdrawn=False: pytest.fail("segment texts read"))
    capsys.readouterr()
    assert run("project", "export", str(project), "--codings", str(tmp_path / "codings.csv")) == 0
    assert "--codings leaves out the withdrawn document interview_b" in capsys.readouterr().err


def _audit(project: Path, out: Path) -> Path:
    assert run("project", "export", str(project), "--audit", str(out)) == 0
    return out


def test_withdraw_restore_and_metadata_record_who_did_it_as_the_audit_trails_actor(project, tmp_path, capsys):
    """Their audit rows had an empty ``actor``: who took a transcript out or changed a site was not recorded.
    ``--author``, as ``project codebook`` names who revised the codebook."""
    table = tmp_path / "meta.csv"
    table.write_text("document,site\ninterview_a,Hamburg\n")
    assert run("project", "withdraw", str(project), "interview_b", "--reason", "the wrong site", "--author",
               "Ann") == 0
    assert run("project", "restore", str(project), "interview_b", "--author", "Ben Okafor") == 0
    assert run("project", "metadata", str(project), str(table), "--author", "Ann") == 0
    assert run("project", "withdraw", str(project), "interview_b") == 0  # none given: none recorded
    trail = pd.read_csv(_audit(project, tmp_path / "audit.csv"), keep_default_na=False, dtype=str)
    changes = trail[trail["event"].isin(["document", "metadata"])]
    assert changes[["event", "action", "actor", "document", "reason"]].values.tolist() == [
        ["document", "withdraw", "Ann", "interview_b", "the wrong site"],
        ["document", "restore", "Ben Okafor", "interview_b", ""],
        ["metadata", "set", "Ann", "interview_a", "site: 'Ulm' → 'Hamburg'"],
        ["document", "withdraw", "", "interview_b", ""]]
    with ProjectStore(project) as store:
        assert store.withdrawals()["author"].tolist() == ["Ann", "Ben Okafor", ""]
        assert store.metadata_changes()["author"].tolist() == ["Ann"]


@pytest.mark.parametrize("author, refusal", [
    ("   ", "--author holds no name one can see (spaces or invisible characters alone)"),
    ("\u200b", "--author holds no name one can see (spaces or invisible characters alone)"),
    ("Ann\nBob", "--author 'Ann\\nBob': a name of several lines: give it on one line"),
])
def test_an_author_one_cannot_see_or_of_several_lines_is_refused(project, tmp_path, capsys, author, refusal):
    """A blank actor (spaces, a zero-width space) and one broken over two lines (a newline pasted with the name)
    were kept as given; a name with spaces around it is kept without them, as metadata values are."""
    table = tmp_path / "meta.csv"
    table.write_text("document,site\ninterview_a,Hamburg\n")
    before = content(project)
    for command in (["withdraw", str(project), "interview_b"], ["restore", str(project), "interview_b"],
                    ["metadata", str(project), str(table)], ["codebook", str(project), "--codebook", "cb.yaml"]):
        capsys.readouterr()
        assert run("project", *command, "--author", author) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"theme-assist: error: {refusal}") and err.count("\n") == 1, err
    assert content(project) == before
    assert run("project", "withdraw", str(project), "interview_b", "--author", " Ann ") == 0
    assert run("project", "restore", str(project), "interview_b", "--reason", "   ") == 0  # as none given
    with ProjectStore(project) as store:
        assert store.withdrawals()["author"].tolist() == ["Ann", ""]
        assert store.withdrawals()["reason"].tolist() == ["", ""]


@pytest.mark.parametrize("header, cleared", [("document", "document"), ("File", "File"), ("File", "file")])
def test_metadata_clear_of_the_document_column_is_refused_as_such(project, tmp_path, capsys, header, cleared):
    """``--clear document`` was refused as a column the table does not have, beside the table's document column;
    so was ``--clear File`` where the documents' column is headed 'File' (read as the document column)."""
    table = tmp_path / "meta.csv"
    table.write_text(f"{header},site\ninterview_a,\n")
    capsys.readouterr()
    assert run("project", "metadata", str(project), str(table), "--clear", cleared) == 2
    assert capsys.readouterr().err.strip() == (
        f"theme-assist: error: --clear {cleared!r}: that column names the documents, which keep their names; "
        "--clear takes a field: site; nothing was changed")


def test_info_counts_the_withdrawn_documents_apart(project, capsys):
    assert run("project", "withdraw", str(project), "interview_b", "--reason", "the wrong site") == 0
    capsys.readouterr()
    assert run("project", "info", str(project)) == 0
    out = capsys.readouterr().out
    assert out.startswith("study: 1 document, 5 segments")
    assert "  1 document withdrawn: interview_b (the wrong site); not counted above" in out
    assert "ana: 1 decision" in out and "bo: 1 decision (1 undone)" in out


def test_info_names_who_withdrew_a_document(project, capsys):
    """--author was kept (the audit trail's actor) but project info did not say it beside the reason."""
    assert run("project", "withdraw", str(project), "interview_b", "--reason", "the wrong site", "--author",
               "Ann") == 0
    capsys.readouterr()
    assert run("project", "info", str(project)) == 0
    assert "  1 document withdrawn: interview_b (the wrong site; author Ann); not counted" in capsys.readouterr().out
    # restored and withdrawn again, with no reason: the last withdrawal's author alone
    assert run("project", "restore", str(project), "interview_b", "--author", "Bo") == 0
    assert run("project", "withdraw", str(project), "interview_b", "--author", "Cy") == 0
    capsys.readouterr()
    assert run("project", "info", str(project)) == 0
    assert "  1 document withdrawn: interview_b (author Cy); not counted" in capsys.readouterr().out


def test_suggest_neither_trains_on_nor_suggests_for_a_withdrawn_document(project):
    from theme_assist.project.learn import refit

    with ProjectStore(project) as store:
        store.withdraw(["interview_a"])
        run_id = refit(store, embedder=FakeEmbedder())
        stored = store.suggestions(run_id=run_id, withdrawn=True)
        assert len(stored) and stored["segment_id"].str.startswith("interview_b:").all()
        assert store.queue(run_id)["segment_id"].str.startswith("interview_b:").all()
        assert store.latest_run()["n_training"] == 2  # interview_b's imported coding and ana's accept
        assert store.latest_run()["n_decisions"] == 2


def test_withdrawing_every_document_is_allowed_and_suggest_and_review_say_there_is_nothing_to_do(project, capsys):
    assert run("project", "withdraw", str(project), "interview_a", "interview_b") == 0
    capsys.readouterr()
    before = content(project)
    assert run("project", "suggest", str(project)) == 0
    said = capsys.readouterr().err
    assert said.startswith("nothing to suggest for: every document of") and "(interview_a, interview_b)" in said
    assert "project restore" in said and len(said.strip().splitlines()) == 1
    assert run("review", str(project), "--no-browser") == 0
    assert capsys.readouterr().err.startswith("nothing to review: every document of")
    assert content(project) == before
    assert run("project", "info", str(project)) == 0
    assert capsys.readouterr().out.startswith("study: 0 documents, 0 segments")


def test_a_refit_of_a_project_whose_documents_are_all_withdrawn_is_refused_storing_nothing(project):
    """As the review page's background refit would make one, after every document was withdrawn while it ran."""
    from theme_assist.errors import InputError
    from theme_assist.project.learn import refit

    with ProjectStore(project) as store:
        store.withdraw(["interview_a", "interview_b"])
        runs = len(store.runs())
        with pytest.raises(InputError, match="has no document that is not withdrawn: nothing to suggest for"):
            refit(store, embedder=FakeEmbedder())
        assert len(store.runs()) == runs


def test_a_withdrawn_documents_decision_is_refused_and_undo_passes_it_over(project):
    from theme_assist.errors import InputError

    with ProjectStore(project) as store:
        store.withdraw(["interview_b"])
        with pytest.raises(InputError, match=r"^segment 'interview_b:1' is of document 'interview_b', withdrawn "
                                             r"from this project \(`theme-assist project restore .*study.taproj "
                                             r"interview_b` brings it back\): nothing was saved$"):
            store.record_decisions([DecisionRequest("interview_b:1", "add", "work", "ana")])
        undone = store.undo_last("ana")  # ana's latest, on interview_b, is passed over
        assert undone["segment_id"].tolist() == ["interview_a:3"]
        store.restore(["interview_b"])
        assert not store.decisions(segment_id="interview_b:3")["undone"].any()


def test_an_undo_of_a_decision_on_a_document_withdrawn_since_says_so(project):
    """The page's undo names the decision it made last: it was said to be 'decided or undone since in another
    tab or window'."""
    from theme_assist.project.store import Stale

    with ProjectStore(project) as store:
        made = store.record_decisions([DecisionRequest("interview_b:1", "add", "stigma", "ana")])
        store.withdraw(["interview_b"])
        with pytest.raises(Stale, match=rf"^decision {made['id'].iloc[0]}, the one made last here, is on document "
                                        r"'interview_b', withdrawn from this project since \(`theme-assist project "
                                        r"restore .*study.taproj interview_b` brings it back\): nothing was undone$"):
            store.undo_last("ana", expected=int(made["id"].iloc[0]))
        assert store.decisions(coder="ana", withdrawn=True)["action"].tolist().count("undo") == 0


def test_an_undo_of_the_coders_only_decision_on_a_document_withdrawn_since_says_so(tmp_path):
    """With no other decision of the coder left, the page's undo was answered "Nothing to undo"."""
    from theme_assist.project.store import Stale

    with make_project(tmp_path / "study.taproj") as store:
        made = int(store.record_decisions([DecisionRequest("interview_b:1", "add", "stigma", "ana")])["id"].iloc[0])
        store.withdraw(["interview_b"])
        with pytest.raises(Stale, match=rf"^decision {made}, the one made last here, is on document 'interview_b', "
                                        "withdrawn from this project since") as refused:
            store.undo_last("ana", expected=made)
        assert refused.value.latest is None
        assert store.undo_last("ana").empty  # nothing to undo, where the caller expects none
        store.restore(["interview_b"])
        assert store.undo_last("ana", expected=made)["undoes"].tolist() == [made]


def test_undoing_a_bulk_decision_leaves_its_part_on_a_withdrawn_document_to_be_undone_after_a_restore(project):
    """The undo wrote undo rows on the withdrawn document's segments (a decision there, which is refused), and
    returned none of them: the restored document came back with its decisions undone."""
    with ProjectStore(project) as store:
        store.record_decisions([DecisionRequest("interview_a:1", "add", "stigma", "cy"),
                                DecisionRequest("interview_b:1", "add", "stigma", "cy")])
        store.withdraw(["interview_b"])
        page = int(store.decisions(coder="cy", withdrawn=True)["id"].max())  # as the page names the batch
        assert store.undo_last("cy", expected=page)["segment_id"].tolist() == ["interview_a:1"]
        mine = store.decisions(coder="cy", withdrawn=True)
        assert mine[["segment_id", "action", "undone"]].values.tolist() == [
            ["interview_a:1", "add", True], ["interview_b:1", "add", False], ["interview_a:1", "undo", False]]
        assert store.undo_last("cy").empty
        store.restore(["interview_b"])
        assert store.undo_last("cy")["segment_id"].tolist() == ["interview_b:1"]  # the rest of the batch, once
        assert store.decisions(coder="cy")["undone"].sum() == 2 and store.undo_last("cy").empty


@pytest.mark.parametrize("by", ["coding", "decision"])
def test_a_codebook_revision_may_not_drop_a_code_only_a_withdrawn_document_uses(tmp_path, by):
    """A restore would bring back codings or decisions of a code the codebook no longer has."""
    from theme_assist.codebook import parse_codebook
    from theme_assist.errors import InputError
    from theme_assist.project.testing import CODEBOOK

    with make_project(tmp_path / "p.taproj") as store:
        if by == "coding":
            store.add_codings(pd.DataFrame({"segment_id": ["interview_b:3"], "code": ["stigma"], "coder": "ref"}),
                              source="coded.csv")
        else:
            store.record_decisions([DecisionRequest("interview_b:3", "add", "stigma", "ana")])
        store.withdraw(["interview_b"])
        dropped = CODEBOOK.replace('      - id: stigma\n        name: Stigma & "labels"\n'
                                   "        definition: Being judged or excluded.\n", "")
        with pytest.raises(InputError, match=r"drops code.* that codings or decisions use: stigma \(on withdrawn "
                                             r"documents only\); keep them"):
            store.add_codebook_version(parse_codebook(dropped))


def test_the_review_page_stops_serving_a_document_withdrawn_while_it_runs(project):
    from fastapi.testclient import TestClient

    from theme_assist.review.app import create_app

    with ProjectStore(project) as store:  # a run whose evidence quotes a segment of interview_b
        segments = store.segments()
        quoted = segments.set_index("segment_id").at["interview_b:1", "text"]
        suggestions = store.suggestions().assign(evidence=[[{"segment_id": "interview_b:1", "text": quoted,
                                                              "similarity": 0.9}]] * len(store.suggestions()))
        store.add_run(suggestions, model_id="fake", embedding_model="fake@0", engine_version="test", mode="trained",
                      params={}, n_training=1, n_decisions=0, queue=store.queue())
    client = TestClient(create_app(project, host="127.0.0.1", port=8765), base_url="http://127.0.0.1:8765")
    client.headers["X-Session-Token"] = client.get("/api/session").json()["token"]
    queue = client.get("/api/queue", params={"coder": "cy", "status": "all"}).json()
    assert {item["document"] for item in queue["items"]} == {"interview_a", "interview_b"}
    assert client.get("/api/segments/interview_a:1", params={"coder": "cy"}).json()["suggestions"][0]["evidence"]
    assert run("project", "withdraw", str(project), "interview_b") == 0
    queue = client.get("/api/queue", params={"coder": "cy", "status": "all"}).json()
    assert {item["document"] for item in queue["items"]} == {"interview_a"}
    assert queue["progress"]["total"] == 5  # interview_a's turns
    assert [d["document"] for d in client.get("/api/documents").json()] == ["interview_a"]
    response = client.get("/api/segments/interview_b:1", params={"coder": "cy"})
    assert response.status_code == 404 and "withdrawn from this project" in response.json()["detail"]
    response = client.post("/api/decisions", json={"segment_id": "interview_b:1", "action": "add", "code": "work",
                                                   "coder": "cy"})
    assert response.status_code == 404
    assert response.json()["detail"].endswith("withdrawn from this project (`theme-assist project restore "
                                              f"{project} interview_b` brings it back): nothing was saved")
    bulk = client.get("/api/bulk", params={"code": "work", "min_score": 0, "coder": "cy"}).json()
    assert bulk["items"] and all(item["segment_id"].startswith("interview_a:") for item in bulk["items"])
    suggestions = client.get("/api/segments/interview_a:1", params={"coder": "cy"}).json()["suggestions"]
    assert suggestions and not any(s["evidence"] for s in suggestions)  # its quote, of interview_b: not shown


def test_the_review_pages_progress_leaves_out_a_withdrawn_documents_skipped_turns(project):
    """progress() subtracted every skipped turn, a withdrawn document's too, from the segments not withdrawn: the
    page said 'of 2' where its queue counted 3."""
    from theme_assist.review import views

    with ProjectStore(project) as store:
        store.record_skip_speakers(["Interviewer"])
        store.withdraw(["interview_b"])
        assert views.progress(store, "cy")["total"] == views.queue(store, "cy")["progress"]["total"] == 3
        assert store.skipped_segment_ids() == {"interview_a:0", "interview_a:2"}
        assert "interview_b:0" in store.skipped_segment_ids(withdrawn=True)


def test_the_review_queue_filtered_on_a_document_withdrawn_since_says_it_is_withdrawn(project):
    """The page's document filter was filled before: 'not in this project' sent the coder looking for a typo."""
    from theme_assist.project.store import NotFound
    from theme_assist.review import views

    with ProjectStore(project) as store:
        store.withdraw(["interview_b"])
        with pytest.raises(NotFound, match=r"^document 'interview_b' is withdrawn from this project \(`theme-assist "
                                           r"project restore .*study.taproj interview_b` brings it back\): reload"):
            views.queue(store, "cy", document="interview_b")
        with pytest.raises(NotFound, match="^document 'interview_c' is not in this project$"):
            views.queue(store, "cy", document="interview_c")


def test_a_coder_named_only_on_a_withdrawn_document_is_not_offered_by_the_review_page(project):
    with ProjectStore(project) as store:
        store.record_decisions([DecisionRequest("interview_b:2", "add", "work", "yan")])
        store.add_codings(pd.DataFrame({"segment_id": ["interview_b:2"], "code": ["work"], "coder": "zed"}),
                          source="more.csv")
        assert {"yan", "zed"} <= set(store.coders())
        store.withdraw(["interview_b"])
        assert store.coders() == ["ana", "bo", "ref"]
        assert store.coders(withdrawn=True) == ["ana", "bo", "ref", "yan", "zed"]


# ------------------------------------------------------------------ project add
def test_add_refuses_a_transcript_named_as_a_withdrawn_document_saying_how_to_restore_it(tmp_path, capsys):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "iv1.txt").write_text("Ann: I got paid.\n")
    (folder / "iv2.txt").write_text("Bob: A test.\n")
    project = initialised(tmp_path / "p.taproj", folder)
    assert run("project", "withdraw", str(project), "iv2") == 0
    (folder / "iv3.txt").write_text("Cy: My mother helps.\n")
    capsys.readouterr()
    assert run("project", "add", str(project), str(folder)) == 0  # the same iv2: left withdrawn, said so
    said = capsys.readouterr().err
    assert "document 'iv2' is withdrawn from p.taproj: left withdrawn (`theme-assist project restore" in said
    assert "added 1 document" in said
    with ProjectStore(project) as store:
        assert store.withdrawn_documents() == ["iv2"] and list(store.documents()["document"]) == ["iv1", "iv3"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "iv2.txt").write_text("Dee: Another interview.\n")
    before = content(project)
    assert run("project", "add", str(project), str(other)) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("theme-assist: error: document 'iv2'") and len(error.splitlines()) == 1
    assert f"is withdrawn from p.taproj (`theme-assist project restore {project} iv2` brings it back), which keeps " \
           "its name: to add this transcript, rename the file; nothing was added" in error
    assert content(project) == before


def initialised(project: Path, folder: Path) -> Path:
    """``project`` made by ``project init`` of the transcripts in ``folder``, with a one-code codebook."""
    codebook = project.with_name("codebook.yaml")
    codebook.write_text("codes:\n  - id: work\n    name: Work\n    definition: paid work\n")
    assert run("project", "init", str(project), "--codebook", str(codebook), "--input", str(folder)) == 0
    return project


def test_the_restore_command_said_for_a_document_named_with_a_leading_dash_works(tmp_path, capsys):
    """``theme-assist project restore P -test`` reads -test as options: the commands said give ``--`` first."""
    import shlex

    folder = tmp_path / "my transcripts"
    folder.mkdir()
    (folder / "-test.txt").write_text("Ann: A test file.\n")
    (folder / "iv1.txt").write_text("Bob: I got paid.\n")
    project = initialised(tmp_path / "my study.taproj", folder)
    assert run("project", "withdraw", str(project), "--", "-test") == 0
    with ProjectStore(project) as store:
        segment = store.segments(withdrawn=True)["segment_id"].iloc[0]
        said = [store.not_here(segment)]
    capsys.readouterr()
    assert run("project", "export", str(project), "--codings", str(tmp_path / "c.csv"), "--document", "-test") == 2
    said.append(capsys.readouterr().err)
    assert run("project", "add", str(project), str(folder)) == 0  # -test as it is: left withdrawn, said so
    said.append(capsys.readouterr().err)
    for line in said:
        command = shlex.split(line.split("`")[1])
        assert command[:3] == ["theme-assist", "project", "restore"] and command[-2:] == ["--", "-test"]
    assert run(*command[1:]) == 0
    with ProjectStore(project) as store:
        assert store.withdrawn_documents() == []


@pytest.mark.parametrize("where", ["site2/iv2.txt", "iv2_site2.txt"])
def test_add_of_a_withdrawn_documents_text_under_another_name_says_it_is_withdrawn(tmp_path, capsys, where):
    """It said 'in p.taproj already (a copy?): leave it out', or to give the folders without --recursive, which
    then left the withdrawn one withdrawn: nothing said why."""
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "iv1.txt").write_text("Ann: I got paid.\n")
    (folder / "iv2.txt").write_text("Bob: At the wrong site.\n")
    project = initialised(tmp_path / "p.taproj", folder)
    assert run("project", "withdraw", str(project), "iv2", "--reason", "the wrong site") == 0
    again = tmp_path / "again" / where
    again.parent.mkdir(parents=True)
    again.write_text("Bob: At the wrong site.\n")
    before = content(project)
    capsys.readouterr()
    assert run("project", "add", str(project), str(tmp_path / "again"), "--recursive") == 2
    error = capsys.readouterr().err.strip()
    assert error == (f"theme-assist: error: {again} has the same text as document 'iv2', withdrawn from p.taproj, "
                     "which keeps its text: it cannot be added again under another name (`theme-assist project "
                     f"restore {project} iv2` brings it back); nothing was added")
    assert content(project) == before


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("argv, message", [
    (["withdraw", "{p}", "interview_c"], "document 'interview_c' is no document of {p}; its documents: "
                                         "interview_a, interview_b"),
    (["withdraw", "{p}", "Interview_B"], "document 'Interview_B' is no document of {p} (did you mean "
                                         "'interview_b'?"),
    (["withdraw", "{p}", "interview_a", "interview_a"], "document 'interview_a' is given twice: give each once; "
                                                        "nothing was changed"),
    (["restore", "{p}", "interview_b.txt"], "document 'interview_b.txt' is no document of {p} (did you mean "
                                            "'interview_b'?"),
])
def test_bad_names_are_refused_in_one_line_changing_nothing(project, capsys, argv, message):
    before = content(project)
    capsys.readouterr()
    assert run("project", *[part.format(p=project) for part in argv]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("theme-assist: error: " + message.format(p=project)) and len(error.splitlines()) == 1
    assert content(project) == before


def test_withdrawing_a_withdrawn_document_or_restoring_one_not_withdrawn_says_so_and_changes_nothing(project,
                                                                                                      capsys):
    assert run("project", "withdraw", str(project), "interview_b") == 0
    before = content(project)
    capsys.readouterr()
    assert run("project", "withdraw", str(project), "interview_b") == 0
    assert capsys.readouterr().err.strip() == "nothing changed: interview_b withdrawn already, left as it is"
    assert run("project", "restore", str(project), "interview_a") == 0
    assert capsys.readouterr().err.strip() == "nothing changed: interview_a not withdrawn, left as it is"
    assert content(project) == before
    assert run("project", "withdraw", str(project), "interview_b", "interview_a") == 0
    assert "interview_a (" in capsys.readouterr().err
    assert run("project", "export", str(project), "--codings", str(project.parent / "c.csv"), "--document",
               "interview_a") == 2
    assert "--document 'interview_a' is withdrawn from" in capsys.readouterr().err


def _project_with_a_document_named(name: str, tmp_path: Path) -> Path:
    """The two interviews, the second named ``name``, with an imported coding on its segment 1."""
    import dataclasses

    from theme_assist.codebook import parse_codebook
    from theme_assist.project.testing import CODEBOOK, make_documents
    from theme_assist.segment import segment_documents

    documents = make_documents()
    documents[1] = dataclasses.replace(documents[1], id=name)
    path = tmp_path / "study.taproj"
    with ProjectStore(path, create=True) as store:
        store.add_codebook_version(parse_codebook(CODEBOOK))
        store.add_documents(documents)
        store.add_segments(segment_documents(documents))
        store.add_codings(pd.DataFrame({"segment_id": [f"{name}:1"], "code": ["work"], "coder": "ref"}),
                          source="coded.csv")
    return path


def test_a_document_named_in_another_unicode_form_is_withdrawn_restored_and_exported(tmp_path, capsys):
    """A Mac writes "zu" + a combining diaeresis + "rich" where the project stores "zürich" (a name copied from
    Finder): project add and the metadata tables take it as that document, withdraw, restore and --document
    refused it as no document of the project."""
    composed, decomposed = "z\u00fcrich", "zu\u0308rich"
    path = _project_with_a_document_named(composed, tmp_path)
    assert run("project", "export", str(path), "--codings", str(tmp_path / "c.csv"), "--document", decomposed) == 0
    assert pd.read_csv(tmp_path / "c.csv")["segment_id"].tolist() == [f"{composed}:1"]
    capsys.readouterr()
    assert run("project", "withdraw", str(path), decomposed) == 0
    assert f"withdrawn from {path}: {composed} (4 segments" in capsys.readouterr().err
    assert run("project", "restore", str(path), decomposed) == 0
    with ProjectStore(path) as store:
        assert store.withdrawals()["document"].tolist() == [composed, composed] and not store.withdrawn_documents()


def test_a_file_that_is_not_a_project_and_a_read_only_project_are_refused_in_one_line(project, tmp_path, capsys,
                                                                                     monkeypatch):
    import os

    import theme_assist.project.store as store_module

    table = tmp_path / "meta.csv"
    table.write_text("document,site\ninterview_a,Ulm\n")
    for argv in (["withdraw", str(table), "interview_a"], ["metadata", str(table), str(table)]):
        assert run("project", *argv) == 2
        error = capsys.readouterr().err.strip()
        assert error.startswith("theme-assist: error:") and "not a project file" in error
    before = content(project)
    real_access = os.access
    monkeypatch.setattr(store_module.os, "access", lambda place, mode: False if (
        mode == os.W_OK and str(place) == str(tmp_path)) else real_access(place, mode))
    table.write_text("document,site\ninterview_a,Hamburg\n")
    for argv in (["withdraw", str(project), "interview_a"], ["metadata", str(project), str(table)]):
        assert run("project", *argv) == 2
        assert capsys.readouterr().err.strip() == "theme-assist: error: study.taproj is read-only: nothing was written"
    monkeypatch.undo()
    assert content(project) == before


# ------------------------------------------------------------------ project metadata
def test_metadata_sets_adds_and_leaves_values_prints_each_change_and_the_trail_keeps_them(project, tmp_path, capsys):
    table = tmp_path / "meta.csv"
    table.write_text("document,site,income\ninterview_a,Hamburg,\ninterview_b.txt,,high\n")
    capsys.readouterr()
    assert run("project", "metadata", str(project), str(table)) == 0
    said = capsys.readouterr().err
    assert "  interview_a, site: 'Ulm' → 'Hamburg'\n  interview_b, income: (none) → 'high'\n" in said
    assert "2 values changed" in said
    with ProjectStore(project) as store:
        assert store.document_metadata("interview_a") == {"site": "Hamburg"}  # the empty cell: no income
        assert store.document_metadata("interview_b") == {"site": "Pune", "income": "high"}
    assert run("project", "metadata", str(project), str(table)) == 0
    assert capsys.readouterr().err.startswith("nothing changed")
    trail = pd.read_csv(_audit(project, tmp_path / "audit.csv"), keep_default_na=False, dtype=str)
    changes = trail[trail["event"] == "metadata"]
    assert changes[["action", "document", "reason"]].values.tolist() == [
        ["set", "interview_a", "site: 'Ulm' → 'Hamburg'"], ["set", "interview_b", "income: (none) → 'high'"]]
    assert changes["time"].str.endswith("Z").all()


def test_metadata_clear_empties_a_value_where_its_column_has_an_empty_cell_and_the_trail_keeps_the_old(
        project, tmp_path, capsys):
    """An empty cell leaves a value as it is, so no table could take one away (an income group given to the wrong
    document): with ``--clear FIELD`` an empty cell of that column clears it."""
    with ProjectStore(project) as store:
        store.set_metadata({"interview_a": {"income": "low"}})
    table = tmp_path / "meta.csv"
    table.write_text("document,site,income\ninterview_a,,\ninterview_b,,\n")
    capsys.readouterr()
    assert run("project", "metadata", str(project), str(table), "--clear", "income", "--author", "Ann") == 0
    said = capsys.readouterr().err
    assert "  interview_a, income: 'low' → ''\n" in said and "1 value changed" in said  # b had none to clear
    with ProjectStore(project) as store:
        assert store.document_metadata("interview_a") == {"site": "Ulm", "income": ""}  # the site's empty cell
        assert store.document_metadata("interview_b") == {"site": "Pune"}
        assert list(store.documents()["income"]) == ["", ""]
    assert run("project", "metadata", str(project), str(table), "--clear", "income") == 0
    assert capsys.readouterr().err.startswith("nothing changed")
    trail = pd.read_csv(_audit(project, tmp_path / "audit.csv"), keep_default_na=False, dtype=str)
    changes = trail[trail["event"] == "metadata"]
    assert changes[["document", "actor", "reason"]].values.tolist()[-1] == ["interview_a", "Ann",
                                                                            "income: 'low' → ''"]
    before = content(project)
    capsys.readouterr()
    assert run("project", "metadata", str(project), str(table), "--clear", "Income") == 2
    assert capsys.readouterr().err.strip() == (
        "theme-assist: error: --clear 'Income': meta.csv has no such column (did you mean 'income'? fields are "
        "matched as written); its fields: site, income; nothing was changed")
    assert content(project) == before


def test_metadata_rows_naming_one_document_in_two_unicode_forms_are_refused(tmp_path, capsys):
    """A row naming a document in another Unicode form joins it (as project init --metadata joins it): a second
    row naming it in the stored form was left out without a word."""
    composed, decomposed = "z\u00fcrich", "zu\u0308rich"
    path = _project_with_a_document_named(composed, tmp_path)
    table = tmp_path / "meta.csv"
    table.write_text(f"document,site\n{decomposed},Z\u00fcrich\n", encoding="utf-8")
    assert run("project", "metadata", str(path), str(table)) == 0
    with ProjectStore(path) as store:
        assert store.document_metadata(composed) == {"site": "Zürich"}
    table.write_text(f"document,site\n{composed},Zürich\n{decomposed},Zurich\n", encoding="utf-8")
    before = content(path)
    capsys.readouterr()
    assert run("project", "metadata", str(path), str(table)) == 2
    assert capsys.readouterr().err.strip() == (
        "theme-assist: error: meta.csv: rows 'zu\\u0308rich' and 'z\\xfcrich' both name document 'z\\xfcrich', in two "
        "Unicode forms: keep one; nothing was changed")
    assert content(path) == before


def test_the_exports_read_the_new_metadata(project, tmp_path, capsys):
    table = tmp_path / "meta.csv"
    table.write_text("document,site\ninterview_a,Hamburg\n")
    assert run("project", "metadata", str(project), str(table)) == 0
    assert run("project", "export", str(project), "--qdpx", str(tmp_path / "p.qdpx")) == 0
    with zipfile.ZipFile(tmp_path / "p.qdpx") as archive:
        qde = archive.read("project.qde").decode()
    assert "Hamburg" in qde and "Pune" in qde and "Ulm" not in qde  # the variables' values


@pytest.mark.parametrize("text, message", [
    ("document,site\ninterview_a,Hamburg\ninterview_c,Ulm\n", "meta.csv: document 'interview_c' is no document of"),
    ("doc,site\ninterview_a,Hamburg\n", "missing column 'document'"),
    ("document\ninterview_a\n", "no field beside the document column"),
    ("document,site\ninterview_a,Hamburg\ninterview_a,Ulm\n", "document 'interview_a' appears more than once"),
    # a field the project has, but for case or Unicode form: it would be added beside it, the value left as it was
    ("document,Site\ninterview_a,Hamburg\n", "meta.csv: column 'Site' is no field of the project's documents (did "
                                             "you mean 'site'? fields are matched as written)"),
    ("document,si\u200bte\ninterview_a,Hamburg\n", "column 'si\\u200bte' is no field of"),  # a zero-width space
    ("document,,site\ninterview_a,Hamburg,Ulm\n", "meta.csv: a column has no name in the header: name its field; "
                                                  "nothing was changed"),  # not a field 'Unnamed: 1'
    ("document,Document,site\ninterview_a,interview_b,Hamburg\n", "meta.csv: columns 'document' and 'Document' "
                                                                  "both name the documents: keep one"),  # traceback
])
def test_a_metadata_table_with_bad_rows_is_refused_in_one_line_changing_nothing(project, tmp_path, capsys, text,
                                                                                message):
    table = tmp_path / "meta.csv"
    table.write_text(text)
    before = content(project)
    capsys.readouterr()
    assert run("project", "metadata", str(project), str(table)) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("theme-assist: error:") and message in error and len(error.splitlines()) == 1
    assert content(project) == before


@pytest.mark.parametrize("swapped", [True, False])
def test_a_project_file_given_for_the_metadata_table_is_named_as_one(project, tmp_path, capsys, swapped):
    """The arguments swapped, or the project given twice: it said 'save it as UTF-8'."""
    table = tmp_path / "meta.csv"
    table.write_text("document,site\ninterview_a,Hamburg\n")
    before = content(project)
    capsys.readouterr()
    assert run("project", "metadata", *([str(table), str(project)] if swapped else [str(project)] * 2)) == 2
    assert capsys.readouterr().err.strip() == (
        f"theme-assist: error: {project} is a project file (an SQLite database), not a metadata table: give the "
        "project, then the table (`theme-assist project metadata PROJECT CSV`); nothing was changed")
    assert content(project) == before


def test_metadata_values_lose_the_spaces_around_them_and_a_stored_one_is_corrected(project, tmp_path, capsys):
    """"Kampala " and "Kampala" were two sites in ``discover --by site``: the table's values are read stripped, so
    a value stored with a space before (a project made before values were stripped) is corrected by the table."""
    with ProjectStore(project) as store:
        store.set_metadata({"interview_b": {"site": "Kampala "}})
    table = tmp_path / "meta.csv"
    table.write_text("document,site,income\ninterview_a, Ulm ,  \ninterview_b,Kampala,\n")
    capsys.readouterr()
    assert run("project", "metadata", str(project), str(table)) == 0
    said = capsys.readouterr().err
    assert "  interview_b, site: 'Kampala ' → 'Kampala'\n" in said and "1 value changed" in said
    with ProjectStore(project) as store:
        assert store.document_metadata("interview_a") == {"site": "Ulm"}
        assert store.document_metadata("interview_b") == {"site": "Kampala"}


def test_metadata_prints_a_long_value_cut_short_and_the_trail_keeps_it_whole(project, tmp_path, capsys):
    table = tmp_path / "meta.csv"
    table.write_text(f"document,site\ninterview_a,{'x' * 100_000}\n")
    capsys.readouterr()
    assert run("project", "metadata", str(project), str(table)) == 0
    said = capsys.readouterr().err
    assert f"  interview_a, site: 'Ulm' → '{'x' * 80}'… (100000 characters)\n" in said and len(said) < 500
    with ProjectStore(project) as store:
        assert store.document_metadata("interview_a")["site"] == "x" * 100_000


def test_fields_named_source_or_position_keep_their_names_in_every_way_metadata_is_stored(tmp_path):
    """A field named as a column ``documents()`` has of its own ("source: focus group") came back as ``source_x``
    (the file) and ``source_y`` (the field)."""
    from theme_assist.project.testing import CODEBOOK

    for folder, name, said in [("first", "a", "Work?"), ("first", "b", "Home?"), ("later", "c", "Bus?")]:
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / f"{name}.txt").write_text(f"Interviewer: {said}\nSam: Yes, every day.\n")
    (tmp_path / "codebook.yaml").write_text(CODEBOOK)
    (tmp_path / "meta.csv").write_text("document,site,source,position\na,Ulm,focus group,2\nb,Pune,interview,1\n")
    (tmp_path / "later.csv").write_text("document,source\nc,diary\n")
    (tmp_path / "fix.csv").write_text("document,source,position\nb,focus group,3\n")
    project = tmp_path / "study.taproj"
    assert run("project", "init", str(project), "--codebook", str(tmp_path / "codebook.yaml"), "--input",
               str(tmp_path / "first"), "--metadata", str(tmp_path / "meta.csv")) == 0
    assert run("project", "add", str(project), str(tmp_path / "later"), "--metadata", str(tmp_path / "later.csv")) == 0
    assert run("project", "metadata", str(project), str(tmp_path / "fix.csv")) == 0
    assert run("project", "export", str(project), "--qdpx", str(tmp_path / "study.qdpx")) == 0
    assert run("project", "init", str(tmp_path / "again.taproj"), "--qdpx", str(tmp_path / "study.qdpx")) == 0
    for path in (project, tmp_path / "again.taproj"):  # the .qdpx's variables read back as metadata
        with ProjectStore(path) as store:
            documents = store.documents()
            assert list(documents.columns) == ["document", "position", "site", "source"]
            assert documents.values.tolist() == [["a", "2", "Ulm", "focus group"], ["b", "3", "Pune", "focus group"],
                                                 ["c", "", "", "diary"]]  # in the documents' order
            assert store.document_metadata("b") == {"site": "Pune", "source": "focus group", "position": "3"}


# ------------------------------------------------------------------ migration
def test_a_project_of_schema_4_is_migrated_with_no_document_withdrawn(tmp_path):
    path = tmp_path / "old.taproj"
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, str(path), target=4)
    db.execute("INSERT INTO documents VALUES ('d1', 0, 'd1.txt', 'Hello there', '2024-01-01T00:00:00Z')")
    db.execute("INSERT INTO segments VALUES ('d1:0', 'd1', 'A', 0, 11, 'Hello there', 0, 0)")
    db.close()
    with ProjectStore(path) as store:
        assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.withdrawn_documents() == [] and store.withdrawals().empty and store.metadata_changes().empty
        assert store.withdraw(["d1"], "test") == ["d1"] and store.segments().empty
    with sqlite3.connect(path) as db, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM withdrawals")


def test_a_project_of_schema_5_is_migrated_keeping_its_withdrawals_and_metadata_changes_with_no_author(tmp_path):
    """Migration 6 adds who withdrew, restored or replaced a document or changed its metadata: the rows stored
    before it keep their reason and time, with no author (the audit trail's ``actor`` empty), and new ones take
    one."""
    path = tmp_path / "old.taproj"
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, str(path), target=5)
    db.execute("INSERT INTO documents VALUES ('d1', 0, 'd1.txt', 'Hello there', '2024-01-01T00:00:00Z')")
    db.execute("INSERT INTO documents VALUES ('d2', 1, 'd2.txt', 'Hello again', '2024-01-01T00:00:00Z')")
    db.execute("INSERT INTO segments VALUES ('d1:0', 'd1', 'A', 0, 11, 'Hello there', 0, 0)")
    db.execute("INSERT INTO document_metadata VALUES ('d1', 'site', 'Ulm')")
    db.execute("INSERT INTO withdrawals (document, action, reason, created_at) VALUES "
               "('d1', 'withdraw', 'a test file', '2024-01-02T00:00:00Z')")
    db.execute("INSERT INTO replacements (old, new, reason, created_at) VALUES "
               "('d1', 'd2', 'redacted', '2024-01-02T00:00:00Z')")
    db.execute("INSERT INTO metadata_changes (document, key, old, new, created_at) VALUES "
               "('d1', 'site', NULL, 'Ulm', '2024-01-03T00:00:00Z')")
    db.close()
    with ProjectStore(path) as store:
        assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.withdrawals()[["document", "action", "reason", "author"]].values.tolist() == [
            ["d1", "withdraw", "a test file", ""]]
        assert store.replacements()[["old", "new", "reason", "author"]].values.tolist() == [
            ["d1", "d2", "redacted", ""]]
        assert store.metadata_changes()[["key", "new", "author"]].values.tolist() == [["site", "Ulm", ""]]
        assert store.withdraw(["d2"], author="Ann") == ["d2"]
        assert store.withdrawals()[["document", "author"]].values.tolist() == [["d1", ""], ["d2", "Ann"]]
    with sqlite3.connect(path) as db:
        for table in ("withdrawals", "metadata_changes", "replacements"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(f"UPDATE {table} SET author = 'Eve'")
