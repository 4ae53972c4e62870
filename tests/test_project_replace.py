"""``theme-assist project replace``: a corrected transcript (a name redacted, a turn split) takes the place of a
document coders have started on, in one transaction, each coder's current codes carried over to the segments that
match one to one; refused in one line where there is nothing to replace; the old document kept for the audit trail."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from theme_assist.project import DecisionRequest, ProjectStore
from theme_assist.project.replace import default_name, match_segments, similarity
from theme_assist.project.testing import CODEBOOK, project_content as content, run_command as run

TURNS = [("Interviewer", "How is the new job going?"),
         ("Sam", "I met John at St Mary's last spring, and he found me the job."),
         ("Interviewer", "And at home?"),
         ("Sam", "My sister helps me with the children now."),
         ("Sam", "Neighbours still whisper that I am crazy."),
         ("Interviewer", "Anything else?"),
         ("Sam", "The bus to Ulm takes an hour. I go every day, and it is tiring but fine.")]
REDACTED = {1: "I met [NAME] at [HOSPITAL] last spring, and he found me the job."}


def transcript(path: Path, turns: list[tuple[str, str]]) -> Path:
    path.write_text("".join(f"{speaker}: {said}\n" for speaker, said in turns))
    return path


def corrected(tmp_path: Path, changes: dict[int, str] | None = None, name: str = "iv_01_redacted.txt") -> Path:
    changes = REDACTED if changes is None else changes
    return transcript(tmp_path / name, [(speaker, changes.get(at, said)) for at, (speaker, said) in enumerate(TURNS)])


@pytest.fixture()
def project(tmp_path):
    """Two interviews; iv_01 coded by the imported coder ref, and by ana (with no suggestion on screen) and bo
    (with suggestions shown) in review."""
    folder = tmp_path / "transcripts"
    folder.mkdir()
    transcript(folder / "iv_01.txt", TURNS)
    transcript(folder / "iv_02.txt", [("Interviewer", "Tell me about the contract."),
                                      ("Kim", "I signed a new employment contract last week.")])
    (tmp_path / "codebook.yaml").write_text(CODEBOOK)
    (tmp_path / "meta.csv").write_text("document,site\niv_01,Ulm\niv_02,Pune\n")
    pd.DataFrame({"document": "iv_01", "turn": [1, 3, 4, 6], "code": ["work", "family", "stigma", "other"],
                  "coder": "ref"}).to_csv(tmp_path / "coded.csv", index=False)
    path = tmp_path / "study.taproj"
    assert run("project", "init", str(path), "--codebook", str(tmp_path / "codebook.yaml"), "--input", str(folder),
               "--metadata", str(tmp_path / "meta.csv"), "--coded", str(tmp_path / "coded.csv")) == 0
    with ProjectStore(path) as store:
        store.record_decisions([DecisionRequest("iv_01:3", "add", "family", "ana", suggestions_shown=0),
                                DecisionRequest("iv_01:1", "add", "work", "ana", suggestions_shown=0),
                                DecisionRequest("iv_01:6", "add", "other", "ana", suggestions_shown=0)])
        store.record_decisions([DecisionRequest("iv_01:1", "add", "work", "bo", suggestions_shown=1),
                                DecisionRequest("iv_01:4", "add", "stigma", "bo", suggestions_shown=1)])
    return path


def codings(project: Path, tmp_path: Path, *extra: str) -> pd.DataFrame:
    out = tmp_path / f"codings{len(list(tmp_path.glob('codings*.csv')))}.csv"
    assert run("project", "export", str(project), "--codings", str(out), *extra) == 0
    table = pd.read_csv(out)
    return table.assign(turn=table["segment_id"].str.rsplit(":", n=1).str[1].astype(int),
                        document=table["segment_id"].str.rsplit(":", n=1).str[0])


def rows(table: pd.DataFrame) -> list[tuple]:
    return sorted(zip(table["turn"], table["code"], table["coder"]))


# ------------------------------------------------------------------ matching
def test_a_redaction_is_a_near_match_and_a_split_or_merged_turn_matches_neither_part():
    assert similarity("I met John at St Mary's", "I met [NAME] at [HOSPITAL]") == 1.0
    assert similarity("I met John at St Mary's", "I did not meet anyone") < 0.85
    old = pd.DataFrame({"segment_id": [f"a:{i}" for i in range(5)], "speaker": ["I", "S", "S", "S", "S"],
                        "text": ["Hello.", "I met John at St Mary's last spring.", "My sister helps.",
                                 "She is kind.", "The bus takes an hour and I go every day."]})
    new = pd.DataFrame({"segment_id": [f"b:{i}" for i in range(5)], "speaker": ["I", "S", "S", "S", "S"],
                        "text": ["Hello.", "I met [NAME] at [HOSPITAL] last spring.", "My sister helps. She is kind.",
                                 "The bus takes an hour.", "And I go every day."]})
    matching = match_segments(old, new)
    assert list(zip(matching.pairs["old"], matching.pairs["new"], matching.pairs["kind"])) == [
        ("a:0", "b:0", "exact"), ("a:1", "b:1", "near")]
    assert matching.old_unmatched == ["a:2", "a:3", "a:4"] and matching.new_unmatched == ["b:2", "b:3", "b:4"]
    assert matching.pairs["new"].is_unique and matching.pairs["old"].is_unique


def test_a_speaker_renamed_throughout_is_matched_as_the_same_speaker():
    old = pd.DataFrame({"segment_id": ["a:0", "a:1", "a:2"], "speaker": ["John", "John", "Int"],
                        "text": ["Yes.", "I work at the hospital in Ulm.", "Thanks."]})
    new = pd.DataFrame({"segment_id": ["b:0", "b:1", "b:2"], "speaker": ["P1", "P1", "Int"],
                        "text": ["Yes.", "I work at the hospital in [CITY].", "Thanks."]})
    assert list(match_segments(old, new).pairs["kind"]) == ["exact", "near", "exact"]


def test_an_exact_match_is_of_one_speaker_a_speaker_renamed_throughout_counting_as_one():
    def segments(document: str, turns: list[tuple[str, str]]) -> pd.DataFrame:
        return pd.DataFrame([(f"{document}:{at}", speaker, said) for at, (speaker, said) in enumerate(turns)],
                            columns=["segment_id", "speaker", "text"])

    def matched(old: pd.DataFrame, new: pd.DataFrame) -> list[tuple[str, str, str]]:
        pairs = match_segments(old, new).pairs
        return list(zip(pairs["old"], pairs["new"], pairs["kind"]))

    # Sam's "Yes." corrected to the interviewer's: not Sam's turn any more, its codes not the interviewer's
    old = segments("o", [("I", "Did you work then?"), ("Sam", "Yes."), ("I", "At the clinic?"),
                         ("Sam", "Yes, for two years, nights mostly.")])
    new = segments("n", [("I", "Did you work then?"), ("I", "Yes."), ("I", "At the clinic?"),
                         ("Sam", "Yes, for two years, nights mostly.")])
    assert matched(old, new) == [("o:0", "n:0", "exact"), ("o:2", "n:2", "exact"), ("o:3", "n:3", "exact")]
    # the interviewer's "Yes." is not the participant's, the participant's is
    old = segments("o", [("I", "Did you work then?"), ("I", "Yes."), ("Sam", "Yes."), ("Sam", "At the clinic.")])
    new = segments("n", [("I", "Did you work then?"), ("Sam", "Yes."), ("Sam", "At the clinic.")])
    assert matched(old, new) == [("o:0", "n:0", "exact"), ("o:2", "n:1", "exact"), ("o:3", "n:2", "exact")]
    # renamed throughout: Sam is P1, and Sam's "Yes." P1's; the interviewer's "Yes." said by P1 is not
    renamed = segments("n", [("I", "Did you work then?"), ("P1", "Yes."), ("P1", "At the clinic.")])
    assert matched(old, renamed) == [("o:0", "n:0", "exact"), ("o:2", "n:1", "exact"), ("o:3", "n:2", "exact")]


def test_a_transcript_given_speaker_labels_in_its_correction_is_matched_on_its_texts():
    """An old version without labels: its turns were all read as the one new speaker most of them had, and the
    other speaker's turns, unchanged, matched nothing (their codes left behind)."""
    said = ["Tell me about the ward and how you came there.", "I came there in the spring after my brother called.",
            "And then what happened at the clinic?", "They kept me for two weeks and then I went home to Ulm."]
    old = pd.DataFrame({"segment_id": [f"a:{i}" for i in range(4)], "speaker": "", "text": said})
    new = pd.DataFrame({"segment_id": [f"b:{i}" for i in range(4)], "speaker": ["I", "R"] * 2,
                        "text": [*said[:3], "They kept me for two weeks and then I went home to [CITY]."]})
    pairs = match_segments(old, new).pairs
    assert list(zip(pairs["old"], pairs["new"], pairs["kind"])) == [
        ("a:0", "b:0", "exact"), ("a:1", "b:1", "exact"), ("a:2", "b:2", "exact"), ("a:3", "b:3", "near")]


