"""The suggestion engine: ranked codes with a score and evidence quotes for every segment.

:class:`CodeSuggester` follows the scikit-learn estimator contract: parameters are set in ``__init__`` (no work
there), :meth:`~CodeSuggester.fit` learns from a codebook and whatever coding exists, :meth:`~CodeSuggester.predict_proba`
returns one score per code, and :meth:`~CodeSuggester.suggest` turns scores into the ``suggestions`` table of
:mod:`theme_assist.documents`.

How it learns
-------------
* **Codebook only (zero-shot).** Each code's name, definition, inclusion criteria and anchor examples are embedded;
  a segment's score for a code is a softmax (exclusive codebooks) or a logistic (multi-label) of its cosine
  similarity to the code's prototype. These scores rank well but are not calibrated probabilities.
* **With coded segments (few-shot to many).** A logistic-regression head is trained on features of each segment
  (:mod:`theme_assist.features`): its embedding (the sentence embedding and the mean-pooled token states of the
  three encoder layers below the last, the feature-based recipe of Devlin et al., 2019), the same of the previous
  and next segments of the same document (a reflection answers the client; a question is followed by an answer)
  and TF-IDF word n-grams. The codebook's anchor texts join the training set, so codes nobody has used yet can
  still be suggested (those of a code no segment is coded with, with the segments' mean neighbour as their context:
  :func:`_anchor_context`). Exclusive codebooks get a multinomial head (one code per segment); multi-label codebooks one
  binary head per code. Its scores are then calibrated on held-out documents (:mod:`theme_assist.calibrate`):
  leaned back towards how often each code is used where that agrees better with the held-out codes, on κ and
  macro-F1 together (exclusive codebooks, 300 coded segments or more), and scaled by a temperature so that they
  read as probabilities. An exclusive codebook's head with too little coding to hold any out (a coder's first
  decisions) is instead made as sure, on average, as the codebook alone
  (:meth:`CodeSuggester._match_codebook_sharpness`): a handful of coded segments moves the suggestions, and does not
  make half the segments abstain.

A segment whose best score stays below ``threshold`` gets an explicit abstention ("no code fits").
"""

from __future__ import annotations

import gc
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError as SklearnNotFittedError

from theme_assist import __version__
from theme_assist.codebook import Codebook
from theme_assist.embed import (DEFAULT_HIDDEN_LAYERS, Embedder, RepresentedRows, check_layers, embed_with_layers,
                                estimator_embedder, file_hashes, usable_layers)
from theme_assist.errors import InputError, listed
from theme_assist.features import FeatureBuilder, neighbour_index, rows_or_zero
from theme_assist.finetune import FinetunedEmbedder
from theme_assist.inputs import check_table

SUGGESTION_COLUMNS = ("segment_id", "code", "score", "rank", "evidence")
"""The columns of the ``suggestions`` table :meth:`CodeSuggester.suggest` makes (``suggest --out``, a project's runs)."""
FORMAT_VERSION = 2
"""Format 2 adds ``hidden_layers``; format 1 (sentence embedding alone) is still read."""
ENCODER_FOLDER = "encoder"
"""Where a suggester fitted on a fine-tuned embedding model keeps that model, inside its saved folder."""
MANIFEST = "manifest.json"
"""Written last into a saved suggester's folder: the sha256 of each of its other files, which loading checks."""
SAVED_NAMES = ("config.json", "evidence.json", "arrays.npz", ENCODER_FOLDER, MANIFEST)
"""What a saved suggester's folder holds."""
COLLECT_AFTER_FIT_BYTES = 16 * 2**20
"""A head fitted on a feature matrix of this many bytes or more is followed by a full garbage collection (see
:meth:`CodeSuggester._fit_head`); below, the copies the optimiser keeps are small, and a collection costs more."""
SYSTEM_FILES = (".DS_Store", "Thumbs.db", "desktop.ini", ".ipynb_checkpoints")
"""Files a file browser or notebook leaves in the folders it shows (macOS's ``._NAME`` beside each file copied to
another file system too, :func:`_left_by_tools`): neither refused by a save (which drops them) nor checked."""
ANCHOR_PREFIX = "codebook:"
UNLEARNED_INTERCEPT = -1e4
"""Intercept of a code the head had no example of: its score is 0."""
CALIBRATION_FOLDS = 3
SMALL_CODING = 300
SMALL_CODING_FOLDS = 10
"""Folds for the held-out temperature when fewer than :data:`SMALL_CODING` segments are coded. A head that sees
two thirds of a small coding scores its held-out segments far flatter than the final head will score new ones, so
3 folds left few-shot scores too flat; heads that see nine tenths score nearly as sharply, and below 300 segments a
fit takes a fraction of a second (benchmarks: ``evaluation/results/calibration.md``)."""
SCORING_ROWS = 2048
"""Segments whose features are built and scored at once (see :meth:`CodeSuggester._scores`)."""
MIN_CALIBRATION_SEGMENTS = 20
"""Fewer coded segments give too few held-out scores to fit even one parameter on: in the benchmarks, a temperature
from 15 (AnnoMI client talk, 5 per code) made the scores worse than none."""


class NotFittedError(InputError, SklearnNotFittedError):
    """An estimator's results asked for before :meth:`fit`: an :class:`~theme_assist.errors.InputError` (one line on
    the command line) that scikit-learn's ``except NotFittedError`` catches too."""


@dataclass
class TrainingItems:
    """What the head is trained on: coded segments and codebook anchor texts, one row each.

    ``labels`` holds the list of code ids of every item; ``embeddings`` their sentence embeddings (for evidence);
    ``represented`` what the head sees of each item (:func:`~theme_assist.embed.embed_with_layers`); ``context`` the
    representations of each item's previous and next segment (zero rows where there is none); both are ``None``
    once the head's features are built from them.
    """

    segment_ids: list[str]
    texts: list[str]
    labels: list[list[str]]
    embeddings: np.ndarray
    represented: np.ndarray
    context: list[np.ndarray]
    is_anchor: np.ndarray


