"""``import-qdpx`` and ``export-qdpx``: REFI-QDA exchange with MAXQDA, NVivo, ATLAS.ti, QualCoder.

Contract (others' scripts rely on it)::

    theme-assist import-qdpx FILE.qdpx|FILE.qdc|FILE.qde --out DIR [--force] [--codebook CB.yaml]
    theme-assist export-qdpx --codebook CB.yaml [--documents DIR [--recursive] [--metadata META.csv]]
                             [--codings CODINGS.csv]
                             [--suggestions OUT.csv [--segments SEGMENTS.csv | --unit U --max-chars N]
                              [--accepted-only] [--model NAME]]
                             --out FILE.qdpx|FILE.qdc [--force]
    theme-assist export-qdpx --project DIR [...] --out FILE.qdpx|FILE.qdc [--force]

``import-qdpx`` writes ``DIR/codebook.yaml``, ``DIR/documents/*.txt``, ``DIR/codings.csv`` (one row per coding),
``DIR/metadata.csv`` (the sources' variables, if any), ``DIR/project.json`` (what a lossless export needs) and
``DIR/attachments/``, and prints what it imported, kept aside and skipped. ``export-qdpx`` writes a ``.qdpx``
project or, for an ``--out`` ending in ``.qdc``, the codebook
alone; an existing file is replaced only with ``--force`` (and ``import-qdpx --force`` replaces only a folder
it wrote). ``--project DIR`` (an import's folder) supplies the codebook, documents, codings and the guids and
kept-aside XML; a ``--documents`` folder whose parent holds a ``project.json`` is treated the same way.
Document metadata (``--metadata``, or an import's ``metadata.csv``) is written as REFI-QDA variables of the sources.
Suggestion rows are placed by their own ``document``, ``start``, ``end`` columns, or by ``segment_id`` in
``--segments`` (the segments table: ``segment_id``, ``document``, ``start``, ``end``), or, without it, in the
segments of ``--documents`` as ``suggest`` makes them (``--unit``, ``--max-chars``; by default those the
suggestions' ``segmentation`` column names, else suggest's defaults, with a note).
"""

from __future__ import annotations

import logging
from pathlib import Path

import typer

_MAX_LISTED = 15

logger = logging.getLogger(__name__)


def _print_import(result, out: Path) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    report = result.report
    table = Table(title=f"Imported into {escape(str(out))}", show_header=False)
    for kind in ("sources", "codes", "selections", "codings", "users"):
        table.add_row(kind, str(report.counts.get(kind, 0)))
    console.print(table)
    if report.kept_aside:
        kept = Table(title="Kept aside (written back on export)", show_header=False)
        for kind, count in sorted(report.kept_aside.items()):
            kept.add_row(kind, str(count))
        console.print(kept)
    for label, lines in (("Skipped", report.skipped), ("Note", report.notes)):
        for line in lines[:_MAX_LISTED]:
            console.print(f"[bold]{label}:[/bold] {escape(line)}", highlight=False, soft_wrap=True)
        if len(lines) > _MAX_LISTED:
            console.print(f"[bold]{label}:[/bold] … and {len(lines) - _MAX_LISTED} more")


def import_qdpx(
    file: Path = typer.Argument(..., help="A REFI-QDA project (.qdpx, or a bare .qde) or codebook (.qdc)."),
    out: Path = typer.Option(..., "--out", help="Project folder to create."),
    force: bool = typer.Option(False, "--force", help="Replace OUT if it is a folder an earlier import wrote "
                                                      "(and holds nothing else)."),
    codebook: Path = typer.Option(None, "--codebook", help="A theme_assist codebook whose code ids to reuse for "
                                                           "codes with the same guid or name (e.g. one exported "
                                                           "earlier and coded in a QDA program)."),
) -> None:
    """Import a REFI-QDA project or codebook: codebook.yaml, documents/, codings.csv and project.json."""
    from theme_assist.codebook import load_codebook
    from theme_assist.inputs import check_outputs
    from theme_assist.refi import import_project

    check_outputs({"--out": out}, {"the archive": file, "--codebook": codebook}, folders=("--out",))
    result = import_project(file, out, force=force, known=load_codebook(codebook) if codebook else None)
    _print_import(result, out)


