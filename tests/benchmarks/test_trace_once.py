"""A run's training step is traced once: its optimizer is built before the first trace.

Keras (without a distribution strategy) creates the optimizer's slots inside
the first trace of the train function, and a `tf.function` that creates
variables is traced again. `Run.fit` builds the optimizer first; these tests
count the traces of the training step (once now, twice Keras's way) and check
that the records are the same numbers as with Keras's deferred build.
"""

import pytest

CFG = {"dataset": "digits", "model": "mlp", "epochs": 2, "width": 16, "optimizer": "adam"}
SAME = ("history", "test", "grad_norms", "dead_history", "best_epoch")


def count_train_step_traces(monkeypatch) -> list:
    """Counts Python calls of `keras.Model.train_step`: one per trace of the train function."""
    import keras

    calls, original = [], keras.Model.train_step

    def counted(self, data):
        calls.append(type(self).__name__)
        return original(self, data)

    monkeypatch.setattr(keras.Model, "train_step", counted)
    return calls


def _deferred_build(monkeypatch):
    """Keras's own way: the optimizer is built inside the first trace."""
    from benchmarks.run.lifecycle import Run

    monkeypatch.setattr(Run, "_build_optimizer", lambda self, model: None)


@pytest.mark.parametrize("packed", [False, True])
def test_the_step_is_traced_once_and_the_records_are_keras_deferred_builds(packed, monkeypatch):
    from benchmarks.matrix.packing import run_packed
    from benchmarks.run import run_one

    def traces_and_records():
        calls = count_train_step_traces(monkeypatch)
        results = run_packed(CFG, [0, 1], {}) if packed else [run_one(CFG, 0, {})]
        assert [status for status, _, _ in results] == ["ok"] * len(results)
        return len(calls), [{k: record[k] for k in SAME} for _, record, _ in results]

    traces, built_first = traces_and_records()
    assert traces == 1
    _deferred_build(monkeypatch)  # the count can fail: Keras's way traces Adam's step twice
    traces, deferred = traces_and_records()
    assert traces == 2
    assert built_first == deferred
