import numpy as np
import pytest
from scipy.special import softmax

from theme_assist.calibrate import TEMPERATURE_BOUNDS, fit_temperature, negative_log_likelihood


@pytest.mark.parametrize("true_temperature", [0.5, 2.0])
def test_recovers_the_temperature_that_generated_the_codes(true_temperature):
    rng = np.random.default_rng(0)
    decision = rng.normal(scale=3.0, size=(20_000, 4))
    proba = softmax(decision / true_temperature, axis=1)
    truth = np.array([rng.choice(4, p=p) for p in proba])
    fitted = fit_temperature(decision, truth, exclusive=True)
    assert fitted == pytest.approx(true_temperature, rel=0.05)
    assert negative_log_likelihood(decision, truth, True, fitted) <= negative_log_likelihood(decision, truth, True)


def test_multi_label_temperature_is_shared_by_the_codes():
    rng = np.random.default_rng(1)
    decision = rng.normal(scale=4.0, size=(10_000, 3))
    truth = (rng.random(decision.shape) < 1 / (1 + np.exp(-decision / 3.0))).astype(float)
    assert fit_temperature(decision, truth, exclusive=False) == pytest.approx(3.0, rel=0.05)


def test_nothing_to_fit_on_keeps_the_scores():
    assert fit_temperature(np.zeros((0, 3)), np.zeros(0, dtype=int), exclusive=True) == 1.0


def test_perfectly_separated_codes_are_sharpened_within_the_bounds():
    decision = np.array([[5.0, -5.0], [-5.0, 5.0]])
    fitted = fit_temperature(decision, np.array([0, 1]), exclusive=True)
    assert TEMPERATURE_BOUNDS[0] <= fitted < 0.25


def test_negative_log_likelihood_of_a_uniform_guess():
    decision = np.zeros((5, 4))
    assert negative_log_likelihood(decision, np.zeros(5, dtype=int), True) == pytest.approx(np.log(4))
    assert negative_log_likelihood(decision, np.ones((5, 4)), False) == pytest.approx(np.log(2))