def test_a_transcript_whose_labels_are_lost_in_its_correction_is_matched_on_its_texts():
    """A new version without labels (exported without them): an old speaker with a turn unchanged was read as the
    new version's none, but one whose turns were all edited kept its name, so they matched nothing and their codes
    were left behind."""
    said = ["How was the ward?", "The ward was fine and the nurses were kind to us.", "And the food?",
            "The food was awful but we got used to it after a while."]
    old = pd.DataFrame({"segment_id": [f"a:{i}" for i in range(4)], "speaker": ["I", "R"] * 2, "text": said})
    new = pd.DataFrame({"segment_id": [f"b:{i}" for i in range(4)], "speaker": "",
                        "text": [said[0], "The ward was fine, and the nurses were kind to us.", said[2],
                                 "The food was awful, but we got used to it after a while."]})
    pairs = match_segments(old, new).pairs
    assert list(zip(pairs["old"], pairs["new"], pairs["kind"])) == [
        ("a:0", "b:0", "exact"), ("a:1", "b:1", "near"), ("a:2", "b:2", "exact"), ("a:3", "b:3", "near")]


def test_a_stretch_keeps_the_most_pairs_before_the_most_alike(monkeypatch):
    from theme_assist.project import replace

    # 14 pairs of 0.85 along the diagonal, or 13 of 1.0 shifted by one: the 14 are kept (by 1 + score, 13 weighed
    # 26.0 against 25.9)
    scores = {**{(f"o{a}", f"n{a}"): 0.85 for a in range(14)}, **{(f"o{a}", f"n{a - 1}"): 1.0 for a in range(1, 14)}}
    monkeypatch.setattr(replace, "similarity", lambda old, new, near: scores.get((old, new), 0.0))
    found = replace._near_in_stretch(range(14), range(14), [f"o{a}" for a in range(14)], [f"n{b}" for b in range(14)],
                                     ["Sam"] * 14, ["Sam"] * 14, near=0.85)
    assert [(i, j) for i, j, _ in found] == [(a, a) for a in range(14)]


def test_a_lower_near_given_to_the_matcher_is_the_one_its_shortcut_uses():
    # the ratio on characters is 0.82, the share of words 0.59: the shortcut skipped the ratio below the module's 0.85
    said, fixed = "I was tired all the time then.", "I was so tired, all of the time, back then."
    old = pd.DataFrame({"segment_id": ["a:0"], "speaker": ["Sam"], "text": [said]})
    new = pd.DataFrame({"segment_id": ["b:0"], "speaker": ["Sam"], "text": [fixed]})
    assert match_segments(old, new).count("near") == 0
    assert list(match_segments(old, new, near=0.8).pairs["score"]) == [0.822]
    assert similarity(said, fixed) < 0.8 <= similarity(said, fixed, near=0.8)


def test_a_long_stretch_keeps_only_the_pairs_that_reach_near_not_a_table_of_every_pair(monkeypatch):
    import tracemalloc

    from theme_assist.project import replace

    # 1,000 turns all rewritten: a table of every pair held a million cells (5,000 turns: 200 MB); the pairs that
    # reach near are 1,000 (each turn with its own), shifted one place from the middle on by a turn dropped
    monkeypatch.setattr(replace, "similarity", lambda old, new, near: 0.9 if old == new else 0.0)
    olds = [f"t{a}" for a in range(1_000)]
    news = olds[:500] + olds[501:] + ["t-new"]
    tracemalloc.start()
    try:
        found = replace._near_in_stretch(range(1_000), range(1_000), olds, news, ["Sam"] * 1_000, ["Sam"] * 1_000,
                                         near=0.85)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [(i, j) for i, j, _ in found] == [(a, a) for a in range(500)] + [(a, a - 1) for a in range(501, 1_000)]
    assert peak < 2_000_000, peak  # bytes: 0.5 MB for the pairs found and a tree over the columns, 8 MB the table


