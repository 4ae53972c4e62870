"""What the agreement functions return: small frozen dataclasses, JSON-ready through ``to_dict``.

A value that is undefined for the data (no unit rated twice, no variation, a single category) is ``nan`` and
``reason`` says why; a defined value has ``reason = None``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass(frozen=True, kw_only=True)
class AgreementResult:
    """One coefficient computed on one table.

    Attributes
    ----------
    coefficient : str
        Its name as a methods section would print it, e.g. ``"Gwet's AC2 (quadratic weights)"``.
    value : float
        The coefficient, ``nan`` when undefined.
    reason : str or None
        Why ``value`` is ``nan``; ``None`` when it is defined.
    n_units : int
        Units that entered the observed agreement (rated by at least two coders).
    n_coders : int
        Coders in the table.
    n_categories : int
        Categories the coefficient counted.
    category_shares : dict
        Share of the ratings in each category, the prevalence of a code for presence/absence tables.
    """

    coefficient: str
    value: float
    reason: str | None = None
    n_units: int = 0
    n_coders: int = 0
    n_categories: int = 0
    category_shares: dict = field(default_factory=dict)

    @property
    def defined(self) -> bool:
        return not math.isnan(self.value)

    def to_dict(self) -> dict:
        """Plain Python types only; ``nan`` becomes ``None`` and category keys become strings."""
        out = {key: _plain(value) for key, value in asdict(self).items()}
        out["category_shares"] = {_label(k): _plain(v) for k, v in self.category_shares.items()}
        return out


@dataclass(frozen=True, kw_only=True)
class ChanceCorrectedResult(AgreementResult):
    """A coefficient of the form (p_a − p_e) / (1 − p_e): the κ family, Bennett's S, Gwet's AC1/AC2.

    Percent agreement is reported in the same form with ``expected_agreement = 0``.
    """

    observed_agreement: float = math.nan
    expected_agreement: float = math.nan


@dataclass(frozen=True, kw_only=True)
class LightResult(AgreementResult):
    """Light's (1971) κ: Cohen's κ of each pair of coders on the units both rated, averaged over the pairs.

    Attributes
    ----------
    n_pairs : int
        Pairs of coders, R (R − 1) / 2 for R coders.
    n_pairs_undefined : int
        Pairs whose κ is undefined (no unit both rated, or no variation): left out of the mean.
    pairs : tuple of dict
        Each pair's ``coders`` (two names), ``value`` (its κ, ``nan`` where undefined), ``n_units`` (units both
        rated) and ``reason`` (why its κ is undefined).
    """

    n_pairs: int = 0
    n_pairs_undefined: int = 0
    pairs: tuple = ()

    def to_dict(self) -> dict:
        """As :meth:`AgreementResult.to_dict`, each pair's figures plain too."""
        out = super().to_dict()
        out["pairs"] = [{key: _plain(value) for key, value in pair.items()} for pair in self.pairs]
        return out


@dataclass(frozen=True, kw_only=True)
class AlphaResult(AgreementResult):
    """Krippendorff's α = 1 − D_o / D_e.

    Attributes
    ----------
    level : str
        Level of measurement or distance (``"nominal"``, ``"ordinal"``, ``"interval"``, ``"ratio"``, ``"masi"``,
        ``"custom"``).
    observed_disagreement, expected_disagreement : float
        D_o and D_e, both averaged over the pairable values.
    n_values : int
        Pairable values n.. (ratings in units rated at least twice).
    """

    level: str = "nominal"
    observed_disagreement: float = math.nan
    expected_disagreement: float = math.nan
    n_values: int = 0


