"""``theme-assist agree``: agreement statistics on a ratings CSV, as a table, as JSON or as a Markdown report."""

from __future__ import annotations

import json
import logging
import math
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import List, Optional

import typer

from theme_assist import jsonout


LEVELS = ("nominal", "ordinal", "interval", "ratio")
WEIGHTS = ("linear", "quadratic")
FORMATS = ("table", "json", "markdown")
INTERVALS = ("bootstrap", "analytic", "both")
DEFAULT_RESAMPLES = 1000
"""Bootstrap resamples when --interval asks for a bootstrap and --bootstrap is not given."""
FEW_RESAMPLES = 1000
"""A bootstrap of fewer resamples is warned of: a 95% interval's limits are percentiles of the resamples (the 2.5th
and 97.5th, or BCa's shifted ones), which a few hundred estimate poorly (Hayes & Krippendorff 2007 draw 1,000 or more;
1 or 10 give no interval at all). The Python API does not warn: its tests draw few for speed."""
FEW_UNITS = 10
"""A machine or coder comparison on fewer shared units than this is flagged in its note: the value of
:data:`theme_assist.agree.paired.FEW_UNITS`, written here too so that the command line starts without pandas."""
PROGRESS_WORK = 5e7
"""Resampled units (codes × comparisons × resamples × units) from which --per-code shows its progress on a terminal's
standard error: about 5 s (2,000 units, 1,000 resamples: 0.1 to 0.3 s per code and comparison)."""
PER_CODE_METRICS = {2: ("cohen", "ac1"), 3: ("fleiss", "alpha", "ac1")}
"""The coders' summary's metrics per code (--per-code, single-label ratings) where --metric does not name them: for
two coders, and for three or more."""

logger = logging.getLogger(__name__)