def test_a_near_match_that_adds_or_drops_a_negation_or_changes_a_number_is_refused_a_redaction_is_not():
    old = pd.DataFrame({"segment_id": [f"a:{i}" for i in range(6)], "speaker": "Sam",
                        "text": ["It was fine.", "I wasn't scared of the ward.", "I worked nights there for two years.",
                                 "I was 34 and met John at St Mary's.", "We paid £20 a week for the bus.",
                                 "I never went back to the ward after that."]})
    new = pd.DataFrame({"segment_id": [f"b:{i}" for i in range(6)], "speaker": "Sam",
                        "text": ["It was not fine.", "I was scared of the ward.",
                                 "I worked nights there for three years.",
                                 "I was [AGE] and met [NAME] at [HOSPITAL].", "We paid £25 a week for the bus.",
                                 "I never went back to the ward after this."]})
    matching = match_segments(old, new)
    assert list(zip(matching.pairs["old"], matching.pairs["new"])) == [("a:3", "b:3"), ("a:5", "b:5")]
    assert list(zip(matching.refused["old"], matching.refused["new"], matching.refused["reason"])) == [
        ("a:0", "b:0", "adds a negation"), ("a:1", "b:1", "drops a negation"), ("a:2", "b:2", "changes a number"),
        ("a:4", "b:4", "changes a number")]
    assert matching.old_unmatched == ["a:0", "a:1", "a:2", "a:4"] and matching.refused["score"].min() >= 0.85


def test_a_number_written_another_way_is_the_same_number():
    """A transcriber's correction of how a number is written ("1,200" to "1200", "two" to "2") was refused as
    changing the number, and the coded segment left behind; another number still is refused."""
    from theme_assist.project.replace import changed_meaning, normalised

    def reason(old, new):
        return changed_meaning(normalised(old), normalised(new))

    assert reason("It cost 1,200 shillings a month.", "It cost 1200 shillings a month.") == ""
    assert reason("I worked nights there for two years.", "I worked nights there for 2 years.") == ""
    assert reason("Twenty of us came.", "20 of us came.") == ""
    assert reason("It cost 1,200 shillings.", "It cost 1,300 shillings.") == "changes a number"
    assert reason("I worked there for two years.", "I worked there for 3 years.") == "changes a number"
    assert reason("It was 1,5 litres.", "It was 15 litres.") == "changes a number"  # a decimal comma


def test_one_written_as_a_digit_is_the_same_number():
    """"one brother" → "1 brother" was refused as changing a number ("one" is no number word, "1" is), and the coded
    segment left behind; "one" still is no number where the other side has no "1" more ("the one I liked")."""
    from theme_assist.project.replace import changed_meaning, normalised

    def reason(old, new):
        return changed_meaning(normalised(old), normalised(new))

    assert reason("I have one brother and two sisters at home.", "I have 1 brother and 2 sisters at home.") == ""
    assert reason("I stayed there 1 night before the operation.",
                  "I stayed there one night before the operation.") == ""
    assert reason("It was the one I liked best of all.", "It was the ward I liked best of all.") == ""
    assert reason("I have one brother at home.", "I have 2 brothers at home.") == "changes a number"
    assert reason("I have one brother, 1 sister.", "I have 1 brother, 1 sister, 1 dog.") == "changes a number"
    old = pd.DataFrame({"segment_id": ["a:0"], "speaker": "Sam",
                        "text": ["I have one brother and two sisters, and we all lived with my grandmother."]})
    new = pd.DataFrame({"segment_id": ["b:0"], "speaker": "Sam",
                        "text": ["I have 1 brother and 2 sisters, and we all lived with my grandmother."]})
    assert list(match_segments(old, new).pairs["new"]) == ["b:0"]


def test_a_spoken_negation_written_out_keeps_the_negation():
    """"Nah" → "No" or "dunno" → "don't know" was refused as adding a negation (the spoken form was none), and the
    coded segment left behind; dropping it still is dropping a negation."""
    from theme_assist.project.replace import changed_meaning, normalised

    def reason(old, new):
        return changed_meaning(normalised(old), normalised(new))

    assert reason("Nah, not really, the nurses were always kind to us.",
                  "No, not really, the nurses were always kind to us.") == ""
    assert reason("Nope. We went there every single week.", "No. We went there every single week.") == ""
    assert reason("I dunno why we stopped going to the clinic.",
                  "I don't know why we stopped going to the clinic.") == ""
    assert reason("Nah, the nurses were always kind to us.", "Yeah, the nurses were always kind to us.") == (
        "drops a negation")


def test_a_transcript_cleaned_of_repeated_words_says_the_same():
    """Verbatim made clean verbatim ("No, no, no." → "No.", "I didn't, I didn't" → "I didn't") was refused as
    dropping a negation or changing a number, and the coded segment left behind."""
    from theme_assist.project.replace import changed_meaning, normalised

    def reason(old, new):
        return changed_meaning(normalised(old), normalised(new))

    assert reason("I didn't, I didn't want to go to the clinic that week.",
                  "I didn't want to go to the clinic that week.") == ""
    assert reason("No, no, no. I never told them about it.", "No. I never told them about it.") == ""
    assert reason("It was not, not easy for me at the beginning.", "It was not easy for me at the beginning.") == ""
    assert reason("We were two, two people in the room.", "We were two people in the room.") == ""
    assert reason("It was fine, fine.", "It was not fine.") == "adds a negation"
    assert reason("It was not good, not good at all.", "It was good, good at all.") == "drops a negation"


