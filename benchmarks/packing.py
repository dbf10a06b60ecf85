"""Several seeds of one cell trained together, as one Keras model.

Small models leave most of a CPU idle, and a short run spends most of its
time tracing and dispatching, not multiplying. When a cell's runs differ only
by their seed, `run_packed(config, seeds)` trains the K members as ONE
Keras model: every Dense kernel becomes a stacked `(K, in, out)` kernel used
through one batched `einsum` (`StackedDense`), the loss is the sum of the
members' losses (so each member's gradient is exactly its own), and the
optimizer keeps separate, elementwise state per member. It returns one
`(status, record, error)` per seed, each record as `run_one` would have
written it: its own history, best epoch, early stopping, test metrics,
gradient norms and dead units.

Why stacked kernels: the alternative, K sub-models as K outputs of one
Functional model with per-output losses, was measured side by side on 8
MLPs on digits: its first epoch took 19 s (tracing K sub-graphs, K losses,
2K metrics) against 3.2 s for the stack, with similar steady epochs. The
per-member losses and metrics are likewise computed in one op over the
member axis (`packed_loss`, `MemberMeans`), not once per member.

What is shared and what is not:

- Weights: each member is built with `seed_everything(seed)`, exactly as
  `run_one` builds it, and its weights are copied into the stack.
- Batch order: NOT shared. Member k's training batches come from its own
  `tf.data` pipeline, shuffled with its own seed as in `run_one`, and the K
  batches are stacked. So a packed member follows the same trajectory as the
  unpacked run of the same seed (up to floating-point summation order; see
  tests/test_packing.py), and its record can stand in for it.
- Early stopping and divergence are per member: a member that stops (or
  diverges) keeps training in the pack until every member stopped, but its
  history, gradient norms and weights are cut at its own stopping epoch
  (best weights restored as `keras.callbacks.EarlyStopping` does).
- Time is shared: `wall_time`, `epoch_times`, `first_epoch_time` and target
  seconds measure the whole pack; `samples_per_sec` and `mfu` count the
  samples of all K members (what the machine did). `options["packed"]`
  records `{"members": K, "seeds": [...]}` so reports can tell.

Falls back to separate `run_one` calls (`unpackable_reason` says why) for
models with layers other than Flatten/Dense/Activation/Add/Reshape (e.g.
BatchNormalization, convolutions, RNNs), dropout (its masks would come from
one stream), kernel regularizers (the per-member loss would need its own
penalty), optimizers whose update couples members (`clipnorm`,
`global_clipnorm`, Adafactor), mixed precision, distribution strategies,
augmenting pipelines and TensorBoard logging.

Example:

>>> from benchmarks.packing import run_packed
>>> results = run_packed({"dataset": "digits", "model": "mlp", "epochs": 3}, [0, 1, 2, 3])
>>> [status for status, record, error in results]
['ok', 'ok', 'ok', 'ok']
"""

from __future__ import annotations

import functools
import math
import random
import time

from benchmarks.run_config import RUN_DEFAULTS

# Layers without weights that act on the last axis (or elementwise): valid on a stack.
ELEMENTWISE = ("Activation", "Add", "ReLU", "LeakyReLU", "ELU", "Softmax", "Identity",
               "InputLayer")
COUPLING_OPTIMIZERS = ("adafactor",)
# Registry models made only of layers `stack_models` supports: packed by default.
# Others are packed only when a suite asks (`pack_seeds = true`), and fall back
# to separate runs if a layer cannot be stacked.
PACKABLE_MODELS = ("logistic", "mlp", "mnist1d_mlp")


def unpackable_reason(config: dict, options: dict | None = None) -> str | None:
    """Why a config cannot be packed (from the config alone), or None.

    The model itself is checked when it is built (`stack_models`).
    """
    cfg = {**RUN_DEFAULTS, **config}
    options = options or {}
    if cfg.get("dropout"):
        return "dropout: its masks would come from one random stream for all members"
    reg = cfg.get("regularizer")
    if reg not in (None, "none", "None") and str(reg).split(":")[0] != "none":
        return "kernel regularizer: each member's loss would need its own penalty"
    if cfg.get("batch_norm"):
        return "batch_norm: moving statistics are not stacked"
    if str(cfg.get("optimizer")) in COUPLING_OPTIMIZERS:
        return f"optimizer {cfg['optimizer']!r} factors its state across a stacked kernel"
    if cfg.get("precision") not in (None, "float32"):
        return "mixed precision: loss scaling is shared by the pack"
    if cfg.get("device") not in ("auto", "cpu") or int(cfg.get("replicas") or 1) > 1:
        return "distribution strategies are not packed"
    if (cfg.get("pipeline") or "identity") not in ("identity", "standardize", "minmax"):
        return "pipelines other than identity/standardize/minmax may augment per member"
    if options.get("tensorboard_dir"):
        return "TensorBoard logs are written per run"
    for key in ("record_predictions", "train_classes", "pretrain"):
        if cfg.get(key):
            return f"{key} runs go through their own harness"
    return None


