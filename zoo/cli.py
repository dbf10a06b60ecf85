"""The `zoo` command: registry lookups here, other commands imported lazily.

Exit codes: 0 success, 1 runs failed, 2 bad input (with a message saying what
was wrong, what was expected and how to fix it).
"""

from __future__ import annotations

import argparse
import json
import sys

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(ValueError):
    """Bad user input: printed without a traceback, exit code 2."""


def _registry(kind: str):
    if kind == "models":
        from zoo.models import MODELS as reg
    elif kind == "datasets":
        from zoo.datasets import DATASETS as reg
    else:
        from zoo.pipelines import PIPELINES as reg
    return reg


def _print_table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False, header_style="bold")
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*[str(v) for v in r])
    Console(width=None if sys.stdout.isatty() else 160).print(table)


def cmd_list(args) -> int:
    reg = _registry(args.kind)
    if args.pattern == "show":
        if not args.name:
            raise UsageError(f"`zoo {args.kind} show` needs a name, e.g. `zoo {args.kind} show "
                             f"{reg.names()[0]}`.")
        return cmd_show(reg, args.name[0], args.format)
    cards = reg.cards(args.pattern, task=args.task, tag=args.tag)
    if args.format == "json":
        print(json.dumps([c.to_dict() for c in cards], indent=2, default=str))
        return EXIT_OK
    if not cards:
        print(f"No {args.kind} match pattern={args.pattern!r} task={args.task!r} tag={args.tag!r}."
              f" Try `zoo {args.kind}` to list all.")
        return EXIT_OK
    rows = [[c.name, ", ".join(c.tasks), c.input_kind, c.description, ", ".join(c.tags)]
            for c in cards]
    _print_table(f"{len(cards)} {args.kind}", ["name", "tasks", "input", "description", "tags"],
                 rows)
    return EXIT_OK


def cmd_show(reg, name: str, fmt: str = "table") -> int:
    card = reg.card(name)
    if fmt == "json":
        print(json.dumps(card.to_dict(), indent=2, default=str))
        return EXIT_OK
    rows = [["name", card.name], ["description", card.description],
            ["tasks", ", ".join(card.tasks)], ["input kind", card.input_kind]]
    if card.axes and reg.kind == "model":
        from zoo.models import axis_domain

        rows += [[f"axis {a}", f"default {card.defaults.get(a)!r}; "
                  f"{axis_domain(card.name, a).describe()}"] for a in card.axes]
    elif card.axes:
        rows.append(["axes", ", ".join(card.axes)])
        rows += [[f"default {k}", repr(v)] for k, v in card.defaults.items()]
    rows += [["tags", ", ".join(card.tags)], ["reference", card.reference]]
    rows += [[k, json.dumps(v) if not isinstance(v, str) else v] for k, v in card.extra.items()]
    _print_table(f"{reg.kind} card: {name}", ["field", "value"], rows)
    return EXIT_OK


def cmd_axes(args) -> int:
    """`zoo axes [PATTERN] [--kind K] [--model M]`: the axis table, or one model's axes."""
    from zoo.axes import AXES, KINDS, axes

    if args.kind and args.kind not in KINDS:
        raise UsageError(f"Unknown axis kind {args.kind!r}. Expected one of: "
                         f"{', '.join(KINDS)}. Received: --kind {args.kind}")
    chosen = axes(args.pattern or "*", args.kind)
    domain, default = (lambda a: a.domain.describe()), (lambda a: a.default)
    if args.model:
        from zoo.models import MODELS, axis_domain

        card = MODELS.card(args.model)
        chosen = [AXES[a] for a in card.axes if a in {c.name for c in chosen}]
        domain = lambda a: axis_domain(card.name, a.name).describe()  # noqa: E731
        default = lambda a: card.defaults.get(a.name)  # noqa: E731
    rows = [{"name": a.name, "kind": a.kind, "default": default(a), "accepts": domain(a),
             "shares_graph": a.shares_graph, "doc": a.doc} for a in chosen]
    if args.format == "json":
        print(json.dumps(rows, indent=2, default=str))
        return EXIT_OK
    if not rows:
        print(f"No axis matches pattern={args.pattern!r} kind={args.kind!r}"
              f"{f' for model {args.model!r}' if args.model else ''}. Try `zoo axes`.")
        return EXIT_OK
    title = f"{len(rows)} {'axis' if len(rows) == 1 else 'axes'}" + (
        f" of model {args.model}" if args.model else "")
    _print_table(title, ["name", "kind", "default", "accepts", "doc"],
                 [[r["name"], r["kind"], _shown_default(r["default"]), r["accepts"], r["doc"]]
                 for r in rows])
    return EXIT_OK


def _shown_default(value) -> str:
    from zoo.axes import PER_MODEL, REQUIRED

    names = {REQUIRED: "required", PER_MODEL: "per model"}
    return names[value] if isinstance(value, str) and value in names else json.dumps(value)


