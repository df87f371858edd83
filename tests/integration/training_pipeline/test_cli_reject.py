"""A worse challenger is rejected and the champion keeps serving."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tests.conftest import run_cli
from training_pipeline.model import PriceModel
from training_pipeline.registry import LocalRegistry

RunJson = Callable[..., tuple[int, dict[str, Any], str]]  # the run_json fixture


def test_a_worse_challenger_is_rejected_and_the_champion_serves(
    champion_home: Path, sample_dir: Path, tmp_path: Path, run_json: RunJson
) -> None:
    # GIVEN training data whose prices were shuffled against their properties
    train = pd.read_csv(sample_dir / "train.csv")
    train["price"] = np.random.default_rng(0).permutation(train["price"].to_numpy())
    corrupted = tmp_path / "corrupted.csv"
    train.to_csv(corrupted, index=False)

    # WHEN it challenges v0001 with a threshold so loose that only the champion can stop it
    code, summary, progress = run_json(
        champion_home, corrupted, sample_dir / "test.csv", "--max-mae", "1e9"
    )

    # THEN it is registered as rejected because of the champion, which stays deployed
    assert code == 0, progress
    assert summary["status"] == "rejected"
    assert summary["model_version"] == "v0002"
    assert "worse than champion v0001" in summary["reason"]
    assert summary["gate"]["champion"] < summary["gate"]["challenger"]
    registry = LocalRegistry(champion_home)
    assert registry.deployed_version() == "v0001"
    assert registry.get("v0002").status == "rejected"
    assert "kept v0001 serving" in progress
    assert run_cli(champion_home, "models").stdout.splitlines()[0].startswith("* v0001")

    # AND predictions still come from the champion
    out = tmp_path / "scored.csv"
    result = run_cli(
        champion_home, "predict", "--input", str(sample_dir / "test.csv"), "--output", str(out)
    )
    assert "with v0001" in result.stdout
    champion = PriceModel.load(champion_home / "models" / "v0001")
    expected, _ = champion.predict_frame(pd.read_csv(sample_dir / "test.csv"))
    np.testing.assert_allclose(pd.read_csv(out)["predicted_price"], expected.round(1))


def test_a_challenger_far_above_the_threshold_is_rejected_by_it(
    champion_home: Path, sample_dir: Path, tmp_path: Path, run_json: RunJson
) -> None:
    # A model trained on prices 3x too high is wrong by far more than 3,500 UF.
    train = pd.read_csv(sample_dir / "train.csv")
    train["price"] *= 3
    inflated = tmp_path / "inflated.csv"
    train.to_csv(inflated, index=False)

    code, summary, _ = run_json(champion_home, inflated, sample_dir / "test.csv")

    assert code == 0
    assert summary["status"] == "rejected"
    assert "above the threshold 3,500.0 UF" in summary["reason"]
    assert LocalRegistry(champion_home).deployed_version() == "v0001"
