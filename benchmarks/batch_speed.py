"""Batch scoring speed: rows/s through the ECS proxy on the local backend, 1,000 rows per
POST /get_predictions against the same rows as single POST /get_prediction requests.

    python -m benchmarks.batch_speed [--rows 8000] [--rounds 3] [--workers 2]

Each measurement prices `--rows` rows (every row priced and logged), over keep-alive
connections, one client thread per connection: at 1 connection (one client waiting on
each answer) and at as many connections as workers. The two ways alternate inside each
round, their order flipping every round, so a busy moment of the shared machine hits
both alike; rows are printed per measurement with the load average, and the summary
gives medians and the ratio per round. A best case for the server: the client runs on
the same two cores.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.api_speed import prepare_home
from benchmarks.load import load_average
from contract.environment import MAX_BATCH_ROWS, WORKERS
from devtools.launch import RunningServer, running_proxy

BATCH = MAX_BATCH_ROWS.default
SECTORS = ("las condes", "vitacura", "providencia", "nunoa", "la reina", "lo barnechea")


def rows(count: int) -> list[dict[str, object]]:
    """Varied, valid properties (every one is priced)."""
    return [
        {
            "Type": "casa" if i % 3 else "departamento",
            "Sector": SECTORS[i % len(SECTORS)],
            "NetUsableArea": 40.0 + i % 250,
            "NetArea": 60.0 + i % 400,
            "NRooms": 1 + i % 5,
            "NBathroom": 1 + i % 3,
            "Latitude": -33.45 + (i % 50) * 0.002,
            "Longitude": -70.62 + (i % 40) * 0.003,
        }
        for i in range(count)
    ]


@dataclass(frozen=True)
class Measured:
    way: str  # "batch" or "single"
    connections: int
    rows: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds


def _post_all(server: RunningServer, key: str, path: str, bodies: list[bytes]) -> list[float]:
    """Send the bodies one after another on one keep-alive connection; latencies in ms."""
    headers = {"Content-Type": "application/json", "API-key": key}
    conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
    latencies = []
    try:
        for body in bodies:
            started = time.perf_counter()
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            answer = response.read()
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}: {answer[:200]!r}")
    finally:
        conn.close()
    return latencies


def measure(
    server: RunningServer, key: str, way: str, all_rows: list[dict[str, object]], connections: int
) -> Measured:
    if way == "batch":
        path = "/get_predictions"
        bodies = [
            json.dumps(all_rows[i : i + BATCH]).encode() for i in range(0, len(all_rows), BATCH)
        ]
    else:
        path, bodies = "/get_prediction", [json.dumps(row).encode() for row in all_rows]
    shares = [bodies[i::connections] for i in range(connections)]
    results: list[list[float]] = [[] for _ in shares]

    def run(index: int) -> None:
        results[index] = _post_all(server, key, path, shares[index])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    latencies = [ms for part in results for ms in part]
    if len(latencies) != len(bodies):
        raise RuntimeError(f"{way}: {len(bodies) - len(latencies)} requests failed")
    return Measured(way, connections, len(all_rows), seconds, latencies)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=8 * BATCH, help="rows per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=WORKERS.read(os.environ))
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    all_rows = rows(args.rows)
    print(f"machine: {os.cpu_count()} CPUs, load average (1/5/15 min) before: {load_average()}")
    measured: list[tuple[int, Measured]] = []
    with tempfile.TemporaryDirectory(prefix="pvp-bench-") as tmp:
        key = prepare_home(Path(tmp))
        with running_proxy(Path(tmp), workers=args.workers) as server:
            measure(server, key, "batch", all_rows[:BATCH], 1)  # warm both workers' models
            measure(server, key, "single", all_rows[:200], args.workers)
            for round_number in range(args.rounds):
                ways = ("batch", "single") if round_number % 2 == 0 else ("single", "batch")
                for connections in sorted({1, args.workers}):
                    for way in ways:
                        result = measure(server, key, way, all_rows, connections)
                        measured.append((round_number, result))
                        print(
                            f"round {round_number + 1}: {way:6} {connections} connection(s): "
                            f"{result.rows_per_s:,.0f} rows/s, load average {load_average()}",
                            flush=True,
                        )
    print(f"load average after: {load_average()}")
    print_summary(measured, args)
    return 0


def print_summary(measured: list[tuple[int, Measured]], args: argparse.Namespace) -> None:
    print(
        f"\nrows/s through the proxy, local backend ({args.workers} workers, {args.rows:,} rows "
        f"per measurement, {args.rounds} rounds; batch: {BATCH:,} rows per request)"
    )
    print("| connections | batch rows/s | single rows/s | batch / single (per round) |")
    print("| ---: | ---: | ---: | --- |")
    for connections in sorted({m.connections for _, m in measured}):
        by_round: dict[int, dict[str, Measured]] = {}
        for round_number, m in measured:
            if m.connections == connections:
                by_round.setdefault(round_number, {})[m.way] = m
        batch = statistics.median(r["batch"].rows_per_s for r in by_round.values())
        single = statistics.median(r["single"].rows_per_s for r in by_round.values())
        ratios = ", ".join(
            f"{r['batch'].rows_per_s / r['single'].rows_per_s:.1f}x" for r in by_round.values()
        )
        print(f"| {connections} | {batch:,.0f} | {single:,.0f} | {ratios} |")
    one = [m for _, m in measured if m.way == "batch" and m.connections == 1]
    latencies = sorted(ms for m in one for ms in m.latencies_ms)
    print(
        f"\none {BATCH:,}-row request at 1 connection: median {statistics.median(latencies):.0f} ms"
        f" (min {latencies[0]:.0f}, max {latencies[-1]:.0f}) over {len(latencies)} requests"
    )


if __name__ == "__main__":
    raise SystemExit(main())
