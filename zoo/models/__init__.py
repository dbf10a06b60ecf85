"""Model registry: short decorated builders returning Functional `keras.Model`s.

Builders import Keras inside their body, so listing models never imports
TensorFlow. Every builder takes `input_shape`, `num_outputs` and `task`
(plus `vocab_size` for token inputs) and the shared axis names listed on its
card (`activation`, `initializer`, `dropout`, `regularizer`, `depth`,
`width`, ...). The output layer is float32 and gives probabilities (softmax)
for classification, linear values for regression and reconstruction.

Example:

>>> from zoo.models import build
>>> from zoo.datasets import load
>>> model = build("mlp", load("digits").spec, depth=2, width=32)
"""

from __future__ import annotations

import inspect

from zoo.registry import Registry, did_you_mean

MODELS = Registry("model")

from zoo.models import dense  # noqa: E402,F401  (registers entries)

# Arguments every builder receives from the dataset spec, not axes.
SPEC_ARGS = ("input_shape", "num_outputs", "task", "vocab_size")


def accepted_axes(name: str) -> tuple[str, ...]:
    """The axis names (builder keyword arguments) model `name` accepts."""
    return MODELS.card(name).axes


def check_axes(name: str, kwargs: dict) -> None:
    """Raises a clear `ValueError` if `kwargs` has an axis `name` does not accept."""
    axes = accepted_axes(name)
    for key in kwargs:
        if key not in axes:
            raise ValueError(
                f"Model {name!r} does not accept the axis {key!r}.{did_you_mean(key, axes)} "
                f"It accepts: {', '.join(axes) or 'no axes'}. Remove {key!r} from the "
                f"suite or pick a model that accepts it (`zoo models show {name}`). "
                f"Received: {key}={kwargs[key]!r}"
            )


def build(name: str, spec, **kwargs):
    """Builds model `name` for a `DatasetSpec`.

    Args:
        name: Registry name (`zoo models`).
        spec: A `zoo.spec.DatasetSpec` (after any pipeline).
        **kwargs: Axes the model accepts (see its card).

    Returns:
        An uncompiled Functional `keras.Model`.

    Raises:
        ValueError: for an unknown model or an axis it does not accept.
    """
    builder = MODELS.get(name)
    check_axes(name, kwargs)
    params = inspect.signature(builder).parameters
    spec_kwargs = {
        "input_shape": tuple(spec.input_shape),
        "num_outputs": int(spec.output_dim),
        "task": spec.task,
    }
    if "vocab_size" in params:
        spec_kwargs["vocab_size"] = spec.vocab_size
    return builder(**spec_kwargs, **kwargs)
