"""One run and its parts: one cell (a resolved config) x one seed.

The public API, importable from `benchmarks.run`:

- `run_one(config, seed, options=None) -> (status, record, error)`
- `Run(config, seeds, options=None, members=None)`: the one lifecycle
  (`benchmarks.run.lifecycle`) of single runs, packed runs and tuning trials:
  `build()`, `fit(model)`, `execute(model=None)`.
- `OneModel`, `Unsupported` (`benchmarks.run.members`): the members of a
  single run, and what a pack raises when it cannot train a config.
- `prepare_run`, `build_model`, `early_stopping_args` (`benchmarks.run.steps`).

A config's defaults come from the axis table (`zoo.axes.cell_defaults`); one
config is checked without training by `benchmarks.suite.validate_config`.

The parts, one module each: `record` (the record's fields and `measure`),
`optimizers`, `schedules`, `losses`, `inputs` (data and pipeline),
`diagnostics` (callbacks that measure, for one model or K members),
`devices` (strategies, precision, matmul peak), `seeding`, `execution`
(fast execution defaults), `backends` (the Keras backend of a run),
`tensorboard_logs`, `ensemble`, `transfer`.

The names are loaded on first use (PEP 562), so importing a part such as
`benchmarks.run.losses` does not import the lifecycle (nor TensorFlow): the
suite checks (`benchmarks.suite.cell`) import such parts to check names.

Example:

>>> from benchmarks.run import run_one
>>> status, record, error = run_one({"dataset": "digits", "model": "mlp", "epochs": 2}, 0)
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "run_one": "benchmarks.run.lifecycle",
    "Run": "benchmarks.run.lifecycle",
    "OneModel": "benchmarks.run.members",
    "Unsupported": "benchmarks.run.members",
    "prepare_run": "benchmarks.run.steps",
    "build_model": "benchmarks.run.steps",
    "early_stopping_args": "benchmarks.run.steps",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'benchmarks.run' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
