"""Zip containers that may have been crafted to hurt the reader: ``.qdpx`` projects, ``.docx`` and ``.xlsx`` files.

One checker for every zip a user hands us. :func:`checked_entries` checks the whole central directory before
anything is inflated: entry names that climb out of the archive (``..``, absolute paths, drive letters,
backslashes), symbolic links, encrypted or duplicate entries, too many entries, and a declared total size or
compression ratio beyond :class:`ZipLimits` (a zip bomb).

Two ways in:

* :func:`open_archive` (a ``.qdpx``): a :class:`SafeArchive` whose :meth:`~SafeArchive.read` also counts the
  bytes it actually inflates, so a header that lies about sizes is caught as well. Nothing is ever extracted by
  name onto the disk: callers get bytes, or a copy into a folder they chose under a name this module checked.
* :func:`check_archive` (a ``.docx`` or ``.xlsx`` that python-docx / openpyxl then read themselves, or a
  ``.docx`` nested in a ``.qdpx``): the same checks, with :data:`OFFICE_LIMITS`. Python's :mod:`zipfile`, which
  both libraries use, never inflates an entry beyond the size the central directory declares (it stops there
  and fails the CRC check), so the declared sizes checked here bound what they inflate.
"""

from __future__ import annotations

import io
import stat
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from theme_assist.errors import InputError

_CHUNK = 1 << 16
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


class UnsafeArchive(InputError):
    """A zip archive refused for what it holds (zip slip, a link, a zip bomb…), not merely damaged: a reader
    that skips a damaged nested file must still refuse this one."""


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


OFFICE_LIMITS = ZipLimits(max_entries=10_000, max_total_bytes=128 << 20, max_ratio=100.0, ratio_floor=1 << 20)
"""Caps for a ``.docx`` / ``.xlsx`` (also one nested in a ``.qdpx``): 128 MB inflated in all, 100:1 at most per
entry. python-docx builds the whole XML tree in memory (measured: a 32 MB ``document.xml`` took 180 MB and 8 s),
openpyxl the workbook's parts but the sheet; a transcript's file, whose ``document.xml`` or sheet is a few MB,
fits many times over, while the 700 KB file whose ``document.xml`` inflates to hundreds of MB does not. Looked
up at call time, so a test (or a caller) may set it lower."""


DAMAGED_CONTAINER_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, SyntaxError)
"""What reading a damaged zip container raises inside python-docx / openpyxl: a bad archive, a broken deflate
stream, a truncated entry, malformed XML (lxml's ``XMLSyntaxError`` and ElementTree's ``ParseError`` are both
``SyntaxError``s). Each reader adds what its library raises on well-formed but misplaced parts."""


def damage(exc: BaseException) -> str:
    """One line saying what was wrong inside a damaged container, for an :class:`InputError` naming the file."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, SyntaxError):
        return f"malformed XML inside: {message}"
    if isinstance(exc, (zipfile.BadZipFile, zlib.error, EOFError)):
        return f"damaged zip data: {message}"
    return message


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
    if not isinstance(name, str) or not name or "\x00" in name:
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


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def checked_entries(zip_file: zipfile.ZipFile, limits: ZipLimits, label: str) -> dict[str, zipfile.ZipInfo]:
    """Check every entry of an open zip file against zip slip, symbolic links and zip bombs.

    Parameters
    ----------
    zip_file : zipfile.ZipFile
    limits : ZipLimits
        Caps on entry count, total declared size and compression ratio.
    label : str
        Names the archive in error messages.

    Returns
    -------
    dict
        Checked name → entry, for the file entries (folders left out), in archive order.

    Raises
    ------
    UnsafeArchive
        If any entry breaks a rule (an :class:`InputError`); the message is one line and names ``label``.
    """
    entries = zip_file.infolist()
    if len(entries) > limits.max_entries:
        raise UnsafeArchive(f"{label} holds {len(entries)} entries, more than the cap of {limits.max_entries}")
    infos: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in entries:
        try:
            name = checked_name(info.filename)
        except InputError as exc:
            raise UnsafeArchive(f"{label}: {exc}") from None
        if _is_symlink(info):
            raise UnsafeArchive(f"{label}: entry {info.filename!r} is a symbolic link (refused)")
        if info.flag_bits & 0x1:
            raise UnsafeArchive(f"{label}: entry {info.filename!r} is encrypted")
        if info.is_dir():
            continue
        if info.compress_type not in _METHODS:  # zipfile would raise NotImplementedError when it is read
            raise InputError(f"{label}: entry {name!r} uses compression method {info.compress_type}, which cannot "
                             "be read (only stored, deflate, bzip2 and lzma)")
        if name in infos:
            raise UnsafeArchive(f"{label}: entry {name!r} appears twice (refused: ambiguous archive)")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise UnsafeArchive(f"{label} inflates to more than {limits.max_total_bytes} bytes (refused: zip bomb?)")
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise UnsafeArchive(f"{label}: entry {name!r} is compressed {ratio:.0f}:1, above the cap of "
                             f"{limits.max_ratio:.0f}:1 (refused: zip bomb)")
        infos[name] = info
    return infos


def _open_zip(source: str | Path | bytes, label: str, kind: str) -> zipfile.ZipFile:
    """The zip file at ``source`` (a path, or the bytes of a nested archive), or a one-line :class:`InputError`."""
    if isinstance(source, (bytes, bytearray)):
        if not source:
            raise InputError(f"{label} is empty (expected a {kind} zip archive)")
        opened = io.BytesIO(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError(f"{path} does not exist or is not a file")
        if path.stat().st_size == 0:
            raise InputError(f"{label} is empty (expected a {kind} zip archive)")
        opened = path
    try:
        return zipfile.ZipFile(opened)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        if _starts_with(opened, _COMPOUND_FILE):
            raise InputError(f"{label} is not a readable {kind} file: it is password-protected, or an old binary "
                             f"Office file (.doc, .xls) named {kind}; remove the password, or save it again as "
                             f"{kind}") from None
        raise InputError(f"{label} is not a readable {kind} file: not a zip archive "
                         f"({' '.join(str(exc).split())}){_what_it_is(opened, kind)}") from None


def _what_it_is(source: io.BytesIO | Path, kind: str) -> str:
    """For an Office file that is no zip archive, what it is and what to do, where its first bytes say: Word saves
    rich text (RTF), and a renamed transcript is plain text; ``""`` otherwise."""
    if kind not in (".docx", ".xlsx"):
        return ""
    if isinstance(source, io.BytesIO):
        head = source.getvalue()[:4096]
    else:
        try:
            with open(source, "rb") as file:
                head = file.read(4096)
        except OSError:
            return ""
    if head.lstrip().startswith(b"{\\rtf"):
        return f"; it is a rich-text (RTF) file: save it again as {kind}"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a character cut at the 4096th byte is still text
        text = head[:exc.start].decode("utf-8") if exc.start > len(head) - 4 else ""
    if text.strip() and "\x00" not in text:
        return "; it is a text file: name it by its format (.txt, .csv)"
    return ""


_COMPOUND_FILE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""How an OLE compound file begins: what Office writes for a password-protected ``.docx`` / ``.xlsx`` (the zip is
encrypted inside one) and for the binary ``.doc`` / ``.xls`` of Office 97–2003."""


