"""Several seeds in one graph: each packed member is the run it stands in for."""

import math

import numpy as np
import pytest

from benchmarks.matrix.packing import member_logs, run_packed, stack_models, unpackable_reason
from benchmarks.run import run_one

# Tiny and deterministic: 200 training examples, 3 epochs, early stopping on so
# the best-weights restore path is exercised (it restores the best epoch at the end).
CONFIG = {"dataset": "digits", "model": "mlp", "epochs": 3, "width": 16, "depth": 2,
          "train_samples": 200, "batch_size": 32, "early_stopping": 5,
          "steps_per_execution": 4}
SEEDS = [0, 1]


@pytest.fixture(scope="module")
def packed_and_alone():
    packed = run_packed(CONFIG, SEEDS)
    alone = [run_one(CONFIG, seed) for seed in SEEDS]
    return packed, alone


def test_each_packed_member_follows_its_unpacked_run(packed_and_alone):
    packed, alone = packed_and_alone
    for (status, record, error), (status1, record1, error1) in zip(packed, alone):
        assert (status, error) == ("ok", None), error
        assert status1 == "ok", error1
        assert record["options"]["packed"]["members"] == len(SEEDS)
        assert set(record) == set(record1)  # the same record fields as the run it stands for
        for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
            np.testing.assert_allclose(record["history"][key], record1["history"][key],
                                       rtol=0, atol=1e-5, err_msg=key)
        for key in ("loss", "accuracy"):
            assert record["test"][key] == pytest.approx(record1["test"][key], abs=1e-5)
        assert record["best_epoch"] == record1["best_epoch"]
        assert record["evaluated_epoch"] == record1["evaluated_epoch"]
        assert record["grad_layers"] == record1["grad_layers"]
        for layer in record1["grad_layers"]:
            np.testing.assert_allclose(record["grad_norms"][layer], record1["grad_norms"][layer],
                                       rtol=1e-4)
        assert record["dead_fraction"] == pytest.approx(record1["dead_fraction"])
        assert record["params"] == record1["params"]
        assert record["flops_per_example"] == record1["flops_per_example"]
    # Members differ from each other: independent weights and batch orders.
    assert packed[0][1]["history"]["loss"] != packed[1][1]["history"]["loss"]


def test_unpackable_configs_say_why():
    assert unpackable_reason(CONFIG) is None
    assert "dropout" in unpackable_reason({**CONFIG, "dropout": 0.2})
    # L1/L2 penalties split per member; dropout only in a pack of cells (one seed per stack).
    assert unpackable_reason({**CONFIG, "regularizer": "l2:1e-4"}) is None
    assert unpackable_reason({**CONFIG, "dropout": 0.2}, cells=True) is None
    assert "batch_norm" in unpackable_reason({**CONFIG, "batch_norm": True})
    assert "precision" in unpackable_reason({**CONFIG, "precision": "mixed_float16"})
    assert "TensorBoard" in unpackable_reason(CONFIG, {"tensorboard_dir": "/tmp/x"})


def test_stack_models_rejects_layers_it_cannot_stack():
    import zoo.models
    from zoo.datasets import load

    spec = load("digits").spec
    members = [zoo.models.build("mlp", spec, width=4, depth=1, batch_norm=True)
               for _ in range(2)]
    for i, m in enumerate(members):
        m.name = f"m{i}"
    with pytest.raises(ValueError, match="BatchNormalization"):
        stack_models(members)


def test_stacked_model_computes_each_member():
    import keras

    import zoo.models
    from zoo.datasets import load

    spec = load("digits").spec
    members = []
    for i in range(3):
        keras.utils.set_random_seed(i)
        members.append(zoo.models.build("mlp", spec, width=8, depth=2, residual=True))
        members[-1].name = f"m{i}"
    packed = stack_models(members)
    x = np.random.default_rng(0).random((5, 3, 8, 8, 1), dtype="float32")
    out = np.asarray(packed(x))
    for i, m in enumerate(members):
        np.testing.assert_allclose(out[:, i], np.asarray(m(x[:, i])), atol=1e-6)


