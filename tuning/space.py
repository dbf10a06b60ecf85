"""Search spaces: a TOML file -> a validated `Space` -> Keras Tuner hyperparameters.

A space file has the fields of a suite (`name`, `description`, `dataset`,
`model`, `epochs`, `seeds`, `[fixed]`, `dataset_options`, `target`, ...) plus
an `objective` and a `[space]` table mapping each axis to a Keras Tuner
hyperparameter:

```toml
objective = {name = "val_accuracy", direction = "max"}

[space]
optimizer = {choice = ["sgd", "adam"]}
learning_rate = {float = [1e-4, 1e-1], sampling = "log"}
width = {int = [16, 128], step = 16}
batch_norm = {boolean = true}
momentum = {float = [0.0, 0.9], parent = "optimizer", parent_values = ["sgd"]}
batch_size = {choice = [16, 32, 64]}
epochs = {int = [2, 6]}
```

Each axis is exactly one of `choice` (a list), `int` / `float` (a
`[min, max]` range with optional `step` and `sampling` = "linear" | "log" |
"reverse_log"), or `boolean`; optionally a `default`, and `parent` +
`parent_values` for a conditional hyperparameter (active only when its
parent takes one of those values). `epochs` and `batch_size` are tuned in
`HyperModel.fit`, every other axis is a harness axis (`optimizer`,
`learning_rate`, ...) or a model axis (`width`, ...).

The suite fields are validated by `benchmarks.validation` (the same checks
and messages as `zoo bench`), each axis with a representative set of its
values (the choices, both ends of a range); then `benchmarks.run.validate_config`
checks every such value. All problems are raised together as a `SpaceError`.

Example:

>>> space = load_space("tuning/spaces/mlp_digits.toml", overrides=["epochs=1"])
>>> import keras_tuner
>>> hp = keras_tuner.HyperParameters()
>>> values = space.declare(hp)
>>> space.config(values)["model"]
'mlp'
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
from typing import Any

from benchmarks.suite import (FIELDS, Suite, SuiteError, apply_overrides, parse_value,
                              read_toml)
from zoo.registry import did_you_mean, natural_key

SPACES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "spaces")
KINDS = ("choice", "int", "float", "boolean")
AXIS_KEYS = KINDS + ("default", "step", "sampling", "ordered", "parent", "parent_values")
SAMPLINGS = ("linear", "log", "reverse_log")
# Suite fields a space may not use: a space searches instead of crossing a matrix.
_NOT_IN_SPACES = ("matrix", "exclude", "claim")
SPACE_FIELDS = tuple(f for f in FIELDS if f not in _NOT_IN_SPACES) + ("objective", "space")
# Axes tuned in `HyperModel.fit` rather than in the model or optimizer.
FIT_AXES = ("epochs", "batch_size")
DIRECTIONS = ("min", "max")
METRICS = ("loss", "accuracy", "mae")


class SpaceError(SuiteError):
    """A space file or override is invalid; the message lists every problem."""


@dataclasses.dataclass
class Space:
    """A validated search space.

    Args:
        name: The space's name; the suite name of its trials in the store.
        suite: The validated suite fields (dataset, model, epochs, `[fixed]`, ...).
        axes: Axis name -> normalized hyperparameter spec (`kind`, `values` or
            `min`/`max`, `step`, `sampling`, `default`, `parent`, `parent_values`),
            parents before their children.
        objective: `{"name": "val_accuracy", "direction": "max"}`.
        seed: The seed of the oracle and of every trial's training.
        path: File the space came from.
        source: The TOML text as run (overrides listed as comments).
    """

    name: str
    suite: Suite
    axes: dict[str, dict[str, Any]]
    objective: dict[str, str]
    seed: int = 0
    path: str = "<space>"
    source: str = ""

    @property
    def description(self) -> str:
        return self.suite.description

    def base_config(self) -> dict[str, Any]:
        """The resolved config every trial starts from (defaults, fields, `[fixed]`)."""
        return dataclasses.replace(self.suite, matrix={}, exclude=[]).cells()[0]

    def declare(self, hp) -> dict[str, Any]:
        """Registers every axis in a `keras_tuner.HyperParameters` object.

        Calling it again on the same object returns the current values, so it
        serves both `HyperModel.declare_hyperparameters` and `HyperModel.build`.

        Args:
            hp: A `keras_tuner.HyperParameters`.

        Returns:
            `{axis: value}` of the active axes (inactive conditional axes are left out).
        """
        values = {}
        for name, spec in self.axes.items():
            cond = {}
            if spec.get("parent"):
                cond = {"parent_name": spec["parent"], "parent_values": spec["parent_values"]}
            kind = spec["kind"]
            if kind == "choice":
                value = hp.Choice(name, spec["values"], ordered=spec.get("ordered"),
                                  default=spec.get("default"), **cond)
            elif kind == "boolean":
                value = hp.Boolean(name, default=bool(spec.get("default", False)), **cond)
            else:
                make = hp.Int if kind == "int" else hp.Float
                value = make(name, spec["min"], spec["max"], step=spec.get("step"),
                             sampling=spec.get("sampling", "linear"),
                             default=spec.get("default"), **cond)
            if hp.is_active(name):
                values[name] = value
        return values

    def config(self, values: dict[str, Any]) -> dict[str, Any]:
        """The resolved config of one trial: the base config with its hyperparameters.

        Args:
            values: Hyperparameter values (`hp.values`); names that are not
                axes of the space (e.g. Hyperband's `tuner/epochs`) are ignored.

        Returns:
            A flat, JSON-serializable config (see docs/ARCHITECTURE.md).
        """
        config = self.base_config()
        for name, value in values.items():
            if name in self.axes:
                value = value.item() if hasattr(value, "item") else value
                if isinstance(value, float):  # 0.30000000000000004 (a float step) -> 0.3
                    value = float(f"{value:.12g}")
                config[name] = value
        return config

    def to_spec(self) -> dict[str, Any]:
        """The space as plain values (stored as the suite's `spec`)."""
        return {**self.suite.to_spec(), "kind": "tune", "space": self.axes,
                "objective": self.objective, "seed": self.seed}


def builtin_spaces() -> list[str]:
    """Names of the built-in spaces (`tuning/spaces/*.toml`)."""
    if not os.path.isdir(SPACES_DIR):
        return []
    return sorted((f[:-5] for f in os.listdir(SPACES_DIR) if f.endswith(".toml")),
                  key=natural_key)


def resolve_path(path_or_name: str) -> str:
    """Returns the file of a space given as a path or a built-in name.

    Raises:
        SpaceError: when it is neither an existing file nor a built-in space.
    """
    if os.path.isfile(path_or_name):
        return path_or_name
    candidate = os.path.join(SPACES_DIR, f"{path_or_name}.toml")
    if os.sep not in path_or_name and os.path.isfile(candidate):
        return candidate
    names = builtin_spaces()
    raise SpaceError(
        f"No space file or built-in space named {path_or_name!r}."
        f"{did_you_mean(path_or_name, names)} Expected a path to a TOML file or one of: "
        f"{', '.join(names)}. Received: space={path_or_name!r}")


def load_space(path_or_name: str, overrides: list[str] | None = None) -> Space:
    """Loads and validates a search space.

    Args:
        path_or_name: A TOML path or a built-in space name (`mlp_digits`, ...).
        overrides: `key=value` strings (`--set`). Suite keys work as for
            `zoo bench` (`epochs=1`, `fixed.width=8`, `model=mlp`); pinning an
            axis this way removes it from `[space]`. `space.<axis>={...}`
            replaces one axis, `objective.name=val_loss` changes the objective.

    Returns:
        A `Space`.

    Raises:
        SpaceError: listing every problem, each naming the file and field.
    """
    path = resolve_path(path_or_name)
    try:
        data, text = read_toml(path)
    except SuiteError as e:
        raise SpaceError(str(e)) from None
    data = _apply_overrides(data, overrides or [], path)
    errors = []
    for key in data:
        if key not in SPACE_FIELDS:
            hint = " ([matrix] belongs in suites; a space tunes [space])" \
                if key in _NOT_IN_SPACES else ""
            errors.append(f"{path}: {key}: unknown field.{did_you_mean(key, SPACE_FIELDS)} "
                          f"Expected fields: {', '.join(SPACE_FIELDS)}{hint}")
    raw_axes = data.get("space", {})
    if not isinstance(raw_axes, dict) or not raw_axes:
        errors.append(f"{path}: [space]: expected a table mapping at least one axis to a "
                      f"hyperparameter, e.g. learning_rate = {{float = [1e-4, 1e-1], "
                      f"sampling = \"log\"}}. Received: space={raw_axes!r}")
        raw_axes = {}
    axes = {}
    for name, spec in raw_axes.items():
        problems, normalized = _normalize_axis(name, spec)
        errors += [f"{path}: [space] {name}: {p}" for p in problems]
        if normalized:
            axes[name] = normalized
    errors += [f"{path}: {p}" for p in _check_parents(axes)]
    objective, problem = _objective(data.get("objective"))
    if problem:
        errors.append(f"{path}: objective: {problem}")
    seeds = data.get("seeds", [0])
    if isinstance(seeds, list) and len(seeds) > 1:
        errors.append(f"{path}: seeds: a space trains every trial with one seed (also the "
                      f"oracle's seed): expected a list of one integer, e.g. seeds = [0]. "
                      f"Received: seeds={seeds!r}")
    suite_data = {k: copy.deepcopy(v) for k, v in data.items()
                  if k in FIELDS and k not in _NOT_IN_SPACES}
    suite_data["matrix"] = {}
    if "epochs" in axes:
        suite_data["epochs"] = _representatives(axes["epochs"])[-1]
    for name, spec in axes.items():
        if name != "epochs":
            suite_data["matrix"][name] = _representatives(spec)
    suite = None
    try:
        from benchmarks.validation import validate

        suite = validate(suite_data, path, check_cells=False)
    except SuiteError as e:
        lines = str(e).splitlines()
        lines = [ln.strip().removeprefix("- ") for ln in lines[1:]] if len(lines) > 1 else lines
        errors += [ln.replace("[matrix]", "[space]") for ln in lines]
    if suite is not None and not errors:
        errors += _check_values(suite, axes, path)
    _raise(errors, path)
    suite.matrix = {}
    space = Space(name=suite.name, suite=suite, axes=axes, objective=objective,
                  seed=int(suite.seeds[0]), path=path)
    space.source = text + "".join(f"\n# --set {o}" for o in overrides or [])
    return space


def _raise(errors: list[str], path: str) -> None:
    errors = list(dict.fromkeys(errors))
    if len(errors) == 1:
        raise SpaceError(errors[0])
    if errors:
        raise SpaceError(f"{len(errors)} problems in {path}:\n" +
                         "\n".join(f"  - {e}" for e in errors))


def _apply_overrides(data: dict, overrides: list[str], path: str) -> dict:
    """`--set` for spaces: `space.*` / `objective.*` here, the rest as for suites."""
    data = copy.deepcopy(data)
    rest = []
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        head, _, tail = key.partition(".")
        if sep and head in ("space", "objective") and tail:
            section = data.setdefault(head, {})
            if isinstance(section, dict):
                section[tail] = parse_value(raw.strip())
                continue
        if sep and key == "objective":
            data["objective"] = parse_value(raw.strip())
            continue
        rest.append(item)
        # Pinning an axis (`epochs=1`, `batch_size=16`, `fixed.width=8`) stops tuning it.
        axis = tail if head == "fixed" and tail else key
        if sep and isinstance(data.get("space"), dict):
            data["space"].pop(axis, None)
    try:
        return apply_overrides(data, rest, path)
    except SuiteError as e:
        raise SpaceError(str(e).replace("Expected a suite field", "Expected a space field "
                                        "(or space.<axis>, objective.name)")) from None


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _normalize_axis(name: str, spec) -> tuple[list[str], dict | None]:
    """Checks one `[space]` entry; returns (problems, normalized spec or None)."""
    example = f'{{choice = [...]}}, {{int = [lo, hi]}}, {{float = [lo, hi], sampling = "log"}}' \
              f" or {{boolean = true}}"
    if not isinstance(spec, dict):
        return [f"expected a table: one of {example}. Received: {name}={spec!r}"], None
    problems = []
    for key in spec:
        if key not in AXIS_KEYS:
            problems.append(f"unknown key {key!r}.{did_you_mean(key, AXIS_KEYS)} Expected: "
                            f"{', '.join(AXIS_KEYS)}. Received: {name}={spec!r}")
    kinds = [k for k in KINDS if k in spec]
    if len(kinds) != 1:
        problems.append(f"expected exactly one of {', '.join(KINDS)}: {example}. "
                        f"Received: {name}={spec!r}")
        return problems, None
    kind = kinds[0]
    out: dict[str, Any] = {"kind": kind}
    if kind == "choice":
        values = spec["choice"]
        if not isinstance(values, list) or not values or len(set(map(repr, values))) != len(values):
            problems.append(f"choice: expected a non-empty list of distinct values. "
                            f"Received: {name}={spec!r}")
        elif not ({type(v) for v in values} <= {int, float} or
                  {type(v) for v in values} in ({str}, {bool})):
            problems.append(f"choice: expected values of one type (all names, all numbers or "
                            f"all booleans). Received: {name}={spec!r}")
        else:
            out["values"] = values
            if "ordered" in spec:
                out["ordered"] = bool(spec["ordered"])
    elif kind == "boolean":
        if spec["boolean"] is not True:
            problems.append(f"boolean: write boolean = true to tune true/false. "
                            f"Received: {name}={spec!r}")
    else:
        bounds = spec[kind]
        want_int = kind == "int"
        ok = (isinstance(bounds, list) and len(bounds) == 2 and all(_is_number(b) for b in bounds)
              and (not want_int or all(isinstance(b, int) for b in bounds)))
        if not ok:
            what = "integers" if want_int else "numbers"
            problems.append(f"{kind}: expected [min, max] of {what}. Received: {name}={spec!r}")
        elif not bounds[0] < bounds[1]:
            problems.append(f"{kind}: expected min < max. Received: {name}={spec!r}")
        else:
            out["min"], out["max"] = bounds
        sampling = spec.get("sampling", "linear")
        if sampling not in SAMPLINGS:
            problems.append(f"sampling: unknown sampling {sampling!r}."
                            f"{did_you_mean(str(sampling), SAMPLINGS)} Expected one of: "
                            f"{', '.join(SAMPLINGS)}. Received: {name}={spec!r}")
        elif sampling != "linear" and ok and bounds[0] <= 0:
            problems.append(f"sampling: {sampling} sampling needs min > 0. "
                            f"Received: {name}={spec!r}")
        else:
            out["sampling"] = sampling
        if "step" in spec:
            step = spec["step"]
            if not (_is_number(step) and step > 0 and (not want_int or isinstance(step, int))):
                problems.append(f"step: expected a positive {'integer' if want_int else 'number'}."
                                f" Received: {name}={spec!r}")
            else:
                out["step"] = step
    if "default" in spec:
        default = spec["default"]
        if kind == "choice" and "values" in out and default not in out["values"]:
            problems.append(f"default: expected one of the choices {out['values']}. "
                            f"Received: {name}={spec!r}")
        elif kind in ("int", "float") and "min" in out and not (
                _is_number(default) and out["min"] <= default <= out["max"]):
            problems.append(f"default: expected a number in [{out['min']}, {out['max']}]. "
                            f"Received: {name}={spec!r}")
        out["default"] = default
    if "parent" in spec or "parent_values" in spec:
        parent, parent_values = spec.get("parent"), spec.get("parent_values")
        if not isinstance(parent, str) or not isinstance(parent_values, list) or not parent_values:
            problems.append(f"a conditional axis needs parent = \"<axis>\" and a non-empty list "
                            f"parent_values = [...]. Received: {name}={spec!r}")
        else:
            out["parent"], out["parent_values"] = parent, parent_values
    return problems, (None if problems else out)


def _check_parents(axes: dict[str, dict]) -> list[str]:
    """Checks conditional axes and orders `axes` parents first (in place)."""
    problems = []
    for name, spec in axes.items():
        parent = spec.get("parent")
        if parent is None:
            continue
        if parent not in axes:
            problems.append(f"[space] {name}: parent: no axis {parent!r} in [space]."
                            f"{did_you_mean(parent, [a for a in axes if a != name])} A parent "
                            f"must be another tuned axis, e.g. parent = \"optimizer\". "
                            f"Received: parent={parent!r}")
            continue
        pspec = axes[parent]
        allowed = pspec.get("values") if pspec["kind"] == "choice" else (
            [False, True] if pspec["kind"] == "boolean" else None)
        if allowed is None:
            problems.append(f"[space] {name}: parent: {parent!r} is a range; a parent must be a "
                            f"choice or a boolean. Received: parent={parent!r}")
        elif any(v not in allowed for v in spec["parent_values"]):
            problems.append(f"[space] {name}: parent_values: expected values {parent!r} can "
                            f"take: {allowed}. Received: parent_values={spec['parent_values']!r}")
    ordered, seen = {}, set()

    def visit(name, trail=()):
        if name in seen or name not in axes:
            return
        if name in trail:
            problems.append(f"[space] {name}: parent: the conditions form a cycle "
                            f"({' -> '.join(trail + (name,))}). Received: parent="
                            f"{axes[name].get('parent')!r}")
            return
        parent = axes[name].get("parent")
        if parent:
            visit(parent, trail + (name,))
        if name not in seen:
            seen.add(name)
            ordered[name] = axes[name]

    for name in list(axes):
        visit(name)
    axes.clear()
    axes.update(ordered)
    return problems


def _objective(value) -> tuple[dict, str | None]:
    if value is None:
        return {"name": "val_loss", "direction": "min"}, None
    example = '{name = "val_accuracy", direction = "max"}'
    if not isinstance(value, dict) or set(value) != {"name", "direction"}:
        return {}, f"expected a table {example}. Received: objective={value!r}"
    name, direction = value["name"], value["direction"]
    if direction not in DIRECTIONS:
        return {}, (f"direction: expected \"min\" or \"max\". "
                    f"Received: objective.direction={direction!r}")
    metric = str(name).removeprefix("val_")
    if not isinstance(name, str) or not name.startswith("val_") or metric not in METRICS:
        choices = [f"val_{m}" for m in METRICS]
        return {}, (f"name: expected a validation metric: one of {', '.join(choices)}."
                    f"{did_you_mean(str(name), choices)} Received: objective.name={name!r}")
    return {"name": name, "direction": direction}, None


def _representatives(spec: dict) -> list:
    """A few values that stand for an axis when validating: choices, or both ends."""
    if spec["kind"] == "choice":
        return list(spec["values"])
    if spec["kind"] == "boolean":
        return [False, True]
    return [spec["min"], spec["max"]]


def _check_values(suite: Suite, axes: dict[str, dict], path: str) -> list[str]:
    """`benchmarks.run.validate_config` on the base config with each axis value.

    A conditional axis is checked with its parents set to values that make it
    active (e.g. momentum with optimizer "sgd").
    """
    try:
        from benchmarks.run import validate_config
    except ImportError:  # pragma: no cover - the harness is built alongside
        return []
    base = dataclasses.replace(suite, matrix={}, exclude=[]).cells()[0]
    problems = []
    for axis, values in suite.matrix.items():
        active, child = {}, axis
        parent = axes.get(axis, {}).get("parent")
        while parent:
            active[parent] = axes[child]["parent_values"][0]
            child, parent = parent, axes[parent].get("parent")
        for value in values:
            try:
                validate_config({**base, **active, axis: value})
            except ValueError as e:
                problems.append(f"{path}: [space] {axis}: {e}")
    try:
        validate_config(base)
    except ValueError as e:
        problems.append(f"{path}: {e}")
    return problems
