"""Every axis of the table rejects a bad value before the first run (`zoo bench --dry-run`)."""

from __future__ import annotations

import pytest
from conftest import write_toml

from zoo.axes import AXES, MODEL, OPTION
from zoo.cli import main
from zoo.models import MODELS, axis_domain

# One bad value for every axis of the table.
BAD = {
    "optimizer": "adamm", "activation": "rellu", "batch_size": 0, "regularizer": "l3:0.1",
    "initializer": "he_normall", "schedule": "cosin", "loss": "mse2",
    "pipeline": "standardise", "model": "mlpp", "learning_rate": -1.0, "dataset": "digitz",
    "epochs": 0, "momentum": 1.5, "weight_decay": -0.1, "label_smoothing": 1.0,
    "early_stopping": -1, "target": {"metric": "val_acc", "value": 0.9},
    "train_samples": 0, "split_seed": 0.5, "dataset_options": "n_samples=3",
    "pipeline_options": 3, "record_predictions": "yes", "train_classes": [],
    "pretrain": {"epochs": 2}, "dropout": 1.0, "depth": -1, "width": 0, "batch_norm": "yes",
    "residual": 2, "filters": 0, "kernel_size": 0, "units": 0, "bidirectional": "no",
    "embed_dim": 0, "heads": 0, "code_size": 0, "weights": "imagenet", "precision": "fp16",
    "device": "gpux", "backend": "pytorch",
    "replicas": 0, "jit_compile": "yes", "steps_per_execution": 0, "pack_seeds": "sometimes",
    "pack_cells": "always", "peak_flops": -1.0, "imports": "mypkg", "d_optimizer": "adamm",
    "d_learning_rate": -1.0, "latent_size": 0, "kl_weight": -1.0, "variant": "conv3d",
}


def _toml(value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


def test_every_axis_has_a_bad_value():
    assert set(BAD) == set(AXES)


@pytest.mark.parametrize("axis", sorted(AXES))
def test_dry_run_rejects_a_bad_value_of_every_axis(axis, tmp_path, capsys):
    spec = AXES[axis]
    model = "mlp"
    if spec.kind == MODEL:
        model = next(n for n in MODELS.names() if axis in MODELS.card(n).axes)
    section = "options" if spec.kind == OPTION else "fixed"
    path = write_toml(tmp_path, f"""
        name = "bad_{axis}"
        description = "one bad value"
        dataset = "digits"
        model = "{model}"
        epochs = 1
        seeds = [0]

        [{section}]
        {axis} = {_toml(BAD[axis])}
        """)
    code = main(["bench", path, "--dry-run", "--store", str(tmp_path / "zoo.sqlite")])
    err = capsys.readouterr().err
    assert code == 2, err
    accepted = (axis_domain(model, axis) if spec.kind == MODEL else spec.domain).describe()
    assert f"{path}: [{section}] {axis}: " in err and accepted in err, err
    assert f"Received: {axis}=" in err


@pytest.mark.parametrize("dataset, options, expected", [
    ("csv:/nonexistent/file.csv", "", "CSV file not found: '/nonexistent/file.csv'"),
    ("tfds:no_such_dataset", "", "TensorFlow Datasets has no dataset 'no_such_dataset'"),
    # The real TFDS builder (not mock_data): nothing prepared in data_dir, no download.
    ("tfds:mnist", 'data_dir = "{tmp}"', "TFDS dataset 'mnist' is not prepared in data_dir="),
    ("digits", "n_sampels = 3", "does not accept options ['n_sampels']"),
    ("csv:{tmp}/t.csv", 'target = "label"', "Target column 'label' not found"),
])
def test_dry_run_checks_that_the_data_can_be_found(dataset, options, expected, tmp_path,
                                                   capsys):
    (tmp_path / "t.csv").write_text("a,b,y\n1,2,0\n3,4,1\n")
    tmp = str(tmp_path)
    path = write_toml(tmp_path, f"""
        name = "data_check"
        description = "data that is not there"
        dataset = "{dataset.format(tmp=tmp)}"
        model = "mlp"
        epochs = 1
        seeds = [0]
        dataset_options = {{{options.format(tmp=tmp)}}}
        """)
    store = tmp_path / "zoo.sqlite"
    assert main(["bench", path, "--dry-run", "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert expected.format(tmp=tmp) in err and path in err, err
    assert not store.exists()  # nothing written


def test_dry_run_rejects_a_non_finite_learning_rate(tmp_path, capsys):
    path = write_toml(tmp_path, """
        name = "inf_lr"
        description = "an infinite learning rate"
        dataset = "digits"
        model = "mlp"
        epochs = 1
        seeds = [0]
        [fixed]
        learning_rate = inf
        """)
    assert main(["bench", path, "--dry-run", "--store", str(tmp_path / "s.sqlite")]) == 2
    assert "[fixed] learning_rate: expected none or a number > 0" in capsys.readouterr().err
