"""The project file's schema and its migrations.

A project file is one SQLite database. ``PRAGMA application_id`` marks it as a theme_assist project and
``PRAGMA user_version`` holds the number of migrations applied to it; opening a file applies the missing ones in
order, each in its own transaction, so an old project is upgraded in place and a crash mid-upgrade leaves the
last complete version.

Tables
------
``project_info``       key/value facts about the project (name, creation time).
``documents``          one row per transcript: id, order, source file, full text.
``document_metadata``  document × key → value (site, country, income group…).
``segments``           the ``segments`` table of :mod:`theme_assist.documents`.
``codebook_versions``  every codebook the project has had, as YAML; the highest version is the current one.
``codings``            human codings imported from a CSV or a ``.qdpx`` (segment, code, coder, source).
``model_runs``         one row per fit of the suggestion engine: embedding model, engine version, mode, params.
``suggestions``        the machine suggestions of each run (code, score, rank, evidence as JSON: a quote of a
                       project segment under the segment's own text is stored without it, read back from
                       ``segments``; rows stored before that hold every quote's text, read as they are).
``decisions``          coders' review decisions: accept / reject / replace / add, or an ``undo`` of an earlier
                       one; with coder, time, the suggestion answered and the batch it was made in.
``review_queue``       (migration 2) per run, each open segment's uncertainty and its rank in the active queue.
``codebook_maps``      (migration 3) per codebook version, the codes it renamed or merged: ``old`` → ``new``, read
                       for everything stored before that version (the stored rows keep their ``old`` id); ``new``
                       ``''`` for a code it split (migration 8): what was coded with it before is to be recoded.

Migration 4 adds ``decisions.suggestions_shown``: 1 where the review page showed the machine's suggestions on the
segment when the decision was made, 0 where it showed none (``review --no-suggestions``, a segment blind mode
withheld them on, a segment with none to show); NULL for decisions stored before it, whose state is unknown.

Migration 5 adds ``withdrawals`` (each ``withdraw`` and ``restore`` of a document, with the reason given and the
time: a document whose latest row is a ``withdraw`` is left out of everything but the audit trail; nothing of it is
deleted), ``metadata_changes`` (document, key, ``old`` value, NULL for a new key, ``new`` value, time: every change
``project metadata`` made to ``document_metadata``), ``replacements`` (each ``project replace``: the ``old``
document withdrawn, the ``new`` one added in its place, the reason given, the time) and, on ``codings``,
``carried_from`` (the segment of the replaced document a coding was carried from; NULL for a coding imported from a
file) and ``suggestions_shown`` (of a carried coding: 0 where every decision it comes from was made with no
suggestion on screen, or it was an imported coding there; 1 where one was made with suggestions shown; NULL where
that is unknown, or for a coding imported from a file).

Migration 6 adds ``author`` (who did it, as ``project withdraw``, ``restore``, ``replace`` and ``metadata`` were
given it with ``--author``; ``''`` where none was given, and for the rows stored before it) to ``withdrawals``,
``metadata_changes`` and ``replacements``.

Migration 7 changes no table: it marks files whose suggestions may hold evidence quotes stored without their text
(read back from ``segments``), which a theme_assist knowing schema 6 alone would show empty; it refuses them, as
written by a newer version.

Migration 8 changes no table: from it a ``codebook_maps`` row may map a code to ``''`` (``project codebook
--recode``: the version split the code, and what was coded with it before is to be recoded), which a theme_assist
knowing schema 7 alone would read as an empty code; it refuses such files, as written by a newer version.

Codings, model runs, suggestions, decisions, codebook versions and their maps, withdrawals, metadata changes and
replacements are append-only: triggers refuse UPDATE and DELETE, so nothing is ever lost, only superseded (by a
later run, a later decision, an ``undo``, a codebook version that renamed or merged codes, a restore, a later
metadata change, a replacement). The one exception is ``project prune`` (:mod:`theme_assist.project.prune`): it
deletes the suggestions of superseded runs that no decision answered and no pre-coding holds, with the review queues
of those runs, dropping and making again the trigger inside its transaction (``project_info`` key ``pruned``).
"""

