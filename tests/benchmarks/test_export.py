"""`zoo export tensorboard|mlflow` and `zoo results --format parquet`.

Nothing is trained: a small store is written with `Store.claim` / `finish`
and fake records, then read back with TensorBoard's own event reader, an
`MlflowClient` on a local file store, and `pandas.read_parquet`.
"""

from __future__ import annotations

import glob
import os
import sys

import pytest
from conftest import runs_of

from benchmarks.export.runs import is_packed
from benchmarks.export.tensorboard import split_history
from benchmarks.store import Store
from zoo.cli import main

HISTORY = {"loss": [1.0, 0.5, 0.25], "val_loss": [1.2, None, 0.7],
           "accuracy": [0.3, 0.6, 0.8], "val_accuracy": [0.25, 0.5, 0.75],
           "learning_rate": [0.01, 0.01, 0.005]}


def _record(seed: int, packed: int) -> dict:
    return {"history": {k: [None if v is None else v + seed / 100 for v in vs]
                        for k, vs in HISTORY.items()},
            "test": {"accuracy": 0.7 + seed / 100, "loss": 0.8}, "best_epoch": 3,
            "evaluated_epoch": 3, "epochs_run": 3, "wall_time": 1.5, "monitor": "val_loss",
            "options": {"packed": {"members": packed, "seeds": [0, 1], "index": seed}}}


@pytest.fixture
def store_path(tmp_path):
    """demo: two ok runs (seed 0 packed), a failed one, a running one; other: one ok run."""
    path = str(tmp_path / "zoo.sqlite")
    config = {"optimizer": "adam", "batch_size": 32, "dataset_options": {"n": 2},
              "pipeline_options": {}, "learning_rate": None, "jit_compile": "auto"}
    with Store(path) as store:
        for run_id, seed, packed in (("aa00", 0, 2), ("bb11", 1, 1)):
            store.claim(run_id, "demo", "cell1", seed, config)
            store.finish(run_id, "ok", _record(seed, packed))
        store.claim("cc22", "demo", "cell2", 0, {**config, "optimizer": "sgd"})
        store.finish("cc22", "failed", None, "RuntimeError: boom\nTraceback ...")
        store.claim("dd33", "demo", "cell2", 1, {**config, "optimizer": "sgd"})
        store.claim("ee44", "other", "cell3", 0, {**config, "jit_compile": True})
        store.finish("ee44", "ok", _record(0, 1))
    return path


def _read(folder: str) -> dict:
    """`{tag: [(step, value)]}` and the hparams plugin data of one event folder."""
    import tensorflow as tf
    from tensorboard.backend.event_processing import event_accumulator as ea

    acc = ea.EventAccumulator(folder, size_guidance={ea.TENSORS: 0})
    acc.Reload()
    scalars = {tag: [(e.step, float(tf.make_ndarray(e.tensor_proto))) for e in acc.Tensors(tag)]
               for tag in acc.Tags()["tensors"] if not tag.startswith("_hparams_/")}
    try:
        hparams = acc.PluginTagToContent("hparams")
    except KeyError:  # a folder without an HParams session (train/, validation/)
        hparams = {}
    return {"scalars": scalars, "hparams": hparams}


def _steps(points: list) -> tuple[list, list]:
    return [step for step, _ in points], [value for _, value in points]


def approx(values):
    """Equal as float32 (the precision of TensorBoard scalars)."""
    return pytest.approx(values, rel=1e-6)


def test_tensorboard_export_is_read_by_tensorboard_and_idempotent(store_path, tmp_path):
    from tensorboard.plugins.hparams import api_pb2, metadata

    out = str(tmp_path / "tb")
    args = ["export", "tensorboard", "--store", store_path, "--suite", "demo", "--out", out]
    assert main(args) == 0
    assert main(args) == 0  # a second export replaces the first
    assert sorted(os.listdir(os.path.join(out, "demo"))) == ["aa00", "bb11", "cc22"]
    assert len(glob.glob(os.path.join(out, "demo", "aa00", "**", "events.*"),
                         recursive=True)) == 3  # root, train/, validation/: once each

    run = os.path.join(out, "demo", "bb11")
    train, validation, root = (_read(os.path.join(run, sub))
                               for sub in ("train", "validation", ""))
    stored = runs_of(store_path, "demo")[1]["record"]["history"]
    assert _steps(train["scalars"]["epoch_loss"]) == ([0, 1, 2], approx(stored["loss"]))
    assert _steps(train["scalars"]["epoch_learning_rate"]) == (
        [0, 1, 2], approx(stored["learning_rate"]))
    assert _steps(validation["scalars"]["epoch_loss"]) == (  # the NaN epoch is left out
        [0, 2], approx([stored["val_loss"][0], stored["val_loss"][2]]))
    assert set(validation["scalars"]) == {"epoch_loss", "epoch_accuracy"}
    assert _steps(root["scalars"]["test_accuracy"]) == ([2], approx([0.71]))
    assert _steps(root["scalars"]["wall_time"]) == ([0], [1.5])

    start = metadata.parse_session_start_info_plugin_data(
        root["hparams"][metadata.SESSION_START_INFO_TAG])
    assert start.group_name == "bb11"
    assert start.hparams["optimizer"].string_value == "adam"
    assert start.hparams["seed"].number_value == 1
    assert start.hparams["dataset_options"].string_value == '{"n": 2}'
    assert start.hparams["status"].string_value == "ok"
    failed = _read(os.path.join(out, "demo", "cc22"))["hparams"]
    end = metadata.parse_session_end_info_plugin_data(failed[metadata.SESSION_END_INFO_TAG])
    assert end.status == api_pb2.STATUS_FAILURE


