"""Reads the results store into pandas DataFrames.

The store is the SQLite file written by the benchmark harness (its schema is
documented in `benchmarks/store/sqlite.py`); it is read here with `sqlite3` and
`pandas.read_sql` only, so reports never import TensorFlow or `benchmarks`.

Every run stays visible: `failed`, `diverged` and `running` runs keep their row
and `status`. Outcome metrics (`test_*`, `final_*`, `best_val_*`, `gen_gap*`,
`best_epoch`, `target_*`, `grad_ratio`, `loss_roughness`) are NaN for a run
whose status is not `ok`; diagnostics such as `diverged_epoch`, `wall_time`
and `epoch1_*` keep whatever finite value was recorded.

Every `store` argument is one path or a list of paths, read as their union
(`reports.stores`: a run found in several stores appears once).
"""

from __future__ import annotations

import contextlib
import difflib
import json
import math
import os
import sqlite3

import numpy as np
import pandas as pd

from reports.stores import STATUS_RANK, store_paths, union

BASE_COLUMNS = ("run_id", "suite", "kind", "cell_id", "seed", "status", "error", "tuner",
                "trial_id")
SCALAR_METRICS = ("best_epoch", "epochs_run", "gen_gap", "gen_gap_loss", "wall_time",
                  "compile_time", "first_epoch_time", "samples_per_sec", "mfu", "params",
                  "peak_memory_mb", "dead_fraction", "diverged_epoch")
# Record keys kept as JSON text columns: the test-set class probabilities and labels
# of runs with `record_predictions = true` (ensembles, claim C15).
PREDICTION_COLUMNS = {"predictions": "test_predictions", "prediction_labels": "test_labels"}
# Metrics that describe the outcome of a run: NaN unless the run is `ok`.
OUTCOME_PREFIXES = ("test_", "final_", "best_val_", "gen_gap", "best_epoch", "target_",
                    "grad_ratio", "loss_roughness")


def _number(value) -> float:
    """A float for any recorded value; NaN for None, strings and non-finite values."""
    if isinstance(value, bool) or value is None:
        return float("nan") if value is None else float(value)
    try:
        out = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return out if math.isfinite(out) else float("nan")


