"""The one exception a user's mistake raises, and how its messages list names.

Every module raises :class:`InputError` for bad input (a malformed file, an unknown option value, a model
that fails its hash check). The command line prints its message as a single line and exits with status 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import logging


class InputError(Exception):
    """A problem with the user's input, explained in one line."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


def listed(items: list[str], shown: int = 5) -> str:
    """The first ``shown`` of ``items`` for a message, and how many more: ``a, b, c, d, e and 3 more``."""
    return ", ".join(items[:shown]) + (f" and {len(items) - shown} more" if len(items) > shown else "")


def warn_or_defer(logger: logging.Logger, said: str, deferred: list[str] | None) -> None:
    """Log the warning ``said``; or, where the caller gave a ``deferred`` list (it may yet refuse its input, and a
    refusal comes alone), add it there, for the caller to say once nothing is refused."""
    if deferred is None:
        logger.warning("%s", said)
    else:
        deferred.append(said)
