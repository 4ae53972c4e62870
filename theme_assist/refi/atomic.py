"""Outputs that appear whole or not at all: a file or a folder is built next to its target, then renamed."""

from __future__ import annotations

import contextlib
import errno
import itertools
import logging
import os
import re
import shutil
import stat
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from theme_assist.errors import InputError
from theme_assist.filesystems import nearest_existing

logger = logging.getLogger(__name__)

#: Age in seconds past which a partial copy beside a target was left by a run that stopped (killed, the machine
#: down), not one still being written: a suggester's folder, a table or a ``.qdpx`` takes seconds to minutes.
STALE_AFTER = 6 * 3600

#: How often a folder is swapped in again when another run swapped its own in meanwhile (:func:`_swap_in`).
_SWAP_TRIES = 100


def _parent_of(target: Path) -> Path:
    """The folder ``target`` goes in, which must exist (:func:`made_parent` makes it)."""
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"cannot write {target}: the folder {parent} does not exist")
    return parent


@contextmanager
def made_parent(target: Path) -> Iterator[None]:
    """Make the missing folders ``target`` goes in (:func:`~theme_assist.inputs.check_outputs` makes none), and
    remove them again, where still empty, if the block fails: a run refused while writing (an archive that cannot
    be read while its import is built) leaves no empty folders behind."""
    existing = nearest_existing(target.parent)
    missing = list(itertools.takewhile(lambda folder: folder != existing, target.parents))  # deepest first
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # a file in the way, a read-only folder
        raise InputError(f"cannot write {target}: cannot create its folder {target.parent} "
                         f"({error.strerror or error})") from None
    try:
        yield
    except BaseException:
        for folder in missing:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _clear_leftovers(target: Path) -> None:
    """Remove the partial copies (``.NAME.*.part``) a run that stopped left beside ``target`` more than
    :data:`STALE_AFTER` ago: a suggester's held the coded quotes verbatim, in a hidden folder nobody would look in.
    A previous ``target`` left in ``.NAME.*.old`` by a run stopped mid-replace is kept, and named in a warning."""
    # tempfile's names only: ".NAME." then 8 of its letters, digits and "_" (".themes.json.….part" is another's)
    ours = re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}\.(part|old)")
    found = sorted(entry for entry in target.parent.iterdir() if ours.fullmatch(entry.name))
    now = time.time()
    for left in [entry for entry in found if entry.name.endswith(".part")]:
        try:
            if now - left.lstat().st_mtime < STALE_AFTER:
                continue  # another run may be writing it
            if left.is_dir() and not left.is_symlink():
                shutil.rmtree(left)
            else:
                left.unlink()
        except OSError as exc:
            logger.warning("could not remove %s, a partial copy of %s left by a run that stopped (%s)", left, target,
                           exc)
        else:
            logger.warning("removed %s, a partial copy of %s left by a run that stopped", left, target)
    for old in [entry for entry in found if entry.name.endswith(".old")]:
        logger.warning("%s holds a previous %s left by a run stopped while replacing it: kept; delete it once you "
                       "have what you need", old, target.name)


def _usual_mode(folder: bool) -> int:
    """The permissions a plain ``open()`` or ``mkdir()`` would give (tempfile's are private: 0600 and 0700)."""
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if folder else 0o666) & ~umask


@contextmanager
def atomic_file(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success it replaces ``target`` (with the permissions of the
    file it replaces, or the usual ones), on failure it is removed."""
    target = Path(target)
    with made_parent(target):
        _clear_leftovers(Path(_parent_of(target), target.name))
        handle, name = tempfile.mkstemp(dir=_parent_of(target), prefix=f".{target.name}.", suffix=".part")
        os.close(handle)
        temporary = Path(name)
        try:
            yield temporary
            os.chmod(temporary, target.stat().st_mode & 0o7777 if target.is_file() else _usual_mode(folder=False))
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)


def write_text_whole(target: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``target`` whole or not at all (:func:`atomic_file`), through a link to its
    file: a command stopped while writing leaves the earlier file as it was, not a half one that reads as whole."""
    with atomic_file(Path(target).resolve()) as temporary:
        temporary.write_text(text, encoding="utf-8")


@contextmanager
def atomic_folder(target: str | Path, force: bool = False) -> Iterator[Path]:
    """Yield an empty temporary folder next to ``target``; on success it becomes ``target``.

    Parameters
    ----------
    target : str or Path
        The folder to create. An existing empty folder is replaced; a non-empty one only with ``force``.
    force : bool
        Replace a non-empty ``target`` (its old content is removed only after the new one is complete).
    """
    target = Path(target)
    entries = folder_entries(target)
    if entries is None:
        raise InputError(f"{target} exists and is not a folder")
    if entries and not force:
        raise InputError(f"{target} exists and is not empty (use --force to replace it)")
    with made_parent(target):
        _clear_leftovers(Path(_parent_of(target), target.name))
        temporary = Path(tempfile.mkdtemp(dir=_parent_of(target), prefix=f".{target.name}.", suffix=".part"))
        try:
            yield temporary
            os.chmod(temporary, _usual_mode(folder=True))
            _swap_in(temporary, target)
        finally:
            if temporary.exists():
                shutil.rmtree(temporary)


def folder_entries(folder: Path) -> list[str] | None:
    """The names in ``folder``: none where there is no folder (another save may have moved it aside just now, see
    :func:`_swap_in`), None where it is something else."""
    try:
        return [entry.name for entry in folder.iterdir()]
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        return None


def _swap_in(temporary: Path, target: Path) -> None:
    """Rename the complete folder ``temporary`` to ``target``, a folder there first moved aside (into
    ``.NAME.*.old``) and removed once the new one is in. Anything else there (a file written meanwhile) is kept, and
    refused in one line.

    Two saves of one folder at once (two runs) each move aside what is there, the other's folder included: a
    folder renamed onto a non-empty one fails, and one moved aside meanwhile is gone. So both finish, and
    ``target`` holds one whole folder, the last swapped in, never a mix of two."""
    old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
    swapped = False
    try:
        for attempt in range(_SWAP_TRIES):
            _move_aside(target, old / f"previous{attempt}")
            try:
                os.replace(temporary, target)
            except OSError as exc:
                if exc.errno == errno.ENOTDIR:  # a file put there since _move_aside looked
                    raise InputError(f"{target} exists and is not a folder") from None
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
                continue  # another save swapped its folder in meanwhile
            swapped = True
            return
        raise OSError(errno.EBUSY, f"other runs kept replacing {target} while this one did")
    finally:
        if swapped or not any(old.iterdir()):
            shutil.rmtree(old)  # failed after moving the previous folder aside: kept there (_clear_leftovers)


def _move_aside(target: Path, aside: Path) -> None:
    """Move the folder at ``target`` to ``aside``; nothing there, nothing to do. Only a folder: whatever else
    appeared at ``target`` would be removed with the folder it was moved into."""
    try:
        folder = stat.S_ISDIR(os.stat(target).st_mode)  # one look: another save may move it aside at any moment
    except FileNotFoundError:
        return  # nothing there, or a broken link (os.replace then refuses it: ENOTDIR)
    if not folder:
        raise InputError(f"{target} exists and is not a folder")
    with contextlib.suppress(FileNotFoundError):  # another save moved it aside first
        os.replace(target, aside)
