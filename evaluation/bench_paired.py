"""Coverage of the paired intervals of ``agree --machine``'s "machine in place of a coder", and the error rate of
its non-inferiority verdict (``--margin``).

Reliability data are drawn from a known population, as in ``bench_coverage.py``: each unit has a true category
(drawn with the given shares); each coder, and the machine, reports it with its own probability, otherwise a
category drawn with the same shares; coders' ratings are then missing at random, and the machine abstains at random.
The population value of each difference (:func:`theme_assist.agree.paired.machine_in_place`) is its value on
200,000 such units. For each population, ``--replications`` samples of its units are drawn, and each interval is
scored on whether it holds the population value, below it (its lower limit above the population value: at a margin
equal to the machine's true shortfall, ``--margin`` would call it non-inferior, wrongly) or above it.

Run ``python evaluation/bench_paired.py``; it writes ``evaluation/results/paired_coverage.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

from theme_assist.agree.paired import machine_in_place
from theme_assist.machine import write_results

RESULTS = Path(__file__).resolve().parent / "results"

POPULATIONS = {
    "A": {"units": 100, "shares": [0.4, 0.3, 0.2, 0.1], "coders": [0.7, 0.7], "machine": 0.6, "missing": 0.0,
          "abstains": 0.0},
    "B": {"units": 50, "shares": [0.4, 0.3, 0.2, 0.1], "coders": [0.7, 0.7], "machine": 0.7, "missing": 0.0,
          "abstains": 0.0},
    "C": {"units": 100, "shares": [0.4, 0.25, 0.15, 0.1, 0.1], "coders": [0.75, 0.65, 0.6], "machine": 0.55,
          "missing": 0.1, "abstains": 0.1},
    "D": {"units": 100, "shares": [0.9, 0.1], "coders": [0.8, 0.8], "machine": 0.7, "missing": 0.0,
          "abstains": 0.0},
    "E": {"units": 200, "shares": [0.2] * 5, "coders": [0.6, 0.6, 0.6, 0.6], "machine": 0.6, "missing": 0.2,
          "abstains": 0.05},
}
"""Populations: units per sample, category shares, each coder's and the machine's probability of reporting the
true category, the share of coders' ratings missing, the share of units the machine abstains on."""

METRICS = ("cohen", "ac1", "alpha")
INTERVALS = ("bca", "percentile")


def draw(rng: np.random.Generator, n_units: int, shares: list[float], coders: list[float], machine: float,
         missing: float, abstains: float, **_) -> tuple[pd.DataFrame, pd.Series]:
    """Coders' ratings (units × coders, NaN where missing) and the machine's (NaN where it abstains)."""
    truth = rng.choice(len(shares), n_units, p=shares)

    def reports(accuracy: float, left_out: float) -> np.ndarray:
        noise = rng.choice(len(shares), n_units, p=shares)
        codes = np.where(rng.random(n_units) < accuracy, truth, noise).astype(float) + 1
        codes[rng.random(n_units) < left_out] = np.nan
        return codes

    human = pd.DataFrame({f"coder {i + 1}": reports(accuracy, missing) for i, accuracy in enumerate(coders)})
    return human, pd.Series(reports(machine, abstains), name="machine")


def run_population(name: str, replications: int, n_boot: int, seed: int) -> dict:
    spec = POPULATIONS[name]
    rng = np.random.default_rng([seed, ord(name)])
    truth_rows = machine_in_place(*draw(rng, 200_000, **spec), metrics=list(METRICS))
    rows_of = [row["comparison"] for row in truth_rows]
    truth = {(row["comparison"], metric): row["metrics"][metric]["value"] for row in truth_rows for metric in METRICS}
    tally: dict[tuple[str, str, str], list[str]] = {}
    widths: dict[tuple[str, str, str], list[float]] = {}
    for replication in range(replications):
        human, machine = draw(rng, spec["units"], **spec)
        for interval in INTERVALS:
            found = machine_in_place(human, machine, metrics=list(METRICS), n_boot=n_boot, seed=replication,
                                     bootstrap_interval=interval)
            for row in found:
                for metric, entry in row["metrics"].items():
                    low, high = entry.get("ci") or (None, None)
                    if low is None or high is None:
                        continue
                    value = truth[(row["comparison"], metric)]
                    key = (row["comparison"], metric, interval)
                    tally.setdefault(key, []).append("below" if low > value else "above" if high < value else "held")
                    widths.setdefault(key, []).append(high - low)
    rows = []
    for (comparison, metric, interval), outcomes in tally.items():
        held = outcomes.count("held") / len(outcomes)
        rows.append({"comparison": comparison, "metric": metric, "interval": interval,
                     "population_value": round(truth[(comparison, metric)], 4), "coverage": round(held, 4),
                     "coverage_se": round(math.sqrt(held * (1 - held) / len(outcomes)), 4),
                     "lower_limit_above": round(outcomes.count("below") / len(outcomes), 4),
                     "upper_limit_below": round(outcomes.count("above") / len(outcomes), 4),
                     "defined": len(outcomes), "mean_width": round(float(np.mean(widths[(comparison, metric,
                                                                                           interval)])), 4)})
    rows.sort(key=lambda row: (rows_of.index(row["comparison"]), METRICS.index(row["metric"]),
                               INTERVALS.index(row["interval"])))
    return {"population": name, **spec, "rows": rows}


