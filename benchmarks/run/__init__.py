"""One run and its parts: one cell (a resolved config) x one seed.

The public API, importable from `benchmarks.run`:

- `run_one(config, seed, options=None) -> (status, record, error)`
- `prepare_run`, `build_model`, `fit_model`, `early_stopping_args`: the steps
  of `run_one` (`benchmarks.run.lifecycle`), also used by tuning trials.
- `validate_config(config)` and `RUN_DEFAULTS` (`benchmarks.run_config`).

The parts, one module each: `record` (the record's fields), `optimizers`,
`schedules`, `losses`, `inputs` (data and pipeline), `diagnostics`
(callbacks that measure), `devices` (strategies, precision, matmul peak),
`seeding`, `execution` (fast execution defaults), `tensorboard_logs`,
`ensemble`, `transfer`.

The names are loaded on first use (PEP 562), so importing a part such as
`benchmarks.run.losses` does not import the lifecycle (nor TensorFlow), and
`benchmarks.run_config` may import the parts it checks names against.

Example:

>>> from benchmarks.run import run_one
>>> status, record, error = run_one({"dataset": "digits", "model": "mlp", "epochs": 2}, 0)
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "run_one": "benchmarks.run.lifecycle",
    "prepare_run": "benchmarks.run.lifecycle",
    "build_model": "benchmarks.run.lifecycle",
    "fit_model": "benchmarks.run.lifecycle",
    "early_stopping_args": "benchmarks.run.lifecycle",
    "validate_config": "benchmarks.run_config",
    "RUN_DEFAULTS": "benchmarks.run_config",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'benchmarks.run' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
