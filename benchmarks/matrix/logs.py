"""Log files of `zoo bench` / `zoo tune`: what TensorFlow and Keras print goes there, not to you.

TensorFlow's C++ start-up lines (CUDA probe, oneDNN, cpu feature guard,
"All log messages before absl::InitializeLog() ...") are written to file
descriptor 2 before absl initializes, so `TF_CPP_MIN_LOG_LEVEL` cannot
silence them (measured), and Python-level redirection does not see them.
So the redirect happens at the file-descriptor level (`os.dup2`), before
TensorFlow is imported:

- each worker process of `LocalExecutor` sends its fds 1 and 2 (and so
  Python's `print`, `warnings`, `logging`, absl and Keras retracing
  warnings) to its own file for its whole life,
  `<store folder>/logs/<name>-<YYYYmmdd-HHMMSS>-<pid>-worker<N>.log`
  (`<name>`: the suite argument, `<pid>`: the driver's; N counts the workers
  started, a replaced worker gets a new N). Before each task the worker
  writes a section header (`task_header`), so a run's own lines are the
  ones after its header;
- the driver redirects its fds only around the first TensorFlow / Keras
  import (validating a suite imports Keras) to `...-driver.log`, then
  restores them, so the progress lines reach the terminal; a driver log
  left empty is removed;
- `zoo tune` trains in its own process: its fds go to `...-tune.log` for
  the whole search, and its own lines are written to the terminal stream
  that `redirected` yields.

Ray tasks are not redirected: `RayExecutor` starts Ray with
`log_to_driver=False`, so their output already stays in Ray's own logs.

Logs are kept. When a run fails, its error (shown by the progress display
and stored in the store's `error`) ends with the last `TAIL_LINES` lines its
worker logged for it (`tail`), so a crash inside TensorFlow still shows its
C++ message.

Example:

>>> stem = log_stem("runs/zoo.sqlite", "demo")      # runs/logs/demo-20250101-120000-4242
>>> with redirected(stem + "-driver.log") as terminal:
...     import keras                                  # its start-up lines go to the log
...     print("validated", file=terminal)             # this one reaches the terminal
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import sys
import time

TAIL_LINES = 20
_READ_BYTES = 256 * 1024  # the tail is read from at most the last 256 KiB of a log


def log_stem(store_path: str, name: str) -> str:
    """The path prefix of one invocation's logs: `<store folder>/logs/<name>-<time>-<pid>`.

    Args:
        store_path: The results store (its folder holds `logs/`).
        name: What runs: a suite name or path (its file stem is used) or "tune".

    Returns:
        The prefix; add "-driver.log", "-worker1.log", ... When the store's
        folder cannot hold `logs/` (read-only), the temp folder's `zoo-logs/`.

    Example:

    >>> log_stem("runs/zoo.sqlite", "benchmarks/suites/demo.toml")
    'runs/logs/demo-20250101-120000-4242'
    """
    label = re.sub(r"[^A-Za-z0-9_.-]+", "_", os.path.splitext(os.path.basename(name))[0])
    folder = os.path.join(os.path.dirname(os.path.abspath(store_path)), "logs")
    try:
        os.makedirs(folder, exist_ok=True)
        writable = os.access(folder, os.W_OK)
    except OSError:
        writable = False
    if not writable:  # a read-only store folder: the logs go to the temp folder instead,
        import tempfile  # and the store itself reports what is wrong with it

        folder = os.path.join(tempfile.gettempdir(), "zoo-logs")
    return os.path.join(folder, f"{label or 'bench'}-{time.strftime('%Y%m%d-%H%M%S')}-"
                                f"{os.getpid()}")


HEADER = "==> zoo: task "  # starts each task's section of a worker's log


def flush() -> None:
    """Flushes Python's stdout and stderr (before the driver reads a worker's log)."""
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(Exception):
            stream.flush()


def _open_log(path: str) -> int:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)


def redirect_process(path: str) -> None:
    """Sends this process's fds 1 and 2 to `path` (appending) for good.

    Call it first thing in a worker process, before TensorFlow is imported,
    so its C++ start-up lines land in the log too.

    Args:
        path: The log file (its folder is created).

    Example:

    >>> redirect_process("runs/logs/demo-20250101-120000-4242-worker1.log")
    >>> import tensorflow  # nothing reaches the terminal
    """
    flush()
    fd = _open_log(path)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


@contextlib.contextmanager
def redirected(path: str):
    """Sends fds 1 and 2 to `path` for a block; yields a text stream to the real stdout.

    Python's `sys.stdout` / `sys.stderr` objects write to fds 1 / 2, so
    inside the block they go to the log as well; write the lines meant for
    the user to the yielded stream. Both fds are restored on exit, also on
    an exception.

    Args:
        path: The log file (appended to; its folder is created; removed again
            when nothing was written).

    Yields:
        A line-buffered text stream on the terminal (the stdout of before).

    Example:

    >>> with redirected("runs/logs/demo-driver.log") as terminal:
    ...     import keras
    ...     print("zoo: keras imported", file=terminal)
    """
    flush()
    saved = os.dup(1), os.dup(2)
    fd = _open_log(path)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    terminal = os.fdopen(os.dup(saved[0]), "w", buffering=1)
    try:
        yield terminal
    finally:
        flush()
        terminal.close()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
        with contextlib.suppress(OSError):
            if os.path.getsize(path) == 0:
                os.remove(path)


def task_header(run_id: str) -> str:
    """The line a worker writes to its log before a task (`tail` looks for it)."""
    return f"{HEADER}{run_id} started {time.strftime('%Y-%m-%d %H:%M:%S')} <=="


def write_header(run_id: str) -> None:
    """Writes `task_header(run_id)` to this process's fd 2 (its log in a worker)."""
    flush()
    os.write(2, ("\n" + task_header(run_id) + "\n").encode())



