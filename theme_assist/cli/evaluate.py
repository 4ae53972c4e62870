"""``theme-assist evaluate``: how close to a human coder, on a benchmark or on the user's own coded data."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import List, Optional

import typer

from theme_assist import jsonout

logger = logging.getLogger(__name__)

BENCHMARK_RESULTS = Path("evaluation/results")
"""Where a benchmark's results go without --out; a coded CSV's go beside it, never among the benchmarks' (a team's
file named like a benchmark overwrote its results there, and a team's codes ended up in a repository folder)."""


def evaluate(
    corpus: List[str] = typer.Option(..., "--corpus", help="annomi-therapist, annomi-client, esconv, epitome-er, "
                                                           "epitome-ip, epitome-ex, or a coded CSV of your own "
                                                           "(with --codebook). Repeat for several."),
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="Codebook of a coded CSV given as --corpus."),
    coder: Optional[str] = typer.Option(None, "--coder", help="The coder to compare the engine with, in a coded CSV "
                                                              "with a coder column (several coders' codes); the "
                                                              "report sets the coders' agreement on the segments "
                                                              "they both coded beside the engine's."),
    folds: int = typer.Option(5, "--folds", min=2, help="Cross-validation folds (grouped by document)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the fold split and of the example sampling."),
    sizes: str = typer.Option("0,5,10,25,50,100,all", "--sizes", help="Learning curve: examples per code."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the JSON, Markdown and PNG (default: "
                                                           "evaluation/results for a benchmark, the folder of the "
                                                           "coded CSV for one of your own)."),
    model: Optional[str] = typer.Option(None, "--model", help="sentence-transformers model folder or cached name "
                                                              "for theme_assist (default: the packaged "
                                                              "all-MiniLM-L6-v2); its results are named after it."),
) -> None:
    """Cross-validate the suggester and the baselines, grouped by document, over a learning curve."""
    from theme_assist.cli._console import message_console, say_done, table_console
    from rich.table import Table

    from theme_assist.benchmarks import LOADERS, coded_benchmark, coded_benchmark_name, load_benchmark, safe_name
    from theme_assist.codebook import load_codebook
    from theme_assist.embed import Embedder
    from theme_assist.errors import InputError
    from theme_assist.evaluate import (GOALS, coders_agreement, cross_validate, default_engines, figure,
                                       per_code_summary, plot_learning_curve, reliability_notes, report_markdown,
                                       rough_note, summarise)
    from theme_assist.inputs import check_outputs
    from theme_assist.machine import describe_machine, machine_markdown
    from theme_assist.refi.atomic import write_text_whole

    try:
        size_list = [None if s.strip() == "all" else int(s) for s in sizes.split(",")]
    except ValueError:
        raise InputError(f"--sizes takes whole numbers and 'all' separated by commas, not {sizes!r}") from None
    if any(size is not None and size < 0 for size in size_list):
        raise InputError(f"--sizes {sizes}: examples per code cannot be negative")
    repeated = next((size for i, size in enumerate(size_list) if size in size_list[:i]), False)
    if repeated is not False:  # its folds were scored twice: per-code counts doubled, spreads shrunk
        raise InputError(f"--sizes {sizes} names {'all' if repeated is None else repeated} twice: give each size once")
    size_list.sort(key=lambda size: (size is None, size))  # the curve's x axis in its order: 'all,0,5' zigzagged
    check_outputs({"--out": out}, {}, folders=("--out",))
    console, said = table_console(), message_console(stderr=False)
    embedder = Embedder(model=model)
    model_id = embedder.model_id  # an unknown model is a one-line error before any work
    own = [name for name in corpus if name not in LOADERS]
    missing = next((name for name in own if not Path(name).exists()), None)
    if missing is not None:
        raise InputError(f"--corpus {missing!r} is neither a benchmark ({', '.join(LOADERS)}) nor a file")
    if own and codebook is None:
        raise InputError(f"{own[0]} is not a known benchmark; a coded CSV of your own needs --codebook")
    if codebook is not None and not own:
        logger.warning("--codebook is for a coded CSV of your own; the benchmarks use their own codebooks")
    if coder is not None and not own:
        logger.warning("--coder is for a coded CSV of your own with a coder column; the benchmarks have one code "
                       "per segment")
    names = [name if name in LOADERS else coded_benchmark_name(name, coder) for name in corpus]
    folders = [out if out is not None else BENCHMARK_RESULTS if name in LOADERS else Path(name).parent
               for name in corpus]
    targets = [(folder.resolve(), name) for folder, name in zip(folders, names)]
    clash = next((name for target, name in zip(targets, names) if targets.count(target) > 1), None)
    if clash is not None:
        raise InputError(f"--corpus names {clash!r} twice: both results would be written to evaluate_{clash}.*; "
                         "give each benchmark once, and files of one name in different folders different names")
    machine = describe_machine()
    for name, folder in zip(corpus, folders):
        if name in LOADERS:
            bench = load_benchmark(name)
        else:
            bench = coded_benchmark(name, load_codebook(codebook), coder)
        engines = default_engines(embedder)
        top_codes: dict | None = {} if bench.coders is not None else None
        with console.status(f"{bench.name}: embedding…") as status:
            results = cross_validate(bench.segments, bench.codebook, engines, sizes=size_list, n_folds=folds,
                                     seed=seed, progress=lambda message: status.update(f"{bench.name}: {message}"),
                                     top_codes=top_codes)
        summary = summarise(results)
        largest = "all" if None in size_list else max(size_list)
        per_code = per_code_summary(results, largest)
        coders = None
        if bench.coders is not None:  # the machine at the largest size, as the per-code table reads it
            coders = coders_agreement(bench.coders, top_codes[("theme_assist", largest)], bench.coder, largest,
                                      seed=seed)
            coders["notes"] += bench.coders_notes
        rough = rough_note(results)
        choices = len(bench.codebook.choices(set(bench.coded["code"])))
        # that the figures are rough first, then the benchmark's notes
        notes = [*([rough] if rough else []), *bench.notes,
                 *reliability_notes(results, per_code, choices, with_rough=False)]
        meta = {"corpus": bench.name, "citation": bench.citation, "n_folds": folds, "seed": seed,
                "n_segments": int(len(bench.coded)), "n_documents": int(bench.segments["document"].nunique()),
                "n_codes": int(bench.coded["code"].nunique()),
                "threshold": "1.5/K (K codes), at most 0.5" if bench.codebook.exclusive else
                "0.5 on each code's own score, as the codebook allows several codes per segment",
                "human_kappa": bench.human_kappa, "human_kappa_basis": bench.human_kappa_basis,
                "goal": GOALS.get(bench.name),
                "notes": notes,
                "embedding_model": model_id, "machine": machine,
                "machine_markdown": machine_markdown(machine)}
        if bench.coder is not None:  # whose the human codes are (the per-code table's human column): --coder's
            meta["coder"] = bench.coder
        if coders is not None:  # the key only where several coders coded some segments: the benchmarks' as before
            meta["coders_agreement"] = coders
        stem = folder / (f"evaluate_{bench.name}" if model is None else
                         f"evaluate_{bench.name}@{safe_name(Path(model).name)}")
        # a name's dots are its own ("evaluate_base.csv", "…@bge-v1.5"): with_suffix took its last part for a suffix
        written = {suffix: stem.with_name(stem.name + suffix) for suffix in (".json", ".md", ".png")}
        write_text_whole(written[".json"], jsonout.dumps(
            {**{k: v for k, v in meta.items() if k != "machine_markdown"},
             "summary": summary.to_dict(orient="records"), "per_code": per_code.to_dict(orient="records"),
             "folds": results.to_dict(orient="records")},
            indent=1))
        write_text_whole(written[".md"], report_markdown(bench.name, summary, meta, per_code))
        metric = meta["goal"][0] if meta["goal"] else "kappa"
        plot_learning_curve(bench.name, summary, written[".png"], metric=metric,
                            human_kappa=bench.human_kappa, goal=meta["goal"])

        table = Table(title=f"{bench.name} ({folds}-fold grouped CV)")
        for column in ("engine", "per code", "accuracy", "macro-F1", "κ", "top-3", "abstain", "ECE"):
            table.add_column(column)
        for row in summary.itertuples():
            # κ undefined in every fold (a note says where) reads n/a, its spread over one fold none: not "nan±nan"
            kappa = figure(row.kappa) + ("" if math.isnan(row.kappa_sd) else f"±{row.kappa_sd:.3f}")
            table.add_row(row.engine, str(row.per_code), figure(row.accuracy), figure(row.macro_f1), kappa,
                          figure(row.top3_recall), figure(row.abstention_rate), figure(row.ece))
        console.print(table)
        if coders is not None:
            _print_coders_agreement(console, bench.name, coders)
        if rough:  # a warning, not one note among the others
            logger.warning("%s: %s (the reports say so too)", bench.name, rough)
        if coders is not None and coders["rough"]:
            logger.warning("%s, the coders' agreement: %s (the reports say so too)", bench.name, coders["rough"])
        for note in meta["notes"]:  # one line each, as in a batch job's log
            if note != rough:
                said.print(f"Note: {note}.", markup=False, highlight=False)
        for note in coders["notes"] if coders is not None else []:
            if note != coders["rough"]:
                said.print(f"Note (the coders' agreement): {note}.", markup=False, highlight=False)
        say_done(said, f"{stem}.json / .md / .png")


