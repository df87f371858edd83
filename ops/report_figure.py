"""The prediction report's PNG: one page of six panels drawn from the report's JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def draw(summary: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only: no display here or in a job
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, 3, figsize=(16, 9))
    window = summary["window"]
    latency = summary["latency_ms"]
    failed = summary["failed_log_writes"]
    shown_latency = ", ".join(
        f"{name} {value:.1f}" for name, value in latency.items() if value is not None
    )
    figure.suptitle(
        f"{summary['rows']} predictions, {window['first_day']} to {window['last_day']} "
        f"({summary['source']})\nlatency ms: {shown_latency or 'none'}; failed log writes: "
        f"{'not counted' if failed is None else failed['total']}"
    )

    volume = summary["volume_per_day"]
    _bars(axes[0][0], [day[5:] for day in volume], list(volume.values()), "predictions per day")
    versions = summary["model_versions"]
    _bars(axes[0][1], list(versions), [v["share"] for v in versions.values()], "model versions")
    groups = summary["by_sector_and_type"]
    _bars(
        axes[0][2],
        [f"{g['sector']} / {g['type'][:4]}" for g in groups],
        [g["rows"] for g in groups],
        "answers by sector and type",
        horizontal=True,
    )
    clients = summary["by_client"]
    _bars(axes[1][0], list(clients), list(clients.values()), "answers per client", horizontal=True)

    from matplotlib.ticker import NullFormatter

    histogram = summary["predicted_price"]["histogram"]
    prices = axes[1][1]
    if histogram["counts"]:
        prices.stairs(histogram["counts"], histogram["edges"], fill=True)
        prices.set_xscale("log")
        prices.xaxis.set_minor_formatter(NullFormatter())  # the decades are enough
    prices.set_title("predicted price (UF, log scale)")

    width = summary["range_width"]["histogram"]
    widths = axes[1][2]
    if width["counts"]:
        widths.stairs(width["counts"], [100 * edge for edge in width["edges"]], fill=True)
    widths.set_title("80% range width, % of the price")

    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def _bars(
    axis: Any, labels: list[str], values: list[float], title: str, *, horizontal: bool = False
) -> None:
    if horizontal:
        axis.barh(labels, values)
        axis.invert_yaxis()
    else:
        axis.bar(labels, values)
        axis.tick_params(axis="x", labelrotation=45)
    axis.set_title(title)
