"""``theme-assist project prune``: the suggestions of superseded runs nothing needs are dropped; every export
reads the same for everything kept; refusals; a reader (the review page) keeps a consistent view meanwhile."""

from __future__ import annotations

import sqlite3
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from theme_assist.errors import InputError
from theme_assist.project import DecisionRequest, ProjectStore
from theme_assist.project.learn import refit
from theme_assist.project.prune import prune, run_ranges
from theme_assist.project.schema import SCHEMA_VERSION, migrate
from theme_assist.project.testing import FakeEmbedder, make_project, project_content
from theme_assist.project.testing import run_command as run


def _refit(store: ProjectStore) -> int:
    time.sleep(0.005)  # runs and decisions at distinct milliseconds: the pre-coding's run is the one strictly before
    run_id = refit(store, embedder=FakeEmbedder())
    time.sleep(0.005)
    return run_id


def _answer(store: ProjectStore, index: int, action: str, coder: str = "ana") -> int:
    """A decision of ``coder`` answering the latest run's best suggestion on the ``index``-th segment; its id."""
    segment_id = store.segments()["segment_id"].iloc[index]
    suggestion = store.suggestions(segment_id=segment_id).sort_values("rank").iloc[0]
    made = store.record_decisions([DecisionRequest(segment_id, action, suggestion["code"], coder,
                                                   suggestion_id=int(suggestion["id"]))])
    return int(made["suggestion_id"].iloc[0])


@pytest.fixture()
def reviewed(tmp_path) -> Path:
    """Four runs (a synthetic one, three refits) with decisions between them: an accept and an add after run 1, a
    reject after run 2, an undone accept and a reject on the segment accepted first after run 3."""
    path = tmp_path / "study.taproj"
    with make_project(path) as store:
        _answer(store, 0, "accept")
        segment_id = store.segments()["segment_id"].iloc[1]
        store.record_decisions([DecisionRequest(segment_id, "add", "family", "ana")])
        _refit(store)
        _answer(store, 3, "reject", coder="bo")
        _refit(store)
        _answer(store, 6, "accept", coder="bo")
        store.undo_last("bo")
        _answer(store, 0, "reject", coder="cy")  # decided before, after run 1: run 3 is not its pre-coding
        _refit(store)
    return path


def _exports(project: Path, folder: Path, capsys) -> dict[str, object]:
    folder.mkdir()
    out = {name: folder / name for name in ("audit.csv", "codings.csv", "machine.csv", "study.qdpx")}
    assert run("project", "export", str(project), "--audit", str(out["audit.csv"]), "--codings",
               str(out["codings.csv"]), "--machine", str(out["machine.csv"]), "--qdpx", str(out["study.qdpx"])) == 0
    capsys.readouterr()
    assert run("project", "info", str(project)) == 0
    info = capsys.readouterr().out
    with zipfile.ZipFile(out["study.qdpx"]) as archive:
        qde = archive.read("project.qde").decode()
    return {"audit": pd.read_csv(out["audit.csv"], dtype=str, keep_default_na=False),
            "codings": out["codings.csv"].read_text(), "machine": out["machine.csv"].read_text(), "qde": qde,
            "info": info}


def _rowids(project: Path) -> dict[str, list]:
    """The rowids of the tables without an INTEGER PRIMARY KEY that the store reads in rowid order."""
    with sqlite3.connect(project) as db:
        return {table: db.execute(f"SELECT rowid FROM {table} ORDER BY rowid").fetchall()
                for table in ("documents", "document_metadata", "segments")}


