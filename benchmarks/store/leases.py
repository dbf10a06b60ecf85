"""Leases: which driver is running a run, so two drivers on one store share a suite.

A driver claims a run with its `owner` string ("host pid N at TIME") and a
heartbeat timestamp (`Store.claim`, one `BEGIN IMMEDIATE` transaction), and
beats for every run it holds while it lives (`Heartbeat`: a thread calling
`Store.beat` every `ttl / 6` seconds, through the driver's own connection:
one writer per process). A lease is *live* while its heartbeat is younger
than the TTL; another driver skips live leases and takes over expired ones
(their driver died: it stopped beating), and at once when the owner ran on
this host and its pid is gone (`owner_alive`: a killed driver, rerun on the
same machine). `Store.finish` clears the lease; a driver that stops early
releases the leases of its unfinished runs (`Store.release`).

The TTL is 120 s by default (`ZOO_LEASE_TTL` seconds overrides it): six
missed beats, so a driver busy in a long SQLite wait or a loaded machine is
not mistaken for a dead one, while a dead driver's runs are taken over two
minutes later. Every driver sharing a store should use the same TTL.

Example:

>>> owner = driver_identity()
>>> with Heartbeat(store, owner):
...     store.claim(run_id, "demo", cell, 0, config, owner=owner)
True
"""

from __future__ import annotations

import datetime
import os
import socket
import threading

DEFAULT_TTL = 120.0
TTL_ENV = "ZOO_LEASE_TTL"


def lease_ttl(ttl: float | None = None) -> float:
    """The lease TTL in seconds: `ttl`, else `$ZOO_LEASE_TTL`, else 120.

    Raises:
        ValueError: for a TTL that is not a positive number.
    """
    source = "ttl" if ttl is not None else TTL_ENV
    value = ttl if ttl is not None else os.environ.get(TTL_ENV, DEFAULT_TTL)
    try:
        value = float(value)
    except (TypeError, ValueError):
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise ValueError(f"The lease TTL must be a positive number of seconds (how long a "
                         f"silent driver's runs stay reserved), e.g. {TTL_ENV}=120. "
                         f"Received: {source}={value!r}")
    return value


def driver_identity() -> str:
    """This process as a lease owner: "host pid N at YYYY-MM-DDTHH:MM:SS"."""
    started = datetime.datetime.now().isoformat(timespec="seconds")
    return f"{socket.gethostname()} pid {os.getpid()} at {started}"


def short_owner(owner: str) -> str:
    """"host pid N" of an owner string (for summaries)."""
    return owner.split(" at ")[0]


def owner_alive(owner: str) -> bool | None:
    """Whether a lease owner's process still runs: True / False on this host,
    None (unknown) for another host or an owner string of another form."""
    parts = owner.split(" ")
    if len(parts) < 3 or parts[1] != "pid" or parts[0] != socket.gethostname():
        return None
    try:
        os.kill(int(parts[2]), 0)
    except ProcessLookupError:
        return False
    except (ValueError, PermissionError, OSError):
        return None
    return True


class Heartbeat:
    """A daemon thread that renews this driver's leases every `ttl / 6` seconds.

    Args:
        store: The `Store` (its writes are serialized by the store's lock).
        owner: This driver's `driver_identity()`.
        ttl: The lease TTL. Defaults to `lease_ttl()`.

    A failed beat (e.g. a full disk) is remembered in `error` and stops the
    thread; the driver's next write reports the same problem.
    """

    def __init__(self, store, owner: str, ttl: float | None = None):
        self.store, self.owner = store, owner
        self.interval = lease_ttl(ttl) / 6
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="zoo-heartbeat", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.store.beat(self.owner)
            except Exception as e:  # noqa: BLE001 - reported by the driver's next write
                self.error = e
                return

    def start(self) -> "Heartbeat":
        """Starts the thread; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops the thread (waits for a beat in progress)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def release_quietly(store, owner: str) -> None:
    """`store.release(owner)`, ignoring a store that cannot be written any more
    (the error that stopped the driver is the one to report; the leases then
    expire after the TTL)."""
    try:
        store.release(owner)
    except Exception:  # noqa: BLE001
        pass
