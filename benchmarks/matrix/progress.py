"""Progress of a suite: a rich progress bar on a terminal, plain lines otherwise.

On a TTY, `Progress` shows done / failed / remaining runs, elapsed time, an
ETA and the last finished run's key metric. When stdout is not a TTY (CI,
a pipe, a log file) it prints one line per finished run instead: quiet, but
never silent. A failed run's line is followed by the tail of its worker's
log (`benchmarks.matrix.logs`), indented under "log PATH:".

Example:

>>> progress = Progress(total=4, matrix_axes=["optimizer"])
>>> progress.finished(result)
[1/4] 3f2a9c0d1e2b4a5c optimizer=sgd seed=0 ok test_accuracy=0.912 (3.1s)
>>> progress.close()
"""

from __future__ import annotations

import sys

from benchmarks.matrix.executors import Result
from zoo.axes import AXES, WHEN_NOT_DEFAULT


def key_metric(record: dict | None) -> tuple[str, float] | None:
    """The metric to show for a run: test accuracy, a generative run's Fréchet distance, else
    test loss (or None)."""
    test = (record or {}).get("test") or {}
    for name in ("accuracy", "frechet_distance", "loss"):
        if isinstance(test.get(name), (int, float)):
            return f"test_{name}", float(test[name])
    return None


def shown_value(config: dict, axis: str):
    """The cell's value of an axis, for display: a `WHEN_NOT_DEFAULT` axis the config
    leaves out (`zoo.axes.canonical`) shows its default (`backend=tensorflow`, not None)."""
    if axis not in config and axis in AXES and AXES[axis].written == WHEN_NOT_DEFAULT:
        return AXES[axis].default
    return config.get(axis)


def summarize(result: Result, matrix_axes: list[str]) -> str:
    """One line describing a finished run: id, varying axes, seed, status, metric."""
    cell = " ".join(f"{a}={shown_value(result.task.config, a)}" for a in matrix_axes)
    parts = [result.task.run_id, cell, f"seed={result.task.seed}", result.status]
    metric = key_metric(result.record)
    if metric:
        parts.append(f"{metric[0]}={metric[1]:.4g}")
    wall = (result.record or {}).get("wall_time")
    if isinstance(wall, (int, float)):
        parts.append(f"({wall:.1f}s)")
    if result.status == "failed" and result.error:
        parts.append("error: " + result.error.strip().splitlines()[0][:200])
    return " ".join(p for p in parts if p)


def log_lines(result: Result) -> list[str]:
    """The lines shown under a failed run: its worker's log and what the run wrote there.

    Example:

    >>> log_lines(result)
    ['    log runs/logs/demo-20250101-120000-4242-worker1.log:', '    | F0000 check failed']
    """
    if result.status != "failed" or not result.log:
        return []
    if not result.log_tail:
        return [f"    log {result.log}: nothing from this run"]
    return [f"    log {result.log}:"] + [f"    | {line}" for line in result.log_tail]


class Progress:
    """Reports runs of one suite as they finish.

    Args:
        total: Runs this invocation will execute.
        matrix_axes: Axes that vary between cells (shown per run).
        title: Label of the bar (the suite name).
        stream: Where to write. Defaults to `sys.stdout`.
        rich_display: Use a rich live bar. Defaults to `stream.isatty()`.
    """

    def __init__(self, total: int, matrix_axes: list[str] | None = None, title: str = "runs",
                 stream=None, rich_display: bool | None = None):
        self.total = total
        self.matrix_axes = list(matrix_axes or [])
        self.stream = stream or sys.stdout
        self.done = self.failed = 0
        if rich_display is None:
            rich_display = bool(getattr(self.stream, "isatty", lambda: False)())
        self._bar = None
        if rich_display and total:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("[red]{task.fields[failed]} failed"), TimeElapsedColumn(),
                TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[last]}"),
                transient=False)
            self._task = self._bar.add_task(title, total=total, failed=0, last="")
            self._bar.start()

    def finished(self, result: Result) -> None:
        """Records one finished run and updates the display."""
        self.done += 1
        self.failed += result.status == "failed"
        line = summarize(result, self.matrix_axes)
        if self._bar is not None:
            metric = key_metric(result.record)
            last = f"last: {result.status}" + (f" {metric[0]}={metric[1]:.3f}" if metric else "")
            self._bar.update(self._task, advance=1, failed=self.failed, last=last)
            if result.status == "failed":
                from rich.markup import escape

                self._bar.console.print(f"[red]failed[/red] {escape(line)}")
                for text in log_lines(result):
                    self._bar.console.print(text, markup=False, highlight=False)
        else:
            print(f"[{self.done}/{self.total}] {line}", file=self.stream, flush=True)
            for text in log_lines(result):
                print(text, file=self.stream, flush=True)

    def close(self) -> None:
        """Stops the live display."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
