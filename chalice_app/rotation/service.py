"""The four steps of a rotation of the API keys' secret, as Secrets Manager calls them.

The secret is `{client name: key}`. A rotation replaces every client's key under the
same name with a new random one (`secrets.token_urlsafe`): createSecret stages the new
version AWSPENDING, setSecret has nothing to set (the API reads the secret itself, there
is no other service to tell), testSecret checks the new version is a key store that keeps
every client and shares no key with the current one, and finishSecret moves AWSCURRENT
to it. Secrets Manager then moves AWSPREVIOUS to the old keys, which the API keeps
accepting through its grace, measured from this promotion (chalice_app/aws/keys.py).

As AWS's rotation template does (https://docs.aws.amazon.com/secretsmanager/latest/
userguide/rotate-secrets_lambda-functions.html), every step first checks that rotation
is enabled and that the event's ClientRequestToken names a version staged AWSPENDING,
or already AWSCURRENT (then a repeated step does nothing), and each step may run again:
Secrets Manager retries them. No key is ever logged, nor put in an error message.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Mapping
from typing import Any, Final

from chalice_app.auth import keys_in
from chalice_app.aws.clients import ClientSource, error_code
from chalice_app.aws.keys import CURRENT, PENDING

log = logging.getLogger(__name__)

STEPS: Final = ("createSecret", "setSecret", "testSecret", "finishSecret")
# 32 random bytes, 43 URL-safe characters: what `make run-moto` and a stack's first key use.
KEY_BYTES: Final = 32


class RotationError(Exception):
    """The rotation cannot go on; the message says why (never with a key in it)."""


def new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def _event(event: Mapping[str, Any]) -> tuple[str, str, str]:
    try:
        secret, token, step = (str(event[k]) for k in ("SecretId", "ClientRequestToken", "Step"))
    except KeyError as exc:
        raise RotationError(f"the rotation event lacks {exc.args[0]}") from None
    if step not in STEPS:
        raise RotationError(f"unknown rotation step {step!r}")
    return secret, token, step


class KeyRotation:
    def __init__(self, secrets_manager: ClientSource, make_key: Callable[[], str] = new_key):
        self._client = secrets_manager
        self._make_key = make_key

    def run(self, event: Mapping[str, Any]) -> dict[str, str]:
        """Do the event's step; what was done, for the function's answer and the log."""
        secret, token, step = _event(event)
        described = self._client().describe_secret(SecretId=secret)
        if not described.get("RotationEnabled"):
            raise RotationError(f"rotation is not enabled for {secret}")
        stages = described.get("VersionIdsToStages", {})
        if token not in stages:
            raise RotationError(f"version {token} of {secret} is not being rotated")
        if CURRENT in stages[token]:
            done = "nothing: the version is current already"
        elif PENDING not in stages[token]:
            raise RotationError(f"version {token} of {secret} is not staged {PENDING}")
        else:
            done = getattr(self, f"_{step}")(secret, token, stages)
        log.info("rotation of %s, version %s, %s: %s", secret, token, step, done)
        return {"secret": secret, "version": token, "step": step, "done": done}

    def _createSecret(self, secret: str, token: str, stages: Any) -> str:
        current = self._value(secret, VersionStage=CURRENT)
        if self._pending(secret, token) is not None:
            return "nothing: the new version exists already"
        names = sorted(keys_in(current, f"secret {secret}").values())
        if not names:
            raise RotationError(f"{secret} holds no key to rotate")
        # Every client's key replaced under its name; anything that is not a key stays.
        rotated = {n: self._make_key() if n in names else v for n, v in current.items()}
        self._client().put_secret_value(
            SecretId=secret,
            ClientRequestToken=token,
            SecretString=json.dumps(rotated),
            VersionStages=[PENDING],
        )
        return f"new keys for {len(names)} clients staged {PENDING}"

    def _setSecret(self, secret: str, token: str, stages: Any) -> str:
        return "nothing to set: the API reads the secret itself"

    def _testSecret(self, secret: str, token: str, stages: Any) -> str:
        pending = self._pending(secret, token)
        if pending is None:
            raise RotationError(f"version {token} of {secret} has no value to test")
        new = keys_in(pending, f"secret {secret} ({PENDING})")
        old = keys_in(self._value(secret, VersionStage=CURRENT), f"secret {secret}")
        lost = sorted(set(old.values()) - set(new.values()))
        if lost:
            raise RotationError(f"the new version has no key for {', '.join(lost)}")
        if set(new) & set(old):
            raise RotationError("the new version keeps a current key")
        if len(new) != len(set(new.values())):
            raise RotationError("the new version gives two clients one key")
        return f"{len(new)} new keys, one per client, none current"

    def _finishSecret(self, secret: str, token: str, stages: Any) -> str:
        current = next((v for v, s in stages.items() if CURRENT in s), None)
        self._client().update_secret_version_stage(
            SecretId=secret,
            VersionStage=CURRENT,
            MoveToVersionId=token,
            RemoveFromVersionId=current,
        )
        return f"{CURRENT} moved from version {current}"

    def _value(self, secret: str, **version: str) -> Any:
        answer = self._client().get_secret_value(SecretId=secret, **version)
        try:
            return json.loads(answer.get("SecretString") or "")
        except ValueError:
            raise RotationError(f"a version of {secret} is not JSON") from None

    def _pending(self, secret: str, token: str) -> Any | None:
        """The new version's value; None while it has none."""
        from botocore.exceptions import ClientError

        try:
            return self._value(secret, VersionId=token, VersionStage=PENDING)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise
