"""Tests of one training run: `benchmarks.run.run_one` and its helper modules.

Every run is tiny (mlp of width 16 on digits, 1-2 epochs) so the file stays
around a minute and a half on two shared CPU cores.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from conftest import modules_after

from benchmarks.run.record import MEASURED_FIELDS, RECORD_KEYS
from benchmarks.store.identity import cell_id, run_id

TINY = {"dataset": "digits", "model": "mlp", "epochs": 2, "depth": 2, "width": 16,
        "batch_size": 64, "activation": "relu"}
TARGET = {"metric": "val_accuracy", "value": 0.01}  # reached at epoch 1
OK_RUN = {**TINY, "target": TARGET, "schedule": "cosine", "learning_rate": 0.01}


@pytest.fixture(scope="module")
def ok_run():
    from benchmarks.run import run_one

    return run_one(OK_RUN, seed=0)


# --- identity and validation: no training ------------------------------------------------

def test_identity_is_stable_and_sensitive():
    config = {"dataset": "digits", "model": "mlp", "optimizer": "adam", "dataset_options": {}}
    reordered = dict(reversed(list(config.items())))
    assert run_id(config, 0) == run_id(reordered, 0)
    assert len(run_id(config, 0)) == 16 and len(cell_id(config)) == 16
    assert run_id(config, 0) != run_id(config, 1)
    assert cell_id(config) != cell_id({**config, "optimizer": "sgd"})
    assert run_id(config, 0) != run_id({**config, "dataset": "wine"}, 0)
    with pytest.raises(TypeError, match="seed"):
        run_id(config, "0")


def test_identity_module_does_not_import_tensorflow():
    code = ("import benchmarks.store.identity, benchmarks.run, benchmarks.run.optimizers, "
            "benchmarks.run.schedules, benchmarks.run.losses")
    assert "tensorflow" not in modules_after(code)


@pytest.mark.parametrize("bad, message", [
    ({"optimizer": "adamm"}, "Did you mean 'adam'"),
    ({"activation": "relux"}, "Did you mean 'relu'"),
    ({"initializer": "he_normall"}, "Did you mean 'he_normal'"),
    ({"schedule": "cosin"}, "Did you mean 'cosine'"),
    ({"loss": "mse2"}, "Did you mean 'mse'"),
    ({"precision": "mixed_float61"}, "Did you mean 'mixed_float16'"),
    ({"device": "gpux"}, "Did you mean 'gpu'"),
    ({"batch_size": 0}, "batch_size"),
    ({"learning_rate": -1.0}, "learning_rate"),
    ({"target": {"metric": "val_acuracy", "value": 0.9}}, "Did you mean 'val_accuracy'"),
    ({"optimizer": "sgd", "momentum": 1.5}, "momentum"),
])
def test_validate_config_names_the_closest_valid_name(bad, message):
    from benchmarks.suite import validate_config

    validate_config(TINY)
    with pytest.raises(ValueError, match=message) as info:
        validate_config({**TINY, **bad})
    assert "Received:" in str(info.value)


def test_schedules_and_optimizers_by_name():
    from benchmarks.run.optimizers import OPTIMIZERS, make_optimizer
    from benchmarks.run.schedules import SCHEDULES, make_schedule

    for name in OPTIMIZERS:
        make_optimizer(name)
    assert float(make_optimizer("momentum").momentum) == 0.9
    assert float(make_optimizer("sgd", momentum=0.5).momentum) == 0.5
    assert make_optimizer("nesterov").nesterov
    assert float(make_optimizer("ftrl", learning_rate=0.1).learning_rate) == pytest.approx(0.1)
    for name in SCHEDULES:
        lr = make_schedule(name, 0.1, epochs=10, steps_per_epoch=10)
        end = float(lr(100)) if callable(lr) else lr
        assert end <= 0.1 + 1e-7
    warm = make_schedule({"name": "warmup", "then": "cosine"}, 0.1, 10, 10)
    assert float(warm(0)) < float(warm(10)) == pytest.approx(0.1)
    assert float(warm(100)) == pytest.approx(0.0, abs=1e-7)


# --- training runs -------------------------------------------------------------------------

def test_ok_run_has_every_record_key_and_sane_values(ok_run):
    status, record, error = ok_run
    assert (status, error) == ("ok", None)
    assert set(RECORD_KEYS) <= set(record)
    assert set(record) == set(RECORD_KEYS) | set(MEASURED_FIELDS)  # every key documented
    hist = record["history"]
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        assert len(hist[key]) == 2 and all(isinstance(v, float) for v in hist[key])
    assert 0.0 <= record["test"]["accuracy"] <= 1.0 and record["test"]["loss"] > 0
    assert record["epochs_run"] == 2 and record["best_epoch"] in (1, 2)
    assert record["grad_layers"] == ["dense_0", "dense_1", "output"]
    assert all(len(v) == 2 and v[0] > 0 for v in record["grad_norms"].values())
    assert 0.0 <= record["dead_fraction"] <= 1.0
    assert set(record["dead_by_layer"]) == {"act_0", "act_1"}
    assert record["params"] == 64 * 16 + 16 + 16 * 16 + 16 + 16 * 10 + 10
    assert record["flops_per_example"] == 6 * (64 * 16 + 16 * 16 + 16 * 10)
    assert record["samples_per_sec"] > 0 and record["first_epoch_time"] > 0
    assert record["compile_time"] >= 0 and record["wall_time"] > record["first_epoch_time"]
    assert record["peak_memory_mb"] > 0 and record["mfu"] is None
    assert record["device"].startswith("cpu") and record["diverged_epoch"] is None
    assert record["versions"]["tensorflow"] and record["host"]["cpu_count"]
    target = record["target"]
    assert (target["metric"], target["epoch"], target["mode"]) == ("val_accuracy", 1, "max")
    assert 0 < target["seconds"] <= record["wall_time"]
    json.dumps(record)  # the store writes it as JSON


def test_same_config_and_seed_give_identical_history(ok_run):
    from benchmarks.run import run_one

    status, record, _ = run_one(OK_RUN, seed=0)
    assert status == "ok"
    assert record["history"] == ok_run[1]["history"]
    assert record["test"] == ok_run[1]["test"]
    assert record["grad_norms"] == ok_run[1]["grad_norms"]


def test_huge_learning_rate_diverges():
    from benchmarks.run import run_one

    status, record, error = run_one({**TINY, "optimizer": "sgd", "learning_rate": 1e6,
                                     "epochs": 3}, seed=0)
    assert status == "diverged" and error is None
    assert record["diverged_epoch"] == 1 and record["epochs_run"] == 1
    assert record["test"] is None


def test_an_exception_becomes_a_failed_run():
    from benchmarks.run import run_one

    status, record, error = run_one({**TINY, "dataset_options": {"bogus": 1}}, seed=0)
    assert status == "failed"
    assert error.startswith("ValueError: Dataset 'digits' does not accept options ['bogus']")
    assert "Traceback" in error and set(RECORD_KEYS) <= set(record)
    assert record["wall_time"] > 0 and record["error_type"] == "ValueError"  # as a value


def test_early_stopping_evaluates_the_best_epoch():
    from benchmarks.run import run_one

    # 30 training examples and a wide net: val_loss bottoms out, then rises.
    config = {**TINY, "train_samples": 30, "width": 128, "learning_rate": 0.01,
              "epochs": 25, "early_stopping": 2}
    status, record, _ = run_one(config, seed=0)
    assert status == "ok"
    assert record["best_epoch"] < record["epochs_run"] < 25
    assert record["evaluated_epoch"] == record["best_epoch"]
    assert record["epochs_run"] == record["best_epoch"] + 2


def test_cosine_schedule_lowers_the_learning_rate(ok_run):
    lrs = ok_run[1]["history"]["learning_rate"]  # OK_RUN decays 0.01 over 2 epochs
    assert len(lrs) == 2 and lrs[1] < lrs[0] <= 0.01


def test_mixed_precision_restores_float32_and_logs_tensorboard(tmp_path):
    import keras

    from benchmarks.run import run_one

    status, record, error = run_one({**TINY, "precision": "mixed_float16", "epochs": 1,
                                     "activation": "elu"}, seed=0,
                                    options={"tensorboard_dir": str(tmp_path), "run_id": "x"})
    assert (status, error) == ("ok", None)
    assert keras.mixed_precision.global_policy().name == "float32"
    # ELU units have a non-zero gradient everywhere: never dead, and the record says so.
    assert record["dead_fraction"] == 0.0 and "never dead" in record["dead_note"]
    assert all(v[0] > 0 for v in record["grad_norms"].values())  # float32 kernels found
    files = [f for _, _, fs in os.walk(tmp_path) for f in fs]
    assert any("tfevents" in f for f in files)


def test_mirrored_strategy_on_two_logical_cpus():
    # Logical devices must be set before TensorFlow initializes: a fresh process.
    code = textwrap.dedent(f"""
        import json
        from benchmarks.run import run_one
        config = {{**{TINY!r}, "epochs": 1, "device": "cpu", "replicas": 2}}
        status, record, error = run_one(config, seed=0)
        print(json.dumps({{"status": status, "error": error, "device": record["device"],
                           "grads": record["grad_norms"], "dead": record["dead_fraction"]}}))
    """)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == "ok", result["error"]
    assert "MirroredStrategy with 2 replicas" in result["device"]
    assert all(len(v) == 1 for v in result["grads"].values())
    assert 0.0 <= result["dead"] <= 1.0


def test_reached_target_modes():
    from benchmarks.run.diagnostics import reached_target

    history = {"val_accuracy": [0.5, 0.8, 0.95], "val_loss": [1.0, float("nan"), 0.2]}
    elapsed = [1.0, 2.0, 3.0]
    assert reached_target(history, elapsed, None) is None
    hit = reached_target(history, elapsed, {"metric": "val_accuracy", "value": 0.9})
    assert (hit["epoch"], hit["seconds"], hit["mode"]) == (3, 3.0, "max")
    hit = reached_target(history, elapsed, {"metric": "val_loss", "value": 0.5})
    assert (hit["epoch"], hit["mode"]) == (3, "min")
    miss = reached_target(history, elapsed, {"metric": "val_accuracy", "value": 0.99})
    assert miss["epoch"] is None and miss["seconds"] is None


def test_record_summaries():
    from benchmarks.run.record import best_epoch, generalization_gaps, throughput

    history = {"loss": [1.0, 0.5, 0.2], "val_loss": [1.1, 0.7, 0.9],
               "accuracy": [0.5, 0.8, 0.9], "val_accuracy": [0.4, 0.7, 0.6]}
    assert best_epoch(history) == 2
    gap, gap_loss = generalization_gaps(history, 2, "classification")
    assert gap == pytest.approx(0.1) and gap_loss == pytest.approx(0.2)
    assert generalization_gaps(history, 2, "regression")[0] == pytest.approx(0.2)
    t = throughput([5.0, 1.0, 1.0], [4.0, 0.5, 0.5], n_train=100)
    assert t == {"first_epoch_time": 5.0, "compile_time": 4.0, "samples_per_sec": 200.0}


def test_dead_units_on_a_crafted_model():
    import keras
    import numpy as np

    from benchmarks.run.diagnostics import DeadUnits, GradientNorms

    def model_with(activation, bias):
        inputs = keras.Input((4,))
        x = keras.layers.Dense(3, bias_initializer=keras.initializers.Constant(bias),
                               name="hidden")(inputs)
        x = keras.layers.Activation(activation, name="act")(x)
        return keras.Model(inputs, keras.layers.Dense(2, activation="softmax",
                                                      name="output")(x))

    x = np.random.default_rng(0).uniform(0, 1, (32, 4)).astype("float32")
    expected = [("relu", -100.0, 1.0), ("relu", 100.0, 0.0), ("leaky_relu", -100.0, 0.0),
                ("tanh", -100.0, None)]
    for activation, bias, fraction in expected:
        probe = DeadUnits(x)
        probe.set_model(model_with(activation, bias))
        probe.on_train_begin()
        [(measured, _)] = probe.measure()
        assert measured == fraction, activation
        assert (probe.note is not None) == (activation == "leaky_relu")
    for bias, flowing in ((-100.0, False), (0.5, True)):  # dead relu units: no gradient
        grads = GradientNorms(x, np.zeros(32, "int32"),
                              keras.losses.sparse_categorical_crossentropy)
        grads.set_model(model_with("relu", bias))
        grads.on_train_begin()
        [norms] = grads.measure()
        assert list(norms) == ["hidden", "output"]
        assert all((norm > 0) == flowing for norm in norms.values())


def test_label_smoothing_axis_smooths_the_cross_entropy():
    """The worked example of adding an axis (docs/ARCHITECTURE.md): label_smoothing."""
    from benchmarks.run import run_one
    from benchmarks.suite import validate_config

    config = {**TINY, "epochs": 1}
    hard = run_one(config, seed=0)
    soft = run_one({**config, "label_smoothing": 0.2}, seed=0)
    assert hard[0] == soft[0] == "ok"
    # Same weights and batches; only the targets differ, so the loss does too, and a
    # smoothed target keeps the cross-entropy above its floor.
    assert soft[1]["history"]["loss"][0] != pytest.approx(hard[1]["history"]["loss"][0])
    assert 0 <= soft[1]["test"]["accuracy"] <= 1
    with pytest.raises(ValueError, match="label_smoothing applies to the cross-entropy"):
        validate_config({**config, "loss": "mse", "label_smoothing": 0.1})
