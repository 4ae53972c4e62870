"""The theme discovery estimator: candidate themes from the segments the codebook does not explain.

:class:`ThemeDiscoverer` chains swappable sub-models, in the manner of BERTopic:

1. a **selector** (:mod:`~theme_assist.discover.select`) picks the segments to cluster: those whose best code
   score stays below a threshold, or all of them; minimal responses among them ("Mm-hmm.", "Yeah, definitely.",
   :func:`~theme_assist.discover.label.minimal_responses`) are set aside unless ``keep_minimal``;
2. a **reducer** (:mod:`~theme_assist.discover.reduce`) projects their embeddings, with the encoder's hidden layers
   beside the sentence embedding, to a few dimensions;
3. a **clusterer** (:mod:`~theme_assist.discover.cluster`) groups them; small groups are dissolved and outliers
   join their nearest theme above a similarity floor (:mod:`~theme_assist.discover.outliers`);
4. a **labeller** (:mod:`~theme_assist.discover.label`) names each theme by c-TF-IDF, its best terms re-ranked by
   similarity to the theme's centre when the embedding model is at hand, in the language of each segment (its
   ``language`` column, else ``language``).

Turns of the speakers named in ``skip_speakers`` (the interviewer, the moderator) are left out before all that:
neither selected nor counted as explained, they are ``"skipped speaker"`` in the assignments.

Then each theme gets representative quotes, the documents and speakers it comes from, its nearest existing code,
a stability score from resampling, its spread over a metadata field, and a place in a merge tree.

Every input segment ends in exactly one row of :attr:`ThemeDiscoverer.assignments_`, with a theme id,
``"unclustered"``, ``"explained"`` (left out by the selector), ``"minimal response"`` (set aside) or
``"skipped speaker"``. The same input and ``random_state`` give the same output, byte for byte.
"""

from __future__ import annotations


import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from theme_assist import jsonout
from theme_assist.codebook import dump_codebook
from theme_assist.discover.cluster import CLUSTERERS, AutoClusterer, EstimatorClusterer
from theme_assist.discover.fragment import codebook_fragment
from theme_assist.discover.hierarchy import cut_tree, merge_tree
from theme_assist.discover.label import (ENGLISH, CTfidfLabeller, english_share, has_language_module, language_code,
                                         minimal_responses, splits_by_character)
from theme_assist.discover.nearest import code_prototypes, nearest_codes
from theme_assist.discover.outliers import one_theme_per_text, reassign_outliers, theme_centroids, tidy_labels
from theme_assist.discover.quotes import representative_quotes
from theme_assist.discover.reduce import PCAReducer
from theme_assist.discover.select import AllSegments, UnexplainedSegments
from theme_assist.discover.spread import spread_table
from theme_assist.discover.stability import resampled_stability
from theme_assist.embed import (DEFAULT_HIDDEN_LAYERS, check_layers, embed_with_layers, estimator_embedder,
                                usable_layers)
from theme_assist.errors import InputError
from theme_assist.inputs import check_table
from theme_assist.segment import check_speaker_names, ranked_names, speaker_turns
from theme_assist.suggest import NotFittedError

UNCLUSTERED = "unclustered"
EXPLAINED = "explained"
MINIMAL = "minimal response"
SKIPPED = "skipped speaker"

THEME_COLUMNS = ["theme", "label", "keywords", "size", "share", "stability", "n_documents", "documents",
                 "speakers", "nearest_code", "nearest_code_similarity", "quotes", "spread", "spread_rate"]
"""Columns of :attr:`ThemeDiscoverer.themes_`: ``theme`` (id ``T1``, ``T2``… by decreasing size; of two themes of
one size, the one whose first segment comes first in the input is numbered first), ``label`` (2–5 words),
``keywords`` (list, best first), ``size`` (segments), ``share`` (of the segments to cluster, the unclustered ones
too: the shares and ``outlier_share`` of :attr:`ThemeDiscoverer.summary_` add up to 1, up to rounding),
``stability`` (mean best-match Jaccard over resamples, in [0, 1]; NaN without resamples or for a theme none drew),
``n_documents``, ``documents`` and ``speakers`` (lists of ``{"name", "segments"}``, most segments first),
``nearest_code`` and ``nearest_code_similarity`` (``""`` and NaN without a codebook), ``quotes`` (list of
``{"segment_id", "document", "speaker", "text", "similarity"}``), ``spread`` and ``spread_rate`` (``{value:
segments}`` and ``{value: share of that value's segments}`` over the ``by`` field; empty without one). Where a
segment is not in English (:func:`segment_languages`), a column ``languages`` after ``speakers``: the language codes
of the theme's segments, as ``{"name", "segments"}``, most segments first."""

