"""What an operator command reports as `error: ...` and exit status 1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class OperatorError(Exception):
    """A command cannot do what it was asked; the message says why, for people."""


@contextmanager
def aws_call(what: str) -> Iterator[None]:
    """An AWS call's failure (access denied, a missing bucket, no network) as an
    OperatorError saying what could not be done, not a traceback."""
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise OperatorError(f"cannot {what}: {error.get('Code')}: {error.get('Message')}") from None
    except (BotoCoreError, Boto3Error) as exc:  # boto3's: S3 transfers wrap the cause
        raise OperatorError(f"cannot {what}: {exc}") from None
