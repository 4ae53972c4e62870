"""Plain-text transcripts: speaker labels, timestamps, header comments, continuation lines, encodings, limits."""

from __future__ import annotations

import logging
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theme_assist.errors import InputError
from theme_assist.ingest import NotATranscript, decoding, read_documents
from theme_assist.ingest.speakers import parse_turns


def turns_of(tmp_path, text: str, name: str = "t.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    (document,) = read_documents(path)
    return document, [(t.speaker, t.timestamp, document.text[t.start:t.end]) for t in document.turns]


def test_speaker_turns_with_continuation_lines_and_header(tmp_path):
    text = (
        "# Illustrative transcript, written for tests\n"
        "# Site: Ulm\n"
        "\n"
        "Moderator: Welcome, everyone.\n"
        "Anna: Well, um, I think it was hard\n"
        "at first, and then it got better.\n"
        "\n"
        "It really did.\n"
        "Peer worker 2 (Kampala, Uganda): Same for me.\n"
    )
    document, turns = turns_of(tmp_path, text)
    assert document.id == "t"
    assert document.text == text
    assert turns == [
        ("Moderator", "", "Welcome, everyone."),
        ("Anna", "", "Well, um, I think it was hard\nat first, and then it got better.\n\nIt really did."),
        ("Peer worker 2 (Kampala, Uganda)", "", "Same for me."),
    ]


@pytest.mark.parametrize(
    "line, speaker, timestamp",
    [
        ("[00:01:02] Anna: hello there", "Anna", "00:01:02"),
        ("00:01:02 Anna: hello there", "Anna", "00:01:02"),
        ("(00:01:02) Anna: hello there", "Anna", "00:01:02"),
        ("[01:02] Anna: hello there", "Anna", "01:02"),
        ("[00:01:02.500] Anna: hello there", "Anna", "00:01:02.500"),
        ("Anna [00:01:02]: hello there", "Anna", "00:01:02"),
        ("Anna (00:01:02): hello there", "Anna", "00:01:02"),
        ("[00:01:02] hello there", "", "00:01:02"),
        ("01:02 Anna: hello there", "Anna", "01:02"),
        ("0:03 - Anna: hello there", "Anna", "0:03"),
    ],
)
def test_timestamp_forms(tmp_path, line, speaker, timestamp):
    _, turns = turns_of(tmp_path, f"Bob: first\n{line}\n")
    assert turns[1] == (speaker, timestamp, "hello there")


def test_minutes_and_seconds_before_every_label_are_timestamps_but_not_in_running_text(tmp_path):
    # "00:01 Interviewer: ..." (minutes and seconds, no brackets) started no turn: the whole interview was one turn
    # without speaker; a time without hours and without a label after it is still running text
    _, turns = turns_of(tmp_path, "00:01 Interviewer: How are you?\n00:04 P1: Fine. We met at\n"
                                  "10:30 in the clinic.\n00:09 Interviewer: Ok.\n")
    assert turns == [("Interviewer", "00:01", "How are you?"), ("P1", "00:04", "Fine. We met at\n10:30 in the clinic."),
                     ("Interviewer", "00:09", "Ok.")]


def test_timestamp_turn_offsets_point_into_the_file_text(tmp_path):
    text = "[00:00:01] Interviewer: How are you?\r\n00:00:04 Anna: Fine.\r\n"
    document, turns = turns_of(tmp_path, text)
    assert "\r" not in document.text
    assert document.text == text.replace("\r\n", "\n")
    assert [t.start for t in document.turns] == [document.text.index("How"), document.text.index("Fine")]
    assert turns[1] == ("Anna", "00:00:04", "Fine.")


def test_colons_in_running_text_are_not_speaker_labels(tmp_path):
    text = (
        "Anna: I looked it up on the website\n"
        "http://example.org/peer: it has the leaflets.\n"
        "Bob: Okay. She told me, and I quote: go home and rest.\n"
        "Anna: We met at 10:30 in the morning and\n"
        "Note: this continues the sentence above.\n"
        "Bob: right\n"
        "the nurse said: never again\n"
    )
    _, turns = turns_of(tmp_path, text)
    assert [speaker for speaker, _, _ in turns] == ["Anna", "Bob", "Anna", "Bob"]
    assert turns[0][2].endswith("it has the leaflets.")
    assert turns[2][2] == "We met at 10:30 in the morning and\nNote: this continues the sentence above."
    assert turns[3][2] == "right\nthe nurse said: never again"


def test_single_label_after_complete_sentence_is_a_speaker(tmp_path):
    _, turns = turns_of(tmp_path, "Anna: so I was --\nDr. Okafor: yes?\nAnna: never mind.\n")
    assert [speaker for speaker, _, _ in turns] == ["Anna", "Dr. Okafor", "Anna"]


def test_one_off_labels_like_the_other_labels_are_speakers_after_an_unfinished_line(tmp_path):
    text = (
        "Moderator: What did peer support mean to you?\n"
        "P1: It meant someone who had been there\n"
        "P2: For me it was about hope, honestly\n"
        "P1: Yes exactly\n"
        "P3: I never had that\n"
        "Moderator: Thank you all.\n"
    )
    _, turns = turns_of(tmp_path, text)
    assert [speaker for speaker, _, _ in turns] == ["Moderator", "P1", "P2", "P1", "P3", "Moderator"]
    assert turns[2] == ("P2", "", "For me it was about hope, honestly")
    text = "Anna: I was at the clinic and\nthe nurse was there\nSPEAKER_00: hm, right\nSPEAKER_01: yes and\n" \
           "Moderator: Thanks.\nSPEAKER_00: ok\n"  # running prose: only labels like the others count
    _, turns = turns_of(tmp_path, text, name="prose.txt")
    assert [speaker for speaker, _, _ in turns] == ["Anna", "SPEAKER_00", "SPEAKER_01", "Moderator", "SPEAKER_00"]


@pytest.mark.parametrize("text, speakers", [
    ("I: Hello\nP: Hi there\n", ["I", "P"]),
    ("I:\tHello\nP:\tHi there", ["I", "P"]),
    ("Anna: Hello\nBob: Hi there\n", ["Anna", "Bob"]),  # no running prose: every line is a turn
])
def test_one_off_labels_are_speakers_in_a_text_of_labelled_lines(tmp_path, text, speakers):
    _, turns = turns_of(tmp_path, text)
    assert turns == [(speakers[0], "", "Hello"), (speakers[1], "", "Hi there")]


def test_a_one_off_label_unlike_the_others_after_an_unfinished_line_is_running_text(tmp_path):
    _, turns = turns_of(tmp_path, "P1: We went there and\nNote: it was closed\nmore text here\nP2: Okay.\n")
    assert turns == [("P1", "", "We went there and\nNote: it was closed\nmore text here"), ("P2", "", "Okay.")]


def test_header_fields_at_the_top_are_no_speakers(tmp_path):
    _, turns = turns_of(tmp_path, "Date: 12 May 2019\nLocation: Ulm\nTime: 10:30\n\nInterviewer: Welcome.\n"
                                  "Anna: Thank you.\n")
    assert [speaker for speaker, _, _ in turns] == ["", "Interviewer", "Anna"]
    assert turns[0][2] == "Date: 12 May 2019\nLocation: Ulm\nTime: 10:30"


@pytest.mark.parametrize("page_break", ["\x0c", "\u2028", "\u2029", "\x85", "\n\x0c"])
def test_a_page_or_line_separator_before_a_label_breaks_the_line(page_break):
    text = f"I: How was it?\nP: It was fine.{page_break}I: And then?\nP: Then it got better.\n"
    turns = parse_turns(text)
    assert [(t.speaker, text[t.start:t.end]) for t in turns] == [
        ("I", "How was it?"), ("P", "It was fine."), ("I", "And then?"), ("P", "Then it got better.")
    ]


@pytest.mark.parametrize("text", [
    "[00:01:02 - 00:01:09] Anna: Hello there.\n[00:01:10 - 00:01:15] Ben: Hi.\n",
    "(00:01:02–00:01:09) Anna: Hello there.\n(00:01:10–00:01:15) Ben: Hi.\n",
    "00:01:02 - 00:01:09 Anna: Hello there.\n00:01:10 - 00:01:15 Ben: Hi.\n",
    "00:01:02 - Anna: Hello there.\n00:01:10 - Ben: Hi.\n",
    "[00:01:02] - Anna: Hello there.\n[00:01:10] - Ben: Hi.\n",
    "Anna [00:01:02 - 00:01:09]: Hello there.\nBen [00:01:10 - 00:01:15]: Hi.\n",
])
def test_time_ranges_and_a_dash_after_the_timestamp(tmp_path, text):
    _, turns = turns_of(tmp_path, text)
    assert turns == [("Anna", "00:01:02", "Hello there."), ("Ben", "00:01:10", "Hi.")]


@pytest.mark.parametrize("annotation", ["[laughs]", "(laughs)"])
def test_an_annotation_after_a_label_is_not_part_of_the_speaker(tmp_path, annotation):
    _, turns = turns_of(tmp_path, f"P1 {annotation}: That is funny.\nI: Is it?\nP1 {annotation}: Yes.\n")
    assert turns == [("P1", "", "That is funny."), ("I", "", "Is it?"), ("P1", "", "Yes.")]


def test_a_parenthesised_name_part_stays_unless_the_label_also_occurs_bare(tmp_path):
    _, turns = turns_of(tmp_path, "Interviewer (I): Hi.\nP1: Hello.\nInterviewer (I): Good.\n")
    assert [speaker for speaker, _, _ in turns] == ["Interviewer (I)", "P1", "Interviewer (I)"]
    _, turns = turns_of(tmp_path, "Interviewer (I): Hi.\nP1: Hello.\nInterviewer: Good.\n", name="b.txt")
    assert [speaker for speaker, _, _ in turns] == ["Interviewer", "P1", "Interviewer"]


def test_a_title_with_a_full_stop_is_part_of_a_label_but_a_sentence_end_is_not(tmp_path):
    _, turns = turns_of(tmp_path, "Prof. Lee: Hello.\nAnna: Hi.\nProf. Lee: Good.\nCapt. Ruiz: Yes.\n")
    assert [speaker for speaker, _, _ in turns] == ["Prof. Lee", "Anna", "Prof. Lee", "Capt. Ruiz"]
    _, turns = turns_of(tmp_path, "Anna: We agreed.\nSo that. Then: the plan.\nBen: Right.\n", name="b.txt")
    assert turns[0] == ("Anna", "", "We agreed.\nSo that. Then: the plan.")


def test_labels_in_scripts_without_case_and_with_the_full_width_colon(tmp_path):
    _, turns = turns_of(tmp_path, "主持人：你好吗？\n张伟：我很好。\n主持人： 谢谢。\n")
    assert turns == [("主持人", "", "你好吗？"), ("张伟", "", "我很好。"), ("主持人", "", "谢谢。")]
    _, turns = turns_of(tmp_path, "Interviewer: How was it?\nरवि: ठीक था।\nInterviewer: Thanks.\n", name="hi.txt")
    assert [speaker for speaker, _, _ in turns] == ["Interviewer", "रवि", "Interviewer"]  # once, but a speaker


@pytest.mark.parametrize("space", ["\u00a0", "\u202f"], ids=["no-break", "narrow-no-break"])
def test_a_no_break_space_before_the_colon_as_french_typography_has_it(tmp_path, space):
    # Word's French autocorrect puts one there: no label was found
    _, turns = turns_of(tmp_path, f"Intervieweur{space}: Où étiez-vous ?\nMarie{space}: À l’hôpital.\n")
    assert [(speaker, said) for speaker, _, said in turns] == [("Intervieweur", "Où étiez-vous ?"),
                                                                ("Marie", "À l’hôpital.")]


@pytest.mark.parametrize("text", [
    "\u200fמראיין: שלום, מה שלומך?\n\u200fדנה: טוב, תודה.\n",
    "מראיין\u200f: שלום, מה שלומך?\nדנה\u200f: טוב, תודה.\n",
    "\u2067מראיין\u2069: שלום, מה שלומך?\n\u2067דנה\u2069: טוב, תודה.\n",
], ids=["mark-first", "mark-before-colon", "isolate"])
def test_direction_marks_around_hebrew_labels_are_not_part_of_them(tmp_path, text):
    # Word and editors put right-to-left marks at the start of Hebrew lines: no label was found, and the whole
    # interview was one turn without speaker
    _, turns = turns_of(tmp_path, text)
    assert [(speaker, said) for speaker, _, said in turns] == [("מראיין", "שלום, מה שלומך?"), ("דנה", "טוב, תודה.")]


def test_a_direction_mark_before_a_bare_long_time_still_starts_a_turn():
    # "\u200f00:01:02 hello" was taken for a time without hours, which needs a label: the two lines were one turn
    text = "\u200f00:01:02 hello\n\u200f00:01:09 more\n"
    assert [(turn.timestamp, text[turn.start:turn.end]) for turn in parse_turns(text)] == [
        ("00:01:02", "hello"), ("00:01:09", "more")]


@pytest.mark.parametrize("spaces", [" " * 10_000, " \t" * 5_000], ids=["spaces", "spaces-and-tabs"])
def test_a_long_run_of_spaces_in_a_line_is_read_in_linear_time(spaces):
    # a layout export (pdftotext -layout) pads lines with spaces; the label pattern once took seconds per line
    text = f"Anna{spaces}said so.\nBen{spaces}: {spaces}Yes.\n"
    started = time.perf_counter()
    turns = parse_turns(text)
    assert time.perf_counter() - started < 1
    assert [(turn.speaker, text[turn.start:turn.end]) for turn in turns] == [
        ("", f"Anna{spaces}said so."), ("Ben", "Yes."),
    ]


def test_many_labels_each_used_once_are_read_in_linear_time():
    """A survey export of one answer a line under each respondent's id, answers without a full stop (``R1023: yes
    I would``): the set of doubted labels was made again for every line, 28 s for 100,000 lines, 10 s for 60,000;
    now about a second for 100,000."""
    text = "".join(f"R{number}: yes I would go again\n" for number in range(60_000))
    started = time.perf_counter()
    turns = parse_turns(text)
    assert time.perf_counter() - started < 4
    assert len(turns) == 60_000 and turns[-1].speaker == "R59999"


def test_a_timestamp_closing_each_paragraph_is_not_part_of_the_utterance(tmp_path):
    # f4/f5transkript, common in German-speaking qualitative research, closes every paragraph with its time; it
    # stayed in the segments' text, which is embedded and quoted as evidence
    text = ("I: Wie geht es Ihnen heute? #00:00:05-3#\n\nB: Ganz gut, danke.\nDie Gruppe hilft mir. #00:00:12-8#\n\n"
            "I: Schön. #00:00:14#   \n#00:00:20-0#\nB: [lacht] Ja. [00:00:21]\n")
    _, turns = turns_of(tmp_path, text)
    # nor is it the turn's time: f4's is when the paragraph ends, not when the turn starts
    assert turns == [("I", "", "Wie geht es Ihnen heute?"), ("B", "", "Ganz gut, danke.\nDie Gruppe hilft mir."),
                     ("I", "", "Schön."), ("B", "", "[lacht] Ja.")]


def test_a_bracketed_time_without_hours_closing_a_line_is_said():
    text = "Anna: we moved the meeting to [10:30]\nBen: Fine. [00:01:02]\n"
    assert [(turn.timestamp, text[turn.start:turn.end]) for turn in parse_turns(text)] == [
        ("", "we moved the meeting to [10:30]"), ("", "Fine.")]


@pytest.mark.parametrize(("text", "said"), [
    ("A: Hallo. #00:00:05-3#\nB: #00:00:07-1#\nA: Wie bitte?\n", "#00:00:07-1#"),
    ("A: Hallo.\nBen: [00:01:02]\nA: Wie bitte?\n", "[00:01:02]"),
    ("Hallo. #00:00:05-3#\n\n#00:00:07-1#\n\nWie bitte?\n", "#00:00:07-1#"),
], ids=["f4-turn", "bracketed-turn", "paragraph"])
def test_a_turn_that_is_only_a_closing_timestamp_is_kept_so_later_turns_keep_their_place(text, said):
    # dropping it shifted every later segment id, so codes of a coded table or a saved agreement run landed on
    # the wrong segments
    assert [text[turn.start:turn.end] for turn in parse_turns(text)] == ["Hallo.", said, "Wie bitte?"]


def test_label_on_its_own_line_takes_the_following_text(tmp_path):
    _, turns = turns_of(tmp_path, "INTERVIEWER:\n  How did it start?  \nP1: Slowly.\n")
    assert turns == [("INTERVIEWER", "", "How did it start?"), ("P1", "", "Slowly.")]


def test_text_without_labels_becomes_paragraph_turns(tmp_path):
    text = "# header comment\nFirst paragraph,\nstill first.\n\n\nSecond paragraph.\n"
    _, turns = turns_of(tmp_path, text)
    assert turns == [("", "", "First paragraph,\nstill first."), ("", "", "Second paragraph.")]


@pytest.mark.parametrize("text, warned", [
    ("".join(f"This is what I said {i}.\n" for i in range(8)), True),  # one utterance per line, no label
    ("Yes.\nNo.\nMaybe.\nSure.\n\nYes.\n", True),
    ("Yes.\nNo.\n\nMaybe.\n", False),  # only two lines read on into the next: not a few
    ("A paragraph of prose that was\nhard wrapped by an editor. So\nits lines end mid sentence.\nAnd it\ngoes on "
     "for\na while. To the end.\n", False),
    ("".join(f"Anna: This is what I said {i}.\nmore of it.\n" for i in range(8)), False),
])
def test_lines_without_labels_read_as_one_turn_are_warned_of_once(tmp_path, caplog, text, warned):
    """A text without speaker labels, one utterance per line, became a turn per paragraph cut into segments of
    --max-chars that mixed utterances, without a word said."""
    with caplog.at_level(logging.WARNING, logger="theme_assist.ingest"):
        turns_of(tmp_path, text)
    said = [record.getMessage() for record in caplog.records if "no speaker labels" in record.getMessage()]
    assert len(said) == warned
    assert not warned or "--unit sentence" in said[0]


def test_text_before_the_first_label_is_a_turn_without_speaker(tmp_path):
    _, turns = turns_of(tmp_path, "Focus group three\nAnna: hello\nAnna: again\n")
    assert turns == [("", "", "Focus group three"), ("Anna", "", "hello"), ("Anna", "", "again")]


def test_hash_lines_after_the_first_turn_are_text(tmp_path):
    _, turns = turns_of(tmp_path, "Anna: my list\n#one: peers.\n#peers and #support.\nBob: ok\n")
    assert turns == [("Anna", "", "my list\n#one: peers.\n#peers and #support."), ("Bob", "", "ok")]


@pytest.mark.parametrize("text, turns", [
    ("# Interview 3\nInterviewer: How was it?\nP1: Fine, thanks.\n\n## Notes\nThe participant was tired.\n",
     [("Interviewer", "", "How was it?"), ("P1", "", "Fine, thanks."),
      ("", "", "## Notes\nThe participant was tired.")]),
    ("Moderator: Welcome.\nP1: Hi.\n## Part 2: Experiences\nModerator: Tell me.\n",
     [("Moderator", "", "Welcome."), ("P1", "", "Hi."), ("", "", "## Part 2: Experiences"),
      ("Moderator", "", "Tell me.")]),
    ("Anna: my list:\n# one: peers.\nBob: ok\n",
     [("Anna", "", "my list:"), ("", "", "# one: peers."), ("Bob", "", "ok")]),
    ("A first paragraph.\n   ### Part 2\nA second one.\n",  # no labels: a turn per paragraph, and per heading
     [("", "", "A first paragraph."), ("", "", "### Part 2\nA second one.")]),
])
def test_a_markdown_heading_after_the_first_turn_starts_a_turn_without_speaker(tmp_path, text, turns):
    """A ``## Notes`` heading (and the transcriber's notes under it) joined the answer of the speaker above it: it
    is no one's words. It starts a turn without speaker, kept, as text after the first turn is."""
    assert turns_of(tmp_path, text)[1] == turns


def test_a_markdown_heading_before_the_first_turn_stays_in_the_title_segment_as_a_word_heading_does(tmp_path):
    """Before the first turn a ``#`` line below a title started a segment of its own, where a Word heading there
    stays the title's: the two kinds of heading are read alike."""
    assert turns_of(tmp_path, "Interview 3\n# Part 1\nRecorded in Ulm.\nAnna: Hello.\nBob: Hi.\n")[1] == [
        ("", "", "Interview 3\n# Part 1\nRecorded in Ulm."), ("Anna", "", "Hello."), ("Bob", "", "Hi.")]


@pytest.mark.parametrize("text, turns", [
    ("P1: we counted the\n# of people who came\nP2: Yes.\n",
     [("P1", "", "we counted the\n# of people who came"), ("P2", "", "Yes.")]),
    ("Anna: my list\n# one: peers.\nBob: ok\n", [("Anna", "", "my list\n# one: peers."), ("Bob", "", "ok")]),
    ("P1: my notes\n# Notes\nP2: ok\n", [("P1", "", "my notes"), ("", "", "# Notes"), ("P2", "", "ok")]),
])
def test_a_hash_line_in_lower_case_after_a_line_ending_mid_sentence_is_a_wrapped_line(tmp_path, text, turns):
    """"# of people" under a line ending mid-sentence ("we counted the") goes on with that line: it was taken for a
    Markdown heading, and half the sentence for no one's words."""
    assert turns_of(tmp_path, text)[1] == turns


@pytest.mark.parametrize("text, turns", [
    ("#1: How did it start?\n#2: Slowly.\n#1: And then?\n",
     [("#1", "", "How did it start?"), ("#2", "", "Slowly."), ("#1", "", "And then?")]),
    ("# Focus group 2\n#1: Hello.\n", [("#1", "", "Hello.")]),  # a comment above, then a turn
    ("#1: One.", [("#1", "", "One.")]),
    ("Interviewer: Was it hard,\n#2: at first, yes.\n#1: Thanks.\n",  # labelled lines only: all speakers
     [("Interviewer", "", "Was it hard,"), ("#2", "", "at first, yes."), ("#1", "", "Thanks.")]),
    ("1: One.\n2: Two.\n", [("", "", "1: One.\n2: Two.")]),  # a bare number is no label
])
def test_a_speaker_numbered_with_a_hash_is_a_label_not_a_header_comment(tmp_path, text, turns):
    """"#1: text" lines were header comments before the first turn and running text after it: a transcript of
    such speakers was refused as holding no text, or its answers were merged into the interviewer's turns."""
    assert turns_of(tmp_path, text)[1] == turns


@pytest.mark.parametrize("text, turns", [
    ("#1: Interview with Ann, 12 May\nAnn: It was hard.\nBen: How so?\n", [("Ann", "", "It was hard."),
                                                                        ("Ben", "", "How so?")]),
    ("# Study 4\n#2: Focus group two\n\nAnn: Hello.\n", [("Ann", "", "Hello.")]),
    ("#1: Hello.\n# end of the file\n", [("#1", "", "Hello."), ("", "", "# end of the file")]),  # no named speaker
    ("#1: Interview with Ann\nAnn: Hi.\n#1: And then?\n",  # #1 speaks again: a speaker, from the start
     [("#1", "", "Interview with Ann"), ("Ann", "", "Hi."), ("#1", "", "And then?")]),
    # no named speaker after it: a turn whose text runs on to the next line (it lost that first line)
    ("#1: I grew up in Ulm and\nmoved to Hamburg at ten.\n",
     [("#1", "", "I grew up in Ulm and\nmoved to Hamburg at ten.")]),
])
def test_a_lone_hash_numbered_line_above_named_speakers_is_a_header_comment(tmp_path, text, turns):
    """``#1: Interview with Ann`` above ``Ann:``/``Ben:`` turns was a turn of a speaker ``#1``, who never spoke again:
    one header line read as a speaker of the study."""
    assert turns_of(tmp_path, text)[1] == turns


@pytest.mark.parametrize("text, turns", [
    ("#1:How did it start?\nAnna: Slowly.\n", [("", "", "#1:How did it start?"), ("Anna", "", "Slowly.")]),
    ("#1:How did it start?\n#2:Slowly.\n", [("", "", "#1:How did it start?\n#2:Slowly.")]),
    ("#00:01:02-3#\nAnna: Slowly.\n", [("Anna", "", "Slowly.")]),  # an f4 time opening a line is no such line
])
def test_a_hash_numbered_speaker_without_a_space_after_the_colon_is_text_as_a_letters_is(tmp_path, text, turns):
    """``#1:text`` before the first turn was a header comment: left out without a word before a labelled turn, and
    a transcript of them refused as holding no text, where ``A:text`` lines are read as running text (no label
    without a space after the colon)."""
    assert turns_of(tmp_path, text)[1] == turns
    assert turns_of(tmp_path, text.replace("#1:", "A:").replace("#2:", "B:"))[1] == [
        (speaker, stamp, said.replace("#1:", "A:").replace("#2:", "B:")) for speaker, stamp, said in turns]


@pytest.mark.parametrize("header", ["#14:30 start of the session", "#00:01:02 start", "#1:00pm, room 2"])
def test_a_header_comment_opening_with_a_time_is_no_hash_numbered_speakers_text(tmp_path, header):
    """A time after the ``#`` (``#14:30``) is no ``#1:text`` line: the header comment stays one, and does not take
    the first turn in as the continuation of a line ended mid-sentence."""
    assert turns_of(tmp_path, f"{header}\n# Site: Ulm\nAnna: Hello there.\n")[1] == [("Anna", "", "Hello there.")]


@pytest.mark.parametrize("text", ["# just a header\n# nothing else\n", "Anna:\n\nBob:\n", "[00:01:02]\n"])
def test_only_header_lines_is_not_a_transcript(tmp_path, text):
    path = tmp_path / "h.txt"
    path.write_text(text)
    # a file of speaker labels alone was said to hold "only # header lines"
    with pytest.raises(NotATranscript, match="no transcript text .no words after its # header lines, speaker labels"):
        read_documents(path)


@pytest.mark.parametrize("content", [b"", b"  \n\n\t "])
def test_empty_file_is_refused(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match="empty"):
        read_documents(path)


def test_file_above_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(decoding, "MAX_FILE_BYTES", 100)
    path = tmp_path / "big.txt"
    path.write_text("Anna: " + "words " * 50)
    with pytest.raises(InputError, match="limit") as error:
        read_documents(path)
    assert "\n" not in str(error.value)


def test_a_table_above_the_size_limit_is_not_called_a_transcript(tmp_path, monkeypatch):
    """A merge part or a coded table of 300 MB was 'above the 200 MB limit for one transcript'."""
    from theme_assist.inputs import read_table

    monkeypatch.setattr(decoding, "MAX_FILE_BYTES", 100)
    path = tmp_path / "S_1.csv"
    path.write_text("segment_id,code\n" + "a:0,work\n" * 50)
    with pytest.raises(InputError) as error:
        read_table(path)
    assert str(error.value).endswith(" MB limit for one file read (a transcript or a table); split it")


SPOKEN = (
    "Anna: Ich war im Café, naïve « déjà vu » — it’s “fine”… señor.\n"
    "Bob: Très bien, à côté de la gare. Ça va.\n"
)


def test_utf8_with_bom(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(SPOKEN.encode("utf-8-sig"))
    (document,) = read_documents(path)
    assert document.text == SPOKEN
    assert document.turns[0].speaker == "Anna"


def read_in(tmp_path, caplog, text: str, encoding: str):
    """``text`` written in ``encoding`` and read back: its document, checked to hold ``text`` with the guessed
    encoding reported."""
    path = tmp_path / "transcript.txt"
    path.write_bytes(text.encode(encoding))
    with caplog.at_level(logging.WARNING, logger="theme_assist.ingest"):
        (document,) = read_documents(path)
    assert document.text == text
    assert f"transcript.txt: read as {encoding} (not UTF-8)" in caplog.text
    return document


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "utf-16-le"])
def test_legacy_and_utf16_encodings_are_detected_and_guesses_reported(tmp_path, caplog, encoding):
    text = SPOKEN if encoding != "cp1252" else SPOKEN.replace("—", "-")
    path = tmp_path / "legacy.txt"
    path.write_bytes(text.encode(encoding))
    with caplog.at_level(logging.WARNING, logger="theme_assist.ingest"):
        (document,) = read_documents(path)
    assert document.text == text
    assert [t.speaker for t in document.turns] == ["Anna", "Bob"]
    # a guessed encoding is reported; UTF-16 with a byte-order mark is not a guess
    assert ("not UTF-8" in caplog.text) == (encoding != "utf-16")