def agree(
    command: typer.Context,
    ratings: Path = typer.Argument(..., metavar="RATINGS.csv",
                                   help="Wide: a unit column, then one column per coder (empty cell = missing). "
                                        "Long: columns unit (or segment_id), coder, code, as project export "
                                        "--codings writes them (several rows per unit and coder = "
                                        "multi-label). Span codings: columns document, start, end, code, coder "
                                        "(others ignored), as import-qdpx writes codings.csv; with --units or "
                                        "--overlap."),
    metric: Optional[List[str]] = typer.Option(
        None, "--metric", "-m", metavar="NAME",
        help="percent, cohen, scott, bennett_s (alias brennan_prediger), fleiss, conger, ac1, light (Light's "
             "kappa: Cohen's kappa of each pair of coders on the units both rated, averaged), alpha (any case: "
             "Light is light); repeat for several (multi-label: masi_alpha too, always reported). Default: every "
             "metric that applies (cohen and scott for two coders, light for three or more). With --machine, the "
             "machine table's columns too (default there: percent, cohen, ac1, alpha; for three or "
             "more coders their summary has Fleiss' kappa for cohen and scott)."),
    level: str = typer.Option("nominal", "--level", metavar="nominal|ordinal|interval|ratio",
                              help="Level of measurement for alpha."),
    weights: Optional[str] = typer.Option(None, "--weights", metavar="linear|quadratic",
                                          help="Weights for the kappa family, percent and AC1 (then AC2), by "
                                               "how far apart the ratings' values are (as irrCAC; scikit-learn "
                                               "takes their ranks: 1, 2, 5 as 1, 2, 3), or labels' positions in "
                                               "--categories."),
    categories: Optional[str] = typer.Option(
        None, "--categories", metavar="A,B,…",
        help="Every category coders could choose, comma-separated, in order: counts categories nobody used (for "
             "Bennett's S and AC1) and orders labels for --level ordinal and --weights. Single-label ratings."),
    bootstrap: Optional[int] = typer.Option(None, "--bootstrap", metavar="N",
                                            help="Bootstrap resamples for 95% intervals and P(value < 0.667 / 0.8); "
                                                 "0 = none (the default, unless --interval asks for a bootstrap: "
                                                 f"then {DEFAULT_RESAMPLES:,}); fewer than {FEW_RESAMPLES:,} are "
                                                 "warned of."),
    alpha_bootstrap: Optional[str] = typer.Option(
        None, "--alpha-bootstrap", metavar="units|coincidences",
        help="alpha's bootstrap: units resampled with replacement, as for the other coefficients (the default), or "
             "coincidences: Hayes & Krippendorff's (2007) pairs of values drawn from the coincidences, as KALPHA "
             "does, whose intervals are too narrow with three or more coders (each unit's pairs drawn as if "
             "independent). The pooled alpha of multi-label ratings always resamples units."),
    bootstrap_interval: Optional[str] = typer.Option(
        None, "--bootstrap-interval", metavar="percentile|bca",
        help="The interval read off the resampled units. bca (the default): Efron's (1987) bias-corrected and "
             "accelerated interval, its acceleration from leaving out one unit at a time (percentile where BCa is "
             "undefined: the note says why); it held the population value nearer 95% of the time in simulations "
             "(evaluation/results/interval_coverage.md). percentile: the 2.5th and 97.5th percentiles, as before "
             "(and the default with --alpha-bootstrap coincidences, to which BCa does not apply)."),
    seed: int = typer.Option(0, "--seed", min=0,
                             help="Seed of the bootstrap. With --machine each comparison draws with its own seed, "
                                  "derived from this one and its two columns' names (shown in --format json)."),
    interval: Optional[str] = typer.Option(
        None, "--interval", metavar="bootstrap|analytic|both",
        help="analytic: standard errors and 95% t intervals of Gwet (2014), as irrCAC and AgreeStat compute them "
             "(conditional on the coders; none for MASI or ordinal alpha); bootstrap: bootstrap intervals "
             "(--bootstrap N; BCa unless --bootstrap-interval percentile); both. Default: bootstrap when "
             "--bootstrap N is given, else none."),
    population: Optional[float] = typer.Option(
        None, "--population", metavar="N",
        help="Units in the population the rated units were drawn from: finite-population correction of the "
             "analytic intervals. Default: infinite."),
    units_file: Optional[Path] = typer.Option(
        None, "--units", metavar="SEGMENTS.csv",
        help="Span codings: rate these units (columns segment_id or unit, document, start, end; suggest "
             "--segments-out writes them). Where a coder put no span on a unit, the unit is rated '(no code)' "
             "(multi-label: the empty set, an absence of every code)."),
    min_coverage: Optional[float] = typer.Option(
        None, "--min-coverage", metavar="SHARE",
        help="With --units: share of a unit, in [0, 1], a span must cover to code it. Default 0: any overlap."),
    overlap: Optional[float] = typer.Option(
        None, "--overlap", metavar="P",
        help="Span codings: MAXQDA-style segment agreement for each pair of coders, a span agreeing where the "
             "other coder gave the same code to a span overlapping it by at least P (intersection over union, "
             "0 < P <= 1, e.g. 0.9); per code and overall with Brennan & Prediger's kappa."),
    machine: Optional[Path] = typer.Option(
        None, "--machine", metavar="OUT.csv",
        help="The suggest command's output: its rank-1 code per segment (matched to units by segment_id; an "
             "abstention is a missing rating) compared with each coder, the coders' majority, and the coders with "
             "each other, each with the intervals asked for. Single-label ratings; one coder is enough (then there "
             "is no coders' summary). Refused where its segmentation column differs from the ratings' or --units' "
             "(but for --max-chars where --units shows that neither limit split a turn), or its codebook_version "
             "column (project export) from the ratings'."),
    margin: Optional[float] = typer.Option(
        None, "--margin", metavar="DELTA",
        help="With --machine, two coders or more and a bootstrap: the non-inferiority margin (e.g. 0.1). The table "
             "'machine in place of a coder' gives, for each coder, the machine's agreement with the other coders "
             "less that coder's (each term on the units the machine and both coders rated), and the mean of every "
             "coder's terms, each with a paired 95% interval (the same resampled units on both sides); the machine "
             "is non-inferior to a coder (a one-sided test at the 2.5% level) where the interval's lower limit is "
             "above -DELTA, and P(<-DELTA) is the share of resamples below it. Each row is a test of its own."),
    coder: Optional[List[str]] = typer.Option(
        None, "--coder", metavar="NAME",
        help="Only this coder's ratings count, in the coders' summary and in every comparison (--machine too); "
             "repeat for several (two at least without --machine). Names are matched as written. For a project's "
             "--codings export, which holds its imported codings too (their coder named by the --coded file): "
             "--coder Ann --coder Ben compares those two alone. A wide file's units none of them rated are left "
             "out. The coders kept, and those left out, are in the file's order (a long file's sorted, as without "
             "--coder), not in the order named."),
    per_code: bool = typer.Option(
        False, "--per-code",
        help="Single-label ratings: also each code's agreement, the code read as present or absent (one code "
             "against the rest), in the coders' summary (Cohen's kappa and AC1 for two coders; Fleiss' kappa, "
             "alpha and AC1 for more; or the --metric ones) and, with --machine, in every comparison (its "
             "columns), each with the intervals asked for, the units compared (n) and how many each coder gave the "
             "code (given: of all the units they rated, as its chance agreement and prevalence count them). "
             "Multi-label ratings always have it. Each code is bootstrapped alone (0.1-0.3 s per code and "
             "comparison with 2,000 units): where that takes long, a terminal's standard error shows their count."),
    confusion: bool = typer.Option(
        False, "--confusion",
        help="Single-label ratings: also which codes the coders confuse. For two coders their confusion matrix "
             "(rows the first coder's codes, columns the second's; (none): units one coded and the other did not), "
             "for more Krippendorff's coincidence matrix (the one alpha is computed from); then the pairs of codes "
             "the disagreements fall on, most first, beside those expected by chance from the codes' margins. With "
             "--machine, the human majority's codes (rows; with one coder, theirs) against the machine's too. JSON: "
             "confusion and machine_confusion, the matrices as lists of rows beside their labels, and every pair."),
    by: Optional[List[str]] = typer.Option(
        None, "--by", metavar="COLUMN",
        help="Also the agreement per group of units (per site, language, document): the coders' summary and, with "
             "--machine, the machine vs the human majority and the machine in place of a coder (mean), each group "
             "on its units alone, its bootstrap with its own seed (derived from --seed and the group's value). "
             "COLUMN is a column of the ratings file (long: the same on every row of a unit; wide: no coder), of "
             "--units' file for span codings, or a field of --metadata or --project. Single-label ratings."),
    metadata: Optional[Path] = typer.Option(
        None, "--metadata", metavar="FILE",
        help="With --by: a metadata table (a document column and one column per field, as suggest --metadata "
             "reads it), joined on the ratings' (or --units') document column."),
    project: Optional[Path] = typer.Option(
        None, "--project", metavar="PROJECT",
        help="With --by: the project a project export --codings file comes from: each segment's document "
             "(--by document) or that document's metadata field (--by site)."),
    output_format: str = typer.Option("table", "--format", metavar="table|json|markdown",
                                      help="table (for people), json (one object: metric name → value, reason, "
                                           "interval, and where ratings are missing, missing_ratings: count, of, "
                                           "treatment; then n_units, the units rated at least once, and coders, "
                                           "their names (with --coder, coders_left_out: the file's others); with "
                                           "--machine, machine_comparison too, each comparison's metrics with its own "
                                           "missing_ratings, on the units either side rated, and with two coders or "
                                           "more machine_in_place (see --margin); with --by, by: the column, the "
                                           "units without a group and each group's figures; for one coder "
                                           "coders_summary: null with coders_summary_reason in place of the "
                                           "metrics) or markdown (a report for a paper's methods and results: a "
                                           "methods paragraph, then the tables of the JSON's figures, to three "
                                           "decimals, their notes and the warnings as footnotes)."),
) -> None:
    """Agreement among coders: percent, Cohen, Scott, Bennett's S, Fleiss, Conger, Gwet's AC1/AC2, Light's kappa,
    Krippendorff's alpha, with bootstrap or analytic intervals; on span codings by units or by overlap; the machine
    as a coder."""
    import pandas as pd

    from theme_assist.agree.bootstrap import ALPHA_METHODS, INTERVAL_METHODS, MAX_RESAMPLES
    from theme_assist.agree.coefficients import metric_name
    from theme_assist.agree.machine import agreement_report
    from theme_assist.agree.paired import machine_in_place
    from theme_assist.agree.reading import NO_CODE, SpanCodings, ratings_on_units, read_codings, read_units_and_segments
    from theme_assist.agree.ratings import as_rating_table, missing_ratings
    from theme_assist.agree.report import agreement_summary, default_interval, multi_label_summary, per_code_summary
    from theme_assist.agree.units import presence_tables
    from theme_assist.errors import InputError
    from theme_assist.names import has_visible_character
    from theme_assist.segment import segmentation_tags

    for name, value, choices in (("--level", level, LEVELS), ("--weights", weights or "linear", WEIGHTS),
                                 ("--format", output_format, FORMATS),
                                 ("--interval", interval or "both", INTERVALS),
                                 ("--alpha-bootstrap", alpha_bootstrap or "units", ALPHA_METHODS),
                                 ("--bootstrap-interval", bootstrap_interval or "percentile", INTERVAL_METHODS)):
        if value not in choices:
            raise InputError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    metric = _metric_names(metric)
    n_boot = _resamples(bootstrap, interval)
    if not 0 <= n_boot <= MAX_RESAMPLES:
        raise InputError(f"--bootstrap must be 0 (none) or a number of resamples up to {MAX_RESAMPLES:,}; got "
                         f"{n_boot}")
    if alpha_bootstrap is not None and not n_boot:
        raise InputError("--alpha-bootstrap chooses how alpha's bootstrap is drawn; ask for one with --bootstrap N "
                         "or --interval bootstrap (or both)")
    if bootstrap_interval is not None and not n_boot:
        raise InputError("--bootstrap-interval chooses the interval read off the bootstrap; ask for one with "
                         "--bootstrap N or --interval bootstrap (or both)")
    if bootstrap_interval == "bca" and alpha_bootstrap == "coincidences":
        raise InputError("--bootstrap-interval bca leaves out one unit at a time for its acceleration, which "
                         "--alpha-bootstrap coincidences does not resample; use one or the other")
    analytic = interval in ("analytic", "both")
    if margin is not None and machine is None:
        raise InputError("--margin is the margin of the machine's non-inferiority to a coder; give --machine OUT.csv")
    if margin is not None and not n_boot:
        raise InputError("--margin reads the paired bootstrap interval of the machine in place of a coder; ask for "
                         "one with --bootstrap N or --interval bootstrap")
    if margin is not None and not (0 < margin < 2 and math.isfinite(margin)):
        raise InputError(f"--margin must be a difference of agreement above 0 (e.g. 0.1); got {margin:g}")
    if population is not None and not analytic:
        raise InputError("--population corrects the analytic intervals; add --interval analytic (or both)")
    if population is not None and not (population >= 1 and math.isfinite(population)):
        raise InputError(f"--population must be a number of units (leave it out for an infinite population); got "
                         f"{population:g}")
    _check_span_options(units_file, min_coverage, overlap)
    said = _warnings_said(command) if output_format == "markdown" else []  # each a footnote of the report
    deferred: list[str] = []  # the file's warnings (multi-label, missing-rating markers), said once nothing is refused
    chosen = [name.strip() for name in coder] if coder else None
    blank = next((name for name in chosen or [] if not has_visible_character(name)), None)
    if blank is not None:  # as written it would be said to be "no coder", '' listed beside the file's names
        raise InputError(f"--coder {blank!r} is blank: name a coder as the ratings file writes them")
    # a category declared "none" or "NA" is no missing rating to warn of (the list is checked once it is read)
    named = [category.strip() for category in categories.split(",")] if categories is not None else ()
    from theme_assist.cli._agree_groups import unit_groups

    if by and len(by) > 1:  # else the last alone would be taken, without a word
        raise InputError(f"--by {by[0]} --by {by[1]}: one --by per run; for the groups of both, make a combined "
                         "column (site × language) in the ratings or the metadata")
    groups, not_ratings = unit_groups(ratings, by[0] if by else None, metadata, project, units_file, overlap)
    source = read_codings(ratings, min_coders=1 if machine is not None else 2, deferred=deferred, coders=chosen,
                          categories=named, without=not_ratings)
    long_file = not isinstance(source, SpanCodings) and source.codings is not None  # its units are segment ids
    if isinstance(source, SpanCodings):
        if overlap is not None:
            _refuse_for_overlap(metric=bool(metric), level=level != "nominal", weights=weights is not None,
                                categories=categories is not None, bootstrap=bootstrap is not None,
                                seed=seed != 0, interval=interval is not None, population=population is not None,
                                **{"alpha-bootstrap": alpha_bootstrap is not None,
                                   "bootstrap-interval": bootstrap_interval is not None,
                                   "per-code": per_code, "confusion": confusion},
                                machine=machine is not None)
            pairs = _segment_agreement(source, overlap)
            left_out = {"coders_left_out": [str(name) for name in source.coders_left_out]} if chosen else {}
            if output_format == "json":
                typer.echo(jsonout.dumps({"segment_agreement": pairs, **left_out}, indent=2, ensure_ascii=False))
            elif output_format == "markdown":
                from theme_assist.cli._agree_markdown import segment_agreement_markdown

                typer.echo(segment_agreement_markdown(pairs, left_out.get("coders_left_out") if chosen else None,
                                                      [str(name) for name in source.coders], said), nl=False)
            else:
                _print_segment_agreement(pairs)
                if left_out:
                    typer.echo(f"Only the coders of --coder: {', '.join(map(str, source.coders))} (left out: "
                               f"{', '.join(left_out['coders_left_out']) or 'none'})")
            return
        if units_file is None:
            raise InputError(f"{ratings} holds span codings (document, start, end, code, coder): give --units "
                             "SEGMENTS.csv to rate units, or --overlap P for MAXQDA-style segment agreement")
        units, unit_segments = read_units_and_segments(units_file)
        source = ratings_on_units(source, units, min_coverage=min_coverage or 0.0, units_path=units_file)
        spans_on_units = True
    else:
        given = [name for name, value in (("--units", units_file), ("--min-coverage", min_coverage),
                                          ("--overlap", overlap)) if value is not None]
        if given:
            raise InputError(f"{given[0]} applies to span codings (columns document, start, end, code, coder); "
                             f"{ratings} holds ratings of units")
        spans_on_units = False
    # a file meant to be single-label may be multi-label by a stray row: say where
    several = f" ({ratings}: {source.several_codes})" if source.multi_label and source.several_codes else ""
    if machine is not None and source.multi_label:
        raise InputError("--machine compares single-label ratings (the machine's rank-1 code per unit); these "
                         f"ratings are multi-label{several}")
    if groups is not None and source.multi_label:
        raise InputError(f"--by compares single-label ratings group by group; these are multi-label{several}")
    if confusion and source.multi_label:
        raise InputError("--confusion pairs one code of a unit against another's, in single-label ratings; these are "
                         f"multi-label{several}: --per-code gives each code's agreement")
    # the file naming units by segment id, and what it says of their segmentation
    ids = ((units_file, segmentation_tags(unit_segments), unit_segments) if spans_on_units else
           (ratings, source.segmentations, None) if long_file else None)
    machine_labels = (_machine_labels(machine, source.ratings, ratings, ids, source.codebook_versions)
                      if machine is not None else None)
    one_coder = source.ratings.shape[1] < 2  # read_codings allows it only with --machine
    if margin is not None and one_coder:  # else no table would read it, without a word
        raise InputError(f"--margin reads the machine in place of a coder, which needs two coders or more; "
                         f"{ratings} has one{' kept by --coder' if chosen else ''}")
    options = dict(weights=weights, n_boot=n_boot, seed=seed, analytic=analytic, population=population,
                   alpha_bootstrap=alpha_bootstrap or "units",
                   bootstrap_interval=bootstrap_interval)
    declared = None
    stack = ExitStack()  # --per-code's progress bar, where there is one
    progress = None
    if source.multi_label:
        for name, given in (("--level", level != "nominal"), ("--categories", categories is not None),
                            ("--weights", weights is not None), ("--population", population is not None)):
            if given:
                raise InputError(f"{name} applies to single-label ratings; multi-label ratings are compared with "
                                 f"the MASI distance and per code as presence/absence{several}")
        presence = presence_tables(source.codings, unit="unit", units=source.ratings.index)
        presence = {code: table.where(source.ratings.reindex_like(table).notna())  # a coder's unread documents
                    for code, table in presence.items()}
        # MASI-alpha is always reported; -m masi_alpha alone asks for it without the presence/absence metrics
        pooled = [name for name in metric or [] if name != "masi_alpha"]
        # a coder rated a unit they have a row on, and did not where their rating is missing (span codings on
        # units: a document they put no span in), though those rows are there (each unit's, without a code)
        rows = pd.crosstab(source.codings["unit"], source.codings["coder"]) > 0
        rated = rows.reindex(index=source.ratings.index, columns=source.ratings.columns, fill_value=False)
        deferred += _coders_alone(rated & source.ratings.notna(), ratings, unread_is_empty=not spans_on_units)
        steps = len(presence) + 1 if presence and n_boot and (pooled or not metric) else 0  # each code, pooled row
        progress = stack.enter_context(_per_code_progress(steps, steps * n_boot * len(source.ratings)))
        summary = multi_label_summary(source.ratings, presence, pooled if metric else None, progress=progress,
                                      **options)
    else:
        if "masi_alpha" in (metric or []):
            raise InputError("masi_alpha applies to multi-label ratings (several codes from one coder on some "
                             "unit); these are single-label: use alpha")
        declared = _declared_categories(categories, source.ratings) if categories is not None else None
        if declared is not None and spans_on_units and NO_CODE not in declared:
            declared.append(NO_CODE)
        if not one_coder:
            deferred += _coders_alone(source.ratings.notna(), ratings)
            summary = agreement_summary(source.ratings, _summary_metrics(metric, source.ratings, machine_labels),
                                        level=level, categories=declared, **options)
        if declared is not None and machine_labels is not None:  # refused before the codes are bootstrapped
            rated = machine_labels.reindex(source.ratings.index).dropna()  # its codes of the units compared
            undeclared = rated[~rated.isin(declared)]
            if len(undeclared):
                raise InputError(f"the machine's code {undeclared.iloc[0]!r} (segment {undeclared.index[0]!r} of "
                                 f"{machine}) is not among --categories; declare every code it may suggest")
        steps = _per_code_steps(source.ratings, machine_labels, declared) if per_code and n_boot else 0
        progress = stack.enter_context(_per_code_progress(steps, steps * n_boot * len(source.ratings)))
        if per_code and not one_coder:
            codes = as_rating_table(source.ratings, declared).categories
            by_default = PER_CODE_METRICS[min(source.ratings.shape[1], 3)]
            per_code_summary(summary, source.ratings, codes, None if metric else by_default, progress=progress,
                             **options)
    comparison = in_place = None
    if machine_labels is not None:
        report = agreement_report(source.ratings, machine_labels, level=level, categories=declared,
                                  metrics=metric or None, per_code=per_code, progress=progress, **options)
        comparison = [comparison_row(row) for row in report.to_dict(orient="records")]
        if not one_coder:
            in_place = machine_in_place(source.ratings, machine_labels, metrics=metric or None, weights=weights,
                                        level=level, categories=declared, n_boot=n_boot, seed=seed,
                                        bootstrap_interval=bootstrap_interval or default_interval(), margin=margin)
    stack.close()  # the progress bar, gone before the warnings and the tables
    if groups is not None:
        from theme_assist.agree.groups import grouped_agreement
        from theme_assist.agree.reading import warn_case_variants, warn_number_spellings
        from theme_assist.cli._agree_groups import by_groups as grouped_json, missing_warning

        grouped = grouped_agreement(source.ratings, groups, machine=machine_labels,
                                    metrics=lambda rows: _summary_metrics(metric, rows, machine_labels),
                                    machine_metrics=metric, level=level, categories=declared, margin=margin,
                                    **options)
        warn_case_variants(groups.of_unit.dropna(), groups.source, what=f"{groups.column} value")  # two groups
        warn_number_spellings(groups.of_unit.dropna(), groups.source, what=f"{groups.column} value")
        by_groups = grouped_json(grouped, groups, source.ratings, metric or [], FEW_UNITS)
        deferred += [warning for warning in [missing_warning(by_groups)] if warning]
    if confusion:
        from theme_assist.agree.confusion import confusions

        confused = confusions(source.ratings, machine_labels, declared)

    if one_coder:
        for name in metric or []:
            metric_name(name)  # an unknown metric is refused as it is with two coders
        summary = {"coders_summary": None, "coders_summary_reason": _no_summary_reason(source.ratings)}
    else:
        summary = _named_as_asked(summary, metric or [])
    for warning in deferred:  # said once nothing was refused (-m with an unknown name: by the summary above)
        logger.warning("%s", warning)
    if 0 < n_boot < FEW_RESAMPLES:  # said once nothing was refused: a refusal comes alone
        logger.warning("--bootstrap %d: too few resamples for a 95%% interval or the P<x shares, which move from seed "
                       "to seed; use %s or more for figures you report", n_boot, f"{FEW_RESAMPLES:,}")
    notes = [f"span codings on the {len(source.ratings)} units of {units_file}; where a coder put no span on a "
             f"unit of a document they coded, the rating is "
             f"{'the empty code set' if source.multi_label else repr(NO_CODE)}, elsewhere missing"] \
        if spans_on_units else []
    if chosen is not None:
        kept = ", ".join(map(str, source.ratings.columns))
        notes.append(f"only the coders of --coder: {kept}" + (
            f" (left out: {', '.join(map(str, source.coders_left_out))})" if source.coders_left_out else ""))
    if output_format in ("json", "markdown"):
        if not one_coder and not source.multi_label:
            summary = _with_missing_ratings(summary, *missing_ratings(source.ratings))
        summary["n_units"] = int(source.ratings.notna().any(axis=1).sum())  # rated at least once
        summary["coders"] = [str(name) for name in source.ratings.columns]
        if chosen is not None:
            summary["coders_left_out"] = [str(name) for name in source.coders_left_out]
        if comparison is not None:
            summary["machine_comparison"] = comparison
        if in_place is not None:
            summary["machine_in_place"] = in_place
        if confusion:
            summary.update(confused)
        if groups is not None:
            summary["by"] = by_groups
        if output_format == "json":
            typer.echo(jsonout.dumps(summary, indent=2, ensure_ascii=False))
            return
        from theme_assist.cli._agree_markdown import agreement_markdown

        # the figures as the JSON holds them (a float's exact value; NaN as None), not the summary's own objects
        result = json.loads(jsonout.dumps(summary))
        missing = _missing_note(source.ratings, summary, weighted=weights is not None) \
            if not one_coder and not source.multi_label else []
        context = _report_context(source, declared, machine_labels, units_file if spans_on_units else None,
                                  units if spans_on_units else None, long_file,
                                  n_boot=n_boot, seed=seed, population=population, machine=machine,
                                  notes=notes + said, missing=missing, weighted=weights is not None,
                                  abstentions=_abstentions(source.ratings, machine_labels) if in_place else 0)
        typer.echo(agreement_markdown(result, context), nl=False)
    else:
        if one_coder:
            _print_no_summary(summary["coders_summary_reason"], notes)
        else:
            if not source.multi_label:
                notes += _missing_note(source.ratings, summary, weighted=weights is not None)
            paired = int((source.ratings.notna().sum(axis=1) >= 2).sum())
            _print_tables(summary, (*_rated(source.ratings).shape, paired), multi_label=source.multi_label, seed=seed,
                          population=population, notes=notes)
        if comparison is not None:
            _print_machine_comparison(comparison, seed=seed, population=population, summary_above=not one_coder)
            if per_code:
                _print_machine_per_code(comparison)
        if in_place is not None:
            _print_machine_in_place(in_place, abstentions=_abstentions(source.ratings, machine_labels), paired=paired)
        if confusion:
            from theme_assist.cli._agree_confusion import print_confusion

            for found in confused.values():
                print_confusion(found)
        if groups is not None:
            from theme_assist.cli._agree_groups import print_groups

            print_groups(by_groups, seed=seed)


