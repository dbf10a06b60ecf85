"""The Keras backend of a run: which one, whether it is installed, its versions.

Keras 3 runs one model definition on TensorFlow, JAX and PyTorch, and fixes
its backend when `keras` is first imported (`KERAS_BACKEND`). So one process
serves one backend: the executors keep a worker pool per backend (local
workers get `KERAS_BACKEND` in their environment before they start, Ray tasks
through their `runtime_env`), and a run checks that its process runs the
backend its config asks for (`check_running`).

What differs per backend, and where it is handled:

- installing: TensorFlow comes with the project; JAX and PyTorch are extras
  (`INSTALL`), checked before the first run (`missing_reason`);
- identity: a jax or torch run's id includes that backend's own versions
  (`benchmarks.store.identity.backend_versions`); TensorFlow run ids are
  what they always were;
- TensorFlow-only features (`tf.distribute` strategies: `replicas > 1`,
  TPUs) and PyTorch's `steps_per_execution = 1` are refused by the suite
  checks (`unsupported`); packing (`benchmarks.matrix.planner`) is
  TensorFlow-only;
- execution defaults (`resolve_jit`): JAX always compiles with XLA
  (`jit_compile = True`: without it Keras runs JAX op by op), TensorFlow and
  PyTorch do not on CPU;
- determinism on CPU (`set_determinism`, `DETERMINISM`): TensorFlow's op
  determinism, `torch.use_deterministic_algorithms`, and nothing to do on
  JAX, whose CPU kernels are deterministic;
- devices and the matmul peak (`device_description`, `ops_matmul_peak_flops`).

The data still goes in as `tf.data` pipelines: Keras accepts them on every
backend (TensorFlow is always installed), and the gradient-norm and
dead-unit probes have a jax/torch implementation in
`benchmarks.run.diagnostics.other_backends`.

Importing this module imports no backend.

Example:

>>> missing_reason("tensorflow") is None
True
>>> unsupported({"backend": "torch", "replicas": 2})[0][0]
'replicas'
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import math
import os
import sys
import time

from zoo.axes import AXES, BACKEND_PACKAGES as PACKAGES, BACKENDS

TENSORFLOW, JAX, TORCH = BACKENDS
DEFAULT = AXES["backend"].default
INSTALL = {JAX: "pip install -e '.[jax]'", TORCH: "pip install -e '.[torch]'"}
DETERMINISM = {
    TENSORFLOW: "deterministic on CPU: tf.config.experimental.enable_op_determinism "
                "(off with XLA)",
    JAX: "deterministic on CPU: XLA's CPU kernels give the same result for the same seed",
    TORCH: "deterministic on CPU: torch.use_deterministic_algorithms(True)",
}


def installed(backend: str) -> bool:
    """Whether every package of `backend` can be imported here (nothing is imported)."""
    return all(importlib.util.find_spec(p) is not None for p in PACKAGES.get(backend, (backend,)))


def missing_reason(backend: str) -> str | None:
    """Why `backend` cannot run in this Python, with the command that fixes it, or None.

    Args:
        backend: One of `BACKENDS`.

    Returns:
        None when it is installed, else a sentence naming the install command.

    Example:

    >>> print(missing_reason("jax"))   # without the extra
    the Keras backend 'jax' is not installed in this Python: install it with
    pip install -e '.[jax]' (or pip install 'zoo[jax]')
    """
    if backend not in BACKENDS or installed(backend):
        return None
    return (f"the Keras backend {backend!r} is not installed in this Python: install it with "
            f"{INSTALL[backend]} (or pip install 'zoo[{backend}]')")


def current() -> str:
    """The backend of this process: Keras's if imported, else `KERAS_BACKEND` or the default."""
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "backend"):
        return keras.backend.backend()
    return os.environ.get("KERAS_BACKEND") or DEFAULT


def worker_env(backend: str) -> dict[str, str]:
    """The environment variables a worker process of `backend` starts with.

    `KERAS_BACKEND`, and for PyTorch `OMP_WAIT_POLICY=PASSIVE` (unless set):
    PyTorch's OpenMP threads otherwise spin while they wait, and on a busy
    2-core machine one epoch of the MLP on digits took 8-10 s instead of
    0.14-0.24 s (2 threads, measured with Keras's `fit` under load).

    Example:

    >>> worker_env("jax")
    {'KERAS_BACKEND': 'jax'}
    """
    env = {"KERAS_BACKEND": backend}
    if backend == TORCH:
        env["OMP_WAIT_POLICY"] = os.environ.get("OMP_WAIT_POLICY", "PASSIVE")
    return env


@contextlib.contextmanager
def environment(backend: str):
    """Sets `worker_env(backend)` for a block (e.g. while starting a worker process)."""
    env = worker_env(backend)
    before = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def check_running(backend: str) -> None:
    """Raises when this process's Keras runs another backend than `backend`.

    Args:
        backend: The backend a run's config asks for.

    Raises:
        RuntimeError: naming both backends and how to run the config.
    """
    running = current()
    if backend != running:
        raise RuntimeError(
            f"This process runs Keras on {running!r} (Keras fixes its backend when it is "
            f"imported), but the run asks for backend={backend!r}: run it through `zoo bench` "
            f"(a worker per backend) or start Python with KERAS_BACKEND={backend}. "
            f"Received: backend={backend!r}")


