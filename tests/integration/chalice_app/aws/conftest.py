"""AWS adapters against moto in process (`mock_aws`): settings, clients, a call counter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalice_app.aws.clients import AwsClients
from chalice_app.config import AwsSettings, load_aws_settings

ENV = {"AWS_REGION": "us-east-1", "PVP_BUCKET": "pvp-test-data", "PVP_STAGE": "test"}


@pytest.fixture
def settings() -> AwsSettings:
    return load_aws_settings(ENV)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, settings: AwsSettings) -> Iterator[AwsClients]:
    """Clients on a fresh in-process moto; no call can leave the process."""
    from moto import mock_aws

    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield AwsClients(settings)
