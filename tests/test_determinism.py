"""Same input, same seed, same output — across processes, not only within one: Python salts the hashes of strings
per process, so anything that leans on the order of a set or of a dict built from one would differ between two
runs of the same command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "corpora" / "demo"
CODEBOOK = ROOT / "theme_assist" / "data" / "upsides.codebook.yaml"


def run_cli(args: list, cwd: Path, hash_seed: int) -> None:
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed), "THEME_ASSIST_CACHE": str(cwd / "cache")}
    done = subprocess.run([sys.executable, "-m", "theme_assist", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]


def test_suggestions_and_themes_are_byte_identical_under_another_hash_seed(tmp_path):
    coded = pd.read_csv(DEMO / "reference_coding.csv", keep_default_na=False)
    coded["segment_id"] = coded["document"] + ":" + coded["turn"].astype(str)
    documents = sorted(coded["document"].unique())
    coded.loc[coded["document"].isin(documents[::2]), "code"] = ""  # half the transcripts wait for suggestions
    coded.to_csv(tmp_path / "coded.csv", index=False)
    for seed in (1, 2):
        run_cli(["suggest", "--codebook", CODEBOOK, "--train", "coded.csv", "--input", DEMO / "transcripts",
                 "--out", f"suggestions{seed}.csv"], tmp_path, seed)
        run_cli(["discover", "--input", DEMO / "transcripts", "--all-segments", "--metadata", DEMO / "metadata.csv",
                 "--by", "income_group", "--out", f"themes{seed}.json", "--codebook-out", f"themes{seed}.yaml"],
                tmp_path, seed)
    for name in ("suggestions{}.csv", "themes{}.json", "themes{}.yaml"):
        first, second = (tmp_path / name.format(seed) for seed in (1, 2))
        assert first.stat().st_size > 1000 and first.read_bytes() == second.read_bytes(), name
