"""Fake run functions for the harness tests: no training, no TensorFlow.

Executors import a run function by `"module:qualname"` inside their worker
processes, so these live in a module that imports nothing from the tests.
"""

from __future__ import annotations

import os
import signal
import time


def fake_ok(config, seed, options=None):
    acc = 0.5 + 0.1 * (config["optimizer"] == "adam") + seed / 100
    return "ok", {"test": {"accuracy": acc, "loss": 1.0 - acc}, "wall_time": 0.01,
                  "options": options}, None


def fake_adam_raises(config, seed, options=None):
    if config["optimizer"] == "adam" and config["batch_size"] == 32:
        raise RuntimeError("adam exploded on purpose")
    return fake_ok(config, seed, options)


def fake_adam_dies(config, seed, options=None):
    if config["optimizer"] == "adam" and config["batch_size"] == 32:
        os.kill(os.getpid(), signal.SIGKILL)
    return fake_ok(config, seed, options)


def fake_slow(config, seed, options=None):
    time.sleep(1.0)
    return fake_ok(config, seed, options)


def fake_pack(config, seeds, options=None, configs=None):
    configs = configs or [config] * len(seeds)
    return [fake_ok(cfg, seed, {**options, "packed": len(seeds)})
            for cfg, seed in zip(configs, seeds)]


def fake_pack_dies(config, seeds, options=None, configs=None):
    if any(cfg["optimizer"] == "adam" for cfg in configs or [config]):
        os._exit(7)
    return fake_pack(config, seeds, options, configs)


def fake_rendezvous(config, seed, options=None):
    """A run that waits (up to 30 s) until two drivers each have a run in flight.

    Each worker touches `$ZOO_TEST_RENDEZVOUS/<its driver's pid>`; the record
    says which driver ran it (`driver_pid`), so a test of two drivers on one
    store knows who trained what, and both surely overlap.
    """
    folder = os.environ["ZOO_TEST_RENDEZVOUS"]
    open(os.path.join(folder, str(os.getppid())), "w").close()
    deadline = time.time() + 30
    while len(os.listdir(folder)) < 2 and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    status, record, error = fake_ok(config, seed, options)
    return status, {**record, "driver_pid": os.getppid()}, error


_HOARD = []  # what fake_hoards keeps between runs, as a leaking worker would


def _touched(mb: int):
    import numpy as np

    return np.ones(mb * 2**20 // 8)  # written, so resident


def fake_pid(config, seed, options=None):
    """fake_ok whose record names the worker process that ran it (`pid`)."""
    status, record, error = fake_ok(config, seed, options)
    return status, {**record, "pid": os.getpid()}, error


def fake_hoards(config, seed, options=None):
    """fake_pid that keeps 150 MB resident after each run (a leak the worker carries)."""
    _HOARD.append(_touched(150))
    return fake_pid(config, seed, options)


def fake_adam_allocates(config, seed, options=None):
    """Adam runs hold 300 MB for up to 20 s, then succeed: only a memory limit fails them."""
    if config["optimizer"] == "adam":
        held = _touched(300)
        deadline = time.time() + 20
        while time.time() < deadline:
            time.sleep(0.05)
        del held
    return fake_pid(config, seed, options)


def fake_adam_memory_error(config, seed, options=None):
    """Adam runs raise numpy's MemoryError (a 1 PiB array), as a stand-in run may."""
    if config["optimizer"] == "adam":
        import numpy as np

        np.empty(2**50, dtype=np.uint8)
    return fake_pid(config, seed, options)


def fake_adam_memory_error_caught(config, seed, options=None):
    """Adam runs fail the way `run_one` reports a MemoryError: caught, formatted."""
    from benchmarks.run.record import format_error

    try:
        return fake_adam_memory_error(config, seed, options)
    except MemoryError as e:
        return "failed", {"options": options, "error_type": type(e).__name__}, format_error(e)


def fake_backend(config, seed, options=None):
    """Says which Keras backend its worker was started for, and which process it is."""
    return "ok", {"keras_backend": os.environ.get("KERAS_BACKEND"), "pid": os.getpid()}, None
