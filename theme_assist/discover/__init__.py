"""Inductive theme discovery: candidate new codes from the segments the codebook does not explain.

>>> from theme_assist.discover import ThemeDiscoverer
>>> discoverer = ThemeDiscoverer(by="site", random_state=0).fit(segments)  # doctest: +SKIP
>>> discoverer.themes_[["theme", "label", "size", "stability", "nearest_code"]]  # doctest: +SKIP

See :mod:`theme_assist.discover.discoverer` for the pipeline and the sub-model modules for the swappable parts.
"""

from theme_assist.discover.cluster import (AgglomerativeClusterer, AutoClusterer, EstimatorClusterer, HDBSCANClusterer,
                                          KMeansClusterer)
from theme_assist.discover.discoverer import (ASSIGNMENT_COLUMNS, EXPLAINED, MINIMAL, SKIPPED, THEME_COLUMNS,
                                              UNCLUSTERED, ThemeDiscoverer, auto_min_size)
from theme_assist.discover.label import CTfidfLabeller
from theme_assist.discover.reduce import NoReducer, PCAReducer
from theme_assist.discover.select import AllSegments, UnexplainedSegments

__all__ = [
    "ASSIGNMENT_COLUMNS", "EXPLAINED", "MINIMAL", "SKIPPED", "THEME_COLUMNS", "UNCLUSTERED",
    "AgglomerativeClusterer", "AllSegments", "AutoClusterer", "CTfidfLabeller", "EstimatorClusterer",
    "HDBSCANClusterer", "KMeansClusterer", "NoReducer", "PCAReducer", "ThemeDiscoverer", "UnexplainedSegments",
    "auto_min_size",
]
