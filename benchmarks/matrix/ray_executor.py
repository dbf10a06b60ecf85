"""`RayExecutor`: tasks as Ray remote functions, on a cluster or a local instance.

The executor computes; the driver (`benchmarks.matrix.driver`) stays the one
writer of the store: each task returns its outcomes to the driver's process,
which records them. A task's record names the Ray node that ran it,
`record["host"]["ray_node"]` = `{"node_id", "ip", "hostname"}`.

Failures, measured on a two-node cluster on one machine
(`tests/benchmarks/test_ray_cluster.py`):

- a run that raises is caught inside the task (`workers.call_task`) and
  comes back `failed` at once: Ray never retries it (`retry_exceptions`
  is off);
- a task whose worker process or node dies (a killed raylet, an OOM kill,
  `os._exit`) is retried by Ray, on any node with a free CPU, at most
  `max_retries` times (default `DEFAULT_MAX_RETRIES`); past that its runs
  come back `failed` with Ray's error. The driver claimed the runs once, at
  dispatch, and sees one result per run, so each is recorded once.

Code on the workers: Ray workers import the run function and the `benchmarks`
and `zoo` packages, so every node needs the project installed (`pip install
zoo[ray]` in the same Python version as the driver). The driver's `sys.path`
entries are also passed to each task, which adds those that exist on its
node (on one machine, a user module beside the suite; on several machines,
the same path on each node, or PYTHONPATH set before `ray start`). With
`working_dir`, the folder is shipped to every node instead (Ray's
`runtime_env`), and workers run inside it.

Example:

>>> with RayExecutor(address="127.0.0.1:6379") as ray_pool:
...     for result in ray_pool.run([Task("id1", config, seed=0)]):
...         print(result.status, result.record["host"]["ray_node"]["ip"])
ok 127.0.0.1
"""

from __future__ import annotations

import collections
import os
import re
import socket
import sys
from typing import Any, Callable, Iterable, Iterator

from benchmarks.matrix.executors import (DEFAULT_BACKEND, DEFAULT_PACK_FN, DEFAULT_RUN_FN,
                                         Result, Task, _Executor, cpu_count, function_ref,
                                         task_backend)
from benchmarks.matrix.workers import call_task, limit_threads
from benchmarks.run.backends import worker_env

DEFAULT_MAX_RETRIES = 2
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _ray_node() -> dict:
    """The Ray node this process runs on: its id, IP address and hostname."""
    import ray

    return {"node_id": ray.get_runtime_context().get_node_id(),
            "ip": ray.util.get_node_ip_address(), "hostname": socket.gethostname()}


def _ray_task(run_ref: str, pack_ref: str, paths: list[str], threads: int, task: Task):
    """The remote function: runs one task on a Ray worker; never raises."""
    for path in paths:
        if path not in sys.path and os.path.isdir(path):
            sys.path.append(path)
    limit_threads(threads)
    node = _ray_node()
    outcomes = call_task(run_ref, pack_ref, task, threads)
    return [(status, {**(record or {}), "host": {**((record or {}).get("host") or {}),
                                                 "ray_node": node}}, error)
            for status, record, error in outcomes]


def _for_backend(remote, task: Task):
    """The remote function, run by Ray workers of the task's Keras backend.

    A jax or torch task sets `KERAS_BACKEND` in its `runtime_env`, so Ray
    keeps a separate pool of workers for it (Keras fixes its backend at
    import); tensorflow tasks run as before.
    """
    backend = task_backend(task)
    if backend == DEFAULT_BACKEND:
        return remote
    return remote.options(runtime_env={"env_vars": worker_env(backend)})


def cluster_summary(address: str | None) -> dict:
    """The nodes and CPUs of a running Ray cluster (attaches, then detaches).

    Args:
        address: The cluster's address ("HOST:PORT", or "auto").

    Returns:
        `{"address", "nodes": [{"node_id", "ip", "cpus", "resources", "head"}], "cpus"}`
        for the nodes alive now.

    Raises:
        ConnectionError: when no cluster answers at `address`.

    Example:

    >>> cluster_summary("127.0.0.1:6379")["cpus"]
    2.0
    """
    import ray

    try:
        ray.init(address=address, log_to_driver=False, logging_level="ERROR")
    except ConnectionError as e:
        raise ConnectionError(f"No Ray cluster answers at {address}: start one with `ray start "
                              f"--head` (see the README, Several machines). Received: "
                              f"--address {address}") from e
    try:
        nodes = [{"node_id": n["NodeID"], "ip": n["NodeManagerAddress"],
                  "cpus": n["Resources"].get("CPU", 0),
                  "head": any(k.startswith("node:__internal_head__") for k in n["Resources"]),
                  "resources": {k: v for k, v in n["Resources"].items()
                                if not k.startswith("node:") and k not in
                                ("CPU", "memory", "object_store_memory")}}
                 for n in ray.nodes() if n.get("Alive")]
        return {"address": address, "nodes": nodes,
                "cpus": ray.cluster_resources().get("CPU", 0)}
    finally:
        ray.shutdown()


