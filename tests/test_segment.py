"""Segmentation: units, exact offsets (property-tested), length limits, ids, and segments from tables."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from theme_assist.documents import SEGMENT_COLUMNS, Document, Turn
from theme_assist.errors import InputError
from theme_assist.ingest.speakers import parse_turns
from theme_assist import segment
from theme_assist.segment import segment_documents, segmenters, segments_from_table

TRANSCRIPT = (
    "# header\n"
    "Moderator: Welcome. Who wants to start?\n"
    "Anna: I can. It was hard at first.\n"
    "\n"
    "Then it got better! Really.\n"
    "Bob:   Same.  \n"
)


def transcript(text: str = TRANSCRIPT, document_id: str = "fg") -> Document:
    return Document(id=document_id, text=text, turns=parse_turns(text))


def check_invariants(segments: pd.DataFrame, documents: list[Document], max_chars: int | None) -> None:
    """The guarantees every segments table gives."""
    assert list(segments.columns) == SEGMENT_COLUMNS
    assert segments["segment_id"].is_unique
    texts = {d.id: d.text for d in documents}
    for row in segments.itertuples():
        assert texts[row.document][row.start:row.end] == row.text
        assert row.text and row.text == row.text.strip()
        if max_chars is not None:
            assert len(row.text) <= max_chars
    for _, group in segments.groupby("document"):
        assert list(group["position"]) == list(range(len(group)))
        assert (group["start"].iloc[1:].to_numpy() >= group["end"].iloc[:-1].to_numpy()).all()


def test_turn_segments_strip_whitespace_by_moving_offsets():
    document = transcript()
    segments = segment_documents([document])
    check_invariants(segments, [document], 1000)
    assert list(segments["segment_id"]) == ["fg:0", "fg:1", "fg:2"]
    assert list(segments["speaker"]) == ["Moderator", "Anna", "Bob"]
    assert list(segments["text"]) == [
        "Welcome. Who wants to start?",
        "I can. It was hard at first.\n\nThen it got better! Really.",
        "Same.",
    ]
    assert list(segments["turn"]) == [0, 1, 2]


def test_paragraph_segments_split_turns_at_blank_lines():
    segments = segment_documents([transcript()], unit="paragraph")
    assert list(segments["text"]) == [
        "Welcome. Who wants to start?",
        "I can. It was hard at first.",
        "Then it got better! Really.",
        "Same.",
    ]
    assert list(segments["turn"]) == [0, 1, 1, 2]
    assert list(segments["speaker"]) == ["Moderator", "Anna", "Anna", "Bob"]


def test_sentence_segments_never_cross_turns_or_paragraphs():
    segments = segment_documents([transcript()], unit="sentence")
    assert list(segments["text"]) == [
        "Welcome.", "Who wants to start?", "I can.", "It was hard at first.", "Then it got better!", "Really.", "Same.",
    ]
    assert list(segments["turn"]) == [0, 0, 1, 1, 1, 1, 2]
    assert list(segments["position"]) == list(range(7))


def test_a_transcribers_note_or_quote_after_a_sentence_opens_the_next_sentence(monkeypatch):
    """spaCy's sentencizer keeps punctuation with the sentence before it: "Because I have a list. [" and
    "laughter]" were two of the demo's sentences (23 notes cut so)."""
    text = ('Dana: Because I have a list. [laughter] She said. "No way," he said. (inaudible 00:12) Fine. '
            "\u201cQuote.\u201d Then.\n")
    document = transcript(text)
    segments = segment_documents([document], unit="sentence")
    check_invariants(segments, [document], 1000)
    assert list(segments["text"]) == ["Because I have a list.", "[laughter] She said.", '"No way," he said.',
                                      "(inaudible 00:12) Fine.", "\u201cQuote.\u201d", "Then."]
    # read a chunk at a time, a note after the last sentence of a chunk opens the next one too
    monkeypatch.setattr(segment, "SENTENCIZER_CHUNK", 30)
    assert list(segment_documents([document], unit="sentence")["text"]) == list(segments["text"])


def test_long_turn_is_split_at_sentence_boundaries():
    sentences = [f"This is sentence number {n} of a long answer." for n in range(10)]
    text = "Anna: " + " ".join(sentences) + "\n"
    document = transcript(text)
    segments = segment_documents([document], max_chars=100)
    check_invariants(segments, [document], 100)
    assert len(segments) == 5
    assert all(piece.endswith("answer.") for piece in segments["text"])
    assert set(segments["turn"]) == {0}
    assert " ".join(segments["text"]) == " ".join(sentences)


