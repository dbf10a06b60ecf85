"""Benchmark suites: a TOML file -> a validated `Suite` -> resolved cells.

A suite names a dataset and a model, the epochs and seeds, the values every
cell shares (`[fixed]`), the axes to cross (`[matrix]`) and the combinations
to drop (`[[exclude]]`). `load_suite` reads one from a path or a built-in name
(`benchmarks/suites/<name>.toml`), applies `--set key=value` overrides, and
validates the whole matrix before anything runs (see
`benchmarks.validation`). A *group* file lists other suites instead
(`suites = ["demo", "optimizers"]`, fnmatch patterns allowed; with
`with_claim = true` only the suites that declare a claim); load it with
`load_suites`.

Example:

>>> suite = load_suite("demo", overrides=["epochs=1", "seeds=[0]"])
>>> len(suite.cells()), suite.seeds
(2, [0])
>>> suite.cells()[0]["optimizer"]
'sgd'
"""

from __future__ import annotations

import copy
import dataclasses
import fnmatch
import itertools
import os
import tomllib
from typing import Any

from zoo.registry import did_you_mean, natural_key

SUITES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "suites")

# Harness-level axes; a model's own axes (`zoo.models.accepted_axes`) come on top.
AXES = ("optimizer", "learning_rate", "schedule", "batch_size", "activation", "initializer",
        "regularizer", "dropout", "early_stopping", "weight_decay", "momentum", "loss",
        "pipeline", "precision", "target", "train_samples", "split_seed", "device", "replicas",
        "jit_compile", "steps_per_execution", "model", "dataset", "dataset_options",
        "pipeline_options",
        # Claim harness keys: C15 keeps test predictions (benchmarks/ensemble.py), C16
        # pre-trains on some classes and fine-tunes on others (benchmarks/transfer.py).
        "record_predictions", "train_classes", "pretrain")
# Axes that are builder arguments: only valid for a model whose card lists them.
MODEL_AXES = ("activation", "initializer", "regularizer", "dropout")
# Execution options (`[options]`) that change what is computed: part of the config.
CONFIG_OPTIONS = ("jit_compile", "steps_per_execution", "device", "precision", "replicas")
# Execution options that only change how a run is executed: passed to `run_one`.
RUN_OPTIONS = ("peak_flops", "pack_seeds")
FIELDS = ("name", "description", "dataset", "model", "epochs", "seeds", "fixed", "matrix",
          "exclude", "claim", "target", "dataset_options", "pipeline_options", "options")
GROUP_FIELDS = ("name", "description", "suites", "with_claim")

# Filled into every cell, so identical configs hash identically.
DEFAULTS = {
    "dataset_options": {},
    "optimizer": "adam",
    "learning_rate": None,      # the optimizer's Keras default
    "schedule": "constant",
    "batch_size": 32,
    "loss": None,               # the task's default loss
    "early_stopping": False,
    "weight_decay": None,
    "pipeline": "identity",
    "pipeline_options": {},
    "precision": "float32",
    "target": None,
    "train_samples": None,      # all training examples
    "split_seed": 0,
    "device": "auto",
    "replicas": 1,
    "jit_compile": "auto",          # resolved per run (benchmarks.defaults)
    "steps_per_execution": "auto",  # resolved per run (benchmarks.defaults)
}


