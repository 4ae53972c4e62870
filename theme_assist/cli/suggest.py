"""``theme-assist suggest``: code suggestions with evidence for every uncoded segment."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import List, Optional

import typer

from theme_assist.cli._options import MAX_CHARS, MODEL, RECURSIVE, UNIT


def write_suggestions(suggestions, path: Path) -> None:
    """Write the suggestions table as CSV (TSV for a ``.tsv`` name), the evidence column as a JSON list."""
    from theme_assist.inputs import write_table

    out = suggestions.copy()
    out["score"] = out["score"].astype(float).round(4)
    out["evidence"] = [json.dumps(e, ensure_ascii=False) for e in out["evidence"]]
    write_table(out, path)


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` → ``(I, N)`` with 1 ≤ I ≤ N."""
    from theme_assist.errors import InputError

    number, _, total = text.partition("/")
    if not (number.strip().isdecimal() and total.strip().isdecimal()) or not 1 <= int(number) <= int(total):
        raise InputError(f"--shard {text!r} is not I/N with 1 ≤ I ≤ N (e.g. 3/10: the third of ten parts)")
    return int(number), int(total)


def document_order(documents) -> list[str]:
    """The documents, once each, in the order ``--shard`` deals them out and ``merge`` puts the parts back in: by id,
    compared part by part between its ``/``, so that a sub-folder's stay together (``site/…`` before ``site-2/…``)
    as a folder is read. A run reads a folder as its files sort, which differs for ids one of which begins another
    (``a.b.txt`` and ``a-1.txt`` sort before ``a.txt``, ``site-2/`` before ``site.txt``), and a table's documents
    as its rows come: a merged table holds a run's rows in this order then."""
    return sorted({str(document) for document in documents}, key=lambda document: document.split("/"))


def shard_of(segments, shard: tuple[int, int]):
    """The segments of the ``I``-th of ``N`` parts of the documents: the documents in :func:`document_order`, dealt
    out in turn, so every machine of an array job takes its own part and the parts together are every document."""
    from theme_assist.errors import InputError

    number, total = shard
    documents = document_order(segments["document"])
    if total > 1 and len(documents) < 2:
        raise InputError("--shard splits the input by document, and it holds one document only (a segments "
                         "table names each row's document in a 'document' column)")
    mine = set(documents[number - 1::total])
    return segments[segments["document"].astype(str).isin(mine)].reset_index(drop=True)


SHARD_COLUMNS = {"--out": ("shard", "shard_input", "shard_suggester", "shard_codebook", "shard_top_k",
                           "shard_threshold", "shard_skip_speaker", "shard_version"),
                 "--segments-out": ("shard", "shard_input", "shard_version")}
"""The last columns of a ``--shard`` part, by table, each one value on every row: which part it is (``I/N``) and
of which run (short sha256 of the whole input's segments, of the suggester, of the codebook; ``--top-k``; the
threshold; the speakers ``--skip-speaker`` leaves out, as matched; theme_assist's version), what ``merge`` checks
the parts by and leaves out of the table it writes. A --segments-out table depends on the input (and version)
alone."""


def skipped_speakers(names) -> str:
    """What tells a part's ``--skip-speaker`` from another's: the speakers as they are matched (case and spaces
    aside), once each, sorted, as a JSON list (a name may hold a comma)."""
    from theme_assist.segment import speaker_key

    return json.dumps(sorted({speaker_key(name) for name in names}), ensure_ascii=False)


def _digest(*texts: str) -> str:
    """The first 12 hexadecimal digits of the sha256 of ``texts``."""
    import hashlib

    return hashlib.sha256("\x1f".join(texts).encode("utf-8", "surrogatepass")).hexdigest()[:12]


