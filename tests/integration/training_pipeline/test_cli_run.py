"""`run` end to end in a subprocess: a first accepted run, and the gate's threshold."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import run_cli
from training_pipeline.registry import LocalRegistry
from training_pipeline.schema import KNOWN_SECTORS

METRIC_NAMES = {"rmse", "mae", "mape", "median_ape", "r2", "n_rows"}
RunJson = Callable[..., tuple[int, dict[str, Any], str]]  # the run_json fixture
STEPS = ("validate", "train", "evaluate", "gate", "register", "deploy", "record")


def test_an_accepted_first_run_deploys(tmp_path: Path, sample_dir: Path, run_json: RunJson) -> None:
    # GIVEN an empty home
    home = tmp_path / "home"

    # WHEN a run trains on the sample
    code, summary, progress = run_json(home, sample_dir / "train.csv", sample_dir / "test.csv")

    # THEN it is accepted, registered as v0001 and deployed
    assert code == 0, progress
    assert summary["status"] == "accepted"
    assert summary["model_version"] == "v0001"
    assert summary["run_id"].startswith("run-")
    assert summary["reason"] is None
    metrics = summary["metrics"]
    assert set(metrics) >= METRIC_NAMES
    assert metrics["n_rows"] == 400
    assert 0 < metrics["mae"] < 3500
    assert metrics["rmse"] >= metrics["mae"]
    assert 0 < metrics["mape"] < 50
    assert metrics["r2"] > 0.5
    assert LocalRegistry(home).deployed_version() == "v0001"

    # AND the evaluation artifacts exist, matching the summary
    evaluation_dir = home / "runs" / summary["run_id"] / "evaluation"
    evaluation = json.loads((evaluation_dir / "evaluation.json").read_text())
    assert evaluation["metrics"]["mae"] == metrics["mae"]
    assert (evaluation_dir / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # AND it reports how often the 80% range held the true price, and how wide it was
    price_range = evaluation["price_range"]
    assert price_range["level"] == 0.8
    assert price_range["n_rows"] == 400
    assert 0.65 < price_range["coverage"] < 0.95
    assert 0 < price_range["median_width"] < 1
    assert set(price_range["by_type"]) == {"casa", "departamento"}
    assert sum(g["n_rows"] for g in price_range["by_type"].values()) == 400
    assert set(price_range["by_sector"]) == set(KNOWN_SECTORS)

    # AND each step announced itself (on stderr, since stdout ends with the JSON line)
    for number, step in enumerate(STEPS, start=1):
        assert f"[{number}/{len(STEPS)}] {step}" in progress
        assert f"{step} done in" in progress
    assert "serving v0001" in progress


def test_the_shared_home_lists_its_accepted_run(trained_home: Path) -> None:
    runs = run_cli(trained_home, "runs").stdout.splitlines()
    models = run_cli(trained_home, "models").stdout

    assert len(runs) == 1
    assert "accepted" in runs[0]
    assert "v0001" in runs[0]
    assert models.startswith("* v0001  accepted")


def test_a_threshold_below_any_real_error_rejects(
    tmp_path: Path, sample_dir: Path, run_json: RunJson
) -> None:
    home = tmp_path / "home"

    code, summary, _ = run_json(
        home,
        sample_dir / "train.csv",
        sample_dir / "test.csv",
        "--max-mae",
        "1",
        "--params",
        '{"iterations": 40}',
    )

    assert code == 0
    assert summary["status"] == "rejected"
    assert "threshold 1.0 UF" in summary["reason"]
    assert summary["gate"]["threshold"] == 1.0
    assert summary["model_version"] == "v0001"
    registry = LocalRegistry(home)
    assert registry.get("v0001").status == "rejected"
    # AND --params reached the model, over $PVP_MODEL_PARAMS, and was recorded with it
    assert registry.get("v0001").params["iterations"] == 40
    assert registry.deployed_version() is None
    predict = run_cli(
        home,
        "predict",
        "--input",
        str(sample_dir / "test.csv"),
        "--output",
        str(tmp_path / "out.csv"),
        check=False,
    )
    assert predict.returncode != 0
    assert "no model is deployed" in predict.stderr
