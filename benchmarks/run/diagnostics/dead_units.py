"""Dead ReLU-family units on a fixed probe set, for one model or K packed members.

A unit (a feature, or a channel of a convolution: the last axis) is dead
when its activation's gradient is zero for every probe input, i.e. its
pre-activation is <= 0 everywhere for relu (relu6 and hard_silu likewise
die where their output is 0). leaky_relu, elu, selu, gelu, silu/swish and
celu have a non-zero gradient for every input, so their units are never
dead by construction: they record 0.0 without measuring (and a note saying
so). Non-ReLU-family activations (sigmoid, tanh, linear, ...) record None.

On a packed model (`members=K`), each probed output is `(batch, K, ...,
units)`: a unit is dead for member k when its slice k is 0 for every probe
input and position.

Example:

>>> DeadUnitProbe(model, x_probe).measure()
[(0.125, {'dense_0': 0.25, 'dense_1': 0.0})]
"""

from __future__ import annotations

import keras
import numpy as np

from benchmarks.run.diagnostics.layers import (activation_name, display_name, member_slot,
                                               stack_members, walk_layers)

# Activations whose gradient is exactly zero on a region: units can die.
CAN_DIE = ("relu", "relu6", "hard_silu", "hard_swish")
# ReLU-family activations with a non-zero gradient everywhere: never dead.
NEVER_DEAD = ("leaky_relu", "elu", "selu", "gelu", "silu", "swish", "celu")
NEVER_DEAD_NOTE = ("{names}: gradient is non-zero for every input, so units are never "
                   "dead by construction (recorded as 0.0, not measured)")


class DeadUnitProbe:
    """Measures the dead fraction of a model's ReLU-family units on probe inputs.

    Args:
        model: A built Functional model (plain, or packed with `members` members).
        x: Probe inputs (numpy array or dict of arrays) as ONE model takes
            them, e.g. 256 training examples (stacked for a packed model).
        members: K for a packed model, None for a plain one. Defaults to None.

    Attributes:
        note: Explanation when some units are never dead by construction, else None.
    """

    def __init__(self, model, x, members: int | None = None):
        self.members, self.x = members, stack_members(x, members)
        self._probe, self._names, self._never, self.note = None, [], [], None
        outputs = []
        for layer in walk_layers(model):
            act, slot = activation_name(layer), member_slot(layer, members)
            if act in NEVER_DEAD:
                self._never.append((display_name(layer), slot))
            elif act in CAN_DIE:
                try:
                    outputs.append(layer.output)
                    self._names.append((display_name(layer), slot))
                except (AttributeError, ValueError):  # not a graph layer
                    pass
        if self._never:
            names = dict.fromkeys(name for name, _ in self._never)
            self.note = NEVER_DEAD_NOTE.format(names=", ".join(names))
        if outputs:
            try:
                self._probe = keras.Model(model.input, outputs)
            except Exception:  # subclassed / nested models: not measurable, say so
                self._probe, self._names, self._never = None, [], []
                self.note = (f"not measured: {model.name!r} is not a Functional graph from "
                             f"its input (e.g. a GAN or VAE with its own train_step)")
        if self._probe is not None and keras.backend.backend() != "tensorflow":
            from benchmarks.run.diagnostics.other_backends import alive_units_fn

            self._alive = alive_units_fn(self)
        elif self._probe is not None:  # one small graph: an eager probe call costs ~20 ms/epoch
            import tensorflow as tf

            self._alive = tf.function(self._alive_units, autograph=False)

    def _alive_units(self, x):
        """Per probed layer, whether each unit is non-zero for some input: (K, units) / (units,)."""
        outs = self._probe(x, training=False)
        return self.alive_of(outs if isinstance(outs, (list, tuple)) else [outs])

    def alive_of(self, outs: list) -> list:
        """`_alive_units` of the probed layers' outputs (a fused probe computes them)."""
        import tensorflow as tf

        if self.members is None:
            return [tf.reduce_any(tf.reshape(tf.not_equal(out, 0), (-1, out.shape[-1])), axis=0)
                    for out in outs]
        return [tf.reduce_any(tf.not_equal(o, 0), axis=[a for a in range(len(o.shape))
                                                       if a not in (1, len(o.shape) - 1)])
                for o in outs]

    @property
    def outputs(self) -> list:
        """The probed layers' outputs (symbolic), for a probe fused with the gradients'."""
        return list(self._probe.outputs) if self._probe is not None else []

    def measure(self, alive: list | None = None) -> list[tuple]:
        """`[(fraction, {layer: fraction})]` for the current weights, one per member.

        Args:
            alive: The probed layers' alive units, already computed by a
                fused probe (`GradientProbe(..., dead=self)`), or None to
                compute them here.

        The fraction is over all measured units; 0.0 when only never-dead
        activations were found, None when there is no ReLU-family layer.
        """
        k = self.members or 1
        by_layer = [{} for _ in range(k)]
        for name, (first, count) in self._never:
            for i in range(first, first + count):
                by_layer[i][name] = 0.0
        dead, total = [0] * k, [0] * k
        if self._probe is not None:
            alive = self._alive(self.x) if alive is None else alive
            for (name, (first, count)), alive in zip(self._names, alive):
                alive = np.asarray(alive).reshape(count, -1)
                for j in range(count):
                    i = first + j
                    by_layer[i][name] = float(1.0 - alive[j].mean())
                    dead[i] += int((~alive[j]).sum())
                    total[i] += int(alive[j].size)
        return [(dead[i] / total[i] if total[i] else (0.0 if by_layer[i] else None),
                 by_layer[i]) for i in range(k)]


class DeadUnits(keras.callbacks.Callback):
    """Fraction of dead ReLU-family units on a probe set, per epoch and at the end.

    The final value is measured in `on_train_end`, so put this callback after
    `EarlyStopping` (or the pack's per-member bookkeeping) to measure the
    restored weights.

    Args:
        x: Probe inputs (numpy array or dict of arrays), e.g. 256 training examples.
        members: K for a packed model, None for a plain one. Defaults to None.
        fused: The run's `GradientNorms`: its probe then measures the dead
            units in the same graph call as the gradients (one forward pass,
            one trace). Defaults to None.

    Attributes:
        history: Per member, the dead fraction at the end of each epoch.
        final: Per member, `(fraction, {layer: fraction})` at the end of training.
        note: Explanation when units are never dead by construction, else None.
    """

    def __init__(self, x, members: int | None = None, fused=None):
        super().__init__()
        self.x, self.members, self.fused = x, members, fused
        self.history, self.final, self.note = [[]], [(None, {})], None

    def on_train_begin(self, logs=None):
        self.probe = getattr(self.fused, "dead_probe", None) or DeadUnitProbe(
            self.model, self.x, self.members)
        self.note = self.probe.note
        self.history = [[] for _ in range(self.members or 1)]
        self.final = [(None, {}) for _ in range(self.members or 1)]

    def measure(self, fresh: bool = False) -> list[tuple]:
        """`[(fraction, {layer: fraction})]` for the current weights, one per member.

        Args:
            fresh: Measure now even when the fused gradient probe measured
                this epoch (the weights may have been restored since).
        """
        probe = getattr(self.fused, "probe", None)
        if probe is not None and getattr(probe, "dead", None) is self.probe:
            alive = probe.last_alive if not fresh else probe.measure_all()[1]
            return self.probe.measure(alive)
        return self.probe.measure()

    def on_epoch_end(self, epoch, logs=None):
        for history, (fraction, _) in zip(self.history, self.measure()):
            history.append(fraction)

    def on_train_end(self, logs=None):
        self.final = self.measure(fresh=True)
