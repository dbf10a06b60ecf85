"""Executors: run tasks (one cell x one seed) in worker processes or on Ray.

Both executors take the run function by reference (default
`benchmarks.run.run_one`, called as `run_fn(config, seed, options)` and
returning `(status, record, error)`) and yield a `Result` per task as runs
finish, in completion order. They compute; the caller (the driver) is the
one writer of the store. `on_dispatch(task)` is called in the caller's
process when a task is handed to a worker, so the driver can mark it
`running` then; when it returns False the task is declined (another driver
holds it): not run, and no `Result` is yielded for it.

- `LocalExecutor`: a small pool of `multiprocessing` *spawn* processes (TF
  is not fork-safe), one task in flight per worker, workers reused across
  runs (importing TensorFlow takes seconds). A worker serves one Keras
  backend (`config["backend"]`; Keras fixes it at import): a task goes to an
  idle worker of its backend, else to a new one, which takes the place of an
  idle worker of another backend when the pool is full. Each worker limits TensorFlow to
  `threads` threads, so parallel runs do not oversubscribe the cores. A
  worker that dies (segfault, OOM kill, `os._exit`) is replaced and its task
  comes back `failed` with "worker died (exit code N)" (naming the kernel's
  out-of-memory killer for a SIGKILL). Workers are recycled after a number
  of tasks or past a resident memory, and an optional memory limit fails a
  run that exceeds it (`benchmarks.matrix.memory`). The worker process itself
  is `benchmarks.matrix.workers`. With `log_stem`, each worker prints to its
  own log file (`benchmarks.matrix.logs`).
- `RayExecutor` (`benchmarks.matrix.ray_executor`): a Ray remote function
  per task on a running cluster (`address`) or a local instance; at most one
  task per `threads` CPUs in flight; Ray retries a task whose node died.

Example:

>>> with LocalExecutor(workers=2) as pool:
...     for result in pool.run([Task("id1", config, seed=0)]):
...         print(result.status)
ok
"""

from __future__ import annotations

import collections
import dataclasses
import multiprocessing
import multiprocessing.connection
import os
from typing import Any, Callable, Iterable, Iterator

from benchmarks.matrix import logs, memory
from benchmarks.matrix.workers import Worker
from zoo.axes import AXES

DEFAULT_RUN_FN = "benchmarks.run:run_one"
DEFAULT_PACK_FN = "benchmarks.matrix.packing:run_packed"
DEFAULT_THREADS_PER_RUN = 2
DEFAULT_BACKEND = AXES["backend"].default


@dataclasses.dataclass
class Task:
    """One run to execute: a resolved config and a seed.

    A *packed* task trains several seeds of one cell together
    (`benchmarks.matrix.packing.run_packed`): `members` holds one `Task` per seed,
    and the executor yields one `Result` per member.
    """

    run_id: str
    config: dict
    seed: int
    options: dict = dataclasses.field(default_factory=dict)
    members: list = dataclasses.field(default_factory=list)

    def runs(self) -> list["Task"]:
        """The runs this task computes: its members, or itself."""
        return list(self.members) or [self]


@dataclasses.dataclass
class Result:
    """What came back for a task; `status` is ok, diverged or failed (then with
    its worker's `log` file and the `log_tail` it wrote for the run, if any).
    A local worker's result names its process (`worker_pid`) and its resident
    memory after the task (`worker_rss_mb`, MiB; None elsewhere)."""

    task: Task
    status: str
    record: dict | None
    error: str | None = None
    log: str | None = None
    log_tail: list = dataclasses.field(default_factory=list)
    worker_pid: int | None = None
    worker_rss_mb: float | None = None


def task_backend(task: Task) -> str:
    """The Keras backend a task's runs ask for (`config["backend"]`, default tensorflow)."""
    return task.config.get("backend") or DEFAULT_BACKEND


