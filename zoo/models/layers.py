"""Shared building blocks for model builders (imported lazily: needs Keras)."""

from __future__ import annotations

import keras

REGULARIZERS = ("none", "l1", "l2", "l1_l2")


def parse_regularizer(value) -> tuple[str, float]:
    """Parses "none", "l1", "l2:1e-4", "l1_l2:0.001" into (kind, strength).

    Raises:
        ValueError: for an unknown kind or a strength that is not a number.
    """
    if value is None:
        return "none", 0.0
    text = str(value).strip().lower()
    kind, _, strength = text.partition(":")
    if kind not in REGULARIZERS:
        raise ValueError(
            f"Unknown regularizer {kind!r}: expected one of {REGULARIZERS}, optionally "
            f"with a strength after a colon, e.g. 'l2:1e-4'. Received: regularizer={value!r}"
        )
    try:
        amount = float(strength) if strength else (0.0 if kind == "none" else 0.01)
    except ValueError:
        raise ValueError(
            f"The regularizer strength must be a number, e.g. 'l2:1e-4'. "
            f"Received: regularizer={value!r}"
        ) from None
    return kind, amount


def resolve_regularizer(value):
    """Resolves a kernel regularizer given as None, a Keras object or "l2:1e-4"."""
    if value is None or isinstance(value, keras.regularizers.Regularizer):
        return value
    if isinstance(value, dict):
        return keras.regularizers.get(value)
    kind, amount = parse_regularizer(value)
    if kind == "none":
        return None
    if kind == "l1_l2":
        return keras.regularizers.L1L2(l1=amount, l2=amount)
    return keras.regularizers.get({"class_name": kind.upper(), "config": {kind: amount}})


def output_head(x, num_outputs: int, task: str, name: str = "output"):
    """Dense output layer in float32: softmax for classification, else linear."""
    activation = "softmax" if task == "classification" else None
    return keras.layers.Dense(num_outputs, activation=activation, dtype="float32", name=name)(x)
