"""Which file system holds a path: SQLite's write-ahead log, which the embedding cache and a project use, keeps its
index in shared memory that network file systems do not share between machines, so on one of them both fall back
to a rollback journal (SQLite: "WAL does not work over a network filesystem")."""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from pathlib import Path

logger = logging.getLogger(__name__)

#: Where Linux lists its mounted file systems (elsewhere nothing is detected, and the write-ahead log is used).
MOUNTS = Path("/proc/mounts")

#: File system types (``/proc/mounts``' third field) whose files another machine may open too.
NETWORK_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "lustre", "gpfs", "beegfs", "glusterfs",
    "fuse.glusterfs", "fuse.sshfs", "fuse.s3fs", "fuse.rclone", "davfs", "fuse.davfs2",
})

#: Seconds :func:`set_journal_mode` keeps trying to switch a file to the write-ahead log that other connections are
#: switching at the same time (the jobs of an array started together on a new cache). A lock another connection
#: keeps (an exclusive transaction) is so reported after this wait, not after the connection's own timeout.
WAL_SWITCH_WAIT = 30.0


def filesystem_type(path: str | Path) -> str | None:
    """The type of the file system that holds ``path`` (or the nearest folder above it that exists), from
    :data:`MOUNTS`; ``None`` where that cannot be read."""
    try:
        lines = MOUNTS.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    target = Path(path).expanduser().absolute()
    while not target.exists() and target != target.parent:
        target = target.parent
    target = target.resolve()
    best, kind = -1, None
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        # a mount point's spaces, tabs and backslashes are written as octal escapes (\040), other letters as they are
        point = Path(re.sub(r"\\([0-7]{3})", lambda match: chr(int(match[1], 8)), fields[1]))
        # of mounts stacked on one point (an automount, then the NFS share it mounts) the last listed is on top
        if (point == target or point in target.parents) and len(point.parts) >= best:
            best, kind = len(point.parts), fields[2]
    return kind


def journal_mode(path: str | Path, what: str) -> str:
    """``"WAL"``, or ``"DELETE"`` with a warning where ``path`` (``what``: "the embedding cache …") is on a network
    file system."""
    kind = filesystem_type(path)
    if kind not in NETWORK_FILESYSTEMS:
        return "WAL"
    logger.warning("%s is on a network file system (%s): it is used without SQLite's write-ahead log, which such "
                   "file systems do not support; keep it on a local disk where you can", what, kind)
    return "DELETE"


def set_journal_mode(connection, mode: str) -> None:
    """``PRAGMA journal_mode`` on ``connection``; leaving the write-ahead log for a rollback journal needs the file to
    itself, so while another connection holds it (a review page serving the project) it stays as it is."""
    deadline = time.monotonic() + WAL_SWITCH_WAIT
    while True:
        try:
            connection.execute(f"PRAGMA journal_mode = {mode}")
            return
        except sqlite3.OperationalError as exc:
            if mode != "WAL":
                logger.info("the journal mode stays as it is while another connection holds the file")
                return
            # two connections switching a new file at once: SQLite answers one "locked" at once, without waiting
            # for the other (its timeout is not applied to a lock that could deadlock), so try again
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def nearest_existing(path: Path) -> Path:
    """``path``, or the nearest of its parents that exists (a file or a folder): where an output's missing folders
    are made (:func:`~theme_assist.inputs.check_outputs` checks it, :mod:`~theme_assist.refi.atomic` makes them)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def refusal_to_write_in(folder: str | Path, prefix: str = ".probe.") -> OSError | None:
    """The error making a file in ``folder`` meets (a read-only folder or mount, one not one's own), ``None`` where
    a file can be made: tried with a probe file ``PREFIX*.part``, made and removed, as root's permissions ignore
    mode bits."""
    import os
    import tempfile

    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".part")
    except OSError as error:
        return error
    os.close(handle)
    Path(probe).unlink(missing_ok=True)
    return None
