"""Validation of a whole suite before its first run, collecting every problem.

`validate(data, path)` checks the raw TOML data of a suite against the axis
table (`zoo.axes`) and the model cards: the fields and their types; every
axis in `[fixed]` / `[matrix]` known, accepted by every model in play, and
every value of it inside its domain (a model axis inside each model's own
range); `[options]`; the `[[exclude]]` keys; the cells left after excludes;
and then every resolved cell as a whole (`benchmarks.suite.cell`). It
raises one `SuiteError` whose `problems` list every problem, each naming
the file and the field.

Example:

>>> validate({"name": "x", "dataset": "digits", "model": "mlp", "epochs": 0,
...           "seeds": [0]}, "x.toml")
Traceback (most recent call last):
...
SuiteError: x.toml: epochs: expected an integer >= 1. Received: epochs=0
"""

from __future__ import annotations


from zoo.axes import AXES, EXECUTION, MODEL, OPTION
from zoo.domains import Int, ListOf, check, closest

from benchmarks.suite.cell import check_config
from benchmarks.suite.definition import FIELDS, Suite, known_axes
from benchmarks.suite.problems import Problems, SuiteError

SEEDS = ListOf(Int(), "integers", "seeds = [0, 1, 2]")
TABLES = ("fixed", "matrix", "options", "dataset_options", "pipeline_options")


def _table(data: dict, key: str) -> dict:
    value = data.get(key, {})
    return value if isinstance(value, dict) else {}


def _check_fields(data: dict, problems: Problems, fields) -> None:
    for key in data:
        if key not in fields:
            problems.add(key, "unknown field", closest(key, fields),
                         hint=f"Expected fields: {', '.join(fields)}; axes go under [fixed] or "
                              f"[matrix]")
    for key in ("name", "dataset", "model"):
        if not isinstance(data.get(key), str) or not data.get(key):
            problems.add(key, "required: expected a non-empty string",
                         received=f"{key}={data.get(key)!r}")
        elif key != "name":
            _check_value(problems, key, key, data[key])
    if "epochs" not in data:
        problems.add("epochs", "required: expected a positive integer number of epochs, "
                     "e.g. epochs = 5", received="epochs=None")
    else:
        _check_value(problems, "epochs", "epochs", data["epochs"])
    invalid = SEEDS.check(data.get("seeds", [0]))
    if invalid is not None:
        problems.invalid("seeds", "seeds", data.get("seeds"), invalid)
    for key in ("description", "claim"):
        if key in data and not isinstance(data[key], str):
            problems.add(key, "expected a string", received=f"{key}={data[key]!r}")
    for key in ("target", "dataset_options", "pipeline_options", "imports"):
        if key in data:
            _check_value(problems, key, key, data[key])
    for key in TABLES:
        if not isinstance(data.get(key, {}), dict):
            problems.add(key, f"expected a table ([{key}])", received=f"{key}={data[key]!r}")
    exclude = data.get("exclude", [])
    if not (isinstance(exclude, list) and all(isinstance(e, dict) and e for e in exclude)):
        problems.add("exclude", "expected [[exclude]] tables of axis = value",
                     received=f"exclude={exclude!r}")


def _check_options(data: dict, problems: Problems) -> None:
    allowed = [name for name, axis in AXES.items() if axis.kind in (EXECUTION, OPTION)]
    for key, value in _table(data, "options").items():
        if key not in allowed:
            problems.add(f"[options] {key}", "unknown option", closest(key, allowed),
                         hint=f"Expected one of: {', '.join(allowed)} (see `zoo axes`)")
        else:
            _check_value(problems, f"[options] {key}", key, value)


def _check_value(problems: Problems, field: str, axis: str, value) -> None:
    invalid = AXES[axis].check(value)
    if invalid is not None:
        problems.invalid(field, axis, value, invalid)


def _models_in_play(data: dict) -> list[str]:
    from zoo.models import MODELS

    fixed, matrix = _table(data, "fixed"), _table(data, "matrix")
    values = [data.get("model"), fixed.get("model")]
    values += matrix.get("model", []) if isinstance(matrix.get("model"), list) else []
    return sorted({v for v in values if isinstance(v, str) and v in MODELS})


