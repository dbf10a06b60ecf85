"""Convolutional models: a plain 2-D CNN, a 1-D CNN for signals, a small ResNet.

Convolutions use "same" padding and pool only while the feature map stays at
least 2 wide, so the same builder serves 8x8 digits and 32x32x3 images.

Example:

>>> from zoo.models import build
>>> from zoo.datasets import load
>>> model = build("cnn", load("digits").spec, depth=2, filters=8, batch_norm=True)
"""

from __future__ import annotations

from zoo.models import MODELS

CONV_AXES = ("activation", "initializer", "dropout", "regularizer", "depth", "filters",
             "kernel_size", "width", "batch_norm")
CONV_DEFAULTS = {"depth": 2, "filters": 16, "kernel_size": 3, "width": 64,
                 "activation": "relu", "initializer": "glorot_uniform", "dropout": 0.0,
                 "regularizer": None, "batch_norm": False}


def _conv_stack(inputs, x, num_outputs, task, depth, filters, kernel_size, width, activation,
                initializer, dropout, regularizer, batch_norm, name):
    """depth x (conv block, max-pool while the map is >= 2 wide), flatten, dense, head."""
    import keras

    from zoo.models.layers import conv_block, kernel_args, output_head

    pool = keras.layers.MaxPooling2D if len(x.shape) == 4 else keras.layers.MaxPooling1D
    for i in range(int(depth)):
        x = conv_block(x, int(filters) * 2 ** i, int(kernel_size), activation, batch_norm,
                       initializer, regularizer, name=f"conv_{i}")
        if min(x.shape[1:-1]) >= 2:  # pool while it keeps the map non-empty (8x8 digits)
            x = pool(2, name=f"pool_{i}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout_flat")(x)
    x = keras.layers.Dense(int(width), activation=activation, name="dense",
                           **kernel_args(initializer, regularizer))(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout_dense")(x)
    return keras.Model(inputs, output_head(x, num_outputs, task), name=name)


@MODELS.register(
    description="2-D CNN: depth x (Conv2D-[BN]-act-maxpool), filters doubling, Dense head.",
    tasks=("classification", "regression"),
    input_kind="image",
    axes=CONV_AXES,
    defaults=CONV_DEFAULTS,
    tags=("conv", "image"),
    reference="LeCun et al. 1998 (LeNet-style); 'same' padding and pooling only while the "
              "map is >= 2 pixels wide, so 8x8 digits, 28x28x1 and 32x32x3 images all work",
    extra={"default_dataset": "digits"},
)
def cnn(input_shape, num_outputs, task="classification", depth=2, filters=16, kernel_size=3,
        width=64, activation="relu", initializer="glorot_uniform", dropout=0.0,
        regularizer=None, batch_norm=False):
    """2-D CNN for (H, W) or (H, W, C) images."""
    from zoo.models.layers import image_input

    inputs, x = image_input(input_shape)
    return _conv_stack(inputs, x, num_outputs, task, depth, filters, kernel_size, width,
                       activation, initializer, dropout, regularizer, batch_norm, "cnn")


@MODELS.register(
    description="1-D CNN for signals: depth x (Conv1D-[BN]-act-maxpool), Dense head.",
    tasks=("classification", "regression"),
    input_kind="sequence",
    axes=CONV_AXES,
    defaults={**CONV_DEFAULTS, "kernel_size": 5},
    tags=("conv", "sequence"),
    reference="1-D convolution over time (e.g. Greydanus 2020 on MNIST-1D); a flat (L,) "
              "input is reshaped to (L, 1) inside the model; token ids are embedded",
    extra={"default_dataset": "mnist1d"},
)
def cnn1d(input_shape, num_outputs, task="classification", vocab_size=None, depth=2,
          filters=16, kernel_size=5, width=64, activation="relu", initializer="glorot_uniform",
          dropout=0.0, regularizer=None, batch_norm=False):
    """1-D CNN for (L,) or (L, C) signals, or (L,) token ids (embedded in `filters` dims)."""
    from zoo.models.layers import sequence_input

    inputs, x = sequence_input(input_shape, vocab_size, embed_dim=int(filters), mask_zero=False)
    return _conv_stack(inputs, x, num_outputs, task, depth, filters, kernel_size, width,
                       activation, initializer, dropout, regularizer, batch_norm, "cnn1d")


@MODELS.register(
    description="Small ResNet: conv stem + depth residual blocks (downsampling, filters "
                "doubling), global average pooling.",
    tasks=("classification", "regression"),
    input_kind="image",
    axes=("activation", "initializer", "dropout", "regularizer", "depth", "filters",
          "kernel_size", "batch_norm"),
    defaults={"depth": 2, "filters": 16, "kernel_size": 3, "activation": "relu",
              "initializer": "he_normal", "dropout": 0.0, "regularizer": None,
              "batch_norm": True},
    tags=("conv", "image", "residual"),
    reference="He et al. 2016, 'Deep Residual Learning for Image Recognition' (basic "
              "block, post-activation, 1x1 projection shortcut when the shape changes)",
    extra={"default_dataset": "digits"},
)
def resnet_small(input_shape, num_outputs, task="classification", depth=2, filters=16,
                 kernel_size=3, activation="relu", initializer="he_normal", dropout=0.0,
                 regularizer=None, batch_norm=True):
    """Residual blocks: block i > 0 halves the map (while >= 4 wide) and doubles filters."""
    import keras

    from zoo.models.layers import (conv_block, image_input, kernel_args,
                                   output_head)

    inputs, x = image_input(input_shape)
    x = conv_block(x, int(filters), int(kernel_size), activation, batch_norm, initializer,
                   regularizer, name="stem")
    for i in range(int(depth)):
        strides = 2 if i > 0 and min(x.shape[1:3]) >= 4 else 1
        n = int(filters) * 2 ** i
        y = conv_block(x, n, int(kernel_size), activation, batch_norm, initializer,
                       regularizer, strides=strides, name=f"block{i}_conv_a")
        y = keras.layers.Conv2D(n, int(kernel_size), padding="same", use_bias=not batch_norm,
                                name=f"block{i}_conv_b", **kernel_args(initializer,
                                                                       regularizer))(y)
        if batch_norm:
            y = keras.layers.BatchNormalization(name=f"block{i}_conv_b_bn")(y)
        shortcut = x
        if strides != 1 or x.shape[-1] != n:
            shortcut = keras.layers.Conv2D(n, 1, strides=strides, name=f"block{i}_project",
                                           **kernel_args(initializer, regularizer))(x)
        x = keras.layers.Add(name=f"block{i}_add")([shortcut, y])
        x = keras.layers.Activation(activation, name=f"block{i}_act")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    return keras.Model(inputs, output_head(x, num_outputs, task), name="resnet_small")
