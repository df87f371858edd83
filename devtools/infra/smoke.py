"""`python -m devtools.infra.smoke --stage S` (make smoke): the test invoker's events
against a deployed stage; exit 1 when any answer is not the expected one.

Each event of tests/events/test_invoker/ (the same files the tests and operators use) is
sent to the stage's deployed test invoker, the call `aws lambda invoke` makes, with the
API key read from the stage's secret. The invoker calls the stage's API from where it
runs (the internal ALB in the VPC, or API Gateway), so a pass proves the deployed
functions, the front, the key store and, for the predictions, the model.
The delivery pipeline runs it after each stage's deploy (buildspec-smoke.yml): a
failure fails the build, and the pipeline stops there.

`start_training` is not sent: it starts a real pipeline run. A stage that serves no
model answers the predictions 503 and fails: a stage that cannot price is not healthy.
`--wait` gives a first deploy's training run time to deploy one (ping is retried).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from chalice_app.invoker.event import METHOD_NOT_ALLOWED, UNKNOWN_ENDPOINT
from contract.resources import DEFAULT_STAGE, FIRST_CLIENT, TEST_INVOKER, StageNames, check_stage
from tests import events

# An event in, the invoker's result out: {"status_code", "body", "error"}.
Invoke = Callable[[Any], Mapping[str, Any]]


@dataclass(frozen=True)
class Expected:
    """The API's status, or the kind of error the invoker refuses the event with."""

    status: int | None = None
    refused: str | None = None

    def __str__(self) -> str:
        return str(self.status) if self.refused is None else f"refused ({self.refused})"


PING: Final = f"{TEST_INVOKER}/ping"
# Every event of the folder is here or in NOT_SENT (a test holds them to the folder).
CHECKS: Final[dict[str, Expected]] = {
    PING: Expected(200),
    f"{TEST_INVOKER}/openapi": Expected(200),
    f"{TEST_INVOKER}/get_prediction": Expected(200),
    f"{TEST_INVOKER}/get_predictions": Expected(200),
    # An id no run has: the 404 proves the route, the key and the run table's read.
    f"{TEST_INVOKER}/training_status": Expected(404),
    # Refused by the invoker itself: its route table is the deployed API's.
    f"{TEST_INVOKER}/refused/unknown_endpoint": Expected(refused=UNKNOWN_ENDPOINT),
    f"{TEST_INVOKER}/refused/unknown_method": Expected(refused=METHOD_NOT_ALLOWED),
}
NOT_SENT: Final = {f"{TEST_INVOKER}/start_training": "it starts a real training run"}
# How much of an answer's body a failure line shows (bodies carry no key).
SHOWN: Final = 300


class SmokeError(Exception):
    """The smoke test could not run (no key, the function failed to run)."""


@dataclass(frozen=True)
class Outcome:
    event: str
    expected: Expected
    got: str
    ok: bool

    def line(self) -> str:
        if self.ok:
            return f"ok    {self.event}: {self.got}"
        return f"FAIL  {self.event}: expected {self.expected}, got {self.got}"


def _got(result: Mapping[str, Any]) -> tuple[int | None, str | None, str]:
    """The status, the refusal kind, and how the result reads in a line."""
    error = result.get("error")
    if error:
        kind = str(error.get("kind"))
        return None, kind, f"refused ({kind}): {error.get('message')}"
    status = result.get("status_code")
    body = result.get("body")
    shown = body if isinstance(body, str) else json.dumps(body)
    return (status if isinstance(status, int) else None), None, f"{status} {shown[:SHOWN]}"


def check(name: str, expected: Expected, invoke: Invoke, key: str) -> Outcome:
    event = events.with_api_key(events.load(name), key)
    try:
        result = invoke(event)
    except SmokeError as exc:
        return Outcome(name, expected, str(exc), ok=False)
    status, refused, shown = _got(result)
    ok = (status, refused) == (expected.status, expected.refused)
    return Outcome(name, expected, shown if not ok else str(expected), ok)


