"""STAGING ONLY: `benchmarks.run._train` split in three; moves into benchmarks/run.py."""

from __future__ import annotations

import math

from benchmarks.run import RUN_DEFAULTS, _callbacks, _compile, _measure  # noqa: F401


def prepare_run(cfg: dict, seed: int, options: dict, record: dict) -> dict:
    from benchmarks import devices, inputs

    record["options"] = {k: cfg[k] for k in ("jit_compile", "steps_per_execution", "device",
                                             "replicas", "precision")}
    record["options"].update({k: options[k] for k in ("peak_flops", "threads") if k in options})
    devices.prepare_devices(cfg, threads=options.get("threads"))  # before TF initializes
    record["host"], record["versions"] = devices.host_info(), devices.library_versions()
    import keras

    keras.backend.clear_session()
    strategy, record["device"] = devices.make_strategy(cfg["device"], cfg["replicas"],
                                                       cfg.get("tpu"))
    from benchmarks.seeding import seed_everything

    seed_everything(seed, deterministic=record["device"].startswith("cpu"))
    ds, augmenter = inputs.prepare_dataset(cfg)
    n_train = inputs.train_size(ds)
    batch_size = inputs.resolve_batch_size(cfg["batch_size"], n_train)
    record["options"]["batch_size"] = batch_size
    return {"strategy": strategy, "ds": ds, "augmenter": augmenter, "n_train": n_train,
            "batch_size": batch_size}


def build_model(cfg: dict, context: dict, record: dict):
    model, loss, label_map = _compile(cfg, context["ds"], context["strategy"],
                                      context["n_train"], context["batch_size"])
    context.update(loss=loss, label_map=label_map)
    record["params"] = int(sum(math.prod(w.shape) for w in model.trainable_weights))
    return model


def fit_model(model, cfg: dict, seed: int, options: dict, record: dict, context: dict,
              callbacks=(), initial_epoch: int = 0) -> str:
    from benchmarks import inputs

    ds, label_map = context["ds"], context["label_map"]
    train, val, test = inputs.make_datasets(ds, context["batch_size"], seed, label_map,
                                            context["augmenter"])
    cbs = _callbacks(cfg, seed, options, ds, context["loss"], label_map)
    history = model.fit(train, validation_data=val, epochs=cfg["epochs"],
                        initial_epoch=initial_epoch, callbacks=list(cbs.values()) + list(callbacks),
                        shuffle=False, verbose=0)
    _measure(record, cfg, options, model, history, cbs, ds, context["n_train"])
    if record["diverged_epoch"] is not None:
        return "diverged"
    record["test"] = {k: float(v) for k, v in
                      model.evaluate(test, return_dict=True, verbose=0).items()}
    return "ok"