@pytest.mark.parametrize("encoding", ["utf_16_le", "utf_16_be"])
@pytest.mark.parametrize("text", ["Anna: How are you today?\nBob: Fine, thanks. Work is hard.\n",
                                  "Анна: Как дела на работе?\nБорис: Хорошо, спасибо.\n"], ids=["ascii", "cyrillic"])
def test_utf16_without_a_byte_order_mark_is_read(tmp_path, caplog, encoding, text):
    # its bytes are valid UTF-8 (NUL is a character there), so it was read as UTF-8 and refused as binary
    document = read_in(tmp_path, caplog, text, encoding)
    assert len(document.turns) == 2
    padded = tmp_path / "padded.txt"  # UTF-8 with a NUL or two stays UTF-8
    padded.write_bytes(("Anna: " + "we talked about the peer worker " * 10 + "\n").encode() + b"\x00")
    assert read_documents(padded)[0].text.startswith("Anna: we talked")


def test_latin1_text_is_read_correctly(tmp_path):
    text = "Anna: café naïve déjà, señor\nBob: oui très bien à côté\n"
    path = tmp_path / "latin.txt"
    path.write_bytes(text.encode("latin-1"))
    (document,) = read_documents(path)
    assert document.text == text


@pytest.mark.parametrize(
    "content",
    [
        bytes(range(256)) * 8,
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(200)),
        b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(1, 256)) * 4,
        b"hello\x00world\x00",
    ],
    ids=["all-bytes", "png", "zip", "nul-bytes"],
)
def test_binary_file_is_refused(tmp_path, content):
    path = tmp_path / "binary.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match="binary.txt is not a text file .* save it as UTF-8"):
        read_documents(path)


