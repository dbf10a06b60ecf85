"""Dataset registry and loaders: generated from the registry, tiny sizes."""


import numpy as np
import pandas as pd
import pytest
from conftest import modules_after

import zoo
from zoo.datasets import DATASETS, load

# Small options per dataset; a new entry without one is loaded with defaults.
SMALL = {
    "mnist1d": {"n_samples": 200},
    "spirals": {"n_samples": 100},
    "moons": {"n_samples": 100},
    "wide_scales": {"n_samples": 100},
    "adding": {"n_samples": 100},
    "tabular_mixed": {"n_samples": 100},
    "text_topics": {"n_samples": 100},
}
CARD_EXTRA = {"source", "size", "input_shape", "num_classes", "split"}


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "zoo-cache"))


def _rows(x):
    return len(next(iter(x.values()))) if isinstance(x, dict) else len(x)


def check_dataset(ds):
    """Checks that arrays agree with the spec: shapes, sizes, labels."""
    spec = ds.spec
    assert set(ds.splits) == {"train", "validation", "test"}
    for split, (x, y) in ds.splits.items():
        assert _rows(x) == len(y) == spec.sizes[split] > 0
        if isinstance(x, dict):
            assert spec.input_kind == "tabular"
            assert tuple(x) == spec.feature_names and (len(x),) == spec.input_shape
        else:
            assert tuple(x.shape[1:]) == spec.input_shape, split
            expected = object if spec.input_dtype == "string" else np.dtype(spec.input_dtype)
            assert x.dtype == expected
        if spec.task == "classification":
            assert y.dtype == np.int32 and 0 <= y.min() and y.max() < spec.num_classes
            assert spec.output_dim == spec.num_classes
        else:
            assert y.dtype == np.float32 and spec.output_dim == 1


@pytest.mark.parametrize("name", zoo.list_datasets())
def test_each_dataset_loads_as_its_card_promises(name):
    card = DATASETS.card(name)
    options = SMALL.get(name, {})
    ds = load(name, seed=0, **options)
    check_dataset(ds)
    assert ds.spec.name == name and ds.spec.task in card.tasks
    assert ds.spec.input_kind == card.input_kind
    assert CARD_EXTRA <= set(card.extra), f"card extra lacks {CARD_EXTRA - set(card.extra)}"
    assert list(ds.spec.input_shape) == card.extra["input_shape"]
    assert ds.spec.num_classes == card.extra["num_classes"]
    if "n_samples" in options:
        assert sum(ds.spec.sizes.values()) == options["n_samples"]
    else:
        assert sum(ds.spec.sizes.values()) == card.extra["size"]
    # Same split seed -> identical arrays; another seed -> another split.
    again, other = load(name, seed=0, **options), load(name, seed=1, **options)
    for split in ("train", "validation", "test"):
        np.testing.assert_array_equal(ds.numpy(split)[1], again.numpy(split)[1])
    x0, x1 = ds.numpy("train")[0], again.numpy("train")[0]
    if isinstance(x0, dict):
        for k in x0:
            np.testing.assert_array_equal(x0[k], x1[k])
    else:
        np.testing.assert_array_equal(x0, x1)
    assert ds.spec.sizes == other.spec.sizes
    assert not np.array_equal(ds.numpy("train")[1], other.numpy("train")[1]) or not (
        np.array_equal(ds.numpy("validation")[1], other.numpy("validation")[1]))


def test_digits_split_is_deterministic_per_seed():
    first, again = load("digits", seed=3), load("digits", seed=3)
    for split in ("train", "validation", "test"):
        np.testing.assert_array_equal(first.numpy(split)[1], again.numpy(split)[1])


def test_unknown_dataset_and_option_errors():
    with pytest.raises(ValueError, match="Did you mean 'digits'"):
        load("digts")
    with pytest.raises(ValueError, match="does not accept.*n_sample"):
        load("spirals", n_sample=10)
    with pytest.raises(ValueError, match="Unknown dataset prefix"):
        load("ftp:digits")
    with pytest.raises(ValueError, match="n_samples >= "):
        load("moons", n_samples=3)


def test_mnist1d_is_cached_and_leaves_global_random_state_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path))
    np.random.seed(7)
    state = np.random.get_state()[1].copy()
    ds = load("mnist1d", n_samples=120)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    assert len(list(tmp_path.glob("mnist1d-*.npz"))) == 1
    assert ds.spec.sizes == {"train": 77, "validation": 19, "test": 24}  # 96 -> 80/20, + 24
    import mnist1d.data

    def no_generation(*args, **kwargs):
        raise AssertionError("generated again instead of read from the cache")

    with monkeypatch.context() as patched:
        patched.setattr(mnist1d.data, "make_dataset", no_generation)
        again = load("mnist1d", num_samples=120)  # alias; served from the cache
    np.testing.assert_array_equal(ds.numpy("test")[0], again.numpy("test")[0])
    shuffled = load("mnist1d", n_samples=120, shuffle_seq=True)
    assert len(list(tmp_path.glob("mnist1d-*.npz"))) == 2
    assert not np.array_equal(shuffled.numpy("test")[0], ds.numpy("test")[0])