def test_sentence_longer_than_limit_is_split_at_whitespace_and_long_words_are_cut():
    text = "Anna: " + " ".join(["word"] * 60) + " " + "x" * 45 + "\n"
    document = transcript(text)
    segments = segment_documents([document], max_chars=20)
    check_invariants(segments, [document], 20)
    assert all(piece.split() and set(piece.split()) <= {"word", "x" * 20, "x" * 5} for piece in segments["text"])


@pytest.mark.parametrize("unit", ["sentence", "turn"])
def test_a_long_run_of_punctuation_is_segmented_in_linear_time(unit):
    """spaCy's tokenizer strips a token's punctuation one character at a time: 40,000 "=" (a pasted separator, a
    hostile file) took minutes, 300,000 "[" hours."""
    import time

    text = "Anna: Before. " + "=" * 40_000 + " After it.\nBob: [[[" + "[" * 40_000 + "x.\n"
    documents = [transcript(text, "rule")]
    started = time.perf_counter()
    segments = segment_documents(documents, unit=unit, max_chars=1000)
    assert time.perf_counter() - started < 60  # a hang, not a speed check: minutes without the fix
    check_invariants(segments, documents, 1000)
    assert "".join(segments["text"]).count("=") == 40_000 and "".join(segments["text"]).count("[") == 40_003
    if unit == "sentence":
        assert segments["text"].iloc[0] == "Before."


@pytest.mark.parametrize("unit, max_chars", [("sentence", None), ("turn", 60)])
def test_a_long_paragraph_reaches_the_sentencizer_in_pieces(monkeypatch, unit, max_chars):
    # a spaCy Doc takes about a hundred times its text in memory: a transcript on one line must not be one Doc
    sentencizer = segment._sentencizer()
    given_lengths: list[int] = []

    def measured(text):
        given_lengths.append(len(text))
        return sentencizer(text)

    monkeypatch.setattr(segment, "SENTENCIZER_CHUNK", 100)
    monkeypatch.setattr(segment, "_sentencizer", lambda: measured)
    text = "Anna: " + "It was hard at first.\n" * 10 + "It got better. " * 10
    documents = [transcript(text, "long")]
    segments = segment_documents(documents, unit=unit, max_chars=max_chars)
    assert given_lengths and max(given_lengths) <= 100
    check_invariants(segments, documents, max_chars)
    if unit == "sentence":
        assert segments["text"].tolist() == ["It was hard at first."] * 10 + ["It got better."] * 10


def test_csv_segment_ids_are_kept_for_turns_and_suffixed_when_split():
    document = Document(
        id="d",
        text="Short one.\nA first sentence here. A second sentence here.",
        turns=[Turn(0, 10, "Anna", id="s1"), Turn(11, 57, "Bob", id="s2")],
    )
    assert list(segment_documents([document])["segment_id"]) == ["s1", "s2"]
    assert list(segment_documents([document], max_chars=30)["segment_id"]) == ["s1", "s2.1", "s2.2"]
    assert list(segment_documents([document], unit="sentence")["segment_id"]) == ["d:0", "d:1", "d:2"]


def test_document_without_turns_is_one_turn():
    segments = segment_documents([Document(id="plain", text="  Just text.  ")])
    assert list(segments[["segment_id", "start", "end", "text", "speaker"]].itertuples(index=False, name=None)) == [
        ("plain:0", 2, 12, "Just text.", "")
    ]


def test_whitespace_turns_are_skipped_and_no_documents_give_an_empty_table():
    document = Document(id="d", text="   \nHi", turns=[Turn(0, 3), Turn(4, 6)])
    assert list(segment_documents([document])["segment_id"]) == ["d:0"]
    empty = segment_documents([])
    assert empty.empty and list(empty.columns) == SEGMENT_COLUMNS


def test_unknown_unit_lists_the_registered_ones():
    assert sorted(segmenters.get_all()) == ["paragraph", "sentence", "turn"]
    with pytest.raises(InputError, match="unknown segmentation unit 'word'; choose one of: paragraph, sentence, turn"):
        segment_documents([transcript()], unit="word")


