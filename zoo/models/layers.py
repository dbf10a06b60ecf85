"""Shared building blocks for model builders (imported lazily: needs Keras).

Axis resolvers (`resolve_activation`, `resolve_initializer`,
`resolve_regularizer`), input adapters (`image_input`, `sequence_input`), a
convolution block, the output head, and the serializable `PositionEmbedding`
layer. Import this module before `keras.saving.load_model` on a saved zoo
model (or use `zoo.models.load_model`), so the custom layer is registered.
"""

from __future__ import annotations

import math

import keras

from zoo.registry import did_you_mean

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


def output_head(x, num_outputs: int, task: str, name: str = "output", **layer_kwargs):
    """Dense output layer in float32: softmax for classification, else linear.

    `layer_kwargs` go to the `Dense` layer (e.g. `kernel_args(...)` for a
    model whose only layer is the head).
    """
    activation = "softmax" if task == "classification" else None
    return keras.layers.Dense(num_outputs, activation=activation, dtype="float32", name=name,
                              **layer_kwargs)(x)


# Initializers a "name:scale" string may scale, with (base scale, mode, distribution)
# when they are variance-scaling initializers.
VARIANCE_SCALING = {
    "glorot_uniform": (1.0, "fan_avg", "uniform"),
    "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
    "he_uniform": (2.0, "fan_in", "uniform"),
    "he_normal": (2.0, "fan_in", "truncated_normal"),
    "lecun_uniform": (1.0, "fan_in", "uniform"),
    "lecun_normal": (1.0, "fan_in", "truncated_normal"),
}
SCALED_INITIALIZERS = {
    "random_normal": lambda s: keras.initializers.RandomNormal(stddev=s),
    "truncated_normal": lambda s: keras.initializers.TruncatedNormal(stddev=s),
    "random_uniform": lambda s: keras.initializers.RandomUniform(minval=-s, maxval=s),
    "orthogonal": lambda s: keras.initializers.Orthogonal(gain=s),
    "constant": lambda s: keras.initializers.Constant(value=s),
    "variance_scaling": lambda s: keras.initializers.VarianceScaling(scale=s),
}


def _public_names(module) -> list[str]:
    skip = {"get", "serialize", "deserialize"}
    return sorted(n for n in dir(module) if n.islower() and not n.startswith("_") and n not in skip)


def activation_names() -> list[str]:
    """The activation names Keras knows (`keras.activations`)."""
    return _public_names(keras.activations)


def initializer_names() -> list[str]:
    """The initializer names Keras knows (`keras.initializers`)."""
    return _public_names(keras.initializers)


def resolve_activation(value):
    """Checks an activation given by Keras name (or callable) and returns it.

    Raises:
        ValueError: for a name Keras does not know, with the closest names.
    """
    if value is None or callable(value):
        return value
    try:
        keras.activations.get(value)
    except (ValueError, TypeError):
        names = _public_names(keras.activations)
        raise ValueError(
            f"Unknown activation {value!r}.{did_you_mean(str(value), names)} Expected a Keras "
            f"activation name: {', '.join(names)}. Received: activation={value!r}"
        ) from None
    return value


def resolve_initializer(value):
    """Resolves a kernel initializer: a Keras name, "name:scale", a config or an object.

    "name:scale" scales the initializer, for experiments on initialization
    scale: `random_normal` / `truncated_normal` take it as stddev,
    `random_uniform` as the limit, `orthogonal` as gain, `constant` as value,
    `variance_scaling` as scale; `glorot_*`, `he_*` and `lecun_*` multiply
    their variance scale by it (so "he_normal:1" is He normal).

    Returns:
        A value a Keras layer accepts as `kernel_initializer` (a new object for
        "name:scale", so layers never share an initializer instance).

    Raises:
        ValueError: for an unknown name or a scale that is not a positive number.
    """
    if value is None or isinstance(value, (dict, keras.initializers.Initializer)):
        return value
    text = str(value).strip()
    name, sep, scale = text.partition(":")
    names = _public_names(keras.initializers)
    if name not in names:
        raise ValueError(
            f"Unknown initializer {name!r}.{did_you_mean(name, names)} Expected a Keras "
            f"initializer name, optionally with a scale (e.g. 'he_normal', "
            f"'random_normal:0.01'): {', '.join(names)}. Received: initializer={value!r}"
        )
    if not sep:
        return name
    try:
        amount = float(scale)
    except ValueError:
        amount = math.nan
    scalable = {**SCALED_INITIALIZERS, **dict.fromkeys(VARIANCE_SCALING)}
    if name not in scalable or not (math.isfinite(amount)
                                   and (amount > 0 or name == "constant")):
        raise ValueError(
            f"Bad initializer scale in {text!r}: expected 'name:scale' with a positive number "
            f"and one of {', '.join(scalable)}, e.g. 'random_normal:0.01'. "
            f"Received: initializer={value!r}"
        )
    if name in VARIANCE_SCALING:
        base, mode, distribution = VARIANCE_SCALING[name]
        return keras.initializers.VarianceScaling(scale=base * amount, mode=mode,
                                                  distribution=distribution)
    return SCALED_INITIALIZERS[name](amount)


