"""Optimizer names -> Keras optimizers.

The names a suite may use are `OPTIMIZERS`; any other name Keras knows
(`keras.optimizers.get`, e.g. "ftrl", "lamb") works too. An optimizer may
also be a table of its constructor arguments, `{name = "adam", beta_1 =
0.5}` (`parse_optimizer`): the way a suite says "Adam with beta_1 = 0.5"
(the GAN folklore) next to plain "adam". `learning_rate=None`
means the optimizer's Keras default, so "at default settings" comparisons
(claim C6) are what Keras users get out of the box. Importing this module
does not import TensorFlow.

Example:

>>> from benchmarks.run.optimizers import make_optimizer
>>> opt = make_optimizer("momentum", learning_rate=0.01)
>>> float(opt.momentum)
0.9
"""

from __future__ import annotations

from zoo.registry import did_you_mean

# name -> (Keras class name, fixed constructor arguments)
_TABLE = {
    "sgd": ("SGD", {}),
    "momentum": ("SGD", {"momentum": 0.9}),
    "nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "rmsprop": ("RMSprop", {}),
    "adagrad": ("Adagrad", {}),
    "adadelta": ("Adadelta", {}),
    "adam": ("Adam", {}),
    "adamw": ("AdamW", {}),
    "nadam": ("Nadam", {}),
    "adamax": ("Adamax", {}),
    "lion": ("Lion", {}),
}
OPTIMIZERS = tuple(_TABLE)


def _reference(name: str):
    """`(class or factory, class)` of an optimizer reference, checked to make optimizers.

    Raises:
        ValueError: when the reference does not resolve, or resolves to
            something that makes no `keras.optimizers.Optimizer`.
    """
    import keras

    from zoo.references import resolve

    obj = resolve(name, "optimizer")
    try:
        cls = obj if isinstance(obj, type) else type(obj())
    except Exception as exc:  # a factory that needs arguments, or fails
        raise ValueError(f"The optimizer reference {name!r} could not be called without "
                         f"arguments ({type(exc).__name__}: {exc}). Expected an Optimizer "
                         f"subclass or a function returning one whose arguments all have "
                         f"defaults. Received: optimizer={name!r}") from None
    if not issubclass(cls, keras.optimizers.Optimizer):
        raise ValueError(f"The optimizer reference {name!r} makes a {cls.__name__}, not a "
                         f"keras.optimizers.Optimizer. Expected an Optimizer subclass or a "
                         f"function returning one. Received: optimizer={name!r}")
    return obj, cls


def parse_optimizer(value) -> tuple:
    """Splits an optimizer given as a name or a table into `(name, {argument: value})`.

    Args:
        value: A name, or a dict with a "name" and constructor arguments.

    Returns:
        `(name, options)`; options are empty for a plain name.

    Raises:
        ValueError: for a table without a name, or with a value that is not
            a number, bool or string.

    Example:

    >>> parse_optimizer({"name": "adam", "beta_1": 0.5})
    ('adam', {'beta_1': 0.5})
    """
    if not isinstance(value, dict):
        return value, {}
    options = dict(value)
    name = options.pop("name", None)
    if not (isinstance(name, str) and name):
        raise ValueError(f"An optimizer table needs a name, e.g. {{name = \"adam\", beta_1 = "
                         f"0.5}}. Received: optimizer={value!r}")
    for key, option in options.items():
        if not isinstance(option, (int, float, bool, str)):
            raise ValueError(f"Optimizer argument {key!r} must be a number, bool or string. "
                             f"Received: optimizer={value!r}")
    return name, options


def _keras_class(name):
    """The Keras optimizer class for `name`, or None when Keras does not know it."""
    import keras

    from zoo.references import is_reference

    name = parse_optimizer(name)[0]
    if is_reference(name, dotted=True):
        return _reference(name)[1]
    if name in _TABLE:
        return getattr(keras.optimizers, _TABLE[name][0])
    try:
        return type(keras.optimizers.get(name))
    except (ValueError, TypeError):
        return None


def check_optimizer(name) -> None:
    """Raises a clear `ValueError` for an optimizer name nobody knows.

    Args:
        name: A name from `OPTIMIZERS` or any name `keras.optimizers.get` accepts.

    Raises:
        ValueError: naming the closest known names.
    """
    from zoo.references import is_reference

    if isinstance(name, dict):
        _check_table(name)
        return
    if isinstance(name, str) and name in _TABLE:
        return
    if is_reference(name, dotted=True):
        _reference(name)
        return
    if isinstance(name, str) and name.strip() and _keras_class(name) is not None:
        return
    raise ValueError(
        f"Unknown optimizer {name!r}.{did_you_mean(str(name), OPTIMIZERS)} Expected one of: "
        f"{', '.join(OPTIMIZERS)}, or another name `keras.optimizers.get` accepts. "
        f"Received: optimizer={name!r}"
    )


