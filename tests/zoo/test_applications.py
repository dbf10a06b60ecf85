"""Keras Applications in the registry: adapter, cards, weights files, CLI listing.

The registry-driven test in `test_models.py` builds, steps and round-trips
each of them; these check what is particular to them. Nothing downloads.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_models import random_batch, small_spec

import zoo
from zoo.cli import main
from zoo.models import MODELS
from zoo.spec import DatasetSpec

APPLICATIONS = ["convnext_tiny", "densenet121", "efficientnet_v2_b0", "mobilenet_v3_small",
                "resnet50_v2"]
DIGITS = DatasetSpec("digits", "classification", "image", (8, 8, 1), 10, 10,
                     {"train": 8, "validation": 4, "test": 4})


def test_cli_lists_the_applications_by_tag(capsys):
    assert main(["models", "--tag", "keras-applications", "--format", "json"]) == 0
    cards = json.loads(capsys.readouterr().out)
    assert sorted(c["name"] for c in cards) == APPLICATIONS
    for card in cards:
        assert card["tasks"] == ["classification"] and card["input_kind"] == "image"
        assert card["defaults"] == {"weights": None}
        assert card["extra"]["default_dataset"] == "digits" and card["extra"]["measured"]


@pytest.mark.parametrize("name", APPLICATIONS)
def test_card_params_and_flops_match_the_default_input(name):
    """The numbers written into the card are what the model has (digits, 10 classes)."""
    from benchmarks.run.diagnostics.layers import flops_per_example

    model = zoo.build_model(name, DIGITS)
    extra = MODELS.card(name).extra
    assert model.count_params() == extra["params"]
    assert flops_per_example(model) == extra["flops"]
    assert model.input_shape == (None, 8, 8, 1) and model.output_shape == (None, 10)


@pytest.mark.parametrize("preprocess, low, high", [
    ("tf", -1.0, 1.0),        # ResNetV2: [0, 1] -> [-1, 1]
    ("included", 0.0, 255.0),  # the application rescales 0-255 itself
    ("torch", -0.485 / 0.229, (1 - 0.406) / 0.225),  # ImageNet mean/std per channel
])
def test_adapter_resizes_makes_rgb_and_scales(preprocess, low, high):
    import keras

    from zoo.models.applications import application_input

    inputs, x, size = application_input((8, 8, 1), preprocess)
    assert size == (32, 32) and tuple(x.shape) == (None, 32, 32, 3)
    adapter = keras.Model(inputs, x)
    out = np.asarray(adapter(np.stack([np.zeros((8, 8, 1)), np.ones((8, 8, 1))])
                             .astype("float32")))
    np.testing.assert_allclose(out[0].min(), low, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out[1].max(), high, rtol=1e-5, atol=1e-5)


def test_adapter_keeps_large_rgb_images_and_rejects_other_channel_counts():
    import keras

    from zoo.models.applications import application_input

    inputs, x, size = application_input((40, 36, 3), "tf")
    assert size == (40, 36) and tuple(x.shape) == (None, 40, 36, 3)
    names = [layer.name for layer in keras.Model(inputs, x).layers]
    assert "resize" not in names and "grey_to_rgb" not in names
    with pytest.raises(ValueError, match="grey .1 channel. or RGB"):
        application_input((8, 8, 2), "tf")


def test_local_weights_file_round_trip(tmp_path):
    """Weights saved from a built model load into a new build: same predictions."""
    spec = small_spec(MODELS.card("mobilenet_v3_small"))
    x, _ = random_batch(spec)
    first = zoo.build_model("mobilenet_v3_small", spec)
    path = tmp_path / "mobilenet.weights.h5"
    first.save_weights(path)
    other = zoo.build_model("mobilenet_v3_small", spec)
    assert not np.allclose(np.asarray(other(x)), np.asarray(first(x)), atol=1e-6)
    again = zoo.build_model("mobilenet_v3_small", spec, weights=str(path))
    np.testing.assert_allclose(np.asarray(again(x)), np.asarray(first(x)), atol=1e-6)


def test_legacy_h5_file_loads_into_the_backbone(tmp_path):
    """A Keras Applications "notop" .h5 (here: written locally) fills the backbone only."""
    spec = small_spec(MODELS.card("mobilenet_v3_small"))
    first = zoo.build_model("mobilenet_v3_small", spec)
    backbone = first.get_layer("MobileNetV3Small")
    path = tmp_path / "mobilenet_v3_small_notop.h5"
    backbone.save(path)  # legacy HDF5, the format of the Keras Applications downloads
    again = zoo.build_model("mobilenet_v3_small", spec, weights=str(path))
    loaded = again.get_layer("MobileNetV3Small").get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(backbone.get_weights(), loaded))


@pytest.mark.parametrize("weights, error, message", [
    ("imagenet", ValueError, "download the file once and pass its path"),
    ("/nonexistent/model.weights.h5", ValueError,
     "Weights file not found: '/nonexistent/model.weights.h5'"),
    (3, ValueError, "bad weights: expected none or a weights file name"),
])
def test_bad_weights_are_rejected_before_building(weights, error, message):
    with pytest.raises(error, match=message):
        zoo.build_model("resnet50_v2", DIGITS, weights=weights)


def test_imagenet_message_from_the_builder_says_what_to_do():
    with pytest.raises(ValueError, match="would download at run time") as info:
        MODELS.get("densenet121")((8, 8, 1), 10, weights="imagenet")
    text = str(info.value)
    assert "keras.applications.DenseNet121(include_top=False" in text
    assert text.endswith("Received: weights='imagenet'")


def test_weights_that_do_not_fit_are_explained(tmp_path):
    spec = small_spec(MODELS.card("mobilenet_v3_small"))
    path = tmp_path / "ten_classes.weights.h5"
    zoo.build_model("mobilenet_v3_small", DIGITS).save_weights(path)  # 10 classes, not 3
    with pytest.raises(ValueError, match="do not fit 'mobilenet_v3_small'"):
        zoo.build_model("mobilenet_v3_small", spec, weights=str(path))


def test_other_tasks_are_refused():
    with pytest.raises(ValueError, match="task='classification'"):
        MODELS.get("mobilenet_v3_small")((8, 8, 1), 1, task="regression")


@pytest.mark.slow
@pytest.mark.parametrize("name", APPLICATIONS)
def test_graph_mode_training_step(name):
    """The compiled (tf.function) step the harness uses; 13-50 s each on 2 CPU cores."""
    spec = small_spec(MODELS.card(name))
    model = zoo.build_model(name, spec)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", jit_compile=False)
    x, y = random_batch(spec)
    before = model.get_layer("output").get_weights()[0].copy()
    assert np.isfinite(model.train_on_batch(x, y))
    assert not np.array_equal(before, model.get_layer("output").get_weights()[0])