def _starts_with(source: io.BytesIO | Path, signature: bytes) -> bool:
    if isinstance(source, io.BytesIO):
        return source.getvalue().startswith(signature)
    try:
        with open(source, "rb") as file:
            return file.read(len(signature)) == signature
    except OSError:
        return False


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
                        raise UnsafeArchive(f"{self._label}: entry {name!r} inflates beyond its declared size or the "
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

    def check_nested(self, name: str, data: bytes, kind: str = ".docx", limits: ZipLimits | None = None) -> None:
        """Check ``data``, the bytes of entry ``name``, as a zip container another library will inflate.

        The nested archive gets ``limits`` (default :data:`OFFICE_LIMITS`), its total cut to what this archive's
        own cap has left, and what it declares is counted against that cap: nesting does not multiply the budget.

        Raises
        ------
        InputError
            If ``data`` is empty or not a zip archive; :class:`UnsafeArchive` (an ``InputError``) if it breaks a
            rule (see :func:`checked_entries`), a zip bomb in particular.
        """
        limits = OFFICE_LIMITS if limits is None else limits
        left = max(self._limits.max_total_bytes - self._inflated, 0)
        limits = replace(limits, max_total_bytes=min(limits.max_total_bytes, left))
        declared = check_archive(data, limits, label=f"{self._label}: {name}", kind=kind)
        self._inflated += declared


def open_archive(path: str | Path, limits: ZipLimits = ZipLimits(), kind: str = "REFI-QDA .qdpx") -> SafeArchive:
    """Open a zip archive after checking every entry against zip slip, symlinks and zip bombs.

    Parameters
    ----------
    path : str or Path
        The archive.
    limits : ZipLimits
        Caps on entry count, total inflated size and compression ratio.
    kind : str
        What the archive should be, for messages (``"REFI-QDA .qdpx"``).

    Returns
    -------
    SafeArchive

    Raises
    ------
    InputError
        If the file is missing, empty or not a zip archive; :class:`UnsafeArchive` (an ``InputError``) if any
        entry breaks a rule. The message is one line.
    """
    label = Path(path).name
    zip_file = _open_zip(path, label, kind)
    try:
        infos = checked_entries(zip_file, limits, label)
    except BaseException:
        zip_file.close()
        raise
    return SafeArchive(zip_file, infos, limits, label)


def check_archive(source: str | Path | bytes, limits: ZipLimits | None = None, *, label: str | None = None,
                  kind: str) -> int:
    """Check a zip container that another library (python-docx, openpyxl) will open and inflate itself.

    Parameters
    ----------
    source : str, Path or bytes
        The file, or the bytes of an archive nested in another.
    limits : ZipLimits, optional
        Caps; default :data:`OFFICE_LIMITS` (looked up at call time).
    label : str, optional
        Names the file in messages; default the path as given.
    kind : str
        What the file should be, for messages (``".docx"``, ``".xlsx"``).

    Returns
    -------
    int
        The total size its entries declare (what reading them may inflate to at most).

    Raises
    ------
    InputError
        If the file is missing, empty or not a zip archive; :class:`UnsafeArchive` (an ``InputError``) if any
        entry breaks a rule. The message is one line.
    """
    limits = OFFICE_LIMITS if limits is None else limits
    if label is None:
        label = "nested archive" if isinstance(source, (bytes, bytearray)) else str(source)
    with _open_zip(source, label, kind) as zip_file:
        infos = checked_entries(zip_file, limits, label)
    return sum(info.file_size for info in infos.values())
