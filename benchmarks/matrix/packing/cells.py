"""Several cells in one graph: `CellPack`, each cell a stack with its own optimizer.

A seed pack (`train.PackedMembers`) stacks the seeds of ONE cell, so its
members share an optimizer, a loss and an architecture. A pack of cells
trains runs of SEVERAL cells of a suite together, as long as they agree on
everything that shapes the data they see (`zoo.axes.sharing_axes` lists
what may differ: optimizer, learning rate, schedule, activation,
initializer, regularizer, dropout, loss, label smoothing, width, depth...).

How: the members are split into *units*, consecutive members of one cell
(its seeds stacked, as in a seed pack; one member per unit when seeds
cannot share a stack, e.g. with dropout). Each unit is stacked onto its
slice of the pack's `(batch, K, ...)` input; the pack's outputs are the
units' `(batch, K_u, ...)` outputs. `CellPackModel.train_step`
differentiates the sum of the members' losses (each gradient is its own
member's) and lets each unit's OWN optimizer (its cell's class, learning
rate, schedule, momentum, weight decay, and its own state and step count)
update the unit's variables. Losses and metrics are each unit's own,
computed on its slice. Early stopping, divergence, gradient norms and dead
units are per member, as in a seed pack (layers remember the members they
serve: `zoo_members`).

Time is shared by every member: a record of a pack of cells says so
(`options["packed"]["cells"] > 1`), and reports keep time-based
comparisons to runs whose timing is their own.

Example:

>>> from benchmarks.matrix.packing import run_packed
>>> configs = [dict(cfg, optimizer="sgd"), dict(cfg, optimizer="adam")]
>>> [r["options"]["packed"]["cells"] for _, r, _ in run_packed(cfg, [0, 0], configs=configs)]
[2, 2]
"""

from __future__ import annotations

from benchmarks.matrix.packing.members import member_means_class, packed_model_class, per_example
from benchmarks.matrix.packing.stacking import stack_models
from benchmarks.matrix.packing.seeds import PackedMembers
from benchmarks.run.members import Unsupported


def units_of(configs: list[dict], stackable: list[bool]) -> list[int]:
    """Sizes of the units: runs of consecutive members of one cell (one member if not stackable).

    Args:
        configs: Each member's config, members of one cell next to each other.
        stackable: Per member, whether its cell's seeds may share a stack.

    Returns:
        The unit sizes, in member order (they sum to the number of members).

    Example:

    >>> units_of([{"a": 1}, {"a": 1}, {"a": 2}], [True, True, True])
    [2, 1]
    """
    sizes = []
    for i, cfg in enumerate(configs):
        if sizes and stackable[i] and configs[i - 1] == cfg and stackable[i - 1]:
            sizes[-1] += 1
        else:
            sizes.append(1)
    return sizes


def _concat(fns: list, sizes: list[int]):
    """`(y_true, [unit outputs]) -> (batch, K)`: unit u's fn on its members, concatenated.

    Each unit's output is passed as the unit computed it: a softmax output
    keeps the logits Keras's cross-entropy reads on TensorFlow, as in the
    member's own run.
    """
    import keras

    def combined(y_true, y_pred):
        outputs = y_pred if isinstance(y_pred, (list, tuple)) else [y_pred]
        parts, first = [], 0
        for fn, n, output in zip(fns, sizes, outputs):
            values = fn(y_true[:, first:first + n], output)
            parts.append(keras.ops.reshape(values, (-1, n)))  # a slice of 1 may be squeezed
            first += n
        return keras.ops.concatenate(parts, axis=1)

    return combined


def _unit_variables(model, sizes: list[int]) -> list[list]:
    """Per unit, the trainable variables of the layers serving its members."""
    from benchmarks.run.diagnostics.layers import member_slot, walk_layers

    firsts = [sum(sizes[:u]) for u in range(len(sizes))]
    out = [[] for _ in sizes]
    for layer in walk_layers(model):
        first, _ = member_slot(layer, sum(sizes))
        if layer.trainable_weights and first in firsts:
            out[firsts.index(first)] += layer.trainable_weights
    return out


