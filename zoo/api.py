"""The Python API: what the `zoo` commands do, as functions returning DataFrames.

>>> import zoo
>>> df = zoo.bench("demo", store="runs/zoo.sqlite", overrides=["epochs=2"])
>>> df.groupby("optimizer")["test_accuracy"].mean()
>>> zoo.report(store="runs/zoo.sqlite", suite="demo")
PosixPath('runs/reports/demo/index.html')
>>> model = zoo.create_model("mlp", input_shape=(64,), num_classes=10, width=32)

A suite may be a path, a built-in name, a dict (the TOML's content), or a
`benchmarks.suite.Suite` built in Python; a model, dataset, optimizer, loss,
schedule or pipeline may be given as a Python callable instead of a name.
Workers are separate processes that import it by `"module:qualname"`, so it
must be a module-level function or class of an importable module (not a
lambda, a nested function, or a function of `__main__`): that is what
"picklable" means here. Everything else (registry names, references such as
`"mypkg.models:build_net"`) works the same from Python and from the command
line, and the commands are thin calls of these functions.
"""

from __future__ import annotations

import pathlib
from typing import Any

DEFAULT_STORE = "runs/zoo.sqlite"
_CODE_AXES = ("model", "dataset", "optimizer", "loss", "schedule", "pipeline")


def reference_of(obj) -> str:
    """The `"module:qualname"` reference of a module-level function or class.

    Raises:
        ValueError: for a lambda, a nested function or one defined in `__main__`,
            which worker processes cannot import.
    """
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
    if not module or module == "__main__" or "<" in qualname:
        raise ValueError(
            f"{obj!r} cannot be sent to worker processes: they import code by "
            f"'module:qualname'. Define it at the top level of a module on PYTHONPATH (not a "
            f"lambda, a nested function or a function of the script you run). "
            f"Received: {qualname or obj!r} in module {module!r}")
    return f"{module}:{qualname}"


def _plain(data: dict) -> dict:
    """A suite dict with callables replaced by their references (recursively, per table)."""
    out = {}
    for key, value in data.items():
        if isinstance(value, dict) and key in ("fixed", "matrix"):
            out[key] = _plain(value)
        elif isinstance(value, list) and key in _CODE_AXES:
            out[key] = [reference_of(v) if callable(v) else v for v in value]
        elif callable(value) and key in _CODE_AXES:
            out[key] = reference_of(value)
        else:
            out[key] = value
    return out


def suites_of(suite, overrides=()) -> list:
    """The validated `Suite`s that `suite` names (path, name, dict, `Suite` or a list of them).

    Raises:
        benchmarks.suite.SuiteError: for a bad suite (every problem listed).
    """
    from benchmarks.suite import Suite, load_suites, suite_from_dict

    if isinstance(suite, (list, tuple)):
        return [s for item in suite for s in suites_of(item, overrides)]
    if isinstance(suite, Suite):
        return [suite]
    if isinstance(suite, dict):
        return [suite_from_dict(_plain(suite), list(overrides))]
    return load_suites(str(suite), list(overrides))


def bench(suite, store: str = DEFAULT_STORE, executor: str = "local",
          workers: int | None = None, address: str | None = None, overrides=(),
          retry_failed: bool = False, tensorboard: bool = False):
    """Runs a suite's matrix (skipping finished runs) and returns its runs as a DataFrame.

    Args:
        suite: A suite file, a built-in name, a dict, a `Suite`, or a list of them.
        store: The results store. Defaults to "runs/zoo.sqlite".
        executor: "local" (worker processes) or "ray". Defaults to "local".
        workers: Parallel runs. Defaults to the executor's choice.
        address: A Ray cluster address (with `executor="ray"`).
        overrides: `--set` strings, e.g. `["epochs=2"]`.
        retry_failed: Run failed runs again. Defaults to False.
        tensorboard: Write TensorBoard logs. Defaults to False.

    Returns:
        A `pandas.DataFrame`, one row per run of the suite(s): `suite`, `run_id`,
        `status`, `seed`, every config axis as a column, every scalar metric
        (`test_accuracy`, `best_epoch`, `wall_time`, ...), as `zoo.results` gives.

    Raises:
        ValueError: for a bad suite or option (nothing is trained then).
    """
    from benchmarks.api import run
    from benchmarks.matrix.driver import suite_run_id

    suites = suites_of(suite, overrides)
    run(suites, store, executor=executor, workers=workers, address=address,
        retry_failed=retry_failed, tensorboard=tensorboard)
    ids = {suite_run_id(s.name, c, seed) for s in suites for c in s.cells() for seed in s.seeds}
    frame = results(store)
    return frame[frame["run_id"].isin(ids)].reset_index(drop=True)


