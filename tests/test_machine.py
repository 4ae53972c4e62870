import json
import platform

from theme_assist.machine import describe_machine, machine_markdown, write_results


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