def tail(path: str | None, run_id: str | None = None, lines: int = TAIL_LINES) -> list[str]:
    """The last lines of a log: of task `run_id`'s section when the log has its header.

    Args:
        path: The log file, or None (no log: no lines).
        run_id: The task whose section to read; None reads the end of the file.
        lines: How many lines at most. Defaults to `TAIL_LINES`.

    Returns:
        Up to `lines` non-empty lines (without newlines); [] when the file
        is missing or the task logged nothing.

    Example:

    >>> tail("runs/logs/demo-20250101-120000-4242-worker1.log", "3f2a9c0d1e2b4a5c")
    ['E0000 ... cuda_platform.cc:52] failed call to cuInit: ...']
    """
    if not path:
        return []
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - _READ_BYTES))
            text = f.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    if run_id is not None:
        start = text.rfind(f"{HEADER}{run_id} started ")
        if start >= 0:  # the task's section: from its header to the next one
            text = text[start:].split("\n", 1)[1] if "\n" in text[start:] else ""
            text = text.split("\n" + HEADER, 1)[0]
    return [line for line in text.splitlines() if line.strip()][-int(lines):]


def with_tail(error: str | None, path: str | None, lines: list[str]) -> str | None:
    """A failed run's error followed by the tail of its worker's log.

    Args:
        error: The run's error message (None stays None only without a log).
        path: The worker's log file.
        lines: Its tail (`tail(path, run_id)`).

    Returns:
        `error`, then "Last N lines of the worker log PATH:" and the lines,
        or a note that the run logged nothing.

    Example:

    >>> with_tail("RuntimeError: boom", "w1.log", ["F0000 check failed"]).splitlines()[-1]
    'F0000 check failed'
    """
    if not path:
        return error
    head = (error or "The run failed.").rstrip()
    if not lines:
        return f"{head}\n\nThe worker log {path} has no lines from this run."
    return f"{head}\n\nLast {len(lines)} lines of the worker log {path}:\n" + "\n".join(lines)


def attach_tail(result, path: str | None, task_id: str):
    """A failed `executors.Result` with its worker's log tail: in `error`, `log`, `log_tail`.

    Args:
        result: The `Result` of one run (returned as is unless failed).
        path: Its worker's log file, or None (returned as is).
        task_id: The run id of the task the worker ran (a pack's for a member).

    Returns:
        The result, or a copy whose error ends with the tail (`with_tail`).

    Example:

    >>> attach_tail(Result(task, "failed", None, "RuntimeError: boom"), "w1.log",
    ...             task.run_id).log_tail
    ['F0000 check failed']
    """
    if result.status != "failed" or not path:
        return result
    lines = tail(path, task_id)
    return dataclasses.replace(result, error=with_tail(result.error, path, lines), log=path,
                               log_tail=lines)
