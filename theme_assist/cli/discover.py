"""``theme-assist discover``: candidate themes in the segments the codebook does not explain."""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import List, Optional

import typer

from theme_assist.cli._console import counted, say_done, skipped_segments
from theme_assist.cli._options import MAX_CHARS, MODEL, RECURSIVE, UNIT

QUOTE_CHARS = 70
ZERO_SHOT_FEW_EXPLAINED = 0.1
"""Below this share of segments explained by a codebook alone, a note says that nearly all are clustered."""


def themes_table(discoverer, by: str | None):
    """A rich table of the themes: id, label over the most typical quote, size, stability, documents, nearest code
    (with a codebook) and spread (with ``by``), with a caption that says how to read stability and spread. Numbers
    never wrap; the text wraps to fit an 80-column terminal."""
    import pandas as pd
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from theme_assist.discover import AllSegments
    from theme_assist.discover.spread import NO_VALUE

    themes = discoverer.themes_
    with_codes = bool((themes["nearest_code"] != "").any()) if len(themes) else False
    summary = getattr(discoverer, "summary_", {})
    resampled = "a sample of the segments is clustered again"
    if summary.get("n_resamples"):
        share, cap = summary["resample_fraction"], summary.get("max_resample_rows")
        sample = (f"{cap:,} of the segments are" if cap and share * summary["n_selected"] > cap
                  else f"{share:.0%} of the segments are")
        resampled = f"{sample} clustered again, {counted(summary['n_resamples'], 'time')}"
    caption = [f"stab.: how well the theme re-forms when {resampled} (mean best-match Jaccard, 0-1: 0.75 and above "
               "re-forms reliably, below 0.5 may be an artefact of this sample; - with --resamples 0)"]
    if by:
        # --all-segments, or no codebook: the spread is over every segment, the explained ones too
        among = [] if summary.get("selection") == AllSegments.name else ["of those no code explains"]
        among += ["minimal responses left out"] if summary.get("n_minimal") else []
        among += ["skipped speakers left out"] if summary.get("n_skipped_speakers") else []
        caption.append(f"by {by}: the share of each {by}'s segments that fall in the theme "
                       f"({''.join(part + '; ' for part in among)}top 3)")
        if any(NO_VALUE in rates for rates in themes["spread_rate"]):
            caption.append(f"{NO_VALUE}: documents with no {by} in the metadata")
    # a field's name is no markup: "arm [treatment/control]" lost its brackets, "[/x]" was a MarkupError
    table = Table(title=counted(len(themes), "candidate theme"), show_lines=True, caption=escape("; ".join(caption)))
    table.add_column("theme", no_wrap=True)
    table.add_column("label / typical quote", min_width=12, ratio=3)
    for column in ("size", "stab.", "docs"):
        table.add_column(column, justify="right", no_wrap=True)
    if with_codes:
        table.add_column("nearest code", ratio=1, min_width=8, overflow="fold")
    if by:
        table.add_column(escape(f"by {by}"), ratio=1, min_width=8, overflow="fold")
    for _, theme in themes.iterrows():
        quote = " ".join(theme["quotes"][0]["text"].split()) if theme["quotes"] else ""
        quote = quote if len(quote) <= QUOTE_CHARS else quote[: QUOTE_CHARS - 1] + "…"
        cells = [theme["theme"], Text.assemble((theme["label"], "bold"), "\n", (f"“{quote}”", "dim")),
                 str(theme["size"]), "-" if pd.isna(theme["stability"]) else f"{theme['stability']:.2f}",
                 str(theme["n_documents"])]
        if with_codes:
            cells.append(Text(f"{theme['nearest_code']} ({theme['nearest_code_similarity']:.2f})"
                              if theme["nearest_code"] else ""))
        if by:
            top = sorted(theme["spread_rate"].items(), key=lambda item: (-item[1], item[0]))[:3]
            cells.append(Text(", ".join(f"{value} {rate:.2f}" for value, rate in top)))  # values as written
        table.add_row(*cells)
    return table


