"""The `generation` task: quality metrics, a GAN's and a VAE's runs, validation, packing."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import write_toml

from benchmarks.run import quality


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A fresh `$ZOO_CACHE_DIR` for the module: the classifier is trained here once."""
    path = tmp_path_factory.mktemp("zoo-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ZOO_CACHE_DIR", str(path))
        yield path


@pytest.fixture(scope="module")
def digits(cache):
    from zoo.datasets import load

    return load("digits")


@pytest.fixture(scope="module")
def classifier(digits):
    return quality.quality_classifier(digits, quality.classifier_key({"dataset": "digits"}))


# ---------- the metrics on constructed samples ----------

def test_frechet_distance_matches_the_gaussian_formula():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 3))
    assert quality.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    shifted = a + np.array([3.0, 0.0, 4.0])  # same covariance: the distance is |mu_a - mu_b|^2
    assert quality.frechet_distance(a, shifted) == pytest.approx(25.0, rel=1e-6)
    wide = a * 2.0  # cov I vs 4I: tr(I + 4I - 2 (4I)^(1/2)) = 1 per dimension
    assert quality.frechet_distance(a, wide) == pytest.approx(3.0, rel=0.05)
    assert np.isnan(quality.frechet_distance(a, np.full_like(a, np.nan)))


def test_class_coverage_counts_classes_with_a_fair_share():
    probs = np.eye(10)[[0] * 50 + [1] * 45 + [2] * 4]  # class 2: 4 of 99, under 0.5 x 9.9
    assert quality.class_coverage(probs, 10) == 2
    assert quality.class_coverage(np.eye(4)[[0, 1, 2, 3] * 5], 4) == 4


def test_real_data_scores_better_than_noise(classifier, digits):
    x_train, _ = digits.numpy("train")
    x_test, _ = digits.numpy("test")
    noise = np.random.default_rng(0).uniform(size=x_test.shape).astype("float32")
    real, fake = quality.score(classifier, x_test, x_train), quality.score(classifier, noise,
                                                                           x_train)
    assert classifier.test_accuracy > 0.9
    assert real["coverage"] == 1.0 and not real["collapsed"]
    assert real["confidence"] > fake["confidence"]
    assert real["frechet_distance"] * 5 < fake["frechet_distance"]


def test_a_generator_of_one_class_is_flagged_as_collapsed(classifier, digits):
    (x_train, y_train), (x_test, y_test) = digits.numpy("train"), digits.numpy("test")
    threes = np.concatenate([x_train[y_train == 3], x_test[y_test == 3]])  # ~180 real threes
    scores = quality.score(classifier, threes, x_test)
    assert scores["collapsed"] is True and scores["classes_covered"] == 1
    half = x_test[y_test < 5]  # 5 of 10 classes: not fewer than half, so not collapsed
    assert quality.score(classifier, half, x_test)["collapsed"] is False
    bad = quality.score(classifier, np.full_like(threes, np.nan), x_test)
    assert bad["collapsed"] is None and np.isnan(bad["frechet_distance"])


def test_the_classifier_is_cached_like_generated_data(classifier, digits, cache):
    files = sorted(p.name for p in cache.iterdir())
    assert [f for f in files if f.startswith("quality-classifier-")], files
    again = quality.quality_classifier(digits, quality.classifier_key({"dataset": "digits"}))
    assert sorted(p.name for p in cache.iterdir()) == files  # loaded, not trained again
    for a, b in zip(again.model.get_weights(), classifier.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="class labels"):
        from zoo.datasets import load

        quality.quality_classifier(load("diabetes"), {"dataset": "diabetes"})


# ---------- runs ----------

