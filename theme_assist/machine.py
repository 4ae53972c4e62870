"""A description of the machine and software a measurement ran on, for every file in ``evaluation/results/``."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from theme_assist import jsonout

PACKAGES = ("theme_assist", "numpy", "scipy", "pandas", "scikit-learn", "torch", "sentence-transformers",
            "transformers", "spacy")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024 ** 2, 1)
    except OSError:
        pass
    return None


RESULTS_FOLDER = "evaluation/results"


def git_commit(repo: Path | None = None) -> str:
    """The repository's HEAD commit, with ``+dirty`` when tracked files have changes, or ``unknown``. Changes to
    :data:`RESULTS_FOLDER` do not count: a benchmark that writes several files, or a second benchmark run before
    the first one's files are committed, measures the committed code all the same. A folder that is no
    repository's top (an installed copy's site-packages) is ``unknown``, though a repository holds it."""
    repo = repo or Path(__file__).resolve().parents[1]
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=repo, capture_output=True, text=True,
                             timeout=10).stdout.strip()
        # a virtual environment inside a project's repository: HEAD would be that project's commit, not ours
        if not top or Path(top).resolve() != Path(repo).resolve():
            return "unknown"
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True,
                                timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                f":(exclude){RESULTS_FOLDER}"], cwd=repo, capture_output=True, text=True,
                               timeout=10).stdout.strip()
        return f"{commit}{'+dirty' if dirty else ''}" if commit else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def describe_machine(packages: tuple[str, ...] = ()) -> dict:
    """CPU, cores, memory, OS, Python and library versions (:data:`PACKAGES` and ``packages``, those installed),
    the git commit, and the time (UTC)."""
    versions = {}
    for name in (*PACKAGES, *packages):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "git_commit": git_commit(),
        "date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def machine_markdown(machine: dict) -> str:
    """The description as a short Markdown paragraph."""
    packages = ", ".join(f"{k} {v}" for k, v in machine["packages"].items())
    return (f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB RAM, "
            f"{machine['os']}; Python {machine['python']}; {packages}. Commit `{machine['git_commit']}`, "
            f"{machine['date_utc']}.")


def write_results(folder: Path, stem: str, payload: dict, markdown, packages: tuple[str, ...] = ()) -> dict:
    """Write a benchmark's ``stem.json`` and ``stem.md`` into ``folder``; returns the machine's description.

    Parameters
    ----------
    folder, stem : where the two files go and their name without suffix.
    payload : dict
        The measurements; the JSON file holds them with the machine's description under ``machine``.
    markdown : list of str or callable
        The Markdown lines, or a function that makes them from the result as the JSON holds it (so that
        :func:`render_results` can write the page again from the JSON alone). :func:`machine_markdown` follows them.
    packages : tuple of str
        Further distributions whose versions belong in the description (a library the benchmark compares with).
    """
    from theme_assist.refi.atomic import write_text_whole

    machine = describe_machine(packages)
    result = {"machine": machine, **payload}
    folder.mkdir(parents=True, exist_ok=True)
    write_text_whole(folder / f"{stem}.json", jsonout.dumps(result, indent=1, ensure_ascii=False) + "\n")
    render_results(folder, stem, markdown, result)
    return machine


def render_results(folder: Path, stem: str, markdown, result: dict | None = None) -> None:
    """Write ``stem.md`` from ``result`` (by default, read from ``stem.json``): the ``markdown`` lines (or what the
    function ``markdown`` makes of the result), then the machine's paragraph."""
    from theme_assist.refi.atomic import write_text_whole

    if result is None:
        result = json.loads((folder / f"{stem}.json").read_text(encoding="utf-8"))
    lines = markdown(result) if callable(markdown) else markdown
    write_text_whole(folder / f"{stem}.md", "\n".join([*lines, "", machine_markdown(result["machine"]), ""]))


def reproduce_options(args, corpora: list[str], variants: list[str], default_name: str) -> dict:
    """The options of an evaluation script's 'Reproduce:' line: the ``corpora`` and ``variants`` that ran, named
    even where the defaults chose them, so that the line reruns the same table after the defaults grow; ``args``
    gives ``per_code`` and ``name`` (left out where it is ``default_name``)."""
    return {"--corpus": list(corpora), "--variant": list(variants), "--per-code": args.per_code,
            "--name": None if args.name == default_name else args.name}


def rerun_command(script: str, options: dict) -> str:
    """The command line that reruns ``script`` with ``options`` (flag → value; a list repeats the flag, ``None``
    leaves it out), for the 'Reproduce:' line of a results file."""
    parts = [f"python {script}"]
    for flag, value in options.items():
        for item in value if isinstance(value, list) else [value]:
            if item is not None:
                parts.append(f'{flag} "{item}"' if " " in str(item) else f"{flag} {item}")
    return " ".join(parts)
