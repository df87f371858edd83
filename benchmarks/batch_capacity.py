"""How large a /get_predictions batch the API Lambda can take: its memory and time.

    python -m benchmarks.batch_capacity [--sizes 1000 2500 5000 10000]

The Chalice app runs on its AWS backend, as the Lambda runs it, against moto_server and
the model server (what `make run-moto` starts). Each batch size is one fresh process
(so its peak memory is that batch's): a one-row batch first (clients built, model code
warm), then one batch of N rows. It prints, per size: the process's peak RSS before and
after, the handler's own CPU time (parsing, validating, the InvokeEndpoint and
BatchWriteItem calls' client side, the answer; the model's work and moto's are other
processes), the wall time, and the bytes of the request, the answer and the endpoint
call. The model server's time for the same rows is timed on its own.

What this machine cannot tell, and the summary assumes in the open: a 512 MB Lambda has
~0.29 of a vCPU (1,769 MB is one:
https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html), so its CPU time
is scaled by 1769/512; a BatchWriteItem of 25 small items on AWS is taken to take 20 ms.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.api_speed import prepare_home
from benchmarks.batch_speed import rows
from benchmarks.load import load_average
from chalice_app.config import load_local_settings
from contract.environment import (
    BATCH_LOG_SECONDS,
    HOME,
    MAX_BATCH_BODY_BYTES,
    MAX_BATCH_BODY_LIMIT,
    MAX_BATCH_ROWS,
    MODEL_SERVER_MAX_RECORDS,
)
from devtools.launch import REPO_ROOT

LAMBDA_MEMORY_MB = 512
LAMBDA_VCPU_MB = 1769  # the memory at which a Lambda function has one vCPU
LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024  # synchronous request and answer, each
SERVERLESS_PAYLOAD_BYTES = 4 * 1024 * 1024  # a serverless endpoint's request
ASSUMED_BATCH_WRITE_MS = 20.0
BATCH_WRITE_ITEMS = 25

# Runs in the child: the app as the Lambda runs it (the stage's config, AWS backend),
# importing nothing else of the project's (the rows come as files).
PROBE = """
import json, re, sys, time
from pathlib import Path
from chalice.test import Client
from chalice_app.app import app
warm, body, key, repo = Path(sys.argv[1]).read_text(), Path(sys.argv[2]).read_text(), *sys.argv[3:]
headers = {"API-key": key, "Content-Type": "application/json"}
# VmHWM: this process's own peak RSS (ru_maxrss would carry the parent's over the exec)
status = lambda: Path("/proc/self/status").read_text()
peak = lambda: int(re.search(r"VmHWM:\\s+(\\d+) kB", status()).group(1)) / 1024
with Client(app, stage_name="dev", project_dir=repo) as client:
    first = client.http.post("/get_predictions", headers=headers, body=warm)
    assert first.status_code == 200, first.body
    before, cpu, wall = peak(), time.process_time(), time.perf_counter()
    answer = client.http.post("/get_predictions", headers=headers, body=body)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert answer.status_code == 200, answer.body[:300]
    rows = json.loads(answer.body)["predictions"]
    print(json.dumps({"size": len(rows), "priced": sum("value" in row for row in rows),
        "rss_before_mb": before, "rss_after_mb": peak(), "cpu_s": cpu, "wall_s": wall,
        "request_bytes": len(body), "answer_bytes": len(answer.body),
        "pandas_loaded": "pandas" in sys.modules}))