def test_prune_drops_only_what_nothing_needs_and_every_export_reads_the_same(reviewed, tmp_path, capsys):
    before = _exports(reviewed, tmp_path / "before", capsys)
    content, rowids = project_content(reviewed), _rowids(reviewed)
    with ProjectStore(reviewed) as store:
        answered = set(store.decisions()["suggestion_id"].dropna().astype(int))
        latest = store.latest_run()["id"]
        suggestions = len(store.all_suggestions(withdrawn=True))
    assert run("project", "prune", str(reviewed)) == 0
    said = " ".join(capsys.readouterr().err.split())
    assert said.startswith(f"✓ {reviewed}: runs 1-3: ") and " suggestions dropped (" in said and "freed" in said

    after = _exports(reviewed, tmp_path / "after", capsys)
    pruned = project_content(reviewed)
    assert {table for table in content if pruned[table] != content[table]} == {"suggestions", "review_queue",
                                                                                "project_info"}
    assert set(pruned["suggestions"]) < set(content["suggestions"])
    assert _rowids(reviewed) == rowids  # VACUUM may renumber rows without an INTEGER PRIMARY KEY: read in their order
    with ProjectStore(reviewed) as store:
        left = store.all_suggestions(withdrawn=True)
        assert answered <= set(left["id"])  # the decisions still name the suggestions they answered
        assert len(store.queue()) and store.latest_run()["id"] == latest  # the page's queue and run
        assert set(pd.read_sql("SELECT DISTINCT run_id FROM review_queue", sqlite3.connect(reviewed))["run_id"]) \
            == {latest}
    assert len(left) < suggestions
    # the audit trail: the same rows, less the machine suggestions dropped, each row kept as it was
    audit_before, audit_after = before["audit"], after["audit"]
    dropped = (audit_before["event"] == "machine_suggestion") & ~audit_before["suggestion_id"].isin(
        set(audit_after["suggestion_id"]))
    assert dropped.sum() == suggestions - len(left)
    pd.testing.assert_frame_equal(audit_before[~dropped].reset_index(drop=True), audit_after)
    assert (audit_before.loc[dropped, "run_id"].astype(int) < latest).all()
    for name in ("codings", "machine", "qde"):  # the pre-coding, the coders' codes, the .qdpx: as they were
        assert before[name] == after[name], name
    assert before["machine"].count("\n") > 1
    # project info: as it was, and a line for the prune
    new = [line for line in after["info"].splitlines() if line not in before["info"].splitlines()]
    assert len(new) == 1 and new[0].startswith("  pruned ") and "of runs 1-3 " in new[0]
    assert [line for line in after["info"].splitlines() if line not in new] == before["info"].splitlines()


def test_the_suggestions_stay_append_only_and_a_second_prune_drops_nothing(reviewed, capsys):
    with ProjectStore(reviewed) as store:
        first = prune(store)
    assert first.total > 0 and first.queue_rows > 0
    content = project_content(reviewed)
    with sqlite3.connect(reviewed) as db, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM suggestions")
    assert run("project", "prune", str(reviewed)) == 0
    assert "nothing to prune (no suggestion of a run before the latest run" in " ".join(capsys.readouterr().err.split())
    assert project_content(reviewed) == content


def test_keep_keeps_the_latest_runs_whole_and_a_dry_run_writes_nothing(reviewed, capsys):
    content = project_content(reviewed)
    assert run("project", "prune", str(reviewed), "--keep", "2", "--dry-run") == 0
    said = " ".join(capsys.readouterr().err.split())
    assert ": runs 1-2: " in said and "would be dropped" in said and said.endswith("nothing was written")
    assert project_content(reviewed) == content
    assert run("project", "prune", str(reviewed), "--keep", "2") == 0
    with ProjectStore(reviewed) as store:
        runs = store.all_suggestions(withdrawn=True).groupby("run_id").size()
        assert runs[3] == runs[4] == len(store.suggestions())  # both whole
    assert run("project", "prune", str(reviewed), "--keep", "0") == 2
    assert "theme-assist: error: --keep 0: keep at least the latest run" in capsys.readouterr().err


def test_prune_frees_the_space_of_what_it_dropped(tmp_path):
    path = tmp_path / "big.taproj"
    with make_project(path) as store:
        for _ in range(12):
            _refit(store)
        size = path.stat().st_size + (tmp_path / "big.taproj-wal").stat().st_size
        pruned = prune(store)
    assert pruned.vacuumed and sorted(pruned.dropped) == list(range(1, 13)) and pruned.freed > 0
    assert path.stat().st_size < size