def _stacked_dense_class():
    import keras

    @keras.saving.register_keras_serializable(package="zoo")
    class StackedDense(keras.layers.Layer):
        """K independent Dense layers on a `(batch, K, features)` stack.

        Args:
            members: K, the number of stacked members.
            units: Output features of each member.
            activation: Activation name (applied per member). Defaults to None.
            use_bias: Whether to add a bias. Defaults to True.
        """

        def __init__(self, members, units, activation=None, use_bias=True, **kwargs):
            super().__init__(**kwargs)
            self.members, self.units, self.use_bias = int(members), int(units), use_bias
            self.activation = keras.activations.get(activation)

        def build(self, input_shape):
            k, n_in = self.members, int(input_shape[-1])
            self.kernel = self.add_weight(shape=(k, n_in, self.units), name="kernel",
                                          initializer="zeros")
            self.bias = (self.add_weight(shape=(k, self.units), name="bias",
                                         initializer="zeros") if self.use_bias else None)

        def call(self, x):
            y = keras.ops.einsum("bki,kio->bko", x, self.kernel)
            if self.bias is not None:
                y = y + self.bias
            return self.activation(y)

        def get_config(self):
            return {**super().get_config(), "members": self.members, "units": self.units,
                    "activation": keras.activations.serialize(self.activation),
                    "use_bias": self.use_bias}

    return StackedDense


def stack_models(members: list):
    """One Functional model computing K same-architecture models side by side.

    Args:
        members: K built Functional models of the same architecture.

    Returns:
        A model mapping `(batch, K, *input_shape)` to `(batch, K, *output)`,
        member k's weights copied into slice k of each stacked weight.

    Raises:
        ValueError: for a layer that cannot be stacked (the message names it).
    """
    import keras
    import numpy as np

    StackedDense = _stacked_dense_class()
    k = len(members)
    first = members[0]

    def clone(layer):
        cls = type(layer).__name__
        if cls == "Dense":
            return StackedDense(k, layer.units, activation=layer.activation,
                                use_bias=layer.use_bias, name=layer.name)
        if cls == "Flatten":
            return keras.layers.Reshape((k, -1), name=layer.name)
        if cls == "Reshape":
            return keras.layers.Reshape((k, *layer.target_shape), name=layer.name)
        if cls in ELEMENTWISE and not layer.weights:
            return type(layer).from_config(layer.get_config())
        raise ValueError(
            f"Layer {layer.name!r} ({cls}) cannot be stacked: packing supports Dense, "
            f"Flatten, Reshape and weightless elementwise layers ({', '.join(ELEMENTWISE)}). "
            f"Set `pack_seeds = false` or use a Dense model. Received: layer={cls}")

    inputs = keras.Input(shape=(k, *first.input_shape[1:]), name="packed_input")
    packed = keras.models.clone_model(first, input_tensors=inputs, clone_function=clone)
    packed.name = f"packed_{first.name}"
    for layer in packed.layers:
        if not layer.weights:
            continue
        sources = [m.get_layer(layer.name).get_weights() for m in members]
        layer.set_weights([np.stack(ws) for ws in zip(*sources)])
    return packed


class _MemberView:
    """What `keras.callbacks.EarlyStopping` needs of a model, for one member."""

    def __init__(self, packed, k: int):
        self.packed, self.k, self.stop_training = packed, k, False

    def get_weights(self):  # slice k of each variable, not a copy of the whole pack
        import keras

        return [keras.ops.convert_to_numpy(v.value[self.k]) for v in self.packed.weights]

    def set_weights(self, weights):
        full = self.packed.get_weights()
        for w, mine in zip(full, weights):
            w[self.k] = mine
        self.packed.set_weights(full)


def _per_example(fn):
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

    per_example = _per_example(loss)

    def total(y_true, y_pred):
        return keras.ops.sum(per_example(y_true, y_pred), axis=1)

    return total


