"""Sample quality of a generative model, measured by a small classifier of the real data.

Not eyeballed: a classifier trained once per dataset scores the generated
samples against the real test split.

- **Class coverage**: the classes the classifier assigns to at least
  `MIN_SHARE` / K of the samples (half a fair share, so the scorer's own
  few percent of errors do not count as classes), over the K classes. A generator whose samples cover fewer than half of the classes
  has **collapsed** (mode collapse).
- **Confidence**: the classifier's mean top probability on the samples
  (sharp, recognisable samples score high; blurs and noise low).
- **Fréchet distance** (`frechet_distance`): between Gaussians fitted to the
  classifier's penultimate-layer features of the samples and of the real
  test split, |mu_a - mu_b|^2 + Tr(A + B - 2 (A B)^(1/2)). This is an FID
  computed with OUR feature extractor (`FEATURE_EXTRACTOR`), not
  Inception's: comparable between runs on the same dataset, not with
  published FIDs.

The classifier (`quality_classifier`): Flatten -> Dense(128, relu) ->
Dense(64, relu, "features") -> softmax, Adam, 30 epochs on the whole
training split of the run's data (`train_samples` left out), seeded with
`CLASSIFIER_SEED`. Its weights are cached like
generated data (`zoo.datasets.cache.cached_arrays`, under `$ZOO_CACHE_DIR`,
kind "quality-classifier"), keyed by the data it was trained on, so every
run on a dataset is scored by the same classifier. Its test accuracy is
recorded with the scores (a scorer's own error bounds what it can tell).

Example:

>>> clf = quality_classifier(dataset, key={"dataset": "digits"})
>>> score(clf, generated, dataset.numpy("test")[0])["collapsed"]
False
"""

from __future__ import annotations

import math

import numpy as np

MIN_SHARE = 0.5          # a class counts as covered from half its fair share of the samples
CLASSIFIER_SEED = 1234
CLASSIFIER_EPOCHS = 30
FEATURE_EXTRACTOR = "zoo quality classifier, MLP 128-64, penultimate (64) features"
ARCH_VERSION = 2         # bump when the classifier or its training changes: a new cache key


def class_coverage(probs: np.ndarray, num_classes: int, min_share: float = MIN_SHARE) -> int:
    """Number of classes predicted for at least `min_share / num_classes` of the samples.

    Example:

    >>> class_coverage(np.eye(10)[[3] * 100], 10)
    1
    """
    n = len(probs)
    if not n:
        return 0
    counts = np.bincount(np.argmax(probs, axis=1), minlength=num_classes)
    return int((counts >= max(1.0, min_share * n / num_classes)).sum())


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets `(n, d)`.

    `Tr((A B)^(1/2))` is computed as the sum of square roots of the
    eigenvalues of `A^(1/2) B A^(1/2)` (symmetric, so `eigh` is exact and
    stable); no scipy.

    Example:

    >>> x = np.random.default_rng(0).normal(size=(500, 4))
    >>> frechet_distance(x, x) < 1e-6
    True
    """
    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return float("nan")
    mu = a.mean(axis=0) - b.mean(axis=0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    w, v = np.linalg.eigh(cov_a)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = root_a @ cov_b @ root_a
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    return float(mu @ mu + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root)


def _build(input_shape, num_classes: int):
    import keras

    def dense(units, name, i, **kwargs):  # seeded: no global random state is read
        return keras.layers.Dense(units, name=name, kernel_initializer=keras.initializers.
                                  GlorotUniform(seed=CLASSIFIER_SEED + i), **kwargs)

    inputs = keras.Input(shape=tuple(input_shape), name="x")
    x = keras.layers.Flatten(name="flatten")(inputs)
    x = dense(128, "hidden", 0, activation="relu")(x)
    features = dense(64, "features", 1, activation="relu")(x)
    probs = dense(num_classes, "probs", 2, activation="softmax", dtype="float32")(features)
    return keras.Model(inputs, [probs, features], name="quality_classifier")


def _train(dataset, num_classes: int) -> dict:
    """Trains the classifier on `dataset`'s training split; its weights and test accuracy.

    Deterministic without touching any global random state (a run may train
    it between its own epochs): seeded initializers, and the epochs' shuffles
    drawn from a numpy generator of `CLASSIFIER_SEED`, laid end to end and
    fitted as one pass without Keras's shuffling.
    """
    import keras

    x, y = dataset.numpy("train")
    rng = np.random.default_rng(CLASSIFIER_SEED)
    order = np.concatenate([rng.permutation(len(y)) for _ in range(CLASSIFIER_EPOCHS)])
    model = _build(x.shape[1:], num_classes)
    trainer = keras.Model(model.input, model.output[0])
    trainer.compile(optimizer=keras.optimizers.Adam(1e-3),
                    loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                    jit_compile=False)
    trainer.fit(x[order], y[order], batch_size=64, epochs=1, shuffle=False, verbose=0)
    x_test, y_test = dataset.numpy("test")
    accuracy = trainer.evaluate(x_test, y_test, verbose=0, return_dict=True)["accuracy"]
    arrays = {f"w{i:03d}": w for i, w in enumerate(model.get_weights())}
    arrays["test_accuracy"] = np.asarray(float(accuracy))
    return arrays


def classifier_key(config: dict) -> dict:
    """What identifies the data a run's classifier learns: dataset, options, split, pipeline.

    Not `train_samples`: the classifier learns the whole training split, so
    runs on a smaller budget are scored by the same classifier.

    Example:

    >>> classifier_key({"dataset": "digits", "train_samples": 200})["dataset"]
    'digits'
    """
    from zoo.axes import value

    return {k: value(config, k) for k in ("dataset", "dataset_options", "split_seed",
                                          "pipeline", "pipeline_options")} | {
        "train_classes": config.get("train_classes")}


class QualityClassifier:
    """The classifier of one dataset: class probabilities and features of samples.

    Args:
        model: The Keras model `x -> [probs, features]`.
        test_accuracy: Its accuracy on the dataset's test split.
    """

    def __init__(self, model, test_accuracy: float):
        self.model, self.test_accuracy = model, float(test_accuracy)
        self.num_classes = int(model.output[0].shape[-1])

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`(probs, features)` of samples (inference, direct calls in batches of 1024)."""
        x = np.asarray(x, dtype="float32")
        outs = [self.model(x[i:i + 1024], training=False) for i in range(0, len(x), 1024)]
        return tuple(np.concatenate([np.asarray(o[j]) for o in outs]) for j in (0, 1))


