"""`zoo bench` and `zoo results` (the argparse parser lives in `zoo.cli`).

`bench(args)` loads and validates a suite (or a group of suites), then
either prints the plan (`--dry-run`) or runs it, returning 0 when every run
of this invocation finished and 1 when any failed. `results(args)` prints
the store's runs as a table, CSV or JSON, or writes them to a file
(`--out`; Parquet only to a file). Bad input raises `BenchInputError`
(a `ValueError`), which `zoo.cli.main` turns into exit code 2.

`zoo bench` prints only its own lines: what TensorFlow and Keras print goes
to log files in `logs/` beside the store (`benchmarks.matrix.logs`): the
driver's while validating imports Keras, each worker's for its whole life.

Example:

$ zoo bench demo --set epochs=1 --dry-run
$ zoo bench demo --workers 2
$ zoo results --suite demo --format csv > demo.csv
$ zoo results --format parquet --out runs/results.parquet
"""

from __future__ import annotations

import csv
import json
import os
import sys

from benchmarks.api import leased_text, make_executor, run
from benchmarks.matrix.driver import plan
from benchmarks.matrix.logs import log_stem, redirected
from benchmarks.matrix.progress import shown_value
from benchmarks.store import Store
from benchmarks.suite import load_suites
from zoo.registry import did_you_mean

EXIT_OK, EXIT_FAILED = 0, 1
METRICS = ("best_epoch", "epochs_run", "gen_gap", "wall_time", "samples_per_sec", "params",
           "dead_fraction", "diverged_epoch")


class BenchInputError(ValueError):
    """Bad command-line input for `zoo bench` / `zoo results` (exit code 2)."""


def _console():
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 160)


def _table(title: str, columns: list[str], rows: list[list]) -> None:
    from rich.table import Table

    table = Table(title=title, header_style="bold")
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*["" if v is None else str(v) for v in r])
    _console().print(table)


def _cluster_lines(address: str) -> list[str]:
    """The Ray cluster at `address` as lines: its nodes and CPUs (`cluster_summary`)."""
    from benchmarks.matrix.ray_executor import cluster_summary

    import tempfile

    log = os.path.join(tempfile.gettempdir(), "zoo-logs", f"ray-{os.getpid()}.log")
    try:
        with redirected(log):  # Ray's connection lines
            cluster = cluster_summary(address)
    except ConnectionError as e:
        raise BenchInputError(str(e)) from e
    nodes = cluster["nodes"]
    lines = [f"ray cluster {address}: {len(nodes)} node{'s' if len(nodes) != 1 else ''}, "
             f"{cluster['cpus']:g} CPU{'s' if cluster['cpus'] != 1 else ''}"]
    for node in nodes:
        extra = "".join(f", {k}={v:g}" for k, v in sorted(node["resources"].items()))
        lines.append(f"  node {node['node_id'][:12]} {node['ip']}: {node['cpus']:g} CPU"
                     f"{' (head)' if node['head'] else ''}{extra}")
    return lines


def _pack_cells(task, axes: list[str]) -> str:
    """The cells of a pack, e.g. "optimizer=sgd width=32 (seeds 0, 1, 2); ..."."""
    cells = {}
    for member in task.members:
        label = " ".join(f"{a}={json.dumps(member.config.get(a))}" for a in axes) or "the cell"
        cells.setdefault(label, []).append(str(member.seed))
    return "; ".join(f"{label} (seeds {', '.join(seeds)})" for label, seeds in cells.items())


def dry_run(suites, store_path: str, retry_failed: bool, address: str | None = None) -> int:
    """Prints each suite's cells and run counts without training (nor writing the store).

    Args:
        suites: The validated suites.
        store_path: The results store (read if it exists, never written).
        retry_failed: Count failed runs as to run.
        address: A Ray cluster's address (`--executor ray --address`): its
            nodes and CPUs are printed first. Defaults to None.

    Returns:
        0.

    Raises:
        BenchInputError: when no Ray cluster answers at `address`.

    Example:

    $ zoo bench tiny.toml --dry-run --executor ray --address 127.0.0.1:6379
    ray cluster 127.0.0.1:6379: 2 nodes, 2 CPUs
    ...
    """
    if address:
        print("\n".join(_cluster_lines(address)), flush=True)
    statuses, leased = {}, {}
    if os.path.exists(store_path):
        with Store(store_path, read_only=True) as store:
            statuses, leased = store.statuses(), store.leases()
    for suite in suites:
        work = plan(suite, statuses, retry_failed, leased=leased)
        axes = list(suite.matrix)
        cells = suite.cells()
        rows = [[i + 1, *[json.dumps(shown_value(c, a)) for a in axes]]
                for i, c in enumerate(cells)]
        _table(f"{suite.name}: {len(cells)} cells", ["#", *axes] if axes else ["#"], rows)
        failed = (f", {len(work.failed)} failed (skipped; rerun them with --retry-failed)"
                  if work.failed else "")
        packs = [task for task in work.tasks if task.members]
        if packs:
            _table(f"{suite.name}: {len(packs)} graph(s) of several runs", ["pack", "runs", "cells"],
                   [[i + 1, len(task.members), _pack_cells(task, axes)]
                    for i, task in enumerate(packs)])
        print(f"{suite.name}: {len(cells)} cells x {len(suite.seeds)} seeds = {work.total} runs; "
              f"{len(work.done)} already done{failed}{leased_text(work.leased)}, "
              f"{len(work.runs())} to run; "
              f"{suite.epochs} epochs each, dataset {suite.dataset}, model {suite.model}.")
    return EXIT_OK


