"""Several cells in one graph: each member is the run it stands in for; the planner groups them."""

import numpy as np
import pytest

from benchmarks.matrix.packing import run_packed
from benchmarks.matrix.planner import cells_packable, group_runs, pack_key
from benchmarks.run import run_one

# Tiny and deterministic, as in test_packing.py: early stopping on so the per-member
# restore path runs; 3 epochs on 200 examples.
BASE = {"dataset": "digits", "model": "mlp", "epochs": 3, "width": 16, "depth": 2,
        "train_samples": 200, "batch_size": 32, "early_stopping": 5, "steps_per_execution": 4}
# One pack: every optimizer family, differing activations, regularizers, initializers,
# dropout, widths, depths, schedules and learning rates; two seeds of one cell stacked;
# one member that diverges. (Losses: see test_pack_of_cells_with_differing_losses.)
MEMBERS = [
    (dict(BASE, optimizer="sgd"), 0),
    (dict(BASE, optimizer="sgd"), 1),
    (dict(BASE, optimizer="momentum", activation="tanh", learning_rate=0.05), 0),
    (dict(BASE, optimizer="rmsprop", regularizer="l2:1e-3", width=8), 2),
    (dict(BASE, optimizer="adam", activation="elu", regularizer="l1:1e-4"), 0),
    (dict(BASE, optimizer="nadam", initializer="he_normal", dropout=0.2), 1),
    (dict(BASE, optimizer="adagrad", activation="sigmoid", depth=1, schedule="cosine"), 0),
    (dict(BASE, optimizer="sgd", learning_rate=1e6), 0),  # diverges
]


@pytest.fixture(scope="module")
def packed_and_alone():
    configs, seeds = [c for c, _ in MEMBERS], [s for _, s in MEMBERS]
    packed = run_packed(configs[0], seeds, configs=configs)
    alone = [run_one(c, s) for c, s in MEMBERS]
    return packed, alone


def test_pack_of_cells_trains_every_member_in_one_graph(packed_and_alone):
    packed, _ = packed_and_alone
    infos = [record["options"]["packed"] for _, record, _ in packed]
    assert {info["members"] for info in infos} == {len(MEMBERS)}
    assert {info["cells"] for info in infos} == {len(MEMBERS) - 1}  # two seeds of one cell
    assert [info["index"] for info in infos] == list(range(len(MEMBERS)))
    assert "cells_reason" not in infos[0]


def test_each_member_of_a_pack_of_cells_follows_its_own_run(packed_and_alone):
    packed, alone = packed_and_alone
    for (config, seed), (status, record, error), (status1, record1, error1) in zip(
            MEMBERS, packed, alone):
        label = f"{config.get('optimizer')} seed {seed}"
        assert status == status1, (label, error, error1)
        assert set(record) == set(record1), label
        hist, hist1 = record["history"], record1["history"]
        assert sorted(hist) == sorted(hist1), label
        assert record["diverged_epoch"] == record1["diverged_epoch"], label
        if status == "diverged":  # alone, TerminateOnNaN stops mid-epoch: the losses tell
            assert np.isnan(hist["loss"][-1]) and np.isnan(hist1["loss"][-1]), label
            continue
        for key in hist1:
            np.testing.assert_allclose(hist[key], hist1[key], rtol=1e-5, atol=1e-5,
                                       err_msg=f"{label}: {key}")
        if status == "ok":
            assert record["test"]["accuracy"] == pytest.approx(record1["test"]["accuracy"],
                                                               abs=1e-5), label
            assert record["best_epoch"] == record1["best_epoch"], label
            assert record["evaluated_epoch"] == record1["evaluated_epoch"], label
            assert record["grad_layers"] == record1["grad_layers"], label
            for layer in record1["grad_layers"]:
                np.testing.assert_allclose(record["grad_norms"][layer],
                                           record1["grad_norms"][layer], rtol=1e-3,
                                           err_msg=f"{label}: {layer}")
            assert record["dead_fraction"] == pytest.approx(record1["dead_fraction"]), label
        assert record["params"] == record1["params"], label
        assert record["flops_per_example"] == record1["flops_per_example"], label


def test_a_diverging_member_leaves_the_others_alone(packed_and_alone):
    packed, _ = packed_and_alone
    statuses = [status for status, _, _ in packed]
    assert statuses[-1] == "diverged"
    assert statuses[:-1] == ["ok"] * (len(MEMBERS) - 1)