def _table(path: Path | None, what: str, required: tuple[str, ...], allow_empty: bool = False,
           option: str = ""):
    """A CSV input (``None`` when not given); with ``allow_empty``, a header-only file is no rows, not an error,
    and where the user gave it as ``option``, a warning (an export of none of its items may not be what they meant).
    Its ``segmentation`` column is matched apart from case, as its required columns are."""
    from theme_assist.inputs import read_table
    from theme_assist.segment import SEGMENTATION_COLUMN

    if path is None:
        return None
    table = read_table(path, required=required, what=what, allow_empty=allow_empty, optional=(SEGMENTATION_COLUMN,))
    if table.empty and option:
        logger.warning("%s %s has a header but no rows: the export holds no %s from it", option, path, what)
    return table


def _project_inputs(project: Path | None, codebook: Path | None, documents: Path | None, codings: Path | None):
    """Fill the inputs an imported project folder provides; returns them with its project.json (or None)."""
    from theme_assist.errors import InputError
    from theme_assist.refi.folder import PROJECT_JSON

    if project is not None:
        if not (project / PROJECT_JSON).is_file():
            raise InputError(f"{project} holds no {PROJECT_JSON} (not a folder written by import-qdpx)")
        codebook = codebook or project / "codebook.yaml"
        documents = documents or project / "documents"
        codings = codings or project / "codings.csv"
    elif documents is not None and (documents.parent / PROJECT_JSON).is_file():
        project = documents.parent
    if codebook is None:
        raise InputError("give --codebook CB.yaml (or --project DIR, a folder written by import-qdpx)")
    return codebook, documents, codings, None if project is None else project


def _documents(folder: Path | None, from_import: bool, recursive: bool = False, metadata: Path | None = None) -> list:
    """The documents to export: an import's ``documents/`` exactly as written (REFI-QDA offsets count every
    character; its ``metadata.csv`` joined), or any other folder of transcripts read as ``suggest --input`` reads
    it (.docx, .vtt, any encoding; with ``recursive``, its sub-folders too), so that the offsets of ``suggest
    --segments-out`` fit. A ``metadata`` table is joined to either (an import's own then does not count)."""
    from theme_assist.ingest import read_documents as read_transcripts
    from theme_assist.refi.folder import read_documents as read_imported

    if folder is None:
        return []
    if not from_import:
        return read_transcripts(folder, metadata=metadata, recursive=recursive)
    return read_imported(folder, metadata=metadata)


def _placed_by_id(suggestions) -> bool:
    """Whether suggestion rows name their segments by ``segment_id`` only (no ``document``, ``start``, ``end``)."""
    return suggestions is not None and "segment_id" in suggestions and not {"document", "start", "end"} <= set(
        suggestions.columns)


def _segments_as_suggest_made_them(folder: Path, unit: str, max_chars: int, recursive: bool):
    """The segments table ``suggest --input FOLDER --unit UNIT --max-chars N [--recursive] --segments-out`` writes,
    so that the ``DOCUMENT:N`` ids of its suggestions can be placed without that file."""
    from theme_assist.inputs import read_segments

    return read_segments(folder, unit=unit, max_chars=max_chars, recursive=recursive)


def _settings_of(suggestions, unit: str | None, max_chars: int | None) -> tuple[str, int | None, bool]:
    """The ``--unit`` and ``--max-chars`` to segment ``--documents`` by: those given, else those of the
    suggestions' segmentation tag (of this version, or of version 1, whose options mean the same: ``options_of``),
    else suggest's defaults; and whether any was assumed (neither given nor said by the tag)."""
    from theme_assist.segment import options_of, segmentation_tag, segmentation_tags

    tags = segmentation_tags(suggestions)
    said = options_of(tags[0]) if len(tags) == 1 else None
    assumed = said is None and (unit is None or max_chars is None)
    default_unit, default_max_chars = said or options_of(segmentation_tag())  # suggest's defaults are the tag's
    return (default_unit if unit is None else unit, default_max_chars if max_chars is None else max_chars, assumed)


