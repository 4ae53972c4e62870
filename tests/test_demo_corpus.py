"""The shipped demo corpus: labelled as illustrative, complete metadata, and a reference coding of every turn.

The transcripts are parsed here with a deliberately simple line regex, independent of
:mod:`theme_assist.ingest`, so that the corpus is checked against its own documented format.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from theme_assist.codebook import load_codebook, packaged_codebook

DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"
TURN_LINE = re.compile(
    r"^(?P<timestamp>\[\d{2}:\d{2}:\d{2}\] |\d{2}:\d{2}:\d{2} )?(?P<speaker>[A-Z][\w'-]*(?: [\w'-]+)?): (?P<text>\S.*)$"
)
MIN_USES_PER_CODE = 8


def _parse_transcript(path: Path) -> tuple[list[str], pd.DataFrame]:
    """The header lines and the turns (columns ``turn``, ``speaker``, ``text``, ``timestamp``) of one file."""
    header, turns = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not turns and line.startswith("#"):
            header.append(line)
        elif line.strip():
            match = TURN_LINE.match(line)
            assert match, f"{path.name}, line {number} is not a 'Speaker: text' turn: {line!r}"
            turns.append({"turn": len(turns), "speaker": match["speaker"], "text": match["text"].strip(),
                          "timestamp": (match["timestamp"] or "").strip()})
    return header, pd.DataFrame(turns)


@pytest.fixture(scope="module")
def transcripts() -> dict[str, tuple[list[str], pd.DataFrame]]:
    return {path.stem: _parse_transcript(path) for path in sorted((DEMO / "transcripts").glob("*.txt"))}


@pytest.fixture(scope="module")
def metadata() -> pd.DataFrame:
    return pd.read_csv(DEMO / "metadata.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(DEMO / "reference_coding.csv", dtype={"turn": int}, keep_default_na=False)


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(packaged_codebook("upsides"))


def test_every_transcript_says_it_is_illustrative(transcripts):
    for document, (header, _) in transcripts.items():
        assert header, f"{document} has no header"
        first = header[0]
        assert first.startswith("# ILLUSTRATIVE TRANSCRIPT") and "fictional" in first, \
            f"{document}: the first line must mark it as an illustrative, fictional transcript"


def test_readme_says_the_corpus_is_fictional():
    readme = (DEMO / "README.md").read_text(encoding="utf-8").lower()
    assert "fictional" in readme and "english renderings" in readme


def test_metadata_matches_the_transcript_files(transcripts, metadata):
    assert list(metadata.columns) == ["document", "site", "country", "income_group", "participant_group",
                                      "language", "format"]
    assert metadata["document"].is_unique
    assert set(metadata["document"]) == set(transcripts)
    assert (metadata != "").all().all(), "metadata has empty cells"
    assert set(metadata["income_group"]) == {"HIC", "LMIC"}
    assert set(metadata["participant_group"]) == {"peer_support_worker", "service_user"}


def test_focus_groups_and_interviews_cover_the_six_sites(metadata):
    sites = {"Ulm", "Hamburg", "Butabika", "Dar es Salaam", "Be'er Sheva", "Pune"}
    focus_groups = metadata[metadata["format"] == "focus_group"]
    interviews = metadata[metadata["format"] == "interview"]
    assert len(focus_groups) >= 6 and len(interviews) >= 6
    assert set(focus_groups["site"]) == sites
    assert set(interviews["site"]) == sites
    assert (focus_groups["participant_group"] == "peer_support_worker").all()
    assert (interviews["participant_group"] == "service_user").all()


def test_transcripts_have_enough_turns_in_both_timestamp_styles(transcripts):
    sizes = {document: len(turns) for document, (_, turns) in transcripts.items()}
    assert sum(sizes.values()) >= 400
    assert all(30 <= size <= 50 for size in sizes.values()), sizes
    styles = {stamp[0] if stamp else "" for _, turns in transcripts.values() for stamp in turns["timestamp"]}
    assert {"[", "0"} <= styles, "both '[00:01:02] Name:' and '00:01:02 Name:' must occur"


def test_reference_coding_covers_every_turn_in_order(transcripts, reference):
    assert list(reference.columns) == ["document", "turn", "speaker", "code", "text"]
    assert set(reference["document"]) == set(transcripts)
    for document, (_, turns) in transcripts.items():
        coded = reference[reference["document"] == document].reset_index(drop=True)
        pd.testing.assert_frame_equal(coded[["turn", "speaker", "text"]], turns[["turn", "speaker", "text"]],
                                      obj=f"reference coding of {document}")


def test_reference_codes_are_leaf_codes_used_often_enough(reference, codebook):
    leaves = {code.id for code in codebook.leaf_codes}
    assert set(reference["code"]) <= leaves
    uses = Counter(reference["code"])
    rare = [code for code in leaves if uses[code] < MIN_USES_PER_CODE]
    assert len(rare) <= 2, f"leaf codes used fewer than {MIN_USES_PER_CODE} times: {rare}"
    documents_per_code = reference.groupby("code")["document"].nunique()
    assert (documents_per_code >= 3).all(), documents_per_code[documents_per_code < 3].to_dict()
    assert 0.2 <= uses["other"] / len(reference) <= 0.32


def test_peer_worker_codes_in_focus_groups_and_service_user_codes_in_interviews(reference, metadata):
    formats = reference["document"].map(metadata.set_index("document")["format"])
    assert (formats[reference["code"].str.startswith("psw_")] == "focus_group").all()
    assert (formats[reference["code"].str.startswith("su_")] == "interview").all()


def test_packaged_codebook_is_exclusive_and_fully_described(codebook):
    assert codebook.exclusive
    assert len(codebook.codes) == 3 and codebook.codes[-1].id == "other"
    for code in codebook.all_codes:
        assert code.definition, f"{code.id} has no definition"
        if not code.children:
            assert code.include and code.exclude, f"{code.id} lacks include/exclude"
            assert len(code.examples) >= 2, f"{code.id} has fewer than two anchor examples"


def test_anchor_examples_are_not_copied_from_the_demo_corpus(codebook, reference):
    corpus_text = " ".join(reference["text"]).lower()
    copied = [example for code in codebook.all_codes for example in code.examples
              if example.lower() in corpus_text]
    assert not copied, copied