def discover(
    input: Path = typer.Option(..., "--input", help="SEGMENTS.csv (segment_id, text; optional document, speaker) "
                                                     "or a transcript file or folder."),
    out: Path = typer.Option(..., "--out", help="Where to write the themes JSON."),
    metadata: Optional[Path] = typer.Option(None, "--metadata", help="Document metadata CSV (document, site, …)."),
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="Codebook YAML: segments its codes explain "
                                                                    "are left out, and each theme gets its "
                                                                    "nearest code."),
    train: Optional[Path] = typer.Option(None, "--train", help="CODED.csv to fit the suggestion engine on "
                                                               "(with --codebook; zero-shot without)."),
    coder: Optional[str] = typer.Option(None, "--coder", help="With --train: fit on this coder's rows only (a "
                                                              "coded table with a coder column)."),
    all_segments: bool = typer.Option(False, "--all-segments", help="Cluster every segment, also those a code "
                                                                   "explains."),
    explained: Optional[float] = typer.Option(None, "--explained",
                                              help="A segment whose best code scores this much is explained "
                                                   "(with --codebook; default 0.5)."),
    min_size: Optional[int] = typer.Option(None, "--min-size", help="Smallest theme in segments "
                                                                          "(default: grows with the corpus)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed; the same seed gives the same themes."),
    by: Optional[str] = typer.Option(None, "--by", help="Metadata field to spread themes over (site, "
                                                        "income_group, …); needs --metadata."),
    clusterer: str = typer.Option("auto", "--clusterer", help="auto, hdbscan, agglomerative or kmeans."),
    resamples: int = typer.Option(10, "--resamples", help="Resamples for the stability score (0: off)."),
    keep_minimal: bool = typer.Option(False, "--keep-minimal", help="Cluster minimal responses too (\"Mm-hmm.\", "
                                                                    "\"Yeah, definitely.\", \"Thank you.\"), "
                                                                    "which are otherwise set aside."),
    skip_speaker: List[str] = typer.Option([], "--skip-speaker", metavar="NAME",
                                           help="Leave out this speaker's turns (Interviewer, Moderator): neither "
                                                "clustered nor explained. Repeat for several; case is ignored."),
    language: str = typer.Option("en", "--language", metavar="CODE",
                                 help="Language of the transcripts without one in a 'language' column of "
                                      "--metadata (ISO 639-1: de, he, hi, mr, lg, sw): labels are made of its "
                                      "words."),
    codebook_out: Optional[Path] = typer.Option(None, "--codebook-out", help="Also write the themes as a YAML "
                                                                            "codebook fragment of candidate codes "
                                                                            "(without themes, a comment that says "
                                                                            "so)."),
    model: Optional[str] = MODEL,
    recursive: bool = RECURSIVE,
    unit: str = UNIT,
    max_chars: int = MAX_CHARS,
    force: bool = typer.Option(False, "--force", help="Replace an --out or --codebook-out that is a codebook (YAML "
                                                      "with codes: one written by hand, or an earlier "
                                                      "--codebook-out); other files are replaced anyway."),
) -> None:
    """Discover candidate themes in INPUT, with labels, quotes, stability and cross-site spread."""
    from rich.markup import escape

    from theme_assist.cli._console import message_console, table_console

    from theme_assist.codebook import load_codebook, looks_like_codebook
    from theme_assist.discover import AllSegments, ThemeDiscoverer, UnexplainedSegments
    from theme_assist.discover.cluster import CLUSTERERS
    from theme_assist.discover.discoverer import segment_languages
    from theme_assist.discover.label import language_code
    from theme_assist.discover.fragment import NO_THEMES_FRAGMENT
    from theme_assist.documents import SEGMENT_COLUMNS
    from theme_assist.segment import SEGMENTATION_COLUMN, check_speaker_names
    from theme_assist.embed import Embedder
    from theme_assist.errors import InputError
    from theme_assist.ingest import skipped_as_unsupported, skipped_note
    from theme_assist.inputs import check_outputs, read_coded, read_segments
    from theme_assist.refi.atomic import write_text_whole

    console = message_console()
    started = time.perf_counter()
    # ranges are checked here, not by typer, so that a bad value is a one-line error like every other
    if min_size is not None and min_size < 2:
        raise InputError(f"--min-size {min_size}: the smallest theme must have at least 2 segments")
    if resamples < 0:
        raise InputError(f"--resamples {resamples}: give 0 (no stability score) or more")
    if explained is not None and (not codebook or all_segments):
        without = "with --all-segments" if codebook else "without --codebook"
        warnings.warn(f"--explained {explained} has no effect {without}: every segment is clustered")
    explained = 0.5 if explained is None else explained
    if not 0.0 <= explained <= 1.0:
        raise InputError(f"--explained {explained}: give a score between 0 and 1")
    if clusterer not in CLUSTERERS:
        raise InputError(f"--clusterer {clusterer}: choose one of {', '.join(CLUSTERERS)}")
    if train and not codebook:
        raise InputError("--train needs --codebook (the codes the coded segments use)")
    if coder is not None and not train:
        raise InputError("--coder chooses whose rows of --train CODED.csv to fit on: give --train too")
    if by and not metadata:
        raise InputError(f"--by {by} needs --metadata (the table with the {by} of each document)")
    language = language_code(language, "--language")
    check_speaker_names(skip_speaker, "--skip-speaker")  # before the transcripts are read and the codebook fitted
    check_outputs({"--out": out, "--codebook-out": codebook_out},
                  {"--input": input, "--metadata": metadata, "--codebook": codebook, "--train": train})
    for option, path in (("--out", out), ("--codebook-out", codebook_out)):
        if path is not None and not force and path.is_file() and looks_like_codebook(path):
            raise InputError(f"{option} {path} exists and is a codebook, which may be someone's only copy (use "
                             "--force to replace it)")
    book = load_codebook(codebook) if codebook else None
    # before the input is read and anything embedded: a code not in the codebook is refused in seconds
    coded = None if train is None else read_coded(
        train, without="to judge segments by the codebook alone, leave out --train", coder=coder, codebook=book)
    with skipped_as_unsupported() as skipped:
        segments = read_segments(input, unit=unit, max_chars=max_chars, metadata=metadata, recursive=recursive)
    fields = [column for column in segments.columns if column not in (*SEGMENT_COLUMNS, SEGMENTATION_COLUMN)]
    if by and by not in fields:
        raise InputError(f"--by {by}: no such field in {metadata} (fields: {', '.join(fields) or 'none'})")
    segment_languages(segments, language)  # a language that is no code is refused before anything is embedded
    embedder = Embedder(model=model, show_progress=True)
    suggester = None
    if book is not None:
        from theme_assist.suggest import CodeSuggester, uncalibrated_note

        with console.status("fitting the suggestion engine…"):
            suggester = CodeSuggester(embedder=embedder, random_state=seed).fit(coded, book)
        if (note := uncalibrated_note(suggester)) and not all_segments:
            console.print(f"[yellow]note:[/] {note}, so --explained {explained} is compared with uncalibrated "
                          "scores", highlight=False)
    discoverer = ThemeDiscoverer(
        embedder=embedder, selector=AllSegments() if all_segments else UnexplainedSegments(explained),
        clusterer=clusterer, min_size=min_size, n_resamples=resamples, by=by, keep_minimal=keep_minimal,
        skip_speakers=tuple(skip_speaker), language=language, random_state=seed)
    with console.status(f"discovering themes in {len(segments)} segments…"):
        discoverer.fit(segments, suggester=suggester)
    write_text_whole(out, discoverer.to_json())
    summary = discoverer.summary_
    skipped_speakers = ""
    if summary.get("n_skipped_speakers"):
        skipped_speakers = f", {skipped_segments(summary['skipped_speakers'])}"
    if len(discoverer.themes_):
        table_console().print(themes_table(discoverer, by))
    for note in summary["notes"]:
        console.print(f"[yellow]note:[/] {escape(note)}")  # notes quote segments, which may hold "[laughs]"
    scored = summary["n_segments"] - summary.get("n_skipped_speakers", 0)  # skipped turns are neither
    if suggester is not None and suggester.mode_ == "zero-shot" and not all_segments and scored \
            and summary["n_explained"] < ZERO_SHOT_FEW_EXPLAINED * scored:
        aside = " (skipped speakers' turns aside)" if summary.get("n_skipped_speakers") else ""
        console.print(f"[yellow]note:[/] with the codebook alone, {summary['n_explained']} of "
                      f"{counted(scored, 'segment')}{aside} score --explained {explained} or more (its scores share "
                      "one segment among the codes, and seldom reach that), so nearly all are clustered: give "
                      "--train, or a lower --explained", highlight=False)
    if codebook_out:
        # without themes too: an earlier run's candidates left in place were read as this run's
        write_text_whole(codebook_out, discoverer.to_codebook_fragment() if len(discoverer.themes_)
                         else NO_THEMES_FRAGMENT)
        if not len(discoverer.themes_):
            console.print(f"[yellow]note:[/] no themes, so the codebook fragment {escape(str(codebook_out))} holds "
                          "no candidate code, only a comment that says so")
    # "none": nothing was clustered (too few segments, as a note said), which is no clusterer's name
    clusterer = "" if summary["clusterer"] == "none" else f", {summary['clusterer']}"
    say_done(
        console,
        f"{counted(summary['n_segments'], 'segment')}, {summary['n_selected']} to cluster "
        f"({summary['n_explained']} explained by a code{skipped_speakers}"
        f"{', ' + counted(summary['n_minimal'], 'minimal response') + ' set aside' if summary['n_minimal'] else ''}), "
        f"{counted(summary['n_themes'], 'theme')}, "
        f"{summary['n_unclustered']} unclustered ({summary['outlier_share']:.1%}){clusterer} "
        f"→ {out} ({time.perf_counter() - started:.1f} s)" + skipped_note(skipped)
    )


def register(app: typer.Typer) -> None:
    app.command("discover")(discover)