def _print_coders_agreement(console, name: str, agreement: dict) -> None:
    """The table of :func:`~theme_assist.evaluate.coders_agreement`'s comparisons on ``console``."""
    from rich.markup import escape
    from rich.table import Table

    from theme_assist.evaluate import figure, in_place_sentence

    # which κ each row is, and the intervals' kind, as the Markdown report says: "all coders" is Fleiss' κ
    rows = agreement["comparisons"]
    kinds = [f"κ: {rows[0]['coefficient']}"] if rows else []
    kinds += [f"{row['comparison']}: {row['coefficient']}" for row in rows if row["kind"] == "humans"]
    interval = agreement["interval"]
    caption = "; ".join([*kinds, f"95% intervals: BCa bootstrap over segments, {interval['n_boot']:,} resamples, "
                                 f"seed {interval['seed']}"])
    # coders' names are the team's: "[ana]" is no markup
    table = Table(title=escape(f"{name}: the coders' agreement and {agreement['machine']}'s, on the "
                               f"{agreement['n_segments']} segments several coders coded"), caption=escape(caption))
    for column in ("comparison", "segments", "κ", "95% interval"):
        table.add_column(column)
    for row in agreement["comparisons"]:
        ci = row["ci"] or [None, None]
        table.add_row(escape(row["comparison"]), str(row["n_units"]), figure(row["kappa"]),
                      "n/a" if None in ci else f"{figure(ci[0])} to {figure(ci[1])}")
    console.print(table)
    console.print(in_place_sentence(agreement) + ".", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)