def kernel_args(initializer="glorot_uniform", regularizer=None) -> dict:
    """Keyword arguments for a Dense/Conv layer: resolved kernel initializer and regularizer."""
    return {"kernel_initializer": resolve_initializer(initializer),
            "kernel_regularizer": resolve_regularizer(regularizer)}


def image_input(input_shape, name: str = "input"):
    """Returns `(inputs, x)` with `x` of shape (batch, H, W, C).

    A (H, W) input gets a channel axis; (H, W, C) passes through.

    Raises:
        ValueError: for inputs that are not 2-D images.
    """
    if len(input_shape) not in (2, 3):
        raise ValueError(
            f"This model needs image inputs of shape (height, width) or (height, width, "
            f"channels). Use a 1-D model (`cnn1d`, `mlp`) for flat data. "
            f"Received: input_shape={tuple(input_shape)}"
        )
    inputs = keras.Input(shape=tuple(input_shape), name=name)
    x = inputs
    if len(input_shape) == 2:
        x = keras.layers.Reshape((*input_shape, 1), name="add_channel")(x)
    return inputs, x


def sequence_input(input_shape, vocab_size=None, embed_dim: int = 32, mask_zero: bool = True,
                   name: str = "input"):
    """Returns `(inputs, x)` with `x` of shape (batch, steps, features).

    Token ids (`vocab_size` given) go through an `Embedding(vocab_size,
    embed_dim, mask_zero=mask_zero)` (0 is padding: pass `mask_zero=False`
    for layers that cannot take a mask, e.g. Conv1D); a flat (T,) signal becomes
    (T, 1); an image (H, W, C) becomes H steps of W*C features; (T, F)
    passes through.

    Raises:
        ValueError: for token inputs that are not (T,) or shapes of rank > 3.
    """
    input_shape = tuple(input_shape)
    if vocab_size:
        if len(input_shape) != 1:
            raise ValueError(
                f"Token inputs must be (sequence_length,) integer ids. "
                f"Received: input_shape={input_shape}, vocab_size={vocab_size}"
            )
        inputs = keras.Input(shape=input_shape, dtype="int32", name=name)
        x = keras.layers.Embedding(int(vocab_size), embed_dim, mask_zero=mask_zero,
                                   name="embedding")(inputs)
        return inputs, x
    if not 1 <= len(input_shape) <= 3:
        raise ValueError(
            f"Sequence models need inputs of shape (steps,), (steps, features) or (height, "
            f"width, channels). Received: input_shape={input_shape}"
        )
    inputs = keras.Input(shape=input_shape, name=name)
    x = inputs
    if len(input_shape) != 2:
        steps = input_shape[0]
        x = keras.layers.Reshape((steps, math.prod(input_shape[1:]) if len(input_shape) > 1
                                  else 1), name="to_sequence")(x)
    return inputs, x


def conv_block(x, filters: int, kernel_size: int, activation="relu", batch_norm=False,
               initializer="glorot_uniform", regularizer=None, strides=1, name="conv"):
    """Conv (1-D or 2-D, from the rank of `x`) -> optional BatchNorm -> activation."""
    conv = keras.layers.Conv2D if len(x.shape) == 4 else keras.layers.Conv1D
    x = conv(filters, kernel_size, strides=strides, padding="same", use_bias=not batch_norm,
             name=name, **kernel_args(initializer, regularizer))(x)
    if batch_norm:
        x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.Activation(activation, name=f"{name}_act")(x)


@keras.saving.register_keras_serializable(package="zoo")
class PositionEmbedding(keras.layers.Layer):
    """Adds a learned embedding of each position to a (batch, steps, dim) input.

    Args:
        sequence_length: Number of positions (steps) of the input.
        initializer: Initializer of the position embeddings. Defaults to
            `"glorot_uniform"`.

    Example:

    >>> x = keras.Input((40, 16))
    >>> y = PositionEmbedding(40)(x)   # same shape, position-aware
    """

    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = int(sequence_length)
        self.initializer = keras.initializers.get(initializer)
        self.supports_masking = True

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            shape=(self.sequence_length, input_shape[-1]), initializer=self.initializer,
            name="embeddings")

    def call(self, inputs):
        return inputs + keras.ops.cast(self.embeddings, inputs.dtype)[None]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "sequence_length": self.sequence_length,
                "initializer": keras.initializers.serialize(self.initializer)}
