"""The project file: schema migrations, append-only history, decisions and undo, concurrent writers, audit trail."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import threading

import pandas as pd
import pytest

from theme_assist.codebook import parse_codebook
from theme_assist.errors import InputError
from theme_assist.project import DecisionRequest, NotFound, ProjectStore, coder_state, training_codings
from theme_assist.project.store import Unavailable
from theme_assist.project.build import plan_addition
from theme_assist.project.audit import audit_codings, audit_table, current_codings, write_audit
from theme_assist.project.schema import SCHEMA_VERSION, migrate

from theme_assist.project.testing import CODEBOOK, make_documents, make_project
from theme_assist.segment import segment_documents, segmentation_tag


@pytest.fixture()
def store(tmp_path):
    with make_project(tmp_path / "study.taproj") as project:
        yield project


def first_suggestion(store, segment_id):
    suggestions = store.suggestions(segment_id=segment_id)
    return suggestions[suggestions["rank"] == 1].iloc[0]


# ------------------------------------------------------------------ schema and migrations
def test_new_project_is_wal_and_at_the_latest_schema(store):
    db = sqlite3.connect(store.path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def _old_project(tmp_path, schema: int):
    """A project file of ``schema`` (its migrations applied up to it): a document, a segment, a codebook and one
    decision of 'ana', as a theme_assist of that schema stored them."""
    path = tmp_path / "old.taproj"
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, str(path), target=schema)
    db.execute("INSERT INTO documents VALUES ('d1', 0, 'd1.txt', 'Hello there', '2024-01-01T00:00:00Z')")
    db.execute("INSERT INTO segments VALUES ('d1:0', 'd1', 'A', 0, 11, 'Hello there', 0, 0)")
    db.execute("INSERT INTO codebook_versions VALUES (1, '2024-01-01', '', '', 'h', ?)", (CODEBOOK,))
    db.execute("INSERT INTO decisions (segment_id, action, code, coder, created_at) "
               "VALUES ('d1:0', 'add', 'work', 'ana', '2024-01-01T00:00:01Z')")
    db.close()
    return path


def test_segment_ids_are_those_of_the_segments_in_their_order(store):
    later = [dataclasses.replace(document, id="a_" + document.id) for document in make_documents()[::-1]]
    store.add_documents(later)
    store.add_segments(segment_documents(later))
    segments = store.segments()
    assert segments["document"].iloc[-1] == "a_interview_a"  # in the order the documents were added, not by name
    pd.testing.assert_frame_equal(store.segment_ids(), segments[["segment_id", "document"]])


def test_a_new_project_interrupted_as_it_is_made_leaves_no_file_nor_folder(tmp_path, monkeypatch):
    from theme_assist.project import store as store_module

    def interrupted(connection, path):
        raise KeyboardInterrupt

    monkeypatch.setattr(store_module, "migrate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ProjectStore(tmp_path / "new" / "study.taproj", create=True)
    assert list(tmp_path.iterdir()) == []


def test_a_project_another_program_made_meanwhile_is_refused_and_kept(tmp_path, monkeypatch):
    # two project inits at once: the other's file appears after this one found the name free
    path = tmp_path / "study.taproj"
    check = ProjectStore.refuse_existing

    def then_made_elsewhere(where):
        check(where)
        monkeypatch.setattr(ProjectStore, "refuse_existing", staticmethod(check))
        ProjectStore(where, create=True).close()

    monkeypatch.setattr(ProjectStore, "refuse_existing", staticmethod(then_made_elsewhere))
    with pytest.raises(InputError, match="already exists"):
        ProjectStore(path, create=True)
    monkeypatch.undo()
    with ProjectStore(path) as store:  # the other's, intact
        assert store.name == "study"


def test_an_old_project_is_migrated_in_place_keeping_its_data(tmp_path):
    path = _old_project(tmp_path, schema=1)
    with ProjectStore(path) as store:
        assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.decisions()[["segment_id", "code", "coder"]].values.tolist() == [["d1:0", "work", "ana"]]
        assert store.queue().empty  # the table migration 2 adds exists and is empty
        assert store.code_maps().empty  # and the one migration 3 adds


def test_a_read_only_project_not_yet_in_wal_mode_is_said_to_be_read_only(tmp_path, monkeypatch):
    """A project of an older version (or made on a network disk) must be switched to WAL as it is opened: read-only,
    it was said to be 'not a project file (attempt to write a readonly database)'. SQLite opens a file the user
    cannot write read-only (simulated: the tests may run as root, whom permissions do not stop)."""
    path = tmp_path / "old.taproj"
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, str(path), target=1)
    db.close()
    before = path.read_bytes()
    connect = sqlite3.connect

    def read_only(database, *args, **kwargs):
        if str(database) != str(path):
            return connect(database, *args, **kwargs)
        return connect(f"{path.resolve().as_uri()}?mode=ro", *args, uri=True, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", read_only)
    with pytest.raises(InputError) as refused:
        ProjectStore(path)
    assert str(refused.value) == (f"{path} is read-only, and opening it must write to it (a project made by an older "
                                  "theme_assist or on a network disk is switched to SQLite's write-ahead log): make it "
                                  "writable, or work on a copy")
    assert path.read_bytes() == before


def test_a_project_from_a_newer_version_is_refused(tmp_path, store):
    sqlite3.connect(store.path).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(InputError, match="newer theme_assist"):
        ProjectStore(store.path)


@pytest.mark.parametrize("content", [b"not a database at all" * 100, None, "VACUUM"])
def test_other_files_are_refused_in_one_line(tmp_path, content):
    """An SQLite database without tables ("VACUUM": made by another program and left empty) was silently made a
    project by any command that opens one; only ``project init`` makes a project."""
    path = tmp_path / "other.db"
    if content is None:
        sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    elif isinstance(content, str):
        sqlite3.connect(path).execute(content).connection.close()
    else:
        path.write_bytes(content)
    before = path.read_bytes()
    with pytest.raises(InputError, match="not a (theme_assist )?project"):
        ProjectStore(path)
    assert path.read_bytes() == before  # another program's database is not switched to WAL on the way


def _damaged_copy(store, tmp_path, page: int):
    """A copy of the store's file (checkpointed) with one 4 KiB page zeroed."""
    store.close()
    sqlite3.connect(store.path).execute("PRAGMA wal_checkpoint(TRUNCATE)").connection.close()
    data = bytearray(store.path.read_bytes())
    data[page * 4096:(page + 1) * 4096] = bytes(4096)
    path = tmp_path / f"damaged{page}.taproj"
    path.write_bytes(bytes(data))
    return path


def test_a_damaged_or_empty_project_is_refused_before_anything_is_written(tmp_path, store):
    for page in (1, 3):
        path = _damaged_copy(store, tmp_path, page)
        before = path.read_bytes()
        with pytest.raises(InputError, match="damaged"):
            ProjectStore(path)
        assert path.read_bytes() == before
    empty = tmp_path / "empty.taproj"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="not an SQLite database"):
        ProjectStore(empty)
    assert empty.read_bytes() == b""  # not turned into a new database
    tables_gone = tmp_path / "no_tables.taproj"
    application_id = sqlite3.connect(store.path).execute("PRAGMA application_id").fetchone()[0]
    connection = sqlite3.connect(tables_gone)
    connection.execute(f"PRAGMA application_id = {application_id}")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    connection.close()
    with pytest.raises(InputError, match="damaged or not a project file"):
        ProjectStore(tables_gone)


