"""Model zoo contracts, checked once for every registered model.

Every entry of `zoo.list_models()` is built for a tiny spec matching its card,
trained one step on random data, and round-tripped through a `.keras` file
with identical predictions: a new model is tested for free.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import modules_after

import zoo
from zoo.cli import main
from zoo.models import MODELS
from zoo.spec import DatasetSpec

SIZES = {"train": 8, "validation": 4, "test": 4}
# Small values of the shared size axes: keeps every test fast and passes axes to every model.
TINY = {"depth": 1, "width": 8, "filters": 4, "units": 4, "code_size": 2, "embed_dim": 4}
# Keras Applications (8x8 inputs resized to 32x32 inside the model) take their one step
# eagerly: tracing the graph train step of a 100-400 layer application took 13-50 s each
# on 2 CPU cores, an eager step 4-10 s (the graph step is in tests/zoo/test_applications.py,
# marked slow). Build + step + round trip measured 17-23 s for these three, so they are
# slow too; mobilenet_v3_small and efficientnet_v2_b0 (about 8 s each) stay in the default run.
EAGER_TAG = "keras-applications"
SLOW_MODELS = {"resnet50_v2", "densenet121", "convnext_tiny"}
# Generative models have their own train_step and contract: tests/zoo/test_generative.py.
GENERATIVE = {n for n in zoo.list_models() if "generation" in MODELS.card(n).tasks}


def registry_params(names) -> list:
    """`names` as pytest params, the models of `SLOW_MODELS` marked slow."""
    return [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_MODELS else n for n in names]


def small_spec(card, kind: str | None = None) -> DatasetSpec:
    """A tiny `DatasetSpec` matching a model card (no data loaded)."""
    kind = kind or card.input_kind
    shapes = {"image": (8, 8, 1), "sequence": (12,), "flat": (6,), "tabular": (6,),
              "any": (6,), "tokens": (10,)}
    shape = shapes.get(kind, (6,))
    if "reconstruction" in card.tasks and "classification" not in card.tasks:
        size = math.prod(shape)
        return DatasetSpec("tiny", "reconstruction", kind, shape, None, size, SIZES)
    if kind == "tokens":
        return DatasetSpec("tiny", "classification", "sequence", shape, 3, 3, SIZES,
                           vocab_size=20, input_dtype="int32")
    return DatasetSpec("tiny", "classification", kind, shape, 3, 3, SIZES)


def random_batch(spec: DatasetSpec, n: int = 4, seed: int = 0):
    rng = np.random.default_rng(seed)
    if spec.input_dtype == "int32":
        x = rng.integers(1, spec.vocab_size, size=(n, *spec.input_shape)).astype("int32")
    else:
        x = rng.normal(size=(n, *spec.input_shape)).astype("float32")
    if spec.task == "reconstruction":
        return x, x.reshape(n, -1)
    return x, rng.integers(0, spec.num_classes, size=n).astype("int32")


def step_and_round_trip(model, spec, tmp_path, eager=False, jit_compile=False):
    """One training step (eagerly if `eager`), then save/load must give identical predictions.

    XLA is off by default (its compile is slow on TensorFlow); JAX turns it on
    (`tests/backend_checks.py`): without it, Keras runs JAX op by op.
    """
    import keras

    from zoo.models import load_model

    x, y = random_batch(spec)
    loss = ("sparse_categorical_crossentropy" if spec.task == "classification" else "mse")
    model.compile(optimizer="adam", loss=loss, jit_compile=jit_compile, run_eagerly=eager)
    before = [w.copy() for w in model.get_weights()]
    value = model.train_on_batch(x, y)
    assert np.isfinite(value)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    out = keras.ops.convert_to_numpy(model(x, training=False))  # no predict() tracing
    assert out.shape == (len(x), spec.output_dim) and out.dtype == np.float32
    if spec.task == "classification":
        np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-5)
    path = tmp_path / "model.keras"
    model.save(path)
    restored = load_model(path)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(restored(x, training=False)), out,
                               atol=1e-6)


@pytest.mark.parametrize("name", registry_params(sorted(set(zoo.list_models()) - GENERATIVE)))
def test_every_model_builds_trains_and_round_trips(name, tmp_path):
    import keras

    card = MODELS.card(name)
    assert card.description and card.tasks and card.reference and card.tags
    assert set(card.defaults) == set(card.axes), "defaults must cover exactly the axes"
    assert "default_dataset" in card.extra
    spec = small_spec(card)
    model = zoo.build_model(name, spec, **{k: v for k, v in TINY.items() if k in card.axes})
    assert isinstance(model, keras.Model) and type(model).__name__ == "Functional"
    step_and_round_trip(model, spec, tmp_path, eager=EAGER_TAG in card.tags)


@pytest.mark.parametrize("name", ["gru", "transformer", "cnn1d"])
def test_token_inputs_use_an_embedding(name, tmp_path):
    card = MODELS.card(name)
    spec = small_spec(card, kind="tokens")
    model = zoo.build_model(name, spec, **{k: v for k, v in TINY.items() if k in card.axes})
    assert any(layer.__class__.__name__ == "Embedding" for layer in model.layers)
    step_and_round_trip(model, spec, tmp_path)


def test_float_inputs_with_a_vocabulary_are_not_embedded():
    """A bag-of-words (float) spec keeps vocab_size but is no token sequence."""
    spec = small_spec(MODELS.card("gru")).replace(vocab_size=20)
    model = zoo.build_model("gru", spec)
    assert not any(layer.__class__.__name__ == "Embedding" for layer in model.layers)


def test_input_shape_variants_build():
    """Shapes the zoo's datasets produce: 28x28 without channels, 32x32x3, (T, F)."""
    cnn_card = MODELS.card("cnn")
    for shape in ((28, 28), (32, 32, 3)):
        spec = small_spec(cnn_card).replace(input_shape=shape)
        assert zoo.build_model("cnn", spec).output_shape == (None, 3)
    seq = small_spec(MODELS.card("lstm")).replace(input_shape=(7, 2), task="regression",
                                                 num_classes=None, output_dim=1)
    for name in ("lstm", "cnn1d", "mnist1d_gru"):
        assert zoo.build_model(name, seq).output_shape == (None, 1)
    model = zoo.build_model("mnist1d_cnn", small_spec(MODELS.card("cnn1d")).replace(
        input_shape=(40,)))
    assert model.get_layer("flatten").output.shape[-1] == 125  # as in the paper (25 x 5)