class _Said(logging.Handler):
    """The warnings said on standard error as a command runs, in order."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.said: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.said.append(record.getMessage())


def _warnings_said(command: typer.Context) -> list[str]:
    """The warnings the package says from now until the ``command`` ends (reading the file's too: a coder
    left out for giving no code, spans on no unit, codes apart only by case), for ``--format markdown``'s
    footnotes."""
    handler, package = _Said(), logging.getLogger("theme_assist")
    package.addHandler(handler)
    command.call_on_close(lambda: package.removeHandler(handler))
    return handler.said


def _report_context(source, declared: list | None, machine_labels, units_file: Path | None, units_table,
                    long_file: bool, machine: Path | None, notes: list[str], **options):
    """What ``--format markdown``'s methods paragraph says beside the JSON's figures
    (:class:`~theme_assist.cli._agree_markdown.ReportContext`): what the units are, the documents they lie in
    where known, the coders' categories, those --categories declared that they did not use and of these those the
    machine did;
    ``options``: the bootstrap's resamples and seed, the population, whether weighted, as given."""
    import pandas as pd

    from theme_assist.agree.reading import NO_CODE
    from theme_assist.agree.ratings import as_rating_table
    from theme_assist.cli._agree_markdown import ReportContext

    ratings = source.ratings
    documents = None
    if units_table is not None:  # --units: each unit's document, of the units rated
        documents = int(units_table.drop_duplicates("unit").set_index("unit")["document"]
                        .reindex(ratings.index).dropna().nunique())
    categories, unused, by_machine = [], [], []
    no_code = NO_CODE if units_table is not None and not source.multi_label else None
    if not source.multi_label:  # the coders' categories, as their summary counts them
        categories = list(as_rating_table(ratings, declared).categories)
        used = set(pd.unique(ratings.stack().dropna()))
        # no_code: declared with --units' span codings, and said apart
        unused = [category for category in declared or [] if category not in used and category != no_code]
        if machine_labels is not None:
            suggested = set(machine_labels.reindex(ratings.index).dropna())
            by_machine = [category for category in unused if category in suggested]
    return ReportContext(units_kind="segments" if units_table is not None or long_file and source.segmentations
                         else "units", units_source=str(units_file) if units_file is not None else "",
                         documents=documents, categories=[_category(c) for c in categories],
                         unused=[_category(c) for c in unused], by_machine=[_category(c) for c in by_machine],
                         machine=str(machine) if machine else None,
                         paired=int((ratings.notna().sum(axis=1) >= 2).sum()), notes=notes,
                         multi_label=source.multi_label, no_code=no_code, **options)


