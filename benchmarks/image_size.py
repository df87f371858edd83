"""`python -m benchmarks.image_size`: what the ECS task's image adds to its base, measured
without a Docker engine.

The image (ecs_proxy/Dockerfile) runs `pip install -r ecs_proxy/requirements.txt` and
copies the build context's allow-list (ecs_proxy/Dockerfile.dockerignore). Here the same
requirements go into a fresh directory with `pip install --target` (bytecode compiled,
as pip does in the image), and the allow-listed files are copied beside them; the sizes
are the files' bytes (`du --apparent-size`), per top-level package, largest first. The
base image (python:3.11-slim) is not counted: it is the same under every Python image.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks.paths import REPO_ROOT

REQUIREMENTS = REPO_ROOT / "ecs_proxy" / "requirements.txt"
IGNORE = REPO_ROOT / "ecs_proxy" / "Dockerfile.dockerignore"
MIB = 1024 * 1024
# What chalice pulls in that the base image has already (python:3.11-slim ships pip and
# setuptools; in the image pip keeps those when their versions satisfy chalice's pins).
IN_THE_BASE = ("pip", "setuptools", "_distutils_hack", "distutils-precedence.pth")


def shipped_code() -> list[Path]:
    """The files the allow-list lets into the image (its `!` rules), less what it denies."""
    rules = [line for line in IGNORE.read_text().splitlines() if line and line[0] != "#"]
    allowed = [REPO_ROOT / rule[1:].rstrip("/") for rule in rules if rule.startswith("!")]
    files = [p for top in allowed for p in ([top] if top.is_file() else sorted(top.rglob("*")))]
    return [
        p
        for p in files
        if p.is_file()
        and "__pycache__" not in p.parts
        and not p.name.startswith("Dockerfile")
        and p.relative_to(REPO_ROOT).as_posix() != "layers/requirements.txt"
    ]


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def measure(work: Path) -> tuple[dict[str, int], int]:
    """{installed top-level name: bytes} of the requirements, and the code's bytes."""
    target = work / "site-packages"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-cache-dir",
            "--no-warn-conflicts",  # the running venv's packages are not the image's
            "--target",
            str(target),
            "-r",
            str(REQUIREMENTS),
        ],
        check=True,
        timeout=900,
    )
    installed = {
        entry.name: (_size(entry) if entry.is_dir() else entry.stat().st_size)
        for entry in target.iterdir()
    }
    code = work / "app"
    for source in shipped_code():
        copied = code / source.relative_to(REPO_ROOT)
        copied.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, copied)
    return installed, _size(code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.image_size", description=__doc__)
    parser.add_argument("--top", type=int, default=8, help="the largest packages listed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        installed, code = measure(Path(tmp))
    dependencies = sum(installed.values())
    base = sum(
        size
        for name, size in installed.items()
        if name.split("-")[0] in IN_THE_BASE or name in IN_THE_BASE
    )
    print(f"ECS image over its base ({REQUIREMENTS.relative_to(REPO_ROOT)} + the allow-list)")
    for name, size in sorted(installed.items(), key=lambda item: -item[1])[: args.top]:
        print(f"  {name:<40} {size / MIB:7.1f} MiB")
    print(f"dependencies: {dependencies / MIB:.1f} MiB in {len(installed)} entries")
    print(f"code:         {code / MIB:.2f} MiB ({len(shipped_code())} files)")
    print(f"total:        {(dependencies + code) / MIB:.1f} MiB")
    print(f"  of which pip and setuptools, which the base has: {base / MIB:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
