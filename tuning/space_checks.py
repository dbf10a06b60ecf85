"""Checks of a space file's own parts: `[space]` entries, conditions, the objective.

Each check returns problems as `(field, message)` pairs (the message ends
with what was received); `tuning.space.load_space` collects them with the
suite's problems. Pure Python: no Keras Tuner or TensorFlow import.
"""

from __future__ import annotations

from typing import Any

from zoo.domains import is_number
from zoo.registry import did_you_mean

KINDS = ("choice", "int", "float", "boolean")
AXIS_KEYS = KINDS + ("default", "step", "sampling", "ordered", "parent", "parent_values")
SAMPLINGS = ("linear", "log", "reverse_log")
DIRECTIONS = ("min", "max")
METRICS = ("loss", "accuracy", "mae")


def normalize_axis(name: str, spec) -> tuple[list[str], dict | None]:
    """Checks one `[space]` entry; returns (problems, normalized spec or None)."""
    example = '{choice = [...]}, {int = [lo, hi]}, {float = [lo, hi], sampling = "log"}' \
              " or {boolean = true}"
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
        ok = (isinstance(bounds, list) and len(bounds) == 2 and all(is_number(b) for b in bounds)
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
            if not (is_number(step) and step > 0 and (not want_int or isinstance(step, int))):
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
                is_number(default) and out["min"] <= default <= out["max"]):
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


def check_parents(axes: dict[str, dict]) -> list[tuple[str, str]]:
    """Checks conditional axes and orders `axes` parents first (in place).

    Returns:
        `(field, message)` pairs.
    """
    problems = []
    for name, spec in axes.items():
        parent = spec.get("parent")
        if parent is None:
            continue
        if parent not in axes:
            problems.append((f"[space] {name}", f"parent: no axis {parent!r} in [space]."
                            f"{did_you_mean(parent, [a for a in axes if a != name])} A parent "
                            f"must be another tuned axis, e.g. parent = \"optimizer\". "
                            f"Received: parent={parent!r}"))
            continue
        pspec = axes[parent]
        allowed = pspec.get("values") if pspec["kind"] == "choice" else (
            [False, True] if pspec["kind"] == "boolean" else None)
        if allowed is None:
            problems.append((f"[space] {name}", f"parent: {parent!r} is a range; a parent must be a "
                            f"choice or a boolean. Received: parent={parent!r}"))
        elif any(v not in allowed for v in spec["parent_values"]):
            problems.append((f"[space] {name}", f"parent_values: expected values {parent!r} can "
                            f"take: {allowed}. Received: parent_values={spec['parent_values']!r}"))
    ordered, seen = {}, set()

    def visit(name, trail=()):
        if name in seen or name not in axes:
            return
        if name in trail:
            problems.append((f"[space] {name}", f"parent: the conditions form a cycle "
                            f"({' -> '.join(trail + (name,))}). Received: parent="
                            f"{axes[name].get('parent')!r}"))
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


def objective_of(value) -> tuple[dict, str | None]:
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


def representatives(spec: dict) -> list:
    """A few values that stand for an axis when validating: choices, or both ends."""
    if spec["kind"] == "choice":
        return list(spec["values"])
    if spec["kind"] == "boolean":
        return [False, True]
    return [spec["min"], spec["max"]]


