"""The results store: one SQLite file, run identities and JSON conversion.

- `sqlite`: `Store` (schema in its docstring), `DEFAULT_STORE`, `FINISHED`, `STATUSES`.
- `schema`: the schema version and migrations; `errors`: `StoreError`, what a
  broken store file says; `leases`: which driver runs a run; `doctor`: `zoo doctor`.
- `identity`: `run_id`, `cell_id`, `canonical_json`, `code_versions`.
- `jsonable`: `plain`, JSON-safe values.

Example:

>>> from benchmarks.store import Store
>>> with Store("runs/zoo.sqlite") as store:
...     store.statuses("demo")
"""

from benchmarks.store.errors import StoreError, StoreVersionError
from benchmarks.store.sqlite import (
    DEFAULT_STORE,
    FINISHED,
    RECORD_KEYS,
    FINAL,
    STATUSES,
    Store,
)

__all__ = ["DEFAULT_STORE", "FINAL", "FINISHED", "RECORD_KEYS", "STATUSES", "Store", "StoreError",
           "StoreVersionError"]
