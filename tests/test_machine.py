import argparse
import json
import platform

import numpy as np
import pytest

from theme_assist import jsonout
from theme_assist.machine import (describe_machine, git_commit, machine_markdown, render_results,
                                  reproduce_options, rerun_command, write_results)


def test_describe_machine_names_this_python_and_the_libraries():
    machine = describe_machine()
    assert machine["python"] == platform.python_version()
    assert machine["cores"] >= 1
    assert "numpy" in machine["packages"] and "scikit-learn" in machine["packages"]
    paragraph = machine_markdown(machine)
    assert paragraph.startswith("Machine: ") and machine["git_commit"] in paragraph


def test_write_results_writes_json_and_markdown_with_the_machine(tmp_path):
    described = write_results(tmp_path / "results", "bench", {"rows": [{"kappa": 0.5}]}, ["# Bench", "", "| a |"])
    payload = json.loads((tmp_path / "results" / "bench.json").read_text())
    assert payload["rows"] == [{"kappa": 0.5}]
    assert payload["machine"] == described
    markdown = (tmp_path / "results" / "bench.md").read_text()
    assert markdown.startswith("# Bench\n\n| a |\n\n")
    assert markdown.rstrip().endswith(machine_markdown(described).rstrip())


def test_markdown_made_from_the_json_can_be_rendered_again_from_the_file_alone(tmp_path):
    def page(result):
        return [f"# {len(result['rows'])} rows, pytest {result['machine']['packages']['pytest']}"]

    folder = tmp_path / "results"
    described = write_results(folder, "bench", {"rows": [1, 2, 3]}, page, packages=("pytest", "no-such-package"))
    assert "pytest" in described["packages"] and "no-such-package" not in described["packages"]
    first = (folder / "bench.md").read_text()
    assert first.startswith(f"# 3 rows, pytest {described['packages']['pytest']}\n")
    (folder / "bench.md").unlink()
    render_results(folder, "bench", page)
    assert (folder / "bench.md").read_text() == first


def test_rerun_command_repeats_list_options_quotes_spaces_and_leaves_out_none():
    command = rerun_command("evaluation/ablation.py", {"--variant": ["default", "no context"], "--per-code": 10,
                                                       "--name": None})
    assert command == 'python evaluation/ablation.py --variant default --variant "no context" --per-code 10'
    assert rerun_command("evaluation/ablation.py", {"--variant": [], "--per-code": None}) == \
        "python evaluation/ablation.py"


def test_the_commit_is_dirty_for_changed_code_but_not_for_changed_results(tmp_path):
    import subprocess

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True,
                       capture_output=True)

    (tmp_path / "evaluation" / "results").mkdir(parents=True)
    (tmp_path / "code.py").write_text("x = 1\n")
    (tmp_path / "evaluation" / "results" / "bench.md").write_text("# old\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "start")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True).stdout.strip()
    (tmp_path / "evaluation" / "results" / "bench.md").write_text("# new\n")
    assert git_commit(tmp_path) == head
    (tmp_path / "code.py").write_text("x = 2\n")
    assert git_commit(tmp_path) == f"{head}+dirty"


def test_json_written_with_undefined_figures_is_strict_json():
    class Figure:  # an object json cannot write goes through float, as json.dumps(default=float) did
        def __float__(self):
            return float("inf")

    text = jsonout.dumps({"precision": float("nan"), "scores": [np.float32("-inf"), np.int64(3), 0.5],
                          "pair": (np.float64("nan"), "a"), "figure": Figure()}, indent=1)
    assert json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in the JSON")) == {
        "precision": None, "scores": [None, 3, 0.5], "pair": [None, "a"], "figure": None}


def test_the_reproduce_line_names_the_corpora_and_variants_that_ran_even_by_default():
    ran_by_default = argparse.Namespace(corpus=None, variant=None, per_code=None, name="ablation")
    options = reproduce_options(ran_by_default, ["esconv", "epitome-er"], ["default", "no context"], "ablation")
    assert rerun_command("evaluation/ablation.py", options) == \
        'python evaluation/ablation.py --corpus esconv --corpus epitome-er --variant default --variant "no context"'
    renamed = argparse.Namespace(corpus=["esconv"], variant=["default"], per_code=10, name="ablation_10")
    assert rerun_command("evaluation/ablation.py", reproduce_options(renamed, ["esconv"], ["default"], "ablation")) \
        == "python evaluation/ablation.py --corpus esconv --variant default --per-code 10 --name ablation_10"


def test_an_installed_copy_inside_another_repository_has_no_commit(tmp_path):
    """A virtual environment inside a project's git repository: site-packages is in that repository's tree, and
    HEAD there is the project's commit, not theme_assist's: unknown."""
    import subprocess

    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x"],
                   cwd=tmp_path, check=True)
    site = tmp_path / ".venv" / "lib" / "site-packages"
    site.mkdir(parents=True)
    assert git_commit(site) == "unknown"
    assert git_commit(tmp_path) != "unknown"
