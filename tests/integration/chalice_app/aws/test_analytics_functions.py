"""The analytics functions: the nightly schedule starts the export and drift processing
jobs with exactly this request (botocore's Stubber holds it; moto records a job but
checks nothing), and a completed drift job's report becomes EMF metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalice_app import wiring
from chalice_app.analytics.service import start_nightly
from chalice_app.aws.clients import AwsClients, fixed
from chalice_app.config import AwsSettings
from contract.resources import DRIFT_JOB, StageNames
from tests import events
from tests.secrets_watch import json_lines, metric_documents
from training_pipeline.drift import compare
from training_pipeline.profile import build_profile
from training_pipeline.sample_data import make_sample
from training_pipeline.schema import FEATURES

ACCOUNT = "123456789012"
REGION = "us-east-1"
NOW = datetime(2026, 12, 7, 1, 15, 0, tzinfo=UTC)
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/property-value-predictor-training:test"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/property-value-predictor-sagemaker-test"


def _request(kind: str, arguments: list[str]) -> dict[str, Any]:
    return {
        "ProcessingJobName": f"property-value-predictor-test-{kind}-261207011500",
        "RoleArn": ROLE,
        "AppSpecification": {
            "ImageUri": IMAGE,
            "ContainerEntrypoint": ["python", "-m", "ops", kind],
            "ContainerArguments": [*arguments, "--stage", "test"],
        },
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.t3.medium",
                "VolumeSizeInGB": 10,
            }
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "Environment": {"AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, "OMP_NUM_THREADS": "1"},
        "NetworkConfig": {"EnableNetworkIsolation": False},
    }


def test_the_nightly_jobs_are_started_with_exactly_this_request() -> None:
    sagemaker = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing"
    ).client("sagemaker", region_name=REGION)
    stub = Stubber(sagemaker)
    export = _request("export", ["--day", "2026-12-06"])
    drift = _request(
        "drift",
        [
            "--day",
            "2026-12-06",
            "--days",
            "7",
            "--job-name",
            "property-value-predictor-test-drift-261207011500",
        ],
    )
    for request in (export, drift):
        arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/{request['ProcessingJobName']}"
        stub.add_response("create_processing_job", {"ProcessingJobArn": arn}, request)
    env = {"AWS_REGION": REGION, "PVP_STAGE": "test"}
    with stub:
        analytics = wiring.build_analytics(
            ACCOUNT, env, clients=SimpleNamespace(source=lambda service: fixed(sagemaker))
        )
        started = start_nightly(analytics, NOW)
    stub.assert_no_pending_responses()
    assert started == {"export": export["ProcessingJobName"], "drift": drift["ProcessingJobName"]}


def test_settings_choose_the_role_image_instance_and_days() -> None:
    env = {
        "AWS_REGION": REGION,
        "PVP_STAGE": "test",
        "PVP_SAGEMAKER_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/other",
        "PVP_TRAINING_IMAGE_URI": "registry.example/image@sha256:abc",
        "PVP_ANALYTICS_INSTANCE_TYPE": "ml.m5.large",
        "PVP_DRIFT_DAYS": "14",
    }
    analytics = wiring.build_analytics(ACCOUNT, env, clients=SimpleNamespace(source=lambda s: None))
    settings = analytics.jobs.settings
    assert (settings.role_arn, settings.image_uri) == (
        env["PVP_SAGEMAKER_ROLE_ARN"],
        env["PVP_TRAINING_IMAGE_URI"],
    )
    assert settings.instance_type == "ml.m5.large" and analytics.drift_days == 14


@pytest.fixture
def analytics_stage(
    aws: AwsClients, settings: AwsSettings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AwsSettings]:
    monkeypatch.setenv("AWS_REGION", REGION)
    for name, value in {
        "PVP_BACKEND": "aws",
        "PVP_STAGE": "test",
        "PVP_BUCKET": settings.bucket,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(wiring, "_analytics_access", (settings, aws))
    aws.get("s3").create_bucket(Bucket=settings.bucket)
    yield settings


def test_the_schedule_starts_both_jobs_in_the_functions_own_account(
    analytics_stage: AwsSettings, aws: AwsClients
) -> None:
    from chalice_app.app import app

    context = SimpleNamespace(
        invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:property-value-predictor-test-analytics_schedule",
        aws_request_id="request-1",
    )
    event = events.load("analytics_schedule/scheduled")
    started = app.handler_map["analytics_schedule"](event, context)

    sagemaker = aws.get("sagemaker")
    for kind, name in started.items():
        job = sagemaker.describe_processing_job(ProcessingJobName=name)
        assert job["AppSpecification"]["ContainerEntrypoint"] == ["python", "-m", "ops", kind]
        assert job["RoleArn"] == ROLE and job["AppSpecification"]["ImageUri"] == IMAGE


def _completed(job: str) -> dict[str, Any]:
    """SageMaker's event for a completed processing job, for this job."""
    event: dict[str, Any] = events.load("drift_metrics/completed")
    event["detail"]["ProcessingJobName"] = job
    return event


def _report(shifted: bool) -> dict[str, Any]:
    train = make_sample(2000, 1)
    profile = build_profile(train, train["price"].to_numpy(dtype=float))
    week = make_sample(700, 2)
    if shifted:
        week["net_area"] *= 2
    return compare(
        profile, week[list(FEATURES)].to_dict("records"), week["price"].tolist()
    ).as_dict()


@pytest.mark.parametrize("shifted", [False, True])
def test_a_completed_drift_jobs_report_becomes_metrics(
    analytics_stage: AwsSettings, aws: AwsClients, capsys: pytest.CaptureFixture[str], shifted: bool
) -> None:
    from chalice.test import Client

    from chalice_app.app import app

    names = StageNames("test")
    job = names.analytics_job(DRIFT_JOB, "261207011500")
    report = _report(shifted)
    aws.get("s3").put_object(
        Bucket=analytics_stage.bucket, Key=names.drift_report_key(job), Body=json.dumps(report)
    )
    with Client(app) as client:
        answer = client.lambda_.invoke("drift_metrics", _completed(job)).payload
        other_job = StageNames("prd").analytics_job(DRIFT_JOB, "261207011500")
        other = client.lambda_.invoke("drift_metrics", _completed(other_job)).payload

    documents = metric_documents(json_lines(capsys.readouterr().out))
    # One document per feature (its own dimension), each value as EMF's one-item list.
    psi = {d["feature"]: d["feature_psi"][0] for d in documents if "feature_psi" in d}
    assert psi == {f["feature"]: pytest.approx(f["psi"]) for f in report["features"]}
    (count,) = [d for d in documents if "drifted_features" in d]
    assert count["drifted_features"] == [1 if shifted else 0]
    assert {d["stage"] for d in documents} == {"test"}
    assert {d["service"] for d in documents} == {"property-value-predictor"}
    assert answer["drifted"] == (["net_area"] if shifted else [])
    assert other == {"ignored": other_job}
