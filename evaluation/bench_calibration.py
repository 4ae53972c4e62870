"""How trustworthy are the scores when coding starts? Calibration of the suggester with few coded examples per code.

Runs :class:`~theme_assist.suggest.CodeSuggester` in the protocol of ``theme-assist evaluate`` (5-fold
cross-validation grouped by document, seed 0, the same seeded choice of examples) at 5, 10, 25 and 50 coded
examples per code, four ways:

* ``uncalibrated``: the logistic-regression head's own probabilities (``calibrate=False``);
* ``3 folds from 30``: temperature scaling as it was before: fitted on held-out scores of 3 folds grouped by
  document, and only from 30 coded segments up;
* ``10 folds from 10``: the shipped folds, but from 10 coded segments up (why the floor is not lower);
* ``default``: as shipped (:data:`~theme_assist.suggest.SMALL_CODING_FOLDS` folds below
  :data:`~theme_assist.suggest.SMALL_CODING` coded segments, from
  :data:`~theme_assist.suggest.MIN_CALIBRATION_SEGMENTS` up).

Calibration changes no ranking, so κ is the same for all four; what differs is the expected calibration error
(ECE), how often the default threshold abstains ("no code fits"), and how often the suggestions it does make are
right. Writes ``evaluation/results/calibration.{json,md}``.

    python evaluation/bench_calibration.py [--corpus annomi-therapist ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from unittest import mock

from theme_assist import suggest
from theme_assist.benchmarks import load_benchmark
from theme_assist.evaluate import Engine, cross_validate, summarise
from theme_assist.machine import write_results
from theme_assist.suggest import CodeSuggester

CORPORA = ["annomi-therapist", "annomi-client", "esconv", "epitome-er"]
SIZES = (5, 10, 25, 50)
BEFORE = {"CALIBRATION_FOLDS": 3, "SMALL_CODING_FOLDS": 3, "MIN_CALIBRATION_SEGMENTS": 30}
LOWER_FLOOR = {"MIN_CALIBRATION_SEGMENTS": 10}


def calibrated_with(settings: dict):
    """A :class:`CodeSuggester` class that fits with the module's calibration ``settings`` patched in."""

    class Patched(CodeSuggester):
        def fit(self, coded, codebook):
            with mock.patch.multiple(suggest, **settings):
                return super().fit(coded, codebook)

    return Patched


ENGINES = [Engine("uncalibrated", lambda: CodeSuggester(calibrate=False)),
           Engine("3 folds from 30", calibrated_with(BEFORE)),
           Engine("10 folds from 10", calibrated_with(LOWER_FLOOR)),
           Engine("default", CodeSuggester)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append", help="benchmark name (repeatable)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    rows = []
    for name in args.corpus or CORPORA:
        bench = load_benchmark(name)
        summary = summarise(cross_validate(bench.segments, bench.codebook, ENGINES, sizes=SIZES))
        for row in summary.to_dict(orient="records"):
            rows.append({"corpus": name, **row})
            print(f"{name:18s} {row['per_code']!s:3s} {row['engine']:16s} ECE {row['ece']:.3f} abstains "
                  f"{row['abstention_rate']:.3f} accuracy answered {row['accuracy_answered']:.3f}", flush=True)
    lines = ["# Calibration with few coded examples", "",
             "5-fold cross-validation grouped by document (seed 0), the seeded choice of coded examples per code of "
             "`theme-assist evaluate`. `uncalibrated`: the head's own probabilities; `3 folds from 30`: temperature "
             "scaling fitted on held-out scores of 3 folds, from 30 coded segments up (the setting before); "
             "`10 folds from 10`: today's folds from 10 coded segments up; "
             f"`default`: {suggest.SMALL_CODING_FOLDS} folds below {suggest.SMALL_CODING} coded segments, from "
             f"{suggest.MIN_CALIBRATION_SEGMENTS} up. κ is the same for all (calibration "
             "changes no ranking). Abstains: share of segments whose best score is below the default threshold "
             "(1.5 / number of codes, at most 0.5). Reproduce: `python evaluation/bench_calibration.py`.", "",
             "| corpus | per code | calibration | κ | accuracy | ECE | abstains | accuracy when answering |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['corpus']} | {r['per_code']} | {r['engine']} | {r['kappa']:.3f} | {r['accuracy']:.3f} | "
              f"{r['ece']:.3f} | {r['abstention_rate']:.3f} | {r['accuracy_answered']:.3f} |" for r in rows]
    write_results(args.out, "calibration", {"sizes": list(SIZES), "before": BEFORE, "lower_floor": LOWER_FLOOR, "rows": rows}, lines)


if __name__ == "__main__":
    main()
