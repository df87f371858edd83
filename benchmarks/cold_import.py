"""`python -m benchmarks.cold_import`: the Lambda package's size and cold `import app`,
with and without the shared layer and with and without bytecode.

Builds the dev package twice (`make package`, with and without bytecode) and unzips each
as Lambda does: the function zip as /var/task, the layer as /opt/python. "no layer" is
the same files in one directory, as when the dependencies were in the zip. Each
variant's import runs in a fresh `python -B -I -S` (no bytecode written, no site, only
the package's directories on the path), the variants alternating round by round; the
figure is the median of the rounds, and each variant's ratio to the first is the median
of the per-round ratios. `--baseline DIR` adds an unzipped package built elsewhere (main's
`chalice package`, for instance) as the first variant.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from contract.environment import BACKEND, BACKEND_LOCAL
from devtools.infra.package import build

PROBE = (
    "import sys, time; sys.path[:0] = sys.argv[1:]; start = time.perf_counter(); "
    "import app; print((time.perf_counter() - start) * 1000)"
)


def _unzip(archive: Path, target: Path) -> Path:
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(target)
    return target


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def variants(work: Path) -> dict[str, list[Path]]:
    """Each variant's directories, in sys.path order; sizes printed as they are built."""
    found: dict[str, list[Path]] = {}
    for bytecode in (False, True):
        tag = "bytecode" if bytecode else "no bytecode"
        package = build("dev", work / tag.replace(" ", "-"), bytecode=bytecode)
        task = _unzip(package.function_zip, work / f"{tag}-task")
        opt = _unzip(package.layer_zip, work / f"{tag}-opt") / "python"
        merged = work / f"{tag}-merged"
        shutil.copytree(task, merged)
        shutil.copytree(opt, merged, dirs_exist_ok=True)
        print(
            f"{tag}: function zip {package.function_zip.stat().st_size / 2**20:.2f} MiB "
            f"({_size(task) / 2**20:.1f} MiB unzipped), layer zip "
            f"{package.layer_zip.stat().st_size / 2**20:.2f} MiB "
            f"({_size(opt) / 2**20:.1f} MiB unzipped)"
        )
        found[f"no layer, {tag}"] = [merged]
        found[f"layer, {tag}"] = [task, opt]
    return found


def import_ms(paths: list[Path]) -> float:
    ran = subprocess.run(
        [sys.executable, "-B", "-I", "-S", "-c", PROBE, *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
        cwd=paths[0],
        env={BACKEND.name: BACKEND_LOCAL},
    )
    return float(ran.stdout.strip())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cold_import", description=__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--baseline", type=Path, help="an unzipped package to compare against")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="cold-import-"))
    try:
        runs = {**({"baseline": [args.baseline]} if args.baseline else {}), **variants(work)}
        times: dict[str, list[float]] = {name: [] for name in runs}
        for paths in runs.values():  # one warm-up each: the files in the page cache
            import_ms(paths)
        for _ in range(args.rounds):
            for name, paths in runs.items():
                times[name].append(import_ms(paths))
        first = next(iter(times))
        print(f"\ncold `import app`, median of {args.rounds} (ratio: median of per-round ratios)")
        for name, values in times.items():
            ratios = [v / b for v, b in zip(values, times[first], strict=True)]
            print(
                f"  {name:<26} {statistics.median(values):7.1f} ms   "
                f"x{statistics.median(ratios):.2f} of {first}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