def quality_classifier(dataset, key: dict) -> QualityClassifier:
    """The dataset's quality classifier: trained once, then loaded from the cache.

    Args:
        dataset: A `zoo.datasets.Dataset` with class labels (`spec.num_classes`).
        key: What identifies the data (dataset name and options, split seed,
            pipeline, ...); the cache key adds the shapes and `ARCH_VERSION`.

    Returns:
        A `QualityClassifier`.

    Raises:
        ValueError: for a dataset without classes.
    """
    spec = dataset.spec
    if not spec.num_classes:
        raise ValueError(f"Scoring samples needs a dataset with class labels; "
                         f"{spec.name!r} has none (task {spec.task!r}). Received: "
                         f"dataset={spec.name!r}")
    from zoo.datasets.cache import cached_arrays

    full_key = {**key, "input_shape": list(spec.input_shape), "classes": int(spec.num_classes),
                "sizes": dict(spec.sizes), "arch": ARCH_VERSION, "seed": CLASSIFIER_SEED,
                "epochs": CLASSIFIER_EPOCHS}
    arrays = cached_arrays("quality-classifier", full_key,
                           lambda: _train(dataset, int(spec.num_classes)))
    model = _build(spec.input_shape, int(spec.num_classes))
    model.set_weights([arrays[k] for k in sorted(arrays) if k.startswith("w")])
    return QualityClassifier(model, float(arrays["test_accuracy"]))


def score(classifier: QualityClassifier, samples: np.ndarray, real: np.ndarray,
          real_features: np.ndarray | None = None) -> dict:
    """Coverage, confidence, Fréchet distance and collapse of `samples` against `real` data.

    Args:
        classifier: The dataset's `QualityClassifier`.
        samples: Generated samples, shaped like the data.
        real: Real examples (the test split) for the Fréchet distance.
        real_features: The classifier's features of `real`, when already
            computed (a per-epoch monitor computes them once). Defaults to None.

    Returns:
        `{"classes_covered", "num_classes", "coverage", "confidence",
        "frechet_distance", "collapsed", "n_samples", "classifier"}`; NaN
        scores and `collapsed` None when the samples are not finite.

    Example:

    >>> score(clf, x_test, x_train)["coverage"]
    1.0
    """
    k = classifier.num_classes
    out = {"num_classes": k, "n_samples": int(len(samples)),
           "classifier": {"test_accuracy": classifier.test_accuracy,
                          "feature_extractor": FEATURE_EXTRACTOR, "min_share": MIN_SHARE}}
    samples = np.asarray(samples, dtype="float32")
    if not np.isfinite(samples).all():
        return {**out, "classes_covered": None, "coverage": math.nan, "confidence": math.nan,
                "frechet_distance": math.nan, "collapsed": None}
    probs, features = classifier(samples)
    if real_features is None:
        _, real_features = classifier(real)
    covered = class_coverage(probs, k)
    return {**out, "classes_covered": covered, "coverage": covered / k,
            "confidence": float(np.max(probs, axis=1).mean()),
            "frechet_distance": frechet_distance(features, real_features),
            "collapsed": bool(covered < k / 2)}