def _member_means_class():
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
            self.count.assign_add(keras.ops.cast(keras.ops.shape(y_pred)[0], "float32"))

        def result(self):
            means = self.totals / keras.ops.maximum(self.count, 1.0)
            flat = keras.ops.unstack(keras.ops.reshape(means, (-1,)))  # one op, not K x names
            names = [f"m{i}_{name}" for name in self.fns for i in range(self.k)]
            return dict(zip(names, flat))

        def reset_state(self):
            self.totals.assign(keras.ops.zeros_like(self.totals))
            self.count.assign(0.0)

    return MemberMeans


def _packed_model_class():
    import keras

    class PackedModel(keras.Model):
        """A stacked Functional model whose metrics are per-member means."""

        def __init__(self, inputs, outputs, members_metric=None, **kwargs):
            super().__init__(inputs, outputs, **kwargs)
            self.members_metric = members_metric

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                         training=True):
            """Sum of the members' batch-mean losses; keeps the per-member values."""
            per_member = self.members_metric.fns["loss"](y, y_pred)  # (batch, K)
            self._member_losses = per_member  # read by compute_metrics in the same step
            total = keras.ops.sum(keras.ops.mean(per_member, axis=0))
            if self.losses:
                total = total + keras.ops.sum(self.losses)
            return total

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


def _bookkeeping_class():
    import keras

    from benchmarks.diagnostics import _finite

    class MemberBookkeeping(keras.callbacks.Callback):
        """Per-member history, divergence and early stopping; stops when all stopped.

        Args:
            k: Number of members.
            early_stopping: Keyword arguments of `keras.callbacks.EarlyStopping`
                (or None for no early stopping).
            measure: `() -> (grad norms {layer: [K floats]}, dead {layer: [K floats]})`
                called at the end of each epoch, or None.
        """

        def __init__(self, k, early_stopping=None, measure=None):
            super().__init__()
            self.k, self.es_args, self.measure = k, early_stopping, measure

        def on_train_begin(self, logs=None):
            self.histories = [{} for _ in range(self.k)]
            self.grads = [{} for _ in range(self.k)]
            self.dead = [[] for _ in range(self.k)]
            self.stopped = [None] * self.k         # 1-based last epoch of each member
            self.diverged = [None] * self.k
            self.stop_weights = [None] * self.k
            self.views = [_MemberView(self.model, i) for i in range(self.k)]
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
            diag = self.measure() if self.measure is not None else None
            for i in range(self.k):
                if self.stopped[i] is not None:
                    continue
                mine = member_logs(logs, i)
                for key, value in mine.items():
                    self.histories[i].setdefault(key, []).append(float(value))
                if diag is not None:
                    grads, dead = diag
                    for name, values in grads.items():
                        self.grads[i].setdefault(name, []).append(float(values[i]))
                    self.dead[i].append(dead[i])
                if not all(_finite(mine.get(key)) for key in ("loss", "val_loss")):
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


def _diagnostics(packed, loss, x_probe, y_probe, k: int):
    """`(measure, dead_final)`: per-member gradient norms and dead units on a fixed batch.

    Mirrors `benchmarks.diagnostics.GradientNorms` / `DeadUnits`, with one
    value per member: the gradient of the summed loss w.r.t. a stacked kernel
    is, slice by slice, each member's own gradient.
    """
    import keras
    import numpy as np
    import tensorflow as tf

    from benchmarks import diagnostics as diag

    kernels = diag.kernel_layers(packed)
    variables = [v for _, vs in kernels for v in vs]
    x = tf.constant(np.stack([x_probe] * k, axis=1))
    y = tf.constant(np.stack([y_probe] * k, axis=1))

    @functools.partial(tf.function, autograph=False)
    def grad_norms():
        with tf.GradientTape() as tape:
            y_pred = packed(x, training=False)
            value = tf.reduce_mean(packed_loss(loss)(y, y_pred))
        grads = tape.gradient(value, [getattr(v, "value", v) for v in variables])
        return [tf.reduce_sum(tf.square(g), axis=list(range(1, len(g.shape)))) for g in grads]

    never, names, outputs = [], [], []
    for layer in diag._walk(packed):
        act = diag._activation_name(layer)
        if act in diag.NEVER_DEAD:
            never.append(layer.name)
        elif act in diag.CAN_DIE:
            names.append(layer.name)
            outputs.append(layer.output)
    probe = keras.Model(packed.input, outputs) if outputs else None

    @functools.partial(tf.function, autograph=False)
    def alive_units():  # per layer (K, units): non-zero for some probe input
        outs = probe(x, training=False)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        return [tf.reduce_any(tf.not_equal(o, 0), axis=[a for a in range(len(o.shape))
                                                       if a not in (1, len(o.shape) - 1)])
                for o in outs]

    def dead() -> list[tuple]:
        """Per member: `(fraction, {layer: fraction})`."""
        by_layer = [{name: 0.0 for name in never} for _ in range(k)]
        counts = np.zeros((k, 2))
        if probe is not None:
            for name, alive in zip(names, alive_units()):
                alive = np.asarray(alive)  # (K, units)
                for i in range(k):
                    by_layer[i][name] = float(1.0 - alive[i].mean())
                counts += np.stack([(~alive).sum(axis=1), np.full(k, alive.shape[1])], axis=1)
        fractions = [c[0] / c[1] if c[1] else (0.0 if never else None) for c in counts]
        return list(zip(fractions, by_layer))

    def measure():
        squares = [s.numpy() for s in grad_norms()]
        norms, i = {}, 0
        for name, vs in kernels:
            total = sum(squares[i:i + len(vs)])
            i += len(vs)
            norms[name] = [math.sqrt(t) if math.isfinite(t) else float("nan") for t in total]
        return norms, [f for f, _ in dead()]

    return measure, dead, [name for name, _ in kernels]


