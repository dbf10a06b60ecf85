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


def fake_pack(config, seeds, options=None):
    return [fake_ok(config, seed, {**options, "packed": len(seeds)}) for seed in seeds]


def fake_pack_dies(config, seeds, options=None):
    if config["optimizer"] == "adam":
        os._exit(7)
    return fake_pack(config, seeds, options)