def _refuse_other_segmentation(suggestions, path: Path, segments, where: str, files: dict[str, str]) -> None:
    """Refuse suggestions whose ``segmentation`` column names another segmentation than the one that ``segments``
    (made ``where``) carry: their segment ids would place them on other text. Either table without a tag passes,
    and so do segments that the suggestions' segmentation makes alike (:func:`~theme_assist.segment.segmented_alike`:
    only ``--max-chars`` differs, and no turn was split by either limit, or only the version, and none of the
    documents, the files ``files`` of ``--documents`` where given, is one it changed), as ``agree --machine
    --units`` lets pass."""
    from theme_assist.errors import InputError
    from theme_assist.segment import (across_versions, other_segmentation, segmentation_difference,
                                      segmentation_tags, segmented_alike)

    tags = segmentation_tags(segments)
    moved = other_segmentation(suggestions, tags[0]) if len(tags) == 1 else None
    if moved is not None and not segmented_alike(segments, moved, files, source=f"--suggestions {path}"):
        differ = segmentation_difference(moved, tags[0])
        why = f"they differ in {differ}" if differ else "another version of theme_assist, or other --unit/--max-chars"
        unshown = across_versions(segments, moved, files)
        why += f"; not shown to be segmented alike: {unshown}" if unshown else ""
        raise InputError(f"--suggestions {path}: its segment ids come from segmentation {moved}, and {where} "
                         f"{tags[0]} ({why}), so "
                         "they would place suggestions on other text: give --segments with the --segments-out table "
                         "of the suggest run that made them (or the --unit and --max-chars it used), or suggest "
                         "again with this version")


