"""Load generators: wrk when installed, else a small multi-process Python client."""

from __future__ import annotations

import http.client
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class LoadResult:
    tool: str
    connections: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    requests: int  # answered; 0 when the server answered nothing at all
    # The server's CPU time (all its processes) per answered request: unlike the rates,
    # it barely moves when other work shares the machine.
    cpu_ms_per_request: float | None = None


_LUA = """wrk.method = "POST"
wrk.body = [[{body}]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["API-key"] = "{key}"
"""
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not found:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(found.group(1)) * _UNITS[found.group(2)]


def run_wrk(url: str, body: str, key: str, connections: int, seconds: int) -> LoadResult:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(_LUA.format(body=body, key=key))
        threads = min(connections, 2)
        command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
        out = subprocess.run(
            [*command, "-s", str(script), url], capture_output=True, text=True, check=True
        ).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    # "Latency  avg  stdev  max  +/- stdev": the third figure is the slowest request.
    summary = re.search(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", out, re.MULTILINE)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    answered = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if rps is None or set(latency) != {"50", "99"} or summary is None or answered is None:
        raise RuntimeError(f"cannot read wrk output:\n{out}")
    bad = int(errors.group(1)) if errors else 0
    if socket_errors:
        bad += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return LoadResult(
        "wrk",
        connections,
        float(rps.group(1)),
        _ms(latency["50"]),
        _ms(latency["99"]),
        _ms(summary.group(1)),
        bad,
        int(answered.group(1)),
    )


def _client(args: tuple[str, int, str, str, float, str]) -> tuple[list[float], int]:
    host, port, body, key, until, path = args
    headers = {"Content-Type": "application/json", "API-key": key}
    latencies, errors = [], 0
    while time.monotonic() < until:
        started = time.perf_counter()
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.request("POST", path, body, headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        latencies.append((time.perf_counter() - started) * 1000)
        errors += response.status != 200
    return latencies, errors


def run_python(
    host: str,
    port: int,
    body: str,
    key: str,
    connections: int,
    seconds: int,
    path: str = "/get_prediction",
) -> LoadResult:
    until = time.monotonic() + seconds
    with multiprocessing.get_context("spawn").Pool(connections) as pool:
        parts = pool.map(_client, [(host, port, body, key, until, path)] * connections)
    latencies = sorted(x for part, _ in parts for x in part)
    quantiles = statistics.quantiles(latencies, n=100)
    return LoadResult(
        "python",
        connections,
        len(latencies) / seconds,
        quantiles[49],
        quantiles[98],
        latencies[-1],
        sum(errors for _, errors in parts),
        len(latencies),
    )


def cpu_seconds(root_pid: int) -> float:
    """CPU time used so far by a process and its live descendants, every thread counted."""
    total, pending = 0.0, [root_pid]
    tick = os.sysconf("SC_CLK_TCK")
    while pending:
        pid = pending.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue  # gone meanwhile
    return total


def with_server_cpu(root_pid: int, measure: Callable[[], LoadResult]) -> LoadResult:
    """`measure()`, with the server's CPU time per answered request."""
    before = cpu_seconds(root_pid)
    result = measure()
    spent = cpu_seconds(root_pid) - before
    per_request = spent * 1000 / result.requests if result.requests else None
    return replace(result, cpu_ms_per_request=per_request)


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def pick_tool(choice: str) -> str:
    """`--load auto|wrk|python` as a tool: auto is wrk when it is installed."""
    return "wrk" if choice == "wrk" or (choice == "auto" and have_wrk()) else "python"


def load_average() -> str:
    """The machine's 1/5/15-minute load: other processes move every figure here."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())
