"""Each run's evidence quotes in the project file: a quote of a project segment is stored without its text (the
segments table has it), and every reader gets it back as the engine gave it."""

from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pandas as pd

from theme_assist.project import DecisionRequest, ProjectStore
from theme_assist.project.audit import export_qdpx, machine_before_review, write_audit
from theme_assist.project.testing import make_project
from theme_assist.review.views import segment_view


def quoting_suggestions(segments: pd.DataFrame) -> pd.DataFrame:
    """One suggestion per segment quoting the next segment (its text, and a quote in another language), a segment
    under a text that is not its own, and a codebook anchor."""
    ids, texts = segments["segment_id"].tolist(), segments["text"].tolist()
    rows = []
    for i, segment_id in enumerate(ids):
        after, later = (i + 1) % len(ids), (i + 2) % len(ids)
        evidence = [{"segment_id": ids[after], "text": texts[after], "similarity": 0.8125},
                    {"segment_id": ids[later], "text": texts[later] + " (edited)", "similarity": 0.5},
                    {"segment_id": "codebook:work", "text": "Jobs, salaries — und Verträge.", "similarity": 0.25}]
        rows.append({"segment_id": segment_id, "code": ["work", "family"][i % 2], "score": 0.9, "rank": 1,
                     "evidence": evidence})
    return pd.DataFrame(rows)


def add_quoting_run(store: ProjectStore) -> pd.DataFrame:
    suggestions = quoting_suggestions(store.segments())
    store.add_run(suggestions, model_id="quoting", embedding_model="fake@0", engine_version="test", mode="trained",
                  params={}, n_training=2, n_decisions=0)
    return suggestions


def stored_evidence(path: Path) -> list[list[dict]]:
    with sqlite3.connect(path) as db:
        return [json.loads(e) for (e,) in db.execute("SELECT evidence FROM suggestions WHERE run_id = 2 ORDER BY id")]


def test_quotes_of_project_segments_are_stored_without_their_text_and_read_back_as_given(tmp_path):
    with make_project(tmp_path / "p.taproj") as store:
        given = add_quoting_run(store)
        read = store.suggestions(run_id=2)
        one = store.suggestion(int(read["id"].iloc[0]))
    assert [json.dumps(e, ensure_ascii=False) for e in read["evidence"]] == \
        [json.dumps(e, ensure_ascii=False) for e in given["evidence"]]
    assert one["evidence"] == json.dumps(given["evidence"].iloc[0], ensure_ascii=False)
    stored = stored_evidence(tmp_path / "p.taproj")
    # the segment quoted under its own text: no text; under another text, and the anchor: theirs
    assert [list(quote) for quote in stored[0]] == [["segment_id", "similarity"], ["segment_id", "text", "similarity"],
                                                  ["segment_id", "text", "similarity"]]
    assert stored[0][1]["text"].endswith(" (edited)")


def test_a_run_stored_with_every_quotes_text_reads_as_before(tmp_path):
    """The rows of a project stored before quotes of segments were stored without their text are read as they
    are: no migration."""
    with make_project(tmp_path / "p.taproj") as store:
        given = add_quoting_run(store)
    expand_evidence(tmp_path / "p.taproj", given)
    assert all("text" in quote for quotes in stored_evidence(tmp_path / "p.taproj") for quote in quotes)
    with ProjectStore(tmp_path / "p.taproj") as store:
        assert store.suggestions(run_id=2)["evidence"].tolist() == given["evidence"].tolist()


def expand_evidence(path: Path, given: pd.DataFrame) -> None:
    """Store run 2's evidence as theme_assist stored it before, every quote with its text (the append-only
    trigger set aside, and put back)."""
    db = sqlite3.connect(path, isolation_level=None)
    trigger = db.execute("SELECT sql FROM sqlite_master WHERE name = 'suggestions_no_update'").fetchone()[0]
    ids = [row[0] for row in db.execute("SELECT id FROM suggestions WHERE run_id = 2 ORDER BY id")]
    db.execute("DROP TRIGGER suggestions_no_update")
    db.executemany("UPDATE suggestions SET evidence = ? WHERE id = ?",
                   [(json.dumps(e, ensure_ascii=False), i) for e, i in zip(given["evidence"], ids)])
    db.execute(trigger)
    db.close()


