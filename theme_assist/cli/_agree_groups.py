"""``theme-assist agree --by COLUMN``: the agreement per group of units, read and shown in every format (the
figures are :func:`~theme_assist.agree.groups.grouped_agreement`'s)."""

from __future__ import annotations

from pathlib import Path

from theme_assist.errors import InputError


def unit_groups(ratings: Path, by: str | None, metadata: Path | None, project: Path | None, units_file: Path | None,
                overlap: float | None):
    """The units' groups for ``--by`` (None without it) and the ratings file's columns that are no ratings then;
    :class:`InputError` for --metadata or --project without --by, and for --by where there are no units to
    group."""
    from theme_assist.agree.groups import read_groups
    from theme_assist.agree.reading import REFI_SUFFIXES, read_cells
    from theme_assist.agree.units import SPAN_COLUMNS

    if by is None:
        given = [name for name, value in (("--metadata", metadata), ("--project", project)) if value is not None]
        if given:
            raise InputError(f"{given[0]} gives the field --by COLUMN groups the units by: give --by too")
        return None, []
    if not by.strip():
        raise InputError("--by is blank: name the column that groups the units (e.g. --by site)")
    if overlap is not None:
        raise InputError("--by groups units; --overlap compares spans, not units: give --units SEGMENTS.csv instead "
                         "of --overlap")
    if ratings.suffix.lower() in REFI_SUFFIXES:
        return None, []  # refused as the ratings are read
    cells = read_cells(ratings)
    header = {str(name).lower() for name in cells.columns}
    spans = set(SPAN_COLUMNS) <= header
    if spans and units_file is None:
        raise InputError(f"--by groups units: {ratings} holds span codings (document, start, end, code, coder), "
                         "which are rated on units with --units SEGMENTS.csv (its rows give each unit's document "
                         "and columns)")
    return read_groups(ratings, by.strip(), metadata=metadata, project=project, units_file=units_file, spans=spans,
                       cells=cells)


def by_groups(grouped: list[dict], groups, ratings, asked: list[str], few: int) -> dict:
    """``agree --format json``'s ``by`` object: the column, where it was read, the units without a group, and each
    group's figures as the JSON gives the whole file's (``summary``: metric → entry, with its missing ratings;
    ``machine_vs_majority`` and ``machine_in_place``: the rows of ``machine_comparison`` and ``machine_in_place``
    of that name; where one coder rated the group's units, ``machine_vs_coder``, the machine's row with them),
    ``few_units`` where it has fewer than ``few`` units."""
    from theme_assist.agree.ratings import missing_ratings
    from theme_assist.cli.agree import _named_as_asked, _with_missing_ratings, comparison_row

    missing = groups.missing(ratings.index[ratings.notna().any(axis=1)])
    if not grouped:
        from theme_assist.errors import listed as some

        known = groups.of_unit.dropna()
        raise InputError(f"--by {groups.column}: no unit rated has a {groups.column} value in {groups.source} (units "
                         f"{some([str(unit) for unit in missing], 3)}" + (
                             f"; it gives one to units {some(list(map(str, known.index)), 3)}" if len(known) else
                             "") + "): check that it names the same units or documents")
    entries = []
    for group in grouped:
        summary = None
        if group["summary"] is not None:
            summary = _with_missing_ratings(_named_as_asked(group["summary"], asked),
                                            *missing_ratings(group["ratings"]))
        entry = {"value": group["value"], "n_units": group["n_units"], "few_units": group["n_units"] < few,
                 "seed": group["seed"], "coders": group["coders"], "summary": summary,
                 "summary_reason": group["summary_reason"]}
        if "majority" in group:
            entry["machine_vs_majority"] = comparison_row(group["majority"]) if group["majority"] else None
            if "coder" in group:  # one coder rated the group's units: no majority, the machine vs that coder
                entry["machine_vs_coder"] = comparison_row(group["coder"])
            entry["machine_in_place"] = group["in_place"]
            entry["machine_reason"] = group["machine_reason"]  # the machine coded none of its units
        entries.append(entry)
    return {"column": groups.column, "source": groups.source, "units_without_group": len(missing),
            "units_without_group_listed": [str(unit) for unit in missing[:10]], "groups": entries}