def test_a_coded_turn_whose_near_match_adds_a_negation_is_left_behind_saying_why(project, tmp_path, capsys):
    changes = {**REDACTED, 6: "The bus to Ulm takes an hour. I go every day, and it is not tiring but fine."}
    capsys.readouterr()
    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path, changes))) == 0
    said = capsys.readouterr().err
    assert "matched 5 exactly, 1 nearly; not matched: 1 of iv_01's, 1 of iv_01-v2's" in said
    assert "1 coded segment of iv_01 found no match" in said
    assert ("iv_01:6 (ana: other; ref: other): The bus to Ulm takes an hour. I go every day, and it is tiri… "
            "(iv_01-v2:6 is 97% alike but adds a negation: not carried)") in said
    assert rows(codings(project, tmp_path)) == [(1, "work", "ana"), (1, "work", "bo"), (1, "work", "ref"),
                                                (3, "family", "ana"), (3, "family", "ref"), (4, "stigma", "bo"),
                                                (4, "stigma", "ref")]


def test_a_long_document_of_unchanged_turns_is_matched_turn_for_turn():
    # every turn its own stretch between two exact matches (its speed, 12,000 turns in about 1 s against 27 s, is
    # not asserted here: benchmarks are not timed tests)
    turns = pd.DataFrame({"segment_id": [f"d:{at}" for at in range(2_000)], "speaker": ["A", "B"] * 1_000,
                          "text": [f"turn {at} of the interview" for at in range(2_000)]})
    matching = match_segments(turns, turns.assign(segment_id="n" + turns["segment_id"]))
    assert matching.count("exact") == 2_000 and not matching.old_unmatched and not matching.new_unmatched
    assert list(matching.pairs["new"]) == list("n" + turns["segment_id"])


def test_the_default_name_is_never_one_the_project_has():
    assert default_name("iv_01", {"iv_01"}) == "iv_01-v2"
    assert default_name("iv_01", {"iv_01", "IV_01-v2"}) == "iv_01-v3"
    assert default_name("iv_01-v2", {"iv_01", "iv_01-v2"}) == "iv_01-v3"
    assert default_name("iv_01", {"iv_01", "iv_01-v2\u200b"}) == "iv_01-v3"  # taken, as --as refuses it


# ------------------------------------------------------------------ replace
def test_replace_carries_each_coders_current_codes_to_the_matching_segments(project, tmp_path, capsys):
    before = codings(project, tmp_path)
    capsys.readouterr()
    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path)), "--reason",
               "names redacted") == 0
    said = capsys.readouterr().err
    assert "iv_01 replaced by iv_01-v2" in said and "matched 6 exactly, 1 nearly" in said
    assert "not matched: 0 of iv_01's, 0 of iv_01-v2's; 9 codings carried over (" in said
    after = codings(project, tmp_path)
    old = before[before["document"] == "iv_01"]
    assert set(after["document"]) == {"iv_01-v2"}  # iv_02 has no coding; iv_01 is withdrawn
    assert rows(after) == rows(old) and len(after) == 9
    with ProjectStore(project) as store:
        assert store.withdrawn_documents() == ["iv_01"]
        assert list(store.documents()["document"]) == ["iv_01-v2", "iv_02"]  # in iv_01's place
        assert store.document_metadata("iv_01-v2") == {"site": "Ulm"}
        assert store.segment("iv_01-v2:1")["text"] == REDACTED[1]
        assert set(store.codings()["source"]) == {"carried from iv_01 by project replace"}
        assert store.suggestions(withdrawn=False)["segment_id"].str.startswith("iv_01-v2").sum() == 0


def test_the_replacement_takes_the_replaced_documents_place_in_the_documents_order(project, tmp_path, capsys):
    folder = tmp_path / "more"
    folder.mkdir()
    transcript(folder / "iv_03.txt", [("Interviewer", "And the weekends?"), ("Lee", "We visit my mother.")])
    assert run("project", "add", str(project), str(folder)) == 0
    with ProjectStore(project) as store:
        store.record_decisions([DecisionRequest(f"{document}:1", "add", "family", "ana", suggestions_shown=0)
                                for document in ("iv_03", "iv_02")])
    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path))) == 0
    assert run("project", "replace", str(project), "iv_02", str(transcript(tmp_path / "iv_02_fixed.txt", [
        ("Interviewer", "Tell me about the contract."), ("Kim", "I signed a new contract last week.")]))) == 0
    assert run("project", "export", str(project), "--qdpx", str(tmp_path / "study.qdpx")) == 0
    with zipfile.ZipFile(tmp_path / "study.qdpx") as qdpx:
        sources = re.findall(r'<TextSource [^>]*name="([^"]+)"', qdpx.read("project.qde").decode())
    assert sources == ["iv_01-v2", "iv_02-v2", "iv_03"]
    with ProjectStore(project) as store:
        assert list(store.documents()["document"]) == ["iv_01-v2", "iv_02-v2", "iv_03"]
        assert list(store.segments()["document"].unique()) == ["iv_01-v2", "iv_02-v2", "iv_03"]
        # the withdrawn one just before its replacement, as stored, however often read
        assert list(store.documents(withdrawn=True)["document"]) == ["iv_01", "iv_01-v2", "iv_02", "iv_02-v2",
                                                                     "iv_03"]
        assert list(store.segments(withdrawn=True)["document"].unique()) == [
            "iv_01", "iv_01-v2", "iv_02", "iv_02-v2", "iv_03"]
        assert [d.id for d in store.documents_with_text()] == ["iv_01-v2", "iv_02-v2", "iv_03"]
        assert store.withdrawn_documents() == ["iv_01", "iv_02"]
    capsys.readouterr()
    assert run("project", "info", str(project)) == 0
    added = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  added ")]
    assert "(project add)" in added[0] and "(project replace)" in added[-1]  # in the order they were made


def test_independent_counts_carried_codings_as_the_decisions_they_come_from(project, tmp_path):
    before = codings(project, tmp_path, "--independent")
    assert {coder for coder in before["coder"]} == {"ref", "ana"}  # bo decided with suggestions shown
    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path))) == 0
    after = codings(project, tmp_path, "--independent")
    assert rows(after) == rows(before[before["document"] == "iv_01"])
    with ProjectStore(project) as store:
        carried = store.carried_codings()
        assert set(zip(carried["coder"], carried["suggestions_shown"])) == {("ref", 0), ("ana", 0), ("bo", 1)}
        store.record_decisions([DecisionRequest("iv_01-v2:4", "add", "stigma", "ana", suggestions_shown=0)])
    # bo's carried coding on turn 4 (suggestions shown) does not make ana's independent decision there anchored
    assert (4, "stigma", "ana") in rows(codings(project, tmp_path, "--independent"))


