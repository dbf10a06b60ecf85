"""Pipelines: each adapts on the training split only and its spec matches its output."""

import numpy as np
import pytest

import zoo
from zoo.datasets import Dataset, from_arrays, load
from zoo.pipelines import PIPELINES, Pipeline, apply, build

# A suitable small dataset per pipeline; others get one by their card's input kind.
DATA = {
    "tabular": ("tabular_mixed", {"n_samples": 200}),
    "text": ("text_topics", {"n_samples": 120}),
    "image": ("digits", {}),
    "select_features": ("breast_cancer", {}),
}
BY_KIND = {"image": ("digits", {}), "text": ("text_topics", {"n_samples": 120}),
           "tabular": ("tabular_mixed", {"n_samples": 200})}


def _dataset_for(name):
    kind = PIPELINES.card(name).input_kind
    dataset, options = DATA.get(name) or BY_KIND.get(kind, ("wine", {}))
    return load(dataset, seed=0, **options)


@pytest.mark.parametrize("name", zoo.list_pipelines())
def test_each_pipeline_adapts_transforms_and_reports_its_spec(name):
    ds = _dataset_for(name)
    out, augmenter = apply(name, ds)
    spec = out.spec
    assert spec.extra["pipeline"] == name and spec.sizes == ds.spec.sizes
    for split in ("train", "validation", "test"):
        x, y = out.numpy(split)
        assert isinstance(x, np.ndarray) and x.shape == (spec.sizes[split], *spec.input_shape)
        assert x.dtype == np.dtype(spec.input_dtype)
        assert np.isfinite(x).all()
        np.testing.assert_array_equal(y, ds.numpy(split)[1])
    if spec.input_dtype == "int32":
        assert spec.vocab_size and out.numpy("train")[0].max() < spec.vocab_size
    if augmenter is not None:
        x = out.numpy("train")[0][:4]
        assert tuple(augmenter(x, training=True).shape) == x.shape


def test_standardize_uses_training_statistics_only():
    ds = load("wide_scales", n_samples=300)
    out, _ = apply("standardize", ds)
    x_train = out.numpy("train")[0]
    np.testing.assert_allclose(x_train.mean(axis=0), 0, atol=1e-3)
    np.testing.assert_allclose(x_train.std(axis=0), 1, atol=1e-3)
    raw_all = np.concatenate([ds.numpy(s)[0] for s in ("train", "validation", "test")])
    pipe = build("standardize", ds.spec)
    pipe.adapt(ds.numpy("train")[0])
    mean = np.asarray(pipe.layer.mean).ravel()
    np.testing.assert_allclose(mean, ds.numpy("train")[0].mean(axis=0), rtol=1e-4)
    assert not np.allclose(mean, raw_all.mean(axis=0), rtol=1e-4)
    # Per-channel statistics for images.
    img, _ = apply("standardize", load("digits"))
    assert abs(img.numpy("train")[0].mean()) < 1e-4