def test_a_project_refused_as_damaged_leaves_its_folder_as_it_was_found(tmp_path, store):
    """The read-only check of a file in WAL mode left an empty -wal file and a -shm index beside the project it
    refused: a coder restoring it from a copy found files they had not made."""
    folders = []
    for page in (1, 3):
        folders.append(tmp_path / f"page{page}")
        folders[-1].mkdir()
        _damaged_copy(store, tmp_path, page).rename(folders[-1] / "study.taproj")
    folders.append(tmp_path / "edited")
    folders[-1].mkdir()
    edited = folders[-1] / "study.taproj"
    edited.write_bytes(store.path.read_bytes())
    with sqlite3.connect(edited) as connection:
        connection.execute("DROP TABLE review_queue")
    connection.close()
    for folder in folders:
        with pytest.raises(InputError, match="damaged"):
            ProjectStore(folder / "study.taproj")
        assert sorted(path.name for path in folder.iterdir()) == ["study.taproj"]


def test_a_table_given_for_the_project_is_not_called_a_damaged_project(tmp_path):
    """`review coded.csv` said the table was "damaged or not a project file …: restore it from a copy", as
    if the coder's table had been broken; a .taproj that is no SQLite database is still called damaged."""
    table = tmp_path / "coded.csv"
    table.write_text("segment_id,code\nfg1:0,stigma\n")
    with pytest.raises(InputError, match=r"^\S*coded.csv is not a project file \(not an SQLite database\): give the "
                                         r"\.taproj file that `theme-assist project init` made$"):
        ProjectStore(table)
    assert table.read_text() == "segment_id,code\nfg1:0,stigma\n"
    broken = tmp_path / "broken.taproj"
    broken.write_text("segment_id,code\n")
    with pytest.raises(InputError, match="broken.taproj is damaged or not a project file .*restore it from a copy"):
        ProjectStore(broken)


def test_a_project_missing_one_of_its_tables_is_refused_as_damaged_naming_it(tmp_path, store):
    """A table deleted by hand (a database browser) passed the check, which asked for project_info alone: every
    command then stopped with a traceback, 'sqlite3.OperationalError: no such table: codebook_maps'."""
    store.close()
    path = tmp_path / "edited.taproj"
    path.write_bytes(store.path.read_bytes())
    connection = sqlite3.connect(path)
    connection.execute("DROP TABLE codebook_maps")
    connection.execute("DROP TABLE review_queue")
    connection.commit()
    connection.close()
    with pytest.raises(InputError, match=r"edited.taproj is damaged or not a project file \(tables review_queue, "
                                         r"codebook_maps missing\); nothing was written"):
        ProjectStore(path)
    ProjectStore(store.path).close()  # every table there


def test_a_project_in_a_read_only_folder_can_be_read_but_not_written(tmp_path, monkeypatch):
    """An archived study on a read-only share (simulated: the tests may run as root, whom permissions do not
    stop): reading works without the WAL index SQLite would create beside the file; a write is one line."""
    import os

    import theme_assist.project.store as store_module

    path = tmp_path / "archived.taproj"
    make_project(path).close()
    before = path.read_bytes()
    real_access = os.access
    def access(place, mode):
        return False if (mode == os.W_OK and str(place) == str(tmp_path)) else real_access(place, mode)

    monkeypatch.setattr(store_module.os, "access", access)
    with ProjectStore(path) as store:
        assert store.codebook().get("work").name == "Paid work" and len(store.segments())
        with pytest.raises(InputError, match="read-only: nothing was written"):
            store.record_decisions([DecisionRequest(store.segments()["segment_id"].iloc[0], "add", "work", "Ana")])
    assert path.read_bytes() == before
    assert not (tmp_path / "archived.taproj-shm").exists()


def test_a_new_project_makes_its_folder_and_one_that_cannot_be_made_is_one_line(tmp_path):
    """As every other output's folder is made ('project init a/b/study.taproj' was refused: 'no folder a/b')."""
    ProjectStore(tmp_path / "nowhere" / "study.taproj", create=True).close()
    assert (tmp_path / "nowhere" / "study.taproj").is_file()
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(InputError, match="cannot create its folder"):
        ProjectStore(tmp_path / "a-file" / "study.taproj", create=True)


def test_missing_project_and_existing_target_are_input_errors(tmp_path, store):
    with pytest.raises(InputError, match="does not exist"):
        ProjectStore(tmp_path / "nope.taproj")
    with pytest.raises(InputError, match="is a folder, not a project file"):  # it said the folder does not exist
        ProjectStore(tmp_path)
    with pytest.raises(InputError, match="already exists"):
        ProjectStore(store.path, create=True)


# ------------------------------------------------------------------ append-only history
@pytest.mark.parametrize("statement", ["UPDATE decisions SET code = 'x'", "DELETE FROM decisions",
                                       "DELETE FROM suggestions", "UPDATE codings SET code = 'x'",
                                       "DELETE FROM codebook_versions"])
def test_history_tables_refuse_updates_and_deletes(store, statement):
    segment = store.segments()["segment_id"].iloc[1]
    store.record_decisions([DecisionRequest(segment, "add", "work", "ana")])
    store.add_codings(pd.DataFrame({"segment_id": [segment], "code": ["family"]}), source="test")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        sqlite3.connect(store.path).execute(statement)


def test_codebook_versions_keep_history_and_skip_unchanged(store):
    revised = parse_codebook(CODEBOOK.replace("Paid work", "Paid and unpaid work"))
    assert store.add_codebook_version(parse_codebook(CODEBOOK)) == 1
    assert store.add_codebook_version(revised, author="ana", note="renamed work") == 2
    assert store.codebook().get("work").name == "Paid and unpaid work"
    assert store.codebook(version=1).get("work").name == "Paid work"
    assert store.codebook_history()["note"].tolist() == ["initial", "renamed work"]


def test_a_snapshot_reads_each_query_once_and_hands_out_frames_the_caller_may_change(store):
    with store.snapshot():
        first = store.decisions(), store.codings(), store.suggestions(), store.segments()
        for frame in first:  # what callers may do to the frames they get
            frame.drop(frame.index, inplace=True)
        again = store.decisions(), store.codings(), store.suggestions(), store.segments()
    assert [len(frame) for frame in again] == [len(frame) for frame in (store.decisions(), store.codings(),
                                                                         store.suggestions(), store.segments())]
    assert len(again[3]) and len(again[2])


def test_a_stored_codebook_whose_ids_differ_only_in_case_stays_readable(store, caplog):
    clashing = CODEBOOK.replace("id: other", "id: Stigma")
    store.add_codebook_version(parse_codebook(clashing))
    with ProjectStore(store.path) as again, caplog.at_level("WARNING", logger="theme_assist"):
        assert again.codebook().get("Stigma").name == "Other"
    assert any("code id 'Stigma' differs from 'stigma'" in message for message in caplog.messages)


def test_a_revision_may_not_drop_a_code_in_use_or_leave_one_code(store):
    store.record_decisions([DecisionRequest(store.segments()["segment_id"].iloc[0], "add", "stigma", "Ana")])
    without_stigma = CODEBOOK.replace('''      - id: stigma
        name: Stigma & "labels"
        definition: Being judged or excluded.
''', "")
    with pytest.raises(InputError, match="drops code.* stigma"):
        store.add_codebook_version(parse_codebook(without_stigma))
    with pytest.raises(InputError, match=r"drops code\(s\) that codings or decisions use: stigma \(renamed "
                                         r"stigma_labels\?\); .*--map OLD=NEW"):
        store.add_codebook_version(parse_codebook(CODEBOOK.replace("id: stigma", "id: stigma_labels")))
    # the ids of every code changed, their definitions one text: each hint names the code of its name, not the
    # last code of that definition (all were "renamed other?")
    one_definition = re.sub(r"definition: .*", "definition: To be written.", CODEBOOK)
    store.add_codebook_version(parse_codebook(one_definition))
    with pytest.raises(InputError, match=r"use: stigma \(renamed new_stigma\?\);"):
        store.add_codebook_version(parse_codebook(one_definition.replace("id: ", "id: new_")))
    with pytest.raises(InputError, match=r"use: stigma; "):  # named alike by none, defined alike by several
        store.add_codebook_version(parse_codebook(one_definition.replace("id: ", "id: new_")
                                                  .replace("name: ", "name: New ")))
    with pytest.raises(InputError, match="fewer than two codes"):
        store.add_codebook_version(parse_codebook("name: one\ncodes:\n  - {id: stigma, name: Stigma}\n"))
    assert store.codebook_version() == 2  # nothing stored but the revision of definitions
    unused_dropped = CODEBOOK.replace("  - id: other\n    name: Other\n    definition: Anything else.\n", "")
    assert store.add_codebook_version(parse_codebook(unused_dropped)) == 3