def _category(value) -> str:
    """A category as the report names it: a number without a needless ``.0``."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _per_code_steps(ratings, machine_labels, declared: list | None) -> int:
    """How many codes :func:`~theme_assist.agree.report.per_code_summary` computes for --per-code: each code of the
    coders' summary (two coders or more) and, with the machine's codes (``machine_labels``), of each comparison
    (the machine's rows count its codes too, the coders' rows only theirs)."""
    from math import comb

    import pandas as pd

    from theme_assist.agree.ratings import as_rating_table

    coders = ratings.shape[1]
    human = len(as_rating_table(ratings, declared).categories) if coders else 0
    steps = human if coders > 1 else 0
    if machine_labels is not None:
        machine = machine_labels.reindex(ratings.index)  # named apart from every coder (_machine_labels)
        everyone = len(as_rating_table(pd.concat([ratings, machine], axis=1), declared).categories)
        steps += everyone * (coders + (coders > 1)) + human * (comb(coders, 2) + (coders > 2))
    return steps


@contextmanager
def _per_code_progress(total: int, work: float):
    """A progress bar of --per-code's ``total`` codes on standard error, where that is a terminal and the ``work``
    (resampled units, :data:`PROGRESS_WORK`) takes long: yields what to call as each code is done, else None."""
    from theme_assist.cli._console import message_console

    console = message_console()
    if not total or work < PROGRESS_WORK or not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("agree --per-code: codes bootstrapped"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), console=console, transient=True)
    task = bar.add_task("per code", total=total)

    def advance() -> None:
        bar.start()  # at the first code done: a refusal before it (an unknown metric) comes without a bar
        bar.advance(task)

    try:
        yield advance
    finally:
        if bar.live.is_started:
            bar.stop()


def _coders_alone(rated: pd.DataFrame, path, unread_is_empty: bool = False) -> list[str]:
    """A warning naming the coders who share no unit with another coder (``rated``: units × coders, True where a
    coder rated the unit: gave a single-label rating, or has a row of a multi-label file there), where others do
    share units: a project's imported codings (``project init --coded`` without a coder column, a coder named by
    the file) on other documents than the coders compared. They add nothing to observed agreement, yet make the
    summary one of more coders (Fleiss' for Cohen's κ), count in its chance agreement, and widen its analytic
    intervals; with ``unread_is_empty`` (a long multi-label file, whose coders are read as having read every
    unit) they count as giving no code on every unit the others coded."""
    shared = rated.sum(axis=1) > 1  # the units two coders or more rated
    alone = [coder for coder in rated.columns if not (rated[coder] & shared).any()]
    if not alone or len(alone) > rated.shape[1] - 2:
        return []
    counted = ("as giving no code on every unit the others coded (multi-label ratings take every coder to have "
               "read every unit)" if unread_is_empty else "as one more coder, in chance agreement and in the analytic "
               "intervals")
    return [f"{path}: the coder(s) {', '.join(map(str, alone))} share no unit with another coder, yet count in "
            f"the coders' summary, {counted}; a project's --codings export holds its imported codings too, their "
            "coder named by the --coded file: for the agreement among the others, name those with --coder NAME "
            "(repeatable)"]


def _metric_names(asked: list[str] | None) -> list[str] | None:
    """The ``--metric`` names as the metrics are named, where one was written apart from case (``-m Light``,
    ``-m AC1``: each read as the one name it matches); any other name is left as given, for the refusal that lists
    the names."""
    from theme_assist.agree.coefficients import metric_spelling

    return [metric_spelling(name, also=("masi_alpha",)) for name in asked] if asked else asked


def _summary_metrics(asked: list[str] | None, ratings, machine_labels) -> list[str] | None:
    """The coders' summary's metrics for ``--metric`` (``asked``): as asked, but with --machine (``machine_labels``)
    and more than two coders, Cohen's κ and Scott's π, asked for the machine table's pairs, are Fleiss' κ there,
    as in that table's ``all humans`` row (they are defined for two coders; without --machine they are refused)."""
    if not asked or machine_labels is None or ratings.shape[1] <= 2:
        return asked or None
    from theme_assist.agree.coefficients import metric_name
    from theme_assist.agree.machine import GROUP_METRIC_OF

    return list(dict.fromkeys(GROUP_METRIC_OF.get(metric_name(name), name) for name in asked))


_OBSERVED = "observed agreement over the units rated two or more times"
_FROM_EVERY_RATING = ("chance agreement", "from every rating, units rated once included (Gwet 2014)")
MISSING_TREATMENT: dict[str, tuple[str, str | None, tuple[str, str] | None]] = {
    "percent": ("percent", _OBSERVED, None),
    "cohen": ("kappa", _OBSERVED, _FROM_EVERY_RATING),
    "scott": ("pi", _OBSERVED, _FROM_EVERY_RATING),
    "bennett_s": ("S", _OBSERVED, ("chance agreement", "from the number of categories alone")),
    "fleiss": ("kappa", _OBSERVED, _FROM_EVERY_RATING),
    "conger": ("kappa", _OBSERVED, _FROM_EVERY_RATING),
    "ac1": ("AC1", _OBSERVED, _FROM_EVERY_RATING),
    "light": ("Light's kappa", None, ("each pair's kappa", "on the units both coders of the pair rated, its chance "
                                                          "agreement from those units alone")),
    "alpha": ("alpha", None, ("observed and expected disagreement", "from the pairable values alone (units rated "
                                                                     "two or more times)")),
}
"""How each coefficient (by canonical name) treats missing ratings: its short name, its observed agreement, and its
other part (what, how). The table's note (:func:`_missing_note`) and the JSON's (:func:`_with_missing_ratings`) are
both made of it."""


def _treatment_of(name: str) -> tuple[str, str | None, tuple[str, str] | None] | None:
    """The :data:`MISSING_TREATMENT` of the coefficient ``name`` (an alias too); None for another name."""
    from theme_assist.agree.coefficients import ALIASES

    return MISSING_TREATMENT.get(ALIASES.get(name, name))


