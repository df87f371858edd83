"""`evaluate`: the evaluation processing job's program, in the training image.

Runs steps/evaluate.py on the directories the job definition mounts under
/opt/ml/processing (see layout.py); the gate's arguments (--max-mae,
--champion-version) pass through from the job definition.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from training_pipeline.container.failure import run_reporting_failure
from training_pipeline.container.layout import (
    PROCESSING_CHAMPION,
    PROCESSING_EVALUATION,
    PROCESSING_MODEL,
    PROCESSING_VALIDATION,
    OptMl,
)
from training_pipeline.steps import evaluate


def step_arguments(paths: OptMl, extra: Sequence[str]) -> list[str]:
    return [
        "--model-dir",
        str(paths.processing(PROCESSING_MODEL)),
        "--champion-model-dir",
        str(paths.processing(PROCESSING_CHAMPION)),
        "--validation",
        str(paths.processing(PROCESSING_VALIDATION)),
        "--output-dir",
        str(paths.processing(PROCESSING_EVALUATION)),
        *extra,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    paths = OptMl.from_env()
    arguments = step_arguments(paths, sys.argv[1:] if argv is None else argv)
    return run_reporting_failure(lambda: evaluate.main(arguments), paths.processing_message)


if __name__ == "__main__":
    raise SystemExit(main())