# ------------------------------------------------------------------ renaming and merging codes
STIGMA = '''      - id: stigma
        name: Stigma & "labels"
        definition: Being judged or excluded.
'''
MERGED = CODEBOOK.replace(STIGMA, "").replace("id: work", "id: employment")  # stigma into family, work renamed


def test_a_revision_renames_and_merges_used_codes_and_everything_reads_the_new_ids(store):
    a, b = store.segments()["segment_id"].iloc[[1, 2]]  # suggested: family then stigma; stigma then other
    store.record_decisions([DecisionRequest(a, "add", "stigma", "ana"), DecisionRequest(a, "add", "family", "bo"),
                            DecisionRequest(b, "add", "work", "ana")])
    store.add_codings(pd.DataFrame({"segment_id": [a, a], "code": ["stigma", "family"], "coder": "cy"}),
                      source="coded.csv")
    assert store.add_codebook_version(parse_codebook(MERGED), note="merge",
                                      code_map={"stigma": "family", "work": "employment"}) == 2
    assert store.code_maps().values.tolist() == [[2, "stigma", "family"], [2, "work", "employment"]]
    # nothing stored changes: the rows keep their ids, read as the current codebook reads them
    stored = sqlite3.connect(store.path).execute("SELECT code FROM decisions ORDER BY id").fetchall()
    assert [row[0] for row in stored] == ["stigma", "family", "work"]
    assert store.decisions()["code"].tolist() == ["family", "family", "employment"]
    raw = store.decisions(mapped=False)
    assert raw["code"].tolist() == ["stigma", "family", "work"]
    assert raw["code_now"].tolist() == ["family", "family", "employment"]
    # cy's two imported codings became one code: they collapse into one (one code per segment: no error)
    assert store.codings()[["segment_id", "code", "coder"]].values.tolist() == [[a, "family", "cy"]]
    assert store.codings(mapped=False)["code"].tolist() == ["stigma", "family"]
    state = coder_state(store.decisions(), exclusive=True, imported=store.codings()).set_index(["segment_id",
                                                                                               "coder"])
    assert state["codes"].to_dict() == {(a, "ana"): ["family"], (a, "bo"): ["family"], (b, "ana"): ["employment"],
                                        (a, "cy"): ["family"]}
    assert sorted(map(tuple, current_codings(store).to_numpy())) == sorted(
        [(a, "family", "cy"), (a, "family", "ana"), (a, "family", "bo"), (b, "employment", "ana")])
    # an earlier run's suggestions: the merged pair on a is one suggestion, the best ranked
    assert store.suggestions(segment_id=a)[["code", "rank"]].values.tolist() == [["family", 1]]
    assert store.suggestions(segment_id=b)["code"].tolist() == ["family", "other"]
    assert set(store.all_suggestions()["code"]) <= set(store.codebook().ids)
    # decisions answer them by the new ids; the old ids are no codes any more
    suggested = first_suggestion(store, b)
    store.record_decisions([DecisionRequest(b, "accept", "family", "bo", int(suggested.id)),
                            DecisionRequest(a, "replace", "other", "ana", replaces="family")])
    with pytest.raises(NotFound, match="code 'stigma' is not in the project's codebook"):
        store.record_decisions([DecisionRequest(b, "accept", "stigma", "bo", int(suggested.id))])
    # the audit trail shows the id as stored and the id it is now
    table = audit_table(store)
    assert table.loc[table["event"] == "codebook", "code_now"].fillna("").tolist() == [
        "", "stigma → family, work → employment"]
    human = table[table["event"] == "human_coding"]
    assert human[["code", "code_now", "superseded"]].values.tolist() == [["stigma", "family", False],
                                                                       ["family", "family", True]]
    assert "since codes were merged into family" in human["reason"].iloc[1]
    decided = table[table["event"] == "decision"]
    assert decided[["code", "code_now"]].values.tolist() == [["stigma", "family"], ["family", "family"],
                                                             ["work", "employment"], ["family", "family"],
                                                             ["other", "other"]]
    assert decided["replaces_now"].fillna("").tolist()[-1] == "family"
    codings, _ = audit_codings(store)
    assert codings["description"].str.contains(r": added stigma \(now Family\); no longer applied").sum() == 1


@pytest.mark.parametrize("code_map, message", [
    ({"stigma": "stigma"}, "map stigma=stigma maps a code to itself"),
    ({"stigma": "nope", "work": "employment"}, "map stigma=nope: 'nope' is not a code of the revised codebook"),
    ({"stigma": "family", "work": "employment", "family": "other"},
     "map family=other: 'family' is still in the revised codebook; only a code the revision drops"),
    ({"stigma": "family", "work": "employment", "nope": "other"},
     "map nope=other: 'nope' is not a code of the project's current codebook"),
    ({"stigma": "family", "family": "stigma"}, "map family=stigma: 'stigma' is not a code of the revised codebook"),
    ({"stigma": "family"}, r"drops code\(s\) that codings or decisions use: work .*--map OLD=NEW"),
])
def test_a_code_map_that_is_not_a_rename_or_merge_of_dropped_codes_is_refused(store, code_map, message):
    store.record_decisions([DecisionRequest("interview_a:1", "add", "stigma", "ana"),
                            DecisionRequest("interview_a:2", "add", "work", "ana")])
    with pytest.raises(InputError, match=message):
        store.add_codebook_version(parse_codebook(MERGED), code_map=code_map)
    with pytest.raises(InputError, match="'other' is still in the revised codebook"):  # unchanged codebook
        store.add_codebook_version(parse_codebook(CODEBOOK), code_map={"other": "work"})
    assert store.codebook_version() == 1 and store.code_maps().empty


def test_the_same_revision_with_its_map_given_again_is_unchanged_not_refused(store):
    # a repeated `project codebook --map` was refused: its OLD is no longer a code of the (revised) codebook
    store.record_decisions([DecisionRequest("interview_a:1", "add", "stigma", "ana")])
    without_stigma = CODEBOOK.replace(STIGMA, "")
    assert store.add_codebook_version(parse_codebook(without_stigma), code_map={"stigma": "family"}) == 2
    assert store.add_codebook_version(parse_codebook(without_stigma), code_map={"stigma": "family"}) == 2
    assert store.code_maps().values.tolist() == [[2, "stigma", "family"]]
    with pytest.raises(InputError, match="'stigma' is not a code of the project's current codebook"):
        store.add_codebook_version(parse_codebook(without_stigma), code_map={"stigma": "other"})  # another map


