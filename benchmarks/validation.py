"""Validation of a whole suite before its first run, collecting every problem.

`validate(data, path)` checks the raw TOML data of a suite: fields, types,
registry names (models, datasets, pipelines, with "did you mean"), axes
(known, and accepted by the model), excludes, the cells left after excludes,
and finally `benchmarks.run.validate_config` on every axis value and cell
(optimizer, schedule, loss, activation and initializer names). It raises one
`SuiteError` listing every problem, each line naming the file and the field.

Example:

>>> validate({"name": "x", "dataset": "digits", "model": "mlp", "epochs": 0,
...           "seeds": [0]}, "x.toml")
Traceback (most recent call last):
...
SuiteError: x.toml: epochs: expected a positive integer number of epochs ...
"""

from __future__ import annotations

import numbers
import re
from typing import Any

from benchmarks.suite import (AXES, CONFIG_OPTIONS, FIELDS, MODEL_AXES, RUN_OPTIONS, Suite,
                              SuiteError)
from zoo.registry import did_you_mean

DATASET_PREFIXES = ("tfds", "csv", "parquet")
REGULARIZER_KINDS = ("none", "l1", "l2", "l1_l2")


def known_axes() -> tuple[str, ...]:
    """Harness axes plus every axis some registered model accepts."""
    from zoo.models import MODELS

    model_axes = {a for n in MODELS.names() for a in MODELS.card(n).axes}
    return tuple(AXES) + tuple(sorted(model_axes - set(AXES)))


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def check_value(axis: str, value: Any) -> str | None:
    """Returns what is wrong with one axis value, or None when it is fine."""
    if axis == "batch_size" and not (value == "full" or (_is_int(value) and value >= 1)):
        return "expected an integer >= 1 or \"full\""
    if axis == "learning_rate" and not (_is_number(value) and value > 0):
        return "expected a positive number (omit it for the optimizer's default)"
    if axis == "dropout" and not (_is_number(value) and 0 <= value < 1):
        return "expected a rate in [0, 1)"
    if axis == "weight_decay" and not (_is_number(value) and value >= 0):
        return "expected a number >= 0"
    if axis == "momentum" and not (_is_number(value) and 0 <= value < 1):
        return "expected a momentum in [0, 1) (for optimizers with a `momentum` argument)"
    if axis in ("train_samples", "replicas", "steps_per_execution") and not (
            _is_int(value) and value >= 1) and not (axis == "steps_per_execution"
                                                    and value == "auto"):
        return "expected an integer >= 1" + (' or "auto"' if axis == "steps_per_execution"
                                             else "")
    if axis == "split_seed" and not _is_int(value):
        return "expected an integer"
    if axis == "jit_compile" and not (isinstance(value, bool) or value == "auto"):
        return "expected true, false or \"auto\""
    if axis == "early_stopping" and not (isinstance(value, (bool, dict)) or (
            _is_int(value) and value >= 0)):
        return "expected false, a patience (integer >= 0) or a table of EarlyStopping arguments"
    if axis == "record_predictions" and not isinstance(value, bool):
        return "expected true or false"
    if axis == "train_classes" and not (value is None or (
            isinstance(value, list) and value and all(_is_int(c) for c in value))):
        return "expected a non-empty list of class ids, e.g. [5, 6, 7, 8, 9]"
    if axis == "pretrain" and not (value is False or value is None or isinstance(value, dict)):
        return "expected false or a table such as {classes = [0, 1, 2, 3, 4], epochs = 10}"
    if axis == "target":
        return _check_target(value)
    if axis in ("dataset_options", "pipeline_options") and not isinstance(value, dict):
        return "expected a table of keyword arguments"
    if axis in ("optimizer", "schedule", "loss", "activation", "initializer", "device",
                "precision", "pipeline", "model", "dataset") and not isinstance(value, str):
        return "expected a name (a string)"
    if axis == "regularizer" and value is not None:
        kind, _, strength = str(value).partition(":")
        try:
            float(strength or 0)
        except ValueError:
            kind = None
        if kind not in REGULARIZER_KINDS:
            return (f"expected one of {', '.join(REGULARIZER_KINDS)}, optionally with a "
                    "strength after a colon, e.g. \"l2:1e-4\"")
    return None


def _check_target(value) -> str | None:
    if value is None:
        return None
    if not (isinstance(value, dict) and isinstance(value.get("metric"), str)
            and _is_number(value.get("value")) and set(value) <= {"metric", "value"}):
        return 'expected a table {metric = "val_accuracy", value = 0.9}'
    return None