def export_qdpx(
    out: Path = typer.Option(..., "--out", help="File to write: .qdpx (project) or .qdc (codebook only)."),
    codebook: Path = typer.Option(None, "--codebook", help="Codebook YAML."),
    documents: Path = typer.Option(None, "--documents", help="Folder of transcripts, read as suggest --input reads "
                                   "them (id = file name without suffix); an import's documents/ as written."),
    recursive: bool = typer.Option(False, "--recursive", help="Read the sub-folders of --documents too, as suggest "
                                   "--recursive does (id = path in the folder less the suffix: butabika/fg_01)."),
    metadata: Path = typer.Option(None, "--metadata", help="Metadata CSV (document → site, country…) joined to the "
                                  "documents as suggest --metadata joins it; written as REFI-QDA variables. An "
                                  "import's metadata.csv is joined without it."),
    codings: Path = typer.Option(None, "--codings", help="Human codings CSV: document, start, end, code[, coder]; "
                                 "a row with an empty code is an uncoded segment, left out."),
    suggestions: Path = typer.Option(None, "--suggestions", help="The suggest command's OUT.csv (segment_id, code, "
                                     "score, rank, evidence; an empty code is an abstention and is skipped)."),
    segments: Path = typer.Option(None, "--segments", help="Segments CSV placing the suggestions' segment ids "
                                  "(segment_id, document, start, end[, text]), e.g. suggest --segments-out. "
                                  "Without it, --documents is segmented as suggest segments it (--unit, "
                                  "--max-chars); not needed when the suggestions carry document, start, end."),
    unit: str = typer.Option(None, "--unit", show_default="the suggestions' own, else turn",
                             help="Without --segments: the segmentation suggest used (turn, "
                             "sentence, paragraph)."),
    max_chars: int = typer.Option(None, "--max-chars", min=20, show_default="the suggestions' own, else 1000",
                                  help="Without --segments: the longest segment "
                                  "suggest used."),
    accepted_only: bool = typer.Option(False, "--accepted-only", help="Only suggestions a coder accepted."),
    model: str = typer.Option(None, "--model", show_default="all-MiniLM-L6-v2",
                              help="Name of the model that made the suggestions (names the machine coder)."),
    project: Path = typer.Option(None, "--project", help="A folder written by import-qdpx: its codebook, documents, "
                                 "codings, guids and kept-aside items."),
    force: bool = typer.Option(False, "--force", help="Replace OUT if it exists."),
) -> None:
    """Export documents, codebook, human codings and machine suggestions as a REFI-QDA .qdpx (or a .qdc codebook)."""
    from rich.markup import escape

    from theme_assist.cli._console import counted_kinds, message_console, say_done

    from theme_assist.codebook import load_codebook
    from theme_assist.errors import InputError
    from theme_assist.ingest import skipped_as_unsupported, skipped_note
    from theme_assist.inputs import check_outputs, refuse_replacing
    from theme_assist.refi import export_project
    from theme_assist.refi.assemble import DEFAULT_MODEL
    from theme_assist.refi.folder import PROJECT_JSON, read_base

    given_codings = codings  # an import's own codings.csv holds no rows where the file it read had no codings
    codebook, documents, codings, project = _project_inputs(project, codebook, documents, codings)
    if recursive and (documents is None or project is not None):
        raise InputError("--recursive reads the sub-folders of a --documents folder of transcripts"
                         + ("" if documents is None else f"; {documents} is an import's documents/, read as "
                            "import-qdpx wrote it"))
    if metadata is not None and documents is None:
        raise InputError("--metadata describes the documents: give --documents (or --project) too")
    check_outputs({"--out": out}, {"--codebook": codebook, "--documents": documents, "--metadata": metadata,
                                   "--codings": codings,
                                   "--suggestions": suggestions, "--segments": segments, "--project": project})
    refuse_replacing({"--out": out}, force)
    base = read_base(project / PROJECT_JSON) if project is not None else None
    suggestion_rows = _table(suggestions, "suggestions", ("code",), allow_empty=True, option="--suggestions")
    coding_rows = _table(codings, "codings", ("code",), allow_empty=True,
                         option="--codings" if given_codings is not None else "")
    segment_rows = _table(segments, "segments", ("segment_id",))
    segmented_here = segment_rows is None and _placed_by_id(suggestion_rows) and documents is not None
    assumed = False  # segmented by settings nothing said were suggest's
    if segmented_here:
        unit, max_chars, assumed = _settings_of(suggestion_rows, unit, max_chars)
        segment_rows = _segments_as_suggest_made_them(documents, unit, max_chars, recursive)
    with skipped_as_unsupported() as skipped:
        chosen = _documents(documents, from_import=project is not None, recursive=recursive, metadata=metadata)
    files = {document.id: document.source for document in chosen}  # what the documents were read from
    if segmented_here:
        _refuse_other_segmentation(suggestion_rows, suggestions, segment_rows,
                                   f"{documents} is segmented here as", files)
    elif segment_rows is not None and _placed_by_id(suggestion_rows):
        _refuse_other_segmentation(suggestion_rows, suggestions, segment_rows, f"--segments {segments} comes from",
                                   files)
    result = export_project(
        load_codebook(codebook),
        chosen,
        coding_rows,
        suggestion_rows,
        out=out,
        segments=segment_rows,
        base=base,
        attachments_dir=project / "attachments" if project is not None else None,
        model=model or DEFAULT_MODEL,
        accepted_only=accepted_only,
    )
    console = message_console()  # stderr, as every command's messages and closing ✓ line
    if project is not None:
        console.print(f"Guids and kept-aside items reused from {project / PROJECT_JSON}", highlight=False,
                      markup=False)
    if assumed:
        settings = f"--unit {unit} --max-chars {max_chars}" + (" --recursive" if recursive else "")
        notes = [f"suggestions placed on the segments of {documents} made as suggest makes them with {settings}: "
                 "if suggest ran with other settings, give the same ones here, or "
                 "--segments with its --segments-out table", *result.notes]
    else:
        notes = result.notes
    for note in notes:
        console.print(f"[bold]Note:[/bold] {escape(note)}", highlight=False)
    say_done(console, f"{result.path}: {counted_kinds(result.counts)}" + skipped_note(skipped))


def register(app: typer.Typer) -> None:
    app.command("import-qdpx")(import_qdpx)
    app.command("export-qdpx")(export_qdpx)