LANGUAGE_COLUMN = "language"
"""The column of the segments (a document metadata field) that gives each one's language, an ISO 639-1 code."""

ASSIGNMENT_COLUMNS = ["segment_id", "document", "speaker", "theme", "similarity", "best_code", "best_code_score",
                      "text"]
"""Columns of :attr:`ThemeDiscoverer.assignments_`, one row per input segment in input order: ``theme`` (a theme
id, ``"unclustered"``, ``"explained"``, ``"minimal response"`` or ``"skipped speaker"``), ``similarity`` (cosine
similarity to the theme's centroid; NaN outside themes), ``best_code`` and ``best_code_score`` (from the suggestion
engine; ``""`` and NaN without one), ``text`` (the segment's, verbatim: a researcher reads each theme's segments
without joining them to the input by hand)."""


def auto_min_size(n_segments: int) -> int:
    """Smallest theme for ``n_segments`` segments when none is given: a quarter of the square root, at least 3
    (20 segments: 3; 250: 4; 5,000: 18; 20,000: 35)."""
    return max(3, int(round(np.sqrt(n_segments) / 4)))


def _nothing_left(n_explained: int, n_minimal: int, n_skipped: int = 0) -> str:
    """Why no segment is left to cluster, as "every segment is …" goes on."""
    reasons = ["explained by a code (its best score reaches the selector's threshold)"] if n_explained else []
    reasons += ["a minimal response"] if n_minimal else []
    reasons += ["a turn of a skipped speaker"] if n_skipped else []
    if not reasons:  # no segment at all
        return "explained by a code (its best score reaches the selector's threshold)"
    return " or ".join(reasons)


def _name(component) -> str:
    """How the summary names a sub-model: its ``name``, or its class's name (a scikit-learn ``PCA`` has none)."""
    return getattr(component, "name", None) or type(component).__name__


