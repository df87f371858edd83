"""`rollback`: serve an earlier accepted version; refuse a rejected one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import run_cli
from training_pipeline.registry import LocalRegistry

RunJson = Callable[..., tuple[int, dict[str, Any], str]]  # the run_json fixture


def _deployed_marker(home: Path) -> str:
    starred = [line for line in run_cli(home, "models").stdout.splitlines() if line[0] == "*"]
    assert len(starred) == 1
    return starred[0].split()[1]


def _scored_with(home: Path, sample_dir: Path, out: Path) -> str:
    result = run_cli(home, "predict", "--input", str(sample_dir / "test.csv"), "--output", str(out))
    return result.stdout.split(" with ")[1].split()[0]


def test_rollback_to_an_accepted_version(
    champion_home: Path, sample_dir: Path, tmp_path: Path, run_json: RunJson
) -> None:
    # GIVEN a second run on the same data: the same MAE, so not worse, so accepted
    code, summary, _ = run_json(champion_home, sample_dir / "train.csv", sample_dir / "test.csv")
    assert code == 0
    assert summary["status"] == "accepted", summary["reason"]
    assert summary["model_version"] == "v0002"
    assert summary["gate"]["challenger"] == summary["gate"]["champion"]
    assert _deployed_marker(champion_home) == "v0002"
    assert _scored_with(champion_home, sample_dir, tmp_path / "a.csv") == "v0002"

    # WHEN rolling back to v0001
    result = run_cli(champion_home, "rollback", "v0001")

    # THEN models, the pointer and predictions all use v0001
    assert "serving v0001" in result.stdout
    assert _deployed_marker(champion_home) == "v0001"
    assert LocalRegistry(champion_home).deployed_version() == "v0001"
    assert _scored_with(champion_home, sample_dir, tmp_path / "b.csv") == "v0001"


def test_rollback_to_a_rejected_or_unknown_version_fails(
    champion_home: Path, tmp_path: Path
) -> None:
    # GIVEN a rejected v0002 next to the deployed v0001
    registry = LocalRegistry(champion_home)
    registry.register(
        champion_home / "models" / "v0001",
        run_id="run-manual",
        status="rejected",
        metrics={"mae": 9999.0},
        params={},
        fingerprints={},
    )

    # WHEN rolling back to it, or to a version that does not exist
    rejected = run_cli(champion_home, "rollback", "v0002", check=False)
    unknown = run_cli(champion_home, "rollback", "v0099", check=False)

    # THEN both fail with a message and v0001 keeps serving
    assert rejected.returncode != 0
    assert "v0002 is rejected" in rejected.stderr
    assert "only accepted versions deploy" in rejected.stderr
    assert "Traceback" not in rejected.stderr
    assert unknown.returncode != 0
    assert "no model version 'v0099'" in unknown.stderr
    assert registry.deployed_version() == "v0001"


def test_a_run_replaces_a_deployed_model_that_cannot_be_loaded(
    champion_home: Path, sample_dir: Path, run_json: RunJson
) -> None:
    # GIVEN the deployed model's file is noise: the gate has no champion to re-score
    (champion_home / "models" / "v0001" / "model.joblib").write_bytes(b"\x80\x04noise")
    # WHEN a run finishes, THEN it is judged on the threshold alone and deployed
    code, summary, log = run_json(champion_home, sample_dir / "train.csv", sample_dir / "test.csv")
    assert code == 0 and summary["status"] == "accepted", summary
    assert "v0001 cannot be loaded" in log
    assert _deployed_marker(champion_home) == "v0002"
