"""Sanity of surprising results (issue 13, part 7): the ensembling path of C15
and the weight transfer of C16, checked on constructed inputs before their
verdicts are trusted."""

import json

import numpy as np
import pandas as pd

from reports.findings.c15_ensemble import ensemble_table


def _rows(members, labels):
    return pd.DataFrame([{"run_id": f"r{i}", "cell_id": "c", "seed": i, "status": "ok",
                          "predictions": json.dumps(np.asarray(p).tolist()),
                          "prediction_labels": json.dumps([int(v) for v in y])}
                         for i, (p, y) in enumerate(zip(members, labels))])


def test_ensemble_averages_probabilities_not_labels():
    # Two of three members vote for class 0 with little confidence; one is
    # certain of class 1: a majority vote says 0, the averaged probability 1.
    labels = [1]
    members = [[[0.55, 0.45]], [[0.55, 0.45]], [[0.0, 1.0]]]
    row = ensemble_table(_rows(members, [labels] * 3)).iloc[0]
    assert row["ensemble"] == 1.0 and row["member_mean"] == np.float64(1 / 3)


def test_ensemble_of_independent_members_beats_each_member():
    rng = np.random.default_rng(1)
    n, k, classes = 400, 5, 4
    labels = rng.integers(0, classes, n)
    members = []
    for _ in range(k):  # each right on a random 70% of the examples
        right = rng.random(n) < 0.7
        guess = np.where(right, labels, (labels + rng.integers(1, classes, n)) % classes)
        p = np.full((n, classes), 0.1)
        p[np.arange(n), guess] = 0.7
        members.append(p)
    row = ensemble_table(_rows(members, [labels] * k)).iloc[0]
    assert row["members"] == k and 0.65 < row["member_mean"] < 0.75
    assert row["ensemble"] > row["member_best"] + 0.05


def test_ensemble_joins_only_members_with_the_same_labels_in_the_same_order():
    labels = np.array([0, 1, 2, 0, 1, 2])
    perfect = np.eye(3)[labels]
    shuffled = labels[::-1]  # the same labels in another order: another test set order
    rows = _rows([perfect, perfect, np.eye(3)[shuffled]], [labels, labels, shuffled])
    row = ensemble_table(rows).iloc[0]
    assert row["members"] == 2 and row["ensemble"] == 1.0


def test_pretraining_copies_the_trained_weights_into_every_hidden_layer(monkeypatch):
    import zoo.datasets
    import zoo.models
    from benchmarks.run import transfer

    captured = {}
    original = transfer.copy_weights

    def spy(source, target, skip=("output",)):
        captured["source"] = source
        return original(source, target, skip)

    monkeypatch.setattr(transfer, "copy_weights", spy)
    cfg = {"dataset": "digits", "model": "mlp", "depth": 2, "width": 16,
           "pretrain": {"classes": [0, 1, 2, 3, 4], "epochs": 5}}
    target_ds = transfer.select_classes(zoo.datasets.load("digits"), [5, 6, 7, 8, 9])
    model = zoo.models.build("mlp", target_ds.spec, depth=2, width=16)
    before = {layer.name: [w.copy() for w in layer.get_weights()] for layer in model.layers}
    summary = transfer.pretrain_into(model, cfg, seed=0, batch_size=32)
    source = captured["source"]
    assert summary["copied_layers"] == ["dense_0", "dense_1"]
    assert summary["val_accuracy"] > 0.5  # the pre-training learned digits 0-4
    for name in summary["copied_layers"]:
        got, trained = model.get_layer(name).get_weights(), source.get_layer(name).get_weights()
        assert all(np.array_equal(a, b) for a, b in zip(got, trained)), name
        assert not all(np.array_equal(a, b) for a, b in zip(got, before[name])), name
    # The output layer (5 new classes) keeps its fresh initialization.
    out = [layer for layer in model.layers if layer.name not in summary["copied_layers"]
           and layer.get_weights()][-1]
    assert all(np.array_equal(a, b) for a, b in zip(out.get_weights(), before[out.name]))
