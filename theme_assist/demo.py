"""The demo: the whole path on the shipped illustrative UPSIDES corpus.

Import the transcripts with their metadata, segment by speaker turn, fit the suggester on the reference coding of
half of the documents (every other focus group and every other interview), suggest codes for the other half, and
measure agreement with the reference coding there.

A corpus in the *demo layout* is a folder holding a ``transcripts/`` folder (only transcripts, so nothing in it is
skipped), ``metadata.csv`` (one row per transcript: columns ``document`` and ``participant_group``, which the halves
alternate within) and ``reference_coding.csv`` (a code for every speaker turn: columns ``document``, ``turn``,
counted from 0 within each transcript, and ``code``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from theme_assist.codebook import Codebook, load_codebook, packaged_codebook
from theme_assist.errors import InputError

DEMO_CORPUS = Path(__file__).resolve().parents[1] / "corpora" / "demo"
DEMO_LAYOUT = ("transcripts/", "metadata.csv", "reference_coding.csv")
GROUP_COLUMN = "participant_group"
"""The metadata column whose documents :func:`split_halves` alternates between the halves."""


@dataclass
class DemoResult:
    """What the demo produced: segments with their reference ``code`` and ``half`` (train / suggest), the
    suggestions for the suggest half, overall agreement (the metrics of :func:`theme_assist.evaluate.score_predictions`)
    and per-code agreement."""

    segments: pd.DataFrame
    suggestions: pd.DataFrame
    overall: dict
    per_code: pd.DataFrame
    model_id: str


def load_demo_corpus(corpus: Path = DEMO_CORPUS) -> tuple[pd.DataFrame, Codebook]:
    """Segments of a corpus in the demo layout, one per speaker turn, and the packaged UPSIDES codebook.

    Parameters
    ----------
    corpus
        A folder in the demo layout: ``transcripts/``, ``metadata.csv`` and ``reference_coding.csv``.

    Returns
    -------
    segments : pandas.DataFrame
        The segment columns, the metadata columns and the reference ``code`` of each turn.
    codebook : Codebook
        The packaged ``upsides`` codebook.

    Raises
    ------
    InputError
        If part of the layout is missing, ``metadata.csv`` has no ``participant_group`` column, a ``turn`` of the
        reference coding is not a whole number or has two rows, a code is empty or not in the codebook (codes are
        read without surrounding spaces), or a turn has no reference code.
    """
    from theme_assist.ingest import join_metadata, metadata_table, read_documents
    from theme_assist.inputs import lines_of, read_table, whole_numbers
    from theme_assist.segment import SEGMENTATION_COLUMN, segment_documents, segmentation_tag

    corpus = Path(corpus)
    missing = [part for part in DEMO_LAYOUT
               if not ((corpus / part).is_dir() if part.endswith("/") else (corpus / part).is_file())]
    if missing:
        raise InputError(f"{corpus}: no {' or '.join(missing)} (a corpus in the demo layout holds "
                         f"{', '.join(DEMO_LAYOUT[:-1])} and {DEMO_LAYOUT[-1]})")
    columns = read_table(corpus / "metadata.csv", what="metadata").columns
    if GROUP_COLUMN not in columns:
        raise InputError(f"metadata {corpus / 'metadata.csv'} has no column {GROUP_COLUMN!r} (columns: "
                         f"{', '.join(columns)}): the demo alternates each group's documents between training "
                         "and suggesting")
    documents = read_documents(corpus / "transcripts", metadata=corpus / "metadata.csv")
    segments = segment_documents(documents, unit="turn", max_chars=None)
    segments[SEGMENTATION_COLUMN] = segmentation_tag("turn", None)
    segments = join_metadata(segments, metadata_table(documents), corpus / "metadata.csv")
    reference = read_table(corpus / "reference_coding.csv", required=("document", "turn", "code"),
                           what="reference coding")
    source = corpus / "reference_coding.csv"
    reference["turn"] = whole_numbers(reference["turn"], "turn", source)
    reference["code"] = reference["code"].str.strip()  # as the suggester reads codes: "other " is "other"
    codebook = load_codebook(packaged_codebook("upsides"))
    twice = reference.duplicated(["document", "turn"], keep=False)
    if twice.any():
        raise InputError(f"{source}: turn {reference.loc[twice, 'turn'].iloc[0]} of "
                         f"{reference.loc[twice, 'document'].iloc[0]!r} has more than one row ({lines_of(twice)}): "
                         "the demo compares one reference code per turn")
    empty = reference["code"] == ""
    if empty.any():
        raise InputError(f"{source}: {int(empty.sum())} row(s) without a code ({lines_of(empty)}): the demo needs a "
                         "reference code for every turn")
    unknown = ~reference["code"].isin(codebook.ids)
    if unknown.any():
        raise InputError(f"{source}: code {reference.loc[unknown, 'code'].iloc[0]!r} is not in codebook "
                         f"{codebook.name!r} ({lines_of(unknown)})")
    segments = segments.merge(reference[["document", "turn", "code"]], on=["document", "turn"], how="left")
    if segments["code"].isna().any():
        raise InputError(f"{corpus}: {int(segments['code'].isna().sum())} turns have no reference code")
    return segments, codebook


def split_halves(segments: pd.DataFrame) -> pd.Series:
    """``train`` or ``suggest`` per segment: alternate documents within each participant group."""
    documents = segments.drop_duplicates("document")[["document", GROUP_COLUMN]]
    documents = documents.sort_values([GROUP_COLUMN, "document"])
    documents["half"] = np.where(documents.groupby(GROUP_COLUMN).cumcount() % 2 == 0, "train", "suggest")
    return segments["document"].map(dict(zip(documents["document"], documents["half"])))


def run_demo(corpus: Path = DEMO_CORPUS, embedder=None, top_k: int = 3) -> DemoResult:
    """Fit on the train half, suggest for the other half, compare with the reference coding.

    ``corpus`` is a folder in the demo layout (see :func:`load_demo_corpus`).
    """
    from theme_assist.evaluate import per_code_agreement, score_predictions
    from theme_assist.suggest import CodeSuggester

    segments, codebook = load_demo_corpus(corpus)
    segments["half"] = split_halves(segments)
    if segments["half"].nunique() < 2:
        raise InputError(f"{corpus}: the demo trains on half of the documents and suggests for the other half, "
                         "so it needs two or more documents in at least one participant group")
    train = segments[segments["half"] == "train"]
    to_code = segments[segments["half"] == "suggest"].drop(columns=["code"])
    suggester = CodeSuggester(embedder=embedder, top_k=top_k).fit(train, codebook)
    suggestions = suggester.suggest(to_code)

    truth = segments.loc[segments["half"] == "suggest"].set_index("segment_id")["code"]
    proba = suggester.predict_proba(to_code)
    scores = score_predictions(truth, proba, suggester.threshold_)
    per_code = per_code_agreement(pd.DataFrame(scores.pop("code_counts")), len(truth))
    overall = {"segments_suggested": int(len(truth)), **scores}
    return DemoResult(segments, suggestions, overall, per_code, suggester.model_id_)