def readers_output(path: Path, out: Path) -> dict[str, bytes]:
    """What every reader of a project's suggestions gives: the suggestions, the review page's segments (both
    modes), the audit trail, the machine's pre-coding and the .qdpx's contents."""
    out.mkdir()
    said = {}
    with ProjectStore(path) as store:
        for run_id in (1, 2):
            for mapped in (True, False):
                said[f"run {run_id} {mapped}"] = store.suggestions(run_id=run_id, mapped=mapped).to_json().encode()
        for segment_id in store.segments()["segment_id"]:
            for coder, blind in (("Ana", False), ("Bo", True)):
                said[f"{segment_id} {coder}"] = json.dumps(segment_view(store, segment_id, coder, blind=blind),
                                                           ensure_ascii=False, default=str).encode()
        write_audit(store, out / "audit.csv")
        said["machine"] = machine_before_review(store).to_json().encode()
        exported = export_qdpx(store, out / "p.qdpx")
    said["audit"] = (out / "audit.csv").read_bytes()
    with zipfile.ZipFile(exported.path) as qdpx:
        said.update({name: qdpx.read(name) for name in qdpx.namelist()})
    return said


def test_every_reader_gives_the_same_bytes_from_quotes_stored_with_or_without_their_text(tmp_path):
    compact = tmp_path / "compact.taproj"
    with make_project(compact) as store:
        given = add_quoting_run(store)
        first = store.suggestions(run_id=2).iloc[0]
        store.record_decisions([DecisionRequest(first["segment_id"], "accept", first["code"], "Ana", int(first["id"])),
                                DecisionRequest(store.segments()["segment_id"].iloc[3], "add", "stigma", "Bo")])
    full = tmp_path / "full.taproj"
    shutil.copy(compact, full)
    expand_evidence(full, given)
    assert len(json.dumps(stored_evidence(compact))) < len(json.dumps(stored_evidence(full)))
    compact_said, full_said = readers_output(compact, tmp_path / "a"), readers_output(full, tmp_path / "b")
    assert list(compact_said) == list(full_said)
    assert [name for name in compact_said if compact_said[name] != full_said[name]] == []
    assert any(b"(edited)" in said for said in compact_said.values())  # the pages show the quotes


def test_a_refits_quotes_of_coded_segments_are_stored_without_their_text(tmp_path):
    from theme_assist.project.learn import refit
    from theme_assist.project.testing import FakeEmbedder

    with make_project(tmp_path / "p.taproj", with_run=False) as store:
        segments = store.segments()
        store.add_codings(pd.DataFrame({"segment_id": segments["segment_id"][:4], "code": ["work", "family"] * 2,
                                        "coder": "ref"}), source="coded.csv")
        refit(store, embedder=FakeEmbedder())
        read = [quote for quotes in store.suggestions()["evidence"] for quote in quotes]
    text = dict(zip(segments["segment_id"], segments["text"]))
    quoted = [quote for quote in read if quote["segment_id"] in text]
    assert quoted and all(quote["text"] == text[quote["segment_id"]] for quote in quoted)
    with sqlite3.connect(tmp_path / "p.taproj") as db:
        stored = [quote for (e,) in db.execute("SELECT evidence FROM suggestions") for quote in json.loads(e)]
    assert [quote for quote in stored if quote["segment_id"] in text and "text" in quote] == []


def test_a_quote_without_a_text_of_a_segment_not_in_the_project_is_stored_as_given(tmp_path):
    """A quote whose text is None, of a segment id the project has not, matched no text (``None``) and lost its
    ``text`` key."""
    with make_project(tmp_path / "p.taproj") as store:
        segment_id = store.segments()["segment_id"].iloc[0]
        evidence = [{"segment_id": "elsewhere:1", "text": None, "similarity": 0.5}]
        store.add_run(pd.DataFrame({"segment_id": [segment_id], "code": ["work"], "score": [0.9], "rank": [1],
                                    "evidence": [evidence]}),
                      model_id="quoting", embedding_model="fake@0", engine_version="test", mode="trained", params={},
                      n_training=2, n_decisions=0)
        assert store.suggestions(run_id=2)["evidence"].tolist() == [evidence]
