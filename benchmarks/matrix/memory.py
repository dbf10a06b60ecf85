"""How much memory a local worker may hold: recycling, a hard limit, and what a run is told.

Keras / TensorFlow grow a process's memory over many models built in it
(traced functions, graph and allocator caches, fragmentation), and
`LocalExecutor` reuses its workers. Two bounds keep a long matrix in check:

- **Recycling** (soft, between runs): a worker is replaced after
  `max_runs` tasks (a packed task counts once: it builds one model), or when
  its resident memory after a task passes `recycle_mb`. The worker finishes
  and reports its task, exits cleanly, and a fresh worker takes the next
  task, so no run is lost or repeated. Defaults: `DEFAULT_MAX_RUNS` tasks,
  and `RECYCLE_FRACTION` of the machine's memory (or its cgroup's limit)
  divided by the workers, leaving the rest for the driver, page cache and
  the peaks within runs.
- **A hard limit** (`limit_mb`, off by default): the driver samples each
  busy worker's resident memory (`VmRSS` of `/proc/<pid>/status`) every
  `WATCH_INTERVAL` seconds and kills a worker past it; its task is recorded
  `failed` with `out_of_memory(limit_mb, ...)` ("the worker ran out of
  memory (limit N MiB) ..."), the worker is replaced and the matrix goes on.

Measured (the slow test of `tests/benchmarks/test_worker_memory.py`): one
worker training 200 width-8 MLPs on digits (1 epoch, 200 samples) grows
linearly by 5.14 MiB a run, from 794 MiB after run 1 and 841 after run 10
to 1818 after run 200 (+253 MiB per 50 runs, every 50); `gc.collect()` and
`keras.backend.clear_session()` after each run change nothing (measured), so
the memory is held by TensorFlow itself and only a new process returns it.
`DEFAULT_MAX_RUNS = 50` caps that at about 250 MiB over TensorFlow's ~800
MiB for the smallest runs (larger models leak more per run) for one new
worker (a TensorFlow import, about 5 s here) per 50 runs.

Why a watcher on resident memory and not `resource.setrlimit(RLIMIT_AS)` in
the worker: TensorFlow reserves far more address space than it uses.
Measured on this CPU build (TF 2.x, Linux) for a width-8 MLP on digits:
after `import tensorflow` VmSize is 1.9 GB for 0.76 GB resident, after one
run 2.98 GB for 0.81 GB (VmData 0.66 GB); CUDA builds reserve tens of GB on
a GPU host. An address-space limit that bounds real use would fail
TensorFlow's start-up, and a failed allocation inside TensorFlow's C++
aborts the process rather than raising. The watcher limits what is really
used; its cost is that a spike shorter than `WATCH_INTERVAL` can pass
unseen (the run's `peak_memory_mb` still records it). It needs `/proc`
(Linux).

A Python `MemoryError` inside a run (numpy refusing an allocation, say)
also fails the run with `out_of_memory`, and a worker that dies of SIGKILL
that the driver did not send gets a message naming the kernel's
out-of-memory killer (`died_message`).

Environment variables set the defaults of `LocalExecutor`'s arguments:
`ZOO_WORKER_MAX_RUNS`, `ZOO_WORKER_MAX_RSS_MB` (recycling) and
`ZOO_WORKER_MEMORY_LIMIT_MB` (the hard limit); 0 turns one off.

Example:

>>> policy = WorkerMemory.resolve(workers=2, max_runs=2, memory_limit_mb=200)
>>> policy.should_recycle(tasks=2, rss_mb=300.0)
True
"""

from __future__ import annotations

import dataclasses
import os
import signal

DEFAULT_MAX_RUNS = 50
RECYCLE_FRACTION = 0.5
WATCH_INTERVAL = 0.25  # seconds between samples of a busy worker's memory, with a limit
ENV = {"max_runs": "ZOO_WORKER_MAX_RUNS", "recycle_mb": "ZOO_WORKER_MAX_RSS_MB",
       "limit_mb": "ZOO_WORKER_MEMORY_LIMIT_MB"}