@pytest.mark.parametrize("lines_in_utf8", [2, 1])
def test_a_file_that_mixes_encodings_names_the_first_line_that_is_not_utf8(tmp_path, lines_in_utf8):
    # with one UTF-8 line before many cp1252 ones, charset-normalizer takes it all for cp1252: "CafÃ©"
    utf8 = "".join(SPOKEN.splitlines(keepends=True)[:lines_in_utf8]).encode("utf-8")
    path = tmp_path / "edited.txt"
    path.write_bytes(utf8 + "Cleo: Très bien, ça va, à côté de la gare.\n".encode("cp1252") * 20)
    with pytest.raises(InputError, match=rf"edited.txt is UTF-8 up to line {lines_in_utf8 + 1}, which is not "
                                         r"\(mixed encodings\?\)"):
        read_documents(path)


@pytest.mark.parametrize("lines_in_cp1252", [1, 3])
def test_a_file_in_cp1252_then_utf8_names_both_lines(tmp_path, lines_in_cp1252):
    # charset-normalizer reads it all as cp1252, the UTF-8 lines garbled: "Ã§a va"
    path = tmp_path / "edited.txt"
    path.write_bytes(b"Interviewer: Bonjour.\n" + "Cleo: Très bien, ça va.\n".encode("cp1252") * lines_in_cp1252
                     + b"Interviewer: Et apr\xc3\xa8s ?\n" + "Cleo: À côté de la gare.\n".encode("utf-8"))
    with pytest.raises(InputError, match=rf"edited.txt is not UTF-8 at line 2 but is at line {lines_in_cp1252 + 2} "
                                         r"\(mixed encodings\?\)"):
        read_documents(path)


