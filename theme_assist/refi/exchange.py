"""REFI-QDA import and export in one call each: the Python side of ``import-qdpx`` / ``export-qdpx``.

>>> from theme_assist.refi import import_project, export_project
>>> result = import_project("study.qdpx", "study/")              # doctest: +SKIP
>>> export_project(result.codebook, result.documents, result.codings, suggestions,
...                out="study-with-suggestions.qdpx", base=result.project)      # doctest: +SKIP
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from theme_assist.codebook import Codebook
from theme_assist.documents import Document
from theme_assist.errors import InputError, listed
from theme_assist.refi.assemble import DEFAULT_MODEL, assemble_project
from theme_assist.refi.atomic import atomic_folder, folder_entries
from theme_assist.refi.convert import assign_documents, project_codebook, project_codings, renamed_on_import
from theme_assist.refi.folder import PROJECT_JSON, other_work, write_folder
from theme_assist.refi.labels import with_speaker_labels
from theme_assist.refi.model import Project, RawElement, Report
from theme_assist.refi.reader import CODEBOOK_NS, PROJECT_NS, read_file
from theme_assist.refi.spans import with_spans
from theme_assist.refi.variables import source_metadata
from theme_assist.refi.writer import raw_in_namespace, write_qdc, write_qdpx
from theme_assist.safezip import ZipLimits

_ACCEPTED = {"accept", "accepted", "true", "1", "yes"}
_MAX_WARNED = 5

logger = logging.getLogger(__name__)


@dataclass
class Imported:
    """An imported project: the REFI model, the report, and theme_assist's views of it."""

    project: Project
    report: Report
    codebook: Codebook
    documents: list[Document]
    codings: pd.DataFrame


@dataclass
class Exported:
    """What an export wrote: counts by kind and notes on anything changed or left out."""

    path: Path
    counts: dict[str, int]
    notes: list[str] = field(default_factory=list)


def read_project(path: str | Path, known: Codebook | None = None, limits: ZipLimits = ZipLimits(),
                 attachments_dir: Path | None = None, warn: bool = True) -> Imported:
    """Read a ``.qdpx`` / ``.qde`` / ``.qdc`` file into theme_assist's types, writing nothing (but attachments).

    ``known``: a codebook whose code ids imported codes take where guids or names match
    (:func:`~.convert.project_codebook`). With ``warn``, what the import left out (a source whose text could not be
    read, a selection outside its text, a coding of a missing code: ``report.skipped``) is logged as warnings, at
    most :data:`_MAX_WARNED` and a count, for callers that show no report (``project init --qdpx``).
    """
    project, report = read_file(path, attachments_dir=attachments_dir, limits=limits)
    if warn:
        for line in report.skipped[:_MAX_WARNED]:
            logger.warning("%s: left out: %s", Path(path).name, line)
        if len(report.skipped) > _MAX_WARNED:
            logger.warning("%s: … and %d more left out", Path(path).name, len(report.skipped) - _MAX_WARNED)
    codebook = project_codebook(project, known)
    documents = assign_documents(project)
    metadata = source_metadata(project)
    for document, source in zip(documents, project.text_sources):
        document.metadata = metadata[source.guid]
    codings = project_codings(project, codebook)
    if not codebook.codes:
        report.notes.append("the project has no codes: codebook.yaml lists none")
    return Imported(project, report, codebook, documents, codings)


def import_project(path: str | Path, out: str | Path, force: bool = False, known: Codebook | None = None,
                   limits: ZipLimits = ZipLimits()) -> Imported:
    """Import a REFI-QDA file into the project folder ``out`` (layout: :mod:`theme_assist.refi.folder`).

    The folder is built next to ``out`` and renamed into place only when complete: on any error nothing is
    left behind. A non-empty ``out`` is refused unless ``force``, and even then unless it is a folder this function
    wrote (it holds ``project.json``) and holds nothing else (:func:`~.folder.other_work`): ``force`` replaces an
    earlier import, never other work.
    ``known``: see :func:`read_project`.
    """
    path, out = Path(path), Path(out)
    if force and folder_entries(out):  # a folder gone meanwhile is empty, a file is refused by atomic_folder
        if not (out / PROJECT_JSON).is_file():
            raise InputError(f"{out} is not a folder written by import-qdpx (it has no {PROJECT_JSON}); --force "
                             "replaces only such a folder: choose a new one")
        added = other_work(out)
        if added:
            raise InputError(f"{out} also holds {', '.join(added[:3])}{' …' if len(added) > 3 else ''}, which "
                             "import-qdpx did not write and --force would delete: move it, or choose a new folder")
    with atomic_folder(out, force=force) as building:
        imported = read_project(path, known=known, limits=limits, attachments_dir=building / "attachments",
                                warn=False)  # the command prints the whole report
        write_folder(building, imported.project, imported.codebook, imported.documents, imported.codings, path.name)
    return imported


def _suggestions_to_export(suggestions: pd.DataFrame, accepted_only: bool) -> pd.DataFrame:
    if "code" not in suggestions.columns:
        raise InputError("the suggestions table has no 'code' column (expected segment_id, code, score, rank, evidence)")
    rows = suggestions[suggestions["code"].fillna("").astype(str).str.strip() != ""]  # empty code: abstention
    if accepted_only:
        column = next((c for c in ("decision", "status", "accepted") if c in rows.columns), None)
        if column is None:
            raise InputError("--accepted-only needs a 'decision', 'status' or 'accepted' column in the suggestions")
        rows = rows[rows[column].fillna("").astype(str).str.strip().str.lower().isin(_ACCEPTED)]
    return rows


