"""Reading a ratings file: wide (a unit column, then one column per coder) or long (``unit``, ``coder``, ``code``);
span codings and the machine's suggestions.

Wide
    The first column names the unit, every other column is a coder; an empty cell is a missing rating. Ratings
    are category labels or numbers (a table of numbers only is read as numbers). A column with a blank header
    and no ratings (a spreadsheet's trailing separators) is not a coder, nor is a ``segmentation`` column (the
    segmentation tag theme_assist writes beside segment ids; it is no rating in a long file either), nor, with a
    warning, a segments table's own columns (``text``, ``document``, ``speaker``, …: suggest --segments-out coded
    in a spreadsheet) or a coder without a single rating.
Long
    Exactly the columns ``unit``, ``coder``, ``code`` (the unit may be called ``segment_id``, as in ``theme-assist
    project export --codings``). One row per unit and coder is single-label data; several rows for some unit and
    coder make the data multi-label, and then every coder is taken to have coded every unit in the file (a coder
    without a row for a unit gave it no code). When every code is a number, one number written two ways ("1",
    "1.0") is one code; beside codes that are not numbers, two codes, with a warning (in a wide file too). A unit
    with rows of two segmentations (their ``segmentation`` column: two projects' exports put together) is refused:
    its id may name other text in each. A ``codebook_version`` column (``project export --codings``) is no rating
    either, in a wide file too; a file whose rows carry two versions there is refused: a code renamed or merged in
    between is named apart in each.
Span codings
    Columns ``document``, ``start``, ``end``, ``code``, ``coder`` (others are ignored, but for ``text``): one row
    per coded span, as ``theme-assist import-qdpx`` writes ``codings.csv``. They are not ratings of units yet:
    :func:`ratings_on_units` maps them onto units (the segments file of ``suggest --segments-out``, read by
    :func:`read_units`; units whose texts differ from the spans' where they meet are refused), or they are compared
    span by span (:func:`~theme_assist.agree.units.segment_agreement`).
    On units, every coder is taken to have read every unit: in single-label data a unit a coder gave no code is
    rated :data:`NO_CODE`; in multi-label data it gets the empty code set (and an absence of every code).
Machine suggestions
    The ``suggest`` command's output (``segment_id``, ``code``, ``score``, ``rank``, ``evidence``):
    :func:`read_machine` takes the rank-1 code of each segment; an empty code (an abstention) is a missing rating.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Collection, Sequence

import numpy as np
import pandas as pd

from theme_assist.agree.units import (SPAN_COLUMNS, codings_on_units, ratings_from_codings,
                                     spans_meeting_units)
from theme_assist.codebook import CODEBOOK_VERSION_COLUMN
from theme_assist.documents import SEGMENT_COLUMNS
from theme_assist.errors import InputError, listed, warn_or_defer
from theme_assist.inputs import lines_of, read_table, whole_numbers
from theme_assist.names import did_you_mean, has_visible_character, name_key, without_invisible
from theme_assist.segment import SEGMENTATION_COLUMN, segmentation_difference, segmentation_tags

LONG_COLUMNS = ("unit", "coder", "code")
STRAY_SHARE = 0.1
"""Largest share of a long file's unit-coder pairs with several codes for which a warning says the file is read as
multi-label, and where: a few such pairs in a file meant to be single-label are likely stray rows."""
UNIT_ALIASES = ("unit", "segment_id")
BLANK_HEADER = re.compile(r"Unnamed: \d+")
"""How pandas names a column whose header cell is blank."""
MISSING_MARKERS = ("na", "n/a", "#n/a", "nan", "null", "none", "missing")
"""Cell texts other programs write for a missing value (R's ``write.csv``: NA). Read as codes, as written, since
"none" may be a code; a warning names them."""
NO_CODE = "(no code)"
"""The rating of a unit a coder gave no code, in single-label ratings made from span codings."""
REFI_SUFFIXES = (".qdpx", ".qde", ".qdc")
"""REFI-QDA projects and codebooks: import-qdpx turns them into a span codings file."""
MACHINE_COLUMNS = ("segment_id", "code", "score", "rank")
"""The columns of the ``suggest`` command's output that :func:`read_machine` reads."""
MACHINE = "machine"
"""The coder name of the machine's suggestions (:func:`read_machine`)."""
UNIT_SEGMENTATION_COLUMNS = (SEGMENTATION_COLUMN, "document", "start", "end", "turn", "position")
"""The columns of a units file that say what segmentation made its units
(:func:`~theme_assist.segment.segmented_alike`)."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RatingsFile:
    """What a ratings file holds.

    Attributes
    ----------
    ratings : DataFrame
        Units × coders: labels or numbers (NaN where missing), or ``frozenset`` of codes when multi-label.
    codings : DataFrame or None
        The rows of a long file (``unit``, ``coder``, ``code``); None for a wide file.
    multi_label : bool
        Whether some coder gave some unit several codes.
    segmentations : list of str
        The segmentation tags of a long file's segment ids (:func:`~theme_assist.segment.segmentation_tags`); none
        for a wide file.
    codebook_versions : list of str
        The one codebook version its codes were exported under (its ``codebook_version`` column), as written;
        none for a file without the column or with it empty.
    several_codes : str
        Of a multi-label long file: how many units and coders have several codes, and the lines of the first
        (``"1 of 40 unit-coder pair(s) have several codes (line 7, 9; …)"``); empty otherwise.
    coders_left_out : list of str
        The file's coders left out because they were not among the coders chosen (``coders`` of
        :func:`read_codings`), in the order of ``ratings``' columns: a wide file's, sorted for a long file (whose
        rows have no order of coders).
    """

    ratings: pd.DataFrame
    codings: pd.DataFrame | None = None
    multi_label: bool = False
    segmentations: list[str] = field(default_factory=list)
    codebook_versions: list[str] = field(default_factory=list)
    several_codes: str = ""
    coders_left_out: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SpanCodings:
    """A span codings file (see the module docstring).

    Attributes
    ----------
    spans : DataFrame
        Columns ``document``, ``start``, ``end`` (integers), ``code``, ``coder``, and ``text`` as written where the
        file has it; one row per coded span.
    path : str
        The file they were read from (for messages).
    coders_left_out : list of str
        As for :class:`RatingsFile`.
    """

    spans: pd.DataFrame
    path: str
    coders_left_out: list[str] = field(default_factory=list)

    @property
    def coders(self) -> list[str]:
        return sorted(pd.unique(self.spans["coder"]))


def read_ratings(path: str | Path, *, min_coders: int = 2) -> RatingsFile:
    """Read a wide or long ratings CSV (see the module docstring).

    Parameters
    ----------
    path : str or Path
    min_coders : {2, 1}
        Coders the file must hold: two for agreement among coders, one to compare a single coder with the
        machine's suggestions.

    Raises
    ------
    InputError
        For a missing or empty file, a row with more or fewer cells than the header, a blank or repeated unit,
        fewer than ``min_coders`` coders, or span codings (which :func:`read_codings` reads).
    """
    source = read_codings(path, min_coders=min_coders)
    if isinstance(source, SpanCodings):
        raise InputError(f"{path} holds span codings ({', '.join(SPAN_COLUMNS)}), not ratings of units; map them "
                         "onto units first (ratings_on_units)")
    return source


def read_codings(path: str | Path, *, min_coders: int = 2, deferred: list[str] | None = None,
                 coders: Sequence[str] | None = None, categories: Collection[str] = (),
                 without: Collection[str] = ()) -> RatingsFile | SpanCodings:
    """Read a wide or long ratings CSV, or a span codings CSV (see the module docstring).

    Parameters
    ----------
    path : str or Path
    min_coders : {2, 1}
        As for :func:`read_ratings`.
    deferred : list of str, optional
        Gets the warnings on a multi-label long file (that it is read so, and why) and on ratings written as a
        missing rating often is (:func:`warn_missing_markers`) instead of the log, for a caller that may yet refuse
        what it was asked to do with such a file: a refusal comes alone.
    coders : sequence of str, optional
        Only these coders' ratings (``agree --coder``): the file is read as if it held their rows (long, span
        codings) or columns (wide) alone, and a wide file's units none of them rated are left out. Names are
        matched as written; the coders left out are the result's ``coders_left_out``.
    categories : collection of str, optional
        The categories declared (``agree --categories``): a code written as one of them is not warned of as
        perhaps a missing rating (:func:`warn_missing_markers`).
    without : collection of str
        Columns that are no ratings, left out as the file is read (``agree --by``'s column), named as written.

    Raises
    ------
    InputError
        As :func:`read_ratings`; for span codings, a blank coder or code, offsets that are not whole numbers or
        an end before the start, or fewer than ``min_coders`` coders; for a REFI-QDA file (import it first); for
        a name of ``coders`` that is no coder of the file (:func:`_chosen_coders`), or fewer than ``min_coders``
        of them.
    """
    if Path(path).suffix.lower() in REFI_SUFFIXES:
        # read as a table, a .qdpx is "not a text file" and a .qde "0 coder columns": neither says what to do
        raise InputError(f"{path} is a REFI-QDA file, not a ratings table: import it first (theme-assist import-qdpx "
                         f"{path} --out DIR), then compare DIR/codings.csv (with --overlap P or --units SEGMENTS.csv)")
    written = read_table(path, what="ratings file", rectangular=True)
    frame = _stripped(written)  # a span's text is compared as written
    frame = frame.drop(columns=[column for column in frame.columns if column in set(without)])
    lowered = {column.lower(): column for column in reversed(frame.columns)}
    if set(SPAN_COLUMNS) <= set(lowered):
        spans = frame[[lowered[name] for name in SPAN_COLUMNS]].set_axis(list(SPAN_COLUMNS), axis=1)
        if "text" in lowered:  # as written: compared by offset with the texts of --units
            spans["text"] = written[lowered["text"]]
        return _span_codings(spans, path, min_coders, coders)
    if set(MACHINE_COLUMNS) <= set(lowered):  # read as wide, its code, score and rank would be three coders
        _refuse_audit_trail(frame.columns, path)
        raise InputError(f"{path} holds the machine's suggestions ({', '.join(MACHINE_COLUMNS)}: suggest's OUT.csv), "
                         f"not coders' ratings: compare them with the coders' as agree RATINGS.csv --machine {path}")
    # the segmentation a table's segment ids come from (kept when a project export is pivoted wide) is no rating
    tagged = [column for column in frame.columns if column.lower() == SEGMENTATION_COLUMN]
    tags = frame[tagged[0]] if tagged else None
    frame = frame.drop(columns=tagged)
    versioned = [column for column in frame.columns if column.lower() == CODEBOOK_VERSION_COLUMN]
    versions = codebook_versions(frame[versioned[0]], path) if versioned else []
    frame = frame.drop(columns=versioned)
    if {"coder", "code"} <= {column.lower() for column in frame.columns}:  # long format
        names = {column: "unit" if column.lower() in UNIT_ALIASES else column.lower() for column in frame.columns}
        if sorted(names.values()) != sorted(LONG_COLUMNS):
            raise InputError(f"{path} looks like a long ratings file (it has 'coder' and 'code' columns), which has "
                             "exactly the columns unit (or segment_id), coder, code; it has "
                             f"{', '.join(frame.columns)}")
        frame = frame.rename(columns=names)
        left_out = []
        if coders is not None:
            # sorted, as a long file's coders are (ratings_from_codings): their names and seeds of comparisons
            kept, left_out = _chosen_coders(sorted(pd.unique(frame["coder"])), coders, path, min_coders)
            frame = frame[frame["coder"].isin(kept)]
            tags = tags.loc[frame.index] if tags is not None else None
        if tags is not None:
            _refuse_mixed_segmentations(frame, tags, path)
        return replace(_long(frame, path, min_coders, exported=bool(tagged), deferred=deferred,
                             chosen=coders is not None, categories=categories),
                       segmentations=segmentation_tags(pd.DataFrame({SEGMENTATION_COLUMN: tags}))
                       if tags is not None else [], coders_left_out=left_out, codebook_versions=versions)
    frame = _unit_column_first(frame)
    if tags is not None and frame.shape[1]:  # a long file of two segmentations pivoted wide repeats its units
        _refuse_mixed_segmentations(frame.set_axis(["unit", *frame.columns[1:]], axis=1), tags, path)
    return replace(_wide(frame, path, min_coders, coders, categories, deferred), codebook_versions=versions)


def codebook_versions(cells: pd.Series, path: str | Path) -> list[str]:
    """The codebook version of a table's ``codebook_version`` column (``cells``, as written), ``[]`` where every
    cell is empty.

    Raises
    ------
    InputError
        Where its rows carry two versions (exports of one project made before and after a codebook revision, put
        together): a code the revision renamed or merged is named apart in each, and their codes would be compared
        as different silently.
    """
    written = pd.Series(cells, dtype=object).fillna("").astype(str).str.strip()
    found = sorted(set(written) - {""}, key=lambda version: (len(version), version))
    if len(found) > 1:
        refuse_other_codebook_version(found[0], path, found[1], path)
    return found


def refuse_other_codebook_version(version: str, path: str | Path, other: str, other_path: str | Path) -> None:
    """:class:`InputError` for codes read under codebook ``version`` (of ``path``) and ``other`` (of
    ``other_path``, which may be ``path``), in one line that says what to do."""
    where = f"{path} has rows" if str(path) == str(other_path) else f"{path} and {other_path} have codes"
    raise InputError(f"{where} exported under two codebook versions, {version} and {other}: a code renamed or "
                     "merged in between is named apart in each, so their codes are not compared; export both again "
                     "from the project (project export --codings, --machine), which reads every coding under its "
                     "current codebook")


def _chosen_coders(present: list[str], chosen: Sequence[str], path: str | Path,
                   min_coders: int) -> tuple[list[str], list[str]]:
    """The coders ``chosen`` (``--coder``) and the others of ``present`` (the file's coders, in the order its
    ratings' columns take: a wide file's, sorted for a long file or span codings), left out, each in that order.

    Raises
    ------
    InputError
        For a chosen name that is no coder of the file, listing those it has, and naming the one it differs from
        only by case, Unicode form or invisible characters (as :func:`warn_case_variants` groups names); or for
        fewer than ``min_coders`` chosen.
    """
    for name in dict.fromkeys(chosen):
        if name not in present:
            shown, meant = did_you_mean(name, present)
            raise InputError(f"--coder {shown} is no coder of {path}{meant}; its coders: "
                             f"{listed(list(map(str, present)), shown=10)}")
    kept = [coder for coder in present if coder in set(chosen)]  # as a file of theirs alone would order them,
    # not as --coder names them: the comparisons' names and seeds (derived_seed of the two names) follow the order
    if len(kept) < min_coders:
        raise InputError(f"--coder {kept[0]!r} keeps one coder of {path}: agreement needs at least two (name "
                         "another with --coder), or compare that coder with the machine's suggestions: --machine "
                         "OUT.csv")
    return kept, [coder for coder in present if coder not in kept]


def read_cells(path: str | Path, what: str = "ratings file") -> pd.DataFrame:
    """A ratings (or units) table as text columns, each cell stripped, as the ratings are read."""
    return _stripped(read_table(path, what=what, rectangular=True))


def _stripped(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(lambda column: column.str.strip())


def wide_unit_column(columns: Sequence) -> str:
    """The unit column of a wide file of these ``columns``: the first named ``unit`` or ``segment_id``, else the
    first."""
    return next((column for column in columns if str(column).lower() in UNIT_ALIASES), columns[0])


def _unit_column_first(frame: pd.DataFrame) -> pd.DataFrame:
    """A wide file's columns with its ``unit`` or ``segment_id`` column first, where another comes before it (a
    CODED.csv whose columns were moved in a spreadsheet: ``code, segment_id``): a wide file's units are its first
    column, and the codes (or texts) there were read as units, the ids dropped as a segment column."""
    if not frame.shape[1] or wide_unit_column(frame.columns) == frame.columns[0]:
        return frame
    unit = wide_unit_column(frame.columns)
    return frame[[unit, *(column for column in frame.columns if column != unit)]]


def _refuse_mixed_segmentations(frame: pd.DataFrame, tags: pd.Series, path: str | Path) -> None:
    """:class:`InputError` where a unit of a long file has rows of two segmentation tags (``tags``, the file's
    segmentation column; two coders' exports of projects segmented otherwise, put together): its id may name other
    text in each, and the coders' codes would be compared on it silently. Rows without a tag pass. A wide file
    (no ``coder`` column) has such rows where a long one was pivoted wide by segment and tag."""
    rows = frame.assign(tag=tags.to_numpy())
    rows = rows[rows["tag"] != ""]
    counts = rows.groupby("unit", sort=False)["tag"].nunique()
    if not (counts > 1).any():
        return
    unit = counts.index[(counts > 1).to_numpy()][0]
    first, second = rows[rows["unit"] == unit].drop_duplicates("tag").iloc[:2].itertuples()
    differ = segmentation_difference(first.tag, second.tag)
    of = (lambda row: f" (coder {row.coder})") if "coder" in rows.columns else (lambda row: "")
    raise InputError(f"{path}: segment {unit!r} has rows of two segmentations, {first.tag}{of(first)} and "
                     f"{second.tag}{of(second)}{f', which differ in {differ}' if differ else ''}: the "
                     "same id may name other text in each (a turn split otherwise moves every later id of its "
                     "document), so their codes are not compared; give codings of one segmentation (projects made "
                     "by one theme_assist version with the same --unit and --max-chars)")


def warn_missing_markers(cells: pd.DataFrame | pd.Series, path: str | Path,
                         categories: Collection[str] = (), deferred: list[str] | None = None) -> None:
    """Name the ratings of ``cells`` read as codes that are written as a missing rating often is ("NA", "n/a",
    "none": :data:`MISSING_MARKERS`, apart from case): a code all the same, they are said lest a coder's empty
    cells count as agreement; not those written as one of ``categories`` (``agree --categories``) is, which the
    user declared a category. With ``deferred``, the warning is added there, for a caller that may yet refuse the
    file (a rating not among ``--categories``): a refusal comes alone."""
    cells = pd.Series(np.asarray(cells, dtype=str).ravel())
    marked = cells[cells.str.lower().isin(MISSING_MARKERS) & ~cells.isin(set(categories))]
    if len(marked):
        warn_or_defer(logger, f"{path}: {len(marked)} rating(s) read as the code(s) "
                              f"{', '.join(repr(v) for v in sorted(set(marked)))}; if they mean a missing rating, "
                              "leave those cells empty", deferred)


def warn_case_variants(cells: pd.DataFrame | pd.Series, path: str | Path, what: str = "code") -> None:
    """Name the codes (or coders: ``what``) written apart only by case ("Hope", "hope"), only by Unicode form
    ("é" as one character or two), or only by invisible characters ("Ann" and "Ann" with a zero-width space:
    :func:`~theme_assist.names.without_invisible`), or in several of those ways at once where the groups already
    named do not link them: they are different, and a coder who capitalised their codes would otherwise agree with
    nobody without a word (cells are already stripped)."""
    names = _distinct_texts(cells)
    names = names[~names.str.lower().isin(MISSING_MARKERS)]  # those have a warning of their own
    variants = _written_alike(names, names.str.casefold())
    if len(variants):
        logger.warning("%s: %d %s(s) written apart only by case are different %ss: %s; write each %s one way if "
                       "they are one", path, len(variants), what, what, _listed(variants, repr), what)
    # 'é' as one character and as 'e' with a combining accent (a Mac's text, another program's export) look alike
    forms = _written_alike(names, names.map(lambda name: unicodedata.normalize("NFC", name)))
    if len(forms):
        logger.warning("%s: %d %s(s) written alike in two Unicode forms (an accent as one character, or as a letter "
                       "and a combining mark) are different %ss: %s; write each %s one way if they are one", path,
                       len(forms), what, what, _listed(forms, ascii), what)
    # a zero-width space or a direction mark pasted with a name: the two look the same on screen
    hidden = _written_alike(names, names.map(without_invisible))
    if len(hidden):
        logger.warning("%s: %d %s(s) written alike but for invisible characters (zero-width or formatting) are "
                       "different %ss: %s; write each %s one way if they are one", path, len(hidden), what, what,
                       _listed(hidden, ascii), what)
    # apart in two of those ways at once ("Ann" with a zero-width space, and "ann"): no check above groups them
    said = [set(group) for found in (variants, forms, hidden) for group in found]
    mixed = _written_alike(names, names.map(name_key))
    mixed = mixed[[not _linked(group, said) for group in mixed]]
    if len(mixed):
        logger.warning("%s: %d %s(s) written apart in more than one of case, Unicode form and invisible characters "
                       "are different %ss: %s; write each %s one way if they are one", path, len(mixed), what, what,
                       _listed(mixed, ascii), what)


def _warn_number_variants(cells: pd.DataFrame | pd.Series, path: str | Path) -> None:
    """Name the numbers written two ways ("1", "1.0") among codes that are not all numbers: there every code is
    read as written, so they are different codes, and a coder's "1.0" agrees with no "1" (a file of numbers alone
    compares numbers, where they are one)."""
    names = _distinct_texts(cells)
    numbers = pd.to_numeric(names, errors="coerce")
    if numbers.notna().all():
        return
    numeric = numbers.notna()
    spellings = _written_alike(names[numeric], numbers[numeric].astype(float))
    if len(spellings):
        logger.warning("%s: %d number(s) written two ways are different codes, as some codes are not numbers: %s; "
                       "write each number one way if they are one", path, len(spellings), _listed(spellings, repr))


def warn_number_spellings(cells: pd.Series, path: str | Path, what: str) -> None:
    """Name the numbers written two ways ("1", "1.0", "01") among texts always read as written, numbers or not
    (the values of ``agree --by``: a wave "1" and a wave "1.0" are two groups)."""
    names = _distinct_texts(cells)
    numbers = pd.to_numeric(names, errors="coerce")
    numeric = numbers.notna()
    spellings = _written_alike(names[numeric], numbers[numeric].astype(float))
    if len(spellings):
        logger.warning("%s: %d number(s) written two ways are different %ss: %s; write each number one way if they "
                       "are one", path, len(spellings), what, _listed(spellings, repr))


def _distinct_texts(cells: pd.DataFrame | pd.Series) -> pd.Series:
    """The distinct non-empty texts of ``cells`` (a table or a column), in the order they first appear."""
    names = pd.Series(pd.unique(pd.Series(np.asarray(cells, dtype=object).ravel()).dropna().astype(str)))
    return names[names != ""]


def _written_alike(names: pd.Series, key: pd.Series) -> pd.Series:
    """The spellings (sorted) of each ``key`` (one per name) that two or more of ``names`` share."""
    spellings = names.groupby(key).agg(sorted)
    return spellings[spellings.str.len() > 1]


def _linked(group: list[str], said: list[set[str]]) -> bool:
    """Whether the groups already ``said`` link every spelling of ``group`` ("Hope" / "hope" by case and "hope" /
    "hope" with a zero-width space link all three): naming the group again would say nothing new."""
    reached, grew = {group[0]}, True
    while grew:
        grew = False
        for named in said:
            if named & reached and not named <= reached:
                reached |= named
                grew = True
    return reached >= set(group)


def _listed(spellings: pd.Series, show) -> str:
    """The first five groups of :func:`_written_alike`, each as its spellings ``show`` writes ("'A' / 'a'"), "; …"
    after them where there are more."""
    return "; ".join(" / ".join(map(show, written)) for written in spellings.iloc[:5]) + (
        "; …" if len(spellings) > 5 else "")


def _coders_needed(count: int, min_coders: int, machine_options: str = "--machine OUT.csv") -> str:
    """The end of the error for a file of ``count`` coders, fewer than ``min_coders``: what is needed, and for a
    single coder, how to compare that coder with the machine instead (``machine_options``)."""
    if min_coders < 2:
        return "comparing with the machine needs at least one coder"
    hint = f" (or, for one coder, compare the machine's suggestions with them: {machine_options})" if count == 1 \
        else ""
    return f"agreement needs at least two coders{hint}"


def _wide(frame: pd.DataFrame, path: str | Path, min_coders: int,
          chosen: Sequence[str] | None = None, categories: Collection[str] = (),
          deferred: list[str] | None = None) -> RatingsFile:
    unit = frame.columns[0]
    separator = next((separator for separator in ";|" if separator in unit), None)
    if frame.shape[1] == 1 and separator:
        raise InputError(f"{path} has one column, {unit!r}: its cells seem to be separated by {separator!r}; save it "
                         "with commas (.csv) or tabs (.tsv)")
    frame = _without_blank_columns(frame, path)
    left_out: list[str] = []  # said once the file is not refused: a warning before a refusal is noise
    frame = _without_segment_columns(frame, path, left_out)
    others = []
    if chosen is not None:
        kept, others = _chosen_coders(list(frame.columns[1:]), chosen, path, min_coders)
        frame = frame[[unit, *kept]]
        frame = frame[(frame[kept] != "").any(axis=1)]  # units none of them rated are none of their comparison
    columns = list(frame.columns[1:])
    frame = _without_unrated_coders(frame, path, left_out)
    # their warning waits for the file to be read: the refusal names them, "0 coder column(s)" of a file with two
    empty = [str(column) for column in columns if column not in frame.columns]
    _refuse_code_beside_other_columns(frame, path)
    if chosen is not None and frame.shape[1] - 1 < min_coders:  # the file has enough: a coder chosen rated nothing
        unrated = [str(column) for column in kept if column not in frame.columns]
        raise InputError(f"--coder keeps {frame.shape[1] - 1} coder(s) of {path} with a rating: "
                         f"{', '.join(unrated)} gave none; {_coders_needed(frame.shape[1] - 1, min_coders)}")
    if frame.shape[1] - 1 < min_coders:
        long_hint = "; a long file has the columns unit (or segment_id), coder, code: this one has no coder column" \
            if "code" in {str(column).lower() for column in frame.columns} else ""
        rated = f" with a rating, {', '.join(empty)} giving none" if empty else ""
        raise InputError(f"{path} has {frame.shape[1] - 1} coder column(s){rated} (wide format: a unit column, then "
                         f"one column per coder{long_hint}); {_coders_needed(frame.shape[1] - 1, min_coders)}")
    # a long file whose columns are named otherwise (rater, label) is read as wide: say what long files are called
    coders = [str(column) for column in frame.columns[1:]]
    _check_units(frame[unit], path, f" (read as a wide file, one row per unit, with the coder columns "
                                    f"{', '.join(coders[:5])}{', …' if len(coders) > 5 else ''}; a long file has the "
                                    "columns unit (or segment_id), coder, code)")
    for warning in left_out:
        logger.warning("%s", warning)
    warn_missing_markers(frame.drop(columns=unit), path, categories, deferred)
    warn_case_variants(frame.drop(columns=unit), path)
    _warn_number_variants(frame.drop(columns=unit), path)
    if len(coders) == 1 and coders[0].lower() == "code":  # one coder's CODED.csv: named by the file, as in a project
        frame = frame.rename(columns={frame.columns[1]: Path(path).name})
    ratings = frame.set_index(unit)
    ratings = ratings.where(ratings != "")  # not replace("", nan): pandas deprecates the downcast it does
    return RatingsFile(_as_numbers_if_all_numeric(ratings), coders_left_out=others)


def _refuse_code_beside_other_columns(frame: pd.DataFrame, path: str | Path) -> None:
    """:class:`InputError` for a coded segments table (CODED.csv: a ``code`` column, no ``coder``) with more
    columns: ``suggest --segments-out`` with ``--metadata`` writes each document's site, country…, which read as
    wide would be coders beside ``code``, compared with each other and with the machine."""
    others = [str(column) for column in frame.columns[1:] if str(column).lower() != "code"]
    if others and len(others) < frame.shape[1] - 1:
        raise InputError(f"{path} has a 'code' column, as a coded segments table (CODED.csv) has, and more columns "
                         f"that would each count as a coder: {listed(others)}; for one coder's codes keep only "
                         f"{frame.columns[0]} and code (delete metadata columns), or give a coder column (long "
                         "format: unit or segment_id, coder, code)")


def _without_blank_columns(frame: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """The coder columns less those with a blank header and no rating (a spreadsheet's trailing separators),
    which would count as one more coder and take Cohen's κ and Scott's π away. A header of spaces alone is blank
    too (pandas names only an empty one): its ratings were a coder named ''; so is one of zero-width or formatting
    characters alone, a name the project store refuses (:func:`~theme_assist.names.has_visible_character`)."""
    blank = [column for column in frame.columns[1:]
             if BLANK_HEADER.fullmatch(str(column)) or not has_visible_character(str(column))]
    rated = [column for column in blank if (frame[column] != "").any()]
    if rated:
        position = list(frame.columns).index(rated[0]) + 1
        raise InputError(f"column {position} of {path} holds ratings but has no coder name in the header")
    return frame.drop(columns=blank)


def _without_segment_columns(frame: pd.DataFrame, path: str | Path, left_out: list[str]) -> pd.DataFrame:
    """The columns less a segments table's own (text, document, speaker, …: suggest --segments-out coded in a
    spreadsheet), which are no coders: each would count as one, with its texts as ratings. The warning that says so
    goes to ``left_out``."""
    segment = [column for column in frame.columns[1:] if column.lower() in SEGMENT_COLUMNS]
    if segment:
        left_out.append(f"{path}: the segment column(s) {', '.join(segment)} are no coders and are left out (any "
                        "other column counts as a coder: delete metadata columns)")
    return frame.drop(columns=segment)


def _without_unrated_coders(frame: pd.DataFrame, path: str | Path, left_out: list[str]) -> pd.DataFrame:
    """The columns less the coders' without a single rating (a coder yet to start), with a warning (to
    ``left_out``): each would count as one more coder and take Cohen's κ and Scott's π away from the two who
    rated."""
    unrated = [column for column in frame.columns[1:] if (frame[column] == "").all()]
    if unrated:
        left_out.append(f"{path}: the coder(s) {', '.join(map(str, unrated))} gave no rating and are left out")
    return frame.drop(columns=unrated)


def _long(frame: pd.DataFrame, path: str | Path, min_coders: int, exported: bool = False,
          deferred: list[str] | None = None, chosen: bool = False, categories: Collection[str] = ()) -> RatingsFile:
    """Ratings of a long file; ``exported``: written by ``project export --codings`` (it has a segmentation
    column), whose coders have no row for a segment they left without a code; ``deferred``, ``categories``: as
    for :func:`read_codings`; ``chosen``: its coders are those ``--coder`` named."""
    # a coder named by zero-width characters alone is listed as a blank, and the project store refuses the name
    blank = (frame["unit"] == "") | ~frame["coder"].map(has_visible_character)
    if blank.any():
        raise InputError(f"line {int(np.flatnonzero(blank.to_numpy())[0]) + 2} of {path} has a blank unit or coder")
    warn_missing_markers(frame["code"], path, categories, deferred)
    warn_case_variants(frame["code"], path)
    _warn_number_variants(frame["code"], path)
    warn_case_variants(frame["coder"], path, "coder")
    frame = frame.assign(code=_one_text_per_number(frame["code"]))
    coded = frame[frame["code"] != ""]
    multi_label = bool(coded.drop_duplicates().duplicated(["unit", "coder"]).any())
    if not multi_label:  # there an empty code is a missing rating; in multi-label files, a unit read, no code
        frame = _without_coders_of_no_code(frame, path)
    if frame["coder"].nunique() < min_coders:  # counted without them, as a wide file's are
        count = frame["coder"].nunique()
        coders = "coder" if count == 1 else "coders"
        said = f"--coder keeps {count} {coders} with a code in {path}" if chosen else f"{path} has {count} {coders}"
        raise InputError(f"{said}; {_coders_needed(count, min_coders)}")
    ratings = ratings_from_codings(frame, unit="unit", multi_label=multi_label)
    if not multi_label:
        return RatingsFile(_as_numbers_if_all_numeric(ratings), codings=frame)
    several, share = _several_codes(coded)
    said = []
    if share <= STRAY_SHARE:  # a file of code sets throughout says so in its caption; a few sets may be stray rows
        said.append(f"{path}: read as multi-label: {several}; if each coder gave each unit one code, those rows are "
                    "stray: correct them")
    _warn_units_without_rows(frame, ratings.index, path, exported, said)
    _warn_coders_of_no_code(frame, path, said)
    for warning in said:
        warn_or_defer(logger, warning, deferred)
    return RatingsFile(ratings, codings=frame, multi_label=True, several_codes=several)


def _several_codes(coded: pd.DataFrame) -> tuple[str, float]:
    """Why a long file is multi-label: how many units and coders have several codes, the lines of their rows, and
    the first such unit, coder and codes; and the share of unit-coder pairs that have several. One stray row with
    another code is enough to make every rating a code set (and a unit without a row of a coder the empty set); said
    only by the table's caption, a file meant to be single-label was compared otherwise without a word. ``coded``:
    the rows with a code."""
    distinct = coded.drop_duplicates(["unit", "coder", "code"])
    pairs = distinct.set_index(["unit", "coder"]).index
    several = pairs[pairs.duplicated()].unique()
    rows = pd.Series(coded.set_index(["unit", "coder"]).index.isin(several), index=coded.index)
    unit, coder = several[0]
    codes = distinct.loc[(distinct["unit"] == unit) & (distinct["coder"] == coder), "code"]
    return (f"{len(several)} of {pairs.nunique()} unit-coder pair(s) have several codes ({lines_of(rows)}; first: "
            f"unit {unit!r}, coder {coder!r}: {', '.join(map(repr, codes))})", len(several) / pairs.nunique())


def _warn_coders_of_no_code(frame: pd.DataFrame, path: str | Path, said: list[str]) -> None:
    """Name the coders of a multi-label file whose every row has an empty code (to ``said``): there they count as
    having read each unit and given it none of the codes (a single-label file leaves such a coder out, as one yet to
    start), which takes agreement down without a word where their rows are a sheet made out for a coder yet to
    start."""
    coded = set(frame.loc[frame["code"] != "", "coder"])
    uncoded = [coder for coder in frame["coder"].unique() if coder not in coded]
    if uncoded:
        said.append(f"{path}: the coder(s) {', '.join(map(str, uncoded))} gave no code to any unit; multi-label "
                    "ratings count them as having read every unit and found none of the codes; if they have not "
                    "coded yet, leave their rows out")


def _without_coders_of_no_code(frame: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """The rows of a single-label file less those of coders whose every row has an empty code (a sheet made out for
    a coder yet to start), with a warning, as :func:`_without_unrated_coders` leaves such a coder of a wide file
    out."""
    coded = frame.loc[frame["code"] != "", "coder"].unique()
    unrated = [coder for coder in frame["coder"].unique() if coder not in set(coded)]
    if unrated:
        logger.warning("%s: the coder(s) %s gave no code and are left out", path, ", ".join(map(str, unrated)))
        frame = frame[frame["coder"].isin(coded)]
    return frame


def _warn_units_without_rows(frame: pd.DataFrame, units: pd.Index, path: str | Path, exported: bool,
                             said: list[str]) -> None:
    """Name the coders without a row for some unit of a multi-label file (to ``said``), and the first three such
    units of each: those units count as coded
    with no code (the empty set), where in a single-label file they would be missing ratings; the figures differ. In a
    project export a coder has no row for a segment left without a code, read or not: said so, the advice for a
    file written by hand (an empty code's row) being of no use there."""
    rows = frame.groupby("coder")["unit"].unique()
    lacking = {coder: [str(unit) for unit in units.difference(had, sort=False)] for coder, had in rows.items()
               if len(had) < len(units)}
    if not lacking:
        return
    counts = "; ".join(f"{coder}: {len(missing)} of {len(units)} units: {listed(missing, 3)}"
                       for coder, missing in lacking.items())
    if exported:
        said.append(f"{path}: multi-label ratings count a unit without a row of a coder as given no code (the empty "
                    "set); a project export has no row where a coder left a segment without a code, nor where a "
                    f"coder never came to it: compare coders on the segments both reviewed ({counts})")
        return
    said.append(f"{path}: multi-label ratings take every coder to have coded every unit: a unit without a row of a "
                "coder counts as given no code (the empty set), not as a missing rating; a row with an empty "
                f"code says a coder read a unit ({counts})")


def _span_codings(frame: pd.DataFrame, path: str | Path, min_coders: int,
                  chosen: Sequence[str] | None = None) -> SpanCodings:
    from theme_assist.refi.assemble import human_codings

    frame = human_codings(frame, str(path))  # theme_assist's suggestions exported and imported again: no coder
    others = []
    if chosen is not None:
        kept, others = _chosen_coders(sorted(pd.unique(frame["coder"])), chosen, path, min_coders)  # as .coders
        frame = frame[frame["coder"].isin(kept)]
    blank = (frame[["document", "code"]] == "").any(axis=1) | ~frame["coder"].map(has_visible_character)
    if blank.any():
        raise InputError(f"line {frame.index[blank.to_numpy()][0] + 2} of {path} has a blank document, coder or "
                         "code")
    coders = frame["coder"].nunique()
    if coders < min_coders:
        needed = _coders_needed(coders, min_coders, "--units SEGMENTS.csv --machine OUT.csv")
        raise InputError(f"{path} has span codings of {coders} coder; {needed}")
    warn_case_variants(frame["code"], path)
    _warn_number_variants(frame["code"], path)
    warn_case_variants(frame["coder"], path, "coder")
    frame = frame.assign(start=whole_numbers(frame["start"], "start", path),
                         end=whole_numbers(frame["end"], "end", path))
    backwards = frame["end"] < frame["start"]
    if backwards.any():
        line = frame.index[backwards.to_numpy()][0] + 2
        raise InputError(f"line {line} of {path} has a span that ends before it starts")
    return SpanCodings(frame.assign(code=_one_text_per_number(frame["code"])), str(path), coders_left_out=others)


def read_units(path: str | Path) -> pd.DataFrame:
    """Read a units file: ``segment_id`` (or ``unit``), ``document``, ``start``, ``end``, optional ``text`` (other
    columns are ignored), as ``suggest --segments-out`` writes it.

    Returns
    -------
    DataFrame
        Columns ``unit``, ``document``, ``start``, ``end`` (integers), and ``text`` as written where the file has
        it, in the file's order.

    Raises
    ------
    InputError
        For a missing column, a blank or repeated id, offsets that are not whole numbers or an end before the start.
    """
    return read_units_and_segments(path)[0]


def read_units_and_segments(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`read_units`'s units, and the file's columns that say what segmentation made them
    (:data:`UNIT_SEGMENTATION_COLUMNS`, ``segment_id`` and ``text`` it has, as written), from one read."""
    frame = read_table(path, required=("document", "start", "end"),
                       optional=(*UNIT_ALIASES, *UNIT_SEGMENTATION_COLUMNS, "text"), what="units file",
                       rectangular=True)
    # with the texts and ids, which show whether a segmentation of another version made them alike
    segments = frame[[column for column in (*UNIT_SEGMENTATION_COLUMNS, "segment_id", "text") if column in frame]]
    texts = frame["text"] if "text" in frame else None  # as written: compared by offset with the spans' texts
    frame = frame.apply(lambda column: column.str.strip())
    unit = next((name for name in ("segment_id", "unit") if name in frame.columns), None)
    if unit is None:
        raise InputError(f"units file {path} has no column 'segment_id' (or 'unit') naming the units (columns: "
                         f"{', '.join(frame.columns)})")
    _check_units(frame[unit], path)
    units = pd.DataFrame({"unit": frame[unit], "document": frame["document"],
                          "start": whole_numbers(frame["start"], "start", path),
                          "end": whole_numbers(frame["end"], "end", path)})
    if texts is not None:
        units["text"] = texts
    backwards = units["end"] < units["start"]
    if backwards.any():
        raise InputError(f"line {int(np.flatnonzero(backwards.to_numpy())[0]) + 2} of {path} has a unit that ends "
                         "before it starts")
    return units, segments


def ratings_on_units(codings: SpanCodings, units: pd.DataFrame, *, min_coverage: float = 0.0,
                     units_path: str | Path = "the units file") -> RatingsFile:
    """Span codings as ratings of units, as a long file of those units would give them.

    Every unit of a document some coder coded is a row (documents nobody coded are left out, with a warning: they
    would count as agreement everywhere). A coder is taken to have read every unit of the documents they put a
    span in, and no other (a missing rating, with a warning): there a unit the coder gave no code is rated
    :data:`NO_CODE` in single-label data, and gets the empty code set in multi-label data (several codes from one
    coder on some unit). Spans that touch no unit are left out with a warning.

    Parameters
    ----------
    codings : SpanCodings
    units : DataFrame
        Columns ``unit``, ``document``, ``start``, ``end`` (:func:`read_units`).
    min_coverage : float
        Share of a unit a span must cover to code it, in [0, 1]; 0: any overlap
        (:func:`~theme_assist.agree.units.codings_on_units`).

    Raises
    ------
    InputError
        For a coverage outside [0, 1], or when no document of the spans is among the units' documents.
    """
    if not 0 <= min_coverage <= 1:
        raise InputError(f"the minimum coverage must lie in [0, 1]; got {min_coverage:g}")
    documents = set(codings.spans["document"])
    if not documents & set(units["document"]):
        raise InputError(f"no document of {codings.path} ({_some(documents)}) is among the documents of "
                         f"{units_path} ({_some(set(units['document']))})")
    outside = documents - set(units["document"])
    if outside:
        logger.warning("%s: the spans in %d document(s) without units in %s are left out: %s", codings.path,
                       len(outside), units_path, _some(outside))
    inside = codings.spans[codings.spans["document"].isin(set(units["document"]))]
    _refuse_units_of_other_texts(inside, units, codings.path, units_path)
    missed = inside[~inside.index.isin(set(spans_meeting_units(inside, units, unit="unit")["span"]))]
    if len(missed):
        logger.warning("%s: %d span(s) overlap no unit of %s and are left out (first: %s %s-%s, code %r of %s)",
                       codings.path, len(missed), units_path, *missed.iloc[0][["document", "start", "end", "code",
                                                                                "coder"]])
    uncoded = units[~units["document"].isin(documents)]
    if len(uncoded):
        # documents nobody coded would count as agreement on "no code" everywhere: not what coders compared
        logger.warning("%d unit(s) of %s in %d document(s) no coder coded are left out: %s", len(uncoded),
                       units_path, uncoded["document"].nunique(), _some(set(uncoded["document"])))
        units = units[units["document"].isin(documents)].reset_index(drop=True)
    coded = codings_on_units(codings.spans, units, unit="unit", min_coverage=min_coverage)
    coders = codings.coders
    seen = pd.DataFrame({"unit": np.repeat(units["unit"].to_numpy(), len(coders)),
                         "coder": np.tile(coders, len(units)), "code": ""})
    frame = pd.concat([seen, coded], ignore_index=True)
    multi_label = bool(coded.duplicated(["unit", "coder"]).any())
    ratings = ratings_from_codings(frame, unit="unit", units=units["unit"], multi_label=multi_label)
    if not multi_label:
        ratings = ratings.astype(object).where(ratings.notna(), NO_CODE)
    # a coder without a span in a document did not code it (a QDA export does not say who read what): missing
    worked_on = set(zip(codings.spans["coder"], codings.spans["document"]))
    document_of = units.set_index("unit")["document"].reindex(ratings.index).to_numpy()
    seen = pd.DataFrame({coder: [(coder, document) in worked_on for document in document_of]
                         for coder in ratings.columns}, index=ratings.index)
    if not seen.all(axis=None):
        logger.warning("%s: a coder's units in the documents they put no span in are missing ratings, not "
                       "'no code' (%s)", codings.path, "; ".join(
                           f"{coder}: {int((~seen[coder]).sum())} of {len(seen)} units" for coder in seen.columns
                           if not seen[coder].all()))
    ratings = ratings.astype(object).where(seen)
    return RatingsFile(ratings, codings=frame, multi_label=multi_label, coders_left_out=codings.coders_left_out)


_WHITESPACE = re.compile(r"\s")
"""A space, a tab or a line break: one is as good as another where a span's text and a unit's are compared."""


def _refuse_units_of_other_texts(spans: pd.DataFrame, units: pd.DataFrame, codings_path: str | Path,
                                 units_path: str | Path) -> None:
    """Raise :class:`InputError` where a span and a unit that share characters read them differently: the units were
    cut from another text of the document than the spans (the segments of a ``.vtt`` against an export that wrote
    ``Name: `` before each turn), so their offsets would put the spans on other units. Only texts as long as their
    offsets say are compared (a spreadsheet's trimmed cell, or a file without texts, is not refused), each space,
    tab or line break as any other."""
    if "text" not in spans or "text" not in units:
        return
    spans = spans[spans["text"].str.len() == spans["end"] - spans["start"]]
    units = units[units["text"].str.len() == units["end"] - units["start"]]
    if not len(spans) or not len(units):
        return
    pairs = spans_meeting_units(spans, units, unit="unit")
    unit_texts = units.drop_duplicates("unit").set_index("unit")["text"]
    for span, unit, low, high, start, start_unit in pairs[["span", "unit", "low", "high", "start",
                                                          "start_unit"]].itertuples(index=False):
        said = spans.at[span, "text"][low - start:high - start]
        cut = unit_texts[unit][low - start_unit:high - start_unit]
        # a line break written as a space (a table made one line a cell) keeps the offsets: the same text
        if _WHITESPACE.sub(" ", said) != _WHITESPACE.sub(" ", cut):
            composed = {name: all(unicodedata.is_normalized("NFC", text) for text in texts)
                        for name, texts in (("units", units["text"]), ("spans", spans["text"]))}
            forms = ("; the texts of one are in another Unicode form than the other's (an accent as one character, "
                     "or as a letter and a combining mark), which counts characters otherwise"
                     if len(set(composed.values())) > 1 else "")
            shown = ascii if forms else repr  # the two forms look alike
            raise InputError(
                f"{units_path} and {codings_path} hold different texts of document {spans.at[span, 'document']!r} "
                f"(characters {low}-{high}: {_opening(cut, shown=shown)} in unit {unit!r}, "
                f"{_opening(said, shown=shown)} in a span{forms}), so the units would take spans they do not hold: "
                "give the segments of the documents the spans were coded in (suggest --segments-out on the import's "
                "documents/)")


def _opening(text: str, most: int = 30, shown=repr) -> str:
    """The first ``most`` characters of ``text``, as ``shown`` writes them (``ascii``: escapes), and "…" for more."""
    return shown(text if len(text) <= most else text[:most] + "…").replace("\\u2026", "…")


def read_machine(path: str | Path) -> pd.Series:
    """The machine's rank-1 code per segment from the ``suggest`` command's output (see
    :func:`read_machine_and_segmentations`)."""
    return read_machine_and_segmentations(path)[0]


def read_machine_and_segmentations(path: str | Path) -> tuple[pd.Series, list[str], set[str], list[str]]:
    """The machine's rank-1 code per segment from the ``suggest`` command's output, the segmentation tags of
    its segment ids (:func:`~theme_assist.segment.segmentation_tags`), the segments it learnt from, and the
    codebook version its codes are read under (``project export --machine``), from one read.

    Returns
    -------
    codes : Series
        Index: ``segment_id``; values: the code, NaN for an abstention (an empty code); named :data:`MACHINE`.
        Rows without ``rank`` 1 are other suggestions and left out; an abstention's row has no rank.
    segmentations : list of str
        The tags of the file's rows, all of them (:func:`~theme_assist.segment.segmentation_tags`).
    taught : set of str
        The ``segment_id`` of every quote of its ``evidence`` column: coded segments the suggester was fitted on
        (some of them; an evidence cell that is no JSON list of quotes names none).
    codebook_versions : list of str
        As :attr:`RatingsFile.codebook_versions`: ``suggest``'s own output has none.

    Raises
    ------
    InputError
        For a file without the columns of ``suggest``'s output (a ratings file given by mistake would otherwise
        be read as one coder's codes), a segment with two rank-1 rows, or rows of two codebook versions
        (:func:`codebook_versions`).
    """
    frame = read_table(path, required=MACHINE_COLUMNS, what="machine suggestions (suggest's OUT.csv)",
                       rectangular=True, optional=(SEGMENTATION_COLUMN, "evidence", CODEBOOK_VERSION_COLUMN))
    _refuse_audit_trail(frame.columns, path)
    tags = segmentation_tags(frame)
    versions = codebook_versions(frame[CODEBOOK_VERSION_COLUMN], path) if CODEBOOK_VERSION_COLUMN in frame else []
    taught = _quoted_segments(frame["evidence"]) if "evidence" in frame else set()
    frame = frame.apply(lambda column: column.str.strip())
    abstained = frame["code"] == ""  # suggest writes an abstention without a score or rank
    ranked = frame[~abstained]
    frame = pd.concat([frame[abstained], ranked[whole_numbers(ranked["rank"], "rank", path) == 1]])
    repeated = frame["segment_id"][frame["segment_id"].duplicated()]
    if len(repeated):
        raise InputError(f"{path} has two rank-1 rows for segment {repeated.iloc[0]!r}: not one run of suggest")
    codes = pd.Series(frame["code"].to_numpy(), index=pd.Index(frame["segment_id"].to_numpy(), name="unit"),
                      name=MACHINE, dtype=object)
    return codes.where(codes != ""), tags, taught, versions


def _quoted_segments(evidence: pd.Series) -> set[str]:
    """The ``segment_id`` of each quote in ``evidence`` cells (JSON lists of ``{segment_id, text, similarity}``)."""
    quoted = set()
    for cell in pd.unique(evidence):
        try:
            quotes = json.loads(cell)
        except ValueError:
            continue
        if isinstance(quotes, list):
            quoted.update(quote["segment_id"] for quote in quotes
                          if isinstance(quote, dict) and isinstance(quote.get("segment_id"), str))
    return quoted


def _refuse_audit_trail(columns, path: str | Path) -> None:
    """:class:`InputError` for a project's audit trail (``project export --audit``): it has the columns of
    ``suggest``'s output among its own, so it was refused as the machine's suggestions and, given as --machine, read
    as such, every run's suggestions and the coders' decisions among them."""
    from theme_assist.project.audit import AUDIT_COLUMNS

    if set(AUDIT_COLUMNS[:4]) <= {str(column).lower() for column in columns}:  # time, event, action, actor
        raise InputError(f"{path} is a project's audit trail (project export --audit: every decision and every "
                         "run's suggestions), neither coders' ratings nor the machine's suggestions: export those "
                         "from the project (project export --codings CODINGS.csv --machine MACHINE.csv), then "
                         "agree CODINGS.csv --machine MACHINE.csv")


def _some(names: set, shown: int = 3) -> str:
    names = sorted(map(str, names))
    return ", ".join(names[:shown]) + (", …" if len(names) > shown else "")


def _one_text_per_number(codes: pd.Series) -> pd.Series:
    """Codes that are all numbers, with one text for each number ("1.0" becomes "1" where "1" came first).

    A wide file's numbers are compared as numbers; so are a long file's, and "1" and "1.0" from one coder on one
    unit are one code, not two (which would make the file multi-label).
    """
    given = codes[codes != ""]
    numbers = pd.to_numeric(given, errors="coerce")
    if given.empty or numbers.isna().any() or not np.isfinite(numbers.to_numpy(dtype=float)).all():
        return codes
    first_text = dict(zip(numbers[~numbers.duplicated()], given[~numbers.duplicated()]))
    return codes.where(codes == "", numbers.map(first_text))


def _check_units(units: pd.Series, path: str | Path, hint: str = "") -> None:
    if (units == "").any():
        raise InputError(f"line {int(np.flatnonzero((units == '').to_numpy())[0]) + 2} of {path} has no unit name")
    repeated = units[units.duplicated()]
    if len(repeated):
        raise InputError(f"unit {repeated.iloc[0]!r} appears more than once in {path}{hint}")


def _as_numbers_if_all_numeric(ratings: pd.DataFrame) -> pd.DataFrame:
    """The ratings as floats when every given rating is a number, else unchanged (labels)."""
    numbers = ratings.apply(pd.to_numeric, errors="coerce")
    if (numbers.isna() == ratings.isna()).all().all():
        return numbers.astype(float)
    return ratings
