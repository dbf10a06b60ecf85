"""Test-set predictions kept in a run's record, for ensembles (claim C15).

With `record_predictions = true` in a suite, each run stores the predicted
class probabilities of its evaluated weights on the test split
(`test_predictions`, one row per example, rounded to `DECIMALS`) and the
labels (`test_labels`). All seeds of a cell share the test split (it depends
on the split seed, not the run seed), so a report can average the K members'
probabilities and compare the ensemble with its members
(`reports/findings/c15_ensemble.py`) without retraining anything.

Example:

>>> kept = test_predictions(model, test, ds)
>>> len(kept["test_predictions"]) == len(kept["test_labels"])
True
"""

from __future__ import annotations

import numpy as np

DECIMALS = 5
# Safety limit: predictions of larger test sets are not stored (the store is one
# SQLite file; 2e5 probabilities are about 2 MB of JSON per run).
MAX_VALUES = 200_000


def test_predictions(model, test, ds) -> dict:
    """Returns `{"test_predictions": [[p, ...], ...], "test_labels": [...]}`.

    Args:
        model: The trained model (outputs class probabilities).
        test: The batched test `tf.data.Dataset` the run evaluates on.
        ds: The run's `zoo.datasets.Dataset` (labels of the test split).

    Raises:
        ValueError: for a task other than classification, or a test set whose
            predictions exceed `MAX_VALUES` numbers.
    """
    if ds.spec.task != "classification":
        raise ValueError("record_predictions keeps class probabilities, so it needs a "
                         f"classification dataset; {ds.spec.name!r} is a {ds.spec.task} task. "
                         "Remove record_predictions from the suite. "
                         f"Received: task={ds.spec.task!r}")
    labels = np.asarray(ds.numpy("test")[1]).astype(int)
    size = len(labels) * int(ds.spec.output_dim or ds.spec.num_classes or 1)
    if size > MAX_VALUES:
        raise ValueError(f"record_predictions would store {size} probabilities per run (more "
                         f"than {MAX_VALUES}): use a smaller test split (dataset_options) or "
                         f"drop record_predictions. Received: test examples={len(labels)}")
    probs = np.asarray(model.predict(test, verbose=0), dtype="float64")
    return {"test_predictions": np.round(probs, DECIMALS).tolist(),
            "test_labels": labels.tolist()}