def test_mnist1d_paper_split_trains_on_every_training_signal(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path))
    carved = load("mnist1d", n_samples=200)
    paper = load("mnist1d", n_samples=200, split="paper")
    assert paper.spec.sizes == {"train": 160, "validation": 40, "test": 40}
    assert carved.spec.sizes["train"] < 160  # validation carved out of train
    # The same test signals; the validation set is generated apart from train.
    np.testing.assert_array_equal(paper.numpy("test")[0], carved.numpy("test")[0])
    train, val = paper.numpy("train")[0], paper.numpy("validation")[0]
    assert not any((train == v).all(axis=(1, 2)).any() for v in val)
    # The split seed does not change the paper's split.
    np.testing.assert_array_equal(load("mnist1d", n_samples=200, split="paper",
                                       seed=3).numpy("train")[0], train)
    with pytest.raises(ValueError, match="split is one of 'carve', 'paper'"):
        load("mnist1d", n_samples=200, split="papers")


def test_diabetes_target_scaled_with_training_statistics():
    ds = load("diabetes")
    y = ds.numpy("train")[1]
    assert abs(y.mean()) < 1e-5 and abs(y.std() - 1) < 1e-4
    raw = load("diabetes", scale_target=False)
    np.testing.assert_allclose(raw.numpy("test")[1],
                               ds.numpy("test")[1] * ds.spec.extra["target_std"]
                               + ds.spec.extra["target_mean"], rtol=1e-4)


def test_adding_length_option():
    ds = load("adding", n_samples=50, length=12)
    x, y = ds.numpy("test")
    assert ds.spec.input_shape == (12, 2) and (x[:, :, 1].sum(axis=1) == 2).all()
    np.testing.assert_allclose(y, (x[:, :, 0] * x[:, :, 1]).sum(axis=1), rtol=1e-6)


def test_tabular_mixed_has_missing_values_strings_and_wide_scales():
    x, _ = load("tabular_mixed", n_samples=400).numpy("train")
    assert np.isnan(x["income"]).any() and x["city"].dtype == object
    assert "" in set(x["city"]) and set(x["plan"]) == {"basic", "plus", "pro"}
    assert np.nanmean(x["income"]) > 1e4 and np.nanmean(x["ratio"]) < 1e-2


def test_tfds_under_mock_data(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=100):
        ds = load("tfds:mnist", seed=0, data_dir=str(tmp_path))
        again = load("tfds:mnist", seed=0, data_dir=str(tmp_path))
    check_dataset(ds)
    spec = ds.spec
    assert spec.input_kind == "image" and spec.input_shape == (28, 28, 1)
    assert spec.num_classes == 10 and spec.sizes["test"] == 100
    assert spec.sizes["train"] + spec.sizes["validation"] == 100
    x, y = ds.numpy("train")
    assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0 and y.dtype == np.int32
    np.testing.assert_array_equal(y, again.numpy("train")[1])
    with tfds.testing.mock_data(num_examples=50):
        one = load("tfds:mnist", seed=0, data_dir=str(tmp_path), split="train")
    assert sum(one.spec.sizes.values()) == 50 and one.spec.sizes["test"] >= 5


def test_tfds_unknown_name_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="Could not load TFDS dataset"):
        load("tfds:no_such_dataset_xyz", data_dir=str(tmp_path))


def _frame(n=60):
    rng = np.random.default_rng(0)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n) * 1e4,
                         "target": rng.integers(0, 3, n)})


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_file_round_trip(tmp_path, fmt):
    df = _frame()
    path = tmp_path / f"data.{fmt}"
    df.to_csv(path, index=False) if fmt == "csv" else df.to_parquet(path)
    ds = load(f"{fmt}:{path}", seed=0)
    check_dataset(ds)
    assert ds.spec.task == "classification" and ds.spec.num_classes == 3
    assert ds.spec.input_kind == "flat" and ds.spec.feature_names == ("a", "b")
    rows = np.concatenate([ds.numpy(s)[0] for s in ("train", "validation", "test")])
    np.testing.assert_allclose(np.sort(rows[:, 1]), np.sort(df["b"].to_numpy()), rtol=1e-6)
    reg = load(f"{fmt}:{path}", target="b")
    assert reg.spec.task == "regression" and reg.spec.feature_names == ("a", "target")
    forced = load(f"{fmt}:{path}", task="regression")
    assert forced.spec.task == "regression"


def test_csv_with_strings_and_missing_values_becomes_tabular(tmp_path):
    df = _frame()
    df["color"] = ["red", "blue", None] * 20
    df.loc[::7, "a"] = np.nan
    df["target"] = np.where(df["target"] > 0, "yes", "no")
    path = tmp_path / "mixed.csv"
    df.to_csv(path, index=False)
    ds = load(f"csv:{path}")
    check_dataset(ds)
    x, _ = ds.numpy("train")
    assert ds.spec.input_kind == "tabular" and ds.spec.extra["classes"] == ["no", "yes"]
    assert ds.spec.extra["columns"] == {"a": "numeric", "b": "numeric", "color": "categorical"}
    colors = set(x["color"]) | set(ds.numpy("test")[0]["color"])
    assert x["color"].dtype == object and "" in colors