class SuiteError(ValueError):
    """A suite file or override is invalid; the message lists every problem."""


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
        claim: Claim id the suite tests (see CLAIMS.md), e.g. `"C6"`.
        target: `{"metric", "value"}` to time, or None.
        dataset_options: Keyword arguments of the dataset loader.
        pipeline_options: Keyword arguments of the pipeline.
        options: Execution options (`jit_compile`, `device`, `peak_flops`, ...).
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
    path: str = "<suite>"
    source: str = ""

    def base_config(self) -> dict[str, Any]:
        """The config every cell starts from: defaults, top-level fields, `[fixed]`."""
        config = {"dataset": self.dataset, "model": self.model, "epochs": self.epochs,
                  **copy.deepcopy(DEFAULTS)}
        config.update(copy.deepcopy(dict(target=self.target,
                                         dataset_options=self.dataset_options,
                                         pipeline_options=self.pipeline_options)))
        config.update({k: v for k, v in self.options.items() if k in CONFIG_OPTIONS})
        config.update(copy.deepcopy(self.fixed))
        return config

    def cells(self) -> list[dict[str, Any]]:
        """Resolved configs, one per cell (without seed), in matrix order.

        Each is a flat JSON-serializable dict (see docs/ARCHITECTURE.md):
        defaults, then the model card's defaults for the axes it accepts,
        then the suite's values.
        """
        out = []
        axes = list(self.matrix)
        for values in itertools.product(*(self.matrix[a] for a in axes)):
            config = self.base_config()
            config.update(copy.deepcopy(dict(zip(axes, values))))
            if any(all(config.get(k) == v for k, v in ex.items()) for ex in self.exclude):
                continue
            out.append(_with_model_defaults(config))
        return out

    def run_options(self) -> dict[str, Any]:
        """Execution options passed to `run_one` (those not in the config)."""
        return {k: v for k, v in self.options.items() if k not in CONFIG_OPTIONS}

    def to_spec(self) -> dict[str, Any]:
        """The suite as plain values (stored as the suite's `spec`)."""
        spec = dataclasses.asdict(self)
        spec.pop("source")
        return spec


def _with_model_defaults(config: dict) -> dict:
    from zoo.models import MODELS

    if config["model"] in MODELS:
        card = MODELS.card(config["model"])
        for axis in card.axes:
            if axis not in config and axis in card.defaults:
                config[axis] = copy.deepcopy(card.defaults[axis])
    return config


def builtin_suites() -> list[str]:
    """Names of the built-in suites and groups (`benchmarks/suites/*.toml`)."""
    if not os.path.isdir(SUITES_DIR):
        return []
    names = [f[:-5] for f in os.listdir(SUITES_DIR) if f.endswith(".toml")]
    return sorted(names, key=natural_key)


def resolve_path(path_or_name: str) -> str:
    """Returns the file of a suite given as a path or a built-in name.

    Raises:
        SuiteError: when it is neither an existing file nor a built-in name.
    """
    candidate = os.path.join(SUITES_DIR, f"{path_or_name}.toml")
    if os.sep not in path_or_name and not path_or_name.endswith(".toml") and os.path.isfile(
            candidate):
        return candidate
    if os.path.isfile(path_or_name):
        return path_or_name
    names = builtin_suites()
    raise SuiteError(
        f"No suite file or built-in suite named {path_or_name!r}."
        f"{did_you_mean(path_or_name, names)} Expected a path to a TOML file or one of: "
        f"{', '.join(names)}. Received: suite={path_or_name!r}"
    )


def read_toml(path: str) -> tuple[dict, str]:
    """Reads a TOML file, turning syntax errors into `SuiteError`."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as e:
        raise SuiteError(f"{path}: not valid TOML: {e}. Fix the syntax "
                         f"(https://toml.io). Received: file={path!r}") from None


def parse_value(text: str) -> Any:
    """Parses an override value as a TOML value, or keeps it as a bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(data: dict, overrides: list[str], path: str) -> dict:
    """Applies `key=value` overrides to raw suite data (a copy is returned).

    `key` is a top-level field (`epochs`, `seeds`, `model`), a dotted path
    (`fixed.batch_size`, `matrix.optimizer`, `options.jit_compile`,
    `target.value`), or a bare axis name, which pins the axis in `[fixed]`
    (and removes it from `[matrix]`).

    Raises:
        SuiteError: for an override without `=` or with an unknown key.
    """
    from benchmarks.validation import known_axes

    data = copy.deepcopy(data)
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise SuiteError(f"{path}: --set {item!r}: expected KEY=VALUE, e.g. `--set epochs=1`"
                             f" or `--set matrix.optimizer=[\"sgd\",\"adam\"]`. "
                             f"Received: --set {item!r}")
        value = parse_value(raw.strip())
        head, _, rest = key.partition(".")
        if rest:
            if head not in FIELDS or head in ("exclude",):
                raise SuiteError(
                    f"{path}: --set {item!r}: unknown section {head!r}."
                    f"{did_you_mean(head, FIELDS)} Expected a dotted key under one of: fixed, "
                    f"matrix, options, target, dataset_options, pipeline_options. "
                    f"Received: --set {item!r}")
            section = data.setdefault(head, {})
            if not isinstance(section, dict):
                raise SuiteError(f"{path}: --set {item!r}: {head!r} is not a table. "
                                 f"Received: {head}={section!r}")
            section[rest] = value
            other = {"fixed": "matrix", "matrix": "fixed"}.get(head)
            if other and isinstance(data.get(other), dict):
                data[other].pop(rest, None)
        elif key in FIELDS:
            data[key] = value
        elif key in known_axes():
            data.setdefault("fixed", {})[key] = value
            if isinstance(data.get("matrix"), dict):
                data["matrix"].pop(key, None)
        else:
            choices = list(FIELDS) + list(known_axes())
            raise SuiteError(
                f"{path}: --set {item!r}: unknown key {key!r}.{did_you_mean(key, choices)} "
                f"Expected a suite field ({', '.join(FIELDS)}), an axis, or a dotted key such "
                f"as fixed.batch_size. Received: --set {item!r}")
    return data


