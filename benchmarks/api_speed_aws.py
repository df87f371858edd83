"""API speed on the AWS backend (moto_server + the model server as the endpoint), with
the local backend measured beside it in the same session, and where the time goes.

    python -m benchmarks.api_speed_aws [--seconds 10] [--calls 300] [--load auto|wrk|python]

moto is a single Python process standing in for three AWS services: its latency is
not AWS's. The figures show this code's own cost plus moto's; on AWS each call is a
network round trip instead (a few ms for DynamoDB and Secrets Manager in-region).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.api_speed import measure_connections, prepare_home
from benchmarks.load import LoadResult, pick_tool
from chalice_app.auth import KeyChecker
from chalice_app.aws.clients import RUNTIME, AwsClients
from chalice_app.aws.keys import SecretsManagerKeyStore
from chalice_app.aws.prediction_log import DynamoPredictionLog
from chalice_app.aws.predictor import EndpointPredictor
from chalice_app.config import load_local_settings
from chalice_app.ports import PredictionEntry
from contract.environment import HOME
from devtools.moto_stack import environ
from devtools.serve_moto import MotoStack, running_stack

RECORD = {
    "type": "departamento",
    "sector": "Providencia",
    "net_usable_area": 75.0,
    "net_area": 85.0,
    "n_rooms": 2.0,
    "n_bathroom": 2.0,
    "latitude": -33.43,
    "longitude": -70.61,
}


def _timed(call: Callable[[], object], calls: int) -> tuple[float, float]:
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def measure_parts(stack: MotoStack, calls: int) -> dict[str, tuple[float, float]]:
    """p50/p99 ms of each AWS call a prediction makes, from this process."""
    s = stack.settings
    with environ(stack.env):
        clients = AwsClients(s)
        for service in ("secretsmanager", RUNTIME, "sagemaker", "dynamodb"):
            clients.get(service)  # built here, so no figure includes building a client

    def store() -> SecretsManagerKeyStore:
        source = clients.source("secretsmanager")
        return SecretsManagerKeyStore(source, s.secret_name, ttl=300, grace=86400, retry_after=5)

    checker = KeyChecker(store(), 5.0)
    predictor = EndpointPredictor(
        clients.source(RUNTIME), clients.source("sagemaker"), s.endpoint_name, status_seconds=10
    )
    log = DynamoPredictionLog(clients.source("dynamodb"), s.prediction_table)

    def write() -> None:
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        log.record(PredictionEntry(uuid.uuid4().hex, now, RECORD, 1.0, "v0001", 1.0))

    checker.check(stack.key)
    predictor.predict(RECORD)
    return {
        "key check, cached (no call)": _timed(lambda: checker.check(stack.key), calls),
        "key store read (GetSecretValue, current + previous)": _timed(
            lambda: KeyChecker(store(), 5.0).check(stack.key), max(10, calls // 10)
        ),
        "endpoint call (InvokeEndpoint -> model server)": _timed(
            lambda: predictor.predict(RECORD), calls
        ),
        "log write (PutItem -> moto)": _timed(write, calls),
    }


def _rows(label: str, results: list[LoadResult]) -> list[str]:
    return [
        f"| {label} | {r.connections} | {r.requests_per_s:,.0f} | {r.p50_ms:.2f} | "
        f"{r.p99_ms:.2f} | {r.errors} |"
        for r in results
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--load", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    tool = pick_tool(args.load)
    with tempfile.TemporaryDirectory(prefix="pvp-bench-aws-") as tmp:
        home = Path(tmp)
        local_key = prepare_home(home)
        local = measure_connections(home, local_key, args.workers, args.seconds, tool)
        with running_stack(load_local_settings({HOME.name: str(home)})) as stack:
            aws = measure_connections(home, stack.key, args.workers, args.seconds, tool, stack.env)
            parts = measure_parts(stack, args.calls)
    print(
        f"\n/get_prediction through the ECS proxy ({args.workers} workers, "
        f"{args.seconds}s per row, tool: {local[0].tool}); same session, same model"
    )
    print("| backend | connections | req/s | p50 ms | p99 ms | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for line in _rows("local (SQLite, in-process model)", local) + _rows("AWS on moto", aws):
        print(line)
    print(f"\nwhere the time goes on the AWS backend (one client, {args.calls} calls each)")
    print("| part | p50 ms | p99 ms |")
    print("| --- | ---: | ---: |")
    for name, (p50, p99) in parts.items():
        print(f"| {name} | {p50:.2f} | {p99:.2f} |")
    return 1 if any(r.errors for r in local + aws) else 0


if __name__ == "__main__":
    raise SystemExit(main())
