"""Dropping the suggestions of superseded model runs that nothing needs (``theme-assist project prune``).

Every run (``project suggest``, a refit of the review page every 10 decisions) stores a suggestion per code shown
for every segment, so a long review grows the project file by a run's size every few minutes. Of a superseded run
nothing reads most of them again. :func:`prune` keeps

* every suggestion of the ``keep`` latest runs (the latest: what the review page, its queue and ``project export
  --qdpx`` show);
* every suggestion a decision answered (``decisions.suggestion_id``: the audit trail and the ``.qdpx`` describe the
  decision by its score, rank and run);
* the machine's pre-coding of each reviewed segment: the suggestions for it of the latest run made before its first
  decision (what ``project export --machine`` writes and ``agree --machine`` scores);
* every ``model_runs`` row (the runs' numbers, models and times: ``project info``, the pre-coding's choice of run);

and deletes the other suggestions, and the review queues of the runs not kept whole, in one transaction, then
compacts the file (``VACUUM``). Every row kept reads as before: the exports differ only by the suggestion rows
dropped. Suggestions are otherwise append-only (:mod:`~theme_assist.project.schema`): the trigger refusing their
deletion is dropped and made again inside that transaction, so no other connection ever sees it missing. Each
prune is recorded in ``project_info`` (key ``pruned``), which ``project info`` lists.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass, field

from theme_assist.errors import InputError
from theme_assist.project.store import ProjectStore, utc_now

logger = logging.getLogger(__name__)

_NO_DELETE = "suggestions_no_delete"
"""The trigger that keeps suggestions append-only (:func:`~theme_assist.project.schema._append_only_triggers`)."""

_LATEST = "SELECT id FROM model_runs ORDER BY id DESC LIMIT :keep"
"""The ``keep`` latest runs, kept whole."""

_KEPT = f"""
    SELECT id FROM suggestions WHERE run_id IN ({_LATEST})
    UNION SELECT suggestion_id FROM decisions WHERE suggestion_id IS NOT NULL
    UNION SELECT s.id FROM suggestions s JOIN (
        SELECT f.segment_id, (SELECT max(r.created_at) FROM model_runs r WHERE r.created_at < f.at) AS run_at
        FROM (SELECT segment_id, min(created_at) AS at FROM decisions GROUP BY segment_id) f) b
        ON s.segment_id = b.segment_id JOIN model_runs r ON r.id = s.run_id AND r.created_at = b.run_at