def results(store: str = DEFAULT_STORE, suite: str | None = None):
    """The stored runs as a DataFrame (see `reports.data.load_runs` for the columns).

    Raises:
        FileNotFoundError: when the store does not exist.
        ValueError: for an unknown suite.
    """
    from reports import data

    data.check_suite(store, suite)
    return data.load_runs(store, suite)


def report(store: str = DEFAULT_STORE, suite: str | None = None, out: str | None = None
           ) -> pathlib.Path:
    """Writes the HTML/Markdown/CSV report; returns the path of its main page.

    Returns:
        The suite's `index.html`, or the index of every suite when `suite` is None.
    """
    from reports.cli import DEFAULT_OUT, build

    result = build(store, suite, out or DEFAULT_OUT)
    page = result["index"] if suite is None and result["index"] else result["pages"][
        suite or next(iter(result["pages"]))]
    return pathlib.Path(page)


def tune(space, store: str = DEFAULT_STORE, tuner: str = "random",
         max_trials: int | None = None, overrides=(), directory: str | None = None):
    """Runs a Keras Tuner search over a space; returns its trials as a DataFrame.

    Args:
        space: A space file or built-in name (`tuning/spaces/`).
        store, tuner, max_trials, overrides, directory: As for `zoo tune`.

    Returns:
        A `pandas.DataFrame` of the space's trials (one row per run).
    """
    from tuning.search import run_search
    from tuning.space import load_space

    loaded = load_space(str(space), overrides=list(overrides))
    run_search(loaded, store, tuner=tuner, max_trials=max_trials, directory=directory)
    return results(store, loaded.name)


def create_model(name: str, input_shape, num_classes: int | None = None,
                 task: str = "classification", output_dim: int | None = None, **axes: Any):
    """Builds a registry model (or a referenced one) without a dataset, like `timm.create_model`.

    Args:
        name: A registry name (`zoo models`) or `"module:builder"`.
        input_shape: One example's shape, e.g. `(64,)` or `(8, 8, 1)`.
        num_classes: Classes of a classification model.
        task: "classification", "regression" or "reconstruction"; a generative
            model (`vae`, `gan`) is always built for "generation".
        output_dim: Outputs of a regression model. Defaults to 1 (or the
            flattened input for reconstruction).
        **axes: Model axes (`depth`, `width`, ...), checked against the card.

    Returns:
        An uncompiled `keras.Model`.

    Raises:
        ValueError: for an unknown model, a bad axis, or a classification
            model without `num_classes`.
    """
    import math

    from zoo.models import build
    from zoo.models.generative import GENERATION, is_generative
    from zoo.spec import DatasetSpec

    shape = tuple(int(d) for d in input_shape)
    task = GENERATION if is_generative(name) else task
    if task == "classification":
        if not num_classes or int(num_classes) < 2:
            raise ValueError(f"A classification model needs num_classes >= 2. "
                             f"Received: num_classes={num_classes!r}")
        outputs = int(num_classes)
    else:
        outputs = int(output_dim or (math.prod(shape) if task in ("reconstruction", GENERATION)
                                     else 1))
    kind = "image" if len(shape) == 3 else "sequence" if len(shape) == 2 else "flat"
    spec = DatasetSpec(name="<create_model>", task=task, input_kind=kind, input_shape=shape,
                       num_classes=int(num_classes) if num_classes else None,
                       output_dim=outputs)
    return build(name, spec, **axes)
