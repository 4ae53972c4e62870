"""``theme-assist merge``: the parts of an array job (``suggest --shard I/N``) put back together as one table."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import List, Optional

import typer

logger = logging.getLogger(__name__)


def _kind(columns, path: Path) -> str:
    """``"--out"`` or ``"--segments-out"``: which of suggest's tables a part with these columns is."""
    from theme_assist.documents import SEGMENT_COLUMNS
    from theme_assist.errors import InputError
    from theme_assist.suggest import SUGGESTION_COLUMNS

    if set(SUGGESTION_COLUMNS) <= set(columns):
        return "--out"
    if set(SEGMENT_COLUMNS) <= set(columns):
        return "--segments-out"
    raise InputError(f"part {path} is not a table suggest wrote (its --out has columns "
                     f"{', '.join(SUGGESTION_COLUMNS)}; its --segments-out {', '.join(SEGMENT_COLUMNS)}); its "
                     f"columns: {', '.join(columns)}")


def _read_part(path: Path):
    """The table of part ``path``; a part holding JSON (a report or a config file named among the parts) is refused
    in one line, where the table reader took its first line for a header ("its columns: {...") or said a line of it
    had the wrong number of cells."""
    from theme_assist.inputs import read_table

    return read_table(path, what="part", allow_empty=True, rectangular=True,
                      json_hint="merge puts together the .csv or .tsv tables suggest wrote, its --out or its "
                                "--segments-out")


RUN_FIELDS = {"shard_input": "input", "shard_suggester": "suggester", "shard_codebook": "codebook",
              "shard_top_k": "top-k", "shard_threshold": "threshold", "shard_skip_speaker": "--skip-speaker",
              "shard_version": "theme_assist", "total": "--shard"}
"""What a part's run is told by (:data:`~theme_assist.cli.suggest.SHARD_COLUMNS`, and N), as a refusal names it."""
EARLIER_SHARD_COLUMNS = {"--out": ("shard", "shard_input", "shard_suggester", "shard_codebook", "shard_top_k",
                                   "shard_threshold"),
                         "--segments-out": ("shard", "shard_input")}
"""The columns a part of an earlier theme_assist ends with, which said neither its --skip-speaker nor its version:
such a part merges with its like, and is refused among this version's parts (as of another version)."""


def _run_of(path: Path, table, kind: str):
    """``table`` without the columns ``suggest --shard`` ends a part with, and what they say: ``None`` for a part
    written before parts said it (or not by ``--shard``), ``{}`` for a part without rows, else its ``number``,
    ``total`` and run (:data:`RUN_FIELDS`)."""
    from theme_assist.cli.suggest import SHARD_COLUMNS
    from theme_assist.errors import InputError

    columns = next((list(layout) for layout in (SHARD_COLUMNS[kind], EARLIER_SHARD_COLUMNS[kind])
                    if list(table.columns[-len(layout):]) == list(layout)), None)
    if columns is None:
        # two of them (a --metadata field may be named shard): not a part of before parts said it, which merges
        if len(set(SHARD_COLUMNS[kind]) & set(table.columns)) >= 2:
            raise InputError(f"part {path} has columns of suggest --shard, but not as it ends a part with them ("
                             f"{', '.join(SHARD_COLUMNS[kind])}, last): were they edited by hand? Give the parts as "
                             "suggest --shard wrote them")
        return table, None
    run: dict[str, str] = {}
    for column in columns:
        values = table[column].unique()
        if len(values) > 1:
            raise InputError(f"part {path} has more than one {column!r} ({values[0]}, {values[1]}): a part suggest "
                             "--shard wrote has one; were parts put together by hand?")
        if len(values):
            run[column] = values[0]
    if run:
        number, _, total = run["shard"].partition("/")
        if not (number.isdecimal() and total.isdecimal() and 1 <= int(number) <= int(total)):
            raise InputError(f"part {path} has shard {run['shard']!r}, not the I/N of suggest --shard")
        run.update(number=int(number), total=int(total))
    return table.drop(columns=columns), run


