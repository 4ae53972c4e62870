"""Helpers for testing code that works on project files, in the manner of :mod:`numpy.testing`: a small
synthetic project (one of its turns holds HTML), a fake embedder that needs no model, ``theme-assist review``
started as a real subprocess, the command line run in-process for its exit status, and a project's every row. Used
by the project and review tests; httpx (a test dependency) is imported only by :class:`ReviewServer`."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from theme_assist.codebook import parse_codebook
from theme_assist.documents import Document, Turn
from theme_assist.project import ProjectStore
from theme_assist.segment import segment_documents

CODEBOOK = """\
name: Mini peer support
exclusive: true
codes:
  - id: work
    name: Paid work
    definition: Jobs, salaries and contracts.
  - id: relations
    name: Relationships
    children:
      - id: family
        name: Family
        definition: Parents, children, partners.
      - id: stigma
        name: Stigma & "labels"
        definition: Being judged or excluded.
  - id: other
    name: Other
    definition: Anything else.
"""

HOSTILE = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\"> & so on"

TURNS = {
    "interview_a": [("Interviewer", "How is the new job going?"),
                    ("Sam", "The salary is small but it pays my rent."),
                    ("Interviewer", "And at home?"),
                    ("Sam", "My sister helps me with the children now."),
                    ("Sam", "Neighbours still whisper that I am crazy.")],
    "interview_b": [("Interviewer", "Tell me about the contract."),
                    ("Kim", "I signed a new employment contract last week."),
                    ("Kim", HOSTILE),
                    ("Kim", "My father started to talk with me again.")],
}


def make_documents() -> list[Document]:
    documents = []
    for name, turns in TURNS.items():
        text, spans = "", []
        for speaker, said in turns:
            prefix = f"{speaker}: "
            start = len(text) + len(prefix)
            text += prefix + said + "\n"
            spans.append(Turn(start, start + len(said), speaker))
        documents.append(Document(id=name, text=text, turns=spans, metadata={"site": "Ulm" if name.endswith("a") else "Pune"}))
    return documents


def synthetic_suggestions(segments: pd.DataFrame) -> pd.DataFrame:
    """Two ranked suggestions per segment, scores fixed by position, evidence quoting a neighbour."""
    codes = ["work", "family", "stigma", "other"]
    rows = []
    for i, segment_id in enumerate(segments["segment_id"]):
        first, second = codes[i % 4], codes[(i + 1) % 4]
        evidence = [{"segment_id": "codebook:" + first, "text": f"An anchor quote for {first} <b>bold</b>",
                     "similarity": 0.5}]
        rows.append({"segment_id": segment_id, "code": first, "score": 0.95 - 0.05 * i, "rank": 1,
                     "evidence": evidence})
        rows.append({"segment_id": segment_id, "code": second, "score": 0.04 + 0.01 * i, "rank": 2, "evidence": []})
    return pd.DataFrame(rows)


def make_project(path: Path, with_run: bool = True) -> ProjectStore:
    """A project with two interviews (one turn holds HTML), the mini codebook and one synthetic model run."""
    store = ProjectStore(path, create=True)
    store.add_codebook_version(parse_codebook(CODEBOOK), author="test", note="initial")
    documents = make_documents()
    store.add_documents(documents)
    segments = segment_documents(documents)
    store.add_segments(segments)
    if with_run:
        queue = pd.DataFrame({"segment_id": segments["segment_id"][::-1].to_numpy(),
                              "uncertainty": np.linspace(1, 0, len(segments)), "priority": range(len(segments))})
        store.add_run(synthetic_suggestions(segments), model_id="fake-model run", embedding_model="fake@0",
                      engine_version="test", mode="trained", params={}, n_training=0, n_decisions=0, queue=queue)
    return store


def make_codebook_named_project(path: Path) -> Path:
    """A project whose first document is named "codebook" (segment ids ``codebook:0``…), its suggestions quoting one
    of them (``codebook:1``) and a codebook anchor text (``codebook:work``)."""
    documents = make_documents()
    documents[0] = dataclasses.replace(documents[0], id="codebook")
    segments = segment_documents(documents)
    quoted = segments.set_index("segment_id").at["codebook:1", "text"]
    evidence = [{"segment_id": "codebook:1", "text": quoted, "similarity": 0.9},
                {"segment_id": "codebook:work", "text": "Jobs, salaries and contracts.", "similarity": 0.5}]
    with ProjectStore(path, create=True) as store:
        store.add_codebook_version(parse_codebook(CODEBOOK))
        store.add_documents(documents)
        store.add_segments(segments)
        store.add_run(pd.DataFrame({"segment_id": segments["segment_id"], "code": "work", "score": 0.9, "rank": 1,
                                    "evidence": [evidence] * len(segments)}),
                      model_id="fake", embedding_model="fake@0", engine_version="test", mode="trained", params={},
                      n_training=1, n_decisions=0)
    return path


class FakeEmbedder:
    """Deterministic unit vectors from a hash of the text: no model, no network."""

    model_id = "fake-hash@1"

    def __init__(self, dim: int = 32):
        self.dim = dim

    def encode(self, texts, show_progress: bool = False) -> np.ndarray:
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(str(text).encode()).digest()[:8], "little")
            vector = np.random.default_rng(seed).normal(size=self.dim)
            rows.append(vector / np.linalg.norm(vector))
        return np.asarray(rows, dtype=np.float32).reshape(len(rows), self.dim)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ReviewServer:
    """``theme-assist review PROJECT`` as a subprocess on a free port (no browser, no learning)."""

    def __init__(self, project: Path, *extra: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "theme_assist", "review", str(project), "--no-browser", "--port", str(self.port),
             "--refit-every", "0", *extra],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.token = self._wait_for_session()

    def _wait_for_session(self, timeout: float = 60.0) -> str:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"review server exited: {self.process.stdout.read()}")
            try:
                return httpx.get(f"{self.url}/api/session", timeout=2).json()["token"]
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("review server did not start")

    def client(self):
        """An ``httpx.Client`` on the server that sends the session token."""
        import httpx

        return httpx.Client(base_url=self.url, headers={"X-Session-Token": self.token}, timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()


def run_command(*argv: str) -> int:
    """Run ``theme-assist ARGV`` in this process; its exit status (0, 2 for a user's mistake, 130 interrupted)."""
    from theme_assist.cli import main

    try:
        main(list(argv))
    except SystemExit as exit_:
        return exit_.code
    raise AssertionError("theme-assist returned without an exit status")


def project_content(project: str | Path) -> dict:
    """Every row of every table of ``project``, to tell whether a command changed it (the file's bytes change
    where SQLite merely opens it)."""
    with sqlite3.connect(project) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: sorted(map(repr, db.execute(f"SELECT * FROM {table}"))) for table in tables}
