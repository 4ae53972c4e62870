"""Features the suggestion head is trained on.

A segment is described by three blocks, stacked side by side:

* its embedding: what :class:`~theme_assist.suggest.CodeSuggester` makes of the encoder's output (the sentence
  embedding and mean-pooled hidden layers, unit length as a whole);
* the embeddings of the previous and of the next segment of the same document, each times ``context_weight``
  (zero where there is none, and for codebook anchor texts): a reflection answers the client, a question is
  followed by an answer;
* TF-IDF word 1–2-grams (sublinear tf, L2-normalised rows), times ``tfidf_weight``: exact wording (question marks,
  "so you feel…") that a general-purpose embedding blurs.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from scipy import sparse


ORDER_COLUMNS = ("position", "start", "turn")
"""Columns that say where a segment stands in its document, in order of preference: ``position`` (suggest
--segments-out, project exports), ``start`` (a span's offset: import-qdpx's codings.csv), ``turn`` (a reference
coding's layout)."""


def position_in_document(segments: pd.DataFrame) -> np.ndarray | None:
    """Each row's place in its document where the table says it, decided document by document: the first of
    :data:`ORDER_COLUMNS` that every row of the document has a number in, else positional segment ids
    (``DOCUMENT:N``, as theme_assist names a transcript's segments) where every row of the document has one; NaN
    in the documents where the table does not say it, None where it says it in none."""
    place = None
    for numbers in _places_in_document(segments):
        place = numbers if place is None else np.where(np.isnan(place), numbers, place)
        if not np.isnan(place).any():
            break
    return place


def _places_in_document(segments: pd.DataFrame) -> Iterator[np.ndarray]:
    """Every way the table says each row's place in its document, in :func:`position_in_document`'s order of
    preference, each made when asked for: those of :data:`ORDER_COLUMNS`, then positional segment ids, each with
    NaN in the documents where it does not give every row a number (a column filled for some documents only is
    read in those), and left out where it gives none."""
    documents = (segments["document"].fillna("").astype(str) if "document" in segments
                 else pd.Series("", index=segments.index))
    for column in ORDER_COLUMNS:
        if column in segments:
            numbers = pd.to_numeric(segments[column], errors="coerce")
            yield from _where_whole_documents(numbers, documents)
    if "segment_id" in segments and "document" in segments:
        parts = segments["segment_id"].astype(str).str.rpartition(":")
        numbers = pd.to_numeric(parts[2].where(parts[2].str.fullmatch(r"\d+", na=False)), errors="coerce")
        yield from _where_whole_documents(numbers.where(parts[0] == documents), documents)


def _where_whole_documents(numbers: pd.Series, documents: pd.Series) -> Iterator[np.ndarray]:
    """``numbers`` (float) with NaN in each document where some row has none; nothing where every document has."""
    whole = numbers.notna().groupby(documents, sort=False).transform("all")
    if whole.any():
        yield numbers.where(whole).to_numpy(dtype=float)


def unplaced_rows(segments: pd.DataFrame) -> np.ndarray:
    """Which rows the table does not say the place of in their document (:func:`position_in_document`): all of
    them where it says it for none."""
    place = position_in_document(segments)
    return np.ones(len(segments), dtype=bool) if place is None else np.isnan(place)


def documents_in_given_order(segments: pd.DataFrame, unplaced: np.ndarray | None = None) -> int:
    """How many documents :func:`reading_order` reads in the rows' order because the table does not say where
    their rows stand, where it says so for other documents (0 where it says it for all or for none).
    ``unplaced``: :func:`unplaced_rows` of ``segments``, where the caller has it."""
    unplaced = unplaced_rows(segments) if unplaced is None else unplaced
    if unplaced.all() or "document" not in segments:
        return 0
    said = pd.Series(~unplaced).groupby(segments["document"].fillna("").astype(str).to_numpy()).all()
    return int((~said).sum())


def reading_order(segments: pd.DataFrame) -> np.ndarray:
    """Row indices of ``segments`` document by document (in the order documents first appear), each document's
    rows in reading order: by :func:`position_in_document` where the table says it for the document, else as
    given. Rows it places alike (the sentences of one turn) follow the next way the table says it, then the given
    order.

    A table's row order need not be its reading order: a spreadsheet sorted by code put a document's segments of
    one code side by side, so each segment's neighbours (:func:`neighbour_index`) told its code, and a team's own
    evaluate read κ 0.784 where the same coding in reading order gave 0.726 (the demo corpus)."""
    first_seen = pd.factorize(segments["document"].fillna("").astype(str))[0]
    # a way of placing rows that a document lacks ties all its rows (NaN made 0), leaving them to the next way
    places = [np.nan_to_num(place, nan=0.0) for place in _places_in_document(segments)]
    # np.lexsort sorts by its last key first
    return np.lexsort((np.arange(len(segments)), *places[::-1], first_seen))


SORTED_MIN_ROWS = 10
"""Fewest coded rows, in documents of two codes or more, that :func:`sorted_by_code` calls sorted by code."""


def sorted_by_code(coded: pd.DataFrame, unplaced: np.ndarray | None = None) -> bool:
    """Whether a coded table (``document``, ``code``), in the documents where it does not say where their rows stand
    (:func:`unplaced_rows`; ``unplaced``, where the caller has them), looks sorted by code: every such document's codes
    in alphabetical order, one way or the other, and some document with three codes or more, in documents of two
    codes or more that hold :data:`SORTED_MIN_ROWS` coded rows in all (which reading order hardly ever gives; three
    rows of three codes fall in order one time in three). Alphabetical as Python sorts, or as a spreadsheet does:
    apart from case, and numeric codes by their value."""
    if "document" not in coded:
        return False
    unplaced = unplaced_rows(coded) if unplaced is None else unplaced
    codes = coded.loc[(coded["code"].astype(str) != "").to_numpy() & unplaced, ["document", "code"]].astype(str)
    by_document = codes.groupby("document", sort=False)["code"].agg(list)
    n_codes = by_document.map(lambda c: len(set(c)))
    if not len(by_document) or n_codes.max() < 3 or by_document[n_codes > 1].map(len).sum() < SORTED_MIN_ROWS:
        return False
    keys = [str, str.casefold]
    if pd.to_numeric(codes["code"], errors="coerce").notna().all():
        keys.append(float)
    return any(by_document.map(lambda c: _in_order([key(x) for x in c])).all() for key in keys)


def _in_order(values: list) -> bool:
    """Whether ``values`` are sorted, one way or the other."""
    return values == sorted(values) or values == sorted(values, reverse=True)


def neighbour_index(segments: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of each segment's previous and next segment in the same document, -1 where there is none.

    Neighbours follow each document's reading order (:func:`reading_order`). Without a ``document`` column no
    segment has neighbours.
    """
    previous = np.full(len(segments), -1, dtype=np.int64)
    following = np.full(len(segments), -1, dtype=np.int64)
    if "document" not in segments or not len(segments):
        return previous, following
    order = reading_order(segments)
    documents = segments["document"].fillna("").astype(str).to_numpy()[order]
    same = np.flatnonzero(documents[1:] == documents[:-1])
    previous[order[same + 1]] = order[same]
    following[order[same]] = order[same + 1]
    return previous, following


def rows_or_zero(vectors: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``vectors[index]``, with a zero row where ``index`` is -1."""
    out = np.zeros((len(index), vectors.shape[1]), dtype=vectors.dtype)
    has = index >= 0
    out[has] = vectors[index[has]]
    return out


def dense_to_csr(dense: np.ndarray) -> sparse.csr_matrix:
    """``scipy.sparse.csr_matrix(dense)`` (its zeros left out) without the 64-bit row and column index of every
    entry that the conversion goes through: for the dense blocks of tens of thousands of segments those alone
    took gigabytes."""
    dense = np.ascontiguousarray(dense)
    n_rows, n_columns = dense.shape
    stored = dense != 0
    index_dtype = np.int32 if stored.sum() < np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(n_rows + 1, dtype=index_dtype)
    np.cumsum(stored.sum(axis=1), out=indptr[1:])
    indices = np.broadcast_to(np.arange(n_columns, dtype=index_dtype), dense.shape)[stored]
    return sparse.csr_matrix((dense[stored], indices, indptr), shape=dense.shape)


FEATURE_ROWS = 512
"""Rows whose dense features :func:`beside_tfidf` builds at once."""


def beside_tfidf(dense_rows, tfidf: sparse.csr_matrix) -> sparse.csr_matrix:
    """``sparse.hstack([dense_to_csr(dense_rows(slice(None))), tfidf], format="csr")``, the same matrix, built
    :data:`FEATURE_ROWS` rows at a time into arrays of its final size.

    The whole dense block, its sparse copy and the copies that stacking makes took several times the result's
    memory: gigabytes when a suggester is fitted on tens of thousands of coded segments. Each block's dense
    features are built twice (to count the stored values, then to fill them in): the price of not keeping every
    block's sparse copy.

    Parameters
    ----------
    dense_rows : callable
        ``dense_rows(rows)``: the dense features (float32) of a ``slice`` of rows.
    tfidf : scipy.sparse.csr_matrix
        The sparse features, one row per row of the dense ones.
    """
    n_rows = tfidf.shape[0]
    blocks = [slice(start, start + FEATURE_ROWS) for start in range(0, n_rows, FEATURE_ROWS)]
    per_row = np.diff(tfidf.indptr).astype(np.int64)
    for rows in blocks:
        per_row[rows] += np.count_nonzero(dense_rows(rows), axis=1)
    n_stored, n_columns = int(per_row.sum()), dense_rows(slice(0, 0)).shape[1] + tfidf.shape[1]
    index_dtype = np.int32 if max(n_stored, n_columns - 1) <= np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(n_rows + 1, dtype=index_dtype)
    np.cumsum(per_row, out=indptr[1:])
    data = np.empty(n_stored, dtype=np.result_type(np.float32, tfidf.dtype))
    indices = np.empty(n_stored, dtype=index_dtype)
    for rows in blocks:
        part = sparse.hstack([dense_to_csr(dense_rows(rows)), tfidf[rows]], format="csr")
        stored = slice(indptr[rows.start], indptr[min(rows.stop, n_rows)])
        data[stored], indices[stored] = part.data, part.indices
    return sparse.csr_matrix((data, indices, indptr), shape=(n_rows, n_columns))


class FeatureBuilder:
    """Build the feature matrix of :mod:`theme_assist.suggest` (see the module docstring).

    Parameters
    ----------
    context_weight : float
        Weight of the previous and next segments' embeddings; 0 leaves both blocks out.
    tfidf_weight : float
        Weight of the TF-IDF block; 0 leaves it out.
    min_df : int
        A word n-gram must occur in this many training texts to become a feature.
    """

    def __init__(self, context_weight: float = 0.5, tfidf_weight: float = 1.0, min_df: int = 2):
        self.context_weight = context_weight
        self.tfidf_weight = tfidf_weight
        self.min_df = min_df

    def _vectorizer(self, vocabulary=None):
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=self.min_df, lowercase=True,
                               token_pattern=r"(?u)\b\w+\b|\?", vocabulary=vocabulary, dtype=np.float32)

    def fit_transform(self, texts: list[str], embeddings: np.ndarray, context: list[np.ndarray]):
        self.tfidf_ = None
        if self.tfidf_weight > 0:
            self.tfidf_ = self._vectorizer()
            try:
                self.tfidf_.fit(texts)
            except ValueError:  # too few texts for min_df: no vocabulary
                self.tfidf_ = None
        return self.transform(texts, embeddings, context)

    def transform(self, texts: list[str], embeddings: np.ndarray, context: list[np.ndarray]):
        """Features of ``texts`` with their ``embeddings`` and the ``context`` embedding blocks (previous, next)."""
        if self.tfidf_ is None:
            return self._dense_rows(embeddings, context, slice(None))
        return beside_tfidf(lambda rows: self._dense_rows(embeddings, context, rows),
                            self.tfidf_weight * self.tfidf_.transform(texts))

    def _dense_rows(self, embeddings: np.ndarray, context: list[np.ndarray], rows: slice) -> np.ndarray:
        """The embedding block and the weighted context blocks of ``rows``, side by side (float32)."""
        blocks = [np.asarray(embeddings[rows], dtype=np.float32)]
        if self.context_weight > 0:
            blocks.extend(self.context_weight * np.asarray(block[rows], dtype=np.float32) for block in context)
        return np.hstack(blocks)

    def to_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """JSON-able settings and named arrays; :meth:`from_state` rebuilds an identical builder."""
        config = {"context_weight": self.context_weight, "tfidf_weight": self.tfidf_weight, "min_df": self.min_df,
                  "tfidf_vocabulary": None}
        arrays = {}
        if self.tfidf_ is not None:
            vocabulary = sorted(self.tfidf_.vocabulary_, key=self.tfidf_.vocabulary_.get)
            config["tfidf_vocabulary"] = vocabulary
            arrays["tfidf_idf"] = self.tfidf_.idf_
        return config, arrays

    @classmethod
    def from_state(cls, config: dict, arrays: dict[str, np.ndarray]) -> "FeatureBuilder":
        builder = cls(config["context_weight"], config["tfidf_weight"], config["min_df"])
        builder.tfidf_ = None
        if config.get("tfidf_vocabulary"):
            builder.tfidf_ = builder._vectorizer(vocabulary=config["tfidf_vocabulary"])
            builder.tfidf_.idf_ = arrays["tfidf_idf"]
        return builder
