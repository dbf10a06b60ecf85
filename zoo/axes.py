"""The axis table: the one place that declares every axis of a benchmark matrix.

An axis is anything a suite may set per cell (`[fixed]`, `[matrix]`), a
tuning space may search, or `--set` may pin. Each `Axis` says its kind,
the values it accepts (a `zoo.domains` domain), its default, a one-line
doc, and whether runs that differ only in it may share one graph. Everything
else reads this table: suite defaults and validation, the run's defaults,
`--set`, tuning spaces, the report's axis order, the packing planner and
`zoo axes`. Nothing else declares an axis.

Kinds:

- `model`: a keyword argument of model builders (`depth`, `activation`).
  Only models whose card lists it accept it; the card gives its default and
  may narrow its domain (`mlp` takes `depth = 0`, the others need >= 1).
- `harness`: how the harness trains (optimizer, batch size, loss, data).
- `execution`: how a run is executed (device, precision, XLA). Part of the
  resolved config (it can change the numbers), settable in `[options]` too.
- `option`: only how runs are scheduled (`pack_seeds`, `peak_flops`): set in
  `[options]`, never part of a run's config or identity.

`written` says when an axis is part of a resolved cell (and so of its run
id): `ALWAYS` axes are written with their default, so identical configs hash
identically; `WHEN_SET` axes (optional harness keys) only when a suite sets
them; `WHEN_NOT_DEFAULT` axes only when set to something other than their
default, so writing the default changes nothing. A new axis is
`WHEN_NOT_DEFAULT`: adding it changes no existing run id.

Example:

>>> AXES["learning_rate"].check(-1.0).expected
'none or a number > 0'
>>> cell_defaults()["batch_size"]
32
>>> [a.name for a in axes("*_s*", kind="execution")]
['steps_per_execution']
"""

from __future__ import annotations

import copy
import dataclasses
import fnmatch
from typing import Any

from zoo.domains import (Anything, Bool, Choice, Const, Domain, Float, Int, Invalid, ListOf,
                         Name, Table, check)

MODEL, HARNESS, EXECUTION, OPTION = "model", "harness", "execution", "option"
ALWAYS, WHEN_SET, WHEN_NOT_DEFAULT = "always", "when set", "when not default"
KINDS = (MODEL, HARNESS, EXECUTION, OPTION)
REQUIRED = "<required>"      # default of `dataset` and `model`: a suite must name them
PER_MODEL = "<model card>"   # default of model axes: each card gives its own

NONE = Const(None)
POSITIVE_INT = Int(min=1)
RATE = Float(min=0, max=1, max_open=True)
AUTO = Const("auto")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16", "float16", "bfloat16", "float64")
DEVICES = ("auto", "cpu", "gpu", "tpu")
BACKENDS = ("tensorflow", "jax", "torch")  # benchmarks.run.backends says what each needs
# Each backend's packages, whose versions are part of its runs' ids (benchmarks.store.identity).
BACKEND_PACKAGES = {"tensorflow": ("tensorflow",), "jax": ("jax", "jaxlib"), "torch": ("torch",)}
TARGET_METRICS = ("val_accuracy", "val_loss", "accuracy", "loss", "val_mae", "mae")
EARLY_STOPPING = {"patience": Int(min=0), "monitor": Name("metric"), "min_delta": Float(min=0),
                  "restore_best_weights": Bool(), "mode": Choice(("auto", "min", "max")),
                  "start_from_epoch": Int(min=0), "baseline": Float()}
CLASSES = ListOf(Int(min=0), "class ids", "[5, 6, 7, 8, 9]")


@dataclasses.dataclass(frozen=True)
class Axis:
    """One axis of the matrix.

    Args:
        name: The key in suites, configs and records.
        kind: One of `KINDS`.
        domain: The values it accepts (model cards may narrow it per model).
        default: The value a cell gets when the suite does not set it
            (`REQUIRED`, or `PER_MODEL` for model axes).
        doc: One line: what it changes.
        shares_graph: Runs that differ only in this axis may be trained in
            one graph (the packing planner reads it).
        written: When the axis is part of a resolved cell: `ALWAYS`,
            `WHEN_SET` or `WHEN_NOT_DEFAULT` (see the module docstring).
    """

    name: str
    kind: str
    domain: Domain
    default: Any
    doc: str
    shares_graph: bool = False
    written: str = "always"

    def check(self, value) -> Invalid | None:
        """None if `value` is accepted, else why not (see `zoo.domains.Invalid`)."""
        return check(self.domain, value)

    @property
    def in_config(self) -> bool:
        """Whether the axis is part of a run's resolved config (and identity)."""
        return self.kind != OPTION


