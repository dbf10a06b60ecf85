"""The members of a pack: per-member losses, metrics, logs and stopping.

- `packed_loss`: the pack's loss, the sum of the members' losses.
- `MemberMeans` (`member_means_class()`): per-member epoch means of the
  loss and metrics, logged as `m{k}_{name}` (`val_m{k}_{name}`).
- `PackedModel` (`packed_model_class()`): a stacked model whose compiled
  loss is the pack's and whose metrics are the members' means.
- `member_logs`: member k's slice of the pack's logs.
- `MemberBookkeeping` (`bookkeeping_class()`): per-member history,
  divergence and early stopping; stops the fit when every member stopped.

Example:

>>> member_logs({"m0_loss": 1.0, "m1_loss": 2.0, "val_m1_loss": 2.5}, 1)
{'loss': 2.0, 'val_loss': 2.5}
"""

from __future__ import annotations

from benchmarks.matrix.packing.stacking import MemberView, member_penalties


def per_example(fn):
    """A loss or metric as `(y_true, y_pred) -> values per example (and member)`."""
    import keras

    if isinstance(fn, keras.losses.Loss):
        return fn.call
    if isinstance(fn, keras.metrics.MeanMetricWrapper):
        return lambda y_true, y_pred: fn._fn(y_true, y_pred, **fn._fn_kwargs)
    return keras.losses.get(fn)


def packed_loss(loss):
    """The pack's loss per example: the sum over members of their losses.

    Keras's losses and accuracy metrics reduce only the last axis, so on a
    `(batch, K, ...)` stack they give one value per example and member in one
    op. Keras averages the sum over the batch: the total is the sum of the
    members' batch-mean losses, and each member's gradient is its own.
    """
    import keras

    values = per_example(loss)

    def total(y_true, y_pred):
        return keras.ops.sum(values(y_true, y_pred), axis=1)

    return total


def member_means_class():
    import keras

    class MemberMeans(keras.metrics.Metric):
        """Per-member epoch means of per-example values, as `{"m{k}_{name}": mean}`.

        Args:
            k: Number of members.
            fns: `{name: (y_true, y_pred) -> (batch, K) values}`.
        """

        def __init__(self, k, fns, **kwargs):
            super().__init__(name="members", **kwargs)
            self.k, self.fns = k, dict(fns)
            self.totals = self.add_variable(shape=(len(self.fns), k), initializer="zeros",
                                            name="totals")
            self.count = self.add_variable(shape=(), initializer="zeros", name="count")

        def update_state(self, y_true, y_pred, sample_weight=None, known=None):
            """`known`: `{name: (batch, K) values}` already computed (the losses)."""
            known = known or {}
            values = [keras.ops.sum(keras.ops.cast(known[name] if name in known else
                                                   fn(y_true, y_pred), "float32"), axis=0)
                      for name, fn in self.fns.items()]
            self.totals.assign_add(keras.ops.stack(values))
            self.count.assign_add(keras.ops.cast(keras.ops.shape(y_true)[0], "float32"))

        def result(self):
            means = self.totals / keras.ops.maximum(self.count, 1.0)
            flat = keras.ops.unstack(keras.ops.reshape(means, (-1,)))  # one op, not K x names
            names = [f"m{i}_{name}" for name in self.fns for i in range(self.k)]
            return dict(zip(names, flat))

        def reset_state(self):
            self.totals.assign(keras.ops.zeros_like(self.totals))
            self.count.assign(0.0)

    return MemberMeans


