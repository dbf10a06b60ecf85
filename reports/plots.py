"""Matplotlib figures of runs, built with the object API (no pyplot state).

Each function takes DataFrames from `reports.data` / `reports.stats` and
returns a `matplotlib.figure.Figure` (or None when there is nothing to plot);
`to_base64` turns one into a PNG that an HTML page embeds inline. Figures are
rendered with the Agg canvas, so no display is needed.
"""

from __future__ import annotations

import base64
import io
import math

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from reports import stats

SIZE = (6.4, 3.6)


def _figure(ncols: int = 1) -> tuple[Figure, list]:
    fig = Figure(figsize=(SIZE[0] * (1 if ncols == 1 else 0.75 * ncols), SIZE[1]),
                 layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    for ax in axes:
        ax.grid(True, alpha=0.3)
    return fig, list(axes)


def to_base64(fig: Figure, dpi: int = 80) -> str:
    """The figure as a base64-encoded PNG (for `<img src="data:image/png;base64,...">`)."""
    for text in fig.findobj(Text):  # user strings such as "$5" are not math
        text.set_parse_math(False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def label(value) -> str:
    """A short display label for an axis value (1e-3 stays 0.001, None is 'none')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def order_values(values) -> list:
    """Axis values in a natural order: numbers ascending, then strings ("full" last)."""
    uniq = list(dict.fromkeys(values))
    nums = sorted((v for v in uniq if isinstance(v, (int, float)) and not isinstance(v, bool)
                   and not (isinstance(v, float) and math.isnan(v))), key=float)
    rest = sorted((v for v in uniq if v not in nums), key=lambda v: (str(v) == "full", str(v)))
    return nums + rest


def learning_curves(epochs: pd.DataFrame, by: str | list[str], metric: str,
                    max_lines: int = 12) -> Figure | None:
    """Mean ± std (over seeds) of `metric` per epoch, one line per value of `by`."""
    by = [by] if isinstance(by, str) else list(by)
    data = epochs[(epochs["metric"] == metric) & np.isfinite(epochs["value"])]
    if data.empty:
        return None
    fig, (ax,) = _figure()
    keys = data.assign(_label=data[by].apply(
        lambda r: ", ".join(label(v) for v in r), axis=1))
    for i, (name, group) in enumerate(keys.groupby("_label", sort=True)):
        if i >= max_lines:
            break
        curve = group.groupby("epoch")["value"].agg(["mean", "std"]).fillna({"std": 0.0})
        line, = ax.plot(curve.index, curve["mean"], label=name, marker="." if len(curve) < 4
                        else None)
        ax.fill_between(curve.index, curve["mean"] - curve["std"], curve["mean"] + curve["std"],
                        color=line.get_color(), alpha=0.2)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    if "loss" in metric and (data["value"] > 0).all():
        ax.set_yscale("log")
    ax.set_title(f"{metric}: mean ± std over seeds")
    ax.legend(fontsize="small", title=", ".join(by), title_fontsize="small")
    return fig


def bars(summary: pd.DataFrame, axis: str, metric: str) -> Figure | None:
    """Bars of an `aggregate` table: mean with its 95% CI per value of `axis`."""
    table = summary[summary["n"] > 0]
    if table.empty:
        return None
    fig, (ax,) = _figure()
    names = [label(v) for v in table[axis]]
    ax.bar(names, table["mean"], yerr=table["ci"].fillna(0.0), capsize=4, color="#4c72b0")
    ax.set_xlabel(axis)
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} by {axis} (mean, 95% CI)")
    ax.tick_params(axis="x", rotation=30)
    return fig


def heatmap(table: pd.DataFrame, metric: str) -> Figure | None:
    """A pivot table (rows x columns of means) as an annotated heatmap."""
    values = table.to_numpy(dtype=float)
    if values.size == 0 or not np.isfinite(values).any():
        return None
    fig, (ax,) = _figure()
    ax.grid(False)
    image = ax.imshow(values, aspect="auto", cmap="viridis")
    ax.set_xticks(range(values.shape[1]), [label(v) for v in table.columns], rotation=30)
    ax.set_yticks(range(values.shape[0]), [label(v) for v in table.index])
    ax.set_xlabel(table.columns.name)
    ax.set_ylabel(table.index.name)
    finite = values[np.isfinite(values)]
    middle = (finite.min() + finite.max()) / 2
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, "no runs" if not np.isfinite(v) else f"{v:.3g}", ha="center",
                va="center", fontsize="small",
                color="black" if not np.isfinite(v) or v > middle else "white")
    fig.colorbar(image, ax=ax, label=metric)
    ax.set_title(f"mean {metric}")
    return fig


def lr_sensitivity(runs: pd.DataFrame, metric: str, by: str | None = None) -> Figure | None:
    """`metric` (mean, 95% CI) against the learning rate on a log axis."""
    data = runs[pd.to_numeric(runs.get("learning_rate"), errors="coerce").notna()]
    if data.empty:
        return None
    data = data.assign(learning_rate=pd.to_numeric(data["learning_rate"]).astype(float))
    fig, (ax,) = _figure()
    groups = data.groupby(by, dropna=False) if by else [("all", data)]
    for name, group in groups:
        table = stats.aggregate(group, "learning_rate", metric).sort_values("learning_rate")
        table = table[table["n"] > 0]
        ax.errorbar(table["learning_rate"], table["mean"], yerr=table["ci"].fillna(0.0),
                    marker="o", capsize=3, label=label(name[0] if isinstance(name, tuple)
                                                       else name))
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} vs learning rate (mean, 95% CI)")
    if by:
        ax.legend(fontsize="small", title=by, title_fontsize="small")
    return fig


def grad_norms(grads: pd.DataFrame, by: str = "activation") -> Figure | None:
    """Per-layer gradient norm at the last epoch (mean over seeds), log y, one
    line per value of `by` (e.g. activation)."""
    if grads.empty or by not in grads:
        return None
    last = grads[grads["epoch"] == grads.groupby("run_id")["epoch"].transform("max")]
    last = last[np.isfinite(last["norm"]) & (last["norm"] > 0)]
    if last.empty:
        return None
    fig, (ax,) = _figure()
    for name, group in last.groupby(by):
        curve = group.groupby("layer_index")["norm"].agg(["mean", "min", "max"])
        line, = ax.plot(curve.index, curve["mean"], marker="o", label=label(name))
        ax.fill_between(curve.index, curve["min"], curve["max"], color=line.get_color(),
                        alpha=0.15)
    ax.set_yscale("log")
    ax.set_xlabel("layer index (0 = input side)")
    ax.set_ylabel("gradient L2 norm (last epoch)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"Per-layer gradient norms by {by}\n(mean, min-max band over seeds)",
                 fontsize="medium")
    ax.legend(fontsize="small", title=by, title_fontsize="small")
    return fig


def batch_size_tradeoff(runs: pd.DataFrame, accuracy: str = "test_accuracy") -> Figure | None:
    """Throughput (samples/s) and accuracy against batch size, mean and 95% CI."""
    if "batch_size" not in runs:
        return None
    order = order_values(runs["batch_size"].dropna().tolist())
    fig, axes = _figure(2)
    for ax, metric in zip(axes, ("samples_per_sec", accuracy)):
        if metric not in runs:
            continue
        table = stats.aggregate(runs, "batch_size", metric).set_index("batch_size")
        table = table.reindex(order)
        ax.errorbar(range(len(order)), table["mean"], yerr=table["ci"].fillna(0.0), marker="o",
                    capsize=3)
        ax.set_xticks(range(len(order)), [label(v) for v in order])
        ax.set_xlabel("batch size")
        ax.set_ylabel(metric)
        if metric == "samples_per_sec" and (table["mean"] > 0).all():
            ax.set_yscale("log")
    fig.suptitle("Throughput and accuracy vs batch size (mean, 95% CI)")
    return fig


def gen_gap(runs: pd.DataFrame, by: str, accuracy: str = "best_val_accuracy") -> Figure | None:
    """Generalization gap and validation accuracy per value of `by` (e.g. regularizer)."""
    if by not in runs or "gen_gap" not in runs:
        return None
    fig, axes = _figure(2)
    for ax, metric in zip(axes, ("gen_gap", accuracy)):
        if metric not in runs:
            continue
        table = stats.aggregate(runs, by, metric)
        ax.bar([label(v) for v in table[by]], table["mean"], yerr=table["ci"].fillna(0.0),
               capsize=4, color="#55a868" if metric != "gen_gap" else "#c44e52")
        ax.set_ylabel(metric)
        ax.set_xlabel(by)
        ax.tick_params(axis="x", rotation=30)
    fig.suptitle(f"Generalization gap and validation accuracy by {by} (mean, 95% CI)")
    return fig


def performance_profile(profile: pd.DataFrame, what: str = "time to target") -> Figure | None:
    """Step curves of a `stats.performance_profile` table (rho vs tau, log x)."""
    if profile.empty:
        return None
    fig, (ax,) = _figure()
    for method in profile.columns:
        ax.step(profile.index, profile[method], where="post", label=label(method))
    if profile.index.max() > 10:
        ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("tau (ratio to the best method)")
    ax.set_ylabel("fraction of problems within tau")
    ax.set_title(f"Performance profile: {what}")
    ax.legend(fontsize="small")
    return fig


def panels(runs: pd.DataFrame, by: str, metrics: list[str], title: str = "",
           order: list | None = None) -> Figure | None:
    """One bar panel per metric: mean and 95% CI for each value of `by`."""
    metrics = [m for m in metrics if m in runs]
    if by not in runs or not metrics:
        return None
    order = order or order_values(runs[by].dropna().tolist())
    fig, axes = _figure(len(metrics))
    for ax, metric in zip(axes, metrics):
        table = stats.aggregate(runs, by, metric).set_index(by).reindex(order)
        ax.bar([label(v) for v in order], table["mean"], yerr=table["ci"].fillna(0.0),
               capsize=4, color="#4c72b0")
        ax.set_ylabel(metric)
        ax.set_xlabel(by)
        ax.tick_params(axis="x", rotation=30)
    fig.suptitle(title or f"{', '.join(metrics)} by {by} (mean, 95% CI)")
    return fig


def sample_grid(samples: list, shape: list, columns: int = 4) -> Figure | None:
    """Generated samples in a grid: images as grey pictures, 1-D signals as lines.

    Args:
        samples: Flattened samples (lists of floats), e.g. a record's
            `generation["samples"]`.
        shape: One sample's shape: `(H, W, C)` for images, `(L, C)` for signals.
        columns: Samples per row. Defaults to 4.

    Example:

    >>> sample_grid([[0.0] * 64] * 16, [8, 8, 1])
    <Figure ...>
    """
    x = np.asarray(samples, dtype=float)
    if not len(x):
        return None
    x = x.reshape((len(x), *shape))
    rows = math.ceil(len(x) / columns)
    fig = Figure(figsize=(columns * 0.9, rows * 0.9), layout="constrained")
    FigureCanvasAgg(fig)
    for i, ax in enumerate(fig.subplots(rows, columns, squeeze=False).ravel()):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= len(x):
            ax.axis("off")
        elif len(shape) == 3:
            image = x[i] if shape[-1] in (3, 4) else x[i][..., 0]
            ax.imshow(np.clip(image, 0, 1), cmap="gray_r", vmin=0, vmax=1)
        else:
            ax.plot(x[i].reshape(len(x[i]), -1), linewidth=0.8)
    return fig


def forest(rows: pd.DataFrame, title: str = "") -> Figure | None:
    """A forest plot of claims: each comparison's margin in the claim's favour
    with its 95% CI, in units of the claim's declared smallest effect (so the
    effect is at +-1 for every claim), coloured by the claim's verdict.

    Args:
        rows: `reports.findings.forest_rows` output: `label, verdict, margin,
            low, high, effect` (margins in the metric's unit).
        title: Figure title.

    Returns:
        The Figure, or None without a row.
    """
    if rows is None or rows.empty:
        return None
    colours = {"supported": "#2e7d32", "not supported": "#c62828", "inconclusive": "#757575"}
    fig = Figure(figsize=(8.5, 0.28 * len(rows) + 1.4), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    y = np.arange(len(rows))[::-1]
    scale = rows["effect"].astype(float).to_numpy()
    for yi, (_, r), s in zip(y, rows.iterrows(), scale):
        colour = colours.get(r["verdict"], "black")
        ax.plot([r["low"] / s, r["high"] / s], [yi, yi], color=colour, lw=2)
        ax.plot([r["margin"] / s], [yi], "o", color=colour, ms=5)
    for x, style in ((0, "-"), (1, "--"), (-1, "--")):
        ax.axvline(x, color="black", ls=style, lw=0.8, alpha=0.7)
    ax.set_xscale("symlog", linthresh=2)
    lo = min(-2.0, float(np.nanmin(rows["low"] / scale)))
    hi = max(2.0, float(np.nanmax(rows["high"] / scale)))
    ticks = [t for t in (-1000, -100, -10, -1, 0, 1, 10, 100, 1000) if lo <= t <= hi]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])  # plain text: to_base64 turns math off
    ax.set_yticks(y)
    ax.set_yticklabels(rows["label"], fontsize=7)
    ax.set_xlabel("margin in the claim's favour / declared smallest effect (95% CI; dashed: "
                  "+-effect; symlog)", fontsize=8)
    handles = [ax.plot([], [], "o-", color=c, label=v)[0] for v, c in colours.items()]
    ax.legend(handles=handles, fontsize=7, loc="lower right")
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(title, fontsize=9)
    return fig
