"""Reading a ``.qdpx`` archive that may have been crafted to hurt the reader.

:func:`open_archive` checks the whole central directory before anything is read: entry names that climb out
of the archive (``..``, absolute paths, drive letters, backslashes), symbolic links, encrypted or duplicate
entries, too many entries, and a declared total size or compression ratio beyond :class:`ZipLimits` (a zip
bomb). :meth:`SafeArchive.read` then counts the bytes it actually inflates, so a header that lies about sizes
is caught as well. Nothing is ever extracted by name onto the disk: callers get bytes, or a copy into a folder
they chose under a name this module has checked.
"""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from theme_assist.errors import InputError

_CHUNK = 1 << 16


@dataclass(frozen=True)
class ZipLimits:
    """Caps on what an archive may expand to.

    Parameters
    ----------
    max_entries : int
        Most entries (files and folders) an archive may hold.
    max_total_bytes : int
        Most bytes all entries together may inflate to.
    max_ratio : float
        Highest uncompressed / compressed size of one entry, checked on entries larger than ``ratio_floor``
        (small files compress extremely well without being a threat).
    ratio_floor : int
        Entries up to this many uncompressed bytes are exempt from the ratio check.
    """

    max_entries: int = 10_000
    max_total_bytes: int = 1 << 30
    max_ratio: float = 100.0
    ratio_floor: int = 1 << 20


def checked_name(name: str) -> str:
    """The entry name as a safe relative POSIX path, or an :class:`InputError` if it could escape.

    Parameters
    ----------
    name : str
        An entry name as stored in the archive (or a path a project refers to).

    Returns
    -------
    str
        The normalised relative path (``./`` parts removed).
    """
    if not name or "\x00" in name:
        raise InputError(f"archive entry {name!r} has an empty or invalid name")
    unified = name.replace("\\", "/")
    path = PurePosixPath(unified)
    if path.is_absolute() or (len(unified) > 1 and unified[1] == ":"):
        raise InputError(f"archive entry {name!r} has an absolute path (refused: it could write outside the target)")
    parts = [part for part in path.parts if part not in ("", ".")]
    if ".." in parts:
        raise InputError(f"archive entry {name!r} climbs out of the archive with '..' (refused: zip slip)")
    if not parts:
        raise InputError(f"archive entry {name!r} has an empty or invalid name")
    return "/".join(parts)


class SafeArchive:
    """A zip archive whose entries passed :func:`open_archive`'s checks; use it as a context manager.

    Attributes
    ----------
    names : list of str
        Checked names of the file entries (folders left out), in archive order.
    """

    def __init__(self, zip_file: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], limits: ZipLimits, label: str):
        self._zip = zip_file
        self._infos = infos
        self._limits = limits
        self._label = label
        self._inflated = 0
        self.names = list(infos)

    def __enter__(self) -> "SafeArchive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def __contains__(self, name: str) -> bool:
        return name in self._infos

    def _chunks(self, name: str):
        info = self._infos[name]
        produced = 0
        try:
            with self._zip.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    produced += len(chunk)
                    self._inflated += len(chunk)
                    if produced > info.file_size or self._inflated > self._limits.max_total_bytes:
                        raise InputError(f"{self._label}: entry {name!r} inflates beyond its declared size or the "
                                         f"{self._limits.max_total_bytes} byte cap (refused: zip bomb)")
                    yield chunk
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise InputError(f"{self._label}: entry {name!r} is damaged ({' '.join(str(exc).split())})") from None

    def read(self, name: str) -> bytes:
        """The inflated bytes of entry ``name``."""
        return b"".join(self._chunks(name))

    def copy_to(self, name: str, target: Path) -> None:
        """Write entry ``name`` to the file ``target`` (its folder is created)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            for chunk in self._chunks(name):
                out.write(chunk)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def open_archive(path: str | Path, limits: ZipLimits = ZipLimits()) -> SafeArchive:
    """Open a zip archive after checking every entry against zip slip, symlinks and zip bombs.

    Parameters
    ----------
    path : str or Path
        The archive.
    limits : ZipLimits
        Caps on entry count, total inflated size and compression ratio.

    Returns
    -------
    SafeArchive

    Raises
    ------
    InputError
        If the file is missing, empty, not a zip archive, or any entry breaks a rule; the message is one line.
    """
    path = Path(path)
    label = path.name
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file")
    if path.stat().st_size == 0:
        raise InputError(f"{label} is empty (expected a REFI-QDA .qdpx zip archive)")
    try:
        zip_file = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{label} is not a zip archive ({' '.join(str(exc).split())}); a .qdpx is a zip file") from None
    try:
        infos = _checked_infos(zip_file, limits, label)
    except BaseException:
        zip_file.close()
        raise
    return SafeArchive(zip_file, infos, limits, label)


def _checked_infos(zip_file: zipfile.ZipFile, limits: ZipLimits, label: str) -> dict[str, zipfile.ZipInfo]:
    entries = zip_file.infolist()
    if len(entries) > limits.max_entries:
        raise InputError(f"{label} holds {len(entries)} entries, more than the cap of {limits.max_entries}")
    infos: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in entries:
        try:
            name = checked_name(info.filename)
        except InputError as exc:
            raise InputError(f"{label}: {exc}") from None
        if _is_symlink(info):
            raise InputError(f"{label}: entry {info.filename!r} is a symbolic link (refused)")
        if info.flag_bits & 0x1:
            raise InputError(f"{label}: entry {info.filename!r} is encrypted")
        if info.is_dir():
            continue
        if name in infos:
            raise InputError(f"{label}: entry {name!r} appears twice (refused: ambiguous archive)")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise InputError(f"{label} inflates to more than {limits.max_total_bytes} bytes (refused: zip bomb?)")
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise InputError(f"{label}: entry {name!r} is compressed {ratio:.0f}:1, above the cap of "
                             f"{limits.max_ratio:.0f}:1 (refused: zip bomb)")
        infos[name] = info
    return infos