def missing_warning(by: dict) -> str | None:
    """The warning of the units without a group, or None."""
    from theme_assist.cli._console import counted

    n = by["units_without_group"]
    if not n:
        return None
    shown = by["units_without_group_listed"]
    listed = ", ".join(shown) + (", …" if n > len(shown) else "")
    return (f"--by {by['column']}: {counted(n, 'rated unit')} without a {by['column']} value in {by['source']} "
            f"({listed}): in no group (the whole file's figures count them)")


def _notes(group: dict, machine: bool = False) -> list[str]:
    """What a group's row says beside its figures: few units, no coders' summary (``machine``: the machine's row,
    then against the one coder)."""
    from theme_assist.cli._console import counted

    notes = [f"only {counted(group['n_units'], 'unit')}"] if group["few_units"] else []
    if group["summary_reason"]:
        notes.append(group["summary_reason"] + (f": no majority, the machine vs {group['coders'][0]}, none in place "
                                                "of a coder" if machine and group.get("machine_vs_coder") else ""))
    if machine and group.get("machine_reason"):
        notes.append(group["machine_reason"])
    return notes


def _machine_row(group: dict) -> dict | None:
    """A group's row of the machine against the humans: against their majority, or the one coder."""
    return group.get("machine_vs_majority") or group.get("machine_vs_coder")


def print_groups(by: dict, seed: int) -> None:
    """The tables of ``--by`` on a terminal: the coders' summary per group, then the machine's per group."""
    from rich.table import Table
    from rich.text import Text

    from theme_assist.cli._console import table_console
    from theme_assist.cli.agree import FEW_UNITS, _intervals_caption, _metric_notes, _with_intervals, in_place_cell

    groups = by["groups"]
    console = table_console()
    summaries = [group["summary"] for group in groups if group["summary"]]
    names = list(dict.fromkeys(name for summary in summaries for name, entry in summary.items()
                               if isinstance(entry, dict)))
    entries = [summary[name] for summary in summaries for name in names if name in summary]
    with_ci, with_analytic = any("ci" in entry for entry in entries), any("analytic" in entry for entry in entries)
    captions = [f"each group on its units alone; n: units rated at least once; fewer than {FEW_UNITS} units "
                "flagged"]
    if with_ci or with_analytic:
        seeds = f", the bootstrap with the group's own seed, derived from seed {seed} and its value (its seed " \
                "in --format json)" if with_ci else ""
        captions.append(_intervals_caption(with_ci, with_analytic, f"the group's units{seeds}", as_above=False))
    if by["units_without_group"]:
        captions.append(f"{by['units_without_group']} unit(s) without a {by['column']} value are in no group")
    table = Table(title=f"Agreement by {by['column']}", caption="; ".join(captions))
    for column in (by["column"], "n", "coders", *names, "note"):
        table.add_column(column, justify="right" if column in ("n", *names) else "left",
                         no_wrap=column in (by["column"], "n", *names))
    for group in groups:
        summary = group["summary"] or {}
        metrics = {name: summary[name] for name in names if name in summary}
        notes = _notes(group) + ([_metric_notes(metrics)] if metrics and _metric_notes(metrics) else [])
        table.add_row(Text(str(group["value"])), str(group["n_units"]), Text(", ".join(group["coders"])),
                      *(_with_intervals(summary[name], with_ci, with_analytic) if name in summary else "—"
                        for name in names), "; ".join(notes))
    console.print(table)
    if not any("machine_in_place" in group for group in groups):
        return
    rows = [group for group in groups if _machine_row(group)]
    columns = list(_machine_row(rows[0])["metrics"]) if rows else []
    entries = [entry for group in rows for entry in _machine_row(group)["metrics"].values()]
    with_ci, with_analytic = any("ci" in entry for entry in entries), any("analytic" in entry for entry in entries)
    in_place = any(group.get("machine_in_place") for group in groups)
    against = "majority" if any(group.get("machine_vs_majority") for group in groups) else "coder"
    captions = ["each group on its units alone: the machine vs the human majority (vs the coder, where one coder "
                "rated the group's units; n: units both rated)"]
    if in_place:
        captions.append("in place: the machine in place of a coder, the mean difference of its agreement with the "
                        "coders less theirs with each other" + (", with its paired interval" if with_ci else ""))
    if with_ci:
        captions.append("each group's bootstrap with its own seed, derived as above")
    captions += [caption for caption in [_verdicts(rows, "-")] if caption]
    machine = Table(title=f"Machine by {by['column']}", caption="; ".join(captions))
    machine.add_column(by["column"], no_wrap=True)
    machine.add_column("n", justify="right", no_wrap=True)
    for column in columns:
        machine.add_column(f"vs {against}: {column}", justify="right", no_wrap=True)
    for column in columns if in_place else ():
        machine.add_column(f"in place: {column}", justify="right", no_wrap=True)
    machine.add_column("note")
    for group in groups:
        compared, instead = _machine_row(group), group.get("machine_in_place")
        cells = [_with_intervals(compared["metrics"][column], with_ci, with_analytic) if compared else "—"
                 for column in columns]
        cells += [in_place_cell(instead["metrics"][column], with_ci) if instead else "—"
                  for column in (columns if in_place else ())]
        notes = _notes(group, machine=True)
        if compared:
            notes += [note for note in [_metric_notes(compared["metrics"])] if note]
        machine.add_row(Text(str(group["value"])), str(compared["n_units"]) if compared else "—", *cells,
                        "; ".join(notes))
    console.print(machine)