class ThemeDiscoverer(BaseEstimator):
    """Discover candidate themes in segments, with labels, quotes, stability, spread and a merge tree.

    Parameters
    ----------
    embedder : Embedder or None
        Anything with ``encode(texts) -> ndarray``; ``None`` uses the packaged default model. When :meth:`fit`
        gets ``embeddings``, it only embeds label terms, to rank them by similarity to each theme's centre, and
        gives the hidden layers (it must be the model that made the embeddings); with ``embeddings`` and no
        embedder, labels rank by c-TF-IDF and the embeddings alone are clustered.
    hidden_layers : tuple of int
        Encoder layers whose mean-pooled token states join the sentence embedding in the space that is clustered
        (:func:`~theme_assist.embed.embed_with_layers`, as the suggestion head sees segments): they keep a
        turn's form (a question, a reflection, an account) beside its topic. Centres, quotes, similarities and the
        outlier floor stay in the sentence-embedding space. ``()`` clusters the sentence embeddings alone, as does
        an embedder without ``encode_with_layers``.
    selector : selector or None
        Which segments to cluster (:mod:`~theme_assist.discover.select`): an object with ``select(segments,
        scores) -> boolean mask`` (``scores``: the suggester's
        :meth:`~theme_assist.suggest.CodeSuggester.predict_proba`, or ``None``); ``None``:
        ``UnexplainedSegments(0.5)``, which selects every segment when :meth:`fit` gets no suggester.
    reducer : reducer or None
        Dimensionality reduction before clustering: an object with ``fit_transform(vectors) -> ndarray`` (a
        scikit-learn ``PCA`` or ``TruncatedSVD``, UMAP); ``None``: ``PCAReducer(5)``; ``NoReducer()`` switches it
        off.
    clusterer : str or clusterer
        ``"auto"`` (HDBSCAN, agglomerative for small corpora), ``"hdbscan"``, ``"agglomerative"``, ``"kmeans"``,
        an object with ``cluster(vectors, min_size, random_state) -> labels`` (:mod:`~theme_assist.discover.cluster`;
        ``-1`` for an outlier), or a scikit-learn clusterer with ``fit_predict`` (``KMeans(8)``,
        ``AgglomerativeClustering(8)``, :class:`~theme_assist.discover.cluster.EstimatorClusterer`).
    labeller : labeller or None
        Names the themes: an object with ``fit(texts, labels, centroids=None, encode=None)`` (``labels`` ``-1`` for
        the background), ``keywords(themes) -> [(term, weight), ...]`` and ``label(themes) -> str`` of a list of
        theme numbers (several for a branch of the merge tree), and ``distinct(labels) -> labels`` that tells equal
        labels apart; ``None``: ``CTfidfLabeller()``. Where a segment is not in English, ``fit`` also gets
        ``languages``, a code per text.
    Any sub-model may have a ``name``, which the summary shows (its class's name otherwise).
    min_size : int or None
        Smallest theme, in segments; ``None``: :func:`auto_min_size` of the number of selected segments.
    similarity_floor : float
        An outlier joins its nearest theme when its cosine similarity to the centroid reaches this.
    n_quotes : int
        Representative quotes per theme.
    n_resamples : int
        Resamples of the stability check (0 switches it off; stability is then NaN).
    resample_fraction : float
        Share of the segments in each resample.
    max_resample_rows : int or None
        Cap on the rows of a resample, bounding run time on large corpora (``min_size`` is scaled down with it).
    by : str or None
        Column of the segments (a document metadata field such as ``site``) to spread the themes over.
    keep_minimal : bool
        Cluster minimal responses too (backchannels, fillers, thanks and greetings whose every word is a stop word:
        "Mm-hmm.", "Yeah, definitely.", "Thank you."), which are otherwise set aside as ``"minimal response"``.
    language : str
        The language (ISO 639-1 code: ``"de"``, ``"he"``, ``"sw"``) of the segments without one in their
        ``language`` column (:func:`segment_languages`), which the labeller reads them in.
    skip_speakers : tuple of str
        Speakers whose turns are left out of the analysis (``("Interviewer", "Moderator")``: the participants' talk
        alone), compared with the ``speaker`` column case-insensitively and without surrounding spaces. Their
        segments are ``"skipped speaker"`` in the assignments: not clustered, not counted as explained, and in
        neither the reducer's fit, the minimal responses, the shares nor the spread; the summary counts them. A
        name no segment's speaker has is a warning that lists the speakers there are.
    random_state : int
        Seed of everything random (k-means, resamples).

    Attributes
    ----------
    selector_, reducer_, clusterer_, labeller_
        The sub-models the fit used: copies of those given (a scikit-learn clusterer in an
        :class:`~theme_assist.discover.cluster.EstimatorClusterer`), or the defaults.
    embedder_ : Embedder or None
        The embedder the fit used: ``embedder``, the packaged default model where that is ``None`` and :meth:`fit`
        got no ``embeddings``, or ``None``.
    themes_ : DataFrame
        One row per theme, columns :data:`THEME_COLUMNS`.
    assignments_ : DataFrame
        One row per input segment, columns :data:`ASSIGNMENT_COLUMNS`.
    hierarchy_ : DataFrame
        The merge tree of the themes (:data:`~theme_assist.discover.hierarchy.MERGE_COLUMNS`).
    minimal_ : ndarray
        Row numbers of the segments set aside as minimal responses (empty with ``keep_minimal``).
    skipped_ : ndarray
        Row numbers of the turns of ``skip_speakers`` (empty without).
    spread_counts_, spread_rates_ : DataFrame or None
        Themes × values of ``by`` (with an ``unclustered`` row); ``None`` without ``by``.
    summary_ : dict
        Counts, outlier share, the methods used (with the resamples of the stability score), and ``notes``
        explaining empty or degraded results, naming themes of one document (:func:`one_document_notes`) and
        segments mostly not in English (:func:`language_notes`); with ``skip_speakers``, also those names,
        ``n_skipped_speakers`` and ``skipped_speakers`` (the speakers matched, as ``{"name", "segments"}``).
    """

    def __init__(self, embedder=None, hidden_layers: tuple[int, ...] = DEFAULT_HIDDEN_LAYERS, selector=None,
                 reducer=None, clusterer="auto", labeller=None, min_size: int | None = None,
                 similarity_floor: float = 0.25, n_quotes: int = 5, n_resamples: int = 10,
                 resample_fraction: float = 0.8, max_resample_rows: int | None = 5000, by: str | None = None,
                 keep_minimal: bool = False, skip_speakers: tuple[str, ...] = (), language: str = ENGLISH,
                 random_state: int = 0):
        self.embedder = embedder
        self.hidden_layers = hidden_layers
        self.selector = selector
        self.reducer = reducer
        self.clusterer = clusterer
        self.labeller = labeller
        self.min_size = min_size
        self.similarity_floor = similarity_floor
        self.n_quotes = n_quotes
        self.n_resamples = n_resamples
        self.resample_fraction = resample_fraction
        self.max_resample_rows = max_resample_rows
        self.by = by
        self.keep_minimal = keep_minimal
        self.skip_speakers = skip_speakers
        self.language = language
        self.random_state = random_state

    # ------------------------------------------------------------------ parameters
    def _check_params(self, segments: pd.DataFrame) -> None:
        if self.min_size is not None and self.min_size < 2:
            raise InputError(f"the smallest theme (min_size) must be at least 2 segments, got {self.min_size}")
        if not -1.0 <= self.similarity_floor <= 1.0:
            raise InputError(f"similarity_floor must be between -1 and 1, got {self.similarity_floor}")
        check_layers(self.hidden_layers)
        check_speaker_names(self.skip_speakers)
        if self.n_quotes < 1:
            raise InputError(f"n_quotes must be at least 1, got {self.n_quotes}")
        if self.n_resamples < 0:
            raise InputError(f"n_resamples must be 0 or more, got {self.n_resamples}")
        if not 0.0 < self.resample_fraction <= 1.0:
            raise InputError(f"resample_fraction must be in (0, 1], got {self.resample_fraction}")
        if isinstance(self.clusterer, str) and self.clusterer not in CLUSTERERS:
            raise InputError(f"unknown clusterer {self.clusterer!r}; choose one of {', '.join(CLUSTERERS)}")
        check_table(segments, "segments", ("text",))
        segment_languages(segments, self.language)
        if self.by is not None and self.by not in segments:
            fields = [c for c in segments.columns if c not in ("segment_id", "text", "start", "end", "turn",
                                                               "position")]
            raise InputError(f"cannot spread themes over {self.by!r}: no such field "
                             f"(available: {', '.join(fields) or 'none'})")

    def _components(self):
        """The sub-models a fit uses: copies of those given (a fit leaves its parameters as they were set, and
        the labeller it fits is ``labeller_``), the defaults for those not given."""
        from sklearn.base import clone

        selector = clone(self.selector, safe=False) if self.selector is not None else UnexplainedSegments(0.5)
        reducer = clone(self.reducer, safe=False) if self.reducer is not None else PCAReducer()
        clusterer = (CLUSTERERS[self.clusterer]() if isinstance(self.clusterer, str)
                     else clone(self.clusterer, safe=False))
        if not hasattr(clusterer, "cluster") and hasattr(clusterer, "fit_predict"):
            clusterer = EstimatorClusterer(clusterer)
        labeller = clone(self.labeller, safe=False) if self.labeller is not None else CTfidfLabeller()
        return selector, reducer, clusterer, labeller

    # ------------------------------------------------------------------ fitting
    def fit(self, segments: pd.DataFrame, embeddings: np.ndarray | None = None,
            suggester=None) -> "ThemeDiscoverer":
        """Discover themes.

        Parameters
        ----------
        segments : DataFrame
            ``text``; optional ``segment_id`` (row numbers otherwise), ``document``, ``speaker`` and the ``by``
            field.
        embeddings : ndarray or None
            One L2-normalised row per segment; computed with ``embedder`` when ``None``.
        suggester : CodeSuggester or None
            A fitted suggestion engine: its scores drive the selector and its codes are the candidates for
            ``nearest_code``.
        """
        self._check_params(segments)
        segments = segments.reset_index(drop=True).copy()
        if "segment_id" not in segments:
            segments["segment_id"] = [str(i) for i in range(len(segments))]
        for column in ("segment_id", "text", "document", "speaker"):
            segments[column] = segments[column].fillna("").astype(str) if column in segments else ""
        self.languages_ = segment_languages(segments, self.language)
        for code in sorted(set(self.languages_)):
            if not has_language_module(code):
                warnings.warn(f"language {code}: spaCy has no language module for it here, so its words are labelled "
                              "without its stop words (with English ones only)")
            elif splits_by_character(code):  # a label of one character ("作") says little: read the quotes
                warnings.warn(f"language {code}: spaCy splits it into single characters here (no word segmenter), so "
                              "its themes are labelled by characters, not words: read the quotes")
        self.embedder_ = self._embedder_for(embeddings)
        vectors = self._embeddings(segments, embeddings)
        space = self._clustering_space(segments, vectors)
        selector, reducer, clusterer, labeller = self._components()
        self.selector_, self.reducer_, self.clusterer_ = selector, reducer, clusterer
        scores = suggester.predict_proba(segments) if suggester is not None else None
        skipped = self._skipped(segments["speaker"])
        self.skipped_ = np.flatnonzero(skipped)
        chosen = np.asarray(selector.select(segments, scores), dtype=bool)
        selected = np.flatnonzero(chosen & ~skipped)
        n_explained = int((~chosen & ~skipped).sum())
        notes: list[str] = []
        minimal = self._minimal(segments["text"].iloc[selected].tolist(), notes)
        # the reducer sees the minimal responses too: they pull a principal axis of their own, and without them the
        # projection, and so the themes, of the other segments changed (the demo's 18 themes became 11, one of 195)
        reduce_with = space[selected]
        self.minimal_ = selected[minimal]
        selected = selected[~minimal]

        min_size = self.min_size or auto_min_size(len(selected))
        labels, method = self._cluster_selected(vectors[selected], space[selected], reducer, clusterer, min_size,
                                                (reduce_with, np.flatnonzero(~minimal)),
                                                _nothing_left(n_explained, len(self.minimal_), len(self.skipped_)),
                                                notes)
        theme_ids = [f"T{k + 1}" for k in range(int(labels.max()) + 1 if len(labels) else 0)]
        centroids = theme_centroids(vectors[selected], labels)

        texts = segments["text"].iloc[selected].tolist()
        encode = self.embedder_.encode if self.embedder_ is not None else None
        languages = self.languages_[selected]
        # a labeller of English alone (one given, written before there were languages) is called as it was
        more = {"languages": languages.tolist()} if (self.languages_ != ENGLISH).any() else {}
        labeller.fit(texts, labels, centroids=centroids, encode=encode, **more)
        self.labeller_ = labeller
        stability = self._stability(vectors[selected], space[selected], labels, clusterer, min_size)
        code_ids, prototypes = code_prototypes(suggester) if suggester is not None else ([], None)
        self.codebook_ids_ = suggester.codebook_.ids if suggester is not None else []
        nearest = nearest_codes(centroids, code_ids, prototypes)

        self.assignments_ = self._assignments(segments, selected, labels, theme_ids, vectors, centroids, scores)
        self.themes_ = self._themes(segments, selected, labels, theme_ids, vectors, centroids, labeller,
                                    stability, nearest)
        notes.extend(one_document_notes(self.themes_, segments["document"]))
        # the labeller reads the segments given another language in theirs: the note is of those said in English
        notes.extend(language_notes([text for text, code in zip(texts, languages) if code == ENGLISH])
                     if theme_ids else [])
        self.hierarchy_, self.linkage_ = merge_tree(centroids, theme_ids, self.themes_["size"].tolist())
        self.hierarchy_["label"] = [labeller.label([theme_ids.index(t) for t in themes])
                                    for themes in self.hierarchy_["themes"]]
        self.centroids_ = centroids
        n_unclustered = int((labels < 0).sum())
        selection = (AllSegments.name if scores is None and isinstance(selector, UnexplainedSegments)
                     else _name(selector))  # without scores it selects every segment, whatever its threshold
        self.summary_ = {
            "n_segments": len(segments), "n_selected": len(selected), "n_explained": n_explained,
            "n_minimal": len(self.minimal_),
            **({"skip_speakers": list(self.skip_speakers), "n_skipped_speakers": len(self.skipped_),
                "skipped_speakers": ranked_names(segments["speaker"].iloc[self.skipped_].str.strip())}
               if self.skip_speakers else {}),  # without it, the summary is as it was before there was the option
            "n_themes": len(theme_ids), "n_unclustered": n_unclustered,
            "outlier_share": round(n_unclustered / len(selected), 4) if len(selected) else 0.0,
            "selection": selection,
            "hidden_layers": list(self.hidden_layers_), "reducer": _name(reducer),
            "clusterer": method, "min_size": min_size,
            "n_resamples": self.n_resamples, "resample_fraction": self.resample_fraction,
            "max_resample_rows": self.max_resample_rows,
            "similarity_floor": self.similarity_floor, "random_state": self.random_state, "by": self.by,
            "notes": notes,
        }
        return self

    def _skipped(self, speakers: pd.Series) -> np.ndarray:
        """Which segments are turns of ``skip_speakers``; a warning for each name that matches no speaker."""
        return speaker_turns(speakers, self.skip_speakers)

    def _minimal(self, texts: list[str], notes: list[str]) -> np.ndarray:
        """Which of the selected ``texts`` are set aside as minimal responses (none with ``keep_minimal``): left in,
        backchannels made a dozen themes of an interview corpus ("yeah", "mm, hmm", "okay", "right", …)."""
        if self.keep_minimal or not texts:
            return np.zeros(len(texts), dtype=bool)
        minimal = minimal_responses(texts)
        if minimal.any():
            examples = pd.Series(texts)[minimal].str.strip().value_counts().index[:3]
            notes.append(f"{int(minimal.sum())} of {len(texts)} segments to cluster are minimal responses "
                         f"(backchannels, fillers, thanks: {', '.join(map(repr, examples))}), set aside as "
                         f"{MINIMAL!r}, not clustered; keep_minimal (--keep-minimal) clusters them too")
        return minimal

    def _embedder_for(self, embeddings: np.ndarray | None):
        """The embedder a fit uses: ``embedder``, or the packaged default model where it is ``None`` and there are
        no ``embeddings`` (:func:`~theme_assist.embed.estimator_embedder`; ``None`` where there are)."""
        if self.embedder is None and embeddings is not None:
            return None
        return estimator_embedder(self)

    def _embeddings(self, segments: pd.DataFrame, embeddings: np.ndarray | None) -> np.ndarray:
        if embeddings is None:
            embeddings = self.embedder_.encode(segments["text"].tolist())
        vectors = np.asarray(embeddings, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(segments):
            raise InputError(f"got {len(vectors)} embeddings for {len(segments)} segments")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1.0)

    def _clustering_space(self, segments: pd.DataFrame, vectors: np.ndarray) -> np.ndarray:
        """The vectors that are reduced and clustered: ``vectors`` with the hidden layers beside them."""
        self.hidden_layers_ = usable_layers(self.embedder_, self.hidden_layers)
        return embed_with_layers(self.embedder_, segments["text"].tolist(), self.hidden_layers_, vectors=vectors)[1]

    def _cluster(self, vectors: np.ndarray, space: np.ndarray, reduced: np.ndarray, clusterer,
                 min_size: int) -> np.ndarray:
        """Cluster, dissolve groups under ``min_size``, give outliers their nearest theme in the clustered
        ``space`` where their sentence embedding reaches the similarity floor, and one theme to each text; the
        themes are numbered by their sizes after all that (:func:`one_theme_per_text`)."""
        labels = tidy_labels(clusterer.cluster(reduced, min_size, self.random_state), min_size)
        labels = reassign_outliers(vectors, labels, self.similarity_floor, space=space)
        return one_theme_per_text(labels, space, min_size)

    def _cluster_selected(self, vectors: np.ndarray, space: np.ndarray, reducer, clusterer, min_size: int,
                          reduce_with: tuple[np.ndarray, np.ndarray], nothing_left: str,
                          notes: list[str]) -> tuple[np.ndarray, str]:
        if not len(vectors):
            notes.append(f"every segment is {nothing_left}; nothing is left to cluster")
            return np.full(0, -1), "none"
        if len(vectors) < 2 * min_size:
            notes.append(f"{len(vectors)} segment(s) to cluster: too few for two themes of at least {min_size} "
                         f"segments; all are left unclustered")
            return np.full(len(vectors), -1), "none"
        fitted_on, rows = reduce_with  # the rows of ``space`` in the vectors the reducer is fitted on
        self.reduced_ = reducer.fit_transform(fitted_on)[rows]
        labels = self._cluster(vectors, space, self.reduced_, clusterer, min_size)
        method = getattr(clusterer, "used_", None) or _name(clusterer)
        unclustered = float((labels < 0).mean())
        if labels.max() < 0:  # not the similarity floor: no theme was there to reach
            smaller = "a smaller min_size or " if min_size > 2 else ""
            notes.append(f"the {method} clusterer found no group of at least {min_size} similar segments; "
                         f"try {smaller}another clusterer")
        elif unclustered > 0.10:
            notes.append(f"{unclustered:.0%} of the segments are below the similarity floor "
                         f"{self.similarity_floor} to every theme and stay unclustered")
        return labels, method

    def _stability(self, vectors: np.ndarray, space: np.ndarray, labels: np.ndarray, clusterer,
                   min_size: int) -> np.ndarray:
        if not len(labels) or labels.max() < 0 or self.n_resamples == 0:
            return np.full(int(labels.max()) + 1 if len(labels) else 0, np.nan)
        if isinstance(clusterer, AutoClusterer):  # resamples are smaller: keep the method the full data used
            clusterer = clusterer.density if clusterer.used_ == clusterer.density.name else clusterer.fallback

        def cluster_rows(rows: np.ndarray) -> np.ndarray:
            scaled = max(2, int(round(min_size * len(rows) / len(labels))))
            return self._cluster(vectors[rows], space[rows], self.reduced_[rows], clusterer, scaled)

        return resampled_stability(cluster_rows, labels, self.n_resamples, self.resample_fraction,
                                   self.max_resample_rows, self.random_state)

    # ------------------------------------------------------------------ tables
    def _assignments(self, segments, selected, labels, theme_ids, vectors, centroids, scores) -> pd.DataFrame:
        theme = np.full(len(segments), EXPLAINED, dtype=object)
        theme[self.minimal_] = MINIMAL
        theme[self.skipped_] = SKIPPED
        theme[selected] = [theme_ids[k] if k >= 0 else UNCLUSTERED for k in labels]
        similarity = np.full(len(segments), np.nan)
        clustered = selected[labels >= 0]
        similarity[clustered] = np.einsum("ij,ij->i", vectors[clustered], centroids[labels[labels >= 0]])
        table = pd.DataFrame({"segment_id": segments["segment_id"], "document": segments["document"],
                              "speaker": segments["speaker"], "theme": theme, "similarity": similarity.round(4)})
        if scores is not None and scores.shape[1]:
            values = scores.to_numpy(dtype=float)  # zero-shot scores are float32, which rounds to 0.43389999866…
            table["best_code"] = np.asarray(scores.columns)[values.argmax(axis=1)]
            table["best_code_score"] = values.max(axis=1).round(4)
        else:
            table["best_code"], table["best_code_score"] = "", np.nan
        table["text"] = segments["text"]
        return table[ASSIGNMENT_COLUMNS]

    def _themes(self, segments, selected, labels, theme_ids, vectors, centroids, labeller, stability,
                nearest) -> pd.DataFrame:
        chosen = segments.iloc[selected].reset_index(drop=True)
        texts = chosen["text"].tolist()
        self.spread_counts_ = self.spread_rates_ = None
        if self.by is not None:
            names = np.array([theme_ids[k] if k >= 0 else UNCLUSTERED for k in labels], dtype=object)
            self.spread_counts_, self.spread_rates_ = spread_table(pd.Series(names), chosen[self.by])
        rows = []
        names = labeller.distinct([labeller.label([k]) for k in range(len(theme_ids))])
        for k, theme in enumerate(theme_ids):
            members = np.flatnonzero(labels == k)
            quotes = representative_quotes(vectors[selected], texts, members, centroids[k], self.n_quotes)
            row = {
                "theme": theme, "label": names[k],
                "keywords": [term for term, _ in labeller.keywords([k])],
                "size": len(members), "share": round(len(members) / len(labels), 4),
                "stability": round(float(stability[k]), 4),
                "n_documents": int(chosen["document"].iloc[members].loc[lambda d: d != ""].nunique()),
                "documents": ranked_names(chosen["document"].iloc[members]),
                "speakers": ranked_names(chosen["speaker"].iloc[members]),
                "nearest_code": nearest[k][0], "nearest_code_similarity": nearest[k][1],
                "quotes": [{"segment_id": chosen.at[i, "segment_id"], "document": chosen.at[i, "document"],
                            "speaker": chosen.at[i, "speaker"], "text": chosen.at[i, "text"], "similarity": s}
                           for i, s in quotes],
                "spread": {}, "spread_rate": {},
            }
            if (self.languages_ != ENGLISH).any():
                row["languages"] = ranked_names(pd.Series(self.languages_[selected][members]))
            if self.spread_counts_ is not None:
                row["spread"] = {v: int(n) for v, n in self.spread_counts_.loc[theme].items() if n}
                row["spread_rate"] = {v: float(r) for v, r in self.spread_rates_.loc[theme].items() if r}
            rows.append(row)
        columns = list(THEME_COLUMNS)
        if (self.languages_ != ENGLISH).any():
            columns.insert(columns.index("speakers") + 1, "languages")
        return pd.DataFrame(rows, columns=columns)

    # ------------------------------------------------------------------ results
    def _check_fitted(self) -> None:
        if not hasattr(self, "themes_"):
            raise NotFittedError("this discoverer is not fitted yet: call fit() first")

    def merge_themes(self, n_groups: int | None = None, min_similarity: float | None = None) -> pd.Series:
        """Broader theme (``"G1"``…) of every theme, cutting the merge tree into ``n_groups`` or where
        themes are less similar than ``min_similarity`` (give exactly one)."""
        self._check_fitted()
        if (n_groups is None) == (min_similarity is None):
            raise InputError("give exactly one of n_groups and min_similarity")
        if n_groups is not None and n_groups < 1:
            raise InputError(f"n_groups must be at least 1, got {n_groups}")
        return cut_tree(self.linkage_, self.themes_["theme"].tolist(), n_groups, min_similarity)

    def to_dict(self, include_assignments: bool = True) -> dict:
        """Summary, themes, merge tree, cross-site tables and (optionally) every segment's assignment, as
        JSON-ready builtins (NaN becomes ``None``)."""
        self._check_fitted()
        out = {
            "summary": self.summary_,
            "themes": self.themes_.to_dict("records"),
            "hierarchy": self.hierarchy_.to_dict("records"),
        }
        if self.spread_counts_ is not None:
            out["spread"] = {"field": self.by, "counts": self.spread_counts_.to_dict("index"),
                             "rates": self.spread_rates_.to_dict("index")}
        if include_assignments:
            out["assignments"] = self.assignments_.to_dict("records")
        return _json_ready(out)

    def to_json(self, include_assignments: bool = True) -> str:
        """:meth:`to_dict` as indented JSON text (deterministic: the same fit gives the same bytes)."""
        return jsonout.dumps(self.to_dict(include_assignments), ensure_ascii=False, indent=2)

    def to_codebook_fragment(self, name: str = "Candidate themes") -> str:
        """The themes as a YAML codebook of candidate codes, readable by
        :func:`theme_assist.codebook.parse_codebook`, whose ids are none of the codebook's that :meth:`fit` got
        (with its suggester), so that they can be pasted into it."""
        self._check_fitted()
        if self.themes_.empty:
            raise InputError("no themes were found, so there is no codebook fragment to write")
        return dump_codebook(codebook_fragment(self.themes_, name=name, taken=self.codebook_ids_))