def test_bad_max_chars_and_repeated_ids_are_refused():
    with pytest.raises(InputError, match="max_chars must be at least 1"):
        segment_documents([transcript()], max_chars=0)
    with pytest.raises(InputError, match="segment id 'fg:0' occurs twice"):
        segment_documents([transcript(), transcript()])


def test_segmentation_is_deterministic():
    documents = [transcript(), transcript(document_id="other")]
    for unit in segmenters.get_all():
        pd.testing.assert_frame_equal(
            segment_documents(documents, unit=unit, max_chars=25), segment_documents(documents, unit=unit, max_chars=25)
        )


transcript_texts = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80),
        st.sampled_from(
            ["Anna: ", "[00:01:02] Bob: ", "\n", "\n\n", "  ", ". ", "? ", "# note\n", "Note: x", "\u00a0"]
        ),
    ),
    max_size=20,
).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=transcript_texts, unit=st.sampled_from(["turn", "sentence", "paragraph"]),
       max_chars=st.one_of(st.none(), st.integers(1, 60)))
def test_offsets_always_point_at_the_segment_text(text, unit, max_chars):
    documents = [transcript(text)]
    segments = segment_documents(documents, unit=unit, max_chars=max_chars)
    check_invariants(segments, documents, max_chars)
    covered = "".join(text[s:e] for s, e in zip(segments["start"], segments["end"]))
    if unit == "turn" and max_chars is None:
        turns = documents[0].turns or [Turn(0, len(text))]  # no turns: the whole text is one
        assert covered == "".join(text[t.start:t.end].strip() for t in turns)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=transcript_texts, data=st.data())
def test_offsets_hold_with_headings_a_reader_names(text, data):
    """Headings named by offset (a Word heading paragraph) start turns without changing the text: every turn and
    segment still points at its text, and turns follow one another."""
    headings = data.draw(st.sets(st.integers(0, len(text))))
    document = Document(id="fg", text=text, turns=parse_turns(text, headings))
    for turn, after in zip(document.turns, document.turns[1:]):
        assert turn.end <= after.start
    for turn in document.turns:
        assert text[turn.start:turn.end] and text[turn.start:turn.end] == text[turn.start:turn.end].strip()
    check_invariants(segment_documents([document]), [document], 1000)


def test_segments_from_table_keep_ids_and_point_into_the_joined_text():
    table = pd.DataFrame(
        {
            "segment_id": ["a1", "a2", "b1", "a3"],
            "document": ["a", "a", "b", "a"],
            "speaker": ["Anna", "Bob", "Eve", "Anna"],
            "text": ["First.", "  Second.  ", "Other.", "Third."],
        }
    )
    segments = segments_from_table(table)
    assert list(segments["segment_id"]) == ["a1", "a2", "a3", "b1"]
    assert list(segments["text"]) == ["First.", "Second.", "Third.", "Other."]
    joined = "First.\n  Second.  \nThird."
    for row in segments[segments["document"] == "a"].itertuples():
        assert joined[row.start:row.end] == row.text
    assert list(segments["position"]) == [0, 1, 2, 0]


def test_segments_from_table_with_repeated_ids_for_several_codes():
    table = pd.DataFrame(
        {"segment_id": ["s1", "s1", "s2"], "text": ["Same.", "Same.", "Next."], "code": ["a", "b", ""]}
    )
    segments = segments_from_table(table, source="CODED.csv")
    assert list(segments["segment_id"]) == ["s1", "s2"]
    assert set(segments["document"]) == {"CODED"}


def test_segments_from_table_refuses_missing_columns_and_conflicting_ids():
    with pytest.raises(InputError, match="SEGMENTS.csv: missing column 'segment_id'"):
        segments_from_table(pd.DataFrame({"text": ["x"]}), source="SEGMENTS.csv")
    with pytest.raises(InputError, match="SEGMENTS.csv: missing column 'text'"):
        segments_from_table(pd.DataFrame({"segment_id": ["x"]}), source="SEGMENTS.csv")
    with pytest.raises(InputError, match="segment_id 's1' has two different texts"):
        segments_from_table(pd.DataFrame({"segment_id": ["s1", "s1"], "text": ["one", "two"]}))


