"""Dense models: logistic regression and the multi-layer perceptron."""

from __future__ import annotations

from zoo.domains import Int
from zoo.models import MODELS

MLP_AXES = ("activation", "initializer", "dropout", "regularizer", "depth", "width",
            "batch_norm", "residual")


@MODELS.register(
    description="Logistic / linear regression: a single Dense layer on flattened inputs.",
    tasks=("classification", "regression"),
    input_kind="any",
    axes=("initializer", "regularizer"),
    defaults={"initializer": "glorot_uniform", "regularizer": None},
    tags=("baseline", "mnist1d-paper"),
    reference="Cox 1958; MNIST-1D paper baseline (Greydanus 2020)",
    extra={"default_dataset": "digits"},
)
def logistic(input_shape, num_outputs, task="classification", initializer="glorot_uniform",
             regularizer=None):
    import keras

    from zoo.models.layers import kernel_args, output_head

    inputs = keras.Input(shape=input_shape, name="input")
    x = keras.layers.Flatten()(inputs)
    outputs = output_head(x, num_outputs, task, **kernel_args(initializer, regularizer))
    return keras.Model(inputs, outputs, name="logistic")


@MODELS.register(
    description="Multi-layer perceptron: depth x Dense(width) with optional BN, dropout, "
                "residual (depth 0: logistic regression).",
    tasks=("classification", "regression"),
    input_kind="any",
    axes=MLP_AXES,
    ranges={"depth": Int(min=0)},  # depth 0 is logistic regression (claim C1)
    defaults={"depth": 2, "width": 64, "activation": "relu", "initializer": "glorot_uniform",
              "dropout": 0.0, "regularizer": None, "batch_norm": False,
              "residual": False},
    tags=("baseline", "mnist1d-paper"),
    reference="Rumelhart, Hinton & Williams 1986",
    extra={"default_dataset": "digits"},
)
def mlp(input_shape, num_outputs, task="classification", depth=2, width=64, activation="relu",
        initializer="glorot_uniform", dropout=0.0, regularizer=None, batch_norm=False,
        residual=False):
    import keras

    from zoo.models.layers import kernel_args, output_head

    batch_norm, residual = bool(batch_norm), bool(residual)
    inputs = keras.Input(shape=input_shape, name="input")
    x = keras.layers.Flatten()(inputs)
    for i in range(int(depth)):
        h = keras.layers.Dense(int(width), name=f"dense_{i}",
                               **kernel_args(initializer, regularizer))(x)
        if batch_norm:
            h = keras.layers.BatchNormalization(name=f"bn_{i}")(h)
        h = keras.layers.Activation(activation, name=f"act_{i}")(h)
        if dropout:
            h = keras.layers.Dropout(dropout, name=f"dropout_{i}")(h)
        x = keras.layers.Add(name=f"residual_{i}")([x, h]) if residual and i > 0 else h
    return keras.Model(inputs, output_head(x, num_outputs, task), name="mlp")
