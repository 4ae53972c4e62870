"""Speed of the agreement coefficients, with the ``krippendorff`` package timed side by side in the same run.

The case of issue 3: Krippendorff's α on 100,000 units × 10 coders, nominal, 10 % of the ratings missing; the
target is under 1 s and no slower than ``krippendorff.alpha``. Also timed: α at the other levels (against the
same package), the chance-corrected coefficients, and the two bootstraps.

Run ``python evaluation/bench_agreement.py``; it writes ``evaluation/results/agreement_speed.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Callable

import numpy as np

from theme_assist.agree import (
    bennett_s,
    conger_kappa,
    fleiss_kappa,
    gwet_ac,
    krippendorff_alpha,
    percent_agreement,
)
from theme_assist.agree.bootstrap import bootstrap_alpha, bootstrap_units
from theme_assist.machine import write_results

RESULTS = Path(__file__).resolve().parent / "results"


def reliability_data(n_units: int, n_coders: int, n_categories: int, missing: float, seed: int) -> np.ndarray:
    """Units × coders of ratings 1..n_categories (floats, NaN where missing): each coder reports the unit's
    true category with probability 0.8, otherwise a uniformly random one."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, n_categories + 1, n_units)
    noise = rng.integers(1, n_categories + 1, (n_units, n_coders))
    ratings = np.where(rng.random((n_units, n_coders)) < 0.8, truth[:, None], noise).astype(float)
    ratings[rng.random(ratings.shape) < missing] = np.nan
    return ratings


def seconds(function: Callable[[], object], repeats: int) -> list[float]:
    """Wall-clock seconds of each of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def summary(times: list[float]) -> dict:
    return {"best_s": round(min(times), 4), "median_s": round(statistics.median(times), 4), "runs": len(times)}


def run(n_units: int, n_coders: int, n_categories: int, missing: float, repeats: int, seed: int) -> dict:
    import krippendorff

    ratings = reliability_data(n_units, n_coders, n_categories, missing, seed)
    alpha_rows = []
    for level in ("nominal", "ordinal", "interval", "ratio"):
        ours_times, theirs_times = [], []
        for _ in range(repeats):  # interleaved, so both see the same machine load
            ours_times += seconds(lambda: krippendorff_alpha(ratings, level), 1)
            theirs_times += seconds(lambda: krippendorff.alpha(ratings.T, level_of_measurement=level), 1)
        ours = krippendorff_alpha(ratings, level).value
        theirs = float(krippendorff.alpha(ratings.T, level_of_measurement=level))
        alpha_rows.append({"level": level, "alpha": round(ours, 6), "krippendorff_alpha": round(theirs, 6),
                           "difference": abs(ours - theirs), "theme_assist": summary(ours_times),
                           "krippendorff": summary(theirs_times),
                           "speedup_median": round(statistics.median(theirs_times)
                                                   / statistics.median(ours_times), 2)})

    others = {name: summary(seconds(lambda f=function: f(ratings), repeats))
              for name, function in (("percent", percent_agreement), ("bennett_s", bennett_s),
                                      ("fleiss", fleiss_kappa), ("conger", conger_kappa), ("ac1", gwet_ac))}
    others["bootstrap_alpha_1000"] = summary(seconds(lambda: bootstrap_alpha(ratings, n_boot=1000,
                                                                             method="coincidences"), 3))
    others["bootstrap_units_fleiss_200"] = summary(seconds(lambda: bootstrap_units(ratings, "fleiss", n_boot=200),
                                                           3))
    nominal = alpha_rows[0]
    return {
        "case": {"n_units": n_units, "n_coders": n_coders, "n_categories": n_categories, "missing": missing,
                 "seed": seed, "repeats": repeats},
        "alpha": alpha_rows,
        "other_coefficients": others,
        "target": {"nominal_alpha_under_1s": nominal["theme_assist"]["median_s"] < 1.0,
                   "no_slower_than_krippendorff": nominal["theme_assist"]["median_s"]
                   <= nominal["krippendorff"]["median_s"]},
    }


def markdown(result: dict) -> list[str]:
    """The page's lines (without the machine's paragraph) for a result as ``agreement_speed.json`` holds it."""
    case = result["case"]
    lines = [
        "# Agreement coefficients: speed",
        "",
        f"Krippendorff's α on {case['n_units']:,} units × {case['n_coders']} coders, {case['n_categories']} "
        f"categories, {case['missing']:.0%} of ratings missing (seed {case['seed']}); each timing is the median "
        f"of {case['repeats']} runs, `theme_assist.agree` and `krippendorff.alpha` "
        f"{result['machine']['packages']['krippendorff']} interleaved in the same process. Times include turning the "
        "float table into category codes.",
        "",
        "| level | α | krippendorff α | theme_assist (s) | krippendorff (s) | speed-up |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in result["alpha"]:
        lines.append(f"| {row['level']} | {row['alpha']:.6f} | {row['krippendorff_alpha']:.6f} | "
                     f"{row['theme_assist']['median_s']:.3f} | {row['krippendorff']['median_s']:.3f} | "
                     f"{row['speedup_median']:.1f}× |")
    target = result["target"]
    lines += ["", f"Target (nominal α under 1 s and no slower than `krippendorff`): "
                  f"{'met' if all(target.values()) else 'NOT met'}.", "",
              "Other coefficients on the same table (median seconds):", "",
              "| computation | median (s) |", "| --- | --- |"]
    lines += [f"| {name} | {timing['median_s']:.3f} |" for name, timing in result["other_coefficients"].items()]
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--coders", type=int, default=10)
    parser.add_argument("--categories", type=int, default=5)
    parser.add_argument("--missing", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = run(args.units, args.coders, args.categories, args.missing, args.repeats, args.seed)
    write_results(args.out, "agreement_speed", result, markdown, packages=("krippendorff",))
    print((args.out / "agreement_speed.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
