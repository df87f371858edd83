"""The API keys' rotation function on moto: its four steps, in order and again.

moto cannot invoke a rotation function (its RotateSecret runs one as a Lambda in
Docker), so the steps are called as Secrets Manager calls them, and moto_rotation.py
puts the secret where Secrets Manager would around them.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from chalice_app.auth import KeyChecker
from chalice_app.aws.clients import AwsClients
from chalice_app.aws.keys import SecretsManagerKeyStore
from chalice_app.config import AwsSettings
from chalice_app.errors import ForbiddenError
from chalice_app.rotation.service import STEPS, KeyRotation, RotationError
from contract.resources import ROTATE_API_KEYS
from tests import events
from tests.aws_calls import CallRecorder
from tests.integration.chalice_app.aws.moto_rotation import (
    begin_rotation,
    complete_rotation,
    configure_rotation,
)
from tests.secrets_watch import leaks, new_key, register
from tests.unit.chalice_app.test_iam_policies import granted

DAY = 24 * 3600


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _event(secret: str, token: str, step: str) -> dict[str, str]:
    """Secrets Manager's event for a step (tests/events/), on this test's secret and version."""
    (sent,) = [e for e in map(events.load, events.names(ROTATE_API_KEYS)) if e["Step"] == step]
    return {**sent, "SecretId": secret, "ClientRequestToken": token}


def _keys(client: Any, secret: str, stage: str) -> dict[str, str]:
    data = json.loads(client.get_secret_value(SecretId=secret, VersionStage=stage)["SecretString"])
    return {name: register(key) for name, key in data.items()}  # the session scans for them


@pytest.fixture
def secret(aws: AwsClients, settings: AwsSettings) -> str:
    """The stage's secret, two clients' keys, configured for rotation."""
    keys = {"app": new_key(), "batch-reports": new_key()}
    arn = aws.get("secretsmanager").create_secret(
        Name=settings.secret_name, SecretString=json.dumps(keys)
    )["ARN"]
    configure_rotation(settings.secret_name)
    return str(arn)


def test_the_four_steps_in_order_and_again_rotate_every_key_once(
    aws: AwsClients,
    settings: AwsSettings,
    secret: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Everything this code logs, at its most talkative. (Not botocore's DEBUG lines: they
    # carry whole response bodies, keys included, and no function here turns them on.)
    caplog.set_level(logging.DEBUG, logger="chalice_app")
    client = aws.get("secretsmanager")
    old = _keys(client, secret, "AWSCURRENT")
    token = str(uuid.uuid4())
    begin_rotation(settings.secret_name, token)
    rotation = KeyRotation(aws.source("secretsmanager"))

    # WHEN Secrets Manager calls each step, each twice (it retries steps), then all again
    with CallRecorder(client) as calls:
        for step in STEPS:
            rotation.run(_event(secret, token, step))
            rotation.run(_event(secret, token, step))
        again = [rotation.run(_event(secret, token, step))["done"] for step in STEPS]
    complete_rotation(settings.secret_name)  # what Secrets Manager records at the end

    # THEN every client has one new key under its name; the old ones are AWSPREVIOUS
    new = _keys(client, secret, "AWSCURRENT")
    assert set(new) == set(old) and not set(new.values()) & set(old.values())
    assert all(len(key) == 43 for key in new.values())  # secrets.token_urlsafe(32)
    assert _keys(client, secret, "AWSPREVIOUS") == old
    versions = client.list_secret_version_ids(SecretId=secret)["Versions"]
    assert len(versions) == 2  # one new version, whatever the retries
    assert again == ["nothing: the version is current already"] * 4
    # AND it made only the calls its policy grants
    assert calls.actions <= granted("dev", ROTATE_API_KEYS), calls.actions

    # AND the API's key store takes the new keys, and the old ones through the grace
    wall = Clock(datetime.now(UTC).timestamp())
    store = SecretsManagerKeyStore(
        aws.source("secretsmanager"), secret, ttl=0, grace=DAY, retry_after=0, wall_clock=wall
    )
    checker = KeyChecker(store, 0.0)
    assert [checker.check(new[n]) for n in sorted(new)] == ["app", "batch-reports"]
    assert [checker.check(old[n]) for n in sorted(old)] == ["app", "batch-reports"]
    wall.now += DAY + 60
    with pytest.raises(ForbiddenError):
        checker.check(old["app"])
    assert checker.check(new["app"]) == "app"

    # AND no key, old or new, is in anything the rotation logged or printed
    printed = capsys.readouterr()
    said = "\n".join([caplog.text, printed.out, printed.err])
    assert "rotation of" in caplog.text  # it did log its steps
    assert leaks(said, [*old.values(), *new.values()]) == []


def test_it_refuses_a_secret_without_rotation_or_a_version_not_pending(
    aws: AwsClients, settings: AwsSettings, secret: str
) -> None:
    rotation = KeyRotation(aws.source("secretsmanager"))
    token = str(uuid.uuid4())

    with pytest.raises(RotationError, match="not being rotated"):
        rotation.run(_event(secret, token, "createSecret"))
    current = aws.get("secretsmanager").describe_secret(SecretId=secret)["VersionIdsToStages"]
    (first,) = current
    with pytest.raises(RotationError, match="unknown rotation step"):
        rotation.run({**_event(secret, first, "testSecret"), "Step": "rollBack"})
    aws.get("secretsmanager").update_secret_version_stage(
        SecretId=secret, VersionStage="AWSCURRENT", RemoveFromVersionId=first
    )
    with pytest.raises(RotationError, match="not staged AWSPENDING"):
        rotation.run(_event(secret, first, "finishSecret"))

    other = aws.get("secretsmanager").create_secret(Name="no-rotation", SecretString="{}")["ARN"]
    with pytest.raises(RotationError, match="rotation is not enabled"):
        rotation.run(_event(other, token, "createSecret"))


def test_the_function_answers_through_chalice(
    aws: AwsClients, settings: AwsSettings, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalice.test import Client

    from chalice_app.app import app
    from chalice_app.wiring import reset_rotation
    from tests.conftest import REPO_ROOT

    monkeypatch.setenv("AWS_REGION", settings.region)
    token = str(uuid.uuid4())
    begin_rotation(settings.secret_name, token)
    reset_rotation()
    with Client(app, stage_name="dev", project_dir=str(REPO_ROOT)) as chalice:
        answers = [
            chalice.lambda_.invoke(ROTATE_API_KEYS, _event(secret, token, step)).payload
            for step in STEPS
        ]
    reset_rotation()

    assert [a["step"] for a in answers] == list(STEPS)
    assert answers[-1]["done"].startswith("AWSCURRENT moved from version")
    stages = aws.get("secretsmanager").describe_secret(SecretId=secret)["VersionIdsToStages"]
    assert "AWSCURRENT" in stages[token]
    _keys(aws.get("secretsmanager"), secret, "AWSCURRENT")  # registered for the scan