def test_diagnostics_of_a_pack_are_each_members_own():
    """The public probes with members=K give, per member, what they give on the member."""
    import keras

    import zoo.models
    from benchmarks.matrix.packing import packed_loss
    from benchmarks.run.diagnostics import DeadUnitProbe, GradientProbe
    from zoo.datasets import load

    spec = load("digits").spec
    members = []
    for i in range(2):
        keras.utils.set_random_seed(i)
        members.append(zoo.models.build("mlp", spec, width=8, depth=2))
        members[-1].name = f"m{i}"
    packed = stack_models(members)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 10, 16).astype("int32")
    loss = keras.losses.SparseCategoricalCrossentropy(reduction=None)
    pack_grads = GradientProbe(packed, x, y, packed_loss(loss), members=2).measure()
    pack_dead = DeadUnitProbe(packed, x, members=2).measure()
    assert len(pack_grads) == len(pack_dead) == 2
    for i, member in enumerate(members):
        [grads] = GradientProbe(member, x, y, loss).measure()
        assert list(pack_grads[i]) == list(grads)
        for layer, norm in grads.items():
            assert pack_grads[i][layer] == pytest.approx(norm, rel=1e-4), layer
        [(fraction, by_layer)] = DeadUnitProbe(member, x).measure()
        assert pack_dead[i] == (pytest.approx(fraction), pytest.approx(by_layer))
    assert pack_grads[0] != pack_grads[1]


def test_member_logs_split_per_member():
    logs = {"loss": 3.0, "m0_loss": 1.0, "m1_loss": 2.0, "val_m1_accuracy": 0.5,
            "m10_loss": 9.0}
    assert member_logs(logs, 1) == {"loss": 2.0, "val_accuracy": 0.5}
    assert member_logs(logs, 0) == {"loss": 1.0}


def test_a_packed_member_stops_early_on_its_own():
    """The per-member EarlyStopping bookkeeping, driven with synthetic epoch logs."""
    import keras

    from benchmarks.matrix.packing.members import bookkeeping_class

    inputs = keras.Input((1,), dtype="int32")
    model = keras.Model(inputs, keras.layers.Embedding(2, 3)(inputs))  # one (2, 3) weight
    book = bookkeeping_class()(2, {"monitor": "val_loss", "patience": 1,
                                    "restore_best_weights": True})
    model.stop_training = False  # as fit sets it
    book.set_model(model)
    book.on_train_begin()
    curves = {0: [1.0, 2.0, 3.0, 4.0], 1: [1.0, 0.9, 0.8, 0.7]}
    for epoch in range(4):
        logs = {f"{p}m{k}_loss": curves[k][epoch] for k in (0, 1) for p in ("", "val_")}
        book.on_epoch_end(epoch, logs)
    assert book.stopped == [2, None]       # member 0: no improvement for 1 epoch after epoch 1
    assert not model.stop_training
    assert len(book.histories[0]["val_loss"]) == 2
    assert len(book.histories[1]["val_loss"]) == 4
    assert book.evaluated_epoch(0, 2) == 1
    book.on_epoch_end(4, {"m1_loss": math.nan, "val_m1_loss": math.nan})
    assert book.diverged == [None, 5]
    assert model.stop_training


def test_a_pack_feeds_its_members_batches_and_one_evaluation_pipeline():
    """Members' own training pipelines, zipped; validation and test made once, unstacked."""
    import tensorflow as tf

    from benchmarks.matrix.packing import PackedMembers
    from benchmarks.run.lifecycle import Run

    run = Run({"dataset": "digits", "model": "mlp", "epochs": 1, "width": 8}, [0, 1, 2], {},
              members=PackedMembers(3))
    model = run.build()
    assert [val is None for _, val, _ in run.pipelines] == [True, True, False]
    train, val, test = run.members.datasets(run.pipelines)
    batches = next(iter(train))
    x, y = model.stack_batch(batches)
    assert tuple(x.shape[:2]) == (32, 3) and tuple(y.shape) == (32, 3)
    for k, (xk, yk) in enumerate(batches):  # member k's batch is slice k
        np.testing.assert_array_equal(x[:, k], xk)
        np.testing.assert_array_equal(y[:, k], yk)
    xv, yv = next(iter(val))
    sx, sy = model.stack_batch((xv, yv))
    assert isinstance(val, tf.data.Dataset) and tuple(sx.shape[:2]) == (len(yv), 3)
    np.testing.assert_array_equal(sy[:, 2], yv)