def test_segments_from_table_can_number_rows_without_ids():
    table = pd.DataFrame({"document": ["d", "d"], "text": ["One.", "Two."]})
    segments = segments_from_table(table, require_ids=False)
    assert list(segments["segment_id"]) == ["d:0", "d:1"]


def test_a_segments_table_whose_texts_are_all_blank_is_refused():
    with pytest.raises(InputError, match="every row's text is blank"):
        segments_from_table(pd.DataFrame({"segment_id": ["1", "2"], "text": ["", "  "]}), source="SEGMENTS.csv")


def test_segments_from_table_names_the_lines_of_rows_without_text(caplog):
    table = pd.DataFrame({"segment_id": ["s1", "s2", "s3", "s4"], "text": ["hello", "", "bye", "  "]})
    with caplog.at_level("WARNING"):
        segments = segments_from_table(table, source="SEGMENTS.csv")
    assert list(segments["segment_id"]) == ["s1", "s3"]
    assert "SEGMENTS.csv: 2 row(s) with no text left out (line 3, 5)" in caplog.text


def test_a_segmentation_tag_names_the_version_and_options_and_a_table_of_another_is_found():
    from theme_assist.segment import SEGMENTATION_VERSION, other_segmentation, segmentation_tag

    assert segmentation_tag() == f"v{SEGMENTATION_VERSION}-turn-1000"
    assert segmentation_tag("sentence", None) == f"v{SEGMENTATION_VERSION}-sentence-none"
    table = pd.DataFrame({"segment_id": ["a:0", "a:1"], "segmentation": [segmentation_tag(), " "]})
    assert other_segmentation(table, segmentation_tag()) is None  # this one's, or empty: as without the column
    assert other_segmentation(table.drop(columns="segmentation"), segmentation_tag()) is None
    assert other_segmentation(table, segmentation_tag("sentence")) == segmentation_tag()
    assert other_segmentation(table.assign(segmentation=["v0-turn-1000", ""]), segmentation_tag()) == "v0-turn-1000"


def test_version_2_reads_the_options_of_a_version_1_tag_and_says_tables_of_the_two_differ():
    """Version 2 joins a subtitle speaker's consecutive cues into one turn: a version-1 project is still segmented
    with its options (project add), but tables of the two versions may name other segments by one id."""
    from theme_assist.segment import (SEGMENTATION_VERSION, options_of, same_turns, segmentation_difference,
                                      segmented_alike)

    assert SEGMENTATION_VERSION == 2
    assert options_of("v1-sentence-500") == ("sentence", 500) and options_of("v2-turn-none") == ("turn", None)
    assert options_of("v0-turn-1000") is None and options_of("v3-turn-1000") is None and options_of("turn") is None
    # what version 2 changed is said: the tables of a study without subtitles or headings name the same segments
    assert segmentation_difference("v1-turn-1000", "v2-turn-1000") == (
        "theme_assist's segmentation version 1 vs 2 (version 2 joins a .vtt/.srt speaker's consecutive cues into "
        "one turn and starts a turn at a heading after the first turn)")
    assert segmentation_difference("v2-turn-1000", "v1-sentence-1000") == (
        "theme_assist's segmentation version 2 vs 1 (version 2 joins a .vtt/.srt speaker's consecutive cues into "
        "one turn and starts a turn at a heading after the first turn), --unit turn vs sentence")
    assert segmentation_difference("v2-turn-1000", "v2-turn-500") == "--max-chars 1000 vs 500"
    # turns numbered alike but in subtitles and at headings, whose turns a caller checks by their texts
    assert same_turns("v1-turn-1000", "v2-sentence-500") and not same_turns("v0-turn-1000", "v2-turn-1000")
    table = pd.DataFrame({"segment_id": ["a:0", "a:1"], "document": "a", "start": [0, 10], "end": [9, 30],
                          "turn": [0, 1], "position": [0, 1]})
    # turns of at most 20 characters split by neither limit: alike under one version, not across two (a subtitle
    # document's last turn in the table may go on in the next cue under version 2)
    assert segmented_alike(table.assign(segmentation="v2-turn-1000"), "v2-turn-500")
    assert segmented_alike(table.assign(segmentation="v1-turn-1000"), "v1-turn-500")
    assert not segmented_alike(table.assign(segmentation="v1-turn-1000"), "v2-turn-1000")
    assert not segmented_alike(table.assign(segmentation="v2-turn-1000"), "v1-turn-500")