def _check_table(value: dict) -> None:
    """Checks an optimizer table: a known name, and arguments its class takes."""
    import inspect

    name, options = parse_optimizer(value)
    check_optimizer(name)
    params = inspect.signature(_keras_class(name).__init__).parameters
    unknown = sorted(set(options) - set(params) - {"self"})
    if unknown:
        accepted = ", ".join(p for p in params if p not in ("self", "kwargs", "name"))
        raise ValueError(
            f"Unknown argument {unknown[0]!r} of optimizer {name!r}."
            f"{did_you_mean(unknown[0], params)} "
            f"It accepts: {accepted}. Received: optimizer={value!r}")


def accepts_argument(name: str, argument: str) -> bool:
    """Whether optimizer `name`'s Keras class takes a constructor argument (e.g. momentum)."""
    import inspect

    cls = _keras_class(name)
    return cls is not None and argument in inspect.signature(cls.__init__).parameters


def default_learning_rate(name: str) -> float:
    """The Keras default learning rate of optimizer `name`."""
    import inspect

    name, options = parse_optimizer(name)
    if "learning_rate" in options:
        return float(options["learning_rate"])
    cls = _keras_class(name)
    default = inspect.signature(cls.__init__).parameters["learning_rate"].default
    return float(default)


def make_optimizer(name: str = "adam", learning_rate=None, weight_decay=None, **kwargs):
    """Builds a Keras optimizer by name.

    Args:
        name: A name from `OPTIMIZERS` ("momentum" is SGD with momentum 0.9,
            "nesterov" adds Nesterov momentum), any Keras optimizer name, a
            reference to an optimizer class or factory (`"mypkg.opt:Lion"`,
            `"keras.optimizers.Lion"`), called with `learning_rate` (and
            `weight_decay`) when the suite sets them, or a table of
            arguments `{"name": "adam", "beta_1": 0.5}`. Defaults to "adam".
        learning_rate: A float, a `keras.optimizers.schedules.LearningRateSchedule`,
            or None for the optimizer's Keras default. Defaults to None.
        weight_decay: Decoupled weight decay (Keras' `weight_decay` argument),
            or None for the optimizer's default (0 except AdamW's 0.004).
            Defaults to None.
        **kwargs: Other constructor arguments (e.g. `clipnorm`).

    Returns:
        A `keras.optimizers.Optimizer`.

    Raises:
        ValueError: for an unknown name or a non-positive learning rate.
    """
    check_optimizer(name)
    name, options = parse_optimizer(name)
    kwargs = {**options, **kwargs}
    if isinstance(learning_rate, (int, float)) and not isinstance(learning_rate, bool):
        if not learning_rate > 0:
            raise ValueError(f"The learning rate must be positive. "
                             f"Received: learning_rate={learning_rate!r}")
        learning_rate = float(learning_rate)
    from zoo.references import is_reference

    args = dict(_TABLE.get(name, (None, {}))[1])
    args.update(kwargs)
    if learning_rate is not None:
        args["learning_rate"] = learning_rate
    if weight_decay is not None:
        args["weight_decay"] = float(weight_decay)
    make = _reference(name)[0] if is_reference(name, dotted=True) else _keras_class(name)
    return make(**args)


def run_optimizer(cfg: dict, name, learning_rate, n_train: int, batch_size: int):
    """The optimizer `name` with the config's schedule, weight decay and momentum.

    Args:
        cfg: The resolved config (`schedule`, `epochs`, `weight_decay`, `momentum`).
        name: An optimizer name or table (`benchmarks.run.optimizers`).
        learning_rate: The base learning rate, or None for the optimizer's default.
        n_train: Training examples (the schedule's steps per epoch).
        batch_size: The training batch size.

    Returns:
        A `keras.optimizers.Optimizer` (call it in the strategy scope).

    Example:

    >>> run_optimizer({**cell_defaults(), "momentum": 0.5}, "sgd", 0.1, 1000, 100).momentum
    0.5
    """
    import math

    from benchmarks.run.schedules import make_schedule

    lr = learning_rate
    if cfg["schedule"] not in (None, "constant"):
        base = lr if lr is not None else default_learning_rate(name)
        lr = make_schedule(cfg["schedule"], base, cfg["epochs"], math.ceil(n_train / batch_size))
    extra = {}  # momentum: an axis for the optimizers that take it (sgd, rmsprop)
    if cfg.get("momentum") is not None and accepts_argument(name, "momentum"):
        extra["momentum"] = float(cfg["momentum"])
    return make_optimizer(name, lr, cfg["weight_decay"], **extra)
