"""Options that several commands take, declared once: the same flag reads the same way, and says so alike, in each.

Each is a command parameter's default, as ``model: Optional[str] = MODEL``.
"""

from __future__ import annotations

import typer

MODEL = typer.Option(None, "--model", help="sentence-transformers model folder or cached name (default: the packaged "
                                           "all-MiniLM-L6-v2).")
RECURSIVE = typer.Option(False, "--recursive", help="Read the sub-folders of an --input folder too; a document's id is "
                                                    "then its path in the folder, less the suffix (butabika/fg_01).")
UNIT = typer.Option("turn", "--unit", help="Segmentation of transcript input: turn, sentence, paragraph.")
MAX_CHARS = typer.Option(1000, "--max-chars", min=20, help="Longest segment from transcript input.")
