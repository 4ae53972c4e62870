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


def test_code_shares_give_a_code_nobody_used_the_rarest_share():
    from theme_assist.calibrate import log_code_shares

    shares = np.exp(log_code_shares(np.array([0, 0, 0, 1]), 3))
    assert shares.tolist() == pytest.approx([3 / 5, 1 / 5, 1 / 5])
    assert log_code_shares(np.zeros(0, dtype=int), 2).tolist() == [0.0, 0.0]


def test_prior_strength_leans_towards_frequent_codes_only_where_that_agrees_better():
    from theme_assist.calibrate import PRIOR_STRENGTHS, fit_prior_strength, log_code_shares

    rng = np.random.default_rng(0)
    # a balanced head scores each code by how well the segment fits it, whatever the code's frequency
    truth = rng.choice(3, size=6000, p=[0.8, 0.15, 0.05])
    decision = rng.normal(size=(6000, 3))
    decision[np.arange(6000), truth] += 1.5
    strength = fit_prior_strength(decision, truth, log_code_shares(truth, 3))
    assert strength > 0 and strength in PRIOR_STRENGTHS
    # codes used equally often: every strength gives the same codes, and the balanced head is kept
    balanced = rng.permutation(np.arange(6000) % 3)
    assert fit_prior_strength(decision, balanced, log_code_shares(balanced, 3)) == 0.0
    assert fit_prior_strength(np.zeros((0, 3)), np.zeros(0, dtype=int), np.zeros(3)) == 0.0


def test_prior_strength_does_not_trade_a_rare_code_for_a_sliver_of_kappa():
    from sklearn.metrics import recall_score

    from theme_assist.agree import cohen_kappa
    from theme_assist.calibrate import fit_prior_strength, log_code_shares

    rng = np.random.default_rng(0)
    truth = rng.choice(3, size=4000, p=[0.6, 0.36, 0.04])
    decision = rng.normal(size=(4000, 3))
    decision[np.arange(4000), truth] += 3.0
    decision[truth == 2, 2] -= 2.5  # the rare code is hard to tell
    log_prior = log_code_shares(truth, 3)
    leaned = (decision + 0.25 * log_prior).argmax(axis=1)
    kept = decision.argmax(axis=1)
    assert cohen_kappa(truth, leaned).value > cohen_kappa(truth, kept).value  # a sliver more agreement…
    assert recall_score(truth, leaned, labels=[2], average="macro") < recall_score(truth, kept, labels=[2],
                                                                                   average="macro")  # …for it
    assert fit_prior_strength(decision, truth, log_prior) == 0.0
