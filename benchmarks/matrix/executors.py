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
  runs (importing TensorFlow takes seconds). Each worker limits TensorFlow to
  `threads` threads, so parallel runs do not oversubscribe the cores. A
  worker that dies (segfault, OOM kill, `os._exit`) is replaced and its task
  comes back `failed` with "worker died (exit code N)". With `log_stem`, each
  worker prints to its own log file (`benchmarks.matrix.logs`).
- `RayExecutor`: a Ray remote function per task on a running cluster
  (`address`) or a local instance; at most one task per `threads` CPUs in
  flight.

Example:

>>> with LocalExecutor(workers=2) as pool:
...     for result in pool.run([Task("id1", config, seed=0)]):
...         print(result.status)
ok
"""

from __future__ import annotations

import collections
import dataclasses
import importlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
from typing import Any, Callable, Iterable, Iterator

from benchmarks.matrix import logs
from benchmarks.run.record import format_error

DEFAULT_RUN_FN = "benchmarks.run:run_one"
DEFAULT_PACK_FN = "benchmarks.matrix.packing:run_packed"
DEFAULT_THREADS_PER_RUN = 2


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
    its worker's `log` file and the `log_tail` it wrote for the run, if any)."""

    task: Task
    status: str
    record: dict | None
    error: str | None = None
    log: str | None = None
    log_tail: list = dataclasses.field(default_factory=list)


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


def load_function(ref: str) -> Callable:
    """Imports the function named by "module:qualname"."""
    module, _, name = ref.partition(":")
    obj = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def cpu_count() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS / Windows
        return os.cpu_count() or 1


def limit_threads(threads: int) -> None:
    """Limits TensorFlow / oneDNN threads (effective before TF is imported)."""
    for var in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        os.environ[var] = str(int(threads))


def call_run(run_fn: Callable, task: Task, threads: int | None = None
             ) -> tuple[str, dict | None, str | None]:
    """Calls the run function; an exception becomes a `failed` result.

    `options` gain the run's `run_id` and the worker's `threads` unless the
    task sets them.
    """
    options = {"run_id": task.run_id, **({"threads": threads} if threads else {}),
               **task.options}
    try:
        status, record, error = run_fn(task.config, task.seed, options)
    except Exception as e:  # run_one never raises, but a stand-in might
        return "failed", None, format_error(e)
    if status not in ("ok", "diverged", "failed"):
        return "failed", record, f"The run function returned status {status!r}. {error or ''}"
    return status, record, error


def call_task(run_ref: str, pack_ref: str, task: Task, threads: int | None = None
              ) -> list[tuple]:
    """Runs a task (packed or not); returns `[(status, record, error)]` per run."""
    if not task.members:
        return [call_run(load_function(run_ref), task, threads)]
    seeds = [m.seed for m in task.members]
    options = {**({"threads": threads} if threads else {}), **task.options}
    try:
        results = list(load_function(pack_ref)(task.config, seeds, options))
        if len(results) != len(seeds):
            raise ValueError(f"The pack function returned {len(results)} results for "
                             f"{len(seeds)} seeds. Received: seeds={seeds}")
    except Exception as e:
        return [("failed", None, format_error(e))] * len(seeds)
    return [r if r[0] in ("ok", "diverged", "failed") else
            ("failed", r[1], f"The pack function returned status {r[0]!r}.") for r in results]


def _worker_main(conn, run_ref: str, pack_ref: str, threads: int, warm_up: bool,
                 log_path: str | None = None) -> None:
    if log_path:  # first: TensorFlow's C++ start-up lines must land in the log too
        logs.redirect_process(log_path)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles Ctrl-C
    limit_threads(threads)
    load_function(run_ref)  # a bad reference fails here, before the first task
    if warm_up:
        # Import TensorFlow now (it creates no device context), so the first run's
        # wall time does not include seconds of import that later runs do not pay.
        import tensorflow  # noqa: F401
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        if log_path:
            logs.write_header(task.run_id)
        outcomes = call_task(run_ref, pack_ref, task, threads)
        logs.flush()  # the driver reads the log's tail when a run failed
        conn.send(outcomes)


class _Worker:
    def __init__(self, ctx, run_ref: str, pack_ref: str, threads: int, warm_up: bool,
                 log_path: str | None = None):
        self.conn, child = ctx.Pipe(duplex=True)
        self.log_path = log_path
        self.process = ctx.Process(target=_worker_main,
                                   args=(child, run_ref, pack_ref, threads, warm_up, log_path),
                                   daemon=True, name="zoo-bench-worker")
        self.process.start()
        child.close()

    def stop(self, timeout: float = 5.0) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout)
        self.conn.close()