def test_split_and_merged_turns_are_listed_with_their_codes_and_stay_on_the_withdrawn_document(project, tmp_path,
                                                                                              capsys):
    turns = [TURNS[0], TURNS[1], TURNS[2], ("Sam", TURNS[3][1] + " " + TURNS[4][1]), TURNS[5],
             ("Sam", "The bus to Ulm takes an hour."), ("Sam", "I go every day, and it is tiring but fine.")]
    file = transcript(tmp_path / "iv_01_fixed.txt", turns)
    capsys.readouterr()
    assert run("project", "replace", str(project), "iv_01", str(file), "--as", "iv_01_fixed") == 0
    said = capsys.readouterr().err
    assert "matched 4 exactly, 0 nearly; not matched: 3 of iv_01's, 3 of iv_01_fixed's" in said
    assert "3 coded segments of iv_01 found no match; kept only on iv_01, withdrawn" in said
    assert "iv_01:3 (ana: family; ref: family): My sister helps me with the children now." in said
    assert "iv_01:4 (bo: stigma; ref: stigma)" in said and "iv_01:6 (ana: other; ref: other)" in said
    table = codings(project, tmp_path)
    assert sorted(set(table["turn"])) == [1] and set(table["document"]) == {"iv_01_fixed"}


def test_dry_run_says_what_would_be_done_and_writes_nothing(project, tmp_path, capsys):
    before = content(project)
    capsys.readouterr()
    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path)), "--dry-run") == 0
    said = capsys.readouterr().err
    assert said.startswith("dry run, nothing was written: ") and "iv_01 would be replaced by iv_01-v2" in said
    assert "9 codings would be carried over" in said
    assert content(project) == before


@pytest.mark.parametrize("case, expected", [
    ("unknown", "document 'iv_09' is not in project study.taproj: nothing was replaced"),
    ("unknown case", "document 'IV_01' is not in project study.taproj (did you mean 'iv_01'? documents are matched "
     "as written): nothing was replaced"),
    ("unknown suffix", "document 'iv_01.txt' is not in project study.taproj (did you mean 'iv_01'? a document is named "
     "without its file's suffix): nothing was replaced"),
    ("withdrawn", "document 'iv_02' is withdrawn from study.taproj: only a document in the project can be replaced"),
    ("same", "has the same text as document 'iv_01': nothing to replace"),
    ("other", "has the text of document 'iv_02' of study.taproj, not a corrected 'iv_01': nothing was replaced"),
    ("other spaced", "has the text of document 'iv_02' of study.taproj, not a corrected 'iv_01': nothing was "
     "replaced"),
    ("taken", "--as 'iv_02': a document of that name is in study.taproj already"),
    ("taken withdrawn", "--as 'iv_02': a document of that name is withdrawn from study.taproj already"),
    ("taken case", "--as 'IV_02': a document of a name apart from it only in case or invisible characters ('iv_02') "
     "is in study.taproj already"),
    ("line break", "--as 'iv_01\\nfixed': give the new document a name without spaces around it or line breaks"),
    ("dash", "--as '-x': a name beginning with '-' is read as an option by every command that is given it (project "
     "withdraw, restore, replace); choose another, such as 'x'; nothing was replaced"),
    ("dashes taken", "--as '--iv_02': a name beginning with '-' is read as an option by every command that is given "
     "it (project withdraw, restore, replace); choose another, such as 'iv_01-v2'; nothing was replaced"),
    ("missing", "no such file (give the corrected transcript, one file); nothing was replaced"),
    ("unreadable", "is not a text file or its encoding could not be determined"),
    ("folder", "a folder (give the corrected transcript, one file); nothing was replaced"),
])
def test_refusals_are_one_line_and_change_nothing(project, tmp_path, capsys, case, expected):
    file, document, extra = corrected(tmp_path), "iv_01", []
    if case == "unknown":
        document = "iv_09"
    elif case.startswith("unknown "):
        document = "IV_01" if case == "unknown case" else "iv_01.txt"
    elif case in ("withdrawn", "taken withdrawn"):
        assert run("project", "withdraw", str(project), "iv_02") == 0
        document = "iv_02" if case == "withdrawn" else document
    if case == "same":
        file = transcript(tmp_path / "copy.txt", TURNS)
    elif case.startswith("other"):
        spaces = "  " if case == "other spaced" else " "
        file = transcript(tmp_path / "other.txt", [("Interviewer", "Tell me about the contract."),
                                                   ("Kim", f"I signed a new{spaces}employment contract last week.")])
    elif case in ("taken", "taken withdrawn"):
        extra = ["--as", "iv_02"]
    elif case == "taken case":
        extra = ["--as", "IV_02"]
    elif case == "line break":
        extra = ["--as", "iv_01\nfixed"]
    elif case == "dash":
        extra = ["--as", "-x"]  # click takes it as the option's value
    elif case == "dashes taken":
        extra = ["--as=--iv_02"]
    elif case == "missing":
        file = tmp_path / "nowhere.txt"
    elif case == "folder":
        file = tmp_path / "transcripts"
    elif case == "unreadable":
        file = tmp_path / "binary.txt"
        file.write_bytes(b"\x00\xff\xfe\x00" * 40)
    before = content(project)
    capsys.readouterr()
    assert run("project", "replace", str(project), document, str(file), *extra) != 0
    error = capsys.readouterr().err.strip()
    assert error.startswith("theme-assist: error: ") and len(error.splitlines()) == 1, error
    assert expected in error
    assert content(project) == before


def test_an_interruption_leaves_the_project_as_it_was(project, tmp_path, monkeypatch):
    before = content(project)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ProjectStore, "record_replacement", interrupted)
    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path))) == 130
    assert content(project) == before