def rss_mb(pid: int | None = None) -> float | None:
    """Resident memory of a process in MiB (`VmRSS`), or None where `/proc` cannot tell.

    Args:
        pid: The process. Defaults to None (this process).

    Returns:
        MiB, or None (no `/proc`, or the process is gone).

    Example:

    >>> rss_mb() > 0
    True
    """
    path = f"/proc/{pid}/status" if pid else "/proc/self/status"
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def total_memory_mb() -> float | None:
    """The memory this machine (or its cgroup, when lower) lets processes use, in MiB.

    Returns:
        The physical memory (`sysconf`), or the cgroup's memory limit
        (`memory.max` v2, `memory.limit_in_bytes` v1) when lower; None when
        neither can be read.

    Example:

    >>> total_memory_mb() > 0
    True
    """
    found = []
    try:
        found.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20)
    except (ValueError, OSError, AttributeError):  # pragma: no cover - no sysconf names
        pass
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as f:
                found.append(int(f.read().strip()) / 2**20)
        except (OSError, ValueError):  # "max", or no such file
            pass
    return min(found) if found else None


def _setting(name: str, given: float | None, default: float | None) -> float | None:
    """An argument, else its environment variable, else the default; 0 means off (None)."""
    value = given
    if value is None and os.environ.get(ENV[name], "").strip():
        raw = os.environ[ENV[name]].strip()
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{ENV[name]} must be a number (0 turns it off). "
                             f"Received: {ENV[name]}={raw!r}") from None
    if value is None:
        value = default
    if value is not None and (value != value or value < 0 or value == float("inf")):
        raise ValueError(f"A worker memory setting must be a finite number >= 0 (0 turns it "
                         f"off). Received: {name}={value!r}")
    return value or None


@dataclasses.dataclass(frozen=True)
class WorkerMemory:
    """The memory policy of a pool's workers (see the module docstring).

    Attributes:
        max_runs: Tasks a worker runs before it is recycled, or None (never).
        recycle_mb: Resident MiB after a task past which a worker is recycled,
            or None (never).
        limit_mb: Resident MiB past which a busy worker is killed and its
            task fails with an out-of-memory message, or None (no limit).
    """

    max_runs: int | None = DEFAULT_MAX_RUNS
    recycle_mb: float | None = None
    limit_mb: float | None = None

    @classmethod
    def resolve(cls, workers: int, max_runs: int | None = None,
                recycle_mb: float | None = None,
                memory_limit_mb: float | None = None) -> "WorkerMemory":
        """The policy from arguments, else `ZOO_WORKER_*` variables, else the defaults.

        Args:
            workers: Workers of the pool (the recycle default shares the
                machine's memory among them).
            max_runs: Tasks per worker; 0 never recycles on a count.
                Defaults to `$ZOO_WORKER_MAX_RUNS`, else `DEFAULT_MAX_RUNS`.
            recycle_mb: Resident MiB after a task that recycles a worker; 0
                never. Defaults to `$ZOO_WORKER_MAX_RSS_MB`, else
                `RECYCLE_FRACTION` x the machine's memory / `workers`.
            memory_limit_mb: The hard limit in MiB; 0 is none. Defaults to
                `$ZOO_WORKER_MEMORY_LIMIT_MB`, else none.

        Returns:
            A `WorkerMemory`.

        Raises:
            ValueError: for a negative or non-finite setting, or a limit
                where `/proc` cannot be read (the watcher needs Linux).

        Example:

        >>> WorkerMemory.resolve(workers=1, max_runs=0, recycle_mb=0).max_runs is None
        True
        """
        total = total_memory_mb()
        share = RECYCLE_FRACTION * total / max(1, workers) if total else None
        runs = _setting("max_runs", max_runs, DEFAULT_MAX_RUNS)
        limit = _setting("limit_mb", memory_limit_mb, None)
        if limit and rss_mb() is None:
            raise ValueError(f"A worker memory limit needs /proc to read the workers' "
                             f"resident memory (Linux); this system has none. Unset "
                             f"{ENV['limit_mb']} or pass memory_limit_mb=0. "
                             f"Received: memory_limit_mb={limit}")
        return cls(max_runs=int(runs) if runs else None,
                   recycle_mb=_setting("recycle_mb", recycle_mb, share), limit_mb=limit)

    def should_recycle(self, tasks: int, rss_mb: float | None) -> bool:
        """Whether a worker that has run `tasks` tasks and holds `rss_mb` MiB is replaced."""
        return bool((self.max_runs and tasks >= self.max_runs)
                    or (self.recycle_mb and rss_mb is not None and rss_mb > self.recycle_mb))

    def over_limit(self, rss_mb: float | None) -> bool:
        """Whether a busy worker holding `rss_mb` MiB passed the hard limit."""
        return bool(self.limit_mb and rss_mb is not None and rss_mb > self.limit_mb)

    def describe(self) -> str:
        """E.g. "recycled after 50 runs or 6027 MiB, no memory limit"."""
        parts = [f"{self.max_runs} runs" if self.max_runs else "",
                 f"{self.recycle_mb:.0f} MiB" if self.recycle_mb else ""]
        recycle = " or ".join(p for p in parts if p)
        limit = f"memory limit {self.limit_mb:.0f} MiB" if self.limit_mb else "no memory limit"
        return f"recycled after {recycle}, {limit}" if recycle else f"never recycled, {limit}"