from __future__ import annotations

import re
import sqlite3

from theme_assist.errors import InputError

APPLICATION_ID = 0x54484153  # "THAS"

_APPEND_ONLY = ["codings", "model_runs", "suggestions", "decisions", "codebook_versions"]


def _append_only_triggers(table: str) -> str:
    return (f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END;\n"
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END;\n")


MIGRATIONS: list[str] = [
    # 1: documents, segments, codebook history, human codings, machine suggestions, review decisions
    """
    CREATE TABLE project_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE documents (
        id TEXT PRIMARY KEY, position INTEGER NOT NULL, source TEXT NOT NULL DEFAULT '', text TEXT NOT NULL,
        added_at TEXT NOT NULL);
    CREATE TABLE document_metadata (
        document TEXT NOT NULL REFERENCES documents(id), key TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (document, key));
    CREATE TABLE segments (
        id TEXT PRIMARY KEY, document TEXT NOT NULL REFERENCES documents(id), speaker TEXT NOT NULL DEFAULT '',
        start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL, turn INTEGER NOT NULL,
        position INTEGER NOT NULL);
    CREATE INDEX segments_in_order ON segments (document, position);
    CREATE TABLE codebook_versions (
        version INTEGER PRIMARY KEY, created_at TEXT NOT NULL, author TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '', content_hash TEXT NOT NULL, yaml TEXT NOT NULL);
    CREATE TABLE codings (
        id INTEGER PRIMARY KEY, segment_id TEXT NOT NULL REFERENCES segments(id), code TEXT NOT NULL,
        coder TEXT NOT NULL DEFAULT '', source TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE INDEX codings_by_segment ON codings (segment_id);
    CREATE TABLE model_runs (
        id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, model_id TEXT NOT NULL, embedding_model TEXT NOT NULL,
        engine_version TEXT NOT NULL, mode TEXT NOT NULL,
        codebook_version INTEGER NOT NULL REFERENCES codebook_versions(version),
        n_training INTEGER NOT NULL, n_decisions INTEGER NOT NULL, params TEXT NOT NULL);
    CREATE TABLE suggestions (
        id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES model_runs(id),
        segment_id TEXT NOT NULL REFERENCES segments(id), code TEXT NOT NULL, score REAL NOT NULL,
        rank INTEGER NOT NULL, evidence TEXT NOT NULL);
    CREATE INDEX suggestions_by_run ON suggestions (run_id, segment_id);
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY, segment_id TEXT NOT NULL REFERENCES segments(id),
        action TEXT NOT NULL CHECK (action IN ('accept', 'reject', 'replace', 'add', 'undo')),
        code TEXT NOT NULL, replaces TEXT NOT NULL DEFAULT '', coder TEXT NOT NULL, created_at TEXT NOT NULL,
        suggestion_id INTEGER REFERENCES suggestions(id), undoes INTEGER REFERENCES decisions(id),
        batch TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '');
    CREATE INDEX decisions_by_segment ON decisions (segment_id);
    """ + "".join(_append_only_triggers(table) for table in _APPEND_ONLY),
    # 2: the active-learning queue of each run
    """
    CREATE TABLE review_queue (
        run_id INTEGER NOT NULL REFERENCES model_runs(id), segment_id TEXT NOT NULL REFERENCES segments(id),
        uncertainty REAL NOT NULL, priority INTEGER NOT NULL, PRIMARY KEY (run_id, segment_id));
    CREATE INDEX decisions_by_coder ON decisions (coder, id);
    """,
    # 3: the codes a codebook version renamed or merged into others
    """
    CREATE TABLE codebook_maps (
        version INTEGER NOT NULL REFERENCES codebook_versions(version), old TEXT NOT NULL, new TEXT NOT NULL,
        PRIMARY KEY (version, old));
    """ + _append_only_triggers("codebook_maps"),
    # 4: whether the machine's suggestions were on screen when a decision was made (NULL: stored before this)
    """
    ALTER TABLE decisions ADD COLUMN suggestions_shown INTEGER CHECK (suggestions_shown IN (0, 1));
    """,
    # 5: documents withdrawn from the project and restored, every change of a document's metadata, documents
    # replaced by a corrected transcript and the codings carried over from the one replaced
    """
    CREATE TABLE withdrawals (
        id INTEGER PRIMARY KEY, document TEXT NOT NULL REFERENCES documents(id),
        action TEXT NOT NULL CHECK (action IN ('withdraw', 'restore')), reason TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL);
    CREATE TABLE metadata_changes (
        id INTEGER PRIMARY KEY, document TEXT NOT NULL REFERENCES documents(id), key TEXT NOT NULL,
        old TEXT, new TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE TABLE replacements (
        id INTEGER PRIMARY KEY, old TEXT NOT NULL REFERENCES documents(id),
        new TEXT NOT NULL REFERENCES documents(id), reason TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL);
    ALTER TABLE codings ADD COLUMN carried_from TEXT;
    ALTER TABLE codings ADD COLUMN suggestions_shown INTEGER CHECK (suggestions_shown IN (0, 1));
    """ + "".join(_append_only_triggers(table) for table in ("withdrawals", "metadata_changes", "replacements")),
    # 6: who withdrew, restored or replaced a document, or changed its metadata ('' where unknown: stored before)
    """
    ALTER TABLE withdrawals ADD COLUMN author TEXT NOT NULL DEFAULT '';
    ALTER TABLE metadata_changes ADD COLUMN author TEXT NOT NULL DEFAULT '';
    ALTER TABLE replacements ADD COLUMN author TEXT NOT NULL DEFAULT '';
    """,
    # 7: no table changes; from here an evidence quote of a project segment may be stored without its text, which
    # a theme_assist of schema 6 would show empty: it refuses the file as written by a newer version instead
    "",
    # 8: no table changes; from here a codebook map may read a code as '' (split: to recode), which a theme_assist of
    # schema 7 would read as an empty code: it refuses the file as written by a newer version instead
    "",
]

SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(connection: sqlite3.Connection) -> int:
    return connection.execute("PRAGMA user_version").fetchone()[0]


def missing_tables(connection: sqlite3.Connection) -> list[str]:
    """The tables the migrations applied to ``connection``'s file made that it lacks (a table deleted by hand in
    a database browser), in the order they were made. Reads only."""
    present = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    made = [name for script in MIGRATIONS[:schema_version(connection)]
            for name in re.findall(r"CREATE TABLE (\w+)", script)]
    return [name for name in made if name not in present]


def another_database(connection: sqlite3.Connection) -> bool:
    """Whether ``connection`` holds another program's SQLite database: another application id, or a schema version
    or tables without ours. Reads only, so that a read-only connection can ask before anything is written."""
    application_id = connection.execute("PRAGMA application_id").fetchone()[0]
    version = schema_version(connection)
    if application_id not in (0, APPLICATION_ID) or (application_id == 0 and version > 0):
        return True
    return version == 0 and bool(connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])


def migrate(connection: sqlite3.Connection, path: str, target: int = SCHEMA_VERSION) -> int:
    """Bring the project file up to schema version ``target``; returns the version it had before.

    Raises
    ------
    InputError
        If the file is another SQLite database, or was written by a newer theme_assist.
    """
    if another_database(connection):
        raise InputError(f"{path} is an SQLite database but not a theme_assist project")
    version = schema_version(connection)
    if version > SCHEMA_VERSION:
        raise InputError(f"{path} was written by a newer theme_assist (schema {version}, this version knows "
                         f"{SCHEMA_VERSION}); upgrade theme_assist to open it")
    for number in range(version, target):
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(MIGRATIONS[number]):
                connection.execute(statement)
            connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            connection.execute(f"PRAGMA user_version = {number + 1}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    return version


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (``executescript`` would commit the open transaction)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                statements.append(current.strip())
            current = ""
    if current.strip():
        raise RuntimeError(f"incomplete SQL statement in a migration: {current.strip()[:60]}")
    return statements