def _refuse_other_runs(parts: list[Path], runs: list) -> None:
    """Refuse, in one line, parts that say nothing of their run among parts that say theirs, parts whose runs
    differ (naming those apart from the most parts, and in what), and two parts that say they are the same part."""
    from theme_assist.cli._console import counted
    from theme_assist.errors import InputError, listed

    unsaid = [str(path) for path, run in zip(parts, runs) if run is None]
    if unsaid and len(unsaid) < len(parts):  # an earlier theme_assist's would be of another version: refused too
        one = len(unsaid) == 1
        raise InputError(f"{'part' if one else 'parts'} {listed(unsaid)} {'says' if one else 'say'} nothing of "
                         f"{'its' if one else 'their'} run, and the other parts say theirs (in the columns suggest "
                         f"--shard ends a part with: shard, shard_input, ...): {'its' if one else 'their'} shard "
                         "columns were removed? Give the parts as suggest --shard wrote them (a part of an earlier "
                         "theme_assist, or of a run without --shard: run it again as the others)")
    told = [(path, tuple(run.get(field) for field in RUN_FIELDS)) for path, run in zip(parts, runs) if run]
    keys = [key for _, key in told]
    common = max(keys, key=keys.count, default=None)  # the run of the most parts; of the first given, of as many
    apart = [(path, key) for path, key in told if key != common]
    if apart:
        pair = [apart[0], next((path, key) for path, key in told if key == common)]
        if len(apart) < len(told) - len(apart):
            said = (f"part{'s' if len(apart) > 1 else ''} {listed([str(path) for path, _ in apart])} "
                    f"{'are' if len(apart) > 1 else 'is'} of another run than the other "
                    f"{counted(len(told) - len(apart), 'part')}")
        else:
            pair.sort(key=lambda told_part: parts.index(told_part[0]))
            said = f"parts {pair[0][0]} and {pair[1][0]} are of different runs"
        differ = [(field, name, one, other) for (field, name), one, other in zip(RUN_FIELDS.items(), pair[0][1],
                                                                                    pair[1][1]) if one != other]
        version = list(RUN_FIELDS).index("shard_version")
        if None in (pair[0][1][version], pair[1][1][version]):  # a part of an earlier theme_assist: its version says it
            differ = [told_field for told_field in differ if told_field[0] != "shard_skip_speaker"]
        fields = {field for field, *_ in differ}
        fixes = []
        if fields - {"shard_input", "shard_skip_speaker", "shard_version"}:
            fixes.append("run every part with one saved suggester (--load-model), codebook and --top-k, --threshold "
                         "and --shard N")
        if "shard_skip_speaker" in fields:
            fixes.append("give every job the same --skip-speaker")
        if "shard_version" in fields:
            fixes.append("run every part with one version of theme_assist")
        if "shard_input" in fields:
            fixes.append("leave the input as it is until every part has run (a transcript added, removed or changed "
                         "between the jobs)")
        # None: a part of an earlier theme_assist, which did not say it
        shown = ", ".join(f"{name} I/{one} vs I/{other}" if name == "--shard" else
                          f"{name} {'earlier' if one is None else one} vs {'earlier' if other is None else other}"
                          for _, name, one, other in differ)
        raise InputError(f"{said} ({shown}): {'; '.join(fixes)}")
    first: dict[int, Path] = {}
    for path, run in zip(parts, runs):
        if run and first.setdefault(run["number"], path) != path:
            raise InputError(f"parts {first[run['number']]} and {path} are both part {run['shard']}: one part given "
                             "twice (a copy?)")


def _refuse_missing_parts(parts: list[Path], runs: list, count: Optional[int]) -> None:
    """Refuse parts that say their number and N where some are missing, naming them, or they are not ``count``
    (``--parts``); parts written before parts said so (``runs`` holding ``None``, every part's:
    :func:`_refuse_other_runs`) are counted against ``count`` only. A part without rows says neither: it may be any
    of those not among the others."""
    from itertools import islice

    from theme_assist.cli._console import counted
    from theme_assist.errors import InputError

    if any(run is None for run in runs) or not any(runs):  # each part None (refused among others), or without rows
        if count is not None and len(parts) != count:
            raise InputError(f"{counted(len(parts), 'part')} given, and --parts says there are {count}: "
                             + ("a job of the array that failed or ran out of time wrote none (its documents would "
                                "be left out): run it again, then name every part" if len(parts) < count else
                                "a part of another run among them, or the wrong --parts?"))
        return
    total = next(run["total"] for run in runs if run)
    if count is not None and count != total:
        raise InputError(f"--parts says there are {count} parts, and the parts say {total} (--shard I/{total}): the "
                         "wrong --parts?")
    if len(parts) > total:
        raise InputError(f"{counted(len(parts), 'part')} given, and the parts say there are {total} (--shard "
                         f"I/{total}): {counted(len(parts) - total, 'part')} without rows of another run among them?")
    numbers = {run["number"] for run in runs if run}
    unseen = total - len(numbers)  # counted: N edited by hand to 1/1000000000 took every number's name (MemoryError)
    empty = sum(1 for run in runs if not run)
    if unseen > empty:
        first = islice((number for number in range(1, total + 1) if number not in numbers), 10)
        names = ", ".join(f"{number}/{total}" for number in first) + (f" and {unseen - 10} more" if unseen > 10
                                                                      else "")
        what = (f"part {names} is" if unseen == 1 else f"parts {names} are") + " missing"
        if empty:
            lost = unseen - empty
            what = (f"{counted(lost, 'part')} of {names} {'is' if lost == 1 else 'are'} missing "
                    f"({counted(empty, 'part')} given without rows cannot say which of them "
                    f"{'it is' if empty == 1 else 'they are'})")
        raise InputError(f"{what}: a job of the array that failed or ran out of time wrote none (its documents would "
                         "be left out): run it again, then name every part")