class _Unpackable(Exception):
    """The model or optimizer turned out not to allow packing."""


def run_packed(config: dict, seeds: list[int], options: dict | None = None) -> list[tuple]:
    """Trains one cell with several seeds in one graph; one result per seed.

    Args:
        config: A resolved config (as for `benchmarks.run.run_one`).
        seeds: The seeds to train (K members).
        options: Execution options (as for `run_one`).

    Returns:
        A list of `(status, record, error)`, in the order of `seeds`. Falls
        back to one `run_one` per seed when the config cannot be packed; the
        records' `options["packed"]` says which happened and why.
    """
    from benchmarks.record import empty_record, format_error
    from benchmarks.run import run_one

    seeds, options = [int(s) for s in seeds], dict(options or {})
    reason = unpackable_reason(config, options) if len(seeds) > 1 else "one seed"
    if reason is None:
        start = time.perf_counter()
        records = [empty_record() for _ in seeds]
        try:
            results = _train_packed({**RUN_DEFAULTS, **config}, seeds, options, records)
        except _Unpackable as exc:
            reason = str(exc)
        except Exception as exc:  # like run_one: a run never takes its worker down
            error = format_error(exc)
            results = [("failed", record, error) for record in records]
        if reason is None:
            for _, record, _ in results:
                record["wall_time"] = time.perf_counter() - start
            return results
    out = []
    for seed in seeds:
        status, record, error = run_one(config, seed, options)
        if record is not None and isinstance(record.get("options"), dict):
            record["options"]["packed"] = {"members": 1, "reason": reason}
        out.append((status, record, error))
    return out