EPILOG = """examples:
  zoo models 'cnn*'                      list models matching a pattern
  zoo axes --model mlp                   the axes a model takes, their defaults and ranges
  zoo suites                             the built-in suites and groups
  zoo bench demo --dry-run               validate a suite and show its cells
  zoo bench demo --set epochs=2          run it (finished runs are skipped on a rerun)
  zoo results --suite demo --format csv  the recorded runs
  zoo report --suite demo                HTML / Markdown / CSV report under runs/reports/
  zoo tune mlp_digits --max-trials 5     a Keras Tuner search over the same axes
  zoo export tensorboard --suite demo    the runs as TensorBoard event files
  zoo merge a.sqlite b.sqlite --into all.sqlite
  zoo doctor --store runs/zoo.sqlite     check a store's integrity and stale runs

exit codes: 0 success, 1 some runs failed, 2 bad input (the message says what
was wrong, what was expected and how to fix it)."""
DEFAULT_STORE = "runs/zoo.sqlite"  # as benchmarks.store.DEFAULT_STORE (not imported: fast)
STORE_HELP = "the results store, an SQLite file (default: %(default)s)"


def _version() -> str:
    import zoo

    return f"zoo {zoo.__version__}"


def build_parser() -> argparse.ArgumentParser:
    """The `zoo` command line: one subcommand per task, each with `--help`."""
    parser = argparse.ArgumentParser(
        prog="zoo", description="A Keras model zoo and benchmark suite: which optimizer, "
        "activation, batch size, regularizer or learning rate, measured.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for kind in ("models", "datasets", "pipelines"):
        p = sub.add_parser(kind, help=f"list {kind} (fnmatch wildcards) or `show NAME`",
                           description=f"List registered {kind}, or show one card with "
                           f"`zoo {kind} show NAME`.")
        p.add_argument("pattern", nargs="?", default=None,
                       help="fnmatch pattern (e.g. 'cnn*'), or 'show'")
        p.add_argument("name", nargs="*", help="the name to show, after 'show'")
        p.add_argument("--task", default=None, help="only entries for this task "
                       "(classification, regression, reconstruction)")
        p.add_argument("--tag", default=None, help="only entries with this tag")
        p.add_argument("--format", choices=("table", "json"), default="table",
                       help="output format (default: %(default)s)")
        p.set_defaults(func=cmd_list, kind=kind)

    p = sub.add_parser("axes", help="list the axes a suite may set (fnmatch wildcards)",
                       description="The axis table: every axis a suite, --set or a tuning "
                       "space may set, with its kind, default, accepted values and doc.")
    p.add_argument("pattern", nargs="?", default=None, help="fnmatch pattern, e.g. 'learning_*'")
    p.add_argument("--kind", default=None, help="only axes of this kind: model, harness, "
                   "execution or option")
    p.add_argument("--model", default=None, help="only the axes this model accepts, with its "
                   "defaults and ranges")
    p.add_argument("--format", choices=("table", "json"), default="table",
                   help="output format (default: %(default)s)")
    p.set_defaults(func=cmd_axes)

    p = sub.add_parser("suites", help="list the built-in suites and groups",
                       description="The built-in suites (benchmarks/suites/*.toml) with their "
                       "description, claim, cells and runs; groups list their members.")
    p.add_argument("pattern", nargs="?", default=None, help="fnmatch pattern, e.g. 'c0*'")
    p.add_argument("--format", choices=("table", "json"), default="table",
                   help="output format (default: %(default)s)")
    p.set_defaults(func=_lazy("benchmarks.cli", "suites"))

    p = sub.add_parser("bench", help="run a suite (a TOML path or a built-in name)",
                       description="Validate a suite, then train every run of its matrix not "
                       "yet in the store. Safe to interrupt: rerun to resume.")
    p.add_argument("suite", help="a suite TOML file or a built-in name (see `zoo suites`)")
    p.add_argument("--store", default=DEFAULT_STORE, help=STORE_HELP)
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="local worker processes, or a Ray cluster (default: %(default)s)")
    p.add_argument("--workers", type=int, default=None, help="parallel runs (default: local: "
                   "cores // 2, 2 TensorFlow threads each; ray: the cluster's CPUs)")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="TensorFlow threads of each local worker (default: 2, or cores // "
                   "--workers); --workers 2 --threads 2 on 2 cores keeps each run's thread "
                   "count, so its numbers, and fills the time a small model leaves idle")
    p.add_argument("--address", default=None, help="Ray cluster address (with --executor ray; "
                   "default: start a local Ray instance)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a field or axis, e.g. epochs=1, fixed.batch_size=16, "
                   "'matrix.optimizer=[\"sgd\",\"adam\"]' (repeatable)")
    p.add_argument("--dry-run", action="store_true",
                   help="validate and print the cells and runs to do; train nothing")
    p.add_argument("--retry-failed", action="store_true",
                   help="run failed runs again (they are skipped by default)")
    p.add_argument("--tensorboard", action="store_true",
                   help="write TensorBoard logs with HParams to runs/tensorboard/<suite>/")
    p.add_argument("--max-runs-per-worker", type=int, default=None, metavar="N",
                   help="replace a local worker after N runs, bounding memory that Keras "
                   "leaks across models (default: $ZOO_WORKER_MAX_RUNS or 50; 0 = never)")
    p.add_argument("--worker-recycle-mb", type=float, default=None, metavar="MB",
                   help="replace a local worker whose memory passes MB after a run (default: "
                   "$ZOO_WORKER_MAX_RSS_MB or half the memory / workers; 0 = never)")
    p.add_argument("--worker-memory-mb", type=float, default=None, metavar="MB",
                   help="kill a run whose worker passes MB; it is recorded failed, naming "
                   "memory (default: $ZOO_WORKER_MEMORY_LIMIT_MB or no limit; Linux)")
    p.set_defaults(func=_lazy("benchmarks.cli", "bench"))

    p = sub.add_parser("results", help="print recorded runs",
                       description="The runs in a store, as a table, CSV, JSON or Parquet.")
    p.add_argument("--store", default=DEFAULT_STORE, help=STORE_HELP)
    p.add_argument("--suite", default=None, help="only this suite (default: every suite)")
    p.add_argument("--format", choices=("table", "csv", "json", "parquet"), default="table",
                   help="output format (default: %(default)s; parquet needs --out)")
    p.add_argument("--out", default=None, help="write to this file instead of the terminal")
    p.set_defaults(func=_lazy("benchmarks.cli", "results"))

    p = sub.add_parser("tune", help="run a Keras Tuner search over a space",
                       description="A Keras Tuner search whose trials are trained and recorded "
                       "by the benchmark harness.")
    p.add_argument("space", help="a space TOML file or a built-in name (tuning/spaces/)")
    p.add_argument("--store", default=DEFAULT_STORE, help=STORE_HELP)
    p.add_argument("--tuner", choices=("random", "grid", "bayesian", "hyperband"),
                   default="random", help="the Keras Tuner tuner (default: %(default)s)")
    p.add_argument("--max-trials", type=int, default=None,
                   help="trials to run (default: the whole grid for grid, else 10; hyperband "
                   "sizes itself from the epochs)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a field or axis; space.<axis>={...} replaces one axis "
                   "(repeatable)")
    p.add_argument("--directory", default=None,
                   help="Keras Tuner working directory (default: runs/tuning)")
    p.set_defaults(func=_lazy("tuning.cli", "tune"))

    p = sub.add_parser("report", help="write HTML / Markdown / CSV reports from the store",
                       description="Tables, plots and findings computed from the stored runs.")
    p.add_argument("--store", action="append", default=None, metavar="PATH",
                   help="a results store; repeat to report on several stores together "
                   "(default: runs/zoo.sqlite)")
    p.add_argument("--suite", default=None, help="one suite (default: every suite, plus the "
                   "findings index)")
    p.add_argument("--out", default=None, help="output folder (default: runs/reports/)")
    p.set_defaults(func=_lazy("reports.cli", "report"))

    p = sub.add_parser("export", help="export stored runs to TensorBoard or MLflow",
                       description="Write the stored runs (packed ones included) as TensorBoard "
                       "event files with HParams, or as MLflow runs.")
    p.add_argument("target", choices=("tensorboard", "mlflow"), help="where to export")
    p.add_argument("--store", default=DEFAULT_STORE, help=STORE_HELP)
    p.add_argument("--suite", default=None, help="only this suite (default: every suite)")
    p.add_argument("--out", default=None, help="TensorBoard log folder (default: "
                   "runs/tensorboard) or MLflow tracking URI (default: runs/mlflow)")
    p.set_defaults(func=_lazy("benchmarks.export", "export_command"))

    p = sub.add_parser("merge", help="merge stores from several machines into one",
                       description="Copy the finished runs of SRC stores into DEST. Idempotent; "
                       "a run finished in two stores keeps one row and a differing record is "
                       "reported as a conflict; running rows are not copied.")
    p.add_argument("sources", nargs="+", metavar="SRC", help="stores to read")
    p.add_argument("--into", required=True, metavar="DEST", help="the store to write "
                   "(created if missing)")
    p.set_defaults(func=_lazy("benchmarks.store.merge", "merge_command"))

    p = sub.add_parser("doctor", help="check a store: integrity, schema, stale runs and leases",
                       description="Check a results store without changing it: SQLite "
                       "integrity, the schema version, runs left `running` by a dead driver, "
                       "and leases. Exits 1 when it finds a problem.")
    p.add_argument("--store", default=DEFAULT_STORE, help=STORE_HELP)
    p.set_defaults(func=_lazy("benchmarks.store.doctor", "doctor_command"))
    return parser


def _lazy(module: str, attr: str):
    def run(args):
        import importlib

        return getattr(importlib.import_module(module), attr)(args)

    return run


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `zoo` console script; returns the exit code."""
    import os

    # TensorFlow's C++ start-up chatter (CUDA probes, oneDNN notes) is noise here;
    # a user who wants it sets TF_CPP_MIN_LOG_LEVEL themselves.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError) as e:  # bad input: no traceback
        print(f"zoo {args.command}: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # `zoo ... | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("zoo: interrupted; finished runs are kept in the store.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
