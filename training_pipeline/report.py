"""An evaluation picture: predicted vs actual, relative error and price range by sector.

matplotlib is imported inside `write_report` so that importing this module (as the
pipeline's evaluate step does) costs nothing until a picture is actually drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

# The error axis spans this percentile of |relative error| (with some air), capped: a
# 20 UF entry error priced at 10,000 UF is +50,000% and would squash every box to a line.
RELATIVE_ERROR_AXIS_PERCENTILE = 99.5
RELATIVE_ERROR_AXIS_CAP = 200.0
# A band around y = x that a reader can use as a ruler for "within 20%".
BAND = 0.2


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def write_report(
    y_true: Sequence[float] | np.ndarray,
    y_pred: Sequence[float] | np.ndarray,
    sectors: Sequence[str] | np.ndarray,
    path: Path,
    title: str,
    price_range: tuple[np.ndarray, np.ndarray, float] | None = None,
) -> Path:
    """Write the PNG to `path` and return it; unscorable (NaN) rows are left out.

    With `price_range` (lows, highs, level) a third panel shows, per sector, how often
    the truth fell in its range and how wide the ranges were.
    """
    import matplotlib

    matplotlib.use("Agg")  # no display on servers, CI or SageMaker
    import matplotlib.pyplot as plt

    truth = np.asarray(y_true, dtype=np.float64)
    pred = np.asarray(y_pred, dtype=np.float64)
    groups = np.asarray(sectors, dtype=str)
    if not len(truth) == len(pred) == len(groups):
        raise ValueError("y_true, y_pred and sectors must have the same length")
    keep = np.isfinite(truth) & np.isfinite(pred)
    truth, pred, groups = truth[keep], pred[keep], groups[keep]
    mae = float(np.mean(np.abs(pred - truth))) if len(truth) else float("nan")

    ratios = [1, 1.25] + ([1.25] if price_range else [])
    fig, axes = plt.subplots(
        1, len(ratios), figsize=(6.5 * len(ratios), 5.5), gridspec_kw={"width_ratios": ratios}
    )
    fig.suptitle(f"{title}\nn = {len(truth):,} rows, MAE = {mae:,.0f} UF", fontsize=13)
    _draw_scatter(axes[0], truth, pred)
    _draw_sector_boxes(axes[1], truth, pred, groups)
    if price_range:
        low, high, level = price_range
        if not len(low) == len(high) == len(keep):
            raise ValueError("price_range lows and highs must have the rows' length")
        _draw_sector_ranges(axes[2], truth, pred, low[keep], high[keep], level, groups)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _draw_scatter(ax: Any, truth: np.ndarray, pred: np.ndarray) -> None:
    # Log axes cannot show a 0 UF price; say how many were left out rather than hide it.
    positive = (truth > 0) & (pred > 0)
    x, y = truth[positive], pred[positive]
    # Many thousands of points overlap: small, translucent markers show the density.
    ax.scatter(x, y, s=6, alpha=0.25, color="tab:blue", edgecolors="none", rasterized=True)
    if len(x):
        low = float(min(x.min(), y.min())) / 1.2
        high = float(max(x.max(), y.max())) * 1.2
        line = np.array([low, high])
        ax.plot(line, line, color="black", linewidth=1, label="y = x (perfect)")
        for factor, label in ((1 + BAND, f"\u00b1{BAND:.0%}"), (1 - BAND, None)):
            ax.plot(line, line * factor, color="gray", linewidth=0.8, linestyle="--", label=label)
        ax.set_xlim(low, high)
        ax.set_ylim(low, high)
        ax.legend(loc="upper left")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("actual price (UF, log scale)")
    ax.set_ylabel("predicted price (UF, log scale)")
    dropped = int((~positive).sum())
    note = f" ({_plural(dropped, 'row')} with a price <= 0 not shown)" if dropped else ""
    ax.set_title(f"Predicted vs actual{note}", fontsize=11)
    ax.grid(True, which="major", alpha=0.3)


def _draw_sector_boxes(ax: Any, truth: np.ndarray, pred: np.ndarray, groups: np.ndarray) -> None:
    valid = truth > 0  # a relative error needs a nonzero truth
    relative = 100.0 * (pred[valid] - truth[valid]) / truth[valid]
    names = sorted(set(groups[valid].tolist()))
    data = [relative[groups[valid] == name] for name in names]
    ax.axhline(0.0, color="black", linewidth=1)
    if names:
        ax.boxplot(
            data,
            # The median absolute error says per sector what the box's spread only hints at.
            tick_labels=[
                f"{name}\nn={len(values):,}\n{np.median(np.abs(values)):.1f}%"
                for name, values in zip(names, data, strict=True)
            ],
            showfliers=True,
            flierprops={"markersize": 2, "alpha": 0.3},
            medianprops={"color": "tab:orange", "linewidth": 2},
        )
    # Keep the boxes readable: a few wild rows should not squash them to a line.
    magnitude = np.abs(relative)
    spread = (
        float(np.percentile(magnitude, RELATIVE_ERROR_AXIS_PERCENTILE)) if len(magnitude) else 0
    )
    limit = float(np.clip(spread * 1.15, 10.0, RELATIVE_ERROR_AXIS_CAP))
    # A positive prediction is never below -100% of the truth.
    ax.set_ylim(-min(limit, 105.0), limit)
    clipped = int((relative > limit).sum() + (relative < -limit).sum())
    note = f" ({_plural(clipped, 'point')} beyond the axis)" if clipped else ""
    ax.set_title(f"Relative error by sector{note}", fontsize=11)
    ax.set_ylabel("relative error (predicted - actual) / actual (%)")
    ax.set_xlabel("sector, rows, median |relative error|")
    ax.tick_params(axis="x", labelsize=9)
    ax.grid(True, axis="y", alpha=0.3)


def _draw_sector_ranges(
    ax: Any,
    truth: np.ndarray,
    pred: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    level: float,
    groups: np.ndarray,
) -> None:
    from training_pipeline.metrics import range_metrics_by

    by_sector = range_metrics_by(groups, truth, pred, low, high)
    names = list(by_sector)
    positions = np.arange(len(names))
    coverage = [100.0 * by_sector[name]["coverage"] for name in names]
    width = [100.0 * by_sector[name]["median_width"] for name in names]
    ax.bar(positions - 0.2, coverage, width=0.4, color="tab:green", label="coverage (%)")
    ax.bar(positions + 0.2, width, width=0.4, color="tab:purple", label="median width (% of price)")
    target = f"{level:.0%} target"
    ax.axhline(100.0 * level, color="black", linewidth=1, linestyle="--", label=target)
    for xs, values in ((positions - 0.2, coverage), (positions + 0.2, width)):
        for x, value in zip(xs, values, strict=True):
            ax.annotate(f"{value:.0f}", (x, value), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(positions, [f"{name}\nn={by_sector[name]['n_rows']:,}" for name in names])
    ax.set_ylim(0, 105)
    ax.set_title(f"{level:.0%} price range by sector", fontsize=11)
    ax.set_xlabel("sector, rows")
    ax.tick_params(axis="x", labelsize=9)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