def cell_pack_model_class():
    PackedModel = packed_model_class()

    class CellPackModel(PackedModel):
        """A pack of units side by side, each updated by its own optimizer.

        Args:
            inputs, outputs: The pack's Functional graph.
            members_metric: Per-member means (`MemberMeans`).
            unit_optimizers: Per unit, its (built) optimizer.
            unit_sizes: Per unit, its number of members.
        """

        def __init__(self, inputs, outputs, members_metric=None, unit_optimizers=(),
                     unit_sizes=(), **kwargs):
            super().__init__(inputs, outputs, members_metric=members_metric, **kwargs)
            self.unit_variables = []  # per unit, its trainable variables (`_unit_variables`)
            self.unit_optimizers = list(unit_optimizers)
            self.unit_sizes = list(unit_sizes)

        def train_step(self, data):
            import tensorflow as tf

            x, y = self.stack_batch(data)
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(x, y, y_pred, training=True)
            flat = [v for vs in self.unit_variables for v in vs]
            grads = tape.gradient(loss, flat)
            first = 0
            for optimizer, variables in zip(self.unit_optimizers, self.unit_variables):
                optimizer.apply(grads[first:first + len(variables)], variables)
                first += len(variables)
            return self.compute_metrics(x, y, y_pred)

        def member_learning_rates(self) -> list:
            """Each member's current learning rate (its unit's optimizer's)."""
            return [opt.learning_rate for opt, n in zip(self.unit_optimizers, self.unit_sizes)
                    for _ in range(n)]

    return CellPackModel


class CellPack(PackedMembers):
    """The members of several cells in one graph (see `benchmarks.run.members`).

    Its datasets are a seed pack's: the cells of a pack encode labels alike
    (`benchmarks.matrix.planner.pack_key`), so one validation and test
    pipeline serves every member.

    Args:
        sizes: The unit sizes (`units_of`): consecutive members stacked together.
    """

    def __init__(self, sizes: list[int]):
        super().__init__(sum(sizes))
        self.sizes = [int(n) for n in sizes]
        self._probe_loss = None

    def combine(self, run, models: list):
        """The units stacked on their slices of one input, as one compiled `CellPackModel`.

        Raises:
            Unsupported: for an optimizer clipping the gradient norm of a
                stack of several seeds, a layer `stack_models` cannot stack,
                or members whose outputs differ in shape.
        """
        import keras

        k, inputs = self.stacked, None
        outputs, unit_vars, optimizers, losses, metric_fns = [], [], [], [], {}
        first = 0
        for u, n in enumerate(self.sizes):
            members = models[first:first + n]
            for i, model in enumerate(members):
                model.name = f"{model.name}_{first + i}"
            opt = members[0].optimizer
            config = opt.get_config()
            if n > 1 and (config.get("clipnorm") or config.get("global_clipnorm")):
                raise Unsupported("gradient norm clipping couples the seeds of a stack")
            if inputs is None:
                inputs = keras.Input(shape=(k, *members[0].input_shape[1:]), name="packed_input")
            try:
                output = stack_models(members, inputs=inputs[:, first:first + n],
                                      slot=(first, n))
            except ValueError as exc:
                raise Unsupported(str(exc).split(" Set `pack_seeds")[0]) from None
            outputs.append(output)
            unit_vars.append(None)  # filled from the pack's layers below
            optimizers.append(type(opt).from_config(config))
            losses.append(per_example(run.losses[first]))
            for metric in run.metrics[first]:
                metric_fns.setdefault(metric.name, []).append(per_example(metric))
            first += n
        if len({tuple(o.shape[2:]) for o in outputs}) > 1:
            raise Unsupported("the cells' outputs differ in shape")
        if any(len(fns) != len(self.sizes) for fns in metric_fns.values()):
            raise Unsupported("the cells compute different metrics")
        loss = _concat(losses, self.sizes)
        fns = {"loss": loss, **{name: _concat(f, self.sizes) for name, f in metric_fns.items()}}
        self._probe_loss = loss
        packed = cell_pack_model_class()(
            inputs, outputs, name="packed_cells", members_metric=member_means_class()(k, fns),
            unit_optimizers=optimizers, unit_sizes=self.sizes)
        packed.unit_variables = _unit_variables(packed, self.sizes)
        for opt, variables in zip(optimizers, packed.unit_variables):
            opt.build(variables)
        packed.compile(optimizer=keras.optimizers.SGD(), loss=self.probe_loss(None),
                       jit_compile=run.cfg["jit_compile"],
                       steps_per_execution=run.cfg["steps_per_execution"])
        return packed

    def probe_loss(self, loss):
        """The pack's loss per example: the sum of the members' own losses."""
        import keras

        combined = self._probe_loss

        def total(y_true, y_pred):
            return keras.ops.sum(combined(y_true, y_pred), axis=1)

        return total

    def member_options(self, run, i: int) -> dict:
        """`{"packed": {"members", "seeds", "index", "cells"}}`: `cells` > 1 means shared timing."""
        cells = len({repr(sorted(c.items())) for c in run.configs})
        return {"packed": {"members": self.stacked, "seeds": run.seeds, "index": i,
                           "cells": cells}}
