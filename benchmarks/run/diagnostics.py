"""Keras callbacks that measure a run: timing, divergence, gradients, dead units.

- `EpochTimer`: wall time of each epoch, its training part (for samples/s),
  and the time elapsed since `fit` began (for time-to-target).
- `DivergenceMonitor`: a NaN/inf loss ends the run (with
  `keras.callbacks.TerminateOnNaN` stopping mid-epoch) and records the epoch.
- `GradientNorms`: per-layer L2 norm of the loss gradient w.r.t. each
  Dense/Conv/RNN kernel, on one FIXED batch at the end of every epoch
  (inference mode, so dropout noise does not blur it). Layers are listed
  input side first, so `norms[first] / norms[last]` is the vanishing-gradient
  ratio of claim C2.
- `DeadUnits`: fraction of dead units of ReLU-family activations on a fixed
  probe set. A unit (a feature, or a channel of a convolution) is dead when
  its activation's gradient is zero for every probe input, i.e. its
  pre-activation is <= 0 everywhere for relu (relu6 and hard_silu likewise
  die where their output is 0). leaky_relu, elu, selu, gelu,
  silu/swish and celu have a non-zero gradient for every input, so their
  units are never dead by construction: they record 0.0 without measuring
  (and a note saying so). Non-ReLU-family activations (sigmoid, tanh,
  linear, ...) record None.

Example:

>>> timer, grads = EpochTimer(), GradientNorms(x[:128], y[:128], loss)
>>> model.fit(train, epochs=3, callbacks=[timer, grads])
>>> grads.norms["dense_0"]  # three floats
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np

# Activations whose gradient is exactly zero on a region: units can die.
CAN_DIE = ("relu", "relu6", "hard_silu", "hard_swish")
# ReLU-family activations with a non-zero gradient everywhere: never dead.
NEVER_DEAD = ("leaky_relu", "elu", "selu", "gelu", "silu", "swish", "celu")
NEVER_DEAD_NOTE = ("{names}: gradient is non-zero for every input, so units are never "
                   "dead by construction (recorded as 0.0, not measured)")


class EpochTimer(keras.callbacks.Callback):
    """Times each epoch (and its training part) and the time since fit began.

    Put it first in the callback list so other callbacks' epoch-end work is
    not counted in the training time.

    Attributes:
        epoch_times: Seconds of each whole epoch (training + validation).
        train_times: Seconds of each epoch's training part.
        elapsed: Seconds since `fit` began at the end of each epoch.
    """

    def on_train_begin(self, logs=None):
        self.epoch_times, self.train_times, self.elapsed = [], [], []
        self._fit_start = time.perf_counter()
        self._train_end = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._train_end = None

    def on_test_begin(self, logs=None):  # validation of the current epoch begins
        if getattr(self, "_epoch_start", None) is not None and self._train_end is None:
            self._train_end = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self.epoch_times.append(now - self._epoch_start)
        self.train_times.append((self._train_end or now) - self._epoch_start)
        self.elapsed.append(now - self._fit_start)
        self._epoch_start = None


def _finite(value) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


class DivergenceMonitor(keras.callbacks.Callback):
    """Stops training at the first epoch whose loss is NaN or infinite.

    Args:
        keys: Log keys to check. Defaults to ("loss", "val_loss").

    Attributes:
        diverged_epoch: First 1-based epoch with a non-finite loss, or None.
    """

    def __init__(self, keys=("loss", "val_loss")):
        super().__init__()
        self.keys = tuple(keys)
        self.diverged_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if any(k in logs and not _finite(logs[k]) for k in self.keys):
            if self.diverged_epoch is None:
                self.diverged_epoch = epoch + 1
            self.model.stop_training = True


def _walk(model):
    """Layers of a model, nested models expanded, in the model's (topological) order."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _walk(layer)
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
    return [(layer.name, kernels) for layer in _walk(model)
            if layer.trainable and (kernels := layer_kernels(layer))]


class GradientNorms(keras.callbacks.Callback):
    """Per-layer gradient L2 norm on a fixed batch at the end of every epoch.

    Args:
        x: Inputs of the fixed batch (numpy array or dict of arrays).
        y: Targets of the fixed batch, as the loss expects them.
        loss: The loss function (a Keras loss or callable `(y_true, y_pred)`).

    Attributes:
        layers: Layer names, input side first.
        norms: `{layer name: [norm per epoch]}` (the L2 norm over all of the
            layer's kernels, e.g. kernel and recurrent kernel of a GRU).
    """

    def __init__(self, x, y, loss):
        super().__init__()
        self.x, self.y, self.loss = x, y, loss
        self.layers, self.norms = [], {}

    def on_train_begin(self, logs=None):
        import tensorflow as tf

        self._kernels = kernel_layers(self.model)
        self.layers = [name for name, _ in self._kernels]
        self.norms = {name: [] for name in self.layers}
        # One graph per run: eager gradients of an RNN cost seconds per epoch.
        # autograph=False: plain Python loops only, and tracing is 5x cheaper (0.06 s vs
        # 0.35 s for an MLP), which is most of the harness's overhead on a short run.
        self._squares = tf.function(self._squared_norms, reduce_retracing=True,
                                    autograph=False)

    def _squared_norms(self, x, y):
        import tensorflow as tf

        variables = [v for _, vs in self._kernels for v in vs]
        with tf.GradientTape() as tape:
            y_pred = self.model(x, training=False)
            value = tf.reduce_mean(tf.cast(self.loss(y, y_pred), "float32"))
        grads = tape.gradient(value, [getattr(v, "value", v) for v in variables])
        out, i = [], 0
        for _, vs in self._kernels:
            out.append(tf.add_n([tf.reduce_sum(tf.square(tf.cast(g, "float32")))
                                 for g in grads[i:i + len(vs)] if g is not None]
                                or [tf.constant(0.0)]))
            i += len(vs)
        return out

    def measure(self) -> dict:
        """Returns `{layer: norm}` for the current weights."""
        squares = self._squares(self.x, self.y)
        return {name: math.sqrt(float(sq)) if math.isfinite(float(sq)) else float("nan")
                for (name, _), sq in zip(self._kernels, squares)}

    def on_epoch_end(self, epoch, logs=None):
        for name, norm in self.measure().items():
            self.norms[name].append(norm)


