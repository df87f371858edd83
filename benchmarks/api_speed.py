"""API speed: /get_prediction over loopback HTTP through the ECS proxy, the handler's
import time in a fresh interpreter, and the Lambda package's unzipped size.

    python -m benchmarks.api_speed [--seconds 10] [--workers 2] [--skip-package]
        [--load auto|wrk|python]
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
from pathlib import Path

from benchmarks.load import LoadResult, have_wrk, run_python, run_wrk
from chalice_app.config import load_local_settings
from chalice_app.constants import DEFAULT_WORKERS, ENV_WORKERS
from ecs_proxy.launch import REPO_ROOT, running_proxy
from ecs_proxy.serve_local import prepare
from training_pipeline.store import HOME_ENV

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
    key = prepare(load_local_settings({HOME_ENV: str(home)}))
    assert key is not None
    return key


def measure_http(
    home: Path,
    key: str,
    workers: int,
    seconds: int,
    use_wrk: bool,
    env: Mapping[str, str] | None = None,
) -> list[LoadResult]:
    results = []
    with running_proxy(home, workers=workers, env=env) as server:
        url = f"{server.base_url}/get_prediction"
        for connections in (1, 8):
            if use_wrk:
                run_wrk(url, BODY, key, connections, 2)  # warm every worker
                results.append(run_wrk(url, BODY, key, connections, seconds))
            else:
                results.append(
                    run_python(server.host, server.port, BODY, key, connections, seconds)
                )
    return results


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
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get(ENV_WORKERS) or DEFAULT_WORKERS)
    )
    parser.add_argument("--skip-package", action="store_true")
    parser.add_argument("--load", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    with tempfile.TemporaryDirectory(prefix="pvp-bench-") as tmp:
        home = Path(tmp)
        key = prepare_home(home)
        use_wrk = args.load == "wrk" or (args.load == "auto" and have_wrk())
        http = measure_http(home, key, args.workers, args.seconds, use_wrk)
    import_ms, process_ms = measure_import()
    package = None if args.skip_package else measure_package()

    print(
        f"\n/get_prediction through the ECS proxy ({args.workers} sync workers, "
        f"{args.seconds}s per row, tool: {http[0].tool})"
    )
    print("| connections | req/s | p50 ms | p99 ms | errors |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for r in http:
        print(
            f"| {r.connections} | {r.requests_per_s:,.0f} | {r.p50_ms:.2f} | "
            f"{r.p99_ms:.2f} | {r.errors} |"
        )
    print(
        f"\nimport app (fresh interpreter, median of 9): {import_ms:.0f} ms "
        f"(whole interpreter run {process_ms:.0f} ms)"
    )
    if package is not None:
        print(f"Lambda package, unzipped: {package[0]:.1f} MiB")
        print(
            f"import app from the unzipped package, python -B -I (median of 9): {package[1]:.0f} ms"
        )
    return 1 if any(r.errors for r in http) else 0


if __name__ == "__main__":
    raise SystemExit(main())
