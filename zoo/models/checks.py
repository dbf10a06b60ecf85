"""Checks of model axis values (pure Python: no Keras import).

`zoo.models.check_axes` rejects axes a model does not accept; these functions
reject bad *values* of accepted axes (`depth=0`, `dropout=1.5`, ...) early,
with a message that says what was expected and how to fix it.

Example:

>>> from zoo.models.checks import check_int, check_fraction
>>> check_int("depth", 3)
3
>>> check_fraction("dropout", 0.2)
0.2
"""

from __future__ import annotations

import numbers


def check_int(name: str, value, minimum: int = 1) -> int:
    """Returns `value` as an int, raising unless it is an integer >= `minimum`.

    Args:
        name: Axis name, used in the message.
        value: The value given for the axis.
        minimum: Smallest accepted value. Defaults to 1.

    Returns:
        The value as a Python int.

    Raises:
        ValueError: if `value` is not an integer or is below `minimum`.
    """
    is_int = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not is_int and isinstance(value, float) and value.is_integer():
        is_int = True
    if not is_int or int(value) < minimum:
        raise ValueError(
            f"`{name}` must be an integer >= {minimum}. Pass e.g. {name}={max(minimum, 2)}. "
            f"Received: {name}={value!r}"
        )
    return int(value)


def check_fraction(name: str, value) -> float:
    """Returns `value` as a float, raising unless it is a number in [0, 1).

    Args:
        name: Axis name (a rate such as `dropout`), used in the message.
        value: The value given for the axis; None means 0.

    Returns:
        The value as a Python float.

    Raises:
        ValueError: if `value` is not a number in [0, 1).
    """
    if value is None or value is False:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(
            f"`{name}` must be a rate in [0, 1), e.g. {name}=0.2 (0 disables it). "
            f"Received: {name}={value!r}"
        )
    return float(value)


def check_bool(name: str, value) -> bool:
    """Returns `value` as a bool, raising for anything but a bool (or 0/1).

    Raises:
        ValueError: if `value` is not a boolean.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    raise ValueError(
        f"`{name}` must be true or false. Received: {name}={value!r}"
    )
