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

Token inputs: builders taking `vocab_size` get `spec.vocab_size` when
`spec.input_dtype == "int32"`, else None. Custom layers are registered in
`zoo.models.layers`; `load_model(path)` imports it before loading.
"""

from __future__ import annotations

import inspect

from zoo.registry import Registry, did_you_mean

MODELS = Registry("model")

# Importing these modules registers their entries (none imports Keras at import time).
from zoo.models import (  # noqa: E402,F401
    applications, attention, autoencoder, conv, dense, generative, mnist1d_paper, recurrent)

PLAIN = (str, int, float, bool, type(None), list, dict)


def accepted_axes(name: str) -> tuple[str, ...]:
    """The axis names (builder keyword arguments) model `name` accepts."""
    return MODELS.card(name).axes


def axis_domain(name: str, axis: str):
    """The values model `name` accepts for `axis`: its card's range, else the axis table's.

    Example:

    >>> axis_domain("mlp", "depth").describe()
    'an integer >= 0'
    """
    from zoo.axes import AXES
    from zoo.domains import Anything

    card = MODELS.card(name)
    if axis in card.ranges:
        return card.ranges[axis]
    return AXES[axis].domain if axis in AXES else Anything()  # a user model's own axis


def check_axes(name: str, kwargs: dict) -> None:
    """Raises a clear `ValueError` for an axis `name` does not accept, or a value outside its range.

    Values that are not plain (a Keras object or callable passed from
    Python) go to the builder unchecked.
    """
    from zoo.domains import check, explain

    axes = accepted_axes(name)
    for key, value in kwargs.items():
        if key not in axes:
            raise ValueError(
                f"Model {name!r} does not accept the axis {key!r}.{did_you_mean(key, axes)} "
                f"It accepts: {', '.join(axes) or 'no axes'}. Remove {key!r} from the "
                f"suite or pick a model that accepts it (`zoo models show {name}`). "
                f"Received: {key}={value!r}"
            )
        invalid = check(axis_domain(name, key), value) if isinstance(value, PLAIN) else None
        if invalid is not None:
            raise ValueError(f"Model {name!r}: bad {key}: {explain(key, value, invalid)}")


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
        # Token ids only: a float input (e.g. bag-of-words) keeps no embedding.
        tokens = getattr(spec, "input_dtype", "float32") == "int32"
        spec_kwargs["vocab_size"] = spec.vocab_size if tokens else None
    return builder(**spec_kwargs, **kwargs)


def load_model(path, **kwargs):
    """Loads a `.keras` file saved from a zoo model (custom layers registered first).

    Args:
        path: Path of a file written by `model.save("....keras")`.
        **kwargs: Passed to `keras.saving.load_model` (e.g. `compile=False`).

    Returns:
        The `keras.Model`.
    """
    import keras

    import zoo.models.gan_net  # noqa: F401  (registers zoo>GAN)
    import zoo.models.layers  # noqa: F401  (registers zoo>PositionEmbedding)
    import zoo.models.vae_net  # noqa: F401  (registers zoo>VAE)

    kwargs.setdefault("safe_mode", True)  # no arbitrary code from a file: say so explicitly
    return keras.saving.load_model(path, **kwargs)
