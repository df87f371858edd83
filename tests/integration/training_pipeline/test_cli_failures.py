"""Runs on bad input fail recorded, with a message naming the problem; nothing else moves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from tests.conftest import run_cli
from training_pipeline.registry import LocalRegistry

RunJson = Callable[..., tuple[int, dict[str, Any], str]]  # the run_json fixture


def _assert_failed_and_untouched(home: Path, summary: dict[str, Any]) -> None:
    runs = run_cli(home, "runs").stdout
    line = next(line for line in runs.splitlines() if line.startswith(summary["run_id"]))
    assert " failed " in line
    registry = LocalRegistry(home)
    assert registry.deployed_version() == "v0001"
    assert [m.version for m in registry.list()] == ["v0001"]
    assert (home / "runs" / summary["run_id"] / "error.txt").is_file()


def test_a_missing_column_fails_naming_it(
    champion_home: Path, sample_dir: Path, tmp_path: Path, run_json: RunJson
) -> None:
    train = tmp_path / "no_sector.csv"
    pd.read_csv(sample_dir / "train.csv").drop(columns=["sector"]).to_csv(train, index=False)

    code, summary, progress = run_json(champion_home, train, sample_dir / "test.csv")

    assert code != 0
    assert summary["status"] == "failed"
    assert summary["model_version"] is None
    assert summary["reason"].startswith("validate failed")
    assert "'sector'" in summary["reason"]
    assert "missing" in summary["reason"]
    assert "sector" in progress
    _assert_failed_and_untouched(champion_home, summary)


def test_a_missing_file_fails_naming_it(
    champion_home: Path, sample_dir: Path, tmp_path: Path, run_json: RunJson
) -> None:
    missing = tmp_path / "not_there.csv"

    code, summary, _ = run_json(champion_home, sample_dir / "train.csv", missing)

    assert code != 0
    assert summary["status"] == "failed"
    assert "file not found" in summary["reason"]
    assert str(missing) in summary["reason"]
    _assert_failed_and_untouched(champion_home, summary)


def test_a_bad_value_fails_naming_column_and_line(
    champion_home: Path, sample_dir: Path, tmp_path: Path, run_json: RunJson
) -> None:
    frame = pd.read_csv(sample_dir / "train.csv").astype({"latitude": object})
    frame.loc[41, "latitude"] = "-33,45"
    train = tmp_path / "comma.csv"
    frame.to_csv(train, index=False)

    code, summary, _ = run_json(champion_home, train, sample_dir / "test.csv")

    assert code != 0
    assert "'latitude'" in summary["reason"]
    assert "first bad lines: 43" in summary["reason"]
    _assert_failed_and_untouched(champion_home, summary)
