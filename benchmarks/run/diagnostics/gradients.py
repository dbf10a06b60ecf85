"""Per-layer gradient norms on a fixed batch, for one model or K packed members.

The L2 norm of the loss gradient w.r.t. each Dense/Conv/RNN kernel (all of
a layer's kernels together, e.g. kernel and recurrent kernel of a GRU), on
one FIXED batch at the end of every epoch, in inference mode so dropout
noise does not blur it. Layers are listed input side first, so
`norms[first] / norms[last]` is the vanishing-gradient ratio of claim C2.

On a packed model (`members=K`: inputs and outputs `(batch, K, ...)`, each
kernel stacked `(K, ...)`), the loss is the sum of the members' losses, so
the gradient w.r.t. a stacked kernel is, slice by slice, each member's own
gradient: one backward pass gives the K members' norms.

On JAX and PyTorch the same numbers come from `jax.grad` over
`model.stateless_call` and `torch.autograd.grad` (`other_backends`).

Example:

>>> grads = GradientNorms(x[:128], y[:128], loss)
>>> model.fit(train, epochs=3, callbacks=[grads])
>>> grads.history[0]["dense_0"]  # member 0 (the model): three floats
"""

from __future__ import annotations

import math

import keras

from benchmarks.run.diagnostics.layers import (display_name, layer_kernels, member_slot,
                                               stack_members, walk_layers)


class GradientProbe:
    """Measures per-layer gradient norms of a model on a fixed batch.

    Args:
        model: A built model (plain, or packed with `members` stacked members).
        x: Inputs of the fixed batch (numpy array or dict of arrays), as ONE
            model takes them (they are stacked for a packed model).
        y: Targets of the fixed batch, as the loss expects them.
        loss: `(y_true, y_pred) -> per-example losses`; for a packed model,
            the pack's loss (the members' losses summed, e.g.
            `benchmarks.matrix.packing.packed_loss`).
        members: K for a packed model, None for a plain one. Defaults to None.
        dead: A `DeadUnitProbe` of the same model and inputs to fuse with
            (its activations come from the same forward pass). Defaults to None.

    Example:

    >>> GradientProbe(model, x, y, loss).measure()
    [{'dense_0': 0.41, 'output': 0.93}]
    """

    def __init__(self, model, x, y, loss, members: int | None = None, dead=None):
        import tensorflow as tf

        self.model, self.loss, self.members = model, loss, members
        self.x, self.y = stack_members(x, members), stack_members(y, members)
        layers = [layer for layer in walk_layers(model)
                  if layer.trainable and layer_kernels(layer)]
        self.kernels = [(display_name(layer), layer_kernels(layer)) for layer in layers]
        # Which members each layer serves: all of them, except in a pack of several cells.
        self.slots = [member_slot(layer, members) for layer in layers]
        self.layers = list(dict.fromkeys(name for name, _ in self.kernels))
        self.last_alive, self.dead = None, None
        if keras.backend.backend() != "tensorflow":  # jax.grad / torch.autograd; not fused
            from benchmarks.run.diagnostics.other_backends import squared_norms_fn

            squares = squared_norms_fn(self)
            self._squares = lambda x, y: (squares(x, y), [])
            return
        # Fused with a DeadUnitProbe on the same inputs: one forward pass gives the loss
        # and the probed activations, and one graph call per epoch measures both.
        self.dead = dead if dead is not None and dead.outputs else None
        if self.dead is not None:
            self._fused_model = keras.Model(model.inputs, [*model.outputs, *self.dead.outputs])
        # One graph per run: eager gradients of an RNN cost seconds per epoch.
        # autograph=False: plain Python loops only, and tracing is 5x cheaper (0.06 s vs
        # 0.35 s for an MLP), which is most of the harness's overhead on a short run.
        # Traced once, with the fused CPU kernels (`seeding.fused_cpu_kernels`): half
        # the tracing again, the same numbers.
        function = tf.function(self._squared_norms, reduce_retracing=True, autograph=False)
        self._squares = _TracedOnce(function)

    def _squared_norms(self, x, y):
        import tensorflow as tf

        variables = [v for _, vs in self.kernels for v in vs]
        alive = []
        with tf.GradientTape() as tape:
            if self.dead is None:
                y_pred = self.model(x, training=False)
            else:
                outs = list(self._fused_model(x, training=False))
                n = len(self.model.outputs)
                y_pred = outs[:n] if n > 1 else outs[0]
                alive = self.dead.alive_of(outs[n:])
            value = tf.reduce_mean(tf.cast(self.loss(y, y_pred), "float32"))
        grads = tape.gradient(value, [getattr(v, "value", v) for v in variables])
        out, i = [], 0
        for (_, vs), (_, count) in zip(self.kernels, self.slots):
            out.append(tf.add_n([self._reduce(tf.square(tf.cast(g, "float32")))
                                 for g in grads[i:i + len(vs)] if g is not None]
                                or [tf.zeros(count if self.members else ())]))
            i += len(vs)
        return out, alive

    def _reduce(self, squares):
        """Sum over a kernel, or over all but its member axis (0) in a pack."""
        import tensorflow as tf

        if self.members is None:
            return tf.reduce_sum(squares)
        return tf.reduce_sum(squares, axis=list(range(1, len(squares.shape))))

    def measure_all(self) -> tuple[list, list]:
        """One graph call: each kernel layer's squared norms, and the fused dead-unit probe's
        alive units (empty without one), as numpy arrays."""
        squares, alive = self._squares(self.x, self.y)
        return ([keras.ops.convert_to_numpy(s) for s in squares],
                [keras.ops.convert_to_numpy(a) for a in alive])

    def measure(self) -> list[dict]:
        """`[{layer: norm}]` for the current weights: one dict per member (one if plain)."""
        squares, self.last_alive = self.measure_all()
        out = [{} for _ in range(self.members or 1)]
        for (name, _), (first, count), sq in zip(self.kernels, self.slots, squares):
            for j in range(count):
                out[first + j][name] = _norm(sq if self.members is None else sq[j])
        return out