def test_maps_compose_over_versions_and_a_code_added_again_is_a_new_code(store):
    a, b, c = store.segments()["segment_id"].iloc[[1, 2, 3]]
    store.record_decisions([DecisionRequest(a, "add", "stigma", "ana")])
    store.record_decisions([DecisionRequest(c, "add", "stigma", "bo")])
    without_stigma = CODEBOOK.replace(STIGMA, "")
    store.add_codebook_version(parse_codebook(without_stigma), code_map={"stigma": "family"})  # v2
    store.undo_last("bo")  # its row repeats the code as stored, and reads it as the decision it undoes
    store.add_codebook_version(parse_codebook(CODEBOOK))  # v3: stigma again, a new code
    store.record_decisions([DecisionRequest(b, "add", "stigma", "ana")])
    assert store.decisions()["code"].tolist() == ["family", "family", "family", "stigma"]
    without_family = CODEBOOK.replace("""      - id: family
        name: Family
        definition: Parents, children, partners.
""", "")
    with pytest.raises(InputError, match=r"drops code\(s\) that codings or decisions use: family"):
        store.add_codebook_version(parse_codebook(without_family))  # the merged stigma decision is family now
    store.add_codebook_version(parse_codebook(without_family), code_map={"family": "other"})  # v4
    # v1's stigma went to family in v2 and on to other in v4; the stigma given under v3 stays stigma
    assert store.decisions()["code"].tolist() == ["other", "other", "other", "stigma"]
    state = coder_state(store.decisions(), exclusive=True).set_index(["segment_id", "coder"])["codes"].to_dict()
    assert state == {(a, "ana"): ["other"], (b, "ana"): ["stigma"]}  # bo's only decision is undone
    assert store.code_maps().values.tolist() == [[2, "stigma", "family"], [4, "family", "other"]]


# ------------------------------------------------------------------ rejections across renames and merges
WORK = '''  - id: work
    name: Paid work
    definition: Jobs, salaries and contracts.
'''


def _rejected(store, coder="ann"):
    state = coder_state(store.decisions(coder=coder), exclusive=store.codebook().exclusive)
    return state.set_index("segment_id")["rejected"].to_dict()


def test_a_rejection_made_before_a_merge_rejects_no_code_the_merge_made(store):
    """The file coder coded S as work; Ann rejected the suggestion stigma there; stigma was then merged into work.
    Ann's "not stigma" read as "not work": the page showed "rejected Paid work", offered work last on S, and the
    refit dropped the file coder's coding of S from its training data."""
    from theme_assist.review import views

    s = store.segments()["segment_id"].iloc[2]  # suggested: stigma, then other
    store.add_codings(pd.DataFrame({"segment_id": [s], "code": ["work"], "coder": ""}), source="coded.csv")
    stigma = first_suggestion(store, s)
    assert stigma.code == "stigma"
    store.record_decisions([DecisionRequest(s, "reject", "stigma", "ann", int(stigma.id))])
    assert _rejected(store) == {s: ["stigma"]}
    store.add_codebook_version(parse_codebook(CODEBOOK.replace(STIGMA, "")), code_map={"stigma": "work"})
    assert _rejected(store) == {s: []}
    training = training_codings(store.codings(), store.decisions(), exclusive=True)
    assert (s, "work") in set(zip(training["segment_id"], training["code"]))
    view = views.segment_view(store, s, "ann", blind=False)
    assert view["mine"]["rejected"] == [] and [item["code"] for item in view["suggestions"]] == ["work", "other"]
    top = views.queue(store, "ann", status="all", order="document")["items"]
    assert [item["code"] for item in top if item["segment_id"] == s] == ["work"]
    # the audit trail keeps the rejection as made, of stigma, superseded as a rejection; the .qdpx says so
    raw = store.decisions(mapped=False)
    assert raw[["action", "code", "code_now", "rejects"]].values.tolist() == [["reject", "stigma", "work", ""]]
    table = audit_table(store)
    assert table.loc[table["event"] == "decision", ["code", "code_now", "superseded"]].values.tolist() == [
        ["stigma", "work", True]]
    codings, suggestions = audit_codings(store)
    said = "stigma (merged into Paid work since: no rejection of it)"
    assert codings["description"].str.contains(f": rejected {said}, suggested by", regex=False).sum() == 1
    assert suggestions["description"].str.contains(f"Review: rejected {said} by ann at", regex=False).sum() == 1
    # the export still warns that Ann gave no code there: agree counts the segment as not rated by her
    from theme_assist.project.audit import rejected_without_code

    assert rejected_without_code(store).values.tolist() == [[s, "ann", []]]
    # a rejection of work made after the merge counts as always
    store.record_decisions([DecisionRequest(s, "reject", "work", "ann", int(first_suggestion(store, s).id))])
    assert _rejected(store) == {s: ["work"]}
    assert (s, "work") not in set(zip(*training_codings(store.codings(), store.decisions(), exclusive=True)[
        ["segment_id", "code"]].to_numpy().T))


def test_a_rejection_of_the_code_merged_into_rejects_it_no_more_either(store):
    """"Not work" said before stigma was merged into work does not say "not work" of a work that holds stigma's
    meaning too; a replace's replaced code is read alike."""
    a, b = store.segments()["segment_id"].iloc[[1, 2]]
    store.record_decisions([DecisionRequest(a, "reject", "work", "ann"),
                            DecisionRequest(b, "replace", "family", "ann", replaces="stigma")])
    assert _rejected(store) == {a: ["work"], b: ["stigma"]}
    store.add_codebook_version(parse_codebook(CODEBOOK.replace(STIGMA, "")), code_map={"stigma": "work"})
    assert _rejected(store) == {a: [], b: []}
    state = coder_state(store.decisions(coder="ann"), exclusive=True).set_index("segment_id")["codes"].to_dict()
    assert state == {a: [], b: ["family"]}


def test_a_rejection_ends_where_a_code_added_after_it_is_merged_into_its_code(store):
    """"Not work" said before a revision added money does not say "not work" of a work that money was merged into
    later, nor of a new code that work and money were both merged into; a code a revision adds as a map's new id
    holds the mapped codes' meaning and makes no merge of a rename."""
    a, b, c = store.segments()["segment_id"].iloc[[1, 2, 3]]
    money = CODEBOOK + "  - id: money\n    name: Money\n    definition: Money worries.\n"
    store.record_decisions([DecisionRequest(a, "reject", "work", "ann"), DecisionRequest(b, "reject", "family", "ann")])
    store.add_codebook_version(parse_codebook(money))  # v2: money added after the rejections
    store.record_decisions([DecisionRequest(c, "reject", "work", "ann")])
    store.add_codebook_version(parse_codebook(money.replace("id: family", "id: kin")), code_map={"family": "kin"})
    assert _rejected(store) == {a: ["work"], b: ["kin"], c: ["work"]}  # a rename: kin is new only as family's
    store.add_codebook_version(parse_codebook(CODEBOOK.replace("id: family", "id: kin")), code_map={"money": "work"})
    assert _rejected(store) == {a: [], b: ["kin"], c: []}
    assert store.decisions()["rejects"].tolist() == ["", "kin", ""]


def test_a_rejection_follows_a_rename_and_a_chain_that_merges_ends_it(store):
    """A rename (one code in, one out) carries a rejection, through every rename after it; a merge later in the
    chain ends it, and a rejection made after the merge, of a code a later revision renames, carries on."""
    a, b, c = store.segments()["segment_id"].iloc[[1, 2, 3]]
    store.record_decisions([DecisionRequest(a, "reject", "stigma", "ann")])
    labels = CODEBOOK.replace("id: stigma", "id: labels")
    store.add_codebook_version(parse_codebook(labels), code_map={"stigma": "labels"})  # v2: a rename
    assert _rejected(store) == {a: ["labels"]}
    store.record_decisions([DecisionRequest(b, "reject", "labels", "ann")])
    store.add_codebook_version(parse_codebook(labels.replace("id: labels", "id: judged")),
                               code_map={"labels": "judged"})  # v3: a rename again
    assert _rejected(store) == {a: ["judged"], b: ["judged"]}
    merged = CODEBOOK.replace(STIGMA, "")
    store.add_codebook_version(parse_codebook(merged), code_map={"judged": "family"})  # v4: merged into family
    assert _rejected(store) == {a: [], b: []}
    store.record_decisions([DecisionRequest(c, "reject", "family", "ann")])  # after the merge: counts
    store.add_codebook_version(parse_codebook(merged.replace("id: family", "id: kin")),
                               code_map={"family": "kin"})  # v5: the merged code renamed
    assert _rejected(store) == {a: [], b: [], c: ["kin"]}
    assert store.decisions()["rejects"].tolist() == ["", "", "kin"]