def test_the_audit_trail_has_the_withdrawal_the_replacement_and_the_carried_codings(project, tmp_path):
    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path)), "--reason",
               "names redacted", "--author", "Ann") == 0
    assert run("project", "export", str(project), "--audit", str(tmp_path / "audit.csv")) == 0
    audit = pd.read_csv(tmp_path / "audit.csv", keep_default_na=False)
    documents = audit[audit["event"] == "document"]
    assert set(zip(documents["action"], documents["document"], documents["reason"], documents["actor"])) == {
        ("withdraw", "iv_01", "names redacted", "Ann"), ("add", "iv_01-v2", "7 segments", ""),
        ("replace", "iv_01-v2", "replaces iv_01: names redacted", "Ann")}
    carried = audit[audit["source"] == "carried from iv_01 by project replace"]
    assert len(carried) == 9 and set(carried["document"]) == {"iv_01-v2"} and set(carried["event"]) == {
        "human_coding"}
    assert (audit["document"] == "iv_01").sum() and audit.loc[audit["document"] == "iv_01", "withdrawn"].all()


def test_the_replaced_document_is_restored_only_once_its_replacement_is_withdrawn(project, tmp_path, capsys):
    before = codings(project, tmp_path)
    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path))) == 0
    state = content(project)
    capsys.readouterr()
    assert run("project", "restore", str(project), "iv_01") != 0
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "document 'iv_01' was replaced by 'iv_01-v2' (project replace)" in error
    assert content(project) == state
    assert run("project", "withdraw", str(project), "iv_01-v2", "--reason", "back to the original") == 0
    assert run("project", "restore", str(project), "iv_01") == 0
    assert rows(codings(project, tmp_path)) == rows(before)


def test_replacing_the_replaced_document_again_names_the_one_to_replace(project, tmp_path, capsys):
    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path))) == 0
    again = corrected(tmp_path, {1: "I met [NAME] at [PLACE] last spring, and he found me the job."}, "again.txt")
    assert run("project", "replace", str(project), "iv_01-v2", str(again)) == 0
    capsys.readouterr()
    assert run("project", "replace", str(project), "iv_01", str(again), "--dry-run") == 2
    error = capsys.readouterr().err.strip()
    assert error == ("theme-assist: error: document 'iv_01' was replaced by 'iv_01-v2' itself replaced by 'iv_01-v3' "
                     "(project replace): replace 'iv_01-v3', which is in the project; nothing was replaced")


def test_a_replacement_is_not_restored_while_the_document_it_replaced_is_back(project, tmp_path, capsys):
    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path))) == 0
    assert run("project", "withdraw", str(project), "iv_01-v2") == 0
    assert run("project", "restore", str(project), "iv_01") == 0
    before, state = codings(project, tmp_path), content(project)
    capsys.readouterr()
    assert run("project", "restore", str(project), "iv_01-v2") != 0
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "documents 'iv_01-v2' and 'iv_01' are versions of one transcript" in error
    assert f"withdraw 'iv_01' first (`theme-assist project withdraw {project} iv_01`)" in error
    assert content(project) == state and rows(codings(project, tmp_path)) == rows(before)
    again = corrected(tmp_path, {**REDACTED, 3: "My sister helps me with the kids now."}, name="v3.txt")
    assert run("project", "replace", str(project), "iv_01", str(again)) == 0  # iv_01-v3: iv_01-v2's sibling
    capsys.readouterr()
    assert run("project", "restore", str(project), "iv_01-v2") != 0
    assert "documents 'iv_01-v2' and 'iv_01-v3' are versions of one transcript" in capsys.readouterr().err
    assert run("project", "withdraw", str(project), "iv_01-v3") == 0
    assert run("project", "withdraw", str(project), "iv_01") == 0
    capsys.readouterr()
    assert run("project", "restore", str(project), "iv_01", "iv_01-v3") != 0  # both at once: as many as one
    assert "replaced by 'iv_01-v3' (project replace), which is restored with it: both would be in, the codings " \
        "carried over counted twice; restore one; nothing was changed" in capsys.readouterr().err


def test_a_second_replace_takes_the_next_name_and_carries_the_carried_codings_on(project, tmp_path, capsys):
    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path))) == 0
    again = corrected(tmp_path, {**REDACTED, 3: "My sister helps me with the kids now."}, name="v3.txt")
    capsys.readouterr()
    assert run("project", "replace", str(project), "iv_01-v2", str(again)) == 0
    assert "iv_01-v2 replaced by iv_01-v3" in capsys.readouterr().err
    table = codings(project, tmp_path, "--independent")
    assert set(table["document"]) == {"iv_01-v3"} and {"ref", "ana"} == set(table["coder"])
    capsys.readouterr()
    assert run("project", "restore", str(project), "iv_01") != 0  # its replacement's replacement is in
    assert "was replaced by 'iv_01-v2' itself replaced by 'iv_01-v3' (project replace)" in capsys.readouterr().err


def test_info_says_what_was_replaced_and_which_codings_were_carried(project, tmp_path, capsys):
    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path)), "--reason",
               "names redacted") == 0
    capsys.readouterr()
    assert run("project", "info", str(project)) == 0
    said = capsys.readouterr().out
    assert "1 document, 7 segments (project replace)" in said and ": iv_01 by iv_01-v2 (names redacted)" in said
    assert "  ref: 4 codings carried from iv_01 by project replace" in said


def test_info_names_who_replaced_a_document(project, tmp_path, capsys):
    """--author was kept (the audit trail's actor) but project info did not say it beside the reason."""
    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path)), "--reason",
               "names redacted", "--author", "Ann") == 0
    capsys.readouterr()
    assert run("project", "info", str(project)) == 0
    assert ": iv_01 by iv_01-v2 (names redacted; author Ann)\n" in capsys.readouterr().out


def test_codings_imported_without_a_coder_keep_the_name_the_exports_give_them(tmp_path):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    transcript(folder / "iv_01.txt", TURNS)
    (tmp_path / "codebook.yaml").write_text(CODEBOOK)
    pd.DataFrame({"document": "iv_01", "turn": [1, 3], "code": ["work", "family"]}).to_csv(tmp_path / "coded.csv",
                                                                                           index=False)
    project = tmp_path / "study.taproj"
    assert run("project", "init", str(project), "--codebook", str(tmp_path / "codebook.yaml"), "--input",
               str(folder), "--coded", str(tmp_path / "coded.csv")) == 0
    before = codings(project, tmp_path)
    assert set(before["coder"]) == {"coded.csv"}
    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path))) == 0
    after = codings(project, tmp_path)
    assert rows(after) == rows(before) and set(after["document"]) == {"iv_01-v2"}


