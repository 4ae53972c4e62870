"""JSON that every parser reads: ``NaN`` and infinities written as ``null``.

Python's :func:`json.dumps` writes an undefined figure (a code's precision where it was never suggested, a
coefficient without a value) as the bare word ``NaN``, which is not JSON: R's jsonlite, JavaScript's
``JSON.parse`` and most other strict readers refuse the whole file.
"""

from __future__ import annotations

import json
import math


def finite_or_none(value):
    """``value`` with every float that is not finite (at any depth of dicts, lists and tuples) replaced by ``None``,
    and numpy scalars as Python numbers."""
    if isinstance(value, dict):
        return {key: finite_or_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(item) for item in value]
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):  # a numpy scalar, without importing numpy
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value, **kwargs) -> str:
    """:func:`json.dumps` of ``value`` with undefined figures as ``null`` (``kwargs`` as json.dumps's; other
    objects it cannot write go through ``default``, ``float`` unless given, and are made finite too)."""
    default = kwargs.pop("default", float)
    return json.dumps(finite_or_none(value), allow_nan=False,
                      default=lambda obj: finite_or_none(default(obj)), **kwargs)
