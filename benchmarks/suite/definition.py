"""A validated benchmark suite and the resolved cells it expands to.

A `Suite` holds what a suite file says, already validated
(`benchmarks.suite.validate`). `Suite.cells()` expands it into resolved
configs, one per cell: the axis table's defaults (`zoo.axes.cell_defaults`),
the top-level fields, `[options]` that are part of a config (execution
axes), `[fixed]`, the cell's `[matrix]` values, and last the model card's
defaults for the axes the model accepts and the suite left unset.

Example:

>>> from benchmarks.suite import load_suite
>>> suite = load_suite("demo", overrides=["epochs=1", "seeds=[0]"])
>>> len(suite.cells()), suite.cells()[0]["optimizer"]
(2, 'sgd')
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
from typing import Any

from zoo.axes import AXES, EXECUTION, OPTION, canonical, cell_defaults

FIELDS = ("name", "description", "dataset", "model", "epochs", "seeds", "fixed", "matrix",
          "exclude", "claim", "target", "dataset_options", "pipeline_options", "options",
          "imports")
GROUP_FIELDS = ("name", "description", "suites", "with_claim")


@dataclasses.dataclass
class Suite:
    """A validated benchmark suite.

    Args:
        name: Key of the suite in the store.
        dataset: Dataset registry name (or `tfds:` / `csv:` / `parquet:`).
        model: Model registry name.
        epochs: Training epochs per run.
        seeds: Seeds; every cell runs once per seed.
        description: What the suite measures and how long it takes.
        fixed: Axis values shared by every cell.
        matrix: Axis -> list of values; cells are their cartesian product.
        exclude: Partial cells; a cell matching every key of one is dropped.
        claim: Claim id the suite tests (docs/CLAIMS.md), e.g. `"C6"`.
        target: `{"metric", "value"}` to time, or None.
        dataset_options: Keyword arguments of the dataset loader.
        pipeline_options: Keyword arguments of the pipeline.
        options: Execution axes and run options (`jit_compile`, `pack_seeds`, ...).
        imports: Modules that register entries (imported by the driver and
            every worker before the first run).
        path: File the suite came from.
        source: The TOML text as run (overrides listed as comments).
    """

    name: str
    dataset: str
    model: str
    epochs: int
    seeds: list[int]
    description: str = ""
    fixed: dict[str, Any] = dataclasses.field(default_factory=dict)
    matrix: dict[str, list] = dataclasses.field(default_factory=dict)
    exclude: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    claim: str | None = None
    target: dict | None = None
    dataset_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    pipeline_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    imports: list[str] = dataclasses.field(default_factory=list)
    path: str = "<suite>"
    source: str = ""

    def base_config(self) -> dict[str, Any]:
        """The config every cell starts from: defaults, top-level fields, `[fixed]`."""
        config = {**cell_defaults(), "dataset": self.dataset, "model": self.model,
                  "epochs": self.epochs}
        config.update(copy.deepcopy(dict(target=self.target,
                                         dataset_options=self.dataset_options,
                                         pipeline_options=self.pipeline_options,
                                         imports=self.imports)))
        config.update({k: v for k, v in self.options.items() if _in_config(k)})
        config.update(copy.deepcopy(self.fixed))
        return config

    def cells(self) -> list[dict[str, Any]]:
        """Resolved configs, one per cell (without seed), in matrix order.

        Each is a flat JSON-serializable dict (see docs/ARCHITECTURE.md).
        """
        out, base = [], self.base_config()
        axes = list(self.matrix)
        for values in itertools.product(*(self.matrix[a] for a in axes)):
            config = copy.deepcopy(base)
            config.update(copy.deepcopy(dict(zip(axes, values))))
            if any(all(config.get(k) == v for k, v in ex.items()) for ex in self.exclude):
                continue
            out.append(with_model_defaults(canonical(config)))
        return out

    def run_options(self) -> dict[str, Any]:
        """Options that only change how runs are scheduled (not part of a config)."""
        return {k: v for k, v in self.options.items() if not _in_config(k)}

    def to_spec(self) -> dict[str, Any]:
        """The suite as plain values (stored as the suite's `spec`)."""
        spec = dataclasses.asdict(self)
        spec.pop("source")
        return spec


def known_axes() -> tuple[str, ...]:
    """Every axis a suite may set in `[fixed]` / `[matrix]` (the axis table, options aside)."""
    return tuple(name for name, axis in AXES.items() if axis.kind != OPTION)


def _in_config(option: str) -> bool:
    return option in AXES and AXES[option].kind == EXECUTION


def with_model_defaults(config: dict) -> dict:
    """Fills the model card's defaults for the axes it accepts and `config` leaves out."""
    from zoo.models import MODELS

    if config["model"] in MODELS:
        card = MODELS.card(config["model"])
        for axis in card.axes:
            if axis not in config and axis in card.defaults:
                config[axis] = copy.deepcopy(card.defaults[axis])
    return config
