"""Secrets Manager key store on moto: refresh limit, rotation grace, failing closed."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalice_app.auth import KeyChecker
from chalice_app.aws.clients import AwsClients, fixed
from chalice_app.aws.keys import FRESH_SECONDS, READ_CALLS, SecretsManagerKeyStore
from chalice_app.config import AwsSettings, load_settings
from chalice_app.errors import ForbiddenError, ServiceUnavailableError
from devtools.moto_stack import FAKE_CREDENTIALS, REGION, running_moto
from tests.aws_calls import CallCounter
from tests.integration.chalice_app.aws.moto_rotation import (
    backdate,
    complete_rotation,
    configure_rotation,
)
from tests.secrets_watch import new_key


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _store(
    source: object, name: str, clock: FakeClock | None = None, **kw: object
) -> SecretsManagerKeyStore:
    options: dict[str, object] = {"ttl": 300, "grace": 24 * 3600, "retry_after": 5}
    options.update(kw)
    if clock is not None:
        options["clock"] = clock
    return SecretsManagerKeyStore(source, name, **options)  # type: ignore[arg-type]


def test_a_flood_of_bad_keys_reads_the_secret_at_most_once_per_interval(
    aws: AwsClients, settings: AwsSettings
) -> None:
    client = aws.get("secretsmanager")
    good = new_key()
    client.create_secret(Name=settings.secret_name, SecretString=json.dumps({"app": good}))
    counter = CallCounter(client, "GetSecretValue")
    clock = FakeClock()
    checker = KeyChecker(_store(fixed(client), settings.secret_name, clock), 5.0, clock=clock)
    checker.check(good)
    initial = counter.calls  # AWSCURRENT, and AWSPREVIOUS (the secret is new: in grace)
    assert initial <= 2
    # GIVEN 1,000 bad keys over 60 simulated seconds (one every 60 ms)
    refused = 0
    for _ in range(1000):
        clock.now += 0.06
        try:
            checker.check(secrets.token_urlsafe(32))
        except ForbiddenError:
            refused += 1
    # THEN all are refused, and the secret was read once per 5 s interval at most
    assert refused == 1000
    flood = counter.calls - initial
    assert flood <= 60 / 5 + 1
    print(f"GetSecretValue calls for 1,000 bad keys over 60 s: {flood}")
    # AND a burst with no time passing costs no call at all
    before = counter.calls
    for _ in range(1000):
        with pytest.raises(ForbiddenError):
            checker.check("wrong")
    assert counter.calls == before


def test_previous_keys_are_accepted_inside_the_grace_period_only(
    aws: AwsClients, settings: AwsSettings
) -> None:
    client = aws.get("secretsmanager")
    old, new = new_key(), new_key()
    client.create_secret(Name=settings.secret_name, SecretString=json.dumps({"app": old}))
    wall, clock = FakeClock(), FakeClock()
    wall.now = datetime.now(UTC).timestamp()
    store = _store(fixed(client), settings.secret_name, clock, wall_clock=wall)
    checker = KeyChecker(store, 0.0, clock=clock)
    checker.check(old)
    # GIVEN new keys put as current by hand: the old ones become AWSPREVIOUS
    client.put_secret_value(SecretId=settings.secret_name, SecretString=json.dumps({"app": new}))
    clock.now += FRESH_SECONDS
    assert checker.check(new) == "app"  # a new key is picked up by the refresh on a miss
    assert checker.check(old) == "app"  # and the old one still works inside the grace
    # WHEN the grace period has passed (24 h after the new version became current)
    wall.now += 25 * 3600
    # THEN only the current key is accepted
    checker.check(new)
    with pytest.raises(ForbiddenError):
        checker.check(old)


def test_the_grace_runs_from_the_promotion_of_a_version_pending_for_a_day(
    aws: AwsClients, settings: AwsSettings
) -> None:
    client, name = aws.get("secretsmanager"), settings.secret_name
    old, new = new_key(), new_key()
    first = client.create_secret(Name=name, SecretString=json.dumps({"app": old}))["VersionId"]
    configure_rotation(name)
    now = datetime.now(UTC).timestamp()
    # GIVEN a rotation whose new version was made AWSPENDING a day before it is promoted
    # (its createSecret step ran, the rotation failed later and ran again today)
    token = "4c2b5f4e-0000-4000-8000-000000000001"
    client.put_secret_value(
        SecretId=name,
        ClientRequestToken=token,
        SecretString=json.dumps({"app": new}),
        VersionStages=["AWSPENDING"],
    )
    backdate(name, token, 24 * 3600)
    client.update_secret_version_stage(
        SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=first
    )
    wall, clock = FakeClock(), FakeClock()
    wall.now = now
    checker = KeyChecker(_store(fixed(client), name, clock, wall_clock=wall), 0.0, clock=clock)

    # WHEN the promotion is done but the rotation not yet recorded (AWSPENDING is still on
    # the new version) THEN the old key works: its grace has just begun
    assert checker.check(old) == checker.check(new) == "app"

    # WHEN the rotation completes (Secrets Manager records LastRotatedDate)
    client.update_secret_version_stage(
        SecretId=name, VersionStage="AWSPENDING", RemoveFromVersionId=token
    )
    complete_rotation(name, at=now)
    # THEN the old key still works 23 hours on (its version was created 47 hours before)
    wall.now, clock.now = now + 23 * 3600, clock.now + 400  # past the keys' 300 s cache
    assert checker.check(old) == "app"
    # AND stops a day after the promotion
    wall.now, clock.now = now + 25 * 3600, clock.now + 400
    with pytest.raises(ForbiddenError):
        checker.check(old)
    assert checker.check(new) == "app"


def test_a_check_reads_the_secret_once_however_it_ends(
    aws: AwsClients, settings: AwsSettings
) -> None:
    client = aws.get("secretsmanager")
    good = new_key()
    client.create_secret(Name=settings.secret_name, SecretString=json.dumps({"app": good}))
    reads = CallCounter(client, "GetSecretValue")
    describes = CallCounter(client, "DescribeSecret")
    clock = FakeClock()
    checker = KeyChecker(_store(fixed(client), settings.secret_name, clock), 0.0, clock=clock)

    # WHEN a fresh process checks a wrong key: a read, then a refresh on the miss
    with pytest.raises(ForbiddenError):
        checker.check(new_key())

    # THEN one read: AWSCURRENT, its promotion, AWSPREVIOUS (the secret is in its grace)
    assert (reads.calls, describes.calls) == (2, 1)
    assert reads.calls + describes.calls <= READ_CALLS


def test_a_secret_that_cannot_be_read_refuses_with_503_never_lets_through(
    aws: AwsClients, settings: AwsSettings, caplog: pytest.LogCaptureFixture
) -> None:
    # No secret at all (a wrong name, or deleted): nothing cached, so fail closed.
    checker = KeyChecker(_store(aws.source("secretsmanager"), settings.secret_name), 0.0)
    with pytest.raises(ServiceUnavailableError) as caught:
        checker.check("any-key")
    # The operator learns which secret; the client learns nothing of the server's insides.
    assert settings.secret_name in caplog.text
    assert settings.secret_name not in caught.value.message


def test_a_secret_that_is_not_a_json_object_is_unavailable(
    aws: AwsClients, settings: AwsSettings
) -> None:
    aws.get("secretsmanager").create_secret(Name=settings.secret_name, SecretString="[1]")
    checker = KeyChecker(_store(aws.source("secretsmanager"), settings.secret_name), 0.0)
    with pytest.raises(ServiceUnavailableError):
        checker.check("any-key")


def test_with_secrets_manager_down_cached_keys_work_and_nothing_else_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    good = new_key()
    clock = FakeClock()
    with running_moto(tmp_path / "moto.log") as moto:
        client = boto3.session.Session().client(
            "secretsmanager", endpoint_url=moto.base_url, region_name=REGION
        )
        client.create_secret(Name="keys", SecretString=json.dumps({"app": good}))
        store = _store(fixed(client), "keys", clock)
        checker = KeyChecker(store, 0.0, clock=clock)
        checker.check(good)
    # GIVEN Secrets Manager is gone (the process is stopped: connections are refused)
    counter = CallCounter(client, "GetSecretValue")
    # THEN the cached key still works, even when a refresh is forced and fails
    clock.now += FRESH_SECONDS
    assert good in store.refresh()
    checker.check(good)
    with pytest.raises(ForbiddenError):
        checker.check("unknown")  # refused as a bad key, not let through
    # AND after one failure, the store waits before trying again (no call per request)
    assert counter.calls == 1
    clock.now += 6
    store.refresh()
    assert counter.calls == 2
    # AND a process that never read the keys refuses every request with 503
    cold = KeyChecker(_store(fixed(client), "keys", clock), 0.0, clock=clock)
    with pytest.raises(ServiceUnavailableError):
        cold.check(good)


def test_a_prediction_s_calls_are_made_with_the_limits_its_budget_counts(
    aws: AwsClients, settings: AwsSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalice_app.wiring import build_aws_backends, reset_backends
    from tests.integration.chalice_app.aws.conftest import ENV

    for name, value in {**ENV, "PVP_BACKEND": "aws"}.items():
        monkeypatch.setenv(name, value)
    reset_backends()
    backends = build_aws_backends(load_settings())

    def limits(client: Any) -> tuple[float, float, Any]:
        config = client.meta.config
        return config.connect_timeout, config.read_timeout, config.retries["total_max_attempts"]

    one_try = settings.prediction_call_limits
    expected = (one_try.connect_timeout, one_try.read_timeout, one_try.max_attempts)
    assert limits(backends.prediction_log._client()) == expected  # type: ignore[attr-defined]
    store = backends.keys._store  # type: ignore[attr-defined]
    assert limits(store._client()) == expected
    endpoint = settings.endpoint_limits
    assert limits(backends.predictor._runtime()) == (  # type: ignore[attr-defined]
        endpoint.connect_timeout,
        endpoint.read_timeout,
        endpoint.max_attempts,
    )
    reset_backends()
