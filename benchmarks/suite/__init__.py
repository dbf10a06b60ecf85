"""Suite definition and validation: a TOML file -> a validated `Suite` -> resolved cells.

A suite names a dataset and a model, the epochs and seeds, the values every
cell shares (`[fixed]`), the axes to cross (`[matrix]`), the combinations to
drop (`[[exclude]]`) and execution options (`[options]`). Which axes exist,
what each accepts and its default come from the axis table (`zoo.axes`).

- `definition`: the `Suite` and its resolved cells.
- `files`: built-in suites, TOML reading, `--set` overrides, `load_suite(s)`.
- `validate`: every problem of a suite before its first run.
- `cell`: checks of one resolved config as a whole (`validate_config`).
- `problems`: problems as values (`Problem`, `SuiteError`).

Example:

>>> suite = load_suite("demo", overrides=["epochs=1", "seeds=[0]"])
>>> len(suite.cells()), suite.seeds
(2, [0])
"""

from benchmarks.suite.cell import CellProblem, check_config, validate_config
from benchmarks.suite.definition import (FIELDS, GROUP_FIELDS, Suite, known_axes,
                                         with_model_defaults)
from benchmarks.suite.files import (SUITES_DIR, apply_overrides, builtin_suites, load_suite,
                                    load_suites, parse_value, read_toml, resolve_path,
                                    suite_from_dict)
from benchmarks.suite.problems import Problem, Problems, SuiteError
from benchmarks.suite.validate import validate

__all__ = ["CellProblem", "FIELDS", "GROUP_FIELDS", "Problem", "Problems", "SUITES_DIR", "Suite",
           "SuiteError", "apply_overrides", "builtin_suites", "check_config", "known_axes",
           "load_suite", "load_suites", "parse_value", "read_toml", "resolve_path",
           "suite_from_dict", "validate", "validate_config", "with_model_defaults"]