def test_pack_of_cells_with_differing_losses():
    members = [(dict(BASE, loss="mse"), 0), (dict(BASE, label_smoothing=0.1), 0),
               (dict(BASE, loss="categorical_hinge", optimizer="sgd"), 1)]
    configs, seeds = [c for c, _ in members], [s for _, s in members]
    packed = run_packed(configs[0], seeds, configs=configs)
    for (config, seed), (status, record, error) in zip(members, packed):
        assert (status, error) == ("ok", None)
        assert record["options"]["packed"]["cells"] == 3
        status1, record1, _ = run_one(config, seed)
        for key in ("loss", "val_accuracy"):
            np.testing.assert_allclose(record["history"][key], record1["history"][key],
                                       rtol=1e-5, atol=1e-5, err_msg=f"{config}: {key}")


def test_seed_pack_with_a_regularizer_follows_its_runs():
    config = dict(BASE, regularizer="l2:1e-2")
    packed = run_packed(config, [0, 1])
    for seed, (status, record, error) in zip([0, 1], packed):
        assert (status, error) == ("ok", None)
        assert record["options"]["packed"]["members"] == 2
        status1, record1, _ = run_one(config, seed)
        np.testing.assert_allclose(record["history"]["loss"], record1["history"]["loss"],
                                   rtol=1e-5, atol=1e-5)


def _groups(cells, **kwargs):
    todo = [(cell, [(name, seed) for seed in (0, 1, 2)]) for name, cell in cells]
    return [[f"{name}/{seed}" for name, seed in group] for group in group_runs(todo, **kwargs)]


def test_planner_joins_cells_that_may_share_a_graph():
    cells = [(f"{o}-{w}", {"dataset": "digits", "model": "mlp", "optimizer": o, "width": w})
             for o in ("sgd", "adam") for w in (32, 64)]
    groups = _groups(cells)
    assert len(groups) == 1 and len(groups[0]) == 12
    assert groups[0][:3] == ["sgd-32/0", "sgd-32/1", "sgd-32/2"]  # a cell's runs stay together
    # What shapes the data a pack sees must agree: batch sizes do not share a graph.
    batches = [(f"b{b}", {"dataset": "digits", "model": "mlp", "batch_size": b})
               for b in (16, 64)]
    assert [len(g) for g in _groups(batches)] == [3, 3]
    assert pack_key(cells[0][1]) == pack_key(cells[3][1])
    assert pack_key(batches[0][1]) != pack_key(batches[1][1])
    # Losses may differ, but not the labels' encoding: one-hot (mse, smoothing) vs class ids.
    mlp = {"dataset": "digits", "model": "mlp"}
    assert pack_key(dict(mlp, loss="mse")) == pack_key(dict(mlp, label_smoothing=0.1))
    assert pack_key(dict(mlp, loss="mse")) != pack_key(mlp)
    # The suite's switches and the pack size.
    assert [len(g) for g in _groups(cells, pack_cells=False)] == [3, 3, 3, 3]
    assert [len(g) for g in _groups(cells, pack_cells=False, pack_seeds=False)] == [1] * 12
    assert [len(g) for g in _groups(cells, max_members=7)] == [6, 6]  # even, whole cells


def test_planner_keeps_models_that_do_not_stack_apart():
    cnn = {"dataset": "digits", "model": "cnn", "optimizer": "sgd"}
    assert not cells_packable(cnn)
    assert cells_packable({"dataset": "digits", "model": "mlp", "dropout": 0.5})
    assert not cells_packable({"dataset": "digits", "model": "mlp", "batch_norm": True})
    groups = _groups([("a", cnn), ("b", dict(cnn, optimizer="adam"))])
    assert all(len(g) == 1 for g in groups)  # cnn seeds are not packed by default either


def test_dry_run_shows_the_packs(tmp_path, capsys):
    from tests.conftest import write_toml
    from zoo.cli import main

    suite = write_toml(tmp_path, """
        name = "m"
        description = "d"
        dataset = "digits"
        model = "mlp"
        epochs = 1
        seeds = [0, 1]
        [matrix]
        optimizer = ["sgd", "adam"]
        """)
    assert main(["bench", suite, "--store", str(tmp_path / "s.sqlite"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "1 graph(s) of several runs" in out
    assert 'optimizer="sgd" (seeds 0, 1); optimizer="adam" (seeds 0, 1)' in out


def test_cells_that_may_not_share_a_graph_train_apart_and_say_why():
    tiny = dict(BASE, epochs=1, train_samples=64, early_stopping=False)
    configs = [dict(tiny, batch_size=16), dict(tiny, batch_size=32)]
    results = run_packed(configs[0], [0, 0], configs=configs)
    assert [status for status, _, _ in results] == ["ok", "ok"]
    for config, (_, record, _) in zip(configs, results):
        assert record["options"]["batch_size"] == config["batch_size"]
        assert "may share a graph" in record["options"]["packed"]["cells_reason"]
