"""The review server as a real process: no acknowledged decision is lost to SIGKILL, and two coders writing at
once neither lose nor corrupt each other's work."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import threading

import httpx
import pytest

from theme_assist.project import ProjectStore

from theme_assist.project.testing import ReviewServer, make_project

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")


@pytest.fixture()
def project(tmp_path):
    path = tmp_path / "study.taproj"
    make_project(path).close()
    return path


def test_sigkill_mid_session_loses_no_acknowledged_decision(project):
    server = ReviewServer(project)
    segments = ProjectStore(project).segments()["segment_id"].tolist()
    acknowledged: list[dict] = []
    enough = threading.Event()

    def keep_deciding():
        with server.client() as client:
            for i in range(10_000):
                try:
                    response = client.post("/api/decisions", json={
                        "segment_id": segments[i % len(segments)], "action": "add",
                        "code": ("work", "family", "stigma")[i % 3], "coder": "ana"})
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code != 201:
                    return
                acknowledged.append(response.json()["decisions"][0])
                if len(acknowledged) >= 25:
                    enough.set()

    writer = threading.Thread(target=keep_deciding)
    writer.start()
    try:
        assert enough.wait(60), "the server acknowledged too few decisions"
        os.kill(server.process.pid, signal.SIGKILL)  # while the writer is still posting
        writer.join(30)
        server.process.wait(10)
        assert server.process.returncode == -signal.SIGKILL
    finally:
        server.stop()
    stored = ProjectStore(project).decisions().set_index("id")
    for decision in acknowledged:
        row = stored.loc[decision["id"]]
        assert (row["segment_id"], row["code"], row["coder"], row["created_at"]) == (
            decision["segment_id"], decision["code"], "ana", decision["created_at"])
    assert sqlite3.connect(project).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_two_coders_posting_at_once_lose_nothing(project):
    server = ReviewServer(project)
    segments = ProjectStore(project).segments()["segment_id"].tolist()
    acknowledged: dict[str, list[int]] = {"ana": [], "bo": []}
    failures: list[str] = []
    start = threading.Barrier(2)

    def code(coder: str, code_: str):
        with server.client() as client:
            bulk = client.get("/api/bulk", params={"code": "work", "min_score": 0.0, "coder": coder}).json()
            items = [{"segment_id": i["segment_id"], "suggestion_id": i["suggestion_id"]} for i in bulk["items"]]
            start.wait()
            response = client.post("/api/decisions/bulk", json={"coder": coder, "action": "reject",
                                                                "code": "work", "items": items})
            acknowledged[coder] += [d["id"] for d in response.json()["decisions"]]
            for i in range(30):
                response = client.post("/api/decisions", json={
                    "segment_id": segments[i % len(segments)], "action": "add", "code": code_, "coder": coder})
                if response.status_code != 201:
                    failures.append(f"{coder}: {response.status_code} {response.text}")
                    return
                acknowledged[coder].append(response.json()["decisions"][0]["id"])

    threads = [threading.Thread(target=code, args=args) for args in (("ana", "family"), ("bo", "stigma"))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        with server.client() as client:  # both coders see their own, complete state through the server
            for coder in ("ana", "bo"):
                progress = client.get("/api/progress", params={"coder": coder}).json()
                assert progress["decided"] == len(segments)
    finally:
        server.stop()
    assert not failures
    decisions = ProjectStore(project).decisions()
    for coder, ids in acknowledged.items():
        mine = decisions[decisions["coder"] == coder]
        assert sorted(mine["id"]) == sorted(ids) and len(ids) > 30
        assert set(mine.loc[mine["action"] == "add", "code"]) == {"family" if coder == "ana" else "stigma"}
    assert decisions["id"].is_unique
    assert sqlite3.connect(project).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@contextlib.contextmanager
def _serving(project):
    """``theme-assist review PROJECT`` in a process of its own, SIGINT taken as in a terminal (whatever this test
    runner inherited), once it says it serves: (process, port); killed after the block if still running."""
    import subprocess
    import sys

    from theme_assist.project.testing import free_port

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "theme_assist", "review", str(project), "--no-browser", "--port", str(port),
         "--refit-every", "0"], env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert process.stdout.readline().startswith("theme-assist review: serving")
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


STOPPED = "theme-assist review: stopped; every decision made on the page is saved in {}\n"


def test_ctrl_c_stops_the_server_saying_every_decision_is_saved(project):
    """Stopped with Ctrl+C the server said "theme-assist: interrupted" only (nothing at all where started in the
    background): a coder could not tell their decisions were kept."""
    with _serving(project) as (process, port):
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            client.headers["X-Session-Token"] = client.get("/api/session").json()["token"]
            saved = client.post("/api/decisions", json={"segment_id": "interview_a:1", "action": "add", "code": "work",
                                                        "coder": "ana"})
            assert saved.status_code == 201
        process.send_signal(signal.SIGINT)
        said, _ = process.communicate(timeout=30)
    assert said == STOPPED.format(project)
    assert process.returncode == 130
    assert len(ProjectStore(project).decisions()) == 1


@pytest.mark.parametrize("first, second", [(signal.SIGINT, signal.SIGINT), (signal.SIGTERM, signal.SIGINT)])
def test_a_second_signal_while_stopping_says_the_one_line_only(project, first, second):
    """Ctrl+C pressed twice (or after a SIGTERM) as the server stops: uvicorn's lifespan task, cancelled by the
    second, was logged as "ERROR: Traceback ... CancelledError" above the line."""
    import time

    with _serving(project) as (process, _):
        process.send_signal(first)
        time.sleep(0.05)
        process.send_signal(second)
        said, _ = process.communicate(timeout=30)
    assert said == STOPPED.format(project)


def test_sigterm_stops_the_server_saying_every_decision_is_saved(project):
    """Stopped with SIGTERM (a job's time limit, systemd, ``kill``) the server said nothing: uvicorn shut it down,
    then raised the signal again and the process ended before the line Ctrl+C prints. It says it, then ends by
    SIGTERM, as uvicorn does (a supervisor reads that as a clean stop)."""
    with _serving(project) as (process, _):
        process.send_signal(signal.SIGTERM)
        said, _ = process.communicate(timeout=30)
    assert said == STOPPED.format(project)
    assert process.returncode == -signal.SIGTERM
