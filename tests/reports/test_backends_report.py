"""The report's backend section: accuracy within noise or not (Welch), speed side by side."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports.backends import compare_backends


def _runs(accuracy: dict, speed: dict) -> pd.DataFrame:
    rows = []
    for backend, values in accuracy.items():
        for seed, value in enumerate(values):
            rows.append({"model": "mlp", "dataset": "digits", "seed": seed, "status": "ok",
                         "backend": None if backend == "tensorflow" else backend,
                         "test_accuracy": value, "samples_per_sec": speed[backend] + seed,
                         "compile_time": 1.0, "mfu": 0.01})
    return pd.DataFrame(rows)


def test_backends_within_noise_and_beyond_it():
    runs = _runs({"tensorflow": [0.95, 0.96, 0.94], "jax": [0.951, 0.949, 0.955],
                  "torch": [0.60, 0.61, 0.62]}, {"tensorflow": 1000, "jax": 2000, "torch": 500})
    result = compare_backends(runs, "test_accuracy")
    table = result.table.set_index("backend")
    assert result.reference == "tensorflow" and list(table.index) == ["tensorflow", "jax", "torch"]
    assert table.loc["jax", "accuracy vs tensorflow"] == "within noise"
    assert table.loc["torch", "accuracy vs tensorflow"] == "tensorflow better"
    assert table.loc["torch", "p"] < 0.05 < table.loc["jax", "p"]
    np.testing.assert_allclose(table.loc["jax", "speed vs tensorflow"], 2001 / 1001)
    assert table.loc["tensorflow", "runs"] == 3 and table.loc["torch", "mfu"] == 0.01
    assert any("torch" in s and "exceeds seed noise" in s for s in result.sentences)


def test_no_backend_section_for_runs_on_one_backend():
    runs = _runs({"tensorflow": [0.9, 0.91]}, {"tensorflow": 1000})
    assert compare_backends(runs, "test_accuracy") is None
    assert compare_backends(runs.drop(columns="backend"), "test_accuracy") is None