class _TracedOnce:
    """`function(x, y)`, its graph traced on the first call under `fused_cpu_kernels`."""

    def __init__(self, function):
        self.function, self.concrete = function, None

    def __call__(self, x, y):
        from benchmarks.run.seeding import fused_cpu_kernels

        if self.concrete is None:
            with fused_cpu_kernels():
                self.concrete = self.function.get_concrete_function(x, y)
        return self.function(x, y)


def _norm(square) -> float:
    square = float(square)
    return math.sqrt(square) if math.isfinite(square) else float("nan")


class GradientNorms(keras.callbacks.Callback):
    """Per-layer gradient L2 norm on a fixed batch at the end of every epoch.

    Args:
        x: Inputs of the fixed batch (numpy array or dict of arrays).
        y: Targets of the fixed batch, as the loss expects them.
        loss: The loss function (a Keras loss or callable `(y_true, y_pred)`).
        members: K for a packed model, None for a plain one. Defaults to None.
        fuse_dead_units: Also measure dead units in the same graph call
            (read by `DeadUnits(fused=this callback)`). Defaults to False.

    Attributes:
        layers: Layer names, input side first.
        history: Per member, `{layer name: [norm per epoch]}`.
    """

    def __init__(self, x, y, loss, members: int | None = None, fuse_dead_units: bool = False):
        super().__init__()
        self.x, self.y, self.loss, self.members = x, y, loss, members
        self.fuse_dead_units = fuse_dead_units
        self.layers, self.history, self.dead_probe = [], [{}], None

    def on_train_begin(self, logs=None):
        if self.fuse_dead_units:  # measured with the gradients: see `DeadUnits(fused=...)`
            from benchmarks.run.diagnostics.dead_units import DeadUnitProbe

            self.dead_probe = DeadUnitProbe(self.model, self.x, self.members)
        self.probe = GradientProbe(self.model, self.x, self.y, self.loss, self.members,
                                   dead=self.dead_probe)
        self.layers = self.probe.layers
        self.history = [{name: [] for (name, _), (first, count)
                         in zip(self.probe.kernels, self.probe.slots)
                         if first <= i < first + count} for i in range(self.members or 1)]

    def measure(self) -> list[dict]:
        """`[{layer: norm}]` for the current weights, one dict per member."""
        return self.probe.measure()

    def on_epoch_end(self, epoch, logs=None):
        for history, norms in zip(self.history, self.measure()):
            for name, norm in norms.items():
                history[name].append(norm)
