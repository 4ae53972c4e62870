"""Does SetFit-style contrastive fine-tuning of the sentence-transformer close the few-shot gap?

Compares, in the grouped cross-validation of ``theme-assist evaluate`` (same folds, same seeded choice of coded
examples), :class:`~theme_assist.suggest.CodeSuggester` on the frozen all-MiniLM-L6-v2 embeddings with the same
suggester on a copy of the model fine-tuned on each training fold's coded examples
(:func:`theme_assist.finetune.finetune_embedder`). Writes ``evaluation/results/setfit.{json,md}``.

    python evaluation/bench_setfit.py [--corpus annomi-therapist --corpus esconv] [--per-code 10|all] [--folds 5]
        [--n-iterations 10] [--out evaluation/results]

A run replaces the rows of the corpora and sizes it measures and keeps the other rows of an earlier run.

The fine-tuned engine embeds only the training segments its head reads (the coded ones and their previous and next
segments) — the same features as embedding every training segment, at a fraction of the cost — and every test
segment, with a model that exists for one fold only (no embedding cache).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from theme_assist.benchmarks import load_benchmark
from theme_assist.embed import Embedder
from theme_assist.evaluate import Engine, cross_validate, summarise
from theme_assist.features import neighbour_index
from theme_assist.finetune import FinetuneParams, finetune_embedder
from theme_assist.machine import git_commit, write_results
from theme_assist.suggest import CodeSuggester

CORPORA = ["annomi-therapist", "esconv"]


def rows_the_head_reads(segments: pd.DataFrame) -> pd.DataFrame:
    """The coded rows of ``segments`` and their previous and next rows of the same document, in order.

    A coded row keeps the same neighbours in the result, so the suggester's features of coded rows are unchanged.
    """
    coded = np.flatnonzero((segments["code"] != "").to_numpy())
    previous, following = neighbour_index(segments)
    rows = np.union1d(coded, np.r_[previous[coded], following[coded]])
    return segments.iloc[rows[rows >= 0]]


class SetFitSuggester:
    """A :class:`CodeSuggester` on an embedder fine-tuned on the coded segments it is fitted on."""

    def __init__(self, params: FinetuneParams | None = None, **suggester_params):
        self.params = params
        self.suggester_params = suggester_params

    def fit(self, coded: pd.DataFrame | None, codebook):
        train = rows_the_head_reads(coded)
        examples = train[train["code"] != ""]
        started = time.perf_counter()
        embedder = finetune_embedder(examples["text"].tolist(), examples["code"].tolist(), Embedder(cache_dir=""),
                                     self.params)
        self.finetune_seconds_ = time.perf_counter() - started
        self.suggester_ = CodeSuggester(embedder=embedder, **self.suggester_params).fit(train, codebook)
        self.threshold_ = self.suggester_.threshold_
        return self

    def predict_proba(self, segments: pd.DataFrame) -> pd.DataFrame:
        return self.suggester_.predict_proba(segments)


EARLIER_COMMIT = "c146b3b"
"""Where the rows written before rows carried their commit were measured (see the committed setfit.md)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append", help="benchmark name (repeatable)")
    parser.add_argument("--per-code", type=lambda v: None if v == "all" else int(v), action="append",
                        help="coded examples per code, or 'all' (repeatable)")
    parser.add_argument("--n-iterations", type=int, default=FinetuneParams.n_iterations,
                        help="SetFit's rounds of pair sampling (fewer: faster fine-tuning on many examples)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    params = FinetuneParams(n_iterations=args.n_iterations)
    sizes = tuple(args.per_code or [10])
    engines = [Engine("frozen", CodeSuggester), Engine("setfit", lambda: SetFitSuggester(params))]
    corpora = args.corpus or CORPORA
    measured = {(name, "all" if size is None else size) for name in corpora for size in sizes}
    rows, per_fold = earlier_rows(args.out / "setfit.json", measured)
    commit = git_commit()[:7]
    for name in corpora:
        bench = load_benchmark(name)
        results = cross_validate(bench.segments, bench.codebook, engines, sizes=sizes, n_folds=args.folds,
                                 progress=lambda message: print(name, message, flush=True))
        per_fold += [{"corpus": name, **row} for row in results.to_dict(orient="records")]
        for row in summarise(results).to_dict(orient="records"):
            rows.append({"corpus": name, **row, "commit": commit})
            print(f"{name:18s} {row['engine']:8s} {row['per_code']:>4} kappa {row['kappa']:.3f} "
                  f"macro-F1 {row['macro_f1']:.3f} s/fold {row['seconds']:.0f}", flush=True)
        write(args.out, rows, per_fold, params, args.folds)


def earlier_rows(path: Path, replaced: set[tuple[str, int]]) -> tuple[list[dict], list[dict]]:
    """Summary and per-fold rows of an earlier run in ``path``, without those of the ``(corpus, per code)``
    pairs being measured again."""
    if not path.exists():
        return [], []
    earlier = json.loads(path.read_text())
    return tuple([row for row in earlier[key] if (row["corpus"], row["per_code"]) not in replaced]
                 for key in ("rows", "per_fold"))


def write(out: Path, rows: list[dict], per_fold: list[dict], params: FinetuneParams, n_folds: int) -> None:
    lines = ["# SetFit-style fine-tuning vs frozen embeddings", "",
             f"{n_folds}-fold cross-validation grouped by document (seed 0), the same folds and the same seeded "
             "choice of coded examples per code for both engines. `frozen`: `CodeSuggester()` on all-MiniLM-L6-v2 "
             "as shipped; `setfit`: the same suggester on a copy of the model fine-tuned on the training fold's "
             f"coded examples (cosine-similarity loss on SetFit pairs; {json.dumps(params.__dict__)}). Seconds per "
             "fold include fine-tuning and embedding the test fold (frozen: embeddings from the cache). "
             "Reproduce: `python evaluation/bench_setfit.py`.", "",
             "Rows keep the commit they were measured at: an earlier run's rows stay until their sizes are run again "
             "(`c146b3b`: the engine before hidden-layer features).", "",
             "| corpus | per code | engine | κ | κ sd | macro-F1 | macro-F1 sd | accuracy | s/fold | commit |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    ordered = sorted(rows, key=lambda r: (r["corpus"], r["per_code"] == "all", str(r["per_code"]).zfill(6)))
    lines += [f"| {r['corpus']} | {r['per_code']} | {r['engine']} | {r['kappa']:.3f} | {r['kappa_sd']:.3f} | "
              f"{r['macro_f1']:.3f} | {r['macro_f1_sd']:.3f} | {r['accuracy']:.3f} | {r['seconds']:.0f} | "
              f"{r.get('commit', EARLIER_COMMIT)} |" for r in ordered]
    lines += ["", "Paired difference setfit − frozen over the same folds:", ""]
    folds = pd.DataFrame(per_fold).pivot_table(index=["corpus", "per_code", "fold"], columns="engine",
                                               values=["kappa", "macro_f1"])
    for (corpus, per_code), paired in folds.groupby(level=["corpus", "per_code"]):
        gain = paired.xs("setfit", axis=1, level="engine") - paired.xs("frozen", axis=1, level="engine")
        lines.append(f"- {corpus}, {per_code} per code: κ {gain['kappa'].mean():+.3f} (better in "
                     f"{int((gain['kappa'] > 0).sum())} of {len(gain)} folds), macro-F1 {gain['macro_f1'].mean():+.3f}")
    write_results(out, "setfit", {"n_folds": n_folds, "finetune_params": params.__dict__, "rows": rows,
                                  "per_fold": per_fold}, lines)


if __name__ == "__main__":
    main()