def test_iso_8859_2_is_not_chosen_for_bytes_it_reads_as_control_characters():
    # a byte that neither cp1252 nor cp1250 defines is a C1 control character in ISO 8859-2, which "fits" any
    # language, having no letters
    assert decoding._western_or_central(b"P1: Hello \x81 there\n", "cp1250") == "cp1250"


@pytest.mark.parametrize("text", [
    "Interviewer: Und dann?\nJörg: Dann bin ich wieder hingegangen.\n" * 40 + "Jörg: Über die Zeit ging es besser.\n",
    "Intervieweur : Ça va ?\nMarie : Oui, ça va. Merci.\n",
    "Jörg: Über die Tür.\n",
    "Anna: Grüß Gott!\n",
    "Hélène: Ça va.\n",
])
def test_short_western_text_in_cp1252_is_not_taken_for_an_east_asian_encoding(tmp_path, text):
    # charset-normalizer offers only Big5 / Johab for these: "J他g", "ド va ?"; in the one-line ones more than 5%
    # of the bytes are beyond ASCII, as in Chinese or Korean text, but never three in a row
    path = tmp_path / "short.txt"
    path.write_bytes(text.encode("cp1252"))
    (document,) = read_documents(path)
    assert document.text == text


def test_chinese_in_big5_with_english_labels_is_still_read(tmp_path):
    text = "[00:00:01] Interviewer: 好的\n[00:00:05] P1: 謝謝\n[00:00:09] Interviewer: OK, let's start now.\n"
    path = tmp_path / "big5.txt"
    path.write_bytes(text.encode("big5"))
    (document,) = read_documents(path)
    assert "好的" in document.text and "謝謝" in document.text