def groups_markdown(by: dict, tables: int, footnotes) -> list[str]:
    """The Markdown tables of ``--by`` (numbered from ``tables``): the coders' summary per group, then the
    machine's per group; their notes as ``footnotes``."""
    from theme_assist.cli._agree_markdown import (MISSING, _entry_notes, _interval_columns, _name, _table,
                                                  _with_intervals, interval, signed)
    from theme_assist.cli.agree import FEW_UNITS

    groups = by["groups"]
    summaries = [group["summary"] for group in groups if group["summary"]]
    names = list(dict.fromkeys(name for summary in summaries for name, entry in summary.items()
                               if isinstance(entry, dict)))
    with_ci, with_analytic = _interval_columns([summary[name] for summary in summaries for name in names
                                                if name in summary])
    column = _name(by["column"])
    without = (f" {by['units_without_group']} rated unit(s) without a {column} value are in no group."
               if by["units_without_group"] else "")
    seeds = " Each group's bootstrap has its own seed, derived from the seed and the group's value." if with_ci \
        else ""
    lines = [f"**Table {tables}.** Agreement among the coders by {column}, each group on its units alone (n: units "
             f"rated at least once).{seeds}{without}", ""]
    header, rows = [by["column"], "n"], []
    for group in groups:
        summary = group["summary"] or {}
        cells: dict[str, str] = {}
        notes = list(map(_name, _notes(group)))
        for name in names:
            entry = summary.get(name)
            cells.update(_with_intervals(entry, name, with_ci, with_analytic) if entry else
                         _with_intervals({"value": None}, name, with_ci, with_analytic))
            if entry:
                notes += [f"`{name}`: {note}" for note in _entry_notes(entry)]
        if len(header) == 2:
            header += list(cells)
        rows.append([_name(group["value"]) + footnotes.mark(notes), str(group["n_units"]), *cells.values()])
    lines += _table(header, rows, set(range(1, len(header)))) + [""]
    if not any("machine_in_place" in group for group in groups):
        return lines
    present = [group for group in groups if _machine_row(group)]
    columns = list(_machine_row(present[0])["metrics"]) if present else []
    entries = [entry for group in present for entry in _machine_row(group)["metrics"].values()]
    with_ci, with_analytic = _interval_columns(entries)
    paired = any("ci" in entry for group in present if group["machine_in_place"]
                 for entry in group["machine_in_place"]["metrics"].values())
    in_place_too = any(group.get("machine_in_place") for group in groups)
    against = "majority" if any(group.get("machine_vs_majority") for group in groups) else "coder"
    instead = (", and in place of a coder, the mean difference of its agreement with the coders less theirs with "
               "each other" + (", with its paired interval" if paired else "")) if in_place_too else ""
    lines += [f"**Table {tables + 1}.** The machine by {column}, each group on its units alone: its agreement with "
              "the human majority (with the coder, where one coder rated the group's units; n: units both rated)"
              f"{instead}{_margin(present)}.", ""]
    header, rows = [by["column"], "n"], []
    for group in groups:
        majority, in_place = _machine_row(group), group.get("machine_in_place")
        cells = {}
        notes = list(map(_name, _notes(group, machine=True)))
        for name in columns:
            entry = majority["metrics"][name] if majority else {"value": None}
            cells.update(_with_intervals(entry, f"{name} vs {against}", with_ci, with_analytic))
            if majority:
                notes += [f"`{name}`: {note}" for note in _entry_notes(entry)]
        for name in columns if in_place_too else ():
            entry = in_place["metrics"][name] if in_place else {"value": None}
            cells[f"{name} in place"] = MISSING if entry["value"] is None else signed(entry["value"])
            if paired:
                cells[f"{name} in place 95% CI"] = interval(entry.get("ci")) + (" ✓" if entry.get("non_inferior")
                                                                               else "")
        if len(header) == 2:
            header += list(cells)
        rows.append([_name(group["value"]) + footnotes.mark(notes), str(majority["n_units"]) if majority else MISSING,
                     *cells.values()])
    lines += _table(header, rows, set(range(1, len(header)))) + [""]
    return lines


