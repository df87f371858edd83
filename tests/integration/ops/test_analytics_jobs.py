"""The nightly jobs as SageMaker would run them, as far as moto reaches: the processing
job's command line from the schedule's own request, run as a plain process in an
interpreter that refuses what the model image lacks (Chalice, pydantic, Powertools,
the SageMaker SDK), against moto_server's DynamoDB, S3 and SageMaker; then the drift
function reads the job's report from the bucket and writes the metrics."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalice_app.aws.clients import AwsClients
from chalice_app.aws.endpoints import SageMakerEndpoints
from chalice_app.aws.prediction_log import TABLE_SCHEMA, DynamoPredictionLog
from chalice_app.aws.processing import JobSettings, job_request
from chalice_app.config import AwsSettings, load_aws_settings
from contract.resources import DRIFT_JOB, EXPORT_JOB, PLACEHOLDER_ACCOUNT, StageTargets
from devtools.moto_stack import FAKE_CREDENTIALS, REGION, environ, running_moto
from devtools.synthetic_log import entries, week
from ops import parquet_log
from tests import events
from tests.conftest import REPO_ROOT
from tests.secrets_watch import json_lines, metric_documents
from training_pipeline.model import pack_model
from training_pipeline.registry import LocalRegistry

LAST_DAY = "2026-12-06"
NOW = datetime(2026, 12, 7, 1, 15, tzinfo=UTC)
NOT_IN_THE_IMAGE = ("chalice", "pydantic", "aws_lambda_powertools", "sagemaker")
# `python -m ops ...` in an interpreter that refuses what the model image does not carry.
IMAGE_PYTHON = f"""
import importlib.abc, runpy, sys

class NotInTheImage(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {NOT_IN_THE_IMAGE!r}:
            raise ImportError(name + " is not in the model image")
        return None

sys.meta_path.insert(0, NotInTheImage())
module, sys.argv = sys.argv[2], [sys.argv[2], *sys.argv[3:]]
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


class Stage:
    def __init__(self, env: dict[str, str], settings: AwsSettings, clients: AwsClients) -> None:
        self.env, self.settings, self.clients = env, settings, clients

    def run_job(self, request: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        """The job's container command, its environment, the role's credentials."""
        spec = request["AppSpecification"]
        python, *rest = spec["ContainerEntrypoint"]
        assert python == "python"
        command = [sys.executable, "-c", IMAGE_PYTHON, *rest, *spec["ContainerArguments"]]
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PVP_", "AWS_"))},
            **request["Environment"],
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": self.env["AWS_ENDPOINT_URL"],
            "PYTHONPATH": str(REPO_ROOT),
        }
        result = subprocess.run(
            command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result


@pytest.fixture
def stage(tmp_path: Path, trained_home: Path) -> Iterator[Stage]:
    with running_moto(tmp_path / "moto.log") as moto:
        env = {**FAKE_CREDENTIALS, "AWS_REGION": REGION, "AWS_ENDPOINT_URL": moto.base_url}
        with environ(env):
            settings = load_aws_settings({"AWS_REGION": REGION}, stage="dev")
            clients = AwsClients(settings)
            clients.get("dynamodb").create_table(
                TableName=settings.prediction_table, **TABLE_SCHEMA
            )
            s3 = clients.get("s3")
            s3.create_bucket(Bucket=settings.bucket)
            # The endpoint serves the sample's model, as a deploy leaves it.
            version, model_dir = LocalRegistry(trained_home).deployed_location() or ("", Path())
            archive = io.BytesIO()
            pack_model(model_dir, archive)
            key = f"{settings.names.artifacts_prefix}/training/job-1/output/model.tar.gz"
            s3.put_object(Bucket=settings.bucket, Key=key, Body=archive.getvalue())
            targets = StageTargets.of(settings.names, account=PLACEHOLDER_ACCOUNT, region=REGION)
            endpoints = SageMakerEndpoints(clients.source("sagemaker"), settings.endpoint_name)
            served = settings.names.served(version)
            endpoints.create_model(
                served,
                image=targets.image_uri,
                model_data_url=f"s3://{settings.bucket}/{key}",
                version=version,
                role_arn=targets.role_arn,
            )
            endpoints.create_config(served, model=served, memory_mb=2048, max_concurrency=5)
            endpoints.create_endpoint(served)
            # A week of the model's own answers in the table.
            model = LocalRegistry(trained_home).deployed_model()
            assert model is not None
            frame, values = week(model[1], 2100, seed=41)
            log = DynamoPredictionLog(clients.source("dynamodb"), settings.prediction_table)
            for entry in entries(frame, values, last_day=LAST_DAY, days=7, version=version):
                log.record(entry)
            yield Stage(env, settings, clients)


def test_the_nightly_jobs_run_as_the_image_would_and_feed_the_metrics(
    stage: Stage, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = stage.settings
    targets = StageTargets.of(settings.names, account=PLACEHOLDER_ACCOUNT, region=REGION)
    jobs = JobSettings(settings.names, REGION, targets.role_arn, targets.image_uri, "ml.t3.medium")
    export = job_request(jobs, EXPORT_JOB, ["--day", LAST_DAY], NOW)
    drift = job_request(
        jobs, DRIFT_JOB, ["--day", LAST_DAY, "--days", "7"], NOW, name_flag="--job-name"
    )

    # WHEN both jobs run, the export twice (a retried night)
    stage.run_job(export)
    exported = stage.run_job(export)
    drifted = stage.run_job(drift)

    # THEN the day is one Parquet object holding that day's 300 answers, once
    s3 = stage.clients.get("s3")
    key = f"analytics/predictions/{parquet_log.day_path(LAST_DAY)}"
    assert f"{LAST_DAY}: 300 predictions -> s3://{settings.bucket}/{key}" in exported.stdout
    listed = s3.list_objects_v2(Bucket=settings.bucket, Prefix="analytics/predictions/")
    assert [o["Key"] for o in listed["Contents"]] == [key]
    body = s3.get_object(Bucket=settings.bucket, Key=key)["Body"].read()
    rows = list(parquet_log.read(io.BytesIO(body)))
    assert len(rows) == len({r.prediction_id for r in rows}) == 300

    # AND the drift report, against the served model's own profile, is in the bucket
    assert drifted.stdout.startswith("drift: stable (2100 rows, against v0001's training data)")
    job = drift["ProcessingJobName"]
    report_key = settings.names.drift_report_key(job)
    report = json.loads(s3.get_object(Bucket=settings.bucket, Key=report_key)["Body"].read())
    assert report["status"] == "stable" and report["model_version"] == "v0001"

    # AND the drift function turns it into metrics when SageMaker says the job completed
    from chalice.test import Client

    from chalice_app import wiring
    from chalice_app.app import app

    monkeypatch.setattr(wiring, "_analytics_access", None)
    for name, value in {**stage.env, "PVP_BACKEND": "aws", "PVP_STAGE": "dev"}.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    with Client(app) as client:
        event = events.load("drift_metrics/completed")
        event["detail"]["ProcessingJobName"] = job
        answer = client.lambda_.invoke("drift_metrics", event).payload
    assert answer == {"job": job, "status": "stable", "published": 9, "drifted": []}
    documents = metric_documents(json_lines(capsys.readouterr().out))
    assert len([d for d in documents if "feature_psi" in d]) == 9