class _Executor:
    """`with executor:` closes it on exit (subclasses define `close`)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class LocalExecutor(_Executor):
    """Runs tasks in reusable spawn worker processes on this machine.

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
    """

    def __init__(self, workers: int | None = None, threads: int | None = None,
                 run_fn: Callable | str = DEFAULT_RUN_FN,
                 pack_fn: Callable | str = DEFAULT_PACK_FN, log_stem: str | None = None):
        cores = cpu_count()
        if workers is not None and workers < 1:
            raise ValueError(f"--workers must be at least 1. Received: workers={workers}")
        if threads is None:
            threads = max(1, cores // workers) if workers else min(DEFAULT_THREADS_PER_RUN, cores)
        self.threads = max(1, int(threads))
        self.workers = workers or max(1, cores // self.threads)
        self.run_ref = function_ref(run_fn)
        self.pack_ref = function_ref(pack_fn)
        self._ctx = multiprocessing.get_context("spawn")
        self._pool: list[_Worker] = []
        self.log_stem, self._started = log_stem, 0

    def describe(self) -> str:
        return f"local: {self.workers} worker(s) x {self.threads} thread(s)"

    def _spawn(self) -> _Worker:
        self._started += 1
        log = f"{self.log_stem}-worker{self._started}.log" if self.log_stem else None
        return _Worker(self._ctx, self.run_ref, self.pack_ref, self.threads,
                       self.run_ref == DEFAULT_RUN_FN, log)

    def run(self, tasks: Iterable[Task], on_dispatch: Callable[[Task], Any] | None = None
            ) -> Iterator[Result]:
        """Runs tasks and yields their results as they finish."""
        pending = collections.deque(tasks)
        while len(self._pool) < min(self.workers, len(pending)):
            self._pool.append(self._spawn())
        idle = list(self._pool)
        busy: dict[_Worker, Task] = {}
        while pending or busy:
            while pending and idle:
                worker = idle.pop()
                if not worker.process.is_alive():
                    worker = self._replace(worker)
                task = pending.popleft()
                if on_dispatch and on_dispatch(task) is False:  # declined: another driver's
                    idle.append(worker)
                    continue
                try:
                    worker.conn.send(task)
                except (OSError, ValueError):  # died while idle: the next wait reports it
                    pass
                busy[worker] = task
            handles = [w.conn for w in busy] + [w.process.sentinel for w in busy]
            ready = set(multiprocessing.connection.wait(handles, timeout=5.0))
            for worker, task in list(busy.items()):
                if worker.conn not in ready and worker.process.sentinel not in ready:
                    continue
                message = None
                if worker.conn.poll():
                    try:
                        message = worker.conn.recv()
                    except (EOFError, OSError):
                        message = None
                del busy[worker]
                if message is not None:
                    idle.append(worker)
                    for run, outcome in zip(task.runs(), message):
                        yield logs.attach_tail(Result(run, *outcome), worker.log_path,
                                               task.run_id)
                    continue
                worker.process.join(1.0)
                code = worker.process.exitcode
                idle.append(self._replace(worker))
                for run in task.runs():
                    yield logs.attach_tail(Result(
                        run, "failed", None,
                        f"worker died (exit code {code}) while running this task: a crash, an "
                        f"out-of-memory kill or os._exit in the run. The worker was replaced; "
                        f"the other runs continue."), worker.log_path, task.run_id)

    def _replace(self, worker: _Worker) -> _Worker:
        worker.stop(timeout=1.0)
        fresh = self._spawn()
        self._pool[self._pool.index(worker)] = fresh
        return fresh

    def close(self) -> None:
        """Stops the workers (killing any that do not exit)."""
        for worker in self._pool:
            worker.stop()
        self._pool = []


def _ray_task(run_ref: str, pack_ref: str, paths: list[str], threads: int, task: Task):
    for path in paths:
        if path not in sys.path and os.path.isdir(path):
            sys.path.append(path)
    limit_threads(threads)
    return call_task(run_ref, pack_ref, task, threads)


class RayExecutor(_Executor):
    """Runs tasks as Ray remote functions.

    Args:
        address: Address of a running Ray cluster (`ray start --head`);
            None starts a local instance, stopped on `close()`.
        threads: CPUs (and TensorFlow threads) per run. Defaults to 1.
        num_cpus: CPUs of a local instance. Defaults to all cores.
        run_fn: The run function or its "module:qualname".
        pack_fn: The function of packed tasks (see `LocalExecutor`).
    """

    def __init__(self, address: str | None = None, threads: int | None = None,
                 num_cpus: int | None = None, run_fn: Callable | str = DEFAULT_RUN_FN,
                 pack_fn: Callable | str = DEFAULT_PACK_FN):
        self.address = address
        self.threads = max(1, int(threads or 1))
        self.num_cpus = num_cpus
        self.run_ref = function_ref(run_fn)
        self.pack_ref = function_ref(pack_fn)
        self._started = False

    def describe(self) -> str:
        return f"ray: {self.address or 'local instance'}, {self.threads} CPU(s) per run"

    def _init(self):
        import ray

        if not ray.is_initialized():
            if self.address:
                ray.init(address=self.address, log_to_driver=False)
            else:
                ray.init(num_cpus=self.num_cpus or cpu_count(), include_dashboard=False,
                         log_to_driver=False)
                self._started = True
        return ray

    def run(self, tasks: Iterable[Task], on_dispatch: Callable[[Task], Any] | None = None
            ) -> Iterator[Result]:
        """Runs tasks on Ray and yields their results as they finish."""
        ray = self._init()
        remote = ray.remote(num_cpus=self.threads, max_retries=0)(_ray_task)
        slots = max(1, int(ray.cluster_resources().get("CPU", 1) // self.threads))
        paths = [p for p in sys.path if p]
        pending = collections.deque(tasks)
        in_flight = {}
        while pending or in_flight:
            while pending and len(in_flight) < slots:
                task = pending.popleft()
                if on_dispatch and on_dispatch(task) is False:  # declined: another driver's
                    continue
                in_flight[remote.remote(self.run_ref, self.pack_ref, paths, self.threads,
                                        task)] = task
            done, _ = ray.wait(list(in_flight), num_returns=1)
            for ref in done:
                task = in_flight.pop(ref)
                try:
                    outcomes = ray.get(ref)
                except Exception as e:  # worker crash, node loss, ...
                    message = f"Ray task failed: {type(e).__name__}: {str(e)[-2000:]}"
                    outcomes = [("failed", None, message)] * len(task.runs())
                for run, outcome in zip(task.runs(), outcomes):
                    yield Result(run, *outcome)

    def close(self) -> None:
        """Shuts down the local Ray instance this executor started."""
        if self._started:
            import ray

            ray.shutdown()
            self._started = False
