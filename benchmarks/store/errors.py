"""What can go wrong with a store file, said in one line the user can act on.

SQLite reports a broken store as `sqlite3.DatabaseError` / `OperationalError`
with terse texts ("file is not a database", "database disk image is
malformed", "attempt to write a readonly database", "database or disk is
full"); the OS as `OSError`. `store_errors(path, doing)` turns each into a
`StoreError`: a `ValueError`, so `zoo.cli.main` prints its one line and
exits 2, never a traceback. Every store write is one transaction, so when
one fails the runs finished before it are all still in the file.

Example:

>>> with store_errors("runs/zoo.sqlite", "writing a run's result"):
...     conn.execute("UPDATE runs SET ...")
Traceback (most recent call last):
StoreError: The disk holding runs/zoo.sqlite is full: ...
"""

from __future__ import annotations

import contextlib
import errno
import sqlite3


class StoreError(ValueError):
    """A store that cannot be read or written (exit code 2 in `zoo`)."""


class StoreVersionError(StoreError):
    """A store written by a newer zoo than this one."""


def describe(error: BaseException, path: str, doing: str) -> str:
    """The message of a `StoreError` for an SQLite or OS error on `path`.

    Args:
        error: The `sqlite3.Error` or `OSError` raised.
        path: The store's path.
        doing: What zoo was doing, e.g. "opening it" or "writing a run's result".

    Returns:
        One line: what is wrong with which file, and what to do.
    """
    text = str(error)
    low = text.lower()
    received = f"Received: store={path} ({type(error).__name__}: {text})"
    if "not a database" in low:
        return (f"{path} is not a zoo store: SQLite cannot read it as a database (a text file, "
                f"or another kind of file). Pass --store with the path of a store written by "
                f"`zoo bench`, or move this file away to start a new store there. {received}")
    if "malformed" in low or "corrupt" in low:
        return (f"{path} is damaged (truncated or corrupt) and could not be read while "
                f"{doing}. Restore it from a backup, or salvage its readable rows with "
                f"`sqlite3 {path} .recover | sqlite3 NEW.sqlite`, or move it away to start a "
                f"new store. {received}")
    if "full" in low or getattr(error, "errno", None) == errno.ENOSPC:
        return (f"The disk holding {path} is full: zoo stopped while {doing}, and nothing of "
                f"that write was kept (runs finished before it are in the store). Free some "
                f"space and rerun the same command: it resumes where it stopped. {received}")
    if ("readonly" in low or "read-only" in low or "unable to open" in low
            or isinstance(error, PermissionError)):
        return (f"{path} cannot be written (while {doing}): the file or its folder is read-only"
                f" or not yours. SQLite writes the store and its -wal and -shm files in that "
                f"folder: make it writable, or pass --store with a path in a writable folder. "
                f"{received}")
    if "locked" in low or "busy" in low:
        return (f"{path} stayed locked by another process for over a minute while {doing}. "
                f"Check no other program holds it open (another zoo waits its turn), then "
                f"rerun. {received}")
    return f"SQLite failed on {path} while {doing}; run `zoo doctor --store {path}`. {received}"


@contextlib.contextmanager
def store_errors(path: str, doing: str):
    """Re-raises `sqlite3.Error` and `OSError` inside the block as `StoreError`.

    Args:
        path: The store's path.
        doing: What the block does, for the message ("opening it", ...).

    Raises:
        StoreError: with `describe`'s message, chained to the original error.
    """
    try:
        yield
    except StoreError:
        raise
    except (sqlite3.Error, OSError) as e:
        raise StoreError(describe(e, path, doing)) from e
