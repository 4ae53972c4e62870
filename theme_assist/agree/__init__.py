"""Agreement statistics: every standard coefficient, any number of coders, intervals, the machine as a coder."""

from theme_assist.agree.coefficients import (
    bennett_s,
    brennan_prediger,
    coincidence_matrix,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac,
    krippendorff_alpha,
    percent_agreement,
    scott_pi,
)
from theme_assist.agree.distances import masi_distance
from theme_assist.agree.ratings import RatingTable, as_rating_table
from theme_assist.agree.results import AgreementResult, AlphaResult, BootstrapResult, ChanceCorrectedResult
