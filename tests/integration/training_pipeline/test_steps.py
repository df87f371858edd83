"""The SageMaker step scripts as a container runs them: env vars, channels, model.tar.gz."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, cli_env
from training_pipeline.model import ModelParams, PriceModel, pack_model

METRIC_NAMES = {"rmse", "mae", "mape", "median_ape", "r2", "n_rows"}


def _step(home: Path, module: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", f"training_pipeline.steps.{module}", *args],
        cwd=REPO_ROOT,
        env={**cli_env(home), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{module} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def trained_step(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> Path:
    """$SM_MODEL_DIR after `steps.train` read $SM_CHANNEL_TRAIN with 20 trees."""
    root = tmp_path_factory.mktemp("sagemaker")
    channel, model_dir = root / "input" / "data" / "train", root / "model"
    channel.mkdir(parents=True)
    shutil.copy(sample_dir / "train.csv", channel / "train.csv")
    _step(
        root,
        "train",
        "--iterations",
        "20",
        "--depth",
        "4",
        SM_CHANNEL_TRAIN=str(channel),
        SM_MODEL_DIR=str(model_dir),
    )
    return model_dir


def test_train_writes_the_model_with_its_hyperparameters(trained_step: Path) -> None:
    params = json.loads((trained_step / "params.json").read_text())
    booster = PriceModel.load(trained_step).estimator.booster

    assert params["iterations"] == 20
    assert params["depth"] == 4
    # WHEN a hyperparameter is not given, THEN the model's default is recorded
    assert params["learning_rate"] == ModelParams().learning_rate
    assert booster.tree_count_ == 20
    assert booster.get_params()["depth"] == 4


def _evaluate(model_dir: Path, validation: Path, output_dir: Path) -> dict[str, float]:
    _step(
        output_dir.parent,
        "evaluate",
        "--model-dir",
        str(model_dir),
        "--validation",
        str(validation),
        "--output-dir",
        str(output_dir),
    )
    assert (output_dir / "report.png").is_file()
    metrics: dict[str, float] = json.loads((output_dir / "evaluation.json").read_text())["metrics"]
    return metrics


def test_evaluate_writes_metrics_for_an_unpacked_model(
    trained_step: Path, sample_dir: Path, tmp_path: Path
) -> None:
    channel = tmp_path / "validation"
    channel.mkdir()
    shutil.copy(sample_dir / "test.csv", channel / "test.csv")

    metrics = _evaluate(trained_step, channel, tmp_path / "evaluation")

    assert set(metrics) >= METRIC_NAMES
    assert metrics["n_rows"] == 400
    assert metrics["n_unscored"] == 0
    assert 0 < metrics["mae"] < 3500


def test_evaluate_unpacks_model_tar_gz(
    trained_step: Path, sample_dir: Path, tmp_path: Path
) -> None:
    # GIVEN the model as a training job leaves it: model.tar.gz with the files at its root
    packed = tmp_path / "model"
    packed.mkdir()
    pack_model(trained_step, packed / "model.tar.gz")

    # WHEN evaluated from it and from the unpacked files
    from_tar = _evaluate(packed, sample_dir / "test.csv", tmp_path / "out_tar" / "evaluation")
    plain = _evaluate(trained_step, sample_dir / "test.csv", tmp_path / "out" / "evaluation")

    # THEN the metrics are the same
    assert from_tar == plain
    assert from_tar["n_rows"] == 400


def test_evaluate_never_picks_the_training_file(
    trained_step: Path, sample_dir: Path, tmp_path: Path
) -> None:
    metrics = _evaluate(trained_step, sample_dir, tmp_path / "evaluation")

    assert metrics["n_rows"] == 400