def test_cp1252_capitals_before_typographic_marks_are_not_taken_for_utf8(tmp_path):
    # "É…" is C9 85, valid UTF-8 for U+0245: a Latin Extended-B letter no Western transcript uses
    path = tmp_path / "cafe.txt"
    path.write_bytes("Intervieweur : Où étiez-vous ?\nMarie : Au CAFÉ… enfin, au bistrot.\n".encode("cp1252"))
    (document,) = read_documents(path)
    assert "CAFÉ… enfin" in document.text


def test_a_cp1252_file_whose_lines_are_all_legacy_is_read(tmp_path):
    path = tmp_path / "legacy.txt"
    path.write_bytes("Interviewer: Bonjour.\nCleo: Très bien, ça va.\nCleo: À côté — «gare».\n".encode("cp1252"))
    (document,) = read_documents(path)
    assert "À côté — «gare»" in document.text


@pytest.mark.parametrize(("text", "encoding"), [
    ("Entrevistadora: ¿Cómo está?\nMaría: Bien. El niño pequeño duerme, ¡qué pena!\n", "cp1252"),
    ("Interviewer: Und dann?\nJürgen: Ich habe „gute“ Erfahrungen gemacht – wirklich.\n", "cp1252"),
    ("Intervieweur : Vous étiez où ?\nAnna : Déjà à l’hôpital, avec François.\n", "cp1252"),
    ("Hélène: L’été, à côté.\n", "cp1252"),
    ("Interviewer: And María?\nSøren: She came too, with Peña.\n", "cp1252"),
    ("P1: We had crêpes and piña colada.\n", "cp1252"),
    ("Nakato: The “peer supporter” helped me – webale nnyo… Peña said so.\n", "cp1252"),
    ("Ankieter: Jak się pani czuje?\nMałgorzata: Dziękuję, dobrze. Może jutro.\n", "cp1250"),
    ("Paweł: Cześć, jak się masz?\n", "cp1250"),
    ("Tazatel: Jak se máte?\nOndřej: Děkuji, dobře. Čekám.\n", "cp1250"),
    ("Šárka: Přišla jsem pozdě.\n", "cp1250"),
    ("Haastattelija: Miten menee?\nPäivi: Hyvää, kiitos. Me kävimme kaupassa ja söimme jäätelöä.\n", "cp1252"),
], ids=["spanish", "german", "french", "french-short", "names", "two-languages",
    "luganda-english", "polish", "polish-short", "czech", "czech-short", "finnish"])
