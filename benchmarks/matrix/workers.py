"""The worker side of `LocalExecutor`: calling run functions, and the worker process.

A worker is a *spawn* process (TensorFlow is not fork-safe) that imports
the run function once, then loops: receive a `Task` (None: flush and exit at once),
run it (`call_task`), send back `(outcomes, info)`: one `(status, record,
error)` per run of the task, and `{"pid", "rss_mb"}`, its resident memory
after the task, which the executor uses to recycle it (`memory.WorkerMemory`).
`Worker` is the executor's handle on one such process: it counts the tasks
the worker ran and remembers the last memory it saw. A worker serves one
Keras backend (Keras fixes it at import): it starts with that backend's
`KERAS_BACKEND` (`benchmarks.run.backends.worker_env`).

`call_run` and `call_task` are also what a Ray task calls. They never raise:
an exception becomes a `failed` outcome, and a `MemoryError` one whose error
says the worker ran out of memory (`memory.out_of_memory`).

Example:

>>> worker = Worker(multiprocessing.get_context("spawn"), "tests.fake_runs:fake_ok",
...                 DEFAULT_PACK_FN, threads=1, warm_up=False)
>>> worker.send(task)
>>> worker.receive()        # after its conn is ready
[('ok', {...}, None)]
>>> worker.stop()
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import signal
import sys
from typing import Callable

from benchmarks.matrix import logs, memory, startup
from benchmarks.store.sqlite import FINAL
from benchmarks.run.backends import environment, worker_env
from benchmarks.run.record import format_error



def load_function(ref: str) -> Callable:
    """Imports the function named by "module:qualname".

    Args:
        ref: "module:qualname", e.g. "benchmarks.run:run_one".

    Returns:
        The function.

    Raises:
        ImportError, AttributeError: when the module or name does not exist.

    Example:

    >>> load_function("benchmarks.run:run_one").__name__
    'run_one'
    """
    module, _, name = ref.partition(":")
    obj = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def limit_threads(threads: int) -> None:
    """Limits TensorFlow / oneDNN threads (effective before TF is imported)."""
    for var in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        os.environ[var] = str(int(threads))


def _memory_outcome(outcome: tuple, limit_mb: float | None, error_type: str | None = None
                    ) -> tuple:
    """A failed outcome of a MemoryError, reworded to say the worker ran out.

    The type comes as a value: the exception this worker caught, or the
    record's `error_type` that `benchmarks.run.Run` writes for a failed run.
    """
    status, record, error = outcome
    error_type = error_type or (record or {}).get("error_type")
    if status == "failed" and memory.is_memory_error(error_type):
        return status, record, memory.out_of_memory(limit_mb, error)
    return outcome


def call_run(run_fn: Callable, task, threads: int | None = None,
             limit_mb: float | None = None) -> tuple[str, dict | None, str | None]:
    """Calls the run function on a `Task`; an exception becomes a `failed` result.

    `options` gain the run's `run_id` and the worker's `threads` unless the
    task sets them.

    Args:
        run_fn: Called as `run_fn(config, seed, options)`.
        task: The `executors.Task`.
        threads: The worker's TensorFlow threads, or None.
        limit_mb: The worker's memory limit, named when the run runs out.

    Returns:
        `(status, record, error)`.

    Example:

    >>> call_run(fake_raises, task)[2].splitlines()[0]
    'RuntimeError: adam exploded on purpose'
    """
    options = {"run_id": task.run_id, **({"threads": threads} if threads else {}),
               **task.options}
    try:
        status, record, error = run_fn(task.config, task.seed, options)
    except Exception as e:  # run_one never raises, but a stand-in might
        return _memory_outcome(("failed", None, format_error(e)), limit_mb, type(e).__name__)
    if status not in FINAL:
        return "failed", record, f"The run function returned status {status!r}. {error or ''}"
    return _memory_outcome((status, record, error), limit_mb)


def call_task(run_ref: str, pack_ref: str, task, threads: int | None = None,
              limit_mb: float | None = None) -> list[tuple]:
    """Runs a task (packed or not); returns `[(status, record, error)]` per run.

    Args:
        run_ref, pack_ref: "module:qualname" of the run and pack functions
            (no pack function: a pack's members run one by one).
        task: The `executors.Task`; with `members`, the pack function trains
            them: `pack(config, seeds, options)`, plus `configs=[...]` (each
            member's own) when the members are runs of several cells.
        threads: The worker's TensorFlow threads, or None.
        limit_mb: The worker's memory limit, named when a run runs out.

    Returns:
        One outcome per run of the task, in the order of `task.runs()`.

    Example:

    >>> call_task("tests.fake_runs:fake_ok", DEFAULT_PACK_FN, task)
    [('ok', {...}, None)]
    """
    if not task.members:
        return [call_run(load_function(run_ref), task, threads, limit_mb)]
    if not pack_ref:  # no pack function (a stand-in run function): member by member
        return [call_run(load_function(run_ref), member, threads, limit_mb)
                for member in task.members]
    seeds = [m.seed for m in task.members]
    options = {**({"threads": threads} if threads else {}), **task.options}
    try:
        configs = [m.config for m in task.members]
        extra = {"configs": configs} if any(c != task.config for c in configs) else {}
        results = list(load_function(pack_ref)(task.config, seeds, options, **extra))
        if len(results) != len(seeds):
            raise ValueError(f"The pack function returned {len(results)} results for "
                             f"{len(seeds)} seeds. Received: seeds={seeds}")
    except Exception as e:
        return [_memory_outcome(("failed", None, format_error(e)), limit_mb,
                                type(e).__name__)] * len(seeds)
    return [_memory_outcome(r, limit_mb) if r[0] in FINAL else
            ("failed", r[1], f"The pack function returned status {r[0]!r}.") for r in results]


def worker_main(conn, run_ref: str, pack_ref: str, threads: int, warm_up: bool,
                log_path: str | None = None, limit_mb: float | None = None,
                backend: str = "tensorflow") -> None:
    """The loop of a worker process (the target of `Worker`'s process)."""
    if log_path:  # first: TensorFlow's C++ start-up lines must land in the log too
        logs.redirect_process(log_path)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles Ctrl-C
    limit_threads(threads)
    os.environ.update(worker_env(backend))  # before Keras is imported: it fixes its backend
    load_function(run_ref)  # a bad reference fails here, before the first task
    from benchmarks.run import inputs

    inputs.reuse_loaded_datasets()  # each dataset loaded once, for every run of it
    if warm_up:
        # Import TensorFlow now (it creates no device context), so the first run's
        # wall time does not include seconds of import that later runs do not pay.
        if backend == "tensorflow":  # without the extras a worker never uses: 2 s less
            startup.import_tensorflow()
        else:
            import tensorflow  # noqa: F401
            import keras  # noqa: F401  (and with it the backend)
        if pack_ref:  # a bad reference fails its tasks, as before
            with contextlib.suppress(ImportError, AttributeError):
                load_function(pack_ref)
        # Every run starts with `keras.backend.clear_session()`, a full garbage collection
        # that walks the ~500,000 objects of TensorFlow's modules (0.25-0.35 s a run);
        # frozen, they are skipped (0.02 s). Only what runs create is collected from here on.
        gc.freeze()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            task = None  # the driver is gone
        if task is None:
            _exit_now(conn)
        if log_path:
            logs.write_header(task.run_id)
        outcomes = call_task(run_ref, pack_ref, task, threads, limit_mb)
        logs.flush()  # the driver reads the log's tail when a run failed
        conn.send((outcomes, {"pid": os.getpid(), "rss_mb": memory.rss_mb()}))


def _exit_now(conn) -> None:
    """Ends the worker process at once, its results sent and its log flushed.

    Every outcome went back through `conn` and every record through the
    driver, so nothing is left for the interpreter's shutdown to do but
    tear TensorFlow down, which takes about 2 s of a short `zoo bench`.
    """
    logs.flush()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    with contextlib.suppress(OSError):
        conn.close()
    os._exit(0)


class Worker:
    """The executor's handle on one worker process.

    Args:
        ctx: A multiprocessing *spawn* context.
        run_ref, pack_ref: "module:qualname" of the run and pack functions.
        threads: TensorFlow threads of the worker.
        warm_up: Import TensorFlow at start-up (before the first task).
        log_path: The worker's log file, or None (it prints to the terminal).
        limit_mb: Its memory limit, named in the error of a run that runs out.
        backend: The Keras backend it serves (`KERAS_BACKEND`, set before it
            starts). Defaults to "tensorflow".

    Attributes:
        tasks: Tasks it finished (and reported).
        rss_mb: Its resident memory in MiB when last seen (after a task, or
            sampled while busy), or None.
    """

    def __init__(self, ctx, run_ref: str, pack_ref: str, threads: int, warm_up: bool,
                 log_path: str | None = None, limit_mb: float | None = None,
                 backend: str = "tensorflow"):
        self.conn, child = ctx.Pipe(duplex=True)
        self.log_path, self.tasks, self.rss_mb = log_path, 0, None
        self.backend = backend
        self.process = ctx.Process(target=worker_main,
                                   args=(child, run_ref, pack_ref, threads, warm_up, log_path,
                                         limit_mb, backend),
                                   daemon=True, name=f"zoo-bench-worker-{backend}")
        with environment(backend):  # a spawn child starts with this environment
            self.process.start()
        child.close()

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def send(self, task) -> None:
        """Hands the worker a task (a dead worker is reported by the next wait)."""
        try:
            self.conn.send(task)
        except (OSError, ValueError):
            pass

    def receive(self) -> list | None:
        """The outcomes of the finished task, or None when the worker died instead."""
        if not self.conn.poll():
            return None
        try:
            outcomes, info = self.conn.recv()
        except (EOFError, OSError):
            return None
        self.tasks += 1
        self.rss_mb = info.get("rss_mb")
        return outcomes

    def sample(self) -> float | None:
        """Reads the worker's resident memory now (and remembers it)."""
        seen = memory.rss_mb(self.process.pid)
        if seen is not None:
            self.rss_mb = seen
        return seen

    def kill(self, timeout: float = 5.0) -> None:
        """Kills the worker (SIGKILL) and waits for it."""
        self.process.kill()
        self.process.join(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Asks the worker to exit cleanly; kills it when it does not within `timeout`."""
        self.send(None)
        self.process.join(timeout)
        if self.process.is_alive():
            self.kill(timeout)
        self.conn.close()