def markdown(result: dict) -> list[str]:
    settings = result["settings"]
    lines = ["# The machine in place of a coder: coverage of the paired intervals", "",
             f"Share of {settings['replications']} samples whose 95% paired interval of each difference "
             "(`agree --machine`'s \"machine in place of a coder\": the machine's agreement with the other coders "
             "less a coder's, and their mean) holds the population value (its value on 200,000 units of the same "
             f"population); bootstrap {settings['n_boot']:,} resamples. Each coder, and the machine, reports the "
             "unit's true category with its own probability, otherwise a category drawn with the category shares; "
             "coders' ratings are missing at random, the machine abstains at random. ± is one binomial standard "
             "error of the coverage. \"Lower limit above\": the share of samples whose interval lies wholly above "
             "the population value: with a margin equal to the machine's true shortfall, the share `--margin` "
             "would wrongly call non-inferior (nominal 2.5%).", ""]
    for population in result["populations"]:
        shares = "/".join(f"{share:g}" for share in population["shares"])
        coders = ", ".join(f"{accuracy:g}" for accuracy in population["coders"])
        lines += [f"## {population['population']}: {population['units']} units, {len(population['coders'])} coders "
                  f"(accuracy {coders}), machine {population['machine']:g}, categories {shares}, "
                  f"{population['missing']:.0%} missing, machine abstains {population['abstains']:.0%}", "",
                  "| comparison | coefficient | interval | population value | coverage | lower limit above | "
                  "upper limit below | mean width |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {row['comparison']} | {row['metric']} | {row['interval']} | {row['population_value']:+.3f} | "
                  f"{row['coverage']:.3f} ± {row['coverage_se']:.3f} | {row['lower_limit_above']:.3f} | "
                  f"{row['upper_limit_below']:.3f} | {row['mean_width']:.3f} |" for row in population["rows"]]
        lines.append("")
    lines += ["In short (coverage, and the share of samples whose lower limit lies above the population value):", ""]
    for interval in INTERVALS:
        for rows, label in (("mean", "the mean row"), ("coder", "the rows of each coder")):
            parts = [f"{spread(result, interval, rows, names, 'coverage')} "
                     f"({spread(result, interval, rows, names, 'lower_limit_above')}) in {where}"
                     for names, where in ((SMALL, "B and D (50 units; a category of 10%)"),
                                          (set(POPULATIONS) - SMALL, "A, C and E"))]
            lines.append(f"- {interval}, {label}: " + "; ".join(parts))
    return lines + [""]


SMALL = {"B", "D"}
"""The populations of few units (B: 50) or a rare category (D: 10% of the units), told apart in the summary."""


def spread(result: dict, interval: str, rows: str, populations: set[str], figure: str) -> str:
    """Lowest and highest ``figure`` of ``interval`` on the mean rows (``rows`` ``"mean"``) or the coders' rows, in
    ``populations``: ``"0.936-0.947"``."""
    found = [row[figure] for population in result["populations"] if population["population"] in populations
             for row in population["rows"] if row["interval"] == interval
             and row["comparison"].endswith("(mean)") == (rows == "mean")]
    return f"{min(found):.3f}-{max(found):.3f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--population", action="append", choices=sorted(POPULATIONS),
                        help="only these populations (repeatable); default: all")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    populations = [run_population(name, args.replications, args.n_boot, args.seed)
                   for name in args.population or POPULATIONS]
    result = {"settings": {"replications": args.replications, "n_boot": args.n_boot, "seed": args.seed,
                           "seconds": round(time.perf_counter() - started, 1)},
              "populations": populations}
    write_results(args.out, "paired_coverage", result, markdown)


if __name__ == "__main__":
    main()
