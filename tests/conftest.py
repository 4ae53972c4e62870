"""Shared fixtures: where ../shared is, skipping cleanly without it, and a guard that fails on any socket."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


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
