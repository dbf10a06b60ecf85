"""A run's record: its fields, their meaning, and `measure`, which fills them.

`FIELDS` is the one table of the record's keys and their docs: every record
has each of them (None when not measured). `MEASURED_FIELDS` are written by
`measure` once training began, and `EXTRA_FIELDS` only by the runs that use
them. The store (`benchmarks.store`) keeps the record as JSON and imports
`RECORD_KEYS` from here. Importing this module does not import TensorFlow.

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
- `peak_memory_mb` is the run's own peak resident memory, though workers
  are reused: on Linux `reset_peak_memory()` (called when a run starts,
  `Run.prepare`) writes "5" to `/proc/self/clear_refs`, which resets the
  process's high-water mark `VmHWM`, and `measure` reads `VmHWM` from
  `/proc/self/status` (`options["peak_memory_scope"] = "run"`). Where that
  is not possible (macOS, a read-only /proc) it is the process's lifetime
  peak, `ru_maxrss`, and `options["peak_memory_scope"] = "process"`. A
  pack's members share one process: each gets the pack's peak.

Example:

>>> record = empty_record()
>>> sorted(record) == sorted(RECORD_KEYS)
True
"""

from __future__ import annotations

import dataclasses
import math
import resource
import sys
import traceback

TRACEBACK_LINES = 20

FIELDS = {
    "history": 'per-epoch metrics: {"loss": [...], "val_loss": [...], "accuracy": [...], '
               '"learning_rate": [...], ...}',
    "test": '{"loss": x, "accuracy": y, ...} of the evaluated weights (see evaluated_epoch)',
    "best_epoch": "1-based epoch with the lowest finite val_loss",
    "epochs_run": "epochs actually trained",
    "monitor": 'metric of the best epoch, "val_loss"',
    "gen_gap": "train - validation accuracy at the best epoch (classification), "
               "validation - train loss otherwise",
    "gen_gap_loss": "validation - train loss at the best epoch",
    "target": '{"metric", "value", "mode", "epoch", "seconds"} of the first epoch that met '
              "the config's target, or None without a target",
    "wall_time": "seconds of the whole run (prepare + build + fit + evaluate); a pack's",
    "compile_time": "seconds of the first epoch beyond a steady-state epoch",
    "first_epoch_time": "seconds of epoch 1 (includes tracing / compiling)",
    "epoch_times": "seconds per epoch",
    "samples_per_sec": "steady-state training samples per second (epochs >= 2; a pack counts "
                       "all its members' samples)",
    "flops_per_example": "forward + backward FLOPs of one training example",
    "mfu": "achieved FLOP/s / measured matmul peak FLOP/s",
    "params": "trainable parameter count",
    "peak_memory_mb": "peak resident memory of the run (MiB; see options.peak_memory_scope)",
    "grad_norms": '{"layer": [per-epoch gradient L2 norm on a fixed batch]}',
    "grad_layers": "layer names of grad_norms, input side first",
    "dead_fraction": "fraction of dead ReLU-family units at the end (None for other "
                     "activations)",
    "dead_by_layer": '{"layer": fraction of dead units}',
    "diverged_epoch": "first epoch with a NaN/inf loss, or None",
    "device": '"cpu" / "gpu" / "tpu" and the strategy used',
    "host": '{"hostname", "platform", "cpu_count", "cpu_model", "memory_mb", "gpus", '
            '"gpu_models", "gpu_driver", "python", "suite_commit"} (run.devices.host_info)',
    "versions": '{"tensorflow", "keras", "numpy", "zoo", ...}',
    "options": "the execution options in force (jit_compile, steps_per_execution, "
               'batch_size, deterministic, peak_flops, threads, "packed": {...})',
}
MEASURED_FIELDS = {
    "evaluated_epoch": "1-based epoch whose weights the test metrics come from (the best "
                       "epoch under early stopping with restored weights, else the last)",
    "train_times": "seconds of the training part of each epoch",
    "dead_history": "dead fraction at the end of each epoch",
    "dead_note": "why some units are never dead by construction, or None",
}
EXTRA_FIELDS = {
    "error_type": "exception type of a failed run (e.g. MemoryError): what failed, as a value",
    "pretrain": "summary of the pre-training of a transfer run (benchmarks.run.transfer)",
    "test_predictions": "class probabilities of the test split (record_predictions runs)",
    "test_labels": "labels of the test split (record_predictions runs)",
    "generation": "sample quality of a generative run (benchmarks.run.generation): "
                  "classes_covered, coverage, confidence, frechet_distance, collapsed, "
                  "the classifier's test accuracy, and the first 16 samples",
    "not_measured": '{"diagnostic": why it is not measured} where a diagnostic does not apply '
                    "(generative models: grad_norms, dead_fraction)",
}
RECORD_KEYS = tuple(FIELDS)


def empty_record() -> dict:
    """A record with every `FIELDS` key set to None."""
    return dict.fromkeys(FIELDS)


