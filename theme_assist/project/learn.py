"""Learning from review: decisions become training data, and the engine refits in the background.

:func:`refit` fits a :class:`~theme_assist.suggest.CodeSuggester` on the project's human codings and live review
decisions (see :func:`~theme_assist.project.state.training_codings`), suggests codes for every segment but the turns
of the speakers the project skips (:meth:`~theme_assist.project.store.ProjectStore.skipped_segment_ids`), orders the
open segments for active learning (:mod:`~theme_assist.project.active`) and stores all of it as a new model run.

:class:`BackgroundRefitter` calls :func:`refit` in a worker thread after every ``every`` decisions. Requests only
bump a counter under a lock, so a running fit never holds up the review page; decisions made during a fit
trigger one more fit when it ends.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np
import pandas as pd

from theme_assist import __version__
from theme_assist.codebook import Codebook
from theme_assist.errors import InputError
from theme_assist.project.active import active_order, margin_uncertainty, score_margin_uncertainty
from theme_assist.project.state import training_codings
from theme_assist.project.store import ProjectStore

logger = logging.getLogger(__name__)

def training_table(segments: pd.DataFrame, codings: pd.DataFrame, decisions: pd.DataFrame,
                   codebook: Codebook) -> pd.DataFrame:
    """Every segment in document order with its training ``code`` ("" if uncoded; one row per code), in the
    ``coded`` format of :meth:`CodeSuggester.fit`. Codes no longer in the codebook are left out."""
    coded = training_codings(codings, decisions, codebook.exclusive)
    coded = coded[coded["code"].isin(set(codebook.ids))]
    table = segments[["segment_id", "document", "speaker", "text"]].merge(coded, on="segment_id", how="left")
    table["code"] = table["code"].fillna("")
    return table


def open_queue(suggestions: pd.DataFrame, segment_ids: np.ndarray, is_open: np.ndarray, vectors: np.ndarray,
               diversity: float = 0.5, scores: pd.DataFrame | None = None, exclusive: bool = True,
               is_coded: np.ndarray | None = None) -> pd.DataFrame:
    """The active-learning queue over the open segments.

    A segment's uncertainty is 1 − (best score − second best score). With ``scores`` of an exclusive codebook both
    are read from every code's score, for a segment the engine abstains on as for one with suggestions: the rule
    ``evaluation/simulate_coder.py`` measured. The suggestions of an abstention hold its best score alone, and
    :func:`~theme_assist.project.active.margin_uncertainty`'s 1 − best score, on another scale, put an abstention
    whose codes all score alike (a margin near 0) behind a segment with suggestions and a margin of 0.1. Without
    ``scores``, or of a multi-label codebook (whose codes do not compete), the suggestions give the uncertainty.

    Parameters
    ----------
    suggestions : DataFrame
        The engine's suggestions for (at least) the open segments.
    segment_ids, is_open : ndarray, shape (n,)
        Every segment's id and whether it still waits for a coder.
    vectors : ndarray, shape (n, d)
        Every segment's embedding; the coded segments count for diversity.
    diversity : float
        See :func:`~theme_assist.project.active.active_order`.
    scores : DataFrame, optional
        The engine's score of every code (columns) for (at least) the open segments (index: segment id), as
        :meth:`~theme_assist.suggest.CodeSuggester.predict_proba` gives them.
    exclusive : bool
        Whether the codebook is exclusive (one code per segment): only then are ``scores`` read.
    is_coded : ndarray, shape (n,), optional
        Whether each segment is coded (those count for diversity); default: every segment not open. A segment
        neither open nor coded (a skipped speaker's turn) is not queued and does not count.

    Returns
    -------
    DataFrame
        ``segment_id``, ``uncertainty``, ``priority`` (0 = ask first), one row per open segment.
    """
    if scores is not None and exclusive:
        uncertainty = pd.Series(score_margin_uncertainty(scores.to_numpy()), index=scores.index)
    else:
        uncertainty = margin_uncertainty(suggestions)
    uncertainty = uncertainty.reindex(segment_ids).fillna(1.0).to_numpy()
    is_coded = ~is_open if is_coded is None else is_coded
    order = active_order(uncertainty[is_open], vectors[is_open], vectors[is_coded], diversity=diversity)
    return pd.DataFrame({"segment_id": segment_ids[is_open][order], "uncertainty": uncertainty[is_open][order],
                         "priority": np.arange(len(order))})


def refit(store: ProjectStore, embedder=None, top_k: int = 3, threshold: float | str = "auto",
          diversity: float = 0.5, **suggester_params) -> int:
    """Fit the engine on what the project's coders have decided, store its suggestions; returns the run id.

    Parameters
    ----------
    store : ProjectStore
    embedder : Embedder, optional
        Defaults to the packaged model.
    top_k, threshold
        As for :class:`~theme_assist.suggest.CodeSuggester`.
    diversity : float
        Weight of diversity against uncertainty in the active-learning queue.
    **suggester_params
        Further :class:`~theme_assist.suggest.CodeSuggester` parameters.
    """
    from theme_assist.suggest import CodeSuggester

    with store.snapshot():  # n_decisions counts exactly the decisions the fit learns from
        codebook = store.codebook()
        codebook_version = store.codebook_version()
        n_decisions = store.decision_count()
        segments = store.segments()
        table = training_table(segments, store.codings(), store.decisions(), codebook)
        skipped = store.skipped_segment_ids()
    if segments.empty:  # every document withdrawn (project suggest says so before; a review page's refit here)
        raise InputError(f"{store.path.name} has no document that is not withdrawn: nothing to suggest for")
    suggester = CodeSuggester(embedder=embedder, top_k=top_k, threshold=threshold, **suggester_params)
    suggester.fit(table, codebook)
    # the skipped speakers' turns are suggested for with the rest, as the context of their neighbours (as suggest
    # --skip-speaker does), then left out: no suggestion stored, none in the queue
    suggestions, scores, vectors = suggester.suggest_and_score(segments, top_k=top_k)
    suggestions = suggestions[~suggestions["segment_id"].isin(skipped)].reset_index(drop=True)
    coded_ids = set(table.loc[table["code"] != "", "segment_id"])
    is_coded = segments["segment_id"].isin(coded_ids).to_numpy()
    is_open = ~is_coded & ~segments["segment_id"].isin(skipped).to_numpy()
    queue = open_queue(suggestions, segments["segment_id"].to_numpy(), is_open, vectors, diversity=diversity,
                       scores=scores, exclusive=suggester.exclusive_, is_coded=is_coded)
    params = suggester.saved_params() | {"diversity": diversity}
    n_training = len(coded_ids)
    return store.add_run(
        suggestions, model_id=f"CodeSuggester {suggester.mode_} (theme_assist {__version__}) on {suggester.model_id_}",
        embedding_model=suggester.model_id_, engine_version=__version__, mode=suggester.mode_, params=params,
        n_training=n_training, n_decisions=n_decisions, queue=queue, codebook_version=codebook_version)


class BackgroundRefitter:
    """Refit a project's engine in a worker thread after every ``every`` decisions.

    Parameters
    ----------
    path : str or Path
        The project file (the worker opens its own connection).
    every : int
        Decisions between two fits.
    embedder : Embedder, optional
        Shared by all fits, so the model is loaded once; defaults to the packaged model.
    **refit_params
        Passed to :func:`refit`.
    """

    def __init__(self, path: str | Path, every: int = 10, embedder=None, **refit_params):
        self.path = Path(path)
        self.every = every
        self.embedder = embedder
        self.refit_params = refit_params
        self._lock = threading.Lock()
        self._pending = 0
        self._thread: threading.Thread | None = None
        self._working = False  # set and cleared under the lock: the worker may be alive but past its last look
        self._again = False
        self.fits_completed = 0
        self.last_error = ""

    def decisions_recorded(self, count: int = 1) -> None:
        """Count new decisions; start a fit once ``every`` have come in since the last one started."""
        with self._lock:
            self._pending += count
            due = self._pending >= self.every
        if due:
            self.start()

    def start(self) -> None:
        """Start a fit now, or one more right after the running one."""
        with self._lock:
            self._pending = 0
            if self._working:
                self._again = True
                return
            self._working = True
            self._thread = threading.Thread(target=self._work, name="theme-assist-refit", daemon=True)
            try:
                self._thread.start()
            except BaseException:
                self._working = False
                raise

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the running fit (and any queued one); True if none is running afterwards."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.running

    def _work(self) -> None:
        from theme_assist.embed import estimator_embedder

        while True:
            store = None
            try:
                store = ProjectStore(self.path)
                refit(store, embedder=estimator_embedder(self), **self.refit_params)
                self.fits_completed += 1
                self.last_error = ""
            except InputError as exc:  # the user's situation (a read-only or unreadable file): one line
                self.last_error = str(exc)
                logger.warning("background refit failed: %s", exc)
            except Exception as exc:  # a failed fit must not take the review server down
                self.last_error = str(exc) or type(exc).__name__
                logger.exception("background refit failed")
            finally:
                if store is not None:
                    store.close()
            with self._lock:
                if not self._again:
                    self._working = False
                    return
                self._again = False