class RayExecutor(_Executor):
    """Runs tasks as Ray remote functions (see the module docstring).

    At most one task per `threads` CPUs of the cluster (counted when `run`
    starts) is in flight; Ray places each on a node with a free CPU.

    Args:
        address: Address of a running Ray cluster (`ray start --head`);
            None starts a local instance, stopped on `close()`.
        threads: CPUs (and TensorFlow threads) per run. Defaults to 1.
        num_cpus: CPUs of a local instance. Defaults to all cores.
        run_fn: The run function or its "module:qualname".
        pack_fn: The function of packed tasks (see `LocalExecutor`).
        max_retries: Times Ray reruns a task whose worker or node died.
            Defaults to `DEFAULT_MAX_RETRIES` (2).
        working_dir: A folder Ray ships to every node and runs the workers
            in (`runtime_env`), or None. Defaults to None.

    Raises:
        ValueError: for a negative `max_retries`.
    """

    def __init__(self, address: str | None = None, threads: int | None = None,
                 num_cpus: int | None = None, run_fn: Callable | str = DEFAULT_RUN_FN,
                 pack_fn: Callable | str | None = DEFAULT_PACK_FN,
                 max_retries: int = DEFAULT_MAX_RETRIES, working_dir: str | None = None):
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more. Received: "
                             f"max_retries={max_retries}")
        self.address, self.num_cpus = address, num_cpus
        self.threads = max(1, int(threads or 1))
        self.run_ref = function_ref(run_fn)
        self.pack_ref = function_ref(pack_fn) if pack_fn else None
        self.max_retries, self.working_dir = max_retries, working_dir
        self._started = False

    def describe(self) -> str:
        return f"ray: {self.address or 'local instance'}, {self.threads} CPU(s) per run"

    def _init(self):
        import ray

        if not ray.is_initialized():
            env = {"working_dir": self.working_dir} if self.working_dir else None
            if self.address:
                ray.init(address=self.address, log_to_driver=False, runtime_env=env)
            else:
                ray.init(num_cpus=self.num_cpus or cpu_count(), include_dashboard=False,
                         log_to_driver=False, runtime_env=env)
                self._started = True
        return ray

    def run(self, tasks: Iterable[Task], on_dispatch: Callable[[Task], Any] | None = None
            ) -> Iterator[Result]:
        """Runs tasks on Ray and yields their `Result`s as they finish.

        Args:
            tasks: The `Task`s.
            on_dispatch: Called with a task before it is submitted; False
                declines it (not run, no result).

        Returns:
            An iterator of `Result`s, one per run, in completion order.
        """
        ray = self._init()
        remote = ray.remote(num_cpus=self.threads, max_retries=self.max_retries,
                            retry_exceptions=False)(_ray_task)
        slots = max(1, int(ray.cluster_resources().get("CPU", 1) // self.threads))
        paths = [p for p in sys.path if p]
        pending = collections.deque(tasks)
        in_flight = {}
        while pending or in_flight:
            while pending and len(in_flight) < slots:
                task = pending.popleft()
                if on_dispatch and on_dispatch(task) is False:  # declined: another driver's
                    continue
                in_flight[_for_backend(remote, task).remote(
                    self.run_ref, self.pack_ref, paths, self.threads, task)] = task
            done, _ = ray.wait(list(in_flight), num_returns=1)
            for ref in done:
                task = in_flight.pop(ref)
                try:
                    outcomes = ray.get(ref)
                except Exception as e:
                    outcomes = [("failed", None, self._error(e))] * len(task.runs())
                for run, outcome in zip(task.runs(), outcomes):
                    yield Result(run, *outcome)

    def _error(self, e: Exception) -> str:
        """The stored error of a task that raised (not retried) or whose worker or
        node died past its retries, without Ray's terminal colours."""
        import ray

        if isinstance(e, ray.exceptions.RayTaskError):  # e.g. the run function's import
            head = "Ray task failed (not retried)"
        else:  # worker crash, node loss, ...
            head = f"Ray task failed after {self.max_retries} retries"
        return _ANSI.sub("", f"{head}: {type(e).__name__}: {str(e)[-2000:]}")

    def close(self) -> None:
        """Shuts down the local Ray instance this executor started."""
        if self._started:
            import ray

            ray.shutdown()
            self._started = False
