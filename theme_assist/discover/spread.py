"""Cross-site view: how each theme's segments spread over a document metadata field (site, income group…).

Raw counts favour the sites that talked most, so each count is also given as a rate: the share of that site's
segments in discovery (those no code explains, or all of them with ``AllSegments``; the unclustered ones
included) that fall in the theme. A theme with a rate of 0.20 in LMIC sites and 0.02 in HIC sites is
an LMIC theme even when the HIC transcripts are longer.
"""

from __future__ import annotations

import pandas as pd

NO_VALUE = "(none)"
"""The value of a segment whose document has none for the field (no metadata row, or an empty cell)."""


def spread_table(themes: pd.Series, values: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts and rates of every theme (rows) over every value of the field (columns).

    Parameters
    ----------
    themes : Series
        Theme id of each segment (including ``"unclustered"``; segments outside discovery left out).
    values : Series
        The field's value for the same segments (``""`` where a document has none).

    Returns
    -------
    counts, rates : DataFrame
        ``counts.loc[theme, value]`` segments, themes in the order of their numbers (``unclustered`` last);
        ``rates`` divides each column by the value's segment total.
    """
    values = values.fillna("").astype(str).replace("", NO_VALUE)
    counts = pd.crosstab(themes.to_numpy(), values.to_numpy()).sort_index(axis=1)
    counts = counts.reindex(sorted(counts.index, key=_theme_order))  # T2 before T10, as the themes are listed
    counts.index.name, counts.columns.name = "theme", "value"
    rates = (counts / counts.sum(axis=0)).round(4)
    return counts, rates


def _theme_order(theme: str) -> tuple:
    """Sort key of a theme id: ``T1``, ``T2``, … ``T10`` by number, then anything else (``unclustered``)."""
    number = str(theme)[1:]
    return (0, int(number), "") if str(theme)[:1] == "T" and number.isdigit() else (1, 0, str(theme))