def one_document_notes(themes: pd.DataFrame, documents: pd.Series) -> list[str]:
    """A note for each theme (rows of :data:`THEME_COLUMNS`) whose segments all come from one of several
    ``documents``: a topic of that conversation, which its label and candidate code present as one the documents
    share."""
    if documents[documents != ""].nunique() < 2:
        return []
    return [f"{theme['theme']} ({theme['label']}) comes from one document only, {theme['documents'][0]['name']}: "
            "a topic of that document rather than one the documents share"
            for _, theme in themes.iterrows() if theme["n_documents"] == 1]


#: Share of English words (:func:`~theme_assist.discover.label.english_share`) below which a note says that labels
#: and themes may not fit the segments.
MIN_ENGLISH_SHARE = 0.5


def segment_languages(segments: pd.DataFrame, default: str = ENGLISH) -> np.ndarray:
    """The language code of each of the ``segments`` (:func:`~theme_assist.discover.label.language_code`): its
    :data:`LANGUAGE_COLUMN`'s (a column of that name in any case: a spreadsheet's ``Language``), case and spaces
    ignored, else ``default`` (also where that column is empty).

    Raises
    ------
    InputError
        If ``default`` or a value of the column is no code of two letters, naming it (and a document that has it);
        or if two columns are the language column but for case.
    """
    default = language_code(default, "language")
    columns = [column for column in segments.columns if str(column).strip().lower() == LANGUAGE_COLUMN]
    if not columns:
        return np.full(len(segments), default, dtype=object)
    if len(columns) > 1:
        raise InputError(f"the metadata has {len(columns)} language columns ({', '.join(map(str, columns))}): keep one")
    values = segments[columns[0]].fillna("").astype(str)
    codes = {}
    for value in values.unique():
        if value.strip():
            document = str(segments["document"][values == value].iloc[0]) if "document" in segments else None
            codes[value] = language_code(value, str(columns[0]), document)
        else:
            codes[value] = default
    return values.map(codes).to_numpy(dtype=object)


def language_notes(texts: list[str]) -> list[str]:
    """A note where most words of the clustered ``texts`` (those in English by their language) are not English
    ones: the labeller reads them with an English lexicon and stop words, and an English encoder (the packaged
    default) may group them by language."""
    share = english_share(texts)
    if share is None or share >= MIN_ENGLISH_SHARE:
        return []
    return [f"only {share:.0%} of the words of the clustered segments are English: labels are made with an English "
            "lexicon and stop words (they may name stop words of another language, or whole sentences of a script "
            "without spaces), and an English embedding model such as the default may group the segments by "
            "language rather than topic; read the quotes, and give the segments' language (a language column of the "
            "metadata, or --language) to have them labelled in it"]


def _json_ready(value):
    """Builtins only, with NaN as ``None`` (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_json_ready(v) for v in value.tolist()]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    return value