def test_a_gan_run_records_both_parts_and_its_sample_quality(cache):
    from benchmarks.run.lifecycle import Run

    config = {"dataset": "digits", "model": "gan", "epochs": 2, "batch_size": 64,
              "train_samples": 300, "latent_size": 8, "filters": 8,
              "optimizer": {"name": "adam", "beta_1": 0.5}, "learning_rate": 0.001,
              "d_optimizer": "sgd", "d_learning_rate": 0.05}
    run = Run(config, [0])
    model = run.build()
    assert float(model.optimizer.beta_1) == 0.5
    assert type(model.d_optimizer).__name__ == "SGD"
    assert float(model.d_optimizer.learning_rate) == pytest.approx(0.05)
    [(status, record, error)] = run.execute(model)
    assert status == "ok", error
    history = record["history"]
    for key in ("d_loss", "g_loss", "loss", "val_d_loss", "val_g_loss", "val_loss",
                "val_frechet_distance", "val_coverage", "val_confidence"):
        assert len(history[key]) == 2 and all(np.isfinite(history[key])), key
    assert history["loss"][0] == pytest.approx(history["d_loss"][0] + history["g_loss"][0],
                                               rel=1e-4)
    test, generation = record["test"], record["generation"]
    assert {"d_loss", "g_loss", "coverage", "confidence", "frechet_distance",
            "collapsed"} <= set(test)
    assert generation["collapsed"] == (generation["classes_covered"] < 5)
    assert test["collapsed"] == float(generation["collapsed"])
    assert len(generation["samples"]) == 16 and generation["sample_shape"] == [8, 8, 1]
    assert generation["n_samples"] == 360  # as many as the test split
    assert record["grad_norms"] == {} and "grad_norms" in record["not_measured"]
    assert record["dead_fraction"] is None and record["dead_note"].startswith("not measured")


def test_a_vae_run_reports_its_test_elbo_and_a_nan_loss_is_a_divergence(cache):
    from benchmarks.run import run_one

    base = {"dataset": "digits", "model": "vae", "epochs": 2, "train_samples": 200,
            "latent_size": 2, "width": 16}
    status, record, error = run_one(base, seed=0)
    assert status == "ok", error
    test = record["test"]
    assert test["elbo"] == pytest.approx(-(test["reconstruction"] + test["kl"]))
    assert {"reconstruction", "kl", "val_reconstruction", "val_kl"} <= set(record["history"])
    status, record, _ = run_one({**base, "optimizer": "sgd", "learning_rate": 1e4}, seed=0)
    assert status == "diverged" and record["diverged_epoch"] == 1


# ---------- validation and planning ----------

@pytest.mark.parametrize("model,fixed,message", [
    ("mlp", 'd_optimizer = "sgd"', "d_optimizer sets a GAN discriminator's optimizer"),
    ("vae", "d_learning_rate = 0.01", "has no discriminator"),
    ("vae", 'loss = "mse"', "trains its own losses"),
    ("gan", 'optimizer = {name = "adam", beta1 = 0.5}', "Unknown argument 'beta1'"),
])
def test_validation_explains_what_a_generative_config_cannot_do(model, fixed, message, tmp_path,
                                                                capsys):
    from zoo.cli import main

    path = write_toml(tmp_path, f"""
        name = "bad_generation"
        description = "one bad cell"
        dataset = "digits"
        model = "{model}"
        epochs = 1

        [fixed]
        {fixed}
        """)
    code = main(["bench", path, "--dry-run", "--store", str(tmp_path / "zoo.sqlite")])
    err = capsys.readouterr().err
    assert code == 2 and message in err, err


def test_builtin_generation_suites_validate_and_are_never_packed():
    from benchmarks.matrix.planner import group_seeds, unpackable_reason
    from benchmarks.suite import load_suite

    suite = load_suite("gan_optimizers")
    cells = suite.cells()
    assert [c["optimizer"] for c in cells] == [{"name": "adam", "beta_1": 0.5},
                                               {"name": "adam", "beta_1": 0.9}, "rmsprop", "sgd"]
    assert len(suite.seeds) == 3 and all(c["model"] == "gan" for c in cells)
    assert [c["latent_size"] for c in load_suite("vae_latent").cells()] == [2, 8, 32]
    for pack in ("auto", True):
        assert group_seeds(cells[0], [0, 1, 2], pack=pack if pack == "auto" else False) == [
            [0], [1], [2]]
    assert "generative" in unpackable_reason(cells[0])
    # An optimizer table is packed or not by its name, as the plain name is.
    assert "factors its state" in unpackable_reason({"model": "mlp",
                                                     "optimizer": {"name": "adafactor"}})
    assert unpackable_reason({"model": "mlp", "optimizer": {"name": "adam", "beta_1": 0.5}}) is None
