"""Where a run trains: `tf.distribute` strategies, mixed precision, host facts.

`device` is "auto" (every GPU if there are any, else the CPU), "cpu", "gpu"
or "tpu". Several GPUs get a `MirroredStrategy`; a TPU a `TPUStrategy`
through `TPUClusterResolver`. For tests, `device="cpu"` with `replicas=N > 1`
splits the CPU into N logical devices and mirrors over them: call
`prepare_devices(config)` before anything else initializes TensorFlow (a
fresh worker process).

Example:

>>> from benchmarks.run.devices import make_strategy, precision_policy
>>> strategy, description = make_strategy("cpu")
>>> with precision_policy("mixed_float16"), strategy.scope():
...     model = build_model()
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import socket
import sys
from importlib import metadata

from zoo.registry import did_you_mean

DEVICES = ("auto", "cpu", "gpu", "tpu")


def prepare_devices(config: dict, threads: int | None = None) -> None:
    """Splits the CPU into `config["replicas"]` logical devices when asked.

    Acts for `device == "cpu"` and `replicas > 1`, and sets TensorFlow's
    thread pools when `threads` is given. Both only take effect before
    TensorFlow initializes its runtime (the first run of a worker process).

    Args:
        config: The resolved config (`device`, `replicas`).
        threads: Intra- and inter-op threads, or None for TensorFlow's choice.

    Raises:
        RuntimeError: if TensorFlow is already initialized with fewer CPUs.
    """
    import tensorflow as tf

    if threads:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(int(threads))
            tf.config.threading.set_inter_op_parallelism_threads(int(threads))
        except RuntimeError:  # already initialized by an earlier run: keep its pools
            pass
    replicas = int(config.get("replicas", 1) or 1)
    if config.get("device", "auto") != "cpu" or replicas <= 1:
        return

    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration()] * replicas)
    except RuntimeError:
        have = len(tf.config.list_logical_devices("CPU"))
        if have < replicas:
            raise RuntimeError(
                f"TensorFlow was initialized with {have} logical CPU device(s) before this "
                f"run could split the CPU into {replicas}: run replicas > 1 on CPU in a fresh "
                f"worker process (the local executor does). Received: replicas={replicas}"
            ) from None


def make_strategy(device: str = "auto", replicas: int = 1, tpu: str | None = None):
    """Returns `(strategy, description)` for a device name.

    Args:
        device: "auto", "cpu", "gpu" or "tpu". Defaults to "auto".
        replicas: Replicas wanted: logical CPUs for "cpu" (see
            `prepare_devices`), the first this many GPUs for "gpu" ("auto"
            uses every GPU). Defaults to 1.
        tpu: TPU name or address for `TPUClusterResolver` (None: the local /
            environment TPU).

    Returns:
        A `tf.distribute.Strategy` and a description such as
        "cpu: MirroredStrategy with 2 replicas".

    Raises:
        ValueError: for an unknown device, or "gpu" on a host without GPUs.
    """
    import tensorflow as tf

    if device not in DEVICES:
        raise ValueError(f"Unknown device {device!r}.{did_you_mean(str(device), DEVICES)} "
                         f"Expected one of: {', '.join(DEVICES)}. Received: device={device!r}")
    gpus = tf.config.list_logical_devices("GPU")
    replicas = int(replicas or 1)
    if device == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu or "")
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        strategy = tf.distribute.TPUStrategy(resolver)
        kind = "tpu"
    elif device == "gpu" or (device == "auto" and gpus):
        if not gpus:
            raise ValueError(
                "device='gpu' but TensorFlow sees no GPU on this host: use device='auto' "
                "or 'cpu', or install a CUDA build of TensorFlow. Received: device='gpu'")
        use = gpus[:replicas] if device == "gpu" else gpus  # "auto": every GPU
        strategy = (tf.distribute.MirroredStrategy([d.name for d in use]) if len(use) > 1
                    else tf.distribute.OneDeviceStrategy(use[0].name))
        kind = "gpu"
    elif replicas > 1:
        cpus = tf.config.list_logical_devices("CPU")
        if len(cpus) < replicas:
            raise ValueError(
                f"{replicas} CPU replicas need {replicas} logical CPU devices but TensorFlow "
                f"has {len(cpus)}: call benchmarks.run.devices.prepare_devices(config) before "
                f"TensorFlow initializes. Received: replicas={replicas}")
        strategy = tf.distribute.MirroredStrategy([d.name for d in cpus[:replicas]])
        kind = "cpu"
    elif device == "cpu":
        strategy, kind = tf.distribute.OneDeviceStrategy("/cpu:0"), "cpu"
    else:
        strategy, kind = tf.distribute.get_strategy(), "cpu"
    n = strategy.num_replicas_in_sync
    name = type(strategy).__name__
    if name == "_DefaultDistributionStrategy":
        name = "default strategy"
    return strategy, f"{kind}: {name} with {n} replica{'s' if n != 1 else ''}"


@contextlib.contextmanager
def precision_policy(precision: str | None = "float32"):
    """Sets the Keras global dtype policy for a block, restoring float32 after.

    Args:
        precision: A Keras dtype policy name: "float32", "mixed_float16",
            "mixed_bfloat16", ... Defaults to "float32".
    """
    import keras

    keras.mixed_precision.set_global_policy(precision or "float32")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy("float32")


def host_info() -> dict:
    """Host facts for a record: machine, CPU, memory, GPUs, Python.

    Keys: `hostname`, `platform`, `python`, `processor`, `cpu_count`,
    `cpu_model` (`/proc/cpuinfo` "model name", else `platform.processor()`),
    `memory_mb` (`/proc/meminfo` MemTotal, else `os.sysconf`), `gpus`
    (TensorFlow's GPU device names), `gpu_models` and `gpu_driver`
    (`nvidia-smi` when on PATH, else TensorFlow's device details; None
    without a GPU or when unknown). The driver adds `suite_commit`
    (`git_commit`). Every fact is best effort: None when it cannot be read.

    Returns:
        A dict of the facts above.

    Example:

    >>> host_info()["cpu_model"], host_info()["memory_mb"]
    ('AMD EPYC 7B13', 64298)
    """
    info = {"hostname": socket.gethostname(), "platform": platform.platform(),
            "cpu_count": os.cpu_count(), "python": sys.version.split()[0],
            "processor": platform.processor() or platform.machine(),
            "cpu_model": cpu_model(), "memory_mb": memory_mb()}
    try:
        import tensorflow as tf

        info["gpus"] = [d.name for d in tf.config.list_physical_devices("GPU")]
    except Exception:  # facts are best effort
        info["gpus"] = []
    info["gpu_models"], info["gpu_driver"] = gpu_models(bool(info["gpus"]))
    return info


@functools.lru_cache(maxsize=None)
def cpu_model() -> str | None:
    """The CPU's model name (`/proc/cpuinfo`, else `platform.processor()`), or None."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


@functools.lru_cache(maxsize=None)
def memory_mb() -> int | None:
    """Physical memory of the host in MiB (`/proc/meminfo` MemTotal, else `os.sysconf`)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    except (ValueError, OSError, AttributeError):
        return None


@functools.lru_cache(maxsize=None)
def gpu_models(tf_sees_gpus: bool = False) -> tuple[list | None, str | None]:
    """`(GPU names, driver version)`; `(None, None)` without a GPU.

    Asks `nvidia-smi --query-gpu=name,driver_version` (5 s at most) when it
    is on PATH, else `tf.config.experimental.get_device_details` (names
    only) when TensorFlow sees GPUs.

    Args:
        tf_sees_gpus: Whether TensorFlow lists GPUs (worth asking it).

    Returns:
        A list of names, one per GPU, or None, and the driver version or None.
    """
    import shutil
    import subprocess

    if shutil.which("nvidia-smi"):
        try:
            out = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version",
                                  "--format=csv,noheader"], capture_output=True, text=True,
                                 timeout=5, check=True).stdout
            rows = [[c.strip() for c in line.split(",")] for line in out.splitlines()
                    if line.strip()]
            if rows:
                return [r[0] for r in rows], (rows[0][1] if len(rows[0]) > 1 else None)
        except (OSError, subprocess.SubprocessError):
            pass
    if tf_sees_gpus:
        try:
            import tensorflow as tf

            names = [tf.config.experimental.get_device_details(d).get("device_name")
                     for d in tf.config.list_physical_devices("GPU")]
            return ([n for n in names if n] or None), None
        except Exception:  # facts are best effort
            pass
    return None, None


def git_commit(directory: str) -> str | None:
    """The git commit of the repository holding `directory`, "-dirty" when it has changes.

    Runs `git -C DIR rev-parse HEAD` and `git status --porcelain` (10 s at
    most each): a repository with uncommitted or untracked (not ignored)
    files gets "<sha>-dirty", as `git describe --dirty` writes it.

    Args:
        directory: A folder (e.g. the one a suite file lives in).

    Returns:
        "<40 hex digits>" or "<40 hex digits>-dirty"; None outside a git
        repository, without git, or when git fails.

    Example:

    >>> git_commit("benchmarks/suites")
    '767b143a...e1-dirty'
    """
    import subprocess

    def git(*args):
        return subprocess.run(["git", "-C", directory, *args], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()

    try:
        sha = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain"))
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{sha}-dirty" if dirty else sha or None


def library_versions() -> dict:
    """Versions of the libraries a record depends on ("none" when missing).

    Read once per process (5 ms of package metadata a run otherwise); a new dict
    each call.
    """
    return dict(_library_versions())


@functools.lru_cache(maxsize=None)
def _library_versions() -> dict:
    out = {}
    for package in ("tensorflow", "keras", "numpy", "scikit-learn", "pandas",
                    "keras-tuner", "tensorflow-datasets", "jax", "jaxlib", "torch"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "none"
    import zoo

    from benchmarks.run.backends import current

    out["zoo"] = zoo.__version__
    out["python"] = sys.version.split()[0]
    out["backend"] = current()  # the Keras backend this process runs
    return out


@functools.lru_cache(maxsize=None)
def matmul_peak_flops(n: int = 1024, repeats: int = 10) -> float:
    """Peak float32 FLOP/s of this machine, measured once per process.

    Times `tf.linalg.matmul` of two `n x n` float32 matrices inside a
    `tf.function` (after a warm-up call) and keeps the best of `repeats`;
    on JAX and PyTorch, `keras.ops.matmul` the backend's own way
    (`benchmarks.run.backends.ops_matmul_peak_flops`).

    Args:
        n: Matrix size. Defaults to 1024.
        repeats: Timed calls. Defaults to 10.

    Returns:
        FLOP/s (2 n^3 per multiply over the fastest call).
    """
    from benchmarks.run import backends

    if backends.current() != backends.TENSORFLOW:  # the backend's own peak: keras.ops.matmul
        return backends.ops_matmul_peak_flops(n, repeats)
    import tensorflow as tf

    a = tf.random.stateless_normal((n, n), seed=(1, 2))
    b = tf.random.stateless_normal((n, n), seed=(3, 4))
    matmul = tf.function(lambda x, y: tf.reduce_sum(tf.linalg.matmul(x, y)))
    return 2.0 * n ** 3 / backends.fastest_call(lambda: float(matmul(a, b)), repeats)