def test_a_code_mapped_away_is_refused_naming_the_code_that_reads_it(store):
    """Codings of the next site, made with the codebook before its revision: the code was refused as unknown,
    without the new code that the project reads the old one's codings as."""
    a = store.segments()["segment_id"].iloc[1]
    store.record_decisions([DecisionRequest(a, "add", "stigma", "ana")])
    store.add_codebook_version(parse_codebook(CODEBOOK.replace(STIGMA, "")), code_map={"stigma": "family"})
    hint = "is not in the project's codebook (codebook version 2 reads it as 'family': give that code"
    with pytest.raises(InputError, match=re.escape("code 'stigma' in site3.csv " + hint)):
        store.add_codings(pd.DataFrame({"segment_id": [a], "code": ["stigma"], "coder": "cy"}), source="site3.csv")
    with pytest.raises(NotFound, match=re.escape("code 'stigma' " + hint)):
        store.record_decisions([DecisionRequest(a, "add", "stigma", "bo")])
    with pytest.raises(NotFound, match=r"code 'nope' is not in the project's codebook$"):
        store.record_decisions([DecisionRequest(a, "add", "nope", "bo")])
    coded = store.path.parent / "site3.csv"  # project add --coded refuses it before the transcripts are segmented
    pd.DataFrame({"segment_id": ["site3:0"], "code": ["stigma"]}).to_csv(coded, index=False)
    store.record_segmentation(segmentation_tag("turn", None))
    folder = store.path.parent / "site3_transcripts"
    folder.mkdir()
    (folder / "site3.txt").write_text("P1: We were laughed at in the village.\n", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(f"{coded}: code 'stigma' (line 2) is not in codebook") + ".*"
                       + re.escape("(codebook version 2 reads it as 'family': give that code")):
        plan_addition(store, [folder], coded=coded)


# ------------------------------------------------------------------ decisions
def test_decisions_replay_into_each_coders_codes(store):
    a, b = store.segments()["segment_id"].iloc[[1, 3]]
    s = first_suggestion(store, a)
    store.record_decisions([
        DecisionRequest(a, "accept", s.code, "ana", int(s.id)),
        DecisionRequest(a, "replace", "stigma", "bo", int(s.id), replaces=s.code),
        DecisionRequest(b, "reject", first_suggestion(store, b).code, "ana", int(first_suggestion(store, b).id)),
    ])
    state = coder_state(store.decisions(), exclusive=True).set_index(["segment_id", "coder"])
    assert state.loc[(a, "ana"), "codes"] == [s.code]
    assert state.loc[(a, "bo"), "codes"] == ["stigma"] and state.loc[(a, "bo"), "rejected"] == [s.code]
    assert state.loc[(b, "ana"), "codes"] == [] and len(state.loc[(b, "ana"), "rejected"]) == 1


def test_codes_replaced_under_an_exclusive_codebook_stay_replaced_when_it_allows_several(store, caplog):
    from theme_assist.codebook import parse_codebook
    from theme_assist.project.testing import CODEBOOK

    a = store.segments()["segment_id"].iloc[1]
    store.record_decisions([DecisionRequest(a, "add", "work", "ana"), DecisionRequest(a, "add", "family", "ana")])
    store.add_codebook_version(parse_codebook(CODEBOOK.replace("exclusive: true", "exclusive: false")))
    decisions = store.decisions()
    assert decisions["exclusive_codebook"].tolist() == [True, True]
    assert coder_state(decisions, exclusive=False).set_index("coder").loc["ana", "codes"] == ["family"]
    store.record_decisions([DecisionRequest(a, "add", "stigma", "ana")])  # now codes may stand side by side
    decisions = store.decisions()
    assert decisions["exclusive_codebook"].tolist() == [True, True, False]
    assert coder_state(decisions, exclusive=False).set_index("coder").loc["ana", "codes"] == ["family", "stigma"]
    assert "several codes" not in caplog.text
    # back to one code per segment: the current rule holds for every decision, so the latest code stays, and
    # the switch says how many segments that reads differently
    with caplog.at_level("WARNING"):
        store.add_codebook_version(parse_codebook(CODEBOOK))
    assert coder_state(store.decisions(), exclusive=True).set_index("coder").loc["ana", "codes"] == ["stigma"]
    assert "1 segment(s) carry several codes of one coder" in caplog.text


def test_a_replace_without_suggestion_needs_a_code_someone_suggested_or_gave(store):
    a = store.segments()["segment_id"].iloc[1]
    suggested = set(store.suggestions().query("segment_id == @a")["code"])
    never = next(code for code in ("work", "family", "stigma", "other") if code not in suggested)
    other = next(code for code in ("work", "family", "stigma", "other") if code != never)
    with pytest.raises(InputError, match=f"has no code '{never}' to replace"):
        store.record_decisions([DecisionRequest(a, "replace", other, "ana", replaces=never)])
    assert store.decisions().empty
    store.record_decisions([DecisionRequest(a, "add", never, "ana"),
                            DecisionRequest(a, "replace", other, "ana", replaces=never)])  # her own code: fine
    assert coder_state(store.decisions()).set_index("coder").loc["ana", "codes"] == [other]


def test_undo_supersedes_without_deleting_and_undoes_a_bulk_batch_whole(store):
    ids = store.segments()["segment_id"].iloc[:3].tolist()
    store.record_decisions([DecisionRequest(ids[0], "add", "work", "ana")])
    store.record_decisions([DecisionRequest(i, "add", "family", "ana") for i in ids[1:]])  # one batch
    undone = store.undo_last("ana")
    assert sorted(undone["segment_id"]) == sorted(ids[1:]) and set(undone["action"]) == {"undo"}
    decisions = store.decisions()
    assert len(decisions) == 5  # 3 decisions + 2 undo rows: nothing deleted
    assert decisions.loc[decisions["segment_id"].isin(ids[1:]) & (decisions["action"] == "add"), "undone"].all()
    assert store.undo_last("ana")["undoes"].tolist() == [decisions["id"].iloc[0]]
    assert store.undo_last("ana").empty
    assert store.undo_last("nobody").empty


def _sqlite_steps(store, read) -> int:
    """SQLite virtual-machine steps (in thousands) that ``read(store)`` takes: a count that does not depend on
    the machine's speed."""
    steps = [0]

    def count():
        steps[0] += 1
        return 0

    connection = store._connection()
    connection.set_progress_handler(count, 1000)
    try:
        read(store)
    finally:
        connection.set_progress_handler(None, 0)
    return steps[0]


def test_reading_decisions_and_undoing_grow_linearly_with_the_decisions(store):
    """Whether a decision is undone was a subquery that scanned every decision once per decision: a project
    with tens of thousands of decisions took minutes to read them (every background refit and export does)."""
    ids = store.segments()["segment_id"].tolist()

    def add(count):
        store.record_decisions([DecisionRequest(ids[i % len(ids)], "add", "work", "ana") for i in range(count)])
        store.undo_last("ana")
        store.record_decisions([DecisionRequest(ids[0], "add", "family", "ana")])

    add(1500)
    decisions_small = _sqlite_steps(store, lambda s: s.decisions())
    undo_small = _sqlite_steps(store, lambda s: s.undo_last("ana"))
    add(4500)  # four times as many decisions
    decisions_large = _sqlite_steps(store, lambda s: s.decisions())
    undo_large = _sqlite_steps(store, lambda s: s.undo_last("ana"))
    assert decisions_large < 6 * decisions_small  # 16 times with a scan per decision
    assert undo_large < 6 * undo_small
    decisions = store.decisions()
    assert decisions["undone"].sum() == (decisions["action"] == "undo").sum() == 6002