@dataclass(frozen=True, kw_only=True)
class BootstrapResult:
    """A bootstrap distribution of a coefficient and what is read off it.

    Attributes
    ----------
    estimate : float
        The coefficient on the full data.
    low, high : float
        Confidence interval at ``confidence``: percentile, or BCa (``interval``).
    confidence : float
        E.g. 0.95.
    n_boot : int
        Resamples drawn: 0 where the coefficient is undefined on the data, and none was.
    method : str
        ``"units"`` (resampling units) or ``"coincidences"`` (Hayes & Krippendorff 2007, for α on request).
    p_below : dict
        Minimum acceptable value → share of resamples below it (Krippendorff's q, the probability of failing to
        reach that minimum).
    n_undefined : int
        Resamples on which the coefficient was undefined (left out of the interval).
    samples : ndarray
        The resampled values, in draw order.
    reason : str or None
        Why no interval could be computed.
    interval : {"percentile", "bca"}
        The interval given: ``"percentile"`` also where BCa was asked for but is undefined (``interval_reason``).
    requested : {"percentile", "bca"}
        The interval asked for.
    bias_correction, acceleration : float
        BCa's z0 and a (Efron 1987); ``nan`` where not computed.
    interval_reason : str or None
        Why BCa, asked for, fell back to the percentile interval.
    interval_warning : str or None
        Why the BCa interval given is not to be trusted: a limit's corrected percentile beyond all but the most
        extreme resample (:func:`~theme_assist.agree.bootstrap._extreme_limits`); ``percentile_low`` and
        ``percentile_high`` are then the percentile interval, to read instead.
    percentile_low, percentile_high : float
        The percentile interval, where ``interval_warning`` is given; ``nan`` otherwise.
    """

    estimate: float
    low: float
    high: float
    confidence: float
    n_boot: int
    method: str
    p_below: dict = field(default_factory=dict)
    n_undefined: int = 0
    samples: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    reason: str | None = None
    interval: str = "percentile"
    requested: str = "percentile"
    bias_correction: float = math.nan
    acceleration: float = math.nan
    interval_reason: str | None = None
    interval_warning: str | None = None
    percentile_low: float = math.nan
    percentile_high: float = math.nan

    def to_dict(self) -> dict:
        """The interval, ``p_below`` with string keys, no samples; ``nan`` becomes ``None``. Where BCa was asked
        for, ``bias_correction``, ``acceleration``, ``interval_reason`` and ``interval_warning`` too, and with a
        warning the percentile interval, ``percentile_ci``."""
        out = {
            "estimate": _plain(self.estimate),
            "ci": [_plain(self.low), _plain(self.high)],
            "confidence": self.confidence,
            "n_boot": self.n_boot,
            "method": self.method,
            "p_below": {f"{k:g}": _plain(v) for k, v in self.p_below.items()},
            "n_undefined": self.n_undefined,
            "reason": self.reason,
            "interval": self.interval,
        }
        if self.requested == "bca":
            out.update(bias_correction=_plain(self.bias_correction), acceleration=_plain(self.acceleration),
                       interval_reason=self.interval_reason, interval_warning=self.interval_warning)
            if self.interval_warning:
                out["percentile_ci"] = [_plain(self.percentile_low), _plain(self.percentile_high)]
        return out


@dataclass(frozen=True, kw_only=True)
class AnalyticResult:
    """An analytic standard error and t interval of a coefficient (Gwet 2014), as irrCAC and AgreeStat give them.

    Attributes
    ----------
    estimate : float
        The coefficient on the full data.
    se : float
        Standard error, conditional on the coders (only the units are taken as sampled).
    low, high : float
        ``estimate ± t(df) · se`` at ``confidence``; ``high`` is capped at 1, as in irrCAC and AgreeStat, and
        ``low`` at the minimum of percent agreement (0) and Bennett's S (−p_e / (1 − p_e)), which irrCAC does not
        cap.
    confidence : float
        E.g. 0.95.
    df : int or None
        Degrees of freedom of the t distribution: the units of the variance, less one; ``None`` where there is no
        interval (``reason`` says why).
    population : float or None
        Units in the population the units were drawn from (finite-population correction 1 − n/N); ``None`` for
        an infinite population.
    method : str
        ``"Gwet (2014)"``.
    reason : str or None
        Why no interval could be computed.
    """

    estimate: float
    se: float
    low: float
    high: float
    confidence: float
    df: int | None = None
    population: float | None = None
    method: str = "Gwet (2014)"
    reason: str | None = None

    def to_dict(self) -> dict:
        """JSON-ready: ``ci`` as a pair; ``nan`` becomes ``None``."""
        return {
            "estimate": _plain(self.estimate),
            "se": _plain(self.se),
            "ci": [_plain(self.low), _plain(self.high)],
            "confidence": self.confidence,
            "distribution": "t",
            "df": self.df,
            "population": _plain(self.population),
            "conditional_on": "coders",
            "method": self.method,
            "reason": self.reason,
        }


def _plain(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    return value


def _label(category) -> str:
    if isinstance(category, frozenset):
        return "{" + ", ".join(sorted(map(str, category))) + "}"
    return str(category)
