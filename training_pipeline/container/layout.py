"""The /opt/ml layout SageMaker mounts into the container, in one place.

The pipeline definition takes its processing paths from here and the entry points
read and write the same ones. $PVP_OPT_ML moves the root, so tests run the entry
points as plain processes against a temporary directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from contract.environment import OPT_ML

# SageMaker's own root; the pipeline definition names paths under it.
DEFAULT_ROOT: Final = PurePosixPath(OPT_ML.default)

# Training job: channels SageMaker downloads, and the directory it tars into model.tar.gz.
TRAIN_CHANNEL: Final = "train"
# Processing job (the evaluate step): where each input lands and the output is collected.
PROCESSING_MODEL: Final = "model"
PROCESSING_CHAMPION: Final = "champion"
PROCESSING_VALIDATION: Final = "validation"
PROCESSING_EVALUATION: Final = "evaluation"


def processing_path(name: str) -> str:
    """A processing input or output directory as the job definition names it."""
    return str(DEFAULT_ROOT / "processing" / name)


@dataclass(frozen=True)
class OptMl:
    root: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OptMl:
        env = os.environ if env is None else env
        return cls(Path(OPT_ML.read(env)))

    def channel(self, name: str) -> Path:
        return self.root / "input" / "data" / name

    @property
    def hyperparameters(self) -> Path:
        return self.root / "input" / "config" / "hyperparameters.json"

    @property
    def model(self) -> Path:
        return self.root / "model"

    def processing(self, name: str) -> Path:
        return self.root / "processing" / name

    @property
    def training_failure(self) -> Path:
        """SageMaker shows this file's first 1 KiB as the training job's FailureReason."""
        return self.root / "output" / "failure"

    @property
    def processing_message(self) -> Path:
        """SageMaker shows this file's first 1 KiB as the processing job's ExitMessage."""
        return self.root / "output" / "message"
