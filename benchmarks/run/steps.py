"""The steps of a run before training: prepare (devices, session, seed, data), build, compile.

Used by `benchmarks.run.lifecycle.Run` for every member of every run; each
step fills its part of the record (`options`, `host`, `versions`, `device`,
`params`).
"""

from __future__ import annotations

import math


def prepare_run(cfg: dict, seed: int, options: dict, record: dict) -> dict:
    """Devices, a clean Keras session, seeds and data: everything before the model.

    Args:
        cfg: The resolved config with every key of `zoo.axes.cell_defaults()`.
        seed: The run's seed.
        options: Execution options (see `run_one`); a "auto" `peak_flops` is
            replaced by the measured peak.
        record: The record to fill (`options`, `host`, `versions`, `device`).

    Returns:
        A context dict for `build_model`: `strategy`, `ds`, `augmenter`,
        `n_train`, `batch_size`.

    Example:

    >>> record = empty_record()
    >>> context = prepare_run({**cell_defaults(), "dataset": "digits", "model": "mlp"}, 0, {},
    ...                       record)
    >>> context["batch_size"], record["options"]["steps_per_execution"]
    (32, 32)
    """
    from benchmarks.run import backends, devices, inputs
    from benchmarks.run.seeding import seed_everything, set_op_determinism
    from zoo.axes import value

    backend = value(cfg, "backend")
    backends.check_running(backend)  # Keras fixed its backend at import: one per process
    record["options"] = {k: cfg[k] for k in ("jit_compile", "steps_per_execution", "device",
                                             "replicas", "precision")}
    record["options"]["backend"] = backend
    devices.prepare_devices(cfg, threads=options.get("threads"))  # before TF initializes
    backends.set_threads(backend, options.get("threads"))
    if cfg.get("imports"):  # modules registering the suite's own entries, in this worker too
        from zoo.references import import_modules

        import_modules(cfg["imports"])
    if options.get("peak_flops") == "auto":  # measured once per (worker) process, for MFU
        options["peak_flops"] = devices.matmul_peak_flops()
    record["options"].update({k: options[k] for k in ("peak_flops", "threads") if k in options})
    record["host"], record["versions"] = devices.host_info(), devices.library_versions()
    import keras

    keras.backend.clear_session()
    if backend == backends.TENSORFLOW:
        strategy, record["device"] = devices.make_strategy(cfg["device"], cfg["replicas"],
                                                           cfg.get("tpu"))
    else:  # no tf.distribute (the suite checks refuse replicas > 1 and TPUs)
        strategy = backends.NoStrategy()
        record["device"] = backends.device_description(backend, cfg["device"])
    # Bit-identical reruns on CPU; XLA needs op determinism off (Keras drops jit otherwise).
    on_cpu = record["device"].startswith("cpu")
    seed_everything(seed, deterministic=on_cpu and (cfg["jit_compile"] is not True
                                                    or backend == backends.JAX))
    ds, augmenter = inputs.prepare_dataset(cfg)
    n_train = inputs.train_size(ds)
    batch_size = inputs.resolve_batch_size(cfg["batch_size"], n_train)
    _resolve_execution(cfg, n_train, batch_size, record["device"])
    # JAX always compiles with XLA, whose CPU kernels are deterministic (backends.DETERMINISM).
    deterministic = on_cpu and (cfg["jit_compile"] is False or backend == backends.JAX)
    set_op_determinism(deterministic)
    backends.set_determinism(backend, deterministic)
    record["options"].update(jit_compile=cfg["jit_compile"], deterministic=deterministic,
                             steps_per_execution=cfg["steps_per_execution"],
                             batch_size=batch_size)
    return {"strategy": strategy, "ds": ds, "augmenter": augmenter, "n_train": n_train,
            "batch_size": batch_size}


def _resolve_execution(cfg: dict, n_train: int, batch_size: int, device: str) -> None:
    """Replaces "auto" `steps_per_execution` / `jit_compile` by measured defaults."""
    if "auto" in (cfg["steps_per_execution"], cfg["jit_compile"]):
        from benchmarks.run.execution import resolve_execution

        cfg.update(resolve_execution(cfg, n_train=n_train, batch_size=batch_size,
                                     device=device))


def build_model(cfg: dict, context: dict, record: dict):
    """Builds and compiles the model in the strategy scope (call under the precision policy).

    Adds `loss`, `metrics` and `label_map` to `context` and the parameter count to `record`.

    Args:
        cfg: The resolved config.
        context: What `prepare_run` returned.
        record: The record to fill (`params`).

    Returns:
        The compiled model (optimizer, schedule, weight decay, loss, metrics).
    """
    model, loss, metrics, label_map = _compile(cfg, context["ds"], context["strategy"],
                                               context["n_train"], context["batch_size"])
    context.update(loss=loss, metrics=metrics, label_map=label_map)
    record["params"] = int(sum(math.prod(w.shape) for w in model.trainable_weights))
    return model


def _compile(cfg, ds, strategy, n_train, batch_size):
    import zoo.models
    from benchmarks.run.losses import resolve_loss
    from benchmarks.run.optimizers import run_optimizer
    from zoo.axes import value
    from zoo.models.generative import is_generative

    if is_generative(cfg["model"]):  # own train_step and losses: benchmarks/run/generation.py
        from benchmarks.run.generation import compile_generative

        return compile_generative(cfg, ds, strategy, n_train, batch_size), None, [], None
    axes = {k: v for k, v in cfg.items() if k in zoo.models.accepted_axes(cfg["model"])}
    spec = ds.spec
    loss, metrics, label_map = resolve_loss(cfg["loss"], spec.task, spec.num_classes,
                                            value(cfg, "label_smoothing"))
    with strategy.scope():
        model = zoo.models.build(cfg["model"], spec, **axes)
        optimizer = run_optimizer(cfg, cfg["optimizer"], cfg["learning_rate"], n_train,
                                  batch_size)
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics,
                      jit_compile=cfg["jit_compile"],
                      steps_per_execution=cfg["steps_per_execution"])
    return model, loss, metrics, label_map


def early_stopping_args(value) -> dict | None:
    """`keras.callbacks.EarlyStopping` arguments of `config["early_stopping"]`.

    Args:
        value: false / None (no early stopping), true (patience 5), an int
            patience, or a dict of `EarlyStopping` arguments.

    Returns:
        The arguments (monitor "val_loss", best weights restored, unless the
        dict says otherwise), or None without early stopping.

    Example:

    >>> early_stopping_args(3)
    {'monitor': 'val_loss', 'patience': 3, 'restore_best_weights': True}
    """
    if not value:
        return None
    args = {"monitor": "val_loss", "patience": 5, "restore_best_weights": True}
    args.update(value if isinstance(value, dict) else {} if value is True else
                {"patience": int(value)})
    return args
