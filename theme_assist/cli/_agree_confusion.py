"""``theme-assist agree --confusion``: the confusion or coincidence matrix, and the pairs of codes the disagreements
fall on, as tables for people and as the Markdown report's tables, both made from the JSON's objects
(:mod:`theme_assist.agree.confusion`)."""

from __future__ import annotations

from theme_assist.agree.confusion import NONE, SHOWN_CODES, SHOWN_PAIRS

LONG_CODE = 12
"""A matrix whose codes are all this long or shorter is headed by them; else by their numbers, which its rows give
beside the codes (a column per long code id would push the matrix off the screen)."""


def _count(value: float) -> str:
    """A count as a matrix cell shows it: ``3``; a coincidence, a sum of fractions, to two decimals: ``2.5``."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _title(result: dict) -> str:
    from theme_assist.cli._console import counted

    if result["kind"] == "coincidences":
        return (f"Coincidences of the {len(result['coders'])} coders, as alpha counts them: "
                f"{counted(result['n_units'], 'unit')} rated twice or more")
    return (f"Confusion: {result['rows']} (rows) vs {result['columns']} (columns), "
            f"{counted(result['n_units'], 'unit')} both coded")


def _captions(result: dict, shown: bool) -> list[str]:
    """What the matrix's caption says: what a cell counts, what the margin is, units in no pair; where the matrix is
    not ``shown``, that it is in the JSON, and what its pairs are counted on all the same."""
    from theme_assist.cli._console import counted

    coincide = result["kind"] == "coincidences"
    if not shown:
        captions = [f"{len(result['labels'])} codes: the matrix is in --format json; the pairs below hold its "
                    "disagreements"]
    elif coincide:
        captions = ["each unit's pairs of codes over every pair of its coders, each weighted 1 / (the unit's coders "
                    "- 1), both ways (symmetric); diagonal: agreements"]
    else:
        captions = ["units; diagonal: agreements"]
    if coincide:
        if result["unpaired_units"]:
            captions.append(f"{counted(result['unpaired_units'], 'unit')} rated by one coder only: in no pair")
        return captions
    if shown and (any(result["first_only"]) or any(result["second_only"])):
        captions.append(f"{NONE}: units one side coded and the other did not (a row's code in the {NONE} column, "
                        f"a column's in the {NONE} row), in no pair and not in alpha")
    elif any(result["first_only"]) or any(result["second_only"]):
        captions.append(f"units one side coded and the other did not, in no pair and not in alpha: "
                        f"{sum(result['first_only']):,} {result['rows']} alone, "
                        f"{sum(result['second_only']):,} {result['columns']} alone")
    if result.get("humans", 0) > 1:
        two = " (two coders: only the units they agreed on)" if result["humans"] == 2 else ""
        captions.append(f"{result['rows']}: the code most coders gave, on units two or more rated, ties left out"
                        f"{two}" + (f"; no majority: {NONE}" if shown else ""))
    return captions


def _headers(labels: list[str]) -> tuple[list[str], list[str]]:
    """The matrix's column headers and row names: the codes, or (a code longer than :data:`LONG_CODE`) their
    numbers, the rows giving number and code."""
    if all(len(code) <= LONG_CODE for code in labels):
        return labels, labels
    return [str(i) for i in range(1, len(labels) + 1)], [f"{i} {code}" for i, code in enumerate(labels, start=1)]


def _matrix_rows(result: dict) -> tuple[list[str], list[list[str]]]:
    """The matrix as the tables show it: the header (the corner first) and the rows, with the (none) margins of a
    confusion matrix where some unit has one."""
    columns, names = _headers(result["labels"])
    matrix = [[_count(cell) for cell in row] for row in result["matrix"]]
    confusion = result["kind"] == "confusion"
    corner = f"{result['rows']} \\ {result['columns']}" if confusion else "code"
    header = [corner, *columns]
    rows = [[name, *cells] for name, cells in zip(names, matrix)]
    if confusion and any(result["first_only"]):
        header.append(NONE)
        rows = [row + [_count(n)] for row, n in zip(rows, result["first_only"])]
    if confusion and any(result["second_only"]):
        rows.append([NONE, *map(_count, result["second_only"])] + ([""] if any(result["first_only"]) else []))
    return header, rows


def _pair_columns(result: dict) -> list[str]:
    columns = ["codes", "observed", "expected", "obs/exp", "share"]
    return columns + (["each way"] if result["kind"] == "confusion" else [])


def _pair_rows(result: dict, names) -> list[list[str]]:
    """The first :data:`SHOWN_PAIRS` pairs' cells, the codes written by ``names`` (each code's name as shown)."""
    rows = []
    for pair in result["pairs"][:SHOWN_PAIRS]:
        first, second = map(names, pair["codes"])
        rows.append([f"{first} ↔ {second}", _count(pair["observed"]), f"{pair['expected']:.2f}",
                     _ratio(pair["ratio"]), f"{pair['share']:.1%}",
                     *([" / ".join(map(str, pair["counts"]))] if "counts" in pair else [])])
    return rows


def _pairs_caption(result: dict) -> str:
    unit = "units" if result["kind"] == "confusion" else "coincidences (units, for two coders)"
    how = (f"observed: {unit} on which the two codes were given against each other; expected: by chance from "
           "the codes' margins, as alpha expects them; obs/exp: 1 as often as chance, above 1 more often; share: of "
           f"all the disagreements; all pairs together, obs/exp {_ratio(_overall(result))} (1 - alpha, nominal)")
    if result["kind"] == "confusion":
        how += (f"; each way: units {result['rows']} gave the first code and {result['columns']} the second, "
                "then the reverse")
    return how


def _overall(result: dict) -> float | None:
    return result["observed"] / result["expected"] if result["expected"] else None


def rest_line(result: dict, names=str) -> str:
    """The line after the first :data:`SHOWN_PAIRS` pairs: how many more, their disagreements, and those of them
    more frequent than chance (up to three named), which a rare pair's few disagreements may be; "" where all are
    shown."""
    from theme_assist.cli._console import counted

    rest = result["pairs"][SHOWN_PAIRS:]
    if not rest:
        return ""
    observed = sum(pair["observed"] for pair in rest)
    above = [pair for pair in rest if pair["ratio"] is not None and pair["ratio"] > 1]
    line = (f"… and {counted(len(rest), 'more pair')}: {_count(observed)} disagreements "
            f"({observed / result['observed']:.1%} of all)")
    if above:
        named = ", ".join(f"{names(pair['codes'][0])} ↔ {names(pair['codes'][1])} ({_count(pair['observed'])}, "
                          f"obs/exp {_ratio(pair['ratio'])})" for pair in above[:3])
        line += f"; more often than chance: {named}" + (f" and {len(above) - 3} more" if len(above) > 3 else "")
    return line + " (--format json lists every pair)"


def print_confusion(result: dict) -> None:
    """The matrix of ``result`` (a JSON object of :mod:`theme_assist.agree.confusion`), then its pairs of codes."""
    from rich.table import Table
    from rich.text import Text

    from theme_assist.cli._console import table_console

    console = table_console()
    shown = len(result["labels"]) <= SHOWN_CODES
    captions = _captions(result, shown)
    if shown:
        header, rows = _matrix_rows(result)
        console.print(Text(_title(result), style="italic"))  # as a title, it would fold to a small matrix
        table = Table()
        for i, column in enumerate(header):
            table.add_column(Text(column), justify="left" if i == 0 else "right")
        for row in rows:
            table.add_row(*map(Text, row))
        console.print(table)
    else:
        captions[0] = f"{_title(result)}. {captions[0]}"
    # under the table, as wide as the console: a caption would be folded to a small matrix's width
    console.print(Text(_capital("; ".join(captions)) + "."))
    if not result["pairs"]:
        console.print(Text(_no_disagreement(result)))
        return
    console.print(Text("Disagreements by pair of codes, most first", style="italic"))
    pairs = Table()
    for i, column in enumerate(_pair_columns(result)):
        pairs.add_column(column, justify="left" if i == 0 else "right")
    for row in _pair_rows(result, str):
        pairs.add_row(*map(Text, row))
    console.print(pairs)
    console.print(Text(_capital(_pairs_caption(result)) + "."))
    rest = rest_line(result)
    if rest:
        console.print(Text(rest))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _no_disagreement(result: dict) -> str:
    if not result["n_units"]:
        return ("No pair of codes: no unit was rated twice." if result["kind"] == "coincidences" else
                f"No pair of codes: no unit was coded by both {result['rows']} and {result['columns']}.")
    if result["kind"] == "coincidences":
        return "No disagreement: every unit rated twice or more was given one code by all its coders."
    return f"No disagreement: {result['rows']} and {result['columns']} gave each unit both coded the same code."


def confusion_markdown(result: dict, number: int, what: str) -> list[str]:
    """The report's tables of ``result``, numbered from ``number``: the matrix (where it has
    :data:`SHOWN_CODES` codes or fewer) and the pairs; ``what``: whose codes (``the coders'``, ``the machine's``)."""
    from theme_assist.cli._agree_markdown import _name, _sentence, _table

    lines = []
    shown = len(result["labels"]) <= SHOWN_CODES
    captions = _captions(result, shown)
    if shown:
        header, rows = _matrix_rows(result)
        lines += [f"**Table {number}.** {_name(_title(result))}. " + _sentence(_name("; ".join(captions))), ""]
        rows = [[_name(row[0]), *row[1:]] for row in rows]
        if result["kind"] == "coincidences":  # "Code", as the report's other tables head theirs; not a coder's name
            header[0] = "Code"
        lines += _table([_name(column) for column in header], rows, set(range(1, len(header)))) + [""]
        number += 1
    else:
        lines += [_sentence(_name(f"{_title(result)}. " + "; ".join(captions))), ""]
    if not result["pairs"]:
        return lines + [_name(_no_disagreement(result)), ""]
    lines += [f"**Table {number}.** {what[0].upper()}{what[1:]} disagreements by pair of codes, most first. "
              + _sentence(_name(_pairs_caption(result))), ""]
    columns = [_capital(column) for column in _pair_columns(result)]
    lines += _table(columns, _pair_rows(result, _name), set(range(1, len(columns)))) + [""]
    rest = rest_line(result, _name)
    return lines + ([_sentence(rest), ""] if rest else [])
