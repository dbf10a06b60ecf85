"""Defaults and validation of one resolved run config.

`validate_config(config)` checks every name and value a run will use
(optimizer, schedule, loss, activation, initializer, precision, device, batch
size, ...) without training anything, so a suite can reject a bad matrix
before its first run. Names get "Did you mean ...?" hints. Importing this
module does not import TensorFlow; checking an activation or initializer
imports Keras inside the function.

Example:

>>> from benchmarks.run_config import validate_config
>>> validate_config({"dataset": "digits", "model": "mlp", "optimizer": "adamm"})
Traceback (most recent call last):
...
ValueError: Unknown optimizer 'adamm'. Did you mean 'adam' or 'nadam' or 'adamw'? ...
"""

from __future__ import annotations

import functools

from zoo.registry import did_you_mean

from benchmarks.losses import check_loss
from benchmarks.optimizers import check_optimizer
from benchmarks.schedules import check_schedule

# Values a run uses for keys its config leaves out (model axes default to the
# model card's defaults).
RUN_DEFAULTS = {
    "epochs": 10,
    "optimizer": "adam",
    "learning_rate": None,
    "schedule": "constant",
    "batch_size": 32,
    "loss": None,
    "early_stopping": False,
    "weight_decay": None,
    "pipeline": "identity",
    "pipeline_options": {},
    "dataset_options": {},
    "precision": "float32",
    "target": None,
    "train_samples": None,
    "split_seed": 0,
    "device": "auto",
    "replicas": 1,
    "jit_compile": "auto",
    "steps_per_execution": "auto",
}
DEVICES = ("auto", "cpu", "gpu", "tpu")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16", "float16", "bfloat16", "float64")
TARGET_METRICS = ("val_accuracy", "val_loss", "accuracy", "loss", "val_mae", "mae")
EARLY_STOPPING_KEYS = ("patience", "monitor", "min_delta", "restore_best_weights", "mode")


def _fail(field, value, expected):
    raise ValueError(f"Bad {field}: expected {expected}. Received: {field}={value!r}")


def _check_choice(what: str, field: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(
            f"Unknown {what} {value!r}.{did_you_mean(str(value), choices)} Expected one of: "
            f"{', '.join(choices)}. Received: {field}={value!r}")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@functools.lru_cache(maxsize=None)
def _keras_names(module: str) -> tuple[str, ...]:
    import keras

    mod = getattr(keras, module)
    return tuple(n for n in dir(mod) if not n.startswith("_") and n[0].islower()
                 and n not in ("get", "serialize", "deserialize"))


def check_keras_name(kind: str, value) -> None:
    """Raises a clear `ValueError` if Keras cannot resolve an activation/initializer.

    Args:
        kind: "activation" or "initializer".
        value: A name (or a Keras config dict).

    Raises:
        ValueError: naming the closest names Keras knows.
    """
    import keras

    if value is None or isinstance(value, dict):
        return
    if kind == "initializer" and ":" in str(value):  # "name:scale", as the models accept
        from zoo.models.layers import resolve_initializer

        resolve_initializer(value)
        return
    module = {"activation": "activations", "initializer": "initializers"}[kind]
    try:
        getattr(keras, module).get(value)
        return
    except (ValueError, TypeError):
        pass
    names = _keras_names(module)
    raise ValueError(
        f"Unknown {kind} {value!r}.{did_you_mean(str(value), names)} Expected a name "
        f"`keras.{module}.get` accepts, e.g. {', '.join(names[:8])}, .... "
        f"Received: {kind}={value!r}"
    )


def _dataset_task(name) -> str | None:
    """The dataset's task when the registry card names exactly one, else None."""
    try:
        from zoo.datasets import DATASETS

        tasks = DATASETS.card(name).tasks if name in DATASETS else ()
    except Exception:  # a broken registry must not hide the config's own errors
        return None
    return tasks[0] if len(tasks) == 1 else None


def validate_config(config: dict) -> None:
    """Checks the names and values of one resolved config without training.

    Args:
        config: A resolved run config (see docs/ARCHITECTURE.md); missing keys
            take `RUN_DEFAULTS`.

    Raises:
        ValueError: for the first bad name or value, saying what was expected
            (with "Did you mean ...?" for near-miss names).
    """
    if not isinstance(config, dict):
        raise TypeError(f"A run config must be a dict. Received: config={config!r}")
    cfg = {**RUN_DEFAULTS, **config}
    for key in ("dataset", "model"):
        if not isinstance(cfg.get(key), str) or not cfg.get(key):
            _fail(key, cfg.get(key), "a registry name (see `zoo %ss`)" % key)
    if not _is_int(cfg["epochs"]) or cfg["epochs"] < 1:
        _fail("epochs", cfg["epochs"], "a positive int")
    check_optimizer(cfg["optimizer"])
    lr = cfg["learning_rate"]
    if lr is not None and (not _is_number(lr) or not lr > 0):
        _fail("learning_rate", lr, "a positive number, or None for the optimizer's default")
    check_schedule(cfg["schedule"])
    check_loss(cfg["loss"], _dataset_task(cfg["dataset"]))
    bs = cfg["batch_size"]
    if bs != "full" and (not _is_int(bs) or bs < 1):
        _fail("batch_size", bs, 'an int >= 1 or "full"')
    es = cfg["early_stopping"]
    if isinstance(es, dict):
        for key in es:
            _check_choice("early_stopping option", "early_stopping", key, EARLY_STOPPING_KEYS)
    elif not isinstance(es, bool) and not (_is_int(es) and es >= 0) and es is not None:
        _fail("early_stopping", es, "false, a patience (int >= 0) or a dict of options")
    wd = cfg["weight_decay"]
    if wd is not None and (not _is_number(wd) or wd < 0):
        _fail("weight_decay", wd, "a number >= 0, or None for the optimizer's default")
    _check_choice("precision", "precision", cfg["precision"], PRECISIONS)
    _check_choice("device", "device", cfg["device"], DEVICES)
    if not _is_int(cfg["replicas"]) or cfg["replicas"] < 1:
        _fail("replicas", cfg["replicas"], "a positive int")
    target = cfg["target"]
    if target is not None and (not isinstance(target, dict) or "metric" not in target
                               or not _is_number(target.get("value"))):
        _fail("target", target, 'None or {"metric": "val_accuracy", "value": 0.9}')
    if target is not None:
        _check_choice("target metric", "target.metric", target["metric"], TARGET_METRICS)
    momentum = config.get("momentum")  # used by optimizers with a momentum argument only
    if momentum is not None and (not _is_number(momentum) or not 0 <= momentum < 1):
        _fail("momentum", momentum, "a number in [0, 1)")
    ts = cfg["train_samples"]
    if ts is not None and (not _is_int(ts) or ts < 1):
        _fail("train_samples", ts, "None (all) or a positive int")
    if not _is_int(cfg["split_seed"]):
        _fail("split_seed", cfg["split_seed"], "an int")
    spe = cfg["steps_per_execution"]
    if spe != "auto" and (not _is_int(spe) or spe < 1):
        _fail("steps_per_execution", spe, 'a positive int or "auto"')
    if cfg["jit_compile"] not in (True, False, "auto"):
        _fail("jit_compile", cfg["jit_compile"], 'true, false or "auto"')
    for key in ("dataset_options", "pipeline_options"):
        if not isinstance(cfg[key] or {}, dict):
            _fail(key, cfg[key], "a table (dict) of options")
    if "activation" in config:
        check_keras_name("activation", config["activation"])
    if "initializer" in config:
        check_keras_name("initializer", config["initializer"])