@pytest.mark.parametrize("request_, error, match", [
    (DecisionRequest("no-such-segment", "add", "work", "ana"), NotFound, "segment 'no-such-segment'"),
    (DecisionRequest("interview_a:1", "add", "no_such_code", "ana"), NotFound, "code 'no_such_code'"),
    (DecisionRequest("interview_a:1", "shrug", "work", "ana"), InputError, "unknown action"),
    (DecisionRequest("interview_a:1", "add", "work", "  "), InputError, "coder"),
    (DecisionRequest("interview_a:1", "accept", "work", "ana", suggestion_id=999999), NotFound, "suggestion"),
])
def test_bad_decisions_are_refused_and_nothing_is_stored(store, request_, error, match):
    good = DecisionRequest("interview_a:0", "add", "work", "ana")
    with pytest.raises(error, match=match):
        store.record_decisions([good, request_])
    assert store.decisions().empty


def test_suggestions_can_be_read_without_their_evidence_quotes(store, monkeypatch):
    """A review queue needs each segment's codes and scores, not the quotes: parsing the evidence of a whole run
    took most of a second per request at 70,000 suggestions."""
    import theme_assist.project.store as store_module

    full = store.suggestions()
    parsed = []
    monkeypatch.setattr(store_module.json, "loads", lambda text: parsed.append(text))
    light = store.suggestions(with_evidence=False)
    assert parsed == [] and "evidence" not in light
    pd.testing.assert_frame_equal(light, full.drop(columns="evidence"))
    one = store.suggestions(segment_id=full["segment_id"].iloc[0], with_evidence=False)
    assert len(one) == (full["segment_id"] == full["segment_id"].iloc[0]).sum()


def test_a_suggestion_must_match_the_code_it_answers(store):
    s = first_suggestion(store, "interview_a:1")
    other = next(c for c in ["work", "family", "stigma"] if c != s.code)
    with pytest.raises(InputError, match="suggests"):
        store.record_decisions([DecisionRequest("interview_a:1", "accept", other, "ana", int(s.id))])


def test_two_writers_in_two_threads_lose_nothing(store):
    segments = store.segments()["segment_id"].tolist()
    errors = []

    def code(coder):
        try:
            for i in range(40):
                store.record_decisions([DecisionRequest(segments[i % len(segments)], "add", "work", coder)])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=code, args=(name,)) for name in ("ana", "bo")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    decisions = ProjectStore(store.path).decisions()
    assert decisions.groupby("coder").size().to_dict() == {"ana": 40, "bo": 40}
    assert decisions["id"].is_unique
    assert sqlite3.connect(store.path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def fast_busy_timeout(monkeypatch):
    """Connections opened from here on wait 0.1 s for a lock, not 30."""
    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *args, **kwargs: connect(*args, **{**kwargs, "timeout": 0.1}))


def test_a_project_another_program_holds_locked_is_one_line_and_the_next_write_goes_through(tmp_path, monkeypatch):
    fast_busy_timeout(monkeypatch)
    store = make_project(tmp_path / "study.taproj")
    locker = sqlite3.connect(store.path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    with pytest.raises(Unavailable, match="^study.taproj is locked by another program: nothing was written"):
        store.record_decisions([DecisionRequest("interview_a:1", "add", "work", "ana")])
    locker.execute("ROLLBACK")
    store.record_decisions([DecisionRequest("interview_a:1", "add", "work", "ana")])
    assert store.decisions()["coder"].tolist() == ["ana"]


def test_an_older_project_another_program_holds_locked_is_not_called_damaged(tmp_path, monkeypatch):
    fast_busy_timeout(monkeypatch)
    path = tmp_path / "old.taproj"
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, str(path), target=1)
    db.execute("PRAGMA journal_mode = WAL")  # readers pass its lock: only the migration waits
    db.execute("BEGIN EXCLUSIVE")
    with pytest.raises(Unavailable, match="is locked by another program"):
        ProjectStore(path)
    db.execute("ROLLBACK")
    with ProjectStore(path) as store:
        assert store.decisions().empty


