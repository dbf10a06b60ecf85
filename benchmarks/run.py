"""One training run (one cell x one seed): `run_one`. Work in progress."""

from __future__ import annotations

from benchmarks.run_config import RUN_DEFAULTS, validate_config  # noqa: F401
