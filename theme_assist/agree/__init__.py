"""Agreement statistics: every standard coefficient, any number of coders, intervals, the machine as a coder.

Coefficients take a units × coders table (DataFrame, array or :class:`RatingTable`; missing ratings as
``None``/NaN/blank) and return a small result dataclass whose ``value`` is NaN, with a ``reason``, where the
coefficient is undefined for the data:

>>> from theme_assist.agree import cohen_kappa, krippendorff_alpha
>>> cohen_kappa(["a", "a", "b", "b"], ["a", "b", "b", "b"]).value
0.5
>>> krippendorff_alpha([["x", "x"], ["x", "x"]]).reason
'no variation: all pairable values are equal (or zero distance apart)'

Modules, one concern each:

``ratings``       encoding a table once as category indices (:func:`as_rating_table`)
``distances``     Krippendorff's difference functions, MASI, κ-family weights
``coefficients``  percent, Cohen, Scott, Bennett's S, Fleiss, Conger, Gwet's AC1/AC2, Light's κ, Krippendorff's
                  α; κ and π pooled over codes (De Vries et al. 2008)
``bootstrap``     unit resampling for every coefficient; Hayes & Krippendorff's bootstrap for α on request
``analytic``      Gwet's (2014) standard errors and t intervals, as irrCAC and AgreeStat compute them
``units``         units from codings: shared segments, presence/absence per code (of single-label ratings too),
                  overlapping spans
``machine``       machine vs each human, vs the human majority, and human vs human
``report``        several coefficients at once, per code, JSON-ready (what ``theme-assist agree`` prints)
``reading``       the wide and long ratings CSV formats
"""

from theme_assist.agree.analytic import analytic_alpha, analytic_metric, analytic_pooled, analytic_units
from theme_assist.agree.bootstrap import (
    MINIMUM_ALPHAS,
    bootstrap_alpha,
    bootstrap_metric,
    bootstrap_pooled,
    bootstrap_units,
)
from theme_assist.agree.coefficients import (
    METRICS,
    bennett_s,
    brennan_prediger,
    coincidence_matrix,
    cohen_kappa,
    compute_metric,
    conger_kappa,
    de_vries_kappa,
    fleiss_kappa,
    gwet_ac,
    krippendorff_alpha,
    light_kappa,
    percent_agreement,
    scott_pi,
)
from theme_assist.agree.distances import masi_distance
from theme_assist.agree.machine import agreement_report, human_majority
from theme_assist.agree.ratings import RatingTable, as_rating_table
from theme_assist.agree.report import agreement_by_code, agreement_summary, multi_label_summary, per_code_summary
from theme_assist.agree.results import (
    AgreementResult,
    AlphaResult,
    AnalyticResult,
    BootstrapResult,
    ChanceCorrectedResult,
    LightResult,
)
from theme_assist.agree.units import (
    codings_on_units,
    label_presence,
    presence_tables,
    ratings_from_codings,
    segment_agreement,
    span_overlaps,
)

__all__ = [
    "METRICS", "MINIMUM_ALPHAS", "AgreementResult", "AlphaResult", "AnalyticResult", "BootstrapResult",
    "ChanceCorrectedResult", "LightResult", "RatingTable", "agreement_by_code", "agreement_report",
    "agreement_summary", "analytic_alpha", "analytic_metric", "analytic_pooled", "analytic_units", "as_rating_table",
    "bennett_s", "bootstrap_alpha", "bootstrap_metric", "bootstrap_pooled", "bootstrap_units", "brennan_prediger",
    "codings_on_units", "cohen_kappa", "coincidence_matrix", "compute_metric", "conger_kappa", "de_vries_kappa",
    "fleiss_kappa", "gwet_ac",
    "human_majority", "krippendorff_alpha", "label_presence", "light_kappa", "masi_distance", "multi_label_summary",
    "per_code_summary", "percent_agreement", "presence_tables", "ratings_from_codings", "scott_pi",
    "segment_agreement", "span_overlaps",
]
