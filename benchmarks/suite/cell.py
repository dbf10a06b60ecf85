"""Checks of one resolved run config as a whole, without training.

`check_config(config)` checks every axis value of a config against the axis
table (`zoo.axes`; model axes against the model card's range) and what one
axis alone cannot say: that the model accepts each model axis, that the
loss fits the dataset's task, and that a generative model's config asks
nothing its task cannot do (`benchmarks.run.generation.check_generation`:
`d_optimizer` only for a GAN, no `loss` for a VAE, ...). It returns `CellProblem`s; `validate_config`
raises the first as a `ValueError` for callers that check one config
(`run_one`'s users, tuning trials). Importing this module does not import
TensorFlow; checking an activation or initializer name imports Keras.

Example:

>>> validate_config({"dataset": "digits", "model": "mlp", "optimizer": "adamm"})
Traceback (most recent call last):
...
ValueError: Unknown optimizer 'adamm': expected an optimizer name ... Did you mean 'adam' ...
"""

from __future__ import annotations

import dataclasses
import functools
import json

from zoo.axes import AXES, MODEL
from zoo.domains import check


@dataclasses.dataclass(frozen=True)
class CellProblem:
    """What is wrong with one axis of a config.

    Args:
        axis: The config key at fault.
        message: What is wrong and what was expected.
        suggestions: The closest valid names.
        received: `axis=value`.
    """

    axis: str
    message: str
    suggestions: tuple[str, ...] = ()
    received: str = ""

    def __str__(self) -> str:
        hint = (f". Did you mean {' or '.join(map(repr, self.suggestions))}?"
                if self.suggestions else "" if self.message.endswith(".") else ".")
        return f"{self.message}{hint}" + (f" Received: {self.received}" if self.received else "")


def _dataset_task(name) -> str | None:
    """The dataset's task when the registry card names exactly one, else None."""
    try:
        from zoo.datasets import DATASETS

        tasks = DATASETS.card(name).tasks if name in DATASETS else ()
    except Exception:  # a broken registry must not hide the config's own errors
        return None
    return tasks[0] if len(tasks) == 1 else None


@functools.lru_cache(maxsize=256)
def _source_problem(name: str, options_json: str):
    """`(field, message)` when the dataset's data cannot be found (file, TFDS), or None."""
    from zoo.datasets.sources import SourceError, check_source

    try:
        check_source(name, json.loads(options_json))
    except SourceError as exc:
        return exc.field, str(exc)
    return None


@functools.lru_cache(maxsize=64)
def _probe_build(config_json: str) -> str | None:
    """Builds a user's model once on the config's data: why it is not a Keras model, or None."""
    import keras

    from benchmarks.run.inputs import prepare_dataset
    from zoo.models import accepted_axes, build

    config = json.loads(config_json)
    model = config["model"]
    try:
        ds, _ = prepare_dataset(config)
        axes = {k: v for k, v in config.items() if k in accepted_axes(model)}
        built = build(model, ds.spec, **axes)
    except Exception as exc:  # the user's builder raised: say so before any run
        return f"building {model!r} on {config['dataset']!r} raised {type(exc).__name__}: {exc}"
    if not isinstance(built, keras.Model):
        return (f"the builder {model!r} returned a {type(built).__name__}, not a Keras model. "
                f"Expected a keras.Model from builder(input_shape, num_outputs, task, **axes)")
    return None


def _loss_problems(config: dict) -> list[CellProblem]:
    """The loss against the dataset's task, then label smoothing against both."""
    from benchmarks.run.losses import check_loss

    loss, smoothing = config.get("loss"), config.get("label_smoothing") or 0.0
    task = _dataset_task(config.get("dataset"))
    for axis, args in (("loss", (loss, task)), ("label_smoothing", (loss, task, smoothing))):
        try:
            check_loss(*args)
        except ValueError as exc:
            return [CellProblem(axis, str(exc))]
    return []


def _backend_problems(config: dict) -> list[CellProblem]:
    """The backend installed here, and every feature the config asks of it available on it."""
    from benchmarks.run.backends import missing_reason, unsupported

    backend = config.get("backend")
    if not isinstance(backend, str):
        return []
    missing = missing_reason(backend)
    if missing:
        return [CellProblem("backend", missing, received=f"backend={backend!r}")]
    return [CellProblem(axis, why, received=f"{axis}={config.get(axis)!r}, backend={backend!r}")
            for axis, why in unsupported(config)]


def _invalid(axis: str, value, invalid, context: str = "") -> CellProblem:
    return CellProblem(axis, invalid.message(context), invalid.suggestions, f"{axis}={value!r}")


def check_config(config: dict, values: bool = True) -> list[CellProblem]:
    """Every problem of one resolved config (axis values, model axes, loss vs task).

    Args:
        config: A resolved run config; keys it leaves out take the axis
            table's defaults (and are not checked). Keys that are not axes
            are ignored.
        values: Check each axis value against its domain. Defaults to True;
            suite validation passes False for its cells, whose values it has
            checked once each, so only what takes the whole cell is checked.

    Returns:
        A list of `CellProblem`s, empty when the config is fine.

    Raises:
        TypeError: when `config` is not a dict.
    """
    from zoo.models import MODELS, axis_domain

    if not isinstance(config, dict):
        raise TypeError(f"A run config must be a dict. Received: config={config!r}")
    problems = []
    for key in ("dataset", "model"):
        if key not in config:
            problems.append(CellProblem(key, f"required: a {key} name (see `zoo {key}s`)",
                                        received=f"{key}=None"))
    model = config.get("model")
    card = MODELS.card(model) if isinstance(model, str) and model in MODELS else None
    for axis, value in config.items() if values else ():
        spec = AXES.get(axis)
        if spec is None:
            continue
        if spec.kind == MODEL and card is not None:
            if axis not in card.axes:
                problems.append(CellProblem(
                    axis, f"model {model!r} does not accept the axis {axis!r}. It accepts: "
                    f"{', '.join(card.axes) or 'no axes'}", received=f"{axis}={value!r}"))
                continue
            invalid = check(axis_domain(model, axis), value)
            context = f"for model {model!r}" if axis in card.ranges else ""
        else:
            invalid, context = spec.check(value), ""
        if invalid is not None:
            problems.append(_invalid(axis, value, invalid, context))
    dataset, options = config.get("dataset"), config.get("dataset_options") or {}
    if isinstance(dataset, str) and isinstance(options, dict) and not any(
            p.axis in ("dataset", "dataset_options") for p in problems):
        found = _source_problem(dataset, json.dumps(options, sort_keys=True, default=str))
        if found:
            problems.append(CellProblem(found[0], found[1]))
    from benchmarks.run.generation import check_generation

    problems += [CellProblem(axis, message, received=f"{axis}={config.get(axis)!r}")
                 for axis, message in check_generation(config)]
    if not any(p.axis in ("loss", "label_smoothing", "dataset") for p in problems):
        problems += _loss_problems(config)
    if not any(p.axis == "backend" for p in problems):
        problems += _backend_problems(config)
    if card is not None and card.extra.get("user_code") and not problems:
        message = _probe_build(json.dumps(config, sort_keys=True, default=str))
        if message:
            problems.append(CellProblem("model", message, received=f"model={model!r}"))
    return problems


def validate_config(config: dict) -> None:
    """Raises a clear `ValueError` for the first problem of one resolved config.

    Args:
        config: A resolved run config (see `check_config`).

    Raises:
        ValueError: naming the axis, what was expected and the closest names.
    """
    problems = check_config(config)
    if problems:
        raise ValueError(str(problems[0]))