"""


def _snake(row: dict[str, Any]) -> dict[str, Any]:
    from chalice_app.contracts import PredictionRequest

    return PredictionRequest.model_validate(row).to_record()


def endpoint_seconds(runtime_url: str, endpoint: str, size: int) -> tuple[float, int]:
    """The model server's wall time for `size` rows in one InvokeEndpoint, and the body's
    bytes (best of three)."""
    import http.client
    from urllib.parse import urlparse

    body = json.dumps([_snake(row) for row in rows(size)]).encode()
    url = urlparse(runtime_url)
    best = math.inf
    for _ in range(3):
        conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=120)
        started = time.perf_counter()
        conn.request(
            "POST",
            f"/endpoints/{endpoint}/invocations",
            body,
            {"Content-Type": "application/json", "Accept": "application/json"},
        )
        response = conn.getresponse()
        response.read()
        best = min(best, time.perf_counter() - started)
        conn.close()
        if response.status != 200:
            raise RuntimeError(f"the model server answered {response.status}")
    return best, len(body)


def measure(sizes: list[int]) -> list[dict[str, Any]]:
    from devtools.serve_moto import running_stack

    found = []
    with tempfile.TemporaryDirectory(prefix="pvp-bench-") as tmp:
        prepare_home(Path(tmp))
        local = load_local_settings({HOME.name: tmp})
        with running_stack(local) as stack:
            env = {
                **stack.env,
                "PYTHONPATH": str(REPO_ROOT),
                "OMP_NUM_THREADS": "1",
                MAX_BATCH_ROWS.name: str(MODEL_SERVER_MAX_RECORDS),
                MAX_BATCH_BODY_BYTES.name: str(MAX_BATCH_BODY_LIMIT),
                # Every row's log write is measured, not cut off by the deadline.
                BATCH_LOG_SECONDS.name: "600",
            }
            warm = Path(tmp) / "warm.json"
            warm.write_text(json.dumps(rows(1)))
            for size in sizes:
                body = Path(tmp) / f"rows-{size}.json"
                body.write_text(json.dumps(rows(size)))
                probe = [str(warm), str(body), stack.key, str(REPO_ROOT)]
                out = subprocess.run(
                    [sys.executable, "-c", PROBE, *probe],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=REPO_ROOT,
                ).stdout
                result = json.loads(next(line for line in out.splitlines() if '"size"' in line))
                seconds, invoke_bytes = endpoint_seconds(
                    stack.endpoint.base_url, stack.settings.endpoint_name, size
                )
                result.update(endpoint_s=seconds, invoke_bytes=invoke_bytes)
                found.append(result)
                print(f"measured: {result}, load average {load_average()}", flush=True)
    return found


def summarize(found: list[dict[str, Any]]) -> None:
    print(
        "\n| rows | peak RSS before / after, MB | handler CPU s (x3.46 on 512 MB) | "
        "endpoint s (this machine) | wall s (moto) | request / answer / InvokeEndpoint KB |"
    )
    print("| ---: | --- | --- | ---: | ---: | --- |")
    for r in found:
        print(
            f"| {r['size']:,} | {r['rss_before_mb']:.0f} / {r['rss_after_mb']:.0f} | "
            f"{r['cpu_s']:.2f} ({r['cpu_s'] * LAMBDA_VCPU_MB / LAMBDA_MEMORY_MB:.2f}) | "
            f"{r['endpoint_s']:.2f} | {r['wall_s']:.2f} | {r['request_bytes'] / 1024:,.0f} / "
            f"{r['answer_bytes'] / 1024:,.0f} / {r['invoke_bytes'] / 1024:,.0f} |"
        )
    largest = max(found, key=lambda r: r["size"])
    n = largest["size"]
    per_row_mb = (largest["rss_after_mb"] - largest["rss_before_mb"]) / n
    per_row_cpu = largest["cpu_s"] * LAMBDA_VCPU_MB / LAMBDA_MEMORY_MB / n
    per_row_endpoint = largest["endpoint_s"] / n
    log_per_row = ASSUMED_BATCH_WRITE_MS / 1000 / BATCH_WRITE_ITEMS
    limits = {
        "Lambda memory (512 MB, 64 MB kept free)": (
            (LAMBDA_MEMORY_MB - 64 - largest["rss_before_mb"]) / per_row_mb
            if per_row_mb > 0
            else math.inf
        ),
        "Lambda request payload (6 MB)": LAMBDA_PAYLOAD_BYTES / (largest["request_bytes"] / n),
        "Lambda answer payload (6 MB)": LAMBDA_PAYLOAD_BYTES / (largest["answer_bytes"] / n),
        "serverless endpoint request (4 MB)": SERVERLESS_PAYLOAD_BYTES
        / (largest["invoke_bytes"] / n),
        "model server records per call": MODEL_SERVER_MAX_RECORDS,
        f"log writes inside PVP_BATCH_LOG_SECONDS ({BATCH_LOG_SECONDS.default:g} s)": (
            BATCH_LOG_SECONDS.default / log_per_row
        ),
        "typical time inside 10 s (CPU x3.46 + endpoint + log)": 10.0
        / (per_row_cpu + per_row_endpoint + log_per_row),
    }
    print(
        f"\nper row, from the {n:,}-row batch: {per_row_mb * 1024:.1f} KB of peak memory, "
        f"{per_row_cpu * 1000:.2f} ms of 512 MB Lambda CPU, {per_row_endpoint * 1000:.3f} ms "
        f"of model server, {log_per_row * 1000:.2f} ms of log writes (assumed)"
    )
    print("| limit | rows |")
    print("| --- | ---: |")
    for name, value in sorted(limits.items(), key=lambda item: item[1]):
        print(f"| {name} | {value:,.0f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2500, 5000, 10000])
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    print(f"machine: {os.cpu_count()} CPUs, load average (1/5/15 min) before: {load_average()}")
    summarize(measure(sorted(args.sizes)))
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