def _margin(groups: list[dict]) -> str:
    """What the Markdown table's ✓ means, where --margin was given, and which groups' intervals are too narrow."""
    from theme_assist.cli._agree_markdown import MINUS

    said = _verdicts(groups, MINUS)
    return f"; {said}" if said else ""


def _verdicts(groups: list[dict], minus: str) -> str:
    """What a table's ✓ means, where --margin was given (its level, and that each group is a test of its own), and
    the groups whose paired intervals are too narrow: every term on fewer than
    :data:`~theme_assist.cli.agree.FEW_PAIRED` units (the machine in place of a coder's caption says so of the whole
    file)."""
    from theme_assist.cli.agree import FEW_PAIRED

    in_place = [group for group in groups if group.get("machine_in_place")]
    margin = next((entry["margin"] for group in in_place for entry in group["machine_in_place"]["metrics"].values()
                   if "margin" in entry), None)
    said = []
    if margin is not None:
        said.append(f"✓: non-inferior at the margin {margin:g} (the 95% interval's lower limit above "
                    f"{minus}{margin:g}, a one-sided test at the 2.5% level; each group is a test of its own)")
    narrow = [str(group["value"]) for group in in_place
              if any("ci" in entry for entry in group["machine_in_place"]["metrics"].values())
              and all(term["n_units"] < FEW_PAIRED for term in group["machine_in_place"]["terms"])]
    if narrow:
        said.append(f"in place of a coder in groups whose units the machine and two coders rated are fewer than "
                    f"{FEW_PAIRED} ({', '.join(narrow)}), the paired intervals are too narrow and a margin's verdict "
                    "wrong more often than meant (evaluation/results/paired_coverage.md)")
    return "; ".join(said)
