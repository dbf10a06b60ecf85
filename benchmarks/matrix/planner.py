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

from zoo.axes import cell_defaults

COUPLING_OPTIMIZERS = ("adafactor",)
# Registry models made only of layers `stack_models` supports: packed by default.
# Others are packed only when a suite asks (`pack_seeds = true`), and fall back
# to separate runs if a layer cannot be stacked.
PACKABLE_MODELS = ("logistic", "mlp", "mnist1d_mlp")


def unpackable_reason(config: dict, options: dict | None = None) -> str | None:
    """Why a config cannot be packed (from the config alone), or None.

    The model itself is checked when it is built (`stack_models`).

    Args:
        config: A cell's config (missing keys take the axis table's defaults (`zoo.axes.cell_defaults`)).
        options: Execution options of the runs. Defaults to None.

    Returns:
        A one-line reason, or None when the config may be packed.
    """
    cfg = {**cell_defaults(), **config}
    options = options or {}
    if cfg.get("backend") not in (None, "tensorflow"):
        return (f"backend {cfg['backend']!r}: packing is built and measured on tensorflow "
                f"only, so {cfg['backend']} runs train one seed at a time")
    if cfg.get("dropout"):
        return "dropout: its masks would come from one random stream for all members"
    reg = cfg.get("regularizer")
    if reg not in (None, "none", "None") and str(reg).split(":")[0] != "none":
        return "kernel regularizer: each member's loss would need its own penalty"
    if cfg.get("batch_norm"):
        return "batch_norm: moving statistics are not stacked"
    if str(cfg.get("optimizer")) in COUPLING_OPTIMIZERS:
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
