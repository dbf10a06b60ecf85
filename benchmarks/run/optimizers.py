"""Optimizer names -> Keras optimizers.

The names a suite may use are `OPTIMIZERS`; any other name Keras knows
(`keras.optimizers.get`, e.g. "ftrl", "lamb") works too. `learning_rate=None`
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


def _keras_class(name: str):
    """The Keras optimizer class for `name`, or None when Keras does not know it."""
    import keras

    from zoo.references import is_reference

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


def accepts_argument(name: str, argument: str) -> bool:
    """Whether optimizer `name`'s Keras class takes a constructor argument (e.g. momentum)."""
    import inspect

    cls = _keras_class(name)
    return cls is not None and argument in inspect.signature(cls.__init__).parameters


def default_learning_rate(name: str) -> float:
    """The Keras default learning rate of optimizer `name`."""
    import inspect

    cls = _keras_class(name)
    default = inspect.signature(cls.__init__).parameters["learning_rate"].default
    return float(default)


def make_optimizer(name: str = "adam", learning_rate=None, weight_decay=None, **kwargs):
    """Builds a Keras optimizer by name.

    Args:
        name: A name from `OPTIMIZERS` ("momentum" is SGD with momentum 0.9,
            "nesterov" adds Nesterov momentum), any Keras optimizer name, or a
            reference to an optimizer class or factory (`"mypkg.opt:Lion"`,
            `"keras.optimizers.Lion"`), called with `learning_rate` (and
            `weight_decay`) when the suite sets them. Defaults to "adam".
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
