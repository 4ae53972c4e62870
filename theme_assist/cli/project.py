"""``theme-assist project``: create a project file, fill it, let the engine suggest into it, export its audit trail."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import List, Optional

import typer

from theme_assist.cli._console import counted, counted_kinds, message_console, say_done, skipped_segments
from theme_assist.cli._options import MAX_CHARS, RECURSIVE

logger = logging.getLogger(__name__)

RUNS_SHOWN = 5
"""The model runs ``project info`` lists (newest first); it counts the older ones."""

SHOWN_LEFT = 5
"""The coded segments without a match ``project replace`` lists with their codes; it counts the others."""

project_app = typer.Typer(help="Project files: documents, codebook history, codings, suggestions and review "
                               "decisions in one SQLite file.", no_args_is_help=True)


@project_app.command("init")
def init(
    project: Path = typer.Argument(..., help="The project file to create (e.g. study.taproj)."),
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="Codebook YAML (optional with --qdpx)."),
    input: Optional[Path] = typer.Option(None, "--input", help="Transcript folder or file, or SEGMENTS.csv."),
    recursive: bool = RECURSIVE,
    metadata: Optional[Path] = typer.Option(None, "--metadata", help="Metadata CSV joined to transcripts by name."),
    coded: Optional[Path] = typer.Option(None, "--coded", help="Human codings: a table with code, optional coder, "
                                         "placed by segment_id, by document and turn, by document, start and end "
                                         "(import-qdpx's codings.csv) or by the segment's text."),
    qdpx: Optional[Path] = typer.Option(None, "--qdpx", help="REFI-QDA project to import texts, codes, codings."),
    unit: str = typer.Option("turn", "--unit", help="Segmentation: turn, sentence, paragraph."),
    max_chars: int = MAX_CHARS,
    skip_speaker: List[str] = typer.Option([], "--skip-speaker", metavar="NAME",
                                           help="No suggestions for this speaker's turns (Interviewer, Moderator), "
                                                "and none of them in the review queue; they are still read as the "
                                                "context of the turns around them, and a coder may code one by "
                                                "hand (status All). Repeat for several; case is ignored."),
) -> None:
    """Create PROJECT from transcripts and a codebook (and optionally existing codings)."""
    from theme_assist.codebook import load_codebook
    from theme_assist.ingest import skipped_as_unsupported, skipped_note
    from theme_assist.project import create_project
    from theme_assist.segment import check_speaker_names

    check_speaker_names(skip_speaker, "--skip-speaker")  # before the codebook and transcripts are read
    book = load_codebook(codebook) if codebook else None
    with skipped_as_unsupported() as skipped, \
            create_project(project, book, input=input, metadata=metadata, coded=coded, qdpx=qdpx, unit=unit,
                           max_chars=max_chars, codebook_file=codebook, recursive=recursive,
                           skip_speakers=tuple(skip_speaker)) as store:
        made = store.codebook()
        parents = f" ({len(made.all_codes)} with their parents)" if len(made.all_codes) > len(made.leaf_codes) else ""
        line = _counts_line(store, str(project), f"{counted(len(made.leaf_codes), 'code')} to code with{parents}")
        if coded is not None:
            line += _coder_named_by_file(store, coded)
        if store.skip_speakers:
            line += f", {_skipped_segments(store)}"
        say_done(message_console(), line + skipped_note(skipped))


@project_app.command("add")
def add(
    project: Path = typer.Argument(..., help="The project file."),
    inputs: List[Path] = typer.Argument(..., metavar="INPUT", help="Transcript folders or files, or "
                                        "SEGMENTS.csv tables, as project init --input reads them."),
    recursive: bool = typer.Option(False, "--recursive", help="Read the sub-folders of an INPUT folder too; a "
                                   "document's id is then its path in the folder, less the suffix (site2/fg_01), "
                                   "as project init --recursive named the project's."),
    metadata: Optional[Path] = typer.Option(None, "--metadata", help="Metadata CSV joined to the new transcripts "
                                            "by name (the project's documents keep the metadata they have)."),
    coded: Optional[Path] = typer.Option(None, "--coded", help="Human codings of the new transcripts, placed as "
                                         "project init --coded places them."),
) -> None:
    """Add transcripts to PROJECT (the next site's interviews), segmented as its own were, with its skipped
    speakers; its codebook, codings, decisions and history are kept. A transcript it has already with the same text
    is left as it is (give the folder of all the study's transcripts); one it has with another text, or under
    another name, is refused. All or nothing: on an error nothing is added."""
    from theme_assist.ingest import skipped_as_unsupported, skipped_note
    from theme_assist.inputs import check_file
    from theme_assist.project import ProjectStore
    from theme_assist.project.build import add_to_project

    console = message_console()
    for option, path in (("--metadata", metadata), ("--coded", coded)):
        # read only for new transcripts, but a path mistyped is said where every transcript is in the project too
        if path is not None:
            check_file(path, option)
    with ProjectStore(project) as store:
        store.check_writable()  # before the transcripts are read
        had = set(store.documents()["document"])
        try:
            with skipped_as_unsupported() as skipped:
                added = add_to_project(store, inputs, metadata=metadata, coded=coded, recursive=recursive)
            if not added.documents:
                unread = " and ".join(option for option, given in (("--metadata", metadata), ("--coded", coded))
                                      if given)
                console.print(f"nothing added: every transcript given is in {project.name} already, with the same "
                              "text" + (f"; {unread} (for the transcripts added) not used" if unread else ""),
                              markup=False)
                return
            line = f"{project}: added {counted(added.documents, 'document')}, {counted(added.segments, 'segment')}"
            if added.skipped:
                line += f" ({added.skipped} of skipped speakers)"
            if coded is not None:
                line += f", {counted(added.codings, 'human coding')}" + _coder_named_by_file(store, coded)
            if added.unchanged:
                line += (f"; {counted(added.unchanged, 'transcript')} given {project.name} had already, left as "
                         "they are")
            line += (f"; now {counted(len(store.documents()), 'document')}, "
                     f"{counted(store.segment_count(), 'segment')}; run `theme-assist project suggest {project}` to "
                     "suggest for the new segments")
            say_done(console, line + skipped_note(skipped))
        except KeyboardInterrupt:  # where it came just after the commit, the documents were added all the same
            _say_if_added(store, project, had)
            raise


def _say_if_added(store, project: Path, had: set[str]) -> None:
    """After Ctrl+C in ``project add``: where its transaction was committed before it (the project has documents
    not among ``had``, its documents when the add began), say that they were added, and exit 130; otherwise
    return, for the interruption to be said as any other."""
    import sys

    from theme_assist.errors import listed

    documents = list(store.documents()["document"])
    new = [document for document in documents if document not in had]
    if not new:
        return  # rolled back, or not begun
    print(f"theme-assist: interrupted after the transcripts were stored: {project} has "
          f"{counted(len(new), 'document')} more than when the add began ({listed(new)}), now "
          f"{counted(len(documents), 'document')}, {counted(store.segment_count(), 'segment')}; run "
          f"`theme-assist project suggest {project}` to suggest for the new segments", file=sys.stderr)
    raise SystemExit(130)


@project_app.command("suggest")
def suggest(
    project: Path = typer.Argument(..., help="The project file."),
    top_k: int = typer.Option(3, "--top-k", min=1, help="Codes suggested per segment."),
    threshold: Optional[float] = typer.Option(None, "--threshold", min=0.0, max=1.0,
                                              help="Abstain below this score (default: 1.5 × chance, at most 0.5, "
                                                   "for exclusive codebooks; 0.5 otherwise)."),
    diversity: float = typer.Option(0.5, "--diversity", min=0.0, help="Weight of diversity in the review queue."),
    model: Optional[str] = typer.Option(None, "--model", help="sentence-transformers model folder or cached name."),
) -> None:
    """Fit the engine on the project's human codings and review decisions; store its suggestions in PROJECT."""
    from theme_assist.embed import Embedder
    from theme_assist.project import ProjectStore
    from theme_assist.project.learn import refit

    console = message_console()
    with ProjectStore(project) as store:
        if withdrawn := _all_withdrawn(store, project):
            console.print(f"nothing to suggest for: {withdrawn}; nothing was stored", markup=False)
            return
        store.check_writable()  # before the fit, which may take minutes
        skipped = store.skipped_segment_ids()
        if skipped and len(skipped) == store.segment_count():  # said before the fit, not under its spinner
            logger.warning("every segment is the turn of a skipped speaker (%s): the run stores no suggestion and "
                           "queues no segment; skip fewer with `theme-assist project skip-speaker %s NAME...` or "
                           "--none", _skipped_by_name(store), project)
        with console.status("fitting and suggesting…"):
            run_id = refit(store, embedder=Embedder(model=model), top_k=top_k,
                           threshold="auto" if threshold is None else threshold, diversity=diversity)
        run = store.latest_run()
    say_done(console, f"run {run_id}: {_run_model(run['mode'], run['embedding_model'], run['n_training'])}")


@project_app.command("export")
def export(
    project: Path = typer.Argument(..., help="The project file."),
    audit: Optional[Path] = typer.Option(None, "--audit", help="Write the audit trail (every decision and machine "
                                                               "coding, who, when, which model) to this CSV."),
    codings: Optional[Path] = typer.Option(None, "--codings", help="Write each coder's current codings to this CSV, "
                                                                   "read under the current codebook (its number in "
                                                                   "a codebook_version column)."),
    qdpx: Optional[Path] = typer.Option(None, "--qdpx", help="Write a REFI-QDA .qdpx with the audit trail: imported "
                                                             "codings, every decision and the latest run's "
                                                             "suggestions (those the review page shows)."),
    all_runs: bool = typer.Option(False, "--all-runs", help="Write every model run's suggestions to --qdpx, not "
                                                            "the latest run's only (a segment then carries a "
                                                            "machine coding of a code for each run that "
                                                            "suggested it)."),
    machine: Optional[Path] = typer.Option(None, "--machine", help="Write the machine's suggestions for each "
                                           "reviewed segment as they stood before its first decision (suggest's "
                                           "columns, the run that made them and the codebook version they are read "
                                           "under), for agree CODINGS.csv --machine THIS.csv."),
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="Write the project's codebook as YAML (the "
                                            "current version, or --codebook-version), to revise it and store it "
                                            "with `project codebook`."),
    codebook_version: Optional[int] = typer.Option(None, "--codebook-version", min=1,
                                                   help="The codebook version --codebook writes (see `project "
                                                        "info`); default: the current one."),
    document: List[str] = typer.Option([], "--document", metavar="DOC",
                                       help="Write only the rows of this document's segments to --codings and "
                                            "--machine (a reliability round's documents, where coders reviewed "
                                            "others with suggestions in view), named as the project stores it: "
                                            "the file name less its suffix (site2/fg_01 under --recursive). "
                                            "Repeat for several. Not with --audit, --qdpx or --codebook, which "
                                            "hold the whole project."),
    independent: bool = typer.Option(False, "--independent",
                                     help="Write to --codings only the codings made independently of the machine: "
                                          "each coder's on a segment where all their standing decisions were made "
                                          "with no suggestion on screen (review --no-suggestions, a segment --blind "
                                          "withheld them on, or none to show). Imported codings (project init "
                                          "--coded/--qdpx) their coder made no standing decision on count: they "
                                          "were made outside theme_assist. Decisions stored before theme_assist "
                                          "recorded this do not count (a warning says how many segments)."),
    force: bool = typer.Option(False, "--force", help="Replace output files that exist (never a file the project "
                                                      "was made from)."),
) -> None:
    """Export the audit trail, the current codings, the codebook or a REFI-QDA project (replacing a file only with
    --force, and never a file project init or project add read); --document restricts the codings and the
    machine's suggestions to some documents, --independent the codings to those made with no suggestion on screen."""
    from theme_assist.codebook import save_codebook
    from rich.markup import escape

    from theme_assist.errors import InputError
    from theme_assist.inputs import check_outputs, refuse_replacing, write_table
    from theme_assist.project import ProjectStore
    from theme_assist.project.audit import (audit_table, coders_now, current_codings, export_qdpx,
                                            independent_codings, machine_before_review, of_documents,
                                            rejected_without_code, to_recode_by_code, with_project_codebook_version,
                                            write_audit)

    if not (audit or codings or qdpx or machine or codebook):
        raise InputError("say what to export: --audit OUT.csv, --codings OUT.csv, --machine OUT.csv, --codebook "
                         "OUT.yaml and/or --qdpx OUT.qdpx")
    if codebook_version is not None and not codebook:
        raise InputError("--codebook-version says which version --codebook OUT.yaml writes: give --codebook too")
    if independent and not codings:
        raise InputError("--independent says which codings --codings OUT.csv writes: give --codings too")
    if all_runs and not qdpx:
        raise InputError("--all-runs says which suggestions --qdpx OUT.qdpx writes: give --qdpx too")
    whole = [option for option, given in (("--audit", audit), ("--qdpx", qdpx), ("--codebook", codebook)) if given]
    if document and whole:
        raise InputError(f"--document restricts --codings and --machine only; {' and '.join(whole)} hold"
                         f"{'s' if len(whole) == 1 else ''} the whole project: export "
                         f"{'it' if len(whole) == 1 else 'them'} in a run without --document")
    outputs = {"--audit": audit, "--codings": codings, "--qdpx": qdpx, "--machine": machine, "--codebook": codebook}
    with ProjectStore(project) as store, store.snapshot():  # one state, though a review server may be writing
        check_outputs(outputs, {"the project": project, **_made_from(store)},
                      tables=("--audit", "--codings", "--machine"))
        refuse_replacing(outputs, force)
        chosen = _chosen_documents(store, document, project) if document else None
        of_chosen = f" of {counted(len(chosen), 'document')}" if chosen else ""
        version = codebook_version or store.codebook_version()
        book = store.codebook(version) if codebook else None  # an unknown version is refused before any writing
        console = message_console()
        trail = audit_table(store) if audit and qdpx else None  # made once for both
        if chosen is None:
            _warn_withdrawn_left_out(store, [option for option in ("--codings", "--machine", "--qdpx")
                                             if outputs[option]])
        if audit:
            say_done(console, f"{write_audit(store, audit, trail)} audit rows → {audit}")
        if codings:
            decisions = store.decisions()  # read once for the three
            now = coders_now(store, decisions)  # the coders' states, made once for the codings and the rejections
            table = of_documents(current_codings(store, now=now), store, chosen)
            if independent:
                table, unknown = independent_codings(store, table, decisions)
                if len(unknown):
                    logger.warning("left out %s (%s) whose coder's decisions there were stored before theme_assist "
                                   "recorded whether suggestions were shown: unknown, so not counted as independent",
                                   counted(unknown["segment_id"].nunique(), "segment"),
                                   counted(len(unknown), "coding"))
            write_table(with_project_codebook_version(table, store), codings)
            kind = " made with no suggestion shown" if independent else ""
            say_done(console, f"{len(table)} codings{of_chosen}{kind} → {codings}")
            if chosen:
                _warn_uncoded_documents(chosen, table, store, codings, kind)
            _warn_rejected_without_code(of_documents(rejected_without_code(store, now=now), store, chosen), codings)
            _warn_to_recode(to_recode_by_code(store, chosen), codings)
        if machine:
            table = machine_before_review(store, chosen)
            write_table(with_project_codebook_version(table, store), machine)
            # the coders' codings of them are in --codings: agree's machine rows then count fewer units than theirs
            skipped = (f", and turns of the speakers the project skips ({', '.join(store.skip_speakers)}),"
                       if store.skip_speakers else "")
            say_done(console, f"the machine's suggestions for {table['segment_id'].nunique()} reviewed segments"
                              f"{of_chosen}, "
                              "as they stood before the first decision on each (segments it had learnt from an "
                              f"imported coding{skipped} are left out) → {machine}")
        if codebook:
            save_codebook(book, codebook)
            say_done(console, f"codebook version {version} → {codebook}")
        if qdpx:
            exported = export_qdpx(store, qdpx, trail, all_runs=all_runs)
            for note in exported.notes:  # as export-qdpx says them
                console.print(f"[bold]Note:[/bold] {escape(note)}", highlight=False)
            say_done(console, f"{qdpx}: {counted_kinds(exported.counts)}{_runs_written(store, all_runs)}")


def _runs_written(store, all_runs: bool) -> str:
    """Which runs' suggestions ``project export --qdpx`` wrote, for its ✓ line: ``; suggestions of run 12 of 12
    (--all-runs for every run)``; ``""`` for a project without a run."""
    runs = store.runs()
    if runs.empty:
        return ""
    if all_runs:
        return f"; suggestions of all {len(runs)} runs" if len(runs) > 1 else "; suggestions of run 1 of 1"
    hint = " (--all-runs for every run)" if len(runs) > 1 else ""
    return f"; suggestions of run {int(runs['id'].max())} of {len(runs)}{hint}"


def _chosen_documents(store, names: list[str], project: Path, what: str = "--document",
                      withdrawn: bool = False) -> list[str]:
    """The documents ``--document`` (``what``) names, as the project stores them (each once, as first given); a name
    written in another Unicode form than the stored one (``zu`` + a combining diaeresis + ``rich``, as a Mac names
    files, for ``zürich``) is that document, as ``project add`` reads it. A name the project has no document of is
    refused, naming the one it differs from only by case, invisible characters, spaces around it, a suffix or the
    folders of its path (``iv1.txt`` or ``fg_01`` for ``site2/fg_01``, ``data/site2/fg_01.txt`` too), and a few of
    the project's documents; one withdrawn (``project withdraw``) is refused as such, unless ``withdrawn``
    (``project restore``)."""
    from theme_assist.errors import InputError, listed
    from theme_assist.names import as_stored, did_you_mean

    known = list(store.documents(withdrawn=withdrawn)["document"])
    away = [] if withdrawn else store.withdrawn_documents()
    names = [as_stored(name, [*known, *away]) for name in names]
    for name in dict.fromkeys(names):
        if name in known:
            continue
        if name in away:
            raise InputError(f"{what} {name!r} is withdrawn from {project} ({store.bring_back(name)})")
        shown, meant = did_you_mean(name, known, what="documents")
        if not meant and name.strip() in known:  # a space or line break copied with the name
            meant = f" (did you mean {name.strip()!r}? without the spaces around it)"
        if not meant:
            stem = Path(name).with_suffix("").as_posix() if Path(name).suffix else name
            # also a path that holds the stored name under folders of its own (data/site2/fg_01.txt)
            close = [other for other in known if stem in (other, other.rsplit("/", 1)[-1])
                     or stem.endswith("/" + other)]
            if close:
                meant = (f" (did you mean {' or '.join(map(repr, close))}? a document is named as the project "
                         "stores it, without the file's suffix, with the folders --recursive read it under)")
        raise InputError(f"{what} {shown} is no document of {project}{meant}; its documents: "
                         f"{listed(known, shown=5)}")
    return list(dict.fromkeys(names))


def _warn_withdrawn_left_out(store, options: list[str]) -> None:
    """Names the withdrawn documents (``project withdraw``) that hold codings or decisions, which the exports of
    ``options`` leave out, once for them all; those ``project replace`` replaced apart (restoring them is refused
    while their replacement is in)."""
    withdrawn = store.withdrawn_documents()
    if not (options and withdrawn):
        return
    holding = set(store.withdrawn_holding())
    replaced = {name for name in holding if store.replaced_by(name, set(withdrawn))}  # restoring them is refused
    held = [name for name in withdrawn if name in holding and name not in replaced]
    gone = [name for name in withdrawn if name in holding and name in replaced]
    if gone:
        logger.warning("%s leave%s out the document%s %s, replaced by project replace (%s codings carried over to "
                       "the segments that matched; --audit keeps all)", " and ".join(options),
                       "s" if len(options) == 1 else "", "s" if len(gone) > 1 else "", ", ".join(gone),
                       "their" if len(gone) > 1 else "its")
    if held:
        logger.warning("%s leave%s out the withdrawn document%s %s, which hold%s codings or decisions (--audit keeps "
                       "them; `theme-assist project restore` brings them back)", " and ".join(options),
                       "s" if len(options) == 1 else "", "s" if len(held) > 1 else "", ", ".join(held),
                       "" if len(held) > 1 else "s")


def _warn_uncoded_documents(chosen: list[str], table, store, codings: Path, kind: str = "") -> None:
    """Names the documents of ``--document`` no coder has coded (``table``: the codings written; ``kind``: which
    codings, " made with no suggestion shown" under ``--independent``): agree on ``codings`` measures the others
    alone, and its report does not say which documents its units lie in."""
    segments = store.segment_ids()
    coded = set(segments.loc[segments["segment_id"].isin(set(table["segment_id"])), "document"])
    uncoded = [name for name in chosen if name not in coded]
    it = "it" if len(uncoded) == 1 else "them"
    if len(uncoded) == len(chosen):
        logger.warning("--document %s: no coding%s on %s yet, so %s has no row", ", ".join(uncoded), kind, it,
                       codings)
    elif uncoded:
        logger.warning("--document %s: no coding%s on %s yet, so %s has no row of %s, and agree on it measures "
                       "the other documents alone", ", ".join(uncoded), kind, it, codings, it)


def _warn_rejected_without_code(left, codings: Path) -> None:
    """Per coder, the segments they rejected codes on without giving one (``left``: from
    :func:`~theme_assist.project.audit.rejected_without_code`): missing from ``codings``, which agree then reads as
    not rated by them, so their disagreement with the machine's suggestion is not counted."""
    for coder, rows in left.groupby("coder", sort=False):
        shown = ", ".join(rows["segment_id"].iloc[:3]) + (", …" if len(rows) > 3 else "")
        logger.warning("%s rejected codes on %d segment(s) without giving one (%s): %s has no row for them, so "
                       "agree counts them as not rated by %s, not as disagreeing with the machine or another coder; "
                       "code them (with the codebook's code for none of the others, if it has one) for them to count",
                       coder, len(rows), shown, codings, coder)


def _warn_to_recode(counts, codings: Path) -> None:
    """Per code split since (``project codebook --recode``), the segments left to recode (``counts``: from
    :func:`~theme_assist.project.audit.to_recode_by_code`): their coders' codings of it have no row in ``codings``,
    which agree then reads as not rated by them."""
    for code, segments in counts.items():
        logger.warning("%s was split: %s coded %s before the split wait to be recoded and have no row of their "
                       "coders in %s (agree counts them as not rated by them); recode them on the review page, "
                       "where they come first", code, counted(int(segments), "segment"), code, codings)


def _author(author: str) -> str:
    """``--author`` as the audit trail keeps it: without the spaces around it. Refused: spaces alone (a blank
    actor) and a name of several lines (a newline pasted with it), in one line."""
    from theme_assist.errors import InputError
    from theme_assist.names import has_visible_character

    name = author.strip()
    if author and not has_visible_character(name):
        raise InputError("--author holds no name one can see (spaces or invisible characters alone): give who did "
                         "it, or leave --author out; nothing was changed")
    if any(char in name for char in "\r\n\t\v\f\x85\u2028\u2029"):
        raise InputError(f"--author {name!r}: a name of several lines: give it on one line; nothing was changed")
    return name


@project_app.command("codebook")
def codebook(
    project: Path = typer.Argument(..., help="The project file."),
    new: Path = typer.Option(..., "--codebook", help="The revised codebook YAML."),
    author: str = typer.Option("", "--author", help="Who revised it."),
    note: str = typer.Option("", "--note", help="What changed."),
    maps: List[str] = typer.Option([], "--map", metavar="OLD=NEW",
                                   help="The revision drops code OLD and what was coded with it is read as NEW, a "
                                        "code of the revised codebook (a new id; several OLD to one NEW merge "
                                        "codes). Repeat for each dropped code. The stored codings and decisions "
                                        "keep OLD."),
    recode: List[str] = typer.Option([], "--recode", metavar="OLD",
                                     help="The revision splits code OLD (drops it, or narrows its definition, "
                                          "beside new codes): every segment coded OLD before it is to be recoded "
                                          "by the coders who coded it, first in their review queue, and reads as "
                                          "uncoded until they do (exports, training, the review page); OLD's "
                                          "earlier suggestions are set aside. Repeat for each code split. The "
                                          "stored codings and decisions keep OLD."),
) -> None:
    """Store a revised codebook as the project's next codebook version (earlier versions are kept); --map renames
    codes in use or merges them into others, --recode splits codes in use: their segments are recoded by hand."""
    from rich.markup import escape

    from theme_assist.codebook import codebook_changes, load_codebook, redefined_codes
    from theme_assist.project import ProjectStore

    author = _author(author)
    revised = load_codebook(new)
    with ProjectStore(project) as store:
        current, previous = store.codebook_version(), store.codebook()
        code_map = _code_map(maps, previous.ids, revised.ids)
        recode = [code.strip() for code in recode]
        version = store.add_codebook_version(revised, author=author, note=note, code_map=code_map, recode=recode)
        if version != current:
            _warn_mapped_before([code.id for code in revised.all_codes if code.id not in set(previous.ids)], store)
            _warn_redefined_in_use(redefined_codes(previous, revised), store)
            split = store.to_recode()
            split = split[split["version"] == version].groupby("code")["segment_id"].nunique()
    console = message_console()
    if version == current:
        console.print(f"codebook unchanged: {escape(str(new))} is version {version} already; nothing was stored")
        return
    changes = codebook_changes(previous, revised, code_map) + [
        f"split {code}: {counted(int(split.get(code, 0)), 'segment')} to recode" for code in dict.fromkeys(recode)]
    changes = changes or [
        "no code added, dropped, renamed, moved or redefined (the codebook's name, description, order, colours or "
        "guids changed)"]
    say_done(console, f"codebook version {version}: " + "; ".join(changes))


#: Codes each warning of a codebook revision names in a line of its own; the others are counted in one line.
CODES_NAMED = 5


def _warn_redefined_in_use(redefined: list[str], store) -> None:
    """Warn, one line per code (the first :data:`CODES_NAMED`, the others in one line), of each code ``redefined``
    (its definition, criteria or examples changed) that coders' current codings (those ``project export --codings``
    writes) or rejections hold: they were made under its earlier definition and keep the code. The review page's
    "Suggested code" filter finds segments by the machine's best suggestion, not by the codes given, so it is not
    the way to them."""
    from theme_assist.errors import listed
    from theme_assist.project.audit import coders_now, current_codings

    if not redefined:
        return
    now = coders_now(store)
    codings = current_codings(store, now=now)["code"].value_counts()
    rejections = now[0]["rejected"].explode().value_counts()  # a coder's on a segment, as they stand
    held = []
    for code in redefined:
        coded, turned_down = int(codings.get(code, 0)), int(rejections.get(code, 0))
        if coded or turned_down:
            held.append((code, " and ".join(counted(n, what) for n, what in
                                            [(coded, "coding"), (turned_down, "rejection")] if n)))
    for code, kept in held[:CODES_NAMED]:
        logger.warning("%s, redefined, keeps %s made under its earlier definition: review them (`project export "
                       "--codings` lists the codings by code; the review page's \"Suggested code\" filter finds "
                       "segments by the machine's suggestion, not by the codes given), or have them recoded: the "
                       "same `project codebook` with --recode %s", code, kept, code)
    more = [code for code, _ in held[CODES_NAMED:]]
    if more:  # a codebook reworded throughout: one line, not hundreds
        logger.warning("%s keep%s codings or rejections made under %s earlier definition%s (%s): review them likewise",
                       counted(len(more), "more redefined code"), "s" if len(more) == 1 else "",
                       *(("its", "") if len(more) == 1 else ("their", "s")), listed(more, 3))


def _warn_mapped_before(added: list[str], store) -> None:
    """Warn of each code ``added`` by a revision whose id an earlier version mapped away: what was stored under
    the id before that map still reads as the code the maps make it, not as the code added (a revision going back
    to an earlier version's codebook does not undo its maps); the first :data:`CODES_NAMED` in a line each, the
    others in one line."""
    import pandas as pd

    from theme_assist.errors import listed

    maps = store.code_maps()
    added = [code for code in added if code in set(maps["old"])]
    if not added:
        return
    decisions = store.decisions(mapped=False, withdrawn=True)
    decisions = decisions[decisions["action"] != "undo"]  # an undo repeats the code of the decision it undoes
    codings = store.codings(mapped=False, withdrawn=True)
    stored = pd.concat([codings[["code", "code_now"]], decisions[["code", "code_now"]],
                        decisions[["replaces", "replaces_now"]].set_axis(["code", "code_now"], axis=1)])
    mapped_away = [code for code in added if ((stored["code"] == code) & (stored["code_now"] != code)).any()]
    for code in mapped_away[:CODES_NAMED]:
        away = stored[(stored["code"] == code) & (stored["code_now"] != code)]
        rows = "1 coding or decision" if len(away) == 1 else f"{len(away)} codings and decisions"
        versions = sorted(set(maps.loc[maps["old"] == code, "version"]))
        logger.warning("%s, added again, is a new code: %s stored as %s before codebook version%s %s mapped it "
                       "away still read as %s (a map applies to what was stored before it; `project info` "
                       "lists the maps)", code, rows, code, "s" if len(versions) > 1 else "",
                       ", ".join(map(str, versions)),
                       listed([now or "no code, to recode (a split)" for now in sorted(set(away["code_now"]))]))
    if more := mapped_away[CODES_NAMED:]:  # an earlier codebook of hundreds of codes renamed since: one line, not hundreds
        logger.warning("%s added again %s (%s): what was stored under %s before a map still reads as the code "
                       "the map made it", counted(len(more), "more code"),
                       "is a new code" if len(more) == 1 else "are new codes", listed(more, 3),
                       "its id" if len(more) == 1 else "their ids")


def _code_map(maps: list[str], current_ids: list[str], revised_ids: list[str]) -> dict[str, str]:
    """``--map OLD=NEW`` options as a dict, refusing a malformed one or two for one OLD.

    Parameters
    ----------
    maps : list of str
        The ``--map`` options as given.
    current_ids, revised_ids : list of str
        The code ids of the project's current codebook and of the revision, which tell where an option with
        several '=' splits (a code id may hold one).

    Returns
    -------
    dict of str to str
        Old id → new id.
    """
    from theme_assist.errors import InputError

    dropped, kept = set(current_ids) - set(revised_ids), set(revised_ids)
    code_map: dict[str, str] = {}
    for given in maps:
        old, new = _split_map(given, dropped, kept)
        if code_map.get(old, new) != new:
            raise InputError(f"--map maps {old} to both {code_map[old]} and {new}: a dropped code becomes one code")
        code_map[old] = new
    return code_map


def _split_map(given: str, dropped: set[str], kept: set[str]) -> tuple[str, str]:
    """OLD and NEW of one ``--map OLD=NEW``: split at its '=', or where it has several, at the one that makes OLD a
    code in ``dropped`` and NEW a code in ``kept`` (refused where none or several do)."""
    from theme_assist.errors import InputError

    splits = [(given[:at].strip(), given[at + 1:].strip()) for at, char in enumerate(given) if char == "="]
    if len(splits) > 1:
        fitting = [(old, new) for old, new in splits if old in dropped and new in kept]
        if len(fitting) == 1:
            return fitting[0]
        if not fitting:
            raise InputError(f"--map {given!r}: at none of its '=' does it split into OLD, a code the revision drops, "
                             "and NEW, a code of the revised codebook")
        readings = " or ".join(f"{old} → {new}" for old, new in fitting)
        raise InputError(f"--map {given!r} reads as {readings}: the ids' '=' make it ambiguous; give the new code "
                         "another id")
    old, new = splits[0] if splits else ("", "")
    if not (old and new):
        raise InputError(f"--map {given!r}: give OLD=NEW, the id of a code the revision drops and the id of the "
                         "code it becomes")
    return old, new


@project_app.command("skip-speaker")
def skip_speaker(
    project: Path = typer.Argument(..., help="The project file."),
    names: Optional[List[str]] = typer.Argument(None, metavar="NAME...",
                                                help="The speakers to skip from now on, as the transcripts write "
                                                     "them (case is ignored); they replace those skipped before."),
    none: bool = typer.Option(False, "--none", help="Skip no speaker from now on."),
) -> None:
    """Change the speakers PROJECT skips (project init --skip-speaker): their turns get no suggestion and wait in no
    review queue. Decisions already made on any turn are kept."""
    from rich.markup import escape

    from theme_assist.errors import InputError
    from theme_assist.project import ProjectStore
    from theme_assist.segment import check_speaker_names, unique_speakers

    names = names or []
    if none and names:
        raise InputError("give the speakers to skip or --none, not both")
    if not (none or names):
        raise InputError("give the speakers to skip (NAME...), or --none to skip no speaker")
    check_speaker_names(names, "NAME")  # before the project is opened
    console = message_console()
    with ProjectStore(project) as store:
        if unique_speakers(names) == store.skip_speakers:
            console.print(f"skipped speakers unchanged: {escape(_skipped_by_name(store) or 'none')}; nothing was "
                          "stored")
            return
        store.check_writable()
        _warn_unspoken(store, names)
        before = store.skipped_segment_ids()
        store.record_skip_speakers(names)
        after = store.skipped_segment_ids()
        line = (f"skipped speakers: {_skipped_by_name(store)}: no suggestions, not in the review queue" if names
                else "no speaker skipped")
        if after - before:
            line += (f"; {counted(len(after - before), 'segment')} newly skipped: out of the review queue, the "
                     "suggestions of earlier runs for them no longer shown")
        if before - after:
            line += (f"; {counted(len(before - after), 'segment')} no longer skipped: back in the review queue, "
                     "suggested for at the next refit (`theme-assist project suggest`)")
    say_done(console, line + "; decisions already made are kept")


def _warn_unspoken(store, names: list[str]) -> None:
    """Warns of each of ``names`` no segment's speaker is: as :func:`~theme_assist.segment.speaker_turns` does,
    listing the speakers, or, where only withdrawn documents have the speaker, naming them (the name is right)."""
    import warnings

    from theme_assist.segment import speaker_turns

    speakers = store.segments()["speaker"]
    unspoken = [name for name in names if not speaker_turns(speakers, [name], warn=False).any()]
    away = store.segments(withdrawn=True) if unspoken and store.withdrawn_documents() else None
    for name in unspoken:
        held = [] if away is None else list(dict.fromkeys(
            away.loc[speaker_turns(away["speaker"], [name], warn=False), "document"]))
        if held:
            warnings.warn(f"skip speaker {name!r}: only withdrawn documents have this speaker ({', '.join(held)}); "
                          "its turns are skipped if they are brought back (`theme-assist project restore`)")
        else:
            speaker_turns(speakers, [name])  # warns, listing the speakers


@project_app.command("withdraw")
def withdraw(
    project: Path = typer.Argument(..., help="The project file."),
    documents: List[str] = typer.Argument(..., metavar="DOC...", help="The documents to withdraw, named as the "
                                          "project stores them (as project export --document names them)."),
    reason: str = typer.Option("", "--reason", help="Why (the wrong site, a test file): kept in the audit trail."),
    author: str = typer.Option("", "--author", help="Who withdrew them (kept in the audit trail as its actor, as "
                               "project codebook --author is)."),
) -> None:
    """Withdraw documents added to PROJECT by mistake: from now on they are as if they were not in it (no
    suggestions, review queue, training or export but the audit trail has them, their segments, codings or
    decisions). Nothing is deleted: `project restore` brings them back exactly as they were. A document withdrawn
    already is left as it is."""
    _withdraw_or_restore(project, documents, withdrawing=True, reason=reason.strip(), author=_author(author))


@project_app.command("restore")
def restore(
    project: Path = typer.Argument(..., help="The project file."),
    documents: List[str] = typer.Argument(..., metavar="DOC...", help="The withdrawn documents to bring back."),
    reason: str = typer.Option("", "--reason", help="Why (withdrawn by mistake, the site's consent came): kept in "
                               "the audit trail."),
    author: str = typer.Option("", "--author", help="Who restored them (kept in the audit trail as its actor, as "
                               "project codebook --author is)."),
) -> None:
    """Bring documents `project withdraw` withdrew back into PROJECT exactly as they were, with their segments'
    codings, suggestions and decisions. A document not withdrawn is left as it is. Refused while another version of
    its transcript (project replace) is in the project: withdraw that one first."""
    _withdraw_or_restore(project, documents, withdrawing=False, reason=reason.strip(), author=_author(author))


def _withdraw_or_restore(project: Path, documents: list[str], withdrawing: bool, reason: str = "",
                         author: str = "") -> None:
    """``project withdraw`` (``withdrawing``) or ``project restore`` of ``documents``, saying what each holds and
    which were left as they were."""
    from theme_assist.project import ProjectStore

    _refuse_repeated(documents)
    with ProjectStore(project) as store:
        chosen = _chosen_documents(store, documents, project, what="document", withdrawn=True)
        done = (store.withdraw if withdrawing else store.restore)(chosen, reason, author)
        held = _held(store, done)
    left = [name for name in chosen if name not in done]
    said = (f"; {', '.join(left)} {'withdrawn already' if withdrawing else 'not withdrawn'}, left as "
            f"{'it is' if len(left) == 1 else 'they are'}") if left else ""
    if not done:
        message_console().print(f"nothing changed: {said[2:]}", markup=False)
        return
    if withdrawing:
        held += f"; kept: `theme-assist project restore {_quoted(project)} DOC...` brings them back"
    say_done(message_console(), f"{'withdrawn from' if withdrawing else 'restored to'} {project}: {', '.join(done)} "
                                f"({held}){said}")


def _refuse_repeated(documents: list[str]) -> None:
    """Refuse a DOC given twice (a typing slip: another document may have been meant)."""
    from theme_assist.errors import InputError

    repeated = next((name for at, name in enumerate(documents) if name in documents[:at]), None)
    if repeated is not None:
        raise InputError(f"document {repeated!r} is given twice: give each once; nothing was changed")


def _held(store, documents: list[str]) -> str:
    """What the ``documents`` (withdrawn or restored) hold: "12 segments, 3 decisions, 2 imported codings"."""
    segments, decisions, codings = store.held(documents)
    return ", ".join([counted(segments, "segment"), counted(decisions, "decision"),
                      counted(codings, "imported coding")])


def _quoted(value) -> str:
    """``value`` as a shell command line takes it."""
    import shlex

    return shlex.quote(str(value))


@project_app.command("replace")
def replace(
    project: Path = typer.Argument(..., help="The project file."),
    document: str = typer.Argument(..., metavar="DOC", help="The document to replace, named as the project stores "
                                   "it (as project export --document names it)."),
    file: Path = typer.Argument(..., metavar="FILE", help="The corrected transcript (one file), read as project "
                                "add reads one."),
    name: Optional[str] = typer.Option(None, "--as", metavar="NAME", help="The corrected document's name (default: "
                                       "DOC-v2, or the next number free; a name is never reused)."),
    reason: str = typer.Option("", "--reason", help="Why (names redacted): kept in the audit trail."),
    author: str = typer.Option("", "--author", help="Who replaced it (kept in the audit trail as its actor, as "
                               "project codebook --author is)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be matched and carried over; write "
                                 "nothing."),
) -> None:
    """Replace DOC by a corrected transcript (a name redacted, a place generalised, a transcription fixed), in one
    transaction: DOC is withdrawn (kept in the audit trail), FILE added as a new document with DOC's metadata, and
    each coder's current codes on DOC's segments carried over, as imported codings, to the new segments they match
    one to one (the same text, or a small edit of one speaker's). The new document takes DOC's place in the
    documents' order. Suggestions are not carried over: run project suggest. All or nothing."""
    from theme_assist.ingest import skipped_as_unsupported, skipped_note
    from theme_assist.project import ProjectStore
    from theme_assist.project.replace import replace_document

    author = _author(author)
    console = message_console()
    with ProjectStore(project) as store:
        if not dry_run:
            store.check_writable()  # before the transcript is read
        with skipped_as_unsupported() as skipped:
            done = replace_document(store, document, file, name=name, reason=reason.strip(), dry_run=dry_run,
                                    author=author)
    document, matching, would = done.document, done.matching, "would be " if dry_run else ""  # as stored
    line = (f"{project}: {document} {would}replaced by {done.name} ({file}): "
            f"{counted(done.new_segments, 'segment')} (it had {done.old_segments}); matched "
            f"{matching.count('exact')} exactly, {matching.count('near')} nearly; not matched: "
            f"{len(matching.old_unmatched)} of {document}'s, {len(matching.new_unmatched)} of {done.name}'s; "
            f"{counted(len(done.carried), 'coding')} {would}carried over")
    if len(done.carried):
        line += " (" + ", ".join(f"{coder} {n}" for coder, n in done.carried["coder"].value_counts(sort=False)
                                 .items()) + ")"
    if dry_run:
        console.print(f"dry run, nothing was written: {line}", markup=False)
    else:
        say_done(console, line + skipped_note(skipped))
    if len(done.left):
        console.print(f"{counted(len(done.left), 'coded segment')} of {document} found no match; {would or ''}kept "
                      f"only on {document}, withdrawn (project export --audit has them):", markup=False)
        for row in done.left.head(SHOWN_LEFT).itertuples(index=False):
            text = " ".join(row.text.split())
            reason = f" ({row.reason}: not carried)" if row.reason else ""
            console.print(f"  {row.segment_id} ({row.codes}): {text[:60]}{'…' if len(text) > 60 else ''}{reason}",
                          markup=False)
        if len(done.left) > SHOWN_LEFT:
            console.print(f"  and {len(done.left) - SHOWN_LEFT} more", markup=False)
    if len(done.recode):
        waiting = done.recode.drop_duplicates("segment_id")
        split = ", ".join(sorted(set(done.recode["code"])))
        console.print(f"{counted(len(waiting), 'segment')} of {document} waited to be recoded ({split} split by a "
                      f"codebook revision): nothing of the split code is carried, and {done.name} does not list "
                      "them to recode; code them there by hand:", markup=False)
        at = done.recode["segment_id"].str.rsplit(":", n=1).str[1].astype(int)  # in the document's order
        for segment, rows in list(done.recode.iloc[at.argsort(kind="stable")].groupby("segment_id", sort=False))[
                :SHOWN_LEFT]:
            coders = ", ".join(coder or "imported without a coder" for coder in dict.fromkeys(rows["coder"]))
            now = rows["new"].iloc[0] or "no match"
            console.print(f"  {segment} → {now} ({coders}: {', '.join(dict.fromkeys(rows['code']))})", markup=False)
        if len(waiting) > SHOWN_LEFT:
            console.print(f"  and {len(waiting) - SHOWN_LEFT} more", markup=False)
    if not dry_run:
        console.print(f"run `theme-assist project suggest {_quoted(project)}` to suggest for {done.name}'s segments",
                      markup=False)


@project_app.command("metadata")
def metadata(
    project: Path = typer.Argument(..., help="The project file."),
    table: Path = typer.Argument(..., metavar="CSV", help="A metadata table as project init --metadata reads it: a "
                                 "document column and one column per field. A field the project lacks is added; a "
                                 "value replaces the document's; an empty cell leaves the document's value as it "
                                 "is (see --clear). Only documents the project has."),
    author: str = typer.Option("", "--author", help="Who changed them (kept in the audit trail as its actor, as "
                               "project codebook --author is)."),
    clear: List[str] = typer.Option([], "--clear", metavar="FIELD", help="In the table's column FIELD, an empty "
                                    "cell clears the document's value (the audit trail keeps the old one); "
                                    "repeatable. Documents the table has no row for keep theirs."),
) -> None:
    """Set the metadata of PROJECT's documents (a site typed "Hamburg " or "hamburg", an income group added after
    the fact) from CSV, in one transaction; prints each change (document, field, old → new; '' for a value
    cleared with --clear). Every change is kept in the audit trail (project export --audit); the review page and
    project export --qdpx (the documents' variables) read the new values."""
    from theme_assist.errors import InputError
    from theme_assist.ingest import read_metadata
    from theme_assist.ingest.metadata import rows_named
    from theme_assist.inputs import PANDAS_BLANK_HEADER
    from theme_assist.names import did_you_mean, name_key
    from theme_assist.project import ProjectStore

    author = _author(author)
    if _sqlite_file(table):  # the arguments swapped, or the project given twice: not "save it as UTF-8"
        raise InputError(f"{table} is a project file (an SQLite database), not a metadata table: give the project, "
                         "then the table (`theme-assist project metadata PROJECT CSV`); nothing was changed")
    values = read_metadata(table)
    if len(values.columns) < 2:
        raise InputError(f"{table}: no field beside the document column: nothing to set")
    if any(PANDAS_BLANK_HEADER.fullmatch(name) for name in values.columns):  # a field 'Unnamed: 2' would stay
        raise InputError(f"{table}: a column has no name in the header: name its field; nothing was changed")
    headers = {name_key(values.columns[0]), name_key(values.attrs.get("document_column", "document"))}
    if named := [field for field in clear if name_key(field) in headers]:
        raise InputError(f"--clear {named[0]!r}: that column names the documents, which keep their names; --clear "
                         f"takes a field: {', '.join(values.columns[1:])}; nothing was changed")
    if unknown := [field for field in clear if field not in values.columns[1:]]:
        shown, meant = did_you_mean(unknown[0], list(values.columns[1:]), what="fields")
        raise InputError(f"--clear {shown}: {table.name} has no such column{meant}; its fields: "
                         f"{', '.join(values.columns[1:])}; nothing was changed")
    with ProjectStore(project) as store:
        known = list(store.documents(withdrawn=True)["document"])
        _refuse_fields_alike(values.columns[1:], {key for name in known for key in store.document_metadata(name)},
                             table)
        rows = rows_named(known, values)  # joined as project init --metadata joins them
        unjoined = [name for name in values["document"] if name not in set(rows.values())]
        if unjoined:
            named = _chosen_documents(store, unjoined[:1], project, what=f"{table.name}: document", withdrawn=True)
            raise InputError(f"{table.name}: rows {ascii(unjoined[0])} and {ascii(rows[named[0]])} both name document "
                             f"{ascii(named[0])}, in two Unicode forms: keep one; nothing was changed")
        by_row = values.set_index("document").to_dict("index")
        wanted = {document: {field: value for field, value in by_row[row].items() if value or field in clear}
                  for document, row in rows.items()}
        changes = store.set_metadata({document: fields for document, fields in wanted.items() if fields}, author)
    console = message_console()
    if changes.empty:
        console.print(f"nothing changed: {project}'s documents have the values {table.name} gives", markup=False)
        return
    for change in changes.itertuples(index=False):
        console.print(f"  {change.document}, {change.key}: {_shown_value(change.old)} → {_shown_value(change.new)}",
                      markup=False)
    say_done(console, f"{counted(len(changes), 'value')} changed in {project} (kept in the audit trail: project export "
                      "--audit)")


def _sqlite_file(path: Path) -> bool:
    """Whether ``path`` is a file that starts as an SQLite database does (a project file). Read before the project
    is opened: closing another handle on a file SQLite has open would drop its locks."""
    try:
        with open(path, "rb") as file:
            return file.read(16) == b"SQLite format 3\x00"
    except OSError:  # a folder, no such file: said by the table's reader
        return False


def _refuse_fields_alike(columns, fields: set[str], table: Path) -> None:
    """Refuse a column of ``table`` named as one of the project's metadata ``fields`` but for case, Unicode form or
    invisible characters ("Site" for "site"): it would be added as another field beside it, the value it corrects
    left as it was."""
    from theme_assist.errors import InputError
    from theme_assist.names import did_you_mean

    for column in columns:
        if column in fields:
            continue
        shown, meant = did_you_mean(column, sorted(fields), what="fields")
        if meant:
            raise InputError(f"{table}: column {shown} is no field of the project's documents{meant}: name it as "
                             "the project does to set that field; nothing was changed")


def _shown_value(value: str | None, most: int = 80) -> str:
    """A metadata value as ``project metadata`` prints it: quoted, ``(none)`` for None, a long one cut short
    (the audit trail keeps it whole)."""
    if value is None:
        return "(none)"
    if len(value) <= most:
        return repr(value)
    return f"{value[:most]!r}… ({len(value)} characters)"


@project_app.command("backup")
def backup(
    project: Path = typer.Argument(..., help="The project file."),
    copy: Path = typer.Argument(..., help="The copy to write (e.g. backups/study-2026-11-30.taproj)."),
    force: bool = typer.Option(False, "--force", help="Replace COPY if it exists (never a file the project was "
                                                      "made from)."),
) -> None:
    """Copy PROJECT safely, also while `theme-assist review` serves it (a plain file copy may miss the latest
    decisions, kept in PROJECT-wal until SQLite moves them into the file). Never replaces a file the project was
    made from, even with --force."""
    from theme_assist.inputs import check_outputs, refuse_replacing
    from theme_assist.project import ProjectStore

    check_outputs({"COPY": copy}, {"PROJECT": project})
    refuse_replacing({"COPY": copy}, force)  # before the project is opened (and its schema brought up to date)
    with ProjectStore(project) as store:
        # a new copy may go beside the transcripts of an --input folder (it is no transcript); no file there is replaced
        made_from = {option: path for option, path in _made_from(store).items()
                     if copy.exists() or not Path(path).is_dir()}
        check_outputs({"COPY": copy}, made_from)
        store.backup(copy)
        decisions = store.decision_count(withdrawn=True)  # the copy has them all
    say_done(message_console(), f"{project} → {copy} ({counted(decisions, 'decision')})")


@project_app.command("prune")
def prune(
    project: Path = typer.Argument(..., help="The project file."),
    keep: int = typer.Option(1, "--keep", help="The latest runs to keep every suggestion of (1: the latest, which "
                                               "the review page shows)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be dropped; write nothing."),
) -> None:
    """Drop the suggestions of superseded model runs that nothing needs, and compact PROJECT. Kept: every suggestion
    of the --keep latest runs, those a decision answered, each reviewed segment's pre-coding (`project export
    --machine`) and every run's record; exports list the same rows but the suggestions dropped. It may run while
    `theme-assist review` serves the project (prefer --keep 2 then: a page still showing an older run's suggestion
    is asked to reload, the decision made on it not saved)."""
    from theme_assist.project import ProjectStore
    from theme_assist.project.prune import prune as prune_runs, run_ranges

    with ProjectStore(project, upgrade=False) as store:  # an older file is refused, not upgraded as a side effect
        pruned = prune_runs(store, keep=keep, dry_run=dry_run)
    if not pruned.total:
        latest = "the latest run" if keep == 1 else f"the latest {keep} runs"
        say_done(message_console(), f"{project}: nothing to prune (no suggestion of a run before {latest} that no "
                                    "decision or pre-coding needs)"
                 + (f"; {counted(pruned.queue_rows, 'review-queue row')} of older runs dropped"
                    if pruned.queue_rows and not dry_run else ""))
        return
    said = (f"{project}: runs {run_ranges(sorted(pruned.dropped))}: {pruned.total:,} suggestions "
            f"{'would be dropped' if dry_run else 'dropped'} ({pruned.kept:,} kept: answered by a decision, or a "
            "reviewed segment's pre-coding)")
    if not dry_run:
        freed = f"{pruned.freed / 1e6:.1f} MB" if pruned.freed >= 100_000 else f"{pruned.freed / 1e3:.0f} kB"
        said += f", {freed} freed" if pruned.vacuumed else ", the file not compacted"
    say_done(message_console(), said + ("; nothing was written" if dry_run else ""))


@project_app.command("info")
def info(project: Path = typer.Argument(..., help="The project file.")) -> None:
    """Summarise PROJECT: documents, segments, segmentation tag, skipped speakers, codebook versions, model runs,
    imported codings and decisions per coder."""
    from theme_assist.project import ProjectStore
    from theme_assist.project.audit import maps_of
    from theme_assist.project.prune import pruned_record, run_ranges

    console = message_console(stderr=False)  # one line each: a version's maps and note made it fold at 160
    with ProjectStore(project) as store, store.snapshot():  # one state, each table read once
        decisions, runs = store.decisions(), store.runs()
        console.print(_counts_line(store, store.name, f"codebook v{store.codebook_version()} "
                                                      f"({store.codebook().name})"), markup=False)
        console.print(f"  segmentation: {store.segmentation} (the `segmentation` column of its exports)"
                      if store.segmentation else "  segmentation: not known (made before tags, or from a "
                      "SEGMENTS.csv without one, whose ids it keeps); its exports leave the `segmentation` column "
                      "empty", markup=False)
        if store.skip_speakers:
            console.print(f"  skipped speakers: {_skipped_by_name(store)}: no suggestions, not in the review queue",
                          markup=False)
        if withdrawn := store.withdrawn_documents():
            console.print(f"  {counted(len(withdrawn), 'document')} withdrawn: "
                          f"{_withdrawn_by_name(store, withdrawn, authors=True)}; "
                          "not counted above, left out of suggestions, review and exports but --audit (`theme-assist "
                          "project restore` brings them back)", markup=False)
        replacements = store.replacements()
        added_by = store.documents_added()
        added_by = added_by.assign(replacing=added_by["document"].isin(set(replacements["new"])))
        additions = added_by.groupby("added_at", sort=False).agg(documents=("document", "size"),
                                                                segments=("segments", "sum"),
                                                                replacing=("replacing", "all"))
        for added_at, added in additions.iloc[1:].iterrows():  # the first: those project init made it with
            console.print(f"  added {added_at}: {counted(int(added['documents']), 'document')}, "
                          f"{counted(int(added['segments']), 'segment')} "
                          f"({'project replace' if added['replacing'] else 'project add'})", markup=False)
        for replaced in replacements.itertuples(index=False):
            console.print(f"  replaced {replaced.created_at}: {replaced.old} by {replaced.new}"
                          + _reason_and_author(replaced.reason, replaced.author), markup=False)
        maps = maps_of(store)
        for version in store.codebook_history().itertuples(index=False):
            console.print(f"  codebook v{version.version}: {version.created_at}"
                          + "".join(f", {text}" for text in (version.author, version.note) if text)
                          + (f"; mapped {maps[version.version]}" if version.version in maps else ""), markup=False)
        for code, rows in store.to_recode().groupby("code"):  # a split's segments its coders have not recoded yet
            coders = sorted(set(rows["coder"].replace("", "imported without a coder")))
            console.print(f"  {code} was split: {counted(rows['segment_id'].nunique(), 'segment')} to recode "
                          f"({', '.join(coders)}; first in their review queue)", markup=False)
        prunes = pruned_record(store)
        no_run = ["no model run yet (run `theme-assist project suggest`)"]
        for line in _run_lines(runs, pruned=bool(prunes)) if len(runs) else no_run:
            console.print(line, markup=False)
        for pruned in prunes:
            console.print(f"  pruned {pruned['at']}: {pruned['suggestions']:,} suggestions of runs "
                          f"{run_ranges(pruned['runs'])} (kept those a decision answered or a pre-coding holds)",
                          markup=False)
        latest = runs.iloc[-1] if len(runs) else None
        if latest is not None and latest["codebook_version"] != store.codebook_version():
            console.print(f"  the latest, fitted on codebook v{latest['codebook_version']}: run `theme-assist project "
                          f"suggest` to suggest with v{store.codebook_version()}", markup=False)
        codings = store.codings()
        carried = store.carried_codings()
        codings = codings.assign(carried_from=codings["id"].map(dict(zip(carried["id"], carried["carried_from"]))))
        imported, made_by = _imported_lines(codings), decisions[decisions["action"] != "undo"]
        if imported or len(made_by):  # a heading: under the runs' one, the coders' lines read as of the runs
            console.print("coders:", markup=False)
        for line in imported:
            console.print(line, markup=False)
        for coder, made in made_by.groupby("coder"):
            undone = int(made["undone"].astype(bool).sum())  # kept in the trail, but no longer coding anything
            console.print(f"  {coder}: {counted(len(made), 'decision')}" + (f" ({undone} undone)" if undone else ""),
                          markup=False)


def _all_withdrawn(store, project: Path) -> str:
    """Where every document of the project is withdrawn, says so ("every document of study.taproj is withdrawn
    (fg_01, fg_02): ..."); ``""`` otherwise."""
    withdrawn = store.withdrawn_documents()
    if not withdrawn or len(store.documents()):
        return ""
    return (f"every document of {project} is withdrawn ({_withdrawn_by_name(store, withdrawn)}): bring one back with "
            f"`theme-assist project restore {_quoted(project)} DOC`")


def _withdrawn_by_name(store, withdrawn: list[str], authors: bool = False) -> str:
    """The ``withdrawn`` documents, each with the reason given when it was withdrawn last (and with ``authors``,
    who withdrew it, where ``--author`` named them): "test_01 (a test file; author Ann), fg_02"."""
    rows = store.withdrawals()
    last = rows[rows["action"] == "withdraw"].groupby("document")[["reason", "author"]].last()
    return ", ".join(name + (_reason_and_author(last.at[name, "reason"], last.at[name, "author"] if authors else "")
                             if name in last.index else "") for name in withdrawn)


def _reason_and_author(reason: str, author: str) -> str:
    """``" (names redacted; author Ann)"``: the reason and the author (``--author``) of a change to the project's
    documents, as ``project info`` says them; ``""`` where neither was given."""
    said = "; ".join(text for text in (reason, f"author {author}" if author else "") if text)
    return f" ({said})" if said else ""


def _imported_lines(codings) -> list[str]:
    """What ``project info`` says of the imported codings (``store.codings()``, of ``project init --coded`` or
    ``--qdpx``): one line per coder and file, the coder named as the exports name them (by the file where it names
    none), in the order they were imported; those ``project replace`` carried over (a ``carried_from`` column, where
    given) as carried."""
    named = codings["coder"].where(codings["coder"] != "", codings["source"])
    lines = []
    for (coder, source), rows in codings.groupby([named, codings["source"]], sort=False):
        unnamed = " (no coder named: the exports name this coder by the file)" if (rows["coder"] == "").all() else ""
        if "carried_from" in rows and rows["carried_from"].notna().all():
            lines.append(f"  {coder}: {counted(len(rows), 'coding')} {source}")  # carried from DOC by project replace
        else:
            lines.append(f"  {coder}: {counted(len(rows), 'imported coding')} from {source}{unnamed}")
    return lines


def _run_lines(runs, shown: int = RUNS_SHOWN, pruned: bool = False) -> list[str]:
    """What ``project info`` says of the model runs (``store.runs()``): a heading, then one line per run, newest
    first, the first ``shown`` and how many more (whose suggestions ``project prune`` may have dropped: ``pruned``).
    """
    lines = [f"model runs: {len(runs)}" + (", newest first" if len(runs) > 1 else "")]
    for run in runs.iloc[::-1].head(shown).itertuples(index=False):
        lines.append(f"  run {run.id}: {run.created_at}, {_run_model(run.mode, run.embedding_model, run.n_training)}, "
                     f"after {counted(run.n_decisions, 'review decision')}, codebook v{run.codebook_version}")
    if len(runs) > shown:
        has = "the suggestions project prune kept" if pruned else "every run's suggestions"
        lines.append(f"  and {len(runs) - shown} more, older (`project export --audit` has {has})")
    return lines


def _run_model(mode: str, embedding_model: str, n_training: int) -> str:
    """A run's embedding model and what it learnt from, as ``project suggest`` and ``project info`` say it
    ("all-MiniLM-L6-v2@53aa51172d14, trained on 40 coded segments"); its ``model_id`` names the engine, its version
    and its mode too, which the words after it said again."""
    if mode == "zero-shot":
        return f"{embedding_model}, zero-shot: from the codebook alone (no coded segment)"
    return f"{embedding_model}, trained on {counted(int(n_training), 'coded segment')}"


def _counts_line(store, name: str, codebook: str) -> str:
    """``NAME: N documents, N segments, CODEBOOK, N human codings (N from review decisions)``: what ``project init``
    says it made and ``project info`` starts with (plain text, not markup: a codebook's name or a path may hold
    brackets). The codings are those ``project export --codings`` writes: imported ones a coder's decisions took
    away are not counted, the codes decisions gave are."""
    from theme_assist.project.audit import coding_counts

    codings, from_review = coding_counts(store)
    return (f"{name}: {counted(len(store.documents()), 'document')}, {counted(store.segment_count(), 'segment')}, "
            f"{codebook}, {counted(codings, 'human coding')}"
            + (f" ({from_review} from review decisions)" if from_review else ""))


def _coder_named_by_file(store, coded: Path) -> str:
    """Where the ``--coded`` table named no coder (no ``coder`` column, or empty cells), the coder its codings are
    stored and exported under, the file's name, and how to name one: ``" as coder 'coded.csv' (named after the
    file: a 'coder' column names one)"``; ``""`` otherwise. ``project info`` said it, ``init`` and ``add`` did not."""
    codings = store.codings()
    codings = codings[codings["source"] == coded.name]
    unnamed = int((codings["coder"] == "").sum())
    if not unnamed:
        return ""
    some = f", {unnamed} of them" if unnamed < len(codings) else ""
    return f"{some} as coder {coded.name!r} (named after the file: a 'coder' column names one)"


def _skipped_segments(store) -> str:
    """The segments of the project's skipped speakers, as the speakers are written in its transcripts, most
    segments first: "3 segments of Interviewer, INTERVIEWER skipped" ("0 segments skipped" where no speaker
    matches), as ``suggest --skip-speaker`` says them."""
    from theme_assist.segment import ranked_names

    segments = store.segments()
    skipped = segments[segments["segment_id"].isin(store.skipped_segment_ids())]
    return skipped_segments(ranked_names(skipped["speaker"].astype(str).str.strip()))


def _skipped_by_name(store) -> str:
    """The project's skipped speakers as given, each with its number of segments: "Interviewer (40 segments),
    Moderator (no segment)"."""
    from theme_assist.segment import speaker_turns

    speakers = store.segments()["speaker"].astype(str)
    counts = [int(speaker_turns(speakers, [name], warn=False).sum()) for name in store.skip_speakers]
    return ", ".join(f"{name} ({counted(n, 'segment') if n else 'no segment'})"
                     for name, n in zip(store.skip_speakers, counts))


def _made_from(store) -> dict[str, str]:
    """The files ``project init`` made the project from and ``project add`` added to it that still exist
    (``"project init --coded"``, ``"project add --input fg_01.txt"`` → path): the project keeps the codings, not
    the table they came from, which may be a coder's only copy."""
    made_from = {f"project init {option}": path for option, path in store.inputs().items()}
    for option, path in store.added_inputs():
        name = f"project add {option} {Path(path).name}"  # by its path where an earlier addition's has that name
        made_from[name if made_from.get(name, path) == path else f"project add {option} {path}"] = path
    return {option: path for option, path in made_from.items() if Path(path).exists()}


def register(app: typer.Typer) -> None:
    app.add_typer(project_app, name="project")