def test_split_history_and_packed_flag():
    parts = split_history({"history": {"loss": [1.0, float("nan")], "val_acc": [0.5]}})
    assert parts == {"train": {"loss": [(0, 1.0)]}, "validation": {"acc": [(0, 0.5)]}}
    assert is_packed(_record(0, 2)) and not is_packed(_record(0, 1)) and not is_packed({})


@pytest.mark.parametrize("argv, expected", [
    (["--suite", "dem"], "Did you mean 'demo'"),
    (["--store", "missing.sqlite"], "No results store at missing.sqlite"),
])
def test_export_bad_input_exits_2(store_path, tmp_path, capsys, argv, expected):
    argv = ["--store", store_path, *argv] if "--store" not in argv else argv
    assert main(["export", "tensorboard", *argv, "--out", str(tmp_path / "tb")]) == 2
    assert expected in capsys.readouterr().err


def test_mlflow_missing_exits_2_with_the_install_command(store_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # `import mlflow` raises ImportError
    assert main(["export", "mlflow", "--store", store_path]) == 2
    assert "pip install 'zoo[mlflow]'" in capsys.readouterr().err


def test_mlflow_export_one_run_per_stored_run(store_path, tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "mlruns"
    args = ["export", "mlflow", "--store", store_path, "--out", str(out)]
    assert main(args) == 0
    client = MlflowClient(tracking_uri=out.as_uri())

    def runs(suite):
        eid = client.get_experiment_by_name(suite).experiment_id
        return {r.info.run_name: r for r in client.search_runs([eid])}

    first = runs("demo")
    assert sorted(first) == ["aa00", "bb11", "cc22"]  # the running row is not exported
    assert sorted(runs("other")) == ["ee44"]
    run = first["bb11"]
    assert run.data.params["optimizer"] == "adam" and run.data.params["seed"] == "1"
    assert run.data.params["dataset_options.n"] == "2"
    assert run.data.params["learning_rate"] == "null"
    assert run.data.tags["zoo.run_id"] == "bb11" and run.data.tags["zoo.packed"] == "false"
    assert first["aa00"].data.tags["zoo.packed"] == "true"
    assert run.data.metrics["test_accuracy"] == pytest.approx(0.71)
    history = client.get_metric_history(run.info.run_id, "val_loss")
    assert [(m.step, m.value) for m in history] == [(0, 1.21), (2, 0.71)]
    assert run.info.status == "FINISHED" and first["cc22"].info.status == "FAILED"
    assert first["cc22"].data.tags["zoo.error"] == "RuntimeError: boom"

    assert main(args) == 0  # unchanged runs are left as they are
    assert {k: r.info.run_id for k, r in runs("demo").items()} == {
        k: r.info.run_id for k, r in first.items()}

    with Store(store_path) as store:  # a retried run finishes; the running one too
        store.claim("cc22", "demo", "cell2", 0, {"optimizer": "sgd"})
        store.finish("cc22", "ok", _record(0, 1))
        store.finish("dd33", "ok", _record(1, 1))
    assert main(args + ["--suite", "demo"]) == 0
    after = runs("demo")
    assert sorted(after) == ["aa00", "bb11", "cc22", "dd33"]  # one MLflow run each
    assert after["cc22"].info.run_id != first["cc22"].info.run_id
    assert after["cc22"].data.tags["zoo.status"] == "ok"
    assert after["aa00"].info.run_id == first["aa00"].info.run_id


def test_results_parquet_holds_the_csv_rows(store_path, tmp_path, capsys):
    import pandas as pd

    assert main(["results", "--store", store_path, "--format", "parquet"]) == 2
    assert "pass --out FILE" in capsys.readouterr().err
    parquet, csv = str(tmp_path / "out" / "runs.parquet"), str(tmp_path / "runs.csv")
    assert main(["results", "--store", store_path, "--format", "parquet", "--out", parquet]) == 0
    assert main(["results", "--store", store_path, "--format", "csv", "--out", csv]) == 0
    frame, rows = pd.read_parquet(parquet), pd.read_csv(csv)
    assert list(frame.columns) == list(rows.columns)
    assert list(frame["run_id"]) == list(rows["run_id"]) == ["aa00", "bb11", "cc22", "dd33",
                                                             "ee44"]
    assert frame["test_accuracy"].tolist()[:2] == pytest.approx([0.70, 0.71])
    assert frame["jit_compile"].tolist() == ["auto"] * 4 + ["true"]  # mixed types as text
    assert frame.set_index("run_id").loc["cc22", "status"] == "failed"


def test_tensorboard_during_training_keeps_seeds_packed(tmp_path):
    from conftest import write_toml

    path = write_toml(tmp_path, """
        name = "tb_packed"
        description = "2 seeds of one cell, packed, with --tensorboard"
        dataset = "digits"
        model = "mlp"
        epochs = 2
        seeds = [0, 1]
        [fixed]
        depth = 1
        width = 8
        train_samples = 200
        """)
    store = str(tmp_path / "zoo.sqlite")
    assert main(["bench", path, "--store", store, "--workers", "1", "--tensorboard"]) == 0
    runs = runs_of(store, "tb_packed")
    assert len(runs) == 2 and all(is_packed(r["record"]) for r in runs)
    for run in runs:
        folder = run["record"]["options"]["tensorboard_dir"]
        assert folder == os.path.join(str(tmp_path), "tensorboard", "tb_packed", run["run_id"])
        steps, values = _steps(_read(os.path.join(folder, "train"))["scalars"]["epoch_loss"])
        assert steps == [0, 1] and values == approx(run["record"]["history"]["loss"])
