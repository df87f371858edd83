"""GET /training/{execution_id} tells the same story on both backends.

The same outcome on each: the local backend's first run (accepted, v0001), and a
SageMaker run (moto in process) whose evaluate step wrote that run's very
evaluation.json and whose deploy callback ran as the pipeline calls it. Both routes
answer with the same keys, status and step words, version, metrics and gate.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_fronts import ChaliceFront, make_api_home, sqlite_log

from chalice_app.aws.run_table import TABLE_SCHEMA
from chalice_app.wiring import reset_backends, reset_callbacks
from contract.vocabulary import RUN_VIEW_FIELDS, STEPS
from devtools.moto_pipeline import after_evaluation
from devtools.moto_resources import create_pipeline, pipeline_targets
from tests.conftest import environ, stage_environment
from tests.secrets_watch import new_key
from training_pipeline.run_log import RunLog

REGION = "us-east-1"


def _status(front: ChaliceFront, execution_id: str) -> dict[str, Any]:
    answer = front.request("GET", f"/training/{execution_id}", headers={"API-key": front.key})
    assert answer.status == 200, answer.raw
    body: dict[str, Any] = answer.json()
    return body


@pytest.fixture
def local_run(tmp_path: Path, trained_home: Path, sample_dir: Path) -> Iterator[dict[str, Any]]:
    api = make_api_home(tmp_path / "home", trained_home, sample_dir)
    (run,) = RunLog(api.home).list()
    with environ({"PVP_HOME": str(api.home), "PVP_BACKEND": "local"}):
        reset_backends()
        try:
            yield _status(ChaliceFront("local", api.key, sqlite_log(api.home)), run.run_id)
        finally:
            reset_backends()


@pytest.fixture
def aws_run(trained_home: Path, sample_dir: Path) -> Iterator[dict[str, Any]]:
    """The same run, on stage dev as deployed, with moto playing AWS in this process."""
    from chalice.test import Client
    from moto import mock_aws

    from chalice_app.app import app
    from chalice_app.aws.clients import AwsClients
    from chalice_app.config import load_aws_settings
    from tests.conftest import REPO_ROOT

    (run,) = RunLog(trained_home).list()
    assert run.artifacts_dir is not None
    evaluation = json.loads(
        (Path(run.artifacts_dir) / "evaluation" / "evaluation.json").read_text()
    )
    env = {**stage_environment(), "AWS_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing"}
    env.update(AWS_SECRET_ACCESS_KEY="testing", AWS_ENDPOINT_URL="", OMP_NUM_THREADS="1")
    key = new_key()
    with environ(env), mock_aws():
        settings = load_aws_settings()
        aws = AwsClients(settings)
        # GIVEN the stage: run table, key, bucket with the data, pipeline and its group
        aws.get("dynamodb").create_table(TableName=settings.run_table, **TABLE_SCHEMA)
        aws.get("secretsmanager").create_secret(
            Name=settings.secret_name, SecretString=json.dumps({"default": key})
        )
        s3 = aws.get("s3")
        s3.create_bucket(Bucket=settings.bucket)
        for uri, name in ((settings.train_uri, "train.csv"), (settings.validation_uri, "test.csv")):
            s3.upload_file(str(sample_dir / name), settings.bucket, uri.split("/", 3)[3])
        targets = pipeline_targets(settings)
        sagemaker = aws.get("sagemaker")
        sagemaker.create_model_package_group(
            ModelPackageGroupName=targets.names.model_package_group
        )
        create_pipeline(sagemaker, settings)
        reset_backends()
        front = ChaliceFront("aws", key, lambda: {})
        try:
            # WHEN a run starts through the API and the pipeline's steps do their part
            started = front.request("POST", "/start_training", headers={"API-key": key}).json()
            execution_id = started["execution_id"]
            event = after_evaluation(
                s3,
                sagemaker,
                targets,
                execution_arn=started["execution_arn"],
                train_uri=settings.train_uri,
                validation_uri=settings.validation_uri,
                champion_model_data_url=targets.no_champion_uri,
                model_data_url=f"{targets.artifacts_uri}/training/{execution_id}/model.tar.gz",
                evaluation=evaluation,
            )
            with Client(app, stage_name="dev", project_dir=str(REPO_ROOT)) as client:
                client.lambda_.invoke("deploy_callback", event)
            yield _status(front, execution_id)
        finally:
            reset_backends()
            reset_callbacks()


def test_both_backends_tell_the_same_story_of_an_accepted_run(
    local_run: dict[str, Any], aws_run: dict[str, Any]
) -> None:
    assert set(local_run) == set(aws_run) == {"execution_id", *RUN_VIEW_FIELDS}
    same = ("status", "step", "model_version", "reason", "metrics", "gate")
    assert {k: aws_run[k] for k in same} == {k: local_run[k] for k in same}
    assert (aws_run["status"], aws_run["step"], aws_run["model_version"]) == (
        "accepted",
        "record",
        "v0001",
    )
    assert aws_run["step"] in STEPS
    # Where the data and artifacts live is each backend's own: paths, or s3:// URIs
    assert aws_run["train_path"].startswith("s3://") and aws_run["artifacts_dir"].startswith(
        "s3://"
    )
    for moment in ("started_at", "finished_at"):
        assert aws_run[moment][:2] == local_run[moment][:2] == "20"
