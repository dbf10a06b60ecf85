"""The generative entries (`vae`, `gan`): build, one training step, save and reload.

Their contract differs from the Functional models of `test_models.py`: a
Keras model of sub-models with its own `train_step`, compiled without a loss,
trained on inputs alone, sampled with `sample(n, seed)`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import zoo
from zoo.models import MODELS
from zoo.spec import DatasetSpec

IMAGE, SIGNAL, FLAT = (8, 8, 1), (12, 1), (6,)
GENERATIVE = sorted(n for n in zoo.list_models() if "generation" in MODELS.card(n).tasks)
# One case per entry and data kind in the default run; the other combinations are slow.
CASES = [("vae", {"variant": "dense"}, IMAGE),
         pytest.param("vae", {"variant": "conv"}, IMAGE, marks=pytest.mark.slow),
         ("vae", {"variant": "conv"}, SIGNAL),
         pytest.param("vae", {"variant": "dense"}, FLAT, marks=pytest.mark.slow),
         ("gan", {}, IMAGE), pytest.param("gan", {}, SIGNAL, marks=pytest.mark.slow)]
CASE_IDS = ["vae-dense-image", "vae-conv-image", "vae-conv-signal", "vae-dense-flat",
            "gan-image", "gan-signal"]
TINY = {"latent_size": 3, "width": 8, "filters": 4}


def spec_of(shape) -> DatasetSpec:
    return DatasetSpec("tiny", "generation", "image" if len(shape) == 3 else "sequence",
                       shape, 3, math.prod(shape), {"train": 8, "validation": 4, "test": 4})


def build(name, axes, shape):
    card = MODELS.card(name)
    return zoo.build_model(name, spec_of(shape), **{k: v for k, v in {**TINY, **axes}.items()
                                                   if k in card.axes})


def test_generative_cards():
    assert GENERATIVE == ["gan", "vae"]
    for name in GENERATIVE:
        card = MODELS.card(name)
        assert card.tasks == ("generation",) and card.reference and "generative" in card.tags
        assert set(card.defaults) == set(card.axes)
        assert card.extra["default_dataset"] == "digits"
    assert {"variant", "latent_size", "kl_weight"} <= set(MODELS.card("vae").axes)
    assert {"latent_size", "filters"} <= set(MODELS.card("gan").axes)


@pytest.mark.parametrize("name,axes,shape", CASES, ids=CASE_IDS)
def test_builds_trains_one_step_saves_and_reloads(name, axes, shape, tmp_path):
    import keras

    from zoo.models import load_model

    model = build(name, axes, shape)
    x = np.random.default_rng(0).uniform(size=(4, *shape)).astype("float32")
    model.compile(optimizer="adam", jit_compile=False)
    before = [w.copy() for w in model.get_weights()]
    logs = model.train_on_batch(x, return_dict=True)
    parts = {"gan": {"loss", "d_loss", "g_loss"}, "vae": {"loss", "reconstruction", "kl"}}[name]
    assert set(logs) == parts and all(np.isfinite(v) for v in logs.values())
    changed = [not np.array_equal(a, b) for a, b in zip(before, model.get_weights())]
    assert sum(changed) >= len(changed) // 2  # both parts stepped, not only one of them
    samples = model.sample(5, seed=1)
    assert samples.shape == (5, *shape) and samples.dtype == np.float32
    np.testing.assert_array_equal(samples, model.sample(5, seed=1))  # a seed fixes the samples
    assert not np.array_equal(samples, model.sample(5, seed=2))
    out = np.asarray(model(x, training=False))
    path = tmp_path / f"{name}.keras"
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "compile() was not called as part of loading"
        restored = load_model(path)
    assert restored.compiled
    assert type(restored) is type(model) and restored.get_config() == model.get_config()
    np.testing.assert_allclose(np.asarray(restored(x, training=False)), out, atol=1e-6)
    np.testing.assert_allclose(restored.sample(5, seed=1), samples, atol=1e-6)
    assert isinstance(restored, keras.Model)


def test_gan_trains_each_part_with_its_own_optimizer():
    import keras

    model = build("gan", {}, IMAGE)
    model.compile(optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                  d_optimizer=keras.optimizers.SGD(0.1), jit_compile=False)
    assert type(model.d_optimizer).__name__ == "SGD" and float(model.optimizer.beta_1) == 0.5
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3), jit_compile=False)
    assert type(model.d_optimizer).__name__ == "RMSprop"  # by default a copy of the generator's
    assert model.d_optimizer is not model.optimizer
    g_before = [w.copy() for w in model.generator.get_weights()]
    d_before = [w.copy() for w in model.discriminator.get_weights()]
    model.train_on_batch(np.random.default_rng(0).uniform(size=(4, *IMAGE)).astype("float32"))
    for part, before in ((model.generator, g_before), (model.discriminator, d_before)):
        assert any(not np.array_equal(a, b) for a, b in zip(before, part.get_weights()))


def test_vae_loss_is_reconstruction_plus_weighted_kl():
    model = build("vae", {"kl_weight": 0.5}, IMAGE)
    x = np.random.default_rng(0).uniform(size=(4, *IMAGE)).astype("float32")
    values = {k: float(v) for k, v in model.losses_of(x).items()}
    assert values["kl"] >= 0 and values["reconstruction"] > 0
    assert values["loss"] == pytest.approx(values["reconstruction"] + 0.5 * values["kl"],
                                           rel=1e-5)
    assert model.likelihood == "bernoulli" and build("vae", {}, SIGNAL).likelihood == "gaussian"


@pytest.mark.parametrize("name,axes,shape,match", [
    ("gan", {}, FLAT, "divisible by 4"), ("gan", {}, (10, 1), "divisible by 4"),
    ("vae", {"variant": "conv"}, FLAT, "variant = \"dense\"")])
def test_shapes_the_convolutions_cannot_take_get_a_clear_error(name, axes, shape, match):
    with pytest.raises(ValueError, match=match):
        build(name, axes, shape)


def test_create_model_builds_generative_models_without_a_dataset():
    gan = zoo.create_model("gan", input_shape=(40, 1), latent_size=4, filters=4)
    assert gan.sample(2).shape == (2, 40, 1) and gan.generator.input_shape == (None, 4)
    vae = zoo.create_model("vae", input_shape=(8, 8, 1), num_classes=10, variant="conv")
    assert vae.sample(3).shape == (3, 8, 8, 1)


def test_a_classification_spec_is_refused_with_a_pointer():
    spec = DatasetSpec("tiny", "classification", "image", IMAGE, 3, 3)
    with pytest.raises(ValueError, match="task='generation'"):
        zoo.build_model("gan", spec)
    with pytest.raises(ValueError, match="does not accept the axis 'depth'"):
        zoo.build_model("vae", spec_of(IMAGE), depth=2)