def input_digest(segments) -> str:
    """What tells a part's input from another's: the digest of every segment's document, id and text, the whole
    input before it is dealt out (a transcript added, removed or changed between the jobs of an array)."""
    import hashlib

    columns = [segments[name].astype(str) for name in ("document", "segment_id", "text")]
    digest = hashlib.sha256()  # row by row: the same digest as _digest's of the rows, without a copy of the input
    for index, row in enumerate(zip(*columns)):
        digest.update((("\x1f" if index else "") + "\x1e".join(row)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:12]


def suggester_digest(load_model: Optional[Path], coded, model_id: str, finetune: bool) -> str:
    """What tells a part's suggester from another's: a saved one's files (the sha256 its ``manifest.json`` lists,
    checked by loading; every file of an older save); else what each job fits it from (the embedding model, the
    coded rows, ``--finetune``), not the fitted numbers, which differ in their last bits where a job embeds afresh."""
    import json

    from theme_assist.embed import folder_sha256
    from theme_assist.suggest import MANIFEST

    if load_model is not None:
        manifest = load_model / MANIFEST
        if manifest.is_file():
            files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
            return "saved:" + _digest(*(f"{name}\t{files[name]}" for name in sorted(files)))
        return "saved:" + folder_sha256(load_model)[:12]
    if coded is None:
        return "zero-shot:" + _digest(model_id)
    return "fitted:" + _digest(model_id, str(finetune), coded.to_csv(index=False))


def file_state(path: Optional[Path]) -> Optional[tuple[int, int]]:
    """``(size, mtime_ns)`` of ``path``, ``None`` where there is no file: what tells whether another run wrote it
    meanwhile (no clock is compared, so a network file system's own clock does not matter; nor the inode, which
    some file systems, FAT or CIFS without server inode numbers, change on their own)."""
    if path is None:
        return None
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_size, found.st_mtime_ns


def refuse_written_meanwhile(option: str, path: Optional[Path], before, saved: Optional[Path] = None) -> None:
    """Refuse to replace ``path`` when another run wrote it since this one began (``before``: its
    :func:`file_state` then): array jobs given one ``--out`` would each replace the others' parts, leaving one. A
    file removed meanwhile (a user clearing an old result) is no other run's; ``saved``: a --save-model written."""
    from theme_assist.errors import InputError

    now = file_state(path)
    if now is not None and now != before:
        wrote = f"wrote only --save-model {saved}" if saved else "wrote nothing"
        raise InputError(f"{option} {path} was written by another run while this one ran (jobs of an array given "
                         f"the same file?): give each job its own (e.g. S_$SLURM_ARRAY_TASK_ID.csv); this run {wrote}, "
                         "and the texts it embedded are cached for the next")


def suggest(
    codebook: Path = typer.Option(..., "--codebook", help="Codebook YAML."),
    input: Path = typer.Option(..., "--input", help="SEGMENTS.csv (segment_id, text; optional document, speaker) "
                                                     "or a transcript file or folder."),
    out: Path = typer.Option(..., "--out", help="Where to write the suggestions CSV."),
    train: Optional[Path] = typer.Option(None, "--train", help="CODED.csv (text, code; optional segment_id, "
                                                               "document, speaker). Omit for zero-shot."),
    coder: Optional[str] = typer.Option(None, "--coder", help="With --train: learn from this coder's rows only "
                                                              "(a coded table with a coder column, e.g. a "
                                                              "double-coded import's codings.csv)."),
    top_k: int = typer.Option(3, "--top-k", min=1, help="Codes suggested per segment."),
    threshold: Optional[float] = typer.Option(None, "--threshold", min=0.0, max=1.0,
                                              help="Abstain ('no code fits') when the best score is below this "
                                                   "(default: 1.5 × chance, at most 0.5, for exclusive codebooks; "
                                                   "0.5 otherwise)."),
    model: Optional[str] = MODEL,
    recursive: bool = RECURSIVE,
    unit: str = UNIT,
    max_chars: int = MAX_CHARS,
    metadata: Optional[Path] = typer.Option(None, "--metadata", help="Metadata CSV joined to transcripts by file name "
                                                                    "(its fields become columns of --segments-out)."),
    save_model: Optional[Path] = typer.Option(None, "--save-model", help="Save the fitted suggester to this folder "
                                                                         "(e.g. models/my-study)."),
    load_model: Optional[Path] = typer.Option(None, "--load-model", help="Use a saved suggester instead of fitting."),
    segments_out: Optional[Path] = typer.Option(None, "--segments-out", help="Also write the segments (with "
                                                                             "document offsets) to this CSV."),
    finetune: bool = typer.Option(False, "--finetune", help="First fine-tune the embedding model on the coded "
                                                            "segments (SetFit-style; with few examples per code "
                                                            "+0.01–0.04 κ; about 2 s per coded example on 2 "
                                                            "cores: "
                                                            "evaluation/results/setfit.md)."),
    skip_speaker: List[str] = typer.Option([], "--skip-speaker", metavar="NAME",
                                           help="No suggestions for this speaker's turns (Interviewer, Moderator): "
                                                "they are left out of --out (kept in --segments-out), and still "
                                                "read as the context of the turns around them. Repeat for several; "
                                                "case is ignored."),
    shard: Optional[str] = typer.Option(None, "--shard", help="I/N: suggest for the I-th of N parts of the "
                                                              "documents only (an array job on a cluster, with "
                                                              "--load-model); the N outputs together are one run's."),
    force: bool = typer.Option(False, "--force", help="Replace an --out or --segments-out that is a coded table (a "
                                                      "code column and no score or rank: a hand coding given by "
                                                      "mistake); earlier suggestions and segments are replaced "
                                                      "anyway."),
) -> None:
    """Suggest the top codes, with a score and evidence quotes, for every segment of INPUT."""
    import pandas as pd

    from theme_assist.cli._console import counted, message_console, say_done, skipped_segments
    from theme_assist.codebook import load_codebook
    from theme_assist.embed import Embedder
    from theme_assist.errors import InputError
    from theme_assist.finetune import finetune_embedder
    from theme_assist.ingest import skipped_as_unsupported, skipped_note
    from theme_assist.inputs import check_outputs, read_coded, read_segments, refuse_replacing_codings, write_table
    from theme_assist.segment import check_speaker_names, ranked_names, speaker_turns, with_segmentation_of
    from theme_assist.suggest import CodeSuggester, codes_per_segment, refuse_replacing_other_files, uncalibrated_note

    console = message_console()
    started = time.perf_counter()
    check_outputs({"--out": out, "--segments-out": segments_out, "--save-model": save_model},
                  {"--codebook": codebook, "--input": input, "--train": train, "--metadata": metadata,
                   "--load-model": load_model}, folders=("--save-model",),
                  tables=("--out", "--segments-out"))  # fail before the work, not after it
    refuse_replacing_codings({"--out": out, "--segments-out": segments_out}, force)
    check_speaker_names(skip_speaker, "--skip-speaker")
    if save_model:
        refuse_replacing_other_files(save_model)
    before = {"--out": file_state(out), "--segments-out": file_state(segments_out)}
    part = parse_shard(shard) if shard is not None else None
    book = load_codebook(codebook)
    # before the input is read and anything embedded: a code not in the codebook is refused in seconds
    coded = None if train is None or load_model else read_coded(
        train, without="for suggestions from the codebook alone, leave out --train", coder=coder, codebook=book)
    with skipped_as_unsupported() as skipped:
        segments = read_segments(input, unit=unit, max_chars=max_chars, metadata=metadata, recursive=recursive)
    # matched in the whole input: a part without the moderator's documents has no warning that none is there
    speakers = segments.get("speaker", pd.Series("", index=segments.index))
    skipped_ids = set(segments["segment_id"].astype(str)[speaker_turns(speakers, skip_speaker)])
    if part:
        if taken := [column for column in SHARD_COLUMNS["--segments-out"] if column in segments]:
            raise InputError(f"the input has a column {taken[0]!r} (from --metadata?), which --shard writes into "
                             "each part for merge: rename it")
        whole = input_digest(segments)
        segments = shard_of(segments, part)
        if segments.empty:
            console.print(f"note: part {part[0]} of {part[1]} holds no documents (fewer documents than parts)")
    embedder = Embedder(model=model, show_progress=True)
    if load_model and train:
        raise InputError("give either --train (fit now) or --load-model (use a saved suggester), not both")
    if coder is not None and not train:
        raise InputError("--coder chooses whose rows of --train CODED.csv to learn from: give --train too")
    if finetune and not train:
        raise InputError("--finetune needs coded segments to learn from (--train CODED.csv)")
    if load_model:
        suggester = CodeSuggester.load(load_model, book, embedder=embedder)
        recipe = suggester_digest(load_model, None, "", False) if part else ""
        if threshold is not None:
            suggester.threshold = threshold
            suggester._resolve_threshold()
    else:
        recipe = suggester_digest(None, coded, embedder.model_id, finetune) if part else ""
        if finetune:
            per_segment = codes_per_segment(coded, book)  # checks the codes before minutes of fine-tuning
            per_segment = per_segment[per_segment["codes"].map(bool)]
            console.print(f"fine-tuning the embedding model on {counted(len(per_segment), 'coded segment')}…")
            embedder = finetune_embedder(per_segment["text"].astype(str).tolist(),
                                         per_segment["codes"].map(frozenset).tolist(), base=embedder)
            embedder.show_progress = True
        console.print("embedding and fitting…")
        suggester = CodeSuggester(embedder=embedder, top_k=top_k,
                                  threshold="auto" if threshold is None else threshold).fit(coded, book)
        if note := uncalibrated_note(suggester):
            console.print(f"note: {note}", highlight=False)
    if save_model:
        suggester.save(save_model)  # with a fine-tuned embedding model, in its encoder/
    console.print(f"suggesting for {counted(len(segments), 'segment')}…")
    # the skipped turns are suggested for with the rest, as the context of their neighbours, then left out
    suggestions = suggester.suggest(segments, top_k=top_k)
    suggestions = suggestions[~suggestions["segment_id"].isin(skipped_ids)].reset_index(drop=True)
    for option, path in (("--out", out), ("--segments-out", segments_out)):
        refuse_written_meanwhile(option, path, before[option], saved=save_model)
    suggestions = with_segmentation_of(suggestions, segments)
    written = segments
    if part:
        from theme_assist import __version__

        run = {"shard": f"{part[0]}/{part[1]}", "shard_input": whole}
        written = segments.assign(**run, shard_version=__version__)
        suggestions = suggestions.assign(
            **run, shard_suggester=recipe, shard_codebook=book.content_hash()[:12], shard_top_k=str(top_k),
            shard_threshold=repr(float(suggester.threshold_)), shard_skip_speaker=skipped_speakers(skip_speaker),
            shard_version=__version__)
    if segments_out:
        write_table(written, segments_out)
    # last: a job stopped before the end leaves no new --out, the file scripts check
    write_suggestions(suggestions, out)
    abstained = int((suggestions.groupby("segment_id")["code"].first() == "").sum())
    skipping = segments["segment_id"].astype(str).isin(skipped_ids).to_numpy()
    left_out = (f", {skipped_segments(ranked_names(segments['speaker'][skipping].astype(str).str.strip()))}"
                if skipping.any() else "")
    say_done(console, f"{counted(len(segments), 'segment')}{left_out}, {suggester.mode_} suggester on "
                      f"{counted(len(suggester.classes_), 'code')}, {counted(abstained, 'abstention')} → {out} "
                      f"({time.perf_counter() - started:.1f} s)"
                      + skipped_note(skipped))


def register(app: typer.Typer) -> None:
    app.command("suggest")(suggest)
