"""`zoo export`: stored runs to TensorBoard or MLflow, at any time after the runs.

- `runs`: which stored runs are exported and what is read from them.
- `tensorboard`: `export_tensorboard`, event files with HParams sessions.
- `mlflow`: `export_mlflow`, one MLflow run per stored run (optional extra:
  `pip install 'zoo[mlflow]'`).

Every stored run of the chosen suite(s) is exported, packed runs included
(they are ordinary rows of the store), except `running` rows. Both exports
are idempotent: exporting again replaces what an earlier export wrote.
Parquet is a format of `zoo results` (`--format parquet --out FILE`).

Example:

$ zoo export tensorboard --suite demo          # -> runs/tensorboard/demo/<run_id>/
$ tensorboard --logdir runs/tensorboard
$ zoo export mlflow --suite demo               # -> runs/mlflow (a local file store)
$ mlflow ui --backend-store-uri runs/mlflow
"""

from __future__ import annotations

from benchmarks.export.runs import ExportError, stored_runs

__all__ = ["ExportError", "export_command", "stored_runs"]


def export_command(args) -> int:
    """Runs `zoo export tensorboard|mlflow`; returns the exit code (0).

    Args:
        args: Parsed `zoo export` arguments (see `zoo.cli.build_parser`):
            `target` ("tensorboard" or "mlflow"), `store`, `suite` (None: every
            suite), `out` (None: `runs/tensorboard`, or `runs/mlflow` for MLflow).

    Returns:
        0 (`zoo.cli.main` turns an `ExportError` into exit code 2).

    Raises:
        ExportError: for a missing store, an unknown suite, an unknown target
            or, for MLflow, a missing `mlflow` package.

    Example:

    >>> export_command(argparse.Namespace(target="tensorboard", store="runs/zoo.sqlite",
    ...                                   suite="demo", out=None))
    zoo export: 4 runs of demo written to runs/tensorboard (tensorboard --logdir runs/tensorboard)
    0
    """
    if args.target not in ("tensorboard", "mlflow"):
        raise ExportError(f"`zoo export` writes to tensorboard or mlflow. "
                          f"Received: target={args.target!r}")
    runs = stored_runs(args.store, args.suite)
    suites = ", ".join(dict.fromkeys(r["suite"] for r in runs)) or "no suite"
    from benchmarks.matrix.logs import log_stem, redirected

    log = f"{log_stem(args.store, 'export')}-{args.target}.log"
    if args.target == "tensorboard":
        out = args.out
        with redirected(log):  # TensorFlow's start-up lines: to the log
            from benchmarks.export.tensorboard import DEFAULT_LOG_DIR, export_tensorboard

            out = out or DEFAULT_LOG_DIR
            folders = export_tensorboard(runs, out)
        print(f"zoo export: {len(folders)} runs of {suites} written to {out} "
              f"(tensorboard --logdir {out})")
        return 0
    from benchmarks.export.mlflow import export_mlflow, tracking_uri

    uri = tracking_uri(args.out)
    with redirected(log):  # MLflow's and TensorFlow's own messages: to the log
        counts = export_mlflow(runs, args.out)
    print(f"zoo export: {len(runs)} runs of {suites} in MLflow at {uri}: "
          f"{counts['created']} created, {counts['replaced']} replaced (changed in the store), "
          f"{counts['unchanged']} unchanged (mlflow ui --backend-store-uri {uri})")
    return 0
