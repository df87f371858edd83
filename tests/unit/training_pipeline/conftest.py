"""Shared unit fixtures: a small model fitted in-process on the synthetic sample."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from training_pipeline.model import ModelParams, PriceModel
from training_pipeline.sample_data import make_sample
from training_pipeline.schema import TARGET
from training_pipeline.training import fit_model


@pytest.fixture(scope="session")
def train_frame() -> pd.DataFrame:
    return make_sample(600, seed=11)


@pytest.fixture(scope="session")
def small_model(train_frame: pd.DataFrame) -> PriceModel:
    # Fewer trees and folds than production: a real model, fitted in about a second.
    return fit_model(
        train_frame,
        train_frame[TARGET],
        ModelParams(iterations=150, depth=6, range_folds=3, stack_iterations=100),
    )


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory, small_model: PriceModel) -> Path:
    """A saved model directory, as the train step leaves it. Treat as read-only."""
    directory = tmp_path_factory.mktemp("model")
    small_model.save(directory)
    return directory


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(frame: pd.DataFrame, name: str = "data.csv") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False)
        return path

    return write
