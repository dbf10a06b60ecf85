"""What the diagnostics read of a model: its layers, kernels and activations.

Each function works on a plain Functional model and on a packed one (K
members stacked by `benchmarks.matrix.packing.stack_models`): a stacked
layer has the name, activation and (stacked) kernel of the layer it stands
for.

Example:

>>> [name for name, _ in kernel_layers(model)]
['dense_0', 'dense_1', 'output']
>>> activation_name(model.get_layer("dense_0"))
'relu'
"""

from __future__ import annotations

import keras
import numpy as np


def walk_layers(model):
    """Layers of a model, nested models expanded, in the model's (topological) order.

    Args:
        model: A Keras model.

    Returns:
        A generator of layers (never a nested `keras.Model`).
    """
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from walk_layers(layer)
        else:
            yield layer


def layer_kernels(layer) -> list:
    """Kernel variables of a Dense/Conv layer, or kernel + recurrent kernel of an RNN."""
    kernels = []
    if getattr(layer, "kernel", None) is not None:
        kernels.append(layer.kernel)
    cells = [getattr(layer, "cell", None)]
    for attr in ("forward_layer", "backward_layer"):  # Bidirectional
        cells.append(getattr(getattr(layer, attr, None), "cell", None))
    for cell in cells:
        for attr in ("kernel", "recurrent_kernel"):
            if cell is not None and getattr(cell, attr, None) is not None:
                kernels.append(getattr(cell, attr))
    return kernels


def kernel_layers(model) -> list[tuple[str, list]]:
    """`[(layer name, [kernel variables])]` of trainable Dense/Conv/RNN layers, input first."""
    return [(display_name(layer), kernels) for layer in walk_layers(model)
            if layer.trainable and (kernels := layer_kernels(layer))]


def display_name(layer) -> str:
    """The name of the member's layer a (packed) layer stands for.

    A pack of several cells renames each cell's layers apart
    (`benchmarks.matrix.packing.cells`) and keeps the original name in
    `layer.zoo_name`.
    """
    return getattr(layer, "zoo_name", None) or layer.name


def member_slot(layer, members: int | None) -> tuple[int, int]:
    """`(first member, count)` of the members whose weights a layer holds.

    Args:
        layer: A layer of a plain or packed model.
        members: K of the pack, or None for a plain model.

    Returns:
        `layer.zoo_members` in a pack of several cells (each cell's layers
        serve only its own members), else `(0, K)` (`(0, 1)` if plain).

    Example:

    >>> member_slot(keras.layers.Dense(2), None)
    (0, 1)
    """
    return tuple(getattr(layer, "zoo_members", None) or (0, members or 1))


def activation_name(layer) -> str | None:
    """The activation a layer applies, as a lower-case name, or None.

    Args:
        layer: A Keras layer (an activation layer, or a layer with an
            `activation` argument such as Dense).

    Returns:
        "relu", "leaky_relu", "tanh", ... or None for a layer without one.

    Example:

    >>> activation_name(keras.layers.Dense(4, activation="relu"))
    'relu'
    """
    cls = type(layer).__name__
    if cls == "ReLU":
        slope = float(getattr(layer, "negative_slope", 0.0) or 0.0)
        return "leaky_relu" if slope > 0 else "relu"
    if cls in ("LeakyReLU", "PReLU"):
        return "leaky_relu"
    if cls == "ELU":
        return "elu"
    fn = getattr(layer, "activation", None)
    if fn is None or not callable(fn):
        return None
    name = getattr(fn, "__name__", None) or type(fn).__name__
    return str(name).lower()


def flops_per_example(model) -> int:
    """Estimated training FLOPs of one example: 6 x multiply-accumulates.

    Counts the kernels of Dense/Conv/RNN layers: a kernel of `k` weights
    applied at `p` output positions costs `k * p` MACs forward (2 FLOPs
    each), and backward costs twice the forward pass. Biases, activations
    and normalization are ignored (small next to the matmuls), and so are
    the projections inside composite layers such as `MultiHeadAttention`
    (an undercount for transformers). Call it on one member of a pack.
    """
    macs = 0
    for layer in walk_layers(model):
        kernels = layer_kernels(layer)
        if not kernels:
            continue
        try:
            if getattr(layer, "cell", None) is not None:  # RNN: once per time step
                positions = int(layer.input.shape[1] or 1)
            else:  # Dense: 1 (or per position of a sequence); Conv: per output pixel
                positions = int(np.prod([d or 1 for d in layer.output.shape[1:-1]]))
        except Exception:  # layer used several times or shape unknown
            positions = 1
        macs += sum(int(np.prod(k.shape)) for k in kernels) * positions
    return 6 * macs


def stack_members(x, members: int | None):
    """A probe batch as a model with `members` stacked inputs takes it.

    Args:
        x: A numpy batch (or dict of batches).
        members: K for a packed model (inputs `(batch, K, ...)`), or None
            for a plain model.

    Returns:
        `x` unchanged for a plain model, else `x` repeated K times on axis 1.
    """
    if members is None:
        return x
    if isinstance(x, dict):
        return {k: stack_members(v, members) for k, v in x.items()}
    return np.stack([np.asarray(x)] * int(members), axis=1)
