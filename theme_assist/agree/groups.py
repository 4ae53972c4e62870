"""Agreement per group of units (``agree --by COLUMN``): per site, per language, per document.

A methodologist reporting intercoder reliability per site asks whether the machine codes one site's transcripts
(translated, other idioms) as well as another's. Each group's figures are those ``agree`` gives on that group's
rows alone: the coders' summary (:func:`~theme_assist.agree.report.agreement_summary`), and with the machine its
comparison with the human majority (:func:`~theme_assist.agree.machine.agreement_report`) and the machine in
place of a coder (:func:`~theme_assist.agree.paired.machine_in_place`), each group's bootstrap with its own seed,
:func:`~theme_assist.agree.bootstrap.derived_seed` of the seed given and the group's value (so that groups of as
many units do not draw the same units). A coder without a rating in a group is no coder of that group, as a file
of the group's rows alone would not have them.

Where a unit's group comes from:

- a column of the ratings file (:func:`groups_from_table`): in a long file it must be the same on every row of a
  unit; in a wide file it is no coder;
- a ``--metadata`` table (``document`` + fields, as ``suggest --metadata`` reads it) joined on each unit's document
  (:func:`groups_from_metadata`);
- a project (:func:`groups_from_project`): each segment's document, and that document's metadata.

A unit without a group (an empty cell or one of invisible characters alone, a document without metadata, a segment
the project does not have) counts in no group; :attr:`UnitGroups.missing` counts them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from theme_assist.agree.bootstrap import derived_seed
from theme_assist.codebook import CODEBOOK_VERSION_COLUMN
from theme_assist.errors import InputError, listed
from theme_assist.names import has_visible_character
from theme_assist.segment import SEGMENTATION_COLUMN

MAJORITY_KIND = "machine-majority"
"""The kind of :func:`~theme_assist.agree.machine.agreement_report`'s row of the machine against the human
majority."""


@dataclasses.dataclass(frozen=True)
class UnitGroups:
    """Each unit's group.

    Attributes
    ----------
    column : str
        The grouping column, as named (``--by``).
    of_unit : Series
        Unit → the group's value (a string); NaN where the unit has none.
    source : str
        Where the groups were read (the ratings file, a metadata table, a project), for messages.
    """

    column: str
    of_unit: pd.Series
    source: str

    def __post_init__(self):
        # a value of zero-width or formatting characters alone looks like an empty cell, and is none
        values = self.of_unit
        visible = values.map(lambda value: pd.notna(value) and (not isinstance(value, str)
                                                                 or has_visible_character(value)))
        object.__setattr__(self, "of_unit", values.where(visible.astype(bool)))

    def missing(self, units: pd.Index) -> list:
        """The ``units`` without a group, in their order."""
        values = self.of_unit.reindex(units)
        return list(units[values.isna().to_numpy()])


def find_column(columns: Sequence[str], column: str, where: str, what: str = "columns") -> str:
    """The name among ``columns`` of the column ``column`` (``--by``): as written, else the one it matches apart
    from case; an :class:`InputError` naming ``columns`` where none does."""
    if column in columns:
        return column
    folded = [name for name in columns if str(name).casefold() == column.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise InputError(f"--by {column!r}: {where} has no such column; its {what}: {listed(list(map(str, columns)), 12)}")


def groups_from_table(frame: pd.DataFrame, column: str, unit: str, path: str | Path,
                      what: str = "ratings file") -> UnitGroups:
    """Each unit's value in ``column`` of ``frame`` (a ratings file's rows, or a units file's), its units in the
    column ``unit``.

    Raises
    ------
    InputError
        Where a unit has rows of two values in ``column`` (a long file: each row is one coder's code; the unit's
        group must not depend on who coded it).
    """
    values = frame[column].where(frame[column] != "")
    pairs = pd.DataFrame({"unit": frame[unit].to_numpy(), "value": values.to_numpy()}).dropna()
    counts = pairs.drop_duplicates().groupby("unit", sort=False)["value"].nunique()
    if (counts > 1).any():
        varying = counts.index[(counts > 1).to_numpy()][0]
        seen = list(dict.fromkeys(pairs.loc[pairs["unit"] == varying, "value"]))
        raise InputError(f"{path}: unit {varying!r} has rows of two {column!r} values, {seen[0]!r} and {seen[1]!r}: "
                         f"--by {column} groups units, so each unit has one value (on every row of a long "
                         f"{what}); correct the rows, or take the column from --metadata")
    units = pd.Index(pd.unique(frame[unit]))
    first = pairs.drop_duplicates("unit").set_index("unit")["value"]
    return UnitGroups(column, first.reindex(units), str(path))


def groups_from_metadata(documents: pd.Series, metadata: str | Path | pd.DataFrame, column: str,
                         source: str | Path | None = None) -> UnitGroups:
    """Each unit's value of the field ``column`` of its document (``documents``: unit → document; NaN where
    unknown) in the ``metadata`` table (a path, or the table :func:`~theme_assist.ingest.read_metadata` read from
    ``source``), joined as ``suggest --metadata`` joins it (:func:`~theme_assist.ingest.metadata.rows_named`: by
    id, or by file name where that is unambiguous)."""
    from theme_assist.ingest import read_metadata
    from theme_assist.ingest.metadata import rows_named

    if isinstance(metadata, pd.DataFrame):
        table = metadata
    else:
        table, source = read_metadata(metadata), metadata
    metadata = source
    fields = [name for name in table.columns if name != "document"]
    field = find_column(fields, column, str(metadata), what="fields")
    known = documents.dropna()
    rows = rows_named(pd.unique(known), table)
    by_row = table.set_index("document")[field]
    values = {document: by_row[row] for document, row in rows.items()}
    of_unit = documents.map(lambda document: values.get(document, "") if isinstance(document, str) else "")
    return UnitGroups(field, of_unit.where(of_unit != ""), str(metadata))


def groups_from_project(project: str | Path, column: str) -> UnitGroups:
    """Each segment's group in ``project``: its ``document`` (``--by document``) or the document's metadata field
    ``column`` (withdrawn documents' segments too: an export made before a withdrawal names them)."""
    from theme_assist.project import ProjectStore

    with ProjectStore(project) as store:
        segments = store.segment_ids(withdrawn=True)
        documents = store.documents(withdrawn=True)
        # a metadata field named position or source ("source: focus group") is that column of documents()
        keys = {key for document in documents["document"] for key in store.document_metadata(document)}
    fields = ["document", *(name for name in documents.columns
                            if name != "document" and (name not in ("position", "source") or name in keys))]
    field = find_column(fields, column, str(project), what="document and metadata fields")
    values = documents.set_index("document")[field] if field != "document" else \
        pd.Series(documents["document"].to_numpy(), index=documents["document"])
    of_unit = segments.set_index("segment_id")["document"].map(values).astype(object)
    return UnitGroups(field, of_unit.where(of_unit.notna() & (of_unit != "")), str(project))


def group_seed(seed: int, value) -> int:
    """The seed of a group's bootstraps: derived from ``seed`` and the group's ``value``."""
    return derived_seed(seed, [value])


def grouped_agreement(ratings: pd.DataFrame, groups: UnitGroups, *, machine: pd.Series | None = None,
                      metrics: Callable[[pd.DataFrame], Sequence[str] | None] | None = None,
                      machine_metrics: Sequence[str] | None = None, seed: int = 0, n_boot: int = 0,
                      bootstrap_interval: str | None = None, margin: float | None = None,
                      level: str = "nominal", categories: Sequence | None = None, weights=None,
                      **options) -> list[dict]:
    """Each group's agreement, as ``agree`` computes it on the group's units alone.

    Parameters
    ----------
    ratings : DataFrame
        Units × coders, single-label (as ``agree`` reads them).
    groups : UnitGroups
        Each unit's group; units without one are in no group.
    machine : Series, optional
        The machine's code per unit (``--machine``).
    metrics : callable, optional
        The coders' summary's metrics for a group's ratings (None: every metric that applies).
    machine_metrics : sequence of str, optional
        The machine table's columns (``--metric``); by default its own.
    seed, n_boot, bootstrap_interval, margin, level, categories, weights, **options
        As for :func:`~theme_assist.agree.report.agreement_summary` (``analytic``, ``population``,
        ``alpha_bootstrap``) and :func:`~theme_assist.agree.paired.machine_in_place`; ``seed`` is the seed given,
        from which each group's is derived (:func:`group_seed`).

    Returns
    -------
    list of dict
        One per group, in the order of their values (sorted; as numbers where all are numbers): ``value``,
        ``seed``, ``n_units`` (units rated at least once), ``coders`` (those with a rating in the group),
        ``ratings`` (the group's units × those coders), ``summary`` (the coders' summary; None with fewer than two
        coders, ``summary_reason`` then says why), and with ``machine``: ``majority`` (the row of the machine
        against the human majority, None with one coder; then ``coder``: the row of the machine against that
        coder) and ``in_place`` (the machine in place of a coder, the mean row; None with one coder), both None
        with ``machine_reason`` where the machine has no code on the group's units.
    """
    from theme_assist.agree.machine import agreement_report
    from theme_assist.agree.paired import machine_in_place
    from theme_assist.agree.report import agreement_summary, default_interval

    of_unit = groups.of_unit.reindex(ratings.index)
    values = _in_order(pd.unique(of_unit.dropna()))
    entries = []
    for value in values:
        rows = ratings[(of_unit == value).to_numpy()]
        rows = rows.loc[rows.notna().any(axis=1), rows.notna().any(axis=0)]  # as a file of these rows alone reads
        own = group_seed(seed, value)
        intervals = dict(weights=weights, n_boot=n_boot, seed=own, bootstrap_interval=bootstrap_interval, **options)
        entry = {"value": value, "seed": own, "n_units": len(rows), "coders": [str(name) for name in rows.columns],
                 "ratings": rows, "summary": None, "summary_reason": None}
        if rows.shape[1] >= 2:
            entry["summary"] = agreement_summary(rows, metrics(rows) if metrics else None, level=level,
                                                 categories=categories, **intervals)
        else:
            entry["summary_reason"] = (f"only {rows.shape[1]} coder rated its units" if rows.shape[1] else
                                       "no coder rated its units")
        if machine is not None:
            entry["majority"] = entry["in_place"] = entry["machine_reason"] = None
        # none of its units in the machine's file (agree on its rows alone refuses), or each an abstention
        if machine is not None and not machine.dropna().index.isin(rows.index).any():
            entry["machine_reason"] = "the machine coded none of its units"
        elif machine is not None:
            report = agreement_report(rows, machine, level=level, categories=categories,
                                      metrics=machine_metrics or None, **intervals).to_dict(orient="records")
            if rows.shape[1] == 1:  # the machine vs that coder, as agree compares one coder's file with it
                entry["coder"] = report[0]
            else:
                entry["majority"] = next(row for row in report if row["kind"] == MAJORITY_KIND)
            if rows.shape[1] >= 2:
                entry["in_place"] = machine_in_place(
                    rows, machine, metrics=machine_metrics or None, weights=weights, level=level,
                    categories=categories, n_boot=n_boot, seed=own,
                    bootstrap_interval=bootstrap_interval or default_interval(), margin=margin)[-1]
        entries.append(entry)
    return entries


def read_groups(ratings: str | Path, column: str, *, metadata: str | Path | None = None,
                project: str | Path | None = None, units_file: str | Path | None = None,
                spans: bool = False, cells: pd.DataFrame | None = None) -> tuple[UnitGroups, list[str]]:
    """The units' groups of ``agree RATINGS --by COLUMN``, and the columns of the ratings file that are no ratings
    for it (to leave out as the ratings are read: the column, a long file's ``document`` joined to ``metadata``).

    Parameters
    ----------
    ratings : path
        The ratings file.
    column : str
        ``--by``: a column of the ratings file, of ``units_file`` (span codings), a field of ``metadata``, or of
        the ``project``'s documents (``document`` or a metadata field).
    metadata : path, optional
        ``--metadata``: a table of ``document`` and fields, joined on each unit's document (the ratings' or the
        units file's ``document`` column).
    project : path, optional
        ``--project``: the project a ``project export --codings`` file was exported from; its units are its
        segments.
    units_file : path, optional
        ``--units``: the units of span codings, whose rows give each unit's document and columns.
    spans : bool
        The ratings are span codings (rated on ``units_file``'s units).
    cells : DataFrame, optional
        The ratings file's cells, read already (:func:`~theme_assist.agree.reading.read_cells`).
    """
    from theme_assist.agree.reading import UNIT_ALIASES, read_cells, wide_unit_column
    from theme_assist.ingest import read_metadata

    if metadata is not None and project is not None:
        raise InputError("--metadata and --project both give the documents' fields: give one")
    if project is not None:
        return groups_from_project(project, column), []
    path = units_file if spans else ratings
    what = "units file" if spans else "ratings file"
    frame = cells if cells is not None and not spans else read_cells(path, what)
    lowered = {str(name).lower(): name for name in reversed(frame.columns)}
    long = not spans and {"coder", "code"} <= set(lowered)
    if long or spans:
        unit = next((lowered[name] for name in UNIT_ALIASES if name in lowered), None)
        if unit is None:  # refused as it is read, with the columns a long file or a units file has
            return UnitGroups(column, pd.Series(dtype=object), str(path)), []
    kept = [name for name in frame.columns if str(name).lower() not in (SEGMENTATION_COLUMN, CODEBOOK_VERSION_COLUMN)]
    if metadata is not None:
        dropped = [] if spans else [name for name in frame.columns if str(name).casefold() == "document"]
        if not (long or spans):
            unit = wide_unit_column([name for name in kept if name not in dropped])
        table = read_metadata(metadata)  # a table without documents is refused before the ratings' are looked for
        return groups_from_metadata(unit_documents(frame, unit, path), table, column, metadata), dropped
    if long or spans:
        found = find_column([name for name in kept if str(name).lower() not in (unit.lower(), "coder", "code")],
                            column, str(path))
    else:
        unit = wide_unit_column(kept)
        others = [name for name in kept if name != unit]
        folded = [name for name in kept if str(name).casefold() == column.casefold()]
        if column == unit or (column not in others and folded == [unit]):  # not "no such column": it has one
            raise InputError(f"--by {column!r}: {path}'s column {unit!r} names its units (a wide file's unit or "
                             "segment_id column, else its first); --by takes another column")
        found = find_column(others, column, str(path))
    # a long file's document column is its units' too (the group of --by document, or beside the group's column)
    documents = [name for name in frame.columns if long and str(name).casefold() == "document" and name != found]
    return groups_from_table(frame, found, unit, path, what), [] if spans else [found, *documents]


def unit_documents(frame: pd.DataFrame, unit: str, path: str | Path) -> pd.Series:
    """Each unit's document, from the ``document`` column of ``frame`` (a ratings or units file); an
    :class:`InputError` where there is none."""
    documents = [name for name in frame.columns if str(name).casefold() == "document"]
    if not documents:
        raise InputError(f"--metadata is joined on each unit's document: {path} has no 'document' column (columns: "
                         f"{listed(list(map(str, frame.columns)), 12)}); for a project's --codings export, give "
                         "--project PROJECT instead")
    return groups_from_table(frame, documents[0], unit, path).of_unit


def _in_order(values) -> list:
    """Groups' values in order: as numbers where all are (wave 2 before wave 10), else as texts."""
    numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
    if len(values) and numbers.notna().all():
        return [value for _, value in sorted(zip(numbers, values))]
    return sorted(values, key=str)
