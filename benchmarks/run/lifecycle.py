"""One training run: one cell (a resolved config) x one seed.

`run_one(config, seed, options)` trains in the current process and returns
`(status, record, error)`; it never raises for a training problem. Steps:
seed everything -> load the dataset (split seed), keep `train_samples`,
apply the pipeline -> build the model inside the `tf.distribute` strategy
scope, under the precision policy -> optimizer (+ schedule, weight decay),
loss and metrics -> `fit` with diagnostics callbacks -> evaluate the test
split -> record (`benchmarks.store.RECORD_KEYS`).

Which weights are evaluated: the weights the run ends with, EXCEPT with
early stopping (`config["early_stopping"]`: true = patience 5, an int
patience, or a dict of `keras.callbacks.EarlyStopping` arguments), which
restores the weights of its best epoch (lowest `val_loss`) before the test
evaluation. `best_epoch` is argmin `val_loss` (1-based) either way; `evaluated_epoch`
says which epoch's weights the `test` metrics come from.

Status: "ok"; "diverged" when a loss became NaN/inf (training stops there,
the history is kept up to that epoch, no test metrics); "failed" for any
exception (the record holds what was measured before it, `error` is
"ExceptionType: message" plus the traceback tail).

`options` only change how a run executes, not what it computes:
`tensorboard_dir` (write TensorBoard logs + HParams there), `peak_flops`
(for MFU: FLOP/s, or "auto" to measure it once per process with
`benchmarks.run.devices.matmul_peak_flops`), `threads` (TensorFlow intra/inter-op threads), `run_id`.

Execution: `steps_per_execution` / `jit_compile` set to "auto" are resolved
per run by `benchmarks.run.execution.resolve_execution`. On CPU without XLA, op
determinism is on, so the same config and seed give identical records.

Keras Tuner trials reuse the same steps: `prepare_run` -> `build_model`
(under `devices.precision_policy`) -> `fit_model`.

Example:

>>> from benchmarks.run import run_one
>>> status, record, error = run_one(
...     {"dataset": "digits", "model": "mlp", "epochs": 2, "width": 16}, seed=0)
>>> status, len(record["history"]["loss"])
('ok', 2)
"""

from __future__ import annotations

import contextlib
import math
import time

from benchmarks.run_config import RUN_DEFAULTS, validate_config  # noqa: F401  (re-exported)


def run_one(config: dict, seed: int, options: dict | None = None):
    """Trains one config with one seed; returns `(status, record, error)`.

    Args:
        config: A resolved config (docs/ARCHITECTURE.md); missing keys take
            `RUN_DEFAULTS`, model axes their card's defaults.
        seed: The run's seed (weights, dropout, shuffling).
        options: Execution options (`tensorboard_dir`, `peak_flops`,
            `threads`, `run_id`). Defaults to None.

    Returns:
        `(status, record, error)`: status "ok" | "diverged" | "failed", a
        record with every `RECORD_KEYS` key, and an error message or None.
    """
    from benchmarks.run.record import empty_record, format_error

    record, start = empty_record(), time.perf_counter()
    try:
        status = _train({**RUN_DEFAULTS, **config}, seed, dict(options or {}), record)
        error = None
    except Exception as exc:  # a run never takes its worker down
        status, error = "failed", format_error(exc)
    record["wall_time"] = time.perf_counter() - start
    return status, record, error


def _train(cfg: dict, seed: int, options: dict, record: dict) -> str:
    from benchmarks.run import devices

    context = prepare_run(cfg, seed, options, record)
    with devices.precision_policy(cfg["precision"]):
        model = build_model(cfg, context, record)
        return fit_model(model, cfg, seed, options, record, context)


