"""A challenger that cannot price most validation rows must not replace the champion."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from training_pipeline.registry import LocalRegistry

RunJson = Callable[..., tuple[int, dict[str, Any], str]]  # the run_json fixture


def test_a_one_sector_challenger_is_not_deployed(
    champion_home: Path, sample_dir: Path, tmp_path: Path, run_json: RunJson
) -> None:
    # GIVEN a training file with only La Reina, the cheapest sector (160 rows)
    train = pd.read_csv(sample_dir / "train.csv")
    one_sector = tmp_path / "la_reina.csv"
    train[train["sector"] == "la reina"].to_csv(one_sector, index=False)

    # WHEN it challenges v0001, which prices all six sectors
    code, summary, _ = run_json(champion_home, one_sector, sample_dir / "test.csv")

    # THEN (today) it scores ~10% of the validation rows, wins on their MAE and deploys
    assert code == 0
    assert summary["metrics"]["n_unscored"] > 0
    assert summary["status"] == "rejected"
    assert LocalRegistry(champion_home).deployed_version() == "v0001"
