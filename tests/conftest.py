"""Shared fixtures: where ../shared is, skipping cleanly without it, a guard that fails on any socket, and the
collector kept off what the imports made."""

from __future__ import annotations

import gc
import socket
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


# The modules loaded when the garbage collector's generations were last frozen (see pytest_runtest_teardown).
FROZEN_AT_MODULES = [0]


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    """Move what the test modules' imports made out of the collector's sight.

    A full collection (the collector's own, and ``CodeSuggester``'s after a head fit on a large matrix) walks every
    object the process tracks: with torch, transformers and pandas loaded that took 0.4-1 s, and the suite's many
    fits and imports paid it again and again. Objects made by the imports live as long as the process; what the
    tests make, and the cycles the product's collections are there to free, are made later and are still
    collected.
    """
    gc.freeze()
    FROZEN_AT_MODULES[0] = len(sys.modules)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a test that imported a large library (torch at the first embedding, playwright, ...), freeze again."""
    yield
    if len(sys.modules) > FROZEN_AT_MODULES[0] + 200:
        gc.collect()  # the test's own garbage is collected, not frozen
        gc.freeze()
        FROZEN_AT_MODULES[0] = len(sys.modules)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared``; tests that need it are skipped, with the reason, when it is absent."""
    if not (SHARED / "corpora").is_dir():
        pytest.skip(f"needs the shared benchmark material at {SHARED} (absent on this machine)")
    return SHARED


@pytest.fixture()
def no_network(monkeypatch):
    """Fail the test if anything opens an internet socket (AF_UNIX socketpairs used by torch stay allowed)."""
    real_socket = socket.socket

    class GuardedSocket(real_socket):
        def __init__(self, family=socket.AF_INET, *args, **kwargs):
            if family in (socket.AF_INET, socket.AF_INET6):
                raise AssertionError("a network socket was opened")
            super().__init__(family, *args, **kwargs)

    def refuse(*args, **kwargs):
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket, "socket", GuardedSocket)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory):
    """Every test session gets its own embedding cache, so caching tests see a cold start."""
    import os

    folder = tmp_path_factory.mktemp("theme_assist_cache")
    previous = os.environ.get("THEME_ASSIST_CACHE")
    os.environ["THEME_ASSIST_CACHE"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("THEME_ASSIST_CACHE", None)
    else:
        os.environ["THEME_ASSIST_CACHE"] = previous


@pytest.fixture(scope="session")
def embedder():
    """The packaged default model, loaded once per session."""
    from theme_assist.embed import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def upsides_codebook():
    from theme_assist.codebook import load_codebook, packaged_codebook

    return load_codebook(packaged_codebook("upsides"))
