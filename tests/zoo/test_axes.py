"""The axis table: one entry per axis, each checked by its own domain."""

from __future__ import annotations

import math

import pytest
from conftest import modules_after

from zoo import domains
from zoo.axes import (AXES, KINDS, MODEL, PER_MODEL, REQUIRED, axes, canonical, cell_defaults,
                      value)
from zoo.models import MODELS, axis_domain, check_axes


def test_every_entry_is_complete_and_its_default_is_accepted():
    for axis in AXES.values():
        assert axis.kind in KINDS and axis.doc.strip(), axis.name
        if axis.default not in (REQUIRED, PER_MODEL):
            assert axis.check(axis.default) is None, axis.name
        assert (axis.default == PER_MODEL) == (axis.kind == MODEL), axis.name


def test_every_model_axis_is_in_the_table_and_every_card_default_in_range():
    for name in MODELS.names():
        card = MODELS.card(name)
        for axis in card.axes:
            assert axis in AXES and AXES[axis].kind == MODEL, (name, axis)
            assert axis_domain(name, axis).check(card.defaults[axis]) is None, (name, axis)
        assert set(card.ranges) <= set(card.axes), name


def test_model_cards_narrow_the_table():
    assert axis_domain("mlp", "depth").check(0) is None
    assert axis_domain("cnn", "depth").check(0) is not None
    with pytest.raises(ValueError, match="bad depth: expected an integer >= 1"):
        check_axes("cnn", {"depth": 0})


def test_domains_reject_non_finite_numbers_and_suggest_names():
    assert AXES["learning_rate"].check(math.inf) is not None
    assert AXES["learning_rate"].check(math.nan) is not None
    assert AXES["learning_rate"].check(None) is None
    invalid = AXES["device"].check("gpux")
    assert invalid.suggestions[0] == "gpu" and "one of" in invalid.expected
    assert AXES["batch_size"].check("full") is None and AXES["batch_size"].check(True)
    assert domains.Int(min=1).check(1.0) is not None  # a float is not an integer axis value


def test_defaults_and_lookup():
    defaults = cell_defaults()
    assert defaults["optimizer"] == "adam" and defaults["epochs"] == 10
    assert "label_smoothing" not in defaults  # added later: written when not default
    assert canonical({"label_smoothing": 0, "optimizer": "adam"}) == {"optimizer": "adam"}
    assert canonical({"label_smoothing": 0.1}) == {"label_smoothing": 0.1}
    assert canonical({"pretrain": False}) == {"pretrain": False}  # WHEN_SET: kept
    assert value({}, "label_smoothing") == 0.0 and value({"label_smoothing": 0.1},
                                                         "label_smoothing") == 0.1
    assert [a.name for a in axes("*_s*", kind="harness")] == ["batch_size", "label_smoothing", "early_stopping", "train_samples", "split_seed"]


def test_the_table_imports_no_tensorflow():
    code = "import zoo.axes as a; [x.domain.describe() for x in a.AXES.values()]"
    assert modules_after(code) == []


def test_zoo_axes_command(capsys):
    from zoo.cli import main

    assert main(["axes", "learning_*", "--format", "json"]) == 0
    import json

    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ["learning_rate"]
    assert rows[0]["accepts"] == "none or a number > 0"
    assert main(["axes", "--model", "mlp", "--format", "json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == set(MODELS.card("mlp").axes)
    assert rows["depth"]["default"] == 2 and rows["depth"]["accepts"] == "an integer >= 0"
    assert main(["axes", "--kind", "modle"]) == 2