def wait_for_model(
    invoke: Invoke,
    key: str,
    seconds: float,
    *,
    interval: float = 30.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Ask /ping until it answers 200 or `seconds` pass (a fresh stage's first run)."""
    deadline = clock() + seconds
    while clock() < deadline:
        outcome = check(PING, CHECKS[PING], invoke, key)
        if outcome.ok:
            return
        print(f"waiting for a model: {outcome.got}", flush=True)
        sleep(min(interval, max(0.0, deadline - clock())))


def run(
    invoke: Invoke, key: str, checks: Mapping[str, Expected] = CHECKS, wait: float = 0.0
) -> list[Outcome]:
    if wait > 0:
        wait_for_model(invoke, key, wait)
    return [check(name, expected, invoke, key) for name, expected in checks.items()]


def lambda_invoke(client: Any, function_name: str) -> Invoke:
    """An `Invoke` through Lambda's Invoke API (what `aws lambda invoke` calls)."""

    def invoke(event: Any) -> Mapping[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = client.invoke(FunctionName=function_name, Payload=json.dumps(event).encode())
        except (BotoCoreError, ClientError) as exc:
            raise SmokeError(f"{function_name} could not be invoked: {exc}") from None
        payload = answer["Payload"].read().decode("utf-8", "replace")
        if answer.get("FunctionError"):
            # The invoker never raises: this is a crash, a timeout or a missing function.
            raise SmokeError(f"{function_name} failed ({answer['FunctionError']}): {payload}")
        try:
            result = json.loads(payload)
        except ValueError:
            result = None
        if not isinstance(result, dict):
            raise SmokeError(f"{function_name} answered no invoker result: {payload[:SHOWN]}")
        return result

    return invoke


def stage_key(client: Any, secret: str, client_name: str = FIRST_CLIENT) -> str:
    """The key of `client_name` in the stage's secret ({client name: key})."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = client.get_secret_value(SecretId=secret, VersionStage="AWSCURRENT")
    except (BotoCoreError, ClientError) as exc:
        raise SmokeError(f"the key could not be read from {secret}: {exc}") from None
    value = answer["SecretString"]
    keys = json.loads(value)
    if client_name not in keys:
        raise SmokeError(f"the secret {secret} has no key for the client {client_name!r}")
    return str(keys[client_name])


def main(argv: Sequence[str] | None = None, *, clients: Callable[[str], Any] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.infra.smoke", description=__doc__)
    parser.add_argument("--stage", default=DEFAULT_STAGE)
    parser.add_argument("--client", default=FIRST_CLIENT, help="whose key the events carry")
    parser.add_argument(
        "--wait", type=float, default=0.0, help="seconds to wait for /ping to answer 200 first"
    )
    args = parser.parse_args(argv)
    names = StageNames(check_stage(args.stage))
    make = clients or _client
    try:
        key = stage_key(make("secretsmanager"), names.secret, args.client)
        invoke = lambda_invoke(make("lambda"), names.function(TEST_INVOKER))
        outcomes = run(invoke, key, wait=args.wait)
    except SmokeError as exc:
        print(f"smoke test of {args.stage}: {exc}", file=sys.stderr)
        return 1
    for outcome in outcomes:
        print(outcome.line())
    failed = sum(not outcome.ok for outcome in outcomes)
    print(f"smoke test of {args.stage}: {len(outcomes) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _client(service: str) -> Any:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    # The invoker answers within its 40 s timeout: the read timeout is above it. A retried
    # Invoke sends its event again, which reads and logs one more prediction at most.
    config = Config(read_timeout=70, retries={"mode": "standard"})
    try:
        return boto3.client(service, config=config)
    except BotoCoreError as exc:  # no region: the AWS CLI's configuration is missing
        raise SmokeError(f"no {service} client: {exc}") from None


if __name__ == "__main__":
    sys.exit(main())
