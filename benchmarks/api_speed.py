"""API speed: /get_prediction over loopback HTTP through the ECS proxy, the handler's
import time in a fresh interpreter, and the Lambda package's unzipped size.

    python -m benchmarks.api_speed [--seconds 10] [--workers 2] [--rounds 2]
        [--slow-clients 200] [--servers ecs_proxy benchmarks.sync_server]
        [--skip-package] [--load auto|wrk|python]

Each server runs in turn, several rounds, and every row is printed with the machine's
load average: on a shared machine compare rows of the same round, and read the best
round as the best case.
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

from benchmarks.load import LoadResult, load_average, pick_tool, run_python, run_wrk
from benchmarks.slow_clients import SlowClients
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


@dataclass(frozen=True)
class HttpRow:
    server: str
    slow_clients: int
    load: LoadResult


def _one_load(
    server: RunningServer, key: str, connections: int, seconds: int, tool: str
) -> LoadResult:
    if tool == "wrk":
        url = f"{server.base_url}/get_prediction"
        run_wrk(url, BODY, key, connections, 2)  # warm every worker
        return run_wrk(url, BODY, key, connections, seconds)
    return run_python(server.host, server.port, BODY, key, connections, seconds)


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


def measure_http(home: Path, key: str, args: argparse.Namespace, tool: str) -> list[HttpRow]:
    """Every server, without and with slow clients, at 1 and 8 connections; in rounds
    that alternate the servers, so a busy moment of the machine hits both alike."""
    rows = []
    for _ in range(args.rounds):
        for module in args.servers:
            with running_proxy(home, workers=args.workers, module=module) as server:
                for slow in (0, args.slow_clients):
                    with SlowClients(server.host, server.port, slow):
                        for connections in (1, 8):
                            load = _one_load(server, key, connections, args.seconds, tool)
                            rows.append(HttpRow(module, slow, load))
                            print(
                                f"measured: {rows[-1]}, load average {load_average()}", flush=True
                            )
    return rows


def print_http(rows: list[HttpRow], args: argparse.Namespace) -> None:
    print(
        f"\n/get_prediction over loopback ({args.workers} workers, {args.seconds}s per row, "
        f"{args.rounds} round(s), tool: {rows[0].load.tool}); slow clients send one header "
        "byte a second"
    )
    print("| server | slow clients | connections | req/s | p50 ms | p99 ms | max ms | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        r = row.load
        if r.requests == 0:  # wrk reports no latency and no timeout then
            print(f"| {row.server} | {row.slow_clients} | {r.connections} | 0 | - | - | - | all |")
            continue
        print(
            f"| {row.server} | {row.slow_clients} | {r.connections} | {r.requests_per_s:,.0f} "
            f"| {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.max_ms:.1f} | {r.errors} |"
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
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--slow-clients", type=int, default=200)
    parser.add_argument(
        "--servers",
        nargs="+",
        default=["ecs_proxy", "benchmarks.sync_server"],
        help="modules run as `python -m`; the first is ours, the others references",
    )
    parser.add_argument("--skip-package", action="store_true")
    parser.add_argument("--load", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    print(f"machine: {os.cpu_count()} CPUs, load average (1/5/15 min) before: {load_average()}")
    with tempfile.TemporaryDirectory(prefix="pvp-bench-") as tmp:
        home = Path(tmp)
        key = prepare_home(home)
        rows = measure_http(home, key, args, pick_tool(args.load))
    print(f"load average after the HTTP rows: {load_average()}")
    import_ms, process_ms = measure_import()
    package = None if args.skip_package else measure_package()

    print_http(rows, args)
    print(
        f"\nimport app (fresh interpreter, median of 9): {import_ms:.0f} ms "
        f"(whole interpreter run {process_ms:.0f} ms)"
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