def codes_per_segment(coded: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """One row per segment (first-appearance order) with ``codes``: the list of its codes ([] when uncoded).

    Refuses codes that are not in the codebook, several codes on one segment of an exclusive codebook, and one
    ``segment_id`` on rows of different documents or texts (ids numbered afresh in each document), which would
    otherwise be merged into one segment.
    """
    check_table(coded, "coded segments", ("text", "code"))
    frame = coded.copy()
    frame["code"] = frame["code"].fillna("").astype(str).str.strip()
    refuse_unknown_codes(frame["code"], codebook)
    if "segment_id" not in frame:
        frame["segment_id"] = [f"row{i}" for i in range(len(frame))]
    frame["segment_id"] = frame["segment_id"].astype(str)
    refuse_shared_segment_ids(frame)
    grouped = frame.groupby("segment_id", sort=False)
    segments = grouped.first().reset_index()
    segments["codes"] = grouped["code"].agg(lambda codes: sorted({c for c in codes if c})).values
    if codebook.exclusive:
        several = segments[segments["codes"].map(len) > 1]
        if len(several):
            row = several.iloc[0]
            raise InputError(
                f"codebook {codebook.name!r} is exclusive (one code per segment) but segment {row['segment_id']!r} "
                f"has {len(row['codes'])} codes: {', '.join(row['codes'])}" + _coders_of(frame, row["segment_id"])
            )
    return segments


def _coders_of(frame: pd.DataFrame, segment_id: str) -> str:
    """What to add to the refusal of several codes on ``segment_id`` when they are codes of several coders (a
    ``coder`` column, as in a double-coded ``.qdpx`` import's ``codings.csv``): who they are and what to do."""
    if "coder" not in frame:
        return ""
    rows = frame[(frame["segment_id"] == segment_id) & (frame["code"] != "")]
    coders = sorted(set(rows["coder"].astype(str).str.strip()))
    if len(coders) < 2:
        return ""
    return (f", of {len(coders)} coders ({', '.join(coders)}): an exclusive codebook learns one code per segment, "
            "so learn from one coder's rows (--coder NAME)")


def refuse_unknown_codes(codes: pd.Series, codebook: Codebook, source: str | Path | None = None,
                         other_hint: Callable[[str], str] | None = None) -> None:
    """Raise :class:`InputError` naming the first of ``codes`` (stripped; ``""`` is no code) that is not an id of
    ``codebook``, with the codebook's hint (a code given by its name names the id), and the others: a spreadsheet
    that writes codes by name or in another case was fixed one code per run. With ``source``, the file ``codes``
    were read from (their index :func:`~theme_assist.inputs.read_table`'s), the message names it and the lines of
    each code. ``other_hint`` gives the hint where the codebook has none (a project's code a revision mapped)."""
    unknown = sorted(set(codes) - set(codebook.ids) - {""})
    if not unknown:
        return
    hint = codebook.hint(unknown[0]) or (other_hint(unknown[0]) if other_hint else "")
    if source is None:
        more = f"; {len(unknown) - 1} more not in it either: {listed(unknown[1:])}" if len(unknown) > 1 else ""
        raise InputError(f"code {unknown[0]!r} in the coded data is not in codebook {codebook.name!r}"
                         f"{hint}{more}")
    from theme_assist.inputs import lines_of

    def placed(code: str) -> str:
        return f"{code} ({lines_of(codes == code)})"

    more = (f"; {len(unknown) - 1} more not in it either: {listed([placed(code) for code in unknown[1:]])}"
            if len(unknown) > 1 else "")
    raise InputError(f"coded segments {source}: code {unknown[0]!r} ({lines_of(codes == unknown[0])}) is not in "
                     f"codebook {codebook.name!r}{hint}{more}")


def refuse_shared_segment_ids(frame: pd.DataFrame, source: str | Path | None = None) -> None:
    """Raise :class:`InputError` (naming ``source`` when given) when a ``segment_id`` of ``frame`` stands on rows
    of different documents or different texts: repeated rows of one segment (several codes) share its document
    and text."""
    columns = [column for column in ("document", "text") if column in frame]
    if not columns:
        return
    distinct = frame.groupby("segment_id", sort=False)[columns].nunique(dropna=False)
    shared = distinct[(distinct > 1).any(axis=1)]
    if not len(shared):
        return
    segment_id = shared.index[0]
    column = next(column for column in columns if shared.at[segment_id, column] > 1)
    values = frame.loc[frame["segment_id"] == segment_id, column].drop_duplicates().head(2).map(_clipped)
    what = "documents" if column == "document" else "texts"
    more = "" if len(shared) == 1 else f"; {len(shared) - 1} more ids like it"
    raise InputError(f"{f'{source}: ' if source else ''}segment_id {segment_id!r} is on rows of different {what} "
                     f"({', '.join(values)}{more}): give each segment an id of its own (repeat it only for several "
                     "codes on the same segment)")


def _clipped(text, limit: int = 40) -> str:
    text = " ".join(str(text).split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def anchor_texts(codebook: Codebook) -> list[tuple[str, str]]:
    """``(code id, text)`` for every code's description and anchor example, in codebook order."""
    items = []
    for code in codebook.all_codes:
        items.append((code.id, code.describe()))
        items.extend((code.id, example) for example in code.examples)
    return items


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def _sigmoid(scores: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-scores))


class CodeSuggester(BaseEstimator):
    """Suggest codes for segments, with a score in [0, 1] and the most similar coded quotes as evidence.

    Parameters
    ----------
    embedder : Embedder or None
        Anything with ``model_id`` (a string, saved and checked by :meth:`load`) and ``encode(texts) -> array``
        (one row per text, scaled here to unit length); ``None`` uses the packaged default model.
    top_k : int
        Codes suggested per segment.
    threshold : float or "auto"
        A segment whose best score is below this gets an abstention instead of suggestions. In multi-label
        codebooks it is also the score a code needs to be suggested at all. ``"auto"``: 1.5 times the chance
        score 1/K of an exclusive codebook with K codes (at most 0.5) — the best code must stand out from a
        uniform guess — and 0.5 for multi-label codebooks (the code applies more likely than not).
    n_evidence : int
        Coded quotes given as evidence for each suggestion (1–3 is what a coder reads).
    hidden_layers : tuple of int
        Hidden layers of the encoder (``-2`` is the one below the last) whose mean-pooled token states join the
        sentence embedding among the head's features: they keep more of a text's form (a question, a hedge, a
        restatement) than the last layer, which is trained for topical similarity. ``()`` uses the sentence
        embedding alone, as does an embedder without ``encode_with_layers``. Costs no extra pass of the model.
    context_weight : float
        Weight of the previous and next segments' embeddings among the features (0 switches context off).
    tfidf_weight : float
        Weight of the TF-IDF word n-gram block among the features (0 switches it off).
    C : float
        Inverse regularisation strength of the logistic-regression head.
    anchor_weight : float
        Sample weight of each codebook anchor text relative to one coded segment.
    zero_shot_temperature : float
        Temperature of the similarity softmax/logistic used when no coded segments exist.
    calibrate : bool
        Rescale the trained head's scores by temperature scaling (:mod:`theme_assist.calibrate`), fitted on
        held-out documents (folds grouped by document: 10 for a coding of fewer than 300 segments, 3 for a larger
        one), so that a score of 0.7 is right about 70 % of the time. It changes no ranking; it costs one extra fit
        of the head per fold. Needs at least 20 coded segments in two documents or more, with two codes or more;
        without them an exclusive codebook's head is sharpened until it is as sure as the codebook alone.
    prior_correction : bool
        Lean the head's scores back towards how often each code is used
        (:func:`theme_assist.calibrate.fit_prior_strength`): the head is trained with balanced class weights,
        which favours rare codes, and where codes differ much in frequency that costs agreement on the frequent
        ones. The strength is the one with the highest Cohen's κ plus macro-F1 on the same held-out scores as the
        calibration (0 keeps the balanced head). Exclusive codebooks with at least 300 coded segments in two
        documents or more; it can change the top code, not the evidence.
    random_state : int
        Seed for everything random in fitting.
    """

    def __init__(self, embedder=None, top_k: int = 3, threshold: float | str = "auto", n_evidence: int = 3,
                 hidden_layers: tuple[int, ...] = DEFAULT_HIDDEN_LAYERS, context_weight: float = 0.5,
                 tfidf_weight: float = 1.0, C: float = 1.0, anchor_weight: float = 1.0,
                 zero_shot_temperature: float = 0.1, calibrate: bool = True, prior_correction: bool = True,
                 random_state: int = 0):
        self.embedder = embedder
        self.top_k = top_k
        self.threshold = threshold
        self.n_evidence = n_evidence
        self.hidden_layers = hidden_layers
        self.context_weight = context_weight
        self.tfidf_weight = tfidf_weight
        self.C = C
        self.anchor_weight = anchor_weight
        self.zero_shot_temperature = zero_shot_temperature
        self.calibrate = calibrate
        self.prior_correction = prior_correction
        self.random_state = random_state

    def saved_params(self) -> dict:
        """The parameters of ``__init__`` and their values, the embedder excepted (:meth:`get_params` has every
        one): what :meth:`save` stores and a project records with each run."""
        import inspect

        names = [name for name in inspect.signature(type(self).__init__).parameters if name not in ("self", "embedder")]
        return {name: getattr(self, name) for name in names}

    # ------------------------------------------------------------------ fitting
    def _embedder(self):
        """``embedder``, or the packaged default model where it is ``None``
        (:func:`~theme_assist.embed.estimator_embedder`)."""
        return estimator_embedder(self)

    def _check_params(self) -> None:
        if self.top_k < 1:
            raise InputError(f"top_k must be at least 1, got {self.top_k}")
        if self.threshold != "auto" and not (isinstance(self.threshold, (int, float))
                                             and 0.0 <= self.threshold <= 1.0):
            raise InputError(f"threshold must be 'auto' or a number between 0 and 1, got {self.threshold!r}")
        if self.n_evidence < 0:
            raise InputError(f"n_evidence must be 0 or more, got {self.n_evidence}")
        check_layers(self.hidden_layers)

    def fit(self, coded: pd.DataFrame | None, codebook: Codebook) -> "CodeSuggester":
        """Learn from the codebook and the coded segments.

        Parameters
        ----------
        coded : DataFrame or None
            Columns ``text``, ``code`` (empty for uncoded segments, kept for context), optional ``segment_id``
            (repeated for several codes on one segment), ``document``, ``speaker``; a document's rows in order, or
            a ``position``, ``start`` or ``turn`` column (or ``DOCUMENT:N`` ids) that says it
            (:func:`~theme_assist.features.reading_order`). ``None`` or no coded rows: zero-shot from the codebook
            alone.
        codebook : Codebook
        """
        self._check_params()
        if len(codebook.all_codes) < 2:
            raise InputError(f"codebook {codebook.name!r} needs at least two codes to suggest between")
        embedder = self._embedder()
        self.codebook_ = codebook
        self.codebook_hash_ = codebook.content_hash()
        self.exclusive_ = codebook.exclusive
        self.model_id_ = embedder.model_id

        segments = codes_per_segment(coded, codebook) if coded is not None and len(coded) else None
        has_codes = segments is not None and segments["codes"].map(bool).any()
        anchors = anchor_texts(codebook)
        # zero-shot compares sentence embeddings
        self.hidden_layers_ = usable_layers(embedder, self.hidden_layers) if has_codes else ()
        anchor_vectors, anchor_represented = embed_with_layers(embedder, [text for _, text in anchors],
                                                               self.hidden_layers_)

        if not has_codes:
            self.mode_ = "zero-shot"
            self.classes_ = [code.id for code in codebook.leaf_codes]
            self.prototypes_ = _prototypes(anchors, anchor_vectors, self.classes_)
            self._set_evidence(ids=[f"{ANCHOR_PREFIX}{code}" for code, _ in anchors],
                               texts=[text for _, text in anchors], labels=[[code] for code, _ in anchors],
                               vectors=anchor_vectors)
            self._resolve_threshold()
            return self

        self.mode_ = "trained"
        segment_vectors, segment_represented = embed_with_layers(embedder, segments["text"].astype(str).tolist(),
                                                                 self.hidden_layers_)
        previous, following = neighbour_index(segments)
        coded_rows = np.flatnonzero(segments["codes"].map(bool).to_numpy())
        coded_codes = {code for codes in segments["codes"].iloc[coded_rows] for code in codes}
        items = TrainingItems(
            segment_ids=segments["segment_id"].iloc[coded_rows].tolist() + [f"{ANCHOR_PREFIX}{c}" for c, _ in anchors],
            texts=segments["text"].iloc[coded_rows].astype(str).tolist() + [t for _, t in anchors],
            labels=segments["codes"].iloc[coded_rows].tolist() + [[c] for c, _ in anchors],
            embeddings=np.vstack([segment_vectors[coded_rows], anchor_vectors]),
            represented=np.vstack([segment_represented[coded_rows], anchor_represented]),
            context=[np.vstack([rows_or_zero(segment_represented, neighbours[coded_rows]),
                                _anchor_context(segment_represented, neighbours, [c for c, _ in anchors],
                                                coded_codes)])
                     for neighbours in (previous, following)],
            is_anchor=np.r_[np.zeros(len(coded_rows), bool), np.ones(len(anchors), bool)],
        )
        self.classes_ = codebook.choices(coded_codes)
        keep = [i for i, labels in enumerate(items.labels) if set(labels) & set(self.classes_)]
        self.features_ = FeatureBuilder(context_weight=self.context_weight, tfidf_weight=self.tfidf_weight)
        represented, context = items.represented[keep], [block[keep] for block in items.context]
        sample = None  # for _match_codebook_sharpness, the only one to read it
        if self.calibrate and self.exclusive_:
            rows = _spread(len(segments), SCORING_ROWS)
            sample = (segments["text"].iloc[rows].astype(str).tolist(), segment_vectors[rows],
                      segment_represented[rows], [rows_or_zero(segment_represented, index[rows])
                                                  for index in (previous, following)])
        # from here on what the head sees is in X: the representations beside it took hundreds of MB more, at
        # 20,000 coded segments, through every fit of the head
        del segment_vectors, segment_represented
        items.represented = items.context = None
        X = self.features_.fit_transform([items.texts[i] for i in keep], represented, context)
        del represented, context
        weights = np.where(items.is_anchor[keep], self.anchor_weight, 1.0)
        labels = [items.labels[i] for i in keep]
        self.coef_, self.intercept_ = self._fit_head(X, labels, weights)
        self.temperature_, self.prior_strength_, self.calibrated_ = 1.0, 0.0, False
        if self.calibrate or self.prior_correction:
            documents = (segments["document"].astype(str) if "document" in segments else segments["segment_id"])
            groups = np.r_[documents.iloc[coded_rows].to_numpy(dtype=str), np.full(len(anchors), "")][keep]
            self._calibrate_on_held_out(X, labels, weights, groups, items.is_anchor[keep])
        if self.calibrate and not self.calibrated_ and self.exclusive_:
            leaves = [code.id for code in codebook.leaf_codes]
            self._match_codebook_sharpness(_prototypes(anchors, anchor_vectors, leaves), *sample)
        del sample
        # evidence: the coded quotes, and the anchor texts of codes nobody has coded yet (every coded row is kept:
        # its codes, all in the codebook (codes_per_segment), are in classes_)
        evidence_rows = [i for i in keep if not items.is_anchor[i] or items.labels[i][0] not in coded_codes]
        self._set_evidence(ids=[items.segment_ids[i] for i in evidence_rows],
                           texts=[items.texts[i] for i in evidence_rows],
                           labels=[items.labels[i] for i in evidence_rows],
                           vectors=items.embeddings[evidence_rows])
        self._resolve_threshold()
        return self

    def _resolve_threshold(self) -> None:
        if self.threshold == "auto":
            self.threshold_ = min(0.5, 1.5 / len(self.classes_)) if self.exclusive_ else 0.5
        else:
            self.threshold_ = float(self.threshold)

    def _fit_head(self, X, labels: list[list[str]], weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from sklearn.linear_model import LogisticRegression

        def make():
            return LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000,
                                      random_state=self.random_state)

        if self.exclusive_:
            y = np.array([self.classes_.index(codes[0]) for codes in labels])
            present = np.unique(y)
            coef = np.zeros((len(self.classes_), X.shape[1]))
            intercept = np.full(len(self.classes_), UNLEARNED_INTERCEPT)
            if len(present) == 1:  # one code seen (a one-code codebook): nothing to tell apart, it takes every segment
                intercept[present[0]] = 0.0
                return coef, intercept
            head = make().fit(X, y, sample_weight=weights)
            if len(present) == 2:  # sklearn keeps one row for a binary problem
                coef[present[1]], intercept[present[1]] = head.coef_[0], head.intercept_[0]
                coef[present[0]], intercept[present[0]] = 0.0, 0.0
            else:
                coef[present], intercept[present] = head.coef_, head.intercept_
        else:
            coef = np.zeros((len(self.classes_), X.shape[1]))
            intercept = np.full(len(self.classes_), UNLEARNED_INTERCEPT)
            for k, code in enumerate(self.classes_):
                y = np.array([code in codes for codes in labels], dtype=int)
                if 0 < y.sum() < len(y):
                    head = make().fit(X, y, sample_weight=weights)
                    coef[k], intercept[k] = head.coef_[0], head.intercept_[0]
        # scipy's optimiser leaves a reference cycle that holds ``X`` (a calibration fold's copy of the training
        # rows: hundreds of MB at 20,000 coded segments) until the garbage collector happens to run; the folds'
        # copies piled up. A full collection walks every object torch and pandas made (0.4-1 s): only for an ``X``
        # whose copies matter
        if _matrix_bytes(X) >= COLLECT_AFTER_FIT_BYTES:
            gc.collect()
        return coef, intercept

    def _calibrate_on_held_out(self, X, labels: list[list[str]], weights: np.ndarray, groups: np.ndarray,
                               is_anchor: np.ndarray) -> None:
        """Set ``prior_strength_`` and ``temperature_`` from held-out decision values, and fold both into the
        head's weights (:mod:`theme_assist.calibrate`); nothing changes when there are too few segments or
        documents to hold out."""
        from theme_assist.calibrate import fit_prior_strength, fit_temperature, log_code_shares

        held_out = self._held_out_decisions(X, labels, weights, groups, is_anchor)
        if held_out is None:
            return
        decisions, truths = held_out
        if self.prior_correction and self.exclusive_ and int((~is_anchor).sum()) >= SMALL_CODING:
            log_prior = log_code_shares(truths, len(self.classes_))
            self.prior_strength_ = fit_prior_strength(decisions, truths, log_prior)
            decisions = decisions + self.prior_strength_ * log_prior
            self.intercept_ = self.intercept_ + self.prior_strength_ * log_prior
        if self.calibrate:
            self.temperature_, self.calibrated_ = fit_temperature(decisions, truths, self.exclusive_), True
            self.coef_, self.intercept_ = self.coef_ / self.temperature_, self.intercept_ / self.temperature_

    def _match_codebook_sharpness(self, prototypes: np.ndarray, texts: list[str], vectors: np.ndarray,
                                  represented: np.ndarray, context: list[np.ndarray]) -> None:
        """Sharpen the scores of an exclusive codebook's head that could not be calibrated (fewer than
        :data:`MIN_CALIBRATION_SEGMENTS` coded segments, one document or one code) until its best scores on the
        segments ``texts`` are on average as high as those of the codebook alone (zero-shot) on them, or the
        temperature reaches its lower bound (``TEMPERATURE_BOUNDS[0]``), where a head still flatter stays below that
        level; a head as sure as that already is left as it is.

        Trained on a handful of coded segments beside the anchor texts, the regularised head's scores are nearly
        uniform: on the demo's 19 codes, after one coded segment, a best score of about 0.08 where the codebook
        alone gave 0.2, and half the segments fell below the abstention threshold (1.5 / 19) that none had fallen
        below before. With nothing held out to fit a temperature on, the codebook's own scores say how sure to be.
        A temperature changes no ranking: the head's codes are suggested, and its κ is that of the head as trained
        (the product of head and codebook scores, tried instead, cost κ on three of four benchmarks coded with 5
        segments per code). It is kept in ``temperature_``; ``calibrated_`` stays False.

        Parameters
        ----------
        prototypes : ndarray of shape (n_codes, dim)
            Each leaf code's prototype (:func:`_prototypes`), as the codebook alone compares segments with; a
            coded parent code, in ``classes_`` too, has none.
        texts, vectors, represented, context
            Segments of the fit (:func:`_spread` of them): their texts, sentence embeddings, what the head sees of
            them and of their previous and next segment.
        """
        from scipy.optimize import brentq

        from theme_assist.calibrate import TEMPERATURE_BOUNDS

        target = self._zero_shot_scores(vectors, prototypes).max(axis=1).mean()
        decision = self._decision_values(texts, represented, context)

        def shortfall(log_t: float) -> float:
            return float(_softmax(decision / np.exp(log_t)).max(axis=1).mean() - target)

        low = np.log(TEMPERATURE_BOUNDS[0])
        if shortfall(0.0) >= 0:
            return
        log_t = low if shortfall(low) <= 0 else brentq(shortfall, low, 0.0, xtol=1e-4)
        self.temperature_ = float(np.exp(log_t))
        self.coef_, self.intercept_ = self.coef_ / self.temperature_, self.intercept_ / self.temperature_

    def _held_out_decisions(self, X, labels: list[list[str]], weights: np.ndarray, groups: np.ndarray,
                            is_anchor: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Decision values of the coded segments, each from a head that never saw its document, and their true
        codes (column indices, or a 0/1 matrix for a multi-label codebook); None when there are too few segments
        or documents, or when the held-out segments carry fewer than two codes."""
        from sklearn.model_selection import GroupKFold

        coded = np.flatnonzero(~is_anchor)
        folds = SMALL_CODING_FOLDS if len(coded) < SMALL_CODING else CALIBRATION_FOLDS
        n_folds = min(folds, len(np.unique(groups[coded])))
        if len(coded) < MIN_CALIBRATION_SEGMENTS or n_folds < 2:
            return None
        decisions, truths = [], []
        for train, test in GroupKFold(n_splits=n_folds).split(coded, groups=groups[coded]):
            fit_rows = np.r_[coded[train], np.flatnonzero(is_anchor)]
            held = coded[test]
            coef, intercept = self._fit_head(X[fit_rows], [labels[i] for i in fit_rows], weights[fit_rows])
            decision = np.asarray(X[held] @ coef.T) + intercept
            learned = intercept > UNLEARNED_INTERCEPT / 10  # codes absent from this fold's training cannot count
            if self.exclusive_:
                truth = np.array([self.classes_.index(labels[i][0]) for i in held])
                decisions.append(decision[learned[truth]])
                truths.append(truth[learned[truth]])
            else:
                truth = np.array([[code in labels[i] for code in self.classes_] for i in held], dtype=float)
                truths.append(truth * learned)
                decisions.append(decision)
        truths = np.concatenate(truths)
        # held-out codes that are all one code say nothing about how sure to be between codes: a temperature fitted
        # on them shrinks towards its bound and every score becomes 1.0 or 0.0
        n_codes_held_out = len(np.unique(truths)) if self.exclusive_ else int((truths.sum(axis=0) > 0).sum())
        if n_codes_held_out < 2:
            return None
        return np.vstack(decisions), truths

    def _set_evidence(self, ids, texts, labels, vectors) -> None:
        self.evidence_ids_ = list(ids)
        self.evidence_texts_ = list(texts)
        self.evidence_labels_ = [list(x) for x in labels]
        self.evidence_vectors_ = np.asarray(vectors, dtype=np.float32)
        # each code's quotes, gathered once: :meth:`_evidence` runs for every suggestion, and scanning every
        # quote's labels there made a batch cost (segments × top-k × quotes) in Python
        rows_by_code: dict[str, list[int]] = {}
        for row, row_labels in enumerate(self.evidence_labels_):
            for code in dict.fromkeys(row_labels):
                rows_by_code.setdefault(code, []).append(row)
        ids_array = np.array(self.evidence_ids_ + [None], dtype=object)[:-1]  # never a 2-D array of characters
        texts_array = np.array(self.evidence_texts_ + [None], dtype=object)[:-1]
        self._evidence_by_code = {
            code: (ids_array[rows], texts_array[rows], self.evidence_vectors_[rows], np.array(rows))
            for code, rows in rows_by_code.items()}

    # ------------------------------------------------------------------ predicting
    def _check_fitted(self) -> None:
        if not hasattr(self, "mode_"):
            raise NotFittedError("this suggester is not fitted yet: call fit() or load a saved one")

    def _embed_segments(self, segments: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | RepresentedRows,
                                                              tuple[np.ndarray, np.ndarray]]:
        """Sentence embeddings, the head's representations (:func:`~theme_assist.embed.embed_with_layers`, made
        a block of rows at a time where :meth:`_scores` reads them; the embeddings themselves in zero-shot mode) and
        the row indices of each segment's previous and next segment (:func:`~theme_assist.features.neighbour_index`).
        """
        vectors, represented = embed_with_layers(self._embedder(), segments["text"].astype(str).tolist(),
                                                 self.hidden_layers_, by_rows=True)
        return vectors, represented, neighbour_index(segments)

    def _scores(self, segments: pd.DataFrame, represented: np.ndarray | RepresentedRows,
                neighbours: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        if self.mode_ == "zero-shot":
            return self._zero_shot_scores(represented, self.prototypes_)
        texts = segments["text"].astype(str).tolist()
        scores = np.zeros((len(texts), len(self.classes_)))
        # a block of rows at a time: the features of a whole batch (embeddings, both neighbours' and TF-IDF, as
        # one sparse matrix) take gigabytes at tens of thousands of segments; each row's score is the same
        for start in range(0, len(texts), SCORING_ROWS):
            rows = slice(start, start + SCORING_ROWS)
            decision = self._decision_values(texts[rows], represented[rows],
                                             [rows_or_zero(represented, index[rows]) for index in neighbours])
            scores[rows] = _softmax(decision) if self.exclusive_ else _sigmoid(decision)
        return scores

    def _zero_shot_scores(self, vectors: np.ndarray | RepresentedRows, prototypes: np.ndarray) -> np.ndarray:
        """The codebook's own scores of segments with sentence embeddings ``vectors``: their similarity to each
        code's prototype (rows of ``prototypes``), through a softmax (exclusive) or logistic."""
        similarity = vectors @ prototypes.T
        if self.exclusive_:
            return _softmax(similarity / self.zero_shot_temperature)
        return _sigmoid((similarity - 0.5) / self.zero_shot_temperature)

    def _decision_values(self, texts: list[str], represented, context: list[np.ndarray]) -> np.ndarray:
        """The trained head's decision values (before softmax or logistic) of segments: their ``texts``, what the
        head sees of them and of their previous and next segment (``context``)."""
        X = self.features_.transform(texts, represented, context)
        if X.shape[1] != self.coef_.shape[1]:  # only a damaged saved suggester gets here
            raise InputError(f"the suggester's weights expect {self.coef_.shape[1]} features, not "
                             f"{X.shape[1]}: its saved folder is damaged; fit it again")
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def predict_proba(self, segments: pd.DataFrame) -> pd.DataFrame:
        """Scores in [0, 1]: one row per segment (index ``segment_id`` when given), one column per code."""
        self._check_fitted()
        check_table(segments, "segments", ("text",))
        _, represented, neighbours = self._embed_segments(segments)
        scores = self._scores(segments, represented, neighbours)
        index = segments["segment_id"].astype(str) if "segment_id" in segments else segments.index
        return pd.DataFrame(scores, index=index, columns=self.classes_)

    def suggest(self, segments: pd.DataFrame, top_k: int | None = None) -> pd.DataFrame:
        """The ``suggestions`` table: top codes per segment with score, rank and evidence, or an abstention.

        Rows of an abstention have ``code == ""``, ``rank == 1`` and ``score`` = the best code's score.
        """
        return self.suggest_and_score(segments, top_k)[0]

    def suggest_and_score(self, segments: pd.DataFrame,
                          top_k: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
        """:meth:`suggest`'s table, the scores of every code (as :meth:`predict_proba`'s, index ``segment_id``) and
        the segments' sentence embeddings, from one pass over the segments (a project's refit reads all three)."""
        self._check_fitted()
        check_table(segments, "segments", ("text",))
        top_k = self.top_k if top_k is None else top_k
        if top_k < 1:
            raise InputError(f"top_k must be at least 1, got {top_k}")
        segments = segments.reset_index(drop=True)
        if "segment_id" not in segments:
            segments = segments.assign(segment_id=[str(i) for i in range(len(segments))])
        vectors, represented, neighbours = self._embed_segments(segments)
        scores = self._scores(segments, represented, neighbours)
        table = pd.DataFrame(scores, index=segments["segment_id"].astype(str), columns=self.classes_)
        return self._ranked(segments, vectors, scores, top_k), table, vectors

    def _ranked(self, segments: pd.DataFrame, vectors: np.ndarray, scores: np.ndarray, top_k: int) -> pd.DataFrame:
        """The ``suggestions`` table of :meth:`suggest` from the segments' sentence embeddings and scores."""
        order = np.argsort(-scores, axis=1, kind="stable")[:, :top_k]
        rows = []
        texts = segments["text"].tolist()  # not segments.at[i, "text"] for each suggestion: a second at 100,000
        for i, segment_id in enumerate(segments["segment_id"].astype(str)):
            best = scores[i, order[i, 0]]
            ranked = [k for k in order[i] if scores[i, k] >= self.threshold_]
            if not ranked:
                rows.append({"segment_id": segment_id, "code": "", "score": float(best), "rank": 1, "evidence": []})
                continue
            if self.exclusive_:  # alternatives below the threshold still help the coder
                ranked = list(order[i])
            for rank, k in enumerate(ranked, start=1):
                code = self.classes_[k]
                rows.append({"segment_id": segment_id, "code": code, "score": float(scores[i, k]), "rank": rank,
                             "evidence": self._evidence(vectors[i], code, exclude=segment_id,
                                                        text=texts[i])})
        return pd.DataFrame(rows, columns=list(SUGGESTION_COLUMNS))

    def _evidence(self, vector: np.ndarray, code: str, exclude: str, text: str) -> list[dict]:
        if not self.n_evidence:
            return []
        if code not in self._evidence_by_code:
            return []
        ids, texts, vectors, rows = self._evidence_by_code[code]
        keep = np.flatnonzero((ids != exclude) & (texts != text))
        if not len(keep):
            return []
        similarity = vectors[keep] @ vector if len(keep) < len(rows) else vectors @ vector
        if len(similarity) > self.n_evidence:
            # the stable sort's first n_evidence, ties included, without sorting every quote of a common code
            cutoff = np.partition(similarity, len(similarity) - self.n_evidence)[len(similarity) - self.n_evidence]
            candidates = np.flatnonzero(similarity >= cutoff)
        else:
            candidates = np.arange(len(similarity))
        best = candidates[np.argsort(-similarity[candidates], kind="stable")[: self.n_evidence]]
        return [{"segment_id": self.evidence_ids_[rows[keep[b]]], "text": self.evidence_texts_[rows[keep[b]]],
                 "similarity": round(float(similarity[b]), 4)} for b in best]

    # ------------------------------------------------------------------ persistence
    def save(self, folder: str | Path) -> Path:
        """Write the fitted suggester as ``config.json``, ``evidence.json`` and ``arrays.npz`` (no pickle), a
        fine-tuned embedding model in ``encoder/``, and last ``manifest.json`` with the sha256 of each.

        The folder appears whole or not at all (:func:`~theme_assist.refi.atomic.atomic_folder`): it is written
        beside ``folder`` and swapped in when complete, so a save stopped midway leaves an earlier suggester there
        as it was. An existing folder that holds anything else is refused (:func:`refuse_replacing_other_files`).
        """
        self._check_fitted()
        target = Path(folder).resolve()  # a link is written through, as by write_table
        refuse_replacing_other_files(target)
        params = self.saved_params()
        config = {"format_version": FORMAT_VERSION, "theme_assist_version": __version__, "mode": self.mode_,
                  "embedding_model_id": self.model_id_, "codebook_hash": self.codebook_hash_,
                  "codebook_name": self.codebook_.name, "exclusive": self.exclusive_, "classes": self.classes_,
                  "params": params, "manifest": MANIFEST}
        arrays = {"evidence_vectors": self.evidence_vectors_}
        if self.mode_ == "zero-shot":
            arrays["prototypes"] = self.prototypes_
        else:
            arrays.update(coef=self.coef_, intercept=self.intercept_)
            config["temperature"] = self.temperature_
            config["prior_strength"] = self.prior_strength_
            config["calibrated"] = self.calibrated_
            config["hidden_layers"] = list(self.hidden_layers_)
            config["features"], feature_arrays = self.features_.to_state()
            arrays.update(feature_arrays)
        try:
            self._write(target, config, arrays)
        except OSError as exc:  # a full disk; a mount point or a folder in a read-only one cannot be swapped
            raise InputError(f"could not save the suggester in {folder} ({exc.strerror or exc}); an earlier one "
                             "there is as it was (a save is built beside the folder and swapped in: the folder "
                             "above it must be writable, and the folder no mount point)") from None
        return Path(folder)

    def _write(self, target: Path, config: dict, arrays: dict) -> None:
        """The folder :meth:`save` writes, built beside ``target`` and swapped in when complete."""
        from theme_assist.refi.atomic import atomic_folder

        with atomic_folder(target, force=True) as building:
            (building / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
            (building / "evidence.json").write_text(json.dumps(
                {"ids": self.evidence_ids_, "texts": self.evidence_texts_, "labels": self.evidence_labels_},
                ensure_ascii=False), encoding="utf-8")
            np.savez(building / "arrays.npz", **arrays)
            if isinstance(self.embedder, FinetunedEmbedder):
                self.embedder.save(building / ENCODER_FOLDER)
            (building / MANIFEST).write_text(json.dumps({"files": file_hashes(building)}, indent=2),
                                             encoding="utf-8")

    @classmethod
    def load(cls, folder: str | Path, codebook: Codebook, embedder=None) -> "CodeSuggester":
        """Read a suggester written by :meth:`save`, refusing another codebook or embedding model, and a folder
        whose files are not those its save wrote (:data:`MANIFEST`). One saved with a fine-tuned embedding model
        is read with that model (its ``encoder/``), not ``embedder``."""
        folder = Path(folder)
        if not folder.exists():  # a path mistyped in a job script, not a suggester missing its config.json
            raise InputError(f"no saved suggester at {folder}: no such folder")
        if not folder.is_dir():
            raise InputError(f"{folder} is not a saved suggester (a file; a suggester is saved as a folder)")
        hashes = _check_manifest(folder)
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            evidence = json.loads((folder / "evidence.json").read_text(encoding="utf-8"))
            with np.load(folder / "arrays.npz", allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
        except FileNotFoundError as exc:
            raise InputError(f"{folder} is not a saved suggester ({Path(exc.filename).name} is missing)") from None
        except (ValueError, EOFError, OSError, zipfile.BadZipFile) as exc:  # JSONDecodeError is a ValueError
            raise InputError(f"saved suggester in {folder} is damaged ({exc or type(exc).__name__})") from None
        try:
            return cls._from_saved(folder, codebook, embedder, config, evidence, arrays, hashes)
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            raise InputError(f"saved suggester in {folder} is damaged ({type(exc).__name__}: {exc})") from None

    @classmethod
    def _from_saved(cls, folder: Path, codebook: Codebook, embedder, config: dict, evidence: dict,
                    arrays: dict, hashes: dict[str, str]) -> "CodeSuggester":
        """The suggester a saved folder's parts describe (see :meth:`load`); ``hashes``: its files' sha256 as
        :func:`_check_manifest` found them."""
        if config.get("format_version") not in (1, FORMAT_VERSION):
            raise InputError(f"saved suggester in {folder} has format {config.get('format_version')}, "
                             f"this version reads formats 1 to {FORMAT_VERSION}")
        if config.get("manifest") and not (folder / MANIFEST).is_file():
            raise InputError(_incomplete(folder, f"{MANIFEST} is missing"))
        if (folder / ENCODER_FOLDER).is_dir():  # saved with a fine-tuned embedding model, run as ``embedder`` runs
            settings = {name: getattr(embedder, name) for name in ("cache_dir", "batch_size", "device")
                        if isinstance(embedder, Embedder)}
            computed = hashes.get(f"{ENCODER_FOLDER}/model.safetensors")  # read from the file, not the manifest
            embedder = FinetunedEmbedder.load(folder / ENCODER_FOLDER, **settings, weights_sha256_computed=computed)
        if config["codebook_hash"] != codebook.content_hash():
            raise InputError(f"saved suggester in {folder} was fitted on another codebook "
                             f"({config['codebook_name']!r}); refit it on this one")
        params = {**config["params"], "hidden_layers": tuple(config["params"].get("hidden_layers", ()))}
        suggester = cls(embedder=embedder, **params)
        if suggester._embedder().model_id != config["embedding_model_id"]:
            raise InputError(f"saved suggester in {folder} was fitted with embedding model "
                             f"{config['embedding_model_id']}, not {suggester._embedder().model_id}")
        suggester.codebook_, suggester.codebook_hash_ = codebook, config["codebook_hash"]
        suggester.exclusive_, suggester.classes_ = config["exclusive"], config["classes"]
        suggester.mode_, suggester.model_id_ = config["mode"], config["embedding_model_id"]
        if suggester.mode_ == "zero-shot":
            suggester.prototypes_, suggester.hidden_layers_ = arrays["prototypes"], ()
        else:
            suggester.coef_, suggester.intercept_ = arrays["coef"], arrays["intercept"]  # already calibrated
            suggester.temperature_ = config.get("temperature", 1.0)
            suggester.prior_strength_ = config.get("prior_strength", 0.0)
            suggester.calibrated_ = config.get("calibrated", suggester.temperature_ != 1.0)
            suggester.hidden_layers_ = tuple(config.get("hidden_layers", ()))
            if suggester.hidden_layers_ and not hasattr(suggester._embedder(), "encode_with_layers"):
                raise InputError(f"saved suggester in {folder} needs hidden-layer features, which this embedder "
                                 "does not give")
            suggester.features_ = FeatureBuilder.from_state(config["features"], arrays)
            if not len(suggester.classes_) == len(suggester.coef_) == len(suggester.intercept_):
                raise InputError(f"saved suggester in {folder} is damaged ({len(suggester.classes_)} codes but "
                                 f"{len(suggester.coef_)} rows of weights)")
        if not len(evidence["ids"]) == len(evidence["texts"]) == len(arrays["evidence_vectors"]):
            raise InputError(f"saved suggester in {folder} is damaged (its evidence quotes and vectors differ)")
        suggester._set_evidence(evidence["ids"], evidence["texts"], evidence["labels"], arrays["evidence_vectors"])
        suggester._resolve_threshold()
        return suggester


def refuse_replacing_other_files(folder: str | Path) -> None:
    """Refuse to save a suggester into an existing folder holding anything but a saved suggester's files
    (:data:`SAVED_NAMES`): a save replaces the folder whole."""
    from theme_assist.refi.atomic import folder_entries

    names = folder_entries(Path(folder)) or []  # a file is refused by atomic_folder; a folder gone meanwhile is empty
    others = sorted(name for name in names if name not in SAVED_NAMES and not _left_by_tools(name))
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise InputError(f"{folder} holds files that are not a saved suggester's ({shown}); saving replaces the "
                         "folder whole: give a new or empty folder")


def _left_by_tools(name: str) -> bool:
    """Whether a path (``/``-separated) in a saved folder is one of :data:`SYSTEM_FILES` or in one, or macOS's
    ``._NAME`` of a file."""
    return any(part in SYSTEM_FILES or part.startswith("._") for part in name.split("/"))


def _incomplete(folder: Path, what: str) -> str:
    return (f"saved suggester in {folder} is incomplete or altered ({what}): save it again, or copy the whole "
            "folder again")


def _check_manifest(folder: Path) -> dict[str, str]:
    """Refuse a saved folder whose files differ from those its :data:`MANIFEST` lists (a folder without one,
    written before manifests were, is not checked); the sha256 of each of its files, by its name there (none for a
    folder without a manifest)."""
    try:
        listed = dict(json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"])
    except FileNotFoundError:
        return {}
    except (ValueError, OSError, KeyError, TypeError) as exc:  # JSONDecodeError is a ValueError
        raise InputError(f"saved suggester in {folder} is damaged ({MANIFEST}: {exc or type(exc).__name__})") from None
    found = {name: digest for name, digest in file_hashes(folder).items()
             if name != MANIFEST and name.split("/")[0] in SAVED_NAMES and (name in listed or not _left_by_tools(name))}
    for name in sorted(set(listed) | set(found)):
        if name not in found:
            raise InputError(_incomplete(folder, f"{name} is missing"))
        if name not in listed:
            raise InputError(_incomplete(folder, f"{name} is not one of the files its save wrote"))
        if listed[name] != found[name]:
            raise InputError(_incomplete(folder, f"{name} is not the file its save wrote"))
    return found


def uncalibrated_note(suggester: CodeSuggester) -> str | None:
    """What to tell a user whose trained suggester's scores are not calibrated probabilities (too few coded
    segments or documents to hold any out), or None."""
    if suggester.mode_ != "trained" or suggester.calibrated_ or not suggester.calibrate:
        return None
    return (f"the scores are not calibrated probabilities: calibration needs at least {MIN_CALIBRATION_SEGMENTS} "
            "coded segments from two documents or more, coded with two codes or more")


def _prototypes(anchors: list[tuple[str, str]], anchor_vectors: np.ndarray, classes: list[str]) -> np.ndarray:
    """The prototype of each code of ``classes``: the normalised mean of the sentence embeddings ``anchor_vectors``
    of its :func:`anchor_texts` ``anchors``, one row per code."""
    return np.vstack([_normalise(anchor_vectors[[i for i, (code, _) in enumerate(anchors) if code == c]].mean(axis=0))
                      for c in classes])


def _anchor_context(represented: np.ndarray, neighbours: np.ndarray, anchor_codes: list[str],
                    coded_codes: set[str]) -> np.ndarray:
    """The previous (or next) segment's representation for each anchor text (``anchor_codes`` their codes), which
    has none: the mean of the segments' (``represented``, ``neighbours`` their row indices, -1 where there is none:
    a zero row) for the anchors of a code no segment is coded with (not in ``coded_codes``); zero rows for the
    others.

    Zero rows set every coded segment (a turn of a transcript, with neighbours) apart from every anchor text: the
    head learnt "has neighbours" as the coded segments' codes against the codes known from anchor texts alone,
    which took whatever looked like a turn (one segment coded on the demo made its code the best one of 116 of 537
    segments, where the codebook alone gave it 30; 20 segments all of one code, 513). The decision is per code, not
    per count of coded segments: a coder who codes a few codes first leaves the others learnt from anchors alone
    however many segments are coded. A code learnt from turns keeps zero rows for its anchors, which cost nothing
    measurable there (``theme-assist evaluate`` with the mean from 10 coded segments per code up: within ±0.003 κ
    of zero rows on EPITOME).
    """
    uncoded = np.array([code not in coded_codes for code in anchor_codes], dtype=bool)
    context = np.zeros((len(anchor_codes), represented.shape[1]), dtype=represented.dtype)
    if uncoded.any() and len(neighbours):
        # a weighted sum of the rows, not a mean over a copy of one row per segment (hundreds of MB at 20,000)
        counts = np.bincount(neighbours[neighbours >= 0], minlength=len(represented))
        context[uncoded] = (counts @ represented / len(neighbours)).astype(represented.dtype)
    return context


def _spread(n: int, most: int) -> np.ndarray:
    """At most ``most`` of the row indices ``0 … n - 1``, evenly spread over them, in order."""
    return np.unique(np.linspace(0, n - 1, min(n, most)).astype(int)) if n else np.zeros(0, dtype=int)


def _normalise(vector: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vector)
    return vector / norm if norm else vector


def _matrix_bytes(X) -> int:
    """The bytes of a dense or sparse (CSR/CSC/COO) matrix's arrays."""
    if isinstance(X, np.ndarray):
        return X.nbytes
    return sum(getattr(X, name).nbytes for name in ("data", "indices", "indptr", "row", "col") if hasattr(X, name))
