"""`run_packed`: one cell trained with K seeds in one graph, one record per seed."""

from __future__ import annotations

import random
import time

from benchmarks.matrix.packing.members import (
    _bookkeeping_class,
    _diagnostics,
    _member_means_class,
    _packed_model_class,
    _per_example,
    member_logs,
    packed_loss,
)
from benchmarks.matrix.packing.stacking import stack_models
from benchmarks.matrix.planner import unpackable_reason
from benchmarks.run_config import RUN_DEFAULTS


class _Unpackable(Exception):
    """The model or optimizer turned out not to allow packing."""


def run_packed(config: dict, seeds: list[int], options: dict | None = None) -> list[tuple]:
    """Trains one cell with several seeds in one graph; one result per seed.

    Args:
        config: A resolved config (as for `benchmarks.run.run_one`).
        seeds: The seeds to train (K members).
        options: Execution options (as for `run_one`).

    Returns:
        A list of `(status, record, error)`, in the order of `seeds`. Falls
        back to one `run_one` per seed when the config cannot be packed; the
        records' `options["packed"]` says which happened and why.
    """
    from benchmarks.run import run_one
    from benchmarks.run.record import empty_record, format_error

    seeds, options = [int(s) for s in seeds], dict(options or {})
    reason = unpackable_reason(config, options) if len(seeds) > 1 else "one seed"
    if reason is None:
        start = time.perf_counter()
        records = [empty_record() for _ in seeds]
        try:
            results = _train_packed({**RUN_DEFAULTS, **config}, seeds, options, records)
        except _Unpackable as exc:
            reason = str(exc)
        except Exception as exc:  # like run_one: a run never takes its worker down
            error = format_error(exc)
            results = [("failed", record, error) for record in records]
        if reason is None:
            for _, record, _ in results:
                record["wall_time"] = time.perf_counter() - start
            return results
    out = []
    for seed in seeds:
        status, record, error = run_one(config, seed, options)
        if record is not None and isinstance(record.get("options"), dict):
            record["options"]["packed"] = {"members": 1, "reason": reason}
        out.append((status, record, error))
    return out


def _train_packed(cfg: dict, seeds: list[int], options: dict, records: list[dict]) -> list:
    from benchmarks import run
    from benchmarks.run import inputs
    from benchmarks.run.losses import resolve_loss
    from benchmarks.run.seeding import seed_everything

    k = len(seeds)
    import numpy as np
    import tensorflow as tf

    # Member 0 exactly as run_one prepares and builds it (devices, clean session,
    # seed, data, resolved execution options); the others re-seed and build the
    # same way, reloading the data only if loading it draws random numbers.
    context = run.prepare_run(cfg, seeds[0], options, records[0])
    deterministic = bool(records[0]["options"].get("deterministic"))
    members, trains, reload = [], [], None
    for i, seed in enumerate(seeds):
        if i:
            seed_everything(seed, deterministic=deterministic)
            if reload is None or reload:
                state = (random.getstate(), np.random.get_state()[1].tobytes())
                inputs.prepare_dataset(cfg)
                reload = state != (random.getstate(), np.random.get_state()[1].tobytes())
        model = run.build_model(cfg, context, records[i])
        model.name = f"{model.name}_{i}"
        members.append(model)
        train, val, test = inputs.make_datasets(context["ds"], context["batch_size"], seed,
                                                context["label_map"], context["augmenter"])
        trains.append(train)  # val / test depend on neither seed: the last member's serve all
    ds, loss, label_map = context["ds"], context["loss"], context["label_map"]
    n_train, device = context["n_train"], records[0]["device"]
    opt_config = members[0].optimizer.get_config()
    if opt_config.get("clipnorm") or opt_config.get("global_clipnorm"):
        raise _Unpackable("gradient norm clipping couples the members")
    try:
        packed = stack_models(members)
    except ValueError as exc:
        raise _Unpackable(str(exc).split(" Set `pack_seeds")[0]) from None
    _, metrics, _ = resolve_loss(cfg["loss"], ds.spec.task, ds.spec.num_classes)
    fns = {"loss": _per_example(loss), **{m.name: _per_example(m) for m in metrics}}
    packed = _packed_model_class()(packed.inputs, packed.outputs, name=packed.name,
                                   members_metric=_member_means_class()(k, fns))
    packed.compile(optimizer=type(members[0].optimizer).from_config(opt_config),
                   loss=packed_loss(loss),
                   jit_compile=cfg["jit_compile"], steps_per_execution=cfg["steps_per_execution"])

    def repeat(x, y):
        return tf.stack([x] * k, axis=1), tf.stack([y] * k, axis=1)

    def stack(*batches):  # member k's batch from its own pipeline, as run_one shuffles it
        return tuple(tf.stack([b[j] for b in batches], axis=1) for j in range(2))

    train = tf.data.Dataset.zip(tuple(trains)).map(stack).prefetch(tf.data.AUTOTUNE)
    x_probe, y_probe = inputs.probe_batch(ds, 256, label_map)
    measure, dead, grad_layers = _diagnostics(packed, loss, np.asarray(x_probe),
                                              np.asarray(y_probe), k)
    from benchmarks.run import diagnostics as diag

    timer, lr_log = diag.EpochTimer(), diag.LearningRateLog()
    book = _bookkeeping_class()(k, run.early_stopping_args(cfg["early_stopping"]),
                                measure)
    packed.fit(train, validation_data=val.map(repeat), epochs=cfg["epochs"],
               callbacks=[timer, lr_log, book], shuffle=False, verbose=0)
    test_logs = packed.evaluate(test.map(repeat), return_dict=True, verbose=0)
    finals = dead()
    flops = diag.flops_per_example(members[0])  # same architecture for every member
    return [_member_record(records[i], i, cfg, options, book, timer, lr_log, flops,
                           finals[i], test_logs, grad_layers, device, ds, n_train, seeds,
                           records[0]["options"], (records[0]["host"], records[0]["versions"]))
            for i in range(k)]