# In the order reports pick a suite's headline axis: optimizer before learning_rate, ...
OPTIMIZER = Name("optimizer", "benchmarks.run.optimizers:check_optimizer",
                 "benchmarks.run.optimizers:OPTIMIZERS",
                 "sgd, momentum, adam, ... or any keras.optimizers name", tables=True)

_TABLE = [
    Axis("optimizer", HARNESS, OPTIMIZER,
         "adam", "Optimizer: a zoo name (sgd, momentum, adam, ...), any keras.optimizers name, "
                 'or a table of its arguments ({name = "adam", beta_1 = 0.5}).',
         shares_graph=True),
    Axis("activation", MODEL, Name("activation", "zoo.models.layers:resolve_activation",
                                   "zoo.models.layers:activation_names",
                                   "any keras.activations name"),
         PER_MODEL, "Hidden-layer activation, any keras.activations name.",
         shares_graph=True),
    Axis("batch_size", HARNESS, POSITIVE_INT | Const("full"), 32,
         'Training batch size; "full" = the whole training split.'),
    Axis("regularizer", MODEL, NONE | Name("regularizer", "zoo.models.layers:parse_regularizer",
                                           "zoo.models.layers:REGULARIZERS",
                                           'none, l1, l2 or l1_l2, e.g. "l2:1e-4"'),
         PER_MODEL, 'Kernel regularizer: none, l1, l2 or l1_l2, with a strength ("l2:1e-4").',
         shares_graph=True),
    Axis("initializer", MODEL, Name("initializer", "zoo.models.layers:resolve_initializer",
                                    "zoo.models.layers:initializer_names",
                                    'a keras.initializers name, optionally ":scale"'),
         PER_MODEL, 'Kernel initializer, a keras name optionally scaled ("random_normal:0.01").',
         shares_graph=True),
    Axis("schedule", HARNESS, Name("schedule", "benchmarks.run.schedules:check_schedule",
                                   "benchmarks.run.schedules:SCHEDULES",
                                   "constant, cosine, exponential, step, warmup", tables=True),
         "constant", "Learning-rate schedule: constant, cosine, exponential, step, warmup.",
         shares_graph=True),
    Axis("loss", HARNESS, NONE | Name("loss", "benchmarks.run.losses:check_loss",
                                      "benchmarks.run.losses:LOSSES",
                                      "cross-entropy, mse, hinge, ..."),
         None, "Loss; none = the task's default (cross-entropy, mse).",
         shares_graph=True),
    Axis("pipeline", HARNESS, Name("pipeline", "zoo.pipelines:PIPELINES.get",
                                   "zoo.pipelines:PIPELINES.names", "see `zoo pipelines`"),
         "identity", "Preprocessing pipeline, adapted on the training split (zoo pipelines)."),
    Axis("model", HARNESS, Name("model", "zoo.models:MODELS.get", "zoo.models:MODELS.names",
                                "see `zoo models`"),
         REQUIRED, "Registry model (zoo models)."),
    Axis("learning_rate", HARNESS, NONE | Float(min=0, min_open=True), None,
         "Learning rate; none = the optimizer's Keras default.",
         shares_graph=True),
    Axis("dataset", HARNESS, Name("dataset", "zoo.datasets:check_name", "zoo.datasets:DATASETS.names",
                                  "see `zoo datasets`; or tfds:, csv:, parquet:"),
         REQUIRED, 'Dataset: a registry name, "tfds:NAME", "csv:PATH" or "parquet:PATH".'),
    Axis("epochs", HARNESS, POSITIVE_INT, 10, "Training epochs per run."),
    Axis("momentum", HARNESS, NONE | RATE, None,
         "Momentum of optimizers that take one (sgd, rmsprop); ignored by others.",
         written=WHEN_SET,
         shares_graph=True),
    Axis("d_optimizer", HARNESS, NONE | OPTIMIZER, None,
         "The GAN discriminator's optimizer (as `optimizer`); none = the same as `optimizer`.",
         written=WHEN_NOT_DEFAULT),
    Axis("d_learning_rate", HARNESS, NONE | Float(min=0, min_open=True), None,
         "The GAN discriminator's learning rate; none = the same as `learning_rate`.",
         written=WHEN_NOT_DEFAULT),
    Axis("weight_decay", HARNESS, NONE | Float(min=0), None,
         "Decoupled weight decay; none = the optimizer's default.",
         shares_graph=True),
    Axis("label_smoothing", HARNESS, RATE, 0.0,
         "Label smoothing of the cross-entropy loss (classification): 0 = hard labels.",
         written=WHEN_NOT_DEFAULT,
         shares_graph=True),
    Axis("early_stopping", HARNESS, Bool() | Int(min=0) | Table(EARLY_STOPPING), False,
         "false, true (patience 5), a patience, or a table of EarlyStopping arguments."),
    Axis("target", HARNESS, NONE | Table({"metric": Choice(TARGET_METRICS), "value": Float()},
                                         ("metric", "value"),
                                         '{metric = "val_accuracy", value = 0.9}'), None,
         "Metric value whose first epoch (and seconds) each run records.",
         shares_graph=True),
    Axis("train_samples", HARNESS, NONE | POSITIVE_INT, None,
         "Keep the first N training examples; none = all."),
    Axis("split_seed", HARNESS, Int(), 0, "Seed of the train/validation/test split."),
    Axis("dataset_options", HARNESS, Table(), {}, "Keyword arguments of the dataset loader."),
    Axis("pipeline_options", HARNESS, Table(), {}, "Keyword arguments of the pipeline."),
    Axis("imports", HARNESS, ListOf(Name("module"), "module names", '["mypkg.zoo_entries"]', empty=True),
         [], "Modules imported first (by the driver and every worker) that register entries.",
         written=WHEN_NOT_DEFAULT),
    Axis("record_predictions", HARNESS, Bool(), False,
         "Keep the test predictions in the record (ensembles, claim C15).", written=WHEN_SET),
    Axis("train_classes", HARNESS, NONE | CLASSES, None,
         "Keep only these classes in every split, relabelled 0..k-1 (transfer, claim C16).",
         written=WHEN_SET),
    Axis("pretrain", HARNESS, NONE | Const(False) | Table(
        {"classes": CLASSES, "epochs": POSITIVE_INT, "train_samples": POSITIVE_INT,
         "batch_size": POSITIVE_INT, "optimizer": Anything(), "learning_rate": Float(min=0)},
        ("classes",), "{classes = [0, 1, 2, 3, 4], epochs = 10}"), False,
         "Pre-train the same architecture on other classes first (transfer, claim C16).",
         written=WHEN_SET),
    Axis("dropout", MODEL, RATE, PER_MODEL, "Dropout rate after hidden layers (0 = none).",
         shares_graph=True),
    Axis("depth", MODEL, POSITIVE_INT, PER_MODEL, "Number of hidden layers / blocks.",
         shares_graph=True),
    Axis("width", MODEL, POSITIVE_INT, PER_MODEL, "Units of each hidden Dense layer.",
         shares_graph=True),
    Axis("batch_norm", MODEL, Bool(), PER_MODEL, "Batch normalization after hidden layers."),
    Axis("residual", MODEL, Bool(), PER_MODEL, "Residual connections between hidden layers."),
    Axis("filters", MODEL, POSITIVE_INT, PER_MODEL, "Filters of the first convolution."),
    Axis("kernel_size", MODEL, POSITIVE_INT, PER_MODEL, "Convolution kernel size."),
    Axis("units", MODEL, POSITIVE_INT, PER_MODEL, "Units of each recurrent layer."),
    Axis("bidirectional", MODEL, Bool(), PER_MODEL, "Run recurrent layers both ways."),
    Axis("embed_dim", MODEL, POSITIVE_INT, PER_MODEL, "Token embedding size (token inputs)."),
    Axis("heads", MODEL, POSITIVE_INT, PER_MODEL, "Attention heads."),
    Axis("code_size", MODEL, POSITIVE_INT, PER_MODEL, "Size of the autoencoder's code."),
    Axis("latent_size", MODEL, POSITIVE_INT, PER_MODEL,
         "Dimensions of a generative model's latent z (vae, gan).", written=WHEN_NOT_DEFAULT),
    Axis("kl_weight", MODEL, Float(min=0), PER_MODEL,
         "Weight of the VAE's KL term (1 = the ELBO; beta-VAE otherwise).",
         written=WHEN_NOT_DEFAULT),
    Axis("variant", MODEL, Choice(("dense", "conv")), PER_MODEL,
         "Architecture family of a model that has several (vae: dense or conv).",
         written=WHEN_NOT_DEFAULT),
    Axis("weights", MODEL, NONE | Name("weights file", "zoo.models.applications:check_weights",
                                       hint='a local file path, never "imagenet"'),
         PER_MODEL, "Local weights file loaded after building; none = random initialisation.",
         written=WHEN_NOT_DEFAULT),
    Axis("backend", EXECUTION, Choice(BACKENDS), "tensorflow",
         "Keras backend: tensorflow, jax or torch (jax and torch are extras: pip install "
         "-e '.[jax]').", written=WHEN_NOT_DEFAULT),
    Axis("precision", EXECUTION, Choice(PRECISIONS), "float32",
         "Keras dtype policy (mixed_float16, mixed_bfloat16, ...)."),
    Axis("device", EXECUTION, Choice(DEVICES), "auto", "Device to train on; auto = best found."),
    Axis("replicas", EXECUTION, POSITIVE_INT, 1,
         "Replicas of a tf.distribute strategy (MirroredStrategy when > 1)."),
    Axis("jit_compile", EXECUTION, Bool() | AUTO, "auto",
         "XLA compilation; auto = off on CPU, Keras's choice elsewhere."),
    Axis("steps_per_execution", EXECUTION, POSITIVE_INT | AUTO, "auto",
         "Training steps per tf.function call; auto = min(32, steps per epoch)."),
    Axis("pack_seeds", OPTION, Bool() | AUTO, "auto",
         "Train a cell's seeds in one graph; auto = where it is measured to pay off."),
    Axis("pack_cells", OPTION, Bool() | AUTO, "auto",
         "Train several cells in one graph (their timing is then shared); auto = where the "
         "models stack (set false where the suite compares time)."),
    Axis("peak_flops", OPTION, AUTO | Float(min=0, min_open=True), "auto",
         "Matmul peak FLOP/s for MFU; auto = measured once per worker."),
]
AXES: dict[str, Axis] = {axis.name: axis for axis in _TABLE}