def load_suite(path_or_name: str, overrides: list[str] | None = None,
               check_cells: bool = True) -> Suite:
    """Loads and validates one suite.

    Args:
        path_or_name: A TOML path or a built-in suite name (`demo`, ...).
        overrides: `key=value` strings (`--set`), applied before validation.
        check_cells: Also run `benchmarks.run.validate_config` on every
            cell (names of optimizers, activations, ...). Defaults to True.

    Returns:
        A `Suite`.

    Raises:
        SuiteError: listing every problem, each naming file and field.
    """
    from benchmarks.validation import validate

    path = resolve_path(path_or_name)
    data, text = read_toml(path)
    if "suites" in data:
        raise SuiteError(f"{path}: is a suite group (it lists `suites`); run it with "
                         f"`zoo bench {path_or_name}` or load it with `load_suites`. "
                         f"Received: suites={data['suites']!r}")
    data = apply_overrides(data, overrides or [], path)
    shown = os.path.basename(path) if os.path.dirname(path) == SUITES_DIR else path
    suite = validate(data, shown, check_cells=check_cells)
    suite.path = path
    suite.source = text + "".join(f"\n# --set {o}" for o in overrides or [])
    return suite


def load_suites(path_or_name: str, overrides: list[str] | None = None,
                check_cells: bool = True) -> list[Suite]:
    """Loads a suite or a group of suites; overrides apply to each.

    Returns:
        A list of `Suite`s (one for a plain suite).

    Raises:
        SuiteError: for an invalid member, or a group that selects nothing.
    """
    path = resolve_path(path_or_name)
    data, _ = read_toml(path)
    if "suites" not in data:
        return [load_suite(path, overrides, check_cells)]
    unknown = sorted(set(data) - set(GROUP_FIELDS))
    patterns = data["suites"]
    if unknown or not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise SuiteError(f"{path}: a suite group has the fields {', '.join(GROUP_FIELDS)} and "
                         f"`suites` is a list of names or patterns. Received: "
                         f"suites={patterns!r}, other fields={unknown}")
    names = [n for n in builtin_suites() if n != os.path.basename(path)[:-5]]
    chosen = []
    for pattern in patterns:
        matched = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
        if not matched and not any(c in pattern for c in "*?["):
            raise SuiteError(f"{path}: suites: unknown suite {pattern!r}."
                             f"{did_you_mean(pattern, names)} Expected one of: {', '.join(names)}."
                             f" Received: suites={patterns!r}")
        chosen += [n for n in matched if n not in chosen]
    members = []
    for name in chosen:
        member_path = os.path.join(SUITES_DIR, f"{name}.toml")
        member, _ = read_toml(member_path)
        if "suites" in member or (data.get("with_claim") and not member.get("claim")):
            continue
        members.append(load_suite(member_path, overrides, check_cells))
    if not members:
        raise SuiteError(f"{path}: the group selects no suite (patterns {patterns}, "
                         f"with_claim={bool(data.get('with_claim'))}). Add suites to it. "
                         f"Received: suites={patterns!r}")
    members.sort(key=lambda s: natural_key(s.claim or s.name))
    return members
