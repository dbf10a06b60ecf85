"""Stored runs as TensorBoard event files: per-epoch scalars and HParams sessions.

Each run becomes the folder `<out>/<suite>/<run_id>/`, laid out as
`keras.callbacks.TensorBoard` lays out a run's logs, so an export and the
logs of `zoo bench --tensorboard` read the same in TensorBoard:

- `train/`: `epoch_<metric>` for each history metric (`epoch_loss`,
  `epoch_accuracy`, `epoch_learning_rate`, ...);
- `validation/`: `epoch_<metric>` for each `val_<metric>` (`epoch_loss`,
  `epoch_accuracy`), so the Scalars dashboard draws train and validation on
  one chart per metric;
- the run folder itself: the HParams session (hparams: the config's values
  and the seed as `benchmarks.run.tensorboard_logs.hparams_of` gives them,
  plus `status`; a session end whose status is success for `ok`/`diverged`
  and failure for `failed`), `test_<metric>` at the evaluated epoch and the
  record's one-number measurements (`wall_time`, `best_epoch`,
  `samples_per_sec`, `params`, `gen_gap`, ...) at step 0, which the HParams
  dashboard lists as metrics beside the per-epoch ones.

Steps are Keras's 0-based epoch indices (step 0 is the first epoch). Epochs
whose value was NaN/inf (stored as null) are left out. An export replaces
the run's folder, so exporting twice leaves one copy (and replaces the logs
`zoo bench --tensorboard` wrote there, if any).

Example:

>>> export_tensorboard(stored_runs("runs/zoo.sqlite", "demo"), "runs/tensorboard")
['runs/tensorboard/demo/b511bcc76311eea0', ...]
$ tensorboard --logdir runs/tensorboard
"""

from __future__ import annotations

import os
import shutil

from benchmarks.export.runs import (
    evaluated_step,
    evaluation_metrics,
    history_by_epoch,
    summary_metrics,
)
from benchmarks.run.tensorboard_logs import hparams_of

DEFAULT_LOG_DIR = os.path.join("runs", "tensorboard")
VALIDATION_PREFIX = "val_"


def run_folder(out: str, run: dict) -> str:
    """`<out>/<suite>/<run_id>`, refusing names that would leave that folder.

    Args:
        out: The log root.
        run: A stored run.

    Returns:
        The run's folder.

    Raises:
        ValueError: for a suite or run id that is empty, `.`/`..` or holds a
            path separator (the export deletes this folder before writing it).
    """
    for name, value in (("suite", run.get("suite")), ("run_id", run.get("run_id"))):
        text = str(value or "")
        if text in ("", ".", "..") or "/" in text or os.sep in text:
            raise ValueError(f"Cannot export a run whose {name} is not a plain folder name: "
                             f"the export writes (and first deletes) <out>/<suite>/<run_id>. "
                             f"Received: {name}={value!r}")
    return os.path.join(out, str(run["suite"]), str(run["run_id"]))


def split_history(record: dict) -> dict[str, dict[str, list]]:
    """`{"train": {...}, "validation": {...}}` of `history_by_epoch`, Keras-style.

    `val_<metric>` goes to `validation` as `<metric>`; every other metric to
    `train`. Folders with no metric are left out.

    Args:
        record: A stored record.

    Returns:
        `{folder: {metric: [(epoch index from 0, value), ...]}}`.

    Example:

    >>> split_history({"history": {"loss": [1.0], "val_loss": [1.2]}})
    {'train': {'loss': [(0, 1.0)]}, 'validation': {'loss': [(0, 1.2)]}}
    """
    out: dict[str, dict[str, list]] = {}
    for name, points in history_by_epoch(record).items():
        if name.startswith(VALIDATION_PREFIX):
            out.setdefault("validation", {})[name[len(VALIDATION_PREFIX):]] = points
        else:
            out.setdefault("train", {})[name] = points
    return out


def _write_scalars(folder: str, scalars: dict[str, list]) -> None:
    import tensorflow as tf

    writer = tf.summary.create_file_writer(folder)
    with writer.as_default():
        for name, points in scalars.items():
            for step, value in points:
                tf.summary.scalar(name, value, step=step)
    writer.close()


def _write_session(folder: str, run: dict) -> None:
    """The HParams session start and end, the test and summary scalars."""
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp
    from tensorboard.plugins.hparams import api_pb2
    from tensorboard.plugins.hparams import summary as hp_summary

    record = run.get("record") or {}
    hparams = {**hparams_of(run.get("config") or {}, run["seed"]), "status": run["status"]}
    status = api_pb2.STATUS_FAILURE if run["status"] == "failed" else api_pb2.STATUS_SUCCESS
    end = hp_summary.session_end_pb(status, end_time_secs=run.get("finished_at"))
    writer = tf.summary.create_file_writer(folder)
    with writer.as_default():
        hp.hparams(hparams, trial_id=run["run_id"], start_time_secs=run.get("started_at"))
        step = evaluated_step(record)
        for name, value in evaluation_metrics(record).items():
            tf.summary.scalar(name, value, step=step)
        for name, value in summary_metrics(record).items():
            tf.summary.scalar(name, value, step=0)
        tf.summary.experimental.write_raw_pb(end.SerializeToString(), step=0)
    writer.close()


def write_run(run: dict, out: str) -> str:
    """Writes one stored run's event files under `out`, replacing any earlier export.

    Args:
        run: A stored run (`Store.runs` gives them).
        out: The log root (`tensorboard --logdir` this folder).

    Returns:
        The run's folder, `<out>/<suite>/<run_id>`.

    Raises:
        ValueError: see `run_folder`.

    Example:

    >>> write_run(run, "runs/tensorboard")
    'runs/tensorboard/demo/b511bcc76311eea0'
    """
    folder = run_folder(out, run)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    _write_session(folder, run)
    for sub, scalars in split_history(run.get("record") or {}).items():
        _write_scalars(os.path.join(folder, sub), {f"epoch_{k}": v for k, v in scalars.items()})
    return folder


def export_tensorboard(runs: list[dict], out: str | None = None) -> list[str]:
    """Writes stored runs as TensorBoard event files with HParams sessions.

    Args:
        runs: Stored runs (e.g. `benchmarks.export.runs.stored_runs(...)`).
        out: The log root. Defaults to `runs/tensorboard`.

    Returns:
        The run folders written, one per run.

    Raises:
        ValueError: see `run_folder`.

    Example:

    >>> export_tensorboard(stored_runs("runs/zoo.sqlite", "demo"))
    ['runs/tensorboard/demo/b511bcc76311eea0', ...]
    """
    out = out or DEFAULT_LOG_DIR
    return [write_run(run, out) for run in runs]
