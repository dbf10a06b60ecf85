"""Which runs share a graph: the packing decision.

A cell's to-do seeds are trained as ONE packed model (`benchmarks.matrix.packing`)
when the suite's `[options] pack_seeds` is true, or is "auto" (the default)
and `pack_seeds_default` says packing pays off (with `--tensorboard` too: the
driver writes a packed run's logs from its record). `group_seeds` applies
that rule to the to-do runs of one cell.

Packing pays off whenever there are several seeds, the model is one whose
layers all stack (`PACKABLE_MODELS`) and the config allows it
(`unpackable_reason`): measured with 8 seeds of an MLP on digits, packed vs
one after another (README, Performance).

Importing this module does not import TensorFlow.

Example:

>>> pack_seeds_default({"dataset": "digits", "model": "mlp"}, n_seeds=4)
True
>>> unpackable_reason({"model": "mlp", "dropout": 0.2})
'dropout: its masks would come from one random stream for all members'
"""

from __future__ import annotations

import json
import math

from zoo.axes import cell_defaults, sharing_axes

COUPLING_OPTIMIZERS = ("adafactor",)
# The most members one graph trains: beyond it a step's cost grows with no
# fixed cost left to share (see README, Performance: a 12-run matrix in one pack).
MAX_PACK_MEMBERS = 24
# Registry models made only of layers `stack_models` supports: packed by default.
# Others are packed only when a suite asks (`pack_seeds = true`), and fall back
# to separate runs if a layer cannot be stacked.
PACKABLE_MODELS = ("logistic", "mlp", "mnist1d_mlp")


def unpackable_reason(config: dict, options: dict | None = None,
                      cells: bool = False) -> str | None:
    """Why a config cannot be packed (from the config alone), or None.

    The model itself is checked when it is built (`stack_models`).

    Args:
        config: A cell's config (missing keys take the axis table's defaults (`zoo.axes.cell_defaults`)).
        options: Execution options of the runs. Defaults to None.
        cells: Whether the question is about a pack of several cells, where
            a run whose seeds cannot share a stack (dropout) is a unit of
            its own. Defaults to False (a seed pack).

    Returns:
        A one-line reason, or None when the config may be packed.
    """
    from zoo.models.generative import is_generative

    cfg = {**cell_defaults(), **config}
    options = options or {}
    if cfg.get("backend") not in (None, "tensorflow"):
        return (f"backend {cfg['backend']!r}: packing is built and measured on tensorflow "
                f"only, so {cfg['backend']} runs train one seed at a time")
    if is_generative(cfg.get("model")):
        return "generative models (vae, gan) train with their own train_step, one per seed"
    if cfg.get("dropout") and not cells:
        return "dropout: its masks would come from one random stream for all members"
    if cfg.get("batch_norm"):
        return "batch_norm: moving statistics are not stacked"
    optimizer = cfg.get("optimizer")  # a name, or a table {name = ..., beta_1 = ...}
    if str(optimizer.get("name") if isinstance(optimizer, dict) else optimizer) in \
            COUPLING_OPTIMIZERS:
        return f"optimizer {cfg['optimizer']!r} factors its state across a stacked kernel"
    if cfg.get("precision") not in (None, "float32"):
        return "mixed precision: loss scaling is shared by the pack"
    if cfg.get("device") not in ("auto", "cpu") or int(cfg.get("replicas") or 1) > 1:
        return "distribution strategies are not packed"
    if (cfg.get("pipeline") or "identity") not in ("identity", "standardize", "minmax"):
        return "pipelines other than identity/standardize/minmax may augment per member"
    if options.get("tensorboard_dir"):
        return "TensorBoard logs are written per run"
    for key in ("record_predictions", "train_classes", "pretrain"):
        if cfg.get(key):
            return f"{key} runs go through their own harness"
    return None


def pack_seeds_default(config: dict, n_seeds: int) -> bool:
    """Whether a cell's seeds are packed when the suite does not say.

    Args:
        config: The cell's config.
        n_seeds: How many of its seeds are to run.

    Returns:
        True for several seeds of a `PACKABLE_MODELS` model whose config
        `unpackable_reason` accepts.
    """
    if n_seeds < 2 or config.get("model") not in PACKABLE_MODELS:
        return False
    return unpackable_reason(config) is None


