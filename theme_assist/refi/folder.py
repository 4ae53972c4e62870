"""The folder an import writes, and reading the tables and texts an export takes.

An imported project folder holds::

    codebook.yaml     the code tree (theme_assist codebook format, with REFI guids and colours)
    documents/        one UTF-8 text file per text source, exactly the characters the offsets count (in
                      sub-folders for the ids with folders of a theme_assist export: butabika/fg_01.txt)
    metadata.csv      the sources' variable values: ``document``, then one column per variable (only when the
                      project has any)
    codings.csv       one row per coding (columns: theme_assist.refi.convert.CODING_COLUMNS)
    project.json      everything else needed to write the project back losslessly: guids of users and
                      sources, selection and coding details, and the raw XML of every element kept aside
    attachments/      archive files the project refers to but theme_assist does not read (rich text, media)
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import pandas as pd

from theme_assist.codebook import Codebook, save_codebook
from theme_assist.documents import Document
from theme_assist.errors import InputError
from theme_assist.ingest.metadata import attach_metadata, metadata_table, read_metadata
from theme_assist.refi.atomic import folder_entries
from theme_assist.refi.model import Project
from theme_assist.safezip import checked_name

PROJECT_JSON = "project.json"
METADATA = "metadata.csv"
FORMAT = "theme_assist.refi/1"


def write_folder(folder: Path, project: Project, codebook: Codebook, documents: list[Document],
                 codings: pd.DataFrame, source_file: str) -> None:
    """Write an imported project into ``folder`` (an empty folder; see :func:`~.atomic.atomic_folder`)."""
    save_codebook(codebook, folder / "codebook.yaml")
    (folder / "documents").mkdir(exist_ok=True)
    for document in documents:
        path = folder / "documents" / f"{document.id}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(document.text.encode("utf-8"))
    codings.to_csv(folder / "codings.csv", index=False)
    if any(document.metadata for document in documents):
        metadata_table(documents).to_csv(folder / METADATA, index=False)
    meta = {"format": FORMAT, "imported_from": source_file, "project": project.to_dict(include_text=False)}
    (folder / PROJECT_JSON).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")


WRITTEN = ("codebook.yaml", "documents", "codings.csv", METADATA, PROJECT_JSON, "attachments")
"""What :func:`write_folder` writes at the top of the folder."""


def other_work(folder: Path) -> list[str]:
    """The entries of an imported ``folder`` that :func:`write_folder` did not write (a memo, an analysis folder,
    anything in ``documents/`` but the texts of the documents its ``project.json`` lists and their folders), which
    replacing the folder would delete. A transcript or memo added to ``documents/`` or a folder of it is other
    work, though it ends in ``.txt``."""
    found = sorted(name for name in folder_entries(folder) or [] if name not in WRITTEN)  # gone meanwhile: none
    documents = folder / "documents"
    if documents.is_dir():
        written = _written_texts(folder)
        found += sorted(f"documents/{relative}" for entry in documents.rglob("*")
                        if (relative := entry.relative_to(documents).as_posix()) not in written or entry.is_symlink())
    return found


def _written_texts(folder: Path) -> set[str]:
    """The paths in ``documents/`` that the import of ``folder`` wrote, by its ``project.json``: the ``.txt`` of each
    document and the folders above it (``butabika``, ``butabika/fg_01.txt``)."""
    written = set()
    for source in read_base(folder / PROJECT_JSON).text_sources:
        text = PurePosixPath(f"{source.document}.txt")
        written |= {text.as_posix(), *(parent.as_posix() for parent in text.parents if parent.parts)}
    return written


def read_base(path: Path) -> Project:
    """The project as imported, from a ``project.json`` (texts are not in it: they come from the documents).

    The file may have been edited: anything but the shape :func:`write_folder` wrote (not an object, a wrong
    type anywhere, an attachment name that could climb out of the archive or the folder) is refused with one
    line saying where.
    """
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{path}: cannot be read as a theme_assist project file ({type(exc).__name__})") from None
    if not isinstance(meta, dict):
        found = {list: "a list", str: "a string", type(None): "null", bool: "true/false"}.get(type(meta), "a number")
        raise InputError(f"{path}: not a theme_assist project file (the JSON is {found}, not an object)")
    if meta.get("format") != FORMAT:
        raise InputError(f"{path}: not a theme_assist project file (format {meta.get('format')!r})")
    try:
        project = Project.from_dict(meta.get("project"))
    except (ValueError, RecursionError) as exc:
        message = "it is nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise InputError(f"{path}: not a valid theme_assist project file: {message}") from None
    for name in project.attachments:
        try:
            checked_name(name)
        except InputError as exc:
            raise InputError(f"{path}: attachments: {exc}") from None
    return project


def read_documents(folder: Path, metadata: Path | None = None) -> list[Document]:
    """The ``*.txt`` files of ``folder`` and its sub-folders, hidden ones left out, as documents (id = path in the
    folder less ``.txt``, ``/``-separated), decoded as UTF-8 without any change, with the metadata of a
    ``metadata.csv`` beside ``folder`` (an import's), or of the ``metadata`` table given instead.

    Unlike :func:`theme_assist.ingest.read_documents`, which normalises line ends for segmentation, this keeps
    every character, so that REFI-QDA offsets (which count ``\r\n`` as two) stay exact.
    """
    if not folder.is_dir():
        raise InputError(f"documents folder {folder} does not exist")
    documents = []
    texts = (path for path in folder.rglob("*.txt")
             if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts))
    for path in sorted(texts):  # hidden files and folders left out, as ingest leaves them (.ipynb_checkpoints/)
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{path} is not UTF-8 text (byte {exc.start})") from None
        document_id = path.relative_to(folder).with_suffix("").as_posix()
        documents.append(Document(id=document_id, text=text.removeprefix("\ufeff"), source=str(path)))
    if metadata is not None or (folder.parent / METADATA).is_file():
        attach_metadata(documents, read_metadata(metadata if metadata is not None else folder.parent / METADATA))
    return documents