def out_of_memory(limit_mb: float | None, detail: str = "") -> str:
    """The error of a run that exhausted memory.

    Args:
        limit_mb: The worker's memory limit in MiB, or None.
        detail: What happened (the MemoryError, or the memory seen).

    Returns:
        "the worker ran out of memory (limit N MiB): <detail>".

    Example:

    >>> out_of_memory(200, "resident memory reached 310 MiB.")
    'the worker ran out of memory (limit 200 MiB): resident memory reached 310 MiB.'
    """
    limit = f"limit {limit_mb:.0f} MiB" if limit_mb else "no worker memory limit set"
    return f"the worker ran out of memory ({limit}): {detail}".rstrip(": ")


def killed_message(limit_mb: float, seen_mb: float) -> str:
    """The error of a task whose worker the watcher killed past `limit_mb`."""
    return out_of_memory(limit_mb, (
        f"its resident memory reached {seen_mb:.0f} MiB while running this task, so it was "
        f"killed. The worker was replaced; the other runs continue. Raise the limit "
        f"({ENV['limit_mb']}, or memory_limit_mb) or make the run smaller (batch_size, "
        f"width, train_samples)."))


def died_message(code: int | None, last_rss_mb: float | None) -> str:
    """The error of a task whose worker died on its own, naming memory where it may be why.

    Args:
        code: The worker's exit code (negative: the signal).
        last_rss_mb: Its resident memory when last sampled, or None.

    Returns:
        "worker died (exit code N) while running this task: ...".

    Example:

    >>> died_message(-9, 812.0).split(":")[0]
    'worker died (exit code -9) while running this task'
    """
    text = (f"worker died (exit code {code}) while running this task: a crash, an "
            f"out-of-memory kill or os._exit in the run. The worker was replaced; the other "
            f"runs continue.")
    if code == -signal.SIGKILL:
        seen = f" (its resident memory was last seen at {last_rss_mb:.0f} MiB)" \
            if last_rss_mb is not None else ""
        text += (f" Exit code -9 is SIGKILL, which the driver did not send: most often the "
                 f"kernel's out-of-memory killer ended the worker{seen}, as `dmesg` or "
                 f"`journalctl -k` would show ('Out of memory: Killed process'). A worker "
                 f"memory limit ({ENV['limit_mb']}) fails such runs before the kernel has to.")
    return text


def is_memory_error(error_type: str | None) -> bool:
    """Whether a failed run's exception type is a `MemoryError` (or a subclass such as
    numpy's `_ArrayMemoryError`).

    Args:
        error_type: The exception's type name: the record's `error_type`
            (`benchmarks.run.Run` writes it for a failed run) or the type of an
            exception the worker caught itself.
    """
    return bool(error_type) and str(error_type).endswith("MemoryError")
