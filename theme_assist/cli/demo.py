"""``theme-assist demo``: the whole path on the shipped illustrative corpus."""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator, Optional

import typer

from theme_assist import jsonout

DEFAULT_OUT = Path("demo-output")
OUTPUT_FILES = ("suggestions.csv", "segments.csv", "agreement.json", "agreement_per_code.csv")


def demo(
    out: Path = typer.Option(DEFAULT_OUT, "--out", help=f"Folder for the outputs ({', '.join(OUTPUT_FILES)}). Such "
                             "files already in a folder other than the default are replaced only with --force."),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help="Another corpus in the demo layout: a folder "
                                                                 "holding transcripts/ (the transcript files only), "
                                                                 "metadata.csv (columns document, "
                                                                 "participant_group) and reference_coding.csv "
                                                                 "(columns document, turn, code; turns counted "
                                                                 "from 0 in each transcript)."),
    show: int = typer.Option(12, "--show", min=0, help="Suggestions to print."),
    force: bool = typer.Option(False, "--force", help="Replace the outputs' files in an --out other than the "
                               "default."),
) -> None:
    """Import, segment, embed, fit on the coded half, suggest for the other half, and measure agreement."""
    import math
    import time

    from theme_assist.cli._console import say_done, table_console
    from rich.table import Table
    from rich.text import Text

    from theme_assist.cli.suggest import write_suggestions
    from theme_assist.demo import DEMO_CORPUS, run_demo
    from theme_assist.errors import InputError
    from theme_assist.inputs import check_outputs, refuse_replacing, write_table
    from theme_assist.refi.atomic import write_text_whole
    from theme_assist.segment import with_segmentation_of

    corpus = corpus or DEMO_CORPUS
    check_outputs({"--out": out}, {"--corpus": corpus}, folders=("--out",))  # fail before the work, not after it
    for name in OUTPUT_FILES:  # --force replaces a file, not a folder: the run stopped after the work, half written
        if (out / name).exists() and not (out / name).is_file():
            raise InputError(f"--out {out}: {out / name} is a folder (or another thing than a file) where the demo "
                             f"writes its {name}: move it, or give another --out")
    if out.resolve() != DEFAULT_OUT.resolve():  # another folder may hold a study's own suggestions.csv
        for name in OUTPUT_FILES:
            refuse_replacing({"--out": out / name}, force)
    console = table_console()
    started = time.perf_counter()
    with console.status("reading, segmenting, embedding and fitting the demo corpus…"):
        result = run_demo(corpus)
    segments = result.segments
    console.print(f"[bold]theme_assist demo[/] — {segments['document'].nunique()} illustrative transcripts, "
                  f"{len(segments)} speaker turns; fitted on {int((segments['half'] == 'train').sum())} coded turns, "
                  f"suggesting for {result.overall['segments_suggested']} (model {result.model_id})")

    text = segments.set_index("segment_id")
    table = Table(title="Suggestions (first turns of the uncoded half)", show_lines=True)
    for column in ("segment", "what was said", "suggested codes", "evidence (most similar coded quote)",
                   "reference"):
        table.add_column(column, overflow="fold")
    best = result.suggestions[result.suggestions["rank"] == 1]
    for _, row in best.head(show).iterrows():
        options = result.suggestions[result.suggestions["segment_id"] == row["segment_id"]]
        codes = "\n".join(f"{r.code or '— no code fits —'} {r.score:.2f}" for r in options.itertuples())
        quote = row["evidence"][0]["text"] if row["evidence"] else ""
        said = text.at[row["segment_id"], "text"]
        # as written: "[laughs]" is a transcript's, not a style (and "[/inaudible]" stopped the table)
        table.add_row(*map(Text, (f"{row['segment_id']}\n{text.at[row['segment_id'], 'speaker']}",
                                  said if len(said) < 220 else said[:217] + "…", codes,
                                  quote if len(quote) < 160 else quote[:157] + "…",
                                  text.at[row["segment_id"], "code"])))
    console.print(table)

    agreement = Table(title="Agreement with the reference coding, per code (presence/absence)")
    for column in ("code", "reference", "suggested", "agreed", "F1", "Cohen's κ"):
        agreement.add_column(column, justify="left" if column == "code" else "right")
    for row in result.per_code.itertuples():
        f1, kappa = ("n/a" if math.isnan(value) else f"{value:.2f}" for value in (row.f1, row.kappa))
        agreement.add_row(Text(row.code), str(row.reference), str(row.suggested), str(row.agreed), f1, kappa)
    console.print(agreement)
    overall = result.overall
    console.print(f"Overall (best code vs reference): accuracy {overall['accuracy']:.3f}, Cohen's κ "
                  f"{overall['kappa']:.3f}, macro-F1 {overall['macro_f1']:.3f}; reference code among the top 3: "
                  f"{overall['top3_recall']:.3f}; abstained on {overall['abstention_rate']:.1%} of turns (best score "
                  f"below the threshold); expected calibration error of the scores {overall['ece']:.3f}.")

    written: list[str] = []
    try:
        with ExitStack() as files:  # each written beside its place; put in place once all four are written
            placed = {name: files.enter_context(_placed(out / name, written)) for name in OUTPUT_FILES}
            write_table(segments, placed["segments.csv"])
            write_table(result.per_code, placed["agreement_per_code.csv"])
            write_suggestions(with_segmentation_of(result.suggestions, segments), placed["suggestions.csv"])
            write_text_whole(placed["agreement.json"], jsonout.dumps({"model": result.model_id, **overall},
                                                                     indent=2))
    except (InputError, OSError) as exc:
        why = str(exc) if isinstance(exc, InputError) else \
            f"{exc.strerror or exc}" + (f" ({exc.filename})" if exc.filename else "")
        done = [name for name in OUTPUT_FILES if name in written]
        left = [name for name in OUTPUT_FILES if name not in written]
        raise InputError(f"{why}: " + (f"only {', '.join(done)} written to {out}/ (not {', '.join(left)})" if done
                                       else f"nothing was written to {out}/")) from None
    say_done(console, f"outputs in {out}/ ({', '.join(OUTPUT_FILES)}) in {time.perf_counter() - started:.0f} s")


@contextmanager
def _placed(target: Path, written: list[str]) -> Iterator[Path]:
    """A temporary file beside ``target`` (through a link, beside the file it names) that replaces it when the
    block ends without an error; ``target``'s name is then added to ``written``."""
    from theme_assist.refi.atomic import atomic_file

    with atomic_file(target.resolve()) as temporary:
        yield temporary
    written.append(target.name)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