def bench(args, run_fn=None, pack_fn=None) -> int:
    """Runs `zoo bench`; returns 0 if no run of this invocation failed, else 1.

    Args:
        args: Parsed `zoo bench` arguments (see `zoo.cli.build_parser`).
        run_fn: Stand-in for `benchmarks.run.run_one` (a module-level
            function or "module:qualname"); for tests.
        pack_fn: Stand-in for `benchmarks.matrix.packing.run_packed`; for tests.

    Raises:
        SuiteError / BenchInputError: for bad input (exit code 2).
    """
    stem = log_stem(args.store, args.suite)
    executor = args.executor
    if executor == "local" and not args.dry_run:
        # Nothing waits on start-up: the workers import TensorFlow while the driver validates.
        executor = make_executor(args.executor, args.workers, args.address, run_fn, pack_fn,
                                 stem, max_runs_per_worker=getattr(args, "max_runs_per_worker",
                                                                   None),
                                 recycle_rss_mb=getattr(args, "worker_recycle_mb", None),
                                 memory_limit_mb=getattr(args, "worker_memory_mb", None),
                                 threads=getattr(args, "threads", None)).start()
    try:
        with redirected(f"{stem}-driver.log"):  # validating imports Keras: its start-up lines
            suites = load_suites(args.suite, args.overrides)
    except BaseException:
        if not isinstance(executor, str):
            executor.close()
        raise
    if args.dry_run:
        return dry_run(suites, args.store, args.retry_failed,
                       args.address if args.executor == "ray" else None)
    summaries = run(suites, args.store, executor=executor, workers=args.workers,
                    address=args.address, retry_failed=args.retry_failed,
                    tensorboard=args.tensorboard, run_fn=run_fn, pack_fn=pack_fn,
                    log_stem=stem, out=lambda line: print(line, flush=True),
                    max_runs_per_worker=getattr(args, "max_runs_per_worker", None),
                    recycle_rss_mb=getattr(args, "worker_recycle_mb", None),
                    memory_limit_mb=getattr(args, "worker_memory_mb", None),
                    threads=getattr(args, "threads", None))
    failed = sum(s.failed for s in summaries)
    if failed:
        print(f"zoo bench: {failed} run(s) failed; see `zoo results --format json` for the "
              f"errors, fix the cause and rerun with --retry-failed.", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def _open_store(args) -> Store:
    if not os.path.exists(args.store):
        raise BenchInputError(f"No results store at {args.store}: run `zoo bench SUITE` first "
                              f"(e.g. `zoo bench demo`) or pass --store PATH. "
                              f"Received: --store {args.store}")
    return Store(args.store, read_only=True)


def _flat(run: dict) -> dict:
    """A run as flat columns: ids, config axes, then metrics."""
    record = run.get("record") or {}
    row = {k: run.get(k) for k in ("run_id", "suite", "kind", "cell_id", "seed", "status")}
    for key, value in run.get("config", {}).items():
        row[key] = json.dumps(value) if isinstance(value, (dict, list)) else value
    for key, value in (record.get("test") or {}).items():
        row[f"test_{key}"] = value
    for key in METRICS:
        row[key] = record.get(key)
    row["error"] = (run.get("error") or "").strip().splitlines()[0] if run.get("error") else None
    return row


def results(args) -> int:
    """Runs `zoo results`: the store's runs as a table, CSV, JSON or Parquet.

    CSV and Parquet hold the same flat rows (ids, config axes, test metrics,
    key measurements; see `_flat`); JSON holds the whole stored rows.

    Args:
        args: Parsed `zoo results` arguments: `store`, `suite` (None: every
            suite), `format` ("table", "csv", "json" or "parquet") and `out`
            (a file to write instead of the terminal; required for parquet).

    Returns:
        0.

    Raises:
        BenchInputError: for a missing store, an unknown suite, parquet
            without `--out`, or a table with `--out` (exit code 2).

    Example:

    $ zoo results --suite demo --format parquet --out demo.parquet
    >>> pandas.read_parquet("demo.parquet")[["run_id", "optimizer", "test_accuracy"]]
    """
    out = getattr(args, "out", None)
    if args.format == "parquet" and not out:
        raise BenchInputError("--format parquet writes a file: pass --out FILE, e.g. "
                              "`zoo results --format parquet --out runs/results.parquet`. "
                              "Received: --format parquet without --out")
    if args.format == "table" and out:
        raise BenchInputError(f"--out writes csv, json or parquet; the table is for the "
                              f"terminal. Pass --format csv|json|parquet with --out. "
                              f"Received: --format table --out {out}")
    with _open_store(args) as store:
        names = store.suite_names()
        if args.suite is not None and args.suite not in names:
            raise BenchInputError(
                f"No suite {args.suite!r} in {args.store}.{did_you_mean(args.suite, names)} "
                f"Suites in the store: {', '.join(names) or 'none'}. Received: --suite "
                f"{args.suite}")
        runs = store.runs(args.suite)
    if out and os.path.dirname(out):
        os.makedirs(os.path.dirname(out), exist_ok=True)
    if args.format == "table":
        if not runs:
            print(f"No runs in {args.store}" + (f" for suite {args.suite!r}." if args.suite
                                                 else "."))
        for suite in dict.fromkeys(r["suite"] for r in runs):
            _suite_table(args.store, suite, [r for r in runs if r["suite"] == suite])
        return EXIT_OK
    if args.format == "parquet":
        _flat_frame([_flat(r) for r in runs]).to_parquet(out, index=False)
    else:
        with (open(out, "w", newline="") if out else _stdout()) as f:
            if args.format == "json":
                print(json.dumps(runs, indent=2, default=str), file=f)
            else:
                rows = [_flat(r) for r in runs]
                columns = list(dict.fromkeys(k for row in rows for k in row))
                writer = csv.DictWriter(f, fieldnames=columns)
                writer.writeheader()
                writer.writerows(rows)
    if out:
        print(f"zoo results: {len(runs)} runs written to {out} ({args.format})",
              file=sys.stderr)
    return EXIT_OK


def _stdout():
    """`sys.stdout` as a context manager that does not close it."""
    import contextlib

    return contextlib.nullcontext(sys.stdout)


def _flat_frame(rows: list[dict]):
    """The flat rows as a DataFrame Parquet can store.

    A config column whose values differ in type across runs (e.g.
    `jit_compile`: "auto" in one suite, true in another) is written as
    text, JSON for the non-strings, as the CSV shows it.
    """
    import pandas as pd

    frame = pd.DataFrame(rows)
    for column in frame.columns[frame.dtypes == object]:
        types = {type(v) for v in frame[column] if v is not None}
        if len(types) > 1 and not types <= {int, float}:
            frame[column] = frame[column].map(
                lambda v: v if v is None or isinstance(v, str) else json.dumps(v))
    return frame


def _suite_table(store_path: str, suite: str, runs: list[dict]) -> None:
    """One table per suite: the config keys that vary, seed, status, key metrics."""
    rows = [_flat(r) for r in runs]
    config_keys = list(dict.fromkeys(k for r in runs for k in r["config"]))
    varying = [k for k in config_keys
               if len({json.dumps(r["config"].get(k), sort_keys=True) for r in runs}) > 1]
    metrics = [m for m in ("test_accuracy", "test_loss") if any(m in row for row in rows)]
    columns = ["run_id", *varying, "seed", "status", *metrics, "best_epoch", "wall_time"]
    _table(f"{suite}: {len(rows)} runs in {store_path}", columns,
           [[_fmt(row.get(c)) for c in columns] for row in rows])


def _fmt(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return value


def suites(args) -> int:
    """Runs `zoo suites`: the built-in suites and groups, with their size and description.

    Returns:
        0 (an empty match prints a hint instead of a table).
    """
    import fnmatch

    from benchmarks.suite import SUITES_DIR, builtin_suites, load_suites, read_toml

    import tempfile

    rows = []
    log = os.path.join(tempfile.gettempdir(), "zoo-logs", f"suites-{os.getpid()}.log")
    for name in builtin_suites():
        if args.pattern and not fnmatch.fnmatchcase(name, args.pattern):
            continue
        data, _ = read_toml(os.path.join(SUITES_DIR, f"{name}.toml"))
        with redirected(log):  # checking activation names imports Keras: its start-up lines
            members = load_suites(name, check_cells=False)
        cells = sum(len(s.cells()) for s in members)
        runs = sum(len(s.cells()) * len(s.seeds) for s in members)
        group = "suites" in data
        rows.append({"name": name, "kind": "group" if group else "suite",
                     "claim": data.get("claim"), "cells": cells, "runs": runs,
                     "members": [s.name for s in members] if group else [],
                     "description": " ".join(str(data.get("description", "")).split())})
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not rows:
        print(f"No built-in suite matches {args.pattern!r}. Try `zoo suites`.")
        return EXIT_OK
    _table(f"{len(rows)} built-in suites and groups", ["name", "claim", "cells", "runs",
                                                       "description"],
           [[r["name"], r["claim"] or ("group of %d" % len(r["members"]) if r["members"]
                                       else ""), r["cells"], r["runs"],
             r["description"][:160] + ("..." if len(r["description"]) > 160 else "")]
            for r in rows])
    return EXIT_OK
