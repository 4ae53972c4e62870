"""Simulated coder: how many review decisions until the rest of a corpus is pre-coded at Cohen's κ ≥ 0.6?

A simulated coder reviews segments of a human-coded benchmark (``theme_assist.benchmarks``) and always answers
with the human code. After every ``--batch`` decisions the engine refits — as ``theme-assist review`` does
with ``--refit-every`` — on the answers so far, and pre-codes every segment not yet reviewed with its best code;
κ between that pre-coding and the human codes of those segments is recorded. Two review orders are compared:

* ``document``: transcripts in order, each from its first coded segment to its last (what a coder does
  without help);
* ``active``: the review queue of :mod:`theme_assist.project.active` (uncertainty + diversity), reordered at
  every refit.

Both start from the codebook alone (zero-shot). To stay within ~10 minutes on 2 CPU cores the corpus is
subsampled by whole transcripts (``--documents``); the result says how many.

Usage::

    python evaluation/simulate_coder.py --benchmark annomi-therapist --documents 40
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from theme_assist.agree import cohen_kappa
from theme_assist.benchmarks import load_benchmark
from theme_assist.embed import Embedder
from theme_assist.machine import write_results
from theme_assist.project.active import active_order, score_margin_uncertainty
from theme_assist.suggest import CodeSuggester

RESULTS = Path(__file__).resolve().parent / "results"
STRATEGIES = ("active", "document")


class MemoEmbedder:
    """An embedder that holds the vectors of a fixed set of texts in memory (embedded once, up front), and their
    hidden layers once asked for, so the suggester refits on the same representation as with an ``Embedder``."""

    def __init__(self, embedder: Embedder, texts: list[str]):
        self.model_id = embedder.model_id
        self._embedder = embedder
        unique = sorted(set(texts))
        self._vectors = dict(zip(unique, embedder.encode(unique)))
        self._layers: dict[tuple[int, ...], dict[str, np.ndarray]] = {}

    def encode(self, texts, show_progress: bool = False) -> np.ndarray:
        missing = [t for t in texts if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self._embedder.encode(missing)))
        return np.vstack([self._vectors[t] for t in texts]) if len(texts) else np.zeros((0, 384), np.float32)

    def encode_with_layers(self, texts, layers) -> tuple[np.ndarray, np.ndarray]:
        memo = self._layers.setdefault(tuple(layers), {})
        missing = [t for t in dict.fromkeys(texts) if t not in memo]
        if missing:
            memo.update(zip(missing, self._embedder.encode_layers(missing, tuple(layers))))
        return self.encode(texts), np.vstack([memo[t] for t in texts])


def subsample(segments: pd.DataFrame, n_documents: int, seed: int) -> pd.DataFrame:
    """Whole transcripts, chosen at random, kept in their original order."""
    documents = segments["document"].drop_duplicates().tolist()
    if n_documents and n_documents < len(documents):
        chosen = set(np.random.default_rng(seed).choice(documents, size=n_documents, replace=False))
        segments = segments[segments["document"].isin(chosen)]
    return segments.reset_index(drop=True)


def simulate(segments: pd.DataFrame, codebook, embedder, strategy: str, batch: int, max_decisions: int,
             diversity: float, log) -> list[dict]:
    """Run one simulated review; returns the learning curve: decisions, κ and accuracy on the unreviewed rest."""
    truth = segments["code"].to_numpy()
    targets = np.flatnonzero(truth != "")
    vectors = embedder.encode(segments["text"].tolist())
    labelled = np.zeros(len(segments), dtype=bool)
    curve = []
    while True:
        table = segments.assign(code=np.where(labelled, truth, ""))
        suggester = CodeSuggester(embedder=embedder, threshold=0.0).fit(table, codebook)
        scores = suggester.predict_proba(segments).to_numpy()
        rest = targets[~labelled[targets]]
        predicted = np.asarray(suggester.classes_)[scores[rest].argmax(axis=1)]
        kappa = cohen_kappa(list(truth[rest]), list(predicted)).value
        curve.append({"decisions": int(labelled.sum()), "kappa": round(float(kappa), 4),
                      "accuracy": round(float((predicted == truth[rest]).mean()), 4), "mode": suggester.mode_})
        log(f"{strategy:>8} {curve[-1]['decisions']:4d} decisions  κ = {kappa:.3f}")
        if labelled.sum() >= max_decisions or not len(rest):
            return curve
        if strategy == "document":
            picked = rest[:batch]
        else:
            uncertainty = score_margin_uncertainty(scores[rest])
            order = active_order(uncertainty, vectors[rest], vectors[targets[labelled[targets]]],
                                 diversity=diversity, horizon=batch)
            picked = rest[order[:batch]]
        labelled[picked] = True


def first_reaching(curve: list[dict], target: float) -> int | None:
    return next((point["decisions"] for point in curve if point["kappa"] >= target), None)


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4.2))
    for strategy, style in zip(STRATEGIES, ("-", "--")):
        for run in results["runs"]:
            curve = run["curves"][strategy]
            axis.plot([p["decisions"] for p in curve], [p["kappa"] for p in curve], style,
                      label=f"{strategy} order (seed {run['seed']})", alpha=0.9)
    axis.axhline(results["target_kappa"], color="grey", linewidth=0.8)
    axis.text(2, results["target_kappa"] + 0.01, f"κ = {results['target_kappa']}", color="grey", fontsize=8)
    if results.get("human_kappa"):
        axis.axhline(results["human_kappa"], color="grey", linestyle=":", linewidth=0.8)
        axis.text(2, results["human_kappa"] + 0.01, f"human–human κ = {results['human_kappa']}", color="grey",
                  fontsize=8)
    axis.set_xlabel("review decisions by the simulated coder")
    axis.set_ylabel("Cohen's κ, pre-coding of the unreviewed rest")
    axis.set_title(f"{results['benchmark']}: {results['n_documents'] or results['documents_in_corpus']} transcripts, "
                   f"{results['n_coded']} coded segments",
                   fontsize=10)
    axis.set_ylim(min(0.0, axis.get_ylim()[0]), 1.0)
    axis.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=130)


def markdown(results: dict) -> list[str]:
    """The page's lines (without the machine's paragraph) for results as the JSON file holds them."""
    every = results["documents_in_corpus"]
    subset = (f"all {every} transcripts, no subsampling" if not results["n_documents"] or results["n_documents"] >= every
              else f"{results['n_documents']} of {every} transcripts chosen at random per seed; coded segments "
                   "averaged over seeds")
    lines = [f"# Simulated coder: active vs document order ({results['benchmark']})", "",
             f"A simulated coder answers with the human codes of {results['benchmark']} ({subset}, "
             f"{results['n_coded']} coded segments). The engine refits after every {results['batch']} "
             f"decisions and pre-codes the unreviewed rest; κ is Cohen's κ of that pre-coding against the human "
             f"codes. Target κ ≥ {results['target_kappa']}"
             + (f" (published human–human κ: {results['human_kappa']})." if results.get("human_kappa") else "."), "",
             "| seed | order | decisions to κ ≥ target | κ at 100 | κ at 200 | best κ (at decisions) |",
             "|---:|---|---:|---:|---:|---|"]
    for run in results["runs"]:
        for strategy in STRATEGIES:
            curve = run["curves"][strategy]
            at = {p["decisions"]: p["kappa"] for p in curve}
            best = max(curve, key=lambda p: p["kappa"])
            reached = run["decisions_to_target"][strategy]
            lines.append(f"| {run['seed']} | {strategy} | {reached if reached is not None else 'not reached'} | "
                         f"{at.get(100, float('nan')):.3f} | {at.get(200, float('nan')):.3f} | "
                         f"{best['kappa']:.3f} ({best['decisions']}) |")
    return lines + ["", f"![learning curves]({results['figure']})", "",
                    f"Wall time {results['seconds']:.0f} s. Reproduce: `python evaluation/simulate_coder.py "
                    f"{results['command']}`"]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmark", default="annomi-therapist")
    parser.add_argument("--documents", type=int, default=40, help="transcripts per run (0: all)")
    parser.add_argument("--batch", type=int, default=20, help="decisions between refits")
    parser.add_argument("--max-decisions", type=int, default=400)
    parser.add_argument("--target", type=float, default=0.6)
    parser.add_argument("--diversity", type=float, default=0.5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--out", type=Path, default=RESULTS / "active_learning")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    benchmark = load_benchmark(args.benchmark)
    base = Embedder()
    runs = []
    for seed in args.seeds:
        segments = subsample(benchmark.segments, args.documents, seed)
        embedder = MemoEmbedder(base, segments["text"].tolist())
        curves = {strategy: simulate(segments, benchmark.codebook, embedder, strategy, args.batch,
                                     args.max_decisions, args.diversity, log=print) for strategy in STRATEGIES}
        runs.append({"seed": seed, "n_segments": len(segments), "n_coded": int((segments["code"] != "").sum()),
                     "curves": curves,
                     "decisions_to_target": {s: first_reaching(c, args.target) for s, c in curves.items()}})
    out = args.out
    results = {
        "benchmark": args.benchmark, "citation": benchmark.citation, "human_kappa": benchmark.human_kappa,
        "documents_in_corpus": int(benchmark.segments["document"].nunique()), "n_documents": args.documents,
        "n_coded": int(np.mean([r["n_coded"] for r in runs])), "batch": args.batch, "target_kappa": args.target,
        "diversity": args.diversity, "max_decisions": args.max_decisions, "runs": runs,
        "figure": out.with_suffix(".png").name, "seconds": round(time.perf_counter() - started, 1),
        "embedding_model": base.model_id,
        "command": " ".join(f"--{k.replace('_', '-')} {' '.join(map(str, v)) if isinstance(v, list) else v}"
                            for k, v in vars(args).items() if k != "out"),
    }
    results["machine"] = write_results(out.parent, out.name, results, markdown)
    plot(results, out.with_suffix(".png"))
    print(f"wrote {out.with_suffix('.json')}, .md and .png in {results['seconds']:.0f} s")
    return results


if __name__ == "__main__":
    main()
