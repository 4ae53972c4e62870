"""Which parts of the suggestion engine earn their place? An ablation on the benchmark corpora.

Runs :class:`~theme_assist.suggest.CodeSuggester` with one feature block or setting changed at a time, and the
alternatives to a trained head that the issue asked to try (k-nearest coded neighbours, code prototypes from
definitions and examples; :mod:`theme_assist.baselines`), in the same 5-fold grouped cross-validation as
``theme-assist evaluate`` (all coded examples, or ``--per-code N`` of each code, chosen as ``evaluate`` chooses
them), and writes ``evaluation/results/ablation.{json,md}``.

    python evaluation/ablation.py [--corpus annomi-therapist --corpus esconv ...]
    python evaluation/ablation.py --per-code 10 --name ablation_10_per_code  # the settings when coding starts
    python evaluation/ablation.py --variant default --variant "no hidden layers" --name hidden_layers  # a subset
"""

from __future__ import annotations

import argparse
from pathlib import Path

from theme_assist.baselines import NearestNeighboursEngine, PrototypeEngine
from theme_assist.benchmarks import load_benchmark
from theme_assist.evaluate import Engine, cross_validate, summarise
from theme_assist.machine import reproduce_options, rerun_command, write_results
from theme_assist.suggest import CodeSuggester

VARIANTS = {
    "default": {},
    "no hidden layers": {"hidden_layers": ()},
    "no context": {"context_weight": 0.0},
    "context weight 1.0": {"context_weight": 1.0},
    "no TF-IDF": {"tfidf_weight": 0.0},
    "embedding only": {"context_weight": 0.0, "tfidf_weight": 0.0},
    "C = 0.3": {"C": 0.3},
    "C = 3": {"C": 3.0},
    "no calibration": {"calibrate": False},
    "no prior correction": {"prior_correction": False},
}
ALTERNATIVES = {"k-NN (15) on embeddings": NearestNeighboursEngine, "prototypes (mean embedding)": PrototypeEngine}
CORPORA = ["annomi-therapist", "annomi-client", "esconv", "epitome-er"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append", help="benchmark name (repeatable)")
    parser.add_argument("--variant", action="append", choices=[*VARIANTS, *ALTERNATIVES],
                        help="only these variants (repeatable; default: all)")
    parser.add_argument("--per-code", type=int, help="coded segments kept per code in the training folds "
                        "(default: all)")
    parser.add_argument("--name", default="ablation", help="stem of the result files")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    if args.per_code is not None and args.per_code < 0:
        parser.error("--per-code cannot be negative (0: the codebook alone)")
    chosen = args.variant or [*VARIANTS, *ALTERNATIVES]
    rows = []
    for name in args.corpus or CORPORA:
        bench = load_benchmark(name)
        engines = [Engine(label, lambda params=params: CodeSuggester(**params))
                   for label, params in VARIANTS.items() if label in chosen]
        engines += [Engine(label, make) for label, make in ALTERNATIVES.items() if label in chosen]
        summary = summarise(cross_validate(bench.segments, bench.codebook, engines, sizes=(args.per_code,)))
        for row in summary.to_dict(orient="records"):
            rows.append({"corpus": name, **row})
            print(f"{name:18s} {row['engine']:20s} kappa {row['kappa']:.3f} macro-F1 {row['macro_f1']:.3f}", flush=True)
    options = reproduce_options(args, args.corpus or CORPORA, chosen, "ablation")
    lines = ["# Ablation of the suggestion engine", "",
             "5-fold cross-validation grouped by document (seed 0), "
             + ("all coded examples" if args.per_code is None else f"{args.per_code} coded examples per code")
             + "; one change at a time from "
             "the default (hidden layers -2, -3, -4 beside the sentence embedding, `context_weight=0.5`, "
             "`tfidf_weight=1.0`, `C=1.0`, prior correction and temperature from held-out folds; 'no calibration' "
             "drops the temperature)"
             + (", then the alternatives without a trained head (k-NN over embeddings, similarity to each code's mean "
                "embedding)" if set(ALTERNATIVES) & set(chosen) else "")
             + f". Reproduce: `{rerun_command('evaluation/ablation.py', options)}`.", "",
             "| corpus | variant | κ | κ sd | macro-F1 | accuracy | ECE |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['corpus']} | {r['engine']} | {r['kappa']:.3f} | {r['kappa_sd']:.3f} | {r['macro_f1']:.3f} | "
              f"{r['accuracy']:.3f} | {r['ece']:.3f} |" for r in rows]
    write_results(args.out, args.name, {"variants": VARIANTS, "per_code": args.per_code, "rows": rows}, lines)


if __name__ == "__main__":
    main()