def _check_name(kind: str, value: str) -> str | None:
    if not isinstance(value, str):
        return "expected a name (a string)"
    if kind == "dataset" and ":" in value:
        prefix = value.partition(":")[0]
        if prefix not in DATASET_PREFIXES:
            return (f"unknown dataset prefix {prefix!r}: expected a registry name or one of "
                    f"{', '.join(p + ':' for p in DATASET_PREFIXES)} followed by a name or path")
        return None
    if kind == "model":
        from zoo.models import MODELS as reg
    elif kind == "dataset":
        from zoo.datasets import DATASETS as reg
    else:
        from zoo.pipelines import PIPELINES as reg
    if value not in reg:
        return (f"unknown {kind} {value!r}.{did_you_mean(value, reg.names())} Expected one of: "
                f"{', '.join(reg.names())} (see `zoo {kind}s`)")
    return None


def _check_harness_name(axis: str, value) -> str | None:
    """Optimizer, schedule and loss names, checked even when other fields are bad."""
    try:
        if axis == "optimizer":
            from benchmarks.optimizers import check_optimizer as check
        elif axis == "schedule":
            from benchmarks.schedules import check_schedule as check
        elif axis == "loss":
            from benchmarks.losses import check_loss as check
        else:
            return None
    except ImportError:  # pragma: no cover - the run modules are built alongside
        return None
    try:
        check(value)
    except ValueError as e:
        return str(e)
    return None


class _Errors(list):
    def __init__(self, path):
        super().__init__()
        self.path = path
        self.soft = []  # problems that do not stop the checks that follow

    def harden(self) -> None:
        """Adds the soft problems to the list."""
        for where, message in self.soft:
            self.add(where, message)
        self.soft = []

    def add(self, where: str, message: str) -> None:
        line = f"{self.path}: {where}: {message}"
        if line not in self:
            self.append(line)

    def raise_if_any(self) -> None:
        if len(self) == 1:
            raise SuiteError(self[0])
        if self:
            raise SuiteError(f"{len(self)} problems in {self.path}:\n" +
                             "\n".join(f"  - {e}" for e in self))


def _check_fields(data: dict, errs: _Errors) -> None:
    for key in data:
        if key not in FIELDS:
            errs.add(key, f"unknown field.{did_you_mean(key, FIELDS)} Expected fields: "
                     f"{', '.join(FIELDS)}; axes go under [fixed] or [matrix]")
    for key in ("name", "dataset", "model"):
        if not isinstance(data.get(key), str) or not data.get(key):
            errs.add(key, f"required: expected a non-empty string. Received: {key}="
                     f"{data.get(key)!r}")
    epochs = data.get("epochs")
    if not (_is_int(epochs) and epochs >= 1):
        errs.add("epochs", f"expected a positive integer number of epochs, e.g. epochs = 5. "
                 f"Received: epochs={epochs!r}")
    seeds = data.get("seeds", [0])
    if not (isinstance(seeds, list) and seeds and all(_is_int(s) for s in seeds)):
        errs.add("seeds", f"expected a non-empty list of integers, e.g. seeds = [0, 1, 2]. "
                 f"Received: seeds={seeds!r}")
    for key in ("description", "claim"):
        if key in data and not isinstance(data[key], str):
            errs.add(key, f"expected a string. Received: {key}={data[key]!r}")
    problem = _check_target(data.get("target"))
    if problem:
        errs.add("target", f"{problem}. Received: target={data['target']!r}")
    for key in ("fixed", "matrix", "options", "dataset_options", "pipeline_options"):
        if not isinstance(data.get(key, {}), dict):
            errs.add(key, f"expected a table ([{key}]). Received: {key}={data[key]!r}")
    exclude = data.get("exclude", [])
    if not (isinstance(exclude, list) and all(isinstance(e, dict) and e for e in exclude)):
        errs.add("exclude", f"expected [[exclude]] tables of axis = value. "
                 f"Received: exclude={exclude!r}")
    pack = _table(data, "options").get("pack_seeds", "auto")
    if not (isinstance(pack, bool) or pack == "auto"):
        errs.add("[options] pack_seeds", f'expected true, false or "auto". '
                 f"Received: pack_seeds={pack!r}")
    for key, value in _table(data, "options").items():
        problem = check_value(key, value) if key in CONFIG_OPTIONS else None
        if problem:
            errs.add(f"[options] {key}", f"{problem}. Received: {key}={value!r}")
        if key not in CONFIG_OPTIONS + RUN_OPTIONS:
            errs.add(f"[options] {key}", f"unknown option.{did_you_mean(key, CONFIG_OPTIONS + RUN_OPTIONS)}"
                     f" Expected one of: {', '.join(CONFIG_OPTIONS + RUN_OPTIONS)}")


def _table(data: dict, key: str) -> dict:
    value = data.get(key, {})
    return value if isinstance(value, dict) else {}