def test_minmax_maps_training_split_to_unit_range():
    out, _ = apply("minmax", load("wine"))
    x = out.numpy("train")[0]
    np.testing.assert_allclose(x.min(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(x.max(axis=0), 1, atol=1e-5)
    clipped, _ = apply("minmax", load("wine"), clip=True)
    assert clipped.numpy("test")[0].min() >= 0 and clipped.numpy("test")[0].max() <= 1


def test_tabular_imputes_with_training_means_and_one_hots_strings():
    ds = load("tabular_mixed", n_samples=200)
    out, _ = apply("tabular", ds)
    x_train = ds.numpy("train")[0]
    for col, mean in out.spec.extra["imputed_means"].items():
        assert mean == pytest.approx(float(np.nanmean(x_train[col].astype("float64"))), rel=1e-5)
    assert out.spec.extra["missing_indicators"] == ["age", "income", "ratio"]
    assert out.spec.input_kind == "flat" and out.spec.input_shape[0] > 7
    plain, _ = apply("tabular", ds, missing_indicator=False)
    assert plain.spec.input_shape[0] == out.spec.input_shape[0] - 3
    # A plain matrix is a table too: every column is normalized.
    flat, _ = apply("tabular", load("iris"))
    np.testing.assert_allclose(flat.numpy("train")[0].mean(axis=0), 0, atol=1e-4)


def test_text_vocabulary_comes_from_training_split_only():
    x = np.array(["red apple", "green apple", "red pear", "green pear", "zebra apple",
                  "zebra pear"], dtype=object)
    y = np.array([0, 1, 0, 1, 0, 1], dtype="int32")
    splits = {"train": (x[:4], y[:4]), "validation": (x[4:5], y[4:5]), "test": (x[5:], y[5:])}
    ds = from_arrays("toy", None, None, splits=splits, input_kind="text", input_dtype="string",
                     input_shape=())
    out, _ = apply("text", ds, sequence_length=3)
    assert out.spec.vocab_size == 2 + 4  # padding, OOV, red, green, apple, pear
    np.testing.assert_array_equal(out.numpy("test")[0][0, 0], 1)  # "zebra" -> OOV
    bag, _ = apply("text", ds, output_mode="multi_hot")
    assert bag.spec.input_kind == "flat" and bag.spec.input_shape == (5,)  # no padding slot
    assert bag.numpy("test")[0].shape == (1, 5)


def test_select_features_uses_training_labels_only():
    rng = np.random.default_rng(0)
    n = 90
    y = (np.arange(n) % 2).astype("int32")
    x = rng.normal(size=(n, 4)).astype("float32")
    x[:60, 0] += 3 * y[:60]  # predictive in train only
    x[60:, 1] += 3 * y[60:]  # predictive in validation / test only
    splits = {"train": (x[:60], y[:60]), "validation": (x[60:75], y[60:75]),
              "test": (x[75:], y[75:])}
    ds = from_arrays("toy", None, None, splits=splits, feature_names=("a", "b", "c", "d"))
    for score in ("f", "mutual_info"):
        out, _ = apply("select_features", ds, k=1, score=score)
        assert out.spec.feature_names == ("a",) and out.spec.input_shape == (1,)
        np.testing.assert_array_equal(out.numpy("test")[0][:, 0], x[75:, 0])
    with pytest.raises(ValueError, match="supervised"):
        build("select_features", ds.spec).adapt(x)


def test_image_augmenter_runs_in_tf_data_on_training_batches():
    import tensorflow as tf

    out, augment = apply("image", load("digits"), flip="horizontal", seed=1)
    assert [type(layer).__name__ for layer in augment.layers] == [
        "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation"]
    train = out.tf_dataset("train", 32, map_fn=lambda x, y: (augment(x, training=True), y))
    plain = out.tf_dataset("train", 32)
    (xa, ya), (xp, yp) = next(iter(train)), next(iter(plain))
    assert xa.shape == xp.shape == (32, 8, 8, 1) and xa.dtype == tf.float32
    np.testing.assert_array_equal(ya, yp)
    assert not np.allclose(xa, xp)
    off, none = apply("image", load("digits"), rotation=0, zoom=0, translation=0)
    assert none is None
    rng = np.random.default_rng(0)
    flat = from_arrays("flat16", rng.uniform(size=(40, 16)).astype("float32") * 255,
                       np.arange(40) % 2)
    img, _ = apply("image", flat, image_shape=[4, 4, 1], rescale=1 / 255)
    assert img.spec.input_shape == (4, 4, 1) and img.numpy("train")[0].max() <= 1.0


def test_pipeline_errors_say_what_to_use_instead():
    tab, text = load("tabular_mixed", n_samples=50), load("text_topics", n_samples=50)
    with pytest.raises(ValueError, match="Use pipeline 'tabular'"):
        apply("standardize", tab)
    with pytest.raises(ValueError, match="Use pipeline 'text'"):
        apply("minmax", text)
    with pytest.raises(ValueError, match="needs raw strings"):
        apply("text", load("iris"))
    with pytest.raises(ValueError, match="image_shape"):
        apply("image", load("iris"))
    with pytest.raises(ValueError, match="does not accept options"):
        apply("standardize", load("iris"), axes=0)
    with pytest.raises(ValueError, match="Did you mean 'standardize'"):
        apply("standardise", load("iris"))


def test_pipelines_whose_adapt_takes_only_x_still_work(monkeypatch):
    seen = {}

    class Legacy(Pipeline):
        def adapt(self, x_train):
            seen["rows"] = len(x_train)

    card = PIPELINES.card("identity")
    monkeypatch.setitem(PIPELINES._entries, "legacy", (lambda spec: Legacy(spec), card))
    ds = load("iris")
    apply("legacy", ds)
    assert seen["rows"] == ds.spec.sizes["train"]


def test_dataset_container_rejects_unknown_split():
    ds = load("iris")
    assert isinstance(ds, Dataset)
    with pytest.raises(ValueError, match="Unknown split 'val'"):
        ds.numpy("val")


@pytest.mark.slow
def test_standardizing_wide_scales_speeds_up_training():
    """The data behind claim C11: raw wide_scales trains badly, standardized well."""
    import keras

    def val_accuracy(ds):
        keras.utils.set_random_seed(0)
        model = zoo.build_model("mlp", ds.spec, width=32)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        h = model.fit(*ds.numpy("train"), validation_data=ds.numpy("validation"), epochs=10,
                      batch_size=64, verbose=0)
        return h.history["val_accuracy"][-1]

    ds = load("wide_scales", n_samples=1000)
    raw, scaled = val_accuracy(ds), val_accuracy(apply("standardize", ds)[0])
    assert scaled > 0.8 and scaled > raw + 0.2, (raw, scaled)