def _foreign_extras(base: Project | None, namespace: str) -> list[str]:
    """Kinds of the kept-aside elements that the output format (``namespace``) has no place for."""
    if base is None:
        return []
    extras = base.extras + ([s for s in base.sources if isinstance(s, RawElement)] if namespace == PROJECT_NS else [])
    return [raw.kind for raw in extras if raw_in_namespace(raw, namespace) is None]


def export_project(codebook: Codebook, documents: list[Document] = (), codings: pd.DataFrame | None = None,
                   suggestions: pd.DataFrame | None = None, *, out: str | Path, segments: pd.DataFrame | None = None,
                   base: Project | None = None, attachments_dir: Path | None = None, model: str = DEFAULT_MODEL,
                   accepted_only: bool = False) -> Exported:
    """Write documents, a codebook, human codings and machine suggestions as a ``.qdpx`` (or the codebook
    alone as a ``.qdc``, chosen by the suffix of ``out``).

    Parameters
    ----------
    codebook : Codebook
    documents : list of Document
        The texts; codings and suggestions point into them. In a ``.qdpx``, a text whose turns (or ``segments``)
        have speakers it does not carry (subtitles, tables of utterances) is written with a ``Name: `` label before
        each turn, the spans moved to match (:mod:`~.labels`).
    codings : DataFrame, optional
        Human codings: ``document``, ``start``, ``end`` (or ``segment_id`` with ``segments``), ``code`` (code id,
        or a unique code name), optional ``coder``, ``text`` (checked against the span), ``created`` (ISO date
        and time, written as ``creationDateTime``), ``description`` (written as the selection's
        ``<Description>``; a row with a description and no code is a selection without a coding) and the guid
        columns of an imported ``codings.csv``. Empty ``created`` / ``description`` cells keep what an imported
        coding had.
    suggestions : DataFrame, optional
        The ``suggest`` output: ``segment_id``, ``code`` (empty: abstention, skipped), ``score``, ``rank``; spans
        from its own ``document``, ``start``, ``end`` columns or from ``segments``. Exported as codings by the
        user :func:`~.assemble.machine_user_name` (``model``), score and rank in each selection's description.
        Optional columns: ``run_id`` (in the description), ``created``, ``description`` (added to the score and
        rank), ``model`` / ``model_version`` (a machine user per model and version, for rows of several runs).
    out : str or Path
        ``.qdpx`` or ``.qdc`` file to write (atomically).
    segments : DataFrame, optional
        ``segment_id``, ``document``, ``start``, ``end``: places rows that only have a segment id.
    base : Project, optional
        The project as imported (``project.json``): guids and kept-aside elements are reused, so that a round
        trip loses nothing.
    attachments_dir : Path, optional
        The imported project's ``attachments/`` folder, whose files go back into the archive.
    model : str
        Name of the model that made the suggestions.
    accepted_only : bool
        Export only suggestions a coder accepted (a ``decision`` / ``status`` of ``accept(ed)``, or a true
        ``accepted`` column).

    Returns
    -------
    Exported
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".qdpx", ".qdc"):
        raise InputError(f"{out}: the output must end in .qdpx (project) or .qdc (codebook)")
    by_id = {document.id: document for document in documents}
    if codings is not None:
        codings = with_spans(codings, by_id, segments, "codings")
    if suggestions is not None:
        suggestions = with_spans(_suggestions_to_export(suggestions, accepted_only), by_id, segments, "suggestions")
    if suffix == ".qdpx":
        kept = {source.document for source in base.text_sources} if base is not None else set()
        documents, codings, suggestions = with_speaker_labels(list(documents), segments, codings, suggestions, kept)
    with _without_cycle_collection():
        assembly = assemble_project(codebook, list(documents), codings, suggestions, base=base, model=model)
        foreign = _foreign_extras(base, PROJECT_NS if suffix == ".qdpx" else CODEBOOK_NS)
        if foreign:
            assembly.notes.append(f"{len(foreign)} kept-aside elements cannot be written to a {suffix} file and "
                                  f"are left out: {', '.join(sorted(set(foreign)))}")
        if suffix == ".qdpx":
            renamed = renamed_on_import([document.id for document in documents]) if base is None else []
            if renamed:  # metadata and coded tables keyed by the names would name no document of the import
                assembly.notes.append(
                    f"{len(renamed)} document name(s) will come back under another name when this file is imported "
                    f"({listed([f'{old!r} as {new!r}' for old, new in renamed], 3)}): a file name holds no space, "
                    "joiner or character other than letters, digits, '.', '-' and '_'")
            write_qdpx(assembly.project, out, attachments_dir)
            counts = assembly.counts
        else:
            write_qdc(assembly.project, out)
            counts = {"codes": assembly.counts["codes"]}
    return Exported(path=out, counts=counts, notes=assembly.notes)


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector, as it was before afterwards.

    An export builds millions of selections, codings and XML elements, none in a reference cycle; the collector
    went through all of them again and again as they grew, a fifth of a large export's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