def test_a_document_nobody_coded_is_replaced_with_nothing_to_carry(project, tmp_path, capsys):
    file = transcript(tmp_path / "iv_02_fixed.txt", [("Interviewer", "Tell me about the contract."),
                                                     ("Kim", "I signed a new employment contract last month.")])
    capsys.readouterr()
    assert run("project", "replace", str(project), "iv_02", str(file), "--as", "iv_02_fixed") == 0
    said = capsys.readouterr().err
    assert "matched 1 exactly, 1 nearly" in said and "0 codings carried over" in said and "found no match" not in said


def test_the_qdpx_describes_a_carried_coding_as_carried_not_as_imported_from_a_file(project, tmp_path):
    from theme_assist.project.audit import audit_codings

    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path))) == 0
    with ProjectStore(project) as store:
        human = audit_codings(store)[0]
    carried = human[human["segment_id"].str.startswith("iv_01-v2:")]
    assert len(carried) and set(carried["description"]) == {"carried from iv_01 by project replace"}
    assert not human["description"].str.contains("imported from carried").any()


def test_a_file_with_the_same_text_but_for_spaces_and_unicode_form_is_refused_as_the_matcher_reads_it(project,
                                                                                                     tmp_path, capsys):
    file = tmp_path / "iv_01_spaced.txt"
    file.write_text("".join(f"{speaker}:  {said.replace(' ', '  ')}  \n" for speaker, said in TURNS))
    before = content(project)
    capsys.readouterr()
    assert run("project", "replace", str(project), "iv_01", str(file)) == 2
    error = capsys.readouterr().err.strip()
    assert "same text as document 'iv_01' but for spaces" in error and "nothing to replace" in error
    assert len(error.splitlines()) == 1 and content(project) == before
    renamed = transcript(tmp_path / "iv_01_p1.txt", [(speaker.replace("Sam", "P1"), said) for speaker, said in TURNS])
    assert run("project", "replace", str(project), "iv_01", str(renamed)) == 0  # a speaker renamed is a change


def test_a_file_that_differs_only_in_its_header_comment_is_refused_saying_so(project, tmp_path, capsys):
    """A corrected header comment ("# Setting: ...") changes no segment: the refusal names it among what segments
    are compared without, not only spaces, line breaks and Unicode form, none of which changed."""
    file = tmp_path / "iv_01_header.txt"
    file.write_text("# Setting: an interview, Ulm\n" + "".join(f"{speaker}: {said}\n" for speaker, said in TURNS))
    capsys.readouterr()
    assert run("project", "replace", str(project), "iv_01", str(file)) == 2
    assert "or header comments ('#' lines before the first turn)" in capsys.readouterr().err


def test_a_turn_redacted_whole_matches_no_turn_it_could_be_any_of():
    assert similarity("I was in Ulm", "[REDACTED]") == 0.0 and similarity("I met John.", "I met [NAME].") == 1.0

    def segments(document: str, turns: list[tuple[str, str]]) -> pd.DataFrame:
        return pd.DataFrame([(f"{document}:{at}", speaker, said) for at, (speaker, said) in enumerate(turns)],
                            columns=["segment_id", "speaker", "text"])

    old = segments("o", [("I", "Where?"), ("Sam", "I hated the ward."), ("Sam", "We went home."), ("I", "Why?")])
    new = segments("n", [("I", "Where?"), ("Sam", "[REDACTED]"), ("I", "Why?")])
    matching = match_segments(old, new)
    assert matching.count("near") == 0 and matching.old_unmatched == ["o:1", "o:2"]
    assert matching.new_unmatched == ["n:1"]
    # two turns of Sam's left beside one redacted turn: either could be it, so neither is said to be in its place
    assert matching.redacted == {}
    # where it may stand in its place (one turn of its speaker left, and one such turn, between the same exact
    # matches), it is said
    one = segments("n", [("I", "Where?"), ("Sam", "[REDACTED]"), ("Sam", "We went home."), ("I", "Why?")])
    assert match_segments(old, one).redacted == {"o:1": "n:1"}
    twice = segments("n", [("I", "Where?"), ("Sam", "[REDACTED]"), ("Sam", "XXX ***"), ("I", "Why?")])
    assert not match_segments(old, twice).redacted  # two: which one is not known
    other = segments("n", [("I", "Where?"), ("I", "[REDACTED]"), ("Sam", "We went home."), ("I", "Why?")])
    assert not match_segments(old, other).redacted  # another speaker's


def test_a_coded_turn_redacted_whole_is_not_carried_and_the_report_names_the_turn_in_its_place(project, tmp_path,
                                                                                                capsys):
    """A coded turn redacted whole matches nothing and was listed as left behind with no word of where the new
    version has it, where its codes might be given again by hand."""
    capsys.readouterr()
    file = corrected(tmp_path, {**REDACTED, 4: "[REDACTED]"})
    assert run("project", "replace", str(project), "iv_01", str(file)) == 0
    said = capsys.readouterr().err
    assert ("iv_01:4 (bo: stigma; ref: stigma): Neighbours still whisper that I am crazy. (iv_01-v2:4 in its place is "
            "redacted whole: not carried)") in said
    assert 4 not in set(codings(project, tmp_path)["turn"])


def test_a_decision_on_a_segment_of_the_replaced_document_is_refused_naming_its_replacement(project, tmp_path):
    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path))) == 0
    with ProjectStore(project) as store:
        said = store.not_here("iv_01:4")
    assert said == ("segment 'iv_01:4' is of document 'iv_01', replaced by 'iv_01-v2' (project replace), its codes "
                    "carried over where segments matched: reload the page")


def test_a_speaker_label_redacted_as_a_placeholder_is_warned_of(project, tmp_path, capsys):
    file = transcript(tmp_path / "iv_01_labels.txt", [(speaker.replace("Sam", "[NAME]"), said)
                                                      for speaker, said in TURNS])
    capsys.readouterr()
    assert run("project", "replace", str(project), "iv_01", str(file), "--dry-run") == 0
    said = capsys.readouterr().err
    assert ("theme-assist: warning: 3 of iv_01_labels.txt's 3 segments have a line that starts with a placeholder "
            "and a colon ('[NAME]: ...'), which is not read as a speaker label") in said
    capsys.readouterr()
    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path)), "--dry-run") == 0
    assert "placeholder and a colon" not in capsys.readouterr().err


