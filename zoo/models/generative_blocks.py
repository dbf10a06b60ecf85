"""Building blocks of the generative models (`vae`, `gan`): encoders, decoders, critics.

Shapes the zoo's data comes in: images `(H, W, C)` (the bundled 8x8 digits)
and signals `(L, C)` (MNIST-1D, 40 x 1). Convolutional parts halve the
spatial size twice on the way down and double it twice on the way up
(DCGAN-style strided convolutions), so every spatial size must be divisible
by 4. Dense parts work on any shape (flattened).

What the data's values are decides the output: images are taken as pixel
intensities in [0, 1] (a Bernoulli likelihood: logits, read through a
sigmoid), anything else as real values (a Gaussian likelihood with unit
variance: linear outputs). `likelihood(shape)` says which.

Imported lazily by the builders (it imports Keras).

Example:

>>> decoder = conv_decoder((8, 8, 1), latent_size=8, filters=16, activation="relu")
>>> decoder.output_shape
(None, 8, 8, 1)
"""

from __future__ import annotations

import math

import keras

LIKELIHOODS = ("bernoulli", "gaussian")


def likelihood(shape) -> str:
    """"bernoulli" for image shapes `(H, W, C)` (pixels in [0, 1]), else "gaussian"."""
    return "bernoulli" if len(tuple(shape)) == 3 else "gaussian"


def spatial_rank(shape, model: str) -> int:
    """1 for signals `(L, C)`, 2 for images `(H, W, C)`, checked for two stride-2 steps.

    Raises:
        ValueError: for another rank, or a spatial size not divisible by 4.
    """
    shape = tuple(int(d) for d in shape)
    if len(shape) not in (2, 3) or any(d % 4 for d in shape[:-1]):
        raise ValueError(
            f"The convolutional {model} needs images (H, W, C) or signals (L, C) whose "
            f"spatial sizes are divisible by 4 (two stride-2 steps), e.g. the 8x8 digits or "
            f"MNIST-1D's 40 x 1 signals. Use variant = \"dense\" (vae) or another dataset. "
            f"Received: input_shape={shape}")
    return len(shape) - 1


def _conv(rank: int, transpose: bool = False):
    if transpose:
        return keras.layers.Conv2DTranspose if rank == 2 else keras.layers.Conv1DTranspose
    return keras.layers.Conv2D if rank == 2 else keras.layers.Conv1D


def conv_down(x, shape, filters: int, activation, name: str):
    """Two stride-2 convolutions (filters, 2 x filters), then flattened."""
    rank = spatial_rank(shape, name)
    for i, f in enumerate((filters, 2 * filters)):
        x = _conv(rank)(f, 3, strides=2, padding="same", name=f"{name}_conv_{i}")(x)
        x = keras.layers.Activation(activation, name=f"{name}_act_{i}")(x)
    return keras.layers.Flatten(name=f"{name}_flatten")(x)


def conv_up(z, shape, filters: int, activation, name: str, batch_norm: bool = False):
    """Dense to a quarter-size map of 2 x filters, then two stride-2 transposed convolutions.

    The last one has the data's channels, no activation and float32 output.
    """
    rank = spatial_rank(shape, name)
    small = tuple(d // 4 for d in shape[:-1])
    x = keras.layers.Dense(math.prod(small) * 2 * filters, name=f"{name}_project")(z)
    if batch_norm:
        x = keras.layers.BatchNormalization(name=f"{name}_project_bn")(x)
    x = keras.layers.Activation(activation, name=f"{name}_project_act")(x)
    x = keras.layers.Reshape((*small, 2 * filters), name=f"{name}_reshape")(x)
    x = _conv(rank, True)(filters, 3, strides=2, padding="same", name=f"{name}_up_0")(x)
    if batch_norm:
        x = keras.layers.BatchNormalization(name=f"{name}_up_0_bn")(x)
    x = keras.layers.Activation(activation, name=f"{name}_up_0_act")(x)
    return _conv(rank, True)(shape[-1], 3, strides=2, padding="same", dtype="float32",
                             name=f"{name}_output")(x)


def dense_stack(x, width: int, activation, name: str, depth: int = 2):
    """`depth` x Dense(width) with the activation."""
    for i in range(depth):
        x = keras.layers.Dense(width, activation=activation, name=f"{name}_dense_{i}")(x)
    return x


def dense_output(x, shape, name: str):
    """Dense to the flattened data size (float32, linear), reshaped to the data's shape."""
    x = keras.layers.Dense(math.prod(shape), dtype="float32", name=f"{name}_output")(x)
    return keras.layers.Reshape(tuple(shape), dtype="float32", name=f"{name}_reshape")(x)


def vae_encoder(shape, latent_size: int, variant: str, width: int, filters: int,
                activation) -> keras.Model:
    """x -> (z_mean, z_log_var), dense or convolutional."""
    inputs = keras.Input(shape=tuple(shape), name="x")
    if variant == "conv":
        h = conv_down(inputs, shape, filters, activation, "encoder")
        h = dense_stack(h, width, activation, "encoder", depth=1)
    else:
        h = dense_stack(keras.layers.Flatten(name="encoder_flatten")(inputs), width,
                        activation, "encoder")
    z_mean = keras.layers.Dense(latent_size, dtype="float32", name="z_mean")(h)
    z_log_var = keras.layers.Dense(latent_size, dtype="float32", name="z_log_var")(h)
    return keras.Model(inputs, [z_mean, z_log_var], name="encoder")


def vae_decoder(shape, latent_size: int, variant: str, width: int, filters: int,
                activation) -> keras.Model:
    """z -> the likelihood's parameters in the data's shape (logits or means)."""
    z = keras.Input(shape=(latent_size,), name="z")
    if variant == "conv":
        out = conv_up(z, shape, filters, activation, "decoder")
    else:
        out = dense_output(dense_stack(z, width, activation, "decoder"), shape, "decoder")
    return keras.Model(z, out, name="decoder")


def gan_generator(shape, latent_size: int, filters: int) -> keras.Model:
    """z -> a sample (DCGAN: batch norm and ReLU; sigmoid for images, linear otherwise)."""
    z = keras.Input(shape=(latent_size,), name="z")
    out = conv_up(z, shape, filters, "relu", "generator", batch_norm=True)
    if likelihood(shape) == "bernoulli":
        out = keras.layers.Activation("sigmoid", dtype="float32", name="generator_pixels")(out)
    return keras.Model(z, out, name="generator")


def gan_discriminator(shape, filters: int) -> keras.Model:
    """x -> one logit "real" (DCGAN: strided convolutions, LeakyReLU(0.2), no batch norm)."""
    inputs = keras.Input(shape=tuple(shape), name="x")
    h = conv_down(inputs, shape, filters, "leaky_relu", "discriminator")  # slope 0.2
    logit = keras.layers.Dense(1, dtype="float32", name="discriminator_logit")(h)
    return keras.Model(inputs, logit, name="discriminator")
