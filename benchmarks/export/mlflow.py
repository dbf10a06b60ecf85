"""Stored runs as MLflow runs: params, per-epoch metrics and tags.

One MLflow run per stored run, in the experiment named after its suite (made
if missing), named by its run id:

- params: the config's values, nested dicts flattened with dots
  (`dataset_options.data_dir`); strings as they are, other values as JSON
  (`32`, `0.001`, `true`, `null`, `["a", "b"]`), plus `seed`;
- metrics: each history metric under its Keras name (`loss`, `val_accuracy`,
  `learning_rate`, ...) with `step` = Keras's 0-based epoch index (the steps
  MLflow's Keras autologging uses), `test_<metric>` at the evaluated epoch,
  and the record's one-number measurements (`wall_time`, `best_epoch`,
  `samples_per_sec`, `params`, `gen_gap`, ...) at step 0;
- tags: `zoo.suite`, `zoo.run_id`, `zoo.cell_id`, `zoo.seed`, `zoo.status`,
  `zoo.kind`, `zoo.packed` (`true` when trained in a pack of seeds),
  `zoo.fingerprint`, and `zoo.error` (first line) for a failed run; the MLflow
  run ends FINISHED (`ok`, `diverged`) or FAILED (`failed`).

Idempotent: runs already in the experiment are found by their `zoo.run_id`
tag. One with the same `zoo.fingerprint` is left as it is; one that differs
(e.g. a failed run that a `--retry-failed` finished) is deleted and logged
again, so an experiment never holds two runs of one stored run. (MLflow
keeps deleted runs until `mlflow gc`.)

A plain path as the tracking URI means a local file store (`file:` URI).
MLflow 3 refuses new file stores unless `MLFLOW_ALLOW_FILE_STORE=true`,
which the export sets for `file:` URIs (unless already set); use a
`sqlite:///...` (needs the full `mlflow` package) or `http://...` URI for
the backends MLflow recommends.

Example:

>>> export_mlflow(stored_runs("runs/zoo.sqlite", "demo"), "runs/mlflow")
{'created': 4, 'replaced': 0, 'unchanged': 0}
$ mlflow ui --backend-store-uri runs/mlflow
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from benchmarks.export.runs import (
    ExportError,
    evaluated_step,
    evaluation_metrics,
    fingerprint,
    history_by_epoch,
    is_packed,
    summary_metrics,
)

DEFAULT_TRACKING_DIR = os.path.join("runs", "mlflow")
INSTALL = "pip install 'zoo[mlflow]'"
RUN_ID_TAG = "zoo.run_id"
FINGERPRINT_TAG = "zoo.fingerprint"
_BATCH = 1000  # MLflow's log_batch limit on metrics per call (params: 100)


def _mlflow():
    """`(MlflowClient, entities)`, or an `ExportError` naming the install command."""
    try:
        from mlflow import entities
        from mlflow.tracking import MlflowClient
    except ImportError as exc:
        raise ExportError(f"`zoo export mlflow` needs MLflow, which is not installed "
                          f"({exc}). Install the optional extra with `{INSTALL}` (from a "
                          f"checkout: `pip install -e '.[mlflow]'`), or `pip install "
                          f"mlflow-skinny`. Received: target=mlflow") from None
    return MlflowClient, entities


def tracking_uri(out: str | None) -> str:
    """The tracking URI for `--out`: a URI as given, a path as a `file:` URI.

    Example:

    >>> tracking_uri("runs/mlflow")
    'file:///home/me/zoo/runs/mlflow'
    >>> tracking_uri("http://localhost:5000")
    'http://localhost:5000'
    """
    out = out or DEFAULT_TRACKING_DIR
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:", out):  # a scheme (not a drive letter)
        return out
    return Path(out).resolve().as_uri()


def flat_params(config: dict, prefix: str = "") -> dict[str, str]:
    """Config values as MLflow params: dotted keys, strings or JSON text.

    Example:

    >>> flat_params({"optimizer": "adam", "batch_size": 32, "dataset_options": {"n": 1},
    ...              "pipeline_options": {}, "learning_rate": None})
    {'optimizer': 'adam', 'batch_size': '32', 'dataset_options.n': '1', \
'pipeline_options': '{}', 'learning_rate': 'null'}
    """
    out = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flat_params(value, f"{name}."))
        else:
            out[name] = value if isinstance(value, str) else json.dumps(value, default=str)
    return out


def run_tags(run: dict) -> dict[str, str]:
    """The `zoo.*` tags of a stored run (all strings).

    Example:

    >>> run_tags(run)["zoo.packed"], run_tags(run)["zoo.status"]
    ('true', 'ok')
    """
    record = run.get("record") or {}
    tags = {"zoo.suite": run["suite"], RUN_ID_TAG: run["run_id"],
            "zoo.cell_id": str(run.get("cell_id")), "zoo.seed": str(run["seed"]),
            "zoo.status": run["status"], "zoo.kind": str(run.get("kind") or "bench"),
            "zoo.packed": str(is_packed(record)).lower(), FINGERPRINT_TAG: fingerprint(run)}
    if run.get("error"):
        tags["zoo.error"] = run["error"].strip().splitlines()[0][:5000]
    return tags


def _metrics(run: dict, entities) -> list:
    record = run.get("record") or {}
    start = int(1000 * (run.get("started_at") or 0))
    epoch_ms = [int(1000 * t) for t in record.get("epoch_times") or []]

    def at(step: int) -> int:  # wall time at the end of epoch `step`, when known
        return start + sum(epoch_ms[:step + 1])

    metrics = [entities.Metric(name, value, at(step), step)
               for name, points in history_by_epoch(record).items() for step, value in points]
    step = evaluated_step(record)
    metrics += [entities.Metric(name, value, at(step), step)
                for name, value in evaluation_metrics(record).items()]
    end = int(1000 * (run.get("finished_at") or 0)) or start
    metrics += [entities.Metric(name, value, end, 0)
                for name, value in summary_metrics(record).items()]
    return metrics


def _max_param_length() -> int:
    """MLflow's longest param value (6000 in MLflow 3, 500 in early MLflow 2)."""
    from mlflow.utils import validation

    return getattr(validation, "MAX_PARAM_VAL_LENGTH", 500)


