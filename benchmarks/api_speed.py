"""API speed: /get_prediction over loopback HTTP through the ECS proxy, the handler's
import time in a fresh interpreter, and the Lambda package's unzipped size.

    python -m benchmarks.api_speed [--seconds 10] [--workers 2] [--rounds 3]
        [--slow-clients 200] [--servers proxy sync granian-wsgi granian-asgi uvicorn]
        [--skip-package] [--skip-import] [--load auto|wrk|python]

The servers take turns within each round, in alternate order from one round to the
next, so a busy moment of the machine hits them alike; every row is printed with the
machine's load average, then the median of the rounds for each server and cell, with
its ratio to the first server's. Each server's own end of a connection is checked for
TCP_NODELAY (benchmarks.socket_options).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from benchmarks.load import (
    LoadResult,
    load_average,
    pick_tool,
    run_python,
    run_wrk,
    with_server_cpu,
)
from benchmarks.server_candidates import SERVER_ENV
from benchmarks.slow_clients import SlowClients
from benchmarks.socket_options import check_nodelay
from chalice_app.config import load_local_settings
from contract.environment import HOME, WORKERS
from devtools.launch import REPO_ROOT, RunningServer, running_proxy
from devtools.serve_local import prepare

BODY = json.dumps(
    {
        "Type": "departamento",
        "Sector": "Providencia",
        "NetUsableArea": 75,
        "NetArea": 85,
        "NRooms": 2,
        "NBathroom": 2,
        "Latitude": -33.43,
        "Longitude": -70.61,
    }
)
IMPORT_PROBE = (
    "import sys, time; sys.path.insert(0, sys.argv[1]); t = time.perf_counter(); import app; "
    "print((time.perf_counter() - t) * 1000)"
)


def prepare_home(home: Path) -> str:
    """A throwaway home with a model trained on the synthetic sample, as `make run` makes."""
    key = prepare(load_local_settings({HOME.name: str(home)}))
    assert key is not None
    return key


# `--servers` choices: the module run as `python -m`, and what it reads from the
# environment. `proxy` is what ships; the others are references and candidates.
SERVERS: dict[str, tuple[str, dict[str, str]]] = {
    "proxy": ("ecs_proxy", {}),
    "sync": ("benchmarks.sync_server", {}),
    **{
        name: ("benchmarks.server_candidates", {SERVER_ENV: name})
        for name in ("granian-wsgi", "granian-asgi", "uvicorn")
    },
}


@dataclass(frozen=True)
class HttpRow:
    server: str
    slow_clients: int
    load: LoadResult
    round: int = 0


def _one_load(
    server: RunningServer, key: str, connections: int, seconds: int, tool: str
) -> LoadResult:
    pid = server.process.pid
    if tool == "wrk":
        url = f"{server.base_url}/get_prediction"
        run_wrk(url, BODY, key, connections, 2)  # warm every worker
        return with_server_cpu(pid, lambda: run_wrk(url, BODY, key, connections, seconds))
    return with_server_cpu(
        pid, lambda: run_python(server.host, server.port, BODY, key, connections, seconds)
    )


def measure_connections(
    home: Path,
    key: str,
    workers: int,
    seconds: int,
    tool: str,
    env: Mapping[str, str] | None = None,
) -> list[LoadResult]:
    """Our server alone at 1 and 8 connections (the AWS benchmark's rows)."""
    with running_proxy(home, workers=workers, env=env) as server:
        return [_one_load(server, key, connections, seconds, tool) for connections in (1, 8)]


def measure_http(
    home: Path, key: str, args: argparse.Namespace, tool: str
) -> tuple[list[HttpRow], dict[str, bool | None]]:
    """Every server, without and with slow clients, at 1 and 8 connections; in rounds
    that alternate the servers, so a busy moment of the machine hits them alike. Also
    whether each server set TCP_NODELAY on its end of a connection."""
    rows, nodelay = [], {}
    for round_ in range(args.rounds):
        order = args.servers if round_ % 2 == 0 else args.servers[::-1]
        for name in order:
            module, env = SERVERS[name]
            with running_proxy(home, workers=args.workers, module=module, env=env) as server:
                nodelay[name] = check_nodelay(server.process.pid, server.host, server.port)
                for slow in (0, args.slow_clients):
                    with SlowClients(server.host, server.port, slow):
                        for connections in (1, 8):
                            load = _one_load(server, key, connections, args.seconds, tool)
                            rows.append(HttpRow(name, slow, load, round_ + 1))
                            print(
                                f"measured: {rows[-1]}, load average {load_average()}", flush=True
                            )
    return rows, nodelay


def _cell(row: HttpRow) -> tuple[str, int, int]:
    return row.server, row.slow_clients, row.load.connections


def median_rows(rows: list[HttpRow]) -> dict[tuple[str, int, int], LoadResult]:
    """Per server and cell, the median of each figure over the rounds."""
    cells: dict[tuple[str, int, int], list[LoadResult]] = {}
    for row in rows:
        cells.setdefault(_cell(row), []).append(row.load)
    medians = {}
    for cell, loads in cells.items():
        answered = [load for load in loads if load.requests] or loads
        medians[cell] = LoadResult(
            loads[0].tool,
            cell[2],
            statistics.median(load.requests_per_s for load in loads),
            statistics.median(load.p50_ms for load in answered),
            statistics.median(load.p99_ms for load in answered),
            statistics.median(load.max_ms for load in answered),
            sum(load.errors for load in loads),
            sum(load.requests for load in loads),
            _median_or_none([load.cpu_ms_per_request for load in answered]),
        )
    return medians


def _median_or_none(values: list[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None


def _cpu(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def print_http(
    rows: list[HttpRow], args: argparse.Namespace, nodelay: Mapping[str, bool | None]
) -> None:
    print(
        f"\n/get_prediction over loopback ({args.workers} workers, {args.seconds}s per row, "
        f"{args.rounds} round(s), tool: {rows[0].load.tool}); slow clients send one header "
        "byte a second"
    )
    print(
        "| round | server | slow clients | connections | req/s | p50 ms | p99 ms | max ms "
        "| errors | server CPU ms/req |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        r = row.load
        cells = f"| {row.round} | {row.server} | {row.slow_clients} | {r.connections} "
        if r.requests == 0:  # wrk reports no latency and no timeout then
            print(cells + "| 0 | - | - | - | all | - |")
            continue
        print(
            cells + f"| {r.requests_per_s:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} "
            f"| {r.max_ms:.1f} | {r.errors} | {_cpu(r.cpu_ms_per_request)} |"
        )
    medians = median_rows(rows)
    first = args.servers[0]
    print(
        f"\nMedians of {args.rounds} round(s); ratios against {first} (req/s: higher is "
        "better; p99: lower is better)"
    )
    print(
        "| server | TCP_NODELAY | slow clients | connections | req/s | x req/s | p50 ms "
        "| p99 ms | x p99 | max ms | errors | server CPU ms/req |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (name, slow, connections), r in medians.items():
        base = medians[(first, slow, connections)]
        rps_ratio = r.requests_per_s / base.requests_per_s if base.requests_per_s else 0.0
        p99_ratio = r.p99_ms / base.p99_ms if base.p99_ms else 0.0
        flag = {True: "on", False: "OFF", None: "unread"}[nodelay.get(name)]
        print(
            f"| {name} | {flag} | {slow} | {connections} | {r.requests_per_s:,.0f} "
            f"| {rps_ratio:.2f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {p99_ratio:.2f} "
            f"| {r.max_ms:.1f} | {r.errors} | {_cpu(r.cpu_ms_per_request)} |"
        )


def measure_import(
    runs: int = 9, root: Path = REPO_ROOT, flags: tuple[str, ...] = ("-I",)
) -> tuple[float, float]:
    """Median ms of `import app` alone, and of the whole fresh interpreter run."""
    inner, whole = [], []
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, *flags, "-c", IMPORT_PROBE, str(root)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        whole.append((time.perf_counter() - started) * 1000)
        inner.append(float(out))
    return statistics.median(inner), statistics.median(whole)


def measure_package() -> tuple[float, float]:
    """Unzipped size in MiB of a fresh `chalice package` (needs pip to reach PyPI), and
    the median ms of `import app` from it as Lambda's cold start does it: `python -B -I`
    (the zip has no bytecode and /var/task is read-only, so every start compiles)."""
    shutil.rmtree(REPO_ROOT / ".chalice" / "deployments", ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    with tempfile.TemporaryDirectory() as tmp:
        chalice = str(Path(sys.executable).with_name("chalice"))
        subprocess.run(
            [chalice, "package", "--stage", "dev", tmp],
            cwd=REPO_ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        with zipfile.ZipFile(Path(tmp) / "deployment.zip") as archive:
            size = sum(info.file_size for info in archive.infolist()) / 2**20
            archive.extractall(Path(tmp) / "pkg")
        cold_ms, _ = measure_import(root=Path(tmp) / "pkg", flags=("-B", "-I"))
        return size, cold_ms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=WORKERS.read(os.environ))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--slow-clients", type=int, default=200)
    parser.add_argument(
        "--servers",
        nargs="+",
        choices=sorted(SERVERS),
        default=["proxy", "sync"],
        help="the first is the reference of the ratios; see benchmarks.server_candidates",
    )
    parser.add_argument("--skip-package", action="store_true")
    parser.add_argument("--skip-import", action="store_true", help="HTTP rows only")
    parser.add_argument("--load", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    print(f"machine: {os.cpu_count()} CPUs, load average (1/5/15 min) before: {load_average()}")
    with tempfile.TemporaryDirectory(prefix="pvp-bench-") as tmp:
        home = Path(tmp)
        key = prepare_home(home)
        rows, nodelay = measure_http(home, key, args, pick_tool(args.load))
    print(f"load average after the HTTP rows: {load_average()}")
    imported = None if args.skip_import else measure_import()
    package = None if args.skip_package or args.skip_import else measure_package()

    print_http(rows, args, nodelay)
    if imported is not None:
        print(
            f"\nimport app (fresh interpreter, median of 9): {imported[0]:.0f} ms "
            f"(whole interpreter run {imported[1]:.0f} ms)"
        )
    if package is not None:
        print(f"Lambda package, unzipped: {package[0]:.1f} MiB")
        print(
            f"import app from the unzipped package, python -B -I (median of 9): {package[1]:.0f} ms"
        )
    ours = [row for row in rows if row.server == args.servers[0]]
    return 1 if any(row.load.errors or not row.load.requests for row in ours) else 0


if __name__ == "__main__":
    raise SystemExit(main())
