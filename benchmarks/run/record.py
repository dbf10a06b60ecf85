"""Turning what a run measured into its record (see `benchmarks.store.RECORD_KEYS`).

Conventions:

- `best_epoch` is the 1-based epoch with the lowest finite `val_loss`.
- `gen_gap` is train accuracy - validation accuracy at the best epoch for
  classification, validation loss - train loss otherwise; `gen_gap_loss`
  is validation - train loss at the best epoch.
- `samples_per_sec` is training examples / mean training time of epochs
  >= 2 (epoch 1 when only one epoch ran); `compile_time` is the first
  epoch's time minus the mean steady-state epoch time (0 with one epoch).
- `mfu` is `flops_per_example * samples_per_sec / peak_flops`, None without
  a measured peak.
"""

from __future__ import annotations

import math
import resource
import sys
import traceback

from benchmarks.store import RECORD_KEYS

TRACEBACK_LINES = 20


def empty_record() -> dict:
    """A record with every `RECORD_KEYS` key set to None."""
    return {key: None for key in RECORD_KEYS}


def clean_history(history: dict) -> dict:
    """`{metric: [float per epoch]}` from a Keras `History.history`."""
    return {k: [float(v) for v in vs] for k, vs in history.items()}


def _finite(v) -> bool:
    return v is not None and math.isfinite(v)


def best_epoch(history: dict, monitor: str = "val_loss") -> int | None:
    """1-based epoch with the lowest finite `monitor`, or None."""
    values = history.get(monitor) or []
    finite = [(v, i) for i, v in enumerate(values) if _finite(v)]
    return min(finite)[1] + 1 if finite else None


def generalization_gaps(history: dict, epoch: int | None, task: str) -> tuple:
    """`(gen_gap, gen_gap_loss)` at a 1-based epoch (None when unknown)."""
    if epoch is None:
        return None, None

    def at(key):
        values = history.get(key) or []
        return values[epoch - 1] if len(values) >= epoch else None

    loss_gap = None
    if at("val_loss") is not None and at("loss") is not None:
        loss_gap = at("val_loss") - at("loss")
    if task == "classification" and at("accuracy") is not None and at("val_accuracy") is not None:
        return at("accuracy") - at("val_accuracy"), loss_gap
    return loss_gap, loss_gap


def throughput(epoch_times: list, train_times: list, n_train: int) -> dict:
    """First-epoch time, compile time and steady-state samples/s."""
    if not epoch_times:
        return {"first_epoch_time": None, "compile_time": None, "samples_per_sec": None}
    steady = epoch_times[1:] or epoch_times
    steady_train = train_times[1:] or train_times
    mean_train = sum(steady_train) / len(steady_train)
    return {
        "first_epoch_time": epoch_times[0],
        "compile_time": max(0.0, epoch_times[0] - sum(steady) / len(steady)),
        "samples_per_sec": n_train / mean_train if mean_train > 0 else None,
    }


def peak_memory_mb() -> float:
    """Peak resident memory of this process in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def format_error(exc: BaseException) -> str:
    """`"ExceptionType: message"` plus the tail of the traceback."""
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    text = "".join(lines).rstrip().splitlines()
    tail = text[-TRACEBACK_LINES:]
    if len(text) > TRACEBACK_LINES:  # keep the header so a reader sees it is a tail
        tail = [text[0], "  ..."] + tail
    return f"{type(exc).__name__}: {exc}\n" + "\n".join(tail)
