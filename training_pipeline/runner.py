"""The local runner: one training run, step by step, recorded whatever happens.

validate -> train -> evaluate -> gate -> register -> deploy -> record, the same steps
the SageMaker pipeline runs, calling the same step functions.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from contract.vocabulary import STEPS, utc_now
from training_pipeline.data import fingerprint, load_dataset
from training_pipeline.gate import DEFAULT_MAX_MAE
from training_pipeline.locations import as_local_path
from training_pipeline.model import ModelParams
from training_pipeline.registry import LocalRegistry
from training_pipeline.run_log import RunLog, RunRecord, new_run_id
from training_pipeline.steps.evaluate import evaluate
from training_pipeline.steps.train import MIN_TRAIN_ROWS, fit_and_save


class _Steps:
    """Announces each step, times it and remembers which one is running."""

    def __init__(self, runs: RunLog, run_id: str, say: Callable[[str], None]) -> None:
        self.runs, self.run_id, self.say = runs, run_id, say
        self.current = "start"
        self._started = time.perf_counter()

    def enter(self, step: str) -> None:
        self.done()
        self.current, self._started = step, time.perf_counter()
        self.runs.update(self.run_id, step=step)
        self.say(f"[{STEPS.index(step) + 1}/{len(STEPS)}] {step} ...")

    def done(self) -> None:
        if self.current != "start":
            self.say(f"      {self.current} done in {time.perf_counter() - self._started:.2f}s")


def run_pipeline(
    home: Path,
    train: str | Path,
    validation: str | Path,
    *,
    run_id: str | None = None,
    params: ModelParams | None = None,
    max_mae: float = DEFAULT_MAX_MAE,
    say: Callable[[str], None] = print,
) -> RunRecord:
    run_id = run_id or new_run_id()
    params = params or ModelParams()
    runs, registry = RunLog(home), LocalRegistry(home)
    # The pid lets a launcher tell this run from one whose process died (run_slots).
    runs.create(run_id, str(train), str(validation), pid=os.getpid())
    workdir = home / "runs" / run_id
    runs.update(run_id, status="running", artifacts_dir=str(workdir), pid=os.getpid())
    steps = _Steps(runs, run_id, say)
    try:
        steps.enter("validate")
        train_path, validation_path = as_local_path(train), as_local_path(validation)
        frame = load_dataset(train_path, min_rows=MIN_TRAIN_ROWS)
        load_dataset(validation_path)  # fail here, before training, on a bad validation file
        fingerprints = {
            "train": fingerprint(train_path),
            "validation": fingerprint(validation_path),
        }

        steps.enter("train")
        fit_and_save(frame, workdir / "model", params)

        steps.enter("evaluate")
        # The evaluate step re-scores the champion and decides, as it does on SageMaker.
        champion_version, champion_dir = registry.deployed_location() or (None, None)
        evaluation = evaluate(
            workdir / "model",
            validation_path,
            workdir / "evaluation",
            champion_dir=champion_dir,
            champion_version=champion_version,
            max_mae=max_mae,
        )
        metrics, gate = evaluation["metrics"], evaluation["gate"]
        runs.update(run_id, metrics=metrics)

        steps.enter("gate")
        status = "accepted" if gate["accepted"] else "rejected"
        say(f"      {status}: {gate['reason']}")
        runs.update(run_id, gate=gate)

        steps.enter("register")
        version = registry.register(
            workdir / "model",
            run_id=run_id,
            status=status,
            metrics=metrics,
            params=params.as_dict(),
            fingerprints=fingerprints,
        ).version

        steps.enter("deploy")
        if gate["accepted"]:
            registry.deploy(version)
            say(f"      serving {version}")
        else:
            say(f"      kept {registry.deployed_version() or 'nothing'} serving")

        steps.enter("record")
        runs.update(
            run_id,
            status=status,
            finished_at=utc_now(),
            model_version=version,
            reason=None if gate["accepted"] else gate["reason"],
        )
        steps.done()
    except Exception as exc:  # any failure ends the run recorded, the champion untouched
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "error.txt").write_text(traceback.format_exc())
        reason = f"{steps.current} failed: {exc}"
        runs.update(run_id, status="failed", finished_at=utc_now(), reason=reason)
        say(f"      {reason}")
    record = runs.get(run_id)
    assert record is not None
    return record