def _check_axes(data: dict, problems: Problems, matrix_label: str) -> None:
    from zoo.models import MODELS, axis_domain

    models = _models_in_play(data)  # a user model's own axes are known for it
    known = known_axes() + tuple(a for m in models for a in MODELS.card(m).axes
                                 if a not in AXES)
    sections = (("[fixed]", _table(data, "fixed")), (matrix_label, _table(data, "matrix")))
    for section, table in sections:
        for axis, given in table.items():
            field = f"{section} {axis}"
            if section == matrix_label and (not isinstance(given, list) or not given):
                problems.add(field, f"expected a non-empty list of values, e.g. {axis} = [a, b]",
                             received=f"{axis}={given!r}")
                continue
            if axis not in known:
                problems.add(field, "unknown axis", closest(axis, known),
                             hint="Expected an axis of `zoo axes`" + (
                                 f" (run options such as {axis!r} go under [options])"
                                 if axis in AXES else ""))
                continue
            values = given if section == matrix_label else [given]
            if axis in AXES and AXES[axis].kind != MODEL:
                for value in values:
                    _check_value(problems, field, axis, value)
                continue
            for model in models:
                card = MODELS.card(model)
                if axis not in card.axes:
                    problems.add(field, f"model {model!r} does not accept the axis {axis!r}. "
                                 f"It accepts: {', '.join(card.axes) or 'no axes'}. Remove "
                                 f"{axis!r} or pick another model")
                    continue
                for value in values:
                    invalid = check(axis_domain(model, axis), value)
                    if invalid is not None:
                        problems.invalid(field, axis, value, invalid, f"(model {model!r})")
    axes = set(_table(data, "fixed")) | set(_table(data, "matrix")) | set(known)
    exclude = data.get("exclude") if isinstance(data.get("exclude"), list) else []
    for i, ex in enumerate(exclude):
        for axis in ex if isinstance(ex, dict) else []:
            if axis not in axes:
                problems.add(f"[[exclude]] #{i + 1} {axis}", "unknown axis",
                             closest(axis, sorted(axes)),
                             hint=f"Expected an axis of [fixed] or [matrix]: "
                                  f"{', '.join(list(_table(data, 'fixed')) + list(_table(data, 'matrix')))}")


def _check_cells(suite: Suite, cells: list[dict], problems: Problems, matrix_label: str) -> None:
    """`check_config` on every cell, each problem attributed to the field that set it."""
    for cell in cells:
        for p in check_config(cell, values=False):
            if p.axis in suite.matrix:
                field = f"{matrix_label} {p.axis}"
            elif p.axis in suite.fixed:
                field = f"[fixed] {p.axis}"
            elif p.axis in FIELDS:
                field = p.axis
            else:
                varying = ", ".join(f"{a}={cell.get(a)!r}" for a in suite.matrix)
                field = f"cell ({varying or 'the only cell'})"
            problems.add(field, p.message, p.suggestions, p.received)


def validate(data: dict, path: str, check_cells: bool = True, fields=FIELDS,
             matrix_label: str = "[matrix]", error=SuiteError) -> Suite:
    """Validates raw suite data and returns the `Suite`.

    Args:
        data: The parsed TOML (after overrides).
        path: File name used in messages.
        check_cells: Also check every resolved cell as a whole. Defaults to True.
        fields: The top-level fields allowed. Defaults to a suite's.
        matrix_label: How problems name the crossed section. Defaults to "[matrix]"
            (a tuning space checks its `[space]` values as a matrix).
        error: The `SuiteError` subclass to raise. Defaults to `SuiteError`.

    Returns:
        A `Suite`.

    Raises:
        SuiteError: listing every problem found.
    """
    problems = Problems(path)
    _check_fields(data, problems, fields)
    _check_options(data, problems)
    _check_axes(data, problems, matrix_label)
    problems.raise_if_any(error)
    suite = Suite(
        name=data["name"], dataset=data["dataset"], model=data["model"], epochs=data["epochs"],
        seeds=list(data.get("seeds", [0])), description=data.get("description", ""),
        fixed=dict(data.get("fixed", {})), matrix=dict(data.get("matrix", {})),
        exclude=list(data.get("exclude", [])), claim=data.get("claim"),
        target=data.get("target"), dataset_options=dict(data.get("dataset_options", {})),
        pipeline_options=dict(data.get("pipeline_options", {})),
        options=dict(data.get("options", {})), imports=list(data.get("imports", [])),
        path=path)
    cells = suite.cells()
    if not cells:
        problems.add("[[exclude]]", "the excludes drop every cell of the matrix: nothing to "
                     "run. Remove or narrow an [[exclude]]", received=f"exclude={suite.exclude!r}")
    elif check_cells:
        _check_cells(suite, cells, problems, matrix_label)
    problems.raise_if_any(error)
    return suite