def test_outputs_stay_float32_under_mixed_precision():
    import keras

    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        for name in sorted(set(zoo.list_models()) - SLOW_MODELS - GENERATIVE):
            card = MODELS.card(name)
            spec = small_spec(card)
            model = zoo.build_model(name, spec, **{k: v for k, v in TINY.items()
                                                   if k in card.axes})
            out = model(random_batch(spec)[0], training=False)
            assert out.dtype == "float32", name
            assert np.all(np.isfinite(np.asarray(out))), name
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_accepted_axes_change_the_model():
    spec = small_spec(MODELS.card("cnn"))
    small = zoo.build_model("cnn", spec, depth=1, filters=4, width=8)
    large = zoo.build_model("cnn", spec, depth=2, filters=8, width=8, batch_norm=True,
                            dropout=0.1, regularizer="l2:1e-4", initializer="he_normal:0.5",
                            activation="elu")
    assert small.count_params() < large.count_params()
    assert large.losses  # the regularizer is attached


def test_unknown_model_suggests_close_names():
    spec = small_spec(MODELS.card("mlp"))
    with pytest.raises(ValueError, match="(?i)did you mean 'cnn1d'"):
        zoo.build_model("cnn1", spec)


def test_unaccepted_axis_names_axis_and_accepted_ones():
    spec = small_spec(MODELS.card("gru"))
    with pytest.raises(ValueError, match="does not accept the axis 'filters'") as info:
        zoo.build_model("gru", spec, filters=8)
    assert "units" in str(info.value) and "Received: filters=8" in str(info.value)


@pytest.mark.parametrize("name, axes, message", [
    ("mlp", {"depth": -1}, "bad depth: expected an integer >= 0"),
    ("cnn", {"depth": 0}, "bad depth: expected an integer >= 1"),
    ("cnn", {"filters": 2.5}, "bad filters: expected an integer >= 1"),
    ("cnn1d", {"activation": "relux"}, "Unknown activation 'relux'.*Did you mean 'relu'"),
    ("gru", {"initializer": "he_norm"}, "Unknown initializer 'he_norm'"),
    ("transformer", {"dropout": 1.5}, r"bad dropout: expected a number in \[0, 1\)"),
    ("transformer", {"width": 10, "heads": 3}, "divisible by `heads`"),
    ("resnet_small", {"regularizer": "l3"}, "Unknown regularizer 'l3'"),
    ("lstm", {"bidirectional": "yes"}, "bad bidirectional: expected true or false"),
    ("mnist1d_cnn", {"initializer": "random_normal:-1"}, "Bad initializer scale"),
])
def test_bad_axis_values_raise_clear_errors(name, axes, message):
    with pytest.raises(ValueError, match=message):
        zoo.build_model(name, small_spec(MODELS.card(name)), **axes)


def test_wrong_input_or_task_is_explained():
    with pytest.raises(ValueError, match="image inputs"):
        zoo.build_model("cnn", small_spec(MODELS.card("cnn"), kind="flat"))
    with pytest.raises(ValueError, match="task='reconstruction'"):
        zoo.build_model("autoencoder", small_spec(MODELS.card("mlp")))


def test_scaled_initializers():
    import keras

    from zoo.models.layers import resolve_initializer

    assert resolve_initializer("he_normal") == "he_normal"
    normal = resolve_initializer("random_normal:0.01")
    assert isinstance(normal, keras.initializers.RandomNormal) and normal.stddev == 0.01
    he = resolve_initializer("he_uniform:3")
    assert he.scale == 6.0 and he.mode == "fan_in" and he.distribution == "uniform"


def test_listing_models_does_not_import_tensorflow():
    assert modules_after("import zoo; zoo.list_models(); from zoo.models import MODELS; "
                         "[MODELS.card(n) for n in MODELS.names()]") == []


def test_cli_lists_with_pattern_and_tag(capsys):
    assert main(["models", "cnn*", "--format", "json"]) == 0
    names = [c["name"] for c in __import__("json").loads(capsys.readouterr().out)]
    assert names == ["cnn", "cnn1d"]
    assert main(["models", "--tag", "mnist1d-paper"]) == 0
    out = capsys.readouterr().out
    for name in ("logistic", "mlp", "mnist1d_mlp", "mnist1d_cnn", "mnist1d_gru"):
        assert name in out
    assert "resnet_small" not in out


def test_cli_show_unknown_model_exits_2_with_suggestion(capsys):
    assert main(["models", "show", "NOPE"]) == 2
    assert "Unknown model 'NOPE'" in capsys.readouterr().err
    assert main(["models", "show", "cnn1"]) == 2
    assert "Did you mean 'cnn1d'" in capsys.readouterr().err
    assert main(["models", "show", "mnist1d_gru"]) == 0
    assert "default_dataset" in capsys.readouterr().out
