"""The project file: one SQLite database a researcher can copy, holding everything a coding project has.

:class:`ProjectStore` reads and writes it. Every write runs in one ``BEGIN IMMEDIATE`` transaction that is
committed (``synchronous = FULL``; in WAL mode except on a network file system) before the method returns, so
whatever a caller has been told is saved survives a killed process. Each thread gets its own connection; SQLite's locking with a busy timeout
serialises writers, so several threads, or several processes, may write to one project at once.

Tables returned (pandas DataFrames):

``documents()``    ``document``, ``position``, ``source`` and one column per metadata key.
``segments()``     :data:`~theme_assist.documents.SEGMENT_COLUMNS`.
``segment_ids()``  ``segment_id``, ``document``: of ``segments()``, without reading the texts.
``codings()``      ``id``, ``segment_id``, ``code``, ``coder``, ``source``, ``created_at``.
``suggestions()``  ``id``, ``run_id``, ``segment_id``, ``code``, ``score``, ``rank``, ``evidence`` (list).
``decisions()``    ``id``, ``segment_id``, ``action``, ``code``, ``replaces``, ``coder``, ``created_at``,
                   ``suggestion_id``, ``undoes``, ``batch``, ``reason``, ``suggestions_shown`` (1 or 0: whether
                   the machine's suggestions were shown on the segment when it was made; NaN: unknown, stored
                   before schema 4; an ``undo`` has that of the decision it undoes), ``undone`` (bool: a later
                   ``undo`` answers it), ``exclusive_codebook``, ``rejects`` (see :meth:`ProjectStore.decisions`).

A document withdrawn (:meth:`ProjectStore.withdraw`: added by mistake) is left out of every table above, its
segments' codings, suggestions, queue rows and decisions with it, unless a reader is given ``withdrawn=True`` (the
audit trail); nothing of it is deleted, and :meth:`ProjectStore.restore` brings it back as it was.

A codebook revision may rename or merge codes with a code map (:meth:`ProjectStore.add_codebook_version`). The
stored rows keep the ids they were stored with; ``codings()``, ``decisions()`` and the suggestion tables read them
as the current codebook does, codings and a run's suggestions that a merge makes alike collapsing into one; with
``mapped=False`` they are read as stored, with the current reading beside them (``code_now``, ``replaces_now``).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import shlex
import sqlite3
import threading
import uuid
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from theme_assist.codebook import Codebook, case_key, dump_codebook, parse_codebook
from theme_assist.documents import SEGMENT_COLUMNS, Document
from theme_assist.errors import InputError, listed
from theme_assist.filesystems import journal_mode, set_journal_mode
from theme_assist.names import has_visible_character
from theme_assist.project.schema import SCHEMA_VERSION, another_database, migrate, missing_tables, schema_version

ACTIONS = ("accept", "reject", "replace", "add")
"""What a coder can decide about a segment; ``undo`` decisions are made by :meth:`ProjectStore.undo_last`."""

class _RolledBack(Exception):
    """Raised inside :meth:`ProjectStore.transaction` to leave it with a rollback (:meth:`check_writable`)."""


DECISION_COLUMNS = ["id", "segment_id", "action", "code", "replaces", "coder", "created_at", "suggestion_id",
                    "undoes", "batch", "reason", "suggestions_shown"]

_WITHDRAWN_DOCUMENTS = ("SELECT w.document FROM withdrawals w WHERE w.action = 'withdraw' AND w.id = "
                        "(SELECT max(v.id) FROM withdrawals v WHERE v.document = w.document)")
"""The documents withdrawn now: those whose latest withdrawal row is a ``withdraw`` (a ``restore`` ends one)."""

_WITHDRAWN_SEGMENTS = f"SELECT id FROM segments WHERE document IN ({_WITHDRAWN_DOCUMENTS})"
"""The segments of the documents withdrawn now, which every reader but the audit trail leaves out."""

_COUNTED = ("documents", "document_metadata")  # small, and no trigger keeps them append-only
_TABLES = ("documents", "document_metadata", "segments", "codebook_versions", "codebook_maps", "codings",
           "model_runs", "suggestions", "decisions", "review_queue", "withdrawals", "metadata_changes", "replacements")
_STATE = ("SELECT " + ", ".join(f"(SELECT max(rowid) FROM {table})" for table in _TABLES)
          + ", " + ", ".join(f"(SELECT count(*) FROM {table})" for table in _COUNTED)
          + ", (SELECT group_concat(key || char(31) || value, char(30)) FROM project_info)")
"""What :meth:`ProjectStore._state` reads: a write to any table changes its part."""
_NAMED = {table: re.compile(rf"\b{table}\b") for table in _TABLES}
_NAMED["metadata_changes"] = re.compile(r"\b(metadata_changes|document_metadata)\b")  # a value changed in place

SUGGESTION_TABLES = "suggestions model_runs segments documents withdrawals codebook_versions codebook_maps"
"""The tables :meth:`ProjectStore.suggestions` reads (their codes as the current codebook reads them, their quotes'
texts, less withdrawn documents'), for :meth:`ProjectStore.kept`."""

_RECODE_TABLES = "codebook_maps codebook_versions decisions codings segments documents withdrawals"
"""The tables :meth:`ProjectStore.to_recode` reads, for :meth:`ProjectStore.kept`."""

KEPT_READS = 64
"""How many frames :meth:`ProjectStore.keep_reads` keeps."""

_UNDONE = "d.id IN (SELECT undoes FROM decisions WHERE undoes IS NOT NULL)"
"""Whether decision ``d`` is answered by an ``undo``. No index covers ``undoes``: this subquery is read once per
statement, where ``EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id)`` scanned every decision for each
decision (minutes at tens of thousands of decisions, and every background refit reads them all)."""


def _compactable(quote) -> bool:
    """Whether evidence ``quote`` may be stored without its text where it quotes a project segment: a
    ``{"segment_id", "text", …}`` quote of strings (in that order, so that reading it back gives it as it was; a
    text of ``None`` is no segment's missing one)."""
    return isinstance(quote, dict) and list(quote)[:2] == ["segment_id", "text"] and all(
        isinstance(quote[key], str) for key in ("segment_id", "text"))


def _without_text(quote) -> bool:
    """Whether evidence ``quote`` is one :func:`_stored_evidence` stored without its text."""
    return isinstance(quote, dict) and "text" not in quote and isinstance(quote.get("segment_id"), str)


def _stored_evidence(quotes, texts: dict[str, str]) -> str:
    """``quotes`` (a suggestion's evidence) as JSON, each quote of a project segment whose text is exactly the
    segment's (``texts``: by segment id) without its text: the project has it already, and a run's quotes stored
    again made most of each run's size (66 MB for 35,904 segments). Codebook anchors and examples, and anything
    else, keep theirs. :meth:`ProjectStore.suggestions` gives the text back."""
    return json.dumps([{key: value for key, value in quote.items() if key != "text"}
                       if _compactable(quote) and texts.get(quote["segment_id"]) == quote["text"] else quote
                       for quote in quotes], ensure_ascii=False)


def _segment_texts(db: sqlite3.Connection, segment_ids: set) -> dict[str, str]:
    """The text of each of ``segment_ids`` that is a segment of the project (withdrawn or not), by id."""
    ids, texts = sorted(segment_ids), {}
    for start in range(0, len(ids), 500):  # below SQLite's older limit of 999 parameters
        chunk = ids[start:start + 500]
        texts.update(db.execute(f"SELECT id, text FROM segments WHERE id IN ({', '.join('?' * len(chunk))})",
                                chunk).fetchall())
    return texts


class NotFound(InputError):
    """A segment, code or suggestion named by the caller does not exist in the project."""


class Unavailable(InputError):
    """The project file cannot take a write now: another program holds it locked past the busy timeout, its disk
    is full, or the path no longer names the file this store opened (moved, deleted or replaced since)."""


class Stale(InputError):
    """A decision made on what a coder saw of a segment before their later decisions on it (another tab or
    window) changed it; or an undo of a decision that is no longer the coder's latest (``latest``: the id of the
    one that is)."""

    def __init__(self, message: str, latest: int | None = None):
        super().__init__(message)
        self.latest = latest


logger = logging.getLogger(__name__)


def utc_now() -> str:
    """The current time as ISO 8601 UTC with milliseconds (sorts as text)."""
    return _utc_text(datetime.now(timezone.utc))


def _utc_text(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _one_millisecond_later(timestamp: str) -> str:
    """The :func:`utc_now` text one millisecond after ``timestamp``, one of its own."""
    return _utc_text(datetime.fromisoformat(timestamp.replace("Z", "+00:00")) + timedelta(milliseconds=1))


def _check_code_map(code_map: dict[str, str], current: Codebook, revised: Codebook) -> None:
    """Refuse a code map (old id → new id) that is not a rename or merge of codes the revision drops into codes
    of the revised codebook (so no chain or cycle either: a code mapped is dropped, a code mapped to is kept)."""
    revised_ids, current_ids = set(revised.ids), set(current.ids)
    for old, new in code_map.items():
        if old == new:
            raise InputError(f"map {old}={new} maps a code to itself: map only codes the revision drops")
        if new not in revised_ids:
            raise InputError(f"map {old}={new}: {new!r} is not a code of the revised codebook")
        if old in revised_ids:
            raise InputError(f"map {old}={new}: {old!r} is still in the revised codebook; only a code the revision "
                             "drops can be mapped")
        if old not in current_ids:
            raise InputError(f"map {old}={new}: {old!r} is not a code of the project's current codebook")


def _check_recode(recode: list[str], code_map: dict[str, str], current: Codebook, revised: Codebook,
                  earlier: Sequence[Codebook] | None = None, hint: Callable[[str], str] = lambda code: "") -> None:
    """Refuse a ``--recode`` of a code the current codebook lacks, or maps too, or that the revision keeps as it
    is while adding no code: a split drops the code, or narrows it (a new definition, criteria or examples), or
    adds a code beside it. With the codebook unchanged (``earlier``: the versions before the current one), it is
    the split of a revision stored before: one of them must have another definition of the code, or lack a code the
    current one has (a split is never undone: a typo would leave a code's codings to recode for good). ``hint``
    says what became of a code the current codebook lacks (:meth:`ProjectStore.mapped_away`)."""
    from theme_assist.codebook import redefined_codes

    added = set(revised.ids) - set(current.ids)
    if earlier is not None:
        added = set().union(*(set(current.ids) - set(before.ids) for before in earlier))
        narrowed = set().union(*(redefined_codes(before, current) for before in earlier))
        for old in recode:
            if old in set(current.ids) and old not in narrowed and not added:
                raise InputError(f"--recode {old}: the codebook is the project's current one, and no earlier version "
                                 f"defines {old} otherwise or lacks a code it has: a split comes with a revision "
                                 f"(give the revised codebook with --recode {old}); check the code's name")
    for old in recode:
        if old not in set(current.ids):
            raise InputError(f"--recode {old}: {old!r} is not a code of the project's current codebook{hint(old)}")
        if old in code_map:
            raise InputError(f"--recode {old} and --map {old}={code_map[old]}: a code is either mapped to one code "
                             "or recoded by hand, not both")
        if old in set(revised.ids) and earlier is None and not (added or old in redefined_codes(current, revised)):
            raise InputError(f"--recode {old}: the revised codebook keeps {old} as it is and adds no code; a split "
                             f"drops {old}, narrows its definition or adds a code beside it")


def restore_command(project: str | Path, documents: list[str], action: str = "restore") -> str:
    """The ``theme-assist project restore`` (``action``) command line that brings ``documents`` back into
    ``project``, quoted for a shell; ``--`` before them where one begins with ``-`` (it would be read as an
    option)."""
    dashed = any(document.startswith("-") for document in documents)
    return " ".join([f"theme-assist project {action}", shlex.quote(str(project)), *(["--"] if dashed else []),
                     *map(shlex.quote, documents)])


def _versions(replacements: list[tuple[str, str]], document: str) -> list[str]:
    """``document`` and every document a chain of ``replacements`` (``old``, ``new``), followed either way, links
    it to: the versions of one transcript, in the order they were reached."""
    found = [document]
    for version in found:  # grows as it is read
        found += [other for old, new in replacements for one, other in ((old, new), (new, old))
                  if one == version and other not in found]
    return found


def _locked(exc: Exception) -> bool:
    """Whether SQLite's ``exc`` says another connection held the lock past the busy timeout."""
    return "locked" in str(exc) or "busy" in str(exc)


NO_ROOM = 1 << 20
"""Free bytes below which a disk has no room for SQLite's files beside a project (its -shm index alone takes 32 KB,
and the -wal grows by pages): a few kilobytes left are as full as none."""

HELD_CHUNK = 5000
"""Documents :meth:`ProjectStore.held` counts in one statement: three parameters each, well under SQLite's limit."""


def _no_room_beside(path: Path) -> bool:
    """Whether the disk holding ``path`` (a link's target) has no room left (:data:`NO_ROOM`)."""
    try:
        return shutil.disk_usage(path.resolve().parent).free < NO_ROOM
    except OSError:
        return False


def _not_the_latest(coder: str, last: sqlite3.Row, expected: int, size: int, code_name: str) -> str:
    """Why an undo of decision ``expected`` was refused: ``last`` (of a batch of ``size``), of the code the page
    names ``code_name``, is the coder's latest."""
    what = (f"a bulk {last['action']} of {size} suggestions of “{code_name}”" if size > 1 else
            f"{last['action']} “{code_name}” on segment {last['segment_id']!r}")
    mine = f"not {expected}, the one made last here" if expected else "not one made here"
    return (f"{coder}'s latest decision is now {last['id']} ({what}), {mine} (decided or undone since in another "
            "tab or window, or before this page was loaded?): nothing was undone")


@dataclass(frozen=True)
class DecisionRequest:
    """One decision a coder makes.

    ``action`` is one of :data:`ACTIONS`: ``accept`` / ``reject`` the suggested ``code``; ``replace`` the
    suggested code ``replaces`` by ``code``; ``add`` ``code`` beside whatever the segment has.
    ``suggestion_id`` is the suggestion answered (None for an ``add`` or a segment without suggestions).
    ``seen`` is the id of the coder's latest decision on the segment (an undo included; 0 for none) when they saw
    it: if they have decided on it since (in another tab or window), this decision is refused. None: no check.
    ``suggestions_shown`` is whether the machine's suggestions were on screen on the segment (1 or 0; None:
    unknown), as the review server tells it from its mode and the segment, never from the page.
    """

    segment_id: str
    action: str
    code: str
    coder: str
    suggestion_id: int | None = None
    replaces: str = ""
    reason: str = ""
    seen: int | None = None
    suggestions_shown: int | None = None


class ProjectStore:
    """Read and write a project file.

    Parameters
    ----------
    path : str or Path
        The project file. It must exist unless ``create`` is true.
    create : bool
        Create a new, empty project (refusing to overwrite an existing file, or one another program makes
        meanwhile), with the folders it needs; if that fails, or :meth:`discard` is called, the file and the folders
        made for it are removed again.
    upgrade : bool
        Bring a project of an older schema up to date in place (the default); where false, refuse it in one line
        before anything is written into it (``project prune`` deletes rows: not as a side effect of an upgrade).
    """

    @staticmethod
    def refuse_existing(path: str | Path) -> None:
        """Refuse to create a project at ``path`` where a file already is.

        Parameters
        ----------
        path : str or Path
            The project file to create.
        """
        if Path(path).exists():
            raise InputError(f"{path} already exists; choose another name or remove it first")

    def __init__(self, path: str | Path, create: bool = False, upgrade: bool = True):
        self.path = Path(path)
        self._upgrade = upgrade
        self._made_folders: list[Path] = []  # made for a new project, deepest first: see discard
        # a link to nowhere (or to itself) passes refuse_existing: never the file discard may delete
        self._makes_file = create and not os.path.lexists(self.path)
        if create:
            self.refuse_existing(self.path)
            folder = self.path.parent
            while not folder.exists() and folder != folder.parent:
                self._made_folders.append(folder)
                folder = folder.parent
            try:  # its folder, which check_outputs leaves to the writers to make
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                self._remove_made_folders()
                raise InputError(f"cannot create {self.path}: cannot create its folder {self.path.parent} "
                                 f"({error.strerror or error})") from None
            if self._makes_file:  # made here, empty, for SQLite to fill: not a file another program made meanwhile
                try:
                    os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
                except OSError as error:
                    self._makes_file = False
                    self._remove_made_folders()
                    if isinstance(error, FileExistsError):
                        self.refuse_existing(self.path)
                    raise InputError(f"cannot create {self.path} ({error.strerror or error})") from None
        if not create and self.path.is_dir():
            raise InputError(f"project {self.path} is a folder, not a project file: give the file `theme-assist "
                             "project init` made (e.g. study.taproj)")
        if not create and not self.path.is_file():
            raise InputError(f"project {self.path} does not exist (create it with `theme-assist project init`)")
        if not create:
            self._check_intact()
        self._local = threading.local()
        self._codebooks: dict[int, Codebook] = {}
        self._kept: dict | None = None  # see keep_reads
        self._kept_lock = threading.Lock()
        self._identity = None  # the file's (device, inode), once it exists: see _same_file
        try:
            # where the file really is: a project opened through a link is journalled beside its target
            from theme_assist.inputs import resolved_path

            self._journal_mode = journal_mode(resolved_path("project", self.path).parent, f"project {self.path}")
            connection = self._connection()
            try:
                migrate(connection, str(self.path))
            except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
                self.close()
                if _locked(exc):  # an older project's migration waited for another program's lock in vain
                    raise Unavailable(self._locked_message()) from None
                if "readonly" in str(exc):
                    raise InputError(f"{self.path} is read-only and written by an older theme_assist: copy it "
                                     "somewhere writable to upgrade it") from None
                raise InputError(f"{self.path} is damaged or not a project file ({exc})") from None
            if create:
                with self.transaction() as db:
                    db.execute("INSERT INTO project_info VALUES ('name', ?), ('created_at', ?)",
                               (self.path.stem, utc_now()))
        except BaseException:
            if create:  # the new file, half made, and its folder
                self.discard()
            raise
        self._identity = self._file_identity()

    def discard(self) -> None:
        """Close and delete a project this store created (``create``) whose making failed, with SQLite's files
        beside it and the folders made for it, leaving the disk as it was."""
        self.close()
        if self._makes_file:
            for leftover in (self.path, self.path.with_name(self.path.name + "-wal"),
                             self.path.with_name(self.path.name + "-shm")):
                leftover.unlink(missing_ok=True)
        self._remove_made_folders()

    def _remove_made_folders(self) -> None:
        for folder in self._made_folders:
            with suppress(OSError):  # not empty: something else was written there since
                folder.rmdir()

    def _check_intact(self) -> None:
        """Refuse a damaged file (:meth:`_find_damage`), leaving its folder as it was found: SQLite's read-only
        connection to a file in WAL mode made an empty ``-wal`` file and a ``-shm`` index beside it, which stayed."""
        target = self.path.resolve()  # where SQLite puts them: beside a link's target
        beside = [target.with_name(target.name + suffix) for suffix in ("-wal", "-shm")]
        found = [path for path in beside if path.exists()]
        try:
            self._find_damage()
        except Unavailable:  # in use by another program, which may have made them just now: nothing is touched
            raise
        except InputError:
            for path in set(beside) - set(found):
                with suppress(OSError):  # a -wal file with content holds someone's writes: not one made here
                    if path.name.endswith("-shm") or path.stat().st_size == 0:
                        path.unlink()
            raise

    def _find_damage(self) -> None:
        """Refuse a damaged file through a read-only connection, before anything (even the switch to WAL) is
        written into it.

        Only SQLite opens the file: closing any other handle on it (``open(path).read()``) would drop every lock
        this process holds on it, and another process could then take the server's unwritten decisions (the
        ``-wal`` file) for its own leftovers and delete them."""
        if self.path.stat().st_size == 0:  # SQLite would take an empty file for a new database and fill it
            raise InputError(f"{self.path} is not a project file (empty, not an SQLite database)")
        try:
            probe = sqlite3.connect(self._read_only_uri(), uri=True)
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{self.path} cannot be opened ({exc})") from None
        try:
            problem = probe.execute("PRAGMA quick_check(1)").fetchone()[0]
            if problem == "ok":
                if another_database(probe):  # before the switch to WAL rewrites its header
                    raise InputError(f"{self.path} is an SQLite database but not a theme_assist project")
                if schema_version(probe) == 0:  # no table at all: migrating would make it a project
                    raise InputError(f"{self.path} is an SQLite database without tables, not a theme_assist project "
                                     "(yet): only `theme-assist project init` makes one, as a new file")
                missing = missing_tables(probe)
                problem = f"{'table' if len(missing) == 1 else 'tables'} {listed(missing)} missing" if missing else "ok"
                if problem == "ok" and not self._upgrade and schema_version(probe) < SCHEMA_VERSION:
                    raise InputError(f"{self.path} was made by an older theme_assist (schema {schema_version(probe)}, "
                                     f"this version writes {SCHEMA_VERSION}): open it once with `theme-assist project "
                                     "info` to upgrade it (`project backup` a copy first where others still use the "
                                     "older version), then try again; nothing was written")
        except sqlite3.OperationalError as exc:
            # locked, busy or an I/O error (another process closing the file as this one opens it): nothing says
            # the file is damaged, and "restore it from a copy" would throw away the latest decisions
            if _locked(exc):  # a background refit of the review page opening it: said as its decisions say it
                raise Unavailable(self._locked_message()) from None
            if _no_room_beside(self.path):  # SQLite's "disk I/O error": no room for the index it makes beside it
                raise Unavailable(f"{self.path.name} could not be opened: the disk is full; nothing was written: "
                                  "make room on the disk, then try again") from None
            # by its name in plain words, as a file in use is said (the review page shows it after a failed refit);
            # SQLite's words and the full path go to the log: the server's window, or above the command's error
            logger.warning("SQLite could not read %s just now: %s", self.path, exc)
            raise Unavailable(f"{self.path.name} could not be read just now: nothing was written; try again") \
                from None
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            problem = "not an SQLite database" if "not a database" in str(exc) else str(exc)
        finally:
            probe.close()
        if problem == "not an SQLite database" and self.path.suffix.lower() != ".taproj":
            # a table or a transcript given for the project (review coded.csv): not a project to restore
            raise InputError(f"{self.path} is not a project file (not an SQLite database): give the .taproj file "
                             "that `theme-assist project init` made")
        if problem != "ok":
            raise InputError(f"{self.path} is damaged or not a project file ({problem}); nothing was written: "
                             "restore it from a copy")

    # ------------------------------------------------------------------ connections
    def _folder_is_read_only(self) -> bool:
        return self.path.is_file() and not os.access(self.path.parent, os.W_OK)

    def _read_only_uri(self) -> str:
        """A read-only connection's URI. In a folder nobody can write to (an archived study on a read-only share)
        no one can be writing the project either, and SQLite could not create the WAL index it needs beside the
        file: the file is then opened as immutable."""
        return f"{self.path.resolve().as_uri()}?mode=ro" + ("&immutable=1" if self._folder_is_read_only() else "")

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            self.check_in_place()  # SQLite would open the file there now, or make an empty one
            if not self.path.parent.is_dir():
                raise InputError(f"{self.path}: no folder {self.path.parent}")
            read_only = self._folder_is_read_only()
            try:
                if read_only:  # reading works; a write is refused by transaction() as read-only
                    connection = sqlite3.connect(self._read_only_uri(), uri=True, timeout=30.0,
                                                 isolation_level=None, check_same_thread=False)
                else:
                    connection = sqlite3.connect(self.path, timeout=30.0, isolation_level=None,
                                                 check_same_thread=False)
                    set_journal_mode(connection, self._journal_mode)
            except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
                if self._identity is not None:  # it opened before: another file was copied over it since
                    raise Unavailable(f"{self.path.name} could not be opened again: was the file overwritten since "
                                      "it was opened? Nothing was written") from None
                if not os.access(self.path.parent, os.W_OK):
                    raise InputError(f"cannot create {self.path}: its folder is not writable") from None
                if "readonly" in str(exc):  # the switch to WAL of a project of an older version, or from a network disk
                    raise InputError(f"{self.path} is read-only, and opening it must write to it (a project made by an "
                                     "older theme_assist or on a network disk is switched to SQLite's write-ahead "
                                     "log): make it writable, or work on a copy") from None
                raise InputError(f"{self.path} is not a project file ({exc})") from None
            connection.execute("PRAGMA synchronous = FULL")
            connection.execute("PRAGMA foreign_keys = ON")
            connection.row_factory = sqlite3.Row
            self._local.connection = connection
        return connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, committed when the block ends (rolled back if it raises). Inside another on this
        thread it is part of that one: the writes of a block made of several (``project add``) are committed or
        rolled back together."""
        connection = self._connection()
        if getattr(self._local, "writing", False):
            yield connection
            return
        self._local.writing = True
        try:
            with self._transaction(connection):
                yield connection
        finally:
            self._local.writing = False

    @contextmanager
    def _transaction(self, connection: sqlite3.Connection) -> Iterator[None]:
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if connection.in_transaction:  # SQLite rolls back by itself on some errors (a full disk)
                    connection.execute("ROLLBACK")
                raise
            if not self._same_file():
                connection.execute("ROLLBACK")
                self._empty_log_into_file_opened(connection)
                raise Unavailable(self._moved())
            connection.execute("COMMIT")
        except sqlite3.OperationalError as exc:  # at BEGIN, in the block or at COMMIT
            if connection.in_transaction:  # a COMMIT refused (busy) leaves the transaction open
                connection.execute("ROLLBACK")
            if "readonly" in str(exc):
                raise InputError(f"{self.path.name} is read-only: nothing was written") from None
            if _locked(exc):
                raise Unavailable(self._locked_message()) from None
            if "disk is full" in str(exc):
                raise Unavailable(f"{self.path.name} could not be written: the disk is full; nothing was written: "
                                  "make room on the disk, then try again") from None
            raise

    def _locked_message(self) -> str:
        """Said where another program held the file locked past the busy timeout (SQLite: "database is locked"),
        as the other messages of a file in use, by its name: they are read on the review page too."""
        return (f"{self.path.name} is locked by another program: nothing was written; try again once it lets go "
                "(close any other program that has the project open, such as a database browser)")

    def _file_identity(self) -> tuple[int, int] | None:
        try:
            status = os.stat(self.path)
        except OSError:
            return None
        return status.st_dev, status.st_ino

    def check_in_place(self) -> None:
        """Raise :class:`Unavailable` where the path no longer names the file this store opened (moved, deleted or
        replaced since): reads go on answering from the file opened, so a page polling for news is told at once,
        not at its next write."""
        if not self._same_file():
            raise Unavailable(self._moved())

    def _same_file(self) -> bool:
        """Whether the path still names the file this store opened. SQLite goes on writing into the file it
        opened: moved, deleted (lost when the program ends) or replaced by another."""
        return self._identity is None or self._file_identity() == self._identity

    def _moved(self) -> str:
        return (f"{self.path.name} was moved, deleted or replaced after it was opened: nothing was written; start "
                "again on the project file (stop `theme-assist review` and start it anew)")

    def _empty_log_into_file_opened(self, connection: sqlite3.Connection) -> None:
        """Move what the write-ahead log holds into the file opened, and empty the log: SQLite leaves it in the
        log, named by the path, once its file was renamed, where the file now at the path would read it as its
        own."""
        if self._journal_mode == "WAL":
            with suppress(sqlite3.Error):
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @contextmanager
    def snapshot(self) -> Iterator["ProjectStore"]:
        """Reads in the block (on this thread) see the project as it was at the block's first read, one read
        transaction, so that what they assemble (an export, a fit's training data) is consistent while coders go
        on deciding. Writes cannot be made inside it. As nothing changes under it, each query is run once in the
        block: an export whose tables all start from the decisions reads them once."""
        connection = self._connection()
        connection.execute("BEGIN DEFERRED")
        self._local.reads = {}
        try:
            yield self
        finally:
            self._local.reads = None
            connection.execute("ROLLBACK")

    def check_writable(self) -> None:
        """Refuse a project that cannot be written (a read-only file or share) in one line, before work whose result
        could not be stored. ``BEGIN IMMEDIATE`` alone succeeds on a read-only file; a write, rolled back, does not.
        """
        try:
            with self.transaction() as db:  # which turns a read-only failure into its one line
                db.execute("UPDATE project_info SET value = value WHERE key = 'name'")
                raise _RolledBack
        except _RolledBack:
            pass

    def _read(self, sql: str, params: Iterable = ()) -> pd.DataFrame:
        """The rows of a query; inside :meth:`snapshot`, read once and a copy returned.

        The copy is needed: callers change the frames they get (:meth:`decisions` pops a column and sets others in
        place). It costs less than the frame: the strings of its text columns are shared with the cached frame,
        only their arrays of references and the numeric columns are copied (an export of 20,000 segments, 20,000
        decisions and 40,000 suggestions peaked at 204 MB, 198 MB with no cache at all). The cached frames stay
        until the snapshot ends."""
        reads = getattr(self._local, "reads", None)
        key = (sql, tuple(params))
        if reads is None and self._kept is not None:
            return self.kept(key, sql, lambda: self._fetch(key))
        if reads is None or key not in reads:
            frame = self._fetch(key)
            if reads is None:
                return frame
            reads[key] = frame
        return reads[key].copy()

    def _fetch(self, key: tuple[str, tuple]) -> pd.DataFrame:
        cursor = self._connection().execute(*key)
        columns = [d[0] for d in cursor.description]
        return pd.DataFrame([tuple(row) for row in cursor.fetchall()], columns=columns)

    def keep_reads(self) -> None:
        """Keep the frames :meth:`_read` reads, for a long-lived reader asked the same questions again and again
        (the review server: each click read the latest run's suggestions and every segment, a second at 35,000
        segments). A copy is returned, as in :meth:`snapshot`. A frame kept answers while the tables its query names
        are as they were when it was read (:meth:`_state`): a write to one of them, by this program or another, has
        it read again. Reads in a write transaction are neither kept nor answered from what is kept (one rolled back
        would leave a frame of rows never committed)."""
        if self._kept is None:
            self._kept = {}

    def kept(self, key: tuple, tables: str, compute) -> pd.DataFrame:
        """``compute()`` (a frame worked out from reads of the tables ``tables`` names: a query, or a list), kept
        under ``key`` while those tables are unchanged where :meth:`keep_reads` keeps frames; a copy returned."""
        if self._kept is None or getattr(self._local, "reads", None) is not None or self._connection().in_transaction:
            return compute()
        state = self._state(tables)
        with self._kept_lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] == state:
                self._kept[key] = self._kept.pop(key)  # the last used go last: the queue's, asked at every click
                return kept[1].copy()
        frame = compute()
        self._keep(key, state, tables, frame)
        return frame.copy()

    def _keep(self, key: tuple, state: tuple, tables: str, frame: pd.DataFrame) -> None:
        if self._state(tables) != state:  # written in between (by another program or thread): not of ``state``
            return
        with self._kept_lock:
            self._kept.pop(key, None)  # put last: the least recently used go first
            if len(self._kept) >= KEPT_READS:  # one segment's rows per segment shown, say
                del self._kept[next(iter(self._kept))]
            self._kept[key] = (state, frame)

    def _state(self, sql: str) -> tuple:
        """What changes with every write to the tables ``sql`` names (a query, or a list of tables): the largest rowid
        of each (the small tables no trigger keeps append-only are counted too, and ``metadata_changes`` stands for
        ``document_metadata``, whose values are changed in place beside a row added there), and the settings rows,
        which are replaced in place. ``project prune``, the one command that deletes rows (older runs'
        suggestions, which leave the largest rowid as it was), records itself among the settings in the same
        transaction, so every frame kept is read again after it. One statement, tens of microseconds: indexes
        answer each part."""
        row = tuple(self._connection().execute(_STATE).fetchone())
        counts = dict(zip(_COUNTED, row[len(_TABLES):]))
        return tuple((row[i], counts.get(table)) for i, table in enumerate(_TABLES)
                     if _NAMED[table].search(sql)) + (row[-1],)

    def backup(self, destination: str | Path) -> None:
        """Write a consistent copy of the project to ``destination`` with SQLite's online backup, while coders may
        go on deciding: a file copy of a project in use can miss the latest decisions, which wait in the
        ``-wal`` file beside it. The copy is written beside ``destination`` and renamed into place, so a failed
        backup leaves no half-written file, nor a folder it made."""
        from theme_assist.refi.atomic import made_parent

        destination = Path(destination)
        partial = destination.with_name(f".{destination.name}.partial")
        with made_parent(destination):  # its folders, removed again if the backup fails
            try:
                target = sqlite3.connect(partial)
                try:
                    self._connection().backup(target)
                finally:
                    target.close()
                os.replace(partial, destination)
            finally:
                partial.unlink(missing_ok=True)

    def close(self) -> None:
        """Close this thread's connection (other threads close theirs when they end)."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            if not self._same_file():
                self._empty_log_into_file_opened(connection)
            connection.close()
            self._local.connection = None

    def __enter__(self) -> "ProjectStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ project content
    @property
    def name(self) -> str:
        row = self._connection().execute("SELECT value FROM project_info WHERE key = 'name'").fetchone()
        return row[0] if row else self.path.stem

    def record_inputs(self, inputs: dict[str, str | Path | None]) -> None:
        """Remember the files a project was made from (option → path, ``None`` where not given), as absolute
        paths, so that no export writes over them (see :meth:`inputs`)."""
        from theme_assist.inputs import resolved_path

        given = {option: str(resolved_path(option, path)) for option, path in inputs.items() if path is not None}
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO project_info VALUES ('inputs', ?)",
                       (json.dumps(given, ensure_ascii=False),))

    def inputs(self) -> dict[str, str]:
        """The files the project was made from (``project init`` option → absolute path); empty for a project
        made before they were recorded."""
        row = self._connection().execute("SELECT value FROM project_info WHERE key = 'inputs'").fetchone()
        return json.loads(row[0]) if row else {}

    def record_added_inputs(self, inputs: dict[str, list[str | Path]]) -> None:
        """Remember the files a ``project add`` read (option → paths), as absolute paths, beside those of earlier
        additions, so that no export writes over them (see :meth:`added_inputs`)."""
        from theme_assist.inputs import resolved_path

        given = [[option, str(resolved_path(option, path))] for option, paths in inputs.items() for path in paths]
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO project_info VALUES ('added_inputs', ?)",
                       (json.dumps(self.added_inputs() + given, ensure_ascii=False),))

    def added_inputs(self) -> list[list[str]]:
        """The files ``project add`` read, oldest first: ``[option, absolute path]``."""
        row = self._connection().execute("SELECT value FROM project_info WHERE key = 'added_inputs'").fetchone()
        return json.loads(row[0]) if row else []

    def documents_added(self) -> pd.DataFrame:
        """When each document was stored, in the order they were stored: ``document``, ``source``, ``added_at``,
        ``segments`` (how many). Those of the first document's ``added_at`` made the project (``project init``);
        each other time is a ``project add`` or ``project replace`` (told by the order stored, not by the clock: a
        machine whose clock is behind may add to the project; not by the documents' order, in which a replacement
        takes the place of the document it replaces)."""
        return self._read("SELECT d.id AS document, d.source, d.added_at, count(s.id) AS segments FROM documents d "
                          "LEFT JOIN segments s ON s.document = d.id GROUP BY d.id ORDER BY d.rowid")

    def record_segmentation(self, tag: str) -> None:
        """Remember the segmentation the project's segments were made by (see :attr:`segmentation`)."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO project_info VALUES ('segmentation', ?)", (tag,))

    @property
    def segmentation(self) -> str:
        """The :func:`~theme_assist.segment.segmentation_tag` of the project's segments, written beside their ids
        in its exports; empty for a project made before it was recorded."""
        row = self._connection().execute("SELECT value FROM project_info WHERE key = 'segmentation'").fetchone()
        return row[0] if row else ""

    def record_skip_speakers(self, names: Iterable[str]) -> None:
        """Remember the speakers whose turns get no suggestion and wait in no review queue (the interviewer, the
        moderator: ``project init --skip-speaker``, changed by ``project skip-speaker``; see
        :meth:`skipped_segment_ids`). None: no speaker is skipped."""
        from theme_assist.segment import unique_speakers

        names = unique_speakers(names)  # one entry per speaker matched, kept as first given
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO project_info VALUES ('skip_speakers', ?)",
                       (json.dumps(names, ensure_ascii=False),))

    @property
    def skip_speakers(self) -> list[str]:
        """The speakers :meth:`record_skip_speakers` remembered, as given; empty for a project made without (or
        before there was the setting)."""
        row = self._connection().execute("SELECT value FROM project_info WHERE key = 'skip_speakers'").fetchone()
        return json.loads(row[0]) if row else []

    def skipped_segment_ids(self, withdrawn: bool = False) -> set[str]:
        """The ids of the segments of :attr:`skip_speakers`, matched as ``suggest --skip-speaker`` matches them
        (:func:`~theme_assist.segment.speaker_turns`); those of withdrawn documents only where ``withdrawn`` (the
        review page's progress subtracts them from :meth:`segment_count`)."""
        from theme_assist.segment import speaker_turns

        names = self.skip_speakers
        if not names:
            return set()
        speakers = self._read("SELECT DISTINCT speaker FROM segments")["speaker"]  # a few, matched once each
        matched = speakers[speaker_turns(speakers.astype(str), names, warn=False)].tolist()
        if not matched:
            return set()
        rows = self._read(f"SELECT id FROM segments WHERE speaker IN ({', '.join('?' * len(matched))})"
                          + self._without_withdrawn(withdrawn, f" AND document NOT IN ({_WITHDRAWN_DOCUMENTS})"),
                          matched)
        return set(rows["id"])

    # ------------------------------------------------------------------ withdrawn documents, metadata changes
    def withdrawn_documents(self) -> list[str]:
        """The documents withdrawn now (:meth:`withdraw`), in the documents' order."""
        return self._read(f"SELECT id FROM documents WHERE id IN ({_WITHDRAWN_DOCUMENTS}) ORDER BY position, rowid")[
            "id"].tolist()

    def withdrawn_holding(self) -> list[str]:
        """The documents withdrawn now whose segments hold imported codings or decisions, in the documents' order:
        one ``EXISTS`` per document on the indexes by segment, no coding or decision read."""
        return self._read(
            f"SELECT d.id FROM documents d WHERE d.id IN ({_WITHDRAWN_DOCUMENTS}) AND EXISTS (SELECT 1 FROM segments s "
            "WHERE s.document = d.id AND (EXISTS (SELECT 1 FROM codings c WHERE c.segment_id = s.id) OR EXISTS "
            "(SELECT 1 FROM decisions x WHERE x.segment_id = s.id))) ORDER BY d.position, d.rowid")["id"].tolist()

    def held(self, documents: list[str]) -> tuple[int, int, int]:
        """What ``documents`` hold, withdrawn or not: their segments, the decisions made on them (``undo`` apart,
        undone ones counted) and their imported codings (each segment, code, coder and source once, codes as
        stored), counted on the indexes by segment, nothing else read; :data:`HELD_CHUNK` documents at a time,
        summed (a segment is of one document): each binds three parameters, and SQLite takes at most 32,766."""
        held = [0, 0, 0]
        for start in range(0, len(documents), HELD_CHUNK):
            chunk = documents[start:start + HELD_CHUNK]
            marks = ", ".join("?" * len(chunk))
            of = f"SELECT id FROM segments WHERE document IN ({marks})"
            row = self._connection().execute(
                f"SELECT (SELECT count(*) FROM segments WHERE document IN ({marks})), "
                f"(SELECT count(*) FROM decisions WHERE action != 'undo' AND segment_id IN ({of})), "
                f"(SELECT count(*) FROM (SELECT DISTINCT segment_id, code, coder, source FROM codings "
                f"WHERE segment_id IN ({of})))", [*chunk] * 3).fetchone()
            held = [total + int(count) for total, count in zip(held, row)]
        return held[0], held[1], held[2]

    def _leaves_out(self, withdrawn: bool) -> bool:
        """Whether a reader given ``withdrawn`` leaves documents out: not where none is withdrawn, whose reads are
        then those of the audit trail, read once in a :meth:`snapshot` (an export of the trail beside the codings)."""
        return not withdrawn and bool(self.withdrawn_documents())

    def _without_withdrawn(self, withdrawn: bool, clause: str) -> str:
        """``clause`` (SQL leaving withdrawn documents out) where :meth:`_leaves_out`, ``""`` otherwise."""
        return clause if self._leaves_out(withdrawn) else ""

    def withdrawn_segment_ids(self) -> set[str]:
        """The ids of the segments of the documents withdrawn now."""
        return set(self._read(_WITHDRAWN_SEGMENTS)["id"])

    def withdrawals(self) -> pd.DataFrame:
        """Every withdrawal and restore, oldest first: ``id``, ``document``, ``action`` (``withdraw`` or
        ``restore``), ``reason``, ``author`` (``""`` where none was given), ``created_at``."""
        return self._read("SELECT id, document, action, reason, author, created_at FROM withdrawals ORDER BY id")

    def withdraw(self, documents: list[str], reason: str = "", author: str = "") -> list[str]:
        """Withdraw ``documents`` (added by mistake): from now on every reader but the audit trail leaves them out,
        with their segments, codings, suggestions and decisions; nothing is deleted (:meth:`restore`). Those
        withdrawn already are left as they are. The ``reason`` and ``author`` (who withdrew them) are kept. Returns
        those withdrawn now.

        Raises
        ------
        InputError
            For a document the project does not have; nothing is stored.
        """
        return self._mark(documents, "withdraw", reason, author)

    def restore(self, documents: list[str], reason: str = "", author: str = "") -> list[str]:
        """Bring withdrawn ``documents`` back as they were (:meth:`withdraw`), with the ``reason`` and ``author``
        (who restored them) given; those not withdrawn are left as they are. Returns those restored now.

        Raises
        ------
        InputError
            For a document the project does not have; nothing is stored.
        """
        return self._mark(documents, "restore", reason, author)

    def _mark(self, documents: list[str], action: str, reason: str, author: str) -> list[str]:
        with self.transaction() as db:  # checked under the lock: another may have withdrawn them in between
            known = {row[0] for row in db.execute("SELECT id FROM documents")}
            unknown = [document for document in documents if document not in known]
            if unknown:
                raise InputError(f"document {unknown[0]!r} is not in project {self.path.name}: nothing was changed")
            withdrawn = {row[0] for row in db.execute(_WITHDRAWN_DOCUMENTS)}
            changed = [document for document in dict.fromkeys(documents)
                       if (document in withdrawn) == (action == "restore")]
            if action == "restore":
                self._refuse_restoring_replaced(changed, withdrawn)
            created = utc_now()
            db.executemany("INSERT INTO withdrawals (document, action, reason, author, created_at) "
                           "VALUES (?, ?, ?, ?, ?)",
                           [(document, action, reason, author, created) for document in changed])
        return changed

    def _refuse_restoring_replaced(self, documents: list[str], withdrawn: set[str]) -> None:
        """Refuse to restore a document while another version of its transcript (one ``project replace`` replaced
        it by, or it replaced, or one replaced alike: a chain of replacements either way) is in the project or
        restored with it: both would be coded, the codings carried over counted twice."""
        pairs = self._replacement_pairs()
        staying = withdrawn - set(documents)
        for document in documents:
            if chain := self.replaced_by(document, staying):
                by = " itself replaced by ".join(map(repr, chain))
                raise InputError(f"document {document!r} was replaced by {by} (project replace), which is "
                                 f"{self._both_in(chain[-1], withdrawn)}")
            other = next((version for version in _versions(pairs, document)[1:] if version not in staying), None)
            if other is not None:  # one it replaced, or replaced alike
                raise InputError(f"documents {document!r} and {other!r} are versions of one transcript (project "
                                 f"replace), and {other!r} is {self._both_in(other, withdrawn)}")

    def _both_in(self, other: str, withdrawn: set[str]) -> str:
        """The end of a refusal to restore a document beside ``other``, another version of its transcript."""
        if other in withdrawn:  # given to the same restore
            return ("restored with it: both would be in, the codings carried over counted twice; restore one; "
                    "nothing was changed")
        return (f"in project {self.path.name}: restoring it would put both in, the codings carried over counted "
                f"twice; withdraw {other!r} first (`{restore_command(self.path, [other], action='withdraw')}`); "
                "nothing was changed")

    def bring_back(self, document: str) -> str:
        """How messages say a withdrawn ``document`` comes back: "`theme-assist project restore P D` brings it back";
        for one ``project replace`` replaced, the document in its place (its restore is refused); for one while
        another version of its transcript is in (a replacement withdrawn, the one it replaced restored), that the
        other is withdrawn first."""
        if chain := self.replaced_by(document):
            return f"replaced by {chain[-1]!r} (project replace), its codes carried over where segments matched"
        withdrawn = set(self.withdrawn_documents())
        other = next((version for version in _versions(self._replacement_pairs(), document)[1:]
                      if version not in withdrawn), None)
        if other is not None:  # its restore alone is refused (_refuse_restoring_replaced)
            return (f"{other!r}, another version of its transcript (project replace), is in the project: "
                    f"`{restore_command(self.path, [other], action='withdraw')}`, then "
                    f"`{restore_command(self.path, [document])}` bring it back")
        return f"`{restore_command(self.path, [document])}` brings it back"

    def _replacement_pairs(self) -> list[tuple[str, str]]:
        """Each ``project replace``'s ``old`` and ``new`` document, in the order they were made."""
        return [tuple(row) for row in self._connection().execute("SELECT old, new FROM replacements ORDER BY id")]

    def replaced_by(self, document: str, withdrawn: set[str] | None = None) -> list[str]:
        """The documents ``project replace`` put in ``document``'s place one after the other (``a`` replaced by
        ``a-v2``, itself by ``a-v3``), up to the first that is in the project (not of ``withdrawn``: the documents
        withdrawn now by default); empty where none of them is."""
        latest = dict(self._replacement_pairs())
        withdrawn = set(self.withdrawn_documents()) if withdrawn is None else withdrawn
        chain = [document]
        while (later := latest.get(chain[-1])) is not None and later not in chain:
            chain.append(later)
            if later not in withdrawn:
                return chain[1:]
        return []

    def set_metadata(self, values: dict[str, dict[str, str]], author: str = "") -> pd.DataFrame:
        """Set document metadata in one transaction (``values``: document → key → value): a new key is added, a
        value replaces the one a key had (``""`` clears it, as an empty cell of ``project init --metadata`` leaves
        a key with no value; a key the document has not is not added for it); each change is recorded with the old
        value, the ``author`` (who made it) and the time (:meth:`metadata_changes`). Returns the changes made:
        ``document``, ``key``, ``old`` (None for a key the document had not), ``new``.

        Raises
        ------
        InputError
            For a document the project does not have; nothing is stored.
        """
        changes = []
        with self.transaction() as db:
            known = {row[0] for row in db.execute("SELECT id FROM documents")}
            unknown = [document for document in values if document not in known]
            if unknown:
                raise InputError(f"document {unknown[0]!r} is not in project {self.path.name}: nothing was changed")
            created = utc_now()
            for document, fields in values.items():
                old = dict(db.execute("SELECT key, value FROM document_metadata WHERE document = ?", (document,)))
                for key, value in fields.items():
                    if old.get(key) == value or (not value and key not in old):  # the same, or nothing to clear
                        continue
                    changes.append((document, key, old.get(key), value))
                    if key in old:
                        db.execute("UPDATE document_metadata SET value = ? WHERE document = ? AND key = ?",
                                   (value, document, key))  # in place: its column keeps its order
                    else:
                        db.execute("INSERT INTO document_metadata VALUES (?, ?, ?)", (document, key, value))
            db.executemany("INSERT INTO metadata_changes (document, key, old, new, author, created_at) "
                           "VALUES (?, ?, ?, ?, ?, ?)", [(*change, author, created) for change in changes])
        return pd.DataFrame(changes, columns=["document", "key", "old", "new"])

    def metadata_changes(self) -> pd.DataFrame:
        """Every change :meth:`set_metadata` made, oldest first: ``id``, ``document``, ``key``, ``old`` (None for a
        key added), ``new``, ``author`` (``""`` where none was given), ``created_at``."""
        return self._read("SELECT id, document, key, old, new, author, created_at FROM metadata_changes ORDER BY id")

    def add_documents(self, documents: list[Document], position: int | None = None) -> None:
        """Store documents with their metadata (ids must be new), after the project's, or at ``position``: a
        replacement (``project replace``) takes the place of the document it replaces, and is read after it
        (documents of one position are read in the order they were stored)."""
        with self.transaction() as db:
            first = db.execute("SELECT coalesce(max(position) + 1, 0) FROM documents").fetchone()[0]
            if position is not None:
                first = position
            known = {row[0] for row in db.execute("SELECT id FROM documents")}
            added = utc_now()
            for offset, document in enumerate(documents):
                if document.id in known:
                    raise InputError(f"document {document.id!r} is already in project {self.path.name}")
                db.execute("INSERT INTO documents VALUES (?, ?, ?, ?, ?)",
                           (document.id, first + offset, str(document.source), document.text, added))
                db.executemany("INSERT INTO document_metadata VALUES (?, ?, ?)",
                               [(document.id, str(k), str(v)) for k, v in document.metadata.items()])

    def add_segments(self, segments: pd.DataFrame) -> None:
        """Store a ``segments`` table whose documents are already stored."""
        rows = segments[SEGMENT_COLUMNS].itertuples(index=False, name=None)
        with self.transaction() as db:
            try:
                db.executemany("INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                               [(str(s), str(d), str(sp or ""), int(a), int(b), str(t), int(tu), int(p))
                                for s, d, sp, a, b, t, tu, p in rows])
            except sqlite3.IntegrityError as exc:
                raise InputError(f"segments could not be stored in {self.path.name}: {exc} (a repeated segment "
                                 "id, or a segment of a document the project does not have)") from None

    def documents(self, withdrawn: bool = False) -> pd.DataFrame:
        """The documents in their order: ``document``, ``position``, ``source`` (the file read), and their metadata
        (one column per key, ``""`` where a document has none); those withdrawn only where ``withdrawn``. A metadata
        field named ``position`` or ``source`` ("source: focus group") is the column of that name."""
        frame = self._read("SELECT id AS document, position, source FROM documents"
                           + self._without_withdrawn(withdrawn, f" WHERE id NOT IN ({_WITHDRAWN_DOCUMENTS})")
                           + " ORDER BY position, rowid")
        metadata = self._read("SELECT document, key, value FROM document_metadata")
        if len(metadata):
            wide = metadata.pivot(index="document", columns="key", values="value").fillna("")
            frame = frame.drop(columns=[column for column in ("position", "source") if column in wide.columns])
            frame = frame.merge(wide, left_on="document", right_index=True, how="left").fillna("")
        return frame.reset_index(drop=True)

    def position_of(self, document: str) -> int:
        """The ``position`` of ``document`` in the documents' order (withdrawn or not)."""
        return self._connection().execute("SELECT position FROM documents WHERE id = ?", (document,)).fetchone()[0]

    def document_metadata(self, document: str) -> dict[str, str]:
        rows = self._connection().execute("SELECT key, value FROM document_metadata WHERE document = ? "
                                          "ORDER BY rowid", (document,))  # the metadata file's column order
        return {key: value for key, value in rows}

    def documents_with_text(self, withdrawn: bool = False) -> list[Document]:
        """The stored documents as :class:`~theme_assist.documents.Document` (turns rebuilt from segments); those
        withdrawn only where ``withdrawn``."""
        documents = []
        where = self._without_withdrawn(withdrawn, f" WHERE id NOT IN ({_WITHDRAWN_DOCUMENTS})")
        rows = self._connection().execute(f"SELECT id, text, source FROM documents{where} ORDER BY position, rowid")
        for row in rows:
            documents.append(Document(id=row["id"], text=row["text"], source=row["source"],
                                      metadata=self.document_metadata(row["id"])))
        return documents

    def segments(self, withdrawn: bool = False) -> pd.DataFrame:
        """All segments in document order; those of withdrawn documents only where ``withdrawn``."""
        return self._segments('s.id AS segment_id, s.document, s.speaker, s.start, s."end", s.text, s.turn, '
                              "s.position", withdrawn)

    def segment_ids(self, withdrawn: bool = False) -> pd.DataFrame:
        """The ``segment_id`` and ``document`` of the segments :meth:`segments` has, in its order, without reading
        their texts (a third of the time at 20,000 segments)."""
        return self._segments("s.id AS segment_id, s.document", withdrawn)

    def _segments(self, columns: str, withdrawn: bool) -> pd.DataFrame:
        return self._read(f"SELECT {columns} FROM segments s JOIN documents d ON d.id = s.document"
                          + self._without_withdrawn(withdrawn, f" WHERE d.id NOT IN ({_WITHDRAWN_DOCUMENTS})")
                          + " ORDER BY d.position, d.rowid, s.position")

    def segment(self, segment_id: str) -> dict | None:
        """One segment; None where the project has none of that id or its document is withdrawn
        (:meth:`not_here` says which)."""
        row = self._connection().execute(
            'SELECT id AS segment_id, document, speaker, start, "end", text, turn, position FROM segments '
            f"WHERE id = ? AND document NOT IN ({_WITHDRAWN_DOCUMENTS})", (segment_id,)).fetchone()
        return dict(row) if row else None

    def not_here(self, segment_id: str) -> str:
        """Why :meth:`segment` has no segment ``segment_id``: not in the project, or of a withdrawn document."""
        row = self._connection().execute("SELECT document FROM segments WHERE id = ?", (segment_id,)).fetchone()
        if row is None or row[0] not in self.withdrawn_documents():
            return f"segment {segment_id!r} is not in this project"
        if self.replaced_by(row[0]):
            return f"segment {segment_id!r} is of document {row[0]!r}, {self.bring_back(row[0])}: reload the page"
        return (f"segment {segment_id!r} is of document {row[0]!r}, withdrawn from this project "
                f"({self.bring_back(row[0])})")

    def context(self, segment: dict, before: int = 2, after: int = 2) -> tuple[list[dict], list[dict]]:
        """The segments just before and just after ``segment`` in its document."""
        query = ("SELECT id AS segment_id, speaker, text, position FROM segments WHERE document = ? AND "
                 "position {} ? ORDER BY position {} LIMIT ?")
        db = self._connection()
        earlier = db.execute(query.format("<", "DESC"), (segment["document"], segment["position"], before))
        later = db.execute(query.format(">", "ASC"), (segment["document"], segment["position"], after))
        return [dict(r) for r in reversed(earlier.fetchall())], [dict(r) for r in later.fetchall()]

    # ------------------------------------------------------------------ codebook
    def add_codebook_version(self, codebook: Codebook, author: str = "", note: str = "",
                             code_map: dict[str, str] | None = None, recode: Iterable[str] = ()) -> int:
        """Store ``codebook`` as the new current version (unchanged codebooks are not stored twice).

        ``code_map`` (old id → new id) says what became of codes the revision drops: renamed (one old id to a new
        one) or merged into another code (several old ids to one). Whatever was stored before this version keeps
        its ids and is read as the codes they map to; a code that codings or decisions use can be dropped only so,
        or by ``recode``: codes the revision splits (drops, or keeps with a narrower definition), stored as a map
        to ``""``. What was coded with them before this version reads as no code (:meth:`to_recode`: each coder
        who held one recodes the segment), and their suggestions as none. An unchanged ``codebook`` with
        ``recode`` is a version of its own: the split of a code a revision stored before narrowed.
        """
        code_map = dict(code_map or {})
        recode = list(dict.fromkeys(recode))
        mapped = dict(code_map)
        code_map.update({old: "" for old in recode})
        content_hash = codebook.content_hash()
        was_exclusive = self.codebook().exclusive if self.codebook_version() else True
        with self.transaction() as db:
            latest = db.execute("SELECT version, content_hash FROM codebook_versions "
                                "ORDER BY version DESC LIMIT 1").fetchone()
            if (latest and latest["content_hash"] == content_hash
                    and code_map == self._code_map_of(db, latest["version"])):
                return latest["version"]  # the same revision again (a repeated command): stored already
            if code_map:
                if not latest:
                    raise InputError("a project's first codebook has no earlier codes to map")
                unchanged = latest["content_hash"] == content_hash
                _check_recode(recode, mapped, self.codebook(), codebook, earlier=[
                    self.codebook(version) for version in range(1, latest["version"])] if unchanged else None,
                    hint=self.mapped_away)
                _check_code_map(mapped, self.codebook(), codebook)
            if latest and latest["content_hash"] == content_hash and not recode:
                return latest["version"]  # a split of a revision stored before is a version of its own
            if latest:
                self._check_revision_keeps_used_codes(codebook, self.codebook(), code_map)
            version = (latest["version"] + 1) if latest else 1
            # strictly after every decision and coding so far: they are read under the version in force (its
            # exclusive rule, the maps of later versions: :meth:`decisions`), and two in one millisecond would be
            # ambiguous
            last = db.execute("SELECT max(t) FROM (SELECT max(created_at) AS t FROM decisions UNION ALL "
                              "SELECT max(created_at) FROM codings)").fetchone()[0]
            created = max(utc_now(), _one_millisecond_later(last)) if last else utc_now()
            db.execute("INSERT INTO codebook_versions VALUES (?, ?, ?, ?, ?, ?)",
                       (version, created, author, note, content_hash, dump_codebook(codebook)))
            db.executemany("INSERT INTO codebook_maps VALUES (?, ?, ?)",
                           [(version, old, new) for old, new in sorted(code_map.items())])
        if codebook.exclusive and not was_exclusive:
            self._warn_of_several_codes_per_segment()
        return version

    @staticmethod
    def _code_map_of(db: sqlite3.Connection, version: int) -> dict[str, str]:
        """The map codebook ``version`` was stored with (old id → new id; empty for none)."""
        return dict(db.execute("SELECT old, new FROM codebook_maps WHERE version = ?", (version,)).fetchall())

    def _warn_of_several_codes_per_segment(self) -> None:
        """Say how many segments carry several codes of one coder, now that a codebook of one code per segment
        reads them as one (nothing is deleted: allowing several codes again brings them back)."""
        from theme_assist.project.state import coder_state

        state = coder_state(self.decisions(), exclusive=False)
        several = set(state.loc[state["codes"].map(len) > 1, "segment_id"])
        per_coder = self.codings().groupby(["segment_id", "coder"])["code"].nunique()
        several |= set(per_coder[per_coder > 1].index.get_level_values("segment_id"))
        if several:
            logger.warning("%d segment(s) carry several codes of one coder; with one code per segment each now "
                           "counts its coder's latest decision (imported codings: the first code); the history is "
                           "kept, and allowing several codes again brings them back", len(several))

    def _check_revision_keeps_used_codes(self, codebook: Codebook, current: Codebook,
                                         code_map: dict[str, str]) -> None:
        """A revision may add, rename and redefine codes, not drop one that codings or decisions use (as the
        current codebook reads them) unless ``code_map`` says what it became: the project's history would point
        at codes it no longer knows (its REFI-QDA export would fail for good). A dropped code whose name or
        definition a new code of the revision has is named as renamed: its id changed."""
        decisions = self.decisions(withdrawn=True)  # a restore brings them back: their codes must stay known
        decisions = decisions[decisions["action"] != "undo"]  # an undo repeats the code as it was stored
        used = set(self.codings(withdrawn=True)["code"]) | set(decisions["code"]) | set(decisions["replaces"])
        dropped = sorted(used - {""} - set(codebook.ids) - set(code_map))
        if dropped:
            added = [code for code in codebook.all_codes if code.id not in set(current.ids)]
            renamed = {}
            for code_id in set(dropped) & set(current.ids):
                old = current.get(code_id)
                # its name first, else its definition: codes that share one ("to be written") hint at no code
                candidates = ([code.id for code in added if case_key(code.name) == case_key(old.name)]
                              or [code.id for code in added if old.definition and code.definition == old.definition])
                if len(candidates) == 1:
                    renamed[code_id] = candidates[0]
            away = self.withdrawn_segment_ids()  # a code used there alone is used by nothing else a reader shows
            seen = decisions[~decisions["segment_id"].isin(away)]
            codings = self.codings(withdrawn=True)
            visible = (set(codings.loc[~codings["segment_id"].isin(away), "code"]) | set(seen["code"])
                       | set(seen["replaces"]))
            named = [f"{code_id} (renamed {renamed[code_id]}?)" if code_id in renamed else
                     code_id if code_id in visible else f"{code_id} (on withdrawn documents only)"
                     for code_id in dropped]
            shown = listed(named, 3)
            raise InputError(f"the revised codebook drops code(s) that codings or decisions use: {shown}; keep "
                             "them (a new name or definition is fine), or map each to the code it becomes "
                             "(--map OLD=NEW: a new id, or a merge into another code), or have its segments "
                             "recoded by hand (--recode OLD: a code split)")
        if len(codebook.all_codes) < 2:
            raise InputError("the revised codebook has fewer than two codes: suggestions need at least two")

    def codebook(self, version: int | None = None) -> Codebook:
        """The current codebook, or an earlier ``version``; each version is parsed once per store (versions are
        append-only, and parsing a large codebook's YAML takes ~0.1 s, which every request and decision needs).
        The codebook returned is shared: do not change it."""
        version = self.codebook_version() if version is None else version
        if version not in self._codebooks:
            row = self._connection().execute("SELECT yaml FROM codebook_versions WHERE version = ?",
                                             (version,)).fetchone()
            if row is None:
                raise InputError(f"project {self.path.name} has no codebook" + (f" version {version}" if version
                                                                                  else ""))
            self._codebooks[version] = parse_codebook(row["yaml"], source=f"{self.path.name} codebook v{version}")
        return self._codebooks[version]

    def codebook_version(self) -> int:
        row = self._connection().execute("SELECT max(version) FROM codebook_versions").fetchone()
        return row[0] or 0

    def documents_version(self) -> int:
        """A number that grows with every change of the project's documents: one added (``project add``), withdrawn
        or restored, replaced, or its metadata changed (``project metadata``). Each of these adds a row to a table
        no row is ever deleted from, so the sum of their counts, read in one statement, says a change cheaply."""
        return self._connection().execute(
            "SELECT (SELECT count(*) FROM documents) + (SELECT count(*) FROM withdrawals) "
            "+ (SELECT count(*) FROM replacements) + (SELECT count(*) FROM metadata_changes)").fetchone()[0]

    def codebook_history(self) -> pd.DataFrame:
        return self._read("SELECT version, created_at, author, note, content_hash FROM codebook_versions "
                          "ORDER BY version")

    def code_maps(self) -> pd.DataFrame:
        """The codes each codebook version renamed or merged: ``version``, ``old``, ``new``."""
        return self._read("SELECT version, old, new FROM codebook_maps ORDER BY version, old")

    def mapped_away(self, code: str) -> str:
        """A hint for ``code``, no code of the current codebook, where a revision mapped it to one:
        ``" (codebook version 2 reads it as 'economic': give that code; ...)"``, or split it (``--recode``);
        ``""`` otherwise."""
        now, version = code, None
        for row in self.code_maps().itertuples(index=False):  # in version order: maps of several follow each other
            if row.old == now:
                now, version = row.new, row.version
        if version is not None and now == "" and code not in set(self.codebook().ids):
            return (f" (codebook version {version} split it: give the code of the revision that fits; what was coded "
                    "with it before is to be recoded)")
        if version is None or now not in set(self.codebook().ids):
            return ""
        return (f" (codebook version {version} reads it as {now!r}: give that code; a map applies only to what "
                "was stored before it)")

    def recodes(self) -> pd.DataFrame:
        """The codes codebook versions split (``project codebook --recode``): ``version``, ``code``, ``created_at``
        (the version's time: what was stored before it is to be recoded), in version order."""
        return self._read("SELECT m.version, m.old AS code, v.created_at FROM codebook_maps m JOIN codebook_versions v "
                          "ON v.version = m.version WHERE m.new = '' ORDER BY m.version, m.old")

    def to_recode(self, coder: str | None = None) -> pd.DataFrame:
        """The segments to recode (of ``coder``, where given; none of withdrawn documents): ``segment_id``,
        ``coder``, ``code`` (the code split, as the version before the split read it), ``version`` (the split's).

        A coder who held a split code on a segment just before the split (an imported coding of theirs as their
        decisions left it, or their decision) is to recode it until they make a decision there after the split; a
        coding of it imported without a coder, until anyone does. Until then the split code reads as no code
        (:meth:`_mapped`), for every reader. The review server asks at each request: it is kept (:meth:`kept`)
        until a table it reads changes."""
        who = None if coder is None else coder.strip()
        return self.kept(("to_recode", who), _RECODE_TABLES, lambda: self._to_recode(who))

    def _to_recode(self, who: str | None) -> pd.DataFrame:
        from theme_assist.project.state import coder_state, live_decisions

        columns = ["segment_id", "coder", "code", "version"]
        splits = self.recodes()
        if splits.empty:
            return pd.DataFrame(columns=columns)
        maps = self.code_maps()
        decisions = self.decisions(who, mapped=False).drop(columns="rejects")  # one coder's: a page's every request
        codings = self.codings(mapped=False)
        if who is not None:
            codings = codings[codings["coder"].isin([who, ""])]
        # anyone's made after the first split, in its own millisecond too (as _versions_at reads a time): a coding
        # imported without a coder is recoded by anyone's decision
        first = self._connection().execute("SELECT min(id) FROM decisions WHERE created_at >= ?",
                                           (splits["created_at"].min(),)).fetchone()[0]
        live = live_decisions(self.decisions(since_id=first - 1, mapped=False)) if first else decisions.iloc[:0]
        decision_versions = self._versions_at(decisions["created_at"])
        coding_versions = self._versions_at(codings["created_at"])
        rows = []
        for version, group in splits.groupby("version", sort=True):
            split_at = group["created_at"].iloc[0]
            earlier = maps[maps["version"] < version]  # the codes as the version before the split read them
            before = decisions["created_at"] < split_at
            then = decisions[before].assign(**{
                column: self._mapped(decisions.loc[before, column], decision_versions[before.to_numpy()], earlier)
                for column in ("code", "replaces")})
            imported_before = codings["created_at"] < split_at
            imported = codings[imported_before].assign(code=self._mapped(
                codings.loc[imported_before, "code"], coding_versions[imported_before.to_numpy()], earlier))
            state = coder_state(then, exclusive=self.codebook(int(version) - 1).exclusive, imported=imported)
            after = live[live["created_at"] >= split_at]
            decided = set(zip(after["segment_id"], after["coder"]))
            anyone = set(after["segment_id"])
            for code in group["code"]:
                # as booleans: an empty state's map is of objects, which would select columns (none)
                held = state[state["codes"].map(lambda codes, code=code: code in codes).astype(bool)]
                rows += [(segment, who, code, int(version)) for segment, who in zip(held["segment_id"], held["coder"])
                         if (segment, who) not in decided]
                unnamed = imported[(imported["coder"] == "") & (imported["code"] == code)]
                rows += [(segment, "", code, int(version)) for segment in dict.fromkeys(unnamed["segment_id"])
                         if segment not in anyone]
        frame = pd.DataFrame(rows, columns=columns).drop_duplicates(["segment_id", "coder", "code"], keep="last")
        return frame.reset_index(drop=True)

    def _versions_at(self, times: pd.Series) -> np.ndarray:
        """The codebook version in force at each of ``times`` (0 before the first)."""
        versions = self._read("SELECT version, created_at FROM codebook_versions ORDER BY version")
        in_force = np.searchsorted(versions["created_at"].to_numpy(dtype=str), times.to_numpy(dtype=str),
                                   side="right")
        return np.concatenate([[0], versions["version"].to_numpy(dtype=int)])[in_force]

    def _mapped(self, codes: pd.Series, versions: np.ndarray, maps: pd.DataFrame | None = None) -> pd.Series:
        """``codes`` stored under codebook ``versions`` as the current codebook reads them: through the maps of
        every later version in turn (a code re-added after it was mapped away is a new code: only what was
        stored before the map follows it); ``maps``: :meth:`code_maps`, where read already."""
        codes = codes.copy()
        maps = self.code_maps() if maps is None else maps
        if maps.empty:  # most projects: nothing renamed or merged
            return codes
        for version, group in maps.groupby("version"):
            before = np.asarray(versions) < version
            codes[before] = codes[before].replace(dict(zip(group["old"], group["new"])))
        return codes

    # ------------------------------------------------------------------ human codings
    def add_codings(self, codings: pd.DataFrame, source: str) -> int:
        """Store human codings (``segment_id``, ``code``, optional ``coder``; ``carried_from`` and
        ``suggestions_shown`` for codings ``project replace`` carries over: see :meth:`carried_codings`); returns how
        many."""
        frame = codings.assign(coder=codings["coder"] if "coder" in codings else "")
        carried = "carried_from" in frame
        if carried:
            shown = frame["suggestions_shown"] if "suggestions_shown" in frame else pd.Series(None, index=frame.index)
            frame = frame.assign(suggestions_shown=[None if pd.isna(value) else int(value) for value in shown])
        with self.transaction() as db:
            created = utc_now()  # under the lock, as the codes are checked: read under the version in force then
            codebook = self.codebook()
            unknown = sorted(set(frame["code"].astype(str)) - set(codebook.ids))  # no revision in between
            if unknown:  # the hint and the others, as suggest --train names them: a table fixed in one go
                more = f"; {len(unknown) - 1} more not in it either: {listed(unknown[1:])}" if len(unknown) > 1 else ""
                raise InputError(f"code {unknown[0]!r} in {source} is not in the project's codebook"
                                 f"{codebook.hint(unknown[0]) or self.mapped_away(unknown[0])}{more}")
            known_segments = {row[0] for row in db.execute("SELECT id FROM segments")}
            missing = sorted(set(frame["segment_id"].astype(str)) - known_segments)
            if missing:
                raise InputError(f"segment {missing[0]!r} in {source} is not in the project "
                                 f"({len(missing)} unknown segment ids)")
            if carried:
                db.executemany("INSERT INTO codings (segment_id, code, coder, source, created_at, carried_from, "
                               "suggestions_shown) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               [(str(s), str(c), str(k or ""), source, created, str(f), shown) for s, c, k, f, shown
                                in frame[["segment_id", "code", "coder", "carried_from", "suggestions_shown"]]
                                .itertuples(index=False)])
            else:
                db.executemany("INSERT INTO codings (segment_id, code, coder, source, created_at) "
                               "VALUES (?, ?, ?, ?, ?)",
                               [(str(s), str(c), str(k or ""), source, created)
                                for s, c, k in frame[["segment_id", "code", "coder"]].itertuples(index=False)])
        if self.codebook().exclusive:
            self._warn_of_several_codes_per_segment()
        return len(frame)

    def codings(self, segment_id: str | None = None, mapped: bool = True, withdrawn: bool = False) -> pd.DataFrame:
        """Imported human codings (of one segment only, where given), in the order they were imported; their codes
        as the current codebook reads them, one coding where a merge made several alike (not ``mapped``: as
        stored, with ``code_now``); those of withdrawn documents only where ``withdrawn``."""
        sql = "SELECT id, segment_id, code, coder, source, created_at FROM codings WHERE 1" + self._without_withdrawn(
            withdrawn, f" AND segment_id NOT IN ({_WITHDRAWN_SEGMENTS})")
        if segment_id is not None:
            frame = self._read(sql + " AND segment_id = ? ORDER BY id", [segment_id])
        else:
            frame = self._read(sql + " ORDER BY id")
        code_now = self._mapped(frame["code"], self._versions_at(frame["created_at"]))
        if not mapped:
            return frame.assign(code_now=code_now)
        frame["code"] = code_now
        frame = frame[frame["code"] != ""]  # a code split since: to recode (:meth:`to_recode`), no code now
        return frame.drop_duplicates(["segment_id", "code", "coder", "source"]).reset_index(drop=True)

    def carried_codings(self, withdrawn: bool = False) -> pd.DataFrame:
        """The codings ``project replace`` carried over from a replaced document: ``id``, ``segment_id``, ``coder``,
        ``carried_from`` (the replaced document's segment), ``suggestions_shown`` (0: every decision the coding
        comes from was made with no suggestion on screen, or it was imported there; 1: one was made with suggestions
        shown; NaN: unknown); those of withdrawn documents only where ``withdrawn``."""
        return self._read("SELECT id, segment_id, coder, carried_from, suggestions_shown FROM codings WHERE "
                          "carried_from IS NOT NULL" + self._without_withdrawn(
                              withdrawn, f" AND segment_id NOT IN ({_WITHDRAWN_SEGMENTS})") + " ORDER BY id")

    def replacements(self) -> pd.DataFrame:
        """Every ``project replace``, oldest first: ``id``, ``old`` (the document withdrawn), ``new`` (the one added
        in its place), ``reason``, ``author`` (``""`` where none was given), ``created_at``."""
        return self._read("SELECT id, old, new, reason, author, created_at FROM replacements ORDER BY id")

    def record_replacement(self, old: str, new: str, reason: str = "", author: str = "") -> None:
        """Record that document ``new`` replaced ``old`` (:mod:`theme_assist.project.replace`), by ``author``."""
        with self.transaction() as db:
            db.execute("INSERT INTO replacements (old, new, reason, author, created_at) VALUES (?, ?, ?, ?, ?)",
                       (old, new, reason, author, utc_now()))

    # ------------------------------------------------------------------ machine suggestions
    def add_run(self, suggestions: pd.DataFrame, model_id: str, embedding_model: str, engine_version: str,
                mode: str, params: dict, n_training: int, n_decisions: int,
                queue: pd.DataFrame | None = None, codebook_version: int | None = None) -> int:
        """Store one fit of the engine with its suggestions (and its active-learning ``queue``: ``segment_id``,
        ``uncertainty``, ``priority``); returns the run id. Earlier runs stay, superseded.

        ``codebook_version`` is the version the fit used, read with its training data: a revision made while the
        fit ran must not be stamped on it. Defaults to the current version."""
        from theme_assist.suggest import SUGGESTION_COLUMNS

        if codebook_version is None:
            codebook_version = self.codebook_version()
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO model_runs (created_at, model_id, embedding_model, engine_version, mode, "
                "codebook_version, n_training, n_decisions, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (utc_now(), model_id, embedding_model, engine_version, mode, int(codebook_version),
                 int(n_training), int(n_decisions), json.dumps(params, sort_keys=True)))
            run_id = cursor.lastrowid
            rows = list(suggestions[list(SUGGESTION_COLUMNS)].itertuples(index=False))
            texts = _segment_texts(db, {quote["segment_id"] for *_, quotes in rows for quote in quotes
                                        if _compactable(quote)})
            db.executemany(
                "INSERT INTO suggestions (run_id, segment_id, code, score, rank, evidence) VALUES (?, ?, ?, ?, ?, ?)",
                [(run_id, str(s), str(c), float(sc), int(r), _stored_evidence(e, texts)) for s, c, sc, r, e in rows])
            if queue is not None and len(queue):
                db.executemany("INSERT INTO review_queue VALUES (?, ?, ?, ?)",
                               [(run_id, str(s), float(u), int(p)) for s, u, p in
                                queue[["segment_id", "uncertainty", "priority"]].itertuples(index=False)])
        return run_id

    def latest_run(self) -> dict | None:
        row = self._connection().execute("SELECT * FROM model_runs ORDER BY id DESC LIMIT 1").fetchone()
        return dict(row) if row else None

    def runs(self) -> pd.DataFrame:
        return self._read("SELECT * FROM model_runs ORDER BY id")

    def suggestions(self, run_id: int | None = None, segment_id: str | None = None,
                    with_evidence: bool = True, mapped: bool = True, withdrawn: bool = False) -> pd.DataFrame:
        """The suggestions of one run (the latest by default), optionally of one segment only; without the
        ``evidence`` column unless ``with_evidence`` (reading the quotes of a whole run takes most of the time:
        a second for 70,000 suggestions). Codes as the current codebook reads them, the best ranked where a merge
        made several alike (not ``mapped``: as stored). Those of withdrawn documents only where ``withdrawn``."""
        if run_id is None:
            latest = self.latest_run()
            run_id = latest["id"] if latest else -1
        return self.kept(("suggestions", run_id, segment_id, with_evidence, mapped, withdrawn), SUGGESTION_TABLES,
                                 lambda: self._suggestions(run_id, segment_id, with_evidence, mapped, withdrawn))

    def _suggestions(self, run_id: int, segment_id: str | None, with_evidence: bool, mapped: bool,
                     withdrawn: bool) -> pd.DataFrame:
        columns = "id, run_id, segment_id, code, score, rank" + (", evidence" if with_evidence else "")
        sql = f"SELECT {columns} FROM suggestions WHERE run_id = ?" + self._without_withdrawn(
            withdrawn, f" AND segment_id NOT IN ({_WITHDRAWN_SEGMENTS})")
        params: list = [run_id]
        if segment_id is not None:
            sql += " AND segment_id = ?"
            params.append(segment_id)
        frame = self._read(sql + " ORDER BY id", params)
        if with_evidence:
            frame["evidence"] = self._quotes_with_texts([json.loads(e) for e in frame["evidence"]])
        if mapped:
            row = self._connection().execute("SELECT codebook_version FROM model_runs WHERE id = ?",
                                              (run_id,)).fetchone()
            versions = np.full(len(frame), row[0] if row else 0)
            code_now = self._mapped(frame["code"], versions)
            split = (frame["code"] != "") & (code_now == "")  # of a code split since: none (not an abstention)
            frame = self._best_of_alike(frame.assign(code=code_now)[~split].reset_index(drop=True))
        return frame

    def all_suggestions(self, mapped: bool = True, withdrawn: bool = False,
                        run_id: int | None = None) -> pd.DataFrame:
        """Every suggestion of every run, with its run's model (for the audit trail); codes as for
        :meth:`suggestions` (not ``mapped``: as stored, with ``code_now``); those of withdrawn documents only where
        ``withdrawn``. Where ``run_id`` is given, only those of that run and those a decision answers."""
        where = self._without_withdrawn(withdrawn, f" AND s.segment_id NOT IN ({_WITHDRAWN_SEGMENTS})")
        if run_id is not None:
            where += (" AND (s.run_id = ? OR s.id IN (SELECT suggestion_id FROM decisions "
                      "WHERE suggestion_id IS NOT NULL))")
        frame = self._read(
            "SELECT s.id, s.run_id, s.segment_id, s.code, s.score, s.rank, r.created_at, r.model_id, "
            "r.embedding_model, r.engine_version, r.codebook_version FROM suggestions s "
            "JOIN model_runs r ON r.id = s.run_id WHERE 1" + where + " ORDER BY s.id",
            [] if run_id is None else [int(run_id)])
        code_now = self._mapped(frame["code"], frame["codebook_version"].to_numpy())
        frame = frame.drop(columns="codebook_version")
        if not mapped:
            return frame.assign(code_now=code_now)
        split = (frame["code"] != "") & (code_now == "")  # of a code split since: none (not an abstention)
        return self._best_of_alike(frame.assign(code=code_now)[~split].reset_index(drop=True))

    @staticmethod
    def _best_of_alike(suggestions: pd.DataFrame) -> pd.DataFrame:
        """Of the suggestions of one run that a merge made alike on a segment, the best ranked."""
        best = suggestions.sort_values("rank", kind="stable").drop_duplicates(["run_id", "segment_id", "code"])
        return best.sort_index().reset_index(drop=True)

    def _quotes_with_texts(self, evidence: list[list]) -> list[list]:
        """``evidence`` (each suggestion's quotes, as stored) with the text of each quote of a project segment
        that :meth:`add_run` stored without it, read from the segments table (segments are never changed or
        deleted), after its ``segment_id`` as it was; quotes stored with their text (all of them before
        theme_assist stored quotes of segments without it) are as stored."""
        wanted = {quote["segment_id"] for quotes in evidence for quote in quotes if _without_text(quote)}
        if not wanted:
            return evidence
        texts = _segment_texts(self._connection(), wanted)
        return [[quote if not _without_text(quote) or quote["segment_id"] not in texts else
                 {"segment_id": quote["segment_id"], "text": texts[quote["segment_id"]],
                  **{key: value for key, value in quote.items() if key != "segment_id"}} for quote in quotes]
                for quotes in evidence]

    def suggestion(self, suggestion_id: int) -> dict | None:
        row = self._connection().execute("SELECT * FROM suggestions WHERE id = ?", (suggestion_id,)).fetchone()
        if not row:
            return None
        stored = dict(row)  # its evidence as JSON, each quote with its text, as add_run was given it
        stored["evidence"] = json.dumps(self._quotes_with_texts([json.loads(stored["evidence"])])[0],
                                        ensure_ascii=False)
        return stored

    def queue(self, run_id: int | None = None) -> pd.DataFrame:
        """The active-learning queue of a run (the latest by default): ``segment_id``, ``uncertainty``,
        ``priority`` (0 = ask first); none of withdrawn documents."""
        if run_id is None:
            latest = self.latest_run()
            run_id = latest["id"] if latest else -1
        return self._read("SELECT segment_id, uncertainty, priority FROM review_queue WHERE run_id = ? "
                          f"AND segment_id NOT IN ({_WITHDRAWN_SEGMENTS}) ORDER BY priority", (run_id,))

    # ------------------------------------------------------------------ review decisions
    def record_decisions(self, requests: list[DecisionRequest]) -> pd.DataFrame:
        """Store decisions in one transaction (all or none) and return them as stored, with ids and times.

        Raises
        ------
        InputError
            For an unknown action, segment, code or suggestion, or an empty coder name; nothing is stored.
        Stale
            For a decision whose ``seen`` is not the coder's latest decision on the segment; nothing is stored.
        """
        if not requests:
            return pd.DataFrame(columns=DECISION_COLUMNS)
        batch = uuid.uuid4().hex if len(requests) > 1 else ""
        with self.transaction() as db:
            created = utc_now()  # under the lock, as the codes are checked: read under the version in force then
            known_codes = set(self.codebook().ids)  # inside: a revision may not drop or map a code in between
            first_id = None
            for request in requests:
                self._check_decision(db, request, known_codes)
                cursor = db.execute(
                    "INSERT INTO decisions (segment_id, action, code, replaces, coder, created_at, suggestion_id, "
                    "batch, reason, suggestions_shown) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (request.segment_id, request.action, request.code, request.replaces, request.coder.strip(),
                     created, request.suggestion_id, batch, request.reason, request.suggestions_shown))
                first_id = cursor.lastrowid if first_id is None else first_id
        return self.decisions(since_id=first_id - 1, until_id=cursor.lastrowid)  # not another's stored since

    def _check_decision(self, db: sqlite3.Connection, request: DecisionRequest, known_codes: set[str]) -> None:
        if request.action not in ACTIONS:
            raise InputError(f"unknown action {request.action!r}; choose one of {', '.join(ACTIONS)}")
        if not has_visible_character(request.coder):
            raise InputError("a decision needs the coder's name")
        if db.execute(f"SELECT 1 FROM segments WHERE id = ? AND document NOT IN ({_WITHDRAWN_DOCUMENTS})",
                      (request.segment_id,)).fetchone() is None:
            raise NotFound(f"{self.not_here(request.segment_id)}: nothing was saved")
        for code in (request.code, request.replaces):
            if code and code not in known_codes:
                raise NotFound(f"code {code!r} is not in the project's codebook{self.mapped_away(code)}")
        if not request.code:
            raise InputError(f"a {request.action} decision needs a code")
        if request.action == "replace" and request.replaces in ("", request.code):
            raise InputError("a replace decision names the code it replaces, and a different code to put there")
        if request.action == "replace" and request.suggestion_id is None and \
                request.replaces not in self._codes_given(request.segment_id, request.coder.strip()):
            raise InputError(f"segment {request.segment_id!r} has no code {request.replaces!r} to replace: nobody "
                             "suggested or gave it")
        if request.suggestion_id is not None:
            row = db.execute("SELECT s.segment_id, s.code, r.codebook_version FROM suggestions s JOIN model_runs r "
                             "ON r.id = s.run_id WHERE s.id = ?", (request.suggestion_id,)).fetchone()
            if row is None:  # a page showing an earlier run's suggestion since dropped by project prune
                raise NotFound(f"suggestion {request.suggestion_id} is not in the project (an earlier run's, "
                               "dropped by project prune since?): reload the page for the latest suggestions")
            if row["segment_id"] != request.segment_id:
                raise NotFound(f"suggestion {request.suggestion_id} is not a suggestion for segment "
                               f"{request.segment_id!r}")
            answered = request.replaces if request.action == "replace" else request.code
            suggested = self._mapped(pd.Series([row["code"]]), np.array([row["codebook_version"]]))[0]
            if request.action != "add" and suggested != answered:
                raise InputError(f"suggestion {request.suggestion_id} suggests {suggested!r}, not {answered!r}")
        if request.seen is not None:
            # +coder: by the segment's index (a few rows), not by the coder's (all their decisions, walked for max(id))
            latest = db.execute("SELECT coalesce(max(id), 0) FROM decisions WHERE segment_id = ? AND +coder = ?",
                                (request.segment_id, request.coder.strip())).fetchone()[0]
            if latest != request.seen:
                raise Stale(f"{request.coder.strip()} has decided on segment {request.segment_id!r} since it was shown "
                            f"here (decision {latest}, in another tab or window?): nothing was saved; it is shown "
                            "again as it stands")

    def _codes_given(self, segment_id: str, coder: str) -> set[str]:
        """The codes suggested or imported on a segment, or applied there by ``coder``, as the current codebook
        reads them."""
        suggested = self._read("SELECT s.code, r.codebook_version FROM suggestions s JOIN model_runs r "
                               "ON r.id = s.run_id WHERE s.segment_id = ?", [segment_id])
        decided = self.decisions(coder, segment_id=segment_id)
        return (set(self._mapped(suggested["code"], suggested["codebook_version"].to_numpy()))
                | set(self.codings(segment_id)["code"])
                | set(decided.loc[decided["action"].isin(["accept", "add", "replace"]), "code"]))

    def _refuse_undo_on_withdrawn(self, db: sqlite3.Connection, expected: int, latest: int | None) -> None:
        """Raise :class:`Stale` where decision ``expected`` (the one an undo was meant for) is on a document
        withdrawn now; ``latest``: the coder's latest decision that is not (None: none)."""
        away = db.execute(f"SELECT s.document FROM decisions d JOIN segments s ON s.id = d.segment_id WHERE "
                          f"d.id = ? AND s.document IN ({_WITHDRAWN_DOCUMENTS})", (expected,)).fetchone()
        if away is not None:
            raise Stale(f"decision {expected}, the one made last here, is on document {away[0]!r}, withdrawn "
                        f"from this project since ({self.bring_back(away[0])}): nothing was undone", latest=latest)

    def undo_last(self, coder: str, expected: int | None = None) -> pd.DataFrame:
        """Undo ``coder``'s most recent decision that is not undone yet (a whole bulk batch at once).

        Returns the ``undo`` decisions stored (empty if there was nothing to undo). The undone decisions stay in
        the file, answered by the ``undo`` rows, each with the ``suggestions_shown`` of the decision it undoes
        (an undo is made on no segment's page: it takes back what was decided as it was seen). ``coder`` is
        trimmed, as decisions store it.

        ``expected`` is the id of the decision the caller means to undo (any of a batch's; 0: the caller made
        none). None: no check.

        Raises
        ------
        Stale
            If ``expected`` is given and is not that decision (made or undone since in another tab or window, or
            on a document withdrawn since, which it says, whether or not the coder has one left to undo): nothing
            is undone.
        """
        coder = coder.strip()
        with self.transaction() as db:
            last = db.execute(
                f"SELECT id, batch, segment_id, action, code, created_at FROM decisions d WHERE coder = ? "
                f"AND action != 'undo' AND NOT ({_UNDONE}) AND segment_id NOT IN ({_WITHDRAWN_SEGMENTS}) "
                "ORDER BY id DESC LIMIT 1", (coder,)).fetchone()
            if last is None:
                if expected:  # the page's latest, on a document withdrawn since: said, not "nothing to undo"
                    self._refuse_undo_on_withdrawn(db, expected, None)
                return pd.DataFrame(columns=DECISION_COLUMNS)
            if last["batch"]:
                # a batch's decisions on documents withdrawn since are left as they are (none is made there), as
                # those undone already, which a restore then leaves to an undo of their own
                targets = db.execute("SELECT id, segment_id, code, suggestions_shown FROM decisions d WHERE batch = ? "
                                     f"AND action != 'undo' AND NOT ({_UNDONE}) AND segment_id NOT IN "
                                     f"({_WITHDRAWN_SEGMENTS}) ORDER BY id", (last["batch"],)).fetchall()
                # the page names the batch by its last decision, which may be one left as it is here
                members = {row[0] for row in db.execute("SELECT id FROM decisions WHERE batch = ? AND "
                                                        "action != 'undo'", (last["batch"],))}
            else:
                targets = db.execute("SELECT id, segment_id, code, suggestions_shown FROM decisions WHERE id = ?",
                                     (last["id"],)).fetchall()
                members = {last["id"]}
            if expected is not None and expected not in members:
                self._refuse_undo_on_withdrawn(db, expected, last["id"])  # not "decided or undone since elsewhere"
                raise Stale(_not_the_latest(coder, last, expected, len(targets), self._code_name(last)),
                            latest=last["id"])
            created = utc_now()
            first_id = None
            for target in targets:
                cursor = db.execute(
                    "INSERT INTO decisions (segment_id, action, code, coder, created_at, undoes, batch, "
                    "suggestions_shown) VALUES (?, 'undo', ?, ?, ?, ?, ?, ?)",
                    (target["segment_id"], target["code"], coder, created, target["id"], last["batch"],
                     target["suggestions_shown"]))
                first_id = cursor.lastrowid if first_id is None else first_id
        return self.decisions(since_id=first_id - 1, until_id=cursor.lastrowid)  # not another's stored since

    def _code_name(self, decision: sqlite3.Row) -> str:
        """The name of ``decision``'s code as the current codebook reads it (renamed or merged since: the code it
        became); its id for a code the codebook no longer has."""
        code = self._mapped(pd.Series([decision["code"]]), self._versions_at(pd.Series([decision["created_at"]])))[0]
        return next((c.name for c in self.codebook().all_codes if c.id == code), code)

    def decisions(self, coder: str | None = None, since_id: int = 0, segment_id: str | None = None,
                  mapped: bool = True, until_id: int | None = None, withdrawn: bool = False) -> pd.DataFrame:
        """Decisions (of one coder, on one segment, with ids after ``since_id`` and up to ``until_id``, where
        given) in the order they were made, each with ``undone``
        and ``exclusive_codebook`` (whether the codebook version in force when it was made allowed one code per
        segment: an ``add`` then replaced the segment's code, whatever a later version allows); ``code`` and
        ``replaces`` as the current codebook reads them (not ``mapped``: as stored, with ``code_now`` and
        ``replaces_now``); ``rejects``: the code a ``reject`` or ``replace`` rejects as the current codebook reads
        it, ``""`` for other actions and where a merge since made it no rejection (:meth:`_rejections_now`);
        those on segments of withdrawn documents only where ``withdrawn``."""
        sql = (f"SELECT {', '.join('d.' + c for c in DECISION_COLUMNS)}, {_UNDONE} AS undone, "
               "coalesce(t.created_at, d.created_at) AS code_stored_at FROM decisions d "
               "LEFT JOIN decisions t ON t.id = d.undoes WHERE d.id > ?")
        params: list = [since_id]
        if until_id is not None:
            sql += " AND d.id <= ?"
            params.append(until_id)
        if coder is not None:
            sql += " AND d.coder = ?"
            params.append(coder.strip())  # as decisions store it
        if segment_id is not None:
            sql += " AND d.segment_id = ?"
            params.append(segment_id)
        sql += self._without_withdrawn(withdrawn, f" AND d.segment_id NOT IN ({_WITHDRAWN_SEGMENTS})")
        frame = self._read(sql + " ORDER BY d.id", params)
        frame["undone"] = frame["undone"].astype(bool)
        frame["exclusive_codebook"] = self._exclusive_when(self._versions_at(frame["created_at"]))
        stored_under = self._versions_at(frame.pop("code_stored_at"))  # an undo repeats the code it undoes
        rejecting, replacing = frame["action"] == "reject", frame["action"] == "replace"
        turned_down = frame["code"].where(rejecting, frame["replaces"].where(replacing, ""))
        now = {column: self._mapped(frame[column], stored_under) for column in ("code", "replaces")}
        for column in ("code", "replaces"):
            frame[column if mapped else f"{column}_now"] = now[column]
        frame["rejects"] = self._rejections_now(turned_down, stored_under,
                                                now["code"].where(rejecting, now["replaces"].where(replacing, "")))
        return frame

    def rejections_now(self, codes: pd.Series, times: pd.Series) -> pd.Series:
        """What rejections of ``codes`` (as stored; ``""`` for none) made at ``times`` reject now, as
        :meth:`decisions` reads them into ``rejects``: for a reader of decisions as stored (the audit trail)."""
        return self._rejections_now(codes, self._versions_at(times))

    def _rejections_now(self, codes: pd.Series, versions: np.ndarray, now: pd.Series | None = None) -> pd.Series:
        """What rejections of ``codes`` (stored under codebook ``versions``; ``""`` for none) reject now: the code
        the maps read each as (:meth:`_mapped`; ``now``, where read already) where it is the only code of its version
        or of a later one (:meth:`_codes_since`) they read so, a rename (chain); ``""`` where other codes read so too,
        a merge since: "not A" said of A alone does not say "not B" of the B that holds A's meaning and more. Every
        reader of rejections reads them here (:func:`~theme_assist.project.state.coder_state`: the coder's
        rejections, training, the review page's order)."""
        maps = self.code_maps()
        if not (codes != "").any() or maps.empty:  # most projects: nothing renamed or merged
            return codes.copy()
        now = self._mapped(codes, versions) if now is None else now
        versions = np.asarray(versions)
        rejecting = (codes != "").to_numpy()
        merged = np.zeros(len(codes), dtype=bool)
        held = self._codes_since(sorted(set(versions[rejecting].tolist())), maps)
        for version, group in held.groupby("since"):
            these = rejecting & (versions == version)
            alone = ~codes[these].isin(set(group["code"])).to_numpy()  # a code its version lacks: one more so read
            counts = now[these].map(group["reads"].value_counts()).fillna(0).to_numpy() + alone
            merged[these] = counts > 1
        return now.where(~merged, "")

    def _codes_since(self, versions: list[int], maps: pd.DataFrame) -> pd.DataFrame:
        """The codes of each of codebook ``versions`` and those a later version added, each with what the current
        codebook reads it as: ``since`` (the version), ``code``, ``reads``. A code a version added as what its map
        renamed or merged codes into is not one more: it holds their meaning, read through them."""
        into = maps.groupby("version")["new"].agg(set).to_dict()
        last = self.codebook_version()
        rows = []
        for version in versions:
            first = max(int(version), 1)
            rows += [(version, code_id, first) for code_id in self.codebook(first).ids]
            for later in range(first + 1, last + 1):
                before = set(self.codebook(later - 1).ids) | into.get(later, set())
                rows += [(version, code_id, later) for code_id in self.codebook(later).ids if code_id not in before]
        held = pd.DataFrame(rows, columns=["since", "code", "added_in"])
        held["reads"] = self._mapped(held["code"], held["added_in"].to_numpy(), maps)
        return held

    def _exclusive_when(self, in_force: np.ndarray) -> np.ndarray:
        """Whether each of the codebook versions ``in_force`` (:meth:`_versions_at`) was exclusive."""
        versions = self._read("SELECT version FROM codebook_versions ORDER BY version")["version"].tolist()
        if not versions:
            return np.zeros(len(in_force), dtype=bool)
        flags = np.array([self.codebook(int(version)).exclusive for version in versions], dtype=bool)
        return flags[np.searchsorted(versions, in_force)]  # before the first version: as the first

    def segment_count(self) -> int:
        """How many segments the documents not withdrawn have."""
        return self._connection().execute(
            f"SELECT count(*) FROM segments WHERE document NOT IN ({_WITHDRAWN_DOCUMENTS})").fetchone()[0]

    def decision_count(self, withdrawn: bool = False) -> int:
        """How many decisions (not undos) were made; those on withdrawn documents only where ``withdrawn``."""
        return self._connection().execute(
            "SELECT count(*) FROM decisions WHERE action != 'undo'"
            + self._without_withdrawn(withdrawn, f" AND segment_id NOT IN ({_WITHDRAWN_SEGMENTS})")).fetchone()[0]

    def coders(self, withdrawn: bool = False) -> list[str]:
        """Every coder named in codings or decisions, sorted; one named only on withdrawn documents only where
        ``withdrawn``."""
        away = self._without_withdrawn(withdrawn, f" WHERE segment_id NOT IN ({_WITHDRAWN_SEGMENTS})")
        rows = self._connection().execute(f"SELECT coder FROM decisions{away} UNION SELECT coder FROM codings{away}")
        return sorted({row[0] for row in rows if row[0]})
