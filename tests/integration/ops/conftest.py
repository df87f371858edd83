"""Operator commands as an operator runs them: in a fresh process (`run_ops`), or with
`--stage dev` on moto in process (`moto_stage`: its prediction table and bucket exist,
and no call can leave the process)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chalice_app.aws.clients import AwsClients
from chalice_app.aws.prediction_log import TABLE_SCHEMA, DynamoPredictionLog
from chalice_app.config import AwsSettings, load_aws_settings
from tests.conftest import REPO_ROOT, cli_env


def run_ops(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m ops ARGS` in a fresh process on PVP_HOME=home; it must exit 0."""
    result = subprocess.run(
        [sys.executable, "-m", "ops", *args],
        cwd=REPO_ROOT,
        env=cli_env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@dataclass(frozen=True)
class MotoStage:
    settings: AwsSettings
    clients: AwsClients

    def log(self) -> DynamoPredictionLog:
        return DynamoPredictionLog(self.clients.source("dynamodb"), self.settings.prediction_table)


@pytest.fixture
def moto_stage(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoStage]:
    from moto import mock_aws

    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "PVP_PREDICTION_TABLE", "PVP_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        settings = load_aws_settings(stage="dev")
        clients = AwsClients(settings)
        clients.get("dynamodb").create_table(TableName=settings.prediction_table, **TABLE_SCHEMA)
        clients.get("s3").create_bucket(Bucket=settings.bucket)
        yield MotoStage(settings, clients)