def _missing_note(ratings, summary: dict, weighted: bool = False) -> list[str]:
    """How the coefficients of ``summary`` treat missing ratings, where some are: words for a methods section, each
    part said once with the coefficients it is of (``weighted``: with --weights, where AC1 is AC2)."""
    from theme_assist.agree.ratings import missing_ratings

    missing, of = missing_ratings(ratings)
    if not missing:
        return []
    treated = [treatment for treatment in map(_treatment_of, summary) if treatment]
    how = list(dict.fromkeys(observed for _, observed, _ in treated if observed))
    others: dict[tuple[str, str], dict[str, None]] = {}  # each part once, with its coefficients in order
    for label, _, other in treated:
        if other:
            others.setdefault(other, {})["AC2" if weighted and label == "AC1" else label] = None
    how += [f"{what} ({', '.join(labels)}) {rest}" for (what, rest), labels in others.items()]
    return [f"missing ratings ({missing:,} of {of:,}): " + "; ".join(how)] if how else []


def _with_missing_ratings(summary: dict, missing: int, of: int) -> dict:
    """``summary`` with, in each coefficient's entry, where ``missing`` ratings are missing of the ``of`` the units
    rated at least once have room for, ``missing_ratings``: their ``count``, ``of`` and the coefficient's
    ``treatment`` of them, in the words of :func:`_missing_note` (in each entry, so that each metric keeps one
    entry): the coders' summary's, and each comparison's of ``--machine`` on its own two sides."""
    if not missing:
        return summary

    def treatment(name: str) -> str:
        _, observed, other = _treatment_of(name)
        return "; ".join([*([observed] if observed else []), *([" ".join(other)] if other else [])])

    return {name: {**entry, "missing_ratings": {"count": missing, "of": of,
                                                "treatment": treatment(name)}} if _treatment_of(name) else entry
            for name, entry in summary.items()}


def _rated(ratings):
    """The rows of ``ratings`` rated at least once: a wide file's row that no coder rated is no unit of the
    agreement (``n_units``), and its empty cells are no missing ratings."""
    return ratings[ratings.notna().any(axis=1)]


def _no_summary_reason(ratings) -> str:
    """Why a ratings table of one coder (compared with the machine only) has no coders' summary."""
    return f"one coder ({ratings.columns[0]}): no coder-vs-coder agreement"


def _print_no_summary(reason: str, notes: list[str]) -> None:
    """The line printed where the coders' summary table would be, with the notes that table's caption holds."""
    from theme_assist.cli._console import table_console

    console = table_console()
    console.print(f"No coders' summary table — {reason}. The machine is compared with that coder below.",
                  markup=False)
    for note in notes:
        console.print(note[0].upper() + note[1:] + ".", markup=False)


def _check_span_options(units_file: Path | None, min_coverage: float | None, overlap: float | None) -> None:
    """:class:`InputError` for --units, --min-coverage and --overlap given together or out of range."""
    from theme_assist.errors import InputError

    if units_file is not None and overlap is not None:
        raise InputError("give --units (agreement on units) or --overlap (agreement on spans), not both")
    if min_coverage is not None:
        if units_file is None:
            raise InputError("--min-coverage applies with --units SEGMENTS.csv")
        if not 0 <= min_coverage <= 1:
            raise InputError(f"--min-coverage must lie in [0, 1] (0: any overlap); got {min_coverage:g}")
    if overlap is not None and not 0 < overlap <= 1:
        raise InputError(f"--overlap must lie in (0, 1], e.g. 0.9; got {overlap:g}")


def _refuse_for_overlap(**given: bool) -> None:
    """:class:`InputError` naming the first option given that segment agreement (--overlap) has no use for."""
    from theme_assist.errors import InputError

    for name, was_given in given.items():
        if was_given:
            raise InputError(f"--{name} does not apply to --overlap, which reports MAXQDA-style segment agreement "
                             "(agreements, percent, and Brennan & Prediger's kappa); use --units SEGMENTS.csv for "
                             "the coefficients")


def _segment_agreement(source, overlap: float) -> list[dict]:
    """Segment agreement (:func:`~theme_assist.agree.units.segment_agreement`) for each pair of coders, JSON-ready:
    ``coders``, ``min_overlap``, ``codes`` (one row per code and ``(all codes)``, the last) and ``kappa_bp``, with
    ``reason`` where it is undefined, and ``documents`` compared. Each pair is compared on the documents both put a
    span in (a document only one of them coded says nothing of their agreement), on every code in the file (the
    chance term is 1 / the number of codes)."""
    from itertools import combinations

    import pandas as pd

    from theme_assist.agree.units import segment_agreement

    spans = source.spans
    codes = sorted(pd.unique(spans["code"]))
    pairs = []
    for first, second in combinations(source.coders, 2):
        shared = set(spans.loc[spans["coder"] == first, "document"]) & set(spans.loc[spans["coder"] == second,
                                                                                       "document"])
        pair = {"coders": [first, second], "min_overlap": overlap, "documents": len(shared)}
        if not shared:
            pairs.append({**pair, "codes": [], "kappa_bp": None, "reason": "no document coded by both"})
            continue
        table = segment_agreement(spans[spans["document"].isin(shared)], first, second, min_overlap=overlap,
                                  codes=codes)
        rows = [{"code": str(code), "agreements": int(row["agreements"]), "disagreements": int(row["disagreements"]),
                 "total": int(row["total"]), "percent": _json_number(row["percent"])}
                for code, row in table.iterrows()]
        kappa = _json_number(table["kappa_bp"].iloc[-1])
        pairs.append({**pair, "codes": rows, "kappa_bp": kappa,
                      "reason": None if kappa is not None else
                      ("no span coded by either coder" if not rows[-1]["total"] else
                       "the chance term needs at least two codes")})
    return pairs


def _machine_labels(path: Path, human, ratings_path: Path, ids: tuple | None = None, versions: list[str] = ()):
    """The machine's rank-1 codes of ``path`` (:func:`~theme_assist.agree.reading.read_machine`), as numbers where
    the human ratings are numbers. ``ids``: where the human ratings' units are segment ids, the file that names them
    (a long ratings file or the --units file), its segmentation tags and, for a segments table, its columns that
    say what made them (the arguments of :func:`_refuse_other_segmentation` before the machine's). ``versions``:
    the codebook version the human ratings were exported under, if they say.

    Raises
    ------
    InputError
        When they come from another segmentation than ``ids_path`` (:func:`_refuse_other_segmentation`) or were
        exported under another codebook version than the ratings (``versions``), share no unit with the human
        ratings, are not numbers beside numeric ratings, or a coder has the machine's name.
    """
    import pandas as pd

    from theme_assist.agree.machine import MAJORITY
    from theme_assist.agree.reading import read_machine_and_segmentations, refuse_other_codebook_version
    from theme_assist.errors import InputError, listed

    labels, theirs, taught, their_versions = read_machine_and_segmentations(path)
    if versions and their_versions and list(versions) != their_versions:
        refuse_other_codebook_version(versions[0], ratings_path, their_versions[0], path)
    if ids is not None:
        _refuse_other_segmentation(*ids, path, theirs)
    if labels.name in human.columns:
        raise InputError(f"{ratings_path} has a coder named {labels.name!r}, the name the comparisons give the "
                         f"suggestions of {path}: rename that coder")
    if MAJORITY in human.columns and human.shape[1] > 1:  # two rows "machine vs human majority", told apart in JSON
        raise InputError(f"{ratings_path} has a coder named {MAJORITY!r}, the name the comparisons with {path} give "
                         "the code most coders gave: rename that coder")
    shared = human.index.intersection(labels.index)
    if not len(shared):
        raise InputError(f"the machine's suggestions {path} share no unit with {ratings_path} (segment ids such as "
                         f"{labels.index[0]!r} against units such as {human.index[0]!r})" if len(labels) else
                         f"the machine's suggestions {path} have no rank-1 row")
    if len(human.columns) and all(pd.api.types.is_float_dtype(dtype) for dtype in human.dtypes):
        numbers = pd.to_numeric(labels, errors="coerce")
        strange = labels.notna() & numbers.isna()
        if strange.any():
            raise InputError(f"the ratings are numbers, so the machine's codes must be numbers too; got "
                             f"{labels[strange].iloc[0]!r} for segment {labels[strange].index[0]!r}")
        labels = numbers.astype(float)
    learnt = shared[shared.isin(taught)]
    if len(learnt):
        # matched by id alone: the quotes and suggest's rows name no document. theme_assist's own ids (DOC:N) name
        # theirs; a team's own ("1"…"36" in every file) may be another document's segment of the same id
        unsure = ("; unless these ids name other segments in the file it learnt from (ids such as '1' given again "
                  "in each file: its evidence names no document to tell them apart)"
                  if any(":" not in str(unit) for unit in learnt) else "")
        logger.warning("%s: the machine learnt from at least %d of the %d unit(s) it is compared on (its evidence "
                       "quotes them as coded segments: %s): there it is scored on codes it was taught; compare it on "
                       "segments it did not learn from (project export --machine, or suggest --train with the codings "
                       "of other documents)%s", path, len(learnt), len(shared), listed(list(map(str, learnt)), 3),
                       unsure)
    # on the shared units only: the machine suggesting for documents nobody rated says nothing of its ids
    machine_codes, human_codes = set(labels.loc[shared].dropna()), set(pd.unique(human.stack().dropna()))
    foreign = sorted(map(str, machine_codes - human_codes))
    if foreign and len(foreign) * 2 >= len(machine_codes):
        logger.warning("most of the machine's codes in %s are none the coders used (%s): is it another codebook's "
                       "ids? (import-qdpx --codebook CB.yaml keeps a codebook's ids)", path, ", ".join(foreign[:5]))
    return labels


