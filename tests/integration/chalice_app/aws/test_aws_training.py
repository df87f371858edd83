"""Pipeline launcher and run status on moto (Stubber only where moto has no answer)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalice_app.aws.clients import AwsClients, fixed
from chalice_app.aws.run_table import TABLE_SCHEMA, RunTable
from chalice_app.aws.status import PipelineRunStatus
from chalice_app.aws.training import PipelineLauncher
from chalice_app.config import AwsSettings, load_aws_settings
from chalice_app.errors import TrainingInputError, TrainingUnavailableError
from devtools.moto_resources import create_pipeline, serve_first_model
from tests.integration.chalice_app.aws.conftest import ENV


@pytest.fixture
def runs(aws: AwsClients, settings: AwsSettings) -> RunTable:
    aws.get("dynamodb").create_table(TableName=settings.run_table, **TABLE_SCHEMA)
    s3 = aws.get("s3")
    s3.create_bucket(Bucket=settings.bucket)
    for uri in (settings.train_uri, settings.validation_uri):
        s3.put_object(Bucket=settings.bucket, Key=uri.split("/", 3)[3], Body=b"csv")
    return RunTable(aws.source("dynamodb"), settings.run_table)


def _launcher(aws: AwsClients, settings: AwsSettings, runs: RunTable) -> PipelineLauncher:
    defaults = (settings.train_uri, settings.validation_uri)
    return PipelineLauncher(
        aws.source("sagemaker"),
        aws.source("s3"),
        runs,
        settings.pipeline_name,
        defaults,
        settings.endpoint_name,
        inputs=settings.inputs_uri,
    )


def _parameters(aws: AwsClients, execution_arn: str) -> dict[str, str]:
    listed = aws.get("sagemaker").list_pipeline_parameters_for_execution(
        PipelineExecutionArn=execution_arn
    )["PipelineParameters"]
    return {p["Name"]: p["Value"] for p in listed}


def _objects(aws: AwsClients, prefix: str) -> list[bytes]:
    """What a job given this S3 prefix reads: every object whose key starts with it."""
    bucket, key = prefix.removeprefix("s3://").split("/", 1)
    s3 = aws.get("s3")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])
    return [s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed]


def _executions(aws: AwsClients, settings: AwsSettings) -> list[Any]:
    answer = aws.get("sagemaker").list_pipeline_executions(PipelineName=settings.pipeline_name)
    return list(answer["PipelineExecutionSummaries"])


def test_a_run_starts_with_the_default_data_and_is_recorded(
    aws: AwsClients, settings: AwsSettings, runs: RunTable
) -> None:
    create_pipeline(aws.get("sagemaker"), settings)
    execution = _launcher(aws, settings, runs).start(None, None)
    assert execution.execution_arn.endswith(f"/execution/{execution.execution_id}")
    record = runs.get(execution.execution_id)
    assert record is not None and record["status"] == "pending"
    assert record["train_path"] == settings.train_uri
    parameters = _parameters(aws, execution.execution_arn)
    assert _objects(aws, parameters["TrainingDataS3Path"]) == [b"csv"]
    assert _objects(aws, parameters["ValidationDataS3Path"]) == [b"csv"]
    assert parameters["TrainingTimestamp"].startswith(record["started_at"][:10])
    # Nothing deployed yet: the definition's "no champion" default stands
    assert "ChampionModelDataUrl" not in parameters and "ChampionVersion" not in parameters


def test_the_champion_is_the_model_the_endpoint_serves(
    aws: AwsClients, settings: AwsSettings, runs: RunTable, tmp_path: Path
) -> None:
    # GIVEN the stage's first model serving, as the deploy callback leaves it
    (tmp_path / "model.joblib").write_bytes(b"a model")
    create_pipeline(aws.get("sagemaker"), settings)
    aws.get("sagemaker").create_model_package_group(
        ModelPackageGroupName=f"property-value-regressor-{settings.stage}"
    )
    version = serve_first_model(aws, settings, tmp_path)

    # WHEN a run starts
    execution = _launcher(aws, settings, runs).start(None, None)

    # THEN the gate re-scores that model, named by its version
    parameters = _parameters(aws, execution.execution_arn)
    assert parameters["ChampionVersion"] == version == "v0001"
    champion = parameters["ChampionModelDataUrl"]
    assert champion.startswith(f"s3://{settings.bucket}/") and champion.endswith("model.tar.gz")
    bucket, key = champion.removeprefix("s3://").split("/", 1)
    assert aws.get("s3").head_object(Bucket=bucket, Key=key)["ContentLength"] > 0


def test_ops_start_is_the_launcher_from_a_shell(
    aws: AwsClients,
    runs: RunTable,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from ops.cli import main

    # GIVEN stage dev's pipeline, run table and bucket (where runs' data is staged)
    dev = load_aws_settings({**ENV, "PVP_STAGE": "dev"})
    aws.get("dynamodb").create_table(TableName=dev.run_table, **TABLE_SCHEMA)
    aws.get("s3").create_bucket(Bucket=dev.names.bucket)
    create_pipeline(aws.get("sagemaker"), dev)
    monkeypatch.setenv("AWS_REGION", dev.region)
    monkeypatch.delenv("PVP_BUCKET", raising=False)  # then the data's bucket
    stage = ["start", "--stage", "dev"]

    code = main([*stage, "--train", dev.train_uri, "--validation", dev.validation_uri])

    assert code == 0
    out = capsys.readouterr().out.splitlines()
    execution_id = out[0].split()[1]
    assert out[1].endswith(f"/execution/{execution_id}")
    record = RunTable(aws.source("dynamodb"), dev.run_table).get(execution_id)
    assert record is not None and record["status"] == "pending"
    missing = f"s3://{dev.bucket}/data/missing.csv"
    assert main([*stage, "--train", missing, "--validation", dev.validation_uri]) == 1
    assert capsys.readouterr().err.strip() == f"error: --train: no such object: {missing}"
    assert len(_executions(aws, dev)) == 1

    # WHEN the pipeline recorded that run's outcome, and a second run recorded none
    table = RunTable(aws.source("dynamodb"), dev.run_table)
    table.update(execution_id, status="accepted", model_version="v0002", metrics={"mae": 2100.4})
    assert main([*stage, "--train", dev.train_uri, "--validation", dev.validation_uri]) == 0
    second = capsys.readouterr().out.split()[1]
    # THEN `runs --stage` lists both in the local listing's words
    assert main(["runs", "--stage", "dev"]) == 0
    listed = [line.split(maxsplit=4) for line in capsys.readouterr().out.splitlines()]
    assert listed == [
        [execution_id, "accepted", "v0002", "MAE", "2,100"],
        [second, "failed", "-", "the", "pipeline finished without recording its outcome"],
    ]


def test_a_retry_with_the_same_idempotency_key_starts_one_run(
    aws: AwsClients, settings: AwsSettings, runs: RunTable
) -> None:
    sagemaker = aws.get("sagemaker")
    create_pipeline(sagemaker, settings)
    tokens: list[str] = []
    sagemaker.meta.events.register(
        "provide-client-params.sagemaker.StartPipelineExecution",
        lambda params, **_: tokens.append(params["ClientRequestToken"]),
    )
    launcher = _launcher(aws, settings, runs)
    first = launcher.start(None, None, idempotency_key="client-retry-1")
    again = launcher.start(None, None, idempotency_key="client-retry-1")
    other = launcher.start(None, None, idempotency_key="client-retry-2")
    assert again == first and other != first
    assert len(_executions(aws, settings)) == 2
    # SageMaker's own guard for two tries racing: a token derived from the key.
    assert len(tokens) == 2 and len(set(tokens)) == 2 and all(len(t) >= 32 for t in tokens)


@pytest.mark.parametrize(
    ("train", "problem"),
    [
        ("/data/train.csv", "s3:// URI"),
        ("file:///data/train.csv", "s3:// URI"),
        ("s3://Bad_Bucket/train.csv", "bucket name"),
        ("s3://pvp-test-data/", "one object"),
        ("s3://pvp-test-data/data/missing.csv", "no such object"),
        ("s3://no-such-bucket-here/train.csv", "no such object"),
    ],
)
def test_unusable_s3_locations_are_refused_before_any_run(
    aws: AwsClients, settings: AwsSettings, runs: RunTable, train: str, problem: str
) -> None:
    create_pipeline(aws.get("sagemaker"), settings)
    with pytest.raises(TrainingInputError) as caught:
        _launcher(aws, settings, runs).start(train, None)
    assert caught.value.field == "train" and problem in caught.value.problem
    assert _executions(aws, settings) == []


def test_a_missing_pipeline_is_unavailable(
    aws: AwsClients, settings: AwsSettings, runs: RunTable
) -> None:
    with pytest.raises(TrainingUnavailableError):
        _launcher(aws, settings, runs).start(None, None)


def test_status_of_a_run_uses_the_outcome_the_pipeline_recorded(
    aws: AwsClients, settings: AwsSettings, runs: RunTable
) -> None:
    create_pipeline(aws.get("sagemaker"), settings)
    execution = _launcher(aws, settings, runs).start(None, None)
    reader = PipelineRunStatus(aws.source("sagemaker"), runs, settings.pipeline_name)
    # moto's executions succeed at once: with no outcome recorded that is a failure
    state = reader.get(execution.execution_id)
    assert state is not None and state["status"] == "failed"
    assert "without recording its outcome" in state["reason"]
    # WHEN the deploy callback records the outcome
    runs.update(execution.execution_id, status="accepted", metrics={"mae": 2100.5})
    runs.update(execution.execution_id, model_version="v0002", gate={"accepted": True})
    state = reader.get(execution.execution_id)
    assert state is not None and state["status"] == "accepted"
    assert state["metrics"] == {"mae": 2100.5} and state["model_version"] == "v0002"
    assert state["finished_at"] and state["train_path"] == settings.train_uri
    assert set(state) == {
        "run_id", "status", "step", "started_at", "finished_at", "train_path",
        "validation_path", "metrics", "gate", "model_version", "reason", "artifacts_dir",
    }  # fmt: skip
    for unknown in ("abc123def456", "../../etc", "run-20261130"):
        assert reader.get(unknown) is None


@pytest.mark.parametrize(
    ("state", "steps", "expected"),
    [
        (
            "Executing",
            [{"StepName": "Train", "StepStatus": "Executing"}],
            ("running", "train", None, None),
        ),
        (
            # Train or Evaluate failing reaches neither Lambda step: SageMaker tells why.
            "Failed",
            [
                {"StepName": "Evaluate", "StepStatus": "Failed", "FailureReason": "ExitMessage"},
                {"StepName": "Train", "StepStatus": "Succeeded"},
            ],
            ("failed", "evaluate", "evaluate failed: ExitMessage", "finished"),
        ),
    ],
)
def test_a_run_the_table_knows_only_as_started_reports_sagemaker_s_step(
    aws: AwsClients,
    settings: AwsSettings,
    runs: RunTable,
    state: str,
    steps: list[dict[str, str]],
    expected: tuple[str, str, str | None, str | None],
) -> None:
    from botocore.stub import Stubber

    # moto's executions are never running nor failed, and list_pipeline_execution_steps
    # raises NotImplementedError: both answers come from botocore's Stubber.
    arn = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/p/execution/abc123def456"
    runs.put({"run_id": "abc123def456", "execution_arn": arn, "status": "pending"})
    client = aws.get("sagemaker")
    now = datetime.now(UTC)
    with Stubber(client) as stub:
        stub.add_response(
            "describe_pipeline_execution",
            {"PipelineExecutionStatus": state, "CreationTime": now, "LastModifiedTime": now},
            {"PipelineExecutionArn": arn},
        )
        stub.add_response(
            "list_pipeline_execution_steps",
            {"PipelineExecutionSteps": steps},
            {"PipelineExecutionArn": arn, "SortOrder": "Descending", "MaxResults": 5},
        )
        run = PipelineRunStatus(fixed(client), runs, settings.pipeline_name).get("abc123def456")
        stub.assert_no_pending_responses()
    assert run is not None
    status, step, reason, finished = expected
    assert (run["status"], run["step"], run["reason"]) == (status, step, reason)
    assert bool(run["finished_at"]) == bool(finished)


def test_a_retry_after_a_lost_answer_sends_the_identical_request(
    aws: AwsClients,
    settings: AwsSettings,
    runs: RunTable,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from botocore.exceptions import ReadTimeoutError

    from chalice_app.aws import training
    from tests.aws_calls import RequestRecorder

    sagemaker = aws.get("sagemaker")
    create_pipeline(sagemaker, settings)
    sagemaker.create_model_package_group(
        ModelPackageGroupName=f"property-value-regressor-{settings.stage}"
    )
    sent = RequestRecorder(sagemaker, "StartPipelineExecution")
    # GIVEN a first try whose run started but whose answer never came back
    lost = {"answers": 1}

    def lose_the_answer(**_: Any) -> None:
        if lost["answers"]:
            lost["answers"] -= 1
            raise ReadTimeoutError(endpoint_url="https://api.sagemaker")

    sagemaker.meta.events.register("after-call.sagemaker.StartPipelineExecution", lose_the_answer)
    launcher = _launcher(aws, settings, runs)
    monkeypatch.setattr(training, "utc_now", lambda: "2026-12-01T10:00:00.000+00:00")
    with pytest.raises(TrainingUnavailableError):
        launcher.start(None, None, idempotency_key="client-retry-1", client="app")

    # WHEN the client retries later, after a model was deployed meanwhile
    monkeypatch.setattr(training, "utc_now", lambda: "2026-12-01T10:05:00.000+00:00")
    (tmp_path / "model.joblib").write_bytes(b"a model")
    serve_first_model(aws, settings, tmp_path)
    execution = launcher.start(None, None, idempotency_key="client-retry-1", client="app")

    # THEN the retry is the first request again: token, timestamp, no champion, all of it
    first, retry = sent.requests
    assert retry == first
    assert {p["Name"] for p in first["PipelineParameters"]} == {
        "TrainingDataS3Path",
        "ValidationDataS3Path",
        "TrainingTimestamp",
    }
    # AND a third try gets the run the retry started, without starting another
    again = launcher.start(None, None, idempotency_key="client-retry-1", client="app")
    assert again == execution and len(sent.requests) == 2


def test_a_job_reads_exactly_the_files_it_was_given(
    aws: AwsClients, settings: AwsSettings, runs: RunTable
) -> None:
    # GIVEN data whose keys are the prefix of other objects' keys
    s3 = aws.get("s3")
    create_pipeline(aws.get("sagemaker"), settings)
    train_key = "data/training_data/train.csv"
    for key in (train_key, train_key + ".bak", "data/training_data/train.csv_old.csv"):
        s3.put_object(Bucket=settings.bucket, Key=key, Body=key.encode())
    train = f"s3://{settings.bucket}/{train_key}"

    # WHEN a run starts on it
    execution = _launcher(aws, settings, runs).start(train, None, idempotency_key="k1")

    # THEN what SageMaker reads for each input (a key prefix) is that one file
    parameters = _parameters(aws, execution.execution_arn)
    assert _objects(aws, parameters["TrainingDataS3Path"]) == [train_key.encode()]
    assert _objects(aws, parameters["ValidationDataS3Path"]) == [b"csv"]
    assert parameters["TrainingDataS3Path"].startswith(settings.inputs_uri + "/")
    # AND the run says the data is where the client said, even after the pipeline's
    # callback reported the copies
    runs.update(execution.execution_id, train_path=parameters["TrainingDataS3Path"])
    record = runs.get(execution.execution_id)
    assert record is not None and record["train_path"] == train
