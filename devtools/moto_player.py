"""`make run-moto`'s stand-in for SageMaker Pipelines: plays each execution moto starts.

moto records an execution and calls it Succeeded at once, running no step. The player
watches the stage's executions and, for each new one, does what the real pipeline does
with the same code and the same shapes: the image's `train` and `evaluate` programs as
plain processes on an /opt/ml laid out as SageMaker mounts it (the parameters the
launcher passed, the definition's defaults for the rest), artifacts to the bucket,
the model registered in the Model Package Group, then the real deploy callback or
rejection record, in process, with the step's event.

Simulated, and said so: (1) moto has no UpdateEndpoint, so the callback's update is
done as DeleteEndpoint + CreateEndpoint on the new config (SageMaker swaps without a
gap); (2) the endpoint is the local model server, restarted on the new model when the
callback deployed it (a second or two without an answer); (3) each step and a step's failure are
written to the run table as the status reader would read them from SageMaker, since
moto cannot make an execution run or fail; until the player picks a new run up (it
looks five times a second) the run reads as moto has it: failed, "the pipeline
finished without recording its outcome".
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chalice_app.aws.clients import AwsClients, fixed
from chalice_app.aws.training import s3_location
from chalice_app.config import AwsSettings
from contract import pipeline
from contract.environment import OPT_ML
from contract.vocabulary import execution_id_of, utc_now
from devtools.moto_pipeline import after_evaluation, definition_image
from devtools.moto_resources import pipeline_targets

log = logging.getLogger(__name__)

BIN = Path(__file__).resolve().parents[1] / "training_pipeline" / "container" / "bin"
Deployed = Callable[[str, Path], None]  # (version, model directory) now served
POLL_SECONDS = 0.2


class UpdateByReplacing:
    """moto's client, with UpdateEndpoint done as delete + create (see the top)."""

    def __init__(self, moto: Any) -> None:
        self._moto = moto

    def update_endpoint(self, *, EndpointName: str, EndpointConfigName: str) -> Any:
        self._moto.delete_endpoint(EndpointName=EndpointName)
        return self._moto.create_endpoint(
            EndpointName=EndpointName, EndpointConfigName=EndpointConfigName
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._moto, name)


class _Clients:
    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients
        self._sagemaker = UpdateByReplacing(clients.get("sagemaker"))

    def source(self, service: str) -> Any:
        if service == "sagemaker":
            return fixed(self._sagemaker)
        return self._clients.source(service)