def _cell(value):
    """A config value as a DataFrame cell: dicts and lists JSON-encoded."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True)
    return value


@contextlib.contextmanager
def connect(store: str):
    """Opens the store read-only.

    Args:
        store: Path of the SQLite file written by `zoo bench`.

    Raises:
        FileNotFoundError: when the file does not exist.
        ValueError: when the file is not a results store.
    """
    path = os.fspath(store)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"No results store at {path!r}. Expected the SQLite file written by `zoo bench`; "
            f"run `zoo bench SUITE --store {path}` first or pass --store. Received: store={path!r}")
    conn = sqlite3.connect(f"file:{os.path.abspath(path)}?mode=ro", uri=True, timeout=60)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "runs" not in tables:
            raise ValueError(
                f"{path!r} is not a zoo results store: it has no `runs` table. Pass the file "
                f"written by `zoo bench` with --store. Received: store={path!r}")
        yield conn
    except sqlite3.DatabaseError as e:
        raise ValueError(f"{path!r} is not a readable SQLite results store ({e}). "
                         f"Received: store={path!r}") from e
    finally:
        conn.close()


def load_suites(store) -> pd.DataFrame:
    """Suite rows: `name, description, claim, source, spec, updated_at`, plus
    suites that only appear in the `runs` table (with empty descriptions)."""
    return union([_suites_of(path) for path in store_paths(store)], "name",
                 lambda f: -f["updated_at"].astype(float), ["name"])


def _suites_of(store: str) -> pd.DataFrame:
    with connect(store) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        suites = (pd.read_sql("SELECT * FROM suites", conn) if "suites" in tables
                  else pd.DataFrame(columns=["name", "description", "claim", "source", "spec",
                                             "updated_at"]))
        in_runs = [r[0] for r in conn.execute("SELECT DISTINCT suite FROM runs ORDER BY suite")]
    missing = [s for s in in_runs if s not in set(suites["name"])]
    if missing:
        extra = pd.DataFrame({"name": missing, "description": "", "claim": None, "source": "",
                              "spec": "{}", "updated_at": np.nan})
        suites = pd.concat([suites, extra], ignore_index=True) if len(suites) else extra
    suites = suites[suites["name"].isin(in_runs)] if in_runs else suites.iloc[0:0]
    return suites.sort_values("name").reset_index(drop=True)


def check_suite(store: str, suite: str | None) -> list[str]:
    """Suite names to report: `[suite]`, or every suite with runs.

    Raises:
        ValueError: for an empty store or an unknown suite (with did-you-mean).
    """
    names, label = list(load_suites(store)["name"]), ", ".join(store_paths(store))
    if not names:
        raise ValueError(f"The results store {label!r} holds no runs. Run `zoo bench SUITE "
                         f"--store {store_paths(store)[0]}` first. Received: store={label!r}")
    if suite is None:
        return names
    if suite not in names:
        close = difflib.get_close_matches(suite, names, n=3, cutoff=0.5)
        hint = (" Did you mean " + " or ".join(repr(c) for c in close) + "?") if close else ""
        raise ValueError(f"Unknown suite {suite!r} in {label!r}.{hint} Expected one of: "
                         f"{', '.join(names)}. Received: suite={suite!r}")
    return [suite]


def _raw_runs(store, suite: str | None) -> pd.DataFrame:
    sql, args = "SELECT * FROM runs", ()
    if suite is not None:
        sql, args = sql + " WHERE suite=?", (suite,)
    frames = []
    for path in store_paths(store):
        with connect(path) as conn:
            frames.append(pd.read_sql(sql + " ORDER BY suite, cell_id, seed, run_id", conn,
                                      params=args))
    return union(frames, "run_id", lambda f: f["status"].map(STATUS_RANK),
                 ["suite", "cell_id", "seed", "run_id"])


def _loads(text) -> dict:
    if not isinstance(text, str) or not text:
        return {}
    try:
        out = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return out if isinstance(out, dict) else {}


def _final_gap(history: dict, evaluated) -> float:
    """Train - validation accuracy (else validation - train loss) of the weights
    the run ends with: epoch `evaluated_epoch` (the restored best epoch under
    early stopping), else the last epoch."""
    train, val, sign = history.get("accuracy"), history.get("val_accuracy"), 1.0
    if not train or not val:
        train, val, sign = history.get("loss"), history.get("val_loss"), -1.0
    if not train or not val:
        return np.nan
    n = min(len(train), len(val))
    i = int(evaluated) - 1 if isinstance(evaluated, (int, float)) and 1 <= evaluated <= n else n - 1
    return sign * (_number(train[i]) - _number(val[i]))


def _metrics(record: dict) -> dict:
    """The flat metric columns of one record (see docs/ARCHITECTURE.md)."""
    out = {k: _number(record.get(k)) for k in SCALAR_METRICS}
    for k, v in (record.get("test") or {}).items():
        out[f"test_{k}"] = _number(v)
    history = record.get("history") or {}
    best = record.get("best_epoch")
    for k, values in history.items():
        values = list(values or [])
        out[f"final_{k}"] = _number(values[-1]) if values else np.nan
        out[f"epoch1_{k}"] = _number(values[0]) if values else np.nan
        if k.startswith("val_") and isinstance(best, int) and 1 <= best <= len(values):
            out[f"best_{k}"] = _number(values[best - 1])
    out["gen_gap_final"] = _final_gap(history, record.get("evaluated_epoch"))
    target = record.get("target") or {}
    out["target_metric"] = target.get("metric")
    out["target_value"] = _number(target.get("value"))
    out["target_epoch"] = _number(target.get("epoch"))
    out["target_seconds"] = _number(target.get("seconds"))
    out["target_reached"] = (None if not target else target.get("epoch") is not None)
    norms, layers = record.get("grad_norms") or {}, record.get("grad_layers") or []
    layers = [name for name in layers if norms.get(name)] or list(norms)
    if len(layers) >= 2:
        first, last = _number(norms[layers[0]][-1]), _number(norms[layers[-1]][-1])
        out["grad_ratio"] = first / last if last else np.nan
    else:
        out["grad_ratio"] = np.nan
    loss = np.array([_number(v) for v in history.get("loss") or []], dtype=float)
    out["loss_roughness"] = (float(np.mean(np.abs(np.diff(loss, n=2))))
                             if len(loss) >= 3 and np.isfinite(loss).all() else np.nan)
    device = record.get("device")
    out["run_device"] = device if isinstance(device, str) or device is None else json.dumps(device)
    host = record.get("host") or {}
    out["hostname"] = host.get("hostname") if isinstance(host, dict) else str(host)
    out["timing"] = timing_of(record)  # whose time wall_time & co. measure
    return out


def timing_of(record: dict) -> str:
    """ "own" (alone, or a seed pack) or "shared by N cells" (a pack of cells): whose time."""
    options = record.get("options") if isinstance(record.get("options"), dict) else {}
    cells = (options.get("packed") or {}).get("cells", 1) if isinstance(
        options.get("packed"), dict) else 1
    return "own" if cells <= 1 else f"shared by {cells} cells"


def load_runs(store: str, suite: str | None = None) -> pd.DataFrame:
    """One row per run: identity, status, flattened config and metrics.

    Columns: `run_id, suite, kind, cell_id, seed, status, error, tuner,
    trial_id`, every config key as its own column (dict values JSON-encoded),
    then `test_<metric>`, `best_epoch`, `epochs_run`, `gen_gap`, ...,
    `gen_gap_final` (the gap of the weights the run ends with: the restored
    epoch under early stopping, else the last epoch),
    `final_<history key>`, `epoch1_<history key>`, `best_val_<key>` (the
    validation metric at the best epoch), `target_epoch`, `target_seconds`,
    `target_reached`, `grad_ratio`, `loss_roughness`, plus `started_at`,
    `finished_at`, `attempts`, `run_device`, `hostname`; and, for runs that
    recorded their test predictions, `predictions` / `prediction_labels`
    (JSON text).

    Args:
        store: Path of the SQLite results store.
        suite: Only this suite's runs. Defaults to every suite.

    Returns:
        A DataFrame; empty (with the base columns) when nothing matches.

    Example:

    >>> runs = load_runs("runs/zoo.sqlite", suite="optimizers")
    >>> runs.groupby("optimizer")["test_accuracy"].mean()
    """
    raw = _raw_runs(store, suite)
    rows, config_keys, metric_keys = [], [], []
    for r in raw.to_dict("records"):
        row = {k: r.get(k) for k in BASE_COLUMNS}
        config = _loads(r.get("config"))
        for k, v in config.items():
            key = k if k not in BASE_COLUMNS else f"config_{k}"
            row[key] = _cell(v)
            if key not in config_keys:
                config_keys.append(key)
        record = _loads(r.get("record"))
        metrics = _metrics(record)
        if row["status"] != "ok":
            for k in metrics:
                if k.startswith(OUTCOME_PREFIXES) and k not in ("target_metric", "target_value"):
                    metrics[k] = np.nan if k != "target_reached" else None
        for k in metrics:
            if k not in metric_keys:
                metric_keys.append(k)
        row.update(metrics)
        for column, key in PREDICTION_COLUMNS.items():  # `record_predictions` runs (C15)
            if record.get(key) is not None:
                row[column] = json.dumps(record[key])
                if column not in metric_keys:
                    metric_keys.append(column)
        row.update({k: r.get(k) for k in ("started_at", "finished_at", "attempts")})
        rows.append(row)
    columns = list(BASE_COLUMNS) + config_keys + metric_keys + ["started_at", "finished_at",
                                                                "attempts"]
    frame = pd.DataFrame(rows, columns=columns)
    for k in metric_keys:
        if k not in ("target_metric", "target_reached", "run_device", "hostname",
                     *PREDICTION_COLUMNS):
            frame[k] = pd.to_numeric(frame[k], errors="coerce").astype(float)
    frame.attrs["config_columns"] = config_keys
    return frame


EXTRA_COLUMNS = ("target_metric", "target_value", "target_reached", "run_device", "hostname",
                 "timing", "started_at", "finished_at", "attempts", "epoch", "metric", "value",
                 "layer", "layer_index", "norm")


def config_columns(runs: pd.DataFrame) -> list[str]:
    """The config columns of a `load_runs` (or long) frame.

    Read from `runs.attrs` when present; a frame that lost its attrs (e.g.
    after some pandas operations) falls back to every column that is not an
    identity, metric or bookkeeping column.
    """
    if "config_columns" in runs.attrs:
        return [c for c in runs.attrs["config_columns"] if c in runs]
    metric_prefixes = ("test_", "final_", "epoch1_", "best_val_", "target_")
    return [c for c in runs.columns
            if c not in BASE_COLUMNS and c not in SCALAR_METRICS and c not in EXTRA_COLUMNS
            and not c.startswith(metric_prefixes) and c not in ("grad_ratio", "loss_roughness")]


def _long(store: str, suite: str | None, rows_of) -> pd.DataFrame:
    raw = _raw_runs(store, suite)
    rows, config_keys = [], []
    for r in raw.to_dict("records"):
        config = {(k if k not in BASE_COLUMNS else f"config_{k}"): _cell(v)
                  for k, v in _loads(r.get("config")).items()}
        config_keys += [k for k in config if k not in config_keys]
        ident = {k: r.get(k) for k in ("run_id", "suite", "cell_id", "seed", "status")}
        for item in rows_of(_loads(r.get("record"))):
            rows.append({**ident, **item, **config})
    return rows, config_keys


def load_epochs(store: str, suite: str | None = None) -> pd.DataFrame:
    """Per-epoch history in long format.

    Columns: `run_id, suite, cell_id, seed, status, epoch, metric, value` plus
    the config columns. `metric` is a history key (`loss`, `val_accuracy`, ...)
    or `epoch_time` (seconds of that epoch). Non-finite values are NaN.

    Args:
        store: Path of the SQLite results store.
        suite: Only this suite's runs. Defaults to every suite.
    """

    def rows_of(record):
        series = dict(record.get("history") or {})
        if record.get("epoch_times"):
            series["epoch_time"] = record["epoch_times"]
        for metric, values in series.items():
            for i, v in enumerate(values or []):
                yield {"epoch": i + 1, "metric": metric, "value": _number(v)}

    rows, config_keys = _long(store, suite, rows_of)
    columns = ["run_id", "suite", "cell_id", "seed", "status", "epoch", "metric", "value"]
    frame = pd.DataFrame(rows, columns=columns + config_keys)
    frame["value"] = frame["value"].astype(float)
    frame.attrs["config_columns"] = config_keys
    return frame


def load_grad_norms(store: str, suite: str | None = None) -> pd.DataFrame:
    """Per-layer gradient norms in long format.

    Columns: `run_id, suite, cell_id, seed, status, layer, layer_index (0 =
    input side), epoch, norm` plus the config columns.

    Args:
        store: Path of the SQLite results store.
        suite: Only this suite's runs. Defaults to every suite.
    """

    def rows_of(record):
        norms = record.get("grad_norms") or {}
        layers = list(record.get("grad_layers") or [])
        layers += [name for name in norms if name not in layers]
        for index, layer in enumerate(name for name in layers if name in norms):
            for i, v in enumerate(norms[layer] or []):
                yield {"layer": layer, "layer_index": index, "epoch": i + 1, "norm": _number(v)}

    rows, config_keys = _long(store, suite, rows_of)
    columns = ["run_id", "suite", "cell_id", "seed", "status", "layer", "layer_index", "epoch",
               "norm"]
    frame = pd.DataFrame(rows, columns=columns + config_keys)
    frame["norm"] = frame["norm"].astype(float)
    frame.attrs["config_columns"] = config_keys
    return frame


def load_provenance(store: str, suite: str | None = None) -> pd.DataFrame:
    """Where and with what the runs ran: one row per distinct combination of
    device, host, platform, python and library versions, with a run count and
    the first / last finish date (UTC)."""
    raw = _raw_runs(store, suite)
    rows = []
    for r in raw.to_dict("records"):
        record = _loads(r.get("record"))
        host = record.get("host") if isinstance(record.get("host"), dict) else {}
        versions = record.get("versions") if isinstance(record.get("versions"), dict) else {}
        device = record.get("device")
        rows.append({
            "device": device if isinstance(device, str) or device is None else json.dumps(device),
            "hostname": host.get("hostname"), "platform": host.get("platform"),
            "cpu_count": host.get("cpu_count"), "python": host.get("python"),
            "versions": ", ".join(f"{k} {v}" for k, v in sorted(versions.items())),
            "finished_at": r.get("finished_at")})
    frame = pd.DataFrame(rows, columns=["device", "hostname", "platform", "cpu_count", "python",
                                        "versions", "finished_at"])
    if frame.empty:
        return frame.assign(runs=[], first=[], last=[]).drop(columns="finished_at")
    keys = ["device", "hostname", "platform", "cpu_count", "python", "versions"]
    frame[keys] = frame[keys].astype(object).where(frame[keys].notna(), "")
    out = frame.groupby(keys, dropna=False).agg(
        runs=("finished_at", "size"), first=("finished_at", "min"), last=("finished_at", "max"))
    for k in ("first", "last"):
        out[k] = pd.to_datetime(out[k], unit="s", utc=True).dt.strftime("%Y-%m-%d %H:%M UTC")
    return out.reset_index()
