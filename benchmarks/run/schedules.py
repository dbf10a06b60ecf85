"""Learning-rate schedules by name, built from the run's length.

A schedule is given as a name or as a dict `{"name": ..., **options}`:

- "constant": the base learning rate throughout.
- "cosine": cosine decay from the base rate to `alpha` x base (default 0)
  over the whole run.
- "exponential": the rate falls by a constant factor each epoch, reaching
  `final_fraction` x base (default 0.01) at the end of the run.
- "step": divide by 10 at 50% and again at 75% of the run (`boundaries`
  and `factor` options).
- "warmup": linear warm-up from 0 over `warmup_fraction` of the steps
  (default 0.1), then `then` = "constant" (default) or "cosine".

The base rate is the run's `learning_rate`, or the optimizer's Keras default
when it is None. Importing this module does not import TensorFlow.

Example:

>>> from benchmarks.run.schedules import make_schedule
>>> lr = make_schedule("cosine", 0.1, epochs=10, steps_per_epoch=50)
>>> float(lr(500)) < 1e-6
True
"""

from __future__ import annotations

from zoo.registry import did_you_mean

SCHEDULES = ("constant", "cosine", "exponential", "step", "warmup")
_OPTIONS = {
    "constant": (),
    "cosine": ("alpha",),
    "exponential": ("final_fraction",),
    "step": ("boundaries", "factor"),
    "warmup": ("warmup_fraction", "then"),
}


def parse_schedule(schedule) -> tuple[str, dict]:
    """Splits a schedule given as None, a name or a dict into (name, options).

    Raises:
        ValueError: for an unknown name or option, naming the closest ones.
    """
    from zoo.references import is_reference, resolve

    if schedule is None:
        return "constant", {}
    if is_reference(schedule):  # "mypkg.lr:warm_cosine": (learning_rate, epochs, steps_per_epoch)
        resolve(schedule, "schedule")
        return schedule, {}
    if isinstance(schedule, dict):
        options = dict(schedule)
        name = options.pop("name", None)
    else:
        name, options = schedule, {}
    if name not in SCHEDULES:
        raise ValueError(
            f"Unknown schedule {name!r}.{did_you_mean(str(name), SCHEDULES)} Expected one "
            f"of: {', '.join(SCHEDULES)} (or a dict with a 'name' key and options). "
            f"Received: schedule={schedule!r}"
        )
    for key in options:
        if key not in _OPTIONS[name]:
            raise ValueError(
                f"Schedule {name!r} does not accept the option {key!r}."
                f"{did_you_mean(key, _OPTIONS[name])} It accepts: "
                f"{', '.join(_OPTIONS[name]) or 'no options'}. Received: schedule={schedule!r}"
            )
    if name == "warmup" and options.get("then", "constant") not in ("constant", "cosine"):
        raise ValueError(
            "A warmup schedule continues with 'constant' or 'cosine'. "
            f"Received: then={options['then']!r}"
        )
    return name, options


def check_schedule(schedule) -> None:
    """Raises a clear `ValueError` for an unknown schedule name or option."""
    parse_schedule(schedule)


def make_schedule(schedule, learning_rate: float, epochs: int, steps_per_epoch: int):
    """Builds a learning rate (float) or `keras.optimizers.schedules` object.

    Args:
        schedule: None, a name from `SCHEDULES`, `{"name": ..., **options}`, or
            a reference `"module:function"` to a function called as
            `function(learning_rate=..., epochs=..., steps_per_epoch=...)` that
            returns a float or a `keras.optimizers.schedules.LearningRateSchedule`.
        learning_rate: The base learning rate (a positive float).
        epochs: Epochs the run trains for.
        steps_per_epoch: Optimizer steps per epoch.

    Returns:
        `learning_rate` itself for "constant", else a `LearningRateSchedule`.

    Raises:
        ValueError: for an unknown schedule or option.
    """
    import keras

    from zoo.references import is_reference, resolve

    name, options = parse_schedule(schedule)
    if name == "constant":
        return learning_rate
    if is_reference(name):
        return resolve(name, "schedule")(learning_rate=learning_rate, epochs=int(epochs),
                                         steps_per_epoch=int(steps_per_epoch))
    schedules = keras.optimizers.schedules
    total = max(1, int(epochs) * int(steps_per_epoch))
    if name == "cosine":
        return schedules.CosineDecay(learning_rate, decay_steps=total,
                                     alpha=float(options.get("alpha", 0.0)))
    if name == "exponential":
        final = float(options.get("final_fraction", 0.01))
        return schedules.ExponentialDecay(learning_rate, decay_steps=max(1, steps_per_epoch),
                                          decay_rate=final ** (1.0 / max(1, epochs)))
    if name == "step":
        fractions = options.get("boundaries", (0.5, 0.75))
        factor = float(options.get("factor", 0.1))
        boundaries = [max(1, int(f * total)) for f in fractions]
        values = [learning_rate * factor**i for i in range(len(boundaries) + 1)]
        return schedules.PiecewiseConstantDecay(boundaries, values)
    # warmup: CosineDecay's linear warm-up; alpha=1 keeps the rate constant after it.
    warmup = max(1, int(float(options.get("warmup_fraction", 0.1)) * total))
    alpha = 0.0 if options.get("then", "constant") == "cosine" else 1.0
    return schedules.CosineDecay(0.0, decay_steps=max(1, total - warmup), alpha=alpha,
                                 warmup_target=learning_rate, warmup_steps=warmup)