def _activation_name(layer) -> str | None:
    """The activation a layer applies, as a lower-case name, or None."""
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


class DeadUnits(keras.callbacks.Callback):
    """Fraction of dead ReLU-family units on a probe set, per epoch and at the end.

    The output of each ReLU-family activation is read on the probe inputs; a
    unit (last axis) of relu, relu6 or hard_silu is dead when its output is
    0 for every probe input and position, the region where its gradient is
    zero (pre-activation <= 0 for relu). The final value is measured in
    `on_train_end`, so put this callback after `EarlyStopping` to measure the
    restored weights.

    Args:
        x: Probe inputs (numpy array or dict of arrays), e.g. 256 training examples.

    Attributes:
        fraction: Dead fraction over all measured units (None: no ReLU-family layer).
        by_layer: `{layer name: fraction}`.
        history: Dead fraction at the end of each epoch.
        note: Explanation when units are never dead by construction, else None.
    """

    def __init__(self, x):
        super().__init__()
        self.x = x
        self.fraction, self.by_layer, self.history, self.note = None, {}, [], None

    def on_train_begin(self, logs=None):
        self._probe, self._names, self._never = None, [], []
        outputs = []
        for layer in _walk(self.model):
            act = _activation_name(layer)
            if act in NEVER_DEAD:
                self._never.append(layer.name)
            elif act in CAN_DIE:
                try:
                    outputs.append(layer.output)
                    self._names.append(layer.name)
                except (AttributeError, ValueError):  # not a graph layer
                    pass
        if self._never:
            self.note = NEVER_DEAD_NOTE.format(names=", ".join(self._never))
        if outputs:
            try:
                self._probe = keras.Model(self.model.input, outputs)
            except Exception:  # subclassed / nested models: not measurable
                self._probe, self._names = None, []
        if self._probe is not None:  # one small graph: an eager probe call costs ~20 ms/epoch
            import tensorflow as tf

            self._alive = tf.function(self._alive_units, autograph=False)

    def _alive_units(self, x):
        """Per probed layer, whether each unit (last axis) is non-zero for some input."""
        import tensorflow as tf

        outs = self._probe(x, training=False)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        return [tf.reduce_any(tf.reshape(tf.not_equal(out, 0), (-1, out.shape[-1])), axis=0)
                for out in outs]

    def measure(self) -> tuple[float | None, dict]:
        """Returns `(fraction, {layer: fraction})` for the current weights."""
        by_layer = {name: 0.0 for name in self._never}
        dead, total = 0, 0
        if self._probe is not None:
            for name, alive in zip(self._names, self._alive(self.x)):
                alive = np.asarray(alive)
                by_layer[name] = float(1.0 - alive.mean())
                dead += int((~alive).sum())
                total += int(alive.size)
        if total:
            return dead / total, by_layer
        return (0.0 if self._never else None), by_layer

    def on_epoch_end(self, epoch, logs=None):
        self.history.append(self.measure()[0])

    def on_train_end(self, logs=None):
        self.fraction, self.by_layer = self.measure()


def flops_per_example(model) -> int:
    """Estimated training FLOPs of one example: 6 x multiply-accumulates.

    Counts the kernels of Dense/Conv/RNN layers: a kernel of `k` weights
    applied at `p` output positions costs `k * p` MACs forward (2 FLOPs
    each), and backward costs twice the forward pass. Biases, activations
    and normalization are ignored (small next to the matmuls), and so are
    the projections inside composite layers such as `MultiHeadAttention`
    (an undercount for transformers).
    """
    macs = 0
    for layer in _walk(model):
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


def reached_target(history: dict, elapsed: list, target: dict | None) -> dict | None:
    """The first epoch (and seconds since fit began) at which a target was met.

    Args:
        history: Per-epoch metrics (`History.history`).
        elapsed: Seconds since fit began at the end of each epoch.
        target: `{"metric": "val_accuracy", "value": 0.9}`, optionally with
            `"mode": "max" | "min"` (default: "min" for losses and errors,
            "max" otherwise), or None.

    Returns:
        `{"metric", "value", "mode", "epoch", "seconds"}` (epoch/seconds None
        when never reached), or None without a target.
    """
    if not target:
        return None
    metric, value = target["metric"], float(target["value"])
    lower = any(s in metric for s in ("loss", "error", "mse", "mae"))
    mode = target.get("mode", "min" if lower else "max")
    out = {"metric": metric, "value": value, "mode": mode, "epoch": None, "seconds": None}
    for i, v in enumerate(history.get(metric, [])):
        if v is not None and _finite(v) and (v >= value if mode == "max" else v <= value):
            out["epoch"] = i + 1
            out["seconds"] = float(elapsed[i]) if i < len(elapsed) else None
            break
    return out


class LearningRateLog(keras.callbacks.Callback):
    """The optimizer's learning rate at the end of every epoch (schedules included).

    Attributes:
        values: One float per epoch.
    """

    def on_train_begin(self, logs=None):
        self.values = []

    def on_epoch_end(self, epoch, logs=None):
        lr = self.model.optimizer.learning_rate
        self.values.append(float(keras.ops.convert_to_numpy(lr)))
