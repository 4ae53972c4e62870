"""``theme-assist agree``: agreement statistics on a ratings CSV, as a table or as JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import List, Optional

import typer


LEVELS = ("nominal", "ordinal", "interval", "ratio")
WEIGHTS = ("linear", "quadratic")
FORMATS = ("table", "json")
INTERVALS = ("bootstrap", "analytic", "both")
DEFAULT_RESAMPLES = 1000
"""Bootstrap resamples when --interval asks for a bootstrap and --bootstrap is not given."""


def agree(
    ratings: Path = typer.Argument(..., metavar="RATINGS.csv",
                                   help="Wide: a unit column, then one column per coder (empty cell = missing). "
                                        "Long: columns unit (or segment_id), coder, code, as project export "
                                        "--codings writes them (several rows per unit and coder = "
                                        "multi-label)."),
    metric: Optional[List[str]] = typer.Option(
        None, "--metric", "-m", metavar="NAME",
        help="percent, cohen, scott, bennett_s (alias brennan_prediger), fleiss, conger, ac1, alpha; repeat for "
             "several. Default: every metric that applies."),
    level: str = typer.Option("nominal", "--level", metavar="nominal|ordinal|interval|ratio",
                              help="Level of measurement for alpha."),
    weights: Optional[str] = typer.Option(None, "--weights", metavar="linear|quadratic",
                                          help="Weights for the kappa family, percent and AC1 (then AC2)."),
    categories: Optional[str] = typer.Option(
        None, "--categories", metavar="A,B,…",
        help="Every category coders could choose, comma-separated, in order: counts categories nobody used (for "
             "Bennett's S and AC1) and orders labels for --level ordinal and --weights. Single-label ratings."),
    bootstrap: Optional[int] = typer.Option(None, "--bootstrap", metavar="N",
                                            help="Bootstrap resamples for 95% intervals and P(value < 0.667 / 0.8); "
                                                 "0 = none (the default, unless --interval asks for a bootstrap: "
                                                 f"then {DEFAULT_RESAMPLES:,})."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the bootstrap."),
    interval: Optional[str] = typer.Option(
        None, "--interval", metavar="bootstrap|analytic|both",
        help="analytic: standard errors and 95% t intervals of Gwet (2014), as irrCAC and AgreeStat compute them "
             "(conditional on the coders; none for MASI or ordinal alpha); bootstrap: percentile intervals "
             "(--bootstrap N); both. Default: bootstrap when --bootstrap N is given, else none."),
    population: Optional[float] = typer.Option(
        None, "--population", metavar="N",
        help="Units in the population the rated units were drawn from: finite-population correction of the "
             "analytic intervals. Default: infinite."),
    output_format: str = typer.Option("table", "--format", metavar="table|json",
                                      help="table (for people) or json (one object: metric name → value, reason, "
                                           "interval)."),
) -> None:
    """Agreement among coders: percent, Cohen, Scott, Bennett's S, Fleiss, Conger, Gwet's AC1/AC2, Krippendorff's
    alpha, with bootstrap or analytic intervals."""
    from theme_assist.agree.bootstrap import MAX_RESAMPLES
    from theme_assist.agree.reading import read_ratings
    from theme_assist.agree.report import agreement_summary, multi_label_summary
    from theme_assist.agree.units import presence_tables
    from theme_assist.errors import InputError

    for name, value, choices in (("--level", level, LEVELS), ("--weights", weights or "linear", WEIGHTS),
                                 ("--format", output_format, FORMATS),
                                 ("--interval", interval or "both", INTERVALS)):
        if value not in choices:
            raise InputError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    n_boot = _resamples(bootstrap, interval)
    if not 0 <= n_boot <= MAX_RESAMPLES:
        raise InputError(f"--bootstrap must be 0 (none) or a number of resamples up to {MAX_RESAMPLES:,}; got "
                         f"{n_boot}")
    analytic = interval in ("analytic", "both")
    if population is not None and not analytic:
        raise InputError("--population corrects the analytic intervals; add --interval analytic (or both)")
    if population is not None and not (population >= 1 and math.isfinite(population)):
        raise InputError(f"--population must be a number of units (leave it out for an infinite population); got "
                         f"{population:g}")
    source = read_ratings(ratings)
    options = dict(weights=weights, n_boot=n_boot, seed=seed, analytic=analytic, population=population)
    if source.multi_label:
        for name, given in (("--level", level != "nominal"), ("--categories", categories is not None),
                            ("--population", population is not None)):
            if given:
                raise InputError(f"{name} applies to single-label ratings; multi-label ratings are compared with "
                                 "the MASI distance and per code as presence/absence")
        presence = presence_tables(source.codings, unit="unit", units=source.ratings.index)
        summary = multi_label_summary(source.ratings, presence, metric or None, **options)
    else:
        declared = _declared_categories(categories, source.ratings) if categories is not None else None
        summary = agreement_summary(source.ratings, metric or None, level=level, categories=declared, **options)

    summary = _named_as_asked(summary, metric or [])
    if output_format == "json":
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        _print_tables(summary, source.ratings.shape, multi_label=source.multi_label, seed=seed,
                      population=population)


def _named_as_asked(summary: dict, asked: list[str]) -> dict:
    """``summary`` with each metric keyed by the name the user asked for it by (``--metric brennan_prediger``
    gives a ``brennan_prediger`` entry, not ``bennett_s``), so a script finds what it requested."""
    from theme_assist.agree.coefficients import ALIASES

    renamed = {ALIASES[name]: name for name in asked if name in ALIASES and name not in summary}
    return {renamed.get(key, key): entry for key, entry in summary.items()}


def _resamples(bootstrap: int | None, interval: str | None) -> int:
    """Bootstrap resamples for the --bootstrap and --interval given; :class:`InputError` where they conflict."""
    from theme_assist.errors import InputError

    if interval == "analytic" and bootstrap:
        raise InputError("--interval analytic draws no bootstrap; use --interval both with --bootstrap N for both "
                         "kinds of interval")
    if interval in ("bootstrap", "both"):
        if bootstrap == 0:
            raise InputError(f"--interval {interval} needs bootstrap resamples; --bootstrap 0 asks for none")
        return DEFAULT_RESAMPLES if bootstrap is None else bootstrap
    return bootstrap or 0


def _declared_categories(text: str, ratings) -> list:
    """The ``--categories`` list, as numbers when the ratings were read as numbers.

    Raises
    ------
    InputError
        For an empty or repeated category, or one that is not a number beside numeric ratings.
    """
    import pandas as pd

    from theme_assist.errors import InputError

    declared = [category.strip() for category in text.split(",")]
    if "" in declared:
        raise InputError(f"--categories has an empty category: {text!r}")
    if len(set(declared)) != len(declared):
        raise InputError(f"--categories names a category twice: {text!r}")
    if all(pd.api.types.is_float_dtype(dtype) for dtype in ratings.dtypes):
        numbers = pd.to_numeric(pd.Series(declared), errors="coerce")
        if numbers.isna().any():
            raise InputError(f"the ratings are numbers, so --categories must be numbers too; got "
                             f"{declared[int(numbers.isna().to_numpy().argmax())]!r}")
        if numbers.duplicated().any():
            raise InputError(f"--categories names a number twice: {text!r}")
        return numbers.tolist()
    return declared


def _print_tables(summary: dict, shape: tuple[int, int], multi_label: bool, seed: int,
                  population: float | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:  # a file or pipe: no reason to wrap at 80 columns
        console = Console(width=160)
    with_ci = any("ci" in entry for entry in summary.values())
    with_analytic = any("analytic" in entry for entry in summary.values())
    captions = ["multi-label: MASI-alpha on code sets, the rest on presence/absence pooled over codes"] \
        if multi_label else []
    if with_analytic:
        captions.append(_analytic_caption(summary, population))
    if with_ci:
        captions.append(_bootstrap_caption(summary, seed))
    table = Table(title=f"Agreement: {shape[0]} units, {shape[1]} coders", caption="\n".join(captions) or None)
    table.add_column("coefficient")
    table.add_column("value", justify="right")
    table.add_column("units", justify="right")
    if with_analytic:
        for column in ("SE", "95% CI analytic" if with_ci else "95% CI"):
            table.add_column(column, justify="right", no_wrap=True)
    if with_ci:
        for column in ("95% CI bootstrap" if with_analytic else "95% CI", "P<.667", "P<.8"):
            table.add_column(column, justify="right", no_wrap=True)
    table.add_column("note")
    for entry in summary.values():
        row = [entry["coefficient"], _number(entry["value"]), str(entry["n_units"])]
        analytic = entry.get("analytic", {})
        if with_analytic:
            low, high = analytic.get("ci", [None, None])
            row += [_number(analytic.get("se")), f"{_number(low)}–{_number(high)}" if low is not None else "—"]
        if with_ci:
            low, high = entry.get("ci", [None, None])
            below = entry.get("p_below", {})
            row += [f"{_number(low)}–{_number(high)}" if low is not None else "—",
                    _number(below.get("0.667")), _number(below.get("0.8"))]
        notes = [entry["reason"]] if entry["reason"] else []
        if analytic.get("reason") and entry["value"] is not None:
            notes.append(analytic["reason"])
        if entry.get("n_undefined") and entry["value"] is not None:
            notes.append(f"undefined on {entry['n_undefined']} of {entry['n_boot']} resamples, left out of the "
                         "interval")
        row.append("; ".join(notes))
        table.add_row(*row)
    console.print(table)

    per_code = {name: entry["by_code"] for name, entry in summary.items() if "by_code" in entry}
    if per_code:
        codes = next(iter(per_code.values()))
        by_code = Table(title="Per code (presence/absence)")
        by_code.add_column("code")
        by_code.add_column("prevalence", justify="right")
        for name in per_code:
            by_code.add_column(name, justify="right")
        for code, first in codes.items():
            by_code.add_row(code, _number(first["prevalence"]),
                            *(_number(per_code[name][code]["value"]) for name in per_code))
        console.print(by_code)


def _analytic_caption(summary: dict, population: float | None) -> str:
    """What the analytic intervals are, in words a methods section can cite."""
    entry = next(entry["analytic"] for entry in summary.values() if "analytic" in entry)
    alpha = any(name.endswith("alpha") for name in summary)
    units = "n = units rated at least once" + ("; for alpha, at least twice" if alpha else "")
    correction = f"; finite-population correction for N = {population:g} units" if population else ""
    return (f"{entry['confidence']:.0%} analytic intervals (Gwet 2014, conditional on the coders; t with n−1 df, "
            f"{units}; upper limit capped at 1{correction}). SE: standard error")


def _bootstrap_caption(summary: dict, seed: int) -> str:
    """How the intervals were computed, in words a methods section can cite."""
    entry = next(entry for entry in summary.values() if "ci" in entry)
    methods = {entry.get("method") for entry in summary.values()}
    how = []
    if "units" in methods:
        how.append("units resampled with replacement")
    if "coincidences" in methods:
        how.append("alpha: pairs of values drawn from the coincidences (Hayes & Krippendorff 2007)")
    return (f"{entry['confidence']:.0%} percentile bootstrap intervals, {entry['n_boot']:,} resamples, seed {seed}: "
            f"{'; '.join(how)}. P<x: share of resamples below x")


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def register(app: typer.Typer) -> None:
    app.command("agree")(agree)