def _refuse_other_segmentation(ids_path: Path, ours: list[str], segments, machine_path: Path,
                               theirs: list[str]) -> None:
    """:class:`InputError` where the human ratings' segment ids (of ``ids_path``, tags ``ours``) and the machine's
    suggestions (of ``machine_path``, tags ``theirs``) carry segmentation tags that differ: the same ids may name
    other segments. A file without tags passes, and so does a segments table (--units: ``segments``, its columns
    :data:`~theme_assist.agree.reading.UNIT_SEGMENTATION_COLUMNS`; None for a ratings file) whose segments the
    machine's segmentation makes alike (:func:`~theme_assist.segment.segmented_alike`: also across versions, where
    the table shows that none of its documents is one version 2 changed)."""
    from theme_assist.errors import InputError
    from theme_assist.segment import across_versions, segmentation_difference, segmented_alike

    if ours and theirs and ours != theirs and not (segments is not None and len(theirs) == 1
                                                   and segmented_alike(segments, theirs[0], source=str(ids_path))):
        # refused even where only --max-chars differs, unless the ids file is a segments table (--units) showing
        # that no turn was split by either limit: else neither file says whether some turn was split otherwise
        differ = segmentation_difference(ours[0], theirs[0]) if len(ours) == len(theirs) == 1 else ""
        why = f"they differ in {differ}" if differ else \
            "another theme_assist version, or suggest with other --unit/--max-chars"
        unshown = across_versions(segments, theirs[0]) if segments is not None and len(theirs) == 1 else None
        why += f"; not shown to be segmented alike: {unshown}" if unshown else ""
        raise InputError(f"{ids_path} has segment ids of segmentation {', '.join(ours)} and the machine's "
                         f"suggestions {machine_path} of {', '.join(theirs)} ({why}): the same ids may name other "
                         "segments (a turn split otherwise moves every later id of its document); give files of one "
                         f"segmentation (suggest again with the --unit and --max-chars of {ids_path} where only "
                         "they differ; make both again with this version where it differs: suggest --segments-out "
                         "and code the segments by text, or export both again: project export --codings, --machine)")


def comparison_row(row: dict) -> dict:
    """A row of :func:`~theme_assist.agree.machine.agreement_report` as the JSON gives it: NaN as None, and each
    metric's entry with the comparison's missing ratings."""
    return ({key: _json_number(value) if isinstance(value, float) else value for key, value in row.items()
             if key != "missing_ratings"}
            | {"metrics": _with_missing_ratings(row["metrics"], *row["missing_ratings"])})


