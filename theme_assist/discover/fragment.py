"""Candidate themes as a codebook fragment: codes a coder can review, edit and paste into the codebook."""

from __future__ import annotations

import re
from typing import Iterable

import pandas as pd

from theme_assist.codebook import Code, Codebook

MAX_QUOTE_CHARS = 200

NO_THEMES_FRAGMENT = """\
# Candidate themes: none. The theme-assist discover run that wrote this file found no theme (its --out JSON says
# why, in the summary's notes), so there is no candidate code to copy into the codebook.
"""
"""What a run that finds no theme writes to its codebook fragment: an earlier run's candidates left there were read as
this run's. A YAML comment alone, which is no codebook, so the next run replaces it without ``--force``."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40]


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_QUOTE_CHARS else text[: MAX_QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _free_id(code_id: str, taken: set[str]) -> str:
    """``code_id``, or with ``_2``, ``_3``… after it where ``taken`` has it."""
    n, free = 2, code_id
    while free in taken:
        free, n = f"{code_id}_{n}", n + 1
    return free


def draft_definition(theme: pd.Series) -> str:
    """A first definition from the theme's label, keywords, quotes and provenance, marked as a draft."""
    keywords = ", ".join(theme["keywords"][:6]) or theme["label"]
    text = (f"DRAFT from inductive theme discovery, review before use. Segments about {theme['label']}: "
            f"characteristic words {keywords}.")
    if theme["quotes"]:
        text += f" Typical segment: \"{_short(theme['quotes'][0]['text'])}\""
    text += f" ({theme['size']} segments from {theme['n_documents']} document(s)"
    if theme["nearest_code"]:
        text += f"; nearest existing code {theme['nearest_code']}, similarity {theme['nearest_code_similarity']:.2f}"
    return text + ")."


def codebook_fragment(themes: pd.DataFrame, name: str = "Candidate themes", taken: Iterable[str] = ()) -> Codebook:
    """One candidate code per theme: id ``candidate_<theme>_<label>`` (with ``_2``… after it where it is one of
    ``taken``, the ids of the codebook the themes were discovered with: a candidate pasted into it from an earlier
    run), the label as name, a drafted definition and the representative quotes, verbatim, as anchor examples."""
    taken = set(taken)
    codes = []
    for _, theme in themes.iterrows():
        code_id = _free_id(f"candidate_{theme['theme'].lower()}_{_slug(theme['label'])}".rstrip("_"), taken)
        taken.add(code_id)
        codes.append(Code(id=code_id, name=theme["label"][:1].upper() + theme["label"][1:],
                          definition=draft_definition(theme),
                          examples=[quote["text"] for quote in theme["quotes"]]))
    return Codebook(name=name, codes=codes, exclusive=False,
                    description="Candidate codes proposed by theme-assist discover; accept, merge or drop each.")