def test_file_errors(tmp_path):
    path = tmp_path / "d.csv"
    _frame().to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"Target column 'label' not found.*\['a', 'b', 'target'\]"):
        load(f"csv:{path}", target="label")
    with pytest.raises(ValueError, match="CSV file not found"):
        load(f"csv:{tmp_path / 'missing.csv'}")
    with pytest.raises(ValueError, match="does not accept.*colour"):
        load(f"csv:{path}", colour="red")


def test_listing_and_loading_numpy_sets_do_not_import_tensorflow():
    code = ("import zoo; zoo.list_datasets(); zoo.list_pipelines(); "
            "from zoo.datasets import DATASETS, load; DATASETS.card('mnist1d'); "
            "load('digits'); load('spirals', n_samples=50)")
    assert "tensorflow" not in modules_after(code)


def test_tf_dataset_batches_and_seeded_shuffle():
    ds = load("digits")
    n = ds.spec.sizes["train"]
    batches = list(ds.tf_dataset("train", batch_size=256))
    assert [tuple(b[0].shape) for b in batches[:1]] == [(256, 8, 8, 1)]
    assert sum(int(b[1].shape[0]) for b in batches) == n and len(batches) == -(-n // 256)

    def order(seed):
        return np.concatenate([y.numpy() for _, y in
                               ds.tf_dataset("train", 256, shuffle=True, seed=seed)])

    np.testing.assert_array_equal(order(1), order(1))
    assert not np.array_equal(order(1), order(2))
    tab = load("tabular_mixed", n_samples=50).tf_dataset("train", batch_size=8)
    x, y = next(iter(tab))
    assert set(x) == set(DATASETS.card("tabular_mixed").extra["columns"]) and y.shape == (8,)


def test_reconstruction_option_makes_targets_the_flattened_inputs():
    ds = load("digits", task="reconstruction")
    x, y = ds.numpy("train")
    assert ds.spec.task == "reconstruction" and ds.spec.output_dim == 64
    np.testing.assert_array_equal(y, x.reshape(len(x), -1))
    with pytest.raises(ValueError, match="does not accept"):
        load("digits", task="regression")
    with pytest.raises(ValueError, match="non-numeric"):
        load("text_topics", task="reconstruction")


@pytest.mark.parametrize("name", ["digits", "breast_cancer", "diabetes"])
def test_bundled_sklearn_sets_are_cached_as_scikit_learn_gives_them(name, tmp_path, monkeypatch):
    import sklearn.datasets

    from zoo.datasets.sklearn_sets import _bundled

    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path))
    first = load(name)
    assert len(list(tmp_path.glob(f"sklearn-load_{name}-*.npz"))) == 1

    def no_loading(*args, **kwargs):
        raise AssertionError("loaded by scikit-learn again instead of read from the cache")

    direct = getattr(sklearn.datasets, f"load_{name}")()
    with monkeypatch.context() as patched:
        patched.setattr(sklearn.datasets, f"load_{name}", no_loading)
        cached = _bundled(f"load_{name}")
        again = load(name)
    for split in ("train", "validation", "test"):
        for a, b in zip(first.numpy(split), again.numpy(split)):
            np.testing.assert_array_equal(a, b)
    assert cached.data.dtype == direct.data.dtype and cached.target.dtype == direct.target.dtype
    np.testing.assert_array_equal(cached.data, direct.data)
    np.testing.assert_array_equal(cached.target, direct.target)
    assert cached.feature_names == [str(n) for n in direct.feature_names]


def test_a_worker_loads_a_dataset_once_read_only_and_again_when_its_file_changed(tmp_path):
    import os

    from benchmarks.run import inputs

    path = tmp_path / "t.csv"
    path.write_text("a,b,label\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(40)))
    config = {"dataset": f"csv:{path}", "dataset_options": {"target": "label"}}
    assert inputs.prepare_dataset(config)[0] is not inputs.prepare_dataset(config)[0]
    inputs.reuse_loaded_datasets()
    try:
        first = inputs._load(config["dataset"], 0, config["dataset_options"])
        assert inputs._load(config["dataset"], 0, config["dataset_options"]) is first
        assert inputs._load(config["dataset"], 1, config["dataset_options"]) is not first
        y = first.numpy("train")[1]
        with pytest.raises(ValueError, match="read-only"):
            y[0] = 1  # no run can change another run's data
        digits = [inputs._load("digits", 0, {}) for _ in range(2)]
        assert digits[0] is digits[1]
        path.write_text(path.read_text() + "40,1,0\n")
        os.utime(path, ns=(1, 10**18))  # changed on disk: loaded again
        again = inputs._load(config["dataset"], 0, config["dataset_options"])
        assert again is not first and sum(again.spec.sizes.values()) == 41
        for seed in range(inputs.MAX_LOADED + 1):  # the oldest is dropped
            inputs._load("digits", 100 + seed, {})
        assert inputs._load("digits", 0, {}) is not digits[0]
    finally:
        inputs.reuse_loaded_datasets(False)
