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

The suite fields are validated by `benchmarks.suite.validate` (the same checks
and messages as `zoo bench`, the axis table's domains), each axis with a
representative set of its values (the choices, both ends of a range) as if
it were a matrix labelled `[space]`; then `benchmarks.suite.check_config`
checks every such value in a whole config. All problems are raised
together as a `SpaceError` (its `problems` are `benchmarks.suite.Problem`s).

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
import os
from typing import Any

from benchmarks.suite import (FIELDS, Problems, Suite, SuiteError, apply_overrides, check_config,
                              parse_value, read_toml, validate)
from tuning import space_checks as checks
from zoo.axes import canonical
from zoo.references import import_modules
from zoo.domains import closest
from zoo.registry import did_you_mean, natural_key

SPACES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "spaces")
# Suite fields a space may not use: a space searches instead of crossing a matrix.
_NOT_IN_SPACES = ("matrix", "exclude", "claim")
SPACE_FIELDS = tuple(f for f in FIELDS if f not in _NOT_IN_SPACES) + ("objective", "space")
# Axes tuned in `HyperModel.fit` rather than in the model or optimizer.
FIT_AXES = ("epochs", "batch_size")


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
        return canonical(config)

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
        raise SpaceError(e.problems, e.path) from None
    data = _apply_overrides(data, overrides or [], path)
    if isinstance(data.get("imports"), list):  # the space's own entries, before validation
        try:
            import_modules(data["imports"])
        except ValueError as exc:
            raise SpaceError(str(exc), path) from None
    problems = Problems(path)
    for key in data:
        if key not in SPACE_FIELDS:
            hint = " ([matrix] belongs in suites; a space tunes [space])" \
                if key in _NOT_IN_SPACES else ""
            problems.add(key, "unknown field", closest(key, SPACE_FIELDS),
                         hint=f"Expected fields: {', '.join(SPACE_FIELDS)}{hint}")
    raw_axes = data.get("space", {})
    if not isinstance(raw_axes, dict) or not raw_axes:
        problems.add("[space]", "expected a table mapping at least one axis to a "
                     "hyperparameter, e.g. learning_rate = {float = [1e-4, 1e-1], "
                     "sampling = \"log\"}", received=f"space={raw_axes!r}")
        raw_axes = {}
    axes = {}
    for name, spec in raw_axes.items():
        messages, normalized = checks.normalize_axis(name, spec)
        for message in messages:
            problems.add(f"[space] {name}", message)
        if normalized:
            axes[name] = normalized
    for field, message in checks.check_parents(axes):
        problems.add(field, message)
    objective, problem = checks.objective_of(data.get("objective"))
    if problem:
        problems.add("objective", problem)
    seeds = data.get("seeds", [0])
    if isinstance(seeds, list) and len(seeds) > 1:
        problems.add("seeds", "a space trains every trial with one seed (also the oracle's "
                     "seed): expected a list of one integer, e.g. seeds = [0]",
                     received=f"seeds={seeds!r}")
    suite_data = {k: copy.deepcopy(v) for k, v in data.items()
                  if k in FIELDS and k not in _NOT_IN_SPACES}
    suite_data["matrix"] = {}
    if "epochs" in axes:
        suite_data["epochs"] = checks.representatives(axes["epochs"])[-1]
    for name, spec in axes.items():
        if name != "epochs":
            suite_data["matrix"][name] = checks.representatives(spec)
    suite = None
    try:
        suite = validate(suite_data, path, check_cells=False, matrix_label="[space]")
    except SuiteError as e:
        problems += [p for p in e.problems if p not in problems]
    if suite is not None and not problems:
        _check_values(suite, axes, problems)
    problems.raise_if_any(SpaceError)
    suite.matrix = {}
    space = Space(name=suite.name, suite=suite, axes=axes, objective=objective,
                  seed=int(suite.seeds[0]), path=path)
    space.source = text + "".join(f"\n# --set {o}" for o in overrides or [])
    return space


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
        return apply_overrides(data, rest, path, fields=SPACE_FIELDS,
                               what="a space field (or space.<axis>, objective.name)")
    except SuiteError as e:
        raise SpaceError(e.problems, e.path) from None


def _check_values(suite: Suite, axes: dict[str, dict], problems: Problems) -> None:
    """`check_config` on the base config with each axis value (parents made active).

    A conditional axis is checked with its parents set to values that make it
    active (e.g. momentum with optimizer "sgd").
    """
    base = dataclasses.replace(suite, matrix={}, exclude=[]).cells()[0]
    for axis, values in suite.matrix.items():
        active, child = {}, axis
        parent = axes.get(axis, {}).get("parent")
        while parent:
            active[parent] = axes[child]["parent_values"][0]
            child, parent = parent, axes[parent].get("parent")
        for value in values:
            for p in check_config({**base, **active, axis: value}):
                field = f"[space] {axis}" if p.axis == axis else f"[fixed] {p.axis}"
                problems.add(field, p.message, p.suggestions, p.received)
    for p in check_config(base):
        problems.add(p.axis, p.message, p.suggestions, p.received)