@dataclasses.dataclass
class Measured:
    """What training measured for one member of a run (a single run is one member).

    Attributes:
        history: Per-epoch metrics `{name: [float]}` (Keras `History.history`).
        learning_rates: The learning rate at the end of each epoch.
        evaluated_epoch: 1-based epoch of the weights evaluated, or None for the last.
        diverged_epoch: First 1-based epoch with a non-finite loss, or None.
        last_epoch: The member's last epoch when it stopped before the others
            of its pack (its times and diagnostics are cut there), else None.
        grad_layers: Layer names, input side first.
        grad_norms: `{layer: [norm per epoch]}`.
        dead: `(fraction, {layer: fraction})` at the end of training.
        dead_history: Dead fraction per epoch.
        dead_note: Why units are never dead, or None.
    """

    history: dict
    learning_rates: list = dataclasses.field(default_factory=list)
    evaluated_epoch: int | None = None
    diverged_epoch: int | None = None
    last_epoch: int | None = None
    grad_layers: list = dataclasses.field(default_factory=list)
    grad_norms: dict = dataclasses.field(default_factory=dict)
    dead: tuple = (None, {})
    dead_history: list = dataclasses.field(default_factory=list)
    dead_note: str | None = None


def measure(record: dict, measured: Measured, timer, *, samples: int, flops: int, task: str,
            target: dict | None = None, peak_flops=None, pack_flops: float | None = None
            ) -> None:
    """Fills a record with what training measured (every field but test, params, options).

    Args:
        record: The record to fill (from `empty_record`).
        measured: The member's measurements.
        timer: The run's `EpochTimer` (`epoch_times`, `train_times`,
            `elapsed`), shared by the members of a pack.
        samples: Training examples of one epoch (of all members of a pack).
        flops: Training FLOPs of one example (of one member).
        task: The dataset's task ("classification", ...).
        target: The config's `target`, or None. Defaults to None.
        peak_flops: Measured peak FLOP/s for `mfu`, or None. Defaults to None.
        pack_flops: In a pack whose members differ in size, the members' mean
            FLOPs per example (for `mfu`, with `samples` of all members).
            Defaults to None: `flops`.

    Example:

    >>> measure(record, Measured(history={"loss": [1.0], "val_loss": [1.1]}), timer,
    ...         samples=1000, flops=6000, task="classification")
    >>> record["best_epoch"]
    1
    """
    hist = clean_history(measured.history or {})
    epochs = len(hist.get("loss", []))
    lrs = list(measured.learning_rates)
    if lrs:
        hist["learning_rate"] = lrs[: len(hist.get("loss", lrs))]
    cut = measured.last_epoch
    record["history"], record["epochs_run"], record["monitor"] = hist, epochs, "val_loss"
    record["best_epoch"] = best_epoch(hist, "val_loss")
    record["evaluated_epoch"] = measured.evaluated_epoch or epochs
    record["gen_gap"], record["gen_gap_loss"] = generalization_gaps(hist, record["best_epoch"],
                                                                    task)
    record["target"] = _reached_target(hist, timer.elapsed, target)
    record["epoch_times"], record["train_times"] = timer.epoch_times[:cut], timer.train_times[:cut]
    record.update(throughput(timer.epoch_times, timer.train_times, samples))
    record["flops_per_example"] = flops
    if peak_flops and record["samples_per_sec"]:  # a pack: its members' mean FLOPs
        record["mfu"] = (pack_flops or flops) * record["samples_per_sec"] / float(peak_flops)
    record["grad_layers"] = measured.grad_layers
    record["grad_norms"] = {name: norms[:cut] for name, norms in measured.grad_norms.items()}
    record["dead_fraction"], record["dead_by_layer"] = measured.dead
    record["dead_history"], record["dead_note"] = measured.dead_history[:cut], measured.dead_note
    record["diverged_epoch"] = measured.diverged_epoch
    record["peak_memory_mb"] = peak_memory_mb()
    if isinstance(record.get("options"), dict):
        record["options"]["peak_memory_scope"] = _PEAK["scope"]


def _reached_target(history: dict, elapsed: list, target: dict | None) -> dict | None:
    from benchmarks.run.diagnostics.training import reached_target

    return reached_target(history, elapsed, target)


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


_PEAK = {"scope": "process"}  # "run" once reset_peak_memory succeeded in this process


def reset_peak_memory() -> bool:
    """Starts this process's peak resident memory afresh, so a run measures its own peak.

    On Linux it writes "5" to `/proc/self/clear_refs`, which resets `VmHWM`
    to the current resident size. Elsewhere (or when /proc is read-only)
    nothing can be reset: `peak_memory_mb` is then the process's lifetime
    peak and records say `options["peak_memory_scope"] = "process"`.

    Returns:
        True when the peak was reset.

    Example:

    >>> reset_peak_memory()
    True
    >>> big = numpy.ones(10**8); del big
    >>> peak_memory_mb() > 700
    True
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        _PEAK["scope"] = "process"
        return False
    _PEAK["scope"] = "run"
    return True


def peak_memory_mb() -> float:
    """Peak resident memory in MiB since the last `reset_peak_memory` (else of the process).

    Reads `VmHWM` from `/proc/self/status` where there is one, else
    `getrusage(RUSAGE_SELF).ru_maxrss` (the lifetime peak).

    Example:

    >>> peak_memory_mb() > 0
    True
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
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