def test_short_cp1252_and_cp1250_texts_are_told_apart_and_the_guess_is_reported(tmp_path, caplog, text, encoding):
    # the same bytes are "niño" in cp1252 and "nińo" in cp1250, "à" or "ą" in cp1257: charset-normalizer's guess
    # read the French texts as cp1257 ("ą cōté") and the Polish and Czech ones as cp1252 ("Pawe³: Czeœæ", "Dìkuji");
    # the Finnish one as HP Roman-8 ("Hyvðð, s—imme")
    read_in(tmp_path, caplog, text, encoding)


_POLISH = ["Ankieter: Jak się pani czuje dzisiaj?", "Małgorzata: Dziękuję, dobrze. Może jutro pójdę do lekarza.",
           "Paweł: Cześć, jak się masz?", "Ankieter: Co pani robiła w zeszłym tygodniu?",
           "Małgorzata: Byłam w szpitalu, żeby zobaczyć córkę."]
_CZECH = ["Tazatel: Jak se máte?", "Ondřej: Děkuji, dobře. Čekám na výsledky.", "Tazatel: Co jste dělal v úterý?",
          "Ondřej: Přišla jsem pozdě, protože jsem byl u lékaře.", "Šárka: Říkala jsem, že to bude těžké."]


@pytest.mark.parametrize(("lines", "foreign"), [
    (_POLISH, "Małgorzata: Doktor Müller mówił, że José przyjdzie."),
    (_CZECH, "Ondřej: Doktor Müller říkal, že to bude dobré."),
], ids=["polish", "czech"])
def test_a_long_central_european_transcript_naming_a_foreigner_is_still_cp1250(tmp_path, caplog, lines, foreign):
    # "ü" is no Polish or Czech letter: requiring every letter of the file to be of one language read it as
    # cp1252 ("Pawe³: Czeœæ. Mo¿e", "Dìkuji, dobøe")
    read_in(tmp_path, caplog, "\n".join((lines * 6)[:30] + [foreign]) + "\n", "cp1250")


