"""Defaults and checks of one run config, now owned by the axis table and the suite checks.

Kept while the run modules move: `RUN_DEFAULTS` is `zoo.axes.cell_defaults()`
and `validate_config` is `benchmarks.suite.cell.validate_config`.
"""

from zoo.axes import cell_defaults

from benchmarks.suite.cell import validate_config  # noqa: F401

RUN_DEFAULTS = cell_defaults()
