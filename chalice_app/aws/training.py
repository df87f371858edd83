"""Training runs as SageMaker pipeline executions (StartPipelineExecution).

One function starts every run, whoever asks: the API's /start_training and
`python -m training_pipeline sagemaker start` both call `PipelineLauncher.start`.
S3 URIs are checked (scheme, bucket, key, and that the object exists) before the call,
so a typo is a 422 naming the field, not a failed run. Each data file is then copied to a
prefix of its own run (`.../inputs/<token>/train/train.csv`), and the pipeline is given
that prefix: SageMaker reads an input as a key prefix (S3DataType S3Prefix, "all objects
with the specified key name prefix": https://docs.aws.amazon.com/sagemaker/latest/
APIReference/API_S3DataSource.html, API_ProcessingS3Input.html), so the file's own key
would also bring `train.csv.bak` and `train.csv_old.csv` into the job. The run table
keeps the paths the client gave. The champion the gate re-scores
is the model the endpoint serves (its model.tar.gz and version), left out when nothing
is deployed (a first run). A client's Idempotency-Key becomes the ClientRequestToken
(SageMaker starts one execution per token), and the parameters its first try chose (the
timestamp, the champion) are remembered in the run table before the run starts, so a
retry sends the identical request even after time moved on or a new model was deployed:
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StartPipelineExecution.html
(ClientRequestToken). The run it started is remembered too, so a retry gets that run.
boto3 only: the Lambda runs this.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from urllib.parse import urlparse

from chalice_app.aws.clients import ClientSource, error_code
from chalice_app.aws.endpoints import SageMakerEndpoints, ServedModel
from chalice_app.aws.run_table import RunTable
from chalice_app.errors import TrainingInputError, TrainingUnavailableError
from chalice_app.ports import Execution
from contract import pipeline
from contract.vocabulary import execution_id_of, utc_now

log = logging.getLogger(__name__)

# S3's rules for bucket names (lower case, digits, dots, hyphens; 3-63 characters).
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def s3_location(value: str, field: str) -> tuple[str, str]:
    """(bucket, key) of an s3:// URI naming one object; TrainingInputError otherwise."""
    parsed = urlparse(value)
    if parsed.scheme != "s3":
        raise TrainingInputError(field, f"must be an s3:// URI, got {value!r}")
    bucket, key = parsed.netloc, parsed.path.lstrip("/")
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise TrainingInputError(field, f"invalid S3 bucket name {bucket!r}")
    if not key or key.endswith("/") or parsed.query or parsed.fragment:
        raise TrainingInputError(field, f"must name one object (s3://bucket/key.csv): {value!r}")
    return bucket, key


class PipelineLauncher:
    def __init__(
        self,
        sagemaker: ClientSource,
        s3: ClientSource,
        runs: RunTable,
        pipeline_name: str,
        defaults: tuple[str, str],
        endpoint_name: str,
        *,
        inputs: str,
        description: str = "started through the API's /start_training",
    ) -> None:
        self._sagemaker = sagemaker
        self._s3 = s3
        self._runs = runs
        self._pipeline = pipeline_name
        self._defaults = defaults
        self._inputs = inputs.rstrip("/")
        self._endpoint = SageMakerEndpoints(sagemaker, endpoint_name)
        self._description = description

    def start(
        self,
        train_path: str | None,
        validation_path: str | None,
        *,
        idempotency_key: str | None = None,
        client: str | None = None,
    ) -> Execution:
        from botocore.exceptions import BotoCoreError, ClientError

        train = train_path or self._defaults[0]
        validation = validation_path or self._defaults[1]
        try:
            for uri, field in ((train, "train"), (validation, "validation")):
                self._check_object(uri, field)
            digest = None
            if idempotency_key is not None:
                # Scoped by the client's name (not its key: a rotation keeps the name).
                seed = f"{self._pipeline}\n{client or ''}\n{idempotency_key}".encode()
                digest = hashlib.sha256(seed).hexdigest()
                known = self._runs.started_by(digest)
                if known is not None:
                    return Execution(*known)
            token = digest or uuid.uuid4().hex
            parameters = self.parameters(train, validation, token)
            if digest is not None:
                parameters = self._runs.plan_start(digest, parameters)
            for source, name in (
                (train, pipeline.TRAIN_DATA),
                (validation, pipeline.VALIDATION_DATA),
            ):
                self._stage(source, parameters[name])
            started = self._start(parameters, token)
        except (ClientError, BotoCoreError) as exc:
            raise TrainingUnavailableError(f"cannot start a run now ({error_code(exc)})") from None
        self._record(started, train, validation)
        if digest is not None:
            started = self._runs.remember_start(digest, started)
        return Execution(*started)

    def _check_object(self, uri: str, field: str) -> None:
        from botocore.exceptions import ClientError

        bucket, key = s3_location(uri, field)
        try:
            self._s3().head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            code = error_code(exc)
            if code in ("404", "NoSuchKey", "NoSuchBucket", "NotFound"):
                raise TrainingInputError(field, f"no such object: {uri}") from None
            if code in ("403", "AccessDenied"):
                raise TrainingInputError(field, f"not readable by the service: {uri}") from None
            raise

    def champion(self) -> ServedModel | None:
        """The model the endpoint serves, which the gate re-scores; None before any."""
        state = self._endpoint.state()
        if state is None:
            return None
        served = self._endpoint.served(state.config)
        if not served.model_data_url:
            log.warning("the deployed model %s names no model.tar.gz: no champion", served.model)
            return None
        return served

    def parameters(self, train: str, validation: str, token: str) -> dict[str, str]:
        """A run's pipeline parameters: its staged data, when, and the champion."""
        parameters = {
            pipeline.TRAIN_DATA: self._staging(token, "train"),
            pipeline.VALIDATION_DATA: self._staging(token, "validation"),
            pipeline.TRAINING_TIMESTAMP: utc_now(),
        }
        champion = self.champion()
        if champion is not None:  # else the definition's default: "no champion yet"
            parameters[pipeline.CHAMPION_MODEL] = str(champion.model_data_url)
            parameters[pipeline.CHAMPION_VERSION] = champion.version or champion.model
        return parameters

    def _staging(self, token: str, channel: str) -> str:
        """The prefix a run's copy of one data file lives under, alone."""
        return f"{self._inputs}/{token}/{channel}/"

    def _stage(self, source: str, prefix: str) -> None:
        """Copy the data file under its run's prefix (again on a retry: the same copy)."""
        bucket, key = s3_location(source, "source")
        target_bucket, target_key = s3_location(prefix + key.rsplit("/", 1)[-1], "staging")
        self._s3().copy_object(
            Bucket=target_bucket, Key=target_key, CopySource={"Bucket": bucket, "Key": key}
        )

    def _start(self, parameters: dict[str, str], token: str) -> tuple[str, str]:
        answer = self._sagemaker().start_pipeline_execution(
            PipelineName=self._pipeline,
            PipelineParameters=[{"Name": k, "Value": v} for k, v in parameters.items()],
            PipelineExecutionDescription=self._description,
            ClientRequestToken=token,
        )
        arn = str(answer["PipelineExecutionArn"])
        return execution_id_of(arn), arn

    def _record(self, started: tuple[str, str], train: str, validation: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        run = {"run_id": started[0], "execution_arn": started[1], "status": "pending"}
        run.update(started_at=utc_now(), train_path=train, validation_path=validation)
        try:
            self._runs.put(run)
        except (ClientError, BotoCoreError) as exc:
            # The run is started and its status still readable from SageMaker: answer.
            log.error("run %s started but not recorded: %s", started[0], error_code(exc))