def group_seeds(config: dict, todo: list, pack="auto") -> list[list]:
    """The to-do runs of one cell, grouped into the runs that share one graph.

    TensorBoard logging does not stop packing: the driver writes a packed
    run's logs from its record when it finishes (`benchmarks.export.tensorboard`).

    Args:
        config: The cell's config.
        todo: Its runs to do (one per seed), in seed order.
        pack: The suite's `pack_seeds`: true, false or "auto". Defaults to "auto".

    Returns:
        A list of groups: one group of every run when they are packed, else
        one group per run.
    """
    packed = len(todo) > 1 and (
        pack_seeds_default(config, len(todo)) if pack == "auto" else bool(pack))
    return [list(todo)] if packed else [[run] for run in todo]


def pack_key(config: dict) -> str:
    """What runs sharing one graph must agree on: the config without `zoo.axes.sharing_axes`
    (and the labels' encoding, which the loss and label smoothing decide).

    Example:

    >>> pack_key({"model": "mlp", "optimizer": "sgd"}) == pack_key({"model": "mlp"})
    True
    """
    from benchmarks.run.losses import label_encoding

    shared = set(sharing_axes())
    full = {**cell_defaults(), **config}
    cfg = {k: v for k, v in full.items() if k not in shared}
    # Losses and label smoothing may differ, but the members see the same label tensors.
    cfg["labels"] = label_encoding(full.get("loss"), full.get("label_smoothing"))
    return json.dumps(cfg, sort_keys=True, default=str)


def cells_packable(config: dict, pack_cells="auto") -> bool:
    """Whether a cell's runs may share a graph with other cells' runs.

    Args:
        config: The cell's config.
        pack_cells: The suite's `pack_cells`: true, false or "auto" (the
            models of `PACKABLE_MODELS`). Defaults to "auto".

    Returns:
        True when the suite allows it and the config can be stacked.
    """
    if pack_cells is False:
        return False
    if pack_cells == "auto" and config.get("model") not in PACKABLE_MODELS:
        return False
    return unpackable_reason(config, cells=True) is None


def _split(groups: list[list], most: int, parts: int = 1) -> list[list]:
    """Seed groups joined into packs of at most `most` runs (and at least `parts` packs
    where there are that many groups), as even as whole groups allow."""
    total = sum(len(g) for g in groups)
    parts = max(math.ceil(total / most) if total else 1, min(parts, len(groups)))
    size = math.ceil(total / parts) if total else most
    packs, pack = [], []
    for group in groups:
        if pack and len(pack) + len(group) > size:
            packs.append(pack)
            pack = []
        pack = pack + list(group)
    return packs + ([pack] if pack else [])


def group_runs(cells: list[tuple[dict, list]], pack_seeds="auto", pack_cells="auto",
               max_members: int = MAX_PACK_MEMBERS, workers: int = 1) -> list[list]:
    """The to-do runs of a suite, grouped into the runs that share one graph.

    Each cell's seeds are grouped first (`group_seeds`); then the groups of
    cells that agree on every axis but `zoo.axes.sharing_axes` (`pack_key`)
    and can be stacked (`cells_packable`) are joined into packs of at most
    `max_members` runs, each cell's runs kept next to each other, and into
    at least `workers` packs where there are that many cells (a pack trains
    in one worker: more packs than workers keep every worker busy).

    Args:
        cells: `(config, to-do runs)` per cell, in suite order.
        pack_seeds: The suite's `pack_seeds`. Defaults to "auto".
        pack_cells: The suite's `pack_cells`. Defaults to "auto".
        max_members: The largest pack. Defaults to `MAX_PACK_MEMBERS`.
        workers: The executor's parallel workers. Defaults to 1.

    Returns:
        Groups of runs in suite order: one group per graph.

    Example:

    >>> todo = [({"model": "mlp", "optimizer": o}, ["%s-0" % o, "%s-1" % o]) for o in ("sgd", "adam")]
    >>> group_runs(todo)
    [['sgd-0', 'sgd-1', 'adam-0', 'adam-1']]
    """
    joined, order = {}, []  # pack key -> seed groups; the keys and lone groups in order
    for config, todo in cells:
        for group in group_seeds(config, todo, pack_seeds):
            if cells_packable(config, pack_cells):
                key = pack_key(config)
                if key not in joined:
                    joined[key] = []
                    order.append(key)
                joined[key].append(group)
            else:
                order.append(group)
    out = []
    for item in order:
        out += (_split(joined[item], max_members, workers) if isinstance(item, str)
                else [item])
    return out
