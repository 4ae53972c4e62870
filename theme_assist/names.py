"""What makes a name one can see, checked alike wherever coders are named (the project store, its review page,
``theme-assist agree``): spaces, zero-width and formatting characters alone read as no name."""

from __future__ import annotations

import unicodedata


def has_visible_character(text: str) -> bool:
    """Whether ``text`` holds a character one can see: spaces, zero-width and formatting characters alone do not
    (a coder's name made of them would be listed as a blank)."""
    return any(unicodedata.category(char)[0] not in "ZC" for char in text)


def without_invisible(text: str) -> str:
    """``text`` less its zero-width and formatting characters (Unicode category Cf: a zero-width space, a word
    joiner, a byte-order mark, a soft hyphen, a direction mark), which a spreadsheet or a copied name may carry
    unseen: "Ann\u200b" is "Ann". Spaces, which one sees between words, are kept."""
    return "".join(char for char in text if unicodedata.category(char) != "Cf")