def test_a_reader_sees_one_state_while_prune_runs(reviewed):
    """The review page reads in snapshots: one open across a prune sees every suggestion until it ends, then the
    pruned state; the prune (its VACUUM too) is not blocked by it."""
    page = ProjectStore(reviewed)
    try:
        with page.snapshot():
            seen = len(page.all_suggestions(withdrawn=True))
            with ProjectStore(reviewed) as pruning:
                pruned = prune(pruning)
            assert len(page._read("SELECT id FROM suggestions")) == seen  # read anew inside the snapshot
        assert len(page.all_suggestions(withdrawn=True)) == seen - pruned.total
        assert pruned.total > 0 and pruned.vacuumed
        shown = page.suggestions()
        page.record_decisions([DecisionRequest(shown["segment_id"].iloc[0], "accept", shown["code"].iloc[0],
                                               "cy", suggestion_id=int(shown["id"].iloc[0]))])  # writes as before
    finally:
        page.close()


def test_a_project_of_an_older_schema_is_refused_not_upgraded(tmp_path, capsys):
    path = tmp_path / "old.taproj"
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, str(path), target=5)
    db.close()
    before = path.read_bytes()
    assert run("project", "prune", str(path)) == 2
    said = capsys.readouterr().err
    assert said.startswith(f"theme-assist: error: {path} was made by an older theme_assist (schema 5, this version "
                           f"writes {SCHEMA_VERSION}): open it once with `theme-assist project info` to upgrade it") and \
        said.count("\n") == 1
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.taproj"]