def _train_packed(cfg: dict, seeds: list[int], options: dict, records: list[dict]) -> list:
    from benchmarks import inputs, run
    from benchmarks.losses import resolve_loss
    from benchmarks.seeding import seed_everything

    k = len(seeds)
    import numpy as np
    import tensorflow as tf

    # Member 0 exactly as run_one prepares and builds it (devices, clean session,
    # seed, data, resolved execution options); the others re-seed and build the
    # same way, reloading the data only if loading it draws random numbers.
    context = run.prepare_run(cfg, seeds[0], options, records[0])
    deterministic = bool(records[0]["options"].get("deterministic"))
    members, trains, reload = [], [], None
    for i, seed in enumerate(seeds):
        if i:
            seed_everything(seed, deterministic=deterministic)
            if reload is None or reload:
                state = (random.getstate(), np.random.get_state()[1].tobytes())
                inputs.prepare_dataset(cfg)
                reload = state != (random.getstate(), np.random.get_state()[1].tobytes())
        model = run.build_model(cfg, context, records[i])
        model.name = f"{model.name}_{i}"
        members.append(model)
        train, val, test = inputs.make_datasets(context["ds"], context["batch_size"], seed,
                                                context["label_map"], context["augmenter"])
        trains.append(train)  # val / test depend on neither seed: the last member's serve all
    ds, loss, label_map = context["ds"], context["loss"], context["label_map"]
    n_train, device = context["n_train"], records[0]["device"]
    opt_config = members[0].optimizer.get_config()
    if opt_config.get("clipnorm") or opt_config.get("global_clipnorm"):
        raise _Unpackable("gradient norm clipping couples the members")
    try:
        packed = stack_models(members)
    except ValueError as exc:
        raise _Unpackable(str(exc).split(" Set `pack_seeds")[0]) from None
    _, metrics, _ = resolve_loss(cfg["loss"], ds.spec.task, ds.spec.num_classes)
    fns = {"loss": _per_example(loss), **{m.name: _per_example(m) for m in metrics}}
    packed = _packed_model_class()(packed.inputs, packed.outputs, name=packed.name,
                                   members_metric=_member_means_class()(k, fns))
    packed.compile(optimizer=type(members[0].optimizer).from_config(opt_config),
                   loss=packed_loss(loss),
                   jit_compile=cfg["jit_compile"], steps_per_execution=cfg["steps_per_execution"])

    def repeat(x, y):
        return tf.stack([x] * k, axis=1), tf.stack([y] * k, axis=1)

    def stack(*batches):  # member k's batch from its own pipeline, as run_one shuffles it
        return tuple(tf.stack([b[j] for b in batches], axis=1) for j in range(2))

    train = tf.data.Dataset.zip(tuple(trains)).map(stack).prefetch(tf.data.AUTOTUNE)
    x_probe, y_probe = inputs.probe_batch(ds, 256, label_map)
    measure, dead, grad_layers = _diagnostics(packed, loss, np.asarray(x_probe),
                                              np.asarray(y_probe), k)
    from benchmarks import diagnostics as diag

    timer, lr_log = diag.EpochTimer(), diag.LearningRateLog()
    book = _bookkeeping_class()(k, run.early_stopping_args(cfg["early_stopping"]),
                                measure)
    packed.fit(train, validation_data=val.map(repeat), epochs=cfg["epochs"],
               callbacks=[timer, lr_log, book], shuffle=False, verbose=0)
    test_logs = packed.evaluate(test.map(repeat), return_dict=True, verbose=0)
    finals = dead()
    flops = diag.flops_per_example(members[0])  # same architecture for every member
    return [_member_record(records[i], i, cfg, options, book, timer, lr_log, flops,
                           finals[i], test_logs, grad_layers, device, ds, n_train, seeds,
                           records[0]["options"], (records[0]["host"], records[0]["versions"]))
            for i in range(k)]


def _member_record(record, i, cfg, options, book, timer, lr_log, flops, final_dead, test_logs,
                   grad_layers, device, ds, n_train, seeds, base_options, base_host):
    from benchmarks import diagnostics as diag
    from benchmarks import record as rec

    k = len(seeds)
    hist = book.histories[i]
    epochs = len(hist.get("loss", []))
    if lr_log.values:
        hist["learning_rate"] = lr_log.values[:epochs]
    record["options"] = dict(base_options)
    record["options"]["packed"] = {"members": k, "seeds": seeds, "index": i}
    record["host"], record["versions"] = base_host  # measured once, by prepare_run
    record["device"] = device
    record["history"], record["epochs_run"], record["monitor"] = hist, epochs, "val_loss"
    record["best_epoch"] = rec.best_epoch(hist, "val_loss")
    record["evaluated_epoch"] = book.evaluated_epoch(i, epochs)
    record["gen_gap"], record["gen_gap_loss"] = rec.generalization_gaps(
        hist, record["best_epoch"], ds.spec.task)
    record["target"] = diag.reached_target(hist, timer.elapsed, cfg["target"])
    record["epoch_times"], record["train_times"] = (timer.epoch_times[:epochs],
                                                    timer.train_times[:epochs])
    record.update(rec.throughput(timer.epoch_times, timer.train_times, n_train * k))
    record["flops_per_example"] = flops
    peak = options.get("peak_flops")
    if isinstance(peak, (int, float)) and peak and record["samples_per_sec"]:
        record["mfu"] = record["flops_per_example"] * record["samples_per_sec"] / float(peak)
    record["grad_layers"], record["grad_norms"] = grad_layers, book.grads[i]
    record["dead_fraction"], record["dead_by_layer"] = final_dead
    record["dead_history"] = book.dead[i]
    record["diverged_epoch"] = book.diverged[i]
    record["peak_memory_mb"] = rec.peak_memory_mb()
    if book.diverged[i] is not None:
        return "diverged", record, None
    record["test"] = {key: float(v) for key, v in member_logs(test_logs, i).items()}
    return "ok", record, None