def _refuse_parts_apart(parts: list[Path], tables: list, runs: list) -> None:
    """Refuse, in one line, parts that cannot be one run's: of two kinds, with other columns, of other runs
    (``runs``: what each part says of its run, :func:`_run_of`), of two segmentations or codebook versions, or
    sharing a segment."""
    from theme_assist.errors import InputError, listed
    from theme_assist.segment import segmentation_difference, segmentation_tags

    kinds = [_kind(table.columns, path) for path, table in zip(parts, tables)]
    first, columns = parts[0], list(tables[0].columns)
    for path, kind, table in zip(parts, kinds, tables):
        if kind != kinds[0]:
            raise InputError(f"part {path} is a suggest {kind} table and {first} a {kinds[0]} table: merge each kind "
                             "on its own")
        if list(table.columns) != columns:
            other = [c for c in table.columns if c not in columns] or [c for c in columns if c not in table.columns]
            said = f"not {listed(other)}" if other else "in another order"
            raise InputError(f"parts {first} and {path} have different columns ({said}): parts of one run have the "
                             "same")
    _refuse_other_runs(parts, runs)
    tags: dict[str, Path] = {}
    for path, table in zip(parts, tables):
        for tag in segmentation_tags(table):
            tags.setdefault(tag, path)
    if len(tags) > 1:
        (one, one_path), (other, other_path) = list(tags.items())[:2]
        difference = segmentation_difference(one, other)
        raise InputError(f"parts {one_path} and {other_path} come from different segmentations ({one} vs {other}"
                         + (f": {difference}" if difference else "") + "), whose segment ids name other segments: "
                         "run every part with the same options")
    _refuse_codebook_versions_apart(parts, tables)
    seen: dict[str, Path] = {}
    for path, table in zip(parts, tables):
        for segment_id in table["segment_id"].unique():
            if segment_id in seen:
                raise InputError(f"segment {segment_id!r} is in both {seen[segment_id]} and {path}: one part given "
                                 "twice (a copy?), or the input changed between the jobs (a transcript added or "
                                 "removed deals the later jobs other documents, some to two parts, some to none: "
                                 "run every part again on one input)")
        seen.update(dict.fromkeys(table["segment_id"].unique(), path))


def _refuse_codebook_versions_apart(parts: list[Path], tables: list) -> None:
    """Refuse parts whose ``codebook_version`` columns (``project export --machine``) name two versions, as
    ``agree`` refuses such a file (:func:`~theme_assist.agree.reading.refuse_other_codebook_version`): merged,
    a code renamed or merged between them would be named two ways."""
    from theme_assist.agree.reading import codebook_versions, refuse_other_codebook_version
    from theme_assist.codebook import CODEBOOK_VERSION_COLUMN

    versions: dict[str, Path] = {}
    for path, table in zip(parts, tables):
        if CODEBOOK_VERSION_COLUMN in table:
            for version in codebook_versions(table[CODEBOOK_VERSION_COLUMN], path):
                versions.setdefault(version, path)
    if len(versions) > 1:
        (one, one_path), (other, other_path) = list(versions.items())[:2]
        refuse_other_codebook_version(one, one_path, other, other_path)


def _refuse_split_documents(parts: list[Path], documents: list) -> None:
    """Refuse parts sharing a document (``documents``: each part's rows' documents, :func:`_documents`): --shard
    deals out whole documents, so such parts come from other inputs or another N."""
    from theme_assist.errors import InputError

    owner: dict[str, Path] = {}
    for path, documents_of in zip(parts, documents):
        for document in documents_of.dropna().unique():
            if owner.setdefault(document, path) != path:
                raise InputError(f"document {document!r} has rows in both {owner[document]} and {path}: --shard deals "
                                 "out whole documents, so these parts come from other inputs or another N (run every "
                                 "part again on one input with one --shard N)")


