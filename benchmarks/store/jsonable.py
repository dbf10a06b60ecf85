"""Plain JSON values from configs and records (numpy scalars, tuples, NaN)."""

from __future__ import annotations

import math
from typing import Any, Callable


def plain(value: Any, nonfinite: Callable[[float], Any] = lambda v: None) -> Any:
    """Returns `value` with dict keys as str, tuples as lists, numpy scalars unwrapped.

    Args:
        value: JSON-like data, possibly holding numpy scalars.
        nonfinite: Maps a NaN / inf float to what is written instead.
            Defaults to None (JSON null).

    Returns:
        Data `json.dumps` accepts with `allow_nan=False`.

    Example:

    >>> plain({"a": (1, float("nan"))})
    {'a': [1, None]}
    """
    if isinstance(value, float) and not math.isfinite(value):
        return nonfinite(value)
    if isinstance(value, dict):
        return {str(k): plain(x, nonfinite) for k, x in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(x, nonfinite) for x in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return plain(value.item(), nonfinite)
    return value
