"""Temperature scaling: turn the suggestion head's scores into probabilities a coder can read at face value.

A logistic-regression head trained with balanced class weights and L2 regularisation ranks codes well, but its
scores are often too flat (many codes, few examples each: the right code gets 0.3 where it is right 70 % of the
time) or too sharp. Temperature scaling (Guo et al., 2017, "On calibration of modern neural networks") divides every
decision value by one number ``T`` chosen to minimise the negative log-likelihood of held-out codes. One parameter
cannot overfit a small coding, and it never changes the ranking of codes, only how confident the scores are.
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
