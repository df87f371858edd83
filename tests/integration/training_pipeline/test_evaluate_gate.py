"""The evaluate step owns the gate: it re-scores the champion and writes gate.py's decision.

The SageMaker condition only reads `gate.accepted` from evaluation.json, so what the
step writes must be exactly what gate.py decides on the same validation data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from contract.resources import NO_CHAMPION_MARKER
from training_pipeline.data import load_dataset
from training_pipeline.gate import decide
from training_pipeline.model import ModelParams, PriceModel
from training_pipeline.steps.evaluate import evaluate, score
from training_pipeline.steps.train import fit_and_save


@pytest.fixture(scope="module")
def shuffled_model(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> Path:
    """A model trained on prices shuffled against their properties: clearly worse."""
    frame = load_dataset(sample_dir / "train.csv")
    frame["price"] = np.random.default_rng(0).permutation(frame["price"].to_numpy())
    directory = tmp_path_factory.mktemp("shuffled")
    fit_and_save(frame, directory, ModelParams(iterations=10, depth=4, stack_iterations=50))
    return directory


def _written(output_dir: Path) -> dict[str, Any]:
    written: dict[str, Any] = json.loads((output_dir / "evaluation.json").read_text())
    return written


def test_without_a_champion_the_gate_judges_the_threshold_alone(
    trained_home: Path, sample_dir: Path, tmp_path: Path
) -> None:
    validation = sample_dir / "test.csv"

    evaluation = evaluate(
        trained_home / "models" / "v0001", validation, tmp_path / "out", max_mae=2000.0
    )

    assert evaluation["champion"] is None
    assert evaluation["gate"] == decide(evaluation["metrics"], None, max_mae=2000.0).as_dict()
    assert _written(tmp_path / "out") == evaluation


def test_the_champion_is_rescored_on_the_same_rows_and_judged_by_gate_py(
    trained_home: Path, shuffled_model: Path, sample_dir: Path, tmp_path: Path
) -> None:
    # GIVEN the deployed v0001 as champion and a worse challenger, a threshold only v0001 meets
    champion_dir, validation = trained_home / "models" / "v0001", sample_dir / "test.csv"
    champion_metrics = score(PriceModel.load(champion_dir), load_dataset(validation)).metrics

    # WHEN the challenger is evaluated against it
    evaluation = evaluate(
        shuffled_model,
        validation,
        tmp_path / "out",
        champion_dir=champion_dir,
        champion_version="v0001",
        max_mae=1e9,
    )

    # THEN both metric sets are written, and the decision is gate.py's on them
    assert evaluation["champion"] == {"version": "v0001", "metrics": champion_metrics}
    expected = decide(
        evaluation["metrics"], champion_metrics, max_mae=1e9, champion_version="v0001"
    )
    assert evaluation["gate"] == expected.as_dict()
    assert evaluation["gate"]["accepted"] is False
    assert "worse than champion v0001" in evaluation["gate"]["reason"]
    assert _written(tmp_path / "out") == evaluation


def test_the_champion_against_itself_is_accepted(
    trained_home: Path, sample_dir: Path, tmp_path: Path
) -> None:
    model_dir = trained_home / "models" / "v0001"

    evaluation = evaluate(
        model_dir, sample_dir / "test.csv", tmp_path / "out", champion_dir=model_dir
    )

    assert evaluation["gate"]["accepted"] is True
    assert evaluation["gate"]["champion"] == evaluation["gate"]["challenger"]


def test_the_no_champion_marker_means_a_first_run(
    trained_home: Path, sample_dir: Path, tmp_path: Path
) -> None:
    # GIVEN the champion input of a first SageMaker run: the marker object alone
    marker_dir = tmp_path / "champion"
    marker_dir.mkdir()
    (marker_dir / NO_CHAMPION_MARKER).write_text("no champion yet")

    evaluation = evaluate(
        trained_home / "models" / "v0001",
        sample_dir / "test.csv",
        tmp_path / "out",
        champion_dir=marker_dir,
        champion_version="s3://bucket/no-champion/NO_CHAMPION",
    )

    assert evaluation["champion"] is None
    assert evaluation["gate"]["champion"] is None
    assert evaluation["gate"]["champion_version"] is None  # the marker names no champion
    assert evaluation["gate"]["accepted"] is True


def test_a_champion_directory_without_a_model_is_an_error(
    trained_home: Path, sample_dir: Path, tmp_path: Path
) -> None:
    # A wrong ChampionModelDataUrl must fail the step, never pass as "no champion".
    wrong = tmp_path / "champion"
    wrong.mkdir()
    (wrong / "notes.txt").write_text("not a model")

    with pytest.raises(FileNotFoundError):
        evaluate(
            trained_home / "models" / "v0001",
            sample_dir / "test.csv",
            tmp_path / "out",
            champion_dir=wrong,
        )
