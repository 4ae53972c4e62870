"""Speed of the core pipeline on this machine: segments per second for embedding and for suggesting.

Embedding is timed cold (a fresh, empty cache, so every segment is embedded) and warm (everything from the cache),
for the sentence embedding alone (what theme discovery without hidden layers needs) and with the hidden layers the
suggester uses (one pass of the model for both). Suggesting is timed for a fitted suggester on segments whose
embeddings and hidden layers are cached, so it measures the engine itself: features, head, ranking and evidence.
With ``--batch-sizes``, the cold embedding (with hidden layers, as the suggester does) is also timed at each
batch size, each on a fresh cache, in interleaved rounds (every size once per round, ``--rounds`` rounds) so that
other work on the machine slows them alike; the table gives each size's median, lowest and highest speed and the
load average. Writes ``evaluation/results/speed.{json,md}``.

    python evaluation/bench_speed.py [--segments 3000] [--batch-sizes 8,16,32,64,128 --rounds 3]

Uses AnnoMI utterances from ../shared when present, otherwise the demo corpus.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from theme_assist.embed import Embedder
from theme_assist.machine import write_results
from theme_assist.suggest import CodeSuggester


def load_segments(limit: int) -> tuple[pd.DataFrame, object, str]:
    from theme_assist.benchmarks import load_benchmark
    from theme_assist.errors import InputError

    try:
        bench = load_benchmark("annomi-therapist")
        return bench.segments.head(limit), bench.codebook, "AnnoMI (therapist behaviour)"
    except InputError:
        from theme_assist.demo import load_demo_corpus

        segments, codebook = load_demo_corpus()
        return segments.head(limit), codebook, "demo corpus"


def batch_size_list(value: str) -> list[int]:
    """``--batch-sizes``: comma-separated whole numbers of 1 or more."""
    try:
        sizes = [int(part) for part in value.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--batch-sizes must be whole numbers separated by commas, got {value!r}")
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"--batch-sizes must be 1 or more, got {value!r}")
    return sizes


def compare_batch_sizes(texts: list[str], model, layers, sizes: list[int], rounds: int) -> dict:
    """Cold embedding with hidden ``layers`` of ``texts`` at each batch size (``model`` already loaded), each on a
    fresh cache, sizes interleaved in ``rounds`` rounds; segments per second and the 1-minute load average per run,
    and each size's median, lowest and highest."""
    runs = []
    for round_number in range(rounds):
        for size in sizes:
            with tempfile.TemporaryDirectory() as cache:
                embedder = Embedder(cache_dir=cache, batch_size=size)
                embedder._model = model
                load = os.getloadavg()[0]
                started = time.perf_counter()
                embedder.encode_with_layers(texts, layers)
                runs.append({"round": round_number, "batch_size": size, "load_1min": round(load, 2),
                             "segments_per_s": round(len(texts) / (time.perf_counter() - started), 1)})
    summary = {}
    for size in sizes:
        speeds = [run["segments_per_s"] for run in runs if run["batch_size"] == size]
        summary[str(size)] = {"median_segments_per_s": round(statistics.median(speeds), 1),
                              "min_segments_per_s": min(speeds), "max_segments_per_s": max(speeds)}
    return {"rounds": rounds, "runs": runs, "summary": summary}


