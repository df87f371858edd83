"""Model server speed: one-row POST /invocations over loopback, as the serverless
endpoint receives them, at 1 and 8 connections (wrk, or the Python client without it).

    python -m benchmarks.model_server_speed [--seconds 10] [--rounds 3] [--model-dir D]

The server is `python -m training_pipeline.model_server`, as the image's `serve` runs it
(here on 127.0.0.1, with a model trained on the synthetic sample). Rows are printed with
the machine's load average, then the median of the rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

from benchmarks.api_speed import prepare_home
from benchmarks.api_speed_aws import RECORD  # one record in the model's own columns
from benchmarks.load import (
    LoadResult,
    load_average,
    pick_tool,
    run_python,
    run_wrk,
    with_server_cpu,
)
from devtools.launch import RunningServer
from devtools.moto_stack import running_model_server


def _one_load(server: RunningServer, connections: int, seconds: int, tool: str) -> LoadResult:
    body, pid = json.dumps(RECORD), server.process.pid
    if tool == "wrk":
        url = f"{server.base_url}/invocations"
        run_wrk(url, body, "", connections, 2)  # warm every worker
        return with_server_cpu(pid, lambda: run_wrk(url, body, "", connections, seconds))
    return with_server_cpu(
        pid,
        lambda: run_python(
            server.host, server.port, body, "", connections, seconds, path="/invocations"
        ),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--load", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--model-dir", type=Path, help="a trained model's directory (default: train one)"
    )
    args = parser.parse_args(argv)
    tool = pick_tool(args.load)
    print(f"machine: {os.cpu_count()} CPUs, load average (1/5/15 min) before: {load_average()}")
    rows: dict[int, list[LoadResult]] = {1: [], 8: []}
    with tempfile.TemporaryDirectory(prefix="pvp-model-bench-") as tmp:
        home = Path(tmp)
        model_dir = args.model_dir
        if model_dir is None:
            prepare_home(home)
            (model_dir,) = sorted((home / "models").iterdir())
        for round_ in range(args.rounds):
            with running_model_server(model_dir, home / "model_server.log") as server:
                for connections in rows:
                    load = _one_load(server, connections, args.seconds, tool)
                    rows[connections].append(load)
                    print(f"round {round_ + 1}: {load}, load average {load_average()}", flush=True)
    print(
        f"\nPOST /invocations, one record ({args.seconds}s per row, {args.rounds} round(s), "
        f"tool: {tool}): medians"
    )
    print("| connections | req/s | p50 ms | p99 ms | max ms | errors | server CPU ms/req |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for connections, loads in rows.items():
        print(
            f"| {connections} | {statistics.median(r.requests_per_s for r in loads):,.0f} "
            f"| {statistics.median(r.p50_ms for r in loads):.2f} "
            f"| {statistics.median(r.p99_ms for r in loads):.2f} "
            f"| {statistics.median(r.max_ms for r in loads):.1f} "
            f"| {sum(r.errors for r in loads)} "
            f"| {statistics.median(r.cpu_ms_per_request or 0.0 for r in loads):.2f} |"
        )
    return 1 if any(r.errors for loads in rows.values() for r in loads) else 0


if __name__ == "__main__":
    raise SystemExit(main())