def _documents(table, kind: str):
    """Each row's document: its ``document`` cell in a --segments-out table; in an --out table, the part of
    ``segment_id`` before its last ``:`` where the rest is a whole number (suggest's ids are
    ``{document}:{position}``), None for other ids (a SEGMENTS.csv's own, ``T1:p1`` included)."""
    if kind == "--segments-out":
        return table["document"]

    def named(segment_id: str) -> str | None:
        document, _, position = segment_id.rpartition(":")
        return document if document and position.isdigit() else None

    return table["segment_id"].map(named)


def merge(
    parts: List[Path] = typer.Argument(..., metavar="PART",
                                       help="The parts' --out tables (S_1.csv S_2.csv …, in any order), or their "
                                            "--segments-out tables: every part of the run."),
    out: Path = typer.Option(..., "--out", help="Where to write the table put together (.csv or .tsv)."),
    count: Optional[int] = typer.Option(None, "--parts", min=1, metavar="N",
                                        help="How many parts there are (the N of --shard I/N): fewer or more PARTs "
                                             "given are refused. Parts suggest --shard writes say their N, and "
                                             "which part each is: a missing one is named without --parts; give it "
                                             "for parts written before they said so (a job that failed or ran out of "
                                             "time wrote no part, and its documents would be left out without a "
                                             "word)."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it exists."),
) -> None:
    """Put the parts of `suggest --shard I/N` back together as one table.

    Every cell is kept as written; the documents come in the order --shard deals them out (by id, a sub-folder's
    together), each document's rows in their order. Parts that cannot be of one run (other columns, other
    segmentations, a segment in two parts; another input, suggester, codebook, --top-k, --threshold,
    --skip-speaker, theme_assist version or N, where the parts say theirs), a missing part, and with --parts N
    other than N parts, are refused. The columns that say which part of which run a part is are left out of the
    table written."""
    import pandas as pd

    from theme_assist.cli._console import counted, message_console, say_done
    from theme_assist.cli.suggest import document_order
    from theme_assist.errors import InputError
    from theme_assist.inputs import check_outputs, refuse_replacing, resolved_path, write_table

    console = message_console()
    check_outputs({"--out": out}, {f"PART {number}": part for number, part in enumerate(parts, start=1)},
                  tables=("--out",))
    refuse_replacing({"--out": out}, force)
    given: dict[Path, Path] = {}
    for part in parts:
        if (target := resolved_path("PART", part)) in given:
            raise InputError(f"part {part} is given twice" + (f" (as {given[target]} too)"
                                                              if str(given[target]) != str(part) else ""))
        given[target] = part
    tables = [_read_part(part) for part in parts]
    read = [_run_of(part, table, _kind(table.columns, part)) for part, table in zip(parts, tables)]
    tables, runs = [table for table, _ in read], [run for _, run in read]
    _refuse_parts_apart(parts, tables, runs)
    kind = _kind(tables[0].columns, parts[0])
    documents = [_documents(table, kind) for table in tables]
    _refuse_split_documents(parts, documents)
    _refuse_missing_parts(parts, runs, count)
    order = {document: rank for rank, document in enumerate(document_order(pd.concat(documents).dropna()))}
    keys = pd.concat([pd.DataFrame({"document": documents_of.map(order).fillna(len(order)).to_numpy(),
                                    "part": number, "row": range(len(documents_of))})
                      for number, documents_of in enumerate(documents)], ignore_index=True)
    merged = pd.concat(tables, ignore_index=True)
    merged = merged.iloc[keys.sort_values(["document", "part", "row"], kind="stable").index].reset_index(drop=True)
    unplaced = int(sum(documents_of.isna().sum() for documents_of in documents))
    if unplaced:
        logger.warning("%s of segments whose id names no document (not DOCUMENT:N, a SEGMENTS.csv's own ids): put "
                       "after the others, in the order of the parts as given", counted(unplaced, "row"))
    write_table(merged, out)
    say_done(console, f"{counted(len(parts), 'part')}, {counted(len(order), 'document')}, "
                      f"{counted(len(merged), 'row')} → {out}")


def register(app: typer.Typer) -> None:
    app.command("merge")(merge)
