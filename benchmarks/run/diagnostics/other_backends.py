"""The gradient-norm and dead-unit probes on JAX and PyTorch.

`GradientProbe` and `DeadUnitProbe` compute on TensorFlow with
`tf.GradientTape` inside a `tf.function`; on the other Keras backends they
call the functions made here, which compute the same numbers with the
backend's own tools:

- JAX: `jax.grad` of the loss over `model.stateless_call` (the trainable
  variables as an argument), compiled once per run with `jax.jit`;
- PyTorch: `torch.autograd.grad` of the loss w.r.t. the kernels' tensors;
- dead units: the probe model called on the probe batch (no gradient), the
  "non-zero for some input" reduction in NumPy.

Each returns what the TensorFlow function returns: per kernel layer, the
squared gradient norm (summed over all but the member axis in a pack), and
per probed layer, which units are alive.

Example:

>>> squares = squared_norms_fn(probe)     # probe: a GradientProbe on JAX or PyTorch
>>> [float(s) for s in squares(probe.x, probe.y)]
[0.17, 0.86]
"""

from __future__ import annotations

import keras
import numpy as np


def as_numpy(x):
    """A batch (array, tf.Tensor, or dict of them) as NumPy, which every backend takes."""
    if isinstance(x, dict):
        return {k: as_numpy(v) for k, v in x.items()}
    return np.asarray(x)


def _reduce(squares, members):
    """Sum over a kernel, or over all but its member axis (0) in a pack."""
    if members is None:
        return keras.ops.sum(squares)
    return keras.ops.sum(squares, axis=tuple(range(1, len(squares.shape))))


def _per_layer(kernels, grads, members) -> list:
    out, i = [], 0
    for _, vs in kernels:
        parts = [_reduce(keras.ops.square(keras.ops.cast(g, "float32")), members)
                 for g in grads[i:i + len(vs)] if g is not None]
        out.append(sum(parts[1:], parts[0]) if parts
                   else keras.ops.zeros(() if members is None else (members,)))
        i += len(vs)
    return out


def squared_norms_fn(probe):
    """`(x, y) -> [squared norm per kernel layer]` for a `GradientProbe` on JAX or PyTorch.

    Args:
        probe: The `GradientProbe` (its `model`, `loss`, `kernels`, `members`).

    Returns:
        The function; its results are backend tensors.

    Raises:
        ValueError: on the TensorFlow backend (the probe's own path).
    """
    backend = keras.backend.backend()
    if backend == "jax":
        return _jax_squares(probe)
    if backend == "torch":
        return _torch_squares(probe)
    raise ValueError(f"squared_norms_fn is for the jax and torch backends. "
                     f"Received: backend={backend!r}")


def _jax_squares(probe):
    import jax
    import jax.numpy as jnp

    model, loss = probe.model, probe.loss
    trainable = list(model.trainable_variables)
    index = {id(v): i for i, v in enumerate(trainable)}
    wanted = [index.get(id(v)) for _, vs in probe.kernels for v in vs]

    def value(trainable_values, non_trainable_values, x, y):
        y_pred, _ = model.stateless_call(trainable_values, non_trainable_values, x,
                                         training=False)
        return jnp.mean(jnp.asarray(loss(y, y_pred), "float32"))

    grad = jax.jit(jax.grad(value))

    def squares(x, y):
        grads = grad([v.value for v in trainable],
                     [v.value for v in model.non_trainable_variables],
                     as_numpy(x), as_numpy(y))
        return _per_layer(probe.kernels, [None if i is None else grads[i] for i in wanted],
                          probe.members)

    return squares


def _torch_squares(probe):
    import torch

    model, loss = probe.model, probe.loss
    variables = [v for _, vs in probe.kernels for v in vs]

    def squares(x, y):
        x = keras.tree.map_structure(keras.ops.convert_to_tensor, as_numpy(x))
        y = keras.ops.convert_to_tensor(as_numpy(y))
        y_pred = model(x, training=False)
        value = torch.mean(keras.ops.cast(loss(y, y_pred), "float32"))
        tensors = [v.value for v in variables]
        grads = torch.autograd.grad(value, tensors, allow_unused=True)
        with torch.no_grad():
            return _per_layer(probe.kernels, list(grads), probe.members)

    return squares


def alive_units_fn(probe):
    """`x -> [alive units per probed layer]` for a `DeadUnitProbe` on JAX or PyTorch.

    Args:
        probe: The `DeadUnitProbe` (its probe model `_probe` and `members`).

    Returns:
        The function; its results are NumPy booleans, `(units,)` for a plain
        model and `(K, units)` for a pack.
    """
    def alive(x):
        outs = probe._probe(as_numpy(x), training=False)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        result = []
        for out in outs:
            nonzero = keras.ops.convert_to_numpy(out) != 0
            if probe.members is None:
                result.append(nonzero.reshape(-1, nonzero.shape[-1]).any(axis=0))
            else:
                axes = tuple(a for a in range(nonzero.ndim) if a not in (1, nonzero.ndim - 1))
                result.append(nonzero.any(axis=axes))
        return result

    return alive
