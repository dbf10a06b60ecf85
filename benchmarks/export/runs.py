"""What an exported run is made of: the store rows to export and their parts.

Both exporters (`tensorboard`, `mlflow`) read the same things from a stored
run, so they are derived here once:

- `stored_runs`: the runs of a store (one suite or all), finished and failed
  ones; `running` rows are left out (they have no record yet, and are
  exported by the next export once they finish).
- `history_by_epoch`: the record's `history` as `(step, value)` pairs, with
  Keras's 0-based epoch index as the step (the step `keras.callbacks.
  TensorBoard` and MLflow's Keras autologging use), and the epochs whose value
  was NaN/inf (stored as null) left out.
- `summary_metrics`: the record's one-number measurements (`wall_time`,
  `best_epoch`, `samples_per_sec`, `params`, `gen_gap`, ...): every top-level
  number of the record, so a new measurement is exported without a change here.
- `evaluation_metrics` (`test_<metric>`), `evaluated_step`, `is_packed`,
  `fingerprint`.

Example:

>>> runs = stored_runs("runs/zoo.sqlite", "demo")
>>> history_by_epoch(runs[0]["record"])["loss"]
[(0, 2.31), (1, 2.25)]
"""

from __future__ import annotations

import hashlib
import json
import math
import os

from benchmarks.store import Store
from zoo.registry import did_you_mean


class ExportError(ValueError):
    """Bad input for `zoo export` / `zoo results` (exit code 2)."""


def stored_runs(store_path: str, suite: str | None = None) -> list[dict]:
    """The store's runs to export: every status but `running`.

    Args:
        store_path: The SQLite results store.
        suite: Only this suite. Defaults to None (every suite).

    Returns:
        Run dicts as `Store.runs` returns them (`run_id`, `suite`, `config`,
        `seed`, `status`, `record`, ...), ordered by suite.

    Raises:
        ExportError: if there is no store at `store_path`, or no run of `suite`.

    Example:

    >>> [r["run_id"] for r in stored_runs("runs/zoo.sqlite", "demo")]
    ['b511bcc76311eea0', '4093a5de5759d37c', ...]
    """
    if not os.path.exists(store_path):
        raise ExportError(f"No results store at {store_path}: run `zoo bench SUITE` first "
                          f"(e.g. `zoo bench demo`) or pass --store PATH. "
                          f"Received: --store {store_path}")
    with Store(store_path) as store:
        runs = store.runs(suite)
        names = sorted(r[0] for r in store.conn.execute("SELECT DISTINCT suite FROM runs"))
    if suite is not None and not runs:
        raise ExportError(f"No runs of suite {suite!r} in {store_path}."
                          f"{did_you_mean(suite, names)} Suites in the store: "
                          f"{', '.join(names) or 'none'}. Received: --suite {suite}")
    return [r for r in runs if r["status"] != "running"]


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def history_by_epoch(record: dict) -> dict[str, list[tuple[int, float]]]:
    """`{metric: [(epoch index from 0, value), ...]}` of a record's history.

    Args:
        record: A stored record (its `history` is `{metric: [value per epoch]}`).

    Returns:
        The finite values with their 0-based epoch; metrics with none are left out.

    Example:

    >>> history_by_epoch({"history": {"loss": [1.0, None, 0.5]}})
    {'loss': [(0, 1.0), (2, 0.5)]}
    """
    out = {}
    for name, values in (record.get("history") or {}).items():
        points = [(i, v) for i, v in enumerate(map(_number, values or [])) if v is not None]
        if points:
            out[name] = points
    return out


def summary_metrics(record: dict) -> dict[str, float]:
    """The record's finite top-level numbers (`wall_time`, `best_epoch`, ...).

    Example:

    >>> summary_metrics({"wall_time": 4.9, "monitor": "val_loss", "diverged_epoch": None})
    {'wall_time': 4.9}
    """
    return {k: v for k, v in ((k, _number(v)) for k, v in record.items()) if v is not None}


def evaluation_metrics(record: dict) -> dict[str, float]:
    """`{"test_<metric>": value}` of the record's test evaluation (finite values).

    Example:

    >>> evaluation_metrics({"test": {"accuracy": 0.9, "loss": None}})
    {'test_accuracy': 0.9}
    """
    test = record.get("test") or {}
    return {f"test_{k}": v for k, v in ((k, _number(v)) for k, v in test.items())
            if v is not None}


def evaluated_step(record: dict) -> int:
    """0-based epoch whose weights the test metrics measure (the last one if unknown).

    Example:

    >>> evaluated_step({"evaluated_epoch": 3, "epochs_run": 5})
    2
    """
    epoch = record.get("evaluated_epoch") or record.get("best_epoch") or record.get("epochs_run")
    return max(int(epoch) - 1, 0) if isinstance(epoch, (int, float)) else 0


def is_packed(record: dict) -> bool:
    """Whether the run was trained in a pack with other seeds (`options.packed.members > 1`).

    Example:

    >>> is_packed({"options": {"packed": {"members": 2, "seeds": [0, 1], "index": 0}}})
    True
    """
    packed = (record.get("options") or {}).get("packed")
    if isinstance(packed, dict):
        return (packed.get("members") or 1) > 1
    return isinstance(packed, int) and not isinstance(packed, bool) and packed > 1


def fingerprint(run: dict) -> str:
    """A short hash of what an export shows of a run (status, config, record, error).

    An exporter compares it with the one it stored to skip an unchanged run.

    Example:

    >>> fingerprint(run) == fingerprint({**run, "status": "failed"})
    False
    """
    shown = {k: run.get(k) for k in ("status", "config", "record", "error", "seed", "suite")}
    text = json.dumps(shown, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