def test_a_read_only_project_is_refused(reviewed, monkeypatch, capsys):
    """Simulated as test_project_store does: the tests may run as root, whom permissions do not stop."""
    content = project_content(reviewed)
    connect = sqlite3.connect

    def read_only(database, *args, **kwargs):
        if str(database) != str(reviewed):
            return connect(database, *args, **kwargs)
        return connect(f"{reviewed.resolve().as_uri()}?mode=ro", *args, uri=True, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", read_only)
    assert run("project", "prune", str(reviewed)) == 2
    assert capsys.readouterr().err == f"theme-assist: error: {reviewed.name} is read-only: nothing was written\n"
    monkeypatch.undo()
    assert project_content(reviewed) == content


@pytest.mark.parametrize("kind", ["csv", "sqlite"])
def test_a_file_that_is_not_a_project_is_refused(tmp_path, capsys, kind):
    path = tmp_path / ("coded.csv" if kind == "csv" else "other.db")
    if kind == "csv":
        path.write_text("segment_id,code\na,b\n")
    else:
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE t (x)")
    before = path.read_bytes()
    assert run("project", "prune", str(path)) == 2
    said = capsys.readouterr().err
    assert said.startswith(f"theme-assist: error: {path} is ") and "not a " in said and said.count("\n") == 1
    assert path.read_bytes() == before


def test_run_ranges():
    assert run_ranges([1, 2, 3, 5, 7, 8]) == "1-3, 5, 7-8"
    assert run_ranges([4]) == "4"


def test_keep_below_one_is_refused_by_the_function_too(reviewed):
    with ProjectStore(reviewed) as store, pytest.raises(InputError, match="--keep 0"):
        prune(store, keep=0)


def test_the_review_page_serving_the_project_reads_the_same_after_a_prune(reviewed, capsys):
    """`theme-assist review` holds the project while it is pruned: its queue, segments and progress read as before,
    and decisions are saved as before; one answering a suggestion dropped (a page still showing a superseded run) is
    refused, saving nothing."""
    from theme_assist.project.testing import ReviewServer

    with ProjectStore(reviewed) as store:
        segment_ids = store.segments()["segment_id"].tolist()
        gone = store.all_suggestions(withdrawn=True)
        gone = gone[(gone["run_id"] == 1) & ~gone["segment_id"].isin(store.decisions()["segment_id"])].iloc[0]
    server = ReviewServer(reviewed)
    try:
        with server.client() as client:
            def page() -> list:
                return [client.get("/api/queue", params={"coder": "ana"}).json(),
                        client.get("/api/progress", params={"coder": "ana"}).json()] + \
                       [client.get(f"/api/segments/{segment_id}", params={"coder": "ana"}).json()
                        for segment_id in segment_ids]

            before = page()
            assert run("project", "prune", str(reviewed)) == 0
            assert "suggestions dropped" in capsys.readouterr().err
            assert page() == before
            stale = client.post("/api/decisions", json={"segment_id": gone["segment_id"], "action": "accept",
                                                        "code": gone["code"], "coder": "ana",
                                                        "suggestion_id": int(gone["id"])})
            assert stale.status_code == 404 and "dropped by project prune since?): reload the page" in stale.text
            shown = before[2 + segment_ids.index(gone["segment_id"])]["suggestions"][0]
            made = client.post("/api/decisions", json={"segment_id": gone["segment_id"], "action": "accept",
                                                       "code": shown["code"], "coder": "ana",
                                                       "suggestion_id": shown["id"]})
            assert made.status_code == 201, made.text
    finally:
        server.stop()


def test_info_of_a_pruned_project_does_not_say_the_audit_has_every_run(tmp_path, capsys):
    path = tmp_path / "many.taproj"
    with make_project(path) as store:
        for _ in range(6):
            _refit(store)
    assert run("project", "info", str(path)) == 0
    assert "and 2 more, older (`project export --audit` has every run's suggestions)" in capsys.readouterr().out
    assert run("project", "prune", str(path)) == 0
    assert run("project", "info", str(path)) == 0
    said = capsys.readouterr().out
    assert "and 2 more, older (`project export --audit` has the suggestions project prune kept)" in said
    assert "suggestions of runs 1-6 (kept those a decision answered or a pre-coding holds)" in said


def test_a_server_keeping_its_reads_reads_again_after_a_prune(reviewed):
    """The review server keeps the frames it reads while their tables' largest rowids are unchanged; a prune deletes
    older runs' suggestions and leaves the largest as it was: its record among the settings has them read again."""
    with ProjectStore(reviewed) as page, ProjectStore(reviewed) as other:
        page.keep_reads()
        before = page.all_suggestions()
        assert page.all_suggestions().equals(before)  # answered from what is kept
        pruned = prune(other)
        assert pruned.total
        after = page.all_suggestions()
        assert len(after) == len(before) - pruned.total
        assert after.equals(other.all_suggestions())


def test_prune_does_not_scan_the_decisions_for_each_suggestion_it_drops(tmp_path):
    """decisions.suggestion_id has no index: with foreign keys checked, each suggestion deleted cost a scan of every
    decision (80 s for 66,000 suggestions and 20,000 decisions). Counted in SQLite's steps, which do not depend on
    the machine: they grew with suggestions × decisions."""
    def steps(decisions: int) -> int:
        path = tmp_path / f"p{decisions}.taproj"
        with make_project(path) as store:
            segment_ids = store.segments()["segment_id"].tolist()
            store.record_decisions([DecisionRequest(segment_ids[i % len(segment_ids)], "add", "family", f"c{i}")
                                    for i in range(decisions)])
            suggestions = store.suggestions()[["segment_id", "code", "score", "rank", "evidence"]]
            for _ in range(20):
                store.add_run(suggestions, model_id="m", embedding_model="fake@0", engine_version="test",
                              mode="trained", params={}, n_training=0, n_decisions=0, queue=store.queue())
            counted = [0]

            def step() -> int:
                counted[0] += 1
                return 0

            store._connection().set_progress_handler(step, 100)
            assert prune(store).total
            store._connection().set_progress_handler(None, 0)
            assert store._connection().execute("PRAGMA foreign_keys").fetchone()[0] == 1  # checked again after
        return counted[0]

    few, many = steps(10), steps(2000)
    assert many < 2 * few
