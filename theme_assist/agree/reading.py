"""Reading a ratings file: wide (a unit column, then one column per coder) or long (``unit``, ``coder``, ``code``).

Wide
    The first column names the unit, every other column is a coder; an empty cell is a missing rating. Ratings
    are category labels or numbers (a table of numbers only is read as numbers). A column with a blank header
    and no ratings (a spreadsheet's trailing separators) is not a coder.
Long
    Exactly the columns ``unit``, ``coder``, ``code`` (the unit may be called ``segment_id``, as in ``theme-assist
    project export --codings``). One row per unit and coder is single-label data; several rows for some unit and
    coder make the data multi-label, and then every coder is taken to have coded every unit in the file (a coder
    without a row for a unit gave it no code). When every code is a number, one number written two ways ("1",
    "1.0") is one code.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from theme_assist.agree.units import ratings_from_codings
from theme_assist.errors import InputError
from theme_assist.inputs import read_table

LONG_COLUMNS = ("unit", "coder", "code")
UNIT_ALIASES = ("unit", "segment_id")
BLANK_HEADER = re.compile(r"Unnamed: \d+")
"""How pandas names a column whose header cell is blank."""
MISSING_MARKERS = ("na", "n/a", "#n/a", "nan", "null", "none", "missing")
"""Cell texts other programs write for a missing value (R's ``write.csv``: NA). Read as codes, as written, since
"none" may be a code; a warning names them."""

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
    """

    ratings: pd.DataFrame
    codings: pd.DataFrame | None = None
    multi_label: bool = False


def read_ratings(path: str | Path) -> RatingsFile:
    """Read a wide or long ratings CSV (see the module docstring).

    Raises
    ------
    InputError
        For a missing or empty file, a row with more or fewer cells than the header, a blank or repeated unit,
        or fewer than two coders.
    """
    frame = read_table(path, what="ratings file", rectangular=True)
    frame = frame.apply(lambda column: column.str.strip())
    if {"coder", "code"} <= {column.lower() for column in frame.columns}:  # long format
        names = {column: "unit" if column.lower() in UNIT_ALIASES else column.lower() for column in frame.columns}
        if sorted(names.values()) != sorted(LONG_COLUMNS):
            raise InputError(f"{path} looks like a long ratings file (it has 'coder' and 'code' columns), which has "
                             "exactly the columns unit (or segment_id), coder, code; it has "
                             f"{', '.join(frame.columns)}")
        return _long(frame.rename(columns=names), path)
    return _wide(frame, path)


def _warn_missing_markers(cells: pd.DataFrame | pd.Series, path: str | Path) -> None:
    cells = pd.Series(np.asarray(cells, dtype=str).ravel())
    marked = cells[cells.str.lower().isin(MISSING_MARKERS)]
    if len(marked):
        logger.warning("%s: %d rating(s) read as the code(s) %s; if they mean a missing rating, leave those cells "
                       "empty", path, len(marked), ", ".join(repr(v) for v in sorted(set(marked))))


def _wide(frame: pd.DataFrame, path: str | Path) -> RatingsFile:
    unit = frame.columns[0]
    separator = next((separator for separator in ";|" if separator in unit), None)
    if frame.shape[1] == 1 and separator:
        raise InputError(f"{path} has one column, {unit!r}: its cells seem to be separated by {separator!r}; save it "
                         "with commas (.csv) or tabs (.tsv)")
    frame = _without_blank_columns(frame, path)
    if frame.shape[1] < 3:
        raise InputError(f"{path} has {frame.shape[1] - 1} coder column(s); agreement needs at least two coders "
                         "(wide format: a unit column, then one column per coder)")
    _check_units(frame[unit], path)
    _warn_missing_markers(frame.drop(columns=unit), path)
    ratings = frame.set_index(unit)
    ratings = ratings.where(ratings != "")  # not replace("", nan): pandas deprecates the downcast it does
    return RatingsFile(_as_numbers_if_all_numeric(ratings))


def _without_blank_columns(frame: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """The coder columns less those with a blank header and no rating (a spreadsheet's trailing separators),
    which would count as one more coder and take Cohen's κ and Scott's π away."""
    blank = [column for column in frame.columns[1:] if BLANK_HEADER.fullmatch(str(column))]
    rated = [column for column in blank if (frame[column] != "").any()]
    if rated:
        position = list(frame.columns).index(rated[0]) + 1
        raise InputError(f"column {position} of {path} holds ratings but has no coder name in the header")
    return frame.drop(columns=blank)


def _long(frame: pd.DataFrame, path: str | Path) -> RatingsFile:
    if (frame["unit"] == "").any() or (frame["coder"] == "").any():
        line = int(np.flatnonzero(((frame["unit"] == "") | (frame["coder"] == "")).to_numpy())[0]) + 2
        raise InputError(f"line {line} of {path} has a blank unit or coder")
    if frame["coder"].nunique() < 2:
        raise InputError(f"{path} has {frame['coder'].nunique()} coder; agreement needs at least two coders")
    _warn_missing_markers(frame["code"], path)
    frame = frame.assign(code=_one_text_per_number(frame["code"]))
    coded = frame[frame["code"] != ""]
    multi_label = bool(coded.drop_duplicates().duplicated(["unit", "coder"]).any())
    ratings = ratings_from_codings(frame, unit="unit", multi_label=multi_label)
    if not multi_label:
        ratings = _as_numbers_if_all_numeric(ratings)
    return RatingsFile(ratings, codings=frame, multi_label=multi_label)


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


def _check_units(units: pd.Series, path: str | Path) -> None:
    if (units == "").any():
        raise InputError(f"line {int(np.flatnonzero((units == '').to_numpy())[0]) + 2} of {path} has no unit name")
    repeated = units[units.duplicated()]
    if len(repeated):
        raise InputError(f"unit {repeated.iloc[0]!r} appears more than once in {path}")


def _as_numbers_if_all_numeric(ratings: pd.DataFrame) -> pd.DataFrame:
    """The ratings as floats when every given rating is a number, else unchanged (labels)."""
    numbers = ratings.apply(pd.to_numeric, errors="coerce")
    if (numbers.isna() == ratings.isna()).all().all():
        return numbers.astype(float)
    return ratings