def axes(pattern: str = "*", kind: str | None = None) -> list[Axis]:
    """Axes whose name matches an fnmatch `pattern`, optionally of one kind, in table order.

    Example:

    >>> [a.name for a in axes(kind="option")]
    ['pack_seeds', 'peak_flops']
    """
    return [a for a in _TABLE if fnmatch.fnmatchcase(a.name, pattern)
            and (kind is None or a.kind == kind)]


def cell_defaults() -> dict[str, Any]:
    """The value of every `ALWAYS` axis that has one: what a cell starts from.

    `dataset` and `model` are required (no default); model axes take their
    model card's defaults (`zoo.models.defaults`).
    """
    return {a.name: copy.deepcopy(a.default) for a in _TABLE
            if a.written == ALWAYS and a.in_config and a.kind != MODEL
            and a.default not in (REQUIRED, PER_MODEL)}


def canonical(config: dict) -> dict:
    """`config` without the `WHEN_NOT_DEFAULT` axes that hold their default (a copy).

    So a suite that writes `label_smoothing = 0.0` makes the same cells, and
    the same run ids, as one that leaves it out.
    """
    return {k: v for k, v in config.items()
            if not (k in AXES and AXES[k].written == WHEN_NOT_DEFAULT
                    and v == AXES[k].default
                    and isinstance(v, bool) == isinstance(AXES[k].default, bool))}


def value(config: dict, name: str):
    """`config[name]`, or the axis's default when the config leaves it out."""
    if name in config:
        return config[name]
    default = AXES[name].default
    if default in (REQUIRED, PER_MODEL):
        raise KeyError(f"The config has no {name!r} and the axis has no table default. "
                       f"Received: config keys={sorted(config)}")
    return copy.deepcopy(default)


def report_order() -> tuple[str, ...]:
    """Axis names in the order a report picks a suite's headline axis."""
    return tuple(a.name for a in _TABLE)


def sharing_axes() -> tuple[str, ...]:
    """Axes whose values may differ among the runs of one packed graph."""
    return tuple(a.name for a in _TABLE if a.shares_graph)
