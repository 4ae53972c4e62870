"""The consoles the commands print their tables and messages on."""

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


def counted_kinds(counts: dict[str, int]) -> str:
    """What an archive holds, by kind, each noun in the singular for 1: ``{"sources": 1, "codes": 2}`` → "1 source,
    2 codes"."""
    return ", ".join(counted(n, kind.removesuffix("s")) for kind, n in counts.items())


def skipped_segments(speakers: list[dict]) -> str:
    """What the closing line says of the segments ``--skip-speaker`` left out (``speakers``: the speakers matched,
    as ``{"name", "segments"}``, most segments first): "3 segments of Interviewer, INTERVIEWER skipped" ("0
    segments skipped" where none matched). Segments, not turns: ``--unit sentence`` makes several of a turn."""
    n = sum(speaker["segments"] for speaker in speakers)
    names = ", ".join(speaker["name"] for speaker in speakers)
    return f"{counted(n, 'segment')}{f' of {names}' if names else ''} skipped"


def say_done(console, text: str) -> None:
    """The closing line of a command: a green ✓, then ``text`` as written. Paths, codes and names may hold
    brackets, which rich would read as markup ("a[/b]c.csv" stopped a command with a MarkupError traceback after
    its files were written; "[bold]" vanished)."""
    from rich.text import Text

    console.print(Text.assemble(("✓", "green"), " ", text))


def message_console(stderr: bool = True):
    """A rich console for one-line messages (progress, notes, the closing ✓ line) that never folds a line, so
    each stays one line in a batch job's log (at 80 columns, "… → out.csv (39.5 s)" lost "s)" to the next line);
    a terminal wraps long lines itself. Not for tables: they would be cropped rather than folded."""
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=True)
