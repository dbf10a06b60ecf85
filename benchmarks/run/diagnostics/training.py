"""Keras callbacks and checks of a run's training: timing, divergence, learning rate, target.

- `EpochTimer`: wall time of each epoch, its training part (for samples/s),
  and the time elapsed since `fit` began (for time-to-target).
- `DivergenceMonitor`: a NaN/inf loss ends the run (with
  `keras.callbacks.TerminateOnNaN` stopping mid-epoch) and records the epoch.
- `LearningRateLog`: the optimizer's learning rate at the end of every epoch.
- `is_finite`, `reached_target`: checks of logged values.

Each works unchanged on a packed model (K members): the timer and the
learning rate are shared by the pack, and per-member logs go through
`benchmarks.matrix.packing.member_logs`.

Example:

>>> timer = EpochTimer()
>>> model.fit(train, epochs=3, callbacks=[timer])
>>> len(timer.epoch_times)
3
"""

from __future__ import annotations

import math
import time

import keras


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


def is_finite(value) -> bool:
    """Whether a logged value is a finite number (non-numbers count as finite).

    Args:
        value: A float, a tensor scalar, None or anything else a log holds.

    Returns:
        False only for NaN and +/-inf.

    Example:

    >>> is_finite(float("nan")), is_finite(1.0), is_finite(None)
    (False, True, True)
    """
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
        if any(k in logs and not is_finite(logs[k]) for k in self.keys):
            if self.diverged_epoch is None:
                self.diverged_epoch = epoch + 1
            self.model.stop_training = True


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
        if v is not None and is_finite(v) and (v >= value if mode == "max" else v <= value):
            out["epoch"] = i + 1
            out["seconds"] = float(elapsed[i]) if i < len(elapsed) else None
            break
    return out


class LearningRateLog(keras.callbacks.Callback):
    """The optimizer's learning rate at the end of every epoch (schedules included).

    A pack of several cells (`benchmarks.matrix.packing.cells`) has one
    optimizer per cell: its model's `member_learning_rates()` gives each
    member's.

    Attributes:
        values: One float per epoch (the first member's in a pack of cells).
    """

    def on_train_begin(self, logs=None):
        self.values, self._members = [], []

    def on_epoch_end(self, epoch, logs=None):
        rates = getattr(self.model, "member_learning_rates", None)
        if rates is not None:
            self._members.append([float(keras.ops.convert_to_numpy(lr)) for lr in rates()])
            self.values.append(self._members[-1][0])
            return
        lr = self.model.optimizer.learning_rate
        self.values.append(float(keras.ops.convert_to_numpy(lr)))

    def member_values(self, i: int) -> list:
        """Member i's learning rate per epoch (the shared one outside a pack of cells)."""
        if getattr(self, "_members", None):
            return [epoch[i] for epoch in self._members]
        return list(getattr(self, "values", []))
