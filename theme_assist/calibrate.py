"""Calibration on held-out scores: probabilities a coder can read at face value, and codes in proportion.

Temperature scaling turns the suggestion head's scores into probabilities a coder can read at face value.

A logistic-regression head trained with balanced class weights and L2 regularisation ranks codes well, but its
scores are often too flat (many codes, few examples each: the right code gets 0.3 where it is right 70 % of the
time) or too sharp. Temperature scaling (Guo et al., 2017, "On calibration of modern neural networks") divides every
decision value by one number ``T`` chosen to minimise the negative log-likelihood of held-out codes. One parameter
cannot overfit a small coding, and it never changes the ranking of codes, only how confident the scores are.

Prior correction leans the head back towards how often each code is used. The head is trained with balanced class
weights, so that a rare code is not drowned by a frequent one; where codes differ much in frequency, that costs
agreement with the coders on the frequent ones. Adding ``strength × log(share of the code)`` to every decision value
undoes part of the balancing (all of it at strength 1, in the limit of a well-specified model); the strength is the
one whose held-out codes score best on Cohen's κ plus macro-F1, so a coding where balancing pays keeps it
(strength 0).
"""

from __future__ import annotations

import numpy as np

#: Search range of the temperature (a factor of 20 either way).
TEMPERATURE_BOUNDS = (0.05, 20.0)


def negative_log_likelihood(decision: np.ndarray, truth: np.ndarray, exclusive: bool,
                            temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of ``truth`` under ``decision / temperature``.

    Parameters
    ----------
    decision : ndarray of shape (n_segments, n_codes)
        Decision values (logits) of the head.
    truth : ndarray
        Exclusive codebooks: the true code's column per segment, shape (n_segments,). Multi-label codebooks:
        a 0/1 matrix shaped like ``decision``.
    exclusive : bool
        Softmax over codes (one code per segment) or one logistic per code.
    temperature : float
    """
    logits = np.asarray(decision, dtype=np.float64) / temperature
    if exclusive:
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_proba = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return float(-log_proba[np.arange(len(truth)), truth].mean())
    return float(np.mean(np.logaddexp(0.0, logits) - truth * logits))


def fit_temperature(decision: np.ndarray, truth: np.ndarray, exclusive: bool) -> float:
    """The temperature that minimises :func:`negative_log_likelihood` on held-out ``decision`` values (1.0 when
    there is nothing to fit on). Deterministic: a bounded scalar search over ``log T``."""
    from scipy.optimize import minimize_scalar

    if not len(decision):
        return 1.0
    low, high = np.log(TEMPERATURE_BOUNDS[0]), np.log(TEMPERATURE_BOUNDS[1])
    result = minimize_scalar(lambda log_t: negative_log_likelihood(decision, truth, exclusive, np.exp(log_t)),
                             bounds=(low, high), method="bounded", options={"xatol": 1e-4})
    return float(np.exp(result.x))


#: Strengths of the prior correction to choose from (0: the balanced head as it is).
PRIOR_STRENGTHS = (0.0, 0.25, 0.5, 0.75, 1.0)


def log_code_shares(truth: np.ndarray, n_codes: int) -> np.ndarray:
    """Log of each code's share of ``truth`` (column indices, exclusive codebooks); a code that never occurs gets
    the share of the rarest code that does, so a code known only from its codebook entry is not pushed out."""
    counts = np.bincount(np.asarray(truth, dtype=int), minlength=n_codes).astype(float)
    if not counts.any():
        return np.zeros(n_codes)
    counts[counts == 0] = counts[counts > 0].min()
    return np.log(counts / counts.sum())


def fit_prior_strength(decision: np.ndarray, truth: np.ndarray, log_prior: np.ndarray) -> float:
    """The strength from :data:`PRIOR_STRENGTHS` whose corrected held-out codes, ``argmax(decision + strength ×
    log_prior)``, score best against ``truth`` on Cohen's κ plus macro-F1; the smallest on a tie, so 0 unless
    correcting helps.

    κ alone rewards agreeing on the frequent codes and would trade a rare code away for a sliver of it (EPITOME
    interpretations: +0.001 κ for its rare middle level found a third as often); macro-F1 weighs every code alike.

    Parameters
    ----------
    decision : ndarray of shape (n_segments, n_codes)
        Held-out decision values of an exclusive codebook's head.
    truth : ndarray of shape (n_segments,)
        The true code's column per segment.
    log_prior : ndarray of shape (n_codes,)
        See :func:`log_code_shares`.
    """
    if not len(decision):
        return 0.0
    scores = [kappa_plus_macro_f1(truth, (decision + strength * log_prior).argmax(axis=1), decision.shape[1])
              for strength in PRIOR_STRENGTHS]
    scores = np.nan_to_num(np.asarray(scores, dtype=float), nan=-np.inf)
    return float(PRIOR_STRENGTHS[int(np.argmax(scores))])


def kappa_plus_macro_f1(truth: np.ndarray, predicted: np.ndarray, n_codes: int) -> float:
    """Cohen's κ (over the ``n_codes`` columns) plus macro-F1 (over the codes in ``truth``) of ``predicted``
    against ``truth``: what a decision rule fitted on held-out codes maximises. NaN where κ is undefined."""
    from sklearn.metrics import f1_score

    from theme_assist.agree import cohen_kappa

    return (cohen_kappa(truth, predicted, categories=np.arange(n_codes)).value
            + f1_score(truth, predicted, labels=np.unique(truth), average="macro", zero_division=0))