def test_exports_say_the_replaced_document_is_left_out_as_replaced_not_to_be_restored(project, tmp_path, capsys):
    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path))) == 0
    capsys.readouterr()
    assert run("project", "export", str(project), "--codings", str(tmp_path / "out.csv")) == 0
    said = capsys.readouterr().err
    assert ("theme-assist: warning: --codings leaves out the document iv_01, replaced by project replace (its codings "
            "carried over to the segments that matched; --audit keeps all)") in said and "restore" not in said


def middle_of_a_chain_restored(project: Path, tmp_path: Path) -> None:
    """iv_01 replaced by iv_01-v2, itself by iv_01-v3; v3 withdrawn and v2 restored."""
    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path))) == 0
    again = corrected(tmp_path, {1: "I met [NAME] at [PLACE] last spring, and he found me the job."}, "again.txt")
    assert run("project", "replace", str(project), "iv_01-v2", str(again)) == 0
    assert run("project", "withdraw", str(project), "iv_01-v3") == 0
    assert run("project", "restore", str(project), "iv_01-v2") == 0


def test_a_replacement_restored_in_the_middle_of_a_chain_still_stands_for_the_first(project, tmp_path, capsys):
    """iv_01 → iv_01-v2 → iv_01-v3; v3 withdrawn and v2 restored: v2 is iv_01's replacement in the project, so iv_01
    is still refused a restore and said replaced (not withdrawn) by the exports' warning."""
    middle_of_a_chain_restored(project, tmp_path)
    with ProjectStore(project) as store:
        assert store.replaced_by("iv_01") == ["iv_01-v2"] and store.replaced_by("iv_01-v2") == []
    capsys.readouterr()
    assert run("project", "restore", str(project), "iv_01") != 0
    assert "document 'iv_01' was replaced by 'iv_01-v2' (project replace)" in capsys.readouterr().err
    assert run("project", "export", str(project), "--codings", str(tmp_path / "out.csv")) == 0
    warned = capsys.readouterr().err
    assert "leaves out the document iv_01, replaced by project replace" in warned


def test_a_version_withdrawn_while_another_is_in_is_said_to_come_back_once_that_one_is_withdrawn(project, tmp_path,
                                                                                                 capsys):
    """iv_01 → iv_01-v2 → iv_01-v3; v3 withdrawn and v2 restored: v3's restore alone is refused while v2 is in, so
    the messages on v3 (its --document, the review's 404s) say so, not that the restore brings it back."""
    middle_of_a_chain_restored(project, tmp_path)
    with ProjectStore(project) as store:
        said = store.bring_back("iv_01-v3")
    assert said == (f"'iv_01-v2', another version of its transcript (project replace), is in the project: "
                    f"`theme-assist project withdraw {project} iv_01-v2`, then `theme-assist project restore {project} "
                    "iv_01-v3` bring it back")
    capsys.readouterr()
    assert run("project", "withdraw", str(project), "iv_01-v2") == 0
    assert run("project", "restore", str(project), "iv_01-v3") == 0


def test_the_review_queue_and_undo_name_the_replacement_of_a_replaced_document(project, tmp_path):
    from theme_assist.project.store import NotFound
    from theme_assist.review.views import queue

    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path))) == 0
    with ProjectStore(project) as store:
        with pytest.raises(NotFound, match="document 'iv_01' is withdrawn from this project \\(replaced by 'iv_01-v2' "
                                           "\\(project replace\\), its codes carried over where segments matched\\)"):
            queue(store, "ana", document="iv_01")


def test_a_document_named_in_another_unicode_form_is_replaced(tmp_path, capsys):
    """A Mac writes "zu" + a combining diaeresis + "rich" where the project stores "zürich" (project add, withdraw
    and restore take either form): replace refused it as no document of the project."""
    composed, decomposed = "z\u00fcrich", "zu\u0308rich"
    folder = tmp_path / "transcripts"
    folder.mkdir()
    transcript(folder / f"{composed}.txt", TURNS)
    (tmp_path / "codebook.yaml").write_text(CODEBOOK)
    path = tmp_path / "study.taproj"
    assert run("project", "init", str(path), "--codebook", str(tmp_path / "codebook.yaml"), "--input",
               str(folder)) == 0
    capsys.readouterr()
    assert run("project", "replace", str(path), decomposed, str(corrected(tmp_path))) == 0
    assert f"{path}: {composed} replaced by {composed}-v2 (" in capsys.readouterr().err
    with ProjectStore(path) as store:
        assert store.withdrawn_documents() == [composed] and list(store.documents()["document"]) == [f"{composed}-v2"]


def test_the_segments_waiting_to_be_recoded_after_a_split_are_named_not_dropped_in_silence(project, tmp_path,
                                                                                          capsys):
    """A split code reads as no code until recoded: nothing of it is carried, and the new document does not list
    its segments to recode; the replace says which segments waited, and where the new version has them."""
    split = tmp_path / "split.yaml"
    split.write_text(CODEBOOK.replace("  - id: work\n    name: Paid work\n", "  - id: unpaid_work\n    name: Unpaid "
                                      "work\n    definition: Care.\n  - id: paid_work\n    name: Paid work\n"))
    assert run("project", "codebook", str(project), "--codebook", str(split), "--recode", "work") == 0
    with ProjectStore(project) as store:
        assert sorted(store.to_recode()["coder"]) == ["ana", "bo", "ref"]
    capsys.readouterr()
    assert run("project", "replace", str(project), "iv_01", str(corrected(tmp_path))) == 0
    said = capsys.readouterr().err
    assert ("1 segment of iv_01 waited to be recoded (work split by a codebook revision): nothing of the split code "
            "is carried, and iv_01-v2 does not list them to recode; code them there by hand:\n"
            "  iv_01:1 → iv_01-v2:1 (") in said
    with ProjectStore(project) as store:
        assert store.to_recode().empty