"""
"""The suggestions :func:`prune` keeps (parameter ``keep``). The pre-coding's run is chosen as
:func:`~theme_assist.project.audit.machine_precoding` chooses it: by time (ISO 8601 UTC, which sorts as text),
strictly before the segment's first decision, undone or not, of any coder and any document (a withdrawn one may be
restored); runs made at the same millisecond are all kept."""


@dataclass
class Pruned:
    """What :func:`prune` dropped (or would drop, for a dry run)."""

    dropped: dict[int, int] = field(default_factory=dict)
    """Per run, the suggestions dropped."""
    kept: int = 0
    """Suggestions of the runs in ``dropped`` that were kept (answered by a decision, or a pre-coding)."""
    queue_rows: int = 0
    """Review-queue rows dropped (of the runs not kept whole)."""
    freed: int = 0
    """Bytes the file no longer needs (its pages before and after ``VACUUM``)."""
    vacuumed: bool = True
    """False where ``VACUUM`` failed: the rows are gone, the space is reused by later runs."""

    @property
    def total(self) -> int:
        return sum(self.dropped.values())


def prune(store: ProjectStore, keep: int = 1, dry_run: bool = False) -> Pruned:
    """Delete the suggestions no one needs (see the module docstring), then ``VACUUM``.

    Parameters
    ----------
    store : ProjectStore
    keep : int
        The latest runs whose every suggestion is kept (at least 1: the latest, which the review page shows).
    dry_run : bool
        Count what would be dropped; write nothing.

    Returns
    -------
    Pruned

    Raises
    ------
    InputError
        For ``keep`` below 1, or a project that cannot be written (read-only).
    """
    if keep < 1:
        raise InputError(f"--keep {keep}: keep at least the latest run (1), which the review page shows")
    if dry_run:
        with store.snapshot():
            return _plan(store._connection(), keep)
    store.check_writable()
    pages_before = _pages(store._connection())
    # Each suggestion deleted would have SQLite look for decisions naming it, by a full scan of decisions (no index
    # on suggestion_id): minutes for tens of thousands of each. None deleted is named by one (_KEPT keeps them), and
    # the transaction holds the write lock, so no decision naming one comes in meanwhile.
    store._connection().execute("PRAGMA foreign_keys = OFF")  # outside a transaction: a no-op inside one
    try:
        return _prune(store, keep, pages_before)
    finally:
        store._connection().execute("PRAGMA foreign_keys = ON")


def _prune(store: ProjectStore, keep: int, pages_before: int) -> Pruned:
    """:func:`prune`'s deletion and ``VACUUM``, once it has checked ``keep`` and that the file can be written."""
    with store.transaction() as db:
        pruned = _plan(db, keep)
        if not pruned.total and not pruned.queue_rows:
            return pruned
        trigger = db.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                             (_NO_DELETE,)).fetchone()
        if trigger:
            db.execute(f"DROP TRIGGER {_NO_DELETE}")
        db.execute(f"DELETE FROM suggestions WHERE id NOT IN ({_KEPT})", {"keep": keep})
        db.execute(f"DELETE FROM review_queue WHERE run_id NOT IN ({_LATEST})", {"keep": keep})
        if trigger:
            db.execute(trigger[0])
        record = _records(db)
        record.append({"at": utc_now(), "runs": sorted(pruned.dropped), "suggestions": pruned.total,
                       "kept": pruned.kept, "keep": keep})
        db.execute("INSERT OR REPLACE INTO project_info VALUES ('pruned', ?)", (json.dumps(record),))
    connection = store._connection()
    try:
        connection.execute("VACUUM")
    except sqlite3.OperationalError as exc:  # a full disk (it needs room for a copy), or locked past the timeout
        logger.warning("%s: the suggestions were dropped, but the file could not be compacted (%s): later runs "
                       "reuse the space; run `theme-assist project prune` again to compact it", store.path.name, exc)
        pruned.vacuumed = False
    else:
        with_log = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if with_log and with_log[0]:  # a reader (the review page) still reads the old pages: the log is emptied later
            logger.info("%s: a reader holds the write-ahead log; the file shrinks at the next checkpoint",
                        store.path.name)
    pruned.freed = max(0, pages_before - _pages(connection))
    return pruned


def _plan(db: sqlite3.Connection, keep: int) -> Pruned:
    """What a prune keeping the ``keep`` latest runs drops, read in the transaction that drops it."""
    dropped = db.execute(f"SELECT run_id, count(*) FROM suggestions WHERE id NOT IN ({_KEPT}) GROUP BY run_id "
                         "ORDER BY run_id", {"keep": keep}).fetchall()
    pruned = Pruned(dropped={int(run): int(n) for run, n in dropped})
    if pruned.dropped:
        marks = ", ".join("?" * len(pruned.dropped))
        pruned.kept = db.execute(f"SELECT count(*) FROM suggestions WHERE run_id IN ({marks})",
                                 list(pruned.dropped)).fetchone()[0] - pruned.total
    pruned.queue_rows = db.execute(f"SELECT count(*) FROM review_queue WHERE run_id NOT IN ({_LATEST})",
                                   {"keep": keep}).fetchone()[0]
    return pruned


def _pages(connection: sqlite3.Connection) -> int:
    """The bytes the file's pages take (free pages too)."""
    return (connection.execute("PRAGMA page_count").fetchone()[0]
            * connection.execute("PRAGMA page_size").fetchone()[0])


def pruned_record(store: ProjectStore) -> list[dict]:
    """The prunes of ``store``, oldest first: ``at``, ``runs`` (those suggestions were dropped of), ``suggestions``
    (dropped), ``kept`` (of those runs), ``keep`` (the latest runs kept whole)."""
    return _records(store._connection())


def _records(connection: sqlite3.Connection) -> list[dict]:
    row = connection.execute("SELECT value FROM project_info WHERE key = 'pruned'").fetchone()
    return json.loads(row[0]) if row else []


def run_ranges(runs: list[int]) -> str:
    """``1-11, 14`` for runs 1 to 11 and 14."""
    parts, start = [], None
    for i, run in enumerate(runs):
        start = run if start is None else start
        if i + 1 == len(runs) or runs[i + 1] != run + 1:
            parts.append(str(run) if start == run else f"{start}-{run}")
            start = None
    return ", ".join(parts)