def test_a_commit_refused_as_busy_leaves_no_transaction_open(tmp_path, monkeypatch):
    """In rollback-journal mode (a project on a network file system) COMMIT waits for readers to finish."""
    import theme_assist.project.store as store_module

    monkeypatch.setattr(store_module, "journal_mode", lambda *args: "DELETE")
    fast_busy_timeout(monkeypatch)
    store = make_project(tmp_path / "study.taproj")
    reader = sqlite3.connect(store.path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM decisions").fetchone()  # a shared lock, kept until the reader ends
    with pytest.raises(Unavailable, match="locked"):
        store.record_decisions([DecisionRequest("interview_a:1", "add", "work", "ana")])
    reader.execute("ROLLBACK")
    store.record_decisions([DecisionRequest("interview_a:1", "add", "work", "bo")])
    assert store.decisions()["coder"].tolist() == ["bo"]


def test_a_full_disk_is_one_line_and_nothing_is_written(store):
    """SQLite rolls the transaction back itself: the ROLLBACK after it failed with "no transaction is active"."""
    connection = store._connection()
    connection.execute(f"PRAGMA max_page_count = {connection.execute('PRAGMA page_count').fetchone()[0]}")
    with pytest.raises(Unavailable, match=r"^study.taproj could not be written: the disk is full; nothing was written"):
        store.record_decisions([DecisionRequest("interview_a:1", "add", "work", "ana", reason="x" * 2000)] * 50)
    connection.execute("PRAGMA max_page_count = 1000000")
    store.record_decisions([DecisionRequest("interview_a:1", "add", "work", "bo")])
    assert store.decisions()["coder"].tolist() == ["bo"]


@pytest.mark.parametrize("how", ["deleted", "moved", "replaced"])
def test_a_project_file_deleted_moved_or_replaced_under_the_store_takes_no_more_writes(tmp_path, how):
    """SQLite goes on writing into the file it opened: a deleted one's decisions were lost when the program ended."""
    path = tmp_path / "study.taproj"
    store = make_project(path)
    store.record_decisions([DecisionRequest("interview_a:1", "add", "work", "ana")])
    if how == "deleted":
        path.unlink()
    elif how == "moved":
        path.rename(tmp_path / "moved.taproj")
    else:
        make_project(tmp_path / "other.taproj").close()
        (tmp_path / "other.taproj").replace(path)
    with pytest.raises(Unavailable, match="moved, deleted or replaced after it was opened: nothing was written"):
        store.record_decisions([DecisionRequest("interview_a:1", "add", "family", "bo")])
    store.close()
    if how == "moved":  # whole: SQLite left what its log held in the log at the old name
        assert ProjectStore(tmp_path / "moved.taproj").decisions()["coder"].tolist() == ["ana"]
    if how == "replaced":  # that log not read as the new file's
        assert ProjectStore(path).decisions().empty
        assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_project_moved_under_the_store_is_whole_once_the_store_is_closed(tmp_path):
    store = make_project(tmp_path / "study.taproj")
    store.record_decisions([DecisionRequest("interview_a:1", "add", "work", "ana")])
    store.path.rename(tmp_path / "moved.taproj")
    store.close()
    assert ProjectStore(tmp_path / "moved.taproj").decisions()["coder"].tolist() == ["ana"]


# ------------------------------------------------------------------ training data and audit
def test_training_codings_prefer_the_latest_review_over_imports(store):
    a, b, c = store.segments()["segment_id"].iloc[[1, 3, 4]]
    store.add_codings(pd.DataFrame({"segment_id": [a, b, c], "code": ["work", "family", "stigma"],
                                    "coder": ["imp"] * 3}), source="coded.csv")
    store.record_decisions([DecisionRequest(a, "add", "other", "ana")])
    store.record_decisions([DecisionRequest(b, "reject", "family", "ana")])
    store.record_decisions([DecisionRequest(c, "add", "work", "ana")])
    store.undo_last("ana")  # the decision on c goes; c keeps its imported code
    coded = training_codings(store.codings(), store.decisions(), exclusive=True).set_index("segment_id")["code"]
    assert coded.to_dict() == {a: "other", c: "stigma"}  # b: only a rejection, which teaches no code


def test_a_rejection_alone_takes_no_code_that_stands_out_of_training(store):
    """A second coder's rejection of another code on a segment took the code a coder gave there (or its imported
    coding) out of what the engine learns from, though a rejection says nothing of the code that stands."""
    a, b, c = store.segments()["segment_id"].iloc[[1, 3, 4]]
    store.add_codings(pd.DataFrame({"segment_id": [c], "code": ["stigma"], "coder": [""]}), source="coded.csv")
    store.record_decisions([DecisionRequest(a, "add", "work", "ana"), DecisionRequest(b, "add", "work", "ana")])
    store.record_decisions([DecisionRequest(a, "reject", "family", "bo"), DecisionRequest(b, "reject", "work", "bo"),
                            DecisionRequest(c, "reject", "work", "bo")])
    coded = training_codings(store.codings(), store.decisions(), exclusive=True).set_index("segment_id")["code"]
    assert coded.to_dict() == {c: "stigma", a: "work"}  # b: bo rejected the code ana gave there


def test_audit_trail_has_who_when_which_model_and_what_was_superseded(store, tmp_path):
    segment = "interview_a:1"
    s = first_suggestion(store, segment)
    store.record_decisions([DecisionRequest(segment, "accept", s.code, "ana", int(s.id), reason="clear case")])
    store.record_decisions([DecisionRequest(segment, "add", "stigma", "ana")])
    store.undo_last("ana")
    table = audit_table(store)
    decisions = table[table["event"] == "decision"]
    assert decisions["action"].tolist() == ["accept", "add", "undo"]
    accepted = decisions.iloc[0]
    assert (accepted["actor"], accepted["model_id"], accepted["reason"]) == ("ana", "fake-model run", "clear case")
    assert accepted["score"] == pytest.approx(round(s.score, 4)) and not accepted["superseded"]
    assert decisions.iloc[1]["superseded"]  # the undone add
    machine = table[table["event"] == "machine_suggestion"]
    assert len(machine) == len(store.suggestions()) and set(machine["actor"]) == {"fake-model run"}
    assert table["time"].is_monotonic_increasing
    out = tmp_path / "audit.csv"
    assert write_audit(store, out) == len(table)
    assert pd.read_csv(out)["event"].value_counts()["decision"] == 3
    assert current_codings(store).values.tolist() == [[segment, s.code, "ana"]]


def test_another_coders_decision_leaves_an_imported_coding_standing(store):
    a, b = store.segments()["segment_id"].iloc[[1, 3]]
    store.add_codings(pd.DataFrame({"segment_id": [a, b], "code": ["stigma", "work"], "coder": "maria"}),
                      source="coded.csv")
    store.record_decisions([DecisionRequest(a, "add", "other", "bob"), DecisionRequest(b, "add", "family", "maria")])
    current = sorted(map(tuple, current_codings(store).to_numpy()))
    # maria's imported stigma stays beside bob's decision; her own decision on b takes the place of her import
    assert current == sorted([(a, "stigma", "maria"), (a, "other", "bob"), (b, "family", "maria")])


def test_a_coder_name_finds_its_decisions_however_it_is_spaced(store):
    a = store.segments()["segment_id"].iloc[1]
    store.record_decisions([DecisionRequest(a, "add", "work", " ana ")])
    assert store.decisions(coder="ana ")["coder"].tolist() == ["ana"]
    undone = store.undo_last("ana  ")
    assert undone["coder"].tolist() == ["ana"] and store.decisions()["undone"].tolist() == [True, False]


def fail_read_only_check(monkeypatch, error: str, before=lambda: None) -> None:
    """Make the read-only connection that checks a project on opening raise ``sqlite3.OperationalError(error)``
    at its first statement, after calling ``before``; other connections are SQLite's own."""
    import theme_assist.project.store as store_module

    real_connect = sqlite3.connect

    class Failing:
        def execute(self, sql, *args):
            before()
            raise sqlite3.OperationalError(error)

        def close(self):
            pass

    monkeypatch.setattr(store_module.sqlite3, "connect",
                        lambda target, *args, uri=False, **kwargs: Failing() if uri else
                        real_connect(target, *args, **kwargs))


def test_a_file_that_cannot_be_read_just_now_is_not_called_damaged(store, monkeypatch, caplog):
    """An I/O error or a lock while the file is opened (another process closing it) says nothing of damage;
    "restore it from a copy" would make a coder throw away the latest decisions. It is said by the file's name in
    plain words, as a file in use is (the review page showed "(last refit failed: /full/path/study.taproj could not
    be read just now (disk I/O error) …)"); SQLite's words and the path are logged."""
    fail_read_only_check(monkeypatch, "disk I/O error")
    with pytest.raises(Unavailable, match=r"^study.taproj could not be read just now: nothing was written; try "
                                          "again$") as error:
        ProjectStore(store.path)
    assert "damaged" not in str(error.value) and "restore" not in str(error.value)
    assert f"SQLite could not read {store.path} just now: disk I/O error" in caplog.text


@pytest.mark.parametrize("free", [0, 4096])  # a few kilobytes left: no room for SQLite's 32 KB index either
def test_a_project_on_a_full_disk_is_said_to_be_on_a_full_disk(store, monkeypatch, free):
    """SQLite could not make its index beside the file ("disk I/O error"): "could not be read just now … try again"
    had a coder retry in vain."""
    from types import SimpleNamespace

    import theme_assist.project.store as store_module

    fail_read_only_check(monkeypatch, "disk I/O error")
    monkeypatch.setattr(store_module.shutil, "disk_usage",
                        lambda path: SimpleNamespace(total=10 ** 9, used=10 ** 9 - free, free=free))
    with pytest.raises(Unavailable, match=r"^study.taproj could not be opened: the disk is full; nothing was written: "
                                          "make room on the disk, then try again$"):
        ProjectStore(store.path)


def test_a_project_opened_while_another_process_opens_it_keeps_that_process_files(tmp_path, monkeypatch):
    """Refused as unreadable just now, not as damaged: the -wal and -shm files beside it are another process's,
    made as this one looked, and hold (or index) its writes; removing them would lose those."""
    path = tmp_path / "study.taproj"
    make_project(path).close()

    def another_process_opens_it():
        for suffix in ("-wal", "-shm"):
            path.with_name(path.name + suffix).write_bytes(b"")

    fail_read_only_check(monkeypatch, "disk I/O error", before=another_process_opens_it)
    with pytest.raises(InputError, match="could not be read just now"):
        ProjectStore(path)
    assert sorted(file.name for file in tmp_path.iterdir()) == ["study.taproj", "study.taproj-shm", "study.taproj-wal"]


def test_a_project_another_program_holds_locked_as_it_is_opened_is_said_so_in_plain_words(store, monkeypatch):
    """A review page's background refit opening the project while another program held it locked said "(last refit
    failed: /full/path/study.taproj could not be read just now (database is locked) …)" on the page."""
    fail_read_only_check(monkeypatch, "database is locked")
    with pytest.raises(Unavailable, match=r"^study.taproj is locked by another program: nothing was written; try "
                                          "again once it lets go"):
        ProjectStore(store.path)


def test_the_files_a_project_was_made_from_are_remembered_as_absolute_paths(store, tmp_path, monkeypatch):
    assert store.inputs() == {}  # made before they were recorded, or from Python without them
    monkeypatch.chdir(tmp_path)
    store.record_inputs({"--coded": "coded ä.csv", "--metadata": None})
    assert store.inputs() == {"--coded": str(tmp_path / "coded ä.csv")}


def test_opening_the_project_in_the_serving_process_keeps_another_process_off_its_unwritten_decisions(tmp_path):
    """A review server opens the project again for each background refit. Closing any plain file handle on it
    would drop this process's SQLite locks; the next process to open and close the project would then take the
    -wal file, which holds decisions not yet written into the project file, for leftovers and delete it."""
    import subprocess
    import sys

    from theme_assist.project.testing import make_project

    path = tmp_path / "study.taproj"
    serving = make_project(path)
    first_segment, second_segment = serving.segments()["segment_id"].iloc[:2]
    serving.record_decisions([DecisionRequest(first_segment, "add", "work", "ana")])
    ProjectStore(path).close()  # a background refit's store, in the serving process
    count = (f"from theme_assist.project import ProjectStore; store = ProjectStore({str(path)!r}); "
             "print(store.decision_count()); store.close()")
    subprocess.run([sys.executable, "-c", count], check=True, capture_output=True)  # `project export`, say
    serving.record_decisions([DecisionRequest(second_segment, "add", "family", "ana")])
    seen = subprocess.run([sys.executable, "-c", count], check=True, capture_output=True, text=True).stdout
    serving.close()
    assert seen.strip() == "2"


@pytest.mark.parametrize("name", ["", "   ", "\u200b", "\ufeff\u2060", " \u202e "])
def test_a_decision_whose_coder_name_shows_nothing_is_refused_by_the_store(store, name):
    """The review page refused names of zero-width or formatting characters alone, but the store, which every
    caller writes through, only refused spaces: a blank-looking coder could still be stored from Python."""
    segment = store.segments()["segment_id"].iloc[0]
    with pytest.raises(InputError, match="needs the coder's name"):
        store.record_decisions([DecisionRequest(segment, "add", "work", name)])
    store.record_decisions([DecisionRequest(segment, "add", "work", "Ana\u200b")])  # a visible name is kept


def test_a_store_whose_file_was_moved_away_reads_on_but_says_so_when_asked(tmp_path):
    """Reads answer from the file opened, so nothing told a page polling for news that its project file was moved
    away until a write was refused; check_in_place says it (the review page's poll asks it)."""
    path = tmp_path / "study.taproj"
    store = make_project(path)
    store.check_in_place()
    path.rename(tmp_path / "elsewhere.taproj")
    assert store.decisions().empty  # the connection open before still reads
    with pytest.raises(Unavailable, match="moved, deleted or replaced after it was opened"):
        store.check_in_place()
    store.close()


# ------------------------------------------------------------------ speakers skipped
def test_the_speakers_to_skip_are_remembered_and_matched_as_suggest_matches_them(store):
    assert store.skip_speakers == [] and store.skipped_segment_ids() == set()  # made without the setting
    store.record_skip_speakers([" INTERVIEWER", "Nobody", "INTERVIEWER", "interviewer"])
    assert store.skip_speakers == ["INTERVIEWER", "Nobody"]  # one entry per speaker matched, as first given
    assert store.skipped_segment_ids() == {"interview_a:0", "interview_a:2", "interview_b:0"}
    with pytest.raises(InputError, match="skip_speakers has an empty name"):
        store.record_skip_speakers(["Interviewer", " "])
    assert store.skip_speakers == ["INTERVIEWER", "Nobody"]


def test_the_python_api_refuses_a_speaker_name_holding_a_control_character_as_the_command_line_does(tmp_path, store):
    """``record_skip_speakers`` and ``create_project`` stored ``'Ann\\nBob'``, which the command line refuses."""
    from theme_assist.project import create_project

    message = re.escape("skip_speakers 'Ann\\nBob' holds a control character")
    with pytest.raises(InputError, match=message):
        store.record_skip_speakers(["Interviewer", "Ann\nBob"])
    assert store.skip_speakers == []
    with pytest.raises(InputError, match=message):
        create_project(tmp_path / "new.taproj", parse_codebook(CODEBOOK), input=tmp_path / "none",
                       skip_speakers=("Ann\nBob",))
    assert not (tmp_path / "new.taproj").exists()


def test_a_project_made_before_the_speakers_to_skip_opens_with_none(tmp_path):
    path = tmp_path / "old.taproj"
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, str(path), target=SCHEMA_VERSION)  # the latest schema, whose project_info has no such key
    db.execute("INSERT INTO documents VALUES ('d1', 0, 'd1.txt', 'Hello there', '2024-01-01T00:00:00Z')")
    db.execute("INSERT INTO segments VALUES ('d1:0', 'd1', 'Interviewer', 0, 11, 'Hello there', 0, 0)")
    db.execute("INSERT INTO codebook_versions VALUES (1, '2024-01-01', '', '', 'h', ?)", (CODEBOOK,))
    db.close()
    with ProjectStore(path) as store:
        assert store.skip_speakers == [] and store.skipped_segment_ids() == set()


