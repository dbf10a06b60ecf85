"""Transfer learning for one run: class subsets and pre-training (claim C16).

Two config keys turn a run into a transfer experiment:

- `train_classes = [5, 6, 7, 8, 9]`: the run sees only these classes, in every
  split, relabelled 0..k-1 in the listed order (applied before
  `train_samples`, so the label budget counts examples of these classes);
- `pretrain = {classes = [0, 1, 2, 3, 4], epochs = 10}`: before training, the
  same model architecture is trained on those classes (all their training
  examples, or `train_samples` of them), then every layer but the output
  layer is copied into the run's model, which is then fine-tuned as usual.
  Optional keys: `train_samples`, `batch_size` (defaults to the run's),
  `optimizer` (defaults to "adam"), `learning_rate` (the optimizer's default).

`pretrain = false` (or absent) trains from scratch, the control.

Example:

>>> ds = zoo.datasets.load("digits")
>>> target = select_classes(ds, [5, 6, 7, 8, 9])
>>> target.spec.num_classes
5
"""

from __future__ import annotations

import numpy as np

PRETRAIN_KEYS = ("classes", "epochs", "train_samples", "batch_size", "optimizer",
                 "learning_rate")


def select_classes(ds, classes):
    """Keeps the examples of `classes` in every split, relabelled 0..k-1.

    Args:
        ds: A classification `zoo.datasets.Dataset`.
        classes: Class ids to keep, in the order of their new labels.

    Returns:
        A new `Dataset` with `num_classes = output_dim = len(classes)`.

    Raises:
        ValueError: for a non-classification dataset, or classes it lacks.
    """
    classes = [int(c) for c in classes]
    spec = ds.spec
    if spec.task != "classification":
        raise ValueError(f"train_classes / pretrain need a classification dataset; "
                         f"{spec.name!r} is a {spec.task} task. Remove train_classes and "
                         f"pretrain from the suite. Received: classes={classes}")
    missing = [c for c in classes if not 0 <= c < int(spec.num_classes or 0)]
    if missing or len(set(classes)) != len(classes) or not classes:
        raise ValueError(f"Classes must be distinct ids of {spec.name!r}, between 0 and "
                         f"{int(spec.num_classes or 0) - 1}. Received: classes={classes}")
    new_label = np.full(int(spec.num_classes), -1, dtype="int32")
    new_label[classes] = np.arange(len(classes), dtype="int32")
    splits = {}
    for name, (x, y) in ds.splits.items():
        keep = np.isin(y, classes)
        xs = {k: v[keep] for k, v in x.items()} if isinstance(x, dict) else x[keep]
        splits[name] = (xs, new_label[np.asarray(y)[keep]])
    sizes = {name: len(y) for name, (_, y) in splits.items()}
    extra = {**spec.extra, "classes": classes}
    return ds.with_splits(splits, spec.replace(num_classes=len(classes),
                                               output_dim=len(classes), sizes=sizes,
                                               extra=extra))


def check_pretrain(value) -> dict | None:
    """Returns the pretrain table (None for false / absent).

    Raises:
        ValueError: for a value that is not false or a table with `classes`.
    """
    if value is None or value is False:
        return None
    if not isinstance(value, dict) or not value.get("classes"):
        raise ValueError("pretrain must be false or a table with at least `classes`, e.g. "
                         "pretrain = {classes = [0, 1, 2, 3, 4], epochs = 10}. "
                         f"Received: pretrain={value!r}")
    unknown = sorted(set(value) - set(PRETRAIN_KEYS))
    if unknown:
        raise ValueError(f"Unknown pretrain keys {unknown}: expected some of {PRETRAIN_KEYS}. "
                         f"Received: pretrain={value!r}")
    return value


def pretrain_into(model, cfg: dict, seed: int, batch_size: int) -> dict:
    """Pre-trains a copy of the run's architecture and copies its weights in.

    Loads the run's dataset with the run's split seed, keeps `pretrain
    ["classes"]`, applies the run's pipeline, builds the same model for that
    label set, trains it with sparse categorical cross-entropy, and copies
    every layer except the output layer into `model` (layers matched by name
    and weight shapes).

    Args:
        model: The run's built model (its weights are overwritten).
        cfg: The resolved config with a `pretrain` table.
        seed: The run's seed (shuffling of the pre-training data).
        batch_size: The run's batch size (default of the pre-training's).

    Returns:
        A summary for the record: classes, epochs, examples, final
        validation accuracy of the pre-training, copied layer names.
    """
    import zoo.datasets
    import zoo.models
    import zoo.pipelines
    from benchmarks.run.optimizers import make_optimizer

    pre = check_pretrain(cfg.get("pretrain"))
    ds = zoo.datasets.load(cfg["dataset"], seed=cfg.get("split_seed", 0),
                           **(cfg.get("dataset_options") or {}))
    ds = select_classes(ds, pre["classes"])
    n = pre.get("train_samples")
    if n:
        x, y = ds.numpy("train")
        x = {k: v[:n] for k, v in x.items()} if isinstance(x, dict) else x[:n]
        ds = ds.with_splits(dict(ds.splits, train=(x, y[:n])),
                            ds.spec.replace(sizes=dict(ds.spec.sizes, train=len(y[:n]))))
    ds, augmenter = zoo.pipelines.apply(cfg.get("pipeline") or "identity", ds,
                                        **(cfg.get("pipeline_options") or {}))
    axes = {k: v for k, v in cfg.items() if k in zoo.models.accepted_axes(cfg["model"])}
    source = zoo.models.build(cfg["model"], ds.spec, **axes)
    source.compile(optimizer=make_optimizer(pre.get("optimizer", "adam"),
                                            pre.get("learning_rate"), None),
                   loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    bs = int(pre.get("batch_size") or batch_size)
    map_fn = (lambda x, y: (augmenter(x, training=True), y)) if augmenter is not None else None
    train = ds.tf_dataset("train", bs, shuffle=True, seed=seed, map_fn=map_fn)
    val = ds.tf_dataset("validation", 256)
    history = source.fit(train, validation_data=val, epochs=int(pre.get("epochs", 5)),
                         shuffle=False, verbose=0)
    copied = copy_weights(source, model)
    return {"classes": [int(c) for c in pre["classes"]], "epochs": int(pre.get("epochs", 5)),
            "examples": len(ds.numpy("train")[1]),
            "val_accuracy": float(history.history.get("val_accuracy", [float("nan")])[-1]),
            "copied_layers": copied}


def copy_weights(source, target, skip=("output",)) -> list[str]:
    """Copies the weights of same-named, same-shaped layers (except `skip`).

    Returns:
        Names of the layers copied.

    Raises:
        ValueError: when no layer could be copied (the models do not match).
    """
    copied = []
    by_name = {layer.name: layer for layer in source.layers}
    for layer in target.layers:
        src = by_name.get(layer.name)
        if layer.name in skip or src is None or not layer.weights:
            continue
        weights = src.get_weights()
        if [w.shape for w in weights] != [tuple(w.shape) for w in layer.weights]:
            continue
        layer.set_weights(weights)
        copied.append(layer.name)
    if not copied:
        raise ValueError(f"Pre-training copied no layer into {target.name!r}: the two models "
                         f"share no layer with the same name and weight shapes. Received: "
                         f"source layers={sorted(by_name)}")
    return copied
