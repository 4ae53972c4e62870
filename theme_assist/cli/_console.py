"""The console the commands print their tables on."""

from __future__ import annotations

BATCH_WIDTH = 160
"""Columns of a table printed into a file or a pipe (a batch job's log): rich would otherwise fold it to 80 and
cut its numbers ("0.569±…")."""


def table_console():
    """A rich console on standard output: the terminal's width in a terminal, :data:`BATCH_WIDTH` elsewhere."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=BATCH_WIDTH)


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1: "1 theme", "3 themes"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
