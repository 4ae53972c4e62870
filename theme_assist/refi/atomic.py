"""Outputs that appear whole or not at all: a file or a folder is built next to its target, then renamed."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from theme_assist.errors import InputError


def _parent_of(target: Path) -> Path:
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"cannot write {target}: the folder {parent} does not exist")
    return parent


@contextmanager
def atomic_file(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success it replaces ``target``, on failure it is removed."""
    target = Path(target)
    handle, name = tempfile.mkstemp(dir=_parent_of(target), prefix=f".{target.name}.", suffix=".part")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


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
    if target.exists() and not target.is_dir():
        raise InputError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise InputError(f"{target} exists and is not empty (use --force to replace it)")
    temporary = Path(tempfile.mkdtemp(dir=_parent_of(target), prefix=f".{target.name}.", suffix=".part"))
    try:
        yield temporary
        if target.is_dir():
            old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
            os.replace(target, old / "previous")
            os.replace(temporary, target)
            shutil.rmtree(old)
        else:
            os.replace(temporary, target)
    finally:
        if temporary.exists():
            shutil.rmtree(temporary)
