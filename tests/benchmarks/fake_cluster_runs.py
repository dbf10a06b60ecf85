"""Fake run functions for the Ray cluster test: no training, no TensorFlow.

The cluster's nodes import this module from their own PYTHONPATH (the test
starts each node with this folder on it; the driver does not put it on its
`sys.path`), as a user's module reaches the workers of a real cluster.
"""

from __future__ import annotations

import os
import time


def _started(options: dict) -> None:
    """Touches `$ZOO_TEST_STARTED/<run_id>.<ray node id>.<pid>` (if set): a run in flight."""
    folder = os.environ.get("ZOO_TEST_STARTED")
    if folder:
        import ray

        node = ray.get_runtime_context().get_node_id()
        open(os.path.join(folder, f"{options['run_id']}.{node}.{os.getpid()}"), "w").close()


def slow_ok(config, seed, options=None):
    """Starts (see `_started`), sleeps `$ZOO_TEST_SLEEP` seconds (3), succeeds."""
    _started(options)
    time.sleep(float(os.environ.get("ZOO_TEST_SLEEP", "3")))
    acc = 0.5 + 0.1 * (config["optimizer"] == "adam") + seed / 100
    return "ok", {"test": {"accuracy": acc, "loss": 1.0 - acc}, "wall_time": 0.01}, None


def adam_raises_or_dies(config, seed, options=None):
    """Adam at batch 16 raises; adam at batch 32 kills its worker; the others succeed."""
    _started(options)
    if config["optimizer"] == "adam" and config["batch_size"] == 16:
        raise RuntimeError("adam exploded on purpose")
    if config["optimizer"] == "adam" and config["batch_size"] == 32:
        os._exit(7)
    return slow_ok(config, seed, options)
