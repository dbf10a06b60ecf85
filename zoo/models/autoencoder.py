"""Autoencoder: an MLP that reconstructs its (flattened) input through a bottleneck.

Example:

>>> from zoo.models import build
>>> from zoo.spec import DatasetSpec
>>> spec = DatasetSpec("digits", "reconstruction", "image", (8, 8, 1), None, 64)
>>> model = build("autoencoder", spec, code_size=8)   # output: 64 linear values
"""

from __future__ import annotations

import math

from zoo.models import MODELS


@MODELS.register(
    description="MLP autoencoder: depth x Dense(width) -> code -> depth x Dense(width) -> "
                "linear reconstruction of the flattened input.",
    tasks=("reconstruction",),
    input_kind="any",
    axes=("depth", "width", "code_size", "activation", "initializer", "regularizer",
          "dropout", "batch_norm"),
    defaults={"depth": 1, "width": 64, "code_size": 16, "activation": "relu",
              "initializer": "glorot_uniform", "regularizer": None, "dropout": 0.0,
              "batch_norm": False},
    tags=("autoencoder", "unsupervised"),
    reference="Hinton & Salakhutdinov 2006, 'Reducing the Dimensionality of Data with Neural "
              "Networks'. Needs a reconstruction spec: output_dim = flattened input size, "
              "targets = flattened inputs",
    extra={"default_dataset": "digits", "default_dataset_options": {"task": "reconstruction"}},
)
def autoencoder(input_shape, num_outputs, task="reconstruction", depth=1, width=64,
                code_size=16, activation="relu", initializer="glorot_uniform",
                regularizer=None, dropout=0.0, batch_norm=False):
    """Encoder and mirrored decoder; the `code` layer is the bottleneck."""
    import keras

    from zoo.models.layers import kernel_args, output_head

    batch_norm = bool(batch_norm)
    size = math.prod(input_shape)
    if task != "reconstruction" or int(num_outputs) != size:
        raise ValueError(
            f"`autoencoder` reconstructs its input: it needs task='reconstruction' and "
            f"output_dim equal to the flattened input size ({size} for input_shape "
            f"{tuple(input_shape)}). Use a reconstruction dataset spec, or a classifier such "
            f"as `mlp` for labels. Received: task={task!r}, output_dim={num_outputs}"
        )

    def dense(x, units, name):
        x = keras.layers.Dense(units, name=name, **kernel_args(initializer, regularizer))(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
        x = keras.layers.Activation(activation, name=f"{name}_act")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"{name}_dropout")(x)
        return x

    inputs = keras.Input(shape=tuple(input_shape), name="input")
    x = keras.layers.Flatten(name="flatten")(inputs)
    for i in range(int(depth)):
        x = dense(x, int(width), f"encoder_{i}")
    x = dense(x, int(code_size), "code")
    for i in range(int(depth)):
        x = dense(x, int(width), f"decoder_{i}")
    return keras.Model(inputs, output_head(x, size, "reconstruction"), name="autoencoder")
