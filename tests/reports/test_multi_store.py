"""`zoo report --store A --store B`: several stores reported as their union
(reports/stores.py, reports/data.py). Fake records through `Store.claim/finish`,
no training.
"""

import pandas as pd
import pytest

from benchmarks.store import Store
from reports import data
from zoo.cli import main

EPOCHS = 3


def record(accuracy: float) -> dict:
    loss = [1.0, 0.7, 1 - accuracy]
    return {"history": {"loss": loss, "val_loss": [v + 0.1 for v in loss],
                        "accuracy": [0.5, 0.6, accuracy],
                        "val_accuracy": [0.45, 0.55, accuracy - 0.05]},
            "test": {"loss": 1.1 - accuracy, "accuracy": accuracy - 0.04},
            "best_epoch": EPOCHS, "epochs_run": EPOCHS, "wall_time": 1.0,
            "epoch_times": [0.5] * EPOCHS}


def write(path, runs, description):
    """`runs`: (run_id, optimizer, seed, status or None for running, accuracy)."""
    with Store(str(path)) as store:
        store.put_suite("demo", description=description)
        for run_id, optimizer, seed, status, accuracy in runs:
            store.claim(run_id, "demo", optimizer, seed,
                        {"model": "mlp", "optimizer": optimizer, "epochs": EPOCHS})
            if status is not None:
                store.finish(run_id, status, record(accuracy) if status != "failed" else {},
                             "boom" if status == "failed" else None)
    return str(path)


@pytest.fixture
def stores(tmp_path):
    """Machine A ran seed 0 (its adam-1 failed, sgd-2 still running), machine B
    seed 1 and adam-1 again, which finished there; both hold sgd-0 (A's row first)."""
    a = write(tmp_path / "a.sqlite", [
        ("sgd-0", "sgd", 0, "ok", 0.80), ("adam-0", "adam", 0, "ok", 0.90),
        ("adam-1", "adam", 1, "failed", 0), ("sgd-2", "sgd", 2, None, 0)], "from A")
    b = write(tmp_path / "b.sqlite", [
        ("sgd-0", "sgd", 0, "ok", 0.70), ("sgd-1", "sgd", 1, "ok", 0.82),
        ("adam-1", "adam", 1, "ok", 0.92)], "from B, written last")
    return a, b


def test_runs_of_two_stores_are_their_union(stores):
    a, b = stores
    runs = data.load_runs([a, b]).set_index("run_id")
    assert sorted(runs.index) == ["adam-0", "adam-1", "sgd-0", "sgd-1", "sgd-2"]
    assert runs.loc["adam-1", "status"] == "ok"  # B's finished row beats A's failure
    assert runs.loc["sgd-0", "test_accuracy"] == pytest.approx(0.76)  # the first store's row
    assert runs.loc["sgd-2", "status"] == "running"  # still visible, as in one store
    epochs = data.load_epochs([a, b])
    assert epochs.groupby("run_id").size().to_dict() == {
        "adam-0": 15, "adam-1": 15, "sgd-0": 15, "sgd-1": 15}  # (4 metrics + epoch_time) x 3
    assert list(data.load_suites([a, b])["description"]) == ["from B, written last"]


def test_one_store_reads_as_before(stores):
    a, _ = stores
    pd.testing.assert_frame_equal(data.load_runs(a), data.load_runs([a]))
    assert len(data.load_runs(a)) == 4


def test_report_over_two_stores_includes_the_runs_of_both(stores, tmp_path, capsys):
    a, b = stores
    out = tmp_path / "reports"
    assert main(["report", "--store", a, "--store", b, "--suite", "demo",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "2 stores read as one" in printed and "demo: 5 runs" in printed
    runs = pd.read_csv(out / "demo" / "runs.csv")
    assert sorted(runs["run_id"]) == ["adam-0", "adam-1", "sgd-0", "sgd-1", "sgd-2"]
    assert "from B, written last" in (out / "demo" / "index.html").read_text()


def test_report_names_a_missing_store_among_several(stores, tmp_path, capsys):
    a, _ = stores
    missing = str(tmp_path / "nope.sqlite")
    assert main(["report", "--store", a, "--store", missing, "--out", str(tmp_path)]) == 2
    assert f"Received: store={missing!r}" in capsys.readouterr().err