@pytest.mark.parametrize(("text", "encoding"), [
    ("Kérdező: Hogy érzi magát?\nÉva: Őszintén szólva jól. Köszönöm szépen.\n", "cp1250"),
    ("Küsitleja: Kas te mõtlete, et see on õige?\nMari: Õues on külm ja ööd on pikad.\n", "cp1252"),
], ids=["hungarian", "estonian"])
def test_hungarian_in_cp1250_is_read_as_such(tmp_path, caplog, text, encoding):
    # cp1252 reads "ő" and "ű" as "õ" and "û", letters of Portuguese and French, beside Hungarian's "ö" and "ü";
    # Estonian has "õ", "ö" and "ü" too, but none of Hungarian's acute vowels: it stays cp1252 ("mõtlete")
    read_in(tmp_path, caplog, text, encoding)


@pytest.mark.parametrize("text", [
    "Entrevistadora: ¿Cómo está?\nMaría: Bien. El niño pequeño duerme con Søren y Müller.\n" * 10,
    "Intervieweur : Vous étiez où ?\nAnna : Déjà à l’hôpital, avec François et José Muñoz.\n" * 10,
    "Interviewer: Und dann?\nJürgen: Über 50 m³ für München, schön.\n" * 10,
    "Entrevistador: Então?\nJoão: Não sei, as lições são difíceis. Müller também.\n" * 10,
    "Entrevistador: ¿Y el coche?\nMaría: Un Škoda, señor. Mañana vamos a Málaga con Peña.\n" * 10,
], ids=["spanish", "french", "german-cubic-metres", "portuguese", "spanish-skoda"])
def test_long_western_transcripts_with_foreign_names_stay_cp1252(tmp_path, caplog, text):
    read_in(tmp_path, caplog, text, "cp1252")


