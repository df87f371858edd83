"""What Secrets Manager does around a rotation function, done on moto's secret.

moto runs a rotation only through its own RotateSecret, which invokes the function as a
Lambda in Docker (not here). So the tests call the function's steps themselves, and
these put the secret where Secrets Manager would: configured for rotation (the stacks'
RotationSchedule), a new version staged AWSPENDING before the first step (RotateSecret),
and LastRotatedDate recorded once the rotation completed.
"""

from __future__ import annotations

import time
from typing import Any

ACCOUNT, REGION = "123456789012", "us-east-1"  # moto's account; the tests' region


def moto_secret(name: str) -> Any:
    from moto.secretsmanager.models import secretsmanager_backends

    return secretsmanager_backends[ACCOUNT][REGION].secrets[name]


def configure_rotation(name: str) -> None:
    secret = moto_secret(name)
    secret.rotation_requested = secret.rotation_enabled = True


def begin_rotation(name: str, token: str) -> None:
    """RotateSecret: a version with no value yet, staged AWSPENDING, for the steps."""
    moto_secret(name).versions[token] = {
        "createdate": int(time.time()),
        "version_id": token,
        "version_stages": ["AWSPENDING"],
    }


def complete_rotation(name: str, at: float | None = None) -> None:
    """What Secrets Manager records when the function's last step returned."""
    moto_secret(name).last_rotation_date = int(time.time() if at is None else at)


def backdate(name: str, version: str, seconds: float) -> None:
    """Make a version older than it is (a rotation's first step run long before its last)."""
    moto_secret(name).versions[version]["createdate"] -= int(seconds)