def packed_model_class():
    import keras

    class PackedModel(keras.Model):
        """A stacked Functional model whose metrics are per-member means."""

        def __init__(self, inputs, outputs, members_metric=None, **kwargs):
            super().__init__(inputs, outputs, **kwargs)
            self.members_metric = members_metric

        def stack_batch(self, data):
            """A batch as the pack takes it: `(x, y)` stacked on axis 1, member k at k.

            Training batches come as the K members' own `(x, y)` batches (their
            pipelines zipped, `PackedMembers.datasets`); evaluation batches as
            one `(x, y)` that every member sees. Stacking here, inside the
            step, and not in a `tf.data` map keeps the pipelines free of
            functions, which a new iterator (Keras makes two per epoch and
            pipeline) would instantiate each time.
            """
            if isinstance(data[0], (tuple, list)):
                return tuple(keras.ops.stack([batch[j] for batch in data], axis=1)
                             for j in range(2))
            k = self.members_metric.k
            return tuple(keras.ops.stack([part] * k, axis=1) for part in data[:2])

        def train_step(self, data):
            return super().train_step(self.stack_batch(data))

        def test_step(self, data):
            return super().test_step(self.stack_batch(data))

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                         training=True):
            """Sum of the members' batch-mean losses; keeps the per-member values."""
            per_member = self.members_metric.fns["loss"](y, y_pred)  # (batch, K)
            if self.losses:  # L1/L2 kernel penalties: each member's own, in its loss
                per_member = per_member + member_penalties(self, self.members_metric.k)
            self._member_losses = per_member  # read by compute_metrics in the same step
            return keras.ops.sum(keras.ops.mean(per_member, axis=0))

        def compute_metrics(self, x, y, y_pred, sample_weight=None):
            known = {"loss": self.__dict__.pop("_member_losses", None)}
            self.members_metric.update_state(y, y_pred,
                                             known={k: v for k, v in known.items()
                                                    if v is not None})
            return self.get_metrics_result()

    return PackedModel


def member_logs(logs: dict, k: int) -> dict:
    """Member k's slice of the pack's logs (`m3_loss` -> `loss`, `val_m3_loss` -> `val_loss`)."""
    out = {}
    for key, value in (logs or {}).items():
        for prefix in ("", "val_"):
            if key.startswith(f"{prefix}m{k}_"):
                out[prefix + key[len(prefix) + len(f"m{k}_"):]] = value
    return out


def bookkeeping_class():
    import keras

    from benchmarks.run.diagnostics import is_finite

    class MemberBookkeeping(keras.callbacks.Callback):
        """Per-member history, divergence and early stopping; stops when all stopped.

        Args:
            k: Number of members.
            early_stopping: Keyword arguments of `keras.callbacks.EarlyStopping`
                (or None for no early stopping).

        Attributes:
            histories: Per member, `{metric: [value per epoch]}` up to its stop.
            stopped: Per member, the 1-based epoch it stopped at (early
                stopping or divergence), or None.
            diverged: Per member, the 1-based epoch its loss became non-finite, or None.
        """

        def __init__(self, k, early_stopping=None):
            super().__init__()
            self.k, self.es_args = k, early_stopping

        def on_train_begin(self, logs=None):
            self.histories = [{} for _ in range(self.k)]
            self.stopped = [None] * self.k         # 1-based last epoch of each member
            self.diverged = [None] * self.k
            self.stop_weights = [None] * self.k
            self.views = [MemberView(self.model, i, self.k) for i in range(self.k)]
            self.stoppers = []
            if self.es_args is not None:
                for view in self.views:
                    es = keras.callbacks.EarlyStopping(**self.es_args)
                    if es.mode == "auto" and "loss" not in es.monitor:
                        es.mode = "max" if "acc" in es.monitor else "min"
                    es.set_model(view)
                    es.on_train_begin()
                    self.stoppers.append(es)

        def on_epoch_end(self, epoch, logs=None):
            for i in range(self.k):
                if self.stopped[i] is not None:
                    continue
                mine = member_logs(logs, i)
                for key, value in mine.items():
                    self.histories[i].setdefault(key, []).append(float(value))
                if not all(is_finite(mine.get(key)) for key in ("loss", "val_loss")):
                    self.diverged[i] = epoch + 1
                    self._stop(i, epoch)
                    continue
                if self.stoppers:
                    self.stoppers[i].on_epoch_end(epoch, mine)
                    if self.views[i].stop_training:
                        self._stop(i, epoch)
            if all(s is not None for s in self.stopped):
                self.model.stop_training = True

        def _stop(self, i, epoch):
            self.stopped[i] = epoch + 1
            self.stop_weights[i] = self.views[i].get_weights()

        def on_train_end(self, logs=None):
            """Puts each member back at its stopping point, then restores best weights."""
            for i in range(self.k):
                if self.stop_weights[i] is not None:
                    self.views[i].set_weights(self.stop_weights[i])
                if self.stoppers and self.diverged[i] is None:
                    self.stoppers[i].on_train_end()

        def evaluated_epoch(self, i: int, epochs_run: int) -> int:
            es = self.stoppers[i] if self.stoppers else None
            if es is not None and es.best_weights is not None:
                return es.best_epoch + 1
            return epochs_run

    return MemberBookkeeping
