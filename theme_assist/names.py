"""What makes a name one can see, checked alike wherever coders are named (the project store, its review page,
``theme-assist agree``): spaces, zero-width and formatting characters alone read as no name; and the stored name a
name written in another Unicode form stands for (documents named in ``project`` commands)."""

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


def name_key(name) -> str:
    """``name`` as names written apart only by case, Unicode form or invisible characters are compared."""
    return unicodedata.normalize("NFC", without_invisible(str(name))).casefold()


def did_you_mean(name: str, names, what: str = "coders") -> tuple[str, str]:
    """``name`` as a message shows it, and the clause naming the ones of ``names`` it differs from only by case,
    Unicode form or invisible characters (``" (did you mean 'Ann'? coders are matched as written)"``, ``what``
    saying what the names are; empty where none does). Names apart in Unicode form alone ("José" composed or not)
    look the same as written: both are then shown in escapes."""
    alike = [other for other in names if name_key(other) == name_key(name)]
    composed = unicodedata.normalize("NFC", name)
    shown = ascii if any(unicodedata.normalize("NFC", str(other)) == composed for other in alike) else repr
    meant = f" (did you mean {' or '.join(map(shown, alike))}? {what} are matched as written)" if alike else ""
    return shown(name), meant


def as_stored(name: str, stored) -> str:
    """``name`` as ``stored`` writes it: the one name of ``stored`` apart from it only in Unicode form ("zu" + a
    combining diaeresis + "rich", as a Mac names files, for "zürich"); ``name`` itself where it is one of
    ``stored``, where none is, and where several are (it then names neither)."""
    stored = list(stored)
    if name in stored:
        return name
    composed = unicodedata.normalize("NFC", name)
    alike = [other for other in stored if unicodedata.normalize("NFC", other) == composed]
    return alike[0] if len(alike) == 1 else name
