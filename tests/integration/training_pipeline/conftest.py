"""Integration helpers: private copies of the shared home, and JSON run summaries."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli


@pytest.fixture
def champion_home(trained_home: Path, tmp_path: Path) -> Path:
    """A private copy of trained_home (v0001 accepted and deployed) this test may change."""
    home = tmp_path / "home"
    shutil.copytree(trained_home, home)
    return home


@pytest.fixture
def run_json() -> Callable[..., tuple[int, dict[str, Any], str]]:
    """`run --json`: (exit code, the last stdout line parsed, stderr)."""

    def run(
        home: Path, train: Path | str, validation: Path | str, *extra: str
    ) -> tuple[int, dict[str, Any], str]:
        result = run_cli(
            home,
            "run",
            "--train",
            str(train),
            "--validation",
            str(validation),
            "--json",
            *extra,
            check=False,
        )
        lines = result.stdout.strip().splitlines()
        assert lines, f"no stdout; stderr:\n{result.stderr}"
        return result.returncode, json.loads(lines[-1]), result.stderr

    return run
