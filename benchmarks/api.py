"""Running suites from Python: the one place `zoo bench` and `zoo.bench` go through.

`run(suites, store, ...)` opens the store, makes the executor, runs each
suite's unfinished runs (`benchmarks.matrix.driver.run_suite`) and returns
their `Summary`s; the command line prints around it, `zoo.bench` turns the
store into a DataFrame after it.

Example:

>>> from benchmarks.suite import load_suites
>>> summaries = run(load_suites("demo", ["epochs=1"]), "runs/zoo.sqlite")
>>> summaries[0].ok
4
"""

from __future__ import annotations

import os


def make_executor(executor: str = "local", workers: int | None = None,
                  address: str | None = None, run_fn=None, pack_fn=None, log_stem=None,
                  **memory):
    """The executor of a run: local worker processes or a Ray cluster.

    `memory` (local workers only): `max_runs_per_worker`, `recycle_rss_mb`,
    `memory_limit_mb` (see `benchmarks.matrix.memory`; None = its default), and
    `threads`, each worker's TensorFlow threads (None = `LocalExecutor`'s default).

    Raises:
        ValueError: for `workers` or `threads` < 1, `threads` with Ray, or an
            `address` without `executor="ray"`.
    """
    from benchmarks.matrix.executors import DEFAULT_PACK_FN, DEFAULT_RUN_FN, LocalExecutor
    from benchmarks.matrix.ray_executor import RayExecutor

    if workers is not None and workers < 1:
        raise ValueError(f"--workers must be at least 1. Received: --workers {workers}")
    threads = memory.get("threads")
    if threads is not None and threads < 1:
        raise ValueError(f"--threads must be at least 1. Received: --threads {threads}")
    if threads is not None and executor == "ray":
        raise ValueError(f"--threads sets local workers' TensorFlow threads, not Ray tasks'. "
                         f"Drop --threads or use --executor local. Received: --threads "
                         f"{threads}")
    if address and executor != "ray":
        raise ValueError(f"--address is the Ray cluster address: use it with --executor ray. "
                         f"Received: --address {address}")
    if executor not in ("local", "ray"):
        raise ValueError(f"Unknown executor {executor!r}: expected 'local' or 'ray'. "
                         f"Received: executor={executor!r}")
    # A stand-in run function without a pack function: packs run member by member with it.
    fns = {"run_fn": run_fn or DEFAULT_RUN_FN,
           "pack_fn": pack_fn or (DEFAULT_PACK_FN if run_fn is None else None)}
    if executor == "ray":
        return RayExecutor(address=address, num_cpus=workers, **fns)
    return LocalExecutor(workers=workers, log_stem=log_stem, **fns,
                         **{k: v for k, v in memory.items() if v is not None})


def leased_text(leased: dict[str, str]) -> str:
    """", N runs leased by another driver (host pid N)" for runs others hold, else ""."""
    from benchmarks.store.leases import short_owner

    if not leased:
        return ""
    owners = ", ".join(sorted({short_owner(o) for o in leased.values()}))
    return (f", {len(leased)} run{'s' if len(leased) != 1 else ''} leased by another driver "
            f"({owners}; not waited for: rerun to take over any it leaves)")


def run(suites: list, store: str, executor: str = "local", workers: int | None = None,
        address: str | None = None, retry_failed: bool = False, tensorboard: bool = False,
        run_fn=None, pack_fn=None, log_stem=None, out=print, **memory) -> list:
    """Runs the unfinished runs of validated suites into a store.

    Args:
        suites: Validated `Suite`s (`benchmarks.suite.load_suites`, `suite_from_dict`).
        store: Path of the results store (created if missing).
        executor: "local" or "ray", or an executor made by `make_executor`
            (e.g. one whose workers were started early). Defaults to "local".
        workers: Parallel runs. Defaults to the executor's choice.
        address: Ray cluster address (with `executor="ray"`).
        retry_failed: Run failed runs again. Defaults to False.
        tensorboard: Write TensorBoard logs next to the store. Defaults to False.
        run_fn, pack_fn: Stand-ins for the run functions (tests).
        log_stem: Where local workers' output goes (`benchmarks.matrix.logs`).
        out: Prints the per-suite lines. Defaults to `print`.
        **memory: Worker memory settings (see `make_executor`).

    Returns:
        One `benchmarks.matrix.driver.Summary` per suite.
    """
    from benchmarks.matrix.driver import run_suite
    from benchmarks.store import Store

    pool = (make_executor(executor, workers, address, run_fn, pack_fn, log_stem, **memory)
            if isinstance(executor, str) else executor)
    tensorboard_root = (os.path.join(os.path.dirname(os.path.abspath(store)), "tensorboard")
                        if tensorboard else None)
    summaries = []
    with Store(store) as opened:
        try:
            for suite in suites:
                out(f"zoo bench {suite.name}: {len(suite.cells())} cells x "
                    f"{len(suite.seeds)} seeds on {pool.describe()}; store {store}")
                summary = run_suite(suite, opened, pool, retry_failed, tensorboard_root)
                summaries.append(summary)
                out(f"zoo bench {suite.name}: {summary.ok} ok, {summary.diverged} diverged, "
                    f"{summary.failed} failed, {summary.skipped} skipped (already in the "
                    f"store){leased_text(summary.leased)} of {summary.total} runs.")
        finally:
            pool.close()
    return summaries
