"""The machine in place of a coder (theme_assist.agree.paired; agree --machine --margin)."""

import json
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from theme_assist.agree.machine import agreement_report
from theme_assist.agree.paired import machine_in_place
from theme_assist.errors import InputError
from tests.test_agree_cli import run

CODES = ["family", "work", "stigma", "hope"]


def _coded(n: int = 120, coders: int = 2, machine_noise: float = 0.4, seed: int = 3):
    """Coders and a machine who each code a unit as its true code, or at random with some probability."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(CODES, n)

    def noisy(p: float) -> np.ndarray:
        codes = truth.copy()
        changed = rng.random(n) < p
        codes[changed] = rng.choice(CODES, changed.sum())
        return codes

    units = [f"s{i}" for i in range(n)]
    human = pd.DataFrame({name: noisy(0.2 + 0.05 * i) for i, name in enumerate(["Ann", "Ben", "Cat", "Dan"][:coders])},
                         index=units)
    return human, pd.Series(noisy(machine_noise), index=units, name="machine")


def test_each_row_is_the_machines_agreement_with_the_others_less_the_coders_and_the_last_their_mean():
    human, machine = _coded(coders=3)
    rows = machine_in_place(human, machine, metrics=["cohen"])
    kappa = {frozenset((a, b)): cohen_kappa_score(human[a], human[b]) for a, b in combinations(human.columns, 2)}
    with_machine = {coder: cohen_kappa_score(machine, human[coder]) for coder in human.columns}
    assert [row["comparison"] for row in rows] == ["machine in place of Ann", "machine in place of Ben",
                                                   "machine in place of Cat", "machine in place of a coder (mean)"]
    for row in rows[:-1]:
        others = [other for other in human.columns if other != row["coder"]]
        entry = row["metrics"]["cohen"]
        assert entry["machine"] == pytest.approx(np.mean([with_machine[other] for other in others]))
        assert entry["coders"] == pytest.approx(np.mean([kappa[frozenset((row["coder"], other))] for other in others]))
        assert entry["value"] == pytest.approx(entry["machine"] - entry["coders"])
    mean = rows[-1]["metrics"]["cohen"]
    assert rows[-1]["coder"] is None
    assert mean["value"] == pytest.approx(np.mean(list(with_machine.values())) - np.mean(list(kappa.values())))
    assert mean["value"] == pytest.approx(np.mean([row["metrics"]["cohen"]["value"] for row in rows[:-1]]))
    assert "ci" not in mean  # no bootstrap asked for


def test_a_machine_that_codes_as_one_coder_does_is_that_coder_exactly_in_every_resample():
    human, _ = _coded()
    machine = human["Ben"].rename("machine")
    ann, ben, mean = machine_in_place(human, machine, metrics=["cohen", "alpha"], n_boot=300, seed=5)
    for entry in ben["metrics"].values():  # in place of Ben: machine vs Ann less Ben vs Ann, the same units
        assert entry["value"] == pytest.approx(0.0, abs=1e-12)
        assert entry["ci"] == pytest.approx([0.0, 0.0], abs=1e-12)
    kappa = cohen_kappa_score(human["Ann"], human["Ben"])
    assert ann["metrics"]["cohen"]["value"] == pytest.approx(1 - kappa)
    assert ann["metrics"]["cohen"]["ci"][0] > 0


def test_the_interval_is_the_percentiles_of_the_differences_recomputed_on_the_same_resampled_units():
    human, machine = _coded(n=80)
    n_boot, seed = 200, 11
    [ann, _, _] = machine_in_place(human, machine, metrics=["cohen"], n_boot=n_boot, seed=seed,
                                   bootstrap_interval="percentile")
    # the resamples as the bootstrap draws them (one batch), each difference recomputed by scikit-learn
    drawn = np.random.default_rng(seed).integers(0, len(human), size=(n_boot, len(human)))
    differences = [cohen_kappa_score(machine.iloc[rows], human["Ben"].iloc[rows])
                   - cohen_kappa_score(human["Ann"].iloc[rows], human["Ben"].iloc[rows]) for rows in drawn]
    assert ann["metrics"]["cohen"]["ci"] == pytest.approx(np.quantile(differences, [0.025, 0.975]))


def test_margin_says_whether_the_lower_limit_is_above_it_and_the_share_of_resamples_below():
    human, _ = _coded(n=300)
    close = human["Ann"].copy().rename("machine")
    close.iloc[:6] = [code for code in CODES if code != close.iloc[0]][:1] * 6  # a few units changed
    *_, mean = machine_in_place(human, close, metrics=["cohen"], n_boot=500, seed=0, margin=0.1)
    entry = mean["metrics"]["cohen"]
    assert entry["margin"] == 0.1 and entry["non_inferior"] is (entry["ci"][0] > -0.1)
    assert entry["non_inferior"]
    assert 0 <= entry["p_below"]["-0.1"] < 0.025
    _, far = _coded(n=300, machine_noise=0.9)
    *_, mean = machine_in_place(human, far, metrics=["cohen"], n_boot=500, seed=0, margin=0.1)
    assert mean["metrics"]["cohen"]["non_inferior"] is False
    assert mean["metrics"]["cohen"]["p_below"]["-0.1"] > 0.9


def test_both_sides_of_a_term_are_on_the_units_the_machine_and_both_coders_rated():
    """A difference of the machine table's rows mixes the machine's choice of units with its agreement: where it
    abstains, its kappa is on the units it chose. Both sides of each term are on the units all three rated."""
    human, machine = _coded()
    machine.iloc[:30] = None
    human.iloc[30:40, 0] = None  # Ann left ten units uncoded
    rows = machine_in_place(human, machine, metrics=["cohen"], n_boot=200, seed=2)
    shared = machine.notna() & human.notna().all(axis=1)
    ann = rows[0]["metrics"]["cohen"]
    assert ann["machine"] == pytest.approx(cohen_kappa_score(machine[shared], human["Ben"][shared]))
    assert ann["coders"] == pytest.approx(cohen_kappa_score(human["Ann"][shared], human["Ben"][shared]))
    assert rows[0]["terms"] == [{"coder": "Ann", "other": "Ben", "n_units": int(shared.sum())}]
    assert rows == machine_in_place(human, machine, metrics=["cohen"], n_boot=200, seed=2)
    assert rows != machine_in_place(human, machine, metrics=["cohen"], n_boot=200, seed=3)


def test_a_term_no_units_of_which_the_three_share_is_left_out_of_its_row():
    human, machine = _coded(coders=3)
    human.loc[human.index[:60], "Cat"] = None  # Cat shares no unit with Ann...
    human.loc[human.index[60:], "Ann"] = None
    machine.iloc[60:] = None  # ...nor with the machine
    rows = {row["coder"]: row for row in machine_in_place(human, machine, metrics=["cohen"])}
    first = human.index[:60]
    ann = rows["Ann"]["metrics"]["cohen"]  # Ben's term alone: Cat's has no unit the machine, Ann and Cat share
    assert ann["value"] == pytest.approx(cohen_kappa_score(machine[first], human["Ben"][first])
                                         - cohen_kappa_score(human["Ann"][first], human["Ben"][first]))
    assert rows["Cat"]["metrics"]["cohen"]["value"] is None  # no unit of Cat's the machine coded
    assert rows["Cat"]["metrics"]["cohen"]["reason"].startswith("no other coder with whom both")
    assert rows["Cat"]["few_units"] == ["Ann–Cat", "Ben–Cat"]  # terms on no unit: flagged too
    mean = rows[None]["metrics"]["cohen"]  # the terms of Ann and Ben in place of each other
    assert mean["value"] == pytest.approx((ann["value"] + rows["Ben"]["metrics"]["cohen"]["value"]) / 2)


def test_a_resample_leaving_a_term_undefined_leaves_its_row_undefined_there_not_read_against_fewer_coders():
    human, machine = _coded(coders=3)
    # Cat rated five units, all but one of one code: many resamples have no variation in Cat's pairs
    human["Cat"] = None
    human.iloc[:5, 2] = ["family", "family", "family", "family", "work"]
    machine.iloc[:5] = ["family", "family", "family", "work", "work"]
    rows = {row["coder"]: row for row in machine_in_place(human, machine, metrics=["cohen"], n_boot=300, seed=1)}
    assert rows["Ann"]["few_units"] == ["Ann–Cat"]
    assert rows["Ann"]["metrics"]["cohen"]["n_undefined"] > 0  # Cat's term undefined there: the row too
    assert rows["Ann"]["metrics"]["cohen"]["ci"][0] is not None


def test_fewer_than_two_coders_or_a_margin_not_above_zero_are_refused():
    human, machine = _coded()
    with pytest.raises(InputError, match="two coders or more"):
        machine_in_place(human[["Ann"]], machine)
    with pytest.raises(InputError, match="margin must be above 0"):
        machine_in_place(human, machine, margin=0)


@pytest.fixture
def files(tmp_path):
    human, machine = _coded(n=150)
    ratings = tmp_path / "ratings.csv"
    human.rename_axis("unit").reset_index().to_csv(ratings, index=False)
    out = tmp_path / "out.csv"
    machine.iloc[:5] = None
    pd.DataFrame({"segment_id": machine.index, "rank": 1, "code": machine.values, "score": 0.7}).to_csv(
        out, index=False)
    return ratings, out


def test_agree_prints_the_machine_in_place_of_each_coder_with_paired_intervals_and_the_margin(capsys, files):
    ratings, out = files
    code, stdout, err = run(capsys, ratings, "--machine", out, "--bootstrap", "200", "--margin", "0.3")
    assert code == 0, err
    table = " ".join(stdout[stdout.index("Machine in place of a coder"):].split())
    assert "machine in place of Ann" in table and "machine in place of a coder (mean)" in table
    assert " to " in table and "✓" in table  # intervals, and non-inferior at a margin of 0.3
    assert "paired" in table and "non-inferior at margin 0.3" in table
    assert "did not code 5 units" in table


def test_agree_json_and_markdown_give_the_same_differences(capsys, files):
    ratings, out = files
    options = (ratings, "--machine", out, "--bootstrap", "200", "--margin", "0.1")
    data = json.loads(run(capsys, *options, "--format", "json")[1])
    rows = data["machine_in_place"]
    assert [row["coder"] for row in rows] == ["Ann", "Ben", None]
    cohen = rows[-1]["metrics"]["cohen"]
    assert cohen["seed"] == 0 and cohen["margin"] == 0.1 and len(cohen["ci"]) == 2
    report = run(capsys, *options, "--format", "markdown")[1]
    assert "The machine in place of a coder." in report and "paired bootstrap interval" in report
    methods = next(line for line in report.splitlines() if line.startswith("**Methods.**"))
    assert ("non-inferior to a coder where the lower limit of the difference's 95% interval was above \u22120.1 (a "
            "margin of 0.1): a one-sided test at the 2.5% level.") in methods
    line = next(line for line in report.splitlines() if line.startswith("| machine in place of a coder (mean)"))
    assert f"{cohen['value']:+.3f}".replace("-", "\u2212") in line


def test_agree_without_two_coders_shows_no_machine_in_place(capsys, files):
    ratings, out = files
    code, stdout, err = run(capsys, ratings, "--machine", out, "--coder", "Ann", "--format", "json")
    assert code == 0, err
    assert "machine_in_place" not in json.loads(stdout)


def test_agree_refuses_a_margin_with_one_coder_rather_than_ignore_it(capsys, files):
    ratings, out = files
    code, stdout, err = run(capsys, ratings, "--machine", out, "--coder", "Ann", "--bootstrap", "100", "--margin",
                            "0.1")
    assert code != 0 and "Traceback" not in err
    assert "--margin reads the machine in place of a coder, which needs two coders or more" in err
    assert "has one kept by --coder" in err


@pytest.mark.parametrize("options, message", [
    (["--margin", "0.1"], "--margin is the margin of the machine's non-inferiority to a coder; give --machine"),
    (["--margin", "0.1", "--machine", "{out}"], "--margin reads the paired bootstrap interval"),
    (["--margin", "0", "--machine", "{out}", "--bootstrap", "100"], "--margin must be a difference of agreement"),
    (["--margin", "nan", "--machine", "{out}", "--bootstrap", "100"], "--margin must be a difference of agreement"),
])
def test_agree_refuses_a_margin_it_cannot_read(capsys, files, options, message):
    ratings, out = files
    code, stdout, err = run(capsys, ratings, *[option.format(out=out) for option in options])
    assert code != 0
    assert message in err and "Traceback" not in err


def test_fewer_than_a_hundred_units_rated_twice_are_said_to_make_the_paired_intervals_too_narrow(capsys, files,
                                                                                                 tmp_path):
    ratings, out = files  # 150 units: no such caption
    code, stdout, err = run(capsys, ratings, "--machine", out, "--bootstrap", "200")
    assert "too narrow" not in stdout
    few = tmp_path / "few.csv"
    pd.read_csv(ratings).head(60).to_csv(few, index=False)
    code, stdout, err = run(capsys, few, "--machine", out, "--bootstrap", "200")
    said = " ".join(stdout.split())
    assert "on 60 units rated twice (fewer than 100) these intervals are too narrow" in said
    assert "evaluation/results/paired_coverage.md" in said
    report = run(capsys, few, "--machine", out, "--bootstrap", "200", "--format", "markdown")[1]
    assert "these intervals are too narrow" in report


def test_the_command_lines_few_units_is_the_comparisons():
    """Written twice (the command line starts without pandas): the flag of a table's note and of a term agree."""
    from theme_assist.agree import paired
    from theme_assist.cli import agree

    assert agree.FEW_UNITS == paired.FEW_UNITS


def test_a_code_only_the_machine_gave_counts_on_both_sides_of_each_term():
    """AC1 depends on the number of codes: the machine's side counted a code only it gave, the coders' side did
    not, so each term mixed two sets of codes (a wrong code nobody used moved the mean AC1 difference from -0.205 to
    -0.166; counted on both sides, -0.195, as with every code declared)."""
    human, machine = _coded(n=120)
    machine.iloc[0] = "other"  # wrong, and a code no coder used
    found = machine_in_place(human, machine, metrics=["ac1"])[-1]["metrics"]["ac1"]
    declared = machine_in_place(human, machine, metrics=["ac1"], categories=[*CODES, "other"])[-1]["metrics"]["ac1"]
    assert found["value"] == pytest.approx(declared["value"])
    assert found["coders"] == pytest.approx(declared["coders"])