def unsupported(config: dict) -> list[tuple[str, str]]:
    """`(axis, why)` for each feature of `config` its backend does not have.

    Args:
        config: A resolved config (its `backend`, `device`, `replicas`,
            `steps_per_execution`).

    Returns:
        A list, empty when the backend runs everything the config asks for.

    Example:

    >>> unsupported({"backend": "jax", "replicas": 2})[0][0]
    'replicas'
    """
    backend = config.get("backend") or DEFAULT
    if backend == TENSORFLOW:
        return []
    out = []
    if int(config.get("replicas") or 1) > 1:
        out.append(("replicas", f"replicas > 1 uses a tf.distribute strategy, which only the "
                                f"tensorflow backend has: use replicas = 1 with {backend}"))
    if config.get("device") == "tpu":
        out.append(("device", f"TPUs are run through tf.distribute.TPUStrategy, which only the "
                              f"tensorflow backend has: use device = \"auto\" with {backend}"))
    spe = config.get("steps_per_execution")
    if backend == TORCH and isinstance(spe, int) and not isinstance(spe, bool) and spe > 1:
        out.append(("steps_per_execution", "Keras on PyTorch runs one step per call: use "
                                           "steps_per_execution = 1 or \"auto\" with torch"))
    return out


def resolve_jit(backend: str, device: str) -> bool | str:
    """What `jit_compile = "auto"` means for a backend on a device.

    JAX: True (Keras without XLA runs JAX eagerly, op by op). TensorFlow and
    PyTorch: False on CPU (see `benchmarks.run.execution`), Keras's choice
    elsewhere.
    """
    if backend == JAX:
        return True
    return False if str(device).lower().startswith("cpu") else "auto"


def set_determinism(backend: str, enabled: bool) -> None:
    """Deterministic kernels of the backend's own ops on or off (`DETERMINISM`)."""
    if backend == TORCH:
        import torch

        torch.use_deterministic_algorithms(bool(enabled))


def set_threads(backend: str, threads: int | None) -> None:
    """Intra-op threads of PyTorch (TensorFlow's are set in `devices.prepare_devices`;
    JAX's CPU pool follows the cores the worker may use)."""
    if backend == TORCH and threads:
        import torch

        torch.set_num_threads(int(threads))


class NoStrategy:
    """The scope of a run on JAX or PyTorch: no `tf.distribute`, one device."""

    num_replicas_in_sync = 1

    def scope(self):
        return contextlib.nullcontext()


def device_description(backend: str, device: str = "auto") -> str:
    """The device a JAX/PyTorch run trains on, as the record's `device` writes it.

    Raises:
        ValueError: for device "gpu" when the backend sees no GPU.
    """
    if backend == JAX:
        import jax

        kind = jax.devices()[0].platform
    else:
        import torch

        kind = "gpu" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        kind = "cpu"
    elif device == "gpu" and kind != "gpu":
        raise ValueError(f"device='gpu' but {backend} sees no GPU on this host: use "
                         f"device='auto' or 'cpu', or install a GPU build of {backend}. "
                         f"Received: device='gpu'")
    return f"{kind}: {backend} default device"


@functools.lru_cache(maxsize=None)
def ops_matmul_peak_flops(n: int = 1024, repeats: int = 10) -> float:
    """Peak float32 FLOP/s of `keras.ops.matmul` on this process's backend.

    The backend's own measure (JAX jit-compiles the matmul, PyTorch runs it
    without autograd): a warm-up call, then the best of `repeats`.

    Args:
        n: Matrix size. Defaults to 1024.
        repeats: Timed calls. Defaults to 10.

    Returns:
        FLOP/s (2 n^3 per multiply over the fastest call).
    """
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    a, b = (keras.ops.convert_to_tensor(rng.standard_normal((n, n)).astype("float32"))
            for _ in range(2))
    if keras.backend.backend() == JAX:
        import jax

        matmul = jax.jit(lambda x, y: keras.ops.sum(keras.ops.matmul(x, y)))
        grad_off = contextlib.nullcontext
    else:
        import torch

        matmul, grad_off = (lambda x, y: keras.ops.sum(keras.ops.matmul(x, y))), torch.no_grad
    with grad_off():
        return 2.0 * n ** 3 / fastest_call(lambda: float(matmul(a, b)), repeats)


def fastest_call(call, repeats: int) -> float:
    """Seconds of the fastest of `repeats` calls of `call()`, after one warm-up call.

    Example:

    >>> fastest_call(lambda: sum(range(1000)), 5) < 1.0
    True
    """
    call()  # compile / trace + warm up
    best = math.inf
    for _ in range(int(repeats)):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best
