"""The evaluation scripts refuse impossible options with argparse's one-line usage error, before any work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EVALUATION = Path(__file__).resolve().parents[1] / "evaluation"


@pytest.mark.parametrize("script, option, message", [
    ("ablation.py", "-1", "--per-code cannot be negative"),
    ("experiments.py", "0", "--per-code must be 1 or more"),
])
def test_an_impossible_number_of_examples_per_code_is_refused(script, option, message, tmp_path):
    finished = subprocess.run([sys.executable, str(EVALUATION / script), "--per-code", option, "--out",
                               str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert finished.returncode == 2
    assert message in finished.stderr.strip().splitlines()[-1]
    assert "Traceback" not in finished.stderr and not any(tmp_path.iterdir())


def test_the_sequence_model_needs_a_seed():
    finished = subprocess.run([sys.executable, str(EVALUATION / "sequence_model.py"), "--seeds", "0"],
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode == 2 and "--seeds must be 1 or more" in finished.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("sizes, message", [
    ("16,x", "--batch-sizes must be whole numbers separated by commas"),
    ("0,64", "--batch-sizes must be 1 or more"),
])
def test_impossible_batch_sizes_are_refused(sizes, message, tmp_path):
    finished = subprocess.run([sys.executable, str(EVALUATION / "bench_speed.py"), "--batch-sizes", sizes, "--out",
                               str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert finished.returncode == 2
    assert message in finished.stderr.strip().splitlines()[-1]
    assert "Traceback" not in finished.stderr and not any(tmp_path.iterdir())