def _existing(client, experiment_id: str) -> dict[str, list]:
    """`{zoo run id: [MLflow runs]}` of an experiment's active runs."""
    found: dict[str, list] = {}
    token = None
    while True:
        page = client.search_runs([experiment_id], max_results=1000, page_token=token)
        for r in page:
            if RUN_ID_TAG in r.data.tags:
                found.setdefault(r.data.tags[RUN_ID_TAG], []).append(r)
        token = page.token
        if not token:
            return found


def _experiment_id(client, name: str) -> str:
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        return client.create_experiment(name)
    if experiment.lifecycle_stage == "deleted":
        client.restore_experiment(experiment.experiment_id)
    return experiment.experiment_id


def log_run(client, entities, experiment_id: str, run: dict) -> str:
    """Logs one stored run as a new MLflow run.

    Args:
        client: An `mlflow.tracking.MlflowClient`.
        entities: The `mlflow.entities` module.
        experiment_id: The MLflow experiment to log into.
        run: A stored run (`Store.runs` gives them).

    Returns:
        The new MLflow run's id.

    Example:

    >>> log_run(MlflowClient("file:///tmp/mlruns"), mlflow.entities, "0", run)
    '5f0c...'
    """
    created = client.create_run(experiment_id, start_time=int(1000 * (run.get("started_at") or 0))
                                or None, tags=run_tags(run), run_name=run["run_id"])
    mlflow_id = created.info.run_id
    params = {**flat_params(run.get("config") or {}), "seed": str(run["seed"])}
    items = [entities.Param(k, v[:_max_param_length()]) for k, v in params.items()]
    for i in range(0, len(items), 100):
        client.log_batch(mlflow_id, params=items[i:i + 100])
    metrics = _metrics(run, entities)
    for i in range(0, len(metrics), _BATCH):
        client.log_batch(mlflow_id, metrics=metrics[i:i + _BATCH])
    status = "FAILED" if run["status"] == "failed" else "FINISHED"
    end = int(1000 * run["finished_at"]) if run.get("finished_at") else None
    client.set_terminated(mlflow_id, status=status, end_time=end)
    return mlflow_id


def export_mlflow(runs: list[dict], out: str | None = None) -> dict[str, int]:
    """Logs stored runs to MLflow, one MLflow run each, without duplicates.

    Args:
        runs: Stored runs (e.g. `benchmarks.export.runs.stored_runs(...)`).
        out: A tracking URI (`http://...`, `sqlite:///...`, `file:...`) or a
            folder for a local file store. Defaults to `runs/mlflow`.

    Returns:
        `{"created": n, "replaced": n, "unchanged": n}` run counts.

    Raises:
        ExportError: if MLflow is not installed (the message says how to install it).

    Example:

    >>> export_mlflow(stored_runs("runs/zoo.sqlite", "demo"), "runs/mlflow")
    {'created': 4, 'replaced': 0, 'unchanged': 0}
    """
    client_class, entities = _mlflow()
    uri = tracking_uri(out)
    if uri.startswith("file:"):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    client = client_class(tracking_uri=uri)
    counts = {"created": 0, "replaced": 0, "unchanged": 0}
    experiments: dict[str, tuple[str, dict]] = {}
    for run in runs:
        if run["suite"] not in experiments:
            eid = _experiment_id(client, run["suite"])
            experiments[run["suite"]] = (eid, _existing(client, eid))
        eid, existing = experiments[run["suite"]]
        previous = existing.pop(run["run_id"], [])
        current = fingerprint(run)
        if len(previous) == 1 and previous[0].data.tags.get(FINGERPRINT_TAG) == current:
            counts["unchanged"] += 1
            continue
        for old in previous:
            client.delete_run(old.info.run_id)
        log_run(client, entities, eid, run)
        counts["replaced" if previous else "created"] += 1
    return counts