def _json_number(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


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


def _print_segment_agreement(pairs: list[dict]) -> None:
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from theme_assist.cli._console import table_console

    console = table_console()
    for pair in pairs:
        first, second = pair["coders"]
        caption = (f"On the {pair['documents']} document(s) both coded. A span agrees where the other coder gave the "
                   f"same code to a span overlapping it by at least {pair['min_overlap'] * 100:g}% (intersection over "
                   "union); one without such a counterpart disagrees. kappa_bp: Brennan & Prediger, chance = 1 / "
                   "number of codes")
        if pair["reason"]:
            caption += f"; undefined here: {pair['reason']}"
        table = Table(title=f"Segment agreement: {escape(str(first))} vs {escape(str(second))}", caption=caption)
        for column in ("code", "agreements", "disagreements", "total", "percent", "kappa_bp"):
            table.add_column(column, justify="left" if column == "code" else "right")
        last = len(pair["codes"]) - 1
        for i, row in enumerate(pair["codes"]):
            table.add_row(Text(str(row["code"])), str(row["agreements"]), str(row["disagreements"]), str(row["total"]),
                          _number(row["percent"]), _number(pair["kappa_bp"]) if i == last else "",
                          end_section=i == last - 1)
        console.print(table)


def _machine_rows_notes(rows: list[dict], column: str) -> list[str]:
    """What a caption of the machine comparison says of its rows beside the figures (the table's and the Markdown
    report's): the all-humans row's coefficient where it is another, the human majority, the prevalence.
    ``column``: the word for a metric's column or columns."""
    pair = next(row for row in rows if row["kind"] != "humans")
    group = next((row["metrics"] for row in rows if row["kind"] == "humans"), {})
    notes = [f"all humans: {entry['coefficient']} in the {name} {column}" for name, entry in group.items()
             if entry["coefficient"] != pair["metrics"][name]["coefficient"]]
    if any(row["kind"] == "machine-majority" for row in rows):
        # with two coders there is a majority only where they agree: a row on their easy units, not on all
        two = sum(row["kind"] == "human-human" for row in rows) == 1
        notes.append("human majority: the code most coders gave, on units two or more rated, ties left out" +
                     (" (two coders: only the units they agreed on)" if two else ""))
    if any(row["prevalence"] is not None for row in rows):
        notes.append("prevalence: share of ratings in the second of two categories")
    elif any(row["n_units"] for row in rows):  # "—" throughout, some units rated by both: not two categories
        count = next((entry["n_categories"] for entry in pair["metrics"].values() if entry.get("n_categories")), None)
        # one share of one category would say little of the others; each code's is its presence's prevalence
        per_code = all("by_code" in entry for entry in pair["metrics"].values())
        where = "the per-code table gives each code's" if per_code else "--per-code gives each code's"
        notes.append("prevalence (the share of ratings in the second of two categories) is — with "
                     + (f"{count} categor{'y' if count == 1 else 'ies'}" if count else "more than two categories")
                     + f": {where}")
    return notes


def _print_machine_comparison(rows: list[dict], seed: int, population: float | None = None,
                              summary_above: bool = True) -> None:
    from rich.table import Table
    from rich.text import Text

    from theme_assist.cli._console import counted, table_console

    entries = [entry for row in rows for entry in row["metrics"].values()]
    with_ci = any("ci" in entry for entry in entries)
    with_analytic = any("analytic" in entry for entry in entries)
    pair = next(row for row in rows if row["kind"] != "humans")
    # Light's kappa is Cohen's on the units both rated, each pair's chance agreement from those alone
    light = ", light's from the units both sides rated" if "light" in pair["metrics"] else ""
    captions = ["n: units both sides rated (machine abstentions are missing ratings); each side's code shares "
                f"come from every unit it rated (Gwet){light}"]
    captions.append(", ".join(f"{name}: {entry['coefficient']}" for name, entry in pair["metrics"].items()))
    if with_ci or with_analytic:
        captions.append(_intervals_caption(with_ci, with_analytic, "the comparison's own ratings",
                                           as_above=summary_above))
        if not summary_above:  # how the intervals were computed, which the coders' summary says otherwise
            if with_analytic:
                captions.append(_analytic_caption(pair["metrics"], population, columns=False))
            if with_ci:
                captions.append(_bootstrap_caption(pair["metrics"], seed, columns=False))
    if with_ci:
        kept = f"; the row on all the coders' columns keeps seed {seed}, as in the table above" if summary_above else ""
        captions.append(f"each comparison's bootstrap has its own seed, derived from seed {seed} and the names of its "
                        f"two columns (its seed in --format json){kept}")
    captions += _machine_rows_notes(rows, "column")
    table = Table(title="Machine vs humans", caption="; ".join(captions))
    table.add_column("comparison")
    for column in ("n", "prevalence", *pair["metrics"]):
        table.add_column(column, justify="right", no_wrap=column != "n")
    table.add_column("note")
    for i, row in enumerate(rows):
        following = rows[i + 1]["kind"] if i + 1 < len(rows) else row["kind"]
        few = "no unit rated by both" if not row["n_units"] else \
            f"only {counted(row['n_units'], 'unit')}" if row["n_units"] < FEW_UNITS else ""
        # on no shared unit every coefficient is undefined for that one reason: say it once
        note = few if not row["n_units"] else "; ".join(filter(None, [few, _metric_notes(row["metrics"])]))
        cells = (_with_intervals(entry, with_ci, with_analytic) for entry in row["metrics"].values())
        table.add_row(Text(row["comparison"]), str(row["n_units"]), _number(row["prevalence"]), *cells, note,
                      end_section=row["kind"].startswith("machine") and not following.startswith("machine"))
    table_console().print(table)


def _abstentions(ratings, machine_labels) -> int:
    """Units two coders or more rated that the machine did not code: the paired comparison's machine side leaves
    them out."""
    rated = ratings.notna().sum(axis=1) >= 2
    return int((rated & machine_labels.reindex(ratings.index).isna()).sum())


FEW_PAIRED = 100
"""Fewer units rated by two coders or more than this, and the paired intervals of the machine in place of a coder
held the population value in 92-95% of samples (50 units), the margin's verdict wrong in up to 4.9% where 2.5% is
meant (evaluation/results/paired_coverage.md): its caption says so."""


def in_place_captions(rows: list[dict], abstentions: int, paired: int | None = None) -> list[str]:
    """What the caption of the machine in place of a coder says (the table's and the Markdown report's): what each
    row's difference is, how its interval was drawn, the margin, what the machine's abstentions do, and where the
    units rated twice (``paired``) are fewer than :data:`FEW_PAIRED`, that the intervals are optimistic."""
    from theme_assist.cli._console import counted

    entries = [entry for row in rows for entry in row["metrics"].values()]
    first, last = rows[0], rows[-1]
    coders = [row["coder"] for row in rows[:-1]]
    example = (f"{first['comparison']}: machine vs {coders[1]} less {coders[0]} vs {coders[1]}" if len(coders) == 2
               else f"{first['comparison']}: the machine's mean agreement with the others less {coders[0]}'s")
    captions = [f"each coder's row: the machine's agreement with the other coders less that coder's with them, as if "
                f"the machine had coded in place of that coder ({example}), each term on the units the machine and "
                f"both coders rated; {last['comparison']}: the mean of every coder's terms, the machine's mean "
                "agreement with the coders less the coders' mean pairwise agreement; below 0 the machine agrees less "
                "than a coder does; with each difference, its two sides: the machine's mean agreement − the coders'"]
    with_ci = [entry for entry in entries if "ci" in entry]
    if with_ci:
        drawn = max(entry["n_boot"] for entry in with_ci)
        captions.append(f"{with_ci[0]['confidence']:.0%} {_bootstrap_kind(with_ci)} intervals of the differences: "
                        f"{drawn:,} resamples of the units (seed {with_ci[0]['seed']}), each difference's two sides "
                        "on the same resamples (paired)")
        margin = next((entry["margin"] for entry in with_ci if "margin" in entry), None)
        if margin is not None:
            captions.append(f"✓: non-inferior at margin {margin:g}: the 95% interval's lower limit above −{margin:g} "
                            "(a one-sided test at the 2.5% level); no ✓: non-inferiority not shown (inferiority "
                            f"needs the upper limit below −{margin:g}); each row is a test of its own: decide which "
                            "is primary before looking (the mean, or the coder the machine would replace)")
        if paired is not None and paired < FEW_PAIRED:
            captions.append(f"on {counted(paired, 'unit')} rated twice (fewer than {FEW_PAIRED}) these intervals are "
                            "too narrow: in simulations of 50 units they held the true difference in 92-95% of "
                            "samples, and a margin's verdict was wrong up to twice as often as meant "
                            "(evaluation/results/paired_coverage.md); read the mean row, and code more units twice")
    else:
        captions.append("--bootstrap 1000 gives each difference a paired interval")
    if abstentions:
        rated = f" of the {paired:,}" if paired else ""
        captions.append(f"the machine did not code {counted(abstentions, 'unit')}{rated} that two coders rated: the "
                        "differences are on the units it coded alone, which favours it where it abstains on units it "
                        "would get wrong; say so beside any verdict, with the share it coded")
    few = list(dict.fromkeys(pair for row in rows for pair in row.get("few_units", [])))
    if few:
        captions.append(f"terms on fewer than {FEW_UNITS} units the machine and both coders rated, which weigh as "
                        f"much in a row's mean as the others: {', '.join(few)}")
    return captions


def in_place_sides(entry: dict) -> str:
    """A difference's two sides, the machine's mean agreement and the coders': ``0.458 − 0.579``."""
    return f"{_number(entry['machine'])} − {_number(entry['coders'])}"


def _signed(value: float | None) -> str:
    """A difference to three decimals with its sign (+0.012, −0.086); 0.000 unsigned; — where there is none."""
    text = _number(value)
    return text if value is None or text == "0.000" else f"{value:+.3f}"


def _print_machine_in_place(rows: list[dict], abstentions: int, paired: int) -> None:
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from theme_assist.cli._console import table_console

    # plain text: a coder '[b]' is no markup
    caption = "; ".join(in_place_captions(rows, abstentions, paired))
    table = Table(title="Machine in place of a coder", caption=escape(caption))
    table.add_column("comparison")
    for column in rows[0]["metrics"]:
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("note")
    for row in rows:
        cells = [in_place_cell(entry, "ci" in entry, sides=True) for entry in row["metrics"].values()]
        table.add_row(Text(row["comparison"]), *cells, Text(_metric_notes(row["metrics"])))
    table_console().print(table)


def in_place_cell(entry: dict, with_ci: bool, sides: bool = False) -> str:
    """A terminal's cell of a difference of the machine in place of a coder: the difference with its sign, under
    it its paired interval (with ``with_ci``; ✓ where non-inferior) and, with ``sides``, its two sides."""
    lines = [_signed(entry["value"])]
    if with_ci:
        low, high = entry.get("ci") or [None, None]
        lines.append(("—" if low is None else f"{_signed(low)} to {_signed(high)}")
                     + (" ✓" if entry.get("non_inferior") else ""))
    if sides and entry["value"] is not None:
        lines.append(in_place_sides(entry))
    return "\n".join(lines)


def _print_tables(summary: dict, shape: tuple[int, int, int], multi_label: bool, seed: int,
                  population: float | None = None, notes: list[str] | None = None) -> None:
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from theme_assist.cli._console import table_console

    console = table_console()
    with_ci = any("ci" in entry for entry in summary.values())
    with_analytic = any("analytic" in entry for entry in summary.values())
    captions = ["multi-label: MASI-alpha on code sets" + (", the rest on presence/absence pooled over codes (their "
                "units column counts unit × code pairs" + ("; their intervals resample, and count, units, each with "
                "all its codes" if any("clusters" in entry for entry in summary.values()) else "") + ")"
                + _pooling_caption(summary) if len(summary) > 1 else "")] if multi_label else []
    captions += [escape(note) for note in notes or []]  # plain text: a coder '[b]' is no markup
    if with_analytic:
        captions.append(_analytic_caption(summary, population))
    if with_ci:
        captions.append(_bootstrap_caption(summary, seed))
    units, coders, paired = shape
    rated_twice = "" if paired == units else f" ({paired} rated by two or more)"
    table = Table(title=f"Agreement: {units} units{rated_twice}, {coders} coders", caption="\n".join(captions) or None)
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
            row += [_number(analytic.get("se")), _span(analytic.get("ci"))]
        if with_ci:
            below = entry.get("p_below", {})
            row += [_span(entry.get("ci")), _number(below.get("0.667")), _number(below.get("0.8"))]
        notes = [entry["reason"]] if entry["reason"] else []
        row.append("; ".join(notes + _pairs_notes(entry) + _interval_notes(entry)))
        table.add_row(*row)
    console.print(table)

    per_code = {name: entry["by_code"] for name, entry in summary.items() if "by_code" in entry}
    if per_code:
        codes = next(iter(per_code.values()))
        on = "the code's presence/absence" + (", the bootstrap with the code's own seed, derived from seed "
                                              f"{seed} and the code (its seed in --format json)" if with_ci else "")
        coders = list(next(iter(codes.values()))["given"]) if codes else []
        captions = [f"n: units compared; given: units each coder gave the code, of all they rated "
                    f"({escape(' / '.join(coders))}); {PREVALENCE_CAPTION}"]
        if with_ci or with_analytic:
            captions.append(_intervals_caption(with_ci, with_analytic, on))
        kind = "presence/absence" if multi_label else "presence/absence: the code against the rest"
        by_code = Table(title=f"Per code ({kind})", caption="; ".join(captions))
        by_code.add_column("code")
        by_code.add_column("n", justify="right")
        by_code.add_column("given", justify="right")
        by_code.add_column("prevalence", justify="right")
        for name in per_code:
            by_code.add_column(name, justify="right", no_wrap=True)
        entries = {code: {name: per_code[name][code] for name in per_code} for code in codes}
        notes = {code: _metric_notes(metrics) for code, metrics in entries.items()}
        if any(notes.values()):
            by_code.add_column("note")
        for code, first in codes.items():
            by_code.add_row(Text(str(code)), str(first["n_units"]), _given(first["given"]),
                            _number(first["prevalence"]),
                            *(_with_intervals(entry, with_ci, with_analytic) for entry in entries[code].values()),
                            *([notes[code]] if any(notes.values()) else []))
        console.print(by_code)


PREVALENCE_CAPTION = "prevalence: share of the ratings that give the code"
"""What a per-code table's prevalence is (:func:`~theme_assist.agree.report.prevalence`), in its caption."""


def _given(given: dict) -> str:
    """How many units each coder (or side) gave a code, in their order: ``3 / 4``."""
    return " / ".join(map(str, given.values()))


def _print_machine_per_code(rows: list[dict]) -> None:
    """The per-code agreement of each comparison of the machine table (:func:`agreement_report` with
    ``per_code``): one line per comparison and code, its columns' metrics with the intervals asked for."""
    from rich.table import Table
    from rich.text import Text

    from theme_assist.cli._console import table_console

    entries = [entry for row in rows for metric in row["metrics"].values() for entry in metric["by_code"].values()]
    with_ci = any("ci" in entry for entry in entries)
    with_analytic = any("analytic" in entry for entry in entries)
    captions = ["each code read as present or absent (the code against the rest) on the units both sides rated; "
                "n: those units; given: units each side gave the code, of all it rated, in the comparison's order "
                f"(all humans: the coders' order); {PREVALENCE_CAPTION}"]
    if with_ci or with_analytic:
        seeds = ", the bootstrap with the code's own seed, derived from the comparison's and the code" if with_ci \
            else ""
        captions.append(_intervals_caption(with_ci, with_analytic, f"the code's presence/absence{seeds}"))
    table = Table(title="Machine vs humans, per code", caption="; ".join(captions))
    table.add_column("comparison")
    table.add_column("code")
    columns = list(rows[0]["metrics"]) if rows else []
    for column in ("n", "given", "prevalence", *columns):
        table.add_column(column, justify="right", no_wrap=column not in ("n", "given"))
    table.add_column("note")
    for row in rows:
        by_code = {code: {column: row["metrics"][column]["by_code"][code] for column in columns}
                   for code in next(iter(row["metrics"].values()))["by_code"]}
        for i, (code, metrics) in enumerate(by_code.items()):
            first = next(iter(metrics.values()))
            table.add_row(Text(row["comparison"]) if i == 0 else "", Text(code), str(row["n_units"]),
                          _given(first["given"]), _number(first["prevalence"]),
                          *(_with_intervals(entry, with_ci, with_analytic) for entry in metrics.values()),
                          _metric_notes(metrics), end_section=i == len(by_code) - 1)
    table_console().print(table)


def _pooling_caption(summary: dict) -> str:
    """How the multi-label summary's pooled rows pool the codes, where kappa's and the stacked rows' ways differ."""
    from theme_assist.agree.report import DE_VRIES_POOLING, STACKED_LABEL

    pooled = [name for name, entry in summary.items() if entry.get("pooling") == DE_VRIES_POOLING]
    stacked = [name for name, entry in summary.items() if entry["coefficient"].endswith(STACKED_LABEL)]
    parts = [f"{', '.join(pooled)}: observed and chance agreement each averaged over codes, each code's chance from "
             "its own prevalence (De Vries et al. 2008)"] if pooled else []
    if stacked:
        parts.append(f"{', '.join(stacked)}: on all codes' presence/absence stacked, chance from the prevalence over "
                     "all codes")
    return "".join(f"; {part}" for part in parts)


def _analytic_caption(summary: dict, population: float | None, columns: bool = True) -> str:
    """What the analytic intervals are, in words a methods section can cite (and, with ``columns``, what the
    summary table's SE column is)."""
    entry = next(entry["analytic"] for entry in summary.values() if "analytic" in entry)
    alpha = any(name.endswith("alpha") for name in summary)
    # the tables' n counts the units a coefficient compares (rated twice, or by both sides): not these
    units = "m: units rated at least once" + (", for alpha at least twice" if alpha else "") + "; not the tables' n"
    from theme_assist.agree.coefficients import ALIASES

    names = {ALIASES.get(name, name): entry for name, entry in summary.items()}  # -m brennan_prediger is S too
    minima = [minimum for name, minimum in (("percent", "0 for percent agreement"),
                                            ("bennett_s", "−p_e/(1−p_e) for Bennett's S")) if name in names]
    lower = f", the lower one at the minimum, {' and '.join(minima)}" if minima else ""
    # the other minima depend on the data: their lower limits stay as computed, at times below −1 on few units
    uncapped = any("analytic" in entry for name, entry in names.items() if name not in ("percent", "bennett_s"))
    lower += (", the others' lower limits not capped" if minima else ", the lower limits not capped") if uncapped \
        else ""
    correction = f"; finite-population correction for N = {population:g} units" if population else ""
    return (f"{entry['confidence']:.0%} analytic intervals (Gwet 2014, conditional on the coders; t with m−1 df "
            f"({units}); upper limit capped at 1{lower}{correction})" + (". SE: standard error" if columns else ""))


def _bootstrap_kind(entries) -> str:
    """The bootstrap interval's kind, as a caption names it: BCa (whose entries say why it fell back, if it did)
    or percentile."""
    return "BCa" if any("interval_reason" in entry for entry in entries) else "percentile"


def _bootstrap_caption(summary: dict, seed: int, columns: bool = True) -> str:
    """How the intervals were computed, in words a methods section can cite (and, with ``columns``, what the
    summary table's P<x columns are)."""
    entry = next(entry for entry in summary.values() if "ci" in entry)
    drawn = max(entry.get("n_boot", 0) for entry in summary.values())  # 0 for an undefined coefficient
    methods = {entry.get("method") for entry in summary.values()}
    how = []
    if "units" in methods:
        alpha_too = "coincidences" not in methods and any(name.endswith("alpha") for name in summary)
        how.append("units resampled with replacement" + (", for alpha too" if alpha_too else ""))
    if "coincidences" in methods:
        pooled = summary.get("alpha", {}).get("method") == "units"  # multi-label: the pooled alpha resamples units
        how.append("alpha: pairs of values drawn from the coincidences (Hayes & Krippendorff 2007)" +
                   (", except the pooled alpha" if pooled else ""))
    kind = _bootstrap_kind(summary.values())
    return (f"{entry['confidence']:.0%} {kind} bootstrap intervals, {drawn:,} resamples, seed {seed}: "
            f"{'; '.join(how)}" + (". P<x: share of resamples below x" if columns else ""))


def _number(value: float | None) -> str:
    """Three decimals; a value that rounds to zero is 0.000, not -0.000 (a bootstrap limit of -1e-17)."""
    return "—" if value is None else f"{value:.3f}".replace("-0.000", "0.000")


def _intervals_caption(bootstrap: bool, analytic: bool, on: str, as_above: bool = True) -> str:
    """What the lines under each value of :func:`_with_intervals` are (computed as in the table above them, or,
    without one, on ``on`` alone)."""
    kinds = [kind for kind, given in (("bootstrap", bootstrap), ("analytic", analytic)) if given]
    return (f"under each value: {', then '.join(f'its 95% {kind} interval' for kind in kinds)}, computed "
            f"{'as in the table above ' if as_above else ''}on {on}")


def _with_intervals(entry: dict, bootstrap: bool, analytic: bool) -> str:
    """An entry's value, and under it its bootstrap and analytic intervals as asked for, one per line."""
    lines = [_number(entry["value"])]
    if bootstrap:
        lines.append(_span(entry.get("ci")))
    if analytic:
        lines.append(_span(entry.get("analytic", {}).get("ci")))
    return "\n".join(lines)


def _span(ci: list | None) -> str:
    """An interval ``[low, high]`` as ``low–high``; "—" where there is none."""
    low, high = ci or [None, None]
    return "—" if low is None else f"{_number(low)}–{_number(high)}"


def _metric_notes(entries: dict) -> str:
    """What a row's note says of its metrics (name → entry): why a value is undefined and what its intervals left
    out, each note once, after the metrics it applies to (``cohen, ac1: no variation…``)."""
    grouped: dict[str, list[str]] = {}
    for name, entry in entries.items():
        for note in ([entry["reason"]] if entry["reason"] else []) + _pairs_notes(entry) + _interval_notes(entry):
            grouped.setdefault(note, []).append(name)
    return "; ".join(f"{', '.join(names)}: {note}" for note, names in grouped.items())


def _pairs_notes(entry: dict) -> list[str]:
    """What a table's note says of a defined Light's kappa: the coder pairs whose kappa is undefined, left out of
    the mean, and why; the pairs counted that share fewer than :data:`FEW_UNITS` units, which weigh as much in the
    mean as the others (0.735 on 180 units and 0.5 on 3 units twice: 0.578)."""
    if entry["value"] is None or "pairs" not in entry:
        return []
    notes = []
    if entry.get("n_pairs_undefined"):
        reasons = ", ".join(dict.fromkeys(pair["reason"] for pair in entry["pairs"] if pair["reason"]))
        notes.append(f"mean of {entry['n_pairs'] - entry['n_pairs_undefined']} of {entry['n_pairs']} coder pairs; "
                     f"the others' kappa is undefined ({reasons}), left out")
    few = [pair for pair in entry["pairs"] if pair["value"] is not None and pair["n_units"] < FEW_UNITS]
    if few:
        from theme_assist.cli._console import counted
        listed = ", ".join(f"{' and '.join(map(str, pair['coders']))}: {pair['n_units']}" for pair in few[:5])
        notes.append(f"{counted(len(few), 'coder pair')} of the mean share fewer than {FEW_UNITS} units "
                     f"({listed}{', …' if len(few) > 5 else ''}), yet each counts in the mean as much as the others")
    return notes


def _interval_notes(entry: dict) -> list[str]:
    """What a table's note says of a defined value's intervals: why it has no analytic one, resamples left out."""
    if entry["value"] is None:
        return []
    notes = [entry["analytic"]["reason"]] if entry.get("analytic", {}).get("reason") else []
    if entry.get("n_undefined"):
        notes.append(f"undefined on {entry['n_undefined']} of {entry['n_boot']} resamples, left out of the "
                     "interval")
    if entry.get("interval_reason"):
        notes.append(f"percentile interval, not BCa: {entry['interval_reason']}")
    if entry.get("interval_warning"):  # a limit is one extreme resample's value (JSON: the whole warning)
        notes.append(f"BCa unreliable here, a limit is the most extreme resample's value: read the percentile "
                     f"interval, {_span(entry['percentile_ci'])}")
    low, high = entry.get("ci") or [None, None]
    # resamples all alike but the estimate's own (--bootstrap 1) are too few resamples, not units without variation
    if (low is not None and low == high and math.isclose(low, entry["value"], abs_tol=1e-12)) \
            or entry.get("analytic", {}).get("se") == 0:
        # every unit agreeing (or all alike) leaves nothing to resample: [1, 1] from 5 units is no certainty
        notes.append("zero-width interval: the units show no variation to resample or measure; it is no "
                     f"evidence that the population value is exactly {_number(entry['value'])}")
    return notes


def register(app: typer.Typer) -> None:
    app.command("agree")(agree)