def _check_axes(data: dict, errs: _Errors) -> None:
    from zoo.models import MODELS

    fixed, matrix = _table(data, "fixed"), _table(data, "matrix")
    for axis, values in matrix.items():
        if not isinstance(values, list) or not values:
            errs.add(f"[matrix] {axis}", f"expected a non-empty list of values, e.g. "
                     f"{axis} = [a, b]. Received: {axis}={values!r}")
    known = known_axes()
    models = {v for v in [data.get("model"), fixed.get("model"), *_values(matrix, "model")]
              if isinstance(v, str)}
    for kind in ("model", "dataset", "pipeline"):
        top = [data[kind]] if kind in data and kind != "pipeline" else []
        for section, value in [("", v) for v in top] + _placed(fixed, matrix, kind):
            problem = _check_name(kind, value)
            if problem:
                errs.add(f"{section}{kind}", problem)
    for section, table in (("[fixed]", fixed), ("[matrix]", matrix)):
        for axis in table:
            if axis not in known:
                errs.add(f"{section} {axis}", f"unknown axis.{did_you_mean(axis, known)} "
                         f"Expected one of: {', '.join(known)}")
                continue
            if axis in MODEL_AXES or axis not in AXES:
                for model in sorted(m for m in models if m in MODELS):
                    accepted = MODELS.card(model).axes
                    if axis not in accepted:
                        errs.add(f"{section} {axis}", f"model {model!r} does not accept the axis"
                                 f" {axis!r}. It accepts: {', '.join(accepted) or 'no axes'}."
                                 f" Remove {axis!r} or pick another model")
            values = table[axis] if section == "[matrix]" else [table[axis]]
            for value in values if isinstance(values, list) else []:
                problem = check_value(axis, value)
                if problem:
                    errs.add(f"{section} {axis}", f"{problem}. Received: {axis}={value!r}")
                else:
                    problem = _check_harness_name(axis, value)
                    if problem:  # not fatal: the cells can still be checked
                        errs.soft.append((f"{section} {axis}", problem))
    axes = set(fixed) | set(matrix) | set(AXES) | set(known)
    for i, ex in enumerate(data.get("exclude", []) if isinstance(data.get("exclude"), list) else []):
        for axis in ex if isinstance(ex, dict) else []:
            if axis not in axes:
                errs.add(f"[[exclude]] #{i + 1} {axis}", f"unknown axis.{did_you_mean(axis, sorted(axes))}"
                         f" Expected an axis of [fixed] or [matrix]: "
                         f"{', '.join(list(fixed) + list(matrix))}")


def _values(matrix: dict, axis: str) -> list:
    values = matrix.get(axis, [])
    return values if isinstance(values, list) else []


def _placed(fixed: dict, matrix: dict, axis: str) -> list[tuple[str, Any]]:
    out = [("[fixed] ", fixed[axis])] if axis in fixed else []
    return out + [("[matrix] ", v) for v in _values(matrix, axis)]


def _check_cells(suite: Suite, cells: list[dict], errs: _Errors) -> None:
    """Runs `benchmarks.run.validate_config` on every cell, naming the field at fault."""
    try:
        from benchmarks.run import validate_config
    except ImportError:  # pragma: no cover - the run module is built alongside
        return
    for cell in cells:
        try:
            validate_config(cell)
        except ValueError as e:
            message = str(e)
            key = re.search(r"Received: (\w+)=", message)
            key = key.group(1) if key else None
            if key in suite.matrix:
                where = f"[matrix] {key}"
            elif key in suite.fixed:
                where = f"[fixed] {key}"
            elif key in FIELDS:
                where = key
            else:
                varying = ", ".join(f"{a}={cell.get(a)!r}" for a in suite.matrix)
                where = f"cell ({varying or 'the only cell'})"
            errs.add(where, message)


def validate(data: dict, path: str, check_cells: bool = True) -> Suite:
    """Validates raw suite data and returns the `Suite`.

    Args:
        data: The parsed TOML (after overrides).
        path: File name used in messages.
        check_cells: Also run `benchmarks.run.validate_config` on axis values
            and cells. Defaults to True.

    Returns:
        A `Suite`.

    Raises:
        SuiteError: listing every problem found.
    """
    errs = _Errors(path)
    _check_fields(data, errs)
    _check_axes(data, errs)
    if errs:
        errs.harden()
    errs.raise_if_any()
    suite = Suite(
        name=data["name"], dataset=data["dataset"], model=data["model"], epochs=data["epochs"],
        seeds=list(data.get("seeds", [0])), description=data.get("description", ""),
        fixed=dict(data.get("fixed", {})), matrix=dict(data.get("matrix", {})),
        exclude=list(data.get("exclude", [])), claim=data.get("claim"),
        target=data.get("target"), dataset_options=dict(data.get("dataset_options", {})),
        pipeline_options=dict(data.get("pipeline_options", {})),
        options=dict(data.get("options", {})), path=path)
    cells = suite.cells()
    if not cells:
        errs.add("[[exclude]]", f"the excludes drop every cell of the matrix: nothing to run. "
                 f"Remove or narrow an [[exclude]]. Received: exclude={suite.exclude!r}")
    errs.harden()
    if cells and check_cells:
        _check_cells(suite, cells, errs)
    errs.raise_if_any()
    return suite
