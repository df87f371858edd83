"""The evaluation picture is a real PNG, drawn from synthetic numbers only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training_pipeline.report import write_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _synthetic(n_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    truth = np.exp(rng.normal(9.0, 0.6, n_rows))
    pred = truth * np.exp(rng.normal(0.0, 0.15, n_rows))
    sectors = rng.choice(["alpha", "beta", "gamma"], n_rows)
    return truth, pred, sectors


def test_writes_a_png(tmp_path: Path) -> None:
    truth, pred, sectors = _synthetic(500)
    out = write_report(truth, pred, sectors, tmp_path / "plots" / "eval.png", "synthetic")

    assert out == tmp_path / "plots" / "eval.png"
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    # Two panels of 500 points are far bigger than an empty canvas.
    assert out.stat().st_size > 20_000


def test_tolerates_unscorable_and_zero_prices(tmp_path: Path) -> None:
    truth, pred, sectors = _synthetic(200)
    truth[0] = 0.0  # a data-entry error: no log position, no relative error
    pred[1] = np.nan  # a row the model could not score

    out = write_report(truth, pred, sectors, tmp_path / "eval.png", "with gaps")

    assert out.read_bytes()[:8] == PNG_SIGNATURE


def test_draws_the_price_range_panel_when_given_ranges(tmp_path: Path) -> None:
    truth, pred, sectors = _synthetic(500)
    plain = write_report(truth, pred, sectors, tmp_path / "plain.png", "synthetic")

    ranged = write_report(
        truth,
        pred,
        sectors,
        tmp_path / "ranged.png",
        "synthetic",
        price_range=(pred * 0.85, pred * 1.15, 0.8),
    )

    assert ranged.read_bytes()[:8] == PNG_SIGNATURE
    # A third panel makes a wider picture.
    assert _png_width(ranged) > _png_width(plain)


def _png_width(path: Path) -> int:
    return int.from_bytes(path.read_bytes()[16:20], "big")


def test_rejects_mismatched_lengths(tmp_path: Path) -> None:
    truth, pred, sectors = _synthetic(10)
    with pytest.raises(ValueError, match="same length"):
        write_report(truth, pred[:-1], sectors, tmp_path / "eval.png", "bad")