def _member_record(record, i, cfg, options, book, timer, lr_log, flops, final_dead, test_logs,
                   grad_layers, device, ds, n_train, seeds, base_options, base_host):
    from benchmarks.run import diagnostics as diag
    from benchmarks.run import record as rec

    k = len(seeds)
    hist = book.histories[i]
    epochs = len(hist.get("loss", []))
    if lr_log.values:
        hist["learning_rate"] = lr_log.values[:epochs]
    record["options"] = dict(base_options)
    record["options"]["packed"] = {"members": k, "seeds": seeds, "index": i}
    record["host"], record["versions"] = base_host  # measured once, by prepare_run
    record["device"] = device
    record["history"], record["epochs_run"], record["monitor"] = hist, epochs, "val_loss"
    record["best_epoch"] = rec.best_epoch(hist, "val_loss")
    record["evaluated_epoch"] = book.evaluated_epoch(i, epochs)
    record["gen_gap"], record["gen_gap_loss"] = rec.generalization_gaps(
        hist, record["best_epoch"], ds.spec.task)
    record["target"] = diag.reached_target(hist, timer.elapsed, cfg["target"])
    record["epoch_times"], record["train_times"] = (timer.epoch_times[:epochs],
                                                    timer.train_times[:epochs])
    record.update(rec.throughput(timer.epoch_times, timer.train_times, n_train * k))
    record["flops_per_example"] = flops
    peak = options.get("peak_flops")
    if isinstance(peak, (int, float)) and peak and record["samples_per_sec"]:
        record["mfu"] = record["flops_per_example"] * record["samples_per_sec"] / float(peak)
    record["grad_layers"], record["grad_norms"] = grad_layers, book.grads[i]
    record["dead_fraction"], record["dead_by_layer"] = final_dead
    record["dead_history"] = book.dead[i]
    record["diverged_epoch"] = book.diverged[i]
    record["peak_memory_mb"] = rec.peak_memory_mb()
    if book.diverged[i] is not None:
        return "diverged", record, None
    record["test"] = {key: float(v) for key, v in member_logs(test_logs, i).items()}
    return "ok", record, None