class PipelinePlayer:
    def __init__(
        self,
        clients: AwsClients,
        settings: AwsSettings,
        env: dict[str, str],
        work: Path,
        deployed: Deployed,
    ) -> None:
        self._clients, self._settings, self._env = clients, settings, env
        self._work, self._deployed = work, deployed
        self._targets = pipeline_targets(settings)
        self._seen: set[str] = set()
        self._stop = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._loop, name="pipeline-player", daemon=True)

    def __enter__(self) -> PipelinePlayer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()  # a step of a run being played: nothing outlives run-moto
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        # Often: until the player records a run as running, the status route reads it
        # as moto has it (Succeeded at once, no outcome recorded: failed).
        while not self._stop.wait(POLL_SECONDS):
            for arn in self._executions():
                if arn not in self._seen:
                    self._seen.add(arn)
                    try:
                        self.play(arn)
                    except Exception as exc:  # one broken run must not stop the stand-in
                        log.exception("could not play %s", arn)
                        self._record(execution_id_of(arn), status="failed", reason=str(exc))

    def _record(self, execution_id: str, **fields: Any) -> None:
        """What SageMaker would say of the execution, where moto cannot: the run table."""
        from chalice_app.aws.run_table import RunTable

        RunTable(self._clients.source("dynamodb"), self._settings.run_table).update(
            execution_id, **fields
        )

    def _executions(self) -> list[str]:
        answer = self._clients.get("sagemaker").list_pipeline_executions(
            PipelineName=self._settings.pipeline_name
        )
        return [s["PipelineExecutionArn"] for s in answer["PipelineExecutionSummaries"]]

    def _definition(self) -> dict[str, Any]:
        sagemaker = self._clients.get("sagemaker")
        described = sagemaker.describe_pipeline(PipelineName=self._settings.pipeline_name)
        return dict(json.loads(described["PipelineDefinition"]))

    def _parameters(self, arn: str) -> dict[str, str]:
        defaults = self._definition()["Parameters"]
        values = {p["Name"]: str(p.get("DefaultValue", "")) for p in defaults}
        passed = self._clients.get("sagemaker").list_pipeline_parameters_for_execution(
            PipelineExecutionArn=arn
        )
        values.update({p["Name"]: p["Value"] for p in passed["PipelineParameters"]})
        return values

    def play(self, arn: str) -> None:
        execution_id = execution_id_of(arn)
        params = self._parameters(arn)
        train, validation = params[pipeline.TRAIN_DATA], params[pipeline.VALIDATION_DATA]
        # The run's data paths are the launcher's to record (the client's, not the copies).
        self._record(execution_id, status="running", step="train")
        opt_ml = self._work / execution_id
        s3, prefix = self._clients.get("s3"), self._targets.artifacts_uri
        self._fetch(train, opt_ml / "input" / "data" / "train")
        if not self._program("train", opt_ml, execution_id, "train", "output/failure"):
            return
        model_tar = opt_ml / "processing" / "model" / "model.tar.gz"
        model_tar.parent.mkdir(parents=True)
        from training_pipeline.model import pack_model

        pack_model(opt_ml / "model", model_tar)
        model_data_url = f"{prefix}/training/{execution_id}/output/model.tar.gz"
        s3.upload_file(str(model_tar), *s3_location(model_data_url, "model"))
        self._record(execution_id, step="evaluate")
        self._fetch(params[pipeline.CHAMPION_MODEL], opt_ml / "processing" / "champion")
        self._fetch(validation, opt_ml / "processing" / "validation")
        gate = ["--max-mae", params[pipeline.MAX_MAE]]
        gate += ["--champion-version", params[pipeline.CHAMPION_VERSION]]
        if not self._program("evaluate", opt_ml, execution_id, "evaluate", "output/message", *gate):
            return
        evaluation = json.loads((opt_ml / "processing/evaluation/evaluation.json").read_text())
        self._record(execution_id, step="register")
        event = after_evaluation(
            s3,
            self._clients.get("sagemaker"),
            self._targets,
            execution_arn=arn,
            train_uri=train,
            validation_uri=validation,
            champion_model_data_url=params[pipeline.CHAMPION_MODEL],
            model_data_url=model_data_url,
            evaluation=evaluation,
            training_timestamp=params.get(pipeline.TRAINING_TIMESTAMP, ""),
            image_uri=definition_image(self._definition()),
        )
        accepted = bool(evaluation["gate"]["accepted"])
        self._lambda_step(event, accepted, opt_ml / "model")

    def _lambda_step(self, event: dict[str, Any], accepted: bool, model_dir: Path) -> None:
        from chalice_app.callbacks import service
        from chalice_app.callbacks.step_event import CallbackError
        from chalice_app.wiring import build_callbacks

        handlers = build_callbacks(self._env, _Clients(self._clients))
        if not accepted:
            service.record_rejection(handlers, event)
            return
        try:
            outcome = service.deploy_accepted(handlers, event, remaining_seconds=540.0)
        except CallbackError as exc:  # recorded in the run table; the step would fail
            log.warning("deploy of %s failed: %s", event["execution_id"], exc)
            return
        if outcome["status"] == "accepted":
            self._deployed(str(outcome["model_version"]), model_dir)

    def _fetch(self, uri: str, directory: Path) -> None:
        """A processing input or training channel as SageMaker fills one (S3Prefix):
        every object whose key starts with the URI's, by its key below the URI's folder."""
        bucket, prefix = uri.removeprefix("s3://").split("/", 1)
        folder = prefix.rsplit("/", 1)[0] + "/" if "/" in prefix else ""
        s3 = self._clients.get("s3")
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for listed in (o for page in pages for o in page.get("Contents", [])):
            target = directory / listed["Key"][len(folder) :]
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, listed["Key"], str(target))

    def _program(
        self, program: str, opt_ml: Path, execution_id: str, step: str, reason: str, *args: str
    ) -> bool:
        """Run an image program; a failure is recorded as SageMaker would report it."""
        env = {**os.environ, OPT_ML.name: str(opt_ml), "OMP_NUM_THREADS": "1"}
        env["PATH"] = os.pathsep.join([str(BIN), str(Path(sys.executable).parent), env["PATH"]])
        self._process = subprocess.Popen(
            [program, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if self._process.wait(timeout=600) == 0:
            return True
        why = (opt_ml / reason).read_text() if (opt_ml / reason).exists() else "no reason given"
        self._record(
            execution_id, status="failed", reason=f"{step} failed: {why}", finished_at=utc_now()
        )
        return False