def batch_size_lines(comparison: dict, default: int) -> list[str]:
    """The Markdown table of :func:`compare_batch_sizes`'s result."""
    loads = [run["load_1min"] for run in comparison["runs"]]
    lines = ["", f"Embedding with hidden layers, cold cache, by batch size ({comparison['rounds']} interleaved rounds; "
                 f"the default is {default}; 1-minute load average {min(loads):.2f} to {max(loads):.2f}):", "",
             "| batch size | median segments/s | lowest | highest |", "|---|---|---|---|"]
    for size, row in comparison["summary"].items():
        lines.append(f"| {size} | {row['median_segments_per_s']} | {row['min_segments_per_s']} | "
                     f"{row['max_segments_per_s']} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--batch-sizes", type=batch_size_list, default=None,
                        help="also time cold embedding at these batch sizes, e.g. 8,16,32,64,128")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of --batch-sizes (default 3)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be 1 or more")
    segments, codebook, corpus = load_segments(args.segments)
    texts = segments["text"].astype(str).tolist()
    half = segments["document"].isin(sorted(segments["document"].unique())[::2])
    train, test = segments[half], segments[~half].drop(columns=["code"])
    results = {"corpus": corpus, "segments": len(segments),
               "mean_characters": round(float(segments["text"].str.len().mean()), 1)}
    with tempfile.TemporaryDirectory() as cache:
        cold = Embedder(cache_dir=cache)
        started = time.perf_counter()
        cold.load_model()
        results["model_load_s"] = round(time.perf_counter() - started, 2)
        layers = CodeSuggester().hidden_layers
        started = time.perf_counter()
        cold.encode(texts)
        results["embed_cold_segments_per_s"] = round(len(texts) / (time.perf_counter() - started), 1)
        with tempfile.TemporaryDirectory() as other_cache:
            fresh = Embedder(cache_dir=other_cache)
            fresh.load_model()
            started = time.perf_counter()
            fresh.encode_with_layers(texts, layers)
            results["embed_with_layers_cold_segments_per_s"] = round(len(texts) / (time.perf_counter() - started), 1)
        cold.encode_layers(texts, layers)
        warm = Embedder(cache_dir=cache)
        started = time.perf_counter()
        warm.encode(texts)
        results["embed_cached_segments_per_s"] = round(len(texts) / (time.perf_counter() - started), 1)
        started = time.perf_counter()
        warm.encode_with_layers(texts, layers)
        results["embed_with_layers_cached_segments_per_s"] = round(len(texts) / (time.perf_counter() - started), 1)

        suggester = CodeSuggester(embedder=warm)
        started = time.perf_counter()
        suggester.fit(train, codebook)
        results["fit_s"] = round(time.perf_counter() - started, 2)
        results["fit_coded_segments"] = int((train["code"] != "").sum())
        started = time.perf_counter()
        suggester.suggest(test)
        results["suggest_segments_per_s"] = round(len(test) / (time.perf_counter() - started), 1)
        results["suggest_segments"] = int(len(test))
        if args.batch_sizes:
            results["batch_sizes"] = compare_batch_sizes(texts, cold.load_model(), layers, args.batch_sizes,
                                                         args.rounds)
    results["load_average_at_end"] = list(os.getloadavg())
    lines = ["# Speed of the core pipeline", "",
             f"{results['segments']} segments of {corpus} (mean {results['mean_characters']} characters), default "
             "model all-MiniLM-L6-v2 on the CPU. Reproduce: `python evaluation/bench_speed.py`.", "",
             "| step | figure |", "|---|---|",
             f"| load the model (with sha256 check) | {results['model_load_s']} s |",
             f"| embed, cold cache | {results['embed_cold_segments_per_s']} segments/s |",
             f"| embed with hidden layers {list(layers)}, cold cache (one pass) | "
             f"{results['embed_with_layers_cold_segments_per_s']} segments/s |",
             f"| embed, cached | {results['embed_cached_segments_per_s']} segments/s |",
             f"| embed with hidden layers, cached | {results['embed_with_layers_cached_segments_per_s']} segments/s |",
             f"| fit on {results['fit_coded_segments']} coded segments (embeddings cached) | {results['fit_s']} s |",
             f"| suggest, top 3 with evidence (embeddings cached) | {results['suggest_segments_per_s']} segments/s |",
             "", f"Load average at the end of the run: {', '.join(f'{v:.2f}' for v in results['load_average_at_end'])} "
                 "(other work on the machine slows the figures)."]
    if args.batch_sizes:
        lines += batch_size_lines(results["batch_sizes"], Embedder.batch_size)
    write_results(args.out, "speed", {"results": results}, lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
