"""`python -m benchmarks.record_digest`: the check that a speed change moved no number."""

import json

import numpy as np

from benchmarks import record_digest


def test_result_fields_leave_out_what_times_a_run_and_keep_what_it_produced():
    record = {"history": {"loss": [0.5, 0.25]}, "test": {"accuracy": 0.9}, "best_epoch": 2,
              "wall_time": 3.2, "epoch_times": [2.0, 1.2], "mfu": 0.01,
              "host": {"hostname": "a"}, "options": {"threads": 2},
              "target": {"metric": "val_accuracy", "epoch": 2, "seconds": 3.1}}
    assert record_digest.result_fields(record) == {
        "history": {"loss": [0.5, 0.25]}, "test": {"accuracy": 0.9}, "best_epoch": 2,
        "options": {}, "target": {"metric": "val_accuracy", "epoch": 2}}


def test_differences_finds_one_ulp_and_names_where():
    loss = 0.123456789
    a = {"cell_pack": [{"history": {"loss": [1.0, loss]}}]}
    b = {"cell_pack": [{"history": {"loss": [1.0, float(np.nextafter(loss, 1.0))]}}]}
    assert record_digest.differences(a, a) == []
    (found,) = record_digest.differences(a, b)
    assert found.startswith("cell_pack[0].history.loss[1]: ")
    assert record_digest.differences(a, {}) == ["cell_pack: only in the first"]
    nan = {"loss": [float("nan")]}  # a diverged run's loss is the same NaN in both
    assert record_digest.differences(nan, json.loads(json.dumps(nan))) == []
    assert record_digest.differences(nan, {"loss": [1.0]}) == ["loss[0]: nan != 1.0"]
    assert record_digest.digest(a) != record_digest.digest(b)


def test_the_same_code_twice_gives_identical_records_and_a_changed_one_is_caught(tmp_path,
                                                                                   capsys):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert record_digest.main([str(first), "--cases", "single"]) == 0
    assert record_digest.main([str(second), "--cases", "single", "--compare", str(first)]) == 0
    assert "identical to" in capsys.readouterr().out
    stored = json.loads(first.read_text())
    (member,) = stored["single"]
    assert member["history"]["loss"] and member["test"]["accuracy"] is not None
    assert "wall_time" not in member
    member["test"]["loss"] = float(np.nextafter(member["test"]["loss"], 0.0))
    first.write_text(json.dumps(stored))
    assert record_digest.main([str(second), "--cases", "single", "--compare", str(first)]) == 1
    assert "single[0].test.loss" in capsys.readouterr().out
    older = tmp_path / "older.json"  # a file without this case: said, not dumped
    older.write_text(json.dumps({"seed_pack": []}))
    assert record_digest.main([str(second), "--cases", "single", "--compare", str(older)]) == 1
    assert f"single: not in {older}" in capsys.readouterr().out