def function_ref(fn: Callable | str) -> str:
    """Returns "module:qualname" for a module-level function (or the string given).

    Raises:
        ValueError: for a lambda or nested function, which workers cannot import.
    """
    if isinstance(fn, str):
        return fn
    qualname = getattr(fn, "__qualname__", "")
    if "<" in qualname or not getattr(fn, "__module__", None):
        raise ValueError(f"The run function must be a module-level function that worker "
                         f"processes can import. Received: run_fn={fn!r}")
    return f"{fn.__module__}:{qualname}"


def cpu_count() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS / Windows
        return os.cpu_count() or 1


class _Executor:
    """`with executor:` closes it on exit (subclasses define `close`)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class LocalExecutor(_Executor):
    """Runs tasks in reusable spawn worker processes on this machine.

    Workers are recycled and their memory bounded as `benchmarks.matrix.memory`
    describes: a worker is replaced, between tasks, after `max_runs_per_worker`
    tasks or when it holds more than `recycle_rss_mb` after one; with
    `memory_limit_mb`, a busy worker past it is killed and its task fails
    with "the worker ran out of memory (limit N MiB) ...".

    Args:
        workers: Number of worker processes. Defaults to
            `cores // threads` (at least 1), and never more than the tasks.
        threads: TensorFlow threads per run. Defaults to `cores // workers`
            when `workers` is given, else 2 (at most the cores).
        run_fn: The run function or its "module:qualname". Defaults to
            `benchmarks.run.run_one`.
        pack_fn: The function of packed tasks. Defaults to
            `benchmarks.matrix.packing.run_packed`.
        log_stem: Path prefix of the workers' logs (`logs.log_stem`): worker
            N writes to `<log_stem>-worker<N>.log`. Defaults to None (the
            workers print to the driver's terminal).
        max_runs_per_worker: Tasks a worker runs before it is replaced; 0
            never. Defaults to `$ZOO_WORKER_MAX_RUNS`, else
            `memory.DEFAULT_MAX_RUNS` (50).
        recycle_rss_mb: Resident MiB after a task past which a worker is
            replaced; 0 never. Defaults to `$ZOO_WORKER_MAX_RSS_MB`, else half
            the machine's memory divided by `workers`.
        memory_limit_mb: Resident MiB past which a busy worker is killed and
            its task recorded `failed`; 0 is no limit (Linux only). Defaults
            to `$ZOO_WORKER_MEMORY_LIMIT_MB`, else no limit.

    Raises:
        ValueError: for `workers` < 1, or a bad memory setting (`memory.WorkerMemory.resolve`).
    """

    def __init__(self, workers: int | None = None, threads: int | None = None,
                 run_fn: Callable | str = DEFAULT_RUN_FN,
                 pack_fn: Callable | str | None = DEFAULT_PACK_FN, log_stem: str | None = None,
                 max_runs_per_worker: int | None = None, recycle_rss_mb: float | None = None,
                 memory_limit_mb: float | None = None):
        cores = cpu_count()
        if workers is not None and workers < 1:
            raise ValueError(f"--workers must be at least 1. Received: workers={workers}")
        if threads is None:
            threads = max(1, cores // workers) if workers else min(DEFAULT_THREADS_PER_RUN, cores)
        self.threads = max(1, int(threads))
        self.workers = workers or max(1, cores // self.threads)
        self.memory = memory.WorkerMemory.resolve(self.workers, max_runs_per_worker,
                                                  recycle_rss_mb, memory_limit_mb)
        self.run_ref = function_ref(run_fn)
        self.pack_ref = function_ref(pack_fn) if pack_fn else None
        self._ctx = multiprocessing.get_context("spawn")
        self._pool: list[Worker] = []
        self.log_stem, self._started = log_stem, 0

    def describe(self) -> str:
        return (f"local: {self.workers} worker(s) x {self.threads} thread(s), "
                f"{self.memory.describe()}")

    def start(self) -> "LocalExecutor":
        """Starts every worker now, so they import TensorFlow while the driver validates.

        Returns:
            The executor (`run` uses the started workers).
        """
        while len(self._pool) < self.workers:
            self._spawn()
        return self

    def _spawn(self, backend: str = DEFAULT_BACKEND) -> Worker:
        self._started += 1
        log = f"{self.log_stem}-worker{self._started}.log" if self.log_stem else None
        worker = Worker(self._ctx, self.run_ref, self.pack_ref, self.threads,
                        self.run_ref == DEFAULT_RUN_FN, log, self.memory.limit_mb, backend)
        self._pool.append(worker)
        return worker

    def _worker_for(self, idle: list, backend: str) -> Worker:
        """An idle worker of `backend`, else a new one (retiring an idle worker of
        another backend when the pool is full: one process serves one backend)."""
        for i, worker in enumerate(idle):
            if worker.backend == backend:
                return idle.pop(i)
        if idle and len(self._pool) >= self.workers:
            self._retire(idle.pop(0))
        return self._spawn(backend)

    @staticmethod
    def _next_task(pending: collections.deque, idle: list) -> Task:
        """The first pending task an idle worker's backend serves, else the first one."""
        ready = {worker.backend for worker in idle}
        for i, task in enumerate(pending):
            if task_backend(task) in ready:
                del pending[i]
                return task
        return pending.popleft()

    def run(self, tasks: Iterable[Task], on_dispatch: Callable[[Task], Any] | None = None
            ) -> Iterator[Result]:
        """Runs tasks and yields their results as they finish."""
        pending = collections.deque(tasks)
        for task in list(pending)[:max(0, self.workers - len(self._pool))]:
            self._spawn(task_backend(task))  # the first tasks' backends
        idle = list(self._pool)
        busy: dict[Worker, Task] = {}
        interval = memory.WATCH_INTERVAL if self.memory.limit_mb else 5.0
        while pending or busy:
            while pending and (idle or len(self._pool) < self.workers):
                task = self._next_task(pending, idle)
                worker = self._worker_for(idle, task_backend(task))  # or a recycled one's place
                if not worker.process.is_alive():
                    worker = self._replace(worker)
                if on_dispatch and on_dispatch(task) is False:  # declined: another driver's
                    idle.append(worker)
                    continue
                worker.send(task)
                busy[worker] = task
            handles = [w.conn for w in busy] + [w.process.sentinel for w in busy]
            ready = set(multiprocessing.connection.wait(handles, timeout=interval))
            for worker, task in list(busy.items()):
                done = worker.conn in ready or worker.process.sentinel in ready
                if not done:
                    if self.memory.over_limit(worker.sample()):
                        del busy[worker]
                        worker.kill()
                        idle.append(self._replace(worker))
                        yield from self._failed(worker, task, memory.killed_message(
                            self.memory.limit_mb, worker.rss_mb))
                    continue
                del busy[worker]
                outcomes = worker.receive()
                if outcomes is None:  # it died instead of answering
                    worker.process.join(1.0)
                    idle.append(self._replace(worker))
                    yield from self._failed(worker, task, memory.died_message(
                        worker.process.exitcode, worker.rss_mb))
                    continue
                for run, outcome in zip(task.runs(), outcomes):
                    yield logs.attach_tail(Result(run, *outcome, worker_pid=worker.pid,
                                                  worker_rss_mb=worker.rss_mb),
                                           worker.log_path, task.run_id)
                if self.memory.should_recycle(worker.tasks, worker.rss_mb):
                    self._retire(worker)  # its place is filled when a task needs it
                else:
                    idle.append(worker)

    @staticmethod
    def _failed(worker: Worker, task: Task, error: str) -> Iterator[Result]:
        """One failed `Result` per run of a task its worker did not finish."""
        for run in task.runs():
            yield logs.attach_tail(Result(run, "failed", None, error, worker_pid=worker.pid,
                                          worker_rss_mb=worker.rss_mb),
                                   worker.log_path, task.run_id)

    def _retire(self, worker: Worker) -> None:
        worker.stop()
        self._pool.remove(worker)

    def _replace(self, worker: Worker) -> Worker:
        worker.stop(timeout=1.0)
        self._pool.remove(worker)
        return self._spawn(worker.backend)

    def close(self) -> None:
        """Stops the workers (killing any that do not exit)."""
        for worker in self._pool:
            worker.stop()
        self._pool = []
