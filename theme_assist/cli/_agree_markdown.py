"""``theme-assist agree --format markdown``: a report to paste into a paper's methods and results, or a supplement.

It is made from the object ``--format json`` prints (every figure is that object's, rounded as the table rounds
it) and from the words of the table's captions and notes (the helpers of :mod:`theme_assist.cli.agree`), so that
no figure is copied by hand and none is computed twice. Same input and seed: same bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

MINUS = "\u2212"
MISSING = "—"
NO_UNIT = "no unit rated by both"
"""Why a comparison beside the machine has no figure (the machine abstained on every unit its coder rated)."""
LISTED = 12
"""The methods paragraph names the categories where there are this many or fewer (the per-code table lists
them all)."""
_HYPHEN_MINUS = re.compile(r"(?<![\w.])-(?=(?:\d+(?:\.\d+)?|\.\d+)(?![\w.-]?\w))")
"""A hyphen that is a number's minus: ``-0.25``, ``-3``; not a name's (a file ``-3.csv``, ``-3-a``)."""
_MARKUP = re.compile(r"[\\`*\[\]<~]|(?<!\w)_|_(?!\w)|&(?=#?\w+;)")


@dataclass
class ReportContext:
    """What the report says of how the figures were obtained, beside the JSON object's figures.

    Attributes
    ----------
    units_kind : str
        What a unit is, in the plural: ``units``, or ``segments`` (segment ids: a project export's, --units').
    units_source : str
        Where the units come from (--units' file), or "".
    documents : int or None
        Documents the units lie in, where known (span codings on --units).
    categories : list of str
        The categories the coefficients count (--categories' order, else the ratings' sorted).
    unused : list of str
        Categories --categories declared that no coder used.
    by_machine : list of str
        Those of ``unused`` the machine used (--machine).
    n_boot, seed, population : int, int, float or None
        The bootstrap's resamples and seed, the analytic intervals' population (the intervals' kinds and
        methods are the JSON's).
    machine : str or None
        The machine's suggestions file (--machine).
    paired : int or None
        Units rated by two or more coders.
    notes : list of str
        Notes of the summary table's caption (span codings, --coder) and the warnings said on standard error: each
        a footnote.
    missing : list of str
        How the coefficients treated missing ratings, where some are (the table's note): a footnote.
    multi_label : bool
        Multi-label ratings (MASI-alpha and presence/absence per code).
    weighted : bool
        Weighted coefficients (--weights).
    no_code : str or None
        The category of a unit without a coder's span (span codings on --units), which no coder chose.
    abstentions : int
        Units two coders or more rated that the machine did not code (--machine).
    """

    units_kind: str = "units"
    units_source: str = ""
    documents: int | None = None
    categories: list = field(default_factory=list)
    unused: list = field(default_factory=list)
    by_machine: list = field(default_factory=list)
    n_boot: int = 0
    seed: int = 0
    population: float | None = None
    machine: str | None = None
    paired: int | None = None
    notes: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    multi_label: bool = False
    weighted: bool = False
    no_code: str | None = None
    abstentions: int = 0


class _Footnotes:
    """Numbered Markdown footnotes (``[^1]``), each text once: a note on several rows is one footnote."""

    def __init__(self) -> None:
        self.texts: dict[str, int] = {}

    def mark(self, notes: list[str]) -> str:
        marks = []
        for note in dict.fromkeys(notes):
            text = _print_text(note)
            number = self.texts.setdefault(text, len(self.texts) + 1)
            marks.append(f"[^{number}]")
        return "".join(marks)

    def lines(self) -> list[str]:
        return [f"[^{number}]: {_sentence(text)}" for text, number in self.texts.items()]


def _print_text(text: str) -> str:
    """A note's words for print: a minus sign for a negative number, one line, no Markdown table breaks."""
    text = " ".join(str(text).split())
    return _HYPHEN_MINUS.sub(MINUS, text).replace("|", "\\|")


def _sentence(text: str) -> str:
    """``text`` as a sentence: a capital, unless it starts with a name (a file's, ``multi.csv: ...``), and a stop."""
    text = text.strip()
    if not text:
        return text
    first = text.split(maxsplit=1)[0].rstrip(":,;")
    capital = text[:1].upper() if first.isalpha() else text[:1]
    return capital + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def _name(name) -> str:
    """A coder's or code's name as written, on one line: the characters Markdown would read as markup (``*x*``,
    ``[a](b)``, ``<b>``, a backtick, an underscore at a word's edge, the ``&`` of an HTML entity such as ``&amp;``)
    escaped, so that the rendered report names it as the file does. A name without them is unchanged (no backslash,
    which raw Markdown pasted into a word processor would show)."""
    return _MARKUP.sub(lambda found: "\\" + found.group(0), " ".join(str(name).split()))


def _cell(text) -> str:
    """Text for a table's cell: one line, ``|`` escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def number(value: float | None) -> str:
    """A figure to three decimals, as the table gives it, with a minus sign; ``—`` where there is none."""
    from theme_assist.cli.agree import _number

    return MISSING if value is None else _number(value).replace("-", MINUS)


def interval(ci: list | None) -> str:
    """An interval as ``[low, high]`` to three decimals; ``—`` where there is none."""
    low, high = ci or [None, None]
    return MISSING if low is None or high is None else f"[{number(low)}, {number(high)}]"


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    lines = ["| " + " | ".join(_cell(name) for name in header) + " |",
             "|" + "|".join("---:" if i in right else ":---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return lines


def _entry_notes(entry: dict) -> list[str]:
    """What the table's note says of one coefficient's entry: why it is undefined, pairs and resamples left out,
    BCa's fallbacks and warnings."""
    from theme_assist.cli.agree import _interval_notes, _pairs_notes

    notes = ([entry["reason"]] if entry.get("reason") else []) + _pairs_notes(entry) + _interval_notes(entry)
    return [_name(note) for note in notes]


def _interval_columns(entries: list[dict]) -> tuple[bool, bool]:
    return any("ci" in entry for entry in entries), any("analytic" in entry for entry in entries)


def software() -> str:
    """theme_assist's version and, where it runs from a git checkout, its commit (as ``evaluate`` records it)."""
    import theme_assist
    from theme_assist.machine import git_commit

    commit = git_commit()  # unknown for an installed copy
    return f"theme_assist {theme_assist.__version__}" + (f" (git commit {commit})" if commit != "unknown" else "")


def _names(names) -> str:
    """``a, b and c``; ``a; b and c`` where a name has a comma of its own ("Cohen's kappa, pooled over codes");
    each name on one line (a code's line break in the methods paragraph ended it, ``y\n# z`` a heading)."""
    names = [_name(name) for name in names]
    apart = "; " if any("," in name for name in names) else ", "
    return names[0] if len(names) == 1 else apart.join(names[:-1]) + " and " + names[-1]


def _listed(names: list) -> str:
    """`` (a, b and c)`` after a count, where there are few enough names (:data:`LISTED`) for a sentence."""
    return f" ({_names(names)})" if len(names) <= LISTED else ""


def _count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def _metrics(result: dict) -> dict:
    """The coefficients' entries of the JSON object, without its top level's other keys."""
    return {name: entry for name, entry in result.items() if isinstance(entry, dict) and "value" in entry}


def _methods(result: dict, context: ReportContext, footnotes: _Footnotes) -> str:
    """The methods paragraph."""
    from theme_assist.cli.agree import _analytic_caption, _bootstrap_caption, _bootstrap_kind

    summary = _metrics(result)
    coders = result["coders"]
    sentences = []
    first = f"Agreement was measured on {_count(result['n_units'], context.units_kind[:-1], context.units_kind)}"
    if context.units_source:
        first += f" (the units of {_name(context.units_source)})"
    if context.documents is not None:
        first += f" in {_count(context.documents, 'document')}"
    if context.machine is not None and len(coders) == 1:
        first += f", coded by one coder ({_name(coders[0])}) and by the machine"
    else:
        # not "independently": the file does not tell (a review without --blind shows each coder the others' codes)
        first += f", coded by {len(coders)} coders ({_names(coders)})"
    if len(coders) > 1 and context.paired is not None and context.paired != result["n_units"]:
        first += f"; {context.paired:,} of them {'was' if context.paired == 1 else 'were'} rated by two or more coders"
    sentences.append(first)
    if context.multi_label:
        sentences.append("A coder could give a unit several codes (multi-label): the code sets were compared with "
                         "Krippendorff's alpha on the MASI distance, and each code as present or absent")
        codes = next((list(entry["by_code"]) for entry in _metrics(result).values() if entry.get("by_code")), [])
        if codes:
            sentences.append(f"They chose among {_count(len(codes), 'code')}{_listed(codes)}")
        if not context.units_source:
            sentences.append("Each coder was taken to have read every unit: a unit without a code from a coder "
                             "counted as given none of the codes")
    if context.categories:
        who = "coders" if len(coders) > 1 else "coder"
        codes = [category for category in context.categories if category != context.no_code]
        if len(codes) < len(context.categories):  # no coder chose it: the rating of a unit without their span
            said = (f"The {who} chose among {_count(len(codes), 'code')}{_listed(codes)}; a unit of a document they "
                    f"coded without their span on it was rated {context.no_code}: "
                    f"{_count(len(context.categories), 'category', 'categories')} in all")
        else:
            said = (f"The {who} chose among {_count(len(context.categories), 'category', 'categories')}"
                    f"{_listed(context.categories)}")
        if context.unused:
            # --weights: the weights are spread over every category, so every weighted coefficient counts them
            depend = "Bennett's S, AC2 and the weights, which depend on the categories" if context.weighted else \
                "Bennett's S and AC1, which depend on the number of categories"
            # "the category": "(1, 2, 3 and 4), 4 declared but used by no coder" read as four categories unused
            which = "the category" if len(context.unused) == 1 else "the categories"
            said += f", {which} {_names(context.unused)} declared but used by no coder"
            if context.by_machine:
                said += f" ({_names(context.by_machine)} by the machine alone)"
            said += f", and counted (for {depend})"
        sentences.append(said)
    names = [entry["coefficient"] for entry in summary.values()]
    paired = []
    if context.machine is not None:
        rows = result.get("machine_comparison") or []
        first_row = next((row for row in rows if row["kind"] != "humans"), None)
        paired = [entry["coefficient"] for entry in (first_row["metrics"].values() if first_row else [])]
    if names and any(name not in names for name in paired):
        # said apart: "..., Krippendorff's alpha (nominal), Percent agreement and Cohen's kappa" read as one list,
        # two percent agreements in it, and Cohen's kappa as if of all the coders
        sentences.append(f"Coefficients: {_names(names)} among the coders; {_names(paired)} in each comparison of "
                         "two sides")
    elif names or paired:
        # their names say alpha's level and the weights: "Krippendorff's alpha (ordinal)", "(quadratic weights)"
        sentences.append(f"Coefficients: {_names(names or paired)}")
    entries = list(summary.values()) + [entry for row in result.get("machine_comparison") or []
                                        for entry in row["metrics"].values()]
    with_ci, with_analytic = _interval_columns(entries)
    pairs = {name: entry for name, entry in summary.items()} or next(
        (row["metrics"] for row in result.get("machine_comparison") or [] if row["kind"] != "humans"), {})
    if with_ci and any("ci" in entry for entry in pairs.values()):
        kind = _bootstrap_kind(entries)
        said = _bootstrap_caption(pairs, context.seed, columns=False)
        if kind == "BCa":
            said = said.replace(" BCa bootstrap intervals", " BCa bootstrap intervals (Efron 1987)", 1)
        if any(entry.get("interval_warning") or entry.get("interval_reason") for entry in entries):
            said += " (exceptions in the notes)"
        sentences.append("Intervals: " + said)
        if context.machine is not None:
            sentences.append("Each comparison with the machine drew its own resamples, with a seed derived from "
                             f"seed {context.seed} and the names of its two columns")
    elif not with_ci:
        sentences.append("No intervals were computed" if not with_analytic else "")
    if with_analytic and any("analytic" in entry for entry in pairs.values()):
        sentences.append(("Also " if with_ci else "Intervals: ") + _analytic_caption(pairs, context.population,
                                                                                   columns=False))
    missing = next((entry["missing_ratings"] for entry in summary.values() if "missing_ratings" in entry), None)
    if missing:
        were, them = ("was", "it") if missing["count"] == 1 else ("were", "them")
        sentences.append(f"{missing['count']:,} of {missing['of']:,} ratings {were} missing, each coefficient "
                         f"treating {them} as the note says." + footnotes.mark(list(map(_name, context.missing))))
    elif not context.multi_label and summary:
        sentences.append("No rating was missing")
    if context.machine is not None:
        against = "the coder" if len(coders) == 1 else "each coder and the coders' majority"
        # how the machine's codes were made (a pre-coding before the round, or a model trained on these very
        # codings) is not in the file: the report says what it compared, and the author says how they were made
        sentences.append(f"The machine's codes ({_name(Path(context.machine).name)}: theme_assist's rank-1 code per "
                         f"segment) were compared as one more coder, with {against} (an abstention is a missing "
                         "rating)")
        if result.get("machine_in_place"):
            entries = [entry for row in result["machine_in_place"] for entry in row["metrics"].values()]
            sentences.append("Whether it could code in place of a coder was read off the difference between its "
                             "agreement with the other coders and that coder's, and the mean of these differences"
                             + (", each with a paired bootstrap interval (both sides on the same resampled units)"
                                if any("ci" in entry for entry in entries) else ""))
            margin = next((entry["margin"] for entry in entries if "margin" in entry), None)
            if margin is not None:  # a non-inferiority claim is read with its margin, sidedness and level
                sentences.append(f"The machine was taken as non-inferior to a coder where the lower limit of the "
                                 f"difference's 95% interval was above {MINUS}{margin:g} (a margin of {margin:g}): a "
                                 "one-sided test at the 2.5% level")
    sentences.append(f"Computed with {software()}, `theme-assist agree`")
    return " ".join(_sentence(sentence) if not sentence.endswith("]") else sentence[:1].upper() + sentence[1:]
                    for sentence in sentences if sentence)


def _summary_table(result: dict, footnotes: _Footnotes) -> list[str]:
    from theme_assist.cli.agree import _bootstrap_kind

    summary = _metrics(result)
    with_ci, with_analytic = _interval_columns(list(summary.values()))
    kind = _bootstrap_kind(summary.values())
    header = ["Coefficient", "Value", "n"]
    if with_analytic:
        header += ["SE", "95% CI (analytic)"]
    if with_ci:
        header += [f"95% CI ({kind} bootstrap)", "P(< .667)", "P(< .8)"]
    rows = []
    for entry in summary.values():
        row = [entry["coefficient"] + footnotes.mark(_entry_notes(entry)), number(entry["value"]),
               str(entry["n_units"])]
        if with_analytic:
            analytic = entry.get("analytic", {})
            row += [number(analytic.get("se")), interval(analytic.get("ci"))]
        if with_ci:
            below = entry.get("p_below", {})
            row += [interval(entry.get("ci")), number(below.get("0.667")), number(below.get("0.8"))]
        rows.append(row)
    return _table(header, rows, set(range(1, len(header))))


def _with_intervals(entry: dict, name: str, with_ci: bool, with_analytic: bool) -> dict[str, str]:
    cells = {name: number(entry["value"])}
    if with_ci:
        cells[f"{name} 95% CI" + (" (bootstrap)" if with_analytic else "")] = interval(entry.get("ci"))
    if with_analytic:
        cells[f"{name} 95% CI" + (" (analytic)" if with_ci else "")] = interval(entry.get("analytic", {}).get("ci"))
    return cells


def _apart(names: list[str]) -> str:
    """What separates the coders' ``names`` in the per-code table's "Given (a / b)", and their counts in its cells:
    `` / ``, unless a name holds it (coder ``a / b`` read as two), then the first of ``; `` and `` · `` that no name
    holds, else `` // `` (`` /// ``, ...)."""
    def held(apart: str) -> bool:
        return any(apart in f" {name} " for name in names)

    apart = next((apart for apart in (" / ", "; ", " · ") if not held(apart)), " // ")
    while held(apart):
        apart = apart.replace("/ ", "// ")
    return apart


def _per_code_table(result: dict, footnotes: _Footnotes) -> list[str]:
    per_code = {name: entry["by_code"] for name, entry in _metrics(result).items() if "by_code" in entry}
    codes = next(iter(per_code.values()))
    entries = [entry for by_code in per_code.values() for entry in by_code.values()]
    with_ci, with_analytic = _interval_columns(entries)
    coders = [_name(coder) for coder in next(iter(codes.values()))["given"]] if codes else []
    apart = _apart(coders)
    header = ["Code", "n", f"Given ({apart.join(coders)})", "Prevalence"]
    rows = []
    for code in codes:
        first = next(iter(per_code.values()))[code]
        cells: dict[str, str] = {}
        notes = []
        for name, by_code in per_code.items():
            cells.update(_with_intervals(by_code[code], name, with_ci, with_analytic))
            notes += [f"`{name}`: {note}" for note in _entry_notes(by_code[code])]
        if len(header) == 4:
            header += list(cells)
        rows.append([_name(code) + footnotes.mark(notes), str(first["n_units"]),
                     apart.join(map(str, first["given"].values())), number(first["prevalence"]), *cells.values()])
    return _table(header, rows, set(range(1, len(header))))


def _machine_table(rows: list[dict], footnotes: _Footnotes) -> list[str]:
    from theme_assist.cli._console import counted
    from theme_assist.cli.agree import FEW_UNITS

    entries = [entry for row in rows for entry in row["metrics"].values()]
    with_ci, with_analytic = _interval_columns(entries)
    header = ["Comparison", "n", "Prevalence"]
    lines = []
    for row in rows:
        cells: dict[str, str] = {}
        for name, entry in row["metrics"].items():
            cells.update(_with_intervals(entry, name, with_ci, with_analytic))
        if len(header) == 3:
            header += list(cells)
        few = NO_UNIT if not row["n_units"] else \
            f"only {counted(row['n_units'], 'unit')}" if row["n_units"] < FEW_UNITS else ""
        notes = [few] if few else []
        if row["n_units"]:
            notes += [f"`{name}`: {note}" for name, entry in row["metrics"].items() for note in _entry_notes(entry)]
        lines.append([_name(row["comparison"]) + footnotes.mark(notes), str(row["n_units"]), _prevalence(row),
                      *cells.values()])
    return _table(header, lines, set(range(1, len(header))))


def _prevalence(row: dict, entry: dict | None = None) -> str:
    """A machine comparison's prevalence (``entry``'s: a code's), ``—`` where no unit was rated by both sides: the
    figure would be of one side's ratings alone."""
    return number((entry or row)["prevalence"]) if row["n_units"] else MISSING


def _machine_per_code_table(rows: list[dict], footnotes: _Footnotes) -> list[str]:
    entries = [entry for row in rows for metric in row["metrics"].values() for entry in metric["by_code"].values()]
    with_ci, with_analytic = _interval_columns(entries)
    header = ["Comparison", "Code", "n", "Given", "Prevalence"]
    lines = []
    for row in rows:
        columns = list(row["metrics"])
        for code in next(iter(row["metrics"].values()))["by_code"]:
            metrics = {column: row["metrics"][column]["by_code"][code] for column in columns}
            first = next(iter(metrics.values()))
            cells: dict[str, str] = {}
            notes = [] if row["n_units"] else [NO_UNIT]  # each coefficient undefined for that one reason: said once
            for name, entry in metrics.items():
                cells.update(_with_intervals(entry, name, with_ci, with_analytic))
                if row["n_units"]:
                    notes += [f"`{name}`: {note}" for note in _entry_notes(entry)]
            if len(header) == 5:
                header += list(cells)
            lines.append([_name(row["comparison"]), _name(code) + footnotes.mark(notes), str(row["n_units"]),
                          " / ".join(map(str, first["given"].values())), _prevalence(row, first),
                          *cells.values()])
    return _table(header, lines, {2, 3, *range(4, len(header))})


def _columns(metrics: dict) -> str:
    """What the columns named by the metrics' keys hold: ``cohen: Cohen's kappa, ac1: Gwet's AC1``."""
    return ", ".join(f"{name}: {entry['coefficient']}" for name, entry in metrics.items())


def _machine_captions(rows: list[dict]) -> list[str]:
    """What the machine table's caption says beside the columns' figures: the coefficients, the all-humans row's
    coefficient, the majority."""
    from theme_assist.cli.agree import _machine_rows_notes

    pair = next(row for row in rows if row["kind"] != "humans")
    # as the terminal's caption: a κ recomputed on the n units alone differs where a side rated more units
    light = ", light's from the units both sides rated" if "light" in pair["metrics"] else ""
    return [f"each comparison on the units both sides rated (n), each side's code shares from every unit it rated "
            f"(Gwet 2014){light}; " + _columns(pair["metrics"]), *_machine_rows_notes(rows, "columns")]


def agreement_markdown(result: dict, context: ReportContext) -> str:
    """The report of ``agree``'s JSON object ``result`` (as ``--format json`` prints it): a methods paragraph,
    the coefficients' table with their 95% intervals, the per-code and machine tables where the object has them,
    and every note and warning as a footnote."""
    from theme_assist.cli.agree import PREVALENCE_CAPTION, _pooling_caption

    footnotes = _Footnotes()
    lines = ["## Intercoder agreement", "", "**Methods.** " + _methods(result, context, footnotes), ""]
    summary = _metrics(result)
    notes = [_name(note) for note in context.notes]  # warnings naming coders and codes as the file writes them
    tables = 1
    if summary:
        units = _count(result["n_units"], context.units_kind[:-1], context.units_kind)
        title = f"**Table 1.** Agreement among the coders: {units}"
        title += f", {len(result['coders'])} coders"
        if context.multi_label:
            pooled = ("; the other coefficients on presence/absence pooled over codes (their n counts unit × code "
                      "pairs" + _pooling_caption(summary) + ")") if len(summary) > 1 else ""
            title += ". MASI-alpha on code sets" + pooled
        # the terminal's caption says what these columns are: a P(< .8) read bare is taken for a p-value
        with_ci, with_analytic = _interval_columns(list(summary.values()))
        title += "".join([". SE: standard error" if with_analytic else "",
                          ". P(< x): share of the bootstrap resamples below x" if with_ci else ""])
        lines += [title + "." + footnotes.mark(notes), ""]
        notes = []
        lines += _summary_table(result, footnotes) + [""]
        tables += 1
    else:
        reason = _name(result.get("coders_summary_reason") or "one coder")
        lines += [_sentence(f"no agreement among coders: {reason}") + footnotes.mark(notes), ""]
        notes = []
    if any("by_code" in entry for entry in summary.values()):
        kind = "presence/absence" if context.multi_label else "presence/absence: the code against the rest"
        first = {name: next(iter(entry["by_code"].values())) for name, entry in summary.items()
                 if entry.get("by_code")}
        seeds = f"; each code's bootstrap with its own seed, derived from seed {context.seed} and the code" \
            if context.n_boot else ""
        lines += [f"**Table {tables}.** Agreement per code ({kind}): {_columns(first)}; n: units compared; given: "
                  f"units each coder gave the code, of all they rated; {PREVALENCE_CAPTION}" + seeds + ".", ""]
        lines += _per_code_table(result, footnotes) + [""]
        tables += 1
    rows = result.get("machine_comparison")
    if rows:
        lines += [f"**Table {tables}.** The machine beside the coders. " + _sentence("; ".join(
            _machine_captions(rows))), ""]
        lines += _machine_table(rows, footnotes) + [""]
        tables += 1
        if all("by_code" in entry for entry in rows[0]["metrics"].values()):
            lines += [f"**Table {tables}.** The machine beside the coders, per code (each code read as present or "
                      "absent, the code against the rest, on the units both sides rated; given: units each side gave "
                      f"the code, of all it rated, in the comparison's order; {PREVALENCE_CAPTION}).", ""]
            lines += _machine_per_code_table(rows, footnotes) + [""]
            tables += 1
    in_place = result.get("machine_in_place")
    if in_place:
        from theme_assist.cli.agree import in_place_captions

        lines += [f"**Table {tables}.** The machine in place of a coder. " + _sentence("; ".join(
            _name(caption) for caption in in_place_captions(in_place, context.abstentions, context.paired))), ""]
        lines += _in_place_table(in_place, footnotes) + [""]
        tables += 1
    for key, what in (("confusion", "the coders'"), ("machine_confusion", "the machine's")):
        if key in result:  # --confusion
            from theme_assist.cli._agree_confusion import confusion_markdown

            added = confusion_markdown(result[key], tables, what)
            lines += added
            tables += sum(line.startswith("**Table ") for line in added)
    if result.get("by"):  # --by
        from theme_assist.cli._agree_groups import groups_markdown

        added = groups_markdown(result["by"], tables, footnotes)
        lines += added
        tables += sum(line.startswith("**Table ") for line in added)
    lines += footnotes.lines()
    return "\n".join(lines).rstrip("\n") + "\n"


def _in_place_table(rows: list[dict], footnotes: _Footnotes) -> list[str]:
    """The machine in place of each coder, and of any one: each difference, its paired interval, ✓ where
    non-inferior at the margin."""
    with_ci = any("ci" in entry for row in rows for entry in row["metrics"].values())
    header = ["Comparison"]
    for name in rows[0]["metrics"]:
        header += [f"{name} difference"] + ([f"{name} 95% CI"] if with_ci else [])
    lines = []
    for row in rows:
        cells, notes = [], []
        for name, entry in row["metrics"].items():
            value = entry["value"]
            cells.append(MISSING if value is None else f"{signed(value)} ({_sides(entry)})")
            if with_ci:
                cells.append(interval(entry.get("ci")) + (" ✓" if entry.get("non_inferior") else ""))
            notes += [f"`{name}`: {note}" for note in _entry_notes(entry)]
        lines.append([_name(row["comparison"]) + footnotes.mark(notes), *cells])
    return _table(header, lines, set(range(1, len(header))))


def _sides(entry: dict) -> str:
    """A difference's two sides as the table writes them (``0.458 − 0.579``), with the report's minus signs."""
    from theme_assist.cli.agree import in_place_sides

    return in_place_sides(entry).replace("-", MINUS)


def signed(value: float) -> str:
    """A difference to three decimals with its sign (+0.012, −0.086), 0.000 unsigned."""
    text = number(value)
    return text if text == "0.000" or text.startswith(MINUS) else "+" + text


def segment_agreement_markdown(pairs: list[dict], left_out: list[str] | None, coders: list[str],
                               warnings: list[str] | None = None) -> str:
    """The report of ``agree --overlap``'s segment agreement (the JSON's ``segment_agreement``); ``warnings``:
    those said on standard error, footnotes of the first table."""
    footnotes = _Footnotes()
    overlap = pairs[0]["min_overlap"] if pairs else None
    who = f"the two coders ({_names(coders)}), on the documents both coded" if len(coders) == 2 else \
        f"each pair of the {len(coders)} coders ({_names(coders)}), on the documents both coders of the pair coded"
    methods = [f"Segment agreement was measured span by span, as MAXQDA does, for {who}",
               "A span agreed where the other coder gave the same code to a span overlapping it by at least "
               f"{overlap * 100:g}% (intersection over union); one without such a counterpart disagreed" if pairs
               else "",
               "Kappa: Brennan and Prediger's, chance agreement 1 / the number of codes",
               f"Computed with {software()}, `theme-assist agree --overlap`"]
    lines = ["## Intercoder agreement", "", "**Methods.** " + " ".join(_sentence(s) for s in methods if s), ""]
    notes = [f"only the coders of --coder; left out: {', '.join(map(_name, left_out)) or 'none'}"] \
        if left_out is not None else []
    notes += [_name(warning) for warning in warnings or []]
    for i, pair in enumerate(pairs, start=1):
        first, second = pair["coders"]
        lines += [f"**Table {i}.** Segment agreement, {_name(first)} and {_name(second)}, on "
                  f"{_count(pair['documents'], 'document')} both coded; kappa (Brennan & Prediger) "
                  f"{number(pair['kappa_bp'])}." + footnotes.mark(notes + ([f"kappa undefined: {pair['reason']}"]
                                                                           if pair["reason"] else [])), ""]
        notes = []
        rows = [[_name(row["code"]), str(row["agreements"]), str(row["disagreements"]), str(row["total"]),
                 number(row["percent"])] for row in pair["codes"]]
        lines += _table(["Code", "Agreements", "Disagreements", "Total", "Percent"], rows, {1, 2, 3, 4}) + [""]
    lines += footnotes.lines()
    return "\n".join(lines).rstrip("\n") + "\n"