def prepare_run(cfg: dict, seed: int, options: dict, record: dict) -> dict:
    """Devices, a clean Keras session, seeds and data: everything before the model.

    Args:
        cfg: The resolved config with every `RUN_DEFAULTS` key.
        seed: The run's seed.
        options: Execution options (see `run_one`).
        record: The record to fill (`options`, `host`, `versions`, `device`).

    Returns:
        A context dict for `build_model` and `fit_model`: `strategy`, `ds`,
        `augmenter`, `n_train`, `batch_size`.
    """
    from benchmarks.run import devices, inputs
    from benchmarks.run.seeding import seed_everything, set_op_determinism

    record["options"] = {k: cfg[k] for k in ("jit_compile", "steps_per_execution", "device",
                                             "replicas", "precision")}
    devices.prepare_devices(cfg, threads=options.get("threads"))  # before TF initializes
    if options.get("peak_flops") == "auto":  # measured once per (worker) process, for MFU
        options["peak_flops"] = devices.matmul_peak_flops()
    record["options"].update({k: options[k] for k in ("peak_flops", "threads") if k in options})
    record["host"], record["versions"] = devices.host_info(), devices.library_versions()
    import keras

    keras.backend.clear_session()
    strategy, record["device"] = devices.make_strategy(cfg["device"], cfg["replicas"],
                                                       cfg.get("tpu"))
    # Bit-identical reruns on CPU; XLA needs op determinism off (Keras drops jit otherwise).
    on_cpu = record["device"].startswith("cpu")
    seed_everything(seed, deterministic=on_cpu and cfg["jit_compile"] is not True)
    ds, augmenter = inputs.prepare_dataset(cfg)
    n_train = inputs.train_size(ds)
    batch_size = inputs.resolve_batch_size(cfg["batch_size"], n_train)
    _resolve_execution(cfg, n_train, batch_size, record["device"])
    deterministic = on_cpu and cfg["jit_compile"] is False
    set_op_determinism(deterministic)
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

    Adds `loss` and `label_map` to `context` and the parameter count to `record`.
    """
    model, loss, label_map = _compile(cfg, context["ds"], context["strategy"],
                                      context["n_train"], context["batch_size"])
    context.update(loss=loss, label_map=label_map)
    record["params"] = int(sum(math.prod(w.shape) for w in model.trainable_weights))
    return model


def fit_model(model, cfg: dict, seed: int, options: dict, record: dict, context: dict,
              callbacks=(), initial_epoch: int = 0) -> str:
    """Trains with the diagnostics callbacks, evaluates the test split, fills `record`.

    Args:
        model: The compiled model of `build_model`.
        cfg, seed, options, record, context: As for `prepare_run`.
        callbacks: Extra Keras callbacks, run after the harness's (e.g. Keras
            Tuner's). Defaults to ().
        initial_epoch: First epoch (Hyperband resumes). Defaults to 0.

    Returns:
        "ok" or "diverged".
    """
    from benchmarks.run import inputs

    ds, label_map = context["ds"], context["label_map"]
    if cfg.get("pretrain"):  # transfer learning (claim C16): benchmarks/run/transfer.py
        from benchmarks.run.transfer import pretrain_into

        record["pretrain"] = pretrain_into(model, cfg, seed, context["batch_size"])
    train, val, test = inputs.make_datasets(ds, context["batch_size"], seed, label_map,
                                            context["augmenter"])
    cbs = _callbacks(cfg, seed, options, ds, context["loss"], label_map)
    try:
        history = model.fit(train, validation_data=val, epochs=cfg["epochs"],
                            initial_epoch=initial_epoch,
                            callbacks=list(cbs.values()) + list(callbacks), shuffle=False,
                            verbose=0)
    except Exception:  # keep what the finished epochs measured, then fail
        with contextlib.suppress(Exception):
            _measure(record, cfg, options, model, getattr(model, "history", None), cbs, ds,
                     context["n_train"])
        raise
    _measure(record, cfg, options, model, history, cbs, ds, context["n_train"])
    if record["diverged_epoch"] is not None:
        return "diverged"
    record["test"] = {k: float(v) for k, v in
                      model.evaluate(test, return_dict=True, verbose=0).items()}
    if cfg.get("record_predictions"):  # ensembles (claim C15): benchmarks/run/ensemble.py
        from benchmarks.run.ensemble import test_predictions

        record.update(test_predictions(model, test, ds))
    return "ok"


def _compile(cfg, ds, strategy, n_train, batch_size):
    import zoo.models
    from benchmarks.run.losses import resolve_loss
    from benchmarks.run.optimizers import (
        accepts_argument,
        default_learning_rate,
        make_optimizer,
    )
    from benchmarks.run.schedules import make_schedule

    axes = {k: v for k, v in cfg.items() if k in zoo.models.accepted_axes(cfg["model"])}
    spec = ds.spec
    loss, metrics, label_map = resolve_loss(cfg["loss"], spec.task, spec.num_classes)
    lr = cfg["learning_rate"]
    if cfg["schedule"] not in (None, "constant"):
        base = lr if lr is not None else default_learning_rate(cfg["optimizer"])
        lr = make_schedule(cfg["schedule"], base, cfg["epochs"], math.ceil(n_train / batch_size))
    with strategy.scope():
        model = zoo.models.build(cfg["model"], spec, **axes)
        extra = {}  # momentum: an axis for the optimizers that take it (sgd, rmsprop)
        if cfg.get("momentum") is not None and accepts_argument(cfg["optimizer"], "momentum"):
            extra["momentum"] = float(cfg["momentum"])
        optimizer = make_optimizer(cfg["optimizer"], lr, cfg["weight_decay"], **extra)
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics,
                      jit_compile=cfg["jit_compile"],
                      steps_per_execution=cfg["steps_per_execution"])
    return model, loss, label_map


def early_stopping_args(value) -> dict | None:
    """`keras.callbacks.EarlyStopping` arguments of `config["early_stopping"]`.

    Args:
        value: false / None (no early stopping), true (patience 5), an int
            patience, or a dict of `EarlyStopping` arguments.

    Returns:
        The arguments (monitor "val_loss", best weights restored, unless the
        dict says otherwise), or None without early stopping.
    """
    if not value:
        return None
    args = {"monitor": "val_loss", "patience": 5, "restore_best_weights": True}
    args.update(value if isinstance(value, dict) else {} if value is True else
                {"patience": int(value)})
    return args


def _callbacks(cfg, seed, options, ds, loss, label_map) -> dict:
    """Named callbacks in the order they run (the timer first, dead units last)."""
    import keras

    from benchmarks.run import diagnostics as diag
    from benchmarks.run.inputs import probe_batch

    x_probe, y_probe = probe_batch(ds, 256, label_map)
    cbs = {"timer": diag.EpochTimer(), "nan": keras.callbacks.TerminateOnNaN(),
           "divergence": diag.DivergenceMonitor(), "lr": diag.LearningRateLog(),
           "grads": diag.GradientNorms(x_probe, y_probe, loss)}
    es_args = early_stopping_args(cfg["early_stopping"])
    if es_args is not None:
        cbs["early_stopping"] = keras.callbacks.EarlyStopping(**es_args)
    if options.get("tensorboard_dir"):
        from benchmarks.run.tensorboard_logs import tensorboard_callbacks

        for i, cb in enumerate(tensorboard_callbacks(options["tensorboard_dir"], cfg, seed,
                                                     options.get("run_id"))):
            cbs[f"tensorboard_{i}"] = cb
    cbs["dead"] = diag.DeadUnits(x_probe)  # after EarlyStopping: sees restored weights
    return cbs


def _measure(record, cfg, options, model, history, cbs, ds, n_train) -> None:
    from benchmarks.run import diagnostics as diag
    from benchmarks.run import record as rec

    hist = rec.clean_history(getattr(history, "history", None) or {})
    lrs = getattr(cbs["lr"], "values", [])
    if lrs:
        hist["learning_rate"] = lrs[: len(hist.get("loss", lrs))]
    timer, es = cbs["timer"], cbs.get("early_stopping")
    record["history"], record["epochs_run"] = hist, len(hist.get("loss", []))
    record["monitor"] = "val_loss"
    record["best_epoch"] = rec.best_epoch(hist, "val_loss")
    record["evaluated_epoch"] = (es.best_epoch + 1 if es is not None and es.best_weights
                                 is not None else record["epochs_run"])
    record["gen_gap"], record["gen_gap_loss"] = rec.generalization_gaps(
        hist, record["best_epoch"], ds.spec.task)
    record["target"] = diag.reached_target(hist, timer.elapsed, cfg["target"])
    record["epoch_times"], record["train_times"] = timer.epoch_times, timer.train_times
    record.update(rec.throughput(timer.epoch_times, timer.train_times, n_train))
    record["flops_per_example"] = diag.flops_per_example(model)
    peak = options.get("peak_flops")
    if peak and record["samples_per_sec"]:
        record["mfu"] = record["flops_per_example"] * record["samples_per_sec"] / float(peak)
    record["grad_layers"], record["grad_norms"] = cbs["grads"].layers, cbs["grads"].norms
    dead = cbs["dead"]
    record["dead_fraction"], record["dead_by_layer"] = dead.fraction, dead.by_layer
    record["dead_history"], record["dead_note"] = dead.history, dead.note
    diverged = cbs["divergence"].diverged_epoch
    if diverged is None:  # TerminateOnNaN may stop before the epoch's logs are complete
        bad = [i for i, v in enumerate(hist.get("loss", [])) if not math.isfinite(v)]
        diverged = bad[0] + 1 if bad else None
    record["diverged_epoch"] = diverged
    record["peak_memory_mb"] = rec.peak_memory_mb()