def test_a_documents_metadata_keeps_the_metadata_files_column_order(tmp_path):
    """The review page lists a document's fields as the store gives them: sorted by name, "site" came last, after
    "participant_group", where the metadata file puts it first."""
    from theme_assist.documents import Document

    with ProjectStore(tmp_path / "order.taproj", create=True) as store:
        store.add_documents([Document(id="d1", text="Hello.", source="d1.txt",
                                      metadata={"site": "Kampala", "country": "Uganda", "group": "peer workers"})])
        assert list(store.document_metadata("d1")) == ["site", "country", "group"]


def test_a_failed_backup_leaves_no_folder_it_made(tmp_path, store, monkeypatch):
    """A backup into folders not yet made made them, and left them empty when the copy then failed (a full disk)."""
    import theme_assist.project.store as store_module

    def full_disk(path):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store_module.sqlite3, "connect", full_disk)
    with pytest.raises(sqlite3.OperationalError):
        store.backup(tmp_path / "new" / "deep" / "copy.taproj")
    assert not (tmp_path / "new").exists()


def test_a_project_of_schema_3_gains_whether_suggestions_were_shown_unknown_for_its_decisions(tmp_path):
    """Migration 4: decisions stored before it are of unknown state (NULL), not 'shown' nor 'not shown'."""
    path = _old_project(tmp_path, schema=3)
    columns = {row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(decisions)")}
    assert "suggestions_shown" not in columns
    with ProjectStore(path) as store:
        assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        store.record_decisions([DecisionRequest("d1:0", "add", "work", "bo", suggestions_shown=0)])
        undone = store.undo_last("ana")
        decisions = store.decisions()
        assert decisions[["coder", "action"]].values.tolist() == [["ana", "add"], ["bo", "add"], ["ana", "undo"]]
        assert decisions["suggestions_shown"].isna().tolist() == [True, False, True]  # the undo: as the add
        assert decisions["suggestions_shown"].iloc[1] == 0 and undone["suggestions_shown"].isna().all()
    with pytest.raises(sqlite3.IntegrityError):  # 1, 0 or NULL only
        with ProjectStore(path) as store:
            store.record_decisions([DecisionRequest("d1:0", "add", "work", "cy", suggestions_shown=2)])