@pytest.mark.parametrize(("text", "encoding"), [
    ("מראיין: שלום, מה שלומך?\nדנה: טוב, תודה. אני עובדת בבית החולים.\n", "cp1255"),
    ("מנחה: איך הייתה הפגישה?\nמשתתף 1: טובה. דיברנו על העבודה ועל המשפחה.\n", "cp1255"),
    ("Γεια σας, τι κάνετε;\nΆννα: Καλά, ευχαριστώ.\n", "cp1253"),
    ("سارة: نعم.\n", "cp1256"),
    ("Анна: Нет.\n", "cp1251"),
], ids=["hebrew", "hebrew-group", "greek", "arabic", "russian"])
def test_hebrew_greek_and_arabic_code_pages_are_read_as_such(tmp_path, caplog, text, encoding):
    # Hebrew in cp1255 also decodes as Cyrillic in cp1251, which was always preferred ("ошаййп" for "מראיין"); the
    # Greek was read as cp1251 too, the Arabic as cp1006 (Urdu)
    document = read_in(tmp_path, caplog, text, encoding)
    assert document.turns[-1].speaker == text.splitlines()[-1].split(":")[0]


def test_chinese_in_gbk_whose_first_line_passes_for_utf8_is_still_read(tmp_path):
    path = tmp_path / "gbk.txt"
    # 谢谢 in GBK is valid UTF-8 ("лл"), a whole line of it
    path.write_bytes("谢谢\n张伟：好的，我们开始吧。\n主持人：谢谢。\n".encode("gbk"))
    (document,) = read_documents(path)
    assert document.text.startswith("谢谢\n张伟")


line_pieces = st.sampled_from(
    ["Anna: ", "[00:01:02] ", "00:01:02 Bob: ", "(1:02) ", "Note: ", "# c ", "http://x.org: ",
     "\n", "\n\n", " ", ".", ","]
)
texts = st.lists(st.one_of(line_pieces, st.text(max_size=30)), max_size=25).map("".join)


@settings(max_examples=200, deadline=None)
@given(text=texts)
def test_turns_are_ordered_stripped_spans_of_the_text(text):
    turns = parse_turns(text)
    previous_end = 0
    for turn in turns:
        utterance = text[turn.start:turn.end]
        assert utterance and utterance == utterance.strip()
        assert turn.start >= previous_end
        previous_end = turn.end


def test_speaker_lines_of_otter_teams_and_zoom_exports_start_turns_on_the_lines_after_them():
    text = ("Speaker 1  0:00\nHello everyone, thanks for joining.\nIt is good to be here.\n\n"
            "Anna Smith  0:05\nFor me it was\nabout my sister.\n\n[Ben Okoro] 10:01:02\nYes.\n")
    turns = parse_turns(text)
    assert [(turn.speaker, turn.timestamp, text[turn.start:turn.end]) for turn in turns] == [
        ("Speaker 1", "0:00", "Hello everyone, thanks for joining.\nIt is good to be here."),
        ("Anna Smith", "0:05", "For me it was\nabout my sister."),
        ("Ben Okoro", "10:01:02", "Yes."),
    ]
    prose = "We met in the morning.\nMeeting  10:30\nIt went well.\n"  # one such line is running text
    assert [(turn.speaker, prose[turn.start:turn.end]) for turn in parse_turns(prose)] == [("", prose.strip())]
